"""``yhteistuumin fetch`` against a real Dovecot: what each message becomes, re-runs, dry runs.

The mailbox holds real-shaped mail: an Outlook reply carrying a filled questionnaire, a
forwarded Outlook ``.msg``, a Postfix and an Exchange bounce, Finnish and Swedish out-of-office
replies, a plain question and a message without headers.
"""

from __future__ import annotations

import json
from typing import Any

from fixtures_fetch import (
    data_file,
    filled_workbook,
    headerless_message,
    msg_forward,
    outlook_reply,
    plain_question,
    typed_answers,
)
from sqlmodel import Session, select

from yhteistuumin_survey.fetch import FetchedItem, FetchResult

KEYWORD = "$Yhteistuumin"
TITLE = "Kuntien välinen yhteistyö aluetyössä"  # sample 0 of survey/samples/practices.yaml


def run_json(cli: Any, *args: str, env: dict[str, str]) -> tuple[int, dict[str, Any]]:
    result = cli("fetch", "--format", "json", *args, env=env)
    assert result.exception is None, result.exception
    assert "Traceback" not in result.output
    return result.exit_code, json.loads(result.stdout)


def engine_of(workspace: Any) -> Any:
    from yhteistuumin_survey.db.engine import open_database

    return open_database(f"sqlite:///{workspace.outputs / 'yhteistuumin.sqlite'}")


def add_contact(workspace: Any, code: str, address: str) -> None:
    from yhteistuumin_survey.db.models import Contact
    from yhteistuumin_survey.register import ensure_register

    engine = engine_of(workspace)
    ensure_register(engine, workspace=workspace)
    with Session(engine) as session:
        session.add(Contact(municipality_code=code, email=address))
        session.commit()
    engine.dispose()


def contact_status(workspace: Any, address: str) -> str:
    from yhteistuumin_survey.db.models import Contact

    engine = engine_of(workspace)
    with Session(engine) as session:
        contact = session.exec(select(Contact).where(Contact.email == address)).one()
    engine.dispose()
    return contact.status


def practice_titles(cli: Any) -> list[str]:
    listed = cli("practices", "list", "--format", "json")
    assert listed.exit_code == 0, listed.output
    return [p["title"] for p in json.loads(listed.stdout)]


def by_uid(report: dict[str, Any]) -> dict[int, dict[str, Any]]:
    return {item["uid"]: item for item in report["items"]}


def test_fetch_ingests_the_questionnaire_records_bounce_and_auto_reply_and_lists_the_rest(
        cli, workspace, dovecot):
    add_contact(workspace, "698", "kulttuuri@rovaniemi.example.fi")
    workbook = filled_workbook(workspace, "049")
    reply = dovecot.append(outlook_reply(workbook, name="Espoo_vastaus.xlsx",
                                         sender="eija.koski@espoo.example.fi",
                                         sender_name="Eija Koski",
                                         message_id="<HE1P190MB0418-1@eurprd.outlook.com>"))
    bounce = dovecot.append(data_file("bounces", "postfix-hard-dsn.eml"))
    away = dovecot.append(data_file("bounces", "autoreply-fi.eml"))
    question = dovecot.append(plain_question())

    code, report = run_json(cli, env=dovecot.env("starttls"))

    assert code == 0, report
    assert {k: report[k] for k in ("fetched", "already_seen", "bounces", "auto_replies",
                                   "to_read", "failed", "practices_new")} == {
        "fetched": 4, "already_seen": 0, "bounces": 1, "auto_replies": 1, "to_read": 1,
        "failed": 0, "practices_new": 1}
    assert report["ingested_files"] >= 1
    items = by_uid(report)
    assert items[reply]["status"] == "ingested"
    assert items[reply]["files"] == ["Espoo_vastaus.xlsx"]
    assert items[bounce]["status"] == "hard-bounce"
    assert items[away]["status"] == "auto-reply"
    assert items[question] | {"reason": ""} == items[question] | {
        "status": "to-read", "from": "sari.virtanen@kuopio.example.fi",
        "subject": "Kysymys kyselyn aikataulusta", "date": "2026-12-03T13:02:00+00:00",
        "reason": ""}
    assert TITLE in practice_titles(cli)
    assert contact_status(workspace, "kulttuuri@rovaniemi.example.fi") == "bounced"
    # The received copy is kept as ingest keeps it, and the message as fetched.
    assert list((workspace.outputs / "received").rglob("*Espoo_vastaus.xlsx"))
    assert (workspace.outputs / "mailbox" / "127.0.0.1" / "INBOX").is_dir()

    # Nothing was deleted or marked read: every message is there, with the keyword only.
    mailbox = dovecot.messages()
    assert sorted(mailbox) == sorted([reply, bounce, away, question])
    assert all(m["flags"] == {KEYWORD} for m in mailbox.values())

    # A second run finds nothing new.
    code, again = run_json(cli, env=dovecot.env("starttls"))
    assert code == 0
    assert (again["fetched"], again["already_seen"], again["items"]) == (0, 4, [])
    assert len(dovecot.messages()) == 4

    # The same workbook again, in another message: stored, but no new practice.
    resent = dovecot.append(outlook_reply(workbook, name="vastaus uudelleen.xlsx",
                                          sender="kirjaamo@espoo.example.fi",
                                          sender_name="Espoon kirjaamo",
                                          message_id="<HE1P190MB0418-2@eurprd.outlook.com>"))
    code, third = run_json(cli, env=dovecot.env("starttls"))
    assert code == 0, third
    assert (third["fetched"], third["already_seen"], third["practices_new"]) == (1, 4, 0)
    assert by_uid(third)[resent]["status"] == "ingested"
    assert "already ingested" in by_uid(third)[resent]["reason"]
    # The summary said "1 ingested (0 files, 0 new practices)": the file the message carried
    # is counted, as read before.
    assert (third["ingested_files"], third["ingested_before"]) == (0, 1)
    said = FetchResult(where="127.0.0.1:143", folder="INBOX",
                       items=[FetchedItem(uid=resent, status="ingested")],
                       ingested_before=third["ingested_before"]).summary()
    assert said[1] == "1 ingested (0 files, 1 file ingested before, 0 new practices)."
    assert practice_titles(cli).count(TITLE) == 1


def test_fetch_reads_every_kind_of_real_mail_and_reports_an_unreadable_one_by_uid(
        cli, workspace, dovecot):
    uids = {
        "forward": dovecot.append(msg_forward(data_file("ingest", "mail-attachment-and-body.msg"))),
        "postfix": dovecot.append(data_file("bounces", "postfix-hard-dsn.eml")),
        "broken": dovecot.append(headerless_message()),
        "exchange": dovecot.append(data_file("bounces", "exchange-mailbox-full.eml")),
        "away-fi": dovecot.append(data_file("bounces", "autoreply-fi.eml")),
        "away-sv": dovecot.append(data_file("bounces", "autoreply-sv.eml")),
        "question": dovecot.append(plain_question()),
        "typed": dovecot.append(typed_answers()),
    }

    code, report = run_json(cli, env=dovecot.env("ssl"))

    assert code == 1  # the headerless message failed; the rest went on
    items = by_uid(report)
    statuses = {name: items[uid]["status"] for name, uid in uids.items()}
    assert statuses == {"forward": "ingested", "postfix": "hard-bounce", "broken": "failed",
                        "exchange": "soft-bounce", "away-fi": "auto-reply",
                        "away-sv": "auto-reply", "question": "to-read", "typed": "ingested"}
    assert items[uids["broken"]]["reason"].startswith(f"UID {uids['broken']} (no subject): ")
    assert items[uids["forward"]]["files"] == ["VS Kulttuuria yhteistuumin -kysely.msg"]
    assert items[uids["typed"]]["reason"].startswith("answers typed in the message")
    assert (report["fetched"], report["bounces"], report["auto_replies"], report["to_read"],
            report["failed"]) == (8, 2, 2, 1, 1)
    # The failed one is left unmarked, to be read by a person; the others carry the keyword.
    flags = {uid: m["flags"] for uid, m in dovecot.messages().items()}
    assert flags.pop(uids["broken"]) == set()
    assert all(f == {KEYWORD} for f in flags.values())
    # It is not tried again and again: a re-run has nothing new and succeeds.
    code, again = run_json(cli, env=dovecot.env("ssl"))
    assert (code, again["fetched"], again["already_seen"]) == (0, 0, 8)


def test_fetch_table_output_says_what_happened(cli, workspace, dovecot):
    dovecot.append(data_file("bounces", "autoreply-sv.eml"))
    dovecot.append(plain_question())
    result = cli("fetch", env=dovecot.env("starttls"))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == (f"127.0.0.1:{dovecot.port} INBOX: 2 new messages handled, "
                        "0 messages handled before.")
    assert lines[1] == "1 auto-reply, 1 to read."
    assert lines[2] == "2 messages marked on the server (nothing deleted)."
    assert "Kysymys kyselyn aikataulusta" in result.stdout
    again = cli("fetch", env=dovecot.env("starttls"))
    assert again.stdout.splitlines() == [
        f"127.0.0.1:{dovecot.port} INBOX: 0 new messages handled, 2 messages handled before."]


def test_dry_run_says_what_each_message_would_become_and_changes_nothing(
        cli, workspace, dovecot):
    from yhteistuumin_survey.db.models import Bounce, FetchedMessage, ReceivedFile

    workbook = filled_workbook(workspace, "049")
    reply = dovecot.append(outlook_reply(workbook, name="vastaus.xlsx",
                                         sender="eija.koski@espoo.example.fi",
                                         sender_name="Eija Koski",
                                         message_id="<dry-1@eurprd.outlook.com>"))
    bounce = dovecot.append(data_file("bounces", "postfix-hard-dsn.eml"))
    question = dovecot.append(plain_question())

    code, report = run_json(cli, "--dry-run", env=dovecot.env("ssl"))

    assert code == 0
    assert report["dry_run"] is True
    assert report["fetched"] == 3
    items = by_uid(report)
    assert items[reply]["status"] == "ingested"
    assert items[reply]["reason"].startswith("would be ingested: attachment: vastaus.xlsx")
    assert items[bounce]["status"] == "hard-bounce"
    assert items[question]["status"] == "to-read"
    assert all(m["flags"] == set() for m in dovecot.messages().values())
    engine = engine_of(workspace)
    with Session(engine) as session:
        assert session.exec(select(FetchedMessage)).all() == []
        assert session.exec(select(Bounce)).all() == []
        assert session.exec(select(ReceivedFile)).all() == []
    engine.dispose()
    assert not (workspace.outputs / "mailbox").exists()
    # The real run afterwards handles all three.
    code, real = run_json(cli, env=dovecot.env("ssl"))
    assert (code, real["fetched"], real["practices_new"]) == (0, 3, 1)


def test_processed_folder_receives_the_handled_messages_and_nothing_is_deleted(
        cli, workspace, dovecot):
    first = dovecot.append(data_file("bounces", "autoreply-fi.eml"))
    dovecot.append(plain_question())
    dovecot.append(headerless_message())
    env = dovecot.env("starttls", YHTEISTUUMIN_IMAP_PROCESSED_FOLDER="Käsitellyt")

    code, report = run_json(cli, env=env)

    assert code == 1  # the headerless message
    assert report["marked"] == 2
    inbox = dovecot.messages()
    assert list(inbox) == [first + 2]  # the failed one stays where a person sees it
    moved = dovecot.messages("Käsitellyt")
    assert len(moved) == 2
    assert {m["body"] for m in moved.values()} == {data_file("bounces", "autoreply-fi.eml"),
                                                    plain_question()}
    code, again = run_json(cli, env=env)
    assert (code, again["fetched"], again["already_seen"]) == (0, 0, 1)


def test_without_move_the_handled_messages_are_copied_and_the_originals_stay_marked(
        cli, workspace, dovecot):
    dovecot.restart("imap_capability = IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE "
                    "LITERAL+ UIDPLUS NAMESPACE CHILDREN")
    first = dovecot.append(data_file("bounces", "autoreply-sv.eml"))
    second = dovecot.append(plain_question())
    env = dovecot.env("ssl", YHTEISTUUMIN_IMAP_PROCESSED_FOLDER="Processed")

    code, report = run_json(cli, env=env)

    assert (code, report["fetched"], report["marked"]) == (0, 2, 2)
    inbox = dovecot.messages()
    assert sorted(inbox) == [first, second]  # never expunged
    assert all(m["flags"] == {KEYWORD} for m in inbox.values())
    assert len(dovecot.messages("Processed")) == 2
    code, again = run_json(cli, env=env)
    assert (again["fetched"], again["already_seen"], again["marked"]) == (0, 2, 0)
    assert len(dovecot.messages("Processed")) == 2  # copied once, not at every run


def test_a_recreated_folder_is_read_again_without_doubling_practices_or_bounces(
        cli, workspace, dovecot):
    from yhteistuumin_survey.db.models import Bounce, Practice

    workbook = filled_workbook(workspace, "049")
    messages = [outlook_reply(workbook, name="vastaus.xlsx", sender="eija.koski@espoo.example.fi",
                              sender_name="Eija Koski", message_id="<again-1@outlook.com>"),
                data_file("bounces", "postfix-hard-dsn.eml")]
    client = dovecot.client()
    client.create_folder("Vastaukset")
    client.logout()
    for data in messages:
        dovecot.append(data, "Vastaukset")
    env = dovecot.env("ssl", YHTEISTUUMIN_IMAP_FOLDER="Vastaukset")
    code, report = run_json(cli, env=env)
    assert (code, report["fetched"], report["practices_new"], report["bounces"]) == (0, 2, 1, 1)
    # Someone deletes the folder and makes it again: new UIDVALIDITY, same messages.
    client = dovecot.client()
    client.delete_folder("Vastaukset")
    client.create_folder("Vastaukset")
    client.logout()
    for data in messages:
        dovecot.append(data, "Vastaukset")
    code, again = run_json(cli, env=env)
    assert (code, again["fetched"], again["already_seen"], again["practices_new"]) == (0, 2, 0, 0)
    assert [item["reason"] for item in again["items"]] == [
        "attachment: vastaus.xlsx: 1 already ingested",
        "read before as hard-bounce; nothing changed"]
    engine = engine_of(workspace)
    with Session(engine) as session:
        assert len(session.exec(select(Practice)).all()) == 1
        assert len(session.exec(select(Bounce)).all()) == 1
    engine.dispose()


def test_since_reads_only_messages_received_from_that_day(cli, workspace, dovecot):
    import datetime as dt

    client = dovecot.client()
    client.append("INBOX", plain_question(), msg_time=dt.datetime(2026, 11, 20, 12, 0,
                                                                  tzinfo=dt.UTC))
    client.append("INBOX", data_file("bounces", "autoreply-sv.eml"),
                  msg_time=dt.datetime(2026, 12, 2, 12, 0, tzinfo=dt.UTC))
    client.logout()
    code, report = run_json(cli, "--since", "1.12.2026", env=dovecot.env("ssl"))
    assert (code, report["fetched"], report["auto_replies"], report["to_read"]) == (0, 1, 1, 0)
    code, report = run_json(cli, "--since", "2026-11-01", env=dovecot.env("ssl"))
    assert (report["fetched"], report["already_seen"], report["to_read"]) == (1, 1, 1)


def test_oauth2_token_command_logs_in_with_xoauth2(cli, workspace, dovecot, tmp_path):
    # Dovecot's XOAUTH2 checks the bearer token against its passdb: here the user's password.
    import sys

    script = tmp_path / "token.py"
    script.write_text(f"print('ignored line')\nprint({dovecot.password!r})\n", encoding="utf-8")
    env = dovecot.env("ssl", YHTEISTUUMIN_IMAP_OAUTH2_TOKEN_COMMAND=f"{sys.executable} {script}")
    env.pop("YHTEISTUUMIN_IMAP_PASSWORD")
    dovecot.append(plain_question())
    code, report = run_json(cli, env=env)
    assert (code, report["fetched"]) == (0, 1)
