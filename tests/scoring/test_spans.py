"""Spans in any unit, open items and per-row thresholds for mean and share_over, golden by hand."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import svcqa.rubric.spec as spec
from svcqa.errors import RubricError
from svcqa.jobs.score import run_score
from svcqa.rubric import load_rubric_text
from svcqa.scoring import month_data_from_tables, score_month

MONTH = "2026-10"  # its end, where open rows are aged: 2026-11-01 00:00
SAMPLE_DATA = Path(__file__).resolve().parents[2] / "sample_data"

RUBRIC = """
id = "hd"
name = "Helpdesk"
max = 10

[[grades]]
name = "ok"
min = 0
coefficient = 1.0

[columns.tickets.priority]
type = "text"
aliases = ["Priority"]

[columns.tickets.resolved]
type = "datetime"
aliases = ["Resolved"]

[columns.tickets.wait]
type = "number"

[[kpis]]
id = "k"
label = "K"
points = 10
metric = {{ {metric} }}
curve = {{ {curve} }}
"""
LINEAR_40 = 'kind = "linear", full = 0, zero = 40'  # points = (40 - value) / 4
INVERT = 'kind = "ratio", invert = true'  # points = (1 - share) x 10


def rubric(metric: str, curve: str = LINEAR_40):
    return load_rubric_text(RUBRIC.format(metric=metric, curve=curve))


def frame(rows: list[tuple[str, str, str | None, str]]) -> pd.DataFrame:
    """Tickets of branch A: (id, accepted, resolved or None = open, priority)."""
    return pd.DataFrame(
        {
            "ticket_id": [r[0] for r in rows],
            "branch": "A",
            "service_type": "exchange",
            "accepted_at": pd.to_datetime([r[1] for r in rows]),
            "completed_at": pd.to_datetime([r[2] for r in rows]),
            "resolved": pd.to_datetime([r[2] for r in rows]),
            "priority": [r[3] for r in rows],
        }
    )


def score(df: pd.DataFrame, metric: str, curve: str = LINEAR_40):
    card = score_month(
        month_data_from_tables(MONTH, {"tickets": df}), rubric(metric, curve), None,
        now=datetime(2026, 11, 2, 9, 0),
    )  # fmt: skip
    branch = card.branch("A")
    assert branch is not None
    return card, next(k for k in branch.kpis if k.id == "k")


# Two closed tickets of 2 h and 6 h, one open since 10-31 14:00 (10 h old at the month end).
MEAN_ROWS = [
    ("T1", "2026-10-05 08:00", "2026-10-05 10:00", "Low"),
    ("T2", "2026-10-06 20:00", "2026-10-07 02:00", "Low"),
    ("T3", "2026-10-31 14:00", None, "Low"),
]
SPAN = 'span = {{ from = "accepted_at", to = "{to}", unit = "{unit}" }}'


@pytest.mark.parametrize(
    ("unit", "value"), [("minutes", 240.0), ("hours", 4.0), ("days", 4 / 24)]
)  # fmt: skip
def test_mean_of_a_span_in_each_unit_leaves_open_rows_out_by_default(unit: str, value: float):
    """mean over span: (2 h + 6 h) / 2 in the unit asked, the open ticket left out (basis 2)."""
    metric = 'kind = "mean", table = "tickets", ' + SPAN.format(to="completed_at", unit=unit)
    _, result = score(frame(MEAN_ROWS), metric)
    assert result.value == pytest.approx(value, abs=1e-6) and result.basis == 2  # 6 decimals kept
    assert result.unit == unit


def test_mean_of_a_span_with_open_by_age_counts_the_open_ticket_to_the_month_end():
    """open = "age": (2 + 6 + 10) / 3 = 6 h, so (40 - 6) / 4 = 8.5 points; evidence marks it open."""
    metric = 'kind = "mean", table = "tickets", open = "age", ' + SPAN.format(
        to="resolved", unit="hours"
    )
    card, result = score(frame(MEAN_ROWS), metric)
    assert (result.value, result.basis, result.points) == (pytest.approx(6.0), 3, 8.5)
    ev = card.evidence.set_index("ref")
    assert ev.loc["T3", "value"] == pytest.approx(10.0)
    assert "open" in ev.loc["T3", "detail"] and "open" not in str(ev.loc["T2", "detail"])


# Over 10 h? T1 10 h exactly: no; T2 10 h 01: yes; T3 open, 9 h at month end: no;
# T4 open, 10 h 01 at month end: yes; T5 1 h: no.
SHARE_ROWS = [
    ("T1", "2026-10-02 00:00", "2026-10-02 10:00", "Low"),
    ("T2", "2026-10-03 00:00", "2026-10-03 10:01", "Low"),
    ("T3", "2026-10-31 15:00", None, "Low"),
    ("T4", "2026-10-31 13:59", None, "Low"),
    ("T5", "2026-10-04 00:00", "2026-10-04 01:00", "Low"),
]


@pytest.mark.parametrize(
    ("open_text", "share", "basis"),
    [("", 2 / 5, 5), ('open = "age", ', 2 / 5, 5), ('open = "exclude", ', 1 / 3, 3)],
)
def test_share_over_a_span_counts_open_rows_by_age_unless_excluded(open_text, share, basis):
    """share_over 10 h: by default open tickets count by age (2 of 5); "exclude" leaves them out (1 of 3)."""
    metric = f'kind = "share_over", table = "tickets", threshold = 10, {open_text}' + SPAN.format(
        to="completed_at", unit="hours"
    )
    _, result = score(frame(SHARE_ROWS), metric, INVERT)
    assert result.value == pytest.approx(share) and result.basis == basis
    assert result.points == round((1 - share) * 10, 2)


# Hours: Critical 4 exactly (no), Critical 4.5 (yes), High 24 exactly (no), High 25 (yes),
# Low 72 exactly (no), Low open since 10-28 23:00: 73 h at month end (yes), Urgent 1 h.
BY_ROWS = [
    ("C1", "2026-10-01 00:00", "2026-10-01 04:00", "Critical"),
    ("C2", "2026-10-01 00:00", "2026-10-01 04:30", "Critical"),
    ("H1", "2026-10-02 00:00", "2026-10-03 00:00", "High"),
    ("H2", "2026-10-02 00:00", "2026-10-03 01:00", "High"),
    ("L1", "2026-10-05 00:00", "2026-10-08 00:00", "Low"),
    ("L2", "2026-10-28 23:00", None, "Low"),
    ("U1", "2026-10-09 00:00", "2026-10-09 01:00", "Urgent"),
]
BY = 'threshold_by = {{ column = "priority", values = {{ Critical = 4, High = 24, Low = 72 }}{default} }}'


@pytest.mark.parametrize(
    ("default", "share", "basis"),
    [(", default = 0.5", 4 / 7, 7), (", default = 2", 3 / 7, 7), ("", 3 / 6, 6)],
)
def test_share_over_with_threshold_by_compares_each_row_with_its_own_threshold(
    default: str, share: float, basis: int
) -> None:
    """Rows exactly at their threshold do not count; Urgent takes the default (1 h > 0.5, not > 2) or is left out."""
    metric = (
        'kind = "share_over", table = "tickets", '
        + SPAN.format(to="completed_at", unit="hours")
        + ", "
        + BY.format(default=default)
    )
    card, result = score(frame(BY_ROWS), metric, INVERT)
    assert result.value == pytest.approx(share) and result.basis == basis
    ev = card.evidence.set_index("ref")
    assert sorted(ev.index) == sorted(["C2", "H2", "L2"] + (["U1"] if "0.5" in default else []))
    assert ev.loc["C2", "detail"] == "hours accepted_at→completed_at > 4 hours"
    assert ev.loc["H2", "detail"] == "hours accepted_at→completed_at > 24 hours"
    assert ev.loc["L2", "detail"].startswith("open: age at month end; ")
    assert ev.loc["L2", "value"] == pytest.approx(73.0)
    codes = [(n.code, n.value) for n in card.notes if n.code == "threshold-value-unknown"]
    assert codes == ([] if default else [("threshold-value-unknown", "Urgent")])


def test_threshold_by_also_applies_to_a_number_column():
    """share_over column = "wait" by priority: 4 > 4 no, 5 > 4 yes, 30 > 24 yes, blank wait left out: 2/3."""
    df = frame(BY_ROWS[:4]).assign(wait=[4.0, 5.0, 30.0, None])
    metric = 'kind = "share_over", table = "tickets", column = "wait", ' + BY.format(default="")
    _, result = score(df, metric, INVERT)
    assert result.value == pytest.approx(2 / 3, abs=1e-6) and result.basis == 3


def test_an_unknown_threshold_value_finding_names_the_value_the_rows_and_the_kpi():
    """Without a default, a priority listed nowhere is a finding naming KPI, column, value and count."""
    metric = 'kind = "share_over", table = "tickets", ' + SPAN.format(
        to="completed_at", unit="hours"
    ) + ", " + BY.format(default="")  # fmt: skip
    card, _ = score(frame(BY_ROWS), metric, INVERT)
    note = next(n for n in card.notes if n.code == "threshold-value-unknown")
    assert note.message == (
        'KPI k (K): threshold_by on tickets.priority has no threshold for "Urgent" ×1; those 1 '
        "row(s) are left out of the share. Add each value to threshold_by.values, or give "
        "threshold_by a default"
    )


@pytest.mark.parametrize(
    ("metric", "message"),
    [
        ('kind = "mean", table = "tickets"', "needs column"),
        (
            'kind = "mean", table = "tickets", column = "priority", span = { from = "accepted_at", to = "completed_at" }',
            "either column or span",
        ),
        ('kind = "mean", table = "tickets", column = "resolved", open = "age"', "open applies to a span only"),
        ('kind = "mean", table = "tickets", span = { from = "accepted_at", to = "completed_at", unit = "weeks" }', "'weeks' is not one of minutes, hours, days"),
        ('kind = "mean", table = "tickets", span = { from = "priority", to = "completed_at" }', "tickets.priority is a text column"),
        ('kind = "mean", table = "tickets", span = { from = "accepted_at", to = "closed" }', "unknown column 'closed'"),
        ('kind = "share_over", table = "tickets", span = { from = "accepted_at", to = "completed_at" }, open = "maybe", threshold = 1', "'maybe' is not \"age\" or \"exclude\""),
        ('kind = "share_over", table = "tickets", span = { from = "accepted_at", to = "completed_at" }', "needs threshold"),
        ('kind = "share_over", table = "tickets", span = { from = "accepted_at", to = "completed_at" }, threshold = 1, threshold_by = { column = "priority", values = { High = 1 } }', "either threshold or threshold_by"),
        ('kind = "share_over", table = "tickets", span = { from = "accepted_at", to = "completed_at" }, threshold_by = { column = "prio", values = { High = 1 } }', "unknown column 'prio'"),
        ('kind = "share_over", table = "tickets", span = { from = "accepted_at", to = "completed_at" }, threshold_by = { column = "priority", values = { High = "x" } }', "must be a table of value = number"),
        ('kind = "flag_rate", table = "tickets", column = "priority", open = "age"', "'open' is not a parameter"),
    ],
)  # fmt: skip
def test_span_and_threshold_by_mistakes_are_rubric_problems(metric: str, message: str) -> None:
    """Each misuse of column/span/open/threshold/threshold_by is a rubric problem saying what to write."""
    text = RUBRIC.format(metric=metric, curve=LINEAR_40)
    with pytest.raises(RubricError, match=None) as err:
        load_rubric_text(text)
    assert message in str(err.value)


def test_a_helpdesk_workbook_scores_sla_by_priority_with_open_tickets_end_to_end(
    make_workbook, tmp_path
):
    """Through a workbook and a TOML rubric: SLA breach share by priority in hours, open by age."""
    header = ["工单号", "网点", "受理时间", "完成时间", "Priority"]
    rows = [
        ["T1", "A", "2026-10-01 08:00", "2026-10-01 12:00", "Critical"],  # 4 h: at the SLA
        ["T2", "A", "2026-10-01 08:00", "2026-10-01 12:01", "Critical"],  # over
        ["T3", "A", "2026-10-30 23:00", None, "High"],  # open, 25 h at the month end: over
        ["T4", "B", "2026-10-31 01:00", None, "High"],  # open, 23 h: within
        ["T5", "B", "2026-10-02 00:00", "2026-10-04 00:00", "Medium"],  # 48 h, default 72: within
    ]
    book = make_workbook({"工单": [header, *rows]})
    metric = (
        'kind = "share_over", table = "tickets", span = { from = "accepted_at", to = '
        '"completed_at", unit = "hours" }, threshold_by = { column = "priority", values = '
        "{ Critical = 4, High = 24 }, default = 72 }"
    )
    text = RUBRIC.format(metric=metric, curve=INVERT)
    run = run_score(
        [book], rubric=load_rubric_text(text), month=None, out_dir=tmp_path / "out",
        use_history=False,
    )  # fmt: skip
    got = {b.branch: (b.kpis[0].value, b.kpis[0].points) for b in run.scorecard.branches}
    assert got == {"A": (pytest.approx(2 / 3), 3.33), "B": (0.0, 10.0)}
    assert run.mismatches == []


PRESET_TOTALS = {  # from the commit before spans: (branches, sum of totals, sha256 prefix)
    "gd-mobile-aftersales": (40, 3683.88, "6d48333d1b893c2f"),
    "telecom-cs-generic": (40, 3935.31, "25e23f3168f8d7bc"),
    "tianyi-county-aftersales": (40, 3644.0, "b2b67662bc1ee445"),
    "unicom-branch-monthly": (40, 3994.34, "8387ce2a0c4ae247"),
}


@pytest.mark.parametrize("preset", sorted(PRESET_TOTALS))
def test_the_presets_score_the_sample_month_exactly_as_before(preset: str, tmp_path) -> None:
    """Every branch total of each preset on sample_data/2026-10 is what it was before spans existed."""
    run = run_score(
        [SAMPLE_DATA / "2026-10.xlsx"], rubric=preset, out_dir=tmp_path, use_history=False
    )
    totals = {b.branch: b.total for b in run.scorecard.branches}
    digest = hashlib.sha256(
        json.dumps(sorted(totals.items()), ensure_ascii=False).encode()
    ).hexdigest()[:16]
    assert (len(totals), round(sum(totals.values()), 2), digest) == PRESET_TOTALS[preset]


def _example_metric(kind: str) -> str:
    """The worked example's metric table from the reference, as inline keys."""
    toml = spec.metric_kind(kind).example[0]
    return toml.removeprefix("metric = { ").removesuffix(" }")


def test_the_reference_worked_example_for_mean_holds():
    """docs/rubric.md's mean example: 6 h closed + 10 h open by age = 8 h; excluded, 6 h over 1."""
    rows = [
        ("T1", "2026-10-31 20:00", "2026-11-01 02:00", "Low"),
        ("T2", "2026-10-31 14:00", None, "Low"),
    ]
    metric = _example_metric("mean")
    _, aged = score(frame(rows), metric)
    _, excluded = score(frame(rows), metric.replace(', open = "age"', ""))
    assert (aged.value, aged.basis, excluded.value, excluded.basis) == (8.0, 2, 6.0, 1)


def test_the_reference_worked_example_for_share_over_holds():
    """docs/rubric.md's share_over example: Critical 5 h and Low open 80 h breach, High 24 h not: 2/3."""
    rows = [
        ("C", "2026-10-01 00:00", "2026-10-01 05:00", "Critical"),
        ("H", "2026-10-02 00:00", "2026-10-03 00:00", "High"),
        ("L", "2026-10-28 16:00", None, "Low"),  # 80 h before 11-01 00:00
    ]
    _, result = score(frame(rows), _example_metric("share_over"), INVERT)
    assert result.value == pytest.approx(2 / 3, abs=1e-6) and result.basis == 3


def test_a_blank_value_without_a_default_is_named_as_blank_and_left_out():
    """A ticket with no priority and no default: left out of the share, a finding names "(blank)"."""
    rows = [*BY_ROWS[:2], ("B1", "2026-10-01 00:00", "2026-10-01 09:00", None)]
    metric = (
        'kind = "share_over", table = "tickets", '
        + SPAN.format(to="completed_at", unit="hours")
        + ", "
        + BY.format(default="")
    )
    card, result = score(frame(rows), metric, INVERT)
    assert (result.value, result.basis) == (0.5, 2)
    assert [n.value for n in card.notes if n.code == "threshold-value-unknown"] == ["(blank)"]


_minutes = st.lists(
    st.tuples(st.integers(0, 31 * 1440 - 1), st.one_of(st.none(), st.integers(0, 20 * 1440))),
    min_size=1,
    max_size=30,
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(_minutes, st.integers(0, 10))
def test_a_span_in_days_with_open_by_age_is_the_overdue_share(rows, days: int) -> None:
    """Property: share_over a days span, open by age, equals overdue_share of the same days, and its
    mean in minutes is 1440 times its mean in days."""
    start = pd.Timestamp("2026-10-01")
    df = frame([
        (f"T{i}", str(start + pd.Timedelta(minutes=a)),
         None if c is None else str(start + pd.Timedelta(minutes=a + c)), "Low")
        for i, (a, c) in enumerate(rows)
    ])  # fmt: skip
    span = SPAN.format(to="completed_at", unit="days")
    _, share = score(
        df, f'kind = "share_over", table = "tickets", threshold = {days}, {span}', INVERT
    )
    _, overdue = score(df, f'kind = "overdue_share", days = {days}', INVERT)
    assert (share.value, share.basis) == (overdue.value, overdue.basis)
    age = 'open = "age", '
    _, in_days = score(df, f'kind = "mean", table = "tickets", {age}{span}')
    minutes = SPAN.format(to="completed_at", unit="minutes")
    _, in_minutes = score(df, f'kind = "mean", table = "tickets", {age}{minutes}')
    assert in_minutes.value == pytest.approx(
        in_days.value * 1440, rel=1e-5, abs=2e-3
    )  # values kept to 6 decimals
