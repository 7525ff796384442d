"""The [[kpis]] of a rubric: each KPI's metric and curve sections, validated.

The metric kinds and their options come from ``svcqa.rubric.model`` (what a rubric may say);
``svcqa.scoring`` implements them.
"""

from __future__ import annotations

from typing import Any

import svcqa.rubric.spec as spec
from svcqa.rubric.model import (
    COMPARISONS,
    CURVE_KINDS,
    METRIC_KINDS,
    WHEN_EMPTY,
    Curve,
    Kpi,
    Metric,
)
from svcqa.rubric.per_option import read_per
from svcqa.rubric.problems import (
    ID_RE,
    Problems,
    is_number,
    read_array_of_tables,
    read_bool,
    read_number,
    read_text,
    unknown_keys,
)
from svcqa.rubric.span_options import read_span_options
from svcqa.schema import TABLES, Column, Table

_KPI_KEYS = spec.KPI_KEYS


def _kind_keys(
    raw: dict[str, Any], what: str, kind: str, params: tuple[spec.Key, ...],
    path: tuple[Any, ...], problems: Problems,
) -> None:  # fmt: skip
    """Keys the kind does not take (from its declaration in ``svcqa.rubric.spec``)."""
    allowed = [p.name for p in params]
    for key in raw:
        if key not in allowed:
            problems.add(
                path + (key,),
                f"{key!r} is not a parameter of {what} kind {kind}; it takes {', '.join(allowed)} "
                "(see docs/rubric.md)",
            )


class KnownColumns:
    """Canonical plus declared tables and columns, as the rubric being loaded sees them."""

    def __init__(
        self, extra_columns: dict[str, list[Column]], tables: dict[str, Table] | None = None
    ):
        self.extra = extra_columns
        self.tables: dict[str, Table] = {**TABLES, **(tables or {})}

    def has(self, table: object) -> bool:
        """A canonical table or one declared under [tables.NAME]."""
        return isinstance(table, str) and table in self.tables

    def names(self) -> str:
        """The known tables, for a message."""
        return ", ".join(self.tables)

    def __call__(self, table: str) -> set[str]:
        base = {c.name for c in self.tables[table].columns} if table in self.tables else set()
        return base | {c.name for c in self.extra.get(table, [])}

    def type(self, table: str, column: str) -> str | None:
        own = self.tables[table].columns if table in self.tables else ()
        columns = [*own, *self.extra.get(table, [])]
        return next((c.type for c in columns if c.name == column), None)


def read_kpis(
    doc: dict[str, Any], default_empty: str, known_columns: KnownColumns, problems: Problems
) -> list[Kpi]:
    """Every valid [[kpis]] entry; the problems of the others go to ``problems``."""
    raw = read_array_of_tables(doc, "kpis", problems)
    if not raw:
        problems.add(("kpis",), "no [[kpis]]; a rubric needs at least one KPI")
    out: list[Kpi] = []
    seen: dict[str, int] = {}
    for i, item in enumerate(raw):
        path = ("kpis", i)
        unknown_keys(item, _KPI_KEYS, path, problems)
        kpi_id = read_text(item, "id", path, problems, required=True)
        if kpi_id and not ID_RE.match(kpi_id):
            problems.add(
                path + ("id",), f"{kpi_id!r} must be lower-case letters, digits, '-' or '_'"
            )
        if kpi_id in seen:
            problems.add(
                path + ("id",),
                f"duplicate KPI id {kpi_id!r} (also kpis[{seen[kpi_id]}]); ids must be unique",
            )
        seen.setdefault(kpi_id, i)
        label = read_text(item, "label", path, problems, required=True)
        points = read_number(item, "points", path, problems, required=True)
        if points is not None and points <= 0:
            problems.add(path + ("points",), f"must be above 0, found {points:g}")
        when_empty = item.get("when_empty", default_empty)
        if when_empty not in WHEN_EMPTY:
            problems.add(
                path + ("when_empty",), f"{when_empty!r} is not one of {', '.join(WHEN_EMPTY)}"
            )
        min_basis = item.get("min_basis", 0)
        if not isinstance(min_basis, int) or isinstance(min_basis, bool) or min_basis < 0:
            problems.add(path + ("min_basis",), f"must be a whole number ≥ 0, found {min_basis!r}")
            min_basis = 0
        metric = _metric(item.get("metric"), path + ("metric",), known_columns, problems)
        curve = _curve(item.get("curve"), points, path + ("curve",), problems)
        if metric is None or curve is None or points is None or not kpi_id:
            continue
        out.append(
            Kpi(
                id=kpi_id,
                label=label,
                group=str(item.get("group", "")),
                points=points,
                metric=metric,
                curve=curve,
                when_empty=when_empty if when_empty in WHEN_EMPTY else "full",
                min_basis=min_basis,
                label_en=read_text(item, "label_en", path, problems),
                group_en=read_text(item, "group_en", path, problems),
            )
        )
    return out


def _filters(
    raw: Any, table: str, known: set[str], path: tuple[Any, ...], problems: Problems
) -> tuple[tuple[str, tuple[Any, ...]], ...]:
    if raw is None:
        return ()
    if not isinstance(raw, dict):
        problems.add(
            path,
            'must be a table like {service_type = "exchange"} or {status = ["late", "absent"]}',
        )
        return ()
    out = []
    for col, value in raw.items():
        if known and col not in known:
            problems.add(path + (col,), f"unknown column {col!r} of table {table}")
            continue
        values = tuple(value) if isinstance(value, list) else (value,)
        if not values or not all(isinstance(v, (str, int, float, bool)) for v in values):
            problems.add(path + (col,), "must be a value or a list of values")
            continue
        if table in TABLES and col in {c.name for c in TABLES[table].columns}:
            column = TABLES[table].column(col)
            if column.type == "enum":
                bad = [v for v in values if v not in column.values]
                if bad:
                    problems.add(
                        path + (col,),
                        f"{bad} not among {table}.{col} values: {', '.join(column.values)}",
                    )
        out.append((col, values))
    return tuple(out)


def _share_in_values(
    raw: dict[str, Any], table: str, column: Any, known: set[str],
    path: tuple[Any, ...], problems: Problems,
) -> tuple[Any, ...]:  # fmt: skip
    """share_in's ``values``, checked as a filter on ``column`` is (enum codes included)."""
    if "values" not in raw:
        problems.add(
            path + ("values",), 'share_in needs values = ["...", ...] (the values that count)'
        )
        return ()
    if not isinstance(column, str) or column not in known:
        return ()  # the column's own problem is reported
    checked = _filters({column: raw["values"]}, table, known, path + ("values",), problems)
    return checked[0][1] if checked else ()


def _metric(
    raw: Any, path: tuple[Any, ...], known_columns: KnownColumns, problems: Problems
) -> Metric | None:
    """A KPI's [kpis.metric] section, or None when it cannot be built."""
    if not isinstance(raw, dict):
        problems.add(path, "is missing; give a [kpis.metric] table with kind = ...")
        return None
    kind = raw.get("kind")
    if kind not in METRIC_KINDS:
        problems.add(
            path + ("kind",), f"unknown metric kind {kind!r}; known: {', '.join(METRIC_KINDS)}"
        )
        return None
    _kind_keys(raw, "metric", kind, spec.metric_kind(kind).all_params(), path, problems)
    table = raw.get("table", METRIC_KINDS[kind]["table"])
    if not known_columns.has(table):
        problems.add(path + ("table",), f"unknown table {table!r}; known: {known_columns.names()}")
        return None
    known = known_columns(table)
    column, column_ok = _measured_column(raw, kind, table, known, path, problems)
    filters = _filters(raw.get("filter"), table, known, path + ("filter",), problems)
    options = _options(raw, kind, path, problems)
    weighting, weighting_ok = _weighting(raw, table, known, path, problems)
    spans, spans_ok = read_span_options(raw, kind, table, known_columns, path, problems)
    if kind == "share_in":
        spans["values"] = _share_in_values(raw, table, column, known, path, problems)
    spans["per"], per_ok = read_per(raw, kind, known_columns, path, problems)
    _check_basis_and_column_type(raw, kind, table, column, known_columns, path, problems)
    if not (column_ok and weighting_ok and spans_ok and per_ok):
        return None
    return Metric(
        kind=kind,
        table=table,
        column=column,
        filter=filters,
        **options,
        **weighting,
        **spans,
        basis_table="tickets",
    )


def _measured_column(
    raw: dict[str, Any],
    kind: str,
    table: str,
    known: set[str],
    path: tuple[Any, ...],
    problems: Problems,
) -> tuple[Any, bool]:
    """The metric's ``column`` and whether it and the kind's needed columns exist."""
    ok = True
    column = raw.get("column", "rating" if kind == "rating_mean" else None)
    if spec.metric_kind(kind).required("column") and not column:
        problems.add(
            path + ("column",), f'metric kind {kind} needs column = "..." (a column of {table})'
        )
        ok = False
    if column is not None and (not isinstance(column, str) or column not in known):
        problems.add(
            path + ("column",),
            f"unknown column {column!r} of table {table}; declare it under [columns.{table}.NAME]",
        )
        ok = False
    for need in METRIC_KINDS[kind]["needs"]:
        if need not in known:
            problems.add(
                path + ("table",),
                f"metric kind {kind} needs column {need!r}, which table {table} does not have",
            )
            ok = False
    return column, ok


def _options(
    raw: dict[str, Any], kind: str, path: tuple[Any, ...], problems: Problems
) -> dict[str, Any]:
    """days, threshold, op, quarter_to_date and window_days, as ``Metric`` fields."""
    declared = spec.metric_kind(kind)
    days = read_number(raw, "days", path, problems, required=declared.required("days"))
    threshold = read_number(
        raw, "threshold", path, problems, required=declared.required("threshold")
    )
    op = raw.get("op", ">")
    if op not in COMPARISONS:
        problems.add(path + ("op",), f"{op!r} is not one of {' '.join(COMPARISONS)}")
        op = ">"
    qtd = read_bool(raw, "quarter_to_date", path, problems, False)
    if qtd and not METRIC_KINDS[kind]["rate"]:
        problems.add(
            path + ("quarter_to_date",),
            f"only rate metrics can be scored quarter to date, not {kind}",
        )
    window = read_number(raw, "window_days", path, problems, default=90.0)
    if window is not None and window <= 0:
        problems.add(path + ("window_days",), "must be above 0")
    return {
        "days": days,
        "threshold": threshold,
        "op": op,
        "quarter_to_date": qtd,
        "window_days": window if window and window > 0 else 90.0,
    }


def _weighting(
    raw: dict[str, Any], table: str, known: set[str], path: tuple[Any, ...], problems: Problems
) -> tuple[dict[str, Any], bool]:
    """The count options (weight_column, weights, default_weight, points_column) as ``Metric``
    fields, and whether the columns they name exist."""
    ok = True
    weight_column = raw.get("weight_column")
    if weight_column is not None and weight_column not in known:
        problems.add(
            path + ("weight_column",), f"unknown column {weight_column!r} of table {table}"
        )
        ok = False
    weights_raw = raw.get("weights", {})
    weights: list[tuple[str, float]] = []
    if not isinstance(weights_raw, dict) or not all(is_number(v) for v in weights_raw.values()):
        problems.add(path + ("weights",), "must be a table of value = weight numbers")
    else:
        weights = [(str(k), float(v)) for k, v in weights_raw.items()]
        if weights and not weight_column:
            problems.add(
                path + ("weights",),
                'needs weight_column = "..." naming the column the weights apply to',
            )
    default_weight = read_number(raw, "default_weight", path, problems, default=1.0)
    points_column = raw.get("points_column")
    if points_column is not None and points_column not in known:
        problems.add(
            path + ("points_column",), f"unknown column {points_column!r} of table {table}"
        )
        ok = False
    return {
        "weight_column": weight_column,
        "weights": tuple(weights),
        "default_weight": default_weight if default_weight is not None else 1.0,
        "points_column": points_column,
    }, ok


def _check_basis_and_column_type(
    raw: dict[str, Any],
    kind: str,
    table: str,
    column: Any,
    known_columns: KnownColumns,
    path: tuple[Any, ...],
    problems: Problems,
) -> None:
    """complaint_rate's basis table, and the type of the measured column."""
    known = known_columns(table)
    basis_table = raw.get("basis_table", "tickets")
    if kind == "complaint_rate" and basis_table != "tickets":
        problems.add(
            path + ("basis_table",),
            'complaint_rate counts tickets accepted; basis_table must be "tickets"',
        )
    if kind in {"mean", "share_over", "sum", "direct_score", "rating_mean"} and column in known:
        ctype = known_columns.type(table, column)
        if ctype not in {"number", "duration", None}:
            problems.add(
                path + ("column",),
                f"{table}.{column} is a {ctype} column; {kind} needs a number or duration",
            )
    if (
        kind == "flag_rate"
        and column in known
        and known_columns.type(table, column) not in {"flag", None}
    ):
        problems.add(
            path + ("column",), f"{table}.{column} is not a flag column; flag_rate needs one"
        )


def _curve(
    raw: Any, points: float | None, path: tuple[Any, ...], problems: Problems
) -> Curve | None:
    """A KPI's [kpis.curve] section, or None when it cannot be built."""
    if not isinstance(raw, dict):
        problems.add(path, "is missing; give a [kpis.curve] table with kind = ...")
        return None
    kind = raw.get("kind")
    if kind not in CURVE_KINDS:
        problems.add(
            path + ("kind",), f"unknown curve kind {kind!r}; known: {', '.join(CURVE_KINDS)}"
        )
        return None
    _kind_keys(raw, "curve", kind, spec.curve_kind(kind).all_params(), path, problems)
    better = raw.get("better")
    if better is not None and better not in {"lower", "higher"}:
        problems.add(path + ("better",), f'must be "lower" or "higher", found {better!r}')
        better = None
    if kind == "linear":
        return _linear_curve(raw, better, path, problems)
    if kind == "deduct":
        per = read_number(raw, "per", path, problems, default=1.0)
        if per is not None and per < 0:
            problems.add(path + ("per",), "must be ≥ 0 (points off per unit)")
        return Curve("deduct", per=per if per is not None else 1.0)
    if kind == "rating":
        scale = read_number(raw, "scale_max", path, problems, default=points)
        if scale is not None and scale <= 0:
            problems.add(path + ("scale_max",), "must be above 0")
            return None
        return Curve("rating", scale_max=scale)
    if kind == "ratio":
        return Curve("ratio", invert=read_bool(raw, "invert", path, problems, False))
    return _bands_curve(raw, better or "lower", points, path, problems)


def _linear_curve(
    raw: dict[str, Any], better: str | None, path: tuple[Any, ...], problems: Problems
) -> Curve | None:
    """full and zero differ, in the order ``better`` (when given) says."""
    declared = spec.curve_kind("linear")
    full = read_number(raw, "full", path, problems, required=declared.required("full"))
    zero = read_number(raw, "zero", path, problems, required=declared.required("zero"))
    if full is None or zero is None:
        return None
    if full == zero:
        problems.add(path + ("zero",), f"full ({full:g}) and zero ({zero:g}) must differ")
        return None
    inferred = "lower" if full < zero else "higher"
    if better is not None and better != inferred:
        problems.add(
            path + ("full",),
            f'thresholds in the wrong order: better = "{better}" needs full '
            f"{'below' if better == 'lower' else 'above'} zero, found full {full:g}, zero {zero:g}",
        )
        return None
    return Curve("linear", full=full, zero=zero, better=inferred)


def _bands_curve(
    raw: dict[str, Any],
    better: str,
    points: float | None,
    path: tuple[Any, ...],
    problems: Problems,
) -> Curve | None:
    """Bands ordered from the best, with points falling and within the KPI's points."""
    raw_bands = raw.get("bands")
    if not isinstance(raw_bands, list) or not raw_bands:
        problems.add(
            path + ("bands",), "must be a list of [limit, points] pairs, e.g. [[0.05, 5], [0.1, 2]]"
        )
        return None
    bands: list[tuple[float, float]] = []
    for i, band in enumerate(raw_bands):
        if not (isinstance(band, list) and len(band) == 2 and all(is_number(x) for x in band)):
            problems.add(path + ("bands",), f"band {i + 1} must be [limit, points], found {band!r}")
            return None
        bands.append((float(band[0]), float(band[1])))
    limits = [b[0] for b in bands]
    pts = [b[1] for b in bands]
    ordered = (
        limits == sorted(limits) if better == "lower" else limits == sorted(limits, reverse=True)
    )
    if not ordered or len(set(limits)) != len(limits):
        problems.add(
            path + ("bands",),
            f'thresholds in the wrong order: with better = "{better}" band limits must be strictly '
            f"{'increasing' if better == 'lower' else 'decreasing'}, found {limits}",
        )
    otherwise = read_number(raw, "otherwise", path, problems, default=0.0) or 0.0
    if pts != sorted(pts, reverse=True) or (pts and otherwise > pts[-1]):
        problems.add(
            path + ("bands",),
            f"band points must not increase from the best band down, found {pts} then {otherwise:g}",
        )
    if points is not None and any(p > points or p < 0 for p in [*pts, otherwise]):
        problems.add(
            path + ("bands",), f"band points must lie within 0..{points:g} (the KPI's points)"
        )
    return Curve("bands", bands=tuple(bands), otherwise=otherwise, better=better)
