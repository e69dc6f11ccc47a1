"""``forget`` and ``person`` tried a third time as data subjects would (audit3-privacy).

The quick look for an address (it stops at the first mention, yet still decodes what a mail or a
workbook hides), the words the CLI prints, a crash between the files and the database, and
the copies a reviewer saves under other names.
"""

from __future__ import annotations

import base64
import gzip
import io
import zipfile
from email.message import EmailMessage

import pytest
from openpyxl import Workbook

from yhteistuumin_survey.privacy import AddressMatcher, Scrubber, files_showing, scrub_blob

KALLE = "kalle.koulu@hel.example.fi"
KOULU = "koulu@hel.example.fi"  # inside Kalle's address: another person


def _workbook(*rows: list[str]) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _with_shared_strings(data: bytes, change=lambda xml: xml) -> bytes:
    """Return an .xlsx whose cells point into shared strings, as Excel and LibreOffice save
    it (openpyxl writes them inline), the strings' XML rewritten by ``change`` (as another
    program may write it: character references, rich text runs)."""
    import re

    source = zipfile.ZipFile(io.BytesIO(data))
    strings: list[str] = []

    def shared(match: re.Match[str]) -> str:
        strings.append(match.group(2))
        return f'<c r="{match.group(1)}" t="s"><v>{len(strings) - 1}</v></c>'

    sheet = re.sub(r'<c r="(\w+)" t="inlineStr"><is>(<t>.*?</t>)</is></c>', shared,
                   source.read("xl/worksheets/sheet1.xml").decode("utf-8"))
    table = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="http://'
             f'schemas.openxmlformats.org/spreadsheetml/2006/main" count="{len(strings)}" '
             f'uniqueCount="{len(strings)}">' + "".join(f"<si>{t}</si>" for t in strings)
             + "</sst>")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for info in source.infolist():
            content = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                content = sheet.encode("utf-8")
            elif info.filename == "[Content_Types].xml":
                content = content.replace(b"</Types>", (
                    b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                    b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
                    b"</Types>"))
            elif info.filename == "xl/_rels/workbook.xml.rels":
                content = content.replace(b"</Relationships>", (
                    b'<Relationship Id="rIdShared" Type="http://schemas.openxmlformats.org/'
                    b'officeDocument/2006/relationships/sharedStrings" '
                    b'Target="sharedStrings.xml"/></Relationships>'))
            out.writestr(info, content)
        out.writestr("xl/sharedStrings.xml", change(table))
    return buffer.getvalue()


def _mail(to: str, body: str, *, cte: str, attachment: bytes | None = None) -> bytes:
    message = EmailMessage()
    message["From"] = "kysely@yhteistuumin.example.fi"
    message["To"] = to
    message["Subject"] = "Kysely"
    message.set_content(body, cte=cte)
    if attachment is not None:
        message.add_attachment(attachment, maintype="application",
                               subtype="vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                               filename="vastaus.xlsx")
    return message.as_bytes()


def _files_holding_addresses(workspace) -> dict[str, bytes]:
    """Files under outputs/ where the address is only seen once decoded, and near misses."""
    hidden_at = _with_shared_strings(
        _workbook(["Yhteyshenkilö", KALLE]),
        lambda xml: xml.replace(KALLE, KALLE.replace("@", "&#64;").replace("k", "&#107;", 1)))
    split_runs = _with_shared_strings(
        _workbook(["Yhteyshenkilö", KALLE]),
        lambda xml: xml.replace(f"<t>{KALLE}</t>", "<r><t>kalle.kou</t></r>"
                                                   "<r><rPr><b/></rPr><t>lu@hel.example.fi</t></r>"))
    assert b"kalle.koulu" not in zipfile.ZipFile(io.BytesIO(hidden_at)).read(
        "xl/sharedStrings.xml")
    files = {
        # Only decoded do these show Kalle's address.
        "outbox/base64.eml": _mail("kirjaamo@hel.example.fi", f"Yhteyshenkilö: {KALLE}\n"
                                   "Terveisin\n", cte="base64"),
        # A soft line break inside the address, as a long line is wrapped.
        "outbox/qp.eml": (b"From: kysely@yhteistuumin.example.fi\nTo: kirjaamo@hel.example.fi\n"
                          b"Subject: Kysely\nMIME-Version: 1.0\n"
                          b"Content-Type: text/plain; charset=utf-8\n"
                          b"Content-Transfer-Encoding: quoted-printable\n\n"
                          b"Yhteyshenkil=C3=B6 Kalle Koulu, kalle.kou=\nlu=40hel.example.fi\n"),
        "outbox/attachment.eml": _mail("kirjaamo@hel.example.fi", "Liitteenä.\n", cte="base64",
                                       attachment=_workbook(["Sähköposti", KALLE])),
        "review/arviointi.xlsx": _workbook(["#1", "Taidetestaajat", KALLE]),
        "review/arviointi (2).xlsx": _with_shared_strings(
            _workbook(["#1", "Taidetestaajat", KALLE])),
        "review/merkit.xlsx": hidden_at,
        "review/ajot.xlsx": split_runs,
        "reports/kooste.csv.gz": gzip.compress(f"3;{KALLE}\n".encode()),
        # Near misses: an address holding Koulu's, and someone else's.
        "outbox/toinen.eml": _mail("pekka@hel.example.fi", f"Kopio: pekka.{KOULU}\n",
                                   cte="base64"),
        "review/muut.xlsx": _workbook(["#2", "Kirjastokino", "pekka@hel.example.fi"]),
    }
    for name, data in files.items():
        path = workspace.outputs / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return files


@pytest.mark.parametrize("email", [KALLE, KALLE.upper(), KOULU, "pekka@hel.example.fi"])
def test_person_lists_the_same_files_as_a_full_scrub_of_each(workspace, email):
    """``person`` stops at the first mention; it still finds the address where a full scrub
    does (a base64 or quoted-printable body, a mail's attachment, a workbook cell, a gzip'd
    report, character references, a cell in rich-text runs) and nowhere else."""
    files = _files_holding_addresses(workspace)
    matcher = AddressMatcher(email)
    full = sorted(f"outputs/{name}" for name, data in files.items()
                  if scrub_blob(name, data, Scrubber(matcher, ""), set()).mentions)

    found = files_showing(workspace, matcher)

    assert found == full
    if email.casefold() == KALLE:
        # An address split between two rich-text runs of a cell is read as one (audit4).
        assert found == sorted(f"outputs/{name}" for name in files if "toinen" not in name
                               and "muut" not in name)
    if email == KOULU:
        assert found == []


def test_a_questionnaire_attached_to_many_messages_is_opened_once_and_still_found(workspace):
    book = _workbook(["Yhteyshenkilö", KALLE])
    for number in range(3):
        path = workspace.outputs / "outbox" / f"{number}.eml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(_mail(f"kirjaamo{number}@hel.example.fi", "Liitteenä.\n",
                               cte="base64", attachment=book))

    assert files_showing(workspace, AddressMatcher(KALLE)) == [
        f"outputs/outbox/{number}.eml" for number in range(3)]
    assert base64.b64encode(KALLE.encode()) not in (workspace.outputs / "outbox" / "0.eml"
                                                    ).read_bytes()


# --- the words printed: English, as the CLI speaks; the files keep their language ----------


def _kalles_practice(session):
    from factories import make_practice

    from yhteistuumin_survey.db.models import Bounce

    practice = make_practice(session, title="Kalle Koulun taidetestaajat", status="approved",
                             publish_consent=True, contact_name="Kalle Koulu",
                             contact_email=KALLE, contact_phone="040 123 4567",
                             summary="Kalle Koulu kokoaa ryhmät.")
    session.add(Bounce(message_key="<b1@x>", classification="auto-reply", address=KALLE,
                       detail="Olen lomalla. Kiireellisissä asioissa pekka@hel.example.fi, "
                              "050 765 4321"))
    session.commit()
    return practice


def test_forget_and_person_print_english_placeholders_and_the_database_keeps_finnish(
        workspace, session, db_url, cli):
    from sqlmodel import select

    from yhteistuumin_survey.db.models import PracticeVersion

    practice = _kalles_practice(session)

    person = cli("--db", db_url, "person", KALLE)
    session.commit()  # (an open transaction would hold forget's VACUUM FULL back 15 s)
    dry = cli("--db", db_url, "forget", KALLE, "--dry-run")
    done = cli("--db", db_url, "forget", KALLE, "--yes")

    assert person.exit_code == 0, person.output
    assert "asioissa [someone else's detail], [someone else's detail]" in person.stdout
    for run in (dry, done):
        assert run.exit_code == 0, run.output
        assert f"practice {practice.id} ([erased] taidetestaajat), version 1" in run.stdout
        assert "poistettu" not in run.output and "toisen henkilön" not in run.output
    session.expire_all()
    version = session.exec(select(PracticeVersion).where(
        PracticeVersion.practice_id == practice.id)).one()
    # Written into the Finnish card: the Finnish word.
    assert (version.title, version.summary) == ("[poistettu] taidetestaajat",
                                                "[poistettu] kokoaa ryhmät.")


# --- a crash between the files and the database: the rerun finishes the erasure ------------


class _Killed(BaseException):
    """Stands for the process being killed (not an error forget could catch)."""


def _half_written(path, data):
    """Path.write_bytes killed half-way: the first half is on disk, the rest never comes."""
    with open(path, "wb") as stream:
        stream.write(data[:len(data) // 2])
    raise _Killed


@pytest.mark.parametrize("step", ["write", "_republish", "_left_outside", "_make_unrecoverable"])
def test_a_rerun_after_a_crash_at_any_step_finishes_the_erasure(workspace, session, monkeypatch,
                                                                request, step):
    """Killed while a shared file is rewritten, after the files changed and before the
    database committed, or before the database was rewritten: the files are whole, publish
    refuses to show the person again, and running forget again finishes the erasure."""
    from pathlib import Path

    from publish_support import settings_for
    from test_privacy_audit2 import _database_files
    from test_privacy_exact import (
        FORGOTTEN,
        KEPT,
        assert_no_trace,
        database_dump,
        kept_snapshot,
        outputs_text,
        populate,
    )

    from yhteistuumin_survey import privacy
    from yhteistuumin_survey.errors import SurveyError
    from yhteistuumin_survey.privacy import forget_person
    from yhteistuumin_survey.project import Project
    from yhteistuumin_survey.publish import publish_site

    populate(workspace, session, FORGOTTEN, KEPT)
    before = kept_snapshot(session, workspace, KEPT)
    settings = settings_for(workspace)
    shared = workspace.outputs / "received" / "lomake.csv"

    def forget():
        return forget_person(workspace, FORGOTTEN.email, session=session, settings=settings,
                             republish=lambda: publish_site(workspace, session=session,
                                                            settings=settings))

    def killed(*args, **kwargs):
        raise _Killed

    with monkeypatch.context() as patch:
        if step == "write":
            real = Path.write_bytes
            patch.setattr(Path, "write_bytes", lambda path, data: _half_written(path, data)
                          if path.name.startswith("lomake.csv") else real(path, data))
        else:
            patch.setattr(privacy, step, killed)
        with pytest.raises(_Killed):
            forget()
    session.rollback()  # what the killed process had not committed is gone
    session.expire_all()
    # Whole, as it was or as forget leaves it: the other person's row is there.
    assert f"{KEPT.name};{KEPT.email};{KEPT.phone}" in shared.read_text(encoding="utf-8")
    if step != "_make_unrecoverable":  # (that one was killed after the database forgot)
        project = Project.open(workspace.root, db_url=session.get_bind().url.render_as_string(
            hide_password=False))
        with pytest.raises(SurveyError, match="interrupted.*run the same 'yhteistuumin forget'"):
            project.publish()

    result = forget()

    assert not result.failed, result.summary()
    assert result.recorded is (step != "_make_unrecoverable")
    assert not (workspace.outputs / privacy.PENDING_FILE).exists()
    assert not list(workspace.outputs.rglob("*.forget-part"))
    session.expire_all()
    assert_no_trace(outputs_text(workspace.outputs), FORGOTTEN)
    assert_no_trace(database_dump(session), FORGOTTEN)
    assert kept_snapshot(session, workspace, KEPT) == before
    session.close()
    for name, data in _database_files(session, request):
        assert FORGOTTEN.name.encode() not in data, name


# --- a title naming a contact who has not agreed to be published ----------------------------


def test_a_title_naming_a_contact_without_consent_is_hidden_flagged_and_its_address_kept(
        workspace, session):
    from publish_support import settings_for
    from test_privacy_audit2 import _everything_published

    from yhteistuumin_survey.db.models import Practice
    from yhteistuumin_survey.publish import publish_site

    settings = settings_for(workspace)
    from factories import make_practice

    earlier = make_practice(session, title="Kalle Koulun taidetestaajat", status="approved",
                            publish_consent=True, contact_name="Kalle Koulu",
                            contact_email=KALLE, contact_phone="040 123 4567")
    new = make_practice(session, title="Anna Ekin lukupiiri", status="approved",
                        publish_consent=None, contact_name="Anna Ek",
                        contact_email="anna.ek@turku.example.fi", contact_phone="050 666 7777")
    session.commit()
    publish_site(workspace, session=session, settings=settings)  # Kalle's page is out
    from sqlmodel import select

    from yhteistuumin_survey.db.models import PracticeVersion

    version = session.exec(select(PracticeVersion).where(
        PracticeVersion.practice_id == earlier.id)).one()
    version.publish_consent = False  # he withdraws his consent
    session.add(version)
    session.commit()

    result = publish_site(workspace, session=session, settings=settings)

    text = _everything_published(workspace)
    assert "Anna Ek" not in text and "anna-ek" not in text
    assert "Kalle Koulu" not in text
    assert "[yhteystietoa ei julkaista] lukupiiri" in text
    assert (workspace.outputs / "site" / f"{new.id}-lukupiiri").is_dir()
    # His page keeps its address (links to it work), and the result says so.
    session.expire_all()
    assert session.get(Practice, earlier.id).published_slug == "kalle-koulun-taidetestaajat"
    assert (workspace.outputs / "site" / f"{earlier.id}-kalle-koulun-taidetestaajat").is_dir()
    notes = "\n".join(result.warnings())
    assert (f"#{new.id}'s title names its contact, who has not agreed to be published: the "
            "name is hidden in the published title; correct the title") in notes
    assert (f"#{earlier.id}'s title names its contact, who has not agreed to be published: the "
            "name is hidden in the published title, but the page's address, published before, "
            "still shows it") in notes


# --- a site published elsewhere (publish --out) ---------------------------------------------


def _site_text(folder) -> str:
    import gzip as gz

    parts = []
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            data = path.read_bytes()
            if data[:2] == b"\x1f\x8b":
                data = gz.decompress(data)
            parts.append(data.decode("utf-8", "replace"))
    return "\n".join(parts)


def test_forget_publishes_again_a_site_published_elsewhere_or_names_it(workspace, session,
                                                                       db_url, cli, tmp_path):
    from publish_support import settings_for

    from yhteistuumin_survey.privacy import forget_person

    _kalles_practice(session)
    elsewhere, cms = tmp_path / "www", tmp_path / "cms-vienti"
    published = cli("--db", db_url, "publish", "--out", str(elsewhere), "--cms", str(cms))
    assert published.exit_code == 0, published.output
    assert KALLE in _site_text(elsewhere) and KALLE in _site_text(cms)

    # Without a way to publish there (a script calling the core), it is named, not left silent.
    preview = forget_person(workspace, KALLE, session=session, settings=settings_for(workspace),
                            dry_run=True)
    assert [p.action for p in preview.places if str(elsewhere) in p.where] == [
        f"left as it is: publish it again with 'yhteistuumin publish --out {elsewhere} "
        f"--cms {cms}'"]
    session.commit()  # (an open transaction would hold forget's VACUUM FULL back 15 s)
    dry = cli("--db", db_url, "forget", KALLE, "--dry-run")
    assert f"the site published to {elsewhere}" in dry.stdout
    assert "published again from the cleaned database" in dry.stdout

    done = cli("--db", db_url, "forget", KALLE, "--yes")

    assert done.exit_code == 0, done.output
    assert f"the site published to {elsewhere} (and its CMS Markdown in {cms})" in done.stdout
    for folder in (elsewhere, cms):
        text = _site_text(folder)
        assert not AddressMatcher(KALLE).mentions(text) and "Kalle Koulu" not in text, folder


# --- person of an address known only from a bounce ------------------------------------------


def test_person_of_an_address_only_bounced_shows_the_server_answer_as_it_was(workspace, session):
    from yhteistuumin_survey.db.models import Bounce, Contact
    from yhteistuumin_survey.person import person_report

    address = "kirjaamo@enontekio.example.fi"
    session.add(Contact(municipality_code="047", email=address, status="bounced",
                        bounce_reason="5.1.1 550 5.1.1 User unknown"))
    session.add(Bounce(message_key="<dsn@x>", classification="hard", address=address,
                       detail=f"delivery-status report: {address} 5.1.1 550 5.1.1 User unknown; "
                              "ohjaa: pekka@enontekio.example.fi, 040 123 4567"))
    session.commit()

    report = person_report(workspace, address, session=session).to_dict()["sections"]

    assert report["contacts"][0]["bounce_reason"] == "5.1.1 550 5.1.1 User unknown"
    assert report["bounces"][0]["detail"] == (
        f"delivery-status report: {address} 5.1.1 550 5.1.1 User unknown; "
        "ohjaa: [someone else's detail], [someone else's detail]")


# --- forget while a send is running ---------------------------------------------------------


def test_forget_waits_for_a_running_send_and_erases_nothing_meanwhile(workspace, session,
                                                                      db_url, cli):
    from sqlmodel import select

    from yhteistuumin_survey.db.models import PracticeVersion
    from yhteistuumin_survey.locks import exclusive

    practice = _kalles_practice(session)
    session.close()

    with exclusive(session.get_bind().engine, "send"):  # a send is going on
        refused = cli("--db", db_url, "forget", KALLE, "--yes")
    done = cli("--db", db_url, "forget", KALLE, "--yes")  # the lock is free

    assert refused.exit_code == 1
    assert "another send is running (" in refused.output
    assert "forget when it has finished" in refused.output
    assert "(nothing was erased)" in refused.output
    assert "Traceback" not in refused.output
    assert done.exit_code == 0, done.output
    version = session.exec(select(PracticeVersion).where(
        PracticeVersion.practice_id == practice.id)).one()
    assert version.contact_email is None


# --- two people sharing one contact cell, forgotten one after the other --------------------


@pytest.mark.parametrize("first", ["maija", "pekka"])
def test_two_people_of_one_contact_cell_forgotten_in_either_order_leave_no_trace(
        workspace, session, first):
    import json

    from publish_support import settings_for
    from test_privacy_shared import MAIJA, PEKKA, _shared_round

    from yhteistuumin_survey.db.models import PracticeVersion, Submission
    from yhteistuumin_survey.privacy import forget_person

    _shared_round(session)
    settings = settings_for(workspace)
    order = [MAIJA, PEKKA] if first == "maija" else [PEKKA, MAIJA]

    results = [forget_person(workspace, email, session=session, settings=settings)
               for email in order]

    assert not any(result.failed for result in results)
    session.expire_all()
    from sqlmodel import select

    text = json.dumps([[v.contact_name, v.contact_email, v.contact_phone, v.contact_text]
                       for v in session.exec(select(PracticeVersion))]
                      + [s.raw for s in session.exec(select(Submission))], ensure_ascii=False)
    for email, name in ((MAIJA, "Meikäläi"), (PEKKA, "Puupää")):
        assert not AddressMatcher(email).mentions(text), email
        assert name not in text, name
    assert "1234567" not in text.replace(" ", "") and "7654321" not in text.replace(" ", "")


# --- the copy of the database a migration took ----------------------------------------------


def test_forget_names_the_database_copy_a_migration_took_as_one_to_delete(workspace, session):
    # A copy of the database (FILE.bak-REVISION, taken before a migration) was looked at as
    # raw bytes: an address stored as a value of its own follows its record header byte, as
    # if part of a longer address, so the copy holding her was not named at all (and where
    # it was, as "a format that cannot be edited here ... remove the person by hand").
    import sqlite3

    from publish_support import settings_for

    from yhteistuumin_survey.privacy import forget_person

    _kalles_practice(session)
    copy = workspace.outputs / "yhteistuumin.sqlite.bak-0007_indexes"
    with sqlite3.connect(copy) as db:
        db.execute("CREATE TABLE contact (email TEXT)")
        db.execute("INSERT INTO contact VALUES (?)", (KALLE,))  # a value of its own
    db.close()

    preview = forget_person(workspace, KALLE, session=session, settings=settings_for(workspace),
                            dry_run=True)

    place = next(p for p in preview.places if copy.name in p.where)
    assert "(a copy of the database, such as a migration takes first)" in place.where
    assert place.action.endswith("delete it once the database in use works")
    assert place.kind == "files_to_check"
    assert files_showing(workspace, AddressMatcher(KALLE)) == [
        f"outputs/{copy.name}"]  # person names it too
    other = forget_person(workspace, "toinen@hel.example.fi", session=session,
                          settings=settings_for(workspace), dry_run=True)
    assert not any(copy.name in p.where for p in other.places)  # nobody else's data there
