"""What the branch report shows of a month re-scored by appeals (申诉): the box saying what
changed, and the ``appeal`` evidence rows' category and detail in the report's language.

The job layer reads the figures from the store (``svcqa.jobs.appeals.report_appeals``) and
passes them in as ``AppealChange``; nothing here opens the store.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from svcqa.labels import appeal_labels
from svcqa.render.formats import DASH, pts2

# The detail text ``svcqa.appeals.adjust`` stores on an ``appeal`` evidence row (English, as
# every stored detail is): "withdrawn by appeal: <reason> (<who>)" or "clock stopped <N> days
# by appeal: <reason> (<who>)".
_DETAIL = re.compile(
    r"^(?:withdrawn|clock stopped (?P<days>[0-9.]+) days) by appeal: (?P<reason>.*) \((?P<by>[^()]*)\)$",
    re.DOTALL,
)


@dataclass(frozen=True)
class AppealChange:
    """One branch of a month whose active run applied appeal decisions: how many decisions
    applied to its rows (and to the whole month), and its total and rank before and after."""

    decisions: int
    month_decisions: int
    total_before: float | None
    total_after: float | None
    rank_before: int | None
    rank_after: int | None


@dataclass(frozen=True)
class AppealBox:
    """The report's box of a month re-scored by appeals, as text in the report's language."""

    title: str
    text: str
    note: str


def appeal_box(change: AppealChange | None, lang: str) -> AppealBox | None:
    """The box of ``change`` (None: the month was not re-scored by appeals, no box)."""
    if change is None:
        return None
    t = appeal_labels(lang)

    def rank(value: int | None) -> str:
        return DASH if value is None else str(value)

    text = t["r_text"].format(
        n=change.decisions,
        all=change.month_decisions,
        before=pts2(change.total_before) if change.total_before is not None else DASH,
        after=pts2(change.total_after) if change.total_after is not None else DASH,
        rank_before=rank(change.rank_before),
        rank_after=rank(change.rank_after),
    )
    return AppealBox(title=t["r_title"], text=text, note=t["r_note"])


def appeal_texts(
    category: np.ndarray, detail: np.ndarray, kinds: pd.Series, lang: str
) -> tuple[np.ndarray, np.ndarray]:
    """``category`` and ``detail`` with the ``appeal`` rows' texts in ``lang`` ("撤销",
    "申诉撤销：<reason>（<who>）"); a detail not in the stored form stays as it is. The appeal
    rows are the few decisions applied, so a plain loop over them."""
    rows = np.flatnonzero((kinds == "appeal").to_numpy())
    if not len(rows):
        return category, detail
    t = appeal_labels(lang)
    category, detail = category.copy(), detail.copy()
    for i in rows.tolist():
        category[i] = {"withdrawn": t["ev_withdrawn_cat"], "clock stopped": t["ev_clock_cat"]}.get(
            str(category[i]), category[i]
        )
        found = _DETAIL.match(str(detail[i]))
        if found is None:
            continue
        days = found["days"]
        template = t["ev_withdrawn"] if days is None else t["ev_clock"]
        detail[i] = template.format(days=days or "", reason=found["reason"], by=found["by"])
    return category, detail


__all__ = ["AppealBox", "AppealChange", "appeal_box", "appeal_texts"]
