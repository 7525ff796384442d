"""Golden tests for score_month with the headline preset (SPEC 2.1), computed by hand."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd
import pytest

from svcqa.models import EVIDENCE_COLUMNS, BranchResult, KpiResult
from svcqa.rubric import load_rubric, load_rubric_text
from svcqa.scoring import month_data_from_tables, score_month

MONTH = "2026-10"
GD = load_rubric("gd-mobile-aftersales")


def tickets(
    branch: str,
    cycles: list[float | None],
    service_type: str = "exchange",
    *,
    start: str = "2026-10-01",
    prefix: str = "",
) -> pd.DataFrame:
    """Tickets accepted one hour apart from ``start``; ``None`` cycle = still open."""
    accepted = [pd.Timestamp(start) + pd.Timedelta(hours=i) for i in range(len(cycles))]
    completed = [
        a + pd.Timedelta(days=c) if c is not None else pd.NaT
        for a, c in zip(accepted, cycles, strict=True)
    ]
    return pd.DataFrame(
        {
            "ticket_id": [f"{prefix or branch}-{service_type}-{i}" for i in range(len(cycles))],
            "branch": branch,
            "service_type": service_type,
            "accepted_at": pd.Series(accepted, dtype="datetime64[ns]"),
            "completed_at": pd.Series(completed, dtype="datetime64[ns]"),
        }
    )


def score(tables: dict[str, pd.DataFrame], rubric=GD, history=None):
    frames = {name: df for name, df in tables.items()}
    if "tickets" in frames and "is_rework" not in frames["tickets"].columns:
        frames["tickets"] = frames["tickets"].assign(
            is_rework=pd.array([False] * len(frames["tickets"]), dtype="boolean")
        )
    return score_month(
        month_data_from_tables(MONTH, frames), rubric, history, now=datetime(2026, 11, 2, 9, 0)
    )


def kpi(branch: BranchResult, kpi_id: str) -> KpiResult:
    return next(k for k in branch.kpis if k.id == kpi_id)


def only(card, name: str = "A") -> BranchResult:
    result = card.branch(name)
    assert result is not None
    return result


# ----------------------------------------------------------------------------- cycle KPIs
@pytest.mark.parametrize(
    ("cycles", "points"),
    [
        ([2.0, 4.0, 6.0], 9.00),  # SPEC worked example: mean 4.0
        ([2.6], 12.00),  # mean 2.6 -> full
        ([3.0], 12.00),  # exactly the full-marks threshold
        ([5.0], 6.00),  # halfway: (7 - 5) / 4 * 12
        ([7.0], 0.00),  # exactly the zero threshold
        ([9.0, 8.0], 0.00),  # beyond zero: clipped
    ],
)
def test_exchange_cycle_golden(cycles: list[float], points: float) -> None:
    """Exchange mean cycle scores (7 − x)/(7 − 3) × 12, clipped, at and between the thresholds."""
    result = kpi(only(score({"tickets": tickets("A", cycles)})), "exchange_cycle")
    assert result.points == points
    assert result.value == pytest.approx(float(np.mean(cycles)))
    assert result.basis == len(cycles)
    assert result.curve["full"] == 3 and result.curve["zero"] == 7


@pytest.mark.parametrize(
    ("mean", "points"), [(6.5, 3.00), (5.0, 12.00), (6.0, 6.00), (7.0, 0.00), (4.0, 12.00)]
)
def test_warranty_cycle_golden(mean: float, points: float) -> None:
    """Warranty mean cycle scores (7 − x)/(7 − 5) × 12; the SPEC example 6.5 days gives 3.00."""
    result = kpi(only(score({"tickets": tickets("A", [mean], "warranty")})), "warranty_cycle")
    assert result.points == points


@pytest.mark.parametrize(("mean", "points"), [(6.0, 3.00), (5.0, 6.00), (7.0, 0.00), (5.5, 4.50)])
def test_nonwarranty_cycle_golden(mean: float, points: float) -> None:
    """Paid-repair mean cycle scores (7 − x)/(7 − 5) × 6."""
    result = kpi(
        only(score({"tickets": tickets("A", [mean], "non_warranty")})), "nonwarranty_cycle"
    )
    assert result.points == points


def test_open_tickets_are_left_out_of_the_mean_cycle() -> None:
    """An open ticket does not enter the mean cycle (basis counts completed tickets only)."""
    result = kpi(only(score({"tickets": tickets("A", [2.0, 4.0, 6.0, None])})), "exchange_cycle")
    assert (result.value, result.basis, result.points) == (4.0, 3, 9.00)


# ----------------------------------------------------------------------------- rates
def with_reworks(total: int, reworks: int) -> pd.DataFrame:
    frame = tickets("A", [1.0] * total, "warranty")
    return frame.assign(
        is_rework=pd.array([True] * reworks + [False] * (total - reworks), dtype="boolean")
    )


@pytest.mark.parametrize(
    ("reworks", "points"), [(15, 5.00), (10, 10.00), (20, 0.00), (12, 8.00), (30, 0.00), (0, 10.00)]
)
def test_rework_rate_golden(reworks: int, points: float) -> None:
    """Rework rate over 200 services: 7.5 % -> 5.00; 5 % full; 10 % zero; 6 % -> 8.00."""
    result = kpi(only(score({"tickets": with_reworks(200, reworks)})), "rework_rate")
    assert result.points == points
    assert result.value == pytest.approx(reworks / 200)
    assert (result.numerator, result.basis) == (reworks, 200)


@pytest.mark.parametrize(
    ("over", "points"), [(3, 2.50), (2, 5.00), (4, 0.00), (1, 5.00), (5, 0.00)]
)
def test_exchange_overdue_golden(over: int, points: float) -> None:
    """Share of 40 exchange tickets over 10 days: 7.5 % -> 2.50 of 5; 5 % full; 10 % zero."""
    cycles = [12.0] * over + [2.0] * (40 - over)
    result = kpi(only(score({"tickets": tickets("A", cycles)})), "exchange_overdue")
    assert result.points == points
    assert result.numerator == over and result.basis == 40


def test_open_ticket_counts_overdue_by_age_at_month_end() -> None:
    """An open ticket accepted on 10-15 is 17 days old at month end (overdue); one from 10-25 is not."""
    frame = pd.concat(
        [
            tickets("A", [2.0] * 37),
            tickets("A", [12.0], prefix="late"),
            tickets("A", [None], start="2026-10-15", prefix="old-open"),
            tickets("A", [None], start="2026-10-25", prefix="new-open"),
        ],
        ignore_index=True,
    )
    card = score({"tickets": frame})
    result = kpi(only(card), "exchange_overdue")
    assert (result.numerator, result.basis) == (2, 40)
    assert result.points == 5.00  # exactly 5 %
    frame.loc[frame.index[:1], "completed_at"] = frame["accepted_at"].iloc[0] + pd.Timedelta(
        days=11
    )
    result = kpi(only(score({"tickets": frame})), "exchange_overdue")
    assert (result.numerator, result.points) == (3, 2.50)


def test_warranty_overdue_uses_warranty_tickets_only() -> None:
    """The warranty overdue KPI counts warranty tickets; exchange tickets do not enter it."""
    frame = pd.concat(
        [tickets("A", [11.0] * 3 + [1.0] * 37, "warranty"), tickets("A", [20.0] * 10)],
        ignore_index=True,
    )
    result = kpi(only(score({"tickets": frame})), "warranty_overdue")
    assert (result.numerator, result.basis, result.points) == (3, 40, 2.50)


def complaints(branch: str, valid: int, invalid: int = 0) -> pd.DataFrame:
    n = valid + invalid
    return pd.DataFrame(
        {
            "complaint_id": [f"{branch}-C{i}" for i in range(n)],
            "branch": branch,
            "received_at": pd.Timestamp("2026-10-09 10:30"),
            "is_valid": pd.array([True] * valid + [False] * invalid, dtype="boolean"),
            "category": "服务态度",
            "description": [f"投诉内容 {i}" for i in range(n)],
        }
    )


@pytest.mark.parametrize(
    ("valid", "points"), [(7, 22.50), (6, 30.00), (10, 0.00), (8, 15.00), (12, 0.00), (0, 30.00)]
)
def test_complaint_rate_golden(valid: int, points: float) -> None:
    """Valid complaints / 200 tickets accepted: 3.5 % -> 22.50; ≤ 3 % full; exactly 5 % -> 0; 4 % -> 15."""
    frame = pd.concat(
        [tickets("A", [1.0] * 100), tickets("A", [1.0] * 100, "warranty")], ignore_index=True
    )
    result = kpi(
        only(score({"tickets": frame, "complaints": complaints("A", valid, invalid=5)})),
        "complaint_rate",
    )
    assert result.points == points
    assert (result.numerator, result.basis) == (valid, 200)


# ----------------------------------------------------------------------------- deductions, rating
def attendance(branch: str, statuses: list[str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "date": pd.Timestamp("2026-10-12"),
            "branch": branch,
            "staff": [f"员工{i}" for i in range(len(statuses))],
            "status": statuses,
        }
    )


@pytest.mark.parametrize(
    ("statuses", "points"),
    [
        (["absent", "absent", "late", "present"], 2.50),  # SPEC: 5 − 2 − 0.5
        (["present"] * 5, 5.00),
        (["early_leave", "late"], 4.00),
        (["absent"] * 7, 0.00),  # floor 0
    ],
)
def test_attendance_deductions(statuses: list[str], points: float) -> None:
    """Attendance deducts 1 per absence and 0.5 per late or early leave, never below 0."""
    result = kpi(only(score({"attendance": attendance("A", statuses)})), "attendance")
    assert result.points == points
    assert result.no_data is False


def test_discipline_uses_own_points_when_present() -> None:
    """A violation costs 1 point, or its own 扣分 when the sheet gives one."""
    frame = pd.DataFrame(
        {
            "branch": "A",
            "date": pd.Timestamp("2026-10-03"),
            "violation": ["脱岗", "着装", "吸烟"],
            "points": [np.nan, 2.0, -0.5],
        }
    )
    result = kpi(only(score({"discipline": frame})), "discipline")
    assert result.value == 3.5 and result.points == 1.50


def test_branch_without_violations_keeps_full_discipline_points() -> None:
    """A branch with no violation rows in a present discipline table scores full, not "no data"."""
    frame = pd.DataFrame({"branch": ["A"], "violation": ["脱岗"]})
    card = score({"discipline": frame, "attendance": attendance("B", ["present"])})
    result = kpi(only(card, "B"), "discipline")
    assert (result.points, result.value, result.no_data) == (5.00, 0.0, False)


@pytest.mark.parametrize(
    ("ratings", "points"),
    [([8, 9], 8.50), ([10], 10.00), ([0], 0.00), ([8.12, 8.13], 8.13), ([12], 10.00)],
)
def test_cooperation_rating(ratings: list[float], points: float) -> None:
    """Cooperation scores the mean rating on 10 points, half up on the hundredth, clipped."""
    frame = pd.DataFrame(
        {"branch": "A", "rating": ratings, "rater": [f"r{i}" for i in range(len(ratings))]}
    )
    assert kpi(only(score({"cooperation": frame})), "cooperation").points == points


def test_rating_scale_differs_from_points() -> None:
    """A rating on a 5-point scale scored on 10 points is rating × 10 / 5."""
    rubric = load_rubric_text(
        """
id = "r"
name = "r"
max = 10
[[grades]]
name = "ok"
min = 0
coefficient = 1
[[kpis]]
id = "coop"
label = "配合"
points = 10
metric = { kind = "rating_mean" }
curve = { kind = "rating", scale_max = 5 }
"""
    )
    frame = pd.DataFrame({"branch": "A", "rating": [4.0, 3.5]})
    assert only(score({"cooperation": frame}, rubric)).total == 7.50


# ----------------------------------------------------------------------------- totals
def test_full_month_total_grade_and_coefficient() -> None:
    """The SPEC examples together: 100 − 3 − 9 − 5 − 7.5 − 2.5 − 1.5 = 71.50, graded 合格 at 0.95."""
    frame = pd.concat(
        [
            tickets("A", [2.0, 4.0, 6.0]),  # exchange cycle 9.00 (−3); no overdue
            tickets("A", [6.5], "warranty"),  # warranty 3.00 (−9)
            tickets("A", [1.0] * 196, "non_warranty"),
        ],
        ignore_index=True,
    )
    frame = frame.assign(
        is_rework=pd.array([True] * 15 + [False] * 185, dtype="boolean")
    )  # 7.5 % -> 5.00
    coop = pd.DataFrame({"branch": "A", "rating": [8, 9]})
    card = score(
        {
            "tickets": frame,
            "complaints": complaints("A", 7),
            "attendance": attendance("A", ["absent", "absent", "late"]),
            "cooperation": coop,
        }
    )
    branch = only(card)
    assert [k.points for k in branch.kpis] == [
        9.00,
        3.00,
        6.00,
        5.00,
        5.00,
        5.00,
        22.50,
        2.50,
        5.00,
        8.50,
    ]
    assert branch.total == 71.50
    assert (branch.grade, branch.coefficient) == ("合格", 0.95)
    assert sum(k.lost for k in branch.kpis) == pytest.approx(28.5)


def test_incentives_are_added_and_total_clipped() -> None:
    """Incentive points are added to the KPI total, and the total is clipped to [0, max]."""
    inc = pd.DataFrame(
        {
            "branch": ["A", "B", "B", "C"],
            "points": [5.0, -3.0, -1.25, -150.0],
            "reason": ["表扬", "违规", "迟报", "重大事故"],
        }
    )
    card = score({"incentives": inc, "attendance": attendance("A", ["absent"] * 2)})
    a, b, c = only(card, "A"), only(card, "B"), only(card, "C")
    assert (a.kpi_total, a.incentive_points, a.total) == (98.00, 5.00, 100.00)
    assert (b.incentive_points, b.total) == (-4.25, 95.75)
    assert c.total == 0.00 and c.grade == "不合格"
    negative = card.evidence[card.evidence["kind"] == "incentive"]
    assert sorted(negative["value"]) == [-150.0, -3.0, -1.25]
    assert set(negative["detail"]) == {"违规", "迟报", "重大事故"}


def test_ranks_share_ties_and_flag_last_place() -> None:
    """Ranks go 1, 2, 2, 4; the last-ranked branch must rectify; branches sort by rank then name."""
    frame = pd.concat(
        [
            attendance("A", ["present"]),
            attendance("B", ["absent"]),
            attendance("C", ["absent"]),
            attendance("D", ["absent", "absent"]),
        ],
        ignore_index=True,
    )
    card = score({"attendance": frame})
    assert [(b.branch, b.rank, b.total) for b in card.branches] == [
        ("A", 1, 100.0),
        ("B", 2, 99.0),
        ("C", 2, 99.0),
        ("D", 4, 98.0),
    ]
    assert card.branch("D").flags == ["last_place", "rectification_required"]
    assert card.branch("D").last_place_streak == 1
    assert card.branch("B").flags == []


def test_all_tied_means_nobody_is_last() -> None:
    """When every assessed branch ties, there is no last place to rectify."""
    card = score(
        {"attendance": pd.concat([attendance("A", ["present"]), attendance("B", ["present"])])}
    )
    assert [b.rank for b in card.branches] == [1, 1]
    assert all(b.flags == [] for b in card.branches)


def test_failing_grade_requires_rectification_even_when_not_last() -> None:
    """A branch graded 不合格 must rectify even when another branch ranks below it."""
    inc = pd.DataFrame({"branch": ["A", "B"], "points": [-45.0, -50.0]})
    card = score({"incentives": inc})
    a = card.branch("A")
    assert (a.grade, a.rank) == ("不合格", 1)
    assert a.flags == ["rectification_required"]
    assert card.branch("B").flags == ["last_place", "rectification_required"]


def test_grace_month_from_roster_contract_start() -> None:
    """A branch whose contract starts within the month is scored, not ranked or graded."""
    roster = pd.DataFrame(
        {
            "branch": ["A", "B", "N"],
            "region": ["东区", "西区", "北区"],
            "echelon": ["一梯队", "二梯队", "三梯队"],
            "contract_start": pd.to_datetime(["2024-01-01", "2025-06-01", "2026-10-10"]),
        }
    )
    att = pd.concat(
        [attendance("A", ["present"]), attendance("B", ["absent"]), attendance("N", ["absent"] * 5)]
    )
    card = score({"attendance": att, "branches": roster})
    new = card.branch("N")
    assert (new.assessed, new.rank, new.grade, new.coefficient, new.total) == (
        False,
        None,
        None,
        None,
        95.0,
    )
    assert new.flags == ["grace_month"]
    assert card.branch("B").flags == ["last_place", "rectification_required"]
    assert [b.branch for b in card.branches] == ["A", "B", "N"]
    assert (card.branch("A").region, card.branch("A").echelon) == ("东区", "一梯队")
    assert card.assessed_count == 2


def test_roster_branch_without_rows_is_scored() -> None:
    """A roster branch with no rows at all appears, scored by when_empty (full marks, no data)."""
    roster = pd.DataFrame(
        {"branch": ["A", "Quiet"], "contract_start": pd.to_datetime(["2024-01-01", "2024-01-01"])}
    )
    card = score({"attendance": attendance("A", ["absent"]), "branches": roster})
    quiet = card.branch("Quiet")
    assert quiet.total == 100.0 and all(k.no_data for k in quiet.kpis if k.id != "attendance")


def test_veto_forces_lowest_grade() -> None:
    """Unicom: a GM dispatch order unanswered three times forces 不合格 and flags veto."""
    unicom = load_rubric("unicom-branch-monthly")
    scores = pd.DataFrame(
        {"branch": ["A", "B"], "cs_1001": [35.0, 30.0], "gm_unanswered": [3.0, 2.0]}
    )
    card = score({"scores": scores}, unicom)
    a, b = card.branch("A"), card.branch("B")
    assert (a.total, a.rank, a.grade) == (100.0, 1, "不合格")
    assert a.flags == ["veto", "rectification_required"]
    assert (b.total, b.grade) == (95.0, "优秀")


# ----------------------------------------------------------------------------- empty, min_basis
EMPTY_RUBRIC = """
id = "empty-rules"
name = "empty rules"
max = 100
[[grades]]
name = "ok"
min = 0
coefficient = 1
[[kpis]]
id = "cycle"
label = "周期"
points = 60
when_empty = "{rule}"
min_basis = {min_basis}
metric = {{ kind = "mean_cycle_days", filter = {{ service_type = "exchange" }} }}
curve = {{ kind = "linear", full = 3, zero = 7 }}
[[kpis]]
id = "coop"
label = "配合"
points = 40
metric = {{ kind = "rating_mean" }}
curve = {{ kind = "rating", scale_max = 10 }}
"""


@pytest.mark.parametrize(
    ("rule", "total", "cycle_points"),
    [("full", 92.0, 60.0), ("zero", 32.0, 0.0), ("exclude", 80.0, 0.0)],
)
def test_when_empty_rules(rule: str, total: float, cycle_points: float) -> None:
    """No exchange tickets: full keeps 60, zero gives 0, exclude re-normalises 32/40 to 80.00."""
    rubric = load_rubric_text(EMPTY_RUBRIC.format(rule=rule, min_basis=0))
    card = score(
        {
            "cooperation": pd.DataFrame({"branch": "A", "rating": [8.0]}),
            "tickets": tickets("A", [1.0], "warranty"),
        },
        rubric,
    )
    branch = only(card)
    cycle = kpi(branch, "cycle")
    assert cycle.no_data is True and cycle.value is None
    assert cycle.points == cycle_points
    assert cycle.excluded is (rule == "exclude")
    assert branch.total == total


def test_min_basis_treats_small_samples_as_empty() -> None:
    """Below min_basis the KPI is low volume and follows when_empty (here full marks)."""
    rubric = load_rubric_text(EMPTY_RUBRIC.format(rule="full", min_basis=5))
    frames = {
        "tickets": pd.concat([tickets("A", [6.0] * 3), tickets("B", [6.0] * 5)], ignore_index=True)
    }
    card = score(frames, rubric)
    a, b = kpi(card.branch("A"), "cycle"), kpi(card.branch("B"), "cycle")
    assert (a.points, a.low_volume, a.no_data, a.value, a.basis) == (60.0, True, True, 6.0, 3)
    assert "low_volume" in a.note
    assert (b.points, b.low_volume) == (15.0, False)


# ----------------------------------------------------------------------------- evidence
def test_evidence_names_rows_behind_lost_points() -> None:
    """Evidence lists slow and overdue tickets, valid complaints and absences with file, sheet and row."""
    frame = pd.concat([tickets("A", [2.0, 4.0, 12.0]), tickets("B", [1.0])], ignore_index=True)
    card = score(
        {
            "tickets": frame,
            "complaints": complaints("A", 1, invalid=1),
            "attendance": attendance("A", ["absent", "present", "late"]),
        }
    )
    ev = card.evidence
    assert list(ev.columns) == EVIDENCE_COLUMNS
    assert set(ev["branch_key"]) == {"A"}  # B lost nothing
    slow = ev[ev["kind"] == "slow_ticket"]
    assert list(slow["ref"]) == ["A-exchange-1", "A-exchange-2"] and list(slow["value"]) == [
        4.0,
        12.0,
    ]
    assert (
        list(slow["row"]) == [3, 4]
        and set(slow["sheet"]) == {"tickets"}
        and set(slow["file"]) == {"memory.xlsx"}
    )
    assert slow["date"].iloc[0] == "2026-10-01T01:00"
    overdue = ev[ev["kind"] == "overdue_ticket"]
    assert list(overdue["ref"]) == ["A-exchange-2"] and overdue["category"].iloc[0] == "换机"
    complaint = ev[ev["kind"] == "complaint"]
    assert list(complaint["ref"]) == ["A-C0"] and complaint["detail"].iloc[0] == "投诉内容 0"
    assert (
        complaint["category"].iloc[0] == "服务态度"
        and complaint["date"].iloc[0] == "2026-10-09T10:30"
    )
    absence = ev[ev["kpi_id"] == "attendance"]
    assert list(absence["kind"]) == ["absence", "late"] and list(absence["value"]) == [1.0, 0.5]
    assert list(absence["date"]) == ["2026-10-12", "2026-10-12"]


def test_scorecard_metadata() -> None:
    """The scorecard carries month, rubric, input stats and the injected time."""
    card = score({"attendance": attendance("A", ["present"])})
    assert (str(card.month), card.rubric_id, card.rubric_max) == (
        "2026-10",
        "gd-mobile-aftersales",
        100.0,
    )
    assert card.generated_at == datetime(2026, 11, 2, 9, 0)
    assert card.inputs["attendance"].used == 1
    # The complaints table is missing: one kpi-table-missing finding, no kpi-no-data besides it.
    assert any(n.code == "kpi-table-missing" and n.table == "complaints" for n in card.notes)
    assert not any(n.code == "kpi-no-data" and "complaint_rate" in n.message for n in card.notes)


def test_curve_record_for_audit() -> None:
    """Each KpiResult carries the thresholds it was scored against."""
    card = score({"tickets": tickets("A", [12.0])})
    overdue = kpi(only(card), "exchange_overdue")
    assert (
        overdue.curve["kind"] == "linear"
        and overdue.curve["full"] == 0.05
        and overdue.curve["over_days"] == 10
    )
    assert overdue.unit == "rate" and kpi(only(card), "exchange_cycle").unit == "days"


def test_branch_names_match_after_normalisation() -> None:
    """Spellings differing by spaces and width are one branch, displayed as most rows spell it."""
    frame = pd.concat(
        [
            tickets("天河 店", [1.0]),
            tickets("天河店", [1.0, 2.0], prefix="x"),
            tickets("天河店", [1.0], "warranty", prefix="y"),
        ]
    )
    card = score({"tickets": frame})
    assert len(card.branches) == 1 and card.branches[0].branch == "天河店"


def test_every_valid_complaint_is_evidence_even_without_lost_points() -> None:
    """Valid complaints of a branch on full marks are still recorded (reports' hot spots need them)."""
    frame = pd.concat([tickets("A", [1.0] * 200), tickets("B", [1.0] * 200)], ignore_index=True)
    card = score(
        {
            "tickets": frame,
            "complaints": pd.concat([complaints("A", 2, invalid=3), complaints("B", 9)]),
        }
    )
    assert kpi(card.branch("A"), "complaint_rate").points == 30.0
    rows = card.evidence[card.evidence["kpi_id"] == "complaint_rate"]
    assert rows.groupby("branch_key").size().to_dict() == {"A": 2, "B": 9}
    assert set(rows["category"]) == {"服务态度"}
