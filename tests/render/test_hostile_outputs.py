"""No one let in: hostile branch names and complaint texts through ``svcqa score`` and ``svcqa report --all``.

Every XLSX svcqa writes is read back with openpyxl: text starting with = + - @ tab or CR must be
a string cell, never a formula. Every CSV field is neutralised as OWASP advises (a leading quote).
Branch-derived file names stay inside the output folder, distinct and readable, and the HTML
shows markup as text in a real browser.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from datetime import datetime, timedelta
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
from typer.testing import CliRunner

from svcqa.cli import app
from svcqa.output import FORMULA_PREFIXES

runner = CliRunner()
SCRIPT = "<script>alert(1)</script>"
IMG = '<img src=x onerror="document.title=1">'
FORMULA_NAMES = [
    "=1+1",
    "+SUM(1,2)",
    "-2+3",
    "@cmd",
    "\tTab店",
    "\rCR店",
    '=HYPERLINK("http://x","y")',
]
PATH_NAMES = ["../../etc/x", "a/b", "CON", "...", "网" * 300, "Abc店", "abc店", "ＡＢＣ店", "ABC店"]
BRANCHES = [*FORMULA_NAMES, *PATH_NAMES, IMG]


def hostile_month(path: Path) -> Path:
    """A month whose branches carry injection and path-traversal names, 12 tickets each."""
    book = xlsxwriter.Workbook(
        path, {"strings_to_formulas": False, "strings_to_numbers": False, "strings_to_urls": False}
    )
    text = book.add_worksheet("工单")
    text.write_row(
        0, 0, ["工单号", "网点", "服务类型", "受理时间", "完成时间", "是否返修", "客户评分"]
    )
    row = 1
    start = datetime(2026, 10, 2, 9, 0)
    for b, name in enumerate(BRANCHES):
        for i in range(12):
            accepted = start + timedelta(days=i, hours=b % 5)
            done = accepted + timedelta(days=1 + (b + i) % 6)
            kind = ["换机", "保修", "非保修"][i % 3]
            text.write_row(
                row,
                0,
                [
                    f"T{b:02d}{i:02d}",
                    name,
                    kind,
                    f"{accepted:%Y-%m-%d %H:%M}",
                    f"{done:%Y-%m-%d %H:%M}",
                    "否",
                    "5",
                ],
            )
            row += 1
    complaints = book.add_worksheet("投诉")
    complaints.write_row(0, 0, ["投诉单号", "网点", "投诉时间", "投诉类别", "投诉内容"])
    for b, name in enumerate(BRANCHES):
        complaints.write_row(
            b + 1, 0, [f"C{b}", name, "2026-10-05", "=1+2", SCRIPT if b % 2 else "@SUM(1)"]
        )
    attendance = book.add_worksheet("出勤")
    attendance.write_row(0, 0, ["日期", "网点", "人员", "状态"])
    for b, name in enumerate(BRANCHES):
        attendance.write_row(
            b + 1, 0, ["2026-10-01", name, "-张三", "旷工" if b % 3 == 0 else "正常"]
        )
    book.close()
    return path


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Score the hostile month and write every report; the folder holding all outputs."""
    root = tmp_path_factory.mktemp("hostile")
    month = hostile_month(root / "2026-10.xlsx")
    db, out = root / "svcqa.db", root / "out"
    result = runner.invoke(app, ["score", str(month), "--db", str(db), "--out", str(out), "-q"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["report", "--all", "--db", str(db), "--out", str(out / "reports")])
    assert result.exit_code == 0, result.output
    # Rectification forms carry branch names and complaint categories into XLSX, HTML and DOCX too.
    for branch in (None, FORMULA_NAMES[0], IMG):
        chosen = ["--branch", branch] if branch else []
        result = runner.invoke(
            app, ["rectify", *chosen, "--db", str(db), "--out", str(out / "rectify")]
        )
        assert result.exit_code == 0, result.output
    return out


def _xlsx_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.xlsx") if not p.name.startswith("."))


def test_every_branch_is_scored_under_its_own_name(outputs: Path) -> None:
    """All hostile names survive ingest as distinct branches (control characters included)."""
    with open(outputs / "scorecard.csv", encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    header = rows[0]
    column = next(i for i, h in enumerate(header) if h in ("网点", "branch"))
    names = {r[column].removeprefix("'") for r in rows[1:]}
    # ＡＢＣ店 and ABC店 share one matching key (NFKC): one branch, by design; all others stay apart.
    expected = {n.strip() for n in BRANCHES if n != "ＡＢＣ店"}
    assert expected <= names | {n.strip() for n in names}
    assert len(names) == len(BRANCHES) - 1


def test_xlsx_text_that_looks_like_a_formula_is_a_string_cell(outputs: Path) -> None:
    """No cell in any written workbook is a formula; cells starting with = + - @ tab CR are strings."""
    files = _xlsx_files(outputs)
    assert {p.name for p in files} >= {"scorecard.xlsx", "rejects.xlsx"} and len(files) > 10
    assert len([p for p in files if p.name.endswith("-rectify.xlsx")]) >= 2
    risky = 0
    for path in files:
        book = openpyxl.load_workbook(path)
        for sheet in book.worksheets:
            for row in sheet.iter_rows():
                for cell in row:
                    assert cell.data_type != "f", (
                        f"{path.name} {sheet.title}!{cell.coordinate} = {cell.value!r}"
                    )
                    if isinstance(cell.value, str) and cell.value.startswith(FORMULA_PREFIXES):
                        assert cell.data_type == "s"
                        risky += 1
    assert risky >= len(FORMULA_NAMES)  # the hostile names really reached the workbooks


def test_csv_fields_are_neutralised(outputs: Path) -> None:
    """Every CSV field starting with = + - @ tab CR is a number or carries the OWASP leading quote."""
    files = sorted(outputs.rglob("*.csv"))
    assert {p.name for p in files} >= {"scorecard.csv", "rejects.csv"}
    quoted = 0
    for path in files:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            for record in csv.reader(handle):
                for field in record:
                    if field.startswith(FORMULA_PREFIXES):
                        assert re.fullmatch(r"-\d+(\.\d+)?([eE][+-]?\d+)?", field), (
                            f"{path.name}: {field!r}"
                        )
                    quoted += field.startswith("'") and field[1:2] in "=+-@\t\r"
    # Leading tab/CR are stripped as whitespace on input, so five names keep a risky first character.
    assert quoted >= 5


def test_report_file_names_stay_inside_distinct_and_readable(outputs: Path) -> None:
    """Each branch gets its own report files inside the folder; names are short, portable and not reserved."""
    reports = outputs / "reports"
    html = sorted(p for p in reports.iterdir() if p.suffix == ".html" and p.name != "index.html")
    assert len(html) == len(BRANCHES) - 1  # ＡＢＣ店 is ABC店 (see above)
    assert len({p.name.casefold() for p in html}) == len(
        html
    )  # distinct on case-insensitive disks too
    assert len({unicodedata.normalize("NFKC", p.name) for p in html}) == len(html)
    for path in reports.rglob("*"):
        assert path.resolve().is_relative_to(reports.resolve())
        stem = path.stem
        assert len(path.name.encode("utf-8")) <= 255 and len(stem) <= 80
        assert not stem.startswith(".") and stem.split(".")[0].upper() not in {
            "CON",
            "PRN",
            "AUX",
            "NUL",
        }
        assert "/" not in path.name and "\\" not in path.name
    assert not (outputs.parent / "etc").exists() and not (outputs / "a").exists()


def test_names_differing_in_case_or_width_get_distinct_file_names() -> None:
    """safe_filename keeps case and full/half-width variants apart (slug plus a hash of the original)."""
    from svcqa.output import safe_filename

    variants = ["ABC店", "abc店", "Abc店", "ＡＢＣ店", "ａｂｃ店"]
    stems = [safe_filename(v) for v in variants]
    assert len({s.casefold() for s in stems}) == len(variants)
    # A name already safe and lower-case is its own slug; every other one gets the hash.
    assert stems[1] == "abc店"
    assert all(re.fullmatch(r"(ABC|abc|Abc)店-[0-9a-f]{8}", s) for s in stems[:1] + stems[2:]), (
        stems
    )


@pytest.mark.browser
def test_markup_in_names_and_complaints_shows_as_text_in_a_browser(outputs: Path) -> None:
    """An <img onerror> branch name and a <script> complaint render as text: no element, no title change."""
    import browser

    browser.require_browser()
    reports = outputs / "reports"
    pages = sorted(p for p in reports.glob("*.html") if p.name != "index.html")
    img_page = next(p for p in pages if "onerror" in p.read_text(encoding="utf-8"))
    script_page = next(p for p in pages if "alert(1)" in p.read_text(encoding="utf-8"))
    form_page = next(
        p
        for p in (outputs / "rectify").glob("*.html")
        if "onerror" in p.read_text(encoding="utf-8")
    )
    hit = 0
    for page in dict.fromkeys([reports / "index.html", img_page, script_page, form_page]):
        run = browser.dump_dom(page)
        dom = run.stdout
        assert "<img src=x" not in dom.lower() and "<script>alert" not in dom.lower()
        assert run.console == []
        assert "<title>1</title>" not in dom
        hit += ("&lt;img src=x onerror" in dom) + ("&lt;script&gt;alert(1)" in dom)
    assert hit >= 3
