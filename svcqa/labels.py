"""User-facing labels, the one catalogue: Chinese by default (as in the rubrics), English available.

Sections, in order: the branch flags; the rectification form; the branch report (HTML and XLSX) with its evidence kinds;
the scorecard's column headings. Each catalogue is ``{lang: {key: text}}``; ``labels_in`` picks
one language and turns an unknown one into a usage error.
"""

from __future__ import annotations

from collections.abc import Mapping

from svcqa.errors import UsageError
from svcqa.table_labels import (
    KPI_LIMIT_LABELS,
    PERIOD_RULE_LABELS,
    REJECTS_HEADERS,
    SCORECARD_COLUMNS,
    SCORECARD_LABELS,
    TERMINAL_LABELS,
    WHATIF_LABELS,
    period_rule_text,
)

# The languages outputs can be labelled in: a rubric's ``language`` and ``--lang`` take one.
LANGUAGES = ("zh", "en")

FLAG_LABELS = {
    "zh": {
        "last_place": "末位",
        "rectification_required": "须整改",
        "contract_review": "协议清算评估",
        "grace_month": "新签约首月(不排名)",
        "veto": "一票否决",
        "partial_quarter": "季度数据不全",
    },
    "en": {
        "last_place": "last place",
        "rectification_required": "rectification required",
        "contract_review": "contract review",
        "grace_month": "grace month (not ranked)",
        "veto": "veto",
        "partial_quarter": "partial quarter",
    },
}


def flag_label(flag: str, lang: str = "zh") -> str:
    return FLAG_LABELS.get(lang, FLAG_LABELS["en"]).get(flag, flag)


def flags_text(flags: list[str], lang: str = "zh") -> str:
    return list_text([flag_label(f, lang) for f in flags], lang)


def output_language(given: str | None, rubric_language: str | None = None) -> str:
    """The labels' language: ``--lang`` when given, else the rubric's ``language``, else zh."""
    lang = given or rubric_language or "zh"
    if lang not in LANGUAGES:
        raise UsageError(f"--lang must be one of {', '.join(LANGUAGES)}, not {lang!r}")
    return lang


def list_text(items: list[str], lang: str = "zh") -> str:
    """Items joined as the language lists them (、 in Chinese, a comma in English)."""
    return ("、" if lang == "zh" else ", ").join(items)


def yes_no(value: bool, lang: str = "zh") -> str:
    """A flag as yes/no in the language."""
    return {"zh": ("是", "否"), "en": ("yes", "no")}[lang][0 if value else 1]


def terminal_labels(lang: str) -> Mapping[str, str]:
    """The terminal tables' headings (score, history, check) in ``lang``."""
    return labels_in(TERMINAL_LABELS, lang)


def trend_arrow(delta: float | None) -> str:
    """↑, ↓ or → for a change (rounded to the hundredth, as totals are shown); "" when unknown."""
    if delta is None:
        return ""
    delta = round(delta, 2)
    return "↑" if delta > 0 else ("↓" if delta < 0 else "→")


def labels_in(sets: Mapping[str, Mapping[str, str]], lang: str) -> Mapping[str, str]:
    """The label set of ``lang`` from ``{lang: labels}``; an unknown language is a usage error."""
    if lang not in sets:
        raise UsageError(f"--lang must be one of {', '.join(sets)}, not {lang!r}")
    return sets[lang]


# ---------------------------------------------------------------------------------------------
# The rectification form (整改报告): its sections, columns, notes and movement words
# ---------------------------------------------------------------------------------------------

FORM_LABELS: dict[str, dict[str, str]] = {
    "zh": {
        "title": "服务质量整改报告",
        "subtitle": "考核方案：{name}（{id}） · 整改原因：{reasons} · 请于 {due} 前提交",
        "mismatch_title": "评分规则所需数据缺失：以下指标的得分不是实测结果",
        "mismatch_intro": "本月数据缺少评分规则所需的表、列或筛选值，所有网点的这些指标均按 when_empty 计分（通常为满分）。请按说明修正评分规则或别名后重新评分。",
        "not_measured": "非实测",
        "missing": "缺少内容",
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
        "mismatch_title": "The rubric asked for data this month lacks: these KPIs' points are not a measurement",
        "mismatch_intro": "The month's data lacks a table, column or filter value the rubric asks for, so every branch was scored on these KPIs as when_empty (usually full marks). Fix the rubric or its aliases as each line says and score again.",
        "not_measured": "not measured",
        "missing": "What is missing",
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
    """The rectification form's labels in ``lang``; an unknown language is a usage error."""
    return labels_in(FORM_LABELS, lang)


# ---------------------------------------------------------------------------------------------
# The branch report (svcqa.render.report); the rectification form shows some of them too
# ---------------------------------------------------------------------------------------------

REPORT_LABELS: dict[str, dict[str, str]] = {
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
        "rubric_changed": "考核规则变更于",
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
        "mismatch_title": "评分规则所需数据缺失：以下指标的得分不是实测结果",
        "mismatch_intro": "本月数据缺少评分规则所需的表、列或筛选值，所有网点的这些指标均按 when_empty 计分（通常为满分）。请按说明修正评分规则或别名后重新评分。",
        "not_measured": "非实测",
        "missing": "缺少内容",
        "colon": "：",
        "lp": "（",
        "rp": "）",
        "comma": "，",
        "uncategorised": "未分类",
        **KPI_LIMIT_LABELS["zh"],
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
        "rubric_changed": "rubric changed in",
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
        "mismatch_title": "The rubric asked for data this month lacks: these KPIs' points are not a measurement",
        "mismatch_intro": "The month's data lacks a table, column or filter value the rubric asks for, so every branch was scored on these KPIs as when_empty (usually full marks). Fix the rubric or its aliases as each line says and score again.",
        "not_measured": "not measured",
        "missing": "What is missing",
        "colon": ": ",
        "lp": " (",
        "rp": ")",
        "comma": ", ",
        "uncategorised": "uncategorised",
        **KPI_LIMIT_LABELS["en"],
    },
}

EVIDENCE_KIND_LABELS: dict[str, dict[str, str]] = {
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
        "appeal": "申诉调整",
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
        "appeal": "appeal",
    },
}

# Column headings for the evidence "ref" and "value" columns, by evidence kind.
EVIDENCE_KIND_COLUMNS: dict[str, dict[str, tuple[str, str]]] = {
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
        "appeal": ("编号", "停钟天数"),
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
        "appeal": ("Ref", "Days stopped"),
    },
}


def report_labels(lang: str) -> Mapping[str, str]:
    """The report's labels in ``lang`` (the rectification form uses them too)."""
    return labels_in(REPORT_LABELS, lang)


__all__ = [
    "appeal_labels",
    "EVIDENCE_KIND_COLUMNS",
    "EVIDENCE_KIND_LABELS",
    "FLAG_LABELS",
    "FORM_LABELS",
    "LANGUAGES",
    "PERIOD_RULE_LABELS",
    "REJECTS_HEADERS",
    "REPORT_LABELS",
    "SCORECARD_COLUMNS",
    "SCORECARD_LABELS",
    "TERMINAL_LABELS",
    "WHATIF_LABELS",
    "flag_label",
    "flags_text",
    "form_labels",
    "labels_in",
    "list_text",
    "output_language",
    "period_rule_text",
    "report_labels",
    "terminal_labels",
    "trend_arrow",
    "yes_no",
]


def appeal_labels(lang: str) -> Mapping[str, str]:
    """The appeal form's and the appeals bulletin's labels in ``lang`` (``svcqa.appeal_labels``);
    an unknown language is a usage error."""
    from svcqa.appeal_labels import APPEAL_LABELS

    return labels_in(APPEAL_LABELS, lang)
