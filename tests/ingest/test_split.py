"""A large worksheet read in two parts on two cores (svcqa/ingest/fast/split.py) gives exactly the
table of a whole-sheet read, or falls back to one."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pyarrow as pa
import pytest
import xlsxwriter

from svcqa.errors import LimitExceeded
from svcqa.ingest.fast import split
from svcqa.ingest.fast.workbook import Workbook
from svcqa.ingest.raw import RawSheet
from svcqa.ingest.safety.limits import Limits

import hostile_files as hf
from conftest import CORPUS, requires_corpus

WHOLE = 1 << 62  # a threshold no part reaches


def read_all(
    path: Path, monkeypatch: pytest.MonkeyPatch, threshold: int
) -> tuple[list[RawSheet], Workbook]:
    """Every visible sheet through ``load_many`` (the reader child), splitting parts of at least
    ``threshold`` bytes."""
    monkeypatch.setattr(split, "SPLIT_BYTES", threshold)
    book = Workbook(path, Limits())
    try:
        return list(book.load_many(book.visible_names)), book
    finally:
        book.close()


def assert_same(whole: list[RawSheet], parted: list[RawSheet]) -> None:
    assert [s.sheet for s in whole] == [s.sheet for s in parted]
    for a, b in zip(whole, parted, strict=True):
        # Same names and values; a split column may be nullable where the whole one is not.
        assert b.cells.column_names == a.cells.column_names, a.sheet
        assert all(x.equals(y) for x, y in zip(b.cells.columns, a.cells.columns, strict=True)), (
            a.sheet
        )
        assert b.errors == a.errors, a.sheet


@pytest.fixture
def joins(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Records, for reads in this process, whether each split was joined (True) or given up."""
    seen: list[bool] = []
    original = split.join_parts

    def spy(*args: object) -> pa.Table | None:
        joined = original(*args)  # type: ignore[arg-type]
        seen.append(joined is not None)
        return joined

    monkeypatch.setattr(split, "join_parts", spy)
    return seen


def read_here(path: Path, monkeypatch: pytest.MonkeyPatch, name: str = "工单") -> RawSheet:
    """One sheet read split in this process (so that ``joins`` sees it)."""
    monkeypatch.setattr(split, "SPLIT_BYTES", 1)
    book = Workbook(path, Limits())
    book.split = split.members_to_split(path, [name])
    assert name in book.split
    return book.load(name)


def export(path: Path, rows: int = 3000) -> Path:
    """An export as Excel writes it: shared strings, a merged title, a blank row, dates,
    numbers, error cells, a gap of blank rows and a column used only near the end."""
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("工单")
    stamp = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    sheet.merge_range(0, 0, 0, 4, "2026年10月工单明细")
    sheet.write_row(2, 0, ["工单号", "网点名称", "受理时间", "客户评分", "备注"])
    for i in range(rows):
        r = 3 + i + (40 if i > rows // 2 else 0)  # rows 40 further down after the middle
        sheet.write_string(r, 0, f"WX{i:08d}")
        sheet.write_string(r, 1, f"广州{i % 7}服务点")
        sheet.write_number(r, 2, 46296.25 + i / 1000, stamp)
        if i % 97 == 0:
            sheet.write_formula(r, 3, "=1/0", None, "#DIV/0!")
        else:
            sheet.write_number(r, 3, i % 5 + 1)
        if i > rows - 10:
            sheet.write_string(r, 6, "late column")
    book.close()
    return path


def test_an_export_read_split_equals_the_whole_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, joins: list[bool]
) -> None:
    path = export(tmp_path / "month.xlsx")
    whole, _ = read_all(path, monkeypatch, WHOLE)
    parted = read_here(path, monkeypatch)
    assert joins == [True]
    assert_same(whole, [parted])
    assert parted.cells.num_rows == whole[0].cells.num_rows == 3043
    assert len(parted.errors) == 31  # the #DIV/0! cells, at their Excel rows


def test_the_reader_child_splits_and_gives_the_same_sheets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = export(tmp_path / "month.xlsx")
    whole, _ = read_all(path, monkeypatch, WHOLE)
    parted, book = read_all(path, monkeypatch, 1)
    assert list(book.split) == ["工单"]
    assert_same(whole, parted)


@requires_corpus
@pytest.mark.parametrize(
    "path",
    sorted(p for p in CORPUS.rglob("*") if p.suffix.lower() in (".xlsx", ".xlsm")),
    ids=lambda p: str(p.relative_to(CORPUS)),
)
def test_corpus_workbooks_read_split_equal_the_whole_read(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every sheet of the real-world workbooks (Excel, WPS, LibreOffice, generators), split at
    whatever row boundary falls past the share, or given up, reads as the whole sheet does."""
    try:
        whole, _ = read_all(path, monkeypatch, WHOLE)
    except Exception:  # noqa: BLE001 - files refused whole (hostile, encrypted) are not this test's subject
        pytest.skip("not readable whole")
    parted, _ = read_all(path, monkeypatch, 1)
    assert_same(whole, parted)


def sheet_xml(rows: list[bytes], prefix: bytes = b"") -> bytes:
    p = prefix
    ns = hf.NS.replace(b"xmlns=", b"xmlns:" + p[:-1] + b"=") if p else hf.NS
    return (
        b'<?xml version="1.0" encoding="UTF-8"?><'
        + p
        + b"worksheet "
        + ns
        + b"><"
        + p
        + b"sheetData>"
        + b"".join(rows)
        + b"</"
        + p
        + b"sheetData></"
        + p
        + b"worksheet>"
    )


def row(number: int | None, text: str, prefix: bytes = b"", column: str = "A") -> bytes:
    p = prefix
    r = b' r="%d"' % number if number is not None else b""
    ref = b' r="%s%d"' % (column.encode(), number) if number is not None else b""
    return (
        b"<"
        + p
        + b"row"
        + r
        + b"><"
        + p
        + b"c"
        + ref
        + b' t="inlineStr"><'
        + p
        + b"is><"
        + p
        + b"t>"
        + text.encode()
        + b"</"
        + p
        + b"t></"
        + p
        + b"is></"
        + p
        + b"c></"
        + p
        + b"row>"
    )


def package(tmp_path: Path, xml: bytes, name: str = "m.xlsx") -> Path:
    return hf.write_package(tmp_path / name, hf.package_parts(xml))


def test_a_prefixed_namespace_splits_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, joins: list[bool]
) -> None:
    path = package(tmp_path, sheet_xml([row(i, f"v{i}", b"x:") for i in range(1, 400)], b"x:"))
    whole, _ = read_all(path, monkeypatch, WHOLE)
    assert_same(whole, [read_here(path, monkeypatch)])
    assert joins == [True]


def test_rows_out_of_order_are_read_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, joins: list[bool]
) -> None:
    """A forged order (row 900 first) would overlap the parts: the split is given up."""
    rows = [row(900, "first")] + [row(i, f"v{i}") for i in range(1, 400)]
    path = package(tmp_path, sheet_xml(rows))
    whole, _ = read_all(path, monkeypatch, WHOLE)
    assert_same(whole, [read_here(path, monkeypatch)])
    assert joins == [False]


def test_rows_without_numbers_are_read_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, joins: list[bool]
) -> None:
    """Without r="N" the second part could not keep its rows' places; nothing is split."""
    path = package(tmp_path, sheet_xml([row(None, f"v{i}") for i in range(400)]))
    whole, _ = read_all(path, monkeypatch, WHOLE)
    parted = read_here(path, monkeypatch)
    assert_same(whole, [parted])
    assert parted.cells.num_rows == 400
    assert joins == []


def test_a_formula_without_a_value_in_a_split_sheet_is_noted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = [row(i, f"v{i}") for i in range(1, 400)] + [
        b'<row r="400"><c r="A400"><f>1+1</f></c></row>'
    ]
    path = package(tmp_path, sheet_xml(rows))
    _, book = read_all(path, monkeypatch, 1)
    assert list(book.split) == ["工单"] and book.uncalculated


def test_a_split_sheet_spanning_too_many_cells_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The split reader runs the package scan's extent check on the part (the scan skips it)."""
    rows = [row(i, f"v{i}") for i in range(1, 400)] + [row(1048576, "far", column="XFD")]
    path = package(tmp_path, sheet_xml(rows))
    with pytest.raises(LimitExceeded, match="spans 1,048,576 rows x 16,384 columns"):
        read_all(path, monkeypatch, 1)


def test_only_large_worksheet_parts_are_split(tmp_path: Path) -> None:
    path = package(tmp_path, sheet_xml([row(i, f"v{i}") for i in range(1, 400)]))
    assert split.members_to_split(path, ["工单"]) == {}
    with zipfile.ZipFile(path) as archive:
        size = archive.getinfo("xl/worksheets/sheet1.xml").file_size
    assert size < split.SPLIT_BYTES


def test_join_parts_keeps_absolute_rows_and_widens_the_narrower_part() -> None:
    first = pa.table({"0": ["title", None, "a"]})
    second = pa.table({"0": [None, None, None, None, "b"], "1": [None, None, None, None, "x"]})
    joined = split.join_parts(first, second, 4)
    assert joined is not None
    assert joined.to_pydict() == {
        "0": ["title", None, "a", None, "b"],
        "1": [None, None, None, None, "x"],
    }
    assert split.join_parts(first, second, 2) is None  # the first part reaches past the split row
    assert split.join_parts(first, pa.table({"0": ["early", None, None, None, "b"]}), 4) is None
