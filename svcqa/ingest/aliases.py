"""Alias tables: which sheet names and header texts mean which canonical table and column.

The schema's defaults are extended by a rubric (declared columns) and by a user alias file, so a
new export layout is a configuration change, not a code change. Every comparison happens on
``normalise_label`` text: NFKC (full-width -> half-width), whitespace removed, required-field
star markers stripped, case-folded.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from svcqa import toml_text
from svcqa.errors import InputError
from svcqa.ingest.joined import TIME_SUFFIX
from svcqa.schema import TABLES, Column, Table

SHEET_KEY = "__sheet__"
_SPACE = re.compile(r"\s+")


def normalise_label(text: object) -> str:
    """The matching form of a sheet name or header cell (``" 受理时间* "`` -> ``"受理时间"``)."""
    if text is None:
        return ""
    value = unicodedata.normalize("NFKC", str(text)).replace("\x00", "")
    value = _SPACE.sub("", value).strip("*")
    return value.casefold()


@dataclass(frozen=True)
class TableSpec:
    """A canonical table with the aliases and declared columns of this run merged in."""

    table: Table
    columns: tuple[Column, ...]
    sheet_aliases: tuple[str, ...]

    @property
    def name(self) -> str:
        return self.table.name

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    def header_index(self) -> dict[str, tuple[str, int]]:
        """Normalised alias -> (column name, alias rank); earlier columns win a shared alias."""
        index: dict[str, tuple[str, int]] = {}
        for column in self.columns:
            for rank, alias in enumerate((*column.aliases, column.name, column.label)):
                key = normalise_label(alias)
                if key and key not in index:
                    index[key] = (column.name, rank)
        return index

    def sheet_match(self, sheet_name: str) -> int:
        """How strongly a sheet (or CSV file) name names this table: 0 none, else alias length.

        Exact equality beats containment ("2026年10月工单明细" contains "工单明细"), and a longer
        contained alias beats a shorter one, so "配合评分" is cooperation, not scores' "评分".
        """
        name = normalise_label(sheet_name)
        best = 0
        for alias in self.sheet_aliases:
            key = normalise_label(alias)
            if not key:
                continue
            if name == key:
                best = max(best, 1000 + len(key))
            elif key in name:
                best = max(best, len(key))
        return best


def build_specs(
    extra_columns: Mapping[str, Sequence[Column]] | None = None,
    extra_aliases: Mapping[str, Mapping[str, Sequence[str]]] | None = None,
    tables: Mapping[str, Table] | None = None,
) -> dict[str, TableSpec]:
    """The schema's tables, and the caller's declared or re-laid-out ones (``tables``, built by
    the rubric's [tables.NAME]), with rubric-declared columns and extra aliases merged in."""
    extra_columns = extra_columns or {}
    extra_aliases = extra_aliases or {}
    known = {**TABLES, **(tables or {})}
    unknown = sorted((set(extra_columns) | set(extra_aliases)) - set(known))
    if unknown:
        raise InputError(
            f"aliases or declared columns name unknown table(s) {', '.join(unknown)}; "
            f"known tables: {', '.join(known)}",
            code="usage",
        )
    specs: dict[str, TableSpec] = {}
    for name, table in known.items():
        columns = {c.name: c for c in table.columns}
        for declared in extra_columns.get(name, ()):
            if (
                declared.name in columns
            ):  # a rubric may re-declare a canonical column: merge aliases
                base = columns[declared.name]
                columns[declared.name] = replace(
                    base, aliases=_merge(base.aliases, declared.aliases)
                )
            else:
                columns[declared.name] = declared
        sheet_aliases = table.sheet_aliases
        _refuse_shared_headers(name, columns.values(), extra_aliases.get(name, {}))
        for column_name, more in extra_aliases.get(name, {}).items():
            dated = columns.get(column_name.removesuffix(TIME_SUFFIX))
            if column_name == SHEET_KEY:
                sheet_aliases = _merge(sheet_aliases, more)
            elif column_name.endswith(TIME_SUFFIX) and dated and dated.type in {"datetime", "date"}:
                # The time half of a date + time pair (joined.py): its own text column.
                label = f"{dated.label or dated.name} time"
                columns[column_name] = Column(column_name, "text", tuple(more), label)
            elif column_name in columns:
                columns[column_name] = replace(
                    columns[column_name], aliases=_merge(columns[column_name].aliases, more)
                )
            else:
                raise InputError(
                    f"aliases for table {name} name unknown column {column_name!r}; "
                    f"known columns: {', '.join(columns)} (or {SHEET_KEY} for sheet names)",
                    code="usage",
                )
        specs[name] = TableSpec(table, tuple(columns.values()), sheet_aliases)
    return specs


def _refuse_shared_headers(
    table: str, columns: Iterable[Column], extra: Mapping[str, Sequence[str]]
) -> None:
    """An extra alias (the rubric's [aliases], an alias file) naming a header another column of
    the table already answers to: one column would silently lose it ("no column for 网点")."""
    owner = {
        normalise_label(spelling): column.name
        for column in reversed(list(columns))
        for spelling in (*column.aliases, column.name, column.label)
    }
    for column_name, more in extra.items():
        for header in () if column_name == SHEET_KEY else more:
            other = owner.setdefault(normalise_label(header), column_name)
            if other != column_name and normalise_label(header):
                raise InputError(
                    f"the aliases give the header {header!r} to two columns of {table}: "
                    f"{column_name} and {other}; a header can name one column: remove it from "
                    f"{column_name}'s list in the rubric's [aliases.{table}] or the --aliases file",
                    code="bad-aliases",
                )


def _merge(first: Iterable[str], more: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys([*first, *(str(m) for m in more)]))


DATE_TIME_EXAMPLE = '{ date = ["Date"], time = ["Time"] } (header spellings of each part)'


def split_date_time(value: object) -> tuple[list[str], list[str]] | None:
    """``{ date = [...], time = [...] }`` as (date headers, time headers); None when malformed.

    The pair travels in the plain alias mapping as ``COLUMN = date headers`` plus
    ``COLUMN@time = time headers``; ``build_specs`` makes the second a companion column.
    """
    if not isinstance(value, dict) or set(value) != {"date", "time"}:
        return None
    parts = [[v] if isinstance(v, str) else v for v in (value["date"], value["time"])]
    if not all(isinstance(p, list) and p and all(isinstance(v, str) for v in p) for p in parts):
        return None
    return parts[0], parts[1]


def load_alias_file(path: str | Path) -> dict[str, dict[str, list[str]]]:
    """Read a TOML alias file: ``[aliases.tickets] ticket_id = ["单据号"]``, ``__sheet__ = [...]``."""
    path = Path(path)
    try:
        document = toml_text.loads(path.read_text(encoding="utf-8-sig"))
    except toml_text.TooDeeplyNested as exc:
        raise InputError(
            f"the alias file has arrays or tables {exc}; an alias file needs two "
            "(aliases.TABLE.COLUMN = [...]): fix or replace it",
            file=str(path),
            code="bad-aliases",
        ) from None
    except FileNotFoundError:
        raise InputError("alias file not found", file=str(path), code="not-found") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InputError(
            f"cannot read the alias file: {exc}", file=str(path), code="bad-aliases"
        ) from None
    text = path.read_text(encoding="utf-8-sig")
    section = document.get("aliases", document)
    result: dict[str, dict[str, list[str]]] = {}
    problems: list[str] = []
    if not isinstance(section, dict):
        section = {}
        problems.append("[aliases] must be a table of tables")
    for table, columns in section.items():
        if table not in TABLES:
            problems.append(f"unknown table {table!r} (known: {', '.join(TABLES)})")
            continue
        if not isinstance(columns, dict):
            problems.append(f"[aliases.{table}] must map column names to lists of header texts")
            continue
        for column, values in columns.items():
            if isinstance(values, dict):
                pair = split_date_time(values)
                if pair is None:
                    problems.append(f"aliases.{table}.{column} must be {DATE_TIME_EXAMPLE}")
                    continue
                result.setdefault(table, {})[column] = pair[0]
                result[table][column + TIME_SUFFIX] = pair[1]
                continue
            if isinstance(values, str):
                values = [values]
            if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                problems.append(f"aliases.{table}.{column} must be a list of strings")
                continue
            # Column names are checked by build_specs, which also knows the rubric's declared columns.
            result.setdefault(table, {})[column] = list(values)
    problems += _clashes(result, text)
    if problems:
        raise InputError(
            "the alias file has problems", file=path.name, code="bad-aliases", reasons=problems
        )
    return result


def _clashes(aliases: Mapping[str, Mapping[str, Sequence[str]]], text: str) -> list[str]:
    """A header the file gives to two columns of a table, or to a column while the schema
    spells another column so: only one of them could get it, and the other would be reported
    missing ("no column for 网点") with no word of why."""
    problems = []
    for table, columns in aliases.items():
        owner = {
            normalise_label(spelling): (column.name, "a built-in spelling")
            for column in reversed(TABLES[table].columns)
            for spelling in (*column.aliases, column.name, column.label)
        }
        for column, headers in columns.items():
            line = _key_line(text, table, column)
            here = f"line {line}" if line else "this file"
            for header in headers:
                other, why = owner.setdefault(normalise_label(header), (column, here))
                if other != column and normalise_label(header):
                    problems.append(
                        f"header {header!r} is given to two columns of {table}: {column} "
                        f"({here}) and {other} ({why}); a header can name one "
                        f"column: remove it from {column}'s list, or map the other column "
                        "to another header"
                    )
    return problems


def _key_line(text: str, table: str, column: str) -> int | None:
    """The line of ``column = [...]`` under ``[aliases.TABLE]`` (or ``[TABLE]``), if found."""
    current = ""
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped.startswith("["):
            current = stripped.strip("[] ").removeprefix("aliases.")
        elif current == table and re.match(rf"['\"]?{re.escape(column)}['\"]?\s*=", stripped):
            return number
    return None
