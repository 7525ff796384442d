"""Loading and validating rubric TOML files (never executing anything: ``tomllib`` only).

Every problem in a file is collected, each with its key and line, and reported together in one
``RubricError`` so a user fixes the file in one pass. This module reads the rubric as a whole and
its top-level sections; ``kpis`` reads the [[kpis]] with their metrics and curves, ``problems``
collects the problems and reads typed values, ``positions`` finds the line of a key.

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
    [tables.NAME]               label, sheets, month_column, id_column, layout, key_columns
    [aliases.TABLE]             COLUMN = ["header", ...]  (extra header spellings)
    [sheet_aliases]             TABLE = ["sheet name", ...]
    [bounds.TABLE]              COLUMN = [low, high]      (a value outside: out-of-range)
    [limits]                    max_days_after_month = 366
"""

from __future__ import annotations

import math
import re
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

import svcqa.rubric.spec as spec
from svcqa import settings, toml_text
from svcqa.errors import RubricError
from svcqa.labels import LANGUAGES
from svcqa.rubric import bounds
from svcqa.rubric.kpis import KnownColumns, read_kpis
from svcqa.rubric.model import (
    EXTRA_COLUMN_TYPES,
    WHEN_EMPTY,
    Appeals,
    Grade,
    Incentives,
    Rubric,
    VetoRule,
)
from svcqa.rubric.period import read_period
from svcqa.rubric.positions import KeyLines
from svcqa.rubric.problems import (
    ID_RE,
    Problems,
    is_number,
    read_array_of_tables,
    read_bool,
    read_number,
    read_section,
    read_text,
    unknown_keys,
)
from svcqa.rubric.tables import declared_table_names, read_tables
from svcqa.schema import TABLES, Column

DEFAULT_RUBRIC = settings.RUBRIC
PRESET_PACKAGE = "svcqa.rubric.presets"

# The keys each section accepts come from the declarations docs/rubric.md is generated from.
_TOP_KEYS = spec.top_level_keys()


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


def load_rubric(ref: str | Path | Rubric) -> Rubric:
    """Load a preset by id, or a rubric TOML file by path (a loaded ``Rubric`` is returned as it
    is, so every job takes either); raise ``RubricError`` listing every problem."""
    if isinstance(ref, Rubric):
        return ref
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
        doc = toml_text.loads(text)
    except toml_text.TooDeeplyNested as exc:
        raise RubricError(
            f"rubric {origin} has arrays or tables {exc}; a rubric needs a few levels: "
            "fix or replace the file"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise RubricError(
            f"rubric {origin} is not valid TOML: {exc}; fix the syntax at that line"
        ) from None
    problems = Problems(KeyLines(text))
    rubric = _build(doc, text, origin, problems)
    if problems.items or rubric is None:
        count = len(problems.items)
        raise RubricError(
            f"rubric {origin} has {count} problem{'s' if count != 1 else ''}; fix them and run `svcqa rubric check` again",
            reasons=problems.items,
        )
    return rubric


# --------------------------------------------------------------------------- validation
def _build(doc: dict[str, Any], text: str, origin: str, problems: Problems) -> Rubric | None:
    """The rubric, or None when it has problems (each recorded in ``problems``, in file order)."""
    unknown_keys(doc, _TOP_KEYS, (), problems)
    rubric_id, name, max_points, default_empty, grace = _top_level(doc, problems)
    extra_columns = _extra_columns(doc, declared_table_names(doc, problems), problems)
    tables = read_tables(doc, extra_columns, problems)
    known_columns = KnownColumns(extra_columns, tables)
    kpis = read_kpis(doc, default_empty, known_columns, problems)
    _check_points_add_up(doc, max_points, problems)
    grades = _grades(doc, max_points, problems)
    rect, failing, review = _rectification(doc, grades, problems)
    incentives = _incentives(doc, known_columns, problems)
    appeals = _appeals(doc, problems)
    vetoes = _vetoes(doc, known_columns, problems)
    aliases = _aliases(doc, known_columns, problems)
    sheet_aliases = _sheet_aliases(doc, known_columns, problems)
    period = read_period(doc, known_columns, problems)
    language = _language(doc, problems)
    explicit_bounds = bounds.read_bounds(doc, known_columns, problems)
    max_days = bounds.read_limits(doc, problems, spec.section("[limits]").key_names)

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
        description=read_text(doc, "description", (), problems),
        name_en=read_text(doc, "name_en", (), problems),
        language=language,
        incentives=incentives,
        vetoes=tuple(vetoes),
        failing_grades=tuple(failing),
        rectify_last_place=read_bool(rect, "last_place", ("rectification",), problems, True),
        contract_review_after=review,
        grace_months=grace,
        appeals=appeals,
        extra_columns=extra_columns,
        declared_tables=tables,
        aliases=aliases,
        sheet_aliases=sheet_aliases,
        period=period,
        **_date_reading(doc, problems),
        bounds=bounds.with_defaults(explicit_bounds, kpis, incentives, max_points, extra_columns),
        max_days_after_month=max_days,
    )


def _date_reading(doc: dict[str, Any], problems: Problems) -> dict[str, str]:
    """``timezone`` (an IANA name, checked with zoneinfo) and ``date_order``."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    zone = read_text(doc, "timezone", (), problems, default="Asia/Shanghai")
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        problems.add(
            ("timezone",),
            f"{zone!r} is not a known time zone; give an IANA name such as "
            '"Asia/Shanghai", "Europe/London" or "UTC"',
        )
        zone = "Asia/Shanghai"
    order = read_text(doc, "date_order", (), problems, default="ymd")
    if order not in ("ymd", "mdy", "dmy"):
        problems.add(("date_order",), f'{order!r} is not one of "ymd", "mdy", "dmy"')
        order = "ymd"
    return {"timezone": zone, "date_order": order}


def _top_level(doc: dict[str, Any], problems: Problems) -> tuple[str, str, float | None, str, int]:
    """id, name, max, the default when_empty and grace_months."""
    rubric_id = read_text(doc, "id", (), problems, required=True)
    if rubric_id and not ID_RE.match(rubric_id):
        problems.add(
            ("id",),
            f"{rubric_id!r} must be lower-case letters, digits, '-' or '_' (e.g. my-rubric)",
        )
    name = read_text(doc, "name", (), problems, required=True)
    max_points = read_number(doc, "max", (), problems, required=True)
    if max_points is not None and max_points <= 0:
        problems.add(("max",), f"must be above 0, found {max_points:g}")
    default_empty = read_text(doc, "when_empty", (), problems, default="full")
    if default_empty not in WHEN_EMPTY:
        problems.add(("when_empty",), f"{default_empty!r} is not one of {', '.join(WHEN_EMPTY)}")
        default_empty = "full"
    grace = doc.get("grace_months", 1)
    if not isinstance(grace, int) or isinstance(grace, bool) or grace < 0:
        problems.add(("grace_months",), f"must be a whole number ≥ 0, found {grace!r}")
        grace = 1
    return rubric_id, name, max_points, default_empty, grace


def _language(doc: dict[str, Any], problems: Problems) -> str:
    """The outputs' language: one of ``LANGUAGES`` (default zh, as the presets)."""
    language = read_text(doc, "language", (), problems, default="zh")
    if language not in LANGUAGES:
        problems.add(("language",), f"{language!r} is not one of {', '.join(LANGUAGES)}")
        return "zh"
    return language


def _check_points_add_up(doc: dict[str, Any], max_points: float | None, problems: Problems) -> None:
    """Add up every KPI's points as written, including KPIs with other problems."""
    raw_points = (
        [k.get("points") for k in doc.get("kpis", []) if isinstance(k, dict)]
        if isinstance(doc.get("kpis"), list)
        else []
    )
    total = sum(p for p in raw_points if is_number(p))
    if max_points is not None and raw_points and not math.isclose(total, max_points, abs_tol=1e-9):
        problems.add(
            ("kpis",),
            f"KPI points add up to {total:g} but max is {max_points:g}; make the points add up to max",
        )


def _appeals(doc: dict[str, Any], problems: Problems) -> Appeals:
    """The [appeals] section: the appeal window in days and the most appeals per branch."""
    section = read_section(doc, "appeals", (), problems)
    unknown_keys(section, spec.section("[appeals]").key_names, ("appeals",), problems)
    values = {}
    for key, default in (("window_days", 10), ("max_per_branch", 0)):
        value = section.get(key, default)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            problems.add(("appeals", key), f"must be a whole number ≥ 0, found {value!r}")
            value = default
        values[key] = value
    return Appeals(**values)


def _rectification(
    doc: dict[str, Any], grades: list[Grade], problems: Problems
) -> tuple[dict[str, Any], list[str], int]:
    """The [rectification] section, its failing grades and contract_review_after."""
    rect = read_section(doc, "rectification", (), problems)
    unknown_keys(
        rect,
        spec.section("[rectification]").key_names,
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
    return rect, failing, review


def _incentives(doc: dict[str, Any], known_columns: KnownColumns, problems: Problems) -> Incentives:
    inc = read_section(doc, "incentives", (), problems)
    unknown_keys(inc, spec.section("[incentives]").key_names, ("incentives",), problems)
    incentives = Incentives(
        enabled=read_bool(inc, "enabled", ("incentives",), problems, True),
        table=read_text(inc, "table", ("incentives",), problems, default="incentives"),
        column=read_text(inc, "column", ("incentives",), problems, default="points"),
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
    return incentives


def _extra_columns(
    doc: dict[str, Any], declared: set[str], problems: Problems
) -> dict[str, list[Column]]:
    out: dict[str, list[Column]] = {}
    section = read_section(doc, "columns", (), problems)
    column_keys = spec.section("[columns.TABLE.NAME]").key_names
    for table, columns in section.items():
        path = ("columns", table)
        if table not in TABLES and table not in declared:
            problems.add(
                path,
                f"unknown table {table!r}; known: {', '.join([*TABLES, *sorted(declared)])} "
                f"(a table of your own is declared under [tables.{table}])",
            )
            continue
        if not isinstance(columns, dict):
            problems.add(path, "must be a table of columns ([columns.TABLE.NAME])")
            continue
        canonical = {c.name for c in TABLES[table].columns} if table in TABLES else {"branch"}
        for name, entry in columns.items():
            cpath = path + (name,)
            if not isinstance(entry, dict):
                problems.add(cpath, "must be a table with type, aliases, label")
                continue
            unknown_keys(entry, column_keys, cpath, problems)
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
            ctype = entry.get("type")
            if ctype not in EXTRA_COLUMN_TYPES:
                problems.add(
                    cpath + ("type",), f"{ctype!r} is not one of {', '.join(EXTRA_COLUMN_TYPES)}"
                )
                continue
            names = entry.get("aliases", [])
            if not isinstance(names, list) or not all(isinstance(a, str) for a in names):
                problems.add(cpath + ("aliases",), "must be a list of header spellings")
                names = []
            label = entry.get("label", name)
            out.setdefault(table, []).append(
                Column(name, ctype, tuple(dict.fromkeys([*names, name])), str(label))
            )
    return out


def _grades(doc: dict[str, Any], max_points: float | None, problems: Problems) -> list[Grade]:
    raw = read_array_of_tables(doc, "grades", problems)
    grades: list[Grade] = []
    seen: set[str] = set()
    for i, item in enumerate(raw):
        path = ("grades", i)
        unknown_keys(item, spec.section("[[grades]]").key_names, path, problems)
        name = read_text(item, "name", path, problems, required=True)
        if name in seen:
            problems.add(path + ("name",), f"duplicate grade {name!r}")
        seen.add(name)
        low = read_number(item, "min", path, problems, required=True)
        coefficient = read_number(item, "coefficient", path, problems, required=True)
        if coefficient is not None and coefficient < 0:
            problems.add(path + ("coefficient",), "must be ≥ 0")
        if name and low is not None and coefficient is not None:
            grades.append(
                Grade(name, low, coefficient, read_text(item, "label_en", path, problems))
            )
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


def _vetoes(doc: dict[str, Any], known_columns: KnownColumns, problems: Problems) -> list[VetoRule]:
    out = []
    seen: set[str] = set()
    for i, item in enumerate(read_array_of_tables(doc, "vetoes", problems)):
        path = ("vetoes", i)
        unknown_keys(item, spec.section("[[vetoes]]").key_names, path, problems)
        veto_id = read_text(item, "id", path, problems, required=True)
        if veto_id in seen:
            problems.add(path + ("id",), f"duplicate veto id {veto_id!r}")
        seen.add(veto_id)
        table = item.get("table", "scores")
        if not known_columns.has(table):
            problems.add(
                path + ("table",), f"unknown table {table!r}; known: {known_columns.names()}"
            )
            continue
        column = item.get("column")
        if column is not None and column not in known_columns(table):
            problems.add(
                path + ("column",),
                f"unknown column {column!r} of table {table}; declare it under [columns.{table}.NAME]",
            )
            continue
        at_least = read_number(item, "at_least", path, problems, required=True)
        if at_least is None:
            continue
        out.append(
            VetoRule(
                veto_id,
                read_text(item, "label", path, problems, default=veto_id),
                table,
                column,
                at_least,
            )
        )
    return out


def _aliases(
    doc: dict[str, Any], known_columns: KnownColumns, problems: Problems
) -> dict[str, dict[str, list[str]]]:
    out: dict[str, dict[str, list[str]]] = {}
    for table, columns in read_section(doc, "aliases", (), problems).items():
        if not known_columns.has(table):
            problems.add(
                ("aliases", table), f"unknown table {table!r}; known: {known_columns.names()}"
            )
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
            if isinstance(names, dict):  # a date + time pair (svcqa.ingest.joined)
                _date_time_alias(table, column, names, known_columns, out, problems)
                continue
            if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
                problems.add(("aliases", table, column), "must be a list of header spellings")
                continue
            out.setdefault(table, {})[column] = list(names)
    return out


def _date_time_alias(
    table: str, column: str, names: dict[str, Any], known_columns: KnownColumns,
    out: dict[str, dict[str, list[str]]], problems: Problems,
) -> None:  # fmt: skip
    """``COLUMN = { date = [...], time = [...] }``: passed on as ``COLUMN`` (the date headers)
    and ``COLUMN@time`` (the time headers), the form ingest takes."""
    where = ("aliases", table, column)
    if known_columns.type(table, column) not in {"datetime", "date"}:
        problems.add(
            where, f"{table}.{column} is not a datetime column; only those join a date and a time"
        )
        return
    if set(names) != {"date", "time"} or not all(
        isinstance(v, list) and v and all(isinstance(n, str) for n in v) for v in names.values()
    ):
        problems.add(
            where, 'must be { date = ["Date"], time = ["Time"] } (header spellings of each part)'
        )
        return
    out.setdefault(table, {})[column] = list(names["date"])
    out[table][column + "@time"] = list(names["time"])


def _sheet_aliases(
    doc: dict[str, Any], known_columns: KnownColumns, problems: Problems
) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for table, names in read_section(doc, "sheet_aliases", (), problems).items():
        if not known_columns.has(table):
            problems.add(
                ("sheet_aliases", table), f"unknown table {table!r}; known: {known_columns.names()}"
            )
        elif not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            problems.add(("sheet_aliases", table), "must be a list of sheet names")
        else:
            out[table] = list(names)
    return out
