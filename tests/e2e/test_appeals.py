"""Appeals (申诉) on the sample month: filing, deciding, applying, status, and what the store keeps.

The golden figures are computed independently: the same workbook with the appealed row deleted
(or its completion moved earlier) is written with openpyxl and scored into another store.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import sqlite3
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from svcqa import (
    AppealDecision,
    AppealRequest,
    HistoryStore,
    InputError,
    Month,
    appeal_status,
    apply_appeals,
    decide_appeals,
    file_appeals,
    run_score,
)
from svcqa.cli import app

from conftest import SAMPLE_DATA

OCT = Month(2026, 10)
NOW = datetime(2026, 12, 6, 9, 0)
# Rows of sample_data/2026-10.xlsx that cost their branch points (sheet, Excel row, id, branch).
TICKET = ("工单", 154, "WX2026100000151", "深圳龙岗（九）营业厅")
COMPLAINT = ("投诉", 5, "TS20261000003", "广州海珠（四）授权服务店")
ABSENCE = ("出勤", 76, "冯娜嘉 2026-10-03", "广州黄埔（三）营业厅")
runner = CliRunner()


def scored_store(tmp_path: Path, workbook: Path | None = None, name: str = "svcqa.db") -> Path:
    """Copy the workbook into tmp_path, score it into a new store there, return the store."""
    source = workbook or tmp_path / "2026-10.xlsx"
    if workbook is None:
        shutil.copy(SAMPLE_DATA / "2026-10.xlsx", source)
    db = tmp_path / name
    run_score([source], db=db, out_dir=tmp_path / f"out-{name}", now=NOW)
    return db


def figures(db: Path) -> dict[str, tuple]:
    """branch -> (total, rank, grade, coefficient, {kpi: points}) of the month's active run."""
    with HistoryStore(db) as store:
        card = store.load_scorecard(OCT)
    return {
        b.branch: (b.total, b.rank, b.grade, b.coefficient, {k.id: k.points for k in b.kpis})
        for b in card.branches
    }


def edited_workbook(tmp_path: Path, *, delete=(), completion_earlier: float = 0) -> Path:
    """The sample workbook with rows deleted ((sheet, row), ...) or the ticket's completion earlier."""
    wb = openpyxl.load_workbook(SAMPLE_DATA / "2026-10.xlsx")
    for sheet, row in sorted(delete, key=lambda item: -item[1]):
        wb[sheet].delete_rows(row)
    if completion_earlier:
        cell = wb[TICKET[0]].cell(TICKET[1], 5)  # 完成时间
        assert wb[TICKET[0]].cell(TICKET[1], 1).value == TICKET[2]
        cell.value = cell.value - timedelta(days=completion_earlier)
    folder = tmp_path / "edited"
    folder.mkdir()
    wb.save(folder / "2026-10.xlsx")
    return folder / "2026-10.xlsx"


def appeal(table: str, row: tuple, reason: str = "不是网点责任") -> AppealRequest:
    return AppealRequest(OCT, row[3], table, row[2], reason)


def decision(table: str, row: tuple, accepted: bool = True, days: float | None = None):
    return AppealDecision(OCT, table, row[2], accepted, "证据属实", "张三", days)


def table_rows(db: Path) -> dict[str, list[tuple]]:
    """Every row of every table of the store (the store's content, bytes aside)."""
    conn = sqlite3.connect(db)
    try:
        names = [n for (n,) in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {n: sorted(map(repr, conn.execute(f"SELECT * FROM {n}"))) for n in names}
    finally:
        conn.close()


def test_withdrawing_a_ticket_a_complaint_and_an_absence_equals_deleting_them(
    tmp_path: Path,
) -> None:
    """Accepted appeals withdrawing a ticket, a complaint and an absence give the figures of the file without those rows."""
    db = scored_store(tmp_path)
    requests = [
        appeal("tickets", TICKET),
        appeal("complaints", COMPLAINT),
        appeal("attendance", ABSENCE),
    ]
    filed = file_appeals(db, requests, now=NOW)
    assert len(filed.recorded) == 3 and not filed.late
    decide_appeals(
        db,
        [
            decision("tickets", TICKET),
            decision("complaints", COMPLAINT),
            decision("attendance", ABSENCE),
        ],
        now=NOW,
    )
    done = apply_appeals(db, OCT, out_dir=tmp_path / "applied", now=NOW)
    assert [o.row_found for o in done.applied] == [True, True, True]
    rows = [(TICKET[0], TICKET[1]), (COMPLAINT[0], COMPLAINT[1]), (ABSENCE[0], ABSENCE[1])]
    expected = figures(scored_store(tmp_path, edited_workbook(tmp_path, delete=rows), "edited.db"))
    assert figures(db) == expected
    assert figures(db)[ABSENCE[3]][0] == 95.45  # 94.45 before: the absence cost 1 point
    document = json.loads(done.outputs["scorecard_json"].read_text())
    assert document["appeals"] == {"applied": 3, "superseded_run": 1}
    with HistoryStore(db) as store:
        card = store.load_scorecard(OCT)
    marks = card.evidence[card.evidence["kind"] == "appeal"]
    assert sorted(marks["ref"]) == sorted([TICKET[2], COMPLAINT[2], ABSENCE[2]])
    assert all(d.startswith("withdrawn by appeal: 证据属实") for d in marks["detail"])


def test_stopping_the_clock_equals_an_earlier_completion(tmp_path: Path) -> None:
    """Stopping a ticket's clock by 3 days gives the figures of its completion 3 days earlier in the file."""
    db = scored_store(tmp_path)
    file_appeals(db, [appeal("tickets", TICKET, "客户未取机")], now=NOW)
    decide_appeals(db, [decision("tickets", TICKET, days=3)], now=NOW)
    apply_appeals(db, OCT, out_dir=tmp_path / "applied", now=NOW)
    expected = figures(
        scored_store(tmp_path, edited_workbook(tmp_path, completion_earlier=3), "edited.db")
    )
    assert figures(db) == expected
    status = appeal_status(db, OCT)[0]
    assert status["before"]["total"] == 51.52 and status["after"] == {
        "total": expected[TICKET[3]][0],
        "rank": expected[TICKET[3]][1],
        "grade": expected[TICKET[3]][2],
        "coefficient": expected[TICKET[3]][3],
    }
    assert status["points_restored"] == round(expected[TICKET[3]][0] - 51.52, 2)


def test_the_store_keeps_runs_appeals_and_superseded_decisions(tmp_path: Path) -> None:
    """Both runs, every appeal and every decision (a superseded one too) stay, with who, when and why."""
    db = scored_store(tmp_path)
    file_appeals(db, [appeal("complaints", COMPLAINT)], now=NOW)
    decide_appeals(db, [decision("complaints", COMPLAINT, accepted=False)], now=NOW)
    later = NOW + timedelta(hours=2)
    decide_appeals(
        db, [AppealDecision(OCT, "complaints", COMPLAINT[2], True, "复核通过", "李四")], now=later
    )
    apply_appeals(db, OCT, out_dir=tmp_path / "applied", now=later)
    [record] = appeal_status(db, OCT)
    assert record["status"] == "accepted" and record["applied"] and record["row_found"] is True
    assert record["decision"] == {
        "accepted": True,
        "reason": "复核通过",
        "decided_by": "李四",
        "decided_at": later.isoformat(),
        "adjust_days": None,
    }
    assert record["superseded"] == [
        {
            "accepted": False,
            "reason": "证据属实",
            "decided_by": "张三",
            "decided_at": NOW.isoformat(),
            "adjust_days": None,
        }
    ]
    with HistoryStore(db) as store:
        assert [(r["run_id"], r["status"]) for r in store.runs(OCT)] == [
            (2, "active"),
            (1, "superseded"),
        ]
    result = runner.invoke(app, ["history", "runs", "--db", str(db), "-f", "json"])
    marks = {r["run_id"]: r["appeals"] for r in json.loads(result.output)}
    assert marks == {2: "applied 1 appeal(s), superseded run 1", 1: "superseded by appeals (run 2)"}


def test_a_rejected_appeal_changes_nothing(tmp_path: Path) -> None:
    """Applying when the only decision is a rejection is refused, and the figures stay as scored."""
    db = scored_store(tmp_path)
    before = figures(db)
    file_appeals(db, [appeal("tickets", TICKET)], now=NOW)
    decide_appeals(db, [decision("tickets", TICKET, accepted=False)], now=NOW)
    with pytest.raises(Exception, match="no accepted appeal decision"):
        apply_appeals(db, OCT, now=NOW)
    assert figures(db) == before
    assert appeal_status(db, OCT)[0]["status"] == "rejected"


def test_late_and_unknown_appeals_are_refused(tmp_path: Path) -> None:
    """An appeal after the 10-day window is refused with the deadline and date and kept as late; an unknown row records nothing."""
    db = scored_store(tmp_path)  # first scored 2026-12-06: the window closes 2026-12-16
    filed = file_appeals(db, [appeal("tickets", TICKET)], now=datetime(2026, 12, 17, 8, 0))
    assert filed.refused == [
        "tickets WX2026100000151: the appeal window of 2026-10 closed on 2026-12-16 (first "
        "scored 2026-12-06); this appeal is dated 2026-12-17"
    ]
    assert [r["status"] for r in appeal_status(db, OCT)] == ["late"]
    with pytest.raises(InputError, match="nothing was recorded"):
        file_appeals(db, [AppealRequest(OCT, TICKET[3], "tickets", "GD404", "x")], now=NOW)
    with pytest.raises(Exception, match="refused as late"):
        decide_appeals(db, [decision("tickets", TICKET)], now=NOW)
    result = runner.invoke(
        app,
        ["appeal", "add", "--month", "2026-10", "--branch", TICKET[3], "--table", "tickets",
         "--id", TICKET[2], "--reason", "x", "--db", str(db)],
        env={"SVCQA_NOW": "2026-12-17T08:00:00"},
    )  # fmt: skip
    assert result.exit_code == 1 and "closed on 2026-12-16" in result.output
    assert [r["status"] for r in appeal_status(db, OCT)] == ["late", "late"]


def test_decisions_file_and_json_status(tmp_path: Path) -> None:
    """A decisions CSV with 通过 records the decision; a bad row names file, row and column; JSON status prints what the library returns."""
    db = scored_store(tmp_path)
    file_appeals(db, [appeal("tickets", TICKET)], now=NOW)
    bad = tmp_path / "bad.csv"
    bad.write_text("table,id,decision,reason,decided_by\ntickets,WX2026100000151,maybe,r,张三\n")
    result = runner.invoke(
        app, ["appeal", "decide", "--month", "2026-10", "--file", str(bad), "--db", str(db)]
    )
    assert result.exit_code == 1 and "bad.csv, row 2, column decision" in result.output
    good = tmp_path / "decisions.csv"
    good.write_text(
        "table,id,decision,reason,decided_by,adjust_days\ntickets,WX2026100000151,通过,客户原因,张三,2\n"
    )
    result = runner.invoke(
        app, ["appeal", "decide", "--month", "2026-10", "--file", str(good), "--db", str(db)]
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(
        app, ["appeal", "status", "-m", "2026-10", "-f", "json", "--db", str(db)]
    )
    assert json.loads(result.output) == appeal_status(db, OCT)
    [record] = json.loads(result.output)
    assert set(record) == {
        "month", "branch", "branch_key", "table", "id", "kpi_id", "reason", "reference", "source",
        "filed_at", "status", "decision", "superseded", "applied", "row_found",
        "points_restored", "before", "after",
    }  # fmt: skip
    assert (record["status"], record["decision"]["adjust_days"], record["applied"]) == (
        "accepted",
        2.0,
        False,
    )


def test_a_killed_apply_leaves_the_store_as_before(tmp_path: Path) -> None:
    """An ``appeal apply`` killed before its commit leaves every row of the store as it was."""
    db = scored_store(tmp_path)
    file_appeals(db, [appeal("attendance", ABSENCE)], now=NOW)
    decide_appeals(db, [decision("attendance", ABSENCE)], now=NOW)
    before = table_rows(db)
    proc = subprocess.Popen(
        [sys.executable, "-m", "svcqa.cli", "appeal", "apply", "-m", "2026-10", "--db", str(db),
         "--out", str(tmp_path / "applied")],
        env={**os.environ, "SVCQA_TEST_PAUSE_AT": "history-commit"},
        stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    assert proc.stderr is not None
    deadline, paused = time.monotonic() + 120, False
    while time.monotonic() < deadline and not paused:
        if select.select([proc.stderr], [], [], 1.0)[0]:
            line = proc.stderr.readline()
            paused = line.startswith("svcqa: test pause at history-commit")
            if not line and proc.poll() is not None:
                break
    proc.kill()
    proc.wait(30)
    assert paused
    assert table_rows(db) == before
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    conn.close()
