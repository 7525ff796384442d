"""``svcqa rubric init``: a starter rubric from the user's own export.

The export is read through ingest (``read_sheets``: the limits, CSV/XLSX/XLS, hidden and empty
sheets) and its table and header row found as ``score`` finds them (``recognise``,
``find_header``). Each column's type is inferred from its values with ingest's own cell parsers
(a column is a flag, number or date only when every non-blank cell reads as one, so declaring it
never rejects a row), the tickets table's required columns are mapped (or guessed, said so), and
``svcqa.rubric.starter`` writes the text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import pandas as pd

from svcqa.errors import InputError, UsageError
from svcqa.ingest.aliases import TableSpec, build_specs, load_alias_file, normalise_label
from svcqa.ingest.header import SCAN_ROWS, find_header
from svcqa.ingest.parse import (
    DATE_ORDERS,
    blank_mask,
    parse_datetime,
    parse_flag,
    parse_number,
)
from svcqa.ingest.raw import RawSheet
from svcqa.ingest.reading import read_sheets
from svcqa.ingest.recognise import recognise
from svcqa.ingest.safety.limits import Limits
from svcqa.output import write_text_atomic
from svcqa.rubric.starter import ColumnFacts, ExportFacts, starter_text
from svcqa.schema import TABLES

# Header words, best first, for the required columns a guess has to fill.
_ID_WORDS = ("id", "number", "no", "#", "编号", "单号", "code", "key")
_BRANCH_WORDS = ("branch", "agent", "team", "store", "shop", "office", "site", "department",
                 "region", "state", "group", "assignee", "owner", "网点", "部门", "门店")  # fmt: skip
_START_WORDS = ("created", "opened", "submitted", "start", "call", "received", "date", "time")
_RESERVED = {c.name for c in TABLES["tickets"].columns} | {"branch_key", "_file", "_sheet", "_row"}
_DATE_CHARS = r"(?i)[\d\s/.\-:+年月日号时分秒tzapmugc]+"
FREE_TEXT = 50  # a text column with more distinct values is declared commented out


def init_rubric(
    path: str | Path,
    *,
    sheet: str | None = None,
    aliases_file: str | Path | None = None,
    out: str | Path | None = None,
    limits: Limits | None = None,
    spool_dir: str | None = None,
) -> str:
    """The starter rubric's TOML for one export; also written (atomically) to ``out`` if given."""
    extra = load_alias_file(aliases_file) if aliases_file is not None else {}
    specs = build_specs(None, extra)
    raws, _notes = read_sheets(path, limits, spool_dir=spool_dir)
    raw = _pick_sheet(raws, specs, sheet)
    facts = describe_export(raw, specs["tickets"], _claimed_by_other(raw, specs))
    text = starter_text(facts)
    if out is not None:
        write_text_atomic(out, text)
    return text


def _pick_sheet(
    raws: Sequence[RawSheet], specs: dict[str, TableSpec], sheet: str | None
) -> RawSheet:
    """The sheet asked for, else the one read as tickets, else the one with the most rows."""
    if sheet is not None:
        found = [r for r in raws if r.sheet == sheet or (not r.sheet and sheet == "")]
        if not found:
            names = ", ".join(repr(r.sheet) for r in raws if r.sheet) or "none (a CSV file)"
            raise UsageError(f"--sheet {sheet!r} is not a visible sheet with data; sheets: {names}")
        return found[0]
    needs = {"tickets": list(TABLES["tickets"].required)}
    for raw in raws:
        candidate = recognise(raw, specs, needs, [])
        if candidate is not None and candidate.spec.name == "tickets" and not candidate.partial:
            return raw
    return max(raws, key=lambda r: r.cells.num_rows)


def _claimed_by_other(raw: RawSheet, specs: dict[str, TableSpec]) -> str:
    """The sheet (CSV: file) name when another table's sheet names would claim it."""
    name = raw.sheet or Path(raw.file).stem
    mine = specs["tickets"].sheet_match(name)
    other = max(s.sheet_match(name) for n, s in specs.items() if n != "tickets")
    return name if other > 0 and other >= mine else ""


def describe_export(raw: RawSheet, spec: TableSpec, sheet_alias: str = "") -> ExportFacts:
    """Every column of the sheet below its header row, typed from its values."""
    head = raw.head(SCAN_ROWS)
    match = find_header(head, spec)
    row = match.row if match is not None and match.score >= 2 else _generic_header(head)
    headers = [("" if c is None else str(c).strip()) for c in (head[row] if head else [])]
    mapped = {v: k for k, v in match.columns.items()} if match and match.row == row else {}
    columns: list[ColumnFacts] = []
    orders: set[str] = set()
    seen: set[str] = set()
    notes: list[str] = []
    body = raw.cells.slice(row + 1)
    for position, header in enumerate(headers):
        key = normalise_label(header)
        if not key or key in seen or position >= body.num_columns:
            if header and key in seen:
                notes.append(f"header {header!r} repeats an earlier one and is not declared")
            continue
        seen.add(key)
        values = pd.Series(body.column(position).to_pandas(), dtype="str")
        facts, order = _column_facts(header, values)
        orders |= {order} if order else set()
        if position in mapped:
            facts = _as_canonical(facts, mapped[position], "the built-in spelling")
        columns.append(facts)
    if not any(c.kind != "empty" for c in columns):
        raise InputError(
            "no data below the header row: rubric init needs rows to infer the column types",
            file=raw.file,
            sheet=raw.sheet or None,
            code="empty-sheet",
        )
    columns = _guess_required(columns, raw)
    columns = _unique_names(columns)
    date_order = "mdy" if "mdy" in orders else ("dmy" if "dmy" in orders else "ymd")
    if orders >= {"mdy", "dmy"}:
        notes.append("some dates read only month first and others only day first: check them")
    return ExportFacts(
        file=raw.file,
        sheet=raw.sheet,
        header_row=row + 1,
        rows=body.num_rows,
        columns=tuple(columns),
        date_order=date_order,
        sheet_alias=sheet_alias,
        notes=tuple(notes),
    )


def _generic_header(head: list[list[str | None]]) -> int:
    """The first row with the most non-blank, non-numeric cells (at least two)."""

    def words(row: list[str | None]) -> int:
        return sum(1 for c in row if c and c.strip() and not re.fullmatch(r"[\d.,:/ -]+", c))

    counts = [words(row) for row in head]
    best = max(counts, default=0)
    if best < 2:
        raise InputError(
            "no header row found in the first rows (a row of at least two column names)",
            code="missing-column",
        )
    return counts.index(best)


def _column_facts(header: str, values: pd.Series) -> tuple[ColumnFacts, str]:
    """The column's type from its non-blank values, and the date order it needed ("" if none)."""
    present = values[~blank_mask(values)].str.strip()
    base = ColumnFacts(header, _name(header), "empty")
    if present.empty:
        return base, ""
    counts = present.value_counts(sort=True)
    base = replace(base, distinct=len(counts), count=len(present))
    _, bad = parse_flag(present)
    if not bad.any():
        return replace(base, kind="flag", examples=tuple(sorted(map(str, counts.index)))[:8]), ""
    numbers, bad = parse_number(present)
    if not bad.any():
        return replace(
            base,
            kind="number",
            low=f"{numbers.min():g}",
            high=f"{numbers.max():g}",
            q1=float(numbers.quantile(0.25)),
            q3=float(numbers.quantile(0.75)),
        ), ""
    sample = pd.Series(counts.index[:64], dtype="str")
    for order in DATE_ORDERS if _date_like(sample) else ():
        if parse_datetime(sample, date_order=order)[1].any():
            continue  # a quick no on a few distinct values before the whole column
        stamps, bad = parse_datetime(present, date_order=order)
        if not bad.any():
            midnight = bool((stamps == stamps.dt.normalize()).all())
            shown = "%Y-%m-%d" if midnight else "%Y-%m-%d %H:%M"
            low, high = stamps.min().strftime(shown), stamps.max().strftime(shown)
            kind = "date" if midnight else "datetime"
            return replace(base, kind=kind, low=low, high=high), "" if order == "ymd" else order
    if len(counts) > FREE_TEXT:
        return replace(base, kind="text", free_text=True), ""
    return replace(base, kind="text", examples=tuple(map(str, counts.index[:5]))), ""


def _date_like(sample: pd.Series) -> bool:
    """Every value is made of digits and the characters dates are written with."""
    return bool(sample.str.fullmatch(_DATE_CHARS).all())


def _as_canonical(facts: ColumnFacts, column: str, how: str) -> ColumnFacts:
    return replace(facts, name=column, canonical=True, how=how)


def _guess_required(columns: list[ColumnFacts], raw: RawSheet) -> list[ColumnFacts]:
    """Map ticket_id, branch and accepted_at onto columns when no built-in spelling did."""
    have = {c.name for c in columns if c.canonical}
    rows = raw.cells.num_rows
    picks = {
        "accepted_at": (lambda c: c.kind in ("datetime", "date"), _START_WORDS,
                        "guessed: the first date column; the date that places a row in a month"),
        "ticket_id": (lambda c: c.kind in ("number", "text") and c.distinct >= 0.9 * c.count, _ID_WORDS,
                      "guessed: its values are (nearly) all different; duplicates are rejected"),
        "branch": (lambda c: c.kind == "text" and 2 <= c.distinct <= max(2, rows // 2),
                   _BRANCH_WORDS, "guessed: who is scored (one result per value); check it"),
    }  # fmt: skip
    for column, (fits, words, how) in picks.items():
        if column in have:
            continue
        free = [c for c in columns if not c.canonical and c.kind != "empty" and fits(c)]
        if not free:
            raise InputError(
                f"no column can be the tickets' {column}: "
                + ("rubric init needs a column of dates" if column == "accepted_at"
                   else "map one with --aliases (aliases.tickets." + column + ")"),
                file=raw.file,
                sheet=raw.sheet or None,
                code="missing-column",
            )  # fmt: skip
        chosen = _by_words(free, words)
        columns = [_as_canonical(c, column, how) if c is chosen else c for c in columns]
    return columns


def _by_words(columns: list[ColumnFacts], words: Sequence[str]) -> ColumnFacts:
    """The first column (left to right) whose header holds the earliest word, else the first."""
    for word in words:
        for column in columns:
            tokens = re.split(r"[^0-9a-z#\u4e00-\u9fff]+", column.header.casefold())
            if word in tokens or (not word.isascii() and word in column.header):
                return column
            if len(word) > 3 and word in column.header.casefold():
                return column
    return columns[0]


def _name(header: str) -> str:
    """A declared column's name from its header: lower-case ASCII words joined by _."""
    ascii_part = re.sub(r"[^0-9a-z]+", "_", header.casefold()).strip("_")
    return ascii_part if re.match(r"^[a-z][a-z0-9_]*$", ascii_part) else ""


def _unique_names(columns: list[ColumnFacts]) -> list[ColumnFacts]:
    """Names unique, never a canonical tickets column; headers without ASCII words get col_N."""
    taken: set[str] = set(_RESERVED)
    out = []
    for number, column in enumerate(columns, start=1):
        if column.canonical:
            out.append(column)
            continue
        base = (column.name or f"col_{number}")[:40]
        name, suffix = base, 2
        while name in taken:
            name, suffix = f"{base}_{suffix}", suffix + 1
        taken.add(name)
        out.append(replace(column, name=name))
    return out
