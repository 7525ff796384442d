"""Collecting every problem of a rubric, and reading typed values out of its TOML tables.

Each reader records a problem (with its key and line) instead of raising, and returns a default,
so one pass over a file reports everything that is wrong with it.
"""

from __future__ import annotations

import math
import re
from typing import Any, TypeGuard

from svcqa.rubric.positions import KeyLines, key_text

# Rubric, KPI and column ids: lower-case letters, digits, '-' or '_'.
ID_RE = re.compile(r"^[a-z][a-z0-9_-]*$")


class Problems:
    """Collects every problem with its key and line."""

    def __init__(self, lines: KeyLines):
        self.lines = lines
        self.items: list[str] = []

    def add(self, path: tuple[Any, ...], message: str) -> None:
        line = self.lines.find(path)
        where = f"{key_text(path)} (line {line})" if line else key_text(path)
        self.items.append(f"{where}: {message}")


def is_number(value: Any) -> TypeGuard[int | float]:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def unknown_keys(
    section: Any, allowed: set[str], path: tuple[Any, ...], problems: Problems
) -> None:
    if isinstance(section, dict):
        for key in section:
            if key not in allowed:
                problems.add(
                    path + (key,),
                    f"unknown key {key!r}; expected one of {', '.join(sorted(allowed))}",
                )


def read_number(
    section: dict[str, Any],
    key: str,
    path: tuple[Any, ...],
    problems: Problems,
    *,
    default: Any = None,
    required: bool = False,
) -> Any:
    if key not in section:
        if required:
            problems.add(path + (key,), "is missing; give a number")
        return default
    value = section[key]
    if not is_number(value):
        problems.add(path + (key,), f"must be a number, found {value!r}")
        return default
    return float(value)


def read_text(
    section: dict[str, Any],
    key: str,
    path: tuple[Any, ...],
    problems: Problems,
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


def read_bool(
    section: dict[str, Any], key: str, path: tuple[Any, ...], problems: Problems, default: bool
) -> bool:
    value = section.get(key, default)
    if not isinstance(value, bool):
        problems.add(path + (key,), f"must be true or false, found {value!r}")
        return default
    return value


def read_section(
    section: dict[str, Any], key: str, path: tuple[Any, ...], problems: Problems
) -> dict[str, Any]:
    value = section.get(key, {})
    if not isinstance(value, dict):
        problems.add(path + (key,), f"must be a table ([{key}]), found {type(value).__name__}")
        return {}
    return value


def read_array_of_tables(doc: dict[str, Any], key: str, problems: Problems) -> list[dict[str, Any]]:
    value = doc.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        problems.add((key,), f"must be an array of tables ([[{key}]])")
        return []
    return value
