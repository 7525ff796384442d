"""The rejects files: every rejected and excluded input row, located as the user sees it in Excel.

``rejects.xlsx`` for people (filterable, frozen header; sheets ``rejects`` and ``excluded``),
``rejects.csv`` and ``excluded.csv`` for tools. Input text is written as string cells only, never
as formulas.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd
import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from svcqa.labels import REJECTS_HEADERS, labels_in
from svcqa.models import ROW_ISSUE_COLUMNS, MonthData
from svcqa.output import atomic_target, atomic_write, remove_stale_temps, write_csv

WIDTHS = {
    "table": 12,
    "file": 24,
    "sheet": 18,
    "row": 8,
    "column": 22,
    "value": 24,
    "code": 26,
    "reason": 70,
}


def issue_rows(frame: pd.DataFrame | None) -> pd.DataFrame:
    """The rejected (or excluded) rows, ordered by table, file, sheet and row."""
    if frame is None or frame.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in ROW_ISSUE_COLUMNS})
    return (
        frame[ROW_ISSUE_COLUMNS]
        .sort_values(["table", "file", "sheet", "row"], kind="stable")
        .reset_index(drop=True)
    )


def write_rejects(data: MonthData, out_dir: Path, *, lang: str = "zh") -> list[Path]:
    """Write ``rejects.xlsx``, ``rejects.csv`` and ``excluded.csv`` into ``out_dir``.

    Rejected rows (unusable) and excluded rows (usable, but dated in another month) are kept
    apart, so a multi-month export does not bury the real rejects: rejects.csv holds only the
    rejects, rejects.xlsx has them on its first sheet ``rejects`` and the excluded rows on a
    second sheet ``excluded``, and excluded.csv holds the excluded rows (both files always
    written, header only when empty, so a rerun never leaves an earlier month's list behind).
    rejects.xlsx's headers are in ``lang``; the CSV files keep the English field names.
    Returns the three paths: rejects.xlsx, rejects.csv, excluded.csv.
    """
    headers = labels_in(REJECTS_HEADERS, lang)
    out_dir = Path(out_dir)
    # The folder's first output of a run (score writes it first, under the folder's lock):
    # tidy up what a killed run left half-written here.
    remove_stale_temps(out_dir)
    rejects = issue_rows(data.rejects).to_dict("records")
    excluded = issue_rows(data.excluded).to_dict("records")
    xlsx_path = out_dir / "rejects.xlsx"
    with atomic_target(xlsx_path) as tmp:
        book = xlsxwriter.Workbook(
            str(tmp), {"strings_to_formulas": False, "strings_to_urls": False}
        )
        bold = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
        _write_sheet(book.add_worksheet("rejects"), bold, rejects, headers)
        _write_sheet(book.add_worksheet("excluded"), bold, excluded, headers)
        book.close()
    return [
        xlsx_path,
        _write_csv(out_dir / "rejects.csv", rejects),
        _write_csv(out_dir / "excluded.csv", excluded),
    ]


def _write_sheet(
    sheet: Worksheet, bold: Format, records: list[dict], headers: Mapping[str, str]
) -> None:
    for col, name in enumerate(ROW_ISSUE_COLUMNS):
        sheet.write_string(0, col, headers[name], bold)
        sheet.set_column(col, col, WIDTHS[name])
    for r, record in enumerate(records, start=1):
        for col, name in enumerate(ROW_ISSUE_COLUMNS):
            value = record[name]
            if name == "row" and value is not None and not pd.isna(value):
                sheet.write_number(r, col, int(value))
            else:
                sheet.write_string(
                    r,
                    col,
                    ""
                    if value is None or (isinstance(value, float) and pd.isna(value))
                    else str(value),
                )
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, max(len(records), 1), len(ROW_ISSUE_COLUMNS) - 1)


def _write_csv(path: Path, records: list[dict]) -> Path:
    # utf-8 with BOM so Excel on Chinese Windows opens the Chinese text correctly.
    with atomic_write(path, "w", encoding="utf-8-sig") as handle:
        write_csv(
            handle,
            ROW_ISSUE_COLUMNS,
            (
                [
                    int(record[name])
                    if name == "row" and not pd.isna(record[name])
                    else ("" if pd.isna(record[name]) else str(record[name]))
                    for name in ROW_ISSUE_COLUMNS
                ]
                for record in records
            ),
        )
    return path
