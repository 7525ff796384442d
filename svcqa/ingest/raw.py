"""``RawSheet``: one sheet (or CSV file) as read, every cell as text, rows as the user numbers them.

Row 0 of every ``RawSheet`` is row 1 in Excel (title rows and blank rows above the data
included), so row numbers in findings are the ones the user sees.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa


@dataclass
class RawSheet:
    """One sheet (or CSV file) as read: every cell as text, absolute rows, plus error cells."""

    file: str  # file name as shown to the user
    path: Path
    sheet: str  # "" for CSV
    cells: pa.Table  # string columns 0..n-1; row i is Excel row i + 1 (CSV: line i + 1)
    errors: list[tuple[int, int, str]] = field(default_factory=list)  # (row, column, detail)
    date1904: bool = False
    # Row number the user sees for each row of ``cells`` when it is not i + 1 (a CSV whose
    # quoted fields span lines: record i starts on a later line).
    row_numbers: np.ndarray | None = None
    # A melted wide sheet (``wide``): its merges already applied ([]), and per column position
    # the Excel cell ("AF7") each row's value came from, for rejects.
    merged: list[tuple[int, int, int, int]] | None = None
    cell_refs: dict[int, np.ndarray] | None = None

    def merged_ranges(self) -> list[tuple[int, int, int, int]]:
        """Merged cell ranges as 0-based ``(first_row, first_col, last_row, last_col)``.

        Read lazily (it parses the sheet a second time), so callers ask only when blank cells
        suggest merges; CSV and formats without merge information give ``[]``.
        """
        if self.merged is not None:
            return self.merged
        if not self.sheet:
            return []
        return merged_ranges(self.path, self.sheet)

    @property
    def where(self) -> str:
        return f"{self.file}, sheet {self.sheet!r}" if self.sheet else self.file

    def head(self, n: int) -> list[list[str | None]]:
        """The first ``n`` rows as lists of cell text (for header finding)."""
        part = self.cells.slice(0, n).to_pydict()
        columns = [part[name] for name in self.cells.column_names]
        return [list(row) for row in zip(*columns, strict=True)] if columns else []


@dataclass(frozen=True)
class SheetInfo:
    name: str
    visible: bool


def merged_ranges(path: Path, sheet: str) -> list[tuple[int, int, int, int]]:
    """The merged ranges of one sheet (python-calamine), ``[]`` when unavailable."""
    try:
        import python_calamine

        book = python_calamine.CalamineWorkbook.from_path(str(path))
        try:
            ranges = book.get_sheet_by_name(sheet).merged_cell_ranges or []
        finally:
            book.close()
    except Exception:  # noqa: BLE001 - merge information is an aid, never a reason to fail
        return []
    return [(int(a[0]), int(a[1]), int(b[0]), int(b[1])) for a, b in ranges]
