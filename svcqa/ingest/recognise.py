"""Which sheet is which table: by sheet name (CSV: file name), else by its headers; the header row
found with the aliases; the sheets kept per table, and the errors for a missing table or column.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from svcqa.errors import InputError
from svcqa.ingest.aliases import TableSpec, normalise_label
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
    # Headers that match some of a needed table's columns, too few to be read as it: kept only
    # to be named when the table's other sheets (say a legend named like it) fit even less.
    partial: bool = False

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
    near: Candidate | None = None  # a needed table's sheet that lacks some of its columns
    near_lacking = near_score = 0
    partial: Candidate | None = None  # a needed table's sheet with a few of its columns
    for spec in specs.values():
        match = find_header(head, spec)
        if match is None or match.score < 2:
            continue
        candidate = Candidate(raw, spec, match, "headers")
        needed = needs.get(spec.name) or list(spec.table.required)
        lacking = len(candidate.missing(needed))
        if not lacking:
            if best is None or match.score > best_score:
                best, best_score = candidate, match.score
        elif spec.name in needs and 2 * (len(needed) - lacking) > len(needed):
            # Most of the table's columns are there: the user meant this sheet, and is told
            # which columns it lacks (choose_sheets) rather than that the table is missing.
            if near is None or lacking < near_lacking:
                near, near_lacking, near_score = candidate, lacking, match.score
        elif spec.name in needs and lacking < len(needed):
            if partial is None or len(candidate.missing(needed)) < len(partial.missing(needed)):
                partial = Candidate(raw, spec, match, "headers", partial=True)
    if near is not None and (best is None or near_score > best_score):
        # It resembles the needed table more than any table it fully matches (工单号, 网点,
        # 受理时间, 完成时间 without 服务类型 is a tickets sheet, not a complaints one).
        return near
    if best is None:
        notes.append(
            Finding(
                "sheet-ignored",
                f"{raw.where} not used: its name and headers match no table",
                file=raw.file,
                sheet=raw.sheet,
            )
        )
        return partial
    notes.append(
        Finding(
            "table-by-headers",
            f"{raw.where} read as the {best.spec.name} table from its headers",
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
        if all(c.partial for c in found):
            continue  # only sheets with a few of its columns: the table is missing, said below
        good = [c for c in found if not c.missing(needed)]
        if not good:
            raise _missing_column(_closest_sheet(found, needed), needed)
        for bad in (c for c in found if not c.partial):
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


def _closest_sheet(found: list[Candidate], needed: list[str]) -> Candidate:
    """The sheet a table's missing columns are reported on: the one whose headers match most of
    the columns it needs, then most of its columns at all, then a sheet named exactly like the
    table. A legend named like the table ("Attendance Key") loses to the sheets holding its data.
    """

    def fit(c: Candidate) -> tuple[int, int, bool]:
        exact = c.by == "name" and c.spec.sheet_match(c.raw.sheet or Path(c.raw.file).stem) >= 1000
        return (-len(c.missing(needed)), c.match.score if c.match else 0, exact)

    return max(found, key=fit)


def _missing_column(cand: Candidate, needed: list[str]) -> InputError:
    """The sheet meant for a table lacks columns: name them with their accepted spellings, show
    the sheet's headers, and the alias lines that would map the user's own headers."""
    spec = cand.spec
    if cand.match is not None:
        headers = [h for h in cand.match.headers if h]
        used = set(cand.match.columns.values())
        spare = [h for i, h in enumerate(cand.match.headers) if h and i not in used]
        where = f"header row {cand.match.row + 1}"
    else:
        head = cand.raw.head(SCAN_ROWS)
        first = next((row for row in head if any(c and str(c).strip() for c in row)), [])
        headers = spare = [str(c).strip() for c in first if c and str(c).strip()]
        where = "no header row recognised; first row"
    why = "by its name" if cand.by == "name" else "by its headers"
    reasons, lines = [], [f"[aliases.{spec.name}]"]
    for column_name in cand.missing(needed):
        column = spec.column(column_name)
        expected = list(dict.fromkeys([*column.aliases, column.name]))
        reasons.append(
            f"no column for {column.label or column.name} ({column.name}); "
            f"expected one of {', '.join(expected)}"
        )
        guess = _closest(expected, spare)
        lines.append(f'{column.name} = ["{guess or "<the header you use>"}"]')
    message = (
        f"read as the {spec.table.label} ({spec.name}) table {why}, but {reasons[0]}; "
        f"found headers ({where}): {', '.join(headers) or 'none'}"
    )
    fix = (
        "fix: rename the header in the export, or map it in an alias file passed with "
        "--aliases my-aliases.toml (or in the rubric's own [aliases] section):\n    "
        + "\n    ".join(lines)
    )
    return InputError(
        message,
        file=cand.raw.file,
        sheet=cand.raw.sheet or None,
        code="missing-column",
        reasons=[*reasons[1:], fix],
    )


def _closest(expected: list[str], headers: list[str]) -> str | None:
    """The unused header most like one of the accepted spellings (a typo), if any is close."""
    keys = {normalise_label(h): h for h in headers}
    for spelling in expected:
        hit = difflib.get_close_matches(normalise_label(spelling), list(keys), n=1, cutoff=0.75)
        if hit:
            return keys[hit[0]]
    return None


def describe_mapping(
    chosen: Mapping[str, list[Candidate]], needs: Mapping[str, list[str]]
) -> list[dict[str, Any]]:
    """What ``svcqa check`` shows of the mapping: per table read, each sheet chosen and why, each
    canonical or declared column with the header it matched (None: missing), the unused headers."""
    tables = []
    for name, candidates in chosen.items():
        spec = candidates[0].spec
        needed = set(needs.get(name) or spec.table.required)
        sheets = []
        for cand in candidates:
            columns = cand.match.columns if cand.match else {}
            headers = cand.match.headers if cand.match else ()
            sheet_name = cand.raw.sheet or Path(cand.raw.file).stem
            why = (
                f"its name {sheet_name!r} matches {_name_alias(spec, sheet_name)!r}"
                if cand.by == "name"
                else f"its headers match {len(columns)} of the table's columns"
            )
            sheets.append(
                {
                    "file": cand.raw.file,
                    "sheet": cand.raw.sheet,
                    "by": cand.by,
                    "why": why,
                    "header_row": cand.match.row + 1 if cand.match else None,
                    "columns": [
                        {
                            "column": column.name,
                            "label": column.label or column.name,
                            "required": column.name in needed,
                            "header": headers[columns[column.name]]
                            if column.name in columns
                            else None,
                        }
                        for column in spec.columns
                    ],
                    "unused_headers": [
                        h for i, h in enumerate(headers) if h and i not in columns.values()
                    ],
                }
            )
        tables.append(
            {"table": name, "label": spec.table.label, "needed": name in needs, "sheets": sheets}
        )
    return tables


def _name_alias(spec: TableSpec, sheet_name: str) -> str:
    """The sheet alias that named the table (the one ``sheet_match`` scored highest)."""
    name = normalise_label(sheet_name)
    hits = [a for a in spec.sheet_aliases if normalise_label(a) and normalise_label(a) in name]
    exact = [a for a in hits if normalise_label(a) == name]
    return (exact or sorted(hits, key=lambda a: -len(normalise_label(a))) or [sheet_name])[0]
