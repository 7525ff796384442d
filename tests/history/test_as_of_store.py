"""The run's cut-off (``--as-of``) in the store: migration 5 on a version-4 store, saved and read back."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest

from svcqa.history import migrations
from svcqa.history.migrations import MIGRATIONS, latest_version
from svcqa.models import Month, as_of_text, parse_as_of

from history_fixtures import open_store, save, scorecard

OCT = Month(2026, 10)


def test_version_4_store_gains_the_as_of_column_with_earlier_runs_null(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A store written at version 4 upgrades to 5: its run keeps as_of NULL, a new one stores it."""
    path = tmp_path / "v4.db"
    with monkeypatch.context() as patch:
        patch.setattr(migrations, "MIGRATIONS", {v: f for v, f in MIGRATIONS.items() if v <= 4})
        with open_store(path) as store:
            save(store, scorecard(OCT, {"天河网点": 1, "越秀网点": 2}))
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone() == (4,)
    assert "as_of" not in {row[1] for row in conn.execute("PRAGMA table_info(runs)")}
    conn.close()

    with open_store(path) as store:
        assert store.load_scorecard(OCT).as_of is None
        assert [r["as_of"] for r in store.runs(OCT)] == [None]
        cut = replace(scorecard(OCT, {"天河网点": 1}), as_of=datetime(2026, 10, 20, 18, 0))
        save(store, cut, now=datetime(2026, 11, 3, 9, 0))
        assert store.load_scorecard(OCT).as_of == datetime(2026, 10, 20, 18, 0)
        assert store.run_info(OCT)["as_of"] == "2026-10-20T18:00:00"
        assert [r["as_of"] for r in store.runs(OCT)] == ["2026-10-20T18:00:00", None]
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone() == (latest_version(),) == (5,)
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    conn.close()


@pytest.mark.parametrize(
    ("text", "expected", "shown"),
    [
        ("2026-10-20T18:00", datetime(2026, 10, 20, 18, 0), "2026-10-20 18:00"),
        ("2026-10-20 18:00", datetime(2026, 10, 20, 18, 0), "2026-10-20 18:00"),
        ("2026-10-20", datetime(2026, 10, 21, 0, 0), "2026-10-20 24:00"),
        ("2026-10-31", datetime(2026, 11, 1, 0, 0), "2026-10-31 24:00"),
        ("2026-12-31", datetime(2027, 1, 1, 0, 0), "2026-12-31 24:00"),
    ],
)
def test_a_cut_off_is_a_minute_or_the_end_of_a_day(
    text: str, expected: datetime, shown: str
) -> None:
    """parse_as_of: a minute as given, a date alone the midnight after it, shown as 24:00."""
    assert parse_as_of(text) == expected
    assert as_of_text(expected) == shown


@pytest.mark.parametrize(
    "text", ["2026-10", "20261020", "2026-02-30", "2026-10-20T18", "10/20/2026"]
)
def test_a_cut_off_of_another_form_is_refused_with_the_form_expected(text: str) -> None:
    """parse_as_of refuses anything but YYYY-MM-DD[THH:MM], naming the form."""
    with pytest.raises(ValueError, match="YYYY-MM-DDTHH:MM"):
        parse_as_of(text)
