"""The one place svcqa reads the wall clock.

Every function that stamps or dates something takes ``now=``/``today=``; when the caller leaves
it out, it asks ``now()`` here. ``SVCQA_NOW`` (ISO date-time, e.g. ``2026-11-03T06:30:00``) pins
the clock for a whole process and its children: the test suite sets it for every test so no test
depends on the day it runs, and an analyst can use it to re-create a run's dates exactly.
"""

from __future__ import annotations

import os
from datetime import date, datetime

from svcqa.errors import UsageError

NOW_ENV = "SVCQA_NOW"


def now() -> datetime:
    """The current local time to the second, or the time ``SVCQA_NOW`` pins."""
    pinned = os.environ.get(NOW_ENV)
    if pinned:
        try:
            return datetime.fromisoformat(pinned).replace(microsecond=0)
        except ValueError:
            raise UsageError(
                f"{NOW_ENV}={pinned!r} is not an ISO date-time such as 2026-11-03T06:30:00; "
                f"fix or unset it"
            ) from None
    return datetime.now().replace(microsecond=0)


def today() -> date:
    return now().date()
