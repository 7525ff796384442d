"""What the README promises works as printed: the rubric walkthrough and the cron line."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from svcqa.cli import app

from conftest import ROOT, SAMPLE_DATA

runner = CliRunner()
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_copying_a_preset_and_changing_a_weight_and_threshold_changes_the_scores(
    tmp_path: Path,
) -> None:
    """The README's rubric walkthrough: show --format toml, edit, check, score, see the effect."""
    shown = runner.invoke(app, ["rubric", "show", "gd-mobile-aftersales", "--format", "toml"])
    assert shown.exit_code == 0
    text = shown.stdout
    text = text.replace('id = "gd-mobile-aftersales"', 'id = "my-rubric"', 1)
    # exchange_cycle: 12 -> 17 points and full marks up to 2.5 days; complaint_rate: 30 -> 25 points.
    text, n1 = re.subn(r'(id = "exchange_cycle"(?:\n(?!\[\[).*)*?\npoints = )12', r"\g<1>17", text)
    text, n2 = re.subn(
        r"curve = \{ kind = \"linear\", full = 3, zero = 7 \}",
        'curve = { kind = "linear", full = 2.5, zero = 7 }',
        text,
    )
    text, n3 = re.subn(r'(id = "complaint_rate"(?:\n(?!\[\[).*)*?\npoints = )30', r"\g<1>25", text)
    assert (n1, n2, n3) == (1, 1, 1)
    rubric_file = tmp_path / "my-rubric.toml"
    rubric_file.write_text(text, encoding="utf-8")
    assert runner.invoke(app, ["rubric", "check", str(rubric_file)]).exit_code == 0

    def exchange_kpi(rubric: str) -> dict:
        result = runner.invoke(
            app,
            [
                "score",
                str(SAMPLE_DATA / "2026-10.xlsx"),
                "--rubric",
                rubric,
                "--no-history",
                "--out",
                str(tmp_path / rubric.replace("/", "_")),
                "--format",
                "json",
            ],
        )
        assert result.exit_code == 0, result.output
        branch = json.loads(result.stdout)["branches"][0]
        return {k["id"]: k for k in branch["kpis"]}

    before, after = exchange_kpi("gd-mobile-aftersales"), exchange_kpi(str(rubric_file))
    assert before["exchange_cycle"]["max"] == 12 and after["exchange_cycle"]["max"] == 17
    assert after["complaint_rate"]["max"] == 25
    value = after["exchange_cycle"]["value"]
    expected = 17.0 if value <= 2.5 else max(0.0, (7 - value) / (7 - 2.5) * 17)
    assert after["exchange_cycle"]["points"] == round(expected, 2)


def test_the_readme_cron_line_runs_as_printed(tmp_path: Path) -> None:
    """The crontab command, run by /bin/sh in a copy of the folder it names, writes what the README says."""
    line = next(text for text in README.splitlines() if text.startswith("30 6 3 * * "))
    command = line.removeprefix("30 6 3 * * ").replace("\\%", "%")  # cron unescapes % itself
    home = tmp_path / "srv"
    (home / "exports").mkdir(parents=True)
    (home / ".venv").symlink_to(Path(sys.executable).parent.parent)
    # The run of 3 November 2026: a `date` first on PATH answers `date -d '-1 month' ...` as GNU
    # date would on that day, so "last month" is 2026-10 whatever day the test runs.
    shim = tmp_path / "bin" / "date"
    shim.parent.mkdir()
    real_date = shutil.which("date")
    shim.write_text(
        f'#!/bin/sh\nif [ "$1" = -d ]; then when="2026-11-03 $2"; shift 2; exec {real_date} -d "$when" "$@"; fi\n'
        f'exec {real_date} "$@"\n'
    )
    shim.chmod(0o755)
    shutil.copy(SAMPLE_DATA / "2026-10.xlsx", home / "exports" / "2026-10.xlsx")
    command = command.replace("/srv/svcqa", str(home))
    env = {
        **os.environ,
        "PATH": f"{shim.parent}:{os.environ['PATH']}",
        "SVCQA_NOW": "2026-11-03T06:30:00",
    }
    done = subprocess.run(
        ["/bin/sh", "-c", command], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, (
        done.stdout,
        done.stderr,
        (home / "cron.log").read_text() if (home / "cron.log").exists() else "",
    )
    log = (home / "cron.log").read_text(encoding="utf-8")
    assert "2026-10: 39 branches ranked under gd-mobile-aftersales" in log
    assert "\x1b[" not in log, "no colour codes in a log file"
    out = home / "svcqa-out" / "2026-10"
    assert (out / "scorecard.xlsx").is_file() and (out / "rejects.csv").is_file()
    assert (out / "reports" / "index.html").is_file()
    assert (home / "svcqa.db").is_file()


def test_the_readme_python_example_runs_as_printed(tmp_path: Path) -> None:
    """The "From Python" block scores the sample month through the public API, as printed."""
    block = README.split("## From Python", 1)[1].split("```python\n", 1)[1].split("```", 1)[0]
    (tmp_path / "sample_data").symlink_to(SAMPLE_DATA)
    done = subprocess.run(
        [sys.executable, "-c", block], cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    first = done.stdout.splitlines()[0].split()
    # The October sample's best branch, as the demo's ranking shows it.
    assert first[0] == "1" and first[2] == "98.61"
    assert (tmp_path / "demo-out" / "svcqa.db").is_file()


def test_the_readme_demo_table_tail_is_what_make_demo_prints(tmp_path: Path) -> None:
    """The October rows the quick start quotes are the rows `make demo` prints, branch by branch."""
    quoted = [line for line in README.splitlines() if line.startswith("│") and "│ 77.44 │" in line]
    quoted += [
        line
        for line in README.splitlines()
        if line.startswith("│") and any(t in line for t in ("│ 59.19 │", "│ 51.52 │", "│ 98.06 │"))
    ]
    assert len(quoted) == 4
    db = tmp_path / "svcqa.db"
    for month in ("2026-08", "2026-09"):
        args = ["score", str(SAMPLE_DATA / f"{month}.xlsx"), "--db", str(db)]
        assert runner.invoke(app, [*args, "--out", str(tmp_path / month), "-q"]).exit_code == 0
    october = ["score", str(SAMPLE_DATA / "2026-10.xlsx"), "--db", str(db), "--out", str(tmp_path)]
    printed = runner.invoke(app, october)
    assert printed.exit_code == 0, printed.output
    for line in quoted:
        assert line in printed.stdout
