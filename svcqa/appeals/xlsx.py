"""The appeal form (申诉表) as an XLSX workbook a branch fills in.

Built on the shared fillable-form machinery (``svcqa.fillable``), as the rectification form is:
one sheet, landscape A4 fit to width, header rows repeated on every printed page; input cells
(申诉 with a yes/no list, 申诉理由, 佐证材料) light yellow and unlocked, every other cell locked
by sheet protection without a password. A very hidden, protected sheet ``_svcqa_appeal`` records
what collecting needs without any store: the form's id, branch, month, each row's table, id, KPI
and input cells, and every locked cell's value as written with their checksum
(``locked_sha256``), so ``svcqa.appeals.collect`` can tell a cell edited outside the input cells
and an edited record. All branch-derived text is written as strings, never as formulas.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from svcqa.appeals.form import AppealForm
from svcqa.fillable.sheet import FormLayout, FormSheet
from svcqa.fillable.workbook import form_workbook, write_meta_sheet
from svcqa.labels import appeal_labels
from svcqa.render.formats import pts2

META_SHEET = "_svcqa_appeal"
FORM_KIND = "appeal"
FORM_VERSION = 1  # bump when the layout changes in a way collect must know about
WIDTHS = [6, 16, 8, 20, 16, 8, 9, 24, 14, 9, 7, 7, 30, 22]
LAST_COL = len(WIDTHS) - 1
COL_APPEAL, COL_REASON, COL_REFERENCE = 11, 12, 13
ROW_FIELDS = ("row", "table", "row_id", "kpi_id", "appeal", "reason", "reference")
ROWS_MARK = "row"  # the meta sheet's column A header of the rows table
LOCKED_MARK = "cell"  # ... and of the locked-cells table


def write_appeal_xlsx(form: AppealForm, path: Path, *, now: datetime | None = None) -> FormLayout:
    """Write ``form`` to ``path`` atomically; return its layout (input cells, locked values)."""
    t = appeal_labels(form.lang)
    layout = FormLayout(sheet=t["sheet"], month_end=form.month.last_day.isoformat())
    title = f"{form.branch} {form.month} {t['title']}"
    with form_workbook(path, title=title, layout=layout, last_col=LAST_COL, now=now) as sheet:
        _header(sheet, form, t)
        _kpis(sheet, form, t)
        _rows(sheet, form, t)
        _page_setup(sheet.ws)
        _meta_sheet(sheet.wb, form, layout, now)
    return layout


def _page_setup(ws: Any) -> None:
    ws.set_paper(9)  # A4
    ws.set_landscape()
    ws.set_margins(left=0.3, right=0.3, top=0.5, bottom=0.5)
    ws.fit_to_pages(1, 0)  # one page wide, as many tall as needed
    ws.repeat_rows(0, 1)
    ws.set_footer("&C&P / &N")
    for col, width in enumerate(WIDTHS):
        ws.set_column(col, col, width)


def _header(s: FormSheet, form: AppealForm, t: Mapping[str, str]) -> None:
    """Title, what to do, and the branch's month at a glance."""
    s.put(0, f"{form.branch} · {form.month} {t['title']}", "title", to_col=LAST_COL)
    s.ws.set_row(0, 28)
    s.row = 1
    s.put(0, t["instructions"], "sub", to_col=LAST_COL)
    s.ws.set_row(1, 30)
    s.row = 2
    s.line(
        [
            (0, 0, t["branch"], "label"),
            (1, 3, form.branch, "bold"),
            (4, 4, t["month"], "label"),
            (5, 6, str(form.month), "text"),
            (7, 7, t["rubric"], "label"),
            (8, LAST_COL, f"{form.rubric_name} ({form.rubric_id})", "text"),
        ]
    )
    rank = f"{form.rank} / {form.ranked}" if form.rank is not None else "—"
    s.line(
        [
            (0, 0, t["total"], "label"),
            (1, 3, pts2(form.total), "bold"),
            (4, 4, t["rank"], "label"),
            (5, 6, rank, "text"),
            (7, 7, t["grade"], "label"),
            (8, 9, form.grade or "—", "bold"),
            (10, 11, t["coefficient"], "label"),
            (12, LAST_COL, pts2(form.coefficient) if form.coefficient is not None else "—", "text"),
        ]
    )
    if form.deadline:  # the window: late appeals are refused
        text = t["deadline_text"].format(
            deadline=form.deadline, first=form.first_scored, days=form.window_days
        )
        s.line([(0, 0, t["deadline"], "label"), (1, LAST_COL, text, "bold")])


def _kpis(s: FormSheet, form: AppealForm, t: Mapping[str, str]) -> None:
    """Section 1: each KPI the branch lost points on, its table, rows listed and points lost."""
    s.section(t["s_kpis"])
    s.line(
        [
            (0, 0, t["no"], "head"),
            (1, 3, t["kpi"], "head"),
            (4, 5, t["table"], "head"),
            (6, 6, t["rows"], "head"),
            (7, 7, t["lost"], "head"),
            (8, 9, t["appealable"], "head"),
        ]
    )
    for i, k in enumerate(form.kpis, start=1):
        s.line(
            [
                (0, 0, i, "int"),
                (1, 3, k.label, "text"),
                (4, 5, t.get(k.table, k.table), "text"),
                (6, 6, k.rows, "int"),
                (7, 7, k.lost, "lost"),
                (8, 9, t["yes"] if k.appealable else t["no_word"], "text"),
            ]
        )
    s.line([(0, LAST_COL, t["points_note"], "note")])
    if form.other_rows:
        note = t["not_appealable"].format(
            count=form.other_rows, tables="、".join(form.other_tables)
        )
        s.line([(0, LAST_COL, note, "note")])


def _rows(s: FormSheet, form: AppealForm, t: Mapping[str, str]) -> None:
    """Section 2: one line per evidence row, with the three input cells at its end."""
    s.section(t["s_rows"])
    heads = ("no", "kpi", "table", "row_id", "date", "value", "kpi_lost", "detail", "file") + (
        "sheet_name",
        "excel_row",
        "appeal",
        "reason",
        "reference",
    )
    s.line([(c, c, t[h], "head") for c, h in enumerate(heads)])
    if not form.rows:
        s.line([(0, LAST_COL, t["no_rows"], "note")])
        return
    first = s.row
    for r in form.rows:
        s.line(
            [
                (0, 0, r.no, "int"),
                (1, 1, r.kpi_label, "text"),
                (2, 2, t.get(r.table, r.table), "text"),
                (3, 3, r.row_id, "text"),
                (4, 4, r.date, "text"),
                (5, 5, r.value, "num"),
                (6, 6, r.kpi_lost, "lost"),
                (7, 7, r.detail, "text"),
                (8, 8, r.file, "text"),
                (9, 9, r.sheet, "text"),
                (10, 10, r.excel_row, "int"),
            ]
        )
        row = s.row - 1
        cells = {
            name: s.input(col, None, row=row)
            for name, col in (
                ("appeal", COL_APPEAL),
                ("reason", COL_REASON),
                ("reference", COL_REFERENCE),
            )
        }
        s.layout.rows.append(
            {"row": r.no, "table": r.table, "row_id": r.row_id, "kpi_id": r.kpi_id, **cells}
        )
    s.ws.data_validation(
        first,
        COL_APPEAL,
        s.row - 1,
        COL_APPEAL,
        {
            "validate": "list",
            "source": [t["yes"], t["no_word"]],
            "input_title": t["appeal"][:32],
            "input_message": t["appeal_prompt"][:255],
            "error_title": t["appeal"][:32],
            "error_message": t["appeal_error"][:255],
        },
    )


def _meta_sheet(wb: Any, form: AppealForm, layout: FormLayout, now: datetime | None) -> None:
    """The form's identity, its rows and its locked cells as written (``collect`` reads them)."""
    items = [
        ("form_version", str(FORM_VERSION)),
        ("form_kind", FORM_KIND),
        ("form_id", form.form_id),
        ("branch_key", form.branch_key),
        ("branch", form.branch),
        ("month", str(form.month)),
        ("rubric_id", form.rubric_id),
        ("issued_at", (now or datetime(2000, 1, 1)).isoformat()),
        ("lang", form.lang),
        ("sheet", layout.sheet),
        ("rows", str(len(layout.rows))),
        ("locked_sha256", layout.locked_sha256),
    ]
    rows = [[str(row[name]) for name in ROW_FIELDS] for row in layout.rows]
    locked = [[ref, value] for ref, value in layout.locked.items()]
    write_meta_sheet(wb, META_SHEET, items, [(ROW_FIELDS, rows), ((LOCKED_MARK, "value"), locked)])
