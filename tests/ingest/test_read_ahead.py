"""The head start of ``score``: the workbook's reader child starts before pandas and the rubric
load (svcqa.ingest.open_month), and nothing about the result or the errors changes."""

from __future__ import annotations

import multiprocessing
import subprocess
import sys
from pathlib import Path

import pytest

from svcqa.errors import InputError, RubricError
from svcqa.ingest import Limits, ingest, open_month, read_month
from svcqa.jobs.score import run_score
from svcqa.models import Month

from conftest import SAMPLE_DATA

MONTH = SAMPLE_DATA / "2026-10.xlsx"


def test_the_reader_starts_before_pandas_is_imported() -> None:
    probe = (
        "import sys\n"
        "from svcqa.ingest.reading import open_month\n"
        "from svcqa.ingest.safety.limits import Limits\n"
        f"with open_month([{str(MONTH)!r}], Limits()) as ahead:\n"
        "    assert 'pandas' not in sys.modules\n"
        f"    book = ahead.take(__import__('pathlib').Path({str(MONTH)!r}))\n"
        "    assert book is not None and book._child is not None and book._child.process.is_alive()\n"
        "    book.close()\n"
        "print('ok')\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def test_a_head_start_gives_the_same_month() -> None:
    limits = Limits()
    plain = ingest([MONTH], limits=limits)
    with open_month([MONTH], limits) as ahead:
        early = read_month(ahead)
    assert early.stats == plain.stats
    for name, frame in plain.tables.items():
        assert early.tables[name].equals(frame), name
    assert early.rejects.equals(plain.rejects)
    assert [n.code for n in early.notes] == [n.code for n in plain.notes]


def test_a_reader_not_taken_is_stopped(tmp_path: Path) -> None:
    """The rubric fails to load after the reader started: no reader child outlives the run."""
    with pytest.raises(RubricError):
        run_score(
            [MONTH], rubric=tmp_path / "missing.toml", use_history=False, out_dir=tmp_path / "out"
        )
    assert multiprocessing.active_children() == []


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"", "empty-file"),
        (b"PK\x03\x04 truncated", "corrupt"),
        (b"\x00\x01 not a workbook", "not-a-workbook"),
    ],
)
def test_a_bad_file_fails_as_without_a_head_start(
    tmp_path: Path, content: bytes, code: str
) -> None:
    bad = tmp_path / "month.xlsx"
    bad.write_bytes(content)
    with pytest.raises(InputError) as plain:
        ingest([bad])
    with pytest.raises(InputError) as scored:
        run_score([bad], use_history=False, out_dir=tmp_path / "out")
    assert scored.value.code == plain.value.code == code
    assert str(scored.value) == str(plain.value)


def test_a_given_month_loads_its_history_while_the_workbook_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With --month and a store on disk the context is read ahead on a thread; the scorecard is
    the one the month gets when its context is read after ingest."""
    import svcqa.jobs.score as pipeline

    db = tmp_path / "svcqa.db"
    for month in ("2026-08", "2026-09"):
        run_score([SAMPLE_DATA / f"{month}.xlsx"], db=db, out_dir=tmp_path / month)
    inferred_db = tmp_path / "inferred.db"
    inferred_db.write_bytes(db.read_bytes())
    taken: list[object] = []
    original = pipeline._taken_context
    monkeypatch.setattr(
        pipeline, "_taken_context", lambda early: taken.append(original(early)) or taken[-1]
    )
    given = run_score([MONTH], db=db, month=Month(2026, 10), out_dir=tmp_path / "given")
    assert taken and taken[0] is not None  # read ahead, and used
    later = run_score([MONTH], db=inferred_db, out_dir=tmp_path / "inferred")
    assert taken[1] is None  # month inferred: no head start
    assert (tmp_path / "given" / "scorecard.csv").read_bytes() == (
        tmp_path / "inferred" / "scorecard.csv"
    ).read_bytes()
    assert [b.prev_rank for b in given.scorecard.branches] == [
        b.prev_rank for b in later.scorecard.branches
    ]


def test_the_reader_is_done_once_its_last_sheet_is_handed_over() -> None:
    """``wait_for_reads`` (the history read ahead waits on it) returns only once the reader
    child has handed over every sheet, and at once for a workbook that was closed instead."""
    limits = Limits()
    with open_month([MONTH], limits) as ahead:
        book = ahead.take(MONTH)
        assert book is not None and not book.read_done.is_set()
        names = book.visible_names
        sheets = book.load_many(names)
        for _ in names[:-1]:
            next(sheets)
            assert not book.read_done.is_set()
        next(sheets)
        assert ahead.wait_for_reads(timeout=0)
        sheets.close()
    with open_month([MONTH], limits) as ahead:
        pass  # the run failed before it took the workbook: leaving the block stops the reader
    assert ahead.wait_for_reads(timeout=0)


def test_a_failed_run_with_a_given_month_creates_no_store(tmp_path: Path) -> None:
    bad = tmp_path / "month.xlsx"
    bad.write_bytes(b"\x00\x01 not a workbook")
    db = tmp_path / "new.db"
    with pytest.raises(InputError):
        run_score([bad], db=db, month=Month(2026, 10), out_dir=tmp_path / "out")
    assert not db.exists()


def test_a_run_failing_before_it_takes_the_workbook_does_not_wait_for_its_reader(
    tmp_path: Path,
) -> None:
    """The history read ahead waits for the workbook's reader child; a run that fails on an
    earlier file (the workbook is never taken) still ends at once with that file's error."""
    import time

    db = tmp_path / "svcqa.db"
    run_score([SAMPLE_DATA / "2026-09.xlsx"], db=db, out_dir=tmp_path / "sep")
    empty = tmp_path / "a-tickets.csv"
    empty.write_bytes(b"")
    started = time.monotonic()
    with pytest.raises(InputError) as failed:
        run_score([empty, MONTH], db=db, month=Month(2026, 10), out_dir=tmp_path / "out")
    assert failed.value.code == "empty-file"
    assert time.monotonic() - started < 20
