"""Fixtures of ``fetch``: a throwaway Dovecot on 127.0.0.1, a proxy that cuts, real-shaped mail.

``dovecot_server`` starts Debian's Dovecot (``dovecot-imapd``) once a session, from its own
configuration file in a temporary folder (no system configuration is read): passwd-file users,
maildir storage in the folder, plain IMAP with STARTTLS on one port and implicit TLS on another,
both with a self-signed certificate for 127.0.0.1. As root it runs its processes as the
``dovecot`` and ``dovenull`` users the package creates. ``dovecot`` gives a test a user of its
own, so an empty mailbox. On CI (``CI=true``) a missing Dovecot fails the test, never skips it.

``CuttingProxy`` stands between ``fetch`` and Dovecot and counts the client's ``UID FETCH``
commands: it can hold the n-th (the test then kills the process) or cut the connection there.
"""

from __future__ import annotations

import datetime as dt
import getpass
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from base64 import encodebytes
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest
from send_support import TestCertificate, make_certificate

ON_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
DATA = Path(__file__).resolve().parent / "data"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def dovecot_binary() -> str | None:
    return shutil.which("dovecot") or next(
        (p for p in ("/usr/sbin/dovecot", "/usr/local/sbin/dovecot") if os.access(p, os.X_OK)),
        None)


_CONFIG = """\
base_dir = {base}/run
state_dir = {base}/state
log_path = {base}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <{cert}
ssl_key = <{key}
ssl_min_protocol = TLSv1.2
disable_plaintext_auth = no
auth_mechanisms = plain login xoauth2
default_internal_user = {internal}
default_internal_group = {internal_group}
default_login_user = {login}
first_valid_uid = 1
mail_location = maildir:{base}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {base}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={base}/home/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {ssl_port}
  }}
}}
protocol imap {{
  mail_max_userip_connections = 50
}}
# A refused login is answered at once and earns 127.0.0.1 no penalty: the tests give a wrong
# password on purpose, and Dovecot then delayed every later login of the worker by 2 to 15 s.
auth_failure_delay = 0
service anvil {{
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
"""


@dataclass
class Dovecot:
    """A running Dovecot with one user, and helpers to fill and inspect its mailbox."""

    base: Path
    port: int
    ssl_port: int
    certificate: TestCertificate
    user: str = "koordinaattori@yhteistuumin.example.fi"
    password: str = "Pääsy-sana 2026"
    process: subprocess.Popen[bytes] | None = None

    # --- the server --------------------------------------------------------------------

    def start(self) -> None:
        binary = dovecot_binary()
        assert binary is not None
        self.process = subprocess.Popen([binary, "-F", "-c", str(self.base / "dovecot.conf")],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 20
        while True:
            if self.process.poll() is not None:
                err = self.process.stderr.read().decode() if self.process.stderr else ""
                raise AssertionError(f"dovecot did not start: {err}{self.log()[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                    if sock.recv(100).startswith(b"* OK"):
                        return
            except OSError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise AssertionError(f"dovecot did not answer: {self.log()[-2000:]}")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=20)
        self.process = None

    def restart(self, extra_config: str) -> None:
        """Restart with lines added to the configuration (e.g. another capability list)."""
        self.stop()
        with (self.base / "dovecot.conf").open("a", encoding="utf-8") as handle:
            handle.write(extra_config + "\n")
        self.start()

    def log(self) -> str:
        path = self.base / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""

    # --- as a mail client ----------------------------------------------------------------

    def client(self) -> Any:
        from imapclient import IMAPClient

        client = IMAPClient("127.0.0.1", port=self.port, ssl=False, timeout=20)
        client.starttls(ssl_context=self.certificate.client_context())
        client.plain_login(self.user, self.password)
        return client

    def append(self, data: bytes, folder: str = "INBOX") -> int:
        """Put a message into ``folder`` (as delivered); return its UID."""
        client = self.client()
        try:
            answer = client.append(folder, data)
        finally:
            client.logout()
        text = answer.decode() if isinstance(answer, bytes) else str(answer)
        return int(text.split("APPENDUID", 1)[1].split("]", 1)[0].split()[1])

    def messages(self, folder: str = "INBOX") -> dict[int, dict[str, Any]]:
        """Return ``uid -> {"flags", "body"}`` of every message in ``folder``."""
        client = self.client()
        try:
            if not client.folder_exists(folder):
                return {}
            client.select_folder(folder, readonly=True)
            uids = client.search(["ALL"])
            found = client.fetch(uids, ["FLAGS", "BODY.PEEK[]"]) if uids else {}
        finally:
            client.logout()
        return {int(uid): {"flags": {f.decode() if isinstance(f, bytes) else str(f)
                                     for f in item[b"FLAGS"]} - {"\\Recent"},
                           "body": item[b"BODY[]"]} for uid, item in found.items()}

    def env(self, security: str = "none", **extra: str) -> dict[str, str]:
        """The environment that points ``fetch`` at this server."""
        env = {"YHTEISTUUMIN_IMAP_HOST": "127.0.0.1",
               "YHTEISTUUMIN_IMAP_PORT": str(self.ssl_port if security == "ssl" else self.port),
               "YHTEISTUUMIN_IMAP_SECURITY": security,
               "YHTEISTUUMIN_IMAP_USER": self.user,
               "YHTEISTUUMIN_IMAP_PASSWORD": self.password,
               "YHTEISTUUMIN_IMAP_TIMEOUT": "20"}
        if security != "none":
            env["YHTEISTUUMIN_IMAP_CA_FILE"] = str(self.certificate.cert)
        env.update(extra)
        return env


def _write_dovecot(base: Path, port: int, ssl_port: int) -> Dovecot:
    certificate = make_certificate(base / "tls")
    if os.geteuid() == 0:
        internal, login = "dovecot", "dovenull"
    else:  # an ordinary user runs every process of it as itself
        internal = login = getpass.getuser()
    account = pwd.getpwnam(internal)
    internal_group = "dovecot" if os.geteuid() == 0 else str(account.pw_gid)
    for sub in ("run", "state", "mail", "home"):
        (base / sub).mkdir()
    for sub in ("mail", "home", "state"):
        os.chown(base / sub, account.pw_uid, account.pw_gid)
    base.chmod(0o755)
    (base / "tls").chmod(0o755)
    server = Dovecot(base, port, ssl_port, certificate)
    (base / "passwd").write_text(f"{server.user}:{{PLAIN}}{server.password}::::::\n",
                                 encoding="utf-8")
    (base / "dovecot.conf").write_text(_CONFIG.format(
        base=base, cert=certificate.cert, key=certificate.key, internal=internal,
        internal_group=internal_group if os.geteuid() == 0 else getpass.getuser(),
        login=login, uid=account.pw_uid, gid=account.pw_gid, port=port, ssl_port=ssl_port),
        encoding="utf-8")
    return server


@pytest.fixture(scope="session")
def dovecot_server() -> Iterator[Dovecot]:
    """One Dovecot for the test session (each xdist worker its own); ``dovecot`` gives each
    test a new user, so a test sees an empty mailbox. Starting and stopping a Dovecot for every
    test cost more than a second each."""
    if dovecot_binary() is None:
        message = "Dovecot (dovecot-imapd) is not installed"
        if ON_CI:
            pytest.fail(message + "; 'make system-deps' installs it")
        pytest.skip(message)
    base = Path(tempfile.mkdtemp(prefix="yhteistuumin-dovecot-"))
    server = _write_dovecot(base, _free_port(), _free_port())
    # Users written before the start: Dovecot re-reads a changed passwd file at most once a
    # second, so a user added just before a test's login could be refused.
    (base / "passwd").write_text("".join(
        f"{_mailbox_user(n)}:{{PLAIN}}{server.password}::::::\n" for n in range(1, _USERS + 1)),
        encoding="utf-8")
    server.start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(base, ignore_errors=True)


_USERS = 2000
_mailbox_counter = iter(range(1, _USERS + 1))


def _mailbox_user(n: int) -> str:
    return f"koordinaattori{n}@yhteistuumin.example.fi"


@pytest.fixture
def dovecot(dovecot_server: Dovecot) -> Iterator[Dovecot]:
    """Dovecot with an empty mailbox: a user of its own on the session's server.

    A test that restarts the server with other settings (``restart``) or stops it gets the
    session's configuration back, running, when it ends.
    """
    server = dovecot_server
    config = (server.base / "dovecot.conf").read_text(encoding="utf-8")
    server.user = _mailbox_user(next(_mailbox_counter))
    try:
        yield server
    finally:
        changed = (server.base / "dovecot.conf").read_text(encoding="utf-8") != config
        if changed or server.process is None or server.process.poll() is not None:
            server.stop()
            (server.base / "dovecot.conf").write_text(config, encoding="utf-8")
            server.start()


# --- a proxy that holds or cuts -----------------------------------------------------------------


@dataclass
class CuttingProxy:
    """Forward 127.0.0.1:port to the server; count ``UID FETCH`` commands; hold or cut at one."""

    target: int
    hold_at: int | None = None  # the n-th FETCH is not forwarded; ``held`` is set
    cut_at: int | None = None  # at the n-th FETCH both sides are closed
    port: int = 0
    fetches: int = 0
    held: threading.Event = field(default_factory=threading.Event)
    _listener: socket.socket | None = None
    _sockets: list[socket.socket] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __enter__(self) -> CuttingProxy:
        self._listener = socket.socket()
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen()
        self.port = int(self._listener.getsockname()[1])
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._listener is not None:
            self._listener.close()
        with self._lock:
            for sock in self._sockets:
                _close(sock)

    def _accept(self) -> None:
        assert self._listener is not None
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            server = socket.create_connection(("127.0.0.1", self.target))
            with self._lock:
                self._sockets += [client, server]
            threading.Thread(target=self._upstream, args=(client, server), daemon=True).start()
            threading.Thread(target=self._pipe, args=(server, client), daemon=True).start()

    def _upstream(self, client: socket.socket, server: socket.socket) -> None:
        buffer = b""
        while True:
            try:
                chunk = client.recv(65536)
            except OSError:
                chunk = b""
            if not chunk:
                _close(server)
                return
            buffer += chunk
            while b"\r\n" in buffer:
                line, buffer = buffer.split(b"\r\n", 1)
                if b" UID FETCH " in line.upper():
                    with self._lock:
                        self.fetches += 1
                        count = self.fetches
                    if count == self.cut_at:
                        _close(client)
                        _close(server)
                        return
                    if count == self.hold_at:
                        self.held.set()
                        return  # never forwarded: the client waits until it is killed
                try:
                    server.sendall(line + b"\r\n")
                except OSError:
                    _close(client)
                    return

    @staticmethod
    def _pipe(source: socket.socket, target: socket.socket) -> None:
        while True:
            try:
                chunk = source.recv(65536)
            except OSError:
                chunk = b""
            if not chunk:
                _close(target)
                return
            try:
                target.sendall(chunk)
            except OSError:
                _close(source)
                return


def _close(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()


# --- real-shaped messages -------------------------------------------------------------------------

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
COORDINATOR = "koordinaattori@yhteistuumin.example.fi"


def _b64(data: bytes) -> str:
    return encodebytes(data).decode("ascii").replace("\n", "\r\n")


def outlook_reply(workbook: bytes, *, name: str, sender: str, sender_name: str,
                  message_id: str, in_reply_to: str = "<invite-049@yhteistuumin.example.fi>",
                  when: dt.datetime | None = None) -> bytes:
    """A reply as Outlook (Microsoft 365) sends it: text and HTML, the workbook attached."""
    when = when or dt.datetime(2026, 12, 4, 9, 12, tzinfo=dt.UTC)
    boundary, inner = "_004_HE1P190MB04A2B1C3D4E5F6HE1P190MB0418EURP_", \
        "_000_HE1P190MB04A2B1C3D4E5F6HE1P190MB0418EURP_"
    text = (f"From: {sender_name} <{sender}>\r\n"
            f"To: Kulttuuria yhteistuumin <{COORDINATOR}>\r\n"
            "Subject: =?iso-8859-1?Q?VS:_Kysely_kulttuuripalvelujen_hyvist=E4_k=E4yt=E4nn=F6ist=E4?=\r\n"
            "Thread-Topic: Kysely kulttuuripalvelujen hyvista kaytannoista\r\n"
            "Thread-Index: AdtHq2m1x0nEw5dRT2e5o0mX8k3n2Q==\r\n"
            f"Date: {format_datetime(when)}\r\n"
            f"Message-ID: {message_id}\r\n"
            f"References: {in_reply_to}\r\n"
            f"In-Reply-To: {in_reply_to}\r\n"
            "Accept-Language: fi-FI, en-US\r\n"
            "Content-Language: fi-FI\r\n"
            "X-MS-Has-Attach: yes\r\n"
            "X-MS-TNEF-Correlator:\r\n"
            f"Content-Type: multipart/mixed;\r\n\tboundary=\"{boundary}\"\r\n"
            "MIME-Version: 1.0\r\n\r\n"
            f"--{boundary}\r\n"
            f"Content-Type: multipart/alternative;\r\n\tboundary=\"{inner}\"\r\n\r\n"
            f"--{inner}\r\n"
            "Content-Type: text/plain; charset=\"iso-8859-1\"\r\n"
            "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
            "Hei,\r\n\r\nliitteen=E4 kuntamme vastaus kyselyyn.\r\n\r\nYst=E4v=E4llisin "
            f"terveisin\r\n{sender_name}\r\n\r\n"
            f"--{inner}\r\n"
            "Content-Type: text/html; charset=\"iso-8859-1\"\r\n"
            "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
            "<html><body><p>Hei,</p><p>liitteen=E4 kuntamme vastaus kyselyyn.</p></body></html>\r\n\r\n"
            f"--{inner}--\r\n\r\n"
            f"--{boundary}\r\n"
            f"Content-Type: {XLSX};\r\n\tname=\"{name}\"\r\n"
            f"Content-Description: {name}\r\n"
            f"Content-Disposition: attachment;\r\n\tfilename=\"{name}\"; size={len(workbook)};\r\n"
            "\tcreation-date=\"Fri, 04 Dec 2026 09:10:00 GMT\";\r\n"
            "\tmodification-date=\"Fri, 04 Dec 2026 09:12:00 GMT\"\r\n"
            "Content-Transfer-Encoding: base64\r\n\r\n"
            f"{_b64(workbook)}\r\n"
            f"--{boundary}--\r\n")
    return text.encode("ascii")


def msg_forward(msg: bytes, *, name: str = "VS Kulttuuria yhteistuumin -kysely.msg") -> bytes:
    """A colleague forwards an Outlook message as an attachment (``.msg``, as Outlook does)."""
    boundary = "_002_AM0PR07MB6210C0FFEEAM0PR07MB6210eurp_"
    text = ("From: Kirjaamo <kirjaamo@turku.example.fi>\r\n"
            f"To: {COORDINATOR}\r\n"
            "Subject: =?utf-8?Q?VL:_Turun_vastaus_kyselyyn?=\r\n"
            "Date: Fri, 4 Dec 2026 13:40:00 +0200\r\n"
            "Message-ID: <AM0PR07MB6210-forward-1@AM0PR07MB6210.eurprd07.prod.outlook.com>\r\n"
            "Content-Language: fi-FI\r\n"
            "X-MS-Has-Attach: yes\r\n"
            f"Content-Type: multipart/mixed;\r\n\tboundary=\"{boundary}\"\r\n"
            "MIME-Version: 1.0\r\n\r\n"
            f"--{boundary}\r\n"
            "Content-Type: text/plain; charset=\"utf-8\"\r\n"
            "Content-Transfer-Encoding: base64\r\n\r\n"
            f"{_b64('Välitän Liisan vastauksen liitteenä.'.encode())}\r\n"
            f"--{boundary}\r\n"
            f"Content-Type: application/vnd.ms-outlook; name=\"{name}\"\r\n"
            f"Content-Disposition: attachment; filename=\"{name}\"\r\n"
            "Content-Transfer-Encoding: base64\r\n\r\n"
            f"{_b64(msg)}\r\n"
            f"--{boundary}--\r\n")
    return text.encode("utf-8")


def plain_question() -> bytes:
    """A municipality asks something: no attachment, no answers."""
    text = ("From: Sari Virtanen <sari.virtanen@kuopio.example.fi>\r\n"
            f"To: {COORDINATOR}\r\n"
            "Subject: Kysymys kyselyn aikataulusta\r\n"
            "Date: Thu, 3 Dec 2026 15:02:00 +0200\r\n"
            "Message-ID: <question-0001@kuopio.example.fi>\r\n"
            "MIME-Version: 1.0\r\n"
            "Content-Type: text/plain; charset=\"utf-8\"\r\n"
            "Content-Transfer-Encoding: 8bit\r\n\r\n"
            "Hei,\r\n\r\nehdimmekö vastata vielä tammikuun puolella? Kulttuurilautakunta "
            "käsittelee asian vasta 20.1.\r\n\r\nSari Virtanen\r\nkulttuurisihteeri\r\n")
    return text.encode("utf-8")


def typed_answers() -> bytes:
    """A reply with the answers typed into the message, labelled as in the questionnaire."""
    text = ("From: Kulturchef <kultur@korsholm.example.fi>\r\n"
            f"To: {COORDINATOR}\r\n"
            "Subject: Sv: Inbjudan: Kulttuuria yhteistuumin\r\n"
            "Date: Mon, 7 Dec 2026 10:30:00 +0200\r\n"
            "Message-ID: <typed-0001@korsholm.example.fi>\r\n"
            "MIME-Version: 1.0\r\n"
            "Content-Type: text/plain; charset=\"utf-8\"\r\n"
            "Content-Transfer-Encoding: 8bit\r\n\r\n"
            "Hej! Här är vårt svar, Excel fungerade inte på min dator.\r\n\r\n"
            "Praxisens namn: Kulturvän för äldre\r\n"
            "Mål: Att bryta ensamheten hos äldre genom gemensamma kulturbesök.\r\n"
            "Kommun eller kommuner där praxisen används: Korsholm\r\n\r\n"
            "Med vänliga hälsningar\r\nKulturchefen\r\n")
    return text.encode("utf-8")


def headerless_message() -> bytes:
    """Bytes a broken client stored as a message: no header at all."""
    return b"\r\ntama ei ole sahkopostiviesti vaan pelkkaa tekstia\r\n"


def data_file(*parts: str) -> bytes:
    """A file of ``tests/data`` with CRLF line ends, as a message travels and IMAP stores it."""
    import re

    data = DATA.joinpath(*parts).read_bytes()
    return data if data.startswith(b"\xd0\xcf\x11\xe0") else re.sub(rb"\r?\n", b"\r\n", data)


def filled_workbook(workspace: Any, code: str = "049", sample: int = 0) -> bytes:
    """Build the questionnaire of ``code`` in the workspace's database and fill in a sample."""
    from sqlmodel import Session

    from yhteistuumin_survey.config import load_settings
    from yhteistuumin_survey.db.engine import open_database
    from yhteistuumin_survey.db.models import Municipality
    from yhteistuumin_survey.demo import fill_questionnaire, load_samples
    from yhteistuumin_survey.questionnaire import build_questionnaire
    from yhteistuumin_survey.register import ensure_register
    from yhteistuumin_survey.survey import workspace_survey

    settings = load_settings(workspace.root, env={})
    engine = open_database(settings.database_url)
    ensure_register(engine, workspace=workspace)
    survey = workspace_survey(workspace)
    with Session(engine, expire_on_commit=False) as session:
        path = build_questionnaire(workspace, session=session, settings=settings, survey=survey,
                                   municipality=session.get(Municipality, code))
        session.commit()
    engine.dispose()
    answers = load_samples(workspace)["practices"][sample]["answers"]
    return fill_questionnaire(path.read_bytes(), answers, survey=survey)
