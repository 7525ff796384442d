"""Values outside the range the rubric sets for their column (issue 19): out-of-range rejects
naming the cell, the range and the rubric key; and the implausible-date limit as a rubric key."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from svcqa.errors import RubricError
from svcqa.ingest import ingest, open_month
from svcqa.jobs.score import ingest_for_rubric
from svcqa.models import Month
from svcqa.rubric.loader import load_rubric, load_rubric_text

from conftest import write_workbook

OCTOBER = Month(2026, 10)
TICKETS_ONLY = {"tickets": ("ticket_id", "branch", "accepted_at")}
HEAD = ["工单号", "网点", "服务类型", "受理时间", "完成时间", "客户评分"]


def tickets_csv(path: Path, rows: list[tuple[str, str, str]]) -> Path:
    """Tickets T1.. with the given (完成时间, 客户评分, 网点) and otherwise valid cells."""
    lines = [",".join(HEAD)]
    for i, (completed, rating, branch) in enumerate(rows, start=1):
        lines.append(f"T{i},{branch},换机,2026-10-03 10:00,{completed},{rating}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def issues(frame) -> list[tuple[int, str, str, str]]:  # type: ignore[no-untyped-def]
    return [
        (int(r), c, v, code)
        for r, c, v, code in zip(frame["row"], frame["column"], frame["value"], frame["code"])
    ]


def test_a_value_just_beyond_its_bounds_is_rejected_and_the_bound_itself_read(
    tmp_path: Path,
) -> None:
    """Ratings 0 and 5 (the bounds) and a blank are read; 5.5 and -0.1 are out-of-range rejects
    naming the value, the range and the key."""
    path = tickets_csv(
        tmp_path / "工单.csv",
        [
            ("", "0", "A店"),
            ("", "5", "A店"),
            ("", "5.5", "A店"),
            ("", "-0.1", "B店"),
            ("", "", "B店"),
        ],
    )
    bounds = {"tickets": {"rating": (0.0, 5.0, "bounds.tickets.rating in the rubric")}}
    data = ingest([path], month=OCTOBER, required=TICKETS_ONLY, bounds=bounds)
    assert issues(data.rejects) == [
        (4, "客户评分", "5.5", "out-of-range"),
        (5, "客户评分", "-0.1", "out-of-range"),
    ]
    assert data.rejects["reason"].iloc[0] == (
        "客户评分 '5.5' is outside [0, 5] (set by bounds.tickets.rating in the rubric); "
        "correct the value in the source, or change the bounds"
    )
    assert data.rejects["file"].iloc[0] == "工单.csv"
    assert data.tables["tickets"]["ticket_id"].tolist() == ["T1", "T2", "T5"]
    stats = data.stats["tickets"]
    assert (stats.rows, stats.used, stats.rejected) == (5, 3, 2)


def test_an_open_ended_bound_reads_as_a_half_line(tmp_path: Path) -> None:
    """[0, inf]: 0 and 1e12 are read, -1 is rejected and the range is written [0, ∞)."""
    path = tickets_csv(
        tmp_path / "工单.csv", [("", "0", "A店"), ("", "1e12", "A店"), ("", "-1", "A店")]
    )
    bounds = {"tickets": {"rating": (0.0, math.inf, "bounds.tickets.rating in the rubric")}}
    data = ingest([path], month=OCTOBER, required=TICKETS_ONLY, bounds=bounds)
    assert issues(data.rejects) == [(4, "客户评分", "-1", "out-of-range")]
    assert "is outside [0, ∞) (set by bounds.tickets.rating" in data.rejects["reason"].iloc[0]


def test_max_days_after_month_moves_the_implausible_date_limit(tmp_path: Path) -> None:
    """With 30 days, 2026-12-01 00:00 (month end 2026-11-01 + 30 days) is read, a minute later
    is implausible-date naming limits.max_days_after_month."""
    path = tickets_csv(
        tmp_path / "工单.csv",
        [("2026-12-01 00:00", "5", "A店"), ("2026-12-01 00:01", "5", "A店")],
    )
    data = ingest([path], month=OCTOBER, required=TICKETS_ONLY, max_days_after_month=30)
    assert issues(data.rejects) == [(3, "完成时间", "2026-12-01 00:01", "implausible-date")]
    assert data.rejects["reason"].iloc[0] == (
        "完成时间 2026-12-01 is more than 30 days after the end of 2026-10 "
        "(limits.max_days_after_month in the rubric); correct the date in the source system"
    )


def test_preset_defaults_bound_incentives_ratings_and_deductions() -> None:
    """The default rubric bounds incentives to ±100 (its max), cooperation ratings to [0, 10]
    (the KPI's scale_max) and discipline points to at least 0; the date limit is 366 days."""
    rubric = load_rubric("gd-mobile-aftersales")
    got = {t: {c: b[:2] for c, b in cols.items()} for t, cols in rubric.column_bounds().items()}
    assert got == {
        "incentives": {"points": (-100.0, 100.0)},
        "cooperation": {"rating": (0.0, 10.0)},
        "discipline": {"points": (0.0, math.inf)},
    }
    assert rubric.max_days_after_month == 366
    assert rubric.column_bounds()["incentives"]["points"][2] == (
        "bounds.incentives.points, by default within ± the rubric's max; set it in the rubric "
        "to change"
    )


def _with(extra: str) -> str:
    base = load_rubric("gd-mobile-aftersales").source_text
    return base + "\n" + extra


def test_rubric_bounds_and_limits_override_the_defaults() -> None:
    """[bounds.incentives] points = [-5, 5] and [limits] max_days_after_month = 60 replace the
    defaults; rubric show's JSON writes an open end as null."""
    rubric = load_rubric_text(
        _with("[bounds.incentives]\npoints = [-5, 5]\n[bounds.discipline]\npoints = [0, inf]\n"
              "[limits]\nmax_days_after_month = 60\n")
    )  # fmt: skip
    assert rubric.column_bounds()["incentives"]["points"] == (
        -5.0,
        5.0,
        "bounds.incentives.points in the rubric",
    )
    assert rubric.max_days_after_month == 60
    assert rubric.as_dict()["bounds"]["discipline.points"] == [0.0, None]


@pytest.mark.parametrize(
    ("extra", "problem"),
    [
        (
            "[bounds.tickets]\nbranch = [0, 1]",
            "tickets.branch is a branch column; bounds apply to number",
        ),
        ("[bounds.tickets]\nnosuch = [0, 1]", "tickets.nosuch is not a column"),
        (
            "[bounds.incentives]\npoints = [5, 1]",
            "must be [low, high], two numbers with low <= high",
        ),
        ("[bounds.incentives]\npoints = [nan, 1]", "must be [low, high]"),
        ("[bounds.nosuch]\nx = [0, 1]", "unknown table 'nosuch'"),
        ("[limits]\nmax_days_after_month = -1", "limits.max_days_after_month"),
        ("[limits]\nmax_days = 1", "unknown key 'max_days'"),
    ],
)
def test_bad_bounds_and_limits_are_rubric_problems(extra: str, problem: str) -> None:
    """Bounds on a non-number column, an unknown column or table, a reversed or NaN range and a
    negative or unknown limit are problems naming the key."""
    with pytest.raises(RubricError) as info:
        load_rubric_text(_with(extra))
    assert any(problem in reason for reason in info.value.reasons), info.value.reasons


def test_default_rubric_rejects_out_of_range_incentives_ratings_and_deductions(
    tmp_path: Path,
) -> None:
    """Through the rubric: incentives ±100, ratings 0 and 10 and deduction 0 (the bounds) are
    read; ±100.5, 10.5, -0.5 and a -0.5 deduction are out-of-range rejects naming their key."""
    month = {
        "工单": [HEAD, ["T1", "A店", "换机", "2026-10-03 10:00", "2026-10-04 10:00", 5]],
        "投诉": [["投诉单号", "网点", "投诉时间"], ["C1", "A店", "2026-10-05"]],
        "出勤": [["日期", "网点", "人员", "状态"], ["2026-10-01", "A店", "张三", "正常"]],
        "加减分": [
            ["日期", "网点", "分值", "原因"],
            ["2026-10-02", "A店", 100, "a"],
            ["2026-10-02", "A店", 100.5, "b"],
            ["2026-10-02", "A店", -100, "c"],
            ["2026-10-02", "A店", -100.5, "d"],
        ],
        "配合评分": [["网点", "评分"], ["A店", 10], ["A店", 10.5], ["A店", 0], ["A店", -0.5]],
        "工作纪律": [["日期", "网点", "违纪事项", "扣分"], ["2026-10-02", "A店", "x", 0],
                     ["2026-10-02", "A店", "y", -0.5]],
    }  # fmt: skip
    path = write_workbook(tmp_path / "month.xlsx", month)
    rubric = load_rubric("gd-mobile-aftersales")
    with open_month([path]) as files:
        data = ingest_for_rubric(files, rubric, month=OCTOBER)
    got = sorted(
        (t, int(r), v, code)
        for t, r, v, code in zip(
            data.rejects["table"], data.rejects["row"], data.rejects["value"], data.rejects["code"]
        )
    )
    assert got == [
        ("cooperation", 3, "10.5", "out-of-range"),
        ("cooperation", 5, "-0.5", "out-of-range"),
        ("discipline", 3, "-0.5", "out-of-range"),
        ("incentives", 3, "100.5", "out-of-range"),
        ("incentives", 5, "-100.5", "out-of-range"),
    ]
    reasons = dict(zip(data.rejects["table"] + data.rejects["value"], data.rejects["reason"]))
    assert (
        "outside [-100, 100] (set by bounds.incentives.points, by default"
        in reasons["incentives100.5"]
    )
    assert "outside [0, 10] (set by bounds.cooperation.rating, by default 0 to the scale_max of KPI cooperation (10)" in reasons["cooperation10.5"]  # fmt: skip
    assert "outside [0, ∞) (set by bounds.discipline.points" in reasons["discipline-0.5"]
    assert data.tables["incentives"]["points"].tolist() == [100.0, -100.0]
    assert data.tables["cooperation"]["rating"].tolist() == [10.0, 0.0]
    assert data.tables["discipline"]["points"].tolist() == [0.0]


def test_duration_columns_default_to_at_least_zero() -> None:
    """telecom-cs-generic declares complaints.handling_days a duration: bounded to [0, ∞)."""
    rubric = load_rubric("telecom-cs-generic")
    assert rubric.column_bounds()["complaints"]["handling_days"][:2] == (0.0, math.inf)
