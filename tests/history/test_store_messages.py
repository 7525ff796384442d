"""SQLite's terse store errors become messages saying what is wrong and the fix."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections import namedtuple
from pathlib import Path

import pytest

from svcqa.errors import HistoryError
from svcqa.history import store as store_module

import history_fixtures as hf

Usage = namedtuple("Usage", "total used free")


@pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("setpriv") is None,
    reason="needs root and setpriv to drop to nobody (root ignores modes)",
)
@pytest.mark.parametrize("exists", [False, True])
def test_a_store_in_a_read_only_folder_says_the_folder_is_read_only(exists: bool) -> None:
    """``--db`` in a folder the user may not write names the folder as read-only and the fix,
    for a new store and for an existing one (SQLite needs its -wal/-shm files beside it)."""
    root = Path(tempfile.mkdtemp(prefix="svcqa-ro-", dir="/tmp"))  # pytest's tmp_path is root-only
    try:
        folder = root / "db"
        folder.mkdir()
        db = folder / "svcqa.db"
        if exists:
            with hf.open_store(db) as store:
                hf.save(store, hf.scorecard(hf.Month(2026, 10), {"越秀网点": 1}))
            for extra in folder.iterdir():
                extra.chmod(0o644)
        for path in (root, folder):
            path.chmod(0o755)
        drop = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
        code = (
            "import sys\nfrom pathlib import Path\nfrom svcqa.errors import HistoryError\n"
            "from svcqa.history import HistoryStore\ntry:\n"
            f"    HistoryStore(Path({str(db)!r}))\n"
            "except HistoryError as exc:\n    sys.exit(f'svcqa: error: {exc}')\n"
        )
        cli = [sys.executable, "-m", "svcqa.cli", "history", "--db", str(db)]
        command = cli if exists else [sys.executable, "-c", code]
        result = subprocess.run(
            [*drop, *command],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            env={**os.environ, "HOME": "/tmp", "PYTHONPATH": os.getcwd()},
        )
    finally:
        shutil.rmtree(root)
    message = f"the folder {folder} is read-only"
    assert message in result.stderr, result.stderr
    assert "give --db a path in a writable folder" in result.stderr
    assert "unable to open database file" not in result.stderr
    assert result.returncode == 1 and "Traceback" not in result.stderr


def test_a_disk_io_error_on_a_full_disk_says_the_disk_is_full(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite's ``disk I/O error`` with (nearly) no free space reads as a full disk and the fix;
    with space left it stays SQLite's own words."""
    with hf.open_store(tmp_path / "svcqa.db") as store:
        monkeypatch.setattr(store_module.shutil, "disk_usage", lambda _p: Usage(10**9, 10**9, 4096))
        error = store._error(sqlite3.OperationalError("disk I/O error"), "write to")
        assert isinstance(error, HistoryError)
        assert str(error) == (
            f"cannot write to history store {store.path}: the disk holding {tmp_path} is full "
            "(0 MiB free); free some space or give --db a path on another disk. The store keeps "
            "its last complete state"
        )
        full = store._error(sqlite3.OperationalError("database or disk is full"), "write to")
        assert "is full" in str(full)
        monkeypatch.setattr(
            store_module.shutil, "disk_usage", lambda _p: Usage(10**12, 10**9, 10**11)
        )
        other = store._error(sqlite3.OperationalError("disk I/O error"), "write to")
        assert str(other) == f"cannot write to history store {store.path}: disk I/O error"
