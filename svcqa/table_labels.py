"""The labels of svcqa's tables, a part of the one catalogue (``svcqa.labels`` re-exports them).

The terminal tables (score, history, check), the scorecard workbook and CSV, the rejects
workbook and the what-if workbook, the report KPI table's limit line (``KPI_LIMIT_LABELS``), each ``{lang: ...}`` in the languages of ``LANGUAGES``.
Kept apart from ``svcqa.labels`` only so that neither module grows past its size limit.
"""

from __future__ import annotations

# What a share_over / overdue_share KPI counts, the small line under its name in the branch
# report (svcqa.render.formats.limit_text) and its column in the report workbook's KPI sheet.
KPI_LIMIT_LABELS: dict[str, dict[str, str]] = {
    "zh": {
        "limit_head": "计入条件",
        "op_gt": "超过",
        "op_ge": "达到或超过",
        "op_lt": "低于",
        "op_le": "不超过",
        "limit_by": "按 {column} {op}：{limits}",
        "limit_other": "其他",
        "unit_minutes": "分钟",
        "unit_hours": "小时",
    },
    "en": {
        "limit_head": "Counted when",
        "op_gt": "over",
        "op_ge": "at least",
        "op_lt": "under",
        "op_le": "at most",
        "limit_by": "{op}, by {column}: {limits}",
        "limit_other": "other",
        "unit_minutes": "min",
        "unit_hours": "h",
    },
}

# The scorecard (svcqa.render.scorecard): sheet names, titles and rule texts.
SCORECARD_LABELS: dict[str, dict[str, str]] = {
    "zh": {
        "workbook_title": "{month} {rubric} 考核得分",
        "summary_title": "{month} {rubric}（满分 {max}）",
        "sheet_summary": "排名汇总",
        "sheet_kpi_detail": "指标明细",
        "sheet_rules": "评分规则",
        "sheet_inputs": "数据核对",
        "chart_series": "总分",
        "chart_title": "各网点总分",
        "chart_axis": "总分",
        "no_data": "无数据",
        "yes": "是",
        "curve_linear": "满分 {full} / 零分 {zero}",
        "curve_deduct": "按记录扣分",
        "mismatch_heading": "本月数据缺少评分规则所需内容 (the rubric asks for data this month does not have)",
        "as_of_heading": "数据截止时刻 (--as-of)",
        "as_of_note": "{as_of}：月份尚未结束，未完成的记录按截止时刻（而非月末）计算时长",
    },
    "en": {
        "workbook_title": "{month} {rubric} scores",
        "summary_title": "{month} {rubric} (max {max})",
        "sheet_summary": "Ranking",
        "sheet_kpi_detail": "KPI detail",
        "sheet_rules": "Scoring rules",
        "sheet_inputs": "Input check",
        "chart_series": "Total",
        "chart_title": "Total per branch",
        "chart_axis": "Total",
        "no_data": "no data",
        "yes": "yes",
        "curve_linear": "full at {full} / zero at {zero}",
        "curve_deduct": "deducted per record",
        "mismatch_heading": "The rubric asks for data this month does not have",
        "as_of_heading": "Data cut-off (--as-of)",
        "as_of_note": "{as_of}: the month is still running; open rows are aged at this cut-off, not at the month's end",
    },
}

SCORECARD_COLUMNS: dict[str, dict[str, tuple[str, ...]]] = {
    "zh": {
        # The ranked summary (CSV, terminal table, first sheet); each KPI's column follows.
        "summary": (
            "排名",
            "网点",
            "总分",
            "等级",
            "结算系数",
            "标记",
            "KPI得分",
            "激励加减分",
            "上月总分",
            "上月排名",
            "连续末位月数",
        ),
        "kpi_detail": (
            "网点",
            "排名",
            "指标",
            "分组",
            "指标值",
            "单位",
            "样本数",
            "分子",
            "评分规则",
            "得分",
            "满分",
            "失分",
            "无数据",
            "样本不足",
            "备注",
        ),
        "rules": ("指标ID", "指标", "分组", "满分", "评分规则", "规则参数"),
        "inputs": ("表", "行数", "使用", "排除(非本月)", "拒绝"),
    },
    "en": {
        "summary": (
            "Rank",
            "Branch",
            "Total",
            "Grade",
            "Coefficient",
            "Flags",
            "KPI points",
            "Incentive points",
            "Previous total",
            "Previous rank",
            "Months last in a row",
        ),
        "kpi_detail": (
            "Branch",
            "Rank",
            "KPI",
            "Group",
            "Value",
            "Unit",
            "Basis",
            "Numerator",
            "Scoring rule",
            "Points",
            "Max",
            "Lost",
            "No data",
            "Low volume",
            "Note",
        ),
        "rules": ("KPI id", "KPI", "Group", "Max", "Scoring rule", "Rule parameters"),
        "inputs": ("Table", "Rows", "Used", "Excluded (other months)", "Rejected"),
    },
}

# rejects.xlsx's headers (rejects.csv and excluded.csv keep the English field names: tools read them).
REJECTS_HEADERS: dict[str, dict[str, str]] = {
    "zh": {
        "table": "表 table",
        "file": "文件 file",
        "sheet": "工作表 sheet",
        "row": "行号 row",
        "column": "列 column",
        "value": "值 value",
        "code": "代码 code",
        "reason": "原因 reason",
    },
    "en": {
        "table": "Table",
        "file": "File",
        "sheet": "Sheet",
        "row": "Row",
        "column": "Column",
        "value": "Value",
        "code": "Code",
        "reason": "Reason",
    },
}

# The terminal tables: ``svcqa score``'s ranking, ``svcqa history``'s grids, ``svcqa check``.
TERMINAL_LABELS: dict[str, dict[str, str]] = {
    "zh": {
        "rank": "排名",
        "branch": "网点",
        "total": "总分",
        "change": "环比",
        "grade": "等级",
        "coefficient": "系数",
        "streak": "末位连续",
        "flags": "标记",
        "kpi": "指标",
        "max": "满分",
        "score_title": "{month} {name} ({id}, 满分 {max}; month {source})",
        "table_named": "{table} ({label})",
        "runs_title": "历次评分 (history runs, newest first)",
        "runs_columns": "月份|运行|评分时间|考核方案|状态|版本|输入文件",
    },
    "en": {
        "rank": "Rank",
        "branch": "Branch",
        "total": "Total",
        "change": "Change",
        "grade": "Grade",
        "coefficient": "Coef.",
        "streak": "Last streak",
        "flags": "Flags",
        "kpi": "KPI",
        "max": "Max",
        "score_title": "{month} {name} ({id}, max {max}; month {source})",
        "table_named": "{table}",
        "runs_title": "history runs (newest first)",
        "runs_columns": "month|run|created at|rubric|status|tool|inputs",
    },
}

# whatif.xlsx and ``svcqa whatif``'s table.
WHATIF_LABELS: dict[str, dict[str, str]] = {
    "zh": {
        "summary": "汇总",
        "kpis": "指标得分",
        "month": "月份",
        "branch": "网点",
        "kpi": "指标",
        "active": "现行",
        "variant": "方案",
        "change": "变化",
        "total": "总分",
        "rank": "排名",
        "grade": "等级",
        "coefficient": "系数",
        "fee": "费用",
        "points": "得分",
        "max": "满分",
        "payout": "总费用",
        "title": "规则调整影响：{active} → {variant}",
        "d_total": "总分变化",
        "d_rank": "排名变化",
        "d_fee": "费用变化",
        "coef": "系数",
        "payout_line": "总费用：{active} → {variant}（{change}）",
    },
    "en": {
        "summary": "Summary",
        "kpis": "KPI points",
        "month": "Month",
        "branch": "Branch",
        "kpi": "KPI",
        "active": "active",
        "variant": "variant",
        "change": "change",
        "total": "Total",
        "rank": "Rank",
        "grade": "Grade",
        "coefficient": "Coefficient",
        "fee": "Fee",
        "points": "points",
        "max": "max",
        "payout": "Payout",
        "title": "What-if: {active} → {variant}",
        "d_total": "Δtotal",
        "d_rank": "Δrank",
        "d_fee": "Δfee",
        "coef": "Coef.",
        "payout_line": "payout: {active} → {variant} ({change})",
    },
}

# ``svcqa period``'s rule, as its terminal title, period.xlsx and period.html show it.
PERIOD_RULE_LABELS: dict[str, dict[str, str]] = {
    "zh": {
        "mean": "考核月份总分的平均",
        "survey": "{weight} × 满意度（{table}.{column}，满分 {scale}）+ {monthly} × 考核月份总分的平均",
    },
    "en": {
        "mean": "mean of the assessed months",
        "survey": "{weight} x survey ({table}.{column}, scale {scale}) + {monthly} x mean of the "
        "assessed months",
    },
}


def period_rule_text(rule: dict, lang: str = "zh") -> str:
    """A period rule (``PeriodRule.as_dict()``) in ``lang``: the mean of the assessed months,
    or that mean blended with the survey score."""
    t = PERIOD_RULE_LABELS[lang]
    survey = rule.get("survey")
    if not survey:
        return t["mean"]
    return t["survey"].format(
        weight=f"{survey['weight']:g}",
        table=survey["table"],
        column=survey["column"],
        scale=f"{survey['scale_max']:g}",
        monthly=f"{rule['monthly_weight']:g}",
    )
