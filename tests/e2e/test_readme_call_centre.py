"""The README's call-centre rubric runs as printed and scores what pandas computes independently."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
CSV = ROOT / "sample_data" / "call-centre" / "2026-10.csv"


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.DOTALL)


def _expected_totals() -> dict[str, float]:
    """Per agent: answered share x 40, linear speed (full 20 s, zero 60 s) x 30, rating x 30 / 5."""
    calls = pd.read_csv(CSV)
    out = {}
    for agent, rows in calls.groupby("agent"):
        answered = rows["answered"].eq("Y")
        rate = answered.mean()
        speed = rows.loc[answered, "speed_of_answer"].dropna().mean()
        rating = rows["rating"].dropna().mean()
        speed_points = min(max((60 - speed) / (60 - 20), 0.0), 1.0) * 30
        kpi = [
            round(rate * 40 + 1e-9, 2),
            round(speed_points + 1e-9, 2),
            round(rating * 6 + 1e-9, 2),
        ]
        out[str(agent)] = round(sum(kpi), 2)
    return out


def test_readme_call_centre_rubric_runs_as_printed(tmp_path: Path) -> None:
    """Extract the call-centre TOML and commands from README.md, run them, check totals and grades."""
    toml = next(b for b in _blocks("toml") if 'id = "call-centre"' in b)
    commands = next(b for b in _blocks("sh") if "call-centre.toml" in b).strip().splitlines()
    assert len(commands) == 2 and all(c.startswith("svcqa ") for c in commands)
    (tmp_path / "call-centre.toml").write_text(toml, encoding="utf-8")
    (tmp_path / "sample_data" / "call-centre").mkdir(parents=True)
    shutil.copy(CSV, tmp_path / "sample_data" / "call-centre" / "2026-10.csv")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for command in commands:
        argv = [sys.executable, "-m", "svcqa.cli", *shlex.split(command)[1:]]
        run = subprocess.run(argv, cwd=tmp_path, env=env, capture_output=True, text=True)
        assert run.returncode == 0, (command, run.stdout, run.stderr)
    card = json.loads((tmp_path / "call-centre-out" / "scorecard.json").read_text(encoding="utf-8"))
    totals = {b["branch"]: b["total"] for b in card["branches"]}
    assert totals == pytest.approx(_expected_totals(), abs=1e-9)
    assert totals["Dana"] == pytest.approx(92.29) and totals["Bob"] == pytest.approx(53.57)
    grades = {b["branch"]: b["grade"] for b in card["branches"]}
    assert grades == {"Dana": "Good", "Alice": "Good", "Chen": "Good", "Bob": "Poor"}
    assert card["inputs"]["calls"]["rows"] == 30 == len(pd.read_csv(CSV))
    assert card["notes"] == []
