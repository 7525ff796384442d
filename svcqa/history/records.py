"""A scored month's parts as the store's SQL rows, and back: the run, branch and KPI results, JSON.

The column order of every tuple here matches the INSERT and SELECT statements in ``store.py``
(``BRANCH_SELECT`` / ``KPI_SELECT`` name the columns read back). Missing numbers become NULL,
since NaN has no SQLite representation.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from svcqa.history.codecs import encode_evidence, encode_frame, encode_tickets
from svcqa.models import (
    EVIDENCE_COLUMNS,
    BranchResult,
    EnglishNames,
    KpiResult,
    Month,
    MonthData,
    Scorecard,
)

if TYPE_CHECKING:
    from svcqa.rubric import Rubric

PERIOD_COUNT_COLUMNS = ["kpi_id", "branch_key", "numerator", "basis"]
TicketChunks = list[tuple[str | None, int, bytes]]  # (completion day, rows, Arrow IPC blob)

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
    "r.inputs, r.ticket_count, r.evidence_count, r.as_of, "
    "(SELECT count(*) FROM branch_results x WHERE x.run_id = r.id) AS branch_count"
)


def short_version(sha256: str) -> str:
    """A rubric's short version as history shows it: the first 8 hex digits of its sha256."""
    return sha256[:8]


def stored_as_of(text: str | None) -> datetime | None:
    """A run's ``as_of`` column back as the cut-off (None: aged at the month's end)."""
    return datetime.fromisoformat(text) if text else None


def stored_english(conn: sqlite3.Connection, rubric_sha256: str) -> EnglishNames:
    """The English names of a run's rubric, read from the rubric text stored with it: a run
    stored before a rubric gave any (or a text without them) has none, and outputs fall back to
    the names themselves; nothing new is stored, so old stores read as they always did."""
    from svcqa.rubric.english import english_names

    row = conn.execute("SELECT source FROM rubrics WHERE sha256 = ?", (rubric_sha256,)).fetchone()
    return english_names(row[0]) if row else EnglishNames()


def run_summary(row: dict[str, Any]) -> dict[str, Any]:
    summary = {"run_id": row["id"], **{k: v for k, v in row.items() if k != "id"}}
    summary["rubric_version"] = short_version(summary["rubric_sha256"])
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


@dataclass
class EncodedRun:
    """A scored month encoded for the store, ready to insert: built before the lock is taken,
    so the write lock is held only for SQL."""

    month: str
    run_values: dict[str, Any]
    branch_rows: list[tuple[Any, ...]]
    kpi_rows: list[tuple[Any, ...]]
    period_values: list[list[Any]] | None
    evidence_count: int
    evidence_blob: bytes
    ticket_chunks: TicketChunks


def encode_run(
    scorecard: Scorecard,
    data: MonthData,
    rubric: Rubric,
    tool_version: str,
    now: datetime,
    encoded_tickets: Future[TicketChunks] | None,
) -> EncodedRun:
    """Everything ``save`` inserts, encoded (``encoded_tickets``: see ``HistoryStore.save``)."""
    branch_rows = [branch_row(i, b) for i, b in enumerate(scorecard.branches)]
    kpi_rows = [
        kpi_row(b.branch_key, i, k) for b in scorecard.branches for i, k in enumerate(b.kpis)
    ]
    frames: dict[str, dict[str, str]] = {}
    evidence = (
        scorecard.evidence
        if scorecard.evidence is not None
        else pd.DataFrame(columns=EVIDENCE_COLUMNS)
    )
    frames["evidence"], evidence_blob = encode_evidence(evidence)
    period_values: list[list[Any]] | None = None
    if scorecard.period_counts is not None:
        frames["period_counts"], period_values = encode_frame(
            scorecard.period_counts, PERIOD_COUNT_COLUMNS
        )
    ticket_chunks = (
        encoded_tickets.result() if encoded_tickets is not None else encode_tickets(data)
    )
    run_values = {
        "month": str(scorecard.month),
        "created_at": now.isoformat(),
        "tool_version": tool_version,
        "rubric_id": rubric.id,
        "rubric_name": scorecard.rubric_name,
        "rubric_max": float(scorecard.rubric_max),
        "rubric_sha256": rubric.sha256,
        "month_source": data.month_source,
        "inputs": dumps([asdict(s) for s in data.sources]),
        "stats": dumps({name: s.as_dict() for name, s in data.stats.items()}),
        "scorecard_inputs": dumps({name: s.as_dict() for name, s in scorecard.inputs.items()}),
        "notes": dumps([n.as_dict() for n in scorecard.notes]),
        "generated_at": scorecard.generated_at.isoformat() if scorecard.generated_at else None,
        "frames": dumps(frames),
        "ticket_count": sum(rows for _day, rows, _blob in ticket_chunks),
    }
    if scorecard.as_of is not None:  # migration 5's column, NULL (the month's end) otherwise
        run_values["as_of"] = scorecard.as_of.isoformat()
    return EncodedRun(
        month=str(scorecard.month),
        run_values=run_values,
        branch_rows=branch_rows,
        kpi_rows=kpi_rows,
        period_values=period_values,
        evidence_count=len(evidence),
        evidence_blob=evidence_blob,
        ticket_chunks=ticket_chunks,
    )
