"""Tests of the history store: round trips, re-scoring, quarter and window rules, atomicity,
concurrency, schema versions. Scorecards and MonthData are built by hand (no ingest or scoring).
"""

from __future__ import annotations

import multiprocessing
import sqlite3
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from svcqa.errors import HistoryError, NotFound
from svcqa.history import HistoryStore, resolve_db_path
from svcqa.history.migrations import MIGRATIONS, latest_version
from svcqa.models import (
    EVIDENCE_COLUMNS,
    Month,
    Scorecard,
)

from history_fixtures import (
    AUG,
    JUL,
    NOW,
    OCT,
    RUBRIC_SHA,
    RUBRIC_SOURCE,
    SEP,
    assert_scorecards_equal,
    month_data,
    open_store,
    save,
    scorecard,
    table_rows,
    three_months,
    tickets,
)


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    """load_scorecard returns a Scorecard equal to the saved one, evidence and period counts included."""
    card = scorecard(SEP, {"天河网点": 1, "越秀网点": 2, "海珠网点": None}, evidence_rows=25)
    with open_store(tmp_path / "h.db") as store:
        run_id = save(store, card)
        assert run_id == 1
        assert store.months() == [SEP]
        back = store.load_scorecard(SEP)
    assert_scorecards_equal(back, card)
    assert back.branches[1].kpis[1].curve == {
        "kind": "linear",
        "full": 0.05,
        "zero": 0.1,
        "bands": [[0.05, 10], [0.1, 0]],
    }
    assert back.branches[2].rank is None and back.branches[2].assessed is False


def test_round_trip_keeps_odd_dtypes(tmp_path: Path) -> None:
    """Evidence with object, nullable-int, datetime and missing columns comes back with the same dtypes and values."""
    card = scorecard(SEP, {"天河网点": 1, "越秀网点": 2}, evidence_rows=4)
    card.evidence = card.evidence.assign(
        value=pd.Series([1, "2.5天", None, np.int64(7)], dtype=object),
        row=pd.array([3, None, 5, 6], dtype="Int64"),
        date=pd.to_datetime(
            [
                "2026-09-01 10:00:00.123456",
                None,
                "2026-09-03 00:00:00.000000",
                "2026-09-04 08:00:00.5",
            ],
            format="ISO8601",
        ),
    )
    card.period_counts = None
    with open_store(tmp_path / "h.db") as store:
        save(store, card)
        back = store.load_scorecard(SEP)
    expected = card.evidence.assign(value=pd.Series([1, "2.5天", None, 7], dtype=object))
    pd.testing.assert_frame_equal(back.evidence, expected)
    assert back.period_counts is None


def test_run_info_and_runs_keep_the_audit_trail(tmp_path: Path) -> None:
    """run_info returns the rubric's TOML text and hash, input files, row counts, time and tool version."""
    with open_store(tmp_path / "h.db") as store:
        save(store, scorecard(SEP, {"天河网点": 1, "越秀网点": 2}))
        info = store.run_info(SEP)
        with pytest.raises(NotFound, match="2026-08 is not in history store"):
            store.run_info(AUG)
    assert info["rubric_source"] == RUBRIC_SOURCE
    assert info["rubric_sha256"] == RUBRIC_SHA
    assert info["inputs"] == [
        {"path": "/data/2026-09.xlsx", "name": "2026-09.xlsx", "size": 2048, "sha256": "cd" * 32}
    ]
    assert info["stats"] == {"tickets": {"rows": 2, "used": 1, "excluded": 0, "rejected": 1}}
    assert (info["created_at"], info["tool_version"], info["month_source"], info["status"]) == (
        "2026-11-02T08:30:00",
        "0.1.0",
        "option",
        "active",
    )
    assert (info["ticket_count"], info["evidence_count"], info["branch_count"]) == (1, 3, 2)


def test_resave_is_idempotent_and_supersedes(tmp_path: Path) -> None:
    """Saving the same month twice gives the same rows (but run ids and times) and leaves the first run superseded."""
    path = tmp_path / "h.db"
    card = scorecard(SEP, {"天河网点": 1, "越秀网点": 2})
    with open_store(path) as store:
        first = save(store, card)
        rows_before = table_rows(path, "2026-09")
        second = save(store, card, now=NOW + timedelta(hours=1))
        rows_after = table_rows(path, "2026-09")
        runs = store.runs()
        assert_scorecards_equal(store.load_scorecard(SEP), card)
    assert rows_after == rows_before
    assert [(r["run_id"], r["status"], r["superseded_at"]) for r in runs] == [
        (second, "active", None),
        (first, "superseded", "2026-11-02T09:30:00"),
    ]
    conn = sqlite3.connect(path)
    counts = {
        t: conn.execute(f"SELECT count(*) FROM {t} WHERE run_id = ?", (first,)).fetchone()[0]
        for t in ("branch_results", "kpi_results", "evidence_blobs", "ticket_chunks")
    }
    conn.close()
    assert counts == {
        "branch_results": 2,
        "kpi_results": 4,
        "evidence_blobs": 0,
        "ticket_chunks": 0,
    }


def test_save_order_does_not_change_derived_rows(tmp_path: Path) -> None:
    """Months saved in order and out of order give identical trends, contexts and names; only staleness differs."""
    months = three_months()
    results = {}
    for name, order in (("in_order", [JUL, AUG, SEP]), ("shuffled", [SEP, JUL, AUG])):
        with open_store(tmp_path / f"{name}.db") as store:
            for month in order:
                save(store, *months[month])
            ctx = store.context(OCT, qtd_kpis=["rework_rate"])
            results[name] = (
                store.trend(),
                store.trend(branch_key="天河网点"),
                ctx,
                store.branch_names(),
                store.months(),
                store.stale_months(),
            )
    (
        (trend_a, branch_a, ctx_a, names_a, months_a, stale_a),
        (trend_b, branch_b, ctx_b, names_b, months_b, stale_b),
    ) = results["in_order"], results["shuffled"]
    pd.testing.assert_frame_equal(trend_a, trend_b)
    pd.testing.assert_frame_equal(branch_a, branch_b)
    pd.testing.assert_frame_equal(ctx_a.previous, ctx_b.previous)
    pd.testing.assert_frame_equal(ctx_a.device_tickets, ctx_b.device_tickets)
    assert (
        ctx_a.first_seen == ctx_b.first_seen == {"天河网点": JUL, "越秀网点": JUL, "海珠网点": AUG}
    )
    assert names_a == names_b and months_a == months_b == [JUL, AUG, SEP]
    assert stale_a == [] and stale_b == [SEP]
    streaks = ctx_a.previous.set_index(["month", "branch_key"])["last_place_streak"].to_dict()
    assert streaks[("2026-07", "天河网点")] == 1 and streaks[("2026-08", "天河网点")] == 2
    assert streaks[("2026-09", "天河网点")] == 0 and streaks[("2026-09", "越秀网点")] == 1
    assert streaks[("2026-08", "海珠网点")] == 0
    assert list(ctx_a.previous["month"][:3]) == ["2026-09"] * 3 and list(
        ctx_a.previous["rank"][:3]
    ) == [1, 2, 3]


def test_resaving_an_earlier_month_marks_later_ones_stale(tmp_path: Path) -> None:
    """Re-saving July makes August and September stale until they are saved again, oldest first."""
    months = three_months()
    with open_store(tmp_path / "h.db") as store:
        for month in (JUL, AUG, SEP):
            save(store, *months[month])
        assert store.stale_months() == []
        save(store, *months[JUL])
        assert store.stale_months() == [AUG, SEP]
        save(store, *months[AUG])
        assert store.stale_months() == [SEP]
        save(store, *months[SEP])
        assert store.stale_months() == []


def test_last_place_streak_needs_consecutive_months_and_counts_ties(tmp_path: Path) -> None:
    """A missing month breaks a last-place streak, and branches tied for last are all last."""
    with open_store(tmp_path / "h.db") as store:
        for month, ranks in (
            (Month(2026, 3), {"天河网点": 2, "越秀网点": 1}),
            (Month(2026, 5), {"天河网点": 2, "越秀网点": 1}),
            (Month(2026, 6), {"天河网点": 2, "越秀网点": 2, "海珠网点": 1}),
        ):
            save(store, scorecard(month, ranks), month_data(month))
        previous = store.context(Month(2026, 7)).previous
    got = {
        (m, k): (last, streak)
        for m, k, last, streak in previous[
            ["month", "branch_key", "last_place", "last_place_streak"]
        ].itertuples(index=False)
    }
    assert got[("2026-03", "天河网点")] == (True, 1)
    assert got[("2026-05", "天河网点")] == (True, 1)  # April missing: the streak restarts
    assert got[("2026-06", "天河网点")] == (True, 2)
    assert got[("2026-06", "越秀网点")] == (True, 1)
    assert got[("2026-06", "海珠网点")] == (False, 0)


def test_quarter_to_date_uses_only_the_same_quarter(tmp_path: Path) -> None:
    """Context for 2026-10 ignores Jul-Sep; context for 2026-09 adds up Jul and Aug only."""
    months = three_months()
    with open_store(tmp_path / "h.db") as store:
        for month in (JUL, AUG, SEP):
            save(store, *months[month])
        october = store.context(OCT, qtd_kpis=["rework_rate"])
        september = store.context(SEP, qtd_kpis=["rework_rate", "complaint_rate"])
    assert october.months_in_quarter == []
    assert october.flag_rates["rework_rate"].empty
    assert list(october.flag_rates["rework_rate"].columns) == [
        "month",
        "branch_key",
        "numerator",
        "basis",
    ]
    assert september.months_in_quarter == [JUL, AUG]
    rates = september.flag_rates["rework_rate"]
    assert list(rates.itertuples(index=False, name=None)) == [
        ("2026-07", "天河网点", 5.0, 100.0),
        ("2026-07", "越秀网点", 6.0, 101.0),
        ("2026-08", "天河网点", 5.0, 100.0),
        ("2026-08", "越秀网点", 6.0, 101.0),
        ("2026-08", "海珠网点", 7.0, 102.0),
    ]
    assert september.flag_rates["complaint_rate"].empty
    assert set(september.previous["month"]) == {"2026-07", "2026-08"}


def test_device_tickets_window_is_exactly_90_days(tmp_path: Path) -> None:
    """Only tickets completed in [month start - 90 days, month start) come back, with their month."""
    start = OCT.start  # 2026-10-01; 90 days earlier is 2026-07-03 00:00
    edge = start - pd.Timedelta(days=90)
    second = pd.Timedelta(seconds=1)
    july = tickets(JUL, [edge - second, edge, edge + pd.Timedelta(hours=5)], prefix="J")
    september = tickets(SEP, [start - second, None], prefix="S", branch="越秀网点")
    october = tickets(OCT, [start, start + pd.Timedelta(days=2)], prefix="O")
    no_device = tickets(SEP, [start - pd.Timedelta(days=1)], prefix="N").assign(device_id=[None])
    with open_store(tmp_path / "h.db") as store:
        save(store, scorecard(JUL, {"天河网点": 1}), month_data(JUL, july))
        save(
            store,
            scorecard(SEP, {"越秀网点": 1}),
            month_data(SEP, pd.concat([september, no_device], ignore_index=True)),
        )
        save(store, scorecard(OCT, {"天河网点": 1}), month_data(OCT, october))
        found = store.context(OCT).device_tickets
        assert (
            store.runs(SEP)[0]["ticket_count"] == 2
        )  # the open ticket is kept, the one without a device id is not
    assert list(found.columns) == ["device_id", "ticket_id", "completed_at", "month"]
    assert found["completed_at"].dtype == "datetime64[ns]"
    assert list(found.itertuples(index=False, name=None)) == [
        ("860000000000001", "J00001", edge, "2026-07"),
        ("860000000000002", "J00002", edge + pd.Timedelta(hours=5), "2026-07"),
        ("860000000000000", "S00000", start - second, "2026-09"),
    ]


def test_failure_inside_save_leaves_previous_state(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An exception raised midway through a save rolls everything back: the old run stays active and intact."""
    path = tmp_path / "h.db"
    months = three_months()
    with open_store(path) as store:
        save(store, *months[SEP])
        before_rows = table_rows(path, "2026-09")
        before_tickets = store.context(OCT).device_tickets

        def explode(self: HistoryStore, *args: object) -> None:
            raise RuntimeError("disk on fire")

        monkeypatch.setattr(HistoryStore, "_insert_evidence", explode)
        changed = scorecard(SEP, {"天河网点": 3, "越秀网点": 1, "海珠网点": 2}, shift=-20)
        with pytest.raises(RuntimeError, match="disk on fire"):
            save(store, changed, now=NOW + timedelta(days=1))
        assert [(r["run_id"], r["status"]) for r in store.runs()] == [(1, "active")]
        assert table_rows(path, "2026-09") == before_rows
        assert_scorecards_equal(store.load_scorecard(SEP), months[SEP][0])
        pd.testing.assert_frame_equal(store.context(OCT).device_tickets, before_tickets)
        monkeypatch.undo()
        assert save(store, changed) == 2  # even the failed attempt's run id was rolled back
        assert store.load_scorecard(SEP).branches[0].rank == 3


CRASH_SCRIPT = """
import os, sys
sys.path.insert(0, {helpers!r})
import history_fixtures as h
from svcqa.history import HistoryStore

def crash(self, *args):
    os._exit(7)  # the process dies mid-transaction: no rollback, no cleanup

HistoryStore._insert_tickets = crash
store = HistoryStore(h.Path({path!r}))
h.save(store, h.scorecard(h.SEP, {{"天河网点": 9, "越秀网点": 1}}))
"""


def test_process_killed_mid_save_leaves_previous_state(tmp_path: Path) -> None:
    """A process that dies inside the save transaction leaves the store exactly as before it started."""
    path = tmp_path / "h.db"
    card = scorecard(SEP, {"天河网点": 1, "越秀网点": 2})
    with open_store(path) as store:
        save(store, card)
    script = CRASH_SCRIPT.format(
        helpers=str(Path(__file__).resolve().parents[1] / "helpers"), path=str(path)
    )
    result = subprocess.run(
        [sys.executable, "-c", script], check=False, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 7, result.stderr
    with open_store(path) as store:
        assert [r["status"] for r in store.runs()] == ["active"]
        assert_scorecards_equal(store.load_scorecard(SEP), card)
        assert len(store.context(OCT).device_tickets) == 1
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    conn.close()


def _concurrent_writer(path: str, months: list[int], rounds: int, start: Any) -> None:
    start.wait(60)  # both processes begin together
    with HistoryStore(Path(path), lock_timeout=60) as store:
        for i in range(rounds):
            for m in months:
                month = Month(2026, m)
                done = [month.start + pd.Timedelta(minutes=k) for k in range(2000)]
                save(
                    store,
                    scorecard(month, {"天河网点": 1 + i % 2, "越秀网点": 2 - i % 2}),
                    month_data(month, tickets(month, done)),
                )


def test_concurrent_processes_do_not_corrupt_the_store(tmp_path: Path) -> None:
    """Two processes saving into one store at once both succeed and leave one consistent active run per month."""
    path = tmp_path / "h.db"
    context = multiprocessing.get_context("spawn")
    start = context.Event()
    workers = [
        context.Process(target=_concurrent_writer, args=(str(path), months, 4, start))
        for months in ([7, 8], [8, 9])
    ]
    for worker in workers:
        worker.start()
    start.set()
    for worker in workers:
        worker.join(180)
    assert [w.exitcode for w in workers] == [0, 0]
    with open_store(path) as store:
        runs = store.runs()
        assert len(runs) == 16
        assert sorted(r["month"] for r in runs if r["status"] == "active") == [
            "2026-07",
            "2026-08",
            "2026-09",
        ]
        # July's tickets complete on 1-2 July, before the 90-day window of October: August and September count.
        assert sorted(store.context(OCT).device_tickets.groupby("month").size().items()) == [
            ("2026-08", 2000),
            ("2026-09", 2000),
        ]
        for month in (JUL, AUG, SEP):
            assert len(store.load_scorecard(month).branches) == 2
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    conn.close()


def test_lock_timeout_gives_a_clear_message(tmp_path: Path) -> None:
    """When another connection holds the write lock past lock_timeout, save raises HistoryError saying what to do."""
    path = tmp_path / "h.db"
    with open_store(path) as store:
        save(store, scorecard(SEP, {"天河网点": 1}))
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with open_store(path, lock_timeout=0.3) as store:
            began = time.monotonic()
            with pytest.raises(HistoryError) as caught:
                save(store, scorecard(SEP, {"天河网点": 1}))
            waited = time.monotonic() - began
            assert [r["status"] for r in store.runs()] == [
                "active"
            ]  # reads still work while locked
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert str(caught.value) == (
        f"history store {path} is busy (another svcqa run holds the lock for more than 0.3 s); try again or raise --lock-timeout"
    )
    assert 0.25 <= waited < 10


def test_newer_schema_is_refused_and_left_untouched(tmp_path: Path) -> None:
    """A store whose user_version is above what this code knows raises HistoryError and keeps its bytes."""
    path = tmp_path / "h.db"
    with open_store(path) as store:
        save(store, scorecard(SEP, {"天河网点": 1}))
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {latest_version() + 1}")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    with pytest.raises(
        HistoryError,
        match=f"schema version {latest_version() + 1}, but this svcqa only knows up to version {latest_version()}",
    ):
        open_store(path)
    assert path.read_bytes() == before
    assert not path.with_name("h.db-wal").exists() or path.with_name("h.db-wal").stat().st_size == 0


def test_new_store_is_migrated_to_the_latest_version(tmp_path: Path) -> None:
    """Opening a new file runs every migration in order and records the version; reopening changes nothing."""
    path = tmp_path / "sub" / "h.db"
    with open_store(path):
        pass
    conn = sqlite3.connect(path)
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    tables = {
        name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
    }
    conn.close()
    assert version == latest_version() == len(MIGRATIONS) >= 1
    assert sorted(MIGRATIONS) == list(range(1, latest_version() + 1))
    assert {
        "runs",
        "rubrics",
        "branch_results",
        "kpi_results",
        "period_counts",
        "evidence_blobs",
        "ticket_chunks",
    } <= tables
    with open_store(path) as store:
        assert store.months() == []


def test_new_store_uses_64k_pages_and_an_older_store_keeps_its_own(tmp_path: Path) -> None:
    """New stores get 64 KiB pages (ticket blobs read twice as fast); a store created with the
    default 4 KiB pages keeps them and still saves and reads its tickets."""
    new = tmp_path / "new.db"
    with open_store(new):
        pass
    old = tmp_path / "old.db"
    conn = sqlite3.connect(old)
    conn.execute("CREATE TABLE t (x)")  # the file now has its page size: SQLite's default 4 KiB
    conn.execute("DROP TABLE t")
    conn.close()
    months = three_months()
    with open_store(old) as store:
        save(store, *months[SEP])
        assert len(store.context(OCT).device_tickets) == 3  # the open ticket has no completion
    sizes = {}
    for path in (new, old):
        conn = sqlite3.connect(path)
        sizes[path.name] = conn.execute("PRAGMA page_size").fetchone()[0]
        conn.close()
    assert sizes == {"new.db": 65536, "old.db": 4096}


def test_missing_store_and_non_database_are_clear_errors(tmp_path: Path) -> None:
    """create=False refuses a missing file with NotFound, and a file that is not SQLite gives HistoryError."""
    with pytest.raises(NotFound, match="no history store at"):
        open_store(tmp_path / "absent.db", create=False)
    assert not (tmp_path / "absent.db").exists()
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is a spreadsheet, honestly" * 100)
    with pytest.raises(HistoryError, match="not an svcqa history store"):
        open_store(junk)
    assert junk.read_bytes() == b"this is a spreadsheet, honestly" * 100


def test_resolve_db_path_prefers_the_given_path_then_the_working_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A given path wins over ./svcqa.db; the library never reads $SVCQA_DB (the CLI does, see
    tests/cli/test_history_cli.py)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SVCQA_DB", "/srv/qa/history.db")
    assert resolve_db_path(None) == tmp_path / "svcqa.db"
    assert resolve_db_path("mine.db") == Path("mine.db")


def test_trend_frames(tmp_path: Path) -> None:
    """trend() lists branch results per month, limited to the last N months; a branch trend adds a total row."""
    months = three_months()
    with open_store(tmp_path / "h.db") as store:
        for month in (JUL, AUG, SEP):
            save(store, *months[month])
        overall = store.trend(months=2)
        branch = store.trend(branch_key="海珠网点")
    assert list(overall.columns) == [
        "month",
        "branch_key",
        "branch",
        "total",
        "rank",
        "grade",
        "coefficient",
        "assessed",
        "flags",
        "rubric_version",
    ]
    assert set(overall["rubric_version"]) == {"abababab"}  # the fixture rubric's sha256[:8]
    assert sorted(set(overall["month"])) == ["2026-08", "2026-09"]
    september = overall[overall["month"] == "2026-09"].set_index("branch_key")
    assert september.loc["越秀网点", "rank"] == 3 and september.loc["越秀网点", "total"] == 74.0
    assert september.loc["越秀网点", "flags"] == ["last_place", "rectification_required"]
    assert list(branch.columns) == [
        "month",
        "kpi_id",
        "label",
        "points",
        "max",
        "value",
        "rubric_version",
    ]
    assert list(branch.itertuples(index=False, name=None))[:2] == [
        ("2026-08", "exchange_cycle", "换机平均服务周期", 11.5, 12.0, 3.7, "abababab"),
        ("2026-08", "rework_rate", "维修质量(返修率)", 7.5, 10.0, 0.07, "abababab"),
    ]
    total = branch.iloc[2]
    assert (total["kpi_id"], total["label"], total["points"], total["max"]) == (
        "total",
        "总分",
        103.0,
        100.0,
    )
    assert np.isnan(total["value"])
    assert list(branch["month"]) == ["2026-08"] * 3 + ["2026-09"] * 3


def test_a_new_migration_upgrades_an_existing_store_atomically(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Registering the next migration upgrades an existing store on open, keeping its data; a failing one changes nothing."""
    from svcqa.history import migrations

    path = tmp_path / "h.db"
    with open_store(path) as store:
        save(store, scorecard(SEP, {"天河网点": 1}))
    monkeypatch.setattr(migrations, "MIGRATIONS", dict(MIGRATIONS))
    current = len(MIGRATIONS)

    @migrations.migration(current + 1)
    def add_forms(conn: sqlite3.Connection) -> None:
        migrations.execute_all(
            conn,
            "CREATE TABLE forms (run_id INTEGER, branch_key TEXT);\nCREATE INDEX forms_by_run ON forms(run_id);",
        )
        raise RuntimeError("half-way through the upgrade")

    with pytest.raises(RuntimeError, match="half-way"):
        open_store(path)
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone() == (current,)
    assert conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'forms'").fetchone() == (
        0,
    )
    conn.close()

    migrations.MIGRATIONS[current + 1] = lambda conn: migrations.execute_all(
        conn, "CREATE TABLE forms (run_id INTEGER, branch_key TEXT);"
    )
    with open_store(path) as store:
        assert store.months() == [SEP]
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone() == (current + 1,)
    assert conn.execute("SELECT count(*) FROM forms").fetchone() == (0,)
    conn.close()


def test_context_of_an_empty_store_is_empty_but_typed(tmp_path: Path) -> None:
    """A store with no months gives empty frames with the documented columns and no first-seen months."""
    with open_store(tmp_path / "h.db") as store:
        ctx = store.context(OCT, qtd_kpis=["rework_rate"])
    assert list(ctx.previous.columns) == [
        "month",
        "branch_key",
        "total",
        "rank",
        "assessed",
        "last_place",
        "last_place_streak",
    ]
    assert ctx.previous.empty and ctx.device_tickets.empty and ctx.flag_rates["rework_rate"].empty
    assert list(ctx.device_tickets.columns) == ["device_id", "ticket_id", "completed_at", "month"]
    assert (ctx.first_seen, ctx.months_in_quarter) == ({}, [])


def odd_evidence(month: Month) -> Scorecard:
    """A scorecard whose evidence mixes types in ``value``, has nullable ints, datetimes and a missing cell."""
    card = scorecard(month, {"天河网点": 1, "越秀网点": 2}, evidence_rows=4)
    card.evidence = card.evidence.assign(
        ref=pd.Series(["T1", None, "T3", "T4"], dtype=object),
        value=pd.Series([1, "2.5天", None, np.int64(7)], dtype=object),
        row=pd.array([3, None, 5, 6], dtype="Int64"),
        date=pd.to_datetime(
            ["2026-09-01 10:00:00.123456", None, "2026-09-03", "2026-09-04 08:00:00.5"],
            format="ISO8601",
        ),
    )
    return card


def test_version_2_store_upgrades_evidence_rows_to_blobs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A version-2 store's evidence rows become one blob per active run that loads the same frame; a failed upgrade keeps version 2."""
    from svcqa.history import codecs, migrations
    from svcqa.history.migrations import m003_evidence_blobs

    path = tmp_path / "h.db"
    cards = {
        AUG: scorecard(AUG, {"天河网点": 1, "越秀网点": 2}, evidence_rows=25),
        SEP: odd_evidence(SEP),
    }

    def insert_rows(self: HistoryStore, run_id: int, count: int, blob: bytes) -> None:
        """Evidence as version 2 saved it: one SQL row per evidence row."""
        month = Month.parse(
            self._conn.execute("SELECT month FROM runs WHERE id = ?", (run_id,)).fetchone()[0]
        )
        _dtypes, columns = codecs.encode_frame(cards[month].evidence, EVIDENCE_COLUMNS)
        self._conn.executemany(
            f"INSERT INTO evidence (run_id, seq, {', '.join(EVIDENCE_COLUMNS)}) VALUES (?, ?, {', '.join('?' * len(EVIDENCE_COLUMNS))})",
            zip([run_id] * count, range(count), *columns),
        )
        self._conn.execute("UPDATE runs SET evidence_count = ? WHERE id = ?", (count, run_id))

    def supersede(self: HistoryStore, run_id: int, now: datetime) -> None:
        """Superseding as version 2 did it: the run's evidence rows go."""
        self._conn.execute(
            "UPDATE runs SET status = 'superseded', superseded_at = ? WHERE id = ?",
            (now.isoformat(), run_id),
        )
        self._conn.execute("DELETE FROM ticket_chunks WHERE run_id = ?", (run_id,))
        self._conn.execute("DELETE FROM evidence WHERE run_id = ?", (run_id,))

    with monkeypatch.context() as patch:
        patch.setattr(migrations, "MIGRATIONS", {v: f for v, f in MIGRATIONS.items() if v <= 2})
        patch.setattr(HistoryStore, "_insert_evidence", insert_rows)
        patch.setattr(HistoryStore, "_supersede", supersede)
        with open_store(path) as store:
            save(store, cards[AUG])
            save(
                store, cards[AUG], now=NOW + timedelta(hours=1)
            )  # run 1 superseded, its rows dropped
            save(store, cards[SEP])

    def version_2_rows() -> tuple[tuple[int], list[tuple[int, int]], list[str]]:
        conn = sqlite3.connect(path)
        try:
            return (
                conn.execute("PRAGMA user_version").fetchone(),
                conn.execute("SELECT run_id, count(*) FROM evidence GROUP BY run_id").fetchall(),
                [
                    name
                    for (name,) in conn.execute(
                        "SELECT name FROM sqlite_master WHERE name LIKE 'evidence%' ORDER BY name"
                    )
                ],
            )
        finally:
            conn.close()

    def explode(frame: pd.DataFrame) -> None:
        raise RuntimeError("disk on fire")

    assert version_2_rows() == ((2,), [(2, 25), (3, 4)], ["evidence", "evidence_by_branch"])
    with monkeypatch.context() as patch:
        patch.setattr(m003_evidence_blobs, "encode_evidence", explode)
        with pytest.raises(RuntimeError, match="disk on fire"):
            open_store(path)
    assert version_2_rows() == ((2,), [(2, 25), (3, 4)], ["evidence", "evidence_by_branch"])

    with open_store(path) as store:
        august, september = store.load_scorecard(AUG), store.load_scorecard(SEP)
    assert_scorecards_equal(august, cards[AUG])
    expected = cards[SEP].evidence.assign(value=pd.Series([1, "2.5天", None, 7], dtype=object))
    pd.testing.assert_frame_equal(september.evidence, expected)
    assert [type(v) for v in september.evidence["value"]] == [int, str, type(None), int]
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone() == (latest_version(),)
    assert conn.execute("SELECT run_id, rows FROM evidence_blobs ORDER BY run_id").fetchall() == [
        (2, 25),
        (3, 4),
    ]
    assert conn.execute(
        "SELECT count(*) FROM sqlite_master WHERE name IN ('evidence', 'evidence_by_branch')"
    ).fetchone() == (0,)
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    conn.close()


def test_migrations_import_nothing_of_the_live_store() -> None:
    """Every migration module is self-contained: it imports no svcqa module outside the migrations package (not the store, codecs or queries)."""
    import ast

    from svcqa.history import migrations

    folder = Path(migrations.__file__).parent
    modules = sorted(folder.glob("*.py"))
    assert {p.stem for p in modules} >= {
        "m001_initial_schema",
        "m002_rectification_forms",
        "m003_evidence_blobs",
    }
    reached: dict[str, list[str]] = {}
    for path in modules:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                assert node.level == 0, f"{path.name}: relative import"
                names = [node.module or ""]
            else:
                continue
            reached.setdefault(path.stem, []).extend(
                n
                for n in names
                if n.split(".")[0] == "svcqa" and not n.startswith("svcqa.history.migrations")
            )
    assert {stem: names for stem, names in reached.items() if names} == {}
    for banned in ("store", "codecs", "queries"):
        assert all(f"svcqa.history.{banned}" not in n for names in reached.values() for n in names)


def test_public_transactions_commit_roll_back_and_read_a_snapshot(tmp_path: Path) -> None:
    """store.writing() commits when its block ends and rolls back when it raises; store.reading() reads what was committed."""
    with open_store(tmp_path / "h.db") as store:
        with store.writing() as conn:
            conn.execute("CREATE TABLE notes (text TEXT)")
            conn.execute("INSERT INTO notes VALUES ('kept')")
        with pytest.raises(RuntimeError, match="changed my mind"):
            with store.writing() as conn:
                conn.execute("INSERT INTO notes VALUES ('dropped')")
                raise RuntimeError("changed my mind")
        with store.reading() as conn:
            assert conn.execute("SELECT text FROM notes").fetchall() == [("kept",)]
        with pytest.raises(HistoryError, match="cannot write to history store"):
            with store.writing() as conn:
                conn.execute("INSERT INTO no_such_table VALUES (1)")
        with store.writing() as conn:  # the failed transaction left nothing open
            conn.execute("INSERT INTO notes VALUES ('again')")
        assert store.months() == []


def test_superseded_run_loses_its_evidence_blob(tmp_path: Path) -> None:
    """Re-saving a month deletes the superseded run's evidence blob and loads only the new run's evidence."""
    path = tmp_path / "h.db"
    with open_store(path) as store:
        first = save(store, scorecard(SEP, {"天河网点": 1, "越秀网点": 2}, evidence_rows=25))
        second = save(
            store,
            scorecard(SEP, {"天河网点": 2, "越秀网点": 1}, evidence_rows=4),
            now=NOW + timedelta(hours=1),
        )
        loaded = store.load_scorecard(SEP).evidence
        counts = {r["run_id"]: r["evidence_count"] for r in store.runs()}
    conn = sqlite3.connect(path)
    blobs = conn.execute("SELECT run_id, rows FROM evidence_blobs").fetchall()
    conn.close()
    assert blobs == [(second, 4)]
    assert counts == {first: 25, second: 4}
    assert list(loaded["ref"]) == ["T0000", "T0001", "T0002", "T0003"]


def test_evidence_blob_keeps_every_dtype() -> None:
    """encode_evidence/decode_evidence restore text, nullable, tz-aware, categorical, boolean and mixed columns (missing as None)."""
    from svcqa.history.codecs import decode_evidence, encode_evidence

    frame = pd.DataFrame(
        {
            "branch_key": pd.Series(["天河网点", None, "越秀网点", "天河网点"], dtype=object),
            "kpi_id": pd.Series(["a", "b", None, "a"], dtype="str"),
            "kind": pd.Series([True, None, False, True], dtype="boolean"),
            "ref": pd.Series([True, 3.5, b"\x00", pd.NA], dtype=object),
            "date": pd.to_datetime(
                ["2026-09-01 10:00", None, "2026-09-03 00:00", "2026-09-04 00:00"]
            ).tz_localize("Asia/Shanghai"),
            "value": [np.nan, -0.0, np.inf, 2.5],
            "category": pd.Categorical(["w", "e", None, "w"]),
            "detail": pd.Series([None] * 4, dtype=object),
            "sheet": [True, False, True, False],
            "row": pd.array([1, None, 2**62 + 1, 5], dtype="Int64"),
        }
    )  # no "file" column: it comes back all missing, as an object column
    dtypes, blob = encode_evidence(frame)
    back = decode_evidence(blob, dtypes)
    expected = frame.assign(
        ref=pd.Series([True, 3.5, b"\x00", None], dtype=object),
        file=pd.Series([None] * 4, dtype=object),
    )
    pd.testing.assert_frame_equal(back, expected[EVIDENCE_COLUMNS])
    assert [type(v) for v in back["ref"]] == [bool, float, bytes, type(None)]
    assert back.loc[2, "row"] == 2**62 + 1
    assert str(back["value"][1]) == "-0.0"
    empty_dtypes, empty_blob = encode_evidence(pd.DataFrame(columns=EVIDENCE_COLUMNS))
    assert decode_evidence(empty_blob, empty_dtypes).shape == (0, len(EVIDENCE_COLUMNS))
