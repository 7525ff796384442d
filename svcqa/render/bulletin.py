"""The monthly appeals bulletin (申诉月度通报): HTML and XLSX from the appeal status records.

The records are what ``svcqa appeal status --format json`` prints (the shared contract: month,
branch, table, id, status pending/accepted/rejected/late, decision, points_restored, before and
after with total, rank, grade and coefficient). Per branch: its appeals with the decision and its
reason, the points restored, and the total, rank and grade before -> after once the month was
re-scored; the totals count filed, accepted, rejected, late and pending appeals. Pure: records
come in, text or a file comes out; the job passes the records.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import xlsxwriter

from svcqa.labels import appeal_labels
from svcqa.output import atomic_target, xml_safe
from svcqa.render.environment import make_environment
from svcqa.render.formats import pts2

STATUSES = ("accepted", "rejected", "late", "pending")


@dataclass(frozen=True)
class BulletinLine:
    """One appeal as the bulletin shows it."""

    table: str
    row_id: str
    kpi_id: str
    reason: str
    status: str
    status_text: str
    decision_reason: str
    decided_by: str
    decided_at: str
    adjust_days: float | None
    note: str


@dataclass(frozen=True)
class BulletinBranch:
    """One branch's appeals and, once re-scored, its figures before and after."""

    branch: str
    counts: dict[str, int]
    lines: tuple[BulletinLine, ...]
    points_restored: float | None
    before: Mapping[str, Any] | None
    after: Mapping[str, Any] | None


@dataclass(frozen=True)
class Bulletin:
    month: str
    lang: str
    generated_at: str
    totals: dict[str, int]
    branches: tuple[BulletinBranch, ...]


def build_bulletin(
    month: str,
    records: Sequence[Mapping[str, Any]],
    *,
    lang: str = "zh",
    now: datetime | None = None,
) -> Bulletin:
    """Group the status records by branch (branches in order of first appearance)."""
    t = appeal_labels(lang)
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for r in records:
        groups.setdefault(str(r.get("branch_key") or r["branch"]), []).append(r)
    branches = tuple(_branch(rows, t) for rows in groups.values())
    totals = {s: sum(b.counts[s] for b in branches) for s in STATUSES}
    totals["filed"] = len(records)
    return Bulletin(
        month=str(month),
        lang=lang,
        generated_at=now.strftime("%Y-%m-%d %H:%M") if now else "",
        totals=totals,
        branches=branches,
    )


def _branch(rows: list[Mapping[str, Any]], t: Mapping[str, str]) -> BulletinBranch:
    counts = {s: sum(1 for r in rows if r["status"] == s) for s in STATUSES}
    counts["filed"] = len(rows)
    applied = [r for r in rows if r.get("applied") and r.get("after") is not None]
    first = applied[0] if applied else None
    return BulletinBranch(
        branch=str(rows[0]["branch"]),
        counts=counts,
        lines=tuple(_line(r, t) for r in rows),
        points_restored=_number(first.get("points_restored")) if first else None,
        before=first.get("before") if first else None,
        after=first.get("after") if first else None,
    )


def _line(r: Mapping[str, Any], t: Mapping[str, str]) -> BulletinLine:
    decision = r.get("decision") or {}
    notes = []
    if r.get("superseded"):
        notes.append(f"{len(r['superseded'])} × {t['b_superseded']}")
    if r.get("row_found") is False:
        notes.append(t["b_row_missing"])
    return BulletinLine(
        table=t.get(str(r["table"]), str(r["table"])),
        row_id=str(r["id"]),
        kpi_id=str(r.get("kpi_id") or ""),
        reason=str(r.get("reason") or ""),
        status=str(r["status"]),
        status_text=t.get(f"b_{r['status']}", str(r["status"])),
        decision_reason=str(decision.get("reason") or ""),
        decided_by=str(decision.get("decided_by") or ""),
        decided_at=str(decision.get("decided_at") or "")[:16].replace("T", " "),
        adjust_days=_number(decision.get("adjust_days")),
        note="; ".join(notes),
    )


def _number(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def figures_text(side: Mapping[str, Any] | None, t: Mapping[str, str]) -> str:
    """ "86.20 · 第 12 名 · 良好": a branch's total, rank and grade on one side of an appeal."""
    if side is None:
        return "—"
    rank = side.get("rank")
    parts = [pts2(side.get("total")), t["b_rank_of"].format(rank=rank) if rank else "—"]
    return " · ".join([*parts, str(side.get("grade") or "—")])


def render_bulletin_html(
    month: str,
    records: Sequence[Mapping[str, Any]],
    *,
    lang: str = "zh",
    now: datetime | None = None,
    template_dir: Path | None = None,
) -> str:
    """The self-contained HTML bulletin (inline CSS, no scripts, no network)."""
    bulletin = build_bulletin(month, records, lang=lang, now=now)
    t = appeal_labels(lang)
    env = make_environment(template_dir)
    return env.get_template("bulletin.html").render(
        b=bulletin, t=t, statuses=STATUSES, figures=lambda side: figures_text(side, t)
    )


def write_bulletin_xlsx(
    month: str,
    records: Sequence[Mapping[str, Any]],
    path: Path,
    *,
    lang: str = "zh",
    now: datetime | None = None,
) -> Path:
    """The bulletin as a workbook: a summary sheet (per branch, totals) and every appeal."""
    bulletin = build_bulletin(month, records, lang=lang, now=now)
    t = appeal_labels(lang)
    with atomic_target(path) as tmp:
        wb = xlsxwriter.Workbook(
            str(tmp),
            {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False},
        )
        wb.set_properties(
            {
                "title": f"{month} {t['b_title']}",
                "author": "svcqa",
                "created": now or datetime(2000, 1, 1),
            }
        )
        head = wb.add_format({"bold": True, "bg_color": "#1F4E79", "font_color": "#FFFFFF"})
        _summary_sheet(wb.add_worksheet(t["b_summary"]), bulletin, t, head)
        _appeals_sheet(wb.add_worksheet(t["b_branches"]), bulletin, t, head)
        wb.close()
    return path


def _put(ws: Any, row: int, col: int, value: Any) -> None:
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        ws.write_number(row, col, value)
    elif value is None or value == "":
        ws.write_blank(row, col, None)
    else:
        ws.write_string(row, col, xml_safe(str(value)))


def _summary_sheet(ws: Any, b: Bulletin, t: Mapping[str, str], head: Any) -> None:
    """One row per branch, then the totals row."""
    header = [t["branch"], t["b_filed"], *(t[f"b_{s}"] for s in STATUSES), t["b_points"]]
    header += [f"{t['b_before']} {t['total']}", f"{t['b_after']} {t['total']}"]
    header += [f"{t['b_before']} {t['rank']}", f"{t['b_after']} {t['rank']}"]
    header += [f"{t['b_before']} {t['grade']}", f"{t['b_after']} {t['grade']}"]
    for c, text in enumerate(header):
        ws.write_string(0, c, text, head)
    row = 0
    for row, br in enumerate(b.branches, start=1):
        before, after = br.before or {}, br.after or {}
        values: list[Any] = [br.branch, br.counts["filed"], *(br.counts[s] for s in STATUSES)]
        values += [br.points_restored, before.get("total"), after.get("total")]
        values += [before.get("rank"), after.get("rank"), before.get("grade"), after.get("grade")]
        for c, value in enumerate(values):
            _put(ws, row, c, value)
    totals = [t["b_total"], b.totals["filed"], *(b.totals[s] for s in STATUSES)]
    ws.write_string(row + 1, 0, totals[0], head)
    for c, value in enumerate(totals[1:], start=1):
        _put(ws, row + 1, c, value)
    ws.set_column(0, 0, 28)
    ws.set_column(1, len(header) - 1, 12)
    ws.freeze_panes(1, 1)


def _appeals_sheet(ws: Any, b: Bulletin, t: Mapping[str, str], head: Any) -> None:
    """Every appeal with its decision."""
    header = [t["branch"], t["table"], t["row_id"], t["kpi"], t["reason"], t["b_status"]]
    header += [t["b_decision_reason"], t["b_decided_by"], t["b_decided_at"], t["b_adjust"]]
    for c, text in enumerate(header):
        ws.write_string(0, c, text, head)
    row = 1
    for br in b.branches:
        for line in br.lines:
            values: list[Any] = [br.branch, line.table, line.row_id, line.kpi_id, line.reason]
            values += [line.status_text, line.decision_reason, line.decided_by, line.decided_at]
            values += [line.adjust_days]
            for c, value in enumerate(values):
                _put(ws, row, c, value)
            row += 1
    for c, width in enumerate((28, 8, 22, 16, 36, 8, 36, 10, 16, 10)):
        ws.set_column(c, c, width)
    ws.freeze_panes(1, 0)
