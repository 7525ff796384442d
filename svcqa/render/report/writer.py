"""Writing many branch reports: file names, the format list, and the threaded writer."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

import pandas as pd

from svcqa.errors import NotFound, UsageError
from svcqa.models import Scorecard
from svcqa.output import remove_stale_temps, safe_filename, write_text_atomic
from svcqa.render.report.appeals import AppealChange
from svcqa.render.report.context import ReportContext
from svcqa.render.report.html import render_branch_html, render_index_html
from svcqa.render.report.model import BranchView, FollowUpLine
from svcqa.render.report.view import build_branch_view
from svcqa.render.report.xlsx import write_branch_xlsx

WRITER_THREADS = 4


def report_stems(scorecard: Scorecard) -> dict[str, str]:
    """branch_key -> file stem; ``safe_filename`` of the name, made unique if two names collide."""
    stems: dict[str, str] = {}
    used: set[str] = set()
    for b in scorecard.branches:
        stem = safe_filename(b.branch)
        if stem.lower() in used:  # two branches displayed with the same name
            stem = f"{stem}-{safe_filename(b.branch_key)}"
        used.add(stem.lower())
        stems[b.branch_key] = stem
    return stems


def write_branch_reports(
    scorecard: Scorecard,
    out_dir: Path,
    *,
    branch_keys: Sequence[str] | None = None,
    trend: pd.DataFrame | None = None,
    previous: Scorecard | None = None,
    formats: Sequence[str] = ("html", "xlsx"),
    with_index: bool = True,
    progress: Callable[[int, int], None] | None = None,
    now: datetime | None = None,
    lang: str = "zh",
    template_dir: Path | None = None,
    follow_ups: Mapping[str, Sequence[FollowUpLine]] | None = None,
    column_labels: Mapping[str, str] | None = None,
    appeals: Mapping[str, AppealChange] | None = None,
) -> list[Path]:
    """Write each branch's report (HTML and/or XLSX) and the ranked index; return the paths written.

    ``follow_ups``: branch_key -> last period's rectification measures next to the KPI's new
    value, shown in that branch's report. ``column_labels``: the rubric's declared columns
    (name -> label), shown by their label in the evidence. ``appeals``: branch_key -> what
    appeals changed, for a month re-scored by them (the report's box).
    """
    unknown_formats = sorted(set(formats) - {"html", "xlsx"})
    if unknown_formats or not formats:
        raise UsageError(
            f"report formats must be html and/or xlsx, not {', '.join(unknown_formats) or 'nothing'}"
        )
    ctx = ReportContext(
        scorecard, trend=trend, previous=previous, lang=lang, column_labels=column_labels
    )
    keys = (
        list(branch_keys) if branch_keys is not None else [b.branch_key for b in scorecard.branches]
    )
    missing = [k for k in keys if k not in ctx.by_key]
    if missing:
        raise NotFound(
            f"branch {', '.join(map(repr, missing))} is not in the {scorecard.month} scorecard"
        )
    out_dir = Path(out_dir)
    remove_stale_temps(out_dir)  # what a killed run left half-written here
    stems = report_stems(scorecard)
    stamp = now or scorecard.generated_at
    by_branch = follow_ups or {}
    with ThreadPoolExecutor(max_workers=WRITER_THREADS, thread_name_prefix="svcqa-report") as pool:
        writer = _OrderedWriter(len(keys), progress)
        try:
            for key in keys:
                view = build_branch_view(
                    scorecard,
                    key,
                    context=ctx,
                    now=stamp,
                    follow_ups=by_branch.get(key, ()),
                    appeal=(appeals or {}).get(key),
                )
                writer.add(_submit(pool, view, out_dir, stems[key], formats, template_dir, stamp))
            writer.settle(0)
        except BaseException:
            writer.cancel()
            raise
    written = writer.written
    if with_index and "html" in formats:
        links = {key: f"{stems[key]}.html" for key in keys}
        html = render_index_html(
            scorecard,
            links,
            lang=lang,
            generated_at=stamp.strftime("%Y-%m-%d %H:%M") if stamp else "",
            template_dir=template_dir,
        )
        written.append(write_text_atomic(out_dir / "index.html", html))
    return written


def _submit(
    pool: ThreadPoolExecutor,
    view: BranchView,
    out_dir: Path,
    stem: str,
    formats: Sequence[str],
    template_dir: Path | None,
    stamp: datetime | None,
) -> list[Future[Path]]:
    """Render the branch's HTML here (CPU work) and hand the file writes to the pool."""
    futures: list[Future[Path]] = []
    if "html" in formats:
        html = render_branch_html(
            view,
            template_dir=template_dir,
            xlsx_name=f"{stem}.xlsx" if "xlsx" in formats else None,
        )
        futures.append(pool.submit(write_text_atomic, out_dir / f"{stem}.html", html))
    if "xlsx" in formats:
        futures.append(pool.submit(write_branch_xlsx, view, out_dir / f"{stem}.xlsx", now=stamp))
    return futures


class _OrderedWriter:
    """The branches' pending file writes, bounded, collected and reported in branch order.

    Writing is mostly waiting for fsync (every file goes through atomic_write), so a few writer
    threads overlap the waits. Bounded in flight so memory stays flat for any number of
    branches; progress is reported in branch order.
    """

    def __init__(self, total: int, progress: Callable[[int, int], None] | None):
        self.pending: deque[list[Future[Path]]] = deque()
        self.written: list[Path] = []
        self.done = 0
        self.total = total
        self.progress = progress

    def add(self, futures: list[Future[Path]]) -> None:
        self.pending.append(futures)
        self.settle(WRITER_THREADS * 4)

    def settle(self, limit: int) -> None:
        """Wait for the oldest branches until at most ``limit`` are in flight."""
        while len(self.pending) > limit:
            self.written.extend(future.result() for future in self.pending.popleft())
            self.done += 1
            if self.progress is not None:
                self.progress(self.done, self.total)

    def cancel(self) -> None:
        for futures in self.pending:
            for future in futures:
                future.cancel()


def parse_formats(text: str) -> tuple[str, ...]:
    """``"html,xlsx"`` -> ("html", "xlsx"); UsageError for anything else."""
    formats = tuple(dict.fromkeys(part.strip().lower() for part in text.split(",") if part.strip()))
    bad = [f for f in formats if f not in ("html", "xlsx")]
    if bad or not formats:
        raise UsageError(f"--format takes html, xlsx or html,xlsx, not {text!r}")
    return formats
