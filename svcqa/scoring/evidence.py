"""Evidence: the input rows behind lost points, one frame for the scorecard and the reports.

Each metric describes its evidence as an ``EvidencePart`` (row positions into one table plus its
own figures); ``assemble_evidence`` turns every KPI's parts into one ``EVIDENCE_COLUMNS`` frame,
taking the columns all parts share from each table once. The helpers here build object columns
without a Python loop over rows: each distinct value is formatted once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from svcqa.models import EVIDENCE_COLUMNS
from svcqa.schema import SERVICE_TYPE_LABELS

if TYPE_CHECKING:
    from svcqa.scoring.context import MetricContext

# The column that names a row in the evidence ("ref"), per table.
_REF_COLUMNS = {
    "tickets": "ticket_id",
    "complaints": "complaint_id",
    "attendance": "staff",
    "discipline": "violation",
    "cooperation": "rater",
    "incentives": "reason",
}
_DATE_COLUMNS = {
    "tickets": "accepted_at",
    "complaints": "received_at",
    "attendance": "date",
    "discipline": "date",
    "incentives": "date",
}


def empty_evidence() -> pd.DataFrame:
    return pd.DataFrame(
        {c: pd.Series(dtype="float64" if c == "value" else "object") for c in EVIDENCE_COLUMNS}
    )


def iso_text(values: pd.Series | np.ndarray, unit: Literal["m", "D"] = "m") -> np.ndarray:
    """ISO 8601 text (``2026-10-03T14:22`` or ``2026-10-03``), "" for NaT.

    Formats each distinct instant once: a month has at most ~45,000 distinct minutes, however
    many rows carry them.
    """
    arr = np.asarray(values, dtype="datetime64[ns]").astype(f"datetime64[{unit}]")
    codes, uniques = pd.factorize(arr.view("int64"))
    text = np.datetime_as_string(
        uniques.astype("int64").view(f"datetime64[{unit}]"), unit=unit
    ).astype(object)
    text[np.isnat(uniques.astype("int64").view(f"datetime64[{unit}]"))] = ""
    return text[codes] if len(codes) else np.zeros(0, dtype=object)


def repeated(value: Any, n: int) -> np.ndarray:
    """``value`` ``n`` times as an object array. ``np.full`` fills object arrays through its
    generic cast, some 25 times slower than ``ndarray.fill``: it showed in scoring a million
    tickets, where evidence columns of a few hundred thousand rows are filled this way."""
    out = np.empty(n, dtype=object)
    out.fill(value)
    return out


def number_texts(values: np.ndarray, spec: str = "%.2f") -> np.ndarray:
    """Numbers as text, formatting each distinct value once."""
    codes, uniques = pd.factorize(np.asarray(values, dtype="float64"), use_na_sentinel=False)
    text = np.array([spec % v for v in uniques], dtype=object)  # distinct values only
    return text[codes] if len(codes) else np.zeros(0, dtype=object)


def column_values(
    df: pd.DataFrame, name: str | None, pos: np.ndarray, default: Any = ""
) -> np.ndarray:
    if name and name in df.columns:
        return df[name].iloc[pos].to_numpy(dtype=object, na_value="")
    return repeated(default, len(pos))


@dataclass
class EvidencePart:
    """Evidence rows of one KPI, as row positions into one table plus their own figures.

    The columns every part shares (ref, date, file, sheet, row) are taken from the table once
    for all parts in ``assemble_evidence``: one take per column instead of one per KPI.
    """

    kpi_id: str
    table: str
    pos: np.ndarray
    codes: np.ndarray
    kind: str | np.ndarray
    value: np.ndarray | None = None
    category: str | np.ndarray = ""
    detail: str | np.ndarray = ""
    ref: np.ndarray | None = None


def build_evidence(
    ctx: MetricContext,
    kpi_id: str,
    df: pd.DataFrame,
    pos: np.ndarray,
    codes: np.ndarray,
    *,
    kind: str | np.ndarray,
    table: str,
    value: np.ndarray | None = None,
    category: np.ndarray | str | None = None,
    detail: np.ndarray | str | None = None,
    ref: np.ndarray | None = None,
) -> EvidencePart:
    """Evidence for the rows of ``table`` at positions ``pos`` (``df`` is that table)."""
    return EvidencePart(
        kpi_id, table, np.asarray(pos, dtype=np.int64), np.asarray(codes, dtype=np.int64), kind,
        None if value is None else np.asarray(value, dtype="float64"),
        "" if category is None else category, "" if detail is None else detail, ref,
    )  # fmt: skip


def _broadcast(value: str | np.ndarray, n: int) -> np.ndarray:
    if isinstance(value, np.ndarray):
        return value.astype(object, copy=False)
    return repeated(value, n)


def assemble_evidence(ctx: MetricContext, parts: list[EvidencePart]) -> pd.DataFrame:
    """One EVIDENCE_COLUMNS frame: parts in KPI order, each part's rows in input order."""
    parts = [p for p in parts if len(p.pos)]
    if not parts:
        return empty_evidence()
    columns: dict[str, list[np.ndarray]] = {name: [] for name in EVIDENCE_COLUMNS}
    branch_keys = ctx.branches.to_numpy(dtype=object)
    for part in parts:
        df = ctx.tables[part.table]
        n = len(part.pos)
        date_col = _DATE_COLUMNS.get(part.table)
        if date_col and date_col in df.columns:
            date = iso_text(
                df[date_col].iloc[part.pos], "m" if part.table in {"tickets", "complaints"} else "D"
            )
        else:
            date = repeated("", n)
        columns["branch_key"].append(branch_keys[part.codes])
        columns["kpi_id"].append(repeated(part.kpi_id, n))
        columns["kind"].append(_broadcast(part.kind, n))
        columns["ref"].append(
            part.ref
            if part.ref is not None
            else column_values(df, _REF_COLUMNS.get(part.table), part.pos)
        )
        columns["date"].append(date)
        columns["value"].append(part.value if part.value is not None else np.full(n, np.nan))
        columns["category"].append(_broadcast(part.category, n))
        columns["detail"].append(_broadcast(part.detail, n))
        columns["file"].append(column_values(df, "_file", part.pos))
        columns["sheet"].append(column_values(df, "_sheet", part.pos))
        columns["row"].append(
            df["_row"].iloc[part.pos].to_numpy(dtype=np.int64, na_value=-1)
            if "_row" in df.columns
            else np.full(n, -1)
        )
    # Text columns stay object: inferring a string dtype for half a million rows would cost
    # more than the scoring itself.
    return pd.DataFrame(
        {
            name: pd.Series(
                np.concatenate(chunks),
                dtype="float64" if name == "value" else ("int64" if name == "row" else object),
            )
            for name, chunks in columns.items()
        },
        columns=EVIDENCE_COLUMNS,
    )


def service_labels(df: pd.DataFrame, pos: np.ndarray) -> np.ndarray:
    """Chinese service-type labels of the rows at ``pos`` (each distinct value looked up once)."""
    if "service_type" not in df.columns:
        return repeated("", len(pos))
    codes, uniques = pd.factorize(df["service_type"].iloc[pos])
    labels = np.array([SERVICE_TYPE_LABELS.get(u, str(u)) for u in uniques] + [""], dtype=object)
    return labels[codes]  # code -1 (blank) picks the trailing ""
