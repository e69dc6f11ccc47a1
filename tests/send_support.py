"""Real SMTP servers for the sending tests: plain, STARTTLS + AUTH, XOAUTH2, and faults.

Every server is aiosmtpd on 127.0.0.1 in a thread of the test process. The TLS certificate is
made here with ``cryptography`` (a self-signed CA certificate for ``localhost`` and
``127.0.0.1``), and the client trusts it through ``[smtp] ca_file`` or an ``ssl`` context:
verification is never switched off.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import json
import ssl
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult
from conftest import free_port

# --- certificate -----------------------------------------------------------------------------


@dataclass(frozen=True)
class TestCertificate:
    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert, self.key)
        return context

    def client_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.cert))


def make_certificate(folder: Path, *, expired: bool = False,
                     name_only: str = "") -> TestCertificate:
    """Write a self-signed certificate for localhost / 127.0.0.1 and its key to ``folder``;
    one that ended yesterday if ``expired``, one for ``name_only`` alone if given."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "yhteistuumin tests")])
    now = dt.datetime.now(dt.UTC)
    public = key.public_key()
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=400 if expired else 0, minutes=5))
        .not_valid_after(now + dt.timedelta(days=-1 if expired else 2))
        .add_extension(x509.SubjectAlternativeName(
            [x509.DNSName(name_only)] if name_only else
            [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                     content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False,
                                     encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(public), critical=False)
        .sign(key, hashes.SHA256())
    )
    folder.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = folder / "smtp-cert.pem", folder / "smtp-key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return TestCertificate(cert_path, key_path)


# --- servers -----------------------------------------------------------------------------------


@dataclass
class Faults:
    """What the fault-injecting server does wrong, and how often."""

    refuse_connects: int = 0  # answer this many connections with 421 and hang up
    busy_recipients: dict[str, int] = field(default_factory=dict)  # 451 for the first N tries
    #: Take the whole message, then hang up without answering, first N times (fate unknown).
    drop_in_data: dict[str, int] = field(default_factory=dict)
    #: Hang up after the first line of the message, first N times (the message never went whole).
    cut_data: dict[str, int] = field(default_factory=dict)
    reject: set[str] = field(default_factory=set)  # 550 for these addresses
    #: The answer to RCPT TO for these addresses (a refusal other than "user unknown").
    rcpt_answers: dict[str, str] = field(default_factory=dict)
    #: Answers to the end of data for these addresses, one per try, before accepting one.
    data_replies: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class MailServer:
    """A running aiosmtpd server and what it saw."""

    host: str
    port: int
    messages: list[EmailMessage] = field(default_factory=list)
    raw: list[bytes] = field(default_factory=list)
    recipients: list[str] = field(default_factory=list)
    connections: int = 0
    logins: int = 0
    replies: int = 0  # replies sent (a multi-line reply counts once), the greeting included
    reply_lines: int = 0  # their lines
    failed_logins: int = 0
    rcpt_tries: Counter[str] = field(default_factory=Counter)
    #: MAIL commands that arrived with their RCPT and DATA already behind them (pipelined).
    grouped_mail: int = 0
    mail_commands: int = 0
    faults: Faults = field(default_factory=Faults)
    #: Called with each accepted message before the server answers 250 (kill tests use it).
    on_message: Callable[[EmailMessage], None] | None = None
    data_delay: float = 0.0
    #: False: count messages and recipients only (benchmarks: no parsing, nothing retained).
    keep: bool = True
    accepted: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def received_by(self) -> Counter[str]:
        with self.lock:
            return Counter(self.recipients)

    def count(self) -> int:
        with self.lock:
            return self.accepted


class _Handler:
    def __init__(self, server: MailServer, *, users: dict[str, str], oauth_tokens: set[str]):
        self.server = server
        self.users = users
        self.oauth_tokens = oauth_tokens

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        ms = self.server
        ms.rcpt_tries[address] += 1
        if address in ms.faults.reject:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        if address in ms.faults.rcpt_answers:
            return ms.faults.rcpt_answers[address]
        if ms.rcpt_tries[address] <= ms.faults.busy_recipients.get(address, 0):
            return "451 4.7.1 Greylisted, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        ms = self.server
        if ms.data_delay:
            await asyncio.sleep(ms.data_delay)
        for address in envelope.rcpt_tos:
            if ms.faults.drop_in_data.get(address, 0) > 0:
                ms.faults.drop_in_data[address] -= 1
                server.transport.close()
                return "421 4.4.2 connection dropped"
            if ms.faults.data_replies.get(address):
                return ms.faults.data_replies[address].pop(0)
        if not ms.keep:
            with ms.lock:
                ms.accepted += 1
                ms.recipients.extend(envelope.rcpt_tos)
            return "250 2.0.0 Ok: queued"
        data = envelope.original_content or envelope.content
        message = message_from_bytes(data, policy=policy.default)
        with ms.lock:
            ms.raw.append(data)
            ms.messages.append(message)  # type: ignore[arg-type]
            ms.recipients.extend(envelope.rcpt_tos)
            ms.accepted += 1
        if ms.on_message is not None:
            ms.on_message(message)  # type: ignore[arg-type]
        return "250 2.0.0 Ok: queued"

    async def auth_XOAUTH2(self, server, args):  # noqa: N802 - aiosmtpd mechanism hook name
        if len(args) == 2:
            blob = base64.b64decode(args[1])
        else:
            answer = await server.challenge_auth("")
            if not isinstance(answer, bytes):
                return AuthResult(success=False, handled=False)
            blob = answer
        fields = dict(part.split("=", 1) for part in blob.decode().split("\x01") if "=" in part)
        token = fields.get("auth", "").removeprefix("Bearer ")
        if fields.get("user") in self.users and token in self.oauth_tokens:
            self.server.logins += 1
            return AuthResult(success=True, auth_data=fields["user"])
        self.server.failed_logins += 1
        # RFC 7628 style: an error challenge the client answers with an empty line.
        await server.challenge_auth(json.dumps({"status": "401", "schemes": "Bearer"}))
        return AuthResult(success=False, handled=False)


class _PipeliningHandler(_Handler):
    """The same server advertising PIPELINING (RFC 2920) in its EHLO answer; aiosmtpd reads
    commands line by line from one stream, so it takes commands sent in groups as they come."""

    async def handle_EHLO(self, server, session, envelope, hostname, responses):  # noqa: N802
        session.host_name = hostname  # the 5-argument hook must set it (aiosmtpd's docs)
        return [*responses[:-1], "250-PIPELINING", responses[-1]]


class _SMTP(SMTP):
    def __init__(self, *args: Any, mail_server: MailServer, command_delay: float, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._mail_server = mail_server
        self._command_delay = command_delay

    async def push(self, status: Any) -> None:
        # One delay and one count per reply: a multi-line reply (EHLO's "250-" lines) goes
        # out whole after the delay, as from a server that answers each command late.
        line = status.decode("ascii", "replace") if isinstance(status, bytes) else str(status)
        self._mail_server.reply_lines += 1
        if line[3:4] != "-":
            self._mail_server.replies += 1
            if self._command_delay:
                await asyncio.sleep(self._command_delay)
        await super().push(status)

    async def smtp_MAIL(self, arg: str) -> None:  # noqa: N802 - aiosmtpd command hook name
        # What the client had already sent behind this MAIL: its RCPT and DATA when it
        # pipelines (one write on loopback arrives whole), nothing when it waits for replies.
        behind = bytes(getattr(self._reader, "_buffer", b"")).lower()
        self._mail_server.mail_commands += 1
        if b"rcpt to:" in behind and b"data\r\n" in behind:
            self._mail_server.grouped_mail += 1
        await super().smtp_MAIL(arg)

    async def smtp_DATA(self, arg: str) -> None:  # noqa: N802 - aiosmtpd command hook name
        ms = self._mail_server
        cut = [a for a in self.envelope.rcpt_tos if ms.faults.cut_data.get(a, 0) > 0]
        if not cut or arg:
            await super().smtp_DATA(arg)
            return
        ms.faults.cut_data[cut[0]] -= 1
        await SMTP.push(self, "354 End data with <CR><LF>.<CR><LF>")
        await self._reader.readuntil(b"\r\n")
        assert self.transport is not None
        self.transport.abort()  # unread data left behind: the client's writes are reset

    async def _handle_client(self) -> None:
        ms = self._mail_server
        ms.connections += 1
        if ms.faults.refuse_connects > 0:
            ms.faults.refuse_connects -= 1
            await SMTP.push(self, "421 4.3.2 Too many connections, try again later")
            assert self.transport is not None
            self.transport.close()
            return
        await super()._handle_client()


class _Controller(Controller):
    def __init__(self, handler: Any, *, mail_server: MailServer, command_delay: float,
                 **kwargs: Any):
        self._mail_server = mail_server
        self._command_delay = command_delay
        super().__init__(handler, **kwargs)

    def factory(self) -> SMTP:
        return _SMTP(self.handler, mail_server=self._mail_server,
                     command_delay=self._command_delay, **self.SMTP_kwargs)


@contextmanager
def mail_server(
    *,
    certificate: TestCertificate | None = None,
    users: dict[str, str] | None = None,
    oauth_tokens: set[str] | None = None,
    command_delay: float = 0.0,
    data_delay: float = 0.0,
    keep: bool = True,
    pipelining: bool = False,
) -> Iterator[MailServer]:
    """Run an SMTP server on 127.0.0.1: STARTTLS when given a certificate, AUTH with users,
    PIPELINING advertised when asked."""
    port = free_port()
    server = MailServer("127.0.0.1", port, data_delay=data_delay, keep=keep)
    users = dict(users or {})

    def authenticator(smtp, session, envelope, mechanism, auth_data):  # type: ignore[no-untyped-def]
        login = auth_data.login.decode() if isinstance(auth_data.login, bytes) else auth_data.login
        password = (auth_data.password.decode() if isinstance(auth_data.password, bytes)
                    else auth_data.password)
        if users.get(login) == password:
            server.logins += 1
            return AuthResult(success=True, auth_data=login)
        server.failed_logins += 1
        return AuthResult(success=False, handled=False)

    kwargs: dict[str, Any] = {}
    if certificate is not None:
        kwargs.update(tls_context=certificate.server_context(), require_starttls=True)
    if users:
        kwargs.update(auth_required=True, auth_require_tls=certificate is not None,
                      authenticator=authenticator)
    handler = (_PipeliningHandler if pipelining else _Handler)(
        server, users=users, oauth_tokens=set(oauth_tokens or ()))
    controller = _Controller(handler, mail_server=server, command_delay=command_delay,
                             hostname="127.0.0.1", port=port, **kwargs)
    controller.start()
    server.connections = 0  # the controller's own start-up probe is not a client
    try:
        yield server
    finally:
        controller.stop()


def simple_message(to: str, subject: str = "Kysely", body: str = "Hei!") -> EmailMessage:
    """A small message with a Message-ID, for tests of the transport alone."""
    from email.utils import make_msgid

    message = EmailMessage()
    message["From"] = "kysely@yhteistuumin.example.fi"
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="yhteistuumin.example.fi")
    message.set_content(body)
    return message


def workspace_with_contacts(workspace: Any, codes: list[str]) -> None:
    """Put the example contacts of ``codes`` into the workspace's own database (``send``
    tests that run the command line on it)."""
    from sqlmodel import Session

    from yhteistuumin_survey.db.engine import open_database

    engine = open_database(f"sqlite:///{workspace.outputs / 'yhteistuumin.sqlite'}")
    with Session(engine) as session:
        load_example_contacts(session, codes)
    engine.dispose()


def load_example_contacts(session: Any, codes: list[str] | None = None) -> int:
    """Import the bundled example contacts (``*.example.fi``), keep only ``codes`` if given."""
    from sqlmodel import col, delete, select

    from yhteistuumin_survey.contacts import import_contacts
    from yhteistuumin_survey.db.models import Contact
    from yhteistuumin_survey.resources import bundled_path

    import_contacts(bundled_path("recipients/contacts.example.csv"), session=session)
    session.commit()
    if codes is not None:
        session.exec(delete(Contact).where(col(Contact.municipality_code).not_in(codes)))
        session.commit()
    return len(session.exec(select(Contact)).all())


def composer(session: Any, settings: Any) -> Callable[[Any], tuple[EmailMessage, str]]:
    """Small real messages carrying the token header, as ``messages.compose_message`` makes."""
    from email.utils import make_msgid

    from yhteistuumin_survey.tokens import get_or_create_token

    def compose(planned: Any) -> tuple[EmailMessage, str]:
        token = get_or_create_token(session=session, round_name=settings.round_name,
                                    municipality_code=planned.municipality_code)
        message = EmailMessage()
        message["From"] = settings.get("round.sender")
        message["To"] = planned.address
        message["Subject"] = f"{planned.kind} {planned.sequence} {planned.municipality_code}"
        message["Message-ID"] = make_msgid(domain="yhteistuumin.example.fi")
        message["X-Yhteistuumin-Token"] = token
        message.set_content(f"Hei {planned.municipality_name}!")
        return message, token

    return compose


SUBJECT_WORDS = {"fi": ("Kysely:", "Muistutus:"), "sv": ("Enkät:", "Påminnelse:")}
LANGUAGE_OF = {"091": "fi-sv", "599": "sv", "698": "fi"}  # Helsinki, Pedersöre, Rovaniemi


def check_received(message: EmailMessage, *, code: str, token: str | None = None) -> str:
    """Assert a received invitation/reminder is in ``code``'s language and carries its
    questionnaire (openpyxl opens it; its metadata names the code and the token). Return the token.
    """
    import io

    import openpyxl

    assert message["X-Yhteistuumin-Municipality"] == code
    header_token = str(message["X-Yhteistuumin-Token"])
    if token is not None:
        assert header_token == token
    subject = str(message["Subject"])
    expected = LANGUAGE_OF.get(code)
    if expected is not None:
        has_fi = subject.startswith(SUBJECT_WORDS["fi"])
        has_sv = any(word in subject for word in SUBJECT_WORDS["sv"])
        assert (has_fi, has_sv) == {"fi": (True, False), "sv": (False, True),
                                    "fi-sv": (True, True)}[expected], (code, subject)
    attachments = [part for part in message.iter_attachments()
                   if str(part.get_filename() or "").endswith(".xlsx")]
    assert len(attachments) == 1, f"{code}: expected one questionnaire attached"
    workbook = openpyxl.load_workbook(io.BytesIO(attachments[0].get_content()))
    meta = {row[0].value: row[1].value for row in workbook["_meta"].iter_rows() if row[0].value}
    assert meta["municipality_code"] == code and meta["token"] == header_token
    if expected is not None:
        assert meta["language"] == expected
    return header_token


def round_env() -> dict[str, str]:
    """A real send runs the pre-flight check: the round's own addresses (not the shipped
    example) and a deadline ahead. The contacts stay on example domains (a warning only)."""
    import datetime as dt

    deadline = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    return {"YHTEISTUUMIN_ROUND_SENDER": "kysely@yhteistuumin.fi",
            "YHTEISTUUMIN_ROUND_REPLY_TO": "koordinaattori@yhteistuumin.fi",
            "YHTEISTUUMIN_ROUND_DEADLINE": deadline}


@contextmanager
def invited_session(workspace: Any, sqlite_template: Path, name: str,
                    sent: list[tuple[str, str, str, str]], round_name: str) -> Iterator[Any]:
    """A session on a copy of the migrated template with the example contacts of four
    municipalities and the invitations ``sent`` ((code, address, Message-ID, token), sent on
    1 December): what a bounce comes back to."""
    from fixtures_house import open_sqlite_copy
    from sqlmodel import Session

    from yhteistuumin_survey.db.models import OutboundMessage

    engine = open_sqlite_copy(sqlite_template, workspace.outputs / name, workspace)
    with Session(engine, expire_on_commit=False) as session:
        load_example_contacts(session, ["091", "599", "698", "005"])
        when = dt.datetime(2026, 12, 1, 8, 0, tzinfo=dt.UTC)
        for code, address, message_id, token in sent:
            session.add(OutboundMessage(round_name=round_name, municipality_code=code,
                                        address=address, kind="invite", state="sent",
                                        message_id=message_id, token=token, sending_at=when,
                                        sent_at=when))
        session.commit()
        yield session
    engine.dispose()
