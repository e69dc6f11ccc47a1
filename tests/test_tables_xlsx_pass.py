"""An .xlsx is read in one pass before calamine opens it (issue 18): each part is checked for a
DOCTYPE only as far as its prolog, each sheet's XML decompressed once for that check and the
scan for formulas and hidden rows. These tests hold the pass to what a parser reads: a
DOCTYPE is found wherever the prolog puts it (after a long comment, a byte order mark, many
processing instructions, in UTF-16), a root element after a long prolog is read, and a
"<!DOCTYPE" in a cell's text is text; and a long export's sheets, scanned on a thread instead,
give the same sheets as a small workbook's."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ingest_support import office_copy

from yhteistuumin_survey import tables
from yhteistuumin_survey.errors import InputError
from yhteistuumin_survey.tables import read_workbook

DOCTYPE = b'<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
SHEET = "xl/worksheets/sheet1.xml"
STYLES = "xl/styles.xml"


def _workbook(path: Path) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Käytäntö 1"
    sheet.append(["Käytännön nimi", "Runopolku"])
    sheet.append(["Tavoite", "Lukeminen"])
    book.create_sheet("Ohjeet").append(["Täytä valkoiset solut"])
    book.save(path)
    return path


def _with_prolog(source: Path, target: Path, member: str, prolog: bytes, *,
                 encoding: str = "utf-8", declaration: bool = True) -> Path:
    """``source`` with ``prolog`` put before the root element of ``member`` (after an XML
    declaration naming ``encoding``, when ``declaration``), the part written in ``encoding``."""
    with zipfile.ZipFile(source) as archive, \
            zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for info in archive.infolist():
            data = archive.read(info)
            if info.filename == member:
                body = re.sub(rb"^<\?xml[^>]*\?>\s*", b"", data).decode("utf-8")
                head = f'<?xml version="1.0" encoding="{encoding}"?>' if declaration else ""
                text = head + prolog.decode("utf-8") + body
                data = text.encode("utf-16" if encoding.lower() == "utf-16" else encoding)
            out.writestr(info, data)
    return target


def _refused(path: Path, member: str) -> None:
    with pytest.raises(InputError) as refused:
        read_workbook(path)
    assert str(refused.value).startswith(f"{path}: {member} declares XML entities (a DOCTYPE)")


COMMENT_70K = b"<!-- " + b"kommentti " * 7_000 + b"-->"
PROLOGS = {
    "after a comment past the first read": b"<!-- " + b"x" * 5_000 + b" -->" + DOCTYPE,
    "after a 70 KB comment": COMMENT_70K + DOCTYPE,
    "after a 300 KB comment, past the first piece of a sheet": b"<!--" + b"y" * 300_000 +
    b"-->" + DOCTYPE,
    "after 3 000 processing instructions": b'<?kohta arvo="1"?>' * 3_000 + DOCTYPE,
    "after a comment holding a root element": b"<!-- <worksheet> -->" + DOCTYPE,
    "after white space": b"\r\n\t " * 2_000 + DOCTYPE,
}


@pytest.mark.parametrize("member", [SHEET, STYLES])
@pytest.mark.parametrize("where", list(PROLOGS))
def test_a_doctype_anywhere_in_the_prolog_is_refused(tmp_path, member, where):
    path = _with_prolog(_workbook(tmp_path / "pohja.xlsx"), tmp_path / "vastaus.xlsx", member,
                        PROLOGS[where])
    _refused(path, member)


@pytest.mark.parametrize("member", [SHEET, STYLES])
def test_a_doctype_after_a_byte_order_mark_is_refused(tmp_path, member):
    path = _with_prolog(_workbook(tmp_path / "pohja.xlsx"), tmp_path / "vastaus.xlsx", member,
                        "\ufeff".encode() + DOCTYPE, declaration=False)
    _refused(path, member)


@pytest.mark.parametrize("member", [SHEET, STYLES])
@pytest.mark.parametrize("prolog", [b"", COMMENT_70K])
def test_a_doctype_in_utf16_is_refused(tmp_path, member, prolog):
    path = _with_prolog(_workbook(tmp_path / "pohja.xlsx"), tmp_path / "vastaus.xlsx", member,
                        prolog + DOCTYPE, encoding="UTF-16")
    _refused(path, member)


@pytest.mark.parametrize("member", [SHEET, STYLES])
def test_a_doctype_read_in_pieces_of_seven_bytes_is_refused(tmp_path, monkeypatch, member):
    """However the part is cut into pieces, the DOCTYPE is seen (expat reads across them)."""
    monkeypatch.setattr(tables, "_PROLOG_FIRST", 7)
    monkeypatch.setattr(tables, "_PROLOG_CHUNK", 7)
    monkeypatch.setattr(tables, "_SCAN_BYTES", 7)
    monkeypatch.setattr(tables, "_SCAN_OVERLAP", 3)
    path = _with_prolog(_workbook(tmp_path / "pohja.xlsx"), tmp_path / "vastaus.xlsx", member,
                        b"<!-- alku -->" + DOCTYPE)
    _refused(path, member)


@pytest.mark.parametrize("member", [SHEET, STYLES])
@pytest.mark.parametrize("prolog", [COMMENT_70K, b'<?kohta arvo="1"?>' * 5_000])
def test_a_root_element_after_more_than_64_kb_of_prolog_is_read(tmp_path, member, prolog):
    path = _with_prolog(_workbook(tmp_path / "pohja.xlsx"), tmp_path / "vastaus.xlsx", member,
                        prolog)
    sheets = read_workbook(path)
    assert sheets[0].rows == [["Käytännön nimi", "Runopolku"], ["Tavoite", "Lukeminen"]]


@pytest.mark.parametrize("text", [
    '<t xml:space="preserve">&lt;!DOCTYPE x [&lt;!ENTITY a "b"&gt;]&gt; Runopolku</t>',
    '<t><![CDATA[<!DOCTYPE x [<!ENTITY a "b">]> Runopolku]]></t>',
])
def test_a_doctype_written_in_a_cells_text_is_text(tmp_path, text):
    """Past the root element a DOCTYPE is no declaration: a cell may say "<!DOCTYPE"."""
    source = _workbook(tmp_path / "pohja.xlsx")
    path = tmp_path / "vastaus.xlsx"
    with zipfile.ZipFile(source) as archive, zipfile.ZipFile(path, "w") as out:
        for info in archive.infolist():
            data = archive.read(info)
            if info.filename == SHEET:
                data = re.sub(rb'<c r="B1"[^>]*>.*?</c>',
                              f'<c r="B1" t="inlineStr"><is>{text}</is></c>'.encode(), data)
            out.writestr(info, data)
    assert read_workbook(path)[0].rows[0] == ["Käytännön nimi",
                                              '<!DOCTYPE x [<!ENTITY a "b">]> Runopolku']


def _answers(path: Path) -> Path:
    """A questionnaire as a respondent leaves it: a hidden row, a reference to another cell,
    text Excel took for a formula (its value lost), a link, a second sheet hiding a row."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Käytäntö 1"
    for row in (["Käytännön nimi", "Runopolku"], ["Tavoite", "Lukeminen"],
                ["Piilotettu", "Ei näy"], ["Kohderyhmä", "=B2"], ["Yhteyshenkilö", "Anna"]):
        sheet.append(row)
    sheet.row_dimensions[3].hidden = True
    sheet["B5"].hyperlink = "mailto:anna.virtanen@kunta.example.fi"
    other = book.create_sheet("Käytäntö 2")
    other.append(["Käytännön nimi", "Kesäteatteri"])
    other.append(["Kuvaus", "=- lapset ja nuoret"])
    other.append(["Piilossa", "x"])
    other.row_dimensions[3].hidden = True
    book.save(path)
    return path


@pytest.mark.parametrize("saved_by", ["openpyxl", "LibreOffice"])
def test_a_long_exports_sheets_scanned_on_a_thread_read_as_a_small_workbooks(
        tmp_path, monkeypatch, saved_by):
    path = _answers(tmp_path / "vastaus.xlsx")
    if saved_by == "LibreOffice":
        path = office_copy(path, tmp_path)
    in_one_pass = read_workbook(path)
    monkeypatch.setattr(tables, "_THREAD_SCAN_BYTES", 0)  # every workbook is "long"
    scanned = []
    real = tables._FormulaScan._scan
    monkeypatch.setattr(tables._FormulaScan, "_scan",
                        lambda self: (scanned.append(self), real(self))[1])
    on_a_thread = read_workbook(path)
    assert scanned, "the thread did not scan"
    assert on_a_thread == in_one_pass
    first, second = in_one_pass
    assert first.hidden_rows == {2} and second.hidden_rows == {2}
    assert first.rows[4][1] == "Anna <anna.virtanen@kunta.example.fi>"
    if saved_by == "LibreOffice":  # a value computed from B2
        assert first.rows[3][1] == "Lukeminen" and first.references == {(3, 1): "=B2"}
    else:  # no value: the formula's text is the cell's
        assert first.rows[3][1] == "=B2"
    assert second.rows[1][1] == "=- lapset ja nuoret"


@pytest.mark.parametrize("scanned", ["on a thread", "in one pass"])
def test_a_doctype_in_a_sheet_is_refused_whether_the_sheets_are_scanned_on_a_thread_or_not(
        tmp_path, monkeypatch, scanned):
    if scanned == "on a thread":
        monkeypatch.setattr(tables, "_THREAD_SCAN_BYTES", 0)
    path = _with_prolog(_answers(tmp_path / "pohja.xlsx"), tmp_path / "vastaus.xlsx",
                        "xl/worksheets/sheet2.xml", COMMENT_70K + DOCTYPE)
    _refused(path, "xl/worksheets/sheet2.xml")


@pytest.mark.parametrize("scanned", ["on a thread", "in one pass"])
def test_a_damaged_sheet_is_said_as_before_whether_scanned_on_a_thread_or_not(
        tmp_path, monkeypatch, scanned):
    """A sheet whose bytes do not match its checksum: calamine's reading says so, the scan's
    findings are dropped (as the thread always did)."""
    if scanned == "on a thread":
        monkeypatch.setattr(tables, "_THREAD_SCAN_BYTES", 0)
    source = _answers(tmp_path / "pohja.xlsx")
    path = tmp_path / "vastaus.xlsx"
    with zipfile.ZipFile(source) as archive, \
            zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as out:
        for member in archive.infolist():
            out.writestr(member.filename, archive.read(member))
    data = path.read_bytes()
    at = data.index(b"<f>- lapset")
    path.write_bytes(data[:at + 3] + b"+" + data[at + 4:])  # no longer its checksum's
    with pytest.raises(InputError) as refused:
        read_workbook(path)
    assert str(refused.value).startswith(f"{path}: cannot read the workbook (")


def test_the_hidden_row_test_lets_through_every_sheet_the_row_pattern_matches():
    """``_row_hidden_in`` only spares ``_HIDDEN_ROW`` its reading: wherever the pattern finds
    a hidden row, the test says yes."""
    pieces = st.sampled_from([b"<row", b'<row r="5"', b" ", b'hidden="1"', b'hidden="true"',
                              b'hidden="0"', b">", b"<", b"<col", b'r="7"', b"</row>", b"x",
                              b'<c r="A1">', b"<rows", b'<row spans="1:2"'])

    @settings(max_examples=3000, deadline=None)
    @given(st.lists(pieces, max_size=14))
    def check(parts):
        data = b"".join(parts)
        if tables._HIDDEN_ROW.search(data):
            assert tables._row_hidden_in(data), data

    check()
    assert not tables._row_hidden_in(b'<cols><col min="3" max="3" hidden="1"/></cols>'
                                     b'<sheetData><row r="1"><c r="A1"/></row></sheetData>')
    assert tables._row_hidden_in(b'<row r="3" hidden="1" spans="1:2">')


def _expat_finds_doctype(data: bytes) -> bool:
    """What the refusal read before the short way for a part starting with its root: the
    whole of ``data`` through expat, up to the root element."""
    import xml.parsers.expat

    found = []

    def stop(*_):
        raise StopIteration

    def declared(*_):
        found.append(True)
        raise StopIteration

    parser = xml.parsers.expat.ParserCreate()
    parser.StartElementHandler, parser.StartDoctypeDeclHandler = stop, declared
    try:
        parser.Parse(data, True)
    except (StopIteration, xml.parsers.expat.ExpatError, ValueError):
        pass
    return bool(found)


def test_the_short_way_past_expat_finds_a_doctype_wherever_expat_does():
    """``_PrologCheck`` skips expat for a part whose first bytes are its root element
    (``_ROOT_FIRST``): for any start of a part, it says what expat says."""
    pieces = st.sampled_from([
        b"\xef\xbb\xbf", b'<?xml version="1.0"?>', b"<?xml version='1.0' encoding='utf-8'?>",
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>', b"<?xml",
        b' version="1.0"', b' encoding="UTF-16"', b' encoding="ISO-8859-1"', b"?>", b" ",
        b"\r\n", b"\t", b"\x0c", b"<!-- <a> -->", b"<?pi x?>", b'<!DOCTYPE x [<!ENTITY a "b">]>',
        b"<!DOCTYPE x>", b"<worksheet>", b"<a:theme xmlns:a='urn:x'>", b"<_x>", b"<1>", b"<",
        b"!", b"x", b"\x00", b"]]>", b"<![CDATA[<!DOCTYPE y>]]>", b"\xc3\xa4"])

    @settings(max_examples=4000, deadline=None)
    @given(st.lists(pieces, max_size=8))
    def check(parts):
        data = b"".join(parts)
        check = tables._PrologCheck()
        check.feed(data, final=True)
        assert check.doctype == _expat_finds_doctype(data), data
        if tables._ROOT_FIRST.match(data):
            assert not _expat_finds_doctype(data), data

    check()


def test_a_doctype_past_the_prolog_the_check_reads_still_expands_nothing(tmp_path):
    """The check reads at most ``_PROLOG_BYTES`` of a part (no program writes a prolog
    that long): a DOCTYPE after a longer comment is not seen there, and its entity still
    reaches no cell (calamine expands none: the workbook is refused as unreadable)."""
    secret = tmp_path / "passwd"
    secret.write_text("SALAINEN-RIVI\n")
    xxe = f'<!DOCTYPE x [<!ENTITY xxe SYSTEM "file://{secret}">]>'.encode()
    source = _workbook(tmp_path / "pohja.xlsx")
    path = tmp_path / "vastaus.xlsx"
    with zipfile.ZipFile(source) as archive, \
            zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info in archive.infolist():
            data = archive.read(info)
            if info.filename == SHEET:
                body = re.sub(rb'<c r="B1"[^>]*>.*?</c>',
                              b'<c r="B1" t="inlineStr"><is><t>&xxe;</t></is></c>',
                              re.sub(rb"^<\?xml[^>]*\?>\s*", b"", data))
                assert b"&xxe;" in body
                data = b"<!--" + b"x" * tables._PROLOG_BYTES + b"-->" + xxe + body
            out.writestr(info, data)
    try:
        sheets = read_workbook(path)
    except InputError as refused:
        assert "SALAINEN" not in str(refused)
        assert str(refused).startswith(f"{path}: cannot read the workbook (")
    else:
        assert "SALAINEN" not in repr([sheet.rows for sheet in sheets])
