"""Test-only hooks. Nothing here runs unless ``SVCQA_TEST_PAUSE_AT`` is set; users never set it.

The kill and concurrency tests need a real ``svcqa score`` process stopped at a known point (a
temporary output written but not yet renamed, a history transaction not yet committed) so they
can SIGKILL it there or race a second process against it. ``pause_point`` is the one place the
variable is read.
"""

from __future__ import annotations

import os
import sys
import time

PAUSE_ENV = "SVCQA_TEST_PAUSE_AT"


def pause_point(stage: str) -> None:
    """Sleep (up to an hour) when ``SVCQA_TEST_PAUSE_AT`` equals ``stage``, after saying so on stderr.

    Stages: ``output-replace`` (an output's temporary file is complete, the rename has not
    happened), ``history-commit`` (a history write transaction is done but not committed),
    ``reader-child`` (the workbook reader child has started, before it reads).
    """
    if os.environ.get(PAUSE_ENV) != stage:
        return
    sys.stderr.write(f"svcqa: test pause at {stage}\n")
    sys.stderr.flush()
    time.sleep(3600)
