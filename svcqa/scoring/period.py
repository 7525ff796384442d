"""A period scorecard (quarter, half-year, year) from the stored monthly totals: pure, no store.

Per branch: each month of the period with its total and status (``assessed``; ``grace``: scored
but not assessed, e.g. a newly signed branch; ``missing``: no result that month), the mean of
the assessed months, the survey score when the rubric's ``[period]`` rule weighs one in, and::

    score = round_half_up(monthly_weight x mean + survey.weight x survey x 100 / scale_max)

rounded once, half up to the hundredth like every scorecard figure (the mean itself is not
rounded first). Months in grace or missing are listed, never counted as zero. A branch with no
assessed month, or without a survey score when the rule asks for one, gets no score, no rank
and no grade, and says why in its flags. Ranks are competition ranks (1, 2, 2, 4) by score;
grades come from the rubric's bands.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from svcqa.models import Finding
from svcqa.rubric.model import Rubric
from svcqa.scoring.curves import round_half_up
from svcqa.scoring.ranking import ranks

# Flags of a period row (codes; the renderers label them).
PERIOD_FLAGS = ("last_place", "missing_months", "grace_months", "not_assessed", "no_survey")


@dataclass(frozen=True)
class SurveyScore:
    """A branch's survey score as read (``value``) and where it was read."""

    value: float
    file: str = ""
    sheet: str = ""
    row: int | None = None
    name: str = ""  # the branch as the survey spells it


@dataclass
class PeriodRow:
    """One branch over the period."""

    branch: str
    branch_key: str
    months: list[dict[str, Any]]  # {month, total, status}, in month order
    missing: list[str]
    monthly_mean: float | None  # rounded half up to 2 decimals, for display
    survey: float | None  # the survey score as read (on its own scale)
    score: float | None
    rank: int | None = None
    grade: str | None = None
    flags: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "branch": self.branch,
            "branch_key": self.branch_key,
            "score": self.score,
            "rank": self.rank,
            "grade": self.grade,
            "monthly_mean": self.monthly_mean,
            "survey": self.survey,
            "months": self.months,
            "missing": self.missing,
            "flags": self.flags,
        }


@dataclass
class PeriodScorecard:
    """The period: its months, the rule, every branch (best first) and the findings."""

    first: str
    last: str
    months: list[str]  # the stored months of the period
    rule: dict[str, Any]
    rubric: str  # the rubric whose rule and grades were used: id@version
    rubrics: dict[str, str]  # month -> the rubric it was scored under (id@version)
    rows: list[PeriodRow]
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def document(self) -> dict[str, Any]:
        """What ``svcqa period --format json`` prints."""
        return {
            "from": self.first,
            "to": self.last,
            "months": self.months,
            "rule": self.rule,
            "rubric": self.rubric,
            "rubrics": self.rubrics,
            "notes": self.notes,
            "branches": [row.as_dict() for row in self.rows],
            "findings": [f.as_dict() for f in self.findings],
        }


def _monthly(results: pd.DataFrame, months: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
    """branch_key -> its months in order: {month, total, status}."""
    frame = results.loc[results["month"].isin(months)]
    out: dict[str, list[dict[str, Any]]] = {}
    for key, group in frame.groupby("branch_key", sort=False):
        stored = {
            str(m): (float(t), bool(a))
            for m, t, a in zip(group["month"], group["total"], group["assessed"])
        }
        out[str(key)] = [
            {"month": m, "total": stored[m][0], "status": "assessed" if stored[m][1] else "grace"}
            if m in stored
            else {"month": m, "total": None, "status": "missing"}
            for m in months
        ]
    return out


def _names(results: pd.DataFrame) -> dict[str, str]:
    """branch_key -> its display name in the latest month it appears."""
    latest = results.sort_values("month", kind="stable").drop_duplicates("branch_key", keep="last")
    return dict(zip(latest["branch_key"].astype(str), latest["branch"].astype(str)))


def period_scorecard(
    results: pd.DataFrame,
    months: Sequence[str],
    rubric: Rubric,
    *,
    survey: Mapping[str, SurveyScore] | None = None,
    rubrics: Mapping[str, str] | None = None,
) -> PeriodScorecard:
    """The period over ``months`` ("YYYY-MM", ascending) from ``results``: one row per branch and
    stored month with ``month``, ``branch_key``, ``branch``, ``total``, ``assessed``. ``survey``
    maps branch_key to its survey score (needed when the rubric's rule has a survey)."""
    rule = rubric.period
    monthly = _monthly(results, months)
    names = _names(results.loc[results["month"].isin(months)])
    findings: list[Finding] = []
    rows: list[PeriodRow] = []
    for key, entries in monthly.items():
        totals = [e["total"] for e in entries if e["status"] == "assessed"]
        mean = float(np.mean(totals)) if totals else None
        row = PeriodRow(
            branch=names.get(key, key),
            branch_key=key,
            months=entries,
            missing=[e["month"] for e in entries if e["status"] == "missing"],
            monthly_mean=round_half_up(mean) if mean is not None else None,
            survey=None,
            score=None,
        )
        row.flags += ["missing_months"] * bool(row.missing)
        row.flags += ["grace_months"] * any(e["status"] == "grace" for e in entries)
        blend = rule.monthly_weight * mean if mean is not None else None
        if rule.survey is not None:
            found = (survey or {}).get(key)
            row.survey = found.value if found is not None else None
            if found is None and mean is not None:
                row.flags.append("no_survey")
                findings.append(
                    Finding(
                        "survey-missing",
                        f"{row.branch} has no score in the survey: no period score, rank or grade "
                        "(the survey weighs "
                        f"{rule.survey.weight:.0%}); add its row to the survey file and rerun",
                        table=rule.survey.table,
                    )
                )
                blend = None
            elif blend is not None and found is not None:
                blend += rule.survey.weight * found.value * 100.0 / rule.survey.scale_max
        if mean is None:
            row.flags.append("not_assessed")
        row.score = round_half_up(blend) if blend is not None else None
        rows.append(row)
    if rule.survey is not None:
        findings += _unknown_survey_rows(survey or {}, set(monthly), rule.survey.table)
    _rank_and_grade(rows, rubric)
    return PeriodScorecard(
        first=months[0],
        last=months[-1],
        months=list(months),
        rule=rule.as_dict(),
        rubric="",
        rubrics=dict(rubrics or {}),
        rows=rows,
        findings=findings,
    )


def survey_scores(
    frame: pd.DataFrame | None, column: str, scale_max: float
) -> tuple[dict[str, SurveyScore], list[Finding]]:
    """branch_key -> survey score from the ingested survey table (used rows only; ingest has
    rejected unreadable numbers and repeated branches). A blank score, or one outside 0 to
    ``scale_max``, is left out with a finding (the branch then has no survey score)."""
    if frame is None or frame.empty or column not in frame.columns:
        return {}, []
    values = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype="float64")
    bad = np.isnan(values) | (values < 0) | (values > scale_max)
    names = frame["branch"] if "branch" in frame.columns else frame["branch_key"]
    where = frame[["branch_key", "_file", "_sheet", "_row"]].assign(name=names).to_numpy(object)
    scores = {
        str(k): SurveyScore(float(v), str(f), str(s), int(r), str(n))
        for (k, f, s, r, n), v in zip(where[~bad], values[~bad])
    }
    findings = [
        Finding(
            "survey-score-invalid",
            f"survey score {'blank' if np.isnan(v) else f'{v:g}'} is not a number from 0 to "
            f"{scale_max:g} (the rule's scale_max); the row is not used: fix the score",
            file=str(f),
            sheet=str(s),
            row=int(r),
            column=column,
            value="" if np.isnan(v) else f"{v:g}",
        )
        for (_k, f, s, r, _n), v in zip(where[bad], values[bad])
    ]
    return scores, findings


def _unknown_survey_rows(
    survey: Mapping[str, SurveyScore], known: set[str], table: str
) -> list[Finding]:
    return [
        Finding(
            "survey-unknown-branch",
            f"survey row for {s.name or key!r} matches no branch scored in the period; it is not used. "
            "Fix the branch name in the survey file",
            table=table,
            file=s.file,
            sheet=s.sheet,
            row=s.row,
            column="branch",
            value=s.name or key,
        )
        for key, s in survey.items()
        if key not in known
    ]


def _rank_and_grade(rows: list[PeriodRow], rubric: Rubric) -> None:
    """Competition ranks by score among scored branches, grades by the rubric's bands, last
    place flagged (when someone is ahead), rows sorted best first (unscored last, by name)."""
    scored = np.array([r.score is not None for r in rows], dtype=bool)
    scores = np.array([r.score if r.score is not None else 0.0 for r in rows], dtype=float)
    ranked = ranks(scores, scored)
    worst = int(ranked[scored].max()) if scored.any() else 0
    for row, rank, has in zip(rows, ranked, scored):
        if not has:
            continue
        row.rank = int(rank)
        row.grade = rubric.grade_for(float(row.score or 0.0)).name
        if row.rank == worst and worst > 1:
            row.flags.insert(0, "last_place")
    rows.sort(key=lambda r: (r.rank is None, r.rank or 0, r.branch, r.branch_key))


__all__ = [
    "PERIOD_FLAGS",
    "PeriodRow",
    "PeriodScorecard",
    "SurveyScore",
    "period_scorecard",
    "survey_scores",
]
