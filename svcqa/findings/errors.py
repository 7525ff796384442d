"""Errors that stop a run: the generic class defaults and the problems reading the files."""

from __future__ import annotations

from svcqa.findings.kinds import FindingType, error_type

ERROR_TYPES: tuple[FindingType, ...] = (
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
)  # fmt: skip
