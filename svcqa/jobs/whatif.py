"""``svcqa whatif``: stored months re-scored under a variant rubric, compared, never stored.

The months' inputs are the files the store recorded (checked unchanged by their sha256, as
``score`` does before re-scoring a later month) or files the caller names; the history context
is the store's as it stands (quarter to date, grace months, last-place streaks), and the store
is only read. Usable without the CLI::

    from svcqa.jobs.whatif import run_whatif
    run = run_whatif(Month(2026, 10), rubric="my-rubric.toml", db="svcqa.db")
    print(run.comparison.payout)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from svcqa import clock
from svcqa.errors import InputError, NotFound, UsageError
from svcqa.models import Month, MonthData, Scorecard, in_language
from svcqa.rubric import Rubric, load_rubric
from svcqa.scoring.compare import Comparison, compare
from svcqa.settings import LOCK_TIMEOUT, month_folder

BASE_FEE = "base_fee"  # the roster column [columns.branches.base_fee] a rubric may declare


@dataclass
class WhatIfRun:
    """What one ``whatif`` run compared and wrote."""

    comparison: Comparison
    outputs: dict[str, Path] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    lang: str = "zh"  # the labels' language: --lang, else the variant rubric's
    # The comparison as the terminal and whatif.xlsx show it: in English with the rubrics'
    # English names (grades, KPIs); the comparison itself (--format json) keeps their own.
    shown: Comparison | None = None


@dataclass(frozen=True)
class _Reading:
    """How a month's files are read: where from, with which limits and reader."""

    limits: Any
    spool_dir: str | None
    reader: str | None
    aliases_file: Path | None = None


def months_in_range(stored: Sequence[Month], first: Month, last: Month) -> list[Month]:
    """The stored months from ``first`` to ``last`` inclusive; none is an error naming them."""
    if last < first:
        raise UsageError(f"--to {last} is before --from {first}")
    chosen = [m for m in stored if first <= m <= last]
    if not chosen:
        listed = ", ".join(str(m) for m in stored) or "none"
        raise NotFound(
            f"no stored month from {first} to {last} (stored months: {listed}); score them first with svcqa score"
        )
    return chosen


def recorded_inputs(info: dict[str, Any], month: Month) -> list[Path]:
    """The files a stored month was scored from, each still there with its recorded sha256."""
    from svcqa.history import file_sha256

    inputs = info.get("inputs") or []
    if not inputs:
        raise InputError(
            f"{month} has no recorded input files in the history store; pass its files on the "
            f"command line: svcqa whatif --month {month} --rubric ... FILE..."
        )
    paths = []
    for item in inputs:
        path = Path(item["path"])
        if not path.is_file():
            problem = "is missing (moved or deleted)"
        elif file_sha256(path) != item["sha256"]:
            problem = "has changed since the month was scored (its sha256 differs)"
        else:
            paths.append(path)
            continue
        raise InputError(
            f"input file {path} of {month} {problem}; pass the month's files on the command line "
            f"(svcqa whatif --month {month} --rubric ... FILE...) or re-score the month with svcqa score"
        )
    return paths


def _ingest(
    paths: Sequence[Path], rubric: Any, month: Month, reading: _Reading, as_of: datetime | None
) -> MonthData:
    """The month's files read under ``rubric``, with the month's stored cut-off applied."""
    from svcqa.ingest import open_month
    from svcqa.jobs.score import ingest_for_rubric, with_cut_off

    with open_month(
        paths, reading.limits, spool_dir=reading.spool_dir, reader=reading.reader
    ) as files:
        data = ingest_for_rubric(files, rubric, month=month, aliases_file=reading.aliases_file)
    return with_cut_off(data, as_of)


def declares_base_fee(rubric: Any) -> bool:
    return any(c.name == BASE_FEE for c in rubric.extra_columns.get("branches", []))


def base_fees(data: MonthData) -> dict[str, float] | None:
    """branch_key -> base fee from the roster's base fee column; None when it has none. A
    blank cell leaves the branch without a fee (it is left out of the payout)."""
    roster = data.table("branches")
    if roster is None or BASE_FEE not in roster.columns:
        return None
    fees = roster[["branch_key", BASE_FEE]].dropna()
    return {str(k): float(v) for k, v in zip(fees["branch_key"], fees[BASE_FEE])}


def _score(
    data: MonthData, rubric: Any, store: Any, now: datetime, as_of: datetime | None
) -> Scorecard:
    from svcqa.scoring import score_month

    context = store.context(data.month, qtd_kpis=rubric.qtd_kpi_ids)
    return score_month(data, rubric, context, now=now, as_of=as_of)


def _month_pair(
    store: Any,
    month: Month,
    variant: Any,
    against: Any,
    paths: Sequence[Path],
    reading: _Reading,
    now: datetime,
) -> tuple[Scorecard, Scorecard, dict[str, float] | None, tuple[str, str]]:
    """One month: (scorecard under the compared rubric, under the variant, base fees, the
    stored rubric's id and sha256)."""
    from svcqa.jobs.score import stored_cut_off
    from svcqa.rubric import load_rubric_text

    info = store.run_info(month)
    as_of = stored_cut_off(info)  # open rows aged as the stored month aged them
    files = list(paths) or recorded_inputs(info, month)
    variant_data = _ingest(files, variant, month, reading, as_of)
    variant_card = _score(variant_data, variant, store, now, as_of)
    fees = base_fees(variant_data)
    if against is None:
        active_card = store.load_scorecard(month)
        stored_rubric = load_rubric_text(info["rubric_source"])
        if fees is None and declares_base_fee(stored_rubric):
            fees = base_fees(_ingest(files, stored_rubric, month, reading, as_of))
    else:
        against_data = _ingest(files, against, month, reading, as_of)
        active_card = _score(against_data, against, store, now, as_of)
        fees = fees if fees is not None else base_fees(against_data)
    return active_card, variant_card, fees, (str(info["rubric_id"]), str(info["rubric_sha256"]))


def _chosen_months(
    store: Any, month: Month | None, first: Month | None, last: Month | None, paths: Sequence[Path]
) -> list[Month]:
    if (month is None) == (first is None and last is None):
        raise UsageError("give either --month M or --from M1 --to M2")
    if month is not None:
        store.run_info(month)  # NotFound naming the stored months
        return [month]
    if first is None or last is None:
        raise UsageError("give both --from and --to (or --month for one month)")
    if paths:
        raise UsageError("input files can be given with --month only (one month's files)")
    return months_in_range(store.months(), first, last)


def run_whatif(
    *,
    rubric: str | Path | Rubric,
    month: Month | None = None,
    first: Month | None = None,
    last: Month | None = None,
    against: str | Path | Rubric | None = "active",
    paths: Sequence[str | Path] = (),
    db: str | Path | None = None,
    out_dir: Path | None = None,
    lang: str | None = None,
    limits: Any = None,
    now: datetime | None = None,
    spool_dir: str | None = None,
    reader: str | None = None,
    lock_timeout: float = LOCK_TIMEOUT,
    aliases_file: Path | None = None,
) -> WhatIfRun:
    """Re-score ``month`` (or the stored months ``first``..``last``) under ``rubric`` and compare
    with the rubric each month was stored under (``against="active"``) or with ``against``
    re-scored the same way; write ``whatif.xlsx`` into ``out_dir`` labelled in ``lang`` (default:
    the variant rubric's language). The store is opened read-only (an older store is refused,
    not migrated) and never written; ``aliases_file`` adds header spellings when the inputs are
    re-read, as ``score --aliases`` did."""
    from svcqa.history import HistoryStore, resolve_db_path
    from svcqa.ingest import Limits
    from svcqa.labels import output_language
    from svcqa.render.whatif import write_whatif_xlsx

    now = now or clock.now()
    reading = _Reading(limits or Limits(), spool_dir, reader, aliases_file)
    variant = load_rubric(rubric)
    lang = output_language(lang, variant.language)
    against_rubric = None if against in (None, "active") else load_rubric(against)
    files = [Path(p) for p in paths]
    with HistoryStore(resolve_db_path(db), lock_timeout=lock_timeout, read_only=True) as store:
        months = _chosen_months(store, month, first, last, files)
        pairs, stored_ids = [], []
        for each in months:
            active_card, variant_card, fees, stored_id = _month_pair(
                store, each, variant, against_rubric, files, reading, now
            )
            pairs.append((active_card, variant_card, fees))
            stored_ids.append(stored_id)
    comparison = compare(pairs, variant_rubric=variant.id)
    comparison.notes.extend(_rubric_notes(months, stored_ids))
    label = str(months[0]) if month is not None else f"{months[0]}..{months[-1]}"
    target = month_folder(label, out_dir, "whatif")
    shown = comparison
    if lang == "en":
        named = [(in_language(a, lang), in_language(v, lang), f) for a, v, f in pairs]
        shown = compare(named, variant_rubric=variant.id)
        shown.notes = comparison.notes
    path = write_whatif_xlsx(shown, target / "whatif.xlsx", lang=lang)
    return WhatIfRun(comparison, {"whatif_xlsx": path}, list(comparison.notes), lang, shown)


def _rubric_notes(months: Sequence[Month], rubrics: Sequence[tuple[str, str]]) -> list[str]:
    """A note when the months were stored under different rubrics (by content: an edited rubric
    keeping its id counts as another), so the active side mixes them."""
    if len({sha for _id, sha in rubrics}) <= 1:
        return []
    listed = ", ".join(
        f"{m} {rubric_id} ({sha[:8]})" for m, (rubric_id, sha) in zip(months, rubrics)
    )
    return [f"the months in range were scored under different rubrics: {listed}"]


__all__ = [
    "BASE_FEE",
    "WhatIfRun",
    "base_fees",
    "declares_base_fee",
    "months_in_range",
    "recorded_inputs",
    "run_whatif",
]
