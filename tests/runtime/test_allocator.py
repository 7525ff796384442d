"""The command line's allocator settings (svcqa/runtime/allocator.py)."""

from __future__ import annotations

import os
import subprocess
import sys

PROBE = (
    "from svcqa.runtime.allocator import reuse_freed_memory\n"
    "reuse_freed_memory()\n"
    "import pyarrow as pa\n"
    "print(pa.default_memory_pool().backend_name)\n"
)


def _pool(environment: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-c", PROBE], env=environment, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def test_arrow_shares_the_reused_system_heap() -> None:
    environment = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"}
    assert _pool(environment) == "system"


def test_a_pool_the_user_chose_is_kept() -> None:
    assert _pool({**os.environ, "ARROW_DEFAULT_MEMORY_POOL": "jemalloc"}) == "jemalloc"
