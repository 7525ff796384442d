"""``svcqa appeal add|decide|apply|status`` (``forms|collect|bulletin``: ``appeal_forms``): appeals (申诉) against scored rows."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from svcqa.cli import appeal_forms
from svcqa.cli.app import app, cell, handles_errors, print_json, stdout_console
from svcqa.cli.options import Db, TableFormat, TableFormatOption, month_text
from svcqa.errors import InputError, UsageError
from svcqa.settings import Settings

appeal_app = typer.Typer(
    no_args_is_help=True,
    rich_markup_mode=None,
    help="Appeals (申诉): branches dispute rows that cost them points; the analyst decides; the "
    "month is re-scored.\n\nExample:  svcqa appeal status --month 2026-10 --db svcqa.db",
)
app.add_typer(appeal_app, name="appeal")
appeal_forms.register(appeal_app)  # forms, collect, bulletin

Month_ = Annotated[
    str, typer.Option("--month", "-m", parser=month_text, help="The stored month, YYYY-MM.")
]
Table_ = Annotated[str, typer.Option("--table", "-t", help="tickets, complaints or attendance.")]
Id_ = Annotated[
    str,
    typer.Option(
        "--id", help="The row's id: ticket or complaint id; attendance '<staff> <YYYY-MM-DD>'."
    ),
]


@appeal_app.command("add")
@handles_errors
def appeal_add_command(
    month: Month_,
    branch: Annotated[str, typer.Option("--branch", "-b", help="The appealing branch.")],
    table: Table_,
    row_id: Id_,
    reason: Annotated[str, typer.Option("--reason", help="申诉理由: why the row is disputed.")],
    reference: Annotated[
        str, typer.Option("--reference", help="佐证材料: where the evidence is.")
    ] = "",
    kpi: Annotated[str, typer.Option("--kpi", help="The KPI the row cost points in.")] = "",
    db: Db = None,
) -> None:
    """Record one appeal received outside the appeal forms.

    The row must be in the month's stored evidence or inputs, under the branch. An appeal after
    the rubric's [appeals] window (window_days after the month's first scoring) or beyond
    max_per_branch is refused (exit 1) and recorded as late.

    Example:  svcqa appeal add --month 2026-10 --branch "深圳龙岗（九）营业厅" --table tickets --id WX2026100000151 --reason "客户未取机"
    """
    from svcqa import AppealRequest, Month, file_appeals

    request = AppealRequest(
        Month.parse(month), branch, table, row_id.strip(), reason, reference, kpi
    )
    filed = file_appeals(db, [request], limits=Settings.from_env().limits)
    for appeal in filed.recorded:
        stdout_console().print(
            f"recorded appeal {appeal.id}: {appeal.month} {appeal.branch} {appeal.table} {appeal.row_id} (pending)",
            markup=False,
        )
    if filed.late:
        raise InputError("appeal refused and recorded as late:", reasons=filed.refused)


@appeal_app.command("decide")
@handles_errors
def appeal_decide_command(
    month: Month_,
    table: Annotated[
        str | None, typer.Option("--table", "-t", help="tickets, complaints or attendance.")
    ] = None,
    row_id: Annotated[str | None, typer.Option("--id", help="The appealed row's id.")] = None,
    accept: Annotated[bool, typer.Option("--accept", help="Accept the appeal.")] = False,
    reject: Annotated[bool, typer.Option("--reject", help="Reject the appeal.")] = False,
    reason: Annotated[str | None, typer.Option("--reason", help="Why.")] = None,
    by: Annotated[str | None, typer.Option("--by", help="Who decided.")] = None,
    adjust_days: Annotated[
        float | None,
        typer.Option(
            "--adjust-days",
            help="Tickets: stop the clock by N days instead of withdrawing the row.",
        ),
    ] = None,
    file: Annotated[
        Path | None,
        typer.Option(
            "--file",
            help="A decisions file (.csv/.xlsx: table, id, decision, reason, decided_by, adjust_days).",
        ),
    ] = None,
    db: Db = None,
) -> None:
    """Record decisions on appeals: one on the command line or a decisions file.

    An accepted appeal withdraws its row, or with --adjust-days (tickets) takes N days of
    customer-caused delay off its cycle or age. A later decision supersedes an earlier one;
    both are kept. Nothing changes the scores until `svcqa appeal apply`.

    Example:  svcqa appeal decide --month 2026-10 --table tickets --id WX2026100000151 --accept --reason "客户原因" --by 张三 --adjust-days 3
    """
    from svcqa import AppealDecision, Month, decide_appeals, read_decisions

    the_month = Month.parse(month)
    if file is not None:
        if table or row_id or accept or reject:
            raise UsageError(
                "give either --file or one decision (--table --id --accept|--reject), not both"
            )
        decisions = read_decisions(file, the_month, limits=Settings.from_env().limits)
    else:
        if accept == reject or not table or not row_id or not reason or not by:
            raise UsageError(
                "give --table, --id, one of --accept/--reject, --reason and --by (or --file)"
            )
        decisions = [
            AppealDecision(the_month, table, row_id.strip(), accept, reason, by, adjust_days)
        ]
    ids = decide_appeals(db, decisions)
    for decision, new_id in zip(decisions, ids):
        verdict = "accepted" if decision.accepted else "rejected"
        stdout_console().print(
            f"decision {new_id}: {decision.table} {decision.row_id} {verdict} by {decision.decided_by}",
            markup=False,
        )


@appeal_app.command("apply")
@handles_errors
def appeal_apply_command(
    month: Month_,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Output folder (default ./svcqa-out).")
    ] = None,
    db: Db = None,
) -> None:
    """Re-score the month from its recorded inputs with the accepted decisions applied.

    Saves a new run (the previous one stays, superseded), writes the month's scorecard files
    and re-scores later stored months. An accepted decision whose row is no longer in the
    inputs is reported on stderr.

    Example:  svcqa appeal apply --month 2026-10 --db svcqa.db
    """
    from svcqa import Month, apply_appeals

    done = apply_appeals(db, Month.parse(month), out_dir=out, limits=Settings.from_env().limits)
    for line in done.missing:
        sys.stderr.write(f"svcqa: {line}\n")
    stdout_console().print(
        f"{done.month}: run {done.run_id} applied {sum(o.row_found for o in done.applied)} appeal decision(s), "
        f"superseding run {done.superseded_run}; outputs in {done.outputs['scorecard_json'].parent}",
        markup=False,
    )
    if done.rescored:
        stdout_console().print("re-scored: " + ", ".join(map(str, done.rescored)), markup=False)


@appeal_app.command("status")
@handles_errors
def appeal_status_command(
    month: Month_, db: Db = None, fmt: TableFormatOption = TableFormat.table
) -> None:
    """List the month's appeals: pending, accepted, rejected, late; for applied ones the branch's
    total, rank, grade and coefficient before → after.

    Example:  svcqa appeal status --month 2026-10 --format json
    """
    from svcqa import Month, appeal_status

    records = appeal_status(db, Month.parse(month))
    if fmt == TableFormat.json:
        print_json(records)
        return
    _print_status(records, month)


def _figures(f: dict[str, Any] | None) -> str:
    return "" if f is None else f"{f['total']:g} #{f['rank']} {f['grade']} ×{f['coefficient']}"


def _print_status(records: list[dict[str, Any]], month: str) -> None:
    from rich.table import Table

    console = stdout_console()
    if not records:
        console.print(f"no appeals for {month}", markup=False)
        return
    table = Table(title=f"appeals {month}", show_header=True, header_style="bold")
    for header in ("branch", "table", "id", "status", "decision", "before", "after"):
        table.add_column(header)
    for r in records:
        d = r["decision"]
        said = "" if d is None else f"{d['decided_by']}: {d['reason']}"
        if d and d["adjust_days"]:
            said += f" (−{d['adjust_days']:g} d)"
        if r["applied"] and r["row_found"] is False:
            said += " [row not found]"
        table.add_row(
            *(cell(v) for v in (r["branch"], r["table"], r["id"], r["status"], said)),
            cell(_figures(r["before"])),
            cell(_figures(r["after"])),
        )
    console.print(table)
