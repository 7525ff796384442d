"""`svcqa appeal forms|collect|bulletin` on the sample month, through the real command line:
forms issued, filled in as a branch would, collected, decided, applied, and the bulletin."""

from __future__ import annotations

import json
import shutil
from datetime import datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from typer.testing import CliRunner

from svcqa.cli import app
from svcqa.jobs.score import run_score

from conftest import SAMPLE_DATA

runner = CliRunner()
WEAK = "深圳龙岗（九）营业厅"  # last place in every sample month
META, SHEET = "_svcqa_appeal", "申诉表"


@pytest.fixture(scope="module")
def scored(tmp_path_factory) -> Path:
    """2026-10 scored into a store (copied per test: collecting writes it)."""
    root = tmp_path_factory.mktemp("cli")
    run_score(
        [SAMPLE_DATA / "2026-10.xlsx"],
        db=root / "h.db",
        out_dir=root / "o",
        now=datetime(2026, 11, 2),
    )
    return root / "h.db"


@pytest.fixture
def store(scored: Path, tmp_path: Path) -> Path:
    db = tmp_path / "h.db"
    shutil.copy(scored, db)
    return db


def svcqa(*args: str) -> Any:
    return runner.invoke(app, [str(a) for a in args])


def issue_form(db: Path, folder: Path) -> Path:
    result = svcqa(
        "appeal", "forms", "--month", "2026-10", "--branch", WEAK, "--db", db, "--out", folder
    )
    assert result.exit_code == 0, result.output
    (path,) = folder.glob("*-appeal.xlsx")
    return path


def form_rows(path: Path) -> list[dict[str, Any]]:
    """The rows table of a form's hidden record: table, row_id and the input cells of each row."""
    wb = openpyxl.load_workbook(path, read_only=True)
    values = [list(r) for r in wb[META].iter_rows(values_only=True)]
    wb.close()
    start = next(i for i, r in enumerate(values) if r[:2] == ["row", "table"])
    rows = []
    for r in values[start + 1 :]:
        if r[0] is None:
            break
        rows.append(dict(zip(values[start], r)))
    return rows


def fill(src: Path, dst: Path, cells: dict[str, Any]) -> Path:
    """Type values into the form sheet as a branch would in Excel."""
    wb = openpyxl.load_workbook(src)
    for ref, value in cells.items():
        wb[SHEET][ref] = value
    wb.save(dst)
    return dst


def test_forms_writes_one_branch_form(store, tmp_path):
    """`appeal forms --branch` writes that branch's appeal workbook and prints its path."""
    result = svcqa(
        "appeal", "forms", "--month", "2026-10", "--branch", WEAK, "--db", store, "--out", tmp_path
    )
    assert result.exit_code == 0, result.output
    (path,) = tmp_path.glob("*-appeal.xlsx")
    assert "1 appeal form(s)" in result.output and str(path) in result.output
    wb = openpyxl.load_workbook(path, read_only=True)
    assert wb.sheetnames == [SHEET, META]
    wb.close()


def test_forms_for_an_unknown_branch_exits_1_without_traceback(store, tmp_path):
    """An unknown branch is a one-line error naming it, exit 1."""
    result = svcqa(
        "appeal",
        "forms",
        "--month",
        "2026-10",
        "--branch",
        "火星店",
        "--db",
        store,
        "--out",
        tmp_path,
    )
    assert result.exit_code == 1
    assert "火星店" in result.output and "Traceback" not in result.output


def test_collect_decide_apply_and_bulletin(store, tmp_path, monkeypatch):
    """A returned form's 是 rows become pending appeals; accepted and applied, the bulletin and
    `appeal status` show the branch's total before -> after, the rejected one changes nothing."""
    monkeypatch.setenv("SVCQA_NOW", "2026-11-05T09:00:00")  # inside the 10-day window
    form = issue_form(store, tmp_path / "forms")
    rows = [r for r in form_rows(form) if r["table"] in ("tickets", "attendance")]
    first, second = rows[0], rows[-1]
    filled = fill(
        form,
        tmp_path / "returned.xlsx",
        {
            first["appeal"]: "是",
            first["reason"]: "客户六天未取机",
            first["reference"]: "短信通知截图",
            second["appeal"]: "是",
            second["reason"]: "病假已批",
        },
    )
    result = svcqa("appeal", "collect", filled, "--db", store)
    assert result.exit_code == 0, result.output
    assert "2 appeal(s) recorded" in result.output

    status = json.loads(
        svcqa("appeal", "status", "--month", "2026-10", "--format", "json", "--db", store).output
    )
    assert [(s["table"], s["id"], s["status"], s["source"]) for s in status] == [
        (first["table"], first["row_id"], "pending", "returned.xlsx"),
        (second["table"], second["row_id"], "pending", "returned.xlsx"),
    ]
    # the same form again: the rows already have appeals, nothing more is recorded
    again = svcqa("appeal", "collect", filled, "--db", store)
    assert again.exit_code == 1 and "Traceback" not in again.output

    for row, verdict in ((first, "--accept"), (second, "--reject")):
        decided = svcqa(
            "appeal", "decide", "--month", "2026-10", "--table", row["table"], "--id", row["row_id"],
            verdict, "--reason", "核实", "--by", "张三", "--db", store,
        )  # fmt: skip
        assert decided.exit_code == 0, decided.output
    applied = svcqa(
        "appeal", "apply", "--month", "2026-10", "--db", store, "--out", tmp_path / "out"
    )
    assert applied.exit_code == 0, applied.output

    status = json.loads(
        svcqa("appeal", "status", "--month", "2026-10", "--format", "json", "--db", store).output
    )
    accepted, rejected = status
    assert accepted["status"] == "accepted" and accepted["applied"] is True
    assert rejected["status"] == "rejected"
    before, after = accepted["before"]["total"], accepted["after"]["total"]
    # (withdrawing a ticket can also cost points: it leaves the complaint rate's denominator)
    assert after != before
    assert accepted["points_restored"] == pytest.approx(round(after - before, 2))

    bulletin = svcqa(
        "appeal", "bulletin", "--month", "2026-10", "--db", store, "--out", tmp_path / "bulletin"
    )
    assert bulletin.exit_code == 0, bulletin.output
    html = (tmp_path / "bulletin" / "bulletin.html").read_text(encoding="utf-8")
    assert WEAK in html and "客户六天未取机" in html
    assert f"{before:.2f}" in html and f"{after:.2f}" in html


def test_collect_refuses_a_form_edited_outside_its_input_cells(store, tmp_path):
    """A locked cell changed in a returned form records nothing and names the cell, exit 1."""
    form = issue_form(store, tmp_path / "forms")
    first = form_rows(form)[0]
    wb = openpyxl.load_workbook(form)
    ws = wb[SHEET]
    id_cell = next(
        c
        for row in ws.iter_rows()
        for c in row
        if c.value == first["row_id"] and c.row == ws[first["appeal"]].row
    )
    wb.close()
    filled = fill(
        form,
        tmp_path / "edited.xlsx",
        {first["appeal"]: "是", first["reason"]: "理由", id_cell.coordinate: "GD0"},
    )
    result = svcqa("appeal", "collect", filled, "--db", store)
    assert result.exit_code == 1
    assert id_cell.coordinate in result.output and "nothing was recorded" in result.output
    status = svcqa("appeal", "status", "--month", "2026-10", "--format", "json", "--db", store)
    assert json.loads(status.output) == []
