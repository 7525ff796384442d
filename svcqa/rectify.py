"""Rectification forms (整改报告): build them pre-filled, issue them, collect them back, follow up.

The closed loop (SPEC 5): a branch ranked last or graded failing gets a form for the month
(``issue_forms``), fills in its measures, owners, deadlines and targets and sends the XLSX back
(``collect_forms``, in ``svcqa.rectify_collect``, validates it and records the measures), and
next month's form and report show each measure next to the KPI's new value (``follow_ups``).
``form_status`` says what was issued, what came back and which measures are past their deadline.

A form is a ``BranchView`` (the same figures the branch report shows, built by
``svcqa.render.report``) plus what only the form has: the KPI groups' subtotals, last period's
measures, month-over-month drops and the seeded plan rows. The renderers in
``svcqa.render.rectify`` (HTML, DOCX) and ``svcqa.render.rectify_xlsx`` lay out the same form.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from svcqa import clock
from svcqa.errors import NotFound, UsageError
from svcqa.labels import flag_label, flags_text, labels_in
from svcqa.models import BranchResult, KpiResult, Month, Scorecard
from svcqa.rectify_collect import CollectRun, collect_forms
from svcqa.render.environment import DASH, metric
from svcqa.render.report import (
    BranchView,
    KpiRow,
    ReportContext,
    better_direction,
    build_branch_view,
    figure,
    is_missing,
    report_labels,
    report_stems,
    submission_deadline,
    unit_suffix,
)

FORMATS = ("xlsx", "html", "docx")
EXTRA_PLAN_ROWS = 2  # blank section-4 rows for measures the branch adds beyond the seeded ones
TOP_LOST = 3
TOP_CATEGORIES = 5
REASON_FLAGS = ("last_place", "rectification_required", "contract_review")

LABELS: dict[str, dict[str, str]] = {
    "zh": {
        "title": "服务质量整改报告",
        "subtitle": "考核方案：{name}（{id}） · 整改原因：{reasons} · 请于 {due} 前提交",
        "colon": "：",
        "s1": "一、基本情况",
        "s2": "二、上期整改措施执行情况",
        "s3": "三、主要问题分析",
        "s4": "四、整改措施及计划",
        "s5": "五、需协调事项",
        "branch": "网点",
        "month": "考核月份",
        "total": "总分",
        "rank": "排名",
        "grade": "等级",
        "coefficient": "结算系数",
        "streak": "连续末位月数",
        "fill_date": "填报日期",
        "vs_previous": "较上月",
        "group": "分组",
        "kpi": "指标",
        "value": "指标值",
        "full_at": "满分标准",
        "points": "得分",
        "max": "满分",
        "lost": "失分",
        "subtotal": "小计",
        "sum": "合计",
        "no": "序号",
        "problem": "问题",
        "measure": "整改措施",
        "owner": "责任人",
        "deadline": "完成时限",
        "target": "目标值",
        "prev_value": "上期值",
        "cur_value": "本期值",
        "moved": "是否改善",
        "improved": "改善",
        "worse": "未改善",
        "same": "持平",
        "no_data": "无数据",
        "reached": "达标",
        "no_previous_form": "上期（{month}）无已回收的整改报告。",
        "previous_form": "上期（{month}）整改措施及本期（{current}）指标变化：",
        "effect": "执行情况说明（由网点填写）",
        "top_lost": "失分最多的指标",
        "share_of_lost": "占总失分",
        "hot_spots": "投诉热点（有效投诉类别）",
        "category": "类别",
        "count": "件数",
        "share": "占比",
        "all_share": "全部网点占比",
        "no_complaints": "本月无有效投诉",
        "drops": "环比下降的指标（较 {month}）",
        "prev_points": "上月得分",
        "delta": "变化",
        "no_drops": "无环比下降的指标",
        "no_previous_month": "无上月记录，无法环比",
        "no_lost": "本月无失分",
        "cause": "原因分析（由网点填写）",
        "plan_note": "黄色单元格由网点填写：整改措施、责任人、完成时限（晚于 {month_end} 的日期）、目标值（数字）；如需增加措施，请填写空白行。",
        "coordination": "需其他部门协调解决的事项（由网点填写）",
        "signer": "负责人签字",
        "center": "客服中心确认",
        "problem_text": "{label}：{value}（满分标准 {full}），失分 {lost}",
        "requested": "按需出具",
        "generated": "生成时间",
        "sheet": "整改报告",
    },
    "en": {
        "title": "Rectification report",
        "subtitle": "Rubric: {name} ({id}) · required because: {reasons} · due by {due}",
        "colon": ": ",
        "s1": "1. Overview",
        "s2": "2. Last period's measures and their effect",
        "s3": "3. Main problems",
        "s4": "4. Measures and plan",
        "s5": "5. Support needed from other departments",
        "branch": "Branch",
        "month": "Month",
        "total": "Total",
        "rank": "Rank",
        "grade": "Grade",
        "coefficient": "Fee coefficient",
        "streak": "Months last in a row",
        "fill_date": "Date filled in",
        "vs_previous": "vs previous month",
        "group": "Group",
        "kpi": "KPI",
        "value": "Value",
        "full_at": "Full marks at",
        "points": "Points",
        "max": "Max",
        "lost": "Lost",
        "subtotal": "Subtotal",
        "sum": "Total",
        "no": "No.",
        "problem": "Problem",
        "measure": "Measure",
        "owner": "Owner",
        "deadline": "Deadline",
        "target": "Target",
        "prev_value": "Previous",
        "cur_value": "Now",
        "moved": "Improved?",
        "improved": "improved",
        "worse": "not improved",
        "same": "unchanged",
        "no_data": "no data",
        "reached": "target met",
        "no_previous_form": "No collected rectification report for the previous period ({month}).",
        "previous_form": "Measures of {month} and the KPIs in {current}:",
        "effect": "How the measures were carried out (filled in by the branch)",
        "top_lost": "KPIs that lost most",
        "share_of_lost": "Share of lost points",
        "hot_spots": "Complaint hot spots (valid complaints)",
        "category": "Category",
        "count": "Count",
        "share": "Share",
        "all_share": "All branches",
        "no_complaints": "no valid complaints this month",
        "drops": "KPIs that dropped (vs {month})",
        "prev_points": "Points before",
        "delta": "Change",
        "no_drops": "no KPI dropped",
        "no_previous_month": "no previous month on record",
        "no_lost": "no points lost this month",
        "cause": "Cause analysis (filled in by the branch)",
        "plan_note": "The branch fills in the yellow cells: measure, owner, deadline (a date after {month_end}), target (a number); use the blank rows for further measures.",
        "coordination": "Decisions and support needed (filled in by the branch)",
        "signer": "Signed (branch manager)",
        "center": "Confirmed (service centre)",
        "problem_text": "{label}: {value} (full marks at {full}), lost {lost}",
        "requested": "on request",
        "generated": "Generated",
        "sheet": "Rectification",
    },
}


def form_labels(lang: str) -> Mapping[str, str]:
    return labels_in(LABELS, lang)


# ---------------------------------------------------------------------------------------------
# The form model
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FormGroup:
    """One KPI group of section 1 (客户感知 / 内部运营 as the rubric groups them) with its subtotal."""

    name: str
    rows: tuple[KpiRow, ...]
    points: float
    max: float
    lost: float


@dataclass(frozen=True)
class FollowUp:
    """A measure from last period's collected form next to the KPI's value then and now."""

    month: str  # the month whose form recorded the measure
    row: int
    kpi_id: str
    label: str
    problem: str
    measure: str
    owner: str
    deadline: str
    target: float | None
    target_text: str
    prev_value: float | None
    prev_text: str
    value: float | None
    value_text: str
    improved: bool | None  # None: no KPI, or no value in one of the months
    moved: str  # "improved" / "worse" / "same" / "no_data"
    moved_text: str
    reached: bool | None


@dataclass(frozen=True)
class Drop:
    """A KPI whose points fell against the previous month."""

    label: str
    prev_text: str
    value_text: str
    prev_points: float
    points: float

    @property
    def delta(self) -> float:
        return round(self.points - self.prev_points, 2)


@dataclass(frozen=True)
class PlanRow:
    """A section-4 row: seeded per losing KPI (problem and target filled), or blank for the branch."""

    no: int
    kpi_id: str
    problem: str
    target: float | None
    unit: str
    target_text: str


@dataclass(frozen=True, eq=False)
class RectifyForm:
    """Everything one form shows; ``view`` is the branch report's content for the same month."""

    view: BranchView
    t: Mapping[str, str]
    month: Month
    reasons: tuple[str, ...]
    reason_text: str
    subtitle: str
    due_date: date
    due_text: str
    streak: int
    groups: tuple[FormGroup, ...]
    previous_month: str
    previous_form: bool
    follow_ups: tuple[FollowUp, ...]
    top_lost: tuple[KpiRow, ...]
    hot_spots: tuple[Any, ...]
    has_previous_month: bool
    drops: tuple[Drop, ...]
    plan: tuple[PlanRow, ...]
    generated_at: str
    form_id: str = ""

    @property
    def lost_total(self) -> float:
        return self.view.lost_total

    @property
    def month_end(self) -> date:
        return self.month.last_day


def kpi_target(kpi: KpiResult) -> float | None:
    """The KPI's full-marks threshold from its rubric curve, in the metric's unit; None if none."""
    curve = kpi.curve or {}
    kind = curve.get("kind")
    if kind == "linear" and curve.get("full") is not None:
        return float(curve["full"])
    if kind == "deduct":
        return 0.0
    if kind == "rating":
        return float(curve.get("scale_max") or kpi.max)
    if kind == "ratio":
        return 0.0 if curve.get("invert") else 1.0
    if kind == "bands":
        bands = curve.get("bands") or []
        full = next((b for b in bands if float(b[1]) >= kpi.max), None)
        return float(full[0]) if full else None
    return None


def target_text(value: float | None, unit: str, lang: str = "zh") -> str:
    """A KPI value or target in its unit, as the report writes it (``3.0%``, ``5.00 天``)."""
    return DASH if value is None else metric(value, unit) + unit_suffix(unit, report_labels(lang))


def kpi_improved(
    curve: Mapping[str, Any],
    before: float | None,
    after: float | None,
    points_before: float | None = None,
    points_after: float | None = None,
) -> bool | None:
    """Did the KPI improve? Direction-aware: a lower-is-better KPI improves when its value drops.

    Curves with no direction (only the points tell) compare points. None when a value is missing
    or nothing changed is not decided here (equal values give False; the caller says "same").
    """
    direction = better_direction(curve)
    if direction is None:
        before, after = points_before, points_after
        direction = "higher"
    before, after = figure(before), figure(after)
    if before is None or after is None:
        return None
    return after < before if direction == "lower" else after > before


def _reached(curve: Mapping[str, Any], value: float | None, target: float | None) -> bool | None:
    value = figure(value)
    if value is None or target is None:
        return None
    direction = better_direction(curve) or "higher"
    return value <= target if direction == "lower" else value >= target


def follow_ups(
    rows: pd.DataFrame, before: BranchResult | None, now: BranchResult, *, lang: str = "zh"
) -> tuple[FollowUp, ...]:
    """Last period's collected measures of one branch (``rows`` from ``history.rectify.measures``)
    with each KPI's value in that month (``before``) and in this one (``now``)."""
    t = form_labels(lang)
    then = {k.id: k for k in before.kpis} if before is not None else {}
    current = {k.id: k for k in now.kpis}
    out = []
    r: Any  # an itertuples row: a namedtuple built at run time, its fields untyped
    for r in rows.itertuples(index=False):  # a handful of rows per branch
        kpi_id = str(r.kpi_id)
        old, new = then.get(kpi_id), current.get(kpi_id)
        kpi = new or old
        unit = kpi.unit if kpi else ""
        prev_value = None if old is None or old.no_data else figure(old.value)
        value = None if new is None or new.no_data else figure(new.value)
        target = None if is_missing(r.target) else float(r.target)
        improved = (
            kpi_improved(
                kpi.curve,
                prev_value,
                value,
                old.points if old else None,
                new.points if new else None,
            )
            if kpi
            else None
        )
        same = (
            prev_value is not None and value is not None and round(prev_value, 9) == round(value, 9)
        )
        state = (
            "no_data"
            if improved is None and not same
            else "same"
            if same
            else "improved"
            if improved
            else "worse"
        )
        reached = _reached(kpi.curve, value, target) if kpi else None
        text = t[state] + (f" · {t['reached']}" if reached else "")
        out.append(
            FollowUp(
                month=str(r.month),
                row=int(r.row),
                kpi_id=kpi_id,
                label=kpi.label if kpi else DASH,
                problem=str(r.problem),
                measure=str(r.measure),
                owner=str(r.owner),
                deadline=str(r.deadline),
                target=target,
                target_text=target_text(target, unit, lang),
                prev_value=prev_value,
                prev_text=target_text(prev_value, unit, lang)
                if prev_value is not None
                else t["no_data"],
                value=value,
                value_text=target_text(value, unit, lang) if value is not None else t["no_data"],
                improved=None if state in ("no_data", "same") else improved,
                moved=state,
                moved_text=text,
                reached=reached,
            )
        )
    return tuple(out)


def rectification_reasons(branch: BranchResult) -> tuple[str, ...]:
    """The flags that require a form (last place, failing grade, contract review); empty if none."""
    return tuple(f for f in REASON_FLAGS if f in branch.flags)


def reason_text(
    reasons: Sequence[str], grade: str | None, lang: str = "zh", *, failing: bool = False
) -> str:
    """Why the form is required, in words: 末位 / 等级“不合格” / 协议清算评估 (as the report's callouts).

    ``failing``: the grade is one the rubric requires rectification for, so a branch both last
    and failing is told both."""
    parts = []
    for r in reasons:
        if r == "rectification_required":
            if failing or "last_place" not in reasons:
                parts.append(
                    f"等级“{grade or DASH}”" if lang == "zh" else f"graded {grade or DASH}"
                )
        elif r == "requested":
            parts.append(LABELS[lang]["requested"])
        else:
            parts.append(flag_label(r, lang))
    return ("、" if lang == "zh" else ", ").join(parts)


def due_date(month: Month) -> date:
    """Filled forms are due on the 5th of the next month (as the report's callout says)."""
    return month.next().first_day.replace(day=5)


def build_form(
    scorecard: Scorecard,
    branch_key: str,
    *,
    context: ReportContext,
    previous: Scorecard | None = None,
    previous_measures: pd.DataFrame | None = None,
    failing_grades: Collection[str] = (),
    now: datetime | None = None,
) -> RectifyForm:
    """The pre-filled form for one branch of a scored month.

    ``context`` is the month's ``ReportContext`` (built once with the trend and previous month);
    ``previous_measures`` are the branch's collected measures of the previous month, if any.
    """
    view = build_branch_view(scorecard, branch_key, context=context, now=now)
    lang = context.lang
    t = form_labels(lang)
    branch = context.by_key[branch_key]
    month = scorecard.month
    form_groups = tuple(
        FormGroup(
            g.name,
            g.rows,
            round(sum(r.points for r in g.rows), 2),
            sum(r.max for r in g.rows),
            round(sum(r.lost for r in g.rows), 2),
        )
        for g in view.kpi_groups
    )
    before = previous.branch(branch_key) if previous is not None else None
    prev_measures = previous_measures if previous_measures is not None else pd.DataFrame()
    ups = follow_ups(prev_measures, before, branch, lang=lang) if len(prev_measures) else ()
    losing = [k for k in view.kpis if k.lost > 0 and not k.excluded]
    top = tuple(sorted(losing, key=lambda k: -k.lost)[:TOP_LOST])
    drops: list[Drop] = []
    if before is not None:
        then = {k.id: k for k in before.kpis}
        for k in view.kpis:
            old = then.get(k.id)
            if old is not None and round(k.points - old.points, 2) < 0:
                old_value = None if old.no_data else figure(old.value)
                old_text = (
                    t["no_data"] if old_value is None else target_text(old_value, old.unit, lang)
                )
                drops.append(Drop(k.label, old_text, k.value_text, round(old.points, 2), k.points))
        drops.sort(key=lambda d: d.delta)
    kpis = {k.id: k for k in branch.kpis}
    plan = []
    for i, row in enumerate(losing, start=1):
        kpi = kpis[row.id]
        target = kpi_target(kpi)
        problem = t["problem_text"].format(
            label=row.label, value=row.value_text, full=row.full_text, lost=f"{row.lost:.2f}"
        )
        plan.append(
            PlanRow(i, row.id, problem, target, kpi.unit, target_text(target, kpi.unit, lang))
        )
    for j in range(EXTRA_PLAN_ROWS):
        plan.append(PlanRow(len(losing) + j + 1, "", "", None, "", ""))
    reasons = rectification_reasons(branch) or ("requested",)
    why = reason_text(reasons, branch.grade, lang, failing=branch.grade in failing_grades)
    due = due_date(month)
    due_text = submission_deadline(str(month), lang)
    stamp = now or scorecard.generated_at
    return RectifyForm(
        view=view,
        t=t,
        month=month,
        reasons=reasons,
        reason_text=why,
        subtitle=t["subtitle"].format(
            name=view.rubric_name, id=view.rubric_id, reasons=why, due=due_text
        ),
        due_date=due,
        due_text=due_text,
        streak=branch.last_place_streak,
        groups=form_groups,
        previous_month=str(month.prev()),
        previous_form=bool(len(prev_measures)),
        follow_ups=ups,
        top_lost=top,
        hot_spots=view.hot_spots[:TOP_CATEGORIES],
        has_previous_month=before is not None,
        drops=tuple(drops),
        plan=tuple(plan),
        generated_at=stamp.strftime("%Y-%m-%d %H:%M") if stamp else "",
    )


def form_id(branch_key: str, month: Month, issued_at: datetime) -> str:
    """A stable id for an issued form: the branch's form of a month issued at the same time gets the same id."""
    text = f"{branch_key}|{month}|{issued_at.isoformat()}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


# ---------------------------------------------------------------------------------------------
# Issuing
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedBranch:
    branch: str
    branch_key: str
    reasons: tuple[str, ...]
    reason_text: str
    form_id: str
    paths: tuple[Path, ...]


@dataclass(frozen=True)
class IssueRun:
    """What ``issue_forms`` wrote: the month, the folder and one entry per branch."""

    month: Month
    out_dir: Path
    forms: list[IssuedBranch]

    @property
    def paths(self) -> list[Path]:
        return [p for f in self.forms for p in f.paths]


def parse_form_formats(text: str) -> tuple[str, ...]:
    """``"xlsx,html"`` -> ("xlsx", "html"); UsageError for anything else."""
    formats = tuple(dict.fromkeys(part.strip().lower() for part in text.split(",") if part.strip()))
    bad = [f for f in formats if f not in FORMATS]
    if bad or not formats:
        raise UsageError(f"--format takes xlsx, html and/or docx separated by commas, not {text!r}")
    return formats


def issue_forms(
    db: Path | None,
    *,
    month: Month | None = None,
    branch: str | None = None,
    out_dir: Path | None = None,
    formats: Sequence[str] = FORMATS,
    lang: str = "zh",
    now: datetime | None = None,
) -> IssueRun:
    """Write the form of ``branch``, or of every branch that must rectify, and record them as issued.

    The month defaults to the latest stored one; the scorecard, previous month and trend are
    loaded as the branch reports load them (``load_stored_month``), last period's collected
    measures come from the store. Files are written atomically, then every form of the run is
    recorded in one transaction (with the XLSX's locked cells, so ``collect`` can check them).
    """
    from svcqa.history import HistoryStore, file_sha256, resolve_db_path
    from svcqa.history import forms as forms_db
    from svcqa.history.queries import find_branch
    from svcqa.output import write_text_atomic
    from svcqa.render.rectify import render_form_html, write_form_docx
    from svcqa.render.rectify_xlsx import FORM_VERSION, write_form_xlsx
    from svcqa.render.report import load_stored_month
    from svcqa.rubric import load_rubric_text

    form_labels(lang)
    bad = [f for f in formats if f not in FORMATS]
    if bad or not formats:
        raise UsageError(
            f"form formats must be some of {', '.join(FORMATS)}, not {', '.join(bad) or 'nothing'}"
        )
    now = now or clock.now()
    with HistoryStore(resolve_db_path(db), create=False) as store:
        stored = load_stored_month(store, month)
        scorecard = stored.scorecard
        month = stored.month
        if branch is not None:
            key = find_branch(store, branch)
            if scorecard.branch(key) is None:
                raise NotFound(
                    f"branch {branch!r} has no result in {month}; stored months: {', '.join(map(str, stored.months))}"
                )
            keys = [key]
        else:
            keys = [b.branch_key for b in scorecard.branches if rectification_reasons(b)]
        target = (
            Path(out_dir) if out_dir is not None else Path("svcqa-out") / str(month) / "rectify"
        )
        if not keys:
            return IssueRun(month=month, out_dir=target, forms=[])
        context = ReportContext(scorecard, trend=stored.trend, previous=stored.previous, lang=lang)
        failing = load_rubric_text(store.run_info(month)["rubric_source"]).failing_grades
        earlier = forms_db.measures(store, month.prev(), keys)
        stems = report_stems(scorecard)
        issued: list[IssuedBranch] = []
        records: list[Any] = []
        for key in keys:
            form = build_form(
                scorecard,
                key,
                context=context,
                previous=stored.previous,
                previous_measures=earlier[earlier["branch_key"] == key],
                failing_grades=failing,
                now=now,
            )
            form = replace(form, form_id=form_id(key, month, now))
            stem = f"{stems[key]}-rectify"
            paths: list[Path] = []
            layout = None
            if "xlsx" in formats:
                layout = write_form_xlsx(form, target / f"{stem}.xlsx", now=now)
                paths.append(target / f"{stem}.xlsx")
            if "html" in formats:
                paths.append(write_text_atomic(target / f"{stem}.html", render_form_html(form)))
            if "docx" in formats:
                paths.append(write_form_docx(form, target / f"{stem}.docx", now=now))
            records.append(
                forms_db.IssuedForm(
                    form_id=form.form_id,
                    branch_key=key,
                    branch=form.view.branch,
                    month=str(month),
                    issued_at=now.isoformat(),
                    rubric_id=scorecard.rubric_id,
                    form_version=FORM_VERSION,
                    reasons=list(form.reasons),
                    due_date=form.due_date.isoformat(),
                    files=[{"path": str(p), "sha256": file_sha256(p)} for p in paths],
                    layout=layout.as_dict() if layout else {},
                    locked_cells=layout.locked if layout else {},
                    locked_sha256=layout.locked_sha256 if layout else "",
                )
            )
            issued.append(
                IssuedBranch(
                    form.view.branch,
                    key,
                    form.reasons,
                    form.reason_text,
                    form.form_id,
                    tuple(paths),
                )
            )
        forms_db.record_issued(store, records)
    return IssueRun(month=month, out_dir=target, forms=issued)


# ---------------------------------------------------------------------------------------------
# Status and the report hook
# ---------------------------------------------------------------------------------------------


def form_status(
    db: Path | None, *, month: Month | None = None, today: date | None = None
) -> list[dict[str, Any]]:
    """Per issued form (latest issue per branch and month): returned or not, measures, overdue ones.

    A form not back after its due date is overdue; a measure is overdue when its deadline is
    before ``today`` (default: the real today; inject it in tests).
    """
    from svcqa.history import HistoryStore, resolve_db_path
    from svcqa.history import forms as forms_db

    today = today or clock.today()
    with HistoryStore(resolve_db_path(db), create=False) as store:
        forms = forms_db.issued_forms(store, month)
        back = forms_db.returns(store, month)
        frame = forms_db.measures(store, month)
    records = []
    for f in forms:
        returned = back.get((f.month, f.branch_key))
        rows = frame[(frame["month"] == f.month) & (frame["branch_key"] == f.branch_key)]
        # itertuples rows are namedtuples built at run time: their fields are untyped.
        measures: Iterable[Any] = rows.itertuples(index=False)
        overdue = [
            {
                "row": int(r.row),
                "kpi_id": r.kpi_id,
                "problem": r.problem,
                "measure": r.measure,
                "owner": r.owner,
                "deadline": r.deadline,
            }
            for r in measures
            if r.deadline and date.fromisoformat(r.deadline) < today
        ]
        records.append(
            {
                "month": f.month,
                "branch": f.branch,
                "branch_key": f.branch_key,
                "reasons": f.reasons,
                "reason_text": flags_text(f.reasons, "zh")
                if f.reasons != ["requested"]
                else LABELS["zh"]["requested"],
                "issued_at": f.issued_at,
                "due_date": f.due_date,
                "files": [x["path"] for x in f.files],
                "returned": returned is not None,
                "collected_at": returned["collected_at"] if returned else None,
                "source_file": returned["source_file"] if returned else None,
                "form_overdue": returned is None and date.fromisoformat(f.due_date) < today,
                "measures": len(rows),
                "overdue_measures": overdue,
            }
        )
    return records


def report_follow_ups(
    store: Any, stored: Any, keys: Sequence[str] | None, *, lang: str = "zh"
) -> dict[str, tuple[FollowUp, ...]]:
    """branch_key -> last period's collected measures beside the KPI's value then and now, for the
    branch reports of ``stored`` (a ``StoredMonth``); empty when nothing was collected."""
    from svcqa.history import forms as forms_db

    frame = forms_db.measures(store, stored.month.prev(), keys)
    out: dict[str, tuple[FollowUp, ...]] = {}
    for key, rows in frame.groupby("branch_key", sort=False):
        now = stored.scorecard.branch(key)
        if now is not None:
            before = stored.previous.branch(key) if stored.previous is not None else None
            out[str(key)] = follow_ups(rows, before, now, lang=lang)
    return out


__all__ = [
    "FORMATS",
    "CollectRun",
    "FollowUp",
    "IssueRun",
    "PlanRow",
    "RectifyForm",
    "build_form",
    "collect_forms",
    "follow_ups",
    "form_status",
    "issue_forms",
    "kpi_target",
    "parse_form_formats",
    "report_follow_ups",
]
