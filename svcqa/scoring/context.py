"""The scoring context: a month's tables with every row's branch as an integer code.

Built once per ``score_month`` and shared by every KPI, so each table's ``branch_key`` is
factorised once and every per-branch sum is one ``np.bincount``.
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import Executor, Future
from datetime import datetime

import numpy as np
import pandas as pd

from svcqa.models import HistoryContext, Month, as_of_text
from svcqa.rubric.model import Metric
from svcqa.scoring.reworks import derive_reworks, derives_reworks


class MetricContext:
    """The month's tables with branch codes, shared by every KPI of one scoring run."""

    def __init__(
        self,
        month: Month,
        tables: dict[str, pd.DataFrame],
        history: HistoryContext | None,
        extra_keys: list[str] | tuple[str, ...] = (),
        as_of: datetime | None = None,
    ):
        """Factorise every table's ``branch_key`` once; the branch index is their sorted union.
        ``as_of``: the data's cut-off, where open rows are aged (else the month's end)."""
        self.month = month
        self.as_of = as_of
        end = month.end if as_of is None else pd.Timestamp(as_of)
        self.age_end_ns = int(end.to_datetime64().astype("datetime64[ns]").astype("int64"))
        # where open rows are aged, as evidence details say it
        self.age_end_en = "month end" if as_of is None else f"the cut-off {as_of_text(as_of)}"
        self.age_end_zh = "月末" if as_of is None else f"截至 {as_of_text(as_of)}"
        self.tables = tables
        self.history = history
        factorised: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        keys: set[str] = {str(k) for k in extra_keys}
        for name, df in tables.items():
            if "branch_key" in df.columns and len(df):
                row_codes, uniques = pd.factorize(df["branch_key"], use_na_sentinel=True)
                factorised[name] = (row_codes, np.asarray(uniques, dtype=object))
                keys.update(str(k) for k in uniques)
        self.branches = pd.Index(sorted(keys), dtype=object)  # position = branch code
        self._codes: dict[str, np.ndarray] = {}
        for name, df in tables.items():
            if name in factorised:
                row_codes, table_keys = factorised[name]
                mapping = self.branches.get_indexer(pd.Index(table_keys.astype(str), dtype=object))
                self._codes[name] = np.where(
                    row_codes >= 0, mapping[np.maximum(row_codes, 0)], -1
                ).astype(np.int64)
            else:
                self._codes[name] = np.full(len(df), -1, dtype=np.int64)
        self._reworks_ahead: dict[tuple[str, float], Future] = {}

    @property
    def n(self) -> int:
        return len(self.branches)

    def table(self, name: str) -> pd.DataFrame | None:
        return self.tables.get(name)

    def codes(self, name: str) -> np.ndarray:
        """Branch code of every row of table ``name`` (-1 for a row without a branch key)."""
        return self._codes[name]

    def derive_reworks_ahead(self, metrics: Iterable[Metric], pool: Executor) -> None:
        """Start ``reworks`` for these rework_rate metrics on ``pool``: at a million tickets the
        derivation is the slowest KPI, and its sorts and hashing release the GIL, so it runs on
        the second core while the other KPIs are computed."""
        for metric in metrics:
            key = (metric.table, metric.window_days)
            df = self.table(metric.table)
            if key not in self._reworks_ahead and df is not None and derives_reworks(df):
                self._reworks_ahead[key] = pool.submit(self._derive_reworks, metric)

    def reworks(self, metric: Metric) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``derive_reworks`` over the metric's table and the history's device tickets."""
        ahead = self._reworks_ahead.get((metric.table, metric.window_days))
        return ahead.result() if ahead is not None else self._derive_reworks(metric)

    def _derive_reworks(self, metric: Metric) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        history = self.history.device_tickets if self.history is not None else None
        return derive_reworks(self.tables[metric.table], history, metric.window_days, self.month)

    def count(self, codes: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        """Per-branch count (or weighted sum) of the rows with these codes."""
        keep = codes >= 0
        w = None if weights is None else np.asarray(weights, dtype="float64")[keep]
        return np.bincount(codes[keep], weights=w, minlength=self.n).astype("float64")
