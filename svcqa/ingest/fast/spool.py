"""The spool: a folder in tmpfs (``/dev/shm``) where the reader child leaves each sheet as an
Arrow IPC file for the parent to map without a copy, and where large worksheets are split.

Each run's spool folder is named after its process id, so that a later run can delete the
spools of runs that were killed outright (``remove_orphaned_spools``).
"""

from __future__ import annotations

import os
import shutil
import tempfile

from svcqa.errors import OutputError

DEFAULT_SPOOL = "/dev/shm"
SPOOL_PREFIX = "svcqa-read-"
SPOOL_ENV = "SVCQA_SPOOL_DIR"  # read by the command line only, which passes it as ``spool_dir``


def spool_root(spool_dir: str | None = None) -> str:
    """Where the reader child hands sheets over: ``spool_dir`` when given (the command line
    passes ``$SVCQA_SPOOL_DIR``; the tests give each test its own, so no run sweeps another's
    spool), else tmpfs, else the temp folder."""
    chosen = spool_dir
    if chosen:
        if not os.path.isdir(chosen) or not os.access(chosen, os.W_OK | os.X_OK):
            raise OutputError(
                f"{SPOOL_ENV}={chosen} is not a writable folder; create it, or unset "
                f"{SPOOL_ENV} to use {DEFAULT_SPOOL}"
            )
        return chosen
    return DEFAULT_SPOOL if os.access(DEFAULT_SPOOL, os.W_OK) else tempfile.gettempdir()


def remove_orphaned_spools(root: str) -> None:
    """Delete the spool folders of svcqa processes that no longer exist.

    A run killed outright (SIGKILL, power cut of a container) cannot clean up, and tmpfs holds
    its sheets in memory until reboot: a month of a million tickets is about 140 MB. The folder
    name carries the owner's process id; a live process, even an unrelated one that reused the
    id, keeps its folder.
    """
    try:
        entries = list(os.scandir(root))
    except OSError:
        return
    for entry in entries:
        if not entry.name.startswith(SPOOL_PREFIX):
            continue
        owner = entry.name[len(SPOOL_PREFIX) :].split("-", 1)[0]
        if not owner.isdigit() or _process_exists(int(owner)):
            continue
        shutil.rmtree(entry.path, ignore_errors=True)


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True
