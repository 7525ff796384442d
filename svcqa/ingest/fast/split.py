"""One large worksheet read on two cores.

calamine parses a sheet on one thread; at a million rows that parse is most of a month's run
while the other core waits. A worksheet part is a flat run of ``<row>`` elements, so it splits
cleanly: ``split_worksheet`` inflates the part once, writes the rows before a row boundary and
the rows after it as the same sheet of two stored (uncompressed) packages, and the reader parses
the first part on a thread while the rest is still being inflated. Rows carry their Excel row
number (``r="N"``), so both parts keep absolute rows and ``join_parts`` puts them back together
into the table a whole-sheet read gives (the tests compare the two on real workbooks).

The inflate runs the package scan's checks on the way (``WorksheetScan``; the scan then skips
the part), so calamine only ever sees bytes that passed them. Anything unexpected (no
``<sheetData>`` head, rows without ``r``, rows out of order) abandons the split after the checks,
and the sheet is read whole as before.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING
from xml.etree import ElementTree

from svcqa.ingest.safety.limits import Limits
from svcqa.ingest.safety.package import WorksheetScan, inflated_chunks, xml_parts

if TYPE_CHECKING:
    import pyarrow as pa

# Worksheet parts smaller than this are read whole: splitting costs an extra inflate of the part
# in Python, which pays off once the parse is long (a part of 48 MiB holds ~100k ticket rows).
SPLIT_BYTES = 48 * 1024**2
# Share of the part's bytes in the first part. The first part is parsed while the rest is still
# inflated, so it gets more than half for both parts to finish together (measured at 1M rows).
FIRST_SHARE = 0.53
_MAX_HEAD = 16 * 1024**2  # bytes before <sheetData> beyond which a part is not a plain worksheet
_SHEET_DATA = re.compile(rb"<((?:[A-Za-z_][\w.-]*:)?)sheetData\b[^>]*?(/?)>")
_WORKSHEET = re.compile(rb"<((?:[A-Za-z_][\w.-]*:)?)worksheet\b")
_ROW_NUMBER = re.compile(rb'\sr="(\d+)"')
_EMPTY_WORKSHEET = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData/></worksheet>'
)


def members_to_split(path: Path, names: Sequence[str]) -> dict[str, zipfile.ZipInfo]:
    """The worksheet part of each sheet in ``names`` that is large enough to read split.

    Only xlsx/xlsm packages whose workbook part lists the sheets in the usual places; anything
    else (ods, xls, an unusual layout) is read whole, as are parts below ``SPLIT_BYTES``.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            parts = _worksheet_parts(archive)
            members = {name: archive.getinfo(parts[name]) for name in names if name in parts}
    except (zipfile.BadZipFile, OSError, KeyError, ElementTree.ParseError):
        return {}
    return {name: info for name, info in members.items() if info.file_size >= SPLIT_BYTES}


def _worksheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> zip member of its worksheet, from xl/workbook.xml and its relationships."""
    targets = {
        rel.get("Id"): rel.get("Target", "")
        for rel in ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    }
    parts = {}
    for element in ElementTree.fromstring(archive.read("xl/workbook.xml")).iter():
        if element.tag.rsplit("}", 1)[-1] != "sheet":
            continue
        rel = next((v for k, v in element.attrib.items() if k.rsplit("}", 1)[-1] == "id"), None)
        target = targets.get(rel)
        if target and element.get("name") is not None:
            member = (
                target.lstrip("/") if target.startswith("/") else posixpath.normpath("xl/" + target)
            )
            parts[element.get("name", "")] = member
    return parts


@dataclass
class Split:
    """The outcome of ``split_worksheet``: the second part and the 0-based row it starts at, or
    ``second=None`` when the split was abandoned (the part passed its checks all the same)."""

    second: Path | None
    first_row: int
    uncalculated: bool  # a formula cell without a cached value was seen (see reader.scan_package)


def split_worksheet(
    path: Path,
    info: zipfile.ZipInfo,
    limits: Limits,
    folder: Path,
    first_ready: Callable[[Path], None],
    uncached_formula: Callable[[bytes], bool],
) -> Split:
    """Inflate worksheet ``info`` of ``path`` once, checking it as the package scan would, and
    write it as two packages in ``folder``; ``first_ready`` gets the first as soon as it is
    complete, so that its parse starts while the rest is inflated."""
    found: list[bool] = []

    def inspect(window: bytes) -> None:
        if not found and uncached_formula(window):
            found.append(True)

    scan = WorksheetScan(inspect, exact=False)
    with zipfile.ZipFile(path) as archive:
        writer = _PartWriter(archive, info, folder)
        try:
            for chunk in inflated_chunks(path, archive, info):
                scan.feed(chunk)
                writer.write(chunk, first_ready)
        finally:
            second, first_row = writer.close()
    scan.finish(path, info, limits)
    return Split(second, first_row, bool(found))


class _PartWriter:
    """Writes the inflated chunks of one worksheet part, in order, into the two packages."""

    def __init__(self, archive: zipfile.ZipFile, info: zipfile.ZipInfo, folder: Path):
        self.archive, self.info, self.folder = archive, info, folder
        # The first part ends at the first row boundary past this many bytes.
        self.target = int(info.file_size * FIRST_SHARE)
        self.head = b""  # the part up to and including its <sheetData> tag
        self.prefix: bytes | None = None  # namespace prefix of <sheetData> ("x:" or ""), once found
        self.root = b""  # namespace prefix of <worksheet>
        self.seen = 0  # bytes of the part written so far
        self.first: _Package | None = None
        self.second: _Package | None = None
        # The workbook's other XML parts (worksheets emptied), read once for both packages.
        self.others: list[tuple[str, bytes]] = []
        self.first_row = -1
        self.abandoned = False

    def write(self, chunk: bytes, first_ready: Callable[[Path], None]) -> None:
        if self.abandoned:
            return
        if self.prefix is None:
            chunk = self._take_head(chunk)
            if not chunk:
                return
        if self.second is not None:
            self.second.stream.write(chunk)
            return
        # Both set by _take_head before it hands back the first rows.
        assert self.first is not None and self.prefix is not None
        start = self.target - self.seen
        self.seen += len(chunk)
        boundary = self._boundary(chunk, max(0, start)) if self.seen >= self.target else None
        if boundary is None:
            self.first.stream.write(chunk)
            return
        at, number = boundary
        self.first.stream.write(
            chunk[:at] + b"</" + self.prefix + b"sheetData></" + self.root + b"worksheet>"
        )
        self.first.close()
        first_ready(self.first.path)
        self.first_row = number - 1
        self.second = _Package(self.folder / "2.xlsx", self.others, self.info)
        self.second.stream.write(self.head + chunk[at:])

    def close(self) -> tuple[Path | None, int]:
        """The second part and its first row (0-based), or ``(None, -1)`` when not split."""
        if self.second is not None:
            self.second.close()
            return self.second.path, self.first_row
        if self.first is not None:
            self.first.close()
        return None, -1

    def _take_head(self, chunk: bytes) -> bytes:
        """Collect the part's head; once the <sheetData> tag is in, open the first package and
        return the rows that followed it in the chunk."""
        self.head += chunk
        match = _SHEET_DATA.search(self.head)
        if match is None:
            self.abandoned = len(self.head) > _MAX_HEAD
            return b""
        root = _WORKSHEET.search(self.head, 0, match.start())
        if match.group(2) or root is None:  # <sheetData/>: nothing to split
            self.abandoned = True
            return b""
        self.prefix, self.root = match.group(1), root.group(1)
        self._row_after_row = re.compile(
            rb"</" + self.prefix + rb"row>\s*(<" + self.prefix + rb"row\b[^>]*>)"
        )
        rows, self.head = self.head[match.end() :], self.head[: match.end()]
        self.others = [
            (
                part.filename,
                _EMPTY_WORKSHEET if _is_worksheet(part.filename) else self.archive.read(part),
            )
            for part in xml_parts(self.archive)
            if part.filename != self.info.filename
        ]
        self.first = _Package(self.folder / "1.xlsx", self.others, self.info)
        self.first.stream.write(self.head)
        self.seen = len(self.head)
        return rows

    def _boundary(self, chunk: bytes, start: int) -> tuple[int, int] | None:
        """The offset of a ``<row>`` that follows a ``</row>`` at or after ``start``, and its
        Excel row number; None when this chunk has none (the split moves to a later chunk)."""
        match = self._row_after_row.search(chunk, start)
        if match is None:
            return None
        number = _ROW_NUMBER.search(match.group(1))
        if number is None:  # rows without numbers cannot keep their place in the second part
            self.abandoned = True
            return None
        return match.start(1), int(number.group(1))


class _Package:
    """A stored package of the workbook's ``others`` parts and worksheet ``info``, which the
    caller writes through ``stream``."""

    def __init__(self, path: Path, others: list[tuple[str, bytes]], info: zipfile.ZipInfo):
        self.path = path
        self.zip = zipfile.ZipFile(path, "w", zipfile.ZIP_STORED)
        for name, data in others:
            self.zip.writestr(name, data)
        self.stream: IO[bytes] = self.zip.open(
            zipfile.ZipInfo(info.filename), "w", force_zip64=info.file_size >= 1 << 31
        )

    def close(self) -> None:
        self.stream.close()
        self.zip.close()


def _is_worksheet(name: str) -> bool:
    return name.startswith("xl/worksheets/") and "/_rels/" not in name and name.endswith(".xml")


def join_parts(first: pa.Table, second: pa.Table, first_row: int) -> pa.Table | None:
    """The sheet's table from its two parts, each with absolute rows (the second part's rows
    before ``first_row`` are blank); None when the parts overlap (rows out of order in the file),
    so the caller reads the sheet whole."""
    if first.num_rows > first_row or second.num_rows < first_row:
        return None
    if any(column.null_count != first_row for column in second.slice(0, first_row).columns):
        return None
    import pyarrow as pa

    width = max(first.num_columns, second.num_columns)
    second = second.slice(first.num_rows)
    parts = [_widened(first, width), _widened(second, width)]
    return pa.concat_tables(parts)


def _widened(table: pa.Table, width: int) -> pa.Table:
    import pyarrow as pa

    columns = list(table.columns) + [pa.nulls(table.num_rows, pa.string())] * (
        width - table.num_columns
    )
    return pa.table(columns, names=[str(i) for i in range(width)])
