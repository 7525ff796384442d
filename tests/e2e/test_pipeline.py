"""The score job end to end on the bundled sample months, through the library and the CLI."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from svcqa.cli import app
from svcqa.history import HistoryStore
from svcqa.jobs.score import run_score
from svcqa.models import Month
from svcqa.render.scorecard import scorecard_document

from conftest import SAMPLE_DATA

NOW = datetime(2026, 11, 3, 9, 0, 0)
MONTHS = ("2026-08", "2026-09", "2026-10")
WEAK_BRANCH = "深圳龙岗（九）营业厅"
runner = CliRunner()


def _score(month: str, tmp_path: Path, **kwargs):
    return run_score(
        [SAMPLE_DATA / f"{month}.xlsx"],
        db=tmp_path / "svcqa.db",
        out_dir=tmp_path / month,
        now=NOW,
        **kwargs,
    )


def test_score_writes_every_output_and_accounts_for_every_row(tmp_path: Path) -> None:
    """One scored month writes the four outputs, and the inputs section adds up per table."""
    run = _score("2026-10", tmp_path, use_history=False)
    for name in (
        "scorecard.xlsx",
        "scorecard.json",
        "scorecard.csv",
        "rejects.xlsx",
        "rejects.csv",
    ):
        assert (tmp_path / "2026-10" / name).is_file(), name
    doc = json.loads((tmp_path / "2026-10" / "scorecard.json").read_text(encoding="utf-8"))
    assert doc["inputs"]["tickets"] == {"rows": 20000, "used": 19989, "excluded": 3, "rejected": 8}
    for stats in doc["inputs"].values():
        assert stats["rows"] == stats["used"] + stats["excluded"] + stats["rejected"]
    ranked = [b for b in doc["branches"] if b["assessed"]]
    assert [b["rank"] for b in ranked] == sorted(b["rank"] for b in ranked)
    assert all(0 <= b["total"] <= 100 for b in doc["branches"])
    assert run.db_path is None and run.run_id is None


def test_three_months_in_order_build_the_last_place_streak(tmp_path: Path) -> None:
    """Scoring 08, 09, 10 in turn makes the weak branch last three months running: contract review."""
    for month in MONTHS:
        run = _score(month, tmp_path)
    weak = next(b for b in run.scorecard.branches if b.branch == WEAK_BRANCH)
    assert weak.last_place_streak == 3
    assert {"last_place", "rectification_required", "contract_review"} <= set(weak.flags)
    assert weak.prev_rank is not None and weak.prev_total is not None
    with HistoryStore(tmp_path / "svcqa.db") as store:
        assert [str(m) for m in store.months()] == list(MONTHS)


def test_scoring_out_of_order_rescores_later_months_to_the_same_result(tmp_path: Path) -> None:
    """Scoring 10 first and then 08 and 09 re-scores 10 from its recorded inputs: same final scorecard."""
    in_order, shuffled = tmp_path / "a", tmp_path / "b"
    for month in MONTHS:
        _score(month, in_order)
    _score("2026-10", shuffled)
    first = _score("2026-08", shuffled)
    assert first.rescored == [Month(2026, 10)]
    _score("2026-09", shuffled)
    with HistoryStore(in_order / "svcqa.db") as a, HistoryStore(shuffled / "svcqa.db") as b:
        doc_a = scorecard_document(a.load_scorecard(Month(2026, 10)))
        doc_b = scorecard_document(b.load_scorecard(Month(2026, 10)))
        assert b.stale_months() == []
    assert doc_a == doc_b


def test_cli_json_is_exactly_the_library_document(tmp_path: Path) -> None:
    """`svcqa score --format json` prints the scorecard document and nothing else on stdout."""
    result = runner.invoke(
        app,
        [
            "score",
            str(SAMPLE_DATA / "2026-10.xlsx"),
            "--no-history",
            "--out",
            str(tmp_path),
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    written = json.loads((tmp_path / "scorecard.json").read_text(encoding="utf-8"))
    assert printed == written
    assert printed["schema"] == "svcqa.scorecard/1" and printed["month_source"] == "inferred"
    assert printed["branches"][0]["kpis"][0]["id"] == "exchange_cycle"


def test_cli_strict_exits_1_after_writing_the_rejects(tmp_path: Path) -> None:
    """`--strict` turns the sample's rejected rows into exit code 1, with the rejects file written."""
    result = runner.invoke(
        app,
        [
            "score",
            str(SAMPLE_DATA / "2026-10.xlsx"),
            "--no-history",
            "--out",
            str(tmp_path),
            "--strict",
        ],
    )
    assert result.exit_code == 1
    assert "10 rejected row(s)" in result.stderr and "--strict" in result.stderr
    assert (tmp_path / "rejects.csv").is_file()


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["score", "missing.xlsx", "--no-history"], 1, "missing.xlsx"),
        (["score", "x.xlsx", "--month", "2026-13"], 2, "YYYY-MM"),
        (["score", "x.xlsx", "--format", "yaml"], 2, "--format"),
    ],
)
def test_cli_errors_have_exit_codes_and_no_traceback(
    args: list[str], code: int, message: str, tmp_path: Path, monkeypatch
) -> None:
    """Bad input exits 1, bad usage exits 2, each with a one-line message and no traceback."""
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, args)
    assert result.exit_code == code, result.output
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_cli_quiet_prints_one_summary_line(tmp_path: Path) -> None:
    """`--quiet` prints one line naming the month, rubric, last place and output folder."""
    result = runner.invoke(
        app,
        ["score", str(SAMPLE_DATA / "2026-10.xlsx"), "--no-history", "--out", str(tmp_path), "-q"],
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(
        "2026-10: 39 branches ranked under gd-mobile-aftersales; last place: " + WEAK_BRANCH
    )


def test_a_long_ranked_table_keeps_its_ends_and_every_flagged_branch(tmp_path: Path) -> None:
    """Past ``--rows``, the table shows the top and bottom halves and each flagged branch between
    them, says how many it left out, and ``--rows 0`` prints every branch."""
    month = str(SAMPLE_DATA / "2026-10.xlsx")
    short = runner.invoke(
        app, ["score", month, "--no-history", "--out", str(tmp_path), "--rows", "6"]
    )
    assert short.exit_code == 0, short.output
    full = runner.invoke(
        app, ["score", month, "--no-history", "--out", str(tmp_path), "--rows", "0"]
    )
    assert full.exit_code == 0, full.output
    card = json.loads((tmp_path / "scorecard.json").read_text(encoding="utf-8"))
    branches = card["branches"]
    assert all(b["branch"] in full.stdout for b in branches)
    flagged = {b["branch"] for b in branches[3:-3] if b["flags"]}
    shown = {b["branch"] for b in branches if b["branch"] in short.stdout}
    assert shown == {b["branch"] for b in branches[:3] + branches[-3:]} | flagged
    assert WEAK_BRANCH in shown
    assert f"{len(branches) - len(shown)} of {len(branches)} branches not shown" in short.stdout
    assert "not shown" not in full.stdout


def test_shown_rows_marks_each_gap_once() -> None:
    from types import SimpleNamespace

    from svcqa.cli.score import shown_rows

    branches = [
        SimpleNamespace(name=i, flags=["needs_rectification"] if i == 5 else []) for i in range(12)
    ]
    shown = shown_rows(branches, 4)
    assert [b.name if b else None for b in shown] == [0, 1, None, 5, None, 10, 11]
    assert shown_rows(branches, 0) == branches == shown_rows(branches, 12)


def test_an_output_error_stores_nothing_although_outputs_and_save_run_together(
    tmp_path: Path,
) -> None:
    """When the outputs cannot be written the month is not stored: the save, run alongside the
    output writing, commits only after the outputs succeed."""
    from svcqa.errors import OutputError

    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the output folder should be", encoding="utf-8")
    with pytest.raises(OutputError):
        run_score(
            [SAMPLE_DATA / "2026-10.xlsx"],
            db=tmp_path / "svcqa.db",
            out_dir=blocked / "out",
            now=NOW,
        )
    with HistoryStore(tmp_path / "svcqa.db") as store:
        assert store.months() == []
    run = _score("2026-10", tmp_path)
    with HistoryStore(tmp_path / "svcqa.db") as store:
        assert store.months() == [Month(2026, 10)] and run.run_id is not None


def test_a_month_without_rows_in_it_is_an_error_naming_the_months_they_are_in(
    tmp_path: Path,
) -> None:
    """--month 2026-11 on the October export exits 1 saying where the tickets are; it writes no
    ranking, stores nothing and issues no rectification."""
    db, out = tmp_path / "svcqa.db", tmp_path / "out"
    args = ["score", str(SAMPLE_DATA / "2026-10.xlsx"), "--month", "2026-11"]
    result = runner.invoke(app, [*args, "--db", str(db), "--out", str(out)])
    assert result.exit_code == 1
    # 20,000 rows: 8 rejected, 19,989 accepted in October and 3 in September (sample_data/README.md).
    assert result.stderr == (
        "svcqa: error: no tickets (工单) row falls in 2026-11: 19,989 fall in 2026-10, "
        "3 in 2026-09 — pass --month 2026-10\n"
    )
    assert not db.exists()
    assert not (out / "scorecard.json").exists()


def test_score_honours_the_limits_set_in_the_environment(tmp_path: Path) -> None:
    """SVCQA_MAX_FILE_BYTES refuses the workbook in `score` as it does in `check`."""
    args = ["score", str(SAMPLE_DATA / "2026-10.xlsx"), "--no-history", "--out", str(tmp_path)]
    result = runner.invoke(app, args, env={"SVCQA_MAX_FILE_BYTES": "1000"})
    assert result.exit_code == 1
    assert "SVCQA_MAX_FILE_BYTES" in result.stderr
    assert not (tmp_path / "scorecard.json").exists()
