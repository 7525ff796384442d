"""The ``score`` job end to end: ingest, history context, score, write outputs, store.

Usable without the CLI::

    from svcqa.jobs.score import run_score
    result = run_score(["sample_data/2026-10.xlsx"], db="svcqa.db")
    print(result.scorecard.branches[0].branch)
"""

from __future__ import annotations

import fcntl
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from svcqa import __version__, clock
from svcqa.errors import InputError, OutputError
from svcqa.models import Finding, HistoryContext, Month, MonthData, Scorecard
from svcqa.settings import LOCK_TIMEOUT, month_folder

if TYPE_CHECKING:
    from svcqa.history import HistoryStore
    from svcqa.ingest import Limits, MonthFiles
    from svcqa.rubric import Rubric

log = logging.getLogger(__name__)


@dataclass
class ScoreRun:
    """What one ``score`` run produced."""

    scorecard: Scorecard
    data: MonthData
    outputs: dict[str, Path]
    db_path: Path | None = None
    run_id: int | None = None
    rescored: list[Month] = field(
        default_factory=list
    )  # later months re-scored from their stored inputs
    stale: list[Month] = field(
        default_factory=list
    )  # later months whose inputs are gone: re-score by hand
    # each re-scored month's rubric as history shows it (id@version): its stored one
    rescored_rubrics: dict[Month, str] = field(default_factory=dict)
    lang: str = "zh"  # the labels' language: --lang, else the rubric's language

    @property
    def mismatches(self) -> list[Finding]:
        """The notes saying the rubric asks for data the month does not have (``--strict``: exit 1)."""
        return rubric_mismatch_notes(self.scorecard)


def rubric_mismatch_notes(scorecard: Scorecard) -> list[Finding]:
    """The scorecard's findings of the rubric asking for what the month lacks, in order."""
    from svcqa.findings import RUBRIC_MISMATCH_CODES

    return [note for note in scorecard.notes if note.code in RUBRIC_MISMATCH_CODES]


@contextmanager
def locked_folder(folder: Path, timeout: float = LOCK_TIMEOUT) -> Iterator[None]:
    """Hold an exclusive lock on an output folder so two runs never interleave their files."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle = open(folder / ".svcqa.lock", "a+")
    except OSError as exc:
        raise OutputError(
            f"cannot write to output folder {folder}: {exc.strerror or exc}. Choose a writable folder with --out."
        ) from exc
    deadline = time.monotonic() + timeout
    said = False
    try:
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if not said:
                    log.warning(
                        "waiting for another svcqa run to finish with output folder %s (up to %g s)",
                        folder,
                        timeout,
                    )
                    said = True
                if time.monotonic() > deadline:
                    raise OutputError(
                        f"output folder {folder} is in use by another svcqa run for more than {timeout:g} s; try again later"
                    ) from None
                time.sleep(0.1)
        yield
    finally:
        handle.close()


def ingest_for_rubric(
    files: MonthFiles,
    rubric: Rubric,
    *,
    month: Month | None = None,
    aliases_file: Path | None = None,
) -> MonthData:
    """Read the opened files (``open_month``) with the columns and aliases the rubric asks for."""
    from svcqa.ingest import load_alias_file, read_month

    aliases: dict[str, dict[str, list[str]]] = {
        t: {c: list(a) for c, a in cols.items()} for t, cols in rubric.aliases.items()
    }
    for table, sheets in rubric.sheet_aliases.items():  # the rubric's [sheet_aliases]
        aliases.setdefault(table, {}).setdefault("__sheet__", []).extend(sheets)
    if aliases_file is not None:
        for table, columns in load_alias_file(aliases_file).items():
            for column, names in columns.items():
                aliases.setdefault(table, {}).setdefault(column, []).extend(names)
    return read_month(
        files,
        month=month,
        required=rubric.required_columns(),
        extra_columns=rubric.extra_columns,
        extra_aliases=aliases,
        tables=rubric.declared_tables,
        timezone=rubric.timezone,
        date_order=rubric.date_order,
        bounds=rubric.column_bounds(),
        max_days_after_month=rubric.max_days_after_month,
    )


def run_score(
    paths: Sequence[str | Path],
    *,
    rubric: str | Path | Rubric | None = None,
    month: Month | None = None,
    out_dir: Path | None = None,
    db: str | Path | None = None,
    use_history: bool = True,
    strict: bool = False,
    aliases_file: Path | None = None,
    limits: Limits | None = None,
    now: datetime | None = None,
    rescore_stale: bool = True,
    lock_timeout: float = LOCK_TIMEOUT,
    progress: Callable[[str], None] | None = None,
    spool_dir: str | None = None,
    reader: str | None = None,
    lang: str | None = None,
    as_of: datetime | None = None,
) -> ScoreRun:
    """Score one month and write ``scorecard.xlsx/json/csv`` and the rejects into ``out_dir``.

    With history (the default), the month's earlier quarter months, stored tickets and ranks
    feed the scoring, the result replaces the month in the store in one transaction, and any
    later stored months whose inputs are still on disk unchanged are re-scored in order.
    ``spool_dir`` and ``reader`` choose how workbooks are read (``svcqa.ingest.open_month``);
    ``lang`` labels the outputs (default: the rubric's ``language``); ``as_of``: ``with_cut_off``.
    """
    from svcqa.ingest import Limits, open_month
    from svcqa.labels import output_language

    step, now, limits = progress or (lambda _message: None), now or clock.now(), limits or Limits()
    step("reading inputs")
    store, background = None, ThreadPoolExecutor(2)
    try:
        # The reader child starts first, working while pandas, the rubric and ingest load.
        with open_month(paths, limits, spool_dir=spool_dir, reader=reader) as files:
            from svcqa.rubric import DEFAULT_RUBRIC, load_rubric

            rubric_obj = load_rubric(rubric or DEFAULT_RUBRIC)
            lang = output_language(lang, rubric_obj.language)
            early_context = (
                _context_ahead(background, files, db, month, rubric_obj, lock_timeout)
                if use_history
                else None
            )
            data = ingest_for_rubric(files, rubric_obj, month=month, aliases_file=aliases_file)
        data = with_cut_off(data, as_of)
        target = month_folder(data.month, out_dir)
        db_path = None
        if use_history:
            from svcqa.history import HistoryStore, resolve_db_path

            db_path = resolve_db_path(db)
            store = HistoryStore(db_path, lock_timeout=lock_timeout)
        run = _score_and_write(
            data, rubric_obj, store, early_context, target, now, lock_timeout, step, background,
            lang, as_of,
        )  # fmt: skip
        run.db_path, run.lang = db_path, lang
        if store is not None and rescore_stale:
            reading = {"limits": limits, "spool_dir": spool_dir, "reader": reader}
            run.rescored, run.stale, run.rescored_rubrics = _rescore_later_months(
                store, data.month, now=now, step=step, **reading
            )
    finally:
        background.shutdown(wait=True, cancel_futures=True)
        if store is not None:
            store.close()

    if strict:
        _refuse_under_strict(run)
    return run


def _refuse_under_strict(run: ScoreRun) -> None:
    """``--strict``, once the outputs are written: a rubric mismatch or a rejected row is exit 1."""
    data = run.data
    if run.mismatches:
        rejected = f" ({len(data.rejects)} rejected row(s) too)" if not data.rejects.empty else ""
        raise InputError(
            f"{len(run.mismatches)} finding(s) of the rubric asking for data the month does not "
            f"have, and --strict was given{rejected}; the outputs are in "
            f"{run.outputs['scorecard_xlsx'].parent}. Fix the rubric or its aliases as each says:",
            code="rubric-mismatch",
            reasons=[f"[{n.code}] {n.message}" for n in run.mismatches],
        )
    if not data.rejects.empty:
        raise InputError(
            f"{len(data.rejects)} rejected row(s) and --strict was given; see {run.outputs['rejects_csv']}",
            code="rejected-rows",
        )


def _score_and_write(
    data: MonthData,
    rubric,
    store: HistoryStore | None,
    early_context: Future | None,
    target: Path,
    now: datetime,
    lock_timeout: float,
    step: Callable[[str], None],
    background: ThreadPoolExecutor,
    lang: str = "zh",
    as_of: datetime | None = None,
) -> ScoreRun:
    """Score the month (with the store's context, when there is a store), write the outputs and
    save the month in the store."""
    from svcqa.scoring import score_month

    context = marks = record = mark = None
    if store is not None:
        context = _taken_context(early_context)
        if context is None:
            context = store.context(data.month, qtd_kpis=rubric.qtd_kpi_ids)
        data, marks, record, mark = _reapply_appeals(store, data.month, data, now, as_of)
    step("scoring")
    scorecard = score_month(data, rubric, context, now=now, as_of=as_of)
    from svcqa.appeals.adjust import add_appeal_evidence  # pandas: loaded by now

    add_appeal_evidence(scorecard, marks)
    if store is None:
        step("writing outputs")
        return ScoreRun(
            scorecard,
            data,
            write_outputs(scorecard, data, target, lock_timeout=lock_timeout, lang=lang),
        )
    from svcqa.history.codecs import encode_tickets

    # Three things at once: the outputs written and the month saved, which take turns
    # at the GIL, and the tickets encoded for the store (an Arrow sort and zstd, outside
    # the GIL), which uses the core they leave; not during scoring, where the rework
    # derivation has the second core. The save commits only once the outputs are
    # written, as when they ran one after the other: an output error still leaves the
    # store untouched.
    step("writing outputs and saving history")
    chunks = background.submit(encode_tickets, data)
    written = background.submit(
        write_outputs, scorecard, data, target, lock_timeout=lock_timeout, lang=lang, appeals=mark
    )
    run_id = store.save(
        scorecard,
        data,
        rubric=rubric,
        tool_version=__version__,
        now=now,
        before_commit=written.result,
        encoded_tickets=chunks,
        in_transaction=record,
    )
    return ScoreRun(scorecard, data, written.result(), run_id=run_id)


def with_cut_off(data: MonthData, as_of: datetime | None) -> MonthData:
    """The month with the data's cut-off (``--as-of``, a month still running) applied: checked
    to lie in the month, rows dated after it rejected (``svcqa.ingest.apply_cut_off``); open
    rows are then aged at it, and it is stored with the run. As it is without one."""
    if as_of is None:
        return data
    from svcqa.ingest import apply_cut_off

    return apply_cut_off(data, as_of)


def stored_cut_off(info: dict) -> datetime | None:
    """The cut-off a stored month was scored at (``run_info``'s ``as_of``), to score it again
    the same way; None when it was scored as a month that is over."""
    from svcqa.history.records import stored_as_of

    return stored_as_of(info.get("as_of"))


def _context_ahead(
    pool: ThreadPoolExecutor,
    files: MonthFiles,
    db: str | Path | None,
    month: Month | None,
    rubric,
    lock_timeout: float,
) -> Future | None:
    """With the month given and a store on disk, load the month's history context on ``pool``
    while the month is ingested: with stored months of a million tickets, the 90 days of device
    tickets behind rework detection take about 0.3 s of CPU. It starts once the reader child has
    delivered the sheets: until then the child keeps both cores busy (loaded beside it, the
    context delayed the sheets by its own time), while ingesting leaves one core mostly idle.
    A missing store is not created."""
    from svcqa.history import HistoryStore, resolve_db_path

    path = resolve_db_path(db)
    if month is None or not path.is_file():
        return None

    def load() -> HistoryContext | None:
        files.wait_for_reads()
        if files.closed:  # the run failed before its workbook was read: nothing to score
            return None
        with HistoryStore(path, lock_timeout=lock_timeout) as store:
            return store.context(month, qtd_kpis=rubric.qtd_kpi_ids)

    return pool.submit(load)


def _taken_context(early: Future | None) -> HistoryContext | None:
    """The context loaded ahead; None when there is none or loading it failed (it is then loaded
    again, where a lasting problem is reported as usual)."""
    if early is None:
        return None
    try:
        return early.result()
    except Exception:  # noqa: BLE001 - only a head start: the main path reads it again
        return None


def write_outputs(
    scorecard: Scorecard,
    data: MonthData,
    out_dir: Path,
    *,
    lock_timeout: float = LOCK_TIMEOUT,
    appeals: dict[str, int] | None = None,
    lang: str = "zh",
) -> dict[str, Path]:
    """Write every output of a scored month under a folder lock (waiting up to ``lock_timeout``
    seconds for another run to finish with the folder), replacing the previous ones together:
    a failure leaves the previous set as it was. ``appeals`` ({applied, superseded_run}) marks
    scorecard.json and scorecard.xlsx of a run re-scored by appeals."""
    from svcqa.models import in_language
    from svcqa.output import replaced_together
    from svcqa.render.rejects import write_rejects
    from svcqa.render.scorecard import (
        write_scorecard_csv,
        write_scorecard_json,
        write_scorecard_xlsx,
    )

    shown = in_language(scorecard, lang)  # the rubric's names in the outputs' language
    with locked_folder(out_dir, lock_timeout), replaced_together():
        rejects_paths = write_rejects(data, out_dir, lang=lang)
        outputs = {
            "scorecard_xlsx": write_scorecard_xlsx(
                shown,
                out_dir / "scorecard.xlsx",
                rejects=data.rejects,
                lang=lang,
                appeals=appeals,
            ),
            "scorecard_json": write_scorecard_json(
                scorecard,
                out_dir / "scorecard.json",
                month_source=data.month_source,
                appeals=appeals,
            ),
            "scorecard_csv": write_scorecard_csv(shown, out_dir / "scorecard.csv", lang=lang),
        }
    for path in rejects_paths:  # rejects_xlsx, rejects_csv, excluded_csv
        outputs[f"{path.stem}_{path.suffix.lstrip('.')}"] = path
    return outputs


def _rescore_later_months(
    store,
    month: Month,
    *,
    now: datetime,
    limits,
    step,
    spool_dir: str | None = None,
    reader: str | None = None,
) -> tuple[list[Month], list[Month], dict[Month, str]]:
    """Re-score later stored months that depend on ``month``, from their recorded inputs.

    A month is re-scored only when every input file it was scored from still exists with the
    same content hash; otherwise it is reported as stale so the analyst can re-score it. Each is
    re-scored under the rubric stored with it (returned as id@version), not the one just used.
    """
    from svcqa.appeals.adjust import add_appeal_evidence
    from svcqa.history import file_sha256
    from svcqa.history.records import short_version
    from svcqa.ingest import open_month
    from svcqa.rubric import load_rubric_text
    from svcqa.scoring import score_month

    rescored: list[Month] = []
    stale: list[Month] = []
    rubrics: dict[Month, str] = {}
    for later in sorted(m for m in store.stale_months() if m > month):
        info = store.run_info(later)
        inputs = info.get("inputs", [])
        paths = [Path(item["path"]) for item in inputs]
        if not paths or not all(
            p.is_file() and file_sha256(p) == item["sha256"] for p, item in zip(paths, inputs)
        ):
            stale.append(later)
            continue
        step(f"re-scoring {later}")
        rubric_obj = load_rubric_text(info["rubric_source"])
        with open_month(paths, limits, spool_dir=spool_dir, reader=reader) as files:
            data = ingest_for_rubric(files, rubric_obj, month=later)
        as_of = stored_cut_off(info)  # its own cut-off, as it was scored
        data, marks, record, _ = _reapply_appeals(
            store, later, with_cut_off(data, as_of), now, as_of
        )
        context = store.context(later, qtd_kpis=rubric_obj.qtd_kpi_ids)
        scorecard = score_month(data, rubric_obj, context, now=now, as_of=as_of)
        add_appeal_evidence(scorecard, marks)
        store.save(
            scorecard,
            data,
            rubric=rubric_obj,
            tool_version=__version__,
            now=now,
            in_transaction=record,
        )
        rescored.append(later)
        rubrics[later] = f"{rubric_obj.id}@{short_version(rubric_obj.sha256)}"
    return rescored, stale, rubrics


def _reapply_appeals(
    store, month: Month, data: MonthData, now: datetime, as_of: datetime | None = None
):
    """A month whose active run applied appeals (``svcqa appeal apply``) keeps them when
    re-scored (by ``svcqa score`` or as a later month): its accepted decisions are applied again,
    recorded for the new run, and said on stderr. Returns (data, the ``appeal`` evidence rows or
    None, the in-transaction recorder or None, the scorecard.json mark or None)."""
    from svcqa.appeals.adjust import apply_rulings, rulings
    from svcqa.history import appeals

    applied = appeals.applied_run(store, month)
    if applied is None:
        return data, None, None, None
    evidence = store.load_scorecard(month).evidence  # the KPI each appealed row lost points in
    chosen = rulings(appeals.appeals(store, month), appeals.decisions(store, month), evidence)
    data, outcomes, marks = apply_rulings(data, chosen, as_of)
    previous = int(applied["run_id"])
    found = [(o.ruling.decision_id, o.row_found) for o in outcomes]
    missing = [f"{o.ruling.table} {o.ruling.row_id}" for o in outcomes if not o.row_found]
    log.warning(
        "%s has %d accepted appeal decision%s: applied again%s",
        month,
        len(chosen),
        "" if len(chosen) == 1 else "s",
        f"; {len(missing)} of their rows not in the inputs, nothing applied for them: "
        + ", ".join(missing)
        if missing
        else "",
    )

    def record(conn, run_id: int) -> None:
        appeals.record_applied(
            conn, run_id=run_id, month=month, superseded_run=previous, applied_at=now, applied=found
        )

    mark = {"applied": len(found) - len(missing), "superseded_run": previous}
    return data, marks, record, mark
