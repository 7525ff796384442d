"""``svcqa rubric list|show|check``: the scoring schemes."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from svcqa.cli.app import app, handles_errors, print_json, stderr_console, stdout_console
from svcqa.cli.options import Aliases, LangOption, RubricFormat, TableFormat, TableFormatOption
from svcqa.settings import Settings

rubric_app = typer.Typer(
    no_args_is_help=True,
    rich_markup_mode=None,
    help="List, show and check rubrics (scoring schemes as TOML files).\n\nExample:  svcqa rubric show gd-mobile-aftersales",
)
app.add_typer(rubric_app, name="rubric")


@rubric_app.command("list")
@handles_errors
def rubric_list_command(fmt: TableFormatOption = TableFormat.table) -> None:
    """List the rubric presets shipped with svcqa: id, name, number of KPIs, maximum score.

    Example:  svcqa rubric list
    """
    from rich.table import Table

    from svcqa import presets_document

    document = presets_document()
    if fmt == TableFormat.json:
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
    ref: Annotated[
        str,
        typer.Argument(help="Preset id (see `svcqa rubric list`) or path to a rubric .toml file."),
    ],
    fmt: Annotated[
        RubricFormat,
        typer.Option("--format", "-f", help="toml prints the source, to copy and edit."),
    ] = RubricFormat.table,
    lang: LangOption = None,
) -> None:
    """Show a rubric: its KPIs with thresholds and points, grade bands and fee coefficients.

    `--format toml` prints the rubric's TOML source, so a preset can be copied and edited.
    The table names the rubric, KPIs and grades in --lang (default: the rubric's language): in
    English by their English names (name_en, label_en) where the rubric gives them.

    Example:  svcqa rubric show gd-mobile-aftersales --format toml > my-rubric.toml
    """
    from svcqa import load_rubric, output_language

    rubric = load_rubric(ref)
    language = output_language(lang.value if lang else None, rubric.language)
    if fmt == RubricFormat.toml:
        text = rubric.source_text
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    elif fmt == RubricFormat.json:
        print_json(rubric.as_dict())
    else:
        _print_rubric(stdout_console(), rubric.as_dict(), language)


def _print_rubric(console: Console, document: dict[str, Any], lang: str = "zh") -> None:
    from rich.table import Table

    def named(item: dict[str, Any], name: str, english: str) -> str:
        return (item.get(english) or item[name]) if lang == "en" else item[name]

    english_grades = {g["name"]: named(g, "name", "label_en") for g in document["grades"]}
    document = {
        **document,
        "name": named(document, "name", "name_en"),
        "kpis": [{**k, "label": named(k, "label", "label_en")} for k in document["kpis"]],
        "grades": [{**g, "name": english_grades[g["name"]]} for g in document["grades"]],
        "failing_grades": [english_grades.get(g, g) for g in document["failing_grades"]],
    }
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
    for line in _rule_lines(document):
        console.print(line, markup=False)


def _rule_lines(document: dict[str, Any]) -> list[str]:
    """The rubric's rules beyond the KPIs, one plain sentence each."""
    last = "last place, " if document["rectify_last_place"] else ""
    review = document["contract_review_after"]
    incentives = document["incentives"]
    return [
        f"rectification: {last}grades {', '.join(document['failing_grades']) or '-'}",
        f"contract review after {review} months last in a row" if review else "no contract review",
        f"grace months for newly signed branches: {document['grace_months']}",
        f"timezone: {document['timezone']} · date order: {document['date_order']} · "
        f"language: {document['language']}",
        f"incentives: {incentives['table']}.{incentives['column']}"
        if incentives["enabled"]
        else "incentives: off",
    ] + [
        f"veto {v['id']}: {v['label']} ({v['table']}.{v['column']} ≥ {v['at_least']:g})"
        for v in document["vetoes"]
    ]


@rubric_app.command("check")
@handles_errors
def rubric_check_command(
    path: Annotated[Path, typer.Argument(help="The rubric .toml file to validate.")],
    fmt: TableFormatOption = TableFormat.table,
) -> None:
    """Validate a rubric file and report every problem at once, each with its key and line.

    Checks that KPI points add up to max, metric and curve kinds exist, thresholds are in order,
    tables and columns are known (or declared), and ids are unique. Exit code 1 when invalid.

    Example:  svcqa rubric check my-rubric.toml
    """
    from svcqa import check_rubric

    document = check_rubric(path)
    if fmt == TableFormat.json:
        print_json(document)
        return
    stdout_console().print(
        f"{path}: OK — {document['id']} ({document['name']}), {document['kpis']} KPIs, max {document['max']:g}",
        markup=False,
    )


@rubric_app.command("init")
@handles_errors
def rubric_init_command(
    export: Annotated[Path, typer.Argument(help="The export to start from: .xlsx, .xls or .csv.")],
    sheet: Annotated[
        str | None,
        typer.Option(
            "--sheet",
            help="The sheet to read (default: the one read as tickets, else the longest).",
        ),
    ] = None,
    aliases: Aliases = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Write the rubric to this file (atomically) instead of stdout."),
    ] = None,
) -> None:
    """Write a commented starter rubric from an export of your own.

    Reads the export as `svcqa score` does, reads its rows as the tickets table, maps the columns
    it recognises onto canonical ones (and guesses the id, branch and date columns it needs,
    marked in comments), declares every other column with the type its values show (flag with
    the spellings found, number, date or datetime, text), and writes example KPIs for the columns
    found (the share of a flag, the mean of a number, a share over 72 hours between two dates),
    points adding up to 100, three grades. `svcqa rubric check` accepts it and `svcqa score` runs
    it on the same export; edit the thresholds, points and grades to your rules.

    Example:  svcqa rubric init calls-2026-10.csv > my-rubric.toml
    """
    from svcqa import init_rubric

    environment = Settings.from_env()
    text = init_rubric(
        export,
        sheet=sheet,
        aliases_file=aliases,
        out=out,
        limits=environment.limits,
        spool_dir=environment.spool_dir,
    )
    if out is None:
        sys.stdout.write(text)
    else:
        stderr_console().print(f"written: {out}", markup=False)
