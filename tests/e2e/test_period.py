"""`svcqa period`: period scorecards from the stored months, checked against `svcqa history`."""

from __future__ import annotations

import json
import shutil
import sqlite3
import tomllib
import unicodedata
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from svcqa.cli import app

import browser
from conftest import ROOT, SAMPLE_DATA, write_workbook

runner = CliRunner()
MONTHS = ("2026-08", "2026-09", "2026-10")
DROPPED = "深圳宝安（一）服务点"  # removed from 2026-09 before scoring: missing that month
PRESET = ROOT / "svcqa" / "rubric" / "presets" / "gd-mobile-aftersales.toml"


def invoke(*args: str):
    return runner.invoke(app, list(args), env={"COLUMNS": "240", "SVCQA_DB": ""})


def half_up(value: Decimal) -> float:
    return float(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def key(name: str) -> str:
    return "".join(unicodedata.normalize("NFKC", name).split())


def without_branch(source: Path, target: Path, name: str) -> Path:
    """``source`` rewritten without any row naming ``name`` (every sheet: tickets, roster ...)."""
    wb = openpyxl.load_workbook(source, read_only=True)
    out = openpyxl.Workbook(write_only=True)
    for ws in wb.worksheets:
        sheet = out.create_sheet(ws.title)
        for row in ws.iter_rows(values_only=True):
            if not any(isinstance(v, str) and key(v) == key(name) for v in row):
                sheet.append(list(row))
    out.save(target)
    wb.close()
    return target


def grades_by_hand(score: float) -> str:
    """The preset's grade bands, read from its TOML text (best first)."""
    bands = tomllib.loads(PRESET.read_text(encoding="utf-8"))["grades"]
    return next(g["name"] for g in bands if score >= g["min"])


def competition_ranks(scores: dict[str, float]) -> dict[str, int]:
    return {b: 1 + sum(other > s for other in scores.values()) for b, s in scores.items()}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The three sample months scored in order into one store; 2026-09 without DROPPED."""
    folder = tmp_path_factory.mktemp("period")
    db = folder / "svcqa.db"
    for month in MONTHS:
        path = folder / f"{month}.xlsx"
        if month == "2026-09":
            without_branch(SAMPLE_DATA / f"{month}.xlsx", path, DROPPED)
        else:
            shutil.copy(SAMPLE_DATA / f"{month}.xlsx", path)
        result = invoke("score", str(path), "--db", str(db), "--out", str(folder / "out" / month))
        assert result.exit_code == 0, result.output
    return db


def history(db: Path) -> list[dict]:
    result = invoke("history", "--months", "0", "--format", "json", "--db", str(db))
    assert result.exit_code == 0, result.output
    return [r for r in json.loads(result.stdout) if r["month"] in MONTHS]


def period(db: Path, out: Path, *extra: str) -> dict:
    result = invoke(
        "period", "--from", MONTHS[0], "--to", MONTHS[-1], "--db", str(db), "--out", str(out),
        "--format", "json", *extra,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def monthly_means(rows: list[dict]) -> dict[str, Decimal]:
    """branch -> the exact mean of its assessed monthly totals (as stored: 2 decimals)."""
    totals: dict[str, list[Decimal]] = {}
    for r in rows:
        if r["assessed"]:
            totals.setdefault(r["branch_key"], []).append(Decimal(str(r["total"])))
    return {k: sum(v, Decimal(0)) / len(v) for k, v in totals.items()}


def test_period_score_is_the_mean_of_the_assessed_months_with_ranks_grades_and_gaps(
    store: Path, tmp_path: Path
) -> None:
    """Each branch's score is the mean of its assessed totals from `history --format json`
    (rounded once, half up); grace and missing months are listed, not zero; ranks and grades as
    computed by hand; the store's bytes are unchanged."""
    before = store.read_bytes()
    rows = history(store)
    document = period(store, tmp_path / "p")
    assert store.read_bytes() == before
    assert (document["from"], document["to"]) == (MONTHS[0], MONTHS[-1])
    assert document["rule"]["survey"] is None and document["rule"]["monthly_weight"] == 1
    means = monthly_means(rows)
    got = {b["branch_key"]: b for b in document["branches"]}
    assert set(got) == {r["branch_key"] for r in rows}
    for branch_key, b in got.items():
        mine = {r["month"]: r for r in rows if r["branch_key"] == branch_key}
        assert b["missing"] == [m for m in MONTHS if m not in mine]
        for entry in b["months"]:
            stored = mine.get(entry["month"])
            if stored is None:
                assert entry == {"month": entry["month"], "total": None, "status": "missing"}
            else:
                assert entry["total"] == stored["total"]
                assert entry["status"] == ("assessed" if stored["assessed"] else "grace")
        expected = half_up(means[branch_key]) if branch_key in means else None
        assert b["score"] == expected
    dropped = got[key(DROPPED)]
    assert dropped["missing"] == ["2026-09"] and "missing_months" in dropped["flags"]
    two = [e["total"] for e in dropped["months"] if e["status"] == "assessed"]
    assert len(two) == 2 and dropped["score"] == half_up(sum(map(Decimal, map(str, two))) / 2)
    scored = {k: b["score"] for k, b in got.items() if b["score"] is not None}
    ranks = competition_ranks(scored)
    for branch_key, b in got.items():
        assert b["rank"] == ranks.get(branch_key)
        assert b["grade"] == (grades_by_hand(b["score"]) if b["score"] is not None else None)
    worst = max(ranks.values())
    assert [k for k, b in got.items() if "last_place" in b["flags"]] == [
        k for k, r in ranks.items() if r == worst
    ]
    unassessed = [b for b in got.values() if b["score"] is None]
    assert unassessed and all("not_assessed" in b["flags"] for b in unassessed)
    runs = invoke("history", "runs", "--format", "json", "--db", str(store))
    versions = {
        r["month"]: f"{r['rubric_id']}@{r['rubric_version']}" for r in json.loads(runs.stdout)
    }
    assert document["rubrics"] == {m: versions[m] for m in MONTHS}
    assert document["notes"] == []  # one rubric throughout, every month stored
    assert (tmp_path / "p" / "period.xlsx").is_file() and (tmp_path / "p" / "period.html").is_file()


def survey_rubric(folder: Path) -> Path:
    text = PRESET.read_text(encoding="utf-8").replace(
        'id = "gd-mobile-aftersales"', 'id = "gd-period"', 1
    )
    text += (
        "\n[period]\nmonthly_weight = 0.6\n"
        'survey = { weight = 0.4, table = "survey", column = "score", scale_max = 100 }\n'
    )
    path = folder / "gd-period.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_survey_blend_is_40_percent_survey_and_60_percent_monthly_mean(
    store: Path, tmp_path: Path
) -> None:
    """With a survey file (a header spelled via --aliases, names with spaces) every score is
    0.4 x survey + 0.6 x monthly mean to the hundredth; a branch without a survey row has no
    score and a survey-missing finding; a row for an unknown branch is reported with its row."""
    rows = history(store)
    means = monthly_means(rows)
    names = {r["branch_key"]: r["branch"] for r in rows}
    ranked = sorted(means)  # branch keys with an assessed month
    surveyed = {k: Decimal(60) + Decimal(i * 37 % 400) / 10 for i, k in enumerate(ranked[1:])}
    sheet = [["客户满意度调查"], ["网点", "调查得分"]]
    sheet += [[" ".join(names[k]), float(v)] for k, v in surveyed.items()]  # spaced-out names
    sheet.append(["不存在的网点", 88])
    survey = write_workbook(tmp_path / "满意度.xlsx", {"客户满意度": sheet})
    aliases = tmp_path / "aliases.toml"
    aliases.write_text('[aliases.survey]\nscore = ["调查得分"]\n', encoding="utf-8")
    rubric = survey_rubric(tmp_path)
    before = store.read_bytes()
    document = period(
        store, tmp_path / "p", "--rubric", str(rubric), "--survey", str(survey),
        "--aliases", str(aliases),
    )  # fmt: skip
    assert store.read_bytes() == before
    got = {b["branch_key"]: b for b in document["branches"]}
    for k, value in surveyed.items():
        expected = half_up(Decimal("0.4") * value + Decimal("0.6") * means[k])
        assert (got[k]["score"], got[k]["survey"]) == (expected, float(value))
    left_out = got[ranked[0]]
    assert left_out["score"] is None and left_out["rank"] is None and left_out["grade"] is None
    assert "no_survey" in left_out["flags"]
    codes = [(f["code"], f["row"]) for f in document["findings"]]
    assert ("survey-unknown-branch", len(sheet)) in codes
    assert any(c == "survey-missing" and names[ranked[0]] in f["message"]
               for f in document["findings"] for c in [f["code"]])  # fmt: skip
    ranks = competition_ranks({k: b["score"] for k, b in got.items() if b["score"] is not None})
    assert {k: b["rank"] for k, b in got.items() if b["rank"] is not None} == ranks
    assert document["rule"]["survey"]["weight"] == 0.4 and document["rule"]["monthly_weight"] == 0.6


def test_survey_rule_without_survey_file_is_a_usage_error(store: Path, tmp_path: Path) -> None:
    """The Unicom preset asks for a survey: without --survey the run stops naming the option."""
    result = invoke(
        "period", "--from", MONTHS[0], "--to", MONTHS[-1], "--db", str(store),
        "--rubric", "unicom-branch-monthly", "--out", str(tmp_path / "p"),
    )  # fmt: skip
    assert result.exit_code == 2
    assert "--survey FILE" in result.stderr and "40%" in result.stderr


def test_mixed_rubrics_and_unstored_months_are_noted(store: Path, tmp_path: Path) -> None:
    """Months scored under different rubrics and months of the range not stored are both noted,
    in the JSON and on stderr for the terminal table."""
    db = tmp_path / "mixed.db"
    shutil.copy(store, db)
    variant = PRESET.read_text(encoding="utf-8").replace(
        'id = "gd-mobile-aftersales"', 'id = "gd-variant"', 1
    )
    (tmp_path / "v.toml").write_text(variant, encoding="utf-8")
    month = tmp_path / "2026-10.xlsx"
    shutil.copy(SAMPLE_DATA / "2026-10.xlsx", month)
    scored = invoke("score", str(month), "--db", str(db), "--rubric", str(tmp_path / "v.toml"),
                    "--out", str(tmp_path / "o"))  # fmt: skip
    assert scored.exit_code == 0, scored.output
    result = invoke("period", "--from", "2026-07", "--to", "2026-10", "--db", str(db),
                    "--out", str(tmp_path / "p"))  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "scored under different rubrics" in result.stderr
    assert "not in the history store: 2026-07" in result.stderr
    document = period(db, tmp_path / "p2")
    assert document["rubrics"]["2026-10"].startswith("gd-variant@")
    assert document["rubrics"]["2026-08"].startswith("gd-mobile-aftersales@")
    assert any("different rubrics" in n for n in document["notes"])


def test_an_older_store_is_refused_by_period_and_whatif_and_left_unchanged(
    store: Path, tmp_path: Path
) -> None:
    """A store at an older schema version is not migrated by the read-only commands: both say
    to run `svcqa history` first, exit 1, and leave its bytes as they were."""
    db = tmp_path / "old.db"
    shutil.copy(store, db)
    with sqlite3.connect(db) as conn:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        conn.execute(f"PRAGMA user_version = {version - 1}")
    conn.close()
    before = db.read_bytes()
    for args in (
        ("period", "--from", MONTHS[0], "--to", MONTHS[-1]),
        ("whatif", "--month", MONTHS[-1], "--rubric", "gd-mobile-aftersales"),
    ):
        result = invoke(*args, "--db", str(db), "--out", str(tmp_path / "o"))
        assert result.exit_code == 1, result.output
        assert "svcqa history" in result.stderr and "older" in result.stderr
        assert db.read_bytes() == before


def test_whatif_passes_aliases_to_ingest_when_rereading_inputs(tmp_path: Path) -> None:
    """A month scored with --aliases (a renamed 工单号 header) is re-read by whatif only with the
    same --aliases; without it the header is not found."""
    month = tmp_path / "2026-10.xlsx"
    wb = openpyxl.load_workbook(SAMPLE_DATA / "2026-10.xlsx")
    ws = wb["工单"]
    cell = next(c for row in ws.iter_rows(max_row=5) for c in row if c.value == "工单号")
    cell.value = "单据流水"
    wb.save(month)
    aliases = tmp_path / "aliases.toml"
    aliases.write_text('[aliases.tickets]\nticket_id = ["单据流水"]\n', encoding="utf-8")
    db = tmp_path / "svcqa.db"
    scored = invoke("score", str(month), "--db", str(db), "--aliases", str(aliases),
                    "--out", str(tmp_path / "o"))  # fmt: skip
    assert scored.exit_code == 0, scored.output
    args = ("whatif", "--month", "2026-10", "--rubric", "gd-mobile-aftersales", "--db", str(db),
            "--out", str(tmp_path / "w"), "--format", "json")  # fmt: skip
    without = invoke(*args)
    assert without.exit_code == 1 and "工单号" in without.stderr
    with_aliases = invoke(*args, "--aliases", str(aliases))
    assert with_aliases.exit_code == 0, with_aliases.output
    totals = {b["branch"]: (b["active"]["total"], b["variant"]["total"])
              for b in json.loads(with_aliases.stdout)["branches"]}  # fmt: skip
    assert totals and all(a == v for a, v in totals.values())


@pytest.mark.browser
def test_period_html_renders_cjk_in_headless_chromium(store: Path, tmp_path: Path) -> None:
    """period.html parses without console messages, shows every branch and score, and draws."""
    browser.require_browser()
    document = period(store, tmp_path / "p")
    page = tmp_path / "p" / "period.html"
    run = browser.dump_dom(page)
    assert run.console == []
    assert "周期考核" in run.stdout and 'id="period"' in run.stdout
    for b in document["branches"]:
        assert b["branch"] in run.stdout
        if b["score"] is not None:
            assert f"{b['score']:.2f}" in run.stdout
    png = tmp_path / "period.png"
    shot = browser.screenshot(page, png)
    assert shot.returncode == 0 and browser.non_white_fraction(png) > 0.02
