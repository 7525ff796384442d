"""The data contracts shared by ingest, scoring, history and rendering.

Tables travel as pandas DataFrames with the canonical columns listed in ``svcqa.schema``;
everything else is a small frozen dataclass. Imports no pandas (the import rule in
``svcqa.ingest``).
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

_MONTH_RE = re.compile(r"^\s*(\d{4})[-/.年]?(\d{1,2})月?\s*$")
_AS_OF_RE = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2}))?\s*$")


def parse_as_of(text: str) -> datetime:
    """The data's cut-off (``--as-of``): ``YYYY-MM-DDTHH:MM`` (or a space for the T) is that
    minute; a date alone, ``YYYY-MM-DD``, is the end of that day (midnight after it), as the
    month's end is midnight after its last day. Naive, in the data's own clock."""
    from datetime import timedelta

    match = _AS_OF_RE.match(str(text))
    expected = "of the form YYYY-MM-DD or YYYY-MM-DDTHH:MM (for example 2026-10-20T18:00)"
    if not match:
        raise ValueError(f"cut-off {text!r} is not {expected}")
    year, month, day, hour, minute = match.groups()
    try:
        stamp = datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0))
    except ValueError as exc:
        raise ValueError(
            f"cut-off {text!r} is not a real date and time ({exc}); give one {expected}"
        ) from None
    return stamp if hour is not None else stamp + timedelta(days=1)


def as_of_text(as_of: datetime) -> str:
    """A cut-off as shown everywhere: ``2026-10-20 18:00``; midnight as the end of the day
    before, ``2026-10-20 24:00`` (what ``--as-of 2026-10-20`` means), never as the next day."""
    from datetime import timedelta

    if (as_of.hour, as_of.minute, as_of.second, as_of.microsecond) == (0, 0, 0, 0):
        return f"{(as_of - timedelta(days=1)):%Y-%m-%d} 24:00"
    return as_of.strftime("%Y-%m-%d %H:%M")


def column_letter(index: int) -> str:
    """The Excel column of a 0-based index, as the user sees it: 0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def branch_key(name: object) -> str:
    """The matching key of a branch name: Unicode NFKC with all whitespace removed, so that
    ``A店（北区）``, `` A店 (北区) `` and ``A店\u3000(北区)`` are one branch. The only definition:
    ingest applies it to each distinct name of a column, the store to names users type."""
    return "".join(unicodedata.normalize("NFKC", str(name)).split())


@dataclass(frozen=True)
class Measure:
    """One section-4 row (整改措施及计划) of a returned rectification form: checked by
    ``rectify.collect``, recorded by ``history.forms``."""

    row: int
    kpi_id: str
    problem: str
    measure: str
    owner: str
    deadline: str  # ISO date
    target: float | None


# The tables a branch may appeal (申诉) a row of, and the columns whose values name that row.
# Rows are named by their own ids, never by a row number: a re-exported month keeps its ids,
# not its row order. An attendance row has no id of its own: it is "<staff> <YYYY-MM-DD>".
APPEAL_ROW_ID: dict[str, tuple[str, ...]] = {
    "tickets": ("ticket_id",),
    "complaints": ("complaint_id",),
    "attendance": ("staff", "date"),
}


@dataclass(frozen=True)
class AppealRequest:
    """One row a branch disputes: read from its appeal form (申诉表) by ``appeals.collect`` or
    typed with ``svcqa appeal add``; recorded by ``history.appeals``."""

    month: Month
    branch: str  # as filed; matched to the scorecard's branch by ``branch_key``
    table: str  # a key of APPEAL_ROW_ID
    row_id: str  # the ticket or complaint id; for attendance "<staff> <YYYY-MM-DD>"
    reason: str  # 申诉理由
    reference: str = ""  # 佐证材料: where the evidence is
    kpi_id: str = ""  # the KPI the row cost points in, when the form says
    source: str = ""  # the returned form's file name; "" when recorded by ``appeal add``


@dataclass(frozen=True)
class AppealDecision:
    """The analyst's ruling on one appeal. A later decision on the same row supersedes an earlier
    one; both are kept with who, when and why."""

    month: Month
    table: str
    row_id: str
    accepted: bool
    reason: str
    decided_by: str
    # An accepted ticket appeal may stop the clock by this many days (a customer-caused delay,
    # taken off its cycle and its age) instead of withdrawing the row. None: withdraw the row.
    adjust_days: float | None = None


@dataclass(frozen=True, order=True)
class Month:
    """A calendar month, the assessed period: first to last day inclusive."""

    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Month:
        """Parse ``2026-10`` (also ``2026/10``, ``202610``, ``2026年10月``)."""
        match = _MONTH_RE.match(str(text))
        if not match or not 1 <= int(match.group(2)) <= 12:
            raise ValueError(f"month {text!r} is not of the form YYYY-MM (for example 2026-10)")
        return cls(int(match.group(1)), int(match.group(2)))

    @classmethod
    def of(cls, value: date | datetime) -> Month:
        return cls(value.year, value.month)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last_day(self) -> date:
        return date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])

    @property
    def start(self) -> pd.Timestamp:
        """Midnight at the start of the first day."""
        import pandas as pd

        return pd.Timestamp(self.year, self.month, 1)

    @property
    def end(self) -> pd.Timestamp:
        """Midnight at the start of the next month (exclusive bound; "age at month end")."""
        return self.next().start

    def next(self) -> Month:
        return Month(self.year + self.month // 12, self.month % 12 + 1)

    def prev(self) -> Month:
        return Month(self.year - (self.month == 1), (self.month - 2) % 12 + 1)

    @property
    def quarter(self) -> int:
        return (self.month - 1) // 3 + 1

    def quarter_months(self) -> list[Month]:
        """The quarter's months up to and including this one (quarter to date)."""
        first = (self.quarter - 1) * 3 + 1
        return [Month(self.year, m) for m in range(first, self.month + 1)]


@dataclass(frozen=True)
class Finding:
    """One per-row or per-cell problem (or note), located as the user sees it in Excel.

    ``row`` is the spreadsheet row number shown in Excel (1-based, title rows included);
    for CSV it is the line number. ``code`` is stable (``bad-date``, ``duplicate-id`` ...).
    """

    code: str
    message: str
    table: str = ""
    file: str = ""
    sheet: str = ""
    row: int | None = None
    column: str = ""
    value: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "table": self.table,
            "file": self.file,
            "sheet": self.sheet,
            "row": self.row,
            "column": self.column,
            "value": self.value,
            "message": self.message,
        }


@dataclass(frozen=True)
class TableStats:
    """Row accounting for one table: ``rows == used + excluded + rejected`` always."""

    rows: int = 0
    used: int = 0
    excluded: int = 0
    rejected: int = 0

    def __post_init__(self) -> None:
        if self.rows != self.used + self.excluded + self.rejected:
            raise AssertionError(f"row accounting does not add up: {self}")

    def as_dict(self) -> dict[str, int]:
        return {
            "rows": self.rows,
            "used": self.used,
            "excluded": self.excluded,
            "rejected": self.rejected,
        }


@dataclass(frozen=True)
class SourceFile:
    """An input file as read: kept in the history store so a month can be audited later."""

    path: str
    name: str
    size: int
    sha256: str


# Columns of the rejects / excluded frames (one row per rejected or excluded input row).
ROW_ISSUE_COLUMNS = ["table", "file", "sheet", "row", "column", "value", "code", "reason"]


@dataclass
class MonthData:
    """Everything ingest produced for one month: canonical tables plus full row accounting.

    ``tables`` holds only *used* rows, each with ``_file``, ``_sheet`` and ``_row`` (the Excel
    row number) so any figure can be traced back; ``rejects`` and ``excluded`` hold the rest.
    """

    month: Month
    month_source: str  # "option" (given with --month) or "inferred" (most acceptance dates)
    tables: dict[str, pd.DataFrame]
    stats: dict[str, TableStats]
    rejects: pd.DataFrame
    excluded: pd.DataFrame
    notes: list[Finding] = field(default_factory=list)
    sources: list[SourceFile] = field(default_factory=list)
    # branch_key -> display name (roster spelling, else the spelling most rows use)
    branch_names: dict[str, str] = field(default_factory=dict)
    # How the files were read (``svcqa check``'s mapping): per table the sheets chosen and why,
    # each column's matched header or None, the headers nothing used.
    mapping: list[dict[str, Any]] = field(default_factory=list)
    # table -> "YYYY-MM" -> rows excluded for falling in that month (latest month last)
    excluded_months: dict[str, dict[str, int]] = field(default_factory=dict)

    def table(self, name: str) -> pd.DataFrame | None:
        return self.tables.get(name)


# Columns of the evidence frame: the input rows behind every lost point.
EVIDENCE_COLUMNS = [
    "branch_key",
    "kpi_id",
    "kind",  # overdue_ticket, rework, complaint, absence, late, violation, incentive, rating, slow_ticket
    "ref",  # ticket / complaint id, staff name, rater ...
    "date",  # ISO date or datetime text
    "value",  # the row's own figure: cycle days, age in days, points, rating ...
    "category",  # complaint category, service type, attendance status ...
    "detail",  # one human sentence, e.g. "follows ticket T0001 completed 2026-08-02"
    "file",
    "sheet",
    "row",
]


@dataclass(frozen=True)
class KpiResult:
    """One KPI of one branch: the metric, what it was scored against, and the points."""

    id: str
    label: str
    group: str
    value: float | None  # natural unit: days, or a rate as a fraction 0..1; None when no data
    basis: int  # rows the metric was computed on (denominator)
    points: float  # rounded to 2 decimals
    max: float
    no_data: bool = False
    low_volume: bool = False
    excluded: bool = False  # when_empty = "exclude": left out and the rest re-normalised
    unit: str = ""  # "days", "rate", "count", "rating", "points", "number"
    curve: dict[str, Any] = field(default_factory=dict)  # thresholds as scored, for the audit trail
    numerator: float | None = None  # e.g. overdue tickets, reworks, valid complaints
    note: str = ""  # e.g. "partial_quarter", "quarter to date 2026-07..2026-09"

    @property
    def lost(self) -> float:
        return round(self.max - self.points, 2) if not self.excluded else 0.0


@dataclass
class BranchResult:
    """One branch's month: total, grade, rank and the KPI breakdown."""

    branch: str
    branch_key: str
    assessed: bool
    total: float
    kpis: list[KpiResult]
    rank: int | None = None
    grade: str | None = None
    coefficient: float | None = None
    flags: list[str] = field(default_factory=list)
    kpi_total: float = 0.0
    incentive_points: float = 0.0
    region: str = ""
    echelon: str = ""
    prev_total: float | None = None
    prev_rank: int | None = None
    last_place_streak: int = 0


@dataclass(frozen=True)
class EnglishNames:
    """The rubric's English names (``name_en``, grade and KPI ``label_en``, ``group_en``), carried
    on the Scorecard so a month renders in English when scored and when loaded from the store
    later. Any name the rubric does not give falls back to the (Chinese) name itself."""

    rubric: str = ""
    kpis: dict[str, str] = field(default_factory=dict)  # KPI id -> English label
    grades: dict[str, str] = field(default_factory=dict)  # grade name -> English name
    groups: dict[str, str] = field(default_factory=dict)  # group -> English heading

    def grade(self, name: str | None) -> str | None:
        return (self.grades.get(name) or name) if name else name

    def kpi(self, kpi_id: str, label: str) -> str:
        return self.kpis.get(kpi_id) or label

    def group(self, name: str) -> str:
        return (self.groups.get(name) or name) if name else name


@dataclass
class Scorecard:
    """The scored month: ranked branches, the input accounting and the evidence."""

    month: Month
    rubric_id: str
    rubric_name: str
    rubric_max: float
    branches: list[BranchResult]
    inputs: dict[str, TableStats]
    evidence: pd.DataFrame  # EVIDENCE_COLUMNS
    notes: list[Finding] = field(default_factory=list)
    generated_at: datetime | None = None
    # Month-only (numerator, basis) per (kpi_id, branch_key) for KPIs scored quarter to date,
    # so the store can add up the quarter's months later: columns kpi_id, branch_key, numerator, basis.
    period_counts: pd.DataFrame | None = None
    # The data's cut-off (``--as-of``) for a month still running: open rows are aged at it
    # instead of at the month's end. None: the month is over (aged at its end).
    as_of: datetime | None = None
    # The rubric's English names: ``in_language(card, "en")`` shows them.
    english: EnglishNames = field(default_factory=EnglishNames)

    @property
    def assessed_count(self) -> int:
        return sum(1 for b in self.branches if b.assessed)

    def branch(self, key: str) -> BranchResult | None:
        return next((b for b in self.branches if b.branch_key == key), None)


@dataclass
class HistoryContext:
    """What scoring needs from earlier months; built by ``svcqa.history``, empty without a store.

    ``flag_rates``: per KPI id whose metric is quarter-to-date, the earlier months of the same
    quarter as rows (month, branch_key, numerator, basis). ``device_tickets``: stored tickets
    completed within the 90 days before the month (device_id, ticket_id, completed_at, and month
    as a categorical) for rework detection by device id.
    ``previous``: earlier months' results (month, branch_key, total, rank, assessed,
    last_place, last_place_streak), newest first. ``first_seen``: branch_key -> first month
    the branch was scored, for the grace month when no roster gives a contract start.
    """

    flag_rates: dict[str, pd.DataFrame] = field(default_factory=dict)
    device_tickets: pd.DataFrame | None = None
    previous: pd.DataFrame | None = None
    first_seen: dict[str, Month] = field(default_factory=dict)
    months_in_quarter: list[Month] = field(default_factory=list)  # earlier stored months used


def in_language(scorecard: Scorecard, lang: str) -> Scorecard:
    """The scorecard as outputs in ``lang`` show it: in English, the rubric's name, the grades,
    the KPI labels and groups by their English names where the rubric gives them (else as they
    are); in Chinese the scorecard itself. Only for rendering: grades compare by their own name
    (rectification, history), so the card scored and stored is never the English one."""
    if lang != "en":
        return scorecard
    names = scorecard.english
    branches = [
        replace(
            b,
            grade=names.grade(b.grade),
            kpis=[
                replace(k, label=names.kpi(k.id, k.label), group=names.group(k.group))
                for k in b.kpis
            ],
        )
        for b in scorecard.branches
    ]
    return replace(scorecard, rubric_name=names.rubric or scorecard.rubric_name, branches=branches)
