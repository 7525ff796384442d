"""The finding codes of wide sheets (``[tables.NAME] layout = "wide"``, a 考勤表), registered in
``svcqa.findings``. Standard
library only.
"""

from __future__ import annotations

from svcqa.findings.kinds import FindingType, error_type, note_type

WIDE_TYPES = (
    note_type(
        "wide-column-ignored",
        "Wide sheet column neither key nor day",
        'A wide sheet ([tables.NAME] layout = "wide") has headers that are neither its '
        "key_columns nor days (1, 1日 or a date), such as a 出勤天数 total; those columns are not "
        "read. Ignore it when they are totals; otherwise name the column in key_columns.",
    ),
    FindingType(
        "wide-day-beyond-month",
        "error",
        "Day column past the month's end",
        "A wide sheet has a day header past the month's last day (31 in a 30-day month). As a "
        "note: the column is blank and is not read. As an error: it holds cells, so the month "
        "(sheet name, title row or --month) is probably wrong; fix the month or clear the column.",
        "error",
    ),
    error_type(
        "wide-month-unknown",
        "Wide sheet without a month",
        "A wide sheet's day headers are bare day numbers (1 … 31) and neither the sheet name nor "
        "a title row above the header names the month (2026年10月考勤表), and no --month was "
        "given. Pass --month YYYY-MM or put the month in the sheet name.",
    ),
)
