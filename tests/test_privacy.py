"""``forget``: a person's name, email and phone leave the database and every file under outputs/."""

from __future__ import annotations

import json
from email.message import EmailMessage

import pytest
from factories import make_practice
from publish_support import settings_for, tree_text
from sqlmodel import select

from yhteistuumin_survey.db.models import (
    Bounce,
    Contact,
    Erasure,
    OutboundMessage,
    PracticeVersion,
    ReceivedFile,
    Submission,
)
from yhteistuumin_survey.errors import InputError
from yhteistuumin_survey.privacy import forget_person
from yhteistuumin_survey.publish import publish_site

EMAIL = "maija.meikalainen@espoo.example.fi"
NAME = "Maija Meikäläinen"
PHONE = "040 765 4321"
#: What must be gone afterwards (searched case-insensitively).
TRACES = ("meikalainen@", "meikäläinen", "765 4321", "7654321", "765-4321")
OTHER = "ville.virtanen@vantaa.example.fi"


def workbook_text(path) -> str:
    from openpyxl import load_workbook

    workbook = load_workbook(path)
    return "\n".join(str(cell.value) for sheet in workbook.worksheets for row in sheet.iter_rows()
                     for cell in row if cell.value is not None)


def database_dump(session) -> str:
    from sqlalchemy import select
    from sqlmodel import SQLModel

    lines = []
    for table in SQLModel.metadata.sorted_tables:
        for row in session.execute(select(table)):
            lines.append(repr(tuple(row)))
    return "\n".join(lines)


def assert_gone(text: str) -> None:
    folded = text.casefold()
    for trace in TRACES:
        assert trace.casefold() not in folded, trace


@pytest.fixture
def person(workspace, session):
    """The person in every place the pipeline keeps data, and another person who stays."""
    outputs = workspace.outputs
    session.add(Contact(municipality_code="049", email="Maija.Meikalainen@Espoo.example.fi",
                        name=NAME, phone=PHONE, role="kulttuurisihteeri"))
    session.add(Contact(municipality_code="092", email=OTHER, name="Ville Virtanen"))
    practice = make_practice(
        session, title="Kulttuurikaveri", status="approved", publish_consent=True,
        contact_name=NAME, contact_email=EMAIL, contact_phone=PHONE,
        summary=f"Lisätietoja antaa {NAME} ({EMAIL}, puh. {PHONE}).")
    other = make_practice(session, title="Vantaan lukupiiri", status="approved",
                          municipalities=["092"], publish_consent=True,
                          contact_name="Ville Virtanen", contact_email=OTHER)
    version = session.exec(select(PracticeVersion).where(
        PracticeVersion.practice_id == practice.id)).one()
    submission = session.get(Submission, version.submission_id)
    questionnaire = session.get(ReceivedFile, submission.received_file_id)
    submission.raw = {"sheet": "Käytäntö 1", "rows": [
        ["Käytännön nimi", "Kulttuurikaveri"], ["Yhteyshenkilön nimi", NAME],
        ["Yhteyshenkilön sähköposti", EMAIL.upper()], ["Yhteyshenkilön puhelinnumero", PHONE]]}
    session.add(submission)
    form = ReceivedFile(sha256="e" * 64, original_name="forms.xlsx",
                        stored_path="outputs/received/forms.csv", size=10, sender=EMAIL)
    session.add(form)
    session.flush()
    session.add(Submission(received_file_id=form.id, locator="row 2", format="msforms", raw={
        "Yhteyshenkilön nimi": NAME, "Sähköposti": EMAIL, "Puhelin": "+358 40 765 4321",
        "Käytännön nimi": "Kulttuurikaveri"}))
    session.add(OutboundMessage(round_name="r", municipality_code="049", address=EMAIL,
                                kind="invite", state="sent"))
    session.add(OutboundMessage(round_name="r", municipality_code="092", address=OTHER,
                                kind="invite", state="sent"))
    session.add(Bounce(message_key="<b1@example>", classification="auto-reply", address=EMAIL,
                       detail=f"Out of office: {NAME}"))
    session.commit()

    received = outputs / "received"
    received.mkdir(parents=True)
    (received / "forms.csv").write_text(f"nimi;email\n{NAME};{EMAIL}\n", encoding="utf-8")
    (workspace.root / questionnaire.stored_path).write_bytes(b"stands for the questionnaire")
    (received / "unrelated.xlsx").write_bytes(b"another municipality's answers")
    outbox = outputs / "outbox" / "dry-run"
    outbox.mkdir(parents=True)
    for code, address in (("049", EMAIL), ("092", OTHER)):
        message = EmailMessage()
        message["To"], message["Subject"] = address, "Kysely"
        message.set_content(f"Hei {address}!", charset="utf-8", cte="base64")
        (outbox / f"{code}-invite.eml").write_bytes(message.as_bytes())
    from openpyxl import Workbook

    review = outputs / "review"
    review.mkdir()
    workbook = Workbook()
    workbook.active.append(["id", "otsikko", "yhteyshenkilö", "sähköposti", "puhelin"])
    workbook.active.append([practice.id, "Kulttuurikaveri", NAME, EMAIL, PHONE])
    workbook.active.append([other.id, "Vantaan lukupiiri", "Ville Virtanen", OTHER, ""])
    workbook.save(review / "arviointi.xlsx")
    (workspace.root / "recipients" / "yhteystiedot.csv").write_text(
        f"kunta;sähköposti\nEspoo;{EMAIL}\n", encoding="utf-8")
    reports = outputs / "reports"
    reports.mkdir()
    (reports / "contacts.csv").write_text(f"code,email\n049,{EMAIL}\n092,{OTHER}\n")
    site = publish_site(workspace, session=session, settings=settings_for(workspace)).out
    assert EMAIL in tree_text(site) and NAME in tree_text(site)
    return {"practice": practice, "other": other, "site": site}


def forget(workspace, session, email):
    settings = settings_for(workspace)
    return forget_person(workspace, email, session=session, settings=settings,
                         republish=lambda: publish_site(workspace, session=session,
                                                        settings=settings))


def test_forget_erases_the_person_everywhere_and_records_it(workspace, session, person):
    result = forget(workspace, session, "  MAIJA.Meikalainen@ESPOO.example.fi ")

    session.expire_all()
    outputs = workspace.outputs
    assert_gone(tree_text(outputs))
    assert_gone(workbook_text(outputs / "review" / "arviointi.xlsx"))
    assert_gone(database_dump(session))
    assert result.counts == {
        "bounces": 1, "contacts": 1, "eml_copies_deleted": 1, "outbound_messages": 1,
        "output_files": 1, "practice_versions": 1, "received_copies_deleted": 2,
        "received_file_senders": 1, "site_files": 6, "submissions": 2, "workbooks": 1}
    contact = session.get(Contact, 1)
    assert contact.status == "erased" and contact.email.endswith("@invalid")
    assert contact.name is None and contact.phone is None and contact.role == "kulttuurisihteeri"
    erasure = session.exec(select(Erasure)).one()
    assert erasure.subject_hash == result.subject_hash and len(erasure.subject_hash) == 64
    assert erasure.counts == result.counts
    # The practice stays published, without the contact; the other person is untouched.
    cards = json.loads((person["site"] / "practices.json").read_text())["practices"]
    card = next(card for card in cards if card["title"] == "Kulttuurikaveri")
    assert card["contact"] is None
    assert OTHER in tree_text(outputs) and OTHER in workbook_text(outputs / "review" / "arviointi.xlsx")
    assert (outputs / "outbox" / "dry-run" / "092-invite.eml").exists()
    assert (outputs / "received" / "unrelated.xlsx").exists()
    assert result.left == ["recipients/yhteystiedot.csv"]  # the coordinator's file: named, not edited
    assert not (outputs / "outbox" / "dry-run" / "049-invite.eml").exists()
    assert len(session.exec(select(ReceivedFile)).all()) == 3  # the record that the files came in stays


def test_forget_twice_changes_nothing_more(workspace, session, person):
    first = forget(workspace, session, EMAIL)
    site_before = tree_text(person["site"])

    second = forget(workspace, session, EMAIL.upper())

    assert first.changed > 0
    assert second.counts == {} and second.recorded is False
    assert second.subject_hash == first.subject_hash
    assert len(session.exec(select(Erasure)).all()) == 1
    assert tree_text(person["site"]) == site_before


def test_forget_refuses_text_that_is_not_an_address(workspace, session):
    with pytest.raises(InputError, match="not an email address"):
        forget(workspace, session, "Maija Meikäläinen")


def test_forget_moves_a_page_whose_address_named_the_person(workspace, session):
    practice = make_practice(session, title=f"{NAME} ja kulttuurikaveri", status="approved",
                             publish_consent=True, contact_name=NAME, contact_email=EMAIL)
    site = publish_site(workspace, session=session, settings=settings_for(workspace)).out
    assert (site / f"{practice.id}-maija-meikalainen-ja-kulttuurikaveri").is_dir()

    forget(workspace, session, EMAIL)

    session.expire_all()
    folders = sorted(path.name for path in site.iterdir() if path.name.startswith(f"{practice.id}-"))
    assert len(folders) == 1 and "meikalainen" not in folders[0]
    assert "meikalainen" not in " ".join(p.as_posix() for p in site.rglob("*")).casefold()
    assert "meikalainen" not in database_dump(session).casefold()

