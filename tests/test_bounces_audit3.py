"""The mailbox as real servers and real municipal staff fill it (audit3): what each message
does to the contacts, and what the coordinator reads.

The messages are built in ``mailbox_samples`` after the real formats (Microsoft 365 / Exchange,
Gmail, Postfix, Exim, qmail, Domino, a Finnish server's own NDR, Outlook's automatic replies,
read and delivery receipts). The outbox rows they refer to are made here.
"""

from __future__ import annotations

import mailbox_samples as samples
import pytest
from send_support import invited_session
from sqlmodel import delete, select

from yhteistuumin_survey.bounces import process_bounces
from yhteistuumin_survey.db.models import Bounce, Contact

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

ROUND = "yhteistuumin-2026"


@pytest.fixture
def db(workspace, sqlite_template):
    with invited_session(workspace, sqlite_template, "audit3.sqlite", samples.SENT, ROUND) as session:
        yield session


def read(db, workspace, name: str, data: bytes):
    """Read one message as ``yhteistuumin bounces FILE`` does; its outcome and who was marked."""
    before = {c.email for c in db.exec(select(Contact).where(Contact.status == "bounced"))}
    path = workspace.root / f"{name}.eml"
    path.write_bytes(data)
    result = process_bounces([path], session=db, round_name=ROUND)
    db.expire_all()
    after = {c.email for c in db.exec(select(Contact).where(Contact.status == "bounced"))}
    (outcome,) = result.report.outcomes
    return outcome, sorted(after - before)


@pytest.mark.parametrize(("name", "status", "marked"), [
    ("m365_not_found", "hard-bounce", ["kulttuuri@helsinki.example.fi"]),
    ("m365_access_denied", "hard-bounce", ["registrator@pedersoren-kunta.example.fi"]),
    ("m365_finnish", "hard-bounce", ["kulttuuri@rovaniemi.example.fi"]),
    ("gmail_not_found", "hard-bounce", ["kulttuuri@rovaniemi.example.fi"]),
    ("exim_failed", "hard-bounce", ["kulttuuri@helsinki.example.fi"]),
    ("qmail_failed", "hard-bounce", ["registrator@pedersoren-kunta.example.fi"]),
    ("domino_failure", "hard-bounce", ["kulttuuri@rovaniemi.example.fi"]),
    ("finnish_plain_ndr", "hard-bounce", ["registrator@pedersoren-kunta.example.fi"]),
    ("gmail_delay", "soft-bounce", []),
    ("postfix_full", "soft-bounce", []),
    ("ooo_fi_headers", "auto-reply", []),
    ("ooo_sv_plain", "auto-reply", []),
])
def test_each_server_s_report_marks_only_the_dead_address(db, workspace, name, status, marked):
    outcome, newly = read(db, workspace, name, getattr(samples, name)())
    assert (outcome.status, newly) == (status, marked), outcome


def test_a_delivery_receipt_says_the_invitation_arrived_and_marks_nothing(db, workspace):
    # Exchange's "Delivered:" is a delivery-status report too, with Action: delivered.
    outcome, newly = read(db, workspace, "delivered", samples.delivered_receipt())
    assert newly == []
    assert outcome.status == "auto-reply"
    assert outcome.reason == "delivery receipt: nothing changes"
    assert outcome.detail["municipality"] == "091"


def test_a_read_receipt_marks_nothing(db, workspace):
    outcome, newly = read(db, workspace, "read", samples.read_receipt())
    assert (outcome.status, outcome.reason, newly) == (
        "auto-reply", "read receipt: nothing changes", [])


def test_a_report_naming_no_address_of_a_municipality_with_two_marks_neither(db, workspace):
    # Helsinki's invitation went to two addresses under one token; the report's words and the
    # quoted headers name neither: which one is dead is for a person to find out.
    outcome, newly = read(db, workspace, "anonymous",
                          samples.finnish_plain_ndr(samples.HELSINKI, says_address=False))
    assert newly == []
    assert outcome.status == "hard-bounce" and outcome.detail["municipality"] == "091"
    assert outcome.reason == ("hard bounce for municipality 091, but it does not say which of "
                              "its addresses: nothing marked; read it in the mailbox")


def test_a_report_whose_words_name_one_of_the_municipality_s_addresses_marks_that_one(
        db, workspace):
    outcome, newly = read(db, workspace, "named", samples.finnish_plain_ndr(samples.HELSINKI))
    assert newly == ["kulttuuri@helsinki.example.fi"], outcome


@pytest.mark.parametrize(("name", "data", "address"), [
    ("exchange-5.7.1", samples.m365_policy_block(), "kirjaamo@helsinki.example.fi"),
    ("gmail-5.7.26", samples.gmail_not_found(
        "550-5.7.26 This mail is unauthenticated, which poses a security risk to the sender "
        "and Gmail users, and has been blocked.", "5.7.26"), "kulttuuri@rovaniemi.example.fi"),
    ("generic-5.0.0", samples.gmail_not_found(
        "554 Message rejected: sender IP listed on a blocklist", "5.0.0"),
     "kulttuuri@rovaniemi.example.fi"),
    ("exim-5.7.1", samples.exim_failed("550 5.7.1 Message rejected by policy: sender domain "
                                       "not on the allow list"), "kulttuuri@helsinki.example.fi"),
])
def test_a_refusal_by_policy_is_not_a_dead_address_and_is_said_for_a_person(
        db, workspace, name, data, address):
    outcome, newly = read(db, workspace, name, data)
    assert newly == []
    assert outcome.status == "soft-bounce" and outcome.detail["municipality"] in ("091", "698")
    assert outcome.reason.startswith(f"{address}: the receiving server refused our message (")
    assert outcome.reason.endswith("the address may well work, so nothing is marked: ask the "
                                   "municipality to let our mail through, or reach it another "
                                   "way")
    (stored,) = db.exec(select(Bounce)).all()
    assert (stored.classification, stored.address) == ("check-refused", address)


def test_a_5_7_1_that_says_the_user_does_not_exist_is_still_a_dead_address(db, workspace):
    outcome, newly = read(db, workspace, "exim-5.7.1-unknown",
                          samples.exim_failed("550 5.7.1 <kulttuuri@helsinki.example.fi>: "
                                              "Recipient address rejected: User unknown"))
    assert newly == ["kulttuuri@helsinki.example.fi"], outcome


@pytest.mark.parametrize(("name", "address", "named"), [
    ("left_fi", "kulttuuri@rovaniemi.example.fi",
     " (it names kulttuuripalvelut@rovaniemi.example.fi)"),
    ("left_sv", "registrator@pedersoren-kunta.example.fi", ""),
    ("left_en", "kulttuuri@helsinki.example.fi", " (it names kirjaamo@helsinki.example.fi)"),
])
def test_an_auto_reply_saying_the_person_has_left_is_news_not_a_bounce(db, workspace, name,
                                                                       address, named):
    outcome, newly = read(db, workspace, name, getattr(samples, name)())
    assert newly == [] and outcome.status == "auto-reply"
    assert outcome.reason == (f"{address}: the auto-reply says the person has left; nothing is "
                              f"marked: find the municipality's new contact{named}")
    (stored,) = db.exec(select(Bounce)).all()
    assert (stored.classification, stored.address) == ("check-left", address)


def test_an_ordinary_out_of_office_is_not_taken_for_a_person_who_left(db, workspace):
    outcome, _ = read(db, workspace, "ooo", samples.ooo_fi_headers())
    assert outcome.reason == "auto-reply: nothing changes"
    assert db.exec(select(Bounce)).one().classification == "auto-reply"


def test_a_challenge_response_filter_is_named_for_our_contact_and_marks_nothing(db, workspace):
    outcome, newly = read(db, workspace, "challenge", samples.challenge())
    assert newly == [] and outcome.status == "auto-reply"
    assert outcome.reason == ("kulttuuri@helsinki.example.fi: a challenge-response filter holds "
                              "our message until someone confirms it; read it in the mailbox")
    assert outcome.detail["municipality"] == "091"


def test_a_failed_forward_at_the_municipality_does_not_mark_our_contact(db, workspace):
    outcome, newly = read(db, workspace, "forward", samples.forward_failed())
    assert newly == []
    assert outcome.reason == (
        "maija.meikalainen@gmail.example.com: not an address we sent to; our message to "
        "kirjaamo@helsinki.example.fi (municipality 091) was sent on to it and failed there: "
        "nothing marked; see whether kirjaamo@helsinki.example.fi still takes mail")
    assert outcome.detail["municipality"] == "091"


def test_the_follow_up_list_asks_to_check_a_contact_the_mailbox_spoke_of(db, workspace):
    from yhteistuumin_survey.followup import follow_up

    read(db, workspace, "left", samples.left_fi())
    read(db, workspace, "refused", samples.m365_policy_block())
    read(db, workspace, "away", samples.ooo_sv_plain())  # an ordinary absence: nothing to do
    finnish = follow_up(session=db, round_name=ROUND)
    rows = {row["code"]: row for row in finnish.rows}
    assert rows["698"]["next_action"] == "check-contact"
    assert rows["698"]["check"] == [{"address": "kulttuuri@rovaniemi.example.fi",
                                     "reason": "left",
                                     "named": ["kulttuuripalvelut@rovaniemi.example.fi"]}]
    assert rows["599"]["check"] == [] and rows["599"]["next_action"] != "check-contact"
    shown = {row["code"]: row for row in finnish.shown_rows()}
    assert shown["698"]["next_action"] == (
        "tarkista yhteystieto: kulttuuri@rovaniemi.example.fi: automaattisen vastauksen mukaan "
        "henkilö on lopettanut (viestissä mainitaan osoite "
        "kulttuuripalvelut@rovaniemi.example.fi)")
    assert shown["091"]["next_action"] == (
        "tarkista yhteystieto: kirjaamo@helsinki.example.fi: vastaanottava palvelin torjui "
        "viestimme (osoite voi toimia)")
    swedish = {row["code"]: row for row in follow_up(session=db, round_name=ROUND,
                                                     lang="sv").shown_rows()}
    assert swedish["698"]["next_action"] == (
        "kontrollera kontaktuppgiften: kulttuuri@rovaniemi.example.fi: enligt ett automatiskt "
        "svar har personen slutat (meddelandet nämner adressen "
        "kulttuuripalvelut@rovaniemi.example.fi)")
    # Once the coordinator changes the contact, the note is done with.
    contact = db.exec(select(Contact).where(
        Contact.email == "kulttuuri@rovaniemi.example.fi")).one()
    contact.status = "erased"
    db.add(contact)
    db.commit()
    rows = {row["code"]: row for row in follow_up(session=db, round_name=ROUND).rows}
    assert rows["698"]["check"] == [] and rows["698"]["next_action"] != "check-contact"


@pytest.mark.parametrize(("body", "left"), [
    ("En ole enää tänään töissä, palaan maanantaina.", False),
    ("En työskentele perjantaisin. Vastaan viesteihin maanantaina.", False),
    ("Jag har slutat för dagen och läser e-post i morgon.", False),
    ("I have left the office for the holidays and will be back on 4 January.", False),
    ("Olen lomalla. Huom! Pekka ei enää työskentele kulttuuripalveluissa.", True),
    ("En ole enää Rovaniemen kaupungin palveluksessa.", True),
    ("Jag arbetar inte längre på kommunen.", True),
    ("Thank you. I am no longer employed by the municipality.", True),
])
def test_only_a_reply_saying_the_person_left_is_taken_for_it(body, left):
    from email.message import EmailMessage

    from yhteistuumin_survey.bounces import classify_message

    message = EmailMessage()
    message["From"] = "kulttuuri@kunta.example.fi"
    message["Subject"] = "Automaattinen vastaus: Kutsu"
    message["Auto-Submitted"] = "auto-replied"
    message.set_content(body + "\n\n-----Alkuperäinen viesti-----\nEn työskentele enää.\n")
    found = classify_message(message.as_bytes())
    assert found.kind == "auto-reply" and (found.attention == "left") == left


def test_a_report_with_an_unencoded_finnish_sender_name_is_still_read(db, workspace):
    # Raw UTF-8 in a header (as sloppy relays write it) made one of flufl.bounce's detectors
    # raise, which stopped them all: this Domino report, with no token to fall back on, was
    # then "a delivery report naming none of our messages".
    data = samples.domino_failure("Sähköpostijärjestelmä <Postmaster@rovaniemi.example.fi>")
    outcome, newly = read(db, workspace, "domino-8bit", data)
    assert newly == ["kulttuuri@rovaniemi.example.fi"], outcome


def test_an_automatic_message_handing_back_our_invitation_is_no_out_of_office(db, workspace):
    # A relay's report in words nothing here knows, with Auto-Submitted: it was an auto-reply
    # ("nothing changes"), and the dead address went on getting reminders.
    auto = "Auto-Submitted: auto-replied\r\n"
    outcome, newly = read(db, workspace, "odd-auto",
                          samples.bounce_not_recognised(b"PK", headers=auto))
    assert newly == [] and outcome.status == "not-a-bounce"
    assert outcome.detail["why"] == ("an automatic message handing back our own, without a "
                                     "delivery status")
    # With a permanent status code in its words it is a hard bounce; which of Helsinki's two
    # addresses, its words say.
    outcome, newly = read(db, workspace, "odd-auto-550", samples.bounce_not_recognised(
        b"PK", headers=auto.replace("replied", "generated") + "Message-ID: <o2@x.example>\r\n",
        words=" (550 5.1.1 user unknown)"))
    assert (outcome.status, newly) == ("hard-bounce", ["kulttuuri@helsinki.example.fi"]), outcome


def test_one_report_for_two_addresses_marks_the_dead_one_and_keeps_the_refused_one(
        db, workspace):
    from yhteistuumin_survey.followup import follow_up

    data = samples.m365_policy_block().replace(
        b"Final-Recipient: rfc822;kirjaamo@helsinki.example.fi\r\n",
        b"Final-Recipient: rfc822;kulttuuri@helsinki.example.fi\r\nAction: failed\r\n"
        b"Status: 5.1.1\r\nDiagnostic-Code: smtp;550 5.1.1 User unknown\r\n\r\n"
        b"Final-Recipient: rfc822;kirjaamo@helsinki.example.fi\r\n")
    outcome, newly = read(db, workspace, "two", data)
    assert newly == ["kulttuuri@helsinki.example.fi"]
    assert outcome.reason.startswith("kulttuuri@helsinki.example.fi marked bounced; "
                                     "kirjaamo@helsinki.example.fi: the receiving server refused")
    rows = {row["code"]: row for row in follow_up(session=db, round_name=ROUND).rows}
    assert rows["091"]["check"] == [{"address": "kirjaamo@helsinki.example.fi",
                                     "reason": "refused"}]


@pytest.mark.parametrize("body", [
    "Sähköpostiosoitteeni on muuttunut. Uusi osoitteeni on pekka.p@rovaniemi.example.fi.",
    "En ole enää tavoitettavissa tästä osoitteesta; käytä osoitetta pekka.p@rovaniemi.example.fi",
    "Min e-postadress har ändrats till pekka.p@rovaniemi.example.fi.",
    "Please note that my email address has changed to pekka.p@rovaniemi.example.fi.",
])
def test_an_auto_reply_saying_the_address_changed_asks_to_update_the_contact(db, workspace,
                                                                             body):
    from yhteistuumin_survey.followup import follow_up

    head = samples.left_fi().split(b"\r\n\r\n", 1)[0]
    data = head + b"\r\n\r\nHei,\r\n\r\n" + body.encode() + b"\r\n"
    outcome, newly = read(db, workspace, "moved", data)
    assert newly == [] and outcome.status == "auto-reply"
    assert outcome.reason == ("kulttuuri@rovaniemi.example.fi: the auto-reply says the address "
                              "has changed; nothing is marked: update the contact (it names "
                              "pekka.p@rovaniemi.example.fi)")
    shown = {row["code"]: row for row in follow_up(session=db, round_name=ROUND).shown_rows()}
    # the new address is shown for the coordinator, never mailed without them
    assert shown["698"]["next_action"] == ("tarkista yhteystieto: kulttuuri@rovaniemi.example.fi: "
                                           "automaattisen vastauksen mukaan osoite on vaihtunut "
                                           "(viestissä mainitaan osoite "
                                           "pekka.p@rovaniemi.example.fi)")


def test_several_refusals_by_policy_in_one_run_point_at_our_own_sending(db, workspace):
    # Each refusal is a note for its municipality; together they were never said to point at
    # the sender's domain records or a provider's block, the likelier cause.
    refusals = [samples.m365_policy_block(),
                samples.gmail_not_found("550-5.7.26 This mail is unauthenticated, which poses a "
                                        "security risk to the sender and Gmail users, and has "
                                        "been blocked.", "5.7.26"),
                samples.exim_failed("550 5.7.1 Message rejected by policy: sender domain not "
                                    "on the allow list")]
    paths = []
    for number, data in enumerate(refusals):
        paths.append(workspace.root / f"refusal-{number}.eml")
        paths[-1].write_bytes(data)

    two = process_bounces(paths[:2], session=db, round_name=ROUND)
    three = process_bounces(paths, session=db, round_name=ROUND)  # the first two read before

    assert not any("servers refused our mail" in line for line in two.summary())
    assert not any("servers refused our mail" in line for line in three.summary())
    db.exec(delete(Bounce))
    db.commit()
    again = process_bounces(paths, session=db, round_name=ROUND)
    assert again.summary()[-1] == (
        "3 servers refused our mail by policy: when several do, the cause is more likely our "
        "sending than their addresses; have the sender's domain records (SPF, DKIM, DMARC) "
        "checked, or ask the mail provider whether it is blocked.")


def test_fetch_says_it_too_when_several_servers_refused_our_mail_by_policy():
    from yhteistuumin_survey.fetch import SOFT, FetchedItem, FetchResult

    def result(refused: int) -> FetchResult:
        return FetchResult("imap.example.fi", "INBOX", items=[
            FetchedItem(uid, SOFT, check=True, refused=True) for uid in range(refused)])

    assert not any("servers refused our mail" in line for line in result(2).summary())
    assert "3 servers refused our mail by policy" in result(3).summary()[-1]
