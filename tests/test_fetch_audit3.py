"""``fetch`` against a real Dovecot with the mail servers and municipal staff really send
(audit3): our own invitation coming back is never ingested as an answer, receipts change
nothing, a reply quoting the invitation is ingested once, for the right municipality."""

from __future__ import annotations

import json
from typing import Any

import mailbox_samples as samples
from fixtures_fetch import filled_workbook
from test_fetch import add_contact, by_uid, contact_status, practice_titles, run_json


def blank_workbook(workspace: Any, code: str) -> bytes:
    """The questionnaire as the invitation carries it: built, not filled in."""
    from sqlmodel import Session

    from yhteistuumin_survey.config import load_settings
    from yhteistuumin_survey.db.engine import open_database
    from yhteistuumin_survey.db.models import Municipality
    from yhteistuumin_survey.questionnaire import build_questionnaire
    from yhteistuumin_survey.register import ensure_register
    from yhteistuumin_survey.survey import workspace_survey

    settings = load_settings(workspace.root, env={})
    engine = open_database(settings.database_url)
    ensure_register(engine, workspace=workspace)
    with Session(engine, expire_on_commit=False) as session:
        path = build_questionnaire(workspace, session=session, settings=settings,
                                   survey=workspace_survey(workspace),
                                   municipality=session.get(Municipality, code))
        session.commit()
    engine.dispose()
    return path.read_bytes()


def test_our_returned_invitation_and_receipts_are_never_ingested(cli, workspace, dovecot):
    for _code, address in (("091", "kulttuuri@helsinki.example.fi"),):
        add_contact(workspace, _code, address)
    blank = blank_workbook(workspace, "091")
    uids = {
        "odd-ndr": dovecot.append(samples.bounce_not_recognised(blank)),
        "read": dovecot.append(samples.read_receipt_with(blank)),
        "delivered": dovecot.append(samples.delivered_receipt()),
        "daemon": dovecot.append(samples.report_of_another_message()),
    }
    code, report = run_json(cli, env=dovecot.env("starttls"))
    assert code == 0, report
    items = by_uid(report)
    assert report["practices_new"] == 0 and report["ingested_files"] == 0, report
    assert items[uids["odd-ndr"]]["status"] == "to-read"
    assert items[uids["odd-ndr"]]["reason"] == (
        "it carries our own message (Kutsu.eml) and nothing else to read: perhaps a delivery "
        "report of a kind not recognised; read it in the mailbox")
    assert items[uids["read"]]["status"] == "auto-reply"
    assert items[uids["read"]]["reason"] == "read receipt: nothing changes"
    assert items[uids["delivered"]]["reason"] == "delivery receipt: nothing changes"
    assert (items[uids["daemon"]]["status"], items[uids["daemon"]]["reason"]) == (
        "to-read", "a delivery report naming none of our messages: read it in the mailbox")
    assert contact_status(workspace, "kulttuuri@helsinki.example.fi") == "valid"
    assert not list((workspace.outputs / "received").rglob("*.xlsx"))


def test_a_reply_quoting_the_invitation_is_ingested_once_for_its_municipality(
        cli, workspace, dovecot):
    add_contact(workspace, "698", "kulttuuri@rovaniemi.example.fi")
    reply = samples.quoting_reply(filled_workbook(workspace, "698"))
    first = dovecot.append(reply)
    code, report = run_json(cli, env=dovecot.env("starttls"))
    assert code == 0, report
    assert by_uid(report)[first]["status"] == "ingested" and report["practices_new"] == 1
    assert contact_status(workspace, "kulttuuri@rovaniemi.example.fi") == "valid"
    # The same reply again (sent twice, or copied back into the folder): no second practice.
    second = dovecot.append(reply)
    code, again = run_json(cli, env=dovecot.env("starttls"))
    assert code == 0, again
    assert by_uid(again)[second]["status"] == "ingested" and again["practices_new"] == 0
    listed = json.loads(cli("practices", "list", "--format", "json").stdout)
    assert len(listed) == 1 and "698" in json.dumps(listed[0]), listed
    assert practice_titles(cli)


def test_a_bounce_fetched_and_then_read_again_as_eml_is_counted_once(cli, workspace, dovecot):
    add_contact(workspace, "698", "kulttuuri@rovaniemi.example.fi")
    uid = dovecot.append(samples.gmail_not_found())
    code, report = run_json(cli, env=dovecot.env("starttls"))
    assert code == 0 and by_uid(report)[uid]["status"] == "hard-bounce", report
    assert contact_status(workspace, "kulttuuri@rovaniemi.example.fi") == "bounced"
    # The coordinator saves the same message from the mail program and reads it again.
    saved = workspace.root / "Delivery Status Notification (Failure).eml"
    saved.write_bytes(samples.gmail_not_found())
    again = cli("bounces", str(saved), "--format", "json")
    assert again.exit_code == 0, again.output
    data = json.loads(again.stdout)
    assert data["marked_bounced"] == 0
    assert [o["status"] for o in data["outcomes"]] == ["already-read"], data


def test_an_answer_whose_words_say_the_sender_goes_on_holiday_is_ingested(
        cli, workspace, dovecot):
    # "Jag är på semester från måndag" is what an out-of-office says too; this one was written
    # by a person and carries the answer.
    add_contact(workspace, "599", "registrator@pedersoren-kunta.example.fi")
    uid = dovecot.append(samples.answer_mentioning_holiday(filled_workbook(workspace, "599")))
    code, report = run_json(cli, env=dovecot.env("starttls"))
    assert code == 0, report
    assert by_uid(report)[uid]["status"] == "ingested" and report["practices_new"] == 1, report


def test_fetch_says_how_many_messages_a_person_has_to_check(cli, workspace, dovecot):
    add_contact(workspace, "698", "kulttuuri@rovaniemi.example.fi")
    add_contact(workspace, "091", "kirjaamo@helsinki.example.fi")
    for message in (samples.left_fi(), samples.m365_policy_block(), samples.ooo_fi_headers()):
        dovecot.append(message)
    result = cli("fetch", env=dovecot.env("starttls"))
    assert result.exit_code == 0, result.output
    assert ("2 messages about a contact for a person to check: see yhteistuumin status --by "
            "municipality.") in result.output
    code, report = run_json(cli, env=dovecot.env("starttls"))
    assert report["already_seen"] == 3
    listing = json.loads(cli("status", "--by", "municipality", "--format", "json").stdout)
    rows = {row["code"]: row for row in listing["rows"]}
    assert rows["698"]["next_action"] == "check-contact"
    assert rows["091"]["check"] == [{"address": "kirjaamo@helsinki.example.fi",
                                     "reason": "refused"}]
