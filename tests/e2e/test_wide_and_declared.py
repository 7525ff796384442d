"""Issue 20's wide sheets and declared tables: a 考勤表 scores as its long form, a table of one's own scores as pandas computes it."""

from __future__ import annotations

import csv
import json
import random
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

from svcqa.cli.app import app
from svcqa.ingest import ingest
from svcqa.models import Month
from svcqa.render.rejects import write_rejects
from svcqa.rubric import load_rubric_text
from svcqa.scoring import score_month

runner = CliRunner()
NOW = datetime(2026, 11, 2, 9, 0)
CODES = ["√", "√", "√", "出勤", "缺勤", "迟到", "早退", None]  # None: a blank cell, no record
STATUS = {
    "√": "present",
    "出勤": "present",
    "缺勤": "absent",
    "迟到": "late",
    "早退": "early_leave",
}

ATTENDANCE_RUBRIC = """
id = "attendance"
name = "Attendance"
max = 100
{tables}
[[kpis]]
id = "absence"
label = "缺勤"
points = 60
metric = {{ kind = "count", table = "attendance", filter = {{ status = "absent" }} }}
curve = {{ kind = "deduct", per = 4 }}

[[kpis]]
id = "late"
label = "迟到早退"
points = 40
metric = {{ kind = "count", table = "attendance", filter = {{ status = ["late", "early_leave"] }} }}
curve = {{ kind = "deduct", per = 1.5 }}

[[grades]]
name = "ok"
min = 60
coefficient = 1

[[grades]]
name = "weak"
min = 0
coefficient = 0.9
"""
WIDE = '[tables.attendance]\nlayout = "wide"\nkey_columns = ["网点", "姓名"]\n'


def people(seed: int = 20, count: int = 40) -> list[tuple[str, str, list[str | None]]]:
    """(branch, name, 31 day codes) per person, from a fixed seed."""
    rng = random.Random(seed)
    return [
        (f"网点{i % 7:02d}", f"员工{i:03d}", [rng.choice(CODES) for _ in range(31)])
        for i in range(count)
    ]


def write_wide(path: Path, rows: list[tuple[str, str, list[str | None]]]) -> Path:
    """A 考勤表: a title row naming the month, then 网点, 姓名, 1日 … 31日, 出勤天数."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "考勤"
    sheet.append(["2026年10月考勤表"])
    sheet.append(["网点", "姓名", *[f"{d}日" for d in range(1, 32)], "出勤天数"])
    for branch, name, codes in rows:
        sheet.append([branch, name, *codes, sum(c is not None for c in codes)])
    book.save(path)
    return path


def write_long(path: Path, rows: list[tuple[str, str, list[str | None]]]) -> Path:
    """The same records in long form: one row per person and day with a code."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "考勤"
    sheet.append(["日期", "网点", "姓名", "出勤状态"])
    for branch, name, codes in rows:
        for day, code in enumerate(codes, start=1):
            if code is not None:
                sheet.append([date(2026, 10, day), branch, name, code])
    book.save(path)
    return path


def half_up(x: float) -> float:
    return float(Decimal(repr(round(float(x), 9))).quantize(Decimal("0.01"), ROUND_HALF_UP))


def scored(path: Path, rubric_text: str, month: Month | None = None):
    rubric = load_rubric_text(rubric_text)
    data = ingest(
        [path],
        month=month,
        required=rubric.required_columns(),
        extra_columns=rubric.extra_columns,
        extra_aliases=rubric.aliases,
        tables=rubric.declared_tables,
    )
    return data, score_month(data, rubric, None, now=NOW)


def test_wide_attendance_scores_as_its_long_form(tmp_path: Path) -> None:
    """40 people × 31 day columns read wide give the same rows, KPI values, points and totals as the long sheet, and as pandas counts."""
    rows = people()
    wide_data, wide = scored(
        write_wide(tmp_path / "wide.xlsx", rows), ATTENDANCE_RUBRIC.format(tables=WIDE)
    )
    long_data, long = scored(
        write_long(tmp_path / "long.xlsx", rows), ATTENDANCE_RUBRIC.format(tables="")
    )
    assert wide_data.month == Month(2026, 10)  # from the title row
    records = [
        (b, n, day, STATUS[c]) for b, n, codes in rows for day, c in enumerate(codes, 1) if c
    ]
    assert wide_data.stats["attendance"].used == len(records) == long_data.stats["attendance"].used
    assert wide_data.rejects.empty and long_data.rejects.empty
    assert [n.code for n in wide_data.notes].count("wide-column-ignored") == 1  # 出勤天数
    frame = pd.DataFrame(records, columns=["branch", "staff", "day", "status"])
    absent = frame[frame.status == "absent"].groupby("branch").size()
    late = frame[frame.status.isin(["late", "early_leave"])].groupby("branch").size()
    assert [b.branch for b in wide.branches] == [b.branch for b in long.branches]
    for w, lg in zip(wide.branches, long.branches, strict=True):
        want = {
            "absence": (absent.get(w.branch, 0), half_up(max(60 - 4 * absent.get(w.branch, 0), 0))),
            "late": (late.get(w.branch, 0), half_up(max(40 - 1.5 * late.get(w.branch, 0), 0))),
        }
        for kw, kl in zip(w.kpis, lg.kpis, strict=True):
            assert (kw.value, kw.points) == (kl.value, kl.points) == want[kw.id], (w.branch, kw.id)
        assert w.total == lg.total == half_up(sum(p for _, p in want.values()))
        assert w.grade == lg.grade
    days = wide_data.tables["attendance"].sort_values(["_row", "date"])
    first = days[days["_row"] == 3]
    assert list(first["date"].dt.day) == [d for d, c in enumerate(rows[0][2], 1) if c]


def test_bad_wide_cell_is_rejected_with_its_cell(tmp_path: Path) -> None:
    """An unknown code in day 30 of the 5th person (cell AF7) rejects that one day, and rejects.csv names AF7 and row 7."""
    rows = people(count=6)
    rows[4][2][29] = "病假x"
    rows[2][2][0] = "?"
    data, _ = scored(
        write_wide(tmp_path / "wide.xlsx", rows), ATTENDANCE_RUBRIC.format(tables=WIDE)
    )
    written = write_rejects(data, tmp_path)
    with open(tmp_path / "rejects.csv", encoding="utf-8-sig") as handle:
        rejects = list(csv.DictReader(handle))
    got = {(r["row"], r["column"], r["value"], r["code"]) for r in rejects}
    assert got == {
        ("7", "出勤状态 AF7", "病假x", "unknown-status"),
        ("5", "出勤状态 C5", "?", "unknown-status"),
    }
    assert written[1].name == "rejects.csv"
    stats = data.stats["attendance"]
    assert stats.rejected == 2 and stats.rows == stats.used + 2


def test_wide_month_from_sheet_name_option_and_beyond_month(tmp_path: Path, make_workbook) -> None:
    """The month comes from the sheet name or --month; day 31 of a 30-day month is a note when blank and an error naming it when filled."""
    head = ["网点", "姓名", *[str(d) for d in range(1, 32)]]
    blank31 = ["A店", "张三", *(["√"] * 30), None]
    rubric = ATTENDANCE_RUBRIC.format(tables=WIDE)
    path = make_workbook({"2026年9月考勤": [head, blank31]}, name="sept.xlsx")
    data, _ = scored(path, rubric)
    assert data.month == Month(2026, 9) and data.stats["attendance"].used == 30
    assert "'31' (column AG)" in next(
        n.message for n in data.notes if n.code == "wide-day-beyond-month"
    )
    path = make_workbook({"考勤": [head, blank31]}, name="bare.xlsx")
    data, _ = scored(path, rubric, Month(2026, 9))  # --month
    assert data.stats["attendance"].used == 30
    with pytest.raises(Exception, match="name no month") as info:
        scored(path, rubric)
    assert info.value.code == "wide-month-unknown"
    filled = make_workbook({"2026年9月考勤": [head, ["A店", "张三", *(["√"] * 31)]]}, name="f.xlsx")
    with pytest.raises(
        Exception, match=r"day header '31' \(column AG\) is past the end of 2026-09"
    ):
        scored(filled, rubric)


CALLS_RUBRIC = """
id = "calls"
name = "Calls"
max = 100

[tables.calls]
label = "通话"
sheets = ["通话明细"]
month_column = "called_at"
id_column = "call_id"

[columns.calls.call_id]
type = "text"
aliases = ["通话编号"]

[columns.calls.called_at]
type = "datetime"
aliases = ["通话时间"]

[columns.calls.answered]
type = "flag"
aliases = ["是否接通"]

[columns.calls.seconds]
type = "number"
aliases = ["应答秒数"]

[aliases.calls]
branch = ["坐席组"]

[[kpis]]
id = "answer_rate"
label = "接通率"
points = 50
metric = { kind = "flag_rate", table = "calls", column = "answered" }
curve = { kind = "ratio" }

[[kpis]]
id = "speed"
label = "平均应答"
points = 30
metric = { kind = "mean", table = "calls", column = "seconds", filter = { answered = true } }
curve = { kind = "linear", full = 10, zero = 60 }

[[kpis]]
id = "volume"
label = "通话量"
points = 20
metric = { kind = "count", table = "calls" }
curve = { kind = "bands", bands = [[1000, 20]], better = "higher", otherwise = 0 }

[[grades]]
name = "ok"
min = 0
coefficient = 1
"""


def calls_month(seed: int = 7) -> pd.DataFrame:
    """60 calls over 3 groups in October, then a September call and a duplicate id."""
    rng = random.Random(seed)
    rows = []
    for i in range(60):
        answered = rng.random() < 0.8
        rows.append(
            {
                "通话编号": f"C{i:04d}",
                "坐席组": f"组{i % 3}",
                "通话时间": datetime(2026, 10, 1 + i % 28, 9 + i % 8, 5),
                "是否接通": "是" if answered else "否",
                "应答秒数": rng.randint(3, 70) if answered else None,
            }
        )
    rows.append({**rows[0], "通话编号": "C9999", "通话时间": datetime(2026, 9, 30, 10)})
    rows.append({**rows[1], "应答秒数": 999})  # a duplicate of C0001: rejected, never counted
    return pd.DataFrame(rows)


def test_declared_calls_table_scores_as_pandas_computes_it(tmp_path: Path) -> None:
    """A [tables.calls] table: read by its sheet name, September excluded, a duplicate id rejected, every KPI as pandas computes it."""
    frame = calls_month()
    path = tmp_path / "calls.xlsx"
    with pd.ExcelWriter(path) as writer:
        frame.to_excel(writer, sheet_name="2026年10月通话明细", index=False)
    data, card = scored(path, CALLS_RUBRIC, Month(2026, 10))
    stats = data.stats["calls"]
    assert (stats.rows, stats.used, stats.excluded, stats.rejected) == (62, 60, 1, 1)
    assert list(data.rejects["code"]) == ["duplicate-id"] and list(data.rejects["row"]) == [63]
    used = frame.iloc[:60]
    group = used.groupby("坐席组")
    rate = group["是否接通"].apply(lambda s: (s == "是").mean())
    speed = used[used["是否接通"] == "是"].groupby("坐席组")["应答秒数"].mean()
    for branch in card.branches:
        kpis = {k.id: k for k in branch.kpis}
        b = branch.branch
        assert kpis["answer_rate"].value == pytest.approx(rate[b])
        assert kpis["answer_rate"].points == half_up(rate[b] * 50)
        assert kpis["speed"].value == pytest.approx(speed[b])
        want_speed = half_up(min(max((60 - speed[b]) / 50, 0), 1) * 30)
        assert kpis["speed"].points == want_speed
        assert kpis["volume"].value == 20 and kpis["volume"].points == 0
        assert branch.total == half_up(half_up(rate[b] * 50) + want_speed)


def test_check_rubric_maps_a_declared_table(tmp_path: Path) -> None:
    """svcqa check --rubric shows the declared table's sheet and columns, and a missing calls sheet names the table."""
    rubric = tmp_path / "calls.toml"
    rubric.write_text(CALLS_RUBRIC, encoding="utf-8")
    path = tmp_path / "calls.xlsx"
    with pd.ExcelWriter(path) as writer:
        calls_month().to_excel(writer, sheet_name="通话明细", index=False)
    args = ["check", str(path), "--rubric", str(rubric), "--month", "2026-10", "--format", "json"]
    result = runner.invoke(app, [*args, "--out", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output + result.stderr
    (table,) = json.loads(result.stdout)["mapping"]
    assert (table["table"], table["label"], table["needed"]) == ("calls", "通话", True)
    headers = {c["column"]: c["header"] for c in table["sheets"][0]["columns"]}
    assert headers == {
        "branch": "坐席组",
        "call_id": "通话编号",
        "called_at": "通话时间",
        "answered": "是否接通",
        "seconds": "应答秒数",
    }
    other = tmp_path / "other.xlsx"
    with pd.ExcelWriter(other) as writer:
        pd.DataFrame({"x": [1]}).to_excel(writer, sheet_name="Sheet1", index=False)
    result = runner.invoke(app, ["check", str(other), "--rubric", str(rubric)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "no 通话 (calls) table" in result.output + result.stderr


def test_tables_section_problems_have_lines() -> None:
    """[tables.NAME] problems are reported together, each with its key and line."""
    text = ATTENDANCE_RUBRIC.format(
        tables='[tables.attendance]\nlayout = "wide"\nkey_columns = ["姓名"]\n\n'
        '[tables.calls]\nmonth_column = "nope"\nlayout = "tall"\n'
    )
    with pytest.raises(Exception) as info:
        load_rubric_text(text)
    reasons = "\n".join(info.value.reasons)
    assert (
        "tables.attendance.key_columns" in reasons and "must include the branch column" in reasons
    )
    assert "tables.calls.month_column" in reasons and "'nope' is not a column of calls" in reasons
    assert "key_columns (line 7)" in reasons and "month_column (line 10)" in reasons
    assert "tables.calls.layout (line 11): 'tall' is not one of long, wide" in reasons


def test_rubric_sheet_aliases_name_a_wide_sheet(tmp_path: Path, make_workbook) -> None:
    """A wide sheet named only by the rubric's [sheet_aliases] (打卡) is read as attendance by svcqa check."""
    head = ["网点", "姓名", *[str(d) for d in range(1, 31)]]
    path = make_workbook({"打卡": [head, ["A店", "张三", "缺勤", *(["√"] * 29)]]}, name="p.xlsx")
    rubric = tmp_path / "r.toml"
    text = ATTENDANCE_RUBRIC.format(tables=WIDE + '\n[sheet_aliases]\nattendance = ["打卡"]\n')
    rubric.write_text(text, encoding="utf-8")
    args = ["check", str(path), "--rubric", str(rubric), "--month", "2026-11", "--format", "json"]
    result = runner.invoke(app, [*args, "--out", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output + result.stderr
    document = json.loads(result.stdout)
    (table,) = document["mapping"]
    assert table["sheets"][0]["by"] == "name" and table["sheets"][0]["header_row"] == 1
    assert document["tables"][0]["used"] == 30
