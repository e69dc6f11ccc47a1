"""``yhteistuumin send invite|remind`` and ``yhteistuumin bounces`` end to end, in-process.

Real messages (templates, questionnaires, tokens) go to real aiosmtpd servers on 127.0.0.1.
"""

from __future__ import annotations

import json
import shutil
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from send_support import Faults, check_received, mail_server, make_certificate, round_env
from sqlmodel import Session, select

from yhteistuumin_survey.resources import bundled_path

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

ONLY = ["--only", "091", "--only", "599,698"]  # 5 addresses: Helsinki 2, Pedersöre 1, Rovaniemi 2
DATA = Path(__file__).parent / "data" / "bounces"


@pytest.fixture
def loaded(cli):
    result = cli("register", "contacts", str(bundled_path("recipients/contacts.example.csv")))
    assert result.exit_code == 0, result.output
    return cli


def smtp_env(server, **extra: str) -> dict[str, str]:
    return {"YHTEISTUUMIN_SMTP_HOST": "127.0.0.1", "YHTEISTUUMIN_SMTP_PORT": str(server.port),
            "YHTEISTUUMIN_SMTP_SECURITY": "none", "YHTEISTUUMIN_SMTP_RATE": "1000/s",
            **round_env(), **extra}


def outbox(workspace) -> list:
    from yhteistuumin_survey.db.engine import make_engine
    from yhteistuumin_survey.db.models import OutboundMessage

    engine = make_engine(f"sqlite:///{workspace.outputs / 'yhteistuumin.sqlite'}")
    with Session(engine) as session:
        rows = list(session.exec(select(OutboundMessage).order_by(OutboundMessage.id)))
    engine.dispose()
    return rows


def test_dry_run_writes_each_message_in_its_language_and_sends_nothing(loaded, workspace):
    with mail_server() as server:
        result = loaded("send", "invite", *ONLY, "--dry-run", env=smtp_env(server))
    assert result.exit_code == 0, result.output
    folder = workspace.outputs / "outbox" / "yhteistuumin-2026" / "dry-run" / "invite"
    assert result.stdout == (f"Dry run, invitations of round yhteistuumin-2026: 5 written to "
                             f"{folder}; nothing sent.\n")
    files = sorted(p.name for p in folder.glob("*.eml"))
    assert files == ["091-1.eml", "091-2.eml", "599-1.eml", "698-1.eml", "698-2.eml"]
    for path in folder.glob("*.eml"):
        check_received(message_from_bytes(path.read_bytes(), policy=policy.default),  # type: ignore[arg-type]
                       code=path.name[:3])
    assert server.connections == 0 and outbox(workspace) == []


def test_send_invite_then_rerun_sends_nothing_twice(loaded, workspace):
    with mail_server() as server:
        first = loaded("send", "invite", *ONLY, "--yes", env=smtp_env(server))
        second = loaded("send", "invite", *ONLY, "--yes", env=smtp_env(server))
    assert first.exit_code == 0, first.output
    assert first.stdout == ("Invitations, round yhteistuumin-2026: 5 sent, 0 failed, 0 uncertain, "
                            "0 already sent (0 logins).\n")
    assert second.stdout == ("Invitations, round yhteistuumin-2026: 0 sent, 0 failed, 0 uncertain, "
                             "5 already sent (0 logins).\n")
    # The dry run after the send accounts for the same five: it said "0 written …" and no more.
    folder = workspace.outputs / "outbox" / "yhteistuumin-2026" / "dry-run" / "invite"
    dry = loaded("send", "invite", *ONLY, "--dry-run")
    assert dry.stdout == (f"Dry run, invitations of round yhteistuumin-2026: 0 written to "
                          f"{folder}; nothing sent.\nAlso: 5 already sent.\n")
    assert sorted(server.recipients) == [
        "kirjaamo@helsinki.example.fi", "kirjaamo@rovaniemi.example.fi",
        "kulttuuri@helsinki.example.fi", "kulttuuri@rovaniemi.example.fi",
        "registrator@pedersoren-kunta.example.fi"]
    tokens = {row.municipality_code: row.token for row in outbox(workspace)}
    for message in server.messages:
        code = str(message["X-Yhteistuumin-Municipality"])
        check_received(message, code=code, token=tokens[code])
    assert {row.state for row in outbox(workspace)} == {"sent"}
    assert server.connections == 1


def test_starttls_login_with_password_from_the_environment(loaded, tmp_path):
    cert = make_certificate(tmp_path)
    with mail_server(certificate=cert, users={"kysely@yhteistuumin.example.fi": "Sala-sana"}) as server:
        env = smtp_env(server, YHTEISTUUMIN_SMTP_SECURITY="starttls",
                       YHTEISTUUMIN_SMTP_USER="kysely@yhteistuumin.example.fi",
                       YHTEISTUUMIN_SMTP_PASSWORD="Sala-sana",
                       YHTEISTUUMIN_SMTP_CA_FILE=str(cert.cert))
        result = loaded("send", "invite", *ONLY, "--yes", env=env)
    assert result.exit_code == 0, result.output
    assert "5 sent" in result.stdout and "(1 login)" in result.stdout
    assert server.logins == 1 and len(server.messages) == 5
    assert "Sala-sana" not in result.output


def test_more_than_five_without_a_terminal_refuses_instead_of_hanging(loaded, workspace):
    with mail_server() as server:
        result = loaded("send", "invite", "--only", "091,599,698,005", env=smtp_env(server))
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == (
        "Error: about to send 7 messages and there is no terminal to confirm "
        "on; add --yes to send, or --dry-run to look first")
    assert result.stderr.startswith("Warning: 7 contacts on domains reserved for examples")
    assert server.connections == 0 and outbox(workspace) == []


def test_five_or_fewer_need_no_confirmation(loaded):
    with mail_server() as server:
        result = loaded("send", "invite", "--only", "599", env=smtp_env(server))
    assert result.exit_code == 0 and len(server.messages) == 1


def test_clear_text_login_to_a_remote_server_is_refused_up_front(loaded):
    env = {"YHTEISTUUMIN_SMTP_HOST": "smtp.example.fi", "YHTEISTUUMIN_SMTP_PORT": "25",
           "YHTEISTUUMIN_SMTP_SECURITY": "none", "YHTEISTUUMIN_SMTP_USER": "kysely",
           "YHTEISTUUMIN_SMTP_PASSWORD": "x", **round_env()}
    result = loaded("send", "invite", "--only", "599", env=env)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == (
        "Error: smtp.example.fi:25: refusing to log in as kysely over an "
        "unencrypted connection; set [smtp] security to starttls or ssl")


def test_refused_address_is_reported_exit_1_and_the_rest_sent(loaded, workspace):
    with mail_server() as server:
        server.faults = Faults(reject={"kulttuuri@rovaniemi.example.fi"})
        result = loaded("send", "invite", *ONLY, "--yes", "--format", "json", env=smtp_env(server))
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["counts"] == {"sent": 4, "failed": 1} and data["logins"] == 0
    failed = [m for m in data["messages"] if m["status"] == "failed"]
    assert failed[0]["detail"]["address"] == "kulttuuri@rovaniemi.example.fi"
    assert failed[0]["reason"].startswith("RCPT TO: 550 5.1.1")
    assert failed[0]["reason"].endswith("the address is marked bounced (register a new one)")
    with mail_server() as server:
        again = loaded("send", "invite", *ONLY, "--yes", env=smtp_env(server))
    assert again.exit_code == 0 and server.messages == []
    # The unknown address is a bounced contact now: not planned again, Rovaniemi's other
    # address was invited, and the follow-up list shows the bounce.
    assert "kulttuuri@rovaniemi" not in again.stdout and "4 already sent" in again.stdout
    follow = loaded("status", "--by", "municipality", "--format", "json")
    rovaniemi = next(row for row in json.loads(follow.stdout)["rows"] if row["code"] == "698")
    assert rovaniemi["bounced"] == ["kulttuuri@rovaniemi.example.fi"]


def test_reminders_follow_the_rule_and_are_numbered(loaded, workspace):
    with mail_server() as server:
        loaded("send", "invite", *ONLY, "--yes", env=smtp_env(server))
        early = loaded("send", "remind", *ONLY, "--yes", env=smtp_env(server))
        assert early.exit_code == 0 and server.count() == 5
        assert "3 skipped" in early.stdout and "last message 0.0 days ago (wait 7: due" in early.stdout
        # --now is the day the deadline is checked against too: the round runs until then.
        later = loaded("send", "remind", *ONLY, "--yes", "--now", "2099-01-01T09:00:00+00:00",
                       env=smtp_env(server, YHTEISTUUMIN_ROUND_DEADLINE="2099-01-31"))
    assert later.exit_code == 0, later.output
    assert later.stdout.startswith("Reminders, round yhteistuumin-2026: 5 sent,")
    reminders = server.messages[5:]
    assert len(reminders) == 5
    for message in reminders:
        assert message["X-Yhteistuumin-Kind"] == "remind" and message["X-Yhteistuumin-Sequence"] == "1"
        check_received(message, code=str(message["X-Yhteistuumin-Municipality"]))
    pedersore = next(m for m in reminders if m["X-Yhteistuumin-Municipality"] == "599")
    assert str(pedersore["Subject"]).startswith("Påminnelse:")


def test_bounces_command_marks_hard_bounces_and_reports_each_message(loaded, workspace, tmp_path):
    folder = tmp_path / "mail"
    folder.mkdir()
    for name in ("qmail-hard.eml", "autoreply-fi.eml", "ordinary-reply.eml"):
        shutil.copy(DATA / name, folder / name)
    result = loaded("bounces", str(folder))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == ("3 messages read: 1 auto-reply, 1 hard-bounce, 1 not-a-bounce; "
                        "1 address marked bounced.")
    assert any("qmail-hard.eml" in line and "kirjaamo@rovaniemi.example.fi marked bounced" in line
               for line in lines)
    again = loaded("bounces", str(folder), "--format", "json")
    data = json.loads(again.stdout)
    assert data["marked_bounced"] == 0 and data["counts"] == {"already-read": 3}


def test_send_help_lists_the_options(cli):
    result = cli("send", "invite", "--help")
    assert result.exit_code == 0
    for option in ("--dry-run", "--limit", "--only", "--rate", "--yes", "--resend-uncertain",
                   "--format"):
        assert option in result.stdout
    assert "--now" not in cli("send", "remind", "--help").stdout
