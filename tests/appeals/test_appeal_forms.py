"""Appeal forms (申诉表) on the sample month: issued from the store, filled in, read back."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from svcqa.appeals.collect import read_appeal_forms
from svcqa.history import HistoryStore
from svcqa.ingest import Limits
from svcqa.jobs.appeal_forms import issue_appeal_forms
from svcqa.jobs.score import run_score
from svcqa.jobs.stored import load_stored_month
from svcqa.models import AppealRequest, Month, Scorecard

from conftest import SAMPLE_DATA

OCT = Month(2026, 10)
NOW = datetime(2026, 11, 2, 9, 0)
WEAK = "深圳龙岗（九）营业厅"  # last place in every sample month
META, SHEET = "_svcqa_appeal", "申诉表"
# evidence kinds of the rows a branch may appeal, by the table they come from
KIND_TABLES = {
    "slow_ticket": "tickets",
    "overdue_ticket": "tickets",
    "rework": "tickets",
    "complaint": "complaints",
    "absence": "attendance",
    "late": "attendance",
    "early_leave": "attendance",
}


@dataclass
class Issued:
    db: Path
    scorecard: Scorecard
    form: Path
    rows: list[dict[str, Any]]  # the hidden record's rows table


def meta_rows(path: Path) -> list[dict[str, Any]]:
    """The rows table of a form's hidden record (header row starting 'row', 'table')."""
    wb = openpyxl.load_workbook(path, read_only=True)
    values = [list(r) for r in wb[META].iter_rows(values_only=True)]
    wb.close()
    start = next(i for i, r in enumerate(values) if r[:2] == ["row", "table"])
    head = values[start]
    out = []
    for r in values[start + 1 :]:
        if r[0] is None:
            break
        out.append(dict(zip(head, r)))
    return out


def fill(src: Path, dst: Path, cells: dict[str, Any]) -> Path:
    """Type values into the form sheet as a branch would in Excel (None clears a cell)."""
    wb = openpyxl.load_workbook(src)
    ws = wb[SHEET]
    for ref, value in cells.items():
        ws[ref] = value
    wb.save(dst)
    return dst


@pytest.fixture(scope="module")
def issued(tmp_path_factory) -> Issued:
    """2026-10 scored into a store; the weak branch's appeal form issued."""
    root = tmp_path_factory.mktemp("appeals")
    db = root / "h.db"
    run_score([SAMPLE_DATA / "2026-10.xlsx"], db=db, out_dir=root / "out", now=NOW)
    with HistoryStore(db, create=False) as store:
        scorecard = load_stored_month(store, OCT).scorecard
    paths = issue_appeal_forms(db, OCT, branch=WEAK, out=root / "forms", now=NOW)
    assert len(paths) == 1
    return Issued(db, scorecard, paths[0], meta_rows(paths[0]))


def expected_rows(scorecard: Scorecard, name: str) -> Counter:
    """(table, id) of every evidence row of a KPI the branch lost points on, counted from the
    scorecard by evidence kind (not by the rubric's tables, as the form does)."""
    branch = next(b for b in scorecard.branches if b.branch == name)
    lost = {k.id for k in branch.kpis if k.lost > 0}
    ev = scorecard.evidence
    ev = ev[(ev["branch_key"] == branch.branch_key) & ev["kpi_id"].isin(lost)]
    out: Counter = Counter()
    for kind, ref, day in zip(ev["kind"], ev["ref"], ev["date"]):
        table = KIND_TABLES.get(kind)
        if table:
            out[(table, f"{ref} {day[:10]}" if table == "attendance" else ref)] += 1
    return out


def test_form_lists_exactly_the_branch_evidence_rows(issued):
    """The weak branch's form lists each ticket, complaint and attendance row that cost it points, once per KPI."""
    listed = Counter((r["table"], r["row_id"]) for r in issued.rows)
    expected = expected_rows(issued.scorecard, WEAK)
    assert listed == expected
    assert sum(expected.values()) == len(issued.rows) > 10
    assert {t for t, _ in listed} >= {"tickets", "complaints"}


def test_form_rows_point_at_the_input_rows(issued):
    """Each listed row's file, sheet and Excel row hold the row's id in the sample workbook."""
    wb = openpyxl.load_workbook(issued.form, read_only=True)
    form = {
        r[3]: (r[8], r[9], r[10])
        for r in wb[SHEET].iter_rows(values_only=True)
        if r[0] is not None and isinstance(r[10], int | float)
    }
    wb.close()
    source = openpyxl.load_workbook(SAMPLE_DATA / "2026-10.xlsx", read_only=True)
    checked = 0
    for r in issued.rows[:: max(1, len(issued.rows) // 15)]:
        file, sheet, row = form[r["row_id"]]
        assert file == "2026-10.xlsx"
        cells = next(source[sheet].iter_rows(min_row=int(row), max_row=int(row), values_only=True))
        texts = {str(c) for c in cells if c is not None}
        first = r["row_id"].split(" ")[0]
        assert first in texts, (r, cells)
        checked += 1
    source.close()
    assert checked >= 10


def test_attendance_rows_are_named_staff_and_day(issued):
    """An attendance row's id is '<staff> <YYYY-MM-DD>' (models.APPEAL_ROW_ID)."""
    ids = [r["row_id"] for r in issued.rows if r["table"] == "attendance"]
    if not ids:
        pytest.skip("the weak branch lost no attendance points this month")
    for row_id in ids:
        staff, day = row_id.rsplit(" ", 1)
        assert staff and datetime.strptime(day, "%Y-%m-%d").month == 10


def test_filled_form_reads_back_into_appeal_requests(issued, tmp_path):
    """Rows marked 是 with a reason become AppealRequests; 否 and blank rows do not."""
    first, second, third = issued.rows[0], issued.rows[1], issued.rows[2]
    filled = fill(
        issued.form,
        tmp_path / "filled.xlsx",
        {
            first["appeal"]: "是",
            first["reason"]: "客户六天未取机",
            first["reference"]: "短信通知截图",
            second["appeal"]: "否",
            third["appeal"]: "yes",
            third["reason"]: "设备进水，非网点责任",
        },
    )
    got = read_appeal_forms([filled], limits=Limits())
    assert got.problems == []
    assert got.requests == [
        AppealRequest(
            month=OCT,
            branch=WEAK,
            table=first["table"],
            row_id=first["row_id"],
            reason="客户六天未取机",
            reference="短信通知截图",
            kpi_id=first["kpi_id"],
            source="filled.xlsx",
        ),
        AppealRequest(
            month=OCT,
            branch=WEAK,
            table=third["table"],
            row_id=third["row_id"],
            reason="设备进水，非网点责任",
            reference="",
            kpi_id=third["kpi_id"],
            source="filled.xlsx",
        ),
    ]


def test_a_row_listed_under_two_kpis_is_one_appeal(issued, tmp_path):
    """A ticket listed under two KPIs and marked 是 on both lines gives one request naming both KPIs."""
    seen: dict[tuple[str, str], dict[str, Any]] = {}
    pair = None
    for r in issued.rows:
        key = (r["table"], r["row_id"])
        if key in seen and seen[key]["kpi_id"] != r["kpi_id"]:
            pair = (seen[key], r)
            break
        seen.setdefault(key, r)
    if pair is None:
        pytest.skip("no row of the weak branch costs points in two KPIs")
    a, b = pair
    filled = fill(
        issued.form,
        tmp_path / "twice.xlsx",
        {a["appeal"]: "是", a["reason"]: "客户原因", b["appeal"]: "是", b["reason"]: "客户原因"},
    )
    got = read_appeal_forms([filled])
    assert [(r.row_id, r.kpi_id, r.reason) for r in got.requests] == [
        (a["row_id"], f"{a['kpi_id']},{b['kpi_id']}", "客户原因")
    ]


def test_a_cell_edited_outside_the_input_cells_rejects_the_whole_form(issued, tmp_path):
    """Overwriting a listed row's id is a cell-level problem and no request of the form is returned."""
    first = issued.rows[0]
    id_cell = "D" + first["appeal"][1:]  # the row id column of the same line
    filled = fill(
        issued.form,
        tmp_path / "edited.xlsx",
        {first["appeal"]: "是", first["reason"]: "客户原因", id_cell: "GD0000000001"},
    )
    got = read_appeal_forms([filled])
    assert got.requests == []
    assert [(p.code, p.sheet, f"{p.column}{p.row}") for p in got.problems] == [
        ("locked-cell-edited", SHEET, id_cell)
    ]
    message = got.problems[0].message
    assert f"cell {id_cell}" in message and first["row_id"] in message and "GD0000000001" in message


def test_yes_without_a_reason_is_a_problem(issued, tmp_path):
    """申诉 = 是 with an empty 申诉理由 names the reason cell; the form gives nothing."""
    first, second = issued.rows[0], issued.rows[1]
    filled = fill(
        issued.form,
        tmp_path / "noreason.xlsx",
        {first["appeal"]: "是", second["appeal"]: "是", second["reason"]: "客户原因"},
    )
    got = read_appeal_forms([filled])
    assert got.requests == []
    assert [(p.code, f"{p.column}{p.row}") for p in got.problems] == [
        ("missing-appeal-reason", first["reason"])
    ]


def test_choices_other_than_yes_or_no_and_unmarked_reasons_are_problems(issued, tmp_path):
    """'maybe' under 申诉 and a reason on a row not marked 是 are each a problem at their cell."""
    first, second = issued.rows[0], issued.rows[1]
    filled = fill(
        issued.form,
        tmp_path / "odd.xlsx",
        {first["appeal"]: "maybe", first["reason"]: "x", second["reason"]: "忘了选是"},
    )
    got = read_appeal_forms([filled])
    assert [(p.code, f"{p.column}{p.row}") for p in got.problems] == [
        ("bad-appeal-choice", first["appeal"]),
        ("unmarked-appeal", second["appeal"]),
    ]


def test_an_edited_hidden_record_is_refused(issued, tmp_path):
    """Changing the hidden record's row ids (to appeal another row) breaks its checksum: refused."""
    wb = openpyxl.load_workbook(issued.form)
    ws = wb[META]
    for row in ws.iter_rows():
        for cell in row:
            if cell.value == issued.rows[0]["row_id"]:
                cell.value = "GD0000000001"
    ws2 = wb[SHEET]
    ws2[issued.rows[0]["appeal"]] = "是"
    ws2[issued.rows[0]["reason"]] = "客户原因"
    wb.save(tmp_path / "meta.xlsx")
    got = read_appeal_forms([tmp_path / "meta.xlsx"])
    assert got.requests == [] and [p.code for p in got.problems] == ["bad-metadata"]


def test_not_a_form_and_missing_files_are_problems_not_errors(issued, tmp_path):
    """A rectification-less workbook and a missing path are findings naming the file."""
    other = tmp_path / "other.xlsx"
    wb = openpyxl.Workbook()
    wb.active["A1"] = "hello"
    wb.save(other)
    got = read_appeal_forms([other, tmp_path / "nope.xlsx", issued.form])
    assert [(p.code, p.file) for p in got.problems] == [
        ("not-a-form", "other.xlsx"),
        ("missing-file", "nope.xlsx"),
    ]
    assert "svcqa appeal forms" in got.problems[0].message
    assert got.requests == [] and got.checked == 3


def test_store_can_vouch_for_issued_forms(issued):
    """Given the issued forms' checksums, a form id the store does not know is refused."""
    got = read_appeal_forms([issued.form], issued={"someone-else": "0" * 64})
    assert [p.code for p in got.problems] == ["unknown-form"]


def test_every_branch_gets_a_form_in_the_month_folder_and_english_labels(issued, tmp_path):
    """Without --branch every branch of the month gets a form; lang='en' writes English labels."""
    paths = issue_appeal_forms(issued.db, OCT, out=tmp_path / "en", lang="en", now=NOW)
    assert len(paths) == len(issued.scorecard.branches)
    assert all(p.name.endswith("-appeal.xlsx") and p.parent == tmp_path / "en" for p in paths)
    wb = openpyxl.load_workbook(paths[0], read_only=True)
    assert wb.sheetnames == ["Appeals", META]
    wb.close()


def test_only_the_input_cells_are_unlocked_and_appeal_takes_a_yes_no_list(issued):
    """The form sheet is protected, its three input cells per row unlocked, 申诉 validated as 是/否."""
    wb = openpyxl.load_workbook(issued.form)
    ws = wb[SHEET]
    assert ws.protection.sheet is True
    first = issued.rows[0]
    assert [ws[first[n]].protection.locked for n in ("appeal", "reason", "reference")] == [
        False,
        False,
        False,
    ]
    assert ws["D" + first["appeal"][1:]].protection.locked is True
    (validation,) = ws.data_validations.dataValidation
    assert validation.type == "list" and validation.formula1 == '"是,否"'
    assert first["appeal"] in validation.sqref
    assert wb[META].sheet_state == "veryHidden"
