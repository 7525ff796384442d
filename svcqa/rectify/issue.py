"""Which branches must rectify and why, when their forms are due, and in which file formats.

Pure decisions over a scored month (no store, no files): ``svcqa.jobs.rectify`` asks these
questions while it issues forms, and ``svcqa.rectify.form`` writes the answers on the form.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import date, datetime

from svcqa.errors import UsageError
from svcqa.labels import FORM_LABELS, flag_label, flags_text
from svcqa.models import BranchResult, Month
from svcqa.render.formats import DASH

FORMATS = ("xlsx", "html", "docx")
REASON_FLAGS = ("last_place", "rectification_required", "contract_review")


def rectification_reasons(branch: BranchResult) -> tuple[str, ...]:
    """The flags that require a form (last place, failing grade, contract review); empty if none."""
    return tuple(f for f in REASON_FLAGS if f in branch.flags)


def reason_text(
    reasons: Sequence[str], grade: str | None, lang: str = "zh", *, failing: bool = False
) -> str:
    """Why the form is required, in words: 末位 / 等级“不合格” / 协议清算评估 (as the report's callouts).

    ``failing``: the grade is one the rubric requires rectification for, so a branch both last
    and failing is told both."""
    parts = []
    for r in reasons:
        if r == "rectification_required":
            if failing or "last_place" not in reasons:
                parts.append(
                    f"等级“{grade or DASH}”" if lang == "zh" else f"graded {grade or DASH}"
                )
        elif r == "requested":
            parts.append(FORM_LABELS[lang]["requested"])
        else:
            parts.append(flag_label(r, lang))
    return ("、" if lang == "zh" else ", ").join(parts)


def status_reason_text(reasons: Sequence[str]) -> str:
    """The reasons of an issued form as ``rectify status`` lists them (in Chinese, as recorded)."""
    if list(reasons) == ["requested"]:
        return FORM_LABELS["zh"]["requested"]
    return flags_text(list(reasons), "zh")


def due_date(month: Month) -> date:
    """Filled forms are due on the 5th of the next month (as the report's callout says)."""
    return month.next().first_day.replace(day=5)


def form_id(branch_key: str, month: Month, issued_at: datetime) -> str:
    """A stable id for an issued form: the branch's form of a month issued at the same time gets the same id."""
    text = f"{branch_key}|{month}|{issued_at.isoformat()}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


def parse_form_formats(text: str) -> tuple[str, ...]:
    """``"xlsx,html"`` -> ("xlsx", "html"); UsageError for anything else."""
    formats = tuple(dict.fromkeys(part.strip().lower() for part in text.split(",") if part.strip()))
    bad = [f for f in formats if f not in FORMATS]
    if bad or not formats:
        raise UsageError(f"--format takes xlsx, html and/or docx separated by commas, not {text!r}")
    return formats


def check_form_formats(formats: Sequence[str]) -> None:
    """UsageError unless ``formats`` is a non-empty choice among ``FORMATS`` (library callers)."""
    bad = [f for f in formats if f not in FORMATS]
    if bad or not formats:
        raise UsageError(
            f"form formats must be some of {', '.join(FORMATS)}, not {', '.join(bad) or 'nothing'}"
        )
