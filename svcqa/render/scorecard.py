"""The ranked scorecard as JSON, CSV and an XLSX workbook an analyst would have made by hand.

``scorecard_document`` is the one source of truth: ``svcqa score --format json`` prints it, the
JSON file is it, and the CSV and XLSX are laid out from the same Scorecard.
"""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path
from typing import Any

import orjson
import xlsxwriter

from svcqa.labels import flag_label, flags_text
from svcqa.models import BranchResult, KpiResult, Scorecard
from svcqa.output import atomic_target, csv_safe, write_text_atomic

SCHEMA = "svcqa.scorecard/1"


def _num(value: float | None, digits: int = 4) -> float | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return round(float(value), digits)


def kpi_document(kpi: KpiResult) -> dict[str, Any]:
    return {
        "id": kpi.id,
        "label": kpi.label,
        "group": kpi.group,
        "value": _num(kpi.value),
        "unit": kpi.unit,
        "basis": kpi.basis,
        "numerator": _num(kpi.numerator),
        "points": round(kpi.points, 2),
        "max": kpi.max,
        "lost": kpi.lost,
        "no_data": kpi.no_data,
        "low_volume": kpi.low_volume,
        "excluded": kpi.excluded,
        "curve": kpi.curve,
        "note": kpi.note,
    }


def branch_document(branch: BranchResult) -> dict[str, Any]:
    return {
        "branch": branch.branch,
        "assessed": branch.assessed,
        "rank": branch.rank,
        "total": round(branch.total, 2),
        "grade": branch.grade,
        "coefficient": branch.coefficient,
        "flags": list(branch.flags),
        "kpi_total": round(branch.kpi_total, 2),
        "incentive_points": round(branch.incentive_points, 2),
        "region": branch.region,
        "echelon": branch.echelon,
        "prev_total": branch.prev_total,
        "prev_rank": branch.prev_rank,
        "last_place_streak": branch.last_place_streak,
        "kpis": [kpi_document(k) for k in branch.kpis],
    }


def scorecard_document(scorecard: Scorecard, *, month_source: str | None = None) -> dict[str, Any]:
    """The ``svcqa.scorecard/1`` JSON document (what ``--format json`` prints)."""
    document: dict[str, Any] = {
        "schema": SCHEMA,
        "month": str(scorecard.month),
        "rubric": {
            "id": scorecard.rubric_id,
            "name": scorecard.rubric_name,
            "max": scorecard.rubric_max,
        },
        "inputs": {name: stats.as_dict() for name, stats in scorecard.inputs.items()},
        "branches": [branch_document(b) for b in scorecard.branches],
        "notes": [note.as_dict() for note in scorecard.notes],
    }
    if month_source:
        document["month_source"] = month_source
    return document


def _kpi_ids(scorecard: Scorecard) -> list[KpiResult]:
    return scorecard.branches[0].kpis if scorecard.branches else []


def scorecard_rows(scorecard: Scorecard, lang: str = "zh") -> tuple[list[str], list[list[Any]]]:
    """The summary table: one row per branch, ranked, with every KPI's points."""
    kpis = _kpi_ids(scorecard)
    header = [
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
    ]
    header += [f"{k.label} ({k.max:g})" for k in kpis]
    rows = []
    for b in scorecard.branches:
        points = {k.id: k.points for k in b.kpis}
        rows.append(
            [
                b.rank,
                b.branch,
                round(b.total, 2),
                b.grade or "",
                b.coefficient,
                flags_text(b.flags, lang),
                round(b.kpi_total, 2),
                round(b.incentive_points, 2),
                b.prev_total,
                b.prev_rank,
                b.last_place_streak,
            ]
            + [points.get(k.id) for k in kpis]
        )
    return header, rows


def write_scorecard_csv(scorecard: Scorecard, path: Path) -> Path:
    header, rows = scorecard_rows(scorecard)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows([[csv_safe(v) if v is not None else "" for v in row] for row in rows])
    # UTF-8 with BOM so Excel on Chinese Windows opens the Chinese headers correctly.
    return write_text_atomic(path, "\ufeff" + buffer.getvalue())


def write_scorecard_json(
    scorecard: Scorecard, path: Path, *, month_source: str | None = None
) -> Path:
    # orjson writes the text json.dumps(ensure_ascii=False, indent=2) wrote (byte for byte on
    # the sample and bench months; only floats in exponent form are spelled otherwise) in a
    # twentieth of the time: the json module indents in pure Python, 0.1 s for 3 MB.
    document = scorecard_document(scorecard, month_source=month_source)
    data = orjson.dumps(
        document, default=_plain, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS
    )
    return write_text_atomic(path, data.decode() + "\n")


def _plain(value: Any) -> Any:
    """numpy scalars as the Python numbers they hold (orjson takes only Python's own types)."""
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _curve_text(kpi: KpiResult) -> str:
    curve = kpi.curve or {}
    kind = curve.get("kind", "")
    if kind == "linear":
        return f"满分 {curve.get('full')} / 零分 {curve.get('zero')}"
    if kind == "deduct":
        return "按记录扣分"
    return str(kind)


def write_scorecard_xlsx(scorecard: Scorecard, path: Path, *, rejects: Any = None) -> Path:
    """The analyst's workbook: 排名汇总 (ranked, coloured lost points, chart), 指标值, 评分规则, 异常行."""
    kpis = _kpi_ids(scorecard)
    with atomic_target(path) as tmp:
        # Never turn input text into formulas or links.
        wb = xlsxwriter.Workbook(str(tmp), {"strings_to_formulas": False, "strings_to_urls": False})
        wb.set_properties(
            {"title": f"{scorecard.month} {scorecard.rubric_name} 考核得分", "author": "svcqa"}
        )
        head = wb.add_format(
            {
                "bold": True,
                "bg_color": "#1F4E79",
                "font_color": "#FFFFFF",
                "text_wrap": True,
                "valign": "vcenter",
                "border": 1,
            }
        )
        pts = wb.add_format({"num_format": "0.00", "border": 1})
        coef = wb.add_format({"num_format": "0.00", "border": 1})
        text = wb.add_format({"border": 1})
        lost_fmt = wb.add_format({"bg_color": "#F8CBAD"})
        zero_fmt = wb.add_format({"bg_color": "#E06666", "font_color": "#FFFFFF"})
        pct = wb.add_format({"num_format": "0.0%", "border": 1})
        days = wb.add_format({"num_format": "0.00", "border": 1})
        title_fmt = wb.add_format({"bold": True, "font_size": 14})

        # Sheet 1: ranked summary.
        header, rows = scorecard_rows(scorecard)
        ws = wb.add_worksheet("排名汇总")
        ws.write_string(
            0,
            0,
            f"{scorecard.month} {scorecard.rubric_name}（满分 {scorecard.rubric_max:g}）",
            title_fmt,
        )
        for c, name in enumerate(header):
            ws.write_string(1, c, name, head)
        for r, row in enumerate(rows, start=2):
            for c, value in enumerate(row):
                if value is None or value == "":
                    ws.write_blank(r, c, None, text)
                elif isinstance(value, str):
                    ws.write_string(r, c, value, text)
                else:
                    ws.write_number(r, c, value, coef if c == 4 else pts)
        first_kpi_col, n = 11, len(rows)
        if n:
            for i, kpi in enumerate(kpis):
                col = first_kpi_col + i
                # Colour lost points: light when some were lost, strong when all were.
                ws.conditional_format(
                    2,
                    col,
                    n + 1,
                    col,
                    {"type": "cell", "criteria": "<=", "value": 0, "format": zero_fmt},
                )
                ws.conditional_format(
                    2,
                    col,
                    n + 1,
                    col,
                    {"type": "cell", "criteria": "<", "value": kpi.max, "format": lost_fmt},
                )
            ws.conditional_format(
                2, 2, n + 1, 2, {"type": "data_bar", "bar_color": "#5B9BD5", "bar_solid": True}
            )
        ws.freeze_panes(2, 2)
        ws.set_row(1, 36)
        ws.set_column(0, 0, 6)
        ws.set_column(1, 1, 24)
        ws.set_column(2, 4, 9)
        ws.set_column(5, 5, 22)
        ws.set_column(6, 10, 10)
        ws.set_column(first_kpi_col, first_kpi_col + max(len(kpis) - 1, 0), 12)
        if n:
            ws.autofilter(1, 0, n + 1, len(header) - 1)
            chart = wb.add_chart({"type": "bar"})
            chart.add_series(
                {
                    "name": "总分",
                    "categories": ["排名汇总", 2, 1, n + 1, 1],
                    "values": ["排名汇总", 2, 2, n + 1, 2],
                    "fill": {"color": "#5B9BD5"},
                    "data_labels": {"value": True, "num_format": "0.0"},
                }
            )
            chart.set_title({"name": "各网点总分"})
            chart.set_x_axis({"min": 0, "max": scorecard.rubric_max, "name": "总分"})
            chart.set_y_axis({"reverse": True})
            chart.set_legend({"none": True})
            chart.set_size({"width": 720, "height": max(320, 18 * n + 80)})
            ws.insert_chart(1, len(header) + 1, chart)

        # Sheet 2: every KPI's metric value, basis, thresholds and lost points (the audit trail).
        ws2 = wb.add_worksheet("指标明细")
        cols = [
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
        ]
        for c, name in enumerate(cols):
            ws2.write_string(0, c, name, head)
        r = 1
        for b in scorecard.branches:
            for k in b.kpis:
                ws2.write_string(r, 0, b.branch, text)
                ws2.write(r, 1, b.rank if b.rank is not None else "", text)
                ws2.write_string(r, 2, k.label, text)
                ws2.write_string(r, 3, k.group, text)
                if k.value is None or (isinstance(k.value, float) and math.isnan(k.value)):
                    ws2.write_string(r, 4, "无数据", text)
                else:
                    ws2.write_number(r, 4, k.value, pct if k.unit == "rate" else days)
                ws2.write_string(r, 5, k.unit, text)
                ws2.write_number(r, 6, k.basis, text)
                if k.numerator is None:
                    ws2.write_blank(r, 7, None, text)
                else:
                    ws2.write_number(r, 7, k.numerator, text)
                ws2.write_string(r, 8, _curve_text(k), text)
                ws2.write_number(r, 9, k.points, pts)
                ws2.write_number(r, 10, k.max, pts)
                ws2.write_number(r, 11, k.lost, pts)
                ws2.write_string(r, 12, "是" if k.no_data else "", text)
                ws2.write_string(r, 13, "是" if k.low_volume else "", text)
                ws2.write_string(r, 14, k.note, text)
                r += 1
        if r > 1:
            ws2.conditional_format(
                1, 11, r - 1, 11, {"type": "cell", "criteria": ">", "value": 0, "format": lost_fmt}
            )
            ws2.autofilter(0, 0, r - 1, len(cols) - 1)
        ws2.freeze_panes(1, 1)
        ws2.set_column(0, 0, 24)
        ws2.set_column(2, 2, 20)
        ws2.set_column(8, 8, 22)

        # Sheet 3: the rules as scored.
        ws3 = wb.add_worksheet("评分规则")
        for c, name in enumerate(["指标ID", "指标", "分组", "满分", "评分规则", "规则参数"]):
            ws3.write_string(0, c, name, head)
        for r, k in enumerate(kpis, start=1):
            ws3.write_string(r, 0, k.id, text)
            ws3.write_string(r, 1, k.label, text)
            ws3.write_string(r, 2, k.group, text)
            ws3.write_number(r, 3, k.max, pts)
            ws3.write_string(r, 4, _curve_text(k), text)
            ws3.write_string(r, 5, json.dumps(k.curve, ensure_ascii=False), text)
        ws3.set_column(0, 1, 22)
        ws3.set_column(4, 5, 40)

        # Sheet 4: input accounting and the rejected / excluded rows.
        ws4 = wb.add_worksheet("数据核对")
        for c, name in enumerate(["表", "行数", "使用", "排除(非本月)", "拒绝"]):
            ws4.write_string(0, c, name, head)
        for r, (table, stats) in enumerate(scorecard.inputs.items(), start=1):
            ws4.write_string(r, 0, table, text)
            for c, v in enumerate(
                (stats.rows, stats.used, stats.excluded, stats.rejected), start=1
            ):
                ws4.write_number(r, c, v, text)
        if rejects is not None and len(rejects):
            start = len(scorecard.inputs) + 3
            issue_cols = list(rejects.columns)
            for c, name in enumerate(issue_cols):
                ws4.write_string(start, c, name, head)
            for r, record in enumerate(rejects.itertuples(index=False), start=start + 1):
                for c, value in enumerate(record):
                    if value is None or (isinstance(value, float) and math.isnan(value)):
                        continue
                    if isinstance(value, (int, float)) and not isinstance(value, bool):
                        ws4.write_number(r, c, value)
                    else:
                        ws4.write_string(r, c, str(value))
        ws4.set_column(0, 7, 14)
        wb.close()
    return path


def flag_summary(scorecard: Scorecard, lang: str = "zh") -> list[tuple[str, str]]:
    """(branch, flags text) for branches that carry a flag a reader must act on."""
    return [(b.branch, flags_text(b.flags, lang)) for b in scorecard.branches if b.flags]


__all__ = [
    "SCHEMA",
    "scorecard_document",
    "write_scorecard_csv",
    "write_scorecard_json",
    "write_scorecard_xlsx",
    "flag_summary",
    "flag_label",
]
