"""Metric kinds: one vectorised computation per kind, giving one value per branch.

Every kind returns a ``MetricResult``: arrays aligned with the scoring context's branch index
(value NaN where the branch has no data), plus a function that builds the evidence rows (the
input rows behind lost points) for the branches that lost points. Nothing loops over rows in
Python: branches are integer codes and sums are ``np.bincount``.

The kinds a rubric may name are declared in ``svcqa.rubric.model.METRIC_KINDS``;
``KIND_FUNCTIONS`` implements each of them (a test keeps the two in step).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np
import pandas as pd

from svcqa.models import Finding
from svcqa.rubric.model import Kpi, Metric
from svcqa.schema import ATTENDANCE_LABELS
from svcqa.scoring.context import MetricContext
from svcqa.scoring.curves import higher_is_better, short_of_full
from svcqa.scoring.evidence import (
    EvidencePart,
    build_evidence,
    column_values,
    iso_text,
    number_texts,
    repeated,
    service_labels,
)
from svcqa.scoring.per import per_basis, roster_values
from svcqa.scoring.reworks import derives_reworks, has_rework_flag
from svcqa.scoring.spans import measure, row_thresholds, span_needs

DAY_NS = 86_400 * 10**9

# Evidence kind for a counted attendance row, by status.
_ATTENDANCE_KINDS = {"absent": "absence", "late": "late", "early_leave": "early_leave"}


NoDataCode = Literal["no-table", "no-column", "no-rework-source"]


@dataclass(frozen=True)
class NoData:
    """Why a metric could not be computed for any branch this month.

    ``score_month`` reports a KPI as having no data from this type; ``message`` is the text the
    KPI's note and the run's ``kpi-no-data`` finding show.
    """

    code: NoDataCode  # no-table: the table is absent; no-column: a column it reads is absent;
    # no-rework-source: tickets carry neither a rework flag nor a device id
    message: str


@dataclass
class MetricResult:
    value: np.ndarray  # per branch; NaN = no data
    basis: np.ndarray  # rows the value was computed on (denominator)
    numerator: np.ndarray | None = None
    note: str = ""  # applies to every branch (e.g. partial_quarter, missing column)
    no_data: NoData | None = None  # set when the metric has no data at all (note = its message)
    partial_quarter: bool = False  # quarter to date, but the store lacks earlier months
    # QTD kinds: this month's own (numerator, basis), before adding earlier months
    month_counts: tuple[np.ndarray, np.ndarray] | None = None
    # lost-points branch mask -> evidence rows (EVIDENCE_COLUMNS)
    evidence: Callable[[np.ndarray], EvidencePart] | None = field(default=None, repr=False)
    # Record the evidence of every branch, not only of those that lost points: valid complaints
    # feed the reports' complaint hot spots and their all-branch shares.
    evidence_for_all: bool = False
    branch_notes: np.ndarray | None = (
        None  # object, per branch: e.g. per's "7 / 12000 users × 10000"
    )
    findings: list[Finding] = field(default_factory=list)  # run notes, e.g. per-basis-missing


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


def _unavailable(ctx: MetricContext, reason: NoData) -> MetricResult:
    """Every branch without data, for ``reason``."""
    return MetricResult(
        np.full(ctx.n, np.nan), np.zeros(ctx.n), note=reason.message, no_data=reason
    )


def _filter_mask(df: pd.DataFrame, metric: Metric) -> np.ndarray | None:
    """Rows passing the metric's filters; None when a filter column is absent.

    A row passes when its value equals one of the listed values exactly (``svcqa.scoring.mismatch``
    reports values that match nothing). A yes/no column compares booleans only: ``"Y"`` or ``1``
    match no row there (a ``filter-not-boolean`` finding) instead of meaning what they seem to.
    """
    mask = np.ones(len(df), dtype=bool)
    for col, values in metric.filter:
        if col not in df.columns:
            return None
        series = df[col]
        accepted = list(values)
        if pd.api.types.is_bool_dtype(series.dtype):
            accepted = [v for v in values if isinstance(v, bool)]
        mask &= series.isin(accepted).fillna(False).to_numpy(dtype=bool)
    return mask


def _prepare(ctx: MetricContext, metric: Metric, needs: tuple[str, ...]) -> Rows | NoData:
    """The metric's rows (filters applied, rows without a branch dropped); or why there are none."""
    df = ctx.table(metric.table)
    if df is None:
        return NoData("no-table", f"no {metric.table} table")
    missing = [c for c in (*needs, *(c for c, _ in metric.filter)) if c and c not in df.columns]
    if missing:
        return NoData(
            "no-column", f"{metric.table} has no {', '.join(dict.fromkeys(missing))} column"
        )
    mask = _filter_mask(df, metric)
    assert mask is not None
    codes = ctx.codes(metric.table)
    mask &= codes >= 0
    pos = np.flatnonzero(mask)
    return Rows(df, pos, codes[pos])


def _ratio(num: np.ndarray, basis: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(basis > 0, num / np.where(basis > 0, basis, 1), np.nan)


def _lost_rows(rows: Rows, flagged: np.ndarray, lost: np.ndarray) -> np.ndarray:
    """Indices (into ``rows``) of flagged rows whose branch lost points on the KPI."""
    keep = flagged.copy()
    keep[keep] = lost[rows.codes[keep]]
    return np.flatnonzero(keep)


# --------------------------------------------------------------------------- seed kinds
def mean_cycle_days(kpi: Kpi, ctx: MetricContext) -> MetricResult:
    """Mean (completed_at − accepted_at) in days over completed tickets; open tickets left out."""
    rows = _prepare(ctx, kpi.metric, ("accepted_at", "completed_at"))
    if isinstance(rows, NoData):
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
            value=np.round(cycle[idx], 2), category=service_labels(rows.df, pos),
            detail=f"服务周期超过满分线 {kpi.curve.full:g} 天",
        )  # fmt: skip

    return MetricResult(value, basis, evidence=evidence)


def overdue_share(kpi: Kpi, ctx: MetricContext) -> MetricResult:
    """Share of tickets over ``days``: completed by cycle, open by age at month end (or at the
    data's cut-off, ``--as-of``)."""
    rows = _prepare(ctx, kpi.metric, ("accepted_at", "completed_at"))
    if isinstance(rows, NoData):
        return _unavailable(ctx, rows)
    limit = float(kpi.metric.days or 0)
    completed = rows.datetimes("completed_at")
    open_ = np.isnat(completed)
    days = (
        np.where(open_, ctx.age_end_ns, completed.view("int64"))
        - rows.datetimes("accepted_at").view("int64")
    ) / DAY_NS
    over = days > limit
    result = _with_quarter(kpi, ctx, ctx.count(rows.codes[over]), ctx.count(rows.codes))

    def evidence(lost: np.ndarray) -> EvidencePart:
        idx = _lost_rows(rows, over, lost)
        pos = rows.pos[idx]
        detail = np.where(
            open_[idx],
            f"未完成,{ctx.age_end_zh}已受理超过 {limit:g} 天",
            f"服务周期超过 {limit:g} 天",
        ).astype(object)
        return build_evidence(
            ctx, kpi.id, rows.df, pos, rows.codes[idx], kind="overdue_ticket", table="tickets",
            value=np.round(days[idx], 2), category=service_labels(rows.df, pos), detail=detail,
        )  # fmt: skip

    result.evidence = evidence
    return result


def rework_rate(kpi: Kpi, ctx: MetricContext) -> MetricResult:
    """Reworks / services: the export's flag when it has one, else derived from the device id."""
    rows = _prepare(ctx, kpi.metric, ("accepted_at",))
    if isinstance(rows, NoData):
        return _unavailable(ctx, rows)
    tickets = rows.df
    derived: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
    if has_rework_flag(tickets):
        flag = rows.col("is_rework").fillna(False).to_numpy(dtype=bool)
        source = ""
    elif derives_reworks(tickets):
        derived = ctx.reworks(kpi.metric)
        flag = derived[0][rows.pos]
        source = "derived from device_id"
    else:
        return _unavailable(
            ctx,
            NoData("no-rework-source", "tickets have neither an is_rework nor a device_id column"),
        )
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
            value=None if gap is None else np.round(gap, 2), category=service_labels(tickets, pos), detail=detail,
        )  # fmt: skip

    result.evidence = evidence
    return result


def complaint_rate(kpi: Kpi, ctx: MetricContext) -> MetricResult:
    """Valid complaints / tickets accepted in the month (all service types), per branch."""
    rows = _prepare(ctx, kpi.metric, ())
    if isinstance(rows, NoData):
        return _unavailable(ctx, rows)
    if ctx.table("tickets") is None:
        return _unavailable(
            ctx,
            NoData("no-table", "no tickets table (complaints are rated against tickets accepted)"),
        )
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
            category=column_values(rows.df, "category", pos), detail=column_values(rows.df, "description", pos),
        )  # fmt: skip

    result.evidence = evidence
    result.evidence_for_all = True
    return result


# --------------------------------------------------------------------------- general kinds
def mean_of_column(kpi: Kpi, ctx: MetricContext) -> MetricResult:
    """Mean of a number column (rating_mean: cooperation rating, mean of raters; direct_score),
    or of a span in its unit (``mean`` with ``span``; open rows per ``open``)."""
    metric = kpi.metric
    column = metric.column or ("rating" if metric.span is None else "")
    rows = _prepare(ctx, metric, (column, *span_needs(metric)))
    if isinstance(rows, NoData):
        return _unavailable(ctx, rows)
    measured = measure(rows, replace(metric, column=column), ctx)
    x = measured.x
    present = ~np.isnan(x)
    basis = ctx.count(rows.codes[present])
    value = _ratio(ctx.count(rows.codes[present], x[present]), basis)
    kind = {"rating_mean": "rating", "direct_score": "score"}.get(metric.kind, "row")

    def evidence(lost: np.ndarray) -> EvidencePart:
        idx = _lost_rows(rows, present & short_of_full(kpi.curve, x), lost)
        detail: np.ndarray | str = ""
        if metric.span is not None:
            detail = np.where(
                measured.open_[idx], f"open: age at {ctx.age_end_en} in {measured.unit}", ""
            ).astype(object)
        return build_evidence(
            ctx, kpi.id, rows.df, rows.pos[idx], rows.codes[idx], kind=kind, table=metric.table, value=x[idx],
            category=measured.label, detail=detail,
        )  # fmt: skip

    return MetricResult(value, basis, evidence=evidence)


_OPS: dict[str, Callable[[np.ndarray, np.ndarray | float], np.ndarray]] = {
    ">": np.greater,
    ">=": np.greater_equal,
    "<": np.less,
    "<=": np.less_equal,
}


def share_over(kpi: Kpi, ctx: MetricContext) -> MetricResult:
    """Share of rows (with a value) whose column or span compares ``op`` the threshold: one
    number, or each row's own from ``threshold_by`` (rows without one are left out)."""
    metric = kpi.metric
    rows = _prepare(ctx, metric, (metric.column or "", *span_needs(metric)))
    if isinstance(rows, NoData):
        return _unavailable(ctx, rows)
    measured = measure(rows, metric, ctx)
    x = measured.x
    by = metric.threshold_by
    limit = row_thresholds(rows, by) if by is not None else float(metric.threshold or 0)
    present = ~np.isnan(x) & ~np.isnan(limit)
    with np.errstate(invalid="ignore"):
        hit = present & _OPS[metric.op](x, limit)
    result = _with_quarter(kpi, ctx, ctx.count(rows.codes[hit]), ctx.count(rows.codes[present]))
    behind = (present & ~hit) if higher_is_better(kpi.curve) else hit

    def evidence(lost: np.ndarray) -> EvidencePart:
        idx = _lost_rows(rows, behind, lost)
        own = limit[idx] if isinstance(limit, np.ndarray) else np.full(len(idx), limit)
        detail = f"{measured.label} {metric.op} " + number_texts(own, "%g")
        if measured.unit:
            detail = detail + " " + measured.unit
        if metric.span is not None:
            detail = (
                np.where(measured.open_[idx], f"open: age at {ctx.age_end_en}; ", "").astype(object)
                + detail
            )
        return build_evidence(
            ctx, kpi.id, rows.df, rows.pos[idx], rows.codes[idx], kind="over_threshold", table=metric.table,
            value=x[idx], category=measured.label, detail=detail,
        )  # fmt: skip

    result.evidence = evidence
    return result


def flag_rate(kpi: Kpi, ctx: MetricContext) -> MetricResult:
    """Share of rows (with a flag value) whose flag is true."""
    column = kpi.metric.column or ""
    rows = _prepare(ctx, kpi.metric, (column,))
    if isinstance(rows, NoData):
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


def share_in(kpi: Kpi, ctx: MetricContext) -> MetricResult:
    """Share of rows (after the filter) whose column holds one of ``values``, compared as filters
    compare (a yes/no column matches booleans only); blank cells count in the basis."""
    metric = kpi.metric
    column = metric.column or ""
    rows = _prepare(ctx, metric, (column,))
    if isinstance(rows, NoData):
        return _unavailable(ctx, rows)
    series = rows.col(column)
    accepted = list(metric.values)
    if pd.api.types.is_bool_dtype(series.dtype):
        accepted = [v for v in accepted if isinstance(v, bool)]
    hit = series.isin(accepted).fillna(False).to_numpy(dtype=bool)
    result = _with_quarter(kpi, ctx, ctx.count(rows.codes[hit]), ctx.count(rows.codes))
    behind = ~hit if higher_is_better(kpi.curve) else hit
    listed = "/".join(str(v) for v in metric.values)

    def evidence(lost: np.ndarray) -> EvidencePart:
        idx = _lost_rows(rows, behind, lost)
        pos = rows.pos[idx]
        return build_evidence(
            ctx, kpi.id, rows.df, pos, rows.codes[idx], kind="value_in", table=metric.table,
            category=column_values(rows.df, column, pos),
            detail=f"{column} {'not ' if higher_is_better(kpi.curve) else ''}in {listed}",
        )  # fmt: skip

    result.evidence = evidence
    return result


def count_rows(kpi: Kpi, ctx: MetricContext) -> MetricResult:
    """Weighted count of records (attendance by status, discipline by violation or its own points).

    A branch with no rows in a present table has value 0 (nothing to deduct), not "no data".
    """
    metric = kpi.metric
    rows = _prepare(ctx, metric, (metric.weight_column or "",))
    if isinstance(rows, NoData):
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

    # A row's points: its weight times the deduct curve's points per unit; under another curve
    # the KPI's value is scored as a whole, so a row is said by its weight ("计 2").
    per_unit = kpi.curve.per if kpi.curve.kind == "deduct" else None

    def evidence(lost: np.ndarray) -> EvidencePart:
        idx = _lost_rows(rows, weights > 0, lost)
        pos = rows.pos[idx]
        w = weights[idx]
        said = (
            "计 " + number_texts(w, "%g")
            if per_unit is None
            else "扣 " + number_texts(w * per_unit, "%g") + " 分"
        )
        kind: np.ndarray | str
        if metric.table == "attendance" and "status" in rows.df.columns:
            status = rows.df["status"].iloc[pos]
            kind = status.map(_ATTENDANCE_KINDS).fillna("record").to_numpy(dtype=object)
            category = status.map(ATTENDANCE_LABELS).fillna("").to_numpy(dtype=object)
            detail = category + " " + said
        else:
            kind = "violation" if metric.table == "discipline" else "record"
            category = (
                column_values(rows.df, "violation", pos)
                if metric.table == "discipline"
                else repeated("", len(pos))
            )
            detail = said
        return build_evidence(
            ctx, kpi.id, rows.df, pos, rows.codes[idx], kind=kind, table=metric.table, value=w,
            category=category, detail=detail,
        )  # fmt: skip

    return _rated_per(kpi, ctx, MetricResult(value, basis, numerator=basis, evidence=evidence))


def sum_of_column(kpi: Kpi, ctx: MetricContext) -> MetricResult:
    """Sum of a number column per branch (0 for a branch with no rows in a present table)."""
    column = kpi.metric.column or ""
    rows = _prepare(ctx, kpi.metric, (column,))
    if isinstance(rows, NoData):
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

    return _rated_per(kpi, ctx, MetricResult(value, basis, evidence=evidence))


def _rated_per(kpi: Kpi, ctx: MetricContext, result: MetricResult) -> MetricResult:
    """With ``per``: the figure divided by the branch's roster value, times scale (a branch
    without one has no data and a per-basis-missing finding); unchanged without."""
    per = kpi.metric.per
    if per is None:
        return result
    roster = roster_values(ctx, per)
    if isinstance(roster, tuple):
        return _unavailable(ctx, NoData(*roster))
    rated = per_basis(kpi, ctx, result.value, roster)
    figure_evidence = result.evidence

    def evidence(lost: np.ndarray) -> EvidencePart:
        assert figure_evidence is not None
        part = figure_evidence(lost)
        detail = (
            part.detail
            if isinstance(part.detail, np.ndarray)
            else repeated(part.detail, len(part.pos))
        )
        part.detail = detail + " · " + rated.notes[part.codes]
        return part

    return replace(
        result, value=rated.value, numerator=result.value, evidence=evidence,
        branch_notes=rated.notes, findings=rated.findings,
    )  # fmt: skip


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
        _ratio(numerator, basis),
        basis,
        numerator=numerator,
        note=note,
        month_counts=month_counts,
        partial_quarter=not complete,
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
    "share_in": share_in,
    "count": count_rows,
    "sum": sum_of_column,
}


def compute_metric(kpi: Kpi, ctx: MetricContext) -> MetricResult:
    return KIND_FUNCTIONS[kpi.metric.kind](kpi, ctx)
