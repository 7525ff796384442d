"""``svcqa check``: read the month's files, write the rejects file, summarise the accounting."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from svcqa.ingest.aliases import load_alias_file
from svcqa.ingest.core import ingest
from svcqa.ingest.limits import Limits
from svcqa.models import Month, MonthData

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


def run_check(
    paths: Sequence[str | Path],
    *,
    month: str | Month | None = None,
    out_dir: str | Path | None = None,
    aliases_file: str | Path | None = None,
    limits: Limits | None = None,
) -> tuple[MonthData, dict[str, Any]]:
    """Ingest ``paths``, write rejects.xlsx/csv (default ``./svcqa-out/YYYY-MM/``), build the summary."""
    from svcqa.render.rejects import write_rejects

    if isinstance(month, str):
        month = Month.parse(month)
    extra = load_alias_file(aliases_file) if aliases_file else None
    data = ingest(paths, month=month, extra_aliases=extra, limits=limits or Limits.from_env())
    target = Path(out_dir) if out_dir else Path("svcqa-out") / str(data.month)
    written = write_rejects(data, target)
    return data, check_document(data, written)
