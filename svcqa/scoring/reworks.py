"""Reworks derived from device ids: a ticket accepted soon after a completion of the same device.

Exports that carry no rework flag are matched here against this month's and the stored months'
completions. At a million tickets this is the slowest step of scoring, so it is vectorised
(one sort, a running maximum) and runs on a second thread (``MetricContext.derive_reworks_ahead``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from svcqa.models import Month
from svcqa.scoring.evidence import repeated


def _device_codes(
    current: pd.Series, earlier: pd.Series | None
) -> tuple[np.ndarray, np.ndarray | None]:
    """Integer codes of this month's device ids (-1 = no device) and, for the history's tickets,
    the code of the same device this month (-1 when it has none).

    A stored ticket whose device has no ticket this month precedes none of this month's, so
    ``derive_reworks`` leaves it out of its sort: with two stored months of a million tickets,
    1.8M of 2.8M rows. IMEIs are matched as numbers (``_as_numbers``), other ids as text.
    """
    now_text = _large_text(current)
    history_text = None if earlier is None else _large_text(earlier)
    now_numbers = _as_numbers(now_text)
    history_numbers = None if history_text is None else _as_numbers(history_text)
    if now_numbers is not None and (history_text is None or history_numbers is not None):
        now_values, now_present = _int_values(now_numbers)
        present_codes, uniques = pd.factorize(now_values[now_present])
        codes = np.full(len(now_values), -1, dtype=np.int64)
        codes[now_present] = present_codes
        if history_numbers is None:
            return codes, None
        history_values, history_present = _int_values(history_numbers)
        history_codes = np.full(len(history_values), -1, dtype=np.int64)
        history_codes[history_present] = pd.Index(uniques).get_indexer(
            history_values[history_present]
        )
        return codes, history_codes
    # Encoded chunk by chunk: Arrow keeps one dictionary across the chunks (no joined copy).
    encoded = pc.dictionary_encode(now_text)
    codes = _indices(encoded.chunks)
    if history_text is None:
        return codes, None
    dictionary = (
        encoded.chunks[-1].dictionary if encoded.num_chunks else pa.array([], now_text.type)
    )
    return codes, _indices(pc.index_in(history_text, value_set=dictionary).chunks)


def _int_values(numbers: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """The numbers as int64 and where they are present (not null)."""
    return numbers.fill_null(0).to_numpy(), ~numbers.is_null().to_numpy(zero_copy_only=False)


def _indices(chunks: list[pa.Array]) -> np.ndarray:
    """Arrow codes or indices (null = none) as one int64 array with -1 for none."""
    return np.concatenate(
        [
            (c.indices if pa.types.is_dictionary(c.type) else c)
            .fill_null(-1)
            .to_numpy(zero_copy_only=False)
            .astype(np.int64)
            for c in chunks
        ]
        or [np.zeros(0, dtype=np.int64)]
    )


def _as_numbers(texts: pa.ChunkedArray) -> pa.ChunkedArray | None:
    """The ids as 64-bit integers when each one is a positive decimal integer without a leading
    zero (IMEIs are 15 digits), else None. Such a text is its number's only spelling, so two ids
    are equal exactly when their numbers are, and numbers hash several times faster than texts."""
    try:
        numbers = pc.cast(texts, pa.int64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    # The cast also reads "-5", "007" and "0x1F", which other texts could equal as numbers.
    other_spelling = pc.or_(pc.starts_with(texts, "0"), pc.starts_with(texts, "-"))
    return None if pc.any(other_spelling).as_py() else numbers


def _large_text(series: pd.Series) -> pa.ChunkedArray:
    """A text column as Arrow large strings (zero-copy for Arrow-backed ``str`` columns)."""
    if series.dtype != "str":  # object or categorical ids (tests, library callers): as text
        series = series.astype("str")
    array = pa.array(series.array)
    chunked = array if isinstance(array, pa.ChunkedArray) else pa.chunked_array([array])
    return chunked.cast(pa.large_string())


def derive_reworks(
    tickets: pd.DataFrame, history_tickets: pd.DataFrame | None, window_days: float, month: Month
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Reworks by device id: a ticket accepted within ``window_days`` after a completion of the same device.

    Returns, per ticket, whether it is a rework and the earlier ticket's id and completion time.
    Vectorised: acceptances and completions are sorted together by (device, time, acceptances
    first at equal times, so a completion must be strictly earlier) and a running maximum carries
    the position of the latest completion forward; it belongs to the same device only when the
    device codes match.
    """
    n = len(tickets)
    is_rework = np.zeros(n, dtype=bool)
    prev_ticket = repeated("", n)
    prev_completed = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    if n == 0 or "device_id" not in tickets.columns:
        return is_rework, prev_ticket, prev_completed
    hist = history_tickets
    if hist is not None and len(hist) and "month" in hist.columns:
        # A re-scored month's own tickets are here already. (Compared as is: ``month`` is a
        # categorical from the store, and text per row would cost a string for each of ~3M rows.)
        hist = hist[(hist["month"] != str(month)).to_numpy(dtype=bool)]
    if hist is not None and len(hist) == 0:
        hist = None
    dev_now, dev_hist = _device_codes(
        tickets["device_id"], None if hist is None else hist["device_id"]
    )

    accepted = tickets["accepted_at"].to_numpy(dtype="datetime64[ns]")
    completed = (
        tickets["completed_at"].to_numpy(dtype="datetime64[ns]")
        if "completed_at" in tickets.columns
        else np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    )
    q = np.flatnonzero((dev_now >= 0) & ~np.isnat(accepted))
    cd, ct, c_ref = _completions(tickets, completed, dev_now, hist, dev_hist)
    c = np.flatnonzero((cd >= 0) & ~np.isnat(ct))
    if len(q) == 0 or len(c) == 0:
        return is_rework, prev_ticket, prev_completed

    n_q = len(q)
    dev = np.concatenate([dev_now[q], cd[c]]).astype(np.int64)
    # Whole seconds are precise enough for "completed before accepted" and keep one int64 key.
    time = np.concatenate([accepted[q].view("int64"), ct[c].view("int64")]) // 10**9
    time = time - time.min()
    # time * 2 + 1 for completions: at equal times acceptances sort first, so a completion
    # must be strictly earlier to count.
    key = time * 2 + (np.arange(len(time)) >= n_q)
    span = int(key.max()) + 1
    if span * (int(dev.max()) + 1) < 2**62:
        order = np.argsort(dev * span + key, kind="stable")
    else:  # pragma: no cover - decades of history times millions of devices
        order = np.lexsort((key, dev))
    s_comp = order >= n_q
    positions = np.arange(len(order))
    last = np.maximum.accumulate(np.where(s_comp, positions, -1))
    query_pos = np.flatnonzero(~s_comp)
    prev = last[query_pos]
    found = prev >= 0
    prev_safe = np.maximum(prev, 0)
    same_device = found & (dev[order[prev_safe]] == dev[order[query_pos]])
    gap = time[order[query_pos]] - time[order[prev_safe]]
    hit = same_device & (gap <= window_days * 86_400)

    ticket_rows = q[order[query_pos[hit]]]
    completion_rows = c[order[prev[hit]] - n_q]  # positions in the concatenated completions
    is_rework[ticket_rows] = True
    prev_completed[ticket_rows] = ct[completion_rows]
    prev_ticket[ticket_rows] = _texts_at(c_ref, completion_rows)
    return is_rework, prev_ticket, prev_completed


def _completions(
    tickets: pd.DataFrame,
    completed: np.ndarray,
    dev_now: np.ndarray,
    hist: pd.DataFrame | None,
    dev_hist: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray, list[pd.Series]]:
    """Every completion that may precede a ticket, this month's then the history's: device
    codes, completion times, and the ticket ids as parts (see ``_texts_at``)."""
    n = len(tickets)
    c_dev = [dev_now]
    c_time = [completed]
    c_ref = [tickets["ticket_id"] if "ticket_id" in tickets.columns else pd.Series([""] * n)]
    if hist is not None:
        assert dev_hist is not None  # _device_codes gives history codes when given a history
        c_dev.append(dev_hist)
        c_time.append(hist["completed_at"].to_numpy(dtype="datetime64[ns]"))
        c_ref.append(
            hist["ticket_id"] if "ticket_id" in hist.columns else pd.Series([""] * len(hist))
        )
    return np.concatenate(c_dev), np.concatenate(c_time), c_ref


def _texts_at(parts: list[pd.Series], positions: np.ndarray) -> np.ndarray:
    """The values at ``positions`` of the parts laid end to end, taken from each part directly
    (joining this month's and three stored months' ticket ids first would copy ~4M strings)."""
    out = np.empty(len(positions), dtype=object)
    start = 0
    for part in parts:
        here = (positions >= start) & (positions < start + len(part))
        if here.any():
            out[here] = part.iloc[positions[here] - start].to_numpy(dtype=object, na_value="")
        start += len(part)
    return out


def has_rework_flag(tickets: pd.DataFrame) -> bool:
    """Whether the export flags reworks itself (a flag column with at least one value)."""
    return "is_rework" in tickets.columns and bool(tickets["is_rework"].notna().any())


def derives_reworks(tickets: pd.DataFrame) -> bool:
    """Whether ``rework_rate`` derives the reworks of these tickets from their device ids."""
    return (
        "device_id" in tickets.columns
        and "accepted_at" in tickets.columns
        and not has_rework_flag(tickets)
    )
