"""Appeal forms recorded in the store when issued: collect takes only forms the store vouches
for, and each form shows its appeal deadline in the header."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from svcqa import collect_appeal_forms, issue_appeal_forms, read_appeal_forms, run_score
from svcqa.fillable.sheet import locked_hash

from conftest import SAMPLE_DATA

NOW = datetime(2026, 11, 2, 9, 0)
WEAK = "深圳龙岗（九）营业厅"
META, SHEET = "_svcqa_appeal", "申诉表"


@pytest.fixture()
def issued(tmp_path: Path) -> tuple[Path, Path]:
    """2026-10 scored (first scored 2026-11-02) and the weak branch's form issued: (store, form)."""
    db = tmp_path / "h.db"
    run_score([SAMPLE_DATA / "2026-10.xlsx"], db=db, out_dir=tmp_path / "out", now=NOW)
    [form] = issue_appeal_forms(db, "2026-10", branch=WEAK, out=tmp_path / "forms", now=NOW)
    return db, form


def meta(ws: Any) -> dict[str, Any]:
    """The hidden record's key/value head (column A -> column B, up to the first blank row)."""
    out = {}
    for a, b in ws.iter_rows(min_col=1, max_col=2, values_only=True):
        if a is None:
            break
        out[a] = b
    return out


def forge(form: Path, dst: Path) -> str:
    """Change a listed row's id in the sheet and in the hidden record, fill the row in as an
    appeal, and recompute the record's checksum as svcqa computes it; the new id."""
    wb = openpyxl.load_workbook(form)
    record, sheet = wb[META], wb[SHEET]
    values = [list(r) for r in record.iter_rows(values_only=True)]
    rows_at = next(i for i, r in enumerate(values) if r[:2] == ["row", "table"])
    head = values[rows_at]
    first = dict(zip(head, values[rows_at + 1]))
    id_cell = "D" + first["appeal"][1:]
    forged = "GD2026109999999"
    sheet[id_cell] = forged
    sheet[first["appeal"]], sheet[first["reason"]] = "是", "客户原因"
    record.cell(rows_at + 2, head.index("row_id") + 1).value = forged
    cells_at = next(i for i, r in enumerate(values) if r[:2] == ["cell", "value"])
    locked = {}
    for i in range(cells_at + 1, len(values)):
        ref, value = values[i][:2]
        if ref is None:
            break
        if ref == id_cell:
            value = forged
            record.cell(i + 1, 2).value = forged
        locked[ref] = value
    sha_row = next(i for i, r in enumerate(values) if r[0] == "locked_sha256")
    record.cell(sha_row + 1, 2).value = locked_hash(locked)
    wb.save(dst)
    return forged


def test_issuing_records_each_form_with_its_checksum(issued):
    """The store holds the issued form's id, month, branch, checksum, time and file name, as the form's hidden record says."""
    db, form = issued
    wb = openpyxl.load_workbook(form, read_only=True)
    record = meta(wb[META])
    wb.close()
    conn = sqlite3.connect(db)
    rows = conn.execute("SELECT * FROM appeal_forms").fetchall()
    conn.close()
    assert rows == [
        (
            record["form_id"],
            "2026-10",
            record["branch_key"],
            record["locked_sha256"],
            "2026-11-02T09:00:00",
            form.name,
        )
    ]


def test_a_form_with_a_recomputed_checksum_is_refused_by_the_store(issued, tmp_path):
    """A hidden record edited with its checksum recomputed passes the form's own check but collect refuses it (unknown-form) and records nothing."""
    db, form = issued
    forged = forge(form, tmp_path / "forged.xlsx")
    alone = read_appeal_forms([tmp_path / "forged.xlsx"])
    assert alone.problems == [] and [r.row_id for r in alone.requests] == [forged]
    collection, filed = collect_appeal_forms(db, [tmp_path / "forged.xlsx"], now=NOW)
    assert filed is None and collection.requests == []
    assert [(p.code, p.file, p.sheet) for p in collection.problems] == [
        ("unknown-form", "forged.xlsx", META)
    ]
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT count(*) FROM appeals").fetchone() == (0,)
    conn.close()


def test_a_form_the_store_issued_is_collected(issued, tmp_path):
    """The form as issued, filled in, is vouched for by the store and its appeal recorded."""
    db, form = issued
    wb = openpyxl.load_workbook(form)
    values = [list(r) for r in wb[META].iter_rows(values_only=True)]
    rows_at = next(i for i, r in enumerate(values) if r[:2] == ["row", "table"])
    first = dict(zip(values[rows_at], values[rows_at + 1]))
    wb[SHEET][first["appeal"]], wb[SHEET][first["reason"]] = "是", "客户原因"
    wb.save(tmp_path / "filled.xlsx")
    collection, filed = collect_appeal_forms(db, [tmp_path / "filled.xlsx"], now=NOW)
    assert collection.problems == []
    assert filed is not None and [a.row_id for a in filed.recorded] == [first["row_id"]]


def test_a_form_issued_by_another_store_is_refused(issued, tmp_path):
    """A form issued from another store (same month, another time) is unknown to this one."""
    db, _ = issued
    other = tmp_path / "other.db"
    run_score([SAMPLE_DATA / "2026-10.xlsx"], db=other, out_dir=tmp_path / "o", now=NOW)
    later = datetime(2026, 11, 3, 9, 0)
    [form] = issue_appeal_forms(other, "2026-10", branch=WEAK, out=tmp_path / "of", now=later)
    collection, filed = collect_appeal_forms(db, [form], now=later)
    assert filed is None and [p.code for p in collection.problems] == ["unknown-form"]


def test_the_form_header_shows_the_appeal_deadline(issued, tmp_path):
    """The header says the deadline: the preset's window_days (10) after the first scoring on 2026-11-02, in zh and en."""
    db, form = issued
    wb = openpyxl.load_workbook(form, read_only=True)
    rows = [r for r in wb[SHEET].iter_rows(max_row=6, values_only=True)]
    wb.close()
    assert ("申诉截止", "2026-11-12（本月首次计分 2026-11-02 后 10 天内；逾期申诉不予受理）") in [
        r[:2] for r in rows
    ]
    [en] = issue_appeal_forms(db, "2026-10", branch=WEAK, out=tmp_path / "en", lang="en", now=NOW)
    wb = openpyxl.load_workbook(en, read_only=True)
    rows = [r for r in wb["Appeals"].iter_rows(max_row=6, values_only=True)]
    wb.close()
    assert (
        "Appeal deadline",
        "2026-11-12 (10 days after the month was first scored on 2026-11-02; late appeals are refused)",
    ) in [r[:2] for r in rows]
