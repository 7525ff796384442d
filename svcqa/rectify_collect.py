"""Collecting filled-in rectification forms: read the XLSX back, validate it by cell, record it.

A returned form is untrusted input. It must be a form this history store issued (its hidden
metadata names the form id); every cell outside the input cells must still hold what was issued
(the issued values are in the store, not only in the file); every section-4 row needs a measure,
an owner and a deadline after the assessed month; targets must be numbers. Each problem is a
``Finding`` naming file, sheet, cell and reason. Per form: a form with any problem records
nothing; the valid forms of a batch are recorded in one transaction (``history.rectify``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from svcqa import clock
from svcqa.errors import UsageError
from svcqa.models import Finding


@dataclass(frozen=True)
class CollectRun:
    """What ``collect_forms`` did: the forms recorded and every problem found (by file and cell)."""

    recorded: list[Any]  # history.rectify.CollectedForm
    problems: list[Finding]
    checked: int

    @property
    def ok(self) -> bool:
        return not self.problems


MAX_LOCKED_EDITS = 10  # listed per form; more means the layout itself was changed
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _as_date(value: Any) -> date:
    """An Excel date cell or an ISO ``YYYY-MM-DD`` text; ValueError for anything else."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and _ISO_DATE.match(value.strip()):
        return date.fromisoformat(value.strip())
    raise ValueError(value)


def _as_number(value: Any) -> float:
    """A number cell, or text such as ``0.03``, ``3%`` or ``4.5``; ValueError for anything else."""
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, int | float):
        return float(value)
    text = str(value).strip().replace(",", "")
    if text.endswith("%"):
        return float(text[:-1]) / 100
    number = float(text)
    if math.isnan(number) or math.isinf(number):
        raise ValueError(value)
    return number


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


class _Problems:
    """Problems of one file, each located by sheet and cell as the user sees it in Excel."""

    def __init__(self, name: str):
        self.name = name
        self.items: list[Finding] = []

    def add(
        self, code: str, reason: str, *, sheet: str = "", cell: str = "", value: Any = None
    ) -> None:
        from openpyxl.utils.cell import coordinate_from_string

        where = (
            f"file {self.name}"
            + (f", sheet {sheet!r}" if sheet else "")
            + (f", cell {cell}" if cell else "")
        )
        column, row = coordinate_from_string(cell) if cell else ("", None)
        self.items.append(
            Finding(
                code=code,
                message=f"{where}: {reason}",
                file=self.name,
                sheet=sheet,
                row=row,
                column=column,
                value="" if value is None else str(value),
            )
        )


def _cell_order(ref: str) -> tuple[int, int]:
    from openpyxl.utils.cell import column_index_from_string, coordinate_from_string

    column, row = coordinate_from_string(ref)
    return row, column_index_from_string(column)


def check_form(store: Any, path: Path, *, now: datetime) -> tuple[list[Finding], Any]:
    """Validate one filled-in form against its issued record; (problems, CollectedForm or None)."""
    from svcqa.history import file_sha256
    from svcqa.history import forms as forms_db
    from svcqa.render.rectify_xlsx import META_SHEET, NotAForm, normalise, read_filled_form

    problems = _Problems(path.name)
    if not path.is_file():
        problems.add("missing-file", "no such file; give the path of a filled-in form (.xlsx)")
        return problems.items, None
    try:
        filled = read_filled_form(path)
    except NotAForm as exc:
        problems.add(exc.code, str(exc))
        return problems.items, None
    issued = forms_db.issued_form(store, filled.meta.get("form_id", ""))
    if issued is None:
        problems.add(
            "unknown-form",
            f"form id {filled.meta.get('form_id', '')!r} was not issued from history store {store.path}; "
            "collect it with the --db it was issued from, or issue the form again with svcqa rectify",
            sheet=META_SHEET,
        )
        return problems.items, None
    if (filled.meta.get("branch_key"), filled.meta.get("month")) != (
        issued.branch_key,
        issued.month,
    ) or not issued.layout:
        problems.add(
            "bad-metadata",
            f"the form's metadata does not match the issued form {issued.form_id} ({issued.branch}, {issued.month}); use the file as issued",
            sheet=META_SHEET,
        )
        return problems.items, None
    layout = issued.layout
    sheet = layout["sheet"]
    if sheet not in filled.cells:
        problems.add(
            "missing-sheet",
            f"the sheet {sheet!r} is missing (found {', '.join(s for s in filled.sheets if s != META_SHEET)}); use the file as issued",
        )
        return problems.items, None
    cells = filled.cells[sheet]
    rows = layout["rows"]
    inputs = set(layout["inputs"].values()) | {
        r[name] for r in rows for name in ("measure", "owner", "deadline", "target")
    }
    inputs |= {r["problem"] for r in rows if not r["seeded"]}
    edited = [
        ref
        for ref in sorted(set(issued.locked_cells) | set(cells), key=_cell_order)
        if ref not in inputs
        and normalise(cells.get(ref)) != normalise(issued.locked_cells.get(ref))
    ]
    for ref in edited[:MAX_LOCKED_EDITS]:
        was, now_value = issued.locked_cells.get(ref), cells.get(ref)
        problems.add(
            "locked-cell-edited",
            f"changed outside the input cells (issued {'blank' if was is None else repr(normalise(was))}, "
            f"now {'blank' if now_value is None else repr(normalise(now_value))}); fill in only the yellow cells of the form as issued",
            sheet=sheet,
            cell=ref,
            value=now_value,
        )
    if len(edited) > MAX_LOCKED_EDITS:
        problems.add(
            "locked-cell-edited",
            f"{len(edited) - MAX_LOCKED_EDITS} more cells outside the input cells were changed (rows inserted or deleted?)",
            sheet=sheet,
        )

    month_end = date.fromisoformat(layout["month_end"])
    example = month_end + timedelta(days=1)  # the first day after the month, for the hints
    labels = {
        "problem": "问题 (problem)",
        "measure": "整改措施 (measure)",
        "owner": "责任人 (owner)",
        "deadline": "完成时限 (deadline)",
    }
    measures = []
    for r in rows:
        values = {
            name: cells.get(r[name])
            for name in ("problem", "measure", "owner", "deadline", "target")
        }
        if r["seeded"]:
            values["problem"] = issued.locked_cells.get(r["problem"], "")
        typed = [name for name in ("measure", "owner", "deadline") if _text(values[name])]
        if not r["seeded"] and not typed and not _text(values["problem"]):
            continue  # an unused blank row (a target value alone does not make a measure)
        for name in ("problem", "measure", "owner", "deadline"):
            if not _text(values[name]):
                problems.add(
                    f"missing-{name}",
                    f"{labels[name]} is empty in section 4, row {r['no']}; fill it in",
                    sheet=sheet,
                    cell=r[name],
                )
        deadline: date | None = None
        if _text(values["deadline"]):
            try:
                deadline = _as_date(values["deadline"])
            except ValueError:
                problems.add(
                    "bad-deadline",
                    f"deadline {values['deadline']!r} is not a date; enter a date after {month_end.isoformat()}, such as {example.replace(day=28).isoformat()}",
                    sheet=sheet,
                    cell=r["deadline"],
                    value=values["deadline"],
                )
            else:
                if deadline <= month_end:
                    problems.add(
                        "early-deadline",
                        f"deadline {deadline.isoformat()} is not after the end of the assessed month ({month_end.isoformat()}); give a later date",
                        sheet=sheet,
                        cell=r["deadline"],
                        value=deadline.isoformat(),
                    )
        target = None
        if values["target"] is not None and _text(values["target"]):
            try:
                target = _as_number(values["target"])
            except ValueError:
                problems.add(
                    "bad-target",
                    f"target value {values['target']!r} is not a number; enter a number such as 0.03, 3% or 4.5",
                    sheet=sheet,
                    cell=r["target"],
                    value=values["target"],
                )
        measures.append(
            forms_db.Measure(
                row=int(r["no"]),
                kpi_id=r["kpi_id"],
                problem=_text(values["problem"]),
                measure=_text(values["measure"]),
                owner=_text(values["owner"]),
                deadline=deadline.isoformat() if deadline else "",
                target=target,
            )
        )
    texts: dict[str, str] = {}
    for role, ref in layout["inputs"].items():
        value = cells.get(ref)
        if role in ("fill_date", "sign_date") and value is not None and _text(value):
            try:
                texts[role] = _as_date(value).isoformat()
            except ValueError:
                problems.add(
                    "bad-date",
                    f"{role.replace('_', ' ')} {value!r} is not a date; enter a date such as {example.replace(day=5).isoformat()} or leave it blank",
                    sheet=sheet,
                    cell=ref,
                    value=value,
                )
        else:
            texts[role] = _text(value)
    if problems.items:
        return problems.items, None
    return [], forms_db.CollectedForm(
        form_id=issued.form_id,
        branch_key=issued.branch_key,
        month=issued.month,
        collected_at=now.isoformat(),
        source_file=str(path),
        source_sha256=file_sha256(path),
        texts=texts,
        measures=measures,
    )


def collect_forms(
    db: Path | None, paths: Sequence[Path], *, now: datetime | None = None
) -> CollectRun:
    """Validate filled-in XLSX forms and record the valid ones' measures in the history store.

    Per form: a form with any problem records nothing; the valid forms of the batch are recorded
    together in one transaction, each replacing its branch-month's earlier return. Problems name
    file, sheet, cell and the reason.
    """
    from svcqa.history import HistoryStore, resolve_db_path
    from svcqa.history import forms as forms_db

    if not paths:
        raise UsageError("give one or more filled-in form files (.xlsx)")
    now = now or clock.now()
    recorded: list[Any] = []
    problems: list[Finding] = []
    with HistoryStore(resolve_db_path(db), create=False) as store:
        for path in paths:
            found, collected = check_form(store, Path(path), now=now)
            problems += found
            if collected is not None:
                recorded.append(collected)
        if recorded:
            forms_db.record_collected(store, recorded)
    return CollectRun(recorded=recorded, problems=problems, checked=len(paths))


__all__ = ["CollectRun", "check_form", "collect_forms"]
