"""Bounces and auto-replies: classified, matched to the outbox, acted on once.

The messages in tests/data/bounces/ are shaped after what real MTAs send (Postfix DSN,
Exchange NDR, sendmail delay warning, qmail), plus out-of-office replies in Finnish, Swedish
and English and an ordinary reply. The outbox rows they refer to are made here.
"""

from __future__ import annotations

import datetime as dt
import mailbox
import shutil
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from send_support import composer, invited_session, mail_server
from sqlmodel import Session, select

from yhteistuumin_survey.bounces import classify_message, message_key, process_bounces
from yhteistuumin_survey.config import load_settings
from yhteistuumin_survey.db.models import Bounce, Contact
from yhteistuumin_survey.mailer import plan_round, send_round
from yhteistuumin_survey.smtp_auth import SmtpOptions, SmtpSession

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

DATA = Path(__file__).parent / "data" / "bounces"
ROUND = "yhteistuumin-2026"
SENT = [  # (code, address, message id, token) as the data files quote them
    ("698", "kulttuuri@rovaniemi.example.fi", "<invite-698-b.rova@yhteistuumin.example.fi>",
     "RovaniemiToken0001abcd"),
    ("698", "kirjaamo@rovaniemi.example.fi", "<invite-698-a.rova@yhteistuumin.example.fi>",
     "RovaniemiToken0001abcd"),
    ("091", "kirjaamo@helsinki.example.fi", "<invite-091-a.hki@yhteistuumin.example.fi>",
     "HelsinkiToken0001abcd"),
    ("091", "kulttuuri@helsinki.example.fi", "<invite-091-b.hki@yhteistuumin.example.fi>",
     "HelsinkiToken0001abcd"),
    ("599", "registrator@pedersoren-kunta.example.fi",
     "<invite-599-a.ped@yhteistuumin.example.fi>", "PedersoreToken0001abcd"),
]


@pytest.fixture
def db(workspace, sqlite_template):
    with invited_session(workspace, sqlite_template, "bounces.sqlite", SENT, ROUND) as session:
        yield session


def contact(session: Session, address: str) -> Contact:
    session.expire_all()
    return session.exec(select(Contact).where(Contact.email == address)).one()


def by_source(result) -> dict[str, object]:
    return {Path(o.source.split("#")[0]).name + (("#" + o.source.split("#")[1])
                                                   if "#" in o.source else ""): o
            for o in result.report.outcomes}


def test_every_kind_is_classified_and_only_hard_bounces_mark_contacts(db):
    result = process_bounces([DATA], session=db, round_name=ROUND)
    outcomes = by_source(result)
    assert {name: o.status for name, o in outcomes.items()} == {
        "autoreply-en.eml": "auto-reply",
        "autoreply-fi.eml": "auto-reply",
        "autoreply-sv.eml": "auto-reply",
        "delayed-dsn.eml": "soft-bounce",
        "exchange-mailbox-full.eml": "soft-bounce",
        "mixed.mbox#1": "hard-bounce",
        "mixed.mbox#2": "auto-reply",
        "ordinary-reply.eml": "not-a-bounce",
        "postfix-hard-dsn.eml": "hard-bounce",
        "qmail-hard.eml": "hard-bounce",
    }
    assert result.marked_bounced == 3
    postfix = outcomes["postfix-hard-dsn.eml"]
    assert postfix.detail["matched_by"] == "token" and postfix.detail["municipality"] == "698"
    assert outcomes["qmail-hard.eml"].detail["matched_by"] == "address"
    assert outcomes["mixed.mbox#1"].detail["matched_by"] == "contact"
    assert outcomes["delayed-dsn.eml"].detail["matched_by"] == "message-id"
    assert outcomes["exchange-mailbox-full.eml"].detail["address"] == "kirjaamo@helsinki.example.fi"
    assert "soft bounce kept" in outcomes["exchange-mailbox-full.eml"].reason

    hard = contact(db, "kulttuuri@rovaniemi.example.fi")
    assert hard.status == "bounced" and "5.1.1" in hard.bounce_reason
    assert hard.bounced_at is not None and hard.bounced_at.replace(tzinfo=dt.UTC) == dt.datetime(
        2026, 12, 1, 8, 2, 11, tzinfo=dt.UTC)
    assert contact(db, "kirjaamo@rovaniemi.example.fi").status == "bounced"
    assert contact(db, "kirjaamo@alajarvi.example.fi").status == "bounced"
    for untouched in ("kirjaamo@helsinki.example.fi", "kulttuuri@helsinki.example.fi",
                      "registrator@pedersoren-kunta.example.fi", "kulttuuri@alajarvi.example.fi"):
        assert contact(db, untouched).status == "valid", untouched
    stored = {b.source.split("/")[-1]: b.classification for b in db.exec(select(Bounce))}
    assert stored["postfix-hard-dsn.eml"] == "hard" and stored["autoreply-fi.eml"] == "auto-reply"
    assert len(stored) == 10


def test_reading_the_same_mail_twice_changes_nothing(db):
    process_bounces([DATA], session=db, round_name=ROUND)
    before = [(c.email, c.status, c.bounced_at, c.updated_at) for c in db.exec(select(Contact))]
    bounces = len(db.exec(select(Bounce)).all())
    again = process_bounces([DATA], session=db, round_name=ROUND)
    assert {o.status for o in again.report.outcomes} == {"already-read"}
    assert again.marked_bounced == 0 and len(db.exec(select(Bounce)).all()) == bounces
    db.expire_all()
    after = [(c.email, c.status, c.bounced_at, c.updated_at) for c in db.exec(select(Contact))]
    assert after == before


def test_maildir_is_read_message_by_message(db, tmp_path):
    box = mailbox.Maildir(tmp_path / "Maildir", create=True)
    for name in ("postfix-hard-dsn.eml", "autoreply-sv.eml"):
        box.add((DATA / name).read_bytes())
    result = process_bounces([tmp_path / "Maildir"], session=db, round_name=ROUND)
    assert sorted(o.status for o in result.report.outcomes) == ["auto-reply", "hard-bounce"]
    assert contact(db, "kulttuuri@rovaniemi.example.fi").status == "bounced"


def test_missing_path_is_an_error_line_and_the_rest_goes_on(db, tmp_path):
    shutil.copy(DATA / "qmail-hard.eml", tmp_path / "one.eml")
    result = process_bounces([tmp_path / "nothing-here.mbox", tmp_path / "one.eml"], session=db,
                             round_name=ROUND)
    statuses = [(Path(o.source).name, o.status, o.reason) for o in result.report.outcomes]
    assert statuses[0] == ("nothing-here.mbox", "error", "no such file or folder")
    assert statuses[1][1] == "hard-bounce" and result.report.failed


def test_message_without_message_id_is_keyed_by_its_bytes():
    data = (DATA / "qmail-hard.eml").read_bytes().replace(
        b"Message-ID: <20261201083012.qmail.77@mail.kunta.example.fi>\n", b"")
    assert message_key(data).startswith("sha256:") and len(message_key(data)) == 71
    assert message_key((DATA / "qmail-hard.eml").read_bytes()) == (
        "<20261201083012.qmail.77@mail.kunta.example.fi>")


@pytest.mark.parametrize(("subject", "body", "expected"), [
    ("Re: Kutsu", "Olen poissa toimistolta 7.12. asti.", "auto-reply"),
    ("Re: Inbjudan", "Jag är på semester, tillbaka 8.12.", "auto-reply"),
    ("Automatiskt svar: Inbjudan", "Tack för ditt mejl.", "auto-reply"),
    ("Re: Kutsu", "Kiitos, vastaamme pian. Olemme lomalla koko kunta ensi vuonna?", "not-a-bounce"),
])
def test_out_of_office_text_in_finnish_swedish_and_english(subject, body, expected):
    message = EmailMessage()
    message["From"] = "kirjaamo@kunta.example.fi"
    message["Subject"] = subject
    message.set_content(body)
    assert classify_message(message.as_bytes()).kind == expected


def test_bounce_of_a_really_sent_invitation_matches_its_token(db, workspace):
    settings = load_settings(workspace.root, env={})
    with mail_server() as server:
        plan = plan_round(session=db, settings=settings, kind="invite", only=["005"])
        with SmtpSession(SmtpOptions("127.0.0.1", server.port, "none")) as transport:
            send_round(plan, session=db, settings=settings, compose=composer(db, settings),
                       transport=transport)
    original = next(m for m in server.raw if b"kulttuuri@alajarvi" in m.split(b"\r\n\r\n")[0])
    assert message_from_bytes(original, policy=policy.default)["X-Yhteistuumin-Token"]
    # The bounce an MTA would send: a human part, the delivery-status, the original message.
    head = (
        "From: Mail Delivery System <MAILER-DAEMON@mx.alajarvi.example.fi>\r\n"
        f"To: {settings.get('round.sender')}\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        "Message-ID: <bounce-real-1@mx.alajarvi.example.fi>\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
        "--B\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
        "--B\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.alajarvi.example.fi\r\n\r\n"
        "Final-Recipient: rfc822; kulttuuri@alajarvi.example.fi\r\nAction: failed\r\n"
        "Status: 5.1.2\r\nDiagnostic-Code: smtp; 550 5.1.2 Host unknown\r\n\r\n"
        "--B\r\nContent-Type: message/rfc822\r\n\r\n")
    data = head.encode() + original + b"\r\n--B--\r\n"
    path = workspace.root / "real-bounce.eml"
    path.write_bytes(data)

    result = process_bounces([path], session=db, round_name=settings.round_name)
    outcome = result.report.outcomes[0]
    assert outcome.status == "hard-bounce", outcome
    assert outcome.detail["matched_by"] == "token" and outcome.detail["municipality"] == "005"
    assert contact(db, "kulttuuri@alajarvi.example.fi").status == "bounced"
    assert contact(db, "kirjaamo@alajarvi.example.fi").status == "valid"
    # ...and no reminder or new invitation goes to it.
    plan = plan_round(session=db, settings=settings, kind="invite", only=["005"])
    assert [m.address for m in plan.to_send + plan.already_sent] == ["kirjaamo@alajarvi.example.fi"]


def test_a_hard_bounce_marks_the_address_dead_for_every_municipality_that_shares_it(db):
    # A joint culture office: one address is the contact of Rovaniemi and of Alajärvi.
    db.add(Contact(municipality_code="005", email="kulttuuri@rovaniemi.example.fi",
                   name="Yhteinen kulttuuritoimi"))
    db.commit()
    result = process_bounces([DATA / "postfix-hard-dsn.eml"], session=db, round_name=ROUND)
    db.expire_all()
    shared = db.exec(select(Contact).where(Contact.email == "kulttuuri@rovaniemi.example.fi")).all()
    assert {(c.municipality_code, c.status) for c in shared} == {("698", "bounced"),
                                                                ("005", "bounced")}
    assert result.marked_bounced == 2
    (outcome,) = result.report.outcomes
    assert "kulttuuri@rovaniemi.example.fi marked bounced (the contact of 2 municipalities)" in (
        outcome.reason)
