"""The pre-filled rectification form (整改报告) of one branch and month, as a frozen model.

A form is a ``BranchView`` (the same figures the branch report shows, built by
``svcqa.render.report``) plus what only the form has: the KPI groups' subtotals, last period's
measures next to each KPI's value then and now (``follow_ups``), month-over-month drops and the
seeded plan rows. Pure: the scorecards and last period's measures come in, the model comes out;
``svcqa.rectify.xlsx`` and ``svcqa.rectify.document`` lay the same model out.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pandas as pd

from svcqa.labels import form_labels
from svcqa.models import BranchResult, KpiResult, Month, Scorecard
from svcqa.rectify.issue import due_date, reason_text, rectification_reasons
from svcqa.render.formats import DASH, metric
from svcqa.render.report import (
    BranchView,
    KpiRow,
    ReportContext,
    better_direction,
    build_branch_view,
    is_missing,
    report_labels,
    submission_deadline,
    unit_suffix,
)

EXTRA_PLAN_ROWS = 2  # blank section-4 rows for measures the branch adds beyond the seeded ones
TOP_LOST = 3
TOP_CATEGORIES = 5


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


def _number(value: float | None) -> float | None:
    """A KPI value as a float, or None when it is missing (None or NaN)."""
    if value is None or is_missing(value):
        return None
    return float(value)


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
    before, after = _number(before), _number(after)
    if before is None or after is None:
        return None
    return after < before if direction == "lower" else after > before


def _reached(curve: Mapping[str, Any], value: float | None, target: float | None) -> bool | None:
    value = _number(value)
    if value is None or target is None:
        return None
    direction = better_direction(curve) or "higher"
    return value <= target if direction == "lower" else value >= target


def _movement(improved: bool | None, prev_value: float | None, value: float | None) -> str:
    """``same`` when the value did not change, else ``improved`` / ``worse``, or ``no_data``."""
    same = prev_value is not None and value is not None and round(prev_value, 9) == round(value, 9)
    if same:
        return "same"
    if improved is None:
        return "no_data"
    return "improved" if improved else "worse"


def _follow_up(
    r: Any, old: KpiResult | None, new: KpiResult | None, t: Mapping[str, str], lang: str
) -> FollowUp:
    """One collected measure (an itertuples row of ``history.forms.measures``) beside its KPI."""
    kpi = new or old
    unit = kpi.unit if kpi else ""
    prev_value = None if old is None or old.no_data else _number(old.value)
    value = None if new is None or new.no_data else _number(new.value)
    target = None if is_missing(r.target) else float(r.target)
    improved = (
        kpi_improved(
            kpi.curve, prev_value, value, old.points if old else None, new.points if new else None
        )
        if kpi
        else None
    )
    state = _movement(improved, prev_value, value)
    reached = _reached(kpi.curve, value, target) if kpi else None
    return FollowUp(
        month=str(r.month),
        row=int(r.row),
        kpi_id=str(r.kpi_id),
        label=kpi.label if kpi else DASH,
        problem=str(r.problem),
        measure=str(r.measure),
        owner=str(r.owner),
        deadline=str(r.deadline),
        target=target,
        target_text=target_text(target, unit, lang),
        prev_value=prev_value,
        prev_text=target_text(prev_value, unit, lang) if prev_value is not None else t["no_data"],
        value=value,
        value_text=target_text(value, unit, lang) if value is not None else t["no_data"],
        improved=None if state in ("no_data", "same") else improved,
        moved=state,
        moved_text=t[state] + (f" · {t['reached']}" if reached else ""),
        reached=reached,
    )


def follow_ups(
    rows: pd.DataFrame, before: BranchResult | None, now: BranchResult, *, lang: str = "zh"
) -> tuple[FollowUp, ...]:
    """Last period's collected measures of one branch (``rows`` from ``history.forms.measures``)
    with each KPI's value in that month (``before``) and in this one (``now``)."""
    t = form_labels(lang)
    then = {k.id: k for k in before.kpis} if before is not None else {}
    current = {k.id: k for k in now.kpis}
    # itertuples rows are namedtuples built at run time: their fields are untyped.
    measures: Iterable[Any] = rows.itertuples(index=False)  # a handful of rows per branch
    return tuple(
        _follow_up(r, then.get(str(r.kpi_id)), current.get(str(r.kpi_id)), t, lang)
        for r in measures
    )


def _groups(view: BranchView) -> tuple[FormGroup, ...]:
    """Section 1's KPI groups with their subtotals."""
    return tuple(
        FormGroup(
            g.name,
            g.rows,
            round(sum(r.points for r in g.rows), 2),
            sum(r.max for r in g.rows),
            round(sum(r.lost for r in g.rows), 2),
        )
        for g in view.kpi_groups
    )


def _drops(
    view: BranchView, before: BranchResult, t: Mapping[str, str], lang: str
) -> tuple[Drop, ...]:
    """The KPIs whose points fell against ``before``, the largest fall first."""
    then = {k.id: k for k in before.kpis}
    drops: list[Drop] = []
    for k in view.kpis:
        old = then.get(k.id)
        if old is not None and round(k.points - old.points, 2) < 0:
            old_value = None if old.no_data else _number(old.value)
            old_text = t["no_data"] if old_value is None else target_text(old_value, old.unit, lang)
            drops.append(Drop(k.label, old_text, k.value_text, round(old.points, 2), k.points))
    drops.sort(key=lambda d: d.delta)
    return tuple(drops)


def _plan(
    losing: list[KpiRow], branch: BranchResult, t: Mapping[str, str], lang: str
) -> tuple[PlanRow, ...]:
    """One seeded plan row per losing KPI (its problem and full-marks target), then blank rows."""
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
    return tuple(plan)


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
    before = previous.branch(branch_key) if previous is not None else None
    prev_measures = previous_measures if previous_measures is not None else pd.DataFrame()
    ups = follow_ups(prev_measures, before, branch, lang=lang) if len(prev_measures) else ()
    losing = [k for k in view.kpis if k.lost > 0 and not k.excluded]
    reasons = rectification_reasons(branch) or ("requested",)
    why = reason_text(reasons, branch.grade, lang, failing=branch.grade in failing_grades)
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
        due_date=due_date(month),
        due_text=due_text,
        streak=branch.last_place_streak,
        groups=_groups(view),
        previous_month=str(month.prev()),
        previous_form=bool(len(prev_measures)),
        follow_ups=ups,
        top_lost=tuple(sorted(losing, key=lambda k: -k.lost)[:TOP_LOST]),
        hot_spots=view.hot_spots[:TOP_CATEGORIES],
        has_previous_month=before is not None,
        drops=_drops(view, before, t, lang) if before is not None else (),
        plan=_plan(losing, branch, t, lang),
        generated_at=stamp.strftime("%Y-%m-%d %H:%M") if stamp else "",
    )
