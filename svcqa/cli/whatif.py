"""``svcqa whatif``: stored months re-scored under a variant rubric, with the fee impact."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from svcqa.cli.app import app, cell, handles_errors, print_json, say, stdout_console
from svcqa.cli.options import (
    Aliases,
    Db,
    LangOption,
    TableFormat,
    TableFormatOption,
    month_text,
    out_help,
)


def _number(value: Any, money: bool = False) -> str:
    """A figure as the terminal shows it: fees with cents and thousands separators, other
    numbers without trailing zeros (never rounded to six digits, as ``:g`` would)."""
    if value is None:
        return "-"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if money:
        return f"{value:,.2f}"
    return f"{value:.4f}".rstrip("0").rstrip(".")


def _arrow(before: Any, after: Any, money: bool = False) -> str:
    return f"{_number(before, money)} → {_number(after, money)}"


def _signed(value: float | int | None, money: bool = False) -> str:
    if value is None:
        return ""
    return ("+" if value >= 0 else "-") + _number(abs(value), money)


def _print_table(comparison: Any, lang: str = "zh") -> None:
    from rich.table import Table

    from svcqa import WHATIF_LABELS

    t = WHATIF_LABELS[lang]
    several = len(comparison.months) > 1
    table = Table(
        title=t["title"].format(
            active=", ".join(comparison.active_rubrics), variant=comparison.variant_rubric
        ),
        title_justify="left",
    )
    keys = ["month"] * several + ["branch", "total", "d_total", "rank", "d_rank", "grade", "coef"]
    fees = comparison.payout is not None
    keys += ["fee", "d_fee"] * fees
    for key in keys:
        table.add_column(t[key], justify="left" if key in ("month", "branch") else "right")
    for b in comparison.branches:
        row = [str(b.month)] * several + [
            cell(b.branch),
            _arrow(b.active.total, b.variant.total),
            _signed(b.total_change),
            _arrow(b.active.rank, b.variant.rank),
            _signed(b.rank_change),
            _arrow(b.active.grade, b.variant.grade),
            _arrow(b.active.coefficient, b.variant.coefficient),
        ]
        if fees:
            row += [_arrow(b.active.fee, b.variant.fee, True), _signed(b.fee_change, True)]
        table.add_row(*row)
    console = stdout_console()
    console.print(table)
    if fees:
        p = comparison.payout
        figures = {"active": f"{p['active']:,.2f}", "variant": f"{p['variant']:,.2f}"}
        console.print(
            t["payout_line"].format(**figures, change=f"{p['change']:+,.2f}"), markup=False
        )


@app.command("whatif")
@handles_errors
def whatif_command(
    rubric: Annotated[
        str,
        typer.Option(
            "--rubric", "-r", help="The variant rubric: preset id or path to a rubric .toml file."
        ),
    ],
    files: Annotated[
        list[Path] | None,
        typer.Argument(
            help="The month's input files (default: the files the store recorded, checked by sha256)."
        ),
    ] = None,
    month: Annotated[
        str | None,
        typer.Option("--month", "-m", parser=month_text, help="A stored month, YYYY-MM."),
    ] = None,
    first: Annotated[
        str | None,
        typer.Option("--from", parser=month_text, help="First stored month of a range, YYYY-MM."),
    ] = None,
    last: Annotated[
        str | None,
        typer.Option("--to", parser=month_text, help="Last stored month of a range, YYYY-MM."),
    ] = None,
    against: Annotated[
        str,
        typer.Option(
            "--against",
            help="Compare with: 'active' (the rubric each month was stored under) or a rubric, re-scored too.",
        ),
    ] = "active",
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help=out_help("whatif/ (YYYY-MM..YYYY-MM/ for a range)")),
    ] = None,
    db: Db = None,
    aliases: Aliases = None,
    fmt: TableFormatOption = TableFormat.table,
    lang: LangOption = None,
) -> None:
    """Re-score stored months under a variant rubric and show who gains, who loses, and the fees.

    Each month is re-scored from the input files the store recorded (checked unchanged by their
    sha256; or the files given) with the stored history as context, and compared per branch
    (total, rank, grade, coefficient; fee = base fee x coefficient when the rubric declares
    [columns.branches.base_fee]) with the rubric the month was stored under, or with --against
    RUBRIC re-scored the same way. Biggest movers first; whatif.xlsx has the summary and the KPI
    points of both rubrics side by side. The history store is never written.

    Example:  svcqa whatif --month 2026-10 --rubric my-rubric.toml --db svcqa.db
    """
    from svcqa import Month, Settings, run_whatif

    settings = Settings.from_env()
    run = run_whatif(
        rubric=rubric,
        month=Month.parse(month) if month else None,
        first=Month.parse(first) if first else None,
        last=Month.parse(last) if last else None,
        against=against,
        paths=files or [],
        db=db,
        out_dir=out,
        lang=lang.value if lang else None,
        limits=settings.limits,
        spool_dir=settings.spool_dir,
        reader=settings.reader,
        aliases_file=aliases,
    )
    for note in run.notes:
        say(f"svcqa: note: {note}")
    if fmt is TableFormat.json:
        print_json(run.comparison.document())
        return
    _print_table(run.shown or run.comparison, run.lang)
    stdout_console().print(f"written: {run.outputs['whatif_xlsx']}", markup=False)
