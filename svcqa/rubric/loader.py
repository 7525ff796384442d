"""Loading and validating rubric TOML files (never executing anything: ``tomllib`` only).

Every problem in a file is collected, each with its key and line, and reported together in one
``RubricError`` so a user fixes the file in one pass.

File layout (see the presets in ``svcqa/rubric/presets/`` for complete examples)::

    id = "my-rubric"            name = "..."        max = 100
    when_empty = "full"         # default for every KPI: full | zero | exclude
    grace_months = 1            # a newly signed branch is scored but not assessed this long
    [rectification]             last_place = true, failing_grades = ["不合格"], contract_review_after = 3
    [incentives]                enabled = true, table = "incentives", column = "points"
    [[grades]]                  name, min, coefficient          (best first)
    [[kpis]]                    id, label, group, points, when_empty, min_basis
      [kpis.metric]             kind, table, column, filter, days, threshold, ...
      [kpis.curve]              kind, full, zero, per, scale_max, bands, ...
    [[vetoes]]                  id, label, table, column, at_least
    [columns.TABLE.NAME]        type, aliases, label      (declared extra columns)
    [aliases.TABLE]             COLUMN = ["header", ...]  (extra header spellings)
    [sheet_aliases]             TABLE = ["sheet name", ...]
"""

from __future__ import annotations

import math
import re
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any, TypeGuard

from svcqa.errors import RubricError
from svcqa.rubric.model import (
    COLUMN_KINDS,
    COMPARISONS,
    CURVE_KINDS,
    EXTRA_COLUMN_TYPES,
    METRIC_KINDS,
    WHEN_EMPTY,
    Curve,
    Grade,
    Incentives,
    Kpi,
    Metric,
    Rubric,
    VetoRule,
)
from svcqa.schema import TABLES, Column

DEFAULT_RUBRIC = "gd-mobile-aftersales"
PRESET_PACKAGE = "svcqa.rubric.presets"

_TOP_KEYS = {
    "id", "name", "max", "description", "when_empty", "grace_months", "rectification", "incentives",
    "grades", "kpis", "vetoes", "columns", "aliases", "sheet_aliases",
}  # fmt: skip
_KPI_KEYS = {
    "id",
    "label",
    "label_en",
    "group",
    "points",
    "metric",
    "curve",
    "when_empty",
    "min_basis",
}
_METRIC_KEYS = {
    "kind", "table", "column", "filter", "days", "threshold", "op", "quarter_to_date", "window_days",
    "weight_column", "weights", "default_weight", "points_column", "basis_table",
}  # fmt: skip
_CURVE_KEYS = {"kind", "full", "zero", "per", "scale_max", "bands", "otherwise", "better", "invert"}
_ID_RE = re.compile(r"^[a-z][a-z0-9_-]*$")


# --------------------------------------------------------------------------- line locator
class _Lines:
    """Map key paths (``("kpis", 2, "curve", "full")``) to the line that defines them.

    tomllib gives no positions, so this scans headers and ``key =`` lines; it is only used
    to point at problems, never to read values.
    """

    _HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
    _KEY = re.compile(
        r'^\s*((?:"[^"]*"|\'[^\']*\'|[A-Za-z0-9_\-]+)(?:\s*\.\s*(?:"[^"]*"|\'[^\']*\'|[A-Za-z0-9_\-]+))*)\s*='
    )

    def __init__(self, text: str):
        self.lines: dict[tuple[Any, ...], int] = {}
        counts: dict[tuple[Any, ...], int] = {}
        header: tuple[Any, ...] = ()
        depth = 0  # bracket depth inside multi-line arrays / inline tables
        for number, line in enumerate(text.splitlines(), start=1):
            if depth == 0:
                match = self._HEADER.match(line)
                if match:
                    parts = self._resolve(self._split(match.group(2)), counts)
                    if match.group(1) == "[[":
                        key = tuple(parts)
                        counts[key] = counts.get(key, -1) + 1
                        parts = [*parts, counts[key]]
                    header = tuple(parts)
                    self._remember(header, number)
                    continue
                match = self._KEY.match(line)
                if match:
                    self._remember(header + tuple(self._split(match.group(1))), number)
            stripped = re.sub(
                r'"[^"]*"|\'[^\']*\'', "", line.split("#", 1)[0] if '"' not in line else line
            )
            depth = max(
                0,
                depth
                + stripped.count("[")
                + stripped.count("{")
                - stripped.count("]")
                - stripped.count("}"),
            )

    @staticmethod
    def _split(dotted: str) -> list[str]:
        return [p.strip().strip("\"'") for p in re.findall(r'"[^"]*"|\'[^\']*\'|[^.]+', dotted)]

    @staticmethod
    def _resolve(parts: list[str], counts: dict[tuple[Any, ...], int]) -> list[Any]:
        # [kpis.metric] after [[kpis]] means the last kpis element's metric.
        out: list[Any] = []
        for part in parts:
            out.append(part)
            if tuple(out) in counts and len(out) < len(parts):
                out.append(counts[tuple(out)])
        return out

    def _remember(self, path: tuple[Any, ...], number: int) -> None:
        for i in range(1, len(path) + 1):
            self.lines.setdefault(path[:i], number)

    def find(self, path: tuple[Any, ...]) -> int | None:
        for i in range(len(path), 0, -1):
            if path[:i] in self.lines:
                return self.lines[path[:i]]
        return None


def _key_text(path: tuple[Any, ...]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


class _Problems:
    """Collects every problem with its key and line."""

    def __init__(self, lines: _Lines):
        self.lines = lines
        self.items: list[str] = []

    def add(self, path: tuple[Any, ...], message: str) -> None:
        line = self.lines.find(path)
        where = f"{_key_text(path)} (line {line})" if line else _key_text(path)
        self.items.append(f"{where}: {message}")


def _is_number(value: Any) -> TypeGuard[int | float]:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


# --------------------------------------------------------------------------- public API
def list_presets() -> list[Rubric]:
    """Every rubric shipped in the package, sorted by id (the default first)."""
    folder = resources.files(PRESET_PACKAGE)
    rubrics = [
        load_rubric_text(entry.read_text(encoding="utf-8"), origin=f"preset:{entry.name[:-5]}")
        for entry in folder.iterdir()
        if entry.name.endswith(".toml")
    ]
    return sorted(rubrics, key=lambda r: (r.id != DEFAULT_RUBRIC, r.id))


def presets_document() -> list[dict[str, Any]]:
    """What ``svcqa rubric list`` shows: id, name, KPI count, max, description of every preset."""
    return [r.summary() for r in list_presets()]


def check_document(path: str | Path) -> dict[str, Any]:
    """What ``svcqa rubric check --format json`` prints for a valid file (errors raise RubricError)."""
    rubric = check_rubric_file(path)
    return {"valid": True, "path": str(path), **rubric.summary(), "sha256": rubric.sha256}


def preset_ids() -> list[str]:
    folder = resources.files(PRESET_PACKAGE)
    return sorted(entry.name[:-5] for entry in folder.iterdir() if entry.name.endswith(".toml"))


def load_rubric(ref: str | Path) -> Rubric:
    """Load a preset by id, or a rubric TOML file by path; raise ``RubricError`` listing every problem."""
    text_ref = str(ref)
    path = Path(text_ref)
    if not isinstance(ref, Path) and text_ref in preset_ids():
        entry = resources.files(PRESET_PACKAGE) / f"{text_ref}.toml"
        return load_rubric_text(entry.read_text(encoding="utf-8"), origin=f"preset:{text_ref}")
    if path.suffix.lower() == ".toml" or path.exists():
        return check_rubric_file(path)
    raise RubricError(
        f"rubric {text_ref!r} is neither a preset nor a .toml file; "
        f"presets: {', '.join(preset_ids())} (see `svcqa rubric list`)"
    )


def check_rubric_file(path: str | Path) -> Rubric:
    """Validate a rubric file as ``svcqa rubric check`` does; return it when valid."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RubricError(
            f"rubric file {path} does not exist; give a preset id or the path to a .toml file"
        ) from None
    except UnicodeDecodeError:
        raise RubricError(f"rubric file {path} is not UTF-8 text; save it as UTF-8") from None
    except OSError as exc:
        raise RubricError(f"cannot read rubric file {path}: {exc.strerror or exc}") from None
    return load_rubric_text(text, origin=str(path))


def load_rubric_text(text: str, *, origin: str = "<text>") -> Rubric:
    """Parse and validate rubric TOML text (as stored in the history store, for re-scoring)."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RubricError(
            f"rubric {origin} is not valid TOML: {exc}; fix the syntax at that line"
        ) from None
    problems = _Problems(_Lines(text))
    rubric = _build(doc, text, origin, problems)
    if problems.items or rubric is None:
        count = len(problems.items)
        raise RubricError(
            f"rubric {origin} has {count} problem{'s' if count != 1 else ''}; fix them and run `svcqa rubric check` again",
            reasons=problems.items,
        )
    return rubric


# --------------------------------------------------------------------------- validation
def _unknown_keys(
    section: Any, allowed: set[str], path: tuple[Any, ...], problems: _Problems
) -> None:
    if isinstance(section, dict):
        for key in section:
            if key not in allowed:
                problems.add(
                    path + (key,),
                    f"unknown key {key!r}; expected one of {', '.join(sorted(allowed))}",
                )


def _number(
    section: dict[str, Any],
    key: str,
    path: tuple[Any, ...],
    problems: _Problems,
    *,
    default: Any = None,
    required: bool = False,
) -> Any:
    if key not in section:
        if required:
            problems.add(path + (key,), "is missing; give a number")
        return default
    value = section[key]
    if not _is_number(value):
        problems.add(path + (key,), f"must be a number, found {value!r}")
        return default
    return float(value)


def _string(
    section: dict[str, Any],
    key: str,
    path: tuple[Any, ...],
    problems: _Problems,
    *,
    default: str = "",
    required: bool = False,
) -> str:
    if key not in section:
        if required:
            problems.add(path + (key,), "is missing; give a text value")
        return default
    value = section[key]
    if not isinstance(value, str) or (required and not value.strip()):
        problems.add(path + (key,), f"must be a non-empty text value, found {value!r}")
        return default
    return value


def _bool(
    section: dict[str, Any], key: str, path: tuple[Any, ...], problems: _Problems, default: bool
) -> bool:
    value = section.get(key, default)
    if not isinstance(value, bool):
        problems.add(path + (key,), f"must be true or false, found {value!r}")
        return default
    return value


def _table(
    section: dict[str, Any], key: str, path: tuple[Any, ...], problems: _Problems
) -> dict[str, Any]:
    value = section.get(key, {})
    if not isinstance(value, dict):
        problems.add(path + (key,), f"must be a table ([{key}]), found {type(value).__name__}")
        return {}
    return value


def _array_of_tables(doc: dict[str, Any], key: str, problems: _Problems) -> list[dict[str, Any]]:
    value = doc.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        problems.add((key,), f"must be an array of tables ([[{key}]])")
        return []
    return value


def _build(doc: dict[str, Any], text: str, origin: str, problems: _Problems) -> Rubric | None:
    _unknown_keys(doc, _TOP_KEYS, (), problems)
    rubric_id = _string(doc, "id", (), problems, required=True)
    if rubric_id and not _ID_RE.match(rubric_id):
        problems.add(
            ("id",),
            f"{rubric_id!r} must be lower-case letters, digits, '-' or '_' (e.g. my-rubric)",
        )
    name = _string(doc, "name", (), problems, required=True)
    max_points = _number(doc, "max", (), problems, required=True)
    if max_points is not None and max_points <= 0:
        problems.add(("max",), f"must be above 0, found {max_points:g}")
    default_empty = _string(doc, "when_empty", (), problems, default="full")
    if default_empty not in WHEN_EMPTY:
        problems.add(("when_empty",), f"{default_empty!r} is not one of {', '.join(WHEN_EMPTY)}")
        default_empty = "full"
    grace = doc.get("grace_months", 1)
    if not isinstance(grace, int) or isinstance(grace, bool) or grace < 0:
        problems.add(("grace_months",), f"must be a whole number ≥ 0, found {grace!r}")
        grace = 1

    extra_columns = _extra_columns(doc, problems)

    known_columns = _Schema(extra_columns)

    kpis = _kpis(doc, default_empty, known_columns, problems)
    # Add up every KPI's points as written, including KPIs with other problems.
    raw_points = (
        [k.get("points") for k in doc.get("kpis", []) if isinstance(k, dict)]
        if isinstance(doc.get("kpis"), list)
        else []
    )
    total = sum(p for p in raw_points if _is_number(p))
    if max_points is not None and raw_points and not math.isclose(total, max_points, abs_tol=1e-9):
        problems.add(
            ("kpis",),
            f"KPI points add up to {total:g} but max is {max_points:g}; make the points add up to max",
        )

    grades = _grades(doc, max_points, problems)
    rect = _table(doc, "rectification", (), problems)
    _unknown_keys(
        rect,
        {"last_place", "failing_grades", "contract_review_after"},
        ("rectification",),
        problems,
    )
    failing = rect.get("failing_grades", [grades[-1].name] if grades else [])
    if not isinstance(failing, list) or not all(isinstance(f, str) for f in failing):
        problems.add(("rectification", "failing_grades"), "must be a list of grade names")
        failing = []
    for grade_name in failing:
        if grades and grade_name not in {g.name for g in grades}:
            problems.add(
                ("rectification", "failing_grades"),
                f"{grade_name!r} is not one of the [[grades]] names",
            )
    review = rect.get("contract_review_after", 3)
    if not isinstance(review, int) or isinstance(review, bool) or review < 0:
        problems.add(
            ("rectification", "contract_review_after"),
            f"must be a whole number ≥ 0 (0 = never), found {review!r}",
        )
        review = 3

    inc = _table(doc, "incentives", (), problems)
    _unknown_keys(inc, {"enabled", "table", "column"}, ("incentives",), problems)
    incentives = Incentives(
        enabled=_bool(inc, "enabled", ("incentives",), problems, True),
        table=_string(inc, "table", ("incentives",), problems, default="incentives"),
        column=_string(inc, "column", ("incentives",), problems, default="points"),
    )
    if incentives.enabled:
        if incentives.table not in TABLES:
            problems.add(
                ("incentives", "table"),
                f"unknown table {incentives.table!r}; known: {', '.join(TABLES)}",
            )
        elif incentives.column not in known_columns(incentives.table):
            problems.add(
                ("incentives", "column"),
                f"unknown column {incentives.column!r} of table {incentives.table}",
            )

    vetoes = _vetoes(doc, known_columns, problems)
    aliases = _aliases(doc, known_columns, problems)
    sheet_aliases = _sheet_aliases(doc, problems)

    if problems.items or max_points is None or not grades:
        if not grades and not any(p.startswith("grades") for p in problems.items):
            problems.add(("grades",), "no [[grades]]; give at least one grade band")
        return None
    return Rubric(
        id=rubric_id,
        name=name,
        max=max_points,
        kpis=tuple(kpis),
        grades=tuple(grades),
        source_text=text,
        origin=origin,
        description=_string(doc, "description", (), problems),
        incentives=incentives,
        vetoes=tuple(vetoes),
        failing_grades=tuple(failing),
        rectify_last_place=_bool(rect, "last_place", ("rectification",), problems, True),
        contract_review_after=review,
        grace_months=grace,
        extra_columns=extra_columns,
        aliases=aliases,
        sheet_aliases=sheet_aliases,
    )


def _extra_columns(doc: dict[str, Any], problems: _Problems) -> dict[str, list[Column]]:
    out: dict[str, list[Column]] = {}
    section = _table(doc, "columns", (), problems)
    for table, columns in section.items():
        path = ("columns", table)
        if table not in TABLES:
            problems.add(path, f"unknown table {table!r}; known: {', '.join(TABLES)}")
            continue
        if not isinstance(columns, dict):
            problems.add(path, "must be a table of columns ([columns.TABLE.NAME])")
            continue
        canonical = {c.name for c in TABLES[table].columns}
        for name, spec in columns.items():
            cpath = path + (name,)
            if not isinstance(spec, dict):
                problems.add(cpath, "must be a table with type, aliases, label")
                continue
            _unknown_keys(spec, {"type", "aliases", "label"}, cpath, problems)
            if name in canonical or name in {"branch_key", "_file", "_sheet", "_row"}:
                problems.add(
                    cpath,
                    f"{name!r} is already a canonical column of {table}; add header spellings under [aliases.{table}] instead",
                )
                continue
            if not re.match(r"^[a-z][a-z0-9_]*$", name):
                problems.add(
                    cpath, f"column name {name!r} must be lower-case letters, digits and '_'"
                )
                continue
            ctype = spec.get("type")
            if ctype not in EXTRA_COLUMN_TYPES:
                problems.add(
                    cpath + ("type",), f"{ctype!r} is not one of {', '.join(EXTRA_COLUMN_TYPES)}"
                )
                continue
            names = spec.get("aliases", [])
            if not isinstance(names, list) or not all(isinstance(a, str) for a in names):
                problems.add(cpath + ("aliases",), "must be a list of header spellings")
                names = []
            label = spec.get("label", name)
            out.setdefault(table, []).append(
                Column(name, ctype, tuple(dict.fromkeys([*names, name])), str(label))
            )
    return out


def _filters(
    raw: Any, table: str, known: set[str], path: tuple[Any, ...], problems: _Problems
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


def _metric(raw: Any, path: tuple[Any, ...], known_columns, problems: _Problems) -> Metric | None:
    if not isinstance(raw, dict):
        problems.add(path, "is missing; give a [kpis.metric] table with kind = ...")
        return None
    _unknown_keys(raw, _METRIC_KEYS, path, problems)
    kind = raw.get("kind")
    if kind not in METRIC_KINDS:
        problems.add(
            path + ("kind",), f"unknown metric kind {kind!r}; known: {', '.join(METRIC_KINDS)}"
        )
        return None
    spec = METRIC_KINDS[kind]
    table = raw.get("table", spec["table"])
    if not isinstance(table, str) or table not in TABLES:
        problems.add(path + ("table",), f"unknown table {table!r}; known: {', '.join(TABLES)}")
        return None
    known = known_columns(table)
    ok = True

    column = raw.get("column", "rating" if kind == "rating_mean" else None)
    if kind in COLUMN_KINDS and not column:
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
    for need in spec["needs"]:
        if need not in known:
            problems.add(
                path + ("table",),
                f"metric kind {kind} needs column {need!r}, which table {table} does not have",
            )
            ok = False
    filters = _filters(raw.get("filter"), table, known, path + ("filter",), problems)

    days = _number(raw, "days", path, problems, required=kind == "overdue_share")
    threshold = _number(raw, "threshold", path, problems, required=kind == "share_over")
    op = raw.get("op", ">")
    if op not in COMPARISONS:
        problems.add(path + ("op",), f"{op!r} is not one of {' '.join(COMPARISONS)}")
        op = ">"
    qtd = _bool(raw, "quarter_to_date", path, problems, False)
    if qtd and not spec["rate"]:
        problems.add(
            path + ("quarter_to_date",),
            f"only rate metrics can be scored quarter to date, not {kind}",
        )
    window = _number(raw, "window_days", path, problems, default=90.0)
    if window is not None and window <= 0:
        problems.add(path + ("window_days",), "must be above 0")

    weight_column = raw.get("weight_column")
    if weight_column is not None and weight_column not in known:
        problems.add(
            path + ("weight_column",), f"unknown column {weight_column!r} of table {table}"
        )
        ok = False
    weights_raw = raw.get("weights", {})
    weights: list[tuple[str, float]] = []
    if not isinstance(weights_raw, dict) or not all(_is_number(v) for v in weights_raw.values()):
        problems.add(path + ("weights",), "must be a table of value = weight numbers")
    else:
        weights = [(str(k), float(v)) for k, v in weights_raw.items()]
        if weights and not weight_column:
            problems.add(
                path + ("weights",),
                'needs weight_column = "..." naming the column the weights apply to',
            )
    default_weight = _number(raw, "default_weight", path, problems, default=1.0)
    points_column = raw.get("points_column")
    if points_column is not None and points_column not in known:
        problems.add(
            path + ("points_column",), f"unknown column {points_column!r} of table {table}"
        )
        ok = False
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
    if not ok:
        return None
    return Metric(
        kind=kind,
        table=table,
        column=column,
        filter=filters,
        days=days,
        threshold=threshold,
        op=op,
        quarter_to_date=qtd,
        window_days=window if window and window > 0 else 90.0,
        weight_column=weight_column,
        weights=tuple(weights),
        default_weight=default_weight if default_weight is not None else 1.0,
        points_column=points_column,
        basis_table="tickets",
    )


class _Schema:
    """Canonical plus declared columns, as the rubric being loaded sees them."""

    def __init__(self, extra_columns: dict[str, list[Column]]):
        self.extra = extra_columns

    def __call__(self, table: str) -> set[str]:
        base = {c.name for c in TABLES[table].columns} if table in TABLES else set()
        return base | {c.name for c in self.extra.get(table, [])}

    def type(self, table: str, column: str) -> str | None:
        columns = [*(TABLES[table].columns if table in TABLES else ()), *self.extra.get(table, [])]
        return next((c.type for c in columns if c.name == column), None)


def _curve(
    raw: Any, points: float | None, path: tuple[Any, ...], problems: _Problems
) -> Curve | None:
    if not isinstance(raw, dict):
        problems.add(path, "is missing; give a [kpis.curve] table with kind = ...")
        return None
    _unknown_keys(raw, _CURVE_KEYS, path, problems)
    kind = raw.get("kind")
    if kind not in CURVE_KINDS:
        problems.add(
            path + ("kind",), f"unknown curve kind {kind!r}; known: {', '.join(CURVE_KINDS)}"
        )
        return None
    better = raw.get("better")
    if better is not None and better not in {"lower", "higher"}:
        problems.add(path + ("better",), f'must be "lower" or "higher", found {better!r}')
        better = None
    if kind == "linear":
        full = _number(raw, "full", path, problems, required=True)
        zero = _number(raw, "zero", path, problems, required=True)
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
    if kind == "deduct":
        per = _number(raw, "per", path, problems, default=1.0)
        if per is not None and per < 0:
            problems.add(path + ("per",), "must be ≥ 0 (points off per unit)")
        return Curve("deduct", per=per if per is not None else 1.0)
    if kind == "rating":
        scale = _number(raw, "scale_max", path, problems, default=points)
        if scale is not None and scale <= 0:
            problems.add(path + ("scale_max",), "must be above 0")
            return None
        return Curve("rating", scale_max=scale)
    if kind == "ratio":
        return Curve("ratio", invert=_bool(raw, "invert", path, problems, False))
    # bands
    better = better or "lower"
    raw_bands = raw.get("bands")
    if not isinstance(raw_bands, list) or not raw_bands:
        problems.add(
            path + ("bands",), "must be a list of [limit, points] pairs, e.g. [[0.05, 5], [0.1, 2]]"
        )
        return None
    bands: list[tuple[float, float]] = []
    for i, band in enumerate(raw_bands):
        if not (isinstance(band, list) and len(band) == 2 and all(_is_number(x) for x in band)):
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
    otherwise = _number(raw, "otherwise", path, problems, default=0.0) or 0.0
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


def _kpis(doc: dict[str, Any], default_empty: str, known_columns, problems: _Problems) -> list[Kpi]:
    raw = _array_of_tables(doc, "kpis", problems)
    if not raw:
        problems.add(("kpis",), "no [[kpis]]; a rubric needs at least one KPI")
    out: list[Kpi] = []
    seen: dict[str, int] = {}
    for i, item in enumerate(raw):
        path = ("kpis", i)
        _unknown_keys(item, _KPI_KEYS, path, problems)
        kpi_id = _string(item, "id", path, problems, required=True)
        if kpi_id and not _ID_RE.match(kpi_id):
            problems.add(
                path + ("id",), f"{kpi_id!r} must be lower-case letters, digits, '-' or '_'"
            )
        if kpi_id in seen:
            problems.add(
                path + ("id",),
                f"duplicate KPI id {kpi_id!r} (also kpis[{seen[kpi_id]}]); ids must be unique",
            )
        seen.setdefault(kpi_id, i)
        label = _string(item, "label", path, problems, required=True)
        points = _number(item, "points", path, problems, required=True)
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
                label_en=str(item.get("label_en", "")),
            )
        )
    return out


def _grades(doc: dict[str, Any], max_points: float | None, problems: _Problems) -> list[Grade]:
    raw = _array_of_tables(doc, "grades", problems)
    grades: list[Grade] = []
    seen: set[str] = set()
    for i, item in enumerate(raw):
        path = ("grades", i)
        _unknown_keys(item, {"name", "min", "coefficient"}, path, problems)
        name = _string(item, "name", path, problems, required=True)
        if name in seen:
            problems.add(path + ("name",), f"duplicate grade {name!r}")
        seen.add(name)
        low = _number(item, "min", path, problems, required=True)
        coefficient = _number(item, "coefficient", path, problems, required=True)
        if coefficient is not None and coefficient < 0:
            problems.add(path + ("coefficient",), "must be ≥ 0")
        if name and low is not None and coefficient is not None:
            grades.append(Grade(name, low, coefficient))
    mins = [g.min for g in grades]
    if (
        len(grades) == len(raw)
        and mins != sorted(mins, reverse=True)
        or len(set(mins)) != len(mins)
    ):
        problems.add(
            ("grades",),
            f"thresholds in the wrong order: grades go best first with strictly decreasing min, found {mins}",
        )
    if grades and grades[-1].min > 0:
        problems.add(
            ("grades", len(raw) - 1, "min"),
            f"the lowest grade must start at 0 so every total gets a grade, found {grades[-1].min:g}",
        )
    if max_points is not None and any(m > max_points for m in mins):
        problems.add(("grades",), f"a grade min is above max ({max_points:g})")
    return grades


def _vetoes(doc: dict[str, Any], known_columns, problems: _Problems) -> list[VetoRule]:
    out = []
    seen: set[str] = set()
    for i, item in enumerate(_array_of_tables(doc, "vetoes", problems)):
        path = ("vetoes", i)
        _unknown_keys(item, {"id", "label", "table", "column", "at_least"}, path, problems)
        veto_id = _string(item, "id", path, problems, required=True)
        if veto_id in seen:
            problems.add(path + ("id",), f"duplicate veto id {veto_id!r}")
        seen.add(veto_id)
        table = item.get("table", "scores")
        if table not in TABLES:
            problems.add(path + ("table",), f"unknown table {table!r}; known: {', '.join(TABLES)}")
            continue
        column = item.get("column")
        if column is not None and column not in known_columns(table):
            problems.add(
                path + ("column",),
                f"unknown column {column!r} of table {table}; declare it under [columns.{table}.NAME]",
            )
            continue
        at_least = _number(item, "at_least", path, problems, required=True)
        if at_least is None:
            continue
        out.append(
            VetoRule(
                veto_id,
                _string(item, "label", path, problems, default=veto_id),
                table,
                column,
                at_least,
            )
        )
    return out


def _aliases(
    doc: dict[str, Any], known_columns, problems: _Problems
) -> dict[str, dict[str, list[str]]]:
    out: dict[str, dict[str, list[str]]] = {}
    for table, columns in _table(doc, "aliases", (), problems).items():
        if table not in TABLES:
            problems.add(("aliases", table), f"unknown table {table!r}; known: {', '.join(TABLES)}")
            continue
        if not isinstance(columns, dict):
            problems.add(("aliases", table), 'must be a table of COLUMN = ["header", ...]')
            continue
        for column, names in columns.items():
            if column not in known_columns(table):
                problems.add(
                    ("aliases", table, column), f"unknown column {column!r} of table {table}"
                )
                continue
            if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
                problems.add(("aliases", table, column), "must be a list of header spellings")
                continue
            out.setdefault(table, {})[column] = list(names)
    return out


def _sheet_aliases(doc: dict[str, Any], problems: _Problems) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for table, names in _table(doc, "sheet_aliases", (), problems).items():
        if table not in TABLES:
            problems.add(
                ("sheet_aliases", table), f"unknown table {table!r}; known: {', '.join(TABLES)}"
            )
        elif not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            problems.add(("sheet_aliases", table), "must be a list of sheet names")
        else:
            out[table] = list(names)
    return out
