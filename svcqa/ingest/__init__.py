"""Reading a month's exports into canonical tables (see ``docs/DESIGN.md``).

``ingest(paths, ...) -> MonthData`` is the entry point. ``open_month`` opens the files and
starts the first workbook's reader at once; ``read_month`` then reads them (``ingest`` is the
two together). ``check_document`` turns a result into the ``svcqa check --format json`` document.

Import rule of this package (and of ``svcqa.models``, ``svcqa.errors``, ``svcqa.runtime``): no
pandas, numpy or pyarrow at import time, except in the modules that parse tables (``month``,
``table``, ``rules``, ``parse``), so that ``open_month`` forks the reader child before pandas
loads: the child then reads while pandas, the rubric and the ingest code load (a third of a
second). The names below therefore load on first use.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "CHECK_SCHEMA": "svcqa.ingest.check",
    "apply_cut_off": "svcqa.ingest.cutoff",
    "check_document": "svcqa.ingest.check",
    "ingest": "svcqa.ingest.month",
    "read_month": "svcqa.ingest.month",
    "load_alias_file": "svcqa.ingest.aliases",
    "Limits": "svcqa.ingest.safety.limits",
    "MonthFiles": "svcqa.ingest.reading",
    "open_month": "svcqa.ingest.reading",
    "read_sheets": "svcqa.ingest.reading",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(_EXPORTS[name]), name)
