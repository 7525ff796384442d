"""Re-scoring a later month says which rubric it is re-scored under: the one stored with it."""

from __future__ import annotations

import hashlib
from pathlib import Path

from typer.testing import CliRunner

from svcqa.cli import app

runner = CliRunner()

RUBRIC = """
id = "{rubric_id}"
name = "Calls"
max = 10

[[grades]]
name = "ok"
min = 0
coefficient = 1.0

[aliases.tickets]
ticket_id = ["call_id"]
branch = ["agent"]
accepted_at = ["call_time"]

[columns.tickets.answered]
type = "flag"

[[kpis]]
id = "answer_rate"
label = "Answer rate"
points = 10
metric = {{ kind = "flag_rate", table = "tickets", column = "answered" }}
curve = {{ kind = "linear", full = {full}, zero = 0.5 }}
"""


def _month_csv(tmp_path: Path, month: str) -> Path:
    path = tmp_path / f"{month}.csv"
    lines = ["call_id,agent,call_time,answered"]
    lines += [f"C{i},{'AB'[i % 2]},{month}-{1 + i:02d} 09:00,{'YN'[i % 3 == 0]}" for i in range(12)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_rescored_month_names_its_stored_rubric_on_stderr(tmp_path: Path) -> None:
    """October scored under rubric A, then September under B: October is re-scored under A@hash."""
    rubric_a = RUBRIC.format(rubric_id="calls", full=0.9)
    rubric_b = RUBRIC.format(rubric_id="calls-edited", full=0.8)
    (tmp_path / "a.toml").write_text(rubric_a, encoding="utf-8")
    (tmp_path / "b.toml").write_text(rubric_b, encoding="utf-8")
    db = str(tmp_path / "h.db")
    for month, rubric in (("2026-10", "a.toml"), ("2026-09", "b.toml")):
        args = ["score", str(_month_csv(tmp_path, month)), "-r", str(tmp_path / rubric)]
        args += ["--db", db, "--out", str(tmp_path / month), "--month", month]
        result = runner.invoke(app, args, env={"SVCQA_DB": "", "COLUMNS": "200"})
        assert result.exit_code == 0, result.output
    version_a = hashlib.sha256(rubric_a.encode("utf-8")).hexdigest()[:8]
    assert (
        f"svcqa: re-scored 2026-10 because it depends on 2026-09, under its stored rubric "
        f"calls@{version_a}\n"
    ) in result.stderr
