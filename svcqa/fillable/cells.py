"""Checking a returned form's cells: problems located by sheet and cell, and the locked cells.

Shared by ``svcqa.rectify.collect`` and ``svcqa.appeals.collect``. Each problem is a ``Finding``
naming file, sheet, cell (as the user sees them in Excel), the value found and the fix.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from openpyxl.utils.cell import column_index_from_string, coordinate_from_string

from svcqa.fillable.sheet import normalise
from svcqa.models import Finding

MAX_LOCKED_EDITS = 10  # listed per form; more means the layout itself was changed


class Problems:
    """Problems of one file, each located by sheet and cell as the user sees it in Excel."""

    def __init__(self, name: str):
        self.name = name
        self.items: list[Finding] = []

    def add(
        self, code: str, reason: str, *, sheet: str = "", cell: str = "", value: Any = None
    ) -> None:
        where = (
            f"file {self.name}"
            + (f", sheet {sheet!r}" if sheet else "")
            + (f", cell {cell}" if cell else "")
        )
        column, row = coordinate_from_string(cell) if cell else ("", None)
        self.items.append(
            Finding(
                code=code,
                message=f"{where}: {reason}",
                file=self.name,
                sheet=sheet,
                row=row,
                column=column,
                value="" if value is None else str(value),
            )
        )


def cell_order(ref: str) -> tuple[int, int]:
    """Sort key of a cell reference: top to bottom, then left to right (A2 before B2 before A10)."""
    column, row = coordinate_from_string(ref)
    return row, column_index_from_string(column)


def cell_text(value: Any) -> str:
    """A cell as the text the user typed: whole numbers without ``.0``, blanks as ""."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def check_locked_cells(
    cells: Mapping[str, Any],
    locked: Mapping[str, Any],
    inputs: Collection[str],
    problems: Problems,
    *,
    sheet: str,
) -> None:
    """Every cell outside ``inputs`` must hold what was issued (``locked``; blank stays blank).
    The first ``MAX_LOCKED_EDITS`` edits are listed cell by cell, the rest counted."""
    edited = [
        ref
        for ref in sorted(set(locked) | set(cells), key=cell_order)
        if ref not in inputs and normalise(cells.get(ref)) != normalise(locked.get(ref))
    ]
    for ref in edited[:MAX_LOCKED_EDITS]:
        was, now_value = locked.get(ref), cells.get(ref)
        problems.add(
            "locked-cell-edited",
            f"changed outside the input cells (issued {'blank' if was is None else repr(normalise(was))}, "
            f"now {'blank' if now_value is None else repr(normalise(now_value))}); fill in only the yellow cells of the form as issued",
            sheet=sheet,
            cell=ref,
            value=now_value,
        )
    if len(edited) > MAX_LOCKED_EDITS:
        problems.add(
            "locked-cell-edited",
            f"{len(edited) - MAX_LOCKED_EDITS} more cells outside the input cells were changed (rows inserted or deleted?)",
            sheet=sheet,
        )
