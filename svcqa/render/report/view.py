"""Building one branch's ``BranchView`` from a scored month and the month's ``ReportContext``."""

from __future__ import annotations

import dataclasses
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime

import numpy as np
import pandas as pd
from markupsafe import Markup

from svcqa.errors import NotFound
from svcqa.labels import EVIDENCE_KIND_COLUMNS, REPORT_LABELS, flag_label, list_text
from svcqa.models import BranchResult, KpiResult, Scorecard
from svcqa.render.charts import Bar, lost_points_chart, trend_chart
from svcqa.render.formats import (
    DASH,
    change_text,
    figure,
    is_missing,
    limit_text,
    metric,
    signed,
    submission_deadline,
    thresholds,
    unit_suffix,
)
from svcqa.render.report.appeals import AppealChange, appeal_box
from svcqa.render.report.context import ReportContext
from svcqa.render.report.model import (
    HTML_ROWS_PER_KPI,
    BranchView,
    Callout,
    EvidenceGroup,
    EvidenceRow,
    FollowUpLine,
    HotSpot,
    Incentive,
    KpiGroup,
    KpiRow,
    Neighbour,
    TrendRow,
)

NEIGHBOURS = 2  # branches shown above and below this one in the ranking
HOT_SPOTS = 10


def build_branch_view(
    scorecard: Scorecard,
    branch_key: str,
    *,
    trend: pd.DataFrame | None = None,
    previous: Scorecard | None = None,
    lang: str = "zh",
    context: ReportContext | None = None,
    now: datetime | None = None,
    follow_ups: Sequence[FollowUpLine] = (),
    appeal: AppealChange | None = None,
) -> BranchView:
    """The report content for one branch. Pass ``context`` to reuse per-scorecard figures.
    ``follow_ups`` (last period's rectification measures) and ``appeal`` (what appeals changed
    for the branch) are read from the store by the caller (``svcqa.jobs.reports``)."""
    ctx = context or ReportContext(scorecard, trend=trend, previous=previous, lang=lang)
    branch = ctx.by_key.get(branch_key)
    if branch is None:
        raise NotFound(
            f"branch {branch_key!r} is not in the {scorecard.month} scorecard; run `svcqa report --all` to see the branches"
        )
    t, lang, month = ctx.t, ctx.lang, str(scorecard.month)
    kpis = tuple(_kpi_row(k, ctx) for k in branch.kpis)
    prev_total, prev_rank = _previous(branch, ctx, month)
    total_delta = None if prev_total is None else round(branch.total - prev_total, 2)
    rank_delta = None if prev_rank is None or branch.rank is None else prev_rank - branch.rank
    columns = _evidence_columns(branch, ctx)
    evidence = _evidence_groups(
        columns, {k.id: k.label for k in branch.kpis}, {k.id: k.lost for k in branch.kpis}, lang
    )
    hot_spots, complaint_total = _hot_spots(columns, ctx)
    trend_rows = _trend_rows(branch, ctx, month)
    stamp = now or scorecard.generated_at
    return BranchView(
        lang=lang,
        t=t,
        month=month,
        rubric_id=scorecard.rubric_id,
        rubric_name=scorecard.rubric_name,
        rubric_max=scorecard.rubric_max,
        branch=branch.branch,
        branch_key=branch.branch_key,
        region=branch.region,
        echelon=branch.echelon,
        assessed=branch.assessed,
        total=round(branch.total, 2),
        kpi_total=round(branch.kpi_total, 2),
        incentive_points=round(branch.incentive_points, 2),
        rank=branch.rank,
        rank_count=ctx.rank_count,
        rank_text=_rank_text(branch, ctx),
        grade=branch.grade or DASH,
        coefficient=branch.coefficient,
        flags=tuple(branch.flags),
        flag_labels=tuple(flag_label(f, lang) for f in branch.flags),
        prev_total=prev_total,
        prev_rank=prev_rank,
        total_delta=total_delta,
        rank_delta=rank_delta,
        total_change=change_text(total_delta, signed(total_delta)),
        rank_change=change_text(rank_delta, f"{abs(rank_delta)}" if rank_delta else "0"),
        callouts=_callouts(branch, kpis, scorecard, t),
        kpis=kpis,
        kpi_groups=_kpi_groups(kpis),
        evidence=evidence,
        evidence_total=int(sum(g.total for g in evidence)),
        hot_spots=hot_spots,
        complaint_total=complaint_total,
        neighbours=_neighbours(branch, ctx),
        trend=trend_rows,
        incentives=_incentives(columns),
        lost_chart=_lost_chart(kpis, t),
        trend_chart=_trend_chart(trend_rows, scorecard, ctx),
        generated_at=stamp.strftime("%Y-%m-%d %H:%M") if stamp else "",
        evidence_columns=columns,
        follow_ups=tuple(follow_ups),
        sections=ctx.sections,
        mismatches=ctx.mismatches,
        appeal=appeal_box(appeal, lang),
    )


def _rank_text(branch: BranchResult, ctx: ReportContext) -> str:
    if branch.rank is None:
        return ctx.t["not_ranked"]
    return ctx.t["rank_of"].format(rank=branch.rank, count=ctx.rank_count)


def _kpi_groups(kpis: Sequence[KpiRow]) -> tuple[KpiGroup, ...]:
    """The KPI rows by group, groups in the order their first KPI comes in the rubric."""
    groups: dict[str, list[KpiRow]] = {}
    for row in kpis:
        groups.setdefault(row.group, []).append(row)
    return tuple(KpiGroup(name, tuple(rows)) for name, rows in groups.items())


def _evidence_columns(branch: BranchResult, ctx: ReportContext) -> dict[str, np.ndarray]:
    """The branch's evidence arrays plus each row's KPI label (the XLSX detail sheet shows it)."""
    columns = ctx.branch_evidence(branch.branch_key)
    labels = {k.id: k.label for k in branch.kpis}
    columns["kpi_label"] = np.array([labels.get(i, i) for i in columns["kpi_id"]], dtype=object)
    return columns


def _lost_chart(kpis: Sequence[KpiRow], t: Mapping[str, str]) -> Markup:
    """Lost points per scored KPI, most lost first."""
    bars = [Bar(k.label, k.lost, k.max) for k in kpis if not k.excluded]
    bars.sort(key=lambda b: -b.value)
    return lost_points_chart(
        bars, title=t["lost_chart"], axis_label=t["lost_axis"], empty_text=t["no_lost"]
    )


def _trend_chart(
    trend_rows: Sequence[TrendRow], scorecard: Scorecard, ctx: ReportContext
) -> Markup:
    t = ctx.t
    return trend_chart(
        [r.month for r in trend_rows],
        [r.total for r in trend_rows],
        [r.rank for r in trend_rows],
        title=t["trend_chart"],
        total_label=t["trend_total"],
        rank_label=t["trend_rank"],
        total_max=scorecard.rubric_max,
        rank_count=max(ctx.trend_rank_count, 1),
        empty_text=t["no_trend"],
    )


def _kpi_row(kpi: KpiResult, ctx: ReportContext) -> KpiRow:
    t = ctx.t
    full_text, zero_text = thresholds(kpi, t)
    value = figure(kpi.value)
    median = ctx.median.get(kpi.id)
    best = ctx.best.get(kpi.id)
    suffix = unit_suffix(kpi.unit, t)
    return KpiRow(
        id=kpi.id,
        label=kpi.label,
        limit_text=limit_text(kpi, t),
        group=kpi.group,
        unit=kpi.unit,
        value=value,
        value_text=t["no_data"]
        if kpi.no_data or value is None
        else metric(value, kpi.unit) + suffix,
        basis=int(kpi.basis),
        full_text=full_text,
        zero_text=zero_text,
        points=round(kpi.points, 2),
        max=kpi.max,
        lost=kpi.lost,
        no_data=kpi.no_data,
        low_volume=kpi.low_volume,
        excluded=kpi.excluded,
        note=kpi.note,
        median=median,
        median_text=DASH if median is None else metric(median, kpi.unit) + suffix,
        best=None if best is None else best[0],
        best_text=DASH if best is None else metric(best[0], kpi.unit) + suffix,
        best_branch="" if best is None else best[1],
    )


def _previous(
    branch: BranchResult, ctx: ReportContext, month: str
) -> tuple[float | None, int | None]:
    """Last month's total and rank: the previous scorecard, else the branch's own record, else the trend."""
    earlier = ctx.previous.get(branch.branch_key)
    if earlier is not None:
        return round(earlier.total, 2), earlier.rank
    if branch.prev_total is not None or branch.prev_rank is not None:
        return branch.prev_total, branch.prev_rank
    if ctx.trend is not None:
        rows = ctx.trend_rows.get(branch.branch_key)
        if rows is not None:
            earlier_rows = [
                ctx.trend_records[i] for i in rows if ctx.trend_records[i]["month"] < month
            ]
            if earlier_rows:
                last = earlier_rows[-1]
                rank = last.get("rank")
                return float(last["total"]), None if is_missing(rank) or pd.isna(rank) else int(
                    rank
                )
    return None, None


def _evidence_groups(
    columns: Mapping[str, np.ndarray],
    labels: Mapping[str, str],
    lost: Mapping[str, float],
    lang: str,
) -> tuple[EvidenceGroup, ...]:
    """One group per KPI (rubric order), incentives left out: they have their own table."""
    kpi_ids = columns["kpi_id"]
    if not len(kpi_ids):
        return ()
    generic = (REPORT_LABELS[lang]["ref"], REPORT_LABELS[lang]["amount"])
    starts = np.concatenate(([0], np.flatnonzero(kpi_ids[1:] != kpi_ids[:-1]) + 1))
    ends = np.append(starts[1:], len(kpi_ids))
    groups = []
    fields = ("kind", "ref", "date", "value", "category", "detail", "file", "sheet", "row")
    for a, b in zip(starts.tolist(), ends.tolist()):
        kinds = set(columns["kind_code"][a:b].tolist())
        if kinds == {"incentive"}:
            continue
        kpi_id = str(kpi_ids[a])
        ref_label, value_label = (
            EVIDENCE_KIND_COLUMNS[lang].get(next(iter(kinds)), generic)
            if len(kinds) == 1
            else generic
        )
        shown = min(b, a + HTML_ROWS_PER_KPI)
        rows = tuple(
            EvidenceRow(*values) for values in zip(*(columns[f][a:shown].tolist() for f in fields))
        )
        groups.append(
            EvidenceGroup(
                kpi_id=kpi_id,
                label=labels.get(kpi_id, kpi_id),
                lost=float(lost.get(kpi_id, 0.0)),
                ref_label=ref_label,
                value_label=value_label,
                rows=rows,
                total=b - a,
            )
        )
    return tuple(groups)


def _hot_spots(
    columns: Mapping[str, np.ndarray], ctx: ReportContext
) -> tuple[tuple[HotSpot, ...], int]:
    categories = columns["category"][columns["kind_code"] == "complaint"]
    if not len(categories):
        return (), 0
    counts = Counter(c or ctx.uncategorised for c in categories.tolist())
    total = sum(counts.values())
    # Most complaints first; ties by category name, so the order does not depend on row order.
    top = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:HOT_SPOTS]
    spots = tuple(
        HotSpot(
            category=cat,
            count=n,
            share=n / total,
            all_share=float(ctx.all_complaint_share.get(cat, 0.0)),
        )
        for cat, n in top
    )
    return spots, total


def _incentives(columns: Mapping[str, np.ndarray]) -> tuple[Incentive, ...]:
    mask = columns["kind_code"] == "incentive"
    pick = {
        name: columns[name][mask].tolist()
        for name in ("value_num", "detail", "category", "date", "ref", "file", "sheet", "row")
    }
    return tuple(
        Incentive(
            points=0.0 if math.isnan(v) else float(v),
            reason=detail or category,
            date=d,
            ref=ref,
            source=_source(f, sh, r),
        )
        for v, detail, category, d, ref, f, sh, r in zip(*pick.values())
    )


def _source(file: str, sheet: str, row: str) -> str:
    return " / ".join(p for p in (file, sheet, row) if p)


def _neighbours(branch: BranchResult, ctx: ReportContext) -> tuple[Neighbour, ...]:
    position = ctx.position.get(branch.branch_key)
    if position is None:
        return ()
    window = ctx.ranking[max(position - NEIGHBOURS, 0) : position + NEIGHBOURS + 1]
    return tuple(
        Neighbour(b.rank or 0, b.branch, round(b.total, 2), b.branch_key == branch.branch_key)
        for b in window
    )


def _trend_rows(branch: BranchResult, ctx: ReportContext, month: str) -> tuple[TrendRow, ...]:
    rows: list[TrendRow] = []
    if ctx.trend is not None:
        index = ctx.trend_rows.get(branch.branch_key)
        if index is not None:
            for record in (ctx.trend_records[i] for i in index):
                if record["month"] == month:
                    continue
                rank = record.get("rank")
                coefficient = record.get("coefficient")
                rows.append(
                    TrendRow(
                        month=str(record["month"]),
                        total=None
                        if is_missing(record.get("total"))
                        else round(float(record["total"]), 2),
                        rank=None if rank is None or pd.isna(rank) else int(rank),
                        grade=""
                        if record.get("grade") is None or pd.isna(record.get("grade"))
                        else str(record["grade"]),
                        coefficient=None
                        if coefficient is None or pd.isna(coefficient)
                        else float(coefficient),
                        assessed=bool(record.get("assessed", True)),
                    )
                )
    # The scored month itself always closes the series, whatever the store holds.
    rows.append(
        TrendRow(
            month,
            round(branch.total, 2),
            branch.rank,
            branch.grade or "",
            branch.coefficient,
            branch.assessed,
        )
    )
    rows.sort(key=lambda r: r.month)
    # A month scored under another rubric than the month before carries a * (see rubric_changes).
    return tuple(
        dataclasses.replace(r, month=r.month + "*", rubric_change=ctx.rubric_changes[r.month])
        if r.month in ctx.rubric_changes
        else r
        for r in rows
    )


def _callouts(
    branch: BranchResult, kpis: Sequence[KpiRow], scorecard: Scorecard, t: Mapping[str, str]
) -> tuple[Callout, ...]:
    """The flags a manager must act on, stated plainly, most serious first."""
    month = str(scorecard.month)
    lang = "zh" if t is REPORT_LABELS["zh"] else "en"
    deadline = submission_deadline(month, lang)
    flags = set(branch.flags)
    out: list[Callout] = []
    if "contract_review" in flags:
        out.append(
            Callout("danger", t["contract_review"].format(streak=max(branch.last_place_streak, 3)))
        )
    if "last_place" in flags:
        out.append(Callout("danger", t["last_place"].format(deadline=deadline)))
    elif "rectification_required" in flags:
        out.append(
            Callout(
                "danger", t["rectification"].format(grade=branch.grade or DASH, deadline=deadline)
            )
        )
    if "veto" in flags:
        out.append(Callout("warning", t["veto"]))
    if "grace_month" in flags:
        out.append(Callout("info", t["grace_month"]))
    if "partial_quarter" in flags or any("partial_quarter" in k.note for k in kpis):
        out.append(Callout("info", t["partial_quarter"]))
    low = [k.label for k in kpis if k.low_volume]
    if low:
        out.append(
            Callout(
                "info",
                t["low_volume_note"].format(kpis=list_text(low, lang)),
            )
        )
    known = {
        "contract_review",
        "last_place",
        "rectification_required",
        "veto",
        "grace_month",
        "partial_quarter",
    }
    for flag in branch.flags:
        if flag not in known:
            out.append(Callout("info", flag_label(flag, lang)))
    return tuple(out)
