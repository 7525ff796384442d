"""Output integrity: one CSV escaping path, non-finite numbers, reserved file names, leftovers.

Every CSV svcqa writes (scorecard.csv, rejects.csv, ``score``/``history``/``history runs``
``--format csv`` on stdout) is read back and no field may be live in a spreadsheet; workbooks
take infinity without failing half-way; a branch named ``index`` keeps its report; a later
run removes the temporary files a killed run left, and nothing else.
"""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import openpyxl
import xlsxwriter
from typer.testing import CliRunner

from svcqa.cli import app
from svcqa.models import Month
from svcqa.output import is_formula_like, remove_stale_temps, safe_filename
from svcqa.render.report import write_branch_reports
from svcqa.render.scorecard import write_scorecard_csv, write_scorecard_xlsx
from svcqa.render.workbook import Sheet, Workbook

import history_fixtures as hf

runner = CliRunner()
LIVE = ['=HYPERLINK("http://x","y")', "@SUM(A1:A9)", "+cmd|' /C calc'!A0", "-2+3"]
OCT = Month(2026, 10)


def _month(path: Path) -> Path:
    """A month whose branches are named like formulas; one ticket with a formula-like bad date."""
    book = xlsxwriter.Workbook(
        path, {"strings_to_formulas": False, "strings_to_numbers": False, "strings_to_urls": False}
    )
    sheet = book.add_worksheet("工单")
    sheet.write_row(0, 0, ["工单号", "网点", "服务类型", "受理时间", "完成时间", "是否返修"])
    row, start = 1, datetime(2026, 10, 2, 9, 0)
    for b, name in enumerate([*LIVE, "天河店"]):
        for i in range(6):
            accepted = start + timedelta(days=i, hours=b)
            done = accepted + timedelta(days=1 + (b + i) % 4)
            values = [f"T{b}{i:02d}", name, ["换机", "保修", "非保修"][i % 3]]
            values += [f"{accepted:%Y-%m-%d %H:%M}", f"{done:%Y-%m-%d %H:%M}", "否"]
            sheet.write_row(row, 0, values)
            row += 1
    sheet.write_row(row, 0, ["TBAD", "天河店", "保修", "=1+2", "2026-10-05 10:00", "否"])
    complaints = book.add_worksheet("投诉")
    complaints.write_row(0, 0, ["投诉单号", "网点", "投诉时间", "投诉类别", "投诉内容"])
    attendance = book.add_worksheet("出勤")
    attendance.write_row(0, 0, ["日期", "网点", "人员", "状态"])
    for b, name in enumerate([*LIVE, "天河店"]):
        complaints.write_row(b + 1, 0, [f"C{b}", name, "2026-10-05", "@SUM(1)", "=1+2"])
        attendance.write_row(b + 1, 0, ["2026-10-01", name, "-张三", "正常"])
    book.close()
    return path


def _fields(text: str) -> list[str]:
    return [field for row in csv.reader(io.StringIO(text.lstrip("\ufeff"))) for field in row]


def _assert_none_live(text: str, where: str) -> None:
    """No field would run as a formula: formula-like text carries the leading quote (a negative
    number stays a number)."""
    for field in _fields(text):
        try:
            float(field)
        except ValueError:
            assert not is_formula_like(field), f"{where}: live field {field!r}"


def test_every_csv_writer_escapes_formula_like_values(tmp_path: Path) -> None:
    """scorecard.csv, rejects.csv and the three ``--format csv`` printers write no live formula,
    and each carries the hostile names as quoted text."""
    month = _month(tmp_path / "=HYPERLINK(1).xlsx")
    db, out = tmp_path / "svcqa.db", tmp_path / "out"
    scored = runner.invoke(app, ["score", str(month), "--db", str(db), "--out", str(out), "-q"])
    assert scored.exit_code == 0, scored.output
    printed = runner.invoke(
        app, ["score", str(month), "--no-history", "--out", str(tmp_path / "o2"), "--format", "csv"]
    )
    assert printed.exit_code == 0, printed.output
    texts = {
        "scorecard.csv": (out / "scorecard.csv").read_text("utf-8"),
        "rejects.csv": (out / "rejects.csv").read_text("utf-8"),
        "score --format csv": printed.stdout,
    }
    for args in (["history"], ["history", "runs"]):
        result = runner.invoke(app, [*args, "--format", "csv", "--db", str(db)])
        assert result.exit_code == 0, result.output
        texts[" ".join(args) + " --format csv"] = result.stdout
    for where, text in texts.items():
        _assert_none_live(text, where)
    for where in ("scorecard.csv", "score --format csv"):
        assert {"'" + name for name in LIVE} <= set(_fields(texts[where])), where
    assert "'=1+2" in _fields(texts["rejects.csv"])
    assert "'=HYPERLINK(1).xlsx" in _fields(texts["history runs --format csv"])


def test_scorecard_csv_header_escapes_a_formula_like_kpi_label(tmp_path: Path) -> None:
    """A rubric KPI label ``=HYPERLINK(...)`` reaches the scorecard.csv header as quoted text."""
    card = hf.scorecard(OCT, {"越秀网点": 1, "海珠网点": 2})
    for branch in card.branches:
        branch.kpis = [replace(k, label=LIVE[0]) for k in branch.kpis]
    text = write_scorecard_csv(card, tmp_path / "scorecard.csv").read_text("utf-8")
    header = next(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert "'" + LIVE[0] + " (10)" in header
    _assert_none_live(text, "scorecard.csv")


def test_infinite_metric_values_are_written_as_text(tmp_path: Path) -> None:
    """A KPI value of infinity (a ``1e999`` input) and a NaN numerator do not stop the scorecard
    workbook: the value reads back as the text ``inf``, the NaN as an empty cell."""
    card = hf.scorecard(OCT, {"越秀网点": 1, "海珠网点": 2})
    first = card.branches[0]
    first.kpis = [replace(first.kpis[0], value=float("inf"), numerator=float("nan"))] + list(
        first.kpis[1:]
    )
    path = write_scorecard_xlsx(card, tmp_path / "scorecard.xlsx")
    detail = openpyxl.load_workbook(path).worksheets[1]
    row = next(r for r in detail.iter_rows(min_row=2, values_only=True) if r[0] == first.branch)
    assert row[4] == "inf" and row[7] is None
    assert [p.name for p in tmp_path.iterdir()] == ["scorecard.xlsx"]


def test_report_workbook_columns_take_non_finite_numbers(tmp_path: Path) -> None:
    """The report writer's column path writes inf/-inf as text and NaN as a blank."""
    book = Workbook()
    sheet = Sheet("s")
    sheet.columns([np.array([1.5, float("inf"), float("-inf"), float("nan")])], ["pts"])
    book.sheets.append(sheet)
    book.save(tmp_path / "r.xlsx")
    cells = [
        r[0] for r in openpyxl.load_workbook(tmp_path / "r.xlsx")["s"].iter_rows(values_only=True)
    ]
    assert cells == [1.5, "inf", "-inf", None]


def test_a_branch_named_index_keeps_its_report(tmp_path: Path) -> None:
    """Branches named ``index`` and ``Index`` get reports of their own beside index.html."""
    card = hf.scorecard(OCT, {"index": 1, "Index": 2, "越秀网点": 3}, evidence_rows=0)
    paths = write_branch_reports(card, tmp_path, formats=("html",), now=hf.NOW)
    names = sorted(p.name for p in paths)
    assert len(names) == 4 and "index.html" in names
    assert len({n.lower() for n in names}) == 4
    index = (tmp_path / "index.html").read_text("utf-8")
    for name in ("index", "Index"):
        stem = safe_filename(name)
        assert stem.lower() != "index" and f"{stem}.html" in index
    for stem in ("scorecard", "REJECTS", "a-rectify"):
        assert safe_filename(stem).lower() not in ("scorecard", "rejects", "a-rectify")


def _dead_pid() -> int:
    child = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(child.stdout)


def test_a_later_run_removes_only_dead_runs_temporary_files(tmp_path: Path) -> None:
    """Owned temporaries of a dead pid and old ownerless ones go; a live run's, fresh ownerless
    ones, other files and subfolders stay."""
    from svcqa import output

    host, dead, live = output._HOST, _dead_pid(), os.getppid()
    stale = [
        f".scorecard.svcqa-{host}-{dead}.ab12cd34.xlsx",
        f".rejects.csv.svcqa-{host}-{dead}.x_9y8z7w.tmp",
        f".天河店-rectify.svcqa-{host}-{dead}.abcdefgh.docx",
        ".scorecard.k2j3h4g5.xlsx",  # before names carried an owner, and old
        ".rejects.csv.a1b2c3d4.tmp",
    ]
    kept = [
        f".scorecard.svcqa-{host}-{live}.ab12cd34.xlsx",  # a live run's
        f".scorecard.svcqa-{host}-{os.getpid()}.ab12cd34.xlsx",  # this process's own
        ".scorecard.svcqa-0000ff-12.ab12cd34.xlsx",  # another machine's, fresh
        ".scorecard.q1w2e3r4.xlsx",  # ownerless but fresh
        "scorecard.xlsx",
        ".notes.k2j3h4g5.xlsx",
        "rejects.csv",
    ]
    for name in stale + kept:
        (tmp_path / name).write_bytes(b"")
    for name in (".scorecard.k2j3h4g5.xlsx", ".rejects.csv.a1b2c3d4.tmp", ".notes.k2j3h4g5.xlsx"):
        os.utime(tmp_path / name, (1_000_000, 1_000_000))
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / stale[0]).write_bytes(b"")
    removed = remove_stale_temps(tmp_path)
    assert sorted(p.name for p in removed) == sorted(stale)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*kept, "reports"])
    assert (tmp_path / "reports" / stale[0]).exists()


def test_score_removes_a_killed_runs_leftovers(tmp_path: Path) -> None:
    """``svcqa score`` into a folder holding a killed run's 0-byte temporaries removes them."""
    out = tmp_path / "out"
    out.mkdir()
    from svcqa import output

    owned = f".scorecard.svcqa-{output._HOST}-{_dead_pid()}.zz99yy88.xlsx"
    leftovers = [out / owned, out / ".rejects.ab12cd34.xlsx"]
    for path in leftovers:
        path.write_bytes(b"")
    os.utime(leftovers[1], (1_000_000, 1_000_000))
    month = _month(tmp_path / "m.xlsx")
    result = runner.invoke(app, ["score", str(month), "--no-history", "--out", str(out), "-q"])
    assert result.exit_code == 0, result.output
    assert not any(p.name.startswith(".") and p.name != ".svcqa.lock" for p in out.iterdir())
    assert (out / "scorecard.xlsx").stat().st_size > 0
