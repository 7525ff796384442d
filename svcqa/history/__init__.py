"""The history store: every scored month in one SQLite file (``svcqa.db`` by default).

The pipeline opens the store, asks ``context(month, qtd_kpis=...)`` for what scoring needs from
earlier months, scores, then calls ``save(...)``, which replaces any earlier run of that month in one
transaction. Reports and forms read months back with ``load_scorecard`` and
``trend``; ``svcqa history`` shows the trend (``queries``). Rectification forms live in ``forms``.
Schema changes go in ``migrations/``, one self-contained module each.
"""

from __future__ import annotations

from svcqa.history.store import HistoryStore, file_sha256, resolve_db_path

__all__ = ["HistoryStore", "file_sha256", "resolve_db_path"]
