"""Dates with UTC offsets converted to a chosen time zone, and slash dates with the year last."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from svcqa.errors import RubricError, UsageError
from svcqa.ingest import ingest
from svcqa.ingest.parse import parse_date, parse_datetime
from svcqa.rubric import load_rubric_text


def _one(text: str, **reading: str) -> pd.Timestamp:
    values, bad = parse_datetime(pd.Series([text]), **reading)
    assert not bad[0], text
    return values[0]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Asia/Shanghai is UTC+8 all year: 01:00 UTC is 09:00.
        ("2026-10-20T01:00:00Z", "2026-10-20 09:00"),
        ("2026-10-20T09:00:00+08:00", "2026-10-20 09:00"),
        ("2026-10-20 09:00+0800", "2026-10-20 09:00"),
        ("2026-10-20 09:00 +08", "2026-10-20 09:00"),
        ("2026-10-20 01:00 UTC", "2026-10-20 09:00"),
        ("2026-10-20 01:00 GMT", "2026-10-20 09:00"),
        ("2026-10-20 09:00 UTC+8", "2026-10-20 09:00"),
        ("2026-10-19 20:00 GMT-5", "2026-10-20 09:00"),  # 20:00 -5 = 01:00 UTC
        ("2026-10-20 06:30 UTC+05:30", "2026-10-20 09:00"),  # 06:30 -5:30 = 01:00 UTC
        ("2026-10-20 09:00", "2026-10-20 09:00"),  # no offset: already local
    ],
)
def test_offset_forms_convert_to_the_default_zone(text: str, expected: str) -> None:
    """Every documented offset form lands on Shanghai wall time (UTC+8, no daylight saving)."""
    assert _one(text) == pd.Timestamp(expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-07-01T12:00:00Z", "2026-07-01 13:00"),  # BST: UTC+1
        ("2026-01-15T12:00:00Z", "2026-01-15 12:00"),  # GMT: UTC+0
        ("2026-01-15T12:00:00+08:00", "2026-01-15 04:00"),
        ("2026-03-29T00:59:00Z", "2026-03-29 00:59"),  # the minute before the clocks go forward
        ("2026-03-29T01:00:00Z", "2026-03-29 02:00"),  # 01:00 UTC: 02:00 BST
        ("2026-10-25T00:30:00Z", "2026-10-25 01:30"),  # still BST
        ("2026-10-25T01:30:00Z", "2026-10-25 01:30"),  # GMT again: the hour repeats
        ("2026-07-01 12:00", "2026-07-01 12:00"),
    ],
)
def test_offsets_convert_to_london_across_daylight_saving(text: str, expected: str) -> None:
    """A zone with daylight saving: the offset of the day applies (Europe/London, 2026)."""
    assert _one(text, timezone="Europe/London") == pd.Timestamp(expected)


def test_mixed_forms_in_one_column_never_raise() -> None:
    """Naive, offset, named-offset, US and garbage cells in one column: each read or marked bad."""
    column = pd.Series(
        ["2026-10-03 09:00", "2026-10-20T09:00:00+08:00", "2026-10-20 01:00Z", "3/12/21",
         "2026-10-20 09:00 +8", "junk", None, "2026-10-20T09:00:00-04:00"]
    )  # fmt: skip
    values, bad = parse_datetime(column, timezone="UTC")
    assert list(bad) == [False, False, False, True, True, True, False, False]
    assert values[0] == pd.Timestamp("2026-10-03 09:00")
    assert values[1] == pd.Timestamp("2026-10-20 01:00")
    assert values[2] == pd.Timestamp("2026-10-20 01:00")
    assert values[7] == pd.Timestamp("2026-10-20 13:00")
    assert pd.isna(values[6])


@pytest.mark.parametrize(
    ("text", "order", "expected"),
    [
        ("3/12/21 9:57", "mdy", "2021-03-12 09:57"),
        ("3/12/21 9:57", "dmy", "2021-12-03 09:57"),
        ("12/31/2020 11:05 PM", "mdy", "2020-12-31 23:05"),
        ("12/31/2020 12:05 AM", "mdy", "2020-12-31 00:05"),
        ("1/2/2021", "mdy", "2021-01-02 00:00"),
        ("2026-10-03 14:22", "mdy", "2026-10-03 14:22"),  # year first is read in any order
    ],
)
def test_date_order_reads_year_last_slash_text(text: str, order: str, expected: str) -> None:
    """date_order "mdy"/"dmy" reads m/d/yy and d/m/yy text; 12-hour clocks with AM/PM too."""
    assert _one(text, date_order=order) == pd.Timestamp(expected)


def test_year_last_text_is_bad_by_default_and_impossible_days_are_bad() -> None:
    """Without a date order 3/12/21 is ambiguous and rejected; 2/30/21 and 13/13/21 never read."""
    assert parse_datetime(pd.Series(["3/12/21"]))[1].tolist() == [True]
    _, bad = parse_datetime(pd.Series(["2/30/21", "13/13/21", "3/12/21 25:00"]), date_order="mdy")
    assert bad.tolist() == [True, True, True]
    values, _ = parse_date(pd.Series(["3/12/21 9:57"]), date_order="mdy")
    assert values[0] == pd.Timestamp("2021-03-12")


RUBRIC = """
id = "tz"
name = "TZ"
max = 10
{extra}

[[kpis]]
id = "n"
label = "N"
points = 10
metric = {{ kind = "count", table = "tickets" }}
curve = {{ kind = "deduct", per = 0 }}

[[grades]]
name = "A"
min = 0
coefficient = 1
"""


def test_rubric_keys_default_and_validate_with_their_line() -> None:
    """timezone defaults to Asia/Shanghai, date_order to ymd; bad values name the key and line."""
    rubric = load_rubric_text(RUBRIC.format(extra=""))
    assert (rubric.timezone, rubric.date_order) == ("Asia/Shanghai", "ymd")
    good = load_rubric_text(RUBRIC.format(extra='timezone = "Europe/London"\ndate_order = "mdy"'))
    assert (good.timezone, good.date_order) == ("Europe/London", "mdy")
    with pytest.raises(RubricError) as caught:
        load_rubric_text(RUBRIC.format(extra='timezone = "Mars/Base"\ndate_order = "ydm"'))
    reasons = caught.value.reasons
    assert any(
        r.startswith("timezone (line 5): 'Mars/Base' is not a known time zone") for r in reasons
    )
    assert any(r.startswith("date_order (line 6): 'ydm' is not one of") for r in reasons)


def test_ingest_converts_in_the_given_zone(tmp_path: Path) -> None:
    """ingest's timezone parameter reaches the tickets' acceptance times; a bad name is refused."""
    path = tmp_path / "tickets.csv"
    path.write_text(
        "工单号,网点,受理时间\nT1,A,2026-07-01T23:30:00Z\nT2,A,2026-07-02 08:00\n", encoding="utf-8"
    )
    data = ingest([path], required={"tickets": []}, timezone="Europe/London")
    assert data.tables["tickets"]["accepted_at"].tolist() == [
        pd.Timestamp("2026-07-02 00:30"),
        pd.Timestamp("2026-07-02 08:00"),
    ]
    shanghai = ingest([path], required={"tickets": []})
    assert shanghai.tables["tickets"]["accepted_at"][0] == pd.Timestamp("2026-07-02 07:30")
    with pytest.raises(UsageError, match="unknown time zone 'Nowhere'"):
        ingest([path], required={"tickets": []}, timezone="Nowhere")
