"""The branch report as a workbook: overview / KPI / detail / complaint hot spots (概览 / KPI /
明细 / 投诉热点), laid out from the ``BranchView``; the optional parts only when the month has them."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from svcqa.render.report.model import BranchView
from svcqa.render.workbook import Workbook


def write_branch_xlsx(view: BranchView, path: Path, *, now: datetime | None = None) -> Path:
    """The branch report as a workbook (sheet names in the view's language); input text always as
    strings. The hot-spot sheet only when the month has complaints (``view.sections``)."""
    wb = Workbook(title=f"{view.month} {view.branch} {view.t['title']}", created=now)
    _overview_sheet(wb, view)
    _kpi_sheet(wb, view)
    _detail_sheet(wb, view)
    if "hot_spots" in view.sections:
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
    ]
    if "incentives" in view.sections:
        items.append((t["incentive_points"], view.incentive_points, "pts"))
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
    if view.appeal is not None:  # the month was re-scored by appeals
        ws.row()
        ws.row([view.appeal.title], "bold")
        ws.row(["", view.appeal.text], [None, "wrap"])
        ws.row(["", view.appeal.note], [None, "wrap"])
    _mismatch_rows(ws, view)
    _follow_up_rows(ws, view)
    _overview_tail(ws, view)


def _mismatch_rows(ws: Any, view: BranchView) -> None:
    """The box of the rubric asking for data the month lacks: each finding with its KPIs."""
    if not view.mismatches:
        return
    t = view.t
    ws.row()
    ws.row([t["mismatch_title"]], "bold")
    ws.row(["", t["mismatch_intro"]], [None, "wrap"])
    ws.row([t["kpi"], t["missing"]], "head")
    for line in view.mismatches:
        ws.row([t["comma"].join(line.kpis), line.message], ["text", "wrap"])


def _follow_up_rows(ws: Any, view: BranchView) -> None:
    t = view.t
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


def _overview_tail(ws: Any, view: BranchView) -> None:
    """Incentives and the ranking (when the month has them), then the months on record."""
    t = view.t
    if "incentives" in view.sections:
        ws.row()
        ws.row([t["incentives"]], "bold")
        if view.incentives:
            ws.row([t["points"], t["reason"], t["date"], t["source"]], "head")
            for inc in view.incentives:
                ws.row(
                    [inc.points, inc.reason, inc.date, inc.source], ["pts", "wrap", "text", "text"]
                )
        else:
            ws.row(["", t["no_incentives"]])
    if view.neighbours and "peers" in view.sections:
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
    peers = "peers" in view.sections
    widths = [10, 22, 11, 8, 12, 12, 8, 8, 8, 8, 8] + ([14, 12, 24] if peers else [])
    width = len(widths)  # the peer columns (median, best, branch) only with the peers section
    limits = any(k.limit_text for k in view.kpis)  # what a share KPI counts: a last column
    ws = wb.add_sheet(t["sheet_kpi"], widths=widths + ([40] if limits else []), freeze=(1, 2))
    ws.row(header[:width] + ([t["limit_head"]] if limits else []), "head")
    for k in view.kpis:
        value_style = "pct" if k.unit == "rate" else "pts"
        value = t["no_data"] if k.no_data or k.value is None else k.value
        cells = (
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
        extra = ([k.limit_text], ["text"]) if limits else ([], [])
        ws.row(cells[0][:width] + extra[0], cells[1][:width] + extra[1])
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
