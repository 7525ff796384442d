"""Which sheet is which table: by sheet name (CSV: file name), else by its headers; the header row
found with the aliases; the sheets kept per table, and the errors for a missing table or column.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from svcqa.errors import InputError
from svcqa.ingest.aliases import TableSpec
from svcqa.ingest.header import SCAN_ROWS, HeaderMatch, find_header
from svcqa.ingest.raw import RawSheet
from svcqa.models import Finding, column_letter


@dataclass
class Candidate:
    """A sheet assigned to a table, with its header match (None when no header cell matched)."""

    raw: RawSheet
    spec: TableSpec
    match: HeaderMatch | None
    by: str  # "name" or "headers"

    def missing(self, needed: Iterable[str]) -> list[str]:
        have = self.match.columns if self.match else {}
        return [c for c in needed if c not in have]


def recognise(
    raw: RawSheet, specs: dict[str, TableSpec], needs: Mapping[str, list[str]], notes: list[Finding]
) -> Candidate | None:
    """Table by sheet name (CSV: file name), else the table whose required headers match best."""
    name = raw.sheet or Path(raw.file).stem
    by_name = max(specs.values(), key=lambda s: s.sheet_match(name))
    head = raw.head(SCAN_ROWS)
    if by_name.sheet_match(name) > 0:
        return Candidate(raw, by_name, find_header(head, by_name), "name")
    best: Candidate | None = None
    best_score = 0  # best's header score, read only once best is set
    for spec in specs.values():
        match = find_header(head, spec)
        if match is None:
            continue
        candidate = Candidate(raw, spec, match, "headers")
        needed = needs.get(spec.name) or list(spec.table.required)
        if candidate.missing(needed) or match.score < 2:
            continue
        if best is None or match.score > best_score:
            best, best_score = candidate, match.score
    if best is None:
        notes.append(
            Finding(
                "sheet-ignored",
                f"{raw.where} not used: its name and headers match no table",
                file=raw.file,
                sheet=raw.sheet,
            )
        )
        return None
    notes.append(
        Finding(
            "table-by-headers",
            f"{raw.where} read as {best.spec.table.label} ({best.spec.name}) from its headers",
            file=raw.file,
            sheet=raw.sheet,
        )
    )
    return best


def choose_sheets(
    candidates: dict[str, list[Candidate]],
    specs: dict[str, TableSpec],
    needs: Mapping[str, list[str]],
    seen: list[str],
    notes: list[Finding],
) -> dict[str, list[Candidate]]:
    """Keep the sheets that carry each table's required columns; raise for what is missing."""
    chosen: dict[str, list[Candidate]] = {}
    for name, found in candidates.items():
        spec = specs[name]
        needed = needs.get(name) or list(spec.table.required)
        good = [c for c in found if not c.missing(needed)]
        if not good:
            raise _missing_column(found[0], needed)
        for bad in found:
            if bad not in good:
                notes.append(
                    Finding(
                        "sheet-ignored",
                        f"{bad.raw.where} not used for {spec.table.label}: no column for "
                        + ", ".join(spec.column(c).label or c for c in bad.missing(needed)),
                        file=bad.raw.file,
                        sheet=bad.raw.sheet,
                    )
                )
        if len(good) > 1:
            notes.append(
                Finding(
                    "table-merged",
                    f"{spec.table.label} ({name}) read from {len(good)} sheets: "
                    + "; ".join(c.raw.where for c in good),
                )
            )
        for cand in good:
            for column, header, position in cand.match.duplicates if cand.match else ():
                notes.append(
                    Finding(
                        "duplicate-header",
                        f"{cand.raw.where}: header {header!r} (column {column_letter(position)}) also maps to "
                        f"{spec.column(column).label or column}; the first matching column is used",
                        file=cand.raw.file,
                        sheet=cand.raw.sheet,
                        column=header,
                    )
                )
        chosen[name] = good
    for name in needs:
        if name not in chosen:
            spec = specs[name]
            raise InputError(
                f"no {spec.table.label} ({name}) table: expected a sheet named like "
                f"{', '.join(spec.sheet_aliases)} (or one whose headers match its columns); "
                f"sheets found: {'; '.join(seen) or 'none'}",
                code="missing-table",
            )
    return chosen


def _missing_column(cand: Candidate, needed: list[str]) -> InputError:
    reasons = []
    for column_name in cand.missing(needed):
        column = cand.spec.column(column_name)
        expected = list(dict.fromkeys([*column.aliases, column.name]))
        reasons.append(
            f"no column for {column.label or column.name} ({column.name}); expected one of {', '.join(expected)}"
        )
    if cand.match is not None:
        headers = [h for h in cand.match.headers if h]
        where = f"header row {cand.match.row + 1}"
    else:
        head = cand.raw.head(SCAN_ROWS)
        first = next((row for row in head if any(c and str(c).strip() for c in row)), [])
        headers = [str(c).strip() for c in first if c and str(c).strip()]
        where = "no header row recognised; first row"
    message = f"{reasons[0]}; found headers ({where}): {', '.join(headers) or 'none'}"
    return InputError(
        message,
        file=cand.raw.file,
        sheet=cand.raw.sheet or None,
        code="missing-column",
        reasons=reasons[1:],
    )
