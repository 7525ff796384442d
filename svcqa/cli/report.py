"""``svcqa report``: per-branch reports of a stored month."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from svcqa.cli.app import app, handles_errors, stderr_console, stdout_console
from svcqa.cli.options import Branch, Db, LangOption, StoredMonth, out_help
from svcqa.errors import UsageError


@app.command("report")
@handles_errors
def report_command(
    branch: Branch = None,
    all_branches: Annotated[
        bool,
        typer.Option(
            "--all", help="Write a report for every branch of the month, plus index.html."
        ),
    ] = False,
    month: StoredMonth = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help=out_help("reports/"))] = None,
    formats: Annotated[
        str,
        typer.Option("--format", "-f", help="Report files to write: html, xlsx or html,xlsx."),
    ] = "html,xlsx",
    db: Db = None,
    lang: LangOption = None,
) -> None:
    """Write per-branch reports (HTML and XLSX) for a month stored in the history store.

    Each report shows the branch's total, rank, grade and fee coefficient with the change against
    the month before, every KPI with its thresholds and lost points, charts, peer comparison, hot
    complaint categories, and the input rows behind every lost point (file, sheet, Excel row).
    --all also writes index.html, a ranked table linking to every report.

    Example:  svcqa report --all --month 2026-10 --db svcqa.db
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from svcqa import Month, parse_formats, write_reports

    if (branch is None) == (not all_branches):
        raise UsageError("give either --branch NAME or --all")
    chosen = parse_formats(formats)
    with Progress(
        TextColumn("reports"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=stderr_console(),
        transient=True,
        disable=not (all_branches and sys.stderr.isatty()),
    ) as bar:
        task = bar.add_task("reports", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        run = write_reports(
            db,
            month=Month.parse(month) if month else None,
            branch=branch,
            out_dir=out,
            formats=chosen,
            lang=lang.value if lang else None,
            progress=progress,
        )
    console = stdout_console()
    if all_branches:
        console.print(
            f"{run.month}: {len(run.branches)} branch reports ({', '.join(chosen)}) in {run.out_dir}/ (index.html)",
            markup=False,
        )
    else:
        for path in run.paths:
            console.print(str(path), markup=False)
