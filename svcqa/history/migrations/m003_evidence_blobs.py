"""Migration 3 (released): each run's evidence as one Arrow IPC blob instead of SQL rows.

Self-contained on purpose: the codec below is a frozen copy of the store's as it was when this
migration was released (svcqa's evidence codec of schema version 3). Importing the live codec
would let a later change to it silently change what this old migration writes into stores that
upgrade after that change. Never edit this file: stores in the field already ran it.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
from pyarrow import ipc

from svcqa.history.migrations.sql import execute_all

VERSION = 3

# The columns of the version-1 evidence table (and of the blob this migration writes), spelled
# out so later changes to models.EVIDENCE_COLUMNS cannot change what this migration reads.
EVIDENCE_COLUMNS = [
    "branch_key",
    "kpi_id",
    "kind",
    "ref",
    "date",
    "value",
    "category",
    "detail",
    "file",
    "sheet",
    "row",
]
_NAT = np.iinfo(np.int64).min  # numpy's NaT as int64
_IPC_OPTIONS = ipc.IpcWriteOptions(compression="zstd")


def upgrade(conn: sqlite3.Connection) -> None:
    """Each run's evidence as one Arrow IPC (zstd) blob instead of one SQL row per evidence row.

    Evidence is only ever read whole per run, and a 1M-ticket month has ~300k rows: as SQL rows
    they took 1.3 s of every save and 1.6 s of every report. Every run's rows are converted here
    (decoded as ``load_scorecard`` read them at version 2, encoded as ``save`` wrote them at
    version 3, by the frozen codec below), then the old
    table goes.
    """
    execute_all(
        conn,
        """
        -- The run's evidence (EVIDENCE_COLUMNS) as one Arrow IPC stream; runs.frames keeps the
        -- pandas dtypes that restore it exactly.
        CREATE TABLE evidence_blobs (
            run_id INTEGER PRIMARY KEY REFERENCES runs(id),
            rows INTEGER NOT NULL,
            data BLOB NOT NULL
        );
        """,
    )
    runs = conn.execute(
        "SELECT id, frames FROM runs WHERE status = 'active' OR id IN (SELECT run_id FROM evidence) ORDER BY id"
    ).fetchall()
    for run_id, frames in runs:  # one iteration per run
        rows = conn.execute(
            f"SELECT {', '.join(EVIDENCE_COLUMNS)} FROM evidence WHERE run_id = ? ORDER BY seq",
            (run_id,),
        ).fetchall()
        evidence = decode_frame(rows, EVIDENCE_COLUMNS, json.loads(frames).get("evidence", {}))
        blob = encode_evidence(evidence)  # load_scorecard restores the dtypes in runs.frames
        conn.execute(
            "INSERT INTO evidence_blobs (run_id, rows, data) VALUES (?, ?, ?)",
            (run_id, len(evidence), blob),
        )
    execute_all(
        conn,
        """
        DROP INDEX evidence_by_branch;
        DROP TABLE evidence;
        """,
    )


# -- the frozen codec: version-1 evidence rows in, the version-3 blob out ---------------------------


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


def encode_evidence(evidence: pd.DataFrame) -> bytes:
    """The EVIDENCE_COLUMNS of ``evidence`` as one Arrow IPC stream (zstd).

    Text columns (object dtype) are dictionary-encoded by factorizing once; mixed object columns
    become a dense union so each value keeps its own type. A column the frame lacks is stored as
    all missing. The dtypes that restore the frame are already in ``runs.frames``.
    """
    frame = evidence.reset_index(drop=True)
    arrays: list[pa.Array] = []
    for column in EVIDENCE_COLUMNS:
        if column in frame.columns:
            arrays.append(_evidence_array(frame[column]))
        else:
            arrays.append(pa.nulls(len(frame)))
    table = pa.Table.from_arrays(arrays, names=EVIDENCE_COLUMNS)
    sink = pa.BufferOutputStream()
    with ipc.new_stream(sink, table.schema, options=_IPC_OPTIONS) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


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
