"""Write a table as an ``.xlsx`` a coordinator can filter and print (``status``, ``ingest`` reports).

One sheet: bold headings frozen on top with an autofilter, column widths from the content,
landscape pages fitted to the width with the heading row repeated on every page. Text that a
spreadsheet would take for a formula is written as text.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from .sheetxml import cell_value, row_xml, splice_rows

#: Columns are never narrower or wider than this (characters).
MIN_WIDTH, MAX_WIDTH = 6, 60


def _cell(value: Any) -> Any:
    if isinstance(value, list | tuple):
        value = ", ".join(str(item) for item in value)
    return value if isinstance(value, bool) else cell_value(value)


def write_table_xlsx(path: Path, rows: Sequence[Mapping[str, Any]], columns: Sequence[str],
                     headers: Sequence[str] | None = None, *, title: str = "Taulukko") -> Path:
    """Write ``rows`` (keys ``columns``, headed ``headers``) as a one-sheet workbook at ``path``.

    openpyxl writes the sheet around the rows; the rows are spliced in as XML text
    (:mod:`.sheetxml`: no cell object per value, which cost an ingest report of 10,000 rows
    about a second). The widths come from a first pass over the values.
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
    last = get_column_letter(len(headers))
    sheet.auto_filter.ref = f"A1:{last}{max(1, len(rows) + 1)}"
    sheet.print_title_rows = "1:1"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = "9"  # A4 (Worksheet.PAPERSIZE_A4)
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    workbook.save(buffer)
    splice_rows(buffer, path, {sheet.title: (row_xml(number, values) for number, values
                                             in enumerate(table, start=2))})
    return path
