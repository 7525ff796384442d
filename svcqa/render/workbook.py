"""A small streaming XLSX writer for the per-branch reports.

Why not xlsxwriter here: ``svcqa report --all`` writes hundreds of workbooks, and xlsxwriter
spends ~15 ms of fixed cost per workbook (themes, packaging, temp files) plus ~15 µs per cell,
which alone breaks the "500 branches in a few seconds" budget. The report workbooks need only
strings, numbers, a dozen fixed styles, column widths, frozen panes and an autofilter, so this
writer emits exactly that SpreadsheetML (ECMA-376) and zips it: about 1 µs per cell.

Text is always written as an inline string cell (``t="inlineStr"``), never a formula, so input
text such as ``=cmd|' /C calc'!A0`` reads back as that text. Characters XML 1.0 forbids are
dropped. Output is byte-stable: fixed zip timestamps, ``created`` only when given.
"""

from __future__ import annotations

import math
import zipfile
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from svcqa.models import column_letter
from svcqa.output import XML_INCOMPATIBLE, atomic_write

# Style name -> cellXfs index in STYLES_XML below.
STYLE = {
    "default": 0,
    "head": 1,
    "text": 2,
    "pts": 3,
    "pct": 4,
    "int": 5,
    "lost": 6,
    "title": 7,
    "danger": 8,
    "info": 9,
    "bold": 10,
    "wrap": 11,
}

_XML_TABLE: dict[int, str | None] = {
    **XML_INCOMPATIBLE,  # one list of what XML cannot carry: output.xml_safe's
    ord("&"): "&amp;",
    ord("<"): "&lt;",
    ord(">"): "&gt;",
    ord('"'): "&quot;",
}
MAX_TEXT = 32767  # Excel's limit on characters in a cell


def xml_text(value: str) -> str:
    """Escape text for XML and drop characters XML 1.0 cannot carry (``output.xml_safe``)."""
    return value.translate(_XML_TABLE)


_COLUMNS = [column_letter(i) for i in range(64)]


class Sheet:
    """One worksheet, filled row by row (rows are written in order, like a stream)."""

    def __init__(
        self, name: str, widths: Sequence[float] = (), freeze: tuple[int, int] | None = None
    ):
        if len(name) > 31 or any(ch in name for ch in "[]:*?/\\"):
            raise ValueError(f"invalid sheet name {name!r}")
        self.name = name
        self.widths = list(widths)
        self.freeze = freeze  # (rows, columns) frozen at the top / left
        self.autofilter: tuple[int, int, int, int] | None = None
        self._rows: list[str] = []
        self.max_col = 0

    def row(
        self, values: Sequence[Any] = (), styles: str | Sequence[str | None] | None = None
    ) -> int:
        """Append one row; ``styles`` is one style name for all cells or one per cell. Returns its index."""
        r = len(self._rows) + 1
        if isinstance(styles, str) or styles is None:
            style_ids = [STYLE[styles or "default"]] * len(values)
        else:
            style_ids = [STYLE[s or "default"] for s in styles]
        cells = []
        for c, value in enumerate(values):
            cell = _cell(
                f"{_COLUMNS[c] if c < 64 else column_letter(c)}{r}",
                value,
                style_ids[c] if c < len(style_ids) else 0,
            )
            if cell:
                cells.append(cell)
        self.max_col = max(self.max_col, len(values))
        self._rows.append(f'<row r="{r}">{"".join(cells)}</row>' if cells else "")
        return r - 1

    def columns(
        self, columns: Sequence[Sequence[Any] | np.ndarray], styles: Sequence[str | None]
    ) -> None:
        """Append one row per position across aligned ``columns`` (the hot path for long lists).

        Built column by column with list comprehensions; cells carry no ``r`` reference (the
        format allows sequential cells), so every cell is emitted, empty ones as styled blanks.
        """
        if not columns or not len(columns[0]):
            return
        parts: list[list[str]] = []
        for values, style in zip(columns, styles):
            sid = STYLE[style or "default"]
            s = f' s="{sid}"' if sid else ""
            if isinstance(values, np.ndarray) and values.dtype.kind == "f":
                parts.append(
                    [
                        f"<c{s}><v>{_number(v)}</v></c>"
                        if math.isfinite(v)
                        else _cell("", v, sid, with_ref=False)
                        for v in values.tolist()
                    ]
                )
            else:
                parts.append(
                    [
                        _cell_text(s, v)
                        if isinstance(v, str)
                        else _cell("", v, sid, with_ref=False)
                        for v in values
                    ]
                )
        first = len(self._rows) + 1
        self._rows.extend(
            f'<row r="{first + i}">{"".join(cells)}</row>' for i, cells in enumerate(zip(*parts))
        )
        self.max_col = max(self.max_col, len(columns))

    def xml(self, selected: bool) -> str:
        view = '<sheetView workbookViewId="0"' + (' tabSelected="1"' if selected else "") + ">"
        if self.freeze and any(self.freeze):
            rows, cols = self.freeze
            pane = "bottomRight" if rows and cols else ("bottomLeft" if rows else "topRight")
            split = (f' xSplit="{cols}"' if cols else "") + (f' ySplit="{rows}"' if rows else "")
            view += f'<pane{split} topLeftCell="{column_letter(cols)}{rows + 1}" activePane="{pane}" state="frozen"/>'
            view += f'<selection pane="{pane}"/>'
        view += "</sheetView>"
        col_widths = "".join(
            f'<col min="{i + 1}" max="{i + 1}" width="{w:g}" customWidth="1"/>'
            for i, w in enumerate(self.widths)
        )
        parts = [
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">',
            f'<dimension ref="A1:{column_letter(max(self.max_col - 1, 0))}{max(len(self._rows), 1)}"/>',
            f"<sheetViews>{view}</sheetViews>",
            '<sheetFormatPr defaultRowHeight="15"/>',
            f"<cols>{col_widths}</cols>" if col_widths else "",
            "<sheetData>",
            "".join(self._rows),
            "</sheetData>",
        ]
        if self.autofilter:
            parts.append(f'<autoFilter ref="{self.filter_ref(absolute=False)}"/>')
        parts.append("</worksheet>")
        return "".join(parts)

    def filter_ref(self, absolute: bool) -> str:
        assert self.autofilter is not None
        r0, c0, r1, c1 = self.autofilter
        d = "$" if absolute else ""
        return f"{d}{column_letter(c0)}{d}{r0 + 1}:{d}{column_letter(c1)}{d}{r1 + 1}"


def _number(number: float) -> str:
    return repr(int(number)) if number.is_integer() and abs(number) < 1e15 else repr(number)


def _cell_text(s: str, value: str) -> str:
    if not value:
        return f"<c{s}/>"
    return (
        f'<c{s} t="inlineStr"><is><t xml:space="preserve">{xml_text(value[:MAX_TEXT])}</t></is></c>'
    )


def _cell(ref: str, value: Any, style: int, *, with_ref: bool = True) -> str:
    """One cell: numbers as numbers, text as an inline string (never a formula), blanks styled."""
    s = f' s="{style}"' if style else ""
    r = f' r="{ref}"' if with_ref else ""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value == "":
        return f"<c{r}{s}/>" if style or not with_ref else ""
    if isinstance(value, bool):
        value = "是" if value else ""
    if isinstance(value, str):
        return _cell_text(r + s, value)
    number = float(value)
    if math.isinf(number):
        return _cell_text(r + s, "inf" if number > 0 else "-inf")
    return f"<c{r}{s}><v>{_number(number)}</v></c>"


class Workbook:
    """Sheets in order, then ``save(path)`` (atomically)."""

    def __init__(self, *, title: str = "", author: str = "svcqa", created: datetime | None = None):
        self.sheets: list[Sheet] = []
        self.title, self.author, self.created = title, author, created

    def add_sheet(
        self, name: str, widths: Sequence[float] = (), freeze: tuple[int, int] | None = None
    ) -> Sheet:
        if any(s.name == name for s in self.sheets):
            raise ValueError(f"duplicate sheet name {name!r}")
        sheet = Sheet(name, widths, freeze)
        self.sheets.append(sheet)
        return sheet

    def save(self, path: str | Path) -> Path:
        files = self._files()
        with (
            atomic_write(path, "wb") as handle,
            zipfile.ZipFile(
                handle, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1
            ) as archive,
        ):
            for name, text in files:
                info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                archive.writestr(info, text.encode("utf-8"), compresslevel=1)
        return Path(path)

    def _workbook_xml(self) -> str:
        """xl/workbook.xml: the sheets in order and each autofilter's defined name."""
        sheets = "".join(
            f'<sheet name="{xml_text(s.name)}" sheetId="{i}" r:id="rId{i}"/>'
            for i, s in enumerate(self.sheets, start=1)
        )
        names = "".join(
            f'<definedName name="_xlnm._FilterDatabase" localSheetId="{i}" hidden="1">\'{xml_text(s.name)}\'!{s.filter_ref(absolute=True)}</definedName>'
            for i, s in enumerate(self.sheets)
            if s.autofilter
        )
        workbook = (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            '<bookViews><workbookView activeTab="0"/></bookViews>'
            f"<sheets>{sheets}</sheets>"
            + (f"<definedNames>{names}</definedNames>" if names else "")
            + "</workbook>"
        )
        return workbook

    def _files(self) -> list[tuple[str, str]]:
        n = len(self.sheets)
        sheet_overrides = "".join(
            f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            for i in range(1, n + 1)
        )
        content_types = (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            f"{sheet_overrides}"
            '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
            '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
            '<Override PartName="/docProps/app.xml" ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/>'
            "</Types>"
        )
        root_rels = (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
            '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/>'
            '<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties" Target="docProps/app.xml"/>'
            "</Relationships>"
        )
        workbook = self._workbook_xml()
        workbook_rels = (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            + "".join(
                f'<Relationship Id="rId{i}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet{i}.xml"/>'
                for i in range(1, n + 1)
            )
            + f'<Relationship Id="rId{n + 1}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>'
            "</Relationships>"
        )
        created = (
            f'<dcterms:created xsi:type="dcterms:W3CDTF">{self.created.strftime("%Y-%m-%dT%H:%M:%SZ")}</dcterms:created>'
            if self.created
            else ""
        )
        core = (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
            'xmlns:dcmitype="http://purl.org/dc/dcmitype/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            f"<dc:title>{xml_text(self.title)}</dc:title><dc:creator>{xml_text(self.author)}</dc:creator>{created}"
            "</cp:coreProperties>"
        )
        app = (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
            "<Application>svcqa</Application></Properties>"
        )
        files = [
            ("[Content_Types].xml", content_types),
            ("_rels/.rels", root_rels),
            ("docProps/core.xml", core),
            ("docProps/app.xml", app),
            ("xl/workbook.xml", workbook),
            ("xl/_rels/workbook.xml.rels", workbook_rels),
            ("xl/styles.xml", STYLES_XML),
        ]
        files += [
            (f"xl/worksheets/sheet{i}.xml", s.xml(selected=i == 1))
            for i, s in enumerate(self.sheets, start=1)
        ]
        return files


_BORDER = 'borderId="1" applyBorder="1"'
STYLES_XML = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<numFmts count="2"><numFmt numFmtId="164" formatCode="0.00"/><numFmt numFmtId="165" formatCode="0.0%"/></numFmts>'
    '<fonts count="6">'
    '<font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    '<font><b/><sz val="11"/><color rgb="FFFFFFFF"/><name val="Calibri"/><family val="2"/></font>'
    '<font><b/><sz val="14"/><name val="Calibri"/><family val="2"/></font>'
    '<font><b/><sz val="11"/><color rgb="FF9C0006"/><name val="Calibri"/><family val="2"/></font>'
    '<font><sz val="11"/><color rgb="FF1F4E79"/><name val="Calibri"/><family val="2"/></font>'
    "</fonts>"
    '<fills count="6">'
    '<fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill>'
    '<fill><patternFill patternType="solid"><fgColor rgb="FF1F4E79"/><bgColor indexed="64"/></patternFill></fill>'
    '<fill><patternFill patternType="solid"><fgColor rgb="FFF8CBAD"/><bgColor indexed="64"/></patternFill></fill>'
    '<fill><patternFill patternType="solid"><fgColor rgb="FFFFC7CE"/><bgColor indexed="64"/></patternFill></fill>'
    '<fill><patternFill patternType="solid"><fgColor rgb="FFDDEBF7"/><bgColor indexed="64"/></patternFill></fill>'
    "</fills>"
    '<borders count="2"><border><left/><right/><top/><bottom/><diagonal/></border>'
    '<border><left style="thin"><color auto="1"/></left><right style="thin"><color auto="1"/></right>'
    '<top style="thin"><color auto="1"/></top><bottom style="thin"><color auto="1"/></bottom><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="12">'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'  # default
    f'<xf numFmtId="0" fontId="2" fillId="2" {_BORDER} xfId="0" applyFont="1" applyFill="1" applyAlignment="1"><alignment vertical="center" wrapText="1"/></xf>'  # head
    f'<xf numFmtId="0" fontId="0" fillId="0" {_BORDER} xfId="0" applyAlignment="1"><alignment vertical="top"/></xf>'  # text
    f'<xf numFmtId="164" fontId="0" fillId="0" {_BORDER} xfId="0" applyNumberFormat="1"/>'  # pts
    f'<xf numFmtId="165" fontId="0" fillId="0" {_BORDER} xfId="0" applyNumberFormat="1"/>'  # pct
    f'<xf numFmtId="1" fontId="0" fillId="0" {_BORDER} xfId="0" applyNumberFormat="1"/>'  # int
    f'<xf numFmtId="164" fontId="0" fillId="3" {_BORDER} xfId="0" applyNumberFormat="1" applyFill="1"/>'  # lost
    '<xf numFmtId="0" fontId="3" fillId="0" borderId="0" xfId="0" applyFont="1"/>'  # title
    '<xf numFmtId="0" fontId="4" fillId="4" borderId="0" xfId="0" applyFont="1" applyFill="1" applyAlignment="1"><alignment wrapText="1"/></xf>'  # danger
    '<xf numFmtId="0" fontId="5" fillId="5" borderId="0" xfId="0" applyFont="1" applyFill="1" applyAlignment="1"><alignment wrapText="1"/></xf>'  # info
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'  # bold
    f'<xf numFmtId="0" fontId="0" fillId="0" {_BORDER} xfId="0" applyAlignment="1"><alignment vertical="top" wrapText="1"/></xf>'  # wrap
    "</cellXfs>"
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)
