"""The what-if comparison: two scorecards of a month -> per-branch changes, fees and the payout."""

from __future__ import annotations

import pandas as pd
import pytest

from svcqa.models import EVIDENCE_COLUMNS, BranchResult, KpiResult, Month, Scorecard
from svcqa.scoring.compare import compare, compare_month

OCT = Month(2026, 10)


def card(rubric: str, rows: list[tuple[str, float, int, str, float | None, float]]) -> Scorecard:
    """A scorecard of (branch, total, rank, grade, coefficient, points of KPI k1)."""
    branches = [
        BranchResult(
            branch=name,
            branch_key=name,
            assessed=coefficient is not None,
            total=total,
            kpis=[KpiResult("k1", "K1", "g", 1.0, 1, points, 10.0)],
            rank=rank,
            grade=grade,
            coefficient=coefficient,
        )
        for name, total, rank, grade, coefficient, points in rows
    ]
    return Scorecard(
        OCT, rubric, rubric, 100.0, branches, {}, pd.DataFrame(columns=EVIDENCE_COLUMNS)
    )


ACTIVE = card(
    "a",
    [
        ("甲", 95.0, 1, "A", 1.05, 10.0),
        ("乙", 85.0, 2, "B", 1.0, 8.0),
        ("丙", 70.0, 3, "C", None, 5.0),
    ],
)
VARIANT = card(
    "v",
    [
        ("甲", 84.0, 2, "B", 1.0, 9.0),
        ("乙", 86.0, 1, "B", 1.0, 8.5),
        ("丙", 75.0, 3, "C", None, 6.0),
    ],
)


def test_rows_follow_the_biggest_movers_with_their_deltas() -> None:
    """Branches come biggest |total change| first, with total, rank and coefficient changes."""
    result = compare([(ACTIVE, VARIANT, None)], variant_rubric="v")
    assert [b.branch for b in result.branches] == ["甲", "丙", "乙"]
    first = result.branches[0]
    assert (first.total_change, first.rank_change, first.coefficient_change) == (-11.0, 1, -0.05)
    assert result.payout is None and first.active.fee is None
    assert result.document()["branches"][0] == {
        "month": "2026-10",
        "branch": "甲",
        "active": {"total": 95.0, "rank": 1, "grade": "A", "coefficient": 1.05, "fee": None},
        "variant": {"total": 84.0, "rank": 2, "grade": "B", "coefficient": 1.0, "fee": None},
    }


def test_fees_are_base_fee_times_coefficient_and_the_payout_adds_them() -> None:
    """fee = round(base x coefficient, 2); a branch without coefficient or base fee has none and
    stays out of the payout, whose change is the sum of the branch changes."""
    fees = {"甲": 10000.0, "乙": 33333.33, "丙": 5000.0}
    result = compare([(ACTIVE, VARIANT, fees)], variant_rubric="v")
    by_name = {b.branch: b for b in result.branches}
    assert (by_name["甲"].active.fee, by_name["甲"].variant.fee) == (10500.0, 10000.0)
    assert by_name["乙"].active.fee == 33333.33
    assert by_name["丙"].active.fee is None and by_name["丙"].fee_change is None
    assert result.payout == {"active": 43833.33, "variant": 43333.33, "change": -500.0}


def test_kpi_points_sit_side_by_side_and_months_must_match() -> None:
    """Each branch's KPI points under both rubrics; scorecards of different months are refused."""
    _rows, kpis = compare_month(ACTIVE, VARIANT)
    assert [(k.branch, k.active_points, k.variant_points, k.points_change) for k in kpis] == [
        ("甲", 10.0, 9.0, -1.0),
        ("乙", 8.0, 8.5, 0.5),
        ("丙", 5.0, 6.0, 1.0),
    ]
    other = card("v", [])
    other.month = Month(2026, 9)
    with pytest.raises(ValueError, match="2026-10"):
        compare_month(ACTIVE, other)
