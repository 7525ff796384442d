"""Safety limits for untrusted input files, checked before a reader touches the content.

A monthly export is a few megabytes; a zip bomb, a 17-billion-cell ODS or a workbook with a
thousand sheets is not an export. Each limit can be raised through ``Limits(...)`` in code or an
environment variable on the command line, and the error message says which.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from svcqa.errors import InputError, LimitExceeded

_ENV_PREFIX = "SVCQA_"


@dataclass(frozen=True)
class Limits:
    """Upper bounds applied to every input file (sizes in bytes)."""

    max_file_bytes: int = 512 * 1024**2
    max_uncompressed_bytes: int = 4 * 1024**3  # sum of a zip package's declared member sizes
    max_compression_ratio: float = 200.0  # per member; real xlsx sheets compress ~10-30x
    max_rows_per_sheet: int = 2_000_000
    max_sheets: int = 64  # non-empty visible sheets read per workbook
    max_total_sheets: int = 4096  # all sheets, empty and hidden included (checked before reading)
    # Members of a zip package: a workbook at max_total_sheets has 10-25 thousand parts. Every
    # zip reader builds its member list first (Python's zipfile: ~25 us and ~1.5 kB a member; a
    # 93 MB file of a million empty members took 28 s and 1.6 GB before this limit).
    max_zip_members: int = 100_000
    # Rows x columns spanned by a sheet's cells: the reader allocates the whole rectangle at once
    # (~32 bytes a cell), so cells at A1 and XFD1048576 in a 1 kB file would ask for 549 GB and
    # abort the process. 100 million is python-calamine's own cap.
    max_cells: int = 100_000_000
    # Columns of a CSV, checked on its first lines before it is parsed (a million-column CSV of
    # 8 MB took 3.9 GiB and aborted the reader), and of a sheet: its cell references in the
    # package scan, the columns the reader returns. 16,384 is Excel's own width (XFD).
    max_columns: int = 16_384
    # Address space of the child process that runs the spreadsheet reader (0: unlimited). A sheet
    # of 1,048,576 rows x 8 columns needs about 2 GiB; a hostile file that gets past the checks
    # ends the child at this bound, never the machine's memory or the svcqa process.
    max_reader_bytes: int = 8 * 1024**3

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Limits:
        """Defaults overridden by ``SVCQA_MAX_FILE_BYTES`` and friends (the CLI uses this)."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}  # int or float, per field: keyword arguments for cls
        for f in fields(cls):
            raw = env.get(_ENV_PREFIX + f.name.upper())
            if raw is None or not raw.strip():
                continue
            try:
                values[f.name] = float(raw) if f.type == "float" else int(raw)
            except ValueError:
                raise InputError(
                    f"environment variable {_ENV_PREFIX + f.name.upper()}={raw!r} is not a number",
                    code="usage",
                ) from None
        return cls(**values)

    def exceeded(
        self, name: str, found: str, *, file: str, sheet: str | None = None
    ) -> LimitExceeded:
        """The error for limit ``name``: what was found, the limit, and how to raise it."""
        limit = getattr(self, name)
        return LimitExceeded(
            f"{found}, over the limit {name} = {limit:,}. If the file is genuine, raise the limit "
            f"with the environment variable {_ENV_PREFIX + name.upper()} (or Limits({name}=...) in code).",
            file=file,
            sheet=sheet,
        )


def check_file_size(path: Path, size: int, limits: Limits) -> None:
    if size > limits.max_file_bytes:
        raise limits.exceeded("max_file_bytes", f"the file is {size:,} bytes", file=path.name)
