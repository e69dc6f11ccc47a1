"""The one-sheet tables (ingest report, status, follow-up) are written part for part as
openpyxl's write-only mode writes them (the way they were written before, kept here as the
reference), only without importing openpyxl."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import pytest


def _openpyxl_reference(path: Path, rows: list[dict[str, Any]], columns: list[str],
                        headers: list[str] | None = None, *, title: str = "Taulukko") -> Path:
    """write_table_xlsx as it was: openpyxl writes the sheet around the rows, which are
    spliced in as XML text."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    from yhteistuumin_survey.sheetxml import row_xml, splice_rows
    from yhteistuumin_survey.workbooks import MAX_WIDTH, MIN_WIDTH, _cell

    headers = list(headers or columns)
    table = [[_cell(row.get(column)) for column in columns] for row in rows]
    widths = [len(str(h)) for h in headers]
    for values in table:
        for i, value in enumerate(values):
            if value is not None:
                text = value if isinstance(value, str) else str(value)
                longest = max(len(line) for line in text.split("\n")) if "\n" in text \
                    else len(text)
                widths[i] = max(widths[i], longest)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title[:31])
    for i, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = min(MAX_WIDTH,
                                                                  max(MIN_WIDTH, width + 2))
    sheet.freeze_panes = "A2"
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    bold, wrap = Font(bold=True), Alignment(wrap_text=True, vertical="top")
    cells = []
    for heading in headers:
        cell = WriteOnlyCell(sheet, value=heading)
        cell.font = bold
        cell.alignment = wrap
        cells.append(cell)
    sheet.append(cells)
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{max(1, len(rows) + 1)}"
    sheet.print_title_rows = "1:1"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = "9"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    buffer = io.BytesIO()
    workbook.save(buffer)
    splice_rows(buffer, path, {sheet.title: (row_xml(number, values) for number, values
                                             in enumerate(table, start=2))})
    return path


def _parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()
                if not name.startswith("docProps/")}


CASES = [
    ([], ["a", "b"], None, "Taulukko"),
    ([{"a": "x"}], ["a"], ["Otsikko & <muu>"], "Lukuraportti"),
    ([{"file": "k/ä.xlsx", "row": n, "ok": n % 2 == 0, "share": n / 3, "flags": ["a", "b"],
       "reason": "=1+1" if n == 3 else f"rivi {n}\ntoinen rivi" if n % 5 == 0 else None}
      for n in range(40)], ["file", "row", "ok", "share", "flags", "reason"],
     [" Tiedosto", "Rivi", "OK", "Osuus", "Liput", "Syy \"lainaus\""], "Inläsningsrapport"),
    ([{"a": "x" * 200}], ["a"], None, "Kunnan 'oma' taulukko, joka on liian pitkä nimeltään"),
    ([{c: c for c in "abcdefghijklmnopqrstuvwxyzåäö"}], list("abcdefghijklmnopqrstuvwxyzåäö"),
     None, "T"),
]


@pytest.mark.parametrize("rows,columns,headers,title", CASES)
def test_the_table_workbook_is_what_openpyxl_wrote_part_for_part(tmp_path, rows, columns,
                                                                 headers, title):
    from yhteistuumin_survey.workbooks import write_table_xlsx

    ours = write_table_xlsx(tmp_path / "ours.xlsx", rows, columns, headers, title=title)
    reference = _openpyxl_reference(tmp_path / "ref.xlsx", rows, columns, headers, title=title)
    assert _parts(ours) == _parts(reference)


def test_a_sheet_title_excel_refuses_is_refused(tmp_path):
    from yhteistuumin_survey.workbooks import write_table_xlsx

    with pytest.raises(ValueError, match="Invalid character"):
        write_table_xlsx(tmp_path / "x.xlsx", [], ["a"], title="a/b")


def test_writing_a_table_needs_no_openpyxl(tmp_path):
    import subprocess
    import sys

    code = ("import sys; from pathlib import Path; "
            "from yhteistuumin_survey.workbooks import write_table_xlsx; "
            f"write_table_xlsx(Path({str(tmp_path / 't.xlsx')!r}), [{{'a': 1}}], ['a']); "
            "print('openpyxl' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
