"""Every finding code svcqa emits: a registry of finding types (code, kind, title, description).

A *finding* is anything svcqa reports with a stable code: a row rejected or excluded, a note on
the run, a problem in a returned form, or the error that stops a run (``SvcqaError.code``). Codes
are literals where emitted; this registry says what each means and what to do, and
``docs/FINDINGS.md`` is generated from it (``python -m svcqa.findings --markdown``). A test fails
on a code emitted but not registered, or registered but no longer emitted. Stdlib only.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from svcqa.findings.appeals import APPEAL_FORM_TYPES
from svcqa.findings.cutoff import CUT_OFF_TYPES
from svcqa.findings.errors import ERROR_TYPES
from svcqa.findings.forms import FORM_TYPES
from svcqa.findings.kinds import FindingType, registry
from svcqa.findings.rows import ROW_TYPES
from svcqa.findings.run import RUN_TYPES
from svcqa.findings.wide import WIDE_TYPES

# The rubric asks for data the month lacks (table, column, filter value): notes; --strict exits 1.
RUBRIC_MISMATCH_CODES = (
    "kpi-table-missing", "kpi-column-missing", "filter-matches-nothing", "filter-not-boolean",
    "threshold-value-unknown", "per-basis-missing",
)  # fmt: skip

# One module per area; the order here is the order of docs/FINDINGS.md within each kind.
FINDING_TYPES: dict[str, FindingType] = registry(
    *ROW_TYPES,
    *RUN_TYPES,
    *ERROR_TYPES,
    *FORM_TYPES,
    *APPEAL_FORM_TYPES,
    *CUT_OFF_TYPES,
    *WIDE_TYPES,
)


def finding_type(code: str) -> FindingType:
    """The registered type of ``code``; KeyError naming the code and where codes are listed."""
    try:
        return FINDING_TYPES[code]
    except KeyError:
        raise KeyError(
            f"unknown finding code {code!r}: every code svcqa emits is registered in "
            "svcqa.findings.FINDING_TYPES and listed in docs/FINDINGS.md"
        ) from None


def markdown() -> str:
    """docs/FINDINGS.md: one table per kind, codes in registry order (``findings.docs``)."""
    from svcqa.findings.docs import markdown_table

    return markdown_table(FINDING_TYPES)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m svcqa.findings", description="List svcqa's finding codes."
    )
    parser.add_argument(
        "--markdown", action="store_true", help="print docs/FINDINGS.md (a table per kind)"
    )
    args = parser.parse_args(argv)
    if args.markdown:
        sys.stdout.write(markdown())
    else:
        for t in FINDING_TYPES.values():
            sys.stdout.write(f"{t.code}\t{t.kind}\t{t.severity}\t{t.title}\n")
    return 0
