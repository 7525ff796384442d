"""Appeals (申诉) end to end: file, decide, apply (re-score the month), status.

Usable without the CLI::

    from svcqa.jobs.appeals import apply_appeals, appeal_status, decide_appeals, file_appeals
    req = AppealRequest(Month(2026, 10), "深圳龙岗（九）营业厅", "tickets", "WX2026100000151", "客户未取机")
    file_appeals("svcqa.db", [req])
    decide_appeals("svcqa.db", [AppealDecision(Month(2026, 10), "tickets", "WX2026100000151",
                                               True, "客户原因", "张三", adjust_days=3)])
    apply_appeals("svcqa.db", Month(2026, 10))
    print(appeal_status("svcqa.db", Month(2026, 10)))
"""

from __future__ import annotations

import csv
import unicodedata
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from svcqa import __version__, clock
from svcqa.errors import InputError, NotFound, UsageError
from svcqa.labels import output_language
from svcqa.models import APPEAL_ROW_ID, AppealDecision, AppealRequest, Month, branch_key
from svcqa.settings import LOCK_TIMEOUT, month_folder

# Evidence kinds -> the table their rows come from (what a branch may appeal).
_KIND_TABLE = {
    "overdue_ticket": "tickets",
    "slow_ticket": "tickets",
    "rework": "tickets",
    "complaint": "complaints",
    "absence": "attendance",
    "late": "attendance",
    "early_leave": "attendance",
}
_ACCEPT = {
    "accept": True,
    "accepted": True,
    "通过": True,
    "reject": False,
    "rejected": False,
    "驳回": False,
}
DECISION_COLUMNS = ("table", "id", "decision", "reason", "decided_by", "adjust_days")


@dataclass
class Filed:
    """What ``file_appeals`` recorded: the appeals within the window and the late or excess ones
    (recorded as ``late`` and refused: ``refused`` holds each message)."""

    recorded: list[Any] = field(default_factory=list)
    late: list[Any] = field(default_factory=list)

    @property
    def refused(self) -> list[str]:
        return [f"{a.table} {a.row_id}: {a.refusal}" for a in self.late]


@dataclass
class Applied:
    """What ``apply_appeals`` did: the new run, the run it superseded, each applied decision and
    whether its row was found, later months re-scored, outputs written."""

    month: Month
    run_id: int
    superseded_run: int | None
    applied: list[Any]  # adjust.Outcome
    outputs: dict[str, Path]
    rescored: list[Month] = field(default_factory=list)
    stale: list[Month] = field(default_factory=list)

    @property
    def missing(self) -> list[str]:
        """The accepted decisions whose row is no longer in the month's inputs (reported)."""
        return [
            f"{o.ruling.table} {o.ruling.row_id} ({o.ruling.branch_key}): accepted, but the row is not in "
            f"the month's inputs any more; nothing was applied for it"
            for o in self.applied
            if not o.row_found
        ]


def _store(db: str | Path | None, lock_timeout: float = LOCK_TIMEOUT) -> Any:
    from svcqa.history import HistoryStore, resolve_db_path

    return HistoryStore(resolve_db_path(db), lock_timeout=lock_timeout, create=False)


def _stored_rubric(store: Any, month: Month) -> Any:
    from svcqa.rubric import load_rubric_text

    return load_rubric_text(store.run_info(month)["rubric_source"])


# -- filing ----------------------------------------------------------------------------------


def file_appeals(
    db: str | Path | None,
    requests: list[AppealRequest],
    *,
    rubric: Any = None,
    now: datetime | None = None,
    limits: Any = None,
) -> Filed:
    """Record appeals, all or nothing: each row must exist in its month's stored evidence or
    inputs for its branch, and no row may already have an appeal (``InputError`` listing every
    problem, nothing recorded). Late or excess appeals (``rubric``'s ``[appeals]``, by default the
    month's stored rubric) are recorded as ``late`` and returned in ``Filed.late``."""
    from svcqa.history import appeals as stored

    now = now or clock.now()
    filed = Filed()
    with _store(db) as store:
        for month in sorted({r.month for r in requests}):
            chosen = [r for r in requests if r.month == month]
            rules = (rubric or _stored_rubric(store, month)).appeals
            names = _check_rows(store, month, chosen, limits)
            window = stored.window(store, month, rules.window_days, rules.max_per_branch)
            paired = [(r, names[branch_key(r.branch)]) for r in chosen]
            for appeal in stored.file_requests(store, paired, window=window, now=now):
                (filed.late if appeal.status == "late" else filed.recorded).append(appeal)
    return filed


def _check_rows(
    store: Any, month: Month, requests: Sequence[AppealRequest], limits: Any
) -> dict[str, str]:
    """branch_key -> display name of each request's branch, once every row is found in the
    month's evidence (or, failing that, its recorded inputs) under that branch."""
    card = store.load_scorecard(month)
    names = {b.branch_key: b.branch for b in card.branches}
    known = _evidence_rows(card.evidence)
    problems = []
    for r in requests:
        if r.table not in APPEAL_ROW_ID:
            problems.append(f"table {r.table!r}: expected one of {', '.join(APPEAL_ROW_ID)}")
        elif branch_key(r.branch) not in names:
            problems.append(
                f"branch {r.branch!r} is not in {month}; expected one of the scored branches "
                f"(svcqa history --months 1 lists them)"
            )
    if not problems and any((r.table, r.row_id) not in known for r in requests):
        known.update(_input_rows(store, month, limits))
    for r in requests:
        if problems and (r.table not in APPEAL_ROW_ID or branch_key(r.branch) not in names):
            continue
        owners = known.get((r.table, r.row_id))
        if owners is None:
            expected = {
                "tickets": "a ticket id (工单号)",
                "complaints": "a complaint id (投诉单号)",
            }
            problems.append(
                f"{r.table} {r.row_id!r} is not in {month}'s inputs; expected "
                f"{expected.get(r.table, 'staff and date as <staff> <YYYY-MM-DD>')} of a {r.table} row "
                f"of {r.branch}"
            )
        elif branch_key(r.branch) not in owners:
            other = ", ".join(names.get(k, k) for k in sorted(owners))
            problems.append(f"{r.table} {r.row_id} belongs to {other}, not to {r.branch}")
    if problems:
        raise InputError(
            f"{len(problems)} appeal(s) name rows that cannot be appealed; nothing was recorded:",
            reasons=problems,
        )
    return names


def _evidence_rows(evidence: Any) -> dict[tuple[str, str], set[str]]:
    """(table, row id) -> branch keys, from the evidence rows that cost points."""
    known: dict[tuple[str, str], set[str]] = {}
    if evidence is None or not len(evidence):
        return known
    ev = evidence[evidence["kind"].isin(list(_KIND_TABLE))]
    tables = ev["kind"].map(_KIND_TABLE)
    ids = (
        ev["ref"]
        .astype(str)
        .where(
            tables != "attendance", ev["ref"].astype(str) + " " + ev["date"].astype(str).str[:10]
        )
    )
    for table, row_id, key in zip(tables, ids, ev["branch_key"].astype(str)):
        known.setdefault((table, row_id), set()).add(key)
    return known


def _input_rows(store: Any, month: Month, limits: Any) -> dict[tuple[str, str], set[str]]:
    """(table, row id) -> branch keys, from the month's recorded inputs (hash-checked)."""
    from svcqa.appeals.adjust import row_ids

    data = _ingest_recorded(store, month, limits)[0]
    known: dict[tuple[str, str], set[str]] = {}
    for table in APPEAL_ROW_ID:
        frame = data.table(table)
        if frame is None or frame.empty:
            continue
        pairs = set(zip(row_ids(table, frame), frame["branch_key"].astype(str)))
        for row_id, key in pairs:
            known.setdefault((table, str(row_id)), set()).add(key)
    return known


def _ingest_recorded(store: Any, month: Month, limits: Any) -> tuple[Any, Any]:
    """The month's recorded inputs, re-read under its stored rubric and cut-off: (MonthData,
    Rubric)."""
    from svcqa.ingest import Limits, open_month
    from svcqa.jobs.score import ingest_for_rubric, stored_cut_off, with_cut_off
    from svcqa.jobs.whatif import recorded_inputs

    rubric = _stored_rubric(store, month)
    info = store.run_info(month)
    paths = recorded_inputs(info, month)
    with open_month(paths, limits or Limits()) as files:
        data = ingest_for_rubric(files, rubric, month=month)
    return with_cut_off(data, stored_cut_off(info)), rubric


# -- deciding --------------------------------------------------------------------------------


def decide_appeals(
    db: str | Path | None, given: list[AppealDecision], *, now: datetime | None = None
) -> list[int]:
    """Record decisions in one transaction (each superseding the appeal's current decision);
    ``adjust_days`` only on tickets and above 0. Returns the new decision ids."""
    from svcqa.history import appeals as stored

    for d in given:
        if d.table not in APPEAL_ROW_ID:
            raise InputError(f"table {d.table!r}: expected one of {', '.join(APPEAL_ROW_ID)}")
        if d.adjust_days is not None and (d.table != "tickets" or not d.adjust_days > 0):
            raise InputError(
                f"{d.table} {d.row_id}: adjust_days {d.adjust_days:g} is allowed only on tickets "
                "and must be above 0 (days of customer-caused delay taken off the cycle)"
            )
        if d.adjust_days is not None and not d.accepted:
            raise InputError(f"{d.table} {d.row_id}: adjust_days goes with an accepted appeal only")
        if not d.reason.strip() or not d.decided_by.strip():
            raise InputError(f"{d.table} {d.row_id}: a decision needs a reason and who decided")
    with _store(db) as store:
        return stored.record_decisions(store, given, now=now or clock.now())


def read_decisions(path: Path, month: Month, *, limits: Any = None) -> list[AppealDecision]:
    """A decisions file (CSV or XLSX; columns table, id, decision, reason, decided_by and
    adjust_days for tickets; decision accept/reject or 通过/驳回), read under the ingest limits.
    Any bad row is an ``InputError`` naming the file, row and column; nothing is returned."""
    rows = _decision_rows(path, limits)
    if not rows:
        raise InputError(
            f"decisions file {path.name} is empty; expected a header row {', '.join(DECISION_COLUMNS)}"
        )
    header = [unicodedata.normalize("NFKC", str(h or "")).strip().lower() for h in rows[0]]
    missing = [c for c in DECISION_COLUMNS[:5] if c not in header]
    if missing:
        raise InputError(
            f"decisions file {path.name}: row 1 lacks the column(s) {', '.join(missing)}; "
            f"expected the header {', '.join(DECISION_COLUMNS)} (adjust_days optional)"
        )
    out = []
    for number, values in enumerate(rows[1:], start=2):
        cells = {h: ("" if v is None else str(v).strip()) for h, v in zip(header, values)}
        if not any(cells.values()):
            continue
        out.append(_decision(path, number, cells, month))
    return out


def _decision(path: Path, number: int, cells: dict[str, str], month: Month) -> AppealDecision:
    def bad(column: str, expected: str) -> InputError:
        return InputError(
            f"decisions file {path.name}, row {number}, column {column}: {cells.get(column, '')!r}; "
            f"expected {expected}. Nothing was recorded: fix the row and run again"
        )

    verdict = _ACCEPT.get(cells["decision"].lower())
    if verdict is None:
        raise bad("decision", "accept or reject (通过 or 驳回)")
    if cells["table"] not in APPEAL_ROW_ID:
        raise bad("table", " or ".join(APPEAL_ROW_ID))
    for column in ("id", "reason", "decided_by"):
        if not cells[column]:
            raise bad(column, "a value")
    days = None
    if cells.get("adjust_days"):
        try:
            days = float(cells["adjust_days"])
        except ValueError:
            raise bad("adjust_days", "a number of days above 0, or blank") from None
        if not days > 0 or cells["table"] != "tickets" or not verdict:
            raise bad(
                "adjust_days", "a number of days above 0 on an accepted tickets row, or blank"
            )
    return AppealDecision(
        month, cells["table"], cells["id"], verdict, cells["reason"], cells["decided_by"], days
    )


def _decision_rows(path: Path, limits: Any) -> list[list[Any]]:
    from svcqa.ingest import Limits
    from svcqa.ingest.safety.limits import check_file_size
    from svcqa.ingest.safety.package import check_xml_prologs, check_zip, check_zip_members

    limits = limits or Limits()
    if not path.is_file():
        raise NotFound(f"decisions file {path} does not exist")
    check_file_size(path, path.stat().st_size, limits)
    if path.suffix.lower() == ".csv":
        try:
            with open(path, encoding="utf-8-sig", newline="") as handle:
                rows = list(csv.reader(handle))
        except UnicodeDecodeError:
            raise InputError(
                f"decisions file {path.name} is not UTF-8 text; save it as UTF-8 CSV"
            ) from None
    elif path.suffix.lower() == ".xlsx" and zipfile.is_zipfile(path):
        import openpyxl

        check_zip_members(path, limits)
        with zipfile.ZipFile(path) as archive:
            check_zip(path, archive, limits)
            check_xml_prologs(path, archive)
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        try:
            rows = [list(r) for r in wb.worksheets[0].iter_rows(values_only=True)]
        finally:
            wb.close()
    else:
        raise InputError(f"decisions file {path.name}: expected a .csv or .xlsx file")
    if len(rows) > limits.max_rows_per_sheet:
        raise limits.exceeded(
            "max_rows_per_sheet", f"the file has {len(rows):,} rows", file=path.name
        )
    return rows


# -- applying --------------------------------------------------------------------------------


def current_rulings(store: Any, month: Month, evidence: Any = None) -> list[Any]:
    """The month's accepted current decisions as ``adjust.Ruling``s (``adjust.rulings``)."""
    from svcqa.appeals.adjust import rulings
    from svcqa.history import appeals as stored

    return rulings(stored.appeals(store, month), stored.decisions(store, month), evidence)


def apply_appeals(
    db: str | Path | None,
    month: Month,
    *,
    out_dir: Path | None = None,
    now: datetime | None = None,
    limits: Any = None,
    lock_timeout: float = LOCK_TIMEOUT,
    progress: Callable[[str], None] | None = None,
) -> Applied:
    """Re-score ``month`` from its recorded inputs (hash-checked) with the accepted decisions
    applied to the ingested rows, save it as a new run (the previous one stays, superseded, and
    the new one records what it applied, in the same transaction), write its outputs, and
    re-score later stored months as ``score`` does."""
    from svcqa.appeals.adjust import add_appeal_evidence, apply_rulings
    from svcqa.history import appeals as stored
    from svcqa.jobs.score import _rescore_later_months, stored_cut_off, write_outputs
    from svcqa.scoring import score_month

    step = progress or (lambda _message: None)
    now = now or clock.now()
    with _store(db, lock_timeout) as store:
        info = store.run_info(month)
        previous, as_of = int(info["run_id"]), stored_cut_off(info)
        rulings = current_rulings(store, month, store.load_scorecard(month).evidence)
        if not rulings:
            raise UsageError(
                f"{month} has no accepted appeal decision to apply; record one with svcqa appeal decide"
            )
        step("reading the recorded inputs")
        data, rubric = _ingest_recorded(store, month, limits)
        data, outcomes, marks = apply_rulings(data, rulings, as_of)
        step("scoring")
        context = store.context(month, qtd_kpis=rubric.qtd_kpi_ids)
        card = score_month(data, rubric, context, now=now, as_of=as_of)
        add_appeal_evidence(card, marks)
        found = [(o.ruling.decision_id, o.row_found) for o in outcomes]
        summary = {"applied": sum(f for _, f in found), "superseded_run": previous}
        written: dict[str, Path] = {}

        def write() -> None:
            written.update(
                write_outputs(
                    card,
                    data,
                    month_folder(month, out_dir),
                    lock_timeout=lock_timeout,
                    appeals=summary,
                    lang=output_language(None, rubric.language),
                )
            )

        def record(conn: Any, run_id: int) -> None:
            stored.record_applied(
                conn,
                run_id=run_id,
                month=month,
                superseded_run=previous,
                applied_at=now,
                applied=found,
            )

        step("writing outputs and saving history")
        run_id = store.save(
            card, data, rubric=rubric, tool_version=__version__, now=now,
            before_commit=write, in_transaction=record,
        )  # fmt: skip
        rescored, stale, _ = _rescore_later_months(store, month, now=now, limits=limits, step=step)
    return Applied(month, run_id, previous, outcomes, written, rescored, stale)


def report_appeals(store: Any, month: Month) -> dict[str, Any]:
    """branch_key -> ``AppealChange`` (what appeals changed) of every branch of ``month`` when
    its active run applied appeals (``svcqa appeal apply``); {} otherwise. The branch reports
    show it as a box; "before" is the run before any appeals."""
    from svcqa.history import appeals as stored
    from svcqa.render.report.appeals import AppealChange

    run = stored.applied_run(store, month)
    if run is None:
        return {}
    base = stored.pre_appeal_run(store, run["superseded_run"])
    before = stored.branch_figures(store, base) if base is not None else {}
    after = stored.branch_figures(store, run["run_id"])
    owner = {a.id: a.branch_key for a in stored.appeals(store, month)}
    per_branch: dict[str, int] = {}
    for d in stored.decisions(store, month):
        if run["decisions"].get(d.id):  # applied, its row found
            per_branch[owner[d.appeal_id]] = per_branch.get(owner[d.appeal_id], 0) + 1
    total = sum(per_branch.values())
    return {
        key: AppealChange(
            decisions=per_branch.get(key, 0),
            month_decisions=total,
            total_before=before.get(key, {}).get("total"),
            total_after=figures["total"],
            rank_before=before.get(key, {}).get("rank"),
            rank_after=figures["rank"],
        )
        for key, figures in after.items()
    }


# -- status ----------------------------------------------------------------------------------


def appeal_status(db: str | Path | None, month: Month) -> list[dict[str, Any]]:
    """Every appeal of ``month`` as the shared status record (``svcqa appeal status --format
    json`` prints exactly this list), in the order filed."""
    from svcqa.history import appeals as stored

    with _store(db) as store:
        filed = stored.appeals(store, month)
        made = stored.decisions(store, month)
        run = stored.applied_run(store, month)
        after: dict[str, dict[str, Any]] = {}
        before: dict[str, dict[str, Any]] = {}
        if run is not None:
            after = stored.branch_figures(store, run["run_id"])
            base = stored.pre_appeal_run(store, run["superseded_run"])
            before = stored.branch_figures(store, base) if base is not None else {}
    return [_status_record(a, made, run, before, after) for a in filed]


def _status_record(
    appeal: Any, made: list[Any], run: dict[str, Any] | None, before: dict, after: dict
) -> dict[str, Any]:
    mine = [d for d in made if d.appeal_id == appeal.id]
    current = next((d for d in mine if d.superseded_by is None), None)
    if appeal.status == "late":
        status = "late"
    elif current is None:
        status = "pending"
    else:
        status = "accepted" if current.accepted else "rejected"
    applied = bool(run and current is not None and current.id in run["decisions"])
    was, now_ = before.get(appeal.branch_key), after.get(appeal.branch_key)
    if not (applied and was and now_):
        was = now_ = None
    return {
        "month": str(appeal.month),
        "branch": appeal.branch,
        "branch_key": appeal.branch_key,
        "table": appeal.table,
        "id": appeal.row_id,
        "kpi_id": appeal.kpi_id,
        "reason": appeal.reason,
        "reference": appeal.reference,
        "source": appeal.source,
        "filed_at": appeal.filed_at,
        "status": status,
        "decision": current.as_dict() if current is not None else None,
        "superseded": [d.as_dict() for d in mine if d.superseded_by is not None],
        "applied": applied,
        "row_found": run["decisions"][current.id] if applied and run and current else None,
        "points_restored": round(now_["total"] - was["total"], 2) if was and now_ else None,
        "before": was,
        "after": now_,
    }


__all__ = [
    "DECISION_COLUMNS",
    "Applied",
    "Filed",
    "appeal_status",
    "apply_appeals",
    "current_rulings",
    "decide_appeals",
    "file_appeals",
    "read_decisions",
    "report_appeals",
]
