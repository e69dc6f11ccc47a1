"""Read the coordinator's mailbox over IMAP: the core of ``yhteistuumin fetch``.

``fetch_mailbox`` logs in (password or XOAUTH2, with the same rules and token command as
sending: ``smtp_auth``), selects ``[imap] folder`` and takes every message it has not handled
yet, oldest first. What it has handled is remembered in the database (``FetchedMessage``) by
the folder's UIDVALIDITY and the message's UID; a message is *claimed* there (a unique
constraint decides between two runs, on one machine or on several sharing a PostgreSQL
database) before anything is done with it, and *finished* after. A claim whose run died (a
killed process, or a machine silent for longer than ``mailer.CLAIM_LEASE``) is taken over, so
nothing is handled twice and nothing is skipped.

Each message is kept as fetched under ``outputs/mailbox/<host>/<folder>/`` and goes through
the existing stages:

* delivery reports and automatic replies: ``bounces.process_bounces``, as ``yhteistuumin
  bounces`` would (a hard bounce marks the address);
* an attached questionnaire, form export, table, archive or message, or answers typed into the
  text: ``ingest.ingest_paths``, as ``yhteistuumin ingest`` would (one ingest report per run);
* anything else: listed to be read, with its sender, subject and date.

Nothing is ever deleted on the server. Handled messages are moved to ``[imap]
processed_folder`` when it is set (with MOVE; a server without it gets a COPY and the original
stays), else they get the keyword ``$Yhteistuumin``. Messages are read with ``BODY.PEEK`` so
their unread state stays as the coordinator left it. A dry run selects the folder read-only and
writes nothing, on the server or in the database.
"""

from __future__ import annotations

import datetime as dt
import email
import re
import ssl
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from email.header import decode_header, make_header
from email.utils import getaddresses, parsedate_to_datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import MailboxError, SendError
from .mailparse import parse_headers
from .smtp_auth import (
    keyring_password,
    refuse_cleartext_login,
    run_token_command,
    tls_context,
    tls_problem,
)

if TYPE_CHECKING:
    from sqlmodel import Session

    from .config import Settings
    from .db.models import FetchedMessage
    from .workspace import Workspace

#: The keyword a handled message gets when it is not moved (RFC 9051 keywords may start with $).
KEYWORD = "$Yhteistuumin"
KEYRING_HINT = "keyring set yhteistuumin"
INGEST, TO_READ, FAILED, CLAIMED = "ingested", "to-read", "failed", "claimed"
HARD, SOFT, AUTO_REPLY = "hard-bounce", "soft-bounce", "auto-reply"
#: Attachments that ``ingest`` reads (questionnaires, exports, tables, archives, messages).
READABLE_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xls", ".ods", ".csv", ".tsv", ".txt", ".zip",
                               ".eml", ".msg"})
#: UIDs claimed in one transaction: fewer commits, and a dead run's few left claimed are
#: taken over by the next run anyway.
CLAIM_CHUNK = 16
#: Megabytes a message may be, as the server counts it (RFC822.SIZE), by default ([limits]
#: max_message_mb); a bigger one is not downloaded: a 200 MB attachment, the most ingest
#: reads, is about 270 MB in a message's base64.
MAX_MESSAGE_MB = 300
#: Pictures in a signature or a reply's quoted text, not answers.
IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".gif", ".bmp", ".emz", ".wmz", ".svg"})
#: Progress callback: (stage label, items done since the last call, items in the stage).
Progress = Callable[[str, int, int], Any]


# --- settings and connection -----------------------------------------------------------------


@dataclass
class ImapOptions:
    """Where and how to read the mailbox; ``password`` is never shown in a repr."""

    host: str
    port: int = 993
    security: str = "ssl"  # ssl, starttls, none
    user: str = ""
    password: str | None = field(default=None, repr=False)
    oauth2_token_command: str = ""
    timeout: float = 60.0
    ca_file: str = ""
    folder: str = "INBOX"
    processed_folder: str = ""
    ssl_context: ssl.SSLContext | None = field(default=None, repr=False)

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def mailbox(self) -> str:
        """The account, as remembered with each message: ``user@host`` or the host."""
        return (f"{self.user}@{self.host}" if self.user else self.host).lower()

    def context(self) -> ssl.SSLContext:
        """Return the TLS context: verifying, with the system CAs (or ``ca_file``'s)."""
        if self.ssl_context is not None:
            return self.ssl_context
        try:
            return tls_context(self.ca_file, section="imap")
        except SendError as exc:
            raise MailboxError(str(exc)) from None


def imap_options(settings: Settings, *, ssl_context: ssl.SSLContext | None = None) -> ImapOptions:
    """Return the ``[imap]`` options of ``settings`` (the password only from the environment here)."""
    return ImapOptions(
        host=str(settings.get("imap.host")),
        port=int(settings.get("imap.port")),
        security=str(settings.get("imap.security")),
        user=str(settings.get("imap.user")),
        password=settings.imap_password,
        oauth2_token_command=str(settings.get("imap.oauth2_token_command")),
        timeout=float(settings.get("imap.timeout") or 60),
        ca_file=str(settings.get("imap.ca_file")),
        folder=str(settings.get("imap.folder")) or "INBOX",
        processed_folder=str(settings.get("imap.processed_folder")),
        ssl_context=ssl_context,
    )


def _server_text(exc: BaseException) -> str:
    """The server's words of an IMAP error, without Python's byte-string quotes (b'…')."""
    import re

    text = re.sub(r"(?<![\w])b(['\"])(.*)\1", r"\2", " ".join(str(exc).split()))
    return text.strip()


def _describe(exc: BaseException) -> str:
    text = _server_text(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def connect(options: ImapOptions, *,
            password_lookup: Callable[[str], str | None] = keyring_password,
            token_source: Callable[..., str] = run_token_command) -> Any:
    """Open a logged-in IMAP connection; raise ``MailboxError`` naming host:port and what failed."""
    import socket

    from imapclient import IMAPClient
    from imapclient.exceptions import IMAPClientError, LoginError

    opts = options
    if not opts.host:
        raise MailboxError("[imap] host is not set; set it in yhteistuumin.toml or "
                           "YHTEISTUUMIN_IMAP_HOST (e.g. outlook.office365.com or imap.gmail.com)")
    if not opts.user:
        raise MailboxError(f"{opts.where}: [imap] user is not set; set the login name in "
                           "yhteistuumin.toml or YHTEISTUUMIN_IMAP_USER")
    try:
        refuse_cleartext_login(opts.where, host=opts.host, security=opts.security, user=opts.user,
                               section="imap")
    except SendError as exc:
        raise MailboxError(str(exc)) from None
    secret: str | None = None
    if opts.oauth2_token_command:  # before connecting: a broken command needs no network
        try:
            secret = token_source(opts.oauth2_token_command, where="[imap] oauth2_token_command")
        except SendError as exc:
            raise MailboxError(str(exc)) from None
    else:
        secret = opts.password or password_lookup(opts.user)
        if not secret:
            raise MailboxError(f"{opts.where}: no password for {opts.user}: set "
                               "YHTEISTUUMIN_IMAP_PASSWORD or store it in the system keyring "
                               f"({KEYRING_HINT} {opts.user}); or set [imap] oauth2_token_command")
    context = opts.context() if opts.security in {"ssl", "starttls"} else None
    client: Any = None
    try:
        client = IMAPClient(opts.host, port=opts.port, ssl=opts.security == "ssl",
                            ssl_context=context, timeout=opts.timeout)
        if opts.security == "starttls":
            if not client.has_capability("STARTTLS"):
                raise MailboxError(f"{opts.where}: the server does not offer STARTTLS; set "
                                   "[imap] security to ssl (port 993) or check the port")
            client.starttls(ssl_context=context)
        if opts.oauth2_token_command:
            client.oauth2_login(opts.user, secret)
        elif (opts.user + (secret or "")).isascii():
            client.login(opts.user, secret)
        else:  # LOGIN is ASCII only; AUTHENTICATE PLAIN carries UTF-8 (RFC 4616)
            client.plain_login(opts.user, secret)
    except MailboxError:
        _logout_quietly(client)
        raise
    except LoginError as exc:
        _logout_quietly(client)
        how = "XOAUTH2 token" if opts.oauth2_token_command else "password"
        raise MailboxError(f"{opts.where}: login as {opts.user} refused "
                           f"({_server_text(exc)}); check the user and the {how}") from None
    except ssl.SSLError as exc:
        _logout_quietly(client)
        raise MailboxError(tls_problem(exc, opts.where, section="imap",
                                       ports="993 is ssl, 143 starttls")) from None
    except socket.gaierror as exc:
        _logout_quietly(client)
        raise MailboxError(f"{opts.where}: cannot connect: unknown host ({exc.strerror or exc}); "
                           "check [imap] host") from None
    except TimeoutError:
        _logout_quietly(client)
        raise MailboxError(f"{opts.where}: the server did not answer within {opts.timeout:g} s; "
                           "run fetch again later, or give it longer with [imap] timeout "
                           "(YHTEISTUUMIN_IMAP_TIMEOUT)") from None
    except (OSError, IMAPClientError) as exc:
        _logout_quietly(client)
        raise MailboxError(f"{opts.where}: cannot connect ({_describe(exc)}); check [imap] host "
                           "and port, and that the server is reachable") from None
    return client


def folder_hint(client: Any, folder: str, key: str, *, otherwise: str) -> str:
    """What to set ``[imap] key`` to when ``folder`` cannot be opened or made: the server's
    folder of that name as this server writes it (its own separator between the levels, its
    own case), else the folders it has; ``otherwise`` when the server has it as written (the
    fault is not in its name)."""
    import difflib

    from imapclient.exceptions import IMAPClientError

    from .reports import first_ten

    try:
        listed = client.list_folders()
    except (IMAPClientError, OSError):
        return otherwise
    names = [str(name) for _flags, _sep, name in listed]
    if folder in names:
        return otherwise
    separators = {sep.decode() if isinstance(sep, bytes) else str(sep)
                  for _flags, sep, _name in listed if sep}
    separator = separators.pop() if len(separators) == 1 else ""
    # A level written with another client's separator ('Saapuneet/Vastaukset' on a server of
    # 'Saapuneet.Vastaukset'); only the usual ones, and never the server's own.
    others = "".join(sorted(set("/\\.") - {separator}))
    written = re.sub(f"[{re.escape(others)}]", separator, folder) if separator else folder
    said = f"this server separates folders with {separator!r}; " if written != folder else ""
    folded = {name.casefold(): name for name in names}
    tried = list(dict.fromkeys((written.casefold(), folder.casefold())))
    # The same name in another case first, then one a letter or two away.
    found = next((folded[wanted] for wanted in tried if wanted in folded), None) or next(
        (folded[close[0]] for wanted in tried
         if (close := difflib.get_close_matches(wanted, list(folded), n=1, cutoff=0.85))), None)
    if found is not None:
        return f"{said}set [imap] {key} = {found!r}"
    if said and key == "processed_folder":
        return f"{said}set [imap] {key} = {written!r} (fetch makes it)"
    shown = first_ten(repr(name) for name in sorted(names, key=str.casefold))
    return f"{said}check [imap] {key}; the server's folders: {shown}"


def _logout_quietly(client: Any) -> None:
    if client is None:
        return
    try:
        client.logout()
    except Exception:  # noqa: BLE001 - the connection may be gone already
        try:
            client.shutdown()
        except Exception:  # noqa: BLE001
            pass


# --- results --------------------------------------------------------------------------------


@dataclass
class FetchedItem:
    """What became (or would become) of one message."""

    uid: int
    status: str  # ingested, hard-bounce, soft-bounce, auto-reply, to-read, failed
    reason: str = ""
    sender: str = ""
    subject: str = ""
    date: str = ""
    files: list[str] = field(default_factory=list)
    practices_new: int = 0
    stored: str | None = None
    #: A bounce or auto-reply about a contact for a person to check (``bounces``' check-*).
    check: bool = False
    #: ...because a server refused our mail by policy (many at once point at our sending).
    refused: bool = False

    @property
    def failed(self) -> bool:
        return self.status == FAILED

    def to_dict(self) -> dict[str, Any]:
        return {"uid": self.uid, "status": self.status, "from": self.sender,
                "subject": self.subject, "date": self.date, "files": self.files,
                "practices_new": self.practices_new, "stored": self.stored,
                "reason": self.reason, "check": self.check}


def _plural(count: int, one: str, many: str | None = None) -> str:
    return f"{count} {one if count == 1 else (many or one + 's')}"


@dataclass
class FetchResult:
    """One ``fetch`` run: the messages it handled, the ones it had handled before, problems."""

    where: str
    folder: str
    dry_run: bool = False
    items: list[FetchedItem] = field(default_factory=list)
    already_seen: int = 0
    claimed_elsewhere: int = 0
    ingested_files: int = 0
    #: Files the messages carried that an earlier run or ingest had read already.
    ingested_before: int = 0
    practices_new: int = 0
    marked: int = 0
    problems: list[str] = field(default_factory=list)
    ingest_report: Path | None = None
    #: UIDs listed in the folder but gone before they were read (another mail client moved or
    #: deleted them meanwhile): nothing of them was read.
    gone: list[int] = field(default_factory=list)

    def _count(self, *statuses: str) -> int:
        return sum(1 for item in self.items if item.status in statuses)

    @property
    def fetched(self) -> int:
        return len(self.items)

    @property
    def bounces(self) -> int:
        return self._count(HARD, SOFT)

    @property
    def auto_replies(self) -> int:
        return self._count(AUTO_REPLY)

    @property
    def to_read(self) -> int:
        return self._count(TO_READ)

    @property
    def failures(self) -> int:
        return self._count(FAILED)

    @property
    def failed(self) -> bool:
        return bool(self.failures or self.problems)

    def summary(self) -> list[str]:
        """The sentences the command prints."""
        lines = []
        verb = "would be handled" if self.dry_run else "handled"
        head = (f"{self.where} {self.folder}: {_plural(self.fetched, 'new message')} {verb}, "
                f"{_plural(self.already_seen, 'message')} handled before")
        if self.claimed_elsewhere:
            head += f", {self.claimed_elsewhere} being handled by another run"
        lines.append(head + ".")
        if self.fetched:
            parts = []
            ingested = self._count(INGEST)
            if ingested:
                parts.append(f"{ingested} to ingest" if self.dry_run else f"{ingested} ingested "
                             f"({_plural(self.ingested_files, 'file')}, "
                             + (f"{_plural(self.ingested_before, 'file')} ingested before, "
                                if self.ingested_before else "")
                             + f"{_plural(self.practices_new, 'new practice')})")
            if self.bounces:
                parts.append(_plural(self.bounces, "bounce"))
            if self.auto_replies:
                parts.append(_plural(self.auto_replies, "auto-reply", "auto-replies"))
            if self.to_read:
                parts.append(f"{self.to_read} to read")
            if self.failures:
                parts.append(f"{self.failures} failed")
            sentence = ", ".join(parts)
            lines.append(sentence[:1].upper() + sentence[1:] + ".")
            checks = sum(1 for item in self.items if item.check)
            if checks:
                lines.append(f"{_plural(checks, 'message')} about a contact for a person to "
                             "check: see yhteistuumin status --by municipality.")
            from .bounces import refusals_hint

            hint = refusals_hint(sum(1 for item in self.items if item.refused))
            if hint:
                lines.append(hint)
        if self.marked and not self.dry_run:
            lines.append(f"{_plural(self.marked, 'message')} marked on the server "
                         "(nothing deleted).")
        if self.gone:
            uids = ", ".join(str(uid) for uid in self.gone)
            lines.append(f"{_plural(len(self.gone), 'message')} left {self.folder} while this "
                         f"run read it, unread (UID {uids}): moved or deleted by another mail "
                         "client; if moved to another folder, fetch that one too ([imap] folder)")
        lines.extend(self.problems)
        if self.ingest_report is not None:
            lines.append(f"Ingest report: {self.ingest_report}")
        if self.dry_run:
            lines.append("Dry run: nothing was changed, on the server or in the database.")
        return lines

    def text(self) -> str:
        """The summary, then a line per message."""
        from .reports import render_table

        columns, rows = self.table()
        lines = self.summary()
        if rows:
            lines += ["", render_table(rows, columns)]
        return "\n".join(lines)

    def table(self) -> tuple[list[str], list[dict[str, Any]]]:
        """Columns and one row per message (``([], [])`` when there are none)."""
        if not self.items:
            return [], []
        columns = ["uid", "status", "from", "subject", "date", "reason"]
        return columns, [item.to_dict() for item in self.items]

    def to_dict(self) -> dict[str, Any]:
        return {"server": self.where, "folder": self.folder, "dry_run": self.dry_run,
                "fetched": self.fetched, "already_seen": self.already_seen,
                "claimed_elsewhere": self.claimed_elsewhere,
                "ingested_files": self.ingested_files,
                "ingested_before": self.ingested_before, "practices_new": self.practices_new,
                "bounces": self.bounces, "auto_replies": self.auto_replies,
                "to_read": self.to_read, "failed": self.failures, "marked": self.marked,
                "problems": list(self.problems), "gone": list(self.gone),
                "ingest_report": str(self.ingest_report) if self.ingest_report else None,
                "items": [item.to_dict() for item in self.items]}


# --- reading one message -------------------------------------------------------------------


@dataclass
class _Headers:
    sender: str = ""
    subject: str = ""
    date: str = ""
    message_key: str = ""


def _headers(data: bytes, internal: Any) -> _Headers:
    """Sender, subject and date of a message, however broken its headers are."""
    from .bounces import message_key

    found = _Headers()
    try:
        headers = parse_headers(data)
    except Exception:  # noqa: BLE001 - a header block the parser cannot read at all
        headers = email.message.Message()
    try:
        found.subject = " ".join(str(make_header(decode_header(str(headers.get("Subject", "")))))
                                 .split())
    except Exception:  # noqa: BLE001 - a badly encoded subject is shown raw
        found.subject = " ".join(str(headers.get("Subject", "")).split())
    try:
        addresses = getaddresses([str(headers.get("From", ""))])
        found.sender = addresses[0][1].lower() if addresses and addresses[0][1] else ""
    except Exception:  # noqa: BLE001
        found.sender = ""
    when: dt.datetime | None = None
    try:
        when = parsedate_to_datetime(str(headers.get("Date", ""))) if headers.get("Date") else None
    except (TypeError, ValueError, IndexError):
        when = None
    if when is None and isinstance(internal, dt.datetime):
        when = internal
    if when is not None:
        when = when.astimezone(dt.UTC) if when.tzinfo else when.replace(tzinfo=dt.UTC)
        found.date = when.isoformat(timespec="seconds")
    try:
        found.message_key = message_key(data)
    except Exception:  # noqa: BLE001
        found.message_key = ""
    return found


def _is_our_message(name: str, data: bytes) -> bool:
    """Whether an attached message is one we sent (it carries our token header)."""
    from .bounces import TOKEN_HEADER

    if Path(name).suffix.lower() != ".eml":
        return False
    try:
        headers = parse_headers(data)
    except Exception:  # noqa: BLE001 - an unreadable attachment is not ours to judge here
        return False
    return TOKEN_HEADER in headers


def _route(path: Path, data: bytes, mapper: Callable[[], Any]) -> tuple[str, str, list[str]]:
    """Return (status, reason, readable attachments) of a message saved at ``path``.

    Raises ``InputError`` (or another error) when the message cannot be read at all.
    """
    from .bounces import AUTO_REPLY as B_AUTO
    from .bounces import HARD as B_HARD
    from .bounces import SOFT as B_SOFT
    from .bounces import classify_message
    from .ingest.emails import body_answers, read_eml
    from .mailparse import parse_message

    # Parsed once for both readers: each parse of a 43 MB message held ~120 MB more.
    message = parse_message(data)
    found = classify_message(data, parsed=message)
    if found.kind in {B_HARD, B_SOFT, B_AUTO}:
        status = {B_HARD: HARD, B_SOFT: SOFT, B_AUTO: AUTO_REPLY}[found.kind]
        return status, found.reason, []
    if found.report:  # a mailer daemon's report: whatever it attaches is not an answer
        return TO_READ, (f"{found.reason}: read it in the mailbox"), []
    parsed = read_eml(path, parsed=message)
    # Our own message coming back (inside a delivery report no rule here knows, a forward of
    # the invitation) carries our blank questionnaire: never the municipality's answer.
    ours = [a.name for a in parsed.attachments if _is_our_message(a.name, a.data)]
    readable = [a.name for a in parsed.attachments
                if Path(a.name).suffix.lower() in READABLE_SUFFIXES and a.name not in ours]
    others = [a.name for a in parsed.attachments if a.name not in readable
              and a.name not in ours and Path(a.name).suffix.lower() not in IMAGE_SUFFIXES]
    if readable:
        return INGEST, "attachment: " + ", ".join(readable), readable
    if ours:
        return TO_READ, (f"it carries our own message ({', '.join(ours)}) and nothing else to "
                         "read: perhaps a delivery report of a kind not recognised; read it "
                         "in the mailbox"), []
    if body_answers(parsed.body, mapper()):
        return INGEST, "answers typed in the message", []
    reason = "no questionnaire, answers or delivery report: read it in the mailbox"
    if others:
        reason += f"; {', '.join(others)} {'is' if len(others) == 1 else 'are'} not read " \
                  "automatically"
    return TO_READ, reason, []


def replying_municipality(session: Any, data: bytes) -> str | None:
    """The municipality a message to read comes from, if one is sure: it answers our message
    (``In-Reply-To``/``References``), carries its token, or comes from its contact's address.

    Its reminder then waits until the coordinator has read it (``reminders.replies_to_read``):
    "emme osallistu tällä kertaa" or "vi deltar inte" is never reminded blindly, and its words
    are never guessed at. A delivery report or an automatic reply is no such message."""
    from sqlalchemy import func
    from sqlmodel import col, select

    from .bounces import NOT_A_BOUNCE, classify_message
    from .db.models import Contact, OutboundMessage, SurveyToken

    found = classify_message(data)
    if found.kind != NOT_A_BOUNCE or found.report:
        return None
    for codes in (
            lambda: session.exec(select(OutboundMessage.municipality_code).where(
                col(OutboundMessage.message_id).in_(found.message_ids))).all(),
            lambda: session.exec(select(SurveyToken.municipality_code).where(
                col(SurveyToken.token).in_(found.tokens))).all(),
            lambda: session.exec(select(Contact.municipality_code).where(
                func.lower(Contact.email) == found.sender)).all() if found.sender else []):
        named = set(codes())
        if named:
            return named.pop() if len(named) == 1 else None
    return None


# --- the run ----------------------------------------------------------------------------------


class _Claims:
    """The database side: which UIDs are handled, claiming one, finishing it."""

    def __init__(self, session: Session, mailbox: str, folder: str, uidvalidity: int) -> None:
        from .mailer import new_run_id

        self.session = session
        self.key = (mailbox, folder, uidvalidity)
        self.run_id = new_run_id()

    def known(self) -> dict[int, FetchedMessage]:
        from sqlmodel import col, select

        from .db.models import FetchedMessage

        mailbox, folder, uidvalidity = self.key
        rows = self.session.exec(select(FetchedMessage).where(
            col(FetchedMessage.mailbox) == mailbox, col(FetchedMessage.folder) == folder,
            col(FetchedMessage.uidvalidity) == uidvalidity)).all()
        return {int(row.uid): row for row in rows}

    def alive(self, row: FetchedMessage, now: dt.datetime) -> bool:
        """Whether the run that claimed ``row`` may still be handling it."""
        from .mailer import run_is_alive

        if row.claimed_by == self.run_id:
            return True
        return run_is_alive(row.claimed_by, row.claimed_at, now)

    def claim(self, uid: int, earlier: FetchedMessage | None) -> FetchedMessage | None:
        """Claim ``uid`` for this run (or take over a dead run's claim); None if another has it."""
        from sqlalchemy import update
        from sqlalchemy.exc import IntegrityError
        from sqlmodel import col

        from .db.models import FetchedMessage, utcnow

        now = utcnow()
        if earlier is not None:
            taken = self.session.execute(
                update(FetchedMessage).where(
                    col(FetchedMessage.id) == earlier.id,
                    col(FetchedMessage.outcome) == CLAIMED,
                    col(FetchedMessage.claimed_by) == earlier.claimed_by)
                .values(claimed_by=self.run_id, claimed_at=now))
            self.session.commit()
            if getattr(taken, "rowcount", 0) != 1:
                return None
            self.session.refresh(earlier)
            return earlier
        mailbox, folder, uidvalidity = self.key
        row = FetchedMessage(mailbox=mailbox, folder=folder, uidvalidity=uidvalidity, uid=uid,
                             claimed_by=self.run_id, claimed_at=now)
        self.session.add(row)
        try:
            self.session.commit()
        except IntegrityError:
            self.session.rollback()
            return None
        return row

    def claim_many(self, uids: list[int],
                   known: dict[int, FetchedMessage]) -> dict[int, FetchedMessage]:
        """Claim several UIDs in one transaction (one commit, not one each); return those won.

        When another run holds one of them, each is claimed on its own instead.
        """
        from sqlalchemy.exc import IntegrityError

        from .db.models import FetchedMessage, utcnow

        won: dict[int, FetchedMessage] = {}
        fresh = [uid for uid in uids if uid not in known]
        if fresh:
            mailbox, folder, uidvalidity = self.key
            now = utcnow()
            rows = [FetchedMessage(mailbox=mailbox, folder=folder, uidvalidity=uidvalidity,
                                   uid=uid, claimed_by=self.run_id, claimed_at=now)
                    for uid in fresh]
            self.session.add_all(rows)
            try:
                self.session.commit()
                won.update(zip(fresh, rows, strict=True))
            except IntegrityError:
                self.session.rollback()
                for uid in fresh:
                    row = self.claim(uid, None)
                    if row is not None:
                        won[uid] = row
        for uid in uids:
            if uid in known:
                row = self.claim(uid, known[uid])
                if row is not None:
                    won[uid] = row
        return won

    def renew(self, rows: list[FetchedMessage]) -> None:
        """Claim again, now: a long run's early claims must not look abandoned to another host."""
        from .db.models import utcnow

        now = utcnow()
        for row in rows:
            row.claimed_at = now
            self.session.add(row)
        self.session.commit()

    def release(self, row: FetchedMessage) -> None:
        """Give a claim back (the message was not handled: the next run takes it)."""
        from sqlalchemy import delete
        from sqlmodel import col

        from .db.models import FetchedMessage

        self.session.rollback()
        self.session.execute(delete(FetchedMessage).where(
            col(FetchedMessage.id) == row.id, col(FetchedMessage.outcome) == CLAIMED,
            col(FetchedMessage.claimed_by) == self.run_id))
        self.session.commit()

    def finish(self, row: FetchedMessage, outcome: str, detail: str, *, key: str = "",
               stored: str | None = None, commit: bool = True) -> None:
        from .db.models import utcnow

        row.outcome = outcome
        row.detail = detail[:2000]
        if key:
            row.message_key = key[:500]
        if stored:
            row.stored_path = stored
        if row.finished_at is None:
            row.finished_at = utcnow()
        self.session.add(row)
        if commit:
            self.session.commit()

    def marked(self, rows: Iterable[FetchedMessage]) -> None:
        from .db.models import utcnow

        now = utcnow()
        for row in rows:
            row.marked_at = now
            self.session.add(row)
        self.session.commit()


def _store(folder: Path, uidvalidity: int, uid: int, data: bytes) -> Path:
    """Keep the message as fetched (written whole or not at all)."""
    path = folder / f"{uidvalidity}-{uid}.eml"
    if not (path.is_file() and path.read_bytes() == data):
        part = path.with_name(path.name + ".part")
        part.write_bytes(data)
        part.replace(path)
    return path


def fetch_mailbox(
    settings: Settings,
    *,
    session: Session,
    workspace: Workspace,
    dry_run: bool = False,
    since: dt.date | None = None,
    progress: Progress | None = None,
    ssl_context: ssl.SSLContext | None = None,
    password_lookup: Callable[[str], str | None] = keyring_password,
    token_source: Callable[..., str] = run_token_command,
) -> FetchResult:
    """Read the messages of ``[imap] folder`` not handled yet and route each to its stage.

    Raises ``MailboxError`` when the mailbox cannot be read at all (connection, login, folder);
    a message that cannot be handled, or a connection lost on the way, is a line of the result.
    """
    opts = imap_options(settings, ssl_context=ssl_context)
    client = connect(opts, password_lookup=password_lookup, token_source=token_source)
    try:
        return _Fetch(opts, client, settings=settings, session=session, workspace=workspace,
                      dry_run=dry_run, progress=progress).run(since)
    finally:
        _logout_quietly(client)


class _Fetch:
    """One run over one folder."""

    def __init__(self, opts: ImapOptions, client: Any, *, settings: Settings, session: Session,
                 workspace: Workspace, dry_run: bool, progress: Progress | None) -> None:
        self.opts = opts
        self.client = client
        self.settings = settings
        self.session = session
        self.workspace = workspace
        self.dry_run = dry_run
        self.progress = progress or (lambda label, n, total: None)
        self.result = FetchResult(opts.where, opts.folder, dry_run=dry_run)
        self.max_message_bytes = int(settings.get("limits.max_message_mb")) * 1024 * 1024
        self._mapper: Any = None

    def mapper(self) -> Any:
        if self._mapper is None:
            from .ingest.prepare import Reader

            self._mapper = Reader(self.workspace, "auto").detector.mapper()
        return self._mapper

    def select(self) -> tuple[int, bool]:
        """Select the folder; return (UIDVALIDITY, whether it keeps keywords)."""
        from imapclient.exceptions import IMAPClientError

        try:
            info = self.client.select_folder(self.opts.folder, readonly=self.dry_run)
        except IMAPClientError as exc:
            hint = folder_hint(self.client, self.opts.folder, "folder",
                               otherwise="check [imap] folder")
            raise MailboxError(f"{self.opts.where}: cannot open folder {self.opts.folder!r} "
                               f"({_server_text(exc)}); {hint}") from None
        uidvalidity = int(info.get(b"UIDVALIDITY") or 0)
        permanent = [bytes(flag) if isinstance(flag, bytes) else str(flag).encode()
                     for flag in info.get(b"PERMANENTFLAGS", ())]
        return uidvalidity, b"\\*" in permanent

    def run(self, since: dt.date | None) -> FetchResult:
        from imapclient.exceptions import IMAPClientAbortError, IMAPClientError

        from .db.models import utcnow

        result = self.result
        uidvalidity, keeps_keywords = self.select()
        criteria: list[Any] = ["SINCE", since] if since else ["ALL"]
        try:
            uids = sorted(int(uid) for uid in self.client.search(criteria))
        except IMAPClientError as exc:
            raise MailboxError(f"{self.opts.where}: cannot list folder {self.opts.folder!r} "
                               f"({_server_text(exc)})") from None
        claims = _Claims(self.session, self.opts.mailbox, self.opts.folder, uidvalidity)
        known = claims.known()
        todo, unmarked = self._sort_out(uids, known, claims, utcnow())
        store_dir = None
        if not self.dry_run:
            from .ingest.emails import safe_name

            store_dir = self.workspace.output_dir("mailbox", safe_name(self.opts.host, "imap"),
                                                  safe_name(self.opts.folder, "folder"))
        to_ingest: list[tuple[FetchedItem, FetchedMessage | None, Path]] = []
        done: list[FetchedMessage] = []
        lost = False
        claimed: dict[int, FetchedMessage] = {}
        too_big = self._too_big_uids(todo)
        with tempfile.TemporaryDirectory(prefix="yhteistuumin-fetch-") as scratch:
            for number, uid in enumerate(todo, start=1):
                row: FetchedMessage | None = None
                if not self.dry_run:
                    if (number - 1) % CLAIM_CHUNK == 0:
                        chunk = todo[number - 1:number - 1 + CLAIM_CHUNK]
                        claimed = claims.claim_many(chunk, {u: known[u] for u in chunk
                                                            if u in known})
                    row = claimed.pop(uid, None)
                    if row is None:
                        result.claimed_elsewhere += 1
                        self.progress("Fetching", 1, len(todo))
                        continue
                if uid in too_big:
                    result.items.append(self._too_big(uid, row, claims))
                    self.progress("Fetching", 1, len(todo))
                    continue
                try:
                    fetched = self.client.fetch([uid], ["BODY.PEEK[]", "INTERNALDATE"])
                except (IMAPClientAbortError, OSError) as exc:
                    for unread in [row, *claimed.values()]:
                        if unread is not None:
                            claims.release(unread)
                    left = len(todo) - number + 1
                    result.problems.append(
                        f"{self.opts.where}: the connection was lost ({_describe(exc)}) with "
                        f"{_plural(left, 'message')} still to read; nothing is lost: run fetch "
                        "again to read the rest")
                    lost = True
                    break
                except IMAPClientError as exc:
                    if row is not None:
                        claims.release(row)
                    result.items.append(FetchedItem(uid, FAILED, f"UID {uid}: the server would "
                                                    f"not give it ({_server_text(exc)})"))
                    continue
                data = (fetched.get(uid) or {}).get(b"BODY[]")
                if not isinstance(data, bytes):
                    if row is not None:  # gone (moved or deleted by someone else) meanwhile
                        claims.release(row)
                    result.gone.append(uid)
                    self.progress("Fetching", 1, len(todo))
                    continue
                internal = (fetched.get(uid) or {}).get(b"INTERNALDATE")
                item, path = self.handle(uid, data, internal, row, claims, uidvalidity,
                                         store_dir or Path(scratch))
                if item.status == INGEST and not self.dry_run:
                    to_ingest.append((item, row, path))
                elif row is not None and item.status != FAILED:
                    done.append(row)
                result.items.append(item)
                self.progress("Fetching", 1, len(todo))
        if to_ingest:
            done += self.ingest(to_ingest, claims)
        if not self.dry_run and not lost:
            self.mark([*unmarked, *done], claims, keeps_keywords)
        result.items.sort(key=lambda item: item.uid)
        return result

    def _too_big_uids(self, uids: list[int]) -> set[int]:
        """The messages over ``[limits] max_message_mb`` (one ``SEARCH LARGER`` for the run, the
        server's count), so a huge one is never downloaded; none when the server will not
        tell (then all are read)."""
        from imapclient.exceptions import IMAPClientError

        if not uids:
            return set()
        try:
            found = self.client.search(["LARGER", self.max_message_bytes])
        except (IMAPClientError, OSError):
            return set()
        return {int(uid) for uid in found} & set(uids)

    def _too_big(self, uid: int, row: FetchedMessage | None, claims: _Claims) -> FetchedItem:
        """A message over ``[limits] max_message_mb``: its headers only are read, for the line that
        says so; it stays in the mailbox, unmarked, and is not tried again."""
        from imapclient.exceptions import IMAPClientError

        try:
            fetched = self.client.fetch([uid], ["BODY.PEEK[HEADER]", "INTERNALDATE",
                                                "RFC822.SIZE"])
            data = (fetched.get(uid) or {}).get(b"BODY[HEADER]") or b""
            internal = (fetched.get(uid) or {}).get(b"INTERNALDATE")
            size = int((fetched.get(uid) or {}).get(b"RFC822.SIZE") or 0)
        except (IMAPClientError, OSError):
            data, internal, size = b"", None, self.max_message_bytes
        head = _headers(data if isinstance(data, bytes) else b"", internal)
        mb = 1024 * 1024
        reason = (f"UID {uid} ({head.subject or 'no subject'}): the message is "
                  f"{round(size / mb)} MB, over the {self.max_message_bytes // mb} MB a message "
                  "may be ([limits] max_message_mb); not downloaded. It stays in the mailbox: "
                  "save its attachment from a mail program and ingest that file")
        if row is not None:
            claims.finish(row, FAILED, reason, key=head.message_key)
        return FetchedItem(uid, FAILED, reason, sender=head.sender, subject=head.subject,
                           date=head.date)

    def _sort_out(self, uids: list[int], known: dict[int, FetchedMessage], claims: _Claims,
                  now: Any) -> tuple[list[int], list[FetchedMessage]]:
        """The UIDs to read now (new, or claimed by a run that died), and the messages read
        before but not yet marked on the server; counts what was seen or is claimed."""
        result = self.result
        todo: list[int] = []
        unmarked: list[FetchedMessage] = []
        for uid in uids:
            seen = known.get(uid)
            if seen is None:
                todo.append(uid)
            elif seen.outcome != CLAIMED:
                result.already_seen += 1
                if seen.marked_at is None and seen.outcome != FAILED:
                    unmarked.append(seen)
            elif claims.alive(seen, now):
                result.claimed_elsewhere += 1
            else:
                todo.append(uid)  # its run died: take it over
        return todo, unmarked

    def handle(self, uid: int, data: bytes, internal: Any, row: FetchedMessage | None,
               claims: _Claims, uidvalidity: int, folder: Path) -> tuple[FetchedItem, Path]:
        """Read one message and send it where it belongs (ingest waits for the end of the run)."""
        from sqlalchemy.exc import IntegrityError

        from .bounces import REFUSED, process_bounces

        head = _headers(data, internal)
        item = FetchedItem(uid, FAILED, sender=head.sender, subject=head.subject, date=head.date)
        try:
            path = _store(folder, uidvalidity, uid, data)
        except FileNotFoundError:
            if self.workspace.root.is_dir():
                raise
            from .errors import WorkspaceGone

            raise WorkspaceGone(self.workspace.root) from None  # moved away under the run
        if not self.dry_run:
            item.stored = str(path)
        label = f"UID {uid} ({head.subject or 'no subject'})"
        try:
            status, reason, files = _route(path, data, self.mapper)
        except Exception as exc:  # noqa: BLE001 - one unreadable message never stops the run
            from .errors import SurveyError

            # the reader's own advice (save it again as .eml) does not fit a mailbox
            why = str(exc).replace(str(path), "").lstrip(": ").split("; ")[0] \
                if isinstance(exc, SurveyError) else _describe(exc)
            item.reason = f"{label}: cannot be read ({why}); it stays in the mailbox to be read"
            if row is not None:
                claims.finish(row, FAILED, item.reason, key=head.message_key, stored=str(path))
            return item, path
        item.status, item.files = status, files
        if self.dry_run:
            item.reason = {INGEST: "would be ingested: ", TO_READ: "",
                           }.get(status, "would go to bounces: ") + reason
            return item, path
        if status == INGEST:
            item.reason = reason
            return item, path
        if status == TO_READ:
            item.reason = reason
            assert row is not None
            row.municipality_code = replying_municipality(self.session, data)
            claims.finish(row, TO_READ, "listed to read", key=head.message_key, stored=str(path))
            return item, path
        assert row is not None
        # Finished in the same transaction as the bounce record that process_bounces commits.
        claims.finish(row, status, status, key=head.message_key, stored=str(path), commit=False)
        try:
            outcome = process_bounces([path], session=self.session,
                                      round_name=self.settings.round_name).report.outcomes
        except IntegrityError:  # another run recorded the same message (Message-ID) just now
            self.session.rollback()
            claims.finish(row, status, status, key=head.message_key, stored=str(path),
                          commit=False)
            outcome = process_bounces([path], session=self.session,
                                      round_name=self.settings.round_name).report.outcomes
        first = outcome[0] if outcome else None
        if first is None or first.failed:
            item.status = FAILED
            item.reason = f"{label}: {first.reason if first else 'not read'}"
        else:
            item.reason = first.reason
            item.check = bool(first.detail.get("check"))
            item.refused = first.detail.get("check") == REFUSED
        claims.finish(row, item.status, status if first and not first.failed else
                      f"{status}: {first.status if first else 'not read'}",
                      key=head.message_key, stored=str(path))  # no change: no second commit
        return item, path

    def ingest(self, queued: list[tuple[FetchedItem, FetchedMessage | None, Path]],
               claims: _Claims) -> list[FetchedMessage]:
        """Ingest the saved messages together (one ingest report); finish their claims."""
        from .ingest import ingest_paths

        paths = [path for _item, _row, path in queued]
        claims.renew([row for _item, row, _path in queued if row is not None])
        report = ingest_paths(paths, session=self.session, workspace=self.workspace,
                              settings=self.settings,
                              progress=lambda n: self.progress("Ingesting", n, len(paths)))
        self.result.ingest_report = report.report_path
        finished: list[FetchedMessage] = []
        files: set[str] = set()
        before: set[str] = set()  # "1 ingested (0 files, …)" left the coordinator guessing
        for item, row, path in queued:
            prefix = str(path)
            outcomes = [o for o in report.report.outcomes
                        if str(o.detail.get("file", o.source)) == prefix
                        or str(o.detail.get("file", o.source)).startswith(prefix + " » ")]
            errors = [o.reason for o in outcomes if o.failed]
            new = sum(1 for o in outcomes if o.status == "new")
            counts: dict[str, int] = {}
            for outcome in outcomes:
                counts[outcome.status] = counts.get(outcome.status, 0) + 1
                name = str(outcome.detail.get("file", outcome.source))
                if outcome.status == "already ingested":
                    before.add(name)
                elif not outcome.failed:
                    files.add(name)
            item.practices_new = new
            told = ", ".join(f"{n} {status}" for status, n in counts.items()) or "nothing to read"
            if errors:
                item.status = FAILED
                item.reason = f"UID {item.uid} ({item.subject or 'no subject'}): " + \
                    "; ".join(e.replace(prefix, "the message") for e in errors)
            else:
                item.reason = f"{item.reason}: {told}"
            if row is not None:
                claims.finish(row, item.status, told, stored=prefix,
                              key=_headers(path.read_bytes(), None).message_key)
                if not errors:
                    finished.append(row)
        self.result.ingested_files = len(files)
        self.result.ingested_before = len(before - files)
        self.result.practices_new = sum(item.practices_new for item, _r, _p in queued)
        return finished

    def mark(self, rows: list[FetchedMessage], claims: _Claims, keeps_keywords: bool) -> None:
        """Move handled messages to ``processed_folder``, or give them the keyword; never delete."""
        from imapclient.exceptions import IMAPClientError

        if not rows:
            return
        uids = sorted(int(row.uid) for row in rows)
        target = self.opts.processed_folder if self.opts.processed_folder != self.opts.folder \
            else ""
        try:
            if target:
                if not self.client.folder_exists(target):
                    self.client.create_folder(target)
                if self.client.has_capability("MOVE"):
                    self.client.move(uids, target)
                else:  # COPY leaves the original: it stays, marked, and is never expunged here
                    self.client.copy(uids, target)
                    if keeps_keywords:
                        self.client.add_flags(uids, [KEYWORD])
            elif keeps_keywords:
                self.client.add_flags(uids, [KEYWORD])
            else:
                self.result.problems.append(
                    f"{self.opts.where}: the server keeps no keywords, so handled messages stay "
                    "unmarked (the database remembers them); set [imap] processed_folder to move "
                    "them out of the way")
                claims.marked(rows)
                return
        except (IMAPClientError, OSError) as exc:
            hint = "the next fetch tries again"
            if target and isinstance(exc, IMAPClientError):
                hint = folder_hint(self.client, target, "processed_folder", otherwise=hint)
            self.result.problems.append(
                f"{self.opts.where}: could not {'move' if target else 'mark'} the handled "
                f"messages ({_server_text(exc)}); {hint}")
            return
        claims.marked(rows)
        self.result.marked = len(rows)
