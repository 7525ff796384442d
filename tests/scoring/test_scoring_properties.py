"""Property tests: totals stay within [0, max] and improving any metric never lowers points."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from svcqa.rubric import load_rubric
from svcqa.scoring import month_data_from_tables, score_month

GD = load_rubric("gd-mobile-aftersales")
BRANCHES = ["A", "B", "C"]

ticket_rows = st.lists(
    st.tuples(
        st.sampled_from(BRANCHES),
        st.sampled_from(["exchange", "warranty", "non_warranty"]),
        st.floats(0, 20),
        st.booleans(),
        st.booleans(),
    ),
    min_size=1,
    max_size=40,
)
month_strategy = st.fixed_dictionaries(
    {
        "tickets": ticket_rows,
        "complaints": st.lists(st.tuples(st.sampled_from(BRANCHES), st.booleans()), max_size=10),
        "attendance": st.lists(
            st.tuples(
                st.sampled_from(BRANCHES),
                st.sampled_from(["present", "absent", "late", "early_leave"]),
            ),
            max_size=15,
        ),
        "cooperation": st.lists(st.tuples(st.sampled_from(BRANCHES), st.floats(0, 10)), max_size=6),
        "incentives": st.lists(
            st.tuples(st.sampled_from(BRANCHES), st.floats(-60, 60)), max_size=4
        ),
    }
)


def build(spec: dict) -> dict[str, pd.DataFrame]:
    start = pd.Timestamp("2026-10-01")
    t = spec["tickets"]
    accepted = [start + pd.Timedelta(hours=5 * i) for i in range(len(t))]
    tickets = pd.DataFrame(
        {
            "ticket_id": [f"T{i}" for i in range(len(t))],
            "branch": [r[0] for r in t],
            "service_type": [r[1] for r in t],
            "accepted_at": pd.Series(accepted, dtype="datetime64[ns]"),
            "completed_at": pd.Series(
                [
                    a + pd.Timedelta(days=r[2]) if not r[4] else pd.NaT
                    for a, r in zip(accepted, t, strict=True)
                ],
                dtype="datetime64[ns]",
            ),
            "is_rework": pd.array([r[3] for r in t], dtype="boolean"),
        }
    )
    frames = {"tickets": tickets}
    frames["complaints"] = pd.DataFrame(
        {
            "branch": [c[0] for c in spec["complaints"]],
            "received_at": start,
            "is_valid": pd.array([c[1] for c in spec["complaints"]], dtype="boolean"),
        }
    )
    frames["attendance"] = pd.DataFrame(
        {
            "branch": [a[0] for a in spec["attendance"]],
            "date": start,
            "status": [a[1] for a in spec["attendance"]],
        }
    )
    frames["cooperation"] = pd.DataFrame(
        {
            "branch": [c[0] for c in spec["cooperation"]],
            "rating": [c[1] for c in spec["cooperation"]],
        }
    )
    frames["incentives"] = pd.DataFrame(
        {"branch": [c[0] for c in spec["incentives"]], "points": [c[1] for c in spec["incentives"]]}
    )
    return frames


def run(frames: dict[str, pd.DataFrame]):
    return score_month(month_data_from_tables("2026-10", frames), GD)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(month_strategy)
def test_totals_within_bounds_and_ranks_consistent(spec: dict) -> None:
    """Every total lies in [0, max], KPI points in [0, KPI max], and a higher total never ranks worse."""
    card = run(build(spec))
    for branch in card.branches:
        assert 0 <= branch.total <= GD.max
        assert round(branch.total, 2) == branch.total
        for k in branch.kpis:
            assert 0 <= k.points <= k.max
    ranked = [b for b in card.branches if b.rank is not None]
    for a in ranked:
        for b in ranked:
            if a.total > b.total:
                assert a.rank < b.rank
            if a.total == b.total:
                assert a.rank == b.rank


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(month_strategy, st.integers(0, 4), st.integers(0, 1000), st.floats(0.01, 1.0))
def test_improving_a_metric_never_lowers_points(
    spec: dict, which: int, pick: int, fraction: float
) -> None:
    """Shorter cycles, fewer reworks, fewer valid complaints, better attendance or ratings never cost points."""
    before = build(spec)
    after = {name: df.copy() for name, df in before.items()}
    if which == 0:  # shorten one completed ticket's cycle
        t = after["tickets"]
        done = np.flatnonzero(t["completed_at"].notna().to_numpy())
        if len(done):
            i = t.index[done[pick % len(done)]]
            t.loc[i, "completed_at"] = t.loc[i, "accepted_at"] + (
                t.loc[i, "completed_at"] - t.loc[i, "accepted_at"]
            ) * (1 - fraction)
    elif which == 1:  # one rework less
        t = after["tickets"]
        t.loc[t.index[pick % len(t)], "is_rework"] = False
    elif which == 2 and len(after["complaints"]):  # a valid complaint judged invalid
        c = after["complaints"]
        c.loc[c.index[pick % len(c)], "is_valid"] = False
    elif which == 3 and len(after["attendance"]):  # an attendance record becomes present
        a = after["attendance"]
        a.loc[a.index[pick % len(a)], "status"] = "present"
    elif which == 4 and len(after["cooperation"]):  # a better rating
        c = after["cooperation"]
        i = c.index[pick % len(c)]
        c.loc[i, "rating"] = c.loc[i, "rating"] + (10 - c.loc[i, "rating"]) * fraction
    old, new = run(before), run(after)
    for branch in old.branches:
        improved = new.branch(branch.branch_key)
        assert improved.total >= branch.total
        for k_old, k_new in zip(branch.kpis, improved.kpis, strict=True):
            assert k_new.points >= k_old.points, (k_old.id, k_old, k_new)
