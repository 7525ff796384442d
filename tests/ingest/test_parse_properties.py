"""Property tests: the cell parsers and the header finder take any cell text without raising.

Cells come from files other people made, so the only failures allowed are the project's own
(``SvcqaError``); everything else must come back as a value or a "bad" flag of the right shape.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from svcqa.errors import SvcqaError
from svcqa.ingest.aliases import build_specs
from svcqa.ingest.header import SCAN_ROWS, find_header
from svcqa.ingest.parse import PARSERS, branch_keys, parse_enum
from svcqa.schema import TABLES

# Text shaped like what breaks parsers: digits (full-width too), date separators, signs, units,
# control characters, surrogate-free unicode, and long runs.
PIECES = st.sampled_from(
    [
        "2026",
        "-",
        "/",
        ".",
        ":",
        "年",
        "月",
        "日",
        "时",
        "分",
        "秒",
        "T",
        " ",
        "\t",
        "\r\n",
        "\x00",
        "\x1b",
        "１２",
        "，",
        ",",
        "%",
        "e",
        "E",
        "+",
        "=",
        "@",
        "天",
        "小时",
        "是",
        "否",
        "√",
        "99999999999999999999",
        "0001",
        "9999",
        "0.",
        ".5",
        "1e308",
        "nan",
        "inf",
        "NaT",
        "1904",
        "1899-12-30",
        "46298.5",
        "24:61",
        "2026-02-30",
    ]
)
CELL = st.one_of(
    st.none(),
    st.text(max_size=40),
    st.lists(PIECES, max_size=8).map("".join),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.integers().map(str),
)
COLUMN = st.lists(CELL, max_size=30)
SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _series(cells: list[str | None]) -> pd.Series:
    return pd.Series(cells, dtype="str")


def _check_shape(result: tuple[pd.Series, np.ndarray], n: int) -> None:
    values, bad = result
    assert len(values) == n and len(bad) == n
    assert np.asarray(bad).dtype == bool


@pytest.mark.parametrize("kind", sorted(PARSERS))
@SETTINGS
@given(cells=COLUMN)
def test_parsers_never_raise(kind: str, cells: list[str | None]) -> None:
    """Every typed parser returns values and a boolean bad-mask of the input's length for any text."""
    try:
        result = PARSERS[kind](_series(cells))
    except SvcqaError:
        return
    _check_shape(result, len(cells))
    values, bad = result
    blank = np.array([c is None or not c.strip() for c in cells], dtype=bool)
    assert not np.asarray(bad)[blank].any()  # a blank cell is never "bad", only missing


@pytest.mark.parametrize("kind", ["datetime", "date", "duration"])
@SETTINGS
@given(cells=COLUMN)
def test_1904_parsers_never_raise(kind: str, cells: list[str | None]) -> None:
    """The 1904-epoch variants accept the same inputs."""
    _check_shape(PARSERS[kind](_series(cells), date1904=True), len(cells))


@SETTINGS
@given(cells=COLUMN)
def test_enum_and_branch_key_never_raise(cells: list[str | None]) -> None:
    """Enum mapping and branch keys accept any text; keys never contain whitespace."""
    _check_shape(
        parse_enum(_series(cells), TABLES["tickets"].column("service_type").values), len(cells)
    )
    keys = branch_keys(_series(cells))
    assert len(keys) == len(cells)
    assert not keys.dropna().str.contains(r"\s", regex=True).any()


SPECS = build_specs()


@pytest.mark.parametrize("table", sorted(SPECS))
@SETTINGS
@given(rows=st.lists(st.lists(CELL, max_size=12), max_size=SCAN_ROWS + 5))
def test_header_finder_never_raises(table: str, rows: list[list[str | None]]) -> None:
    """find_header returns None or a match whose columns point at cells of the chosen row."""
    match = find_header(rows, SPECS[table])
    if match is None:
        return
    assert 0 <= match.row < min(len(rows), SCAN_ROWS)
    assert all(0 <= position < len(rows[match.row]) for position in match.columns.values())
    assert match.score == len(match.columns) > 0
