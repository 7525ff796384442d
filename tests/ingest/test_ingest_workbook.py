"""End-to-end ingest tests over small workbooks with known defects, and robustness cases."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pandas as pd
import pytest
import xlsxwriter

from svcqa.errors import InputError, LimitExceeded
from svcqa.ingest import Limits, ingest
from svcqa.ingest.csv_reader import decode_text
from svcqa.models import Month

from conftest import CORPUS, requires_corpus
from workbooks import defect_month


def test_defects_rejected_with_excel_rows_and_codes(make_workbook) -> None:
    """Each defective row is rejected (or excluded) with its Excel row number and stable code."""
    data = ingest([make_workbook(defect_month())])
    tickets = data.rejects[data.rejects["table"] == "tickets"]
    assert list(zip(tickets["row"], tickets["code"], strict=True)) == [
        (7, "unknown-service-type"),
        (8, "duplicate-id"),
        (10, "completed-before-accepted"),
        (11, "bad-date"),
        (12, "missing-value"),
        (13, "bad-flag"),
        (14, "bad-number"),
    ]
    assert data.excluded[["table", "row", "code"]].values.tolist() == [
        ["tickets", 9, "outside-month"]
    ]
    att = data.rejects[data.rejects["table"] == "attendance"]
    assert att[["row", "code", "value", "column"]].values.tolist() == [
        [3, "unknown-status", "请假", "出勤状态 (状态)"]
    ]
    dup = tickets[tickets["code"] == "duplicate-id"].iloc[0]
    assert (
        dup["reason"]
        == "duplicate 工单号 1001: first seen in month.xlsx '2026年10月工单明细' row 4 (kept)"
    )
    assert set(tickets["sheet"]) == {"2026年10月工单明细"} and set(tickets["file"]) == {
        "month.xlsx"
    }


def test_row_accounting_adds_up(make_workbook) -> None:
    """Blank rows are not data rows, and rows = used + excluded + rejected per table."""
    data = ingest([make_workbook(defect_month())])
    assert data.stats["tickets"].as_dict() == {"rows": 11, "used": 3, "excluded": 1, "rejected": 7}
    assert data.stats["attendance"].as_dict() == {
        "rows": 2,
        "used": 1,
        "excluded": 0,
        "rejected": 1,
    }
    for name, stats in data.stats.items():
        assert stats.used == len(data.tables[name])
        assert stats.rejected == int((data.rejects["table"] == name).sum())
        assert stats.excluded == int((data.excluded["table"] == name).sum())


def test_canonical_tables(make_workbook) -> None:
    """Used rows carry canonical names and types, branch keys and their Excel origin."""
    data = ingest([make_workbook(defect_month())])
    t = data.tables["tickets"]
    assert t["ticket_id"].tolist() == ["1001", "1002", "1010"]
    assert t["_row"].tolist() == [4, 5, 15]
    assert t["service_type"].tolist() == ["exchange", "non_warranty", "non_warranty"]
    assert t["accepted_at"].tolist() == [
        pd.Timestamp("2026-10-03 14:22"),
        pd.Timestamp("2026-10-04 09:05"),
        pd.Timestamp("2026-10-08 12:00"),
    ]
    assert pd.isna(t["completed_at"].iloc[1])
    assert t["is_rework"].tolist() == [False, True, True]
    assert t["rating"].tolist() == [5.0, 4.0, 3.0]
    assert t["branch"].tolist()[:2] == ["A店（北区）", "A店 (北区)"]
    assert t["branch_key"].tolist() == ["A店(北区)", "A店(北区)", "B店"]
    assert (
        str(t["accepted_at"].dtype) == "datetime64[ns]" and str(t["is_rework"].dtype) == "boolean"
    )
    assert data.tables["complaints"]["is_valid"].tolist() == [True]
    assert data.tables["attendance"]["status"].tolist() == ["present"]


def test_month_inferred_or_given(make_workbook) -> None:
    """The month is inferred from acceptance dates (and noted) unless given."""
    path = make_workbook(defect_month())
    inferred = ingest([path])
    assert (inferred.month, inferred.month_source) == (Month(2026, 10), "inferred")
    assert "month-inferred" in [n.code for n in inferred.notes]
    given = ingest([path], month=Month(2026, 9))
    assert given.month_source == "option"
    assert given.tables["tickets"]["ticket_id"].tolist() == ["1004"]
    assert given.stats["tickets"].excluded == 3


def test_branch_names_prefer_roster(make_workbook) -> None:
    """With a roster, its spelling is the display name and unknown branches are rejected."""
    sheets = defect_month()
    sheets["网点名单"] = [["网点名称", "区域"], ["A店（北区）", "北"], ["B店", "南"]]
    sheets["投诉"].append(["C2", "Z店", "2026-10-06", "其他"])
    data = ingest([make_workbook(sheets)])
    assert data.branch_names == {"A店(北区)": "A店（北区）", "B店": "B店"}
    unknown = data.rejects[data.rejects["code"] == "unknown-branch"]
    assert unknown[["table", "row", "value"]].values.tolist() == [["complaints", 3, "Z店"]]


def test_branch_names_most_rows_without_roster(make_workbook) -> None:
    """Without a roster the spelling most rows use is the display name."""
    sheets = defect_month()
    sheets["投诉"] += [
        ["C2", "A店 (北区)", "2026-10-05", "x"],
        ["C3", "A店 (北区)", "2026-10-05", "x"],
    ]
    assert ingest([make_workbook(sheets)]).branch_names["A店(北区)"] == "A店 (北区)"


def test_missing_column_names_headers(make_workbook) -> None:
    """A missing required column names file, sheet, the aliases expected and the headers found."""
    sheets = defect_month()
    sheets["2026年10月工单明细"] = [["工单号", "网点", "服务类型"], ["1", "A", "换机"]]
    with pytest.raises(InputError) as info:
        ingest([make_workbook(sheets, name="m.xlsx")])
    assert info.value.code == "missing-column"
    assert str(info.value).startswith(
        "file m.xlsx, sheet '2026年10月工单明细': read as the 工单 (tickets) table by its name, "
        "but no column for 受理时间 (accepted_at); "
        "expected one of 受理时间, 受理日期, 接单时间, accepted_at; found headers (header row 1): 工单号, 网点, 服务类型"
    )


def test_missing_table_lists_sheets(make_workbook) -> None:
    """A missing required table names the table, its sheet aliases and the sheets found."""
    sheets = defect_month()
    del sheets["出勤"]
    with pytest.raises(InputError) as info:
        ingest([make_workbook(sheets)])
    assert info.value.code == "missing-table"
    assert "no 出勤 (attendance) table: expected a sheet named like 出勤, 考勤" in str(info.value)
    assert "month.xlsx, sheet '投诉'" in str(info.value)
    assert ingest([make_workbook(sheets)], required={"tickets": []}).stats.keys() == {
        "tickets",
        "complaints",
    }


def test_table_by_headers_and_hidden_sheet(tmp_path: Path) -> None:
    """A sheet with an unknown name is recognised by headers; hidden sheets are skipped and noted."""
    path = tmp_path / "x.xlsx"
    book = xlsxwriter.Workbook(path)
    sheet = book.add_worksheet("Sheet1")
    for r, row in enumerate([["单号", "服务网点", "接单时间"], ["T1", "A", "2026-10-02"]]):
        sheet.write_row(r, 0, row)
    hidden = book.add_worksheet("投诉")
    hidden.write_row(0, 0, ["网点", "投诉时间"])
    hidden.hide()
    book.close()
    data = ingest([path], required={"tickets": []})
    assert data.tables["tickets"]["ticket_id"].tolist() == ["T1"]
    codes = [n.code for n in data.notes]
    assert "table-by-headers" in codes and "hidden-sheet" in codes
    assert "complaints" not in data.tables


def test_error_cells_rejected(tmp_path: Path) -> None:
    """Excel error values (#DIV/0!) in a mapped column reject the row with code error-cell."""
    path = tmp_path / "e.xlsx"
    book = xlsxwriter.Workbook(path)
    sheet = book.add_worksheet("工单")
    sheet.write_row(0, 0, ["工单号", "网点", "受理时间", "客户评分"])
    sheet.write_row(1, 0, ["T1", "A", "2026-10-02", 5])
    sheet.write_row(2, 0, ["T2", "A", "2026-10-02"])
    sheet.write_formula(2, 3, "=1/0", None, "#DIV/0!")
    book.close()
    data = ingest([path], required={"tickets": []})
    assert data.rejects[["row", "code", "value"]].values.tolist() == [[3, "error-cell", "#DIV/0!"]]
    assert data.stats["tickets"].as_dict() == {"rows": 2, "used": 1, "excluded": 0, "rejected": 1}


def test_several_files_and_csv(tmp_path: Path, make_workbook) -> None:
    """Tables may come from several files, including a CSV recognised by its file name."""
    book = make_workbook({"工单": defect_month()["2026年10月工单明细"][2:6]})
    csv_path = tmp_path / "投诉明细.csv"
    csv_path.write_bytes(
        "投诉单号,网点,投诉时间\nC1,A店,2026-10-05\n\nC2,B店,2026/10/6\n".encode("gb18030")
    )
    data = ingest([book, csv_path], required={"tickets": [], "complaints": []})
    complaints = data.tables["complaints"]
    assert complaints["_row"].tolist() == [2, 4] and complaints["_sheet"].tolist() == ["", ""]
    assert complaints["received_at"].tolist() == [
        pd.Timestamp("2026-10-05"),
        pd.Timestamp("2026-10-06"),
    ]


@requires_corpus
def test_gbk_csv_decoding() -> None:
    """A GBK CSV without BOM (Chinese Windows Excel) decodes via the GB18030 fallback."""
    text, encoding = decode_text(
        (CORPUS / "csv_gbk_penguins" / "penguins-chinese.csv").read_bytes()
    )
    assert encoding == "gb18030" and text.startswith("企鹅的种类")
    assert decode_text("\ufeff姓名".encode()) == ("姓名", "utf-8")


@requires_corpus
@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("calamine/pass_protected.xlsx", "encrypted"),
        ("openpyxl/null_file.xlsx", "empty-file"),
        ("openpyxl/null_archive.xlsx", "not-a-workbook"),
        ("calamine/too_small.xls", "not-a-workbook"),
        ("xlrd/biff4_no_format_no_window2.xls", "not-a-workbook"),
        ("calamine/empty_sheet.xlsx", "empty-sheet"),
        ("kpi_apollo_wps/.~Book.xlsx", "lock-file"),
        ("calamine/issue_594_dos.ods", "too-large"),
    ],
)
def test_bad_files_raise_input_error(name: str, code: str) -> None:
    """Hostile or broken files end in an InputError with a stable code, never a traceback."""
    with pytest.raises(InputError) as info:
        ingest([CORPUS / name])
    assert info.value.code == code
    if code == "encrypted":
        assert "encrypted / password-protected" in str(info.value)


def test_truncated_zip_is_corrupt(tmp_path: Path, make_workbook) -> None:
    """A truncated xlsx is reported as corrupt."""
    good = make_workbook(defect_month()).read_bytes()
    path = tmp_path / "cut.xlsx"
    path.write_bytes(good[: len(good) // 2])
    with pytest.raises(InputError) as info:
        ingest([path])
    assert info.value.code == "corrupt"


def test_lock_file_skipped_beside_workbook(tmp_path: Path, make_workbook) -> None:
    """A lock file next to the workbook in a folder is skipped with a note."""
    make_workbook(defect_month())
    (tmp_path / "~$month.xlsx").write_bytes(b"\x06kelvin" + b" " * 50)
    data = ingest([tmp_path])
    assert "lock-file" in [n.code for n in data.notes] and data.stats["tickets"].rows == 11


def test_limits(tmp_path: Path, make_workbook) -> None:
    """Limits refuse big files, bomb-like zips and long sheets, naming the limit and how to raise it."""
    path = make_workbook(defect_month())
    with pytest.raises(LimitExceeded, match="max_file_bytes .* SVCQA_MAX_FILE_BYTES"):
        ingest([path], limits=Limits(max_file_bytes=100))
    with pytest.raises(LimitExceeded, match="max_rows_per_sheet"):
        ingest([path], limits=Limits(max_rows_per_sheet=5))
    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (20 * 1024**2))
    with pytest.raises(LimitExceeded, match="compression ratio"):
        ingest([bomb])
    assert Limits.from_env({"SVCQA_MAX_SHEETS": "3"}).max_sheets == 3


def test_header_only_optional_table_is_zero_rows(make_workbook) -> None:
    """A header-only sheet for an optional table is a 0-row table, not an error."""
    sheets = defect_month()
    sheets["纪律"] = [["日期", "网点", "违纪事项", "扣分"]]
    data = ingest([make_workbook(sheets)])
    assert data.stats["discipline"].as_dict() == {
        "rows": 0,
        "used": 0,
        "excluded": 0,
        "rejected": 0,
    }
    assert len(data.tables["discipline"]) == 0


@requires_corpus
def test_date_1904_workbook() -> None:
    """Dates in a 1904-system workbook are not shifted."""
    from svcqa.ingest.fast.workbook import Workbook

    book = Workbook(CORPUS / "calamine" / "date_1904.xlsx", Limits())
    assert book.date1904
    assert book.load(book.sheets[0].name).head(2)[0][0] == "2021-01-01 00:00:00"


def test_sheet_close_to_a_needed_table_names_its_missing_columns(make_workbook) -> None:
    """A sheet matching most of a needed table's headers but not all is named with its missing columns and the alias fix."""
    sheets = defect_month()
    del sheets["2026年10月工单明细"]
    sheets["Sheet1"] = [["工单号", "网点", "受理时间", "类别"], ["T1", "A店", "2026-10-03", "换机"]]
    required = {"tickets": ["service_type"], "complaints": [], "attendance": []}
    with pytest.raises(InputError) as info:
        ingest([make_workbook(sheets, name="m.xlsx")], required=required)
    assert info.value.code == "missing-column"
    assert str(info.value).startswith(
        "file m.xlsx, sheet 'Sheet1': read as the 工单 (tickets) table by its headers, but no "
        "column for 服务类型 (service_type); expected one of 服务类型, 业务类型, service_type; "
        "found headers (header row 1): 工单号, 网点, 受理时间, 类别"
    )
    assert info.value.reasons[-1].endswith(
        '\n    [aliases.tickets]\n    service_type = ["<the header you use>"]'
    )


def test_sheet_matching_few_headers_is_still_a_missing_table(make_workbook) -> None:
    """A sheet sharing only two of five needed columns with tickets is not taken for it: the table is missing."""
    sheets = defect_month()
    del sheets["2026年10月工单明细"]
    sheets["Sheet1"] = [["工单号", "网点", "类别"], ["T1", "A店", "换机"]]
    required = {"tickets": ["service_type", "completed_at"], "complaints": [], "attendance": []}
    with pytest.raises(InputError) as info:
        ingest([make_workbook(sheets, name="m.xlsx")], required=required)
    assert info.value.code == "missing-table"


def test_mapping_and_excluded_months(make_workbook) -> None:
    """The read month carries the mapping (sheet, why, header per column, unused headers) and excluded rows per month."""
    sheets = defect_month()
    sheets["2026年10月工单明细"][2] = [*sheets["2026年10月工单明细"][2], "备注"]
    data = ingest([make_workbook(sheets, name="m.xlsx")], month=Month(2026, 10))
    assert data.excluded_months == {"tickets": {"2026-09": 1}}
    tickets = next(t for t in data.mapping if t["table"] == "tickets")
    (sheet,) = tickets["sheets"]
    assert (sheet["file"], sheet["sheet"], sheet["by"], sheet["header_row"]) == (
        "m.xlsx",
        "2026年10月工单明细",
        "name",
        3,
    )
    assert sheet["why"] == "its name '2026年10月工单明细' matches '工单明细'"
    headers = {c["column"]: c["header"] for c in sheet["columns"]}
    assert headers == {
        "ticket_id": "工单号",
        "branch": "网点",
        "service_type": "服务类型",
        "accepted_at": "受理时间",
        "completed_at": "完成时间",
        "device_id": None,
        "is_rework": "是否返修",
        "rating": "客户评分",
    }
    assert sheet["unused_headers"] == ["备注"]
