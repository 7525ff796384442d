"""Comparing two ``ingest`` results field by field (used in and out of the test process)."""

from __future__ import annotations

from svcqa.models import MonthData


def month_differences(first: MonthData, second: MonthData) -> list[str]:
    """The parts of two ingest results that differ (tables, stats, rejects, notes ...)."""
    found = [
        name
        for name in ("month", "month_source", "stats", "sources", "branch_names")
        if getattr(first, name) != getattr(second, name)
    ]
    if first.tables.keys() != second.tables.keys():
        found.append("tables")
    found += [
        f"tables.{name}"
        for name, table in first.tables.items()
        if name in second.tables and not table.equals(second.tables[name])
    ]
    found += [
        name
        for name in ("rejects", "excluded")
        if not getattr(first, name).equals(getattr(second, name))
    ]
    if [n.as_dict() for n in first.notes] != [n.as_dict() for n in second.notes]:
        found.append("notes")
    return found
