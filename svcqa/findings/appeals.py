"""The finding codes of returned appeal forms (申诉表), registered in ``svcqa.findings`` . The problems an appeal form shares
with a rectification form (not-a-form, bad-metadata, locked-cell-edited, formula-in-cell ...) are
registered there once. Standard library only.
"""

from __future__ import annotations

from svcqa.findings.kinds import FindingType

_AFTER = " A form with any problem gives no appeal; fix it and collect it again."


def appeal_form_type(code: str, title: str, description: str) -> FindingType:
    return FindingType(code, "reject", title, description + _AFTER, "error", "")


APPEAL_FORM_TYPES = (
    appeal_form_type(
        "missing-appeal-reason",
        "Appeal without a reason",
        "A row of an appeal form (申诉表) is marked 申诉 = 是 (yes) but its 申诉理由 (reason) is "
        "empty. Say why the row should not count, or set 申诉 to 否.",
    ),
    appeal_form_type(
        "bad-appeal-choice",
        "Appeal choice is not yes or no",
        "The 申诉 (appeal) cell of an appeal form row holds something other than 是/否 (yes/no). "
        "Choose 是 or 否 from the cell's list.",
    ),
    appeal_form_type(
        "unmarked-appeal",
        "Reason given but the row is not appealed",
        "An appeal form row has a 申诉理由 (reason) while 申诉 is not 是 (yes); an appeal is never "
        "guessed. Choose 是 to appeal the row, or clear the reason.",
    ),
)


APPEAL_WITHDRAWN = FindingType(
    "appeal-withdrawn",
    "exclude",
    "Row withdrawn by an accepted appeal (申诉)",
    "A branch appealed the row and the analyst accepted: `svcqa appeal apply` re-scored the month "
    "without it. The reason cites the decision (who, why); `svcqa appeal status` lists it. Nothing "
    "to fix; a later decision rejecting the appeal brings the row back at the next apply.",
    "info",
)
