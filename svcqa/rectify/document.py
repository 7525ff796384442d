"""The rectification form as HTML (on screen and print) and DOCX (what branches usually fill in Word).

Both lay out the same ``RectifyForm`` as the XLSX (``svcqa.rectify.xlsx``): header, the
five sections of SPEC 5 and the signature lines. HTML comes from ``templates/rectify.html.j2``
with the shared environment (autoescape on, undefined variables fail); DOCX is built with
python-docx: plain tables, empty cells where the branch writes, nothing that needs macros.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from svcqa.output import atomic_target, xml_safe
from svcqa.rectify.form import RectifyForm
from svcqa.render.environment import make_environment
from svcqa.render.formats import pct1, pts2, signed

DOCX_PROPERTY_MAX = 255


def render_form_html(form: RectifyForm, *, template_dir: Path | None = None) -> str:
    """The self-contained HTML form (inline CSS, no scripts, no network)."""
    env = make_environment(template_dir)
    return env.get_template("rectify.html.j2").render(f=form, v=form.view, t=form.t)


def _table(doc: Any, header: list[str], rows: list[list[Any]]) -> Any:
    table = doc.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, header):
        cell.text = ""
        cell.paragraphs[0].add_run(xml_safe(str(text))).bold = True
    for values in rows:
        cells = table.add_row().cells
        for cell, value in zip(cells, values):
            cell.text = "" if value is None else xml_safe(str(value))
    return table


class _XmlSafeDocument:
    """The python-docx document with every heading and paragraph text passed through
    ``xml_safe``: lxml refuses control characters (``All strings must be XML compatible``), and a
    branch name carrying ESC must not stop the form half-way. Tables clean their cells in ``_table``."""

    def __init__(self, doc: Any) -> None:
        self._doc = doc

    def add_heading(self, text: str = "", level: int = 1) -> Any:
        return self._doc.add_heading(xml_safe(text), level)

    def add_paragraph(self, text: str = "") -> Any:
        return self._doc.add_paragraph(xml_safe(text))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._doc, name)


def _box(doc: Any, label: str, lines: int = 4) -> None:
    """A labelled empty box the branch writes into."""
    doc.add_paragraph().add_run(label).bold = True
    table = doc.add_table(rows=1, cols=1)
    table.style = "Table Grid"
    table.rows[0].cells[0].text = "\n" * (lines - 1)


def write_form_docx(form: RectifyForm, path: Path, *, now: datetime | None = None) -> Path:
    """Write the form as a Word document, atomically."""
    from docx import Document

    doc = _XmlSafeDocument(Document())
    _docx_page(doc, form, now)
    _docx_header(doc, form)
    _docx_overview(doc, form)
    _docx_last_period(doc, form)
    _docx_main_problems(doc, form)
    _docx_plan_and_signatures(doc, form)
    with atomic_target(path) as tmp:
        doc.save(str(tmp))
    return path


def _docx_page(doc: Any, form: RectifyForm, now: datetime | None) -> None:
    """A4 portrait, 15 mm margins, 10 pt text; the title and times in the document properties."""
    from docx.enum.section import WD_ORIENT
    from docx.shared import Mm, Pt

    t, v = form.t, form.view
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Mm(15))
    doc.styles["Normal"].font.size = Pt(10)
    suffix = f" {v.month} {t['title']}"
    doc.core_properties.title = (
        xml_safe(v.branch)[: DOCX_PROPERTY_MAX - len(suffix)] + suffix
    )  # Word caps properties at 255
    doc.core_properties.author = "svcqa"
    if now is not None:
        doc.core_properties.created = now
        doc.core_properties.modified = now


def _docx_header(doc: Any, form: RectifyForm) -> None:
    """The title, the subtitle (why and by when) and the overview of score, rank and grade."""
    t, v = form.t, form.view
    doc.add_heading(f"{v.branch} · {v.month} {t['title']}", level=0)
    doc.add_paragraph(form.subtitle)
    _table(
        doc,
        [t["branch"], v.branch, t["month"], v.month],
        [
            [t["total"], f"{pts2(v.total)} / {v.rubric_max:g}", t["rank"], v.rank_text],
            [t["grade"], v.grade, t["coefficient"], pts2(v.coefficient)],
            [t["streak"], form.streak, t["vs_previous"], v.total_change or "—"],
            [t["fill_date"], "", "", ""],
        ],
    )


def _docx_overview(doc: Any, form: RectifyForm) -> None:
    """Section 1: each KPI's points and lost points, with group subtotals and the sum."""
    t, v = form.t, form.view
    doc.add_heading(t["s1"], level=1)
    rows: list[list[Any]] = []
    for g in form.groups:
        rows += [
            [g.name, k.label, k.value_text, k.full_text, pts2(k.points), pts2(k.max), pts2(k.lost)]
            for k in g.rows
        ]
        rows.append([g.name, t["subtotal"], "", "", pts2(g.points), pts2(g.max), pts2(g.lost)])
    rows.append(
        [
            "",
            t["sum"],
            "",
            "",
            pts2(v.kpi_total),
            pts2(sum(k.max for k in v.kpis)),
            pts2(form.lost_total),
        ]
    )
    _table(
        doc,
        [t["group"], t["kpi"], t["value"], t["full_at"], t["points"], t["max"], t["lost"]],
        rows,
    )


def _docx_last_period(doc: Any, form: RectifyForm) -> None:
    """Section 2: last period's measures and whether each KPI moved, and the branch's account."""
    t, v = form.t, form.view
    doc.add_heading(t["s2"], level=1)
    if form.follow_ups:
        doc.add_paragraph(t["previous_form"].format(month=form.previous_month, current=v.month))
        _table(
            doc,
            [
                t["no"],
                t["kpi"],
                t["measure"],
                t["owner"],
                t["deadline"],
                t["target"],
                t["prev_value"],
                t["cur_value"],
                t["moved"],
            ],
            [
                [
                    i,
                    u.label,
                    u.measure,
                    u.owner,
                    u.deadline,
                    u.target_text,
                    u.prev_text,
                    u.value_text,
                    u.moved_text,
                ]
                for i, u in enumerate(form.follow_ups, start=1)
            ],
        )
    else:
        doc.add_paragraph(t["no_previous_form"].format(month=form.previous_month))
    _box(doc, t["effect"])


def _docx_main_problems(doc: Any, form: RectifyForm) -> None:
    """Section 3: the KPIs that lost most, the complaint hot spots, the drops, the cause box."""
    t = form.t
    doc.add_heading(t["s3"], level=1)
    doc.add_paragraph().add_run(t["top_lost"]).bold = True
    if form.top_lost:
        _table(
            doc,
            [t["no"], t["kpi"], t["value"], t["full_at"], t["lost"], t["share_of_lost"]],
            [
                [
                    i,
                    k.label,
                    k.value_text,
                    k.full_text,
                    pts2(k.lost),
                    pct1(k.lost / form.lost_total if form.lost_total else 0),
                ]
                for i, k in enumerate(form.top_lost, start=1)
            ],
        )
    else:
        doc.add_paragraph(t["no_lost"])
    doc.add_paragraph().add_run(t["hot_spots"]).bold = True
    if form.hot_spots:
        _table(
            doc,
            [t["no"], t["category"], t["count"], t["share"], t["all_share"]],
            [
                [i, h.category, h.count, pct1(h.share), pct1(h.all_share)]
                for i, h in enumerate(form.hot_spots, start=1)
            ],
        )
    else:
        doc.add_paragraph(t["no_complaints"])
    _docx_drops(doc, form)
    _box(doc, t["cause"], 6)


def _docx_drops(doc: Any, form: RectifyForm) -> None:
    """Section 3's KPIs that dropped against the previous month (or why there are none)."""
    t = form.t
    doc.add_paragraph().add_run(t["drops"].format(month=form.previous_month)).bold = True
    if form.drops:
        _table(
            doc,
            [
                t["no"],
                t["kpi"],
                t["prev_value"],
                t["cur_value"],
                t["prev_points"],
                t["points"],
                t["delta"],
            ],
            [
                [
                    i,
                    d.label,
                    d.prev_text,
                    d.value_text,
                    pts2(d.prev_points),
                    pts2(d.points),
                    signed(d.delta),
                ]
                for i, d in enumerate(form.drops, start=1)
            ],
        )
    else:
        doc.add_paragraph(t["no_drops"] if form.has_previous_month else t["no_previous_month"])


def _docx_plan_and_signatures(doc: Any, form: RectifyForm) -> None:
    """Section 4's plan rows, section 5's coordination box, the signature line and the footer."""
    t, v = form.t, form.view
    doc.add_heading(t["s4"], level=1)
    doc.add_paragraph(t["plan_note"].format(month_end=form.month_end.isoformat()))
    _table(
        doc,
        [t["no"], t["problem"], t["measure"], t["owner"], t["deadline"], t["target"]],
        [[p.no, p.problem, "", "", "", p.target_text if p.kpi_id else ""] for p in form.plan],
    )

    doc.add_heading(t["s5"], level=1)
    _box(doc, t["coordination"])

    doc.add_paragraph()
    _table(doc, [t["signer"], t["fill_date"], t["center"]], [["", "", ""]])
    doc.add_paragraph(
        f"svcqa · {v.rubric_id} · {v.month}"
        + (f" · {t['generated']} {form.generated_at}" if form.generated_at else "")
    )
