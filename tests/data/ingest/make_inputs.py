"""Write the small, real-shaped ingest inputs of tests/data/ingest (run it, commit the files).

    .venv/bin/python tests/data/ingest/make_inputs.py

Every file imitates what a tool or a person really produces: Microsoft Forms' fixed columns and
"a;b;" choices, Google Forms' quoted download with "GMT+1" timestamps and its Sheet with ", ",
Webropol's title rows and option columns, LimeSurvey's BOM, codes and empty submitdate, a table
with abbreviated numbered headers, a questionnaire-like workbook, our own questionnaire (with
the mistakes people make: an added row, a merged cell, a note in the wrong cell, a copied
sheet, an empty sheet) also re-saved as .ods, saved emails and a corpus of broken files.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

HERE = Path(__file__).resolve().parent
NBSP = "\u00a0"

FI_HEADERS = {
    "municipalities": "Kunta tai kunnat, joissa käytäntö on käytössä",
    "title": "Käytännön nimi",
    "keywords": "Avainsanat",
    "target_group": "Kenelle käytäntö on suunnattu?",
    "goal": "Tavoite",
    "summary": "Hyvä käytäntö pähkinänkuoressa",
    "implementation": "Toteuttaminen",
    "resources": "Resurssit",
    "experiences": "Kokemuksia",
    "benefits": "Hyödyt",
    "contact_name": "Yhteyshenkilön nimi",
    "contact_email": "Yhteyshenkilön sähköposti",
    "contact_phone": "Yhteyshenkilön puhelinnumero",
    "publish_consent": "Saako yhteyshenkilön nimen ja yhteystiedot julkaista hyvän käytännön "
                       "yhteydessä yhteistuumin.fi-sivustolla?",
}
SV_HEADERS = {
    "municipalities": "Kommun eller kommuner där praxisen används",
    "title": "Praxisens namn",
    "keywords": "Nyckelord",
    "target_group": "För vem är praxisen avsedd?",
    "goal": "Mål",
    "summary": "Den goda praxisen i ett nötskal",
    "implementation": "Genomförande",
    "resources": "Resurser",
    "experiences": "Erfarenheter",
    "benefits": "Nytta",
    "contact_name": "Kontaktpersonens namn",
    "contact_email": "Kontaktpersonens e-post",
    "contact_phone": "Kontaktpersonens telefonnummer",
    "publish_consent": "Får kontaktpersonens namn och kontaktuppgifter publiceras tillsammans med "
                       "den goda praxisen på webbplatsen yhteistuumin.fi?",
}

PRACTICES = [
    {"municipalities": "Espoo, Helsinki ja Vantaa", "title": "Kuntien välinen yhteistyö aluetyössä",
     "keywords": "kunnat, yhteistyö, vertaistuki", "target_group": ["Kunnan työntekijät"],
     "goal": "Lisätä kuntien välistä yhteistyötä ja kokemusten vaihtoa.",
     "summary": "Aluetyöntekijät tapaavat toisten kuntien työntekijöitä kerran vuodessa.\n"
                "Tapaamiset kiertävät kunnasta toiseen.",
     "implementation": "Järjestäjä valitsee teeman, varaa tilan ja lähettää kutsun.",
     "resources": f"Työaikaa ja tilavuokra, noin 2{NBSP}000 € vuodessa.",
     "experiences": "Tapaaminen koettiin tärkeäksi.", "benefits": "Vertaistukea ja uusia ideoita.",
     "contact_name": "Eija Koski", "contact_email": "eija.koski@espoo.example.fi",
     "contact_phone": "040 123 4567", "publish_consent": "Kyllä"},
    {"municipalities": "Rovaniemi", "title": "Kirjastoauto kylille",
     "keywords": "kirjasto; kylät; lukeminen", "target_group": ["Lapset", "Ikääntyneet"],
     "goal": "Tuoda kirjastopalvelut syrjäkylille.",
     "summary": "Kirjastoauto kiertää kylissä joka toinen viikko ja pysähtyy kouluilla.",
     "implementation": "Reitit suunnitellaan yhdessä kyläyhdistysten kanssa.",
     "resources": f"38{NBSP}000,00 € vuodessa", "experiences": "Lainaukset kasvoivat.",
     "benefits": "Lukeminen lisääntyi.", "contact_name": "Matti Virtanen",
     "contact_email": "matti.virtanen@rovaniemi.example.fi", "contact_phone": "+358 16 322 2463",
     "publish_consent": "Ei"},
    {"municipalities": "Turku", "title": "Taidetta terveysasemille",
     "keywords": "kuvataide, hyvinvointi", "target_group": ["Kaikki asukkaat", "Muu: potilaat"],
     "goal": "Tuoda taidetta arkeen.", "summary": "Paikalliset taiteilijat ripustavat teoksia "
                                                 "terveysasemien odotustiloihin.",
     "implementation": "Näyttelyt vaihtuvat neljästi vuodessa.", "resources": "Kuraattorin työaika.",
     "experiences": "Asiakkaat ovat kiitelleet.", "benefits": "Odottaminen on mukavampaa.",
     "contact_name": "Liisa Laine", "contact_email": "liisa.laine@turku.example.fi",
     "contact_phone": "02 262 7000", "publish_consent": "Kyllä"},
]
SV_PRACTICE = {
    "municipalities": "Korsholm", "title": "Kulturvänner för äldre",
    "keywords": "kultur, äldre, frivilliga", "target_group": ["Äldre"],
    "goal": "Att ge äldre möjlighet att delta i kulturevenemang tillsammans med en frivillig.",
    "summary": "Frivilliga kulturvänner följer med äldre på konserter och utställningar.",
    "implementation": "Kommunen utbildar kulturvännerna och förmedlar kontakterna.",
    "resources": "En koordinator på deltid.", "experiences": "Både äldre och frivilliga är nöjda.",
    "benefits": "Minskad ensamhet.", "contact_name": "Anna Berg",
    "contact_email": "anna.berg@korsholm.example.fi", "contact_phone": "06 327 7111",
    "publish_consent": "Ja"}


def write_xlsx(path: Path, sheets: list[tuple[str, list[list[object]]]], *,
               hidden: tuple[str, ...] = (), merges: dict[str, list[str]] | None = None) -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets:
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(row)
        if name in hidden:
            sheet.sheet_state = "hidden"
        for cells in (merges or {}).get(name, []):
            sheet.merge_cells(cells)
    workbook.save(path)
    _fix_zip_times(path)


def _fix_zip_times(path: Path) -> None:
    """Rewrite the zip with fixed timestamps and core properties so the bytes are reproducible."""
    import re

    data = {}
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            data[info.filename] = archive.read(info.filename)
    if "docProps/core.xml" in data:
        data["docProps/core.xml"] = re.sub(
            rb"<dcterms:(created|modified)([^>]*)>[^<]*</dcterms:\1>",
            rb"<dcterms:\1\2>2024-01-01T00:00:00Z</dcterms:\1>", data["docProps/core.xml"])
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in data.items():
            info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, content)


def answers_row(practice: dict, order: list[str], choice_sep: str, trailing: bool) -> list[object]:
    row = []
    for key in order:
        value = practice[key]
        if key == "target_group":
            value = choice_sep.join(value) + (choice_sep if trailing else "")
        row.append(value)
    return row


ORDER = list(FI_HEADERS)


def msforms() -> None:
    header = ["ID", "Start time", "Completion time", "Email", "Name", "Last modified time",
              *FI_HEADERS.values()]
    rows = [header]
    accounts = [("eija.koski@espoo.fi", "Koski Eija"), ("anonymous", ""),
                ("liisa.laine@turku.fi", "Laine Liisa")]
    for number, (practice, (email, name)) in enumerate(zip(PRACTICES, accounts, strict=True), 1):
        start = dt.datetime(2024, 3, 4 + number, 9, 15, 0)
        rows.append([number, start, start + dt.timedelta(minutes=25), email, name or None, None,
                     *answers_row(practice, ORDER, ";", True)])
    write_xlsx(HERE / "msforms.xlsx", [("Sheet1", rows)])
    # The same export re-saved by Excel on Finnish Windows: cp1252, ";" and Swedish headers.
    header = ["ID", "Starttid", "Sluttid", "E-post", "Namn", *SV_HEADERS.values()]
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    writer.writerow([7, "4.9.2023 10.02.11", "4.9.2023 10.31.40", "anna.berg@korsholm.fi",
                     "Berg Anna", *answers_row(SV_PRACTICE, ORDER, ";", True)])
    (HERE / "msforms-sv.csv").write_bytes(out.getvalue().encode("cp1252", errors="replace"))


def googleforms() -> None:
    header = ["Timestamp", "Email Address", *FI_HEADERS.values()]
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n")
    writer.writerow(header)
    for number, practice in enumerate(PRACTICES[1:], 1):
        writer.writerow([f"2022/11/3{number - 1} 10:39:4{number} PM GMT+1",
                         practice["contact_email"].replace(".example", ""),
                         *answers_row(practice, ORDER, ";", False)])
    (HERE / "googleforms.csv").write_text(out.getvalue(), encoding="utf-8")
    header = ["Aikaleima", "Sähköpostiosoite", *FI_HEADERS.values()]
    rows: list[list[object]] = [header]
    rows.append(["30.11.2022 klo 22.39.41", "eija.koski@espoo.fi",
                 *answers_row(PRACTICES[0], ORDER, ", ", False)])
    write_xlsx(HERE / "googleforms-sheet.xlsx", [("Lomakevastaukset 1", rows)])


def webropol() -> None:
    fields = ["municipalities", "title", "keywords", "goal", "summary", "implementation",
              "resources", "experiences", "benefits", "contact_name", "contact_email",
              "contact_phone", "publish_consent"]
    choices = ["Lapset", "Nuoret", "Ikääntyneet", "Kaikki asukkaat", "Kunnan työntekijät", "Muu, mikä?"]
    header: list[object] = ["Vastaajan tunnus", "Vastausaika"]
    options: list[object] = [None, None]
    number = 1
    for key in fields[:3]:
        header.append(f"{number}. {FI_HEADERS[key]}")
        options.append(None)
        number += 1
    header.append(f"{number}. {FI_HEADERS['target_group']}")
    header.extend([None] * (len(choices) - 1))
    options.extend(choices)
    number += 1
    for key in fields[3:]:
        header.append(f"{number}. {FI_HEADERS[key]}")
        options.append(None)
        number += 1
    rows: list[list[object]] = [["Kulttuuria yhteistuumin – hyvät käytännöt"],
                                ["Vastaajia: 2"], [], header, options]
    for respondent, practice in enumerate(PRACTICES[:2], start=101):
        row: list[object] = [respondent, f"1{respondent - 100}.3.2024 14:0{respondent - 100}"]
        row += [practice[k] for k in fields[:3]]
        row += [1 if choice in practice["target_group"] else None for choice in choices]
        row += [practice[k] for k in fields[3:]]
        rows.append(row)
    write_xlsx(HERE / "webropol.xlsx", [("Raakadata", rows)])


def limesurvey() -> None:
    codes = ["id", "submitdate", "lastpage", "startlanguage", "seed", "token", "startdate",
             "datestamp", "kunta", "nimi", "avainsanat", "kenelle[SQ001]", "kenelle[SQ002]",
             "kenelle[SQ003]", "kenelle[other]", "tavoite", "kuvaus", "toteutus", "resurssit",
             "kokemukset", "hyodyt", "yhtnimi", "yhtemail", "yhtpuh", "lupa"]
    p = PRACTICES[2]
    complete = ["11", "2024-03-05 10:00:01", "3", "fi", "12345", "tok-unknown-1",
                "2024-03-05 09:40:00", "2024-03-05 10:00:01", p["municipalities"], p["title"],
                p["keywords"], "", "", "", "potilaat", p["goal"], p["summary"],
                p["implementation"], p["resources"], p["experiences"], p["benefits"],
                p["contact_name"], p["contact_email"], p["contact_phone"], "Y"]
    complete[11] = "Y"  # children, to show the code mapping
    incomplete = ["12", "", "1", "fi", "999", "", "2024-03-06 08:00:00", "2024-03-06 08:03:00",
                  "Oulu", "Keskeneräinen käytäntö", "", "", "", "", "", "", "", "", "", "", "",
                  "", "", "", ""]
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow(codes)
    writer.writerow(complete)
    writer.writerow(incomplete)
    (HERE / "limesurvey-codes.csv").write_bytes(b"\xef\xbb\xbf" + out.getvalue().encode("utf-8"))
    # Full question texts, ";" and Yes/No, Swedish.
    texts = ["Response ID", "Date submitted", "Last page", "Start language", "Seed",
             "Date started", "Date last action", SV_HEADERS["municipalities"], SV_HEADERS["title"],
             SV_HEADERS["keywords"], f"{SV_HEADERS['target_group']} [Barn]",
             f"{SV_HEADERS['target_group']} [Äldre]", SV_HEADERS["goal"], SV_HEADERS["summary"],
             SV_HEADERS["implementation"], SV_HEADERS["contact_name"], SV_HEADERS["contact_email"],
             SV_HEADERS["publish_consent"]]
    s = SV_PRACTICE
    row = ["5", "2024-03-07 12:00:00", "3", "sv", "42", "2024-03-07 11:30:00",
           "2024-03-07 12:00:00", s["municipalities"], s["title"], s["keywords"], "No", "Yes",
           s["goal"], s["summary"], s["implementation"], s["contact_name"], s["contact_email"],
           "Yes"]
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow(texts)
    writer.writerow(row)
    (HERE / "limesurvey-texts.csv").write_bytes(b"\xef\xbb\xbf" + out.getvalue().encode("utf-8"))


def table() -> None:
    header = ["Nro", "1. Kunta", "2. Nimi", "3) Asiasanat", "4. Kohderyhmä", "5. Tavoitteet",
              "6. Lyhyt kuvaus", "7. Toteutus", "8. Kustannukset", "Palaute", "Hyöty",
              "Yhteyshenkilö", "S-posti", "Puh.", "Julkaisulupa", "Sisäinen huomio"]
    p = PRACTICES[1]
    rows = [header, [1, p["municipalities"], p["title"], p["keywords"], "lapsille ja vanhuksille",
                     p["goal"], p["summary"], p["implementation"], p["resources"],
                     p["experiences"], p["benefits"], p["contact_name"], p["contact_email"],
                     p["contact_phone"], "x", "tarkista"]]
    out = io.StringIO()
    csv.writer(out, delimiter="\t", lineterminator="\n").writerows(rows)
    (HERE / "table.tsv").write_text(out.getvalue(), encoding="utf-8")


def questionnaire_like() -> None:
    s = SV_PRACTICE
    rows: list[list[object]] = [["Goda praxis – Korsholm"], []]
    for key in ORDER:
        value = s[key]
        if key == "target_group":
            value = ", ".join(value)
        rows.append([SV_HEADERS[key], value])
    write_xlsx(HERE / "questionnaire-like.xlsx", [("Blad1", rows)])


def _questionnaire_sheets(practices: list[dict], *, token: str,
                          code: str) -> list[tuple[str, list[list[object]]]]:
    meta = [["survey_id", "kulttuuria-yhteistuumin-hyvat-kaytannot"], ["survey_version", 1],
            ["municipality_code", code], ["municipality_name", "Espoo"], ["token", token],
            ["language", "fi"], ["round_name", "2024"], ["generated_at", "2024-02-01T08:00:00+00:00"],
            ["layout_version", "1"]]
    sheets: list[tuple[str, list[list[object]]]] = [
        ("Ohjeet", [["Ohjeet"], ["Kirjoittakaa vastaukset sarakkeeseen B."]])]
    groups = [("children", "Lapset"), ("young_people", "Nuoret"), ("older_people", "Ikääntyneet"),
              ("families", "Perheet"), ("people_with_disabilities", "Vammaiset henkilöt"),
              ("immigrants", "Maahanmuuttajat"), ("all_residents", "Kaikki asukkaat"),
              ("municipal_staff", "Kunnan työntekijät")]
    for number, practice in enumerate(practices, start=1):
        rows: list[list[object]] = [[f"Hyvä käytäntö {number}", None, f"practice:{number}"],
                                    ["Kirjoita vastaukset valkoisiin soluihin sarakkeessa B."], []]
        for key in ORDER:
            required = " *" if key in {"municipalities", "title", "target_group", "goal",
                                       "summary", "publish_consent"} else ""
            if key == "target_group":
                rows.append([FI_HEADERS[key] + required, "Merkitse x sopiviin kohderyhmiin alla.",
                             "target_group"])
                chosen = practice.get(key) or []
                for choice_id, label in groups:
                    rows.append([f"    {label}", "x" if label in chosen else None,
                                 f"target_group:{choice_id}"])
                other = next((c[5:].strip() for c in chosen if c.startswith("Muu:")), None)
                rows.append(["    Muu, mikä?", other, "target_group:other"])
                continue
            rows.append([FI_HEADERS[key] + required, practice.get(key), key])
        sheets.append((f"Käytäntö {number}", rows))
    sheets.append(("_meta", meta))
    return sheets


def questionnaire() -> None:
    first = dict(PRACTICES[0])
    first["municipalities"] = "Espoo, Helsinki ja Vantaa"
    second = dict(PRACTICES[2], municipalities="Espoo", title="Taidetta kirjastoihin")
    sheets = _questionnaire_sheets([first, second, {}], token="tok-espoo-test", code="049")
    # People's edits: an added row under the summary, a note typed in column D, a copied sheet.
    name, rows = sheets[1]
    at = next(i for i, r in enumerate(rows) if r[2:3] == ["summary"])
    rows.insert(at + 1, [None, "Lisäksi järjestetään verkkotapaamisia."])
    at = next(i for i, r in enumerate(rows) if r[2:3] == ["benefits"])
    rows[at] = [*rows[at], "HUOM: hyödyt arvioitu 2023"]
    copy_rows = [list(r) for r in sheets[2][1]]
    copy_rows[next(i for i, r in enumerate(copy_rows) if r[2:3] == ["title"])][1] = \
        "Lukupiiri maahanmuuttajille"
    copy_rows[next(i for i, r in enumerate(copy_rows) if r[2:3] == ["goal"])][1] = \
        "Tukea suomen kielen oppimista lukemalla yhdessä."
    sheets.insert(3, ("Käytäntö 2 (2)", copy_rows))
    write_xlsx(HERE / "questionnaire.xlsx", sheets, hidden=("_meta",),
               merges={"Käytäntö 1": ["A2:B2"], "Käytäntö 2": ["B8:C8"]})
    # The same questionnaire re-saved by LibreOffice as .ods (one practice, Vantaa).
    vantaa = dict(PRACTICES[2], municipalities="Vantaa", title="Taidetta terveysasemille Vantaalla")
    write_ods(HERE / "questionnaire.ods", _questionnaire_sheets([vantaa], token="tok-vantaa-test",
                                                                code="092"), hidden=("_meta",))


def write_ods(path: Path, sheets: list[tuple[str, list[list[object]]]], *,
              hidden: tuple[str, ...] = ()) -> None:
    """Write a minimal OpenDocument spreadsheet (what LibreOffice's re-save gives, in essence)."""
    def cell(value: object) -> str:
        if value is None:
            return "<table:table-cell/>"
        if isinstance(value, int | float) and not isinstance(value, bool):
            return (f'<table:table-cell office:value-type="float" office:value="{value}">'
                    f"<text:p>{value}</text:p></table:table-cell>")
        lines = "".join(f"<text:p>{escape(line)}</text:p>" for line in str(value).split("\n"))
        return f'<table:table-cell office:value-type="string">{lines}</table:table-cell>'

    styles = ('<office:automatic-styles><style:style style:name="ta1" style:family="table">'
              '<style:table-properties table:display="true"/></style:style>'
              '<style:style style:name="ta2" style:family="table">'
              '<style:table-properties table:display="false"/></style:style>'
              "</office:automatic-styles>")
    tables = []
    for name, rows in sheets:
        style = "ta2" if name in hidden else "ta1"
        body = "".join("<table:table-row>" + "".join(cell(v) for v in row) + "</table:table-row>"
                       for row in rows)
        tables.append(f'<table:table table:name="{escape(name)}" table:style-name="{style}">'
                      f"{body}</table:table>")
    content = ('<?xml version="1.0" encoding="UTF-8"?>'
               '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
               'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" '
               'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
               'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" office:version="1.2">'
               f"{styles}<office:body><office:spreadsheet>{''.join(tables)}"
               "</office:spreadsheet></office:body></office:document-content>")
    manifest = ('<?xml version="1.0" encoding="UTF-8"?>'
                '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" '
                'manifest:version="1.2"><manifest:file-entry manifest:full-path="/" '
                'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
                '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
                "</manifest:manifest>")
    stamp = (2024, 1, 1, 0, 0, 0)
    with zipfile.ZipFile(path, "w") as archive:
        info = zipfile.ZipInfo("mimetype", date_time=stamp)
        archive.writestr(info, "application/vnd.oasis.opendocument.spreadsheet")
        for name, data in (("content.xml", content), ("META-INF/manifest.xml", manifest)):
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)


def _message(sender: str, subject: str, when: dt.datetime) -> EmailMessage:
    """A message to the survey's address from ``sender``, sent ``when``."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "kysely@yhteistuumin.example.fi"
    message["Subject"] = subject
    message["Date"] = format_datetime(when)
    return message


def emails() -> None:
    message = _message("Liisa Laine <liisa.laine@turku.fi>",
                       "Vs: Kulttuuria yhteistuumin -kysely",
                       dt.datetime(2024, 3, 8, 13, 5, tzinfo=dt.UTC))
    message["Message-ID"] = "<vastaus-1@turku.example.fi>"
    message.set_content(
        "Hei,\n\nliitteenä kyselyn vastaus. Yksi käytäntö vielä tässä:\n\n"
        "Käytännön nimi: Musiikkiluokka palvelutaloon\n"
        "Tavoite: Tuoda elävää musiikkia ikääntyneille.\n"
        "Kenelle: ikääntyneet\n\nTerveisin\nLiisa\n\n> Alkuperäinen viesti\n> Käytännön nimi: ...\n")
    message.add_attachment(_one_practice_csv(""), maintype="text", subtype="csv",
                           filename="../../../etc/vastaus.csv")
    message.set_boundary("==yhteistuumin-test-boundary==")
    (HERE / "mail-attachment-and-body.eml").write_bytes(bytes(message))
    write_msg(HERE / "mail-attachment-and-body.msg", message)
    plain = _message("kulttuuri@korsholm.fi", "Svar", dt.datetime(2024, 3, 9, 8, 0, tzinfo=dt.UTC))
    plain.set_content("Hej! Vi har tyvärr inga goda praxis att rapportera i år.\n")
    (HERE / "mail-body-only.eml").write_bytes(bytes(plain))


def _one_practice_csv(municipality: str) -> bytes:
    """A small answer table as a mail's attachment: one practice, its municipality named (or
    left empty: the sender tells it)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["Käytännön nimi", "Tavoite", "Pähkinänkuoressa", "Kenelle", "Kunta"])
    writer.writerow(["Taidetta terveysasemille", PRACTICES[2]["goal"], PRACTICES[2]["summary"],
                     "Kaikki asukkaat", municipality])
    return out.getvalue().encode("utf-8")


def write_msg(path: Path, message: EmailMessage) -> None:
    """Save a message as Outlook .msg with aspose-email-foss (MIT; a dev dependency: only this
    generator needs it, the project reads .msg with extract-msg)."""
    from email.utils import parseaddr

    from aspose.email_foss.msg import MapiMessage

    # Its conversion mangles non-ASCII text attachments, so they are added as bytes.
    bare = EmailMessage()
    for key, value in message.items():
        if key.lower() not in {"content-type", "mime-version", "content-transfer-encoding"}:
            bare[key] = value
    body = message.get_body(preferencelist=("plain",))
    bare.set_content(body.get_content() if body is not None else "")
    mapi = MapiMessage.from_email_message(bare)
    for part in message.iter_attachments():
        mapi.add_attachment(part.get_filename() or "attachment", part.get_payload(decode=True),
                            mime_type=part.get_content_type())
    address = parseaddr(str(message["From"]))[1]
    mapi.set_property(0x0C1F, 0x001F, address)  # PR_SENDER_EMAIL_ADDRESS (Unicode)
    mapi.set_property(0x5D01, 0x001F, address)  # PR_SENDER_SMTP_ADDRESS
    path.write_bytes(mapi.to_bytes())


def outlook_logo_msg() -> None:
    """An Outlook reply saved as .msg: an HTML text whose signature shows the sender's logo
    (an attachment Outlook hides, named by the text as cid:…) and the answer as a file."""
    from aspose.email_foss.msg import MapiMessage

    bare = _message("Liisa Laine <liisa.laine@turku.fi>", "VS: Kulttuuria yhteistuumin -kysely",
                    dt.datetime(2024, 3, 8, 13, 5, tzinfo=dt.UTC))
    bare.set_content("Hei,\n\nliitteenä vastauksemme.\n\nTerveisin\nLiisa Laine\n")
    mapi = MapiMessage.from_email_message(bare)
    mapi.body_html = ('<html><body><p>Hei,</p><p>liitteenä vastauksemme.</p><p>Terveisin<br>'
                      'Liisa Laine<br><img src="cid:image001.png@01DA7150.3C4D5E60" '
                      'alt="Turun kaupunki"></p></body></html>')
    logo = mapi.add_attachment("image001.png", b"\x89PNG\r\n\x1a\n" + bytes(56),
                               mime_type="image/png",
                               content_id="image001.png@01DA7150.3C4D5E60")
    logo.set_property(0x7FFE, 0x000B, True)  # PR_ATTACHMENT_HIDDEN, as Outlook marks it
    mapi.add_attachment("vastaus.csv", _one_practice_csv("Turku"), mime_type="text/csv")
    mapi.set_property(0x0C1F, 0x001F, "liisa.laine@turku.fi")  # PR_SENDER_EMAIL_ADDRESS
    mapi.set_property(0x5D01, 0x001F, "liisa.laine@turku.fi")  # PR_SENDER_SMTP_ADDRESS
    (HERE / "mail-outlook-logo.msg").write_bytes(mapi.to_bytes())


def broken() -> None:
    folder = HERE / "broken"
    folder.mkdir(exist_ok=True)
    (folder / "empty.xlsx").write_bytes(b"")
    (folder / "webpage.xlsx").write_text("<!DOCTYPE html><html><body><table><tr><td>Kunta</td>"
                                         "</tr></table></body></html>", encoding="utf-8")
    (folder / "scan.xlsx").write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n")
    good = (HERE / "msforms.xlsx").read_bytes()
    (folder / "truncated.xlsx").write_bytes(good[: len(good) // 2])
    # An encrypted workbook is an OLE compound file, whatever its name says.
    (folder / "encrypted.xlsx").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504)
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, data in (("[Content_Types].xml", b"<Types/>"),
                           ("xl/worksheets/sheet1.xml", b"\x00" * (24 * 1024 * 1024))):
            info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    (folder / "zipbomb.xlsx").write_bytes(bomb.getvalue())
    (folder / "notes.csv").write_text("Muistiinpanoja\nsoitto torstaina\nkahvia\n", encoding="utf-8")
    (folder / "garbage.csv").write_bytes(bytes(range(256)) * 4)


if __name__ == "__main__":
    msforms()
    googleforms()
    webropol()
    limesurvey()
    table()
    questionnaire_like()
    questionnaire()
    emails()
    outlook_logo_msg()
    broken()
    print(f"wrote {HERE}")
