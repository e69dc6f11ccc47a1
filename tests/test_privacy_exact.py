"""``forget`` erases exactly one person: never someone whose address contains theirs, or the reverse.

Checked against every place the pipeline keeps data: the database, received originals (plain,
inside stored emails, zips and gzip), outbox copies, reports, review workbooks (.xlsx, and a
LibreOffice .ods copy), and the published site with its search index.
"""

from __future__ import annotations

import email
import gzip
import html
import io
import re
import tempfile
import zipfile
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path

import pytest
from ci_support import unavailable
from factories import make_practice
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from publish_support import settings_for
from sqlmodel import Session, select

from yhteistuumin_survey.db.models import (
    Bounce,
    Contact,
    OutboundMessage,
    PracticeVersion,
    ReceivedFile,
    Submission,
)
from yhteistuumin_survey.privacy import AddressMatcher, forget_person
from yhteistuumin_survey.publish import publish_site

# --- the matcher -----------------------------------------------------------------------------


@pytest.mark.parametrize("text", [
    "koulu@hel.example.fi", "KOULU@Hel.Example.FI", "Kirjoita: koulu@hel.example.fi.",
    "<koulu@hel.example.fi>", "mailto:koulu@hel.example.fi", "koulu(at)hel.example.fi",
    "koulu [at] hel.example.fi", "koulu at hel.example.fi", "(koulu@hel.example.fi)",
])
def test_the_address_is_found_whole_in_any_spelling(text):
    assert AddressMatcher("koulu@hel.example.fi").mentions(text)


@pytest.mark.parametrize("text", [
    "kalle.koulu@hel.example.fi", "x@sub.hel.example.fi", "koulu+kulttuuri@hel.example.fi",
    "koulu@hel.example.fi.invalid", "akoulu@hel.example.fi", "koulu@hel.example.fin",
    "koulu-2@hel.example.fi", "koulu@hel.example.fi-x.fi", "koulut at hel.example.fi",
])
def test_a_longer_address_holding_it_is_not_the_address(text):
    assert not AddressMatcher("koulu@hel.example.fi").mentions(text)
    assert not AddressMatcher("x@hel.example.fi").mentions(text) or "x@" not in text


# --- a workspace holding two people -----------------------------------------------------------

FORGOTTEN_NAME, FORGOTTEN_PHONE = "Aino Unohdettava", "040 111 2233"
KEPT_NAME, KEPT_PHONE = "Kalle Pysyvä", "050 987 6543"


def _attachment_mail(sender: str, to: str, subject: str, files: dict[str, bytes]) -> bytes:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, to, subject
    message.set_content(f"Terveisin {subject}", cte="quoted-printable")
    for name, data in files.items():
        message.add_attachment(data, maintype="application", subtype="octet-stream",
                               filename=name)
    return message.as_bytes()


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@dataclass
class Person:
    email: str
    name: str
    phone: str
    code: str
    title: str


def populate(workspace, session: Session, forgotten: Person, kept: Person) -> dict:
    """Put both people in every place; return the paths of files that are the kept one's."""
    from openpyxl import Workbook

    outputs = workspace.outputs
    received = outputs / "received"
    received.mkdir(parents=True, exist_ok=True)
    coordinator = "koordinaattori@yhteistuumin.example.fi"
    for person in (forgotten, kept):
        session.add(Contact(municipality_code=person.code, email=person.email, name=person.name,
                            phone=person.phone))
        practice = make_practice(
            session, title=person.title, status="approved", municipalities=[person.code],
            publish_consent=True, contact_name=person.name, contact_email=person.email,
            contact_phone=person.phone,
            summary=f"Lisätietoja antaa {person.name}, {person.email}, puh. {person.phone}.")
        version = session.exec(select(PracticeVersion).where(
            PracticeVersion.practice_id == practice.id)).one()
        submission = session.get(Submission, version.submission_id)
        submission.raw = {"rows": [["Käytännön nimi", person.title],
                                   ["Yhteyshenkilön nimi", person.name],
                                   ["Yhteyshenkilön sähköposti", person.email],
                                   ["Yhteyshenkilön puhelinnumero", person.phone]]}
        session.add(submission)
        original = session.get(ReceivedFile, submission.received_file_id)
        original.sender = person.email
        session.add(original)
        # The person's own questionnaire came inside an email, zipped, as base64.
        inner = f"nimi;sähköposti;puhelin\n{person.name};{person.email};{person.phone}\n".encode()
        (workspace.root / original.stored_path).write_bytes(_attachment_mail(
            person.email, coordinator, person.title, {"vastaus.zip": _zip({"v.csv": inner})}))
        session.add(OutboundMessage(round_name="r", municipality_code=person.code,
                                    address=person.email, kind="invite", state="sent"))
        session.add(Bounce(message_key=f"<{person.code}@mx>", classification="auto-reply",
                           address=person.email, detail=f"Poissa: {person.name}"))
        outbox = outputs / "outbox" / "dry-run"
        outbox.mkdir(parents=True, exist_ok=True)
        message = EmailMessage()
        message["To"], message["Subject"] = person.email, "Kysely"
        message.set_content(f"Hei {person.name}!", cte="base64")
        (outbox / f"{person.code}-invite.eml").write_bytes(message.as_bytes())
    session.commit()
    rows = [f"{p.name};{p.email};{p.phone}" for p in (forgotten, kept)]
    # A web-form export with both people: kept, scrubbed; gzip'd and zipped copies too.
    shared = ("nimi;email;puhelin\n" + "\n".join(rows) + "\n").encode()
    (received / "lomake.csv").write_bytes(shared)
    (received / "lomake.csv.gz").write_bytes(gzip.compress(shared, mtime=0))
    (received / "välitetty.eml").write_bytes(_attachment_mail(
        kept.email, coordinator, "Välitetty", {"lomake.zip": _zip({"lomake.csv": shared})}))
    reports = outputs / "reports"
    reports.mkdir(exist_ok=True)
    (reports / "contacts.csv").write_text(
        "code,email,name\n" + "".join(f"{p.code},{p.email},{p.name}\n" for p in (forgotten, kept)),
        encoding="utf-8")
    review = outputs / "review"
    review.mkdir(exist_ok=True)
    workbook = Workbook()
    workbook.active.append(["otsikko", "yhteyshenkilö", "sähköposti", "puhelin"])
    for p in (forgotten, kept):
        workbook.active.append([p.title, p.name, p.email, p.phone])
    workbook.save(review / "arviointi.xlsx")
    publish_site(workspace, session=session, settings=settings_for(workspace))
    session.commit()  # end the read transaction, as a finished command does
    return {"kept_files": [outputs / "outbox" / "dry-run" / f"{kept.code}-invite.eml"]}


def deep_text(name: str, data: bytes) -> str:
    """Return every text inside a file: emails decoded, zips and gzip opened, XML unescaped."""
    if data[:2] == b"\x1f\x8b":
        return deep_text(name[:-3], gzip.decompress(data))
    if data[:4] == b"PK\x03\x04":
        archive = zipfile.ZipFile(io.BytesIO(data))
        return "\n".join(deep_text(n, archive.read(n)) for n in archive.namelist())
    if name.endswith(".eml"):
        message = email.message_from_bytes(data, policy=default_policy)
        parts = [f"{k}: {v}" for k, v in message.items()]
        for part in message.walk():
            parts += [f"{k}: {v}" for k, v in part.items()]
            if not part.is_multipart():
                payload = part.get_payload(decode=True) or b""
                parts.append(deep_text(part.get_filename() or "x.txt", payload))
        return "\n".join(parts)
    return html.unescape(data.decode("utf-8", "replace"))


def outputs_text(root: Path) -> str:
    return "\n".join(deep_text(p.name, p.read_bytes()) for p in sorted(root.rglob("*"))
                     if p.is_file() and not p.name.endswith((".sqlite", "-wal", "-shm")))


def database_dump(session) -> str:
    from sqlalchemy import select as sa_select
    from sqlmodel import SQLModel

    return "\n".join(repr(tuple(row)) for table in SQLModel.metadata.sorted_tables
                     for row in session.execute(sa_select(table)))


def kept_snapshot(session, workspace, kept: Person) -> dict:
    """The kept person's data, exactly, wherever it is."""
    session.expire_all()
    contact = session.exec(select(Contact).where(Contact.email == kept.email)).one()
    version = session.exec(select(PracticeVersion).where(
        PracticeVersion.contact_email == kept.email)).one()
    submission = session.get(Submission, version.submission_id)
    original = session.get(ReceivedFile, submission.received_file_id)
    outputs = workspace.outputs
    site = outputs / "site"
    kept_row = f"{kept.name};{kept.email};{kept.phone}"
    return {
        "contact": contact.model_dump(exclude={"updated_at"}),
        "version": version.model_dump(),
        "submission": submission.raw,
        "original": (workspace.root / original.stored_path).read_bytes(),
        "outbox": (outputs / "outbox" / "dry-run" / f"{kept.code}-invite.eml").read_bytes(),
        "message": [m.model_dump() for m in session.exec(select(OutboundMessage).where(
            OutboundMessage.address == kept.email))],
        "bounce": [b.model_dump(exclude={"id"}) for b in session.exec(select(Bounce).where(
            Bounce.address == kept.email))],
        "rows in shared files": [kept_row in deep_text(p.name, p.read_bytes()).splitlines()
                                 for p in (outputs / "received" / "lomake.csv",
                                           outputs / "received" / "lomake.csv.gz",
                                           outputs / "received" / "välitetty.eml")],
        "report": f"{kept.code},{kept.email},{kept.name}" in
                  (outputs / "reports" / "contacts.csv").read_text().splitlines(),
        "workbook": _workbook_rows(outputs / "review" / "arviointi.xlsx")[-1],
        "page": {p.relative_to(site).as_posix(): p.read_bytes() for p in site.rglob("*")
                 if p.is_file() and p.parent.name.startswith(f"{version.practice_id}-")},
        "in index": [kept.email in text and kept.name in text for text in (
            (site / "practices.json").read_text(),
            "".join(deep_text(p.name, p.read_bytes()) for p in site.rglob("*")
                    if p.is_file() and "pagefind" in p.as_posix()))],
    }


def _workbook_rows(path: Path) -> list[tuple]:
    from openpyxl import load_workbook

    return [tuple(row) for row in load_workbook(path).active.iter_rows(values_only=True)]


def assert_no_trace(text: str, forgotten: Person) -> None:
    assert not AddressMatcher(forgotten.email).mentions(text), "address"
    assert forgotten.name.casefold() not in text.casefold(), "name"
    digits = re.sub(r"\D", "", forgotten.phone)[1:]
    assert digits not in re.sub(r"[\s-]", "", text), "phone"


def _open(tmp: Path, template: Path):
    """A new workspace and its own database, a copy of the migrated ``sqlite_template``."""
    from fixtures_house import copy_sqlite_template

    from yhteistuumin_survey.db.engine import open_database
    from yhteistuumin_survey.register import ensure_register
    from yhteistuumin_survey.workspace import Workspace, init_workspace

    workspace = Workspace(init_workspace(tmp / "ws").root)
    copy_sqlite_template(template, tmp / "db.sqlite")
    engine = open_database(f"sqlite:///{tmp / 'db.sqlite'}")
    ensure_register(engine, workspace=workspace)
    return workspace, engine


_local = st.text("abcdefghijklmnopqrstuvwxyz", min_size=2, max_size=8)
_label = st.text("abcdefghijklmnopqrstuvwxyz", min_size=2, max_size=6)


@st.composite
def address_pairs(draw) -> tuple[str, str]:
    """Two addresses, one inside the other: (to forget, to keep), either way round."""
    local, domain = draw(_local), draw(_label) + ".example.fi"
    extra = draw(_label)
    short = f"{local}@{domain}"
    longer = draw(st.sampled_from([
        f"{extra}.{local}@{domain}",          # the short one is a suffix
        f"{extra}{local}@{domain}",
        f"{local}@{extra}.{domain}",          # sub-domain
        f"{local}+{extra}@{domain}",          # plus-address
        f"{local}@{domain}.invalid",          # the short one is a prefix
        f"{local}{extra}@{domain}",
    ]))
    shuffle_case = draw(st.booleans())
    if shuffle_case:
        short = short.upper()
    return (short, longer) if draw(st.booleans()) else (longer, short)


# No shrinking: each example builds a workspace and publishes twice (about a second); the
# failing pair is printed as it is. Each example's database is a copy of the migrated template.
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow],
          phases=[Phase.explicit, Phase.reuse, Phase.generate])
@given(pair=address_pairs())
def test_forgetting_one_of_two_nested_addresses_leaves_the_other_intact(sqlite_template, pair):
    forgotten_email, kept_email = pair
    forgotten = Person(forgotten_email, FORGOTTEN_NAME, FORGOTTEN_PHONE, "049", "Kulttuurikaveri")
    kept = Person(kept_email, KEPT_NAME, KEPT_PHONE, "092", "Lukupiiri")
    with tempfile.TemporaryDirectory() as tmp:
        workspace, engine = _open(Path(tmp), sqlite_template)
        try:
            with Session(engine, expire_on_commit=False) as session:
                populate(workspace, session, forgotten, kept)
                before = kept_snapshot(session, workspace, kept)
                settings_ = settings_for(workspace)
                forget_person(workspace, forgotten.email, session=session, settings=settings_,
                              republish=lambda s=session: publish_site(
                                  workspace, session=s, settings=settings_))
            with Session(engine) as session:
                after = kept_snapshot(session, workspace, kept)
                assert after == before
                assert all(after["rows in shared files"]) and after["report"]
                assert all(after["in index"])
                assert_no_trace(outputs_text(workspace.outputs), forgotten)
                assert_no_trace(database_dump(session), forgotten)
            # Nor in the database file's free pages or its write-ahead log.
            raw = b"".join(p.read_bytes() for p in Path(tmp).glob("db.sqlite*"))
            assert forgotten.name.encode() not in raw
            assert not AddressMatcher(forgotten.email).mentions_bytes(raw)
        finally:
            engine.dispose()


# --- the command: dry run, confirmation, containers ---------------------------------------------

FORGOTTEN = Person("koulu@hel.example.fi", FORGOTTEN_NAME, FORGOTTEN_PHONE, "049",
                   "Kulttuurikaveri")
KEPT = Person("kalle.koulu@hel.example.fi", KEPT_NAME, KEPT_PHONE, "092", "Lukupiiri")


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file()}


def test_dry_run_lists_every_place_in_plain_words_and_changes_nothing(
        workspace, session, db_url, cli):
    populate(workspace, session, FORGOTTEN, KEPT)
    files, rows = _files(workspace.root), database_dump(session)

    result = cli("--db", db_url, "forget", "--dry-run", FORGOTTEN.email)

    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Dry run: the person appears in" in out and "nothing was changed" in out
    assert "contact of municipality 049" in out
    assert "practice" in out and "Kulttuurikaveri" in out
    assert "deleted: it holds this person's data and no one else's" in out
    assert "outputs/received/lomake.csv" in out
    assert "kept with this person's data taken out" in out
    assert "the published site" in out
    for table_name in ("practiceversion", "outboundmessage", "receivedfile", "submission",
                       "practice_versions", "contact_problems"):
        assert table_name not in out.casefold()
    session.expire_all()
    assert _files(workspace.root) == files
    assert database_dump(session) == rows
    assert not (workspace.outputs / ".erasure-key").exists()


def test_forget_without_a_terminal_refuses_unless_yes(workspace, session, db_url, cli):
    populate(workspace, session, FORGOTTEN, KEPT)
    files = _files(workspace.root)

    refused = cli("--db", db_url, "forget", FORGOTTEN.email)

    assert refused.exit_code == 1
    assert "no terminal to confirm on" in refused.stderr and "--yes" in refused.stderr
    assert _files(workspace.root) == files

    done = cli("--db", db_url, "forget", "--yes", FORGOTTEN.email)

    assert done.exit_code == 0, done.output
    assert "Erased from" in done.stdout
    session.expire_all()
    assert_no_trace(outputs_text(workspace.outputs), FORGOTTEN)
    assert_no_trace(database_dump(session), FORGOTTEN)
    originals = [p.name for p in (workspace.outputs / "received").iterdir()]
    # The forgotten person's own emailed questionnaire is gone; the shared exports stay.
    assert {"lomake.csv", "lomake.csv.gz", "välitetty.eml"} <= set(originals)
    assert len(originals) == 4
    assert "PostgreSQL" in done.output or "VACUUM" in done.output


def test_forget_json_says_what_remains(workspace, session, db_url, cli):
    populate(workspace, session, FORGOTTEN, KEPT)

    result = cli("--db", db_url, "forget", "--yes", "--format", "json", FORGOTTEN.email)

    import json

    data = json.loads(result.stdout)
    assert data["dry_run"] is False and data["recorded"] is True
    assert any("Backups" in line for line in data["remains"])
    assert all(set(place) == {"where", "action"} for place in data["places"])


LIBREOFFICE = __import__("shutil").which("soffice") or __import__("shutil").which("libreoffice")


def test_forget_scrubs_a_libreoffice_ods_copy_of_the_review_workbook(sqlite_template, tmp_path):
    import subprocess

    if LIBREOFFICE is None:
        unavailable("LibreOffice is not installed")

    workspace_, engine = _open(tmp_path / "one", sqlite_template)
    try:
        with Session(engine, expire_on_commit=False) as session:
            populate(workspace_, session, FORGOTTEN, KEPT)
            review = workspace_.outputs / "review"
            subprocess.run([LIBREOFFICE, f"-env:UserInstallation={(tmp_path / 'lo').as_uri()}",
                            "--headless", "--convert-to", "ods", "--outdir", str(review),
                            str(review / "arviointi.xlsx")], check=True, capture_output=True,
                           timeout=120)
            ods = review / "arviointi.ods"
            assert FORGOTTEN_NAME in deep_text(ods.name, ods.read_bytes())

            forget_person(workspace_, FORGOTTEN.email, session=session,
                          settings=settings_for(workspace_))

        text = deep_text(ods.name, ods.read_bytes())
        assert_no_trace(text, FORGOTTEN)
        assert KEPT_NAME in text and KEPT.email in text and KEPT_PHONE in text
        archive = zipfile.ZipFile(ods)
        assert archive.namelist()[0] == "mimetype"  # still an ODF file LibreOffice opens
        assert archive.getinfo("mimetype").compress_type == zipfile.ZIP_STORED
        assert not any(name.startswith("Thumbnails/") for name in archive.namelist())
    finally:
        engine.dispose()


def test_a_file_that_cannot_be_edited_and_holds_others_is_named_and_fails(
        workspace, session, db_url, cli):
    populate(workspace, session, FORGOTTEN, KEPT)
    outlook = workspace.outputs / "received" / "viesti.msg"
    outlook.write_bytes(b"\xd0\xcf\x11\xe0\x00\x00" + f"{FORGOTTEN.email} {KEPT.email}".encode(
        "utf-16-le"))
    alone = workspace.outputs / "received" / "oma.msg"
    alone.write_bytes(b"\xd0\xcf\x11\xe0\x00\x00" + FORGOTTEN.email.encode("utf-16-le"))

    result = cli("--db", db_url, "forget", "--yes", FORGOTTEN.email)

    assert result.exit_code == 1, result.output
    assert "outputs/received/viesti.msg (a format that cannot be edited here)" in result.stdout
    assert "remove the person by hand" in result.stdout
    assert outlook.exists() and not alone.exists()


def test_the_at_spelling_is_erased_and_a_longer_address_is_not(workspace, session):
    report = workspace.outputs / "reports" / "muistiinpanot.txt"
    report.parent.mkdir(parents=True)
    report.write_text("Yhteys: KOULU (at) hel.example.fi tai koulu[at]hel.example.fi; "
                      "Kalle: kalle.koulu@hel.example.fi, x@sub.hel.example.fi, "
                      "koulu+kulttuuri@hel.example.fi, koulu@hel.example.fi.invalid\n",
                      encoding="utf-8")

    result = forget_person(workspace, "koulu@hel.example.fi", session=session,
                           settings=settings_for(workspace))

    text = report.read_text(encoding="utf-8")
    assert "(at)" not in text and "[at]" not in text
    assert text.count(f"erased-{result.subject_hash[:8]}@invalid") == 2
    for other in ("kalle.koulu@hel.example.fi", "x@sub.hel.example.fi",
                  "koulu+kulttuuri@hel.example.fi", "koulu@hel.example.fi.invalid"):
        assert other in text
