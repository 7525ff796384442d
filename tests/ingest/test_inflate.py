"""The fast zip-member inflate (``svcqa.ingest.fast.inflate``) gives zipfile's bytes and refuses what
zipfile refuses: forged sizes, CRCs and overlapping members."""

from __future__ import annotations

import struct
import zipfile
from pathlib import Path

import pytest

from svcqa.ingest.fast.inflate import member_chunks

from conftest import CORPUS, requires_corpus

XML = (
    b"<row>"
    + b"".join(b'<c r="A%d"><v>%d</v></c>' % (i, i * 7919 % 1000) for i in range(200_000))
    + b"</row>"
)


def _inflated(path: Path, name: str) -> bytes:
    with zipfile.ZipFile(path) as archive:
        return b"".join(member_chunks(path, archive, archive.getinfo(name)))


def _package(path: Path, compression: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", compression) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", XML)
        archive.writestr("xl/workbook.xml", b"<workbook/>")
    return path


def _patch_central(path: Path, name: bytes, offset: int, value: int) -> None:
    """Overwrite the 4-byte field at ``offset`` of member ``name``'s central directory entry
    (16: CRC-32, 20: compressed size, 24: uncompressed size)."""
    data = bytearray(path.read_bytes())
    entry = data.index(b"PK\x01\x02")
    while data[entry + 46 : entry + 46 + len(name)] != name:
        entry = data.index(b"PK\x01\x02", entry + 4)
    struct.pack_into("<I", data, entry + offset, value)
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(
    "compression", [zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED, zipfile.ZIP_BZIP2]
)
def test_same_bytes_as_zipfile(compression: int, tmp_path: Path) -> None:
    path = _package(tmp_path / "book.xlsx", compression)
    assert _inflated(path, "xl/worksheets/sheet1.xml") == XML
    assert _inflated(path, "xl/workbook.xml") == b"<workbook/>"


@requires_corpus
def test_same_bytes_as_zipfile_on_the_corpus() -> None:
    """Every member of every xlsx/xlsm/ods of the corpus (Excel, WPS, LibreOffice, generators)."""
    books = [p for p in CORPUS.rglob("*") if p.suffix.lower() in (".xlsx", ".xlsm", ".ods")]
    assert books
    for path in sorted(books):
        try:
            archive = zipfile.ZipFile(path)
        except zipfile.BadZipFile:
            continue  # encrypted (OLE) or not a zip at all: the package checks refuse it earlier
        with archive:
            for info in archive.infolist():
                if not info.is_dir() and not info.flag_bits & 0x1:
                    assert b"".join(member_chunks(path, archive, info)) == archive.read(info), (
                        path,
                        info.filename,
                    )


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        (24, 1000, "inflates past its declared size of 1,000 bytes"),
        (24, len(XML) + 1, f"inflates to {len(XML):,} bytes, not its declared {len(XML) + 1:,}"),
        (16, 12345, "bad CRC-32"),
    ],
)
def test_forged_central_directory_refused(
    field: int, value: int, message: str, tmp_path: Path
) -> None:
    path = _package(tmp_path / "forged.xlsx")
    _patch_central(path, b"xl/worksheets/sheet1.xml", field, value)
    with pytest.raises(zipfile.BadZipFile, match=message):
        _inflated(path, "xl/worksheets/sheet1.xml")


def test_member_overlapping_the_next_one_refused(tmp_path: Path) -> None:
    path = _package(tmp_path / "overlap.xlsx")
    with zipfile.ZipFile(path) as archive:
        sheet = archive.getinfo("xl/worksheets/sheet1.xml")
    _patch_central(path, b"xl/worksheets/sheet1.xml", 20, sheet.compress_size + 64)
    with pytest.raises(zipfile.BadZipFile, match="overlapped entries"):
        _inflated(path, "xl/worksheets/sheet1.xml")


def test_local_header_must_match_the_directory(tmp_path: Path) -> None:
    path = _package(tmp_path / "renamed.xlsx")
    data = path.read_bytes()
    # The first occurrence of the name is in the member's local header, before the directory.
    path.write_bytes(data.replace(b"xl/worksheets/sheet1.xml", b"xl/worksheets/sheetX.xml", 1))
    with pytest.raises(zipfile.BadZipFile, match="differ"):
        _inflated(path, "xl/worksheets/sheet1.xml")
