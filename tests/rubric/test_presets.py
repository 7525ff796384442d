"""Every shipped preset loads and scores a realistic month without error."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from svcqa.rubric import list_presets, load_rubric
from svcqa.scoring import month_data_from_tables, score_month

PRESET_IDS = [
    "gd-mobile-aftersales",
    "tianyi-county-aftersales",
    "unicom-branch-monthly",
    "telecom-cs-generic",
]


def sample_month() -> dict[str, pd.DataFrame]:
    """A small month shaped like the sample data: canonical tables only, no declared columns."""
    rng = np.random.default_rng(7)
    n = 300
    branches = np.array(["天河店", "越秀店", "海珠店", "白云店"], dtype=object)
    accepted = pd.Timestamp("2026-10-01") + pd.to_timedelta(rng.integers(0, 30 * 24, n), unit="h")
    cycle = pd.to_timedelta(rng.gamma(2.0, 2.0, n), unit="D")
    completed = pd.Series(accepted + cycle)
    completed[rng.random(n) < 0.05] = pd.NaT
    tickets = pd.DataFrame(
        {
            "ticket_id": [f"T{i:04d}" for i in range(n)],
            "branch": branches[rng.integers(0, 4, n)],
            "service_type": np.array(["exchange", "warranty", "non_warranty"], dtype=object)[
                rng.integers(0, 3, n)
            ],
            "accepted_at": pd.Series(accepted, dtype="datetime64[ns]"),
            "completed_at": completed.astype("datetime64[ns]"),
            "device_id": [f"IMEI{x}" for x in rng.integers(0, 250, n)],
            "rating": rng.integers(3, 6, n).astype(float),
        }
    )
    complaints = pd.DataFrame(
        {"complaint_id": [f"C{i}" for i in range(12)], "branch": branches[rng.integers(0, 4, 12)], "received_at": pd.Timestamp("2026-10-08"),
         "is_valid": pd.array(rng.random(12) < 0.7, dtype="boolean"), "category": "维修质量", "description": "返修多次"}
    )  # fmt: skip
    attendance = pd.DataFrame(
        {
            "branch": branches.repeat(3),
            "date": pd.Timestamp("2026-10-03"),
            "staff": "张三",
            "status": ["present", "absent", "late"] * 4,
        }
    )
    cooperation = pd.DataFrame(
        {"branch": branches.repeat(2), "rating": [9, 8, 10, 9, 7, 8, 9, 9.5], "rater": "客服经理"}
    )
    incentives = pd.DataFrame(
        {
            "branch": ["天河店", "白云店"],
            "date": pd.Timestamp("2026-10-20"),
            "points": [2.0, -3.0],
            "reason": ["表扬", "投诉升级"],
        }
    )
    roster = pd.DataFrame(
        {
            "branch": branches,
            "region": "广州",
            "echelon": "一梯队",
            "contract_start": pd.to_datetime(["2024-01-01"] * 3 + ["2026-10-12"]),
        }
    )
    return {
        "tickets": tickets,
        "complaints": complaints,
        "attendance": attendance,
        "cooperation": cooperation,
        "incentives": incentives,
        "branches": roster,
    }


def test_all_presets_load() -> None:
    """The four presets load, each with points adding up to its max."""
    presets = {r.id: r for r in list_presets()}
    assert sorted(presets) == sorted(PRESET_IDS)
    for rubric in presets.values():
        assert sum(k.points for k in rubric.kpis) == rubric.max == 100
        assert rubric.origin == f"preset:{rubric.id}"


def test_headline_preset_matches_spec() -> None:
    """gd-mobile-aftersales has SPEC 2.1's KPI ids, points, groups, grades and coefficients."""
    gd = load_rubric("gd-mobile-aftersales")
    assert [(k.id, k.points) for k in gd.kpis] == [
        ("exchange_cycle", 12), ("warranty_cycle", 12), ("nonwarranty_cycle", 6), ("rework_rate", 10),
        ("exchange_overdue", 5), ("warranty_overdue", 5), ("complaint_rate", 30), ("attendance", 5),
        ("discipline", 5), ("cooperation", 10),
    ]  # fmt: skip
    assert {k.group for k in gd.kpis} == {"客户感知", "内部运营"}
    assert [(g.name, g.min, g.coefficient) for g in gd.grades] == [
        ("优秀", 90, 1.05),
        ("良好", 80, 1.0),
        ("合格", 60, 0.95),
        ("不合格", 0, 0.85),
    ]
    assert gd.contract_review_after == 3 and gd.grace_months == 1
    assert all(k.when_empty == "full" for k in gd.kpis)


@pytest.mark.parametrize("preset", PRESET_IDS)
def test_preset_scores_sample_month(preset: str) -> None:
    """Each preset scores the sample month's tables: totals in range, the new branch not ranked."""
    rubric = load_rubric(preset)
    card = score_month(month_data_from_tables("2026-10", sample_month()), rubric)
    assert len(card.branches) == 4
    assert all(0 <= b.total <= 100 for b in card.branches)
    assert all(len(b.kpis) == len(rubric.kpis) for b in card.branches)
    ranked = [b for b in card.branches if b.rank is not None]
    expected_assessed = 4 if rubric.grace_months == 0 else 3
    assert len(ranked) == expected_assessed
    if rubric.grace_months:
        assert card.branch("白云店").flags == ["grace_month"]


def test_declared_columns_score_when_supplied() -> None:
    """telecom-cs-generic scores its declared columns (answer speed, resolved flag) when they are supplied."""
    rubric = load_rubric("telecom-cs-generic")
    tables = sample_month()
    t = tables["tickets"]
    tables["tickets"] = t.assign(
        answer_seconds=np.where(t["branch"] == "天河店", 40.0, 10.0),
        resolved=pd.array(t["branch"] != "越秀店", dtype="boolean"),
    )
    card = score_month(month_data_from_tables("2026-10", tables), rubric)
    tianhe, yuexiu = card.branch("天河店"), card.branch("越秀店")
    speed = next(k for k in tianhe.kpis if k.id == "response_time")
    assert (speed.value, speed.points, speed.no_data) == (40.0, 10.0, False)
    resolution = next(k for k in yuexiu.kpis if k.id == "resolution_rate")
    assert (resolution.value, resolution.points) == (0.0, 0.0)
    flagged = card.evidence[(card.evidence["kpi_id"] == "resolution_rate")]
    assert set(flagged["branch_key"]) == {"越秀店"} and set(flagged["kind"]) == {"flagged"}
