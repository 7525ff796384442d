"""The Typer application, its consoles, and how library errors become exit codes.

Exit codes: 0 success, 1 data or input the run cannot accept, 2 usage. Errors go to stderr on
one line (``--debug`` shows the traceback); customer data never spills into a traceback.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Any

import typer
from rich.console import Console

from svcqa import __version__
from svcqa.errors import SvcqaError

app = typer.Typer(
    name="svcqa",
    help=(
        "Monthly service-quality scorecards for branches and after-sales providers.\n\n"
        "Ingest the month's tickets, complaints and attendance exports, score them with an "
        "operator rubric, grade and rank the branches, keep a history, and write reports and "
        "rectification forms.\n\n"
        "Example:  svcqa score sample_data/2026-10.xlsx"
    ),
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    add_completion=False,
    rich_markup_mode=None,
)

_state: dict[str, Any] = {"debug": False}


def stdout_console() -> Console:
    """Rich on a terminal, plain text (no colour codes) when piped or under cron."""
    tty = sys.stdout.isatty()
    # Piped or under cron there is no terminal width: use a wide one so tables are not truncated.
    return Console(highlight=False, soft_wrap=False, no_color=not tty, width=None if tty else 160)


def stderr_console() -> Console:
    return Console(stderr=True, highlight=False, no_color=not sys.stderr.isatty())


# C0 and C1 controls, DEL and the bidirectional overrides: a name carrying them would move the
# cursor, recolour or rewrite the terminal (ESC [ 2 J), or print text reversed.
_INVISIBLE = {c: f"\\x{c:02x}" for c in (*range(0x20), 0x7F, *range(0x80, 0xA0))} | {
    c: f"\\u{c:04x}" for c in (0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A))
}


def printable(text: object) -> str:
    """``text`` for the terminal: control characters shown as ``\\x1b``-style escapes, never
    sent raw (branch names and rubric labels are input data). Every name a table prints goes
    through this."""
    return str(text).translate(_INVISIBLE)


def say(message: object) -> None:
    """A message on stderr (an error, warning or notice), each of its lines escaped by
    ``printable``: the file, sheet and branch names in it are input data. Written plainly, so
    rich markup in a name (``[bold]``) stays text."""
    lines = str(message).split("\n")
    sys.stderr.write("\n".join(printable(line) for line in lines) + "\n")
    sys.stderr.flush()


def cell(text: object) -> Any:
    """A table cell of data text: escaped by ``printable`` and taken as plain text (a branch
    named ``[red]x`` is printed as written, not as rich markup)."""
    from rich.text import Text

    return Text(printable(text))


def print_json(document: Any) -> None:
    """Print exactly the library's document on stdout, nothing else."""
    sys.stdout.write(json.dumps(document, ensure_ascii=False, indent=2, default=str) + "\n")


def print_records_csv(records: list[dict[str, Any]]) -> None:
    """Records as CSV on stdout (lists joined by commas), through the library's one CSV writer:
    formula-like text neutralised, headers included."""
    if not records:
        return
    print_csv(list(records[0]), [list(record.values()) for record in records])


def print_csv(header: list[Any], rows: list[list[Any]]) -> None:
    """A table as CSV on stdout through ``svcqa.write_csv`` (the one escaping path every CSV
    svcqa writes takes, files and stdout alike)."""
    from svcqa import write_csv

    write_csv(sys.stdout, header, rows)


@contextmanager
def spinner(text: str) -> Iterator[Callable[[str], None]]:
    """A spinner on a terminal's stderr; the yielded function updates its text (a no-op when
    stderr is not a terminal)."""
    if not sys.stderr.isatty():
        yield lambda _message: None
        return
    with stderr_console().status(text, spinner="dots") as status:
        yield lambda message: status.update(message + "...")


def handles_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn ``SvcqaError`` into a one-line message on stderr and its exit code; no traceback."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except SvcqaError as exc:
            if _state["debug"]:
                raise
            # Plain write: one unwrapped line per reason, whatever the terminal width (cron mail, logs).
            say(f"svcqa: error: {exc}")
            raise typer.Exit(exc.exit_code) from None

    return wrapper


def _version(value: bool) -> None:
    if value:
        typer.echo(f"svcqa {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    debug: bool = typer.Option(False, "--debug", help="Show the full traceback on errors."),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version."
    ),
) -> None:
    _state["debug"] = debug
    _show_library_notices()


class _ToStderr(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        # sys.stderr as it is now: a test runner swaps it between invocations.
        say(f"svcqa: {record.getMessage()}")


def _show_library_notices() -> None:
    """The library logs what a user should know while a run goes on (waiting for another run's
    lock); print those as ``svcqa: ...`` lines on stderr, like the errors."""
    logger = logging.getLogger("svcqa")
    if not logger.handlers:
        logger.addHandler(_ToStderr())
        logger.setLevel(logging.INFO)
        logger.propagate = False
