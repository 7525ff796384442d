"""The rubric's English names under ``--lang en``: the sample month scored with the default preset
shows its English rubric name, grades, KPI labels and groups in the terminal, scorecard.xlsx/csv,
the branch report, history, period, whatif and ``rubric show``; Chinese stays the default; a
stored rubric text without English names falls back to the Chinese ones."""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from svcqa.cli import app

from conftest import ROOT, SAMPLE_DATA

runner = CliRunner()
MONTH = SAMPLE_DATA / "2026-10.xlsx"
PRESET = ROOT / "svcqa" / "rubric" / "presets" / "gd-mobile-aftersales.toml"
WEAK = "深圳龙岗（九）营业厅"  # last in the sample month, graded 不合格
NAME_ZH, NAME_EN = "广东移动售后服务供应商考核", "Guangdong Mobile after-sales supplier assessment"
# The preset's grades and three of its KPIs, as written in the TOML.
GRADES = {"优秀": "Excellent", "良好": "Good", "合格": "Pass", "不合格": "Fail"}
KPIS = {
    "换机平均服务周期": "Exchange mean cycle",
    "工作纪律": "Work discipline",
    "客户投诉": "Valid complaint rate",
}


def _run(*args: object) -> str:
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result.output


def _book(path: Path) -> openpyxl.Workbook:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # openpyxl on xlsxwriter's conditional formats
        return openpyxl.load_workbook(path, read_only=True)


def _rows(path: Path, sheet: str) -> list[tuple]:
    book = _book(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rows = list(book[sheet].iter_rows(values_only=True))
    book.close()
    return rows


def _page_text(path: Path) -> str:
    page = path.read_text(encoding="utf-8")
    page = re.sub(r"<(style|script)[^>]*>.*?</\1>", " ", page, flags=re.DOTALL)
    return re.sub(r"<[^>]+>", " ", page)


@pytest.fixture(scope="module")
def english(tmp_path_factory) -> dict[str, object]:
    """The sample month scored into a store with --lang en, then its report, history, period and
    whatif in English (and history and period once without --lang)."""
    tmp = tmp_path_factory.mktemp("english-names")
    db, out = tmp / "h.db", tmp / "out"
    runs: dict[str, object] = {"out": out}
    runs["score"] = _run("score", MONTH, "--lang", "en", "--db", db, "--out", out / "score")
    runs["report"] = _run(
        "report", "--branch", WEAK, "--lang", "en", "--db", db, "--out", out / "reports"
    )
    runs["history"] = _run("history", "--branch", WEAK, "--lang", "en", "--db", db)
    runs["history zh"] = _run("history", "--branch", WEAK, "--db", db)
    period = ("period", "--from", "2026-10", "--to", "2026-10", "--db", db)
    runs["period"] = _run(*period, "--lang", "en", "--out", out / "period")
    runs["period zh"] = _run(*period, "--out", out / "period-zh")
    whatif = ("whatif", "--month", "2026-10", "--rubric", "gd-mobile-aftersales", "--db", db)
    runs["whatif"] = _run(*whatif, "--lang", "en", "--out", out / "whatif")
    runs["whatif zh"] = _run(*whatif, "--out", out / "whatif-zh")
    return runs


def test_the_terminal_table_names_the_rubric_and_grades_in_english(english) -> None:
    """score --lang en titles the table with name_en and prints the grades' English names."""
    text = english["score"]
    assert isinstance(text, str)
    assert NAME_EN in text and NAME_ZH not in text
    assert "Excellent" in text and "Fail" in text
    assert not set(GRADES) & set(re.findall(r"[\u4e00-\u9fff]+", text))


def test_the_scorecard_workbook_and_csv_use_the_english_names(english) -> None:
    """scorecard.xlsx: English sheet names, the English title, KPI columns and grades; the KPI
    detail sheet's KPI and group names; scorecard.csv's header likewise."""
    path = english["out"] / "score" / "scorecard.xlsx"  # type: ignore[operator]
    book = _book(path)
    assert book.sheetnames == ["Ranking", "KPI detail", "Scoring rules", "Input check"]
    book.close()
    ranking = _rows(path, "Ranking")
    assert ranking[0][0] == f"2026-10 {NAME_EN} (max 100)"
    header = list(ranking[1])
    assert "Exchange mean cycle (12)" in header and "Work discipline (5)" in header
    grades = {row[header.index("Grade")] for row in ranking[2:]}
    assert grades <= set(GRADES.values()) | {None, ""}
    assert {"Excellent", "Fail"} <= grades
    detail = _rows(path, "KPI detail")
    names = {(row[2], row[3]) for row in detail[1:]}
    assert ("Exchange mean cycle", "Customer perception") in names
    assert ("Work discipline", "Internal operations") in names
    assert not {row[2] for row in detail[1:]} & set(KPIS)
    rules = _rows(path, "Scoring rules")
    assert [r[1] for r in rules[1:4]] == [
        "Exchange mean cycle",
        "Warranty repair mean cycle",
        "Paid repair mean cycle",
    ]
    csv_header = (path.parent / "scorecard.csv").read_text("utf-8-sig").splitlines()[0]
    assert "Exchange mean cycle (12)" in csv_header and "换机" not in csv_header


def test_scorecard_json_keeps_the_rubrics_own_names(english) -> None:
    """scorecard.json is data: grades and KPI labels as the rubric names them, in any language."""
    path = english["out"] / "score" / "scorecard.json"  # type: ignore[operator]
    document = json.loads(path.read_text("utf-8"))
    weak = next(b for b in document["branches"] if b["branch"] == WEAK)
    assert weak["grade"] == "不合格"
    assert any(k["label"] == "换机平均服务周期" for k in weak["kpis"])


def test_the_branch_report_reads_in_english_names(english) -> None:
    """The branch report (HTML) names the rubric, the branch's grade, its KPIs and groups in
    English, and none of them in Chinese."""
    page = _page_text(next((english["out"] / "reports").rglob("*.html")))  # type: ignore[operator]
    assert NAME_EN in page and NAME_ZH not in page
    assert "Fail" in page and "不合格" not in page
    for zh, en in KPIS.items():
        assert en in page and zh not in page
    assert "Customer perception" in page and "客户感知" not in page


def test_history_shows_the_english_kpi_labels_and_chinese_by_default(english) -> None:
    """history --branch --lang en lists the KPIs by label_en; without --lang, as the preset (zh)."""
    text, default = english["history"], english["history zh"]
    assert isinstance(text, str) and isinstance(default, str)
    for zh, en in KPIS.items():
        assert en in text and zh not in text
        assert zh in default and en not in default


def test_period_names_its_rule_and_grades_in_the_language(english) -> None:
    """period's title rule and grades follow --lang; the preset's own language is Chinese."""
    text, default = english["period"], english["period zh"]
    assert isinstance(text, str) and isinstance(default, str)
    assert "mean of the assessed months" in text and "Fail" in text
    assert "考核月份总分的平均" in default and "不合格" in default
    assert "mean of the assessed months" not in default


def test_whatif_headings_and_grades_follow_the_language(english) -> None:
    """whatif's title and columns come from the label catalogue; grades by their English names."""
    text, default = english["whatif"], english["whatif zh"]
    assert isinstance(text, str) and isinstance(default, str)
    assert "What-if: gd-mobile-aftersales → gd-mobile-aftersales" in text
    assert "Δtotal" in text and "Fail → Fail" in text
    assert "规则调整影响" in default and "总分变化" in default and "不合格 → 不合格" in default


def test_rubric_show_takes_lang_and_prints_time_zone_date_order_and_language() -> None:
    """rubric show --lang en names rubric, KPIs and grades in English; its table view prints the
    time zone, date order and language; without --lang the preset's Chinese names."""
    text = _run("rubric", "show", "gd-mobile-aftersales", "--lang", "en")
    assert text.startswith(NAME_EN)
    assert "Exchange mean cycle" in text and "Excellent" in text
    assert "rectification: last place, grades Fail" in text
    assert "timezone: Asia/Shanghai · date order: ymd · language: zh" in text
    default = _run("rubric", "show", "gd-mobile-aftersales")
    assert default.startswith(NAME_ZH) and "换机平均服务周期" in default and "优秀" in default


def test_a_stored_rubric_without_english_names_falls_back_to_chinese(tmp_path: Path) -> None:
    """A month stored under a rubric text with no *_en keys (as before they existed) reports in
    English with the Chinese rubric name, grade and KPI labels: never blank."""
    text = PRESET.read_text("utf-8")
    old = "\n".join(line for line in text.splitlines() if not re.match(r"\w+_en = ", line))
    assert "label_en" not in old and "name_en" not in old
    rubric = tmp_path / "old.toml"
    rubric.write_text(old + "\n", encoding="utf-8")
    db = tmp_path / "h.db"
    _run("score", MONTH, "--rubric", rubric, "--db", db, "--out", tmp_path / "score")
    _run("report", "--branch", WEAK, "--lang", "en", "--db", db, "--out", tmp_path / "r")
    page = _page_text(next((tmp_path / "r").rglob("*.html")))
    assert NAME_ZH in page and "不合格" in page and "换机平均服务周期" in page
    assert "Branch service-quality report" in page  # the report's own labels in English
