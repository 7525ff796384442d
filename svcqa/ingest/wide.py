"""Wide sheets (``[tables.NAME] layout = "wide"``): one row per key, one column per day.

A 考勤表 has a row per person (网点, 姓名) and a column per day of the month (``1`` … ``31``,
``1日``, or real dates). ``widen`` melts such a sheet into a long one, one row per key and
non-blank day cell (a blank day cell is no record), before the usual reading: the day goes into
the table's ``month_column`` (ISO text), the cell into its ``value_column``, and each row keeps
its Excel row and, through ``RawSheet.cell_refs``, the cell (``AF7``) a reject names. The melt is
a handful of numpy/Arrow operations over the whole grid (no per-cell Python).

The month of bare day numbers comes from the sheet name (``2026年10月考勤``), a title row above
the header (``2026年10月考勤表``) or ``--month``; a day past the month's end (31 in a 30-day
month) is noted when its column is blank and stops the run when it holds cells.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Sequence
from datetime import date

import numpy as np
import pyarrow as pa

from svcqa.errors import InputError
from svcqa.ingest.header import HeaderMatch
from svcqa.ingest.parse import arrow_blank
from svcqa.ingest.raw import RawSheet
from svcqa.ingest.recognise import Candidate
from svcqa.ingest.table import fill_merged
from svcqa.models import Finding, Month, column_letter

_YEAR_MONTH = re.compile(r"(\d{4})\s*(?:年|[-/.])\s*(\d{1,2})(?:\s*月|(?!\d))")
_DAY = re.compile(r"^(\d{1,2})(?:\.0)?\s*(?:日|号)?$")
_DATE = re.compile(
    r"^(\d{4})\s*(?:年|[-/.])\s*(\d{1,2})\s*(?:月|[-/.])\s*(\d{1,2})\s*日?(?:[ T]00:00(?::00)?)?$"
)


def widen(cand: Candidate, month: Month | None, notes: list[Finding]) -> Candidate:
    """The candidate melted to one row per key and day when its sheet is wide, else as it is.

    A sheet of a wide table is wide when its header has no column for the month column (a long
    sheet with a 日期 column is read as usual)."""
    table = cand.spec.table
    match = cand.match
    month_column, value_column = table.month_column, table.value_column
    if match is None or month_column is None or value_column is None:
        return cand
    if month_column in match.columns or value_column in match.columns:
        return cand
    days, ignored = _day_columns(cand, match, month, notes)
    if ignored:
        notes.append(
            Finding(
                "wide-column-ignored",
                f"{cand.raw.where}: column(s) {', '.join(ignored)} of the wide {table.label} "
                "sheet are neither key columns nor days; not read",
                file=cand.raw.file,
                sheet=cand.raw.sheet,
            )
        )
    raw = _melt(cand, match, days)
    carried = list(match.columns)
    labels = [match.headers[match.columns[c]] for c in carried]
    spec = cand.spec
    span = f"{match.headers[days[0][0]]} … {match.headers[days[-1][0]]}" if days else "days"
    headers = (*labels, span, spec.column(value_column).label or value_column)
    columns = {name: i for i, name in enumerate(carried)}
    columns[month_column] = len(carried)
    columns[value_column] = len(carried) + 1
    # The melted header stays on the sheet's header row, so `check` shows the row the user sees.
    header = HeaderMatch(match.row, columns, headers)
    return Candidate(raw, spec, header, cand.by, cand.partial)


def _day_columns(
    cand: Candidate, match: HeaderMatch, month: Month | None, notes: list[Finding]
) -> tuple[list[tuple[int, str]], list[str]]:
    """(sheet column, ISO date) of each day header, and the headers that are not days."""
    used = set(match.columns.values())
    parsed: list[tuple[int, str, int | None, date | None]] = []
    ignored = []
    for position, header in enumerate(match.headers):
        if position in used or not header:
            continue
        bare = _DAY.match(header)
        full = _DATE.match(header)
        if bare and 1 <= int(bare.group(1)) <= 31:
            parsed.append((position, header, int(bare.group(1)), None))
        elif full and _valid(full):
            y, m, d = (int(g) for g in full.groups())
            parsed.append((position, header, None, date(y, m, d)))
        else:
            ignored.append(f"{column_letter(position)} {header!r}")
    if any(when is None for *_, when in parsed):
        month = _sheet_month(cand, match) or month
        if month is None:
            raise InputError(
                f"{cand.raw.where} is a wide {cand.spec.table.label} sheet whose day headers "
                "(1, 2, … 31) name no month: put the month in the sheet name or a title row "
                "(2026年10月考勤表), or pass --month YYYY-MM",
                file=cand.raw.file,
                sheet=cand.raw.sheet or None,
                code="wide-month-unknown",
            )
    days: list[tuple[int, str]] = []
    for position, header, number, when in parsed:
        if when is not None:
            days.append((position, when.isoformat()))
            continue
        assert month is not None and number is not None
        length = calendar.monthrange(month.year, month.month)[1]
        if number <= length:
            days.append((position, date(month.year, month.month, number).isoformat()))
            continue
        _beyond_month(cand, match, position, header, month, length, notes)
    return days, ignored


def _valid(full: re.Match[str]) -> bool:
    y, m, d = (int(g) for g in full.groups())
    return 1 <= m <= 12 and 1 <= d <= calendar.monthrange(y, m)[1]


def _beyond_month(
    cand: Candidate, match: HeaderMatch, position: int, header: str, month: Month, length: int,
    notes: list[Finding],
) -> None:  # fmt: skip
    """A day header past the month's end: a note when its column is blank, else an error."""
    where = f"{cand.raw.where}: day header {header!r} (column {column_letter(position)})"
    cells = cand.raw.cells
    column = (
        cells.column(str(position)).slice(match.row + 1) if position < cells.num_columns else None
    )
    if column is None or arrow_blank(column).all():
        notes.append(
            Finding(
                "wide-day-beyond-month",
                f"{where} is past the end of {month} ({length} days); its cells are blank, "
                "the column is not read",
                file=cand.raw.file,
                sheet=cand.raw.sheet,
                column=header,
            )
        )
        return
    raise InputError(
        f"{where} is past the end of {month}, which has {length} days, yet holds cells; "
        "check the month (sheet name, title row or --month) or clear that column",
        file=cand.raw.file,
        sheet=cand.raw.sheet or None,
        code="wide-day-beyond-month",
    )


def _sheet_month(cand: Candidate, match: HeaderMatch) -> Month | None:
    """The month named by the sheet name, else by a title row above the header."""
    texts = [cand.raw.sheet]
    texts += [" ".join(c for c in row if c) for row in cand.raw.head(match.row)]
    for text in texts:
        found = _YEAR_MONTH.search(text or "")
        if found and 1 <= int(found.group(2)) <= 12:
            return Month(int(found.group(1)), int(found.group(2)))
    return None


def _melt(cand: Candidate, match: HeaderMatch, days: Sequence[tuple[int, str]]) -> RawSheet:
    """The long sheet: a header row, then one row per key row and non-blank day cell."""
    raw = cand.raw
    start = match.row + 1
    data = raw.cells.slice(start)
    n, k = data.num_rows, len(days)
    numbers = (
        raw.row_numbers[start : start + n]
        if raw.row_numbers is not None
        else np.arange(start, start + n) + 1
    )
    empty = pa.nulls(n, pa.string())

    def column(position: int) -> pa.Array:
        if position >= data.num_columns:
            return empty
        return data.column(str(position)).combine_chunks().cast(pa.string())

    grid = pa.concat_arrays([column(p) for p, _ in days]) if k else pa.array([], pa.string())
    filled = ~arrow_blank(grid).reshape(k, n).T  # (person row, day), row-major
    errors = {(r - start, c): d for r, c, d in raw.errors if r >= start}
    day_of = {p: i for i, (p, _) in enumerate(days)}
    for r, c in errors:  # an error cell is a cell, never "no record"
        if c in day_of:
            filled[r, day_of[c]] = True
    cells = np.flatnonzero(filled.ravel())
    row, day = cells // k, cells % k
    excel_rows = numbers[row]
    out = [column(p) for p in match.columns.values()]
    if "branch" in match.columns:  # a merged 网点 cell names every row it spans
        branch = out[list(match.columns).index("branch")].to_pandas()
        out[list(match.columns).index("branch")] = pa.array(
            fill_merged(raw, match.columns["branch"], branch, start, np.ones(n, dtype=bool)),
            pa.string(),
        )
    taken = [a.take(pa.array(row)) for a in out]
    dates = pa.array(np.array([iso for _, iso in days], dtype=object)[day], pa.string())
    values = grid.take(pa.array(day * n + row))
    letters = np.array([column_letter(p) for p, _ in days], dtype=object)[day]
    # Rows above the header are kept blank, so the header keeps its row (``match.row``).
    refs = np.concatenate(
        [np.full(start, "", dtype=object), letters + excel_rows.astype(str).astype(object)]
    )
    header = [*match.columns, "date", "value"]
    arrays = [
        pa.concat_arrays([pa.nulls(start - 1, pa.string()), pa.array([h], pa.string()), a])
        for h, a in zip(header, [*taken, dates, values])
    ]
    names = [str(i) for i in range(len(arrays))]
    new_errors = _moved_errors(errors, list(match.columns.values()), day_of, cells, k, start)
    return RawSheet(
        file=raw.file,
        path=raw.path,
        sheet=raw.sheet,
        cells=pa.Table.from_arrays(arrays, names=names),
        errors=new_errors,
        date1904=raw.date1904,
        row_numbers=np.concatenate([np.arange(1, start + 1), excel_rows]).astype(np.int64),
        merged=[],
        cell_refs={len(arrays) - 2: refs, len(arrays) - 1: refs},
    )


def _moved_errors(
    errors: dict[tuple[int, int], str], carried: list[int], day_of: dict[int, int],
    cells: np.ndarray, k: int, start: int,
) -> list[tuple[int, int, str]]:  # fmt: skip
    """The sheet's error cells at their melted places (the data starts at row ``start``)."""
    moved = []
    for (r, c), detail in errors.items():  # a few error cells, not the grid
        if c in day_of:
            at = int(np.searchsorted(cells, r * k + day_of[c]))
            moved.append((at + start, len(carried) + 1, detail))
        elif c in carried:
            first, last = np.searchsorted(cells, [r * k, (r + 1) * k])
            moved += [(int(i) + start, carried.index(c), detail) for i in range(first, last)]
    return sorted(moved)
