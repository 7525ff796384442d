"""The branch report as a self-contained HTML page, and the ranked index linking them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from svcqa.labels import flags_text, report_labels
from svcqa.models import Scorecard
from svcqa.render.environment import make_environment
from svcqa.render.formats import DASH, change_text, signed
from svcqa.render.report.model import HTML_ROWS_PER_KPI, BranchView


def render_branch_html(
    view: BranchView, *, template_dir: Path | None = None, xlsx_name: str | None = None
) -> str:
    """The self-contained HTML page for one branch (inline CSS and SVG, no scripts, no network)."""
    env = make_environment(template_dir)
    return env.get_template("report.html.j2").render(
        v=view, t=view.t, xlsx_name=xlsx_name or "", limit=HTML_ROWS_PER_KPI
    )


@dataclass(frozen=True)
class IndexRow:
    rank: int | None
    branch: str
    href: str
    total: float
    grade: str
    coefficient: float | None
    flags: str
    total_change: str


def render_index_html(
    scorecard: Scorecard,
    links: Mapping[str, str],
    *,
    lang: str = "zh",
    generated_at: str = "",
    template_dir: Path | None = None,
) -> str:
    """The ranked index: one row per branch, linking to its report by a relative path."""
    t = report_labels(lang)
    ranked = sorted(
        scorecard.branches, key=lambda b: (b.rank is None, b.rank or 0, -b.total, b.branch)
    )
    rows = [
        IndexRow(
            rank=b.rank,
            branch=b.branch,
            href=links.get(b.branch_key, ""),
            total=round(b.total, 2),
            grade=b.grade or DASH,
            coefficient=b.coefficient,
            flags=flags_text(b.flags, lang),
            total_change=change_text(
                None if b.prev_total is None else round(b.total - b.prev_total, 2),
                signed(None if b.prev_total is None else b.total - b.prev_total),
            ),
        )
        for b in ranked
    ]
    env = make_environment(template_dir)
    return env.get_template("index.html.j2").render(
        t=t,
        lang=lang,
        month=str(scorecard.month),
        rubric_name=scorecard.rubric_name,
        rubric_id=scorecard.rubric_id,
        rubric_max=scorecard.rubric_max,
        rows=rows,
        generated_at=generated_at,
    )
