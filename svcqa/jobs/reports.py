"""``svcqa report``: branch reports of a stored month.

Opens the history store, picks the month (with the month before and the trend), reads last
period's rectification follow-ups and what appeals changed (a month re-scored by them), and
hands all of it to the renderers as data: the renderers never open the store.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from svcqa.errors import NotFound
from svcqa.history import HistoryStore, resolve_db_path
from svcqa.history.queries import find_branch
from svcqa.jobs.appeals import report_appeals
from svcqa.jobs.rectify import report_follow_ups
from svcqa.jobs.stored import load_stored_month
from svcqa.labels import output_language, report_labels
from svcqa.models import Month
from svcqa.render.report import write_branch_reports
from svcqa.settings import month_folder


@dataclass(frozen=True)
class ReportRun:
    """What ``reports_from_store`` wrote: the month, the folder and every file."""

    month: Month
    out_dir: Path
    paths: list[Path]
    branches: list[str]  # display names, in the order written


def reports_from_store(
    db: Path | None,
    *,
    month: Month | None = None,
    branch: str | None = None,
    out_dir: Path | None = None,
    formats: Sequence[str] = ("html", "xlsx"),
    lang: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    now: datetime | None = None,
) -> ReportRun:
    """Write one branch's report (``branch``) or every branch's (``branch=None``) for a stored month.

    The month defaults to the latest stored one; the previous month (when stored) gives the
    changes, and up to 12 stored months up to this one give the trend. ``branch`` is matched
    after NFKC and whitespace removal; an unknown name raises NotFound naming the closest ones.
    ``lang`` labels the reports (default: the language of the rubric the month was scored under).
    """
    if lang is not None:
        report_labels(lang)
    with HistoryStore(resolve_db_path(db), create=False) as store:
        stored = load_stored_month(store, month)
        lang = output_language(lang, stored.language)
        stored = stored.in_language(lang)
        month, scorecard = stored.month, stored.scorecard
        keys = None
        if branch is not None:
            key = find_branch(store, branch)
            if scorecard.branch(key) is None:
                raise NotFound(
                    f"branch {branch!r} has no result in {month}; stored months: {', '.join(map(str, stored.months))}"
                )
            keys = [key]
        follow_ups = report_follow_ups(store, stored, keys, lang=lang)
        appeals = report_appeals(store, month)
    target = month_folder(month, out_dir, "reports")
    paths = write_branch_reports(
        scorecard,
        target,
        branch_keys=keys,
        trend=stored.trend,
        previous=stored.previous,
        formats=formats,
        lang=lang,
        progress=progress,
        now=now,
        with_index=keys is None,
        follow_ups=follow_ups,
        column_labels=stored.column_labels,
        appeals=appeals,
    )
    names = [b.branch for b in scorecard.branches if keys is None or b.branch_key in keys]
    return ReportRun(month=month, out_dir=target, paths=paths, branches=names)


__all__ = ["ReportRun", "reports_from_store"]
