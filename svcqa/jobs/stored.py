"""A stored month as the report and form jobs read it: its scorecard, the month before, the trend."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd

from svcqa.errors import NotFound
from svcqa.history.queries import stored_rubric
from svcqa.models import Month, Scorecard, in_language

TREND_MONTHS = 12


@dataclass(frozen=True)
class StoredMonth:
    """A stored month as reports and forms read it: the scorecard, the month before, the trend."""

    month: Month
    months: list[Month]
    scorecard: Scorecard
    previous: Scorecard | None
    trend: pd.DataFrame | None
    language: str = "zh"  # the labels' language of the rubric the month was scored under
    # that rubric's declared columns: name -> label (the name when it has none), for evidence
    column_labels: dict[str, str] = field(default_factory=dict)

    def in_language(self, lang: str) -> StoredMonth:
        """The month as outputs in ``lang`` show it: in English the scorecards and the trend's
        grades carry the rubric's English names (``svcqa.models.in_language``), where given."""
        if lang != "en":
            return self
        previous = self.previous
        grades = {**(previous.english.grades if previous else {}), **self.scorecard.english.grades}
        trend = self.trend
        if trend is not None and len(trend) and grades:
            trend = trend.assign(grade=trend["grade"].replace(grades))
        return replace(
            self,
            scorecard=in_language(self.scorecard, lang),
            previous=in_language(previous, lang) if previous is not None else None,
            trend=trend,
        )


def load_stored_month(store: Any, month: Month | None = None) -> StoredMonth:
    """``month`` (default: the latest stored) with its previous month when stored and up to
    ``TREND_MONTHS`` stored months up to it as the trend."""
    stored = store.months()
    if not stored:
        raise NotFound(
            f"history store {store.path} holds no scored month yet; score one first with svcqa score"
        )
    month = month or stored[-1]
    scorecard = store.load_scorecard(month)
    previous = store.load_scorecard(month.prev()) if month.prev() in stored else None
    trend = store.trend()
    rubric = stored_rubric(store, month)
    if trend is not None and len(trend):
        months = sorted({str(m) for m in trend["month"] if str(m) <= str(month)})[-TREND_MONTHS:]
        trend = trend[trend["month"].astype(str).isin(months)]
    return StoredMonth(
        month=month,
        months=stored,
        scorecard=scorecard,
        previous=previous,
        trend=trend,
        language="zh" if rubric is None else rubric.language,
        column_labels=declared_labels(rubric),
    )


def declared_labels(rubric: Any) -> dict[str, str]:
    """The rubric's declared columns, name -> label (the name when it gives none)."""
    if rubric is None:
        return {}
    return {c.name: c.label or c.name for cols in rubric.extra_columns.values() for c in cols}


__all__ = ["TREND_MONTHS", "StoredMonth", "declared_labels", "load_stored_month"]
