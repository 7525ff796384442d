"""History shows which rubric version scored each month and marks the month where it changed."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest
from typer.testing import CliRunner

from svcqa.cli import app
from svcqa.history import HistoryStore
from svcqa.history.queries import rubric_changes, trend_records
from svcqa.render.report import build_branch_view, render_branch_html

from conftest import ROOT
from history_fixtures import AUG, NOW, SEP, save, three_months

runner = CliRunner()
# The month re-scored under an edited rubric: another id and another hash.
VARIANT = SimpleNamespace(
    id="my-rubric", source_text='id = "my-rubric"\n', sha256="5e6f7a8b" + "01" * 28
)
OLD, NEW = "test-rubric@abababab", "my-rubric@5e6f7a8b"  # the fixture rubric's sha256 is "ab" * 32
AUG_LINE = f"rubric changed in 2026-08: {OLD} → {NEW}"
SEP_LINE = f"rubric changed in 2026-09: {NEW} → {OLD}"


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    """Jul-Sep stored under the fixture rubric, then August re-scored under a variant rubric."""
    path = tmp_path / "h.db"
    months = three_months()
    with HistoryStore(path) as store:
        for month in months:
            save(store, *months[month])
        store.save(*months[AUG], rubric=VARIANT, tool_version="0.1.0", now=NOW)
    return path


def _history(*args: str):
    return runner.invoke(app, ["history", *args], env={"COLUMNS": "200", "SVCQA_DB": ""})


def test_changes_are_the_months_whose_rubric_differs_from_the_month_before(
    store_path: Path,
) -> None:
    """August changed to the variant and September changed back; July has no month before it."""
    with HistoryStore(store_path) as store:
        changes = [str(c) for c in rubric_changes(store)]
        records = trend_records(store)
        branch_records = trend_records(store, branch="天河网点")
    assert changes == [AUG_LINE, SEP_LINE]
    by_month = {r["month"]: r["rubric_version"] for r in records}
    assert by_month == {"2026-07": "abababab", "2026-08": "5e6f7a8b", "2026-09": "abababab"}
    assert {(r["month"], r["rubric_version"]) for r in branch_records} == set(by_month.items())


def test_history_table_stars_the_changed_months_and_says_why(store_path: Path) -> None:
    """`svcqa history` marks 2026-08 and 2026-09 with * and prints one line per change."""
    result = _history("--db", str(store_path))
    assert result.exit_code == 0, result.output
    header = next(line for line in result.output.splitlines() if "┃" in line)
    assert [c.strip() for c in header.split("┃")[2:5]] == ["2026-07", "2026-08*", "2026-09*"]
    assert AUG_LINE in result.output and SEP_LINE in result.output
    # One month shown (September): the change into August is outside the range.
    shorter = _history("--db", str(store_path), "--months", "1")
    assert SEP_LINE in shorter.output and AUG_LINE not in shorter.output


def test_branch_history_stars_the_changed_months(store_path: Path) -> None:
    """`svcqa history --branch` marks the same months, and its JSON carries rubric_version."""
    result = _history("--db", str(store_path), "--branch", "天河网点")
    assert result.exit_code == 0, result.output
    header = next(line for line in result.output.splitlines() if "┃" in line)
    assert [c.strip() for c in header.split("┃")[3:6]] == ["2026-07", "2026-08*", "2026-09*"]
    assert AUG_LINE in result.output and SEP_LINE in result.output
    as_json = json.loads(_history("--db", str(store_path), "-b", "天河网点", "-f", "json").stdout)
    assert {r["month"]: r["rubric_version"] for r in as_json}["2026-08"] == "5e6f7a8b"


def test_runs_show_each_runs_rubric_version(store_path: Path) -> None:
    """`history runs` gives every run its version; the table stars the active changed months."""
    as_json = json.loads(_history("runs", "--db", str(store_path), "--format", "json").stdout)
    assert [(r["run_id"], r["month"], r["rubric_id"], r["rubric_version"]) for r in as_json] == [
        (4, "2026-08", "my-rubric", "5e6f7a8b"),
        (3, "2026-09", "test-rubric", "abababab"),
        (2, "2026-08", "test-rubric", "abababab"),
        (1, "2026-07", "test-rubric", "abababab"),
    ]
    table = _history("runs", "--db", str(store_path))
    assert table.exit_code == 0, table.output
    rows = [line for line in table.output.splitlines() if "│" in line and "2026-0" in line]
    months = [row.split("│")[1].strip() for row in rows]
    assert months == ["2026-08*", "2026-09*", "2026-08", "2026-07"]  # run 2 is superseded
    assert NEW in rows[0] and OLD in rows[1]
    assert AUG_LINE in table.output and SEP_LINE in table.output


def test_the_report_trend_stars_the_changed_months(store_path: Path) -> None:
    """A branch report's trend table marks 2026-08 and 2026-09 and says which versions changed."""
    with HistoryStore(store_path) as store:
        card, trend = store.load_scorecard(SEP), store.trend()
    view = build_branch_view(card, "天河网点", trend=trend, lang="en")
    assert [(r.month, r.rubric_change) for r in view.trend] == [
        ("2026-07", ""),
        ("2026-08*", "abababab → 5e6f7a8b"),
        ("2026-09*", "5e6f7a8b → abababab"),
    ]
    # This checkout's templates (the installed package may point at another checkout's).
    html = render_branch_html(view, template_dir=ROOT / "templates")
    assert "* rubric changed in 2026-08: abababab → 5e6f7a8b" in html
