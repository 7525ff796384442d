"""Wide sheets: real date headers and a merged 网点 cell are read as the user sees them."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import openpyxl

from svcqa.ingest import ingest
from svcqa.rubric import load_rubric_text

RUBRIC = """
id = "wide"
name = "Wide"
max = 10

[tables.attendance]
layout = "wide"
key_columns = ["branch", "姓名"]

[[kpis]]
id = "absence"
label = "缺勤"
points = 10
metric = { kind = "count", table = "attendance", filter = { status = "absent" } }
curve = { kind = "deduct", per = 1 }

[[grades]]
name = "ok"
min = 0
coefficient = 1
"""


def test_date_headers_and_merged_branch(tmp_path: Path) -> None:
    """Date-cell headers give the day (no month needed), a vertically merged 网点 names both rows, a blank cell is no row."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "考勤"
    sheet.append(["网点", "姓名", date(2026, 10, 1), date(2026, 10, 2)])
    sheet.append(["A店", "张三", "缺勤", None])
    sheet.append([None, "李四", "迟到", "√"])
    sheet.merge_cells("A2:A3")
    book.save(tmp_path / "d.xlsx")
    rubric = load_rubric_text(RUBRIC)
    assert rubric.declared_tables["attendance"].key_columns == ("branch", "staff")
    data = ingest(
        [tmp_path / "d.xlsx"],
        required=rubric.required_columns(),
        tables=rubric.declared_tables,
    )
    table = data.tables["attendance"]
    got = list(
        zip(table["date"].dt.day, table["branch"], table["staff"], table["status"], table["_row"])
    )
    assert got == [
        (1, "A店", "张三", "absent", 2),
        (1, "A店", "李四", "late", 3),
        (2, "A店", "李四", "present", 3),
    ]
    assert data.rejects.empty and data.stats["attendance"].rows == 3
