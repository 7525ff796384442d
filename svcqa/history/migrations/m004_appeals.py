"""Migration 4: appeals (申诉), their decisions, the runs that applied them, the issued forms."""

from __future__ import annotations

import sqlite3

from svcqa.history.migrations.sql import execute_all

VERSION = 4


def upgrade(conn: sqlite3.Connection) -> None:
    """Appeals filed per row, the analyst's decisions (never replaced, only superseded), and for
    each run made by ``svcqa appeal apply`` the run it superseded and the decisions it applied;
    and every appeal form issued, so ``svcqa appeal collect`` takes only forms the store issued."""
    execute_all(
        conn,
        """
        -- One row per filed appeal. A late or excess one is kept (status 'late', ``refusal`` the
        -- message it was refused with) so the status list and the bulletin show it.
        CREATE TABLE appeals (
            id INTEGER PRIMARY KEY,
            month TEXT NOT NULL CHECK (month GLOB '[0-9][0-9][0-9][0-9]-[01][0-9]'),
            branch_key TEXT NOT NULL,
            branch TEXT NOT NULL,
            tbl TEXT NOT NULL CHECK (tbl IN ('tickets', 'complaints', 'attendance')),
            row_id TEXT NOT NULL,
            kpi_id TEXT NOT NULL DEFAULT '',
            reason TEXT NOT NULL,
            reference TEXT NOT NULL DEFAULT '',
            source TEXT NOT NULL DEFAULT '',  -- the returned form's file name; '' for appeal add
            filed_at TEXT NOT NULL,           -- ISO datetime
            status TEXT NOT NULL CHECK (status IN ('ok', 'late')),
            refusal TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX appeals_by_row ON appeals(month, tbl, row_id);

        -- Decisions on an appeal. A later decision supersedes the earlier one (superseded_by is
        -- set on the earlier one); both stay. The current decision has superseded_by NULL.
        CREATE TABLE appeal_decisions (
            id INTEGER PRIMARY KEY,
            appeal_id INTEGER NOT NULL REFERENCES appeals(id),
            accepted INTEGER NOT NULL CHECK (accepted IN (0, 1)),
            reason TEXT NOT NULL,
            decided_by TEXT NOT NULL,
            decided_at TEXT NOT NULL,         -- ISO datetime
            adjust_days REAL CHECK (adjust_days IS NULL OR adjust_days > 0),
            superseded_by INTEGER REFERENCES appeal_decisions(id)
        );
        CREATE INDEX appeal_decisions_by_appeal ON appeal_decisions(appeal_id);

        -- A run saved by ``svcqa appeal apply``: the month's run it superseded.
        CREATE TABLE appeal_runs (
            run_id INTEGER PRIMARY KEY REFERENCES runs(id),
            month TEXT NOT NULL,
            superseded_run INTEGER REFERENCES runs(id),
            applied_at TEXT NOT NULL
        );

        -- The accepted decisions such a run applied, and whether each one's row was in the inputs.
        CREATE TABLE appeal_run_decisions (
            run_id INTEGER NOT NULL REFERENCES appeal_runs(run_id),
            decision_id INTEGER NOT NULL REFERENCES appeal_decisions(id),
            row_found INTEGER NOT NULL CHECK (row_found IN (0, 1)),
            PRIMARY KEY (run_id, decision_id)
        );

        -- Every appeal form (申诉表) issued: its id and the checksum of its locked cells as
        -- written. A returned form whose id is not here, or whose checksum differs, is refused.
        CREATE TABLE appeal_forms (
            form_id TEXT PRIMARY KEY,
            month TEXT NOT NULL,
            branch_key TEXT NOT NULL,
            locked_sha256 TEXT NOT NULL,
            issued_at TEXT NOT NULL,          -- ISO datetime
            file TEXT NOT NULL                -- the file name written
        );
        """,
    )
