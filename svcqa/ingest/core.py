"""``ingest``: files in, ``MonthData`` out (canonical tables of used rows plus full accounting).

Steps: expand and sniff the paths; read each visible sheet once as text; recognise its table by
sheet name (or CSV file name), failing that by its headers; find the header row; parse the mapped
columns vectorised; reject bad rows with stable codes; infer the month; exclude rows outside it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import numpy as np
import pandas as pd
import pyarrow as pa

from svcqa.errors import InputError
from svcqa.ingest.aliases import TableSpec, build_specs, normalise_label
from svcqa.ingest.header import SCAN_ROWS, HeaderMatch, find_header
from svcqa.ingest.limits import Limits
from svcqa.ingest.parse import PARSERS, arrow_blank, blank_mask, branch_keys, id_codes, parse_enum
from svcqa.ingest.reader import (
    RawSheet,
    ReadAhead,
    Workbook,
    expand_paths,
    read_csv,
    sniff,
    source_file,
)
from svcqa.models import ROW_ISSUE_COLUMNS, Finding, Month, MonthData, TableStats
from svcqa.schema import TABLES, Column

DEFAULT_REQUIRED = ("tickets", "complaints", "attendance")
# Parse order: the roster first (it decides unknown-branch for the others).
TABLE_ORDER = ("branches", *(name for name in TABLES if name != "branches"))
BAD_CODES = {
    "datetime": "bad-date",
    "date": "bad-date",
    "number": "bad-number",
    "duration": "bad-number",
    "flag": "bad-flag",
}
TYPE_WORDS = {
    "datetime": "a date/time",
    "date": "a date",
    "number": "a number",
    "duration": "a duration",
    "flag": "a yes/no flag (是/否, Y/N, 1/0)",
}


@dataclass
class Candidate:
    """A sheet assigned to a table, with its header match (None when no header cell matched)."""

    raw: RawSheet
    spec: TableSpec
    match: HeaderMatch | None
    by: str  # "name" or "headers"

    def missing(self, needed: Iterable[str]) -> list[str]:
        have = self.match.columns if self.match else {}
        return [c for c in needed if c not in have]


def ingest(
    paths: Sequence[str | Path],
    *,
    month: Month | None = None,
    required: Mapping[str, Iterable[str]] | None = None,
    extra_columns: Mapping[str, Sequence[Column]] | None = None,
    extra_aliases: Mapping[str, Mapping[str, Sequence[str]]] | None = None,
    limits: Limits | None = None,
    ahead: ReadAhead | None = None,
) -> MonthData:
    """Read the month's exports into canonical tables; see ``docs/DESIGN.md`` for the contract.

    ``ahead`` holds workbooks whose reading ``read_ahead`` started earlier (same paths, limits).
    """
    limits = limits or Limits()
    specs = build_specs(extra_columns, extra_aliases)
    if required is None:
        required = {name: TABLES[name].required for name in DEFAULT_REQUIRED}
    needs = {
        name: list(dict.fromkeys([*TABLES[name].required, *cols]))
        for name, cols in required.items()
    }
    files, notes = expand_paths(paths)
    sources = [source_file(p) for p in files]

    candidates: dict[str, list[Candidate]] = {}
    seen: list[str] = []
    for path in files:
        for raw in _read_file(path, limits, notes, ahead.take(path) if ahead else None):
            seen.append(raw.where)
            candidate = _recognise(raw, specs, needs, notes)
            if candidate is not None:
                candidates.setdefault(candidate.spec.name, []).append(candidate)

    chosen = _choose(candidates, specs, needs, seen, notes)
    roster_keys: set[str] | None = None
    parsed: dict[str, _Parsed] = {}
    for name in TABLE_ORDER:
        if name not in chosen:
            continue
        table = _parse_table(chosen[name], specs[name], roster_keys)
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

    month_source = "option"
    if month is None:
        month = _infer_month(parsed)
        month_source = "inferred"
        notes.append(
            Finding(
                "month-inferred",
                f"month {month} inferred from the dates of the rows (most ticket acceptances); pass --month to set it",
            )
        )

    tables: dict[str, pd.DataFrame] = {}
    stats: dict[str, TableStats] = {}
    rejects: list[pd.DataFrame] = []
    excluded: list[pd.DataFrame] = []
    for name, table in parsed.items():
        outside = table.exclude_outside(month)
        used = ~table.taken & ~outside
        tables[name] = table.output(used)
        rejects.extend(table.issues)
        if outside.any():
            excluded.append(table.outside_frame(outside, month))
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
    )


# ---------------------------------------------------------------- reading and recognising


def read_sheets(
    path: str | Path, limits: Limits | None = None
) -> tuple[list[RawSheet], list[Finding]]:
    """The non-empty visible sheets of one file as text grids, with notes on what was skipped.

    The lower-level half of ``ingest`` (no table recognition): use it to inspect files that are
    not svcqa months. Raises ``InputError`` for unreadable files and when nothing is left.
    """
    notes: list[Finding] = []
    return _read_file(Path(path), limits or Limits(), notes), notes


def _read_file(
    path: Path, limits: Limits, notes: list[Finding], book: Workbook | None = None
) -> list[RawSheet]:
    """Every non-empty visible sheet of one file; ``book`` is the workbook already opened (and
    being read) by ``read_ahead``, else the file is sniffed and opened here."""
    if book is None and sniff(path, limits) == "csv":
        raw = read_csv(path, limits)
        if raw.cells.num_rows == 0 or raw.cells.num_columns == 0:
            raise InputError("the CSV file has no rows", file=path.name, code="empty-sheet")
        return [raw]
    book = book or Workbook(path, limits)
    try:
        return _read_workbook(book, limits, notes)
    finally:
        book.close()  # stops a reader child whose sheets were not all taken


def _read_workbook(book: Workbook, limits: Limits, notes: list[Finding]) -> list[RawSheet]:
    path = book.path
    if len(book.sheets) > limits.max_total_sheets:
        raise limits.exceeded(
            "max_total_sheets", f"the workbook has {len(book.sheets):,} sheets", file=path.name
        )
    sheets: list[RawSheet] = []
    scanned = 0
    empty = 0
    loaded = book.load_many(book.visible_names)
    for info in book.sheets:
        if not info.visible:
            notes.append(
                Finding(
                    "hidden-sheet",
                    f"hidden sheet {info.name!r} skipped",
                    file=path.name,
                    sheet=info.name,
                )
            )
            continue
        raw = next(loaded)
        if raw.cells.num_rows == 0 or raw.cells.num_columns == 0:
            empty += 1
            if empty <= 20:  # a workbook of 1,000 blank sheets needs one line, not 1,000
                notes.append(
                    Finding(
                        "empty-sheet",
                        f"sheet {info.name!r} is empty",
                        file=path.name,
                        sheet=info.name,
                    )
                )
            continue
        # Only sheets with content count: empty ones cost little and are common in templates.
        scanned += 1
        if scanned > limits.max_sheets:
            raise limits.exceeded(
                "max_sheets",
                f"the workbook has more than {limits.max_sheets} non-empty sheets",
                file=path.name,
            )
        sheets.append(raw)
    if empty > 20:
        notes.append(
            Finding("empty-sheet", f"{empty - 20} more empty sheets skipped", file=path.name)
        )
    if book.uncalculated:
        notes.append(
            Finding(
                "formulas-not-calculated",
                "the workbook was saved without calculated formula values (fullCalcOnLoad, as "
                "openpyxl and other libraries write): formula cells read as blank. Open it in "
                "Excel/WPS and save it to store the values",
                file=path.name,
            )
        )
    if book.date1904:
        notes.append(
            Finding(
                "date-1904",
                "the workbook uses the 1904 date system; serial dates read accordingly",
                file=path.name,
            )
        )
    if not sheets:
        names = ", ".join(repr(s.name) for s in book.sheets) or "none"
        raise InputError(
            f"the workbook has no data: every visible sheet is empty (sheets: {names})",
            file=path.name,
            code="empty-sheet",
        )
    return sheets


def _recognise(
    raw: RawSheet, specs: dict[str, TableSpec], needs: Mapping[str, list[str]], notes: list[Finding]
) -> Candidate | None:
    """Table by sheet name (CSV: file name), else the table whose required headers match best."""
    name = raw.sheet or Path(raw.file).stem
    by_name = max(specs.values(), key=lambda s: s.sheet_match(name))
    head = raw.head(SCAN_ROWS)
    if by_name.sheet_match(name) > 0:
        return Candidate(raw, by_name, find_header(head, by_name), "name")
    best: Candidate | None = None
    best_score = 0  # best's header score, read only once best is set
    for spec in specs.values():
        match = find_header(head, spec)
        if match is None:
            continue
        candidate = Candidate(raw, spec, match, "headers")
        needed = needs.get(spec.name) or list(spec.table.required)
        if candidate.missing(needed) or match.score < 2:
            continue
        if best is None or match.score > best_score:
            best, best_score = candidate, match.score
    if best is None:
        notes.append(
            Finding(
                "sheet-ignored",
                f"{raw.where} not used: its name and headers match no table",
                file=raw.file,
                sheet=raw.sheet,
            )
        )
        return None
    notes.append(
        Finding(
            "table-by-headers",
            f"{raw.where} read as {best.spec.table.label} ({best.spec.name}) from its headers",
            file=raw.file,
            sheet=raw.sheet,
        )
    )
    return best


def _choose(
    candidates: dict[str, list[Candidate]],
    specs: dict[str, TableSpec],
    needs: Mapping[str, list[str]],
    seen: list[str],
    notes: list[Finding],
) -> dict[str, list[Candidate]]:
    """Keep the sheets that carry each table's required columns; raise for what is missing."""
    chosen: dict[str, list[Candidate]] = {}
    for name, found in candidates.items():
        spec = specs[name]
        needed = needs.get(name) or list(spec.table.required)
        good = [c for c in found if not c.missing(needed)]
        if not good:
            raise _missing_column(found[0], needed)
        for bad in found:
            if bad not in good:
                notes.append(
                    Finding(
                        "sheet-ignored",
                        f"{bad.raw.where} not used for {spec.table.label}: no column for "
                        + ", ".join(spec.column(c).label or c for c in bad.missing(needed)),
                        file=bad.raw.file,
                        sheet=bad.raw.sheet,
                    )
                )
        if len(good) > 1:
            notes.append(
                Finding(
                    "table-merged",
                    f"{spec.table.label} ({name}) read from {len(good)} sheets: "
                    + "; ".join(c.raw.where for c in good),
                )
            )
        for cand in good:
            for column, header, position in cand.match.duplicates if cand.match else ():
                notes.append(
                    Finding(
                        "duplicate-header",
                        f"{cand.raw.where}: header {header!r} (column {_letters(position)}) also maps to "
                        f"{spec.column(column).label or column}; the first matching column is used",
                        file=cand.raw.file,
                        sheet=cand.raw.sheet,
                        column=header,
                    )
                )
        chosen[name] = good
    for name in needs:
        if name not in chosen:
            spec = specs[name]
            raise InputError(
                f"no {spec.table.label} ({name}) table: expected a sheet named like "
                f"{', '.join(spec.sheet_aliases)} (or one whose headers match its columns); "
                f"sheets found: {'; '.join(seen) or 'none'}",
                code="missing-table",
            )
    return chosen


def _missing_column(cand: Candidate, needed: list[str]) -> InputError:
    reasons = []
    for column_name in cand.missing(needed):
        column = cand.spec.column(column_name)
        expected = list(dict.fromkeys([*column.aliases, column.name]))
        reasons.append(
            f"no column for {column.label or column.name} ({column.name}); expected one of {', '.join(expected)}"
        )
    if cand.match is not None:
        headers = [h for h in cand.match.headers if h]
        where = f"header row {cand.match.row + 1}"
    else:
        head = cand.raw.head(SCAN_ROWS)
        first = next((row for row in head if any(c and str(c).strip() for c in row)), [])
        headers = [str(c).strip() for c in first if c and str(c).strip()]
        where = "no header row recognised; first row"
    message = f"{reasons[0]}; found headers ({where}): {', '.join(headers) or 'none'}"
    return InputError(
        message,
        file=cand.raw.file,
        sheet=cand.raw.sheet or None,
        code="missing-column",
        reasons=reasons[1:],
    )


def _letters(index: int) -> str:
    text = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        text = chr(65 + rest) + text
    return text


# ---------------------------------------------------------------- parsing and checking


class _Parsed:
    """One table's rows across its sheets: parsed values, the raw text, and the row verdicts."""

    def __init__(
        self,
        spec: TableSpec,
        frame: pd.DataFrame,
        raw_text: dict[str, pd.Series],
        display: dict[str, pd.Series],
    ):
        self.spec = spec
        self.frame = frame  # canonical columns + branch_key + _file/_sheet/_row
        self.raw_text = raw_text  # column -> cell text as read
        self.display = display  # column -> "label (header)" per row
        self.rows = len(frame)
        self.taken = np.zeros(self.rows, dtype=bool)  # rejected
        self.issues: list[pd.DataFrame] = []

    def reject(
        self,
        hit: np.ndarray,
        code: str,
        column: str | None,
        reason: pd.Series | str | Callable[[np.ndarray], pd.Series],
        value: pd.Series | str | None = None,
    ) -> None:
        """Reject the rows in ``hit`` not already rejected (the first problem of a row is its reason).

        ``reason`` may be a function of the final mask returning one reason per rejected row:
        messages are then built for the few rejected rows, not formatted for a million rows and
        thrown away.
        """
        hit = hit & ~self.taken
        if not hit.any():
            return
        self.taken |= hit
        reasons = np.asarray(reason(hit), dtype=object) if callable(reason) else reason
        rows = self.frame.loc[hit]
        if value is None:
            value = self.raw_text[column][hit].fillna("") if column else ""
        elif isinstance(value, pd.Series):
            value = value[hit]
        self.issues.append(
            pd.DataFrame(
                {
                    "table": self.spec.name,
                    "file": rows["_file"].to_numpy(),
                    "sheet": rows["_sheet"].to_numpy(),
                    "row": rows["_row"].to_numpy(),
                    "column": self.display[column][hit].to_numpy() if column else "",
                    "value": np.asarray(value, dtype=object)
                    if isinstance(value, pd.Series)
                    else value,
                    "code": code,
                    "reason": reasons[hit].to_numpy()
                    if isinstance(reasons, pd.Series)
                    else reasons,
                }
            )
        )

    def exclude_outside(self, month: Month) -> np.ndarray:
        column = self.spec.table.month_column
        if not column or column not in self.frame:
            return np.zeros(self.rows, dtype=bool)
        stamps = self.frame[column]
        inside = (stamps >= month.start) & (stamps < month.end)
        return (~self.taken & stamps.notna().to_numpy() & ~inside.to_numpy()).astype(bool)

    def outside_frame(self, outside: np.ndarray, month: Month) -> pd.DataFrame:
        column = self.spec.table.month_column
        assert column is not None
        rows = self.frame.loc[outside]
        label = self.spec.column(column).label or column
        when = rows[column].dt.strftime("%Y-%m-%d %H:%M").str.removesuffix(" 00:00")
        return pd.DataFrame(
            {
                "table": self.spec.name,
                "file": rows["_file"].to_numpy(),
                "sheet": rows["_sheet"].to_numpy(),
                "row": rows["_row"].to_numpy(),
                "column": self.display[column][outside].to_numpy(),
                "value": self.raw_text[column][outside].fillna("").to_numpy(dtype=object),
                "code": "outside-month",
                "reason": (f"{label} " + when + f" is outside {month}").to_numpy(dtype=object),
            }
        )

    def output(self, used: np.ndarray) -> pd.DataFrame:
        """The used rows; column by column, two at a time for long tables (``_each_column``):
        ``frame.loc[used]`` filters one column after the other, 0.1 s at a million tickets."""
        columns = _each_column(
            lambda name: self.frame[name].array[used], list(self.frame.columns), len(used)
        )
        frame = pd.DataFrame(columns, copy=False)
        frame["_row"] = frame["_row"].astype("int64")
        return frame


def _sheet_columns(
    cand: Candidate, spec: TableSpec
) -> tuple[dict[str, pd.Series], dict[str, pd.Series], pd.DataFrame, dict[str, np.ndarray]]:
    """The mapped columns of one sheet's data rows as text, blank rows dropped, plus error cells."""
    raw, match = cand.raw, cand.match
    assert match is not None
    start = match.row + 1
    data = raw.cells.slice(start)
    n = data.num_rows
    blank = _blank_rows(data)
    for row, _col, _ in raw.errors:
        if row >= start:
            blank[row - start] = False
    keep = ~blank
    numbers = (
        raw.row_numbers[start : start + n]
        if raw.row_numbers is not None
        else np.arange(start, start + n) + 1
    )
    rows = numbers[keep]  # Excel row numbers (CSV: first line of the record)
    kept = data if keep.all() else data.filter(pa.array(keep))  # one Arrow pass, not one per column
    text: dict[str, pd.Series] = {}
    display: dict[str, pd.Series] = {}
    for name, position in match.columns.items():
        series = kept.column(str(position)).to_pandas()
        text[name] = series.astype("str") if series.dtype != "str" else series
        column = spec.column(name)
        header = match.headers[position]
        label = column.label or column.name
        shown = (
            label if normalise_label(header) == normalise_label(label) else f"{label} ({header})"
        )
        display[name] = _constant(shown, int(keep.sum()))
    if "branch" in text:
        text["branch"] = _fill_merged(raw, match.columns["branch"], text["branch"], start, keep)
    positions = {pos: name for name, pos in match.columns.items()}
    error_detail: dict[str, np.ndarray] = {}
    kept_rows = np.arange(start, start + n)[keep]
    for row, col, detail in raw.errors:
        if row < start or col not in positions:
            continue
        idx = int(np.searchsorted(kept_rows, row))
        name = positions[col]
        arr = error_detail.setdefault(name, np.full(len(kept_rows), None, dtype=object))
        arr[idx] = detail
    source = pd.DataFrame({"_file": raw.file, "_sheet": raw.sheet, "_row": rows.astype("int64")})
    return text, display, source, error_detail


def _blank_rows(data: pa.Table) -> np.ndarray:
    """Rows whose every cell is blank. After the first column only the rows still blank are
    looked at: in a table, few rows are blank in one column, so the other columns are checked
    on a handful of rows instead of each in full (a tenth of a second on a million rows)."""
    blank = np.ones(data.num_rows, dtype=bool)
    for column in data.columns:
        rows = np.flatnonzero(blank)
        if rows.size == 0:
            break
        blank[rows] = arrow_blank(column if rows.size == data.num_rows else column.take(rows))
    return blank


def _constant(text: str, count: int) -> pd.Series:
    """One text repeated ``count`` times, as a categorical: a byte per row instead of an object
    pointer, so labelling every row of a million-row column costs nothing."""
    return pd.Series(
        pd.Categorical.from_codes(np.zeros(count, dtype=np.int8), categories=pd.Index([text]))
    )


def _concat(parts: list[pd.Series]) -> pd.Series:
    """The sheets' parts as one series indexed 0..n-1 (one sheet, the usual case: no copy)."""
    return parts[0] if len(parts) == 1 else pd.concat(parts, ignore_index=True)


def _error_column(parts: list[np.ndarray | None], counts: list[int]) -> np.ndarray | None:
    """A column's Excel error texts over all sheets (None per clean row); None when no sheet
    has an error cell in the column, the usual case, so no million-row scan is needed."""
    if all(part is None for part in parts):
        return None
    return np.concatenate(
        [np.full(n, None, dtype=object) if part is None else part for part, n in zip(parts, counts)]
    )


def _fill_merged(
    raw: RawSheet, position: int, series: pd.Series, start: int, keep: np.ndarray
) -> pd.Series:
    """Policy for merged label cells: a vertical merge in the branch (网点) column means every
    row it spans belongs to that branch, so the value is filled down. Other columns are not
    filled (a blank under a merge there stays blank and is judged like any blank).

    Merge information costs a second parse, so it is read only when the column has blanks.
    """
    blank = blank_mask(series)
    if not blank.any():
        return series
    ranges = [
        (r0, r1)
        for r0, c0, r1, c1 in raw.merged_ranges()
        if c0 <= position <= c1 and r1 > r0 and r0 >= start  # merges in the data, not the header
    ]
    if not ranges:
        return series
    kept_rows = np.arange(start, start + len(keep))[keep]  # sheet row (0-based) per series item
    column = raw.cells.column(str(position)) if position < raw.cells.num_columns else None
    if column is None:
        return series
    filled = series.copy()
    for r0, r1 in ranges:
        top = column[r0].as_py() if r0 < raw.cells.num_rows else None
        if top is None or not str(top).strip():
            continue
        lo, hi = np.searchsorted(kept_rows, [max(r0, start), r1 + 1])
        span = np.arange(lo, hi)
        span = span[blank[span]]
        if span.size:
            filled.iloc[span] = top
    return filled


def _parse_table(cands: list[Candidate], spec: TableSpec, roster_keys: set[str] | None) -> _Parsed:
    texts: dict[str, list[pd.Series]] = {}
    displays: dict[str, list[pd.Series]] = {}
    errors: dict[str, list[np.ndarray | None]] = {}
    sources = []
    date1904: list[np.ndarray] = []
    mapped = [
        c.name
        for c in spec.columns
        if any(c.name in cand.match.columns for cand in cands if cand.match)
    ]
    for cand in cands:
        text, display, source, cell_errors = _sheet_columns(cand, spec)
        count = len(source)
        sources.append(source)
        date1904.append(np.full(count, cand.raw.date1904))
        for name in mapped:
            texts.setdefault(name, []).append(
                text.get(name, pd.Series(None, index=range(count), dtype="str"))
            )
            displays.setdefault(name, []).append(
                display.get(name, _constant(spec.column(name).label or name, count))
            )
            errors.setdefault(name, []).append(cell_errors.get(name))
    frame = pd.concat(sources, ignore_index=True)
    raw_text = {name: _concat(parts) for name, parts in texts.items()}
    display = {name: _concat(parts) for name, parts in displays.items()}
    counts = [len(source) for source in sources]
    error_cells = {name: _error_column(parts, counts) for name, parts in errors.items()}
    is1904 = np.concatenate(date1904) if date1904 else np.zeros(0, dtype=bool)
    table = _Parsed(spec, frame, raw_text, display)
    required = set(spec.table.required)
    id_column = spec.table.id_column
    parsed = _each_column(
        lambda name: _parse_column(
            spec.column(name), raw_text[name], is1904, name in required, name == id_column
        ),
        mapped,
        len(frame),
    )
    values = {name: result.values for name, result in parsed.items()}
    bad = {name: result.bad for name, result in parsed.items()}

    # 1. Excel error cells (#DIV/0!, #N/A ...) in a mapped column.
    for name in mapped:
        error_texts = error_cells[name]
        if error_texts is None:
            continue
        hit = np.not_equal(error_texts, np.array(None, dtype=object))  # elementwise "is not None"
        if hit.any():
            label = spec.column(name).label or name
            table.reject(
                hit,
                "error-cell",
                name,
                f"{label} holds an Excel error value; fix the formula or the cell",
                pd.Series(error_texts).fillna(""),
            )
    # 2. Required values missing.
    needed = [c for c in spec.table.required if c in mapped]
    for name in needed:
        hit = parsed[name].blank
        assert hit is not None  # _parse_column marks the blanks of every required column
        label = spec.column(name).label or name
        table.reject(hit, "missing-value", name, f"{label} is empty; it is required", "")
    # 3. Values that cannot be read.
    for name in mapped:
        column = spec.column(name)
        if not bad[name].any():
            continue
        label = column.label or name
        if column.type == "enum":
            allowed = ", ".join(
                dict.fromkeys(s for spellings in column.values.values() for s in spellings[:2])
            )
            code = "unknown-" + name.replace("_", "-")
            before, after = f"{label} ", f" is not a known value (expected one of {allowed})"
        else:
            code = BAD_CODES.get(column.type, "bad-value")
            before = f"cannot read {label} "
            after = f" as {TYPE_WORDS.get(column.type, column.type)}"
        table.reject(bad[name], code, name, _quoted_reason(raw_text[name], before, after))
    # 4. Table-specific consistency: completion before acceptance.
    if spec.name == "tickets" and {"accepted_at", "completed_at"} <= set(values):
        accepted, completed = values["accepted_at"], values["completed_at"]
        hit = (completed < accepted).fillna(False).to_numpy(dtype=bool)
        if hit.any():

            def before_acceptance(rows: np.ndarray) -> pd.Series:
                fmt = "%Y-%m-%d %H:%M"
                return (
                    "完成时间 "
                    + completed[rows].dt.strftime(fmt)
                    + " is before 受理时间 "
                    + accepted[rows].dt.strftime(fmt)
                )

            table.reject(hit, "completed-before-accepted", "completed_at", before_acceptance)
    # 5. Unknown branches, when a roster is the authority.
    keys = parsed["branch"].keys if "branch" in parsed else None
    if keys is not None and roster_keys is not None and spec.name != "branches":
        hit = (~keys.isin(roster_keys) & keys.notna()).to_numpy(dtype=bool)
        reason = _quoted_reason(raw_text["branch"], "网点 ", " is not in the roster (网点名单)")
        table.reject(hit, "unknown-branch", "branch", reason)
    # 6. Duplicate ids: the first valid row is kept, later ones rejected.
    if id_column and id_column in parsed:
        ids = parsed[id_column].id_codes
        assert ids is not None  # _parse_column numbers the values of the id column
        codes = np.where(table.taken, -1, ids)
        repeated = pd.Series(codes).duplicated(keep="first").to_numpy()
        dup = repeated & (codes >= 0)
        if dup.any():
            firsts = np.flatnonzero(~repeated & (codes >= 0))
            first_of = np.full(int(codes.max()) + 1, -1, dtype=np.int64)
            first_of[codes[firsts]] = firsts
            at = first_of[codes[dup]]
            kept = frame.iloc[at]
            where = (
                kept["_file"].to_numpy(dtype=object)
                + np.where(
                    kept["_sheet"].to_numpy(dtype=object) != "",
                    " '" + kept["_sheet"].to_numpy(dtype=object) + "'",
                    "",
                )
                + " row "
                + kept["_row"].astype(str).to_numpy(dtype=object)
            )
            label = spec.column(id_column).label or id_column
            dup_reason = pd.Series("", index=frame.index, dtype=object)
            dup_reason[dup] = (
                f"duplicate {label} "
                + raw_text[id_column][dup].fillna("").str.strip().to_numpy(dtype=object)
                + ": first seen in "
                + where
                + " (kept)"
            )
            table.reject(dup, "duplicate-id", id_column, dup_reason)

    out = pd.DataFrame(index=frame.index)
    for column in spec.columns:
        if column.name in values:
            out[column.name] = values[column.name]
    if keys is not None:
        out["branch_key"] = keys
    if spec.name == "complaints" and "is_valid" not in out:
        out["is_valid"] = pd.array(np.ones(len(out), dtype=bool), dtype="boolean")
    for name in ("_file", "_sheet", "_row"):
        out[name] = frame[name]
    table.frame = out
    return table


@dataclass
class _Column:
    """One mapped column parsed: typed values, cells that could not be read, blank cells (for a
    required column), the matching keys (branch column) and an integer per distinct value (the
    table's id column, for duplicates)."""

    values: pd.Series
    bad: np.ndarray
    blank: np.ndarray | None = None
    keys: pd.Series | None = None
    id_codes: np.ndarray | None = None


def _parse_column(
    column: Column, text: pd.Series, is1904: np.ndarray, required: bool, is_id: bool
) -> _Column:
    if column.type == "enum":
        values, bad = parse_enum(text, column.values)
    elif column.type in ("datetime", "date", "duration") and is1904.any():
        # Mixed date systems across files: parse each group with its epoch.
        values, bad = PARSERS[column.type](text)
        alt, alt_bad = PARSERS[column.type](text[is1904], date1904=True)
        values[is1904] = alt
        bad[is1904] = alt_bad
    else:
        values, bad = PARSERS[column.type](text)
    keys = branch_keys(values) if column.name == "branch" else None
    return _Column(
        values,
        bad,
        blank=blank_mask(text) if required else None,
        keys=keys,
        id_codes=id_codes(values if keys is None else keys) if is_id else None,
    )


PARALLEL_ROWS = 100_000  # a table this long has its columns parsed and filtered on two threads


_T = TypeVar("_T")


def _each_column(work: Callable[[str], _T], names: list[str], rows: int) -> dict[str, _T]:
    """``work`` for each column name; on two threads for long tables: parsing or filtering a
    column is mostly Arrow kernels, which release the GIL, so two columns proceed at once."""
    if rows < PARALLEL_ROWS or len(names) < 2 or (os.cpu_count() or 1) < 2:
        return {name: work(name) for name in names}
    with ThreadPoolExecutor(2) as pool:
        return dict(zip(names, pool.map(work, names)))


def _quoted_reason(text: pd.Series, before: str, after: str) -> Callable[[np.ndarray], pd.Series]:
    """``before + repr(cell) + after`` for the rejected rows only (see ``_Parsed.reject``)."""

    def build(rows: np.ndarray) -> pd.Series:
        return before + text[rows].fillna("").map(repr) + after

    return build


# ---------------------------------------------------------------- month, names, frames


def _infer_month(parsed: Mapping[str, _Parsed]) -> Month:
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
    parsed: Mapping[str, _Parsed],
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
