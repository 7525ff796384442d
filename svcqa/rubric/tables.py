"""``[tables.NAME]``: declared tables (a table of one's own) and wide layouts (a 考勤表).

A declared table is a ``schema.Table`` built here from the rubric: a branch column (the branch
is what is scored) plus the columns declared under ``[columns.NAME.COLUMN]``; a canonical table
may only change its layout. Ingest receives the finished ``Table`` objects (it never imports the
rubric), so a declared table is read, accounted and rejected like a canonical one.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import replace
from typing import Any

import svcqa.rubric.spec as spec
from svcqa.rubric.problems import Problems, read_section, read_text, unknown_keys
from svcqa.schema import TABLES, Column, Table

LAYOUTS = ("long", "wide")
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_LAYOUT_KEYS = {"layout", "key_columns", "value_column"}
_BRANCH = TABLES["tickets"].column("branch")


def declared_table_names(doc: dict[str, Any], problems: Problems) -> set[str]:
    """The names of ``[tables.NAME]`` that are new tables (valid names only)."""
    names = set()
    for name in read_section(doc, "tables", (), problems):
        if name in TABLES:
            continue
        if not _NAME.match(name):
            problems.add(
                ("tables", name), f"table name {name!r} must be lower-case letters, digits and '_'"
            )
            continue
        names.add(name)
    return names


def read_tables(
    doc: dict[str, Any], extra_columns: dict[str, list[Column]], problems: Problems
) -> dict[str, Table]:
    """Each ``[tables.NAME]`` as a finished table: declared ones, and canonical ones re-laid-out."""
    out: dict[str, Table] = {}
    keys = spec.section("[tables.NAME]").key_names
    for name, raw in read_section(doc, "tables", (), problems).items():
        path = ("tables", name)
        if not isinstance(raw, dict):
            problems.add(path, "must be a table of keys ([tables.NAME] label = ..., sheets = ...)")
            continue
        unknown_keys(raw, keys, path, problems)
        table: Table | None
        if name in TABLES:
            for key in sorted(set(raw) - _LAYOUT_KEYS - {"label"} & keys):
                problems.add(
                    path + (key,),
                    f"{name} is a canonical table: only layout, key_columns and value_column "
                    f"apply to it (sheet names go under [sheet_aliases])",
                )
            table = TABLES[name]
            extra = [c for c in extra_columns.get(name, []) if c.name not in table.column_names()]
            table = replace(table, columns=(*table.columns, *extra))
        elif _NAME.match(name):
            table = _declared(name, raw, extra_columns.get(name, []), path, problems)
        else:
            continue  # its name was reported by declared_table_names
        if table is None:
            continue
        table = _layout(table, raw, path, problems)
        if table is not None:
            out[name] = table
    return out


def _declared(
    name: str, raw: dict[str, Any], columns: list[Column], path: tuple[Any, ...],
    problems: Problems,
) -> Table | None:  # fmt: skip
    """A table of one's own: a branch column plus its declared columns."""
    label = read_text(raw, "label", path, problems, default=name)
    sheets = raw.get("sheets", [name, label])
    if isinstance(sheets, str):
        sheets = [sheets]
    if not isinstance(sheets, list) or not sheets or not all(isinstance(s, str) for s in sheets):
        problems.add(
            path + ("sheets",), 'must be a list of sheet names, e.g. ["通话明细", "calls"]'
        )
        sheets = [name]
    table = Table(name, label, tuple(dict.fromkeys(sheets)), (_BRANCH, *columns), ("branch",))
    month = _column_key(table, raw, "month_column", path, problems, {"date", "datetime"})
    id_column = _column_key(table, raw, "id_column", path, problems, {"text"})
    required = ("branch", month) if month else ("branch",)
    return replace(table, month_column=month, id_column=id_column, required=required)


def _column_key(
    table: Table, raw: dict[str, Any], key: str, path: tuple[Any, ...], problems: Problems,
    types: set[str],
) -> str | None:  # fmt: skip
    """A key naming one of the table's columns of one of ``types`` (None when absent or bad)."""
    if key not in raw:
        return None
    column = resolve_column(table, raw[key])
    if column is None:
        problems.add(
            path + (key,),
            f"{raw[key]!r} is not a column of {table.name}; declare it under "
            f"[columns.{table.name}.NAME] (columns: {', '.join(table.column_names())})",
        )
        return None
    if table.column(column).type not in types:
        problems.add(
            path + (key,),
            f"{table.name}.{column} is a {table.column(column).type} column; "
            f"{key} needs a {' or '.join(sorted(types))} column",
        )
        return None
    return column


def _layout(
    table: Table, raw: dict[str, Any], path: tuple[Any, ...], problems: Problems
) -> Table | None:
    """``layout``, ``key_columns`` and ``value_column`` checked against the table's columns."""
    layout = raw.get("layout", "long")
    if layout not in LAYOUTS:
        problems.add(path + ("layout",), f"{layout!r} is not one of {', '.join(LAYOUTS)}")
        return None
    if layout == "long":
        for key in sorted(_LAYOUT_KEYS - {"layout"} & set(raw)):
            problems.add(path + (key,), f'{key} applies only with layout = "wide"')
        return table
    given = raw.get("key_columns")
    if not isinstance(given, list) or not given or not all(isinstance(k, str) for k in given):
        problems.add(
            path + ("key_columns",),
            'layout = "wide" needs key_columns = ["网点", "姓名"] (the columns naming a row)',
        )
        return None
    keys = [resolve_column(table, k) for k in given]
    bad = [g for g, k in zip(given, keys) if k is None]
    if bad:
        problems.add(
            path + ("key_columns",),
            f"{', '.join(map(repr, bad))} name no column of {table.name} "
            f"(columns: {', '.join(table.column_names())})",
        )
        return None
    if "branch" not in keys:
        problems.add(path + ("key_columns",), "must include the branch column (网点)")
        return None
    month = table.month_column
    if month is None or table.column(month).type not in {"date", "datetime"}:
        problems.add(
            path + ("layout",),
            f'layout = "wide" needs a month_column (a date column) for the day; {table.name} has none',
        )
        return None
    rest = [c.name for c in table.columns if c.name not in {*keys, month}]
    value = resolve_column(table, raw["value_column"]) if "value_column" in raw else None
    if "value_column" in raw and (value is None or value in keys or value == month):
        problems.add(
            path + ("value_column",),
            f"must name a column of {table.name} that is neither a key nor {month}: "
            f"{', '.join(rest) or 'none'}",
        )
        return None
    if value is None and len(rest) != 1:
        problems.add(
            path + ("value_column",),
            f"{table.name} has {len(rest)} columns besides the keys and {month} "
            f'({", ".join(rest) or "none"}); say which holds the day cells: value_column = "..."',
        )
        return None
    return replace(
        table,
        layout="wide",
        key_columns=tuple(dict.fromkeys(k for k in keys if k)),
        value_column=value or rest[0],
    )


def _norm(text: object) -> str:
    return "".join(unicodedata.normalize("NFKC", str(text)).split()).casefold()


def resolve_column(table: Table, given: object) -> str | None:
    """A column named by its name, label or one of its header spellings (``网点`` -> branch)."""
    if not isinstance(given, str):
        return None
    wanted = _norm(given)
    for column in table.columns:
        if wanted in {_norm(a) for a in (column.name, column.label, *column.aliases) if a}:
            return column.name
    return None
