"""Shared helpers for the rectification tests: fill an issued XLSX form as a branch would."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import openpyxl

META = "_svcqa_form"
SHEET = "整改报告"
WEAK = "深圳龙岗（九）营业厅"  # last place in every sample month


def plan_rows(path: Path) -> list[dict[str, str]]:
    """The section-4 rows named in the form's hidden metadata sheet (kpi_id and cells)."""
    wb = openpyxl.load_workbook(path, read_only=True)
    rows = [r for r in wb[META].iter_rows(values_only=True)]
    wb.close()
    start = next(i for i, r in enumerate(rows) if r[0] == "row")
    head = rows[start]
    return [dict(zip(head, r)) for r in rows[start + 1 :] if r[0]]


def inputs(path: Path) -> dict[str, str]:
    import json

    wb = openpyxl.load_workbook(path, read_only=True)
    values = {r[0]: r[1] for r in wb[META].iter_rows(values_only=True) if r[0]}
    wb.close()
    return json.loads(values["inputs"])


def fill(
    src: Path,
    dst: Path,
    *,
    overrides: dict[str, Any] | None = None,
    deadline: datetime = datetime(2026, 11, 30),
) -> Path:
    """Type a measure, an owner and a deadline into every seeded plan row (and the text boxes),
    then apply ``overrides`` (cell -> value; None clears a cell), the way a branch fills the form in Excel."""
    wb = openpyxl.load_workbook(src)
    ws = wb[SHEET]
    for row in plan_rows(src):
        if not row["kpi_id"]:
            continue
        ws[row["measure"]] = f"{row['kpi_id']} 专项整改：每周复盘，专人跟进"
        ws[row["owner"]] = "王店长"
        ws[row["deadline"]] = deadline
    cells = inputs(src)
    ws[cells["cause"]] = "备件到货慢，人手不足"
    ws[cells["signer"]] = "王店长"
    for ref, value in (overrides or {}).items():
        ws[ref] = value
    wb.save(dst)
    return dst
