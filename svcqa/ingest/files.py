"""The month's input files: folders expanded, lock files skipped, each file hashed and sniffed.

``sniff`` decides by content, not by name, whether a file is a workbook or a CSV, and refuses
what is neither (or is unsafe, see ``safety``) with a stable code before any reader opens it.
"""

from __future__ import annotations

import hashlib
import zipfile
from collections.abc import Sequence
from pathlib import Path

from svcqa.errors import InputError
from svcqa.ingest.safety.limits import Limits, check_file_size
from svcqa.ingest.safety.package import (
    OLE2_MAGIC,
    ZIP_MAGIC,
    check_xml_prologs,
    check_zip_members,
    ole_encrypted,
    package_kind,
    truncated,
    xls_password,
)
from svcqa.models import Finding, SourceFile

WORKBOOK_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".ods"}
CSV_SUFFIXES = {".csv", ".txt", ".tsv"}


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
        legacy = xls_password(path)
        if legacy is not None or ole_encrypted(path):
            how = f" (an Excel 97-2003 file with a password to open: {legacy})" if legacy else ""
            raise InputError(
                f"the workbook is encrypted / password-protected{how}; open it in Excel or WPS, "
                "remove the password (File > Info > Protect Workbook) and save a copy",
                file=path.name,
                code="encrypted",
            )
        check_suffix(path, "an Excel 97-2003 workbook", (".xls",))
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


def check_suffix(path: Path, kind: str, suffixes: tuple[str, ...]) -> None:
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


def _check_package(path: Path, limits: Limits) -> None:
    """Refuse unsafe or mislabelled packages from the zip directory and the XML parts' heads
    (cheap); the full scan of the parts runs beside the reader (``scan_package``)."""
    check_zip_members(path, limits)
    try:
        with zipfile.ZipFile(path) as archive:
            if package_kind(path, archive, limits) == "ooxml":
                check_suffix(path, "an Excel .xlsx/.xlsm workbook", (".xlsx", ".xlsm"))
            else:
                check_suffix(path, "an OpenDocument spreadsheet", (".ods",))
            check_xml_prologs(path, archive)
    except zipfile.BadZipFile as exc:
        raise truncated(path, exc) from None
