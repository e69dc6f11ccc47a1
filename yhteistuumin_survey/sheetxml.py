"""Rows of a big sheet written as XML text and spliced into a workbook openpyxl wrote.

openpyxl makes a cell object and an XML element per value: for the review workbook (5,000
practices × 24 columns) and an ingest report (10,000 rows) that was most of the time. So
openpyxl still writes the workbook around the rows through its public API (headings, styles,
drop-downs, protection, print setup), and the data rows are formatted here and added at the
end of each sheet's ``<sheetData>`` while the archive is copied. Used by ``review export``
(:mod:`.review.export`) and every one-sheet table (:mod:`.workbooks`: ``status``, reports).

Text is written as inline strings, so no value is ever read as a formula or an error code;
it is cleaned first with :func:`cell_value` (characters XML cannot carry dropped, Excel's cell
limit kept, a leading formula character neutralised).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import IO, Any

from .reports import neutralise_formula

#: Excel's most characters in one cell.
EXCEL_CELL_LIMIT = 32767

#: zlib level of the workbook's parts: 1 packs the text about as small as Excel's own choice
#: for these sheets, in a third of the time of the default 6.
ZIP_LEVEL = 1

#: Characters XML 1.0 cannot carry (and lone surrogates, U+FFFE/FFFF).
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

#: An underscore that Excel (and calamine, LibreOffice) would read as the start of an
#: ``_xHHHH_`` escape; written as Excel writes a typed one, ``_x005F_``.
_ESCAPE_LIKE = re.compile(r"_(?=x[0-9A-Fa-f]{4}_)")

_LETTERS = [""]  # column number -> letters, filled on first use


def cell_value(value: Any) -> Any:
    """Return what goes into a cell: numbers as they are, anything else (a boolean too) as
    text with the characters XML cannot carry dropped, cut to Excel's cell limit, and a
    leading formula character neutralised."""
    if value is None or isinstance(value, int | float) and not isinstance(value, bool):
        return value
    text = _ILLEGAL.sub("", str(value))
    if len(text) > EXCEL_CELL_LIMIT - 2:
        text = text[:EXCEL_CELL_LIMIT - 3] + "…"
    return neutralise_formula(text)


def cut_length(value: Any) -> int | None:
    """Return the length of a text :func:`cell_value` cuts to Excel's cell limit (None when it
    fits): the cell then holds its beginning and "…"."""
    if value is None or isinstance(value, int | float) and not isinstance(value, bool):
        return None
    text = str(value)
    if len(text) <= EXCEL_CELL_LIMIT - 2:
        return None
    length = len(_ILLEGAL.sub("", text))
    return length if length > EXCEL_CELL_LIMIT - 2 else None


def column_letter(number: int) -> str:
    """The letters of column ``number`` (1 -> A, 27 -> AA), as Excel names it."""
    letters = ""
    while number > 0:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def column_letters(count: int) -> list[str]:
    """Return the letters of columns 1 … ``count`` (index 0 is unused)."""
    while len(_LETTERS) <= count:
        _LETTERS.append(column_letter(len(_LETTERS)))
    return _LETTERS


def xml_text(text: str) -> str:
    """Cell text as XML character data (the text is already cleaned by :func:`cell_value`)."""
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    if "\r" in text:
        text = text.replace("\r", "&#13;")  # an XML reader would turn a bare CR into LF
    if "_x" in text:
        text = _ESCAPE_LIKE.sub("_x005F_", text)
    return text


def row_xml(number: int, values: Sequence[Any], *, style_ids: Sequence[int] | None = None,
            height: float | None = None) -> str:
    """One ``<row>`` of cleaned values (:func:`cell_value`): text inline, numbers as numbers,
    booleans as booleans, an empty cell kept only when it carries a style (``style_ids``, one
    cell format number per column: an unlocked cell of an editable column)."""
    letters = column_letters(len(values))
    cells = []
    for index, value in enumerate(values):
        ref = f"{letters[index + 1]}{number}"
        style = "" if style_ids is None else f' s="{style_ids[index]}"'
        if value is None or value == "":
            if style:
                cells.append(f'<c r="{ref}"{style}/>')
        elif isinstance(value, str):
            cells.append(f'<c r="{ref}"{style} t="inlineStr"><is><t xml:space="preserve">'
                         f"{xml_text(value)}</t></is></c>")
        elif isinstance(value, bool):
            cells.append(f'<c r="{ref}"{style} t="b"><v>{int(value)}</v></c>')
        elif isinstance(value, float) and not math.isfinite(value):  # no number in Excel
            cells.append(f'<c r="{ref}"{style} t="inlineStr"><is><t>{value}</t></is></c>')
        else:
            cells.append(f'<c r="{ref}"{style} t="n"><v>{value!r}</v></c>')
    size = "" if height is None else f' ht="{height}" customHeight="1"'
    return f'<row r="{number}"{size}>{"".join(cells)}</row>'


def splice_rows(scaffold: IO[bytes] | Path, target: Path,
                rows_of: dict[str, Iterable[str]]) -> None:
    """Copy the workbook ``scaffold`` (a zip) to ``target``, adding to each named sheet the
    rows' XML after the rows openpyxl wrote. The sheets are written in the order they come in
    the zip (openpyxl writes them in workbook order), so a sheet's rows may be produced while
    an earlier sheet is written."""
    import zipfile

    with zipfile.ZipFile(scaffold) as source, \
            zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=ZIP_LEVEL) as out:
        parts = _sheet_parts(source)
        for info in source.infolist():
            data = source.read(info)
            sheet_name = parts.get(info.filename)
            if sheet_name not in rows_of:
                out.writestr(info.filename, data)
                continue
            head, tail = _split_sheet_data(data.decode("utf-8"), info.filename)
            with out.open(info.filename, "w", force_zip64=True) as part:
                part.write(head.encode("utf-8"))
                chunk: list[str] = []
                for xml in rows_of[sheet_name]:
                    chunk.append(xml)
                    if len(chunk) == 200:
                        part.write("".join(chunk).encode("utf-8"))
                        chunk = []
                part.write("".join(chunk).encode("utf-8"))
                part.write(tail.encode("utf-8"))


def _sheet_parts(archive: Any) -> dict[str, str]:
    """The zip member of each sheet, from the workbook's relationships: member -> sheet name."""
    return dict(_parts_of(archive.read("xl/_rels/workbook.xml.rels"),
                          archive.read("xl/workbook.xml")))


@lru_cache(maxsize=16)
def _parts_of(rels: bytes, workbook: bytes) -> tuple[tuple[str, str], ...]:
    """``_sheet_parts`` of these two parts' bytes: the same bytes give the same sheets, and a
    round's questionnaires (built alike) carry the same two parts, parsed here once."""
    import posixpath
    from xml.etree import ElementTree

    main = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    relation = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
    targets = {rel.get("Id"): rel.get("Target", "") for rel in ElementTree.fromstring(rels)}
    parts: dict[str, str] = {}
    for sheet in ElementTree.fromstring(workbook).iter(f"{main}sheet"):
        target = targets.get(sheet.get(relation), "")
        member = target.lstrip("/") if target.startswith("/") \
            else posixpath.normpath(posixpath.join("xl", target))
        parts[member] = sheet.get("name", "")
    return tuple(parts.items())


def _split_sheet_data(text: str, member: str) -> tuple[str, str]:
    """A sheet's XML cut where rows go: before and after the end of ``<sheetData>``."""
    end = text.find("</sheetData>")
    if end < 0 and "<sheetData/>" in text:
        start = text.index("<sheetData/>")
        return text[:start] + "<sheetData>", "</sheetData>" + text[start + len("<sheetData/>"):]
    if end < 0 or text.count("</sheetData>") != 1:
        raise AssertionError(f"{member}: no single <sheetData> to add the rows to")
    return text[:end], text[end:]
