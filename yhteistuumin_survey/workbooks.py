"""Write a table as an ``.xlsx`` a coordinator can filter and print (``status``, ``ingest`` reports).

One sheet: bold headings frozen on top with an autofilter, column widths from the content,
landscape pages fitted to the width with the heading row repeated on every page. Text that a
spreadsheet would take for a formula is written as text.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

from .sheetxml import ZIP_LEVEL, cell_value, column_letter, column_letters, row_xml, xml_text

#: Columns are never narrower or wider than this (characters).
MIN_WIDTH, MAX_WIDTH = 6, 60

#: Characters a sheet's name may not hold (Excel's rule, as openpyxl checks it).
_INVALID_TITLE = re.compile(r"[\\*?:/\[\]]")


def _cell(value: Any) -> Any:
    if isinstance(value, list | tuple):
        value = ", ".join(str(item) for item in value)
    return value if isinstance(value, bool) else cell_value(value)


def write_table_xlsx(path: Path, rows: Sequence[Mapping[str, Any]], columns: Sequence[str],
                     headers: Sequence[str] | None = None, *, title: str = "Taulukko") -> Path:
    """Write ``rows`` (keys ``columns``, headed ``headers``) as a one-sheet workbook at ``path``.

    The workbook's parts are written here as XML text, part for part what openpyxl's
    write-only mode writes for the same sheet (tests/test_workbooks_written.py compares them),
    without importing openpyxl (a third of a second, paid by every ingest for its report) or
    making a cell object per value. The widths come from a first pass over the values; a
    value repeated down a column (a file name, an outcome) is cleaned once.
    """
    return write_values_xlsx(path, ([row.get(column) for column in columns] for row in rows),
                             [str(h) for h in (headers or columns)], title=title)


def write_values_xlsx(path: Path, rows: Iterable[Sequence[Any]], headers: Sequence[str], *,
                      title: str = "Taulukko") -> Path:
    """``write_table_xlsx`` of rows given as their values, in the order of ``headers``."""
    import zipfile

    headers = [str(h) for h in headers]
    sheet_title = title[:31]
    bad = _INVALID_TITLE.search(sheet_title)
    if bad:
        raise ValueError(f"Invalid character {bad.group()} found in sheet title")
    table, widths = _clean(rows, headers)
    widths = [min(MAX_WIDTH, max(MIN_WIDTH, width + 2)) for width in widths]
    last_row = max(1, len(table) + 1)
    path.parent.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=ZIP_LEVEL) as archive:
        archive.writestr("docProps/app.xml", _APP)
        archive.writestr("docProps/core.xml", _CORE.format(now=now))
        archive.writestr("xl/theme/theme1.xml", _theme())
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as part:
            for chunk in _sheet_xml(headers, widths, table, last_row):
                part.write(chunk.encode("utf-8"))
        archive.writestr("xl/styles.xml", _STYLES)
        archive.writestr("_rels/.rels", _ROOT_RELS)
        archive.writestr("xl/workbook.xml", _workbook_xml(sheet_title, len(headers), last_row))
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
    return path


def _clean(rows: Iterable[Sequence[Any]], headers: list[str]) -> tuple[list[list[Any]], list[int]]:
    """The cells' values (``_cell``) and each column's longest line, in one pass. A text is
    cleaned and measured once however often it comes (a file name, an outcome)."""
    seen: dict[str, tuple[Any, int]] = {}  # text -> (cleaned, its longest line)
    widths = [len(h) for h in headers]
    table = []
    for row in rows:
        values: list[Any] = []
        for i, value in enumerate(row):
            if type(value) is str:
                known = seen.get(value)
                if known is None:
                    cleaned = cell_value(value)
                    known = seen[value] = (cleaned, _longest(cleaned))
                value, longest = known
            elif value is None:
                values.append(None)
                continue
            elif type(value) is int:
                longest = len(str(value))
            else:
                value = _cell(value)
                longest = 0 if value is None else _longest(value if isinstance(value, str)
                                                            else str(value))
            if longest > widths[i]:
                widths[i] = longest
            values.append(value)
        table.append(values)
    return table, widths


def _longest(text: str) -> int:
    return max(len(line) for line in text.split("\n")) if "\n" in text else len(text)


def _t(text: str) -> str:
    """A heading's text element as openpyxl writes it: spaces kept where the text has them at
    its ends, characters outside ASCII as character references."""
    space = ' xml:space="preserve"' if text != text.strip() else ""
    escaped = xml_text(text).encode("ascii", "xmlcharrefreplace").decode("ascii")
    return f"<t{space}>{escaped}</t>"


def _sheet_xml(headers: list[str], widths: list[int], table: list[list[Any]],
               last_row: int) -> Iterator[str]:
    cols = "".join(f'<col width="{width}" customWidth="1" min="{i}" max="{i}"/>'
                   for i, width in enumerate(widths, start=1))
    heading = "".join(f'<c r="{column_letter(i)}1" s="1" t="inlineStr"><is>{_t(h)}</is></c>'
                      for i, h in enumerate(headers, start=1))
    yield (f'<worksheet xmlns="{_MAIN}"><sheetPr><outlinePr summaryBelow="1" summaryRight="1"/>'
           '<pageSetUpPr fitToPage="1"/></sheetPr><sheetViews><sheetView workbookViewId="0">'
           '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
           '<selection pane="bottomLeft" activeCell="A1" sqref="A1"/></sheetView></sheetViews>'
           f'<sheetFormatPr baseColWidth="8" defaultRowHeight="15"/><cols>{cols}</cols>'
           f'<sheetData><row r="1">{heading}</row>')
    # Each row as sheetxml.row_xml writes it; a cell's XML after its reference is made once
    # per distinct value (a report repeats its file names, formats and outcomes).
    letters = column_letters(len(headers))
    starts = [f'<c r="{letters[index + 1]}' for index in range(len(headers))]
    texts: dict[str, str] = {}  # a text's cell XML after the reference
    others: dict[tuple[type, Any], str] = {}  # the same for numbers and booleans
    chunk: list[str] = []
    for number, values in enumerate(table, start=2):
        cells = [f'<row r="{number}">']
        for index, value in enumerate(values):
            if type(value) is str:
                if not value:
                    continue
                fragment = texts.get(value)
                if fragment is None:
                    if len(texts) > 100_000:
                        texts.clear()
                    fragment = texts[value] = _fragment(value)
            elif value is None:
                continue
            elif type(value) is int:
                fragment = f' t="n"><v>{value!r}</v></c>'  # as row_xml writes a number
            else:
                key = (type(value), value)
                fragment = others.get(key)
                if fragment is None:
                    fragment = others[key] = _fragment(value)
            cells.append(f'{starts[index]}{number}"{fragment}')
        cells.append("</row>")
        chunk.append("".join(cells))
        if len(chunk) == 200:
            yield "".join(chunk)
            chunk = []
    yield "".join(chunk)
    yield (f'</sheetData><autoFilter ref="A1:{column_letter(len(headers))}{last_row}"/>'
           '<pageMargins left="0.75" right="0.75" top="1" bottom="1" header="0.5" '
           'footer="0.5"/><pageSetup orientation="landscape" paperSize="9" fitToHeight="0" '
           'fitToWidth="1"/></worksheet>')


_CELL_A1 = '<row r="1"><c r="A1"'


def _fragment(value: Any) -> str:
    """A cell's XML after ``<c r="A1"`` as ``row_xml`` writes it."""
    return row_xml(1, [value])[len(_CELL_A1):-len("</row>")]


def _workbook_xml(title: str, columns: int, last_row: int) -> str:
    quoted = xml_text("'" + title.replace("'", "''") + "'")
    name = xml_text(title).replace('"', "&quot;")
    return (f'<workbook xmlns="{_MAIN}"><workbookPr/><workbookProtection/><bookViews>'
            '<workbookView visibility="visible" minimized="0" showHorizontalScroll="1" '
            'showVerticalScroll="1" showSheetTabs="1" tabRatio="600" firstSheet="0" '
            'activeTab="0" autoFilterDateGrouping="1"/></bookViews><sheets>'
            f'<sheet xmlns:r="{_OFFICE_RELS}" name="{name}" sheetId="1" state="visible" '
            'r:id="rId1"/></sheets><definedNames>'
            '<definedName name="_xlnm._FilterDatabase" localSheetId="0" hidden="1">'
            f"{quoted}!$A$1:${column_letter(columns)}${last_row}</definedName>"
            f'<definedName name="_xlnm.Print_Titles" localSheetId="0">{quoted}!$1:$1'
            '</definedName></definedNames><calcPr calcId="124519" fullCalcOnLoad="1"/>'
            "</workbook>")


@cache
def _theme() -> str:
    """The Office theme openpyxl writes into every workbook (its ``theme_xml``, MIT licence)."""
    return (Path(__file__).with_name("xlsx_theme.xml")).read_text(encoding="utf-8")


_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_OFFICE_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PACKAGE_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
_APP = ('<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/'
        'extended-properties"><Application>Microsoft Excel Compatible / yhteistuumin-survey'
        '</Application><AppVersion>3.1</AppVersion></Properties>')
_CORE = ('<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/'
         'core-properties"><dc:creator xmlns:dc="http://purl.org/dc/elements/1.1/">'
         'yhteistuumin-survey</dc:creator><dcterms:created xmlns:dcterms="http://purl.org/dc/'
         'terms/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
         'xsi:type="dcterms:W3CDTF">{now}</dcterms:created><dcterms:modified '
         'xmlns:dcterms="http://purl.org/dc/terms/" xmlns:xsi="http://www.w3.org/2001/'
         'XMLSchema-instance" xsi:type="dcterms:W3CDTF">{now}</dcterms:modified>'
         '</cp:coreProperties>')
_ROOT_RELS = (f'<Relationships xmlns="{_PACKAGE_RELS}"><Relationship Type="{_OFFICE_RELS}/'
              'officeDocument" Target="xl/workbook.xml" Id="rId1"/><Relationship '
              f'Type="{_PACKAGE_RELS}/metadata/core-properties" Target="docProps/core.xml" '
              f'Id="rId2"/><Relationship Type="{_OFFICE_RELS}/extended-properties" '
              'Target="docProps/app.xml" Id="rId3"/></Relationships>')
_WORKBOOK_RELS = (f'<Relationships xmlns="{_PACKAGE_RELS}"><Relationship '
                  f'Type="{_OFFICE_RELS}/worksheet" Target="/xl/worksheets/sheet1.xml" '
                  f'Id="rId1"/><Relationship Type="{_OFFICE_RELS}/styles" Target="styles.xml" '
                  f'Id="rId2"/><Relationship Type="{_OFFICE_RELS}/theme" '
                  'Target="theme/theme1.xml" Id="rId3"/></Relationships>')
_CONTENT_TYPES = (
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default '
    'Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/><Override '
    'PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.'
    'spreadsheetml.styles+xml"/><Override PartName="/xl/theme/theme1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.theme+xml"/><Override '
    'PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.'
    'core-properties+xml"/><Override PartName="/docProps/app.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.extended-properties+xml"/><Override '
    'PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"'
    "/></Types>")
_INDEXED_COLOURS = (
    "00000000 00FFFFFF 00FF0000 0000FF00 000000FF 00FFFF00 00FF00FF 0000FFFF 00000000 00FFFFFF "
    "00FF0000 0000FF00 000000FF 00FFFF00 00FF00FF 0000FFFF 00800000 00008000 00000080 00808000 "
    "00800080 00008080 00C0C0C0 00808080 009999FF 00993366 00FFFFCC 00CCFFFF 00660066 00FF8080 "
    "000066CC 00CCCCFF 00000080 00FF00FF 00FFFF00 0000FFFF 00800080 00800000 00008080 000000FF "
    "0000CCFF 00CCFFFF 00CCFFCC 00FFFF99 0099CCFF 00FF99CC 00CC99FF 00FFCC99 003366FF 0033CCCC "
    "0099CC00 00FFCC00 00FF9900 00FF6600 00666699 00969696 00003366 00339966 00003300 00333300 "
    "00993300 00993366 00333399 00333333").split()
_STYLES = (
    f'<styleSheet xmlns="{_MAIN}"><numFmts count="0"/><fonts count="2"><font><name '
    'val="Calibri"/><family val="2"/><color theme="1"/><sz val="11"/><scheme val="minor"/>'
    '</font><font><b val="1"/></font></fonts><fills count="2"><fill><patternFill/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills><borders count="1"><border>'
    '<left/><right/><top/><bottom/><diagonal/></border></borders><cellStyleXfs count="1"><xf '
    'numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="2"><xf '
    'numFmtId="0" fontId="0" fillId="0" borderId="0" pivotButton="0" quotePrefix="0" '
    'xfId="0"/><xf numFmtId="0" fontId="1" fillId="0" borderId="0" applyAlignment="1" '
    'pivotButton="0" quotePrefix="0" xfId="0"><alignment vertical="top" wrapText="1"/></xf>'
    '</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0" '
    'hidden="0"/></cellStyles><tableStyles count="0" defaultTableStyle="TableStyleMedium9" '
    'defaultPivotStyle="PivotStyleLight16"/><colors><indexedColors>'
    + "".join(f'<rgbColor rgb="{rgb}"/>' for rgb in _INDEXED_COLOURS)
    + "</indexedColors></colors></styleSheet>")
