"""Issuing forms for hostile branch names all or nothing, and formulas in a returned form.

The stores are built by hand (``history_fixtures``): a branch name carrying ESC and C0 control
characters reaches the writers whatever ingest makes of such names.
"""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime
from pathlib import Path
from types import SimpleNamespace

import openpyxl
import pytest
from typer.testing import CliRunner

import svcqa
from svcqa.cli import app
from svcqa.errors import OutputError
from svcqa.jobs import rectify as rectify_job
from svcqa.jobs.rectify import collect_forms, form_status, issue_forms
from svcqa.models import Month

import history_fixtures as hf
import rectify_fixtures as fx

OCT = Month(2026, 10)
ESC_NAME = "\x1b[31m红\x07店\x1b[0m\x01"
NOW = datetime(2026, 11, 3, 9, 0)
# Issuing reads the stored rubric's failing grades: store a real preset's text.
PRESET = Path(svcqa.__file__).parent / "rubric" / "presets" / "telecom-cs-generic.toml"
RUBRIC = SimpleNamespace(
    id="telecom-cs-generic", source_text=PRESET.read_text("utf-8"), sha256="ef" * 32
)


def _store(tmp_path: Path, last: str) -> Path:
    """A store holding October where ``last`` is ranked last (so it must rectify)."""
    db = tmp_path / "svcqa.db"
    with hf.open_store(db) as store:
        store.save(
            hf.scorecard(OCT, {"越秀网点": 1, last: 2}),
            hf.month_data(OCT),
            rubric=RUBRIC,
            tool_version="0.1.0",
            now=hf.NOW,
        )
    return db


def test_control_characters_in_a_branch_name_do_not_stop_the_form(tmp_path: Path) -> None:
    """A last-place branch named with ESC/BEL/SOH gets all three forms, recorded as issued, the
    control characters stripped from the DOCX and XLSX text."""
    db = _store(tmp_path, ESC_NAME)
    out = tmp_path / "rectify"
    run = issue_forms(db, month=OCT, out_dir=out, now=NOW)
    assert [f.branch for f in run.forms] == [ESC_NAME]
    paths = run.forms[0].paths
    assert sorted(p.suffix for p in paths) == [".docx", ".html", ".xlsx"]
    assert all(p.is_file() for p in paths)
    with zipfile.ZipFile(next(p for p in paths if p.suffix == ".docx")) as docx:
        body = docx.read("word/document.xml").decode("utf-8")
    assert "[31m红店[0m" in body and "\x1b" not in body and "\x07" not in body
    book = openpyxl.load_workbook(next(p for p in paths if p.suffix == ".xlsx"))
    texts = [c.value for row in book[fx.SHEET].iter_rows() for c in row if isinstance(c.value, str)]
    assert any("[31m红店[0m" in t for t in texts)
    assert not any(ch in t for t in texts for ch in "\x1b\x07\x01")
    status = form_status(db, month=OCT, today=date(2026, 11, 5))
    assert [(s["branch"], s["issued_at"]) for s in status] == [(ESC_NAME, NOW.isoformat())]
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in paths)


def test_a_form_that_fails_half_way_leaves_no_file_and_no_record(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the DOCX cannot be written, the branch's XLSX and HTML are not left behind and
    ``rectify status`` shows nothing issued; a later re-issue that fails keeps the first issue's
    files byte for byte."""
    db = _store(tmp_path, "海珠网点")
    out = tmp_path / "rectify"

    def broken(*_args: object, **_kwargs: object) -> Path:
        raise OutputError("cannot write form.docx: No space left on device")

    with monkeypatch.context() as patch:
        patch.setattr(rectify_job, "write_form_docx", broken)
        with pytest.raises(OutputError, match="No space left"):
            issue_forms(db, month=OCT, out_dir=out, now=NOW)
    assert list(out.iterdir()) == []
    assert form_status(db, month=OCT, today=date(2026, 11, 5)) == []

    first = issue_forms(db, month=OCT, out_dir=out, now=NOW)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    assert len(before) == 3
    monkeypatch.setattr(rectify_job, "write_form_docx", broken)
    with pytest.raises(OutputError):
        issue_forms(db, month=OCT, out_dir=out, now=datetime(2026, 11, 4, 9, 0))
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    status = form_status(db, month=OCT, today=date(2026, 11, 5))
    assert [(s["branch"], s["issued_at"]) for s in status] == [
        (first.forms[0].branch, NOW.isoformat())
    ]


def test_a_formula_in_the_measure_cell_is_named_as_a_formula(tmp_path: Path) -> None:
    """A formula typed into 整改措施 (saved without a cached value, as openpyxl saves it) is
    refused as a formula with its cell, not reported as an empty cell."""
    db = _store(tmp_path, "海珠网点")
    run = issue_forms(db, month=OCT, out_dir=tmp_path / "rectify", now=NOW)
    form = next(p for p in run.forms[0].paths if p.suffix == ".xlsx")
    row = next(r for r in fx.plan_rows(form) if r["kpi_id"])
    filled = fx.fill(
        form, tmp_path / "back.xlsx", overrides={row["measure"]: '=HYPERLINK("http://x","y")'}
    )
    result = collect_forms(db, [filled], now=NOW)
    codes = [(p.code, p.column + str(p.row)) for p in result.problems]
    assert ("formula-in-cell", row["measure"]) in codes
    assert not any(code == "missing-measure" for code, _cell in codes)
    message = next(p.message for p in result.problems if p.code == "formula-in-cell")
    assert "formula is not accepted" in message and "HYPERLINK" in message


def test_history_and_score_tables_show_control_characters_escaped(tmp_path: Path) -> None:
    """``svcqa history`` prints a name with ESC as ``\\x1b`` text, never the raw escape sequence."""
    db = _store(tmp_path, ESC_NAME)
    for args in (["history"], ["history", "runs"], ["history", "--branch", ESC_NAME]):
        result = CliRunner().invoke(app, [*args, "--db", str(db)])
        assert result.exit_code == 0, result.output
        assert "\x1b" not in result.output and "\x07" not in result.output
    result = CliRunner().invoke(app, ["history", "--db", str(db)])
    assert "\\x1b[31m红\\x07店\\x1b[0m\\x01" in result.output


def test_score_table_shows_control_characters_escaped() -> None:
    """The ranked table ``svcqa score`` prints shows a name with ESC as ``\\x1b`` text."""
    from rich.console import Console

    from svcqa.cli.score import _print_scorecard

    buffer = io.StringIO()
    card = hf.scorecard(OCT, {"越秀网点": 1, ESC_NAME: 2})
    _print_scorecard(Console(file=buffer, width=200, no_color=True), card, "from --month", 50)
    text = buffer.getvalue()
    assert "\x1b" not in text and "\x07" not in text
    assert "\\x1b[31m红\\x07店\\x1b[0m\\x01" in text
