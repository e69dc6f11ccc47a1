"""A kept document that holds someone else's data too keeps it, and loses the person's.

Tried as a new user: Anna Virtanen (a contact, anna@kunta.fi, 040 111 2222) sent a Word
document (ingest keeps it for the coordinator to type in) naming her colleague Pekka too.
``forget anna@kunta.fi`` said "kept with this person's data taken out", yet the kept copy
still said "Anna Virtanen" and "040 111 2222": Word had split both into runs (the
spelling checker marks a Finnish surname; an edit splits a number), and only the address,
whole in its run, was found. Its properties named her as author and last editor, and its
comments as their author, parts without an address that were never looked at. A workbook
she compiled of others' answers named her as its author the same way.
"""

from __future__ import annotations

import re
import zipfile
from xml.dom.minidom import parseString

from ingest_support import run_ingest
from publish_support import settings_for

from yhteistuumin_survey.contacts import import_contacts
from yhteistuumin_survey.privacy import forget_person

ANNA = "anna@kunta.fi"
W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
DOCUMENT = (
    f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document {W} xmlns:r="http://'
    'schemas.openxmlformats.org/officeDocument/2006/relationships"><w:body>'
    '<w:p><w:r><w:t xml:space="preserve">Yhteyshenkilö: Anna </w:t></w:r>'
    '<w:proofErr w:type="spellStart"/><w:r><w:t>Virtanen</w:t></w:r>'
    '<w:proofErr w:type="spellEnd"/><w:r><w:t xml:space="preserve">, </w:t></w:r>'
    '<w:hyperlink r:id="rId4"><w:r><w:rPr><w:rStyle w:val="Hyperlink"/></w:rPr>'
    f'<w:t>{ANNA}</w:t></w:r></w:hyperlink><w:r><w:t xml:space="preserve">, p. 040 111 '
    '</w:t></w:r><w:r><w:t>2222</w:t></w:r></w:p>'
    '<w:p><w:r><w:t xml:space="preserve">Kuoroa vetää </w:t></w:r><w:r><w:rPr><w:b/></w:rPr>'
    '<w:t>Pekka Korhonen</w:t></w:r><w:r><w:t xml:space="preserve">, pekka@kunta.fi, p. 050 '
    '333 4444</w:t></w:r></w:p></w:body></w:document>')
PROPERTIES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><cp:coreProperties xmlns:cp="http:'
    '//schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.'
    'org/dc/elements/1.1/"><dc:creator>Anna Virtanen</dc:creator><cp:lastModifiedBy>Anna '
    'Virtanen</cp:lastModifiedBy></cp:coreProperties>')


def _contacts(session, folder) -> None:
    folder.mkdir()
    (folder / "yhteystiedot.csv").write_text(
        "Kunta;Sähköposti;Nimi;Puhelin\nRovaniemi;anna@kunta.fi;Anna Virtanen;040 111 2222\n"
        "Rovaniemi;pekka@kunta.fi;Pekka Korhonen;050 333 4444\n", encoding="utf-8")
    import_contacts(folder / "yhteystiedot.csv", session=session)
    session.commit()


def _word_document(path) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://'
                         'schemas.openxmlformats.org/package/2006/content-types"/>')
        archive.writestr("word/document.xml", DOCUMENT)
        archive.writestr("word/_rels/document.xml.rels", (
            '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/'
            'package/2006/relationships"><Relationship Id="rId4" Type="http://schemas.'
            'openxmlformats.org/officeDocument/2006/relationships/hyperlink" Target="mailto:'
            f'{ANNA}" TargetMode="External"/></Relationships>'))
        archive.writestr("docProps/core.xml", PROPERTIES)
        archive.writestr("word/comments.xml", (
            f'<?xml version="1.0"?><w:comments {W}><w:comment w:id="0" w:author="Anna Virtanen" '
            'w:initials="AV"><w:p><w:r><w:t>Soita minulle: 040 111 2222</w:t></w:r></w:p>'
            '</w:comment></w:comments>'))


def _text(archive: zipfile.ZipFile, part: str) -> str:
    """The part's text as shown (every element's text joined), checked to be well formed."""
    xml = archive.read(part).decode("utf-8")
    parseString(xml)
    return re.sub(r"<[^>]+>", "", xml)


def test_a_word_document_kept_for_others_loses_her_name_and_number_split_into_runs(
        engine, workspace, session, tmp_path) -> None:
    _contacts(session, tmp_path / "contacts")
    _word_document(tmp_path / "vastaus.docx")
    run_ingest([tmp_path / "vastaus.docx"], engine=engine, workspace=workspace)

    result = forget_person(workspace, ANNA, session=session, settings=settings_for(workspace))

    assert any("vastaus.docx" in place.where and place.action.startswith("kept")
               for place in result.places), result.places
    [copy] = (workspace.outputs / "received").glob("*vastaus.docx")
    with zipfile.ZipFile(copy) as archive:
        body = _text(archive, "word/document.xml")
        assert body.startswith("Yhteyshenkilö: [poistettu], erased-"), body
        assert body.endswith("p. [poistettu]Kuoroa vetää Pekka Korhonen, pekka@kunta.fi, p. 050 "
                             "333 4444"), body
        assert "Virtanen" not in body and "2222" not in body and ANNA not in body
        assert "Anna Virtanen" not in _text(archive, "docProps/core.xml")
        comments = archive.read("word/comments.xml").decode()
        parseString(comments)
        assert "Virtanen" not in comments and "2222" not in comments, comments
        assert ANNA not in archive.read("word/_rels/document.xml.rels").decode()
        # Pekka's bold run keeps its format: only the runs that held her changed
        assert "<w:b/></w:rPr><w:t>Pekka Korhonen</w:t>" in archive.read(
            "word/document.xml").decode()


def test_a_workbook_she_compiled_of_others_answers_no_longer_names_her_its_author(
        engine, workspace, session, tmp_path) -> None:
    from openpyxl import Workbook, load_workbook
    from test_privacy_longer_name import HEADINGS, ROWS

    _contacts(session, tmp_path / "contacts")
    book = Workbook()
    book.properties.creator = book.properties.lastModifiedBy = "Anna Virtanen"
    book.active.append(HEADINGS)
    for row in ROWS:
        book.active.append(row)
    book.save(tmp_path / "koonti.xlsx")
    run_ingest([tmp_path / "koonti.xlsx"], engine=engine, workspace=workspace)

    forget_person(workspace, ANNA, session=session, settings=settings_for(workspace))

    [copy] = (workspace.outputs / "received").glob("*koonti.xlsx")
    kept = load_workbook(copy)
    assert (kept.properties.creator, kept.properties.lastModifiedBy) == (
        "[poistettu]", "[poistettu]")
    rows = [list(row) for row in kept.active.iter_rows(values_only=True)]
    assert rows[2][6:9] == ["Johanna Anna Virtanen", "johanna@kunta.fi", "040 333 4444"]


def _pdf(path, text: bytes) -> None:
    """A one-page PDF whose page shows ``text``, compressed as PDF writers store it."""
    import zlib

    stream = zlib.compress(b"BT /F1 12 Tf 72 712 Td (" + text + b") Tj ET")
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
               b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream
               + b"\nendstream"]
    data, offsets = b"%PDF-1.4\n", []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(data))
        data += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    table = len(data)
    data += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1) + b"".join(
        b"%010d 00000 n \n" % offset for offset in offsets)
    path.write_bytes(data + b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n"
                     % (len(objects) + 1, table))


def test_a_kept_pdf_is_named_for_the_coordinator_to_check_not_passed_over(
        engine, workspace, session, tmp_path) -> None:
    """A PDF keeps its text compressed (and in its fonts' own codes): the address is not in
    its bytes even where the page shows it. forget said nothing of the kept copy of one that
    named her, and the coordinator took the erasure for complete. It is named now, in the
    dry run too, as a file to check by hand."""
    _contacts(session, tmp_path / "contacts")
    _pdf(tmp_path / "vastaus.pdf", b"Yhteyshenkilo: Anna Virtanen, anna@kunta.fi")
    run_ingest([tmp_path / "vastaus.pdf"], engine=engine, workspace=workspace)
    settings = settings_for(workspace)

    for dry_run in (True, False):
        result = forget_person(workspace, ANNA, session=session, settings=settings,
                               dry_run=dry_run)
        [place] = [place for place in result.places if "vastaus.pdf" in place.where]
        assert place.where.endswith("vastaus.pdf: a PDF document, whose text cannot be "
                                    "read here"), place
        assert place.action == ("left as it is: forget could not look into it; check it for "
                                "the person by hand")
    assert [path.name[-11:] for path in (workspace.outputs / "received").iterdir()] == [
        "vastaus.pdf"]


def test_a_message_to_her_with_a_pdf_attached_is_settled_with_the_message(
        engine, workspace, session, tmp_path) -> None:
    """Guard: the PDF inside a message copy is the message's; the copy is settled as before
    (rewritten without her), not left as a file forget could not look into."""
    from email.message import EmailMessage

    _contacts(session, tmp_path / "contacts")
    _pdf(tmp_path / "liite.pdf", b"Ohjeet")
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = ("koordinaattori@example.fi", ANNA,
                                                          "Kysely")
    message.set_content("Hyvä Anna Virtanen, ohjeet liitteenä.")
    message.add_attachment((tmp_path / "liite.pdf").read_bytes(), maintype="application",
                           subtype="pdf", filename="ohjeet.pdf")
    outbox = workspace.outputs / "outbox"
    outbox.mkdir(parents=True, exist_ok=True)
    (outbox / "00001-kutsu.eml").write_bytes(message.as_bytes())

    result = forget_person(workspace, ANNA, session=session, settings=settings_for(workspace))

    assert [(place.where, place.action) for place in result.places
            if "outbox" in place.where] == [("outputs/outbox/00001-kutsu.eml",
                                             "rewritten without the person")]
    kept = (outbox / "00001-kutsu.eml").read_bytes()
    assert ANNA.encode() not in kept and b"Virtanen" not in kept


def test_a_kept_unicode_text_export_is_scrubbed_not_left_as_uneditable(
        engine, workspace, session, tmp_path) -> None:
    """Excel's "Unicode Text" (UTF-16, tab-separated) is read by ingest, but forget took it
    for a format it cannot edit and left the kept copy as it was, her row whole, asking for
    her to be removed by hand. It is scrubbed as text and written back in UTF-16."""
    from test_privacy_longer_name import HEADINGS, ROWS

    text = "\r\n".join("\t".join(row) for row in [HEADINGS, *ROWS]) + "\r\n"
    (tmp_path / "vastaukset.txt").write_bytes(b"\xff\xfe" + text.encode("utf-16-le"))
    run_ingest([tmp_path / "vastaukset.txt"], engine=engine, workspace=workspace)

    result = forget_person(workspace, ANNA, session=session, settings=settings_for(workspace))

    assert not [place for place in result.places if place.kind == "files_to_check"], \
        result.places
    [copy] = (workspace.outputs / "received").glob("*vastaukset.txt")
    data = copy.read_bytes()
    assert data[:2] == b"\xff\xfe"
    rows = [line.split("\t") for line in data.decode("utf-16").splitlines()]
    assert ANNA not in repr(rows[1]) and "Anna Virtanen" not in repr(rows[1]), rows[1]
    assert rows[2][6:9] == ["Johanna Anna Virtanen", "johanna@kunta.fi", "040 333 4444"]
    assert rows[3] == ROWS[2]


def test_a_kept_html_table_keeps_a_namesakes_row_whole(engine, workspace, session,
                                                        tmp_path) -> None:
    """An HTML page saved under a spreadsheet's name (a web tool's "Excel" export) is kept
    for the coordinator to open. Forgetting Anna Virtanen of Espoo took the name out of the
    row of Anna Virtanen of Turku too, another person: its rows are rows, as a sheet's are."""
    from yhteistuumin_survey.db.models import Contact

    espoo, turku = "anna.virtanen@espoo.fi", "anna.virtanen@turku.fi"
    (tmp_path / "vienti.xls").write_text(
        "<html><body><table><TR><td>Nimi</td><td>Sähköposti</td><td>Puhelin</td></TR>"
        f"<TR><td>Anna Virtanen</td><td>{espoo}</td><td>040 111 2222</td></TR>"
        f"<TR><td>Anna Virtanen</td><td>{turku}</td><td>050 999 8888</td></TR></table>"
        "</body></html>", encoding="utf-8")
    run_ingest([tmp_path / "vienti.xls"], engine=engine, workspace=workspace)
    session.add(Contact(municipality_code="049", email=espoo, name="Anna Virtanen",
                        phone="040 111 2222"))
    session.commit()

    forget_person(workspace, espoo, session=session, settings=settings_for(workspace))

    [copy] = (workspace.outputs / "received").glob("*vienti.xls")
    rows = re.findall(r"<TR>(.*?)</TR>", copy.read_text(encoding="utf-8"))
    assert re.sub(r"<[^>]+>", "|", rows[1]).startswith("|[poistettu]||erased-"), rows[1]
    assert rows[2] == f"<td>Anna Virtanen</td><td>{turku}</td><td>050 999 8888</td>"


def test_person_names_a_pdf_it_cannot_read_for_the_coordinator(engine, workspace, session,
                                                               tmp_path) -> None:
    """The right of access: whether the kept PDF holds her cannot be told here, so the
    coordinator is told to look, apart from the report handed to her (as forget tells)."""
    from yhteistuumin_survey.person import person_report

    _contacts(session, tmp_path / "contacts")
    _pdf(tmp_path / "vastaus.pdf", b"Yhteyshenkilo: Anna Virtanen, anna@kunta.fi")
    run_ingest([tmp_path / "vastaus.pdf"], engine=engine, workspace=workspace)

    report = person_report(workspace, ANNA, session=session, lang="fi")

    [line] = report.warnings()
    assert line.startswith("outputs/received/") and line.endswith(
        "vastaus.pdf: a PDF document, whose text cannot be read here, so whether it holds "
        "her could not be told; look into it by hand before handing the report over"), line
    assert "vastaus.pdf" not in repr(report.sections)
