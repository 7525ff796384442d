"""per: a count or sum divided by the branch's roster value, times scale, golden by hand."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import pytest

from svcqa.errors import RubricError
from svcqa.rubric import load_rubric_text
from svcqa.scoring import month_data_from_tables, score_month

RUBRIC = """
id = "per"
name = "Per users"
max = 10

[[grades]]
name = "ok"
min = 0
coefficient = 1.0

[columns.branches.users]
type = "number"
aliases = ["用户数"]

[[kpis]]
id = "complaints"
label = "Complaints per 10,000 users"
points = 10
metric = {{ {metric} }}
curve = {{ kind = "linear", full = 0, zero = 10 }}
"""
COUNT = 'kind = "count", table = "complaints", per = { table = "branches", column = "users", scale = 10000 }'


def complaints(counts: dict[str, int]) -> pd.DataFrame:
    """``counts[branch]`` complaints per branch, received on October 3rd."""
    branches = [b for b, n in counts.items() for _ in range(n)]
    return pd.DataFrame(
        {
            "complaint_id": [f"C{i}" for i in range(len(branches))],
            "branch": branches,
            "received_at": pd.Timestamp("2026-10-03 10:00"),
            "is_valid": pd.array([True] * len(branches), dtype="boolean"),
            "amount": 2.5,
        }
    )


def score(tables: dict[str, pd.DataFrame], metric: str = COUNT, extra: str = ""):
    card = score_month(
        month_data_from_tables("2026-10", tables),
        load_rubric_text(RUBRIC.format(metric=metric) + extra),
        None,
        now=datetime(2026, 11, 2, 9, 0),
    )
    return card, {b.branch: b.kpis[0] for b in card.branches}


def test_count_per_users_divides_by_the_roster_times_scale():
    """A: 7 complaints / 12,000 users × 10,000 = 5.8333 → 10 × (1 − 0.58333) = 4.17 points; B: 0 / 5,000 = 0 → 10."""
    roster = pd.DataFrame({"branch": ["A", "B"], "users": [12000.0, 5000.0]})
    card, kpis = score({"complaints": complaints({"A": 7}), "branches": roster})
    assert kpis["A"].value == pytest.approx(7 / 12000 * 10000)
    assert kpis["A"].points == 4.17
    assert kpis["A"].numerator == 7
    assert "7 / 12000 users × 10000" in kpis["A"].note
    assert kpis["A"].unit == "per 10000 users"
    assert kpis["B"].value == 0 and kpis["B"].points == 10
    assert kpis["A"].curve["rate_per"] == {"table": "branches", "column": "users", "scale": 10000.0}
    detail = card.evidence.loc[card.evidence["branch_key"] == "A", "detail"]
    assert len(detail) == 7 and detail.str.endswith("7 / 12000 users × 10000").all()
    assert not [n for n in card.notes if n.code == "per-basis-missing"]


def test_a_branch_without_a_roster_value_has_no_data_and_a_finding():
    """Blank users (B), 0 users (C) and no roster row (D): no data with the reason, one finding each, never a division by zero."""
    roster = pd.DataFrame({"branch": ["A", "B", "C"], "users": [10000.0, None, 0.0]})
    card, kpis = score(
        {"complaints": complaints({"A": 1, "B": 2, "C": 3, "D": 4}), "branches": roster}
    )
    assert kpis["A"].value == pytest.approx(1.0) and kpis["A"].points == 9.0
    for branch, n in (("B", 2), ("C", 3), ("D", 4)):
        assert kpis[branch].value is None and kpis[branch].no_data
        assert kpis[branch].points == 10  # when_empty = full, said aloud by the finding
        assert (
            f"no users in the branches roster (blank, 0 or no row): {n} cannot" in kpis[branch].note
        )
    found = [n for n in card.notes if n.code == "per-basis-missing"]
    assert sorted(f.value for f in found) == ["B", "C", "D"]
    assert all("KPI complaints" in f.message and f.column == "users" for f in found)


def test_sum_per_and_a_roster_without_the_column():
    """sum of amount per 1,000 users: A 3 × 2.5 / 500 × 1000 = 15; a roster without users gives every branch no data, reported."""
    metric = 'kind = "sum", table = "complaints", column = "amount", per = { table = "branches", column = "users", scale = 1000 }'
    rubric_extra = '[columns.complaints.amount]\ntype = "number"\n'
    roster = pd.DataFrame({"branch": ["A"], "users": [500.0]})
    _, kpis = score({"complaints": complaints({"A": 3}), "branches": roster}, metric, rubric_extra)
    assert kpis["A"].value == pytest.approx(15.0)
    card, kpis = score(
        {"complaints": complaints({"A": 3}), "branches": roster[["branch"]]}, metric, rubric_extra
    )
    assert kpis["A"].no_data and kpis["A"].value is None
    codes = {n.code for n in card.notes}
    # the mismatch says why; no kpi-no-data note repeats it
    assert "kpi-column-missing" in codes and "kpi-no-data" not in codes


@pytest.mark.parametrize(
    ("per", "message"),
    [
        ('{ table = "branches", column = "nope" }', "unknown column 'nope' of table branches"),
        ('{ table = "branches", column = "users", scale = 0 }', "must be a number above 0"),
        ('{ table = "branches", column = "branch", scale = 10 }', "per needs a number"),
        ('"users"', "must be a table like"),
    ],
)
def test_per_is_validated_with_its_key(per, message):
    """A bad per names its key and what is expected."""
    metric = f'kind = "count", table = "complaints", per = {per}'
    with pytest.raises(RubricError, match=message):
        load_rubric_text(RUBRIC.format(metric=metric))
