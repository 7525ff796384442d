"""How figures read on the page: numbers, changes, thresholds and dates as text.

Shared by the branch report, the rectification form and the Jinja filters, so a rate, a day
count or a points change reads the same everywhere. Missing figures (None or NaN) show as DASH.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date
from typing import Any

from svcqa.labels import trend_arrow
from svcqa.models import KpiResult

DASH = "—"


def is_missing(value: Any) -> bool:
    """None or NaN: a figure with nothing to show."""
    return value is None or (isinstance(value, float) and math.isnan(value))


def figure(value: float | None) -> float | None:
    """A KPI value as a float, or None when it is missing (``is_missing``: None or NaN)."""
    # Spelled out rather than ``is_missing`` so the type checker sees None ruled out.
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return float(value)


def pct1(value: Any) -> str:
    """A rate fraction as a percentage with one decimal: 0.0345 -> ``3.5%``."""
    return DASH if is_missing(value) else f"{float(value) * 100:.1f}%"


def days2(value: Any) -> str:
    """Days with two decimals: 4 -> ``4.00``."""
    return DASH if is_missing(value) else f"{float(value):.2f}"


def pts2(value: Any) -> str:
    """Points with two decimals; ``-0.00`` never shows."""
    return DASH if is_missing(value) else f"{float(value) + 0.0:.2f}".replace("-0.00", "0.00")


def signed(value: Any, digits: int = 2) -> str:
    """A change with its sign: ``+1.50``, ``-2.00``, ``0.00`` (no sign on zero)."""
    if is_missing(value):
        return DASH
    number = round(float(value), digits)
    if number == 0:
        return f"{0:.{digits}f}"
    return f"{number:+.{digits}f}"


def metric(value: Any, unit: str = "") -> str:
    """A KPI metric value in its natural unit: rates as percentages, days and others with 2 decimals."""
    if is_missing(value):
        return DASH
    if unit == "rate":
        return pct1(value)
    if unit == "count":
        number = float(value)
        return f"{number:.0f}" if number.is_integer() else f"{number:.2f}"
    return days2(value)


def change_text(delta: float | None, text: str) -> str:
    """A change with its arrow: ``↑ +2.50``; "" when there is nothing to compare with."""
    return "" if delta is None else f"{trend_arrow(delta)} {text}"


def unit_suffix(unit: str, t: Mapping[str, str]) -> str:
    """`` 天`` (English `` d``) after a value in days; nothing for rates and counts."""
    return f" {t['unit_days']}" if unit == "days" else ""


def better_direction(curve: Mapping[str, Any]) -> str | None:
    """ "lower" or "higher" is better for the metric value; None when only the points tell."""
    kind = curve.get("kind")
    if kind == "linear":
        full, zero = curve.get("full"), curve.get("zero")
        if full is not None and zero is not None and full != zero:
            return "lower" if float(full) < float(zero) else "higher"
        return curve.get("better")
    if kind == "deduct":
        return "lower"
    if kind == "rating":
        return "higher"
    if kind == "ratio":
        return "lower" if curve.get("invert") else "higher"
    if kind == "bands":
        return curve.get("better", "lower")
    return None


def threshold_text(value: Any, unit: str, t: Mapping[str, str]) -> str:
    """One threshold of a curve in the metric's unit, with the unit's suffix."""
    if is_missing(value):
        return DASH
    return metric(float(value), unit) + unit_suffix(unit, t)


def thresholds(kpi: KpiResult, t: Mapping[str, str]) -> tuple[str, str]:
    """The full-marks and zero thresholds as scored, in the metric's unit."""
    curve = kpi.curve or {}
    kind = curve.get("kind")
    unit = kpi.unit
    if kind == "linear":
        lower = better_direction(curve) != "higher"
        good, bad = ("≤", "≥") if lower else ("≥", "≤")
        return (
            f"{good} {threshold_text(curve.get('full'), unit, t)}",
            f"{bad} {threshold_text(curve.get('zero'), unit, t)}",
        )
    if kind == "deduct":
        per = curve.get("per", 1)
        # A record stored before the metric's own per moved to rate_per holds a dict here.
        if not isinstance(per, int | float):
            return t["none_recorded"], DASH
        return t["none_recorded"], t["per_record"].format(per=f"{float(per):g}")
    if kind == "rating":
        scale = curve.get("scale_max") or kpi.max
        return t["rating_of"].format(scale=f"{float(scale):g}"), t["rating_of"].format(scale="0")
    if kind == "ratio":
        return ("0.0%", "100.0%") if curve.get("invert") else ("100.0%", "0.0%")
    if kind == "bands":
        bands = curve.get("bands") or []
        sign = "≤" if curve.get("better", "lower") == "lower" else "≥"
        full = next((b for b in bands if float(b[1]) >= kpi.max), bands[0] if bands else None)
        full_text = f"{sign} {threshold_text(full[0], unit, t)}" if full else DASH
        return full_text, t["otherwise"].format(points=f"{float(curve.get('otherwise', 0)):g}")
    return DASH, DASH


# A share_over KPI's comparison, as the words of its limit line.
_OP_KEYS = {">": "op_gt", ">=": "op_ge", "<": "op_lt", "<=": "op_le"}


def _limit_number(value: Any, unit: str, t: Mapping[str, str]) -> str:
    """One threshold of a share KPI: ``4 h``, ``48 天``, ``0.5`` (a column: no unit)."""
    suffix = t.get(f"unit_{unit}", "") if unit else ""
    return f"{float(value):g}" + (f" {suffix}" if suffix else "")


def limit_text(kpi: KpiResult, t: Mapping[str, str]) -> str:
    """What a share_over or overdue_share KPI counts, from its curve record: ``over 48 h``, or
    each value's own threshold (``over, by priority: Critical 4 h · High 24 h · other 72 h``);
    "" for other kinds and for records that carry no threshold."""
    curve = kpi.curve or {}
    if curve.get("over_days") is not None:
        return f"{t['op_gt']} {_limit_number(curve['over_days'], 'days', t)}"
    op = t.get(_OP_KEYS.get(str(curve.get("op")), ""), "")
    unit = str(curve.get("threshold_unit") or "")
    by = curve.get("threshold_by")
    if op and isinstance(by, Mapping):
        limits = [f"{value} {_limit_number(n, unit, t)}" for value, n in by["values"].items()]
        if by.get("default") is not None:
            limits.append(f"{t['limit_other']} {_limit_number(by['default'], unit, t)}")
        return t["limit_by"].format(op=op, column=by["column"], limits=" · ".join(limits))
    if op and curve.get("threshold") is not None:
        return f"{op} {_limit_number(curve['threshold'], unit, t)}"
    return ""


def submission_deadline(month_text: str, lang: str) -> str:
    """When a rectification report for ``month_text`` (YYYY-MM) is due: the 5th of the next month."""
    year, month = (int(p) for p in month_text.split("-"))
    due = date(year + month // 12, month % 12 + 1, 5)
    return f"{due.year}年{due.month}月{due.day}日" if lang == "zh" else due.isoformat()
