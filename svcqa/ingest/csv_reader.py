"""CSV and TSV files as one sheet of text cells: UTF-8 or GB18030, ragged rows, quoted line breaks."""

from __future__ import annotations

import csv
import io
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

from svcqa.errors import InputError
from svcqa.ingest.raw import RawSheet
from svcqa.ingest.safety.limits import Limits

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa


def decode_text(data: bytes) -> tuple[str, str]:
    """Decode CSV bytes: UTF-8 (BOM stripped) first, then GB18030 (Chinese Windows "Save as CSV")."""
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError as exc:
        raise InputError(
            f"cannot decode the CSV as UTF-8 or GB18030 (byte {exc.start}); save it as 'CSV UTF-8'",
            code="not-a-workbook",
        ) from None


def read_csv(path: Path, limits: Limits) -> RawSheet:
    """A CSV file as one sheet of text cells; row i is line i + 1."""
    with open(path, "rb") as handle:
        data = handle.read()
    try:
        text, _ = decode_text(data)
    except InputError as exc:
        raise InputError(str(exc), file=path.name, code=exc.code) from None
    if text[:4096].count("\x00") > 40:  # binary (or UTF-16): one NUL in a cell is a reject
        raise InputError(
            "not a CSV text file (binary content)", file=path.name, code="not-a-workbook"
        )
    if "\r" in text:  # CRLF (Windows) and lone CR (old Mac/Excel exports) alike: one line each
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    head = _head(text, HEAD_LINES)
    delimiter = "\t" if path.suffix.lower() == ".tsv" else _delimiter(head)
    _check_width(head, delimiter, limits, path.name)
    # The csv module refuses a field over 128 KiB (a long complaint text) by default; the file
    # size limit already bounds every field.
    csv.field_size_limit(max(csv.field_size_limit(), min(limits.max_file_bytes, 2**31 - 1)))
    table, row_numbers = _csv_table(text, head, delimiter, path.name)
    if table.num_rows > limits.max_rows_per_sheet:
        raise limits.exceeded(
            "max_rows_per_sheet", f"the file has {table.num_rows:,} lines", file=path.name
        )
    return RawSheet(path.name, path, "", table, row_numbers=row_numbers)


HEAD_LINES = 200  # lines looked at for the delimiter, the width and the fast path's columns
DELIMITERS = (",", ";", "\t", "|")


def _head(text: str, lines: int) -> str:
    """The first ``lines`` lines of ``text`` (without splitting the whole file)."""
    end = -1
    for _ in range(lines):
        end = text.find("\n", end + 1)
        if end < 0:
            return text
    return text[:end]


def _delimiter(head: str) -> str:
    """The delimiter that splits the most lines of the head into one same number (> 1) of
    fields, the wider split winning a tie, ``,`` the rest: European Excel saves "CSV" with
    ``;``, often under a title row that holds a comma ("2026年10月, 广州")."""
    lines = [line[:_SNIFF_CHARS] for line in head.split("\n") if line.strip()][:_SNIFF_LINES]
    best, best_score = ",", (0, 0)
    for candidate in DELIMITERS:
        widths = Counter(len(r) for r in csv.reader(lines, delimiter=candidate))
        score = max(((n, w) for w, n in widths.items() if w > 1), default=(0, 0))
        if score > best_score:
            best, best_score = candidate, score
    return best


_SNIFF_LINES, _SNIFF_CHARS = 50, 65_536  # enough to see the layout; a huge line is cut


def _check_width(head: str, delimiter: str, limits: Limits, file: str) -> None:
    """Refuse a file wider than ``max_columns`` from its first lines, before anything is parsed:
    a million-column CSV took 3.9 GiB and aborted the reader. Counting delimiters over-counts
    quoted ones, so a line over the limit is parsed alone to confirm."""
    for number, line in enumerate(head.split("\n"), 1):
        if line.count(delimiter) < limits.max_columns:
            continue
        width = max((len(r) for r in csv.reader([line], delimiter=delimiter)), default=0)
        if width > limits.max_columns:
            raise limits.exceeded("max_columns", f"line {number} has {width:,} columns", file=file)


def _unclosed_quote(text: str, start: int, file: str) -> InputError:
    """The error for a quote opened on line ``start`` and never closed: the csv module reads
    every later line into that one cell, so the rows after it would vanish."""
    return InputError(
        f'the quote (") of a field on line {start} is never closed, so every line after it '
        "would be read as part of that one cell; close the quote (or remove it) and save the "
        "file again",
        file=file,
        code="bad-csv",
    )


def _csv_table(
    text: str, head: str, delimiter: str, file: str
) -> tuple[pa.Table, np.ndarray | None]:
    """Records in file order as string columns ("" -> null); blank lines stay (as all-null rows)
    so that record i is line i + 1, except when quoted fields span lines: then the second value
    gives each record's first line number."""
    # Not at the top: the workbook reader child starts before numpy, pyarrow and pandas load.
    import numpy as np
    import pandas as pd
    import pyarrow as pa

    row_numbers: np.ndarray | None = None
    try:
        # Fast path: the C parser with enough positional columns for the widest of the first lines.
        width = max((len(r) for r in csv.reader(io.StringIO(head), delimiter=delimiter)), default=0)
        frame = (
            pd.read_csv(
                io.StringIO(text),
                header=None,
                names=range(width),
                dtype=str,
                keep_default_na=False,
                na_filter=False,
                skip_blank_lines=False,
                sep=delimiter,
                engine="c",
            )
            if width
            else None
        )
    except (pd.errors.ParserError, ValueError):
        frame = None
    if frame is not None and _no_multiline(text, len(frame)):
        columns = {
            str(i): pa.array(frame[i].to_numpy(dtype=object), type=pa.string())
            for i in range(frame.shape[1])
        }
    else:  # ragged rows or quoted line breaks: the csv module copes with both
        reader = csv.reader(io.StringIO(text), delimiter=delimiter)
        rows, starts, line = [], [], 0
        for record in reader:  # rare path; line_num tells where each record ends
            rows.append(record)
            starts.append(line + 1)
            line = reader.line_num
        width = max((len(r) for r in rows), default=0)
        if rows and text.count('"') % 2 and line > starts[-1]:
            raise _unclosed_quote(text, starts[-1], file)
        if starts != list(range(1, len(starts) + 1)):
            row_numbers = np.asarray(starts, dtype=np.int64)
        columns = {
            str(i): pa.array([r[i] if i < len(r) else None for r in rows], type=pa.string())
            for i in range(width)
        }
    if not columns:
        return pa.table({}), None
    import pyarrow.compute as pc

    return pa.table(
        {
            name: pc.if_else(pc.equal(col, ""), pa.scalar(None, pa.string()), col)
            for name, col in columns.items()
        }
    ), row_numbers


def _no_multiline(text: str, records: int) -> bool:
    """Record index == line index only when no quoted field spans lines."""
    lines = text.count("\n") + (0 if text.endswith("\n") or not text else 1)
    return lines == records
