"""Reading a month's exports into canonical tables (see ``docs/DESIGN.md``).

``ingest(paths, ...) -> MonthData`` is the entry point; ``check_document`` turns its result into
the ``svcqa check --format json`` document.

The names below load on first use, so that ``svcqa.ingest.reader`` can be imported (and a
workbook's reader started, see ``reader.read_ahead``) without loading pandas first.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "CHECK_SCHEMA": "svcqa.ingest.check",
    "check_document": "svcqa.ingest.check",
    "run_check": "svcqa.ingest.check",
    "ingest": "svcqa.ingest.core",
    "load_alias_file": "svcqa.ingest.aliases",
    "Limits": "svcqa.ingest.limits",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(_EXPORTS[name]), name)
