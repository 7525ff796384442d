"""Builders for hostile and messy input files, generated into ``tmp_path`` by the tests.

Zip packages are assembled by hand (local headers, central directory, zip64 extras) so a
bomb whose sheet XML inflates to gigabytes is built in about a second from one compressed
block repeated: deflate with a full flush restarts its state, so identical input blocks
compress to identical bytes that can be concatenated.
"""

from __future__ import annotations

import struct
import zipfile
import zlib
from pathlib import Path

NS = b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
RELS_NS = b'xmlns="http://schemas.openxmlformats.org/package/2006/relationships"'
DOC_REL = b"http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def package_parts(
    sheet_xml: bytes, *, shared: bytes | None = None, sheet: str = "工单"
) -> dict[str, bytes]:
    """The parts of a one-sheet xlsx whose sheet XML (and sharedStrings) are given verbatim."""
    shared_type = (
        b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
        b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    )
    shared_rel = (
        b'<Relationship Id="rId2" Type="'
        + DOC_REL
        + b'/sharedStrings" Target="sharedStrings.xml"/>'
    )
    parts = {
        "[Content_Types].xml": b'<?xml version="1.0" encoding="UTF-8"?>'
        b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        b'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        b'<Default Extension="xml" ContentType="application/xml"/>'
        b'<Override PartName="/xl/workbook.xml" ContentType="application/'
        b'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        b'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
        b'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        + (shared_type if shared is not None else b"")
        + b"</Types>",
        "_rels/.rels": b'<?xml version="1.0" encoding="UTF-8"?><Relationships ' + RELS_NS + b">"
        b'<Relationship Id="rId1" Type="' + DOC_REL + b'/officeDocument" Target="xl/workbook.xml"/>'
        b"</Relationships>",
        "xl/workbook.xml": b'<?xml version="1.0" encoding="UTF-8"?><workbook '
        + NS
        + b' xmlns:r="'
        + DOC_REL
        + b'"><sheets><sheet name="'
        + sheet.encode()
        + b'" sheetId="1" r:id="rId1"/>'
        b"</sheets></workbook>",
        "xl/_rels/workbook.xml.rels": b'<?xml version="1.0" encoding="UTF-8"?><Relationships '
        + RELS_NS
        + b">"
        b'<Relationship Id="rId1" Type="'
        + DOC_REL
        + b'/worksheet" Target="worksheets/sheet1.xml"/>'
        + (shared_rel if shared is not None else b"")
        + b"</Relationships>",
        "xl/worksheets/sheet1.xml": sheet_xml,
    }
    if shared is not None:
        parts["xl/sharedStrings.xml"] = shared
    return parts


def _deflate(data: bytes) -> bytes:
    co = zlib.compressobj(9, zlib.DEFLATED, -15)
    return co.compress(data) + co.flush()


def write_zip(path: Path, members: list[tuple[str, bytes, int, int]]) -> Path:
    """Write ``(name, raw deflate bytes, crc32, uncompressed size)`` members as a zip (zip64 extras)."""
    out = bytearray()
    central = bytearray()
    for name, data, crc, size in members:
        encoded = name.encode("utf-8")
        offset = len(out)
        extra = struct.pack("<HHQQ", 1, 16, size, len(data))
        out += struct.pack(
            "<IHHHHHIIIHH",
            0x04034B50,
            45,
            0x800,
            8,
            0,
            0x21,
            crc,
            0xFFFFFFFF,
            0xFFFFFFFF,
            len(encoded),
            len(extra),
        )
        out += encoded + extra + data
        central += struct.pack(
            "<IHHHHHHIIIHHHHHII",
            0x02014B50,
            45,
            45,
            0x800,
            8,
            0,
            0x21,
            crc,
            0xFFFFFFFF,
            0xFFFFFFFF,
            len(encoded),
            len(extra),
            0,
            0,
            0,
            0,
            offset,
        )
        central += encoded + extra
    start = len(out)
    out += central
    out += struct.pack(
        "<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(central), start, 0
    )
    path.write_bytes(bytes(out))
    return path


def write_package(path: Path, parts: dict[str, bytes]) -> Path:
    return write_zip(path, [(n, _deflate(d), zlib.crc32(d), len(d)) for n, d in parts.items()])


def zip_bomb(path: Path, size: int = 2 * 1024**3, declared: int | None = None) -> Path:
    """An xlsx whose sheet XML is one inline string of ``size`` bytes of 'A' (~1000:1 compressed).

    ``declared`` forges the uncompressed size written in the headers (a bomb that lies).
    """
    head = (
        b'<?xml version="1.0"?><worksheet '
        + NS
        + b'><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>'
    )
    tail = b"</t></is></c></row></sheetData></worksheet>"
    block = b"A" * (16 * 1024**2)
    count = size // len(block)
    co = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = co.compress(head) + co.flush(zlib.Z_FULL_FLUSH)
    # After a full flush the compressor forgets its window, so every block encodes the same.
    encoded_block = co.compress(block) + co.flush(zlib.Z_FULL_FLUSH)
    data = first + encoded_block * count + co.compress(tail) + co.flush()
    crc = zlib.crc32(head)
    for _ in range(count):
        crc = zlib.crc32(block, crc)
    crc = zlib.crc32(tail, crc)
    total = len(head) + count * len(block) + len(tail)
    members = [
        (n, _deflate(d), zlib.crc32(d), len(d))
        for n, d in package_parts(b"").items()
        if not n.endswith("sheet1.xml")
    ]
    members.append(("xl/worksheets/sheet1.xml", data, crc, total if declared is None else declared))
    return write_zip(path, members)


def billion_laughs(levels: int = 9) -> bytes:
    """The classic entity-expansion document: ``&lol9;`` expands to 10**9 'lol's."""
    entities = b'<!ENTITY lol0 "lol">' + b"".join(
        b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1)) * 10) for i in range(1, levels + 1)
    )
    return b'<?xml version="1.0"?><!DOCTYPE lolz [' + entities + b"]>"


def laughs_in_sheet(path: Path) -> Path:
    sheet = billion_laughs() + (
        b"<worksheet "
        + NS
        + b'><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c>'
        b"</row></sheetData></worksheet>"
    )
    return write_package(path, package_parts(sheet))


def laughs_in_shared_strings(path: Path) -> Path:
    sheet = (
        b"<worksheet "
        + NS
        + b'><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row></sheetData></worksheet>'
    )
    shared = (
        billion_laughs()
        + b"<sst "
        + NS
        + b' count="1" uniqueCount="1"><si><t>&lol9;</t></si></sst>'
    )
    return write_package(path, package_parts(sheet, shared=shared))


def laughs_after_padding(path: Path, padding: int = 200_000) -> Path:
    """A DOCTYPE hidden behind a long comment, beyond the prolog svcqa scans: the reader itself
    must not expand it either."""
    comment = b"<!--" + b" " * padding + b"-->"
    sheet = (
        b'<?xml version="1.0"?>'
        + comment
        + billion_laughs()[len(b'<?xml version="1.0"?>') :]
        + b"<worksheet "
        + NS
        + b'><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c>'
        b"</row></sheetData></worksheet>"
    )
    return write_package(path, package_parts(sheet))


def with_extra_members(
    source: Path, path: Path, count: int, *, declared: int | None = None
) -> Path:
    """``source``'s package plus ``count`` empty members (junk a workbook never has so many of).

    ``declared`` forges the member count of the end record, which zip readers use to size their
    member list and which a file may understate.
    """
    with (
        zipfile.ZipFile(source) as original,
        zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as copy,
    ):
        for info in original.infolist():
            copy.writestr(info, original.read(info))
        for i in range(count):
            copy.writestr(f"junk/{i}", b"")
    if declared is not None:
        data = bytearray(path.read_bytes())
        end = data.rfind(b"PK\x05\x06")
        struct.pack_into("<HH", data, end + 8, declared, declared)
        path.write_bytes(bytes(data))
    return path


def xor_obfuscated_xls(path: Path, source: Path) -> Path:
    """``source`` (a BIFF8 .xls) as Excel 97-2003 saves it with a password to open under XOR
    obfuscation: a FILEPASS record (type 0x002F, wEncryptionType 0 = XOR, key, verifier) right
    after the globals' BOF, and the payloads of the records after it XOR-ed with a key stream.

    Three records follow BOF in the source (INTERFACEHDR 2 bytes, MMS 2, INTERFACEEND 0: 16
    bytes with their headers); FILEPASS (10 bytes) and an MMS (6) take their place, so the
    stream keeps its size and the OLE2 container needs no rewrite.
    """
    data = bytearray(source.read_bytes())
    bof = data.find(b"\x09\x08\x10\x00\x00\x06\x05\x00")  # BIFF8 BOF of the workbook globals
    assert bof >= 0, "not a BIFF8 workbook"
    at = bof + 4 + 16
    types = [struct.unpack_from("<H", data, at + offset)[0] for offset in (0, 6, 12)]
    assert types == [0xE1, 0xC1, 0xE2], types
    data[at : at + 16] = struct.pack("<HHHHH", 0x2F, 6, 0, 0x1234, 0x5678) + struct.pack(
        "<HHH", 0xC1, 2, 0
    )
    # Obfuscate every later globals record's payload up to EOF (0x000A), as XOR does.
    at += 16
    key = b"\x5a\xc3\x17\x88"
    while True:
        kind, length = struct.unpack_from("<HH", data, at)
        if kind == 0x0A:
            break
        start = at + 4
        for i in range(length):
            data[start + i] ^= key[i % len(key)]
        at = start + length
    path.write_bytes(bytes(data))
    return path


def with_duplicate_member(source: Path, path: Path, name: str, second: bytes) -> Path:
    """``source``'s package with a second member named ``name`` holding ``second`` (appended
    after all others): zip readers keep one copy or the other, no spreadsheet program writes it."""
    with zipfile.ZipFile(source) as original:
        members = [(info.filename, original.read(info)) for info in original.infolist()]
    members.append((name, second))
    return write_zip(path, [(n, _deflate(d), zlib.crc32(d), len(d)) for n, d in members])
