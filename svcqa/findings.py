"""Every finding code svcqa emits: a registry of finding types (code, kind, title, description).

A *finding* is anything svcqa reports with a stable code: a row rejected or excluded, a note on
the run, a problem in a returned form, or the error that stops a run (``SvcqaError.code``). Codes
are literals where emitted; this registry says what each means and what to do, and
``docs/FINDINGS.md`` is generated from it (``python -m svcqa.findings --markdown``). A test fails
on a code emitted but not registered, or registered but no longer emitted. Stdlib only.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from svcqa.finding_appeals import APPEAL_FORM_TYPES
from svcqa.finding_kinds import (
    APPEAL_WITHDRAWN,
    FindingType,
    error_type,
    form_problem_type,
    note_type,
    registry,
    reject_type,
)
from svcqa.finding_wide import WIDE_TYPES

# The rubric asks for data the month lacks (table, column, filter value): notes; --strict exits 1.
RUBRIC_MISMATCH_CODES = (
    "kpi-table-missing", "kpi-column-missing", "filter-matches-nothing", "filter-not-boolean",
    "threshold-value-unknown", "per-basis-missing",
)  # fmt: skip

_MISMATCH = (
    "When no row is left, every branch gets the KPI's when_empty points (usually full marks). "
    "`svcqa score` prints it on stderr; --strict exits 1 (rubric-mismatch)."
)
_ROW = "The row is not used for scoring and is listed in the rejects file with its file, sheet, row number and reason."

_PER_BASIS_MISSING = note_type("per-basis-missing", "Branch has no roster value for a per-N rate", "A count or sum KPI with per = { table, column, scale } (complaints per 10,000 users) finds the branch's roster value blank, 0 or the branch absent from the roster, so it cannot divide: the branch has no data on the KPI (its note says why) and gets the KPI's when_empty points. `svcqa score` prints it on stderr; --strict exits 1 (rubric-mismatch). Fill in the roster column for the branch.", "warning")  # fmt: skip
FINDING_TYPES: dict[str, FindingType] = registry(
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
        f"A date (tickets: 完成时间) over 366 days after the month's end, such as 2099-12-31. {_ROW}",
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
    # ------------------------------------------------------------ errors: generic (class defaults)
    error_type(
        "error",
        "Error",
        "The default code of a run-stopping error without a more specific one. Read the message; "
        "it names what was wrong and the fix.",
    ),
    error_type(
        "input",
        "Input cannot be used",
        "An input file, sheet or column cannot be used and no more specific code applies. The "
        "message names file, sheet and column; fix the input as it says.",
    ),
    error_type(
        "too-large",
        "Input over a safety limit",
        "The file is larger than a safety limit (bytes, sheets, rows, cells, zip ratio). If the "
        "file is genuine, raise the limit with the SVCQA_MAX_... environment variable the "
        "message names.",
    ),
    error_type(
        "rubric",
        "Invalid rubric",
        "The rubric file has problems; every problem is listed, not only the first. Fix them "
        "(svcqa rubric check shows them) and rerun.",
    ),
    error_type(
        "history",
        "History store cannot be used",
        "The history store cannot be opened or written: not an SQLite database, a newer schema, "
        "or an SQLite error. Point --db at the right store or follow the message.",
    ),
    error_type(
        "history-busy",
        "History store busy",
        "Another svcqa run held the history store's lock for longer than --lock-timeout. Try "
        "again when it has finished, or raise --lock-timeout.",
    ),
    error_type(
        "output",
        "Output cannot be written",
        "An output file or folder cannot be written (read-only folder, disk full, file open in "
        "Excel). Close the file or choose another --out.",
    ),
    error_type(
        "not-found",
        "Not found",
        "A file, alias file, month, branch or form asked for does not exist. Check the path, or "
        "list what the history store holds with svcqa history.",
    ),
    error_type(
        "usage",
        "Impossible request",
        "The command line or environment asks for something impossible (an option value, an "
        "unknown table in --aliases, a non-numeric limit variable). Exit code 2. Fix the command "
        "as the message says.",
    ),
    # ------------------------------------------------------------ errors: reading the files
    error_type(
        "empty-file",
        "Empty file",
        "The file is 0 bytes, usually an interrupted export or copy. Export it again.",
    ),
    error_type(
        "not-a-workbook",
        "Not a workbook",
        "The file is not a spreadsheet svcqa can read (not xlsx/xlsm/xls/ods, an empty zip, a "
        "binary file named .csv, or a CSV in neither UTF-8 nor GB18030). Export it again as "
        "xlsx, or save the CSV as 'CSV UTF-8'.",
    ),
    error_type(
        "bad-csv",
        "CSV cannot be split into rows",
        'A quote (") opening a field on the line named is never closed. Close or remove it.',
    ),
    error_type(
        "wrong-extension",
        "Wrong file extension",
        "The file's content is one spreadsheet format but its name ends in another's extension. "
        "Rename it to the extension the message gives, or open and save it again.",
    ),
    error_type(
        "encrypted",
        "Password-protected workbook",
        "The workbook is encrypted. Open it in Excel/WPS, remove the password (File > Info > "
        "Protect Workbook) and save a copy.",
    ),
    error_type(
        "corrupt",
        "Corrupt or truncated workbook",
        "The workbook's zip package is truncated, damaged or forged, or the reader failed on it. "
        "Export or copy it again; if it opens in Excel/WPS, save a copy there.",
    ),
    error_type(
        "unsafe-xml",
        "Unsafe XML in the workbook",
        "A part of the workbook declares a DTD or XML entities, which spreadsheet programs never "
        "write; refused as a possible entity-expansion attack. Open it in Excel/WPS and save a copy.",
    ),
    error_type(
        "reader-died",
        "Spreadsheet reader crashed",
        "The separate process that reads the workbook died (out of memory or a crash in the "
        "reader). Check the file opens in Excel/WPS and save a copy; on a small machine, free "
        "memory or lower the limits.",
    ),
    error_type(
        "bad-aliases",
        "Alias file has problems",
        "The --aliases TOML file cannot be read or its entries are not lists of strings; every "
        "problem is listed. Fix the file as the README's example shows.",
    ),
    error_type(
        "missing-table",
        "Required table not found",
        "No sheet or file holds a table the rubric needs (tickets, complaints, attendance ...), "
        "by name or by headers; or no workbook/CSV was found at the paths given. The message "
        "lists the sheets found; rename the sheet or pass the missing file.",
    ),
    error_type(
        "missing-column",
        "Required column not found",
        "A table's sheet lacks a column the rubric needs; the message lists the accepted header "
        "spellings and the headers found. Rename the header or add a spelling with --aliases.",
    ),
    error_type(
        "no-month",
        "Month cannot be inferred",
        "No --month was given and no dated row was read to infer it from. Pass --month YYYY-MM.",
    ),
    error_type(
        "no-rows-in-month",
        "No rows in the month",
        "None of the dated rows falls in the month asked for (usually a wrong --month); scoring "
        "would give every branch full marks for no data. The message says which months the rows "
        "fall in; pass the right --month.",
    ),
    error_type(
        "rejected-rows",
        "Rejected rows under --strict",
        "--strict was given and some rows were rejected; the outputs were written, the run exits "
        "1. Fix the rows listed in the rejects file, or run without --strict.",
    ),
    error_type(
        "rubric-mismatch",
        "Rubric asks for data the month lacks, under --strict",
        "--strict was given and the run has kpi-table-missing, kpi-column-missing or filter-* "
        "findings (listed); the outputs were written, the run exits 1. Fix the rubric or aliases.",
    ),
    # ------------------------------------------------------------ returned rectification forms
    form_problem_type(
        "missing-file",
        "Form file not found",
        "A path given to svcqa rectify collect is not a file. Give the path of a filled-in .xlsx form.",
    ),
    form_problem_type(
        "not-a-form",
        "Not an svcqa form",
        "The file cannot be read as an XLSX workbook, or has no svcqa metadata sheet. Collect the "
        ".xlsx forms written by svcqa rectify, not copies re-saved in another format.",
    ),
    form_problem_type(
        "unsafe-file",
        "Form fails the safety checks",
        "The returned file fails the size, zip or XML guards applied to all untrusted input. "
        "Open it in Excel/WPS and save a copy, or issue the form again.",
    ),
    form_problem_type(
        "unknown-form",
        "Form was not issued from this store",
        "The form's id was not issued from the history store given. Collect it with the --db it "
        "was issued from, or issue the form again with svcqa rectify.",
    ),
    form_problem_type(
        "bad-metadata",
        "Form metadata changed",
        "The form's branch or month does not match the issued form. Use the file as issued.",
    ),
    form_problem_type(
        "missing-sheet",
        "Form sheet missing",
        "The form's main sheet was renamed or deleted. Use the file as issued.",
    ),
    form_problem_type(
        "locked-cell-edited",
        "Cell outside the input cells changed",
        "A cell other than the yellow input cells differs from the issued form (rows inserted or "
        "deleted, or a locked value overwritten). Fill in only the yellow cells of the form as issued.",
    ),
    form_problem_type(
        "missing-problem",
        "Problem (问题) empty",
        "A measure row in section 4 has no 问题 (problem). The code is built from the field name "
        "(missing-<field>). Fill it in.",
        pattern="missing-<field>",
    ),
    form_problem_type(
        "missing-measure",
        "Measure (整改措施) empty",
        "A row in section 4 has no 整改措施 (measure). The code is built from the field name "
        "(missing-<field>). Fill it in.",
        pattern="missing-<field>",
    ),
    form_problem_type(
        "missing-owner",
        "Owner (责任人) empty",
        "A row in section 4 has no 责任人 (owner). The code is built from the field name "
        "(missing-<field>). Fill it in.",
        pattern="missing-<field>",
    ),
    form_problem_type(
        "missing-deadline",
        "Deadline (完成时限) empty",
        "A row in section 4 has no 完成时限 (deadline). The code is built from the field name "
        "(missing-<field>). Fill it in.",
        pattern="missing-<field>",
    ),
    form_problem_type(
        "formula-in-cell",
        "Formula in a text cell",
        "A 问题, 整改措施 or 责任人 cell in section 4 holds a formula (it may show as "
        "empty, or as the formula's last result). Type the text itself; formulas are not accepted "
        "there.",
    ),
    form_problem_type(
        "bad-deadline",
        "Deadline is not a date",
        "A 完成时限 cell is not a date. Enter a date after the assessed month.",
    ),
    form_problem_type(
        "early-deadline",
        "Deadline within the assessed month",
        "A 完成时限 is not after the end of the assessed month. Give a later date.",
    ),
    form_problem_type(
        "bad-target",
        "Target value is not a number",
        "A target value is not a number. Enter a number such as 0.03, 3% or 4.5.",
    ),
    *APPEAL_FORM_TYPES,
    *WIDE_TYPES,
)


def finding_type(code: str) -> FindingType:
    """The registered type of ``code``; KeyError naming the code and where codes are listed."""
    try:
        return FINDING_TYPES[code]
    except KeyError:
        raise KeyError(
            f"unknown finding code {code!r}: every code svcqa emits is registered in "
            "svcqa.findings.FINDING_TYPES and listed in docs/FINDINGS.md"
        ) from None


def markdown() -> str:
    """docs/FINDINGS.md: one table per kind, codes in registry order (``finding_docs``)."""
    from svcqa.finding_docs import markdown_table

    return markdown_table(FINDING_TYPES)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m svcqa.findings", description="List svcqa's finding codes."
    )
    parser.add_argument(
        "--markdown", action="store_true", help="print docs/FINDINGS.md (a table per kind)"
    )
    args = parser.parse_args(argv)
    if args.markdown:
        sys.stdout.write(markdown())
    else:
        for t in FINDING_TYPES.values():
            sys.stdout.write(f"{t.code}\t{t.kind}\t{t.severity}\t{t.title}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
