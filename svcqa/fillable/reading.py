"""Reading a filled-in form workbook back: safely, every non-empty cell, and its formulas.

Shared by ``svcqa rectify collect`` and ``svcqa appeal collect``. A returned file is untrusted
input: the caller's limits bound its size and zip package and XML entity declarations are
refused (``svcqa.ingest.safety``) before openpyxl opens it.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from svcqa.errors import InputError
from svcqa.ingest.safety.limits import Limits, check_file_size
from svcqa.ingest.safety.package import check_xml_prologs, check_zip, check_zip_members


class NotAForm(Exception):
    """The file is not a readable svcqa form workbook; the message says why."""

    def __init__(self, message: str, code: str = "not-a-form"):
        super().__init__(message)
        self.code = code


@dataclass
class FilledForm:
    meta: dict[str, str]
    sheets: list[str]
    cells: dict[str, dict[str, Any]]  # sheet -> cell -> value (non-empty cells only)
    # sheet -> cell -> formula text: cells the branch typed a formula into (``cells`` holds
    # their cached value, or nothing when the saving program kept none)
    formulas: dict[str, dict[str, str]] = field(default_factory=dict)


def read_form_workbook(
    path: Path, limits: Limits, *, meta_sheet: str, kind: str, command: str
) -> FilledForm:
    """Every non-empty cell of a filled-in form (values, not formulas) and its metadata sheet
    ``meta_sheet`` (its leading key/value rows, up to the first blank row). ``kind`` and
    ``command`` name the form and the command that writes it in the messages.

    A returned file is untrusted input: ``limits`` (the caller's, as for exports) bound its size
    and zip package, and XML entity declarations are refused, before openpyxl opens it.
    """
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        check_file_size(path, path.stat().st_size, limits)
        if zipfile.is_zipfile(path):
            check_zip_members(path, limits)
            with zipfile.ZipFile(path) as archive:
                check_zip(path, archive, limits)
                check_xml_prologs(path, archive)
    except InputError as exc:
        raise NotAForm(str(exc).removeprefix(f"file {path.name}: "), code="unsafe-file") from exc
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise NotAForm(
            f"cannot be read as an XLSX workbook ({type(exc).__name__}); collect the .xlsx forms written by {command}"
        ) from exc
    try:
        if meta_sheet not in wb.sheetnames:
            raise NotAForm(
                f"is not an svcqa {kind} (it has no {meta_sheet!r} sheet); collect the .xlsx forms written by {command}"
            )
        cells: dict[str, dict[str, Any]] = {}
        for ws in wb.worksheets:
            found: dict[str, Any] = {}
            for row in ws.iter_rows():
                for cell in row:
                    value = getattr(cell, "value", None)
                    if value is not None and value != "":
                        found[cell.coordinate] = value
            cells[ws.title] = found
        raw = cells[meta_sheet]
        meta: dict[str, str] = {}
        for r in range(1, len(raw) + 2):
            if f"A{r}" not in raw:
                break
            meta[str(raw[f"A{r}"])] = str(raw.get(f"B{r}", ""))
        return FilledForm(
            meta=meta, sheets=list(wb.sheetnames), cells=cells, formulas=_formula_cells(path)
        )
    finally:
        wb.close()


def _formula_cells(path: Path) -> dict[str, dict[str, str]]:
    """Each sheet's formula cells (the form svcqa writes has none: any is the branch's). Read
    in a second pass because the values pass (``data_only``) shows a formula only as its cached
    value, or as an empty cell when none was saved."""
    import openpyxl

    wb = openpyxl.load_workbook(path, read_only=True, data_only=False)
    try:
        return {
            ws.title: {
                cell.coordinate: str(cell.value)
                for row in ws.iter_rows()
                for cell in row
                if getattr(cell, "data_type", None) == "f"
            }
            for ws in wb.worksheets
        }
    finally:
        wb.close()
