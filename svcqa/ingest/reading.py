"""``open_month``: the one entry point to reading a month's files, fast or portable.

On the fast path the first workbook's reader child forks at once (``fast.child``), before the
caller loads pandas and the rubric, and works while they load; the sheets are then taken from
it. Where there is no ``fork`` (or the caller asks with ``reader="inprocess"``), workbooks are
read in this process with the same checks and the same results.

Opening is best effort: a path that fails any check is left for ``MonthFiles.sheets``, which
reports it exactly as a run without the head start would.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from svcqa.errors import InputError, SvcqaError, UsageError
from svcqa.ingest.csv_reader import read_csv
from svcqa.ingest.fast.workbook import Workbook
from svcqa.ingest.files import WORKBOOK_SUFFIXES, expand_paths, sniff
from svcqa.ingest.raw import RawSheet
from svcqa.ingest.safety.limits import Limits
from svcqa.models import Finding
from svcqa.runtime.allocator import limit_arenas

Reader = Literal["fork", "inprocess"]
READERS: tuple[Reader, ...] = ("fork", "inprocess")


def can_fork() -> bool:
    """The fast path needs ``fork`` (the reader child inherits the opened workbook)."""
    return "fork" in multiprocessing.get_all_start_methods()


class MonthFiles:
    """A month's files opened for reading (``open_month``): ``sheets(path)`` reads one file,
    taking over a workbook whose reader started early; ``wait_for_reads`` tells the caller when
    that reader is done and its cores are free."""

    def __init__(
        self,
        paths: Sequence[str | Path],
        limits: Limits,
        *,
        spool_dir: str | None = None,
        in_process: bool = False,
    ):
        self.paths = list(paths)
        self.limits = limits
        self.spool_dir = spool_dir
        self.in_process = in_process
        self._books: dict[Path, Workbook] = {}
        self._started: list[Workbook] = []
        self.closed = False  # the ``with`` block is over (the run read its files, or failed)

    def start_first_workbook(self) -> None:
        """Start reading the first workbook among the paths now (best effort, see the module)."""
        try:
            files, _notes = expand_paths(self.paths)
            path = next((p for p in files if p.suffix.lower() in WORKBOOK_SUFFIXES), None)
            if path is None or sniff(path, self.limits) != "workbook":
                return
            book = self._open(path)
        except SvcqaError:
            return
        if len(book.sheets) > self.limits.max_total_sheets:
            return
        book.start(book.visible_names)
        self._books[path] = book
        self._started.append(book)

    def take(self, path: Path) -> Workbook | None:
        """The workbook of ``path`` whose reading started early, handed over once."""
        return self._books.pop(path, None)

    def wait_for_reads(self, timeout: float = 60.0) -> bool:
        """Block until the reader child of every workbook started early has handed over its
        sheets (or stopped): until then it keeps both cores busy, and other work only slows it
        down. False when ``timeout`` seconds passed first."""
        return all(book.read_done.wait(timeout) for book in self._started)

    def sheets(self, path: Path, notes: list[Finding]) -> list[RawSheet]:
        """Every non-empty visible sheet of one file, with notes on what was skipped."""
        book = self.take(path)
        if book is None and sniff(path, self.limits) == "csv":
            raw = read_csv(path, self.limits)
            if raw.cells.num_rows == 0 or raw.cells.num_columns == 0:
                raise InputError("the CSV file has no rows", file=path.name, code="empty-sheet")
            return [raw]
        book = book or self._open(path)
        try:
            return _read_workbook(book, self.limits, notes)
        finally:
            book.close()  # stops a reader child whose sheets were not all taken

    def _open(self, path: Path) -> Workbook:
        return Workbook(path, self.limits, spool_dir=self.spool_dir, in_process=self.in_process)

    def __enter__(self) -> MonthFiles:
        return self

    def __exit__(self, *exc: object) -> None:
        self.closed = True
        for book in self._books.values():
            book.close()
        self._books.clear()


def open_month(
    paths: Sequence[str | Path],
    limits: Limits | None = None,
    *,
    spool_dir: str | None = None,
    reader: str | None = None,
) -> MonthFiles:
    """Open the month's files and start reading the first workbook at once; use as
    ``with open_month(paths, limits) as files: data = read_month(files, ...)``.

    ``spool_dir``: where the reader child hands sheets over (default ``/dev/shm``, see
    ``fast.spool``). ``reader``: ``"fork"`` (the default where the platform has it) or
    ``"inprocess"``. Leaving the ``with`` block stops a reader whose sheets were not taken.
    """
    if reader is not None and reader not in READERS:
        raise UsageError(f"the reader must be one of {', '.join(READERS)}, not {reader!r}")
    in_process = reader == "inprocess" or not can_fork()
    files = MonthFiles(paths, limits or Limits(), spool_dir=spool_dir, in_process=in_process)
    files.start_first_workbook()
    if not in_process:
        limit_arenas()  # only now that the reader child has forked (see the allocator)
    return files


def read_sheets(
    path: str | Path, limits: Limits | None = None, *, spool_dir: str | None = None
) -> tuple[list[RawSheet], list[Finding]]:
    """The non-empty visible sheets of one file as text grids, with notes on what was skipped.

    The lower-level half of ``ingest`` (no table recognition): use it to inspect files that are
    not svcqa months. Raises ``InputError`` for unreadable files and when nothing is left.
    """
    notes: list[Finding] = []
    files = MonthFiles([path], limits or Limits(), spool_dir=spool_dir, in_process=not can_fork())
    with files:
        return files.sheets(Path(path), notes), notes


def _read_workbook(book: Workbook, limits: Limits, notes: list[Finding]) -> list[RawSheet]:
    """The non-empty visible sheets of an opened workbook, within the sheet limits."""
    path = book.path
    if len(book.sheets) > limits.max_total_sheets:
        raise limits.exceeded(
            "max_total_sheets", f"the workbook has {len(book.sheets):,} sheets", file=path.name
        )
    sheets: list[RawSheet] = []
    scanned = 0
    empty = 0
    loaded = book.load_many(book.visible_names)
    try:
        for info in book.sheets:
            if not info.visible:
                notes.append(
                    Finding(
                        "hidden-sheet",
                        f"hidden sheet {info.name!r} skipped",
                        file=path.name,
                        sheet=info.name,
                    )
                )
                continue
            raw = next(loaded)
            if raw.cells.num_rows == 0 or raw.cells.num_columns == 0:
                empty += 1
                if empty <= 20:  # a workbook of 1,000 blank sheets needs one line, not 1,000
                    notes.append(
                        Finding(
                            "empty-sheet",
                            f"sheet {info.name!r} is empty",
                            file=path.name,
                            sheet=info.name,
                        )
                    )
                continue
            # Only sheets with content count: empty ones cost little and are common in templates.
            scanned += 1
            if scanned > limits.max_sheets:
                raise limits.exceeded(
                    "max_sheets",
                    f"the workbook has more than {limits.max_sheets} non-empty sheets",
                    file=path.name,
                )
            sheets.append(raw)
    finally:
        loaded.close()  # the reader child stops here, not whenever the generator is collected
    if empty > 20:
        notes.append(
            Finding("empty-sheet", f"{empty - 20} more empty sheets skipped", file=path.name)
        )
    if book.uncalculated:
        notes.append(
            Finding(
                "formulas-not-calculated",
                "the workbook was saved without calculated formula values (fullCalcOnLoad, as "
                "openpyxl and other libraries write): formula cells read as blank. Open it in "
                "Excel/WPS and save it to store the values",
                file=path.name,
            )
        )
    if book.date1904:
        notes.append(
            Finding(
                "date-1904",
                "the workbook uses the 1904 date system; serial dates read accordingly",
                file=path.name,
            )
        )
    if not sheets:
        names = ", ".join(repr(s.name) for s in book.sheets) or "none"
        raise InputError(
            f"the workbook has no data: every visible sheet is empty (sheets: {names})",
            file=path.name,
            code="empty-sheet",
        )
    return sheets
