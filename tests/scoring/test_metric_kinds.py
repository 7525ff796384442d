"""What the rubric may say against what scoring implements, and the typed "no data" reasons."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from svcqa.findings import RUBRIC_MISMATCH_CODES
from svcqa.models import Month
from svcqa.rubric import CURVE_KINDS, METRIC_KINDS, Curve, load_rubric
from svcqa.scoring import (
    KIND_FUNCTIONS,
    MetricContext,
    NoData,
    apply_curve,
    compute_metric,
    month_data_from_tables,
    score_month,
)

GD = load_rubric("gd-mobile-aftersales")
MONTH = Month.parse("2026-10")


def test_every_metric_kind_the_rubric_accepts_is_implemented() -> None:
    """Each metric kind a rubric may name has a scoring function, and scoring has no other kind."""
    assert set(KIND_FUNCTIONS) == set(METRIC_KINDS)


@pytest.mark.parametrize("kind", CURVE_KINDS)
def test_every_curve_kind_the_rubric_accepts_is_applied(kind: str) -> None:
    """Each curve kind a rubric may name gives points within [0, max] (NaN stays NaN)."""
    curve = Curve(kind, full=3.0, zero=7.0, scale_max=10.0, bands=((3.0, 10.0), (5.0, 4.0)))
    points = apply_curve(curve, np.array([0.0, 4.0, 9.0, np.nan]), 10)
    assert np.all((points[:3] >= 0) & (points[:3] <= 10)) and np.isnan(points[3])


def _ticket_frame(**columns: object) -> pd.DataFrame:
    base = {
        "ticket_id": ["T1", "T2"],
        "branch": ["A", "A"],
        "branch_key": ["A", "A"],
        "service_type": ["exchange", "exchange"],
        "accepted_at": pd.to_datetime(["2026-10-01", "2026-10-02"]),
    }
    return pd.DataFrame({**base, **columns})


@pytest.mark.parametrize(
    ("kpi_id", "tables", "reason"),
    [
        ("complaint_rate", {}, NoData("no-table", "no complaints table")),
        (
            "exchange_cycle",
            {"tickets": _ticket_frame()},
            NoData("no-column", "tickets has no completed_at column"),
        ),
        (
            "rework_rate",
            {"tickets": _ticket_frame()},
            NoData("no-rework-source", "tickets have neither an is_rework nor a device_id column"),
        ),
    ],
)
def test_a_metric_without_data_says_why_as_a_type(
    kpi_id: str, tables: dict[str, pd.DataFrame], reason: NoData
) -> None:
    """A metric that cannot be computed carries a typed NoData; its note is the reason's message."""
    ctx = MetricContext(MONTH, tables, None, extra_keys=["A"])
    result = compute_metric(GD.kpi(kpi_id), ctx)
    assert result.no_data == reason
    assert result.note == reason.message
    assert np.isnan(result.value).all()


def test_kpi_no_data_findings_follow_the_typed_reason() -> None:
    """score_month accounts for every KPI whose metric returned NoData once: a kpi-no-data note,
    or (when the rubric asks for a table or column the month lacks) the mismatch finding alone."""
    frame = _ticket_frame(completed_at=pd.to_datetime(["2026-10-03", "2026-10-04"]))
    data = month_data_from_tables("2026-10", {"tickets": frame})
    card = score_month(data, GD)
    ctx = MetricContext(MONTH, data.tables, None)
    without = [k.id for k in GD.kpis if compute_metric(k, ctx).no_data is not None]
    reported = [n.message.split(" ", 1)[0] for n in card.notes if n.code == "kpi-no-data"]
    mismatch_text = " ".join(n.message for n in card.notes if n.code in RUBRIC_MISMATCH_CODES)
    mismatched = [k for k in without if f"{k} (" in mismatch_text]
    # Only tickets were given: the rework flag, complaints, attendance, discipline and
    # cooperation are all missing, so each of those KPIs is a mismatch finding, not no-data.
    assert without == ["rework_rate", "complaint_rate", "attendance", "discipline", "cooperation"]
    assert mismatched == without and reported == []
    assert "exchange_cycle" not in mismatch_text
