"""Per-branch reports: the view model, the HTML page, the XLSX workbook and the index."""

from __future__ import annotations

import re
import statistics
from datetime import datetime

import openpyxl
import pytest
from jinja2 import UndefinedError

from svcqa.errors import NotFound, UsageError
from svcqa.output import safe_filename
from svcqa.render.charts import Bar, lost_points_chart, nice_ticks, trend_chart
from svcqa.render.environment import make_environment
from svcqa.render.formats import days2, pct1, pts2, signed
from svcqa.render.report import (
    HTML_ROWS_PER_KPI,
    build_branch_view,
    render_branch_html,
    write_branch_reports,
)

import report_fixtures as rf

NOW = datetime(2026, 11, 2, 8, 0)
WORST = rf.branch_key("东莞虎门服务中心")
HUIZHOU = rf.branch_key("惠州惠城服务点")
SHENZHEN = rf.branch_key("深圳福田华强北店")
GRACE = rf.branch_key("中山石岐新网点")


@pytest.fixture(scope="module")
def history():
    return rf.build_history(NOW)


def _view(history, key, lang="zh"):
    current, previous, trend = history
    return build_branch_view(current, key, trend=trend, previous=previous, lang=lang, now=NOW)


def test_header_shows_total_rank_grade_and_change(history):
    """The header carries total, rank of N, grade, coefficient and the change against last month."""
    current, previous, _ = history
    view = _view(history, HUIZHOU)
    branch, before = current.branch(HUIZHOU), previous.branch(HUIZHOU)
    assert view.total == round(branch.total, 2)
    assert view.rank == 6 and view.rank_count == 7 and view.rank_text == "第 6 名 / 共 7 名"
    assert view.grade == "不合格" and view.coefficient == 0.85
    assert view.total_delta == round(branch.total - before.total, 2) and view.total_delta < 0
    assert view.total_change == f"↓ {view.total_delta:.2f}"
    assert view.rank_delta == 0 and view.rank_change == "→ 0"


def test_kpi_rows_format_values_thresholds_and_no_data(history):
    """Rates show one decimal percent, days two decimals; thresholds as scored; no-data marked."""
    view = _view(history, HUIZHOU)
    rows = {k.id: k for k in view.kpis}
    assert rows["exchange_cycle"].value_text == f"{rows['exchange_cycle'].value:.2f} 天"
    assert (rows["exchange_cycle"].full_text, rows["exchange_cycle"].zero_text) == (
        "≤ 3.00 天",
        "≥ 7.00 天",
    )
    assert rows["complaint_rate"].value_text == f"{rows['complaint_rate'].value * 100:.1f}%"
    assert (rows["complaint_rate"].full_text, rows["complaint_rate"].zero_text) == (
        "≤ 3.0%",
        "≥ 5.0%",
    )
    assert rows["attendance"].zero_text == "每条扣 1 分"
    assert [g.name for g in view.kpi_groups] == ["客户感知", "内部运营"]
    grace = {k.id: k for k in _view(history, GRACE).kpis}
    assert grace["nonwarranty_cycle"].no_data and grace["nonwarranty_cycle"].value_text == "无数据"
    assert grace["nonwarranty_cycle"].lost == 0


def test_peer_median_and_best_come_from_assessed_branches(history):
    """Each KPI's median and best value are over assessed branches only; lower is better for cycles."""
    current, _, _ = history
    view = _view(history, HUIZHOU)
    values = [
        k.value for b in current.branches if b.assessed for k in b.kpis if k.id == "exchange_cycle"
    ]
    row = next(k for k in view.kpis if k.id == "exchange_cycle")
    assert row.median == pytest.approx(statistics.median(values))
    assert row.best == min(values)
    assert row.best_branch == "广州天河（一）服务点"
    coop = next(k for k in view.kpis if k.id == "cooperation")
    ratings = [
        k.value for b in current.branches if b.assessed for k in b.kpis if k.id == "cooperation"
    ]
    assert coop.best == max(ratings)


def test_neighbours_are_the_branches_ranked_around_this_one(history):
    """The ranking excerpt shows two branches above and below, with this branch marked."""
    view = _view(history, HUIZHOU)
    assert [(n.rank, n.is_self) for n in view.neighbours] == [
        (4, False),
        (5, False),
        (6, True),
        (7, False),
    ]
    assert view.neighbours[-1].branch == "东莞虎门服务中心"
    assert _view(history, GRACE).neighbours == ()


def test_callouts_state_last_place_contract_review_and_grace(history):
    """Flags become plain sentences: last place with its deadline, contract review, grace month."""
    worst = [c.text for c in _view(history, WORST).callouts]
    assert "连续3个月排名末位，触发协议清算评估。" in worst
    assert "本月排名末位，须于次月5日（2026年11月5日）前提交整改报告。" in worst
    assert (
        _view(history, HUIZHOU).callouts[0].text
        == "本月考核等级为“不合格”，须于次月5日（2026年11月5日）前提交整改报告。"
    )
    grace = _view(history, GRACE)
    assert "新签约网点首月，仅记录不排名。" in [c.text for c in grace.callouts]
    assert grace.rank is None and grace.rank_text == "不排名"


def test_evidence_groups_keep_counts_and_cap_html_rows(history):
    """Every evidence row is counted per KPI; the HTML list stops at the cap and says how many more."""
    current, _, _ = history
    view = _view(history, WORST)
    ev = current.evidence
    mine = ev[(ev["branch_key"] == WORST) & (ev["kind"] != "incentive")]
    assert sum(g.total for g in view.evidence) == len(mine) == view.evidence_total
    complaints = next(g for g in view.evidence if g.kpi_id == "complaint_rate")
    assert complaints.total == int((mine["kpi_id"] == "complaint_rate").sum()) > HTML_ROWS_PER_KPI
    assert (
        len(complaints.rows) == HTML_ROWS_PER_KPI
        and complaints.hidden == complaints.total - HTML_ROWS_PER_KPI
    )
    assert complaints.ref_label == "投诉单号"
    html = render_branch_html(view, xlsx_name="x.xlsx")
    assert f"另有 {complaints.hidden} 条未在此列出" in html
    # Order follows the rubric's KPI order and every row names its file, sheet and Excel row.
    assert [g.kpi_id for g in view.evidence][:2] == ["exchange_cycle", "warranty_cycle"]
    first = view.evidence[0].rows[0]
    assert first.file == "2026-10.xlsx" and first.sheet == "工单明细" and first.row.isdigit()
    assert len(view.evidence_table()) == len(ev[ev["branch_key"] == WORST])


def test_hot_spots_count_categories_against_all_branches(history):
    """The top complaint categories give count, share and the all-branch share of each category."""
    current, _, _ = history
    view = _view(history, WORST)
    ev = current.evidence
    complaints = ev[ev["kind"] == "complaint"]
    mine = complaints[complaints["branch_key"] == WORST]["category"].value_counts()
    assert view.complaint_total == int(mine.sum())
    assert len(view.hot_spots) == 10
    top = view.hot_spots[0]
    assert top.count == mine.max() and top.share == pytest.approx(mine.max() / mine.sum())
    assert top.all_share == pytest.approx(
        (complaints["category"] == top.category).sum() / len(complaints)
    )
    assert [h.count for h in view.hot_spots] == sorted(
        (h.count for h in view.hot_spots), reverse=True
    )


def test_incentives_list_points_and_reasons(history):
    """Incentive rows appear with their points and reason, apart from the KPI evidence."""
    view = _view(history, WORST)
    assert [(i.points, i.reason) for i in view.incentives] == [
        (-3.0, "服务热线抽检发现推诿客户，通报扣分")
    ]
    assert view.incentive_points == -3.0
    assert all(g.kpi_id != "incentive" for g in view.evidence)


def test_html_escapes_input_text_and_is_self_contained(history):
    """Complaint text with markup is shown escaped, and the page loads nothing from elsewhere."""
    html = render_branch_html(_view(history, SHENZHEN))
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script" not in html.lower()
    assert not re.search(r"<link|@import|src=|url\(", html)
    assert re.findall(r"https?://[^\"' ]+", html) == ["http://www.w3.org/2000/svg"] * 2
    assert "@page { size: A4; margin: 12mm; }" in html
    assert html.count("<svg") == 2 and '"Noto Sans CJK SC"' in html


def test_english_labels(history):
    """lang='en' switches static labels; KPI labels stay as the rubric gives them."""
    view = _view(history, WORST, lang="en")
    html = render_branch_html(view)
    assert view.rank_text == "7 of 7"
    assert "Last place 3 months in a row: contract review triggered." in html
    assert "KPI scores" in html and "换机平均服务周期" in html and "考核指标得分" not in html
    with pytest.raises(UsageError):
        _view(history, WORST, lang="fr")


def test_unknown_branch_is_not_found(history):
    """Asking for a branch the month does not have raises NotFound."""
    with pytest.raises(NotFound):
        _view(history, "nowhere")


def test_xlsx_sheets_read_back_with_complete_detail_and_string_text(history, tmp_path):
    """The workbook has the four sheets, every evidence row, and formula-like text as string cells."""
    current, previous, trend = history
    paths = write_branch_reports(
        current,
        tmp_path,
        branch_keys=[SHENZHEN, WORST],
        trend=trend,
        previous=previous,
        formats=("xlsx",),
        now=NOW,
    )
    assert not any(p.name == "index.html" for p in paths)
    wb = openpyxl.load_workbook(tmp_path / f"{safe_filename('深圳福田华强北店')}.xlsx")
    assert wb.sheetnames == ["概览", "KPI", "明细", "投诉热点"]
    detail = wb["明细"]
    cells = [c for row in detail.iter_rows(min_row=2) for c in row if c.value == rf.FORMULA_TEXT]
    assert cells and all(c.data_type == "s" for c in cells)
    assert detail.auto_filter.ref == f"A1:J{detail.max_row}"
    kpi = wb["KPI"]
    header = [c.value for c in kpi[1]]
    assert header[:3] == ["分组", "指标", "指标值"]
    complaint = next(r for r in kpi.iter_rows(min_row=2, values_only=True) if r[1] == "客户投诉")
    view = _view(history, SHENZHEN)
    row = next(k for k in view.kpis if k.id == "complaint_rate")
    assert (
        complaint[2] == pytest.approx(row.value)
        and complaint[6] == row.points
        and complaint[8] == row.lost
    )
    worst = openpyxl.load_workbook(tmp_path / f"{safe_filename('东莞虎门服务中心')}.xlsx")
    ev = current.evidence
    assert worst["明细"].max_row - 1 == int((ev["branch_key"] == WORST).sum())
    overview: dict = {}
    for r in worst["概览"].iter_rows(min_row=4, values_only=True):
        overview.setdefault(r[0], r[1])  # the header block comes first; later tables reuse labels
    assert overview["排名"] == "第 7 名 / 共 7 名" and overview["等级"] == "不合格"


def test_write_all_reports_index_links_progress_and_stable_bytes(history, tmp_path):
    """--all writes one HTML and XLSX per branch plus a ranked index with relative links, byte-stable."""
    current, previous, trend = history
    calls: list[tuple[int, int]] = []
    first = write_branch_reports(
        current,
        tmp_path / "a",
        trend=trend,
        previous=previous,
        now=NOW,
        progress=lambda d, n: calls.append((d, n)),
    )
    second = write_branch_reports(current, tmp_path / "b", trend=trend, previous=previous, now=NOW)
    assert len(first) == 2 * len(current.branches) + 1
    assert calls == [(i, len(current.branches)) for i in range(1, len(current.branches) + 1)]
    for a, b in zip(sorted(first), sorted(second)):
        assert a.name == b.name and a.read_bytes() == b.read_bytes()
    index = (tmp_path / "a" / "index.html").read_text(encoding="utf-8")
    links = re.findall(r'<a href="([^"]+)">([^<]+)</a>', index)
    assert [name for _, name in links][:2] == ["广州天河（一）服务点", "广州越秀服务中心"]
    assert links[-1][1] == "中山石岐新网点"  # not ranked: listed last
    assert all((tmp_path / "a" / href).exists() and "/" not in href for href, _ in links)
    assert "协议清算评估" in index


def test_unknown_format_is_a_usage_error(history, tmp_path):
    """Only html and xlsx are report formats."""
    with pytest.raises(UsageError):
        write_branch_reports(history[0], tmp_path, formats=("pdf",))


def test_environment_filters_strict_undefined_and_user_override(tmp_path):
    """Filters format numbers; a missing variable raises; a user folder overrides only when given."""
    assert (pct1(0.0345), days2(4), pts2(-0.0), signed(1.5), signed(-2), signed(0)) == (
        "3.5%",
        "4.00",
        "0.00",
        "+1.50",
        "-2.00",
        "0.00",
    )
    assert pct1(None) == "—"
    env = make_environment()
    with pytest.raises(UndefinedError):
        env.from_string("{{ nothing.here }}").render()
    assert env.from_string("{{ x }}").render(x="<b>") == "&lt;b&gt;"
    (tmp_path / "index.html.j2").write_text("custom {{ month }}", encoding="utf-8")
    assert (
        make_environment(tmp_path).get_template("index.html.j2").render(month="2026-10")
        == "custom 2026-10"
    )
    default = make_environment()
    assert default.loader.get_source(default, "index.html.j2")[0].startswith("<!DOCTYPE html>")


def test_charts_escape_text_and_invert_rank_axis():
    """Chart labels are escaped, bars scale to the KPI maximum, and rank 1 is drawn at the top."""
    svg = str(
        lost_points_chart(
            [Bar("<b>x</b>", 3.0, 12), Bar("客户投诉", 0.0, 30)],
            title="各指标失分",
            axis_label="失分",
            empty_text="-",
        )
    )
    assert "&lt;b&gt;x&lt;/b&gt;" in svg and "<b>" not in svg
    assert svg.count('class="bar"') == 1 and "<title>各指标失分</title>" in svg
    svg = str(
        trend_chart(
            ["2026-08", "2026-09"],
            [80.0, 90.0],
            [5, 1],
            title="t",
            total_label="总分",
            rank_label="排名",
            total_max=100,
            rank_count=5,
            empty_text="-",
        )
    )
    ys = [float(y) for y in re.findall(r'<rect x="[\d.]+" y="([\d.]+)" width="7"', svg)]
    assert ys[1] < ys[0]  # rank 1 (second month) sits above rank 5
    assert nice_ticks(0, 100) == [0, 20, 40, 60, 80, 100] and nice_ticks(0, 30) == [0, 10, 20, 30]


@pytest.mark.slow
def test_all_500_branches_render(tmp_path):
    """500 branch reports (HTML and XLSX) and the index are all written, with distinct names.

    Speed is measured by `make bench`, not asserted here: wall-clock bounds flake on busy machines.
    """
    scorecard = rf.build_large(500)
    paths = write_branch_reports(scorecard, tmp_path)
    assert len(paths) == 1001 and len(set(paths)) == 1001


def test_follow_ups_passed_to_the_view_builder_show_in_the_html(history):
    """The view builder takes last period's measures as data (the report never reads the store)."""
    from types import SimpleNamespace

    current, previous, trend = history
    line = SimpleNamespace(
        month="2026-09",
        kpi_id="k",
        label="投诉率",
        measure="每日晨会复盘投诉",
        owner="张三",
        deadline="2026-10-31",
        target_text="1.0%",
        prev_text="2.0%",
        value_text="1.5%",
        moved="improved",
        moved_text="改善",
    )
    view = build_branch_view(
        current, HUIZHOU, trend=trend, previous=previous, now=NOW, follow_ups=[line]
    )
    assert view.follow_ups == (line,)
    assert "每日晨会复盘投诉" in render_branch_html(view)
