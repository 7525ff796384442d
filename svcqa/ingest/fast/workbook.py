"""``Workbook``: a workbook opened for reading, its sheets read in a forked child (``child``) or,
where there is no fork or the caller asks, in this process, with the same checks either way.

Workbooks (xlsx, xlsm, xls, ods) are read with ``fastexcel`` (Rust calamine, Arrow output),
every cell as text, in one pass per sheet. calamine parses a whole sheet even to return its
first rows, so "peek, then read the mapped columns" would parse every sheet twice; one pass that
returns all columns as Arrow strings costs the same as a typed read and keeps mixed cells (a text
date among real dates) intact. Python-calamine supplies sheet visibility without loading sheets.
"""

from __future__ import annotations

import io
import os
import re
import tempfile
import threading
import zipfile
from collections import deque
from collections.abc import Generator, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

from svcqa.errors import InputError, LimitExceeded
from svcqa.ingest.fast.child import ReaderChild
from svcqa.ingest.fast.spool import SPOOL_PREFIX, spool_root
from svcqa.ingest.raw import RawSheet
from svcqa.ingest.safety.limits import Limits
from svcqa.ingest.safety.package import scan_package, uncached_formula_in

_DATE1904 = re.compile(rb"<(?:\w+:)?workbookPr\b[^>]*\bdate1904\s*=\s*[\"'](?:1|true)[\"']")


@dataclass(frozen=True)
class SheetInfo:
    name: str
    visible: bool


def workbook_date1904(path: Path) -> bool:
    """True when an xlsx/xlsm uses the Mac 1904 date system (serial numbers count from 1904)."""
    try:
        with zipfile.ZipFile(path) as archive:
            for name in ("xl/workbook.xml", "xl/workbook.bin"):
                if name in archive.namelist():
                    with archive.open(name) as handle:
                        return bool(_DATE1904.search(handle.read(64 * 1024)))
    except (zipfile.BadZipFile, OSError, KeyError):
        return False
    return False


def xls_date1904(path: Path) -> bool:
    """True when a BIFF .xls uses the 1904 date system (its DATEMODE record); best effort."""
    try:
        import xlrd

        # on_demand: only the workbook globals are parsed, not the sheets.
        # logfile: xlrd prints warnings to stdout by default, which would corrupt --format json.
        book = xlrd.open_workbook(
            str(path), on_demand=True, ignore_workbook_corruption=True, logfile=io.StringIO()
        )
        try:
            return book.datemode == 1
        finally:
            book.release_resources()
    except Exception:  # noqa: BLE001 - xlrd cannot read every file calamine can; assume 1900
        return False


def _is_panic(exc: BaseException) -> bool:
    """A Rust panic surfaced by pyo3 (``PanicException`` derives from BaseException, so a plain
    ``except Exception`` lets it through as a traceback); the reader is broken for this file."""
    return type(exc).__name__ == "PanicException"


def _reader_error(path: Path, exc: BaseException, sheet: str | None = None) -> InputError:
    """Map a reader exception to an InputError with a stable code; never a traceback."""
    text = str(exc).split("\nContext:")[0].strip()
    lower = text.lower()
    if _is_panic(exc):
        return InputError(
            f"the spreadsheet reader failed on this file ({text}); it is corrupt or built to attack "
            "readers. Open it in Excel/WPS and save a copy",
            file=path.name,
            sheet=sheet,
            code="corrupt",
        )
    if "password" in lower or "encrypt" in lower:
        return InputError(
            "the workbook is encrypted / password-protected; remove the password and save a copy",
            file=path.name,
            sheet=sheet,
            code="encrypted",
        )
    if "cell limit exceeded" in lower or "too large" in lower:
        return LimitExceeded(
            f"the sheet declares more cells than can be read safely ({text})",
            file=path.name,
            sheet=sheet,
        )
    if "invalid ole" in lower or "not an office document" in lower or "_rels/.rels" in lower:
        return InputError(
            f"not a workbook ({text})", file=path.name, sheet=sheet, code="not-a-workbook"
        )
    return InputError(
        f"the workbook is corrupt or cannot be read ({text}); open it in Excel/WPS and save a copy",
        file=path.name,
        sheet=sheet,
        code="corrupt",
    )


class Workbook:
    """A workbook opened for reading: sheet list with visibility, then sheets one at a time."""

    def __init__(
        self, path: Path, limits: Limits, *, spool_dir: str | None = None, in_process: bool = False
    ):
        import fastexcel
        import python_calamine

        self.path, self.limits = path, limits
        self.spool_dir = spool_dir  # see ``spool_root``
        self.in_process = in_process  # read here, not in a forked child (no fork, or asked)
        try:
            self._reader = fastexcel.read_excel(str(path))
            names = list(self._reader.sheet_names)
        except BaseException as exc:  # noqa: BLE001 - any reader failure (panics too) becomes an InputError
            if not (isinstance(exc, Exception) or _is_panic(exc)):
                raise
            raise _reader_error(path, exc) from None
        visible = dict.fromkeys(names, True)
        try:
            book = python_calamine.CalamineWorkbook.from_path(str(path))
            for meta in book.sheets_metadata:
                visible[meta.name] = str(meta.visible).rsplit(".", 1)[-1].lower() == "visible"
            book.close()
        except Exception:  # noqa: BLE001, S110 - visibility is best effort; fastexcel opened the file
            pass
        self.sheets = [SheetInfo(name, visible.get(name, True)) for name in names]
        self.is_package = zipfile.is_zipfile(path)
        self._child: ReaderChild | None = None  # started early by ``start``
        # Worksheet parts read on two cores (``split``): the reader checks them, the scan skips them.
        self.split: dict[str, zipfile.ZipInfo] = {}
        # Set once a reader child started by ``start`` has handed over its sheets or stopped (at
        # once when ``start`` starts none): its cores are free (``MonthFiles.wait_for_reads``).
        self.read_done = threading.Event()
        # Known once load_many has scanned the package (formula cells saved without values).
        self.uncalculated = False
        self.date1904 = (
            workbook_date1904(path)
            if path.suffix.lower() in (".xlsx", ".xlsm")
            else path.suffix.lower() == ".xls" and xls_date1904(path)
        )

    def load_many(self, names: Sequence[str]) -> Generator[RawSheet, None, None]:
        """Every sheet in ``names``, in order, read in a child process.

        The Rust reader can abort the whole process instead of raising (a sheet whose cells
        span billions of positions, an allocation that fails) and trusts no declared size, so
        it runs in a forked child with its address space capped at ``max_reader_bytes``: a
        file that kills it ends in a one-line error here, not in a dead svcqa. Meanwhile this
        process scans the package on the other core (``scan_package``): a known attack (a bomb
        that understates its size, a sheet spanning billions of cells) is named precisely and
        the child stopped at once, before it has grown far. A child ``start`` began earlier
        for the same sheets is taken over instead of starting another.
        """
        if not names:
            return
        if self.in_process:  # scan first, then read here
            self._plan(names)
            self._scan()
            yield from self.load_here(names)
            return
        child = (
            self._child if self._child is not None and self._child.names == list(names) else None
        )
        self._child = None
        if child is None:
            self.close()
            self._plan(names)
            child = ReaderChild(self, names)
        try:
            self._scan()
            yield from child.sheets()
        finally:
            child.stop()

    def _plan(self, names: Sequence[str]) -> None:
        """Decide which sheets of ``names`` are read split, before a reader child forks."""
        if self.is_package:
            from svcqa.ingest.fast.split import members_to_split

            self.split = members_to_split(self.path, names)

    def _scan(self) -> None:
        """``scan_package`` for a package (but the parts read split)."""
        if self.is_package:
            skip = frozenset(info.filename for info in self.split.values())
            self.uncalculated |= scan_package(self.path, self.limits, skip)

    @property
    def visible_names(self) -> list[str]:
        return [info.name for info in self.sheets if info.visible]

    def start(self, names: Sequence[str]) -> None:
        """Start reading ``names`` in the reader child now (``load_many`` with the same names
        takes the sheets over); ``close`` stops a child that is not wanted after all."""
        if self._child is None and names and not self.in_process:
            self._plan(names)
            self._child = ReaderChild(self, names)
        else:
            self.read_done.set()

    def close(self) -> None:
        self.read_done.set()
        if self._child is not None:
            self._child.stop()
            self._child = None

    def load_here(self, names: Sequence[str], ahead: int = 8) -> Iterator[RawSheet]:
        """``load`` for each name, in order, in this process; the later sheets are parsed on a
        second thread.

        calamine parses a sheet without holding the GIL, so while this thread parses the first
        sheet (in an export, the big tickets sheet) the smaller ones are parsed on the other
        core. The first sheet stays on this thread: its large buffers then come from the main
        allocator arena instead of growing a second one (+250 MB peak RSS at 1M tickets). A
        fastexcel reader cannot be shared between threads, so the helper opens its own (cheap).
        At most ``ahead`` sheets are parsed before the caller takes them, so a workbook of
        thousands of sheets is not loaded past the caller's limit checks.
        """
        if len(names) < 2 or (os.cpu_count() or 1) < 2:
            yield from map(self.load, names)
            return
        import fastexcel

        helper: list[Any] = []

        def load(name: str) -> RawSheet:
            if not helper:
                try:
                    helper.append(fastexcel.read_excel(str(self.path)))
                except Exception as exc:  # noqa: BLE001 - any reader failure becomes an InputError
                    raise _reader_error(self.path, exc) from None
            return self.load(name, helper[0])

        pool = ThreadPoolExecutor(1)
        try:
            queued = iter(names[1:])
            pending = deque(pool.submit(load, name) for name in islice(queued, ahead))
            yield self.load(names[0])
            while pending:
                raw = pending.popleft().result()
                following = next(queued, None)
                if following is not None:
                    pending.append(pool.submit(load, following))
                yield raw
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    def load(self, name: str, reader: Any = None) -> RawSheet:
        """Every cell of sheet ``name`` as text, row 0 = Excel row 1."""
        info = self.split.get(name)
        if info is not None:
            return self._load_split(name, info)
        return self._read(reader or self._reader, name)

    def _load_split(self, name: str, info: zipfile.ZipInfo) -> RawSheet:
        """``load`` of a large worksheet on two cores (see ``split``): the first part is parsed
        on a thread while this one inflates the rest, then parses the second part."""
        from svcqa.ingest.fast.split import join_parts, split_worksheet

        parsed: list[RawSheet | BaseException] = []

        def parse(part: Path) -> None:
            try:
                parsed.append(self._read(part, name))
            except BaseException as exc:  # noqa: BLE001 - re-raised on the caller's thread
                parsed.append(exc)
            part.unlink()

        with tempfile.TemporaryDirectory(
            prefix=f"{SPOOL_PREFIX}{os.getpid()}-", dir=spool_root(self.spool_dir)
        ) as folder:
            threads: list[threading.Thread] = []

            def first_ready(part: Path) -> None:
                threads.append(threading.Thread(target=parse, args=(part,), name="svcqa-split"))
                threads[0].start()

            try:
                split = split_worksheet(
                    self.path, info, self.limits, Path(folder), first_ready, uncached_formula_in
                )
                second = self._read(split.second, name) if split.second else None
            finally:
                for thread in threads:
                    thread.join()
        self.uncalculated |= split.uncalculated
        for outcome in parsed:
            if isinstance(outcome, BaseException):
                raise outcome
        sheets = [outcome for outcome in parsed if isinstance(outcome, RawSheet)]
        if second is None or not sheets:  # not split: read the sheet whole
            return self._read(self.path, name)
        cells = join_parts(sheets[0].cells, second.cells, split.first_row)
        if cells is None:  # rows out of order: read the sheet whole
            return self._read(self.path, name)
        errors = sorted(sheets[0].errors + second.errors)
        return RawSheet(self.path.name, self.path, name, cells, errors, self.date1904)

    def _read(self, reader: Any, name: str) -> RawSheet:
        """Sheet ``name`` from a fastexcel ``reader`` of this workbook, or from the workbook (or
        part of it, see ``split``) at path ``reader``; errors name this workbook."""
        import pyarrow as pa

        try:
            if isinstance(reader, Path):
                import fastexcel

                reader = fastexcel.read_excel(str(reader))
            sheet = reader.load_sheet(name, header_row=None, skip_rows=0, dtypes="string")
            if sheet.total_height > self.limits.max_rows_per_sheet:
                raise self.limits.exceeded(
                    "max_rows_per_sheet",
                    f"the sheet has {sheet.total_height:,} rows",
                    file=self.path.name,
                    sheet=name,
                )
            _check_width(sheet, self.limits, self.path.name, name)
            batch, cell_errors = sheet.to_arrow_with_errors()
        except InputError:
            raise
        except BaseException as exc:  # noqa: BLE001 - panics too (see _is_panic)
            if not (isinstance(exc, Exception) or _is_panic(exc)):
                raise
            raise _reader_error(self.path, exc, name) from None
        # calamine starts a sheet at its first used column (rows stay absolute): put the empty
        # leading columns back so that column i is Excel column i + 1, as merge ranges and
        # column letters in findings assume.
        columns = sheet.available_columns()
        offset = int(columns[0].absolute_index) if columns else 0
        errors = [
            (int(e.position[0]), int(e.position[1]) + offset, _error_detail(e.detail))
            for e in (cell_errors.errors if cell_errors else [])
        ]
        table = pa.Table.from_batches([batch]) if batch.num_columns else pa.table({})
        if offset and table.num_columns:
            blank = pa.nulls(table.num_rows, pa.string())
            table = pa.table(
                [blank] * offset + list(table.columns),
                names=[str(i) for i in range(offset + table.num_columns)],
            )
        table = table.rename_columns([str(i) for i in range(table.num_columns)])
        return RawSheet(self.path.name, self.path, name, table, errors, self.date1904)


def _check_width(sheet: Any, limits: Limits, file: str, name: str) -> None:
    """Refuse a sheet wider than ``max_columns`` (Excel columns up to its last used one) before
    its cells become Arrow columns; the package scan refused a wider xlsx before reading."""
    columns = sheet.available_columns()
    width = int(columns[-1].absolute_index) + 1 if columns else 0
    if width > limits.max_columns:
        raise limits.exceeded(
            "max_columns", f"the sheet has {width:,} columns", file=file, sheet=name
        )


def _error_detail(detail: str) -> str:
    """``Expected string but got 'Error(Div0)'`` -> ``#DIV/0!`` (what Excel shows)."""
    match = re.search(r"Error\((\w+)\)", detail)
    names = {
        "Div0": "#DIV/0!",
        "NA": "#N/A",
        "Name": "#NAME?",
        "Null": "#NULL!",
        "Num": "#NUM!",
        "Ref": "#REF!",
        "Value": "#VALUE!",
    }
    return names.get(match.group(1), f"#{match.group(1).upper()}") if match else detail
