"""The ranked scorecard as JSON, CSV and an XLSX workbook an analyst would have made by hand.

``scorecard_document`` is the one source of truth: ``svcqa score --format json`` prints it, the
JSON file is it, and the CSV and XLSX are laid out from the same Scorecard.
"""

from __future__ import annotations

import io
import json
import math
from pathlib import Path
from typing import Any

import orjson
import xlsxwriter
from xlsxwriter.format import Format

from svcqa.findings import RUBRIC_MISMATCH_CODES
from svcqa.labels import (
    SCORECARD_COLUMNS,
    SCORECARD_LABELS,
    appeal_labels,
    flag_label,
    flags_text,
    labels_in,
)
from svcqa.models import BranchResult, KpiResult, Scorecard, as_of_text
from svcqa.output import atomic_target, write_csv, write_text_atomic

SCHEMA = "svcqa.scorecard/1"


def _num(value: float | None) -> float | None:
    """A metric value as computed, unrounded: a JSON consumer recomputes points from it exactly
    (1/35 rounded to 0.0286 would give 4.28 points on a curve that scored 4.29)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return float(value)


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
        # the data's cut-off (--as-of) where open rows were aged; null: at the month's end
        "as_of": scorecard.as_of.isoformat(timespec="minutes") if scorecard.as_of else None,
    }
    if month_source:
        document["month_source"] = month_source
    return document


def _kpi_ids(scorecard: Scorecard) -> list[KpiResult]:
    return scorecard.branches[0].kpis if scorecard.branches else []


def scorecard_rows(scorecard: Scorecard, lang: str = "zh") -> tuple[list[str], list[list[Any]]]:
    """The summary table: one row per branch, ranked, with every KPI's points; headings in ``lang``."""
    labels_in(SCORECARD_LABELS, lang)
    kpis = _kpi_ids(scorecard)
    header = list(SCORECARD_COLUMNS[lang]["summary"])
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


def write_scorecard_csv(scorecard: Scorecard, path: Path, *, lang: str = "zh") -> Path:
    header, rows = scorecard_rows(scorecard, lang)
    buffer = io.StringIO()
    write_csv(buffer, header, rows)
    # UTF-8 with BOM so Excel on Chinese Windows opens the Chinese headers correctly.
    return write_text_atomic(path, "\ufeff" + buffer.getvalue())


def write_scorecard_json(
    scorecard: Scorecard,
    path: Path,
    *,
    month_source: str | None = None,
    appeals: dict[str, Any] | None = None,
) -> Path:
    # orjson writes the text json.dumps(ensure_ascii=False, indent=2) wrote (byte for byte on
    # the sample and bench months; only floats in exponent form are spelled otherwise) in a
    # twentieth of the time: the json module indents in pure Python, 0.1 s for 3 MB.
    document = scorecard_document(scorecard, month_source=month_source)
    if appeals is not None:  # a run re-scored by ``svcqa appeal apply``
        document["appeals"] = appeals
    data = orjson.dumps(
        document, default=_plain, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS
    )
    return write_text_atomic(path, data.decode() + "\n")


def _plain(value: Any) -> Any:
    """numpy scalars as the Python numbers they hold (orjson takes only Python's own types)."""
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _curve_text(kpi: KpiResult, t: dict[str, str]) -> str:
    curve = kpi.curve or {}
    kind = curve.get("kind", "")
    if kind == "linear":
        return t["curve_linear"].format(full=curve.get("full"), zero=curve.get("zero"))
    if kind == "deduct":
        return t["curve_deduct"]
    return str(kind)


def write_scorecard_xlsx(
    scorecard: Scorecard,
    path: Path,
    *,
    rejects: Any = None,
    lang: str = "zh",
    appeals: dict[str, Any] | None = None,
) -> Path:
    """The analyst's workbook: the ranking (coloured lost points, chart), the KPI detail, the
    rules and the input check; headings and sheet names in ``lang``. ``appeals`` ({applied,
    superseded_run}) marks a run re-scored by appeals with a line below the rules."""
    t = dict(labels_in(SCORECARD_LABELS, lang))
    t["lang"] = lang
    if appeals is not None:
        t["appeals_line"] = appeal_labels(lang)["sc_appeals"].format(
            applied=appeals.get("applied", 0), run=appeals.get("superseded_run", "—")
        )
    with atomic_target(path) as tmp:
        # Never turn input text into formulas or links.
        wb = xlsxwriter.Workbook(str(tmp), {"strings_to_formulas": False, "strings_to_urls": False})
        title = t["workbook_title"].format(month=scorecard.month, rubric=scorecard.rubric_name)
        wb.set_properties({"title": title, "author": "svcqa"})
        formats = _formats(wb)
        _summary_sheet(wb, formats, scorecard, t)
        _kpi_detail_sheet(wb, formats, scorecard, t)
        _rules_sheet(wb, formats, scorecard, t)
        _inputs_sheet(wb, formats, scorecard, rejects, t)
        wb.close()
    return path


def _write_number(ws: Any, r: int, c: int, value: float, fmt: Format | None = None) -> None:
    """A number cell; a non-finite one (a ``1e999`` input reads as infinity) as the text
    ``inf``/``-inf``, and NaN as a blank: xlsxwriter refuses them (``NAN/INF not supported``)
    and would stop the workbook half-way."""
    number = float(value)
    if math.isfinite(number):
        ws.write_number(r, c, number, fmt)
    elif math.isnan(number):
        ws.write_blank(r, c, None, fmt)
    else:
        ws.write_string(r, c, "inf" if number > 0 else "-inf", fmt)


def _formats(wb: xlsxwriter.Workbook) -> dict[str, Format]:
    """The cell formats every sheet draws from, by name."""
    head = {
        "bold": True,
        "bg_color": "#1F4E79",
        "font_color": "#FFFFFF",
        "text_wrap": True,
        "valign": "vcenter",
        "border": 1,
    }
    return {
        "head": wb.add_format(head),
        "pts": wb.add_format({"num_format": "0.00", "border": 1}),
        "coef": wb.add_format({"num_format": "0.00", "border": 1}),
        "text": wb.add_format({"border": 1}),
        "lost": wb.add_format({"bg_color": "#F8CBAD"}),
        "zero": wb.add_format({"bg_color": "#E06666", "font_color": "#FFFFFF"}),
        "pct": wb.add_format({"num_format": "0.0%", "border": 1}),
        "days": wb.add_format({"num_format": "0.00", "border": 1}),
        "title": wb.add_format({"bold": True, "font_size": 14}),
    }


def _summary_sheet(
    wb: xlsxwriter.Workbook, f: dict[str, Format], scorecard: Scorecard, t: dict[str, str]
) -> None:
    """Sheet 1: the ranked summary, lost points coloured, totals as data bars and a bar chart."""
    kpis = _kpi_ids(scorecard)
    header, rows = scorecard_rows(scorecard, t["lang"])
    ws = wb.add_worksheet(t["sheet_summary"])
    title = t["summary_title"].format(
        month=scorecard.month, rubric=scorecard.rubric_name, max=f"{scorecard.rubric_max:g}"
    )
    ws.write_string(0, 0, title, f["title"])
    for c, name in enumerate(header):
        ws.write_string(1, c, name, f["head"])
    for r, row in enumerate(rows, start=2):
        for c, value in enumerate(row):
            if value is None or value == "":
                ws.write_blank(r, c, None, f["text"])
            elif isinstance(value, str):
                ws.write_string(r, c, value, f["text"])
            else:
                _write_number(ws, r, c, value, f["coef"] if c == 4 else f["pts"])
    first_kpi_col, n = 11, len(rows)
    if n:
        for i, kpi in enumerate(kpis):
            col = first_kpi_col + i
            # Colour lost points: light when some were lost, strong when all were.
            zero = {"type": "cell", "criteria": "<=", "value": 0, "format": f["zero"]}
            ws.conditional_format(2, col, n + 1, col, zero)
            some = {"type": "cell", "criteria": "<", "value": kpi.max, "format": f["lost"]}
            ws.conditional_format(2, col, n + 1, col, some)
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
        ws.insert_chart(1, len(header) + 1, _totals_chart(wb, scorecard, n, t))


def _totals_chart(wb: xlsxwriter.Workbook, scorecard: Scorecard, n: int, t: dict[str, str]) -> Any:
    """Each branch's total as a horizontal bar, in ranking order (the summary's rows)."""
    sheet = t["sheet_summary"]
    chart = wb.add_chart({"type": "bar"})
    chart.add_series(
        {
            "name": t["chart_series"],
            "categories": [sheet, 2, 1, n + 1, 1],
            "values": [sheet, 2, 2, n + 1, 2],
            "fill": {"color": "#5B9BD5"},
            "data_labels": {"value": True, "num_format": "0.0"},
        }
    )
    chart.set_title({"name": t["chart_title"]})
    chart.set_x_axis({"min": 0, "max": scorecard.rubric_max, "name": t["chart_axis"]})
    chart.set_y_axis({"reverse": True})
    chart.set_legend({"none": True})
    chart.set_size({"width": 720, "height": max(320, 18 * n + 80)})
    return chart


def _kpi_detail_sheet(
    wb: xlsxwriter.Workbook, f: dict[str, Format], scorecard: Scorecard, t: dict[str, str]
) -> None:
    """Sheet 2: every KPI's metric value, basis, thresholds and lost points (the audit trail)."""
    ws = wb.add_worksheet(t["sheet_kpi_detail"])
    cols = SCORECARD_COLUMNS[t["lang"]]["kpi_detail"]
    text, pts = f["text"], f["pts"]
    for c, name in enumerate(cols):
        ws.write_string(0, c, name, f["head"])
    r = 1
    for b in scorecard.branches:
        for k in b.kpis:
            ws.write_string(r, 0, b.branch, text)
            ws.write(r, 1, b.rank if b.rank is not None else "", text)
            ws.write_string(r, 2, k.label, text)
            ws.write_string(r, 3, k.group, text)
            if k.value is None or (isinstance(k.value, float) and math.isnan(k.value)):
                ws.write_string(r, 4, t["no_data"], text)
            else:
                _write_number(ws, r, 4, k.value, f["pct"] if k.unit == "rate" else f["days"])
            ws.write_string(r, 5, k.unit, text)
            _write_number(ws, r, 6, k.basis, text)
            if k.numerator is None:
                ws.write_blank(r, 7, None, text)
            else:
                _write_number(ws, r, 7, k.numerator, text)
            ws.write_string(r, 8, _curve_text(k, t), text)
            _write_number(ws, r, 9, k.points, pts)
            _write_number(ws, r, 10, k.max, pts)
            _write_number(ws, r, 11, k.lost, pts)
            ws.write_string(r, 12, t["yes"] if k.no_data else "", text)
            ws.write_string(r, 13, t["yes"] if k.low_volume else "", text)
            ws.write_string(r, 14, k.note, text)
            r += 1
    if r > 1:
        ws.conditional_format(
            1, 11, r - 1, 11, {"type": "cell", "criteria": ">", "value": 0, "format": f["lost"]}
        )
        ws.autofilter(0, 0, r - 1, len(cols) - 1)
    ws.freeze_panes(1, 1)
    ws.set_column(0, 0, 24)
    ws.set_column(2, 2, 20)
    ws.set_column(8, 8, 22)


def _rules_sheet(
    wb: xlsxwriter.Workbook, f: dict[str, Format], scorecard: Scorecard, t: dict[str, str]
) -> None:
    """Sheet 3: the rules as scored."""
    ws = wb.add_worksheet(t["sheet_rules"])
    text = f["text"]
    for c, name in enumerate(SCORECARD_COLUMNS[t["lang"]]["rules"]):
        ws.write_string(0, c, name, f["head"])
    for r, k in enumerate(_kpi_ids(scorecard), start=1):
        ws.write_string(r, 0, k.id, text)
        ws.write_string(r, 1, k.label, text)
        ws.write_string(r, 2, k.group, text)
        _write_number(ws, r, 3, k.max, f["pts"])
        ws.write_string(r, 4, _curve_text(k, t), text)
        ws.write_string(r, 5, json.dumps(k.curve, ensure_ascii=False), text)
    below = len(_kpi_ids(scorecard)) + 2
    if "appeals_line" in t:  # a run re-scored by appeals says so, above everything else below
        ws.write_string(below, 0, t["appeals_line"], f["title"])
        below += 2
    if scorecard.as_of is not None:
        ws.write_string(below, 0, t["as_of_heading"], f["head"])
        ws.write_string(below + 1, 0, as_of_text(scorecard.as_of), text)
        ws.write_string(
            below + 1, 1, t["as_of_note"].format(as_of=as_of_text(scorecard.as_of)), text
        )
        below += 3
    _mismatch_rows(ws, f, scorecard, below, t["mismatch_heading"])
    ws.set_column(0, 1, 22)
    ws.set_column(4, 5, 40)


def _mismatch_rows(
    ws: Any, f: dict[str, Format], scorecard: Scorecard, start: int, heading: str
) -> None:
    """Below the rules: each finding of the rubric asking for data the month lacks (code, KPI
    message), so the workbook says why those KPIs got their when_empty points."""
    found = [n for n in scorecard.notes if n.code in RUBRIC_MISMATCH_CODES]
    if not found:
        return
    ws.write_string(start, 0, heading, f["head"])
    for r, note in enumerate(found, start=start + 1):
        ws.write_string(r, 0, note.code, f["text"])
        ws.write_string(r, 1, note.message, f["text"])


def _inputs_sheet(
    wb: xlsxwriter.Workbook,
    f: dict[str, Format],
    scorecard: Scorecard,
    rejects: Any,
    t: dict[str, str],
) -> None:
    """Sheet 4: input accounting, then the rejected / excluded rows."""
    ws = wb.add_worksheet(t["sheet_inputs"])
    for c, name in enumerate(SCORECARD_COLUMNS[t["lang"]]["inputs"]):
        ws.write_string(0, c, name, f["head"])
    for r, (table, stats) in enumerate(scorecard.inputs.items(), start=1):
        ws.write_string(r, 0, table, f["text"])
        for c, v in enumerate((stats.rows, stats.used, stats.excluded, stats.rejected), start=1):
            _write_number(ws, r, c, v, f["text"])
    if rejects is not None and len(rejects):
        start = len(scorecard.inputs) + 3
        for c, name in enumerate(rejects.columns):
            ws.write_string(start, c, name, f["head"])
        for r, record in enumerate(rejects.itertuples(index=False), start=start + 1):
            for c, value in enumerate(record):
                if value is None or (isinstance(value, float) and math.isnan(value)):
                    continue
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    _write_number(ws, r, c, value)
                else:
                    ws.write_string(r, c, str(value))
    ws.set_column(0, 7, 14)


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
