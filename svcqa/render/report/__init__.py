"""Per-branch reports: what a branch manager reads (HTML, XLSX) and the ranked index page.

``build_branch_view`` turns a scored month into a ``BranchView`` (``model``): every figure the
report shows, already formatted, so the HTML template (``html``) and the XLSX writer (``xlsx``)
lay out the same content. What all branches share is computed once per scorecard in
``ReportContext`` (``context``); ``write_branch_reports`` (``writer``) builds it once and renders
hundreds of branches from it. Nothing here opens the history store: ``svcqa.jobs.reports`` reads
the store and passes what it read in.
"""

from __future__ import annotations

from svcqa.labels import report_labels
from svcqa.render.formats import (
    better_direction,
    figure,
    is_missing,
    submission_deadline,
    unit_suffix,
)
from svcqa.render.report.context import ReportContext
from svcqa.render.report.html import render_branch_html, render_index_html
from svcqa.render.report.model import HTML_ROWS_PER_KPI, BranchView, FollowUpLine, KpiRow
from svcqa.render.report.view import build_branch_view
from svcqa.render.report.writer import parse_formats, report_stems, write_branch_reports
from svcqa.render.report.xlsx import write_branch_xlsx

__all__ = [
    "HTML_ROWS_PER_KPI",
    "BranchView",
    "FollowUpLine",
    "KpiRow",
    "ReportContext",
    "better_direction",
    "build_branch_view",
    "figure",
    "is_missing",
    "parse_formats",
    "render_branch_html",
    "render_index_html",
    "report_labels",
    "report_stems",
    "submission_deadline",
    "unit_suffix",
    "write_branch_reports",
    "write_branch_xlsx",
]
