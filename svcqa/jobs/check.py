"""``svcqa check``: read the month's files, write the rejects files, summarise the accounting."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from svcqa.ingest import Limits, check_document, open_month
from svcqa.models import Month, MonthData
from svcqa.settings import month_folder

if TYPE_CHECKING:
    from svcqa.rubric import Rubric


@dataclass
class CheckRun:
    """What ``svcqa check`` read and wrote: the month's data, the check document (what
    ``--format json`` prints), and the language its labels are in."""

    data: MonthData
    document: dict[str, Any]
    lang: str


def run_check(
    paths: Sequence[str | Path],
    *,
    month: str | Month | None = None,
    out_dir: str | Path | None = None,
    rubric: str | Path | Rubric | None = None,
    aliases_file: str | Path | None = None,
    limits: Limits | None = None,
    spool_dir: str | None = None,
    reader: str | None = None,
    lang: str | None = None,
) -> CheckRun:
    """Ingest ``paths`` as ``rubric`` reads them (a preset id, a .toml path or a ``Rubric``;
    default: the default rubric), write rejects.xlsx/csv and excluded.csv (default
    ``./svcqa-out/YYYY-MM/``), build the summary with the mapping.

    The same reading as ``score`` (``jobs.score.ingest_for_rubric``): exactly the tables and
    columns the rubric needs, its declared columns and aliases, then the alias file's.
    ``limits`` default to ``Limits()`` (the command line passes ``Limits.from_env()``);
    ``spool_dir`` and ``reader``: see ``svcqa.ingest.open_month``. ``lang`` labels the rejects
    workbook (default: the rubric's ``language``).
    """
    from svcqa.jobs.score import ingest_for_rubric
    from svcqa.labels import output_language
    from svcqa.render.rejects import write_rejects
    from svcqa.rubric import DEFAULT_RUBRIC, load_rubric

    if isinstance(month, str):
        month = Month.parse(month)
    with open_month(paths, limits or Limits(), spool_dir=spool_dir, reader=reader) as files:
        rubric_obj = load_rubric(rubric or DEFAULT_RUBRIC)
        data = ingest_for_rubric(
            files,
            rubric_obj,
            month=month,
            aliases_file=Path(aliases_file) if aliases_file else None,
        )
    target = month_folder(data.month, Path(out_dir) if out_dir else None)
    lang = output_language(lang, rubric_obj.language)
    written = write_rejects(data, target, lang=lang)
    return CheckRun(data, check_document(data, written, rubric_obj.optional_columns()), lang)
