"""Loading, validating and showing rubrics (library and `svcqa rubric` commands)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from svcqa.cli import app
from svcqa.errors import RubricError
from svcqa.rubric import (
    DEFAULT_RUBRIC,
    check_document,
    check_rubric_file,
    list_presets,
    load_rubric,
    load_rubric_text,
    presets_document,
)

runner = CliRunner()

GOOD = """
id = "mini"
name = "Mini"
max = 20

[[grades]]
name = "好"
min = 10
coefficient = 1.0

[[grades]]
name = "差"
min = 0
coefficient = 0.9

[columns.tickets.answer_seconds]
type = "number"
label = "响应时长"
aliases = ["响应时长(秒)"]

[aliases.tickets]
ticket_id = ["服务单编号"]

[[kpis]]
id = "speed"
label = "响应"
points = 10
metric = { kind = "mean", table = "tickets", column = "answer_seconds" }
curve = { kind = "linear", full = 20, zero = 60 }

[[kpis]]
id = "cycle"
label = "周期"
points = 10
when_empty = "zero"
metric = { kind = "mean_cycle_days", filter = { service_type = ["exchange", "warranty"] } }
curve = { kind = "linear", full = 3, zero = 7 }
"""

BAD = """id = "bad"
name = "Bad"
max = 100

[[grades]]
name = "A"
min = 60
coefficient = 1.0

[[grades]]
name = "B"
min = 80
coefficient = 0.9

[[kpis]]
id = "a"
label = "A"
points = 50
metric = { kind = "mean_cycle_days" }
curve = { kind = "linear", full = 7, zero = 3, better = "lower" }

[[kpis]]
id = "a"
label = "A2"
points = 30
metric = { kind = "median_days" }
curve = { kind = "linear", full = 3, zero = 7 }

[[kpis]]
id = "c"
label = "C"
points = 10
metric = { kind = "mean", table = "tickets", column = "answer_speed" }
curve = { kind = "ratio" }

[[kpis]]
id = "d"
label = "D"
points = 5
pionts = 5
metric = { kind = "count", table = "orders" }
curve = { kind = "deduct" }
"""


def test_load_text_builds_frozen_rubric() -> None:
    """A valid rubric loads into a frozen object with its source, hash, KPIs, columns and aliases."""
    rubric = load_rubric_text(GOOD, origin="mini.toml")
    assert (rubric.id, rubric.name, rubric.max, len(rubric.kpis)) == ("mini", "Mini", 20.0, 2)
    assert rubric.source_text == GOOD and len(rubric.sha256) == 64
    assert [c.name for c in rubric.extra_columns["tickets"]] == ["answer_seconds"]
    assert rubric.extra_columns["tickets"][0].aliases == ("响应时长(秒)", "answer_seconds")
    assert rubric.aliases == {"tickets": {"ticket_id": ["服务单编号"]}}
    assert rubric.kpi("cycle").metric.filter == (("service_type", ("exchange", "warranty")),)
    assert rubric.kpi("cycle").when_empty == "zero"
    assert (
        rubric.failing_grades == ("差",)
        and rubric.contract_review_after == 3
        and rubric.grace_months == 1
    )
    with pytest.raises(AttributeError):
        rubric.max = 10  # type: ignore[misc]
    assert hash(rubric) == hash(load_rubric_text(GOOD))


def test_two_declared_tables_each_keep_their_columns() -> None:
    """A rubric declaring two tables of its own loads the columns of both (the second table was
    once called unknown, its 'known' list showing a column's keys: aliases, label, type)."""
    text = """
id = "two"
name = "Two"
max = 20
[tables.bugs]
month_column = "day"
[tables.jobs]
month_column = "day"
[columns.bugs.day]
type = "date"
aliases = ["日期"]
[columns.jobs.day]
type = "date"
[columns.jobs.hours]
type = "number"
aliases = ["投入时长"]
[[kpis]]
id = "bugs"
label = "Bugs"
points = 10
metric = { kind = "count", table = "bugs" }
curve = { kind = "deduct", per = 2 }
[[kpis]]
id = "hours"
label = "Hours"
points = 10
metric = { kind = "sum", table = "jobs", column = "hours" }
curve = { kind = "bands", bands = [[8, 10]], better = "higher" }
[[grades]]
name = "All"
min = 0
coefficient = 1.0
"""
    rubric = load_rubric_text(text)
    assert [c.name for c in rubric.extra_columns["bugs"]] == ["day"]
    assert [c.name for c in rubric.extra_columns["jobs"]] == ["day", "hours"]
    assert sorted(rubric.declared_tables) == ["bugs", "jobs"]


def test_required_columns_tell_ingest_what_to_read() -> None:
    """required_columns names the core tables and columns ingest must find; optional inputs stay optional."""
    gd = load_rubric(DEFAULT_RUBRIC)
    required = gd.required_columns()
    assert required["tickets"] == {"branch", "accepted_at", "completed_at", "service_type"}
    assert required["attendance"] == {"branch", "status"}
    assert set(required) == {
        "tickets",
        "complaints",
        "attendance",
    }  # optional tables are read when present
    optional = gd.optional_columns()
    assert (
        optional["cooperation"] == {"branch", "rating"}
        and "discipline" in optional
        and "incentives" in optional
    )
    assert {"is_rework", "device_id"} <= optional["tickets"]
    assert gd.tables() == {
        "tickets",
        "complaints",
        "attendance",
        "discipline",
        "cooperation",
        "incentives",
        "branches",
    }
    assert gd.qtd_kpi_ids == ["rework_rate"]
    telecom = load_rubric("telecom-cs-generic")
    assert "answer_seconds" not in telecom.required_columns()["tickets"]  # when_empty = full
    assert "answer_seconds" in telecom.optional_columns()["tickets"]


def test_check_reports_every_problem_with_key_and_line(tmp_path: Path) -> None:
    """One RubricError lists all seeded problems, each with its key and line."""
    path = tmp_path / "bad.toml"
    path.write_text(BAD, encoding="utf-8")
    with pytest.raises(RubricError) as info:
        check_rubric_file(path)
    reasons = info.value.reasons
    text = "\n".join(reasons)
    expected = [
        "kpis (line 15): KPI points add up to 95 but max is 100",
        "kpis[0].curve.full (line 20): thresholds in the wrong order",
        "kpis[1].id (line 23): duplicate KPI id 'a'",
        "kpis[1].metric.kind (line 26): unknown metric kind 'median_days'",
        "kpis[2].metric.column (line 33): unknown column 'answer_speed' of table tickets",
        "kpis[3].pionts (line 40): unknown key 'pionts'",
        "kpis[3].metric.table (line 41): unknown table 'orders'",
        "grades (line 5): thresholds in the wrong order",
        "grades[1].min (line 12): the lowest grade must start at 0",
    ]
    for item in expected:
        assert item in text
    assert len(reasons) == len(expected)
    assert "9 problems" in str(info.value)


def test_bands_and_grades_order_checked() -> None:
    """Bands whose limits run the wrong way and unknown curve kinds are reported."""
    text = GOOD.replace(
        'curve = { kind = "linear", full = 20, zero = 60 }',
        'curve = { kind = "bands", bands = [[60, 5], [20, 10]] }',
    )
    text = text.replace(
        'curve = { kind = "linear", full = 3, zero = 7 }', 'curve = { kind = "sigmoid" }'
    )
    with pytest.raises(RubricError) as info:
        load_rubric_text(text)
    joined = "\n".join(info.value.reasons)
    assert "kpis[0].curve.bands" in joined and "strictly increasing" in joined
    assert "kpis[1].curve.kind" in joined and "unknown curve kind 'sigmoid'" in joined


def test_toml_syntax_error_names_the_line() -> None:
    """A TOML syntax error is a RubricError naming the line."""
    with pytest.raises(RubricError, match="line 2"):
        load_rubric_text('id = "x"\nname = \n')


def test_loading_never_executes_code(tmp_path: Path) -> None:
    """A rubric is data: text that looks like code is just an unknown value."""
    marker = tmp_path / "pwned"
    text = GOOD.replace('name = "Mini"', f"name = \"__import__('os').system('touch {marker}')\"")
    rubric = load_rubric_text(text)
    assert not marker.exists() and rubric.name.startswith("__import__")


def test_load_by_path_and_unknown_reference(tmp_path: Path) -> None:
    """load_rubric takes a preset id or a .toml path; anything else names the presets."""
    path = tmp_path / "mini.toml"
    path.write_text(GOOD, encoding="utf-8")
    assert load_rubric(path).id == "mini" and load_rubric(str(path)).origin == str(path)
    with pytest.raises(RubricError, match="gd-mobile-aftersales"):
        load_rubric("no-such-rubric")
    with pytest.raises(RubricError, match="does not exist"):
        load_rubric(tmp_path / "missing.toml")


def test_presets_listed_default_first() -> None:
    """list_presets returns every shipped preset, the default first."""
    ids = [r.id for r in list_presets()]
    assert ids[0] == DEFAULT_RUBRIC
    assert sorted(ids) == [
        "gd-mobile-aftersales",
        "telecom-cs-generic",
        "tianyi-county-aftersales",
        "unicom-branch-monthly",
    ]


def test_cli_list_json_matches_library() -> None:
    """`svcqa rubric list --format json` prints exactly presets_document()."""
    result = runner.invoke(app, ["rubric", "list", "--format", "json"])
    assert result.exit_code == 0
    assert json.loads(result.stdout) == json.loads(json.dumps(presets_document()))
    table = runner.invoke(app, ["rubric", "list"])
    assert (
        table.exit_code == 0
        and "gd-mobile-aftersales" in table.stdout
        and "广东移动" in table.stdout
    )


def test_cli_show_table_json_and_toml() -> None:
    """`svcqa rubric show` prints the KPI table, the rubric as JSON, or its TOML source."""
    table = runner.invoke(app, ["rubric", "show", "gd-mobile-aftersales"])
    assert table.exit_code == 0
    for text in ("exchange_cycle", "full ≤ 3 · zero ≥ 7", "优秀", "1.05", "0.85"):
        assert text in table.stdout
    shown = runner.invoke(app, ["rubric", "show", "gd-mobile-aftersales", "--format", "json"])
    assert json.loads(shown.stdout) == json.loads(
        json.dumps(load_rubric("gd-mobile-aftersales").as_dict(), default=str)
    )
    source = runner.invoke(app, ["rubric", "show", "gd-mobile-aftersales", "--format", "toml"])
    assert source.stdout == load_rubric("gd-mobile-aftersales").source_text
    assert load_rubric_text(source.stdout).id == "gd-mobile-aftersales"


def test_cli_check_valid_and_invalid(tmp_path: Path) -> None:
    """`svcqa rubric check` exits 0 on a valid file, 1 with every problem on stderr otherwise."""
    good = tmp_path / "good.toml"
    good.write_text(GOOD, encoding="utf-8")
    ok = runner.invoke(app, ["rubric", "check", str(good)])
    assert ok.exit_code == 0 and "OK" in ok.stdout
    as_json = runner.invoke(app, ["rubric", "check", str(good), "--format", "json"])
    assert json.loads(as_json.stdout) == check_document(good)
    bad = tmp_path / "bad.toml"
    bad.write_text(BAD, encoding="utf-8")
    failed = runner.invoke(app, ["rubric", "check", str(bad)])
    assert failed.exit_code == 1
    assert (
        "unknown metric kind 'median_days'" in failed.stderr.replace("\n", " ")
        or "median_days" in failed.stderr
    )
    assert "pionts" in failed.stderr


def test_cli_bad_format_is_usage_error() -> None:
    """An unknown --format exits 2."""
    assert runner.invoke(app, ["rubric", "list", "--format", "xml"]).exit_code == 2
