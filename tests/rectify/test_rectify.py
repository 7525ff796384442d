"""Rectification forms end to end on the sample months: issue, fill, collect, follow up next month."""

from __future__ import annotations

import shutil
import sqlite3
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest

from svcqa.history import HistoryStore
from svcqa.history import forms as forms_db
from svcqa.history.migrations import MIGRATIONS, latest_version
from svcqa.ingest import Limits
from svcqa.jobs.rectify import collect_forms, form_status, issue_forms
from svcqa.jobs.reports import reports_from_store
from svcqa.jobs.score import run_score
from svcqa.models import Month
from svcqa.rectify import build_form, kpi_target
from svcqa.rectify.xlsx import write_form_xlsx
from svcqa.render.report import ReportContext

import rectify_fixtures as fx
import report_fixtures as rf
from conftest import SAMPLE_DATA

SEP, OCT = Month(2026, 9), Month(2026, 10)
NOW = datetime(2026, 11, 2, 9, 0)


@dataclass
class Loop:
    db: Path
    root: Path
    sep_xlsx: Path
    filled: Path
    oct_run: object


def _score(month: str, root: Path, db: Path) -> None:
    run_score([SAMPLE_DATA / f"{month}.xlsx"], db=db, out_dir=root / month, now=NOW)


@pytest.fixture(scope="module")
def loop(tmp_path_factory) -> Loop:
    """08 and 09 scored; the weak branch's 09 form issued, filled and collected; 10 scored and issued."""
    root = tmp_path_factory.mktemp("loop")
    db = root / "h.db"
    for month in ("2026-08", "2026-09"):
        _score(month, root, db)
    sep = issue_forms(
        db, month=SEP, branch=fx.WEAK, out_dir=root / "f09", now=datetime(2026, 10, 2, 9, 0)
    )
    sep_xlsx = next(p for p in sep.paths if p.suffix == ".xlsx")
    filled = fx.fill(
        sep_xlsx, root / "filled-09.xlsx", overrides={fx.plan_rows(sep_xlsx)[0]["target"]: 4.5}
    )
    collected = collect_forms(db, [filled], now=datetime(2026, 10, 4, 10, 0))
    assert collected.ok, [p.message for p in collected.problems]
    _score("2026-10", root, db)
    oct_run = issue_forms(db, out_dir=root / "f10", now=datetime(2026, 11, 2, 9, 0))
    return Loop(db=db, root=root, sep_xlsx=sep_xlsx, filled=filled, oct_run=oct_run)


def _oct_form(loop: Loop):
    """The weak branch's 2026-10 form model, rebuilt the way issue_forms builds it."""
    from svcqa.jobs.stored import load_stored_month

    with HistoryStore(loop.db) as store:
        stored = load_stored_month(store, OCT)
        earlier = forms_db.measures(store, SEP)
    key = next(b.branch_key for b in stored.scorecard.branches if b.branch == fx.WEAK)
    ctx = ReportContext(stored.scorecard, trend=stored.trend, previous=stored.previous)
    form = build_form(
        stored.scorecard,
        key,
        context=ctx,
        previous=stored.previous,
        previous_measures=earlier[earlier["branch_key"] == key],
    )
    return form, stored


def test_default_run_writes_forms_for_every_branch_that_must_rectify_and_says_why(loop):
    """Without --branch, 2026-10 gets forms for the last-place branch and the failing one, each in xlsx, html and docx."""
    forms = {f.branch: f for f in loop.oct_run.forms}
    assert set(forms) == {fx.WEAK, "江门新会（十八）授权服务店"}
    assert forms[fx.WEAK].reasons == ("last_place", "rectification_required", "contract_review")
    assert (
        forms[fx.WEAK].reason_text == "末位、等级“不合格”、协议清算评估"
    )  # last and failing: both said
    assert forms["江门新会（十八）授权服务店"].reason_text == "等级“不合格”"
    for form in forms.values():
        assert sorted(p.suffix for p in form.paths) == [".docx", ".html", ".xlsx"]
        assert all(p.is_file() and p.parent == loop.root / "f10" for p in form.paths)


def test_collected_measures_are_recorded_against_branch_and_month(loop):
    """The filled 09 form records one measure per losing KPI, with owner, ISO deadline and the typed target."""
    with HistoryStore(loop.db) as store:
        rows = forms_db.measures(store, SEP)
    assert list(rows["kpi_id"]) == [r["kpi_id"] for r in fx.plan_rows(loop.sep_xlsx) if r["kpi_id"]]
    assert set(rows["owner"]) == {"王店长"} and set(rows["deadline"]) == {"2026-11-30"}
    assert rows.iloc[0]["kpi_id"] == "exchange_cycle" and rows.iloc[0]["target"] == 4.5
    assert rows.iloc[0]["problem"].startswith("换机平均服务周期：")
    assert rows.iloc[1]["target"] == 5.0  # the pre-filled full-marks threshold, kept


def test_next_month_form_shows_last_period_measures_and_whether_each_kpi_moved(loop):
    """The 10 form lists the 09 measures with the KPI's 09 and 10 values and a direction-aware verdict."""
    form, stored = _oct_form(loop)
    key = form.view.branch_key
    before = {k.id: k for k in stored.previous.branch(key).kpis}
    now = {k.id: k for k in stored.scorecard.branch(key).kpis}
    assert form.previous_form and len(form.follow_ups) == 9
    verdicts = {}
    for u in form.follow_ups:
        assert u.prev_value == pytest.approx(before[u.kpi_id].value) and u.value == pytest.approx(
            now[u.kpi_id].value
        )
        lower_better = u.kpi_id != "cooperation"
        expected = u.value < u.prev_value if lower_better else u.value > u.prev_value
        assert u.improved is expected or (u.moved == "same" and u.value == u.prev_value)
        verdicts[u.kpi_id] = u.moved
    assert verdicts == {  # 09 -> 10 values: lower is better except the cooperation rating
        "exchange_cycle": "worse",  # 5.34 -> 5.57 days
        "warranty_cycle": "worse",
        "nonwarranty_cycle": "worse",
        "rework_rate": "worse",  # 7.6% -> 7.9%
        "exchange_overdue": "worse",
        "complaint_rate": "improved",  # 3.81% -> 3.72%
        "attendance": "improved",  # 3.5 -> 3.0 deductions
        "discipline": "improved",  # 5.0 -> 2.5
        "cooperation": "same",  # rating 5.5 both months
    }
    html = next(
        p
        for p in next(f for f in loop.oct_run.forms if f.branch == fx.WEAK).paths
        if p.suffix == ".html"
    ).read_text(encoding="utf-8")
    assert (
        "exchange_cycle 专项整改：每周复盘，专人跟进" in html
        and "上期（2026-09）整改措施及本期（2026-10）指标变化" in html
    )


def test_next_month_xlsx_form_carries_the_measures_in_section_two(loop):
    """The 10 XLSX form's section 2 has each 09 measure, its owner and the before → now values as text."""
    path = next(
        p
        for p in next(f for f in loop.oct_run.forms if f.branch == fx.WEAK).paths
        if p.suffix == ".xlsx"
    )
    ws = openpyxl.load_workbook(path)[fx.SHEET]
    texts = [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert "complaint_rate 专项整改：每周复盘，专人跟进" in texts
    assert any(t.startswith("改善") for t in texts) and "未改善" in texts


def test_next_month_report_shows_the_measures_next_to_the_new_value(loop, tmp_path):
    """The weak branch's 10 report (HTML and XLSX) lists each 09 measure with the KPI then and now and whether it improved."""
    run = reports_from_store(loop.db, month=OCT, branch=fx.WEAK, out_dir=tmp_path, now=NOW)
    html = next(p for p in run.paths if p.suffix == ".html").read_text(encoding="utf-8")
    section = html[html.index('<section id="follow-ups">') : html.index('<section id="charts">')]
    assert "上期整改措施跟踪（2026-09 整改报告）" in section
    assert section.count('<tr data-kpi="') == 9
    assert (
        "rework_rate 专项整改：每周复盘，专人跟进" in section
        and "7.6%" in section
        and "7.9%" in section
        and "未改善" in section
    )
    overview = openpyxl.load_workbook(next(p for p in run.paths if p.suffix == ".xlsx"))["概览"]
    rows = [[c.value for c in row] for row in overview.iter_rows()]
    complaint = next(r for r in rows if r[1] == "complaint_rate 专项整改：每周复盘，专人跟进")
    assert complaint[:7] == [
        "客户投诉",
        "complaint_rate 专项整改：每周复盘，专人跟进",
        "王店长",
        "2026-11-30",
        "3.8%",
        "3.7%",
        "改善",
    ]
    others = reports_from_store(
        loop.db,
        month=OCT,
        branch="广州海珠（四）授权服务店",
        out_dir=tmp_path / "o",
        formats=("html",),
        now=NOW,
    )
    assert 'id="follow-ups"' not in others.paths[0].read_text(encoding="utf-8")


def test_recollecting_the_same_branch_month_replaces_the_earlier_record(loop, tmp_path):
    """Collecting a second filled copy of the 09 form replaces the measures rather than adding to them."""
    again = fx.fill(
        loop.sep_xlsx,
        tmp_path / "again.xlsx",
        overrides={fx.plan_rows(loop.sep_xlsx)[0]["owner"]: "李主管"},
    )
    run = collect_forms(loop.db, [again], now=datetime(2026, 10, 6, 9, 0))
    assert run.ok
    with HistoryStore(loop.db) as store:
        rows = forms_db.measures(store, SEP)
        back = forms_db.returns(store, SEP)
    assert len(rows) == 9 and rows.iloc[0]["owner"] == "李主管"
    assert [v["source_file"] for v in back.values()] == [str(again)]
    fx.fill(loop.sep_xlsx, loop.filled, overrides={fx.plan_rows(loop.sep_xlsx)[0]["target"]: 4.5})
    assert collect_forms(loop.db, [loop.filled], now=datetime(2026, 10, 4, 10, 0)).ok


def test_status_lists_issued_returned_and_overdue_measures(loop):
    """status: the 09 form came back with 9 measures, all overdue on 2026-12-01; a 10 form not back by 11-06 is overdue."""
    records = {(r["month"], r["branch"]): r for r in form_status(loop.db, today=date(2026, 12, 1))}
    sep = records[("2026-09", fx.WEAK)]
    assert sep["returned"] and sep["measures"] == 9 and len(sep["overdue_measures"]) == 9
    assert sep["overdue_measures"][0]["deadline"] == "2026-11-30"
    october = records[("2026-10", "江门新会（十八）授权服务店")]
    assert (
        not october["returned"] and october["form_overdue"] and october["due_date"] == "2026-11-05"
    )
    early = {
        (r["month"], r["branch"]): r
        for r in form_status(loop.db, month=SEP, today=date(2026, 11, 1))
    }
    assert (
        list(early) == [("2026-09", fx.WEAK)]
        and early[("2026-09", fx.WEAK)]["overdue_measures"] == []
    )


# -- the XLSX form itself ----------------------------------------------------------------------


def test_xlsx_form_prints_on_a4_is_protected_and_marks_input_cells(loop):
    """Page setup A4 fit to one page wide with repeated title rows; sheet protected; input cells unlocked, the rest locked."""
    wb = openpyxl.load_workbook(loop.sep_xlsx)
    ws = wb[fx.SHEET]
    assert ws.page_setup.paperSize == 9 and ws.page_setup.orientation == "portrait"
    assert (
        ws.sheet_properties.pageSetUpPr.fitToPage
        and ws.page_setup.fitToWidth in (None, 1)
        and ws.page_setup.fitToHeight == 0
    )
    assert ws.print_title_rows == "$1:$2"
    assert ws.protection.sheet is True
    row = fx.plan_rows(loop.sep_xlsx)[0]
    for ref in (
        row["measure"],
        row["owner"],
        row["deadline"],
        row["target"],
        fx.inputs(loop.sep_xlsx)["cause"],
    ):
        assert ws[ref].protection.locked is False and ws[ref].fill.fgColor.rgb == "FFFFF2CC", ref
    assert ws[row["problem"]].protection.locked is True and ws["B3"].protection.locked is True
    assert wb[fx.META].sheet_state == "veryHidden" and wb[fx.META].protection.sheet is True


def test_xlsx_form_validates_deadlines_and_targets(loop):
    """Deadline cells accept only dates after the month's end (2026-09-30); target cells only decimals."""
    ws = openpyxl.load_workbook(loop.sep_xlsx)[fx.SHEET]
    by_cell = {str(dv.sqref): dv for dv in ws.data_validations.dataValidation}
    row = fx.plan_rows(loop.sep_xlsx)[0]
    deadline, target = by_cell[row["deadline"]], by_cell[row["target"]]
    assert (deadline.type, deadline.operator) == ("date", "greaterThan")
    assert int(deadline.formula1) == (date(2026, 9, 30) - date(1899, 12, 30)).days
    assert target.type == "decimal" and target.operator in (
        None,
        "between",
    )  # "between" is the default, omitted
    assert (float(target.formula1), float(target.formula2)) == (-1e9, 1e9)


def test_xlsx_form_seeds_one_plan_row_per_losing_kpi_with_its_full_marks_target(loop):
    """Section 4 has a row per KPI that lost points (problem text, target = the curve's full-marks threshold) plus 2 blank rows."""
    ws = openpyxl.load_workbook(loop.sep_xlsx)[fx.SHEET]
    rows = fx.plan_rows(loop.sep_xlsx)
    assert [r["kpi_id"] for r in rows] == [
        "exchange_cycle",
        "warranty_cycle",
        "nonwarranty_cycle",
        "rework_rate",
        "exchange_overdue",
        "complaint_rate",
        "attendance",
        "discipline",
        "cooperation",
        "",
        "",
    ]
    targets = [ws[r["target"]].value for r in rows]
    assert targets == [
        3,
        5,
        5,
        0.05,
        0.05,
        0.03,
        0,
        0,
        10,
        None,
        None,
    ]  # deduct curves: no record at all
    assert ws[rows[5]["target"]].number_format == "0.0%"
    assert (
        ws[rows[5]["problem"]].value.startswith("客户投诉：")
        and "满分标准 ≤ 3.0%" in ws[rows[5]["problem"]].value
    )


def test_text_from_the_data_is_written_as_strings_never_formulas(tmp_path):
    """A complaint category '=cmd|...' lands in the form as a string cell with that exact text, not a formula."""
    current, previous, trend = rf.build_history(NOW)
    key = rf.branch_key("深圳福田华强北店")
    ctx = ReportContext(current, trend=trend, previous=previous)
    form = build_form(current, key, context=ctx, previous=previous, now=NOW)
    path = tmp_path / "form.xlsx"
    layout = write_form_xlsx(form, path, now=NOW)
    ws = openpyxl.load_workbook(path)[fx.SHEET]
    cells = [c for row in ws.iter_rows() for c in row if c.value == rf.FORMULA_TEXT]
    assert cells and all(c.data_type == "s" for c in cells)
    assert rf.FORMULA_TEXT in layout.locked.values()


def test_kpi_target_is_the_curve_full_marks_threshold():
    """linear -> full, deduct -> 0, rating -> scale max, bands -> the best band's limit, unknown -> None."""
    from svcqa.models import KpiResult

    def kpi(curve, max_=10.0):
        return KpiResult(
            id="k", label="k", group="g", value=1.0, basis=1, points=1.0, max=max_, curve=curve
        )

    assert kpi_target(kpi({"kind": "linear", "full": 0.03, "zero": 0.05})) == 0.03
    assert kpi_target(kpi({"kind": "deduct", "per": 1})) == 0.0
    assert kpi_target(kpi({"kind": "rating", "scale_max": 5})) == 5.0
    assert kpi_target(kpi({"kind": "bands", "bands": [[2, 10], [4, 5]], "better": "lower"})) == 2.0
    assert kpi_target(kpi({"kind": "mystery"})) is None


# -- collecting bad forms ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def issued(tmp_path_factory):
    """A store with 2026-09 scored and the weak branch's form issued (nothing collected)."""
    root = tmp_path_factory.mktemp("issued")
    db = root / "h.db"
    _score("2026-09", root, db)
    run = issue_forms(
        db, month=SEP, branch=fx.WEAK, out_dir=root / "forms", now=datetime(2026, 10, 2, 9, 0)
    )
    return db, next(p for p in run.paths if p.suffix == ".xlsx"), root


def _collect_one(issued, tmp_path, overrides):
    db, form, _root = issued
    path = fx.fill(form, tmp_path / "bad.xlsx", overrides=overrides)
    run = collect_forms(db, [path], now=NOW)
    with HistoryStore(db) as store:
        assert (
            forms_db.measures(store, SEP).empty and forms_db.returns(store, SEP) == {}
        )  # nothing half-recorded
    return [(p.code, f"{p.column}{p.row}") for p in run.problems], [p.message for p in run.problems]


def test_missing_owner_is_reported_with_its_cell(issued, tmp_path):
    """A plan row without an owner names the owner cell (F54, row 1 of section 4) and records nothing."""
    codes, messages = _collect_one(issued, tmp_path, {"F54": None})
    assert codes == [("missing-owner", "F54")]
    assert messages == [
        "file bad.xlsx, sheet '整改报告', cell F54: 责任人 (owner) is empty in section 4, row 1; fill it in"
    ]


def test_text_deadline_is_an_error(issued, tmp_path):
    """A deadline typed as free text ('下月底') is not a date: reported at its cell."""
    codes, messages = _collect_one(issued, tmp_path, {"G55": "下月底"})
    assert codes == [("bad-deadline", "G55")]
    assert messages[0].startswith(
        "file bad.xlsx, sheet '整改报告', cell G55: deadline '下月底' is not a date"
    )


def test_deadline_inside_the_month_is_an_error_and_iso_text_is_accepted(issued, tmp_path):
    """A deadline on the month's last day is too early; an ISO text date after it is fine."""
    codes, messages = _collect_one(
        issued, tmp_path, {"G54": datetime(2026, 9, 30), "G55": "2026-12-20"}
    )
    assert codes == [("early-deadline", "G54")]
    assert (
        "deadline 2026-09-30 is not after the end of the assessed month (2026-09-30)" in messages[0]
    )


def test_non_numeric_target_is_an_error(issued, tmp_path):
    """A target '三成' is not a number; '3%' would have been read as 0.03."""
    codes, messages = _collect_one(issued, tmp_path, {"H59": "三成"})
    assert codes == [("bad-target", "H59")]
    assert "target value '三成' is not a number" in messages[0]


def test_edit_in_a_locked_cell_is_reported_with_old_and_new_value(issued, tmp_path):
    """Changing the pre-filled total (B4) is an edit outside the input cells, named with both values."""
    wb = openpyxl.load_workbook(issued[1])
    was = wb[fx.SHEET]["B4"].value
    codes, messages = _collect_one(issued, tmp_path, {"B4": "99.00 / 100"})
    assert codes == [("locked-cell-edited", "B4")]
    assert f"(issued {was!r}, now '99.00 / 100')" in messages[0]


def test_files_that_are_not_forms_are_reported(issued, tmp_path):
    """A scorecard workbook, a text file and a missing path each give one precise problem; nothing recorded."""
    db, _form, root = issued
    text = tmp_path / "notes.xlsx"
    text.write_text("not a workbook", encoding="utf-8")
    run = collect_forms(
        db, [root / "2026-09" / "scorecard.xlsx", text, tmp_path / "gone.xlsx"], now=NOW
    )
    assert [p.code for p in run.problems] == ["not-a-form", "not-a-form", "missing-file"]
    assert (
        "scorecard.xlsx: is not an svcqa rectification form (it has no '_svcqa_form' sheet)"
        in run.problems[0].message
    )
    assert run.recorded == []


def test_a_returned_file_declaring_xml_entities_is_refused_before_parsing(issued, tmp_path):
    """A form whose workbook.xml carries a DTD (entity-expansion attack) is refused with the export guards' reason."""
    db, form, _root = issued
    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(form) as src, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "xl/workbook.xml":
                data = (
                    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]>'
                    + data.split(b"?>", 1)[1]
                )
            dst.writestr(info.filename, data)
    run = collect_forms(db, [bomb], now=NOW)
    assert [p.code for p in run.problems] == ["unsafe-file"] and run.recorded == []
    assert run.problems[0].message.startswith(
        "file bomb.xlsx: zip member xl/workbook.xml declares a DTD or XML entities"
    )


def test_a_returned_file_of_too_many_zip_members_is_refused_before_it_is_opened(issued, tmp_path):
    """A form padded with junk zip members past max_zip_members is refused like an export."""
    import hostile_files as hf

    db, form, _root = issued
    padded = hf.with_extra_members(form, tmp_path / "padded.xlsx", 50)
    run = collect_forms(db, [padded], now=NOW, limits=Limits(max_zip_members=40))
    assert [p.code for p in run.problems] == ["unsafe-file"] and run.recorded == []
    assert (
        "the zip package lists" in run.problems[0].message
        and "max_zip_members = 40" in run.problems[0].message
    )


def test_one_bad_form_does_not_stop_a_good_one_in_the_same_batch(issued, tmp_path):
    """Per form: the valid form of a batch is recorded, the bad one records nothing and is reported."""
    source, form, _root = issued
    db = Path(shutil.copy(source, tmp_path / "copy.db"))  # a store of its own: this test records
    good = fx.fill(form, tmp_path / "good.xlsx")
    bad = fx.fill(form, tmp_path / "bad.xlsx", overrides={"D54": None})
    run = collect_forms(db, [bad, good], now=NOW)
    assert [(p.code, p.file, f"{p.column}{p.row}") for p in run.problems] == [
        ("missing-measure", "bad.xlsx", "D54")
    ]
    assert [f.source_file for f in run.recorded] == [str(good)]
    with HistoryStore(db) as store:
        assert len(forms_db.measures(store, SEP)) == 9
        assert [v["source_file"] for v in forms_db.returns(store, SEP).values()] == [str(good)]


# -- DOCX and the migration --------------------------------------------------------------------


def test_docx_form_opens_and_has_the_five_sections_and_signature_lines(loop):
    """The Word form opens with python-docx and carries the header, the five sections and the signature labels."""
    import docx

    path = next(
        p
        for p in next(f for f in loop.oct_run.forms if f.branch == fx.WEAK).paths
        if p.suffix == ".docx"
    )
    document = docx.Document(str(path))
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert headings == [
        "一、基本情况",
        "二、上期整改措施执行情况",
        "三、主要问题分析",
        "四、整改措施及计划",
        "五、需协调事项",
    ]
    cells = {c.text for t in document.tables for row in t.rows for c in row.cells}
    assert {"负责人签字", "填报日期", "客服中心确认", fx.WEAK, "第 39 名 / 共 39 名"} <= cells
    assert any("rework_rate 专项整改" in c for c in cells)


def test_migration_two_upgrades_a_version_one_store_keeping_its_data(tmp_path):
    """A store at schema version 1 opens at the latest version with the form tables added and its rows kept."""
    path = tmp_path / "v1.db"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN")
    MIGRATIONS[1](conn)
    conn.execute("PRAGMA user_version = 1")
    conn.execute("INSERT INTO rubrics (sha256, rubric_id, source) VALUES ('x', 'r', 'text')")
    conn.execute("COMMIT")
    conn.close()
    with HistoryStore(path) as store:
        assert forms_db.issued_forms(store) == [] and forms_db.measures(store).empty
    conn = sqlite3.connect(path)
    assert (
        conn.execute("PRAGMA user_version").fetchone() == (latest_version(),)
        and latest_version() >= 2
    )
    assert conn.execute("SELECT rubric_id FROM rubrics").fetchall() == [("r",)]
    names = {n for (n,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"rectify_forms", "rectify_returns", "rectify_measures"} <= names
    conn.close()
