"""The outbox, the SMTP session, rate, retries and the reminder rule, against real aiosmtpd servers.

The composer here builds small messages so that these tests exercise the sending machinery
alone; tests/test_cli_send.py and tests/test_send_kill.py send the real invitations.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pytest
from send_support import Faults, composer, load_example_contacts, mail_server, make_certificate
from sqlmodel import Session, col, select

from yhteistuumin_survey.db.models import (
    Contact,
    OutboundMessage,
    Practice,
    PracticeMunicipality,
    ReceivedFile,
    Submission,
)
from yhteistuumin_survey.errors import SendError
from yhteistuumin_survey.mailer import (
    RateLimiter,
    normalise_codes,
    plan_round,
    send_round,
    write_dry_run,
)
from yhteistuumin_survey.smtp_auth import (
    SmtpOptions,
    SmtpSession,
    keyring_password,
    run_token_command,
)
from yhteistuumin_survey.tokens import get_or_create_token

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

CODES = ["091", "599", "698"]  # Helsinki (bilingual), Pedersöre (Swedish), Rovaniemi (Finnish)
NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def db(sqlite_engine):
    with Session(sqlite_engine, expire_on_commit=False) as session:
        load_example_contacts(session, CODES)
        yield session


def addresses(session: Session) -> list[str]:
    return sorted(c.email for c in session.exec(select(Contact)))


class Sleeps(list):
    """An injectable sleep that records instead of waiting, so backoff tests take no time."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def run(session, settings, server, *, kind="invite", options=None, only=None, now=NOW,
        resend_uncertain=False, limit=None, rate=None, sleeps=None, **send_kwargs):
    plan = plan_round(session=session, settings=settings, kind=kind, only=only or CODES, now=now,
                      resend_uncertain=resend_uncertain, limit=limit)
    options = options or SmtpOptions("127.0.0.1", server.port, "none")
    with SmtpSession(options, **send_kwargs.pop("session_kwargs", {})) as transport:
        result = send_round(plan, session=session, settings=settings,
                            compose=composer(session, settings), transport=transport, rate=rate,
                            sleep=sleeps if sleeps is not None else Sleeps(), **send_kwargs)
    return plan, result


def rows(session: Session) -> dict[str, OutboundMessage]:
    session.expire_all()
    return {r.address: r for r in session.exec(select(OutboundMessage))}


# --- one session, TLS, login ---------------------------------------------------------------


def test_whole_batch_uses_one_connection_and_one_login_over_starttls(db, settings, tmp_path):
    cert = make_certificate(tmp_path)
    with mail_server(certificate=cert, users={"kysely": "salasana"}) as server:
        options = SmtpOptions("127.0.0.1", server.port, "starttls", user="kysely",
                              password="salasana", ca_file=str(cert.cert))
        _, result = run(db, settings, server, options=options)
    assert sorted(server.recipients) == addresses(db)
    assert len(server.recipients) >= 3
    assert (server.logins, server.connections) == (1, 1)
    assert (result.logins, result.connections) == (1, 1)
    assert result.report.counts == {"sent": len(server.recipients)}
    assert {r.state for r in rows(db).values()} == {"sent"}
    assert all(r.smtp_response.startswith("250") for r in rows(db).values())


def test_ssl_context_can_be_injected_instead_of_a_ca_file(db, settings, tmp_path):
    cert = make_certificate(tmp_path)
    with mail_server(certificate=cert, users={"kysely": "salasana"}) as server:
        options = SmtpOptions("localhost", server.port, "starttls", user="kysely",
                              password="salasana", ssl_context=cert.client_context())
        _, result = run(db, settings, server, options=options, only=["599"])
    assert result.report.counts == {"sent": 1} and server.logins == 1


def test_untrusted_certificate_stops_the_batch_before_anything_is_sent(db, settings, tmp_path):
    cert = make_certificate(tmp_path)
    with mail_server(certificate=cert, users={"kysely": "salasana"}) as server:
        options = SmtpOptions("127.0.0.1", server.port, "starttls", user="kysely",
                              password="salasana")  # system CAs only: must not trust it
        _, result = run(db, settings, server, options=options)
    assert server.messages == [] and server.logins == 0
    assert "certificate is not trusted" in (result.stopped or "")
    assert {r.state for r in rows(db).values()} == {"queued"}  # next run sends them


def test_wrong_password_is_one_clear_error_and_nothing_is_marked(db, settings, tmp_path):
    cert = make_certificate(tmp_path)
    with mail_server(certificate=cert, users={"kysely": "salasana"}) as server:
        options = SmtpOptions("127.0.0.1", server.port, "starttls", user="kysely",
                              password="väärä", ca_file=str(cert.cert))
        _, result = run(db, settings, server, options=options)
    assert "login as kysely refused (535" in (result.stopped or "")
    assert server.failed_logins == 1 and server.messages == []
    # No message failed: the batch stopped before any was tried.
    assert result.report.counts == {"not-sent": len(addresses(db))} and result.failed
    assert result.summary()[0].endswith(": 0 sent, 0 failed, 0 uncertain, 0 already sent "
                                        "(0 logins).")
    assert {r.state for r in rows(db).values()} == {"queued"}


def test_login_over_unencrypted_connection_is_refused_except_to_localhost(db, settings):
    remote = SmtpSession(SmtpOptions("smtp.example.fi", 25, "none", user="kysely",
                                     password="salasana"))
    with pytest.raises(SendError, match="refusing to log in as kysely over an unencrypted"):
        remote.connect()
    with mail_server(users={"kysely": "salasana"}) as server:
        options = SmtpOptions("127.0.0.1", server.port, "none", user="kysely", password="salasana")
        _, result = run(db, settings, server, options=options, only=["599"])
    assert result.report.counts == {"sent": 1} and server.logins == 1


def test_no_user_means_no_login(db, settings):
    with mail_server() as server:
        _, result = run(db, settings, server, only=["599"])
    assert result.logins == 0 and result.report.counts == {"sent": 1}


def test_missing_password_is_an_error_never_a_prompt(settings):
    session = SmtpSession(SmtpOptions("127.0.0.1", 1, "none", user="kysely"),
                          password_lookup=lambda user: None)
    with mail_server(users={"kysely": "x"}) as server:
        session.options.port = server.port
        with pytest.raises(SendError, match="no password for kysely: set YHTEISTUUMIN_SMTP_PASSWORD"):
            session.connect()


def test_password_comes_from_the_system_keyring(db, settings):
    import keyring
    from keyring.backend import KeyringBackend

    class Memory(KeyringBackend):
        priority = 1  # type: ignore[assignment]
        store: dict[tuple[str, str], str] = {}

        def get_password(self, service, username):
            return self.store.get((service, username))

        def set_password(self, service, username, password):
            self.store[(service, username)] = password

        def delete_password(self, service, username):
            self.store.pop((service, username), None)

    previous = keyring.get_keyring()
    keyring.set_keyring(Memory())
    try:
        keyring.set_password("yhteistuumin", "kysely", "salasana")
        assert keyring_password("kysely") == "salasana"
        with mail_server(users={"kysely": "salasana"}) as server:
            options = SmtpOptions("127.0.0.1", server.port, "none", user="kysely")
            _, result = run(db, settings, server, options=options, only=["599"])
        assert server.logins == 1 and result.report.counts == {"sent": 1}
    finally:
        keyring.set_keyring(previous)


def test_keyring_without_backend_means_no_password():
    import keyring
    from keyring.backends import fail

    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        assert keyring_password("kysely") is None
    finally:
        keyring.set_keyring(previous)


def test_xoauth2_login_with_a_token_command_and_the_token_never_recorded(db, settings, tmp_path):
    cert = make_certificate(tmp_path)
    token = "ya29.secret-access-token"
    (tmp_path / "token.txt").write_text(token + "\n")
    command = f"{sys.executable} -c \"print(open('{tmp_path / 'token.txt'}').read())\""
    with mail_server(certificate=cert, users={"kysely@kunta.example.fi": ""},
                     oauth_tokens={token}) as server:
        options = SmtpOptions("127.0.0.1", server.port, "starttls", user="kysely@kunta.example.fi",
                              oauth2_token_command=command, ca_file=str(cert.cert))
        _, result = run(db, settings, server, options=options)
    assert server.logins == 1 and result.report.counts == {"sent": len(addresses(db))}
    stored = " ".join(f"{r.smtp_response} {r.error}" for r in rows(db).values())
    assert token not in stored and token not in repr(options) and token not in str(result.to_dict())


def test_xoauth2_rejected_token_is_a_clear_error(db, settings, tmp_path):
    cert = make_certificate(tmp_path)
    with mail_server(certificate=cert, users={"kysely": ""}, oauth_tokens={"good"}) as server:
        options = SmtpOptions("127.0.0.1", server.port, "starttls", user="kysely",
                              oauth2_token_command="echo expired", ca_file=str(cert.cert))
        _, result = run(db, settings, server, options=options, only=["091"])
    assert "login as kysely refused (535" in (result.stopped or "")
    assert "XOAUTH2 token" in (result.stopped or "")
    assert server.failed_logins == 1 and not server.messages


def test_token_command_failures_are_clear_errors():
    with pytest.raises(SendError, match="no-such-token-tool: no such program"):
        run_token_command("no-such-token-tool --scope smtp")
    # Its output is never echoed: a failing token tool may print the token itself.
    with pytest.raises(SendError, match="exited with status 3 [(]its output is not shown") as err:
        run_token_command(f"{sys.executable} -c \"import sys; print('ya29.SECRET'); "
                          "sys.stderr.write('expired ya29.SECRET'); sys.exit(3)\"")
    assert "SECRET" not in str(err.value)
    with pytest.raises(SendError, match="printed no token within 0.5 s"):
        run_token_command(f"{sys.executable} -c \"import time; time.sleep(5)\"", timeout=0.5)
    with pytest.raises(SendError, match="printed no token$"):
        run_token_command(f"{sys.executable} -c \"pass\"")
    assert run_token_command(f"{sys.executable} -c \"print('note'); print('tok')\"") == "tok"


# --- faults, retries, reconnects -------------------------------------------------------------


def test_421_on_connect_is_retried_with_backoff(db, settings):
    sleeps = Sleeps()
    with mail_server() as server:
        server.faults = Faults(refuse_connects=2)
        _, result = run(db, settings, server, only=["599"], sleeps=sleeps, backoff=1.0)
    assert result.report.counts == {"sent": 1}
    assert server.connections == 3 and sleeps == [1.0, 2.0]


def test_server_refusing_every_connection_stops_the_batch_and_keeps_it_queued(db, settings):
    with mail_server() as server:
        server.faults = Faults(refuse_connects=100)
        _, result = run(db, settings, server, max_attempts=3)
    assert server.connections == 3
    assert "421 4.3.2" in (result.stopped or "")
    assert result.failed and {r.state for r in rows(db).values()} == {"queued"}
    # No message was tried: none failed, each waits (the first address is not to blame).
    assert result.report.counts == {"not-sent": len(addresses(db))}


def test_a_message_a_provider_refuses_for_what_it_is_does_not_stall_the_round(db, settings):
    """554 5.7.1 (policy, spam) stops the batch, as the account may be next; the next run
    sends the others first, so one refused message does not stop every run at itself."""
    order = [m.address for m in plan_round(session=db, settings=settings, kind="invite",
                                           only=CODES, now=NOW).to_send]
    spam = order[1]
    with mail_server() as server:
        server.faults = Faults(data_replies={spam: ["554 5.7.1 Message rejected as spam"] * 5})
        _, first = run(db, settings, server)
        assert first.stopped and "policy" in first.stopped
        assert sorted(server.received_by()) == order[:1]
        _, again = run(db, settings, server, now=NOW + dt.timedelta(hours=2))
    assert sorted(server.received_by()) == sorted(a for a in order if a != spam)
    assert again.report.counts == {"sent": len(order) - 2, "queued": 1, "already-sent": 1}
    assert again.stopped and rows(db)[spam].state == "queued"


def test_a_run_that_leaves_a_message_of_unknown_fate_fails_and_a_later_run_does_not(db, settings):
    dropped = addresses(db)[0]
    with mail_server() as server:
        server.faults = Faults(drop_in_data={dropped: 1})
        _, first = run(db, settings, server)
        _, later = run(db, settings, server)
    assert first.report.counts["uncertain"] == 1 and first.failed  # the exit code says so
    assert later.report.counts == {"uncertain": 1, "already-sent": len(addresses(db)) - 1}
    assert not later.failed  # listed again, with what to do; no later run fails on it


def test_faults_451_drop_and_550_each_handled_and_the_batch_goes_on(db, settings):
    greylisted, dropped, unknown, *_ = addresses(db)
    sleeps = Sleeps()
    with mail_server() as server:
        server.faults = Faults(busy_recipients={greylisted: 2}, drop_in_data={dropped: 1},
                               reject={unknown})
        _, result = run(db, settings, server, sleeps=sleeps, backoff=0.5)
    got = server.received_by()
    assert got[greylisted] == 1 and got[dropped] == 0 and got[unknown] == 0
    assert all(n == 1 for n in got.values()) and len(got) == len(addresses(db)) - 2
    state = rows(db)
    assert state[greylisted].state == "sent" and state[greylisted].attempts == 3
    # Hung up after taking the whole message: it may have been delivered, so not resent.
    assert state[dropped].state == "uncertain" and state[dropped].attempts == 1
    assert state[unknown].state == "failed" and "550 5.1.1" in state[unknown].error
    assert server.connections == 2  # reconnected once, after the drop
    failed = [o for o in result.report.outcomes if o.status == "failed"]
    assert [o.detail["address"] for o in failed] == [unknown]
    assert "Recipient address rejected" in failed[0].reason
    uncertain = [o for o in result.report.outcomes if o.status == "uncertain"]
    assert [o.detail["address"] for o in uncertain] == [dropped]
    assert "no answer after the whole message was sent" in uncertain[0].reason
    assert sleeps == [0.5, 1.0]  # exponential for the greylisted one; the drop is not retried


def test_an_address_refused_as_unknown_is_marked_bounced_reminded_never_and_status_asks_for_another(
        db, settings):
    """550 5.1.1 at RCPT TO is a hard bounce told at once: the contact is marked bounced, as
    ``bounces`` marks one told later, so no reminder goes to it and the follow-up list asks
    for a new address instead of "invite" (a new run would only skip it as failed)."""
    from yhteistuumin_survey.followup import follow_up

    pedersore, rovaniemi = "registrator@pedersoren-kunta.example.fi", "kulttuuri@rovaniemi.example.fi"
    with mail_server() as server:
        server.faults = Faults(reject={pedersore, rovaniemi})
        _, result = run(db, settings, server)
    for row in db.exec(select(OutboundMessage)):
        row.sent_at = row.sending_at = NOW - dt.timedelta(days=10)
    db.commit()
    failed = {o.detail["address"]: o.reason for o in result.report.outcomes
              if o.status == "failed"}
    assert set(failed) == {pedersore, rovaniemi}
    assert all(reason.endswith("the address is marked bounced (register a new one)")
               for reason in failed.values())
    db.expire_all()
    contacts = {c.email: c for c in db.exec(select(Contact))}
    assert contacts[pedersore].status == contacts[rovaniemi].status == "bounced"
    assert "550 5.1.1" in (contacts[pedersore].bounce_reason or "")
    assert contacts["kirjaamo@rovaniemi.example.fi"].status == "valid"
    actions = {row["code"]: row["next_action"] for row in follow_up(
        session=db, round_name=settings.round_name).rows}
    assert actions["599"] == "find-new-address" and actions["698"] == "remind"
    plan = plan_round(session=db, settings=settings, kind="remind", only=CODES, now=NOW)
    assert sorted(m.address for m in plan.to_send) == [
        "kirjaamo@helsinki.example.fi", "kirjaamo@rovaniemi.example.fi",
        "kulttuuri@helsinki.example.fi"]
    assert {s.municipality_code: s.reason for s in plan.skipped} == {
        "599": "no valid contact address"}


def test_a_refusal_by_policy_at_rcpt_fails_the_message_and_asks_a_person_not_marks_bounced(
        db, settings):
    """550 5.7.1 RESOLVER.RST (a list taking only its own organisation's mail) was read as a
    dead address: the contact was marked bounced and silently dropped from the round, though
    the address works. The bounce reader reads the same words as a refusal."""
    from yhteistuumin_survey.followup import follow_up

    pedersore = "registrator@pedersoren-kunta.example.fi"
    with mail_server() as server:
        server.faults = Faults(rcpt_answers={pedersore: "550 5.7.1 RESOLVER.RST.AuthRequired; "
                                                        "authentication required"})
        _, result = run(db, settings, server)
    failed = {o.detail["address"]: o.reason for o in result.report.outcomes
              if o.status == "failed"}
    assert set(failed) == {pedersore}
    assert "refuses our mail (the address may well work): nothing is marked" in failed[pedersore]
    db.expire_all()
    assert {c.email: c.status for c in db.exec(select(Contact))}[pedersore] == "valid"
    rows = {row["code"]: row for row in follow_up(session=db, round_name=settings.round_name).rows}
    assert rows["599"]["next_action"] == "check-contact"
    assert rows["599"]["check"] == [{"address": pedersore, "reason": "refused"}]


def test_a_full_mailbox_a_refused_message_or_our_own_sender_leaves_the_address_in_use():
    from yhteistuumin_survey.mailer import address_is_dead

    assert address_is_dead("RCPT TO: 550 5.1.1 <x@y.fi>: Recipient address rejected: User unknown")
    assert address_is_dead("RCPT TO: 550 No such user here")
    assert not address_is_dead("RCPT TO: 552 5.2.2 mailbox full")
    assert not address_is_dead("RCPT TO: 553 5.1.8 <kysely@yhteistuumin.fi>: Sender address "
                               "rejected: Domain not found")
    assert not address_is_dead("RCPT TO: 550 5.1.0 <kysely@yhteistuumin.fi>: Sender address "
                               "rejected: User unknown in local recipient table")
    assert not address_is_dead("DATA: 552 5.3.4 Message size exceeds fixed limit")
    assert not address_is_dead("the address is not ASCII and the server does not support "
                               "SMTPUTF8")
    assert not address_is_dead(None)
    # A policy refusal is the recipient refusing us (as the bounce reader reads it), unless
    # the server's words say there is no such user.
    assert not address_is_dead("RCPT TO: 550 5.7.1 RESOLVER.RST.AuthRequired; authentication "
                               "required [Stage: CreateMessage]")
    assert not address_is_dead("RCPT TO: 550 5.7.1 <x@y.fi>: Recipient address rejected: "
                               "Access denied")
    assert address_is_dead("RCPT TO: 550 5.7.1 <x@y.fi>: Recipient address rejected: User "
                           "unknown")


def test_server_answering_after_the_timeout_gets_one_copy_and_the_row_is_uncertain(db, settings):
    """The server queues the message but answers the final dot too late: never a second copy."""
    import time

    with mail_server() as server:
        server.on_message = lambda message: time.sleep(1.5)  # took it; the 250 comes late
        slow = SmtpOptions("127.0.0.1", server.port, "none", timeout=0.5)
        _, result = run(db, settings, server, only=["599"], options=slow)
        server.on_message = None
        assert result.report.counts == {"uncertain": 1}
        assert "127.0.0.1" in result.report.outcomes[0].reason
        _, again = run(db, settings, server, only=["599"])
        assert again.report.counts == {"uncertain": 1}
        assert len(server.messages) == 1
        _, resent = run(db, settings, server, only=["599"], resend_uncertain=True)
    assert resent.report.counts == {"sent": 1} and len(server.messages) == 2
    assert next(iter(rows(db).values())).state == "sent"


def test_connection_cut_before_the_message_went_whole_is_a_temporary_failure():
    from send_support import simple_message

    from yhteistuumin_survey.smtp_auth import TemporaryFailure, message_bytes

    message = simple_message("kirjaamo@espoo.example.fi")
    message.add_attachment(b"x" * 24_000_000, maintype="application", subtype="octet-stream",
                           filename="big.bin")  # more than loopback's socket buffers hold
    big = message_bytes(message)  # its wire form, made once (as a batch sends it): 32 MB
    with mail_server() as server:
        server.faults = Faults(cut_data={"kirjaamo@espoo.example.fi": 1})
        with SmtpSession(SmtpOptions("127.0.0.1", server.port, "none")) as transport:
            with pytest.raises(TemporaryFailure, match="connection lost"):
                transport.send(big, sender="kysely@yhteistuumin.example.fi",
                               recipient="kirjaamo@espoo.example.fi")
            answer = transport.send(big, sender="kysely@yhteistuumin.example.fi",
                                    recipient="kirjaamo@espoo.example.fi")
    assert answer.startswith("250") and server.connections == 2 and len(server.messages) == 1


def test_temporary_failure_past_the_retries_stops_the_batch_and_waits_for_the_next_run(
        db, settings):
    first = addresses(db)[0]
    with mail_server() as server:
        server.faults = Faults(busy_recipients={first: 3})
        _, result = run(db, settings, server, only=None, max_attempts=3)
        assert rows(db)[first].state == "queued" and result.failed
        assert "temporary failure after 3 tries" in next(
            o.reason for o in result.report.outcomes if o.detail.get("address") == first)
        # The batch stopped there: nothing failed, the rest waits in the queue.
        assert "failed" not in result.report.counts
        waiting = result.report.counts["queued"]
        assert {r.state for r in rows(db).values()} <= {"sent", "queued"}
        _, again = run(db, settings, server)
    assert again.report.counts["sent"] == waiting
    assert server.received_by()[first] == 1 and rows(db)[first].state == "sent"
    assert all(n == 1 for n in server.received_by().values())


def test_rate_limit_spaces_the_messages():
    now = [0.0]
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        now[0] += seconds

    limiter = RateLimiter(2.0, clock=lambda: now[0], sleep=sleep)
    for _ in range(5):
        limiter.wait()
        now[0] += 0.1  # the hand-over itself
    assert sleeps == pytest.approx([0.4] * 4)
    assert now[0] == pytest.approx(2.1)


def test_send_round_obeys_the_rate(db, settings):
    now = [100.0]

    class Clocked(Sleeps):
        def __call__(self, seconds: float) -> None:
            self.append(seconds)
            now[0] += seconds

    sleeps = Clocked()
    with mail_server() as server:
        _, result = run(db, settings, server, rate=0.5, sleeps=sleeps, clock=lambda: now[0])
    n = result.report.counts["sent"]
    assert n >= 3 and sleeps == pytest.approx([2.0] * (n - 1))


# --- the outbox -------------------------------------------------------------------------------


def test_second_run_sends_nothing_and_reports_already_sent(db, settings):
    with mail_server() as server:
        run(db, settings, server)
        first = len(server.messages)
        plan, result = run(db, settings, server)
    assert len(server.messages) == first and plan.to_send == []
    assert result.report.counts == {"already-sent": first}


def test_row_left_sending_becomes_uncertain_and_is_resent_only_when_asked(db, settings):
    with mail_server() as server:
        _, result = run(db, settings, server, only=["599"])
        row = next(iter(rows(db).values()))
        row.state, row.sent_at = "sending", None  # as a kill between hand-over and record leaves it
        db.commit()
        _, result = run(db, settings, server, only=["599"])
        assert result.report.counts == {"uncertain": 1} and len(server.messages) == 1
        assert next(iter(rows(db).values())).state == "uncertain"
        _, result = run(db, settings, server, only=["599"])
        assert result.report.counts == {"uncertain": 1}
        _, result = run(db, settings, server, only=["599"], resend_uncertain=True)
    assert result.report.counts == {"sent": 1} and len(server.messages) == 2
    assert next(iter(rows(db).values())).state == "sent"


def test_a_claim_lives_as_long_as_its_run():
    import socket
    import subprocess
    import sys

    from yhteistuumin_survey import mailer

    host, now = socket.gethostname(), dt.datetime.now(dt.UTC)
    with subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"]) as sleeper:
        assert mailer.run_is_alive(f"{host}/{sleeper.pid}/ab12", now, now)
        sleeper.kill()
        sleeper.wait()
    assert not mailer.run_is_alive(f"{host}/{sleeper.pid}/ab12", now, now)
    mine = mailer.new_run_id()
    assert not mailer.run_is_alive(mine, now, now)  # this process, but no such run going on
    mailer._LIVE_RUNS.add(mine)
    try:
        assert mailer.run_is_alive(mine, now, now)
    finally:
        mailer._LIVE_RUNS.discard(mine)
    # Another machine on a shared database: trusted for the lease after its claim.
    assert mailer.run_is_alive("elsewhere/123/ab12", now - dt.timedelta(minutes=2), now)
    assert not mailer.run_is_alive("elsewhere/123/ab12", now - mailer.CLAIM_LEASE, now)
    assert not mailer.run_is_alive(None, now, now)


def test_a_row_another_live_run_is_sending_is_left_to_it(db, settings):
    import socket
    import subprocess
    import sys

    with mail_server() as server, subprocess.Popen(
            [sys.executable, "-c", "import time; time.sleep(60)"]) as other:
        run(db, settings, server, only=["599"])
        row = next(iter(rows(db).values()))
        row.state, row.sent_at = "sending", None  # the other run is handing it over right now
        row.claimed_by = f"{socket.gethostname()}/{other.pid}/ab12"
        db.commit()
        _, result = run(db, settings, server, only=["599"], resend_uncertain=True)
        assert result.report.counts == {"in-progress": 1} and len(server.messages) == 1
        assert f"process {other.pid}" in result.report.outcomes[0].reason
        assert next(iter(rows(db).values())).state == "sending"
        other.kill()
        other.wait()
        _, result = run(db, settings, server, only=["599"])  # its run died: now it is uncertain
    assert result.report.counts == {"uncertain": 1} and len(server.messages) == 1


def test_limit_sends_the_first_n_and_leaves_the_rest_queued_for_later(db, settings):
    with mail_server() as server:
        plan, result = run(db, settings, server, limit=2)
        assert result.report.counts == {"sent": 2} and plan.held_back == len(addresses(db)) - 2
        plan, result = run(db, settings, server)
    assert result.report.counts["sent"] == len(addresses(db)) - 2
    assert sorted(server.recipients) == addresses(db)


def test_only_filters_and_rejects_unknown_codes(db, settings):
    plan = plan_round(session=db, settings=settings, kind="invite", only=["91, 698"])
    assert {m.municipality_code for m in plan.to_send} == {"091", "698"}
    with pytest.raises(SendError, match="--only 999: no municipality in force"):
        plan_round(session=db, settings=settings, kind="invite", only=["999"])
    with pytest.raises(SendError, match="--only Espoo: not a municipality code"):
        normalise_codes(["Espoo"])


def test_bounced_contacts_get_no_invitation(db, settings):
    contact = db.exec(select(Contact).where(Contact.municipality_code == "698")).first()
    contact.status = "bounced"
    db.commit()
    plan = plan_round(session=db, settings=settings, kind="invite", only=CODES)
    assert contact.email not in {m.address for m in plan.to_send}


def test_dry_run_writes_eml_files_and_touches_no_outbox_row(db, settings, workspace):
    plan = plan_round(session=db, settings=settings, kind="invite", only=CODES)
    result = write_dry_run(plan, workspace=workspace, compose=composer(db, settings))
    files = sorted(Path(result.folder).glob("*.eml"))
    assert len(files) == len(addresses(db)) == result.report.counts["written"]
    assert Path(result.folder) == workspace.outputs / "outbox" / settings.round_name / "dry-run" / "invite"
    assert b"X-Yhteistuumin-Token:" in files[0].read_bytes()
    assert db.exec(select(OutboundMessage)).all() == []


def test_outbox_round_trip_on_sqlite_and_postgresql(engine, settings):
    with Session(engine, expire_on_commit=False) as session:
        load_example_contacts(session, ["599"])
        with mail_server() as server:
            run(session, settings, server, only=["599"])
            _, again = run(session, settings, server, only=["599"])
        assert len(server.messages) == 1 and again.report.counts == {"already-sent": 1}
        stored = session.exec(select(OutboundMessage)).one()
        assert stored.state == "sent" and stored.message_id and stored.token
        assert stored.sent_at is not None and stored.sending_at is not None


# --- reminders ---------------------------------------------------------------------------------


def invite_all(db, settings, server, when: dt.datetime) -> None:
    run(db, settings, server)
    for row in db.exec(select(OutboundMessage)):
        row.sent_at = row.sending_at = when
    db.commit()


def remind_plan(db, settings, now):
    return plan_round(session=db, settings=settings, kind="remind", now=now, only=CODES)


def test_reminder_rule_waits_min_days_then_numbers_the_reminders(db, settings):
    with mail_server() as server:
        invite_all(db, settings, server, NOW - dt.timedelta(days=3))
        plan = remind_plan(db, settings, NOW)
        assert plan.to_send == []
        assert {s.reason for s in plan.skipped} == {
            "last message 3.0 days ago (wait 7: due 2026-12-05 11:00 Finnish time)"}
        later = NOW + dt.timedelta(days=5)
        _, result = run(db, settings, server, kind="remind", now=later)
        assert result.report.counts == {"sent": len(addresses(db))}
        assert {r.sequence for r in db.exec(select(OutboundMessage).where(
            OutboundMessage.kind == "remind"))} == {1}
        for row in db.exec(select(OutboundMessage).where(OutboundMessage.kind == "remind")):
            row.sent_at = later
        db.commit()
        assert remind_plan(db, settings, later + dt.timedelta(days=6)).to_send == []
        _, result = run(db, settings, server, kind="remind", now=later + dt.timedelta(days=8))
        assert {o.detail["sequence"] for o in result.report.outcomes} == {2}
        plan = remind_plan(db, settings, later + dt.timedelta(days=30))
    assert plan.to_send == [] and {s.reason for s in plan.skipped} == {
        "2 reminders sent already (max 2)"}
    subjects = sorted(str(m["Subject"]).split()[1] for m in server.messages)
    assert subjects.count("1") == subjects.count("2") == len(addresses(db))


def test_no_reminder_for_answered_bounced_or_uninvited(db, settings):
    with mail_server() as server:
        run(db, settings, server, only=["091", "599"])
    for row in db.exec(select(OutboundMessage)):
        row.sent_at = NOW - dt.timedelta(days=10)
    # Helsinki answered with a practice; Pedersöre's token came back in a submission.
    practice = Practice()
    db.add(practice)
    db.flush()
    db.add(PracticeMunicipality(practice_id=practice.id, municipality_code="091", source="token"))
    # Helsinki's questionnaire names Rovaniemi as a partner: Rovaniemi has not answered.
    db.add(PracticeMunicipality(practice_id=practice.id, municipality_code="698", source="text"))
    received = ReceivedFile(sha256="0" * 64, original_name="x.xlsx", stored_path="x", size=1)
    db.add(received)
    db.flush()
    token = get_or_create_token(session=db, round_name=settings.round_name, municipality_code="599")
    db.add(Submission(received_file_id=received.id, locator="Käytäntö 1", format="questionnaire",
                      response_key=token))
    db.commit()
    plan = remind_plan(db, settings, NOW)
    reasons = {s.municipality_code: s.reason for s in plan.skipped}
    assert reasons == {"091": "answered", "599": "answered", "698": "not invited yet"}
    assert plan.to_send == []
    # Rovaniemi invited long ago but its only address bounced: no reminder either.
    with mail_server() as server:
        run(db, settings, server, only=["698"])
    for row in db.exec(select(OutboundMessage).where(OutboundMessage.municipality_code == "698")):
        row.sent_at = NOW - dt.timedelta(days=10)
    for contact in db.exec(select(Contact).where(col(Contact.municipality_code) == "698")):
        contact.status = "bounced"
    db.commit()
    reasons = {s.municipality_code: s.reason for s in remind_plan(db, settings, NOW).skipped}
    assert reasons["698"] == "no valid contact address"


def test_an_address_added_after_the_invitations_is_not_reminded_before_it_is_invited(
        db, settings):
    with mail_server() as server:
        invite_all(db, settings, server, NOW - dt.timedelta(days=10))
        db.add(Contact(municipality_code="698", email="uusi.kirjaaja@rovaniemi.fi",
                       name="Uusi Kirjaaja"))
        db.commit()
        plan = remind_plan(db, settings, NOW)
        assert "uusi.kirjaaja@rovaniemi.fi" not in {m.address for m in plan.to_send}
        assert len(plan.to_send) == len(addresses(db)) - 1
        assert [s.reason for s in plan.skipped] == [
            "uusi.kirjaaja@rovaniemi.fi: not invited yet (send invite first)"]
        # Its invitation held back by --limit (queued, never handed over): still no reminder.
        _, result = run(db, settings, server, only=["698"], limit=0)
        assert result.report.counts.get("sent", 0) == 0
        assert [s.reason for s in remind_plan(db, settings, NOW).skipped] == [
            "uusi.kirjaaja@rovaniemi.fi: not invited yet (send invite first)"]
        # Once invited, it is reminded with the others, when the rule says so.
        _, result = run(db, settings, server, only=["698"])
        assert result.report.counts["sent"] == 1
        for row in db.exec(select(OutboundMessage)):
            row.sent_at = row.sending_at = NOW
        db.commit()
        later = remind_plan(db, settings, NOW + dt.timedelta(days=8))
    assert "uusi.kirjaaja@rovaniemi.fi" in {m.address for m in later.to_send}
    assert later.skipped == []


def test_reminder_interrupted_midway_is_resumed_whatever_the_clock_says(db, settings):
    with mail_server() as server:
        invite_all(db, settings, server, NOW - dt.timedelta(days=10))
        _, result = run(db, settings, server, kind="remind", now=NOW, limit=1)
        assert result.report.counts == {"sent": 1}
        # An hour later the rest of reminder 1 goes out, though the last message is recent.
        _, result = run(db, settings, server, kind="remind", now=NOW + dt.timedelta(hours=1))
    assert result.report.counts["sent"] == len(addresses(db)) - 1
    reminders = [m for m in server.messages if str(m["Subject"]).startswith("remind")]
    assert sorted(str(m["To"]) for m in reminders) == addresses(db)


def test_two_runs_at_once_never_send_the_same_message_twice(engine, settings):
    """Run B composes a message; meanwhile run A sends it: B's claim fails, nothing is resent."""
    with Session(engine, expire_on_commit=False) as a, Session(engine, expire_on_commit=False) as b:
        load_example_contacts(a, ["599"])
        with mail_server() as server:
            options = SmtpOptions("127.0.0.1", server.port, "none")
            plan_a = plan_round(session=a, settings=settings, kind="invite", only=["599"])
            plan_b = plan_round(session=b, settings=settings, kind="invite", only=["599"])
            compose_b = composer(b, settings)
            results = {}

            def compose_while_a_sends(planned):
                composed = compose_b(planned)
                with SmtpSession(options) as transport:
                    results["a"] = send_round(plan_a, session=a, settings=settings,
                                              compose=composer(a, settings), transport=transport)
                return composed

            with SmtpSession(options) as transport:
                results["b"] = send_round(plan_b, session=b, settings=settings,
                                          compose=compose_while_a_sends, transport=transport)
    assert results["a"].report.counts == {"sent": 1}
    assert results["b"].report.counts == {"already-sent": 1}
    assert len(server.messages) == 1


def test_a_stale_plan_sends_nothing_already_sent(db, settings):
    stale = plan_round(session=db, settings=settings, kind="invite", only=["599"])
    with mail_server() as server:
        run(db, settings, server, only=["599"])
        with SmtpSession(SmtpOptions("127.0.0.1", server.port, "none")) as transport:
            result = send_round(stale, session=db, settings=settings,
                                compose=composer(db, settings), transport=transport)
    assert result.report.counts == {"already-sent": 1} and len(server.messages) == 1
