"""How a month is scored: ``score_month(data, rubric, history) -> Scorecard``.

    from svcqa.scoring import score_month, month_data_from_tables
    card = score_month(month_data_from_tables("2026-10", frames), load_rubric("gd-mobile-aftersales"))

What a rubric may say lives in ``svcqa.rubric``; this package implements it: the metric kinds
(``metrics``), curves and rounding (``curves``), evidence rows (``evidence``), reworks derived
from device ids (``reworks``), totals, grades and ranks (``ranking``), orchestrated by
``month.score_month``.
"""

from __future__ import annotations

from svcqa.scoring.context import MetricContext
from svcqa.scoring.curves import (
    apply_curve,
    higher_is_better,
    round_half_up,
    round_points,
    short_of_full,
)
from svcqa.scoring.evidence import EvidencePart, assemble_evidence, build_evidence, empty_evidence
from svcqa.scoring.inputs import month_data_from_tables
from svcqa.scoring.metrics import KIND_FUNCTIONS, MetricResult, NoData, compute_metric
from svcqa.scoring.month import score_month
from svcqa.scoring.reworks import derive_reworks

__all__ = [
    "KIND_FUNCTIONS",
    "EvidencePart",
    "MetricContext",
    "MetricResult",
    "NoData",
    "apply_curve",
    "assemble_evidence",
    "build_evidence",
    "compute_metric",
    "derive_reworks",
    "empty_evidence",
    "higher_is_better",
    "month_data_from_tables",
    "round_half_up",
    "round_points",
    "score_month",
    "short_of_full",
]
