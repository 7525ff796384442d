"""``svcqa period``: a quarter, half-year or year scorecard from the stored months."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from svcqa.cli.app import app, cell, handles_errors, print_json, stderr_console, stdout_console
from svcqa.cli.options import (
    Aliases,
    Db,
    LangOption,
    RubricRef,
    TableFormat,
    TableFormatOption,
    month_text,
    out_help,
)


def _print_table(card: Any, lang: str) -> None:
    from rich.table import Table

    from svcqa import period_header, period_row_cells

    table = Table(title=f"{card.first}..{card.last} · {card.rule['text']}", title_justify="left")
    columns = period_header(card, lang)
    for i, name in enumerate(columns):
        table.add_column(
            cell(name), justify="left" if i in (1, len(columns) - 1) else "right", no_wrap=i == 1
        )
    for row in card.rows:
        values = period_row_cells(card, row, lang)
        table.add_row(
            *(cell("-" if v is None else f"{v:.2f}" if isinstance(v, float) else v) for v in values)
        )
    stdout_console().print(table)


@app.command("period")
@handles_errors
def period_command(
    first: Annotated[
        str, typer.Option("--from", parser=month_text, help="First month of the period, YYYY-MM.")
    ],
    last: Annotated[
        str, typer.Option("--to", parser=month_text, help="Last month of the period, YYYY-MM.")
    ],
    rubric: RubricRef = None,
    survey: Annotated[
        Path | None,
        typer.Option(
            "--survey",
            help="The survey file (branch, score) when the rubric's [period] rule weighs one in.",
        ),
    ] = None,
    aliases: Aliases = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help=out_help("YYYY-MM..YYYY-MM/period/")),
    ] = None,
    db: Db = None,
    fmt: TableFormatOption = TableFormat.table,
    lang: LangOption = None,
) -> None:
    """Score a quarter, half-year or year from the stored months, by the rubric's [period] rule.

    Per branch: each month's total (months in a grace period or missing are listed, never counted
    as zero), the mean of the assessed months and, when the rule weighs in a survey (Unicom:
    satisfaction 40 %, monthly 60 %), the survey score from --survey; then the period score
    (rounded once, half up, to the hundredth), rank, grade (the rubric's bands) and flags. The
    rubric defaults to the one the period's last stored month was scored under. Writes
    period.xlsx and period.html; the history store is only read.

    Example:  svcqa period --from 2026-07 --to 2026-12 --rubric unicom-branch-monthly --survey 满意度.xlsx
    """
    from svcqa import Month, Settings, run_period

    settings = Settings.from_env()
    run = run_period(
        first=Month.parse(first),
        last=Month.parse(last),
        rubric=rubric,
        survey=survey,
        db=db,
        out_dir=out,
        lang=lang.value if lang else None,
        aliases_file=aliases,
        limits=settings.limits,
        spool_dir=settings.spool_dir,
        reader=settings.reader,
    )
    for note in run.notes:
        stderr_console().print(f"svcqa: note: {note}", markup=False)
    for finding in run.scorecard.findings:
        stderr_console().print(f"svcqa: {finding.code}: {finding.message}", markup=False)
    if fmt is TableFormat.json:
        print_json(run.scorecard.document())
        return
    _print_table(run.shown or run.scorecard, run.lang)
    for key in ("period_xlsx", "period_html"):
        stdout_console().print(f"written: {run.outputs[key]}", markup=False)
