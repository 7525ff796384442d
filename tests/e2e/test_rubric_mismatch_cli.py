"""`svcqa score` shows what the rubric asks for and the month lacks: stderr, outputs, --strict."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from svcqa.cli import app
from svcqa.jobs.score import run_score

from conftest import SAMPLE_DATA
from mismatch_month import GOOD_SPEED, HEADER, RUBRIC
from mismatch_month import TICKETS as ALL_TICKETS

runner = CliRunner()

TICKETS = ALL_TICKETS[:3]  # the messages below count the values of these three rows
LOW = (
    'svcqa: warning: [filter-matches-nothing] KPI cycle (Cycle): filter priority = "low" on '
    'tickets.priority: "low" occurs in no row of the month; no row passes the filter, so every '
    'branch is scored as when_empty = full. The column holds "Low" ×2, "High" ×1. Did you mean '
    '"Low" for "low"? Write priority = "Low". Filters match the exact spelling of the cell: '
    "write the value as the data has it\n"
)
FLAG = (
    'svcqa: warning: [filter-not-boolean] KPI cycle (Cycle): filter answered = "Y" on '
    'tickets.answered, a yes/no column: "Y" is not true or false, so it matches no row; no row '
    "passes the filter, so every branch is scored as when_empty = full. The column holds true ×2, "
    "false ×1. Write answered = true or answered = false (TOML booleans, no quotes)\n"
)
ALIAS = (
    "svcqa: warning: [kpi-column-missing] KPI speed (Speed) needs column speed of the tickets "
    'table (declared in the rubric; header spellings: "speed", "Speed of answer (s)"), which the '
    "month's tickets sheet does not have; every branch is scored as when_empty = full. The "
    "tickets table has: ticket_id, branch, accepted_at, completed_at, priority, answered. Map the "
    'header with [aliases.tickets] speed = ["<header as in the sheet>"] in the rubric or with '
    "--aliases\n"
)
CASES = [
    ('priority = "low"', GOOD_SPEED, LOW),
    ('answered = "Y"', GOOD_SPEED, FLAG),
    ('priority = "Low"', "Speed of answer (s)", ALIAS),
]


def _files(make_workbook: Callable[..., Path], tmp_path: Path, filter_text: str, speed: str):
    book = make_workbook({"工单": [HEADER, *TICKETS]})
    rubric = tmp_path / "cc.toml"
    rubric.write_text(RUBRIC.format(filter=filter_text, speed_header=speed), encoding="utf-8")
    return book, rubric


def _score(book: Path, rubric: Path, out: Path, *extra: str):
    args = ["score", str(book), "-r", str(rubric), "--no-history", "--out", str(out), *extra]
    return runner.invoke(app, args)


@pytest.mark.parametrize(("filter_text", "speed", "line"), CASES)
@pytest.mark.parametrize(
    "extra", [(), ("--quiet",), ("--format", "json"), ("--format", "csv")], ids=str
)
def test_each_mismatch_is_a_warning_line_on_stderr(
    make_workbook, tmp_path, filter_text, speed, line, extra
):
    """The finding prints as `svcqa: warning: [code] message` on stderr, whatever the format."""
    book, rubric = _files(make_workbook, tmp_path, filter_text, speed)
    result = _score(book, rubric, tmp_path / "out", *extra)
    assert result.exit_code == 0
    assert result.stderr == line
    assert "svcqa: warning" not in result.stdout
    if extra == ("--format", "json"):
        notes = json.loads(result.stdout)["notes"]
        assert "svcqa: warning: [" + notes[0]["code"] + "] " + notes[0]["message"] + "\n" == line


@pytest.mark.parametrize(("filter_text", "speed", "line"), CASES)
def test_the_finding_is_in_scorecard_json_and_xlsx(
    make_workbook, tmp_path, filter_text, speed, line
):
    """scorecard.json's notes carry the finding; the xlsx rules sheet lists it below the rules."""
    book, rubric = _files(make_workbook, tmp_path, filter_text, speed)
    assert _score(book, rubric, tmp_path / "out").exit_code == 0
    code, message = line.removeprefix("svcqa: warning: [").rstrip("\n").split("] ", 1)
    notes = json.loads((tmp_path / "out" / "scorecard.json").read_text(encoding="utf-8"))["notes"]
    assert {"code": code, "message": message} in [
        {"code": n["code"], "message": n["message"]} for n in notes
    ]
    sheet = openpyxl.load_workbook(tmp_path / "out" / "scorecard.xlsx")["评分规则"]
    rows = [row for row in sheet.iter_rows(values_only=True) if any(row)]
    assert (
        rows[3][0]
        == "本月数据缺少评分规则所需内容 (the rubric asks for data this month does not have)"
    )
    assert rows[4][:2] == (code, message)


@pytest.mark.parametrize(("filter_text", "speed", "line"), CASES)
def test_strict_exits_1_naming_the_finding_after_writing_the_outputs(
    make_workbook, tmp_path, filter_text, speed, line
):
    """--strict: exit 1, an error naming the finding, and the outputs written."""
    book, rubric = _files(make_workbook, tmp_path, filter_text, speed)
    result = _score(book, rubric, tmp_path / "out", "--strict", "--quiet")
    assert result.exit_code == 1
    out = tmp_path / "out"
    assert result.stderr == (
        "svcqa: error: 1 finding(s) of the rubric asking for data the month does not have, and "
        f"--strict was given; the outputs are in {out}. Fix the rubric or its aliases as each "
        "says:\n  - " + line.removeprefix("svcqa: warning: ")
    )
    assert (out / "scorecard.json").is_file() and (out / "rejects.csv").is_file()


def test_a_rubric_whose_filters_all_match_prints_no_warning_under_strict(make_workbook, tmp_path):
    """Every filter value present and every column found: exit 0 under --strict, stderr empty."""
    book, rubric = _files(make_workbook, tmp_path, 'priority = "Low", answered = true', GOOD_SPEED)
    result = _score(book, rubric, tmp_path / "out", "--strict", "--quiet")
    assert result.exit_code == 0 and result.stderr == ""


def test_the_default_preset_on_the_sample_month_has_no_mismatch(tmp_path):
    """gd-mobile-aftersales on sample_data/2026-10: no mismatch note, totals as before."""
    run = run_score([SAMPLE_DATA / "2026-10.xlsx"], out_dir=tmp_path, use_history=False)
    assert run.mismatches == []
    assert [n.code for n in run.scorecard.notes] == []


def test_a_preset_asking_for_columns_the_sample_lacks_says_so(tmp_path):
    """telecom-cs-generic on the sample month names the three columns and the table it lacks."""
    run = run_score(
        [SAMPLE_DATA / "2026-10.xlsx"],
        rubric="telecom-cs-generic",
        out_dir=tmp_path,
        use_history=False,
    )
    assert [(n.code, n.table, n.column) for n in run.mismatches] == [
        ("kpi-table-missing", "scores", ""),
        ("kpi-column-missing", "tickets", "answer_seconds"),
        ("kpi-column-missing", "tickets", "resolved"),
        ("kpi-column-missing", "complaints", "handling_days"),
    ]
