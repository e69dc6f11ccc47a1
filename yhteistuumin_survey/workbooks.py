"""Write a table as an ``.xlsx`` a coordinator can filter and print (``status``, ``ingest`` reports).

One sheet: bold headings frozen on top with an autofilter, column widths from the content,
landscape pages fitted to the width with the heading row repeated on every page. Text that a
spreadsheet would take for a formula is written as text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

#: Columns are never narrower or wider than this (characters).
MIN_WIDTH, MAX_WIDTH = 6, 60


def _cell(value: Any) -> Any:
    from .reports import neutralise_formula

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
    """Write ``rows`` (keys ``columns``, headed ``headers``) as a one-sheet workbook at ``path``."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    headers = list(headers or columns)
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = title[:31]
    sheet.append(headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    widths = [len(str(h)) for h in headers]
    for row in rows:
        values = [_cell(row.get(column)) for column in columns]
        sheet.append(values)
        for i, value in enumerate(values):
            if value is not None:
                widths[i] = max(widths[i], max(len(line) for line in str(value).split("\n")))
    for i, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = min(MAX_WIDTH,
                                                                  max(MIN_WIDTH, width + 2))
    last = get_column_letter(len(headers))
    sheet.auto_filter.ref = f"A1:{last}{max(1, len(rows) + 1)}"
    sheet.freeze_panes = "A2"
    sheet.print_title_rows = "1:1"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)
    return path
