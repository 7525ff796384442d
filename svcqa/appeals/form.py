"""The appeal form (申诉表) of one branch and month, as a frozen model: every evidence row that
cost the branch points, in a table a branch may appeal.

The rows come from the stored scorecard's evidence (``EVIDENCE_COLUMNS``), the rows of each KPI
in input order, KPIs in rubric order. A KPI's evidence is listed only when the branch lost points
on it (a complaint KPI lists every valid complaint in the evidence, lost or not). Each row names
its table (from the rubric's KPI: ``kpi_tables``) and its id as ``APPEAL_ROW_ID`` defines it (an
attendance row: "<staff> <YYYY-MM-DD>"). The points at stake are the KPI's lost points: a curve
maps the KPI's value, not each row, to points, so they are shown per KPI, not split per row.
Rows of tables that cannot be appealed (discipline, cooperation ratings, incentives) are counted,
not listed. Pure: the scorecard comes in, the model comes out; ``svcqa.appeals.xlsx`` lays it out.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import pandas as pd

from svcqa.labels import appeal_labels
from svcqa.models import APPEAL_ROW_ID, BranchResult, Month, Scorecard


@dataclass(frozen=True)
class KpiLoss:
    """One KPI the branch lost points on: its table, how many evidence rows, the points lost."""

    kpi_id: str
    label: str
    table: str
    rows: int
    lost: float
    appealable: bool


@dataclass(frozen=True)
class AppealRow:
    """One evidence row the branch may appeal, located as the user sees it in the export."""

    no: int
    kpi_id: str
    kpi_label: str
    table: str
    row_id: str
    date: str
    value: float | None
    kpi_lost: float
    detail: str
    file: str
    sheet: str
    excel_row: int | None


@dataclass(frozen=True)
class AppealForm:
    """Everything one appeal form shows."""

    form_id: str
    month: Month
    branch: str
    branch_key: str
    rubric_id: str
    rubric_name: str
    total: float
    rank: int | None
    ranked: int
    grade: str
    coefficient: float | None
    kpis: tuple[KpiLoss, ...]
    rows: tuple[AppealRow, ...]
    other_rows: int  # evidence rows of lost KPIs in tables that cannot be appealed
    other_tables: tuple[str, ...]
    lang: str
    generated_at: str
    # The appeal deadline: ``window_days`` after the month's first scoring (ISO dates; "" when
    # the caller gave no first scoring, as for a form built from a scorecard alone).
    deadline: str = ""
    first_scored: str = ""
    window_days: int = 0


def appeal_form_id(branch_key: str, month: Month, issued_at: datetime) -> str:
    """A stable id for an issued appeal form: the same branch, month and time give the same id."""
    text = f"appeal|{branch_key}|{month}|{issued_at.isoformat()}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


def row_ids(table: str, evidence: pd.DataFrame) -> pd.Series:
    """The ``APPEAL_ROW_ID`` of evidence rows of ``table``: the ref (ticket or complaint id), or
    for attendance "<staff> <YYYY-MM-DD>" (the evidence's date is the attendance day)."""
    ref = evidence["ref"].astype(str).str.strip()
    if table == "attendance":
        return ref + " " + evidence["date"].astype(str).str.slice(0, 10)
    return ref


def lost_evidence(
    scorecard: Scorecard, branch_key: str, kpi_tables: Mapping[str, str]
) -> pd.DataFrame:
    """The branch's evidence rows of the KPIs it lost points on, with ``table``, ``row_id`` and
    ``kpi_lost`` columns added (every table; ``appealable`` says which may be appealed)."""
    branch = _branch(scorecard, branch_key)
    lost = {k.id: k.lost for k in branch.kpis if k.lost > 0}
    ev = scorecard.evidence
    # Rows of kind "appeal" record decisions already applied to this run: not appealable again.
    ev = ev[
        (ev["branch_key"] == branch_key) & ev["kpi_id"].isin(list(lost)) & (ev["kind"] != "appeal")
    ].copy()
    ev["table"] = ev["kpi_id"].map(dict(kpi_tables)).fillna("")
    ev["kpi_lost"] = ev["kpi_id"].map(lost).astype("float64")
    ev["appealable"] = ev["table"].isin(list(APPEAL_ROW_ID))
    ev["row_id"] = ""
    for table in APPEAL_ROW_ID:
        mask = ev["table"] == table
        if mask.any():
            ev.loc[mask, "row_id"] = row_ids(table, ev[mask])
    return ev


def _branch(scorecard: Scorecard, branch_key: str) -> BranchResult:
    branch = scorecard.branch(branch_key)
    if branch is None:
        raise KeyError(branch_key)
    return branch


def build_appeal_form(
    scorecard: Scorecard,
    branch_key: str,
    kpi_tables: Mapping[str, str],
    *,
    lang: str = "zh",
    now: datetime | None = None,
    first_scored: date | None = None,
    window_days: int = 0,
) -> AppealForm:
    """The appeal form of ``branch_key`` (a branch of ``scorecard``; KeyError otherwise); with
    ``first_scored`` (the month's first scoring) it shows the deadline ``window_days`` later."""
    t = appeal_labels(lang)
    branch = _branch(scorecard, branch_key)
    ev = lost_evidence(scorecard, branch_key, kpi_tables)
    labels = {k.id: k.label for k in branch.kpis}
    counts = ev.groupby("kpi_id", sort=False).size()
    kpis = tuple(
        KpiLoss(
            k.id,
            k.label,
            kpi_tables.get(k.id, ""),
            int(counts.get(k.id, 0)),
            k.lost,
            kpi_tables.get(k.id, "") in APPEAL_ROW_ID,
        )
        for k in branch.kpis
        if k.lost > 0
    )
    listed = ev[ev["appealable"]]
    other = ev[~ev["appealable"]]
    return AppealForm(
        form_id=appeal_form_id(branch_key, scorecard.month, now or datetime(2000, 1, 1)),
        month=scorecard.month,
        branch=branch.branch,
        branch_key=branch_key,
        rubric_id=scorecard.rubric_id,
        rubric_name=scorecard.rubric_name,
        total=branch.total,
        rank=branch.rank,
        ranked=scorecard.assessed_count,
        grade=branch.grade or "",
        coefficient=branch.coefficient,
        kpis=kpis,
        rows=_rows(listed, labels),
        other_rows=len(other),
        other_tables=tuple(t.get(x, x) for x in dict.fromkeys(other["table"]) if x),
        lang=lang,
        generated_at=now.strftime("%Y-%m-%d %H:%M") if now else "",
        deadline=(first_scored + timedelta(days=window_days)).isoformat() if first_scored else "",
        first_scored=first_scored.isoformat() if first_scored else "",
        window_days=window_days,
    )


def _rows(listed: pd.DataFrame, labels: Mapping[str, str]) -> tuple[AppealRow, ...]:
    """The form's rows (one branch's evidence: thousands at most, so a plain loop)."""
    out = []
    # itertuples rows are namedtuples built at run time: their fields are untyped.
    rows: Iterable[Any] = listed.itertuples(index=False)
    for no, r in enumerate(rows, start=1):
        value = float(r.value) if r.value is not None and not math.isnan(r.value) else None
        row = int(r.row) if r.row is not None and int(r.row) > 0 else None
        out.append(
            AppealRow(
                no=no,
                kpi_id=str(r.kpi_id),
                kpi_label=labels.get(str(r.kpi_id), str(r.kpi_id)),
                table=str(r.table),
                row_id=str(r.row_id),
                date=str(r.date),
                value=value,
                kpi_lost=float(r.kpi_lost),
                detail=str(r.detail),
                file=str(r.file),
                sheet=str(r.sheet),
                excel_row=row,
            )
        )
    return tuple(out)
