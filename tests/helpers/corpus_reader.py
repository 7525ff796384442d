"""Reading the real-world corpus in memory-limited child processes, one file after another: a
reader that aborts its process or runs away with memory shows up as that file's failure instead
of killing the test run. ``script`` prints ``{"file": name, "started": true}`` before each file
and one JSON result line after it."""

from __future__ import annotations

import json
import resource
import subprocess
import sys
from pathlib import Path

from conftest import CORPUS

CHILD_MEMORY = 3 * 1024**3  # address space for the reading process; a bomb would hit it
CHILD_TIMEOUT = 300


def corpus_files() -> list[str]:
    """The corpus files (relative paths), [] without the corpus."""
    if not (CORPUS / "MANIFEST.md").is_file():
        return []
    return sorted(
        str(p.relative_to(CORPUS))
        for p in CORPUS.rglob("*")
        if p.is_file() and p.name != "MANIFEST.md"
    )


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (CHILD_MEMORY, CHILD_MEMORY))


def read_in_children(root: Path, files: list[str], script: str) -> dict[str, dict]:
    """Run ``script`` over ``files`` in a memory-limited child; when it dies on a file, record that
    file as aborted and start a new child at the next one."""
    todo = list(files)
    results: dict[str, dict] = {}
    while todo:
        proc = subprocess.run(
            [sys.executable, "-c", script, str(root), *todo],
            capture_output=True,
            text=True,
            timeout=CHILD_TIMEOUT,
            preexec_fn=_limit_memory,
            check=False,
        )
        started = None
        for line in proc.stdout.splitlines():
            item = json.loads(line)
            if item.pop("started", False):
                started = item["file"]
            else:
                results[item["file"]] = item
                started = None
        if started is None:
            break
        results[started] = {
            "file": started,
            "aborted": proc.returncode,
            "stderr": proc.stderr[-2000:],
        }
        todo = todo[todo.index(started) + 1 :]
    return results
