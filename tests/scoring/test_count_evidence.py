"""A count KPI's evidence rows say what each row cost: points under a deduct curve, else its weight."""

from __future__ import annotations

from datetime import datetime

import pandas as pd

from svcqa.rubric import load_rubric_text
from svcqa.scoring import month_data_from_tables, score_month

RUBRIC = """
id = "count-evidence"
name = "Complaints counted"
max = 20

[[grades]]
name = "ok"
min = 0
coefficient = 1.0

[[kpis]]
id = "complaints"
label = "Complaints"
points = 20
metric = {{ kind = "count", table = "complaints" }}
curve = {curve}
"""


def details(curve: str) -> tuple[float, list[str]]:
    """Branch A, two complaints: its points and its evidence details."""
    complaints = pd.DataFrame(
        {
            "complaint_id": ["C1", "C2"],
            "branch": ["A", "A"],
            "received_at": pd.Timestamp("2026-10-03 10:00"),
            "is_valid": pd.array([True, True], dtype="boolean"),
        }
    )
    card = score_month(
        month_data_from_tables("2026-10", {"complaints": complaints}),
        load_rubric_text(RUBRIC.format(curve=curve)),
        None,
        now=datetime(2026, 11, 2, 9, 0),
    )
    ev = card.evidence
    return card.branches[0].kpis[0].points, list(ev.loc[ev["kpi_id"] == "complaints", "detail"])


def test_deduct_curve_rows_say_the_points_each_cost():
    """deduct per = 2: two complaints cost 4 points, 2 each, and each row says 扣 2 分."""
    points, said = details('{ kind = "deduct", per = 2 }')
    assert points == 16.0
    assert said == ["扣 2 分", "扣 2 分"]


def test_other_curves_say_the_row_s_weight_not_points():
    """Under a linear curve the count is scored as a whole: a row says 计 1, never a point figure."""
    points, said = details('{ kind = "linear", full = 0, zero = 4 }')
    assert points == 10.0  # 2 of 4 toward zero: 20 x (1 - 2/4)
    assert said == ["计 1", "计 1"]
