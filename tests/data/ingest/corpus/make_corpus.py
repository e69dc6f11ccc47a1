"""Write the held-out ingest corpus (tests/data/ingest/corpus) and its expected records.

    .venv/bin/python tests/data/ingest/corpus/make_corpus.py

Each practice below is written down first as what the respondent MEANT (``expected``: the
municipality codes, the consent, the contact, the keywords as typed, the target groups, the
language, the card texts and the flags a reviewer must see), then rendered into the shape a
tool or a person produces (``typed``). The shapes follow public descriptions of the exports
(see tests/data/README.md); the expected values are written by hand, never computed by the
code under test. ``expected.json`` is what ``tests/test_ingest_corpus.py`` compares against.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import shutil
import subprocess
import tempfile
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent

# --- the practices, as meant --------------------------------------------------------------

GOAL_FI = "Tuoda taidetta arkeen kylissä, joissa ei ole omaa kulttuuritaloa."
SUMMARY_FI = ("Kirjastoauto kiertää kylissä ja vie mukanaan taiteilijan, joka pitää työpajan "
              "lapsille ja ikäihmisille. Käynnit sovitaan kyläyhdistysten kanssa.")
GOAL_SV = "Att föra ut konst till byarna och ge barnen en plats att skapa på."
SUMMARY_SV = ("Konstbussen besöker byarna varje vecka och en konstnär håller en verkstad för "
              "barn och äldre. Besöken planeras tillsammans med byaföreningarna.")


def practice(**fields: Any) -> dict[str, Any]:
    base = {"municipalities": [], "consent": "unknown", "contact_name": None, "contact_email": None,
            "contact_phone": None, "keywords": [], "target_group": [], "language": "fi",
            "title": "", "goal": None, "summary": None, "flags": [], "no_flags": []}
    base.update(fields)
    return base


def write_xlsx(path: Path, rows: list[list[Any]], sheet: str = "Sheet1") -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    worksheet = workbook.active
    worksheet.title = sheet
    for row in rows:
        worksheet.append(row)
    workbook.save(path)


def write_csv(path: Path, rows: list[list[Any]], *, delimiter: str = ",", encoding: str = "utf-8",
              quoting: int = csv.QUOTE_MINIMAL, newline: str = "\r\n") -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, quoting=quoting, lineterminator=newline)
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))


EXPECTED: dict[str, list[dict[str, Any]]] = {}


# --- Microsoft Forms, Finnish UI (Excel download) -------------------------------------------

def msforms_fi() -> None:
    name = "msforms-fi.xlsx"
    header = ["Tunnus", "Aloitusaika", "Valmistumisaika", "Sähköposti", "Nimi",
              "Viimeksi muokattu aika", "Kunta", "Käytännön nimi", "Avainsanat",
              "Kenelle käytäntö on suunnattu?", "Tavoite", "Hyvä käytäntö pähkinänkuoressa",
              "Yhteyshlö", "Lupa julkaista yhteystiedot"]
    start = dt.datetime(2026, 3, 2, 9, 15, 4)
    rows = [header,
            [1, start, start + dt.timedelta(minutes=14), "anonymous", "", "",
             "Hamina", "Kulttuurikaveri kyliin", "taiteen perusopetus, Kylät; vapaaehtoiset",
             "Lapset;Ikääntyneet;", GOAL_FI, SUMMARY_FI,
             "Maija Meikäläinen, maija.meikalainen@hamina.fi, 040 123 4567",
             "Annan luvan julkaista yhteystietoni verkkosivuilla;"],
            [2, start + dt.timedelta(days=1), start + dt.timedelta(days=1, minutes=9), "anonymous",
             "", "", "Kotka", "Satujen lauantai", "lukeminen, Kirjasto",
             "Perheet;", "Lukemisen ilo koko perheelle.",
             "Kirjastossa luetaan satuja lauantaisin ja lapset piirtävät niistä kuvia.",
             "Pekka Puupää, pekka.puupaa@kotka.fi", ""]]
    write_xlsx(HERE / name, rows, "Sheet1")
    EXPECTED[name] = [
        practice(title="Kulttuurikaveri kyliin", municipalities=["075"], consent="yes",
                 contact_name="Maija Meikäläinen", contact_email="maija.meikalainen@hamina.fi",
                 contact_phone="+358 40 1234567",
                 keywords=["taiteen perusopetus", "kylät", "vapaaehtoiset"],
                 target_group=["children", "older_people"], goal=GOAL_FI, summary=SUMMARY_FI),
        practice(title="Satujen lauantai", municipalities=["285"], consent="unknown",
                 contact_name="Pekka Puupää", contact_email="pekka.puupaa@kotka.fi",
                 keywords=["lukeminen", "kirjasto"], target_group=["families"],
                 goal="Lukemisen ilo koko perheelle.",
                 summary="Kirjastossa luetaan satuja lauantaisin ja lapset piirtävät niistä kuvia.",
                 flags=["consent-unknown"], no_flags=["no-consent"]),
    ]


# --- Microsoft Forms, English UI -----------------------------------------------------------

def msforms_en() -> None:
    name = "msforms-en.xlsx"
    header = ["ID", "Start time", "Completion time", "Email", "Name", "Last modified time",
              "Municipality", "Name of the practice", "Keywords", "Who is it for?", "Goal",
              "In a nutshell", "Contact person", "Contact e-mail", "Contact phone",
              "May we publish the contact details?"]
    start = dt.datetime(2026, 3, 4, 13, 0, 0)
    rows = [header,
            [1, start, start + dt.timedelta(minutes=20), "liisa.laine@lahti.fi", "Liisa Laine", "",
             "Lahti", "Tanssitaan yhdessä", "tanssi; ikäihmiset", "Ikääntyneet;",
             "Liikettä ja iloa palvelutaloihin.",
             "Tanssijat käyvät palvelutaloissa kerran kuussa ja tanssivat asukkaiden kanssa.",
             "Liisa Laine", "liisa.laine@lahti.fi", "044 765 4321",
             "I agree that my contact details are published on the website;"],
            [2, start + dt.timedelta(hours=2), start + dt.timedelta(hours=2, minutes=5),
             "anonymous", "", "", "Lahti", "Kuorokummit", "musiikki", "Nuoret;",
             "Nuoret laulamaan.", "Kuorolaiset kummeina nuorille laulajille kaupungin kuoroissa.",
             "Jussi Jokinen", "jussi.jokinen@lahti.fi", "", "I do not consent"]]
    write_xlsx(HERE / name, rows, "Sheet1")
    EXPECTED[name] = [
        practice(title="Tanssitaan yhdessä", municipalities=["398"], consent="yes",
                 contact_name="Liisa Laine", contact_email="liisa.laine@lahti.fi",
                 contact_phone="+358 44 7654321", keywords=["tanssi", "ikäihmiset"],
                 target_group=["older_people"], goal="Liikettä ja iloa palvelutaloihin.",
                 summary="Tanssijat käyvät palvelutaloissa kerran kuussa ja tanssivat asukkaiden "
                         "kanssa."),
        practice(title="Kuorokummit", municipalities=["398"], consent="no",
                 contact_name="Jussi Jokinen", contact_email="jussi.jokinen@lahti.fi",
                 keywords=["musiikki"], target_group=["young_people"], goal="Nuoret laulamaan.",
                 summary="Kuorolaiset kummeina nuorille laulajille kaupungin kuoroissa.",
                 flags=["no-consent"]),
    ]


# --- Microsoft Forms, Swedish UI -----------------------------------------------------------

def msforms_sv() -> None:
    name = "msforms-sv.xlsx"
    header = ["ID", "Starttid", "Slutförandetid", "E-post", "Namn", "Kommun", "Praxisens namn",
              "Nyckelord", "För vem?", "Mål", "Den goda praxisen i ett nötskal", "Kontaktperson",
              "Kontaktpersonens e-post", "Tillstånd att publicera kontaktuppgifter"]
    start = dt.datetime(2026, 3, 5, 10, 30, 0)
    rows = [header,
            [1, start, start + dt.timedelta(minutes=12), "anonymous", "", "Korsholm", "Konstbussen",
             "byar, daghem", "Barn;Äldre;", GOAL_SV, SUMMARY_SV, "Anna Andersson",
             "anna.andersson@korsholm.fi",
             "Jag ger tillstånd att publicera mina kontaktuppgifter;"],
            [2, start + dt.timedelta(hours=1), start + dt.timedelta(hours=1, minutes=7), "anonymous",
             "", "Närpes", "Frivilliga läsombud", "frivilliga, läsning", "Äldre;",
             "Läsglädje för dem som inte själva kommer till biblioteket.",
             "Frivilliga läsombud läser högt på äldreboenden varje vecka.", "Erik Ek",
             "erik.ek@narpes.fi", "Jag ger inte tillstånd"]]
    write_xlsx(HERE / name, rows, "Sheet1")
    EXPECTED[name] = [
        practice(title="Konstbussen", municipalities=["499"], consent="yes", language="sv",
                 contact_name="Anna Andersson", contact_email="anna.andersson@korsholm.fi",
                 keywords=["byar", "daghem"], target_group=["children", "older_people"],
                 goal=GOAL_SV, summary=SUMMARY_SV),
        practice(title="Frivilliga läsombud", municipalities=["545"], consent="no", language="sv",
                 contact_name="Erik Ek", contact_email="erik.ek@narpes.fi",
                 keywords=["frivilliga", "läsning"], target_group=["older_people"],
                 goal="Läsglädje för dem som inte själva kommer till biblioteket.",
                 summary="Frivilliga läsombud läser högt på äldreboenden varje vecka.",
                 flags=["no-consent"]),
    ]


# --- Google Forms CSV download, Finnish and Swedish UIs; the Sheet as .xlsx -----------------

def googleforms() -> None:
    name = "googleforms-fi.csv"
    header = ["Aikaleima", "Sähköpostiosoite", "Kunta", "Käytännön nimi", "Avainsanat",
              "Kenelle käytäntö on suunnattu?", "Tavoite", "Hyvä käytäntö pähkinänkuoressa",
              "Yhteyshenkilo", "Yhteyshenkilön sähköposti", "Puhelin", "Julkaisulupa"]
    rows = [header,
            ["5.3.2026 14.15.01", "vastaaja@gmail.com", "Joensuu", "Kuorolaulua palvelutaloissa",
             "musiikki, vanhuspalvelut", "Ikääntyneet", "Laulu tuo iloa arkeen.",
             "Kuoro laulaa palvelutaloissa kerran kuussa.", "Liisa Laulaja",
             "liisa.laulaja@joensuu.fi", "050 111 2222", "Kyllä, yhteystietoni saa julkaista"],
            ["6.3.2026 9.02.44", "toinen@gmail.com", "Kuopio", "Kirjastokaveri",
             "kirjasto, Vapaaehtoiset", "Ikääntyneet, Maahanmuuttajat",
             "Kirjasto tutuksi kaikille.", "Vapaaehtoinen kaveri tulee mukaan kirjastoon.",
             "Kalle Kaveri", "kalle.kaveri@kuopio.fi", "", "En anna lupaa julkaista yhteystietojani"]]
    write_csv(HERE / name, rows, quoting=csv.QUOTE_ALL)
    EXPECTED[name] = [
        practice(title="Kuorolaulua palvelutaloissa", municipalities=["167"], consent="yes",
                 contact_name="Liisa Laulaja", contact_email="liisa.laulaja@joensuu.fi",
                 contact_phone="+358 50 1112222", keywords=["musiikki", "vanhuspalvelut"],
                 target_group=["older_people"], goal="Laulu tuo iloa arkeen.",
                 summary="Kuoro laulaa palvelutaloissa kerran kuussa."),
        practice(title="Kirjastokaveri", municipalities=["297"], consent="no",
                 contact_name="Kalle Kaveri", contact_email="kalle.kaveri@kuopio.fi",
                 keywords=["kirjasto", "vapaaehtoiset"], target_group=["older_people", "immigrants"],
                 goal="Kirjasto tutuksi kaikille.",
                 summary="Vapaaehtoinen kaveri tulee mukaan kirjastoon.", flags=["no-consent"]),
    ]

    name = "googleforms-sv.csv"
    header = ["Tidstämpel", "Kommun", "Praxisens namn", "Nyckelord", "För vem", "Mål",
              "I ett nötskal", "Kontakt", "Får kontaktuppgifterna publiceras?"]
    rows = [header,
            ["2026/03/07 11:20:05 AM GMT+2", "Pargas", "Skärgårdsteater", "teater, skärgård",
             "Barn, Unga", "Teater till holmarna.",
             "En teatergrupp åker båt till skärgårdsbyarna och spelar för barn och unga.",
             "Sara Strand, sara.strand@pargas.fi, 040 555 6666", "Ja"]]
    write_csv(HERE / name, rows, quoting=csv.QUOTE_ALL)
    EXPECTED[name] = [
        practice(title="Skärgårdsteater", municipalities=["445"], consent="yes", language="sv",
                 contact_name="Sara Strand", contact_email="sara.strand@pargas.fi",
                 contact_phone="+358 40 5556666", keywords=["teater", "skärgård"],
                 target_group=["children", "young_people"], goal="Teater till holmarna.",
                 summary="En teatergrupp åker båt till skärgårdsbyarna och spelar för barn och "
                         "unga."),
    ]

    name = "googleforms-sheet.xlsx"
    header = ["Timestamp", "Email Address", "Municipality", "Title", "Keywords", "Target group",
              "Goal", "Summary", "Contact person", "Contact email", "Consent"]
    rows = [header,
            [dt.datetime(2026, 3, 8, 16, 45, 12), "", "Oulu", "Taidetta terveysasemille",
             "kuvataide, terveyden edistäminen", "Kaikki asukkaat",
             "Odotusaika kuluu taiteen parissa.",
             "Terveysasemien odotustiloihin tuodaan vaihtuvia taidenäyttelyitä.",
             "Olli Oulunen", "olli.oulunen@ouka.fi", "Yes"]]
    write_xlsx(HERE / name, rows, "Form Responses 1")
    EXPECTED[name] = [
        practice(title="Taidetta terveysasemille", municipalities=["564"], consent="yes",
                 contact_name="Olli Oulunen", contact_email="olli.oulunen@ouka.fi",
                 keywords=["kuvataide", "terveyden edistäminen"], target_group=["all_residents"],
                 goal="Odotusaika kuluu taiteen parissa.",
                 summary="Terveysasemien odotustiloihin tuodaan vaihtuvia taidenäyttelyitä."),
    ]


# --- Webropol: title rows, two-row header with one column per choice ------------------------

def webropol() -> None:
    name = "webropol.xlsx"
    rows: list[list[Any]] = [
        ["Hyvät käytännöt 2026"], ["Vastaajat: 2"], [],
        ["Vastaaja", "Vastausaika", "Kunta", "Käytännön nimi", "Avainsanat",
         "Kenelle käytäntö on suunnattu?", "", "", "Tavoite", "Pähkinänkuoressa", "Yht.henkilö",
         "Julkaisulupa"],
        ["", "", "", "", "", "Lapset", "Nuoret", "Ikääntyneet", "", "", "", ""],
        [1, "09.03.2026 10:11:12", "Rovaniemi", "Revontulikonsertti",
         "musiikki; kulttuurikasvatus", 1, 1, 0, "Konsertti jokaiselle koululaiselle.",
         "Koululaiset kuulevat vuosittain orkesterikonsertin konserttitalossa.",
         "Riikka Rova, riikka.rova@rovaniemi.fi", "Kyllä"],
        [2, "10.03.2026 08:00:00", "Sodankylä", "Elokuvakerho", "elokuvat", 0, 1, 0,
         "Nuoret tekemään elokuvia.", "Nuoret kuvaavat ja leikkaavat lyhytelokuvia kerhossa.",
         "Seppo Sodan, seppo@sodankyla.fi", "Ei"],
    ]
    write_xlsx(HERE / name, rows, "Raportti")
    EXPECTED[name] = [
        practice(title="Revontulikonsertti", municipalities=["698"], consent="yes",
                 contact_name="Riikka Rova", contact_email="riikka.rova@rovaniemi.fi",
                 keywords=["musiikki", "kulttuurikasvatus"],
                 target_group=["children", "young_people"],
                 goal="Konsertti jokaiselle koululaiselle.",
                 summary="Koululaiset kuulevat vuosittain orkesterikonsertin konserttitalossa."),
        practice(title="Elokuvakerho", municipalities=["758"], consent="no",
                 contact_name="Seppo Sodan", contact_email="seppo@sodankyla.fi",
                 keywords=["elokuvat"], target_group=["young_people"],
                 goal="Nuoret tekemään elokuvia.",
                 summary="Nuoret kuvaavat ja leikkaavat lyhytelokuvia kerhossa.",
                 flags=["no-consent"]),
    ]


# --- Excel CSV saved on Finnish Windows (cp1252, ";") and a Mac UTF-16 text export ----------

def excel_csvs() -> None:
    name = "excel-fi-windows.csv"
    rows = [["Kunta", "Käytännön nimi", "Avainsanat", "Kohderyhmä", "Tavoite", "Pähkinänkuoressa",
             "Yhteyshenkilö", "Sähköposti", "Puhelin", "Julkaisulupa"],
            ["Järvenpää", "Lähiökonsertit", "musiikki, lähiötyö", "Kaikki asukkaat",
             "Musiikki kotipihoille.", "Kesäisin pihoilla soitetaan pieniä konsertteja.",
             "Jaana Järvi", "jaana.jarvi@jarvenpaa.fi", "09 2719 2000", "x"],
            ["Järvenpää", "Museokoulu", "museo; koululaiset", "Lapset",
             "Museo oppimisympäristöksi.", "Koululuokat viettävät museossa kokonaisen päivän.",
             "Jaana Järvi", "jaana.jarvi@jarvenpaa.fi", "", ""]]
    write_csv(HERE / name, rows, delimiter=";", encoding="cp1252")
    EXPECTED[name] = [
        practice(title="Lähiökonsertit", municipalities=["186"], consent="yes",
                 contact_name="Jaana Järvi", contact_email="jaana.jarvi@jarvenpaa.fi",
                 contact_phone="+358 9 27192000", keywords=["musiikki", "lähiötyö"],
                 target_group=["all_residents"], goal="Musiikki kotipihoille.",
                 summary="Kesäisin pihoilla soitetaan pieniä konsertteja."),
        practice(title="Museokoulu", municipalities=["186"], consent="unknown",
                 contact_name="Jaana Järvi", contact_email="jaana.jarvi@jarvenpaa.fi",
                 keywords=["museo", "koululaiset"], target_group=["children"],
                 goal="Museo oppimisympäristöksi.",
                 summary="Koululuokat viettävät museossa kokonaisen päivän.",
                 flags=["consent-unknown"], no_flags=["no-consent"]),
    ]

    name = "mac-utf16.txt"
    rows = [["Municipality", "Title", "Keywords", "Target group", "Goal", "Summary", "Contact",
             "Consent"],
            ["Porvoo", "Vanhan kaupungin tarinat", "kulttuuriperintö, kaksikielisyys",
             "Perheet", "Kotiseudun historia tutuksi.",
             "Oppaat kertovat vanhan kaupungin tarinoita kahdella kielellä.",
             "Paula Porvoo, paula.porvoo@porvoo.fi", "TRUE"]]
    buffer = io.StringIO()
    csv.writer(buffer, delimiter="\t", lineterminator="\r").writerows(rows)
    (HERE / name).write_bytes(buffer.getvalue().encode("utf-16"))
    EXPECTED[name] = [
        practice(title="Vanhan kaupungin tarinat", municipalities=["638"], consent="yes",
                 contact_name="Paula Porvoo", contact_email="paula.porvoo@porvoo.fi",
                 keywords=["kulttuuriperintö", "kaksikielisyys"], target_group=["families"],
                 goal="Kotiseudun historia tutuksi.",
                 summary="Oppaat kertovat vanhan kaupungin tarinoita kahdella kielellä."),
    ]

    # A table whose target group column holds the form's codes, not its texts.
    name = "table-codes.csv"
    rows = [["Kunta", "Käytännön nimi", "Kohderyhmä", "Tavoite", "Pähkinänkuoressa"],
            ["Vaasa", "Koodattu käytäntö", "SQ001;SQ004", "Tavoite tässä.", "Kuvaus tässä."]]
    write_csv(HERE / name, rows, delimiter=";")
    EXPECTED[name] = [
        practice(title="Koodattu käytäntö", municipalities=["905"], target_group=[],
                 goal="Tavoite tässä.", summary="Kuvaus tässä.", flags=["unsure:target_group:"]),
    ]


# --- A table of 1,500 responses whose every goal reads "Tavoite." ---------------------------

def long_table() -> None:
    name = "table-1500.csv"
    rows = [["Kunta", "Käytännön nimi", "Avainsanat", "Tavoite", "Hyvä käytäntö pähkinänkuoressa"]]
    for number in range(1, 1501):
        rows.append(["Espoo", f"Käytäntö numero {number}", "kulttuuri", "Tavoite.",
                     f"Kuvaus käytännöstä numero {number}."])
    write_csv(HERE / name, rows, delimiter=";")
    # One record per row: written once with "{n}" for the row's number (check_corpus expands it).
    EXPECTED[name] = [{"template": practice(
        title="Käytäntö numero {n}", municipalities=["049"], keywords=["kulttuuri"],
        goal="Tavoite.", summary="Kuvaus käytännöstä numero {n}."), "count": 1500}]


# --- Our questionnaire laid out by hand; re-saved as .ods; carried by an email ---------------

HAND_ROWS = [
    ["Kulttuuria yhteistuumin – hyvät käytännöt"],
    ["Kyselyn versio", 1],
    ["Kuntakoodi", 75],
    ["Vastaustunniste", "kasin-kirjoitettu-7f3a"],
    [],
    ["Kunta tai kunnat", "Haminan kaupunki"],
    ["Käytännön nimi", "Linnoituksen kesäteatteri"],
    ["Avainsanat", "teatteri, kulttuuriperintö"],
    ["Kenelle", "Kaikki asukkaat"],
    ["Tavoite", "Teatteria historiallisessa ympäristössä."],
    ["Hyvä käytäntö pähkinänkuoressa", "Harrastajateatteri esittää kesäisin näytelmän linnoituksessa."],
    ["Yhteyshenkilö", "Heikki Hamina"],
    ["Sähköposti", "heikki.hamina@hamina.fi"],
    ["Puhelin", "040 987 6543"],
    ["Saako yhteystiedot julkaista?", "Kyllä"],
]
HAND_EXPECTED = practice(title="Linnoituksen kesäteatteri", municipalities=["075"], consent="yes",
                         contact_name="Heikki Hamina", contact_email="heikki.hamina@hamina.fi",
                         contact_phone="+358 40 9876543",
                         keywords=["teatteri", "kulttuuriperintö"], target_group=["all_residents"],
                         goal="Teatteria historiallisessa ympäristössä.",
                         summary="Harrastajateatteri esittää kesäisin näytelmän linnoituksessa.",
                         source="metadata")

HAND_SV_ROWS = [
    ["Kulturen tillsammans – goda praxis"],
    ["Enkätversion", "1"],
    ["Kommunkod", "499"],
    [],
    ["Kommun", "Korsholm"],
    ["Praxisens namn", "Sagostund på svenska"],
    ["Nyckelord", "litteratur, barn"],
    ["För vem", "Barn"],
    ["Mål", "Läslust hos de minsta."],
    ["I ett nötskal", "Biblioteket ordnar sagostunder på lördagar för barn och föräldrar."],
    ["Kontaktperson", "Karin Korsholm"],
    ["E-post", "karin.korsholm@korsholm.fi"],
    ["Tillstånd att publicera kontaktuppgifter", "Nej"],
]


def questionnaires() -> None:
    name = "questionnaire-by-hand.xlsx"
    write_xlsx(HERE / name, HAND_ROWS, "Vastaus")
    EXPECTED[name] = [HAND_EXPECTED]

    # The Swedish one, written by LibreOffice Calc as .ods (a re-save of an .xlsx).
    name = "questionnaire-by-hand-sv.ods"
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "questionnaire-by-hand-sv.xlsx"
        write_xlsx(source, HAND_SV_ROWS, "Svar")
        subprocess.run(["soffice", "--headless", "--convert-to", "ods", "--outdir", tmp,
                        str(source)], check=True, capture_output=True, timeout=120)
        shutil.copy(Path(tmp) / name, HERE / name)
    EXPECTED[name] = [
        practice(title="Sagostund på svenska", municipalities=["499"], consent="no", language="sv",
                 contact_name="Karin Korsholm", contact_email="karin.korsholm@korsholm.fi",
                 keywords=["litteratur", "barn"], target_group=["children"],
                 goal="Läslust hos de minsta.",
                 summary="Biblioteket ordnar sagostunder på lördagar för barn och föräldrar.",
                 flags=["no-consent"], source="metadata")]

    # No code, no municipality in the answer: the sender's domain (hamina.fi) decides.
    name = "reply-from-hamina.eml"
    attachment = "vastaus-hamina.xlsx"
    rows = [row for row in HAND_ROWS if not row or row[0] not in {
        "Kuntakoodi", "Vastaustunniste", "Kunta tai kunnat"}]
    rows = [["Käytännön nimi", "Vallikävely"] if row and row[0] == "Käytännön nimi" else row
            for row in rows]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / attachment
        write_xlsx(path, rows, "Vastaus")
        data = path.read_bytes()
    message = EmailMessage()
    message["From"] = "Heikki Hamina <heikki.hamina@hamina.fi>"
    message["To"] = "kysely@yhteistuumin.fi"
    message["Subject"] = "VS: Kulttuuria yhteistuumin – kysely hyvistä käytännöistä"
    message["Date"] = format_datetime(dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC))
    message.set_content("Hei,\n\nliitteenä Haminan vastaus.\n\nTerveisin\nHeikki\n")
    message.add_attachment(data, maintype="application",
                           subtype="vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                           filename=attachment)
    (HERE / name).write_bytes(bytes(message))
    EXPECTED[attachment] = [dict(HAND_EXPECTED, title="Vallikävely", source="sender-domain")]


# --- Second round: headings and answers the code was not tuned on ---------------------------

def second_round() -> None:
    name = "msforms-fi-own-wording.xlsx"
    header = ["Tunnus", "Aloitusaika", "Valmistumisaika", "Sähköposti", "Nimi", "Kunnan nimi",
              "Hyvän käytännön nimi", "Avainsanoja",
              "Kenelle käytäntö on suunnattu? (valitse kaikki sopivat)", "Tavoitteet", "Kuvaus",
              "Yhteyshenkilö (nimi, sähköposti, puhelin)", "Julkaisulupa yhteystiedoille"]
    start = dt.datetime(2026, 3, 11, 8, 0, 0)
    rows = [header,
            [1, start, start + dt.timedelta(minutes=30), "anonymous", "", "Kotkan kaupunki",
             "Satamakonsertit", "#kulttuuri #musiikki", "Kaikki asukkaat;Perheet;",
             "Tuoda musiikki satamaan.", "Kesän torstaisin satamassa soittaa paikallinen bändi.",
             "Tiina Tahvanainen / tiina.tahvanainen@kotka.fi / 040 222 3333",
             "Kyllä, yhteystietoni saa julkaista verkkosivuilla;"],
            [2, start + dt.timedelta(hours=3), start + dt.timedelta(hours=3, minutes=10),
             "anonymous", "", "Kotka", "Kirjastoauton tarinatuokiot", "lapset, lukeminen",
             "Lapset;", "Lukuintoa pienille.",
             "Kirjastoauto pysähtyy päiväkotien pihoille ja lukee tarinoita.",
             "Timo Tarina, timo.tarina@kotka.fi", "Kyllä, mutta vain sähköposti"]]
    write_xlsx(HERE / name, rows, "Sheet1")
    EXPECTED[name] = [
        practice(title="Satamakonsertit", municipalities=["285"], consent="yes",
                 contact_name="Tiina Tahvanainen", contact_email="tiina.tahvanainen@kotka.fi",
                 contact_phone="+358 40 2223333", keywords=["kulttuuri", "musiikki"],
                 target_group=["all_residents", "families"], goal="Tuoda musiikki satamaan.",
                 summary="Kesän torstaisin satamassa soittaa paikallinen bändi.",
                 flags=["unsure:keywords:"]),
        practice(title="Kirjastoauton tarinatuokiot", municipalities=["285"], consent="unknown",
                 contact_name="Timo Tarina", contact_email="timo.tarina@kotka.fi",
                 keywords=["lapset", "lukeminen"], target_group=["children"],
                 goal="Lukuintoa pienille.",
                 summary="Kirjastoauto pysähtyy päiväkotien pihoille ja lukee tarinoita.",
                 flags=["unsure:keywords:", "unsure:publish_consent:"], no_flags=["no-consent"]),
    ]

    name = "googleforms-en-answers.csv"
    header = ["Timestamp", "Municipality", "Name of the practice", "Keywords", "Target group",
              "Goal", "Summary", "Contact person", "Contact email", "Phone",
              "May we publish the contact details?"]
    rows = [header,
            ["2026/03/12 3:04:05 PM GMT+2", "Espoo", "Culture buddies",
             "volunteers; cultural services", "Immigrants",
             "To help newcomers find the city's culture services.",
             "Volunteers take newcomers to concerts, museums and libraries in their own language.",
             "Emma Espoo", "emma.espoo@espoo.fi", "+358 9 81621", "Yes"]]
    write_csv(HERE / name, rows, quoting=csv.QUOTE_ALL)
    EXPECTED[name] = [
        practice(title="Culture buddies", municipalities=["049"], consent="yes",
                 contact_name="Emma Espoo", contact_email="emma.espoo@espoo.fi",
                 contact_phone="+358 9 81621", keywords=["volunteers", "cultural services"],
                 target_group=["immigrants"],
                 goal="To help newcomers find the city's culture services.",
                 summary="Volunteers take newcomers to concerts, museums and libraries in their "
                         "own language.",
                 flags=["unsure:language:"]),
    ]


def main() -> None:
    msforms_fi()
    msforms_en()
    msforms_sv()
    googleforms()
    webropol()
    excel_csvs()
    long_table()
    questionnaires()
    second_round()
    (HERE / "expected.json").write_text(json.dumps(EXPECTED, ensure_ascii=False, indent=1) + "\n",
                                        encoding="utf-8")


if __name__ == "__main__":
    main()
