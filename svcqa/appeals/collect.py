"""Reading returned appeal forms (申诉表) into ``AppealRequest``s, cell by cell.

A returned form is untrusted input, read under the caller's limits (``svcqa.fillable.reading``)
and checked with the same rigour as a rectification form: it must be an appeal form written by
svcqa (its hidden record names the form, branch and month, and the record's checksum holds);
every cell outside the input cells must still hold what was issued; a row marked 申诉 = 是 (yes)
needs a 申诉理由 (reason); 申诉 takes 是/否 (yes/no) only; a reason on a row not marked 是 is a
problem too (an appeal is never guessed); formulas are refused in the input cells. Each problem
is a ``Finding`` naming file, sheet, cell, the value and the fix, and a form with any problem
gives no request at all.

A row cost points in several KPIs is listed once per KPI; marked 是 on more than one line it
is one appeal: one ``AppealRequest`` per (table, row id), its ``kpi_id`` the KPIs in form order
joined by ",", its distinct reasons and references joined by " / ".

``issued`` (optional, form id -> the ``locked_sha256`` recorded when the form was issued) lets a
store vouch for the form: a form id it does not know, or a different checksum, is refused.
Without it the form's own record is trusted once its checksum holds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from svcqa.appeals.xlsx import FORM_KIND, LOCKED_MARK, META_SHEET, ROW_FIELDS, ROWS_MARK
from svcqa.fillable.cells import Problems, cell_text, check_locked_cells
from svcqa.fillable.reading import FilledForm, NotAForm, read_form_workbook
from svcqa.fillable.sheet import locked_hash
from svcqa.ingest.safety.limits import Limits
from svcqa.models import APPEAL_ROW_ID, AppealRequest, Finding, Month

YES = frozenset({"是", "yes", "y"})
NO = frozenset({"否", "no", "n"})
_COMMAND = "svcqa appeal forms"


@dataclass(frozen=True)
class AppealCollection:
    """What ``read_appeal_forms`` found: the requests of the forms with no problem, and every
    problem (by file, sheet and cell)."""

    requests: list[AppealRequest] = field(default_factory=list)
    problems: list[Finding] = field(default_factory=list)
    checked: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class _Record:
    """The form's hidden record: its identity, its rows and its locked cells as issued."""

    meta: dict[str, str]
    month: Month
    rows: list[dict[str, str]]
    locked: dict[str, Any]


def read_appeal_forms(
    paths: Sequence[Path | str],
    *,
    limits: Limits | None = None,
    issued: Mapping[str, str] | None = None,
) -> AppealCollection:
    """Check each returned appeal form and gather the appeals of the forms with no problem."""
    limits = limits or Limits()
    requests: list[AppealRequest] = []
    problems: list[Finding] = []
    for path in map(Path, paths):
        found, got = _read_one(path, limits, issued)
        problems += found
        requests += got
    return AppealCollection(requests=requests, problems=problems, checked=len(paths))


def _read_one(
    path: Path, limits: Limits, issued: Mapping[str, str] | None
) -> tuple[list[Finding], list[AppealRequest]]:
    problems = Problems(path.name)
    if not path.is_file():
        problems.add(
            "missing-file", "no such file; give the path of a filled-in appeal form (.xlsx)"
        )
        return problems.items, []
    try:
        filled = read_form_workbook(
            path, limits, meta_sheet=META_SHEET, kind="appeal form", command=_COMMAND
        )
    except NotAForm as exc:
        problems.add(exc.code, str(exc))
        return problems.items, []
    record = _record(filled, problems, issued)
    if record is None:
        return problems.items, []
    sheet = record.meta["sheet"]
    if sheet not in filled.cells:
        others = ", ".join(s for s in filled.sheets if s != META_SHEET)
        problems.add(
            "missing-sheet",
            f"the sheet {sheet!r} is missing (found {others}); use the file as issued",
        )
        return problems.items, []
    cells = filled.cells[sheet]
    inputs = {r[name] for r in record.rows for name in ("appeal", "reason", "reference")}
    check_locked_cells(cells, record.locked, inputs, problems, sheet=sheet)
    formulas = filled.formulas.get(sheet, {})
    marked = [r for r in record.rows if _row_marked(r, cells, formulas, problems, sheet)]
    if problems.items:
        return problems.items, []
    return [], _requests(record, marked, cells, path.name)


def _record(
    filled: FilledForm, problems: Problems, issued: Mapping[str, str] | None
) -> _Record | None:
    """The hidden record when it is an appeal form's and unchanged, else None with the reason."""
    meta = filled.meta
    if meta.get("form_kind") != FORM_KIND:
        problems.add(
            "bad-metadata",
            f"the hidden record does not name an appeal form; collect the forms written by {_COMMAND}",
            sheet=META_SHEET,
        )
        return None
    raw = filled.cells.get(META_SHEET, {})
    rows, locked = _tables(raw)
    try:
        month = Month.parse(meta.get("month", ""))
        intact = locked_hash(locked) == meta.get("locked_sha256") and len(rows) == int(
            meta.get("rows", "-1")
        )
    except ValueError:
        intact = False
    if not intact:
        problems.add(
            "bad-metadata",
            "the form's hidden record was changed (its checksum does not match); use the file as issued",
            sheet=META_SHEET,
        )
        return None
    form_id = meta.get("form_id", "")
    if issued is not None and issued.get(form_id) != meta["locked_sha256"]:
        problems.add(
            "unknown-form",
            f"form id {form_id!r} was not issued as this file from the history store given; "
            f"collect the file as issued, or issue the form again with {_COMMAND}",
            sheet=META_SHEET,
        )
        return None
    return _Record(meta=meta, month=month, rows=rows, locked=locked)


def _tables(raw: Mapping[str, Any]) -> tuple[list[dict[str, str]], dict[str, Any]]:
    """The record's rows table and locked-cells table, found by their header cells in column A."""
    last = max((int("".join(ch for ch in ref if ch.isdigit())) for ref in raw), default=0)
    rows: list[dict[str, str]] = []
    locked: dict[str, Any] = {}
    mode = ""
    columns = "ABCDEFG"[: len(ROW_FIELDS)]
    for r in range(1, last + 1):
        head = raw.get(f"A{r}")
        if head is None:
            mode = "" if mode == "rows" else mode
            continue
        if head == ROWS_MARK and raw.get(f"B{r}") == "table":
            mode = "rows"
        elif head == LOCKED_MARK and raw.get(f"B{r}") == "value":
            mode = "locked"
        elif mode == "rows":
            rows.append({n: cell_text(raw.get(f"{c}{r}")) for n, c in zip(ROW_FIELDS, columns)})
        elif mode == "locked":
            locked[str(head)] = raw.get(f"B{r}")
    return rows, locked


def _row_marked(
    r: Mapping[str, str],
    cells: Mapping[str, Any],
    formulas: Mapping[str, str],
    problems: Problems,
    sheet: str,
) -> bool:
    """Whether row ``r`` is appealed; its problems (choice, reason, formulas) go to ``problems``."""
    for name in ("appeal", "reason", "reference"):
        if r[name] in formulas:
            problems.add(
                "formula-in-cell",
                f"{_label(name)} of row {r['row']} ({r['row_id']}) holds a formula "
                f"({formulas[r[name]][:60]}); type the text itself",
                sheet=sheet,
                cell=r[name],
                value=formulas[r[name]],
            )
    choice = cell_text(cells.get(r["appeal"])).lower()
    reason = cell_text(cells.get(r["reason"]))
    if choice and choice not in YES | NO:
        problems.add(
            "bad-appeal-choice",
            f"申诉 (appeal) of row {r['row']} ({r['row_id']}) is {choice!r}; choose 是 or 否 (yes or no)",
            sheet=sheet,
            cell=r["appeal"],
            value=cells.get(r["appeal"]),
        )
        return False
    if choice in YES and not reason:
        problems.add(
            "missing-appeal-reason",
            f"row {r['row']} ({r['row_id']}) is appealed (申诉 = 是) but 申诉理由 (reason) is empty; "
            "say why the row should not count",
            sheet=sheet,
            cell=r["reason"],
        )
    elif choice not in YES and reason:
        problems.add(
            "unmarked-appeal",
            f"row {r['row']} ({r['row_id']}) has a 申诉理由 (reason) but 申诉 is not 是 (yes); "
            "choose 是 to appeal the row, or clear the reason",
            sheet=sheet,
            cell=r["appeal"],
            value=cells.get(r["appeal"]),
        )
    return choice in YES


def _label(name: str) -> str:
    return {"appeal": "申诉 (appeal)", "reason": "申诉理由 (reason)"}.get(
        name, "佐证材料 (evidence)"
    )


def _requests(
    record: _Record, marked: list[dict[str, str]], cells: Mapping[str, Any], source: str
) -> list[AppealRequest]:
    """One request per appealed (table, row id), in form order; repeated lines merged."""
    merged: dict[tuple[str, str], dict[str, list[str]]] = {}
    for r in marked:
        if r["table"] not in APPEAL_ROW_ID:
            continue  # the writer lists appealable tables only; a record naming others is ignored
        entry = merged.setdefault((r["table"], r["row_id"]), {"kpi": [], "reason": [], "ref": []})
        for key, value in (
            ("kpi", r["kpi_id"]),
            ("reason", cell_text(cells.get(r["reason"]))),
            ("ref", cell_text(cells.get(r["reference"]))),
        ):
            if value and value not in entry[key]:
                entry[key].append(value)
    return [
        AppealRequest(
            month=record.month,
            branch=record.meta.get("branch", ""),
            table=table,
            row_id=row_id,
            reason=" / ".join(e["reason"]),
            reference=" / ".join(e["ref"]),
            kpi_id=",".join(e["kpi"]),
            source=source,
        )
        for (table, row_id), e in merged.items()
    ]
