"""One SMTP connection for a whole batch: TLS, login (password or XOAUTH2), send, reconnect.

``SmtpSession`` keeps a single ``smtplib`` connection open for every message of a batch and
opens a new one only when the server drops it, so a batch of 308 invitations costs one login
(mailmerge and a yagmail ``send()`` loop log in again for every message, which providers punish).

Failures come out as four kinds: ``TemporaryFailure`` (4xx, a dropped or refused connection:
worth retrying), ``PermanentFailure`` (5xx for this message or address: record it, go on),
``UncertainFailure`` (the whole message went out but no answer came back: the server may have
accepted it, so it must not be sent again unasked) and ``SendError`` (the batch cannot go on:
bad login, untrusted certificate, no STARTTLS).
"""

from __future__ import annotations

import datetime as dt
import re
import shlex
import smtplib
import socket
import ssl
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.generator import BytesGenerator
from email.message import EmailMessage
from io import BytesIO
from typing import TYPE_CHECKING

from .errors import SendError

if TYPE_CHECKING:
    from .config import Settings

#: Hosts to which a login over an unencrypted connection is allowed (nothing leaves the machine).
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "[::1]"})
KEYRING_SERVICE = "yhteistuumin"
TOKEN_COMMAND_TIMEOUT = 30
#: Seconds to wait for a server to accept the connection and greet (the rest of the session
#: waits ``[smtp] timeout``): an unreachable host is named within this, not after a minute.
CONNECT_TIMEOUT = 10.0
#: Connection retries stop once this many seconds were spent trying and waiting; with the
#: longest attempt (CONNECT_TIMEOUT) that bounds connecting at about 20 s in all.
CONNECT_RETRY_BUDGET = 10.0


class TemporaryFailure(Exception):
    """A failure worth retrying: a 4xx answer or a lost or refused connection."""

    def __init__(self, reason: str, code: int | None = None):
        super().__init__(reason)
        self.code = code


class ConnectFailure(TemporaryFailure):
    """The server could not be reached or refused the connection for now (e.g. 421 on connect)."""


class UncertainFailure(Exception):
    """The whole message was handed over (the final dot sent) but the server's answer never came.

    A server may have queued the message and then timed out or lost the connection before
    answering (RFC 1047): sending it again could deliver a second copy, so it is not retried.
    """


class PermanentFailure(Exception):
    """The server refused this message or address for good (5xx)."""

    def __init__(self, reason: str, code: int | None = None):
        super().__init__(reason)
        self.code = code


class ProviderStop(Exception):
    """The provider refuses to take more now (quota, rate, policy, 421): the batch must stop.

    The message was not accepted; it and the rest of the batch stay queued for a later run.
    ``wait`` is how long to leave the provider alone before trying again.
    """

    def __init__(self, reason: str, code: int | None = None, *,
                 wait: dt.timedelta = dt.timedelta(hours=1), advice: str = ""):
        super().__init__(reason)
        self.code = code
        self.wait = wait
        self.advice = advice


# --- what an answer means (RFC 3463 enhanced codes and the providers' own texts) ---------------

#: The enhanced status code of a reply ("550 5.1.1 ..." -> "5.1.1").
_ENHANCED = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")
#: Texts with which Gmail and Microsoft 365 refuse for a daily or submission quota.
_DAILY = re.compile(r"daily (user )?sending (quota|limit)|daily limit|sending limit exceeded|"
                    r"submissionquotaexceeded|recipientratelimit|quota exceeded for|"
                    r"exceeded the (daily|sending)|5\.1\.90", re.IGNORECASE)
#: Texts of rate limits and temporary blocks (stop for now, try again later).
_RATE = re.compile(r"rate (limit|of)|too many (messages|recipients|connections|emails)|"
                   r"too quickly|excessive message rate|server busy|"
                   r"temporarily (blocked|deferred|rate)|peak smtp relay limit|"
                   r"unusual rate|throttl", re.IGNORECASE)
#: Microsoft 365's refusals of a whole sender or tenant (5.7.7xx, 5.7.750, 4.7.500-699).
_MICROSOFT_BLOCK = {"5.7.705", "5.7.708", "5.7.750", "5.7.706", "5.7.707"}
_GREYLIST = re.compile(r"greylist|graylist", re.IGNORECASE)
#: A refusal of our own sender address, which Postfix may give at RCPT TO (smtpd_delay_reject).
_OUR_SENDER = re.compile(r"sender address rejected", re.IGNORECASE)
#: A recipient's own limits and restrictions: about that address, not about our sending.
_RECIPIENT_RATE = re.compile(r"user you are trying to contact|receiving mail (too quickly|at a "
                             r"rate)", re.IGNORECASE)
_RECIPIENT_POLICY = re.compile(r"recipient address rejected|resolver\.rst|not authorized to "
                               r"send to|rejected by recipient", re.IGNORECASE)
#: A server's words for "this recipient does not exist", which some say with a policy code
#: (5.7.1): only then is a policy refusal (x.7.x) the address's own end, at RCPT TO or in a
#: bounce alike; otherwise the address may work for anyone else and a person sorts it out.
NO_SUCH_USER = re.compile(r"user unknown|unknown (user|recipient)|no such (user|mailbox|"
                          r"recipient)|does not exist|doesn't exist|recipient ?not ?found|"
                          r"recipnotfound|invalid recipient|mailbox unavailable", re.I)
DAY, HOUR = dt.timedelta(hours=24), dt.timedelta(hours=1)

#: What an answer means for the batch.
ADDRESS, MESSAGE, STOP, TEMPORARY = "address", "message", "stop", "temporary"


@dataclass(frozen=True)
class Verdict:
    """How one refusal is handled: ``kind`` (address, message, stop, temporary), whether a
    later try can pass (``passable``), how long to wait, and what to tell the user."""

    kind: str
    passable: bool
    wait: dt.timedelta = dt.timedelta(0)
    advice: str = ""


def enhanced_code(text: str) -> str | None:
    """Return the RFC 3463 enhanced status code in a reply, e.g. ``"5.4.5"``."""
    match = _ENHANCED.search(text)
    return ".".join(match.groups()) if match else None


def classify(code: int, text: str) -> Verdict:
    """Say what a refusal means: this address, this message, the batch, or a moment.

    The enhanced code decides where it is clear (RFC 3463: x.1.x addresses, x.2.x mailboxes,
    x.3.x/x.6.x the message, x.4.5 congestion, x.7.x policy); the providers' texts decide the
    rest (Gmail answers a daily quota ``550 5.4.5 Daily user sending quota exceeded``,
    Microsoft 365 ``554 5.2.0 ... SubmissionQuotaExceededException``, ``451 4.7.500 Server
    busy``, ``550 5.7.708 ... traffic not accepted from this IP``).
    """
    enhanced = enhanced_code(text) or ""
    subject = enhanced.split(".")[1] if enhanced else ""
    greylisted = bool(_GREYLIST.search(text))
    if _DAILY.search(text) or enhanced == "5.4.5" or (enhanced == "5.2.0"
                                                       and "quota" in text.lower()):
        return Verdict(STOP, True, DAY, "the provider's daily sending quota is used up")
    if enhanced in _MICROSOFT_BLOCK:
        return Verdict(STOP, True, DAY, "the provider refuses mail from this account for now; "
                                        "ask its administrator if it lasts")
    if code == 421:
        return Verdict(STOP, True, HOUR, "the server closed the connection")
    if code >= 500 and (enhanced in ("5.1.7", "5.1.8") or _OUR_SENDER.search(text)):
        # Every message would be refused alike: not the recipient's fault, and not "failed"
        # for good (those are never tried again).
        return Verdict(STOP, True, HOUR, "the server refuses our sender address; check "
                                         "[round] sender and its domain's DNS records")
    if subject == "7" and code >= 500 and _RECIPIENT_POLICY.search(text):
        return Verdict(ADDRESS, False)  # this recipient does not take mail from us
    if enhanced == "4.5.3" or (subject == "7" and not greylisted) or \
            (_RATE.search(text) and not greylisted and subject != "1"
             and not _RECIPIENT_RATE.search(text)):
        return Verdict(STOP, True, HOUR, "the provider limits the sending rate or refuses "
                                         "it by policy")
    if 400 <= code < 500:
        return Verdict(TEMPORARY, True, dt.timedelta(minutes=15))
    if subject == "1":  # 5.1.x: bad address, unknown user, bad domain
        return Verdict(ADDRESS, False)
    if subject == "2":  # 5.2.x: the mailbox (full, disabled): a later try can pass
        return Verdict(ADDRESS, True)
    if subject in ("3", "6"):  # 5.3.x/5.6.x: the message itself (too big, bad content)
        return Verdict(MESSAGE, False)
    if subject == "4":  # 5.4.x: routing; a later try can pass
        return Verdict(ADDRESS, True)
    return Verdict(ADDRESS, False)


def can_pass(answer: str | None) -> bool:
    """Whether a row that failed with this recorded answer may be tried again."""
    if not answer:
        return True  # failed without a server's word (e.g. the message could not be composed)
    match = re.search(r"\b([245]\d\d)\b", answer)
    if not match:
        return "not ascii" not in answer.lower()
    return classify(int(match.group(1)), answer).passable


def keyring_password(user: str) -> str | None:
    """Return the password stored in the system keyring for ``user``, or None (never prompts)."""
    try:
        import keyring
    except ImportError:  # pragma: no cover - keyring is a dependency
        return None
    try:
        return keyring.get_password(KEYRING_SERVICE, user)
    except Exception:  # noqa: BLE001 - no backend, locked or broken keyring: treat as no password
        return None


def run_token_command(command: str, *, timeout: float = TOKEN_COMMAND_TIMEOUT,
                      where: str = "[smtp] oauth2_token_command") -> str:
    """Run an OAuth2 token command (``where`` names its setting); return the token it prints last."""
    try:
        argv = shlex.split(command)
    except ValueError as exc:
        raise SendError(f"{where}: cannot split the command ({exc}); check its quotes") from None
    if not argv:
        raise SendError(f"{where}: empty command")
    try:
        result = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
    except FileNotFoundError:
        raise SendError(f"{where}: {argv[0]}: no such program; check the command") from None
    except PermissionError:
        raise SendError(f"{where}: {argv[0]}: not executable") from None
    except subprocess.TimeoutExpired:
        raise SendError(f"{where}: {argv[0]} printed no token within {timeout:g} s") from None
    if result.returncode != 0:
        # Its output is never shown: a token command's stdout and stderr may hold the token.
        raise SendError(f"{where}: {argv[0]} exited with status {result.returncode} (its output "
                        "is not shown, it may hold a secret); run it by hand to see why")
    lines = [line.strip() for line in (result.stdout or "").splitlines() if line.strip()]
    if not lines:
        raise SendError(f"{where}: {argv[0]} printed no token")
    return lines[-1]


def refuse_cleartext_login(where: str, *, host: str, security: str, user: str,
                           section: str = "smtp") -> None:
    """Refuse settings that would send a password in clear text over the network."""
    if user and security == "none" and host.lower() not in LOCAL_HOSTS:
        raise SendError(f"{where}: refusing to log in as {user} over an unencrypted "
                        f"connection; set [{section}] security to starttls or ssl")


#: OpenSSL's X509_V_ERR_CERT_HAS_EXPIRED, _CERT_NOT_YET_VALID, _HOSTNAME_MISMATCH and
#: _IP_ADDRESS_MISMATCH.
_EXPIRED, _NOT_YET_VALID, _OTHER_NAME = 10, 9, {62, 64}


def tls_problem(exc: ssl.SSLError, where: str, *, section: str, ports: str) -> str:
    """Return the one-line reason of a failed TLS handshake, for sending and reading alike."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        # A CA file does not help a certificate out of date or made for another name.
        clock = f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC"
        if exc.verify_code == _EXPIRED:
            return (f"{where}: the server's certificate has expired; ask the server's "
                    "administrator to renew it, and check this machine's date and time (it "
                    f"reads {clock})")
        if exc.verify_code == _NOT_YET_VALID:
            return (f"{where}: the server's certificate is not valid yet; check this "
                    f"machine's date and time (it reads {clock})")
        if exc.verify_code in _OTHER_NAME:
            return (f"{where}: the server's certificate is for another name "
                    f"({exc.verify_message}); set [{section}] host to the name your provider "
                    "gives for the server")
        return (f"{where}: the server's certificate is not trusted ({exc.verify_message}); "
                f"check [{section}] host, or give the CA in [{section}] ca_file")
    return (f"{where}: TLS failed ({exc.reason or exc}); check [{section}] security and port "
            f"({ports})")


def tls_context(ca_file: str = "", *, section: str = "smtp") -> ssl.SSLContext:
    """Return a verifying TLS context with the system CAs (or ``ca_file``'s)."""
    try:
        return ssl.create_default_context(cafile=ca_file or None)
    except (OSError, ssl.SSLError) as exc:
        raise SendError(f"[{section}] ca_file {ca_file}: cannot load it ({exc}); "
                        "give a PEM certificate file") from None


@dataclass
class SmtpOptions:
    """Where and how to connect; ``password`` is never shown in a repr."""

    host: str
    port: int
    security: str = "starttls"  # ssl, starttls, none
    user: str = ""
    password: str | None = field(default=None, repr=False)
    oauth2_token_command: str = ""
    timeout: float = 60.0
    ca_file: str = ""
    ssl_context: ssl.SSLContext | None = field(default=None, repr=False)

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"

    def context(self) -> ssl.SSLContext:
        """Return the TLS context: verifying, with the system CAs (or ``ca_file``'s)."""
        if self.ssl_context is not None:
            return self.ssl_context
        return tls_context(self.ca_file)


def smtp_options(settings: Settings, *, ssl_context: ssl.SSLContext | None = None) -> SmtpOptions:
    """Return the SMTP options of ``settings`` (the password only from the environment here)."""
    values = settings.values
    return SmtpOptions(
        host=str(settings.get("smtp.host")),
        port=int(settings.get("smtp.port")),
        security=str(settings.get("smtp.security")),
        user=str(settings.get("smtp.user")),
        password=settings.smtp_password,
        oauth2_token_command=str(settings.get("smtp.oauth2_token_command")),
        timeout=float(settings.get("smtp.timeout") or 60),
        ca_file=str(values.get("smtp.ca_file", "") or ""),
        ssl_context=ssl_context,
    )


def message_bytes(message: EmailMessage) -> bytes:
    """Return the message as sent on the wire (CRLF line ends, Bcc removed)."""
    buffer = BytesIO()
    generator = BytesGenerator(buffer, policy=message.policy.clone(linesep="\r\n"))
    if "Bcc" in message:
        message = _without_bcc(message)
    generator.flatten(message)
    return buffer.getvalue()


def _without_bcc(message: EmailMessage) -> EmailMessage:
    import copy

    clone = copy.copy(message)
    del clone["Bcc"]
    return clone


def _reply(code: int, text: bytes | str) -> str:
    body = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return f"{code} {' '.join(body.split())}".strip()


@dataclass
class GroupResult:
    """The outcome of one pipelined group (``SmtpSession.send_group``)."""

    answer: str | None = None  # the server's acceptance of the content
    error: Exception | None = None  # or why the content was not (surely) accepted
    ready: bool = False  # the envelope was taken and DATA answered 354
    envelope_error: Exception | None = None  # or why not


class SmtpSession:
    """A single SMTP connection used for every message of a batch, reopened after a drop."""

    def __init__(
        self,
        options: SmtpOptions,
        *,
        password_lookup: Callable[[str], str | None] = keyring_password,
        token_source: Callable[[str], str] = run_token_command,
        on_event: Callable[[str], object] | None = None,
    ):
        self.options = options
        #: Told each connection attempt and retry as it happens (the CLI prints it on stderr).
        self.on_event = on_event
        self._password_lookup = password_lookup
        self._token_source = token_source
        self._smtp: smtplib.SMTP | None = None
        #: How many connections were opened and how many logins made (one each per batch when
        #: the server does not drop the connection).
        self.connections = 0
        self.logins = 0

    # -- connection ----------------------------------------------------------------------

    def __enter__(self) -> SmtpSession:
        return self

    def __exit__(self, kind: type[BaseException] | None, *exc_info: object) -> None:
        # Stopped by Ctrl-C or SIGTERM, the session may be in the middle of a message (the
        # server reading its DATA): a QUIT then went in as part of the message, and the
        # goodbye waited for an answer that never came, [smtp] timeout (a minute) after the
        # user asked to stop. The connection is dropped instead; the server discards the
        # unfinished message, and the outbox lists it as uncertain.
        if kind is not None and not issubclass(kind, Exception):
            self.drop()
        else:
            self.close()

    @property
    def connected(self) -> bool:
        return self._smtp is not None

    def check(self) -> None:
        """Refuse settings that would send a password in clear text over the network."""
        opts = self.options
        refuse_cleartext_login(opts.where, host=opts.host, security=opts.security, user=opts.user)

    def connect(self) -> None:
        """Open the connection (TLS, login) unless it is open already."""
        if self._smtp is not None:
            return
        self.check()
        opts = self.options
        smtp: smtplib.SMTP | None = None
        if self.on_event is not None:
            self.on_event(f"{opts.where}: connecting")
        connect_timeout = min(opts.timeout, CONNECT_TIMEOUT)
        try:
            if opts.security == "ssl":
                smtp = smtplib.SMTP_SSL(opts.host, opts.port, timeout=connect_timeout,
                                        context=opts.context())
            else:
                smtp = smtplib.SMTP(opts.host, opts.port, timeout=connect_timeout)
            smtp.timeout = opts.timeout
            if smtp.sock is not None:
                smtp.sock.settimeout(opts.timeout)
            self.connections += 1
            _no_delay(smtp)
            smtp.ehlo()
            if opts.security == "starttls":
                if not smtp.has_extn("starttls"):
                    raise SendError(f"{opts.where}: the server does not offer STARTTLS; set "
                                    "[smtp] security to ssl (port 465) or check the port")
                smtp.starttls(context=opts.context())
                smtp.ehlo()
            if opts.user:
                self._login(smtp)
        except SendError:
            _close_quietly(smtp)
            raise
        except smtplib.SMTPConnectError as exc:
            _close_quietly(smtp)
            reason = f"{opts.where}: connection refused: {_reply(exc.smtp_code, exc.smtp_error)}"
            if 400 <= exc.smtp_code < 500:
                raise ConnectFailure(reason, exc.smtp_code) from None
            raise SendError(reason) from None
        except smtplib.SMTPAuthenticationError as exc:
            _close_quietly(smtp)
            how = "XOAUTH2 token" if opts.oauth2_token_command else "password"
            raise SendError(f"{opts.where}: login as {opts.user} refused "
                            f"({_reply(exc.smtp_code, exc.smtp_error)}); check the user and the "
                            f"{how}") from None
        except smtplib.SMTPNotSupportedError:
            _close_quietly(smtp)
            raise SendError(f"{opts.where}: the server offers no login (AUTH); leave [smtp] user "
                            "empty or use the right port") from None
        except ssl.SSLError as exc:
            _close_quietly(smtp)
            raise SendError(tls_problem(exc, opts.where, section="smtp",
                                        ports="465 is ssl, 587 starttls")) from None
        except smtplib.SMTPResponseException as exc:
            _close_quietly(smtp)
            reason = f"{opts.where}: {_reply(exc.smtp_code, exc.smtp_error)}"
            if 400 <= exc.smtp_code < 500:
                raise ConnectFailure(reason, exc.smtp_code) from None
            raise SendError(reason) from None
        except ConnectionRefusedError:
            _close_quietly(smtp)
            raise ConnectFailure(f"{opts.where}: connection refused") from None
        except TimeoutError:
            _close_quietly(smtp)
            longer = ", or give it longer with [smtp] timeout" \
                if connect_timeout < CONNECT_TIMEOUT else ""
            raise ConnectFailure(f"{opts.where}: no answer within {connect_timeout:g} s; check "
                                 f"[smtp] host and port{longer}") from None
        except (OSError, smtplib.SMTPException) as exc:
            _close_quietly(smtp)
            raise _cannot_connect(exc, opts.where, connect_timeout) from None
        self._smtp = smtp

    def _login(self, smtp: smtplib.SMTP) -> None:
        opts = self.options
        if opts.oauth2_token_command:
            token = self._token_source(opts.oauth2_token_command)
            auth_string = f"user={opts.user}\x01auth=Bearer {token}\x01\x01"

            def xoauth2(challenge: bytes | None = None) -> str:
                # On failure the server sends a JSON error as a challenge; answer it empty.
                return auth_string if challenge is None else ""

            smtp.auth("XOAUTH2", xoauth2, initial_response_ok=True)
        else:
            password = opts.password or self._password_lookup(opts.user)
            if not password:
                raise SendError(f"{opts.where}: no password for {opts.user}: set "
                                "YHTEISTUUMIN_SMTP_PASSWORD or store it in the system keyring "
                                f"(keyring set {KEYRING_SERVICE} {opts.user}); or set [smtp] "
                                "oauth2_token_command")
            if (opts.user + password).isascii():
                smtp.login(opts.user, password)
            else:
                _login_plain_utf8(smtp, opts.user, password)
        self.logins += 1

    def drop(self) -> None:
        """Forget the connection without a goodbye (after the server dropped it)."""
        smtp, self._smtp = self._smtp, None
        _close_quietly(smtp, quit=False)

    def close(self) -> None:
        """Say QUIT and close the connection."""
        smtp, self._smtp = self._smtp, None
        _close_quietly(smtp, quit=True)

    # -- sending -------------------------------------------------------------------------

    def send(self, message: EmailMessage | bytes, *, sender: str, recipient: str) -> str:
        """Hand ``message`` to the server for ``recipient``; return the server's answer.

        ``message`` is the wire form (bytes with CRLF line ends, sent as they are: what the
        outbox copy holds) or an ``EmailMessage``, serialised here.

        Raises ``TemporaryFailure`` (retry later), ``PermanentFailure`` (give up on this one),
        ``UncertainFailure`` (sent whole, no answer: never retry) or ``SendError`` (the batch
        cannot go on).
        """
        self.connect()
        smtp = self._smtp
        assert smtp is not None
        payload = message if isinstance(message, bytes) else message_bytes(message)
        options = self._mail_options(smtp, sender, recipient, len(payload))
        try:
            code, text = smtp.mail(sender, options)
            if code != 250:
                self._fail("MAIL FROM", code, text)
            code, text = smtp.rcpt(recipient)
            if code not in (250, 251):
                self._fail("RCPT TO", code, text)
            code, text = smtp.docmd("DATA")
            if code != 354:
                self._fail("DATA", code, text)
            smtp.send(_data_block(payload))  # a failure here: the message never went whole
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            self.drop()
            raise TemporaryFailure(f"connection lost ({_describe(exc)})") from None
        try:
            code, text = smtp.getreply()
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            # smtplib.data() would make this a plain disconnect, and a retry a second copy.
            self.drop()
            raise UncertainFailure(
                f"{self.options.where}: no answer after the whole message was sent "
                f"({_describe(exc)}); the server may have accepted it") from None
        if code != 250:
            self._fail("DATA", code, text)
        return _reply(code, text)

    @property
    def pipelining(self) -> bool:
        """Whether the open connection's server takes commands in groups (RFC 2920)."""
        return self._smtp is not None and bool(self._smtp.has_extn("pipelining"))

    def send_group(self, content: bytes | None, envelope: tuple[str, str, int] | None, *,
                   meanwhile: Callable[[], object] | None = None) -> GroupResult:
        """Send one RFC 2920 group and read its replies: the content of the message whose
        DATA was answered 354 in the previous group (``content``, the wire bytes: dot-stuffed
        and ended here as ``send`` does), then MAIL, RCPT and DATA of the next message
        (``envelope``: sender, recipient, size). One round trip for both.

        Nothing raises: each half's outcome is in the result. The content's is the server's
        answer or the exception ``send`` would raise for it (``UncertainFailure`` when the
        content went out and its answer never came). The envelope's is ``ready`` (354: send
        its content first in the next group) or the refusal; after a refusal the transaction
        is reset, and a server that answers DATA 354 although MAIL or RCPT was refused is
        hung up on, so that nothing is delivered to it.

        ``meanwhile`` is called once the group is written, before its replies are read: work
        of the sender's that can go on while the server works.
        """
        smtp = self._smtp
        assert smtp is not None
        result = GroupResult()
        commands = b""
        if envelope is not None:
            try:
                commands = self._envelope_commands(smtp, *envelope)
            except PermanentFailure as exc:
                result.envelope_error = exc
        lost: str | None = None
        if content is not None:
            try:
                smtp.send(_data_block(content))
            except (smtplib.SMTPServerDisconnected, OSError) as exc:
                # Cut while writing: the message never went whole (as in ``send``).
                self.drop()
                result.error = TemporaryFailure(f"connection lost ({_describe(exc)})")
                if commands:
                    result.envelope_error = result.error
                return result
        if commands:
            try:
                smtp.send(commands)
            except (smtplib.SMTPServerDisconnected, OSError) as exc:
                lost = _describe(exc)
        if meanwhile is not None:
            meanwhile()
        if content is not None:
            if lost is None:
                try:
                    code, text = smtp.getreply()
                except (smtplib.SMTPServerDisconnected, OSError) as exc:
                    lost = _describe(exc)
                else:
                    if code == 250:
                        result.answer = _reply(code, text)
                    else:
                        result.error = self._refusal("DATA", code, text)
            if result.answer is None and result.error is None:
                result.error = UncertainFailure(
                    f"{self.options.where}: no answer after the whole message was sent "
                    f"({lost}); the server may have accepted it")
        if commands:
            self._read_envelope(smtp, result, lost)
        elif lost is not None:
            self.drop()
        return result

    @staticmethod
    def _mail_options(smtp: smtplib.SMTP, sender: str, recipient: str, size: int) -> list[str]:
        """Return MAIL FROM's options: SMTPUTF8 for a non-ASCII address (refused when the
        server lacks it), SIZE when the server announces it."""
        options: list[str] = []
        if not (sender + recipient).isascii():
            if not smtp.has_extn("smtputf8"):
                raise PermanentFailure("the address is not ASCII and the server does not "
                                       "support SMTPUTF8")
            options.append("SMTPUTF8")
        if smtp.has_extn("size"):
            options.append(f"SIZE={size}")
        return options

    @staticmethod
    def _envelope_commands(smtp: smtplib.SMTP, sender: str, recipient: str, size: int
                           ) -> bytes:
        """Return MAIL, RCPT and DATA as smtplib's mail(), rcpt() and docmd() write them."""
        options = SmtpSession._mail_options(smtp, sender, recipient, size)
        optionlist = " " + " ".join(options) if options else ""
        return (f"mail FROM:{smtplib.quoteaddr(sender)}{optionlist}\r\n"
                f"rcpt TO:{smtplib.quoteaddr(recipient)}\r\ndata\r\n").encode(
            "utf-8" if "SMTPUTF8" in options else "ascii")

    def _read_envelope(self, smtp: smtplib.SMTP, result: GroupResult, lost: str | None) -> None:
        """Read the replies to MAIL, RCPT and DATA into ``result`` (ready, or the refusal)."""
        replies: list[tuple[int, bytes]] = []
        if lost is None and self._smtp is not None:
            try:
                for _command in range(3):
                    replies.append(smtp.getreply())
            except (smtplib.SMTPServerDisconnected, OSError) as exc:
                lost = _describe(exc)
        refusal: Exception | None = None
        for step, (code, text) in zip(("MAIL FROM", "RCPT TO", "DATA"), replies, strict=False):
            expected = (354,) if step == "DATA" else (250, 251) if step == "RCPT TO" else (250,)
            if code not in expected:
                refusal = self._refusal(step, code, text)
                break
        if refusal is None and len(replies) == 3:
            result.ready = True
            return
        if lost is not None or self._smtp is None:
            self.drop()
            result.envelope_error = refusal or TemporaryFailure(
                f"connection lost ({lost or 'closed by the server'})")
            return
        result.envelope_error = refusal
        if replies[-1][0] == 354:
            self.drop()  # DATA taken after a refusal: only hanging up keeps it from delivery
        else:
            self._reset()

    def _refusal(self, step: str, code: int, text: bytes | str) -> Exception:
        """Return the exception for a refused command (dropping the connection after 421)."""
        reply = _reply(code, text)
        if code < 0:  # smtplib's -1: the connection went away
            self.drop()
            return TemporaryFailure(f"{step}: connection lost ({reply})", code)
        verdict = classify(code, reply)
        if code == 421:
            self.drop()  # 421: the server closes the connection (RFC 5321 3.8)
        if verdict.kind == STOP:
            return ProviderStop(f"{step}: {reply}", code, wait=verdict.wait,
                                advice=verdict.advice)
        if verdict.kind == TEMPORARY:
            return TemporaryFailure(f"{step}: {reply}", code)
        return PermanentFailure(f"{step}: {reply}", code)

    def _fail(self, step: str, code: int, text: bytes | str) -> None:
        error = self._refusal(step, code, text)
        if self._smtp is not None:
            self._reset()
        raise error

    def _reset(self) -> None:
        smtp = self._smtp
        if smtp is None:
            return
        try:
            smtp.rset()
        except (smtplib.SMTPException, OSError):
            self.drop()


def connect_with_retries(transport: object, *, max_attempts: int, backoff: float,
                         sleep: Callable[[float], None], max_wait: float = 120.0,
                         clock: Callable[[], float] = time.monotonic) -> None:
    """Connect, retrying a failed connection with exponential backoff within a time budget.

    Each retry is told to ``transport.on_event`` as it is decided ("host:port: connection
    refused; retry 2/5 in 4 s"). Retries stop after ``max_attempts`` or once the time spent
    trying and waiting would pass :data:`CONNECT_RETRY_BUDGET`; the last failure is raised.
    """
    report = getattr(transport, "on_event", None)
    connect = transport.connect  # type: ignore[attr-defined]
    spent = 0.0
    attempt = 0
    while True:
        attempt += 1
        started = clock()
        try:
            connect()
            return
        except ConnectFailure as exc:
            spent += max(0.0, clock() - started)
            wait = min(backoff * 2 ** (attempt - 1), max_wait)
            if attempt >= max(1, max_attempts) or spent + wait > CONNECT_RETRY_BUDGET:
                if report is not None:
                    report(f"{exc}; giving up after {attempt} "
                           f"attempt{'' if attempt == 1 else 's'}")
                raise
            if report is not None:
                report(f"{exc}; retry {attempt + 1}/{max_attempts} in {wait:g} s")
            sleep(wait)
            spent += wait


def _data_block(payload: bytes) -> bytes:
    """Return ``payload`` as the DATA block: leading dots doubled, ended by CRLF . CRLF."""
    block = re.sub(rb"(?m)^\.", b"..", payload)
    if not block.endswith(b"\r\n"):
        block += b"\r\n"
    return block + b".\r\n"


def _login_plain_utf8(smtp: smtplib.SMTP, user: str, password: str) -> None:
    """AUTH PLAIN in UTF-8 (RFC 4616): smtplib encodes credentials as ASCII, so 'ä' would fail."""
    import base64

    if not smtp.has_extn("auth"):
        raise smtplib.SMTPNotSupportedError("SMTP AUTH extension not supported by server.")
    blob = base64.b64encode(f"\0{user}\0{password}".encode()).decode("ascii")
    code, text = smtp.docmd("AUTH", f"PLAIN {blob}")
    if code not in (235, 503):
        raise smtplib.SMTPAuthenticationError(code, text)


def _no_delay(smtp: smtplib.SMTP) -> None:
    """Switch off Nagle's algorithm on a long-lived connection.

    Once a connection leaves TCP's quick-ACK start, the tail of each message waits for the
    server's delayed ACK (about 40 ms on Linux) before it is sent: a per-message stall that a
    connection-per-message client never sees, and the one thing that made a kept-open session slow.
    """
    import socket

    sock = getattr(smtp, "sock", None)
    if sock is None:
        return
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except (OSError, AttributeError):
        pass


def _cannot_connect(exc: BaseException, where: str, waited: float) -> ConnectFailure:
    """The line for a connection that failed with ``exc`` (a host name unknown, a server that
    took the connection and never greeted, anything else), naming the setting to check."""
    if isinstance(exc, socket.gaierror):
        return ConnectFailure(f"{where}: cannot connect: unknown host ({exc.strerror or exc}); "
                              "check [smtp] host")
    if isinstance(exc, smtplib.SMTPServerDisconnected) and "timed out" in str(exc):
        longer = ", or give it longer with [smtp] timeout" if waited < CONNECT_TIMEOUT else ""
        return ConnectFailure(f"{where}: the server took the connection but did not answer "
                              f"within {waited:g} s; check [smtp] host and port (is it an SMTP "
                              f"server?){longer}")
    return ConnectFailure(f"{where}: cannot connect ({_describe(exc)}); check [smtp] host and "
                          "port, and that the server is reachable")


def _describe(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _close_quietly(smtp: smtplib.SMTP | None, *, quit: bool = False) -> None:
    if smtp is None:
        return
    try:
        if quit:
            smtp.quit()
    except (smtplib.SMTPException, OSError):
        pass
    try:
        smtp.close()
    except (smtplib.SMTPException, OSError):
        pass
