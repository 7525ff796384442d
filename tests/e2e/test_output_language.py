"""Outputs in the rubric's language: an English rubric labels every command's output in English,
``--lang`` overrides the rubric, the presets stay Chinese, and the branch report leaves out what
the month has no data for and boxes what the rubric asked for but the month lacks."""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from svcqa.cli import app

import browser
from conftest import ROOT

runner = CliRunner()
README = (ROOT / "README.md").read_text(encoding="utf-8")
CSV = ROOT / "sample_data" / "call-centre" / "2026-10.csv"
# CJK ideographs, CJK punctuation (、。「」) and full-width forms (：（），).
CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")


def _readme_rubric() -> str:
    """The README's call-centre rubric as printed (it says language = "en")."""
    block = next(
        b for b in re.findall(r"```toml\n(.*?)```", README, flags=re.DOTALL) if "call-centre" in b
    )
    assert 'language = "en"' in block
    return block


def _rubric(tmp_path: Path, *, language: str | None = "en", extra: str = "") -> Path:
    text = _readme_rubric()
    line = "" if language is None else f'language = "{language}"'
    text = text.replace('language = "en"', line) + extra
    path = tmp_path / f"call-centre-{language}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _run(*args: object) -> str:
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result.output


def _xlsx_labels(path: Path) -> list[str]:
    """Every sheet name and the text of each sheet's first two rows (title and header cells)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # openpyxl on xlsxwriter's conditional formats
        book = openpyxl.load_workbook(path, read_only=True)
    texts = list(book.sheetnames)
    for sheet in book.worksheets:
        for row in sheet.iter_rows(min_row=1, max_row=2, values_only=True):
            texts += [str(v) for v in row if isinstance(v, str)]
    book.close()
    return texts


def _cjk_in(texts: list[str]) -> list[str]:
    return [t for t in texts if CJK.search(t)]


@pytest.fixture(scope="module")
def english_run(tmp_path_factory) -> dict[str, object]:
    """The README call-centre month scored into a store under the English rubric, then every
    command that prints or writes labels run on it without --lang."""
    tmp = tmp_path_factory.mktemp("english")
    rubric, db, out = _rubric(tmp), tmp / "h.db", tmp / "out"
    outputs: dict[str, object] = {"rubric": rubric, "db": db, "out": out}
    outputs["score"] = _run("score", CSV, "--rubric", rubric, "--db", db, "--out", out / "score")
    outputs["score csv"] = _run(
        "score", CSV, "--rubric", rubric, "--no-history", "--format", "csv", "--out", tmp / "csv"
    )
    outputs["check"] = _run("check", CSV, "--rubric", rubric, "--out", out / "check")
    outputs["history"] = _run("history", "--db", db)
    outputs["history branch"] = _run("history", "--branch", "Bob", "--db", db)
    outputs["history runs"] = _run("history", "runs", "--db", db)
    outputs["report"] = _run("report", "--all", "--db", db, "--out", out / "reports")
    outputs["rectify"] = _run("rectify", "--db", db, "--out", out / "rectify")
    outputs["whatif"] = _run(
        "whatif", "--month", "2026-10", "--rubric", rubric, "--db", db, "--out", out / "whatif"
    )
    outputs["rubric show"] = _run("rubric", "show", rubric)
    return outputs


TERMINAL = (
    "score",
    "score csv",
    "check",
    "history",
    "history branch",
    "history runs",
    "report",
    "rectify",
    "whatif",
    "rubric show",
)


@pytest.mark.parametrize("command", TERMINAL)
def test_an_english_rubric_prints_no_chinese(english_run, command: str) -> None:
    """Each command's terminal output under the English rubric holds no CJK character."""
    text = english_run[command]
    assert isinstance(text, str) and text.strip()
    assert CJK.findall(text) == []


def test_an_english_rubric_labels_every_workbook_and_page_in_english(english_run) -> None:
    """Sheet names and header cells of every XLSX written (scorecard, rejects, reports, forms,
    what-if), the CSV headers, and the whole text of every HTML page hold no CJK character."""
    out = english_run["out"]
    assert isinstance(out, Path)
    books = sorted(out.rglob("*.xlsx"))
    names = {p.name for p in books}
    assert {"scorecard.xlsx", "rejects.xlsx", "whatif.xlsx"} <= names
    assert any(n.endswith("-rectify.xlsx") for n in names)
    for book in books:
        assert _cjk_in(_xlsx_labels(book)) == [], book.name
    scorecard = _xlsx_labels(out / "score" / "scorecard.xlsx")
    assert {"Ranking", "KPI detail", "Scoring rules", "Input check"} <= set(scorecard)
    assert "Rank" in scorecard and "Months last in a row" in scorecard
    assert _xlsx_labels(out / "score" / "rejects.xlsx")[:4] == [
        "rejects",
        "excluded",
        "Table",
        "File",
    ]
    csv_header = (out / "score" / "scorecard.csv").read_text("utf-8-sig").splitlines()[0]
    assert csv_header.startswith("Rank,Branch,Total,Grade,Coefficient,Flags,")
    pages = sorted(out.rglob("*.html"))
    assert len(pages) == 4 + 1 + 1  # four branch reports, the index, Bob's form
    for page in pages:
        assert CJK.findall(page.read_text("utf-8")) == [], page.name


def test_the_english_terminal_table_reads_in_english(english_run) -> None:
    """score prints the English headings and flags; history's grids their English headings."""
    score = english_run["score"]
    assert isinstance(score, str)
    for heading in ("Rank", "Branch", "Total", "Grade", "Coef.", "Flags", "max 100"):
        assert heading in score
    assert "last place, rectification required" in score
    assert "Branch" in str(english_run["history"])
    branch = str(english_run["history branch"])
    assert "KPI" in branch and "Max" in branch and "Total" in branch
    assert "created at" in str(english_run["history runs"])


def test_a_flag_detail_reads_as_the_declared_label_and_yes_or_no(english_run) -> None:
    """An unanswered call behind lost answer-rate points shows the declared column's label
    (Answered) as its category and 'Answered = no' as its detail, in the HTML and the XLSX."""
    out = english_run["out"]
    assert isinstance(out, Path)
    bob = next((out / "reports").glob("Bob-*.html")).read_text("utf-8")
    rows = re.findall(r"<tr><td>[^<]*</td>.*?</tr>", bob, flags=re.DOTALL)
    flagged = [r for r in rows if "Answered = no" in r]
    assert len(flagged) == 2  # Bob left 2 of his 7 calls unanswered (README)
    assert all("<td>Answered</td>" in r for r in flagged)
    assert "answered = " not in bob
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        book = openpyxl.load_workbook(next((out / "reports").glob("Bob-*.xlsx")), read_only=True)
        details = [r[6] for r in book["Detail"].iter_rows(min_row=2, values_only=True)]
    assert details.count("Answered = no") == 2


def test_lang_zh_overrides_an_english_rubric(tmp_path: Path) -> None:
    """--lang zh labels the terminal table, scorecard.xlsx/csv and rejects.xlsx in Chinese."""
    rubric = _rubric(tmp_path)
    printed = _run(
        "score", CSV, "--rubric", rubric, "--no-history", "--out", tmp_path / "o", "--lang", "zh"
    )
    assert "排名" in printed and "网点" in printed and "满分 100" in printed
    labels = _xlsx_labels(tmp_path / "o" / "scorecard.xlsx")
    assert labels[:4] == ["排名汇总", "指标明细", "评分规则", "数据核对"]
    header = (tmp_path / "o" / "scorecard.csv").read_text("utf-8-sig").splitlines()[0]
    assert header.startswith("排名,网点,总分,等级,结算系数,标记,")
    assert "表 table" in _xlsx_labels(tmp_path / "o" / "rejects.xlsx")


def test_without_a_language_key_outputs_are_chinese_and_lang_en_switches(tmp_path: Path) -> None:
    """A rubric without ``language`` labels in Chinese, as the presets; --lang en in English."""
    rubric = _rubric(tmp_path, language=None)
    printed = _run("score", CSV, "--rubric", rubric, "--no-history", "--out", tmp_path / "zh")
    assert "排名" in printed
    assert "排名汇总" in _xlsx_labels(tmp_path / "zh" / "scorecard.xlsx")
    printed = _run(
        "score", CSV, "--rubric", rubric, "--no-history", "--out", tmp_path / "en", "--lang", "en"
    )
    assert CJK.findall(printed) == []
    assert "Ranking" in _xlsx_labels(tmp_path / "en" / "scorecard.xlsx")


def test_presets_stay_chinese_by_default(tmp_path: Path) -> None:
    """The default preset on the sample month prints and writes its Chinese headings."""
    printed = _run(
        "score", ROOT / "sample_data" / "2026-10.xlsx", "--no-history", "--out", tmp_path
    )
    assert "排名" in printed and "末位连续" in printed
    assert _xlsx_labels(tmp_path / "scorecard.xlsx")[:2] == ["排名汇总", "指标明细"]


def test_an_unknown_language_is_a_rubric_problem_naming_the_key(tmp_path: Path) -> None:
    """language = "fr" fails rubric check with the key, the value and the choices."""
    result = runner.invoke(app, ["rubric", "check", str(_rubric(tmp_path, language="fr"))])
    assert result.exit_code == 1
    assert "language" in result.output and "'fr'" in result.output and "zh, en" in result.output


# -- the branch report: sections without data left out, the mismatch box ---------------------


def _report_dom(tmp_path: Path, csv: Path, rubric: Path, branch: str) -> str:
    db = tmp_path / "h.db"
    _run("score", csv, "--rubric", rubric, "--db", db, "--out", tmp_path / "score")
    _run("report", "--all", "--db", db, "--out", tmp_path / "reports")
    page = next((tmp_path / "reports").glob(f"{branch}-*.html"))
    run = browser.dump_dom(page)
    assert run.console == []
    return run.stdout


@pytest.mark.browser
def test_a_call_centre_report_leaves_out_complaints_and_incentives(tmp_path: Path) -> None:
    """The call-centre month has no complaints or incentives table: the report (HTML in Chromium,
    and the XLSX) shows neither section, nor incentive points, but keeps the peer comparison."""
    browser.require_browser()
    dom = _report_dom(tmp_path, CSV, _rubric(tmp_path), "Bob")
    assert "Peer comparison" in dom and "Months on record" in dom
    for absent in ("Complaint hot spots", "Incentives", "Incentive points", 'id="hot-spots"'):
        assert absent not in dom
    book = next((tmp_path / "reports").glob("Bob-*.xlsx"))
    labels = _xlsx_labels(book)
    assert labels[:3] == ["Overview", "KPI", "Detail"] and "Complaint hot spots" not in labels


@pytest.mark.browser
def test_a_branch_alone_in_the_ranking_has_no_peer_comparison(tmp_path: Path) -> None:
    """With one agent in the month there are no peers: no peer table, no ranking neighbours."""
    browser.require_browser()
    lines = CSV.read_text("utf-8").splitlines()
    agent = lines[0].split(",").index("agent")
    alone = tmp_path / "alone.csv"
    alone.write_text(
        "\n".join([lines[0], *(x for x in lines[1:] if x.split(",")[agent] == "Dana")]) + "\n",
        encoding="utf-8",
    )
    dom = _report_dom(tmp_path, alone, _rubric(tmp_path), "Dana")
    assert "Peer comparison" not in dom and "Place in the ranking" not in dom
    assert "Months on record" in dom


@pytest.mark.browser
def test_a_preset_report_keeps_its_sections(tmp_path: Path) -> None:
    """The default preset on the sample month (complaints, incentives, many branches) keeps the
    peer comparison, the hot spots and the incentives, in Chinese."""
    browser.require_browser()
    sample = ROOT / "sample_data" / "2026-10.xlsx"
    db = tmp_path / "h.db"
    _run("score", sample, "--db", db, "--out", tmp_path / "score")
    _run("report", "--all", "--db", db, "--out", tmp_path / "reports")
    page = next(p for p in (tmp_path / "reports").glob("*.html") if p.name != "index.html")
    dom = browser.dump_dom(page).stdout
    for present in ("同业对比", "投诉热点", 'id="incentives"', "激励加减分"):
        assert present in dom


@pytest.mark.browser
def test_the_report_boxes_a_kpi_the_month_cannot_measure(tmp_path: Path) -> None:
    """A filter value no row holds (answered = "Y" on a flag) puts a box in the report naming the
    KPI and what is missing, tags the KPI 'not measured', and the XLSX overview carries the same."""
    browser.require_browser()
    rubric = _rubric(tmp_path)
    text = rubric.read_text("utf-8").replace(
        "filter = { answered = true }", 'filter = { answered = "Y" }'
    )
    rubric.write_text(text, encoding="utf-8")
    dom = _report_dom(tmp_path, CSV, rubric, "Bob")
    box = re.search(r'<section id="mismatch".*?</section>', dom, flags=re.DOTALL)
    assert box is not None
    assert "not a measurement" in box.group(0)
    assert "Mean speed of answer" in box.group(0)  # the KPI's label
    assert "filter-not-boolean" in box.group(0) and "answered" in box.group(0)
    row = re.search(r'<tr data-kpi="speed_of_answer">.*?</tr>', dom, flags=re.DOTALL)
    assert row is not None and "not measured" in row.group(0)
    other = re.search(r'<tr data-kpi="rating">.*?</tr>', dom, flags=re.DOTALL)
    assert other is not None and "not measured" not in other.group(0)
    book = next((tmp_path / "reports").glob("Bob-*.xlsx"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sheet = openpyxl.load_workbook(book, read_only=True)["Overview"]
        cells = [str(v) for row in sheet.iter_rows(values_only=True) for v in row if v]
    assert any("not a measurement" in c for c in cells)
    assert "Mean speed of answer" in cells


def test_a_mismatched_kpi_gets_one_finding_not_a_no_data_note_as_well(tmp_path: Path) -> None:
    """The mismatch finding is the KPI's only note in scorecard.json: no kpi-no-data besides."""
    rubric = _rubric(tmp_path)
    text = rubric.read_text("utf-8").replace(
        "filter = { answered = true }", 'filter = { answered = "Y" }'
    )
    rubric.write_text(text, encoding="utf-8")
    _run("score", CSV, "--rubric", rubric, "--no-history", "--out", tmp_path)
    notes = json.loads((tmp_path / "scorecard.json").read_text("utf-8"))["notes"]
    assert [n["code"] for n in notes] == ["filter-not-boolean"]
