"""Notes on a run: what svcqa noticed and went on with (month inferred, a KPI without data, the
rubric asking for what the month lacks, the period survey ...).
"""

from __future__ import annotations

from svcqa.findings.kinds import FindingType, note_type

_MISMATCH = (
    "When no row is left, every branch gets the KPI's when_empty points (usually full marks). "
    "`svcqa score` prints it on stderr; --strict exits 1 (rubric-mismatch)."
)

_PER_BASIS_MISSING = note_type("per-basis-missing", "Branch has no roster value for a per-N rate", "A count or sum KPI with per = { table, column, scale } (complaints per 10,000 users) finds the branch's roster value blank, 0 or the branch absent from the roster, so it cannot divide: the branch has no data on the KPI (its note says why) and gets the KPI's when_empty points. `svcqa score` prints it on stderr; --strict exits 1 (rubric-mismatch). Fill in the roster column for the branch.", "warning")  # fmt: skip

RUN_TYPES: tuple[FindingType, ...] = (
    # ------------------------------------------------------------ notes on the run
    note_type(
        "month-inferred",
        "Month inferred from the data",
        "No --month was given, so the month is the one most ticket acceptances fall in. Check "
        "that it is the month you meant; pass --month YYYY-MM to set it (as cron jobs should).",
    ),
    note_type(
        "hidden-sheet",
        "Hidden sheet skipped",
        "A hidden sheet of the workbook was not read. If it holds data to score, unhide it in "
        "Excel/WPS and save the workbook.",
    ),
    note_type(
        "sheet-ignored",
        "Sheet not used",
        "A sheet's name and headers match no table, or it lacks a required column of the table "
        "it resembles (the note names the columns). Ignore it if it is not data; otherwise rename "
        "the sheet or its headers, or add a spelling with --aliases.",
    ),
    note_type(
        "table-by-headers",
        "Table recognised by its headers",
        "A sheet was read as a table because its headers match, not its name. Check the note "
        "names the right table; rename the sheet to the table's name to make it explicit.",
    ),
    note_type(
        "table-merged",
        "Table read from several sheets",
        "More than one sheet (or file) carries the same table; their rows were combined. Make "
        "sure the sheets do not overlap: repeated ids are rejected as duplicate-id.",
    ),
    note_type(
        "duplicate-header",
        "Two columns map to the same field",
        "Two headers of a sheet are spellings of the same column; the first matching column is "
        "used and the other ignored. Rename or remove the extra column if the wrong one was used.",
        "warning",
    ),
    note_type(
        "formulas-not-calculated",
        "Formula values not calculated",
        "The workbook was saved by a library without calculated formula values, so formula cells "
        "read as blank. Open it in Excel/WPS and save it, then rerun.",
        "warning",
    ),
    note_type(
        "date-1904",
        "1904 date system",
        "The workbook uses the Mac 1904 date system; serial dates were read accordingly. Nothing "
        "to do; noted so the dates can be checked if they look four years off.",
    ),
    note_type(
        "kpi-no-data",
        "KPI has no data",
        "A KPI had no rows to measure for a branch or the month (for example no tickets of the "
        "service type it counts); it is scored as the rubric's when_empty says. Check the input "
        "has the table and columns the KPI needs.",
        "warning",
    ),
    note_type(
        "no-table",
        "KPI's table is missing",
        "The reason a KPI had no data: the rubric measures it on a table the month's exports do "
        "not have. The KPI is scored as its when_empty says; add the sheet to the exports or "
        "teach svcqa its name with --aliases.",
        "warning",
    ),
    note_type(
        "no-column",
        "KPI's column is missing",
        "The reason a KPI had no data: its table lacks a column the metric or its filter needs. "
        "The KPI is scored as its when_empty says; add the column or map its header with "
        "--aliases.",
        "warning",
    ),
    note_type(
        "no-rework-source",
        "No way to tell reworks",
        "The reason a rework KPI had no data: the tickets have neither a rework flag (是否返修) "
        "nor a device id (IMEI) to derive reworks from. Export one of the two columns.",
        "warning",
    ),
    # ------------------------------------------------------------ the rubric asks for what the month lacks
    note_type(
        "kpi-table-missing",
        "KPI's table is not in the month's files",
        "A KPI is scored on a table (scores, cooperation ...) no file or sheet of the month holds. "
        f"{_MISMATCH} Add the sheet, or name it with the rubric's [sheet_aliases] or --aliases.",
        "warning",
    ),
    note_type(
        "kpi-column-missing",
        "KPI's column is not in the month's table",
        "A column a KPI needs (canonical, declared, or named by its filter) is not in the month's "
        "table, often an alias that matches no header; the message lists the spellings tried and "
        f"the table's columns. {_MISMATCH} Map the header with [aliases.<table>] or --aliases.",
        "warning",
    ),
    note_type(
        "filter-matches-nothing",
        "Filter value occurs in no row",
        "A KPI's filter (or share_in's values) names a text or number value no row of the month's "
        "table holds; they compare exact spellings ('low' is not 'Low'). The message lists the column's values with "
        f"counts and the spelling equal up to case, width and spaces. {_MISMATCH}",
        "warning",
    ),
    note_type(
        "filter-not-boolean",
        "Filter on a yes/no column is not true/false",
        'A filter on a yes/no (flag) column gives "Y", "是" or 1: flag filters take the TOML '
        f"booleans true/false only, so it matches no row. {_MISMATCH} Write column = true.",
        "warning",
    ),
    note_type(
        "threshold-value-unknown",
        "Row's value has no threshold in threshold_by",
        "A share_over KPI's threshold_by lists no threshold for a value its column holds and has "
        "no default; those rows are left out of the share. Add the value or a default.",
        "warning",
    ),
    _PER_BASIS_MISSING,
    note_type(
        "partial_quarter",
        "Quarter-to-date KPI with missing months",
        "A KPI scored quarter to date lacks the quarter's earlier months in the history store, "
        "so this month alone was used. Score the earlier months of the quarter into the same "
        "--db, in order, to get the full quarter.",
        "warning",
    ),
    # ------------------------------------------------------------ svcqa period: the survey
    note_type(
        "survey-missing",
        "Branch without a survey score",
        "The rubric's [period] rule weighs a survey and this branch has no (usable) row in the "
        "--survey file: it gets no period score, rank or grade (never full or zero marks). Add "
        "its row to the survey file, or fix its name, and rerun svcqa period.",
        "warning",
    ),
    note_type(
        "survey-unknown-branch",
        "Survey row for an unknown branch",
        "A survey row's branch matches no branch scored in the period's stored months (after "
        "ignoring spaces and width); the row is not used. Fix the name in the survey file.",
        "warning",
    ),
    note_type(
        "survey-score-invalid",
        "Survey score blank or out of range",
        "A survey score is blank or not between 0 and the rule's scale_max; the row is not used "
        "and the branch counts as without a survey score. Fix the score or scale_max.",
        "warning",
    ),
    # ------------------------------------------------------------ notes that can also stop a run
    FindingType(
        "empty-sheet",
        "error",
        "Empty sheet or table",
        "As a note: an empty sheet was skipped. As an error: a required table's sheet has a "
        "header but no data rows, a CSV file has no rows, or every visible sheet of the workbook "
        "is empty. Export the data again; check the right file and sheet were given.",
        "error",
    ),
    FindingType(
        "lock-file",
        "error",
        "Excel/WPS lock file",
        "A ~$ or .~ file, left by Excel/WPS while a workbook is open, is not data. In a folder "
        "it is skipped with a note; given alone it stops the run. Pass the workbook itself "
        "(close it in Excel first when copying a folder).",
        "error",
    ),
)  # fmt: skip
