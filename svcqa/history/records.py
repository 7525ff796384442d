"""A scored month's parts as the store's SQL rows, and back: branch and KPI results, run summaries, JSON.

The column order of every tuple here matches the INSERT and SELECT statements in ``store.py``
(``BRANCH_SELECT`` / ``KPI_SELECT`` name the columns read back). Missing numbers become NULL,
since NaN has no SQLite representation.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from svcqa.models import BranchResult, KpiResult, Month

# The columns ``kpi_result`` / ``branch_result`` read, in their order.
KPI_SELECT = (
    "branch_key, kpi_id, label, grp, value, basis, points, max, no_data, low_volume, excluded, unit, "
    "curve, numerator, note"
)
BRANCH_SELECT = (
    "branch_key, branch, assessed, total, rank, grade, coefficient, flags, kpi_total, incentive_points, "
    "region, echelon, prev_total, prev_rank, last_place_streak"
)
RUN_SUMMARY_COLUMNS = (
    "r.id, r.month, r.status, r.created_at, r.superseded_at, r.tool_version, r.rubric_id, r.rubric_sha256, "
    "r.inputs, r.ticket_count, r.evidence_count, "
    "(SELECT count(*) FROM branch_results x WHERE x.run_id = r.id) AS branch_count"
)


def run_summary(row: dict[str, Any]) -> dict[str, Any]:
    summary = {"run_id": row["id"], **{k: v for k, v in row.items() if k != "id"}}
    summary["inputs"] = json.loads(summary["inputs"])
    return summary


def row_dict(cursor: sqlite3.Cursor) -> dict[str, Any]:
    names = [d[0] for d in cursor.description]
    row = cursor.fetchone()
    return dict(zip(names, row))


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (datetime, pd.Timestamp)):
        return value.isoformat()
    if isinstance(value, Month):
        return str(value)
    raise TypeError(f"cannot store {type(value).__name__} as JSON")


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=_json_default)


def _num(value: Any) -> float | None:
    """A float for SQLite, None for missing (NaN has no SQLite representation)."""
    if value is None:
        return None
    value = float(value)
    return None if np.isnan(value) else value


def _int(value: Any) -> int | None:
    return None if value is None or (isinstance(value, float) and np.isnan(value)) else int(value)


def branch_row(position: int, b: BranchResult) -> tuple[Any, ...]:
    return (
        position,
        b.branch_key,
        b.branch,
        int(bool(b.assessed)),
        float(b.total),
        _int(b.rank),
        b.grade,
        _num(b.coefficient),
        dumps(list(b.flags)),
        float(b.kpi_total),
        float(b.incentive_points),
        b.region or "",
        b.echelon or "",
        _num(b.prev_total),
        _int(b.prev_rank),
        int(b.last_place_streak),
    )


def kpi_row(branch_key: str, position: int, k: KpiResult) -> tuple[Any, ...]:
    return (
        branch_key,
        position,
        k.id,
        k.label,
        k.group,
        _num(k.value),
        int(k.basis),
        float(k.points),
        float(k.max),
        int(bool(k.no_data)),
        int(bool(k.low_volume)),
        int(bool(k.excluded)),
        k.unit,
        dumps(k.curve),
        _num(k.numerator),
        k.note,
    )


def kpi_result(row: Sequence[Any]) -> tuple[str, KpiResult]:
    """A ``KPI_SELECT`` row as (branch_key, the KpiResult saved)."""
    (
        key,
        kpi_id,
        label,
        grp,
        value,
        basis,
        points,
        max_,
        no_data,
        low_volume,
        excluded,
        unit,
        curve,
        numerator,
        note,
    ) = row
    return key, KpiResult(
        id=kpi_id,
        label=label,
        group=grp,
        value=value,
        basis=basis,
        points=points,
        max=max_,
        no_data=bool(no_data),
        low_volume=bool(low_volume),
        excluded=bool(excluded),
        unit=unit,
        curve=json.loads(curve),
        numerator=numerator,
        note=note,
    )


def branch_result(r: Sequence[Any], kpis: dict[str, list[KpiResult]]) -> BranchResult:
    """A ``BRANCH_SELECT`` row as the BranchResult saved, with its KPIs from ``kpis``."""
    return BranchResult(
        branch=r[1],
        branch_key=r[0],
        assessed=bool(r[2]),
        total=r[3],
        kpis=kpis.get(r[0], []),
        rank=r[4],
        grade=r[5],
        coefficient=r[6],
        flags=json.loads(r[7]),
        kpi_total=r[8],
        incentive_points=r[9],
        region=r[10],
        echelon=r[11],
        prev_total=r[12],
        prev_rank=r[13],
        last_place_streak=r[14],
    )
