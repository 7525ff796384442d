"""The public API: every name in ``svcqa.__all__`` resolves, and importing svcqa is free."""

from __future__ import annotations

import subprocess
import sys

import pytest

import svcqa


@pytest.mark.parametrize("name", svcqa.__all__)
def test_every_public_name_resolves(name: str) -> None:
    """Each name the CLI and library users import from ``svcqa`` exists where the table says."""
    assert getattr(svcqa, name) is not None


def test_an_unknown_name_is_an_attribute_error() -> None:
    """A typo fails as any missing attribute does, naming it."""
    with pytest.raises(AttributeError, match="no attribute 'run_scroe'"):
        svcqa.run_scroe  # noqa: B018 - the lookup is the test


def test_importing_svcqa_and_the_cli_loads_no_pandas() -> None:
    """``import svcqa``, the command line and what ``svcqa score`` takes before it reads load no
    pandas: the workbook's reader child forks before the heavy imports (names load on first use)."""
    code = (
        "import sys, svcqa, svcqa.cli; from svcqa import Month, run_score; "
        "from svcqa.settings import Settings; Settings.from_env(); print('pandas' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
