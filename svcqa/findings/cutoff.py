"""The finding codes of the data's cut-off (``svcqa score --as-of``), registered in
``svcqa.findings``.
Standard library only.
"""

from __future__ import annotations

from svcqa.findings.kinds import FindingType, error_type, reject_type

CUT_OFF_TYPES: tuple[FindingType, ...] = (
    reject_type(
        "after-cut-off",
        "Row dated after the data's cut-off",
        "`svcqa score --as-of` gave the moment the export was pulled (a month still running), "
        "and this row's month date (tickets: 受理时间) is later, which an export pulled then "
        "cannot hold: the cut-off or the date is wrong. The row is not used for scoring (neither "
        "aged at zero nor counted) and is listed in the rejects file with its file, sheet, row "
        "number and reason; --strict exits 1. Give the export's real cut-off with --as-of, or "
        "correct the row's date.",
    ),
    error_type(
        "as-of-outside-month",
        "Cut-off outside the month",
        "`svcqa score --as-of` names a moment before the first day of the month scored or after "
        "its last day (a date alone is the end of that day). The message names both; give a "
        "cut-off within the month, pass the right --month, or leave --as-of out for a month "
        "that is over (open rows are then aged at the month's end).",
    ),
)
