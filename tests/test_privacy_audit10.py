"""``person`` and ``forget`` on the ways personal data entered the workspace in audit9
(audit10-privacy): a contact card mailed beside an answer, a SurveyMonkey export's respondent
columns, an address typed as ``=HYPERLINK("mailto:…")``.

She is listed wherever these keep her, erased from there alone, and what a survey tool says
of a respondent that the survey never needs (her IP address) is not stored.
"""

from __future__ import annotations

import pytest
from ingest_support import run_ingest
from publish_support import settings_for
from test_ingest_audit9 import _VCARD, _mail, _surveymonkey

from yhteistuumin_survey.person import person_report
from yhteistuumin_survey.privacy import forget_person

LIISA = "liisa.laine@pori.fi"
_LIISA_CARD = ("BEGIN:VCARD\r\nVERSION:3.0\r\nN:Laine;Liisa\r\nFN:Liisa Laine\r\n"
               f"EMAIL;TYPE=INTERNET:{LIISA}\r\nTEL;TYPE=CELL:+358 40 555 1234\r\nEND:VCARD\r\n")


def _received_copies(workspace, suffix: str) -> dict[str, str]:
    return {path.name.partition("-")[2]: path.read_text(encoding="utf-8")
            for path in (workspace.outputs / "received").rglob(f"*{suffix}")}


# --- 1. a colleague's contact card mailed beside the answer ------------------------------------


def test_a_colleagues_contact_card_is_listed_for_her_and_erased_alone(
        engine, workspace, session, tmp_path):
    """Matti mails his own card and Liisa's: the kept copy of Liisa's card is hers. ``person``
    names it (and the message that carried it) in her language, ``forget`` deletes it and
    takes her out of the message; Matti's card stays as it was."""
    path = _mail(tmp_path / "in", "vastaus.eml", "Hei,\n\nkortit liitteenä.\n\nMatti",
                 [(_VCARD.encode(), "text", "x-vcard", "matti_virtanen.vcf"),
                  (_LIISA_CARD.encode(), "text", "x-vcard", "liisa_laine.vcf")])
    run_ingest([path], engine=engine, workspace=workspace)

    report = person_report(workspace, LIISA, session=session, lang="fi")

    held = {row["file"]: row["holds"] for row in report.sections["received"]}
    assert held == {"liisa_laine.vcf": "yhteystietosi", "vastaus.eml": "yhteystietosi"}
    swedish = person_report(workspace, LIISA, session=session, lang="sv")
    assert {row["holds"] for row in swedish.sections["received"]} == {"dina kontaktuppgifter"}
    # Matti sent both: his card holds his details, Liisa's card is only a file he sent.
    matti = person_report(workspace, "matti.virtanen@pori.fi", session=session, lang="fi")
    assert {row["file"]: row["holds"] for row in matti.sections["received"]} == {
        "vastaus.eml": "yhteystietosi", "matti_virtanen.vcf": "yhteystietosi",
        "liisa_laine.vcf": None}

    result = forget_person(workspace, LIISA, session=session, settings=settings_for(workspace))

    cards = _received_copies(workspace, ".vcf")
    assert set(cards) == {"matti_virtanen.vcf"}  # hers deleted: it held no one else
    assert cards["matti_virtanen.vcf"] == _VCARD.replace("\r\n", "\n")
    assert {place.kind for place in result.places} >= {"received_copies_deleted",
                                                       "received_copies_scrubbed"}
    assert person_report(workspace, LIISA, session=session, lang="fi").sections["received"] == []


# --- 2. a SurveyMonkey export's respondent columns ---------------------------------------------

ANNA = "anna.respondent@example.fi"
JOANNA = "joanna.respondent@example.fi"  # holds ANNA's address as its tail


def _monkey_with_respondents(path) -> None:
    """The audit9 SurveyMonkey export with its respondent name columns (First Name, Last
    Name after Email Address, as SurveyMonkey writes them) and two respondents: Anna answered
    rows 3 and 5, Joanna row 4; each row has the respondent's IP address."""
    from openpyxl import load_workbook

    _surveymonkey(path)
    book = load_workbook(path)
    sheet = book.active
    sheet.insert_cols(7, 2)
    sheet.cell(1, 7, "First Name")
    sheet.cell(1, 8, "Last Name")
    for row, (email, first, ip) in zip(
            (3, 4, 5), ((ANNA, "Anna", "198.51.100.23"), (JOANNA, "Joanna", "203.0.113.77"),
                        (ANNA, "Anna", "198.51.100.23")), strict=True):
        sheet.cell(row, 5, ip)
        sheet.cell(row, 6, email)
        sheet.cell(row, 7, first)
        sheet.cell(row, 8, "Respondent")
    book.save(path)


def _raws(session) -> list[str]:
    from sqlmodel import select

    from yhteistuumin_survey.db.models import Submission

    session.expire_all()
    return [s.raw if isinstance(s.raw, str) else repr(s.raw)
            for s in session.exec(select(Submission))]


def test_a_surveymonkey_respondents_ip_address_is_not_stored(engine, workspace, session,
                                                              tmp_path):
    """The survey never asks for an IP address (our LimeSurvey form is made with ipaddr=N):
    the one SurveyMonkey exports of each respondent is not kept in the answers as received,
    and so is never in a review workbook or on the site; the answers are read as before."""
    path = tmp_path / "in" / "surveymonkey.xlsx"
    path.parent.mkdir()
    _monkey_with_respondents(path)

    result = run_ingest([path], engine=engine, workspace=workspace)

    assert result.failed == 0
    raws = _raws(session)
    assert len(raws) == 3
    assert not [raw for raw in raws if "198.51.100.23" in raw or "203.0.113.77" in raw]
    assert not [raw for raw in raws if "IP Address" in raw]
    assert all("Kunta tai kunnat" in raw for raw in raws)  # the rest is kept as received



def _limesurvey_rows(ours: bool) -> list[list[str]]:
    """A LimeSurvey export: of our own survey (its question codes, read through its
    structure), or of another survey with its texts (read as a table)."""
    import csv

    from ingest_support import DATA

    if not ours:
        source = (DATA / "limesurvey-codes.csv").read_text(encoding="utf-8-sig")
        return list(csv.reader(source.splitlines()))
    from test_webform import HEAD_CODES, _answer

    return [list(HEAD_CODES), _answer(1, "tok-x1", "Helsinki", {"children": "Y"}, "", "Y"),
            _answer(2, "tok-x2", "Turku", {"families": "Y"}, "", "N")]


@pytest.mark.parametrize("ours", [True, False], ids=["our-codes", "another-survey"])
def test_a_limesurvey_export_with_the_ip_address_recorded_does_not_store_it(
        engine, workspace, session, tmp_path, ours):
    """A LimeSurvey survey set up with "save IP address" and "save referrer URL" on: its
    ipaddr and refurl columns are not stored; the rest of each row is, as received."""
    import csv

    rows = _limesurvey_rows(ours)
    rows[0][4:4] = ["ipaddr", "refurl"]
    for row in rows[1:]:
        row[4:4] = ["198.51.100.23", "https://intra.example.fi/?henkilo=anna.respondent"]
    path = tmp_path / "in" / "results-survey123456.csv"
    path.parent.mkdir()
    with path.open("w", encoding="utf-8", newline="") as stream:
        csv.writer(stream, quoting=csv.QUOTE_ALL).writerows(rows)

    result = run_ingest([path], engine=engine, workspace=workspace)

    assert [row["outcome"] for row in result.rows()] == (
        ["new", "new"] if ours else ["new", "incomplete"])
    raws = _raws(session)
    assert len(raws) == 2
    assert not [raw for raw in raws if "198.51.100.23" in raw or "intra.example.fi" in raw]
    assert all("'seed'" in raw and "'startlanguage'" in raw for raw in raws)


def test_a_surveymonkey_respondent_is_listed_and_erased_alone(engine, workspace, session,
                                                               tmp_path):
    """Anna answered two rows of the export under her SurveyMonkey account: ``person`` names
    the export for her, ``forget`` takes her address and her name out of her rows, and
    Joanna's row (whose address ends in Anna's) keeps hers."""
    path = tmp_path / "in" / "surveymonkey.xlsx"
    path.parent.mkdir()
    _monkey_with_respondents(path)
    run_ingest([path], engine=engine, workspace=workspace)

    report = person_report(workspace, ANNA, session=session, lang="fi")
    assert [(row["file"], row["holds"]) for row in report.sections["received"]] == [
        ("surveymonkey.xlsx", "osoitteesi jonkun vastauksessa")]

    forget_person(workspace, ANNA, session=session, settings=settings_for(workspace))

    raws = _raws(session)
    assert not [raw for raw in raws if ANNA in raw.replace(JOANNA, "")]
    assert not [raw for raw in raws if "'Anna'" in raw]
    assert sum(JOANNA in raw and "'Joanna'" in raw for raw in raws) == 1


# --- 3. an address typed as =HYPERLINK("mailto:…") in an answer ------------------------------


def test_a_mailto_address_kept_in_an_answer_is_listed_and_erased_alone(
        engine, workspace, session, tmp_path):
    """Audit9 keeps a link's address in the answer ("kysy Annalta <anna@kunta.fi>"): the
    answers are named to Anna and lose her address; Joanna's beside it stays."""
    from ingest_support import (
        office_copy,
        only_version,
        practices_by_title,
        questionnaire_copy,
        set_answer,
    )

    anna, joanna = "anna@kunta.fi", "joanna@kunta.fi"
    path = questionnaire_copy(tmp_path / "in")
    set_answer(path, "Käytäntö 1", "experiences", f'=HYPERLINK("mailto:{anna}","kysy Annalta")')
    set_answer(path, "Käytäntö 1", "benefits", f'=HYPERLINK("mailto:{joanna}","Joanna")')
    set_answer(path, "Käytäntö 2", "benefits", f'=HYPERLINK("mailto:{anna}","kysy lisää")')
    run_ingest([office_copy(path, tmp_path)], engine=engine, workspace=workspace)
    ids = {title: p["id"] for title, p in practices_by_title(engine).items()}
    first, second = ids["Kuntien välinen yhteistyö aluetyössä"], ids["Taidetta kirjastoihin"]
    assert only_version(engine, first).experiences == f"kysy Annalta <{anna}>"

    report = person_report(workspace, anna, session=session, lang="fi")

    assert {row["practice"]: row["named_in"] for row in report.sections["practices"]} == {
        first: ["experiences"], second: ["benefits"]}
    assert [row["file"] for row in report.sections["received"]] == ["vastaus.xlsx"]

    result = forget_person(workspace, anna, session=session, settings=settings_for(workspace))

    erased = f"erased-{result.subject_hash[:8]}@invalid"
    assert only_version(engine, first).experiences == f"kysy Annalta <{erased}>"
    assert only_version(engine, first).benefits == f"Joanna <{joanna}>"
    assert only_version(engine, second).benefits == f"kysy lisää <{erased}>"
    assert person_report(workspace, joanna, session=session, lang="fi").sections["practices"]


# --- 4. the text after a questionnaire Apple Mail put in the middle of a reply --------------


def test_her_address_in_the_text_after_an_apple_mail_questionnaire_is_listed_and_erased(
        engine, workspace, session, tmp_path):
    """Matti's reply goes on after the questionnaire with a practice whose contact is Liisa:
    the text is the message's, read as an answer; ``person`` names it to her and ``forget``
    leaves her address nowhere in the database or the kept copies, Matti's stays."""
    from sqlmodel import select
    from test_ingest_audit9 import DATA, _apple_mail

    from yhteistuumin_survey.db.models import PracticeVersion

    after = ("Ja yksi käytäntö vielä tässä:\n\nKäytännön nimi: Runotorstai\n"
             f"Tavoite: Runoja kaikille.\nKunta: Pori\nYhteyshenkilö: Liisa Laine, {LIISA}\n\n"
             "Terveisin\nMatti Virtanen\nmatti.virtanen@pori.fi\n")
    path = tmp_path / "in" / "vastaus.eml"
    path.parent.mkdir()
    path.write_bytes(_apple_mail((DATA / "questionnaire.xlsx").read_bytes(), html=False,
                                 after=after))
    run_ingest([path], engine=engine, workspace=workspace)

    report = person_report(workspace, LIISA, session=session, lang="fi")
    assert [row["title"] for row in report.sections["practices"]] == ["Runotorstai"]
    assert [row["file"] for row in report.sections["received"]] == ["vastaus.eml"]

    forget_person(workspace, LIISA, session=session, settings=settings_for(workspace))

    session.expire_all()
    texts = [repr(v.model_dump()) for v in session.exec(select(PracticeVersion))] + _raws(session)
    assert not [text for text in texts if LIISA in text]
    copies = [_decoded(p.read_bytes()) for p in (workspace.outputs / "received").rglob("*.eml")]
    assert len(copies) == 1
    assert LIISA not in copies[0] and "Liisa Laine" not in copies[0]
    assert "Terveisin\nMatti Virtanen\nmatti.virtanen@pori.fi" in copies[0]


def _decoded(data: bytes) -> str:
    """A message's headers and its text parts decoded (they are sent as base64)."""
    import email
    from email.policy import default

    message = email.message_from_bytes(data, policy=default)
    texts = [str(part.get_content()) for part in message.walk()
             if part.get_content_maintype() == "text"]
    return "\n".join([str(message["From"]), *texts])
