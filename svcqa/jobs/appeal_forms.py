"""Appeal jobs around the forms: issue the appeal forms (申诉表) of a stored month,
collect the returned ones into the appeal store, and write the monthly appeals bulletin
(申诉月度通报) from the appeal status records.

``issue_appeal_forms`` reads the stored month as the reports and rectification forms read it
(``load_stored_month``: its scorecard and evidence), and the rubric it was scored with (which
table each KPI reads), builds each branch's form (``svcqa.appeals.form``) and writes the
workbooks together (``svcqa.appeals.xlsx``). ``write_bulletin`` renders the status records
(``svcqa.appeal_status``) as HTML and XLSX.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from svcqa import clock
from svcqa.appeals.collect import AppealCollection, read_appeal_forms
from svcqa.appeals.form import build_appeal_form
from svcqa.appeals.xlsx import write_appeal_xlsx
from svcqa.errors import NotFound
from svcqa.history import HistoryStore, resolve_db_path
from svcqa.history import appeals as appeal_store
from svcqa.history.queries import find_branch, rubric_language
from svcqa.jobs.appeals import Filed, appeal_status, file_appeals
from svcqa.jobs.stored import load_stored_month
from svcqa.labels import appeal_labels, output_language
from svcqa.models import Month, in_language
from svcqa.output import remove_stale_temps, replaced_together, write_text_atomic
from svcqa.render.bulletin import render_bulletin_html, write_bulletin_xlsx
from svcqa.render.report import report_stems
from svcqa.rubric import load_rubric_text
from svcqa.settings import month_folder

__all__ = ["appeal_bulletin", "collect_appeal_forms", "issue_appeal_forms", "write_bulletin"]


def issue_appeal_forms(
    db: Path | str | None,
    month: Month | str | None,
    *,
    branch: str | None = None,
    out: Path | None = None,
    lang: str | None = None,
    now: datetime | None = None,
) -> list[Path]:
    """Write the appeal form of ``branch``, or of every branch of the stored ``month`` (default:
    the latest stored), into ``out`` (default ``svcqa-out/<month>/appeals/``); the paths written.

    Each branch's form lists every evidence row that cost it points in a table a branch may
    appeal, and the appeal deadline (``[appeals] window_days`` after the month's first scoring).
    The forms replace their earlier versions together, and are recorded in the store (id and
    checksum, for ``collect_appeal_forms``) in the same step: a failure leaves none written.
    """
    output_language(lang)  # an unknown language fails before anything is read
    now = now or clock.now()
    wanted = Month.parse(month) if isinstance(month, str) else month
    with HistoryStore(resolve_db_path(db), create=False) as store:
        stored = load_stored_month(store, wanted)
        scorecard = stored.scorecard
        rubric = load_rubric_text(store.run_info(stored.month)["rubric_source"])
        lang = output_language(lang, rubric.language)
        scorecard = in_language(scorecard, lang)
        keys = [b.branch_key for b in scorecard.branches]
        if branch is not None:
            key = find_branch(store, branch)
            if scorecard.branch(key) is None:
                raise NotFound(
                    f"branch {branch!r} has no result in {stored.month}; "
                    f"stored months: {', '.join(map(str, stored.months))}"
                )
            keys = [key]
        first = appeal_store.first_scored_at(store, stored.month).date()
        kpi_tables = {k.id: k.metric.table for k in rubric.kpis}
        target = month_folder(stored.month, out, "appeals")
        stems = report_stems(scorecard)
        target.mkdir(parents=True, exist_ok=True)
        remove_stale_temps(target)  # a killed earlier run's half-written files
        paths: list[Path] = []
        # The forms' records and the files together: a failure writing any file records none.
        with store.writing() as conn, replaced_together():
            for key in keys:
                form = build_appeal_form(
                    scorecard,
                    key,
                    kpi_tables,
                    lang=lang,
                    now=now,
                    first_scored=first,
                    window_days=rubric.appeals.window_days,
                )
                path = target / f"{stems[key]}-appeal.xlsx"
                layout = write_appeal_xlsx(form, path, now=now)
                record = (form.form_id, str(form.month), key, layout.locked_sha256)
                appeal_store.record_forms(conn, [(*record, now.isoformat(), path.name)])
                paths.append(path)
    return paths


def collect_appeal_forms(
    db: Path | str | None,
    paths: Sequence[Path],
    *,
    limits: Any = None,
    now: datetime | None = None,
) -> tuple[AppealCollection, Filed | None]:
    """Read returned appeal forms and record their appeals, all or nothing: when any form has a
    problem (``read_appeal_forms``: cell by cell) nothing is recorded and the problems are
    returned with ``None``; otherwise every request is filed (``file_appeals``: the rows must be
    in the month, the window and ``max_per_branch`` hold) and what was recorded is returned.
    Only forms the store issued are taken: a form id it does not know, or a form whose locked
    cells' checksum differs from the one recorded at issue, is a problem."""
    with HistoryStore(resolve_db_path(db), create=False) as store:
        issued = appeal_store.issued_forms(store)
    collection = read_appeal_forms(paths, limits=limits, issued=issued)
    if not collection.ok or not collection.requests:
        return collection, None
    return collection, file_appeals(db, collection.requests, now=now, limits=limits)


def appeal_bulletin(
    db: Path | str | None,
    month: Month,
    *,
    out: Path | None = None,
    lang: str | None = None,
    now: datetime | None = None,
) -> tuple[list[dict[str, Any]], list[Path]]:
    """Write the appeals bulletin of a stored ``month`` from its appeal status records, labelled
    in ``lang`` (default: the language of the rubric the month was scored under); the records
    and the two paths."""
    from svcqa.rubric.english import english_names

    records = appeal_status(db, month)
    with HistoryStore(resolve_db_path(db), create=False) as store:
        lang = output_language(lang, rubric_language(store, month))
        names = english_names(store.run_info(month)["rubric_source"])
    shown = _english_grades(records, names) if lang == "en" else records
    return records, write_bulletin(month, shown, out=out, lang=lang, now=now)


def _english_grades(records: list[dict[str, Any]], names: Any) -> list[dict[str, Any]]:
    """The records with their grades before and after as the rubric names them in English."""

    def side(figures: dict[str, Any] | None) -> dict[str, Any] | None:
        return {**figures, "grade": names.grade(figures.get("grade"))} if figures else figures

    return [{**r, "before": side(r.get("before")), "after": side(r.get("after"))} for r in records]


def write_bulletin(
    month: Month | str,
    records: Sequence[Mapping[str, Any]],
    *,
    out: Path | None = None,
    lang: str = "zh",
    now: datetime | None = None,
    template_dir: Path | None = None,
) -> list[Path]:
    """Write ``bulletin.html`` and ``bulletin.xlsx`` for ``month`` from the appeal status
    records into ``out`` (default ``svcqa-out/<month>/appeals/``); both or neither.
    ``template_dir`` overrides the packaged templates (as for the reports)."""
    appeal_labels(lang)
    now = now or clock.now()
    target = month_folder(month, out, "appeals")
    target.mkdir(parents=True, exist_ok=True)
    remove_stale_temps(target)
    with replaced_together():
        html = write_text_atomic(
            target / "bulletin.html",
            render_bulletin_html(
                str(month), records, lang=lang, now=now, template_dir=template_dir
            ),
        )
        xlsx = write_bulletin_xlsx(
            str(month), records, target / "bulletin.xlsx", lang=lang, now=now
        )
    return [html, xlsx]
