"""The history store: one SQLite file that keeps every scored month.

Why SQLite: one file next to the exports, no server, transactions that make re-scoring a
month all-or-nothing, and safe concurrent use from cron with WAL mode and a busy timeout.

What a run keeps (see ``migrations/`` for the tables): the run's metadata and rubric text,
every branch and KPI result, the quarter-to-date counts, the evidence rows (one Arrow blob per
run), and the tickets with a device id (for rework detection in later months). Saving a month
supersedes its previous run in the same transaction; superseded runs keep their summary rows but
drop their tickets and evidence.

This module owns the connection (WAL, locks, migrating on open), the public transactions
``writing()`` / ``reading()`` that other modules build on (``forms``, ``queries``), and saving
and loading runs. Encoding lives in ``codecs``, row layouts in ``records``, queries across months
(context, trends, streaks) in ``queries``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from contextlib import contextmanager
from datetime import datetime
from itertools import repeat
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

import pandas as pd

from svcqa.errors import HistoryError, NotFound
from svcqa.history import queries
from svcqa.history.codecs import decode_evidence, decode_frame
from svcqa.history.migrations import latest_version, migrate
from svcqa.history.records import (
    BRANCH_SELECT,
    KPI_SELECT,
    PERIOD_COUNT_COLUMNS,
    RUN_SUMMARY_COLUMNS,
    TicketChunks,
    branch_result,
    encode_run,
    kpi_result,
    row_dict,
    run_summary,
    stored_as_of,
    stored_english,
)
from svcqa.models import (
    Finding,
    HistoryContext,
    KpiResult,
    Month,
    MonthData,
    Scorecard,
    TableStats,
)
from svcqa.runtime.testhooks import pause_point
from svcqa.settings import DB_PATH, LOCK_TIMEOUT

if TYPE_CHECKING:
    from svcqa.rubric import Rubric


log = logging.getLogger(__name__)


def resolve_db_path(db: str | Path | None) -> Path:
    """The store to use: the given path, else ``./svcqa.db`` (the command line passes ``--db``
    or ``$SVCQA_DB``)."""
    if db is not None and str(db) != "":
        return Path(db).expanduser()
    return Path.cwd() / DB_PATH


def file_sha256(path: str | Path) -> str:
    """SHA-256 of a file's bytes, read in chunks (the hash recorded for each input file)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _is_busy(exc: sqlite3.Error) -> bool:
    text = str(exc).lower()
    return "locked" in text or "busy" in text


# Less than this free on the store's file system and SQLite's "disk I/O error" is a full disk.
_NEARLY_FULL = 64 * 1024 * 1024


def _storage_problem(path: Path, exc: sqlite3.Error) -> str | None:
    """What SQLite's terse open/write errors mean for the user, found with the file system's
    own checks: a folder or file this user may not write ("unable to open database file",
    "attempt to write a readonly database") or a full disk ("disk I/O error", "database or disk
    is full"). None when neither explains ``exc``."""
    text, name = str(exc).lower(), getattr(exc, "sqlite_errorname", "") or ""
    folder = path.parent
    if (
        "readonly" in text
        or "unable to open" in text
        or name.startswith(("SQLITE_READONLY", "SQLITE_CANTOPEN"))
    ):
        # The store needs its folder writable too: SQLite creates the -wal and -shm files beside it.
        if folder.is_dir() and not os.access(folder, os.W_OK):
            return (
                f"the folder {folder} is read-only (this user may not write to it); the store and its "
                "-wal/-shm files need a writable folder: give --db a path in a writable folder or "
                "make the folder writable"
            )
        if path.exists() and not os.access(path, os.W_OK):
            return (
                f"the file {path} is read-only (this user may not write to it): make it writable or "
                "give --db another path"
            )
    if (
        "disk i/o" in text
        or "disk is full" in text
        or name in ("SQLITE_FULL", "SQLITE_IOERR_WRITE")
    ):
        try:
            free = shutil.disk_usage(folder if folder.is_dir() else Path.cwd()).free
        except OSError:
            return None
        if name == "SQLITE_FULL" or "disk is full" in text or free < _NEARLY_FULL:
            return (
                f"the disk holding {folder} is full ({free // (1024 * 1024)} MiB free); free some space "
                "or give --db a path on another disk. The store keeps its last complete state"
            )
    return None


class HistoryStore:
    """An open history store. Use as a context manager, or call ``close()``.

    Opening creates the file (unless ``create=False``) and migrates it forward; a store written
    by a newer svcqa is refused and left untouched. ``lock_timeout`` is how long a write waits
    for another process (another cron run) to finish before giving up with ``HistoryError``.
    """

    def __init__(
        self,
        path: Path,
        *,
        lock_timeout: float = LOCK_TIMEOUT,
        create: bool = True,
        read_only: bool = False,
    ):
        self.path = Path(path)
        self.lock_timeout = float(lock_timeout)
        # read_only: a mode=ro connection that never migrates, switches journal mode or writes
        # (whatif, period): an older store is refused with the command that migrates it.
        self.read_only = read_only
        create = create and not read_only
        try:
            is_dir, exists = self.path.is_dir(), self.path.exists()
        except OSError as exc:  # a parent folder we may not enter (EACCES), a name too long...
            raise HistoryError(
                f"cannot open history store {self.path}: {exc.strerror or exc}"
            ) from exc
        if is_dir:
            raise HistoryError(
                f"history store {self.path} is a folder; give a file name with --db (for example {self.path / DB_PATH})"
            )
        if not exists:
            if not create:
                raise NotFound(
                    f"no history store at {self.path}; score a month first (svcqa score ... --db {self.path}) or point --db / $SVCQA_DB at the store"
                )
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise HistoryError(
                    f"cannot create history store {self.path}: {exc.strerror or exc}"
                ) from exc
        try:
            target, uri = (
                (self.path.resolve().as_uri() + "?mode=ro", True)
                if read_only
                else (str(self.path), False)
            )
            self._conn = sqlite3.connect(
                target, timeout=self.lock_timeout, isolation_level=None, uri=uri
            )
        except sqlite3.Error as exc:
            raise self._error(exc, "open") from exc
        try:
            self._open()
        except BaseException:
            self._conn.close()
            raise

    # -- opening, locking -------------------------------------------------------------------

    def _open(self) -> None:
        # Read the version before anything that could write (journal_mode=WAL rewrites the header):
        # a newer store must stay byte-for-byte as it was.
        version = self._user_version()
        if version > latest_version():
            raise HistoryError(
                f"history store {self.path} has schema version {version}, but this svcqa only knows up to "
                f"version {latest_version()}; it was written by a newer svcqa. Upgrade svcqa, or use another "
                "store with --db. The store was not changed."
            )
        if self.read_only:
            self._open_read_only(version)
            return
        try:
            # Stored tickets are ~1 MB blobs, one per completion day; 64 KiB pages read them about
            # twice as fast as the default 4 KiB overflow chains. Only a new, empty file takes
            # the size (SQLite ignores it otherwise), and it must come before WAL mode.
            self._conn.execute("PRAGMA page_size = 65536")
            self._enable_wal()
            self._conn.execute("PRAGMA synchronous = NORMAL")  # safe in WAL: a crash never corrupts
            self._conn.execute("PRAGMA foreign_keys = ON")
            # A month of 1M tickets writes ~100 MB in one transaction; with the default 2 MB page
            # cache SQLite spills pages to the WAL mid-transaction and writes them again. The cache
            # grows only as pages are used, so small stores cost nothing extra.
            self._conn.execute("PRAGMA cache_size = -131072")  # KiB: up to 128 MiB
        except sqlite3.Error as exc:
            raise self._error(exc, "open") from exc
        if version < latest_version():
            with self.writing():
                # Another process may have migrated while we waited for the lock.
                migrate(self._conn, self._user_version())

    def _open_read_only(self, version: int) -> None:
        if version < latest_version():
            raise HistoryError(
                f"history store {self.path} has schema version {version}, older than this svcqa's "
                f"{latest_version()}; this command only reads the store and does not upgrade it. Run "
                f"`svcqa history --db {self.path}` (or score a month) once to upgrade it, then rerun."
            )
        try:
            self._conn.execute("PRAGMA cache_size = -131072")  # KiB: up to 128 MiB, as a writer
            self._conn.execute(f"PRAGMA busy_timeout = {int(self.lock_timeout * 1000)}")
        except sqlite3.Error as exc:
            raise self._error(exc, "open") from exc

    def _enable_wal(self) -> None:
        """Switch to WAL, waiting up to ``lock_timeout`` for a concurrent opener.

        Changing the journal mode of a new file needs an exclusive lock, and SQLite reports
        "database is locked" at once instead of calling the busy handler, so two cron runs
        creating the same store together would otherwise fail immediately.
        """
        deadline = time.monotonic() + self.lock_timeout
        while True:
            try:
                self._conn.execute("PRAGMA journal_mode = WAL")
                return
            except sqlite3.OperationalError as exc:
                if not _is_busy(exc) or time.monotonic() >= deadline:
                    raise
                time.sleep(0.05)

    def _user_version(self) -> int:
        try:
            return int(self._conn.execute("PRAGMA user_version").fetchone()[0])
        except sqlite3.DatabaseError as exc:
            raise self._error(exc, "open") from exc

    def _error(self, exc: sqlite3.Error, action: str) -> HistoryError:
        if _is_busy(exc):
            return HistoryError(
                f"history store {self.path} is busy (another svcqa run holds the lock for more than "
                f"{self.lock_timeout:g} s); try again or raise --lock-timeout",
                code="history-busy",
            )
        if "not a database" in str(exc).lower():
            return HistoryError(
                f"{self.path} is not an svcqa history store (not an SQLite database); point --db at the store or remove the file"
            )
        problem = _storage_problem(self.path, exc)
        if problem:
            return HistoryError(f"cannot {action} history store {self.path}: {problem}")
        return HistoryError(f"cannot {action} history store {self.path}: {exc}")

    @contextmanager
    def writing(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: ``with store.writing() as conn:`` commits when the block ends
        and rolls back if it raises. ``BEGIN IMMEDIATE`` takes the write lock up front (waiting up
        to ``lock_timeout``), so the transaction never fails half-way for lack of a lock. SQLite
        errors come out as ``HistoryError``; do not nest it in another transaction."""
        try:
            self._begin_immediate()
        except sqlite3.Error as exc:
            raise self._error(exc, "write to") from exc
        try:
            yield self._conn
            pause_point("history-commit")
            self._conn.execute("COMMIT")
        except BaseException as exc:
            if self._conn.in_transaction:
                self._conn.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error):
                raise self._error(exc, "write to") from exc
            raise

    def _begin_immediate(self) -> None:
        """Take the write lock; when another run holds it, say so (a cron log then shows why a
        run took longer) and wait up to ``lock_timeout`` in SQLite's busy handler."""
        wait_ms = int(self.lock_timeout * 1000)
        self._conn.execute("PRAGMA busy_timeout = 0")
        try:
            self._conn.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError as exc:
            if not _is_busy(exc) or not wait_ms:
                raise
            log.warning(
                "waiting for another svcqa run to release history store %s (up to %g s)",
                self.path,
                self.lock_timeout,
            )
        finally:
            self._conn.execute(f"PRAGMA busy_timeout = {wait_ms}")
        self._conn.execute("BEGIN IMMEDIATE")

    @contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        """One read snapshot: ``with store.reading() as conn:`` sees a concurrent save entirely
        or not at all. SQLite errors come out as ``HistoryError``."""
        try:
            self._conn.execute("BEGIN")
            yield self._conn
        except sqlite3.Error as exc:
            raise self._error(exc, "read") from exc
        finally:
            if self._conn.in_transaction:
                self._conn.execute("COMMIT")

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- saving ----------------------------------------------------------------------------

    def save(
        self,
        scorecard: Scorecard,
        data: MonthData,
        *,
        rubric: Rubric,
        tool_version: str,
        now: datetime,
        before_commit: Callable[[], object] | None = None,
        encoded_tickets: Future[TicketChunks] | None = None,
        in_transaction: Callable[[sqlite3.Connection, int], object] | None = None,
    ) -> int:
        """Store a scored month as its active run, superseding the previous one, atomically.

        Returns the new run id. Later stored months become stale (see ``stale_months``).
        ``before_commit`` runs inside the transaction, last: if it raises, nothing is stored
        (the pipeline waits there for the outputs it writes concurrently with this save).
        ``encoded_tickets``, when given, is ``encode_tickets(data)`` already started on another
        thread (it needs only the month's data, so it can run beside the rest of this save).
        ``in_transaction(conn, run_id)`` writes more rows about the new run in the same
        transaction (``appeal apply`` records the decisions it applied there).
        """
        if scorecard.month != data.month:
            raise HistoryError(
                f"cannot save: the scorecard is for {scorecard.month} but the month data is for {data.month}"
            )
        encoded = encode_run(scorecard, data, rubric, tool_version, now, encoded_tickets)
        with self.writing() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO rubrics (sha256, rubric_id, source) VALUES (?, ?, ?)",
                (rubric.sha256, rubric.id, rubric.source_text),
            )
            previous = conn.execute(
                "SELECT id FROM runs WHERE month = ? AND status = 'active'", (encoded.month,)
            ).fetchone()
            if previous is not None:
                self._supersede(int(previous[0]), now)
            run_id = self._insert_run(encoded.run_values)
            self._insert_branches(run_id, encoded.branch_rows)
            self._insert_kpis(run_id, encoded.kpi_rows)
            if encoded.period_values is not None:
                self._insert_period_counts(run_id, encoded.period_values)
            self._insert_evidence(run_id, encoded.evidence_count, encoded.evidence_blob)
            self._insert_tickets(run_id, encoded.ticket_chunks)
            if in_transaction is not None:
                in_transaction(conn, run_id)
            if before_commit is not None:
                before_commit()
        return run_id

    def _supersede(self, run_id: int, now: datetime) -> None:
        """Mark the month's previous run superseded; drop its bulky rows, keep its summary."""
        conn = self._conn
        conn.execute(
            "UPDATE runs SET status = 'superseded', superseded_at = ? WHERE id = ?",
            (now.isoformat(), run_id),
        )
        conn.execute("DELETE FROM ticket_chunks WHERE run_id = ?", (run_id,))
        conn.execute("DELETE FROM evidence_blobs WHERE run_id = ?", (run_id,))

    def _insert_run(self, values: dict[str, Any]) -> int:
        columns = ", ".join(values)
        marks = ", ".join("?" for _ in values)
        cursor = self._conn.execute(
            f"INSERT INTO runs (status, {columns}) VALUES ('active', {marks})",
            tuple(values.values()),
        )
        assert cursor.lastrowid is not None  # set by the INSERT just run
        return int(cursor.lastrowid)

    def _insert_branches(self, run_id: int, rows: list[tuple[Any, ...]]) -> None:
        self._conn.executemany(
            "INSERT INTO branch_results (run_id, position, branch_key, branch, assessed, total, rank, grade, coefficient, "
            "flags, kpi_total, incentive_points, region, echelon, prev_total, prev_rank, last_place_streak) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            ((run_id, *row) for row in rows),
        )

    def _insert_kpis(self, run_id: int, rows: list[tuple[Any, ...]]) -> None:
        self._conn.executemany(
            "INSERT INTO kpi_results (run_id, branch_key, position, kpi_id, label, grp, value, basis, points, max, "
            "no_data, low_volume, excluded, unit, curve, numerator, note) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            ((run_id, *row) for row in rows),
        )

    def _insert_period_counts(self, run_id: int, columns: list[list[Any]]) -> None:
        count = len(columns[0]) if columns else 0
        self._conn.executemany(
            "INSERT INTO period_counts (run_id, position, kpi_id, branch_key, numerator, basis) VALUES (?, ?, ?, ?, ?, ?)",
            zip(repeat(run_id), range(count), *columns),
        )

    def _insert_evidence(self, run_id: int, count: int, blob: bytes) -> None:
        self._conn.execute(
            "INSERT INTO evidence_blobs (run_id, rows, data) VALUES (?, ?, ?)",
            (run_id, count, blob),
        )
        self._conn.execute("UPDATE runs SET evidence_count = ? WHERE id = ?", (count, run_id))

    def _insert_tickets(self, run_id: int, chunks: list[tuple[str | None, int, bytes]]) -> None:
        self._conn.executemany(
            "INSERT INTO ticket_chunks (run_id, completed_day, rows, data) VALUES (?, ?, ?, ?)",
            ((run_id, day, rows, blob) for day, rows, blob in chunks),
        )

    # -- reading ---------------------------------------------------------------------------

    def months(self) -> list[Month]:
        """Months with an active run, ascending."""
        rows = self._conn.execute(
            "SELECT month FROM runs WHERE status = 'active' ORDER BY month"
        ).fetchall()
        return [Month.parse(m) for (m,) in rows]

    def _active_run_id(self, month: Month) -> int:
        row = self._conn.execute(
            "SELECT id FROM runs WHERE month = ? AND status = 'active'", (str(month),)
        ).fetchone()
        if row is None:
            stored = ", ".join(str(m) for m in self.months()) or "none"
            raise NotFound(
                f"{month} is not in history store {self.path} (stored months: {stored}); score it first with svcqa score"
            )
        return int(row[0])

    def load_scorecard(self, month: Month) -> Scorecard:
        """The month's active run as a Scorecard, evidence included, equal to the one saved."""
        with self.reading() as conn:
            run_id = self._active_run_id(month)
            run = row_dict(conn.execute("SELECT * FROM runs WHERE id = ?", (run_id,)))
            kpis: dict[str, list[KpiResult]] = {}
            for row in conn.execute(
                f"SELECT {KPI_SELECT} FROM kpi_results WHERE run_id = ? ORDER BY branch_key, position",
                (run_id,),
            ):
                key, kpi = kpi_result(row)
                kpis.setdefault(key, []).append(kpi)
            branches = [
                branch_result(r, kpis)
                for r in conn.execute(
                    f"SELECT {BRANCH_SELECT} FROM branch_results WHERE run_id = ? ORDER BY position",
                    (run_id,),
                )
            ]
            frames = json.loads(run["frames"])
            english = stored_english(conn, run["rubric_sha256"])
            evidence = self._load_evidence(conn, month, run_id, frames)
            period_counts = None
            if "period_counts" in frames:
                period_counts = decode_frame(
                    conn.execute(
                        "SELECT kpi_id, branch_key, numerator, basis FROM period_counts WHERE run_id = ? ORDER BY position",
                        (run_id,),
                    ).fetchall(),
                    PERIOD_COUNT_COLUMNS,
                    frames["period_counts"],
                )
        return Scorecard(
            month=Month.parse(run["month"]),
            rubric_id=run["rubric_id"],
            rubric_name=run["rubric_name"],
            rubric_max=run["rubric_max"],
            branches=branches,
            inputs={
                name: TableStats(**s) for name, s in json.loads(run["scorecard_inputs"]).items()
            },
            evidence=evidence,
            notes=[Finding(**n) for n in json.loads(run["notes"])],
            generated_at=stored_as_of(run["generated_at"]),  # an ISO datetime or None
            period_counts=period_counts,
            as_of=stored_as_of(run["as_of"]),
            english=english,
        )

    def _load_evidence(
        self, conn: sqlite3.Connection, month: Month, run_id: int, frames: dict[str, Any]
    ) -> pd.DataFrame:
        blob = conn.execute(
            "SELECT data FROM evidence_blobs WHERE run_id = ?", (run_id,)
        ).fetchone()
        if blob is None:  # every save and migration 3 write one; only a hand-edited store lacks it
            raise HistoryError(
                f"history store {self.path} has no evidence for {month} (run {run_id}); re-score the month with svcqa score"
            )
        return decode_evidence(blob[0], frames.get("evidence", {}))

    def run_info(self, month: Month) -> dict[str, Any]:
        """The active run's metadata: rubric (with its TOML text), inputs, row counts, when, by which version."""
        with self.reading() as conn:
            run_id = self._active_run_id(month)
            row = row_dict(
                conn.execute(
                    f"SELECT {RUN_SUMMARY_COLUMNS}, r.rubric_name, r.rubric_max, b.source AS rubric_source, r.month_source, "
                    "r.stats, r.generated_at FROM runs r JOIN rubrics b ON b.sha256 = r.rubric_sha256 WHERE r.id = ?",
                    (run_id,),
                )
            )
        info = run_summary(row)
        info.update(
            rubric_name=row["rubric_name"],
            rubric_max=row["rubric_max"],
            rubric_source=row["rubric_source"],
            month_source=row["month_source"],
            stats=json.loads(row["stats"]),
            generated_at=row["generated_at"],
        )
        return info

    def runs(self, month: Month | None = None) -> list[dict[str, Any]]:
        """Every run, superseded ones included, newest first (optionally of one month)."""
        where, params = ("WHERE r.month = ?", (str(month),)) if month is not None else ("", ())
        cursor = self._conn.execute(
            f"SELECT {RUN_SUMMARY_COLUMNS} FROM runs r {where} ORDER BY r.id DESC", params
        )
        names = [d[0] for d in cursor.description]
        return [run_summary(dict(zip(names, row))) for row in cursor.fetchall()]

    def stale_months(self) -> list[Month]:
        """Months whose active run is older than the active run of some earlier month.

        Every month depends on earlier ones (quarter to date, reworks within 90 days, last-place
        streaks, the first month a branch was seen), so such a month was scored without the
        earlier month as it now stands and should be re-scored, oldest first.
        """
        rows = self._conn.execute(
            "SELECT r.month FROM runs r WHERE r.status = 'active' AND EXISTS ("
            " SELECT 1 FROM runs e WHERE e.status = 'active' AND e.month < r.month AND e.id > r.id) ORDER BY r.month"
        ).fetchall()
        return [Month.parse(m) for (m,) in rows]

    # -- across months (see ``queries``) ----------------------------------------------------

    def branch_names(self) -> dict[str, str]:
        """branch_key -> the display name of the branch's latest stored month."""
        return queries.branch_names(self)

    def context(
        self, month: Month, *, qtd_kpis: Sequence[str] = (), lookback_days: int = 90
    ) -> HistoryContext:
        """What scoring ``month`` needs from earlier stored months, read in one snapshot."""
        return queries.context(self, month, qtd_kpis=qtd_kpis, lookback_days=lookback_days)

    def trend(self, *, branch_key: str | None = None, months: int | None = None) -> pd.DataFrame:
        """Results across the stored months (the last ``months`` of them): see ``queries.trend``."""
        return queries.trend(self, branch_key=branch_key, months=months)


__all__ = ["HistoryStore", "file_sha256", "resolve_db_path"]
