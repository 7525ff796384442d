"""User-facing labels: Chinese by default (as in the rubrics), English available."""

from __future__ import annotations

from collections.abc import Mapping

from svcqa.errors import UsageError

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
    return (
        "、".join(flag_label(f, lang) for f in flags)
        if lang == "zh"
        else ", ".join(flag_label(f, lang) for f in flags)
    )


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
    """The rectification form's labels in ``lang``; an unknown language is a usage error."""
    return labels_in(FORM_LABELS, lang)
