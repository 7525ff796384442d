"""The history store's schema, as an ordered list of migrations run forward on open.

The schema version lives in ``PRAGMA user_version``: 0 for a new file, otherwise the number of
the last migration applied. ``migrate`` applies every migration above the file's version, in
order, inside the caller's write transaction, and sets ``user_version`` in the same
transaction, so a crash mid-upgrade leaves the file at its old version, untouched.

Adding a migration (for example the rectification-form tables) is one function::

    @migration(2)
    def add_forms(conn: sqlite3.Connection) -> None:
        \"\"\"Rectification forms issued per run and branch.\"\"\"
        execute_all(conn, '''
            CREATE TABLE forms (...);
            CREATE INDEX forms_by_run ON forms(run_id);
        ''')

Rules: number it one above the last, never edit or renumber a released migration (stores in
the field already ran it), only use ``conn.execute`` / ``execute_all`` (never
``conn.executescript``, which commits the open transaction and would break atomicity), and add
a test that opens a store at the previous version and checks the upgrade.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable

Migration = Callable[[sqlite3.Connection], None]

# version -> migration; filled by the @migration decorator below, in file order.
MIGRATIONS: dict[int, Migration] = {}


def migration(version: int) -> Callable[[Migration], Migration]:
    """Register ``func`` as the migration that brings the schema to ``version``."""

    def register(func: Migration) -> Migration:
        expected = len(MIGRATIONS) + 1
        if version != expected:
            raise RuntimeError(
                f"migration {func.__name__} is numbered {version}, expected {expected}"
            )
        MIGRATIONS[version] = func
        return func

    return register


def latest_version() -> int:
    return len(MIGRATIONS)


def execute_all(conn: sqlite3.Connection, script: str) -> None:
    """Run several ``;``-separated statements one by one inside the current transaction."""
    statement = ""
    for line in script.splitlines(keepends=True):
        statement += line
        if sqlite3.complete_statement(statement):
            conn.execute(statement)
            statement = ""
    if statement.strip():
        raise ValueError(f"incomplete SQL statement in migration: {statement.strip()[:80]}")


def migrate(conn: sqlite3.Connection, current: int) -> int:
    """Apply the migrations above ``current`` (caller holds a write transaction); return the new version."""
    for version in range(current + 1, latest_version() + 1):
        MIGRATIONS[version](conn)
        conn.execute(f"PRAGMA user_version = {int(version)}")
    return max(current, latest_version())


@migration(1)
def initial_schema(conn: sqlite3.Connection) -> None:
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


@migration(2)
def rectification_forms(conn: sqlite3.Connection) -> None:
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


@migration(3)
def evidence_blobs(conn: sqlite3.Connection) -> None:
    """Each run's evidence as one Arrow IPC (zstd) blob instead of one SQL row per evidence row.

    Evidence is only ever read whole per run, and a 1M-ticket month has ~300k rows: as SQL rows
    they took 1.3 s of every save and 1.6 s of every report. Every run's rows are converted here
    (decoded as ``load_scorecard`` read them, encoded as ``save`` writes them), then the old
    table goes.
    """
    # Imported here: the store imports this module.
    from svcqa.history.store import _decode_frame, encode_evidence

    execute_all(
        conn,
        """
        -- The run's evidence (EVIDENCE_COLUMNS) as one Arrow IPC stream; runs.frames keeps the
        -- pandas dtypes that restore it exactly.
        CREATE TABLE evidence_blobs (
            run_id INTEGER PRIMARY KEY REFERENCES runs(id),
            rows INTEGER NOT NULL,
            data BLOB NOT NULL
        );
        """,
    )
    # The columns of the version-1 evidence table, spelled out so later changes to
    # EVIDENCE_COLUMNS cannot change what this migration reads.
    columns = [
        "branch_key",
        "kpi_id",
        "kind",
        "ref",
        "date",
        "value",
        "category",
        "detail",
        "file",
        "sheet",
        "row",
    ]
    runs = conn.execute(
        "SELECT id, frames FROM runs WHERE status = 'active' OR id IN (SELECT run_id FROM evidence) ORDER BY id"
    ).fetchall()
    for run_id, frames in runs:  # one iteration per run
        rows = conn.execute(
            f"SELECT {', '.join(columns)} FROM evidence WHERE run_id = ? ORDER BY seq", (run_id,)
        ).fetchall()
        evidence = _decode_frame(rows, columns, json.loads(frames).get("evidence", {}))
        _dtypes, blob = encode_evidence(
            evidence
        )  # load_scorecard restores the dtypes in runs.frames
        conn.execute(
            "INSERT INTO evidence_blobs (run_id, rows, data) VALUES (?, ?, ?)",
            (run_id, len(evidence), blob),
        )
    execute_all(
        conn,
        """
        DROP INDEX evidence_by_branch;
        DROP TABLE evidence;
        """,
    )
