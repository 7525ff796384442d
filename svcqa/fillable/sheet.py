"""A fillable form sheet's cell writer: styles, locked and input cells, and the layout it records.

Shared by the rectification form (``svcqa.rectify.xlsx``) and the appeal form
(``svcqa.appeals.xlsx``). Every write to the form sheet goes through ``FormSheet`` so the value of
each locked cell is recorded exactly as written (``FormLayout.locked``): the issued record keeps
those values, and collecting a returned form compares its cells with them. Input cells are light
yellow and unlocked; their places are recorded by role (``inputs``) and, for row tables, by row
(``rows``). ``protect_form_sheet`` locks everything else.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import xlsxwriter
from xlsxwriter.utility import xl_rowcol_to_cell

from svcqa.output import xml_safe

INPUT_FILL = "#FFF2CC"  # light yellow: "write here"
NUMBER_FORMATS = {
    "rate": "0.0%",
    "days": "0.00",
    "count": "0",
    "rating": "0.0",
    "points": "0.00",
    "number": "0.00",
    "": "0.00",
}
# What a protected form sheet still lets the user do: select cells, resize rows and columns.
PROTECTION = {
    "select_locked_cells": True,
    "select_unlocked_cells": True,
    "format_columns": True,
    "format_rows": True,
}


def protect_form_sheet(ws: Any) -> None:
    """Lock every cell but the input cells, without a password: it guards against accidental
    edits; a determined user is caught by comparing the locked cells on collection."""
    ws.protect("", PROTECTION)


@dataclass
class FormLayout:
    """Where the form's input cells are, and every locked cell's value as issued."""

    sheet: str
    inputs: dict[str, str] = field(default_factory=dict)  # role -> cell, e.g. "cause" -> "A40"
    rows: list[dict[str, Any]] = field(
        default_factory=list
    )  # section-4 rows: no, kpi_id, seeded, cells
    locked: dict[str, Any] = field(default_factory=dict)  # cell -> value written (text or number)
    month_end: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "sheet": self.sheet,
            "inputs": self.inputs,
            "rows": self.rows,
            "month_end": self.month_end,
        }

    @property
    def locked_sha256(self) -> str:
        return locked_hash(self.locked)


def normalise(value: Any) -> Any:
    """A cell value as compared between issue and collection: numbers to 9 decimals, text as is."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return round(float(value), 9)
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def locked_hash(cells: dict[str, Any]) -> str:
    text = json.dumps(
        {k: normalise(v) for k, v in sorted(cells.items())}, ensure_ascii=False, sort_keys=True
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class FormSheet:
    """The form sheet: every write goes through here so locked values are recorded as written."""

    def __init__(self, wb: xlsxwriter.Workbook, ws: Any, layout: FormLayout, *, last_col: int = 7):
        self.wb, self.ws, self.layout = wb, ws, layout
        self.last_col = last_col  # a section title spans the sheet's columns up to here
        self.row = 0
        base = {
            "font_size": 10,
            "valign": "top",
            "text_wrap": True,
            "border": 1,
            "border_color": "#A6A6A6",
        }
        self.f = {
            "title": wb.add_format(
                {"bold": True, "font_size": 16, "align": "center", "valign": "vcenter"}
            ),
            "sub": wb.add_format(
                {"font_size": 9, "font_color": "#5F6B7A", "align": "center", "text_wrap": True}
            ),
            "section": wb.add_format(
                {
                    "bold": True,
                    "font_size": 12,
                    "font_color": "#1F4E79",
                    "bottom": 2,
                    "bottom_color": "#1F4E79",
                }
            ),
            "label": wb.add_format({**base, "bold": True, "bg_color": "#F3F6FA"}),
            "head": wb.add_format(
                {
                    **base,
                    "bold": True,
                    "font_color": "#FFFFFF",
                    "bg_color": "#1F4E79",
                    "align": "center",
                }
            ),
            "text": wb.add_format(base),
            "bold": wb.add_format({**base, "bold": True}),
            "num": wb.add_format({**base, "num_format": "0.00"}),
            "lost": wb.add_format(
                {**base, "num_format": "0.00", "font_color": "#C0504D", "bold": True}
            ),
            "pct": wb.add_format({**base, "num_format": "0.0%"}),
            "int": wb.add_format({**base, "num_format": "0"}),
            "note": wb.add_format(
                {
                    "font_size": 9,
                    "italic": True,
                    "font_color": "#5F6B7A",
                    "text_wrap": True,
                    "valign": "top",
                }
            ),
            "sign": wb.add_format({"bottom": 1, "valign": "bottom"}),
            "input": wb.add_format({**base, "bg_color": INPUT_FILL, "locked": False}),
            "input_date": wb.add_format(
                {**base, "bg_color": INPUT_FILL, "locked": False, "num_format": "yyyy-mm-dd"}
            ),
        }
        self._input_numbers: dict[str, Any] = {}

    def input_number_format(self, unit: str) -> Any:
        if unit not in self._input_numbers:
            self._input_numbers[unit] = self.wb.add_format(
                {
                    "font_size": 10,
                    "valign": "top",
                    "border": 1,
                    "border_color": "#A6A6A6",
                    "bg_color": INPUT_FILL,
                    "locked": False,
                    "num_format": NUMBER_FORMATS.get(unit, "0.00"),
                }
            )
        return self._input_numbers[unit]

    # -- locked cells -------------------------------------------------------------------------

    def put(
        self,
        col: int,
        value: Any,
        fmt: str = "text",
        *,
        to_col: int | None = None,
        row: int | None = None,
    ) -> None:
        """A locked cell (merged to ``to_col`` when given): text via write_string, numbers as numbers."""
        r = self.row if row is None else row
        style = self.f[fmt]
        if to_col is not None and to_col > col:
            self.ws.merge_range(r, col, r, to_col, "", style)
        if value is None or value == "":
            if to_col is None or to_col == col:
                self.ws.write_blank(r, col, None, style)
            return
        ref = xl_rowcol_to_cell(r, col)
        if isinstance(value, int | float) and not isinstance(value, bool):
            number = float(value)
            if math.isfinite(number):
                self.ws.write_number(r, col, number, style)
                self.layout.locked[ref] = number
                return
            if math.isnan(number):
                self.ws.write_blank(r, col, None, style)
                return
            # xlsxwriter refuses inf (the form would stop half-way): the number as text.
            value = "inf" if number > 0 else "-inf"
        text = xml_safe(str(value))  # what the cell holds and collect compares against
        self.ws.write_string(r, col, text, style)
        self.layout.locked[ref] = text

    def line(self, cells: list[tuple[int, int, Any, str]]) -> None:
        """One row of (first col, last col, value, style) cells, then move down."""
        for first, last, value, fmt in cells:
            self.put(first, value, fmt, to_col=last)
        self.row += 1

    # -- input cells --------------------------------------------------------------------------

    def input(
        self,
        col: int,
        role: str | None,
        *,
        kind: str = "text",
        to_col: int | None = None,
        rows: int = 1,
        value: float | None = None,
        unit: str = "",
        validation: dict[str, Any] | None = None,
        row: int | None = None,
    ) -> str:
        """An unlocked, yellow input cell (merged over ``to_col`` x ``rows`` when given); returns its ref."""
        r = self.row if row is None else row
        style = (
            self.f["input_date"]
            if kind == "date"
            else self.input_number_format(unit)
            if kind == "number"
            else self.f["input"]
        )
        last_col, last_row = (to_col if to_col is not None else col), r + rows - 1
        if (last_col, last_row) != (col, r):
            self.ws.merge_range(r, col, last_row, last_col, "", style)
        for tall in range(r, last_row + 1) if rows > 1 else ():
            self.ws.set_row(tall, 24)  # a writing box: several lines of text
        if value is not None and math.isfinite(value):
            self.ws.write_number(r, col, float(value), style)
        elif (last_col, last_row) == (col, r):
            self.ws.write_blank(r, col, None, style)
        if validation:
            self.ws.data_validation(r, col, r, col, validation)
        ref = xl_rowcol_to_cell(r, col)
        if role:
            self.layout.inputs[role] = ref
        return ref

    def section(self, title: str) -> None:
        self.row += 1
        self.put(0, title, "section", to_col=self.last_col)
        self.ws.set_row(self.row, 20)
        self.row += 1
