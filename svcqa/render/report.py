"""Per-branch reports: what a branch manager reads (HTML, XLSX) and the ranked index page.

``build_branch_view`` turns a scored month into a ``BranchView``: every figure the report shows,
already formatted, so the HTML template and the XLSX writer lay out the same content. What all
branches share (medians, best values, all-branch complaint shares, the ranking, the evidence
formatted as text and grouped by branch) is computed once per scorecard in ``ReportContext``;
``write_branch_reports`` builds it once and renders hundreds of branches from it.
"""

from __future__ import annotations

import math
from collections import Counter, deque
from collections.abc import Callable, Hashable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from markupsafe import Markup

from svcqa.errors import NotFound, UsageError
from svcqa.labels import flag_label, labels_in, trend_arrow
from svcqa.models import EVIDENCE_COLUMNS, BranchResult, KpiResult, Month, Scorecard
from svcqa.output import safe_filename, write_text_atomic
from svcqa.render.charts import Bar, lost_points_chart, trend_chart
from svcqa.render.environment import DASH, make_environment, metric, signed
from svcqa.render.workbook import Workbook

HTML_ROWS_PER_KPI = 50
NEIGHBOURS = 2  # branches shown above and below this one in the ranking
HOT_SPOTS = 10
WRITER_THREADS = 4

LABELS: dict[str, dict[str, str]] = {
    "zh": {
        "title": "网点服务质量月度报告",
        "month": "考核月份",
        "rubric": "考核方案",
        "region": "区域",
        "echelon": "梯队",
        "total": "总分",
        "rank": "排名",
        "rank_of": "第 {rank} 名 / 共 {count} 名",
        "not_ranked": "不排名",
        "grade": "等级",
        "coefficient": "结算系数",
        "vs_previous": "较上月",
        "no_previous": "无上月记录",
        "kpi_points": "指标得分",
        "incentive_points": "激励加减分",
        "kpi_table": "考核指标得分",
        "kpi": "指标",
        "group": "分组",
        "value": "指标值",
        "basis": "样本数",
        "full_at": "满分标准",
        "zero_at": "零分标准",
        "points": "得分",
        "max": "满分",
        "lost": "失分",
        "no_data": "无数据",
        "no_data_note": "本月无业务，按规则不扣分",
        "low_volume": "样本不足",
        "excluded": "不计分",
        "sum": "合计",
        "charts": "图表",
        "lost_chart": "各指标失分",
        "lost_axis": "失分（浅色为该指标满分）",
        "no_lost": "本月无失分",
        "trend_chart": "历月总分与排名",
        "trend_total": "总分",
        "trend_rank": "排名",
        "no_trend": "暂无历史记录",
        "trend_table": "历月记录",
        "peers": "同业对比",
        "median": "全部网点中位数",
        "best": "最佳值",
        "best_branch": "最佳网点",
        "ranking": "排名位置",
        "neighbour_branch": "网点",
        "this_branch": "本网点",
        "hot_spots": "投诉热点（有效投诉类别 TOP 10）",
        "follow_ups": "上期整改措施跟踪（{month} 整改报告）",
        "fu_measure": "整改措施",
        "fu_owner": "责任人",
        "fu_deadline": "完成时限",
        "fu_target": "目标值",
        "fu_before": "上期值",
        "fu_now": "本期值",
        "fu_moved": "是否改善",
        "category": "类别",
        "count": "件数",
        "share": "占比",
        "all_share": "全部网点占比",
        "no_complaints": "本月无有效投诉",
        "evidence": "失分明细（逐条可核对）",
        "evidence_intro": "以下每一行都对应一条导致扣分的原始记录，可按文件、工作表和 Excel 行号核对。",
        "no_evidence": "本月无失分记录",
        "kind": "类型",
        "ref": "编号",
        "date": "日期",
        "amount": "数值",
        "detail": "说明",
        "source": "来源（文件 / 工作表 / 行）",
        "file": "文件",
        "sheet": "工作表",
        "row": "行号",
        "more_rows": "另有 {more} 条未在此列出，完整清单见 XLSX 报告的“明细”工作表（共 {total} 条）。",
        "rows_count": "共 {total} 条",
        "incentives": "激励加减分",
        "reason": "原因",
        "no_incentives": "本月无激励加减分",
        "flags": "提示",
        "generated": "生成时间",
        "index_title": "网点服务质量月度报告索引",
        "report": "报告",
        "flag_col": "标记",
        "unit_days": "天",
        "records": "条",
        "per_record": "每条扣 {per} 分",
        "none_recorded": "无记录",
        "rating_of": "评分 {scale}",
        "otherwise": "其余 {points} 分",
        "last_place": "本月排名末位，须于次月5日（{deadline}）前提交整改报告。",
        "rectification": "本月考核等级为“{grade}”，须于次月5日（{deadline}）前提交整改报告。",
        "contract_review": "连续{streak}个月排名末位，触发协议清算评估。",
        "grace_month": "新签约网点首月，仅记录不排名。",
        "veto": "触发一票否决项，等级按最低档计。",
        "partial_quarter": "季度累计指标缺少本季度前几个月的历史数据，仅按已有月份计算。",
        "low_volume_note": "以下指标样本不足，结果仅供参考：{kpis}。",
        "sheet_overview": "概览",
        "sheet_kpi": "KPI",
        "sheet_detail": "明细",
        "sheet_hot": "投诉热点",
        "item": "项目",
        "content": "内容",
    },
    "en": {
        "title": "Branch service-quality report",
        "month": "Month",
        "rubric": "Rubric",
        "region": "Region",
        "echelon": "Echelon",
        "total": "Total",
        "rank": "Rank",
        "rank_of": "{rank} of {count}",
        "not_ranked": "not ranked",
        "grade": "Grade",
        "coefficient": "Fee coefficient",
        "vs_previous": "vs previous month",
        "no_previous": "no previous month",
        "kpi_points": "KPI points",
        "incentive_points": "Incentive points",
        "kpi_table": "KPI scores",
        "kpi": "KPI",
        "group": "Group",
        "value": "Value",
        "basis": "Basis",
        "full_at": "Full marks at",
        "zero_at": "Zero at",
        "points": "Points",
        "max": "Max",
        "lost": "Lost",
        "no_data": "no data",
        "no_data_note": "no activity this month; not deducted by rule",
        "low_volume": "low volume",
        "excluded": "not scored",
        "sum": "Total",
        "charts": "Charts",
        "lost_chart": "Lost points per KPI",
        "lost_axis": "lost points (light: the KPI's maximum)",
        "no_lost": "no points lost this month",
        "trend_chart": "Total and rank by month",
        "trend_total": "Total",
        "trend_rank": "Rank",
        "no_trend": "no history yet",
        "trend_table": "Months on record",
        "peers": "Peer comparison",
        "median": "Median of all branches",
        "best": "Best value",
        "best_branch": "Best branch",
        "ranking": "Place in the ranking",
        "neighbour_branch": "Branch",
        "this_branch": "this branch",
        "hot_spots": "Complaint hot spots (top 10 categories of valid complaints)",
        "follow_ups": "Follow-up of last period's rectification measures ({month} form)",
        "fu_measure": "Measure",
        "fu_owner": "Owner",
        "fu_deadline": "Deadline",
        "fu_target": "Target",
        "fu_before": "Before",
        "fu_now": "Now",
        "fu_moved": "Improved?",
        "category": "Category",
        "count": "Count",
        "share": "Share",
        "all_share": "All branches",
        "no_complaints": "no valid complaints this month",
        "evidence": "The rows behind every lost point",
        "evidence_intro": "Each row is an input record that cost points; check it by file, sheet and Excel row.",
        "no_evidence": "no points lost this month",
        "kind": "Kind",
        "ref": "Ref",
        "date": "Date",
        "amount": "Value",
        "detail": "Detail",
        "source": "Source (file / sheet / row)",
        "file": "File",
        "sheet": "Sheet",
        "row": "Row",
        "more_rows": "{more} more rows are not listed here; the XLSX report's Detail sheet has all {total}.",
        "rows_count": "{total} rows",
        "incentives": "Incentives",
        "reason": "Reason",
        "no_incentives": "no incentives this month",
        "flags": "Notices",
        "generated": "Generated",
        "index_title": "Branch reports",
        "report": "Report",
        "flag_col": "Flags",
        "unit_days": "d",
        "records": "records",
        "per_record": "−{per} per record",
        "none_recorded": "none",
        "rating_of": "rating {scale}",
        "otherwise": "else {points}",
        "last_place": "Last place this month: submit a rectification report by the 5th of next month ({deadline}).",
        "rectification": "Graded “{grade}” this month: submit a rectification report by the 5th of next month ({deadline}).",
        "contract_review": "Last place {streak} months in a row: contract review triggered.",
        "grace_month": "First month of a newly contracted branch: recorded, not ranked.",
        "veto": "A veto rule applies: graded at the lowest grade.",
        "partial_quarter": "Quarter-to-date KPIs lack earlier months of this quarter and use the stored months only.",
        "low_volume_note": "Low volume, read with care: {kpis}.",
        "sheet_overview": "Overview",
        "sheet_kpi": "KPI",
        "sheet_detail": "Detail",
        "sheet_hot": "Complaint hot spots",
        "item": "Item",
        "content": "Content",
    },
}

KIND_LABELS: dict[str, dict[str, str]] = {
    "zh": {
        "overdue_ticket": "超期工单",
        "slow_ticket": "周期超标工单",
        "rework": "返修",
        "complaint": "有效投诉",
        "absence": "缺勤",
        "late": "迟到",
        "early_leave": "早退",
        "violation": "违纪",
        "incentive": "激励",
        "rating": "评分",
    },
    "en": {
        "overdue_ticket": "overdue ticket",
        "slow_ticket": "slow ticket",
        "rework": "rework",
        "complaint": "valid complaint",
        "absence": "absence",
        "late": "late",
        "early_leave": "early leave",
        "violation": "violation",
        "incentive": "incentive",
        "rating": "rating",
    },
}

# Column headings for the evidence "ref" and "value" columns, by evidence kind.
KIND_COLUMNS: dict[str, dict[str, tuple[str, str]]] = {
    "zh": {
        "overdue_ticket": ("工单号", "周期/账龄(天)"),
        "slow_ticket": ("工单号", "周期(天)"),
        "rework": ("工单号", "距上次维修(天)"),
        "complaint": ("投诉单号", "数值"),
        "absence": ("人员", "扣分"),
        "late": ("人员", "扣分"),
        "early_leave": ("人员", "扣分"),
        "violation": ("事项/人员", "扣分"),
        "incentive": ("编号", "分值"),
        "rating": ("评分人", "评分"),
    },
    "en": {
        "overdue_ticket": ("Ticket", "Cycle/age (d)"),
        "slow_ticket": ("Ticket", "Cycle (d)"),
        "rework": ("Ticket", "Days since repair"),
        "complaint": ("Complaint", "Value"),
        "absence": ("Staff", "Points"),
        "late": ("Staff", "Points"),
        "early_leave": ("Staff", "Points"),
        "violation": ("Item/staff", "Points"),
        "incentive": ("Ref", "Points"),
        "rating": ("Rater", "Rating"),
    },
}


def report_labels(lang: str) -> Mapping[str, str]:
    """The report's labels in ``lang`` (the rectification form uses them too)."""
    return labels_in(LABELS, lang)


# ---------------------------------------------------------------------------------------------
# The view model
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class KpiRow:
    """One KPI line of the report, formatted, with its peer context."""

    id: str
    label: str
    group: str
    unit: str
    value: float | None
    value_text: str
    basis: int
    full_text: str
    zero_text: str
    points: float
    max: float
    lost: float
    no_data: bool
    low_volume: bool
    excluded: bool
    note: str
    median: float | None
    median_text: str
    best: float | None
    best_text: str
    best_branch: str


@dataclass(frozen=True)
class KpiGroup:
    name: str
    rows: tuple[KpiRow, ...]


@dataclass(frozen=True)
class EvidenceRow:
    """One input row behind a lost point, as text, with where to find it in the workbook."""

    kind: str
    ref: str
    date: str
    value: str
    category: str
    detail: str
    file: str
    sheet: str
    row: str


@dataclass(frozen=True)
class EvidenceGroup:
    """The rows behind one KPI's lost points; ``rows`` holds the first few, ``total`` counts all."""

    kpi_id: str
    label: str
    lost: float
    ref_label: str
    value_label: str
    rows: tuple[EvidenceRow, ...]
    total: int

    @property
    def hidden(self) -> int:
        return self.total - len(self.rows)


@dataclass(frozen=True)
class HotSpot:
    category: str
    count: int
    share: float
    all_share: float


@dataclass(frozen=True)
class Neighbour:
    rank: int
    branch: str
    total: float
    is_self: bool


@dataclass(frozen=True)
class TrendRow:
    month: str
    total: float | None
    rank: int | None
    grade: str
    coefficient: float | None
    assessed: bool


@dataclass(frozen=True)
class Callout:
    level: str  # "danger", "warning", "info"
    text: str


@dataclass(frozen=True)
class Incentive:
    points: float
    reason: str
    date: str
    ref: str
    source: str


@dataclass(frozen=True, eq=False)
class BranchView:
    """Everything one branch report shows, formatted once for HTML and XLSX alike."""

    lang: str
    t: Mapping[str, str]
    month: str
    rubric_id: str
    rubric_name: str
    rubric_max: float
    branch: str
    branch_key: str
    region: str
    echelon: str
    assessed: bool
    total: float
    kpi_total: float
    incentive_points: float
    rank: int | None
    rank_count: int
    rank_text: str
    grade: str
    coefficient: float | None
    flags: tuple[str, ...]
    flag_labels: tuple[str, ...]
    prev_total: float | None
    prev_rank: int | None
    total_delta: float | None
    rank_delta: int | None  # positive: moved up the ranking
    total_change: str  # "↑ +2.50" / "↓ -1.00" / "→ 0.00" / ""
    rank_change: str
    callouts: tuple[Callout, ...]
    kpis: tuple[KpiRow, ...]
    kpi_groups: tuple[KpiGroup, ...]
    evidence: tuple[EvidenceGroup, ...]
    evidence_total: int
    hot_spots: tuple[HotSpot, ...]
    complaint_total: int
    neighbours: tuple[Neighbour, ...]
    trend: tuple[TrendRow, ...]
    incentives: tuple[Incentive, ...]
    lost_chart: Markup
    trend_chart: Markup
    generated_at: str
    # All evidence rows of the branch as aligned arrays (EVIDENCE_TEXT columns plus ``kpi_label``,
    # ``value_num`` and ``row_num``): the XLSX detail sheet lists every one of them.
    evidence_columns: Mapping[str, np.ndarray] = field(repr=False, default_factory=dict)
    # Last period's rectification measures with the KPI's value then and now (svcqa.rectify.FollowUp).
    follow_ups: tuple[Any, ...] = ()

    @property
    def lost_total(self) -> float:
        return round(sum(k.lost for k in self.kpis), 2)

    def evidence_table(self) -> pd.DataFrame:
        """Every evidence row of the branch (not only the first few per KPI shown in HTML)."""
        return pd.DataFrame({name: values for name, values in self.evidence_columns.items()})


# ---------------------------------------------------------------------------------------------
# What all branches share: computed once per scorecard
# ---------------------------------------------------------------------------------------------


def is_missing(value: Any) -> bool:
    """None or NaN: a figure with nothing to show."""
    return value is None or (isinstance(value, float) and math.isnan(value))


def figure(value: float | None) -> float | None:
    """A KPI value as a float, or None when it is missing (``is_missing``: None or NaN)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return float(value)


def better_direction(curve: Mapping[str, Any]) -> str | None:
    """ "lower" or "higher" is better for the metric value; None when only the points tell."""
    kind = curve.get("kind")
    if kind == "linear":
        full, zero = curve.get("full"), curve.get("zero")
        if full is not None and zero is not None and full != zero:
            return "lower" if float(full) < float(zero) else "higher"
        return curve.get("better")
    if kind == "deduct":
        return "lower"
    if kind == "rating":
        return "higher"
    if kind == "ratio":
        return "lower" if curve.get("invert") else "higher"
    if kind == "bands":
        return curve.get("better", "lower")
    return None


class ReportContext:
    """Per-scorecard figures every branch report needs; build once, render many branches."""

    def __init__(
        self,
        scorecard: Scorecard,
        *,
        trend: pd.DataFrame | None = None,
        previous: Scorecard | None = None,
        lang: str = "zh",
        follow_ups: Mapping[str, Sequence[Any]] | None = None,
    ):
        self.scorecard = scorecard
        self.follow_ups = dict(follow_ups or {})
        self.lang = lang
        self.t = report_labels(lang)
        self.by_key = {b.branch_key: b for b in scorecard.branches}
        self.names = {b.branch_key: b.branch for b in scorecard.branches}
        assessed = [b for b in scorecard.branches if b.assessed and b.rank is not None]
        self.ranking: list[BranchResult] = sorted(
            assessed, key=lambda b: (b.rank, -b.total, b.branch)
        )
        self.position = {b.branch_key: i for i, b in enumerate(self.ranking)}
        self.rank_count = len(self.ranking)
        self.previous = {b.branch_key: b for b in previous.branches} if previous is not None else {}
        self._peer_figures()
        self._evidence()
        self._trend(trend)

    # Medians and best values per KPI over assessed branches with data.
    def _peer_figures(self) -> None:
        records = [
            (
                b.branch_key,
                k.id,
                np.nan if k.value is None else float(k.value),  # NaN stays NaN
                k.points,
                k.no_data or k.excluded,
            )
            for b in self.scorecard.branches
            if b.assessed
            for k in b.kpis
        ]
        frame = pd.DataFrame(
            records, columns=["branch_key", "kpi_id", "value", "points", "no_data"]
        )
        frame = frame[~frame["no_data"] & frame["value"].notna()]
        self.median: dict[str, float] = (
            {
                str(kpi_id): v
                for kpi_id, v in frame.groupby("kpi_id")["value"].median().to_dict().items()
            }
            if len(frame)
            else {}
        )
        self.best: dict[str, tuple[float, str]] = {}
        curves = {k.id: k.curve for b in self.scorecard.branches[:1] for k in b.kpis}
        for kpi_id, part in frame.groupby("kpi_id", sort=False):
            direction = better_direction(curves.get(str(kpi_id), {}))
            # Best value first; among equal values the one with more points, then by name.
            key = (
                part["value"]
                if direction == "lower"
                else -part["value"]
                if direction == "higher"
                else -part["points"]
            )
            order = np.lexsort(
                (part["branch_key"].to_numpy(), -part["points"].to_numpy(), key.to_numpy())
            )
            top = part.iloc[order[0]]
            self.best[str(kpi_id)] = (
                float(top["value"]),
                self.names.get(top["branch_key"], str(top["branch_key"])),
            )

    # The evidence, formatted once as text columns, sorted so each branch (and within it each KPI)
    # is one contiguous run: a branch's rows are then array slices, not DataFrame filters.
    def _evidence(self) -> None:
        ev = self.scorecard.evidence
        if ev is None or not len(ev):
            ev = pd.DataFrame(columns=EVIDENCE_COLUMNS)
        ev = ev.reindex(columns=EVIDENCE_COLUMNS)
        kpi_order = {k.id: i for b in self.scorecard.branches[:1] for i, k in enumerate(b.kpis)}
        order = ev["kpi_id"].map(kpi_order).fillna(len(kpi_order)).astype("int64")
        ev = ev.assign(_kpi_order=order.to_numpy(), _key=ev["branch_key"].astype(str))
        ev = ev.sort_values(
            ["_key", "_kpi_order", "kpi_id", "date", "ref", "row"],
            kind="stable",
            na_position="last",
        )
        value_num = pd.to_numeric(ev["value"], errors="coerce")
        row_num = pd.to_numeric(ev["row"], errors="coerce")
        kinds = ev["kind"].fillna("").astype(str)
        kind_labels = KIND_LABELS[self.lang]
        self.evidence: dict[str, np.ndarray] = {
            "branch_key": ev["_key"].to_numpy(dtype=object),
            "kpi_id": _text_column(ev["kpi_id"]),
            "kind_code": kinds.to_numpy(dtype=object),
            "kind": kinds.map(lambda k: kind_labels.get(k, k)).to_numpy(dtype=object),
            "ref": _text_column(ev["ref"]),
            "date": _date_column(ev["date"]),
            "value": _number_column(value_num, ev["value"]),
            "category": _text_column(ev["category"]),
            "detail": _text_column(ev["detail"]),
            "file": _text_column(ev["file"]),
            "sheet": _text_column(ev["sheet"]),
            "row": np.where(
                row_num.notna(), row_num.fillna(0).astype("int64").astype(str), ""
            ).astype(object),
            "value_num": value_num.to_numpy(dtype="float64"),
            "row_num": row_num.to_numpy(dtype="float64"),
        }
        keys = self.evidence["branch_key"]
        self.evidence_ranges: dict[str, tuple[int, int]] = {}
        if len(keys):
            starts = np.concatenate(([0], np.flatnonzero(keys[1:] != keys[:-1]) + 1))
            ends = np.append(starts[1:], len(keys))
            self.evidence_ranges = {str(keys[a]): (int(a), int(b)) for a, b in zip(starts, ends)}
        is_complaint = self.evidence["kind_code"] == "complaint"
        categories = pd.Series(self.evidence["category"][is_complaint], dtype=object).replace(
            "", self._uncategorised
        )
        counts = categories.value_counts()
        self.all_complaint_share: dict[str, float] = (
            {str(category): share for category, share in (counts / counts.sum()).to_dict().items()}
            if len(counts)
            else {}
        )

    @property
    def _uncategorised(self) -> str:
        return "未分类" if self.lang == "zh" else "uncategorised"

    def _trend(self, trend: pd.DataFrame | None) -> None:
        self.trend = trend if trend is not None and len(trend) else None
        self.trend_rows: dict[str, np.ndarray] = {}
        # The trend as plain records, converted once: 500 branches each slicing the frame
        # (iloc, filter, to_dict) cost seconds in ``report --all``; indexing a list costs nothing.
        self.trend_records: list[dict[Hashable, Any]] = []
        self.trend_rank_count = self.rank_count
        if self.trend is None:
            return
        frame = self.trend.copy()
        frame["month"] = frame["month"].astype(str)
        frame = frame.sort_values("month", kind="stable").reset_index(drop=True)
        self.trend = frame
        self.trend_rows = {
            str(key): np.asarray(rows)
            for key, rows in frame.groupby(
                frame["branch_key"].astype(str), sort=False
            ).indices.items()
        }
        self.trend_records = frame.to_dict("records")
        if "rank" in frame:
            ranked = pd.to_numeric(frame["rank"], errors="coerce")
            per_month = ranked.groupby(frame["month"]).max()
            if len(per_month.dropna()):
                self.trend_rank_count = max(self.rank_count, int(per_month.max()))

    def branch_evidence(self, branch_key: str) -> dict[str, np.ndarray]:
        """The branch's evidence rows as array slices (views, no copy)."""
        start, end = self.evidence_ranges.get(branch_key, (0, 0))
        return {name: values[start:end] for name, values in self.evidence.items()}


def _text_column(series: pd.Series) -> np.ndarray:
    """Input text as str, blanks for missing values (never 'nan').

    Converted as objects: ``np.where`` over ``astype(str)`` built a fixed-width unicode array as
    wide as the longest detail text for 300k evidence rows, then copied it back to objects.
    """
    return series.astype(object).where(series.notna(), "").astype(str).to_numpy(dtype=object)


def _date_column(series: pd.Series) -> np.ndarray:
    """ISO text as given; real timestamps as ``YYYY-MM-DD`` (with time when not midnight)."""
    if pd.api.types.is_datetime64_any_dtype(series):
        has_time = (series.dt.normalize() != series).fillna(False)
        text = np.where(
            has_time, series.dt.strftime("%Y-%m-%d %H:%M"), series.dt.strftime("%Y-%m-%d")
        )
        return np.where(series.isna(), "", text).astype(object)
    # ISO text from the evidence ("2026-10-01T10:00:00"): minutes are enough, midnight is a date.
    text = series.astype(object).where(series.notna(), "").astype(str)
    text = text.str.replace(
        r"^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2})(?::\d{2}(?:\.\d+)?)?$", r"\1 \2", regex=True
    )
    return text.str.replace(r"^(\d{4}-\d{2}-\d{2}) 00:00$", r"\1", regex=True).to_numpy(
        dtype=object
    )


def _number_column(numbers: pd.Series, raw: pd.Series) -> np.ndarray:
    """Numbers with up to two decimals (integers without), other text as given."""
    out = _text_column(raw)
    values = numbers.to_numpy(dtype="float64")
    present = ~np.isnan(values)
    whole = present & (values == np.round(values))
    out[whole] = [str(v) for v in values[whole].astype("int64").tolist()]
    out[present & ~whole] = [f"{v:.2f}" for v in values[present & ~whole].tolist()]
    return out


# ---------------------------------------------------------------------------------------------
# Building one branch's view
# ---------------------------------------------------------------------------------------------


def build_branch_view(
    scorecard: Scorecard,
    branch_key: str,
    *,
    trend: pd.DataFrame | None = None,
    previous: Scorecard | None = None,
    lang: str = "zh",
    context: ReportContext | None = None,
    now: datetime | None = None,
) -> BranchView:
    """The report content for one branch. Pass ``context`` to reuse per-scorecard figures."""
    ctx = context or ReportContext(scorecard, trend=trend, previous=previous, lang=lang)
    branch = ctx.by_key.get(branch_key)
    if branch is None:
        raise NotFound(
            f"branch {branch_key!r} is not in the {scorecard.month} scorecard; run `svcqa report --all` to see the branches"
        )
    t = ctx.t
    lang = ctx.lang

    kpis = tuple(_kpi_row(k, ctx) for k in branch.kpis)
    groups: dict[str, list[KpiRow]] = {}
    for row in kpis:
        groups.setdefault(row.group, []).append(row)
    kpi_groups = tuple(KpiGroup(name, tuple(rows)) for name, rows in groups.items())

    prev_total, prev_rank = _previous(branch, ctx, str(scorecard.month))
    total_delta = None if prev_total is None else round(branch.total - prev_total, 2)
    rank_delta = None if prev_rank is None or branch.rank is None else prev_rank - branch.rank

    columns = ctx.branch_evidence(branch_key)
    labels = {k.id: k.label for k in branch.kpis}
    lost = {k.id: k.lost for k in branch.kpis}
    columns["kpi_label"] = np.array([labels.get(i, i) for i in columns["kpi_id"]], dtype=object)
    evidence = _evidence_groups(columns, labels, lost, lang)
    hot_spots, complaint_total = _hot_spots(columns, ctx)
    incentives = _incentives(columns)

    rank_text = (
        t["rank_of"].format(rank=branch.rank, count=ctx.rank_count)
        if branch.rank is not None
        else t["not_ranked"]
    )
    bars = [Bar(k.label, k.lost, k.max) for k in kpis if not k.excluded]
    bars.sort(key=lambda b: -b.value)
    lost_svg = lost_points_chart(
        bars, title=t["lost_chart"], axis_label=t["lost_axis"], empty_text=t["no_lost"]
    )
    trend_rows = _trend_rows(branch, ctx, str(scorecard.month))
    trend_svg = trend_chart(
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
    stamp = now or scorecard.generated_at
    return BranchView(
        lang=lang,
        t=t,
        month=str(scorecard.month),
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
        rank_text=rank_text,
        grade=branch.grade or DASH,
        coefficient=branch.coefficient,
        flags=tuple(branch.flags),
        flag_labels=tuple(flag_label(f, lang) for f in branch.flags),
        prev_total=prev_total,
        prev_rank=prev_rank,
        total_delta=total_delta,
        rank_delta=rank_delta,
        total_change=_arrow(total_delta, signed(total_delta)),
        rank_change=_arrow(rank_delta, f"{abs(rank_delta)}" if rank_delta else "0"),
        callouts=_callouts(branch, kpis, scorecard, t),
        kpis=kpis,
        kpi_groups=kpi_groups,
        evidence=evidence,
        evidence_total=int(sum(g.total for g in evidence)),
        hot_spots=hot_spots,
        complaint_total=complaint_total,
        neighbours=_neighbours(branch, ctx),
        trend=trend_rows,
        incentives=incentives,
        lost_chart=lost_svg,
        trend_chart=trend_svg,
        generated_at=stamp.strftime("%Y-%m-%d %H:%M") if stamp else "",
        evidence_columns=columns,
        follow_ups=tuple(ctx.follow_ups.get(branch_key, ())),
    )


def _arrow(delta: float | None, text: str) -> str:
    return "" if delta is None else f"{trend_arrow(delta)} {text}"


def unit_suffix(unit: str, t: Mapping[str, str]) -> str:
    """`` 天`` (English `` d``) after a value in days; nothing for rates and counts."""
    return f" {t['unit_days']}" if unit == "days" else ""


def _threshold(value: Any, unit: str, t: Mapping[str, str]) -> str:
    if is_missing(value):
        return DASH
    return metric(float(value), unit) + unit_suffix(unit, t)


def _thresholds(kpi: KpiResult, t: Mapping[str, str]) -> tuple[str, str]:
    """The full-marks and zero thresholds as scored, in the metric's unit."""
    curve = kpi.curve or {}
    kind = curve.get("kind")
    unit = kpi.unit
    if kind == "linear":
        lower = better_direction(curve) != "higher"
        good, bad = ("≤", "≥") if lower else ("≥", "≤")
        return (
            f"{good} {_threshold(curve.get('full'), unit, t)}",
            f"{bad} {_threshold(curve.get('zero'), unit, t)}",
        )
    if kind == "deduct":
        per = curve.get("per", 1)
        return t["none_recorded"], t["per_record"].format(per=f"{float(per):g}")
    if kind == "rating":
        scale = curve.get("scale_max") or kpi.max
        return t["rating_of"].format(scale=f"{float(scale):g}"), t["rating_of"].format(scale="0")
    if kind == "ratio":
        return ("0.0%", "100.0%") if curve.get("invert") else ("100.0%", "0.0%")
    if kind == "bands":
        bands = curve.get("bands") or []
        sign = "≤" if curve.get("better", "lower") == "lower" else "≥"
        full = next((b for b in bands if float(b[1]) >= kpi.max), bands[0] if bands else None)
        full_text = f"{sign} {_threshold(full[0], unit, t)}" if full else DASH
        return full_text, t["otherwise"].format(points=f"{float(curve.get('otherwise', 0)):g}")
    return DASH, DASH


def _kpi_row(kpi: KpiResult, ctx: ReportContext) -> KpiRow:
    t = ctx.t
    full_text, zero_text = _thresholds(kpi, t)
    value = figure(kpi.value)
    median = ctx.median.get(kpi.id)
    best = ctx.best.get(kpi.id)
    suffix = unit_suffix(kpi.unit, t)
    return KpiRow(
        id=kpi.id,
        label=kpi.label,
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
    generic = (LABELS[lang]["ref"], LABELS[lang]["amount"])
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
            KIND_COLUMNS[lang].get(next(iter(kinds)), generic) if len(kinds) == 1 else generic
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
    counts = Counter(c or ctx._uncategorised for c in categories.tolist())
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
    return tuple(rows)


def submission_deadline(month_text: str, lang: str) -> str:
    """When a rectification report for ``month_text`` (YYYY-MM) is due: the 5th of the next month."""
    year, month = (int(p) for p in month_text.split("-"))
    due = date(year + month // 12, month % 12 + 1, 5)
    return f"{due.year}年{due.month}月{due.day}日" if lang == "zh" else due.isoformat()


def _callouts(
    branch: BranchResult, kpis: Sequence[KpiRow], scorecard: Scorecard, t: Mapping[str, str]
) -> tuple[Callout, ...]:
    """The flags a manager must act on, stated plainly, most serious first."""
    month = str(scorecard.month)
    lang = "zh" if t is LABELS["zh"] else "en"
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
                t["low_volume_note"].format(
                    kpis="、".join(low) if lang == "zh" else ", ".join(low)
                ),
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


# ---------------------------------------------------------------------------------------------
# HTML
# ---------------------------------------------------------------------------------------------


def render_branch_html(
    view: BranchView, *, template_dir: Path | None = None, xlsx_name: str | None = None
) -> str:
    """The self-contained HTML page for one branch (inline CSS and SVG, no scripts, no network)."""
    env = make_environment(template_dir)
    return env.get_template("report.html.j2").render(
        v=view, t=view.t, xlsx_name=xlsx_name or "", limit=HTML_ROWS_PER_KPI
    )


@dataclass(frozen=True)
class IndexRow:
    rank: int | None
    branch: str
    href: str
    total: float
    grade: str
    coefficient: float | None
    flags: str
    total_change: str


def render_index_html(
    scorecard: Scorecard,
    links: Mapping[str, str],
    *,
    lang: str = "zh",
    generated_at: str = "",
    template_dir: Path | None = None,
) -> str:
    """The ranked index: one row per branch, linking to its report by a relative path."""
    t = report_labels(lang)
    ranked = sorted(
        scorecard.branches, key=lambda b: (b.rank is None, b.rank or 0, -b.total, b.branch)
    )
    rows = [
        IndexRow(
            rank=b.rank,
            branch=b.branch,
            href=links.get(b.branch_key, ""),
            total=round(b.total, 2),
            grade=b.grade or DASH,
            coefficient=b.coefficient,
            flags=("、" if lang == "zh" else ", ").join(flag_label(f, lang) for f in b.flags),
            total_change=_arrow(
                None if b.prev_total is None else round(b.total - b.prev_total, 2),
                signed(None if b.prev_total is None else b.total - b.prev_total),
            ),
        )
        for b in ranked
    ]
    env = make_environment(template_dir)
    return env.get_template("index.html.j2").render(
        t=t,
        lang=lang,
        month=str(scorecard.month),
        rubric_name=scorecard.rubric_name,
        rubric_id=scorecard.rubric_id,
        rubric_max=scorecard.rubric_max,
        rows=rows,
        generated_at=generated_at,
    )


# ---------------------------------------------------------------------------------------------
# XLSX
# ---------------------------------------------------------------------------------------------


def write_branch_xlsx(view: BranchView, path: Path, *, now: datetime | None = None) -> Path:
    """The branch report as a workbook: 概览 / KPI / 明细 / 投诉热点; input text always as strings."""
    wb = Workbook(title=f"{view.month} {view.branch} {view.t['title']}", created=now)
    _overview_sheet(wb, view)
    _kpi_sheet(wb, view)
    _detail_sheet(wb, view)
    _hot_sheet(wb, view)
    return wb.save(path)


def _overview_sheet(wb: Workbook, view: BranchView) -> None:
    t = view.t
    ws = wb.add_sheet(t["sheet_overview"], widths=[18, 60, 14, 30, 14])
    ws.row([f"{view.branch} · {view.month} {t['title']}"], "title")
    ws.row()
    items: list[tuple[str, Any, str]] = [
        (t["month"], view.month, "text"),
        (t["rubric"], f"{view.rubric_name} ({view.rubric_id})", "text"),
        (t["total"], view.total, "pts"),
        (t["rank"], view.rank_text, "text"),
        (t["grade"], view.grade, "text"),
        (t["coefficient"], view.coefficient, "pts"),
        (f"{t['vs_previous']} ({t['total']})", view.total_change or t["no_previous"], "text"),
        (f"{t['vs_previous']} ({t['rank']})", view.rank_change or t["no_previous"], "text"),
        (t["kpi_points"], view.kpi_total, "pts"),
        (t["incentive_points"], view.incentive_points, "pts"),
    ]
    if view.echelon:
        items.insert(2, (t["echelon"], view.echelon, "text"))
    if view.region:
        items.insert(2, (t["region"], view.region, "text"))
    ws.row([t["item"], t["content"]], "head")
    for label, value, style in items:
        ws.row([label, value], ["text", style])
    if view.callouts:
        ws.row()
        ws.row([t["flags"]], "bold")
        for callout in view.callouts:
            ws.row(["", callout.text], [None, "danger" if callout.level == "danger" else "info"])
    if view.follow_ups:
        ws.row()
        ws.row([t["follow_ups"].format(month=view.follow_ups[0].month)], "bold")
        ws.row(
            [
                t["kpi"],
                t["fu_measure"],
                t["fu_owner"],
                t["fu_deadline"],
                t["fu_before"],
                t["fu_now"],
                t["fu_moved"],
            ],
            "head",
        )
        for u in view.follow_ups:
            ws.row(
                [u.label, u.measure, u.owner, u.deadline, u.prev_text, u.value_text, u.moved_text],
                ["text", "wrap", "text", "text", "text", "text", "text"],
            )
    ws.row()
    ws.row([t["incentives"]], "bold")
    if view.incentives:
        ws.row([t["points"], t["reason"], t["date"], t["source"]], "head")
        for inc in view.incentives:
            ws.row([inc.points, inc.reason, inc.date, inc.source], ["pts", "wrap", "text", "text"])
    else:
        ws.row(["", t["no_incentives"]])
    if view.neighbours:
        ws.row()
        ws.row([t["ranking"]], "bold")
        ws.row([t["rank"], t["neighbour_branch"], t["total"]], "head")
        for n in view.neighbours:
            ws.row(
                [n.rank, n.branch + (f" ({t['this_branch']})" if n.is_self else ""), n.total],
                ["int", "text", "pts"],
            )
    ws.row()
    ws.row([t["trend_table"]], "bold")
    ws.row([t["month"], t["total"], t["rank"], t["grade"], t["coefficient"]], "head")
    for r in view.trend:
        ws.row(
            [r.month, r.total, r.rank, r.grade, r.coefficient],
            ["text", "pts", "int", "text", "pts"],
        )


def _kpi_sheet(wb: Workbook, view: BranchView) -> None:
    t = view.t
    header = [
        t["group"],
        t["kpi"],
        t["value"],
        t["basis"],
        t["full_at"],
        t["zero_at"],
        t["points"],
        t["max"],
        t["lost"],
        t["no_data"],
        t["low_volume"],
        t["median"],
        t["best"],
        t["best_branch"],
    ]
    ws = wb.add_sheet(
        t["sheet_kpi"], widths=[10, 22, 11, 8, 12, 12, 8, 8, 8, 8, 8, 14, 12, 24], freeze=(1, 2)
    )
    ws.row(header, "head")
    for k in view.kpis:
        value_style = "pct" if k.unit == "rate" else "pts"
        value = t["no_data"] if k.no_data or k.value is None else k.value
        ws.row(
            [
                k.group,
                k.label,
                value,
                k.basis,
                k.full_text,
                k.zero_text,
                k.points,
                k.max,
                k.lost,
                t["no_data"] if k.no_data else "",
                t["low_volume"] if k.low_volume else "",
                k.median,
                k.best,
                k.best_branch,
            ],
            [
                "text",
                "text",
                value_style if not isinstance(value, str) else "text",
                "int",
                "text",
                "text",
                "pts",
                "pts",
                "lost" if k.lost > 0 else "pts",
                "text",
                "text",
                value_style,
                value_style,
                "text",
            ],
        )
    ws.row(
        [
            "",
            t["sum"],
            "",
            "",
            "",
            "",
            round(sum(k.points for k in view.kpis), 2),
            sum(k.max for k in view.kpis),
            view.lost_total,
        ],
        [None, "head", None, None, None, None, "pts", "pts", "pts"],
    )


def _detail_sheet(wb: Workbook, view: BranchView) -> None:
    t = view.t
    header = [
        t["kpi"],
        t["kind"],
        t["ref"],
        t["date"],
        t["amount"],
        t["category"],
        t["detail"],
        t["file"],
        t["sheet"],
        t["row"],
    ]
    ws = wb.add_sheet(
        t["sheet_detail"], widths=[20, 12, 18, 17, 10, 16, 48, 22, 12, 7], freeze=(1, 0)
    )
    ws.row(header, "head")
    columns = view.evidence_columns
    count = len(columns.get("kpi_id", ()))
    if not count:
        ws.row([t["no_evidence"]])
        return
    # A value that is not a number (rare: free text in the export) is written as the text given.
    numbers = columns["value_num"]
    values: Any = (
        numbers
        if not np.isnan(numbers).any()
        else np.where(np.isnan(numbers), columns["value"], numbers.astype(object))
    )
    ws.columns(
        [
            columns["kpi_label"],
            columns["kind"],
            columns["ref"],
            columns["date"],
            values,
            columns["category"],
            columns["detail"],
            columns["file"],
            columns["sheet"],
            columns["row_num"],
        ],
        ["text", "text", "text", "text", "pts", "text", "text", "text", "text", "int"],
    )
    ws.autofilter = (0, 0, count, len(header) - 1)


def _hot_sheet(wb: Workbook, view: BranchView) -> None:
    t = view.t
    ws = wb.add_sheet(t["sheet_hot"], widths=[24, 8, 10, 14], freeze=(1, 0))
    ws.row([t["category"], t["count"], t["share"], t["all_share"]], "head")
    if not view.hot_spots:
        ws.row([t["no_complaints"]])
        return
    for spot in view.hot_spots:
        ws.row(
            [spot.category, spot.count, spot.share, spot.all_share], ["text", "int", "pct", "pct"]
        )


# ---------------------------------------------------------------------------------------------
# All branches
# ---------------------------------------------------------------------------------------------


def report_stems(scorecard: Scorecard) -> dict[str, str]:
    """branch_key -> file stem; ``safe_filename`` of the name, made unique if two names collide."""
    stems: dict[str, str] = {}
    used: set[str] = set()
    for b in scorecard.branches:
        stem = safe_filename(b.branch)
        if stem.lower() in used:  # two branches displayed with the same name
            stem = f"{stem}-{safe_filename(b.branch_key)}"
        used.add(stem.lower())
        stems[b.branch_key] = stem
    return stems


def write_branch_reports(
    scorecard: Scorecard,
    out_dir: Path,
    *,
    branch_keys: Sequence[str] | None = None,
    trend: pd.DataFrame | None = None,
    previous: Scorecard | None = None,
    formats: Sequence[str] = ("html", "xlsx"),
    with_index: bool = True,
    progress: Callable[[int, int], None] | None = None,
    now: datetime | None = None,
    lang: str = "zh",
    template_dir: Path | None = None,
    follow_ups: Mapping[str, Sequence[Any]] | None = None,
) -> list[Path]:
    """Write each branch's report (HTML and/or XLSX) and the ranked index; return the paths written.

    ``follow_ups``: branch_key -> last period's rectification measures next to the KPI's new
    value (``svcqa.rectify.FollowUp``), shown in that branch's HTML report.
    """
    unknown_formats = sorted(set(formats) - {"html", "xlsx"})
    if unknown_formats or not formats:
        raise UsageError(
            f"report formats must be html and/or xlsx, not {', '.join(unknown_formats) or 'nothing'}"
        )
    ctx = ReportContext(scorecard, trend=trend, previous=previous, lang=lang, follow_ups=follow_ups)
    keys = (
        list(branch_keys) if branch_keys is not None else [b.branch_key for b in scorecard.branches]
    )
    missing = [k for k in keys if k not in ctx.by_key]
    if missing:
        raise NotFound(
            f"branch {', '.join(map(repr, missing))} is not in the {scorecard.month} scorecard"
        )
    out_dir = Path(out_dir)
    stems = report_stems(scorecard)
    stamp = now or scorecard.generated_at
    written: list[Path] = []
    # Rendering is CPU work done here; writing is mostly waiting for fsync (every file goes
    # through atomic_write), so a few writer threads overlap the waits. Bounded in flight so
    # memory stays flat for any number of branches; progress is reported in branch order.
    pending: deque[list[Future[Path]]] = deque()
    done = 0

    def settle(limit: int) -> None:
        nonlocal done
        while len(pending) > limit:
            written.extend(future.result() for future in pending.popleft())
            done += 1
            if progress is not None:
                progress(done, len(keys))

    with ThreadPoolExecutor(max_workers=WRITER_THREADS, thread_name_prefix="svcqa-report") as pool:
        try:
            for key in keys:
                view = build_branch_view(scorecard, key, context=ctx, now=stamp)
                stem = stems[key]
                futures: list[Future[Path]] = []
                if "html" in formats:
                    html = render_branch_html(
                        view,
                        template_dir=template_dir,
                        xlsx_name=f"{stem}.xlsx" if "xlsx" in formats else None,
                    )
                    futures.append(pool.submit(write_text_atomic, out_dir / f"{stem}.html", html))
                if "xlsx" in formats:
                    futures.append(
                        pool.submit(write_branch_xlsx, view, out_dir / f"{stem}.xlsx", now=stamp)
                    )
                pending.append(futures)
                settle(WRITER_THREADS * 4)
            settle(0)
        except BaseException:
            for futures in pending:
                for future in futures:
                    future.cancel()
            raise
    if with_index and "html" in formats:
        links = {key: f"{stems[key]}.html" for key in keys}
        html = render_index_html(
            scorecard,
            links,
            lang=lang,
            generated_at=stamp.strftime("%Y-%m-%d %H:%M") if stamp else "",
            template_dir=template_dir,
        )
        written.append(write_text_atomic(out_dir / "index.html", html))
    return written


@dataclass(frozen=True)
class ReportRun:
    """What ``reports_from_store`` wrote: the month, the folder and every file."""

    month: Month
    out_dir: Path
    paths: list[Path]
    branches: list[str]  # display names, in the order written


TREND_MONTHS = 12


def parse_formats(text: str) -> tuple[str, ...]:
    """``"html,xlsx"`` -> ("html", "xlsx"); UsageError for anything else."""
    formats = tuple(dict.fromkeys(part.strip().lower() for part in text.split(",") if part.strip()))
    bad = [f for f in formats if f not in ("html", "xlsx")]
    if bad or not formats:
        raise UsageError(f"--format takes html, xlsx or html,xlsx, not {text!r}")
    return formats


def reports_from_store(
    db: Path | None,
    *,
    month: Month | None = None,
    branch: str | None = None,
    out_dir: Path | None = None,
    formats: Sequence[str] = ("html", "xlsx"),
    lang: str = "zh",
    progress: Callable[[int, int], None] | None = None,
    now: datetime | None = None,
) -> ReportRun:
    """Write one branch's report (``branch``) or every branch's (``branch=None``) for a stored month.

    The month defaults to the latest stored one; the previous month (when stored) gives the
    changes, and up to 12 stored months up to this one give the trend. ``branch`` is matched
    after NFKC and whitespace removal; an unknown name raises NotFound naming the closest ones.
    """
    from svcqa.history import HistoryStore, resolve_db_path
    from svcqa.history.queries import find_branch
    from svcqa.jobs.rectify import report_follow_ups

    report_labels(lang)
    with HistoryStore(resolve_db_path(db), create=False) as store:
        stored = load_stored_month(store, month)
        month, scorecard = stored.month, stored.scorecard
        keys = None
        if branch is not None:
            key = find_branch(store, branch)
            if scorecard.branch(key) is None:
                raise NotFound(
                    f"branch {branch!r} has no result in {month}; stored months: {', '.join(map(str, stored.months))}"
                )
            keys = [key]
        follow_ups = report_follow_ups(store, stored, keys, lang=lang)
    target = Path(out_dir) if out_dir is not None else Path("svcqa-out") / str(month) / "reports"
    paths = write_branch_reports(
        scorecard,
        target,
        branch_keys=keys,
        trend=stored.trend,
        previous=stored.previous,
        formats=formats,
        lang=lang,
        progress=progress,
        now=now,
        with_index=keys is None,
        follow_ups=follow_ups,
    )
    names = [b.branch for b in scorecard.branches if keys is None or b.branch_key in keys]
    return ReportRun(month=month, out_dir=target, paths=paths, branches=names)


@dataclass(frozen=True)
class StoredMonth:
    """A stored month as reports and forms read it: the scorecard, the month before, the trend."""

    month: Month
    months: list[Month]
    scorecard: Scorecard
    previous: Scorecard | None
    trend: pd.DataFrame | None


def load_stored_month(store: Any, month: Month | None = None) -> StoredMonth:
    """``month`` (default: the latest stored) with its previous month when stored and up to
    ``TREND_MONTHS`` stored months up to it as the trend."""
    stored = store.months()
    if not stored:
        raise NotFound(
            f"history store {store.path} holds no scored month yet; score one first with svcqa score"
        )
    month = month or stored[-1]
    scorecard = store.load_scorecard(month)
    previous = store.load_scorecard(month.prev()) if month.prev() in stored else None
    trend = store.trend()
    if trend is not None and len(trend):
        months = sorted({str(m) for m in trend["month"] if str(m) <= str(month)})[-TREND_MONTHS:]
        trend = trend[trend["month"].astype(str).isin(months)]
    return StoredMonth(
        month=month, months=stored, scorecard=scorecard, previous=previous, trend=trend
    )


__all__ = [
    "BranchView",
    "ReportContext",
    "ReportRun",
    "StoredMonth",
    "build_branch_view",
    "load_stored_month",
    "parse_formats",
    "render_branch_html",
    "render_index_html",
    "report_stems",
    "reports_from_store",
    "write_branch_reports",
    "write_branch_xlsx",
]
