"""``svcqa check``: account for every row of the month's exports without scoring."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from svcqa.cli.app import (
    app,
    handles_errors,
    print_json,
    printable,
    say,
    stdout_console,
)
from svcqa.cli.options import (
    Aliases,
    InputMonth,
    LangOption,
    RubricRef,
    TableFormat,
    TableFormatOption,
    out_help,
)
from svcqa.settings import Settings


@app.command()
@handles_errors
def check(
    paths: Annotated[
        list[Path],
        typer.Argument(help="Workbooks, CSV files or folders holding the month's exports."),
    ],
    month: InputMonth = None,
    rubric: RubricRef = None,
    out: Annotated[
        Path | None, typer.Option("--out", help=out_help().replace("Output", "Rejects"))
    ] = None,
    strict: Annotated[
        bool, typer.Option("--strict", help="Exit 1 when any row was rejected.")
    ] = False,
    fmt: TableFormatOption = TableFormat.table,
    aliases: Aliases = None,
    lang: LangOption = None,
) -> None:
    """Read the month's exports as a rubric needs them and report how every row was accounted for,
    without scoring.

    Checks exactly the tables and columns the rubric (--rubric, default the default rubric)
    needs, with its declared columns and aliases. Prints which file and sheet was read as each
    table and why, the header each column matched (or that it is missing) and the headers
    nothing used; per table the rows read, used, excluded (outside the month, counted per month)
    and rejected with the top reasons; the month and whether it was inferred; notes; where the
    rejects went (rejects.xlsx/csv; rows outside the month in excluded.csv and rejects.xlsx's
    "excluded" sheet). Input files are only read, never modified.

    Example:  svcqa check exports/2026-10.xlsx --month 2026-10 --rubric my-rubric.toml --strict
    """
    from svcqa import Month, excluded_summary, run_check

    environment = Settings.from_env()
    run = run_check(
        paths,
        month=Month.parse(month) if month else None,
        out_dir=out,
        rubric=rubric,
        aliases_file=aliases,
        limits=environment.limits,
        spool_dir=environment.spool_dir,
        reader=environment.reader,
        lang=lang.value if lang else None,
    )
    document = run.document
    if fmt == TableFormat.json:
        print_json(document)
    else:
        console = stdout_console()
        _print_mapping(console, document["mapping"], run.lang)
        _print_check(console, document, excluded_summary(run.data))
    if strict and document["rows_rejected"]:
        say(f"svcqa: {document['rows_rejected']} row(s) rejected (--strict)")
        raise typer.Exit(1)


def _print_mapping(console: Console, mapping: list[dict[str, Any]], lang: str = "zh") -> None:
    """Per table read: file and sheet, why, each column's header (or missing), unused headers."""
    from svcqa import terminal_labels

    named = terminal_labels(lang)["table_named"]
    for table in mapping:
        role = "" if table["needed"] else " (read when present; the rubric does not require it)"
        for sheet in table["sheets"]:
            where = (
                f"{sheet['file']}, sheet {sheet['sheet']!r}" if sheet["sheet"] else sheet["file"]
            )
            console.print(
                f"{named.format(table=table['table'], label=table['label'])}{role}: {where}, header row "
                f"{sheet['header_row']} — chosen because {sheet['why']}",
                markup=False,
                soft_wrap=True,
            )
            for column in sheet["columns"]:
                if column["header"] is not None:
                    found = repr(column["header"]) + ("" if column["used"] else " (not used)")
                elif column["required"]:
                    found = "MISSING"
                elif column["used"]:
                    found = "missing: the rubric reads it when present (no data for its KPIs)"
                else:
                    found = "- (not in the sheet; not used)"
                console.print(f"  {column['column']:<18} <- {found}", markup=False, soft_wrap=True)
            unused = ", ".join(repr(h) for h in sheet["unused_headers"]) or "none"
            console.print(f"  headers not used: {unused}", markup=False, soft_wrap=True)


def _print_check(console: Console, document: dict[str, Any], excluded: str | None) -> None:
    from rich.table import Table

    inferred = document["month_source"] == "inferred"
    source = "inferred from the rows' dates" if inferred else "given with --month"
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
    if excluded:
        console.print(excluded, markup=False, soft_wrap=True)
    for note in document["notes"]:
        console.print(printable(f"note [{note['code']}]: {note['message']}"), markup=False)
    for path in document["rejects_files"]:
        kind = "excluded rows" if Path(path).name.startswith("excluded") else "rejects"
        console.print(f"{kind}: {path}", markup=False)
