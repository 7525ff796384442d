"""Scoring curves and the half-up rounding every point goes through."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from svcqa.rubric import Curve
from svcqa.scoring import apply_curve, higher_is_better, round_half_up, round_points


def points(curve: Curve, value: float, maximum: float) -> float:
    return float(round_points(apply_curve(curve, np.array([value]), maximum))[0])


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (2.5, 2.5),
        (2.499999, 2.5),  # a genuine 2.499999 is 2.50 on the hundredth
        (2.125, 2.13),  # exact half: up
        (2.124999, 2.12),  # just below the half stays below
        (1.005, 1.01),  # 1.00499999999999989 in binary: still the half
        (0.285, 0.29),
        (8.995, 9.0),
        (-1.005, -1.01),  # half away from zero for negative incentives
        (-0.004, 0.0),
        (99.999, 100.0),
        (22.500000000000004, 22.5),
    ],
)
def test_round_half_up(value: float, expected: float) -> None:
    """Rounding is half up on the hundredth, immune to binary noise, and never turns 2.124999 into 2.13."""
    assert round_half_up(value) == expected
    assert float(round_points(np.array([value]))[0]) == expected


@settings(deadline=None)
@given(
    st.decimals(min_value=-1000, max_value=1000, places=4, allow_nan=False, allow_infinity=False)
)
def test_vectorised_rounding_matches_decimal(value: Decimal) -> None:
    """The vectorised rounding equals Decimal half-up rounding of the decimal the float was written from."""
    expected = float(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))
    assert float(round_points(np.array([float(value)]))[0]) == expected
    assert round_half_up(float(value)) == expected


def test_sum_of_ratings_rounds_half_up() -> None:
    """(8.12 + 8.13) / 2 is 8.125 on paper though not in binary, and rounds to 8.13."""
    assert round_half_up((8.12 + 8.13) / 2) == 8.13


def test_linear_lower_is_better() -> None:
    """Linear with full < zero: full at or below full, zero at or above zero, straight between."""
    curve = Curve("linear", full=3, zero=7, better="lower")
    assert [points(curve, x, 12) for x in (1, 3, 4, 5, 6.5, 7, 9)] == [12, 12, 9, 6, 1.5, 0, 0]


def test_linear_higher_is_better() -> None:
    """Linear with full > zero: a resolution rate of 95 % full, 70 % zero, 82.5 % half."""
    curve = Curve("linear", full=0.95, zero=0.70, better="higher")
    assert [points(curve, x, 30) for x in (1.0, 0.95, 0.825, 0.70, 0.5)] == [30, 30, 15, 0, 0]


def test_linear_complaint_boundaries() -> None:
    """ "≤ 3 % full, > 5 % zero": exactly 5 % already gives 0, and 3 % gives full marks."""
    curve = Curve("linear", full=0.03, zero=0.05)
    assert [points(curve, x, 30) for x in (0.03, 0.035, 0.04, 0.05, 0.0500001)] == [
        30,
        22.5,
        15,
        0,
        0,
    ]


def test_deduct_floor() -> None:
    """Deduct takes per × value off the points, never below zero."""
    curve = Curve("deduct", per=0.5)
    assert [points(curve, x, 5) for x in (0, 1, 3, 10, 11)] == [5, 4.5, 3.5, 0, 0]


def test_rating_clipped_and_scaled() -> None:
    """A rating scales by points / scale_max and is clipped to [0, points]."""
    curve = Curve("rating", scale_max=5)
    assert [points(curve, x, 10) for x in (-1, 0, 2.5, 4.25, 5, 7)] == [0, 0, 5, 8.5, 10, 10]


def test_bands_pick_best_band_reached() -> None:
    """Bands (lower is better): ≤ 1 % gives 10, ≤ 3 % gives 6, ≤ 5 % gives 2, else 0."""
    curve = Curve("bands", bands=((0.01, 10), (0.03, 6), (0.05, 2)), otherwise=0, better="lower")
    assert [points(curve, x, 10) for x in (0.0, 0.01, 0.02, 0.03, 0.05, 0.06)] == [
        10,
        10,
        6,
        6,
        2,
        0,
    ]
    higher = Curve("bands", bands=((90, 5), (80, 3)), otherwise=1, better="higher")
    assert [points(higher, x, 5) for x in (95, 90, 85, 79)] == [5, 5, 3, 1]


def test_ratio_and_inverted_ratio() -> None:
    """Ratio gives rate × points; inverted gives (1 − rate) × points; rates clip to 0..1."""
    assert [points(Curve("ratio"), x, 20) for x in (0.5, 0.875, 1.2)] == [10, 17.5, 20]
    assert [points(Curve("ratio", invert=True), x, 20) for x in (0.25, 1.5)] == [15, 0]


def test_nan_means_no_data() -> None:
    """A NaN value (no data) gives NaN points; when_empty decides later."""
    assert np.isnan(apply_curve(Curve("linear", full=3, zero=7), np.array([np.nan]), 12)[0])


CURVES = [
    Curve("linear", full=3, zero=7, better="lower"),
    Curve("linear", full=0.95, zero=0.7, better="higher"),
    Curve("deduct", per=1),
    Curve("rating", scale_max=10),
    Curve("bands", bands=((0.01, 10), (0.03, 6)), otherwise=0, better="lower"),
    Curve("ratio"),
    Curve("ratio", invert=True),
]


@settings(deadline=None)
@given(st.sampled_from(CURVES), st.floats(-50, 50), st.floats(0, 20))
def test_curves_bounded_and_monotonic(curve: Curve, x: float, step: float) -> None:
    """Every curve stays within [0, points], and moving the value the better way never lowers the points."""
    better = x + step if higher_is_better(curve) else x - step
    a, b = apply_curve(curve, np.array([x, better]), 10)
    assert 0 <= a <= 10 and 0 <= b <= 10
    assert b >= a - 1e-12
