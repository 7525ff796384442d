"""`svcqa rectify`, `rectify collect` and `rectify status` through the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from svcqa.cli import app

import rectify_fixtures as fx
from conftest import SAMPLE_DATA

runner = CliRunner()


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    """The three sample months scored into one store, as `make demo` does."""
    folder = tmp_path_factory.mktemp("store")
    db = folder / "svcqa.db"
    for month in ("2026-08", "2026-09", "2026-10"):
        result = runner.invoke(
            app,
            [
                "score",
                str(SAMPLE_DATA / f"{month}.xlsx"),
                "--db",
                str(db),
                "--out",
                str(folder / month),
                "-q",
            ],
        )
        assert result.exit_code == 0, result.output
    return db


def test_rectify_writes_the_required_forms_and_says_which_and_why(store, tmp_path):
    """`svcqa rectify` writes xlsx, html and docx for the last-place and the failing branch of the latest month."""
    result = runner.invoke(app, ["rectify", "--db", str(store), "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "2026-10: 2 rectification form(s)" in result.output
    assert f"{fx.WEAK}: 末位、等级“不合格”、协议清算评估" in result.output
    assert "江门新会（十八）授权服务店: 等级“不合格”" in result.output
    assert (
        len(list(tmp_path.glob("*-rectify.xlsx"))) == 2
        and len(list(tmp_path.glob("*-rectify.docx"))) == 2
    )


def test_rectify_one_branch_in_one_format(store, tmp_path):
    """--branch matches loosely (half-width brackets) and --format html writes only the HTML form."""
    result = runner.invoke(
        app,
        [
            "rectify",
            "--db",
            str(store),
            "--branch",
            "深圳龙岗(九)营业厅",
            "--month",
            "2026-09",
            "--format",
            "html",
            "--out",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 0, result.output
    assert [p.suffix for p in tmp_path.iterdir()] == [".html"]
    assert "2026-09: 1 rectification form(s)" in result.output


def test_rectify_in_english(store, tmp_path):
    """--lang en labels the form in English, sections and reasons included."""
    result = runner.invoke(
        app,
        [
            "rectify",
            "--db",
            str(store),
            "--branch",
            fx.WEAK,
            "--format",
            "html",
            "--lang",
            "en",
            "--out",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 0, result.output
    assert f"{fx.WEAK}: last place, graded Fail, contract review" in result.output
    html = next(tmp_path.glob("*.html")).read_text(encoding="utf-8")
    assert "<h2>4. Measures and plan</h2>" in html and "Signed (branch manager): " in html


def test_rectify_usage_errors_exit_2(store):
    """--branch with --all-required, or an unknown format, is a usage error (exit 2) with no traceback."""
    both = runner.invoke(
        app, ["rectify", "--db", str(store), "--branch", fx.WEAK, "--all-required"]
    )
    assert both.exit_code == 2 and "give either --branch NAME or --all-required" in both.output
    bad = runner.invoke(app, ["rectify", "--db", str(store), "--format", "pdf"])
    assert bad.exit_code == 2 and "--format takes xlsx, html and/or docx" in bad.output


def test_collect_and_status_round_trip(store, tmp_path):
    """A filled form is recorded (exit 0), a bad one exits 1 naming its cell, and status shows the return."""
    issued = runner.invoke(
        app,
        [
            "rectify",
            "--db",
            str(store),
            "--branch",
            fx.WEAK,
            "--format",
            "xlsx",
            "--out",
            str(tmp_path),
        ],
    )
    assert issued.exit_code == 0, issued.output
    form = next(tmp_path.glob("*-rectify.xlsx"))
    good = fx.fill(form, tmp_path / "good.xlsx")
    owner = fx.plan_rows(form)[0]["owner"]
    bad = fx.fill(form, tmp_path / "bad.xlsx", overrides={owner: None})
    result = runner.invoke(app, ["rectify", "collect", str(bad), "--db", str(store)])
    assert result.exit_code == 1
    assert f"cell {owner}: 责任人 (owner) is empty in section 4, row 1" in result.output
    result = runner.invoke(
        app, ["rectify", "collect", str(good), "--db", str(store), "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert (
        document["problems"] == []
        and document["recorded"][0]["month"] == "2026-10"
        and document["recorded"][0]["measures"] == 10
    )
    status = runner.invoke(
        app, ["rectify", "status", "--month", "2026-10", "--db", str(store), "--format", "json"]
    )
    assert status.exit_code == 0, status.output
    records = {r["branch"]: r for r in json.loads(status.stdout)}
    assert records[fx.WEAK]["returned"] and records[fx.WEAK]["measures"] == 10
    table = runner.invoke(app, ["rectify", "status", "--db", str(store)])
    assert table.exit_code == 0 and fx.WEAK in table.output


def test_collect_applies_the_input_limits_from_the_environment(store, tmp_path, monkeypatch):
    """`rectify collect` bounds returned files by $SVCQA_MAX_... as `score` bounds exports."""
    import hostile_files as hf

    issued = runner.invoke(
        app,
        [
            "rectify",
            "--db",
            str(store),
            "--branch",
            fx.WEAK,
            "--format",
            "xlsx",
            "--out",
            str(tmp_path),
        ],
    )
    assert issued.exit_code == 0, issued.output
    padded = hf.with_extra_members(
        next(tmp_path.glob("*-rectify.xlsx")), tmp_path / "padded.xlsx", 50
    )
    monkeypatch.setenv("SVCQA_MAX_ZIP_MEMBERS", "40")
    result = runner.invoke(
        app, ["rectify", "collect", str(padded), "--db", str(store), "--format", "json"]
    )
    assert result.exit_code == 1
    problems = json.loads(result.stdout)["problems"]
    assert [p["code"] for p in problems] == ["unsafe-file"]
    assert "max_zip_members = 40" in problems[0]["message"]
