"""The span and per-row threshold options of ``mean`` and ``share_over``, validated.

``span = { from, to, unit }`` measures the time between two datetime columns per row,
``open`` says how a row without ``to`` counts, and ``threshold_by`` gives each row of a
``share_over`` the threshold of its own value. Declared in ``svcqa.rubric.spec``; scored by
``svcqa.scoring.spans``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from svcqa.rubric.model import OPEN_MODES, SPAN_KINDS, SPAN_UNITS, Span, ThresholdBy
from svcqa.rubric.problems import Problems, is_number

if TYPE_CHECKING:
    from svcqa.rubric.kpis import KnownColumns

_SPAN_KEYS = ("from", "to", "unit")
_THRESHOLD_BY_KEYS = ("column", "values", "default")


def read_span_options(
    raw: dict[str, Any], kind: str, table: str, known_columns: KnownColumns,
    path: tuple[Any, ...], problems: Problems,
) -> tuple[dict[str, Any], bool]:  # fmt: skip
    """span, open and threshold_by as ``Metric`` fields, and whether the columns they name exist."""
    if kind not in SPAN_KINDS:
        return {}, True
    ok = True
    span = None
    if "span" in raw:
        span = _span(raw["span"], table, known_columns, path + ("span",), problems)
        ok = span is not None
        if "column" in raw:
            problems.add(path + ("span",), "give either column or span, not both")
    elif "column" not in raw:
        problems.add(
            path + ("column",),
            f'metric kind {kind} needs column = "..." (a column of {table}) or span = '
            '{ from = "accepted_at", to = "completed_at", unit = "hours" }',
        )
        ok = False
    open_ = raw.get("open", "")
    if "open" in raw and "span" not in raw:
        problems.add(path + ("open",), "open applies to a span only; add span = { ... }")
    elif open_ and open_ not in OPEN_MODES:
        problems.add(path + ("open",), f'{open_!r} is not "age" or "exclude"')
        open_ = ""
    threshold_by = None
    if kind == "share_over":
        threshold_by, by_ok = _threshold_by(raw, table, known_columns, path, problems)
        ok = ok and by_ok
    return {"span": span, "open": open_, "threshold_by": threshold_by}, ok


def _span(
    raw: Any, table: str, known_columns: KnownColumns, path: tuple[Any, ...], problems: Problems
) -> Span | None:
    example = '{ from = "accepted_at", to = "completed_at", unit = "hours" }'
    if not isinstance(raw, dict):
        problems.add(path, f"must be a table like {example}")
        return None
    unknown = [k for k in raw if k not in _SPAN_KEYS]
    if unknown:
        problems.add(
            path, f"unknown key(s) {', '.join(map(repr, unknown))}; a span takes from, to, unit"
        )
    unit = raw.get("unit", "days")
    if unit not in SPAN_UNITS:
        problems.add(path + ("unit",), f"{unit!r} is not one of {', '.join(SPAN_UNITS)}")
        return None
    ends: list[str] = []
    for key in ("from", "to"):
        column = raw.get(key)
        if not isinstance(column, str) or not column:
            problems.add(
                path + (key,), f"is missing; give a datetime column of {table}, e.g. {example}"
            )
        elif column not in known_columns(table):
            problems.add(
                path + (key,),
                f"unknown column {column!r} of table {table}; declare it under "
                f'[columns.{table}.{column}] with type = "datetime"',
            )
        elif known_columns.type(table, column) not in {"datetime", "date", None}:
            ctype = known_columns.type(table, column)
            problems.add(
                path + (key,),
                f"{table}.{column} is a {ctype} column; a span needs a datetime or date column",
            )
        else:
            ends.append(column)
    if len(ends) != 2:
        return None
    return Span(ends[0], ends[1], unit)


def _threshold_by(
    raw: dict[str, Any], table: str, known_columns: KnownColumns,
    path: tuple[Any, ...], problems: Problems,
) -> tuple[ThresholdBy | None, bool]:  # fmt: skip
    if "threshold_by" not in raw:
        if "threshold" not in raw:
            problems.add(
                path + ("threshold",),
                "share_over needs threshold = <number> or threshold_by = { ... }",
            )
        return None, True
    if "threshold" in raw:
        problems.add(path + ("threshold_by",), "give either threshold or threshold_by, not both")
    by = raw["threshold_by"]
    where = path + ("threshold_by",)
    example = '{ column = "priority", values = { Critical = 4, High = 24 }, default = 72 }'
    if not isinstance(by, dict):
        problems.add(where, f"must be a table like {example}")
        return None, False
    unknown = [k for k in by if k not in _THRESHOLD_BY_KEYS]
    if unknown:
        problems.add(
            where,
            f"unknown key(s) {', '.join(map(repr, unknown))}; it takes column, values, default",
        )
    column = by.get("column")
    values = by.get("values")
    default = by.get("default")
    ok = True
    if not isinstance(column, str) or column not in known_columns(table):
        problems.add(where + ("column",), f"unknown column {column!r} of table {table}; {example}")
        ok = False
    if not isinstance(values, dict) or not values or not all(is_number(v) for v in values.values()):
        problems.add(where + ("values",), f"must be a table of value = number, e.g. {example}")
        ok = False
    if default is not None and not is_number(default):
        problems.add(where + ("default",), f"must be a number, found {default!r}")
        ok = False
    if not ok:
        return None, False
    assert isinstance(values, dict) and isinstance(column, str)
    listed = tuple((str(k), float(v)) for k, v in values.items())
    return ThresholdBy(column, listed, None if default is None else float(default)), True
