"""CLI tests for ``svcqa check``: exit codes, messages, JSON document and the rejects files."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

from typer.testing import CliRunner

from svcqa.cli import app
from svcqa.ingest import check_document, ingest
from svcqa.models import Month

from conftest import CORPUS, requires_corpus
from workbooks import defect_month

runner = CliRunner()


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def test_check_table_summary_and_rejects(make_workbook, tmp_path: Path) -> None:
    """check prints per-table accounting, the inferred month, and writes rejects.xlsx/csv."""
    path = make_workbook(defect_month())
    before = path.read_bytes()
    out = tmp_path / "out"
    result = runner.invoke(app, ["check", str(path), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Month 2026-10 (inferred from ticket dates)" in result.output
    assert re.search(r"tickets\s*│\s*11\s*│\s*3\s*│\s*1\s*│\s*7", result.output)
    assert f"rejects: {out / 'rejects.csv'}" in flat(result.output)
    with open(out / "rejects.csv", encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["table"], r["row"], r["code"]) for r in rows if r["table"] == "tickets"][:3] == [
        ("tickets", "7", "unknown-service-type"),
        ("tickets", "8", "duplicate-id"),
        ("tickets", "9", "outside-month"),
    ]
    assert (out / "rejects.xlsx").stat().st_size > 0
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
    expected = check_document(
        ingest([path], month=Month(2026, 10)), [out / "rejects.xlsx", out / "rejects.csv"]
    )
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
