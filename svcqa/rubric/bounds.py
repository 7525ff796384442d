"""The ranges a column's values must lie in (``[bounds.TABLE]``) and the plausibility limits of
the input (``[limits]``): read, validated, and completed with their defaults.

A value outside its column's range is an ``out-of-range`` reject in ingest, which receives the
ranges as plain data (``Rubric.column_bounds()``): a 99999 incentive must not silently top a
branch at max, nor a rating of 99 on a 0-10 scale lift a branch's mean.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from svcqa.rubric.problems import Problems, read_section, unknown_keys
from svcqa.schema import TABLES, Column

if TYPE_CHECKING:
    from svcqa.rubric.kpis import KnownColumns
    from svcqa.rubric.model import Incentives, Kpi

MAX_DAYS_AFTER_MONTH = 366  # the default of [limits] max_days_after_month
BOUNDED_TYPES = ("number", "duration")


@dataclass(frozen=True)
class ColumnBound:
    """``[low, high]`` (inclusive) for ``table.column``; ``default`` says where a default came
    from ("" when the rubric sets it)."""

    table: str
    column: str
    low: float
    high: float
    default: str = ""

    @property
    def key(self) -> str:
        return f"bounds.{self.table}.{self.column}"

    def origin(self) -> str:
        """The rubric key that sets the range, as a message names it."""
        if not self.default:
            return f"{self.key} in the rubric"
        return f"{self.key}, by default {self.default}; set it in the rubric to change"


def read_bounds(
    doc: dict[str, Any], known_columns: KnownColumns, problems: Problems
) -> list[ColumnBound]:
    """The ``[bounds.TABLE]`` entries the rubric writes (``COLUMN = [low, high]``)."""
    out: list[ColumnBound] = []
    for table, columns in read_section(doc, "bounds", (), problems).items():
        path: tuple[Any, ...] = ("bounds", table)
        if table not in TABLES:
            problems.add(path, f"unknown table {table!r}; known: {', '.join(TABLES)}")
            continue
        if not isinstance(columns, dict):
            problems.add(path, "must be a table of COLUMN = [low, high]")
            continue
        for column, pair in columns.items():
            ctype = known_columns.type(table, column)
            if ctype not in BOUNDED_TYPES:
                found = f"is a {ctype} column" if ctype else "is not a column"
                problems.add(
                    path + (column,),
                    f"{table}.{column} {found}; bounds apply to number and duration columns",
                )
                continue
            if not _is_pair(pair):
                problems.add(
                    path + (column,),
                    f"must be [low, high], two numbers with low <= high (-inf or inf for an open "
                    f"end), found {pair!r}",
                )
                continue
            out.append(ColumnBound(table, column, float(pair[0]), float(pair[1])))
    return out


def _is_pair(value: Any) -> bool:
    if not isinstance(value, list) or len(value) != 2:
        return False
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
        return False
    return not any(math.isnan(v) for v in value) and value[0] <= value[1]


def read_limits(doc: dict[str, Any], problems: Problems, allowed: set[str]) -> int:
    """``[limits] max_days_after_month``."""
    section = read_section(doc, "limits", (), problems)
    unknown_keys(section, allowed, ("limits",), problems)
    days = section.get("max_days_after_month", MAX_DAYS_AFTER_MONTH)
    if not isinstance(days, int) or isinstance(days, bool) or days < 0:
        problems.add(
            ("limits", "max_days_after_month"), f"must be a whole number ≥ 0, found {days!r}"
        )
        return MAX_DAYS_AFTER_MONTH
    return days


def with_defaults(
    explicit: list[ColumnBound],
    kpis: list[Kpi],
    incentives: Incentives,
    max_points: float,
    extra_columns: dict[str, list[Column]],
) -> tuple[ColumnBound, ...]:
    """The rubric's bounds plus the defaults of the columns it leaves out (see docs/rubric.md)."""
    found: dict[tuple[str, str], ColumnBound] = {}

    def default(table: str, column: str, low: float, high: float, why: str) -> None:
        found[(table, column)] = ColumnBound(table, column, low, high, why)

    for table in TABLES:
        for col in (*TABLES[table].columns, *extra_columns.get(table, [])):
            if col.type == "duration":
                default(table, col.name, 0.0, math.inf, "at least 0 (a duration)")
    default("discipline", "points", 0.0, math.inf, "at least 0 (points deducted)")
    if incentives.enabled:
        default(
            incentives.table,
            incentives.column,
            -max_points,
            max_points,
            "within ± the rubric's max",
        )
    for kpi in kpis:
        metric, curve = kpi.metric, kpi.curve
        if metric.kind != "rating_mean" or curve.kind != "rating" or not metric.column:
            continue
        scale = curve.scale_max or kpi.points
        earlier = found.get((metric.table, metric.column))
        if earlier is None or not earlier.default.startswith("0 to") or earlier.high < scale:
            why = f"0 to the scale_max of KPI {kpi.id} ({scale:g})"
            default(metric.table, metric.column, 0.0, scale, why)
    for bound in explicit:
        found[(bound.table, bound.column)] = bound
    return tuple(found.values())
