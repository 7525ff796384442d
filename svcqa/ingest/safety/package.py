"""Checks of a workbook's package before and beside the reader: the zip directory (member count,
declared sizes, compression ratio), the XML parts' prologs (no DTD or entities), a full inflate of
every XML part (understated sizes, cell extents), OLE2 encryption, formulas saved without values.
"""

from __future__ import annotations

import io
import os
import re
import struct
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

from svcqa.errors import InputError
from svcqa.ingest.fast.inflate import member_chunks
from svcqa.ingest.safety.limits import Limits

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_ENCRYPTION_STREAM = "EncryptionInfo".encode("utf-16-le")
# A formula followed by an empty or missing value: </f></c>, </f><v></v>, </f><v/>, <f .../></c>.
# Two patterns with literal prefixes (fast to scan for); namespace-prefixed <x:f> is not looked for.
_EMPTY_VALUE = rb"\s*(?:</c>|<v\s*/>|<v>\s*</v>)"
_UNCACHED_FORMULA = (re.compile(rb"</f>" + _EMPTY_VALUE), re.compile(rb"<f [^>]*/>" + _EMPTY_VALUE))

# End of central directory record (22 bytes, then a comment of up to 65,535 bytes) and, for
# ZIP64 archives, the locator (20 bytes) and the ZIP64 record (56 bytes) just before it.
_END = struct.Struct("<4s4H2LH")
_END_SIGNATURE = b"PK\x05\x06"
_END64_LOCATOR = struct.Struct("<4sLQL")
_END64_LOCATOR_SIGNATURE = b"PK\x06\x07"
_END64 = struct.Struct("<4sQ2H2L4Q")
_END64_SIGNATURE = b"PK\x06\x06"
_ENTRY_SIGNATURE = b"PK\x01\x02"  # each central directory entry starts with it


def check_zip_members(path: Path, limits: Limits) -> None:
    """Refuse a package listing more than ``max_zip_members`` members before any zip reader
    builds its member list (``zip_member_count``)."""
    members = zip_member_count(path)
    if members is not None and members > limits.max_zip_members:
        raise limits.exceeded(
            "max_zip_members", f"the zip package lists {members:,} members", file=path.name
        )


def zip_member_count(path: Path) -> int | None:
    """The members a zip lists, from its end record and from its central directory's bytes
    (entry headers counted in the region Python's zipfile parses), whichever is more: a forged
    end record that understates the count does not hide the members. None when the file has no
    end record (not a zip, or a damaged one: the zip reader says so)."""
    found = _central_directory(path)
    if found is None:
        return None
    declared, start, size = found
    counted, tail = 0, b""
    with open(path, "rb") as handle:
        handle.seek(start)
        while size > 0:
            chunk = handle.read(min(size, 1 << 20))
            if not chunk:
                break
            size -= len(chunk)
            counted += (tail + chunk).count(_ENTRY_SIGNATURE)
            tail = chunk[-3:]  # a signature split across two chunks is counted with the second
    return max(declared, counted)


def _central_directory(path: Path) -> tuple[int, int, int] | None:
    """(declared member count, start, size) of a zip's central directory, located the way
    Python's zipfile does (the directory ends where the end records begin); None when there is
    no end record."""
    with open(path, "rb") as handle:
        end = handle.seek(0, os.SEEK_END)
        handle.seek(max(0, end - _END.size - 0xFFFF))
        tail_start = handle.tell()
        tail = handle.read()
        at = tail.rfind(_END_SIGNATURE)
        if at < 0 or len(tail) - at < _END.size:
            return None
        _sig, _disk, _cd_disk, _here, count, size, _offset, _comment = _END.unpack_from(tail, at)
        directory_end = tail_start + at
        locator_at = directory_end - _END64_LOCATOR.size
        if locator_at >= 0:  # a ZIP64 locator, when present, overrides the record (as in zipfile)
            handle.seek(locator_at)
            locator = handle.read(_END64_LOCATOR.size)
            if locator[:4] == _END64_LOCATOR_SIGNATURE and locator_at - _END64.size >= 0:
                handle.seek(locator_at - _END64.size)
                record = handle.read(_END64.size)
                if record[:4] == _END64_SIGNATURE:
                    *_, count, size, _offset = _END64.unpack(record)
                    directory_end = locator_at - _END64.size
    return count, max(0, directory_end - size), min(size, directory_end)


def check_zip(path: Path, archive: zipfile.ZipFile, limits: Limits) -> None:
    """Refuse zip bombs from the central directory alone (declared sizes), before inflating."""
    total = 0
    for info in archive.infolist():
        total += info.file_size
        # Deflate never grows data by more than ~0.1%: a member whose compressed size exceeds
        # its declared size lies about that size (a bomb hiding from the checks below).
        if (
            info.compress_type != zipfile.ZIP_STORED
            and info.compress_size > info.file_size * 1.01 + 1024
        ):
            raise InputError(
                f"zip member {info.filename} declares {info.file_size:,} bytes but holds "
                f"{info.compress_size:,} compressed bytes; the package is corrupt or forged",
                file=path.name,
                code="corrupt",
            )
        if info.compress_size > 0 and info.file_size > 1024**2:
            ratio = info.file_size / info.compress_size
            if ratio > limits.max_compression_ratio:
                raise limits.exceeded(
                    "max_compression_ratio",
                    f"zip member {info.filename} declares a compression ratio of {ratio:,.0f}:1",
                    file=path.name,
                )
    if total > limits.max_uncompressed_bytes:
        raise limits.exceeded(
            "max_uncompressed_bytes",
            f"the package declares {total:,} uncompressed bytes",
            file=path.name,
        )


# XML parts may start with a BOM, a declaration, comments and whitespace before a DOCTYPE; a
# DOCTYPE further in than this is not a valid prolog for any real workbook part.
PROLOG_BYTES = 64 * 1024
_DTD_MARKERS = (b"<!doctype", b"<!entity")


_ROW_NUMBER = re.compile(rb'row [^>]*?r="(\d+)"')
_WIDE_COLUMN = re.compile(rb' r="([A-Z]{2,3})\d')  # cell references beyond column Z


def _column_number(letters: bytes) -> int:
    number = 0
    for char in letters:
        number = number * 26 + char - 64
    return number


def xml_parts(archive: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    """The package's XML parts (worksheets, workbook, styles, shared strings, relationships...)."""
    return [
        info
        for info in archive.infolist()
        if not info.is_dir() and info.filename.lower().endswith((".xml", ".rels", ".vml"))
    ]


def _corrupt(path: Path, info: zipfile.ZipInfo, exc: BaseException) -> InputError:
    return InputError(
        f"the workbook is corrupt or truncated (zip member {info.filename}: {exc}); "
        "export or copy it again",
        file=path.name,
        code="corrupt",
    )


_ZIP_READ_ERRORS = (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError, EOFError)


def check_xml_prologs(path: Path, archive: zipfile.ZipFile) -> None:
    """Refuse XML parts declaring a DTD or entities ("billion laughs"): Excel, WPS and
    LibreOffice never write one, and an entity-expanding parser could inflate it to gigabytes.
    Only the head of each part is inflated, so this is cheap enough to run before any reader."""
    for info in xml_parts(archive):
        try:
            with archive.open(info) as handle:
                head = handle.read(PROLOG_BYTES)
        except _ZIP_READ_ERRORS as exc:
            raise _corrupt(path, info, exc) from None
        # UTF-16 parts interleave NULs; drop them so the markers still match.
        text = head.replace(b"\x00", b"").lower()
        if any(marker in text for marker in _DTD_MARKERS):
            raise InputError(
                f"zip member {info.filename} declares a DTD or XML entities (<!DOCTYPE>/<!ENTITY>), "
                "which spreadsheet programs never write; refused as a possible entity-expansion "
                "('billion laughs') attack. Open the file in Excel/WPS and save a copy",
                file=path.name,
                code="unsafe-xml",
            )


def scan_xml_parts(
    path: Path,
    archive: zipfile.ZipFile,
    limits: Limits | None = None,
    inspect: Callable[[bytes], None] | None = None,
    skip: frozenset[str] = frozenset(),
) -> None:
    """Inflate every XML part to its end (streamed, nothing kept) and refuse what would make a
    reader blow up.

    The inflate stops at the *declared* size and checks the CRC, as zipfile does, so a bomb that
    understates its size to pass ``check_zip`` fails here as corrupt; the Rust reader trusts no
    declared size and would inflate it all into memory. A worksheet whose cell references span
    more than ``max_cells`` rows x columns is refused (the reader allocates the whole rectangle).
    ``inspect`` sees every worksheet chunk (with a small overlap) so callers learn more from this
    one pass.
    The reader runs in a memory-limited child meanwhile (see ``reader.Workbook.load_many``):
    this scan turns the usual attacks into precise messages, the child contains the rest.
    Parts named in ``skip`` are left out: the reader checks those itself, with the same
    ``WorksheetScan``, as it splits them (``split.split_worksheet``).
    """
    limits = limits or Limits()
    for info in xml_parts(archive):
        if info.filename in skip:
            continue
        if not info.filename.startswith("xl/worksheets/"):
            for _chunk in inflated_chunks(path, archive, info):
                pass
            continue
        scan = WorksheetScan(inspect)
        for chunk in inflated_chunks(path, archive, info):
            scan.feed(chunk)
        scan.finish(path, info, limits)


def inflated_chunks(path: Path, archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Iterator[bytes]:
    """Member ``info`` inflated chunk by chunk, stopping at its declared size and
    checking its CRC (``inflate``); any zip failure becomes a "corrupt" InputError naming it."""
    try:
        yield from member_chunks(path, archive, info)
    except _ZIP_READ_ERRORS as exc:
        raise _corrupt(path, info, exc) from None


class WorksheetScan:
    """The cell-extent check of one worksheet part, fed its chunks in order as they are inflated.

    ``exact=False`` looks only at the first and last row of each chunk (about half a MiB of XML)
    and the last cell reference in it, a few microseconds instead of regex passes over every byte
    (1.2 s at a million rows): the extents of a file written in row order, as every spreadsheet
    program writes. The split reader (``split``) uses it because calamine parses the same bytes in the
    memory-capped reader child anyway, where a forged file out of row order still ends in a
    one-line error, only a less precise one.
    """

    def __init__(self, inspect: Callable[[bytes], None] | None = None, *, exact: bool = True):
        self.inspect, self.exact = inspect, exact
        self.max_row, self.max_column = 0, 1
        self._tail = b""

    def feed(self, chunk: bytes) -> None:
        window = self._tail + chunk  # the overlap catches a reference cut at a chunk border
        if self.exact:
            rows = _ROW_NUMBER.findall(window)
            wide = _WIDE_COLUMN.findall(window)
        else:
            first, last = (
                _ROW_NUMBER.search(window),
                _ROW_NUMBER.match(window, window.rfind(b"row ")),
            )
            rows = [m.group(1) for m in (first, last) if m]
            cell = _WIDE_COLUMN.match(window, window.rfind(b' r="'))
            wide = [cell.group(1)] if cell else []
        if rows:
            self.max_row = max(self.max_row, *map(int, rows))
        if wide:
            self.max_column = max(self.max_column, *map(_column_number, wide))
        if self.inspect is not None:
            self.inspect(window)
        self._tail = chunk[-512:]

    def finish(self, path: Path, info: zipfile.ZipInfo, limits: Limits) -> None:
        """Refuse the part when its cells span more than ``max_cells`` positions or
        ``max_columns`` columns (beyond Z: narrower sheets are judged by the reader)."""
        if self.max_column > limits.max_columns:
            raise limits.exceeded(
                "max_columns",
                f"zip member {info.filename} has {self.max_column:,} columns",
                file=path.name,
            )
        if self.max_row * self.max_column > limits.max_cells:
            raise limits.exceeded(
                "max_cells",
                f"zip member {info.filename} spans {self.max_row:,} rows x {self.max_column:,} "
                f"columns = {self.max_row * self.max_column:,} cells",
                file=path.name,
            )


def ole_encrypted(path: Path) -> bool:
    """An OOXML file saved with a password is an OLE2 container holding an EncryptionInfo stream."""
    tail = b""
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            if _ENCRYPTION_STREAM in tail + chunk:
                return True
            tail = chunk[-len(_ENCRYPTION_STREAM) :]
    return False


_BIFF_RECORD = struct.Struct("<HH")  # record type, payload length
_BIFF_FILEPASS, _BIFF_EOF = 0x002F, 0x000A
_FILEPASS_KINDS = {0: "XOR obfuscation", 1: "RC4 encryption"}


def xls_password(path: Path) -> str | None:
    """How a BIFF .xls is protected with a password to open, or None: its workbook globals hold a
    FILEPASS record ("XOR obfuscation", "RC4 encryption"). Such a file carries no OOXML
    EncryptionInfo stream, and the reader takes XOR-obfuscated bytes for corrupt ones (or
    plain text), so the record is looked for here. Only record headers are read, up to the
    globals' EOF; a container the parser finds damaged (a sector chain used twice, which
    could loop) is left to the reader to judge."""
    from xlrd import compdoc  # xlrd's OLE2 container parser; no pandas

    try:
        document = compdoc.CompDoc(
            path.read_bytes(), logfile=io.StringIO(), ignore_workbook_corruption=False
        )
        mem, base, size = document.locate_named_stream("Workbook")
        if mem is None:
            mem, base, size = document.locate_named_stream("Book")
    except Exception:  # noqa: BLE001 - a damaged container: the reader's own message says so
        return None
    if mem is None:
        return None
    at, end = base, base + size
    while at + _BIFF_RECORD.size <= end:
        kind, length = _BIFF_RECORD.unpack_from(mem, at)
        if kind == _BIFF_FILEPASS:
            method = int.from_bytes(mem[at + 4 : at + 6], "little") if length >= 2 else -1
            return _FILEPASS_KINDS.get(method, "encryption")
        if kind == _BIFF_EOF:
            return None
        at += _BIFF_RECORD.size + length
    return None


def package_kind(path: Path, archive: zipfile.ZipFile, limits: Limits) -> str:
    """``"ooxml"`` or ``"ods"`` from the zip directory, after its size checks; refuses an empty
    archive and a zip that is neither package."""
    names = archive.namelist()
    if not names:
        raise InputError(
            "an empty zip archive, not a workbook", file=path.name, code="not-a-workbook"
        )
    check_unique_members(path, names)
    check_zip(path, archive, limits)
    if "[Content_Types].xml" not in names and "mimetype" not in names:
        raise InputError(
            "a zip archive but not an Excel or ODS package (no [Content_Types].xml)",
            file=path.name,
            code="not-a-workbook",
        )
    return "ooxml" if "[Content_Types].xml" in names else "ods"


def check_unique_members(path: Path, names: list[str]) -> None:
    """Refuse a package listing two members of one name (part names compare case-insensitively
    in a package): zip readers keep one or the other, so the sheet read could be either, or an
    empty one; no spreadsheet program writes such a file."""
    seen: dict[str, str] = {}
    for name in names:
        first = seen.get(name.casefold())
        if first is not None:
            twice = (
                f"the zip member {name!r} twice"
                if first == name
                else f"the zip members {first!r} and {name!r}, one part name (names ignore case)"
            )
            raise InputError(
                f"the package lists {twice}; a reader would take one "
                "copy and ignore the other, so the file is corrupt or forged. Open it in "
                "Excel/WPS and save a copy, or export it again",
                file=path.name,
                code="corrupt",
            )
        seen[name.casefold()] = name


def truncated(path: Path, exc: zipfile.BadZipFile) -> InputError:
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
        if not found and uncached_formula_in(window):
            found.append(True)

    try:
        with zipfile.ZipFile(path) as archive:
            scan_xml_parts(path, archive, limits, inspect, skip)
    except zipfile.BadZipFile as exc:
        raise truncated(path, exc) from None
    return bool(found)


def uncached_formula_in(window: bytes) -> bool:
    """A formula cell without a cached value somewhere in ``window`` of worksheet XML."""
    # b"f" first: a one-byte search runs at memchr speed, and sheets without formulas rarely
    # hold an "f" at all (tags are c, r, s, t, v, is; text is mostly digits and CJK).
    return b"f" in window and b"<f" in window and any(p.search(window) for p in _UNCACHED_FORMULA)
