"""Totals, ranks, grades, coefficients and flags: from KPI points to each branch's standing.

SPEC 2 and 3: total = KPI total + incentive points, clipped to [0, max]; a KPI excluded for want
of data re-normalises the KPI total (sum(points) x max / sum(max of included)). Rank by total
descending among assessed branches; ties share the better rank (1, 2, 2, 4). Grade by bands on
the total; a veto forces the lowest grade. Flags: last_place, rectification_required,
contract_review, veto, grace_month.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from svcqa.models import BranchResult, Month
from svcqa.rubric.model import Rubric
from svcqa.scoring.context import MetricContext
from svcqa.scoring.curves import round_points
from svcqa.scoring.evidence import EvidencePart, build_evidence
from svcqa.scoring.points import ScoredKpi, kpi_result


@dataclass(frozen=True)
class Totals:
    """Per branch: the (re-normalised) KPI total, the incentive points, and the clipped total."""

    kpi_total: np.ndarray
    incentive_points: np.ndarray
    total: np.ndarray


def kpi_totals(rubric: Rubric, scored: list[ScoredKpi], n: int) -> np.ndarray:
    """Sum of KPI points per branch, re-normalised to ``rubric.max`` over the included KPIs."""
    max_matrix = np.array([[kpi.points] for kpi in rubric.kpis]) * np.ones((1, n))
    points = np.vstack([r.points for r in scored]) if scored else np.zeros((0, n))
    excluded = np.vstack([r.excluded for r in scored]) if scored else np.zeros((0, n), dtype=bool)
    included_max = np.where(excluded, 0.0, max_matrix).sum(axis=0)
    earned = np.where(excluded, 0.0, points).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        # Nothing measurable at all (every KPI excluded): no business, no deduction.
        kpi_total = np.where(
            included_max > 0,
            earned * rubric.max / np.where(included_max > 0, included_max, 1),
            rubric.max,
        )
    return round_points(kpi_total)


def totals(kpi_total: np.ndarray, incentive_points: np.ndarray, rubric_max: float) -> Totals:
    """The branch totals: KPI total plus incentives, clipped to [0, max]."""
    total = np.clip(round_points(kpi_total + incentive_points), 0.0, rubric_max)
    return Totals(kpi_total, incentive_points, total)


def incentives(rubric: Rubric, ctx: MetricContext) -> tuple[np.ndarray, EvidencePart | None]:
    """Per-branch sum of incentive points, and the negative ones as evidence."""
    inc = rubric.incentives
    df = ctx.table(inc.table)
    if not inc.enabled or df is None or inc.column not in df.columns or len(df) == 0:
        return np.zeros(ctx.n), None
    codes = ctx.codes(inc.table)
    values = np.nan_to_num(
        pd.to_numeric(df[inc.column], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    )
    total = round_points(ctx.count(codes, values))
    pos = np.flatnonzero((values < 0) & (codes >= 0))
    evidence = build_evidence(
        ctx, "incentives", df, pos, codes[pos], kind="incentive", table=inc.table, value=values[pos],
        category="负激励",
        detail=df["reason"].iloc[pos].to_numpy(dtype=object, na_value="") if "reason" in df.columns else None,
    )  # fmt: skip
    return total, evidence


def vetoes(rubric: Rubric, ctx: MetricContext) -> np.ndarray:
    """Branches a veto rule applies to (their grade is forced to the lowest)."""
    vetoed = np.zeros(ctx.n, dtype=bool)
    for veto in rubric.vetoes:
        df = ctx.table(veto.table)
        if df is None or (veto.column and veto.column not in df.columns):
            continue
        codes = ctx.codes(veto.table)
        if veto.column:
            weights = np.nan_to_num(
                pd.to_numeric(df[veto.column], errors="coerce").to_numpy(
                    dtype="float64", na_value=np.nan
                )
            )
            vetoed |= ctx.count(codes, weights) >= veto.at_least
        else:
            vetoed |= ctx.count(codes) >= veto.at_least
    return vetoed


def ranks(totals: np.ndarray, assessed: np.ndarray) -> np.ndarray:
    """Competition ranks (1, 2, 2, 4) by total descending among assessed branches; 0 elsewhere."""
    ranks = np.zeros(len(totals), dtype=np.int64)
    if assessed.any():
        ranked = pd.Series(totals[assessed]).rank(method="min", ascending=False)
        ranks[assessed] = ranked.to_numpy(dtype=np.int64)
    return ranks


def branch_results(
    rubric: Rubric,
    month: Month,
    keys: list[str],
    scored: list[ScoredKpi],
    sums: Totals,
    assessed: np.ndarray,
    vetoed: np.ndarray,
    details: BranchDetails,
) -> list[BranchResult]:
    """Every branch's result, best rank first (branches in their grace month last, by name)."""
    ranked = ranks(sums.total, assessed)
    worst = int(ranked[assessed].max()) if assessed.any() else 0
    # Last place needs someone to be ahead: when every assessed branch ties, nobody is last.
    last_place = assessed & (ranked == worst) & (worst > 1)
    branches: list[BranchResult] = []
    for i, key in enumerate(keys):
        branch = BranchResult(
            branch=details.names.get(key, key),
            branch_key=key,
            assessed=bool(assessed[i]),
            total=float(sums.total[i]),
            kpis=[kpi_result(kpi, scored[j], i) for j, kpi in enumerate(rubric.kpis)],
            kpi_total=float(sums.kpi_total[i]),
            incentive_points=float(sums.incentive_points[i]),
            region=details.roster.get(key, {}).get("region", ""),
            echelon=details.roster.get(key, {}).get("echelon", ""),
        )
        prev = details.previous.get(key)
        if prev is not None:
            branch.prev_total = prev["total"]
            branch.prev_rank = prev["rank"]
        if assessed[i]:
            branch.rank = int(ranked[i])
            _grade_and_flag(branch, rubric, month, bool(vetoed[i]), bool(last_place[i]), prev)
        else:
            branch.flags.append("grace_month")
        branches.append(branch)
    branches.sort(key=lambda b: (b.rank is None, b.rank or 0, b.branch, b.branch_key))
    return branches


@dataclass(frozen=True)
class BranchDetails:
    """What is known about the branches besides this month's figures (see ``svcqa.scoring.branches``)."""

    names: dict[str, str]
    roster: dict[str, dict[str, Any]]
    previous: dict[str, dict[str, Any]]


def _grade_and_flag(
    branch: BranchResult,
    rubric: Rubric,
    month: Month,
    vetoed: bool,
    last_place: bool,
    prev: dict[str, Any] | None,
) -> None:
    """Grade, coefficient, flags and last-place streak of an assessed branch."""
    grade = rubric.lowest_grade if vetoed else rubric.grade_for(branch.total)
    branch.grade = grade.name
    branch.coefficient = grade.coefficient
    if vetoed:
        branch.flags.append("veto")
    if last_place:
        branch.flags.append("last_place")
        before = (
            prev["streak"]
            if prev is not None and prev["month"] == str(month.prev()) and prev["last_place"]
            else 0
        )
        branch.last_place_streak = int(before) + 1
    if (last_place and rubric.rectify_last_place) or grade.name in set(rubric.failing_grades):
        branch.flags.append("rectification_required")
    if rubric.contract_review_after and branch.last_place_streak >= rubric.contract_review_after:
        branch.flags.append("contract_review")
