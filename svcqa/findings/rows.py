"""Input rows not used: rejected (unreadable, implausible, duplicated ...) or excluded (outside
the month, withdrawn by appeal), each listed with its file, sheet and Excel row.
"""

from __future__ import annotations

from svcqa.findings.appeals import APPEAL_WITHDRAWN
from svcqa.findings.kinds import FindingType, reject_type

_ROW = "The row is not used for scoring and is listed in the rejects file with its file, sheet, row number and reason."

ROW_TYPES: tuple[FindingType, ...] = (
    # ------------------------------------------------------------ rows: ingest rejects
    reject_type(
        "error-cell",
        "Excel error value in a cell",
        "A mapped column holds an Excel error (#DIV/0!, #N/A, #REF!, #VALUE! ...), usually a "
        f"broken formula in the export. {_ROW} Fix the formula or type the value, then rerun.",
    ),
    reject_type(
        "missing-value",
        "Required value is empty",
        "A column the table needs (for tickets: 工单号, 网点, 受理时间) is blank in this row. "
        f"{_ROW} Fill in the value in the source system or the export and rerun.",
    ),
    reject_type(
        "bad-date",
        "Date cannot be read",
        "A date or date/time cell holds text svcqa cannot read as a date (for example 2026-13-05 "
        "or 'pending'). Also a problem in a returned rectification form: a fill or sign date "
        f"that is not a date. {_ROW} Correct the cell to a real date such as 2026-10-05 14:30.",
    ),
    reject_type(
        "bad-number",
        "Number cannot be read",
        "A number or duration cell (such as 客户评分) is not a number, not finite (1e999, nan), "
        "over 1e15 in size (1e308), or has a comma that is not a thousands separator (1,5). "
        f"{_ROW} Correct the cell or leave it blank if the value is optional.",
    ),
    reject_type(
        "bad-flag",
        "Yes/no flag cannot be read",
        "A yes/no column (是否返修, 是否有效) holds something other than 是/否, Y/N, 1/0 or "
        f"true/false. {_ROW} Correct the cell to one of the accepted spellings.",
    ),
    reject_type(
        "bad-value",
        "Value cannot be read",
        "Fallback for a column type that has no more specific code above; the built-in columns "
        f"never produce it today. {_ROW} Correct the cell to the column's expected type.",
    ),
    reject_type(
        "unknown-service-type",
        "Unknown service type (服务类型)",
        "The ticket's 服务类型 is not one of the known spellings of exchange (换机), warranty "
        "(保修) or non-warranty (非保修/保外). The code is built from the column name "
        f"(unknown-<column>). {_ROW} Correct the cell, or add the spelling to the schema if it is "
        "a genuine new name for a known type.",
        pattern="unknown-<column>",
    ),
    reject_type(
        "unknown-status",
        "Unknown attendance status (出勤状态)",
        "The attendance row's 出勤状态 is not a known spelling of present, absent, late or early "
        f"leave. The code is built from the column name (unknown-<column>). {_ROW} Correct the "
        "cell to a known status.",
        pattern="unknown-<column>",
    ),
    reject_type(
        "completed-before-accepted",
        "Ticket completed before it was accepted",
        "The ticket's 完成时间 is earlier than its 受理时间, so its handling time would be "
        f"negative. {_ROW} Check both timestamps in the source system (often swapped or mistyped).",
    ),
    reject_type(
        "implausible-date",
        "Date implausibly far after the month",
        "A date (tickets: 完成时间) more days after the month's end than the rubric's [limits] "
        f"max_days_after_month (default 366), such as 2099-12-31. {_ROW}",
    ),
    reject_type(
        "out-of-range",
        "Value outside its column's range",
        "A number or duration outside the range set for its column by the rubric's "
        "[bounds.TABLE] (defaults: incentives within ± the rubric's max, a rating_mean KPI's "
        "ratings within 0 to its scale_max, discipline points and durations at least 0); the "
        f"reason names the range and the key. {_ROW} Correct the value, or change the bounds.",
    ),
    reject_type(
        "control-character",
        "Control character in an id or text cell",
        f"An id, 网点 or text cell holds NUL, ESC or another C0/C1 control (shown escaped). {_ROW}",
    ),
    reject_type(
        "unknown-branch",
        "Branch not in the roster",
        "A branch roster (网点名单) was given and this row's 网点 matches no branch in it (after "
        f"ignoring spaces, width and case). {_ROW} Fix the branch name, or add the branch to the "
        "roster if it is new.",
    ),
    reject_type(
        "duplicate-id",
        "Duplicate id",
        "The row repeats the id (工单号, 投诉单号) of an earlier valid row; the first one is kept "
        f"and the reason names where it is. {_ROW} Remove the duplicate from the export, or fix "
        "the id if the two are different tickets.",
    ),
    # ------------------------------------------------------------ rows: excluded
    FindingType(
        "outside-month",
        "exclude",
        "Row outside the assessed month",
        "The row's month date (tickets: 受理时间) falls outside the month being scored. The row "
        "is valid but not counted; it is listed in excluded.csv (and on rejects.xlsx's excluded "
        "sheet), not among the rejects. "
        "Nothing to fix unless the month is wrong: then pass --month YYYY-MM.",
        "info",
    ),
    APPEAL_WITHDRAWN,
)  # fmt: skip
