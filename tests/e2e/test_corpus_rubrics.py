"""Exports from other systems (../shared/corpus) scored as a new user would: a rubric written from
docs/rubric.md (sample_data/rubrics/), `check --rubric`, three months scored into a store, the
reports written, and every KPI value, points and total recomputed independently with pandas."""

from __future__ import annotations

import json
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from svcqa.cli import app

from conftest import CORPUS, ROOT, requires_corpus

runner = CliRunner()
RUBRICS = ROOT / "sample_data" / "rubrics"
HELPDESK = CORPUS / "cs_helpdesk_sla"
COMPLAINTS = CORPUS / "cs_complaints_bhakti" / "Consumer_Complaints.xlsx"


def r2(value: float) -> float:
    """Half up to 2 decimals, as docs/rubric.md's Rounding and totals says."""
    return float(Decimal(repr(round(float(value), 9))).quantize(Decimal("0.01"), ROUND_HALF_UP))


def clip01(value: float) -> float:
    return min(max(value, 0.0), 1.0)


def bands(value: float, limits: list[tuple[float, float]], higher: bool) -> float:
    for limit, points in limits:
        if (value >= limit) if higher else (value <= limit):
            return points
    return 0.0


def grade(total: float) -> str:
    return "Good" if total >= 80 else "Fair" if total >= 60 else "Poor"


def _run_months(export: Path, rubric: Path, months: list[str], tmp_path: Path) -> dict[str, dict]:
    """check --rubric, then score each month into one store and write its reports."""
    db = tmp_path / "store.db"
    check = runner.invoke(
        app, ["check", str(export), "--rubric", str(rubric), "--month", months[0],
              "--out", str(tmp_path / "check")]
    )  # fmt: skip
    assert check.exit_code == 0, check.output
    assert "headers not used" in check.stdout
    cards = {}
    for month in months:
        out = tmp_path / month
        score = runner.invoke(
            app, ["score", str(export), "--rubric", str(rubric), "--month", month,
                  "--db", str(db), "--out", str(out)]
        )  # fmt: skip
        assert score.exit_code == 0, score.output
        assert "warning" not in score.stderr, score.stderr
        report = runner.invoke(
            app, ["report", "--all", "--month", month, "--db", str(db),
                  "--out", str(out / "reports"), "--lang", "en"]
        )  # fmt: skip
        assert report.exit_code == 0, report.output
        assert (out / "reports" / "index.html").is_file()
        cards[month] = json.loads((out / "scorecard.json").read_text(encoding="utf-8"))
    return cards


def _compare(card: dict, expected: dict[str, dict[str, tuple[float | None, float]]]) -> None:
    """Every branch, KPI value and points, total and grade as computed in the test."""
    got = {b["branch"]: b for b in card["branches"]}
    assert sorted(got) == sorted(expected)
    for branch, kpis in expected.items():
        result = {k["id"]: k for k in got[branch]["kpis"]}
        for kpi_id, (value, points) in kpis.items():
            if value is None:
                assert result[kpi_id]["no_data"], (branch, kpi_id)
            else:
                assert result[kpi_id]["value"] == pytest.approx(value, abs=1e-9), (branch, kpi_id)
            assert result[kpi_id]["points"] == points, (branch, kpi_id)
        total = r2(sum(points for _, points in kpis.values()))
        assert got[branch]["total"] == total, branch
        assert got[branch]["grade"] == grade(total), branch


# ------------------------------------------------------------------------ the IT helpdesk


def _helpdesk_frame(path: Path) -> pd.DataFrame:
    """The helpdesk export read with pandas alone (the CSV's dates are US m/d/yy h:mm)."""
    if path.suffix == ".csv":
        raw = pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)
        created = pd.to_datetime(raw["Date Created"], format="%m/%d/%y %H:%M")
        updated = pd.to_datetime(raw["Last Updated"], format="%m/%d/%y %H:%M", errors="coerce")
    else:
        raw = pd.read_excel(path, sheet_name="Helpdesk_Tickets", engine="openpyxl", dtype=object)
        created = pd.to_datetime(raw["Date Created"])
        updated = pd.to_datetime(raw["Last Updated"], errors="coerce")
    return pd.DataFrame(
        {
            "id": raw["Ticket Number"].astype(str).str.strip(),
            "team": raw["Team Assigned"].astype(str).str.strip(),
            "created": created,
            "updated": updated,
            "priority": raw["Priority"].astype(str).str.strip(),
            "status": raw["Current Status"].astype(str).str.strip(),
            "overdue": raw["Overdue"].astype(str).str.strip().map({"1": True, "0": False}),
            "answered": raw["Answered"].astype(str).str.strip().map({"1": True, "0": False}),
        }
    )


def _helpdesk_expected(frame: pd.DataFrame, month: str) -> dict[str, dict]:
    frame = frame[~frame["id"].duplicated()]  # a repeated ticket number: the first row is kept
    start = pd.Timestamp(f"{month}-01")
    end = start + pd.offsets.MonthBegin(1)
    rows = frame[(frame["created"] >= start) & (frame["created"] < end)]
    limits = {"Emergency": 4, "High": 24, "Normal": 72}
    out = {}
    for team, g in rows.groupby("team"):
        overdue = g["overdue"].mean()
        answered = g["answered"].mean()
        done = g[g["status"].isin(["Closed", "Resolved"])]
        hours = (done["updated"].fillna(end) - done["created"]) / pd.Timedelta(hours=1)
        over = (hours > done["priority"].map(limits).fillna(120)).mean() if len(done) else None
        backlog = g["status"].eq("Open").mean()
        out[team] = {
            "overdue": (overdue, r2((1 - clip01(overdue)) * 30)),
            "answered": (answered, r2(bands(answered, [(1.0, 20), (0.9, 15), (0.75, 8)], True))),
            "resolution_sla": (over, 30.0 if over is None else r2((1 - clip01(over)) * 30)),
            "backlog": (backlog, r2(clip01((0.5 - backlog) / 0.5) * 20)),
        }
    return out


@requires_corpus
@pytest.mark.parametrize("name", ["Helpdesk_Report.xlsx", "helpdesk_tickets.csv"])
def test_helpdesk_three_months_match_pandas(name: str, tmp_path: Path) -> None:
    """The helpdesk workbook (data sheet beside pivots) and its CSV twin (US dates, duplicate
    ticket numbers): January to March 2021 per team, as pandas computes them."""
    export = HELPDESK / name
    months = ["2021-01", "2021-02", "2021-03"]
    cards = _run_months(export, RUBRICS / "helpdesk-sla.toml", months, tmp_path)
    frame = _helpdesk_frame(export)
    for month in months:
        _compare(cards[month], _helpdesk_expected(frame, month))
    assert cards["2021-03"]["inputs"]["tickets"]["used"] == 31


# ------------------------------------------------------------------------ consumer complaints


def _complaints_expected(frame: pd.DataFrame, month: str) -> dict[str, dict]:
    start = pd.Timestamp(f"{month}-01")
    rows = frame[
        (frame["Date received"] >= start)
        & (frame["Date received"] < start + pd.offsets.MonthBegin(1))
    ]
    out = {}
    for product, g in rows.groupby("Product"):
        timely = g["Timely response?"].dropna().eq("Yes")
        rate = timely.mean() if len(timely) else None
        relief = (
            g["Company response to consumer"]
            .isin(["Closed with monetary relief", "Closed with non-monetary relief"])
            .mean()
        )
        days = ((g["Date received"] - g["Date submitted"]) / pd.Timedelta(days=1)).dropna()
        mean_days = days.mean()
        slow = (days > 3).mean()
        out[product] = {
            "timely": (
                rate,
                40.0 if rate is None else r2(clip01((0.8 - rate) / (0.8 - 0.98)) * 40),
            ),
            "relief": (relief, r2(clip01(relief) * 20)),
            "forwarding_days": (
                mean_days,
                r2(bands(mean_days, [(0.5, 20), (2, 12), (5, 5)], False)),
            ),
            "slow_forwarding": (slow, r2((1 - clip01(slow)) * 20)),
        }
    return out


@requires_corpus
def test_consumer_complaints_three_months_match_pandas(tmp_path: Path) -> None:
    """62,516 complaints read as the complaints table, per product, April to June 2023 (June has
    complaints in progress with a blank timely flag), as pandas computes them."""
    months = ["2023-04", "2023-05", "2023-06"]
    cards = _run_months(COMPLAINTS, RUBRICS / "consumer-complaints.toml", months, tmp_path)
    frame = pd.read_excel(COMPLAINTS, engine="calamine")
    assert len(frame) == 62_516
    for month in months:
        _compare(cards[month], _complaints_expected(frame, month))
        start = pd.Timestamp(f"{month}-01")
        in_month = frame["Date received"].between(start, start + pd.offsets.MonthEnd(0))
        stats = cards[month]["inputs"]["complaints"]
        assert (stats["rows"], stats["used"], stats["rejected"]) == (62_516, int(in_month.sum()), 0)
    assert np.isclose(sum(1 for _ in cards["2023-06"]["branches"]), 8)
