"""A month re-scored by appeals, as the branch report and scorecard.xlsx show it: the box of what
changed (checked in headless Chromium) and the withdrawn or clock-stopped rows, labelled."""

from __future__ import annotations

import re
import shutil
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest

from svcqa import (
    AppealDecision,
    AppealRequest,
    HistoryStore,
    Month,
    apply_appeals,
    decide_appeals,
    file_appeals,
    run_score,
    write_reports,
)

import browser
from conftest import SAMPLE_DATA

OCT = Month(2026, 10)
NOW = datetime(2026, 12, 6, 9, 0)
WEAK = "深圳龙岗（九）营业厅"
TICKET, OTHER_TICKET = "WX2026100000151", "WX2026100000017"
ABSENCE = ("广州黄埔（三）营业厅", "冯娜嘉 2026-10-03")


def totals(db: Path) -> dict[str, tuple[float, int | None]]:
    """branch -> (total, rank) of the month's active run, read from the store."""
    with HistoryStore(db) as store:
        card = store.load_scorecard(OCT)
    return {b.branch: (b.total, b.rank) for b in card.branches}


@pytest.fixture(scope="module")
def appealed(tmp_path_factory) -> dict:
    """2026-10 scored; the weak branch's ticket clock-stopped 3 days and an absence of another
    branch withdrawn, applied; the figures before and after read from the store."""
    root = tmp_path_factory.mktemp("appealed")
    shutil.copy(SAMPLE_DATA / "2026-10.xlsx", root / "2026-10.xlsx")
    db = root / "h.db"
    run_score([root / "2026-10.xlsx"], db=db, out_dir=root / "out", now=NOW)
    before = totals(db)
    file_appeals(
        db,
        [
            AppealRequest(OCT, WEAK, "tickets", TICKET, "客户未取机"),
            AppealRequest(OCT, ABSENCE[0], "attendance", ABSENCE[1], "病假已批"),
        ],
        now=NOW,
    )
    decide_appeals(
        db,
        [
            AppealDecision(OCT, "tickets", TICKET, True, "短信记录属实", "张三", 3),
            AppealDecision(OCT, "attendance", ABSENCE[1], True, "假条属实", "李四"),
        ],
        now=NOW,
    )
    applied = apply_appeals(db, OCT, out_dir=root / "out", now=NOW)
    return {"root": root, "db": db, "before": before, "after": totals(db), "applied": applied}


def test_branch_report_shows_the_appeal_box_and_the_adjusted_rows_in_a_browser(appealed):
    """The weak branch's report says it was re-scored (1 of 2 decisions, total and rank before → after) and lists its clock-stopped ticket as an appeal row, in Chromium."""
    browser.require_browser()
    run = write_reports(
        appealed["db"], branch=WEAK, out_dir=appealed["root"] / "zh", formats=["html"], now=NOW
    )
    dom = browser.dump_dom(run.paths[0])
    assert dom.console == []
    (was, rank_was), (now, rank_now) = appealed["before"][WEAK], appealed["after"][WEAK]
    assert was == 51.52 and now > was
    box = re.search(r'<section id="appeals"[^>]*>(.*?)</section>', dom.stdout, re.S)
    assert box is not None
    assert "本月经申诉重新计分" in box.group(1)
    assert (
        f"本网点 1 项申诉裁决已生效（全月 2 项）；总分 {was:.2f} → {now:.2f}，"
        f"排名 {rank_was} → {rank_now}。"
    ) in box.group(1)
    row = re.search(rf"<tr><td>申诉调整</td><td>{TICKET}</td>.*?</tr>", dom.stdout)
    assert row is not None
    assert "<td>申诉停钟</td>" in row.group(0)
    assert "申诉停钟 3 天：短信记录属实（张三）" in row.group(0)
    assert "2026-10.xlsx / 工单 / 154" in row.group(0)


def test_english_report_labels_the_box_and_a_withdrawn_row(appealed):
    """In English the box reads 'Re-scored by appeals: …' and a withdrawn absence is kind 'appeal', detail 'withdrawn by appeal: …'."""
    run = write_reports(
        appealed["db"],
        branch=ABSENCE[0],
        out_dir=appealed["root"] / "en",
        formats=["html"],
        lang="en",
        now=NOW,
    )
    html = run.paths[0].read_text()
    (was, rank_was), (now, rank_now) = appealed["before"][ABSENCE[0]], appealed["after"][ABSENCE[0]]
    assert now == was + 1  # the absence cost 1 point
    assert (
        f"Re-scored by appeals: 1 decision(s) applied to this branch (2 in the month); "
        f"total {was:.2f} → {now:.2f}, rank {rank_was} → {rank_now}."
    ) in html
    assert re.search(
        r"<tr><td>appeal</td><td>冯娜嘉 2026-10-03</td><td>2026-10-03</td><td class=\"n\"></td>"
        r"<td>withdrawn</td><td class=\"detail\">withdrawn by appeal: 假条属实 \(李四\)</td>",
        html,
    )


def test_a_month_not_appealed_has_no_box_and_the_xlsx_report_has_it(appealed, tmp_path):
    """A branch report of a month never appealed has no box; the appealed month's XLSX overview carries the box's text."""
    db = tmp_path / "plain.db"
    run_score([appealed["root"] / "2026-10.xlsx"], db=db, out_dir=tmp_path / "out", now=NOW)
    plain = write_reports(db, branch=WEAK, out_dir=tmp_path / "r", formats=["html"], now=NOW)
    assert 'id="appeals"' not in plain.paths[0].read_text()
    run = write_reports(
        appealed["db"], branch=WEAK, out_dir=tmp_path / "x", formats=["xlsx"], now=NOW
    )
    wb = openpyxl.load_workbook(run.paths[0], read_only=True)
    texts = [c for r in wb.worksheets[0].iter_rows(values_only=True) for c in r if c]
    wb.close()
    assert "本月经申诉重新计分" in texts
    assert any(str(c).startswith("本网点 1 项申诉裁决已生效（全月 2 项）") for c in texts)


def test_scorecard_xlsx_of_an_appealed_run_says_so_below_the_rules(appealed):
    """scorecard.xlsx written by appeal apply carries a line saying the run applied 2 decisions and superseded run 1."""
    path = appealed["applied"].outputs["scorecard_xlsx"]
    wb = openpyxl.load_workbook(path, read_only=True)
    rules = wb.worksheets[2]
    texts = [c for r in rules.iter_rows(values_only=True) for c in r if isinstance(c, str)]
    wb.close()
    assert (
        "本月经申诉重新计分：应用 2 项申诉裁决，取代运行 1 的结果（svcqa appeal status 列出明细）"
        in texts
    )
