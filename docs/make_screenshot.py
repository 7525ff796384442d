"""Render one sample branch report and screenshot it to docs/report-sample.png (``make screenshot``).

Uses the hand-built months in tests/helpers/report_fixtures.py and the headless-Chromium helper in
tests/helpers/browser.py, so the picture in the docs is the report the tests check.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "helpers"))

from svcqa.render.report import build_branch_view, render_branch_html

import browser
import report_fixtures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "report-sample.png")
    parser.add_argument("--branch", default="惠州惠城服务点", help="a branch of the fixture month")
    parser.add_argument("--lang", default="zh", choices=("zh", "en"))
    parser.add_argument("--width", type=int, default=1100)
    parser.add_argument("--height", type=int, default=1900)
    args = parser.parse_args(argv)
    chromium = browser.find_chromium()
    if chromium is None:
        print("make_screenshot: headless Chromium not found (install 'chromium')", file=sys.stderr)
        return 1
    current, previous, trend = report_fixtures.build_history(datetime(2026, 11, 2, 8, 0))
    view = build_branch_view(
        current,
        report_fixtures.branch_key(args.branch),
        trend=trend,
        previous=previous,
        lang=args.lang,
        now=datetime(2026, 11, 2, 8, 0),
    )
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "report.html"
        page.write_text(render_branch_html(view, xlsx_name="report.xlsx"), encoding="utf-8")
        args.out.parent.mkdir(parents=True, exist_ok=True)
        browser.screenshot(page, args.out.resolve(), width=args.width, height=args.height)
    print(args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
