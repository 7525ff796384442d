"""Nothing lost: real ``svcqa score`` processes killed mid-write, run concurrently, or refused output.

Processes are stopped at named points with the test-only hook ``SVCQA_TEST_PAUSE_AT``
(svcqa/runtime/testhooks.py). Afterwards the previous outputs must be byte-identical or wholly replaced,
and the history store must pass ``PRAGMA integrity_check`` and hold the previous month.
What is simulated and how is said in each test.
"""

from __future__ import annotations

import errno
import json
import os
import select
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from svcqa.cli import app
from svcqa.history import HistoryStore

from conftest import SAMPLE_DATA

SVCQA = [sys.executable, "-m", "svcqa.cli"]
MONTH_FILE = SAMPLE_DATA / "2026-10.xlsx"
OUTPUTS = (
    "scorecard.xlsx",
    "scorecard.json",
    "scorecard.csv",
    "rejects.xlsx",
    "rejects.csv",
    "excluded.csv",
)
runner = CliRunner()


def score_args(tmp_path: Path, *extra: str) -> list[str]:
    return [
        "score",
        str(MONTH_FILE),
        "--db",
        str(tmp_path / "svcqa.db"),
        "--out",
        str(tmp_path / "out"),
        "-q",
        *extra,
    ]


def first_run(tmp_path: Path) -> dict[str, bytes]:
    """Score the month once (in-process) and return the outputs' bytes."""
    result = runner.invoke(app, score_args(tmp_path))
    assert result.exit_code == 0, result.output
    return {name: (tmp_path / "out" / name).read_bytes() for name in OUTPUTS}


def start_paused(tmp_path: Path, stage: str, *extra: str) -> subprocess.Popen:
    """Start ``svcqa score`` in a subprocess and return once it reports the pause at ``stage``."""
    env = {**os.environ, "SVCQA_TEST_PAUSE_AT": stage}
    proc = subprocess.Popen(
        [*SVCQA, *score_args(tmp_path, *extra)],
        env=env,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    if said(proc, f"svcqa: test pause at {stage}"):
        return proc
    proc.kill()
    raise AssertionError(f"svcqa score never reached {stage} (exit {proc.poll()})")


def said(proc: subprocess.Popen, expected: str, within: float = 120) -> bool:
    """Whether the process writes a stderr line starting with ``expected`` before it exits (or
    ``within`` seconds pass): the lines before it are read and dropped."""
    deadline = time.monotonic() + within
    assert proc.stderr is not None
    while time.monotonic() < deadline:
        ready, _, _ = select.select([proc.stderr], [], [], 1.0)
        if ready:
            line = proc.stderr.readline()
            if line.startswith(expected):
                return True
            if not line and proc.poll() is not None:
                return False
    return False


def store_state(tmp_path: Path) -> tuple[str, list[tuple[str, str]]]:
    """integrity_check result and (month, status) of every stored run."""
    conn = sqlite3.connect(tmp_path / "svcqa.db")
    try:
        integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()
    with HistoryStore(tmp_path / "svcqa.db") as store:
        runs = sorted((r["month"], r["status"]) for r in store.runs())
    return integrity, runs


def assert_outputs_complete(folder: Path) -> None:
    """Every output parses: the xlsx files open, the JSON loads, the CSVs have a header and rows."""
    for name in OUTPUTS:
        path = folder / name
        if name.endswith(".xlsx"):
            openpyxl.load_workbook(path, read_only=True).close()
        elif name.endswith(".json"):
            json.loads(path.read_text(encoding="utf-8"))
        else:
            assert len(path.read_text(encoding="utf-8-sig").splitlines()) > 1


def test_pause_hook_is_inert_without_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    """pause_point sleeps only when SVCQA_TEST_PAUSE_AT names its stage."""
    from svcqa.runtime import testhooks

    slept: list[float] = []
    monkeypatch.setattr(testhooks.time, "sleep", slept.append)
    monkeypatch.delenv("SVCQA_TEST_PAUSE_AT", raising=False)
    testhooks.pause_point("output-replace")
    monkeypatch.setenv("SVCQA_TEST_PAUSE_AT", "history-commit")
    testhooks.pause_point("output-replace")
    assert slept == []
    testhooks.pause_point("history-commit")
    assert slept == [3600]


def test_kill_before_an_output_is_renamed_keeps_previous_outputs(tmp_path: Path) -> None:
    """SIGKILL while a new output's temp file is complete but not renamed: old outputs byte-identical, store intact."""
    before = first_run(tmp_path)
    proc = start_paused(tmp_path, "output-replace")
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)
    assert proc.returncode == -signal.SIGKILL
    assert {name: (tmp_path / "out" / name).read_bytes() for name in OUTPUTS} == before
    leftovers = sorted(
        p.name
        for p in (tmp_path / "out").iterdir()
        if p.name not in OUTPUTS and p.name != ".svcqa.lock"
    )
    # The killed run leaves its one finished temporary file behind (a dot-file, never a real output name).
    assert (
        len(leftovers) == 1
        and leftovers[0].startswith(".rejects.")
        and leftovers[0].endswith(".xlsx")
    )
    assert store_state(tmp_path) == ("ok", [("2026-10", "active")])


def test_kill_before_history_commit_keeps_previous_month(tmp_path: Path) -> None:
    """SIGKILL inside the history transaction: the store passes integrity_check and holds only the first run."""
    first_run(tmp_path)
    proc = start_paused(tmp_path, "history-commit")
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)
    assert store_state(tmp_path) == ("ok", [("2026-10", "active")])
    assert_outputs_complete(tmp_path / "out")  # written before the save: complete new files
    assert runner.invoke(app, score_args(tmp_path)).exit_code == 0  # the store is usable afterwards
    assert store_state(tmp_path) == ("ok", [("2026-10", "active"), ("2026-10", "superseded")])


def test_second_run_waits_for_the_first(tmp_path: Path) -> None:
    """Two real score processes on one store and folder: the second waits for the first; both succeed."""
    first_run(tmp_path)
    paused = start_paused(tmp_path, "output-replace")
    waiting = subprocess.Popen(
        [*SVCQA, *score_args(tmp_path)], stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    # It says so when it finds the lock held (store or output folder, whichever it reaches first).
    assert said(waiting, "svcqa: waiting for another svcqa run to ")
    assert waiting.poll() is None
    paused.send_signal(signal.SIGKILL)  # the holder dies: its flock is released by the kernel
    paused.wait(30)
    _out, err = waiting.communicate(timeout=120)
    assert waiting.returncode == 0, err
    assert_outputs_complete(tmp_path / "out")
    assert store_state(tmp_path) == ("ok", [("2026-10", "active"), ("2026-10", "superseded")])


@pytest.mark.parametrize(
    ("stage", "history", "message"),
    [
        # The first run holds the store's write lock while its outputs are written (it commits
        # only after they are), so the folder lock alone is seen by a run without history.
        (
            "output-replace",
            False,
            "is in use by another svcqa run for more than 1 s; try again later",
        ),
        (
            "output-replace",
            True,
            "is busy (another svcqa run holds the lock for more than 1 s); try again or raise --lock-timeout",
        ),
        (
            "history-commit",
            True,
            "is busy (another svcqa run holds the lock for more than 1 s); try again or raise --lock-timeout",
        ),
    ],
)
def test_second_run_fails_cleanly_when_the_lock_is_held_too_long(
    stage: str, history: bool, message: str, tmp_path: Path
) -> None:
    """With --lock-timeout 1 the second process exits 1 with a clear message; the store keeps one good run."""
    first_run(tmp_path)
    paused = start_paused(tmp_path, stage)
    args = score_args(tmp_path, "--lock-timeout", "1")
    if not history:
        args = [
            "score",
            str(MONTH_FILE),
            "--no-history",
            "--out",
            str(tmp_path / "out"),
            "-q",
            "--lock-timeout",
            "1",
        ]
    try:
        second = subprocess.run(
            [*SVCQA, *args], capture_output=True, text=True, timeout=120, check=False
        )
    finally:
        paused.send_signal(signal.SIGKILL)
        paused.wait(30)
    assert second.returncode == 1
    *notices, error = second.stderr.splitlines()
    # It said it was waiting, then gave up with one error line.
    assert notices and all(
        n.startswith("svcqa: waiting for another svcqa run to ") for n in notices
    )
    assert error.startswith("svcqa: error: ") and message in error
    assert "Traceback" not in second.stderr
    assert store_state(tmp_path) == ("ok", [("2026-10", "active")])
    assert_outputs_complete(tmp_path / "out")


def _assert_refused(tmp_path: Path, result, before: dict[str, bytes], fragment: str) -> None:
    assert result.exit_code == 1, result.output
    stderr = " ".join(result.stderr.split())
    assert stderr.startswith("svcqa: error: cannot write ") and fragment in stderr, stderr
    assert {name: (tmp_path / "out" / name).read_bytes() for name in OUTPUTS} == before
    assert not [
        p
        for p in (tmp_path / "out").iterdir()
        if p.name.endswith(".tmp") or p.name.startswith(".score")
    ]
    assert store_state(tmp_path) == ("ok", [("2026-10", "active")])


def test_disk_full_is_a_clear_error_and_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Simulated ENOSPC (os.fsync raising, in-process): exit 1 naming the file, old outputs and store unchanged."""
    before = first_run(tmp_path)

    def full(_fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)
    result = runner.invoke(app, score_args(tmp_path))
    _assert_refused(tmp_path, result, before, "No space left on device")


def test_a_failure_on_the_last_output_keeps_the_whole_previous_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The outputs replace the previous ones together: a run that fails writing scorecard.csv (the
    last) keeps the previous six files byte-identical, leaves no temporary file and no new run."""
    import svcqa.render.scorecard as scorecard_module
    from svcqa.output import atomic_write

    before = first_run(tmp_path)

    def disk_full(_card: object, path: Path, **_options: object) -> Path:
        with atomic_write(path, "w", encoding="utf-8") as handle:
            handle.write("half a file")
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(scorecard_module, "write_scorecard_csv", disk_full)
    result = runner.invoke(app, score_args(tmp_path))
    _assert_refused(tmp_path, result, before, "scorecard.csv: No space left on device")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted([*OUTPUTS, ".svcqa.lock"])


def test_file_size_limit_in_a_subprocess(tmp_path: Path) -> None:
    """RLIMIT_FSIZE of 64 kB in a real process (writes fail with EFBIG, like a full quota): exit 1, nothing changed."""
    before = first_run(tmp_path)

    def limit() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        import resource

        resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))

    result = subprocess.run(
        [*SVCQA, *score_args(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=limit,
        check=False,
    )
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr  # xlsxwriter's FileCreateError used to escape as one
    assert " ".join(result.stderr.split()).startswith(
        f"svcqa: error: cannot write {tmp_path / 'out' / 'scorecard.xlsx'}: File too large"
    )
    # Each file is atomic, not the set: the small rejects files were replaced (complete), the
    # scorecard files were not written and are byte-identical.
    assert_outputs_complete(tmp_path / "out")
    assert {name: (tmp_path / "out" / name).read_bytes() for name in OUTPUTS[:3]} == {
        k: before[k] for k in OUTPUTS[:3]
    }
    assert store_state(tmp_path) == ("ok", [("2026-10", "active")])


def test_locked_output_file_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Simulated Windows sharing violation (os.replace raising EACCES, as when Excel holds the file open)."""
    before = first_run(tmp_path)

    def locked(src: str, dst: str) -> None:
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(dst))

    monkeypatch.setattr(os, "replace", locked)
    result = runner.invoke(app, score_args(tmp_path))
    _assert_refused(tmp_path, result, before, "Permission denied")


@pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("setpriv") is None,
    reason="needs root and setpriv to drop to nobody",
)
def test_read_only_output_folder(tmp_path: Path) -> None:
    """A real read-only folder: the run as user nobody (root ignores modes) exits 1 naming the folder."""
    tmp_path = Path(
        tempfile.mkdtemp(prefix="svcqa-ro-", dir="/tmp")
    )  # pytest's tmp_path is root-only
    tmp_path.chmod(0o777)
    out = tmp_path / "out"
    out.mkdir(mode=0o555)
    out.chmod(0o555)
    db_dir = tmp_path / "db"
    db_dir.mkdir()
    db_dir.chmod(0o777)
    spool = tmp_path / "spool"
    spool.mkdir()
    spool.chmod(0o777)
    drop = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
    args = ["score", str(MONTH_FILE), "--db", str(db_dir / "svcqa.db"), "--out", str(out), "-q"]
    result = subprocess.run(
        [*drop, *SVCQA, *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "HOME": "/tmp", "SVCQA_SPOOL_DIR": str(spool)},
    )
    try:
        assert result.returncode == 1, result.stderr
        assert (
            f"svcqa: error: cannot write to output folder {out}: Permission denied" in result.stderr
        )
        assert list(out.iterdir()) == []
    finally:
        shutil.rmtree(tmp_path)


@pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("setpriv") is None,
    reason="needs root and setpriv to drop to nobody",
)
def test_unreachable_history_store_is_a_clear_error(tmp_path: Path) -> None:
    """A store under a folder the user may not enter exits 1 with a HistoryError, not a PermissionError traceback."""
    drop = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
    db = tmp_path / "svcqa.db"  # pytest's tmp_path is 0700 root: nobody cannot enter it
    out = Path(tempfile.mkdtemp(prefix="svcqa-out-", dir="/tmp"))
    out.chmod(0o777)
    spool = out / ".spool"
    spool.mkdir(mode=0o777)
    spool.chmod(0o777)
    try:
        result = subprocess.run(
            [*drop, *SVCQA, "score", str(MONTH_FILE), "--db", str(db), "--out", str(out), "-q"],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            env={**os.environ, "HOME": "/tmp", "SVCQA_SPOOL_DIR": str(spool)},
        )
    finally:
        shutil.rmtree(out)
    assert result.returncode == 1, result.stderr
    assert result.stderr == f"svcqa: error: cannot open history store {db}: Permission denied\n"


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _spools(owner: int) -> list[Path]:
    from svcqa.ingest.fast import spool

    root = spool.spool_root(os.environ.get(spool.SPOOL_ENV))  # as the command line chooses it
    return sorted(Path(root).glob(f"{spool.SPOOL_PREFIX}{owner}-*"))


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux /proc")
def test_a_killed_run_takes_its_reader_along_and_the_next_run_frees_its_spool(
    tmp_path: Path,
) -> None:
    """SIGKILL svcqa while its reader child works: the child ends with it (no orphan reading on
    for seconds), and the next run deletes the dead run's sheet spool from tmpfs."""
    paused = start_paused(tmp_path, "reader-child")
    readers = _children(paused.pid)
    assert readers, "the reader child should be running"
    assert _spools(paused.pid), "the reader's spool folder should exist"
    paused.send_signal(signal.SIGKILL)
    paused.wait(30)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(Path(f"/proc/{pid}").exists() for pid in readers):
        time.sleep(0.1)
    assert not any(Path(f"/proc/{pid}").exists() for pid in readers)
    assert _spools(paused.pid)  # nobody could clean up after a SIGKILL
    assert runner.invoke(app, score_args(tmp_path)).exit_code == 0
    assert _spools(paused.pid) == []


def test_a_live_process_keeps_its_spool(tmp_path: Path) -> None:
    from svcqa.ingest.fast import spool

    live = tmp_path / f"{spool.SPOOL_PREFIX}{os.getpid()}-x"
    live.mkdir()
    dead_pid = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    dead = tmp_path / f"{spool.SPOOL_PREFIX}{dead_pid}-y"
    dead.mkdir()
    (dead / "0.arrow").write_bytes(b"sheet")
    unrelated = tmp_path / "svcqa-readme"
    unrelated.mkdir()
    spool.remove_orphaned_spools(str(tmp_path))
    assert live.exists() and unrelated.exists() and not dead.exists()
