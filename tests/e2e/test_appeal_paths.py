"""Appeal paths beyond the basic round: re-scoring an appealed month with plain score, an open
ticket's clock stopped, later months re-scored with their decisions, a decisions XLSX,
max_per_branch, and a version-3 store upgraded to version 4.

Golden figures come from the same workbook edited by hand (openpyxl) and scored into another
store, never from the appeal code.
"""

from __future__ import annotations

import logging
import shutil
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

import openpyxl
import pytest

from svcqa import (
    AppealDecision,
    AppealRequest,
    HistoryStore,
    Month,
    appeal_status,
    apply_appeals,
    decide_appeals,
    file_appeals,
    read_decisions,
    run_score,
)
from svcqa.history import migrations
from svcqa.rubric import load_rubric

from conftest import ROOT, SAMPLE_DATA

OCT, SEP = Month(2026, 10), Month(2026, 9)
NOW = datetime(2026, 12, 6, 9, 0)
# An open ticket of the sample month, 23.47 days old at month end (limit 10): sheet 工单 row 4802.
OPEN = ("工单", 4802, "WX2026100004799", "深圳龙华（十三）授权服务店")
TICKET = ("工单", 154, "WX2026100000151", "深圳龙岗（九）营业厅")
ABSENCE = ("出勤", 76, "冯娜嘉 2026-10-03", "广州黄埔（三）营业厅")


def figures(db: Path, month: Month = OCT) -> dict[str, tuple]:
    """branch -> (total, rank, grade, coefficient, {kpi: points}) of the month's active run."""
    with HistoryStore(db) as store:
        card = store.load_scorecard(month)
    return {
        b.branch: (b.total, b.rank, b.grade, b.coefficient, {k.id: k.points for k in b.kpis})
        for b in card.branches
    }


def copied(tmp_path: Path, *months: str) -> list[Path]:
    """The sample months copied into tmp_path (the store records their paths)."""
    out = []
    for month in months:
        shutil.copy(SAMPLE_DATA / f"{month}.xlsx", tmp_path / f"{month}.xlsx")
        out.append(tmp_path / f"{month}.xlsx")
    return out


def score(tmp_path: Path, workbook: Path, name: str, **options) -> Path:
    db = tmp_path / name
    run_score([workbook], db=db, out_dir=tmp_path / f"out-{name}", now=NOW, **options)
    return db


def accept(db: Path, month: Month, rows: list[tuple], days: float | None = None) -> None:
    """File and accept an appeal of each (sheet, row, id, branch) of ``month``'s table."""
    table = {"工单": "tickets", "出勤": "attendance", "投诉": "complaints"}
    file_appeals(
        db, [AppealRequest(month, r[3], table[r[0]], r[2], "客户原因") for r in rows], now=NOW
    )
    decide_appeals(
        db,
        [AppealDecision(month, table[r[0]], r[2], True, "证据属实", "张三", days) for r in rows],
        now=NOW,
    )


def test_plain_score_of_an_appealed_month_applies_its_decisions_again(tmp_path, caplog):
    """Re-scoring an appealed month with svcqa score keeps its 2 accepted decisions, says so, and marks the run."""
    [october] = copied(tmp_path, "2026-10")
    db = score(tmp_path, october, "h.db")
    accept(db, OCT, [TICKET], days=3)
    accept(db, OCT, [ABSENCE])
    apply_appeals(db, OCT, out_dir=tmp_path / "applied", now=NOW)
    appealed = figures(db)
    with caplog.at_level(logging.WARNING, logger="svcqa"):
        run = run_score([october], db=db, out_dir=tmp_path / "again", now=NOW + timedelta(hours=1))
    assert "2026-10 has 2 accepted appeal decisions: applied again" in caplog.messages
    assert figures(db) == appealed
    assert figures(db)[ABSENCE[3]][0] == 95.45  # 94.45 as first scored: the absence withdrawn
    with HistoryStore(db) as store:
        runs = [(r["run_id"], r["status"]) for r in store.runs(OCT)]
        evidence = store.load_scorecard(OCT).evidence
    assert runs == [(3, "active"), (2, "superseded"), (1, "superseded")]
    assert sorted(evidence.loc[evidence["kind"] == "appeal", "ref"]) == [TICKET[2], ABSENCE[2]]
    assert (run.outputs["scorecard_json"].read_text()).count('"superseded_run": 2') == 1
    statuses = appeal_status(db, OCT)
    assert [(s["applied"], s["before"]["total"]) for s in statuses] == [
        (True, 51.52),
        (True, 94.45),
    ]


def test_plain_score_of_a_month_never_appealed_says_nothing(tmp_path, caplog):
    """A month without applied appeals is scored as ever, with no appeal notice."""
    [october] = copied(tmp_path, "2026-10")
    db = score(tmp_path, october, "h.db")
    with caplog.at_level(logging.WARNING, logger="svcqa"):
        run_score([october], db=db, out_dir=tmp_path / "again", now=NOW)
    assert not [m for m in caplog.messages if "appeal" in m]


def test_stopping_an_open_tickets_clock_equals_a_later_acceptance(tmp_path):
    """Stopping an open ticket's clock by 14 days gives the figures of the same ticket accepted 14 days later."""
    [october] = copied(tmp_path, "2026-10")
    db = score(tmp_path, october, "h.db")
    accept(db, OCT, [OPEN], days=14)
    apply_appeals(db, OCT, out_dir=tmp_path / "applied", now=NOW)
    wb = openpyxl.load_workbook(SAMPLE_DATA / "2026-10.xlsx")
    ws = wb[OPEN[0]]
    assert ws.cell(OPEN[1], 1).value == OPEN[2] and ws.cell(OPEN[1], 5).value is None  # open
    ws.cell(OPEN[1], 4).value = ws.cell(OPEN[1], 4).value + timedelta(days=14)  # 受理时间
    (tmp_path / "edited").mkdir()
    wb.save(tmp_path / "edited" / "2026-10.xlsx")
    expected = figures(score(tmp_path, tmp_path / "edited" / "2026-10.xlsx", "edited.db"))
    assert figures(db) == expected
    assert figures(db)[OPEN[3]] != figures(score(tmp_path, october, "plain.db"))[OPEN[3]]


def test_a_later_month_is_rescored_with_its_decisions_still_applied(tmp_path, caplog):
    """Appeals applied on 2026-09, then 2026-08 scored again: 2026-09 is re-scored with them still applied."""
    august, september = copied(tmp_path, "2026-08", "2026-09")
    db = score(tmp_path, august, "h.db")
    run_score([september], db=db, out_dir=tmp_path / "sep", now=NOW)
    with HistoryStore(db) as store:
        ev = store.load_scorecard(SEP).evidence
    first = ev[ev["kind"] == "overdue_ticket"].iloc[0]
    with HistoryStore(db) as store:
        branch = store.load_scorecard(SEP).branch(first["branch_key"]).branch
    row = ("工单", int(first["row"]), str(first["ref"]), branch)
    accept(db, SEP, [row])
    apply_appeals(db, SEP, out_dir=tmp_path / "applied", now=NOW)
    appealed = figures(db, SEP)
    with caplog.at_level(logging.WARNING, logger="svcqa"):
        run = run_score([august], db=db, out_dir=tmp_path / "aug", now=NOW + timedelta(hours=1))
    assert run.rescored == [SEP]
    assert "2026-09 has 1 accepted appeal decision: applied again" in caplog.messages
    assert figures(db, SEP) == appealed
    with HistoryStore(db) as store:
        ev = store.load_scorecard(SEP).evidence
        active = store.run_info(SEP)["run_id"]
    marks = ev[ev["kind"] == "appeal"]
    assert list(marks["ref"]) == [row[2]] and list(marks["kpi_id"]) == [first["kpi_id"]]
    [status] = appeal_status(db, SEP)
    assert status["applied"] and status["after"]["total"] == appealed[branch][0]
    conn = sqlite3.connect(db)
    assert conn.execute(
        "SELECT decision_id, row_found FROM appeal_run_decisions WHERE run_id = ?", (active,)
    ).fetchall() == [(1, 1)]
    conn.close()


def test_a_decisions_xlsx_is_read_like_the_csv(tmp_path):
    """An XLSX decisions file with 通过/驳回 and adjust_days gives the decisions row by row; a bad cell names file, row and column."""
    path = tmp_path / "decisions.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["table", "id", "decision", "reason", "decided_by", "adjust_days"])
    ws.append(["tickets", TICKET[2], "通过", "客户未取机", "张三", 3])
    ws.append([None] * 6)  # a blank row is skipped
    ws.append(["attendance", ABSENCE[2], "驳回", "无假条", "李四", None])
    wb.save(path)
    assert read_decisions(path, OCT) == [
        AppealDecision(OCT, "tickets", TICKET[2], True, "客户未取机", "张三", 3.0),
        AppealDecision(OCT, "attendance", ABSENCE[2], False, "无假条", "李四", None),
    ]
    ws.append(["complaints", "TS1", "通过", "x", "张三", 2])
    wb.save(path)
    with pytest.raises(Exception, match=r"decisions.xlsx, row 5, column adjust_days"):
        read_decisions(path, OCT)


def test_appeals_beyond_max_per_branch_are_refused(tmp_path):
    """With [appeals] max_per_branch = 1 a branch's second appeal is recorded late and refused with the limit, the deadline and the date."""
    text = (ROOT / "svcqa/rubric/presets/gd-mobile-aftersales.toml").read_text(encoding="utf-8")
    assert "max_per_branch = 20" in text
    rubric = tmp_path / "one.toml"
    rubric.write_text(text.replace("max_per_branch = 20", "max_per_branch = 1"), encoding="utf-8")
    [october] = copied(tmp_path, "2026-10")
    db = score(tmp_path, october, "h.db", rubric=rubric)
    branch = TICKET[3]
    filed = file_appeals(
        db,
        [
            AppealRequest(OCT, branch, "tickets", TICKET[2], "客户原因"),
            AppealRequest(OCT, branch, "tickets", "WX2026100000366", "客户原因"),
            AppealRequest(OCT, ABSENCE[3], "attendance", ABSENCE[2], "病假"),
        ],
        now=NOW,
    )
    assert [a.row_id for a in filed.recorded] == [TICKET[2], ABSENCE[2]]
    assert filed.refused == [
        f"tickets WX2026100000366: {branch} already has 1 appeal(s) for 2026-10, the most the "
        "rubric allows ([appeals] max_per_branch = 1); this appeal is dated 2026-12-06, the "
        "window closes on 2026-12-16"
    ]
    assert [s["status"] for s in appeal_status(db, OCT)] == ["pending", "late", "pending"]


def test_a_version_3_store_upgrades_to_the_latest_keeping_its_runs(tmp_path, monkeypatch):
    """A store made by migrations 1-3 opens at the latest version (appeals: 4) with its runs and figures intact, and takes appeals."""
    [october] = copied(tmp_path, "2026-10")
    plain = run_score([october], use_history=False, out_dir=tmp_path / "o", now=NOW)
    rubric = load_rubric("gd-mobile-aftersales")
    path = tmp_path / "v3.db"
    with monkeypatch.context() as patch:
        old = {v: f for v, f in migrations.MIGRATIONS.items() if v <= 3}
        patch.setattr(migrations, "MIGRATIONS", old)
        with HistoryStore(path) as store:
            store.save(plain.scorecard, plain.data, rubric=rubric, tool_version="0.1.0", now=NOW)
            store.save(
                plain.scorecard,
                plain.data,
                rubric=rubric,
                tool_version="0.1.0",
                now=NOW + timedelta(hours=1),
            )
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone() == (3,)
    assert conn.execute("SELECT name FROM sqlite_master WHERE name = 'appeals'").fetchall() == []
    conn.close()
    with HistoryStore(path) as store:
        runs = [(r["run_id"], r["status"]) for r in store.runs(OCT)]
        card = store.load_scorecard(OCT)
    assert runs == [(2, "active"), (1, "superseded")]
    assert {b.branch: (b.total, b.rank) for b in card.branches} == {
        b.branch: (b.total, b.rank) for b in plain.scorecard.branches
    }
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone() == (migrations.latest_version(),)
    tables = {n for (n,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"appeals", "appeal_decisions", "appeal_runs", "appeal_run_decisions"} <= tables
    assert "appeal_forms" in tables
    conn.close()
    filed = file_appeals(path, [AppealRequest(OCT, TICKET[3], "tickets", TICKET[2], "x")], now=NOW)
    assert [a.id for a in filed.recorded] == [1]
