"""Timestamps from two columns: a date column and a time-of-day column joined into one datetime.

A call-centre log has 日期 and 时间 (or Date and Time) where a ticket export has one 受理时间
cell. An alias ``accepted_at = { date = ["Date"], time = ["Time"] }`` maps the date header onto
the column itself and the time header onto a companion column ``accepted_at@time``
(``time_column``); after both are parsed, ``join_date_time`` adds the time of day to the date.
A row with one part blank or unreadable is bad in the joined column, so it is rejected naming
both cells ("Date + Time", "2026-10-31 25:00"); both parts blank is a blank cell (an open
ticket's completed_at, or missing-value for a required column).

A time cell may be an Excel time (a fraction of a day, or the reader's datetime near 1899-12-30),
``9:57``, ``09:57:00`` or ``09:57:00.5``; anything else, or 24:00 and beyond, is unreadable.
Vectorised: each distinct time text is parsed once.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from svcqa.ingest.parse import Parsed, _by_distinct, _normalised, blank_mask

if TYPE_CHECKING:
    from svcqa.ingest.table import ParsedColumn

TIME_SUFFIX = "@time"
_CLOCK = r"^(\d{1,2}):(\d{2})(?::(\d{2}(?:\.\d+)?))?$"


def time_column(column: str) -> str:
    """The companion column a joined column's time header maps to."""
    return column + TIME_SUFFIX


def parse_time_of_day(series: pd.Series) -> Parsed:
    """Time-of-day cells -> fraction of a day in [0, 1); NaN and bad where unreadable."""
    return _by_distinct(series, _time_uniques, np.nan, "float64")


def _time_uniques(uniques: pd.Series) -> Parsed:
    text = _normalised(uniques).str.strip()
    out = pd.Series(np.nan, index=text.index, dtype="float64")
    clock = text.str.extract(_CLOCK).apply(pd.to_numeric, errors="coerce")
    hit = clock[0].notna()
    out[hit] = (clock[0] * 3600 + clock[1] * 60 + clock[2].fillna(0))[hit] / 86_400
    out[hit & ((clock[0] > 23) | (clock[1] > 59) | (clock[2].fillna(0) >= 60))] = np.nan
    rest = ~hit
    numbers = pd.to_numeric(text[rest], errors="coerce")
    out[numbers.index] = numbers
    rest = out.isna() & ~hit
    # The reader hands an Excel time cell over as a datetime on its epoch day.
    stamps = pd.to_datetime(text[rest], format="ISO8601", errors="coerce")
    stamps = stamps[stamps.notna()]
    out[stamps.index] = (stamps - stamps.dt.normalize()) / pd.Timedelta(days=1)
    out[(out < 0) | (out >= 1)] = np.nan
    return out, out.isna().to_numpy()


def join_date_time(
    columns: dict[str, ParsedColumn],
    raw_text: dict[str, pd.Series],
    display: dict[str, pd.Series],
) -> None:
    """Join each parsed ``X`` and ``X@time`` pair into ``X`` (in place); the rows' text and
    label become both cells' so a reject names both. The companion columns are removed."""
    for name in [n for n in columns if n.endswith(TIME_SUFFIX)]:
        columns.pop(name)  # parsed as text; read again below as a time of day
        time_text = raw_text.pop(name)
        time_label = display.pop(name)
        base = name[: -len(TIME_SUFFIX)]
        if base not in columns:
            continue  # only the time header: the date column's absence is reported as usual
        date_part = columns[base]
        fraction, time_bad = parse_time_of_day(time_text)
        date_blank = blank_mask(raw_text[base])
        time_blank = blank_mask(time_text)
        day = pd.Series(date_part.values).dt.normalize()
        joined = day + pd.to_timedelta(fraction.to_numpy() * 86_400_000, unit="ms").round("s")
        one_missing = date_blank != time_blank
        bad = date_part.bad | (time_bad & ~time_blank) | one_missing
        joined[bad | date_blank] = pd.NaT
        columns[base] = replace(
            date_part,
            values=joined.set_axis(date_part.values.index),
            bad=bad,
            blank=(date_blank & time_blank) if date_part.blank is not None else None,
        )
        raw_text[base] = raw_text[base].fillna("") + " " + time_text.fillna("")
        display[base] = display[base].astype("str") + " + " + time_label.astype("str")
