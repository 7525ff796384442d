"""Opening input files: format sniffing, safety checks, and sheets as columns of cell text.

Workbooks (xlsx, xlsm, xls, ods) are read with ``fastexcel`` (Rust calamine, Arrow output),
every cell as text, in one pass per sheet. calamine parses a whole sheet even to return its
first rows, so "peek, then read the mapped columns" would parse every sheet twice; one pass that
returns all columns as Arrow strings costs the same as a typed read and keeps mixed cells (a text
date among real dates) intact. Python-calamine supplies sheet visibility without loading sheets.

Row 0 of every ``RawSheet`` is row 1 in Excel (title rows and blank rows above the data
included), so row numbers in findings are the ones the user sees.
"""

from __future__ import annotations

import contextlib
import csv
import faulthandler
import hashlib
import io
import os
import re
import resource
import shutil
import signal
import tempfile
import threading
import zipfile
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

from svcqa.errors import InputError, LimitExceeded, OutputError, SvcqaError
from svcqa.ingest.limits import (
    Limits,
    check_file_size,
    check_xml_prologs,
    check_zip,
    check_zip_members,
    scan_xml_parts,
)
from svcqa.models import Finding, SourceFile
from svcqa.testhooks import pause_point

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa

WORKBOOK_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".ods"}
CSV_SUFFIXES = {".csv", ".txt", ".tsv"}
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_ENCRYPTION_STREAM = "EncryptionInfo".encode("utf-16-le")
# A formula followed by an empty or missing value: </f></c>, </f><v></v>, </f><v/>, <f .../></c>.
# Two patterns with literal prefixes (fast to scan for); namespace-prefixed <x:f> is not looked for.
_EMPTY_VALUE = rb"\s*(?:</c>|<v\s*/>|<v>\s*</v>)"
_UNCACHED_FORMULA = (re.compile(rb"</f>" + _EMPTY_VALUE), re.compile(rb"<f [^>]*/>" + _EMPTY_VALUE))
_DATE1904 = re.compile(rb"<(?:\w+:)?workbookPr\b[^>]*\bdate1904\s*=\s*[\"'](?:1|true)[\"']")


@dataclass
class RawSheet:
    """One sheet (or CSV file) as read: every cell as text, absolute rows, plus error cells."""

    file: str  # file name as shown to the user
    path: Path
    sheet: str  # "" for CSV
    cells: pa.Table  # string columns 0..n-1; row i is Excel row i + 1 (CSV: line i + 1)
    errors: list[tuple[int, int, str]] = field(default_factory=list)  # (row, column, detail)
    date1904: bool = False
    # Row number the user sees for each row of ``cells`` when it is not i + 1 (a CSV whose
    # quoted fields span lines: record i starts on a later line).
    row_numbers: np.ndarray | None = None

    def merged_ranges(self) -> list[tuple[int, int, int, int]]:
        """Merged cell ranges as 0-based ``(first_row, first_col, last_row, last_col)``.

        Read lazily (it parses the sheet a second time), so callers ask only when blank cells
        suggest merges; CSV and formats without merge information give ``[]``.
        """
        if not self.sheet:
            return []
        return merged_ranges(self.path, self.sheet)

    @property
    def where(self) -> str:
        return f"{self.file}, sheet {self.sheet!r}" if self.sheet else self.file

    def head(self, n: int) -> list[list[str | None]]:
        """The first ``n`` rows as lists of cell text (for header finding)."""
        part = self.cells.slice(0, n).to_pydict()
        columns = [part[name] for name in self.cells.column_names]
        return [list(row) for row in zip(*columns, strict=True)] if columns else []


@dataclass(frozen=True)
class SheetInfo:
    name: str
    visible: bool


def is_lock_file(path: Path) -> bool:
    """Excel (``~$name.xlsx``) and WPS/LibreOffice (``.~name.xlsx``, ``.~lock.x#``) owner files."""
    return path.name.startswith(("~$", ".~"))


def expand_paths(paths: Sequence[str | Path]) -> tuple[list[Path], list[Finding]]:
    """Files to read: folders expand to their workbooks and CSVs; lock files are skipped."""
    files: list[Path] = []
    notes: list[Finding] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            members = sorted(
                p
                for p in path.iterdir()
                if p.is_file() and p.suffix.lower() in WORKBOOK_SUFFIXES | CSV_SUFFIXES
            )
            candidates = members
        elif path.exists():
            candidates = [path]
        else:
            raise InputError("file not found; check the path", file=str(path), code="not-found")
        for candidate in candidates:
            if is_lock_file(candidate):
                notes.append(
                    Finding(
                        "lock-file",
                        f"skipped {candidate.name}: an Excel/WPS lock file (the workbook was open when "
                        "the folder was copied), not data",
                        file=candidate.name,
                    )
                )
            else:
                files.append(candidate)
    if not files:
        if notes:
            raise InputError(
                "only lock files were given (~$ or .~ names, left by Excel/WPS while a workbook is open); "
                "pass the workbook itself",
                file=notes[0].file,
                code="lock-file",
            )
        raise InputError(
            "no workbook or CSV files found in " + ", ".join(map(str, paths)), code="missing-table"
        )
    return files, notes


def source_file(path: Path) -> SourceFile:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:  # read-only: inputs are never modified
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return SourceFile(
        path=str(path), name=path.name, size=path.stat().st_size, sha256=digest.hexdigest()
    )


def sniff(path: Path, limits: Limits) -> str:
    """``"workbook"`` or ``"csv"``; raises ``InputError`` with a stable code for anything else."""
    size = path.stat().st_size
    if size == 0:
        raise InputError(
            "the file is empty (0 bytes); export it again", file=path.name, code="empty-file"
        )
    check_file_size(path, size, limits)
    with open(path, "rb") as handle:
        magic = handle.read(8)
    suffix = path.suffix.lower()
    if magic.startswith(OLE2_MAGIC):
        if _ole_encrypted(path):
            raise InputError(
                "the workbook is encrypted / password-protected; open it in Excel or WPS, remove the "
                "password (File > Info > Protect Workbook) and save a copy",
                file=path.name,
                code="encrypted",
            )
        _check_suffix(path, "an Excel 97-2003 workbook", (".xls",))
        return "workbook"
    if magic.startswith(ZIP_MAGIC):
        _check_package(path, limits)
        return "workbook"
    if is_lock_file(path):
        raise InputError(
            "this is an Excel/WPS lock file, not a workbook", file=path.name, code="lock-file"
        )
    if suffix in CSV_SUFFIXES:
        return "csv"
    if magic[:4] in (b"\x09\x04\x06\x00", b"\x09\x02\x06\x00", b"\x09\x00\x04\x00"):
        raise InputError(
            "an Excel 2.x-4.0 (BIFF2-4) worksheet, too old to read; open it and save as .xlsx",
            file=path.name,
            code="not-a-workbook",
        )
    raise InputError(
        "not a workbook: expected .xlsx, .xlsm, .xls, .ods or .csv content"
        + (
            f" (the name ends in {suffix} but the content is not one)"
            if suffix in WORKBOOK_SUFFIXES
            else ""
        ),
        file=path.name,
        code="not-a-workbook",
    )


def _check_suffix(path: Path, kind: str, suffixes: tuple[str, ...]) -> None:
    """The reader picks its format by the name, so a workbook saved under another workbook
    suffix (an .xls renamed .xlsx, common with export systems) would fail as "corrupt"; say
    what it really is instead. Names outside the workbook suffixes are read by content."""
    suffix = path.suffix.lower()
    if suffix in WORKBOOK_SUFFIXES and suffix not in suffixes:
        raise InputError(
            f"the file is {kind} but its name ends in {path.suffix}; rename it to {suffixes[0]} "
            "(or open it in Excel/WPS and save it again)",
            file=path.name,
            code="wrong-extension",
        )


def _ole_encrypted(path: Path) -> bool:
    """An OOXML file saved with a password is an OLE2 container holding an EncryptionInfo stream."""
    tail = b""
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            if _ENCRYPTION_STREAM in tail + chunk:
                return True
            tail = chunk[-len(_ENCRYPTION_STREAM) :]
    return False


def _check_package(path: Path, limits: Limits) -> None:
    """Refuse unsafe or mislabelled packages from the zip directory and the XML parts' heads
    (cheap); the full scan of the parts runs beside the reader (``scan_package``)."""
    check_zip_members(path, limits)
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            if not names:
                raise InputError(
                    "an empty zip archive, not a workbook", file=path.name, code="not-a-workbook"
                )
            check_zip(path, archive, limits)
            if "[Content_Types].xml" not in names and "mimetype" not in names:
                raise InputError(
                    "a zip archive but not an Excel or ODS package (no [Content_Types].xml)",
                    file=path.name,
                    code="not-a-workbook",
                )
            if "[Content_Types].xml" in names:
                _check_suffix(path, "an Excel .xlsx/.xlsm workbook", (".xlsx", ".xlsm"))
            else:
                _check_suffix(path, "an OpenDocument spreadsheet", (".ods",))
            check_xml_prologs(path, archive)
    except zipfile.BadZipFile as exc:
        raise _truncated(path, exc) from None


def _truncated(path: Path, exc: zipfile.BadZipFile) -> InputError:
    return InputError(
        f"the workbook is corrupt or truncated ({exc}); export or copy it again",
        file=path.name,
        code="corrupt",
    )


def scan_package(path: Path, limits: Limits, skip: frozenset[str] = frozenset()) -> bool:
    """Inflate every XML part once (``scan_xml_parts``: understated sizes, cell extents) and
    return True when a worksheet holds a formula cell without a cached value (it reads as blank).

    Libraries such as openpyxl write formulas with no value; xlsxwriter sets ``fullCalcOnLoad``
    on every workbook, formulas or not, so that flag proves nothing: the answer is a formula
    whose ``<v>`` is missing or empty, learnt in the same pass.
    """
    found: list[bool] = []

    def inspect(window: bytes) -> None:
        if not found and _uncached_formula_in(window):
            found.append(True)

    try:
        with zipfile.ZipFile(path) as archive:
            scan_xml_parts(path, archive, limits, inspect, skip)
    except zipfile.BadZipFile as exc:
        raise _truncated(path, exc) from None
    return bool(found)


def _uncached_formula_in(window: bytes) -> bool:
    # b"f" first: a one-byte search runs at memchr speed, and sheets without formulas rarely
    # hold an "f" at all (tags are c, r, s, t, v, is; text is mostly digits and CJK).
    return b"f" in window and b"<f" in window and any(p.search(window) for p in _UNCACHED_FORMULA)


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


def merged_ranges(path: Path, sheet: str) -> list[tuple[int, int, int, int]]:
    """The merged ranges of one sheet (python-calamine), ``[]`` when unavailable."""
    try:
        import python_calamine

        book = python_calamine.CalamineWorkbook.from_path(str(path))
        try:
            ranges = book.get_sheet_by_name(sheet).merged_cell_ranges or []
        finally:
            book.close()
    except Exception:  # noqa: BLE001 - merge information is an aid, never a reason to fail
        return []
    return [(int(a[0]), int(a[1]), int(b[0]), int(b[1])) for a, b in ranges]


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

    def __init__(self, path: Path, limits: Limits):
        import fastexcel
        import python_calamine

        self.path, self.limits = path, limits
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
        self._child: _ReaderChild | None = None  # started early by ``start``
        # Worksheet parts read on two cores (``split``): the reader checks them, the scan skips them.
        self.split: dict[str, zipfile.ZipInfo] = {}
        # Set once a reader child started by ``start`` has handed over its sheets or stopped (at
        # once when ``start`` starts none): its cores are free (``ReadAhead.wait_for_reads``).
        self.read_done = threading.Event()
        # Known once load_many has scanned the package (formula cells saved without values).
        self.uncalculated = False
        self.date1904 = (
            workbook_date1904(path)
            if path.suffix.lower() in (".xlsx", ".xlsm")
            else path.suffix.lower() == ".xls" and xls_date1904(path)
        )

    def load_many(self, names: Sequence[str]) -> Iterator[RawSheet]:
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
        if not hasattr(os, "fork"):  # no fork (Windows): scan first, then read here
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
            child = _ReaderChild(self, names)
        try:
            self._scan()
            yield from child.sheets()
        finally:
            child.stop()

    def _plan(self, names: Sequence[str]) -> None:
        """Decide which sheets of ``names`` are read split, before a reader child forks."""
        if self.is_package:
            from svcqa.ingest.split import members_to_split

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
        if self._child is None and names and hasattr(os, "fork"):
            self._plan(names)
            self._child = _ReaderChild(self, names)
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
        from svcqa.ingest.split import join_parts, split_worksheet

        parsed: list[RawSheet | BaseException] = []

        def parse(part: Path) -> None:
            try:
                parsed.append(self._read(part, name))
            except BaseException as exc:  # noqa: BLE001 - re-raised on the caller's thread
                parsed.append(exc)
            part.unlink()

        with tempfile.TemporaryDirectory(
            prefix=f"{_SPOOL_PREFIX}{os.getpid()}-", dir=_spool_root()
        ) as folder:
            threads: list[threading.Thread] = []

            def first_ready(part: Path) -> None:
                threads.append(threading.Thread(target=parse, args=(part,), name="svcqa-split"))
                threads[0].start()

            try:
                split = split_worksheet(
                    self.path, info, self.limits, Path(folder), first_ready, _uncached_formula_in
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


class ReadAhead:
    """Workbooks whose reading started before the caller was ready for them (``read_ahead``);
    ``take(path)`` hands one over, and leaving the ``with`` block stops any not taken."""

    def __init__(self, books: dict[Path, Workbook] | None = None):
        self._books = books or {}
        self._started = list(self._books.values())
        self.closed = False  # the ``with`` block is over (the run read its files, or failed)

    def take(self, path: Path) -> Workbook | None:
        return self._books.pop(path, None)

    def wait_for_reads(self, timeout: float = 60.0) -> bool:
        """Block until the reader child of every workbook read ahead has handed over its sheets
        (or stopped): until then it keeps both cores busy, and other work only slows it down.
        False when ``timeout`` seconds passed first."""
        return all(book.read_done.wait(timeout) for book in self._started)

    def __enter__(self) -> ReadAhead:
        return self

    def __exit__(self, *exc: object) -> None:
        self.closed = True
        for book in self._books.values():
            book.close()
        self._books.clear()


def read_ahead(paths: Sequence[str | Path], limits: Limits) -> ReadAhead:
    """Start reading the first workbook among ``paths`` at once, before the caller loads pandas
    and the rubric (a third of a second): the reader child is the longest step of a large month.

    Best effort: a path that fails any check is left for ``ingest``, which reports it exactly as
    without the head start.
    """
    try:
        files, _notes = expand_paths(paths)
        path = next((p for p in files if p.suffix.lower() in WORKBOOK_SUFFIXES), None)
        if path is None or sniff(path, limits) != "workbook":
            return ReadAhead()
        book = Workbook(path, limits)
    except SvcqaError:
        return ReadAhead()
    if len(book.sheets) > limits.max_total_sheets:
        return ReadAhead()
    book.start(book.visible_names)
    return ReadAhead({path: book})


_SPOOL = "/dev/shm"
_SPOOL_PREFIX = "svcqa-read-"
SPOOL_ENV = "SVCQA_SPOOL_DIR"


def _spool_root() -> str:
    """Where the reader child hands sheets over: ``$SVCQA_SPOOL_DIR`` when set (the tests give
    each test its own, so no run sweeps another's spool), else tmpfs, else the temp folder."""
    chosen = os.environ.get(SPOOL_ENV)
    if chosen:
        if not os.path.isdir(chosen) or not os.access(chosen, os.W_OK | os.X_OK):
            raise OutputError(
                f"{SPOOL_ENV}={chosen} is not a writable folder; create it, or unset "
                f"{SPOOL_ENV} to use {_SPOOL}"
            )
        return chosen
    return _SPOOL if os.access(_SPOOL, os.W_OK) else tempfile.gettempdir()


def _remove_orphaned_spools(root: str) -> None:
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
        if not entry.name.startswith(_SPOOL_PREFIX):
            continue
        owner = entry.name[len(_SPOOL_PREFIX) :].split("-", 1)[0]
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


OUT_OF_MEMORY = 3  # the reader child's exit code after a MemoryError


class _ReaderChild:
    """A forked child reading sheets with ``Workbook.load_here`` and handing each back as an
    Arrow IPC file in tmpfs (or through the pipe); its errors come back as the same objects."""

    def __init__(self, book: Workbook, names: Sequence[str]):
        import multiprocessing

        self.book, self.names = book, list(names)
        context = multiprocessing.get_context("fork")
        self.receiver, sender = context.Pipe(duplex=False)
        self.stderr = tempfile.TemporaryFile()  # the reader's last words, if it dies
        # Sheets travel as Arrow IPC files in memory (tmpfs) that this process maps without a
        # copy: a 1M-row sheet through a pipe costs about a second more.
        root = _spool_root()
        _remove_orphaned_spools(root)
        self.spool = tempfile.TemporaryDirectory(prefix=f"{_SPOOL_PREFIX}{os.getpid()}-", dir=root)
        self.process = context.Process(
            target=_read_in_child,
            args=(book, self.names, sender, self.stderr.fileno(), self.spool.name, os.getpid()),
            daemon=True,
        )
        self.process.start()
        sender.close()

    def sheets(self) -> Iterator[RawSheet]:
        import pyarrow as pa

        book = self.book
        for left, name in enumerate(self.names, 1 - len(self.names)):
            try:
                message = self.receiver.recv()
                if message[0] == "error":
                    raise _rebuilt_error(*message[1:])
                _kind, errors, spooled, uncalculated = message
                book.uncalculated |= uncalculated
                if spooled is None:
                    cells = pa.ipc.open_stream(self.receiver.recv_bytes()).read_all()
                else:
                    with pa.memory_map(spooled) as source:
                        cells = pa.ipc.open_file(source).read_all()
                    os.unlink(spooled)
            except (EOFError, OSError):
                raise self._died(name) from None
            if left == 0:  # the last sheet is here: the child is done
                book.read_done.set()
            yield RawSheet(book.path.name, book.path, name, cells, errors, book.date1904)

    def _died(self, sheet: str) -> InputError:
        self.process.join(10)
        code = self.process.exitcode
        if code is not None and code < 0:
            how = f"killed by {signal.Signals(-code).name}"
        else:
            how = "out of memory" if code == OUT_OF_MEMORY else f"exit code {code}"
        self.stderr.seek(0)
        last = self.stderr.read().decode("utf-8", "replace").strip().splitlines()
        said = f": {last[0][:200]}" if last else ""
        limit = self.book.limits.max_reader_bytes
        return InputError(
            f"the spreadsheet reader died reading this sheet ({how}{said}). The file is corrupt or "
            "built to attack readers (a zip bomb, cells spread over billions of positions); open "
            "it in Excel/WPS and save a copy. If it is a genuine export, raise the reader's memory "
            f"limit max_reader_bytes = {limit:,} with the environment variable SVCQA_MAX_READER_BYTES",
            file=self.book.path.name,
            sheet=sheet,
            code="reader-died",
        )

    def stop(self) -> None:
        self.book.read_done.set()
        if self.process.is_alive():
            self.process.kill()
        self.process.join()
        self.receiver.close()
        self.stderr.close()
        self.spool.cleanup()


def _read_in_child(
    book: Workbook, names: list[str], sender: Any, stderr_fd: int, spool: str, parent: int
) -> None:
    """The child's whole life: cap memory, read, hand over each sheet, or send the error."""
    _die_with_parent(parent)
    pause_point("reader-child")
    os.dup2(stderr_fd, 2)  # a Rust abort message goes to the parent's error text, not the terminal
    faulthandler.disable()  # an abort is expected here and reported by the parent
    limit = book.limits.max_reader_bytes
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if limit and (soft == resource.RLIM_INFINITY or limit < soft):  # lower only, never raise
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    try:
        for number, raw in enumerate(book.load_here(names)):
            _hand_over(raw, os.path.join(spool, f"{number}.arrow"), sender, book.uncalculated)
    except SvcqaError as exc:
        sender.send(("error", type(exc), exc.args, exc.__dict__))
    except MemoryError:
        os._exit(OUT_OF_MEMORY)  # the parent reports the reader's death with the limit to raise
    except Exception as exc:  # noqa: BLE001 - reported by the parent as the reader's death
        os.write(2, f"{type(exc).__name__}: {exc}\n".encode())
        os._exit(1)
    sender.close()


def _die_with_parent(parent: int) -> None:
    """Linux: end this child when svcqa itself (process ``parent``) is killed, instead of
    reading on for seconds with nobody to take the sheets."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: the child ends when it finds the pipe closed
        return
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)


_PR_SET_PDEATHSIG = 1


def _hand_over(raw: RawSheet, spooled: str, sender: Any, uncalculated: bool) -> None:
    """Spool the sheet as an Arrow IPC file for the parent to map; through the pipe instead
    when the spool cannot take it (full, or a file size quota)."""
    import pyarrow as pa

    try:
        with pa.OSFile(spooled, "wb") as sink, pa.ipc.new_file(sink, raw.cells.schema) as writer:
            writer.write_table(raw.cells)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(spooled)
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, raw.cells.schema) as writer:
            writer.write_table(raw.cells)
        sender.send(("sheet", raw.errors, None, uncalculated))
        sender.send_bytes(sink.getvalue())
        return
    sender.send(("sheet", raw.errors, spooled, uncalculated))


def _rebuilt_error(
    cls: type[SvcqaError], args: tuple[Any, ...], attributes: dict[str, Any]
) -> SvcqaError:
    """An error sent from the child, rebuilt with its code, file and sheet (plain pickling
    would call ``cls(*args)`` and lose the keyword-only fields)."""
    error = cls.__new__(cls)
    error.args = args
    error.__dict__.update(attributes)
    return error


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


# ---------------------------------------------------------------- CSV


def decode_text(data: bytes) -> tuple[str, str]:
    """Decode CSV bytes: UTF-8 (BOM stripped) first, then GB18030 (Chinese Windows "Save as CSV")."""
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError as exc:
        raise InputError(
            f"cannot decode the CSV as UTF-8 or GB18030 (byte {exc.start}); save it as 'CSV UTF-8'",
            code="not-a-workbook",
        ) from None


def read_csv(path: Path, limits: Limits) -> RawSheet:
    """A CSV file as one sheet of text cells; row i is line i + 1."""
    with open(path, "rb") as handle:
        data = handle.read()
    try:
        text, _ = decode_text(data)
    except InputError as exc:
        raise InputError(str(exc), file=path.name, code=exc.code) from None
    if "\x00" in text[:4096]:
        raise InputError(
            "not a CSV text file (binary content)", file=path.name, code="not-a-workbook"
        )
    delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    table, row_numbers = _csv_table(text, delimiter)
    if table.num_rows > limits.max_rows_per_sheet:
        raise limits.exceeded(
            "max_rows_per_sheet", f"the file has {table.num_rows:,} lines", file=path.name
        )
    return RawSheet(path.name, path, "", table, row_numbers=row_numbers)


def _csv_table(text: str, delimiter: str) -> tuple[pa.Table, np.ndarray | None]:
    """Records in file order as string columns ("" -> null); blank lines stay (as all-null rows)
    so that record i is line i + 1, except when quoted fields span lines: then the second value
    gives each record's first line number."""
    # Not at the top: the workbook reader child starts before numpy, pyarrow and pandas load.
    import numpy as np
    import pandas as pd
    import pyarrow as pa

    row_numbers: np.ndarray | None = None
    try:
        # Fast path: the C parser with enough positional columns for the widest of the first lines.
        head = list(
            csv.reader(io.StringIO("\n".join(text.splitlines()[:200])), delimiter=delimiter)
        )
        width = max((len(r) for r in head), default=0)
        frame = (
            pd.read_csv(
                io.StringIO(text),
                header=None,
                names=range(width),
                dtype=str,
                keep_default_na=False,
                na_filter=False,
                skip_blank_lines=False,
                sep=delimiter,
                engine="c",
            )
            if width
            else None
        )
    except (pd.errors.ParserError, ValueError):
        frame = None
    if frame is not None and _no_multiline(text, len(frame)):
        columns = {
            str(i): pa.array(frame[i].to_numpy(dtype=object), type=pa.string())
            for i in range(frame.shape[1])
        }
    else:  # ragged rows or quoted line breaks: the csv module copes with both
        reader = csv.reader(io.StringIO(text), delimiter=delimiter)
        rows, starts, line = [], [], 0
        for record in reader:  # rare path; line_num tells where each record ends
            rows.append(record)
            starts.append(line + 1)
            line = reader.line_num
        width = max((len(r) for r in rows), default=0)
        if starts != list(range(1, len(starts) + 1)):
            row_numbers = np.asarray(starts, dtype=np.int64)
        columns = {
            str(i): pa.array([r[i] if i < len(r) else None for r in rows], type=pa.string())
            for i in range(width)
        }
    if not columns:
        return pa.table({}), None
    import pyarrow.compute as pc

    return pa.table(
        {
            name: pc.if_else(pc.equal(col, ""), pa.scalar(None, pa.string()), col)
            for name, col in columns.items()
        }
    ), row_numbers


def _no_multiline(text: str, records: int) -> bool:
    """Record index == line index only when no quoted field spans lines."""
    lines = text.count("\n") + (0 if text.endswith("\n") or not text else 1)
    return lines == records
