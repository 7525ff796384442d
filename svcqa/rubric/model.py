"""The rubric as a frozen object: KPIs, metrics, curves, grades and rules.

A rubric is data (a TOML file, see ``svcqa.rubric.loader``); these classes are what the loader
builds after validating all of it, and what ``svcqa.scoring`` reads. Nothing here executes
anything from the file.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from typing import Any

import svcqa.rubric.spec as spec
from svcqa.models import EnglishNames
from svcqa.rubric.bounds import MAX_DAYS_AFTER_MONTH, ColumnBound
from svcqa.rubric.english import english_names
from svcqa.rubric.period import PeriodRule
from svcqa.schema import TABLES, Column, Table

# Metric kinds, from the declarations in ``svcqa.rubric.spec``. Each entry: default table,
# whether it yields a rate (numerator / basis, so it may be scored quarter to date), unit, and
# the canonical columns it always needs (besides ``branch``). Columns named by options
# (``column``, filters, ``weight_column`` ...) are added per KPI by ``Metric.columns()``.
METRIC_KINDS: dict[str, dict[str, Any]] = {
    k.name: {"table": k.table, "rate": k.rate, "unit": k.unit, "needs": k.needs}
    for k in spec.METRIC_KINDS
}

# The exports every month brings (SPEC 1); the other tables are optional inputs.
CORE_TABLES = ("tickets", "complaints", "attendance")

CURVE_KINDS = spec.CURVE_KIND_NAMES
WHEN_EMPTY = tuple(spec.WHEN_EMPTY)
EXTRA_COLUMN_TYPES = tuple(spec.EXTRA_COLUMN_TYPES)
COMPARISONS = spec.COMPARISONS


# A span's unit -> nanoseconds per unit.
SPAN_UNITS: dict[str, int] = {"minutes": 60 * 10**9, "hours": 3_600 * 10**9, "days": 86_400 * 10**9}
OPEN_MODES = ("age", "exclude")
SPAN_KINDS = ("mean", "share_over")


@dataclass(frozen=True)
class Span:
    """``span = { from, to, unit }``: the time from one datetime column to another, per row."""

    start: str  # the ``from`` column
    end: str  # the ``to`` column; blank = the row is open
    unit: str = "days"  # a key of SPAN_UNITS

    def text(self) -> str:
        return f"{self.unit} {self.start}→{self.end}"


@dataclass(frozen=True)
class ThresholdBy:
    """``threshold_by = { column, values, default }``: each row's threshold from its own value."""

    column: str
    values: tuple[tuple[str, float], ...]
    default: float | None = None  # None: a value listed nowhere is a finding

    def text(self) -> str:
        listed = ", ".join(f"{k} {v:g}" for k, v in self.values)
        other = f", else {self.default:g}" if self.default is not None else ""
        return f"by {self.column} ({listed}{other})"


@dataclass(frozen=True)
class Per:
    """``per = { table, column, scale }``: a count or sum divided by the branch's value in a
    roster column, times ``scale`` (complaints per 10,000 users)."""

    table: str
    column: str
    scale: float = 1.0

    def text(self) -> str:
        return f"per {self.scale:g} {self.table}.{self.column}"


@dataclass(frozen=True)
class Metric:
    """What to measure for a KPI, per branch, from one table of the month."""

    kind: str
    table: str
    column: str | None = None
    # column -> accepted values (a row passes when its value is one of them)
    filter: tuple[tuple[str, tuple[Any, ...]], ...] = ()
    days: float | None = None  # overdue_share: over this many days
    threshold: float | None = None  # share_over
    op: str = ">"  # share_over comparison
    quarter_to_date: bool = False
    window_days: float = 90.0  # rework_rate: a repeat within this many days of a completion
    weight_column: str | None = None  # count: weight rows by this column's value...
    weights: tuple[tuple[str, float], ...] = ()  # ...using this map
    default_weight: float = 1.0  # count: rows whose value is not in ``weights``
    points_column: str | None = None  # count: a row's own points override its weight when present
    basis_table: str = "tickets"  # complaint_rate: the denominator table
    span: Span | None = None  # mean, share_over: measure a span instead of ``column``
    open: str = ""  # with a span: "age" or "exclude" ("" = the kind's default)
    threshold_by: ThresholdBy | None = None  # share_over: per-row threshold instead of threshold
    values: tuple[Any, ...] = ()  # share_in: a row counts when its column holds one of these
    per: Per | None = None  # count, sum: divided by the branch's roster value, times scale

    @property
    def open_mode(self) -> str:
        """How a span's open rows count: the rubric's ``open``, else the kind's default."""
        return self.open or ("age" if self.kind == "share_over" else "exclude")

    def columns(self) -> dict[str, set[str]]:
        """Canonical columns this metric needs, per table (``branch`` always)."""
        needed: dict[str, set[str]] = {self.table: {"branch", *METRIC_KINDS[self.kind]["needs"]}}
        if self.column:
            needed[self.table].add(self.column)
        needed[self.table].update(col for col, _ in self.filter)
        if self.weight_column:
            needed[self.table].add(self.weight_column)
        if self.span is not None:
            needed[self.table].update({self.span.start, self.span.end})
        if self.threshold_by is not None:
            needed[self.table].add(self.threshold_by.column)
        if self.kind == "complaint_rate":
            needed.setdefault(self.basis_table, set()).update({"branch", "accepted_at"})
        if self.per is not None:
            needed.setdefault(self.per.table, set()).update({"branch", self.per.column})
        # points_column, is_rework / device_id are optional: used when present.
        return needed

    def describe(self) -> str:
        """A short human description, e.g. ``share > 10 d · service_type = exchange``.

        Filters show their column, as a rubric writes them, so the reader sees which column
        a value is compared in (``answered = true``, ``status = late/absent``).
        """
        col = f"{self.table}.{self.column}"
        if self.span is not None:
            col = f"{self.span.text()}" + (", open by age" if self.open_mode == "age" else "")
        limit = self.threshold_by.text() if self.threshold_by is not None else None
        text = {
            "mean_cycle_days": "mean cycle days",
            "overdue_share": f"share > {self.days:g} d"
            if self.days is not None
            else "overdue share",
            "rework_rate": f"rework rate ({self.window_days:g} d)",
            "complaint_rate": "valid complaints / tickets",
            "rating_mean": f"mean {col}",
            "direct_score": col,
            "mean": f"mean {col}",
            "share_over": f"share {col} {self.op} {self.threshold:g}"
            if self.threshold is not None
            else f"share {col} {self.op} {limit}"
            if limit
            else f"share {col}",
            "flag_rate": f"rate {col}",
            "share_in": f"share {col} in {'/'.join(_value_text(v) for v in self.values)}",
            "sum": f"sum {col}",
        }.get(self.kind)
        if self.kind == "count":
            weights = ", ".join(f"{k} {v:g}" for k, v in self.weights if v)
            text = f"count {self.table}" + (f" ({weights})" if weights else "")
            if self.points_column:
                text += f" or its {self.points_column}"
        parts = [text or self.kind]
        parts += [
            f"{col} = {'/'.join(_value_text(v) for v in values)}" for col, values in self.filter
        ]
        if self.quarter_to_date:
            parts.append("QTD")
        if self.per is not None:
            parts.append(self.per.text())
        return " · ".join(parts)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "table": self.table}
        if self.column:
            out["column"] = self.column
        if self.filter:
            out["filter"] = {c: list(v) if len(v) > 1 else v[0] for c, v in self.filter}
        for name in ("days", "threshold"):
            if getattr(self, name) is not None:
                out[name] = getattr(self, name)
        if self.kind == "share_over":
            out["op"] = self.op
        if self.kind == "share_in":
            out["values"] = list(self.values)
        if self.span is not None:
            out["span"] = {"from": self.span.start, "to": self.span.end, "unit": self.span.unit}
            out["open"] = self.open_mode
        if self.threshold_by is not None:
            by = self.threshold_by
            out["threshold_by"] = {"column": by.column, "values": dict(by.values)}
            if by.default is not None:
                out["threshold_by"]["default"] = by.default
        if self.quarter_to_date:
            out["quarter_to_date"] = True
        if self.per is not None:
            out["per"] = {
                "table": self.per.table,
                "column": self.per.column,
                "scale": self.per.scale,
            }
        if self.kind == "rework_rate":
            out["window_days"] = self.window_days
        if self.kind == "count":
            if self.weight_column:
                out["weight_column"] = self.weight_column
                out["weights"] = dict(self.weights)
            out["default_weight"] = self.default_weight
            if self.points_column:
                out["points_column"] = self.points_column
        return out


def _value_text(value: Any) -> str:
    """A filter value as TOML spells it (true/false for flags, not Python's True/False)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return f"{value:g}" if isinstance(value, float) else str(value)


@dataclass(frozen=True)
class Curve:
    """How a metric value becomes points (``points`` is the KPI's maximum).

    linear: full marks at ``full``, zero at ``zero``, straight line between, clipped; lower is
    better when ``full < zero``. deduct: ``per`` points off per unit of value, floor 0. rating:
    ``value * points / scale_max`` clipped to [0, points]. bands: the first band the value
    reaches (``better`` says which way) gives its points, else ``otherwise``. ratio: the rate
    (or ``1 - rate`` when ``invert``) times the points.
    """

    kind: str
    full: float | None = None
    zero: float | None = None
    per: float = 1.0
    scale_max: float | None = None
    bands: tuple[tuple[float, float], ...] = ()  # (limit, points)
    otherwise: float = 0.0
    better: str = "lower"  # bands/linear direction ("lower" or "higher")
    invert: bool = False

    def as_dict(self) -> dict[str, Any]:
        if self.kind == "linear":
            return {"kind": "linear", "full": self.full, "zero": self.zero, "better": self.better}
        if self.kind == "deduct":
            return {"kind": "deduct", "per": self.per}
        if self.kind == "rating":
            return {"kind": "rating", "scale_max": self.scale_max}
        if self.kind == "bands":
            return {
                "kind": "bands",
                "better": self.better,
                "bands": [list(b) for b in self.bands],
                "otherwise": self.otherwise,
            }
        return {"kind": "ratio", "invert": self.invert}

    def describe(self, unit: str = "") -> str:
        """A short human rule, e.g. ``≤ 3 full, ≥ 7 zero``."""

        def fmt(x: float | None) -> str:
            if x is None:
                return ""
            return f"{x * 100:g}%" if unit == "rate" else f"{x:g}"

        if self.kind == "linear":
            if self.better == "lower":
                return f"full ≤ {fmt(self.full)} · zero ≥ {fmt(self.zero)}"
            return f"full ≥ {fmt(self.full)} · zero ≤ {fmt(self.zero)}"
        if self.kind == "deduct":
            return f"−{self.per:g} per unit, floor 0"
        if self.kind == "rating":
            return f"rating × points / {self.scale_max:g}"
        if self.kind == "bands":
            sign = "≤" if self.better == "lower" else "≥"
            parts = [f"{sign} {fmt(limit)}: {pts:g}" for limit, pts in self.bands]
            return "; ".join(parts + [f"else {self.otherwise:g}"])
        return "(1 − rate) × points" if self.invert else "rate × points"


@dataclass(frozen=True)
class Kpi:
    """One KPI: what it measures, how it scores, and what happens without data."""

    id: str
    label: str
    group: str
    points: float
    metric: Metric
    curve: Curve
    when_empty: str = "full"
    min_basis: int = 0  # below this many rows the metric counts as empty (low volume); 0 = off
    label_en: str = ""
    group_en: str = ""

    @property
    def unit(self) -> str:
        """The kind's unit; a mean of a span is in the span's unit (minutes, hours, days)."""
        if self.metric.kind == "mean" and self.metric.span is not None:
            return self.metric.span.unit
        if self.metric.per is not None:
            return f"per {self.metric.per.scale:g} {self.metric.per.column}"
        return METRIC_KINDS[self.metric.kind]["unit"]


@dataclass(frozen=True)
class Grade:
    name: str
    min: float
    coefficient: float
    label_en: str = ""  # the name in English outputs ("" = the name itself)


@dataclass(frozen=True)
class VetoRule:
    """A one-vote veto: the per-branch sum of ``column`` (or the row count) reaching ``at_least``."""

    id: str
    label: str
    table: str
    column: str | None
    at_least: float


@dataclass(frozen=True)
class Incentives:
    """Plus/minus points added to the KPI total (then clipped to [0, max])."""

    enabled: bool = True
    table: str = "incentives"
    column: str = "points"


@dataclass(frozen=True)
class Appeals:
    """The appeal (申诉) window: days after the month's first scoring, appeals per branch (0 = any)."""

    window_days: int = 10
    max_per_branch: int = 0


@dataclass(frozen=True)
class Rubric:
    """A validated, immutable rubric; ``source_text`` is the TOML it was loaded from."""

    id: str
    name: str
    max: float
    kpis: tuple[Kpi, ...]
    grades: tuple[Grade, ...]  # best first
    source_text: str
    origin: str = ""  # preset id or file path
    description: str = ""
    language: str = "zh"  # the labels' language in outputs (LANGUAGES); --lang overrides it
    name_en: str = ""  # the name in English outputs ("" = the name itself)
    incentives: Incentives = field(default_factory=Incentives)
    vetoes: tuple[VetoRule, ...] = ()
    failing_grades: tuple[str, ...] = ()  # grades that require rectification
    rectify_last_place: bool = True
    contract_review_after: int = 3
    grace_months: int = 1
    appeals: Appeals = field(default_factory=Appeals)
    extra_columns: dict[str, list[Column]] = field(default_factory=dict)
    # [tables.NAME]: declared tables, and canonical ones with another layout (what ingest reads)
    declared_tables: dict[str, Table] = field(default_factory=dict)
    aliases: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    sheet_aliases: dict[str, list[str]] = field(default_factory=dict)
    period: PeriodRule = field(default_factory=PeriodRule)  # [period]: svcqa period
    timezone: str = "Asia/Shanghai"  # dates with a UTC offset are converted to this zone
    date_order: str = "ymd"  # slash dates with the year last: "mdy" or "dmy" to read them
    bounds: tuple[ColumnBound, ...] = ()  # [bounds.TABLE] with the defaults filled in
    max_days_after_month: int = MAX_DAYS_AFTER_MONTH  # [limits]

    def __hash__(self) -> int:  # dict fields are not hashable; the text identifies the rubric
        return hash(self.sha256)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.source_text.encode("utf-8")).hexdigest()

    @property
    def qtd_kpi_ids(self) -> list[str]:
        """KPIs scored quarter to date: the history store keeps their monthly counts."""
        return [k.id for k in self.kpis if k.metric.quarter_to_date]

    @property
    def lowest_grade(self) -> Grade:
        return self.grades[-1]

    @property
    def english(self) -> EnglishNames:
        """The English names the rubric gives, as the Scorecard carries them."""
        return english_names(self.source_text)

    def kpi(self, kpi_id: str) -> Kpi:
        return next(k for k in self.kpis if k.id == kpi_id)

    def grade_for(self, total: float) -> Grade:
        return next((g for g in self.grades if total >= g.min), self.grades[-1])

    def required_columns(self) -> dict[str, set[str]]:
        """The tables a month must have for this rubric, and the canonical columns each needs.

        Ingest stops the run when one is missing. Only the core exports (SPEC 1: tickets,
        complaints, attendance) the rubric's KPIs read are required; the optional tables
        (discipline, cooperation, incentives, roster, department scores) are read when present,
        and a KPI on an absent one follows ``when_empty``. Optional inputs the metrics use when
        available (``is_rework``/``device_id``, ``is_valid``, discipline ``points``, roster
        columns, the measured column of a KPI with ``when_empty = "full"``) are not listed
        either; ``optional_columns()`` lists them.
        """
        needed: dict[str, set[str]] = {}
        for kpi in self.kpis:
            for table, cols in kpi.metric.columns().items():
                if kpi.when_empty == "full" and kpi.metric.column and table == kpi.metric.table:
                    # The measured column may be absent: the KPI then scores full marks as
                    # "no data" (e.g. a declared answer_seconds column a system does not export).
                    cols = cols - ({kpi.metric.column} - set(self.table(table).required))
                needed.setdefault(table, set()).update(cols)
        # A declared table ([tables.NAME]) is the user's own export: required when a KPI reads it.
        return {
            table: cols
            for table, cols in needed.items()
            if table in CORE_TABLES or (table in self.declared_tables and table not in TABLES)
        }

    def table(self, name: str) -> Table:
        """A table as this rubric reads it: declared, re-laid-out, or canonical."""
        return self.declared_tables.get(name) or TABLES[name]

    def tables(self) -> set[str]:
        """Every table the rubric reads (required or optional), the roster included."""
        return set(self.required_columns()) | set(self.optional_columns()) | {"branches"}

    def optional_columns(self) -> dict[str, set[str]]:
        """Columns the rubric uses when present, beyond ``required_columns()``."""
        used: dict[str, set[str]] = {}
        for kpi in self.kpis:
            for table, cols in kpi.metric.columns().items():
                used.setdefault(table, set()).update(cols)
            metric = kpi.metric
            extra = {metric.points_column} if metric.points_column else set()
            if metric.kind == "rework_rate":
                extra |= {"is_rework", "device_id", "ticket_id", "completed_at"}
            if metric.kind == "complaint_rate":
                extra |= {"is_valid", "category", "description", "complaint_id"}
            used.setdefault(metric.table, set()).update(extra)
        if self.incentives.enabled:
            used.setdefault(self.incentives.table, set()).update({"branch", self.incentives.column})
        for veto in self.vetoes:  # a veto applies only when its column is supplied
            used.setdefault(veto.table, set()).update(
                {"branch"} | ({veto.column} if veto.column else set())
            )
        used.setdefault("branches", set()).update({"branch", "region", "echelon", "contract_start"})
        for (
            name,
            declared,
        ) in self.declared_tables.items():  # its ids decide the duplicates rejected
            if declared.id_column and name in used:
                used[name].add(declared.id_column)
        required = self.required_columns()
        return {
            t: cols - required.get(t, set())
            for t, cols in used.items()
            if cols - required.get(t, set())
        }

    def column_bounds(self) -> dict[str, dict[str, tuple[float, float, str]]]:
        """table -> column -> (low, high, the rubric key that sets them): what ingest checks."""
        out: dict[str, dict[str, tuple[float, float, str]]] = {}
        for b in self.bounds:
            out.setdefault(b.table, {})[b.column] = (b.low, b.high, b.origin())
        return out

    def column_names(self, table: str) -> set[str]:
        """Canonical plus declared column names of ``table``."""
        known = self.declared_tables.get(table) or TABLES.get(table)
        names = {c.name for c in known.columns} if known else set()
        return names | {c.name for c in self.extra_columns.get(table, [])}

    def summary(self) -> dict[str, Any]:
        """One line of ``svcqa rubric list``."""
        return {
            "id": self.id,
            "name": self.name,
            "name_en": self.name_en,
            "kpis": len(self.kpis),
            "max": self.max,
            "origin": self.origin,
            "description": self.description,
        }

    def as_dict(self) -> dict[str, Any]:
        """The rubric as ``svcqa rubric show --format json`` prints it."""
        return {
            **self.summary(),
            "sha256": self.sha256,
            "kpis": [
                {
                    "id": k.id,
                    "label": k.label,
                    "label_en": k.label_en,
                    "group": k.group,
                    "group_en": k.group_en,
                    "points": k.points,
                    "unit": k.unit,
                    "metric": k.metric.as_dict(),
                    "metric_text": k.metric.describe(),
                    "curve": k.curve.as_dict(),
                    "rule": k.curve.describe(k.unit),
                    "when_empty": k.when_empty,
                    "min_basis": k.min_basis,
                }
                for k in self.kpis
            ],
            "grades": [
                {"name": g.name, "label_en": g.label_en, "min": g.min, "coefficient": g.coefficient}
                for g in self.grades
            ],
            "failing_grades": list(self.failing_grades),
            "rectify_last_place": self.rectify_last_place,
            "contract_review_after": self.contract_review_after,
            "grace_months": self.grace_months,
            "appeals": {
                "window_days": self.appeals.window_days,
                "max_per_branch": self.appeals.max_per_branch,
            },
            "timezone": self.timezone,
            "date_order": self.date_order,
            "language": self.language,
            "incentives": {
                "enabled": self.incentives.enabled,
                "table": self.incentives.table,
                "column": self.incentives.column,
            },
            "vetoes": [
                {
                    "id": v.id,
                    "label": v.label,
                    "table": v.table,
                    "column": v.column,
                    "at_least": v.at_least,
                }
                for v in self.vetoes
            ],
            "extra_columns": {
                t: [
                    {"name": c.name, "type": c.type, "aliases": list(c.aliases), "label": c.label}
                    for c in cols
                ]
                for t, cols in self.extra_columns.items()
            },
            "aliases": self.aliases,
            "bounds": {  # an open end (-inf, inf) as null: JSON has no infinity
                f"{b.table}.{b.column}": [v if math.isfinite(v) else None for v in (b.low, b.high)]
                for b in self.bounds
            },
            "limits": {"max_days_after_month": self.max_days_after_month},
            **({"tables": self._tables_dict()} if self.declared_tables else {}),
        }

    def _tables_dict(self) -> dict[str, Any]:
        """[tables.NAME] as ``rubric show --format json`` prints it (only when the rubric has any)."""
        return {
            name: {
                "label": t.label,
                "sheets": list(t.sheet_aliases),
                "month_column": t.month_column,
                "id_column": t.id_column,
                "layout": t.layout,
                "key_columns": list(t.key_columns),
                "value_column": t.value_column,
            }
            for name, t in self.declared_tables.items()
        }
