"""Errors that stop a run. Per-row problems are *findings* (see ``svcqa.models.Finding``), never these.

Every message names what was wrong and how to fix it; the CLI prints it on one line and exits
with ``exit_code``. No traceback unless ``--debug``.
"""

from __future__ import annotations


class SvcqaError(Exception):
    """A problem that stops the run; the message tells the user the fix."""

    exit_code = 1
    code = "error"

    def __init__(self, message: str, *, code: str | None = None, reasons: list[str] | None = None):
        super().__init__(message)
        if code is not None:
            self.code = code
        self.reasons = list(reasons or [])

    def __str__(self) -> str:
        text = super().__str__()
        if self.reasons:
            text += "".join(f"\n  - {reason}" for reason in self.reasons)
        return text


class InputError(SvcqaError):
    """An input file, sheet or column cannot be used (not a workbook, encrypted, missing table...)."""

    code = "input"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        file: str | None = None,
        sheet: str | None = None,
        column: str | None = None,
        reasons: list[str] | None = None,
    ):
        where = ", ".join(
            part
            for part in (
                f"file {file}" if file else "",
                f"sheet {sheet!r}" if sheet else "",
                f"column {column!r}" if column else "",
            )
            if part
        )
        super().__init__(f"{where}: {message}" if where else message, code=code, reasons=reasons)
        self.file, self.sheet, self.column = file, sheet, column


class LimitExceeded(InputError):
    """An input is larger than a configured safety limit (size, rows, cells, sheets)."""

    code = "too-large"


class RubricError(SvcqaError):
    """A rubric file is invalid; ``reasons`` lists every problem found, not just the first."""

    code = "rubric"


class HistoryError(SvcqaError):
    """The history store cannot be opened, is locked, or has a newer schema."""

    code = "history"


class OutputError(SvcqaError):
    """An output cannot be written (read-only folder, disk full, file locked)."""

    code = "output"


class NotFound(SvcqaError):
    """A month, branch or form asked for does not exist in the history store."""

    code = "not-found"


class UsageError(SvcqaError):
    """The command line asks for something impossible (exit code 2)."""

    exit_code = 2
    code = "usage"
