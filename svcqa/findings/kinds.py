"""The kinds and severities of findings, ``FindingType`` and its constructors: what every
module of the registry (``svcqa.findings``) is made of.

Standard library only: importable without pandas.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["reject", "exclude", "note", "error"]
Severity = Literal["error", "warning", "info"]

KINDS: dict[str, str] = {
    "reject": "an input row that is not used (listed in rejects.xlsx/csv), or a returned "
    "rectification form that is not recorded (`svcqa rectify collect`)",
    "exclude": "an input row that is valid but outside the assessed month (listed in "
    "excluded.csv and on rejects.xlsx's excluded sheet, not counted as rejected)",
    "note": "a finding on the run, not on a row: shown by `svcqa check`/`score` and stored "
    "with the run; the run goes on",
    "error": "stops the run (exit 1; `usage` exits 2); the message names the file, sheet "
    "or column and the fix",
}
SEVERITIES = ("error", "warning", "info")


@dataclass(frozen=True)
class FindingType:
    """One finding code: what it is (``kind``), how bad (``severity``), and what to do.

    ``pattern`` is set on codes that are built at run time from a name rather than written out
    (``"unknown-" + column``): every concrete code the pattern yields today is registered.
    """

    code: str
    kind: Kind
    title: str
    description: str
    severity: Severity
    pattern: str = ""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"finding {self.code}: kind {self.kind!r} is not one of {list(KINDS)}")
        if self.severity not in SEVERITIES:
            raise ValueError(
                f"finding {self.code}: severity {self.severity!r} is not one of {SEVERITIES}"
            )


# Constructors the registry is written with, one per kind.


def registry(*items: FindingType) -> dict[str, FindingType]:
    registry: dict[str, FindingType] = {}
    for item in items:
        if item.code in registry:
            raise ValueError(f"finding code {item.code!r} is registered twice")
        registry[item.code] = item
    return registry


def reject_type(code: str, title: str, description: str, pattern: str = "") -> FindingType:
    return FindingType(code, "reject", title, description, "warning", pattern)


def form_problem_type(code: str, title: str, description: str, pattern: str = "") -> FindingType:
    return FindingType(
        code,
        "reject",
        title,
        description
        + " A form with any problem records nothing; fix it and run `svcqa rectify collect` again.",
        "error",
        pattern,
    )


def note_type(code: str, title: str, description: str, severity: Severity = "info") -> FindingType:
    return FindingType(code, "note", title, description, severity)


def error_type(code: str, title: str, description: str) -> FindingType:
    return FindingType(code, "error", title, description, "error")
