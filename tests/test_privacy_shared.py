"""``forget`` and ``person`` when one contact cell names two people: only the one asking goes.

Found by trying a round as a data subject would (audit-privacy): a contact typed as
"Pekka Puupää; Maija Meikäläinen" made Pekka's practice Maija's record, so forgetting Maija
erased Pekka's name, address and phone from his own card, and ``person`` showed Pekka's
contact details to Maija.
"""

from __future__ import annotations

import json

from factories import make_practice
from publish_support import settings_for
from sqlmodel import select

from yhteistuumin_survey.db.models import PracticeVersion, Submission
from yhteistuumin_survey.person import person_report
from yhteistuumin_survey.privacy import AddressMatcher, drop_person, forget_person
from yhteistuumin_survey.publish import publish_site

MAIJA = "maija@vantaa.example.fi"
PEKKA = "pekka@vantaa.example.fi"
MAIJA_PHONE, PEKKA_PHONE = "040 123 4567", "050 765 4321"


def _shared_round(session):
    """Maija's own practice, Pekka's practice naming Maija beside him, and one of hers naming
    Pekka beside her, each with its answer as received."""
    own = make_practice(session, title="Runopolku", status="approved", publish_consent=True,
                        contact_name="Maija Meikäläinen", contact_email=MAIJA,
                        contact_phone="+358 40 1234567")
    pekkas = make_practice(
        session, title="Pekan oma hanke", status="approved", publish_consent=True,
        contact_name="Pekka Puupää", contact_email=PEKKA, contact_phone="+358 50 7654321",
        contact_text=f"Pekka Puupää; Maija Meikäläinen\n{PEKKA}; {MAIJA}\n"
                     f"{PEKKA_PHONE}; {MAIJA_PHONE}")
    joint = make_practice(
        session, title="Yhteinen kesäteatteri", status="approved", publish_consent=True,
        contact_name="Maija", contact_email=MAIJA, contact_phone="+358 40 1234567",
        contact_text=f"Maija ({MAIJA}), Pekka ({PEKKA})\n{MAIJA}, {PEKKA}\n"
                     f"{MAIJA_PHONE}, {PEKKA_PHONE}")
    for practice, raw in (
            (pekkas, {"Email": PEKKA, "Yhteyshenkilön nimi": "Pekka Puupää; Maija Meikäläinen",
                      "Yhteyshenkilön sähköposti": f"{PEKKA}; {MAIJA}",
                      "Yhteyshenkilön puhelinnumero": f"{PEKKA_PHONE}; {MAIJA_PHONE}"}),
            (joint, {"Email": PEKKA, "Yhteyshenkilön nimi": f"Maija ({MAIJA}), Pekka ({PEKKA})",
                     "Yhteyshenkilön sähköposti": f"{MAIJA}, {PEKKA}",
                     "Yhteyshenkilön puhelinnumero": f"{MAIJA_PHONE}, {PEKKA_PHONE}"})):
        version = session.exec(select(PracticeVersion).where(
            PracticeVersion.practice_id == practice.id)).one()
        submission = session.get(Submission, version.submission_id)
        submission.raw = raw
        session.add(submission)
    session.commit()
    return own, pekkas, joint


def _version(session, practice):
    return session.exec(select(PracticeVersion).where(
        PracticeVersion.practice_id == practice.id)).one()


def test_forgetting_one_of_two_people_in_a_contact_cell_keeps_the_other(workspace, session):
    _own, pekkas, joint = _shared_round(session)
    settings = settings_for(workspace)
    publish_site(workspace, session=session, settings=settings)

    forget_person(workspace, MAIJA, session=session, settings=settings,
                  republish=lambda: publish_site(workspace, session=session, settings=settings))

    session.expire_all()
    his = _version(session, pekkas)
    assert (his.contact_name, his.contact_email, his.contact_phone) == (
        "Pekka Puupää", PEKKA, "+358 50 7654321")
    assert his.contact_text == f"Pekka Puupää\n{PEKKA}\n{PEKKA_PHONE}"
    theirs = _version(session, joint)
    assert (theirs.contact_name, theirs.contact_email, theirs.contact_phone) == (None, None, None)
    assert theirs.contact_text == f"Pekka ({PEKKA})\n{PEKKA}\n{PEKKA_PHONE}"
    raws = [session.get(Submission, v.submission_id).raw for v in (his, theirs)]
    assert [raw["Yhteyshenkilön sähköposti"] for raw in raws] == [PEKKA, PEKKA]
    assert [raw["Yhteyshenkilön puhelinnumero"] for raw in raws] == [PEKKA_PHONE, PEKKA_PHONE]
    assert raws[0]["Yhteyshenkilön nimi"] == "Pekka Puupää"
    text = json.dumps(raws, ensure_ascii=False) + his.contact_text + theirs.contact_text
    assert "Meikäläinen" not in text and "123 4567" not in text
    assert not AddressMatcher(MAIJA).mentions(text)
    # Pekka is still the contact on both published cards.
    cards = {card["title"]: card for card in json.loads(
        (workspace.outputs / "site" / "practices.json").read_text())["practices"]}
    for title in ("Pekan oma hanke", "Yhteinen kesäteatteri"):
        shown = json.dumps(cards[title]["contact"], ensure_ascii=False)
        assert PEKKA in shown and PEKKA_PHONE in shown and MAIJA not in shown


def test_person_shows_nothing_of_the_other_contact_in_a_shared_cell(workspace, session):
    _own, pekkas, _joint = _shared_round(session)

    report = person_report(workspace, MAIJA, session=session)

    rows = {row["practice"]: row for row in report.sections["practices"]}
    assert rows[pekkas.id]["role"] == "named in the contact details beside another contact"
    assert rows[pekkas.id]["named_in"] == ["contact_text"]
    shown = json.dumps(report.to_dict(), ensure_ascii=False)
    assert PEKKA not in shown and "Puupää" not in shown and "7654321" not in shown


def test_drop_person_keeps_the_other_peoples_parts_in_place():
    matcher = AddressMatcher(MAIJA)
    assert drop_person(["Maija, Pekka", f"{MAIJA}, {PEKKA}", f"{MAIJA_PHONE} / {PEKKA_PHONE}"],
                       matcher) == ["Pekka", PEKKA, PEKKA_PHONE]
    assert drop_person(["Pekka ja Maija", f"{PEKKA} ja {MAIJA}", None], matcher) == [
        "Pekka", PEKKA, None]
    # One person alone: every cell is theirs.
    assert drop_person([MAIJA, "Maija Meikäläinen"], matcher) == [None, None]


def test_the_persons_own_email_loses_their_signature_where_the_address_is_not(workspace, session):
    from email import message_from_bytes
    from email.message import EmailMessage
    from email.policy import default as default_policy

    from yhteistuumin_survey.db.models import ReceivedFile

    make_practice(session, title="Runopolku", status="approved", publish_consent=True,
                  contact_name="Maija Meikäläinen", contact_email=MAIJA,
                  contact_phone="+358 40 1234567")
    message = EmailMessage()
    message["From"] = f"Maija Meikäläinen <{MAIJA}>"
    message["To"], message["Cc"] = "kysely@example.fi", PEKKA
    message["Subject"] = "Vastaus kyselyyn"
    message.set_content("Hei,\nliitteenä vastauksemme.\n\nMaija Meikäläinen\nkulttuurisihteeri\n"
                        f"puh. {MAIJA_PHONE}\n", cte="quoted-printable")
    message.add_attachment(f"nimi;puhelin\nMaija Meikäläinen;{MAIJA_PHONE}\n".encode(),
                           maintype="text", subtype="csv", filename="vastaus.csv")
    stored = workspace.outputs / "received" / "vastaus.eml"
    stored.parent.mkdir(parents=True, exist_ok=True)
    stored.write_bytes(message.as_bytes())
    session.add(ReceivedFile(sha256="f" * 64, original_name="vastaus.eml", size=1,
                             stored_path="outputs/received/vastaus.eml", sender=MAIJA))
    session.commit()

    forget_person(workspace, MAIJA, session=session, settings=settings_for(workspace))

    kept = message_from_bytes(stored.read_bytes(), policy=default_policy)
    assert kept["Cc"] == PEKKA  # someone else's: the file stays, without Maija
    texts = [part.get_content() for part in kept.walk() if not part.is_multipart()]
    assert "liitteenä vastauksemme" in texts[0]
    assert all("Meikäläinen" not in text and "123 4567" not in text for text in texts), texts


def test_forget_names_the_saved_answers_outside_outputs_that_still_hold_the_person(
        workspace, session):
    make_practice(session, title="Runopolku", status="approved", publish_consent=True,
                  contact_name="Maija Meikäläinen", contact_email=MAIJA)
    inbox = workspace.root / "inbox" / "answers"
    inbox.mkdir(parents=True)
    (inbox / "maija.eml").write_text(f"From: {MAIJA}\nSubject: vastaus\n\nHei\n")
    (inbox / "pekka.eml").write_text(f"From: {PEKKA}\nSubject: vastaus\n\nHei\n")
    (workspace.root / "recipients" / "yhteystiedot.csv").write_text(f"kunta;email\nVantaa;{MAIJA}\n")

    result = forget_person(workspace, MAIJA, session=session, settings=settings_for(workspace))

    assert result.left == ["recipients/yhteystiedot.csv", "inbox/answers/maija.eml"]
    assert (inbox / "maija.eml").read_text().startswith(f"From: {MAIJA}")  # named, not edited
    warnings = result.warnings()
    assert "next contact import brings the person back" in warnings[0]
    assert warnings[1].startswith("inbox/answers/maija.eml: still holds the address; it is "
                                  "outside outputs/")


def test_person_shows_the_reviewers_note_that_names_them_by_phone(workspace, session):
    own, _pekkas, _joint = _shared_round(session)
    own.reviewer_comment = f"Soitettu Maija Meikäläiselle {MAIJA_PHONE}, lupa saatu"
    session.add(own)
    session.commit()

    report = person_report(workspace, MAIJA, session=session)

    notes = [row for row in report.sections["decisions"] if row["practice"] == own.id]
    assert notes == [{"practice": own.id, "decision": "reviewers' note",
                      "comment": own.reviewer_comment, "decided": None}]


def test_a_namesake_and_a_shared_number_stay_in_the_files_on_their_own_rows(workspace, session):
    """Two Maija Meikäläinens, one asks to be forgotten; they share the office's number."""
    from openpyxl import Workbook, load_workbook

    switchboard = "09 816 21"
    other = "maija.meikalainen@espoo.example.fi"
    make_practice(session, title="Runopolku", status="approved", publish_consent=True,
                  contact_name="Maija Meikäläinen", contact_email=MAIJA,
                  contact_phone=switchboard)
    make_practice(session, title="Kaupunkitaide", status="approved", publish_consent=True,
                  contact_name="Maija Meikäläinen", contact_email=other,
                  contact_phone=switchboard)
    rows = [["Yhteyshenkilön nimi", "Yhteyshenkilön sähköposti", "Puhelin"],
            ["Maija Meikäläinen", MAIJA, switchboard],
            ["Maija Meikäläinen", other, switchboard]]
    received = workspace.outputs / "received"
    received.mkdir(parents=True, exist_ok=True)
    workbook = Workbook()  # openpyxl keeps the strings once, shared by both rows
    for row in rows:
        workbook.active.append(row)
    workbook.save(received / "lomake.xlsx")
    (received / "lomake.csv").write_text("\n".join(";".join(row) for row in rows) + "\n",
                                         encoding="utf-8")

    forget_person(workspace, MAIJA, session=session, settings=settings_for(workspace))

    sheet = [list(row) for row in load_workbook(received / "lomake.xlsx").active.iter_rows(
        values_only=True)]
    lines = [line.split(";") for line in
             (received / "lomake.csv").read_text(encoding="utf-8").splitlines()]
    for table in (sheet, lines):
        assert table[2] == ["Maija Meikäläinen", other, switchboard], table
        assert table[1][0] == "[poistettu]" and table[1][2] == "[poistettu]", table
        assert table[1][1].startswith("erased-") and table[1][1].endswith("@invalid")


def test_a_surname_in_nen_is_found_in_every_case():
    from yhteistuumin_survey.privacy import name_pattern

    pattern = name_pattern("Maija Meikäläinen")
    for text in ("Maija Meikäläinen", "Maija Meikäläisen", "Soitettu Maija Meikäläiselle.",
                 "Maija Meikäläistä", "Maija Meikäläisenä", "Maija  Meikäläisestä",
                 "MAIJA MEIKÄLÄISELTÄ", "Maija Meikäläinenkin"):
        assert pattern.search(text), text
    for text in ("Maija Meikäläisentie 4", "Pirjo Meikäläiselle", "Maija Meikäläisyys",
                 "Maija Meikäläinenen"):
        assert not pattern.search(text), text


def test_forget_cleans_a_corrected_title_in_the_review_history_and_a_fetch_note(
        workspace, session):
    from yhteistuumin_survey.db.models import FetchedMessage, ReviewDecision

    own, _pekkas, _joint = _shared_round(session)
    session.add(ReviewDecision(practice_id=own.id, version=1, decision="approved",
                               previous_status="new", reviewer="Arvioija",
                               corrected_title="Maija Meikäläisen runopolku"))
    session.add(FetchedMessage(mailbox="imap.example.fi", folder="INBOX", uidvalidity=1, uid=7,
                               outcome="failed", detail=f"UID 7 (Vastaus {MAIJA}): cannot be read"))
    session.commit()
    assert person_report(workspace, MAIJA, session=session).sections["decisions"][0][
        "corrected_title"] == "Maija Meikäläisen runopolku"

    forget_person(workspace, MAIJA, session=session, settings=settings_for(workspace))

    session.expire_all()
    decision = session.exec(select(ReviewDecision)).one()
    fetched = session.exec(select(FetchedMessage)).one()
    assert decision.corrected_title == "[poistettu] runopolku"
    assert not AddressMatcher(MAIJA).mentions(fetched.detail)
    assert fetched.detail.startswith("UID 7 (Vastaus erased-")


def test_a_received_file_named_after_the_person_is_renamed(workspace, session):
    from yhteistuumin_survey.db.models import ReceivedFile

    make_practice(session, title="Runopolku", status="approved", publish_consent=True,
                  contact_name="Maija Meikäläinen", contact_email=MAIJA)
    received = workspace.outputs / "received" / "ab"
    received.mkdir(parents=True)
    names = ["Maija Meikäläinen vastaus.csv", "Kysely_Maija_Meikäläinen.csv"]
    for number, name in enumerate(names):
        # Pekka's row in it too: the file is kept, scrubbed.
        (received / f"{number}-{name}").write_text(
            f"email\n{MAIJA}\n{PEKKA}\n", encoding="utf-8")
        session.add(ReceivedFile(sha256=str(number) * 64, original_name=name, size=1,
                                 stored_path=f"outputs/received/ab/{number}-{name}",
                                 sender=MAIJA))
    session.commit()

    result = forget_person(workspace, MAIJA, session=session, settings=settings_for(workspace))

    session.expire_all()
    rows = [session.exec(select(ReceivedFile).where(ReceivedFile.sha256 == str(n) * 64)).one()
            for n in range(2)]
    assert [row.original_name for row in rows] == ["[poistettu] vastaus.csv",
                                                   "Kysely_[poistettu].csv"]
    for row in rows:
        stored = workspace.root / row.stored_path
        assert stored.exists() and PEKKA in stored.read_text(encoding="utf-8")
    assert not any("Meikäläinen" in path.name for path in received.iterdir())
    assert "Meikäläinen" not in json.dumps(result.to_dict(), ensure_ascii=False)


def test_a_contact_list_row_naming_two_people_keeps_the_other(workspace, session, db_url, cli):
    from yhteistuumin_survey.db.models import Contact

    contacts = workspace.root / "recipients" / "yhteystiedot.csv"
    contacts.write_text("kunta;nimi;sähköposti;puhelin\n"
                        f'Kerava;"Maija Meikäläinen; Pekka Puupää";"{MAIJA}; {PEKKA}";'
                        f'"{MAIJA_PHONE}; {PEKKA_PHONE}"\n', encoding="utf-8")
    assert cli("--db", db_url, "register", "contacts", str(contacts)).exit_code == 0

    shown = cli("--db", db_url, "person", "--format", "json", MAIJA)
    forget_person(workspace, MAIJA, session=session, settings=settings_for(workspace))

    assert shown.exit_code == 0, shown.output
    own = json.loads(shown.stdout)["sections"]["contacts"]
    assert [(c["name"], c["phone"]) for c in own] == [("Maija Meikäläinen", MAIJA_PHONE)]
    session.expire_all()
    pekka = session.exec(select(Contact).where(Contact.email == PEKKA)).one()
    assert (pekka.name, pekka.phone) == ("Pekka Puupää", PEKKA_PHONE)
    assert "Meikäläinen" not in database_text(session) and "123 4567" not in database_text(session)


def database_text(session) -> str:
    from sqlalchemy import select as sa_select
    from sqlmodel import SQLModel

    return "\n".join(repr(tuple(row)) for table in SQLModel.metadata.sorted_tables
                     for row in session.execute(sa_select(table)))
