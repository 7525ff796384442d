"""The one SQL helper every migration uses: run a multi-statement script inside the open transaction.

Kept apart from the registry in ``__init__`` so a migration module imports only this (never the
package face, never the live store), and the import graph stays a tree.
"""

from __future__ import annotations

import sqlite3


def execute_all(conn: sqlite3.Connection, script: str) -> None:
    """Run several ``;``-separated statements one by one inside the current transaction.

    ``conn.executescript`` would commit the caller's transaction first and break the upgrade's
    atomicity, hence this splitter.
    """
    statement = ""
    for line in script.splitlines(keepends=True):
        statement += line
        if sqlite3.complete_statement(statement):
            conn.execute(statement)
            statement = ""
    if statement.strip():
        raise ValueError(f"incomplete SQL statement in migration: {statement.strip()[:80]}")
