"""The portable reader path: without ``fork`` (or with ``reader="inprocess"``, ``SVCQA_READER``)
workbooks are read in this process with the same checks, and ``ingest`` gives the same month as
on the fast path (the forked reader child)."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest
from corpus_reader import corpus_files, read_in_children
from month_compare import month_differences

from svcqa.errors import UsageError
from svcqa.ingest import ingest, open_month

from conftest import CORPUS, SAMPLE_DATA, requires_corpus

MONTH = SAMPLE_DATA / "2026-10.xlsx"


def test_the_in_process_reader_gives_the_sample_month_of_the_fast_path() -> None:
    """``reader="inprocess"`` reads the bundled month into the same tables, stats, rejects and notes."""
    fast = ingest([MONTH])
    slow = ingest([MONTH], reader="inprocess")
    assert month_differences(fast, slow) == []
    assert fast.stats and not fast.tables["tickets"].empty


def test_the_in_process_reader_starts_no_child() -> None:
    """On the in-process path no reader child is forked, before or while the sheets are read."""
    with open_month([MONTH], reader="inprocess") as files:
        assert multiprocessing.active_children() == []
        sheets = files.sheets(MONTH, [])
        assert multiprocessing.active_children() == []
    assert [s.sheet for s in sheets]


def test_an_unknown_reader_is_a_usage_error() -> None:
    """A reader name other than fork or inprocess is refused, naming both."""
    with pytest.raises(UsageError, match="fork, inprocess"):
        open_month([MONTH], reader="thread")


COMPARE = r"""
import json, sys
from pathlib import Path
from svcqa.errors import SvcqaError
from svcqa.ingest import ingest
from svcqa.models import Month

sys.path.insert(0, HELPERS)
from month_compare import month_differences

def outcome(path, reader):
    try:
        return ingest([path], required={}, month=Month(2026, 10), reader=reader), None
    except SvcqaError as exc:
        return None, [exc.code, str(exc)]

for name in sys.argv[2:]:
    path = Path(sys.argv[1]) / name
    print(json.dumps({"file": name, "started": True}), flush=True)
    fast, fast_error = outcome(path, "fork")
    result = {"file": name, "fast_error": fast_error}
    if fast_error and fast_error[0] == "reader-died":
        result["skipped"] = True  # the reader would take this process down with it
    else:
        slow, slow_error = outcome(path, "inprocess")
        result["inprocess_error"] = slow_error
        if fast is not None and slow is not None:
            result["differences"] = month_differences(fast, slow)
    print(json.dumps(result, ensure_ascii=False), flush=True)
"""


@requires_corpus
def test_the_in_process_reader_gives_the_corpus_outcomes_of_the_fast_path() -> None:
    """Every corpus file the fast path reads gives the same month in process, and every file it
    refuses is refused in process with the same code and message (files that kill the reader
    child are left out: in process they would end the test's process)."""
    helpers = Path(__file__).parents[1] / "helpers"
    script = COMPARE.replace("HELPERS", repr(str(helpers)))
    results = read_in_children(CORPUS, corpus_files(), script)
    assert sum("differences" in r for r in results.values()) >= 10  # months read by both paths
    for name, result in results.items():
        assert "aborted" not in result, result
        if result.get("skipped"):
            continue
        assert result["inprocess_error"] == result["fast_error"], name
        assert result.get("differences", []) == [], name
