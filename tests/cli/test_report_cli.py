"""`svcqa report` end to end: sample months scored into a store, then reports read back from it."""

from __future__ import annotations

import re
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from svcqa.cli import app
from svcqa.history import HistoryStore
from svcqa.output import safe_filename

runner = CliRunner()


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("store")
    db = folder / "h.db"
    for month in ("2026-09", "2026-10"):
        made = runner.invoke(
            app,
            [
                "sample",
                "--month",
                month,
                "--branches",
                "8",
                "--tickets",
                "1500",
                "--seed",
                "3",
                "--out",
                str(folder),
            ],
        )
        assert made.exit_code == 0, made.output
        scored = runner.invoke(
            app,
            [
                "score",
                str(folder / f"{month}.xlsx"),
                "--db",
                str(db),
                "--out",
                str(folder / month),
                "-q",
            ],
        )
        assert scored.exit_code == 0, scored.output
    return db


def test_report_all_writes_every_branch_and_the_index(store, tmp_path):
    """--all writes an HTML and XLSX per branch of the latest month plus index.html."""
    result = runner.invoke(app, ["report", "--all", "--db", str(store), "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    with HistoryStore(store, create=False) as s:
        names = [b.branch for b in s.load_scorecard(s.months()[-1]).branches]
    assert "2026-10:" in result.output and f"{len(names)} branch reports" in result.output
    for name in names:
        assert (tmp_path / f"{safe_filename(name)}.html").exists()
        assert openpyxl.load_workbook(tmp_path / f"{safe_filename(name)}.xlsx").sheetnames == [
            "概览",
            "KPI",
            "明细",
            "投诉热点",
        ]
    assert (tmp_path / "index.html").exists()


def test_report_branch_matches_loosely_and_suggests_names(store, tmp_path):
    """A branch name with extra spaces and half-width brackets still matches; an unknown one exits 1 with suggestions."""
    with HistoryStore(store, create=False) as s:
        name = sorted(s.branch_names().values())[0]
    typed = " ".join(name).replace("（", "(").replace("）", ")")
    result = runner.invoke(
        app,
        [
            "report",
            "--branch",
            typed,
            "--month",
            "2026-09",
            "--format",
            "html",
            "--lang",
            "en",
            "--db",
            str(store),
            "--out",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 0, result.output
    page = tmp_path / f"{safe_filename(name)}.html"
    assert page.exists() and not (tmp_path / "index.html").exists()
    assert "2026-09" in page.read_text(encoding="utf-8") and "KPI scores" in page.read_text(
        encoding="utf-8"
    )
    missing = runner.invoke(
        app, ["report", "--branch", name[:-1] + "X", "--db", str(store), "--out", str(tmp_path)]
    )
    assert missing.exit_code == 1 and name in missing.output


def test_report_needs_exactly_one_of_branch_or_all(store):
    """Neither or both of --branch and --all is a usage error (exit 2)."""
    assert runner.invoke(app, ["report", "--db", str(store)]).exit_code == 2
    assert (
        runner.invoke(app, ["report", "--all", "--branch", "x", "--db", str(store)]).exit_code == 2
    )
    assert (
        runner.invoke(app, ["report", "--all", "--format", "pdf", "--db", str(store)]).exit_code
        == 2
    )


def test_the_preset_reports_show_the_overdue_limit_under_its_two_kpis(store, tmp_path):
    """The Chinese preset's two overdue_share KPIs read "超过 10 天" under their names, in the HTML and the KPI sheet; no other KPI has a line."""
    result = runner.invoke(app, ["report", "--all", "--db", str(store), "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    page = next(p for p in sorted(tmp_path.glob("*.html")) if p.name != "index.html")
    html = page.read_text(encoding="utf-8")
    limits = re.findall(
        r'<tr data-kpi="([^"]+)">\s*<td>[^\n]*?<div class="limit">([^<]*)</div>', html
    )
    assert limits == [("exchange_overdue", "超过 10 天"), ("warranty_overdue", "超过 10 天")]
    sheet = openpyxl.load_workbook(page.with_suffix(".xlsx"))["KPI"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][-1] == "计入条件"
    assert {r[1]: r[-1] for r in rows[1:] if r[-1]} == {
        "换机超期扣罚": "超过 10 天",
        "保修超期扣罚": "超过 10 天",
    }
