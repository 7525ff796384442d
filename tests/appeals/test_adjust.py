"""The pure appeal transform: accepted decisions applied to a month's ingested rows."""

from __future__ import annotations

from datetime import datetime

import pandas as pd

from svcqa.appeals.adjust import Ruling, apply_rulings
from svcqa.models import ROW_ISSUE_COLUMNS, Month, MonthData, TableStats

OCT = Month(2026, 10)


def month() -> MonthData:
    """Two tickets of one branch: T0 open since 10-15 08:00, T1 accepted 10-05 12:00 and
    completed 10-10 12:00 (Excel rows 2 and 3)."""
    frame = pd.DataFrame(
        {
            "ticket_id": ["T0", "T1"],
            "branch": ["天河网点"] * 2,
            "branch_key": ["天河网点"] * 2,
            "accepted_at": pd.to_datetime(["2026-10-15 08:00", "2026-10-05 12:00"]),
            "completed_at": pd.to_datetime([None, "2026-10-10 12:00"]),
            "_file": ["m.xlsx"] * 2,
            "_sheet": ["工单"] * 2,
            "_row": [2, 3],
        }
    )
    return MonthData(
        month=OCT,
        month_source="option",
        tables={"tickets": frame},
        stats={"tickets": TableStats(rows=2, used=2)},
        rejects=pd.DataFrame(columns=ROW_ISSUE_COLUMNS),
        excluded=pd.DataFrame(columns=ROW_ISSUE_COLUMNS),
    )


def ruling(row_id: str, days: float | None) -> Ruling:
    return Ruling(1, "tickets", row_id, "天河网点", "客户原因", "张三", days, "cycle")


def test_stopping_the_clock_moves_a_completion_earlier_and_an_open_ticket_later():
    """A completed ticket's completion moves N days earlier; an open one's acceptance N days
    later, so its age at month end (11-01 00:00) drops from 16 d 16 h to 6 d 16 h."""
    data, outcomes, marks = apply_rulings(month(), [ruling("T1", 2), ruling("T0", 10)])
    tickets = data.tables["tickets"].set_index("ticket_id")
    assert tickets.loc["T1", "completed_at"] == pd.Timestamp("2026-10-08 12:00")
    assert tickets.loc["T0", "accepted_at"] == pd.Timestamp("2026-10-25 08:00")
    assert [o.row_found for o in outcomes] == [True, True]
    assert sorted(marks["ref"]) == ["T0", "T1"]


def test_an_open_ticket_is_never_moved_past_the_cut_off():
    """Scored --as-of 10-20 18:00, an open ticket's acceptance stops at the cut-off (age 0),
    never after it (a negative age)."""
    data, _, _ = apply_rulings(month(), [ruling("T0", 10)], datetime(2026, 10, 20, 18, 0))
    accepted = data.tables["tickets"].set_index("ticket_id").loc["T0", "accepted_at"]
    assert accepted == pd.Timestamp("2026-10-20 18:00")


def test_withdrawing_moves_the_row_to_excluded_with_its_excel_row():
    """A withdrawn ticket leaves the table for excluded (appeal-withdrawn, row 3) and the row
    accounting moves it from used to excluded."""
    data, _, _ = apply_rulings(month(), [ruling("T1", None)])
    assert list(data.tables["tickets"]["ticket_id"]) == ["T0"]
    (gone,) = data.excluded.to_dict("records")
    assert (gone["code"], gone["row"], gone["table"]) == ("appeal-withdrawn", 3, "tickets")
    stats = data.stats["tickets"]
    assert (stats.rows, stats.used, stats.excluded) == (2, 1, 1)
