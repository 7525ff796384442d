"""The forked reader child: reads a workbook's sheets with its address space capped, and hands
each over to the parent through the spool (or the pipe); its errors come back as the same objects.

The Rust reader can abort the whole process instead of raising, so it never runs in svcqa's own
process on the fast path: a file that kills the child ends in a one-line ``reader-died`` error.
"""

from __future__ import annotations

import contextlib
import faulthandler
import os
import resource
import signal
import tempfile
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from svcqa.errors import InputError, SvcqaError
from svcqa.ingest.fast.spool import SPOOL_PREFIX, remove_orphaned_spools, spool_root
from svcqa.ingest.raw import RawSheet
from svcqa.runtime.testhooks import pause_point

if TYPE_CHECKING:
    from svcqa.ingest.fast.workbook import Workbook

OUT_OF_MEMORY = 3  # the reader child's exit code after a MemoryError


class ReaderChild:
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
        root = spool_root(book.spool_dir)
        remove_orphaned_spools(root)
        self.spool = tempfile.TemporaryDirectory(prefix=f"{SPOOL_PREFIX}{os.getpid()}-", dir=root)
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
