"""Scoring with history: quarter to date, reworks by device id, previous ranks and streaks."""

from __future__ import annotations

import pandas as pd
import pytest

from svcqa.models import HistoryContext, Month
from svcqa.rubric import load_rubric
from svcqa.scoring import month_data_from_tables, score_month

GD = load_rubric("gd-mobile-aftersales")


def services(branch: str, n: int, reworks: int, month: str = "2026-11") -> pd.DataFrame:
    start = pd.Timestamp(f"{month}-01")
    accepted = [start + pd.Timedelta(hours=i) for i in range(n)]
    return pd.DataFrame(
        {
            "ticket_id": [f"{branch}{i}" for i in range(n)],
            "branch": branch,
            "service_type": "warranty",
            "accepted_at": pd.Series(accepted, dtype="datetime64[ns]"),
            "completed_at": pd.Series(
                [a + pd.Timedelta(days=1) for a in accepted], dtype="datetime64[ns]"
            ),
            "is_rework": pd.array([True] * reworks + [False] * (n - reworks), dtype="boolean"),
        }
    )


def rework_kpi(card, branch: str = "A"):
    return next(k for k in card.branch(branch).kpis if k.id == "rework_rate")


def test_quarter_to_date_adds_earlier_months() -> None:
    """November's rework rate adds October's stored counts: (9 + 6) / (120 + 80) = 7.5 % -> 5.00."""
    history = HistoryContext(
        flag_rates={
            "rework_rate": pd.DataFrame(
                {
                    "month": ["2026-10", "2026-07"],
                    "branch_key": ["A", "A"],
                    "numerator": [9.0, 50.0],
                    "basis": [120.0, 50.0],
                }
            )
        },
        months_in_quarter=[Month(2026, 10)],
    )
    card = score_month(
        month_data_from_tables("2026-11", {"tickets": services("A", 80, 6)}), GD, history
    )
    result = rework_kpi(card)
    assert (result.numerator, result.basis, result.points) == (15.0, 200, 5.00)
    assert result.note == "quarter to date 2026-10..2026-11"
    counts = card.period_counts
    assert counts.to_dict("records") == [
        {"kpi_id": "rework_rate", "branch_key": "A", "numerator": 6.0, "basis": 80.0}
    ]


def test_quarter_to_date_without_history_is_partial() -> None:
    """Without history, November's rework rate is the month alone and says partial_quarter."""
    card = score_month(month_data_from_tables("2026-11", {"tickets": services("A", 80, 6)}), GD)
    result = rework_kpi(card)
    assert (result.numerator, result.basis, result.points) == (6.0, 80, 5.00)
    assert result.note == "partial_quarter"
    assert any(n.code == "partial_quarter" for n in card.notes)


def test_partial_quarter_is_said_when_reworks_are_derived_from_device_ids() -> None:
    """Reworks derived from IMEIs (no 是否返修 column) in a quarter the store lacks: the KPI says
    partial_quarter and so does the run's finding (the note carries the derivation too)."""
    tickets = services("A", 80, 0).drop(columns=["is_rework"])
    tickets["device_id"] = [f"D{i % 40}" for i in range(80)]  # every device twice: 40 reworks
    card = score_month(month_data_from_tables("2026-11", {"tickets": tickets}), GD)
    result = rework_kpi(card)
    assert result.note == "partial_quarter; derived from device_id"
    assert any(n.code == "partial_quarter" for n in card.notes)


def test_first_month_of_quarter_is_complete_alone() -> None:
    """October is the quarter's first month: the month alone is the whole quarter to date."""
    card = score_month(
        month_data_from_tables("2026-10", {"tickets": services("A", 80, 6, month="2026-10")}), GD
    )
    assert rework_kpi(card).note == "quarter to date 2026-10..2026-10"


def test_quarter_history_missing_a_month_is_partial() -> None:
    """December with only November stored (October missing) is still a partial quarter."""
    history = HistoryContext(
        flag_rates={
            "rework_rate": pd.DataFrame(
                {"month": ["2026-11"], "branch_key": ["A"], "numerator": [1.0], "basis": [10.0]}
            )
        },
        months_in_quarter=[Month(2026, 11)],
    )
    card = score_month(
        month_data_from_tables("2026-12", {"tickets": services("A", 10, 1, month="2026-12")}),
        GD,
        history,
    )
    result = rework_kpi(card)
    assert (result.numerator, result.basis, result.note) == (2.0, 20, "partial_quarter")


def device_tickets() -> pd.DataFrame:
    rows = [
        # ticket, device, accepted, completed
        ("T1", "X", "2026-10-01 09:00", "2026-10-03 09:00"),
        ("T2", "X", "2026-10-20 09:00", "2026-10-21 09:00"),  # X completed 10-03 -> rework
        (
            "T3",
            "Y",
            "2026-10-10 09:00",
            "2026-10-11 09:00",
        ),  # Y completed 08-15 in history -> rework
        ("T4", "Z", "2026-10-05 09:00", "2026-10-06 09:00"),  # Z completed 06-01: 126 days -> not
        ("T5", "W", "2026-10-02 09:00", "2026-10-05 12:00"),
        ("T6", "W", "2026-10-05 12:00", "2026-10-06 12:00"),  # same instant: not strictly before
        ("T7", "V", "2026-10-07 09:00", None),  # single open ticket, never a rework
        ("T8", None, "2026-10-07 09:00", "2026-10-08 09:00"),  # no device id
    ]
    return pd.DataFrame(
        {
            "ticket_id": [r[0] for r in rows],
            "branch": "A",
            "service_type": "warranty",
            "device_id": [r[1] for r in rows],
            "accepted_at": pd.to_datetime([r[2] for r in rows]),
            "completed_at": pd.to_datetime([r[3] for r in rows]),
        }
    )


def device_history() -> HistoryContext:
    return HistoryContext(
        device_tickets=pd.DataFrame(
            {
                "device_id": ["Y", "Z", "X"],
                "ticket_id": ["H1", "H2", "H3"],
                "branch_key": ["B", "A", "A"],
                "completed_at": pd.to_datetime(
                    ["2026-08-15 10:00", "2026-06-01 10:00", "2026-10-03 09:00"]
                ),
                "file": "aug.xlsx",
                "sheet": "工单",
                "row": [5, 6, 7],
                "month": [
                    "2026-08",
                    "2026-06",
                    "2026-10",
                ],  # 2026-10 is the month being re-scored: ignored
            }
        )
    )


def test_reworks_derived_from_device_id_and_history() -> None:
    """Without a rework column, a repeat of a device within 90 days of a completion is a rework."""
    card = score_month(
        month_data_from_tables("2026-10", {"tickets": device_tickets()}), GD, device_history()
    )
    result = rework_kpi(card)
    assert (result.numerator, result.basis) == (2.0, 8)
    assert result.value == pytest.approx(0.25) and result.points == 0.0
    assert "derived from device_id" in result.note
    reworks = card.evidence[card.evidence["kind"] == "rework"]
    assert list(reworks["ref"]) == ["T2", "T3"]
    assert "T1" in reworks["detail"].iloc[0] and "2026-10-03" in reworks["detail"].iloc[0]
    assert "H1" in reworks["detail"].iloc[1] and "2026-08-15" in reworks["detail"].iloc[1]
    assert list(reworks["value"]) == [17.0, pytest.approx(55.96, abs=0.01)]


def test_reworks_are_derived_once_on_a_second_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    """Scoring derives the reworks on a second thread while the other KPIs are computed (the
    rework KPI last), once, with the scorecard it gets when they are derived inline."""
    import threading

    import svcqa.scoring.context as context

    original = context.derive_reworks
    threads: list[threading.Thread] = []

    def recording(*args: object):
        threads.append(threading.current_thread())
        return original(*args)

    monkeypatch.setattr(context, "derive_reworks", recording)
    data = month_data_from_tables("2026-10", {"tickets": device_tickets()})
    ahead = score_month(data, GD, device_history())
    assert len(threads) == 1 and threads[0] is not threading.main_thread()
    monkeypatch.setattr(
        context.MetricContext, "derive_reworks_ahead", lambda self, metrics, pool: None
    )
    inline = score_month(data, GD, device_history())
    assert threads[1] is threading.main_thread()
    assert [b.total for b in ahead.branches] == [b.total for b in inline.branches]
    assert [k.points for b in ahead.branches for k in b.kpis] == [
        k.points for b in inline.branches for k in b.kpis
    ]
    pd.testing.assert_frame_equal(ahead.evidence, inline.evidence)


IMEIS = {
    "X": "862143776045895",
    "Y": "862176840137876",
    "Z": "352099001761481",
    "W": "869999999999999",
    "V": "1",
}


def test_reworks_derived_from_numeric_device_ids_are_the_same() -> None:
    """IMEIs (digits only) are matched as numbers, a faster path: the same reworks as text ids."""
    tickets = device_tickets().assign(device_id=lambda t: t["device_id"].map(IMEIS))
    history = device_history()
    history.device_tickets["device_id"] = history.device_tickets["device_id"].map(IMEIS)
    card = score_month(month_data_from_tables("2026-10", {"tickets": tickets}), GD, history)
    assert (rework_kpi(card).numerator, rework_kpi(card).basis) == (2.0, 8)
    assert list(card.evidence[card.evidence["kind"] == "rework"]["ref"]) == ["T2", "T3"]


@pytest.mark.parametrize(
    ("ids", "as_numbers"),
    [
        (
            ["862143776045895", "7", "862143776045895", None, "7", "352099001761481"],
            True,
        ),  # IMEIs: as numbers
        (
            ["7", "007", "0x7", "-7", "7", "-0", "0", "007"],
            False,
        ),  # spellings a number cast would merge
        (["7", "+7", "7 ", "7"], False),  # spellings a number cast refuses
        (["7", "A7", "7", None, "٣", "A7"], False),  # not numbers at all
        (["7", "8", "A7", "7"], False),  # numbers this month, not in the history: all as text
        (["A7", "7", "7", "8"], False),  # and the other way round
    ],
)
def test_device_codes_equal_exactly_when_ids_are(ids: list, as_numbers: bool) -> None:
    """This month's ids (the first two) get equal codes exactly when equal; a stored id gets the
    code of the same id this month, or -1 when this month has none (it can precede no ticket)."""
    import pyarrow as pa

    from svcqa.scoring.reworks import _as_numbers, _device_codes

    assert (
        _as_numbers(pa.chunked_array([pa.array(ids, pa.large_string())])) is not None
    ) == as_numbers
    current, stored = ids[:2], ids[2:]
    now, before = _device_codes(pd.Series(current, dtype="str"), pd.Series(stored, dtype="str"))
    for i, a in enumerate(current):
        assert (now[i] == -1) == (a is None)
        for j, b in enumerate(current):
            if a is not None and b is not None:
                assert (now[i] == now[j]) == (a == b), (a, b)
    for k, b in enumerate(stored):
        same = [now[i] for i, a in enumerate(current) if a is not None and a == b]
        assert before[k] == (same[0] if same else -1), b


def test_reworks_without_history_use_the_month_alone() -> None:
    """Without history only this month's completions count: T2 follows T1, T3 has no earlier repair."""
    card = score_month(month_data_from_tables("2026-10", {"tickets": device_tickets()}), GD)
    assert rework_kpi(card).numerator == 1.0


def test_rework_flag_column_wins_over_device_id() -> None:
    """When the export has a rework flag, it is used as given, even if device ids would say otherwise."""
    frame = device_tickets().assign(is_rework=pd.array([False] * 7 + [True], dtype="boolean"))
    card = score_month(month_data_from_tables("2026-10", {"tickets": frame}), GD, device_history())
    result = rework_kpi(card)
    assert result.numerator == 1.0 and "derived" not in result.note
    assert card.evidence[card.evidence["kind"] == "rework"]["detail"].tolist() == [
        "导出数据标记为返修"
    ]


def attendance(statuses: dict[str, int]) -> pd.DataFrame:
    rows = [(b, "absent") for b, n in statuses.items() for _ in range(n)]
    return pd.DataFrame(
        {
            "branch": [r[0] for r in rows],
            "status": [r[1] for r in rows],
            "date": pd.Timestamp("2026-10-02"),
        }
    )


def previous(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(
        rows,
        columns=[
            "month",
            "branch_key",
            "total",
            "rank",
            "assessed",
            "last_place",
            "last_place_streak",
        ],
    )


def test_last_place_streak_reaches_contract_review() -> None:
    """Last for the third month running flags contract_review; a broken streak restarts at 1."""
    history = HistoryContext(
        previous=previous(
            [
                ("2026-09", "C", 90.0, 3, True, True, 2),
                ("2026-09", "B", 95.0, 2, True, False, 0),
                ("2026-09", "A", 99.0, 1, True, False, 0),
                ("2026-08", "C", 91.0, 3, True, True, 1),
            ]
        )
    )
    data = month_data_from_tables("2026-10", {"attendance": attendance({"A": 0, "B": 1, "C": 3})})
    data.tables["attendance"] = pd.concat(
        [
            data.tables["attendance"],
            pd.DataFrame(
                {
                    "branch": ["A"],
                    "branch_key": ["A"],
                    "status": ["present"],
                    "date": pd.Timestamp("2026-10-02"),
                    "_file": "m",
                    "_sheet": "s",
                    "_row": 9,
                }
            ),
        ]
    )
    card = score_month(data, GD, history)
    c = card.branch("C")
    assert (c.rank, c.last_place_streak) == (3, 3)
    assert c.flags == ["last_place", "rectification_required", "contract_review"]
    assert (c.prev_total, c.prev_rank) == (90.0, 3)
    assert (card.branch("A").prev_rank, card.branch("A").last_place_streak) == (1, 0)


def test_streak_needs_the_immediately_previous_month() -> None:
    """Last place two months ago but not last month: the streak starts again at 1."""
    history = HistoryContext(previous=previous([("2026-08", "B", 80.0, 2, True, True, 4)]))
    card = score_month(
        month_data_from_tables("2026-10", {"attendance": attendance({"A": 1, "B": 2})}), GD, history
    )
    b = card.branch("B")
    assert (b.last_place_streak, b.prev_total, b.prev_rank) == (1, 80.0, 2)
    assert "contract_review" not in b.flags


def test_grace_month_from_history_first_seen() -> None:
    """With earlier history, a branch never seen before is in its grace month; without history nobody is."""
    data = month_data_from_tables("2026-10", {"attendance": attendance({"A": 1, "B": 2, "New": 5})})
    history = HistoryContext(first_seen={"A": Month(2026, 8), "B": Month(2026, 9)})
    card = score_month(data, GD, history)
    assert card.branch("New").flags == ["grace_month"] and card.branch("New").rank is None
    assert card.branch("B").flags == ["last_place", "rectification_required"]
    fresh = score_month(data, GD, HistoryContext())
    assert fresh.branch("New").assessed and fresh.branch("New").rank == 3
