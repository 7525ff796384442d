"""Metric kinds: one vectorised computation per kind, giving one value per branch.

Every kind returns a ``MetricResult``: arrays aligned with the scoring context's branch index
(value NaN where the branch has no data), plus a function that builds the evidence rows (the
input rows behind lost points) for the branches that lost points. Nothing loops over rows in
Python: branches are integer codes and sums are ``np.bincount``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from svcqa.models import EVIDENCE_COLUMNS, HistoryContext, Month
from svcqa.rubric.model import Curve, Kpi, Metric
from svcqa.schema import ATTENDANCE_LABELS, SERVICE_TYPE_LABELS

DAY_NS = 86_400 * 10**9

# Evidence kind for a counted attendance row, by status.
_ATTENDANCE_KINDS = {"absent": "absence", "late": "late", "early_leave": "early_leave"}
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


class MetricContext:
    """The month's tables with branch codes, shared by every KPI of one scoring run."""

    def __init__(
        self,
        month: Month,
        tables: dict[str, pd.DataFrame],
        history: HistoryContext | None,
        extra_keys: list[str] | tuple[str, ...] = (),
    ):
        """Factorise every table's ``branch_key`` once; the branch index is their sorted union."""
        self.month = month
        self.tables = tables
        self.history = history
        factorised: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        keys: set[str] = {str(k) for k in extra_keys}
        for name, df in tables.items():
            if "branch_key" in df.columns and len(df):
                row_codes, uniques = pd.factorize(df["branch_key"], use_na_sentinel=True)
                factorised[name] = (row_codes, np.asarray(uniques, dtype=object))
                keys.update(str(k) for k in uniques)
        self.branches = pd.Index(sorted(keys), dtype=object)  # position = branch code
        self._codes: dict[str, np.ndarray] = {}
        for name, df in tables.items():
            if name in factorised:
                row_codes, table_keys = factorised[name]
                mapping = self.branches.get_indexer(pd.Index(table_keys.astype(str), dtype=object))
                self._codes[name] = np.where(
                    row_codes >= 0, mapping[np.maximum(row_codes, 0)], -1
                ).astype(np.int64)
            else:
                self._codes[name] = np.full(len(df), -1, dtype=np.int64)
        self._reworks_ahead: dict[tuple[str, float], Future] = {}

    @property
    def n(self) -> int:
        return len(self.branches)

    def table(self, name: str) -> pd.DataFrame | None:
        return self.tables.get(name)

    def codes(self, name: str) -> np.ndarray:
        """Branch code of every row of table ``name`` (-1 for a row without a branch key)."""
        return self._codes[name]

    def derive_reworks_ahead(self, metrics: Iterable[Metric], pool: Executor) -> None:
        """Start ``reworks`` for these rework_rate metrics on ``pool``: at a million tickets the
        derivation is the slowest KPI, and its sorts and hashing release the GIL, so it runs on
        the second core while the other KPIs are computed."""
        for metric in metrics:
            key = (metric.table, metric.window_days)
            df = self.table(metric.table)
            if key not in self._reworks_ahead and df is not None and _derives_reworks(df):
                self._reworks_ahead[key] = pool.submit(self._derive_reworks, metric)

    def reworks(self, metric: Metric) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``derive_reworks`` over the metric's table and the history's device tickets."""
        ahead = self._reworks_ahead.get((metric.table, metric.window_days))
        return ahead.result() if ahead is not None else self._derive_reworks(metric)

    def _derive_reworks(self, metric: Metric) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        history = self.history.device_tickets if self.history is not None else None
        return derive_reworks(self.tables[metric.table], history, metric.window_days, self.month)

    def count(self, codes: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        """Per-branch count (or weighted sum) of the rows with these codes."""
        keep = codes >= 0
        w = None if weights is None else np.asarray(weights, dtype="float64")[keep]
        return np.bincount(codes[keep], weights=w, minlength=self.n).astype("float64")


@dataclass
class MetricResult:
    value: np.ndarray  # per branch; NaN = no data
    basis: np.ndarray  # rows the value was computed on (denominator)
    numerator: np.ndarray | None = None
    note: str = ""  # applies to every branch (e.g. partial_quarter, missing column)
    # QTD kinds: this month's own (numerator, basis), before adding earlier months
    month_counts: tuple[np.ndarray, np.ndarray] | None = None
    # lost-points branch mask -> evidence rows (EVIDENCE_COLUMNS)
    evidence: Callable[[np.ndarray], EvidencePart] | None = field(default=None, repr=False)
    # Record the evidence of every branch, not only of those that lost points: valid complaints
    # feed the reports' complaint hot spots and their all-branch shares.
    evidence_for_all: bool = False


@dataclass
class Rows:
    """A metric's rows: the whole table, the selected positions (filters) and their branch codes.

    Positions instead of ``df[mask]`` copies: only the few columns a metric reads are taken,
    which matters on a million tickets.
    """

    df: pd.DataFrame
    pos: np.ndarray  # int positions into df
    codes: np.ndarray  # branch code per selected row

    def __len__(self) -> int:
        return len(self.pos)

    def col(self, name: str) -> pd.Series:
        series = self.df[name]
        return series if len(self.pos) == len(self.df) else series.iloc[self.pos]

    def datetimes(self, name: str) -> np.ndarray:
        return self.col(name).to_numpy(dtype="datetime64[ns]")

    def numbers(self, name: str) -> np.ndarray:
        return pd.to_numeric(self.col(name), errors="coerce").to_numpy(
            dtype="float64", na_value=np.nan
        )


def empty_evidence() -> pd.DataFrame:
    return pd.DataFrame(
        {c: pd.Series(dtype="float64" if c == "value" else "object") for c in EVIDENCE_COLUMNS}
    )


def _unavailable(ctx: MetricContext, note: str) -> MetricResult:
    return MetricResult(np.full(ctx.n, np.nan), np.zeros(ctx.n), note=note)


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


def _repeated(value: Any, n: int) -> np.ndarray:
    """``value`` ``n`` times as an object array. ``np.full`` fills object arrays through its
    generic cast, some 25 times slower than ``ndarray.fill``: it showed in scoring a million
    tickets, where evidence columns of a few hundred thousand rows are filled this way."""
    out = np.empty(n, dtype=object)
    out.fill(value)
    return out


def _fmt(values: np.ndarray, spec: str = "%.2f") -> np.ndarray:
    """Numbers as text, formatting each distinct value once."""
    codes, uniques = pd.factorize(np.asarray(values, dtype="float64"), use_na_sentinel=False)
    text = np.array([spec % v for v in uniques], dtype=object)  # distinct values only
    return text[codes] if len(codes) else np.zeros(0, dtype=object)


def _take(df: pd.DataFrame, name: str | None, pos: np.ndarray, default: Any = "") -> np.ndarray:
    if name and name in df.columns:
        return df[name].iloc[pos].to_numpy(dtype=object, na_value="")
    return _repeated(default, len(pos))


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
    return _repeated(value, n)


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
            date = _repeated("", n)
        columns["branch_key"].append(branch_keys[part.codes])
        columns["kpi_id"].append(_repeated(part.kpi_id, n))
        columns["kind"].append(_broadcast(part.kind, n))
        columns["ref"].append(
            part.ref if part.ref is not None else _take(df, _REF_COLUMNS.get(part.table), part.pos)
        )
        columns["date"].append(date)
        columns["value"].append(part.value if part.value is not None else np.full(n, np.nan))
        columns["category"].append(_broadcast(part.category, n))
        columns["detail"].append(_broadcast(part.detail, n))
        columns["file"].append(_take(df, "_file", part.pos))
        columns["sheet"].append(_take(df, "_sheet", part.pos))
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


def higher_is_better(curve: Curve) -> bool:
    if curve.kind in {"linear", "bands"}:
        return curve.better == "higher"
    if curve.kind == "rating":
        return True
    if curve.kind == "ratio":
        return not curve.invert
    return False  # deduct: every unit costs points


def short_of_full(curve: Curve, values: np.ndarray) -> np.ndarray:
    """Rows whose own value would not earn full marks (the rows behind a lost point)."""
    x = np.asarray(values, dtype="float64")
    with np.errstate(invalid="ignore"):
        if curve.kind == "linear":
            return x > curve.full if curve.better == "lower" else x < curve.full
        if curve.kind == "bands":
            best = curve.bands[0][0]
            return x > best if curve.better == "lower" else x < best
        if curve.kind == "rating":
            return x < (curve.scale_max or 0)
        if curve.kind == "ratio":
            return x > 0 if curve.invert else x < 1
        return x > 0


def _filter_mask(df: pd.DataFrame, metric: Metric) -> np.ndarray | None:
    """Rows passing the metric's filters; None when a filter column is absent."""
    mask = np.ones(len(df), dtype=bool)
    for col, values in metric.filter:
        if col not in df.columns:
            return None
        mask &= df[col].isin(list(values)).fillna(False).to_numpy(dtype=bool)
    return mask


def _prepare(ctx: MetricContext, metric: Metric, needs: tuple[str, ...]) -> Rows | str:
    """The metric's rows (filters applied, rows without a branch dropped); or why there are none."""
    df = ctx.table(metric.table)
    if df is None:
        return f"no {metric.table} table"
    missing = [c for c in (*needs, *(c for c, _ in metric.filter)) if c and c not in df.columns]
    if missing:
        return f"{metric.table} has no {', '.join(dict.fromkeys(missing))} column"
    mask = _filter_mask(df, metric)
    assert mask is not None
    codes = ctx.codes(metric.table)
    mask &= codes >= 0
    pos = np.flatnonzero(mask)
    return Rows(df, pos, codes[pos])


def _ratio(num: np.ndarray, basis: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(basis > 0, num / np.where(basis > 0, basis, 1), np.nan)


def _service_labels(df: pd.DataFrame, pos: np.ndarray) -> np.ndarray:
    """Chinese service-type labels of the rows at ``pos`` (each distinct value looked up once)."""
    if "service_type" not in df.columns:
        return _repeated("", len(pos))
    codes, uniques = pd.factorize(df["service_type"].iloc[pos])
    labels = np.array([SERVICE_TYPE_LABELS.get(u, str(u)) for u in uniques] + [""], dtype=object)
    return labels[codes]  # code -1 (blank) picks the trailing ""


def _lost_rows(rows: Rows, flagged: np.ndarray, lost: np.ndarray) -> np.ndarray:
    """Indices (into ``rows``) of flagged rows whose branch lost points on the KPI."""
    keep = flagged.copy()
    keep[keep] = lost[rows.codes[keep]]
    return np.flatnonzero(keep)


# --------------------------------------------------------------------------- seed kinds
def mean_cycle_days(kpi: Kpi, ctx: MetricContext) -> MetricResult:
    """Mean (completed_at − accepted_at) in days over completed tickets; open tickets left out."""
    rows = _prepare(ctx, kpi.metric, ("accepted_at", "completed_at"))
    if isinstance(rows, str):
        return _unavailable(ctx, rows)
    completed = rows.datetimes("completed_at")
    done = ~np.isnat(completed)
    cycle = (completed.view("int64") - rows.datetimes("accepted_at").view("int64")) / DAY_NS
    basis = ctx.count(rows.codes[done])
    value = _ratio(ctx.count(rows.codes[done], cycle[done]), basis)

    def evidence(lost: np.ndarray) -> EvidencePart:
        idx = _lost_rows(rows, done & short_of_full(kpi.curve, np.where(done, cycle, np.nan)), lost)
        pos = rows.pos[idx]
        return build_evidence(
            ctx, kpi.id, rows.df, pos, rows.codes[idx], kind="slow_ticket", table="tickets",
            value=np.round(cycle[idx], 2), category=_service_labels(rows.df, pos),
            detail=f"服务周期超过满分线 {kpi.curve.full:g} 天",
        )  # fmt: skip

    return MetricResult(value, basis, evidence=evidence)


def overdue_share(kpi: Kpi, ctx: MetricContext) -> MetricResult:
    """Share of tickets over ``days``: completed by cycle, open by age at month end."""
    rows = _prepare(ctx, kpi.metric, ("accepted_at", "completed_at"))
    if isinstance(rows, str):
        return _unavailable(ctx, rows)
    limit = float(kpi.metric.days or 0)
    completed = rows.datetimes("completed_at")
    open_ = np.isnat(completed)
    end_ns = ctx.month.end.to_datetime64().astype("datetime64[ns]").astype("int64")
    days = (
        np.where(open_, end_ns, completed.view("int64"))
        - rows.datetimes("accepted_at").view("int64")
    ) / DAY_NS
    over = days > limit
    result = _with_quarter(kpi, ctx, ctx.count(rows.codes[over]), ctx.count(rows.codes))

    def evidence(lost: np.ndarray) -> EvidencePart:
        idx = _lost_rows(rows, over, lost)
        pos = rows.pos[idx]
        detail = np.where(
            open_[idx], f"未完成,月末已受理超过 {limit:g} 天", f"服务周期超过 {limit:g} 天"
        ).astype(object)
        return build_evidence(
            ctx, kpi.id, rows.df, pos, rows.codes[idx], kind="overdue_ticket", table="tickets",
            value=np.round(days[idx], 2), category=_service_labels(rows.df, pos), detail=detail,
        )  # fmt: skip

    result.evidence = evidence
    return result


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
    prev_ticket = _repeated("", n)
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
    cd = np.concatenate(c_dev)
    ct = np.concatenate(c_time)
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


def _has_rework_flag(tickets: pd.DataFrame) -> bool:
    return "is_rework" in tickets.columns and bool(tickets["is_rework"].notna().any())


def _derives_reworks(tickets: pd.DataFrame) -> bool:
    """Whether ``rework_rate`` derives the reworks of these tickets from their device ids."""
    return (
        "device_id" in tickets.columns
        and "accepted_at" in tickets.columns
        and not _has_rework_flag(tickets)
    )


def rework_rate(kpi: Kpi, ctx: MetricContext) -> MetricResult:
    """Reworks / services: the export's flag when it has one, else derived from the device id."""
    rows = _prepare(ctx, kpi.metric, ("accepted_at",))
    if isinstance(rows, str):
        return _unavailable(ctx, rows)
    tickets = rows.df
    derived: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
    if _has_rework_flag(tickets):
        flag = rows.col("is_rework").fillna(False).to_numpy(dtype=bool)
        source = ""
    elif _derives_reworks(tickets):
        derived = ctx.reworks(kpi.metric)
        flag = derived[0][rows.pos]
        source = "derived from device_id"
    else:
        return _unavailable(ctx, "tickets have neither an is_rework nor a device_id column")
    result = _with_quarter(kpi, ctx, ctx.count(rows.codes[flag]), ctx.count(rows.codes))
    result.note = "; ".join(n for n in (result.note, source) if n)

    def evidence(lost: np.ndarray) -> EvidencePart:
        idx = _lost_rows(rows, flag, lost)
        pos = rows.pos[idx]
        gap = None
        if derived is None:
            detail: np.ndarray | str = "导出数据标记为返修"
        else:
            prev_dt = derived[2][pos]
            gap = (
                rows.df["accepted_at"].iloc[pos].to_numpy(dtype="datetime64[ns]") - prev_dt
            ).astype("int64") / DAY_NS
            detail = (
                f"{kpi.metric.window_days:g} 天内返修:同一设备前次工单 " + derived[1][pos].astype(str).astype(object)
                + " 于 " + iso_text(prev_dt, "D") + " 完成"
            )  # fmt: skip
        return build_evidence(
            ctx, kpi.id, tickets, pos, rows.codes[idx], kind="rework", table="tickets",
            value=None if gap is None else np.round(gap, 2), category=_service_labels(tickets, pos), detail=detail,
        )  # fmt: skip

    result.evidence = evidence
    return result


def complaint_rate(kpi: Kpi, ctx: MetricContext) -> MetricResult:
    """Valid complaints / tickets accepted in the month (all service types), per branch."""
    rows = _prepare(ctx, kpi.metric, ())
    if isinstance(rows, str):
        return _unavailable(ctx, rows)
    if ctx.table("tickets") is None:
        return _unavailable(ctx, "no tickets table (complaints are rated against tickets accepted)")
    # A blank validity cell is not a confirmed valid complaint; ingest sets the whole column
    # True when the sheet has no validity column at all.
    if "is_valid" in rows.df.columns:
        valid = rows.col("is_valid").fillna(False).to_numpy(dtype=bool)
    else:
        valid = np.ones(len(rows), dtype=bool)
    result = _with_quarter(kpi, ctx, ctx.count(rows.codes[valid]), ctx.count(ctx.codes("tickets")))

    def evidence(lost: np.ndarray) -> EvidencePart:
        idx = np.flatnonzero(valid)  # every valid complaint: see MetricResult.evidence_for_all
        pos = rows.pos[idx]
        return build_evidence(
            ctx, kpi.id, rows.df, pos, rows.codes[idx], kind="complaint", table="complaints",
            category=_take(rows.df, "category", pos), detail=_take(rows.df, "description", pos),
        )  # fmt: skip

    result.evidence = evidence
    result.evidence_for_all = True
    return result


# --------------------------------------------------------------------------- general kinds
def mean_of_column(kpi: Kpi, ctx: MetricContext) -> MetricResult:
    """Mean of a number column (rating_mean: cooperation rating, mean of raters; direct_score)."""
    column = kpi.metric.column or "rating"
    rows = _prepare(ctx, kpi.metric, (column,))
    if isinstance(rows, str):
        return _unavailable(ctx, rows)
    x = rows.numbers(column)
    present = ~np.isnan(x)
    basis = ctx.count(rows.codes[present])
    value = _ratio(ctx.count(rows.codes[present], x[present]), basis)
    kind = {"rating_mean": "rating", "direct_score": "score"}.get(kpi.metric.kind, "row")

    def evidence(lost: np.ndarray) -> EvidencePart:
        idx = _lost_rows(rows, present & short_of_full(kpi.curve, x), lost)
        pos = rows.pos[idx]
        return build_evidence(
            ctx, kpi.id, rows.df, pos, rows.codes[idx], kind=kind, table=kpi.metric.table, value=x[idx],
            category=column,
        )  # fmt: skip

    return MetricResult(value, basis, evidence=evidence)


_OPS: dict[str, Callable[[np.ndarray, float], np.ndarray]] = {
    ">": np.greater,
    ">=": np.greater_equal,
    "<": np.less,
    "<=": np.less_equal,
}


def share_over(kpi: Kpi, ctx: MetricContext) -> MetricResult:
    """Share of rows (with a value) whose column compares ``op`` the threshold."""
    column = kpi.metric.column or ""
    rows = _prepare(ctx, kpi.metric, (column,))
    if isinstance(rows, str):
        return _unavailable(ctx, rows)
    x = rows.numbers(column)
    present = ~np.isnan(x)
    with np.errstate(invalid="ignore"):
        hit = present & _OPS[kpi.metric.op](x, float(kpi.metric.threshold or 0))
    result = _with_quarter(kpi, ctx, ctx.count(rows.codes[hit]), ctx.count(rows.codes[present]))
    behind = (present & ~hit) if higher_is_better(kpi.curve) else hit

    def evidence(lost: np.ndarray) -> EvidencePart:
        idx = _lost_rows(rows, behind, lost)
        return build_evidence(
            ctx, kpi.id, rows.df, rows.pos[idx], rows.codes[idx], kind="over_threshold", table=kpi.metric.table,
            value=x[idx], category=column, detail=f"{column} {kpi.metric.op} {kpi.metric.threshold:g}",
        )  # fmt: skip

    result.evidence = evidence
    return result


def flag_rate(kpi: Kpi, ctx: MetricContext) -> MetricResult:
    """Share of rows (with a flag value) whose flag is true."""
    column = kpi.metric.column or ""
    rows = _prepare(ctx, kpi.metric, (column,))
    if isinstance(rows, str):
        return _unavailable(ctx, rows)
    series = rows.col(column)
    present = series.notna().to_numpy(dtype=bool)
    true = series.fillna(False).astype(bool).to_numpy(dtype=bool) & present
    result = _with_quarter(kpi, ctx, ctx.count(rows.codes[true]), ctx.count(rows.codes[present]))
    behind = (present & ~true) if higher_is_better(kpi.curve) else true

    def evidence(lost: np.ndarray) -> EvidencePart:
        idx = _lost_rows(rows, behind, lost)
        return build_evidence(
            ctx, kpi.id, rows.df, rows.pos[idx], rows.codes[idx], kind="flagged", table=kpi.metric.table,
            category=column, detail=f"{column} = {'否' if higher_is_better(kpi.curve) else '是'}",
        )  # fmt: skip

    result.evidence = evidence
    return result


def count_rows(kpi: Kpi, ctx: MetricContext) -> MetricResult:
    """Weighted count of records (attendance by status, discipline by violation or its own points).

    A branch with no rows in a present table has value 0 (nothing to deduct), not "no data".
    """
    metric = kpi.metric
    rows = _prepare(ctx, metric, (metric.weight_column or "",))
    if isinstance(rows, str):
        return _unavailable(ctx, rows)
    weights = np.full(len(rows), float(metric.default_weight))
    if metric.weight_column:
        mapped = (
            rows.col(metric.weight_column)
            .astype(str)
            .map(dict(metric.weights))
            .to_numpy(dtype="float64", na_value=np.nan)
        )
        weights = np.where(np.isnan(mapped), weights, mapped)
    if metric.points_column and metric.points_column in rows.df.columns:
        own = np.abs(rows.numbers(metric.points_column))  # exports write a deduction as 2 or -2
        weights = np.where(np.isnan(own), weights, own)
    value = ctx.count(rows.codes, weights)
    basis = ctx.count(rows.codes)

    def evidence(lost: np.ndarray) -> EvidencePart:
        idx = _lost_rows(rows, weights > 0, lost)
        pos = rows.pos[idx]
        w = weights[idx]
        kind: np.ndarray | str
        if metric.table == "attendance" and "status" in rows.df.columns:
            status = rows.df["status"].iloc[pos]
            kind = status.map(_ATTENDANCE_KINDS).fillna("record").to_numpy(dtype=object)
            category = status.map(ATTENDANCE_LABELS).fillna("").to_numpy(dtype=object)
            detail = category + " 扣 " + _fmt(w, "%g") + " 分"
        else:
            kind = "violation" if metric.table == "discipline" else "record"
            category = (
                _take(rows.df, "violation", pos)
                if metric.table == "discipline"
                else _repeated("", len(pos))
            )
            detail = "扣 " + _fmt(w, "%g") + " 分"
        return build_evidence(
            ctx, kpi.id, rows.df, pos, rows.codes[idx], kind=kind, table=metric.table, value=w,
            category=category, detail=detail,
        )  # fmt: skip

    return MetricResult(value, basis, numerator=basis, evidence=evidence)


def sum_of_column(kpi: Kpi, ctx: MetricContext) -> MetricResult:
    """Sum of a number column per branch (0 for a branch with no rows in a present table)."""
    column = kpi.metric.column or ""
    rows = _prepare(ctx, kpi.metric, (column,))
    if isinstance(rows, str):
        return _unavailable(ctx, rows)
    x = np.nan_to_num(rows.numbers(column))
    value = ctx.count(rows.codes, x)
    basis = ctx.count(rows.codes)
    worse = x < 0 if higher_is_better(kpi.curve) else x > 0

    def evidence(lost: np.ndarray) -> EvidencePart:
        idx = _lost_rows(rows, worse, lost)
        return build_evidence(
            ctx, kpi.id, rows.df, rows.pos[idx], rows.codes[idx], kind="row", table=kpi.metric.table,
            value=x[idx], category=column,
        )  # fmt: skip

    return MetricResult(value, basis, evidence=evidence)


# --------------------------------------------------------------------------- quarter to date
def _with_quarter(
    kpi: Kpi, ctx: MetricContext, numerator: np.ndarray, basis: np.ndarray
) -> MetricResult:
    """A rate from (numerator, basis); quarter to date adds the quarter's earlier stored months."""
    if not kpi.metric.quarter_to_date:
        return MetricResult(_ratio(numerator, basis), basis, numerator=numerator)
    month_counts = (numerator.copy(), basis.copy())
    earlier = ctx.month.quarter_months()[:-1]
    months_text = {str(m) for m in earlier}
    frame = ctx.history.flag_rates.get(kpi.id) if ctx.history is not None else None
    found: set[str] = set()
    if frame is not None and len(frame):
        rows = frame[frame["month"].astype(str).isin(months_text)]
        found = set(rows["month"].astype(str))
        codes = ctx.branches.get_indexer(pd.Index(rows["branch_key"]))
        numerator = numerator + ctx.count(codes, rows["numerator"].to_numpy(dtype="float64"))
        basis = basis + ctx.count(codes, rows["basis"].to_numpy(dtype="float64"))
    if ctx.history is not None and ctx.history.months_in_quarter:
        found |= {str(m) for m in ctx.history.months_in_quarter if str(m) in months_text}
    first = earlier[0] if earlier else ctx.month
    complete = months_text <= found
    note = f"quarter to date {first}..{ctx.month}" if complete else "partial_quarter"
    return MetricResult(
        _ratio(numerator, basis), basis, numerator=numerator, note=note, month_counts=month_counts
    )


KIND_FUNCTIONS: dict[str, Callable[[Kpi, MetricContext], MetricResult]] = {
    "mean_cycle_days": mean_cycle_days,
    "overdue_share": overdue_share,
    "rework_rate": rework_rate,
    "complaint_rate": complaint_rate,
    "rating_mean": mean_of_column,
    "direct_score": mean_of_column,
    "mean": mean_of_column,
    "share_over": share_over,
    "flag_rate": flag_rate,
    "count": count_rows,
    "sum": sum_of_column,
}


def compute_metric(kpi: Kpi, ctx: MetricContext) -> MetricResult:
    return KIND_FUNCTIONS[kpi.metric.kind](kpi, ctx)
