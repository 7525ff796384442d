"""Migration 1 (released): the first schema of runs, results, counts, evidence rows and ticket chunks."""

from __future__ import annotations

import sqlite3

from svcqa.history.migrations.sql import execute_all

VERSION = 1


def upgrade(conn: sqlite3.Connection) -> None:
    """Runs, branch and KPI results, quarter-to-date counts, evidence and rework tickets."""
    execute_all(
        conn,
        """
        -- A rubric's full TOML text, stored once per distinct content.
        CREATE TABLE rubrics (
            sha256 TEXT PRIMARY KEY,
            rubric_id TEXT NOT NULL,
            source TEXT NOT NULL
        );

        -- One row per save. Exactly one active run per month; earlier ones are superseded and
        -- keep their summary rows (branch_results, kpi_results, period_counts), not the bulky ones.
        CREATE TABLE runs (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            month TEXT NOT NULL CHECK (month GLOB '[0-9][0-9][0-9][0-9]-[01][0-9]'),
            status TEXT NOT NULL CHECK (status IN ('active', 'superseded')),
            created_at TEXT NOT NULL,
            superseded_at TEXT,
            tool_version TEXT NOT NULL,
            rubric_id TEXT NOT NULL,
            rubric_name TEXT NOT NULL,
            rubric_max REAL NOT NULL,
            rubric_sha256 TEXT NOT NULL REFERENCES rubrics(sha256),
            month_source TEXT NOT NULL,
            inputs TEXT NOT NULL,            -- JSON [{path, name, size, sha256}] (MonthData.sources)
            stats TEXT NOT NULL,             -- JSON {table: {rows, used, excluded, rejected}} (MonthData.stats)
            scorecard_inputs TEXT NOT NULL,  -- JSON Scorecard.inputs
            notes TEXT NOT NULL,             -- JSON [Finding.as_dict()]
            generated_at TEXT,
            frames TEXT NOT NULL,            -- JSON {frame: {column: dtype}} to restore frames exactly
            ticket_count INTEGER NOT NULL DEFAULT 0,
            evidence_count INTEGER NOT NULL DEFAULT 0
        );
        CREATE UNIQUE INDEX runs_one_active_per_month ON runs(month) WHERE status = 'active';

        CREATE TABLE branch_results (
            run_id INTEGER NOT NULL REFERENCES runs(id),
            position INTEGER NOT NULL,
            branch_key TEXT NOT NULL,
            branch TEXT NOT NULL,
            assessed INTEGER NOT NULL,
            total REAL NOT NULL,
            rank INTEGER,
            grade TEXT,
            coefficient REAL,
            flags TEXT NOT NULL,             -- JSON list
            kpi_total REAL NOT NULL,
            incentive_points REAL NOT NULL,
            region TEXT NOT NULL,
            echelon TEXT NOT NULL,
            prev_total REAL,
            prev_rank INTEGER,
            last_place_streak INTEGER NOT NULL,
            PRIMARY KEY (run_id, branch_key)
        );

        CREATE TABLE kpi_results (
            run_id INTEGER NOT NULL REFERENCES runs(id),
            branch_key TEXT NOT NULL,
            position INTEGER NOT NULL,
            kpi_id TEXT NOT NULL,
            label TEXT NOT NULL,
            grp TEXT NOT NULL,
            value REAL,
            basis INTEGER NOT NULL,
            points REAL NOT NULL,
            max REAL NOT NULL,
            no_data INTEGER NOT NULL,
            low_volume INTEGER NOT NULL,
            excluded INTEGER NOT NULL,
            unit TEXT NOT NULL,
            curve TEXT NOT NULL,             -- JSON
            numerator REAL,
            note TEXT NOT NULL,
            PRIMARY KEY (run_id, branch_key, kpi_id)
        );

        -- Month-only (numerator, basis) of quarter-to-date KPIs (Scorecard.period_counts).
        CREATE TABLE period_counts (
            run_id INTEGER NOT NULL REFERENCES runs(id),
            position INTEGER NOT NULL,
            kpi_id,
            branch_key,
            numerator,
            basis,
            PRIMARY KEY (run_id, position)
        );

        -- The input rows behind every lost point (EVIDENCE_COLUMNS). Untyped columns keep
        -- each value's own SQLite type; runs.frames restores the pandas dtypes.
        CREATE TABLE evidence (
            run_id INTEGER NOT NULL,
            seq INTEGER NOT NULL,
            branch_key, kpi_id, kind, ref, date, value, category, detail, file, sheet, row,
            PRIMARY KEY (run_id, seq)
        );
        CREATE INDEX evidence_by_branch ON evidence(run_id, branch_key);

        -- Tickets with a device id, for rework detection in later months: the columns
        -- ticket_id, device_id, branch_key, accepted_at, completed_at, file, sheet, row as one
        -- Arrow IPC (zstd) blob per run and completion day (NULL: still open). A month can hold
        -- a million tickets: as blobs they take ~30 bytes each and a 90-day window of 3 million
        -- reads in about a second; one SQL row per ticket took 70 bytes and 14 s.
        CREATE TABLE ticket_chunks (
            run_id INTEGER NOT NULL REFERENCES runs(id),
            completed_day TEXT,              -- YYYY-MM-DD of completed_at, NULL for open tickets
            rows INTEGER NOT NULL,
            data BLOB NOT NULL
        );
        CREATE INDEX ticket_chunks_by_day ON ticket_chunks(completed_day);
        CREATE INDEX ticket_chunks_by_run ON ticket_chunks(run_id);
        """,
    )
