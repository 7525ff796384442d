"""KPI points: a metric's values through the KPI's curve, with ``when_empty`` and ``min_basis``.

SPEC 2: points come from the curve, rounded half up to 2 decimals. A KPI without data follows
``when_empty`` (full, zero, or exclude from the total); ``min_basis`` turns a too-small sample
into "no data" with ``low_volume``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from svcqa.models import KpiResult
from svcqa.rubric.model import Kpi
from svcqa.scoring.curves import apply_curve, round_points
from svcqa.scoring.metrics import MetricResult


@dataclass(frozen=True)
class ScoredKpi:
    """One KPI's figures for every branch (arrays aligned with the context's branch index)."""

    value: np.ndarray
    basis: np.ndarray
    numerator: np.ndarray | None
    points: np.ndarray
    empty: np.ndarray  # no data, or too little (low volume)
    low_volume: np.ndarray
    excluded: np.ndarray  # empty and when_empty = "exclude": left out of the total
    note: str
    curve: dict[str, Any]  # the curve as the scorecard records it
    branch_notes: np.ndarray | None = None  # object, per branch (per's count / roster × scale)


def score_kpi(kpi: Kpi, result: MetricResult) -> ScoredKpi:
    """Points per branch for one KPI, with when_empty and min_basis applied."""
    value = result.value
    basis = result.basis
    low_volume = np.zeros(len(value), dtype=bool)
    if kpi.min_basis:
        low_volume = ~np.isnan(value) & (basis < kpi.min_basis)
    empty = np.isnan(value) | low_volume
    raw = apply_curve(kpi.curve, np.where(empty, np.nan, value), kpi.points)
    fill = kpi.points if kpi.when_empty == "full" else 0.0
    points = round_points(np.where(empty, fill, raw))
    excluded = empty & (kpi.when_empty == "exclude")
    points = np.where(excluded, 0.0, points)
    return ScoredKpi(
        value=value,
        basis=basis,
        numerator=result.numerator,
        points=points,
        empty=empty,
        low_volume=low_volume,
        excluded=excluded,
        note=result.note,
        curve=_curve_record(kpi),
        branch_notes=result.branch_notes,
    )


def _curve_record(kpi: Kpi) -> dict[str, Any]:
    """The curve and the metric options a reader needs to check the points by hand."""
    record = {**kpi.curve.as_dict(), "points": kpi.points}
    if kpi.metric.kind == "overdue_share":
        record["over_days"] = kpi.metric.days
    if kpi.metric.kind == "share_over":
        record["threshold"] = kpi.metric.threshold
        record["op"] = kpi.metric.op
        by = kpi.metric.threshold_by
        if by is not None:
            record["threshold_by"] = {
                "column": by.column,
                "values": dict(by.values),
                "default": by.default,
            }
        if kpi.metric.span is not None:  # thresholds in the span's unit: "4 h", not "4"
            record["threshold_unit"] = kpi.metric.span.unit
    if kpi.metric.per is not None:  # not "per": that is a deduct curve's own parameter
        per = kpi.metric.per
        record["rate_per"] = {"table": per.table, "column": per.column, "scale": per.scale}
    if kpi.min_basis:
        record["min_basis"] = kpi.min_basis
    record["when_empty"] = kpi.when_empty
    return record


def kpi_result(kpi: Kpi, scored: ScoredKpi, i: int) -> KpiResult:
    """Branch ``i``'s result on one KPI, as the scorecard stores it."""
    value = float(scored.value[i])
    empty = bool(scored.empty[i])
    low = bool(scored.low_volume[i])
    numerator = scored.numerator
    notes = [scored.note] if scored.note else []
    if scored.branch_notes is not None and scored.branch_notes[i]:
        notes.append(str(scored.branch_notes[i]))
    if low:
        notes.append(f"low_volume: {int(scored.basis[i])} < min_basis {kpi.min_basis}")
    return KpiResult(
        id=kpi.id,
        label=kpi.label,
        group=kpi.group,
        value=None if np.isnan(value) else float(value),  # as computed: consumers recompute points
        basis=int(scored.basis[i]),
        points=float(scored.points[i]),
        max=kpi.points,
        no_data=empty,
        low_volume=low,
        excluded=bool(scored.excluded[i]),
        unit=kpi.unit,
        curve=scored.curve,
        numerator=None if numerator is None else float(numerator[i]),
        note="; ".join(notes),
    )
