"""Issue 20's acceptance: a four-KPI helpdesk rubric scores a generated month exactly as pandas does."""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

import pandas as pd
import pytest

from svcqa.ingest import ingest
from svcqa.models import Month, branch_key
from svcqa.rubric import load_rubric_text
from svcqa.scoring import score_month

from helpdesk import HELPDESK_RUBRIC, MONTH_END, SLA_HOURS, USERS, helpdesk_month, write_month


def linear(value: float, full: float, zero: float, points: float) -> float:
    """The linear curve, rounded half up to hundredths, written out independently."""
    share = min(max((zero - value) / (zero - full), 0.0), 1.0)
    return float(
        Decimal(repr(round(float(share * points), 9))).quantize(Decimal("0.01"), ROUND_HALF_UP)
    )


def expected(frames: dict[str, pd.DataFrame]) -> dict[str, dict[str, tuple[float | None, float]]]:
    """Per technician and KPI: (value, points), from the export's own columns with pandas."""
    t = frames["Tickets"].copy()
    t["hours"] = (t["Resolved"].fillna(MONTH_END) - t["Created"]) / pd.Timedelta(hours=1)
    t["breach"] = t["hours"] > t["Priority"].map(SLA_HOURS)
    t["backlog"] = t["Status"].isin(["Open", "In Progress"])
    per_tech = t.groupby("Technician").agg(
        sla=("breach", "mean"), resolution=("hours", "mean"), backlog=("backlog", "mean")
    )
    complaints = frames["Complaints"]["Technician"].value_counts()
    out: dict[str, dict[str, tuple[float | None, float]]] = {}
    for tech, row in per_tech.iterrows():
        users = USERS[tech]
        rate = None if not users else complaints.get(tech, 0) / users * 10000
        out[tech] = {
            "sla": (row["sla"], linear(row["sla"], 0, 0.5, 40)),
            "resolution": (row["resolution"], linear(row["resolution"], 24, 240, 30)),
            "backlog": (row["backlog"], linear(row["backlog"], 0, 0.4, 15)),
            "complaints": (rate, 15.0 if rate is None else linear(rate, 0, 20, 15)),
        }
    return out


def test_helpdesk_rubric_scores_a_generated_month_as_pandas_computes_it(tmp_path):
    """SLA by priority with open tickets by age, mean hours with open by age, backlog share and complaints per 10,000 users: every value and point."""
    frames = helpdesk_month()
    path = tmp_path / "helpdesk.xlsx"
    write_month(frames, path)
    rubric = load_rubric_text(HELPDESK_RUBRIC)
    data = ingest(
        [path],
        month=Month(2026, 10),
        required=rubric.required_columns(),
        extra_columns=rubric.extra_columns,
        extra_aliases=rubric.aliases,
    )
    assert data.rejects.empty and data.stats["tickets"].used == len(frames["Tickets"])
    card = score_month(data, rubric, None, now=datetime(2026, 11, 2, 9, 0))
    want = expected(frames)
    assert {b.branch for b in card.branches} == set(want)
    assert frames["Tickets"]["Resolved"].isna().sum() > 20  # open tickets do count
    for branch in card.branches:
        for kpi in branch.kpis:
            value, points = want[branch.branch][kpi.id]
            if value is None:
                assert kpi.value is None and kpi.no_data
            else:
                assert kpi.value == pytest.approx(value, rel=1e-12), (branch.branch, kpi.id)
            assert kpi.points == points, (branch.branch, kpi.id)
        total = sum(p for _, p in want[branch.branch].values())
        assert branch.total == pytest.approx(total)
    missing = [n for n in card.notes if n.code == "per-basis-missing"]
    assert [n.value for n in missing] == [branch_key("Fay")]  # blank Users: no data, said aloud
