"""The ``per`` option of ``count`` and ``sum``, validated: the branch's figure divided by its
value in a roster column, times ``scale`` (seed 001: complaints per 10,000 users).

Declared in ``svcqa.rubric.spec``; scored by ``svcqa.scoring.per``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from svcqa.rubric.model import Per
from svcqa.rubric.problems import Problems, is_number

if TYPE_CHECKING:
    from svcqa.rubric.kpis import KnownColumns

PER_KINDS = ("count", "sum")
_PER_KEYS = ("table", "column", "scale")
_EXAMPLE = '{ table = "branches", column = "users", scale = 10000 }'


def read_per(
    raw: dict[str, Any], kind: str, known_columns: KnownColumns,
    path: tuple[Any, ...], problems: Problems,
) -> tuple[Per | None, bool]:  # fmt: skip
    """``per`` as a ``Per`` (None when absent), and whether it is valid."""
    if kind not in PER_KINDS or "per" not in raw:
        return None, True
    where = path + ("per",)
    per = raw["per"]
    if not isinstance(per, dict):
        problems.add(where, f"must be a table like {_EXAMPLE}")
        return None, False
    unknown = [k for k in per if k not in _PER_KEYS]
    if unknown:
        problems.add(where, f"unknown key(s) {', '.join(map(repr, unknown))}; per takes {_EXAMPLE}")
    table = per.get("table", "branches")
    column = per.get("column")
    scale = per.get("scale", 1)
    ok = True
    if not isinstance(table, str) or not known_columns.has(table):
        problems.add(where + ("table",), f"unknown table {table!r}; usually {_EXAMPLE}")
        return None, False
    if not isinstance(column, str) or column not in known_columns(table):
        problems.add(
            where + ("column",),
            f"unknown column {column!r} of table {table}; declare it under "
            f'[columns.{table}.{column or "users"}] with type = "number"',
        )
        ok = False
    elif known_columns.type(table, column) not in {"number", None}:
        ctype = known_columns.type(table, column)
        problems.add(
            where + ("column",), f"{table}.{column} is a {ctype} column; per needs a number"
        )
        ok = False
    if not is_number(scale) or float(scale) <= 0:
        problems.add(where + ("scale",), f"must be a number above 0, found {scale!r}")
        ok = False
    if not ok:
        return None, False
    assert isinstance(column, str)
    return Per(table, column, float(scale)), True
