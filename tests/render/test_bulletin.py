"""The monthly appeals bulletin (申诉月度通报) from hand-written appeal status records: HTML in a
real headless browser and the XLSX read back."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from svcqa.jobs.appeal_forms import write_bulletin
from svcqa.render.bulletin import render_bulletin_html

import browser
from conftest import ROOT

NOW = datetime(2026, 11, 20, 9, 0)
# this checkout's templates (an installed svcqa may predate the bulletin's template)
TEMPLATES = ROOT / "templates"
WEAK, OTHER = "深圳龙岗（九）营业厅", "广州海珠（四）授权服务店"


def record(branch: str, row_id: str, status: str, **extra: Any) -> dict[str, Any]:
    """One appeal status record as `svcqa appeal status --format json` prints it."""
    base: dict[str, Any] = {
        "month": "2026-10",
        "branch": branch,
        "branch_key": branch,
        "table": "tickets",
        "id": row_id,
        "kpi_id": "exchange_overdue",
        "reason": "客户六天未取机",
        "reference": "短信截图",
        "source": "a.xlsx",
        "filed_at": "2026-11-03T10:00:00",
        "status": status,
        "decision": None,
        "superseded": [],
        "applied": False,
        "row_found": None,
        "points_restored": None,
        "before": None,
        "after": None,
    }
    return base | extra


def decision(accepted: bool, reason: str) -> dict[str, Any]:
    return {
        "accepted": accepted,
        "reason": reason,
        "decided_by": "李分析",
        "decided_at": "2026-11-10T15:30:00",
        "adjust_days": None,
    }


BEFORE = {"total": 71.35, "rank": 40, "grade": "不合格", "coefficient": 0.8}
AFTER = {"total": 73.1, "rank": 38, "grade": "合格", "coefficient": 0.9}
RECORDS = [
    record(
        WEAK,
        "WX2026100000017",
        "accepted",
        decision=decision(True, "取机短信记录属实<script>alert(1)</script>"),
        applied=True,
        row_found=True,
        points_restored=1.75,
        before=BEFORE,
        after=AFTER,
    ),
    record(
        WEAK,
        "TS20261000031",
        "rejected",
        table="complaints",
        decision=decision(False, "证据不足"),
        applied=True,
        points_restored=1.75,
        before=BEFORE,
        after=AFTER,
    ),
    record(WEAK, "张三 2026-10-08", "late", table="attendance"),
    record(OTHER, "WX2026100000016", "pending"),
]


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> list[Path]:
    return write_bulletin(
        "2026-10", RECORDS, out=tmp_path_factory.mktemp("b"), now=NOW, template_dir=TEMPLATES
    )


def test_bulletin_html_renders_in_chromium_with_the_figures(written):
    """The bulletin parses cleanly in Chromium and shows totals, decisions and before -> after figures."""
    browser.require_browser()
    html = next(p for p in written if p.suffix == ".html")
    run = browser.dump_dom(html)
    assert run.console == []
    dom = run.stdout
    assert "2026-10 申诉月度通报" in dom
    for status, count in (
        ("filed", 4),
        ("accepted", 1),
        ("rejected", 1),
        ("late", 1),
        ("pending", 1),
    ):
        assert f'id="total-{status}">{count}<' in dom
    assert WEAK in dom and OTHER in dom and "张三 2026-10-08" in dom
    assert "71.35 · 第 40 名 · 不合格 → 73.10 · 第 38 名 · 合格" in dom
    assert "1.75" in dom and "证据不足" in dom and "李分析" in dom
    assert "<script>alert" not in dom and "&lt;script&gt;alert(1)&lt;/script&gt;" in dom


def test_bulletin_prints_cjk_text(written, tmp_path):
    """The bulletin prints to PDF (CJK text laid out by the browser, no error)."""
    browser.require_browser()
    html = next(p for p in written if p.suffix == ".html")
    run = browser.print_pdf(html, tmp_path / "b.pdf")
    assert run.console == []
    assert len(browser.pdf_pages(tmp_path / "b.pdf")) >= 1


def test_bulletin_xlsx_has_per_branch_figures_and_totals(written):
    """The summary sheet has one row per branch with counts and before/after, then the totals."""
    xlsx = next(p for p in written if p.suffix == ".xlsx")
    wb = openpyxl.load_workbook(xlsx, read_only=True)
    summary = [list(r) for r in wb["申诉汇总"].iter_rows(values_only=True)]
    appeals = [list(r) for r in wb["各网点申诉"].iter_rows(values_only=True)]
    wb.close()
    assert summary[1] == [WEAK, 3, 1, 1, 1, 0, 1.75, 71.35, 73.1, 40, 38, "不合格", "合格"]
    assert summary[2][:7] == [OTHER, 1, 0, 0, 0, 1, None]
    assert summary[3][:6] == ["合计", 4, 1, 1, 1, 1]
    assert [r[2] for r in appeals[1:]] == [r["id"] for r in RECORDS]
    assert appeals[2][5:8] == ["驳回", "证据不足", "李分析"]


def test_no_appeals_says_so_in_english():
    """An empty month renders a bulletin saying there were no appeals, in English when asked."""
    html = render_bulletin_html("2026-10", [], lang="en", now=NOW, template_dir=TEMPLATES)
    assert "No appeals this month." in html and 'id="total-filed">0<' in html
