"""CLI tests for ``svcqa check``: exit codes, messages, JSON document and the rejects files."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import openpyxl
from typer.testing import CliRunner

from svcqa.cli import app
from svcqa.ingest import check_document, ingest
from svcqa.models import Month
from svcqa.rubric import DEFAULT_RUBRIC, load_rubric

from conftest import CORPUS, requires_corpus
from workbooks import defect_month

runner = CliRunner()


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_check_table_summary_and_rejects(make_workbook, tmp_path: Path) -> None:
    """check prints per-table accounting, the inferred month, and writes rejects.xlsx/csv."""
    path = make_workbook(defect_month())
    before = path.read_bytes()
    out = tmp_path / "out"
    result = runner.invoke(app, ["check", str(path), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Month 2026-10 (inferred from the rows' dates)" in result.output
    assert re.search(r"tickets\s*│\s*11\s*│\s*3\s*│\s*1\s*│\s*7", result.output)
    assert f"rejects: {out / 'rejects.csv'}" in flat(result.output)
    assert f"excluded rows: {out / 'excluded.csv'}" in flat(result.output)
    assert "excluded: tickets 1 outside 2026-10 (1 in 2026-09)" in flat(result.output)
    # Rows outside the month are not rejects: excluded.csv and the "excluded" sheet hold them.
    rows = read_csv(out / "rejects.csv")
    assert [(r["table"], r["row"], r["code"]) for r in rows if r["table"] == "tickets"][:3] == [
        ("tickets", "7", "unknown-service-type"),
        ("tickets", "8", "duplicate-id"),
        ("tickets", "10", "completed-before-accepted"),
    ]
    assert "outside-month" not in {r["code"] for r in rows}
    excluded = read_csv(out / "excluded.csv")
    assert [(r["table"], r["row"], r["code"], r["value"]) for r in excluded] == [
        ("tickets", "9", "outside-month", "2026-09-30 23:00")
    ]
    book = openpyxl.load_workbook(out / "rejects.xlsx", read_only=True)
    assert book.sheetnames == ["rejects", "excluded"]
    sheet_rows = list(book["excluded"].iter_rows(min_row=2, values_only=True))
    assert [(r[0], r[3], r[6]) for r in sheet_rows] == [("tickets", 9, "outside-month")]
    assert len(list(book["rejects"].iter_rows(min_row=2))) == len(rows)
    assert path.read_bytes() == before  # inputs are only read


def test_check_json_matches_library(make_workbook, tmp_path: Path) -> None:
    """--format json prints exactly check_document of the ingested month."""
    path = make_workbook(defect_month())
    out = tmp_path / "o"
    result = runner.invoke(
        app, ["check", str(path), "--out", str(out), "--format", "json", "--month", "2026-10"]
    )
    assert result.exit_code == 0
    document = json.loads(result.stdout)
    rubric = load_rubric(DEFAULT_RUBRIC)  # without --rubric: read as the default rubric needs
    data = ingest([path], month=Month(2026, 10), required=rubric.required_columns())
    files = [out / "rejects.xlsx", out / "rejects.csv", out / "excluded.csv"]
    expected = check_document(data, files, rubric.optional_columns())
    assert document == json.loads(json.dumps(expected, default=str))
    assert document["schema"] == "svcqa.check/1" and document["month_source"] == "option"


def test_check_strict_exits_1_on_rejects(make_workbook, tmp_path: Path) -> None:
    """--strict turns any rejected row into exit code 1."""
    result = runner.invoke(
        app, ["check", str(make_workbook(defect_month())), "--out", str(tmp_path / "o"), "--strict"]
    )
    assert result.exit_code == 1
    assert "8 row(s) rejected (--strict)" in flat(result.stderr)


def test_check_missing_column_lists_headers(make_workbook, tmp_path: Path) -> None:
    """A missing column exits 1 with a message naming the column and the headers seen."""
    sheets = defect_month()
    sheets["2026年10月工单明细"] = [["工单号", "网点"], ["1", "A"]]
    result = runner.invoke(app, ["check", str(make_workbook(sheets)), "--out", str(tmp_path / "o")])
    assert result.exit_code == 1
    message = flat(result.stderr)
    assert (
        "no column for 受理时间 (accepted_at)" in message
        and "found headers (header row 1): 工单号, 网点" in message
    )


@requires_corpus
def test_check_not_a_workbook_and_encrypted(tmp_path: Path) -> None:
    """Not-a-workbook and encrypted files exit 1 with a clear message and no traceback."""
    junk = tmp_path / "junk.xlsx"
    junk.write_text("hello", encoding="utf-8")
    result = runner.invoke(app, ["check", str(junk)])
    assert result.exit_code == 1 and "not a workbook" in flat(result.stderr)
    result = runner.invoke(app, ["check", str(CORPUS / "calamine" / "pass_protected.xlsx")])
    assert result.exit_code == 1
    assert "encrypted / password-protected" in flat(result.stderr)
    assert "Traceback" not in result.output


def test_check_bad_month_is_usage_error(make_workbook) -> None:
    """A malformed --month exits 2."""
    result = runner.invoke(app, ["check", str(make_workbook(defect_month())), "--month", "October"])
    assert result.exit_code == 2


CALL_CENTRE = """
id = "call-centre"
name = "Call centre"
max = 100

[[grades]]
name = "ok"
min = 0
coefficient = 1.0

[aliases.tickets]
ticket_id = ["Call Id"]
branch = ["Agent"]
accepted_at = ["Date"]

[columns.tickets.answered]
type = "flag"
label = "Answered"
aliases = ["Answered"]

[columns.tickets.speed_of_answer]
type = "number"
label = "Speed of answer"
aliases = ["Speed of answer in seconds"]

[[kpis]]
id = "answer_rate"
label = "Answer rate"
points = 50
metric = { kind = "flag_rate", table = "tickets", column = "answered" }
curve = { kind = "linear", full = 0.9, zero = 0.5 }

[[kpis]]
id = "speed"
label = "Speed of answer"
points = 50
when_empty = "zero"
metric = { kind = "mean", table = "tickets", column = "speed_of_answer" }
curve = { kind = "linear", full = 30, zero = 120, better = "lower" }
"""

CALLS_HEADER = "Call Id,Agent,Date,Answered,Speed of answer in seconds,Notes"
CALLS = [
    "C1,Anna,2026-10-01 09:00,Y,20,first",
    "C2,Anna,2026-10-02 10:00,N,,",
    "C3,Bob,2026-10-03 11:00,Y,60,",
    "C4,Bob,2026-09-30 11:00,Y,60,",
    "C5,Bob,2026-11-01 11:00,Y,30,",
    "C6,Bob,2026-11-02 11:00,N,,",
]


def call_centre(tmp_path: Path, header: str = CALLS_HEADER) -> tuple[Path, Path]:
    """A call-centre rubric (one table, a declared flag and number column) and a calls CSV."""
    rubric = tmp_path / "call-centre.toml"
    rubric.write_text(CALL_CENTRE, encoding="utf-8")
    calls = tmp_path / "calls.csv"
    calls.write_text("\n".join([header, *CALLS]) + "\n", encoding="utf-8")
    return rubric, calls


def test_check_rubric_prints_the_mapping(tmp_path: Path) -> None:
    """check --rubric reads only the rubric's table and prints the sheet, each column's header and the unused ones."""
    rubric, calls = call_centre(tmp_path)
    args = ["check", str(calls), "--rubric", str(rubric), "--month", "2026-10"]
    result = runner.invoke(app, [*args, "--out", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output + result.stderr
    out = result.output
    assert (
        "tickets (工单): calls.csv, header row 1 — chosen because its headers match 5 of the table's columns"
        in out
    )
    for column, header in [
        ("ticket_id", "Call Id"),
        ("branch", "Agent"),
        ("accepted_at", "Date"),
        ("answered", "Answered"),
        ("speed_of_answer", "Speed of answer in seconds"),
    ]:
        assert re.search(rf"^  {column} +<- '{re.escape(header)}'$", out, re.M), column
    assert re.search(r"^  service_type +<- - \(not in the sheet; not used\)$", out, re.M)
    assert "headers not used: 'Notes'" in out
    assert "complaints" not in out and "投诉" not in out  # the rubric needs no complaints table
    assert "excluded: tickets 3 outside 2026-10 (1 in 2026-09, 2 in 2026-11)" in flat(out)


def test_check_rubric_mapping_in_json(tmp_path: Path) -> None:
    """check --rubric --format json carries the mapping beside the existing fields."""
    rubric, calls = call_centre(tmp_path)
    args = ["check", str(calls), "--rubric", str(rubric), "--format", "json", "--month", "2026-10"]
    result = runner.invoke(app, [*args, "--out", str(tmp_path / "o")])
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["schema"] == "svcqa.check/1" and document["rows_excluded"] == 3
    assert [t["table"] for t in document["tables"]] == ["tickets"]
    assert document["tables"][0]["excluded_months"] == {"2026-09": 1, "2026-11": 2}
    (table,) = document["mapping"]
    assert (table["table"], table["needed"]) == ("tickets", True)
    (sheet,) = table["sheets"]
    assert (sheet["file"], sheet["sheet"], sheet["by"], sheet["header_row"]) == (
        "calls.csv",
        "",
        "headers",
        1,
    )
    headers = {c["column"]: (c["header"], c["required"], c["used"]) for c in sheet["columns"]}
    assert headers["answered"] == ("Answered", False, True)  # when_empty full: read when present
    assert headers["speed_of_answer"] == ("Speed of answer in seconds", True, True)
    assert headers["ticket_id"] == ("Call Id", True, True)
    assert headers["service_type"] == (None, False, False)
    assert sheet["unused_headers"] == ["Notes"]


def test_check_rubric_missing_declared_column(tmp_path: Path) -> None:
    """A header the rubric's declared column does not know exits 1 naming sheet, headers, spellings and the alias fix."""
    rubric, calls = call_centre(tmp_path, CALLS_HEADER.replace("in seconds", "(s)"))
    result = runner.invoke(app, ["check", str(calls), "--rubric", str(rubric)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    message = result.stderr
    assert message.startswith(
        "svcqa: error: file calls.csv: read as the 工单 (tickets) table by its headers, but no "
        "column for Speed of answer (speed_of_answer); expected one of Speed of answer in "
        "seconds, speed_of_answer; found headers (header row 1): Call Id, Agent, Date, "
        "Answered, Speed of answer (s), Notes\n"
    )
    assert "--aliases my-aliases.toml" in message
    assert "\n    [aliases.tickets]\n    speed_of_answer = [" in message


def test_check_alias_typo_suggests_the_header(tmp_path: Path) -> None:
    """An alias file with a typo exits 1 and its fix line names the header the sheet has."""
    rubric, calls = call_centre(tmp_path)
    rubric.write_text(CALL_CENTRE.replace('ticket_id = ["Call Id"]\n', ""), encoding="utf-8")
    aliases = tmp_path / "my-aliases.toml"
    aliases.write_text('[aliases.tickets]\nticket_id = ["Cal Id"]\n', encoding="utf-8")
    result = runner.invoke(
        app, ["check", str(calls), "--rubric", str(rubric), "--aliases", str(aliases)]
    )
    assert result.exit_code == 1
    assert (
        "no column for 工单号 (ticket_id); expected one of 工单号, 工单编号, 服务单号, 单号, "
        "ticket_id, Cal Id;" in result.stderr
    )
    assert result.stderr.endswith('\n    [aliases.tickets]\n    ticket_id = ["Call Id"]\n')


def test_check_sheet_without_service_type(make_workbook, tmp_path: Path) -> None:
    """A sheet recognised by its headers but lacking 服务类型 is named with its headers, not called a missing table."""
    sheets = defect_month()
    del sheets["2026年10月工单明细"]
    sheets["Sheet1"] = [
        ["工单号", "网点", "受理时间", "完成时间", "类别"],
        ["T1", "A店", "2026-10-03", "2026-10-04", "换机"],
    ]
    result = runner.invoke(app, ["check", str(make_workbook(sheets, name="m.xlsx"))])
    assert result.exit_code == 1
    assert result.stderr == (
        "svcqa: error: file m.xlsx, sheet 'Sheet1': read as the 工单 (tickets) table by its "
        "headers, but no column for 服务类型 (service_type); expected one of 服务类型, 业务类型, "
        "service_type; found headers (header row 1): 工单号, 网点, 受理时间, 完成时间, 类别\n"
        "  - fix: rename the header in the export, or map it in an alias file passed with "
        "--aliases my-aliases.toml (or in the rubric's own [aliases] section):\n"
        "    [aliases.tickets]\n"
        '    service_type = ["<the header you use>"]\n'
    )
