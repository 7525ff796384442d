"""A fillable form's workbook: opened and closed the one way every form kind needs, and its
hidden metadata sheet.

``form_workbook`` writes atomically, never lets a cell's text turn into a formula, a link or a
number, yields the form sheet's ``FormSheet`` and, on a clean exit, protects the sheet (only the
input cells stay editable) and makes it the one that opens. ``write_meta_sheet`` writes what
collecting a returned form needs — its identity as key/value pairs, then tables, each after a
blank row — on a very hidden, protected sheet.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import xlsxwriter

from svcqa.fillable.sheet import FormLayout, FormSheet, protect_form_sheet
from svcqa.output import atomic_target, xml_safe

# Cells are written as given: text that looks like a formula, a link or a number stays text.
_SAFE_TEXT = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}


@contextmanager
def form_workbook(
    path: Path, *, title: str, layout: FormLayout, last_col: int, now: datetime | None
) -> Iterator[FormSheet]:
    """A new form workbook at ``path`` (replaced atomically) whose first sheet is
    ``layout.sheet``; yields its ``FormSheet`` for the caller to fill."""
    with atomic_target(path) as tmp:
        wb = xlsxwriter.Workbook(str(tmp), _SAFE_TEXT)
        wb.set_properties(
            {"title": title, "author": "svcqa", "created": now or datetime(2000, 1, 1)}
        )
        ws = wb.add_worksheet(layout.sheet)
        yield FormSheet(wb, ws, layout, last_col=last_col)
        protect_form_sheet(ws)
        ws.activate()
        wb.close()


def write_meta_sheet(
    wb: Any,
    name: str,
    items: Sequence[tuple[str, str]],
    tables: Sequence[tuple[Sequence[str], Sequence[Sequence[Any]]]],
) -> None:
    """The very hidden, protected sheet ``name``: ``items`` as key/value rows, then each table
    (header, rows) after a blank row. Numbers stay numbers; text is made XML-safe."""
    ws = wb.add_worksheet(name)
    for r, (key, value) in enumerate(items):
        ws.write_string(r, 0, key)
        ws.write_string(r, 1, xml_safe(value))
    row = len(items) + 1
    for head, rows in tables:
        for c, title in enumerate(head):
            ws.write_string(row, c, title)
        for r, values in enumerate(rows, start=row + 1):
            for c, value in enumerate(values):
                if isinstance(value, float):
                    ws.write_number(r, c, value)
                else:
                    ws.write_string(r, c, xml_safe(str(value)))
        row += len(rows) + 2
    ws.protect()
    ws.very_hidden()
