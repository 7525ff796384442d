"""Rectification jobs: issue forms, collect them back, say what came back, follow up in reports.

The closed loop (SPEC 5): a branch ranked last or graded failing gets a form for the month
(``issue_forms``), fills in its measures, owners, deadlines and targets and sends the XLSX back
(``collect_forms`` validates it and records the measures), and next month's form and report
show each measure next to the KPI's new value (``report_follow_ups``). ``form_status`` says what
was issued, what came back and which measures are past their deadline.

Each job opens the history store, loads what it needs, calls the pure functions of
``svcqa.rectify`` and records the outcome in one transaction (``svcqa.history.forms``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from svcqa import clock
from svcqa.errors import NotFound, UsageError
from svcqa.history import HistoryStore, file_sha256, resolve_db_path
from svcqa.history import forms as forms_db
from svcqa.history.queries import find_branch
from svcqa.ingest import Limits
from svcqa.jobs.stored import StoredMonth, load_stored_month
from svcqa.labels import form_labels, output_language
from svcqa.models import Finding, Month
from svcqa.output import remove_stale_temps, replaced_together, write_text_atomic
from svcqa.rectify.collect import check_form, read_returned_form
from svcqa.rectify.document import render_form_html, write_form_docx
from svcqa.rectify.form import FollowUp, RectifyForm, build_form, follow_ups
from svcqa.rectify.issue import (
    FORMATS,
    check_form_formats,
    form_id,
    rectification_reasons,
    status_reason_text,
)
from svcqa.rectify.xlsx import FORM_VERSION, FormLayout, write_form_xlsx
from svcqa.render.report import ReportContext, report_stems
from svcqa.rubric import load_rubric_text
from svcqa.settings import month_folder


@dataclass(frozen=True)
class IssuedBranch:
    """One branch's issued form: why it was required, its id and the files written."""

    branch: str
    branch_key: str
    reasons: tuple[str, ...]
    reason_text: str
    form_id: str
    paths: tuple[Path, ...]


@dataclass(frozen=True)
class IssueRun:
    """What ``issue_forms`` wrote: the month, the folder and one entry per branch."""

    month: Month
    out_dir: Path
    forms: list[IssuedBranch]

    @property
    def paths(self) -> list[Path]:
        return [p for f in self.forms for p in f.paths]


@dataclass(frozen=True)
class CollectRun:
    """What ``collect_forms`` did: the forms recorded and every problem found (by file and cell)."""

    recorded: list[forms_db.CollectedForm]
    problems: list[Finding]
    checked: int

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        """What ``svcqa rectify collect --format json`` prints."""
        return {
            "checked": self.checked,
            "recorded": [
                {
                    "branch_key": f.branch_key,
                    "month": f.month,
                    "source_file": f.source_file,
                    "measures": len(f.measures),
                }
                for f in self.recorded
            ],
            "problems": [p.as_dict() for p in self.problems],
        }


def issue_forms(
    db: Path | None,
    *,
    month: Month | None = None,
    branch: str | None = None,
    out_dir: Path | None = None,
    formats: Sequence[str] = FORMATS,
    lang: str | None = None,
    now: datetime | None = None,
) -> IssueRun:
    """Write the form of ``branch``, or of every branch that must rectify, and record them as issued.

    The month defaults to the latest stored one; the scorecard, previous month and trend are
    loaded as the branch reports load them (``load_stored_month``), last period's collected
    measures come from the store. Each branch is issued all or nothing (``_issue_one``): its
    files replace their targets together, then it is recorded (with the XLSX's locked cells, so
    ``collect`` can check them); a failure on one branch leaves no file of it and no record.
    """
    if lang is not None:
        form_labels(lang)
    check_form_formats(formats)
    now = now or clock.now()
    with HistoryStore(resolve_db_path(db), create=False) as store:
        stored = load_stored_month(store, month)
        lang = output_language(lang, stored.language)
        keys = _branches_to_issue(store, stored, branch)
        stored = stored.in_language(lang)  # after the grades chose who must rectify
        scorecard, month = stored.scorecard, stored.month
        target = month_folder(month, out_dir, "rectify")
        if not keys:
            return IssueRun(month=month, out_dir=target, forms=[])
        context = ReportContext(
            scorecard,
            trend=stored.trend,
            previous=stored.previous,
            lang=lang,
            column_labels=stored.column_labels,
        )
        failing = load_rubric_text(store.run_info(month)["rubric_source"]).failing_grades
        if lang == "en":  # the grades as the English scorecard names them
            failing = tuple(scorecard.english.grade(g) or g for g in failing)
        earlier = forms_db.measures(store, month.prev(), keys)
        stems = report_stems(scorecard)
        issued: list[IssuedBranch] = []
        remove_stale_temps(target)  # a killed earlier issue's half-written files
        for key in keys:
            form = build_form(
                scorecard,
                key,
                context=context,
                previous=stored.previous,
                previous_measures=earlier[earlier["branch_key"] == key],
                failing_grades=failing,
                now=now,
            )
            form = replace(form, form_id=form_id(key, month, now))
            paths, layout = _issue_one(
                store, form, scorecard.rubric_id, target, stems[key], formats, now
            )
            issued.append(
                IssuedBranch(
                    form.view.branch, key, form.reasons, form.reason_text, form.form_id, paths
                )
            )
    return IssueRun(month=month, out_dir=target, forms=issued)


def _issue_one(
    store: HistoryStore,
    form: RectifyForm,
    rubric_id: str,
    target: Path,
    stem: str,
    formats: Sequence[str],
    now: datetime,
) -> tuple[tuple[Path, ...], FormLayout | None]:
    """One branch's form, all or nothing: every format is written (held back as temporary
    files, so a failure leaves no new file and a re-issue's earlier files whole), then they
    replace their targets together, then the form is recorded; if recording fails, the files
    this issue wrote are removed, so ``rectify status`` and the folder never disagree."""
    with replaced_together():
        paths, layout = _write_form_files(form, target, f"{stem}-rectify", formats, now)
    try:
        forms_db.record_issued(store, [_issued_record(form, rubric_id, paths, layout, now)])
    except BaseException:
        for path in paths:
            path.unlink(missing_ok=True)
        raise
    return paths, layout


def _branches_to_issue(store: HistoryStore, stored: StoredMonth, branch: str | None) -> list[str]:
    """The key of ``branch`` (NotFound when it has no result in the month), or of every branch
    that must rectify."""
    scorecard = stored.scorecard
    if branch is None:
        return [b.branch_key for b in scorecard.branches if rectification_reasons(b)]
    key = find_branch(store, branch)
    if scorecard.branch(key) is None:
        raise NotFound(
            f"branch {branch!r} has no result in {stored.month}; stored months: {', '.join(map(str, stored.months))}"
        )
    return [key]


def _write_form_files(
    form: RectifyForm, target: Path, stem: str, formats: Sequence[str], now: datetime
) -> tuple[tuple[Path, ...], FormLayout | None]:
    """The form's files in ``formats`` (xlsx, html, docx in that order) and the XLSX's layout."""
    paths: list[Path] = []
    layout = None
    if "xlsx" in formats:
        layout = write_form_xlsx(form, target / f"{stem}.xlsx", now=now)
        paths.append(target / f"{stem}.xlsx")
    if "html" in formats:
        paths.append(write_text_atomic(target / f"{stem}.html", render_form_html(form)))
    if "docx" in formats:
        paths.append(write_form_docx(form, target / f"{stem}.docx", now=now))
    return tuple(paths), layout


def _issued_record(
    form: RectifyForm,
    rubric_id: str,
    paths: Sequence[Path],
    layout: FormLayout | None,
    now: datetime,
) -> forms_db.IssuedForm:
    """What the store keeps of an issued form: files with their hashes, the XLSX's locked cells."""
    return forms_db.IssuedForm(
        form_id=form.form_id,
        branch_key=form.view.branch_key,
        branch=form.view.branch,
        month=str(form.month),
        issued_at=now.isoformat(),
        rubric_id=rubric_id,
        form_version=FORM_VERSION,
        reasons=list(form.reasons),
        due_date=form.due_date.isoformat(),
        files=[{"path": str(p), "sha256": file_sha256(p)} for p in paths],
        layout=layout.as_dict() if layout else {},
        locked_cells=layout.locked if layout else {},
        locked_sha256=layout.locked_sha256 if layout else "",
    )


def collect_forms(
    db: Path | None,
    paths: Sequence[Path],
    *,
    now: datetime | None = None,
    limits: Limits | None = None,
) -> CollectRun:
    """Validate filled-in XLSX forms and record the valid ones' measures in the history store.

    Per form: a form with any problem records nothing; the valid forms of the batch are recorded
    together in one transaction, each replacing its branch-month's earlier return. Problems name
    file, sheet, cell and the reason. ``limits`` bound each returned file as they bound exports
    (default: ``Limits()``; the CLI passes ``Limits.from_env()``).
    """
    if not paths:
        raise UsageError("give one or more filled-in form files (.xlsx)")
    now = now or clock.now()
    limits = limits or Limits()
    recorded: list[forms_db.CollectedForm] = []
    problems: list[Finding] = []
    with HistoryStore(resolve_db_path(db), create=False) as store:
        for path in paths:
            found, collected = _collect_one(store, Path(path), now, limits)
            problems += found
            if collected is not None:
                recorded.append(collected)
        if recorded:
            forms_db.record_collected(store, recorded)
    return CollectRun(recorded=recorded, problems=problems, checked=len(paths))


def _collect_one(
    store: HistoryStore, path: Path, now: datetime, limits: Limits
) -> tuple[list[Finding], forms_db.CollectedForm | None]:
    """One returned file: read it, check it against its issued record, and what to record."""
    found, filled = read_returned_form(path, limits)
    if filled is None:
        return found, None
    issued = forms_db.issued_form(store, filled.meta.get("form_id", ""))
    found, checked = check_form(filled, issued, file_name=path.name, store_path=store.path)
    if checked is None:
        return found, None
    return [], forms_db.CollectedForm(
        form_id=checked.form_id,
        branch_key=checked.branch_key,
        month=checked.month,
        collected_at=now.isoformat(),
        source_file=str(path),
        source_sha256=file_sha256(path),
        texts=checked.texts,
        measures=list(checked.measures),
    )


def form_status(
    db: Path | None, *, month: Month | None = None, today: date | None = None
) -> list[dict[str, Any]]:
    """Per issued form (latest issue per branch and month): returned or not, measures, overdue ones.

    A form not back after its due date is overdue; a measure is overdue when its deadline is
    before ``today`` (default: the real today; inject it in tests).
    """
    today = today or clock.today()
    with HistoryStore(resolve_db_path(db), create=False) as store:
        forms = forms_db.issued_forms(store, month)
        back = forms_db.returns(store, month)
        frame = forms_db.measures(store, month)
    return [_status_record(f, back.get((f.month, f.branch_key)), frame, today) for f in forms]


def _status_record(
    form: forms_db.IssuedForm,
    returned: dict[str, Any] | None,
    frame: pd.DataFrame,
    today: date,
) -> dict[str, Any]:
    """One issued form's line of ``rectify status``, with its measures past their deadline."""
    rows = frame[(frame["month"] == form.month) & (frame["branch_key"] == form.branch_key)]
    # itertuples rows are namedtuples built at run time: their fields are untyped.
    measures: Iterable[Any] = rows.itertuples(index=False)
    overdue = [
        {
            "row": int(r.row),
            "kpi_id": r.kpi_id,
            "problem": r.problem,
            "measure": r.measure,
            "owner": r.owner,
            "deadline": r.deadline,
        }
        for r in measures
        if r.deadline and date.fromisoformat(r.deadline) < today
    ]
    return {
        "month": form.month,
        "branch": form.branch,
        "branch_key": form.branch_key,
        "reasons": form.reasons,
        "reason_text": status_reason_text(form.reasons),
        "issued_at": form.issued_at,
        "due_date": form.due_date,
        "files": [x["path"] for x in form.files],
        "returned": returned is not None,
        "collected_at": returned["collected_at"] if returned else None,
        "source_file": returned["source_file"] if returned else None,
        "form_overdue": returned is None and date.fromisoformat(form.due_date) < today,
        "measures": len(rows),
        "overdue_measures": overdue,
    }


def report_follow_ups(
    store: HistoryStore, stored: StoredMonth, keys: Sequence[str] | None, *, lang: str = "zh"
) -> dict[str, tuple[FollowUp, ...]]:
    """branch_key -> last period's collected measures beside the KPI's value then and now, for the
    branch reports of ``stored`` (a ``StoredMonth``); empty when nothing was collected."""
    frame = forms_db.measures(store, stored.month.prev(), keys)
    out: dict[str, tuple[FollowUp, ...]] = {}
    for group, rows in frame.groupby("branch_key", sort=False):
        key = str(group)
        now = stored.scorecard.branch(key)
        if now is not None:
            before = stored.previous.branch(key) if stored.previous is not None else None
            out[key] = follow_ups(rows, before, now, lang=lang)
    return out
