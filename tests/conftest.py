"""Shared fixtures: a tiny-workbook factory and the bundled sample months."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import openpyxl
import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_DATA = ROOT / "sample_data"
CORPUS = ROOT.parent / "shared" / "corpus"

Rows = Sequence[Sequence[Any]]


def write_workbook(path: Path, sheets: dict[str, Rows]) -> Path:
    """Write ``{sheet name: rows}`` as a real .xlsx (first row of each list is row 1 in Excel)."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(list(row))
    wb.save(path)
    return path


@pytest.fixture
def make_workbook(tmp_path: Path) -> Callable[..., Path]:
    """Factory: ``make_workbook({"工单": [[header...], [row...]]}, name="m.xlsx")`` -> path."""

    def factory(sheets: dict[str, Rows], name: str = "month.xlsx") -> Path:
        return write_workbook(tmp_path / name, sheets)

    return factory
