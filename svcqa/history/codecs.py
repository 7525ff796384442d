"""How the store encodes frames: Arrow IPC blobs for tickets and evidence, plain SQL values for the rest.

Tickets (a million a month) are stored as one Arrow IPC file (zstd) per completion day, so the
90-day rework window reads a handful of blobs and decodes only the columns it needs; each run's
evidence is one Arrow IPC stream. Small frames (quarter-to-date counts) are SQL rows, with the
pandas dtypes kept in ``runs.frames`` to restore them exactly. No SQL here: the store decides
where the bytes go. Released migrations never import this module (they carry frozen copies).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pyarrow import ipc

from svcqa.models import EVIDENCE_COLUMNS, MonthData

_NAT = np.iinfo(np.int64).min  # numpy's NaT as int64

# -- small frames as SQL values ------------------------------------------------------------------


def _encode_column(series: pd.Series) -> list[Any]:
    """A column as SQLite values: None for missing, datetimes as their exact int64 ticks."""
    if pd.api.types.is_datetime64_dtype(series.dtype):
        ticks = series.to_numpy().view("int64").astype(object)
        ticks[series.isna().to_numpy()] = None
        return ticks.tolist()
    values = series.astype(object).to_numpy(copy=True)
    values[pd.isna(values)] = None
    if series.dtype == object and pd.api.types.infer_dtype(values, skipna=True) not in (
        "string",
        "empty",
    ):
        # Object columns may hold numpy scalars, which sqlite3 cannot bind (all-text columns,
        # the common case, are checked in C above and skip this per-value pass).
        return [v.item() if isinstance(v, np.generic) else v for v in values]
    return values.tolist()


def encode_frame(frame: pd.DataFrame, columns: list[str]) -> tuple[dict[str, str], list[list[Any]]]:
    """Column-wise SQLite values of ``columns`` plus the dtypes needed to restore them exactly.

    A column the frame lacks is stored as all missing and restored as an object column.
    """
    frame = frame.reset_index(drop=True)
    dtypes: dict[str, str] = {}
    values: list[list[Any]] = []
    for column in columns:
        if column in frame.columns:
            dtypes[column] = str(frame[column].dtype)
            values.append(_encode_column(frame[column]))
        else:
            dtypes[column] = "object"
            values.append([None] * len(frame))
    return dtypes, values


def _decode_column(values: Sequence[Any], dtype: str) -> pd.Series:
    if dtype.startswith("datetime64[") and "," not in dtype:
        ticks = pd.array(list(values), dtype="Int64").to_numpy(dtype="int64", na_value=_NAT)
        return pd.Series(ticks.view(dtype))
    raw = pd.Series(list(values), dtype=object)
    if dtype == "object":
        return raw
    try:
        return raw.astype(pd.api.types.pandas_dtype(dtype))
    except (TypeError, ValueError):  # a dtype pandas cannot rebuild from plain values: keep them
        return raw


def decode_frame(
    rows: list[tuple[Any, ...]], columns: list[str], dtypes: dict[str, str]
) -> pd.DataFrame:
    by_column = list(zip(*rows)) if rows else [()] * len(columns)
    return pd.DataFrame(
        {c: _decode_column(v, dtypes.get(c, "object")) for c, v in zip(columns, by_column)},
        columns=columns,
    )


# -- tickets: one Arrow IPC file per completion day ---------------------------------------------

TICKET_SCHEMA = pa.schema(
    [
        ("ticket_id", pa.string()),
        ("device_id", pa.string()),
        ("branch_key", pa.string()),
        ("accepted_at", pa.timestamp("us")),
        ("completed_at", pa.timestamp("us")),
        ("file", pa.string()),
        ("sheet", pa.string()),
        ("row", pa.int64()),
    ]
)


def _arrow_text(tickets: pd.DataFrame, column: str) -> pa.Array:
    """A text column as an Arrow string array ("" for missing); cheap for pandas' Arrow strings."""
    if column not in tickets.columns:
        return pa.array([""] * len(tickets), type=pa.string())
    series = tickets[column]
    try:
        values = pa.array(series, from_pandas=True)
        values = values.cast(pa.string()) if values.type != pa.string() else values
    except (
        pa.ArrowInvalid,
        pa.ArrowTypeError,
        pa.ArrowNotImplementedError,
    ):  # mixed objects: spell them out
        values = pa.array(
            series.astype(object).where(series.notna(), None).astype(str), type=pa.string()
        )
    return pc.fill_null(values, "")


def _arrow_stamps(tickets: pd.DataFrame, column: str) -> pa.Array:
    if column not in tickets.columns:
        return pa.nulls(len(tickets), type=pa.timestamp("us"))
    return pa.array(
        pd.to_datetime(tickets[column]).astype("datetime64[us]"),
        type=pa.timestamp("us"),
        from_pandas=True,
    )


# Arrow IPC file format, zstd: ~27 bytes a ticket, and decoding is several times faster than Parquet.
_IPC_OPTIONS = ipc.IpcWriteOptions(compression="zstd")


def encode_tickets(data: MonthData) -> list[tuple[str | None, int, bytes]]:
    """The month's tickets that carry a device id, as (completion day, rows, Arrow IPC blob) chunks.

    Columnar throughout: one Arrow table, sorted by completion, sliced where the day changes.
    """
    tickets = data.tables.get("tickets")
    if tickets is None or tickets.empty or "device_id" not in tickets.columns:
        return []
    row = (
        pd.to_numeric(tickets["_row"], errors="coerce").fillna(0).astype("int64").to_numpy()
        if "_row" in tickets.columns
        else np.zeros(len(tickets), dtype="int64")
    )
    table = pa.table(
        [
            _arrow_text(tickets, "ticket_id"),
            _arrow_text(tickets, "device_id"),
            _arrow_text(tickets, "branch_key"),
            _arrow_stamps(tickets, "accepted_at"),
            _arrow_stamps(tickets, "completed_at"),
            _arrow_text(tickets, "_file"),
            _arrow_text(tickets, "_sheet"),
            pa.array(row, type=pa.int64()),
        ],
        schema=TICKET_SCHEMA,
    )
    table = table.filter(pc.not_equal(pc.utf8_trim_whitespace(table.column("device_id")), ""))
    if table.num_rows == 0:
        return []
    table = table.sort_by([("completed_at", "ascending")])  # open tickets (null) sort last
    completed = table.column("completed_at").to_numpy()  # datetime64[us], NaT for open tickets
    closed = table.num_rows - int(np.isnat(completed).sum())
    days = completed[:closed].astype("datetime64[D]")
    starts = (
        np.flatnonzero(np.r_[True, days[1:] != days[:-1]])
        if closed
        else np.array([], dtype="int64")
    )
    ends = np.r_[starts[1:], closed]
    bounds: list[tuple[int, int, str | None]] = [
        (start, end, str(days[start])) for start, end in zip(starts.tolist(), ends.tolist())
    ]
    if closed < table.num_rows:
        bounds.append((closed, table.num_rows, None))
    chunks: list[tuple[str | None, int, bytes]] = []
    for start, end, day in bounds:  # one iteration per completion day, not per row
        sink = pa.BufferOutputStream()
        with ipc.new_file(sink, TICKET_SCHEMA, options=_IPC_OPTIONS) as writer:
            writer.write_table(table.slice(start, end - start))
        chunks.append((day, end - start, sink.getvalue().to_pybytes()))
    return chunks


def ticket_read_options(columns: Sequence[str]) -> ipc.IpcReadOptions:
    """Read options that decode only ``columns`` of a ticket chunk (about a third of its bytes
    for rework detection's columns)."""
    return ipc.IpcReadOptions(included_fields=[TICKET_SCHEMA.get_field_index(c) for c in columns])


def decode_ticket_chunk(blob: bytes, options: ipc.IpcReadOptions) -> pa.Table:
    """One stored ticket chunk as an Arrow table of the columns ``options`` selects."""
    return ipc.open_file(pa.BufferReader(blob), options=options).read_all()


# -- evidence: one Arrow IPC stream per run -------------------------------------------------------


def encode_evidence(evidence: pd.DataFrame) -> tuple[dict[str, str], bytes]:
    """The EVIDENCE_COLUMNS of ``evidence`` as one Arrow IPC stream (zstd), plus their dtypes.

    Evidence is only ever read whole per run, so a month's ~300k rows are one blob: inserting
    them as SQL rows took 1.3 s of a 1M-ticket save and reading them back 1.6 s of every
    report. Text columns (object dtype, scoring's choice) are dictionary-encoded by factorizing
    once: cheaper than converting every string, a third of the size, and decoding shares one
    Python string per distinct value. A column the frame lacks is stored as all missing and
    restored as an object column. ``decode_evidence(blob, dtypes)`` gives the frame back.
    """
    frame = evidence.reset_index(drop=True)
    dtypes: dict[str, str] = {}
    arrays: list[pa.Array] = []
    for column in EVIDENCE_COLUMNS:
        if column in frame.columns:
            dtypes[column] = str(frame[column].dtype)
            arrays.append(_evidence_array(frame[column]))
        else:
            dtypes[column] = "object"
            arrays.append(pa.nulls(len(frame)))
    table = pa.Table.from_arrays(arrays, names=EVIDENCE_COLUMNS)
    sink = pa.BufferOutputStream()
    with ipc.new_stream(sink, table.schema, options=_IPC_OPTIONS) as writer:
        writer.write_table(table)
    return dtypes, sink.getvalue().to_pybytes()


def decode_evidence(blob: bytes, dtypes: dict[str, str]) -> pd.DataFrame:
    """The frame ``encode_evidence`` stored, with the recorded ``dtypes`` (object if unknown)."""
    table = ipc.open_stream(pa.BufferReader(blob)).read_all()
    return pd.DataFrame(
        {
            c: _evidence_series(table.column(c).combine_chunks(), dtypes.get(c, "object"))
            for c in EVIDENCE_COLUMNS
        },
        columns=EVIDENCE_COLUMNS,
    )


def _evidence_array(series: pd.Series) -> pa.Array:
    """One evidence column as Arrow: text dictionary-encoded, mixed objects as a union, the rest as Arrow converts it."""
    if series.dtype == object:
        values = series.to_numpy()
        if pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty"):
            codes, uniques = pd.factorize(values)  # missing (None, NaN) -> -1 -> null
            return pa.DictionaryArray.from_arrays(
                pa.array(codes.astype("int32"), mask=codes < 0), pa.array(uniques, type=pa.string())
            )
        return _mixed_array(values)
    try:
        return pa.array(series, from_pandas=True)
    except (
        pa.ArrowInvalid,
        pa.ArrowTypeError,
        pa.ArrowNotImplementedError,
    ):  # a dtype Arrow lacks: keep the values
        return _mixed_array(series.to_numpy(dtype=object))


# Dense-union children of a mixed object column, by type code. bool precedes int (its base
# class); a value of any other type is stored as its text.
_MIXED_TYPES: tuple[tuple[type, pa.DataType], ...] = (
    (type(None), pa.null()),
    (bool, pa.bool_()),
    (int, pa.int64()),
    (float, pa.float64()),
    (str, pa.string()),
    (bytes, pa.binary()),
)
_MIXED_TEXT = [kind for kind, _type in _MIXED_TYPES].index(str)


def _mixed_array(values: np.ndarray) -> pa.Array:
    """An object column holding several Python types (``1``, ``"2.5天"``, None) as an Arrow dense
    union, so each value comes back with its own type, as SQLite's untyped columns kept it.

    A loop per value, but only for such columns: scoring's text columns take the dictionary path.
    """
    missing = pd.isna(values)
    children: list[list[Any]] = [[] for _ in _MIXED_TYPES]
    type_codes = np.empty(len(values), dtype=np.int8)
    offsets = np.empty(len(values), dtype=np.int32)
    for i, value in enumerate(values):
        if missing[i]:
            value = None
        elif isinstance(value, np.generic):
            value = value.item()
        code = next(
            (c for c, (kind, _type) in enumerate(_MIXED_TYPES) if isinstance(value, kind)),
            _MIXED_TEXT,
        )
        if code == _MIXED_TEXT:
            value = str(value)
        type_codes[i], offsets[i] = code, len(children[code])
        children[code].append(value)
    return pa.UnionArray.from_dense(
        pa.array(type_codes, type=pa.int8()),
        pa.array(offsets, type=pa.int32()),
        [
            pa.array(items, type=arrow_type)
            for items, (_kind, arrow_type) in zip(children, _MIXED_TYPES)
        ],
    )


def _evidence_series(array: pa.Array, dtype: str) -> pd.Series:
    """One stored column back as pandas with its recorded ``dtype`` (kept as is if pandas cannot rebuild it)."""
    if pa.types.is_dictionary(
        array.type
    ):  # text: one Python string per distinct value, null -> None
        lookup = np.append(array.dictionary.to_numpy(zero_copy_only=False), [None])
        raw = pd.Series(lookup[array.indices.fill_null(-1).to_numpy()], dtype=object)
    elif pa.types.is_union(array.type):
        values = np.full(len(array), None, dtype=object)
        type_codes, offsets = array.type_codes.to_numpy(), array.offsets.to_numpy()
        for code in range(1, array.type.num_fields):  # code 0 is None, already in place
            child = np.empty(len(array.field(code)), dtype=object)
            child[:] = array.field(code).to_pylist()
            here = type_codes == code
            values[here] = child[offsets[here]]
        raw = pd.Series(values, dtype=object)
    elif pa.types.is_null(array.type):
        raw = pd.Series(np.full(len(array), None, dtype=object), dtype=object)
    else:
        target = pd.api.types.pandas_dtype(dtype)
        if isinstance(target, pd.api.extensions.ExtensionDtype) and hasattr(
            target, "__from_arrow__"
        ):
            return pd.Series(
                target.__from_arrow__(pa.chunked_array([array]))
            )  # Int64, boolean, str: exact
        raw = array.to_pandas()
    if str(raw.dtype) == dtype:
        return raw
    try:
        return raw.astype(pd.api.types.pandas_dtype(dtype))
    except (TypeError, ValueError):  # a dtype pandas cannot rebuild from plain values: keep them
        return raw


__all__ = [
    "TICKET_SCHEMA",
    "decode_evidence",
    "decode_frame",
    "decode_ticket_chunk",
    "encode_evidence",
    "encode_frame",
    "encode_tickets",
    "ticket_read_options",
]
