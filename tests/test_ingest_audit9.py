"""A ninth pass at the answers, on material no test here wrote before: answers that arrive by
mail and from survey tools, and answers spread in ways a form does not expect, ingested into a
real database and read back.

Nothing a municipality sent may be silently lost, guessed or changed; what is unsure is
flagged.
"""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

import pytest
from ingest_support import (
    DATA,
    office_copy,
    only_version,
    practices,
    practices_by_title,
    questionnaire_copy,
    report_rows,
    report_said,
    run_ingest,
    set_answer,
)
from sqlmodel import Session

# --- 1. a contact card (vCard) or a signature's picture attached to a mail -------------------

_VCARD = ("BEGIN:VCARD\r\nVERSION:2.1\r\nN:Virtanen;Matti\r\nFN:Matti Virtanen\r\n"
          "EMAIL;INTERNET:matti.virtanen@pori.fi\r\nTEL;CELL:+358 44 701 0000\r\nEND:VCARD\r\n")
_XLSX = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def _mail(folder: Path, name: str, text: str, attachments: list[tuple[bytes, str, str, str]],
          sender: str = "Matti Virtanen <matti.virtanen@pori.fi>") -> Path:
    """A message as Thunderbird sends it: its text, then the files (bytes, type, subtype,
    name)."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "kysely@yhteistuumin.fi"
    message["Subject"] = "Re: Kulttuuria yhteistuumin – kysely hyvistä käytännöistä"
    message["Date"] = "Mon, 07 Dec 2026 09:00:00 +0200"
    message["Message-ID"] = f"<{name}@pori.fi>"
    message.set_content(text)
    for data, maintype, subtype, filename in attachments:
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(message.as_bytes())
    return path


def test_an_answer_in_the_text_of_a_mail_with_a_vcard_attached_is_left_to_read(
        sqlite_engine, workspace, tmp_path):
    text = ("Hei,\n\nmeillä Porissa hyvä käytäntö on kirjastoauto, joka kiertää syrjäkylissä "
            "joka toinen viikko ja pysähtyy kouluilla.\n\nTerveisin\nMatti Virtanen\n")
    path = _mail(tmp_path / "in", "vastaus.eml", text,
                 [(_VCARD.encode(), "text", "x-vcard", "matti_virtanen.vcf")])

    result = run_ingest([path], engine=sqlite_engine, workspace=workspace)

    # The card has no answer to type from: a note, not an error telling to do so.
    rows = {row["file"].rpartition("/")[2]: row for row in result.rows()}
    card = rows["vastaus.eml » matti_virtanen.vcf"]
    assert card["outcome"] == "note", card
    assert "a contact card, not an answer" in card["reason"]
    assert result.failed == 0
    # The text is the answer there is: a person reads it, it is not lost behind the card.
    message = rows["vastaus.eml"]
    assert message["outcome"] == "to-read", rows
    assert "only pictures or contact cards" in message["reason"]
    from yhteistuumin_survey.ingest.store import list_to_read

    with Session(sqlite_engine) as session:
        (listed,) = list_to_read(session=session)
    assert "kirjastoauto, joka kiertää syrjäkylissä" in listed["text"]
    said = report_said(result)  # a Finnish round's report says it in Finnish
    assert "/in/vastaus.eml » matti_virtanen.vcf: käyntikortti, ei vastaus; sitä ei " \
        "lueta. Kopio on tallennettu: outputs/received/" in said["vastaus.eml » matti_virtanen.vcf"]
    assert said["vastaus.eml"].startswith("Viestin liitteinä on vain kuvia tai käyntikortteja")


def test_a_questionnaire_mailed_with_a_vcard_and_a_logo_is_read_and_the_text_not_listed(
        sqlite_engine, workspace, tmp_path):
    logo = b"\x89PNG\r\n\x1a\n" + bytes(64)
    path = _mail(tmp_path / "in", "vastaus.eml", "Liitteenä vastauksemme.\n\nMatti",
                 [(logo, "image", "png", "image001.png"),
                  (_VCARD.encode(), "text", "x-vcard", "Matti Virtanen.vcf"),
                  ((DATA / "questionnaire.xlsx").read_bytes(), *_XLSX, "vastaus.xlsx")])

    result = run_ingest([path], engine=sqlite_engine, workspace=workspace)

    assert {p["title"] for p in practices(sqlite_engine)} == {
        "Kuntien välinen yhteistyö aluetyössä", "Taidetta kirjastoihin",
        "Lukupiiri maahanmuuttajille"}
    outcomes = {row["file"].rpartition("/")[2]: row for row in result.rows()}
    assert outcomes["vastaus.eml » Matti Virtanen.vcf"]["outcome"] == "note"
    # The logo beside the questionnaire: said, not an error to "type its answers" from.
    logo = outcomes["vastaus.eml » image001.png"]
    assert logo["outcome"] == "note", logo
    assert "a picture beside the answer (the signature's logo?), not read" in logo["reason"]
    assert result.failed == 0
    assert "vastaus.eml" not in outcomes  # "Liitteenä vastauksemme." is no message to read


def test_a_picture_mailed_alone_is_still_for_a_person_to_read_with_the_text(
        sqlite_engine, workspace, tmp_path):
    # A photo of the filled paper questionnaire: a person types its answers in.
    photo = b"\xff\xd8\xff\xe0" + bytes(64)
    path = _mail(tmp_path / "in", "kuva.eml", "Hei, kuva täytetystä lomakkeesta.\n\nMatti",
                 [(photo, "image", "jpeg", "IMG_2041.jpg")])

    result = run_ingest([path], engine=sqlite_engine, workspace=workspace)

    outcomes = {row["file"].rpartition("/")[2]: row["outcome"] for row in result.rows()}
    assert outcomes == {"kuva.eml": "to-read", "kuva.eml » IMG_2041.jpg": "error"}


# --- 2. SurveyMonkey's export: a second header row of options and "Response" fillers ---------

_TARGETS = ["Lapset", "Nuoret", "Ikääntyneet", "Kaikki asukkaat", "Kunnan työntekijät"]


def _surveymonkey(path: Path) -> None:
    """The Microsoft Forms sample's answers as SurveyMonkey's 'All responses data' writes them:
    its fixed columns, the questions, and a second header row with the target groups' options
    one column each and "Response" / "Open-Ended Response" under the other questions."""
    from openpyxl import Workbook, load_workbook

    rows = [[cell.value for cell in row]
            for row in load_workbook(DATA / "msforms.xlsx").active.iter_rows()]
    heads = rows[0]
    book = Workbook()
    sheet = book.active
    sheet.append(["Respondent ID", "Collector ID", "Start Date", "End Date", "IP Address",
                  "Email Address", *heads[6:10], None, None, None, None, None, *heads[10:]])
    sheet.append([None] * 6 + ["Response"] * 3 + _TARGETS + ["Muu (tarkenna)"]
                 + ["Open-Ended Response"] * (len(heads) - 10))
    for number, row in enumerate(rows[1:], start=1):
        groups = str(row[9])
        ticks = [target if target in groups else None for target in _TARGETS]
        other = "potilaat" if "potilaat" in groups else None
        sheet.append([114_000_000 + number, 431_000_000, row[1], row[2], "192.0.2.10",
                      "anna.respondent@example.fi", *row[6:9], *ticks, other, *row[10:]])
    book.save(path)


def test_a_surveymonkey_export_reads_its_second_header_row_as_headings_not_a_response(
        sqlite_engine, workspace, tmp_path):
    path = tmp_path / "in" / "surveymonkey.xlsx"
    path.parent.mkdir()
    _surveymonkey(path)

    result = run_ingest([path], engine=sqlite_engine, workspace=workspace)

    assert result.failed == 0
    found = {p["title"]: p for p in practices(sqlite_engine)}
    # The row of "Response" and the options' names is no municipality's practice.
    assert set(found) == {"Kuntien välinen yhteistyö aluetyössä", "Kirjastoauto kylille",
                          "Taidetta terveysasemille"}
    assert {row["format"] for row in result.rows()} == {"surveymonkey"}
    art = found["Taidetta terveysasemille"]
    assert art["target_group"] == ["all_residents", "other:potilaat"]
    assert found["Kirjastoauto kylille"]["target_group"] == ["children", "older_people"]
    # The respondent's account address is no contact of the practice.
    assert art["contact"]["email"] == "liisa.laine@turku.example.fi"
    assert not [flag for p in found.values() for flag in p["flags"]
                if flag.startswith(("unsure:contact_email", "note:", "required-missing"))]


# --- 3. a link typed as a HYPERLINK() formula ---------------------------------------------------


def test_the_address_of_a_link_typed_as_a_hyperlink_formula_is_kept_in_the_answer(
        sqlite_engine, workspace, tmp_path):
    path = questionnaire_copy(tmp_path / "in")
    set_answer(path, "Käytäntö 1", "benefits",
               '=HYPERLINK("https://www.espoo.fi/aluetyo/arviointi","arviointiraportissa")')
    set_answer(path, "Käytäntö 1", "contact_name",
               '=HYPERLINK("mailto:eija.koski@espoo.example.fi","Eija Koski")')
    set_answer(path, "Käytäntö 1", "contact_email", None)
    # A link whose address is made of another cell stays a reference, flagged as before.
    set_answer(path, "Käytäntö 1", "experiences", '=HYPERLINK("https://x.example/?q="&B5,"haku")')
    sent = office_copy(path, tmp_path)  # Excel or LibreOffice saves each formula's value

    run_ingest([sent], engine=sqlite_engine, workspace=workspace)

    practice = practices_by_title(sqlite_engine)["Kuntien välinen yhteistyö aluetyössä"]
    version = only_version(sqlite_engine, practice["id"])
    # Not "arviointiraportissa" alone: the report it names is at the address.
    assert version.benefits == "arviointiraportissa (https://www.espoo.fi/aluetyo/arviointi)"
    assert (version.contact_name, version.contact_email) == (
        "Eija Koski", "eija.koski@espoo.example.fi")
    assert any(flag.startswith("unsure:experiences:") for flag in practice["flags"])
    assert not any(flag.startswith(("unsure:benefits", "unsure:contact"))
                   for flag in practice["flags"]), practice["flags"]


def test_every_address_of_links_joined_in_one_formula_is_kept_in_the_answer(
        sqlite_engine, workspace, tmp_path):
    """Two links joined into one text gave the first one's address to the whole ("Annalta ja
    Joannalta <anna@…>"): Joanna's address was lost, unflagged. A link after text counts too."""
    path = questionnaire_copy(tmp_path / "in")
    set_answer(path, "Käytäntö 1", "implementation",
               '=HYPERLINK("mailto:anna.aalto@espoo.example.fi","Annalta")&" ja "&'
               'HYPERLINK("mailto:joanna.aalto@espoo.example.fi","Joannalta")')
    set_answer(path, "Käytäntö 1", "benefits",
               '="Tulokset "&HYPERLINK("https://www.espoo.fi/aluetyo/arviointi","raportissa")')
    sent = office_copy(path, tmp_path)

    run_ingest([sent], engine=sqlite_engine, workspace=workspace)

    practice = practices_by_title(sqlite_engine)["Kuntien välinen yhteistyö aluetyössä"]
    version = only_version(sqlite_engine, practice["id"])
    assert version.implementation == ("Annalta ja Joannalta <anna.aalto@espoo.example.fi> "
                                      "<joanna.aalto@espoo.example.fi>")
    assert version.benefits == "Tulokset raportissa (https://www.espoo.fi/aluetyo/arviointi)"


# --- 4. an answer that points at a file sent with it, in more words than "ks. liite" ---------


def test_an_answer_pointing_at_a_file_beside_it_in_a_few_words_is_flagged(sqlite_engine,
                                                                         workspace, tmp_path):
    path = questionnaire_copy(tmp_path / "files")
    set_answer(path, "Käytäntö 1", "goal", "Ks. liitteenä oleva kuvaus (kuvaus.docx).")
    set_answer(path, "Käytäntö 1", "implementation", "Lisätietoja liitteessä")
    set_answer(path, "Käytäntö 2", "implementation", "Se bifogat dokument.")
    set_answer(path, "Käytäntö 2", "experiences", "Kts. edellinen vastaus")
    # Answers that say something themselves are no pointers.
    set_answer(path, "Käytäntö 2", "goal", "Kirjastoon liitetään uusi palvelu.")
    set_answer(path, "Käytäntö 2", "resources",
               "Sivistystoimen liitteenä oleva talousarvio ohjaa toimintaa, ja hanke rahoitetaan "
               "kunnan omalla rahoituksella.")
    message = _mail(tmp_path / "in", "vastaus.eml", "Liitteenä vastaus ja kuvaus.",
                    [(path.read_bytes(), *_XLSX, "vastaus.xlsx"),
                     (b"PK\x03\x04", "application",
                      "vnd.openxmlformats-officedocument.wordprocessingml.document", "kuvaus.docx")])

    run_ingest([message], engine=sqlite_engine, workspace=workspace)

    by_title = {p["title"]: p for p in practices(sqlite_engine)}

    def elsewhere(title: str) -> set[str]:
        return {flag.split(":")[1] for flag in by_title[title]["flags"]
                if flag.startswith("unsure:") and ":text-elsewhere" in flag}

    assert elsewhere("Kuntien välinen yhteistyö aluetyössä") == {"goal", "implementation"}
    assert elsewhere("Taidetta kirjastoihin") == {"implementation", "experiences"}


# --- 5. the signature's logo inside an Outlook .msg ---------------------------------------------


def test_the_logo_shown_in_an_outlook_msgs_text_is_no_file_to_read(sqlite_engine, workspace,
                                                                   tmp_path):
    import shutil

    folder = tmp_path / "in"
    folder.mkdir()
    # Outlook (make_inputs.outlook_logo_msg): the HTML text shows image001.png by its content
    # ID; a .eml of the same message has it as a related part of the text, never a file.
    path = Path(shutil.copy(DATA / "mail-outlook-logo.msg", folder))

    result = run_ingest([path], engine=sqlite_engine, workspace=workspace)

    assert result.failed == 0, result.rows()
    assert [(row["file"].rpartition("/")[2], row["outcome"]) for row in result.rows()] == [
        ("mail-outlook-logo.msg » vastaus.csv", "new")]
    (practice,) = practices(sqlite_engine)
    assert (practice["title"], practice["municipalities"]) == ("Taidetta terveysasemille", ["853"])


# --- 6. Apple Mail: a file put in the middle of the text ----------------------------------------


def _apple_mail(workbook: bytes, *, html: bool, after: str = "Terveisin\nMatti Virtanen\n",
                sender: str = "Matti Virtanen <matti.virtanen@pori.fi>") -> bytes:
    """A reply as Apple Mail writes one with the questionnaire dropped into its text: plain
    text, the file, the rest of the text; as HTML, alternative(plain, mixed(html, file,
    html)), the plain version holding the whole text."""
    from email.mime.application import MIMEApplication
    from email.mime.multipart import MIMEMultipart
    from email.mime.text import MIMEText

    before = "Hei,\n\ntässä vastauksemme:\n"
    file = MIMEApplication(workbook, "vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    file.add_header("Content-Disposition", "inline", filename="vastaus.xlsx")
    if html:
        top = MIMEMultipart("alternative")
        top.attach(MIMEText(f"{before}\n\n{after}", "plain", "utf-8"))
        rich = MIMEMultipart("mixed")
        rich.attach(MIMEText(f"<html><body><div>{before}</div></body></html>", "html", "utf-8"))
        rich.attach(file)
        rich.attach(MIMEText(f"<html><body><div>{after}</div></body></html>", "html", "utf-8"))
        top.attach(rich)
    else:
        top = MIMEMultipart("mixed")
        top.attach(MIMEText(before, "plain", "utf-8"))
        top.attach(file)
        top.attach(MIMEText(after, "plain", "utf-8"))
    top["From"] = sender
    top["To"] = "kysely@yhteistuumin.fi"
    top["Subject"] = "Re: Kulttuuria yhteistuumin – kysely hyvistä käytännöistä"
    top["Date"] = "Mon, 07 Dec 2026 09:00:00 +0200"
    top["Message-Id"] = f"<apple-{html}@pori.fi>"
    top["X-Mailer"] = "Apple Mail (2.3774.200.91.1.1)"
    return top.as_bytes()


def test_a_questionnaire_in_the_html_text_of_an_apple_mail_reply_is_read(sqlite_engine,
                                                                         workspace, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    path = folder / "vastaus.eml"
    path.write_bytes(_apple_mail((DATA / "questionnaire.xlsx").read_bytes(), html=True))

    result = run_ingest([path], engine=sqlite_engine, workspace=workspace)

    # Not "no attachment and no answer recognised in the text; read the message".
    assert {p["title"] for p in practices(sqlite_engine)} == {
        "Kuntien välinen yhteistyö aluetyössä", "Taidetta kirjastoihin",
        "Lukupiiri maahanmuuttajille"}
    assert {row["file"].rpartition("/")[2] for row in result.rows()} == {"vastaus.eml » vastaus.xlsx"}


def test_text_after_a_file_in_the_middle_of_a_plain_apple_mail_reply_is_the_messages(
        sqlite_engine, workspace, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    path = folder / "vastaus.eml"
    after = ("Ja yksi käytäntö vielä tässä:\n\nKäytännön nimi: Runotorstai\n"
             "Tavoite: Runoja kaikille.\nKunta: Pori\n\nTerveisin\nMatti Virtanen\n")
    path.write_bytes(_apple_mail((DATA / "questionnaire.xlsx").read_bytes(), html=False,
                                 after=after))

    result = run_ingest([path], engine=sqlite_engine, workspace=workspace)

    # The text after the file was "attachment-2: a suffix-less file is not read
    # automatically; … type its answers into the municipality's questionnaire".
    assert result.failed == 0, result.rows()
    titles = {p["title"]: p for p in practices(sqlite_engine)}
    assert "Runotorstai" in titles and titles["Runotorstai"]["municipalities"] == ["609"]
    assert len(titles) == 4


def test_fetch_ingests_the_questionnaire_in_an_apple_mail_html_reply(cli, workspace, dovecot):
    from fixtures_fetch import filled_workbook
    from test_fetch import add_contact, by_uid, practice_titles, run_json

    add_contact(workspace, "609", "matti.virtanen@pori.fi")
    uid = dovecot.append(_apple_mail(filled_workbook(workspace, "609"), html=True))

    code, report = run_json(cli, env=dovecot.env("starttls"))

    assert code == 0, report
    # Not "to-read: no questionnaire, answers or delivery report: read it in the mailbox".
    assert by_uid(report)[uid]["status"] == "ingested", report
    assert report["practices_new"] == 1 and len(practice_titles(cli)) == 1


# --- 7. several practices numbered in one questionnaire sheet -----------------------------------


def test_practices_numbered_in_one_sheets_answers_are_flagged_not_taken_as_one_silently(
        sqlite_engine, workspace, tmp_path):
    path = questionnaire_copy(tmp_path / "in")
    # The form holds three practices; a municipality with more listed two in one sheet.
    set_answer(path, "Käytäntö 1", "title", "1. Runotorstai\n2. Lukupiiri maahanmuuttajille")
    set_answer(path, "Käytäntö 1", "goal", "1. Runoja kaikille.\n2. Kielen oppiminen.")
    set_answer(path, "Käytäntö 2", "title", "1) Taidetta kirjastoihin 2) Lukupiiri")
    set_answer(path, "Käytäntö 2 (2)", "title", "Kulttuuripolku 1.–2. luokkalaisille")

    run_ingest([path], engine=sqlite_engine, workspace=workspace)

    from yhteistuumin_survey.flags import describe

    by_title = practices_by_title(sqlite_engine)
    first = by_title["1. Runotorstai 2. Lukupiiri maahanmuuttajille"]
    (flag,) = [f for f in first["flags"] if f.startswith("unsure:title:several-numbered")]
    assert describe(flag, "fi") == (
        "Käytännön nimi: vastauksessa on numeroituna useampi nimi ('Runotorstai', 'Lukupiiri "
        "maahanmuuttajille'). Ne tallennettiin yhtenä käytäntönä; jos ne ovat eri käytäntöjä, "
        "pyydä kunnalta kustakin oma vastaus.")
    assert any(f.startswith("unsure:title:several-numbered")
               for f in by_title["1) Taidetta kirjastoihin 2) Lukupiiri"]["flags"])
    assert not any("several-numbered" in f
                   for f in by_title["Kulttuuripolku 1.–2. luokkalaisille"]["flags"])


@pytest.mark.parametrize(("title", "names"), [
    # On one line with full stops: not flagged before (only at a line's start, or "1)").
    ("1. Runotorstai 2. Lukupiiri", ["Runotorstai", "Lukupiiri"]),
    ("1. Runotorstai, 2. Lukupiiri ja 3. Satutunti", ["Runotorstai", "Lukupiiri", "Satutunti"]),
    ("1. Sagostund och 2. Läsecirkel", ["Sagostund", "Läsecirkel"]),
    # Numbers that name no items stay unflagged.
    ("1. ja 2. luokkalaisten kulttuuripolku", []),
    ("1. luokan retki 2. Luokan kevätjuhla", []),
    ("1. Lukupiiri 2. 3. luokkalaisille", []),
    ("3. Runotorstai 4. Lukupiiri", []),
    ("1. Kulttuuripolku", []),
])
def test_practices_numbered_on_one_line_with_full_stops_are_flagged(title, names):
    from yhteistuumin_survey.normalise import _numbered_titles

    assert _numbered_titles(title) == names


# --- 8. a word typed in a tick row instead of a tick --------------------------------------------


def test_text_in_a_tick_row_is_flagged_and_ticks_and_noes_are_not(sqlite_engine, workspace,
                                                                  tmp_path):
    path = questionnaire_copy(tmp_path / "in")
    typed = {"children": "✓", "young_people": "ei", "older_people": "-", "families": "Kyllä",
             "people_with_disabilities": "0", "immigrants": "X", "all_residents": "joo",
             "municipal_staff": None}
    for choice, value in typed.items():
        set_answer(path, "Käytäntö 1", f"target_group:{choice}", value)

    run_ingest([path], engine=sqlite_engine, workspace=workspace)

    from yhteistuumin_survey.flags import describe

    practice = practices_by_title(sqlite_engine)["Kuntien välinen yhteistyö aluetyössä"]
    # "joo" was a group of its own, 'Kaikki asukkaat' not ticked, and nobody was told.
    assert practice["target_group"] == ["children", "families", "immigrants", "other:joo"]
    (flag,) = [f for f in practice["flags"] if f.startswith("unsure:target_group:")]
    assert describe(flag, "fi") == (
        "Kenelle: rivillä 'Kaikki asukkaat' on rastin sijasta teksti 'joo'. Teksti luettiin "
        "vastaukseksi sellaisenaan; tarkista, tarkoittiko vastaaja rastia.")


# --- 9. Google Forms times with a zone's name ("10:15:22 AM EET") -------------------------------


def test_a_correction_in_a_google_forms_export_sorted_newest_first_is_the_current_version(
        sqlite_engine, workspace, tmp_path):
    import csv
    import io

    rows = list(csv.reader(io.StringIO((DATA / "googleforms.csv").read_text(encoding="utf-8"))))
    first = rows[1]
    first[0] = "2026/11/03 10:15:22 AM EET"  # a Finnish form owner's time, by its zone's name
    corrected = list(first)
    corrected[0] = "2026/11/04 9:05:09 AM EET"
    corrected[6] = "Tuoda kirjastopalvelut kaikille syrjäkylille, myös saariin."
    text = io.StringIO()
    csv.writer(text, quoting=csv.QUOTE_ALL).writerows([rows[0], corrected, first])  # newest first
    path = tmp_path / "in" / "vastaukset.csv"
    path.parent.mkdir()
    path.write_text(text.getvalue(), encoding="utf-8")

    run_ingest([path], engine=sqlite_engine, workspace=workspace)

    (practice,) = practices(sqlite_engine)
    # Untimed, the rows went in the file's order: the answer it corrected was the current one.
    assert practice["version"] == 2
    assert practice["goal"] == "Tuoda kirjastopalvelut kaikille syrjäkylille, myös saariin."


# --- 10. two versions of one questionnaire in one message ---------------------------------------


def test_two_versions_of_a_questionnaire_in_one_message_are_flagged_as_such(
        sqlite_engine, workspace, tmp_path):
    corrected = questionnaire_copy(tmp_path / "files", "vastaus_v2.xlsx")
    set_answer(corrected, "Käytäntö 2", "goal", "Tuoda taidetta arkeen (korjattu).")
    first = questionnaire_copy(tmp_path / "files", "vastaus_v1.xlsx")
    # "Käyttäkää uudempaa": the corrected file attached first, the one it corrects after it.
    path = _mail(tmp_path / "in", "vastaus.eml", "Liitteenä vastaus. Käyttäkää uudempaa (v2).",
                 [(corrected.read_bytes(), *_XLSX, "vastaus_v2.xlsx"),
                  (first.read_bytes(), *_XLSX, "vastaus_v1.xlsx")],
                 sender="Eija Koski <eija.koski@espoo.fi>")

    run_ingest([path], engine=sqlite_engine, workspace=workspace)

    from yhteistuumin_survey.flags import describe

    by_title = practices_by_title(sqlite_engine)
    art = by_title["Taidetta kirjastoihin"]
    assert art["version"] == 2  # a file cannot tell which came later: both are kept
    (flag,) = [f for f in art["flags"] if ":versions-one-message" in f]
    assert describe(flag, "fi") == (
        "Käytännön nimi: samassa viestissä tuli tästä käytännöstä kaksi eri versiota "
        "('vastaus_v2.xlsx' ja 'vastaus_v1.xlsx'). Nykyiseksi versioksi jäi viestin myöhempi "
        "liite 'vastaus_v1.xlsx'; tarkista, kumpaa kunta tarkoitti.")
    # The practices the two files hold alike are one version, unflagged.
    assert not any(":versions-one-message" in f
                   for f in by_title["Kuntien välinen yhteistyö aluetyössä"]["flags"])


def test_reading_a_message_with_two_versions_again_keeps_the_two_versions_flag(
        sqlite_engine, workspace, tmp_path):
    """'ingest --reread' of such a message made a new version of the practice whose reading
    differed (an older program read it otherwise), without the flag: the message still held
    two versions, but the reviewer was no longer told. The flag now goes on with it."""
    from sqlmodel import Session, select

    from yhteistuumin_survey.config import load_settings
    from yhteistuumin_survey.db.models import PracticeVersion
    from yhteistuumin_survey.ingest import ingest_paths

    corrected = questionnaire_copy(tmp_path / "files", "vastaus_v2.xlsx")
    set_answer(corrected, "Käytäntö 2", "goal", "Tuoda taidetta arkeen (korjattu).")
    first = questionnaire_copy(tmp_path / "files", "vastaus_v1.xlsx")
    path = _mail(tmp_path / "in", "vastaus.eml", "Liitteenä vastaus. Käyttäkää uudempaa (v2).",
                 [(corrected.read_bytes(), *_XLSX, "vastaus_v2.xlsx"),
                  (first.read_bytes(), *_XLSX, "vastaus_v1.xlsx")])
    run_ingest([path], engine=sqlite_engine, workspace=workspace)
    art = practices_by_title(sqlite_engine)["Taidetta kirjastoihin"]
    with Session(sqlite_engine) as session:  # as an older program read the later attachment
        current = session.exec(select(PracticeVersion).where(
            PracticeVersion.practice_id == art["id"], PracticeVersion.version == 2)).one()
        current.goal = "Luettu toisin."
        session.add(current)
        session.commit()

    with Session(sqlite_engine, expire_on_commit=False) as session:
        ingest_paths([path], session=session, workspace=workspace,
                     settings=load_settings(workspace.root, env={}), reread=True)

    again = practices_by_title(sqlite_engine)["Taidetta kirjastoihin"]
    assert again["version"] == 3 and again["goal"] != "Luettu toisin."
    assert [f for f in again["flags"] if ":versions-one-message" in f] == \
        [f for f in art["flags"] if ":versions-one-message" in f] != []


def test_a_questionnaire_sent_again_in_a_later_message_is_a_new_version_unflagged(
        sqlite_engine, workspace, tmp_path):
    first = questionnaire_copy(tmp_path / "files", "vastaus.xlsx")
    earlier = _mail(tmp_path / "in", "1.eml", "Liitteenä vastaus.",
                    [(first.read_bytes(), *_XLSX, "vastaus.xlsx")])
    set_answer(first, "Käytäntö 2", "goal", "Tuoda taidetta arkeen (korjattu).")
    later = _mail(tmp_path / "in", "2.eml", "Korjattu vastaus.",
                  [(first.read_bytes(), *_XLSX, "vastaus.xlsx")])

    run_ingest([earlier, later], engine=sqlite_engine, workspace=workspace)

    art = practices_by_title(sqlite_engine)["Taidetta kirjastoihin"]
    assert art["version"] == 2 and art["goal"] == "Tuoda taidetta arkeen (korjattu)."
    assert not any(":versions-one-message" in f for f in art["flags"])


# --- 11. a sheet the municipality added to the questionnaire ------------------------------------


def test_text_on_a_sheet_added_to_the_questionnaire_is_left_to_read_not_ignored(
        sqlite_engine, workspace, tmp_path):
    from openpyxl import load_workbook

    path = questionnaire_copy(tmp_path / "in")
    workbook = load_workbook(path)
    added = workbook.create_sheet("Lisätiedot")
    added["A1"] = "Lisätietoja käytännöstä 2 (Taidetta kirjastoihin):"
    added["A2"] = "Näyttelyt tehdään yhdessä taiteilijaseuran kanssa."
    workbook.create_sheet("Taul1")  # an empty sheet added: nothing to read
    workbook.save(path)

    result = run_ingest([path], engine=sqlite_engine, workspace=workspace)

    rows = {row["sheet"]: row for row in result.rows()}
    assert rows["Lisätiedot"]["outcome"] == "to-read", rows
    assert "Taul1" not in rows and "Ohjeet" not in rows
    from yhteistuumin_survey.ingest.store import list_to_read

    with Session(sqlite_engine) as session:
        (listed,) = list_to_read(session=session)
    assert "Näyttelyt tehdään yhdessä taiteilijaseuran kanssa" in listed["text"]
    assert any(str(row[-1]).startswith(  # the Finnish round's report
        "Kunta on lisännyt lomakkeeseen välilehden 'Lisätiedot', jonka teksti ei ole vastaus "
        "mihinkään lomakkeen kysymykseen: Lisätietoja käytännöstä 2") for row in report_rows(result))
    # The summary does not call the sheet a message ("1 message to read by hand" before).
    assert "1 text to read by hand" in " ".join(result.summary())
    assert len(practices(sqlite_engine)) == 3
