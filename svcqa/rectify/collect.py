"""Checking a filled-in rectification form against the form as issued, cell by cell.

A returned form is untrusted input. It must be a form this history store issued (its hidden
metadata names the form id); every cell outside the input cells must still hold what was issued
(the issued values are in the store, not only in the file); every section-4 row needs a measure,
an owner and a deadline after the assessed month; targets must be numbers. Each problem is a
``Finding`` naming file, sheet, cell and reason. Pure: the workbook's cells and the issued record
come in, the measures or the problems come out; ``svcqa.jobs.rectify`` looks the issued record
up and records the valid forms.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Any, Protocol

from svcqa.fillable.cells import Problems, cell_text, check_locked_cells
from svcqa.ingest import Limits
from svcqa.models import Finding, Measure
from svcqa.rectify.xlsx import META_SHEET, FilledForm, NotAForm, read_filled_form

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_LABELS = {
    "problem": "问题 (problem)",
    "measure": "整改措施 (measure)",
    "owner": "责任人 (owner)",
    "deadline": "完成时限 (deadline)",
}


class IssuedRecord(Protocol):
    """What the check needs of an issued form as the store recorded it (``IssuedForm``)."""

    @property
    def form_id(self) -> str: ...
    @property
    def branch_key(self) -> str: ...
    @property
    def branch(self) -> str: ...
    @property
    def month(self) -> str: ...
    @property
    def layout(self) -> dict[str, Any]: ...
    @property
    def locked_cells(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class CheckedForm:
    """A returned form with no problem: whose it is, its text boxes and its measures."""

    form_id: str
    branch_key: str
    month: str
    texts: dict[str, str] = field(default_factory=dict)
    measures: list[Measure] = field(default_factory=list)


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


def read_returned_form(path: Path, limits: Limits) -> tuple[list[Finding], FilledForm | None]:
    """The returned workbook's cells, or why it cannot be read as a form (missing, unsafe, not
    a workbook, no form metadata) as findings."""
    problems = Problems(path.name)
    if not path.is_file():
        problems.add("missing-file", "no such file; give the path of a filled-in form (.xlsx)")
        return problems.items, None
    try:
        return [], read_filled_form(path, limits)
    except NotAForm as exc:
        problems.add(exc.code, str(exc))
        return problems.items, None


def check_form(
    filled: FilledForm, issued: IssuedRecord | None, *, file_name: str, store_path: Path | str
) -> tuple[list[Finding], CheckedForm | None]:
    """Validate one filled-in form against its issued record (None: the store has no form of
    that id); (problems, the checked form when there is no problem)."""
    problems = Problems(file_name)
    cells = _form_cells(filled, issued, problems, store_path)
    if cells is None or issued is None:
        return problems.items, None
    layout = issued.layout
    _check_locked_cells(cells, issued, problems)
    formulas = filled.formulas.get(layout["sheet"], {})
    measures = _check_plan_rows(cells, issued, problems, formulas)
    texts = _check_text_boxes(cells, layout, problems)
    if problems.items:
        return problems.items, None
    checked = CheckedForm(issued.form_id, issued.branch_key, issued.month, texts, measures)
    return [], checked


def _form_cells(
    filled: FilledForm, issued: IssuedRecord | None, problems: Problems, store_path: Path | str
) -> dict[str, Any] | None:
    """The form sheet's cells when the file is the issued form of its branch and month, else
    None with the reason added to ``problems``."""
    if issued is None:
        problems.add(
            "unknown-form",
            f"form id {filled.meta.get('form_id', '')!r} was not issued from history store {store_path}; "
            "collect it with the --db it was issued from, or issue the form again with svcqa rectify",
            sheet=META_SHEET,
        )
        return None
    if (filled.meta.get("branch_key"), filled.meta.get("month")) != (
        issued.branch_key,
        issued.month,
    ) or not issued.layout:
        problems.add(
            "bad-metadata",
            f"the form's metadata does not match the issued form {issued.form_id} ({issued.branch}, {issued.month}); use the file as issued",
            sheet=META_SHEET,
        )
        return None
    sheet = issued.layout["sheet"]
    if sheet not in filled.cells:
        problems.add(
            "missing-sheet",
            f"the sheet {sheet!r} is missing (found {', '.join(s for s in filled.sheets if s != META_SHEET)}); use the file as issued",
        )
        return None
    return filled.cells[sheet]


def _check_locked_cells(cells: Mapping[str, Any], issued: IssuedRecord, problems: Problems) -> None:
    """Every cell outside the input cells must hold what was issued (blank stays blank)."""
    layout = issued.layout
    rows = layout["rows"]
    inputs = set(layout["inputs"].values()) | {
        r[name] for r in rows for name in ("measure", "owner", "deadline", "target")
    }
    inputs |= {r["problem"] for r in rows if not r["seeded"]}
    check_locked_cells(cells, issued.locked_cells, inputs, problems, sheet=layout["sheet"])


_TEXT_FIELDS = ("problem", "measure", "owner", "deadline")
# Text the branch types: a formula there is refused (a deadline or target may be computed).
_NO_FORMULA = ("problem", "measure", "owner")


def _check_plan_rows(
    cells: Mapping[str, Any],
    issued: IssuedRecord,
    problems: Problems,
    formulas: Mapping[str, str] = MappingProxyType({}),
) -> list[Measure]:
    """Section 4: each seeded row, and each blank row the branch used, becomes a measure."""
    layout = issued.layout
    month_end = date.fromisoformat(layout["month_end"])
    measures = []
    for r in layout["rows"]:
        values = {
            name: cells.get(r[name])
            for name in ("problem", "measure", "owner", "deadline", "target")
        }
        if r["seeded"]:
            values["problem"] = issued.locked_cells.get(r["problem"], "")
        typed = [name for name in ("measure", "owner", "deadline") if cell_text(values[name])]
        formula = {name: formulas[r[name]] for name in _NO_FORMULA if r[name] in formulas}
        if not r["seeded"] and not typed and not formula and not cell_text(values["problem"]):
            continue  # an unused blank row (a target value alone does not make a measure)
        measures.append(_check_plan_row(r, values, month_end, layout["sheet"], problems, formula))
    return measures


def _check_plan_row(
    r: Mapping[str, Any],
    values: Mapping[str, Any],
    month_end: date,
    sheet: str,
    problems: Problems,
    formula: Mapping[str, str] | None = None,
) -> Measure:
    """One used plan row: every field filled in (as text, not a formula), a deadline after the
    month, a numeric target."""
    example = month_end + timedelta(days=1)  # the first day after the month, for the hints
    for name in _TEXT_FIELDS:
        if formula and name in formula:
            problems.add(
                "formula-in-cell",
                f"{_LABELS[name]} holds a formula ({formula[name][:60]}) in section 4, row {r['no']}; "
                "a formula is not accepted there: type the text itself",
                sheet=sheet,
                cell=r[name],
                value=formula[name],
            )
        elif not cell_text(values[name]):
            problems.add(
                f"missing-{name}",
                f"{_LABELS[name]} is empty in section 4, row {r['no']}; fill it in",
                sheet=sheet,
                cell=r[name],
            )
    deadline: date | None = None
    if cell_text(values["deadline"]):
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
    if values["target"] is not None and cell_text(values["target"]):
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
    return Measure(
        row=int(r["no"]),
        kpi_id=r["kpi_id"],
        problem=cell_text(values["problem"]),
        measure=cell_text(values["measure"]),
        owner=cell_text(values["owner"]),
        deadline=deadline.isoformat() if deadline else "",
        target=target,
    )


def _check_text_boxes(
    cells: Mapping[str, Any], layout: Mapping[str, Any], problems: Problems
) -> dict[str, str]:
    """The text boxes and signature as typed; the two dates, when given, must be dates."""
    example = date.fromisoformat(layout["month_end"]) + timedelta(days=1)
    texts: dict[str, str] = {}
    for role, ref in layout["inputs"].items():
        value = cells.get(ref)
        if role in ("fill_date", "sign_date") and value is not None and cell_text(value):
            try:
                texts[role] = _as_date(value).isoformat()
            except ValueError:
                problems.add(
                    "bad-date",
                    f"{role.replace('_', ' ')} {value!r} is not a date; enter a date such as {example.replace(day=5).isoformat()} or leave it blank",
                    sheet=layout["sheet"],
                    cell=ref,
                    value=value,
                )
        else:
            texts[role] = cell_text(value)
    return texts
