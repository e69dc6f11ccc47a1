"""``forget`` and ``person`` tried a fifth time as data subjects would (audit5-privacy).

The access report in the citizen's language, the same message looked into once wherever it
lies, one erasure key for workspaces sharing a database, messages queued to her, her replies
on the mail server, forget by phone or name, and what a dump of the database still holds.
"""

from __future__ import annotations

from test_privacy_audit3 import _workbook

ANNA = "anna.virtanen@kunta.example.fi"
PEKKA = "pekka.korhonen@kunta.example.fi"


def _message_with(attachment: bytes, to: str = "kirjaamo@kunta.example.fi",
                  extra: str = "") -> bytes:
    from email.message import EmailMessage

    message = EmailMessage()
    message["From"] = "kysely@yhteistuumin.example.fi"
    message["To"] = to
    message["Subject"] = "Kysely" + extra
    message.set_content("Hyvä vastaanottaja, kysely on liitteenä.")
    message.add_attachment(attachment, maintype="application",
                           subtype="vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                           filename="091-helsinki.xlsx")
    return message.as_bytes()


# --- 1. the same content, looked into once, is named wherever it lies ---------------------------


def test_person_names_every_copy_of_one_message_and_its_attachment_in_and_outside_outputs(
        workspace, session):
    """A message copy under outbox/ is byte for byte the one the coordinator's mailbox folder
    holds, and its attachment is the questionnaire under questionnaires/: each content is
    looked into once, and every file holding it is named, whichever was looked at first."""
    from yhteistuumin_survey.person import person_report

    attachment = _workbook(["Yhteyshenkilö", "Anna Virtanen"], ["Sähköposti", ANNA])
    other = _workbook(["Yhteyshenkilö", "Pekka Korhonen"], ["Sähköposti", PEKKA])
    message = _message_with(attachment)
    places = {"outputs/outbox/r/sent/091-invite-0-1.eml": message,
              "outputs/questionnaires/091-helsinki.xlsx": attachment,
              "mailbox/00001-kirjaamo.eml": message,
              "mailbox/00002-kirjaamo.eml": _message_with(attachment, extra=" (muistutus)"),
              "mailbox/00003-pekka.eml": _message_with(other),
              "outputs/outbox/r/sent/092-invite-0-2.eml": _message_with(other)}
    for name, data in places.items():
        path = workspace.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)

    files = {row["file"] for row in person_report(workspace, ANNA, session=session)
             .sections["files"]}

    assert files == {"outputs/outbox/r/sent/091-invite-0-1.eml",
                     "outputs/questionnaires/091-helsinki.xlsx",
                     "mailbox/00001-kirjaamo.eml", "mailbox/00002-kirjaamo.eml"}


# --- 2. the access report in the citizen's language ---------------------------------------------


def _annas_published_practice(workspace, session, *, consent: bool = True):
    from factories import make_practice
    from publish_support import settings_for

    from yhteistuumin_survey.db.models import Contact
    from yhteistuumin_survey.publish import publish_site

    practice = make_practice(session, title="Lukupiiri", status="approved",
                             publish_consent=consent, contact_name="Anna Virtanen",
                             contact_email=ANNA, contact_phone="040 111 2233")
    session.add(Contact(municipality_code="049", email=ANNA, name="Anna Virtanen",
                        source_file="recipients/yhteystiedot.xlsx", source_row=4))
    session.commit()
    publish_site(workspace, session=session, settings=settings_for(workspace))
    session.commit()
    return practice


def test_person_answers_in_the_rounds_language_finnish_by_default(workspace, session, db_url,
                                                                   cli, tmp_path):
    """A Finnish round's access report is Finnish: the sections, the summary with its numbers
    inflected, the notice, the row's keys and codes, and the workbook's sheets."""
    import json

    from openpyxl import load_workbook

    practice = _annas_published_practice(workspace, session)
    out = tmp_path / "anna.xlsx"

    table = cli("--db", db_url, "person", ANNA, "--out", str(out))
    data = json.loads(cli("--db", db_url, "person", ANNA, "--format", "json").stdout)

    assert table.exit_code == 0, table.output
    lines = table.stdout.splitlines()
    assert (f"Sinusta (osoite {ANNA}) on tallennettu: 1 yhteystieto, 1 vastaanotettu "
            "tiedosto, 1 käytäntö.") in lines
    assert any(line.startswith("Yhteystietosi ja mistä ne on saatu") and "kunta: 049" in line
               and "tila: voimassa" in line for line in lines)
    assert any(line.startswith("Käytännöt, joiden yhteyshenkilö olet") and
               "rooli: yhteyshenkilö" in line and "julkaisulupa: kyllä" in line and
               f"julkaistu: julkisella sivustolla (sivu {practice.id}-lukupiiri), nimesi, "
               "osoitteesi ja puhelinnumerosi kanssa" in line for line in lines)
    assert "Rekisterinpitäjä: Espoon kaupunki, Kulttuuria yhteistuumin -ohjelma. Tietojasi " \
           "koskevat kysymykset: koordinaattori@yhteistuumin.example.fi." in lines
    assert ("Kuka tiedot on nähnyt: Kyselyn koordinaattori. Kyselyn arvioijat, jotka arvioivat "
            f"jokaisen käytännön. Kuka tahansa sivuston kävijä: käytäntö {practice.id} on "
            f"julkisella sivustolla (sivu {practice.id}-lukupiiri), nimesi, osoitteesi ja "
            "puhelinnumerosi kanssa.") in lines
    assert any(line.startswith("Oikeutesi: ") and "tietosuojavaltuutetulle" in line
               for line in lines)
    assert f"Raportti kirjoitettiin tiedostoon {out}." in lines
    for english in ("Held about", "Who holds it", "Contact details", "practice", "your"):
        assert english not in table.stdout
    # JSON: the same words, its keys and codes as ever (for machines).
    assert data["language"] == "fi"
    assert data["sections"]["contacts"][0]["status"] == "valid"
    assert data["sections"]["practices"][0]["consent_to_publish"] is True
    assert data["notice"]["your_rights"].startswith("Voit pyytää tietojesi korjaamista")
    book = load_workbook(out)
    assert book.sheetnames[:3] == ["tietoja", "yhteystiedot", "viestit"]
    assert book["tietoja"]["A1"].value == "Rekisterinpitäjä"
    header = [cell.value for cell in book["yhteystiedot"][2]]
    assert header[:3] == ["kunta", "sähköposti", "nimi"]
    assert book["yhteystiedot"].cell(row=3, column=header.index("tila") + 1).value == "voimassa"


def test_person_answers_in_swedish_when_asked_or_when_the_round_is_swedish(
        workspace, session, db_url, cli):
    """--lang sv, or a Swedish round: the report in Swedish, without consent said as such."""
    _annas_published_practice(workspace, session, consent=False)
    config = workspace.root / "yhteistuumin.toml"

    asked = cli("--db", db_url, "person", ANNA, "--lang", "sv")
    config.write_text(config.read_text(encoding="utf-8").replace(
        '# language = "fi"', 'language = "sv"'), encoding="utf-8")
    swedish_round = cli("--db", db_url, "person", ANNA)

    assert asked.exit_code == 0, asked.output
    assert swedish_round.stdout == asked.stdout
    lines = asked.stdout.splitlines()
    assert (f"Om dig (adressen {ANNA}) finns sparat: 1 kontaktuppgift, 1 mottagen fil, "
            "1 praxis.") in lines
    assert any("roll: kontaktperson" in line and "samtycke till publicering: nej" in line
               and "utan dina kontaktuppgifter (du har inte gett ditt samtycke till det)" in line
               for line in lines)
    assert ("Vem som har sett uppgifterna: Enkätens koordinator. Enkätens granskare, som "
            "bedömer varje praxis. Ingenting om dig finns på den offentliga webbplatsen (din "
            "praxis är publicerad utan dina kontaktuppgifter).") in lines
    assert any(line.startswith("Dina rättigheter: ") and "dataombudsmannen" in line
               for line in lines)
    assert cli("person", ANNA, "--lang", "de").exit_code == 1


def test_person_counts_are_inflected_in_finnish_and_swedish(workspace, session):
    """'1 tiedosto', '2 tiedostoa'; '1 fil', '2 filer'."""
    from yhteistuumin_survey.person import PersonReport

    report = PersonReport(email=ANNA, lang="fi",
                          sections={"practices": [{"practice": 1}],
                                    "files": [{"file": "a"}, {"file": "b"}], "erasures": []})
    assert report.summary() == [
        f"Sinusta (osoite {ANNA}) on tallennettu: 1 käytäntö, 2 tiedostoa."]
    report.sections = {"practices": [{"practice": 1}, {"practice": 2}], "files": [{"file": "a"}]}
    assert report.summary() == [f"Sinusta (osoite {ANNA}) on tallennettu: 2 käytäntöä, 1 tiedosto."]
    report.lang = "sv"
    assert report.summary() == [f"Om dig (adressen {ANNA}) finns sparat: 2 praxis, 1 fil."]


def test_every_text_of_the_access_report_has_three_languages_and_the_same_values():
    import re

    from yhteistuumin_survey import person_texts as texts

    for table in (texts.SECTIONS, texts.NOTICE_LABELS, texts.WHY, texts.SAY, texts.SHEETS):
        for code, text in table.items():
            values = set(re.findall(r"\{(\w+)\}", text.en))
            for lang in ("fi", "sv"):
                said = text.template(lang)
                assert said and said != text.en, (code, lang)
                assert set(re.findall(r"\{(\w+)\}", said)) == values, (code, lang)
    for sheet in texts.SHEETS.values():
        assert max(len(sheet.fi), len(sheet.sv)) <= 31
    for lang in ("fi", "sv"):
        assert set(texts.NOUNS[lang]) == set(texts.SECTIONS)


#: Names and marks in the Finnish texts that are no Finnish words.
_NOT_WORDS = {"Kulttuuria", "yhteistuumin", "tietosuoja", "fi", "outputs", "erasure-key"}


def test_every_word_of_the_finnish_access_report_is_a_finnish_word_for_voikko(voikko):
    import re

    from yhteistuumin_survey import person_texts as texts

    phrases = [text.fi for table in (texts.SECTIONS, texts.NOTICE_LABELS, texts.WHY, texts.SAY,
                                     texts.SHEETS) for text in table.values()]
    phrases += [word for pair in texts.NOUNS["fi"].values() for word in pair]
    phrases += [*texts.KEYS["fi"].values(), *map(str, texts.VALUES["fi"].values())]
    unknown = set()
    for phrase in phrases:
        words = re.sub(r"\{[a-z_]+\}", " ", phrase)
        unknown |= {word for word in re.findall(r"[^\W\d_]+(?:-[^\W\d_]+)*", words)
                    if word not in _NOT_WORDS and not voikko.spell(word)}
    assert unknown == set()


# --- 3. two workspaces on one database: one erasure key ---------------------------------------


def test_two_workspaces_on_one_database_tell_an_erasure_made_with_the_others_key(
        workspace, session, db_url, tmp_path):
    """Two coordinators, each with a workspace, share one database (DESIGN: PostgreSQL when
    several people share one). An erasure made in one is recorded with its key; the other's
    person cannot match it and now says so and what to do, forget says it before erasing,
    and once the key is copied the erasure is found there too."""
    import shutil

    from publish_support import settings_for

    from yhteistuumin_survey.db.models import Contact
    from yhteistuumin_survey.person import person_report
    from yhteistuumin_survey.privacy import KEY_FILE, forget_person
    from yhteistuumin_survey.workspace import Workspace, init_workspace

    session.add(Contact(municipality_code="049", email=ANNA, name="Anna Virtanen"))
    session.add(Contact(municipality_code="091", email=PEKKA, name="Pekka Korhonen"))
    session.commit()
    other = Workspace(init_workspace(tmp_path / "toinen").root)
    forget_person(workspace, ANNA, session=session, settings=settings_for(workspace))
    other_key = other.outputs / KEY_FILE
    other_key.parent.mkdir(parents=True, exist_ok=True)
    other_key.write_bytes(b"0" * 64 + b"\n")  # the other workspace's own key, made earlier

    there = person_report(other, ANNA, session=session, lang="en")
    preview = forget_person(other, PEKKA, session=session, settings=settings_for(other),
                            dry_run=True)

    assert there.sections["erasures"] == []
    assert there.unmatched_erasures == 1
    assert there.summary()[-1].startswith(
        "1 of the erasures in this database were recorded with another erasure key than this "
        "workspace's")
    assert "Copy the key of the workspace that made them to outputs/.erasure-key" \
        in there.summary()[-1]
    assert preview.remains[0].startswith("1 earlier erasure in this database was recorded with "
                                         "another erasure key")
    here = person_report(workspace, ANNA, session=session, lang="fi")
    assert len(here.sections["erasures"]) == 1 and here.unmatched_erasures == 0
    assert "poistoavaimella" not in " ".join(here.summary())

    shutil.copyfile(workspace.outputs / KEY_FILE, other_key)

    copied = person_report(other, ANNA, session=session, lang="fi")
    assert len(copied.sections["erasures"]) == 1 and copied.unmatched_erasures == 0
    assert forget_person(other, PEKKA, session=session, settings=settings_for(other),
                         dry_run=True).remains[:1] != preview.remains[:1]


# --- 4. messages queued to her, and a reminder due, when she is forgotten ----------------------


def _send(session, settings, server, kind: str, now=None):
    from send_support import composer

    from yhteistuumin_survey.mailer import plan_round, send_round
    from yhteistuumin_survey.smtp_auth import SmtpOptions, SmtpSession

    plan = plan_round(session=session, settings=settings, kind=kind, now=now)
    with SmtpSession(SmtpOptions("127.0.0.1", server.port, "none")) as transport:
        return send_round(plan, session=session, settings=settings,
                          compose=composer(session, settings), transport=transport,
                          sleep=lambda seconds: None), plan


def test_nothing_is_sent_to_her_after_forget_queued_invitation_or_reminder_due(
        workspace, session):
    """Her invitation is left queued (the provider's quota stopped the batch at her), and a
    colleague's reminder comes due. After forget: the next send and reminder go to the others
    only (real SMTP), nothing is sent to her or to the address that replaced hers, and her
    row is not left counted as 'queued for the next run'."""
    import datetime as dt

    from publish_support import settings_for
    from send_support import mail_server
    from sqlmodel import delete, select

    from yhteistuumin_survey.db.models import Contact, OutboundMessage
    from yhteistuumin_survey.privacy import forget_person

    session.exec(delete(Contact))
    session.add(Contact(municipality_code="049", email=ANNA, name="Anna Virtanen"))
    session.add(Contact(municipality_code="091", email=PEKKA, name="Pekka Korhonen"))
    session.add(Contact(municipality_code="092", email="kirjaamo@vantaa.example.fi"))
    session.commit()
    settings = settings_for(workspace)
    everyone = {ANNA, PEKKA, "kirjaamo@vantaa.example.fi"}
    with mail_server(pipelining=True) as server:
        server.faults.data_replies = {ANNA: ["550 5.4.5 Daily user sending quota exceeded"]}
        first, _plan = _send(session, settings, server, "invite")
        assert first.stopped and "quota" in first.stopped
        session.expire_all()
        assert {r.address: r.state for r in session.exec(select(OutboundMessage))}[ANNA] \
            == "queued"

        result = forget_person(workspace, ANNA, session=session, settings=settings)
        assert not result.failed
        session.expire_all()
        invite, plan = _send(session, settings, server, "invite")
        later = dt.datetime.now(dt.UTC) + dt.timedelta(days=30)
        remind, remind_plan = _send(session, settings, server, "remind", now=later)

    sent_to = set(server.recipients)
    assert ANNA not in sent_to and not any(a.endswith("@invalid") for a in sent_to)
    assert sent_to == everyone - {ANNA}
    assert server.received_by()[PEKKA] == 2  # invited, then reminded
    assert not any("anna" in raw.decode("utf-8", "replace").casefold() for raw in server.raw)
    assert all(m.address != ANNA and not m.address.endswith("@invalid")
               for m in [*plan.to_send, *remind_plan.to_send])
    assert "queued for the next run" not in " ".join([*invite.summary(), *remind.summary()])


# --- 5. her replies on the mail server ----------------------------------------------------------


def _question_from(sender: str, name: str, n: int) -> bytes:
    return (f"From: {name} <{sender}>\r\nTo: koordinaattori@yhteistuumin.example.fi\r\n"
            f"Subject: Kysymys {n}\r\nDate: Thu, 3 Dec 2026 15:02:00 +0200\r\n"
            f"Message-ID: <question-{n}@kunta.example.fi>\r\nMIME-Version: 1.0\r\n"
            "Content-Type: text/plain; charset=\"utf-8\"\r\n\r\n"
            f"Hei,\r\n\r\nehdimmekö vastata vielä tammikuussa?\r\n\r\n{name}\r\n").encode()


def test_forget_names_her_messages_still_on_the_mail_server_by_folder_and_uid(
        cli, workspace, dovecot):
    """fetch read two questions from her and one from a colleague, and never deletes on the
    server. forget (and its dry run) says the two are still there, in which account and
    folder, by UID, and to delete them there; the colleague's is not named."""
    dovecot.append(_question_from(ANNA, "Anna Virtanen", 1))
    dovecot.append(_question_from(PEKKA, "Pekka Korhonen", 2))
    dovecot.append(_question_from(ANNA, "Anna Virtanen", 3))
    fetched = cli("fetch", env=dovecot.env("starttls"))
    assert fetched.exit_code == 0, fetched.output

    dry = cli("forget", ANNA, "--dry-run")
    done = cli("forget", ANNA, "--yes")
    again = cli("forget", ANNA, "--dry-run")

    said = (f"2 messages on the mail server {dovecot.user}@127.0.0.1, folder INBOX (UID 1, 3), "
            "hold this person: fetch read them and never deletes on the server. Delete them "
            "there, in the mail client or webmail")
    assert done.exit_code == 0, done.output
    for result in (dry, done):
        assert said in " ".join(result.stdout.split()), result.stdout
    assert "UID 2" not in done.stdout
    assert set(dovecot.messages()) == {1, 2, 3}  # forget changes nothing on the server
    # Her copies under outputs/mailbox/ are gone: the erasure record says it again (a dry
    # run, or a run to be sure), with the mailbox's numbers only, none of her data.
    rerun = cli("forget", ANNA, "--yes")
    assert rerun.exit_code == 0, rerun.output
    for result in (again, rerun):
        # Said as what it is: nothing left here, her messages on the server still hers to
        # delete (it said "Nothing to erase" above the lines naming them).
        text = " ".join(result.stdout.split())
        assert "Nothing to erase" not in text
        assert ("Nothing left to erase here: the address is nowhere in the database or under "
                "outputs/ any more. The 2 messages on the mail server named below remain for "
                "you to delete there.") in text, result.stdout
        assert (f"2 messages on the mail server {dovecot.user}@127.0.0.1, folder INBOX (UID 1, "
                "3) hold this person: an earlier forget erased their copies here, but fetch "
                "never deletes on the server. Delete them there, in the mail client or "
                "webmail") in text, result.stdout
        assert "forget erases the copies" not in text
        assert "UID 2" not in result.stdout
    import json

    # The count is in the JSON too, for a script that checks what is left to do by hand.
    shown = json.loads(cli("forget", ANNA, "--dry-run", "--format", "json").stdout)
    assert shown["on_server"] == 2 and shown["places"] == []
    import sqlite3

    database = sqlite3.connect(workspace.outputs / "yhteistuumin.sqlite")
    try:
        (recorded,) = database.execute("SELECT on_server FROM erasure").fetchone()
    finally:
        database.close()
    assert json.loads(recorded) == [[f"{dovecot.user}@127.0.0.1", "INBOX", 1, True],
                                    [f"{dovecot.user}@127.0.0.1", "INBOX", 3, True]]
    assert "anna" not in recorded.lower() and "virtanen" not in recorded.lower()


# --- 6. what left the workspace: review workbooks handed out, the site copied elsewhere --------


def test_forget_and_person_name_the_review_workbook_handed_to_reviewers_with_its_date(
        workspace, session, db_url, cli):
    """The review workbook holding her was exported for the reviewers: forget cleans it here
    and says the copies handed out still hold her, naming the file and when it was made;
    it also says to put the republished site where it is served. person lists the workbook
    as made for the reviewers."""
    import datetime as dt
    import os
    import re

    from factories import make_practice

    make_practice(session, title="Lukupiiri", status="new", publish_consent=True,
                  contact_name="Anna Virtanen", contact_email=ANNA, contact_phone="040 111 2233")
    approved = make_practice(session, title="Kirjastokino", status="approved",
                             publish_consent=True, contact_name="Anna Virtanen",
                             contact_email=ANNA)
    assert approved.id
    assert cli("--db", db_url, "publish").exit_code == 0
    exported = cli("--db", db_url, "review", "export")
    assert exported.exit_code == 0, exported.output
    (workbook,) = (workspace.outputs / "review").glob("*.xlsx")
    made = dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.UTC).timestamp()  # 11:30 in Helsinki
    os.utime(workbook, (made, made))

    person = cli("--db", db_url, "person", ANNA, "--lang", "fi")
    done = cli("--db", db_url, "forget", ANNA, "--yes")

    assert (f"tiedosto: outputs/review/{workbook.name}; huomautus: tehty arvioijille "
            "1.12.2026 klo 11.30 (Suomen aikaa, UTC+2): heille annetuissa kopioissa voi yhä "
            "olla tietojasi") in " ".join(person.stdout.split())
    assert done.exit_code == 0, done.output
    said = " ".join(done.stdout.split())
    # Said as person says it: Finland's time, the zone named.
    assert (f"Review workbook outputs/review/{workbook.name} (made 2026-12-01 11:30 (Finnish "
            "time, UTC+2)) is cleaned "
            "here, but the copies handed to the reviewers (by mail, on a shared drive, on their "
            "computers) still hold this person: ask the reviewers to delete them") in said
    assert re.search(r"The site and its CMS Markdown are published again here: where they were "
                     r"copied to a web server or imported into the website's CMS, put them "
                     r"there again", said)


# --- 7. exactly her in the access report: a colleague in the same cell ------------------------


def test_person_json_shows_nothing_of_a_colleague_in_the_same_contact_cells(
        workspace, session, db_url, cli):
    """The answer named two contacts in one cell ("Anna Virtanen, Pekka Korhonen", both
    addresses, both phones) and a reviewer's note names Pekka: Anna's report, printed or as
    JSON, shows her own part only."""
    from factories import make_practice
    from sqlmodel import select

    from yhteistuumin_survey.db.models import PracticeVersion, ReviewDecision

    practice = make_practice(
        session, title="Lukupiiri", status="new", publish_consent=True,
        contact_name="Anna Virtanen, Pekka Korhonen", contact_email=ANNA,
        contact_phone="040 111 2233",
        contact_text=f"Anna Virtanen, Pekka Korhonen; {ANNA}; {PEKKA}; "
                     "040 111 2233 / 050 222 3344")
    session.add(ReviewDecision(practice_id=practice.id, version=1, decision="needs-info",
                               previous_status="new",
                               comment="Soitin Pekka Korhoselle, 050 222 3344; Anna lomalla"))
    session.commit()

    shown = cli("--db", db_url, "person", ANNA, "--lang", "en", "--format", "json")
    printed = cli("--db", db_url, "person", ANNA)

    assert shown.exit_code == 0, shown.output
    for output in (shown.stdout, printed.stdout):
        assert "Anna Virtanen" in output
        for theirs in ("Pekka", "Korho", PEKKA, "050 222 3344", "0502223344"):
            assert theirs not in output, (theirs, output)

    # And forget takes exactly her: Pekka stays in the note and the contact text.
    assert cli("--db", db_url, "forget", ANNA, "--yes").exit_code == 0
    session.expire_all()
    (note,) = session.exec(select(ReviewDecision)).all()
    (kept,) = session.exec(select(PracticeVersion).where(
        PracticeVersion.practice_id == practice.id)).all()
    assert note.comment.startswith("Soitin Pekka Korhoselle, 050 222 3344; ")
    assert "Anna" not in note.comment
    assert PEKKA in kept.contact_text and "Pekka Korhonen" in kept.contact_text
    assert ANNA not in kept.contact_text and "Anna" not in kept.contact_text



def test_her_name_is_found_by_her_address_when_the_names_are_typed_in_another_order(
        workspace, session):
    """The names in one order, the addresses in the other: her own part is the name her
    address spells, not the one at the same place."""
    from factories import make_practice

    from yhteistuumin_survey.person import person_report

    make_practice(session, title="Lukupiiri", status="new", publish_consent=True,
                  contact_name="Anna Virtanen, Pekka Korhonen", contact_email=ANNA,
                  contact_phone="040 111 2233",
                  contact_text=f"Anna Virtanen, Pekka Korhonen; {PEKKA}; {ANNA}")

    (row,) = person_report(workspace, ANNA, session=session).sections["practices"]

    assert row["contact_name"] == "Anna Virtanen"
    assert "Pekka" not in str(row)

# --- 8. a dump of the database after forget: her address, name and phone in no form ------------


def _dump(db_url: str, session) -> str:
    """The whole database as its own tool dumps it: sqlite3's .dump, PostgreSQL's pg_dump."""
    import shutil
    import sqlite3
    import subprocess

    from sqlalchemy.engine import make_url

    url = make_url(db_url)
    session.close()
    if url.get_backend_name() == "sqlite":
        with sqlite3.connect(str(url.database)) as connection:
            return "\n".join(connection.iterdump())
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        from ci_support import unavailable

        unavailable("pg_dump is not installed")
    return subprocess.run([str(pg_dump), "-h", str(url.host), "-p", str(url.port), "-U",
                           str(url.username), "--no-owner", str(url.database)], check=True,
                          capture_output=True, text=True, timeout=120).stdout


def test_a_dump_of_the_database_after_forget_holds_her_in_no_form(workspace, session, db_url,
                                                                   cli):
    """Her contact, her practice, a note calling her by an inflected name, a bounce, a message
    record and a coordinator's record name her in several forms; after forget the database's
    own dump shows none of them, and Pekka's details are all still there."""
    from factories import make_practice

    from yhteistuumin_survey.db.models import Bounce, Contact, OutboundMessage, ReviewDecision

    session.add(Contact(municipality_code="049", email=ANNA.upper(), name="VIRTANEN ANNA",
                        phone="+358 40 111 2233"))
    session.add(Contact(municipality_code="091", email=PEKKA, name="Pekka Korhonen",
                        phone="050 222 3344"))
    practice = make_practice(session, title="Lukupiiri", publish_consent=True,
                             contact_name="Anna Virtanen", contact_email=ANNA,
                             contact_phone="0401112233")
    session.add(ReviewDecision(practice_id=practice.id, version=1, decision="needs-info",
                               previous_status="new",
                               comment="Soitettu Anna Virtaselle (040-111 2233); "
                                       "kysy myös Pekka Korhoselta 050 222 3344"))
    session.add(Bounce(message_key="<lomalla-1@kunta.example.fi>", address=ANNA,
                       classification="auto-reply",
                       detail="Anna Virtanen on lomalla, kiireelliset: pekka.korhonen@"
                              "kunta.example.fi"))
    session.add(OutboundMessage(round_name="r", municipality_code="049", address=ANNA,
                                kind="invite", state="sent",
                                smtp_response=f"250 2.0.0 OK <{ANNA}>"))
    session.commit()
    url = db_url

    done = cli("--db", url, "forget", ANNA, "--yes")
    dump = _dump(url, session)

    assert done.exit_code == 0, done.output
    folded = dump.casefold()
    for hers in ("anna.virtanen", "anna virtanen", "virtanen anna", "virtasel", "0401112233",
                 "40 111 2233", "040-111 2233"):
        assert hers not in folded, hers
    for his in (PEKKA, "Pekka Korhonen", "Pekka Korhoselta 050 222 3344"):
        assert his in dump, his


# --- 9. a scrubbed rich-text cell keeps each run's format ----------------------------------------


def test_a_rich_text_cell_loses_her_run_and_keeps_the_others_formats(workspace, session):
    """A review copy's cell: "Kysy: " in italics, her address in bold, " tai ", Pekka's
    address underlined. After forget her address is gone and each other run keeps its own
    format (before, the whole cleaned text took the first run's italics)."""
    from openpyxl import Workbook, load_workbook
    from openpyxl.cell.rich_text import CellRichText, TextBlock
    from openpyxl.cell.text import InlineFont
    from publish_support import settings_for

    from yhteistuumin_survey.privacy import forget_person

    path = workspace.outputs / "review" / "arviointi-kopio.xlsx"
    path.parent.mkdir(parents=True, exist_ok=True)
    book = Workbook()
    book.active["A1"] = CellRichText([TextBlock(InlineFont(i=True), "Kysy: "),
                                      TextBlock(InlineFont(b=True), ANNA), " tai ",
                                      TextBlock(InlineFont(u="single"), PEKKA)])
    book.save(path)

    forget_person(workspace, ANNA, session=session, settings=settings_for(workspace))

    cell = load_workbook(path, rich_text=True).active["A1"].value
    runs = [(block.text, bool(block.font.i), bool(block.font.b), block.font.u)
            if isinstance(block, TextBlock) else (block, False, False, None) for block in cell]
    assert ANNA not in str(cell)
    assert runs[0] == ("Kysy: ", True, False, None)
    assert runs[1][1:] == (False, True, None)  # what replaced her address, still bold
    assert runs[2][0] == " tai "
    assert runs[-1] == (PEKKA, False, False, "single")


def test_forget_says_the_web_forms_participant_list_left_the_workspace(
        workspace, session, db_url, cli):
    """LimeSurvey's participant list holds her address: cleaned here, and forget says the
    list imported into LimeSurvey still holds her."""
    from yhteistuumin_survey.db.models import Contact

    session.add(Contact(municipality_code="049", email=ANNA, name="Anna Virtanen"))
    session.commit()
    made = cli("--db", db_url, "survey", "webform", "limesurvey")
    assert made.exit_code == 0, made.output
    (participants,) = (workspace.outputs / "webform").rglob("*participants.csv")
    assert ANNA in participants.read_text(encoding="utf-8")

    done = cli("--db", db_url, "forget", ANNA, "--yes")

    assert done.exit_code == 0, done.output
    assert ANNA not in participants.read_text(encoding="utf-8")
    assert (f"The web form's file {participants.relative_to(workspace.root).as_posix()} is "
            "cleaned here, but a participant list imported into the form tool (LimeSurvey's "
            "survey participants) still holds this person there") in " ".join(
                done.output.split()), done.output
