"""svcqa: monthly service-quality scorecards for telecom branches and after-sales providers.

A library first; ``svcqa.cli`` is a thin Typer shell over the names below. They load on first
use (PEP 562), so ``import svcqa`` costs nothing and a command starts its workbook reader
before pandas is imported::

    import svcqa
    run = svcqa.run_score(["sample_data/2026-10.xlsx"], db="svcqa.db")
    print(run.scorecard.branches[0].branch, run.scorecard.branches[0].total)

The layers and who may import whom: docs/DESIGN.md.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

# public name -> the module that defines it ("module:name" where the public name differs: the
# function ``svcqa.ingest.ingest`` would be shadowed by the subpackage ``svcqa.ingest``)
_API = {
    # errors and values
    "SvcqaError": "svcqa.errors",
    "InputError": "svcqa.errors",
    "UsageError": "svcqa.errors",
    "Month": "svcqa.models",
    "as_of_text": "svcqa.models",
    "parse_as_of": "svcqa.models",
    "MonthData": "svcqa.models",
    "Scorecard": "svcqa.models",
    "BranchResult": "svcqa.models",
    "KpiResult": "svcqa.models",
    "Finding": "svcqa.models",
    "branch_key": "svcqa.models",
    "Settings": "svcqa.settings",
    # files -> tables
    "ingest_month": "svcqa.ingest:ingest",
    "Limits": "svcqa.ingest",
    "load_alias_file": "svcqa.ingest",
    # rubrics and scoring
    "load_rubric": "svcqa.rubric",
    "load_rubric_text": "svcqa.rubric",
    "presets_document": "svcqa.rubric",
    "check_rubric": "svcqa.rubric:check_document",
    "score_month": "svcqa.scoring",
    "in_language": "svcqa.models",
    # history
    "HistoryStore": "svcqa.history",
    "resolve_db_path": "svcqa.history",
    "trend_records": "svcqa.history.queries",
    "trend_grid": "svcqa.history.queries",
    "runs_records": "svcqa.history.queries",
    "rubric_changes": "svcqa.history.queries",
    "rubric_language": "svcqa.history.queries",
    # outputs
    "scorecard_document": "svcqa.render.scorecard",
    "scorecard_rows": "svcqa.render.scorecard",
    "write_branch_reports": "svcqa.render.report",
    "build_branch_view": "svcqa.render.report",
    "flags_text": "svcqa.labels",
    "trend_arrow": "svcqa.labels",
    "terminal_labels": "svcqa.labels",
    "WHATIF_LABELS": "svcqa.labels",
    "output_language": "svcqa.labels",
    "csv_safe": "svcqa.output",
    "write_csv": "svcqa.output",
    # jobs: files, store and renderers together
    "run_score": "svcqa.jobs.score",
    "ScoreRun": "svcqa.jobs.score",
    "run_check": "svcqa.jobs.check",
    "CheckRun": "svcqa.jobs.check",
    "excluded_summary": "svcqa.ingest.check",
    "write_reports": "svcqa.jobs.reports:reports_from_store",
    "parse_formats": "svcqa.render.report",
    "issue_forms": "svcqa.jobs.rectify",
    "collect_forms": "svcqa.jobs.rectify",
    "form_status": "svcqa.jobs.rectify",
    "parse_form_formats": "svcqa.rectify",
    "run_whatif": "svcqa.jobs.whatif",
    "AppealRequest": "svcqa.models",
    "AppealDecision": "svcqa.models",
    "file_appeals": "svcqa.jobs.appeals",
    "decide_appeals": "svcqa.jobs.appeals",
    "read_decisions": "svcqa.jobs.appeals",
    "apply_appeals": "svcqa.jobs.appeals",
    "appeal_status": "svcqa.jobs.appeals",
    "appeal_run_marks": "svcqa.history.appeals:run_marks",
    "init_rubric": "svcqa.jobs.rubric_init",
    "WhatIfRun": "svcqa.jobs.whatif",
    # appeals (申诉): the forms, reading them back, the bulletin
    "issue_appeal_forms": "svcqa.jobs.appeal_forms",
    "collect_appeal_forms": "svcqa.jobs.appeal_forms",
    "appeal_bulletin": "svcqa.jobs.appeal_forms",
    "read_appeal_forms": "svcqa.appeals.collect",
    "AppealCollection": "svcqa.appeals.collect",
    "write_bulletin": "svcqa.jobs.appeal_forms",
    "run_period": "svcqa.jobs.period",
    "PeriodRun": "svcqa.jobs.period",
    "period_header": "svcqa.render.period:header",
    "period_row_cells": "svcqa.render.period:row_cells",
    # the sample generator and the command line's process set-up
    "write_sample_month": "svcqa.sample",
    "reuse_freed_memory": "svcqa.runtime.allocator",
}

__all__ = ["__version__", *sorted(_API)]


def __getattr__(name: str) -> Any:
    if name not in _API:
        raise AttributeError(f"module 'svcqa' has no attribute {name!r}")
    module, _, attribute = _API[name].partition(":")
    value = getattr(import_module(module), attribute or name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return __all__
