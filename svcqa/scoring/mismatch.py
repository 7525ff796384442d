"""What a rubric asks for that the month's data does not have: run-level findings.

A branch without rows for a KPI is "no business" (无业务): the rubric's ``when_empty`` decides
its points and nothing is wrong. A rubric that names a table or column the month lacks, or a
filter value no row of the month holds, is different: every branch then gets ``when_empty``
(usually full marks) because of a typo or an export change, and the ranking moves. Those cases
are findings with their own codes (``MISMATCH_CODES``), which ``svcqa score`` prints on stderr
and ``--strict`` turns into exit 1.

How filters compare (README, "Rubrics"): a row passes when its value equals one of the listed
values exactly (a list matches any of them). Text is not case-folded or trimmed when matching;
when a value matches no row but a value of the column equals it after NFKC, case folding and
trimming, the finding names that spelling ("did you mean 'Low'?"). A yes/no (flag) column takes
TOML booleans ``true``/``false`` only. Enum columns (服务类型, 出勤状态) are checked by the rubric
loader against their known values, so a value absent this month is "no business", not a finding.

Cost: one ``isin`` per filtered text/number column, and a ``value_counts`` only when a value
matches nothing; enum filters (the presets') cost nothing here.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterable
from typing import Any

import pandas as pd

from svcqa.findings import RUBRIC_MISMATCH_CODES
from svcqa.models import Finding
from svcqa.rubric.model import Kpi, Rubric
from svcqa.schema import TABLES, Column
from svcqa.scoring.spans import unknown_threshold_values

MISMATCH_CODES = RUBRIC_MISMATCH_CODES
_SHOWN_VALUES = 5  # the most frequent values a finding lists


def rubric_mismatches(
    rubric: Rubric, tables: dict[str, pd.DataFrame]
) -> tuple[list[Finding], set[str]]:
    """Every mismatch between the rubric's KPIs and the month's tables: one finding per missing
    table (naming every KPI that reads it), then per KPI its missing columns and filters; and
    the ids of the KPIs concerned (their "no data" is this finding, not a note of its own)."""
    by_table: dict[str, list[Kpi]] = {}
    for kpi in rubric.kpis:
        for table in kpi.metric.columns():
            if tables.get(table) is None:
                by_table.setdefault(table, []).append(kpi)
    found = [_table_missing(rubric, table, kpis) for table, kpis in by_table.items()]
    concerned = {kpi.id for kpis in by_table.values() for kpi in kpis}
    for kpi in rubric.kpis:
        own = _kpi_mismatches(rubric, kpi, tables)
        if own:
            concerned.add(kpi.id)
        found += own
    return found, concerned


def _table_missing(rubric: Rubric, table: str, kpis: list[Kpi]) -> Finding:
    names = ", ".join(f"{k.id} ({k.label}, when_empty = {k.when_empty})" for k in kpis)
    return Finding(
        "kpi-table-missing",
        f"KPI {names} {'reads' if len(kpis) == 1 else 'read'} the {table} table, which the "
        f"month's files do not have; every branch is scored as when_empty. Add the "
        f"{_sheet_names(rubric, table)} sheet to the exports, or name its sheet in the rubric's "
        "[sheet_aliases] or with --aliases",
        table=table,
    )


def _kpi_mismatches(rubric: Rubric, kpi: Kpi, tables: dict[str, pd.DataFrame]) -> list[Finding]:
    metric = kpi.metric
    effect = f"every branch is scored as when_empty = {kpi.when_empty}"
    found: list[Finding] = []
    for table, columns in metric.columns().items():
        df = tables.get(table)
        if df is None:
            continue  # one kpi-table-missing per table
        missing = sorted(c for c in columns if c not in df.columns)
        if metric.kind == "rework_rate" and table == metric.table:
            if not {"is_rework", "device_id"} & set(df.columns):
                missing.append("is_rework")  # or device_id: either tells reworks
        for column in missing:
            found.append(_column_missing(rubric, kpi, table, column, df, effect))
    df = tables.get(metric.table)
    if df is not None:
        for column, values in metric.filter:
            if column in df.columns:
                finding = _filter_finding(rubric, kpi, metric.table, column, values, df[column])
                if finding is not None:
                    found.append(finding)
        if metric.kind == "share_in" and metric.column and metric.column in df.columns:
            finding = _filter_finding(
                rubric, kpi, metric.table, metric.column, metric.values, df[metric.column],
                share_in=True,
            )  # fmt: skip
            if finding is not None:
                found.append(finding)
        by = metric.threshold_by
        if by is not None and by.column in df.columns:
            unknown = unknown_threshold_values(df[by.column], by)
            if unknown:
                found.append(_threshold_finding(kpi, metric.table, by.column, unknown))
    return found


def _threshold_finding(kpi: Kpi, table: str, column: str, unknown: dict[str, int]) -> Finding:
    """Rows whose value threshold_by lists nowhere (and no default): left out, said aloud."""
    listed = ", ".join(f"{_toml(v)} ×{n}" for v, n in unknown.items())
    return Finding(
        "threshold-value-unknown",
        f"KPI {kpi.id} ({kpi.label}): threshold_by on {table}.{column} has no threshold for "
        f"{listed}; those {sum(unknown.values())} row(s) are left out of the share. Add each "
        f"value to threshold_by.values, or give threshold_by a default",
        table=table,
        column=column,
        value=", ".join(unknown),
    )


def _column_missing(
    rubric: Rubric, kpi: Kpi, table: str, column: str, df: pd.DataFrame, effect: str
) -> Finding:
    spec = _column_spec(rubric, table, column)
    origin = "declared in the rubric" if _declared(rubric, table, column) else "a canonical column"
    headers = _spellings(rubric, table, column, spec)
    have = [c for c in df.columns if not c.startswith("_") and c != "branch_key"]
    either = " (or device_id, to derive reworks)" if column == "is_rework" else ""
    return Finding(
        "kpi-column-missing",
        f"KPI {kpi.id} ({kpi.label}) needs column {column}{either} of the {table} table "
        f"({origin}; header spellings: {', '.join(headers) or column}), which the month's "
        f"{table} sheet does not have; {effect}. The {table} table has: {', '.join(have)}. "
        f'Map the header with [aliases.{table}] {column} = ["<header as in the sheet>"] in '
        "the rubric or with --aliases",
        table=table,
        column=column,
    )


def _filter_finding(
    rubric: Rubric, kpi: Kpi, table: str, column: str, values: tuple[Any, ...], series: pd.Series,
    share_in: bool = False,
) -> Finding | None:  # fmt: skip
    """The finding on one filter column (or share_in's values), or None when every value is
    one the month holds."""
    given = _toml(values[0]) if len(values) == 1 else f"[{', '.join(map(_toml, values))}]"
    key = f"share_in values = {given}" if share_in else f"filter {column} = {given}"
    where = f"KPI {kpi.id} ({kpi.label}): {key} on {table}.{column}"
    if pd.api.types.is_bool_dtype(series.dtype):
        bad = [v for v in values if not isinstance(v, bool)]
        if not bad:
            return None
        return Finding(
            "filter-not-boolean",
            f"{where}, a yes/no column: {', '.join(map(_toml, bad))} is not true or false, "
            f"so it matches no row{_passing(values, series, kpi, share_in)}. The column holds "
            f"{_top_values(series)}. Write {column} = true or {column} = false (TOML booleans, "
            "no quotes)",
            table=table,
            column=column,
            value=", ".join(str(v) for v in bad),
        )
    spec = _column_spec(rubric, table, column)
    if spec is not None and spec.type == "enum":
        return None  # checked by the rubric loader; a value absent this month is no business
    unmatched = [v for v in values if not series.isin([v]).any()]
    if not unmatched:
        return None
    hints = _near_matches(column, unmatched, series.dropna().unique())
    return Finding(
        "filter-matches-nothing",
        f"{where}: {', '.join(map(_toml, unmatched))} occurs in no row of the month"
        f"{_passing(values, series, kpi, share_in)}. The column holds {_top_values(series)}.{hints} "
        "Filters match the exact spelling of the cell: write the value as the data has it",
        table=table,
        column=column,
        value=", ".join(str(v) for v in unmatched),
    )


def _passing(values: tuple[Any, ...], series: pd.Series, kpi: Kpi, share_in: bool = False) -> str:
    """What the filter leaves: no row (every branch to when_empty) or how many rows; for
    share_in, how many rows count."""
    kept = [
        v for v in values if not pd.api.types.is_bool_dtype(series.dtype) or isinstance(v, bool)
    ]
    rows = int(series.isin(kept).sum()) if kept else 0
    if share_in:
        if not rows:
            return "; no row holds any of the values, so every branch's share is 0"
        return f"; {rows} row(s) hold the other value(s)"
    if not rows:
        return f"; no row passes the filter, so every branch is scored as when_empty = {kpi.when_empty}"
    return f"; the filter keeps {rows} row(s) on the other value(s)"


def _top_values(series: pd.Series) -> str:
    """The most frequent values with their counts: ``'Low' ×3, 'High' ×2`` (blanks counted)."""
    counts = series.value_counts(dropna=False)
    if counts.empty:
        return "no values (the table has no rows)"
    shown = [f"{_show(v)} ×{n}" for v, n in counts.head(_SHOWN_VALUES).items()]
    more = len(counts) - _SHOWN_VALUES
    return ", ".join(shown) + (f" and {more} more value(s)" if more > 0 else "")


def _show(value: Any) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return "(blank)"
    return _toml(value)


def _toml(value: Any) -> str:
    """A value as the rubric would write it: ``"Low"``, ``3``, ``true``."""
    if pd.api.types.is_bool(value):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if pd.api.types.is_number(value):
        return f"{float(value):g}" if pd.api.types.is_float(value) else str(value)
    return json.dumps(str(value), ensure_ascii=False)


def _fold(value: Any) -> str:
    return unicodedata.normalize("NFKC", str(value)).strip().casefold()


def _near_matches(column: str, unmatched: Iterable[Any], present: Iterable[Any]) -> str:
    """`` Did you mean "Low"? Write priority = "Low".`` for each unmatched value that equals a
    present one after NFKC, trimming and case folding (the comparison itself stays exact)."""
    by_fold: dict[str, Any] = {}
    for value in present:
        by_fold.setdefault(_fold(value), value)
    hints = [
        f" Did you mean {_toml(by_fold[_fold(v)])} for {_toml(v)}? Write {column} = "
        f"{_toml(by_fold[_fold(v)])}."
        for v in unmatched
        if _fold(v) in by_fold
    ]
    return "".join(hints)


def _column_spec(rubric: Rubric, table: str, column: str) -> Column | None:
    for declared in rubric.extra_columns.get(table, []):
        if declared.name == column:
            return declared
    schema = TABLES.get(table)
    if schema is not None and column in {c.name for c in schema.columns}:
        return schema.column(column)
    return None


def _declared(rubric: Rubric, table: str, column: str) -> bool:
    return any(c.name == column for c in rubric.extra_columns.get(table, []))


def _spellings(rubric: Rubric, table: str, column: str, spec: Column | None) -> list[str]:
    """The headers the column is recognised by: its spellings and the rubric's aliases."""
    names = list(spec.aliases) if spec is not None else []
    if spec is not None and spec.label:
        names.insert(0, spec.label)
    names += rubric.aliases.get(table, {}).get(column, [])
    return [_toml(n) for n in dict.fromkeys(names)]


def _sheet_names(rubric: Rubric, table: str) -> str:
    schema = TABLES.get(table)
    names = list(schema.sheet_aliases[:2]) if schema is not None else []
    names += rubric.sheet_aliases.get(table, [])
    return "/".join(dict.fromkeys(names)) or table
