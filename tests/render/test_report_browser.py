"""Branch reports in a real headless browser: no console errors, CJK text drawn, charts sized, A4 print."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import pytest

from svcqa.output import safe_filename
from svcqa.render.report import write_branch_reports

import browser
import report_fixtures as rf

pytestmark = pytest.mark.browser
NOW = datetime(2026, 11, 2, 8, 0)


@pytest.fixture(scope="module")
def reports(tmp_path_factory) -> Path:
    browser.require_browser()
    current, previous, trend = rf.build_history(NOW)
    out = tmp_path_factory.mktemp("reports")
    write_branch_reports(current, out, trend=trend, previous=previous, now=NOW)
    return out


def _page(reports: Path, name: str) -> Path:
    return reports / f"{safe_filename(name)}.html"


def test_report_parses_without_console_errors_and_draws_sized_charts(reports):
    """The parsed DOM has both SVG charts with a size, and the page logs nothing to the console."""
    run = browser.dump_dom(_page(reports, "东莞虎门服务中心"))
    assert run.console == []
    svgs = re.findall(r'<svg[^>]*class="chart"[^>]*>', run.stdout)
    assert len(svgs) == 2
    for tag in svgs:
        width = float(re.search(r'width="([\d.]+)"', tag).group(1))
        height = float(re.search(r'height="([\d.]+)"', tag).group(1))
        assert width >= 300 and height >= 150
    assert "连续3个月排名末位，触发协议清算评估。" in run.stdout


def test_script_in_complaint_text_shows_as_text_and_never_runs(reports):
    """A complaint text '<script>alert(1)</script>' is escaped text in the DOM, not a script element."""
    run = browser.dump_dom(_page(reports, "深圳福田华强北店"))
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in run.stdout
    assert "<script" not in run.stdout.lower()
    assert run.console == []


def test_index_links_resolve_and_log_nothing(reports):
    """The index page parses cleanly and every link points to a report beside it."""
    run = browser.dump_dom(reports / "index.html")
    assert run.console == []
    hrefs = re.findall(r'<a href="([^"]+)"', run.stdout)
    assert len(hrefs) == 8 and all((reports / h).exists() for h in hrefs)


def test_screenshot_draws_chinese_text_with_a_cjk_font(reports, tmp_path):
    """With Noto Sans CJK installed the page renders as a real, non-blank picture."""
    assert browser.cjk_font_installed("Noto Sans CJK SC"), (
        "fonts-noto-cjk is required for the browser tests"
    )
    png = tmp_path / "report.png"
    browser.screenshot(_page(reports, "惠州惠城服务点"), png, width=1000, height=900)
    width, height, _ = browser.png_pixels(png)
    assert (width, height) == (1000, 900)
    assert browser.non_white_fraction(png) > 0.04


def test_print_gives_several_a4_pages_for_a_long_report(reports, tmp_path):
    """Printing the worst branch's report gives more than one page, every one A4 (595 x 842 pt)."""
    pdf = tmp_path / "report.pdf"
    browser.print_pdf(_page(reports, "东莞虎门服务中心"), pdf)
    pages = browser.pdf_pages(pdf)
    assert len(pages) > 1
    assert all(595 <= w < 596.5 and 841 <= h < 842.5 for w, h in pages)
