"""Sending in RFC 2920 groups, and claiming a batch of messages in one synchronous commit.

Against real aiosmtpd servers on 127.0.0.1: one advertising PIPELINING (its ``handle_EHLO``
hook adds it), one not. A pipelining server gets the content of one message, then MAIL, RCPT
and DATA of the next in one group; every failure is handled as one command at a time would:
a refused RCPT fails that message alone, a 4xx at the end of data is tried again after the
open DATA is finished, a quota refusal stops the batch without finishing the next message's
open DATA, and a connection dropped mid-group leaves the message whose content went out
uncertain and the one only enveloped unsent (then sent once after reconnecting).

The recovery rule of a batch claim (mailer's module docstring) is checked on SQLite and
PostgreSQL with the rows a killed run leaves behind.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import socket
import subprocess
import sys
from collections import Counter

import pytest
from send_support import Faults, composer, load_example_contacts, mail_server
from sqlmodel import Session, select

from yhteistuumin_survey.db.models import Contact, OutboundMessage
from yhteistuumin_survey.mailer import durability_epoch, plan_round, send_round
from yhteistuumin_survey.smtp_auth import SmtpOptions, SmtpSession, message_bytes

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

# 11 addresses in 8 municipalities (tests that need two claimed batches set CLAIM_BATCH).
CODES = ["091", "599", "698", "005", "009", "010", "016", "018"]


@pytest.fixture(autouse=True)
def small_batches(monkeypatch):
    """Claims of 4: these 11 messages cross three batches (the next claimed mid-pipeline)."""
    from yhteistuumin_survey import mailer

    monkeypatch.setattr(mailer, "CLAIM_BATCH", 4)


@pytest.fixture
def db(sqlite_engine):
    with Session(sqlite_engine, expire_on_commit=False) as session:
        load_example_contacts(session, CODES)
        yield session


class Sleeps(list):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def addresses(session: Session) -> list[str]:
    return sorted(c.email for c in session.exec(select(Contact)))


def in_order(session: Session, settings) -> list[str]:
    """The addresses in the order the batch sends them."""
    plan = plan_round(session=session, settings=settings, kind="invite", only=CODES)
    return [m.address for m in plan.to_send]


def rows(session: Session) -> dict[str, OutboundMessage]:
    session.expire_all()
    return {r.address: r for r in session.exec(select(OutboundMessage))}


def send(session, settings, server, *, sleeps=None, compose=None, **kwargs):
    plan = plan_round(session=session, settings=settings, kind="invite", only=CODES)
    made: dict[str, bytes] = {}
    base = compose or composer(session, settings)

    def keep(planned):  # the bytes each message is, to compare with what arrived
        message, token = base(planned)
        made[planned.address] = message_bytes(message)
        return message, token

    with SmtpSession(SmtpOptions("127.0.0.1", server.port, "none")) as transport:
        result = send_round(plan, session=session, settings=settings, compose=keep,
                            transport=transport, sleep=sleeps if sleeps is not None else Sleeps(),
                            **kwargs)
    return result, made


def statuses(result) -> dict[str, str]:
    return {o.detail["address"]: o.status for o in result.report.outcomes if "address" in o.detail}


@pytest.mark.parametrize("pipelining", [True, False], ids=["pipelined", "one-at-a-time"])
def test_every_message_arrives_once_byte_for_byte_with_or_without_pipelining(
        db, settings, pipelining):
    def dotted(planned):  # lines that start with a dot: stuffed on the wire, not in the mail
        message, token = composer(db, settings)(planned)
        message.set_content(".\n..hei\n.\nloppu.\n")
        return message, token

    with mail_server(pipelining=pipelining) as server:
        result, made = send(db, settings, server, compose=dotted)
    everyone = addresses(db)
    assert len(everyone) == 11
    assert result.report.counts == {"sent": 11}
    assert sorted(server.recipients) == everyone
    received = sorted(hashlib.sha256(raw).hexdigest() for raw in server.raw)
    assert received == sorted(hashlib.sha256(data).hexdigest() for data in made.values())
    assert (server.connections, server.mail_commands) == (1, 11)
    # Pipelined, each MAIL came with its RCPT and DATA in one write; else never.
    assert server.grouped_mail == (11 if pipelining else 0)
    assert {r.state for r in rows(db).values()} == {"sent"}
    assert all(r.smtp_response.startswith("250 2.0.0") for r in rows(db).values())


def test_a_refused_recipient_in_the_middle_of_a_pipelined_batch_fails_alone(db, settings):
    everyone = in_order(db, settings)
    unknown = everyone[5]
    with mail_server(pipelining=True) as server:
        server.faults = Faults(reject={unknown})
        result, made = send(db, settings, server)
    assert statuses(result)[unknown] == "failed"
    assert Counter(statuses(result).values()) == {"sent": 10, "failed": 1}
    assert sorted(server.recipients) == sorted(set(everyone) - {unknown})
    assert sorted(hashlib.sha256(raw).hexdigest() for raw in server.raw) == sorted(
        hashlib.sha256(data).hexdigest() for address, data in made.items() if address != unknown)
    state = rows(db)
    assert state[unknown].state == "failed" and "550 5.1.1" in state[unknown].error
    assert {r.state for a, r in state.items() if a != unknown} == {"sent"}
    assert server.connections == 1  # the transaction was reset, the connection kept


def test_a_connection_dropped_mid_group_leaves_the_sent_one_uncertain_and_the_next_unsent(
        db, settings):
    """The server takes message 4 whole and hangs up without answering; message 5 was only
    enveloped in the same group: it is sent once after reconnecting, message 4 never again."""
    everyone = in_order(db, settings)
    dropped, following = everyone[3], everyone[4]
    sleeps = Sleeps()
    with mail_server(pipelining=True) as server:
        server.faults = Faults(drop_in_data={dropped: 1})
        result, _made = send(db, settings, server, sleeps=sleeps, backoff=0.5)
    got = server.received_by()
    assert got[dropped] == 0 and got[following] == 1  # this server drops it unaccepted
    assert all(got[a] == 1 for a in everyone if a != dropped)
    assert statuses(result)[dropped] == "uncertain"
    assert Counter(statuses(result).values()) == {"sent": 10, "uncertain": 1}
    state = rows(db)
    assert state[dropped].state == "uncertain" and state[dropped].attempts == 1
    assert state[following].state == "sent" and state[following].attempts == 2
    assert server.connections == 2 and sleeps == [0.5]


def test_a_4xx_at_the_end_of_data_is_tried_again_after_the_open_data(db, settings):
    everyone = in_order(db, settings)
    deferred = everyone[2]
    sleeps = Sleeps()
    with mail_server(pipelining=True) as server:
        server.faults = Faults(data_replies={deferred: ["451 4.3.0 Try again later"]})
        result, made = send(db, settings, server, sleeps=sleeps, backoff=0.5)
    assert result.report.counts == {"sent": 11}
    assert server.received_by() == Counter(everyone)
    assert rows(db)[deferred].attempts == 2 and sleeps == [0.5]
    assert sorted(hashlib.sha256(raw).hexdigest() for raw in server.raw) == sorted(
        hashlib.sha256(data).hexdigest() for data in made.values())


def test_a_quota_refusal_mid_pipeline_stops_without_finishing_the_next_message(db, settings):
    """The next message's DATA was already answered 354 when the quota refusal came: the
    sender hangs up rather than send its content, and the next run sends the rest once."""
    everyone = in_order(db, settings)
    refused = everyone[6]
    with mail_server(pipelining=True) as server:
        server.faults = Faults(data_replies={refused: [
            "550 5.4.5 Daily user sending quota exceeded"]})
        result, _made = send(db, settings, server)
        assert result.stopped and "quota" in result.stopped
        got = server.received_by()
        assert sorted(got) == sorted(everyone[:6]) and set(got.values()) == {1}
        assert {r.state for a, r in rows(db).items() if a not in everyone[:6]} == {"queued"}
        again, _made = send(db, settings, server)
    assert again.report.counts == {"sent": 5, "already-sent": 6}
    assert server.received_by() == Counter(everyone)


def test_a_batch_stopped_by_a_refused_connection_gives_its_claims_back(db, settings):
    with mail_server(pipelining=True) as server:
        port = server.port
    result, _made = send(db, settings, type("Gone", (), {"port": port})(), max_attempts=1)
    assert result.stopped and result.failed
    assert {r.state for r in rows(db).values()} == {"queued"}
    assert all(r.claimed_by is None and r.handing_at is None for r in rows(db).values())


# --- recovery of a batch claim --------------------------------------------------------------


def _as_a_killed_run_left_them(session, *, pid: int, epoch: str | None, marked: set[str]):
    """Put every row back to "sending", claimed by a dead process, marked or not."""
    now = dt.datetime.now(dt.UTC)
    for row in session.exec(select(OutboundMessage)):
        row.state, row.sent_at, row.claimed_from = "sending", None, "queued"
        row.claimed_by, row.claim_epoch = f"{socket.gethostname()}/{pid}/ab12", epoch
        row.handing_at = now if row.address in marked else None
    session.commit()


def _dead_pid() -> int:
    with subprocess.Popen([sys.executable, "-c", "pass"]) as process:
        process.wait()
    return process.pid


def test_claimed_rows_never_marked_are_sent_again_after_a_killed_run(engine, settings):
    """The claim is on disk and the database has not restarted: a row without its "handing
    over" mark never went out, and is sent; a marked one is uncertain (SQLite, PostgreSQL)."""
    with Session(engine, expire_on_commit=False) as session:
        load_example_contacts(session, CODES[:3])
        everyone = addresses(session)
        with mail_server(pipelining=True) as server:
            send(session, settings, server)
            marked = {everyone[0]}
            epoch = durability_epoch(session)
            if epoch is None:
                pytest.fail("this database names no durability epoch")
            _as_a_killed_run_left_them(session, pid=_dead_pid(), epoch=epoch, marked=marked)
            plan = plan_round(session=session, settings=settings, kind="invite", only=CODES)
            assert sorted(m.address for m in plan.to_send) == everyone[1:]
            assert [m.address for m in plan.uncertain] == everyone[:1]
            result, _made = send(session, settings, server)
        assert statuses(result) == {everyone[0]: "uncertain",
                                    **dict.fromkeys(everyone[1:], "sent")}
        state = rows(session)
    assert state[everyone[0]].state == "uncertain"
    assert {state[a].state for a in everyone[1:]} == {"sent"}


def test_after_a_restart_every_claimed_unrecorded_row_is_uncertain(engine, settings):
    """The database may have lost the marks (power cut, server crash): another epoch than the
    claim's means none can be trusted, so no claimed row is sent again by itself."""
    with Session(engine, expire_on_commit=False) as session:
        load_example_contacts(session, CODES[:3])
        everyone = addresses(session)
        with mail_server(pipelining=True) as server:
            send(session, settings, server)
            before = len(server.raw)
            _as_a_killed_run_left_them(session, pid=_dead_pid(), epoch="boot:another-boot",
                                       marked=set())
            result, _made = send(session, settings, server)
            assert len(server.raw) == before
        assert statuses(result) == dict.fromkeys(everyone, "uncertain")
        state = rows(session)
    assert {r.state for r in state.values()} == {"uncertain"}


def test_a_claim_of_an_unknown_epoch_is_never_trusted(db, settings):
    with mail_server(pipelining=True) as server:
        send(db, settings, server)
        _as_a_killed_run_left_them(db, pid=_dead_pid(), epoch=None, marked=set())
        result, _made = send(db, settings, server)
    assert set(statuses(result).values()) == {"uncertain"}
