"""`svcqa rubric init`: a starter rubric from the user's own export, accepted by check and score."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

from typer.testing import CliRunner

from svcqa.cli import app
from svcqa.rubric.starter import ColumnFacts, ExportFacts, starter_text

from conftest import CORPUS, SAMPLE_DATA, requires_corpus

runner = CliRunner()
CALLS = SAMPLE_DATA / "call-centre" / "2026-10.csv"
HELPDESK_CSV = CORPUS / "cs_helpdesk_sla" / "helpdesk_tickets.csv"


def _init(export: Path, *extra: str) -> str:
    result = runner.invoke(app, ["rubric", "init", str(export), *extra])
    assert result.exit_code == 0, result.output
    return result.stdout


def _points(document: dict) -> list[float]:
    return [k["points"] for k in document["kpis"]]


def test_call_centre_starter_types_its_columns_and_runs(tmp_path: Path) -> None:
    """The call log: call_id/agent/call_time guessed, Y/N a flag, seconds a number, rating
    canonical; check accepts it and score ranks the four agents."""
    text = _init(CALLS)
    document = tomllib.loads(text)
    assert document["aliases"]["tickets"] == {
        "ticket_id": ["call_id"],
        "branch": ["agent"],
        "accepted_at": ["call_time"],
        "rating": ["rating"],
    }
    assert document["columns"]["tickets"]["answered"]["type"] == "flag"
    assert "# yes/no; spellings found: N, Y (a filter takes true/false)" in text
    assert document["columns"]["tickets"]["speed_of_answer"]["type"] == "number"
    assert "# numbers from 9 to 62" in text
    assert "guessed: who is scored" in text
    assert [k["id"] for k in document["kpis"]] == [
        "answered_share",
        "speed_of_answer_mean",
        "rating_mean",
    ]
    assert _points(document) == [33, 33, 34]
    assert document["kpis"][2]["curve"] == {"kind": "rating", "scale_max": 5}
    assert "date_order" not in document

    rubric = tmp_path / "calls.toml"
    rubric.write_text(text, encoding="utf-8")
    check = runner.invoke(app, ["rubric", "check", str(rubric)])
    assert check.exit_code == 0, check.output
    assert "3 KPIs, max 100" in check.stdout
    out = tmp_path / "out"
    score = runner.invoke(
        app, ["score", str(CALLS), "--rubric", str(rubric), "--no-history", "--out", str(out)]
    )
    assert score.exit_code == 0, score.output
    branches = json.loads((out / "scorecard.json").read_text(encoding="utf-8"))["branches"]
    assert sorted(b["branch"] for b in branches) == ["Alice", "Bob", "Chen", "Dana"]


def test_output_is_deterministic_and_out_writes_the_same_text(tmp_path: Path) -> None:
    """Two runs give the same bytes (no clock, no absolute path); --out writes them to a file."""
    first = _init(CALLS)
    assert _init(CALLS) == first
    assert str(CALLS.parent) not in first
    target = tmp_path / "my-rubric.toml"
    result = runner.invoke(app, ["rubric", "init", str(CALLS), "--out", str(target)])
    assert result.exit_code == 0, result.output
    assert target.read_text(encoding="utf-8") == first
    assert result.stdout == ""


def test_a_sheet_that_is_not_there_is_refused_with_the_sheets_found() -> None:
    """--sheet names a missing sheet: exit 1 naming the option; a CSV has no sheets."""
    result = runner.invoke(app, ["rubric", "init", str(CALLS), "--sheet", "Calls"])
    assert result.exit_code != 0
    assert "--sheet 'Calls' is not a visible sheet with data; sheets: none (a CSV file)" in (
        result.output
    )
    assert "Traceback" not in result.output


def test_a_file_without_dates_is_refused_with_the_reason(tmp_path: Path) -> None:
    """No column of dates: nothing can place a row in a month, said plainly, exit 1."""
    path = tmp_path / "people.csv"
    path.write_text("name,team,age\nAnn,A,30\nBo,B,41\nCy,A,25\n", encoding="utf-8")
    result = runner.invoke(app, ["rubric", "init", str(path)])
    assert result.exit_code == 1
    assert "no column can be the tickets' accepted_at: rubric init needs a column of dates" in (
        result.output
    )


def test_starter_text_from_facts_is_valid_and_splits_100_points() -> None:
    """The pure generator: a bad-sounding flag inverted, a time share from two dates, a
    quartile-based linear curve, sheet alias and date order written, 100 points in all."""
    facts = ExportFacts(
        file="Tickets 2021.xlsx",
        sheet="Complaints log",
        header_row=3,
        rows=10,
        date_order="dmy",
        sheet_alias="Complaints log",
        columns=(
            ColumnFacts("No.", "ticket_id", "number", canonical=True, how="guessed: unique"),
            ColumnFacts("Team", "branch", "text", canonical=True, how="guessed: few values"),
            ColumnFacts("Opened", "accepted_at", "datetime", canonical=True, how="guessed"),
            ColumnFacts("Closed at", "closed_at", "datetime", low="2021-01-01 00:00"),
            ColumnFacts("SLA breached", "sla_breached", "flag", examples=("No", "Yes")),
            ColumnFacts("Minutes", "minutes", "number", low="1", high="90", q1=10.0, q3=40.5),
            ColumnFacts("Notes", "notes", "text", distinct=900, free_text=True),
            ColumnFacts("Spare", "spare", "empty"),
        ),
    )
    text = starter_text(facts)
    document = tomllib.loads(text)
    assert document["id"] == "tickets-2021"
    assert document["date_order"] == "dmy"
    assert document["sheet_aliases"] == {"tickets": ["Complaints log"]}
    assert _points(document) == [33, 33, 34]
    share, span, mean = document["kpis"]
    assert share["curve"] == {"kind": "ratio", "invert": True}
    assert span["metric"]["span"] == {"from": "accepted_at", "to": "closed_at", "unit": "hours"}
    assert mean["curve"] == {"kind": "linear", "full": 10, "zero": 40.5}
    assert "notes" not in document["columns"]["tickets"]
    assert "# [columns.tickets.notes]" in text
    assert "# Blank in every row, not declared: Spare" in text


@requires_corpus
def test_helpdesk_csv_starter_reads_us_dates_and_scores_a_month(tmp_path: Path) -> None:
    """The corpus helpdesk CSV (US m/d/yy dates, 0/1 flags, blank columns): date_order mdy, the
    flags typed with their spellings, and `check`/`score --month 2021-03` run on it."""
    text = _init(HELPDESK_CSV)
    document = tomllib.loads(text)
    assert document["date_order"] == "mdy"
    declared = document["columns"]["tickets"]
    assert declared["overdue"]["type"] == "flag"
    assert declared["last_updated"]["type"] == "datetime"
    assert declared["thread_count"]["type"] == "number"
    assert declared["priority"]["type"] == "text"
    assert "# text, 4 distinct values: Normal, High, Emergency, Low" in text
    assert "Blank in every row, not declared: Team Lead, SR No., Corrective Actions" in text
    assert document["aliases"]["tickets"]["ticket_id"] == ["Ticket Number"]
    assert document["aliases"]["tickets"]["accepted_at"] == ["Date Created"]
    assert sum(_points(document)) == 100
    rubric = tmp_path / "helpdesk.toml"
    rubric.write_text(text, encoding="utf-8")
    check = runner.invoke(
        app, ["check", str(HELPDESK_CSV), "--rubric", str(rubric), "--month", "2021-03",
              "--out", str(tmp_path / "check")]
    )  # fmt: skip
    assert check.exit_code == 0, check.output
    score = runner.invoke(
        app, ["score", str(HELPDESK_CSV), "--rubric", str(rubric), "--month", "2021-03",
              "--no-history", "--out", str(tmp_path / "out")]
    )  # fmt: skip
    assert score.exit_code == 0, score.output
    card = json.loads((tmp_path / "out" / "scorecard.json").read_text(encoding="utf-8"))
    assert card["month"] == "2021-03"
    assert len(card["branches"]) >= 2
