"""Who each branch is: roster details, grace periods, previous results and display names.

Everything here runs once per branch (hundreds), never per row.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from svcqa.models import HistoryContext, Month, MonthData


def roster(df: pd.DataFrame | None) -> dict[str, dict[str, Any]]:
    """Per branch key, its region, echelon and contract start from the roster table."""
    if df is None or len(df) == 0 or "branch_key" not in df.columns:
        return {}
    out: dict[str, dict] = {}
    records = df.drop_duplicates("branch_key").to_dict("records")
    for rec in records:
        start = rec.get("contract_start")
        out[str(rec["branch_key"])] = {
            "region": "" if pd.isna(rec.get("region", None)) else str(rec.get("region") or ""),
            "echelon": "" if pd.isna(rec.get("echelon", None)) else str(rec.get("echelon") or ""),
            "contract_start": None if start is None or pd.isna(start) else pd.Timestamp(start),
        }
    return out


def _months_between(earlier: Month, later: Month) -> int:
    return (later.year - earlier.year) * 12 + later.month - earlier.month


def in_grace(
    keys: list[str],
    month: Month,
    grace_months: int,
    roster: dict[str, dict],
    history: HistoryContext | None,
) -> np.ndarray:
    """Branches in their grace period: scored and recorded, not assessed.

    The roster's contract start decides when it has one; otherwise, when history holds earlier
    months, a branch first seen less than ``grace_months`` months ago. Without earlier history
    every branch would look new, so the history rule is not applied.
    """
    grace = np.zeros(len(keys), dtype=bool)
    if grace_months <= 0:
        return grace
    window_start = month.start
    for _ in range(grace_months - 1):
        window_start = Month.of(window_start).prev().start
    first_seen = history.first_seen if history is not None else {}
    history_exists = any(_as_month(m) < month for m in first_seen.values())
    for i, key in enumerate(keys):
        start = roster.get(key, {}).get("contract_start")
        if start is not None:
            grace[i] = start >= window_start
        elif history_exists:
            seen = first_seen.get(key)
            grace[i] = seen is None or _months_between(_as_month(seen), month) < grace_months
    return grace


def _as_month(value: object) -> Month:
    return value if isinstance(value, Month) else Month.parse(str(value))


def previous_results(history: HistoryContext | None, month: Month) -> dict[str, dict]:
    """Per branch, its newest stored result before ``month``."""
    if history is None or history.previous is None or len(history.previous) == 0:
        return {}
    prev = history.previous.copy()
    prev["month"] = prev["month"].astype(str)
    prev = prev[prev["month"] < str(month)].sort_values("month", ascending=False, kind="stable")
    prev = prev.drop_duplicates("branch_key")
    out = {}
    for rec in prev.to_dict("records"):
        rank = rec.get("rank")
        out[str(rec["branch_key"])] = {
            "month": rec["month"],
            "total": None if pd.isna(rec.get("total")) else float(rec["total"]),
            "rank": None if rank is None or pd.isna(rank) else int(rank),
            "last_place": bool(rec.get("last_place"))
            if not pd.isna(rec.get("last_place"))
            else False,
            "streak": 0
            if pd.isna(rec.get("last_place_streak", 0))
            else int(rec.get("last_place_streak", 0)),
        }
    return out


def display_names(
    keys: list[str], data: MonthData, tables: dict[str, pd.DataFrame]
) -> dict[str, str]:
    """The roster's / ingest's spelling, else the spelling most rows of the month use."""
    names = {k: data.branch_names[k] for k in keys if k in data.branch_names}
    missing = [k for k in keys if k not in names]
    if missing:
        counts = [
            df.loc[df["branch_key"].isin(missing), ["branch_key", "branch"]]
            for df in tables.values()
            if {"branch_key", "branch"} <= set(df.columns)
        ]
        if counts:
            frame = pd.concat(counts, ignore_index=True).dropna()
            if len(frame):
                top = frame.value_counts().reset_index().drop_duplicates("branch_key")
                names.update(
                    dict(zip(top["branch_key"].astype(str), top["branch"].astype(str), strict=True))
                )
    return names
