"""The rectification form as an XLSX workbook branches fill in, and reading a filled one back.

Why xlsxwriter (not the report's streaming writer): the form needs sheet protection, unlocked
input cells, data validation, merged cells and print setup, and there is one workbook per
branch that must rectify (a handful a month), so its fixed cost does not matter.

Layout: one sheet (整改报告) in eight columns, printable on A4 portrait (fit to width, title rows
repeated on every page). Input cells are light yellow and unlocked; every other cell is locked by
sheet protection without a password (it guards against accidental edits, not against a
determined user: ``svcqa rectify collect`` compares the locked cells with the values recorded in
the history store when the form was issued). A very hidden, protected sheet ``_svcqa_form``
names the form version, form id, branch key, month, rubric and each section-4 row's KPI id and
cells. All branch-derived text is written with ``write_string``, never as a formula.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from xlsxwriter.utility import xl_rowcol_to_cell

from svcqa.fillable.reading import FilledForm, NotAForm, read_form_workbook
from svcqa.fillable.sheet import FormLayout, FormSheet
from svcqa.fillable.workbook import form_workbook, write_meta_sheet
from svcqa.ingest.safety.limits import Limits
from svcqa.rectify.form import RectifyForm
from svcqa.render.formats import pts2

__all__ = [
    "FORM_VERSION",
    "META_SHEET",
    "FilledForm",
    "NotAForm",
    "read_filled_form",
    "write_form_xlsx",
]

META_SHEET = "_svcqa_form"
WIDTHS = [9, 16, 18, 16, 14, 13, 13, 12]
LAST_COL = len(WIDTHS) - 1
FORM_VERSION = 1  # bump when the layout changes in a way collect must know about


def _validations(form: RectifyForm, t: Mapping[str, str]) -> dict[str, dict[str, Any]]:
    """Excel's checks on the deadline, target and date input cells, so a wrong entry is refused
    as it is typed (collect checks the returned values again: validation is easy to bypass)."""
    month_end = datetime.combine(form.month_end, datetime.min.time())
    zh = form.view.lang == "zh"
    return {
        "deadline": {
            "validate": "date",
            "criteria": ">",
            "value": month_end,
            "input_title": t["deadline"][:32],
            "input_message": (
                f"填写晚于 {form.month_end.isoformat()} 的日期，如 {form.due_date.replace(day=28).isoformat()}"
                if zh
                else f"A date after {form.month_end.isoformat()}"
            )[:255],
            "error_title": t["deadline"][:32],
            "error_message": (
                f"完成时限须是晚于 {form.month_end.isoformat()} 的日期"
                if zh
                else f"The deadline must be a date after {form.month_end.isoformat()}"
            )[:255],
        },
        "target": {
            "validate": "decimal",
            "criteria": "between",
            "minimum": -1e9,
            "maximum": 1e9,
            "error_title": t["target"][:32],
            "error_message": ("目标值须是数字" if zh else "The target must be a number")[:255],
        },
        "date": {
            "validate": "date",
            "criteria": ">=",
            "value": datetime.combine(form.month.first_day, datetime.min.time()),
            "error_title": t["fill_date"][:32],
            "error_message": ("请填写日期" if zh else "Enter a date")[:255],
        },
    }


def write_form_xlsx(form: RectifyForm, path: Path, *, now: datetime | None = None) -> FormLayout:
    """Write ``form`` to ``path`` atomically; return its layout (input cells, locked values)."""
    t, v = form.t, form.view
    layout = FormLayout(sheet=t["sheet"], month_end=form.month_end.isoformat())
    title = f"{v.branch} {v.month} {t['title']}"
    with form_workbook(path, title=title, layout=layout, last_col=LAST_COL, now=now) as sheet:
        _layout_sheet(sheet, form, t, _validations(form, t))
        _page_setup(sheet.ws)
        _meta_sheet(sheet.wb, form, layout, now)
    return layout


def _page_setup(ws: Any) -> None:
    ws.set_paper(9)  # A4
    ws.set_portrait()
    ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    ws.fit_to_pages(1, 0)  # one page wide, as many tall as needed
    ws.repeat_rows(0, 1)  # the title and its line on every printed page
    ws.center_horizontally()
    ws.set_footer("&C&P / &N")
    for col, width in enumerate(WIDTHS):
        ws.set_column(col, col, width)


def _layout_sheet(
    s: FormSheet, form: RectifyForm, t: Mapping[str, str], valid: dict[str, dict[str, Any]]
) -> None:
    """The form sheet top to bottom: header, the five sections of SPEC 5, the signatures."""
    _header(s, form, t, valid)
    _overview(s, form, t)
    _last_period(s, form, t)
    _top_lost(s, form, t)
    _hot_spots(s, form, t)
    _drops(s, form, t)
    _plan(s, form, t, valid)
    _coordination_and_signatures(s, form, t, valid)


def _header(
    s: FormSheet, form: RectifyForm, t: Mapping[str, str], valid: dict[str, dict[str, Any]]
) -> None:
    """The title, the subtitle (why and by when) and the overview of score, rank and grade."""
    v = form.view
    ws = s.ws
    s.put(0, f"{v.branch} · {v.month} {t['title']}", "title", to_col=LAST_COL)
    ws.set_row(0, 28)
    s.row = 1
    s.put(0, form.subtitle, "sub", to_col=LAST_COL)
    ws.set_row(1, 28)
    s.row = 2
    s.input(6, "fill_date", kind="date", to_col=7, validation=valid["date"])
    s.line(
        [
            (0, 0, t["branch"], "label"),
            (1, 2, v.branch, "bold"),
            (3, 3, t["month"], "label"),
            (4, 4, v.month, "text"),
            (5, 5, t["fill_date"], "label"),
        ]
    )
    s.line(
        [
            (0, 0, t["total"], "label"),
            (1, 2, f"{pts2(v.total)} / {v.rubric_max:g}", "bold"),
            (3, 3, t["rank"], "label"),
            (4, 4, v.rank_text, "text"),
            (5, 5, t["grade"], "label"),
            (6, 7, v.grade, "bold"),
        ]
    )
    s.line(
        [
            (0, 0, t["coefficient"], "label"),
            (1, 2, pts2(v.coefficient), "text"),
            (3, 3, t["streak"], "label"),
            (4, 4, form.streak, "int"),
            (5, 5, t["vs_previous"], "label"),
            (6, 7, v.total_change or "—", "text"),
        ]
    )


def _overview(s: FormSheet, form: RectifyForm, t: Mapping[str, str]) -> None:
    """Section 1: each KPI's points and lost points, with group subtotals and the sum."""
    v = form.view
    s.section(t["s1"])
    s.line(
        [
            (0, 0, t["group"], "head"),
            (1, 2, t["kpi"], "head"),
            (3, 3, t["value"], "head"),
            (4, 4, t["full_at"], "head"),
            (5, 5, t["points"], "head"),
            (6, 6, t["max"], "head"),
            (7, 7, t["lost"], "head"),
        ]
    )
    for g in form.groups:
        for k in g.rows:
            s.line(
                [
                    (0, 0, g.name, "text"),
                    (1, 2, k.label, "text"),
                    (3, 3, k.value_text, "text"),
                    (4, 4, k.full_text, "text"),
                    (5, 5, k.points, "num"),
                    (6, 6, k.max, "num"),
                    (7, 7, k.lost, "lost" if k.lost > 0 else "num"),
                ]
            )
        s.line(
            [
                (0, 0, g.name, "bold"),
                (1, 4, t["subtotal"], "bold"),
                (5, 5, g.points, "num"),
                (6, 6, g.max, "num"),
                (7, 7, g.lost, "lost" if g.lost > 0 else "num"),
            ]
        )
    s.line(
        [
            (0, 4, t["sum"], "bold"),
            (5, 5, v.kpi_total, "num"),
            (6, 6, sum(k.max for k in v.kpis), "num"),
            (7, 7, form.lost_total, "lost" if form.lost_total > 0 else "num"),
        ]
    )


def _last_period(s: FormSheet, form: RectifyForm, t: Mapping[str, str]) -> None:
    """Section 2: last period's measures and whether each KPI moved, and the branch's account."""
    v = form.view
    s.section(t["s2"])
    if form.follow_ups:
        s.line(
            [
                (
                    0,
                    LAST_COL,
                    t["previous_form"].format(month=form.previous_month, current=v.month),
                    "note",
                )
            ]
        )
        s.line(
            [
                (0, 0, t["no"], "head"),
                (1, 1, t["kpi"], "head"),
                (2, 2, t["measure"], "head"),
                (3, 3, t["owner"], "head"),
                (4, 4, t["deadline"], "head"),
                (5, 5, t["target"], "head"),
                (6, 6, f"{t['prev_value']} → {t['cur_value']}", "head"),
                (7, 7, t["moved"], "head"),
            ]
        )
        for i, u in enumerate(form.follow_ups, start=1):
            s.line(
                [
                    (0, 0, i, "int"),
                    (1, 1, u.label, "text"),
                    (2, 2, u.measure, "text"),
                    (3, 3, u.owner, "text"),
                    (4, 4, u.deadline, "text"),
                    (5, 5, u.target_text, "text"),
                    (6, 6, f"{u.prev_text} → {u.value_text}", "text"),
                    (7, 7, u.moved_text, "bold"),
                ]
            )
    else:
        s.line([(0, LAST_COL, t["no_previous_form"].format(month=form.previous_month), "note")])
    s.line([(0, LAST_COL, t["effect"], "label")])
    s.input(0, "effect", to_col=LAST_COL, rows=3)
    s.row += 3


def _top_lost(s: FormSheet, form: RectifyForm, t: Mapping[str, str]) -> None:
    """Section 3 opens with the KPIs that lost most and their share of the lost points."""
    s.section(t["s3"])
    s.line([(0, LAST_COL, t["top_lost"], "label")])
    if form.top_lost:
        s.line(
            [
                (0, 0, t["no"], "head"),
                (1, 2, t["kpi"], "head"),
                (3, 3, t["value"], "head"),
                (4, 4, t["full_at"], "head"),
                (5, 5, t["lost"], "head"),
                (6, 7, t["share_of_lost"], "head"),
            ]
        )
        for i, k in enumerate(form.top_lost, start=1):
            s.line(
                [
                    (0, 0, i, "int"),
                    (1, 2, k.label, "text"),
                    (3, 3, k.value_text, "text"),
                    (4, 4, k.full_text, "text"),
                    (5, 5, k.lost, "lost"),
                    (6, 7, k.lost / form.lost_total if form.lost_total else 0.0, "pct"),
                ]
            )
    else:
        s.line([(0, LAST_COL, t["no_lost"], "note")])


def _hot_spots(s: FormSheet, form: RectifyForm, t: Mapping[str, str]) -> None:
    """Section 3's complaint hot spots: this branch's share beside all branches'."""
    s.line([(0, LAST_COL, t["hot_spots"], "label")])
    if form.hot_spots:
        s.line(
            [
                (0, 0, t["no"], "head"),
                (1, 2, t["category"], "head"),
                (3, 3, t["count"], "head"),
                (4, 4, t["share"], "head"),
                (5, 7, t["all_share"], "head"),
            ]
        )
        for i, h in enumerate(form.hot_spots, start=1):
            s.line(
                [
                    (0, 0, i, "int"),
                    (1, 2, h.category, "text"),
                    (3, 3, h.count, "int"),
                    (4, 4, h.share, "pct"),
                    (5, 7, h.all_share, "pct"),
                ]
            )
    else:
        s.line([(0, LAST_COL, t["no_complaints"], "note")])


def _drops(s: FormSheet, form: RectifyForm, t: Mapping[str, str]) -> None:
    """Section 3 ends with the month-over-month drops and the branch's cause analysis."""
    s.line([(0, LAST_COL, t["drops"].format(month=form.previous_month), "label")])
    if form.drops:
        s.line(
            [
                (0, 0, t["no"], "head"),
                (1, 2, t["kpi"], "head"),
                (3, 3, t["prev_value"], "head"),
                (4, 4, t["cur_value"], "head"),
                (5, 5, t["prev_points"], "head"),
                (6, 6, t["points"], "head"),
                (7, 7, t["delta"], "head"),
            ]
        )
        for i, d in enumerate(form.drops, start=1):
            s.line(
                [
                    (0, 0, i, "int"),
                    (1, 2, d.label, "text"),
                    (3, 3, d.prev_text, "text"),
                    (4, 4, d.value_text, "text"),
                    (5, 5, d.prev_points, "num"),
                    (6, 6, d.points, "num"),
                    (7, 7, d.delta, "lost"),
                ]
            )
    else:
        s.line(
            [
                (
                    0,
                    LAST_COL,
                    t["no_drops"] if form.has_previous_month else t["no_previous_month"],
                    "note",
                )
            ]
        )
    s.line([(0, LAST_COL, t["cause"], "label")])
    s.input(0, "cause", to_col=LAST_COL, rows=4)
    s.row += 4


def _plan(
    s: FormSheet, form: RectifyForm, t: Mapping[str, str], valid: dict[str, dict[str, Any]]
) -> None:
    """Section 4: one row per plan entry; the branch writes measure, owner, deadline and target."""
    ws = s.ws
    s.section(t["s4"])
    s.line([(0, LAST_COL, t["plan_note"].format(month_end=form.month_end.isoformat()), "note")])
    ws.set_row(s.row - 1, 26)
    s.line(
        [
            (0, 0, t["no"], "head"),
            (1, 2, t["problem"], "head"),
            (3, 4, t["measure"], "head"),
            (5, 5, t["owner"], "head"),
            (6, 6, t["deadline"], "head"),
            (7, 7, t["target"], "head"),
        ]
    )
    for p in form.plan:
        s.put(0, p.no, "int")
        seeded = bool(p.kpi_id)
        if seeded:
            s.put(1, p.problem, "text", to_col=2)
            problem = xl_rowcol_to_cell(s.row, 1)
        else:
            problem = s.input(1, None, to_col=2)
        cells = {
            "problem": problem,
            "measure": s.input(3, None, to_col=4),
            "owner": s.input(5, None),
            "deadline": s.input(6, None, kind="date", validation=valid["deadline"]),
            "target": s.input(
                7, None, kind="number", unit=p.unit, value=p.target, validation=valid["target"]
            ),
        }
        layout_row = {"no": p.no, "kpi_id": p.kpi_id, "seeded": seeded, "unit": p.unit, **cells}
        s.layout.rows.append(layout_row)
        ws.set_row(s.row, 45)
        s.row += 1


def _coordination_and_signatures(
    s: FormSheet, form: RectifyForm, t: Mapping[str, str], valid: dict[str, dict[str, Any]]
) -> None:
    """Section 5, the signature line and the footer naming the rubric and the month."""
    v = form.view
    ws = s.ws
    s.section(t["s5"])
    s.line([(0, LAST_COL, t["coordination"], "label")])
    s.input(0, "coordination", to_col=LAST_COL, rows=3)
    s.row += 4

    s.put(0, t["signer"], "bold", to_col=1)
    s.input(2, "signer", to_col=3)
    s.put(4, t["fill_date"], "bold")
    s.input(5, "sign_date", kind="date", validation=valid["date"])
    s.put(6, t["center"], "bold")
    s.put(7, None, "sign")
    ws.set_row(s.row, 30)
    s.row += 2
    s.put(
        0,
        f"svcqa · {v.rubric_id} · {v.month}"
        + (f" · {t['generated']} {form.generated_at}" if form.generated_at else ""),
        "note",
        to_col=LAST_COL,
    )


def _meta_sheet(wb: Any, form: RectifyForm, layout: FormLayout, now: datetime | None) -> None:
    """What ``collect`` needs to find the issued record and read the rows."""
    items = [
        ("form_version", str(FORM_VERSION)),
        ("form_id", form.form_id),
        ("branch_key", form.view.branch_key),
        ("branch", form.view.branch),
        ("month", str(form.month)),
        ("rubric_id", form.view.rubric_id),
        ("issued_at", (now or datetime(2000, 1, 1)).isoformat()),
        ("sheet", layout.sheet),
        ("inputs", json.dumps(layout.inputs, ensure_ascii=False)),
    ]
    head = ["row", "kpi_id", "problem", "measure", "owner", "deadline", "target"]
    rows = [
        [str(row["no"] if name == "row" else row[name]) for name in head] for row in layout.rows
    ]
    write_meta_sheet(wb, META_SHEET, items, [(head, rows)])


# ---------------------------------------------------------------------------------------------
# Reading a filled form back
# ---------------------------------------------------------------------------------------------


def read_filled_form(path: Path, limits: Limits) -> FilledForm:
    """Every non-empty cell of a filled-in rectification form and its metadata (the shared
    reader, ``svcqa.fillable.reading``, under the caller's limits)."""
    return read_form_workbook(
        path, limits, meta_sheet=META_SHEET, kind="rectification form", command="svcqa rectify"
    )
