"""The history store's schema, as an ordered list of migrations run forward on open.

The schema version lives in ``PRAGMA user_version``: 0 for a new file, otherwise the number of
the last migration applied. ``migrate`` applies every migration above the file's version, in
order, inside the caller's write transaction, and sets ``user_version`` in the same
transaction, so a crash mid-upgrade leaves the file at its old version, untouched.

Each migration is one module, ``mNNN_<what>.py``, defining ``VERSION`` and ``upgrade(conn)``, and
is listed in ``_RELEASED`` below. Rules: number it one above the last; never edit or renumber a
released migration (stores in the field already ran it); keep it self-contained, importing only
``migrations.sql`` besides the standard library and third-party packages (a migration that used
today's store or codecs would change what it writes whenever they change; a test walks the
imports); only use ``conn.execute`` / ``execute_all`` (never ``conn.executescript``, which commits
the open transaction and would break atomicity); and add a test that opens a store at the
previous version and checks the upgrade.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from svcqa.history.migrations import (
    m001_initial_schema,
    m002_rectification_forms,
    m003_evidence_blobs,
    m004_appeals,
    m005_run_as_of,
)
from svcqa.history.migrations.sql import execute_all

Migration = Callable[[sqlite3.Connection], None]

# version -> migration; filled from ``_RELEASED`` at the end of this module, oldest first.
MIGRATIONS: dict[int, Migration] = {}


def migration(version: int) -> Callable[[Migration], Migration]:
    """Register ``func`` as the migration that brings the schema to ``version``."""

    def register(func: Migration) -> Migration:
        expected = len(MIGRATIONS) + 1
        if version != expected:
            raise RuntimeError(
                f"migration {func.__module__}.{func.__name__} is numbered {version}, expected {expected}"
            )
        MIGRATIONS[version] = func
        return func

    return register


def latest_version() -> int:
    return len(MIGRATIONS)


def migrate(conn: sqlite3.Connection, current: int) -> int:
    """Apply the migrations above ``current`` (caller holds a write transaction); return the new version."""
    for version in range(current + 1, latest_version() + 1):
        MIGRATIONS[version](conn)
        conn.execute(f"PRAGMA user_version = {int(version)}")
    return max(current, latest_version())


# Every released migration, oldest first.
_RELEASED = (
    m001_initial_schema,
    m002_rectification_forms,
    m003_evidence_blobs,
    m004_appeals,
    m005_run_as_of,
)
for _step in _RELEASED:
    migration(_step.VERSION)(_step.upgrade)

__all__ = ["MIGRATIONS", "Migration", "execute_all", "latest_version", "migrate", "migration"]
