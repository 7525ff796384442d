"""Every line the CLI prints on stderr is escaped like the tables' names (issue 19): a file or
branch name carrying ESC sequences or rich markup reaches the terminal as visible text."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from typer.testing import CliRunner

from svcqa.cli import app
from svcqa.cli.app import _show_library_notices
from svcqa.history import HistoryStore
from svcqa.models import Month

from history_fixtures import month_data, save, scorecard

HOSTILE = "\x1b[2J[bold]x"  # clear-screen escape, then rich markup
SHOWN = "\\x1b[2J[bold]x"  # as printed: the escape visible, the markup as written


def test_an_error_naming_a_hostile_file_name_is_escaped(tmp_path: Path) -> None:
    """`svcqa check` on 工单<ESC>[2J[bold]x.csv without a 网点 column: the error shows the name escaped."""
    path = tmp_path / f"工单{HOSTILE}.csv"
    path.write_text("工单号,受理时间\nT1,2026-10-03 10:00\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["check", str(path)])
    assert result.exit_code == 1
    assert "\x1b" not in result.stderr
    assert f"file 工单{SHOWN}.csv: read as the 工单 (tickets) table" in result.stderr
    assert result.stderr.startswith("svcqa: error: ")


def test_an_error_listing_hostile_branch_names_is_escaped(tmp_path: Path) -> None:
    """An unknown branch's error lists the stored names, control characters escaped."""
    path = tmp_path / "h.db"
    july = Month(2026, 7)
    with HistoryStore(path) as store:
        save(store, scorecard(july, {f"天河{HOSTILE}": 1, "越秀": 2}), month_data(july))
    result = CliRunner().invoke(
        app, ["history", "--branch", "天河一", "--db", str(path)], env={"SVCQA_DB": ""}
    )
    assert result.exit_code == 1
    assert "\x1b" not in result.stderr
    assert f"known branches: 天河{SHOWN}, 越秀\n" in result.stderr


def test_library_notices_are_escaped_line_by_line(capsys: pytest.CaptureFixture[str]) -> None:
    """A notice logged by the library keeps its line breaks; each line's controls are escaped."""
    _show_library_notices()
    logging.getLogger("svcqa").info(f"waiting for {HOSTILE}\nsecond\tline\x07")
    assert capsys.readouterr().err == f"svcqa: waiting for {SHOWN}\nsecond\\x09line\\x07\n"
