"""``ingest``: files in, ``MonthData`` out (canonical tables of used rows plus full accounting).

Steps: open the files (``open_month``); read each visible sheet once as text; recognise its table
by sheet name (or CSV file name), failing that by its headers (``recognise``); find the header
row; parse the mapped columns vectorised and reject bad rows with stable codes (``table``,
``rules``); infer the month; exclude rows outside it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from svcqa.errors import InputError, UsageError
from svcqa.ingest.aliases import TableSpec, build_specs
from svcqa.ingest.files import expand_paths, source_file
from svcqa.ingest.parse import DATE_ORDERS, LOCAL_TIME_ZONE, branch_keys
from svcqa.ingest.reading import MonthFiles, open_month
from svcqa.ingest.recognise import Candidate, choose_sheets, describe_mapping, recognise
from svcqa.ingest.rules import (
    IMPLAUSIBLE_AFTER_DAYS,
    Bounds,
    outside_month,
    outside_month_rows,
    reject_implausible_dates,
)
from svcqa.ingest.safety.limits import Limits
from svcqa.ingest.table import ParsedTable, parse_table
from svcqa.ingest.wide import widen
from svcqa.models import ROW_ISSUE_COLUMNS, Finding, Month, MonthData, TableStats
from svcqa.schema import TABLES, Column, Table

DEFAULT_REQUIRED = ("tickets", "complaints", "attendance")
# Parse order: the roster first (it decides unknown-branch for the others).
TABLE_ORDER = ("branches", *(name for name in TABLES if name != "branches"))


def ingest(
    paths: Sequence[str | Path],
    *,
    month: Month | None = None,
    required: Mapping[str, Iterable[str]] | None = None,
    extra_columns: Mapping[str, Sequence[Column]] | None = None,
    extra_aliases: Mapping[str, Mapping[str, Sequence[str]]] | None = None,
    tables: Mapping[str, Table] | None = None,
    limits: Limits | None = None,
    spool_dir: str | None = None,
    reader: str | None = None,
    timezone: str = LOCAL_TIME_ZONE,
    date_order: str = "ymd",
    bounds: Mapping[str, Bounds] | None = None,
    max_days_after_month: int = IMPLAUSIBLE_AFTER_DAYS,
) -> MonthData:
    """Read the month's exports into canonical tables; see ``docs/DESIGN.md`` for the contract.

    ``spool_dir`` and ``reader`` choose how workbooks are read (see ``open_month``);
    ``timezone`` and ``date_order`` how date text is read (see ``parse.parse_datetime``).
    """
    with open_month(paths, limits, spool_dir=spool_dir, reader=reader) as files:
        return read_month(
            files,
            month=month,
            required=required,
            extra_columns=extra_columns,
            extra_aliases=extra_aliases,
            tables=tables,
            timezone=timezone,
            date_order=date_order,
            bounds=bounds,
            max_days_after_month=max_days_after_month,
        )


def read_month(
    files: MonthFiles,
    *,
    month: Month | None = None,
    required: Mapping[str, Iterable[str]] | None = None,
    extra_columns: Mapping[str, Sequence[Column]] | None = None,
    extra_aliases: Mapping[str, Mapping[str, Sequence[str]]] | None = None,
    tables: Mapping[str, Table] | None = None,
    timezone: str = LOCAL_TIME_ZONE,
    date_order: str = "ymd",
    bounds: Mapping[str, Bounds] | None = None,
    max_days_after_month: int = IMPLAUSIBLE_AFTER_DAYS,
) -> MonthData:
    """``ingest`` of files already opened with ``open_month`` (whose reader may be under way).

    ``bounds``: table -> column -> (low, high, the rubric key that sets them); a value outside
    is an out-of-range reject. ``max_days_after_month``: a later date is implausible-date.
    ``tables``: declared tables and canonical ones with another layout, as the rubric's
    [tables.NAME] builds them (``wide`` melts a wide sheet of such a table).
    """
    if date_order not in DATE_ORDERS:
        raise UsageError(f"date_order must be one of {', '.join(DATE_ORDERS)}, not {date_order!r}")
    _check_time_zone(timezone)
    specs = build_specs(extra_columns, extra_aliases, tables)
    if required is None:
        required = {name: TABLES[name].required for name in DEFAULT_REQUIRED}
    unknown = sorted(set(required) - set(specs))
    if unknown:
        raise UsageError(
            f"required table(s) {', '.join(unknown)} are neither canonical nor declared"
        )
    needs = {
        name: list(dict.fromkeys([*specs[name].table.required, *cols]))
        for name, cols in required.items()
    }
    paths, notes = expand_paths(files.paths)
    sources = [source_file(p) for p in paths]

    candidates: dict[str, list[Candidate]] = {}
    seen: list[str] = []
    for path in paths:
        for raw in files.sheets(path, notes):
            seen.append(raw.where)
            candidate = recognise(raw, specs, needs, notes)
            if candidate is not None and candidate.spec.table.layout == "wide":
                candidate = widen(candidate, month, notes)
            if candidate is not None:
                candidates.setdefault(candidate.spec.name, []).append(candidate)

    chosen = choose_sheets(candidates, specs, needs, seen, notes)
    dates = {"timezone": timezone, "date_order": date_order}
    parsed = _parse_tables(chosen, specs, needs, dates, bounds or {})

    month_source = "option"
    if month is None:
        month = _infer_month(parsed)
        month_source = "inferred"
        notes.append(
            Finding(
                "month-inferred",
                f"month {month} inferred from the dates of the rows (the month most of the dated rows fall in); pass --month to set it",
            )
        )
    data = _account(parsed, needs, month, month_source, notes, sources, max_days_after_month)
    data.mapping = describe_mapping(chosen, needs)
    return data


def _check_time_zone(name: str) -> None:
    """An IANA zone name (the rubric checks its own key; this guards library callers)."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise UsageError(
            f"unknown time zone {name!r}: give an IANA name such as Asia/Shanghai or Europe/London"
        ) from None


def _parse_tables(
    chosen: Mapping[str, list[Candidate]],
    specs: Mapping[str, TableSpec],
    needs: Mapping[str, list[str]],
    dates: Mapping[str, str],
    bounds: Mapping[str, Bounds],
) -> dict[str, ParsedTable]:
    """Every chosen table parsed, the roster first; a needed table without data rows fails."""
    roster_keys: set[str] | None = None
    parsed: dict[str, ParsedTable] = {}
    for name in [*TABLE_ORDER, *(n for n in chosen if n not in TABLE_ORDER)]:
        if name not in chosen:
            continue
        table = parse_table(chosen[name], specs[name], roster_keys, dates, bounds.get(name))
        parsed[name] = table
        if name == "branches":
            roster_keys = set(table.frame.loc[~table.taken, "branch_key"].dropna())
        if name in needs and table.rows == 0:
            cand = chosen[name][0]
            raise InputError(
                f"the {specs[name].table.label} ({name}) sheet has a header but no data rows",
                file=cand.raw.file,
                sheet=cand.raw.sheet or None,
                code="empty-sheet",
            )
    return parsed


def _account(
    parsed: Mapping[str, ParsedTable],
    needs: Mapping[str, list[str]],
    month: Month,
    month_source: str,
    notes: list[Finding],
    sources: list,
    max_days_after_month: int,
) -> MonthData:
    """The month's used rows per table, with every row accounted for (used, excluded, rejected)."""
    tables: dict[str, pd.DataFrame] = {}
    stats: dict[str, TableStats] = {}
    rejects: list[pd.DataFrame] = []
    excluded: list[pd.DataFrame] = []
    excluded_months: dict[str, dict[str, int]] = {}
    for name, table in parsed.items():
        reject_implausible_dates(table, month, max_days_after_month)
        outside = outside_month(table, month)
        used = ~table.taken & ~outside
        tables[name] = table.output(used)
        rejects.extend(table.issues)
        if outside.any():
            excluded.append(outside_month_rows(table, outside, month))
            excluded_months[name] = _months_of(table, outside)
        n_excluded = int(outside.sum())
        stats[name] = TableStats(
            rows=table.rows,
            used=int(used.sum()),
            excluded=n_excluded,
            rejected=table.rows - int(used.sum()) - n_excluded,
        )
    _require_rows_in_month(parsed, stats, needs, month)
    return MonthData(
        month=month,
        month_source=month_source,
        tables=tables,
        stats=stats,
        rejects=_issues_frame(rejects),
        excluded=_issues_frame(excluded),
        notes=notes,
        sources=sources,
        branch_names=_branch_names(tables),
        excluded_months=excluded_months,
    )


def _months_of(table: ParsedTable, rows: np.ndarray) -> dict[str, int]:
    """Rows per calendar month ("YYYY-MM", in order) of the table's month column, for ``rows``."""
    column = table.spec.table.month_column
    stamps = table.frame.loc[rows, column]
    counts = (stamps.dt.year * 100 + stamps.dt.month).value_counts().sort_index()
    return {f"{p // 100}-{p % 100:02d}": int(n) for p, n in counts.items()}


# ---------------------------------------------------------------- month, names, frames


def _infer_month(parsed: Mapping[str, ParsedTable]) -> Month:
    """The month holding most ticket acceptance dates (else most dates of any dated table)."""
    order = ["tickets", *(name for name in parsed if name != "tickets")]
    for name in order:
        table = parsed.get(name)
        column = table.spec.table.month_column if table else None
        if table is None or not column or column not in table.frame:
            continue
        stamps = table.frame.loc[~table.taken, column].dropna()
        if stamps.empty:
            continue
        periods = stamps.dt.year * 100 + stamps.dt.month
        counts = periods.value_counts()
        top = int(counts.sort_index(ascending=False).idxmax())  # ties: the later month
        return Month(top // 100, top % 100)
    raise InputError(
        "cannot infer the month: no dated rows were read; pass --month YYYY-MM", code="no-month"
    )


def _require_rows_in_month(
    parsed: Mapping[str, ParsedTable],
    stats: Mapping[str, TableStats],
    needs: Mapping[str, Sequence[str]],
    month: Month,
) -> None:
    """Refuse a month in which none of the dated rows the rubric scores fall (a wrong --month):
    scored, every branch would get full marks for "no data" and a ranking by nothing."""
    for name in ["tickets", *(n for n in parsed if n != "tickets")]:
        table = parsed.get(name)
        column = table.spec.table.month_column if table else None
        if table is None or name not in needs or not column or column not in table.frame:
            continue
        if stats[name].used or not stats[name].excluded:
            return  # the table that decides the month has rows in it (or none dated at all)
        stamps = table.frame.loc[~table.taken, column].dropna()
        counts = (stamps.dt.year * 100 + stamps.dt.month).value_counts()
        counts = counts.sort_values(ascending=False, kind="stable")
        where = ", ".join(f"{n:,} in {p // 100}-{p % 100:02d}" for p, n in counts.items())
        where = where.replace(" in ", " fall in ", 1)
        best = int(counts.index[0])
        label = table.spec.table.label
        raise InputError(
            f"no {name} ({label}) row falls in {month}: {where} — pass --month "
            f"{best // 100}-{best % 100:02d}",
            code="no-rows-in-month",
        )


def _branch_names(tables: Mapping[str, pd.DataFrame]) -> dict[str, str]:
    """branch_key -> display name: the roster's spelling, else the spelling most rows use."""
    names: dict[str, str] = {}
    # The key is a function of the spelling: count each spelling once per table, then key the
    # few hundred distinct spellings instead of a million rows.
    counted = [
        t["branch"].value_counts()
        for name, t in tables.items()
        if name != "branches" and "branch_key" in t
    ]
    if counted:
        counts = pd.concat(counted).groupby(level=0).sum()
        spellings = pd.Series(counts.index, dtype="str")
        both = pd.DataFrame(
            {
                "branch_key": branch_keys(spellings).to_numpy(),
                "branch": spellings.to_numpy(),
                "n": counts.to_numpy(),
            }
        ).dropna()
        if not both.empty:
            best = both.sort_values(
                ["branch_key", "n", "branch"], ascending=[True, False, True]
            ).drop_duplicates("branch_key")
            names.update(zip(best["branch_key"], best["branch"]))
    roster = tables.get("branches")
    if roster is not None and "branch_key" in roster:
        listed = roster.dropna(subset=["branch_key"]).drop_duplicates("branch_key")
        names.update(zip(listed["branch_key"], listed["branch"]))
    return names


def _issues_frame(parts: list[pd.DataFrame]) -> pd.DataFrame:
    if not parts:
        frame = pd.DataFrame({c: pd.Series(dtype=object) for c in ROW_ISSUE_COLUMNS})
        frame["row"] = frame["row"].astype("int64")
        return frame
    frame = pd.concat(parts, ignore_index=True)[ROW_ISSUE_COLUMNS]
    frame["row"] = frame["row"].astype("int64")
    return frame.sort_values(["table", "file", "sheet", "row"], kind="stable").reset_index(
        drop=True
    )
