"""``svcqa check``: account for every row of the month's exports without scoring."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from svcqa.cli.app import app, handles_errors, print_json, stderr_console, stdout_console
from svcqa.cli.options import Aliases, InputMonth, TableFormat, TableFormatOption, out_help
from svcqa.settings import Settings


@app.command()
@handles_errors
def check(
    paths: Annotated[
        list[Path],
        typer.Argument(help="Workbooks, CSV files or folders holding the month's exports."),
    ],
    month: InputMonth = None,
    out: Annotated[
        Path | None, typer.Option("--out", help=out_help().replace("Output", "Rejects"))
    ] = None,
    strict: Annotated[
        bool, typer.Option("--strict", help="Exit 1 when any row was rejected.")
    ] = False,
    fmt: TableFormatOption = TableFormat.table,
    aliases: Aliases = None,
) -> None:
    """Read the month's exports and report how every row was accounted for, without scoring.

    Prints per table the rows read, used, excluded (outside the month) and rejected with the top
    reasons, the month and whether it was inferred, notes, and where the rejects file went.
    Input files are only read, never modified.

    Example:  svcqa check exports/2026-10.xlsx --month 2026-10 --strict
    """
    from svcqa import Month, run_check

    environment = Settings.from_env()
    _data, document = run_check(
        paths,
        month=Month.parse(month) if month else None,
        out_dir=out,
        aliases_file=aliases,
        limits=environment.limits,
        spool_dir=environment.spool_dir,
        reader=environment.reader,
    )
    if fmt == TableFormat.json:
        print_json(document)
    else:
        _print_check(stdout_console(), document)
    if strict and document["rows_rejected"]:
        stderr_console().print(
            f"svcqa: {document['rows_rejected']} row(s) rejected (--strict)", markup=False
        )
        raise typer.Exit(1)


def _print_check(console: Console, document: dict[str, Any]) -> None:
    from rich.table import Table

    inferred = document["month_source"] == "inferred"
    source = "inferred from ticket dates" if inferred else "given with --month"
    console.print(f"Month {document['month']} ({source})", markup=False)
    table = Table(show_header=True, header_style="bold")
    for header in ("table", "rows", "used", "excluded", "rejected", "top reject reasons"):
        numeric = header in ("rows", "used", "excluded", "rejected")
        table.add_column(header, justify="right" if numeric else "left")
    for t in document["tables"]:
        reasons = ", ".join(f"{r['code']} x{r['rows']}" for r in t["top_rejects"]) or "-"
        counts = (str(t[key]) for key in ("rows", "used", "excluded", "rejected"))
        table.add_row(t["table"], *counts, reasons)
    console.print(table)
    for note in document["notes"]:
        console.print(f"note [{note['code']}]: {note['message']}", markup=False)
    for path in document["rejects_files"]:
        console.print(f"rejects: {path}", markup=False)
