"""Accepted appeal decisions applied to a month's ingested rows, before scoring.

Rows are named by table and id (``models.APPEAL_ROW_ID``: the ticket or complaint id, for
attendance "<staff> <YYYY-MM-DD>"), never by row number, and only within the appeal's branch.
Two rulings:

- **withdraw** (``adjust_days`` None): the row leaves its table and goes to ``excluded`` with the
  code ``appeal-withdrawn`` and a reason citing the decision, exactly as if it had been deleted
  from the export (the table's row accounting moves it from used to excluded);
- **stop the clock** (tickets, ``adjust_days`` N > 0): a completed ticket's ``completed_at``
  moves N days earlier (its cycle drops by N days, never below zero); an open ticket's
  ``accepted_at`` moves N days later (its age at month end, or at the ``--as-of`` cut-off the
  month was scored at, drops by N days, never below zero).

Each ruling also yields an evidence row of kind ``appeal`` so the new run's evidence shows what
was withdrawn or adjusted instead of hiding it. Pure: data in, data out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from svcqa.models import APPEAL_ROW_ID, EVIDENCE_COLUMNS, ROW_ISSUE_COLUMNS, MonthData, Scorecard

WITHDRAWN = "appeal-withdrawn"  # the excluded rows' code (svcqa/findings/)


@dataclass(frozen=True)
class Ruling:
    """One accepted decision to apply: which row (table, id, branch) and how."""

    decision_id: int
    table: str
    row_id: str
    branch_key: str
    reason: str  # the decision's reason
    decided_by: str
    adjust_days: float | None = None  # None: withdraw the row
    kpi_id: str = ""  # the KPI the row cost points in, for the evidence row


@dataclass(frozen=True)
class Outcome:
    """What applying one ruling did: ``row_found`` False when its row is not in the inputs."""

    ruling: Ruling
    row_found: bool


def rulings(filed: Sequence[Any], decisions: Sequence[Any], evidence: Any = None) -> list[Ruling]:
    """The accepted current decisions (``superseded_by`` None) on appeals filed in time, as
    rulings, oldest first. A ruling's KPI is the appeal's, else the KPI its row lost points in
    (from ``evidence``, the month's evidence frame, when given: its row, or the ``appeal`` row
    an earlier application left, whose ref is the appeal's row id)."""
    ok = {a.id: a for a in filed if a.status == "ok"}
    kpis: dict[tuple[str, str], str] = {}
    if evidence is not None and len(evidence):
        kpis = dict(zip(zip(evidence["branch_key"], evidence["ref"]), evidence["kpi_id"]))
    out = []
    for d in decisions:
        appeal = ok.get(d.appeal_id)
        if appeal is None or d.superseded_by is not None or not d.accepted:
            continue
        ref = appeal.row_id.rsplit(" ", 1)[0] if appeal.table == "attendance" else appeal.row_id
        out.append(
            Ruling(
                decision_id=d.id,
                table=appeal.table,
                row_id=appeal.row_id,
                branch_key=appeal.branch_key,
                reason=d.reason,
                decided_by=d.decided_by,
                adjust_days=d.adjust_days,
                kpi_id=appeal.kpi_id
                or str(
                    kpis.get(
                        (appeal.branch_key, ref), kpis.get((appeal.branch_key, appeal.row_id), "")
                    )
                ),
            )
        )
    return out


def row_ids(table: str, frame: pd.DataFrame) -> pd.Series:
    """Each row's appeal id (``APPEAL_ROW_ID``), as text, vectorised."""
    columns = APPEAL_ROW_ID[table]
    if table == "attendance":
        dates = pd.to_datetime(frame["date"], errors="coerce").dt.strftime("%Y-%m-%d")
        return frame["staff"].astype(str) + " " + dates.fillna("")
    return frame[columns[0]].astype(str)


def apply_rulings(
    data: MonthData, rulings: Sequence[Ruling], as_of: datetime | None = None
) -> tuple[MonthData, list[Outcome], pd.DataFrame]:
    """The month with the rulings applied, what each did, and the ``appeal`` evidence rows.
    ``as_of``: the cut-off the month is scored at (open tickets are aged there, not at its end)."""
    ageing_end = pd.Timestamp(as_of) if as_of is not None else data.month.end
    tables = dict(data.tables)
    stats = dict(data.stats)
    excluded = [data.excluded]
    outcomes: list[Outcome] = []
    evidence: list[dict[str, object]] = []
    for table in sorted({r.table for r in rulings}):
        frame = tables.get(table)
        mine = [r for r in rulings if r.table == table]
        if frame is None or frame.empty:
            outcomes += [Outcome(r, False) for r in mine]
            continue
        ids = row_ids(table, frame).to_numpy(dtype=object)
        keys = frame["branch_key"].astype(str).to_numpy(dtype=object)
        drop = np.zeros(len(frame), dtype=bool)
        frame = frame.copy()
        for ruling in mine:
            hit = (ids == ruling.row_id) & (keys == ruling.branch_key)
            outcomes.append(Outcome(ruling, bool(hit.any())))
            if not hit.any():
                continue
            if ruling.adjust_days is None:
                drop |= hit
                detail = f"withdrawn by appeal: {ruling.reason}"
            else:
                _stop_clock(frame, hit, ruling.adjust_days, ageing_end)
                detail = f"clock stopped {ruling.adjust_days:g} days by appeal: {ruling.reason}"
            evidence += _evidence_rows(frame[hit], ruling, detail)
        if drop.any():
            gone = frame[drop]
            excluded.append(_excluded_rows(table, gone, ids[drop], rulings))
            frame = frame[~drop].reset_index(drop=True)
            old = stats[table]
            n = int(drop.sum())
            stats[table] = replace(old, used=old.used - n, excluded=old.excluded + n)
        tables[table] = frame
    excluded_frame = pd.concat(
        [e for e in excluded if len(e)] or [data.excluded], ignore_index=True
    )
    result = replace(data, tables=tables, stats=stats, excluded=excluded_frame)
    return result, outcomes, pd.DataFrame(evidence, columns=EVIDENCE_COLUMNS)


def add_appeal_evidence(card: Scorecard, marks: pd.DataFrame | None) -> None:
    """Append the ``appeal`` evidence rows ``apply_rulings`` returned to a month scored from its
    ruled rows, so the run shows what was withdrawn or adjusted."""
    if marks is not None and len(marks):
        card.evidence = pd.concat([card.evidence, marks], ignore_index=True)


def _stop_clock(
    frame: pd.DataFrame, hit: np.ndarray, days: float, ageing_end: pd.Timestamp
) -> None:
    """Take ``days`` off the hit tickets' cycle (completed) or age at ``ageing_end`` (open)."""
    shift = pd.to_timedelta(days, unit="D")
    accepted = frame["accepted_at"]
    completed = frame["completed_at"] if "completed_at" in frame.columns else None
    is_open = completed.isna().to_numpy() if completed is not None else np.ones(len(frame), bool)
    done = hit & ~is_open
    if done.any() and completed is not None:
        moved = (completed[done] - shift).where(
            completed[done] - shift > accepted[done], accepted[done]
        )
        frame.loc[done, "completed_at"] = moved
    still_open = hit & is_open
    if still_open.any():
        later = accepted[still_open] + shift
        frame.loc[still_open, "accepted_at"] = later.where(later < ageing_end, ageing_end)


def _evidence_rows(rows: pd.DataFrame, ruling: Ruling, detail: str) -> list[dict[str, object]]:
    date_column = {"tickets": "accepted_at", "complaints": "received_at", "attendance": "date"}
    out = []
    for _, row in rows.iterrows():  # a handful of appealed rows, never a whole table
        when = row.get(date_column[ruling.table])
        out.append(
            {
                "branch_key": ruling.branch_key,
                "kpi_id": ruling.kpi_id,
                "kind": "appeal",
                "ref": ruling.row_id,
                "date": "" if pd.isna(when) else pd.Timestamp(when).isoformat(timespec="minutes"),
                "value": ruling.adjust_days if ruling.adjust_days is not None else np.nan,
                "category": "withdrawn" if ruling.adjust_days is None else "clock stopped",
                "detail": f"{detail} ({ruling.decided_by})",
                "file": row.get("_file", ""),
                "sheet": row.get("_sheet", ""),
                "row": row.get("_row"),
            }
        )
    return out


def _excluded_rows(
    table: str, rows: pd.DataFrame, ids: np.ndarray, rulings: Sequence[Ruling]
) -> pd.DataFrame:
    reasons = {(r.row_id, r.branch_key): r for r in rulings if r.table == table}
    keys = rows["branch_key"].astype(str).to_numpy(dtype=object)
    texts = []
    for row_id, key in zip(ids, keys):  # the withdrawn rows only
        ruling = reasons[(str(row_id), str(key))]
        texts.append(
            f"withdrawn by appeal (decision {ruling.decision_id} by {ruling.decided_by}): {ruling.reason}"
        )
    return pd.DataFrame(
        {
            "table": table,
            "file": rows["_file"].to_numpy(dtype=object),
            "sheet": rows["_sheet"].to_numpy(dtype=object),
            "row": rows["_row"].to_numpy(),
            "column": APPEAL_ROW_ID[table][0],
            "value": ids,
            "code": WITHDRAWN,
            "reason": texts,
        },
        columns=ROW_ISSUE_COLUMNS,
    )


__all__ = ["WITHDRAWN", "Outcome", "Ruling", "apply_rulings", "row_ids", "rulings"]
