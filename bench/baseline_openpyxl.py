"""Baseline for ``make bench``: the obvious way to read a month workbook, and nothing else.

``pandas.read_excel(sheet_name=None, engine="openpyxl")`` reads every sheet into a DataFrame;
this is what an analyst's script does before any scoring, so ``svcqa score`` is compared to it.
"""

from __future__ import annotations

import sys

import pandas as pd


def main(path: str) -> None:
    sheets = pd.read_excel(path, sheet_name=None, engine="openpyxl")
    print(sum(len(frame) for frame in sheets.values()))


if __name__ == "__main__":
    main(sys.argv[1])
