"""``forget`` and ``person`` tried an eighth time as a data subject would (audit8-privacy).

Her address hidden from harvesters as an HTML character reference in a file that is not XML,
the display name her mail program put before her address in a header, and an address that
differs from hers only by a "+tag" (is it hers? flagged, never guessed).
"""

from __future__ import annotations

from email.message import EmailMessage

from publish_support import settings_for

from yhteistuumin_survey.privacy import forget_person

HERS = "koulu@hel.example.fi"
OTHER = "kalle.koulu@hel.example.fi"


def _write(path, data: bytes | str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)


# --- 1. "koulu&#64;hel.example.fi" outside XML -----------------------------------------------


def test_an_address_written_as_a_character_reference_is_erased_outside_xml(workspace, session):
    """A CSV, a plain text and an HTML mail body that does not start with a tag hold her
    address with its at sign as "&#64;" / "&#x40;" / "&commat;": each loses it, and the other
    person's address, written the same way, stays (the file is kept, not deleted)."""
    reports = workspace.outputs / "reports"
    _write(reports / "yhteystiedot.csv",
           f"nimi,osoite\nX,koulu&#64;hel.example.fi\nY,{OTHER.replace('@', '&#64;')}\n")
    _write(reports / "muistio.txt",
           f"koulu&#x40;hel.example.fi ja koulu&commat;hel.example.fi; {OTHER}\n")
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = OTHER, "kysely@example.fi", "Vastaus"
    message.set_content("Hei,<br>osoitteeni on koulu&#64;hel.example.fi<br>Kalle",
                        subtype="html", cte="quoted-printable")
    _write(reports / "viesti.eml", message.as_bytes())

    result = forget_person(workspace, HERS, session=session, settings=settings_for(workspace))

    csv_text = (reports / "yhteystiedot.csv").read_text(encoding="utf-8")
    assert "koulu&#64;hel.example.fi" not in csv_text.replace("kalle.koulu&#64;", "")
    assert OTHER.replace("@", "&#64;") in csv_text
    note = (reports / "muistio.txt").read_text(encoding="utf-8")
    assert "&#x40;" not in note and "&commat;" not in note and OTHER in note
    assert note.count(f"erased-{result.subject_hash[:8]}@invalid") == 2
    mail = (reports / "viesti.eml").read_bytes()
    assert b"koulu&#64;" not in mail and b"koulu=26#64;" not in mail
    shown = {place.where for place in result.places}
    assert {"outputs/reports/yhteystiedot.csv", "outputs/reports/muistio.txt",
            "outputs/reports/viesti.eml"} <= shown


# --- 2. the display name her mail program put before her address -----------------------------


def test_the_display_name_before_her_address_in_a_header_goes_with_it(workspace, session):
    """Her mail program calls her "Lähettilä" or "Koulu, K." (not the name stored for her):
    in From/To/Cc that name is hers, so it goes with the address; the other person's name
    and address in the same header stay."""
    import email
    from email.policy import default

    raw = ("From: \"Koulu, K.\" <KOULU@hel.example.fi>\r\n"
           f"To: =?utf-8?q?L=C3=A4hettil=C3=A4?= <{HERS}>, \"Kalle Koulu\" <{OTHER}>\r\n"
           f"Cc: {HERS} (K. Koulu, kulttuuri)\r\n"
           "Subject: Vastaus\r\nMIME-Version: 1.0\r\n"
           "Content-Type: text/plain; charset=utf-8\r\n\r\nTerveisin\r\n")
    path = workspace.outputs / "reports" / "viesti.eml"
    _write(path, raw)

    forget_person(workspace, HERS, session=session, settings=settings_for(workspace))

    message = email.message_from_bytes(path.read_bytes(), policy=default)
    headers = " | ".join(str(message[name]) for name in ("From", "To", "Cc"))
    for hers in ("Koulu, K.", "Lähettilä", "K. Koulu", "kulttuuri"):
        assert hers not in headers
    assert headers.casefold().replace(OTHER, "").count("koulu@") == 0
    assert f"Kalle Koulu <{OTHER}>" in headers
    assert "Terveisin" in message.get_content()


# --- 3. "koulu+kulttuuri@…": hers or not? flagged, never guessed -------------------------------


def test_an_address_hers_but_for_a_plus_tag_is_left_alone_and_named_to_the_coordinator(
        workspace, session, db_url, cli):
    """Most mail servers deliver "koulu+kulttuuri@…" to koulu@…'s mailbox, but it may be a
    colleague's alias: forget leaves its practice alone and says so, with the command to run
    if it is hers; person shows her nothing of it and tells the coordinator on stderr. An
    address that only holds hers ("kalle.koulu@…") is not named."""
    import json

    from factories import make_practice
    from sqlmodel import select

    from yhteistuumin_survey.db.models import PracticeVersion

    tagged = "Koulu+Kulttuuri@hel.example.fi"
    make_practice(session, title="Kulttuurikaveri", contact_name="Kerttu Koulu",
                  contact_email=HERS, contact_phone="040 111 2233")
    make_practice(session, title="Lukupiiri", contact_name="K. Koulu",
                  contact_email=tagged, contact_phone="050 999 8877")
    make_practice(session, title="Soitinlainaamo", contact_name="Kalle Koulu",
                  contact_email=OTHER)

    seen = cli("--db", db_url, "person", "--lang", "fi", "--format", "json", HERS)
    assert seen.exit_code == 0, seen.output
    assert "kulttuuri@" not in seen.stdout.casefold() and "Lukupiiri" not in seen.stdout
    assert (f"{tagged.casefold()}: the same address as hers but for a '+tag' is in 1 row of "
            "the database") in seen.stderr
    assert f"run 'yhteistuumin person {tagged.casefold()}' too" in seen.stderr
    assert "kalle.koulu" not in seen.stderr

    done = cli("--db", db_url, "forget", "--yes", "--format", "json", HERS)
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["tagged"] == {tagged.casefold(): 1}
    said = cli("--db", db_url, "forget", "--dry-run", HERS)
    assert f"run 'yhteistuumin forget {tagged.casefold()}' too" in said.stdout
    session.expire_all()
    kept = session.exec(select(PracticeVersion).where(
        PracticeVersion.contact_email == tagged)).one()
    assert (kept.contact_name, kept.contact_phone) == ("K. Koulu", "050 999 8877")


# --- 4. an attachment named after her address, in RFC 2231's form ------------------------------


def test_an_attachment_named_after_her_in_rfc2231_form_loses_her_address(workspace, session):
    """A mail program names a long or non-ASCII attachment name in RFC 2231's form
    ("filename*=utf-8''koulu%40hel.example.fi%20vastaus.txt"): the address is there
    percent-encoded after a quote; in "koulu@hel.example.fi.txt" the extension reads as part
    of the domain. forget finds and renames both; the other person's attachment keeps its
    name."""
    import email

    raw = ("From: kysely@example.fi\r\nTo: kirjaamo@hel.example.fi\r\nSubject: Vastaukset\r\n"
           "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=RAJA\r\n\r\n"
           "--RAJA\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nLiitteet.\r\n"
           "--RAJA\r\nContent-Type: application/octet-stream\r\n"
           "Content-Disposition: attachment; "
           "filename*=utf-8''koulu%40hel.example.fi%20vastaus-%C3%A4.txt\r\n\r\nvastaus\r\n"
           "--RAJA\r\nContent-Type: application/octet-stream; "
           "name=\"=?utf-8?q?koulu=40hel.example.fi.txt?=\"\r\n\r\nvastaus 2\r\n"
           "--RAJA\r\nContent-Type: application/octet-stream\r\n"
           f"Content-Disposition: attachment; filename=\"{OTHER}.txt\"\r\n\r\nmuu\r\n"
           "--RAJA--\r\n")
    path = workspace.outputs / "outbox" / "talletettu.eml"
    _write(path, raw)

    result = forget_person(workspace, HERS, session=session, settings=settings_for(workspace))

    assert "outputs/outbox/talletettu.eml" in {place.where for place in result.places}
    message = email.message_from_bytes(path.read_bytes())
    names = [part.get_filename() or part.get_param("name") for part in message.walk()
             if not part.is_multipart()][1:]
    assert names == [f"erased-{result.subject_hash[:8]}@invalid vastaus-ä.txt",
                     f"erased-{result.subject_hash[:8]}@invalid.txt", f"{OTHER}.txt"]
    assert b"koulu%40hel" not in path.read_bytes()


def test_a_kept_file_named_after_her_address_and_an_extension_is_renamed(workspace, session):
    """"koulu@hel.example.fi.csv" (a report saved under her address): the extension ends the
    name, it is not a longer domain; the file holds someone else's row too, so it is kept, and
    its name loses her. "koulu@hel.example.fi.invalid.txt" is someone else's and stays."""
    reports = workspace.outputs / "reports"
    _write(reports / f"{HERS}.csv", f"osoite\n{HERS}\n{OTHER}\n")
    _write(reports / "koulu@hel.example.fi.invalid.txt", f"{OTHER}\n")

    result = forget_person(workspace, HERS, session=session, settings=settings_for(workspace))

    assert sorted(path.name for path in reports.iterdir()) == [
        f"erased-{result.subject_hash[:8]}@invalid.csv", "koulu@hel.example.fi.invalid.txt"]


# --- 5. her name in JSON written with its letters escaped ("L\u00e4hettil\u00e4") ---------------


def test_her_name_in_json_with_escaped_letters_is_erased_and_the_file_stays_ascii(
        workspace, session):
    """A JSON file written by another tool with json.dumps' defaults (a web form's export, a
    script's report) holds her name as "Liisa L\\u00e4hettil\\u00e4": it goes with her address
    and phone, the file stays valid ASCII JSON, and the other person's entry is unchanged."""
    import json

    from factories import make_practice

    make_practice(session, title="Kulttuurilähetit", contact_name="Liisa Lähettilä",
                  contact_email=HERS, contact_phone="040 123 4567")
    entries = [{"nimi": "Liisa Lähettilä", "sähköposti": HERS, "puhelin": "040 123 4567"},
               {"nimi": "Kalle Köökinen", "sähköposti": OTHER}]
    path = workspace.outputs / "reports" / "vienti.json"
    _write(path, json.dumps(entries, indent=2))
    assert "L\\u00e4hettil\\u00e4" in path.read_text(encoding="ascii")

    forget_person(workspace, HERS, session=session, settings=settings_for(workspace))

    text = path.read_text(encoding="ascii")
    assert "hettil" not in text and "4567" not in text and "koulu@hel" not in text.replace(
        OTHER, "")
    assert json.loads(text)[0]["nimi"] == "[poistettu]"
    assert json.loads(text)[1] == entries[1]


# --- 6. the copy of a message to the other address of her contact-list row ---------------------


def test_the_copy_of_a_message_to_the_other_address_of_her_row_loses_her_name(
        workspace, session, db_url, cli):
    """Her contact-list row gives her name with two addresses (the registry's and hers):
    forget takes her name out of the registry's contact, and so out of the copy of the
    invitation sent there ("Hyvä Maija Meikäläinen,"), which it kept before and did not name;
    person lists that copy to her. A namesake greeted at another address keeps her name."""
    import json

    from sqlmodel import select

    from yhteistuumin_survey.db.models import Contact

    hers, registry = "maija@kerava.example.fi", "kirjaamo@kerava.example.fi"
    contacts = workspace.root / "recipients" / "yhteystiedot.csv"
    contacts.write_text("kunta;nimi;sähköposti;puhelin\n"
                        f'Kerava;Maija Meikäläinen;"{registry}; {hers}";040 765 4321\n',
                        encoding="utf-8")
    assert cli("--db", db_url, "register", "contacts", str(contacts)).exit_code == 0
    sent = workspace.outputs / "outbox" / "kierros" / "sent"

    def copy(name: str, to: str) -> None:
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = "kysely@example.fi", to, "Kysely"
        message.set_content("Hyvä Maija Meikäläinen,\n\nkysely on liitteenä.\n",
                            cte="quoted-printable")
        _write(sent / name, message.as_bytes())

    copy("245-invite-0-1.eml", registry)
    copy("858-invite-0-2.eml", "kirjaamo@tuusula.example.fi")

    seen = cli("--db", db_url, "person", "--lang", "fi", "--format", "json", hers)
    assert seen.exit_code == 0, seen.output
    assert json.loads(seen.stdout)["sections"]["files"] == [
        {"file": "outputs/outbox/kierros/sent/245-invite-0-1.eml",
         "note": "viesti toiseen osoitteeseen, jonka yhteystiedoissa mainitaan nimesi"},
        {"file": "recipients/yhteystiedot.csv",
         "note": "outputs/-kansion ulkopuolella: koordinaattorin oma tiedosto"}]

    result = forget_person(workspace, hers, session=session, settings=settings_for(workspace))

    assert "outputs/outbox/kierros/sent/245-invite-0-1.eml" in {p.where for p in result.places}
    import email
    from email.policy import default

    def read(name: str) -> tuple[str, str]:
        message = email.message_from_bytes((sent / name).read_bytes(), policy=default)
        return str(message["To"]), message.get_content()

    assert read("245-invite-0-1.eml") == (registry, "Hyvä [poistettu],\n\nkysely on liitteenä.\n")
    assert read("858-invite-0-2.eml")[1].startswith("Hyvä Maija Meikäläinen,")
    session.expire_all()
    kept = session.exec(select(Contact).where(Contact.email == registry)).one()
    assert (kept.name, kept.phone) == (None, None)


# --- 7. what forget prints of the coordinator's files named after her ---------------------------


def test_forget_names_a_file_outside_outputs_named_after_her_without_printing_her_address(
        workspace, session):
    """The demo's mailbox keeps each message as "00014-<address>.eml": forget names it as
    still holding her (it does not edit the coordinator's files), and what it prints, in
    text and JSON, shows "[address]" where her address is in the name; the file is kept."""
    import json

    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "kysely@example.fi", HERS, "Kysely"
    message.set_content("Hei")
    _write(workspace.root / "mailbox" / f"00014-{HERS}.eml", message.as_bytes())
    _write(workspace.root / "inbox" / f"{HERS}" / "vastaus.txt", f"{HERS}\n")

    result = forget_person(workspace, HERS, session=session, settings=settings_for(workspace))

    assert sorted(result.left) == ["inbox/[address]/vastaus.txt", "mailbox/00014-[address].eml"]
    printed = result.text() + "\n".join(result.warnings()) + json.dumps(result.to_dict())
    assert HERS not in printed.replace(OTHER, "")
    assert (workspace.root / "mailbox" / f"00014-{HERS}.eml").exists()
