"""``svcqa appeal forms`` and ``appeal bulletin``: the appeal forms (申诉表) and the monthly
appeals bulletin (申诉月度通报).

Plain command functions plus ``register``, which adds them to the ``appeal`` command group
(the group itself, with ``add``, ``decide``, ``apply`` and ``status``, lives in its own module).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from svcqa.cli.app import handles_errors, stdout_console
from svcqa.cli.options import Branch, Db, LangOption, StoredMonth, month_text, out_help
from svcqa.errors import InputError
from svcqa.settings import Settings


@handles_errors
def appeal_forms_command(
    month: StoredMonth = None,
    branch: Branch = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help=out_help("appeals/"))] = None,
    db: Db = None,
    lang: LangOption = None,
) -> None:
    """Write the appeal forms (申诉表): per branch, every row that cost it points in the month.

    Each workbook lists the KPIs the branch lost points on and every ticket, complaint and
    attendance row behind them (table, id, file, sheet, Excel row, the value, the KPI's lost
    points), with yellow input cells for 申诉 (是/否), 申诉理由 and 佐证材料; every other cell is
    locked. Without --branch, one form per branch of the month.

    Example:  svcqa appeal forms --month 2026-10 --db svcqa.db
    """
    from svcqa import Month, issue_appeal_forms

    wanted = Month.parse(month) if month else None
    paths = issue_appeal_forms(
        db, wanted, branch=branch, out=out, lang=lang.value if lang else None
    )
    console = stdout_console()
    folder = paths[0].parent if paths else out
    console.print(f"{len(paths)} appeal form(s) in {folder}/", markup=False)
    for path in paths:
        console.print(f"  {path}", markup=False)


@handles_errors
def appeal_bulletin_command(
    month: Annotated[
        str, typer.Option("--month", "-m", parser=month_text, help="The month, YYYY-MM.")
    ],
    out: Annotated[Path | None, typer.Option("--out", "-o", help=out_help("appeals/"))] = None,
    db: Db = None,
    lang: LangOption = None,
) -> None:
    """Write the monthly appeals bulletin (申诉月度通报) as bulletin.html and bulletin.xlsx.

    Per branch: its appeals, the decisions and their reasons, the points restored, and total,
    rank and grade before -> after once the month was re-scored; the totals count appeals
    filed, accepted, rejected, late and pending.

    Example:  svcqa appeal bulletin --month 2026-10 --db svcqa.db
    """
    from svcqa import Month, appeal_bulletin

    wanted = Month.parse(month)
    records, paths = appeal_bulletin(db, wanted, out=out, lang=lang.value if lang else None)
    console = stdout_console()
    console.print(f"{wanted}: {len(records)} appeal(s) in the bulletin", markup=False)
    for path in paths:
        console.print(f"  {path}", markup=False)


@handles_errors
def appeal_collect_command(
    files: Annotated[list[Path], typer.Argument(help="Returned appeal forms (.xlsx).")],
    db: Db = None,
) -> None:
    """Record the appeals of returned appeal forms (申诉表), all or nothing.

    Each form is checked cell by cell: a cell changed outside the yellow input cells, 是 without
    a 申诉理由, or anything but 是/否 under 申诉 is a problem naming file, sheet and cell; then
    nothing is recorded (exit 1). The rows must be in the month, within the rubric's [appeals]
    window and max_per_branch; a late appeal is recorded as late and refused (exit 1).

    Example:  svcqa appeal collect svcqa-out/2026-10/appeals/*-appeal.xlsx --db svcqa.db
    """
    from svcqa import collect_appeal_forms

    collection, filed = collect_appeal_forms(db, files, limits=Settings.from_env().limits)
    if not collection.ok:
        raise InputError(
            f"{len(collection.problems)} problem(s) in the returned forms; nothing was recorded. "
            "Correct the forms (only the yellow cells may change) and collect again:",
            reasons=[p.message for p in collection.problems],
        )
    console = stdout_console()
    if filed is None:
        console.print(f"{collection.checked} form(s) checked: no row marked 是", markup=False)
        return
    console.print(
        f"{collection.checked} form(s) checked: {len(filed.recorded)} appeal(s) recorded",
        markup=False,
    )
    for appeal in filed.recorded:
        console.print(
            f"  appeal {appeal.id}: {appeal.branch} {appeal.table} {appeal.row_id} (pending)",
            markup=False,
        )
    if filed.late:
        raise InputError("appeal(s) refused and recorded as late:", reasons=filed.refused)


def register(group: typer.Typer) -> None:
    """Add ``forms``, ``collect`` and ``bulletin`` to the ``appeal`` command group ``group``."""
    group.command("forms")(appeal_forms_command)
    group.command("collect")(appeal_collect_command)
    group.command("bulletin")(appeal_bulletin_command)
