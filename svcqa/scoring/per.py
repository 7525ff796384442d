"""``per``: a count or sum per branch divided by the branch's roster value, times ``scale``.

Seed 001 sets its complaint target as "under 70 per 10,000 users": the branch's complaints over
the ``users`` of its roster row. A branch whose roster value is blank, 0 or absent cannot be
rated: it has no data on the KPI (its note says why) and the run a ``per-basis-missing``
finding naming branch and KPI, never a division by zero and never silent full marks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from svcqa.models import Finding
from svcqa.rubric.model import Kpi, Per
from svcqa.scoring.context import MetricContext

NoRoster = Literal["no-table", "no-column"]


@dataclass
class PerBasis:
    """Each branch's roster value (NaN where it is missing) and the rate it gives."""

    roster: np.ndarray
    value: np.ndarray
    notes: np.ndarray  # object: per branch, "7 / 12000 users × 10000" or why there is no data
    findings: list[Finding]


def roster_values(ctx: MetricContext, per: Per) -> np.ndarray | tuple[NoRoster, str]:
    """The roster value per branch code (NaN: blank, 0 or no roster row), or why there is none
    (a ``NoData`` code and message)."""
    df = ctx.table(per.table)
    if df is None:
        return "no-table", f"no {per.table} table (per divides by its {per.column})"
    if per.column not in df.columns:
        return "no-column", f"{per.table} has no {per.column} column (per divides by it)"
    codes = ctx.codes(per.table)
    numbers = pd.to_numeric(df[per.column], errors="coerce").to_numpy(
        dtype="float64", na_value=np.nan
    )
    present = (codes >= 0) & ~np.isnan(numbers)
    total = ctx.count(codes[present], numbers[present])
    found = ctx.count(codes[present])
    return np.where((found > 0) & (total > 0), total, np.nan)


def per_basis(kpi: Kpi, ctx: MetricContext, figure: np.ndarray, roster: np.ndarray) -> PerBasis:
    """The rate ``figure / roster × scale`` per branch, its notes and the missing branches' findings."""
    per = kpi.metric.per
    assert per is not None
    missing = np.isnan(roster)
    with np.errstate(invalid="ignore", divide="ignore"):
        value = np.where(missing, np.nan, figure / np.where(missing, 1.0, roster) * per.scale)
    notes = np.empty(ctx.n, dtype=object)
    notes.fill("")
    findings: list[Finding] = []
    keys = ctx.branches.to_numpy(dtype=object)
    for i in np.flatnonzero(missing):  # per branch, not per row: a few dozen at most
        reason = f"no {per.column} in the {per.table} roster (blank, 0 or no row)"
        notes[i] = f"{reason}: {figure[i]:g} cannot be rated {per.text()}"
        findings.append(
            Finding(
                "per-basis-missing",
                f"KPI {kpi.id} ({kpi.label}): branch {keys[i]} has {reason}, so its "
                f"{figure[i]:g} cannot be rated {per.text()}; the branch is scored as when_empty "
                f"= {kpi.when_empty}. Fill in {per.table}.{per.column} for the branch",
                table=per.table,
                column=per.column,
                value=str(keys[i]),
            )
        )
    for i in np.flatnonzero(~missing):
        notes[i] = f"{figure[i]:g} / {roster[i]:g} {per.column} × {per.scale:g}"
    return PerBasis(roster, value, notes, findings)
