"""One zip member inflated fast, with the checks Python's zipfile makes.

The reader inflates a month's tickets sheet (460 MB of XML at a million rows) before calamine
parses it (see ``split``), and the package scan inflates every XML part to check it. zipfile's
``read()`` takes 1.0 s for those 460 MB on this machine; ISA-L's inflate, fed 64 KiB of
compressed input at a time so that each output stays in the CPU cache, takes 0.23 s with the
CRC. What zipfile guarantees is kept: the member's data must lie inside the file and before the
next member (no overlapping "quoted" bombs), inflating stops past the declared size, and the
size and CRC must match the central directory at the end.
"""

from __future__ import annotations

import bisect
import struct
import weakref
import zipfile
from collections.abc import Iterator
from pathlib import Path

from isal.isal_zlib import crc32, decompressobj

_LOCAL_HEADER = struct.Struct("<4s22xHH")  # signature ... file name length, extra field length
_LOCAL_SIGNATURE = b"PK\x03\x04"
# Compressed bytes per inflate call: ~0.5 MiB of worksheet XML out, which stays in the CPU cache.
_INPUT_BYTES = 64 * 1024
_MAX_CHUNK = 16 * 1024**2  # inflated bytes per call at most (a bomb's 64 KiB could give 66 MB)


def member_chunks(path: Path, archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Iterator[bytes]:
    """Member ``info`` of ``archive`` (opened from ``path``) inflated, in chunks of at most 16 MiB.

    Raises ``zipfile.BadZipFile`` when the member is not what the central directory says, and
    leaves members that are neither stored nor deflated (or are encrypted) to zipfile.
    """
    if info.flag_bits & 0x1 or info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        with archive.open(info) as handle:
            while chunk := handle.read(_MAX_CHUNK):
                yield chunk
        return
    inflate = decompressobj(-15) if info.compress_type == zipfile.ZIP_DEFLATED else None
    size = crc = 0
    for raw in _compressed(path, archive, info):
        while raw:
            if inflate is None:
                data, raw = raw, b""
            else:
                data = inflate.decompress(raw, _MAX_CHUNK)
                raw = inflate.unconsumed_tail
            size += len(data)
            if size > info.file_size:
                raise zipfile.BadZipFile(
                    f"inflates past its declared size of {info.file_size:,} bytes"
                )
            crc = crc32(data, crc)
            yield data
    if (inflate and not inflate.eof) or size != info.file_size:
        raise zipfile.BadZipFile(f"inflates to {size:,} bytes, not its declared {info.file_size:,}")
    if crc != info.CRC:
        raise zipfile.BadZipFile("bad CRC-32")


def _compressed(path: Path, archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Iterator[bytes]:
    """The member's compressed bytes, after checking its local header and where its data ends."""
    with open(path, "rb") as handle:
        handle.seek(info.header_offset)
        header = handle.read(_LOCAL_HEADER.size)
        if len(header) < _LOCAL_HEADER.size:
            raise zipfile.BadZipFile("truncated local header")
        signature, name_length, extra_length = _LOCAL_HEADER.unpack(header)
        if signature != _LOCAL_SIGNATURE:
            raise zipfile.BadZipFile("bad magic number for file header")
        name = handle.read(name_length).decode(
            "utf-8" if info.flag_bits & 0x800 else "cp437", "replace"
        )
        if name != info.orig_filename:
            raise zipfile.BadZipFile(
                f"file name in directory {info.orig_filename!r} and header {name!r} differ"
            )
        start = info.header_offset + _LOCAL_HEADER.size + name_length + extra_length
        if start + info.compress_size > _data_end(archive, info):
            raise zipfile.BadZipFile("overlapped entries")
        handle.seek(start)
        left = info.compress_size
        while left:
            raw = handle.read(min(_INPUT_BYTES, left))
            if not raw:
                raise zipfile.BadZipFile("truncated member data")
            left -= len(raw)
            yield raw


def _data_end(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> int:
    """Where the member's data must end: at the next member's header or the central directory."""
    starts = _header_offsets.get(archive)
    if starts is None:  # sorted once per archive: the package scan asks for every member
        starts = _header_offsets[archive] = sorted(
            {other.header_offset for other in archive.infolist()}
        )
    later = bisect.bisect_right(starts, info.header_offset)
    return starts[later] if later < len(starts) else archive.start_dir


_header_offsets: weakref.WeakKeyDictionary[zipfile.ZipFile, list[int]] = weakref.WeakKeyDictionary()
