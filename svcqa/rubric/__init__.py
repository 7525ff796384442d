"""Rubrics: scoring schemes as data (TOML), validated into frozen objects.

    from svcqa.rubric import load_rubric, list_presets, check_rubric_file, DEFAULT_RUBRIC
    rubric = load_rubric("gd-mobile-aftersales")      # a preset id, or a path to a .toml file

Presets live in ``svcqa/rubric/presets/``; ``svcqa rubric show ID --format toml`` prints one so
a user can copy and edit it. Loading never executes code: ``tomllib`` only. A rubric says what
to measure and how it scores; ``svcqa.scoring`` computes it (and never the other way round).
"""

from __future__ import annotations

from svcqa.errors import RubricError
from svcqa.rubric.loader import (
    DEFAULT_RUBRIC,
    check_document,
    check_rubric_file,
    list_presets,
    load_rubric,
    load_rubric_text,
    preset_ids,
    presets_document,
)
from svcqa.rubric.model import (
    CURVE_KINDS,
    METRIC_KINDS,
    Appeals,
    Curve,
    Grade,
    Incentives,
    Kpi,
    Metric,
    Rubric,
    VetoRule,
)

__all__ = [
    "Appeals",
    "CURVE_KINDS",
    "DEFAULT_RUBRIC",
    "METRIC_KINDS",
    "Curve",
    "Grade",
    "Incentives",
    "Kpi",
    "Metric",
    "Rubric",
    "RubricError",
    "VetoRule",
    "check_document",
    "check_rubric_file",
    "list_presets",
    "load_rubric",
    "load_rubric_text",
    "preset_ids",
    "presets_document",
]
