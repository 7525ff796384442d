"""Every file of the real-world corpus (../shared/corpus, see its MANIFEST.md) ends in a pinned outcome.

The corpus files are not svcqa months, so they are read at the reader layer (``read_sheets``:
sheet names, row and column counts, error cells) and then through ``ingest`` with no required
tables and a fixed month, whose accounting must add up for every table it recognises. Reading
happens in a child process with an address-space limit, one file after another: a reader that
aborts the process (a Rust panic with ``panic=abort``, an allocation failure) or runs away with
memory shows up as that file's failure instead of killing the test run. The corpus is read in
place and never copied into the repository.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from corpus_reader import corpus_files as _corpus_files
from corpus_reader import read_in_children

from conftest import CORPUS, requires_corpus

CHILD = r"""
import json, sys
from pathlib import Path
from svcqa.errors import SvcqaError
from svcqa.ingest import ingest
from svcqa.ingest.reading import read_sheets
from svcqa.models import Month

for name in sys.argv[2:]:
    path = Path(sys.argv[1]) / name
    print(json.dumps({"file": name, "started": True}), flush=True)
    result = {"file": name}
    try:
        sheets, notes = read_sheets(path)
        result["sheets"] = [[s.sheet, s.cells.num_rows, s.cells.num_columns, len(s.errors)] for s in sheets]
        result["notes"] = sorted({n.code for n in notes})
        try:
            data = ingest([path], required={}, month=Month(2026, 10))
            result["tables"] = {k: list(v.as_dict().values()) for k, v in data.stats.items()}
        except SvcqaError as exc:
            result["ingest_error"] = exc.code
    except SvcqaError as exc:
        result["error"] = [exc.code, str(exc)]
    print(json.dumps(result, ensure_ascii=False), flush=True)
"""

# file: ("read", [[sheet, rows, columns, error cells], ...], notes that must be present)
#    or ("refused", code, start of the message)
EXPECTED: dict[str, tuple] = {
    "calamine/OOM_alloc.xls": ("read", [["Weekly Report", 28, 23, 0]], {"hidden-sheet"}),
    "calamine/date_1904.xlsx": ("read", [["Sheet1", 3, 2, 0]], {"date-1904"}),
    "calamine/empty_sheet.xlsx": (
        "refused",
        "empty-sheet",
        "file empty_sheet.xlsx: the workbook has no data: every visible sheet is empty (sheets: 'Sheet1')",
    ),
    # seven formula errors: error cells, never '=5/0' text or silent blanks
    "calamine/errors.xlsx": ("read", [["Feuil1", 7, 1, 7]], {"empty-sheet"}),
    "calamine/gh548_incorrect_sst_unique_count.xls": (
        "read",
        [
            ["System Level Data", 60, 27, 0],
            ["Provider Level Data", 222, 29, 0],
            ["Non-Booked Data", 222, 29, 0],
            ["Booked Appointments Data", 222, 36, 0],
            ["Acute Trust Footprint Data", 145, 21, 0],
        ],
        {"hidden-sheet"},
    ),
    "calamine/has_x000D_.xlsx": ("read", [["Sheet1", 1, 1, 0]], set()),
    "calamine/header-row.xlsx": ("read", [["Sheet1", 10, 4, 0]], set()),
    "calamine/issue_594_dos.ods": (
        "refused",
        "too-large",
        "file issue_594_dos.ods: the sheet declares more cells than can be read safely",
    ),
    "calamine/merged_range.xlsx": ("read", [["Sheet1", 4, 8, 0], ["Sheet2", 4, 6, 0]], set()),
    "calamine/pass_protected.xlsx": (
        "refused",
        "encrypted",
        "file pass_protected.xlsx: the workbook is encrypted / password-protected",
    ),
    "calamine/strict_iso_paths.xlsx": ("read", [["ml_out", 76, 18, 0]], set()),
    "calamine/too_small.xls": ("refused", "not-a-workbook", "file too_small.xls: not a workbook"),
    "cs_complaints_bhakti/Consumer_Complaints.xlsx": ("read", [["Data", 62517, 12, 0]], set()),
    "cs_helpdesk_sla/Helpdesk_Report.xlsx": (
        "read",
        [
            ["Helpdesk_Tickets", 551, 21, 0],
            ["Ticket Viewer", 3, 10, 0],
            ["Summary", 11, 18, 0],
            ["Pivot Table", 12, 5, 0],
            ["Pivot Chart", 4, 2, 0],
        ],
        set(),
    ),
    "cs_helpdesk_sla/helpdesk_tickets.csv": ("read", [["", 566, 27, 0]], set()),
    "csv_gbk_penguins/penguins-chinese.csv": ("read", [["", 345, 8, 0]], set()),
    "easyexcel/dataformat.xls": ("read", [["Sheet1", 28, 7, 0]], {"empty-sheet"}),
    "easyexcel/date1_wps.xlsx": ("read", [["Sheet1", 2, 2, 0]], {"empty-sheet"}),
    "easyexcel/demo.xlsx": ("read", [["Sheet1", 11, 3, 0], ["Sheet2", 11, 3, 0]], set()),
    "easyexcel/office_bom.csv": ("read", [["", 11, 2, 0]], set()),
    "easyexcel/t01.xls": ("read", [["产品数据", 3, 18, 0]], set()),
    "easyexcel/t04_tencent_docs.xlsx": ("read", [["工作表1", 57, 12, 0]], set()),
    "fastexcel/fixture-changing-header-location.xlsx": (
        "read",
        [["Sheet1", 4, 2, 0], ["Sheet2", 2, 3, 0], ["Sheet3", 14, 2, 0]],
        set(),
    ),
    "fastexcel/fixture-sheets-different-visibilities.xlsx": (
        "read",
        [["Visible", 1, 2, 0]],
        {"hidden-sheet"},
    ),
    "fastexcel/fixture-single-sheet-duplicated-columns.xlsx": (
        "read",
        [["January", 3, 3, 0]],
        set(),
    ),
    "fastexcel/null-bytes-in-columns-names.xls": (
        "read",
        [["Coefficients RD V2", 8766, 11, 0]],
        set(),
    ),
    "fastexcel/single-sheet-skip-rows-durations.xlsx": ("read", [["Sheet1", 13, 34, 0]], set()),
    "frictionless/adjust-floating-point-error.xlsx": ("read", [["Sheet1", 6, 4, 0]], set()),
    "frictionless/bom.csv": ("read", [["", 3, 2, 0]], set()),
    "frictionless/defective-rows.csv": ("read", [["", 3, 4, 0]], set()),
    "frictionless/duplicate-headers.csv": ("read", [["", 3, 5, 0]], set()),
    "frictionless/empty.csv": (
        "refused",
        "empty-file",
        "file empty.csv: the file is empty (0 bytes)",
    ),
    "frictionless/merged-cells.xls": ("read", [["Лист1", 1, 1, 0]], set()),
    "frictionless/multiline-headers.xlsx": ("read", [["Лист1", 6, 4, 0]], set()),
    "frictionless/preserve-formatting-percentage.xlsx": ("read", [["Sheet1", 4, 2, 0]], set()),
    "frictionless/table-with-ints-floats-dates.ods": ("read", [["test", 4, 4, 0]], set()),
    "kpi_apollo_wps/.~Book.xlsx": (
        "refused",
        "lock-file",
        "file .~Book.xlsx: this is an Excel/WPS lock file",
    ),
    "kpi_apollo_wps/Book.xlsx": (
        "read",
        [
            ["Bugs", 13, 9, 0],
            ["Docs", 1, 7, 0],
            ["Jobs", 3, 8, 0],
            ["个人KPI日报模板", 2, 4, 0],
            ["个人KPI周报模板", 11, 12, 0],
            ["一周各平台投入度", 2, 6, 0],
            ["一周工作量汇总", 3, 8, 0],
        ],
        set(),
    ),
    "openpyxl/bigfoot.xlsx": (
        "refused",
        "empty-sheet",
        "file bigfoot.xlsx: the workbook has no data: every visible sheet is empty",
    ),
    "openpyxl/empty_no_dimensions.xlsx": (
        "read",
        [
            ["Sheet1 - Text", 5, 7, 0],
            ["Sheet2 - Numbers", 30, 11, 0],
            ["Sheet3 - Formulas", 2, 4, 0],
            ["Sheet4 - Dates", 1, 3, 0],
        ],
        set(),
    ),
    "openpyxl/null_archive.xlsx": (
        "refused",
        "not-a-workbook",
        "file null_archive.xlsx: a zip archive but not an Excel or ODS package",
    ),
    "openpyxl/null_file.xlsx": (
        "refused",
        "empty-file",
        "file null_file.xlsx: the file is empty (0 bytes)",
    ),
    "xlrd/biff4_no_format_no_window2.xls": (
        "refused",
        "not-a-workbook",
        "file biff4_no_format_no_window2.xls: an Excel 2.x-4.0 (BIFF2-4) worksheet, too old to read",
    ),
    "xlrd/corrupted_error.xls": (
        "read",
        [
            ["Трубы ВГП", 17, 7, 0],
            ["Трубы эл.св", 40, 7, 0],
            ["Трубы профильные", 71, 7, 0],
            ["УГОЛОК", 26, 7, 0],
            ["ШВЕЛЛЕР", 14, 7, 0],
            ["ЛИСТ", 12, 7, 0],
            ["КВАДРАТ", 7, 7, 0],
            ["КРУГ,АРМАТУРА", 19, 7, 0],
            ["ПОЛОСА", 10, 7, 0],
        ],
        set(),
    ),
}


@pytest.fixture(scope="module")
def outcomes() -> dict[str, dict]:
    """Each corpus file's result from the child reader; a file that kills the child is recorded as aborted."""
    return read_in_children(CORPUS, _corpus_files(), CHILD)


def test_a_file_that_aborts_the_reader_is_contained(tmp_path: Path) -> None:
    """A child killed by SIGABRT on one file yields 'aborted' for it and results for the files after it."""
    script = CHILD.replace(
        '    result = {"file": name}',
        "    result = {\"file\": name}\n    if name == 'b.csv': import os; os.abort()",
    )
    assert script != CHILD
    names = ["a.csv", "b.csv", "c.csv"]
    for name in names:
        (tmp_path / name).write_text("x,y\n1,2\n", encoding="utf-8")
    results = read_in_children(tmp_path, names, script)
    assert results["b.csv"]["aborted"] == -6
    assert results["a.csv"]["sheets"] == results["c.csv"]["sheets"] == [["", 2, 2, 0]]


@requires_corpus
def test_every_corpus_file_has_a_pinned_outcome() -> None:
    """No corpus file is left without an expected outcome, and no expectation names a missing file."""
    assert sorted(EXPECTED) == _corpus_files()


@requires_corpus
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_file_outcome(name: str, outcomes: dict[str, dict]) -> None:
    """The file is read with the pinned sheets and counts, or refused with its stable code and message."""
    result = outcomes[name]
    assert "aborted" not in result, f"the reader killed its process: {result}"
    expected = expected_kind, *rest = EXPECTED[name]
    if expected_kind == "refused":
        code, message = rest
        assert result.get("error", [None, ""])[0] == code, result
        assert result["error"][1].startswith(message), result["error"][1]
        return
    sheets, notes = rest
    assert "error" not in result, result
    assert result["sheets"] == sheets, expected
    assert all(
        rows > 0 and columns > 0 for _name, rows, columns, _errors in result["sheets"]
    )  # never silent-empty
    assert notes <= set(result["notes"])
    for table, (rows, used, excluded, rejected) in result.get("tables", {}).items():
        assert rows == used + excluded + rejected, (table, result["tables"])


@requires_corpus
def test_corpus_cells_that_carry_the_quirk() -> None:
    """The quirk each manifest line names is handled: 1904 dates unshifted, CR kept, header row 9, D1 stays D."""
    from svcqa.ingest.reading import read_sheets

    def first_sheet(name: str, index: int = 0) -> list[list[str | None]]:
        sheets, _ = read_sheets(CORPUS / name)
        return sheets[index].head(40)

    assert [r[0] for r in first_sheet("calamine/date_1904.xlsx")[:2]] == [
        "2021-01-01 00:00:00",
        "2021-01-02 00:00:00",
    ]
    assert first_sheet("calamine/has_x000D_.xlsx")[0] == ["ABC\r\nDEF"]
    header = first_sheet("calamine/header-row.xlsx")
    assert header[2] == [None, None, "Note 1", None] and header[8] == [
        "Columns",
        "Column A",
        "Column B",
        "Column C",
    ]
    numbers = first_sheet("openpyxl/empty_no_dimensions.xlsx", 1)
    assert (
        numbers[0][3] == "1" and numbers[0][10] == "0.01" and numbers[0][:3] == [None, None, None]
    )
    assert first_sheet("frictionless/bom.csv")[0][0] == "id"
