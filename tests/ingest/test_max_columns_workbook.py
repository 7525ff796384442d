"""SVCQA_MAX_COLUMNS applies to workbook sheets as to CSVs (issue 19): a sheet wider than the
limit is refused with the file, the sheet (or its zip member), its width and the variable."""

from __future__ import annotations

from pathlib import Path

import pytest
import xlsxwriter
from typer.testing import CliRunner

from svcqa.cli import app
from svcqa.errors import LimitExceeded
from svcqa.ingest import ingest
from svcqa.ingest.safety.limits import Limits
from svcqa.models import Month

TICKETS_ONLY = {"tickets": ("ticket_id", "branch", "accepted_at")}
RAISE = (
    "If the file is genuine, raise the limit with the environment variable SVCQA_MAX_COLUMNS "
    "(or Limits(max_columns=...) in code)."
)


def wide_month(path: Path, width: int) -> Path:
    """A tickets sheet of ``width`` columns: the five ticket columns, then x1, x2 ..."""
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("工单")
    head = ["工单号", "网点", "服务类型", "受理时间", "完成时间"]
    sheet.write_row(0, 0, head + [f"x{i}" for i in range(1, width - 4)])
    row = ["T1", "A店", "换机", "2026-10-03 10:00", "2026-10-04 10:00"]
    sheet.write_row(1, 0, row + ["v"] * (width - 5))
    book.close()
    return path


@pytest.mark.parametrize("reader", [None, "inprocess"])
def test_a_sheet_wider_than_the_limit_is_refused_naming_the_sheet(
    tmp_path: Path, reader: str | None
) -> None:
    """24 columns (A..X, read by the reader) over max_columns = 20: refused naming file and sheet."""
    path = wide_month(tmp_path / "wide.xlsx", 24)
    with pytest.raises(LimitExceeded) as info:
        ingest([path], required=TICKETS_ONLY, limits=Limits(max_columns=20), reader=reader)
    assert str(info.value) == (
        "file wide.xlsx, sheet '工单': the sheet has 24 columns, over the limit max_columns = 20. "
        + RAISE
    )


def test_a_sheet_at_the_limit_is_read(tmp_path: Path) -> None:
    """24 columns with max_columns = 24: the ticket is read."""
    path = wide_month(tmp_path / "wide.xlsx", 24)
    data = ingest(
        [path], month=Month(2026, 10), required=TICKETS_ONLY, limits=Limits(max_columns=24)
    )
    assert data.tables["tickets"]["ticket_id"].tolist() == ["T1"]


def test_a_part_wider_than_the_limit_is_refused_by_the_package_scan(tmp_path: Path) -> None:
    """40 columns (to AN) over max_columns = 30: the package scan names the zip member."""
    path = wide_month(tmp_path / "wide.xlsx", 40)
    with pytest.raises(LimitExceeded) as info:
        ingest([path], required=TICKETS_ONLY, limits=Limits(max_columns=30))
    assert str(info.value) == (
        "file wide.xlsx: zip member xl/worksheets/sheet1.xml has 40 columns, over the limit "
        "max_columns = 30. " + RAISE
    )


def test_the_command_line_limit_applies_to_workbooks(tmp_path: Path) -> None:
    """`svcqa check` with SVCQA_MAX_COLUMNS=20 on a 24-column sheet exits 1 with one message line."""
    path = wide_month(tmp_path / "wide.xlsx", 24)
    result = CliRunner().invoke(app, ["check", str(path)], env={"SVCQA_MAX_COLUMNS": "20"})
    assert result.exit_code == 1
    assert result.stderr.startswith(
        "svcqa: error: file wide.xlsx, sheet '工单': the sheet has 24 columns, over the limit"
    )
    assert "Traceback" not in result.stderr
