"""The coordinator's round, sixth pass: never mail a municipality twice, never lose one.

Retired contacts (``register contacts`` of a newer list, ``register retire``), a message read
with nothing to record (``register read``), built questionnaires that carry an old reply
address, and the contact notes in ``send check``. Sending goes to a real SMTP server
(aiosmtpd on 127.0.0.1).
"""

from __future__ import annotations

import json
from typing import Any

import mailbox_samples as samples
from send_support import mail_server
from test_coordinator_audit4 import age_outbox, follow_up_rows, invited_round, smtp_env
from test_coordinator_audit5 import _reply

TWO = """kunta;kuntanumero;nimi;rooli;sähköposti
Rovaniemi;698;;;kulttuuri@rovaniemi.example.fi
Turku;853;;;kirjaamo@turku.example.fi
"""


def check(cli: Any, *args: str, env: dict[str, str]) -> tuple[int, str]:
    result = cli("send", "check", *args, env=env)
    return result.exit_code, result.stdout


# --- 4. send check lists the contact notes ------------------------------------------------------


def test_send_check_lists_the_notes_on_the_contacts_it_would_write_to(cli, workspace) -> None:
    """Rovaniemi's contact answered "en työskentele enää …": ``send check`` before the reminder
    says the note (it only appeared after the send before); Turku's says nothing."""
    with mail_server() as server:
        invited_round(cli, workspace, server, TWO, ["--only", "698,853"])
        path = workspace.root / "left.eml"
        path.write_bytes(samples.left_fi())
        assert cli("bounces", str(path)).exit_code == 0
        env = smtp_env(server)
        code, out = check(cli, "--kind", "remind", "--only", "698,853", env=env)
        assert code == 0, out
        assert ("Note: 698 Rovaniemi: contact kulttuuri@rovaniemi.example.fi has a note (the "
                "person has left, it names kulttuuripalvelut@rovaniemi.example.fi); the message "
                "goes to it all the same. Look at it on the follow-up list (yhteistuumin status "
                "--by municipality); if the contact stays as it is: yhteistuumin register "
                "checked 698 --reason '...'") in out.splitlines()
        assert "853 Turku" not in out and out.rstrip().endswith("Ready to send.")
        data = json.loads(cli("send", "check", "--kind", "remind", "--only", "698,853",
                              "--format", "json", env=env).stdout)
        assert data["contact_notes"] == [
            {"municipality": "698", "address": "kulttuuri@rovaniemi.example.fi",
             "note": "left", "named": ["kulttuuripalvelut@rovaniemi.example.fi"]}]
        assert cli("register", "checked", "698", "--reason", "soitettu: osoite luetaan"
                   ).exit_code == 0
        code, out = check(cli, "--kind", "remind", "--only", "698", env=env)
        assert "has a note" not in out


# --- 3. a questionnaire built before the reply address changed ----------------------------------


def _instructions(message: Any) -> str:
    import html
    import io
    import zipfile

    for part in message.iter_attachments():
        if str(part.get_filename() or "").endswith(".xlsx"):
            with zipfile.ZipFile(io.BytesIO(part.get_payload(decode=True))) as book:
                return html.unescape(book.read("xl/worksheets/sheet1.xml").decode("utf-8"))
    raise AssertionError("no questionnaire attached")


def test_a_questionnaire_built_with_an_old_reply_address_is_named_and_built_again(
        cli, workspace) -> None:
    """Built while the reply address was the old one: ``send check`` says which
    questionnaires give it and what happens; the invitation then carries one that gives the
    new address (before, it went out telling Rovaniemi to return it to the old one)."""
    old, new = "vanha.koordinaattori@yhteistuumin.fi", "koordinaattori@yhteistuumin.fi"
    path = workspace.root / "yhteystiedot.csv"
    path.write_text(TWO, encoding="utf-8")
    assert cli("register", "contacts", str(path)).exit_code == 0
    with mail_server() as server:
        built = cli("survey", "build", "--only", "698", "--only", "853",
                    env=smtp_env(server, YHTEISTUUMIN_ROUND_REPLY_TO=old))
        assert built.exit_code == 0, built.output
        env = smtp_env(server)
        assert env["YHTEISTUUMIN_ROUND_REPLY_TO"] == new
        code, out = check(cli, "--only", "698,853", env=env)
        assert code == 0, out
        assert (f"Warning: 2 built questionnaires (698, 853) give the reply address ([round] "
                f"reply_to) as it was when built: {old} (the settings now say {new}); the send "
                "builds them again with the settings of now; to look at them first: "
                "yhteistuumin survey build") in out.splitlines()
        sent = cli("send", "invite", "--only", "698,853", "--yes", env=env)
        assert sent.exit_code == 0, sent.output
        assert len(server.messages) == 2
        for message in server.messages:
            text = _instructions(message)
            assert new in text and old not in text
        code, out = check(cli, "--only", "698,853", env=env)
        assert "built questionnaire" not in out


# --- 2. a message read, nothing to record -------------------------------------------------------


def test_a_message_read_with_nothing_to_record_lets_the_reminder_go_again(
        cli, workspace, dovecot) -> None:
    """Rovaniemi writes "kuka meillä vastaa?": not an answer nor a decline. Before, its
    reminders stayed held until a decline was recorded (false) or it was reminded with
    --only; now ``register read`` records it read and the next ``send remind`` of everyone
    reminds it. A newer message holds the reminders again."""
    from test_fetch import run_json

    with mail_server() as server:
        invited_round(cli, workspace, server, TWO, ["--only", "698,853"])
        dovecot.append(_reply("Pekka Pekkarinen <kulttuuri@rovaniemi.example.fi>", "Kysely",
                              "Hei,\r\n\nkuka meillä tähän vastaa?\r\n\r\nPekka\r\n", 1))
        code, report = run_json(cli, env=dovecot.env("starttls"))
        assert code == 0 and [i["status"] for i in report["items"]] == ["to-read"], report
        assert follow_up_rows(cli)["698"]["next_action"] == "read-reply"
        refused = cli("register", "read", "853")
        assert refused.exit_code == 1
        assert "Turku (853): no message from it holds its reminders" in refused.stderr
        read = cli("register", "read", "Rovaniemi", "--reason", "kysyi, kuka vastaa")
        assert read.exit_code == 0, read.output
        assert read.stdout.startswith("Rovaniemi (698): its message of ")
        assert "recorded as read (kysyi, kuka vastaa)" in read.stdout
        assert follow_up_rows(cli)["698"]["next_action"] == "remind"
        server.recipients.clear()
        sent = cli("send", "remind", "--only", "698,853", "--yes", env=smtp_env(server))
        assert sent.exit_code == 0, sent.output
        assert sorted(server.recipients) == ["kirjaamo@turku.example.fi",
                                             "kulttuuri@rovaniemi.example.fi"]
        # It writes again after the reminder: held again until read.
        dovecot.append(_reply("Pekka Pekkarinen <kulttuuri@rovaniemi.example.fi>", "Kysely",
                              "Hei,\r\n\nvastaamme ensi viikolla.\r\n", 2))
        code, report = run_json(cli, env=dovecot.env("starttls"))
        assert code == 0, report
        assert follow_up_rows(cli)["698"]["next_action"] == "read-reply"
        age_outbox(workspace, 10)
        server.recipients.clear()
        again = cli("send", "remind", "--only", "698,853", "--yes", env=smtp_env(server))
        assert server.recipients == ["kirjaamo@turku.example.fi"], again.output
