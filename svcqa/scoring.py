"""Scoring a month: metrics -> curves -> points -> totals -> grades, ranks, flags, evidence.

``score_month`` is pure: the month's tables, a rubric and what history provides go in, a
``Scorecard`` comes out. Every per-row computation is vectorised over branch codes (see
``svcqa.rubric.metrics``); Python loops here run over KPIs and branches only.

Rules (SPEC sections 2 and 3):
- KPI points come from the KPI's curve, rounded half up to 2 decimals. A KPI without data
  follows ``when_empty``: full, zero, or exclude (the total is re-normalised over the remaining
  KPIs: sum(points) × max / sum(max of included)). ``min_basis`` turns a too-small sample into
  "no data" with ``low_volume``.
- Total = KPI total + incentive points, clipped to [0, max].
- A branch in its grace month (newly signed) is scored but not assessed: no rank, no grade.
- Rank by total descending among assessed branches; ties share the better rank (1, 2, 2, 4).
- Grade by bands on the total; a veto forces the lowest grade. Flags: last_place,
  rectification_required, contract_review, veto, grace_month.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import numpy as np
import pandas as pd

from svcqa.models import (
    BranchResult,
    Finding,
    HistoryContext,
    KpiResult,
    Month,
    MonthData,
    Scorecard,
    branch_key,
)
from svcqa.rubric.curves import apply_curve, round_points
from svcqa.rubric.metrics import (
    EvidencePart,
    MetricContext,
    MetricResult,
    assemble_evidence,
    build_evidence,
    compute_metric,
)
from svcqa.rubric.model import Kpi, Rubric


def score_month(
    data: MonthData,
    rubric: Rubric,
    history: HistoryContext | None = None,
    *,
    now: datetime | None = None,
) -> Scorecard:
    """Score every branch of ``data.month`` with ``rubric``; ``history`` feeds QTD, reworks and streaks."""
    month = data.month
    used = rubric.tables()
    tables = {name: df for name, df in data.tables.items() if name in used and df is not None}
    ctx = MetricContext(month, tables, history)
    n = ctx.n
    notes: list[Finding] = []

    # ---- KPIs
    kpi_rows: list[dict] = []  # per KPI: arrays over branches
    evidence_parts: list[EvidencePart] = []
    period_parts: list[pd.DataFrame] = []
    # Reworks by device id are derived on a second thread while the other KPIs are computed,
    # and the rework KPIs are computed last, when the derivation is most likely done.
    reworks = [kpi.metric for kpi in rubric.kpis if kpi.metric.kind == "rework_rate"]
    with ThreadPoolExecutor(1) as pool:
        ctx.derive_reworks_ahead(reworks, pool)
        results = {
            kpi.id: compute_metric(kpi, ctx)
            for kpi in sorted(rubric.kpis, key=lambda k: k.metric.kind == "rework_rate")
        }
    for kpi in rubric.kpis:
        result = results[kpi.id]
        scored = _score_kpi(kpi, result)
        kpi_rows.append(scored)
        if result.note.startswith("no ") or " has no " in result.note or "neither" in result.note:
            notes.append(
                Finding(
                    "kpi-no-data",
                    f"{kpi.id} ({kpi.label}): {result.note}; scored as when_empty = {kpi.when_empty}",
                )
            )
        if result.note == "partial_quarter":
            notes.append(
                Finding(
                    "partial_quarter",
                    f"{kpi.id} ({kpi.label}) is scored quarter to date but the history lacks earlier "
                    f"months of {month.year} Q{month.quarter}; this month alone was used",
                )
            )
        if result.evidence is not None and n:
            lost = (scored["points"] < kpi.points) & ~scored["empty"]
            if lost.any() or result.evidence_for_all:
                evidence_parts.append(result.evidence(lost))
        if result.month_counts is not None:
            num, basis = result.month_counts
            keep = (num > 0) | (basis > 0)
            period_parts.append(
                pd.DataFrame(
                    {
                        "kpi_id": kpi.id,
                        "branch_key": ctx.branches.to_numpy()[keep],
                        "numerator": num[keep],
                        "basis": basis[keep],
                    }
                )
            )

    # ---- totals
    max_matrix = np.array([[kpi.points] for kpi in rubric.kpis]) * np.ones((1, n))
    points = np.vstack([r["points"] for r in kpi_rows]) if kpi_rows else np.zeros((0, n))
    excluded = (
        np.vstack([r["excluded"] for r in kpi_rows]) if kpi_rows else np.zeros((0, n), dtype=bool)
    )
    included_max = np.where(excluded, 0.0, max_matrix).sum(axis=0)
    earned = np.where(excluded, 0.0, points).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        # Nothing measurable at all (every KPI excluded): no business, no deduction.
        kpi_total = np.where(
            included_max > 0,
            earned * rubric.max / np.where(included_max > 0, included_max, 1),
            rubric.max,
        )
    kpi_total = round_points(kpi_total)
    incentive_points, incentive_evidence = _incentives(rubric, ctx)
    if incentive_evidence is not None:
        evidence_parts.append(incentive_evidence)
    totals = np.clip(round_points(kpi_total + incentive_points), 0.0, rubric.max)

    # ---- assessment, rank, grade, flags
    keys = list(ctx.branches)
    roster = _roster(tables.get("branches"))
    grace = _grace(keys, month, rubric.grace_months, roster, history)
    assessed = ~grace
    ranks = _ranks(totals, assessed)
    vetoed = _vetoes(rubric, ctx)
    worst = int(ranks[assessed].max()) if assessed.any() else 0
    # Last place needs someone to be ahead: when every assessed branch ties, nobody is last.
    last_place = assessed & (ranks == worst) & (worst > 1)
    previous = _previous(history, month)
    names = _display_names(keys, data, tables)
    failing = set(rubric.failing_grades)

    branches: list[BranchResult] = []
    for i, key in enumerate(keys):
        kpis = [_kpi_result(kpi, kpi_rows[j], i) for j, kpi in enumerate(rubric.kpis)]
        branch = BranchResult(
            branch=names.get(key, key),
            branch_key=key,
            assessed=bool(assessed[i]),
            total=float(totals[i]),
            kpis=kpis,
            kpi_total=float(kpi_total[i]),
            incentive_points=float(incentive_points[i]),
            region=roster.get(key, {}).get("region", ""),
            echelon=roster.get(key, {}).get("echelon", ""),
        )
        prev = previous.get(key)
        if prev is not None:
            branch.prev_total = prev["total"]
            branch.prev_rank = prev["rank"]
        if assessed[i]:
            branch.rank = int(ranks[i])
            grade = rubric.lowest_grade if vetoed[i] else rubric.grade_for(branch.total)
            branch.grade = grade.name
            branch.coefficient = grade.coefficient
            if vetoed[i]:
                branch.flags.append("veto")
            if last_place[i]:
                branch.flags.append("last_place")
                before = (
                    prev["streak"]
                    if prev is not None
                    and prev["month"] == str(month.prev())
                    and prev["last_place"]
                    else 0
                )
                branch.last_place_streak = int(before) + 1
            if (last_place[i] and rubric.rectify_last_place) or grade.name in failing:
                branch.flags.append("rectification_required")
            if (
                rubric.contract_review_after
                and branch.last_place_streak >= rubric.contract_review_after
            ):
                branch.flags.append("contract_review")
        else:
            branch.flags.append("grace_month")
        branches.append(branch)
    branches.sort(key=lambda b: (b.rank is None, b.rank or 0, b.branch, b.branch_key))

    evidence = assemble_evidence(ctx, evidence_parts)
    period_counts = (
        pd.concat(period_parts, ignore_index=True)
        if period_parts
        else pd.DataFrame(
            {
                "kpi_id": pd.Series(dtype=object),
                "branch_key": pd.Series(dtype=object),
                "numerator": pd.Series(dtype="float64"),
                "basis": pd.Series(dtype="float64"),
            }
        )
    )
    return Scorecard(
        month=month,
        rubric_id=rubric.id,
        rubric_name=rubric.name,
        rubric_max=rubric.max,
        branches=branches,
        inputs=dict(data.stats),
        evidence=evidence,
        notes=notes,
        generated_at=now,
        period_counts=period_counts,
    )


# --------------------------------------------------------------------------- KPI points
def _score_kpi(kpi: Kpi, result: MetricResult) -> dict:
    """Points per branch for one KPI, with when_empty and min_basis applied."""
    value = result.value
    basis = result.basis
    low_volume = np.zeros(len(value), dtype=bool)
    if kpi.min_basis:
        low_volume = ~np.isnan(value) & (basis < kpi.min_basis)
    empty = np.isnan(value) | low_volume
    raw = apply_curve(kpi.curve, np.where(empty, np.nan, value), kpi.points)
    fill = kpi.points if kpi.when_empty == "full" else 0.0
    points = round_points(np.where(empty, fill, raw))
    excluded = empty & (kpi.when_empty == "exclude")
    points = np.where(excluded, 0.0, points)
    return {
        "value": value,
        "basis": basis,
        "numerator": result.numerator,
        "points": points,
        "empty": empty,
        "low_volume": low_volume,
        "excluded": excluded,
        "note": result.note,
        "curve": _curve_record(kpi),
    }


def _curve_record(kpi: Kpi) -> dict:
    record = {**kpi.curve.as_dict(), "points": kpi.points}
    if kpi.metric.kind == "overdue_share":
        record["over_days"] = kpi.metric.days
    if kpi.metric.kind == "share_over":
        record["threshold"] = kpi.metric.threshold
        record["op"] = kpi.metric.op
    if kpi.min_basis:
        record["min_basis"] = kpi.min_basis
    record["when_empty"] = kpi.when_empty
    return record


def _kpi_result(kpi: Kpi, scored: dict, i: int) -> KpiResult:
    value = float(scored["value"][i])
    empty = bool(scored["empty"][i])
    low = bool(scored["low_volume"][i])
    numerator = scored["numerator"]
    notes = [scored["note"]] if scored["note"] else []
    if low:
        notes.append(f"low_volume: {int(scored['basis'][i])} < min_basis {kpi.min_basis}")
    return KpiResult(
        id=kpi.id,
        label=kpi.label,
        group=kpi.group,
        value=None if np.isnan(value) else round(value, 6),
        basis=int(scored["basis"][i]),
        points=float(scored["points"][i]),
        max=kpi.points,
        no_data=empty,
        low_volume=low,
        excluded=bool(scored["excluded"][i]),
        unit=kpi.unit,
        curve=scored["curve"],
        numerator=None if numerator is None else float(numerator[i]),
        note="; ".join(notes),
    )


# --------------------------------------------------------------------------- incentives, vetoes
def _incentives(rubric: Rubric, ctx: MetricContext) -> tuple[np.ndarray, EvidencePart | None]:
    """Per-branch sum of incentive points, and the negative ones as evidence."""
    inc = rubric.incentives
    df = ctx.table(inc.table)
    if not inc.enabled or df is None or inc.column not in df.columns or len(df) == 0:
        return np.zeros(ctx.n), None
    codes = ctx.codes(inc.table)
    values = np.nan_to_num(
        pd.to_numeric(df[inc.column], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    )
    total = round_points(ctx.count(codes, values))
    pos = np.flatnonzero((values < 0) & (codes >= 0))
    evidence = build_evidence(
        ctx, "incentives", df, pos, codes[pos], kind="incentive", table=inc.table, value=values[pos],
        category="负激励",
        detail=df["reason"].iloc[pos].to_numpy(dtype=object, na_value="") if "reason" in df.columns else None,
    )  # fmt: skip
    return total, evidence


def _vetoes(rubric: Rubric, ctx: MetricContext) -> np.ndarray:
    vetoed = np.zeros(ctx.n, dtype=bool)
    for veto in rubric.vetoes:
        df = ctx.table(veto.table)
        if df is None or (veto.column and veto.column not in df.columns):
            continue
        codes = ctx.codes(veto.table)
        if veto.column:
            weights = np.nan_to_num(
                pd.to_numeric(df[veto.column], errors="coerce").to_numpy(
                    dtype="float64", na_value=np.nan
                )
            )
            vetoed |= ctx.count(codes, weights) >= veto.at_least
        else:
            vetoed |= ctx.count(codes) >= veto.at_least
    return vetoed


# --------------------------------------------------------------------------- assessment
def _ranks(totals: np.ndarray, assessed: np.ndarray) -> np.ndarray:
    """Competition ranks (1, 2, 2, 4) by total descending among assessed branches; 0 elsewhere."""
    ranks = np.zeros(len(totals), dtype=np.int64)
    if assessed.any():
        ranked = pd.Series(totals[assessed]).rank(method="min", ascending=False)
        ranks[assessed] = ranked.to_numpy(dtype=np.int64)
    return ranks


def _roster(df: pd.DataFrame | None) -> dict[str, dict]:
    if df is None or len(df) == 0 or "branch_key" not in df.columns:
        return {}
    out: dict[str, dict] = {}
    records = df.drop_duplicates("branch_key").to_dict("records")
    for rec in records:
        start = rec.get("contract_start")
        out[str(rec["branch_key"])] = {
            "region": "" if pd.isna(rec.get("region", None)) else str(rec.get("region") or ""),
            "echelon": "" if pd.isna(rec.get("echelon", None)) else str(rec.get("echelon") or ""),
            "contract_start": None if start is None or pd.isna(start) else pd.Timestamp(start),
        }
    return out


def _months_between(earlier: Month, later: Month) -> int:
    return (later.year - earlier.year) * 12 + later.month - earlier.month


def _grace(
    keys: list[str],
    month: Month,
    grace_months: int,
    roster: dict[str, dict],
    history: HistoryContext | None,
) -> np.ndarray:
    """Branches in their grace period: scored and recorded, not assessed.

    The roster's contract start decides when it has one; otherwise, when history holds earlier
    months, a branch first seen less than ``grace_months`` months ago. Without earlier history
    every branch would look new, so the history rule is not applied.
    """
    grace = np.zeros(len(keys), dtype=bool)
    if grace_months <= 0:
        return grace
    window_start = month.start
    for _ in range(grace_months - 1):
        window_start = Month.of(window_start).prev().start
    first_seen = history.first_seen if history is not None else {}
    history_exists = any(_as_month(m) < month for m in first_seen.values())
    for i, key in enumerate(keys):
        start = roster.get(key, {}).get("contract_start")
        if start is not None:
            grace[i] = start >= window_start
        elif history_exists:
            seen = first_seen.get(key)
            grace[i] = seen is None or _months_between(_as_month(seen), month) < grace_months
    return grace


def _as_month(value: object) -> Month:
    return value if isinstance(value, Month) else Month.parse(str(value))


def _previous(history: HistoryContext | None, month: Month) -> dict[str, dict]:
    """Per branch, its newest stored result before ``month``."""
    if history is None or history.previous is None or len(history.previous) == 0:
        return {}
    prev = history.previous.copy()
    prev["month"] = prev["month"].astype(str)
    prev = prev[prev["month"] < str(month)].sort_values("month", ascending=False, kind="stable")
    prev = prev.drop_duplicates("branch_key")
    out = {}
    for rec in prev.to_dict("records"):
        rank = rec.get("rank")
        out[str(rec["branch_key"])] = {
            "month": rec["month"],
            "total": None if pd.isna(rec.get("total")) else float(rec["total"]),
            "rank": None if rank is None or pd.isna(rank) else int(rank),
            "last_place": bool(rec.get("last_place"))
            if not pd.isna(rec.get("last_place"))
            else False,
            "streak": 0
            if pd.isna(rec.get("last_place_streak", 0))
            else int(rec.get("last_place_streak", 0)),
        }
    return out


def _display_names(
    keys: list[str], data: MonthData, tables: dict[str, pd.DataFrame]
) -> dict[str, str]:
    """The roster's / ingest's spelling, else the spelling most rows of the month use."""
    names = {k: data.branch_names[k] for k in keys if k in data.branch_names}
    missing = [k for k in keys if k not in names]
    if missing:
        counts = [
            df.loc[df["branch_key"].isin(missing), ["branch_key", "branch"]]
            for df in tables.values()
            if {"branch_key", "branch"} <= set(df.columns)
        ]
        if counts:
            frame = pd.concat(counts, ignore_index=True).dropna()
            if len(frame):
                top = frame.value_counts().reset_index().drop_duplicates("branch_key")
                names.update(
                    dict(zip(top["branch_key"].astype(str), top["branch"].astype(str), strict=True))
                )
    return names


# --------------------------------------------------------------------------- building input
def month_data_from_tables(
    month: Month | str, tables: dict[str, pd.DataFrame], *, file: str = "memory.xlsx"
) -> MonthData:
    """MonthData from canonical frames (tests, notebooks, generators): adds the columns ingest adds.

    Each frame needs a ``branch`` column and canonical column names; ``branch_key``, ``_file``,
    ``_sheet`` (the table name) and ``_row`` (2, 3, ... as below a header row) are added when
    absent. Every row counts as used.
    """
    from svcqa.models import TableStats

    month = month if isinstance(month, Month) else Month.parse(month)
    out: dict[str, pd.DataFrame] = {}
    for name, frame in tables.items():
        df = frame.copy()
        if "branch_key" not in df.columns and "branch" in df.columns:
            df["branch_key"] = df["branch"].map(branch_key)
        if "_file" not in df.columns:
            df["_file"] = file
        if "_sheet" not in df.columns:
            df["_sheet"] = name
        if "_row" not in df.columns:
            df["_row"] = np.arange(2, len(df) + 2)
        out[name] = df
    issues = pd.DataFrame(
        columns=["table", "file", "sheet", "row", "column", "value", "code", "reason"]
    )
    return MonthData(
        month=month,
        month_source="option",
        tables=out,
        stats={name: TableStats(len(df), len(df), 0, 0) for name, df in out.items()},
        rejects=issues,
        excluded=issues.copy(),
    )
