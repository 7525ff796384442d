"""The sample-month generator: determinism, layout, planned defects, reworks, committed files."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from python_calamine import CalamineWorkbook
from typer.testing import CliRunner

from svcqa.cli import app
from svcqa.errors import UsageError
from svcqa.models import Month
from svcqa.sample import (
    HEADERS,
    SHEETS,
    TICKET_HEADER_ROW,
    generate_sample_month,
    planned_defects,
    write_sample_month,
)

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_DATA = ROOT / "sample_data"
OCT = Month(2026, 10)
COMMITTED = {"branches": 40, "tickets": 20000, "seed": 1}
SMALL = {"branches": 12, "tickets": 1500, "seed": 7}


def _rows(path: Path, sheet: str) -> list[list[object]]:
    return (
        CalamineWorkbook.from_path(str(path))
        .get_sheet_by_name(sheet)
        .to_python(skip_empty_area=False)
    )


def _parse_when(value: object) -> datetime | None:
    """Read a date cell the way an analyst would: a datetime, an Excel serial, or one of the text forms."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, float):
        return datetime(1899, 12, 30) + timedelta(days=value)
    if value in ("", None):
        return None
    text = str(value)
    match = re.fullmatch(r"(\d{4})年(\d{1,2})月(\d{1,2})日", text)
    if match:
        return datetime(*map(int, match.groups()))
    for form in ("%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M", "%Y/%m/%d"):
        try:
            return datetime.strptime(text, form)
        except ValueError:
            continue
    raise ValueError(f"unparseable date {text!r}")


def _key(name: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", name))


def _tickets_frame(path: Path) -> pd.DataFrame:
    """The tickets sheet as a frame with Excel row numbers and parsed times (planned bad dates -> NaT)."""
    rows = _rows(path, SHEETS["tickets"])
    header = rows[TICKET_HEADER_ROW - 1]
    frame = pd.DataFrame(rows[TICKET_HEADER_ROW:], columns=header)
    frame["_row"] = np.arange(len(frame)) + TICKET_HEADER_ROW + 1

    def safe(value: object) -> datetime | None:
        try:
            return _parse_when(value)
        except ValueError:
            return None

    frame["accepted"] = pd.to_datetime(frame["受理时间"].map(safe))
    frame["completed"] = pd.to_datetime(frame["完成时间"].map(safe))
    return frame


def _rough_scores(sample) -> pd.Series:
    """A rough pandas version of SPEC 2.1 (month-only rework rate) over the generator's truth."""

    def linear(x, full, zero, points):
        return np.clip((zero - x) / (zero - full), 0, 1) * points

    month = sample.month
    t = sample.tables["tickets"]
    t = t[t.accepted_at.notna() & (t.accepted_at >= month.start) & (t.accepted_at < month.end)]
    t = t[t.service_type.notna() & ~t.ticket_id.duplicated() & ~(t.completed_at < t.accepted_at)]
    cycle = (t.completed_at - t.accepted_at).dt.total_seconds() / 86400
    age = np.where(
        t.completed_at.isna(), (month.end - t.accepted_at).dt.total_seconds() / 86400, cycle
    )
    t = t.assign(cycle=cycle, over=age > 10)
    names = pd.Index(sample.roster)
    means = t.pivot_table(
        index="branch", columns="service_type", values="cycle", aggfunc="mean"
    ).reindex(names)
    over = t.pivot_table(
        index="branch", columns="service_type", values="over", aggfunc="mean"
    ).reindex(names)
    per_branch = t.groupby("branch")
    complaints = sample.tables["complaints"]
    valid = complaints[complaints.is_valid].groupby("branch").size().reindex(names).fillna(0)
    attendance = sample.tables["attendance"]
    deduct = attendance.status.map({"absent": 1, "late": 0.5, "early_leave": 0.5}).fillna(0)
    total = (
        linear(means["exchange"], 3, 7, 12).fillna(12)
        + linear(means["warranty"], 5, 7, 12).fillna(12)
        + linear(means["non_warranty"], 5, 7, 6).fillna(6)
        + linear(per_branch.is_rework.mean().reindex(names), 0.05, 0.10, 10).fillna(10)
        + linear(over["exchange"], 0.05, 0.10, 5).fillna(5)
        + linear(over["warranty"], 0.05, 0.10, 5).fillna(5)
        + linear(valid / per_branch.size().reindex(names), 0.03, 0.05, 30)
        + (5 - deduct.groupby(attendance.branch).sum().reindex(names).fillna(0)).clip(lower=0)
        + (
            5 - sample.tables["discipline"].groupby("branch").points.sum().reindex(names).fillna(0)
        ).clip(lower=0)
        + sample.tables["cooperation"].groupby("branch").rating.mean().reindex(names)
        + sample.tables["incentives"].groupby("branch").points.sum().reindex(names).fillna(0)
    )
    return total.clip(0, 100).sort_values(ascending=False)


@pytest.fixture(scope="module")
def small_months(tmp_path_factory: pytest.TempPathFactory) -> dict[Month, Path]:
    """Three consecutive small months written with one seed."""
    out = tmp_path_factory.mktemp("months")
    return {m: write_sample_month(out, m, **SMALL) for m in (Month(2026, 8), Month(2026, 9), OCT)}


def test_same_seed_gives_identical_workbooks(
    tmp_path: Path, small_months: dict[Month, Path]
) -> None:
    """Writing the same month with the same seed again yields the same cell values and the same bytes."""
    again = write_sample_month(tmp_path, OCT, **SMALL)
    first = small_months[OCT]
    for sheet in SHEETS.values():
        assert _rows(again, sheet) == _rows(first, sheet)
    assert (
        hashlib.sha256(again.read_bytes()).digest() == hashlib.sha256(first.read_bytes()).digest()
    )


def test_different_seed_gives_different_content(
    tmp_path: Path, small_months: dict[Month, Path]
) -> None:
    """Another seed changes the tickets (ids follow the same pattern, devices and branches do not)."""
    other = write_sample_month(tmp_path, OCT, **{**SMALL, "seed": 8})
    a, b = _rows(small_months[OCT], "工单"), _rows(other, "工单")
    assert len(a) == len(b)
    assert [r[5] for r in a[3:]] != [r[5] for r in b[3:]]
    assert _rows(small_months[OCT], "网点名单") != _rows(other, "网点名单")


def test_sheets_headers_and_title_rows(small_months: dict[Month, Path]) -> None:
    """Every table has its Chinese sheet and headers; tickets carry a merged title row and a blank row."""
    path = small_months[OCT]
    assert CalamineWorkbook.from_path(str(path)).sheet_names == [
        "工单",
        "投诉",
        "出勤",
        "纪律",
        "工作配合",
        "正负激励",
        "网点名单",
    ]
    tickets = _rows(path, "工单")
    assert tickets[0][0] == "2026年10月工单明细" and all(v == "" for v in tickets[0][1:])
    assert all(v == "" for v in tickets[1])
    assert tickets[2] == [
        "工单号",
        "网点名称",
        "服务类型",
        "受理时间",
        "完成时间",
        "IMEI",
        "是否返修",
        "客户评分",
    ]
    complaints = _rows(path, "投诉")
    assert complaints[0][0] == "2026年10月投诉明细"
    assert complaints[1] == [h for _, h in HEADERS["complaints"]]
    for table in ("attendance", "discipline", "cooperation", "incentives", "branches"):
        assert _rows(path, SHEETS[table])[0] == [h for _, h in HEADERS[table]]
    import openpyxl

    ws = openpyxl.load_workbook(path)["工单"]
    assert [str(r) for r in ws.merged_cells.ranges] == ["A1:H1"]


def test_row_counts_and_no_rework_flag(tmp_path: Path, small_months: dict[Month, Path]) -> None:
    """The tickets sheet has exactly the rows asked for; --no-rework-flag drops only the 是否返修 column."""
    tickets = _rows(small_months[OCT], "工单")
    assert len(tickets) - TICKET_HEADER_ROW == SMALL["tickets"]
    complaints = len(_rows(small_months[OCT], "投诉")) - 2
    assert 0.015 * SMALL["tickets"] < complaints < 0.05 * SMALL["tickets"]
    bare = write_sample_month(tmp_path, OCT, **SMALL, rework_flag=False)
    rows = _rows(bare, "工单")
    assert rows[2] == ["工单号", "网点名称", "服务类型", "受理时间", "完成时间", "IMEI", "客户评分"]
    assert [r[:6] + r[7:] for r in tickets[3:]] == rows[3:]


def test_dates_come_in_mixed_forms_that_all_parse(small_months: dict[Month, Path]) -> None:
    """Acceptance times mix real datetimes, serial numbers and three text forms, all readable."""
    rows = _rows(small_months[OCT], "工单")[TICKET_HEADER_ROW:]
    accepted = [r[3] for r in rows]
    kinds = {type(v).__name__ for v in accepted}
    assert kinds == {"datetime", "float", "str"}
    texts = [v for v in accepted if isinstance(v, str)]
    assert any(re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", v) for v in texts)
    assert any(re.fullmatch(r"\d{4}/\d{1,2}/\d{1,2} \d{1,2}:\d{2}", v) for v in texts)
    assert any(re.fullmatch(r"\d{4}年\d{1,2}月\d{1,2}日", v) for v in texts)
    bad = {d.value for d in planned_defects(OCT, **SMALL) if d.code == "bad-date"}
    unparsed = []
    for value in accepted:
        try:
            _parse_when(value)
        except ValueError:
            unparsed.append(value)
    assert set(unparsed) == bad and len(unparsed) == 2


def test_planned_defects_sit_at_their_rows(small_months: dict[Month, Path]) -> None:
    """Each planned defect is in the workbook at its sheet, Excel row and column, with its value."""
    defects = planned_defects(OCT, **SMALL)
    codes = [d.code for d in defects]
    assert codes.count("outside-month") == 3
    for code in (
        "bad-date",
        "completed-before-accepted",
        "duplicate-id",
        "unknown-service-type",
        "unknown-status",
    ):
        assert codes.count(code) == 2
    frame = _tickets_frame(small_months[OCT])
    for defect in defects:
        rows = _rows(small_months[OCT], defect.sheet)
        header_row = TICKET_HEADER_ROW if defect.sheet == "工单" else 1
        col = rows[header_row - 1].index(defect.column)
        cell = rows[defect.row - 1][col]
        if defect.code in ("outside-month", "completed-before-accepted"):
            assert _parse_when(cell).strftime("%Y-%m-%d %H:%M") == defect.value
        else:
            assert cell == defect.value
        if defect.sheet != "工单":
            continue
        row = frame[frame._row == defect.row].iloc[0]
        if defect.code == "outside-month":
            assert row.accepted < OCT.start
        elif defect.code == "completed-before-accepted":
            assert row.completed < row.accepted
        elif defect.code == "duplicate-id":
            assert (frame["工单号"] == defect.value).sum() == 2
            assert frame[frame["工单号"] == defect.value]._row.max() == defect.row
    # Nothing else is wrong: no other duplicate id, unknown type or reversed times.
    assert frame["工单号"].duplicated().sum() == 2
    assert set(frame["服务类型"]) == {"换机", "保修", "非保修", "保外", "咨询", "检测"}
    assert (frame.completed < frame.accepted).sum() == 2
    statuses = {r[3] for r in _rows(small_months[OCT], "出勤")[1:]}
    assert statuses == {"正常", "缺勤", "迟到", "早退", "请假", "外出"}


def test_reworks_recur_within_90_days_across_months(small_months: dict[Month, Path]) -> None:
    """Every 是 ticket's IMEI had a ticket completed 1-90 days earlier (this or the two prior months); no 否 ticket did."""
    frames = [_tickets_frame(p).assign(month=str(m)) for m, p in small_months.items()]
    history = pd.concat(frames, ignore_index=True)
    done = history[history.completed.notna()].rename(columns={"_row": "source_row"})
    done = done[["IMEI", "completed", "month", "source_row"]]
    october = frames[-1]
    october = october[october.accepted.notna() & (october.accepted >= OCT.start)]
    october = october[~october["工单号"].duplicated()]
    pairs = october[["IMEI", "accepted", "是否返修", "_row"]].merge(done, on="IMEI")
    pairs = pairs[
        (pairs.month != str(OCT)) | (pairs.source_row != pairs._row)
    ]  # not the ticket itself
    gap = pairs.accepted - pairs.completed
    pairs = pairs[(gap > pd.Timedelta(0)) & (gap <= pd.Timedelta(days=90))]
    derived = set(pairs._row)
    flagged = set(october[october["是否返修"] == "是"]._row)
    assert len(flagged) > 0.02 * len(october)
    assert derived == flagged
    # Some reworks really reach back into August and September.
    assert {"2026-08", "2026-09"} <= set(pairs.month)


def test_roster_is_shared_and_the_newcomer_is_in_its_grace_month(
    small_months: dict[Month, Path],
) -> None:
    """Established branches are the same every month; the newcomer signed within the month."""
    rosters = {m: _rows(p, "网点名单")[1:] for m, p in small_months.items()}
    names = {m: [r[0] for r in rows] for m, rows in rosters.items()}
    assert names[Month(2026, 8)][:-1] == names[Month(2026, 9)][:-1] == names[OCT][:-1]
    newcomer = rosters[OCT][-1]
    assert newcomer[0] not in names[Month(2026, 9)] and newcomer[0] not in names[Month(2026, 8)]
    assert (
        OCT.first_day <= newcomer[3] <= OCT.last_day
    )  # a date-formatted cell reads back as a date
    assert all(r[3] < date(2025, 1, 1) for r in rosters[OCT][:-1])
    assert {r[1] for r in rosters[OCT]} <= {
        "广州",
        "深圳",
        "佛山",
        "东莞",
        "珠海",
        "中山",
        "惠州",
        "江门",
        "汕头",
        "湛江",
        "茂名",
        "肇庆",
        "清远",
        "韶关",
        "梅州",
        "揭阳",
        "潮州",
        "阳江",
        "河源",
        "云浮",
    }
    # Tickets of the newcomer start on its signing day; every spelling matches a roster name.
    frame = _tickets_frame(small_months[OCT])
    keys = {_key(n) for n in names[OCT]}
    assert set(frame["网点名称"].map(_key)) == keys
    assert frame["网点名称"].nunique() > len(keys)  # variants (brackets, spaces) really occur
    signed = frame[frame["网点名称"].map(_key) == _key(newcomer[0])]
    assert signed.accepted.min() >= pd.Timestamp(newcomer[3])


def test_weakest_branch_is_last_every_committed_month() -> None:
    """Under a rough SPEC 2.1 computation, the same branch is last in 2026-08, 09 and 10, and totals spread."""
    lasts = set()
    for mon in (8, 9, 10):
        sample = generate_sample_month(Month(2026, mon), **COMMITTED)
        scores = _rough_scores(sample).drop(sample.newcomer)
        assert scores.index[-1] == sample.weak_branch
        assert scores.iloc[-2] - scores.iloc[-1] > 5
        assert 45 < scores.iloc[-1] < 65 and scores.iloc[0] > 95
        lasts.add(sample.weak_branch)
    assert len(lasts) == 1


def test_committed_sample_files_match_the_generator(tmp_path: Path) -> None:
    """sample_data/2026-08..10.xlsx are exactly what the generator writes now (cell values)."""
    for mon in (8, 9, 10):
        month = Month(2026, mon)
        committed = SAMPLE_DATA / f"{month}.xlsx"
        fresh = write_sample_month(tmp_path, month, **COMMITTED)
        for sheet in ("投诉", "出勤", "网点名单", "工作配合"):
            assert _rows(committed, sheet) == _rows(fresh, sheet), (month, sheet)
        a, b = _rows(committed, "工单"), _rows(fresh, "工单")
        assert len(a) == len(b) == COMMITTED["tickets"] + TICKET_HEADER_ROW
        assert a[::97] == b[::97]


def test_readme_lists_the_planned_defects() -> None:
    """sample_data/README.md lists every planned defect of each committed month with sheet, row, value and code."""
    readme = (SAMPLE_DATA / "README.md").read_text(encoding="utf-8")
    for mon in (8, 9, 10):
        month = Month(2026, mon)
        section = readme.split(f"### {month}.xlsx", 1)[1].split("###", 1)[0]
        lines = {
            line.strip() for line in section.splitlines() if line.startswith("| ") and "`" in line
        }
        expected = {
            f"| {d.sheet} | {d.row} | {d.column} | `{d.value}` | {d.code} |"
            for d in planned_defects(month, **COMMITTED)
        }
        assert lines == expected, month


def test_bad_arguments_are_usage_errors(tmp_path: Path) -> None:
    """Too few tickets, too many rows for Excel and a silly complaint rate stop with a usage error."""
    for kwargs in (
        {"tickets": 50},
        {"tickets": 1_048_574},
        {"complaint_rate": 0.9},
        {"branches": 2},
    ):
        with pytest.raises(UsageError):
            write_sample_month(tmp_path, OCT, **kwargs)
    assert not list(tmp_path.iterdir())


def test_cli_sample_writes_the_month(tmp_path: Path) -> None:
    """`svcqa sample` writes DIR/<month>.xlsx matching the library; a bad month exits 2."""
    result = CliRunner().invoke(
        app,
        [
            "sample",
            "--month",
            "2026-10",
            "--branches",
            "12",
            "--tickets",
            "1500",
            "--seed",
            "7",
            "--out",
            str(tmp_path),
            "--no-rework-flag",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "2026-10.xlsx" in result.output
    rows = _rows(tmp_path / "2026-10.xlsx", "工单")
    assert "是否返修" not in rows[2] and len(rows) == 1500 + TICKET_HEADER_ROW
    bad = CliRunner().invoke(app, ["sample", "--month", "2026-13", "--out", str(tmp_path)])
    assert bad.exit_code == 2
