"""Problems of a returned rectification form (整改报告): the form is not recorded."""

from __future__ import annotations

from svcqa.findings.kinds import FindingType, form_problem_type

FORM_TYPES: tuple[FindingType, ...] = (
    # ------------------------------------------------------------ returned rectification forms
    form_problem_type(
        "missing-file",
        "Form file not found",
        "A path given to svcqa rectify collect is not a file. Give the path of a filled-in .xlsx form.",
    ),
    form_problem_type(
        "not-a-form",
        "Not an svcqa form",
        "The file cannot be read as an XLSX workbook, or has no svcqa metadata sheet. Collect the "
        ".xlsx forms written by svcqa rectify, not copies re-saved in another format.",
    ),
    form_problem_type(
        "unsafe-file",
        "Form fails the safety checks",
        "The returned file fails the size, zip or XML guards applied to all untrusted input. "
        "Open it in Excel/WPS and save a copy, or issue the form again.",
    ),
    form_problem_type(
        "unknown-form",
        "Form was not issued from this store",
        "The form's id was not issued from the history store given. Collect it with the --db it "
        "was issued from, or issue the form again with svcqa rectify.",
    ),
    form_problem_type(
        "bad-metadata",
        "Form metadata changed",
        "The form's branch or month does not match the issued form. Use the file as issued.",
    ),
    form_problem_type(
        "missing-sheet",
        "Form sheet missing",
        "The form's main sheet was renamed or deleted. Use the file as issued.",
    ),
    form_problem_type(
        "locked-cell-edited",
        "Cell outside the input cells changed",
        "A cell other than the yellow input cells differs from the issued form (rows inserted or "
        "deleted, or a locked value overwritten). Fill in only the yellow cells of the form as issued.",
    ),
    form_problem_type(
        "missing-problem",
        "Problem (问题) empty",
        "A measure row in section 4 has no 问题 (problem). The code is built from the field name "
        "(missing-<field>). Fill it in.",
        pattern="missing-<field>",
    ),
    form_problem_type(
        "missing-measure",
        "Measure (整改措施) empty",
        "A row in section 4 has no 整改措施 (measure). The code is built from the field name "
        "(missing-<field>). Fill it in.",
        pattern="missing-<field>",
    ),
    form_problem_type(
        "missing-owner",
        "Owner (责任人) empty",
        "A row in section 4 has no 责任人 (owner). The code is built from the field name "
        "(missing-<field>). Fill it in.",
        pattern="missing-<field>",
    ),
    form_problem_type(
        "missing-deadline",
        "Deadline (完成时限) empty",
        "A row in section 4 has no 完成时限 (deadline). The code is built from the field name "
        "(missing-<field>). Fill it in.",
        pattern="missing-<field>",
    ),
    form_problem_type(
        "formula-in-cell",
        "Formula in a text cell",
        "A 问题, 整改措施 or 责任人 cell in section 4 holds a formula (it may show as "
        "empty, or as the formula's last result). Type the text itself; formulas are not accepted "
        "there.",
    ),
    form_problem_type(
        "bad-deadline",
        "Deadline is not a date",
        "A 完成时限 cell is not a date. Enter a date after the assessed month.",
    ),
    form_problem_type(
        "early-deadline",
        "Deadline within the assessed month",
        "A 完成时限 is not after the end of the assessed month. Give a later date.",
    ),
    form_problem_type(
        "bad-target",
        "Target value is not a number",
        "A target value is not a number. Enter a number such as 0.03, 3% or 4.5.",
    ),
)  # fmt: skip
