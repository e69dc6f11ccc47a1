"""Read tabular files as people send them: CSV in any usual encoding and delimiter, XLSX, XLS, ODS.

Every reader returns ``Sheet`` objects holding rows of cell values (text, numbers, dates),
never raising anything but ``InputError`` with a reason a person can act on. Spreadsheets are
read with python-calamine (fast, no XML entity expansion); zip containers are checked for size
and compression ratio before they are opened.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import InputError

#: Limits against zip bombs and huge uploads.
MAX_FILE_BYTES = 200 * 1024 * 1024
MAX_UNCOMPRESSED_BYTES = 500 * 1024 * 1024
MAX_COMPRESSION_RATIO = 200

SPREADSHEET_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".ods"}
TEXT_SUFFIXES = {".csv", ".tsv", ".txt"}


@dataclass
class Sheet:
    """One sheet (or the whole of a CSV file) as rows of cell values."""

    name: str
    rows: list[list[Any]]
    hidden: bool = False


@dataclass
class TextDecoding:
    """How a CSV file was decoded."""

    encoding: str
    delimiter: str


def sniff_kind(path: Path) -> str:
    """Return what a file really is by its first bytes: xlsx, ods, xls, csv, html, pdf, …"""
    with path.open("rb") as handle:
        head = handle.read(2048)
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        if b"mimetypeapplication/vnd.oasis.opendocument.spreadsheet" in head:
            return "ods"
        return "zip"  # xlsx, or some other zip
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "ole"  # xls, encrypted xlsx, or an Outlook .msg
    if head.startswith(b"%PDF"):
        return "pdf"
    lowered = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if lowered.startswith((b"<!doctype html", b"<html", b"<table", b"<meta")):
        return "html"
    if lowered.startswith(b"<?xml"):
        return "xml"
    if not head:
        return "empty"
    if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "binary"
    return "text"


def check_zip(path: Path) -> zipfile.ZipFile:
    """Open a zip container after checking it is not truncated, encrypted or a zip bomb."""
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise InputError(f"{path}: damaged or truncated file; ask the sender for a new copy"
                         ) from None
    total = 0
    for info in archive.infolist():
        if info.flag_bits & 0x1:
            raise InputError(f"{path}: the file is password-protected; ask the sender to save it "
                             "without a password")
        total += info.file_size
        if info.compress_size and info.file_size / info.compress_size > MAX_COMPRESSION_RATIO \
                and info.file_size > 10 * 1024 * 1024:
            raise InputError(f"{path}: {info.filename} expands {info.file_size // info.compress_size}"
                             "-fold (a zip bomb?); not opened")
    if total > MAX_UNCOMPRESSED_BYTES:
        raise InputError(f"{path}: expands to {total // (1024 * 1024)} MB, over the "
                         f"{MAX_UNCOMPRESSED_BYTES // (1024 * 1024)} MB limit; not opened")
    return archive


def _check_size(path: Path) -> None:
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    if path.is_dir():
        raise InputError(f"{path}: is a folder, expected a file")
    if size == 0:
        raise InputError(f"{path}: the file is empty")
    if size > MAX_FILE_BYTES:
        raise InputError(f"{path}: {size // (1024 * 1024)} MB is over the "
                         f"{MAX_FILE_BYTES // (1024 * 1024)} MB limit; not opened")


def decode_text(data: bytes) -> tuple[str, str]:
    """Return (text, encoding): UTF-8 with or without BOM, UTF-16 with BOM, else cp1252."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        # Excel on Finnish Windows writes cp1252: ä ö å fit, what does not was already "?".
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise ValueError("unknown text encoding")
    return str(best), best.encoding


def detect_delimiter(text: str) -> str:
    """Return the delimiter of CSV text: ``,``, ``;`` or tab.

    The one that gives the table its shape: the header row split into the most columns that
    the rows under it share (quotes respected). A comma typed inside a tab-separated answer
    ("kulttuuriperintö, kaksikielisyys") does not make a comma-separated file, which
    ``csv.Sniffer`` alone would conclude from a short sample.
    """
    sample = text[:65536]
    if len(text) > len(sample):
        sample = sample[:sample.rfind("\n") + 1] or sample
    best, best_score = ",", (-1, -1)
    for delimiter in (";", "\t", ","):
        try:
            rows = [row for row in csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter)
                    if any(cell.strip() for cell in row)][:200]
        except csv.Error:
            continue
        if not rows or len(rows[0]) < 2:
            continue
        width = len(rows[0])
        shared = sum(1 for row in rows[1:] if len(row) == width)
        score = (shared * 2 >= len(rows) - 1, width if shared or len(rows) == 1 else 0)
        if score > best_score:
            best, best_score = delimiter, score
    if best_score[0] is True or best_score[1] > 0:
        return best
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t").delimiter
    except csv.Error:
        return ","


def read_csv(path: Path) -> tuple[Sheet, TextDecoding]:
    """Read a CSV/TSV file, detecting its encoding and delimiter."""
    _check_size(path)
    kind = sniff_kind(path)
    if kind not in {"text"}:
        raise InputError(f"{path}: not a text table but {_kind_name(kind)}; "
                         "save it as CSV or Excel and send again")
    try:
        text, encoding = decode_text(path.read_bytes())
    except ValueError:
        raise InputError(f"{path}: cannot tell the text encoding; save it as UTF-8 CSV") from None
    text = text.lstrip("\ufeff")
    delimiter = detect_delimiter(text)
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise InputError(f"{path}: broken CSV ({exc}); check the quotes") from None
    if "_x" in text or "_X" in text:
        rows = [[decode_excel_escapes(cell) for cell in row] for row in rows]
    return Sheet(path.stem, rows), TextDecoding(encoding, delimiter)


def decode_excel_escapes(text: str) -> str:
    """Decode Excel's ``_xHHHH_`` escapes once, as OOXML defines them.

    ``_x000D_`` is a carriage return; ``_x005F_x000D_`` is how Excel stores the typed text
    ``_x000D_`` (an escaped underscore), which stays that text. The spreadsheet reader
    (calamine) decodes them in .xlsx files; tools that turn such a file into CSV without
    decoding leave them in the CSV, where this decodes them, once.
    """
    if "_x" not in text and "_X" not in text:
        return text
    from openpyxl.utils.escape import unescape

    return str(unescape(text))


def _kind_name(kind: str) -> str:
    return {"html": "an HTML page", "pdf": "a PDF document", "zip": "a zip archive",
            "ole": "an Office binary file", "xml": "an XML file", "binary": "binary data",
            "empty": "empty", "ods": "an OpenDocument spreadsheet",
            "text": "a text file"}.get(kind, kind)


def read_workbook(path: Path) -> list[Sheet]:
    """Read every sheet of an .xlsx/.xlsm/.xls/.ods file (cached formula values, not evaluated)."""
    _check_size(path)
    kind = sniff_kind(path)
    suffix = path.suffix.lower()
    if kind == "zip":
        check_zip(path).close()
    elif kind == "ods":
        check_zip(path).close()
    elif kind == "ole":
        if suffix in {".xlsx", ".xlsm", ".ods"}:
            raise InputError(f"{path}: the workbook is encrypted (password-protected); ask the "
                             "sender to save it without a password")
    else:
        raise InputError(f"{path}: not a spreadsheet but {_kind_name(kind)}; "
                         "ask for the Excel file itself")
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # noqa: BLE001 - calamine raises several types for broken files
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(f"{path}: cannot read the workbook ({reason}); open it in Excel and "
                         "save it again as .xlsx") from None
    sheets: list[Sheet] = []
    try:
        for meta in workbook.sheets_metadata:
            if str(meta.typ).lower().endswith(("chartsheet", "vba", "dialogsheet")):
                continue
            sheet = workbook.get_sheet_by_name(meta.name)
            rows = sheet.to_python(skip_empty_area=False)
            hidden = not str(meta.visible).lower().endswith(".visible")
            sheets.append(Sheet(meta.name, [list(row) for row in rows], hidden=hidden))
    except Exception as exc:  # noqa: BLE001
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(f"{path}: cannot read the workbook ({reason}); open it in Excel and "
                         "save it again as .xlsx") from None
    finally:
        close = getattr(workbook, "close", None)
        if close:
            close()
    return sheets


def read_table_file(path: Path) -> list[Sheet]:
    """Read any supported table file by its content (not just its name)."""
    suffix = path.suffix.lower()
    _check_size(path)
    kind = sniff_kind(path)
    if kind == "text" or (suffix in TEXT_SUFFIXES and kind not in {"zip", "ole", "ods"}):
        return [read_csv(path)[0]]
    return read_workbook(path)


def header_rows(rows: list[list[Any]], role_of: Callable[[str], str | None], *,
                search_rows: int) -> Iterator[tuple[int, dict[str, list[int]]]]:
    """Yield (row index, role -> column indexes) of each of the first rows, read as a header.

    ``role_of`` names the role of a heading's text (None: no role). Readers take the first row
    whose roles they can use: contact lists, register files and review workbooks alike.
    """
    for index, row in enumerate(rows[:search_rows]):
        roles: dict[str, list[int]] = {}
        for column, value in enumerate(row):
            role = role_of(cell_text(value))
            if role is not None:
                roles.setdefault(role, []).append(column)
        yield index, roles


def find_header_row(rows: list[list[Any]], role_of: Callable[[str], str | None], *,
                    search_rows: int, accept: Callable[[set[str]], bool]
                    ) -> tuple[int, dict[str, list[int]]] | None:
    """Return the first of ``header_rows`` whose set of roles ``accept`` takes, or None."""
    return next(((index, roles) for index, roles in header_rows(rows, role_of,
                                                                 search_rows=search_rows)
                 if accept(set(roles))), None)


def sha256_file(path: Path) -> str:
    """Return the SHA-256 of a file, read in blocks (what ingest and review import key files by)."""
    import hashlib

    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def cell_text(value: Any) -> str:
    """Return a cell value as text: whole floats without ``.0``, dates in ISO form."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ", timespec="seconds") if value.time() != dt.time() \
            else value.date().isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return str(value)
    return str(value).strip()
