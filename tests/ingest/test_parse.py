"""Unit tests for the vectorised cell parsers in ``svcqa.ingest.parse``."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from svcqa.ingest.parse import (
    blank_mask,
    branch_keys,
    parse_date,
    parse_datetime,
    parse_duration,
    parse_enum,
    parse_flag,
    parse_id,
    parse_number,
    parse_text,
)
from svcqa.schema import ATTENDANCE_STATUSES, SERVICE_TYPES


def s(*values: object) -> pd.Series:
    return pd.Series(list(values), dtype="str")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-10-03 14:22", "2026-10-03 14:22:00"),
        ("2026-10-03T14:22:05", "2026-10-03 14:22:05"),
        ("2026-10-03 14:22:00", "2026-10-03 14:22:00"),  # how a real Excel date cell arrives
        ("2026-10-03 01:02:03.500", "2026-10-03 01:02:03.500"),
        ("2026/10/3", "2026-10-03 00:00:00"),
        ("2026/10/3 9:05", "2026-10-03 09:05:00"),
        ("2026年10月3日", "2026-10-03 00:00:00"),
        ("2026年10月3日 14时22分", "2026-10-03 14:22:00"),
        ("2026年10月3日14时22分05秒", "2026-10-03 14:22:05"),
        ("20261003", "2026-10-03 00:00:00"),
        ("２０２６－１０－０３", "2026-10-03 00:00:00"),
        ("46298", "2026-10-03 00:00:00"),  # Excel serial, 1900 system
        ("46298.5", "2026-10-03 12:00:00"),
    ],
)
def test_parse_datetime_forms(text: str, expected: str) -> None:
    """Every supported date/time spelling parses to the same instant."""
    values, bad = parse_datetime(s(text))
    assert values.iloc[0] == pd.Timestamp(expected)
    assert not bad[0]
    assert values.dtype == "datetime64[ns]"


def test_parse_datetime_bad_and_blank() -> None:
    """Unreadable or impossible dates are bad; blank cells are NaT but not bad."""
    values, bad = parse_datetime(s("2026-13-01", "garbage", "5", None, "  ", "2026年2月30日"))
    assert values.isna().all()
    assert bad.tolist() == [True, True, True, False, False, True]


def test_parse_datetime_serial_1904() -> None:
    """Serial numbers in a 1904-system workbook count from 1904-01-01."""
    values, _ = parse_datetime(s("44836"), date1904=True)  # 46298 - 1462
    assert values.iloc[0] == pd.Timestamp("2026-10-03")


def test_parse_date_normalises_to_midnight() -> None:
    """A date column drops the time of day."""
    values, _ = parse_date(s("2026-10-03 14:22"))
    assert values.iloc[0] == pd.Timestamp("2026-10-03")


def test_parse_number_forms() -> None:
    """Full-width digits, thousands separators, signs and percents are numbers; words are bad."""
    values, bad = parse_number(s("1,234.5", "12.5%", "１２３", "-3", "－5", "1e3", "abc", None, ""))
    assert values.iloc[:6].tolist() == [1234.5, 0.125, 123.0, -3.0, -5.0, 1000.0]
    assert np.isnan(values.iloc[6:]).all()
    assert bad.tolist() == [False] * 6 + [True, False, False]


def test_parse_flag_spellings() -> None:
    """是/否, Y/N, yes/no, 1/0, true/false, 有效/无效 and √/× read as booleans."""
    values, bad = parse_flag(
        s(
            "是",
            "否",
            "Y",
            "n",
            "YES",
            "no",
            "1",
            "0",
            "TRUE",
            "false",
            "有效",
            "无效",
            "√",
            "×",
            "maybe",
            None,
        )
    )
    assert values.iloc[:14].tolist() == [True, False] * 7
    assert pd.isna(values.iloc[14]) and pd.isna(values.iloc[15])
    assert bad.tolist() == [False] * 14 + [True, False]
    assert str(values.dtype) == "boolean"


def test_parse_enum_service_type_and_status() -> None:
    """Enum spellings map to canonical codes case-insensitively after NFKC; others are bad."""
    values, bad = parse_enum(
        s("换机", "保外", "ＷＡＲＲＡＮＴＹ", " 保修 ", "维修", None), SERVICE_TYPES
    )
    assert values.iloc[:4].tolist() == ["exchange", "non_warranty", "warranty", "warranty"]
    assert bad.tolist() == [False, False, False, False, True, False]
    status, bad = parse_enum(s("迟到", "Early Leave", "旷工"), ATTENDANCE_STATUSES)
    assert status.tolist() == ["late", "early_leave", "absent"] and not bad.any()


def test_parse_id_keeps_text() -> None:
    """Ids stay text: 1001.0 -> 1001, leading zeros and long digit strings exact."""
    values, bad = parse_id(s("1001.0", "0012", "123456789012345678901", " T1 ", None))
    assert values.iloc[:4].tolist() == ["1001", "0012", "123456789012345678901", "T1"]
    assert pd.isna(values.iloc[4]) and not bad.any()


def test_parse_text_normalises_line_ends() -> None:
    """Text is stripped, CR/LF becomes LF and blank becomes NA."""
    values, _ = parse_text(s(" 屏幕\r\n碎裂 ", "   "))
    assert values.iloc[0] == "屏幕\n碎裂" and pd.isna(values.iloc[1])


def test_branch_key_matches_width_and_spaces() -> None:
    """Full-width brackets and stray spaces give the same branch key."""
    keys = branch_keys(s("A店（北区）", " A店 (北区) ", "A店\u3000(北区)", None))
    assert keys.iloc[:3].tolist() == ["A店(北区)"] * 3 and pd.isna(keys.iloc[3])


def test_parse_duration_forms() -> None:
    """Durations read as days from duration cells, clock text, Chinese units and numbers."""
    values, bad = parse_duration(s("1900-01-01 06:05:00", "1:30:00", "2天3小时", "1.5", "abc"))
    assert values.iloc[:4].round(6).tolist() == [round(30 / 24 + 5 / 1440, 6), 0.0625, 2.125, 1.5]
    assert bad.tolist() == [False, False, False, False, True]


def test_blank_mask_whitespace() -> None:
    """Empty, null and whitespace-only (including full-width space) cells are blank."""
    assert blank_mask(s("a", " ", "", None, "\u3000", "x y")).tolist() == [
        False,
        True,
        True,
        True,
        True,
        False,
    ]
