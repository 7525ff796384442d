"""Scoring curves (metric value -> points), their direction, and the rounding every point goes through.

The rubric describes a curve (``svcqa.rubric.model.Curve``); this module applies it. All
functions take numpy arrays (one value per branch) so a month of 500 branches is scored in one
call per KPI. NaN values (no data) give NaN points; the caller applies ``when_empty``.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal

import numpy as np

from svcqa.rubric.model import Curve


def apply_curve(curve: Curve, values: np.ndarray, points: float) -> np.ndarray:
    """Points for each value under ``curve``, within [0, points]."""
    x = np.asarray(values, dtype="float64")
    with np.errstate(invalid="ignore"):
        if curve.kind == "linear":
            assert curve.full is not None and curve.zero is not None
            # SPEC 2.1: (zero − x) / (zero − full) × points, clipped; the same formula serves
            # both directions because (zero − full) carries the sign.
            share = (curve.zero - x) / (curve.zero - curve.full)
            out = np.clip(share, 0.0, 1.0) * points
        elif curve.kind == "deduct":
            out = np.clip(points - curve.per * x, 0.0, points)  # a negative count never adds points
        elif curve.kind == "rating":
            scale = curve.scale_max or points
            out = np.clip(x * (points / scale), 0.0, points)
        elif curve.kind == "ratio":
            rate = np.clip(x, 0.0, 1.0)
            out = (1.0 - rate if curve.invert else rate) * points
        elif curve.kind == "bands":
            out = np.full(x.shape, float(curve.otherwise))
            # Walk from the worst band to the best so the best band a value reaches wins.
            for limit, band_points in reversed(curve.bands):
                reached = x <= limit if curve.better == "lower" else x >= limit
                out = np.where(reached, band_points, out)
            out = np.clip(out, 0.0, points)
        else:  # pragma: no cover - the loader admits only the kinds above
            raise ValueError(f"unknown curve kind {curve.kind}")
    return np.where(np.isnan(x), np.nan, out)


def round_half_up(value: float) -> float:
    """Round to 2 decimals, half up (away from zero), immune to binary noise.

    The float is first snapped to 9 decimals (``1.00499999999999989`` is 1.005 written in
    binary), then rounded half up on the hundredth, so 1.005 -> 1.01 and 2.125 -> 2.13 while a
    genuine 2.124999 stays 2.12. Adding an epsilon instead would misround large or negative
    values and values that truly sit just below the half.
    """
    if math.isnan(value):
        return value
    snapped = Decimal(repr(float(value))).quantize(Decimal("1e-9"), rounding=ROUND_HALF_EVEN)
    return float(snapped.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def round_points(values: np.ndarray) -> np.ndarray:
    """Vectorised ``round_half_up`` (same results; tested against it)."""
    x = np.asarray(values, dtype="float64")
    # Snap binary noise away at 1e-9, then work in hundredths where .5 is exactly representable.
    hundredths = np.round(np.round(x, 9) * 100.0, 6)
    rounded = np.sign(hundredths) * np.floor(np.abs(hundredths) + 0.5)
    out = rounded / 100.0
    return out + 0.0  # turn -0.0 into 0.0


def higher_is_better(curve: Curve) -> bool:
    """Whether a higher metric value earns more points under ``curve``."""
    if curve.kind in {"linear", "bands"}:
        return curve.better == "higher"
    if curve.kind == "rating":
        return True
    if curve.kind == "ratio":
        return not curve.invert
    return False  # deduct: every unit costs points


def short_of_full(curve: Curve, values: np.ndarray) -> np.ndarray:
    """Rows whose own value would not earn full marks (the rows behind a lost point)."""
    x = np.asarray(values, dtype="float64")
    with np.errstate(invalid="ignore"):
        if curve.kind == "linear":
            return x > curve.full if curve.better == "lower" else x < curve.full
        if curve.kind == "bands":
            best = curve.bands[0][0]
            return x > best if curve.better == "lower" else x < best
        if curve.kind == "rating":
            return x < (curve.scale_max or 0)
        if curve.kind == "ratio":
            return x > 0 if curve.invert else x < 1
        return x > 0
