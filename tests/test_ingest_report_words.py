"""The lines a Finnish round's ingest report says about files it refused, in Finnish.

The reasons below were English in a Finnish round's report (the file readers' refusals: a
shape over the limits, a quote left open, an encoding nobody can tell, XML entities); each
now has its code and its texts in ``outcomes.REASON_TEXTS`` (Voikko checks the Finnish words
in ``test_every_reason_code_reads_back_from_its_english_and_says_finnish_words``).
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import openpyxl
from ingest_support import report_said, run_ingest


def _workbook(path: Path) -> None:
    """A real workbook of one cell, saved by openpyxl."""
    book = openpyxl.Workbook()
    book.active["A1"] = "Käytännön nimi"
    book.save(path)


def _inbox(tmp_path: Path) -> Path:
    """An empty folder to ingest."""
    inbox = tmp_path / "in"
    inbox.mkdir()
    return inbox


def _with_doctype(path: Path) -> None:
    """A real workbook whose sheet's XML declares an entity, as no spreadsheet program does."""
    _workbook(path)
    with zipfile.ZipFile(path) as archive:
        parts = {info.filename: archive.read(info) for info in archive.infolist()}
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    declaration, _, rest = sheet.rpartition("?>")  # (openpyxl writes none)
    parts["xl/worksheets/sheet1.xml"] = (
        f'{declaration}{"?>" if declaration else ""}<!DOCTYPE worksheet '
        f'[<!ENTITY a "aaaa">]>{rest}').encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)


def test_files_refused_by_the_readers_are_said_in_finnish_in_a_finnish_rounds_report(
        sqlite_engine, workspace, tmp_path):
    config = workspace.root / "yhteistuumin.toml"
    # the workspace's settings, their [limits] section with one key set (a small limit to
    # meet with a small file)
    text = config.read_text(encoding="utf-8")
    assert "\n[limits]\n" in text
    config.write_text(text.replace("\n[limits]\n", "\n[limits]\nmax_columns = 20\n", 1),
                      encoding="utf-8")
    inbox = _inbox(tmp_path)
    (inbox / "lainaus.csv").write_text('Kunta;Käytännön nimi\nEspoo;"Lukupiiri\nOulu;Runoilta\n',
                                       encoding="utf-8")
    (inbox / "leveä.csv").write_text(";".join(f"Sarake {n}" for n in range(40)) + "\n"
                                     + ";".join("x" * 40) + "\n", encoding="utf-8")
    _with_doctype(inbox / "entiteetit.xlsx")

    result = run_ingest([inbox], engine=sqlite_engine, workspace=workspace)

    said = report_said(result)
    assert said["lainaus.csv"].endswith(
        "lainaus.csv:2: rivillä 2 alkava lainausmerkki ei sulkeudu, joten koko loppu "
        "tiedostosta (riville 3 asti) olisi yksi arvo; sulje tai poista lainausmerkki, "
        "tallenna tiedosto ja lue se uudelleen."), said["lainaus.csv"]
    assert said["leveä.csv"].endswith(
        "leveä.csv: sarakkeita on 40, enemmän kuin raja 20 ([limits] max_columns); poista "
        "tyhjät sarakkeet tai nosta rajaa."), said["leveä.csv"]
    assert said["entiteetit.xlsx"].endswith(
        "entiteetit.xlsx: sen osa xl/worksheets/sheet1.xml määrittelee XML-entiteettejä "
        "(DOCTYPE), joita mikään taulukko-ohjelma ei kirjoita, joten tiedostoa ei luettu. "
        "Pyydä lähettäjää tallentamaan tiedosto uudelleen Excelissä tai LibreOfficessa."), \
        said["entiteetit.xlsx"]
    # the command line and --format json keep the English, with the codes
    reasons = {row["file"].rpartition("/")[2]: row["reason"] for row in result.rows()}
    assert "40 columns is over the limit of 20 ([limits] max_columns)" in reasons["leveä.csv"]


def test_a_text_nobody_can_tell_the_encoding_of_and_a_broken_quote_say_it_in_swedish():
    from yhteistuumin_survey.outcomes import describe, en

    assert describe(en("text-encoding-unknown", file="svar.csv"), "sv") == (
        "svar.csv: teckenkodningen gick inte att avgöra; spara filen som CSV UTF-8 och läs in "
        "den på nytt.")
    assert describe(en("csv-quote-inside", file="svar.csv", line=7,
                       error="',' expected after '\"'"), "fi").startswith(
        "svar.csv:7: lainausmerkki lainausmerkeissä olevan arvon sisällä (',' expected after")


def test_rows_above_the_first_question_are_said_in_the_number_they_are():
    from yhteistuumin_survey.outcomes import describe, en

    assert describe(en("row-above-first-question", sheet="'Käytäntö 1'"), "fi") == (
        "Välilehdellä 'Käytäntö 1' on ensimmäisen kysymyksen yläpuolella rivi, jolla on "
        "tekstiä otsikkosarakkeen vieressä; sitä ei luettu vastaukseksi (se säilytettiin "
        "raakatietona).")
    assert describe(en("rows-above-first-question", sheet="'Käytäntö 1'", count=2), "sv") == (
        "Fliken 'Käytäntö 1' har 2 rader med text bredvid rubrikkolumnen ovanför den första "
        "frågan; de lästes inte som svar (de sparades i rådata).")


def test_an_identification_typed_on_the_sheet_unlike_the_hidden_one_is_said_by_its_name():
    from yhteistuumin_survey.outcomes import describe, en

    note = en("sheet-meta-differs", item="municipality_code", typed="'091'", hidden="'049'")
    assert str(note) == ("the sheet says municipality_code '091', the hidden metadata '049': "
                         "the hidden metadata used")  # as older versions stored it
    assert describe(note, "fi") == ("Välilehdelle kirjoitettu kuntanumero on '091', kyselyn "
                                    "piilotiedoissa '049'; käytettiin piilotietoja.")
    assert describe(str(note), "sv") == ("Fliken anger kommunnummer '091', enkätens dolda "
                                         "uppgifter '049'; de dolda uppgifterna användes.")


def test_an_html_page_under_a_workbooks_name_says_how_to_save_it_as_one(
        sqlite_engine, workspace, tmp_path):
    """Some web systems' "Excel export" is an HTML table named .xls: it was refused with "ask
    for the Excel file itself", though Excel or LibreOffice opens it and saves it as .xlsx."""
    inbox = _inbox(tmp_path)
    (inbox / "vienti.xls").write_text(
        "<html><body><table><tr><td>Käytännön nimi</td><td>Lukupiiri</td></tr></table>"
        "</body></html>", encoding="utf-8")

    result = run_ingest([inbox], engine=sqlite_engine, workspace=workspace)

    said = report_said(result)
    assert said["vienti.xls"].endswith(
        "vienti.xls: tiedosto on taulukon nimellä tallennettu HTML-sivu (verkkopalvelun "
        "Excel-vienti); avaa se Excelissä tai LibreOfficessa, tallenna se .xlsx-muodossa ja lue "
        "tallennettu tiedosto."), said["vienti.xls"]


def _as_deflate64(path: Path) -> None:
    """Mark every member of a zip as packed with Deflate64 (method 9: Windows' Explorer packs a
    big file so), which Python's zipfile does not unpack."""
    import struct

    data = bytearray(path.read_bytes())
    for signature, offset in ((b"PK\x03\x04", 8), (b"PK\x01\x02", 10)):
        at = data.find(signature)
        while at >= 0:
            if struct.unpack_from("<H", data, at + offset)[0] == zipfile.ZIP_DEFLATED:
                struct.pack_into("<H", data, at + offset, 9)
            at = data.find(signature, at + 4)
    path.write_bytes(bytes(data))


def test_a_zip_packed_with_a_method_nobody_here_unpacks_is_said_not_unexpected(
        sqlite_engine, workspace, tmp_path):
    """A workbook or a zip of answers packed with Deflate64 ended as "unexpected
    NotImplementedError while reading ...; please report it": it is the sender's packing."""
    inbox = _inbox(tmp_path)
    _workbook(inbox / "vastaus.xlsx")
    with zipfile.ZipFile(inbox / "liitteet.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(inbox / "vastaus.xlsx", "kulttuuri.xlsx")
    _as_deflate64(inbox / "vastaus.xlsx")
    _as_deflate64(inbox / "liitteet.zip")

    result = run_ingest([inbox], engine=sqlite_engine, workspace=workspace)

    said = report_said(result)
    assert said["liitteet.zip"].endswith(
        "liitteet.zip: osa kulttuuri.xlsx on pakattu tavalla (Deflate64), jota ohjelma ei osaa "
        "purkaa; pyydä lähettäjää tallentamaan tiedosto uudelleen tai pakkaamaan se "
        "tavalliseen tapaan."), said["liitteet.zip"]
    assert "on pakattu tavalla (Deflate64)" in said["vastaus.xlsx"], said["vastaus.xlsx"]
    assert not any("NotImplementedError" in line or "unexpected" in line
                   for line in said.values())
