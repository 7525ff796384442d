"""share_in: the share of rows whose value is one of a list (the backlog), golden by hand."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import pytest

import svcqa.rubric.spec as spec
from svcqa.errors import RubricError
from svcqa.jobs.score import run_score
from svcqa.rubric import load_rubric_text
from svcqa.scoring import month_data_from_tables, score_month

RUBRIC = """
id = "hd"
name = "Helpdesk"
max = 10

[[grades]]
name = "ok"
min = 0
coefficient = 1.0

[columns.tickets.status]
type = "text"
aliases = ["Status"]

[columns.tickets.priority]
type = "text"
aliases = ["Priority"]

[columns.tickets.urgent]
type = "flag"
aliases = ["Urgent"]

[[kpis]]
id = "backlog"
label = "Backlog"
points = 10
metric = {{ {metric} }}
curve = {{ kind = "ratio", invert = true }}
"""
BACKLOG = (
    'kind = "share_in", table = "tickets", column = "status", values = ["Open", "In Progress"]'
)


def frame(statuses: dict[str, list[str | None]], priority: str = "High") -> pd.DataFrame:
    """Tickets per branch with these statuses, accepted on October 1st."""
    rows = [(b, s) for b, group in statuses.items() for s in group]
    return pd.DataFrame(
        {
            "ticket_id": [f"T{i}" for i in range(len(rows))],
            "branch": [b for b, _ in rows],
            "service_type": "exchange",
            "accepted_at": pd.Timestamp("2026-10-01"),
            "status": [s for _, s in rows],
            "priority": priority,
            "urgent": pd.array([s == "Open" for _, s in rows], dtype="boolean"),
        }
    )


def score(df: pd.DataFrame, metric: str = BACKLOG):
    card = score_month(
        month_data_from_tables("2026-10", {"tickets": df}),
        load_rubric_text(RUBRIC.format(metric=metric)),
        None,
        now=datetime(2026, 11, 2, 9, 0),
    )
    return card, {b.branch: b.kpis[0] for b in card.branches}


def test_share_in_counts_rows_holding_one_of_the_values_over_every_row():
    """A: 2 of 8 in Open/In Progress = 0.25 (7.5 points); B: 'open' is not 'Open', a blank counts in the basis: 1/4."""
    statuses = {
        "A": ["Open", "In Progress", *["Resolved"] * 5, "Closed"],
        "B": [None, "Resolved", "Open", "open"],
    }
    card, got = score(frame(statuses))
    assert (got["A"].value, got["A"].basis, got["A"].points) == (0.25, 8, 7.5)
    assert (got["B"].value, got["B"].basis, got["B"].points) == (0.25, 4, 7.5)
    ev = card.evidence
    assert sorted(ev.loc[ev["branch_key"] == "A", "category"]) == ["In Progress", "Open"]
    assert set(ev["detail"]) == {"status in Open/In Progress"}


def test_share_in_compares_exact_spellings_and_names_a_value_no_row_holds():
    """'open' matches no 'Open' row: the share is 0 and a filter-matches-nothing note names the spelling."""
    card, got = score(frame({"A": ["Open", "Resolved"]}), BACKLOG.replace('"Open"', '"open"'))
    assert got["A"].value == 0.0
    note = next(n for n in card.notes if n.code == "filter-matches-nothing")
    assert note.message.startswith(
        'KPI backlog (Backlog): share_in values = ["open", "In Progress"] on tickets.status: '
        '"open", "In Progress" occurs in no row of the month; no row holds any of the values, '
        "so every branch's share is 0."
    )
    assert 'Did you mean "Open" for "open"?' in note.message


def test_share_in_applies_the_filter_first():
    """Only High tickets: A's 1 Open of 2 High = 0.5; its Low tickets are not in the basis."""
    df = pd.concat(
        [frame({"A": ["Open", "Resolved"]}), frame({"A": ["Open", "Open", "Open"]}, "Low")],
        ignore_index=True,
    )
    df["ticket_id"] = [f"T{i}" for i in range(len(df))]
    _, got = score(df, BACKLOG + ', filter = { priority = "High" }')
    assert (got["A"].value, got["A"].basis) == (0.5, 2)


def test_share_in_on_a_yes_no_column_takes_true_false_only():
    """values = [true] counts the flagged rows (1 of 3); "Y" matches nothing and is a filter-not-boolean note."""
    df = frame({"A": ["Open", "Resolved", "Closed"]})
    _, got = score(df, 'kind = "share_in", table = "tickets", column = "urgent", values = [true]')
    assert got["A"].value == pytest.approx(1 / 3, abs=1e-6)
    card, got = score(df, 'kind = "share_in", table = "tickets", column = "urgent", values = ["Y"]')
    assert got["A"].value == 0.0 and [n.code for n in card.notes] == ["filter-not-boolean"]


def test_the_reference_worked_example_for_share_in_holds():
    """docs/rubric.md's share_in example: 1 Open + 1 In Progress of 8 = 0.25."""
    metric = spec.metric_kind("share_in").example[0].removeprefix("metric = { ").removesuffix(" }")
    _, got = score(frame({"A": ["Open", "In Progress", *["Resolved"] * 5, "Closed"]}), metric)
    assert got["A"].value == 0.25


@pytest.mark.parametrize(
    ("metric", "message"),
    [
        ('kind = "share_in", table = "tickets", column = "status"', "share_in needs values"),
        ('kind = "share_in", table = "tickets", values = ["Open"]', "needs column"),
        ('kind = "share_in", table = "tickets", column = "status", values = [{ a = 1 }]', "must be a value or a list of values"),
        ('kind = "share_in", table = "attendance", column = "status", values = ["lat"]', "['lat'] not among attendance.status values"),
    ],
)  # fmt: skip
def test_share_in_mistakes_are_rubric_problems(metric: str, message: str) -> None:
    """A share_in without values or column, or with a value an enum column cannot hold, is a rubric problem."""
    with pytest.raises(RubricError) as err:
        load_rubric_text(RUBRIC.format(metric=metric))
    assert message in str(err.value)


def test_a_backlog_share_scores_from_a_workbook_end_to_end(make_workbook, tmp_path):
    """Through a workbook and TOML: Status in Open/In Progress per technician, checked by pandas."""
    header = ["工单号", "网点", "受理时间", "Status"]
    statuses = {"Ann": ["Open", "Resolved", "Closed", "Resolved"], "Bo": ["In Progress", "Open"]}
    rows = [
        [f"T{b}{i}", b, "2026-10-03 09:00", s]
        for b, group in statuses.items()
        for i, s in enumerate(group)
    ]
    book = make_workbook({"工单": [header, *rows]})
    run = run_score(
        [book], rubric=load_rubric_text(RUBRIC.format(metric=BACKLOG)), month=None,
        out_dir=tmp_path / "out", use_history=False,
    )  # fmt: skip
    df = pd.DataFrame(rows, columns=["id", "branch", "at", "status"])
    share = df["status"].isin(["Open", "In Progress"]).groupby(df["branch"]).mean()
    got = {b.branch: (b.kpis[0].value, b.kpis[0].points) for b in run.scorecard.branches}
    assert got == {b: (share[b], round((1 - share[b]) * 10, 2)) for b in share.index}
    assert run.mismatches == []
