"""The branch report's view model: every figure one branch's report shows, already formatted.

The HTML template and the XLSX writer lay out the same ``BranchView``; nothing here computes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import pandas as pd
from markupsafe import Markup

from svcqa.render.report.appeals import AppealBox

HTML_ROWS_PER_KPI = 50  # evidence rows per KPI on the HTML page; the XLSX lists them all


class FollowUpLine(Protocol):
    """What the report shows of one of last period's rectification measures.

    The rectification package builds them (``FollowUp``) from the store; the report only reads
    these fields, so it needs neither the store nor the rectification code.
    """

    @property
    def month(self) -> str: ...
    @property
    def kpi_id(self) -> str: ...
    @property
    def label(self) -> str: ...
    @property
    def measure(self) -> str: ...
    @property
    def owner(self) -> str: ...
    @property
    def deadline(self) -> str: ...
    @property
    def target_text(self) -> str: ...
    @property
    def prev_text(self) -> str: ...
    @property
    def value_text(self) -> str: ...
    @property
    def moved(self) -> str: ...
    @property
    def moved_text(self) -> str: ...


@dataclass(frozen=True)
class KpiRow:
    """One KPI line of the report, formatted, with its peer context."""

    id: str
    label: str
    limit_text: str  # what a share_over / overdue_share KPI counts ("over 48 h"); "" for others
    group: str
    unit: str
    value: float | None
    value_text: str
    basis: int
    full_text: str
    zero_text: str
    points: float
    max: float
    lost: float
    no_data: bool
    low_volume: bool
    excluded: bool
    note: str
    median: float | None
    median_text: str
    best: float | None
    best_text: str
    best_branch: str


@dataclass(frozen=True)
class KpiGroup:
    name: str
    rows: tuple[KpiRow, ...]


@dataclass(frozen=True)
class EvidenceRow:
    """One input row behind a lost point, as text, with where to find it in the workbook."""

    kind: str
    ref: str
    date: str
    value: str
    category: str
    detail: str
    file: str
    sheet: str
    row: str


@dataclass(frozen=True)
class EvidenceGroup:
    """The rows behind one KPI's lost points; ``rows`` holds the first few, ``total`` counts all."""

    kpi_id: str
    label: str
    lost: float
    ref_label: str
    value_label: str
    rows: tuple[EvidenceRow, ...]
    total: int

    @property
    def hidden(self) -> int:
        return self.total - len(self.rows)


@dataclass(frozen=True)
class HotSpot:
    category: str
    count: int
    share: float
    all_share: float


@dataclass(frozen=True)
class Neighbour:
    rank: int
    branch: str
    total: float
    is_self: bool


@dataclass(frozen=True)
class TrendRow:
    month: str
    total: float | None
    rank: int | None
    grade: str
    coefficient: float | None
    assessed: bool
    # "1a2b3c4d → 5e6f7a8b" when the month (then shown as "2026-09*") was scored under another
    # rubric version than the trend's month before it
    rubric_change: str = ""


@dataclass(frozen=True)
class Callout:
    level: str  # "danger", "warning", "info"
    text: str


@dataclass(frozen=True)
class MismatchLine:
    """A finding of the rubric asking for data the month lacks, as the report shows it: the
    KPIs it concerns (labels) and the finding's message (what is missing, and the fix)."""

    code: str
    kpis: tuple[str, ...]
    kpi_ids: tuple[str, ...]
    message: str


# The report's optional sections, each left out when the rubric and the month give it no data:
# peers (a branch alone in the ranking has none), complaint hot spots, incentives.
OPTIONAL_SECTIONS = frozenset({"peers", "hot_spots", "incentives"})


@dataclass(frozen=True)
class Incentive:
    points: float
    reason: str
    date: str
    ref: str
    source: str


@dataclass(frozen=True, eq=False)
class BranchView:
    """Everything one branch report shows, formatted once for HTML and XLSX alike."""

    lang: str
    t: Mapping[str, str]
    month: str
    rubric_id: str
    rubric_name: str
    rubric_max: float
    branch: str
    branch_key: str
    region: str
    echelon: str
    assessed: bool
    total: float
    kpi_total: float
    incentive_points: float
    rank: int | None
    rank_count: int
    rank_text: str
    grade: str
    coefficient: float | None
    flags: tuple[str, ...]
    flag_labels: tuple[str, ...]
    prev_total: float | None
    prev_rank: int | None
    total_delta: float | None
    rank_delta: int | None  # positive: moved up the ranking
    total_change: str  # "↑ +2.50" / "↓ -1.00" / "→ 0.00" / ""
    rank_change: str
    callouts: tuple[Callout, ...]
    kpis: tuple[KpiRow, ...]
    kpi_groups: tuple[KpiGroup, ...]
    evidence: tuple[EvidenceGroup, ...]
    evidence_total: int
    hot_spots: tuple[HotSpot, ...]
    complaint_total: int
    neighbours: tuple[Neighbour, ...]
    trend: tuple[TrendRow, ...]
    incentives: tuple[Incentive, ...]
    lost_chart: Markup
    trend_chart: Markup
    generated_at: str
    # All evidence rows of the branch as aligned arrays (EVIDENCE_TEXT columns plus ``kpi_label``,
    # ``value_num`` and ``row_num``): the XLSX detail sheet lists every one of them.
    evidence_columns: Mapping[str, np.ndarray] = field(repr=False, default_factory=dict)
    # Last period's rectification measures with the KPI's value then and now.
    follow_ups: tuple[FollowUpLine, ...] = ()
    # The optional sections the month has data for (OPTIONAL_SECTIONS; the others are left out).
    sections: frozenset[str] = OPTIONAL_SECTIONS
    # The rubric asked for data the month lacks: these KPIs' points are not a measurement.
    mismatches: tuple[MismatchLine, ...] = ()
    # The month was re-scored by appeals (svcqa appeal apply): what changed for this branch.
    appeal: AppealBox | None = None

    @property
    def mismatch_kpis(self) -> frozenset[str]:
        return frozenset(i for m in self.mismatches for i in m.kpi_ids)

    @property
    def lost_total(self) -> float:
        return round(sum(k.lost for k in self.kpis), 2)

    def evidence_table(self) -> pd.DataFrame:
        """Every evidence row of the branch (not only the first few per KPI shown in HTML)."""
        return pd.DataFrame({name: values for name, values in self.evidence_columns.items()})
