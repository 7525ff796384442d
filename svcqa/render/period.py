"""The period scorecard's outputs, from the ``PeriodScorecard`` passed in (never the store):
``period.xlsx`` (the scorecard, one column per month, and the findings) and ``period.html``
(a self-contained summary: inline CSS, no scripts, CJK font stack).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import xlsxwriter

from svcqa.output import atomic_target, write_text_atomic, xml_safe
from svcqa.render.environment import make_environment
from svcqa.render.whatif import _put

if TYPE_CHECKING:
    from svcqa.scoring.period import PeriodRow, PeriodScorecard

LABELS: dict[str, dict[str, str]] = {
    "zh": {
        "title": "{first} 至 {last} 周期考核",
        "sheet": "周期考核",
        "findings_sheet": "问题",
        "rank": "排名",
        "branch": "网点",
        "score": "周期得分",
        "grade": "等级",
        "monthly_mean": "月度平均分",
        "survey": "满意度",
        "missing": "缺失月份",
        "flags": "标记",
        "rule": "计分规则",
        "rubric": "评分规则",
        "months_rubrics": "各月评分规则",
        "grace": "观察期",
        "absent": "缺失",
        "code": "代码",
        "message": "说明",
        "file": "文件",
        "row": "行",
        "notes": "提示",
        "last_place": "周期末位",
        "missing_months": "有缺失月份",
        "grace_months": "含观察期月份",
        "not_assessed": "无考核月份",
        "no_survey": "缺满意度",
    },
    "en": {
        "title": "Period scorecard {first} to {last}",
        "sheet": "Period",
        "findings_sheet": "Findings",
        "rank": "Rank",
        "branch": "Branch",
        "score": "Period score",
        "grade": "Grade",
        "monthly_mean": "Monthly mean",
        "survey": "Survey",
        "missing": "Missing months",
        "flags": "Flags",
        "rule": "Rule",
        "rubric": "Rubric",
        "months_rubrics": "Rubric of each month",
        "grace": "grace",
        "absent": "missing",
        "code": "Code",
        "message": "Message",
        "file": "File",
        "row": "Row",
        "notes": "Notes",
        "last_place": "last in the period",
        "missing_months": "months missing",
        "grace_months": "grace months",
        "not_assessed": "never assessed",
        "no_survey": "no survey score",
    },
}


def flags_label(flags: list[str], lang: str = "zh") -> str:
    t = LABELS[lang]
    return (
        "、".join(t.get(f, f) for f in flags)
        if lang == "zh"
        else ", ".join(t.get(f, f) for f in flags)
    )


def month_cell(entry: dict[str, Any], lang: str = "zh") -> Any:
    """A month's total as shown: the number when assessed, else the total and "grace" or "missing"."""
    t = LABELS[lang]
    if entry["status"] == "assessed":
        return entry["total"]
    if entry["status"] == "grace":
        return f"{entry['total']:.2f} ({t['grace']})"
    return t["absent"]


def header(card: PeriodScorecard, lang: str = "zh") -> list[str]:
    t = LABELS[lang]
    survey = [t["survey"]] if card.rule.get("survey") else []
    return [t["rank"], t["branch"], t["score"], t["grade"], t["monthly_mean"], *survey,
            *card.months, t["missing"], t["flags"]]  # fmt: skip


def row_cells(card: PeriodScorecard, row: PeriodRow, lang: str = "zh") -> list[Any]:
    survey = [row.survey] if card.rule.get("survey") else []
    return [row.rank, row.branch, row.score, row.grade, row.monthly_mean, *survey,
            *(month_cell(e, lang) for e in row.months), ", ".join(row.missing),
            flags_label(row.flags, lang)]  # fmt: skip


def write_period_xlsx(card: PeriodScorecard, path: Path, *, lang: str = "zh") -> Path:
    """The scorecard and findings sheets, written atomically (a failure leaves the old file)."""
    t = LABELS[lang]
    with atomic_target(path) as tmp:
        wb = xlsxwriter.Workbook(str(tmp), {"strings_to_formulas": False, "strings_to_urls": False})
        wb.set_properties(
            {
                "title": xml_safe(t["title"].format(first=card.first, last=card.last)),
                "author": "svcqa",
            }
        )
        head = wb.add_format({"bold": True, "text_wrap": True, "bg_color": "#DDEBF7"})
        ws = wb.add_worksheet(t["sheet"])
        columns = header(card, lang)
        for col, text in enumerate(columns):
            _put(ws, 0, col, text, head)
        for r, row in enumerate(card.rows, start=1):
            for col, value in enumerate(row_cells(card, row, lang)):
                _put(ws, r, col, value)
        ws.freeze_panes(1, 2)
        ws.set_column(0, 0, 6)
        ws.set_column(1, 1, 28)
        ws.set_column(2, len(columns) - 1, 12)
        foot = len(card.rows) + 2
        _put(ws, foot, 1, t["rule"], head)
        _put(ws, foot, 2, card.rule["text"])
        _put(ws, foot + 1, 1, t["rubric"], head)
        _put(ws, foot + 1, 2, card.rubric)
        for i, note in enumerate(card.notes):
            _put(ws, foot + 2 + i, 1, t["notes"], head)
            _put(ws, foot + 2 + i, 2, note)
        fs = wb.add_worksheet(t["findings_sheet"])
        for col, text in enumerate((t["code"], t["file"], "sheet", t["row"], t["message"])):
            _put(fs, 0, col, text, head)
        for r, f in enumerate(card.findings, start=1):
            for col, value in enumerate((f.code, f.file, f.sheet, f.row, f.message)):
                _put(fs, r, col, value)
        fs.set_column(0, 0, 22)
        fs.set_column(4, 4, 80)
        wb.close()
    return path


def render_period_html(
    card: PeriodScorecard, *, lang: str = "zh", template_dir: Path | None = None
) -> str:
    """The self-contained HTML summary of the period."""
    env = make_environment(template_dir)
    rows = [
        {
            "cells": row_cells(card, row, lang),
            "flagged": bool(row.flags),
            "last": "last_place" in row.flags,
        }
        for row in card.rows
    ]
    return env.get_template("period.html.j2").render(
        t=LABELS[lang],
        lang=lang,
        card=card,
        title=LABELS[lang]["title"].format(first=card.first, last=card.last),
        columns=header(card, lang),
        rows=rows,
        rubrics=sorted(card.rubrics.items()),
    )


def write_period_html(card: PeriodScorecard, path: Path, *, lang: str = "zh") -> Path:
    return write_text_atomic(path, render_period_html(card, lang=lang))


__all__ = [
    "LABELS",
    "flags_label",
    "header",
    "month_cell",
    "render_period_html",
    "row_cells",
    "write_period_html",
    "write_period_xlsx",
]
