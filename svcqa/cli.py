"""The ``svcqa`` command line: parse options, call one library function, render, map errors.

No pandas and no scoring here. Exit codes: 0 success, 1 data or input the run cannot accept,
2 usage. Errors go to stderr on one line (``--debug`` shows the traceback).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
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
    return Console(highlight=False, soft_wrap=False, no_color=not sys.stdout.isatty())


def stderr_console() -> Console:
    return Console(stderr=True, highlight=False, no_color=not sys.stderr.isatty())


def print_json(document: Any) -> None:
    """Print exactly the library's document on stdout, nothing else."""
    sys.stdout.write(json.dumps(document, ensure_ascii=False, indent=2, default=str) + "\n")


def handles_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn ``SvcqaError`` into a one-line message on stderr and its exit code; no traceback."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except SvcqaError as exc:
            if _state["debug"]:
                raise
            stderr_console().print(f"svcqa: error: {exc}", markup=False)
            raise typer.Exit(exc.exit_code) from None

    return wrapper


def _version(value: bool) -> None:
    if value:
        typer.echo(f"svcqa {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    debug: bool = typer.Option(False, "--debug", help="Show the full traceback on errors."),
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version."),
) -> None:
    _state["debug"] = debug


def main() -> None:
    app()


if __name__ == "__main__":
    main()
