"""``svcqa rectify``, ``rectify collect`` and ``rectify status``: the rectification loop."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from svcqa.cli.app import app, handles_errors, print_json, say, stdout_console
from svcqa.cli.options import (
    Db,
    LangOption,
    StoredMonth,
    TableFormat,
    TableFormatOption,
    month_text,
    out_help,
)
from svcqa.errors import UsageError
from svcqa.settings import Settings

# The group's --help is rectify_command's docstring.
rectify_app = typer.Typer(no_args_is_help=False, rich_markup_mode=None)
app.add_typer(rectify_app, name="rectify")


@rectify_app.callback(invoke_without_command=True)
@handles_errors
def rectify_command(
    ctx: typer.Context,
    month: StoredMonth = None,
    branch: Annotated[
        str | None,
        typer.Option(
            "--branch",
            "-b",
            help="Write the form of this branch only (name as written in the exports).",
        ),
    ] = None,
    all_required: Annotated[
        bool,
        typer.Option(
            "--all-required", help="Write a form for every branch that must rectify (the default)."
        ),
    ] = False,
    out: Annotated[Path | None, typer.Option("--out", "-o", help=out_help("rectify/"))] = None,
    formats: Annotated[
        str,
        typer.Option(
            "--format", "-f", help="Form files to write: xlsx, html, docx, comma separated."
        ),
    ] = "xlsx,html,docx",
    db: Db = None,
    lang: LangOption = None,
) -> None:
    """Write rectification report forms (整改报告) for the branches that must rectify, pre-filled.

    Without --branch, writes a form for every branch ranked last or graded failing in the month
    and says which and why. Each form has the header (score, rank of N, grade, months last in a
    row), the KPIs' lost points, last period's collected measures and whether each KPI moved,
    the main problems (KPIs that lost most, complaint hot spots, drops on last month) and one
    plan row per losing KPI; the branch fills in the yellow cells and sends the XLSX back for
    `svcqa rectify collect`. `svcqa rectify status` shows what came back.

    Example:  svcqa rectify --month 2026-10 --db svcqa.db --out svcqa-out/2026-10/rectify
    """
    if ctx.invoked_subcommand is not None:
        return
    from svcqa import Month, issue_forms, parse_form_formats

    if branch is not None and all_required:
        raise UsageError("give either --branch NAME or --all-required, not both")
    run = issue_forms(
        db,
        month=Month.parse(month) if month else None,
        branch=branch,
        out_dir=out,
        formats=parse_form_formats(formats),
        lang=lang.value if lang else None,
    )
    console = stdout_console()
    if not run.forms:
        console.print(
            f"{run.month}: no branch must rectify (none ranked last or graded failing); no forms written",
            markup=False,
        )
        return
    console.print(
        f"{run.month}: {len(run.forms)} rectification form(s) in {run.out_dir}/", markup=False
    )
    for form in run.forms:
        console.print(f"  {form.branch}: {form.reason_text}", markup=False)
        for path in form.paths:
            console.print(f"    {path}", markup=False)


@rectify_app.command("collect")
@handles_errors
def rectify_collect_command(
    paths: Annotated[
        list[Path],
        typer.Argument(help="Filled-in form workbooks (.xlsx) as the branches sent them back."),
    ],
    db: Db = None,
    fmt: TableFormatOption = TableFormat.table,
) -> None:
    """Read filled-in forms back, check them, and record their measures in the history store.

    Each plan row needs a measure, an owner and a deadline (a date after the assessed month);
    target values must be numbers; nothing outside the yellow input cells may change. A form
    with any problem records nothing and each problem is printed with file, sheet, cell and
    reason (exit code 1); the valid forms are recorded, replacing an earlier return of the
    same branch and month.

    Example:  svcqa rectify collect returned/*.xlsx --db svcqa.db
    """
    from svcqa import collect_forms

    run = collect_forms(db, paths, limits=Settings.from_env().limits)
    if fmt == TableFormat.json:
        print_json(run.as_dict())
    else:
        console = stdout_console()
        for form in run.recorded:
            console.print(
                f"recorded {form.month} {form.branch_key}: {len(form.measures)} measure(s) from {form.source_file}",
                markup=False,
            )
        for problem in run.problems:
            say(f"svcqa: {problem.message}")
        console.print(
            f"{len(run.recorded)} of {run.checked} form(s) recorded; {len(run.problems)} problem(s)",
            markup=False,
        )
    if not run.ok:
        raise typer.Exit(1)


@rectify_app.command("status")
@handles_errors
def rectify_status_command(
    month: Annotated[
        str | None,
        typer.Option(
            "--month",
            "-m",
            parser=month_text,
            help="Only forms of this month, YYYY-MM (default: every month).",
        ),
    ] = None,
    db: Db = None,
    fmt: TableFormatOption = TableFormat.table,
) -> None:
    """Show which forms were issued, which came back, and which measures are past their deadline.

    Example:  svcqa rectify status --month 2026-10 --db svcqa.db
    """
    from svcqa import Month, form_status

    records = form_status(db, month=Month.parse(month) if month else None)
    if fmt == TableFormat.json:
        print_json(records)
        return
    console = stdout_console()
    if not records:
        console.print(
            "no rectification forms issued" + (f" for {month}" if month else ""), markup=False
        )
        return
    _print_status(console, records)


def _print_status(console: Console, records: list[dict[str, Any]]) -> None:
    from rich.table import Table

    table = Table(title="rectification forms", show_header=True, header_style="bold")
    for header in ("month", "branch", "why", "issued", "due", "returned", "measures", "overdue"):
        table.add_column(header, justify="right" if header in ("measures", "overdue") else "left")
    for r in records:
        overdue = "OVERDUE" if r["form_overdue"] else "no"
        back = r["collected_at"][:10] if r["returned"] else overdue
        table.add_row(
            r["month"],
            r["branch"],
            r["reason_text"],
            r["issued_at"][:10],
            r["due_date"],
            back,
            str(r["measures"]),
            str(len(r["overdue_measures"])),
        )
    console.print(table)
    for r in records:
        for m in r["overdue_measures"]:
            console.print(
                f"overdue: {r['month']} {r['branch']} row {m['row']} ({m['kpi_id'] or '-'}): {m['measure']} — {m['owner']}, due {m['deadline']}",
                markup=False,
            )
