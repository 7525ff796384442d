"""`svcqa check` and `svcqa rubric init` on every file of the real-world corpus end in exit 0 or 1
with a message, never a traceback (each file in a memory-limited child, see corpus_reader)."""

from __future__ import annotations

import json
from pathlib import Path

from corpus_reader import corpus_files, read_in_children

from conftest import CORPUS, requires_corpus

SCRIPT = """
import json, sys, traceback
from pathlib import Path
from typer.testing import CliRunner
from svcqa.cli import app

root, out = Path(sys.argv[1]), Path(OUT)
runner = CliRunner()
for name in sys.argv[2:]:
    print(json.dumps({"file": name, "started": True}), flush=True)
    outcome = {"file": name}
    for command, args in (
        ("check", ["check", str(root / name), "--out", str(out / "check")]),
        ("init", ["rubric", "init", str(root / name), "--out", str(out / "starter.toml")]),
    ):
        result = runner.invoke(app, args)
        error = result.exception
        crashed = error is not None and not isinstance(error, SystemExit)
        outcome[command] = {
            "code": result.exit_code,
            "trace": "".join(traceback.format_exception(error)) if crashed else "",
            "message": "svcqa: error:" in result.output,
            "traceback": "Traceback" in result.output,
            "output": result.output[:300],
        }
    print(json.dumps(outcome), flush=True)
"""


@requires_corpus
def test_every_corpus_file_ends_in_a_message_not_a_traceback(tmp_path: Path) -> None:
    """Encrypted, empty, bomb-like, legacy and real exports alike: exit 0 or 1, a message on
    failure, no traceback, no aborted process; the helpdesk and complaints exports get a starter."""
    files = corpus_files()
    results = read_in_children(CORPUS, files, SCRIPT.replace("OUT", repr(str(tmp_path))))
    assert sorted(results) == files
    for name, outcome in results.items():
        assert "check" in outcome and "init" in outcome, (name, outcome)
        for command in ("check", "init"):
            run = outcome[command]
            assert run["trace"] == "", (name, command, run["trace"])
            assert run["code"] in (0, 1), (name, command, run)
            assert not run["traceback"], (name, command, run["output"])
            if run["code"] == 1:
                assert run["message"], (name, command, run["output"])
    for name in (
        "cs_helpdesk_sla/helpdesk_tickets.csv",
        "cs_complaints_bhakti/Consumer_Complaints.xlsx",
    ):
        assert results[name]["init"]["code"] == 0, json.dumps(results[name])
