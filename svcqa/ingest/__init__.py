"""Reading a month's exports into canonical tables (see ``docs/DESIGN.md``).

``ingest(paths, ...) -> MonthData`` is the entry point; ``check_document`` turns its result into
the ``svcqa check --format json`` document.
"""

from __future__ import annotations

from svcqa.ingest.aliases import load_alias_file
from svcqa.ingest.check import CHECK_SCHEMA, check_document, run_check
from svcqa.ingest.core import ingest
from svcqa.ingest.limits import Limits

__all__ = ["CHECK_SCHEMA", "Limits", "check_document", "ingest", "load_alias_file", "run_check"]
