"""Which rows of a returned review sheet are hidden (by a filter, or by hand).

calamine reads cells only, so the import cannot tell by itself that a decision came from a row
the reviewer did not see: a reviewer who filtered the sheet to their own region may not know
that rows filtered out carry a colleague's decisions. This reads the rows' hidden attribute
from the file: .xlsx/.xlsm (``<row r="5" hidden="1">``) and .ods
(``table:visibility="collapse"`` or ``"filter"``); .xls and CSV say nothing here.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

#: A hidden row's start tag in a sheet's XML, and its 1-based number.
_HIDDEN_ROW = re.compile(rb'<row\b(?=[^>]*\bhidden="(?:1|true)")[^>]*\br="(\d+)"')
_SCAN_BYTES, _SCAN_OVERLAP = 1 << 18, 4096
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
_OFFICE_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"


def hidden_rows(path: Path, sheet_name: str) -> set[int]:
    """Return the 0-based indexes of the hidden rows of ``sheet_name`` (empty when none, or
    when the file's kind keeps no such thing or cannot be read for it)."""
    suffix = path.suffix.lower()
    try:
        with zipfile.ZipFile(path) as archive:
            if suffix in {".xlsx", ".xlsm"}:
                part = _xlsx_part(archive, sheet_name)
                return set() if part is None else _xlsx_hidden(archive, part)
            if suffix == ".ods":
                return _ods_hidden(archive, sheet_name)
    except (OSError, zipfile.BadZipFile, KeyError, ValueError, SyntaxError):
        return set()  # calamine read the cells; the hidden rows are a bonus
    return set()


class HiddenRowsScan:
    """:func:`hidden_rows` on a thread, started before calamine reads the workbook: inflating
    a 5,000-row sheet's XML is an eighth of calamine's read, and both let go of the
    interpreter's lock while they work (as ``tables._FormulaScan`` does)."""

    def __init__(self, path: Path, sheet_name: str) -> None:
        import threading

        self.found: set[int] = set()
        self.thread = threading.Thread(target=self._scan, args=(path, sheet_name),
                                       name="hidden-rows-scan", daemon=True)
        self.thread.start()

    def _scan(self, path: Path, sheet_name: str) -> None:
        self.found = hidden_rows(path, sheet_name)

    def result(self) -> set[int]:
        self.thread.join()
        return self.found


def _xlsx_part(archive: zipfile.ZipFile, sheet_name: str) -> str | None:
    from xml.etree import ElementTree

    book = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    rel_id = next((sheet.get(f"{{{_OFFICE_RELS}}}id")
                   for sheet in book.iter(f"{{{_MAIN}}}sheet")
                   if sheet.get("name") == sheet_name), None)
    if rel_id is None:
        return None
    rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    target = next((rel.get("Target") for rel in rels.iter(f"{{{_RELS}}}Relationship")
                   if rel.get("Id") == rel_id), None)
    if not target:
        return None
    return target.lstrip("/") if target.startswith("/") else f"xl/{target}"


def _xlsx_hidden(archive: zipfile.ZipFile, part: str) -> set[int]:
    """Read piece by piece: most sheets hide nothing, and a substring test settles those."""
    found: set[int] = set()
    tail = b""
    with archive.open(part) as stream:
        while chunk := stream.read(_SCAN_BYTES):
            data = tail + chunk
            if b'hidden="' in data:
                found.update(int(m.group(1)) - 1 for m in _HIDDEN_ROW.finditer(data))
            tail = data[-_SCAN_OVERLAP:]
    return found


def _ods_hidden(archive: zipfile.ZipFile, sheet_name: str) -> set[int]:
    from xml.etree import ElementTree

    with archive.open("content.xml") as stream:
        if b'table:visibility="' not in stream.read():
            return set()
    found: set[int] = set()
    index = 0
    inside = False
    with archive.open("content.xml") as stream:
        for event, element in ElementTree.iterparse(stream, events=("start", "end")):
            if element.tag == f"{{{_TABLE}}}table":
                if event == "start":
                    inside = element.get(f"{{{_TABLE}}}name") == sheet_name
                elif inside:
                    break
                else:
                    element.clear()
            elif inside and event == "end" and element.tag == f"{{{_TABLE}}}table-row":
                repeated = int(element.get(f"{{{_TABLE}}}number-rows-repeated", "1"))
                if element.get(f"{{{_TABLE}}}visibility", "visible") != "visible":
                    found.update(range(index, index + min(repeated, 100_000)))
                index += repeated
                element.clear()
    return found
