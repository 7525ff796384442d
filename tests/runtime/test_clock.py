"""No test reads the real clock: svcqa asks svcqa.clock, which the suite pins (SVCQA_NOW)."""

from __future__ import annotations

import ast
from datetime import datetime
from pathlib import Path

import pytest

from svcqa import clock
from svcqa.errors import UsageError

from conftest import PINNED_NOW, ROOT

# Calls that read the wall clock. time.monotonic() measures intervals (lock timeouts) and is fine.
CLOCK_CALLS = {("datetime", "now"), ("datetime", "today"), ("date", "today"), ("time", "time")}


def _clock_reads(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name)
            and (node.func.value.id, node.func.attr) in CLOCK_CALLS
        ):
            found.append(
                f"{path.relative_to(ROOT)}:{node.lineno} {node.func.value.id}.{node.func.attr}()"
            )
    return found


def test_only_the_clock_module_reads_the_wall_clock() -> None:
    """Library and tests never read the wall clock themselves (the calls in CLOCK_CALLS); they
    take ``now=`` or ask svcqa.clock, which the suite pins for every test."""
    files = [*(ROOT / "svcqa").rglob("*.py"), *(ROOT / "tests").rglob("*.py")]
    reads = [hit for f in files if f != ROOT / "svcqa" / "clock.py" for hit in _clock_reads(f)]
    assert reads == []


def test_the_suite_runs_under_a_pinned_clock() -> None:
    """Every test sees the pinned time, so outputs with dates do not depend on the day of the run."""
    assert clock.now() == datetime.fromisoformat(PINNED_NOW)
    assert clock.today() == datetime.fromisoformat(PINNED_NOW).date()


def test_a_malformed_pin_is_a_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """SVCQA_NOW that is not an ISO date-time is refused, naming the variable, not ignored."""
    monkeypatch.setenv("SVCQA_NOW", "yesterday")
    with pytest.raises(UsageError, match="SVCQA_NOW='yesterday' is not an ISO date-time"):
        clock.now()
