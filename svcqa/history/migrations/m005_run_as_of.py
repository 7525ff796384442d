"""Migration 5 (released): the data's cut-off a run was scored at (``svcqa score --as-of``)."""

from __future__ import annotations

import sqlite3

VERSION = 5


def upgrade(conn: sqlite3.Connection) -> None:
    """``runs.as_of``: the cut-off (ISO datetime) at which the run aged its open rows, for a
    month still running; NULL for every earlier run, which aged them at the month's end.
    Re-scoring a stored month (a later month's re-score, whatif, appeal apply) reads it back."""
    conn.execute("ALTER TABLE runs ADD COLUMN as_of TEXT")
