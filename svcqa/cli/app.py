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


def print_json(document: Any) -> None:
    """Print exactly the library's document on stdout, nothing else."""
    sys.stdout.write(json.dumps(document, ensure_ascii=False, indent=2, default=str) + "\n")


def print_records_csv(records: list[dict[str, Any]]) -> None:
    """Records as CSV on stdout (lists joined by commas), formula-like text neutralised."""
    import csv

    from svcqa import csv_safe

    if not records:
        return
    writer = csv.writer(sys.stdout)
    writer.writerow(list(records[0]))
    for record in records:
        writer.writerow(
            [
                csv_safe(",".join(map(str, v)) if isinstance(v, list) else ("" if v is None else v))
                for v in record.values()
            ]
        )


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
            sys.stderr.write(f"svcqa: error: {exc}\n")
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
        sys.stderr.write(f"svcqa: {record.getMessage()}\n")
        sys.stderr.flush()


def _show_library_notices() -> None:
    """The library logs what a user should know while a run goes on (waiting for another run's
    lock); print those as ``svcqa: ...`` lines on stderr, like the errors."""
    logger = logging.getLogger("svcqa")
    if not logger.handlers:
        logger.addHandler(_ToStderr())
        logger.setLevel(logging.INFO)
        logger.propagate = False
