"""The third export from another system (../shared/corpus/kpi_apollo_wps/Book.xlsx, a WPS-saved
Chinese KPI / bug-tracking workbook) scored as a new user would: `rubric init`, then the rubric
sample_data/rubrics/kpi-bug-tracker.toml written from docs/rubric.md (two tables of one's own read
from the Bugs and Jobs sheets, the platform 平台 as the branch), `check --rubric`, every month the
workbook holds scored into one store, the reports written, and every KPI value, points, total,
grade and row count recomputed here with pandas."""

from __future__ import annotations

import json
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from svcqa.cli import app

from conftest import CORPUS, ROOT, requires_corpus

runner = CliRunner()
BOOK = CORPUS / "kpi_apollo_wps" / "Book.xlsx"
RUBRIC = ROOT / "sample_data" / "rubrics" / "kpi-bug-tracker.toml"


def r2(value: float) -> float:
    """Half up to 2 decimals, as docs/rubric.md's Rounding and totals says."""
    return float(Decimal(repr(round(float(value), 9))).quantize(Decimal("0.01"), ROUND_HALF_UP))


def _sheet(name: str) -> pd.DataFrame:
    """One sheet of the workbook read with pandas (openpyxl), rows dated by 日期."""
    frame = pd.read_excel(BOOK, sheet_name=name, engine="openpyxl", dtype={"BugId": str})
    frame["日期"] = pd.to_datetime(frame["日期"])
    frame["平台"] = frame["平台"].astype(str).str.strip()
    return frame


def _expected(month: str) -> dict[str, dict[str, tuple[float | None, float]]]:
    """Per platform: (value, points) of each KPI, following the rubric's comments."""
    start = pd.Timestamp(f"{month}-01")
    end = start + pd.offsets.MonthBegin(1)
    bugs, jobs = _sheet("Bugs"), _sheet("Jobs")
    bugs = bugs[(bugs["日期"] >= start) & (bugs["日期"] < end)]
    jobs = jobs[(jobs["日期"] >= start) & (jobs["日期"] < end)]
    out = {}
    for platform in sorted({*bugs["平台"], *jobs["平台"]}):
        b = bugs[bugs["平台"] == platform]
        hours = b["投入时长"].dropna()
        mean = hours.mean() if len(hours) else None
        open_share = b["状态"].eq("解决中").mean() if len(b) else None
        job_hours = float(jobs.loc[jobs["平台"] == platform, "投入时长"].sum())
        out[platform] = {
            "bug_count": (float(len(b)), r2(max(20 - 2 * len(b), 0))),
            "hours_per_bug": (
                mean,
                30.0 if mean is None else r2(min(max((4 - mean) / 3, 0), 1) * 30),
            ),
            "open_share": (open_share, 30.0 if open_share is None else r2((1 - open_share) * 30)),
            "job_hours": (job_hours, 20.0 if job_hours >= 8 else 10.0 if job_hours >= 4 else 0.0),
        }
    return out


@requires_corpus
def test_rubric_init_reads_the_bugs_sheet(tmp_path: Path) -> None:
    """`rubric init` on the workbook starts from its Bugs sheet, with 平台 guessed as the branch."""
    out = tmp_path / "starter.toml"
    result = runner.invoke(app, ["rubric", "init", str(BOOK), "--out", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert "sheet 'Bugs'" in text and 'branch = ["平台"]' in text
    assert runner.invoke(app, ["rubric", "check", str(out)]).exit_code == 0


@requires_corpus
def test_bug_tracker_workbook_matches_pandas(tmp_path: Path) -> None:
    """March 2020, the only month the workbook holds, per platform as pandas computes it; the
    months either side are refused naming the month the rows fall in."""
    check = runner.invoke(
        app, ["check", str(BOOK), "--rubric", str(RUBRIC), "--month", "2020-03",
              "--out", str(tmp_path / "check")]
    )  # fmt: skip
    assert check.exit_code == 0, check.output
    assert "sheet 'Bugs'" in check.stdout and "sheet 'Jobs'" in check.stdout
    db = tmp_path / "store.db"
    for month in ("2020-02", "2020-04"):
        empty = runner.invoke(
            app, ["score", str(BOOK), "--rubric", str(RUBRIC), "--month", month,
                  "--db", str(db), "--out", str(tmp_path / month)]
        )  # fmt: skip
        assert empty.exit_code == 1 and "pass --month 2020-03" in empty.output
    out = tmp_path / "2020-03"
    score = runner.invoke(
        app, ["score", str(BOOK), "--rubric", str(RUBRIC), "--month", "2020-03",
              "--db", str(db), "--out", str(out)]
    )  # fmt: skip
    assert score.exit_code == 0, score.output
    assert "warning" not in score.stderr, score.stderr
    report = runner.invoke(
        app, ["report", "--all", "--month", "2020-03", "--db", str(db), "--out", str(out / "r")]
    )
    assert report.exit_code == 0, report.output
    assert (out / "r" / "index.html").is_file()
    card = json.loads((out / "scorecard.json").read_text(encoding="utf-8"))

    bugs, jobs = _sheet("Bugs"), _sheet("Jobs")
    assert card["inputs"]["bugs"] == {"rows": len(bugs), "used": len(bugs), "excluded": 0,
                                      "rejected": 0}  # fmt: skip
    assert card["inputs"]["jobs"] == {"rows": len(jobs), "used": len(jobs), "excluded": 0,
                                      "rejected": 0}  # fmt: skip
    expected = _expected("2020-03")
    got = {b["branch"]: b for b in card["branches"]}
    assert sorted(got) == sorted(expected) == ["6125Q", "660P", "710Q"]
    for platform, kpis in expected.items():
        result = {k["id"]: k for k in got[platform]["kpis"]}
        for kpi_id, (value, points) in kpis.items():
            if value is None:
                assert result[kpi_id]["no_data"], (platform, kpi_id)
            else:
                assert result[kpi_id]["value"] == pytest.approx(value, abs=1e-9), (platform, kpi_id)
            assert result[kpi_id]["points"] == points, (platform, kpi_id)
        total = r2(sum(points for _, points in kpis.values()))
        assert got[platform]["total"] == total, platform
        grade = "良好" if total >= 80 else "一般" if total >= 60 else "较差"
        assert got[platform]["grade"] == grade, platform
