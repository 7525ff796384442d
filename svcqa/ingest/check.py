"""The ``svcqa check`` document: a read month's accounting summarised (pure; ``jobs.check`` runs it)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from svcqa.models import MonthData

CHECK_SCHEMA = "svcqa.check/1"


def check_document(
    data: MonthData,
    rejects_paths: Sequence[str | Path] = (),
    reads: Mapping[str, Iterable[str]] | None = None,
) -> dict[str, Any]:
    """The ``svcqa check`` summary: per-table accounting, top reject reasons, month, notes, files,
    the rows excluded per month they fall in, and the mapping (which sheet and header is which).

    ``reads``: the columns the rubric reads when present (``Rubric.optional_columns()``); each
    mapped column then says whether the rubric uses it (``required`` ones always are).
    """
    tables = []
    for name, stats in data.stats.items():
        top: list[dict[str, Any]] = []
        rejects = data.rejects[data.rejects["table"] == name]
        if not rejects.empty:
            counts = (
                rejects.groupby("code", sort=False)
                .size()
                .sort_values(ascending=False, kind="stable")
            )
            examples = rejects.drop_duplicates("code").set_index("code")["reason"].to_dict()
            top = [
                {"code": str(code), "rows": int(count), "example": str(examples[code])}
                for code, count in counts.head(5).items()
            ]
        excluded = data.excluded[data.excluded["table"] == name]
        tables.append(
            {
                "table": name,
                **stats.as_dict(),
                "top_rejects": top,
                "excluded_codes": sorted(set(excluded["code"])) if not excluded.empty else [],
                "excluded_months": dict(data.excluded_months.get(name, {})),
            }
        )
    return {
        "schema": CHECK_SCHEMA,
        "month": str(data.month),
        "month_source": data.month_source,
        "files": [{"name": s.name, "size": s.size, "sha256": s.sha256} for s in data.sources],
        "tables": tables,
        "rows_rejected": len(data.rejects),
        "rows_excluded": len(data.excluded),
        "branches": len(data.branch_names),
        "notes": [n.as_dict() for n in data.notes],
        "rejects_files": [str(p) for p in rejects_paths],
        "mapping": _mapping(data.mapping, reads or {}),
    }


def _mapping(
    mapping: list[dict[str, Any]], reads: Mapping[str, Iterable[str]]
) -> list[dict[str, Any]]:
    """The ingest mapping with ``used`` per column: required, or read by the rubric when present."""
    out = []
    for table in mapping:
        optional = set(reads.get(table["table"], ()))
        sheets = [
            {
                **sheet,
                "columns": [
                    {**c, "used": c["required"] or c["column"] in optional}
                    for c in sheet["columns"]
                ],
            }
            for sheet in table["sheets"]
        ]
        out.append({**table, "sheets": sheets})
    return out


def excluded_summary(data: MonthData) -> str | None:
    """One line for the check and score summaries, e.g. ``excluded: tickets 3,228 outside 2026-10
    (1,610 in 2026-09, 1,618 in 2026-11)``; None when no row fell outside the month."""
    parts = []
    for table, months in data.excluded_months.items():
        where = ", ".join(f"{rows:,} in {month}" for month, rows in months.items())
        parts.append(f"{table} {sum(months.values()):,} outside {data.month} ({where})")
    return "excluded: " + "; ".join(parts) if parts else None
