"""Every default once, and the one place the environment is read.

The command line calls ``Settings.from_env()`` once per run and passes the values down; the
library never reads ``os.environ`` for them (``svcqa.clock`` and the test hooks aside), so a
program using svcqa decides its own configuration. Defaults that several commands share (the
output folder, the rubric, the history store, the lock timeout) are spelled only here.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from svcqa.ingest import Limits

OUT_ROOT = Path("svcqa-out")  # outputs go to OUT_ROOT/YYYY-MM/ (reports/ and rectify/ below it)
RUBRIC = "gd-mobile-aftersales"
DB_PATH = Path("svcqa.db")
LOCK_TIMEOUT = 30.0  # seconds a run waits for another run's lock on the store or output folder

DB_ENV = "SVCQA_DB"
SPOOL_ENV = "SVCQA_SPOOL_DIR"
READER_ENV = "SVCQA_READER"


def month_folder(month: object, out: Path | None = None, part: str | None = None) -> Path:
    """Where a month's outputs go unless a folder is given: ``svcqa-out/YYYY-MM[/part]``."""
    if out is not None:
        return Path(out)
    folder = OUT_ROOT / str(month)
    return folder / part if part else folder


@dataclass(frozen=True)
class Settings:
    """What the environment configures besides ``--db`` (Typer reads ``$SVCQA_DB`` for that
    option): the reader's spool folder, the reader kind and the input limits."""

    spool_dir: str | None = None  # None: /dev/shm, else the temporary folder
    reader: str | None = None  # None: the forked reader where fork exists; "inprocess": never
    limits: Limits | None = None  # None: the defaults

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        from svcqa.errors import UsageError
        from svcqa.ingest import Limits
        from svcqa.ingest.reading import READERS  # the kinds open_month accepts

        env = os.environ if environ is None else environ
        reader = env.get(READER_ENV) or None
        if reader is not None and reader not in READERS:
            raise UsageError(f"{READER_ENV}={reader!r} is not one of {', '.join(READERS)}")
        return cls(
            spool_dir=env.get(SPOOL_ENV) or None,
            reader=reader,
            limits=Limits.from_env(env),
        )
