"""``svcqa check``: read the month's files, write the rejects file, summarise the accounting."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from svcqa.ingest import Limits, check_document, ingest, load_alias_file
from svcqa.models import Month, MonthData
from svcqa.settings import month_folder


def run_check(
    paths: Sequence[str | Path],
    *,
    month: str | Month | None = None,
    out_dir: str | Path | None = None,
    aliases_file: str | Path | None = None,
    limits: Limits | None = None,
    spool_dir: str | None = None,
    reader: str | None = None,
) -> tuple[MonthData, dict[str, Any]]:
    """Ingest ``paths``, write rejects.xlsx/csv (default ``./svcqa-out/YYYY-MM/``), build the summary.

    ``limits`` default to ``Limits()`` (the command line passes ``Limits.from_env()``);
    ``spool_dir`` and ``reader``: see ``svcqa.ingest.open_month``.
    """
    from svcqa.render.rejects import write_rejects

    if isinstance(month, str):
        month = Month.parse(month)
    extra = load_alias_file(aliases_file) if aliases_file else None
    data = ingest(
        paths,
        month=month,
        extra_aliases=extra,
        limits=limits or Limits(),
        spool_dir=spool_dir,
        reader=reader,
    )
    target = month_folder(data.month, Path(out_dir) if out_dir else None)
    written = write_rejects(data, target)
    return data, check_document(data, written)
