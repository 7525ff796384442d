"""Scoring a month: metrics -> curves -> points -> totals -> grades, ranks, flags, evidence.

``score_month`` is pure: the month's tables, a rubric and what history provides go in, a
``Scorecard`` comes out. Each step is a function of its own module: metrics (``metrics``, on
the shared ``context``), points (``points``), totals and standing (``ranking``), who the
branches are (``branches``), evidence (``evidence``). Every per-row computation is vectorised
over branch codes; Python loops here run over KPIs and branches only.

Rules (SPEC sections 2 and 3):
- KPI points come from the KPI's curve, rounded half up to 2 decimals. A KPI without data
  follows ``when_empty``: full, zero, or exclude (the total is re-normalised over the remaining
  KPIs: sum(points) × max / sum(max of included)). ``min_basis`` turns a too-small sample into
  "no data" with ``low_volume``.
- What the rubric asks for and the month lacks (a table, a column, a filter value no row holds)
  is a run-level finding (``mismatch``) listed first in the notes; the KPI still follows
  ``when_empty``, so the finding is what keeps the full marks from being silent.
- Total = KPI total + incentive points, clipped to [0, max].
- A branch in its grace month (newly signed) is scored but not assessed: no rank, no grade.
- Rank by total descending among assessed branches; ties share the better rank (1, 2, 2, 4).
- Grade by bands on the total; a veto forces the lowest grade. Flags: last_place,
  rectification_required, contract_review, veto, grace_month.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import pandas as pd

from svcqa.models import Finding, HistoryContext, Month, MonthData, Scorecard
from svcqa.rubric.model import Rubric
from svcqa.scoring.branches import display_names, in_grace, previous_results, roster
from svcqa.scoring.context import MetricContext
from svcqa.scoring.evidence import EvidencePart, assemble_evidence
from svcqa.scoring.metrics import MetricResult, compute_metric
from svcqa.scoring.mismatch import rubric_mismatches
from svcqa.scoring.points import ScoredKpi, score_kpi
from svcqa.scoring.ranking import (
    BranchDetails,
    branch_results,
    incentives,
    kpi_totals,
    totals,
    vetoes,
)


def score_month(
    data: MonthData,
    rubric: Rubric,
    history: HistoryContext | None = None,
    *,
    now: datetime | None = None,
    as_of: datetime | None = None,
) -> Scorecard:
    """Score every branch of ``data.month`` with ``rubric``; ``history`` feeds QTD, reworks and
    streaks. ``as_of``, the data's cut-off in a month still running, is where open rows are
    aged (``svcqa.ingest.apply_cut_off`` checks it and rejects rows after it first)."""
    month = data.month
    used = rubric.tables()
    tables = {name: df for name, df in data.tables.items() if name in used and df is not None}
    ctx = MetricContext(month, tables, history, as_of=as_of)
    results = _compute_metrics(rubric, ctx)
    scored = [score_kpi(kpi, results[kpi.id]) for kpi in rubric.kpis]
    mismatches, mismatched = rubric_mismatches(rubric, tables)

    evidence_parts = _kpi_evidence(rubric, results, scored, ctx.n)
    incentive_points, incentive_evidence = incentives(rubric, ctx)
    if incentive_evidence is not None:
        evidence_parts.append(incentive_evidence)
    sums = totals(kpi_totals(rubric, scored, ctx.n), incentive_points, rubric.max)

    keys = list(ctx.branches)
    branch_roster = roster(tables.get("branches"))
    assessed = ~in_grace(keys, month, rubric.grace_months, branch_roster, history)
    details = BranchDetails(
        names=display_names(keys, data, tables),
        roster=branch_roster,
        previous=previous_results(history, month),
    )
    branches = branch_results(
        rubric, month, keys, scored, sums, assessed, vetoes(rubric, ctx), details
    )
    return Scorecard(
        month=month,
        rubric_id=rubric.id,
        rubric_name=rubric.name,
        rubric_max=rubric.max,
        branches=branches,
        inputs=dict(data.stats),
        evidence=assemble_evidence(ctx, evidence_parts),
        notes=mismatches + _kpi_notes(rubric, results, month, mismatched),
        generated_at=now,
        period_counts=_period_counts(rubric, results, ctx),
        as_of=as_of,
        english=rubric.english,
    )


def _compute_metrics(rubric: Rubric, ctx: MetricContext) -> dict[str, MetricResult]:
    """Every KPI's metric, by KPI id.

    Reworks by device id are derived on a second thread while the other KPIs are computed,
    and the rework KPIs are computed last, when the derivation is most likely done.
    """
    reworks = [kpi.metric for kpi in rubric.kpis if kpi.metric.kind == "rework_rate"]
    with ThreadPoolExecutor(1) as pool:
        ctx.derive_reworks_ahead(reworks, pool)
        return {
            kpi.id: compute_metric(kpi, ctx)
            for kpi in sorted(rubric.kpis, key=lambda k: k.metric.kind == "rework_rate")
        }


def _kpi_notes(
    rubric: Rubric, results: dict[str, MetricResult], month: Month, mismatched: set[str]
) -> list[Finding]:
    """The run's notes on KPIs: those without data, those scored on a partial quarter. A KPI
    with a mismatch finding (``mismatched``) gets no ``kpi-no-data`` besides: that finding is why."""
    notes: list[Finding] = []
    for kpi in rubric.kpis:
        result = results[kpi.id]
        notes += result.findings
        if result.no_data is not None and kpi.id not in mismatched:
            notes.append(
                Finding(
                    "kpi-no-data",
                    f"{kpi.id} ({kpi.label}): {result.note}; scored as when_empty = {kpi.when_empty}",
                )
            )
        if result.partial_quarter:  # the note may say more ("...; derived from device_id")
            notes.append(
                Finding(
                    "partial_quarter",
                    f"{kpi.id} ({kpi.label}) is scored quarter to date but the history lacks earlier "
                    f"months of {month.year} Q{month.quarter}; this month alone was used",
                )
            )
    return notes


def _kpi_evidence(
    rubric: Rubric, results: dict[str, MetricResult], scored: list[ScoredKpi], n: int
) -> list[EvidencePart]:
    """Each KPI's evidence rows: those of the branches that lost points on it (or of all)."""
    parts: list[EvidencePart] = []
    for kpi, points in zip(rubric.kpis, scored, strict=True):
        result = results[kpi.id]
        if result.evidence is not None and n:
            lost = (points.points < kpi.points) & ~points.empty
            if lost.any() or result.evidence_for_all:
                parts.append(result.evidence(lost))
    return parts


def _period_counts(
    rubric: Rubric, results: dict[str, MetricResult], ctx: MetricContext
) -> pd.DataFrame:
    """This month's own (numerator, basis) of the quarter-to-date KPIs, for the history store."""
    parts: list[pd.DataFrame] = []
    for kpi in rubric.kpis:
        counts = results[kpi.id].month_counts
        if counts is not None:
            num, basis = counts
            keep = (num > 0) | (basis > 0)
            parts.append(
                pd.DataFrame(
                    {
                        "kpi_id": kpi.id,
                        "branch_key": ctx.branches.to_numpy()[keep],
                        "numerator": num[keep],
                        "basis": basis[keep],
                    }
                )
            )
    if parts:
        return pd.concat(parts, ignore_index=True)
    return pd.DataFrame(
        {
            "kpi_id": pd.Series(dtype=object),
            "branch_key": pd.Series(dtype=object),
            "numerator": pd.Series(dtype="float64"),
            "basis": pd.Series(dtype="float64"),
        }
    )
