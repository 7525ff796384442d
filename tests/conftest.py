"""Shared fixtures: a tiny-workbook factory and the bundled sample months."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import openpyxl
import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_DATA = ROOT / "sample_data"


def _corpus_folder() -> Path:
    """The shared real-world corpus, read in place: $SVCQA_CORPUS, else ../shared/corpus beside
    the checkout, else the workplace copy (a clone elsewhere, e.g. CI's, still finds it)."""
    candidates = [
        os.environ.get("SVCQA_CORPUS"),
        ROOT.parent / "shared" / "corpus",
        "/work/shared/corpus",
    ]
    for candidate in candidates:
        if candidate and Path(candidate, "MANIFEST.md").is_file():
            return Path(candidate)
    return ROOT.parent / "shared" / "corpus"


CORPUS = _corpus_folder()
requires_corpus = pytest.mark.skipif(
    not (CORPUS / "MANIFEST.md").is_file(),
    reason=f"real-world corpus not found at {CORPUS}; set SVCQA_CORPUS",
)

Rows = Sequence[Sequence[Any]]

# The clock every test runs under (svcqa.clock): no test depends on the day it runs.
PINNED_NOW = "2026-12-06T09:00:00"


@pytest.fixture(autouse=True)
def _own_machine_state(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Each test gets its own reader spool, a pinned clock and no inherited history store, also
    in the svcqa processes it starts: nothing couples it to other tests or other svcqa runs."""
    spool = tmp_path_factory.mktemp("spool")
    monkeypatch.setenv("SVCQA_SPOOL_DIR", str(spool))
    monkeypatch.setenv("SVCQA_NOW", PINNED_NOW)
    monkeypatch.delenv("SVCQA_DB", raising=False)


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
