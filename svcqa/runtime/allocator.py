"""Memory allocator settings for one svcqa process working on million-row columns.

A month of tickets is parsed, filtered and encoded through many short-lived arrays of tens of
megabytes. By default glibc returns each of them to the kernel on free (it maps anything over
32 MiB separately) and Arrow's mimalloc pool purges freed pages, so the next array faults its
pages in again. A page touched for the first time is expensive, and on a virtual machine it is
also very uneven (measured here: the same 1.9 GB of fresh arrays took 0.35 s to 4 s). Keeping
freed memory in the process and handing it to the next array removed about a second of system
time from a 1M-ticket ``svcqa score`` and made its wall time steady. One arena for all threads
lets a column freed by one thread be reused by the next: the peak memory of that run is 930 MB,
against about 1,040 MB with the default settings and 1,110 MB with an arena per thread.

The command line applies this at start; a program using svcqa as a library keeps its own
allocator settings unless it calls ``reuse_freed_memory`` itself.
"""

from __future__ import annotations

import ctypes
import os
import platform

# mallopt parameters (malloc.h)
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_M_ARENA_MAX = -8

_MAP_ABOVE = 1 << 30  # arrays up to 1 GiB come from the reusable heap, not their own mapping
_TRIM_ABOVE = 2**31 - 1  # keep up to 2 GiB of freed heap for reuse (mallopt takes a C int)


def reuse_freed_memory() -> None:
    """Make glibc and Arrow keep freed memory for reuse; call before numpy and pyarrow are
    imported, and ``limit_arenas`` once the reader child has forked.

    Arrow uses the system allocator (so both share the same reused heap) unless the user chose
    a pool with ``ARROW_DEFAULT_MEMORY_POOL``. The BLAS thread pool numpy starts is not wanted
    (svcqa does no linear algebra) and would hold an arena of its own. Does nothing more where
    glibc is not the C library.
    """
    global _limit_wanted
    os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    libc = _glibc()
    if libc is not None:
        libc.mallopt(_M_MMAP_THRESHOLD, _MAP_ABOVE)
        libc.mallopt(_M_TRIM_THRESHOLD, _TRIM_ABOVE)
        _limit_wanted = True


def limit_arenas() -> None:
    """One arena for all threads of this process, when ``reuse_freed_memory`` was called.

    glibc fixes the arena limit process-wide the first time a thread needs an arena, and a
    forked child inherits it. The reader child parses a large sheet on two threads at once
    (``ingest.fast.split``), and on one arena they queue on its lock (a 1M-row sheet: 5.9 s instead
    of 3.8 s), so this process takes the limit only after the child has forked.
    """
    global _limit_wanted
    libc = _glibc() if _limit_wanted else None
    if libc is not None:
        libc.mallopt(_M_ARENA_MAX, 1)
    _limit_wanted = False


_limit_wanted = False


def _glibc() -> ctypes.CDLL | None:
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return None
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    except (OSError, AttributeError):  # an unusual libc: keep its defaults
        return None
    return libc
