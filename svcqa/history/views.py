"""What ``svcqa history`` shows, as plain Python data: the CLI only renders these.

``trend_records`` / ``runs_records`` are the library's data as JSON-ready dicts (``--format
json|csv``); ``trend_grid`` lays the same data out as the terminal table (rows = branches or KPIs,
columns = months).
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from svcqa.errors import NotFound
from svcqa.history.store import TOTAL_KPI_ID, HistoryStore
from svcqa.labels import trend_arrow
from svcqa.models import branch_key


def find_branch(store: HistoryStore, name: str) -> str:
    """The branch_key a user-typed name refers to; NotFound naming the closest known branches."""
    names = store.branch_names()
    wanted = branch_key(name)
    by_key = {branch_key(display): key for key, display in names.items()} | {
        key: key for key in names
    }
    if wanted in by_key:
        return by_key[wanted]
    folded = {k.casefold(): v for k, v in by_key.items()}
    if wanted.casefold() in folded:
        return folded[wanted.casefold()]
    if not names:
        raise NotFound(
            f"history store {store.path} has no branches yet; score a month first with svcqa score"
        )
    close = difflib.get_close_matches(wanted, list(by_key), n=5, cutoff=0.3)
    suggestions = list(dict.fromkeys(names[by_key[c]] for c in close))
    hint = (
        f"closest: {', '.join(suggestions)}"
        if suggestions
        else f"known branches: {', '.join(sorted(names.values())[:10])}"
    )
    raise NotFound(f"no branch {name!r} in history store {store.path}; {hint}")


def _clean(value: Any) -> Any:
    """A JSON-safe scalar: NaN / NA -> None, numpy scalars -> Python."""
    if isinstance(value, list):
        return value
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    return value.item() if hasattr(value, "item") else value


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [
        {c: _clean(v) for c, v in zip(frame.columns, row)}
        for row in frame.itertuples(index=False, name=None)
    ]


def trend_records(
    store: HistoryStore, *, branch: str | None = None, months: int | None = None
) -> list[dict[str, Any]]:
    """``store.trend`` as JSON-ready rows (a branch's KPI points when ``branch`` is given)."""
    key = find_branch(store, branch) if branch is not None else None
    return _records(store.trend(branch_key=key, months=months))


def runs_records(store: HistoryStore, month: Any = None) -> list[dict[str, Any]]:
    """Every run, newest first, superseded ones included (``store.runs``)."""
    return store.runs(month)


@dataclass
class Grid:
    """A table ready to print: a title, column headers and rows of text cells."""

    title: str
    columns: list[str]
    rows: list[list[str]] = field(default_factory=list)
    note: str = ""


def _arrow(current: float | None, previous: float | None) -> str:
    return "" if current is None or previous is None else trend_arrow(current - previous)


def _previous_month(month: str) -> str:
    year, mon = int(month[:4]), int(month[5:7])
    return f"{year - (mon == 1):04d}-{(mon - 2) % 12 + 1:02d}"


def trend_grid(
    store: HistoryStore, *, branch: str | None = None, months: int | None = None
) -> Grid:
    """The trend as a table: branches x months (total, rank, arrow vs the previous month), or one
    branch's KPIs x months (points of max)."""
    if branch is not None:
        return _branch_grid(store, find_branch(store, branch), months)
    everything = store.trend()
    shown = store.trend(months=months)
    month_list = sorted(set(shown["month"]))
    if not month_list:
        return Grid(
            title="history: no months stored yet",
            columns=["网点"],
            note=f"score a month to fill {store.path}",
        )
    totals = {
        (m, k): t
        for m, k, t in everything[["month", "branch_key", "total"]].itertuples(
            index=False, name=None
        )
    }
    # itertuples rows are namedtuples built at run time: their fields are untyped.
    cells: dict[tuple[Any, Any], Any] = {
        (r.month, r.branch_key): r for r in shown.itertuples(index=False)
    }
    latest = shown[shown["month"] == month_list[-1]]
    ranked = latest.sort_values(
        ["rank", "total", "branch"], ascending=[True, False, True], na_position="last"
    )
    order = list(ranked["branch_key"]) + sorted(
        set(shown["branch_key"]) - set(latest["branch_key"])
    )
    names = store.branch_names()
    grid = Grid(
        title=f"history {month_list[0]}..{month_list[-1]}: total, rank and change vs the previous month",
        columns=["网点", *month_list],
        note="rank - = not ranked (grace month); blank = not scored that month",
    )
    for key in order:
        row = [names.get(key, key)]
        for month in month_list:
            result = cells.get((month, key))
            if result is None:
                row.append("")
                continue
            rank = f"#{int(result.rank)}" if not pd.isna(result.rank) else "#-"
            arrow = _arrow(result.total, totals.get((_previous_month(month), key)))
            row.append(f"{result.total:.2f} {rank} {arrow}".rstrip())
        grid.rows.append(row)
    return grid


def _branch_grid(store: HistoryStore, key: str, months: int | None) -> Grid:
    frame = store.trend(branch_key=key, months=months)
    month_list = sorted(set(frame["month"]))
    name = store.branch_names().get(key, key)
    grid = Grid(title=f"{name}: points per KPI and month", columns=["指标", "满分", *month_list])
    if frame.empty:
        grid.note = "no stored months in range for this branch"
        return grid
    trend = store.trend(months=months)
    ranks = trend[trend["branch_key"] == key].set_index("month")["rank"].to_dict()
    kpi_order = list(
        dict.fromkeys(
            frame.loc[frame["kpi_id"] != TOTAL_KPI_ID].sort_values(
                "month", ascending=False, kind="stable"
            )["kpi_id"]
        )
    )
    points: dict[tuple[Any, Any], Any] = {
        (r.month, r.kpi_id): r for r in frame.itertuples(index=False)
    }
    for kpi_id in [*kpi_order, TOTAL_KPI_ID]:
        latest = next(points[(m, kpi_id)] for m in reversed(month_list) if (m, kpi_id) in points)
        row = [latest.label, f"{latest.max:g}"]
        for month in month_list:
            result = points.get((month, kpi_id))
            row.append("" if result is None else f"{result.points:.2f}")
        grid.rows.append(row)
    grid.rows.append(
        [
            "排名",
            "",
            *[
                ("-" if pd.isna(ranks.get(m)) else str(int(ranks[m]))) if m in ranks else ""
                for m in month_list
            ],
        ]
    )
    return grid
