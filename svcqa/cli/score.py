"""``svcqa score``: score a month and print the ranked table."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console, JustifyMethod

from svcqa import settings
from svcqa.cli.app import (
    app,
    cell,
    handles_errors,
    print_csv,
    print_json,
    printable,
    say,
    spinner,
    stdout_console,
)
from svcqa.cli.options import (
    Aliases,
    DataFormat,
    DataFormatOption,
    Db,
    InputMonth,
    LangOption,
    LockTimeout,
    Strict,
    out_help,
)
from svcqa.settings import Settings


def as_of_text(text: str | None) -> str | None:
    """Checks the cut-off's form at parse time (the command turns it into a datetime)."""
    if text is None:
        return None
    from svcqa import parse_as_of

    try:
        parse_as_of(text)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    return text


AsOf = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        parser=as_of_text,
        help="The data's cut-off for a month still running, YYYY-MM-DDTHH:MM (a date alone: the "
        "end of that day): open rows are aged at it instead of at the month's end; rows dated "
        "after it are rejected (after-cut-off). Stored with the run.",
    ),
]

TABLE_ROWS = 50  # a longer ranked table is shortened on the terminal (``--rows``)
# The ranked table's columns (labels.TERMINAL_LABELS keys) and how each is aligned.
HEADINGS: tuple[tuple[str, JustifyMethod], ...] = (
    ("rank", "right"),
    ("branch", "left"),
    ("total", "right"),
    ("change", "right"),
    ("grade", "left"),
    ("coefficient", "right"),
    ("streak", "right"),
    ("flags", "left"),
)


@app.command()
@handles_errors
def score(
    paths: Annotated[
        list[Path],
        typer.Argument(
            help="The month's workbook, or one file per table (xlsx, xlsm, xls, ods, csv)."
        ),
    ],
    rubric: Annotated[
        str, typer.Option("--rubric", "-r", help="Preset id or path to a rubric .toml file.")
    ] = settings.RUBRIC,
    month: InputMonth = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help=out_help())] = None,
    fmt: DataFormatOption = DataFormat.table,
    strict: Strict = False,
    db: Db = None,
    no_history: Annotated[
        bool,
        typer.Option("--no-history", help="Score without reading or writing the history store."),
    ] = False,
    aliases: Aliases = None,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Print one summary line instead of the table.")
    ] = False,
    rows: Annotated[
        int,
        typer.Option(
            "--rows",
            min=0,
            help="Longest ranked table to print: past it, the top and bottom halves and every flagged branch between (0: all rows).",
        ),
    ] = TABLE_ROWS,
    lock_timeout: LockTimeout = settings.LOCK_TIMEOUT,
    lang: LangOption = None,
    as_of: AsOf = None,
) -> None:
    """Score a month: ingest, weight, grade, rank, flag, and write the scorecard.

    Writes scorecard.xlsx, scorecard.json, scorecard.csv and the rejects (xlsx and csv) into the
    output folder, stores the month in the history store, and prints the ranked table.

    Example:  svcqa score sample_data/2026-10.xlsx --db svcqa.db
    """
    from svcqa import Month, parse_as_of, run_score  # no pandas yet: the reader starts first

    environment = Settings.from_env()
    with spinner("scoring...") as progress:
        run = run_score(
            paths,
            rubric=rubric,
            month=Month.parse(month) if month else None,
            out_dir=out,
            db=db,
            use_history=not no_history,
            strict=strict,
            aliases_file=aliases,
            limits=environment.limits,
            spool_dir=environment.spool_dir,
            reader=environment.reader,
            lock_timeout=lock_timeout,
            progress=progress,
            lang=lang.value if lang else None,
            as_of=parse_as_of(as_of) if as_of else None,
        )
    _print_mismatches(run)
    card = run.scorecard
    from svcqa import scorecard_document, scorecard_rows

    if fmt == DataFormat.json:
        print_json(scorecard_document(card, month_source=run.data.month_source))
    elif fmt == DataFormat.csv:
        print_csv(*scorecard_rows(card, run.lang))
    elif quiet:
        _print_summary_line(stdout_console(), run)
    else:
        _print_run(stdout_console(), run, rows)
    _print_later_months(run)


def _print_mismatches(run: Any) -> None:
    """Each finding of the rubric asking for data the month lacks, on stderr before anything else
    (whatever --quiet or --format): these KPIs were scored by when_empty, usually full marks."""
    for note in run.mismatches:
        say(f"svcqa: warning: [{note.code}] {note.message}")


def _cut_off_text(card: Any) -> str:
    """``" as of 2026-10-20 18:00"`` for a month scored at a cut-off (--as-of), else empty."""
    from svcqa import as_of_text

    return f" as of {as_of_text(card.as_of)}" if card.as_of is not None else ""


def _print_summary_line(console: Console, run: Any) -> None:
    card = run.scorecard
    last = [printable(b.branch) for b in card.branches if "last_place" in b.flags]
    console.print(
        f"{card.month}{_cut_off_text(card)}: {card.assessed_count} branches ranked under {card.rubric_id}; "
        f"last place: {', '.join(last) or '-'}; outputs in {run.outputs['scorecard_xlsx'].parent}",
        markup=False,
        soft_wrap=True,
    )


def _print_run(console: Console, run: Any, rows: int) -> None:
    inferred = run.data.month_source == "inferred"
    _print_scorecard(
        console,
        run.scorecard,
        "inferred from the rows' dates" if inferred else "from --month",
        rows,
        run.lang,
    )
    parts = [
        f"{name} {s.rows} rows: {s.used} used, {s.excluded} excluded, {s.rejected} rejected"
        for name, s in run.data.stats.items()
    ]
    console.print("Inputs: " + "; ".join(parts), markup=False)
    if run.scorecard.as_of is not None:
        from svcqa import as_of_text

        console.print(
            f"Cut-off: {as_of_text(run.scorecard.as_of)} (--as-of): open rows are aged at it, "
            "not at the month's end",
            markup=False,
        )
    from svcqa import excluded_summary

    excluded = excluded_summary(run.data)
    if excluded:
        console.print(excluded, markup=False)
    console.print(
        f"Outputs: {run.outputs['scorecard_xlsx'].parent}/ (scorecard.xlsx, scorecard.json, scorecard.csv, rejects.xlsx, rejects.csv, excluded.csv)",
        markup=False,
    )
    if run.db_path:
        console.print(f"History: {run.db_path} (run {run.run_id})", markup=False)


def _print_later_months(run: Any) -> None:
    month = run.scorecard.month
    for later in run.rescored:
        rubric = run.rescored_rubrics.get(later)
        under = f", under its stored rubric {rubric}" if rubric else ""
        say(f"svcqa: re-scored {later} because it depends on {month}{under}")
    for later in run.stale:
        say(
            f"svcqa: warning: {later} was scored before {month} was stored and its input files have changed or moved; "
            f"re-score {later} to bring its quarter-to-date figures and streaks up to date"
        )


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


def change_text(current: float | None, previous: float | None) -> str:
    """``↑+2.50`` / ``↓-1.00`` / ``→0.00`` against last month's total; blank when there is none."""
    from svcqa import trend_arrow

    if current is None or previous is None:
        return ""
    delta = round(current - previous, 2)
    return f"{trend_arrow(delta)}{delta:+.2f}" if delta else "→0.00"


def _print_scorecard(
    console: Console, card: Any, month_note: str, limit: int, lang: str = "zh"
) -> None:
    from rich.table import Table

    from svcqa import flags_text, in_language, terminal_labels

    t, card = terminal_labels(lang), in_language(card, lang)
    title = t["score_title"].format(
        month=card.month,
        name=card.rubric_name,
        id=card.rubric_id,
        max=f"{card.rubric_max:g}",
        source=month_note,
    )
    table = Table(title=cell(title))
    for name, justify in HEADINGS:
        table.add_column(t[name], justify=justify)
    shown = shown_rows(card.branches, limit)
    for b in shown:
        if b is None:
            table.add_row("…", "", "", "", "", "", "", "")
            continue
        table.add_row(
            str(b.rank) if b.rank is not None else "-",
            cell(b.branch),
            f"{b.total:.2f}",
            change_text(b.total, b.prev_total),
            b.grade or "-",
            f"{b.coefficient:.2f}" if b.coefficient is not None else "-",
            str(b.last_place_streak) if b.last_place_streak else "",
            flags_text(b.flags, lang),
        )
    console.print(table)
    hidden = len(card.branches) - sum(b is not None for b in shown)
    if hidden:
        console.print(
            f"{hidden} of {len(card.branches)} branches not shown (… rows); all are in scorecard.xlsx, or print them with --rows 0",
            markup=False,
        )
