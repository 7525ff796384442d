"""Hostile and messy inputs through ``svcqa check``: each ends in an exact, pinned outcome.

Every case is generated into ``tmp_path`` (tests/helpers/hostile_files.py builds the hand-made zips);
only the real encrypted workbook comes from the shared corpus. Outcomes are either exit 1 with a
one-line message naming file/sheet (and the limit plus its environment variable for bombs), or
exit 0 with the bad rows in rejects.csv under a stable code and their Excel row and column.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
from typer.testing import CliRunner

from svcqa.cli import app
from svcqa.errors import InputError
from svcqa.ingest import ingest
from svcqa.ingest.safety import package as package_module
from svcqa.ingest.safety.package import _central_directory, zip_member_count
from svcqa.output import safe_filename

import hostile_files as hf
from conftest import CORPUS, SAMPLE_DATA, write_workbook

runner = CliRunner()
HEAD = ["工单号", "网点", "服务类型", "受理时间", "完成时间", "是否返修", "客户评分"]
COMPLAINTS = [["投诉单号", "网点", "投诉时间", "投诉类别"], ["C1", "A店", "2026-10-05", "态度"]]
ATTENDANCE = [["日期", "网点", "人员", "状态"], ["2026-10-01", "A店", "张三", "正常"]]


def month(tickets: list[list[object]] | None = None) -> dict[str, list[list[object]]]:
    """A minimal valid month whose tickets sheet the case replaces."""
    return {
        "工单": tickets
        or [HEAD, ["T1", "A店", "换机", "2026-10-03 10:00", "2026-10-04 10:00", "否", 5]],
        "投诉": COMPLAINTS,
        "出勤": ATTENDANCE,
    }


def xlsxwriter_book(
    path: Path,
    sheets: dict[str, list[list[object]]],
    *,
    options: dict | None = None,
    merges: dict[str, list[tuple[int, int, int, int, str]]] | None = None,
) -> Path:
    """Write with xlsxwriter (as Excel does: cached values, real date cells, merges); None = no cell."""
    book = xlsxwriter.Workbook(path, {"strings_to_numbers": False, **(options or {})})
    when = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    for name, rows in sheets.items():
        sheet = book.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if isinstance(value, datetime):
                    sheet.write_datetime(r, c, value, when)
                elif value is not None:
                    sheet.write(r, c, value)
        for r0, c0, r1, c1, text in (merges or {}).get(name, []):
            sheet.merge_range(r0, c0, r1, c1, text)
    book.close()
    return path


@dataclass
class Outcome:
    """What ``svcqa check`` did: exit code, stderr, the JSON document, rejects.csv and excluded.csv rows."""

    exit_code: int
    stderr: str
    document: dict = field(default_factory=dict)
    rejects: list[tuple[int, str, str, str]] = field(
        default_factory=list
    )  # (row, column, code, value)
    excluded: list[tuple[int, str, str, str]] = field(default_factory=list)  # excluded.csv, same

    def table(self, name: str) -> tuple[int, int, int, int]:
        stats = next(t for t in self.document["tables"] if t["table"] == name)
        return stats["rows"], stats["used"], stats["excluded"], stats["rejected"]

    @property
    def notes(self) -> list[str]:
        return [n["code"] for n in self.document.get("notes", [])]


def check(
    tmp_path: Path, *paths: Path, month_arg: str | None = "2026-10", env: dict | None = None
) -> Outcome:
    out = tmp_path / "out"
    args = ["check", *map(str, paths), "--out", str(out), "--format", "json"]
    if month_arg:
        args += ["--month", month_arg]
    result = runner.invoke(app, args, env=env)
    assert "Traceback" not in result.output
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    outcome = Outcome(result.exit_code, " ".join(result.stderr.split()))
    if result.exit_code == 0:
        outcome.document = json.loads(result.stdout)
        for name in ("rejects", "excluded"):
            with open(out / f"{name}.csv", encoding="utf-8-sig", newline="") as handle:
                rows = [
                    (int(r["row"]), r["column"], r["code"], r["value"])
                    for r in csv.DictReader(handle)
                    if r["table"] == "tickets"
                ]
            setattr(outcome, name, rows)
        for table in outcome.document["tables"]:
            assert table["rows"] == table["used"] + table["excluded"] + table["rejected"]
    return outcome


# ---------------------------------------------------------------- files refused outright


def _not_a_workbook(tmp_path: Path) -> Path:
    path = tmp_path / "junk.xlsx"
    path.write_text("hello, this is a text file", encoding="utf-8")
    return path


def _truncated(tmp_path: Path) -> Path:
    good = xlsxwriter_book(tmp_path / "good.xlsx", month()).read_bytes()
    path = tmp_path / "cut.xlsx"
    path.write_bytes(good[: len(good) // 2])
    return path


def _encrypted_forged(tmp_path: Path) -> Path:
    """An OLE2 container holding an EncryptionInfo stream name: what a password-saved xlsx is."""
    path = tmp_path / "locked.xlsx"
    path.write_bytes(
        package_module.OLE2_MAGIC
        + b"\0" * 504
        + "EncryptionInfo".encode("utf-16-le")
        + b"\0" * 1024
    )
    return path


def _encrypted_real(tmp_path: Path) -> Path:
    path = CORPUS / "calamine" / "pass_protected.xlsx"
    if not path.is_file():
        pytest.skip(f"corpus file {path} not present")
    return path


def _empty_workbook(tmp_path: Path) -> Path:
    return xlsxwriter_book(tmp_path / "empty.xlsx", {"Sheet1": []})


def _header_only(tmp_path: Path) -> Path:
    return xlsxwriter_book(tmp_path / "header.xlsx", month([HEAD]))


def _renamed(source: Path, name: str) -> Callable[[Path], Path]:
    def build(tmp_path: Path) -> Path:
        target = tmp_path / name
        target.write_bytes(
            source.read_bytes()
            if source.is_file()
            else xlsxwriter_book(tmp_path / "m.xlsx", month()).read_bytes()
        )
        return target

    return build


XLS_FIXTURE = Path(__file__).parent / "data" / "date1904.xls"

REFUSED: dict[str, tuple[Callable[[Path], Path], str, str]] = {
    "xls-named-xlsx": (
        _renamed(XLS_FIXTURE, "old.xlsx"),
        "wrong-extension",
        "file old.xlsx: the file is an Excel 97-2003 workbook but its name ends in .xlsx; rename it to .xls",
    ),
    "xlsx-named-xls": (
        _renamed(Path("no such file"), "new.xls"),
        "wrong-extension",
        "file new.xls: the file is an Excel .xlsx/.xlsm workbook but its name ends in .xls; rename it to .xlsx",
    ),
    # case: (builder, library error code, message fragment after "svcqa: error: ")
    "not-a-workbook": (
        _not_a_workbook,
        "not-a-workbook",
        "file junk.xlsx: not a workbook: expected .xlsx, .xlsm, .xls, .ods or .csv content "
        "(the name ends in .xlsx but the content is not one)",
    ),
    "truncated-zip": (
        _truncated,
        "corrupt",
        "file cut.xlsx: the workbook is corrupt or truncated (File is not a zip file); export or copy it again",
    ),
    "encrypted-forged": (
        _encrypted_forged,
        "encrypted",
        "file locked.xlsx: the workbook is encrypted / password-protected",
    ),
    "encrypted-real": (
        _encrypted_real,
        "encrypted",
        "file pass_protected.xlsx: the workbook is encrypted / password-protected",
    ),
    "empty-workbook": (
        _empty_workbook,
        "empty-sheet",
        "file empty.xlsx: the workbook has no data: every visible sheet is empty (sheets: 'Sheet1')",
    ),
    "header-only": (
        _header_only,
        "empty-sheet",
        "file header.xlsx, sheet '工单': the 工单 (tickets) sheet has a header but no data rows",
    ),
    "laughs-in-sheet": (
        lambda t: hf.laughs_in_sheet(t / "laughs.xlsx"),
        "unsafe-xml",
        "file laughs.xlsx: zip member xl/worksheets/sheet1.xml declares a DTD or XML entities",
    ),
    "laughs-in-shared-strings": (
        lambda t: hf.laughs_in_shared_strings(t / "laughs.xlsx"),
        "unsafe-xml",
        "file laughs.xlsx: zip member xl/sharedStrings.xml declares a DTD or XML entities",
    ),
    "laughs-after-padding": (
        # The DOCTYPE sits beyond the scanned prolog; the reader does not expand entities either.
        lambda t: hf.laughs_after_padding(t / "laughs.xlsx"),
        "corrupt",
        "file laughs.xlsx, sheet '工单': the workbook is corrupt or cannot be read (calamine error: "
        "Xlsx error: Xml error: at 0..0: unrecognized entity `&lol9;`)",
    ),
}


@pytest.mark.parametrize("case", list(REFUSED))
def test_refused_files_exit_1_with_a_message_naming_the_file(case: str, tmp_path: Path) -> None:
    """Unreadable, encrypted, empty and entity-bomb files exit 1 with a one-line message and a stable code."""
    build, code, message = REFUSED[case]
    path = build(tmp_path)
    outcome = check(tmp_path, path)
    assert outcome.exit_code == 1
    assert outcome.stderr.startswith("svcqa: error: " + message), outcome.stderr
    with pytest.raises(InputError) as info:
        ingest([path])
    assert info.value.code == code


# ---------------------------------------------------------------- bombs: bounded time and memory

BOMB_SCRIPT = """
import resource, sys
from typer.testing import CliRunner
from svcqa.cli import app
result = CliRunner().invoke(app, ["check", sys.argv[1], "--out", sys.argv[2]])
sys.stderr.write(result.stderr)
# The reader runs in a child (see Workbook.load_many): count its memory too.
print(max(resource.getrusage(who).ru_maxrss for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)))
sys.exit(result.exit_code)
"""


@pytest.mark.parametrize(
    ("declared", "message"),
    [
        (
            None,
            "file bomb.xlsx: zip member xl/worksheets/sheet1.xml declares a compression ratio of 1,028:1, over the "
            "limit max_compression_ratio = 200.0. If the file is genuine, raise the limit with the environment "
            "variable SVCQA_MAX_COMPRESSION_RATIO",
        ),
        (
            1000,  # lies: declares 1 kB, holds 2 MB of deflate
            "file bomb.xlsx: zip member xl/worksheets/sheet1.xml declares 1,000 bytes but holds 2,088,614 "
            "compressed bytes; the package is corrupt or forged",
        ),
        (
            # lies plausibly: 200 MB at 100:1 passes the ratio limit, but inflates to 2 GB; before the fix the
            # Rust reader inflated it all and panicked ("byte array offset overflow") with a traceback.
            200 * 1024**2,
            "file bomb.xlsx: the workbook is corrupt or truncated (zip member xl/worksheets/sheet1.xml: "
            "inflates past its declared size of 209,715,200 bytes)",
        ),
    ],
)
def test_zip_bombs_refused_in_bounded_time_and_memory(
    declared: int | None, message: str, tmp_path: Path
) -> None:
    """A sheet inflating to 2 GB is refused within 120 s; svcqa and its reader child stay under 1 GiB
    (the reader's address space is capped at SVCQA_MAX_READER_BYTES, here 1 GiB)."""
    path = hf.zip_bomb(tmp_path / "bomb.xlsx", declared=declared)
    result = subprocess.run(
        [sys.executable, "-c", BOMB_SCRIPT, str(path), str(tmp_path / "out")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "SVCQA_MAX_READER_BYTES": str(1024**3)},
    )
    assert result.returncode == 1, result.stderr
    assert " ".join(result.stderr.split()).startswith("svcqa: error: " + message)
    assert int(result.stdout.strip()) < 1024 * 1024  # ru_maxrss in KiB


def test_a_package_of_too_many_members_is_refused_before_a_zip_reader_lists_them(
    tmp_path: Path,
) -> None:
    """More members than max_zip_members: exit 1 naming the limit, also when the end record
    understates the count (the directory's entries are counted)."""
    source = xlsxwriter_book(tmp_path / "m.xlsx", month())
    members = len(zipfile.ZipFile(source).infolist()) + 100
    env = {"SVCQA_MAX_ZIP_MEMBERS": "100"}
    for name, declared in (("many.xlsx", None), ("forged.xlsx", 3)):
        path = hf.with_extra_members(source, tmp_path / name, 100, declared=declared)
        refused = check(tmp_path, path, env=env)
        assert refused.exit_code == 1
        assert refused.stderr.startswith(
            f"svcqa: error: file {name}: the zip package lists {members:,} members, over the limit "
            "max_zip_members = 100. If the file is genuine, raise the limit with the environment variable "
            "SVCQA_MAX_ZIP_MEMBERS"
        ), refused.stderr
    assert check(tmp_path, source, env=env).exit_code == 0


def test_zip_member_count_is_zipfiles_also_for_zip64_and_the_corpus(tmp_path: Path) -> None:
    """The count read from the end records and the directory equals zipfile's member list: for a
    package of 70,000 members (ZIP64 end records) and every package of the shared corpus."""
    source = xlsxwriter_book(tmp_path / "m.xlsx", month())
    packages = [hf.with_extra_members(source, tmp_path / "zip64.xlsx", 70_000)]
    packages += [
        p
        for p in sorted(CORPUS.rglob("*"))
        if p.suffix.lower() in (".xlsx", ".xlsm", ".ods") and zipfile.is_zipfile(p)
    ]
    assert len(packages) > 20
    for path in packages:
        with zipfile.ZipFile(path) as archive:
            assert zip_member_count(path) == len(archive.infolist()), path.name
    assert _central_directory(packages[0])[0] == len(
        zipfile.ZipFile(packages[0]).infolist()
    )  # the ZIP64 record's count
    assert zip_member_count(CORPUS / "MANIFEST.md") is None


def test_limits_are_raised_through_the_environment(tmp_path: Path) -> None:
    """A limit refuses with its variable's name; setting that variable lets the same file through."""
    path = xlsxwriter_book(tmp_path / "m.xlsx", month())
    refused = check(tmp_path, path, env={"SVCQA_MAX_ROWS_PER_SHEET": "1"})
    assert refused.exit_code == 1
    assert refused.stderr == (
        "svcqa: error: file m.xlsx, sheet '工单': the sheet has 2 rows, over the limit max_rows_per_sheet = 1. "
        "If the file is genuine, raise the limit with the environment variable SVCQA_MAX_ROWS_PER_SHEET "
        "(or Limits(max_rows_per_sheet=...) in code)."
    )
    assert check(tmp_path, path, env={"SVCQA_MAX_ROWS_PER_SHEET": "2"}).exit_code == 0
    bad = check(tmp_path, path, env={"SVCQA_MAX_ROWS_PER_SHEET": "lots"})
    assert bad.exit_code == 1 and "SVCQA_MAX_ROWS_PER_SHEET='lots' is not a number" in bad.stderr


def test_reader_panic_becomes_an_input_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Rust panic inside the reader (a BaseException in Python) exits 1 naming the file, no traceback."""

    class PanicException(BaseException):  # the name pyo3 gives its panic type
        pass

    def explode(*_args: object, **_kwargs: object) -> None:
        raise PanicException("byte array offset overflow")

    import fastexcel

    monkeypatch.setattr(fastexcel, "read_excel", explode)
    outcome = check(tmp_path, xlsxwriter_book(tmp_path / "m.xlsx", month()))
    assert outcome.exit_code == 1
    assert outcome.stderr.startswith(
        "svcqa: error: file m.xlsx: the spreadsheet reader failed on this file (byte array offset overflow)"
    )


# ---------------------------------------------------------------- messy but readable


def test_empty_sheet_beside_data_is_noted(tmp_path: Path) -> None:
    """An empty extra sheet is skipped with a note; the month is read."""
    sheets = month()
    sheets["纪律"] = []
    outcome = check(tmp_path, xlsxwriter_book(tmp_path / "m.xlsx", sheets))
    assert outcome.exit_code == 0 and outcome.table("tickets") == (1, 1, 0, 0)
    assert "empty-sheet" in outcome.notes


def test_header_under_merged_title_and_merged_branch_fills_down(tmp_path: Path) -> None:
    """Header on row 5 under a merged title is found; a merged 网点 cell fills the rows it spans, not the next."""
    rows = [[], [], [], [], HEAD]
    rows += [
        [f"T{i}", "A店" if i == 1 else None, "换机", "2026-10-03 10:00", None, "否", 5]
        for i in range(1, 5)
    ]
    path = xlsxwriter_book(
        tmp_path / "m.xlsx",
        month(rows),
        merges={"工单": [(0, 0, 3, 6, "2026年10月工单明细"), (6, 1, 7, 1, "B店")]},
    )
    outcome = check(tmp_path, path)
    assert outcome.exit_code == 0 and outcome.table("tickets") == (4, 3, 0, 1)
    assert outcome.rejects == [(9, "网点", "missing-value", "")]  # row 9 is below the merge B7:B8
    data = ingest([path])
    assert data.tables["tickets"][["branch", "_row"]].values.tolist() == [
        ["A店", 6],
        ["B店", 7],
        ["B店", 8],
    ]


def test_duplicate_and_blank_headers(tmp_path: Path) -> None:
    """A second 网点 column is ignored with a note naming its column letter; blank header cells are skipped."""
    # 服务类型 and 完成时间 (the default rubric's columns) come last, after the cells under test.
    rows = [
        ["工单号", "网点", "网点", "", "受理时间", None, "服务类型", "完成时间"],
        ["T1", "A店", "B店", "x", "2026-10-03", "y", "换机", None],
    ]
    outcome = check(tmp_path, xlsxwriter_book(tmp_path / "m.xlsx", month(rows)))
    assert outcome.exit_code == 0 and outcome.table("tickets") == (1, 1, 0, 0)
    notes = [n["message"] for n in outcome.document["notes"] if n["code"] == "duplicate-header"]
    assert notes == [
        "m.xlsx, sheet '工单': header '网点' (column C) also maps to 网点; the first matching column is used"
    ]


def test_formulas_without_cached_values(tmp_path: Path) -> None:
    """openpyxl formulas have no cached value: the row is rejected as missing and the workbook noted."""
    path = write_workbook(tmp_path / "f.xlsx", month())
    book = openpyxl.load_workbook(path)
    book["工单"].append(["T2", "A店", "换机", "=DATE(2026,10,3)", None, "否", 4])
    book.save(path)
    outcome = check(tmp_path, path)
    assert outcome.exit_code == 0 and outcome.table("tickets") == (2, 1, 0, 1)
    assert outcome.rejects == [(3, "受理时间", "missing-value", "")]
    assert "formulas-not-calculated" in outcome.notes


def test_xlsxwriter_workbook_without_formulas_gets_no_formula_note(tmp_path: Path) -> None:
    """The bundled sample (xlsxwriter sets fullCalcOnLoad on every book) is not flagged as uncalculated."""
    outcome = check(tmp_path, SAMPLE_DATA / "2026-10.xlsx")
    assert outcome.exit_code == 0
    assert "formulas-not-calculated" not in outcome.notes


def test_1904_date_system(tmp_path: Path) -> None:
    """In a 1904 workbook a date cell and a bare serial (44836.5 = 2026-10-03 12:00) both read unshifted."""
    rows = [
        HEAD,
        ["T1", "A店", "换机", datetime(2026, 10, 3, 10), None, "否", 5],
        ["T2", "A店", "换机", 44836.5, None, "否", 5],
    ]
    path = xlsxwriter_book(tmp_path / "m.xlsx", month(rows), options={"date_1904": True})
    outcome = check(tmp_path, path)
    assert outcome.exit_code == 0 and outcome.table("tickets") == (2, 2, 0, 0)
    assert "date-1904" in outcome.notes
    accepted = ingest([path]).tables["tickets"]["accepted_at"].astype(str).tolist()
    assert accepted == ["2026-10-03 10:00:00", "2026-10-03 12:00:00"]


@pytest.mark.parametrize("encoding", ["gb18030", "gbk", "utf-8-sig"])
def test_csv_encodings(encoding: str, tmp_path: Path) -> None:
    """GBK/GB18030 (no BOM) and UTF-8-with-BOM CSVs read with Chinese headers intact and no BOM in a name."""
    for name, rows in month().items():
        text = "\r\n".join(",".join(map(str, row)) for row in rows) + "\r\n"
        (tmp_path / f"{name}.csv").write_bytes(text.encode(encoding))
    outcome = check(tmp_path, tmp_path)
    assert outcome.exit_code == 0
    assert [outcome.table(t) for t in ("tickets", "complaints", "attendance")] == [(1, 1, 0, 0)] * 3
    assert ingest([tmp_path]).tables["tickets"]["ticket_id"].tolist() == ["T1"]


def test_csv_multiline_records_keep_line_numbers(tmp_path: Path) -> None:
    """Rejects in a CSV whose quoted fields span lines carry the line each record starts on."""
    (tmp_path / "工单.csv").write_text(
        ",".join(HEAD) + '\nT1,A店,换机,2026-10-03,,否,5\nT2,"B\n店",换机,2026-10-03,,否,5\n'
        'T3,A店,换机,garbage,,否,5\n\nT4,A店,换机,2026-10-03,,否,"a\nb"\n',
        encoding="utf-8",
    )
    for name in ("投诉", "出勤"):
        (tmp_path / f"{name}.csv").write_text(
            "\n".join(",".join(r) for r in month()[name]), encoding="utf-8"
        )
    outcome = check(tmp_path, tmp_path)
    assert outcome.exit_code == 0 and outcome.table("tickets") == (4, 2, 0, 2)
    assert outcome.rejects == [
        (5, "受理时间", "bad-date", "garbage"),
        (7, "客户评分", "bad-number", "a\nb"),
    ]


def test_full_width_digits_and_thousands_separators(tmp_path: Path) -> None:
    """Full-width digits and 1,234.5 parse as numbers; a number with a unit is rejected at its cell."""
    rows = [
        HEAD,
        ["T1", "A店", "换机", "2026-10-03 10:00", None, "否", "５"],
        ["T2", "A店", "换机", "２０２６－１０－０３", None, "否", "1,234.5"],
        ["T3", "A店", "换机", "2026-10-03", None, "否", "4分"],
    ]
    path = xlsxwriter_book(tmp_path / "m.xlsx", month(rows))
    outcome = check(tmp_path, path)
    assert outcome.exit_code == 0 and outcome.table("tickets") == (3, 2, 0, 1)
    assert outcome.rejects == [(4, "客户评分", "bad-number", "4分")]
    tickets = ingest([path]).tables["tickets"]
    assert tickets["rating"].tolist() == [5.0, 1234.5]
    assert tickets["accepted_at"].astype(str).tolist() == [
        "2026-10-03 10:00:00",
        "2026-10-03 00:00:00",
    ]


def test_dates_before_1900_in_the_future_and_as_serials(tmp_path: Path) -> None:
    """Pre-1990 and impossible dates are bad-date, future ones outside-month, serials (text or number) read."""
    # 0001-01-01 and 9999-12-31 used to crash ingest (OutOfBoundsDatetime traceback).
    dates = [
        "1899-12-31",
        "2099-10-03",
        "46298.5",
        46298.25,
        "0",
        "2026-10-03",
        "2026-02-30",
        "0001-01-01",
        "9999-12-31",
    ]
    rows = [HEAD] + [[f"T{i}", "A店", "换机", d, None, "否", 5] for i, d in enumerate(dates, 1)]
    outcome = check(tmp_path, xlsxwriter_book(tmp_path / "m.xlsx", month(rows)))
    assert outcome.exit_code == 0 and outcome.table("tickets") == (9, 3, 1, 5)
    assert outcome.excluded == [(3, "受理时间", "outside-month", "2099-10-03")]
    assert outcome.rejects == [
        (2, "受理时间", "bad-date", "1899-12-31"),
        (6, "受理时间", "bad-date", "0"),
        (8, "受理时间", "bad-date", "2026-02-30"),
        (9, "受理时间", "bad-date", "0001-01-01"),
        (10, "受理时间", "bad-date", "9999-12-31"),
    ]


def test_ten_thousand_character_branch_name(tmp_path: Path) -> None:
    """A 10,000-character branch name is read intact; as a file name it is cut to a slug plus a hash."""
    name = "网" * 10_000
    path = xlsxwriter_book(
        tmp_path / "m.xlsx", month([HEAD, ["T1", name, "换机", "2026-10-03", None, "否", 5]])
    )
    outcome = check(tmp_path, path)
    assert outcome.exit_code == 0 and outcome.table("tickets") == (1, 1, 0, 0)
    assert ingest([path]).tables["tickets"]["branch"].tolist() == [name]
    assert (
        safe_filename(name) == "网" * 60 + "-" + safe_filename(name)[-8:]
        and len(safe_filename(name)) == 69
    )


def test_control_characters(tmp_path: Path) -> None:
    """Control characters reject the cell they spoil (row and column named); rejects.xlsx still opens as text."""
    rows = [
        HEAD,
        ["T1", "A\x01店", "换机", "2026-10-03 10:00", None, "否", 5],
        ["T2", "B店\x1b[31m", "换机", "2026-13-03\x07", None, "否", 5],
        ["T3", "=cmd|' /C calc'!A0", "换机", "2026-10-03", None, "否", "\x00"],
    ]
    outcome = check(tmp_path, xlsxwriter_book(tmp_path / "m.xlsx", month(rows)))
    # Issue 19: a control character in an id or branch cell rejects the row (it made phantom
    # branches); the row's first problem is its reason, and the branch column comes first.
    assert outcome.exit_code == 0 and outcome.table("tickets") == (3, 0, 0, 3)
    assert outcome.rejects == [
        (2, "网点", "control-character", "A\x01店"),
        (3, "网点", "control-character", "B店\x1b[31m"),
        (4, "客户评分", "bad-number", "\x00"),
    ]
    sheet = openpyxl.load_workbook(tmp_path / "out" / "rejects.xlsx").active
    values = [c for row in sheet.iter_rows(min_row=2) for c in row]
    assert all(c.data_type in ("s", "n") for c in values)


def test_table_not_starting_in_column_a(tmp_path: Path) -> None:
    """A table starting at C3 keeps Excel's column letters and merge positions (the reader trims leading columns)."""
    header = [
        "工单号",
        "网点",
        "网点",
        "受理时间",
        "服务类型",
        "完成时间",
    ]  # the last two: the rubric's
    rows = [[None, None, *r] for r in [[], [], header]]
    rows += [
        [None, None, f"T{i}", "A店" if i == 1 else None, "x", "2026-10-03", "换机", None]
        for i in (1, 2, 3)
    ]
    path = xlsxwriter_book(tmp_path / "m.xlsx", month(rows), merges={"工单": [(3, 3, 4, 3, "A店")]})
    outcome = check(tmp_path, path)
    assert outcome.exit_code == 0 and outcome.table("tickets") == (3, 2, 0, 1)
    assert outcome.rejects == [(6, "网点", "missing-value", "")]
    notes = [n["message"] for n in outcome.document["notes"] if n["code"] == "duplicate-header"]
    assert notes == [
        "m.xlsx, sheet '工单': header '网点' (column E) also maps to 网点; the first matching column is used"
    ]


def test_sparse_sheet_spanning_the_whole_grid_is_refused_before_reading(tmp_path: Path) -> None:
    """Cells at A1 and XFD1048576 (1 kB file) are refused by max_cells; read as-is, the reader aborts the process."""
    sheet = (
        b'<?xml version="1.0"?><worksheet '
        + hf.NS
        + b'><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>x</t>'
        b'</is></c></row><row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>y</t></is></c></row></sheetData></worksheet>'
    )
    path = hf.write_package(tmp_path / "sparse.xlsx", hf.package_parts(sheet))
    outcome = check(tmp_path, path)
    assert outcome.exit_code == 1
    assert outcome.stderr == (
        "svcqa: error: file sparse.xlsx: zip member xl/worksheets/sheet1.xml spans 1,048,576 rows x 16,384 columns "
        "= 17,179,869,184 cells, over the limit max_cells = 100,000,000. If the file is genuine, raise the limit with "
        "the environment variable SVCQA_MAX_CELLS (or Limits(max_cells=...) in code)."
    )


def test_a_reader_abort_ends_in_a_message_not_a_dead_process(tmp_path: Path) -> None:
    """A cell at XFD1048576 inside row 1 passes the row/column scan, and the reader aborts
    allocating the grid: the reader child dies, svcqa exits 1 naming the sheet and the limit."""
    sheet = (
        b'<?xml version="1.0"?><worksheet '
        + hf.NS
        + b'><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>x</t>'
        b'</is></c><c r="XFD1048576" t="inlineStr"><is><t>y</t></is></c></row></sheetData></worksheet>'
    )
    path = hf.write_package(tmp_path / "abort.xlsx", hf.package_parts(sheet))
    outcome = check(tmp_path, path)
    assert outcome.exit_code == 1
    assert outcome.stderr.startswith(
        "svcqa: error: file abort.xlsx, sheet '工单': the spreadsheet reader died reading this sheet (killed by SIGABRT: "
        "memory allocation of "
    )
    assert outcome.stderr.rstrip().endswith("with the environment variable SVCQA_MAX_READER_BYTES")
    assert "Traceback" not in outcome.stderr


def test_1904_date_system_in_xls(tmp_path: Path) -> None:
    """A BIFF8 .xls with DATEMODE 1904 (tests/ingest/data/date1904.xls, written once with xlwt 1.3.0 since no
    project dependency writes .xls): its date cell and its bare serial 44836.5 both read unshifted."""
    path = Path(__file__).parent / "data" / "date1904.xls"
    outcome = check(tmp_path, path)
    assert outcome.exit_code == 0 and outcome.table("tickets") == (2, 2, 0, 0)
    assert "date-1904" in outcome.notes
    accepted = ingest([path]).tables["tickets"]["accepted_at"].astype(str).tolist()
    assert accepted == ["2026-10-03 10:00:00", "2026-10-03 12:00:00"]
