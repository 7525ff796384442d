"""``svcqa score --as-of``: open rows aged at the data's cut-off, golden by hand, stored and reused."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from svcqa.cli import app
from svcqa.history import HistoryStore
from svcqa.jobs.appeals import apply_appeals, decide_appeals, file_appeals
from svcqa.jobs.score import run_score
from svcqa.jobs.whatif import run_whatif
from svcqa.models import AppealDecision, AppealRequest, Month

runner = CliRunner()
NOW = datetime(2026, 11, 2, 9, 0)
OCT = Month(2026, 10)
CUT_OFF = datetime(2026, 10, 20, 18, 0)

# Two KPIs of 5 points: overdue share over 2 days (points = (1 - share) x 5) and the mean
# resolution time in days with open tickets by their age (points = (10 - mean) / 10 x 5).
RUBRIC = """
id = "hd-asof"
name = "Helpdesk"
max = 10

[[grades]]
name = "ok"
min = 0
coefficient = 1.0

[aliases.tickets]
ticket_id = ["id"]
branch = ["tech"]
accepted_at = ["created"]
completed_at = ["resolved"]

[[kpis]]
id = "overdue"
label = "Overdue"
points = 5
metric = { kind = "overdue_share", days = 2 }
curve = { kind = "ratio", invert = true }

[[kpis]]
id = "mean_days"
label = "Mean days"
points = 5
metric = { kind = "mean", table = "tickets", open = "age", span = { from = "accepted_at", to = "completed_at", unit = "days" } }
curve = { kind = "linear", full = 0, zero = 10 }
"""

# CSV line numbers are the rows the rejects name: the header is line 1.
OCTOBER = [
    ("T1", "A", "2026-10-05 08:00", "2026-10-06 08:00"),  # 1 day
    (
        "T2",
        "A",
        "2026-10-15 08:00",
        "",
    ),  # open: 5 d 10 h = 5.4167 d at 10-20 18:00; 16.6667 d at 11-01
    (
        "T3",
        "A",
        "2026-10-18 18:00",
        "",
    ),  # open: exactly 2.0 d at the cut-off (not over); 13.25 d at 11-01
    ("T4", "B", "2026-10-10 08:00", "2026-10-10 20:00"),  # 0.5 day
    ("T5", "B", "2026-10-20 18:30", ""),  # after the cut-off; 11 d 5.5 h = 11.2292 d at 11-01
]


def write_csv(path: Path, rows: list[tuple[str, str, str, str]]) -> Path:
    lines = ["id,tech,created,resolved"] + [",".join(r) for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    (tmp_path / "hd.toml").write_text(RUBRIC, encoding="utf-8")
    september = [("S1", "A", "2026-09-03 08:00", "2026-09-04 08:00"), ("S2", "B", "2026-09-04 08:00", "2026-09-04 20:00")]  # fmt: skip
    return {
        "rubric": tmp_path / "hd.toml",
        "oct": write_csv(tmp_path / "2026-10.csv", OCTOBER),
        "sep": write_csv(tmp_path / "2026-09.csv", september),
    }


def points(card, branch: str) -> dict[str, tuple[float | None, float]]:
    found = card.branch(branch)
    assert found is not None
    return {k.id: (k.value, k.points) for k in found.kpis}


def score(files: dict[str, Path], tmp_path: Path, as_of: datetime | None, db: Path | None = None):
    return run_score(
        [files["oct"]], rubric=files["rubric"], month=OCT, out_dir=tmp_path / "out",
        db=db, use_history=db is not None, now=NOW, as_of=as_of,
    )  # fmt: skip


def test_open_tickets_are_aged_at_the_cut_off_and_later_rows_rejected(files, tmp_path) -> None:
    """At 10-20 18:00: A's overdue share 1/3 (T3 at exactly 2 days is not over), mean 2.8056 d."""
    run = score(files, tmp_path, CUT_OFF)
    card = run.scorecard
    a, b = points(card, "A"), points(card, "B")
    assert a["overdue"] == (pytest.approx(1 / 3), 3.33)  # (1 - 1/3) x 5
    assert a["mean_days"][0] == pytest.approx((1 + (5 + 10 / 24) + 2.0) / 3)
    assert a["mean_days"][1] == 3.6  # (10 - 2.805556) / 10 x 5 = 3.597
    assert b == {"overdue": (0.0, 5.0), "mean_days": (pytest.approx(0.5), 4.75)}
    assert card.as_of == CUT_OFF

    rejected = run.data.rejects.set_index("code").loc["after-cut-off"]
    assert (rejected["row"], rejected["value"]) == (6, "2026-10-20 18:30")
    assert "after the data's cut-off --as-of 2026-10-20 18:00" in rejected["reason"]
    stats = card.inputs["tickets"]
    assert (stats.rows, stats.used, stats.rejected) == (5, 4, 1)

    ev = card.evidence
    overdue = ev[ev["kpi_id"] == "overdue"].set_index("ref")
    assert list(overdue.index) == ["T2"]  # T3, 2.0 days at the cut-off, is not over 2
    assert overdue.loc["T2", "value"] == 5.42
    assert "截至 2026-10-20 18:00" in overdue.loc["T2", "detail"]
    mean = ev[ev["kpi_id"] == "mean_days"].set_index("ref")
    assert mean.loc["T2", "value"] == pytest.approx(5 + 10 / 24)
    assert mean.loc["T2", "detail"] == "open: age at the cut-off 2026-10-20 18:00 in days"


def test_without_a_cut_off_open_tickets_are_aged_at_the_month_end(files, tmp_path) -> None:
    """No --as-of: T2 16.67 d, T3 13.25 d, T5 11.23 d old at 11-01 00:00, nothing rejected."""
    card = score(files, tmp_path, None).scorecard
    a, b = points(card, "A"), points(card, "B")
    assert a["overdue"] == (pytest.approx(2 / 3), 1.67)
    assert a["mean_days"] == (pytest.approx((1 + (16 + 16 / 24) + 13.25) / 3), 0.0)
    assert b["overdue"] == (0.5, 2.5)
    assert b["mean_days"] == (pytest.approx((0.5 + (11 + 5.5 / 24)) / 2), 2.07)  # 2.0677
    assert card.as_of is None and card.inputs["tickets"].rejected == 0


def test_the_cut_off_is_stored_and_reused_when_a_later_month_rescores(files, tmp_path) -> None:
    """October at a cut-off, then September: October is re-scored at its stored cut-off."""
    db = tmp_path / "h.db"
    first = score(files, tmp_path, CUT_OFF, db).scorecard
    september = run_score(
        [files["sep"]], rubric=files["rubric"], month=Month(2026, 9), out_dir=tmp_path / "sep",
        db=db, now=NOW,
    )  # fmt: skip
    assert september.rescored == [OCT]
    with HistoryStore(db) as store:
        again = store.load_scorecard(OCT)
        runs = store.runs(OCT)
    assert again.as_of == CUT_OFF
    assert (
        points(again, "A")
        == points(first, "A")
        == {
            "overdue": (pytest.approx(1 / 3), 3.33),
            "mean_days": (pytest.approx((1 + (5 + 10 / 24) + 2.0) / 3), 3.6),
        }
    )
    assert again.inputs["tickets"].rejected == 1  # T5 rejected again
    assert [(r["status"], r["as_of"]) for r in runs] == [
        ("active", "2026-10-20T18:00:00"),
        ("superseded", "2026-10-20T18:00:00"),
    ]


def test_whatif_scores_a_stored_month_at_its_cut_off(files, tmp_path) -> None:
    """whatif of the same rubric on a month stored at a cut-off changes nothing."""
    db = tmp_path / "h.db"
    score(files, tmp_path, CUT_OFF, db)
    run = run_whatif(rubric=files["rubric"], month=OCT, db=db, out_dir=tmp_path / "w", now=NOW)
    totals = {c.branch_key: (c.active.total, c.variant.total) for c in run.comparison.branches}
    assert totals == {"A": (6.93, 6.93), "B": (9.75, 9.75)}  # 3.33 + 3.60; 5 + 4.75


def test_appeal_apply_rescores_the_month_at_its_stored_cut_off(files, tmp_path) -> None:
    """T2 withdrawn on appeal: A's mean is (1 + 2.0) / 2 days with T3 aged at the cut-off."""
    db = tmp_path / "h.db"
    score(files, tmp_path, CUT_OFF, db)
    file_appeals(db, [AppealRequest(OCT, "A", "tickets", "T2", "customer away")], now=NOW)
    decide_appeals(db, [AppealDecision(OCT, "tickets", "T2", True, "ok", "Li")], now=NOW)
    done = apply_appeals(db, OCT, out_dir=tmp_path / "applied", now=NOW)
    assert [o.row_found for o in done.applied] == [True]
    with HistoryStore(db) as store:
        card = store.load_scorecard(OCT)
    assert card.as_of == CUT_OFF
    # at the month's end T3 would be 13.25 days old: mean 7.125, 1.44 points, overdue 1/2
    assert points(card, "A") == {"overdue": (0.0, 5.0), "mean_days": (pytest.approx(1.5), 4.25)}


def invoke(args: list[str]):
    return runner.invoke(app, args, env={"SVCQA_DB": "", "COLUMNS": "200"})


def test_cli_shows_the_cut_off_in_json_summary_xlsx_and_history_runs(files, tmp_path) -> None:
    """The cut-off is in scorecard.json, the --quiet line, the rules sheet and history runs."""
    out, db = tmp_path / "cli", str(tmp_path / "h.db")
    base = ["score", str(files["oct"]), "-r", str(files["rubric"]), "--out", str(out)]
    result = invoke([*base, "--db", db, "--as-of", "2026-10-20T18:00", "--quiet"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("2026-10 as of 2026-10-20 18:00: 2 branches ranked")
    document = json.loads((out / "scorecard.json").read_text(encoding="utf-8"))
    assert document["as_of"] == "2026-10-20T18:00"
    sheet = openpyxl.load_workbook(out / "scorecard.xlsx")["评分规则"]
    cells = [c for row in sheet.iter_rows(values_only=True) for c in row if c]
    assert "数据截止时刻 (--as-of)" in cells and "2026-10-20 18:00" in cells

    runs = invoke(["history", "runs", "--db", db])
    assert "active (as of 2026-10-20 18:00)" in runs.stdout

    plain = invoke([*base, "--no-history", "--format", "json"])
    assert json.loads(plain.stdout)["as_of"] is None


def test_a_date_alone_is_the_end_of_that_day(files, tmp_path) -> None:
    """--as-of 2026-10-20 is 10-20 24:00: T2 is 5 d 16 h old, T5 (18:30) is kept and open."""
    args = ["score", str(files["oct"]), "-r", str(files["rubric"]), "--no-history"]
    result = invoke([*args, "--out", str(tmp_path / "o"), "--as-of", "2026-10-20", "--format", "json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["as_of"] == "2026-10-21T00:00"
    kpis = {b["branch"]: {k["id"]: k["value"] for k in b["kpis"]} for b in document["branches"]}
    assert kpis["A"]["mean_days"] == pytest.approx((1 + (5 + 16 / 24) + 2.25) / 3, abs=1e-6)
    assert kpis["B"]["mean_days"] == pytest.approx((0.5 + 5.5 / 24) / 2, abs=1e-6)


@pytest.mark.parametrize(
    ("given", "shown"),
    [("2026-11-05", "2026-11-05 24:00"), ("2026-09-30T23:00", "2026-09-30 23:00"), ("2026-09-30", "2026-09-30 24:00")],
)  # fmt: skip
def test_a_cut_off_outside_the_month_is_an_error_naming_both(files, tmp_path, given, shown) -> None:
    """A cut-off before October's first day or after its last: exit 1 naming it and the month."""
    args = ["score", str(files["oct"]), "-r", str(files["rubric"]), "--no-history"]
    result = invoke([*args, "--out", str(tmp_path / "o"), "--as-of", given])
    assert result.exit_code == 1, result.output
    assert f"--as-of {shown} is outside the month scored, 2026-10" in result.output
    assert "Traceback" not in result.output


def test_a_cut_off_that_is_no_date_is_a_usage_error(files, tmp_path) -> None:
    """--as-of 2026-10-20T25:00 is refused at parse time (exit 2) with the form expected."""
    args = ["score", str(files["oct"]), "-r", str(files["rubric"]), "--no-history"]
    result = invoke([*args, "--as-of", "2026-10-20T25:00"])
    assert result.exit_code == 2
    assert "YYYY-MM-DDTHH:MM" in result.output
