"""The data's cut-off (``svcqa score --as-of``) applied to an ingested month, before scoring.

A month still running is scored from an export pulled at some moment: ``--as-of`` states that
moment, and open rows are aged at it instead of at the month's end. The cut-off must lie within
the month (after its first midnight, up to the midnight after its last day: 24:00 of it);
anything else is a mistyped cut-off or month, an error naming both.

A row whose month date (tickets: 受理时间, complaints: 投诉时间, attendance: 日期) is after the
cut-off cannot be in an export pulled at the cut-off: either the cut-off or the row's date is
wrong. Such a row is rejected (``after-cut-off``, with its Excel row) rather than aged at zero
or a negative age: it is counted nowhere, shows in the rejects file and the Inputs line, and
``--strict`` refuses the run. Other dates after the cut-off (a 完成时间 at 18:05 in an export
said to be pulled at 18:00) are kept as they stand: the row is simply not open.

Pure: data in, data out. Costs nothing without a cut-off (the caller skips it).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from svcqa.errors import InputError
from svcqa.models import ROW_ISSUE_COLUMNS, Month, MonthData, TableStats, as_of_text
from svcqa.schema import TABLES

AFTER_CUT_OFF = "after-cut-off"  # the rejected rows' code (svcqa/findings/cutoff.py)


def check_as_of(as_of: datetime, month: Month) -> None:
    """An ``InputError`` (exit 1) naming the cut-off and the month when it lies outside it."""
    import pandas as pd

    stamp = pd.Timestamp(as_of)
    if month.start < stamp <= month.end:
        return
    raise InputError(
        f"--as-of {as_of_text(as_of)} is outside the month scored, {month} (after "
        f"{month.first_day.isoformat()} 00:00, up to {month.last_day.isoformat()} 24:00); "
        f"give the cut-off of the data within {month} (YYYY-MM-DD or YYYY-MM-DDTHH:MM), pass "
        "the month the data belongs to with --month, or leave --as-of out for a month that is over",
        code="as-of-outside-month",
    )


def apply_cut_off(data: MonthData, as_of: datetime) -> MonthData:
    """``data`` with the cut-off checked against its month and the rows dated after it moved
    from the tables to the rejects (``after-cut-off``), the row accounting updated."""
    import pandas as pd

    check_as_of(as_of, data.month)
    stamp = pd.Timestamp(as_of)
    tables = dict(data.tables)
    stats = dict(data.stats)
    found: list[pd.DataFrame] = []
    for name, df in data.tables.items():
        spec = TABLES.get(name)
        column = spec.month_column if spec is not None else None
        if spec is None or df is None or not column or column not in df.columns:
            continue
        late = (df[column] > stamp).to_numpy(dtype=bool)
        if not late.any():
            continue
        found.append(_rejects(name, df[late], column, spec.column(column).label or column, as_of))
        tables[name] = df[~late].reset_index(drop=True)
        before = stats[name]
        n = int(late.sum())
        stats[name] = TableStats(before.rows, before.used - n, before.excluded, before.rejected + n)
    if not found:
        return data
    rejects = pd.concat([data.rejects, *found], ignore_index=True)
    return replace(data, tables=tables, stats=stats, rejects=rejects)


def _rejects(table: str, rows, column: str, label: str, as_of: datetime):  # rows: pd.DataFrame
    import pandas as pd

    when = rows[column].dt.strftime("%Y-%m-%d %H:%M")
    reason = (
        f"{label} "
        + when
        + f" is after the data's cut-off --as-of {as_of_text(as_of)}: an export pulled then "
        "cannot hold it; give the export's real cut-off with --as-of, or correct the date"
    )
    return pd.DataFrame(
        {
            "table": table,
            "file": rows["_file"].to_numpy(dtype=object),
            "sheet": rows["_sheet"].to_numpy(dtype=object),
            "row": rows["_row"].to_numpy(),
            "column": label,
            "value": when.to_numpy(dtype=object),
            "code": AFTER_CUT_OFF,
            "reason": reason.to_numpy(dtype=object),
        },
        columns=ROW_ISSUE_COLUMNS,
    )
