"""``svcqa history`` and ``svcqa history runs``: what the store holds, month by month."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import typer

from svcqa.cli.app import (
    app,
    cell,
    handles_errors,
    print_json,
    print_records_csv,
    printable,
    stdout_console,
)
from svcqa.cli.options import Branch, DataFormat, DataFormatOption, Db, LangOption, month_text
from svcqa.errors import UsageError

# The group's --help is history_command's docstring.
history_app = typer.Typer(no_args_is_help=False, rich_markup_mode=None)
app.add_typer(history_app, name="history")


@history_app.callback(invoke_without_command=True)
@handles_errors
def history_command(
    ctx: typer.Context,
    branch: Branch = None,
    months: Annotated[
        int,
        typer.Option(
            "--months", "-n", help="How many of the latest stored months to show (0 = all)."
        ),
    ] = 6,
    fmt: DataFormatOption = DataFormat.table,
    db: Db = None,
    lang: LangOption = None,
) -> None:
    """Show the trend across stored months: each branch's total, rank and change month to month.

    Rows are branches ordered by their latest rank; each month shows total, #rank and an arrow
    (↑ ↓ →) against the branch's total the month before. With --branch, rows are that branch's
    KPIs and cells its points. --format json or csv prints the underlying rows instead.

    Example:  svcqa history --months 3 --branch "天河 网点" --db svcqa.db
    """
    if ctx.invoked_subcommand is not None:
        return
    from svcqa import HistoryStore, resolve_db_path, trend_grid, trend_records

    if months < 0:
        raise UsageError(f"--months must be 0 (all) or more, not {months}")
    with HistoryStore(resolve_db_path(db), create=False) as store:
        if fmt != DataFormat.table:
            records = trend_records(store, branch=branch, months=months or None)
            if fmt == DataFormat.json:
                print_json(records)
            else:
                print_records_csv(records)
            return
        grid = trend_grid(
            store, branch=branch, months=months or None, lang=lang.value if lang else None
        )
    _print_grid(grid)


def _print_grid(grid: Any) -> None:
    from rich.table import Table

    console = stdout_console()
    table = Table(title=cell(grid.title), show_header=True, header_style="bold")
    for i, column in enumerate(grid.columns):
        table.add_column(cell(column), justify="left" if i == 0 else "right")
    for row in grid.rows:
        table.add_row(*(cell(value) for value in row))
    console.print(table)
    for line in grid.note.splitlines():
        console.print(printable(line), markup=False)


@history_app.command("runs")
@handles_errors
def history_runs_command(
    month: Annotated[
        str | None,
        typer.Option("--month", "-m", parser=month_text, help="Only this month, YYYY-MM."),
    ] = None,
    fmt: DataFormatOption = DataFormat.table,
    db: Db = None,
    lang: LangOption = None,
) -> None:
    """List every scoring run in the history store, newest first, superseded re-runs included.

    Shows the month, run id, when it ran, the rubric and its short version (id@first 8 hex of its
    sha256), whether it is the month's active run or was superseded by a later re-score, and the
    input files it was scored from. A month marked * was scored under another rubric than the
    stored month before it; the lines under the table say which.

    Example:  svcqa history runs --month 2026-10 --db svcqa.db
    """
    from svcqa import (
        HistoryStore,
        Month,
        appeal_run_marks,
        output_language,
        resolve_db_path,
        rubric_changes,
        rubric_language,
        runs_records,
    )

    with HistoryStore(resolve_db_path(db), create=False) as store:
        records = runs_records(store, Month.parse(month) if month else None)
        marks = appeal_run_marks(store)
        records = [{**r, "appeals": marks.get(r["run_id"], "")} for r in records]
        changes = [c for c in rubric_changes(store) if month is None or c.month == month]
        language = output_language(lang.value if lang else rubric_language(store))
    if fmt == DataFormat.json:
        print_json(records)
    elif fmt == DataFormat.csv:
        print_records_csv([{**r, "inputs": [i["name"] for i in r["inputs"]]} for r in records])
    else:
        _print_runs(records, month, changes, language)


def _print_runs(
    records: list[dict[str, Any]], month: str | None, changes: list[Any], lang: str = "zh"
) -> None:
    from rich.table import Table

    from svcqa import as_of_text, terminal_labels

    t = terminal_labels(lang)
    changed = {c.month for c in changes}
    table = Table(title=t["runs_title"], show_header=True, header_style="bold")
    for i, header in enumerate(t["runs_columns"].split("|")):
        table.add_column(header, justify="right" if i == 1 else "left")
    for r in records:
        inputs = ", ".join(i["name"] for i in r["inputs"]) or "-"
        mark = "*" if r["status"] == "active" and r["month"] in changed else ""
        fields = ("created_at", "rubric", "status", "tool_version")
        status = r["status"] + (f" ({r['appeals']})" if r.get("appeals") else "")
        if r.get("as_of"):  # scored as a month still running, open rows aged at its cut-off
            status += f" (as of {as_of_text(datetime.fromisoformat(r['as_of']))})"
        r = {**r, "rubric": f"{r['rubric_id']}@{r['rubric_version']}", "status": status}
        table.add_row(
            cell(r["month"] + mark), cell(r["run_id"]), *(cell(r[f]) for f in fields), cell(inputs)
        )
    stdout_console().print(table)
    if not records:
        stdout_console().print("no runs stored" + (f" for {month}" if month else ""), markup=False)
    for change in changes:
        stdout_console().print(printable(str(change)), markup=False)
    if changes:
        note = "* = scored under another rubric than the stored month before it"
        stdout_console().print(note, markup=False)
