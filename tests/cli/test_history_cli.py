"""Tests of ``svcqa history`` and ``svcqa history runs`` against a store built by hand."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from svcqa.cli import app
from svcqa.history import HistoryStore
from svcqa.history.queries import trend_records

from history_fixtures import JUL, SEP, save, three_months

runner = CliRunner()


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    """Jul-Sep stored, September saved twice (one superseded run)."""
    path = tmp_path / "h.db"
    months = three_months()
    with HistoryStore(path) as store:
        for month in months:
            save(store, *months[month])
        save(store, *months[SEP])
    return path


def invoke(*args: str):
    return runner.invoke(app, ["history", *args], env={"COLUMNS": "200", "SVCQA_DB": ""})


def test_trend_table_orders_by_latest_rank_with_arrows(store_path: Path) -> None:
    """Rows follow September's rank; each cell shows total, rank and the arrow against the month before."""
    result = invoke("--db", str(store_path))
    assert result.exit_code == 0, result.output
    rows = [line for line in result.output.splitlines() if "网点" in line and "#" in line]
    assert [r.split("│")[1].strip() for r in rows] == ["天河 网点", "海珠网点", "越秀网点"]
    cells = [[c.strip() for c in r.split("│")[2:5]] for r in rows]
    assert cells == [
        ["82.00 #2", "83.00 #2 ↑", "94.00 #1 ↑"],
        ["", "103.00 #-", "84.00 #2 ↓"],
        ["92.00 #1", "93.00 #1 ↑", "74.00 #3 ↓"],
    ]


def test_json_prints_the_library_records(store_path: Path) -> None:
    """--format json prints exactly what trend_records returns."""
    result = invoke("--db", str(store_path), "--format", "json", "--months", "2")
    assert result.exit_code == 0, result.output
    with HistoryStore(store_path) as store:
        expected = trend_records(store, months=2)
    assert json.loads(result.output) == expected
    assert {r["month"] for r in expected} == {"2026-08", "2026-09"}
    assert expected[0] == {
        "month": "2026-08",
        "branch_key": "天河网点",
        "branch": "天河 网点",
        "total": 83.0,
        "rank": 2,
        "grade": "良好",
        "coefficient": 1.05,
        "assessed": True,
        "flags": ["last_place", "rectification_required"],
        "rubric_version": "abababab",
    }


def test_branch_is_matched_after_nfkc_and_whitespace_removal(store_path: Path) -> None:
    """--branch accepts full-width and spaced spellings and shows that branch's KPI points per month."""
    result = invoke("--db", str(store_path), "--branch", "天河　 网点", "--format", "csv")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "month,kpi_id,label,points,max,value,rubric_version"
    assert lines[1:4] == [
        "2026-07,exchange_cycle,换机平均服务周期,12.0,12.0,3.5,abababab",
        "2026-07,rework_rate,维修质量(返修率),10.0,10.0,,abababab",
        "2026-07,total,总分,82.0,100.0,,abababab",
    ]
    table = invoke("--db", str(store_path), "--branch", "天河网点")
    assert table.exit_code == 0 and "总分" in table.output and "排名" in table.output


def test_unknown_branch_lists_closest_names(store_path: Path) -> None:
    """An unknown --branch exits 1 naming the closest known branches."""
    result = invoke("--db", str(store_path), "--branch", "越秀")
    assert result.exit_code == 1
    assert "no branch '越秀'" in result.output and "closest: 越秀网点" in result.output


def test_runs_lists_active_and_superseded(store_path: Path) -> None:
    """history runs shows every run newest first with its status; --month filters."""
    result = runner.invoke(
        app, ["history", "runs", "--db", str(store_path), "--format", "json", "--month", "2026-09"]
    )
    assert result.exit_code == 0, result.output
    runs = json.loads(result.output)
    assert [(r["run_id"], r["status"]) for r in runs] == [(4, "active"), (3, "superseded")]
    table = runner.invoke(app, ["history", "runs", "--db", str(store_path)], env={"COLUMNS": "200"})
    assert table.exit_code == 0
    lines = [line for line in table.output.splitlines() if "2026-0" in line]
    assert len(lines) == 4 and "superseded" in lines[1] and "2026-09.xlsx" in lines[0]
    assert str(JUL) in lines[3]


def test_missing_store_is_an_error_and_not_created(tmp_path: Path) -> None:
    """Reading history from a store that does not exist exits 1 without creating the file."""
    result = invoke("--db", str(tmp_path / "none.db"))
    assert result.exit_code == 1
    assert "no history store at" in result.output
    assert not (tmp_path / "none.db").exists()


def test_bad_format_is_a_usage_error(store_path: Path) -> None:
    """An unknown --format exits 2."""
    assert invoke("--db", str(store_path), "--format", "xml").exit_code == 2


def test_help_texts_end_with_an_example() -> None:
    """Both history commands document themselves with an example."""
    for args in (["history", "--help"], ["history", "runs", "--help"]):
        result = runner.invoke(app, args, env={"COLUMNS": "200"})
        assert result.exit_code == 0 and "Example:  svcqa history" in result.output


def test_the_store_is_db_then_the_environment_then_the_working_folder(
    store_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--db wins over $SVCQA_DB, which wins over ./svcqa.db."""
    monkeypatch.chdir(tmp_path)
    missing = tmp_path / "elsewhere.db"
    by_env = runner.invoke(app, ["history", "runs"], env={"SVCQA_DB": str(store_path)})
    assert by_env.exit_code == 0 and "2026-09" in by_env.output
    by_option = runner.invoke(
        app, ["history", "runs", "--db", str(missing)], env={"SVCQA_DB": str(store_path)}
    )
    assert by_option.exit_code == 1 and str(missing) in by_option.stderr
    by_folder = runner.invoke(app, ["history", "runs"], env={"SVCQA_DB": ""})
    assert by_folder.exit_code == 1 and str(tmp_path / "svcqa.db") in by_folder.stderr
