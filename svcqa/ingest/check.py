"""The ``svcqa check`` document: a read month's accounting summarised (pure; ``jobs.check`` runs it)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from svcqa.models import MonthData

CHECK_SCHEMA = "svcqa.check/1"


def check_document(data: MonthData, rejects_paths: Sequence[str | Path] = ()) -> dict[str, Any]:
    """The ``svcqa check`` summary: per-table accounting, top reject reasons, month, notes, files."""
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
    }
