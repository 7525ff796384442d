"""A starter rubric as TOML text, from what ``svcqa rubric init`` found in an export (pure).

``svcqa.jobs.rubric_init`` reads the export through ingest and describes each column
(``ColumnFacts``); this module turns the description into a commented rubric: the rows read as
the tickets table, the canonical columns mapped under ``[aliases.tickets]`` (guesses said so),
the other columns declared with their inferred types, example KPIs for the columns found, and
three grades. Nothing here reads a file or the clock, so the same facts give the same text.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

# Header words that suggest a true flag is bad (a rate to keep low: invert the ratio curve).
_BAD_FLAG_WORDS = ("overdue", "breach", "late", "fail", "escalat", "reopen", "rework", "complain",
                   "miss", "abandon", "drop", "error", "超时", "逾期", "投诉", "返修", "失败")  # fmt: skip
# Header words of a rating (the rating curve on a scale of its largest value).
_RATING_WORDS = ("rating", "score", "satisf", "csat", "stars", "评分", "满意")


@dataclass(frozen=True)
class ColumnFacts:
    """One column of the export as found: its header, inferred type and a summary of values."""

    header: str
    name: str  # canonical column, or the declared column's name
    kind: str  # flag | number | date | datetime | text | empty
    canonical: bool = False  # mapped onto a canonical tickets column
    how: str = ""  # why it maps there ("the built-in spelling", "guessed: ...")
    distinct: int = 0
    count: int = 0  # non-blank cells
    examples: tuple[str, ...] = ()  # flag spellings, or the most frequent text values
    low: str = ""  # smallest value as text (numbers, dates)
    high: str = ""
    q1: float | None = None  # numbers: lower and upper quartile
    q3: float | None = None
    free_text: bool = False  # text with many distinct values: declared commented out


@dataclass(frozen=True)
class ExportFacts:
    """What ``rubric init`` found in one export."""

    file: str
    sheet: str  # "" for CSV
    header_row: int  # as the user numbers it (1-based)
    rows: int  # data rows below the header
    columns: tuple[ColumnFacts, ...]
    date_order: str = "ymd"
    sheet_alias: str = ""  # the sheet (CSV: file) name, when another table would claim it
    notes: tuple[str, ...] = ()


def quote(text: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's)."""
    return json.dumps(text, ensure_ascii=False)


def _comment(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def rubric_id(file: str) -> str:
    """The rubric id from the file name: lower-case letters, digits, - and _."""
    stem = re.sub(r"\.[A-Za-z0-9]+$", "", file).lower()
    slug = re.sub(r"[^a-z0-9_-]+", "-", stem).strip("-_")
    if slug[:1].isdigit():
        slug = f"rubric-{slug}"
    return slug if re.match(r"^[a-z][a-z0-9_-]*$", slug) else "my-rubric"


def starter_text(facts: ExportFacts) -> str:
    """The commented starter rubric (TOML) for ``facts``."""
    lines = _head(facts)
    lines += _aliases(facts)
    lines += _declared(facts)
    kpis = example_kpis(facts)
    lines += _kpi_lines(kpis)
    lines += _GRADES
    return "\n".join(lines).rstrip("\n") + "\n"


def _head(facts: ExportFacts) -> list[str]:
    where = f"{facts.file}, sheet {facts.sheet!r}" if facts.sheet else facts.file
    lines = [
        f"# Starter rubric written by `svcqa rubric init` from {_comment(where)}:",
        f"# header row {facts.header_row}, {facts.rows:,} data rows, read as the tickets table "
        "(one row per ticket, call or case).",
        "# Check the guesses marked below, change the KPIs, thresholds and grades to your rules,",
        "# then: svcqa rubric check THIS.toml; svcqa check EXPORT --rubric THIS.toml;",
        "#       svcqa score EXPORT --rubric THIS.toml --month YYYY-MM",
        "# The rubric language: docs/rubric.md.",
        *(f"# note: {_comment(n)}" for n in facts.notes),
        "",
        f"id = {quote(rubric_id(facts.file))}",
        f"name = {quote(_comment('Starter rubric for ' + facts.file))}",
        "max = 100",
        'timezone = "Asia/Shanghai"    # dates with a UTC offset are converted to this zone',
    ]
    if facts.date_order != "ymd":
        lines.append(
            f"date_order = {quote(facts.date_order)}           # the export writes dates "
            + ("month/day/year" if facts.date_order == "mdy" else "day/month/year")
        )
    if facts.sheet_alias:
        lines += [
            "",
            "# The sheet's name would otherwise make it another table.",
            "[sheet_aliases]",
            f"tickets = [{quote(facts.sheet_alias)}]",
        ]
    return lines


def _aliases(facts: ExportFacts) -> list[str]:
    lines = ["", "# Canonical columns of the tickets table: the header each one is read from.",
             "[aliases.tickets]"]  # fmt: skip
    for column in facts.columns:
        if column.canonical:
            lines.append(f"{column.name} = [{quote(column.header)}]    # {_comment(column.how)}")
    return lines


def _declared(facts: ExportFacts) -> list[str]:
    lines: list[str] = []
    for column in facts.columns:
        if column.canonical or column.kind == "empty":
            continue
        kind = "datetime" if column.kind == "datetime" else column.kind
        body = [
            f"[columns.tickets.{column.name}]",
            f'type = "{kind}"',
            f"aliases = [{quote(column.header)}]",
            f"label = {quote(_comment(column.header))}",
        ]
        if column.free_text:
            lines += ["", f"# {_describe(column)}; declare it to filter on it:"]
            lines += [f"# {line}" for line in body]
        else:
            lines += ["", f"# {_describe(column)}", *body]
    empty = [c.header for c in facts.columns if c.kind == "empty"]
    if empty:
        lines += ["", "# Blank in every row, not declared: " + _comment(", ".join(empty))]
    return lines


def _describe(column: ColumnFacts) -> str:
    shown = ", ".join(column.examples)
    if column.kind == "flag":
        return f"yes/no; spellings found: {shown} (a filter takes true/false)"
    if column.kind == "number":
        return f"numbers from {column.low} to {column.high}"
    if column.kind in ("date", "datetime"):
        return f"{column.kind}s from {column.low} to {column.high}"
    more = ", ..." if column.distinct > len(column.examples) else ""
    text = f"text, {column.distinct:,} distinct values: {shown}{more}"
    if column.free_text:
        return f"free text ({column.distinct:,} distinct values)"
    if column.examples:
        text += f" (filter = {{ {column.name} = {quote(column.examples[0])} }})"
    return text


@dataclass(frozen=True)
class _Kpi:
    id: str
    label: str
    metric: str
    curve: str
    comment: str


def example_kpis(facts: ExportFacts) -> list[_Kpi]:
    """Example KPIs for the columns found: flag shares, a time-to-close share, number means."""
    kpis: list[_Kpi] = []
    for column in [c for c in facts.columns if c.kind == "flag" and _measurable(c)][:3]:
        bad = any(word in column.header.casefold() for word in _BAD_FLAG_WORDS)
        kpis.append(
            _Kpi(
                f"{column.name}_share"[:40],
                f"Share {_comment(column.header)}",
                f'{{ kind = "flag_rate", table = "tickets", column = "{column.name}" }}',
                '{ kind = "ratio", invert = true }' if bad else '{ kind = "ratio" }',
                "the share of rows whose flag is true; "
                + (
                    "invert: a true counts against" if bad else "set invert = true if a true is bad"
                ),
            )
        )
    closing = _closing_column(facts)
    if closing is not None:
        kpis.append(
            _Kpi(
                "over_72_hours",
                f"Share over 72 h to {_comment(closing.header)}",
                '{ kind = "share_over", table = "tickets", span = { from = "accepted_at", '
                f'to = "{closing.name}", unit = "hours" }}, threshold = 72 }}',
                '{ kind = "ratio", invert = true }',
                f"rows taking over 72 hours from accepted_at to {closing.name}; a blank "
                f"{closing.name} counts by its age at the month end",
            )
        )
    for column in [c for c in facts.columns if c.kind == "number" and _measurable(c)][:2]:
        kpis.append(_number_kpi(column))
    if not kpis:
        kpis.append(
            _Kpi(
                "rows",
                "Rows",
                '{ kind = "count", table = "tickets" }',
                '{ kind = "deduct", per = 0 }',
                "a placeholder (full points for everyone): no flag, number or second date found",
            )
        )
    return kpis


def _measurable(column: ColumnFacts) -> bool:
    """Not one of the columns that identify and place a row (the id, the branch, the date)."""
    return column.name not in ("ticket_id", "branch", "accepted_at")


def _closing_column(facts: ExportFacts) -> ColumnFacts | None:
    """A second datetime column to measure from accepted_at: completed_at, else the first
    datetime whose header sounds like an end, else the next datetime column."""
    times = [c for c in facts.columns if c.kind in ("datetime", "date") and c.name != "accepted_at"]
    ends = (
        "complet",
        "close",
        "resolv",
        "finish",
        "end",
        "answer",
        "updat",
        "receiv",
        "完成",
        "结",
    )
    for pick in (
        [c for c in times if c.name == "completed_at"],
        [c for c in times if any(w in c.header.casefold() for w in ends)],
        times,
    ):
        if pick:
            return pick[0]
    return None


def _number_kpi(column: ColumnFacts) -> _Kpi:
    label = f"Mean {_comment(column.header)}"
    metric = f'{{ kind = "mean", table = "tickets", column = "{column.name}" }}'
    high = float(column.high) if column.high else 0.0
    rating = any(w in column.header.casefold() for w in _RATING_WORDS) and 0 < high <= 10
    if rating:
        return _Kpi(f"{column.name}_mean"[:40], label, metric,
                    f'{{ kind = "rating", scale_max = {high:g} }}',
                    "a rating: value x points / the best rating")  # fmt: skip
    full = round(column.q1 if column.q1 is not None else 0.0, 2)
    zero = round(column.q3 if column.q3 is not None else 1.0, 2)
    if zero <= full:
        zero = full + 1
    return _Kpi(
        f"{column.name}_mean"[:40],
        label,
        metric,
        f'{{ kind = "linear", full = {full:g}, zero = {zero:g} }}',
        f"lower is better: full points at the lower quartile ({full:g}), 0 at the upper "
        f"({zero:g}); swap them if higher is better",
    )


def _kpi_lines(kpis: list[_Kpi]) -> list[str]:
    share, rest = divmod(100, len(kpis))
    lines = ["", "# Example KPIs; points add up to max (100)."]
    for number, kpi in enumerate(kpis):
        points = share + (rest if number == len(kpis) - 1 else 0)
        lines += [
            "",
            f"# {_comment(kpi.comment)}",
            "[[kpis]]",
            f"id = {quote(kpi.id)}",
            f"label = {quote(kpi.label)}",
            f"points = {points}",
            f"metric = {kpi.metric}",
            f"curve = {kpi.curve}",
        ]
    return lines


_GRADES = [
    "",
    "# Grades, best first; the lowest starts at 0.",
    "[[grades]]",
    'name = "Good"',
    "min = 85",
    "coefficient = 1.0",
    "",
    "[[grades]]",
    'name = "Fair"',
    "min = 70",
    "coefficient = 1.0",
    "",
    "[[grades]]",
    'name = "Poor"',
    "min = 0",
    "coefficient = 1.0",
]
