"""The branch report's KPI limit line (what a share_over / overdue_share KPI counts, per-row
thresholds included), the curve record behind it, and a deduct curve beside a per-N rate."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from svcqa.models import Scorecard
from svcqa.output import safe_filename
from svcqa.render.report import write_branch_reports
from svcqa.rubric import load_rubric_text
from svcqa.scoring import month_data_from_tables, score_month

import browser

NOW = datetime(2026, 11, 2, 9, 0)

RUBRIC = """
id = "limits"
name = "Limits"
max = 50

[[grades]]
name = "ok"
min = 0
coefficient = 1.0

[columns.tickets.priority]
type = "text"
aliases = ["Priority"]

[columns.branches.users]
type = "number"
aliases = ["Users"]

[[kpis]]
id = "sla"
label = "SLA breach share"
points = 10
metric = { kind = "share_over", table = "tickets", span = { from = "accepted_at", to = "completed_at", unit = "hours" }, threshold_by = { column = "priority", values = { Critical = 4, High = 24, Medium = 48 }, default = 72 } }
curve = { kind = "ratio", invert = true }

[[kpis]]
id = "slow"
label = "Slow share"
points = 10
metric = { kind = "share_over", table = "tickets", span = { from = "accepted_at", to = "completed_at", unit = "days" }, threshold = 2, op = ">=" }
curve = { kind = "ratio", invert = true }

[[kpis]]
id = "overdue"
label = "Overdue share"
points = 10
metric = { kind = "overdue_share", days = 10 }
curve = { kind = "linear", full = 0, zero = 0.5 }

[[kpis]]
id = "resolution"
label = "Mean resolution hours"
points = 10
metric = { kind = "mean", table = "tickets", span = { from = "accepted_at", to = "completed_at", unit = "hours" } }
curve = { kind = "linear", full = 24, zero = 240 }

[[kpis]]
id = "complaints"
label = "Complaints per 10,000 users"
points = 10
metric = { kind = "count", table = "complaints", per = { table = "branches", column = "users", scale = 10000 } }
curve = { kind = "deduct", per = 2 }
"""

SLA_EN = "over, by priority: Critical 4 h · High 24 h · Medium 48 h · other 72 h"
SLA_ZH = "按 priority 超过：Critical 4 小时 · High 24 小时 · Medium 48 小时 · 其他 72 小时"
SLOW = {"en": "at least 2 d", "zh": "达到或超过 2 天"}
OVERDUE = {"en": "over 10 d", "zh": "超过 10 天"}


def _tickets() -> pd.DataFrame:
    """Branch A: a Critical ticket of 5 h (over 4), a High one of 10 h, a Low one of 80 h (over
    the default 72); branch B: one Medium ticket of 12 h."""
    rows = [
        ("A1", "A", "2026-10-05 08:00", "2026-10-05 13:00", "Critical"),
        ("A2", "A", "2026-10-06 08:00", "2026-10-06 18:00", "High"),
        ("A3", "A", "2026-10-07 08:00", "2026-10-10 16:00", "Low"),
        ("B1", "B", "2026-10-08 08:00", "2026-10-08 20:00", "Medium"),
    ]
    return pd.DataFrame(
        {
            "ticket_id": [r[0] for r in rows],
            "branch": [r[1] for r in rows],
            "service_type": "exchange",
            "accepted_at": pd.to_datetime([r[2] for r in rows]),
            "completed_at": pd.to_datetime([r[3] for r in rows]),
            "priority": [r[4] for r in rows],
        }
    )


def _complaints() -> pd.DataFrame:
    """Three valid complaints for A, none for B."""
    return pd.DataFrame(
        {
            "complaint_id": ["C1", "C2", "C3"],
            "branch": "A",
            "received_at": pd.Timestamp("2026-10-03 10:00"),
            "is_valid": pd.array([True] * 3, dtype="boolean"),
        }
    )


@pytest.fixture(scope="module")
def card() -> Scorecard:
    """The month of ``_tickets`` and ``_complaints`` scored with RUBRIC; A has 10,000 users, B 5,000."""
    tables = {
        "tickets": _tickets(),
        "complaints": _complaints(),
        "branches": pd.DataFrame({"branch": ["A", "B"], "users": [10000.0, 5000.0]}),
    }
    return score_month(
        month_data_from_tables("2026-10", tables), load_rubric_text(RUBRIC), None, now=NOW
    )


def _kpis(card: Scorecard, branch: str) -> dict:
    return {k.id: k for k in card.branch(branch).kpis}


def _write(card: Scorecard, out: Path, lang: str, formats=("html", "xlsx")) -> Path:
    write_branch_reports(card, out, branch_keys=["A"], formats=formats, now=NOW, lang=lang)
    return out / f"{safe_filename('A')}"


def _row(html: str, kpi: str) -> str:
    """The KPI table's row of ``kpi`` in the report's HTML."""
    return re.search(rf'<tr data-kpi="{kpi}">(.*?)</tr>', html, re.S).group(1)


def _limit(row: str) -> str | None:
    found = re.search(r'<div class="limit">(.*?)</div>', row, re.S)
    return None if found is None else found.group(1)


def test_the_curve_record_keeps_threshold_by_its_unit_and_the_rate_per_apart_from_the_curve(card):
    """threshold_by {column, values, default} and the span's unit are recorded; the metric's per is rate_per, the deduct curve keeps its per."""
    kpis = _kpis(card, "A")
    sla = kpis["sla"].curve
    assert sla["threshold_by"] == {
        "column": "priority",
        "values": {"Critical": 4.0, "High": 24.0, "Medium": 48.0},
        "default": 72.0,
    }
    assert sla["threshold_unit"] == "hours" and sla["op"] == ">" and sla["threshold"] is None
    assert kpis["slow"].curve["threshold_unit"] == "days" and kpis["slow"].curve["threshold"] == 2
    assert "threshold_unit" not in kpis["overdue"].curve
    complaints = kpis["complaints"].curve
    assert complaints["kind"] == "deduct" and complaints["per"] == 2.0
    assert complaints["rate_per"] == {"table": "branches", "column": "users", "scale": 10000.0}
    # A: Critical 5 h > 4, High 10 h ≤ 24, Low 80 h > 72 (default): 2 of 3
    assert kpis["sla"].value == pytest.approx(2 / 3)
    # A: 3 complaints / 10,000 users × 10,000 = 3 -> 10 − 2 × 3 = 4 points
    assert kpis["complaints"].value == pytest.approx(3.0) and kpis["complaints"].points == 4.0
    assert _kpis(card, "B")["complaints"].points == 10.0


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_deduct_curve_beside_a_per_rate_renders_its_points_per_record(card, tmp_path, lang):
    """A count per 10,000 users on a deduct curve renders (no crash) with −2 per record and 4.00 points."""
    html = _write(card, tmp_path, lang, ("html",)).with_suffix(".html").read_text("utf-8")
    row = _row(html, "complaints")
    cells = re.findall(r'<td class="n[^"]*">([^<]*)</td>', row)
    per_record = "−2 per record" if lang == "en" else "每条扣 2 分"
    none = "none" if lang == "en" else "无记录"
    assert cells[2:4] == [none, per_record] and cells[4] == "4.00"
    assert _limit(row) is None


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_html_kpi_rows_show_what_each_share_kpi_counts(card, tmp_path, lang):
    """share_over by priority lists each value's threshold in hours; a plain threshold and overdue_share read in days; a mean has no line."""
    html = _write(card, tmp_path, lang, ("html",)).with_suffix(".html").read_text("utf-8")
    assert _limit(_row(html, "sla")) == (SLA_EN if lang == "en" else SLA_ZH)
    assert _limit(_row(html, "slow")) == SLOW[lang]
    assert _limit(_row(html, "overdue")) == OVERDUE[lang]
    assert _limit(_row(html, "resolution")) is None


@pytest.mark.browser
def test_the_limit_line_is_drawn_in_a_browser(card, tmp_path):
    """Headless Chromium parses the report without console errors and shows the thresholds under the KPI name."""
    browser.require_browser()
    page = _write(card, tmp_path, "zh", ("html",)).with_suffix(".html")
    run = browser.dump_dom(page)
    assert run.console == []
    assert f'<div class="limit">{SLA_ZH}</div>' in run.stdout
    assert f'<div class="limit">{OVERDUE["zh"]}</div>' in run.stdout


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_xlsx_kpi_sheet_has_the_limit_as_its_last_column(card, tmp_path, lang):
    """The KPI sheet's last column, after the peer columns, holds each KPI's limit line ("" for others)."""
    book = _write(card, tmp_path, lang, ("xlsx",)).with_suffix(".xlsx")
    sheet = openpyxl.load_workbook(book)["KPI"]
    header = [c.value for c in sheet[1]]
    assert header[-1] == ("Counted when" if lang == "en" else "计入条件")
    assert header[:3] == (["Group", "KPI", "Value"] if lang == "en" else ["分组", "指标", "指标值"])
    rows = {r[1]: r[-1] for r in sheet.iter_rows(min_row=2, max_row=6, values_only=True)}
    assert rows == {
        "SLA breach share": SLA_EN if lang == "en" else SLA_ZH,
        "Slow share": SLOW[lang],
        "Overdue share": OVERDUE[lang],
        "Mean resolution hours": None,
        "Complaints per 10,000 users": None,
    }
