"""The HTML rectification form in a real headless browser: clean console, escaped text, A4 print."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from svcqa.output import write_text_atomic
from svcqa.rectify import build_form
from svcqa.rectify.document import render_form_html
from svcqa.render.report import ReportContext

import browser
import report_fixtures as rf

pytestmark = pytest.mark.browser
NOW = datetime(2026, 11, 2, 8, 0)


@pytest.fixture(scope="module")
def pages(tmp_path_factory) -> dict[str, Path]:
    browser.require_browser()
    current, previous, trend = rf.build_history(NOW)
    ctx = ReportContext(current, trend=trend, previous=previous)
    out = tmp_path_factory.mktemp("forms")
    written = {}
    for name in ("东莞虎门服务中心", "深圳福田华强北店"):
        form = build_form(
            current,
            rf.branch_key(name),
            context=ctx,
            previous=previous,
            failing_grades=("不合格",),
            now=NOW,
        )
        written[name] = write_text_atomic(out / f"{name}.html", render_form_html(form))
    return written


def test_form_parses_without_console_errors_and_shows_the_five_sections(pages):
    """The last-place branch's form parses cleanly and has the five sections and the signature lines."""
    run = browser.dump_dom(pages["东莞虎门服务中心"])
    assert run.console == []
    for heading in (
        "一、基本情况",
        "二、上期整改措施执行情况",
        "三、主要问题分析",
        "四、整改措施及计划",
        "五、需协调事项",
    ):
        assert f"<h2>{heading}</h2>" in run.stdout
    assert "负责人签字：" in run.stdout and "客服中心确认：" in run.stdout
    assert "末位、等级“不合格”、协议清算评估" in run.stdout


def test_script_in_a_complaint_category_is_text_in_the_form(pages):
    """A hot-spot category '<script>alert(1)</script>' is escaped text, never a script element."""
    run = browser.dump_dom(pages["深圳福田华强北店"])
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in run.stdout
    assert "<script" not in run.stdout.lower()
    assert run.console == []


def test_form_prints_on_a4(pages, tmp_path):
    """Printing the form gives A4 pages (595 x 842 pt)."""
    pdf = tmp_path / "form.pdf"
    browser.print_pdf(pages["东莞虎门服务中心"], pdf)
    pages_ = browser.pdf_pages(pdf)
    assert len(pages_) >= 1
    assert all(595 <= w < 596.5 and 841 <= h < 842.5 for w, h in pages_)


def test_screenshot_draws_the_form_with_a_cjk_font(pages, tmp_path):
    """With Noto Sans CJK installed the form renders as a real, non-blank picture."""
    assert browser.cjk_font_installed("Noto Sans CJK SC"), (
        "fonts-noto-cjk is required for the browser tests"
    )
    png = tmp_path / "form.png"
    browser.screenshot(pages["东莞虎门服务中心"], png, width=1000, height=900)
    width, height, _ = browser.png_pixels(png)
    assert (width, height) == (1000, 900)
    assert browser.non_white_fraction(png) > 0.04
