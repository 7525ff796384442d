"""What ``mean`` and ``share_over`` measure per row: a column, or a span between two datetimes,
compared with one threshold or with each row's own (``threshold_by``).

All vectorised: a span over a million rows is one int64 subtraction, per-row thresholds one
``Series.map`` of the threshold column's distinct values.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from svcqa.rubric.model import SPAN_UNITS, Metric, ThresholdBy
from svcqa.scoring.context import MetricContext


@dataclass
class Measured:
    """One figure per selected row (NaN = left out) and which rows are open spans."""

    x: np.ndarray
    open_: np.ndarray  # bool; all False without a span
    label: str  # the column name, or the span as text ("hours accepted_at→completed_at")
    unit: str  # "" for a column


def span_needs(metric: Metric) -> tuple[str, ...]:
    """The columns a span or per-row threshold reads (for the metric's missing-column check)."""
    needs: tuple[str, ...] = ()
    if metric.span is not None:
        needs = (metric.span.start, metric.span.end)
    if metric.threshold_by is not None:
        needs += (metric.threshold_by.column,)
    return needs


def measure(rows, metric: Metric, ctx: MetricContext) -> Measured:  # rows: metrics.Rows
    """The column's numbers, or the span in its unit with open rows per ``metric.open_mode``.

    A row with a blank ``from`` is left out; a blank ``to`` is open: with "age" it runs to the
    end of the month (midnight after its last day, as overdue_share counts) or to the data's
    cut-off when one is given (``--as-of``), else left out.
    """
    span = metric.span
    if span is None:
        x = rows.numbers(metric.column or "")
        return Measured(x, np.zeros(len(x), dtype=bool), metric.column or "", "")
    start = rows.datetimes(span.start).view("int64")
    end = rows.datetimes(span.end).view("int64")
    nat = np.iinfo(np.int64).min
    open_ = (end == nat) & (start != nat)
    if metric.open_mode == "age":
        end = np.where(open_, ctx.age_end_ns, end)
    else:
        open_ = np.zeros(len(start), dtype=bool)
    usable = (start != nat) & (end != nat)
    x = np.where(usable, (end - start) / SPAN_UNITS[span.unit], np.nan)
    return Measured(x, open_, span.text(), span.unit)


def row_thresholds(rows, by: ThresholdBy) -> np.ndarray:
    """Each row's threshold from its own value (compared as text); NaN where the value is
    listed nowhere and there is no default (``mismatch`` reports those values).

    The distinct values are mapped, then spread by their codes: a million rows cost one
    factorize, not a million text conversions.
    """
    codes, uniques = pd.factorize(rows.col(by.column), use_na_sentinel=True)
    listed = dict(by.values)
    fallback = np.nan if by.default is None else by.default
    per_value = np.array(
        [listed.get(str(v), fallback) for v in uniques] + [fallback], dtype="float64"
    )
    return per_value[codes]  # code -1 (blank) takes the last entry: the default or NaN


def unknown_threshold_values(series, by: ThresholdBy) -> dict[str, int]:
    """The values of ``series`` with no threshold (blank shown as "(blank)"), with row counts,
    compared as ``row_thresholds`` compares them."""
    if by.default is None:
        codes, uniques = pd.factorize(series, use_na_sentinel=True)
        listed = dict(by.values)
        counts = np.bincount(codes[codes >= 0], minlength=len(uniques))
        out = {str(v): int(n) for v, n in zip(uniques, counts, strict=True) if str(v) not in listed}
        blanks = int((codes < 0).sum())
        return out | ({"(blank)": blanks} if blanks else {})
    return {}
