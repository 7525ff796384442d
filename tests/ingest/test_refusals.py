"""Refusals with the right code and the right sheet: legacy passwords, doubled zip members, legends."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from svcqa.cli import app
from svcqa.errors import InputError
from svcqa.ingest import ingest

import hostile_files as hf
from conftest import write_workbook

runner = CliRunner()
XLS_FIXTURE = Path(__file__).parent / "data" / "date1904.xls"
EMPTY_SHEET = (
    b'<?xml version="1.0" encoding="UTF-8"?><worksheet ' + hf.NS + b"><sheetData/></worksheet>"
)


def _check(path: Path, tmp_path: Path):
    result = runner.invoke(app, ["check", str(path), "--out", str(tmp_path / "out")])
    assert "Traceback" not in result.output
    return result


def test_an_xor_obfuscated_xls_is_encrypted_not_corrupt(tmp_path: Path) -> None:
    """A BIFF8 .xls saved with a password under XOR obfuscation is refused as `encrypted`."""
    path = hf.xor_obfuscated_xls(tmp_path / "locked.xls", XLS_FIXTURE)
    result = _check(path, tmp_path)
    assert result.exit_code == 1
    assert result.stderr.startswith(
        "svcqa: error: file locked.xls: the workbook is encrypted / password-protected (an Excel "
        "97-2003 file with a password to open: XOR obfuscation); open it in Excel or WPS, remove "
        "the password"
    ), result.stderr
    with pytest.raises(InputError) as info:
        ingest([path])
    assert info.value.code == "encrypted"


def test_the_unprotected_xls_it_is_built_from_still_reads(tmp_path: Path) -> None:
    """The same .xls without the FILEPASS record is read as before (no false alarm)."""
    data = ingest([XLS_FIXTURE], required={"tickets": []})
    assert data.stats["tickets"].rows == 2


@pytest.mark.parametrize(
    ("second", "shown"),
    [
        ("xl/worksheets/sheet1.xml", "the zip member 'xl/worksheets/sheet1.xml' twice"),
        (
            "xl/worksheets/Sheet1.xml",
            "the zip members 'xl/worksheets/sheet1.xml' and 'xl/worksheets/Sheet1.xml', one part "
            "name (names ignore case)",
        ),
    ],
)
def test_a_package_with_a_member_twice_is_corrupt_and_names_it(
    tmp_path: Path, second: str, shown: str
) -> None:
    """Two members of one name (an empty sheet after the real one) are refused as `corrupt`."""
    source = write_workbook(
        tmp_path / "source.xlsx",
        {"出勤": [["日期", "网点", "出勤状态"], ["2026-10-01", "A店", "正常"]]},
    )
    path = hf.with_duplicate_member(source, tmp_path / "twice.xlsx", second, EMPTY_SHEET)
    result = _check(path, tmp_path)
    assert result.exit_code == 1
    assert result.stderr.startswith(
        f"svcqa: error: file twice.xlsx: the package lists {shown}; a reader would take one copy "
        "and ignore the other, so the file is corrupt or forged"
    ), result.stderr
    with pytest.raises(InputError) as info:
        ingest([path], required={"attendance": []})
    assert info.value.code == "corrupt"


LEGEND = [["Code", "Meaning"], ["P", "present"], ["A", "absent"], ["L", "late"]]
WEEK_1 = [["Date", "Staff", "Mark"], ["2026-10-01", "Ann", "P"], ["2026-10-02", "Bob", "A"]]
WEEK_2 = [["Date", "Staff", "Mark"], ["2026-10-08", "Ann", "L"]]


def test_a_legend_named_like_the_table_loses_to_the_sheets_holding_the_data(
    tmp_path: Path,
) -> None:
    """With `Attendance Key` beside two week sheets, the missing columns are named on `Week 1`."""
    path = write_workbook(
        tmp_path / "attendance.xlsx",
        {"Attendance Key": LEGEND, "Week 1": WEEK_1, "Week 2": WEEK_2},
    )
    with pytest.raises(InputError) as info:
        ingest([path], required={"attendance": ["staff"]})
    error = info.value
    assert error.code == "missing-column"
    assert str(error).startswith(
        "file attendance.xlsx, sheet 'Week 1': read as the 出勤 (attendance) table by its headers, "
        "but no column for 网点 (branch)"
    )
    assert "found headers (header row 1): Date, Staff, Mark" in str(error)
    assert (
        error.reasons[0]
        == "no column for 出勤状态 (status); expected one of 出勤状态, 状态, status"
    )
    assert "Attendance Key" not in str(error)


def test_a_legend_named_like_the_table_is_ignored_when_a_data_sheet_fits(tmp_path: Path) -> None:
    """When a week sheet has every needed column, it is read and the legend is left out."""
    week = [["日期", "网点", "人员", "出勤状态"], ["2026-10-01", "A店", "Ann", "正常"]]
    path = write_workbook(tmp_path / "attendance.xlsx", {"Attendance Key": LEGEND, "Week 1": week})
    data = ingest([path], required={"attendance": []})
    assert list(data.tables["attendance"]["_sheet"]) == ["Week 1"]
    ignored = [n.message for n in data.notes if n.code == "sheet-ignored"]
    assert any("'Attendance Key'" in message for message in ignored), ignored


def test_a_sheet_with_a_few_columns_alone_is_still_a_missing_table(tmp_path: Path) -> None:
    """Week sheets with a few attendance columns and no sheet named like it: `missing-table`."""
    path = write_workbook(tmp_path / "attendance.xlsx", {"Week 1": WEEK_1})
    with pytest.raises(InputError) as info:
        ingest([path], required={"attendance": ["staff"]})
    assert info.value.code == "missing-table"
