"""Migration 2 (released): the rectification-form tables (issued forms, returns, measures)."""

from __future__ import annotations

import sqlite3

from svcqa.history.migrations.sql import execute_all

VERSION = 2


def upgrade(conn: sqlite3.Connection) -> None:
    """Rectification forms issued per branch and month, and what came back filled in."""
    execute_all(
        conn,
        """
        -- One row per issued form file set. ``locked_cells`` keeps every non-input cell as issued,
        -- so ``svcqa rectify collect`` can tell an edit outside the input cells; ``layout`` names
        -- the input cells (and each section-4 row's KPI) the collector reads.
        CREATE TABLE rectify_forms (
            form_id TEXT PRIMARY KEY,
            branch_key TEXT NOT NULL,
            branch TEXT NOT NULL,
            month TEXT NOT NULL CHECK (month GLOB '[0-9][0-9][0-9][0-9]-[01][0-9]'),
            issued_at TEXT NOT NULL,
            rubric_id TEXT NOT NULL,
            form_version INTEGER NOT NULL,
            reasons TEXT NOT NULL,           -- JSON list of flags that required the form
            due_date TEXT NOT NULL,          -- ISO date the filled form is due back
            files TEXT NOT NULL,             -- JSON [{path, sha256}]
            layout TEXT NOT NULL,            -- JSON {sheet, inputs: {role: cell}, rows: [...]}
            locked_cells TEXT NOT NULL,      -- JSON {cell: value} of the protected cells
            locked_sha256 TEXT NOT NULL
        );
        CREATE INDEX rectify_forms_by_month ON rectify_forms(month, branch_key);

        -- The latest collected form per branch and month (re-collecting replaces it).
        CREATE TABLE rectify_returns (
            branch_key TEXT NOT NULL,
            month TEXT NOT NULL,
            form_id TEXT NOT NULL REFERENCES rectify_forms(form_id),
            collected_at TEXT NOT NULL,
            source_file TEXT NOT NULL,
            source_sha256 TEXT NOT NULL,
            texts TEXT NOT NULL,             -- JSON {cause, coordination, effect, signer, fill_date}
            PRIMARY KEY (branch_key, month)
        );

        -- Section 4 of a collected form: one row per measure.
        CREATE TABLE rectify_measures (
            branch_key TEXT NOT NULL,
            month TEXT NOT NULL,
            row INTEGER NOT NULL,
            kpi_id TEXT NOT NULL,            -- '' for a row the branch added
            problem TEXT NOT NULL,
            measure TEXT NOT NULL,
            owner TEXT NOT NULL,
            deadline TEXT NOT NULL,          -- ISO date
            target REAL,
            collected_at TEXT NOT NULL,
            source_file TEXT NOT NULL,
            PRIMARY KEY (branch_key, month, row)
        );
        """,
    )
