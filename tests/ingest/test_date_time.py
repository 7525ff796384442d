"""Timestamps from a date column and a time column, joined at ingest (golden by hand)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from svcqa.errors import RubricError
from svcqa.ingest import ingest
from svcqa.ingest.joined import parse_time_of_day
from svcqa.models import Month
from svcqa.rubric import load_rubric_text

ALIASES = {
    "tickets": {
        "accepted_at": ["Date"],
        "accepted_at@time": ["Time"],
        "completed_at": ["Done date"],
        "completed_at@time": ["Done time"],
    }
}
HEADER = ["工单号", "网点", "服务类型", "Date", "Time", "Done date", "Done time"]


def month(rows: list[list[object]]) -> dict[str, list[list[object]]]:
    return {
        "工单明细": [HEADER, *rows],
        "投诉明细": [["投诉编号", "网点", "投诉时间"], ["C1", "A", "2026-10-05 10:00"]],
        "考勤明细": [["网点", "姓名", "日期", "出勤状态"], ["A", "张三", "2026-10-05", "正常"]],
    }


def test_parse_time_of_day_reads_excel_fractions_and_clock_text():
    """0.5 → noon, '9:57' and '09:57:00' → 9:57, an epoch-day datetime → its time; 24:00, 9:60 and text are bad."""
    series = pd.Series(
        ["0.5", "9:57", "09:57:00", "1899-12-30 23:59:30", "24:00", "9:60", "soon", None],
        dtype="str",
    )
    values, bad = parse_time_of_day(series)
    minutes = values * 1440
    assert minutes[:4].round(6).tolist() == [720.0, 597.0, 597.0, 1439.5]
    assert bad.tolist() == [False, False, False, False, True, True, True, False]


def test_date_and_time_join_across_midnight(make_workbook):
    """Accepted 10-31 23:30, completed 11-01 00:45 (cells in both Excel time forms): 75 minutes, by hand."""
    path = make_workbook(
        month(
            [
                ["T1", "A", "换机", dt.date(2026, 10, 31), dt.time(23, 30), "2026-11-01", "0:45"],
                ["T2", "A", "换机", "2026-10-31", 0.25, None, None],
            ]
        )
    )
    data = ingest([path], month=Month(2026, 10), extra_aliases=ALIASES)
    tickets = data.tables["tickets"].set_index("ticket_id")
    assert tickets.loc["T1", "accepted_at"] == pd.Timestamp("2026-10-31 23:30")
    assert tickets.loc["T1", "completed_at"] == pd.Timestamp("2026-11-01 00:45")
    assert tickets.loc["T2", "accepted_at"] == pd.Timestamp("2026-10-31 06:00")
    assert pd.isna(tickets.loc["T2", "completed_at"])  # both parts blank: an open ticket
    assert "accepted_at@time" not in tickets.columns
    assert data.rejects.empty


def test_a_bad_or_missing_part_rejects_the_row_naming_both_cells(make_workbook):
    """A time of 25:00, and a date without its time: each row rejected, the reject naming both columns and cells."""
    path = make_workbook(
        month(
            [
                ["T1", "A", "换机", "2026-10-30", "25:00", None, None],
                ["T2", "A", "换机", "2026-10-30", "10:00", "2026-10-31", None],
                ["T3", "A", "换机", "2026-10-30", "10:00", None, None],
            ]
        )
    )
    data = ingest([path], month=Month(2026, 10), extra_aliases=ALIASES)
    rejects = data.rejects[data.rejects["table"] == "tickets"]
    assert rejects[["row", "code", "value"]].values.tolist() == [
        [2, "bad-date", "2026-10-30 25:00"],
        [3, "bad-date", "2026-10-31 "],
    ]
    assert rejects["column"].tolist() == [
        "受理时间 (Date) + 受理时间 time (Time)",
        "完成时间 (Done date) + 完成时间 time (Done time)",
    ]
    assert data.tables["tickets"]["ticket_id"].tolist() == ["T3"]


def test_the_rubric_alias_form_and_its_problems():
    """accepted_at = { date, time } becomes the two plain aliases ingest takes; a non-datetime column or a bad shape is a problem."""
    head = 'id = "x"\nname = "x"\nmax = 1\n[[grades]]\nname = "a"\nmin = 0\ncoefficient = 1\n'
    kpi = '[[kpis]]\nid = "k"\nlabel = "k"\npoints = 1\nmetric = { kind = "mean_cycle_days" }\ncurve = { kind = "ratio" }\n'
    rubric = load_rubric_text(
        head + kpi + '[aliases.tickets]\naccepted_at = { date = ["Date"], time = ["Time"] }\n'
    )
    assert rubric.aliases["tickets"] == {"accepted_at": ["Date"], "accepted_at@time": ["Time"]}
    with pytest.raises(RubricError, match="not a datetime column"):
        load_rubric_text(
            head + kpi + '[aliases.tickets]\nbranch = { date = ["D"], time = ["T"] }\n'
        )
    with pytest.raises(RubricError, match="must be"):
        load_rubric_text(head + kpi + '[aliases.tickets]\naccepted_at = { date = ["D"] }\n')
