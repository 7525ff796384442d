"""Writing outputs safely: atomic replacement, text that never becomes a formula, safe file names.

Every file svcqa writes goes through ``atomic_write``: a temporary file in the same folder,
flushed and fsynced, then renamed over the target, so a killed run never leaves a truncated
file where a good one was. Files that belong together (a month's scorecard and rejects) are
written inside ``replaced_together``, which renames them all only once every one is written.
"""

from __future__ import annotations

import csv
import hashlib
import os
import re
import socket
import stat
import tempfile
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import TextIO

from svcqa.errors import OutputError
from svcqa.runtime.testhooks import pause_point


def _umask_mode() -> int:
    """The mode a plainly created file gets (mkstemp makes 0600, too strict for shared reports)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


# OWASP CSV-injection guidance: cells starting with these become formulas / DDE in spreadsheets.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def _os_error(exc: BaseException) -> OSError | None:
    """The OSError behind ``exc``: writers wrap it (xlsxwriter raises FileCreateError(OSError)),
    and a full disk must still be a one-line OutputError, not a traceback."""
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        if isinstance(current, OSError):
            return current
        seen.append(current)
        wrapped = current.args[0] if current.args and isinstance(current.args[0], OSError) else None
        current = wrapped or current.__cause__  # not __context__: an unrelated bug stays a bug
    return None


# Temporary names carry their owner, so a later run can tell a dead run's leftovers from a live
# run's file in progress: ``.<target>.svcqa-<host>-<pid>.<random>.tmp`` (``atomic_write``) or
# ``.<stem>.svcqa-<host>-<pid>.<random><suffix>`` (``atomic_target``, for libraries that want the
# real extension). <host> is a short hash of the machine's name (folders can be shared).
_HOST = hashlib.sha1(socket.gethostname().encode("utf-8", "replace")).hexdigest()[:6]
_OWNED_TEMP = re.compile(
    r"^\..+\.svcqa-(?P<host>[0-9a-f]{6})-(?P<pid>[0-9]+)\.[a-z0-9_]{8}(?:\.[A-Za-z0-9]{1,8})?$"
)
# Before names carried their owner: the fixed outputs' temporary files (mkstemp's 8 characters).
_LEGACY_TEMP = re.compile(
    r"^\.(?:(?:scorecard|rejects)\.[a-z0-9_]{8}\.xlsx"
    r"|(?:scorecard\.json|scorecard\.csv|rejects\.csv|index\.html)\.[a-z0-9_]{8}\.tmp)$"
)
# A temporary name without an owner is removed only when this much older than the folder's
# "now" (no write of svcqa's takes that long); another machine's, only when a day old.
_NO_OWNER_AGE = 600.0
_OTHER_HOST_AGE = 86400.0


def _temp_prefix(stem: str) -> str:
    return f".{stem}.svcqa-{_HOST}-{os.getpid()}."  # the pid read now: a forked child has its own


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # EPERM: alive, another user's
        return True
    return True


def _folder_now(folder: str | Path) -> float | None:
    """The folder's file system clock now (the time stamp of a file created and removed here):
    file ages are measured on the clock that stamped them (a network share's), never against the
    business clock (``svcqa.clock``). None when the folder is not writable."""
    try:
        fd, name = tempfile.mkstemp(prefix=_temp_prefix("probe"), dir=folder)
    except OSError:
        return None
    try:
        return os.fstat(fd).st_mtime
    finally:
        os.close(fd)
        os.unlink(name)


def _is_stale_temp(entry: os.DirEntry[str], now: float) -> bool:
    """Whether ``entry`` is svcqa's own temporary file and certainly no live run's."""
    owned = _OWNED_TEMP.match(entry.name)
    if owned is None and _LEGACY_TEMP.match(entry.name) is None:
        return False
    try:
        info = entry.stat(follow_symlinks=False)
    except OSError:
        return False
    if not stat.S_ISREG(info.st_mode):
        return False
    if owned is None:  # written before names carried their owner
        return info.st_mtime < now - _NO_OWNER_AGE
    pid = int(owned["pid"])
    if owned["host"] == _HOST:
        return pid != os.getpid() and not _pid_alive(pid)
    return info.st_mtime < now - _OTHER_HOST_AGE  # a shared folder: another machine's run


def remove_stale_temps(folder: str | Path) -> list[Path]:
    """Remove the temporary files killed runs left in ``folder`` (a run killed while writing its
    outputs leaves ``.scorecard.*.xlsx`` and the like): only svcqa's own temporary names, only in
    this folder (not below it), only when the owner pid is dead on this machine; a name without
    an owner (written before names carried one) only when over 10 minutes old, another machine's
    only when over a day old. The caller writes into ``folder`` (and holds its lock where it has
    one). Returns what was removed."""
    removed: list[Path] = []
    now = _folder_now(folder)
    if now is None:  # no folder yet, or not ours to write: nothing to tidy
        return removed
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        if _is_stale_temp(entry, now):
            try:
                os.unlink(entry.path)
            except OSError:
                continue
            removed.append(Path(entry.path))
    return removed


# The (temporary file, target) renames ``replaced_together`` holds back until its block ends.
_HELD_RENAMES: ContextVar[list[tuple[Path, Path]] | None] = ContextVar("held_renames", default=None)


@contextmanager
def replaced_together() -> Iterator[None]:
    """Files written atomically in this block (this thread) replace their targets only at its
    end, all together, and none does when the block fails: a run that fails on its last
    output leaves the folder's previous set whole, not new files beside old ones."""
    held: list[tuple[Path, Path]] = []
    token = _HELD_RENAMES.set(held)
    try:
        yield
    except BaseException:
        for tmp, _target in held:
            tmp.unlink(missing_ok=True)
        raise
    finally:
        _HELD_RENAMES.reset(token)
    for done, (tmp, target) in enumerate(held):
        try:
            os.replace(tmp, target)
        except OSError as exc:  # renames in one folder hardly fail; if one does, say so and tidy up
            for left, _target in held[done:]:
                left.unlink(missing_ok=True)
            raise OutputError(f"cannot write {target}: {exc.strerror or exc}") from exc


def _replace(tmp: Path, target: Path) -> None:
    held = _HELD_RENAMES.get()
    if held is None:
        os.replace(tmp, target)
    else:
        held.append((tmp, target))


@contextmanager
def atomic_write(path: str | Path, mode: str = "wb", encoding: str | None = None) -> Iterator:
    """Open a temporary sibling of ``path`` for writing; rename it into place on success."""
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(
            prefix=_temp_prefix(target.name), suffix=".tmp", dir=target.parent
        )
    except OSError as exc:
        raise OutputError(
            f"cannot write {target}: {exc.strerror or exc}. Check the folder exists and is writable."
        ) from exc
    tmp = Path(tmp_name)
    try:
        with os.fdopen(
            fd, mode, encoding=encoding, newline="" if "b" not in mode else None
        ) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, _umask_mode())
        pause_point("output-replace")
        _replace(tmp, target)
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        cause = _os_error(exc)
        if cause is None:
            raise
        raise OutputError(f"cannot write {target}: {cause.strerror or cause}") from exc


@contextmanager
def atomic_target(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path for libraries that insist on writing to a file name themselves.

    The temporary file is renamed over ``path`` when the block succeeds.
    """
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(
            prefix=_temp_prefix(target.stem), suffix=target.suffix, dir=target.parent
        )
        os.close(fd)
    except OSError as exc:
        raise OutputError(
            f"cannot write {target}: {exc.strerror or exc}. Check the folder exists and is writable."
        ) from exc
    tmp = Path(tmp_name)
    try:
        yield tmp
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.chmod(tmp, _umask_mode())
        pause_point("output-replace")
        _replace(tmp, target)
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        cause = _os_error(exc)
        if cause is None:
            raise
        raise OutputError(f"cannot write {target}: {cause.strerror or cause}") from exc


def write_text_atomic(path: str | Path, text: str) -> Path:
    with atomic_write(path, "w", encoding="utf-8") as handle:
        handle.write(text)
    return Path(path)


def is_formula_like(text: str) -> bool:
    return bool(text) and text.startswith(FORMULA_PREFIXES)


def csv_safe(value: object) -> object:
    """Neutralise a CSV cell that a spreadsheet would run as a formula (prefix a quote, OWASP)."""
    if isinstance(value, str) and is_formula_like(value):
        return "'" + value
    return value


def write_csv(
    handle: TextIO,
    header: Sequence[object],
    rows: Iterable[Sequence[object]],
    *,
    lineterminator: str = "\r\n",
) -> None:
    """The one way svcqa writes CSV, to a file or to stdout: the header and every cell go through
    ``csv_safe`` (a KPI label or a branch name can start with ``=``), ``None`` is an empty cell,
    lists are joined by commas. Numbers stay numbers (a negative total is not a formula)."""
    writer = csv.writer(handle, lineterminator=lineterminator)
    writer.writerow([_csv_cell(v) for v in header])
    writer.writerows([_csv_cell(v) for v in row] for row in rows)


def _csv_cell(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        value = ",".join(map(str, value))
    return csv_safe(value)


# Characters XML 1.0 cannot carry (C0 controls but tab, LF, CR; lone surrogates; U+FFFE/FFFF):
# lxml (python-docx) refuses them and Excel rejects a part holding them.
# A str.translate table (the writers' hot paths call it per cell).
XML_INCOMPATIBLE: dict[int, None] = dict.fromkeys(
    [*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0xD800, 0xE000), 0xFFFE, 0xFFFF]
)


def xml_safe(text: str) -> str:
    """``text`` without the characters XML 1.0 forbids: what the DOCX and XLSX writers put in a
    document (a branch name carrying ESC must not stop a form half-way)."""
    return text.translate(XML_INCOMPATIBLE)


_UNSAFE_NAME = re.compile(r"[^\w\-. ()]+", re.UNICODE)
_RESERVED = {
    "CON",
    "PRN",
    "AUX",
    "NUL",
    *(f"COM{i}" for i in range(1, 10)),
    *(f"LPT{i}" for i in range(1, 10)),
}


# Stems of the files svcqa itself writes into a folder that may also hold branch files (``--out``
# can point score, report and rectify at one folder): index.html, scorecard.*, rejects.*, and
# a form's ``<stem>-rectify.*``. A branch's file never takes one of these names.
OWN_STEMS = frozenset({"index", "scorecard", "rejects"})
OWN_STEM_SUFFIX = "-rectify"


def safe_filename(name: str, max_length: int = 60) -> str:
    """A file-name stem for a branch name: readable, inside the folder, distinct per name.

    Path separators, dots-only names, reserved device names, the names of svcqa's own files
    (``OWN_STEMS``: a branch named ``index`` must not overwrite index.html) and over-long names
    are replaced;
    a short hash of the original name is appended whenever the slug differs from it, so two
    names that differ only in case, width or punctuation never collide.
    """
    original = name
    slug = unicodedata.normalize("NFKC", name)
    slug = _UNSAFE_NAME.sub("_", slug).strip(" ._")
    slug = re.sub(r"_+", "_", slug)[:max_length].strip(" ._")
    lower = slug.lower()
    if (
        not slug
        or slug.upper().split(".")[0] in _RESERVED
        or lower.split(".")[0] in OWN_STEMS
        or lower.endswith(OWN_STEM_SUFFIX)
    ):
        slug = f"branch_{slug}" if slug else "branch"
    if slug != original or slug != slug.lower():  # case-insensitive file systems
        slug = f"{slug}-{hashlib.sha1(original.encode('utf-8')).hexdigest()[:8]}"
    return slug
