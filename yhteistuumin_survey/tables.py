"""Read tabular files as people send them: CSV in any usual encoding and delimiter, XLSX, XLS, ODS.

Every reader returns ``Sheet`` objects holding rows of cell values (text, numbers, dates),
never raising anything but ``InputError`` with a reason a person can act on. Spreadsheets are
read with python-calamine (fast, no XML entity expansion); zip containers are checked for size
and compression ratio, and their XML for a DOCTYPE, before they are opened.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import re
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from .errors import InputError, no_such_file
from .outcomes import en as said

#: Limits against zip bombs and huge uploads.
MAX_FILE_BYTES = 200 * 1024 * 1024
MAX_UNCOMPRESSED_BYTES = 500 * 1024 * 1024
MAX_COMPRESSION_RATIO = 200  # what the old rule refused; text of long answers goes past it
#: Only long runs of one byte compress this far (deflate's ceiling is about 1 030): no sheet a
#: person wrote does, a bomb does. Judged with the expanded size (``BOMB_MIN_BYTES``).
BOMB_RATIO = 900
BOMB_MIN_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """How big a table may be (``[limits]`` settings): far above a real round (308
    municipalities, some hundred practices, a form of a few dozen questions), low enough that
    a runaway export is refused in seconds instead of taking minutes and gigabytes."""

    max_rows: int = 100_000
    max_columns: int = 1_000
    max_cell_chars: int = 100_000
    #: One member of a zip (an xlsx's sheet) may expand to this many megabytes: a real
    #: sheet of long, repetitive answers compresses 300-fold and is read; a bomb expands
    #: past this and is not.
    max_member_mb: int = 300

    @classmethod
    def from_settings(cls, settings: Any) -> Limits:
        return cls(int(settings.get("limits.max_rows")), int(settings.get("limits.max_columns")),
                   int(settings.get("limits.max_cell_chars")),
                   int(settings.get("limits.max_member_mb")))

    def check_shape(self, where: str, rows: int, columns: int) -> None:
        """Refuse a sheet of more rows or columns than allowed (before reading its cells)."""
        if rows > self.max_rows:
            raise InputError(said("limit-rows", where=where, rows=_n(rows),
                                  limit=_n(self.max_rows)))
        if columns > self.max_columns:
            raise InputError(said("limit-columns", where=where, columns=_n(columns),
                                  limit=_n(self.max_columns)))

    def check_cell(self, where: str, row: int, value: Any) -> None:
        if isinstance(value, str) and len(value) > self.max_cell_chars:
            raise InputError(said("limit-cell", where=where, row=row, chars=_n(len(value)),
                                  limit=_n(self.max_cell_chars)))


DEFAULT_LIMITS = Limits()


def _n(number: int) -> str:
    """A count with a space between thousands (1 000), as Finnish and Swedish write it."""
    return f"{number:,}".replace(",", " ")

SPREADSHEET_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".ods"}
TEXT_SUFFIXES = {".csv", ".tsv", ".txt"}


@dataclass
class Sheet:
    """One sheet (or the whole of a CSV file) as rows of cell values."""

    name: str
    rows: list[list[Any]]
    hidden: bool = False
    #: Merged cells as ``((first row, first column), (last row, last column))``, 0-based, as
    #: in ``rows`` (only the first cell of a range holds its value): calamine's for .xlsx and
    #: .xls, :func:`ods_merged_and_hidden` for .ods.
    merged: list[tuple[tuple[int, int], tuple[int, int]]] = field(default_factory=list)
    #: Cell comments (notes) by (row, column), both 0-based: text a person may have typed
    #: there instead of in the cell. Read from .xlsx/.xlsm only.
    comments: dict[tuple[int, int], str] = field(default_factory=dict)
    #: Text typed into text boxes and shapes drawn over the sheet, by the (row, column) of
    #: their top-left corner, both 0-based: calamine reads cells only. From .xlsx/.xlsm only.
    shapes: dict[tuple[int, int], str] = field(default_factory=dict)
    #: The rows hidden (by a filter, or by hand), 0-based as in ``rows``: calamine reads
    #: cells only. Found by the formula scan of .xlsx/.xlsm (``_FormulaScan``) and in an
    #: .ods file's content (``ods_merged_and_hidden``), through xlrd for .xls
    #: (``_xls_extras``); CSV says nothing.
    hidden_rows: set[int] = field(default_factory=set)
    #: False when the hidden rows could not be read (an .xls whose row records xlrd cannot
    #: read, though calamine read its cells): ``hidden_rows`` is then empty for want of
    #: knowing, not because no row is hidden.
    hidden_rows_known: bool = True
    #: Cells whose value a formula took from other cells (``=A1``, ``=Taul1!B4``), by (row,
    #: column), 0-based, with the formula's text: the value calamine read is what the formula
    #: showed, not what was typed in the cell. From .xlsx/.xlsm only (``_read_references``).
    references: dict[tuple[int, int], str] = field(default_factory=dict)


@dataclass
class TextDecoding:
    """How a CSV file was decoded."""

    encoding: str
    delimiter: str


def office_lock_file(path: Path, *, again: str) -> str | None:
    """What to say of an office program's lock file, or None for another file: Excel's
    (``~$arviointi.xlsx``, with the user's name in it) and LibreOffice's
    (``.~lock.arviointi.xlsx#``), each written beside a workbook the program has open.

    It is no workbook, and it means the workbook may still be open: what the program holds
    unsaved is not in the file read. ``again`` is what to do after saving (``ingest it
    again``)."""
    name = path.name
    if name.startswith(".~lock.") and name.endswith("#"):
        return _lock_said(path, "LibreOffice", name.removeprefix(".~lock.").removesuffix("#"),
                          again)
    if not name.startswith("~$"):
        return None
    workbook = name[2:]
    try:  # Word-style lock files replace the name's first two letters instead
        siblings = sorted(p.name for p in path.parent.iterdir()
                          if p.name.endswith(workbook) and not p.name.startswith("~$"))
    except OSError:
        siblings = []
    if siblings and workbook not in siblings:
        workbook = siblings[0]
    return _lock_said(path, "Excel", workbook, again)


def _lock_said(path: Path, program: str, workbook: str, again: str) -> str:
    return (f"{path}: {program}'s lock file, not a workbook, so not read; {workbook} may still "
            f"be open in {program}: save and close it, then {again} if it changed")


def open_in_office(path: Path) -> str | None:
    """Which program has a workbook open, by the lock file it keeps beside it (see
    ``office_lock_file``), or None."""
    if (path.parent / f".~lock.{path.name}#").exists():
        return "LibreOffice"
    # Excel's lock file is named "~$" and the name, its first two letters replaced when the
    # name is long enough (as Word does).
    excel = {f"~${path.name}", f"~${path.name[2:]}"} if len(path.name) > 2 else set()
    return "Excel" if any((path.parent / name).exists() for name in excel) else None


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


#: The compression methods Python's zipfile unpacks: stored, deflate, bzip2, LZMA.
_ZIP_METHODS = frozenset({zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2,
                          zipfile.ZIP_LZMA})
#: Names of the others a sender's program may use (Windows' Explorer packs a big file with
#: Deflate64; 7-Zip and WinZip offer the rest).
_ZIP_METHOD_NAMES = {6: "Implode", 9: "Deflate64", 93: "Zstandard", 95: "XZ", 98: "PPMd"}


def check_zip(path: Path, *, limits: Limits = DEFAULT_LIMITS) -> zipfile.ZipFile:
    """Open a zip container after checking it is not truncated, encrypted or a zip bomb (no
    member expanding past ``limits.max_member_mb``)."""
    max_member = limits.max_member_mb * 1024 * 1024
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise InputError(said("file-damaged", file=path)) from None
    total = 0
    for info in archive.infolist():
        if info.flag_bits & 0x1:
            raise InputError(said("file-password", file=path))
        if info.compress_type not in _ZIP_METHODS:
            # Python's zipfile raised NotImplementedError at the first read ("unexpected").
            raise InputError(said("zip-method", file=path, member=info.filename,
                                  method=_ZIP_METHOD_NAMES.get(info.compress_type,
                                                               f"{info.compress_type}")))
        total += info.file_size
        # Judged on what it expands to, not on the ratio alone: long repetitive answers
        # compress very well and are real.
        if info.file_size > BOMB_MIN_BYTES and info.compress_size and \
                info.file_size / info.compress_size > BOMB_RATIO:
            raise InputError(said("zip-bomb-ratio", file=path, member=info.filename,
                                  ratio=info.file_size // info.compress_size))
        if info.file_size > max_member:
            ratio = info.file_size // max(1, info.compress_size)
            size = info.file_size / (1024 * 1024)
            raise InputError(said("zip-member-huge", file=path, member=info.filename,
                                  size=f"{size:.{1 if size < 10 else 0}f}", ratio=ratio,
                                  limit=limits.max_member_mb))
    if total > MAX_UNCOMPRESSED_BYTES:
        raise InputError(said("zip-total-huge", file=path, size=total // (1024 * 1024),
                              limit=MAX_UNCOMPRESSED_BYTES // (1024 * 1024)))
    return archive


#: Bytes of a part read, at most, looking for its root element (a DOCTYPE must come before).
_PROLOG_BYTES = 1024 * 1024
#: A part's first read, then each next one, looking for its root element: the root's start
#: tag comes within a few hundred bytes in every part a program writes, so most parts are
#: decompressed no further than this (reading 64 KB first inflated most of them whole).
_PROLOG_FIRST, _PROLOG_CHUNK = 4096, 64 * 1024


class _Prolog(Exception):
    """Raised from expat's handlers: the prolog ended (root element) or held a DOCTYPE."""


def _stop(*_: Any) -> None:
    raise _Prolog


#: A part that starts with its root element's start tag: what every program writes. A DOCTYPE
#: must come before the root element (XML 1.0 §2.8), so there is none, and no expat parser is
#: made for it (a third of the pass's parsing time). Only UTF-8 (declared or not): in it, these
#: bytes are the characters they look like.
_ROOT_FIRST = re.compile(rb"""
    (?:\xef\xbb\xbf)?                                          # a UTF-8 byte order mark
    (?:<\?xml [ \t\r\n]+ version [ \t\r\n]*=[ \t\r\n]* (?:"1\.[0-9]+"|'1\.[0-9]+')
       (?:[ \t\r\n]+ encoding [ \t\r\n]*=[ \t\r\n]* (?:"[Uu][Tt][Ff]-8"|'[Uu][Tt][Ff]-8'))?
       (?:[ \t\r\n]+ standalone [ \t\r\n]*=[ \t\r\n]* (?:"(?:yes|no)"|'(?:yes|no)'))?
       [ \t\r\n]* \?>)?                                        # an XML declaration
    [ \t\r\n]* <[A-Za-z_:]                             # the root element's start tag
    """, re.VERBOSE)


class _PrologCheck:
    """Whether an XML part declares a DOCTYPE, its bytes fed piece by piece (at most
    ``_PROLOG_BYTES``): expat reads them up to the root element, so an encoding or a comment
    is read as a parser reads it and a picture stops it at its first bytes; nothing is
    expanded or fetched. A part whose first bytes are its root element (``_ROOT_FIRST``)
    needs no parser. ``done`` once the answer is known."""

    def __init__(self) -> None:
        self.parser: Any = None
        self.read = 0
        self.done = False
        self.doctype = False

    def _parser(self) -> Any:
        import xml.parsers.expat

        parser = xml.parsers.expat.ParserCreate()
        parser.StartElementHandler = _stop
        parser.StartDoctypeDeclHandler = self._declared
        return parser

    def _declared(self, *_: Any) -> None:
        self.doctype = True
        raise _Prolog

    def feed(self, chunk: bytes, *, final: bool = False) -> None:
        """Read the next piece of the part (``final``: the part ended)."""
        if self.done:
            return
        import xml.parsers.expat

        chunk = chunk[:_PROLOG_BYTES - self.read]
        if self.parser is None and _ROOT_FIRST.match(chunk):
            self.read, self.done = len(chunk), True
            return
        self.parser = self.parser or self._parser()
        self.read += len(chunk)
        try:
            # The last piece is parsed as the last: an expat that defers reparsing a token
            # cut between pieces (2.6 and later) then reads what it held back.
            self.parser.Parse(chunk, final or self.read >= _PROLOG_BYTES)
        except (_Prolog, xml.parsers.expat.ExpatError, ValueError):
            self.done = True  # the root element, a DOCTYPE, or no XML: the readers say so
        self.done = self.done or final or self.read >= _PROLOG_BYTES


def _declares_doctype(archive: Any, info: zipfile.ZipInfo) -> bool:
    """Whether a part of ``archive`` (a ZipFile, or what opens its parts as one does)
    declares a DOCTYPE, read only as far as its prolog."""
    check = _PrologCheck()
    try:
        with archive.open(info) as stream:
            size = _PROLOG_FIRST
            while not check.done:
                chunk = stream.read(size)
                check.feed(chunk, final=not chunk)
                size = _PROLOG_CHUNK
    except (OSError, zipfile.BadZipFile, EOFError, ValueError):
        pass  # a broken part: the readers say so
    return check.doctype


#: A zip's local file header (signature, version, flags, method, time, date, CRC-32, sizes,
#: lengths of the name and extra field that follow it).
_LOCAL_HEADER = struct.Struct("<4sHHHHHIIIHH")
#: Flags of a part ``_inflated`` leaves to zipfile: encrypted, patched, strongly encrypted.
_ODD_PART_FLAGS = 0x1 | 0x20 | 0x40


def _inflated(data: bytes, info: zipfile.ZipInfo) -> bytes | None:
    """A part of the zip archive whose bytes are ``data``, unpacked from them: the bytes
    ``ZipFile.open(info).read()`` gives, without its file object and seeks for each part
    (308 questionnaires of 16 parts each: 0.06 s of the pass's 0.22 s).

    None when the part is not plainly stored or deflated, or when anything differs from
    what the archive's directory says of it (its local header, its name, where it ends, its
    length, its CRC): zipfile then reads it, and says what is wrong as before."""
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) or \
            info.flag_bits & _ODD_PART_FLAGS or not info.file_size:
        return None
    at = info.header_offset
    if at < 0 or at + _LOCAL_HEADER.size > len(data):
        return None
    signature, _, flags, *_, name_length, extra_length = _LOCAL_HEADER.unpack_from(data, at)
    name_at = at + _LOCAL_HEADER.size
    start = name_at + name_length + extra_length
    end = start + info.compress_size
    overlap_end = getattr(info, "_end_offset", None)  # zipfile's own check, in newer Pythons
    if signature != b"PK\x03\x04" or end > len(data) or \
            (overlap_end is not None and end > overlap_end):
        return None
    try:
        name = data[name_at:name_at + name_length].decode("utf-8" if flags & 0x800 else "cp437")
    except UnicodeDecodeError:
        return None
    if name != info.orig_filename:
        return None
    packed = data[start:end]
    try:
        # (at most its length: what zipfile gives of a part that inflates to more)
        whole = packed if info.compress_type == zipfile.ZIP_STORED else \
            zlib.decompressobj(-15).decompress(packed, info.file_size)
    except zlib.error:
        return None
    if len(whole) != info.file_size or zlib.crc32(whole) != info.CRC:
        return None
    return whole


def refuse_xml_declarations(path: Path, archive: zipfile.ZipFile) -> None:
    """Refuse a workbook whose XML parts carry a DOCTYPE: no spreadsheet program writes one
    (OOXML forbids it), and its entities are how a file makes a parser read local files
    (XXE) or expand a few bytes into gigabytes (billion laughs).

    Each part, whatever its name (a relationship may point to any), is read only up to its
    root element (``_PrologCheck``: a DOCTYPE may stand nowhere else, XML 1.0 §2.8); an
    .xlsx's parts are checked so by ``_FormulaScan``, in the pass that scans its sheets."""
    for info in archive.infolist():
        if not info.is_dir() and _declares_doctype(archive, info):
            raise InputError(said("xml-doctype", file=path, part=info.filename))


def _open_workbook_zip(path: Path, limits: Limits) -> zipfile.ZipFile:
    """``check_zip``, then ``refuse_xml_declarations``: an .xlsx/.ods archive safe to parse."""
    archive = check_zip(path, limits=limits)
    try:
        refuse_xml_declarations(path, archive)
    except InputError:
        archive.close()
        raise
    return archive


def _scan_workbook_zip(path: Path, limits: Limits) -> _FormulaScan:
    """``check_zip``, then ``_FormulaScan``'s pass: an .xlsx archive safe to parse, its
    sheets scanned (or being scanned)."""
    archive = check_zip(path, limits=limits)
    try:
        return _FormulaScan(path, archive)
    except BaseException:
        archive.close()
        raise


def _check_size(path: Path) -> None:
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise no_such_file(path) from None
    if path.is_dir():
        raise InputError(f"{path}: is a folder, expected a file")
    if size == 0:
        raise InputError(f"{path}: the file is empty (a save, copy or download cut short?); "
                         "save or copy it again")
    if size > MAX_FILE_BYTES:
        raise InputError(f"{path}: {size // (1024 * 1024)} MB is over the "
                         f"{MAX_FILE_BYTES // (1024 * 1024)} MB limit; not opened")


def decode_text(data: bytes) -> tuple[str, str]:
    """Return (text, encoding): UTF-8 with or without BOM, UTF-16 with BOM, else cp1252 or
    Mac Roman, whichever reads more Finnish and Swedish letters."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    if _letters(data.decode("mac_roman")) > _letters(data.decode("cp1252", errors="replace")):
        # Excel for Mac's "CSV (Macintosh)" writes Mac Roman: its ä ö å are the bytes cp1252
        # reads as Š š Œ ("kylŠt"), and its Å is no cp1252 character at all.
        return data.decode("mac_roman"), "mac_roman"
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


#: A Finnish or Swedish letter beyond ASCII inside a word: the single-byte encoding that reads
#: more of them from a file is the one it was written in (cp1252's "5 € – 10 €" is Mac
#: Roman's "5 Ä ñ 10 Ä", letters standing alone, which does not count).
_NORDIC_IN_WORD = re.compile(r"(?<=[^\W\d_])[äöåÄÖÅéü]|[äöåÄÖÅéü](?=[^\W\d_])")


def _letters(text: str) -> int:
    """How many Finnish and Swedish letters beyond ASCII ``text`` has inside its words."""
    return sum(1 for _ in _NORDIC_IN_WORD.finditer(text))


def detect_delimiter(text: str) -> str:
    """Return the delimiter of CSV text: ``,``, ``;`` or tab.

    The one that gives the table its shape: the header row split into the most columns that
    the rows under it share (quotes respected). A comma typed inside a tab-separated answer
    ("kulttuuriperintö, kaksikielisyys") does not make a comma-separated file, which
    ``csv.Sniffer`` alone would conclude from a short sample. Rows wider than the header row
    count next (a program that ends each row but the header with a separator, a column of
    notes with no heading, an answer that held the separator unquoted, flagged when read):
    ``csv.Sniffer`` took such a semicolon file for a comma-separated one, each row one cell.
    """
    sample = text[:65536]
    if len(text) > len(sample):
        sample = sample[:sample.rfind("\n") + 1] or sample
    best, best_score = ",", (False, False, -1)
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
        wider = sum(1 for row in rows[1:] if len(row) > width)
        score = (shared * 2 >= len(rows) - 1, (shared + wider) * 2 >= len(rows) - 1,
                 width if shared or wider or len(rows) == 1 else 0)
        if score > best_score:
            best, best_score = delimiter, score
    if best_score[0] or best_score[1] or best_score[2] > 0:
        return best
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t").delimiter
    except csv.Error:
        return ","


def read_csv(path: Path, *, limits: Limits = DEFAULT_LIMITS) -> tuple[Sheet, TextDecoding]:
    """Read a CSV/TSV file, detecting its encoding and delimiter; ``limits`` are checked
    row by row while reading."""
    _check_size(path)
    kind = sniff_kind(path)
    if kind not in {"text"}:
        raise InputError(said("not-a-text-table", file=path, what=_kind_name(kind)))
    try:
        text, encoding = decode_text(path.read_bytes())
    except ValueError:
        raise InputError(said("text-encoding-unknown", file=path)) from None
    text = text.lstrip("\ufeff")
    # Excel's "sep=;" first line names the delimiter and is no row: Excel and Calc show the
    # heading as row 1, so the rows are numbered without it (the report's "row 2" is the row
    # the user sees as 2). Lines of the file (a quote's problem) still count it.
    directive = _SEP_LINE.match(text)
    delimiter = directive.group(1) if directive else detect_delimiter(text)
    # Whether any cell may hold an Excel escape ("_x" or "_X"): one pass of a regex over the
    # text, after a look for an underscore at all (at memchr's speed): two substring searches
    # took 16 ms of a 5,000-row Google Forms export's 100 ms read, these 1-4 ms.
    escaped = "_" in text and _EXCEL_ESCAPE_START.search(text) is not None
    lines: Iterable[str]
    handle = None
    if encoding in _STREAMED_ENCODINGS:
        # The text was decoded whole to know its encoding; its lines are read again from the
        # file, so that the text and the rows made of it are not held at once (8 MB each for
        # a long export).
        del text
        handle = path.open(encoding=encoding, errors="replace", newline="")
        lines = _without_bom(handle)
    else:
        lines = _lines(text)
    if directive:
        lines = itertools.islice(lines, 1, None)
    rows: list[list[str]] = []
    # Strict: a quote left open would otherwise take every line after it, the next answers
    # included, into one value, and a stray quote after a closing one would be glued on.
    reader = csv.reader(lines, delimiter=delimiter, strict=True)
    started = 1  # the line the row being read starts on
    try:
        for row in reader:
            started = reader.line_num + 1
            rows.append(row)
            if len(rows) > limits.max_rows or len(row) > limits.max_columns:
                limits.check_shape(str(path), len(rows), len(row))
            if row and max(map(len, row)) > limits.max_cell_chars:  # the longest at C speed
                for value in row:
                    if len(value) > limits.max_cell_chars:
                        limits.check_cell(str(path), len(rows), value)
    except csv.Error as exc:
        skipped = 1 if directive else 0
        raise InputError(_quote_problem(path, started + skipped, reader.line_num + skipped,
                                        str(exc))) from None
    finally:
        if handle is not None:
            handle.close()
    if escaped:
        rows = [[decode_excel_escapes(cell) for cell in row] for row in rows]
    return Sheet(path.stem, rows), TextDecoding(encoding, delimiter)


#: What starts an Excel ``_xHHHH_`` escape (``decode_excel_escapes``), in either case.
_EXCEL_ESCAPE_START = re.compile(r"_[xX]")


def _quote_problem(path: Path, started: int, line: int, error: str) -> str:
    """The user's message for a CSV the csv module cannot read (``error``), its row starting
    on line ``started`` and the reader stopped on line ``line``."""
    if "end of data" in error:
        return said("csv-quote-unclosed", file=path, started=started, line=line)
    if "expected after" in error:
        return said("csv-quote-inside", file=path, line=line, error=error)
    return said("csv-broken", file=path, line=line, error=error)


#: Excel's first line naming a CSV file's delimiter ("sep=;"), which Excel does not show.
_SEP_LINE = re.compile(r"sep=([;,\t|])[ \t]*(?:\r\n|\r|\n|\Z)", re.IGNORECASE)

#: Encodings ``decode_text`` names whose text reads the same from the file, line by line.
_STREAMED_ENCODINGS = frozenset({"utf-8", "utf-8-sig", "utf-16", "cp1252", "mac_roman"})


def _without_bom(handle: Iterable[str]) -> Iterator[str]:
    """The lines of a text file, byte order marks left at its start taken away (as
    ``read_csv`` strips them from the whole text)."""
    lines = iter(handle)
    for first in lines:
        yield first.lstrip("\ufeff")
        break
    yield from lines


def _lines(text: str) -> Iterator[str]:
    """The lines of ``text`` with their endings, split where ``io.StringIO(text,
    newline="")`` splits them (LF, CRLF, CR), one at a time: a StringIO holds the whole text
    again at four bytes a character (33 MB more for an 8 MB export)."""
    import re

    return (match.group() for match in re.finditer(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z", text))


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


def _not_a_workbook(path: Path, kind: str) -> InputError:
    """The refusal of a file named as a workbook that is something else (``kind``)."""
    if kind == "html":
        # Some web systems' "Excel export" is an HTML table under a workbook's name; Excel and
        # LibreOffice open it as a sheet, so the coordinator can save it as one.
        return InputError(said("html-as-spreadsheet", file=path))
    return InputError(f"{path}: not a spreadsheet but {_kind_name(kind)}; ask for the Excel "
                      "file itself")


def read_workbook(path: Path, *, limits: Limits = DEFAULT_LIMITS) -> list[Sheet]:
    """Read every sheet of an .xlsx/.xlsm/.xls/.ods file (cached formula values, not evaluated).

    A sheet's size is checked against ``limits`` before its cells become Python values."""
    _check_size(path)
    kind = sniff_kind(path)
    suffix = path.suffix.lower()
    scan: _FormulaScan | None = None
    if kind == "zip":
        scan = _scan_workbook_zip(path, limits)
    elif kind == "ods":
        _open_workbook_zip(path, limits).close()
    elif kind == "ole":
        if suffix in {".xlsx", ".xlsm", ".ods"}:
            raise InputError(f"{path}: the workbook is encrypted (password-protected); ask the "
                             "sender to save it without a password")
    else:
        raise _not_a_workbook(path, kind)
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # noqa: BLE001 - calamine raises several types for broken files
        if scan is not None:
            scan.close()
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(f"{path}: cannot read the workbook ({reason}); open it in Excel and "
                         "save it again as .xlsx") from None
    sheets: list[Sheet] = []
    try:
        for meta in workbook.sheets_metadata:
            if str(meta.typ).lower().endswith(("chartsheet", "vba", "dialogsheet")):
                continue
            sheet = workbook.get_sheet_by_name(meta.name)
            # total_height/total_width are the last row's and column's index (0-based).
            limits.check_shape(f"{path}:{meta.name}",
                               sheet.total_height + 1 if sheet.height else 0,
                               sheet.total_width + 1 if sheet.width else 0)
            rows = sheet.to_python(skip_empty_area=False)
            hidden = not str(meta.visible).lower().endswith(".visible")
            table = [row if type(row) is list else list(row) for row in rows]  # fresh lists
            for number, row in enumerate(table, start=1):
                for value in row:
                    if isinstance(value, str) and len(value) > limits.max_cell_chars:
                        limits.check_cell(f"{path}:{meta.name}", number, value)
            sheets.append(Sheet(meta.name, table, hidden=hidden,
                                merged=list(getattr(sheet, "merged_cell_ranges", None) or ())))
        if scan is not None:
            _formula_extras(path, scan, sheets)
        if kind == "ole":
            _xls_extras(path, sheets)
        if kind == "ods":
            _ods_extras(path, sheets, limits)
        if scan is not None:
            _read_notes(path, scan.parts, sheets)
            scan.mark_hidden(sheets)
    except InputError:
        raise
    except Exception as exc:  # noqa: BLE001
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(f"{path}: cannot read the workbook ({reason}); open it in Excel and "
                         "save it again as .xlsx") from None
    finally:
        close = getattr(workbook, "close", None)
        if close:
            close()
        if scan is not None:
            scan.close()
    return sheets


def _xls_extras(path: Path, sheets: list[Sheet]) -> None:
    """What calamine does not read of an .xls file's sheets, from one xlrd reading (the .xls
    reader pandas used, maintained for .xls alone): each sheet's hidden rows (by a filter or
    by hand; its row records, read with the formatting) and the addresses its cells link to
    (into the cells' text, as :func:`_read_links` for .xlsx). A file xlrd cannot read with
    its formatting is read for the links alone; one it cannot read at all keeps the cells
    calamine read, the rows' state then unknown.

    A cell whose formula names another cell (``=B5``) is not noted here as it is for .xlsx
    and .ods (``Sheet.references``): xlrd 2 reads a formula's cached value alone (the cell's
    type is the value's; the formula's tokens are skipped), and python-calamine 0.9 has no
    formula reading either, so nothing here can tell a typed value from a copied one."""
    from urllib.parse import unquote

    import xlrd  # type: ignore[import-untyped]

    book = None
    for formatting in (True, False):
        try:
            book = xlrd.open_workbook(str(path), formatting_info=formatting, on_demand=True,
                                      logfile=io.StringIO())
            break
        except Exception:  # noqa: BLE001 - xlrd raises many types for files calamine read
            continue
    if book is None or not book.formatting_info:
        for unknown in sheets:
            unknown.hidden_rows_known = False
    if book is None:
        return
    try:
        by_name = {read.name: read for read in sheets}
        for index in range(book.nsheets):
            try:
                sheet = book.sheet_by_index(index)
            except Exception:  # noqa: BLE001 - the cells were read; these are a bonus
                continue
            read = by_name.get(sheet.name)
            if read is not None:
                if book.formatting_info:
                    read.hidden_rows = {row for row, info in sheet.rowinfo_map.items()
                                        if info.hidden}
                for (row, column), link in sheet.hyperlink_map.items():
                    if link.url_or_path:
                        _link_into_cell(read, row, column, str(link.url_or_path), unquote)
            book.unload_sheet(index)
    finally:
        book.release_resources()


_ODS_SPAN = re.compile(rb'number-(?:rows|columns)-spanned="(?:[2-9]|\d\d)'
                       rb'|table:visibility="(?:collapse|filter)"|<text:a\b'
                       rb'|table:formula="[^"]*\[')
#: A cell reference in an OpenDocument formula (``[.B5]``, ``[$'Käytäntö 2'.B5]``): its
#: sheet and cell, said as Excel writes them (``B5``, ``'Käytäntö 2'!B5``).
_ODS_REFERENCE = re.compile(r"\[\$?((?:'(?:[^']|'')*'|[^.\[\]]*)?)\.([^\]]*)\]")
_ODS = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
#: Rows of one repeated hidden row element taken as hidden, at most (a sheet's tail).
_ODS_HIDDEN_REPEAT = 100_000

Spans = dict[str, list[tuple[tuple[int, int], tuple[int, int]]]]
_ODS_LINK = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}a"
_XLINK_HREF = "{http://www.w3.org/1999/xlink}href"


def _ods_extras(path: Path, sheets: list[Sheet], limits: Limits) -> None:
    """What calamine does not read of an .ods file's sheets: merged cells, hidden rows, and
    the addresses of links in cells (into the cells' text, as :func:`_read_links`)."""
    from urllib.parse import unquote

    links: list[tuple[str, int, int, str]] = []
    references: list[tuple[str, int, int, str]] = []
    spans, hidden_rows = ods_merged_and_hidden(path, links, references, limits=limits)
    by_name = {read.name: read for read in sheets}
    for read in sheets:
        read.merged = read.merged or spans.get(read.name, [])
        read.hidden_rows = hidden_rows.get(read.name, read.hidden_rows)
    for name, row, column, formula in references:
        sheet = by_name.get(name)
        value = sheet.rows[row][column] if sheet is not None and row < len(sheet.rows) and \
            column < len(sheet.rows[row]) else None
        if sheet is not None and value not in ("", None):
            sheet.references[(row, column)] = formula
    for name, row, column, target in links:
        if name in by_name:
            _link_into_cell(by_name[name], row, column, target, unquote)


def _ods_formula_text(formula: str) -> str:
    """An OpenDocument formula as Excel shows it: ``of:=[.B5]`` -> ``=B5``."""
    def cell(match: re.Match[str]) -> str:
        sheet, where = match.group(1), match.group(2).replace(":.", ":")
        return f"{sheet}!{where}" if sheet else where

    return _ODS_REFERENCE.sub(cell, formula.removeprefix("of:"))


def ods_merged_and_hidden(path: Path, links: list[tuple[str, int, int, str]] | None = None,
                          references: list[tuple[str, int, int, str]] | None = None, *,
                          limits: Limits = DEFAULT_LIMITS) -> tuple[Spans, dict[str, set[int]]]:
    """Return each sheet's merged cells and its hidden rows (by a filter, or by hand) in an
    .ods file, 0-based: calamine reads neither there. ``links``, when given, gets each link
    in a cell as (sheet, row, column, address): calamine reads a linked name's text only.
    ``references``, when given, gets each cell whose formula names a cell, as (sheet, row,
    column, the formula as Excel shows it): calamine reads the value it showed.

    The sheets' XML is first scanned for a span over more than one cell, a row not visible or
    a link (most files have none); only then is it parsed, element by element, counting
    repeated rows and cells."""
    import xml.etree.ElementTree as ET

    found: Spans = {}
    hidden: dict[str, set[int]] = {}
    with check_zip(path, limits=limits) as archive:
        if "content.xml" not in archive.namelist():
            return found, hidden
        tail = b""
        with archive.open("content.xml") as stream:
            while chunk := stream.read(_SCAN_BYTES):
                if _ODS_SPAN.search(tail + chunk):
                    break
                tail = chunk[-64:]
            else:
                return found, hidden
        table, row, column, cell = "", -1, 0, 0
        with archive.open("content.xml") as stream:
            for event, element in ET.iterparse(stream, events=("start", "end")):
                tag = element.tag
                if event == "end":
                    if tag == f"{{{_ODS}}}table-row":
                        row += int(element.get(f"{{{_ODS}}}number-rows-repeated", "1")) - 1
                        element.clear()
                    continue
                if tag == f"{{{_ODS}}}table":
                    table, row = element.get(f"{{{_ODS}}}name", ""), -1
                elif tag == f"{{{_ODS}}}table-row":
                    row, column = row + 1, 0
                    if element.get(f"{{{_ODS}}}visibility", "visible") != "visible":
                        repeated = int(element.get(f"{{{_ODS}}}number-rows-repeated", "1"))
                        hidden.setdefault(table, set()).update(
                            range(row, row + min(repeated, _ODS_HIDDEN_REPEAT)))
                elif tag == _ODS_LINK:
                    if links is not None and element.get(_XLINK_HREF):
                        links.append((table, row, cell, element.get(_XLINK_HREF, "")))
                elif tag in (f"{{{_ODS}}}table-cell", f"{{{_ODS}}}covered-table-cell"):
                    cell = column
                    formula = element.get(f"{{{_ODS}}}formula")
                    if references is not None and formula and \
                            _ODS_REFERENCE.search(re.sub(r'"[^"]*"', "", formula)):
                        references.append((table, row, column, _ods_formula_text(formula)))
                    rows = int(element.get(f"{{{_ODS}}}number-rows-spanned", "1"))
                    columns = int(element.get(f"{{{_ODS}}}number-columns-spanned", "1"))
                    if rows > 1 or columns > 1:
                        found.setdefault(table, []).append(
                            ((row, column), (row + rows - 1, column + columns - 1)))
                    column += int(element.get(f"{{{_ODS}}}number-columns-repeated", "1"))
    return found, hidden


#: A formula cell with no cached value (an error value is told by ``t="e"``).
_LOST_FORMULA = re.compile(rb'</f>\s*(?:<v\s*/>|<v>\s*</v>)?\s*</c>|<f[^>]*/>\s*</c>')


#: The sheet's XML is scanned this much at a time (a long export's is tens of MB), each piece
#: with the end of the one before, so that no cell's XML is cut in two unseen.
_SCAN_BYTES, _SCAN_OVERLAP = 1 << 18, 8192


#: A formula's element (``<f>``, ``<f t="shared" …>``) and an error value's cell (``t="e"``):
#: the regular expressions find them faster than ``in`` (a long export's sheet: 5 ms, not 12).
_FORMULA_TAG = re.compile(rb"<f[ >]")
_ERROR_VALUE = re.compile(rb't="e"')


#: A hidden row's start tag (``<row r="5" hidden="1">``; "true" from LibreOffice), its number.
_HIDDEN_ROW = re.compile(rb'<row\b(?=[^>]*\bhidden="(?:1|true)")[^>]*\br="(\d+)"')


class _SheetScan:
    """What the formula scan looks for in one sheet's XML, fed piece by piece (each piece
    with the end of the one before): a formula whose value is an error or missing (``lost``),
    the hidden rows (0-based, added to ``hidden``), whether it holds any formula at all (its
    part name added to ``formulas``)."""

    def __init__(self, name: str, hidden: set[int] | None, formulas: set[str] | None) -> None:
        self.name, self.hidden, self.formulas = name, hidden, formulas
        self.tail = b""
        self.lost = False

    def feed(self, chunk: bytes) -> None:
        # Each test reads the whole piece (a long export's sheet: 5-10 ms per test), so there
        # are three, the precise ones only where these find something: most sheets hold no
        # formula and no error value, and hide columns (the questionnaire's keys) but no row.
        data = self.tail + chunk
        if self.hidden is not None and _row_hidden_in(data):
            self.hidden.update(int(m.group(1)) - 1 for m in _HIDDEN_ROW.finditer(data))
        formula = _FORMULA_TAG.search(data) is not None
        if formula and self.formulas is not None:
            self.formulas.add(self.name)
        if not self.lost and (_ERROR_VALUE.search(data) or formula and _LOST_FORMULA.search(data)):
            self.lost = True
        self.tail = data[-_SCAN_OVERLAP:]


def _row_hidden_in(data: bytes) -> bool:
    """Whether ``_HIDDEN_ROW`` may match in ``data``: a ``hidden="`` with ``<row`` between it
    and the ``>`` before it (in one reading of ``data``; a hidden column's does not count)."""
    at = data.find(b'hidden="')
    while at >= 0:
        if data.find(b"<row", data.rfind(b">", 0, at) + 1, at) >= 0:
            return True
        at = data.find(b'hidden="', at + 8)
    return False


def _lost_formula_in(archive: zipfile.ZipFile, name: str, hidden: set[int] | None = None,
                     formulas: set[str] | None = None) -> bool:
    """Whether a sheet's XML holds a formula whose value is an error or missing, read piece
    by piece (reading it whole held a long export's sheet beside its cells: 27 MB more).
    With ``hidden``, the whole sheet is read and its hidden rows (0-based) are added to it:
    inflating the XML is the cost, and the formula scan pays it anyway. The sheet's part
    name is added to ``formulas`` when it holds any formula at all."""
    scan = _SheetScan(name, hidden, formulas)
    with archive.open(name) as stream:
        while chunk := stream.read(_SCAN_BYTES):
            scan.feed(chunk)
            if scan.lost and hidden is None:
                return True
    return scan.lost


def _is_worksheet(name: str) -> bool:
    return name.startswith("xl/worksheets/") and name.endswith(".xml")


#: A workbook whose sheets' XML is larger than this (a long export's) is scanned on a thread
#: while calamine reads its cells; a smaller one's sheets in the pass that checks every
#: part for a DOCTYPE, each decompressed once: a thread per workbook cost more than it saved
#: (309 questionnaires: 0.2 s CPU, and each start waited for the interpreter's lock).
_THREAD_SCAN_BYTES = 4 << 20
#: A part read whole in that pass that later readings ask for (the workbook's sheet list,
#: relationships, a scanned sheet, a drawing) is kept for them, up to this size.
_KEEP_BYTES = 1 << 20
#: An archive scanned in that pass is read into memory whole, up to this size, and its parts
#: unpacked from those bytes (``_inflated``): a questionnaire is some 35 KB.
_WHOLE_ARCHIVE_BYTES = 4 << 20


def _read_again(name: str) -> bool:
    """Whether a part is read again after calamine (``_read_notes``, ``_sheet_parts``)."""
    return name in ("xl/workbook.xml", "xl/_rels/workbook.xml.rels") or \
        name.startswith(("xl/worksheets/", "xl/drawings/", "xl/ctrlProps/"))


class _Parts:
    """An .xlsx archive's parts as the readings after calamine's read them: those the
    scan's pass kept, the others from the archive."""

    def __init__(self, archive: zipfile.ZipFile, kept: dict[str, bytes]) -> None:
        self.archive, self.kept = archive, kept

    def read(self, name: str) -> bytes:
        data = self.kept.get(name)
        return data if data is not None else self.archive.read(name)

    def namelist(self) -> list[str]:
        return self.archive.namelist()


class _FormulaScan:
    """One pass over an .xlsx/.xlsm archive before calamine opens it: every part is refused
    if it declares a DOCTYPE (``refuse_xml_declarations``), and each sheet's XML is scanned
    (``_SheetScan``) for a formula whose value is an error or missing (then
    ``_recover_formulas``), any formula (``_read_references``) and hidden rows.

    A sheet is decompressed once for both. A long export's sheets are scanned on a thread
    instead, while calamine reads them: both let go of the interpreter's lock while they
    work, so the scan adds next to nothing to the time (read after calamine, it added a
    quarter to a 5,000-row workbook's read)."""

    def __init__(self, path: Path, archive: zipfile.ZipFile) -> None:
        import threading

        self.archive = archive
        self.suspect = False
        #: Each worksheet part's hidden rows (found in the same pass).
        self.hidden: dict[str, set[int]] = {}
        #: The worksheet parts holding any formula (found in the same pass).
        self.formulas: set[str] = set()
        self.parts = _Parts(archive, {})
        self.thread: threading.Thread | None = None
        infos = [info for info in archive.infolist() if not info.is_dir()]
        inline = sum(info.file_size for info in infos
                     if _is_worksheet(info.filename)) <= _THREAD_SCAN_BYTES
        self.thread_scan = not inline
        self.broken = False
        #: The archive's bytes, when it is small (``_WHOLE_ARCHIVE_BYTES``) and scanned here.
        self.data = path.read_bytes() if inline and \
            path.stat().st_size <= _WHOLE_ARCHIVE_BYTES else None
        for info in infos:
            # Of two parts of one name, the one ``open(name)`` gives (the thread's too).
            sheet = inline and _is_worksheet(info.filename) and \
                archive.getinfo(info.filename) is info
            if self._read_part(info, sheet):
                raise InputError(said("xml-doctype", file=path, part=info.filename))
        if self.broken:  # a broken sheet: calamine's reading reports it
            self.suspect, self.hidden, self.formulas = False, {}, set()
        if not inline:
            self.thread = threading.Thread(target=self._scan, name="formula-scan",
                                           daemon=True)
            self.thread.start()

    def _read_part(self, info: zipfile.ZipInfo, sheet: bool) -> bool:
        """Whether a part declares a DOCTYPE, read once: up to its root element, or whole
        when it is a sheet to scan (``sheet``) or a small part read again later (kept)."""
        name = info.filename
        # (a sheet the thread scans is not kept: it is read again there)
        keep = info.file_size <= _KEEP_BYTES and _read_again(name) and \
            (not self.thread_scan or not _is_worksheet(name))
        if not (sheet or keep):
            return _declares_doctype(self, info)
        check = _PrologCheck()
        scan = _SheetScan(name, self.hidden.setdefault(name, set()), self.formulas) \
            if sheet and not self.broken else None
        pieces = []
        whole = self._whole(info)
        try:
            with io.BytesIO(whole) if whole is not None else self.archive.open(info) as stream:
                while chunk := stream.read(_SCAN_BYTES):
                    check.feed(chunk)
                    if check.doctype:
                        return True
                    if scan is not None:
                        scan.feed(chunk)
                    if keep:
                        pieces.append(chunk)
                check.feed(b"", final=True)
        except (OSError, zipfile.BadZipFile, EOFError, ValueError):
            self.broken = self.broken or scan is not None
            self.parts.kept.pop(name, None)  # read again, it says what is wrong
            return check.doctype
        self.suspect = self.suspect or (scan is not None and scan.lost)
        if keep:
            self.parts.kept[name] = b"".join(pieces)
        return check.doctype

    def _whole(self, info: zipfile.ZipInfo) -> bytes | None:
        """A part unpacked from the archive's bytes (``_inflated``); None: zipfile reads it."""
        return None if self.data is None else _inflated(self.data, info)

    def open(self, info: zipfile.ZipInfo) -> IO[bytes]:
        """A part to read its prolog (``_declares_doctype``): a small one unpacked from the
        archive's bytes, a bigger one (a picture) read by zipfile only as far as needed."""
        whole = self._whole(info) if info.file_size <= _PROLOG_CHUNK else None
        return io.BytesIO(whole) if whole is not None else self.archive.open(info)

    def _scan(self) -> None:
        try:
            for name in self.archive.namelist():
                if _is_worksheet(name):
                    rows = self.hidden.setdefault(name, set())
                    self.suspect = _lost_formula_in(self.archive, name, rows,
                                                    self.formulas) or self.suspect
        except Exception:  # noqa: BLE001 - a broken member: calamine's reading reports it
            self.suspect = False
            self.hidden = {}
            self.formulas = set()

    def join(self) -> None:
        if self.thread is not None:
            self.thread.join()

    def any_formula(self) -> bool:
        """Whether any sheet holds a formula (its value may come from other cells)."""
        self.join()
        return bool(self.formulas)

    def found(self) -> bool:
        self.join()
        return self.suspect

    def mark_hidden(self, sheets: list[Sheet]) -> None:
        """Set each sheet's hidden rows (``Sheet.hidden_rows``) from the scan."""
        self.join()
        hidden = {part: rows for part, rows in self.hidden.items() if rows}
        if not hidden:
            return
        from .sheetxml import _sheet_parts

        try:
            parts = {name: member for member, name in _sheet_parts(self.parts).items()}
        except Exception:  # noqa: BLE001 - the hidden rows are a bonus to the cells
            return
        for sheet in sheets:
            sheet.hidden_rows = hidden.get(parts.get(sheet.name, ""), sheet.hidden_rows)

    def close(self) -> None:
        """Wait for the scan (whatever stopped the reading), then close the archive."""
        self.join()
        self.archive.close()


#: Excel's error values, as a file stores them (whatever the language Excel shows them in).
EXCEL_ERRORS = frozenset({"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A",
                          "#GETTING_DATA", "#SPILL!", "#CALC!", "#FIELD!", "#BLOCKED!",
                          "#CONNECT!", "#BUSY!", "#UNKNOWN!"})


def _formula_extras(path: Path, scan: _FormulaScan, sheets: list[Sheet]) -> None:
    """What the formula scan found calls for: the text of formulas whose value was lost, the
    cells whose value came from other cells."""
    if scan.found():
        _recover_formulas(path, sheets)
    if scan.any_formula():
        _read_references(path, sheets)


def _recover_formulas(path: Path, sheets: list[Sheet]) -> None:
    """Put the formula's text where a cell's value was lost, so that nothing typed vanishes.

    Excel turns text typed as "- lapset ja nuoret" or "+358 40 123 4567" into a formula
    whose value is an error (#NAME?, #VALUE!); a workbook written by a program may hold
    formulas with no cached value at all. calamine reads both as empty cells. Such a cell
    gets its formula's text ("=- lapset ja nuoret") instead, which the normaliser flags. A
    cell holding an error value with no formula (pasted "as values" from cells that showed
    #REF!) gets the error's text, which the normaliser flags too.
    Only .xlsx/.xlsm, when ``_FormulaScan`` found such a cell (openpyxl is slow)."""
    for worksheet, sheet in _openpyxl_sheets(path, sheets, read_only=True, data_only=False):
        for r, row in enumerate(worksheet.iter_rows(values_only=True)):
            for c, value in enumerate(row):
                if not (isinstance(value, str) and (value.startswith("=")
                                                    or value.upper() in EXCEL_ERRORS)):
                    continue
                while len(sheet.rows) <= r:
                    sheet.rows.append([])
                cells = sheet.rows[r]
                while len(cells) <= c:
                    cells.append("")
                if cells[c] in ("", None):
                    cells[c] = value


#: A cell reference in a formula: ``A1``, ``$B$4``, ``Taul1!B4``, ``'Käytäntö 1'!B5`` (a name
#: followed by "(" is a function, and a quoted string is skipped before looking).
_CELL_REFERENCE = re.compile(r"(?<![A-Za-z0-9_.\"])\$?[A-Za-z]{1,3}\$?[0-9]{1,7}(?![0-9(A-Za-z_])")
_FORMULA_STRING = re.compile(r'"(?:[^"]|"")*"')
#: A link in a formula whose address is one quoted string: ``=HYPERLINK("https://…","teksti")``,
#: also joined with text or another link (``=HYPERLINK("mailto:…";"Annalta")&" ja "&…``).
_HYPERLINK = re.compile(r'(?<![\w.])HYPERLINK\(\s*"((?:[^"]|"")*)"\s*[,;)]', re.IGNORECASE)


def _read_references(path: Path, sheets: list[Sheet]) -> None:
    """Note the cells whose value a formula took from other cells (``Sheet.references``).

    A respondent who typed ``=A1`` or ``=Taul1!B4`` (or pasted cells as links) sent a
    reference, not the text: the cached value calamine read is what the other cell held
    when the file was last saved (LibreOffice re-saves it), which may not be this question's
    answer. A formula whose value was lost is ``_recover_formulas``' (its text is the cell's).
    Only .xlsx/.xlsm, when ``_FormulaScan`` found a formula (openpyxl is slow).

    A link typed as ``=HYPERLINK("https://…";"raportissa")`` shows its text alone, as calamine
    reads it: its address is put into the text as a link's is (``_link_into_cell``)."""
    from urllib.parse import unquote

    for worksheet, sheet in _openpyxl_sheets(path, sheets, read_only=True, data_only=False):
        for r, row in enumerate(worksheet.iter_rows(values_only=True)):
            for c, value in enumerate(row):
                if not (isinstance(value, str) and value.startswith("=")):
                    continue
                read = sheet.rows[r][c] if r < len(sheet.rows) and c < len(sheet.rows[r]) \
                    else None
                if read in ("", None) or read == value:
                    continue
                links = _HYPERLINK.findall(value)
                if links:
                    # Each link's address, in the formula's order: the text joined from two
                    # links ("Annalta ja Joannalta") gave the first one's address to the
                    # whole, and the second was lost.
                    for target in links:
                        _link_into_cell(sheet, r, c, target.replace('""', '"'), unquote)
                elif _CELL_REFERENCE.search(_FORMULA_STRING.sub("", value)):
                    sheet.references[(r, c)] = value


def _openpyxl_sheets(path: Path, sheets: list[Sheet], **options: bool
                     ) -> Iterator[tuple[Any, Sheet]]:
    """Yield each worksheet openpyxl reads (with ``options``) beside our sheet of its name;
    nothing when openpyxl cannot read the file (calamine did: what is read so is a bonus)."""
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, **options)
    except Exception:  # noqa: BLE001 - calamine read it; formulas and comments are a bonus
        return
    try:
        by_name = {sheet.name: sheet for sheet in sheets}
        for worksheet in workbook.worksheets:
            sheet = by_name.get(worksheet.title)
            if sheet is not None:
                yield worksheet, sheet
    finally:
        workbook.close()


def _read_comments(path: Path, sheets: list[Sheet]) -> None:
    """Put the workbook's cell comments on its sheets (``Sheet.comments``).

    calamine does not read comments, and a respondent may type an answer into one ("Lisää
    kommentti") rather than into the cell. openpyxl reads them only when it loads the whole
    workbook (slow), so only for a workbook whose archive holds comments."""
    for worksheet, sheet in _openpyxl_sheets(path, sheets, data_only=True):
        for row in worksheet.iter_rows():
            for cell in row:
                comment = getattr(cell, "comment", None)
                text = str(comment.text).strip() if comment is not None and comment.text else ""
                if text:
                    sheet.comments[(cell.row - 1, cell.column - 1)] = text


def _read_notes(path: Path, archive: _Parts, sheets: list[Sheet]) -> None:
    """Read what a person may have typed beside the cells of an .xlsx: cell comments and
    text boxes, each only when the archive holds such parts."""
    names = archive.namelist()
    if any(name.startswith("xl/worksheets/_rels/") for name in names):
        _read_links(archive, sheets)
    if any(name.startswith("xl/comments") for name in names):
        _read_comments(path, sheets)
    if any(name.startswith("xl/drawings/") and name.endswith(".xml") for name in names):
        _read_shapes(archive, sheets, controls=any(name.startswith("xl/ctrlProps/")
                                                   for name in names))


_LINK = re.compile(rb"<(?:\w+:)?hyperlink\b([^>]*)>")
_LINK_REF = re.compile(rb'\sref="([A-Z]+)(\d+)"')
_LINK_ID = re.compile(rb'\s\w+:id="([^"]+)"')


def _sheets_with_relations(archive: _Parts, sheets: list[Sheet]
                           ) -> Iterator[tuple[Sheet, str, str, str]]:
    """Yield each read sheet that has a relationships part: (the sheet, its zip member, the
    member's folder, its relationships' member). Nothing when the workbook's own parts are
    damaged (the cells were read)."""
    import posixpath
    from xml.etree import ElementTree

    from .sheetxml import _sheet_parts

    names = set(archive.namelist())
    by_name = {sheet.name: sheet for sheet in sheets}
    try:
        parts = _sheet_parts(archive)
    except (KeyError, ElementTree.ParseError):
        return
    for member, name in parts.items():
        sheet = by_name.get(name)
        folder, base = posixpath.split(member)
        rels = posixpath.join(folder, "_rels", f"{base}.rels")
        if sheet is not None and rels in names:
            yield sheet, member, folder, rels


def _read_links(archive: _Parts, sheets: list[Sheet]) -> None:
    """Put the address a cell links to into the cell's text, where the text does not show it.

    A respondent may write the contact's name and link it to the address ("Anna Virtanen"
    linked to ``mailto:anna.virtanen@kunta.fi``), or link a word to a web page: calamine
    reads the shown text only, and the address was lost. The cell reads "Anna Virtanen
    <anna.virtanen@kunta.fi>" (the contact's parts are split from that as from any answer;
    a shown address other than the link's gives two addresses, which are flagged) or
    "kotisivuilla (https://…)"."""
    from urllib.parse import unquote
    from xml.etree import ElementTree

    for sheet, member, _folder, rels in _sheets_with_relations(archive, sheets):
        try:
            data = archive.read(rels)
            if b"/hyperlink" not in data:
                continue
            targets = {rel.get("Id", ""): rel.get("Target", "")
                       for rel in ElementTree.fromstring(data)
                       if rel.get("Type", "").endswith("/hyperlink")}
            xml = archive.read(member)
        except (ElementTree.ParseError, KeyError):  # a damaged part: the cells were read
            continue
        for match in _LINK.finditer(xml, max(xml.rfind(b"</sheetData>"), 0)):
            ref, ident = _LINK_REF.search(match.group(0)), _LINK_ID.search(match.group(0))
            target = targets.get(ident.group(1).decode()) if ident else None
            if ref is None or not target:
                continue
            row = int(ref.group(2)) - 1
            column = 0
            for letter in ref.group(1).decode():
                column = column * 26 + ord(letter) - 64
            _link_into_cell(sheet, row, column - 1, target, unquote)


def _link_into_cell(sheet: Sheet, row: int, column: int, target: str,
                    unquote: Any) -> None:
    """The cell's text with the link's address where the text does not show it."""
    if target.lower().startswith("mailto:"):
        address = unquote(target[7:].split("?", 1)[0]).strip()
        shown = f"<{address}>"
    elif target.lower().startswith(("http://", "https://")):
        address = target.strip()
        shown = f"({address})"
    else:
        return
    if not address or row >= len(sheet.rows) or column >= len(sheet.rows[row]):
        return
    text = sheet.rows[row][column]
    text = "" if text is None else str(text)
    if address.casefold().rstrip("/") in text.casefold():
        return
    sheet.rows[row][column] = f"{text} {shown}" if text.strip() else address


_DRAWING = "{http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing}"
_DRAWING_TEXT = "{http://schemas.openxmlformats.org/drawingml/2006/main}"


def _read_shapes(archive: _Parts, sheets: list[Sheet], *, controls: bool = False
                 ) -> None:
    """Put the text of the text boxes and shapes drawn over each sheet on it (``Sheet.shapes``).

    A respondent may answer in a text box laid over the answer cells ("Lisää > Tekstiruutu"):
    the cells stay empty, and calamine reads only cells. Each drawing's anchors are read from
    the sheet's relationships; a shape's text is its paragraphs, one per line. A check box
    (a form control, with ``controls``) is a shape too: a ticked one is said as
    "[x] its label", an unticked one not at all (its state is in ``xl/ctrlProps``)."""
    from xml.etree import ElementTree

    names = set(archive.namelist())
    for sheet, member, folder, rels in _sheets_with_relations(archive, sheets):
        try:
            targets = {rel.get("Id", ""): (rel.get("Type", ""), _part(folder, rel.get("Target")))
                       for rel in ElementTree.fromstring(archive.read(rels))}
            ticks = _check_boxes(archive, member, targets) if controls else {}
            for kind, drawing in targets.values():
                if kind.endswith("/drawing") and drawing in names:
                    _shape_texts(ElementTree.fromstring(archive.read(drawing)), sheet, ticks)
        except (ElementTree.ParseError, KeyError):  # a damaged drawing: the cells were read
            continue


def _part(folder: str, target: str | None) -> str:
    """The zip member a relationship's target names, relative to the folder of its source."""
    import posixpath

    target = target or ""
    return target.lstrip("/") if target.startswith("/") \
        else posixpath.normpath(posixpath.join(folder, target))


_CONTROL_PROPS = "{http://schemas.microsoft.com/office/spreadsheetml/2009/9/main}formControlPr"


def _check_boxes(archive: _Parts, member: str,
                 targets: dict[str, tuple[str, str]]) -> dict[str, bool]:
    """The sheet's check boxes by shape id: ticked (True) or not (False)."""
    from xml.etree import ElementTree

    relation = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
    boxes: dict[str, bool] = {}
    for control in ElementTree.fromstring(archive.read(member)).iter():
        if not control.tag.endswith("}control") or control.get(relation) not in targets:
            continue
        props = ElementTree.fromstring(archive.read(targets[control.get(relation, "")][1]))
        if props.tag == _CONTROL_PROPS and props.get("objectType") == "CheckBox":
            boxes[control.get("shapeId", "")] = props.get("checked") == "Checked"
    return boxes


def _shape_texts(root: Any, sheet: Sheet, ticks: dict[str, bool]) -> None:
    for anchor in root:
        shape = anchor.find(f".//{_DRAWING}cNvPr")
        box = ticks.get(shape.get("id", "")) if shape is not None else None
        if box is False:
            continue  # an unticked check box: nothing chosen
        paragraphs = ["".join(run.text or "" for run in paragraph.iter(f"{_DRAWING_TEXT}t"))
                      for paragraph in anchor.iter(f"{_DRAWING_TEXT}p")]
        text = "\n".join(paragraphs).strip()
        if box:
            text = f"[x] {text}"
        if not text:
            continue
        start = anchor.find(f".//{_DRAWING}from")  # also inside mc:AlternateContent
        row = start.findtext(f"{_DRAWING}row") if start is not None else None
        col = start.findtext(f"{_DRAWING}col") if start is not None else None
        at = (int(row) if row and row.isdigit() else 0, int(col) if col and col.isdigit() else 0)
        sheet.shapes[at] = f"{sheet.shapes[at]}\n{text}" if at in sheet.shapes else text


def read_table_file(path: Path, *, limits: Limits = DEFAULT_LIMITS) -> list[Sheet]:
    """Read any supported table file by its content (not just its name)."""
    suffix = path.suffix.lower()
    _check_size(path)
    kind = sniff_kind(path)
    if kind == "text" or (suffix in TEXT_SUFFIXES and kind not in {"zip", "ole", "ods"}):
        return [read_csv(path, limits=limits)[0]]
    return read_workbook(path, limits=limits)


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


def cells_text(row: Iterable[Any]) -> list[str]:
    """Return ``cell_text`` of each cell of a row; text and empty cells (most of them) are
    told apart here, without a call for each."""
    return [value.strip() if type(value) is str else "" if value is None else cell_text(value)
            for value in row]


def cell_text(value: Any) -> str:
    """Return a cell value as text: whole floats without ``.0``, dates in ISO form."""
    if type(value) is str:
        return value.strip()
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
