"""Every option and choice shared by several commands, declared once.

Commands annotate their parameters with these aliases (``db: Db = None``), so a help text, an
environment variable or the list of formats changes in one place. Choices are ``StrEnum``s:
Typer validates them and lists them in ``--help``; a wrong value is a usage error (exit 2).
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from svcqa import settings


class TableFormat(StrEnum):
    table = "table"
    json = "json"


class DataFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


class RubricFormat(StrEnum):
    table = "table"
    json = "json"
    toml = "toml"


class Lang(StrEnum):
    zh = "zh"
    en = "en"


def month_text(text: str | None) -> str | None:
    """Checks YYYY-MM at parse time (the command turns it into a Month); the message says the
    form expected."""
    if text is None:
        return None
    from svcqa import Month

    try:
        return str(Month.parse(text))
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


Db = Annotated[
    Path | None,
    typer.Option(
        "--db",
        envvar=settings.DB_ENV,
        show_envvar=False,
        help=f"History store (default ${settings.DB_ENV}, else ./{settings.DB_PATH}).",
    ),
]
StoredMonth = Annotated[
    str | None,
    typer.Option(
        "--month",
        "-m",
        parser=month_text,
        help="Stored month YYYY-MM (default: the latest stored month).",
    ),
]
InputMonth = Annotated[
    str | None,
    typer.Option(
        "--month",
        "-m",
        parser=month_text,
        help="The month, YYYY-MM (default: inferred from the ticket acceptance dates).",
    ),
]
Aliases = Annotated[
    Path | None,
    typer.Option(
        "--aliases",
        help="TOML file of extra header aliases ([aliases.tickets] ticket_id = [...]).",
    ),
]
RubricRef = Annotated[
    str | None,
    typer.Option(
        "--rubric",
        "-r",
        help=f"Preset id or path to a rubric .toml file (default {settings.RUBRIC}).",
    ),
]
LockTimeout = Annotated[
    float,
    typer.Option(
        "--lock-timeout",
        help="Seconds to wait for another run's lock on the history store and the output folder.",
    ),
]
Strict = Annotated[bool, typer.Option("--strict", help="Exit 1 when any input row is rejected.")]
Branch = Annotated[
    str | None,
    typer.Option(
        "--branch",
        "-b",
        help="The branch (name as written in the exports; spaces and full-width forms are ignored).",
    ),
]
LangOption = Annotated[
    Lang | None,
    typer.Option(
        "--lang",
        help="Language of the labels (default: the rubric's language; zh for the presets).",
    ),
]
TableFormatOption = Annotated[TableFormat, typer.Option("--format", "-f", help="What to print.")]
DataFormatOption = Annotated[DataFormat, typer.Option("--format", "-f", help="What to print.")]


def out_help(below: str = "") -> str:
    return f"Output folder (default ./{settings.OUT_ROOT}/YYYY-MM/{below})."
