"""The command line as a whole: every command explains itself, and the README documents it."""

from __future__ import annotations

import pytest
import typer.main
from typer.testing import CliRunner

from svcqa.cli import app

from conftest import ROOT

runner = CliRunner()


def _commands(group: object, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = []
    for name, command in getattr(group, "commands", {}).items():
        path = (*prefix, name)
        found.append(path)
        found.extend(_commands(command, path))
    return found


COMMANDS = _commands(typer.main.get_command(app))


def test_the_expected_commands_exist() -> None:
    """The CLI offers the documented commands."""
    names = {" ".join(path) for path in COMMANDS}
    assert {
        "check",
        "score",
        "sample",
        "report",
        "history",
        "history runs",
        "rubric list",
        "rubric show",
        "rubric check",
        "rectify",
        "rectify collect",
        "rectify status",
    } <= names


@pytest.mark.parametrize("path", COMMANDS, ids=lambda p: " ".join(p))
def test_every_command_has_help_with_an_example(path: tuple[str, ...]) -> None:
    """`svcqa <command> --help` exits 0 and shows an example invocation."""
    result = runner.invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "svcqa " + path[0] in result.output and "Example" in result.output


@pytest.mark.parametrize("path", COMMANDS, ids=lambda p: " ".join(p))
def test_every_command_is_in_the_readme(path: tuple[str, ...]) -> None:
    """The README shows every command at least once."""
    assert "svcqa " + " ".join(path) in (ROOT / "README.md").read_text(encoding="utf-8")


def test_top_level_help_and_version() -> None:
    """`svcqa --help` describes the tool and `--version` prints the version."""
    assert "svcqa score" in runner.invoke(app, ["--help"]).output
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output.startswith("svcqa 0.")
