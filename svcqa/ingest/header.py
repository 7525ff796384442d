"""Finding the header row and mapping header cells onto canonical columns.

Exports put a title row ("2026年10月工单明细"), merged cells or blank rows above the header, so
the header is the row among the first ``SCAN_ROWS`` whose cells match the most column aliases.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from svcqa.ingest.aliases import TableSpec, normalise_label

SCAN_ROWS = 30


@dataclass(frozen=True)
class HeaderMatch:
    """Where the header is and which sheet column holds each canonical column."""

    row: int  # 0-based index of the header row in the sheet (Excel row = row + 1)
    columns: dict[str, int]  # canonical column -> 0-based sheet column index
    headers: tuple[str, ...]  # the header row's cells as they appear ("" for blank)
    # (canonical column, ignored header text, its column index): a second cell for one column
    duplicates: tuple[tuple[str, str, int], ...] = field(default_factory=tuple)

    @property
    def score(self) -> int:
        return len(self.columns)

    def header_of(self, column: str) -> str:
        return self.headers[self.columns[column]]


def match_row(
    cells: Sequence[object], index: dict[str, tuple[str, int]], row: int = 0
) -> HeaderMatch:
    """Map one row's cells to canonical columns: the best-ranked alias wins, then the leftmost."""
    headers = tuple("" if c is None else str(c).strip() for c in cells)
    best: dict[str, tuple[int, int]] = {}  # column -> (alias rank, cell index)
    losers: list[tuple[str, str, int]] = []
    for position, text in enumerate(headers):
        hit = index.get(normalise_label(text)) if text else None
        if hit is None:
            continue
        column, rank = hit
        current = best.get(column)
        if current is None or rank < current[0]:
            if current is not None:
                losers.append((column, headers[current[1]], current[1]))
            best[column] = (rank, position)
        else:
            losers.append((column, text, position))
    return HeaderMatch(
        row=row,
        columns={column: position for column, (_, position) in best.items()},
        headers=headers,
        duplicates=tuple(sorted(losers, key=lambda item: item[2])),
    )


def find_header(
    rows: Sequence[Sequence[object]], spec: TableSpec, scan: int = SCAN_ROWS
) -> HeaderMatch | None:
    """The row (among the first ``scan``) matching the most aliases of ``spec``; earliest on ties.

    Returns None when no row matches any alias at all.
    """
    index = spec.header_index()
    best: HeaderMatch | None = None
    for number, cells in enumerate(rows[:scan]):
        candidate = match_row(cells, index, number)
        if candidate.score and (best is None or candidate.score > best.score):
            best = candidate
    return best
