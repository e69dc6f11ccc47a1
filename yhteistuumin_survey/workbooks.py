"""Write a table as an ``.xlsx`` a coordinator can filter and print (``status``, ``ingest`` reports).

One sheet: bold headings frozen on top with an autofilter, column widths from the content,
landscape pages fitted to the width with the heading row repeated on every page. Text that a
spreadsheet would take for a formula is written as text.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from .reports import neutralise_formula

#: Columns are never narrower or wider than this (characters).
MIN_WIDTH, MAX_WIDTH = 6, 60


def _cell(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, list | tuple):
        value = ", ".join(str(item) for item in value)
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value
    return neutralise_formula(str(value))


def write_table_xlsx(path: Path, rows: Sequence[Mapping[str, Any]], columns: Sequence[str],
                     headers: Sequence[str] | None = None, *, title: str = "Taulukko") -> Path:
    """Write ``rows`` (keys ``columns``, headed ``headers``) as a one-sheet workbook at ``path``.

    openpyxl's write-only mode streams the rows to the file (no cell object per value, which
    cost an ingest of 10,000 rows a second); the widths come from a first pass over the values,
    since the columns are written before the first row.
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    headers = list(headers or columns)
    table = [[_cell(row.get(column)) for column in columns] for row in rows]
    widths = [len(str(h)) for h in headers]
    for values in table:
        for i, value in enumerate(values):
            if value is not None:
                text = value if isinstance(value, str) else str(value)
                longest = max(len(line) for line in text.split("\n")) if "\n" in text \
                    else len(text)
                if longest > widths[i]:
                    widths[i] = longest
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title[:31])
    for i, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = min(MAX_WIDTH,
                                                                  max(MIN_WIDTH, width + 2))
    sheet.freeze_panes = "A2"
    sheet.sheet_properties.pageSetUpPr.fitToPage = True  # written with the columns
    bold, wrap = Font(bold=True), Alignment(wrap_text=True, vertical="top")
    heading_cells = []
    for heading in headers:
        cell = WriteOnlyCell(sheet, value=heading)
        cell.font = bold
        cell.alignment = wrap
        heading_cells.append(cell)
    sheet.append(heading_cells)
    rows_xml = _rows_xml(table, first_row=2)
    if rows_xml is None:  # values only openpyxl knows how to write (dates, floats, …)
        for values in table:
            sheet.append(values)
    last = get_column_letter(len(headers))
    sheet.auto_filter.ref = f"A1:{last}{max(1, len(rows) + 1)}"
    sheet.print_title_rows = "1:1"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = "9"  # A4 (Worksheet.PAPERSIZE_A4)
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    path.parent.mkdir(parents=True, exist_ok=True)
    if rows_xml is None:
        workbook.save(path)
        return path
    import io

    buffer = io.BytesIO()
    workbook.save(buffer)
    _insert_rows(buffer.getvalue(), path, sheet_xml=f"xl/worksheets/{sheet.path.rsplit('/', 1)[-1]}",
                 rows_xml=rows_xml)
    return path


#: What openpyxl's writer escapes in a cell's text (lxml: the three markup characters and CR).
_XML_TEXT = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})


def _rows_xml(table: Sequence[Sequence[Any]], *, first_row: int) -> Iterator[bytes] | None:
    """The rows as the worksheet XML openpyxl's write-only mode writes for them, in pieces of
    a thousand rows; None when a value is not text or a whole number (or is text openpyxl
    refuses or stores otherwise).

    Written here in one pass: openpyxl makes a cell object and an XML element per value, which
    cost an ingest report of 10,000 rows about a second.
    """
    from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE

    errors = frozenset(ERROR_CODES)
    for values in table:
        for value in values:
            if value is None or type(value) is int:
                continue
            if type(value) is not str or len(value) > 32767 or value in errors or \
                    (len(value) > 1 and value[0] == "=") or ILLEGAL_CHARACTERS_RE.search(value):
                return None
    return _row_pieces(table, first_row=first_row)


def _row_pieces(table: Sequence[Sequence[Any]], *, first_row: int,
                size: int = 1000) -> Iterator[bytes]:
    from openpyxl.utils import get_column_letter

    letters = [get_column_letter(i) for i in range(1, 1 + max((len(r) for r in table), default=0))]
    for start in range(0, len(table), size):
        parts: list[str] = []
        for number, values in enumerate(table[start:start + size], start=first_row + start):
            parts.append(f'<row r="{number}">')
            for letter, value in zip(letters, values, strict=False):
                if value is None:
                    continue
                if type(value) is int:
                    parts.append(f'<c r="{letter}{number}" t="n"><v>{value:.16g}</v></c>')
                elif not value:
                    parts.append(f'<c r="{letter}{number}" t="inlineStr"></c>')
                else:
                    space = ' xml:space="preserve"' if value != value.strip() else ""
                    parts.append(f'<c r="{letter}{number}" t="inlineStr"><is><t{space}>'
                                 f'{value.translate(_XML_TEXT)}</t></is></c>')
            parts.append("</row>")
        yield "".join(parts).encode("ascii", "xmlcharrefreplace")  # as lxml writes it


def _insert_rows(workbook: bytes, path: Path, *, sheet_xml: str,
                 rows_xml: Iterator[bytes]) -> None:
    """Write ``workbook`` to ``path`` with ``rows_xml`` added at the end of the sheet's rows
    (streamed into the archive piece by piece)."""
    import io
    import zipfile

    with zipfile.ZipFile(io.BytesIO(workbook)) as source, \
            zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename != sheet_xml:
                target.writestr(info, data)
                continue
            head, tail = data.rsplit(b"</sheetData>", 1)
            with target.open(info, "w") as out:
                out.write(head)
                for piece in rows_xml:
                    out.write(piece)
                out.write(b"</sheetData>" + tail)
