"""Writing outputs safely: atomic replacement, text that never becomes a formula, safe file names.

Every file svcqa writes goes through ``atomic_write``: a temporary file in the same folder,
flushed and fsynced, then renamed over the target, so a killed run never leaves a truncated
file where a good one was. Files that belong together (a month's scorecard and rejects) are
written inside ``replaced_together``, which renames them all only once every one is written.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

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
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
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
            prefix=f".{target.stem}.", suffix=target.suffix, dir=target.parent
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


_UNSAFE_NAME = re.compile(r"[^\w\-. ()]+", re.UNICODE)
_RESERVED = {
    "CON",
    "PRN",
    "AUX",
    "NUL",
    *(f"COM{i}" for i in range(1, 10)),
    *(f"LPT{i}" for i in range(1, 10)),
}


def safe_filename(name: str, max_length: int = 60) -> str:
    """A file-name stem for a branch name: readable, inside the folder, distinct per name.

    Path separators, dots-only names, reserved device names and over-long names are replaced;
    a short hash of the original name is appended whenever the slug differs from it, so two
    names that differ only in case, width or punctuation never collide.
    """
    original = name
    slug = unicodedata.normalize("NFKC", name)
    slug = _UNSAFE_NAME.sub("_", slug).strip(" ._")
    slug = re.sub(r"_+", "_", slug)[:max_length].strip(" ._")
    if not slug or slug.upper().split(".")[0] in _RESERVED:
        slug = f"branch_{slug}" if slug else "branch"
    if slug != original or slug != slug.lower():  # case-insensitive file systems
        slug = f"{slug}-{hashlib.sha1(original.encode('utf-8')).hexdigest()[:8]}"
    return slug
