"""Floor for ``make bench``: read every sheet of a workbook into pandas as fast as possible.

fastexcel (Rust calamine, Arrow output) is the fastest reader installed; it releases the GIL
while parsing, so the sheets are loaded on a thread pool (one thread per core; a reader object cannot be shared
between threads, so each sheet opens its own, which costs little next to parsing). Each sheet is
read with its defaults (header row 0, inferred column types) and converted to a pandas DataFrame,
the same end state as the baseline. Nothing else is done, so nothing can beat it by much.
"""

from __future__ import annotations

import os
import sys
from concurrent.futures import ThreadPoolExecutor

import fastexcel


def main(path: str) -> None:
    names = fastexcel.read_excel(path).sheet_names

    def load(name: str):
        return fastexcel.read_excel(path).load_sheet(name).to_pandas()

    workers = max(1, min(len(names), os.cpu_count() or 1))
    with ThreadPoolExecutor(workers) as pool:
        frames = list(pool.map(load, names))
    print(sum(len(frame) for frame in frames))


if __name__ == "__main__":
    main(sys.argv[1])
