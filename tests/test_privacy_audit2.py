"""``forget``, ``person`` and publishing tried again as data subjects would (audit2-privacy).

Names that are not in -nen, a name written surname first in capitals, a first name alone in
a reviewer's note, a workspace holding what forget cannot read, and contacts without consent.
"""

from __future__ import annotations

import json

import pytest
from factories import make_practice
from publish_support import settings_for
from sqlmodel import select

from yhteistuumin_survey.db.models import Contact, Practice, PracticeVersion, ReviewDecision
from yhteistuumin_survey.person import person_report
from yhteistuumin_survey.privacy import AddressMatcher, forget_person, name_pattern


@pytest.mark.parametrize(("name", "forms"), [
    ("Liisa Lindroos", ["Liisa Lindroosille", "Liisa Lindroosin", "Liisa Lindroosia",
                        "Liisa Lindroosista", "Liisa Lindroos:lle", "LIISA LINDROOS"]),
    ("Anna Ek", ["Anna Ekin", "Anna Ekille", "Anna Ekiä", "Anna Ekistä", "Anna Eks"]),
    ("Jukka Korhola", ["Jukka Korholan", "Jukka Korholalle", "Jukka Korholaa"]),
    ("Sanna Marin", ["Sanna Marinin", "Sanna Marinille", "Sanna Marinia", "Sanna Marinilta"]),
    ("Matti Mäki", ["Matti Mäen", "Matti Mäelle", "Matti Mäkeä", "Matti Mäkikin"]),
    ("Olli Lahti", ["Olli Lahden", "Olli Lahdelle", "Olli Lahtea"]),
    ("Kalle Lukka", ["Kalle Lukan", "Kalle Lukalle", "Kalle Lukkaa"]),
    ("John Smith", ["John Smithille", "John Smith:lle"]),
])
def test_a_surname_not_in_nen_is_found_in_its_cases(name, forms):
    pattern = name_pattern(name)
    for text in forms:
        assert pattern.fullmatch(text), text


@pytest.mark.parametrize(("name", "others"), [
    ("Anna Ek", ["Anna Ekholm", "Anna Ekonomi", "Hanna Ekille"]),
    ("Sanna Marin", ["Sanna Marinetti", "Sanna Marina"]),
    ("Matti Mäki", ["Matti Mäkinen", "Matti Mäkelä"]),
])
def test_a_surname_pattern_leaves_longer_names_alone(name, others):
    pattern = name_pattern(name)
    for text in others:
        assert not pattern.search(text), text


@pytest.mark.parametrize(("name", "hers", "others"), [
    # A hyphen joins another name to hers: another person ("Virtanen-Koski", "Maija-Anna");
    # a Finnish ending or compound after it is still her ("-niminen", "-hanke").
    ("Anna Virtanen", ["Anna Virtanen -niminen", "Anna Virtanen-niminen", "Anna Virtanen-hanke",
                       "(Anna Virtanen)", "Anna Virtasen-säätiö"],
     ["Anna Virtanen-Koski", "Maija-Anna Virtanen", "ANNA VIRTANEN-KOSKI"]),
    ("Bo Lindqvist", ["Bo Lindqvist-projektet"], ["Bo Lindqvist-Berg", "Jan-Bo Lindqvist"]),
])
def test_a_name_joined_by_a_hyphen_to_another_name_is_another_persons(name, hers, others):
    pattern = name_pattern(name)
    for text in hers:
        assert pattern.search(text), text
    for text in others:
        assert not pattern.search(text), text


@pytest.mark.parametrize(("name", "text"), [
    ("Anna Virtanen", "Anna Virtanens idé"),  # Swedish genitive of a surname in -nen
    ("Anna Virtanen", "Anna Virtanen's idea"),
    ("Bo Lindqvist", "Bo Lindqvists idé"),
])
def test_a_name_in_the_genitive_of_a_swedish_text_is_found(name, text):
    assert name_pattern(name).search(text).group(0) == text.rsplit(" ", 1)[0]


LIISA = "liisa.lindroos@vaasa.example.fi"


def test_forget_takes_an_inflected_surname_and_a_first_name_from_the_reviewers_notes(
        workspace, session):
    own = make_practice(session, title="Kirjastokino", status="approved", publish_consent=True,
                        contact_name="Liisa Lindroos", contact_email=LIISA,
                        contact_phone="040 555 1234",
                        reviewer_comment="Soitin Liisalle 3.5., lupa saatu. Pekka hoitaa loput.")
    other = make_practice(session, title="Tanssitalo", status="approved",
                          contact_name="Pekka Puupää", contact_email="pekka@vaasa.example.fi",
                          reviewer_comment="Liisa Lindroosin mukaan kuvat saa käyttää.")
    session.add(ReviewDecision(practice_id=own.id, version=1, decision="approved",
                               previous_status="new", reviewer="Arvioija",
                               comment="Liisa Lindroosille lähetetty kiitos"))
    session.commit()

    report = person_report(workspace, LIISA, session=session)
    noted = {(row["practice"], row["decision"]) for row in report.sections["decisions"]}
    assert noted == {(own.id, "approved"), (own.id, "reviewers' note"),
                     (other.id, "reviewers' note")}

    forget_person(workspace, LIISA, session=session, settings=settings_for(workspace))

    session.expire_all()
    assert session.get(Practice, own.id).reviewer_comment == (
        "Soitin [poistettu] 3.5., lupa saatu. Pekka hoitaa loput.")
    # Another practice's note naming her is shown to her, but stays (it may be a namesake).
    assert session.get(Practice, other.id).reviewer_comment == (
        "Liisa Lindroosin mukaan kuvat saa käyttää.")
    assert session.exec(select(ReviewDecision)).one().comment == "[poistettu] lähetetty kiitos"


def test_a_name_in_capitals_surname_first_is_found_as_written_in_running_text(
        workspace, session):
    address = "liisa.virtanen@oulu.example.fi"
    session.add(Contact(municipality_code="564", email=address, name="VIRTANEN LIISA",
                        phone="040 777 8899", source_file="recipients/yhteystiedot.xlsx",
                        source_row=4))
    named = make_practice(session, title="Kuorolaulu", status="approved",
                          contact_name="Pekka Puupää", contact_email="pekka@oulu.example.fi",
                          experiences="Kiitos Liisa Virtaselle ideasta!")
    session.commit()

    report = person_report(workspace, address, session=session)
    assert [row["name"] for row in report.sections["contacts"]] == ["VIRTANEN LIISA"]
    assert [(row["practice"], row["named_in"]) for row in report.sections["practices"]] == [
        (named.id, ["experiences"])]

    forget_person(workspace, address, session=session, settings=settings_for(workspace))

    session.expire_all()
    version = session.exec(select(PracticeVersion).where(
        PracticeVersion.practice_id == named.id)).one()
    assert version.contact_name == "Pekka Puupää"
    contact = session.exec(select(Contact).where(Contact.municipality_code == "564")).one()
    assert (contact.name, contact.phone, contact.status) == (None, None, "erased")
    assert not AddressMatcher(address).mentions(contact.email)


# --- what forget reads: files it cannot read, links out of the workspace, huge files --------


def _run_cli(workspace, session, *args: str, drop_root: bool = False):
    """Run ``yhteistuumin`` in a process of its own; ``drop_root``: without root's power to
    read any file (so a mode-000 file is unreadable, as for a coordinator)."""
    import os
    import subprocess
    import sys

    command = [sys.executable, "-c", "from yhteistuumin_survey.cli import main; main()",
               "--workspace", str(workspace.root),
               "--db", session.get_bind().url.render_as_string(hide_password=False), *args]
    if drop_root and os.geteuid() == 0:
        command = ["setpriv", "--bounding-set=-dac_override,-dac_read_search", *command]
    env = {k: v for k, v in os.environ.items() if not k.startswith("YHTEISTUUMIN_")}
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)


def _liisas_round(workspace, session):
    practice = make_practice(session, title="Kirjastokino", status="approved",
                             contact_name="Liisa Lindroos", contact_email=LIISA,
                             contact_phone="040 555 1234")
    reports = workspace.outputs / "reports"
    reports.mkdir(parents=True, exist_ok=True)
    (reports / "kooste.csv").write_text(f"Kirjastokino;{LIISA}\nTanssitalo;pekka@x.example.fi\n",
                                        encoding="utf-8")
    session.commit()
    return practice


def test_a_file_forget_cannot_read_is_named_and_the_erasure_still_completes(workspace, session):
    practice = _liisas_round(workspace, session)
    inbox = workspace.root / "inbox"
    inbox.mkdir()
    locked = inbox / "vastaus.eml"
    locked.write_text(f"From: {LIISA}\n\nTerveisin Liisa\n", encoding="utf-8")
    locked.chmod(0)
    unreadable_output = workspace.outputs / "reports" / "lukittu.txt"
    unreadable_output.write_text(f"{LIISA}\n", encoding="utf-8")
    unreadable_output.chmod(0)

    session.close()
    run = _run_cli(workspace, session, "forget", LIISA, "--yes", drop_root=True)

    assert "Traceback" not in run.stderr, run.stderr
    assert "inbox/vastaus.eml" in run.stdout + run.stderr
    assert "outputs/reports/lukittu.txt" in run.stdout + run.stderr
    assert "could not be read" in run.stdout + run.stderr
    assert "Erased from 2 places; 1 left to check by hand." in run.stdout
    assert run.returncode == 1  # a place still to be seen to by hand
    # The rest was erased and committed.
    session.expire_all()
    version = session.exec(select(PracticeVersion).where(
        PracticeVersion.practice_id == practice.id)).one()
    assert version.contact_email is None
    assert LIISA not in (workspace.outputs / "reports" / "kooste.csv").read_text()


def test_forget_does_not_follow_links_out_of_the_workspace(workspace, session, tmp_path):
    _liisas_round(workspace, session)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "muistio.txt").write_text(f"{LIISA}\n", encoding="utf-8")
    (workspace.root / "muistio.txt").symlink_to(elsewhere / "muistio.txt")
    (workspace.root / "kaikki").symlink_to(elsewhere)
    (workspace.outputs / "reports" / "linkki.txt").symlink_to(elsewhere / "muistio.txt")
    (workspace.root / "silmukka").symlink_to(workspace.root)

    result = forget_person(workspace, LIISA, session=session, settings=settings_for(workspace))

    assert (elsewhere / "muistio.txt").read_text() == f"{LIISA}\n"  # not ours to change
    assert (workspace.outputs / "reports" / "linkki.txt").is_symlink()
    shown = "\n".join(result.summary())
    assert "muistio.txt" in shown and "a link to a file outside the workspace" in shown
    assert not any(name.startswith(("kaikki/", "silmukka/")) for name in result.left)
    # The link under outputs/ is a place to check, said once.
    assert [p.where for p in result.places if "linkki.txt" in p.where] == [
        f"outputs/reports/linkki.txt (a link to a file outside the workspace, "
        f"{(elsewhere / 'muistio.txt').resolve()})"]
    assert not any("linkki.txt" in name for name in result.left)


def test_files_too_large_to_read_are_streamed_or_named_never_read_whole(workspace, session,
                                                                        monkeypatch):
    """A zip bomb in the inbox crashed forget (MemoryError) after it had rewritten files."""
    import zipfile

    from yhteistuumin_survey import privacy

    monkeypatch.setattr(privacy, "_MAX_SCAN", 1_000_000)
    _liisas_round(workspace, session)
    inbox = workspace.root / "inbox"
    inbox.mkdir()
    with zipfile.ZipFile(inbox / "pommi.zip", "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("nollat.txt", b"0" * 5_000_000)
        archive.writestr("vastaus.txt", LIISA)
    (inbox / "iso.txt").write_bytes(b"x" * 2_000_000 + f"\n{LIISA}\n".encode())
    (inbox / "toinen.txt").write_bytes(b"x" * 2_000_000)
    big = workspace.outputs / "reports" / "iso-loki.txt"
    big.write_bytes(b"y" * 2_000_000 + f"\n{LIISA}\n".encode())

    result = forget_person(workspace, LIISA, session=session, settings=settings_for(workspace))

    assert result.failed
    assert "inbox/pommi.zip" in result.unchecked
    assert "expands to 5 MB" in result.unchecked["inbox/pommi.zip"]
    assert "inbox/iso.txt" in result.left and "inbox/toinen.txt" not in result.left
    assert "inbox/toinen.txt" not in result.unchecked
    assert any(place.where.startswith("outputs/reports/iso-loki.txt: is 2 MB")
               for place in result.places)
    assert big.read_bytes().endswith(f"{LIISA}\n".encode())  # left, and said so
    assert LIISA not in (workspace.outputs / "reports" / "kooste.csv").read_text()


# --- consent: published only with it, everywhere the site says anything -------------------


def _everything_published(workspace) -> str:
    """Every byte the site and the CMS Markdown hold, gzip'd search fragments opened."""
    import gzip

    parts = []
    for folder in (workspace.outputs / "site", workspace.outputs / "cms"):
        for path in sorted(folder.rglob("*")):
            if not path.is_file():
                continue
            data = path.read_bytes()
            if data[:2] == b"\x1f\x8b":
                data = gzip.decompress(data)
            if data.startswith(b"pagefind_dcd"):
                data = data[len(b"pagefind_dcd"):]
            parts.append(data.decode("utf-8", "replace"))
    return "\n".join(parts)


WITHOUT = [("Ei lupaa", False, "Kalle Kielto", "kalle.kielto@lahti.example.fi", "040 333 4444"),
           ("Lupa tuntematon", None, "Anna Ek", "anna.ek@lahti.example.fi", "050 666 7777")]


def test_a_contact_without_consent_is_nowhere_on_the_site_even_quoted_in_the_answers(
        workspace, session):
    from yhteistuumin_survey.publish import publish_site

    for title, consent, name, email, phone in WITHOUT:
        make_practice(session, title=title, status="approved", publish_consent=consent,
                      contact_name=name, contact_email=email, contact_phone=phone,
                      implementation=f"Lisätietoja antaa {name}, {email}, puh. {phone}.",
                      experiences=f"Ota yhteyttä: mailto:{email}")
    make_practice(session, title="Lupa annettu", status="approved", publish_consent=True,
                  contact_name="Liisa Lupa", contact_email="liisa.lupa@lahti.example.fi",
                  contact_phone="040 111 2222")
    session.commit()

    publish_site(workspace, session=session, settings=settings_for(workspace))

    text = _everything_published(workspace)
    assert "liisa.lupa@lahti.example.fi" in text and "040 111 2222" in text
    for _title, _consent, name, email, phone in WITHOUT:
        assert email not in text and email.split("@")[0] not in text, email
        assert phone not in text and phone.replace(" ", "") not in text, phone
        assert name not in text, name
    # The answer itself is published, saying what is not.
    assert "Lisätietoja antaa [yhteystietoa ei julkaista], [yhteystietoa ei julkaista], puh. " \
           "[yhteystietoa ei julkaista]." in text


def test_a_consent_withdrawn_after_publishing_leaves_no_trace_in_the_next_publish(
        workspace, session):
    from yhteistuumin_survey.publish import publish_site

    maija = "maija.meikalainen@lahti.example.fi"
    practice = make_practice(session, title="Runopolku", status="approved", publish_consent=True,
                             contact_name="Maija Meikäläinen", contact_email=maija,
                             contact_phone="040 987 6543",
                             summary=f"Kysy lisää Maija Meikäläiseltä ({maija}).")
    make_practice(session, title="Kirjastokino", status="approved", publish_consent=True,
                  contact_name="Pekka Puupää", contact_email="pekka@lahti.example.fi",
                  contact_phone="050 765 4321")
    session.commit()
    settings = settings_for(workspace)
    publish_site(workspace, session=session, settings=settings)
    assert maija in _everything_published(workspace)

    version = session.exec(select(PracticeVersion).where(
        PracticeVersion.practice_id == practice.id)).one()
    version.publish_consent = False
    practice.corrected_title = "Runopolku kaikille"  # its page moves too
    session.add_all([version, practice])
    session.commit()
    publish_site(workspace, session=session, settings=settings)

    text = _everything_published(workspace)
    assert "Runopolku kaikille" in text and "pekka@lahti.example.fi" in text
    for trace in (maija, "maija.meikalainen", "Meikäläi", "987 6543", "9876543"):
        assert trace not in text, trace


# --- person: every place, nobody else ------------------------------------------------------


def test_person_shows_every_place_the_person_is_held_and_nothing_of_anyone_else(
        workspace, session):
    from yhteistuumin_survey.db.models import (
        Bounce,
        ContactProblem,
        FetchedMessage,
        OutboundMessage,
    )

    anna = "anna.ek@turku.example.fi"
    pekka = "pekka.puupaa@turku.example.fi"
    contact = Contact(municipality_code="853", email=anna, name="Anna Ek", phone="040 222 3333")
    session.add(contact)
    session.flush()
    session.add_all([
        OutboundMessage(round_name="2026", municipality_code="853", contact_id=contact.id,
                        address=anna, kind="invite", state="sent"),
        OutboundMessage(round_name="2026", municipality_code="853", contact_id=contact.id,
                        address=anna, kind="remind", sequence=1, state="queued"),
        OutboundMessage(round_name="2026", municipality_code="853", address=pekka,
                        kind="invite", state="sent"),
        Bounce(message_key="<b1@x>", classification="auto-reply", address=anna,
               detail=f"Olen lomalla. Kiireellisissä asioissa {pekka}, 050 765 4321"),
        ContactProblem(source_file="recipients/yhteystiedot.xlsx", source_row=9,
                       kind="duplicate", text=f"Turku; Anna Ek; {anna}",
                       reason="the same address twice for Turku"),
        ContactProblem(source_file="recipients/yhteystiedot.xlsx", source_row=10,
                       kind="invalid-email", text="Turku; Pekka Puupää; pekka(a)turku",
                       reason="not an email address"),
        FetchedMessage(mailbox="imap.example.fi", folder="INBOX", uidvalidity=1, uid=7,
                       outcome="failed", detail=f"UID 7 (Vastaus {anna}): cannot be read"),
    ])
    session.commit()
    sent = workspace.outputs / "outbox" / "2026" / "sent"
    sent.mkdir(parents=True)
    (sent / "853-invite.eml").write_text(f"To: {anna}\nSubject: Kysely\n\nHei Anna!\n",
                                         encoding="utf-8")
    (sent / "853-pekka.eml").write_text(f"To: {pekka}\nSubject: Kysely\n\nHei Pekka!\n",
                                        encoding="utf-8")
    # A file she sent, stored (as ingest records it) by its absolute path: listed once.
    from yhteistuumin_survey.db.models import ReceivedFile

    stored = workspace.outputs / "received" / "ab" / "ab12-vastaus.eml"
    stored.parent.mkdir(parents=True)
    stored.write_text(f"From: {anna}\nSubject: Vastaus\n\nLiitteenä.\n", encoding="utf-8")
    session.add(ReceivedFile(sha256="ab12" * 16, original_name="vastaus.eml", sender=anna,
                             stored_path=str(stored), size=stored.stat().st_size))
    session.commit()

    report = person_report(workspace, anna, session=session)
    data = json.loads(json.dumps(report.to_dict(), ensure_ascii=False))

    sections = data["sections"]
    assert [(m["kind"], m["state"]) for m in sections["messages"]] == [
        ("invite", "sent"), ("remind", "queued")]
    assert [row["row"] for row in sections["contact_problems"]] == [9]
    assert [row["uid"] for row in sections["fetched"]] == [7]
    assert [row["file"] for row in sections["files"]] == ["outputs/outbox/2026/sent/853-invite.eml"]
    assert [row["file"] for row in sections["received"]] == ["vastaus.eml"]
    shown = json.dumps(data, ensure_ascii=False)
    assert pekka not in shown and "Puupää" not in shown and "765 4321" not in shown
    # Her own auto-reply, without the colleague in it; times as they were.
    assert sections["bounces"][0]["detail"] == (
        "Olen lomalla. Kiireellisissä asioissa [someone else's detail], [someone else's detail]")
    assert sections["contacts"][0]["added"] == contact.created_at.isoformat(timespec="seconds")


# --- what the database files still hold after forget ---------------------------------------


def _database_files(session, request) -> list:
    """The files holding the test database's tables, each as (name, its bytes) (SQLite: the
    file and its WAL; PostgreSQL: the database's folder under base/, after a CHECKPOINT, WAL
    aside).

    A PostgreSQL file may go between the folder's listing and its reading: the server removes
    its relation cache's file (``pg_internal.init``) whenever the catalog changes, and makes it
    again when next needed. A file gone holds nothing: it is left out (read at once, not later
    by the caller)."""
    from pathlib import Path

    url = session.get_bind().url
    if url.get_backend_name() == "sqlite":
        base = Path(url.database)
        paths = [path for path in (base, Path(f"{base}-wal")) if path.exists()]
    else:
        cluster = request.getfixturevalue("postgres_cluster")
        with session.get_bind().connect() as connection:
            oid = connection.exec_driver_sql(
                "SELECT oid FROM pg_database WHERE datname = current_database()").scalar()
        cluster.psql("CHECKPOINT")
        paths = sorted(path for path in (cluster.datadir / "base" / str(oid)).iterdir()
                       if path.is_file())
    files = []
    for path in paths:
        try:
            files.append((path.name, path.read_bytes()))
        except FileNotFoundError:
            continue
    return files


def test_forget_leaves_no_byte_of_the_person_in_the_database_files(workspace, session, request):
    kalle = "kalle.koulu@hel.example.fi"
    practice = make_practice(session, title="Kalle Koulun taidetestaajat", status="approved",
                             publish_consent=True, contact_name="Kalle Koulu",
                             contact_email=kalle, contact_phone="+358 9 3101 2345",
                             summary="Kalle Koululle voi soittaa.")
    session.add(Contact(municipality_code="091", email=kalle, name="Kalle Koulu",
                        phone="+358 9 3101 2345"))
    session.commit()
    from yhteistuumin_survey.publish import publish_site

    settings = settings_for(workspace)
    publish_site(workspace, session=session, settings=settings)  # pins the page's slug
    session.expire_all()
    assert session.get(Practice, practice.id).published_slug.endswith("kalle-koulun-taidetestaajat")

    result = forget_person(workspace, kalle, session=session, settings=settings,
                           republish=lambda: publish_site(workspace, session=session,
                                                          settings=settings))

    # What forget says (printed, maybe kept in a terminal log) does not name him either.
    said = json.dumps(result.to_dict(), ensure_ascii=False) + "\n".join(result.summary())
    assert "Kalle Koulu" not in said and kalle not in said and "3101 2345" not in said
    for name, data in _database_files(session, request):
        for trace in (b"kalle.koulu", b"Kalle Koulu", b"kalle-koulu", b"3101 2345"):
            assert trace not in data, (name, trace)


# --- identities: the same address however it is written -----------------------------------


@pytest.mark.parametrize("text", [
    '"Maija" <maija@äänekoski.example.fi>', "Maija Meikäläinen <MAIJA@ÄÄNEKOSKI.EXAMPLE.FI>",
    "maija@xn--nekoski-4waa.example.fi", "mailto:maija@äänekoski.example.fi?subject=Kysely",
    "maija@äänekoski.example.fi (Maija)", "maija@äänekoski.example.fi.",
    "maija@\näänekoski.example.fi",
])
def test_the_address_is_hers_however_it_is_written(text):
    for asked in ("maija@äänekoski.example.fi", "MAIJA@XN--NEKOSKI-4WAA.EXAMPLE.FI"):
        matcher = AddressMatcher(asked)
        assert matcher.is_address(text) and matcher.mentions(text), (asked, text)


@pytest.mark.parametrize(("text", "hers"), [
    ("https://lomake.example.fi/?email=maija%40kunta.example.fi&k=1", True),
    ("https://lomake.example.fi/?to=maija%40kunta.example.fi", True),
    ("https://lomake.example.fi/?a=1&email=maija@kunta.example.fi", True),
    ("https://lomake.example.fi/?email=pekka.maija%40kunta.example.fi", False),
    ("x=maija@kunta.example.fi", False),
    ("Pekka <pekka@kunta.example.fi>, Maija <maija@kunta.example.fi>", True),
])
def test_an_address_in_a_link_is_found_and_a_longer_one_is_not(text, hers):
    matcher = AddressMatcher("maija@kunta.example.fi")
    assert matcher.mentions(text) is hers
    if "," in text:  # two people in one cell: not the address itself
        assert not matcher.is_address(text)


def test_forget_by_the_dns_spelling_erases_an_answer_whose_cell_has_a_display_name(
        workspace, session):
    from yhteistuumin_survey.db.models import Submission

    maija = "maija.meikalainen@äänekoski.example.fi"
    practice = make_practice(session, title="Runopolku", status="approved",
                             contact_name="Maija Meikäläinen", contact_email=maija,
                             contact_phone="040 123 9876",
                             summary="Maija Meikäläinen vetää kävelyt.")
    version = session.exec(select(PracticeVersion).where(
        PracticeVersion.practice_id == practice.id)).one()
    submission = session.get(Submission, version.submission_id)
    submission.raw = {"Käytännön nimi": "Runopolku",
                      "Yhteyshenkilön nimi": "Maija Meikäläinen",
                      "Yhteyshenkilön sähköposti": f"Maija Meikäläinen <{maija.upper()}>",
                      "Yhteyshenkilön puhelinnumero": "040 123 9876",
                      "Lyhyt kuvaus": "Maija Meikäläinen vetää kävelyt."}
    session.add(submission)
    session.commit()

    result = forget_person(workspace, "maija.meikalainen@XN--NEKOSKI-4WAA.example.fi",
                           session=session, settings=settings_for(workspace))

    session.expire_all()
    raw = session.get(Submission, submission.id).raw
    assert raw["Yhteyshenkilön nimi"] is None and raw["Yhteyshenkilön sähköposti"] is None
    assert raw["Yhteyshenkilön puhelinnumero"] is None
    assert raw["Lyhyt kuvaus"] == "[poistettu] vetää kävelyt."
    # The keyed hash is the same whichever way the address was asked for.
    report = person_report(workspace, maija.upper(), session=session)
    assert [row["places"] for row in report.sections["erasures"]] == [result.changed]


def test_forgetting_the_respondent_keeps_the_contact_she_named_for_the_practice(
        workspace, session):
    """Maija filled in the web form (its Email column is hers); the practice's contact is Pekka."""
    from yhteistuumin_survey.db.models import Submission

    maija, pekka = "maija@vantaa.example.fi", "pekka@vantaa.example.fi"
    practice = make_practice(session, title="Pekan hanke", status="approved",
                             publish_consent=True, contact_name="Pekka Puupää",
                             contact_email=pekka, contact_phone="050 765 4321")
    version = session.exec(select(PracticeVersion).where(
        PracticeVersion.practice_id == practice.id)).one()
    submission = session.get(Submission, version.submission_id)
    session.add(Contact(municipality_code="092", email=maija, name="Maija Meikäläinen"))
    submission.raw = {"Email": maija, "Name": "Maija Meikäläinen",
                      "Yhteyshenkilön nimi": "Pekka Puupää",
                      "Yhteyshenkilön sähköposti": pekka,
                      "Yhteyshenkilön puhelinnumero": "050 765 4321"}
    session.add(submission)
    session.commit()
    report = person_report(workspace, maija, session=session)
    assert [row["holds"] for row in report.sections["received"]] == ["their address in an answer"]
    assert report.sections["practices"] == []  # Pekka's practice, not hers

    forget_person(workspace, maija, session=session, settings=settings_for(workspace))

    session.expire_all()
    version = session.get(PracticeVersion, version.id)
    assert (version.contact_name, version.contact_email, version.contact_phone) == (
        "Pekka Puupää", pekka, "050 765 4321")
    raw = session.get(Submission, submission.id).raw
    assert (raw["Yhteyshenkilön nimi"], raw["Yhteyshenkilön sähköposti"],
            raw["Yhteyshenkilön puhelinnumero"]) == ("Pekka Puupää", pekka, "050 765 4321")
    assert not AddressMatcher(maija).mentions(raw["Email"])
    assert raw["Name"] is None  # her own name, beside her address in the form's columns


def test_a_swedish_card_without_consent_says_so_in_swedish(workspace, session):
    from yhteistuumin_survey.publish import publish_site

    make_practice(session, title="Läsecirkel", status="approved", publish_consent=False,
                  language="sv", contact_name="Anna Ek", contact_email="anna.ek@pargas.example.fi",
                  contact_phone="040 666 7777",
                  summary="Mer information ger Anna Ek, anna.ek@pargas.example.fi.")
    session.commit()

    publish_site(workspace, session=session, settings=settings_for(workspace))

    text = _everything_published(workspace)
    assert ("Mer information ger [kontaktuppgiften publiceras inte], "
            "[kontaktuppgiften publiceras inte].") in text
    assert "anna.ek@" not in text and "Anna Ek" not in text
