"""Building ``MonthData`` from plain frames, for tests, notebooks and generators."""

from __future__ import annotations

import numpy as np
import pandas as pd

from svcqa.models import Month, MonthData, TableStats, branch_key


def month_data_from_tables(
    month: Month | str, tables: dict[str, pd.DataFrame], *, file: str = "memory.xlsx"
) -> MonthData:
    """MonthData from canonical frames (tests, notebooks, generators): adds the columns ingest adds.

    Each frame needs a ``branch`` column and canonical column names; ``branch_key``, ``_file``,
    ``_sheet`` (the table name) and ``_row`` (2, 3, ... as below a header row) are added when
    absent. Every row counts as used.
    """
    month = month if isinstance(month, Month) else Month.parse(month)
    out: dict[str, pd.DataFrame] = {}
    for name, frame in tables.items():
        df = frame.copy()
        if "branch_key" not in df.columns and "branch" in df.columns:
            df["branch_key"] = df["branch"].map(branch_key)
        if "_file" not in df.columns:
            df["_file"] = file
        if "_sheet" not in df.columns:
            df["_sheet"] = name
        if "_row" not in df.columns:
            df["_row"] = np.arange(2, len(df) + 2)
        out[name] = df
    issues = pd.DataFrame(
        columns=["table", "file", "sheet", "row", "column", "value", "code", "reason"]
    )
    return MonthData(
        month=month,
        month_source="option",
        tables=out,
        stats={name: TableStats(len(df), len(df), 0, 0) for name, df in out.items()},
        rejects=issues,
        excluded=issues.copy(),
    )
