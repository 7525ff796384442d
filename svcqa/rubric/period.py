"""The rubric's ``[period]`` rule: how a quarter, half-year or year is scored from the months.

By default the period score is the mean of the monthly totals of the months a branch was
assessed in. A rule may blend in a customer-satisfaction survey, as China Unicom does (seed 000:
satisfaction 40 %, the monthly score 60 %)::

    [period]
    monthly_weight = 0.6
    survey = { weight = 0.4, table = "survey", column = "score", scale_max = 100 }

score = survey.weight x (survey score x 100 / scale_max) + monthly_weight x monthly mean.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import svcqa.rubric.spec as spec
from svcqa.rubric.problems import Problems, is_number, read_section, unknown_keys
from svcqa.schema import TABLES

SURVEY_KEYS = ("weight", "table", "column", "scale_max")


@dataclass(frozen=True)
class SurveyRule:
    """Where the survey score is read (a table and number column, read from ``--survey``) and
    its weight; ``scale_max`` is the best score on the survey's scale (rescaled to 100)."""

    weight: float
    table: str = "survey"
    column: str = "score"
    scale_max: float = 100.0


@dataclass(frozen=True)
class PeriodRule:
    """The weight of the mean monthly total and the optional survey (weights sum to 1)."""

    monthly_weight: float = 1.0
    survey: SurveyRule | None = None

    def describe(self) -> str:
        if self.survey is None:
            return "mean of the assessed months"
        s = self.survey
        return (
            f"{s.weight:g} x survey ({s.table}.{s.column}, scale {s.scale_max:g}) "
            f"+ {self.monthly_weight:g} x mean of the assessed months"
        )

    def as_dict(self) -> dict[str, Any]:
        survey = None
        if self.survey is not None:
            s = self.survey
            survey = {
                "weight": s.weight,
                "table": s.table,
                "column": s.column,
                "scale_max": s.scale_max,
            }
        return {"monthly_weight": self.monthly_weight, "survey": survey, "text": self.describe()}


def _weight(value: Any, path: tuple[Any, ...], problems: Problems) -> float | None:
    if not is_number(value) or not 0 <= value <= 1:
        problems.add(path, f"must be a number from 0 to 1 (e.g. 0.4 for 40 %), found {value!r}")
        return None
    return float(value)


def _column_type(known_columns: Any, table: str, column: str) -> str | None:
    typed = getattr(known_columns, "type", None)  # KnownColumns knows the declared types
    return typed(table, column) if callable(typed) else None


def _survey(
    raw: Any, known_columns: Callable[[str], set[str]], problems: Problems
) -> SurveyRule | None:
    path = ("period", "survey")
    if not isinstance(raw, dict):
        problems.add(path, 'must be a table: { weight = 0.4, table = "survey", column = "score" }')
        return None
    unknown_keys(raw, set(SURVEY_KEYS), path, problems)
    if "weight" not in raw:
        problems.add(path + ("weight",), "is missing; give the survey's weight, e.g. 0.4")
    weight = _weight(raw.get("weight"), path + ("weight",), problems) if "weight" in raw else None
    table, column = raw.get("table", "survey"), raw.get("column", "score")
    ok = weight is not None
    if not isinstance(table, str) or table not in TABLES:
        problems.add(path + ("table",), f"unknown table {table!r}; known: {', '.join(TABLES)}")
        ok = False
    elif not isinstance(column, str) or column not in known_columns(table):
        problems.add(
            path + ("column",),
            f"unknown column {column!r} of table {table}; declare it under [columns.{table}.NAME]",
        )
        ok = False
    elif _column_type(known_columns, table, column) not in (None, "number"):
        problems.add(path + ("column",), f"{table}.{column} must be a number column")
        ok = False
    scale_max = raw.get("scale_max", 100)
    if not is_number(scale_max) or scale_max <= 0:
        problems.add(path + ("scale_max",), f"must be a number above 0, found {scale_max!r}")
        ok = False
    if not ok or weight is None:
        return None
    return SurveyRule(weight, table, column, float(scale_max))


def read_period(
    doc: dict[str, Any], known_columns: Callable[[str], set[str]], problems: Problems
) -> PeriodRule:
    """The ``[period]`` section (absent: the plain mean of the assessed months)."""
    section = read_section(doc, "period", (), problems)
    unknown_keys(section, spec.section("[period]").key_names, ("period",), problems)
    survey = _survey(section["survey"], known_columns, problems) if "survey" in section else None
    default = 1.0 - survey.weight if survey is not None else 1.0
    monthly: float | None = default
    if "monthly_weight" in section:
        monthly = _weight(section["monthly_weight"], ("period", "monthly_weight"), problems)
    if monthly is None:
        return PeriodRule()
    if "survey" in section and survey is None:
        return PeriodRule()
    total = monthly + (survey.weight if survey is not None else 0.0)
    if not math.isclose(total, 1.0, abs_tol=1e-9):
        where = ("period", "monthly_weight") if "monthly_weight" in section else ("period",)
        problems.add(
            where,
            f"the weights add up to {total:g} (monthly_weight {monthly:g}"
            + (f" + survey.weight {survey.weight:g}" if survey is not None else "")
            + "); make them add up to 1",
        )
        return PeriodRule()
    return PeriodRule(monthly, survey)


__all__ = ["PeriodRule", "SurveyRule", "read_period"]
