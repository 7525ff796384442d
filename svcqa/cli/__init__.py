"""The ``svcqa`` command line: each command parses options, calls one function of the public
API (``svcqa.__all__``), prints what it returns, and maps errors to exit codes.

No pandas and no scoring here; one module per command group, options declared once in
``options.py``.
"""

from __future__ import annotations

# Each module registers its commands on ``app``; the import order is the order of `svcqa --help`.
from svcqa.cli import (
    appeal,
    check,
    history,
    period,
    rectify,
    report,
    rubric,
    sample,
    score,
    whatif,  # noqa: I001
)
from svcqa.cli.app import app


def main() -> None:
    from svcqa import reuse_freed_memory

    reuse_freed_memory()
    app()


__all__ = [
    "app",
    "main",
    "appeal",
    "check",
    "history",
    "period",
    "rectify",
    "report",
    "rubric",
    "sample",
    "score",
    "whatif",
]
