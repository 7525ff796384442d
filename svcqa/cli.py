"""The ``svcqa`` command line: parse options, call one library function, render, map errors.

No pandas and no scoring here. Exit codes: 0 success, 1 data or input the run cannot accept,
2 usage. Errors go to stderr on one line (``--debug`` shows the traceback).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any

import typer
from rich.console import Console

from svcqa import __version__
from svcqa.errors import SvcqaError, UsageError

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
TABLE_ROWS = 50  # a longer ranked table is shortened on the terminal (``score --rows``)


def stdout_console() -> Console:
    """Rich on a terminal, plain text (no colour codes) when piped or under cron."""
    tty = sys.stdout.isatty()
    # Piped or under cron there is no terminal width: use a wide one so tables are not truncated.
    return Console(highlight=False, soft_wrap=False, no_color=not tty, width=None if tty else 160)


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
            # Plain write: one unwrapped line per reason, whatever the terminal width (cron mail, logs).
            sys.stderr.write(f"svcqa: error: {exc}\n")
            raise typer.Exit(exc.exit_code) from None

    return wrapper


def _version(value: bool) -> None:
    if value:
        typer.echo(f"svcqa {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    debug: bool = typer.Option(False, "--debug", help="Show the full traceback on errors."),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version."
    ),
) -> None:
    _state["debug"] = debug
    _show_library_notices()


def _show_library_notices() -> None:
    """The library logs what a user should know while a run goes on (waiting for another run's
    lock); print those as ``svcqa: ...`` lines on stderr, like the errors."""
    import logging

    class ToStderr(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            # sys.stderr as it is now: a test runner swaps it between invocations.
            sys.stderr.write(f"svcqa: {record.getMessage()}\n")
            sys.stderr.flush()

    logger = logging.getLogger("svcqa")
    if not logger.handlers:
        logger.addHandler(ToStderr())
        logger.setLevel(logging.INFO)
        logger.propagate = False


def _arrow(current: float | None, previous: float | None) -> str:
    from svcqa.labels import trend_arrow

    if current is None or previous is None:
        return ""
    delta = round(current - previous, 2)
    return f"{trend_arrow(delta)}{delta:+.2f}" if delta else "→0.00"


@app.command()
@handles_errors
def score(
    paths: list[Path] = typer.Argument(
        ...,
        help="The month's workbook, or one file per table (xlsx, xlsm, xls, ods, csv).",
        exists=False,
    ),
    rubric: str = typer.Option(
        "gd-mobile-aftersales", "--rubric", "-r", help="Preset id or path to a rubric .toml file."
    ),
    month: str | None = typer.Option(
        None,
        "--month",
        "-m",
        help="Assessed month YYYY-MM (default: inferred from ticket acceptance dates).",
    ),
    out: Path | None = typer.Option(
        None, "--out", "-o", help="Output folder (default ./svcqa-out/YYYY-MM/)."
    ),
    output_format: str = typer.Option(
        "table", "--format", "-f", help="What to print on stdout: table, json or csv."
    ),
    strict: bool = typer.Option(False, "--strict", help="Exit 1 when any input row is rejected."),
    db: Path | None = typer.Option(
        None, "--db", help="History store (default $SVCQA_DB, else ./svcqa.db)."
    ),
    no_history: bool = typer.Option(
        False, "--no-history", help="Score without reading or writing the history store."
    ),
    aliases: Path | None = typer.Option(
        None,
        "--aliases",
        help="TOML file of extra header aliases ([aliases.tickets] ticket_id = [...]).",
    ),
    quiet: bool = typer.Option(
        False, "--quiet", "-q", help="Print one summary line instead of the table."
    ),
    rows: int = typer.Option(
        TABLE_ROWS,
        "--rows",
        min=0,
        help="Longest ranked table to print: past it, the top and bottom halves and every flagged branch between (0: all rows).",
    ),
    lock_timeout: float = typer.Option(
        30.0,
        "--lock-timeout",
        help="Seconds to wait for another run's lock on the history store and the output folder.",
    ),
) -> None:
    """Score a month: ingest, weight, grade, rank, flag, and write the scorecard.

    Writes scorecard.xlsx, scorecard.json, scorecard.csv and the rejects (xlsx and csv) into the
    output folder, stores the month in the history store, and prints the ranked table.

    Example:  svcqa score sample_data/2026-10.xlsx --db svcqa.db
    """
    from svcqa.ingest import Limits
    from svcqa.jobs.score import run_score
    from svcqa.models import Month

    if output_format not in ("table", "json", "csv"):
        raise UsageError(f"--format must be table, json or csv, not {output_format!r}")
    err = stderr_console()
    with (
        err.status("scoring...", spinner="dots")
        if sys.stderr.isatty()
        else _nullcontext() as status
    ):

        def progress(message: str) -> None:
            if status is not None:
                status.update(message + "...")

        run = run_score(
            paths,
            rubric=rubric,
            month=Month.parse(month) if month else None,
            out_dir=out,
            db=db,
            use_history=not no_history,
            strict=strict,
            aliases_file=aliases,
            limits=Limits.from_env(),
            lock_timeout=lock_timeout,
            progress=progress,
            spool_dir=os.environ.get("SVCQA_SPOOL_DIR"),
            reader=os.environ.get("SVCQA_READER") or None,
        )
    sc = run.scorecard
    from svcqa.render.scorecard import scorecard_document, scorecard_rows

    if output_format == "json":
        print_json(scorecard_document(sc, month_source=run.data.month_source))
        return
    if output_format == "csv":
        import csv as _csv

        header, records = scorecard_rows(sc)
        writer = _csv.writer(sys.stdout)
        writer.writerow(header)
        writer.writerows([["" if v is None else v for v in record] for record in records])
        return
    console = stdout_console()
    month_note = (
        "inferred from ticket dates" if run.data.month_source == "inferred" else "from --month"
    )
    assessed = sc.assessed_count
    if quiet:
        last = [b.branch for b in sc.branches if "last_place" in b.flags]
        console.print(
            f"{sc.month}: {assessed} branches ranked under {sc.rubric_id}; last place: {', '.join(last) or '-'}; "
            f"outputs in {run.outputs['scorecard_xlsx'].parent}",
            markup=False,
            soft_wrap=True,
        )
    else:
        _print_scorecard(console, sc, month_note, rows)
        _print_inputs(console, run.data)
        console.print(
            f"Outputs: {run.outputs['scorecard_xlsx'].parent}/ (scorecard.xlsx, scorecard.json, scorecard.csv, rejects.xlsx, rejects.csv)",
            markup=False,
        )
        if run.db_path:
            console.print(f"History: {run.db_path} (run {run.run_id})", markup=False)
    for later in run.rescored:
        err.print(f"svcqa: re-scored {later} because it depends on {sc.month}", markup=False)
    for later in run.stale:
        err.print(
            f"svcqa: warning: {later} was scored before {sc.month} was stored and its input files have changed or moved; "
            f"re-score {later} to bring its quarter-to-date figures and streaks up to date",
            markup=False,
        )


class _nullcontext:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def shown_rows(branches: list, limit: int) -> list:
    """The branches a ranked table of at most ``limit`` rows shows, with ``None`` where rows are
    left out: the top and bottom halves, and every flagged branch between them (a veto or a
    rectification duty is never hidden in the middle of a long table)."""
    if not limit or len(branches) <= limit:
        return list(branches)
    half = max(limit // 2, 1)
    shown: list = list(branches[:half])
    for branch in branches[half:-half]:
        if branch.flags:
            shown.append(branch)
        elif shown[-1] is not None:
            shown.append(None)
    shown.extend(branches[-half:])
    return shown


def _print_scorecard(console: Console, sc, month_note: str, limit: int = TABLE_ROWS) -> None:
    from rich.console import JustifyMethod
    from rich.table import Table

    from svcqa.labels import flags_text

    table = Table(
        title=f"{sc.month} {sc.rubric_name} ({sc.rubric_id}, 满分 {sc.rubric_max:g}; month {month_note})"
    )
    headings: tuple[tuple[str, JustifyMethod], ...] = (
        ("排名", "right"),
        ("网点", "left"),
        ("总分", "right"),
        ("环比", "right"),
        ("等级", "left"),
        ("系数", "right"),
        ("末位连续", "right"),
        ("标记", "left"),
    )
    for name, justify in headings:
        table.add_column(name, justify=justify)
    shown = shown_rows(sc.branches, limit)
    for b in shown:
        if b is None:
            table.add_row("…", "", "", "", "", "", "", "")
            continue
        table.add_row(
            str(b.rank) if b.rank is not None else "-",
            b.branch,
            f"{b.total:.2f}",
            _arrow(b.total, b.prev_total),
            b.grade or "-",
            f"{b.coefficient:.2f}" if b.coefficient is not None else "-",
            str(b.last_place_streak) if b.last_place_streak else "",
            flags_text(b.flags),
        )
    console.print(table)
    hidden = len(sc.branches) - sum(b is not None for b in shown)
    if hidden:
        console.print(
            f"{hidden} of {len(sc.branches)} branches not shown (… rows); all are in scorecard.xlsx, or print them with --rows 0",
            markup=False,
        )


def _print_inputs(console: Console, data) -> None:
    parts = [
        f"{name} {s.rows} rows: {s.used} used, {s.excluded} excluded, {s.rejected} rejected"
        for name, s in data.stats.items()
    ]
    console.print("Inputs: " + "; ".join(parts), markup=False)


@app.command()
@handles_errors
def check(
    paths: list[Path] = typer.Argument(
        ..., help="Workbooks, CSV files or folders holding the month's exports."
    ),
    month: str | None = typer.Option(
        None, "--month", help="The month, YYYY-MM (default: inferred from ticket dates)."
    ),
    out: Path | None = typer.Option(
        None, "--out", help="Folder for rejects.xlsx/csv (default ./svcqa-out/YYYY-MM/)."
    ),
    strict: bool = typer.Option(False, "--strict", help="Exit 1 when any row was rejected."),
    fmt: str = typer.Option("table", "--format", help="table or json."),
    aliases: Path | None = typer.Option(
        None, "--aliases", help="TOML file with extra sheet/column aliases."
    ),
) -> None:
    """Read the month's exports and report how every row was accounted for, without scoring.

    Prints per table the rows read, used, excluded (outside the month) and rejected with the top
    reasons, the month and whether it was inferred, notes, and where the rejects file went.
    Input files are only read, never modified.

    Example:  svcqa check exports/2026-10.xlsx --month 2026-10 --strict
    """
    from svcqa.ingest import Limits
    from svcqa.jobs.check import run_check

    if fmt not in ("table", "json"):
        raise UsageError(f"--format {fmt!r} is not one of: table, json")
    _data, document = run_check(
        paths,
        month=month,
        out_dir=out,
        aliases_file=aliases,
        limits=Limits.from_env(),
        spool_dir=os.environ.get("SVCQA_SPOOL_DIR"),
        reader=os.environ.get("SVCQA_READER") or None,
    )
    if fmt == "json":
        print_json(document)
    else:
        _print_check(stdout_console(), document)
    if strict and document["rows_rejected"]:
        stderr_console().print(
            f"svcqa: {document['rows_rejected']} row(s) rejected (--strict)", markup=False
        )
        raise typer.Exit(1)


def _print_check(console: Console, document: dict[str, Any]) -> None:
    from rich.table import Table as RichTable

    source = (
        "inferred from ticket dates"
        if document["month_source"] == "inferred"
        else "given with --month"
    )
    console.print(f"Month {document['month']} ({source})", markup=False)
    table = RichTable(show_header=True, header_style="bold")
    for header in ("table", "rows", "used", "excluded", "rejected", "top reject reasons"):
        table.add_column(
            header,
            justify="right" if header in ("rows", "used", "excluded", "rejected") else "left",
        )
    for t in document["tables"]:
        reasons = ", ".join(f"{r['code']} x{r['rows']}" for r in t["top_rejects"]) or "-"
        table.add_row(
            t["table"],
            str(t["rows"]),
            str(t["used"]),
            str(t["excluded"]),
            str(t["rejected"]),
            reasons,
        )
    console.print(table)
    for note in document["notes"]:
        console.print(f"note [{note['code']}]: {note['message']}", markup=False)
    for path in document["rejects_files"]:
        console.print(f"rejects: {path}", markup=False)


@app.command("sample")
@handles_errors
def sample_command(
    month: str = typer.Option(..., "--month", help="The month to generate, YYYY-MM."),
    out: Path = typer.Option(Path("."), "--out", help="Folder to write <month>.xlsx into."),
    branches: int = typer.Option(
        40, "--branches", help="Branches in the month (one is newly signed)."
    ),
    tickets: int = typer.Option(
        20000, "--tickets", help="Data rows on the tickets sheet (max 1,048,573)."
    ),
    seed: int = typer.Option(
        1, "--seed", help="Same seed, month and sizes give the same workbook."
    ),
    rework_flag: bool = typer.Option(
        True,
        "--rework-flag/--no-rework-flag",
        help="Write the 是否返修 column (omit it to derive reworks from IMEI).",
    ),
    complaint_rate: float = typer.Option(
        0.03, "--complaint-rate", help="Complaints per ticket, 0.03 = 3 %."
    ),
) -> None:
    """Write a realistic, deterministic sample month workbook (tickets, complaints, attendance ...).

    The workbook carries the warts real exports have (title rows, mixed date forms, branch
    spellings, a few bad rows); generate consecutive months with the same seed and sizes so
    reworks refer to devices repaired in the earlier months.

    Example:  svcqa sample --month 2026-10 --branches 40 --tickets 20000 --seed 1 --out sample_data
    """
    from svcqa.models import Month
    from svcqa.sample import write_sample_month

    path = write_sample_month(
        out,
        Month.parse(month),
        branches=branches,
        tickets=tickets,
        seed=seed,
        rework_flag=rework_flag,
        complaint_rate=complaint_rate,
    )
    stdout_console().print(
        f"wrote {path} ({tickets:,} tickets, {branches} branches, seed {seed})", markup=False
    )


# The group's --help is history_command's docstring.
history_app = typer.Typer(no_args_is_help=False, rich_markup_mode=None)
app.add_typer(history_app, name="history")


def _history_format(fmt: str) -> str:
    if fmt not in ("table", "json", "csv"):
        raise UsageError(f"--format {fmt!r} is not one of: table, json, csv")
    return fmt


def _print_records_csv(records: list[dict[str, Any]]) -> None:
    import csv as _csv

    from svcqa.output import csv_safe

    writer = _csv.writer(sys.stdout)
    if not records:
        return
    writer.writerow(list(records[0]))
    for record in records:
        writer.writerow(
            [
                csv_safe(",".join(map(str, v)) if isinstance(v, list) else ("" if v is None else v))
                for v in record.values()
            ]
        )


@history_app.callback(invoke_without_command=True)
@handles_errors
def history_command(
    ctx: typer.Context,
    branch: str | None = typer.Option(
        None,
        "--branch",
        "-b",
        help="Show one branch's KPI points per month (name as written in the exports).",
    ),
    months: int = typer.Option(
        6, "--months", "-n", help="How many of the latest stored months to show (0 = all)."
    ),
    fmt: str = typer.Option("table", "--format", "-f", help="table, json or csv."),
    db: Path | None = typer.Option(
        None, "--db", help="History store (default $SVCQA_DB, else ./svcqa.db)."
    ),
) -> None:
    """Show the trend across stored months: each branch's total, rank and change month to month.

    Rows are branches ordered by their latest rank; each month shows total, #rank and an arrow
    (↑ ↓ →) against the branch's total the month before. With --branch, rows are that branch's
    KPIs and cells its points. --format json or csv prints the underlying rows instead.

    Example:  svcqa history --months 3 --branch "天河 网点" --db svcqa.db
    """
    if ctx.invoked_subcommand is not None:
        return
    from svcqa.history import HistoryStore, resolve_db_path
    from svcqa.history.queries import trend_grid, trend_records

    fmt = _history_format(fmt)
    if months < 0:
        raise UsageError(f"--months must be 0 (all) or more, not {months}")
    with HistoryStore(resolve_db_path(db), create=False) as store:
        if fmt != "table":
            records = trend_records(store, branch=branch, months=months or None)
            if fmt == "json":
                print_json(records)
            else:
                _print_records_csv(records)
            return
        grid = trend_grid(store, branch=branch, months=months or None)
    _print_grid(grid)


def _print_grid(grid: Any) -> None:
    from rich.table import Table as RichTable

    console = stdout_console()
    table = RichTable(title=grid.title, show_header=True, header_style="bold")
    for i, column in enumerate(grid.columns):
        table.add_column(column, justify="left" if i == 0 else "right")
    for row in grid.rows:
        table.add_row(*row)
    console.print(table)
    if grid.note:
        console.print(grid.note, markup=False)


@history_app.command("runs")
@handles_errors
def history_runs_command(
    month: str | None = typer.Option(None, "--month", "-m", help="Only this month, YYYY-MM."),
    fmt: str = typer.Option("table", "--format", "-f", help="table, json or csv."),
    db: Path | None = typer.Option(
        None, "--db", help="History store (default $SVCQA_DB, else ./svcqa.db)."
    ),
) -> None:
    """List every scoring run in the history store, newest first, superseded re-runs included.

    Shows the month, run id, when it ran, the rubric, whether it is the month's active run or was
    superseded by a later re-score, and the input files it was scored from.

    Example:  svcqa history runs --month 2026-10 --db svcqa.db
    """
    from svcqa.history import HistoryStore, resolve_db_path
    from svcqa.history.queries import runs_records
    from svcqa.models import Month

    fmt = _history_format(fmt)
    with HistoryStore(resolve_db_path(db), create=False) as store:
        records = runs_records(store, Month.parse(month) if month else None)
    if fmt == "json":
        print_json(records)
        return
    if fmt == "csv":
        _print_records_csv([{**r, "inputs": [i["name"] for i in r["inputs"]]} for r in records])
        return
    from rich.table import Table as RichTable

    table = RichTable(title="history runs (newest first)", show_header=True, header_style="bold")
    for header in ("month", "run", "created at", "rubric", "status", "tool", "inputs"):
        table.add_column(header, justify="right" if header == "run" else "left")
    for r in records:
        inputs = ", ".join(i["name"] for i in r["inputs"]) or "-"
        table.add_row(
            r["month"],
            str(r["run_id"]),
            r["created_at"],
            r["rubric_id"],
            r["status"],
            r["tool_version"],
            inputs,
        )
    stdout_console().print(table)
    if not records:
        stdout_console().print("no runs stored" + (f" for {month}" if month else ""), markup=False)


rubric_app = typer.Typer(
    no_args_is_help=True,
    rich_markup_mode=None,
    help="List, show and check rubrics (scoring schemes as TOML files).\n\nExample:  svcqa rubric show gd-mobile-aftersales",
)
app.add_typer(rubric_app, name="rubric")


def _rubric_format(fmt: str, allowed: tuple[str, ...]) -> str:
    if fmt not in allowed:
        raise UsageError(f"--format {fmt!r} is not one of: {', '.join(allowed)}")
    return fmt


@rubric_app.command("list")
@handles_errors
def rubric_list_command(
    fmt: str = typer.Option("table", "--format", "-f", help="table or json."),
) -> None:
    """List the rubric presets shipped with svcqa: id, name, number of KPIs, maximum score.

    Example:  svcqa rubric list
    """
    from rich.table import Table

    from svcqa.rubric import presets_document

    _rubric_format(fmt, ("table", "json"))
    document = presets_document()
    if fmt == "json":
        print_json(document)
        return
    table = Table(title="Rubric presets")
    for column in ("id", "name", "KPIs", "max"):
        table.add_column(column, justify="right" if column in ("KPIs", "max") else "left")
    for item in document:
        table.add_row(item["id"], item["name"], str(item["kpis"]), f"{item['max']:g}")
    stdout_console().print(table)


@rubric_app.command("show")
@handles_errors
def rubric_show_command(
    ref: str = typer.Argument(
        ..., help="Preset id (see `svcqa rubric list`) or path to a rubric .toml file."
    ),
    fmt: str = typer.Option(
        "table", "--format", "-f", help="table, json, or toml (the source, to copy and edit)."
    ),
) -> None:
    """Show a rubric: its KPIs with thresholds and points, grade bands and fee coefficients.

    `--format toml` prints the rubric's TOML source, so a preset can be copied and edited.

    Example:  svcqa rubric show gd-mobile-aftersales --format toml > my-rubric.toml
    """
    from rich.table import Table

    from svcqa.rubric import load_rubric

    _rubric_format(fmt, ("table", "json", "toml"))
    rubric = load_rubric(ref)
    if fmt == "toml":
        sys.stdout.write(
            rubric.source_text if rubric.source_text.endswith("\n") else rubric.source_text + "\n"
        )
        return
    document = rubric.as_dict()
    if fmt == "json":
        print_json(document)
        return
    console = stdout_console()
    console.print(f"{document['name']}  ({document['id']}, max {document['max']:g})", markup=False)
    kpis = Table(title="KPIs")
    for column in ("id", "label", "points", "metric", "rule"):
        kpis.add_column(column, justify="right" if column == "points" else "left")
    for k in document["kpis"]:
        empty = "" if k["when_empty"] == "full" else f" · empty: {k['when_empty']}"
        kpis.add_row(k["id"], k["label"], f"{k['points']:g}", k["metric_text"], k["rule"] + empty)
    console.print(kpis)
    grades = Table(title="Grades")
    for column in ("grade", "from total", "fee coefficient"):
        grades.add_column(column)
    for g in document["grades"]:
        grades.add_row(g["name"], f"{g['min']:g}", f"{g['coefficient']:.2f}")
    console.print(grades)
    rules = [
        f"rectification: {'last place, ' if document['rectify_last_place'] else ''}grades {', '.join(document['failing_grades']) or '-'}",
        f"contract review after {document['contract_review_after']} months last in a row"
        if document["contract_review_after"]
        else "no contract review",
        f"grace months for newly signed branches: {document['grace_months']}",
        f"incentives: {document['incentives']['table']}.{document['incentives']['column']}"
        if document["incentives"]["enabled"]
        else "incentives: off",
    ] + [
        f"veto {v['id']}: {v['label']} ({v['table']}.{v['column']} ≥ {v['at_least']:g})"
        for v in document["vetoes"]
    ]
    for line in rules:
        console.print(line, markup=False)


@rubric_app.command("check")
@handles_errors
def rubric_check_command(
    path: Path = typer.Argument(..., help="The rubric .toml file to validate."),
    fmt: str = typer.Option("table", "--format", "-f", help="table or json."),
) -> None:
    """Validate a rubric file and report every problem at once, each with its key and line.

    Checks that KPI points add up to max, metric and curve kinds exist, thresholds are in order,
    tables and columns are known (or declared), and ids are unique. Exit code 1 when invalid.

    Example:  svcqa rubric check my-rubric.toml
    """
    from svcqa.rubric import check_document

    _rubric_format(fmt, ("table", "json"))
    document = check_document(path)
    if fmt == "json":
        print_json(document)
        return
    stdout_console().print(
        f"{path}: OK — {document['id']} ({document['name']}), {document['kpis']} KPIs, max {document['max']:g}",
        markup=False,
    )


@app.command("report")
@handles_errors
def report_command(
    branch: str | None = typer.Option(
        None,
        "--branch",
        "-b",
        help="The branch to report on (name as written in the exports; spaces and full-width forms are ignored).",
    ),
    all_branches: bool = typer.Option(
        False, "--all", help="Write a report for every branch of the month, plus index.html."
    ),
    month: str | None = typer.Option(
        None, "--month", "-m", help="Stored month YYYY-MM (default: the latest stored month)."
    ),
    out: Path | None = typer.Option(
        None, "--out", "-o", help="Output folder (default ./svcqa-out/YYYY-MM/reports/)."
    ),
    formats: str = typer.Option(
        "html,xlsx", "--format", "-f", help="Report files to write: html, xlsx or html,xlsx."
    ),
    db: Path | None = typer.Option(
        None, "--db", help="History store (default $SVCQA_DB, else ./svcqa.db)."
    ),
    lang: str = typer.Option("zh", "--lang", help="Language of the report's labels: zh or en."),
) -> None:
    """Write per-branch reports (HTML and XLSX) for a month stored in the history store.

    Each report shows the branch's total, rank, grade and fee coefficient with the change against
    the month before, every KPI with its thresholds and lost points, charts, peer comparison, hot
    complaint categories, and the input rows behind every lost point (file, sheet, Excel row).
    --all also writes index.html, a ranked table linking to every report.

    Example:  svcqa report --all --month 2026-10 --db svcqa.db
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from svcqa.jobs.reports import reports_from_store
    from svcqa.models import Month
    from svcqa.render.report import parse_formats

    if (branch is None) == (not all_branches):
        raise UsageError("give either --branch NAME or --all")
    if lang not in ("zh", "en"):
        raise UsageError(f"--lang must be zh or en, not {lang!r}")
    chosen = parse_formats(formats)
    err = stderr_console()
    with Progress(
        TextColumn("reports"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=not (all_branches and sys.stderr.isatty()),
    ) as bar:
        task = bar.add_task("reports", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        run = reports_from_store(
            db,
            month=Month.parse(month) if month else None,
            branch=branch,
            out_dir=out,
            formats=chosen,
            lang=lang,
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


# The group's --help is rectify_command's docstring.
rectify_app = typer.Typer(no_args_is_help=False, rich_markup_mode=None)
app.add_typer(rectify_app, name="rectify")


@rectify_app.callback(invoke_without_command=True)
@handles_errors
def rectify_command(
    ctx: typer.Context,
    month: str | None = typer.Option(
        None, "--month", "-m", help="Stored month YYYY-MM (default: the latest stored month)."
    ),
    branch: str | None = typer.Option(
        None,
        "--branch",
        "-b",
        help="Write the form of this branch only (name as written in the exports).",
    ),
    all_required: bool = typer.Option(
        False,
        "--all-required",
        help="Write a form for every branch that must rectify (the default).",
    ),
    out: Path | None = typer.Option(
        None, "--out", "-o", help="Output folder (default ./svcqa-out/YYYY-MM/rectify/)."
    ),
    formats: str = typer.Option(
        "xlsx,html,docx",
        "--format",
        "-f",
        help="Form files to write: xlsx, html, docx, comma separated.",
    ),
    db: Path | None = typer.Option(
        None, "--db", help="History store (default $SVCQA_DB, else ./svcqa.db)."
    ),
    lang: str = typer.Option("zh", "--lang", help="Language of the form's labels: zh or en."),
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
    from svcqa.jobs.rectify import issue_forms
    from svcqa.models import Month
    from svcqa.rectify import parse_form_formats

    if branch is not None and all_required:
        raise UsageError("give either --branch NAME or --all-required, not both")
    if lang not in ("zh", "en"):
        raise UsageError(f"--lang must be zh or en, not {lang!r}")
    run = issue_forms(
        db,
        month=Month.parse(month) if month else None,
        branch=branch,
        out_dir=out,
        formats=parse_form_formats(formats),
        lang=lang,
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
    paths: list[Path] = typer.Argument(
        ..., help="Filled-in form workbooks (.xlsx) as the branches sent them back."
    ),
    db: Path | None = typer.Option(
        None,
        "--db",
        help="History store the forms were issued from (default $SVCQA_DB, else ./svcqa.db).",
    ),
    fmt: str = typer.Option("table", "--format", "-f", help="table or json."),
) -> None:
    """Read filled-in forms back, check them, and record their measures in the history store.

    Each plan row needs a measure, an owner and a deadline (a date after the assessed month);
    target values must be numbers; nothing outside the yellow input cells may change. A form
    with any problem records nothing and each problem is printed with file, sheet, cell and
    reason (exit code 1); the valid forms are recorded, replacing an earlier return of the
    same branch and month.

    Example:  svcqa rectify collect returned/*.xlsx --db svcqa.db
    """
    from svcqa.ingest import Limits
    from svcqa.jobs.rectify import collect_forms

    if fmt not in ("table", "json"):
        raise UsageError(f"--format {fmt!r} is not one of: table, json")
    run = collect_forms(db, paths, limits=Limits.from_env())
    if fmt == "json":
        print_json(
            {
                "checked": run.checked,
                "recorded": [
                    {
                        "branch_key": f.branch_key,
                        "month": f.month,
                        "source_file": f.source_file,
                        "measures": len(f.measures),
                    }
                    for f in run.recorded
                ],
                "problems": [p.as_dict() for p in run.problems],
            }
        )
    else:
        console = stdout_console()
        for form in run.recorded:
            console.print(
                f"recorded {form.month} {form.branch_key}: {len(form.measures)} measure(s) from {form.source_file}",
                markup=False,
            )
        for problem in run.problems:
            sys.stderr.write(f"svcqa: {problem.message}\n")
        console.print(
            f"{len(run.recorded)} of {run.checked} form(s) recorded; {len(run.problems)} problem(s)",
            markup=False,
        )
    if not run.ok:
        raise typer.Exit(1)


@rectify_app.command("status")
@handles_errors
def rectify_status_command(
    month: str | None = typer.Option(
        None, "--month", "-m", help="Only forms of this month, YYYY-MM (default: every month)."
    ),
    db: Path | None = typer.Option(
        None, "--db", help="History store (default $SVCQA_DB, else ./svcqa.db)."
    ),
    fmt: str = typer.Option("table", "--format", "-f", help="table or json."),
) -> None:
    """Show which forms were issued, which came back, and which measures are past their deadline.

    Example:  svcqa rectify status --month 2026-10 --db svcqa.db
    """
    from rich.table import Table as RichTable

    from svcqa.jobs.rectify import form_status
    from svcqa.models import Month

    if fmt not in ("table", "json"):
        raise UsageError(f"--format {fmt!r} is not one of: table, json")
    records = form_status(db, month=Month.parse(month) if month else None)
    if fmt == "json":
        print_json(records)
        return
    console = stdout_console()
    if not records:
        console.print(
            "no rectification forms issued" + (f" for {month}" if month else ""), markup=False
        )
        return
    table = RichTable(title="rectification forms", show_header=True, header_style="bold")
    for header in ("month", "branch", "why", "issued", "due", "returned", "measures", "overdue"):
        table.add_column(header, justify="right" if header in ("measures", "overdue") else "left")
    for r in records:
        back = (
            r["collected_at"][:10] if r["returned"] else ("OVERDUE" if r["form_overdue"] else "no")
        )
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


def main() -> None:
    from svcqa.runtime.allocator import reuse_freed_memory

    reuse_freed_memory()
    app()


if __name__ == "__main__":
    main()
