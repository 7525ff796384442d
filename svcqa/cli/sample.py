"""``svcqa sample``: write a realistic, deterministic sample month."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from svcqa.cli.app import app, handles_errors, stdout_console
from svcqa.cli.options import month_text


@app.command("sample")
@handles_errors
def sample_command(
    month: Annotated[
        str, typer.Option("--month", parser=month_text, help="The month to generate, YYYY-MM.")
    ],
    out: Annotated[Path, typer.Option("--out", help="Folder to write <month>.xlsx into.")] = Path(
        "."
    ),
    branches: Annotated[
        int, typer.Option("--branches", help="Branches in the month (one is newly signed).")
    ] = 40,
    tickets: Annotated[
        int, typer.Option("--tickets", help="Data rows on the tickets sheet (max 1,048,573).")
    ] = 20000,
    seed: Annotated[
        int, typer.Option("--seed", help="Same seed, month and sizes give the same workbook.")
    ] = 1,
    rework_flag: Annotated[
        bool,
        typer.Option(
            "--rework-flag/--no-rework-flag",
            help="Write the 是否返修 column (omit it to derive reworks from IMEI).",
        ),
    ] = True,
    complaint_rate: Annotated[
        float, typer.Option("--complaint-rate", help="Complaints per ticket, 0.03 = 3 %.")
    ] = 0.03,
) -> None:
    """Write a realistic, deterministic sample month workbook (tickets, complaints, attendance ...).

    The workbook carries the warts real exports have (title rows, mixed date forms, branch
    spellings, a few bad rows); generate consecutive months with the same seed and sizes so
    reworks refer to devices repaired in the earlier months.

    Example:  svcqa sample --month 2026-10 --branches 40 --tickets 20000 --seed 1 --out sample_data
    """
    from svcqa import Month, write_sample_month

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
