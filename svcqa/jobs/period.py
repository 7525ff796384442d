"""``svcqa period``: a quarter, half-year or year scorecard from the stored months, read-only.

Reads the stored monthly totals (the store opened read-only: never migrated, never written),
the survey file when the rubric's ``[period]`` rule weighs one in (read with the same ingest as
``score``: aliases, rejects, findings), computes the period (``svcqa.scoring.period``) and
writes ``period.xlsx`` and ``period.html``. Usable without the CLI::

    from svcqa.jobs.period import run_period
    run = run_period(first=Month(2026, 7), last=Month(2026, 12), survey="survey.xlsx", db="svcqa.db")
    print(run.scorecard.rows[0].branch, run.scorecard.rows[0].score)
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from svcqa.errors import UsageError
from svcqa.labels import output_language, period_rule_text
from svcqa.models import Finding, Month
from svcqa.rubric import Rubric, load_rubric, load_rubric_text
from svcqa.scoring.period import PeriodScorecard, period_scorecard, survey_scores
from svcqa.settings import LOCK_TIMEOUT, month_folder


@dataclass
class PeriodRun:
    """What one ``period`` run computed and wrote."""

    scorecard: PeriodScorecard
    outputs: dict[str, Path] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    lang: str = "zh"  # the labels' language: --lang, else the rubric's
    # The card as the terminal, period.xlsx and period.html show it: the rule in ``lang``, in
    # English the grades by the rubric's English names; ``scorecard`` (--format json) as scored.
    shown: PeriodScorecard | None = None


def _calendar(first: Month, last: Month) -> list[Month]:
    months, month = [], first
    while month <= last:
        months.append(month)
        month = month.next()
    return months


def _read_survey(
    path: Path, rubric: Rubric, month: Month, aliases_file: Path | None, reading: dict[str, Any]
) -> tuple[Any, list[Finding]]:
    """The survey table as ingest reads it (the rubric's declared columns and aliases plus
    ``aliases_file``), and every rejected row and note as a finding."""
    from svcqa.ingest import load_alias_file, open_month, read_month

    rule = rubric.period.survey
    assert rule is not None
    aliases: dict[str, dict[str, list[str]]] = {
        t: {c: list(a) for c, a in cols.items()} for t, cols in rubric.aliases.items()
    }
    if aliases_file is not None:
        for table, columns in load_alias_file(aliases_file).items():
            for column, names in columns.items():
                aliases.setdefault(table, {}).setdefault(column, []).extend(names)
    with open_month(
        [path], reading["limits"], spool_dir=reading["spool_dir"], reader=reading["reader"]
    ) as files:
        data = read_month(
            files,
            month=month,
            required={rule.table: {rule.column}},
            extra_columns=rubric.extra_columns,
            extra_aliases=aliases,
        )
    findings = list(data.notes)
    for r in data.rejects.itertuples(index=False):
        findings.append(
            Finding(
                str(r.code),
                str(r.reason),
                str(r.table),
                str(r.file),
                str(r.sheet),
                int(r.row),
                str(r.column),
                str(r.value),
            )  # fmt: skip
        )
    return data.table(rule.table), findings


def _stored_rubrics(store: Any, months: list[Month]) -> dict[str, str]:
    """month -> the rubric its active run was scored under, as history shows it (id@version)."""
    wanted = {str(m) for m in months}
    found = {
        r["month"]: f"{r['rubric_id']}@{r['rubric_version']}"
        for r in store.runs()
        if r["status"] == "active" and r["month"] in wanted
    }
    return dict(sorted(found.items()))


def _check_survey_option(rubric: Rubric, survey: Path | None) -> None:
    rule = rubric.period.survey
    if rule is not None and survey is None:
        raise UsageError(
            f"rubric {rubric.id}'s [period] rule weighs a survey ({rule.weight:.0%}, table "
            f"{rule.table}, column {rule.column}); give the survey file with --survey FILE"
        )
    if rule is None and survey is not None:
        raise UsageError(
            f"rubric {rubric.id} has no survey in its [period] rule, so --survey would be ignored; "
            'add [period] survey = { weight = 0.4, table = "survey", column = "score" } '
            "(and monthly_weight) to the rubric, or drop --survey"
        )


def run_period(
    *,
    first: Month,
    last: Month,
    rubric: str | Path | Rubric | None = None,
    survey: str | Path | None = None,
    db: str | Path | None = None,
    out_dir: Path | None = None,
    lang: str | None = None,
    aliases_file: Path | None = None,
    limits: Any = None,
    spool_dir: str | None = None,
    reader: str | None = None,
    lock_timeout: float = LOCK_TIMEOUT,
) -> PeriodRun:
    """The period ``first``..``last`` from the stored months under ``rubric``'s ``[period]`` rule
    and grade bands (default: the rubric the last stored month of the period was scored under);
    write ``period.xlsx`` and ``period.html`` into ``out_dir``, labelled in ``lang`` (default: the
    rubric's language). The store is only read."""
    from svcqa.history import HistoryStore, resolve_db_path
    from svcqa.jobs.whatif import months_in_range
    from svcqa.render.period import write_period_html, write_period_xlsx

    survey_path = Path(survey) if survey is not None else None
    with HistoryStore(resolve_db_path(db), lock_timeout=lock_timeout, read_only=True) as store:
        months = months_in_range(store.months(), first, last)
        if rubric is None:
            info = store.run_info(months[-1])
            chosen = load_rubric_text(info["rubric_source"], origin=f"stored:{months[-1]}")
        else:
            chosen = load_rubric(rubric)
        _check_survey_option(chosen, survey_path)
        results = store.trend()
        rubrics = _stored_rubrics(store, months)
    findings: list[Finding] = []
    scores: dict[str, Any] = {}
    if survey_path is not None and chosen.period.survey is not None:
        rule = chosen.period.survey
        reading = {"limits": limits, "spool_dir": spool_dir, "reader": reader}
        frame, findings = _read_survey(survey_path, chosen, last, aliases_file, reading)
        scores, invalid = survey_scores(frame, rule.column, rule.scale_max)
        findings += invalid
    card = period_scorecard(
        results, [str(m) for m in months], chosen, survey=scores, rubrics=rubrics
    )
    card.first, card.last = str(first), str(last)
    card.rubric = f"{chosen.id}@{chosen.sha256[:8]}"
    card.findings = findings + card.findings
    card.notes = _notes(first, last, months, rubrics)
    lang = output_language(lang, chosen.language)
    shown = _in_language(card, chosen, lang)
    target = month_folder(f"{first}..{last}", out_dir, "period")
    outputs = {
        "period_xlsx": write_period_xlsx(shown, target / "period.xlsx", lang=lang),
        "period_html": write_period_html(shown, target / "period.html", lang=lang),
    }
    return PeriodRun(card, outputs, list(card.notes), lang, shown)


def _in_language(card: PeriodScorecard, rubric: Any, lang: str) -> PeriodScorecard:
    """The card as outputs in ``lang`` show it: its rule in words of ``lang``, and in English
    the grades by the rubric's English names (where it gives them)."""
    rows = card.rows
    if lang == "en":
        rows = [replace(row, grade=rubric.english.grade(row.grade)) for row in rows]
    rule = {**card.rule, "text": period_rule_text(card.rule, lang)}
    return replace(card, rule=rule, rows=rows)


def _notes(first: Month, last: Month, months: list[Month], rubrics: dict[str, str]) -> list[str]:
    notes = []
    unstored = [str(m) for m in _calendar(first, last) if m not in months]
    if unstored:
        notes.append(
            f"months of the period not in the history store: {', '.join(unstored)}; the period "
            "covers the stored months only (score the others to include them)"
        )
    if len(set(rubrics.values())) > 1:
        listed = ", ".join(f"{m} {r}" for m, r in sorted(rubrics.items()))
        notes.append(f"the months in the period were scored under different rubrics: {listed}")
    return notes


__all__ = ["PeriodRun", "run_period"]
