"""Sending that respects the provider: quota, 421 and dropped connections from a real aiosmtpd.

The servers here answer the way Gmail and Microsoft 365 do when a sender is over its quota or
rate; the batch must stop with the rest queued, and the next run must send the rest, so that
every municipality gets exactly one invitation.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field

import pytest
from send_support import composer, load_example_contacts, round_env
from sqlmodel import Session, select

from yhteistuumin_survey.db.models import OutboundMessage
from yhteistuumin_survey.mailer import plan_round, send_round
from yhteistuumin_survey.smtp_auth import (
    ADDRESS,
    MESSAGE,
    STOP,
    TEMPORARY,
    SmtpOptions,
    SmtpSession,
    can_pass,
    classify,
)

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

GMAIL_QUOTA = "550 5.4.5 Daily user sending quota exceeded. a1-20020a05 - gsmtp"


@dataclass
class Provider:
    """What the provider does after ``after`` accepted messages: refuse with ``answer`` at
    MAIL FROM (``close``: and hang up, as 421 does), or drop every ``drop_every``-th RCPT."""

    after: int | None = None
    answer: str = GMAIL_QUOTA
    close: bool = False
    drop_every: int = 0
    rcpt_answer: str | None = None  # refuse every RCPT with this (Postfix's delayed reject)
    accepted: Counter[str] = field(default_factory=Counter)
    connections: int = 0
    mails: int = 0
    rcpts: int = 0


class _ProviderHandler:
    def __init__(self, provider: Provider):
        self.provider = provider

    async def handle_MAIL(self, server, session, envelope, address, options):  # noqa: N802
        p = self.provider
        p.mails += 1
        if p.after is not None and sum(p.accepted.values()) >= p.after:
            if p.close:
                await server.push(p.answer)
                server.transport.close()
                return "421 closing"  # never seen: the connection is gone
            return p.answer
        envelope.mail_from = address
        return "250 2.1.0 OK"

    async def handle_RCPT(self, server, session, envelope, address, options):  # noqa: N802
        p = self.provider
        p.rcpts += 1
        if p.drop_every and p.rcpts % p.drop_every == 0:
            server.transport.close()
            return "421 gone"
        if p.rcpt_answer:
            return p.rcpt_answer
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        for address in envelope.rcpt_tos:
            self.provider.accepted[address] += 1
        return "250 2.0.0 OK queued"


class _Controller:
    def __init__(self, provider: Provider):
        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import SMTP
        from conftest import free_port

        class Counting(SMTP):
            async def _handle_client(self) -> None:
                provider.connections += 1
                await super()._handle_client()

        class Ctl(Controller):
            def factory(self) -> SMTP:
                return Counting(self.handler, **self.SMTP_kwargs)

        self.port = free_port()
        self.provider = provider
        self.controller = Ctl(_ProviderHandler(provider), hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> int:
        self.controller.start()
        self.provider.connections = 0  # the controller's own start-up probe is not a client
        return self.port

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()


def serve(provider: Provider) -> _Controller:
    return _Controller(provider)


@pytest.fixture
def db(workspace, sqlite_template):
    from fixtures_house import open_sqlite_copy

    engine = open_sqlite_copy(sqlite_template, workspace.outputs / "faults.sqlite", workspace)
    with Session(engine, expire_on_commit=False) as session:
        load_example_contacts(session)
        yield session
    engine.dispose()


def send(session, settings, port, *, retry_failed=False, sleeps=None, **kwargs):
    plan = plan_round(session=session, settings=settings, kind="invite",
                      retry_failed=retry_failed)
    options = SmtpOptions("127.0.0.1", port, "none", timeout=10)
    with SmtpSession(options) as transport:
        return send_round(plan, session=session, settings=settings,
                          compose=composer(session, settings), transport=transport,
                          sleep=sleeps if sleeps is not None else (lambda s: None), **kwargs)


def states(session: Session) -> Counter[str]:
    session.expire_all()
    return Counter(row.state for row in session.exec(select(OutboundMessage)))


def invitations_per_municipality(session: Session, accepted: Counter[str]) -> Counter[str]:
    session.expire_all()
    code_of = {row.address: row.municipality_code for row in session.exec(select(OutboundMessage))}
    per_code: Counter[str] = Counter()
    for address, n in accepted.items():
        per_code[code_of[address]] += n
    return per_code


# --- what an answer means --------------------------------------------------------------------


@pytest.mark.parametrize(("code", "text", "kind"), [
    (550, GMAIL_QUOTA, STOP),
    (554, "554 5.2.0 STOREDRV.Submission.Exception:SubmissionQuotaExceededException; Failed "
          "to process message due to a permanent exception", STOP),
    (550, "550 5.7.708 Service unavailable. Access denied, traffic not accepted from this IP",
     STOP),
    (451, "451 4.7.500 Server busy. Please try again later from [192.0.2.1]", STOP),
    (421, "421 4.7.0 Try again later, closing connection. - gsmtp", STOP),
    (452, "452 4.5.3 Your message has too many recipients. - gsmtp", STOP),
    (550, "550 5.1.1 The email account that you tried to reach does not exist. - gsmtp",
     ADDRESS),
    (550, "550 5.1.1 <x@y.fi>: Recipient address rejected: User unknown", ADDRESS),
    (552, "552 5.2.2 The email account that you tried to reach is over quota. - gsmtp",
     ADDRESS),
    (552, "552 5.3.4 Message size exceeds fixed limit", MESSAGE),
    # Postfix refusing our sender at RCPT TO (smtpd_delay_reject): every message would fail.
    (553, "553 5.1.8 <kysely@yhteistuumin.fi>: Sender address rejected: Domain not found",
     STOP),
    (550, "550 5.1.0 <kysely@yhteistuumin.fi>: Sender address rejected: User unknown in "
          "local recipient table", STOP),
    (451, "451 4.7.1 Greylisted, try again later", TEMPORARY),
    (451, "451 4.3.0 Mail server temporarily rejected message. - gsmtp", TEMPORARY),
    (450, "450 4.2.1 The user you are trying to contact is receiving mail too quickly.",
     TEMPORARY),
])
def test_answers_are_judged_by_enhanced_code_and_the_providers_texts(code, text, kind):
    assert classify(code, text).kind == kind


def test_only_failures_that_can_pass_are_tried_again():
    assert can_pass("MAIL FROM: " + GMAIL_QUOTA)
    assert can_pass("RCPT TO: 552 5.2.2 mailbox full")
    assert can_pass("cannot compose: template missing")
    assert not can_pass("RCPT TO: 550 5.1.1 <x@y.fi>: Recipient address rejected: User unknown")


# --- the batch stops, the rest waits ----------------------------------------------------------


def test_quota_after_40_stops_the_batch_and_the_next_run_sends_the_rest_once(db, settings):
    total = len(plan_round(session=db, settings=settings, kind="invite").to_send)
    assert total > 300
    provider = Provider(after=40)
    with serve(provider) as port:
        started = time.monotonic()
        first = send(db, settings, port)
        took = time.monotonic() - started
        assert sum(provider.accepted.values()) == 40
        assert first.report.counts["sent"] == 40 and "failed" not in first.report.counts
        assert first.report.counts["queued"] == total - 40
        assert states(db) == {"sent": 40, "queued": total - 40}
        assert "5.4.5" in (first.stopped or "") and "send again after" in first.stopped
        assert first.resume_after is not None
        assert provider.mails == 41 and provider.connections == 1 and took < 30
        # The next day the quota is back: the rest goes, nothing twice.
        provider.after = None
        second = send(db, settings, port)
    assert second.report.counts["sent"] == total - 40
    assert second.report.counts["already-sent"] == 40 and second.stopped is None
    assert states(db) == {"sent": total}
    assert all(n == 1 for n in provider.accepted.values()) and len(provider.accepted) == total
    per_code = invitations_per_municipality(db, provider.accepted)
    contacts = Counter(row.municipality_code for row in db.exec(select(OutboundMessage)))
    assert per_code == contacts  # each municipality: one invitation per contact address


def test_421_after_30_ends_the_run_at_once_saying_the_rest_waits(db, settings):
    provider = Provider(after=30, answer="421 4.7.0 Try again later, closing connection.",
                        close=True)
    sleeps: list[float] = []
    with serve(provider) as port:
        started = time.monotonic()
        result = send(db, settings, port, sleeps=sleeps.append)
        took = time.monotonic() - started
    assert took < 180 and sum(sleeps) < 180
    assert provider.connections == 1 and provider.mails == 31  # no reconnect-and-login storm
    assert sum(provider.accepted.values()) == 30
    assert "421" in (result.stopped or "") and "the rest waits" in result.stopped
    assert states(db)["queued"] == result.report.counts["queued"]
    assert "failed" not in result.report.counts


def test_dropped_connections_stop_the_batch_after_a_few_reconnects(db, settings):
    provider = Provider(drop_every=5)
    sleeps: list[float] = []
    with serve(provider) as port:
        result = send(db, settings, port, sleeps=sleeps.append, max_attempts=3)
    assert provider.connections <= 5  # 1 + MAX_RECONNECTS, not one per message
    assert "dropped the connection" in (result.stopped or "")
    assert "failed" not in result.report.counts
    assert states(db)["sent"] == sum(provider.accepted.values())
    assert all(n == 1 for n in provider.accepted.values())


def test_our_sender_refused_at_rcpt_stops_the_batch_and_fails_no_municipality(db, settings):
    """Postfix checks the sender at RCPT TO: "553 5.1.8 <ours>: Sender address rejected"
    came for every recipient as if each address were dead: every row 'failed' for good (not
    even --retry-failed takes an unknown address again), every contact marked bounced."""
    from yhteistuumin_survey.db.models import Contact

    refusing = Provider(rcpt_answer="553 5.1.8 <kysely@yhteistuumin.fi>: Sender address "
                                    "rejected: Domain not found")
    with serve(refusing) as port:
        result = send(db, settings, port)
    assert result.stopped and "sender address" in result.stopped
    queued = len(list(db.exec(select(OutboundMessage))))
    assert refusing.rcpts == 1 and states(db) == {"queued": queued}
    assert {c.status for c in db.exec(select(Contact))} == {"valid"}
    fixed = Provider()
    with serve(fixed) as port:
        again = send(db, settings, port)
    assert again.report.counts == {"sent": len(fixed.accepted)}
    assert set(fixed.accepted.values()) == {1} and set(states(db)) == {"sent"}


def test_retry_failed_requeues_quota_failures_but_not_unknown_users(db, settings):
    # Rows an older version marked failed for a quota, and one for an unknown user.
    plan = plan_round(session=db, settings=settings, kind="invite")
    with serve(Provider(after=0)) as port:
        send(db, settings, port)
    rows = list(db.exec(select(OutboundMessage).order_by(OutboundMessage.id)))
    for row in rows[:5]:
        row.state, row.error = "failed", "MAIL FROM: " + GMAIL_QUOTA
    rows[5].state = "failed"
    rows[5].error = "RCPT TO: 550 5.1.1 <x@y.fi>: Recipient address rejected: User unknown"
    db.commit()
    plain = plan_round(session=db, settings=settings, kind="invite")
    assert len(plain.failed_before) == 6
    retry = plan_round(session=db, settings=settings, kind="invite", retry_failed=True)
    assert len(retry.failed_before) == 1 and len(retry.to_send) == len(plan.to_send) - 1
    provider = Provider()
    with serve(provider) as port:
        result = send(db, settings, port, retry_failed=True)
    assert result.report.counts["sent"] == len(plan.to_send) - 1
    assert result.report.counts["failed-earlier"] == 1
    assert provider.accepted[rows[5].address] == 0
    assert states(db) == {"sent": len(plan.to_send) - 1, "failed": 1}


# --- one sender ---------------------------------------------------------------------------------


def test_the_loser_of_two_sends_says_in_one_line_who_is_sending(cli, workspace):
    import os
    import socket

    from yhteistuumin_survey.db.engine import make_engine
    from yhteistuumin_survey.locks import exclusive
    from yhteistuumin_survey.resources import bundled_path

    assert cli("register", "contacts",
               str(bundled_path("recipients/contacts.example.csv"))).exit_code == 0
    engine = make_engine(f"sqlite:///{workspace.outputs / 'yhteistuumin.sqlite'}")
    provider = Provider()
    with serve(provider) as port:
        env = {"YHTEISTUUMIN_SMTP_HOST": "127.0.0.1", "YHTEISTUUMIN_SMTP_PORT": str(port),
               "YHTEISTUUMIN_SMTP_SECURITY": "none", **round_env()}
        with exclusive(engine, "send"):  # another send is going on
            result = cli("send", "invite", "--only", "599", "--yes", env=env)
        assert result.exit_code == 1
        lines = result.output.strip().splitlines()
        assert len(lines) == 1, result.output
        assert f"another send is running ({socket.gethostname()}, pid {os.getpid()}, since " \
            in lines[0]
        assert "Traceback" not in result.output and provider.mails == 0
        after = cli("send", "invite", "--only", "599", "--yes", env=env)  # the lock is free
    engine.dispose()
    assert after.exit_code == 0, after.output
    assert sum(provider.accepted.values()) == 1


def test_the_summary_names_each_outcome_and_when_to_send_again(cli):
    from yhteistuumin_survey.resources import bundled_path

    assert cli("register", "contacts",
               str(bundled_path("recipients/contacts.example.csv"))).exit_code == 0
    provider = Provider(after=2)
    with serve(provider) as port:
        env = {"YHTEISTUUMIN_SMTP_HOST": "127.0.0.1", "YHTEISTUUMIN_SMTP_PORT": str(port),
               "YHTEISTUUMIN_SMTP_SECURITY": "none", "YHTEISTUUMIN_SMTP_RATE": "1000/s",
               **round_env()}
        result = cli("send", "invite", "--only", "091,599,698", "--yes", env=env)
        assert result.exit_code == 1 and "Traceback" not in result.output
        lines = result.stdout.splitlines()
        assert lines[0] == ("Invitations, round yhteistuumin-2026: 2 sent, 0 failed, "
                            "0 uncertain, 0 already sent (0 logins).")
        assert lines[1] == "Also: 3 queued for the next run."
        stopped = next(line for line in lines if line.startswith("Stopped early:"))
        assert "550 5.4.5 Daily user sending quota exceeded" in stopped
        assert "the provider's daily sending quota is used up" in stopped
        assert "send again after" in stopped
        provider.after = None
        again = cli("send", "invite", "--only", "091,599,698", "--yes", env=env)
    assert again.exit_code == 0, again.output
    assert again.stdout.splitlines()[0] == ("Invitations, round yhteistuumin-2026: 3 sent, "
                                            "0 failed, 0 uncertain, 2 already sent (0 logins).")
    assert sum(provider.accepted.values()) == 5 and set(provider.accepted.values()) == {1}
