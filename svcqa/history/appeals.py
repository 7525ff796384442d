"""Appeals (申诉) in the history store: filed appeals, the analyst's decisions, applied runs.

Every write is one transaction through the store's public ``writing()``. A decision is never
replaced: a later decision on the same appeal supersedes it (``superseded_by``) and both stay.
A run saved by ``svcqa appeal apply`` records the run it superseded and the decisions it applied
(``record_applied``, called inside ``HistoryStore.save``'s transaction). The tables are created by
migration 4. Usable without the CLI::

    with HistoryStore(path) as store:
        for appeal in appeals(store, Month(2026, 10)):
            print(appeal.row_id, appeal.status, current_decision(store, appeal.id))
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from svcqa.errors import InputError, NotFound
from svcqa.models import AppealDecision, AppealRequest, Month, branch_key

if TYPE_CHECKING:
    from svcqa.history.store import HistoryStore

_APPEAL_COLUMNS = (
    "id, month, branch_key, branch, tbl, row_id, kpi_id, reason, reference, source, filed_at, "
    "status, refusal"
)
_DECISION_COLUMNS = (
    "d.id, d.appeal_id, d.accepted, d.reason, d.decided_by, d.decided_at, d.adjust_days, "
    "d.superseded_by"
)


@dataclass(frozen=True)
class StoredAppeal:
    """One filed appeal as stored; ``status`` is ``ok`` (within the window) or ``late``."""

    id: int
    month: Month
    branch_key: str
    branch: str
    table: str
    row_id: str
    kpi_id: str
    reason: str
    reference: str
    source: str
    filed_at: str
    status: str
    refusal: str  # the message a late or excess appeal was refused with


@dataclass(frozen=True)
class StoredDecision:
    """One decision as stored; ``superseded_by`` is None for the appeal's current decision."""

    id: int
    appeal_id: int
    accepted: bool
    reason: str
    decided_by: str
    decided_at: str
    adjust_days: float | None
    superseded_by: int | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "accepted": self.accepted,
            "reason": self.reason,
            "decided_by": self.decided_by,
            "decided_at": self.decided_at,
            "adjust_days": self.adjust_days,
        }


@dataclass(frozen=True)
class Window:
    """The appeal window of a month: open until ``deadline`` (inclusive), ``limit`` per branch."""

    first_scored: date
    deadline: date
    limit: int  # 0 = no limit


def first_scored_at(store: HistoryStore, month: Month) -> datetime:
    """When the month was first scored (its oldest run, superseded ones included)."""
    with store.reading() as conn:
        row = conn.execute("SELECT min(created_at) FROM runs WHERE month = ?", (str(month),))
        first = row.fetchone()[0]
    if first is None:
        raise NotFound(
            f"{month} is not in history store {store.path}; score it first with svcqa score"
        )
    return datetime.fromisoformat(first)


def window(store: HistoryStore, month: Month, window_days: int, max_per_branch: int) -> Window:
    """The month's appeal window under a rubric's ``[appeals]`` settings."""
    first = first_scored_at(store, month).date()
    return Window(first, first + timedelta(days=window_days), max_per_branch)


def file_requests(
    store: HistoryStore,
    requests: Sequence[tuple[AppealRequest, str]],
    *,
    window: Window,
    now: datetime,
) -> list[StoredAppeal]:
    """Record appeals (each with its branch's display name) in one transaction: all or nothing.

    A duplicate of an appeal already recorded for the same row (pending or decided), or twice in
    ``requests``, is refused with ``InputError`` and nothing is recorded. An appeal filed after
    the window's deadline, or beyond the branch's limit, is recorded with status ``late`` and the
    message it is refused with (the caller reports it); the rest are recorded ``ok``.
    """
    seen: set[tuple[str, str, str]] = set()
    with store.writing() as conn:
        for request, _branch in requests:
            key = (str(request.month), request.table, request.row_id)
            existing = conn.execute(
                "SELECT a.id, (SELECT d.accepted FROM appeal_decisions d WHERE d.appeal_id = a.id "
                "AND d.superseded_by IS NULL) FROM appeals a WHERE month = ? AND tbl = ? AND "
                "row_id = ? AND status = 'ok' ORDER BY a.id DESC",
                key,
            ).fetchone()
            if key in seen or existing is not None:
                state = "given twice in this request"
                if existing is not None:
                    state = {None: "pending", 1: "accepted", 0: "rejected"}[existing[1]]
                    state = f"already filed (appeal {existing[0]}, {state})"
                raise InputError(
                    f"the appeal of {request.table} {request.row_id} in {request.month} is {state}; "
                    "nothing was recorded. A decided appeal is changed by a new decision "
                    "(svcqa appeal decide), which supersedes the earlier one"
                )
            seen.add(key)
        stored = [_insert(conn, request, branch, window, now) for request, branch in requests]
    return stored


def _insert(
    conn: sqlite3.Connection, request: AppealRequest, branch: str, window: Window, now: datetime
) -> StoredAppeal:
    key = branch_key(request.branch)
    refusal = ""
    if now.date() > window.deadline:
        refusal = (
            f"the appeal window of {request.month} closed on {window.deadline.isoformat()} "
            f"(first scored {window.first_scored.isoformat()}); this appeal is dated "
            f"{now.date().isoformat()}"
        )
    elif window.limit:
        (count,) = conn.execute(
            "SELECT count(*) FROM appeals WHERE month = ? AND branch_key = ? AND status = 'ok'",
            (str(request.month), key),
        ).fetchone()
        if count >= window.limit:
            refusal = (
                f"{branch} already has {count} appeal(s) for {request.month}, the most the rubric "
                f"allows ([appeals] max_per_branch = {window.limit}); this appeal is dated "
                f"{now.date().isoformat()}, the window closes on {window.deadline.isoformat()}"
            )
    values = (
        str(request.month),
        key,
        branch,
        request.table,
        request.row_id,
        request.kpi_id,
        request.reason,
        request.reference,
        request.source,
        now.isoformat(),
        "late" if refusal else "ok",
        refusal,
    )
    cursor = conn.execute(
        "INSERT INTO appeals (month, branch_key, branch, tbl, row_id, kpi_id, reason, reference, "
        "source, filed_at, status, refusal) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        values,
    )
    assert cursor.lastrowid is not None
    return StoredAppeal(int(cursor.lastrowid), request.month, *values[1:])


def appeals(store: HistoryStore, month: Month) -> list[StoredAppeal]:
    """Every appeal of the month, late ones included, in the order filed."""
    with store.reading() as conn:
        rows = conn.execute(
            f"SELECT {_APPEAL_COLUMNS} FROM appeals WHERE month = ? ORDER BY id", (str(month),)
        ).fetchall()
    return [StoredAppeal(r[0], Month.parse(r[1]), *r[2:]) for r in rows]


def decisions(store: HistoryStore, month: Month) -> list[StoredDecision]:
    """Every decision on the month's appeals, superseded ones included, oldest first."""
    with store.reading() as conn:
        rows = conn.execute(
            f"SELECT {_DECISION_COLUMNS} FROM appeal_decisions d JOIN appeals a ON a.id = d.appeal_id "
            "WHERE a.month = ? ORDER BY d.id",
            (str(month),),
        ).fetchall()
    return [StoredDecision(r[0], r[1], bool(r[2]), r[3], r[4], r[5], r[6], r[7]) for r in rows]


def record_decisions(
    store: HistoryStore, given: Sequence[AppealDecision], *, now: datetime
) -> list[int]:
    """Record decisions in one transaction, each superseding the appeal's current decision.

    The appeal is the row's latest appeal within the window; none (or only a late one) is a
    ``NotFound`` naming the row, and nothing is recorded.
    """
    ids = []
    with store.writing() as conn:
        for decision in given:
            found = conn.execute(
                "SELECT id, status FROM appeals WHERE month = ? AND tbl = ? AND row_id = ? "
                "ORDER BY status = 'ok' DESC, id DESC",
                (str(decision.month), decision.table, decision.row_id),
            ).fetchone()
            if found is None or found[1] != "ok":
                why = "was refused as late" if found is not None else "has no appeal"
                raise NotFound(
                    f"{decision.table} {decision.row_id} of {decision.month} {why}; a decision "
                    "needs an appeal filed in time (svcqa appeal status lists them). "
                    "Nothing was recorded"
                )
            cursor = conn.execute(
                "INSERT INTO appeal_decisions (appeal_id, accepted, reason, decided_by, "
                "decided_at, adjust_days) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    found[0],
                    int(decision.accepted),
                    decision.reason,
                    decision.decided_by,
                    now.isoformat(),
                    decision.adjust_days,
                ),
            )
            new_id = int(cursor.lastrowid or 0)
            conn.execute(
                "UPDATE appeal_decisions SET superseded_by = ? WHERE appeal_id = ? AND id <> ? "
                "AND superseded_by IS NULL",
                (new_id, found[0], new_id),
            )
            ids.append(new_id)
    return ids


def record_applied(
    conn: sqlite3.Connection,
    *,
    run_id: int,
    month: Month,
    superseded_run: int | None,
    applied_at: datetime,
    applied: Sequence[tuple[int, bool]],
) -> None:
    """Inside the transaction that saves ``run_id`` (``HistoryStore.save(in_transaction=...)``):
    record that it applied the decisions ``applied`` ((decision id, row found), ...) and which
    run it superseded."""
    conn.execute(
        "INSERT INTO appeal_runs (run_id, month, superseded_run, applied_at) VALUES (?, ?, ?, ?)",
        (run_id, str(month), superseded_run, applied_at.isoformat()),
    )
    conn.executemany(
        "INSERT INTO appeal_run_decisions (run_id, decision_id, row_found) VALUES (?, ?, ?)",
        ((run_id, decision_id, int(found)) for decision_id, found in applied),
    )


def applied_run(store: HistoryStore, month: Month) -> dict[str, Any] | None:
    """The month's active run when ``svcqa appeal apply`` made it: its id, the run it superseded,
    when, and {decision id: row found}. None when the active run applied no appeals."""
    with store.reading() as conn:
        row = conn.execute(
            "SELECT p.run_id, p.superseded_run, p.applied_at FROM appeal_runs p JOIN runs r "
            "ON r.id = p.run_id WHERE p.month = ? AND r.status = 'active'",
            (str(month),),
        ).fetchone()
        if row is None:
            return None
        found = conn.execute(
            "SELECT decision_id, row_found FROM appeal_run_decisions WHERE run_id = ?", (row[0],)
        ).fetchall()
    return {
        "run_id": row[0],
        "superseded_run": row[1],
        "applied_at": row[2],
        "decisions": {int(d): bool(f) for d, f in found},
    }


def pre_appeal_run(store: HistoryStore, run_id: int | None) -> int | None:
    """The run before any appeals: follow ``superseded_run`` back past runs that applied appeals
    (``appeal apply`` run again after a new decision supersedes an appealed run)."""
    seen: set[int] = set()
    with store.reading() as conn:
        while run_id is not None and run_id not in seen:
            seen.add(run_id)
            row = conn.execute(
                "SELECT superseded_run FROM appeal_runs WHERE run_id = ?", (run_id,)
            ).fetchone()
            if row is None:
                return run_id
            run_id = row[0]
    return run_id


def run_marks(store: HistoryStore) -> dict[int, str]:
    """run id -> how appeals touched it, for ``history runs``: "applied N appeal(s), superseded
    run M" on a run that applied appeals, "superseded by appeals (run K)" on the run it replaced."""
    with store.reading() as conn:
        rows = conn.execute(
            "SELECT p.run_id, p.superseded_run, count(d.decision_id) FROM appeal_runs p "
            "LEFT JOIN appeal_run_decisions d ON d.run_id = p.run_id GROUP BY p.run_id"
        ).fetchall()
    marks: dict[int, str] = {}
    for run_id, superseded, count in rows:
        marks[int(run_id)] = f"applied {count} appeal(s)" + (
            f", superseded run {superseded}" if superseded is not None else ""
        )
        if superseded is not None:
            marks.setdefault(int(superseded), f"superseded by appeals (run {run_id})")
    return marks


def record_forms(conn: sqlite3.Connection, forms: Sequence[tuple[str, ...]]) -> None:
    """Inside the caller's ``writing()`` transaction: record issued appeal forms, each
    (form_id, month, branch_key, locked_sha256, issued_at, file); one issued again (the same
    branch, month and time) replaces its record."""
    conn.executemany(
        "INSERT OR REPLACE INTO appeal_forms (form_id, month, branch_key, locked_sha256, "
        "issued_at, file) VALUES (?, ?, ?, ?, ?, ?)",
        forms,
    )


def issued_forms(store: HistoryStore) -> dict[str, str]:
    """form id -> the locked_sha256 of every appeal form the store issued (what
    ``read_appeal_forms(issued=...)`` checks a returned form against)."""
    with store.reading() as conn:
        rows = conn.execute("SELECT form_id, locked_sha256 FROM appeal_forms").fetchall()
    return {str(form_id): str(sha) for form_id, sha in rows}


def branch_figures(store: HistoryStore, run_id: int) -> dict[str, dict[str, Any]]:
    """branch_key -> {total, rank, grade, coefficient} of a run (superseded runs keep them)."""
    with store.reading() as conn:
        rows = conn.execute(
            "SELECT branch_key, total, rank, grade, coefficient FROM branch_results WHERE run_id = ?",
            (run_id,),
        ).fetchall()
    return {
        str(key): {"total": total, "rank": rank, "grade": grade, "coefficient": coefficient}
        for key, total, rank, grade, coefficient in rows
    }


__all__ = [
    "StoredAppeal",
    "StoredDecision",
    "Window",
    "appeals",
    "applied_run",
    "branch_figures",
    "decisions",
    "file_requests",
    "first_scored_at",
    "issued_forms",
    "pre_appeal_run",
    "record_applied",
    "record_decisions",
    "record_forms",
    "run_marks",
    "window",
]
