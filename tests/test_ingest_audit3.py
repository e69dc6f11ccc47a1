"""A third pass at the answers: files crafted the way municipalities send them, ingested into
a real database and read back (what came out, and what the reviewer is told).

Nothing a municipality sent may be silently lost or changed; what is unsure is flagged.
"""

from __future__ import annotations

import struct
from email.message import EmailMessage
from pathlib import Path

from ingest_support import practices_by_title, questionnaire_copy, run_ingest, set_answer
from sqlmodel import Session, select

from yhteistuumin_survey.flags import describe, unsure


def _tnef_attribute(level: int, ident: int, kind: int, data: bytes) -> bytes:
    """One TNEF attribute: level, id, type, length, data and the data's 16-bit checksum."""
    return (struct.pack("<BHHI", level, ident, kind, len(data)) + data
            + struct.pack("<H", sum(data) & 0xFFFF))


def _winmail(files: list[tuple[str, bytes]]) -> bytes:
    """winmail.dat as Outlook writes it for a message in Rich Text format: the TNEF signature,
    the version and code page, then per file its rendering, title (in the code page) and data."""
    stream = b"\x78\x9f\x3e\x22" + struct.pack("<H", 0x1234)
    stream += _tnef_attribute(1, 0x9006, 0x0008, struct.pack("<I", 0x00010000))
    stream += _tnef_attribute(1, 0x9007, 0x0006, struct.pack("<II", 1252, 0))
    for name, data in files:
        stream += _tnef_attribute(2, 0x9002, 0x0006, bytes(14))
        stream += _tnef_attribute(2, 0x8010, 0x0001, name.encode("cp1252") + b"\0")
        stream += _tnef_attribute(2, 0x800F, 0x0006, data)
    return stream


def _mail_with(folder: Path, name: str, attachment: bytes, *, filename: str = "winmail.dat",
               subtype: str = "ms-tnef") -> Path:
    message = EmailMessage()
    message["From"] = "kulttuuri@vantaa.fi"
    message["To"] = "kysely@yhteistuumin.example.fi"
    message["Subject"] = "Vastaus"
    message.set_content("Liitteenä vastauksemme.")
    message.add_attachment(attachment, maintype="application", subtype=subtype,
                           filename=filename)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(bytes(message))
    return path


# --- emails ------------------------------------------------------------------------------------


def test_the_questionnaire_inside_outlooks_winmail_dat_is_read(sqlite_engine, workspace,
                                                               tmp_path):
    questionnaire = questionnaire_copy(tmp_path / "src")
    set_answer(questionnaire, "Käytäntö 1", "title", "Kirjastokaveri")
    winmail = _winmail([("Hyvät käytännöt.xlsx", questionnaire.read_bytes())])
    path = _mail_with(tmp_path / "in", "vastaus.eml", winmail)

    result = run_ingest([path], engine=sqlite_engine, workspace=workspace)

    rows = [r for r in result.rows() if r["file"].endswith("winmail.dat » Hyvät käytännöt.xlsx")]
    assert rows and {r["outcome"] for r in rows} >= {"new"}
    assert "Kirjastokaveri" in practices_by_title(sqlite_engine)
    from yhteistuumin_survey.db.models import ReceivedFile

    with Session(sqlite_engine) as session:  # the file inside is kept as received, under its name
        inner = session.exec(select(ReceivedFile).where(
            ReceivedFile.original_name == "Hyvät käytännöt.xlsx")).one()
        wrapper = session.get(ReceivedFile, inner.parent_id)
    assert wrapper is not None and wrapper.original_name == "winmail.dat"
    assert (workspace.root / inner.stored_path).read_bytes() == questionnaire.read_bytes()


def test_a_winmail_dat_holding_no_file_or_damaged_says_what_to_do(sqlite_engine, workspace,
                                                                 tmp_path):
    only_text = _mail_with(tmp_path / "in", "teksti.eml", _winmail([]))
    damaged = _mail_with(tmp_path / "in", "rikki.eml", b"\x78\x9f\x3e\x22\x01\x00\x02\x06\x90"
                         + b"\xff" * 40)

    result = run_ingest([only_text, damaged], engine=sqlite_engine, workspace=workspace)

    rows = {r["file"].split("/")[-1]: r for r in result.rows() if r["file"].endswith("winmail.dat")}
    only_text_row = rows["teksti.eml » winmail.dat"]
    # The message's text is read from its plain-text part: a note, not a failure.
    assert only_text_row["outcome"] == "note" and "holds no file" in only_text_row["reason"]
    assert "send it again from a message in HTML or plain-text format" in only_text_row["reason"]
    assert rows["rikki.eml » winmail.dat"]["outcome"] == "error"
    assert "HTML or plain-text format" in rows["rikki.eml » winmail.dat"]["reason"]


def test_the_questionnaire_in_an_s_mime_signed_message_is_read_and_the_signature_is_no_error(
        sqlite_engine, workspace, tmp_path):
    from email import encoders
    from email.mime.base import MIMEBase
    from email.mime.multipart import MIMEMultipart
    from email.mime.text import MIMEText

    questionnaire = questionnaire_copy(tmp_path / "src")
    set_answer(questionnaire, "Käytäntö 1", "title", "Allekirjoitettu vastaus")
    content = MIMEMultipart("mixed")
    content.attach(MIMEText("Liitteenä vastauksemme.", "plain", "utf-8"))
    sheet = MIMEBase("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    sheet.set_payload(questionnaire.read_bytes())
    encoders.encode_base64(sheet)
    sheet.add_header("Content-Disposition", "attachment", filename="vastaus.xlsx")
    content.attach(sheet)
    signed = MIMEMultipart("signed", protocol="application/pkcs7-signature", micalg="sha-256")
    signed.attach(content)
    signature = MIMEBase("application", "pkcs7-signature", name="smime.p7s")
    signature.set_payload(b"0\x82\x05\x00" + bytes(200))
    encoders.encode_base64(signature)
    signature.add_header("Content-Disposition", "attachment", filename="smime.p7s")
    signed.attach(signature)
    signed["From"] = "kulttuuri@vantaa.fi"
    signed["Subject"] = "Vastaus"
    path = tmp_path / "allekirjoitettu.eml"
    path.write_bytes(signed.as_bytes())

    result = run_ingest([path], engine=sqlite_engine, workspace=workspace)

    assert "Allekirjoitettu vastaus" in practices_by_title(sqlite_engine)
    assert not [r for r in result.rows() if r["outcome"] == "error"], result.rows()


def test_an_opaque_s_mime_message_says_it_cannot_be_read_and_what_to_ask(sqlite_engine,
                                                                         workspace, tmp_path):
    path = tmp_path / "salattu.eml"
    path.write_bytes(b"From: kulttuuri@vantaa.fi\r\nSubject: Vastaus\r\nMIME-Version: 1.0\r\n"
                     b"Content-Type: application/pkcs7-mime; smime-type=signed-data; "
                     b"name=smime.p7m\r\nContent-Transfer-Encoding: base64\r\n"
                     b"Content-Disposition: attachment; filename=smime.p7m\r\n\r\n"
                     b"MIIFAAYJKoZIhvcNAQcCoIIE8TCCBO0CAQExDzANBglghkgBZQMEAgEFADCC\r\n")

    result = run_ingest([path], engine=sqlite_engine, workspace=workspace)

    (row,) = result.rows()
    assert row["outcome"] == "error"
    assert "signed or encrypted with S/MIME" in row["reason"]
    assert "without signing or encrypting" in row["reason"]


def test_an_attachment_named_in_raw_windows_1252_bytes_keeps_its_name(sqlite_engine, workspace,
                                                                     tmp_path):
    import base64

    data = questionnaire_copy(tmp_path / "src").read_bytes()
    path = tmp_path / "vastaus.eml"
    path.write_bytes(
        b"From: kulttuuri@vantaa.fi\r\nSubject: Vastaus\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: multipart/mixed; boundary=XX\r\n\r\n--XX\r\n"
        b"Content-Type: text/plain; charset=windows-1252\r\n\r\nLiitteen\xe4 vastaus.\r\n--XX\r\n"
        b"Content-Type: application/octet-stream; name=\"Hyv\xe4t k\xe4yt\xe4nn\xf6t.xlsx\"\r\n"
        b"Content-Disposition: attachment; filename=\"Hyv\xe4t k\xe4yt\xe4nn\xf6t.xlsx\"\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n"
        + base64.encodebytes(data).replace(b"\n", b"\r\n") + b"--XX--\r\n")

    result = run_ingest([path], engine=sqlite_engine, workspace=workspace)

    assert any(r["file"].endswith("vastaus.eml » Hyvät käytännöt.xlsx") for r in result.rows())
    from yhteistuumin_survey.db.models import ReceivedFile

    with Session(sqlite_engine) as session:
        names = set(session.exec(select(ReceivedFile.original_name)))
    assert "Hyvät käytännöt.xlsx" in names


# --- values ------------------------------------------------------------------------------------


def test_a_former_municipality_is_read_as_its_successor_and_the_reviewer_is_told(
        sqlite_engine, workspace, tmp_path):
    path = questionnaire_copy(tmp_path / "in")
    set_answer(path, "Käytäntö 1", "municipalities", "Jalasjärvi")

    run_ingest([path], engine=sqlite_engine, workspace=workspace)

    practice = practices_by_title(sqlite_engine)["Kuntien välinen yhteistyö aluetyössä"]
    assert "301" in practice["municipalities"]  # Kurikka, which Jalasjärvi joined in 2016
    flag = unsure("municipalities", "municipality-former", text="Jalasjärvi", names=["Kurikka"])
    assert flag in practice["flags"]
    assert describe(flag, "fi") == ("Kunnat: 'Jalasjärvi' on entinen kunta, joka on sittemmin "
                                    "yhdistetty toiseen kuntaan; vastaus luettiin kunnaksi "
                                    "Kurikka. Tarkista, että kunta on oikea.")


# --- questionnaires ----------------------------------------------------------------------------


_TEXT_BOX = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<xdr:wsDr xmlns:xdr="http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing" '
    'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main">'
    '<xdr:twoCellAnchor editAs="oneCell"><xdr:from><xdr:col>1</xdr:col><xdr:colOff>0</xdr:colOff>'
    '<xdr:row>{row}</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:from><xdr:to><xdr:col>4</xdr:col>'
    '<xdr:colOff>0</xdr:colOff><xdr:row>{end}</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:to>'
    '<xdr:sp macro="" textlink=""><xdr:nvSpPr><xdr:cNvPr id="2" name="Tekstiruutu 1"/>'
    '<xdr:cNvSpPr txBox="1"/></xdr:nvSpPr><xdr:spPr><a:xfrm><a:off x="0" y="0"/>'
    '<a:ext cx="3000000" cy="1000000"/></a:xfrm><a:prstGeom prst="rect"><a:avLst/></a:prstGeom>'
    '</xdr:spPr><xdr:txBody><a:bodyPr wrap="square" anchor="t"/><a:lstStyle/>{paragraphs}'
    '</xdr:txBody></xdr:sp><xdr:clientData/></xdr:twoCellAnchor></xdr:wsDr>')


def _draw_text_box(path: Path, sheet: str, row: int, lines: list[str]) -> None:
    """Lay a text box over a sheet (its top-left corner in column B of the 0-based ``row``),
    as Excel's Insert > Text Box writes it: a drawing part related to the sheet."""
    import zipfile

    from yhteistuumin_survey.sheetxml import _sheet_parts

    with zipfile.ZipFile(path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
        member = next(m for m, name in _sheet_parts(archive).items() if name == sheet)
    folder, base = member.rsplit("/", 1)
    relation = ('<Relationship Id="rIdBox" Type="http://schemas.openxmlformats.org/'
                'officeDocument/2006/relationships/drawing" Target="../drawings/box1.xml"/>')
    rels = f"{folder}/_rels/{base}.rels"
    parts[rels] = (parts[rels].decode().replace("</Relationships>", relation + "</Relationships>")
                   if rels in parts else
                   '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
                   f'openxmlformats.org/package/2006/relationships">{relation}</Relationships>'
                   ).encode()
    xml = parts[member].decode()
    if 'xmlns:r="' not in xml[:xml.index(">", xml.index("<worksheet"))]:
        xml = xml.replace("<worksheet ", '<worksheet xmlns:r="http://schemas.openxmlformats.org/'
                          'officeDocument/2006/relationships" ', 1)
    parts[member] = xml.replace("</worksheet>", '<drawing r:id="rIdBox"/></worksheet>').encode()
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].decode().replace(
        "</Types>", '<Override PartName="/xl/drawings/box1.xml" ContentType="application/vnd.'
        'openxmlformats-officedocument.drawing+xml"/></Types>').encode()
    paragraphs = "".join(f'<a:p><a:r><a:rPr lang="fi-FI"/><a:t>{line}</a:t></a:r></a:p>'
                         for line in lines)
    parts["xl/drawings/box1.xml"] = _TEXT_BOX.format(row=row, end=row + 4,
                                                     paragraphs=paragraphs).encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)


def _row_of(path: Path, sheet: str, key: str) -> int:
    from openpyxl import load_workbook

    workbook = load_workbook(path)
    return next(r[0].row - 1 for r in workbook[sheet].iter_rows() if r[2].value == key)


def test_an_answer_typed_in_a_text_box_over_the_sheet_is_kept_as_a_note(sqlite_engine, workspace,
                                                                        tmp_path):
    path = questionnaire_copy(tmp_path / "in")
    set_answer(path, "Käytäntö 1", "goal", None)
    _draw_text_box(path, "Käytäntö 1", _row_of(path, "Käytäntö 1", "goal"),
                   ["Tavoitteena on tuoda kulttuuri kaikille.", "Toinen kappale."])

    run_ingest([path], engine=sqlite_engine, workspace=workspace)

    practice = practices_by_title(sqlite_engine)["Kuntien välinen yhteistyö aluetyössä"]
    assert "required-missing:goal" in practice["flags"]  # the box is not taken as the answer
    assert ("note:goal:(tekstiruutu) Tavoitteena on tuoda kulttuuri kaikille.\nToinen kappale."
            in practice["flags"])


def test_a_questionnaire_answered_only_in_a_text_box_is_to_read_not_empty(sqlite_engine,
                                                                          workspace, tmp_path):
    from openpyxl import load_workbook

    path = questionnaire_copy(tmp_path / "in")
    workbook = load_workbook(path)
    for row in workbook["Käytäntö 1"].iter_rows(min_row=4):  # every answer cell emptied
        for cell in (row[1], *row[3:]):
            cell.value = None
    workbook.save(path)
    _draw_text_box(path, "Käytäntö 1", 2, ["Käytännön nimi: Lukupiiri", "Tavoite: lukeminen"])

    result = run_ingest([path], engine=sqlite_engine, workspace=workspace)

    row = next(r for r in result.rows() if r["sheet"] == "Käytäntö 1")
    assert row["outcome"] == "to-read"
    assert "(tekstiruutu) Käytännön nimi: Lukupiiri\nTavoite: lukeminen" in row["reason"]
    from yhteistuumin_survey.ingest.store import list_to_read

    with Session(sqlite_engine) as session:
        (listed,) = list_to_read(session=session)
    assert "Käytännön nimi: Lukupiiri Tavoite: lukeminen" in listed["text"]

_MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
_CHECK_BOX_ANCHOR = (
    '<mc:AlternateContent xmlns:mc="' + _MC + '"><mc:Choice xmlns:a14="http://schemas.microsoft.'
    'com/office/drawing/2010/main" Requires="a14"><xdr:twoCellAnchor editAs="oneCell"><xdr:from>'
    '<xdr:col>1</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>{row}</xdr:row><xdr:rowOff>0'
    '</xdr:rowOff></xdr:from><xdr:to><xdr:col>2</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>'
    '{end}</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:to><xdr:sp macro="" textlink=""><xdr:nvSpPr>'
    '<xdr:cNvPr id="{shape}" name="Check Box {shape}" hidden="1"/><xdr:cNvSpPr/></xdr:nvSpPr>'
    '<xdr:spPr/><xdr:txBody><a:bodyPr/><a:lstStyle/><a:p><a:r><a:t>{label}</a:t></a:r></a:p>'
    '</xdr:txBody></xdr:sp><xdr:clientData/></xdr:twoCellAnchor></mc:Choice><mc:Fallback/>'
    '</mc:AlternateContent>')


def _add_check_boxes(path: Path, sheet: str, boxes: list[tuple[int, str, bool]]) -> None:
    """Put check boxes (form controls, not linked to a cell) on a sheet as Excel writes them:
    a shape in the drawing, a control in the sheet, its state in xl/ctrlProps."""
    import zipfile

    from yhteistuumin_survey.sheetxml import _sheet_parts

    with zipfile.ZipFile(path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
        member = next(m for m, name in _sheet_parts(archive).items() if name == sheet)
    folder, base = member.rsplit("/", 1)
    kind = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
    relations = [f'<Relationship Id="rIdDr" Type="{kind}drawing" Target="../drawings/boxes.xml"/>']
    controls, anchors, types = [], [], []
    for number, (row, label, ticked) in enumerate(boxes, start=1):
        shape = 1024 + number
        relations.append(f'<Relationship Id="rIdCp{number}" Type="{kind}ctrlProp" '
                         f'Target="../ctrlProps/ctrlProp{number}.xml"/>')
        parts[f"xl/ctrlProps/ctrlProp{number}.xml"] = (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><formControlPr xmlns="http://'
            'schemas.microsoft.com/office/spreadsheetml/2009/9/main" objectType="CheckBox"'
            + (' checked="Checked"' if ticked else "") + ' lockText="1" noThreeD="1"/>').encode()
        types.append(f'<Override PartName="/xl/ctrlProps/ctrlProp{number}.xml" ContentType="'
                     'application/vnd.ms-excel.controlproperties+xml"/>')
        controls.append(f'<control shapeId="{shape}" r:id="rIdCp{number}" name="Check Box '
                        f'{shape}"/>')
        anchors.append(_CHECK_BOX_ANCHOR.format(row=row, end=row + 1, shape=shape, label=label))
    rels = f"{folder}/_rels/{base}.rels"
    parts[rels] = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
                   f'openxmlformats.org/package/2006/relationships">{"".join(relations)}'
                   '</Relationships>').encode()
    xml = parts[member].decode()
    if 'xmlns:r="' not in xml[:xml.index(">", xml.index("<worksheet"))]:
        xml = xml.replace("<worksheet ", '<worksheet xmlns:r="http://schemas.openxmlformats.org/'
                          'officeDocument/2006/relationships" ', 1)
    parts[member] = xml.replace("</worksheet>", (
        '<drawing r:id="rIdDr"/><mc:AlternateContent xmlns:mc="' + _MC + '"><mc:Choice '
        'Requires="x14"><controls>' + "".join(controls) + "</controls></mc:Choice>"
        "</mc:AlternateContent></worksheet>")).encode()
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].decode().replace(
        "</Types>", '<Override PartName="/xl/drawings/boxes.xml" ContentType="application/vnd.'
        'openxmlformats-officedocument.drawing+xml"/>' + "".join(types) + "</Types>").encode()
    parts["xl/drawings/boxes.xml"] = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><xdr:wsDr xmlns:xdr="http://'
        'schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing" xmlns:a="http://schemas.'
        'openxmlformats.org/drawingml/2006/main">' + "".join(anchors) + "</xdr:wsDr>").encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)


def test_a_ticked_check_box_over_a_target_group_row_is_kept_as_a_note(sqlite_engine, workspace,
                                                                      tmp_path):
    path = questionnaire_copy(tmp_path / "in")
    set_answer(path, "Käytäntö 1", "target_group:municipal_staff", None)
    _add_check_boxes(path, "Käytäntö 1", [
        (_row_of(path, "Käytäntö 1", "target_group:children"), "Lapset", True),
        (_row_of(path, "Käytäntö 1", "target_group:young_people"), "Nuoret", False)])

    run_ingest([path], engine=sqlite_engine, workspace=workspace)

    practice = practices_by_title(sqlite_engine)["Kuntien välinen yhteistyö aluetyössä"]
    assert practice["target_group"] == []  # a box's place is no sure tick: the reviewer decides
    assert "note:target_group:(tekstiruutu) [x] Lapset" in practice["flags"]
    assert not any("Nuoret" in flag for flag in practice["flags"])  # not ticked: nothing

def test_a_second_practice_typed_over_a_copy_of_the_filled_file_is_kept_beside_the_first(
        sqlite_engine, workspace, tmp_path):
    first = questionnaire_copy(tmp_path / "in", "Hyvät käytännöt.xlsx")
    set_answer(first, "Käytäntö 1", "title", "Kirjastokaveri")
    second = questionnaire_copy(tmp_path / "in", "Hyvät käytännöt (2).xlsx")
    set_answer(second, "Käytäntö 1", "title", "Taidetta terveysasemille")
    set_answer(second, "Käytäntö 1", "summary", "Taiteilijat ripustavat teoksia odotustiloihin.")

    run_ingest([first], engine=sqlite_engine, workspace=workspace)
    result = run_ingest([second], engine=sqlite_engine, workspace=workspace)

    by_title = practices_by_title(sqlite_engine)
    assert {"Kirjastokaveri", "Taidetta terveysasemille"} <= set(by_title)
    earlier = by_title["Kirjastokaveri"]
    assert earlier["version"] == 1  # not replaced by the other practice
    flags = by_title["Taidetta terveysasemille"]["flags"]
    assert f"possible-duplicate:{earlier['id']}" in flags
    assert unsure("title", "another-practice-over-copy", sheet="Käytäntö 1",
                  id=earlier["id"]) in flags
    row = next(r for r in result.rows() if r["sheet"] == "Käytäntö 1")
    assert "title" in row["reason"]  # the report names it


def test_a_questionnaire_sent_again_with_its_title_corrected_is_a_new_version(
        sqlite_engine, workspace, tmp_path):
    first = questionnaire_copy(tmp_path / "in", "vastaus.xlsx")
    set_answer(first, "Käytäntö 1", "title", "Kirjastokaveri")
    second = questionnaire_copy(tmp_path / "in", "vastaus korjattu.xlsx")
    set_answer(second, "Käytäntö 1", "title", "Kirjastokaveritoiminta ikääntyneille")

    run_ingest([first], engine=sqlite_engine, workspace=workspace)
    result = run_ingest([second], engine=sqlite_engine, workspace=workspace)

    row = next(r for r in result.rows() if r["sheet"] == "Käytäntö 1")
    assert row["outcome"] == "new version"
    assert "Kirjastokaveri" not in practices_by_title(sqlite_engine)


def test_a_target_group_typed_over_the_hint_above_the_tick_rows_is_kept_as_a_note(
        sqlite_engine, workspace, tmp_path):
    path = questionnaire_copy(tmp_path / "in")
    # The sheet unprotected, the hint "Merkitse x sopiviin kohderyhmiin alla." typed over.
    set_answer(path, "Käytäntö 1", "target_group", "Kaikki yli 65-vuotiaat ja omaishoitajat")
    set_answer(path, "Käytäntö 1", "target_group:municipal_staff", None)
    untouched = questionnaire_copy(tmp_path / "in", "toinen.xlsx")
    set_answer(untouched, "Käytäntö 1", "title", "Koskematon vihje")

    run_ingest([path, untouched], engine=sqlite_engine, workspace=workspace)

    by_title = practices_by_title(sqlite_engine)
    flags = by_title["Kuntien välinen yhteistyö aluetyössä"]["flags"]
    assert "note:target_group:Kaikki yli 65-vuotiaat ja omaishoitajat" in flags
    assert not any(f.startswith("note:target_group") for f in by_title["Koskematon vihje"]["flags"])


# --- exports -----------------------------------------------------------------------------------

_FORMS_HEADER = ("Timestamp,Email Address,Kunta tai kunnat joissa käytäntö on käytössä,"
                 "Käytännön nimi,Kenelle käytäntö on suunnattu?,Tavoite,"
                 "Hyvä käytäntö pähkinänkuoressa\r\n")


def test_a_form_response_corrected_under_a_new_title_is_flagged_not_published_twice(
        sqlite_engine, workspace, tmp_path):
    path = tmp_path / "vastaukset.csv"
    path.write_text(
        _FORMS_HEADER
        + "2026/12/02 09:00:00,f@oulu.fi,Oulu,Lukupiiri,Ikääntyneet,Lukeminen.,Piiri kirjastossa.\r\n"
        + "2026/12/03 09:00:00,f@oulu.fi,Oulu,Lukupiiri ikäihmisille,Ikääntyneet,Lukeminen.,"
          "Piiri kirjastossa joka kuukausi.\r\n"
        + "2026/12/03 10:00:00,f@oulu.fi,Oulu,Tanssit kirjastolla,Ikääntyneet,Liikunta.,"
          "Tanssit.\r\n", encoding="utf-8")

    result = run_ingest([path], engine=sqlite_engine, workspace=workspace)

    by_title = practices_by_title(sqlite_engine)
    earlier = by_title["Lukupiiri"]["id"]
    assert f"possible-duplicate:{earlier}" in by_title["Lukupiiri ikäihmisille"]["flags"]
    assert not any(f.startswith("possible-duplicate") for f in by_title["Tanssit kirjastolla"][
        "flags"])  # another practice of the same municipality is no duplicate
    assert [r["outcome"] for r in result.rows()] == ["new", "duplicate candidate", "new"]


def test_other_ticked_without_naming_the_group_is_flagged_not_dropped(sqlite_engine, workspace,
                                                                      tmp_path):
    path = questionnaire_copy(tmp_path / "in")
    set_answer(path, "Käytäntö 1", "target_group:other", "x")  # beside "Kunnan työntekijät" x
    set_answer(path, "Käytäntö 2", "title", "Muu nimetty")
    set_answer(path, "Käytäntö 2", "target_group:other", "kuorot")

    run_ingest([path], engine=sqlite_engine, workspace=workspace)

    by_title = practices_by_title(sqlite_engine)
    practice = by_title["Kuntien välinen yhteistyö aluetyössä"]
    assert practice["target_group"] == ["municipal_staff"]
    assert unsure("target_group", "other-unnamed", option="Muu, mikä?") in practice["flags"]
    assert "other:kuorot" in by_title["Muu nimetty"]["target_group"]
    assert not any(f.startswith("unsure:target_group") for f in by_title["Muu nimetty"]["flags"])


def test_a_drop_down_prompt_left_in_a_tick_cell_is_no_target_group(sqlite_engine, workspace,
                                                                   tmp_path):
    path = questionnaire_copy(tmp_path / "in")
    set_answer(path, "Käytäntö 1", "target_group:children", "Valitse")
    set_answer(path, "Käytäntö 1", "target_group:families", "(valitse)")
    set_answer(path, "Käytäntö 1", "target_group:immigrants", "Välj…")

    run_ingest([path], engine=sqlite_engine, workspace=workspace)

    practice = practices_by_title(sqlite_engine)["Kuntien välinen yhteistyö aluetyössä"]
    assert practice["target_group"] == ["municipal_staff"]  # not "other:Valitse"


def test_a_reply_in_html_with_the_answers_in_a_table_is_read_as_a_practice(sqlite_engine,
                                                                           workspace, tmp_path):
    message = EmailMessage()
    message["From"] = "kulttuuri@forssa.fi"
    message["Subject"] = "VS: Kysely hyvistä käytännöistä"
    message.set_content(
        "<html><body><p>Hei, vastauksemme:</p><table border=1>"
        "<tr><td><b>Käytännön nimi</b></td><td>Taulukkovastaus</td></tr>"
        "<tr><td>Tavoite</td><td>Lisätä lukemista.</td></tr>"
        "<tr><td>Hyvä käytäntö pähkinänkuoressa</td><td>Lukupiiri kirjastossa<br>joka kuukausi."
        "</td></tr></table><p>Ystävällisin terveisin<br>Maija</p></body></html>", subtype="html")
    path = tmp_path / "vastaus.eml"
    path.write_bytes(bytes(message))

    run_ingest([path], engine=sqlite_engine, workspace=workspace)

    practice = practices_by_title(sqlite_engine)["Taulukkovastaus"]
    assert practice["goal"] == "Lisätä lukemista."
    assert practice["summary"] == "Lukupiiri kirjastossa\njoka kuukausi."
    assert "from-email-text" in practice["flags"]


def test_an_export_downloaded_again_does_not_undo_a_correction_or_add_versions(engine, workspace,
                                                                              tmp_path):
    first = "2026/12/02 09:00:00,e@turku.fi,Turku,Taidetta terveysasemille,Kaikki asukkaat," \
            "Eka tavoite.,Teoksia odotustiloissa.\r\n"
    corrected = "2026/12/03 09:00:00,e@turku.fi,Turku,Taidetta terveysasemille,Kaikki asukkaat," \
                "Korjattu tavoite.,Teoksia odotustiloissa.\r\n"
    newer = "2026/12/04 09:00:00,f@oulu.fi,Oulu,Tanssit kirjastolla,Ikääntyneet,Liikunta.," \
            "Tanssit.\r\n"
    week1, week2 = tmp_path / "viikko1.csv", tmp_path / "viikko2.csv"
    week1.write_text(_FORMS_HEADER + first + corrected, encoding="utf-8")
    week2.write_text(_FORMS_HEADER + first + corrected + newer, encoding="utf-8")

    run_ingest([week1], engine=engine, workspace=workspace)
    result = run_ingest([week2], engine=engine, workspace=workspace)

    practice = practices_by_title(engine)["Taidetta terveysasemille"]
    assert practice["version"] == 2 and practice["goal"] == "Korjattu tavoite."
    rows = result.rows()
    assert [r["outcome"] for r in rows] == ["already ingested", "already ingested", "new"]
    assert rows[0]["reason"] == (f"same content as practice {practice['id']} version 1 "
                                 "(received before; version 2 is newer)")


def test_a_municipality_answer_naming_no_municipality_is_said_in_the_flag(sqlite_engine,
                                                                          workspace, tmp_path):
    path = questionnaire_copy(tmp_path / "in")
    set_answer(path, "Käytäntö 1", "municipalities", "Koko Kainuu")

    run_ingest([path], engine=sqlite_engine, workspace=workspace)

    practice = practices_by_title(sqlite_engine)["Kuntien välinen yhteistyö aluetyössä"]
    assert "municipality-unresolved" in practice["flags"]
    assert unsure("municipalities", "municipality-not-named", text="Koko Kainuu",
                  names=["Espoo"]) in practice["flags"]
