"""``whatif.xlsx``: a rubric change's effect, from the comparison passed in (never the store).

Two sheets: the summary (per branch and month: total, rank, grade, coefficient and fee under
the active rubric and the variant, with the changes; biggest movers first, payout at the foot)
and the KPI points of both rubrics side by side.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import xlsxwriter

from svcqa.labels import WHATIF_LABELS
from svcqa.output import atomic_target, xml_safe
from svcqa.scoring.compare import Comparison

LABELS = WHATIF_LABELS  # the catalogue's what-if labels, {lang: labels}

_MEASURES = ("total", "rank", "grade", "coefficient", "fee")


def _put(ws: Any, row: int, col: int, value: Any, fmt: Any = None) -> None:
    """A cell: numbers as numbers (non-finite as text, NaN blank), text made XML-safe and
    never a formula, None blank."""
    if value is None:
        ws.write_blank(row, col, None, fmt)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        number = float(value)
        if math.isnan(number):
            ws.write_blank(row, col, None, fmt)
        elif math.isinf(number):
            ws.write_string(row, col, "inf" if number > 0 else "-inf", fmt)
        else:
            ws.write_number(row, col, number, fmt)
    else:
        ws.write_string(row, col, xml_safe(str(value)), fmt)


def summary_header(lang: str = "zh") -> list[str]:
    t = LABELS[lang]
    header = [t["month"], t["branch"]]
    for measure in _MEASURES:
        header += [f"{t[measure]} {t['active']}", f"{t[measure]} {t['variant']}"]
        if measure != "grade":
            header.append(f"{t[measure]} {t['change']}")
    return header


def summary_rows(comparison: Comparison) -> list[list[Any]]:
    """The summary sheet's rows (also what the terminal prints): biggest movers first."""
    rows = []
    for b in comparison.branches:
        changes = {
            "total": b.total_change,
            "rank": b.rank_change,
            "coefficient": b.coefficient_change,
            "fee": b.fee_change,
        }
        row: list[Any] = [str(b.month), b.branch]
        for measure in _MEASURES:
            row += [getattr(b.active, measure), getattr(b.variant, measure)]
            if measure != "grade":
                row.append(changes[measure])
        rows.append(row)
    return rows


def kpi_header(lang: str = "zh") -> list[str]:
    t = LABELS[lang]
    return [
        t["month"],
        t["branch"],
        t["kpi"],
        f"{t['points']} {t['active']}",
        f"{t['max']} {t['active']}",
        f"{t['points']} {t['variant']}",
        f"{t['max']} {t['variant']}",
        f"{t['points']} {t['change']}",
    ]


def kpi_rows(comparison: Comparison) -> list[list[Any]]:
    return [
        [
            str(k.month),
            k.branch,
            k.label,
            k.active_points,
            k.active_max,
            k.variant_points,
            k.variant_max,
            k.points_change,
        ]
        for k in comparison.kpis
    ]


def _sheet(wb: Any, name: str, header: list[str], rows: list[list[Any]], head: Any) -> Any:
    ws = wb.add_worksheet(name)
    for col, text in enumerate(header):
        _put(ws, 0, col, text, head)
    for r, row in enumerate(rows, start=1):
        for col, value in enumerate(row):
            _put(ws, r, col, value)
    ws.freeze_panes(1, 2)
    ws.set_column(0, 0, 9)
    ws.set_column(1, 1, 28)
    ws.set_column(2, len(header) - 1, 11)
    if rows:
        ws.autofilter(0, 0, len(rows), len(header) - 1)
    return ws


def write_whatif_xlsx(comparison: Comparison, path: Path, *, lang: str = "zh") -> Path:
    """Write the summary and the per-KPI sheets atomically (a failure leaves the old file)."""
    t = LABELS[lang]
    with atomic_target(path) as tmp:
        wb = xlsxwriter.Workbook(str(tmp), {"strings_to_formulas": False, "strings_to_urls": False})
        title = t["title"].format(
            active=", ".join(comparison.active_rubrics), variant=comparison.variant_rubric
        )
        wb.set_properties({"title": xml_safe(title), "author": "svcqa"})
        head = wb.add_format({"bold": True, "text_wrap": True, "bg_color": "#DDEBF7"})
        rows = summary_rows(comparison)
        ws = _sheet(wb, t["summary"], summary_header(lang), rows, head)
        if comparison.payout is not None:
            foot = len(rows) + 2
            _put(ws, foot, 1, t["payout"], head)
            for col, key in enumerate(("active", "variant", "change"), start=2):
                _put(ws, foot - 1, col, t[key], head)
                _put(ws, foot, col, comparison.payout[key])
        _sheet(wb, t["kpis"], kpi_header(lang), kpi_rows(comparison), head)
        wb.close()
    return path


__all__ = [
    "LABELS",
    "kpi_header",
    "kpi_rows",
    "summary_header",
    "summary_rows",
    "write_whatif_xlsx",
]
