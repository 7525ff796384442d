"""`appeal forms` and `appeal bulletin` through a test-only `appeal` group (the lead merges them
into the real `svcqa appeal` group)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
import typer
from typer.testing import CliRunner

import svcqa
from svcqa.cli.appeal_forms import register
from svcqa.jobs.score import run_score
from svcqa.render import environment

from conftest import ROOT, SAMPLE_DATA

runner = CliRunner()
WEAK = "深圳龙岗（九）营业厅"


@pytest.fixture(scope="module")
def group() -> typer.Typer:
    app = typer.Typer()
    register(app)
    return app


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("cli")
    run_score(
        [SAMPLE_DATA / "2026-10.xlsx"],
        db=root / "h.db",
        out_dir=root / "o",
        now=datetime(2026, 11, 2),
    )
    return root / "h.db"


def test_forms_writes_one_branch_form(group, store, tmp_path):
    """`forms --branch` writes that branch's appeal workbook and prints its path."""
    result = runner.invoke(
        group,
        [
            "forms",
            "--month",
            "2026-10",
            "--branch",
            WEAK,
            "--db",
            str(store),
            "--out",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 0, result.output
    (path,) = tmp_path.glob("*-appeal.xlsx")
    assert "1 appeal form(s)" in result.output and str(path) in result.output
    wb = openpyxl.load_workbook(path, read_only=True)
    assert wb.sheetnames == ["申诉表", "_svcqa_appeal"]
    wb.close()


def test_forms_for_an_unknown_branch_exits_1_without_traceback(group, store, tmp_path):
    """An unknown branch is a one-line error naming it, exit 1."""
    result = runner.invoke(
        group,
        [
            "forms",
            "--month",
            "2026-10",
            "--branch",
            "火星店",
            "--db",
            str(store),
            "--out",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 1
    assert "火星店" in result.output and "Traceback" not in result.output


def test_bulletin_writes_html_and_xlsx_from_the_status_records(group, tmp_path, monkeypatch):
    """`bulletin` renders what svcqa.appeal_status returns for the month (stubbed here)."""
    asked = []

    def status(db, month):
        asked.append(str(month))
        return []

    monkeypatch.setattr(svcqa, "appeal_status", status, raising=False)
    # this checkout's templates: an installed svcqa may predate bulletin.html
    monkeypatch.setattr(
        environment, "_default_environment", lambda: environment._build([ROOT / "templates"])
    )
    result = runner.invoke(group, ["bulletin", "--month", "2026-10", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert asked == ["2026-10"]
    assert (tmp_path / "bulletin.xlsx").is_file()
