"""Vectorised cell parsers: one pandas Series of cell text in, typed values and a "bad" mask out.

Readers hand every cell over as text (a real Excel date arrives as ``2026-10-03 14:22:00``, a
number as ``45933.5``), so each parser works on strings. Parsing happens on the *distinct*
values (``pd.factorize``) and is broadcast back: a month of tickets has a million rows but only
tens of thousands of distinct acceptance minutes, branch names or ratings.

Every parser returns ``(values, bad)`` where ``bad`` marks non-blank cells that could not be
read; blank cells are NA/NaT and not bad (whether blank is allowed is the caller's decision).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from svcqa.models import branch_key

# Excel serial day 0: 1899-12-30 in the 1900 system (absorbing Excel's 1900 leap-year bug for
# every date after February 1900), 1904-01-01 in the Mac 1904 system.
EPOCH_1900 = pd.Timestamp("1899-12-30")
EPOCH_1904 = pd.Timestamp("1904-01-01")
# Readers render an Excel duration cell as a datetime counted from these bases.
DURATION_BASE_1900 = pd.Timestamp("1899-12-31")

# A date outside these years is a typo or a non-date number, not a month's activity.
MIN_YEAR, MAX_YEAR = 1990, 2100
_SERIAL_MIN = (pd.Timestamp(f"{MIN_YEAR}-01-01") - EPOCH_1900).days
_SERIAL_MAX = (pd.Timestamp(f"{MAX_YEAR}-12-31") - EPOCH_1900).days + 1

_DATE_TEXT = re.compile(
    r"^(?P<y>\d{4})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*[日号]?"
    r"(?:[\sT]*(?P<H>\d{1,2})\s*[:：时点]\s*(?P<M>\d{1,2})?\s*(?:[:：分]\s*(?P<S>\d{1,2}(?:\.\d+)?)?\s*秒?)?)?$"
)
_DATE_COMPACT = re.compile(
    r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})(?:(?P<H>\d{2})(?P<M>\d{2})(?P<S>\d{2})?)?$"
)
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
# A comma is read only as a thousands separator in groups of three (1,234.5); "1,5" or
# "1.234,5" (a decimal comma) would otherwise silently become 15 or 1.2345.
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?%?$")
# The largest magnitude a number cell may have: beyond it a value is a typo or a sentinel
# (1e308 overflows to infinity in a sum), not a rating, a count or an amount.
MAX_NUMBER = 1e15
# C0 and C1 control characters other than tab, line feed and carriage return: they never
# belong in an id, a branch name or a text cell, and a NUL in a 网点 cell made a new branch.
CONTROL_CHARACTERS = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]"
# UTC offsets after a time of day: Z, +08:00, +0800, +08, and UTC/GMT alone or followed by
# +8, +08, +0800 or +08:00. Such stamps are converted to wall time in the caller's time zone
# (the rubric's ``timezone``, default LOCAL_TIME_ZONE); a stamp without an offset is taken as
# already in it. "+8" without UTC/GMT is not read (it looks like arithmetic, not a zone).
LOCAL_TIME_ZONE = "Asia/Shanghai"
_OFFSET = re.compile(
    r"(?i)\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*"
    r"(?:z|[+-]\d{2}(?::?\d{2})?|(?:utc|gmt)(?:[+-]\d{1,2}(?::?\d{2})?)?)$"
)
_NAMED_OFFSET = re.compile(
    r"(?i)\s*(?:utc|gmt)(?:(?P<sign>[+-])(?P<h>\d{1,2})(?::?(?P<m>\d{2}))?)?$"
)
# The order of day, month and year in slash text whose year comes last (3/12/21 9:57): "mdy"
# (US) or "dmy"; "ymd" (the default) reads only year-first text, so such cells are rejected.
DATE_ORDERS = ("ymd", "mdy", "dmy")
_YEAR_LAST = re.compile(
    r"^(?P<a>\d{1,2})\s*[/.-]\s*(?P<b>\d{1,2})\s*[/.-]\s*(?P<y>\d{4}|\d{2})"
    r"(?:[\sT]+(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{1,2}(?:\.\d+)?))?\s*(?P<p>[ap]\.?m\.?)?)?$",
    re.IGNORECASE,
)
_ISO_START = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}")
_INT_FLOAT = re.compile(r"^([+-]?\d+)\.0*$")
_DURATION_CN = re.compile(
    r"^(?:(?P<d>\d+(?:\.\d+)?)\s*(?:天|日|d|days?))?\s*(?:(?P<h>\d+(?:\.\d+)?)\s*(?:小时|时|h|hours?))?"
    r"\s*(?:(?P<m>\d+(?:\.\d+)?)\s*(?:分钟|分|min|m))?$"
)
_SPACE = re.compile(r"\s+")

FLAG_VALUES: dict[str, bool] = {
    **dict.fromkeys(
        ("是", "y", "yes", "1", "1.0", "true", "t", "有效", "√", "✓", "✔", "有", "对"), True
    ),
    **dict.fromkeys(
        ("否", "n", "no", "0", "0.0", "false", "f", "无效", "×", "✗", "✘", "x", "无", "不是"), False
    ),
}

Parsed = tuple[pd.Series, np.ndarray]


def nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def blank_mask(series: pd.Series) -> np.ndarray:
    """True where a cell is empty or whitespace only."""
    return arrow_blank(_arrow(series))


def arrow_blank(array: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """Null, empty or whitespace-only cells; predicates only, no string copies."""
    blank = pc.or_kleene(pc.equal(pc.binary_length(array), 0), pc.utf8_is_space(array))
    return np.asarray(pc.fill_null(blank, True).to_numpy(zero_copy_only=False), dtype=bool)


def _arrow(series: pd.Series) -> pa.Array:
    """The column as one Arrow string array (zero-copy for Arrow-backed ``str`` Series)."""
    array = (
        pa.array(series, type=pa.large_string(), from_pandas=True)
        if series.dtype == object
        else pa.array(series, from_pandas=True)
    )
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    if not pa.types.is_string(array.type) and not pa.types.is_large_string(array.type):
        array = pc.cast(array, pa.string())
    return array


def distinct(series: pd.Series) -> tuple[np.ndarray, pd.Series]:
    """``codes`` (row -> index into ``uniques``, -1 for blank) and the stripped distinct texts."""
    encoded = pc.dictionary_encode(_arrow(series))
    codes = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
    trimmed = pc.utf8_trim_whitespace(encoded.dictionary)
    uniques = pd.Series(trimmed.to_pandas(), dtype="str")
    blank = np.asarray(pc.equal(trimmed, "").to_numpy(zero_copy_only=False), dtype=bool)
    if blank.any():
        remap = np.where(blank, -1, np.arange(len(uniques)))
        codes = np.where(codes >= 0, remap[np.maximum(codes, 0)], -1)
    return codes, uniques


def id_codes(series: pd.Series) -> np.ndarray:
    """An integer per distinct exact value (-1 for null): cheap equality for duplicate checks."""
    encoded = pc.dictionary_encode(_arrow(series))
    return encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)


def _by_distinct(
    series: pd.Series, parse: Callable[[pd.Series], Parsed], na: object, dtype: str
) -> Parsed:
    """Run ``parse`` on the distinct stripped non-blank values and broadcast back by index."""
    codes, uniques = distinct(series)
    present = codes >= 0
    if not present.any():
        return pd.Series(na, index=series.index, dtype=dtype), np.zeros(len(series), dtype=bool)
    values, bad = parse(uniques)
    if dtype == "boolean":
        data = np.append(values.fillna(False).to_numpy(dtype=bool), False)[codes]
        mask = np.append(values.isna().to_numpy(), True)[codes]
        out = pd.Series(pd.arrays.BooleanArray(data, mask), index=series.index)
    elif dtype == "str":
        out = _text_by_codes(values.to_numpy(dtype=object), codes, series.index)
    else:
        filler = np.array([na], dtype=values.to_numpy().dtype)
        data = np.concatenate([values.to_numpy(dtype=filler.dtype), filler])[codes]
        out = pd.Series(data, index=series.index, dtype=dtype)
    return out, np.append(bad, False)[codes]


def _text_by_codes(texts: np.ndarray, codes: np.ndarray, index: pd.Index) -> pd.Series:
    """``texts[codes]`` as a ``str`` Series (-1 and None -> NA), gathered by Arrow: a million
    rows of a few hundred distinct texts without a Python object per row."""
    dictionary = pa.array(np.append(texts, [None]), type=pa.large_string(), from_pandas=True)
    gathered = pc.take(dictionary, pa.array(np.where(codes < 0, len(texts), codes)))
    return pd.Series(pd.arrays.ArrowStringArray(gathered), index=index, dtype="str")


def _normalised(uniques: pd.Series) -> pd.Series:
    """NFKC of each text; ASCII text (most of an export) is its own normal form and skipped."""
    ascii_only = pc.string_is_ascii(_arrow(uniques)).to_numpy(zero_copy_only=False)
    if ascii_only.all():
        return uniques
    out = uniques.copy()
    out[~ascii_only] = uniques[~ascii_only].map(nfkc)
    return out


# ---------------------------------------------------------------- datetimes


def parse_datetime(
    series: pd.Series,
    *,
    date1904: bool = False,
    timezone: str = LOCAL_TIME_ZONE,
    date_order: str = "ymd",
) -> Parsed:
    """Excel date cells, serial numbers, ISO / slash / Chinese / compact text -> datetime64[ns].

    Stamps with a UTC offset are converted to wall time in ``timezone`` (an IANA name); with
    ``date_order`` "mdy" or "dmy", slash text whose year comes last is read in that order.
    """
    return _by_distinct(
        series,
        lambda u: _datetime_uniques(u, date1904, timezone, date_order),
        np.datetime64("NaT", "ns"),
        "datetime64[ns]",
    )


def _datetime_uniques(
    uniques: pd.Series, date1904: bool, timezone: str = LOCAL_TIME_ZONE, date_order: str = "ymd"
) -> Parsed:
    text = _normalised(uniques)
    result = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    numeric = text.str.fullmatch(r"\d+(\.\d+)?").fillna(False).to_numpy(dtype=bool)
    compact = text.str.fullmatch(_DATE_COMPACT.pattern).fillna(False).to_numpy(dtype=bool)

    # Excel serial numbers (numbers that are not compact yyyymmdd[HHMM[SS]] text).
    serial = numeric & ~compact
    if serial.any():
        days = pd.to_numeric(text[serial], errors="coerce")
        plausible = days.between(_SERIAL_MIN, _SERIAL_MAX)
        epoch = EPOCH_1904 if date1904 else EPOCH_1900
        stamps = epoch + pd.to_timedelta(days.where(plausible), unit="D")
        result[serial] = stamps.dt.round("ms").astype("datetime64[ns]")

    rest = ~numeric | compact
    if rest.any():
        offset = text.str.contains(_OFFSET.pattern, regex=True).fillna(False).to_numpy(dtype=bool)
        for group, aware in ((rest & ~compact & ~offset, False), (rest & offset, True)):
            if group.any():
                part = text[group].str.replace(_NAMED_OFFSET, _offset_text, regex=True)
                iso = _iso_datetimes(part, timezone if aware else None)
                result[iso.index] = iso
        todo = result.isna().to_numpy() & rest
        if todo.any():
            result[todo] = _datetime_by_regex(text[todo])
        todo = result.isna().to_numpy() & rest
        if todo.any() and date_order != "ymd":
            result[todo] = _year_last(text[todo], date_order)

    years = result.dt.year
    out_of_range = (years < MIN_YEAR) | (years > MAX_YEAR)
    result[out_of_range.fillna(False)] = pd.NaT
    return result, result.isna().to_numpy()


def _offset_text(match: re.Match[str]) -> str:
    """ " UTC+8" -> "+08:00", " GMT" -> "+00:00": the ISO form pandas reads."""
    if not match.group("sign"):
        return "+00:00"
    return f"{match.group('sign')}{int(match.group('h')):02d}:{match.group('m') or '00'}"


def _iso_datetimes(text: pd.Series, zone: str | None) -> pd.Series:
    """ISO 8601 text -> naive datetime64[ns]; with a ``zone``, stamps carrying a UTC offset (or
    Z) converted to wall time there. Text pandas refuses as a whole (a form the offset test
    missed: mixed zones) is parsed value by value, which is rare and never raises."""
    aware = zone is not None
    try:
        iso = pd.to_datetime(text, format="ISO8601", errors="coerce", utc=aware)
        if not aware and isinstance(iso.dtype, pd.DatetimeTZDtype):
            raise ValueError("an offset form the offset test does not accept (+8)")
    except (ValueError, TypeError, OverflowError):
        iso = pd.Series(
            [_one_iso(value, zone) for value in text], index=text.index, dtype="datetime64[ns]"
        )
        return iso.where(iso.dt.year.between(MIN_YEAR, MAX_YEAR))
    if zone is not None:
        iso = iso.dt.tz_convert(zone).dt.tz_localize(None)
    # Years such as 0001 or 9999 parse (at microsecond resolution) but do not fit
    # nanoseconds; they are outside MIN_YEAR..MAX_YEAR anyway, so drop them first.
    iso = iso.where(iso.dt.year.between(MIN_YEAR, MAX_YEAR))
    return iso.astype("datetime64[ns]")


def _one_iso(value: str, zone: str | None) -> pd.Timestamp:
    """One ISO text as a naive local timestamp (NaT when it cannot be read). Only year-first
    text: pd.Timestamp alone would read "3/12/21" as US month/day without being asked."""
    if not _ISO_START.match(value):
        return pd.NaT  # type: ignore[return-value]  # NaT stands for "no time" here
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError, OverflowError):
        return pd.NaT  # type: ignore[return-value]  # NaT stands for "no time" here
    if stamp is pd.NaT or not MIN_YEAR <= stamp.year <= MAX_YEAR:
        return pd.NaT  # type: ignore[return-value]  # NaT stands for "no time" here
    if stamp.tzinfo is not None:
        if zone is None:
            return pd.NaT  # type: ignore[return-value]  # an offset form not documented: unread
        stamp = stamp.tz_convert(zone).tz_localize(None)
    return stamp.as_unit("ns")


def _datetime_by_regex(text: pd.Series) -> pd.Series:
    parts = text.str.extract(_DATE_TEXT.pattern)
    compact = text.str.extract(_DATE_COMPACT.pattern)
    parts = parts.fillna(compact) if len(compact) else parts
    frame = pd.DataFrame(
        {
            "year": pd.to_numeric(parts["y"], errors="coerce"),
            "month": pd.to_numeric(parts["m"], errors="coerce"),
            "day": pd.to_numeric(parts["d"], errors="coerce"),
            "hour": pd.to_numeric(parts["H"], errors="coerce").fillna(0),
            "minute": pd.to_numeric(parts["M"], errors="coerce").fillna(0),
            "second": pd.to_numeric(parts["S"], errors="coerce").fillna(0),
        },
        index=text.index,
    )
    valid = frame[["year", "month", "day"]].notna().all(axis=1)
    valid &= (
        frame["year"].between(MIN_YEAR, MAX_YEAR)  # 0001 or 9999 would not fit nanoseconds
        & frame["hour"].between(0, 23)
        & frame["minute"].between(0, 59)
        & frame["second"].between(0, 60)
    )
    out = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    if valid.any():
        sub = frame[valid]
        whole = sub["second"].floordiv(1)
        stamps = pd.to_datetime(
            sub.assign(second=whole).astype("int64"), errors="coerce"
        ) + pd.to_timedelta(sub["second"] - whole, unit="s")
        out[valid] = stamps.astype("datetime64[ns]")
    return out


def _year_last(text: pd.Series, order: str) -> pd.Series:
    """Slash text with the year last (3/12/21 9:57 PM) in ``order`` ("mdy" or "dmy"); a
    two-digit year is 20yy. Text of another form stays NaT."""
    parts = text.str.extract(_YEAR_LAST.pattern, flags=re.IGNORECASE)
    first, second = ("a", "b") if order == "mdy" else ("b", "a")
    year = pd.to_numeric(parts["y"], errors="coerce")
    hour = pd.to_numeric(parts["H"], errors="coerce").fillna(0)
    pm = parts["p"].fillna("").str.lower().str.startswith("p")
    am = parts["p"].fillna("").str.lower().str.startswith("a")
    twelve = parts["p"].notna()
    hour = hour.where(~twelve | (hour.between(1, 12)), np.nan)
    hour = hour.where(~(am & (hour == 12)), 0).where(~(pm & (hour < 12)), hour + 12)
    iso = pd.Series(
        (year.where(year >= 100, year + 2000)).astype("Int64").astype("str")
        + "-"
        + parts[first].str.zfill(2)
        + "-"
        + parts[second].str.zfill(2)
        + " "
        + hour.astype("Int64").astype("str").str.zfill(2)
        + ":"
        + parts["M"].fillna("00")
        + ":"
        + parts["S"].fillna("00").str.zfill(2),
        index=text.index,
    )
    return _iso_datetimes(iso.where(parts["a"].notna() & hour.notna()), None)


def parse_date(series: pd.Series, *, date1904: bool = False, **reading: str) -> Parsed:
    """Like ``parse_datetime``, normalised to midnight."""
    values, bad = parse_datetime(series, date1904=date1904, **reading)
    return values.dt.normalize(), bad


# ---------------------------------------------------------------- numbers, durations


def parse_number(series: pd.Series) -> Parsed:
    """Numbers with full-width digits, thousands separators, a sign, or a percent -> float64."""
    return _by_distinct(series, _number_uniques, np.nan, "float64")


def _number_uniques(uniques: pd.Series) -> Parsed:
    """Full-width digits (NFKC), spaces, ``_``/``'`` and thousands commas removed; a comma that
    is not a thousands separator, or a value that is not finite or beyond ``MAX_NUMBER``, is bad."""
    text = _normalised(uniques).str.replace(r"[\s_']", "", regex=True)
    comma = text.str.contains(",", regex=False).fillna(False)
    grouped = text.str.fullmatch(_THOUSANDS.pattern).fillna(False)
    text = text.str.replace(",", "", regex=False)
    percent = text.str.endswith("%")
    text = text.str.rstrip("%")
    ok = text.str.fullmatch(_NUMBER.pattern).fillna(False) & (~comma | grouped)
    values = pd.to_numeric(text.where(ok), errors="coerce").astype("float64")
    values = values.where(values.abs() <= MAX_NUMBER)  # inf, nan and 1e308 are not values
    values = values.where(~percent, values / 100.0)
    return values.astype("float64"), values.isna().to_numpy()


def parse_duration(series: pd.Series, *, date1904: bool = False) -> Parsed:
    """Durations in days: Excel duration cells, ``1:30:00``, ``2天3小时``, plain numbers (days)."""
    return _by_distinct(series, lambda u: _duration_uniques(u, date1904), np.nan, "float64")


def _duration_uniques(uniques: pd.Series, date1904: bool) -> Parsed:
    text = _normalised(uniques).str.strip()
    out = pd.Series(np.nan, index=text.index, dtype="float64")
    numbers, bad_numbers = _number_uniques(text)
    out[~bad_numbers] = numbers[~bad_numbers]
    # A duration cell comes out of the reader as a datetime near the epoch.
    stamps = pd.to_datetime(text.where(bad_numbers), format="ISO8601", errors="coerce")
    base = EPOCH_1904 if date1904 else DURATION_BASE_1900
    near_epoch = stamps.notna() & (stamps.dt.year <= 1904)
    out[near_epoch] = (stamps[near_epoch] - base) / pd.Timedelta(days=1)
    todo = out.isna()
    if todo.any():
        clock = pd.to_timedelta(text[todo].where(text[todo].str.contains(":")), errors="coerce")
        out[clock.index] = clock / pd.Timedelta(days=1)
    todo = out.isna() & text.str.contains(r"\d")
    if todo.any():
        parts = text[todo].str.extract(_DURATION_CN.pattern).apply(pd.to_numeric, errors="coerce")
        matched = parts.notna().any(axis=1)
        days = parts["d"].fillna(0) + parts["h"].fillna(0) / 24 + parts["m"].fillna(0) / 1440
        out[days[matched].index] = days[matched]
    return out, out.isna().to_numpy()


# ---------------------------------------------------------------- flags, enums


def parse_flag(series: pd.Series) -> Parsed:
    """是/否, Y/N, yes/no, 1/0, true/false, 有效/无效, √/× -> pandas ``boolean``."""
    return _by_distinct(series, _flag_uniques, pd.NA, "boolean")


def _flag_uniques(uniques: pd.Series) -> Parsed:
    key = _normalised(uniques).str.replace(r"\s+", "", regex=True).str.casefold()
    mapped = key.map(FLAG_VALUES)
    return mapped.astype("boolean"), mapped.isna().to_numpy()


def enum_lookup(values: Mapping[str, Sequence[str]]) -> dict[str, str]:
    """Normalised spelling -> canonical code, the codes themselves included."""
    lookup: dict[str, str] = {}
    for code, spellings in values.items():
        for spelling in (code, *spellings):
            lookup.setdefault(_SPACE.sub("", nfkc(str(spelling))).casefold(), code)
    return lookup


def parse_enum(series: pd.Series, values: Mapping[str, Sequence[str]]) -> Parsed:
    """A column's spellings (case-insensitive after NFKC, spaces ignored) -> canonical codes."""
    lookup = enum_lookup(values)

    def uniques_parse(uniques: pd.Series) -> Parsed:
        mapped = _normalised(uniques).str.replace(r"\s+", "", regex=True).str.casefold().map(lookup)
        return mapped.astype(object), mapped.isna().to_numpy()

    return _by_distinct(series, uniques_parse, None, "str")


# ---------------------------------------------------------------- ids, text, branches


def parse_id(series: pd.Series) -> Parsed:
    """Identifiers as text: ``1001.0`` -> ``1001``; leading zeros and long digit strings kept."""
    array = pc.utf8_trim_whitespace(_arrow(series))
    if pc.any(pc.ends_with(array, ".0")).as_py():
        array = pc.replace_substring_regex(array, _INT_FLOAT.pattern, r"\1")
    array = pc.if_else(pc.equal(array, ""), pa.scalar(None, array.type), array)
    return pd.Series(array.to_pandas(), index=series.index).astype("str"), control_mask(array)


def control_mask(array: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """True where a cell holds a control character (``CONTROL_CHARACTERS``): one RE2 pass in
    Arrow; such a cell is "bad" in an id or text column, so the row is rejected, never a new key.
    The UTF-8 bytes are scanned first (a million ids in milliseconds): a column without a control
    byte, nearly every column, needs no regex pass."""
    chunks = array.chunks if isinstance(array, pa.ChunkedArray) else [array]
    if not any(_control_bytes(chunk) for chunk in chunks):
        return np.zeros(len(array), dtype=bool)
    hit = pc.fill_null(pc.match_substring_regex(array, CONTROL_CHARACTERS), False)
    return np.asarray(hit.to_numpy(zero_copy_only=False), dtype=bool)


def _control_bytes(chunk: pa.Array) -> bool:
    """Whether a string array's data buffer may hold a control character: a byte below 0x20
    other than tab/LF/CR, DEL, or 0xC2 followed by 0x80-0x9F (C1 in UTF-8). Bytes outside a
    sliced array's range can only cause a needless regex pass, never a miss."""
    buffer = chunk.buffers()[2] if len(chunk) else None
    if buffer is None:
        return False
    data = np.frombuffer(buffer, dtype=np.uint8)
    low = data < 0x20
    if low.any() and not np.isin(data[low], (9, 10, 13)).all():
        return True
    if (data == 0x7F).any():
        return True
    lead = np.flatnonzero(data[:-1] == 0xC2)
    return bool(((data[lead + 1] >= 0x80) & (data[lead + 1] <= 0x9F)).any())


def parse_text(series: pd.Series) -> Parsed:
    """Free text, stripped, line ends normalised to ``\\n``; blank -> NA."""
    array = pc.utf8_trim_whitespace(_arrow(series))
    array = pc.if_else(pc.equal(array, ""), pa.scalar(None, array.type), array)
    text = pd.Series(array.to_pandas(), index=series.index).astype("str")
    if text.str.contains("\r", regex=False).any():
        text = text.str.replace("\r\n", "\n", regex=False).str.replace("\r", "\n", regex=False)
    return text.astype("str"), control_mask(array)


def branch_keys(series: pd.Series) -> pd.Series:
    """``models.branch_key`` of every name (None for a blank one), computed once per distinct name."""
    codes, uniques = distinct(series)
    keys = np.array([branch_key(u) or None for u in uniques], dtype=object)
    return _text_by_codes(keys, codes, series.index)


PARSERS: dict[str, Callable[..., Parsed]] = {
    "datetime": parse_datetime,
    "date": parse_date,
    "number": parse_number,
    "duration": parse_duration,
    "flag": parse_flag,
    "id": parse_id,
    "text": parse_text,
    "branch": parse_text,
}
