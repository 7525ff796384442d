"""The row rules of ingest, each a named function over a parsed table.

The reject rules run in the order of ``apply_row_rules``, and a row's first problem is its
reason (``ParsedTable.reject`` skips rows already rejected). Rows that pass them but fall outside
the month are not rejected but excluded (``outside_month``). Each finding carries a stable code.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from svcqa.models import Month

if TYPE_CHECKING:
    from svcqa.ingest.table import ParsedColumn, ParsedTable

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
    "number": "a finite number (at most 1e15 in size)",
    "duration": "a duration",
    "flag": "a yes/no flag (是/否, Y/N, 1/0)",
}


# table -> column -> (low, high, the rubric key that sets them): ``Rubric.column_bounds()``
Bounds = Mapping[str, tuple[float, float, str]]


def apply_row_rules(
    table: ParsedTable,
    columns: Mapping[str, ParsedColumn],
    error_cells: Mapping[str, np.ndarray | None],
    roster_keys: set[str] | None,
    bounds: Bounds | None = None,
) -> None:
    """Every reject rule, in the order that decides a row's reason."""
    reject_error_cells(table, error_cells)
    reject_missing_values(table, columns)
    reject_unreadable_values(table, columns)
    reject_out_of_range(table, columns, bounds or {})
    reject_completed_before_accepted(table, columns)
    reject_unknown_branches(table, columns, roster_keys)
    reject_duplicate_ids(table, columns)


def reject_error_cells(table: ParsedTable, error_cells: Mapping[str, np.ndarray | None]) -> None:
    """``error-cell``: an Excel error value (#DIV/0!, #N/A ...) in a mapped column."""
    for name, error_texts in error_cells.items():
        if error_texts is None:
            continue
        hit = np.not_equal(error_texts, np.array(None, dtype=object))  # elementwise "is not None"
        if hit.any():
            label = table.spec.column(name).label or name
            table.reject(
                hit,
                "error-cell",
                name,
                f"{label} holds an Excel error value; fix the formula or the cell",
                pd.Series(error_texts).fillna(""),
            )


def reject_missing_values(table: ParsedTable, columns: Mapping[str, ParsedColumn]) -> None:
    """``missing-value``: a required column left blank."""
    for name in [c for c in table.spec.table.required if c in columns]:
        hit = columns[name].blank
        assert hit is not None  # parse_column marks the blanks of every required column
        label = table.spec.column(name).label or name
        table.reject(hit, "missing-value", name, f"{label} is empty; it is required", "")


def reject_unreadable_values(table: ParsedTable, columns: Mapping[str, ParsedColumn]) -> None:
    """``bad-date``, ``bad-number``, ``bad-flag``, ``unknown-<column>``: a value that cannot be
    read as its column's type; ``control-character``: an id or text cell holding one."""
    for name, parsed in columns.items():
        column = table.spec.column(name)
        if not parsed.bad.any():
            continue
        label = column.label or name
        if column.type in ("id", "text", "branch"):  # parse marks only control characters
            code = "control-character"
            before = f"{label} "
            after = (
                " holds a control character (NUL, ESC ...), shown here escaped; remove it in the "
                "source system or the export"
            )
        elif column.type == "enum":
            allowed = ", ".join(
                dict.fromkeys(s for spellings in column.values.values() for s in spellings[:2])
            )
            code = "unknown-" + name.replace("_", "-")
            before, after = f"{label} ", f" is not a known value (expected one of {allowed})"
        else:
            code = BAD_CODES.get(column.type, "bad-value")
            before = f"cannot read {label} "
            after = f" as {TYPE_WORDS.get(column.type, column.type)}"
        table.reject(parsed.bad, code, name, _quoted_reason(table.raw_text[name], before, after))


def reject_out_of_range(
    table: ParsedTable, columns: Mapping[str, ParsedColumn], bounds: Bounds
) -> None:
    """``out-of-range``: a number or duration outside the range the rubric sets for its column
    (``[bounds.TABLE]``, or its default): read as it stands, a 99999 incentive tops a branch."""
    for name, (low, high, key) in bounds.items():
        if name not in columns or table.spec.column(name).type not in ("number", "duration"):
            continue
        values = columns[name].values.to_numpy(dtype=float, na_value=np.nan)
        hit = (values < low) | (values > high)  # NaN (blank) compares False
        if not hit.any():
            continue
        label = table.spec.column(name).label or name
        unit = " days" if table.spec.column(name).type == "duration" else ""
        after = (
            f" is outside {range_text(low, high)}{unit} (set by {key}); correct the value in "
            "the source, or change the bounds"
        )
        table.reject(
            hit, "out-of-range", name, _quoted_reason(table.raw_text[name], f"{label} ", after)
        )


def range_text(low: float, high: float) -> str:
    """``[0, 10]``, ``[0, ∞)``, ``(-∞, 5]``: a range as a message writes it."""
    left = "(-∞" if np.isinf(low) else f"[{low:g}"
    right = "∞)" if np.isinf(high) else f"{high:g}]"
    return f"{left}, {right}"


def reject_completed_before_accepted(
    table: ParsedTable, columns: Mapping[str, ParsedColumn]
) -> None:
    """``completed-before-accepted``: a ticket completed before it was accepted."""
    if table.spec.name != "tickets" or not {"accepted_at", "completed_at"} <= set(columns):
        return
    accepted, completed = columns["accepted_at"].values, columns["completed_at"].values
    hit = (completed < accepted).fillna(False).to_numpy(dtype=bool)
    if not hit.any():
        return

    def before_acceptance(rows: np.ndarray) -> pd.Series:
        fmt = "%Y-%m-%d %H:%M"
        return (
            "完成时间 "
            + completed[rows].dt.strftime(fmt)
            + " is before 受理时间 "
            + accepted[rows].dt.strftime(fmt)
        )

    table.reject(hit, "completed-before-accepted", "completed_at", before_acceptance)


def reject_unknown_branches(
    table: ParsedTable, columns: Mapping[str, ParsedColumn], roster_keys: set[str] | None
) -> None:
    """``unknown-branch``: a branch not in the roster, when a roster is the authority."""
    keys = columns["branch"].keys if "branch" in columns else None
    if keys is None or roster_keys is None or table.spec.name == "branches":
        return
    hit = (~keys.isin(roster_keys) & keys.notna()).to_numpy(dtype=bool)
    reason = _quoted_reason(table.raw_text["branch"], "网点 ", " is not in the roster (网点名单)")
    table.reject(hit, "unknown-branch", "branch", reason)


def reject_duplicate_ids(table: ParsedTable, columns: Mapping[str, ParsedColumn]) -> None:
    """``duplicate-id``: the first valid row of an id is kept, later ones rejected."""
    id_column = table.spec.table.id_column
    if not id_column or id_column not in columns:
        return
    ids = columns[id_column].id_codes
    assert ids is not None  # parse_column numbers the values of the id column
    codes = np.where(table.taken, -1, ids)
    repeated = pd.Series(codes).duplicated(keep="first").to_numpy()
    dup = repeated & (codes >= 0)
    if not dup.any():
        return
    frame = table.frame
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
    label = table.spec.column(id_column).label or id_column
    dup_reason = pd.Series("", index=frame.index, dtype=object)
    dup_reason[dup] = (
        f"duplicate {label} "
        + table.raw_text[id_column][dup].fillna("").str.strip().to_numpy(dtype=object)
        + ": first seen in "
        + where
        + " (kept)"
    )
    table.reject(dup, "duplicate-id", id_column, dup_reason)


# A date this many days after the end of the assessed month is a typo (2099-12-31), not a late
# completion: read as it stands, a 6,691-day warranty cycle dropped a branch to last place.
# The rubric's [limits] max_days_after_month sets it (this is its default).
IMPLAUSIBLE_AFTER_DAYS = 366


def reject_implausible_dates(
    table: ParsedTable, month: Month, max_days: int = IMPLAUSIBLE_AFTER_DAYS
) -> None:
    """``implausible-date``: a date other than the table's month column (tickets: 完成时间) more
    than ``max_days`` days after the month's end. The month column itself decides whether a
    row is in the month (``outside_month``)."""
    limit = pd.Timestamp(month.end) + pd.Timedelta(days=max_days)
    for column in table.spec.columns:
        name = column.name
        if column.type not in ("datetime", "date") or name == table.spec.table.month_column:
            continue
        if name not in table.frame:
            continue
        stamps = table.frame[name]
        hit = (stamps > limit).to_numpy(dtype=bool)
        if not hit.any():
            continue
        label = column.label or name

        def too_late(rows: np.ndarray, stamps: pd.Series = stamps, label: str = label) -> pd.Series:
            return (
                f"{label} "
                + stamps[rows].dt.strftime("%Y-%m-%d")
                + f" is more than {max_days} days after the end of {month} (limits."
                "max_days_after_month in the rubric); correct the date in the source system"
            )

        table.reject(hit, "implausible-date", name, too_late)


def outside_month(table: ParsedTable, month: Month) -> np.ndarray:
    """The rows not rejected whose date (the table's month column) falls outside ``month``."""
    column = table.spec.table.month_column
    if not column or column not in table.frame:
        return np.zeros(table.rows, dtype=bool)
    stamps = table.frame[column]
    inside = (stamps >= month.start) & (stamps < month.end)
    return (~table.taken & stamps.notna().to_numpy() & ~inside.to_numpy()).astype(bool)


def outside_month_rows(table: ParsedTable, outside: np.ndarray, month: Month) -> pd.DataFrame:
    """``outside-month``: the excluded rows as findings."""
    column = table.spec.table.month_column
    assert column is not None
    rows = table.frame.loc[outside]
    label = table.spec.column(column).label or column
    when = rows[column].dt.strftime("%Y-%m-%d %H:%M").str.removesuffix(" 00:00")
    return pd.DataFrame(
        {
            "table": table.spec.name,
            "file": rows["_file"].to_numpy(),
            "sheet": rows["_sheet"].to_numpy(),
            "row": rows["_row"].to_numpy(),
            "column": table.display[column][outside].to_numpy(),
            "value": table.raw_text[column][outside].fillna("").to_numpy(dtype=object),
            "code": "outside-month",
            "reason": (f"{label} " + when + f" is outside {month}").to_numpy(dtype=object),
        }
    )


def _quoted_reason(text: pd.Series, before: str, after: str) -> Callable[[np.ndarray], pd.Series]:
    """``before + repr(cell) + after`` for the rejected rows only (see ``ParsedTable.reject``)."""

    def build(rows: np.ndarray) -> pd.Series:
        return before + text[rows].fillna("").map(repr) + after

    return build
