"""Rectification forms (整改报告): the pre-filled form, its files, and checking a returned one.

``form`` builds the form model, ``issue`` decides who must rectify, why and by when, ``xlsx``
writes the fillable workbook and reads it back, ``document`` writes HTML and DOCX, ``collect``
checks a returned workbook against the form as issued. Nothing here opens the history store:
``svcqa.jobs.rectify`` does, and calls these.
"""

from __future__ import annotations

from svcqa.rectify.form import (
    Drop,
    FollowUp,
    FormGroup,
    PlanRow,
    RectifyForm,
    build_form,
    follow_ups,
    kpi_improved,
    kpi_target,
    target_text,
)
from svcqa.rectify.issue import (
    FORMATS,
    due_date,
    form_id,
    parse_form_formats,
    reason_text,
    rectification_reasons,
)

__all__ = [
    "FORMATS",
    "Drop",
    "FollowUp",
    "FormGroup",
    "PlanRow",
    "RectifyForm",
    "build_form",
    "due_date",
    "follow_ups",
    "form_id",
    "kpi_improved",
    "kpi_target",
    "parse_form_formats",
    "reason_text",
    "rectification_reasons",
    "target_text",
]
