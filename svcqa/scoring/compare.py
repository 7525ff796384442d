"""Two scorecards of the same month side by side: who gains, who loses, and how much money.

Pure: scorecards (and a roster's base fees) in, rows out. ``svcqa whatif`` re-scores stored
months under a variant rubric and hands the pairs here; nothing in this module reads a store or
a file. A branch's fee is its base fee times its coefficient, rounded to cents, and the payout
is the sum of those rounded fees, so the per-branch fee changes add up to the payout change.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from svcqa.models import BranchResult, Month, Scorecard


@dataclass(frozen=True)
class Standing:
    """A branch's month under one rubric; ``fee`` is None without a base fee or a coefficient."""

    total: float | None
    rank: int | None
    grade: str | None
    coefficient: float | None
    fee: float | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "rank": self.rank,
            "grade": self.grade,
            "coefficient": self.coefficient,
            "fee": self.fee,
        }


def _delta(after: float | None, before: float | None) -> float | None:
    if after is None or before is None:
        return None
    return round(after - before, 4)


@dataclass(frozen=True)
class BranchChange:
    """One branch of one month under the active rubric and under the variant."""

    month: Month
    branch: str
    branch_key: str
    active: Standing
    variant: Standing

    @property
    def total_change(self) -> float | None:
        return _delta(self.variant.total, self.active.total)

    @property
    def rank_change(self) -> int | None:
        """Variant rank minus active rank: negative is a climb."""
        if self.variant.rank is None or self.active.rank is None:
            return None
        return self.variant.rank - self.active.rank

    @property
    def coefficient_change(self) -> float | None:
        return _delta(self.variant.coefficient, self.active.coefficient)

    @property
    def fee_change(self) -> float | None:
        change = _delta(self.variant.fee, self.active.fee)
        return None if change is None else round(change, 2)

    def as_dict(self) -> dict[str, Any]:
        return {
            "month": str(self.month),
            "branch": self.branch,
            "active": self.active.as_dict(),
            "variant": self.variant.as_dict(),
        }


@dataclass(frozen=True)
class KpiChange:
    """One KPI of one branch and month: its points under each rubric (None: not in that rubric)."""

    month: Month
    branch: str
    kpi_id: str
    label: str
    active_points: float | None
    active_max: float | None
    variant_points: float | None
    variant_max: float | None

    @property
    def points_change(self) -> float | None:
        return _delta(self.variant_points, self.active_points)


@dataclass
class Comparison:
    """Every compared month: branch rows biggest movers first, KPI rows, and the payout."""

    months: list[Month]
    active_rubrics: list[str]
    variant_rubric: str
    branches: list[BranchChange]
    kpis: list[KpiChange]
    payout: dict[str, float] | None  # active, variant, change; None without a base fee column
    notes: list[str] = field(default_factory=list)

    def document(self) -> dict[str, Any]:
        """``--format json``: exactly months, branches and payout."""
        return {
            "months": [str(m) for m in self.months],
            "branches": [b.as_dict() for b in self.branches],
            "payout": self.payout,
        }


def _fee(
    base_fees: Mapping[str, float] | None, key: str, coefficient: float | None
) -> float | None:
    if base_fees is None or coefficient is None:
        return None
    base = base_fees.get(key)
    return None if base is None else round(base * coefficient, 2)


def _standing(branch: BranchResult | None, base_fees: Mapping[str, float] | None) -> Standing:
    if branch is None:
        return Standing(None, None, None, None, None)
    coefficient = branch.coefficient
    return Standing(
        total=branch.total,
        rank=branch.rank,
        grade=branch.grade,
        coefficient=coefficient,
        fee=_fee(base_fees, branch.branch_key, coefficient),
    )


def _kpi_changes(
    month: Month, name: str, active: BranchResult | None, variant: BranchResult | None
) -> list[KpiChange]:
    """The KPIs of both rubrics, the active rubric's order first, then the variant's new ones."""
    before = {k.id: k for k in active.kpis} if active else {}
    after = {k.id: k for k in variant.kpis} if variant else {}
    ids = list(before) + [kpi_id for kpi_id in after if kpi_id not in before]
    rows = []
    for kpi_id in ids:
        a, v = before.get(kpi_id), after.get(kpi_id)
        rows.append(
            KpiChange(
                month=month,
                branch=name,
                kpi_id=kpi_id,
                label=(v or a).label,  # type: ignore[union-attr]  # one of them is present
                active_points=a.points if a else None,
                active_max=a.max if a else None,
                variant_points=v.points if v else None,
                variant_max=v.max if v else None,
            )
        )
    return rows


def compare_month(
    active: Scorecard, variant: Scorecard, base_fees: Mapping[str, float] | None = None
) -> tuple[list[BranchChange], list[KpiChange]]:
    """The branches of one month under both rubrics (matched by branch key, the active
    scorecard's order first) and their KPI points."""
    if active.month != variant.month:
        raise ValueError(f"cannot compare {active.month} with {variant.month}")
    before = {b.branch_key: b for b in active.branches}
    after = {b.branch_key: b for b in variant.branches}
    keys = list(before) + [k for k in after if k not in before]
    branches: list[BranchChange] = []
    kpis: list[KpiChange] = []
    for key in keys:
        a, v = before.get(key), after.get(key)
        name = (v or a).branch  # type: ignore[union-attr]  # one of them is present
        branches.append(
            BranchChange(
                month=active.month,
                branch=name,
                branch_key=key,
                active=_standing(a, base_fees),
                variant=_standing(v, base_fees),
            )
        )
        kpis.extend(_kpi_changes(active.month, name, a, v))
    return branches, kpis


def _mover_order(change: BranchChange) -> tuple[float, str, str]:
    moved = change.total_change
    return (-abs(moved) if moved is not None else 0.0, str(change.month), change.branch_key)


def payout(branches: Sequence[BranchChange]) -> dict[str, float]:
    """The fees paid under each rubric and the change, over every branch with a fee under both."""
    paid = [b for b in branches if b.active.fee is not None and b.variant.fee is not None]
    active = round(sum(b.active.fee for b in paid), 2)  # type: ignore[misc]  # filtered above
    variant = round(sum(b.variant.fee for b in paid), 2)  # type: ignore[misc]
    return {"active": active, "variant": variant, "change": round(variant - active, 2)}


def compare(
    pairs: Sequence[tuple[Scorecard, Scorecard, Mapping[str, float] | None]],
    *,
    variant_rubric: str,
) -> Comparison:
    """Compare each month's (active, variant, base fees); branch rows biggest movers first (by
    the absolute change of the total, then month and branch). The payout covers every month and
    is None when no month has base fees."""
    branches: list[BranchChange] = []
    kpis: list[KpiChange] = []
    for active, variant, fees in pairs:
        month_branches, month_kpis = compare_month(active, variant, fees)
        branches.extend(month_branches)
        kpis.extend(month_kpis)
    branches.sort(key=_mover_order)
    has_fees = any(fees is not None for _a, _v, fees in pairs)
    return Comparison(
        months=[active.month for active, _v, _f in pairs],
        active_rubrics=list(dict.fromkeys(active.rubric_id for active, _v, _f in pairs)),
        variant_rubric=variant_rubric,
        branches=branches,
        kpis=kpis,
        payout=payout(branches) if has_fees else None,
    )


__all__ = [
    "BranchChange",
    "Comparison",
    "KpiChange",
    "Standing",
    "compare",
    "compare_month",
    "payout",
]
