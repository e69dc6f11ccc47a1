"""Which rows of a returned review sheet saved as .ods are hidden (by a filter, or by hand).

calamine reads cells only, so the import cannot tell by itself that a decision came from a row
the reviewer did not see: a reviewer who filtered the sheet to their own region may not know
that rows filtered out carry a colleague's decisions. For .xlsx/.xlsm the formula scan of
``tables.read_workbook`` finds them in the same pass (``Sheet.hidden_rows``); this reads an
.ods file's ``table:visibility="collapse"`` or ``"filter"``. .xls and CSV say nothing here.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"


def ods_hidden_rows(path: Path, sheet_name: str) -> set[int]:
    """Return the 0-based indexes of the hidden rows of ``sheet_name`` in an .ods file (empty
    for another kind of file, or one that cannot be read for it)."""
    if path.suffix.lower() != ".ods":
        return set()
    try:
        with zipfile.ZipFile(path) as archive:
            return _ods_hidden(archive, sheet_name)
    except (OSError, zipfile.BadZipFile, KeyError, ValueError, SyntaxError):
        return set()  # calamine read the cells; the hidden rows are a bonus


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
