"""Read bounces and auto-replies (``.eml``, mbox, maildir) and act on them, once per message.

Each message is classified:

* **hard** bounce: the address does not work (RFC 3464 ``Action: failed`` with a 5.x.x status,
  or what flufl.bounce finds as a permanent failure): the contact becomes ``bounced`` and gets
  no reminders;
* **soft** bounce: mailbox full, delayed, any 4.x.x status: recorded, nothing else changes;
  a refusal of our message by the receiving server (5.7.x policy, 5.3.4 too big, 5.1.7/5.1.8
  our sender) is one too, never a dead address, and is kept for a person (``check-refused``);
* **auto-reply**: out of office (Finnish, Swedish, English; ``Auto-Submitted``,
  ``X-Autoreply``, ``Precedence``), a delivery or read receipt: nothing changes; one saying
  the person has left, or a challenge-response filter asking us to confirm, is kept for a
  person (``check-left``, ``check-challenge``: the follow-up list shows it);
* **not a bounce**.

A bounce is matched to the outbox by the ``X-Yhteistuumin-Token`` header of the returned
original, else by its Message-ID (``In-Reply-To``/``References`` or the original's own), else by
the failed address. Every message is stored as a ``Bounce`` keyed by its Message-ID (or the
SHA-256 of its bytes), so reading the same mail again changes nothing.
"""

from __future__ import annotations

import datetime as dt
import email
import hashlib
import mailbox
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from email import policy
from email.message import Message
from email.parser import BytesHeaderParser
from email.utils import getaddresses, parsedate_to_datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .mailparse import parse_headers
from .reports import Report, count_phrase, plural, render_table
from .smtp_auth import NO_SUCH_USER

if TYPE_CHECKING:
    from sqlmodel import Session

TOKEN_HEADER = "X-Yhteistuumin-Token"
HARD, SOFT, AUTO_REPLY, NOT_A_BOUNCE = "hard-bounce", "soft-bounce", "auto-reply", "not-a-bounce"
#: A failure that is neither a dead address nor a try-later: the server refused our message.
REFUSED = "refused"
#: What a person has to look at (stored as ``Bounce.classification`` "check-<key>"; the
#: follow-up list shows it on the municipality's row): the contact has left, a server refuses
#: our mail by policy, a challenge-response filter holds it.
LEFT, MOVED, CHALLENGE, ELSEWHERE = "left", "moved", "challenge", "elsewhere"
CHECK_PREFIX = "check-"
#: How a note on a contact gives the addresses its auto-reply names (``Bounce.detail``; the
#: follow-up list reads them back with ``NAMES_IN_DETAIL``).
NAMES_TEXT = " (it names {})"
NAMES_IN_DETAIL = re.compile(r" \(it names ([^()\s,]+(?:, [^()\s,]+)*)\)")
#: A soft bounce as stored (the follow-up list counts them: many, or over weeks, is a check).
SOFT_STORED = "soft"
_CLASSIFICATION = {HARD: "hard", SOFT: "soft", AUTO_REPLY: "auto-reply",
                   NOT_A_BOUNCE: "not-a-bounce"}
_STATUS_OF = {value: key for key, value in _CLASSIFICATION.items()}

_TOKEN_IN_TEXT = re.compile(rf"^{TOKEN_HEADER}:[ \t]*([A-Za-z0-9_\-]{{8,}})", re.I | re.M)
_MESSAGE_ID = re.compile(r"<[^<>\s]+@[^<>\s]+>")
_ADDRESS_IN_TEXT = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_STATUS_CODE = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")
# Enhanced status codes that say "try later" even when they come as 5.x.x: mailbox full.
_FULL_STATUS = {"5.2.2", "4.2.2"}
#: A refusal by the receiving server's policy (RFC 3463 x.7.x), of the message itself (too
#: big, x.3.4/x.2.3, bad content x.6.x) or of our sender (x.1.7, x.1.8): the address may work
#: for anyone else, so it is not marked dead; a person has to sort it out.
_REFUSAL_STATUS = re.compile(r"^5\.(7\.\d+|6\.\d+|3\.4|2\.3|1\.7|1\.8)$")
_PICTURES = frozenset({".png", ".jpg", ".jpeg", ".gif", ".bmp", ".emz", ".wmz", ".svg"})
#: A policy refusal in words, for the servers that give only the generic 5.0.0.
_POLICY_TEXT = re.compile(r"\bpolicy\b|\bspam\b|blocked|blacklist|blocklist|not authori[sz]ed|"
                          r"\bDMARC\b|\bSPF\b|reputation|content rejected", re.I)
#: ...unless the server's own words say the recipient does not exist (some use 5.7.1 for it).
_NO_SUCH_USER = NO_SUCH_USER
#: An automatic reply saying the person has left (the contact should be changed).
_LEFT_TEXT = re.compile(
    r"\b(en|ei) enää työskentele|työskentele enää(?! tänään| tällä)|"
    r"\b(en|ei) ole enää (?!tänään|tällä|huomenna|tämän)(\w+ ){0,2}(palveluksessa|töissä)|"
    r"(olen|on) (jäänyt|siirtynyt) (eläkkeelle|muihin tehtäviin|"
    r"toisen työnantajan|toiseen työpaikkaan)|työsuhteeni .{0,20}päättyi|"
    r"osoite (ei ole enää käytössä|poistuu käytöstä|on poistunut käytöstä)|"
    r"har slutat(?! för (dagen|idag|i dag|veckan))|slutat (min|sin) anställning|"
    r"(arbetar|jobbar) (inte|ej) längre|"
    r"är (inte|ej) längre anställd|(har )?gått i pension|"
    r"adressen (används inte längre|är inte längre i bruk)|"
    r"no longer (with|employed|works? (at|for)|working (at|for))\b|"
    r"(has|have) left (the|our|my) (organi[sz]ation|company|municipality|city|town|"
    r"position|job|employment)|"
    r"(address|mailbox) is no longer (in use|monitored|active)", re.I)
#: An automatic reply saying the address has changed (the contact should be changed too).
_MOVED_TEXT = re.compile(
    r"(sähköposti)?osoitteeni on (muuttunut|vaihtunut)|uusi (sähköposti)?osoitteeni|"
    r"\ben ole enää tavoitettavissa (tästä|tässä|tällä) (sähköposti)?osoittee|"
    r"min (e-post|mejl)?-?adress har ändrats|min nya (e-post|mejl)?-?adress|"
    r"my (e-?mail )?address has changed|my new (e-?mail )?address|"
    r"(this|the) (e-?mail )?address (has changed|will no longer be|is no longer)", re.I)
#: A person's reply asking us to write to another address from now on ("lähettäkää kysely
#: jatkossa osoitteeseen …"): a note for the coordinator, like an auto-reply saying so.
_SEND_ELSEWHERE_TEXT = re.compile(
    r"\b(jatkossa|vastedes|tästä eteenpäin|tulevaisuudessa)\b.{0,80}\bosoitteese(en|emme)\b|"
    r"\b(lähettäkää|lähetä|lähettäisittekö|ohjatkaa|osoittakaa)\b.{0,60}\bosoitteese(en|emme)\b|"
    r"\b(i fortsättningen|framöver|hädanefter)\b.{0,80}\btill (adressen|oss på)\b|"
    r"\bskicka\b.{0,60}\btill adressen\b|"
    r"\b(in (the )?future|from now on|going forward)\b.{0,80}\b(send|write|address)\b.{0,40}\bto\b|"
    r"\bplease (send|forward)\b.{0,60}\b(in (the )?future|from now on|instead)\b", re.I | re.S)
#: A challenge-response filter holding our message until someone proves to be human.
_CHALLENGE_TEXT = re.compile(
    r"confirm (that )?you are (a )?(human|real person)|challenge[- ]response|"
    r"verify (that )?you are (a )?(human|real)|confirm your (message|e-?mail|sender)|"
    r"vahvista(a|maan)? (viestisi|lähettäjä|että olet)|bekräfta (ditt meddelande|avsändaren|"
    r"att du är)", re.I)
_FULL_TEXT = re.compile(
    r"mailbox (is )?full|over ?quota|quota exceeded|insufficient (system )?storage|"
    r"postilaatikko on täynnä|brevlådan är full|mailbox size limit", re.I)
_DAEMON_SENDER = re.compile(r"mailer-daemon|postmaster|mail delivery (sub)?system", re.I)
_BOUNCE_SUBJECT = re.compile(
    r"undeliver|delivery (status notification|failure|has failed)|returned mail|"
    r"mail delivery failed|failure notice|delivery report|non[- ]?delivery|"
    r"toimitus epäonnistui|ei voitu toimittaa|kunde inte levereras|olevererbart", re.I)
_DELAY_SUBJECT = re.compile(r"delayed|delay|warning: message .* delayed|viivästy|försenad", re.I)
_AUTO_SUBJECT = re.compile(
    r"automatic reply|auto(matic)?[- ]?(reply|response)|out of (the )?office|"
    r"automaattinen vastaus|poissaolo|lomavastaaja|automatiskt svar|frånvaro|"
    r"abwesenheit|autoreply", re.I)
_AUTO_BODY = re.compile(
    r"olen (lomalla|poissa|vuosilomalla|koulutuksessa|virkavapaalla)|"
    r"olen tavoitettavissa|palaan (töihin|toimistolle)|"
    r"jag är (ledig|borta|på semester|tjänstledig|föräldraledig)|jag är tillbaka|"
    r"i am (out of (the )?office|on (annual )?leave|on vacation|away)|"
    r"i('| a)m currently (out|away)|i will be back|i will return", re.I)


@dataclass
class Failure:
    """One recipient a bounce reports, and what its delivery-status report says."""

    address: str
    kind: str  # hard-bounce, soft-bounce
    status: str = ""  # enhanced status code, e.g. 5.1.1
    action: str = ""
    diagnostic: str = ""
    #: The address the message was sent to, when the server delivered it on elsewhere
    #: (RFC 3464 ``Original-Recipient``, given only when it differs from ``address``).
    original: str = ""

    @property
    def reason(self) -> str:
        parts = [self.status, self.diagnostic or self.action]
        return " ".join(p for p in parts if p).strip()[:300]


@dataclass
class Classification:
    """What a message is, whom it names, and what identifies the message we sent."""

    kind: str
    failures: list[Failure] = field(default_factory=list)
    tokens: list[str] = field(default_factory=list)
    message_ids: list[str] = field(default_factory=list)
    reason: str = ""
    sender: str = ""
    #: The addresses written in the text parts (an NDR's words name the one that failed).
    text_addresses: list[str] = field(default_factory=list)
    #: A delivery or read receipt: our message arrived.
    receipt: bool = False
    #: A delivery report (from a mailer daemon, or so titled) naming none of our messages.
    report: bool = False
    #: What a person has to look at: LEFT, CHALLENGE or REFUSED ('' when nothing).
    attention: str = ""
    #: The addresses an auto-reply saying the person left or moved gives in its own words
    #: (the new contact, perhaps): shown to the coordinator, never mailed without them.
    named: list[str] = field(default_factory=list)


@dataclass
class BounceResult:
    """One outcome per message read, and how many addresses became ``bounced``."""

    report: Report = field(default_factory=Report)
    marked_bounced: int = 0

    @property
    def failed(self) -> bool:
        return self.report.failed

    @property
    def to_check(self) -> int:
        """Messages a person has to look at (the person has left, a refusal, a challenge)."""
        return sum(1 for o in self.report.outcomes if o.detail.get("check"))

    def summary(self) -> list[str]:
        read = plural(len(self.report.outcomes), "message")
        marked = plural(self.marked_bounced, "address", "addresses")
        lines = [f"{read} read: {count_phrase(self.report.counts) or 'none'}; {marked} marked "
                 "bounced."]
        if self.to_check:
            lines.append(f"{plural(self.to_check, 'message')} about a contact for a person to "
                         "check: see yhteistuumin status --by municipality.")
        hint = refusals_hint(sum(o.detail.get("check") == REFUSED for o in self.report.outcomes))
        return [*lines, hint] if hint else lines

    def table(self) -> tuple[list[str], list[dict[str, Any]]]:
        return (["source", "status", "address", "municipality", "reason"],
                [{"source": o.source, "status": o.status, "reason": o.reason, **o.detail}
                 for o in self.report.outcomes])

    def text(self) -> str:
        columns, rows = self.table()
        return "\n".join(self.summary() + (["", render_table(rows, columns)] if rows else []))

    def to_dict(self) -> dict[str, Any]:
        data = self.report.to_dict()
        return {"marked_bounced": self.marked_bounced, "to_check": self.to_check, **data}


# --- reading ----------------------------------------------------------------------------------


#: Refusals by policy in one run from which the sender, not each recipient, is the likely fault.
REFUSALS_SAY_SENDER = 3


def refusals_hint(refusals: int) -> str | None:
    """What to tell when several servers refused our mail by policy in one run: each is a
    note for its municipality, but together they point at our own sending."""
    if refusals < REFUSALS_SAY_SENDER:
        return None
    return (f"{refusals} servers refused our mail by policy: when several do, the cause is "
            "more likely our sending than their addresses; have the sender's domain records "
            "(SPF, DKIM, DMARC) checked, or ask the mail provider whether it is blocked.")


@dataclass
class RawMessage:
    source: str
    data: bytes | None
    error: str = ""


def _is_maildir(path: Path) -> bool:
    return all((path / sub).is_dir() for sub in ("cur", "new", "tmp"))


def _looks_like_mbox(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(5) == b"From "


def read_messages(paths: Iterable[Path]) -> Iterator[RawMessage]:
    """Yield every message of the given ``.eml`` files, mbox files and maildirs (folders too)."""
    for path in paths:
        if not path.exists():
            yield RawMessage(str(path), None, "no such file or folder")
        elif path.is_dir() and _is_maildir(path):
            box = mailbox.Maildir(path, factory=None, create=False)
            for key in sorted(box.keys()):
                try:
                    yield RawMessage(f"{path}/{key}", box.get_bytes(key))
                except OSError as exc:
                    yield RawMessage(f"{path}/{key}", None, f"cannot read: {exc.strerror or exc}")
        elif path.is_dir():
            children = sorted(p for p in path.iterdir() if not p.name.startswith("."))
            yield from read_messages(p for p in children if p.is_dir() or p.is_file())
        else:
            try:
                if _looks_like_mbox(path):
                    mbox = mailbox.mbox(path, factory=None, create=False)
                    for number, key in enumerate(mbox.keys(), start=1):
                        yield RawMessage(f"{path}#{number}", mbox.get_bytes(key))
                    continue
                yield RawMessage(str(path), path.read_bytes())
            except OSError as exc:
                yield RawMessage(str(path), None, f"cannot read: {exc.strerror or exc}")


# --- classifying ------------------------------------------------------------------------------


def _text_parts(message: Message) -> Iterator[str]:
    for part in message.walk():
        if part.get_content_maintype() == "text" and part.get_content_type() != "text/html":
            try:
                payload = part.get_payload(decode=True)
            except Exception:  # noqa: BLE001 - a broken part is skipped, not fatal
                continue
            if isinstance(payload, bytes):
                charset = part.get_content_charset() or "utf-8"
                try:
                    yield payload.decode(charset, "replace")
                except LookupError:
                    yield payload.decode("utf-8", "replace")


def _returned_headers(message: Message) -> list[Message]:
    """Return the header blocks of the original message(s) a bounce carries."""
    found: list[Message] = []
    for part in message.walk():
        ctype = part.get_content_type()
        if ctype == "message/rfc822" and part.is_multipart():
            found.extend(p for p in part.get_payload() if isinstance(p, Message))
        elif ctype == "text/rfc822-headers":
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                found.append(BytesHeaderParser(policy=policy.compat32).parsebytes(payload))
    return found


def _delivery_status(message: Message) -> list[Failure]:
    """Read RFC 3464 ``message/delivery-status`` parts: one Failure per failed/delayed recipient."""
    failures: list[Failure] = []
    for part in message.walk():
        if part.get_content_type() != "message/delivery-status":
            continue
        blocks = part.get_payload()
        if isinstance(blocks, str):
            text = blocks.replace("\r\n", "\n")
            blocks = [email.message_from_string(chunk) for chunk in re.split(r"\n\s*\n", text)
                      if chunk.strip()]
        for block in blocks:
            if not isinstance(block, Message):
                continue
            recipient = block.get("Final-Recipient") or block.get("Original-Recipient")
            if not recipient:
                continue
            address = str(recipient).split(";", 1)[-1].strip().strip("<>")
            original = str(block.get("Original-Recipient") or "").split(";", 1)[-1]
            original = original.strip().strip("<>").lower()
            action = str(block.get("Action", "")).strip().lower()
            status = str(block.get("Status", "")).strip()
            match = _STATUS_CODE.search(status)
            code = ".".join(match.groups()) if match else ""
            diagnostic = " ".join(str(block.get("Diagnostic-Code", "")).split())
            diagnostic = diagnostic.split(";", 1)[-1].strip() if ";" in diagnostic else diagnostic
            told = _STATUS_CODE.search(diagnostic)
            if code in ("", "5.0.0", "4.0.0") and told:  # the generic Status, the server's own
                code = ".".join(told.groups())  # words say more
            if action.startswith(("deliver", "relay", "expand")):
                continue
            if (code.startswith("4") or action.startswith("delay") or code in _FULL_STATUS
                    or _FULL_TEXT.search(diagnostic)):
                kind = SOFT
            elif (_REFUSAL_STATUS.match(code) or (code in ("", "5.0.0")
                                                  and _POLICY_TEXT.search(diagnostic))) \
                    and not _NO_SUCH_USER.search(diagnostic):
                kind = REFUSED
            elif code.startswith("5") or action.startswith(("fail", "error")):
                kind = HARD
            else:
                continue
            failures.append(Failure(address.lower(), kind, code, action, diagnostic,
                                    original if original != address.lower() else ""))
    return failures


#: Characters of a non-text part above which flufl.bounce is not given its content.
_FLUFL_PART_LIMIT = 256 * 1024


def _flufl_failures(data: bytes, text: str) -> list[Failure]:
    """Ask flufl.bounce's detectors (many MTAs' non-standard formats) for failed addresses."""
    from flufl.bounce import all_failures

    # flufl.bounce expects the compat32 Message API, and str header values: from bytes, a raw
    # 8-bit header ("From: Postijärjestelmä <...>") comes back as a Header object, on which
    # one of its detectors raises, and that stops them all.
    from .mailparse import parse_text_message

    compat = parse_text_message(data)
    for part in compat.walk():
        # Its detectors read every line of every part with regular expressions: a reply
        # carrying a 30 MB attachment took 90 s here. A delivery report is text; the
        # attachments of a returned original (our questionnaire) hold no address to find.
        if (not part.is_multipart() and part.get_content_maintype() not in ("text", "message")
                and len(part.get_payload() or "") > _FLUFL_PART_LIMIT):
            part.set_payload("")
    try:
        temporary, permanent = all_failures(compat)
    except Exception:  # noqa: BLE001 - a detector choking on odd mail must not stop the batch
        return []
    full = bool(_FULL_TEXT.search(text))
    codes = [".".join(m.groups()) for m in _STATUS_CODE.finditer(text)]
    hard_codes = [c for c in codes if c.startswith("5")]
    refused = bool(hard_codes) and all(_REFUSAL_STATUS.match(c) for c in hard_codes) and \
        not _NO_SUCH_USER.search(text)
    kind, diagnostic = ((SOFT, "mailbox full") if full else
                        (REFUSED, f"refused ({hard_codes[0]})") if refused else
                        (HARD, "permanent failure"))
    failures = [Failure(a.decode("ascii", "replace").lower(), kind, diagnostic=diagnostic)
                for a in sorted(permanent)]
    failures += [Failure(a.decode("ascii", "replace").lower(), SOFT, diagnostic="delayed")
                 for a in sorted(temporary) if a not in permanent]
    return failures


def _has_attachment(message: Message) -> bool:
    """Whether a message carries a file other than a picture (a signature's logo)."""
    for part in message.walk():
        name = part.get_filename()
        if name and Path(str(name)).suffix.lower() not in _PICTURES:
            return True
    return False


def _own_words(text: str) -> str:
    """The text of a reply above its quoted history (our invitation's words are not theirs)."""
    cut = re.search(r"^(>|-----|_{5,}|From: |Lähettäjä: |Från: |Feladó)", text, re.M)
    return text[:cut.start()] if cut else text[:4000]


def _named(own: str, sender: str) -> list[str]:
    """The addresses a reply's own words give, other than the sender's (a new contact?)."""
    return list(dict.fromkeys(a.lower().rstrip(".") for a in _ADDRESS_IN_TEXT.findall(own)
                              if a.lower().rstrip(".") != sender))


def _asks_to_write_elsewhere(message: Message, text: str, sender: str) -> list[str]:
    """The addresses a person's short reply asks us to write to from now on ("lähettäkää
    kysely jatkossa osoitteeseen …"), or [] when it does not. A reply with a file, or a long
    one (answers typed in a message run longer), is never taken for one: ingest reads it."""
    own = _own_words(text)
    if len(own) >= 600 or _has_attachment(message) or not _SEND_ELSEWHERE_TEXT.search(own):
        return []
    return _named(own, sender)


def _receipt(message: Message) -> str:
    """Return what kind of receipt ``message`` is (a read receipt, RFC 8098; a delivery receipt,
    a delivery-status report whose every recipient was delivered or relayed), or ''."""
    statuses: list[str] = []
    for part in message.walk():
        ctype = part.get_content_type()
        if ctype == "message/disposition-notification":
            return "read receipt"
        if ctype != "message/delivery-status":
            continue
        text = part.as_string(maxheaderlen=0) if part.is_multipart() else str(part.get_payload())
        statuses += [a.strip().lower() for a in re.findall(r"^Action:[ \t]*(\S+)", text,
                                                            re.I | re.M)]
    if statuses and all(a.startswith(("deliver", "relay", "expand")) for a in statuses):
        return "delivery receipt"
    return ""


def _is_auto_reply(message: Message, text: str) -> str:
    """Return why ``message`` is an automatic reply, or '' when it is not one."""
    auto_submitted = str(message.get("Auto-Submitted", "")).strip().lower()
    if auto_submitted.startswith("auto-replied"):
        return "Auto-Submitted: auto-replied"
    for header in ("X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress"):
        if header in message and header != "X-Auto-Response-Suppress":
            return f"{header} header"
    precedence = str(message.get("Precedence", "")).strip().lower()
    if precedence in {"auto_reply", "auto-reply"}:
        return f"Precedence: {precedence}"
    subject = str(message.get("Subject", ""))
    if _AUTO_SUBJECT.search(subject):
        return "out-of-office subject"
    if auto_submitted.startswith("auto-") or precedence in {"bulk", "junk"}:
        if _AUTO_BODY.search(text):
            return f"automatic message ({auto_submitted or precedence}) saying out of office"
    if _AUTO_BODY.search(text[:2000]) and not _DAEMON_SENDER.search(str(message.get("From", ""))):
        return "out-of-office text"
    return ""


def classify_message(data: bytes, *, parsed: Message | None = None) -> Classification:
    """Classify one message: hard bounce, soft bounce, auto-reply or not a bounce.

    ``parsed`` is ``data`` already parsed (``mailparse.parse_message``): a caller that reads
    the message further hands it on, and a big message is parsed once, not once a reader."""
    from .mailparse import parse_message, viewed_as

    with viewed_as(parsed if parsed is not None else parse_message(data),
                   policy.compat32) as message:
        return _classify(data, message)


def _classify(data: bytes, message: Message) -> Classification:
    text = "\n".join(_text_parts(message))
    sender = getaddresses([str(message.get("From", ""))])
    sender_address = sender[0][1].lower() if sender else ""
    originals = _returned_headers(message)

    tokens: list[str] = []
    for header_block in (*originals, message):
        for value in header_block.get_all(TOKEN_HEADER) or []:
            tokens.append(str(value).strip())
    tokens += _TOKEN_IN_TEXT.findall(text)
    message_ids: list[str] = []
    for header in ("In-Reply-To", "References"):
        message_ids += _MESSAGE_ID.findall(str(message.get(header, "")))
    for original in originals:
        message_ids += _MESSAGE_ID.findall(str(original.get("Message-ID", "")))
    result = Classification(NOT_A_BOUNCE, tokens=list(dict.fromkeys(tokens)),
                            message_ids=list(dict.fromkeys(message_ids)), sender=sender_address)

    result.text_addresses = sorted({a.lower() for a in _ADDRESS_IN_TEXT.findall(
        f"{message.get('Subject', '')}\n{text}")})
    failures = _delivery_status(message)
    if not failures:
        receipt = _receipt(message)
        if receipt:  # "Delivered:" and "Read:" say our message arrived: nothing to act on
            result.kind, result.reason, result.receipt = AUTO_REPLY, receipt, True
            return result
    if failures:
        result.kind = HARD if any(f.kind == HARD for f in failures) else SOFT
        result.failures = failures
        result.attention = REFUSED if any(f.kind == REFUSED for f in failures) else ""
        result.reason = "delivery-status report: " + "; ".join(
            f"{f.address} {f.reason}".strip() for f in failures)
        return result

    from_daemon = bool(_DAEMON_SENDER.search(str(message.get("From", ""))))
    subject = str(message.get("Subject", ""))
    looks_like_bounce = from_daemon or bool(_BOUNCE_SUBJECT.search(subject))
    # An automatic message that hands our own message back (a relay's report in words no
    # rule here knows) is no out-of-office, whatever its Auto-Submitted header says.
    returns_ours = not looks_like_bounce and any(TOKEN_HEADER in o for o in originals) and \
        str(message.get("Auto-Submitted", "no")).strip().lower() != "no"
    looks_like_bounce = looks_like_bounce or returns_ours
    if not looks_like_bounce:
        if _CHALLENGE_TEXT.search(f"{subject}\n{text[:4000]}"):
            result.kind, result.attention = AUTO_REPLY, CHALLENGE
            result.reason = "a challenge-response filter holds our message until confirmed"
            return result
        why = _is_auto_reply(message, text)
        if why in ("out-of-office subject", "out-of-office text") and _has_attachment(message):
            # no automatic-reply header: a person wrote it ("here is our answer; I am on
            # holiday from Monday") and attached something: it is read, not dropped
            why = ""
        if why:
            result.kind, result.reason = AUTO_REPLY, why
            own = _own_words(text)
            if _LEFT_TEXT.search(own):
                result.attention = LEFT
                result.reason = f"{why}, saying the person has left"
            elif _MOVED_TEXT.search(own):
                result.attention = MOVED
                result.reason = f"{why}, saying the address has changed"
            result.named = _named(own, sender_address) if result.attention else []
            return result
        result.named = _asks_to_write_elsewhere(message, text, sender_address)
        if result.named:
            result.kind, result.attention = AUTO_REPLY, ELSEWHERE
            result.reason = "a reply asking us to write to another address"
            return result
    failures = _flufl_failures(data, text)
    if failures:
        result.kind = HARD if any(f.kind == HARD for f in failures) else SOFT
        result.failures = failures
        result.attention = REFUSED if any(f.kind == REFUSED for f in failures) else ""
        result.reason = "bounce (flufl.bounce): " + ", ".join(
            f"{f.address} {f.diagnostic}" for f in failures)
        return result
    if looks_like_bounce:
        codes = [".".join(m.groups()) for m in _STATUS_CODE.finditer(text)]
        if _FULL_TEXT.search(text) or _DELAY_SUBJECT.search(subject) or (
                codes and codes[0].startswith("4")):
            result.kind, result.reason = SOFT, "delivery report: delayed or mailbox full"
        elif returns_ours and not (codes and codes[0].startswith("5")):
            result.reason = ("an automatic message handing back our own, without a delivery "
                             "status")
            result.report = True
        elif result.tokens or result.message_ids:
            result.kind = HARD
            result.reason = "delivery failure without a readable address" + (
                f" ({codes[0]})" if codes else "")
        else:
            result.reason = "a delivery report naming none of our messages"
            result.report = True
        return result
    result.reason = "an ordinary message"
    return result


# --- acting on them -------------------------------------------------------------------------------


def message_key(data: bytes) -> str:
    """Return the key a message is stored under: its Message-ID, else the SHA-256 of its bytes."""
    headers = parse_headers(data)
    found = _MESSAGE_ID.search(str(headers.get("Message-ID", "")))
    return found.group(0) if found else "sha256:" + hashlib.sha256(data).hexdigest()


def _message_time(data: bytes) -> dt.datetime | None:
    headers = parse_headers(data)
    try:
        moment = parsedate_to_datetime(str(headers.get("Date", "")))
    except (TypeError, ValueError, IndexError):
        return None
    if moment is None:
        return None
    return moment.astimezone(dt.UTC) if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


#: How a message was matched when it names a municipality's message but not which address.
MUNICIPALITY_ONLY = "token (municipality only)"


def _match(session: Session, found: Classification, address: str | None,
           round_name: str) -> tuple[Any | None, str]:
    """Return (outbox row, how it was matched) for a failed address (None: the whole message)."""
    from sqlmodel import col, desc, select

    from .db.models import OutboundMessage

    def pick(rows: list[Any]) -> Any | None:
        if address:
            same = [r for r in rows if r.address.casefold() == address.casefold()]
            if same:
                return same[0]
            return None
        if len({r.address.casefold() for r in rows}) > 1:
            # A token names the municipality, not which of its addresses: the report's words
            # may name one of them.
            rows = [r for r in rows if r.address.casefold() in found.text_addresses]
        return rows[0] if len({r.address.casefold() for r in rows}) == 1 else None

    order: Any = desc(col(OutboundMessage.id))  # type: ignore[arg-type]
    ambiguous: Any | None = None
    for token in found.tokens:
        rows = list(session.exec(select(OutboundMessage).where(
            col(OutboundMessage.token) == token).order_by(order)))
        row = pick(rows)
        if row is not None:
            return row, "token"
        if rows and address is None:
            ambiguous = rows[0]  # the municipality is known; which address is not, yet
    for message_id in found.message_ids:
        rows = list(session.exec(select(OutboundMessage).where(
            col(OutboundMessage.message_id) == message_id).order_by(order)))
        if rows:
            row = pick(rows)
            if row is not None:
                return row, "message-id"
            if address is None:
                ambiguous = ambiguous or rows[0]
    if address:
        rows = list(session.exec(select(OutboundMessage).where(
            col(OutboundMessage.round_name) == round_name,
            col(OutboundMessage.address) == address).order_by(order)))
        if not rows:
            rows = [r for r in session.exec(select(OutboundMessage).where(
                col(OutboundMessage.round_name) == round_name).order_by(order))
                if r.address.casefold() == address.casefold()]
        if rows:
            return rows[0], "address"
    if ambiguous is not None:
        return ambiguous, MUNICIPALITY_ONLY
    if address is None and found.text_addresses:
        rows = list(session.exec(select(OutboundMessage).where(
            col(OutboundMessage.round_name) == round_name,
            col(OutboundMessage.address).in_(found.text_addresses)).order_by(order)))
        if rows and len({r.address.casefold() for r in rows}) == 1:
            return rows[0], "address in the text"
    return None, ""


def mark_contacts(session: Session, address: str, reason: str, when: dt.datetime) -> int:
    """Mark every contact of ``address`` bounced for ``reason``; return how many.

    A hard bounce and a refusal at RCPT TO (``mailer``) alike: the address is dead for every
    municipality whose contact it is (a joint office's), not only for the one whose message
    came back."""
    from sqlalchemy import func
    from sqlmodel import select

    from .db.models import Contact, utcnow

    marked = 0
    for contact in session.exec(select(Contact).where(func.lower(Contact.email) == address.lower())):
        if contact.status == "bounced":
            continue
        if contact.status == "erased":
            continue
        contact.status = "bounced"
        contact.bounced_at = when
        contact.bounce_reason = reason[:500]
        contact.updated_at = utcnow()
        marked += 1
    return marked


def _conclude(session: Session, kind: str, target: str | None, code: str | None, how: str, *,
              reason: str, unmatched: bool, when: Any, result: BounceResult,
              original: str = "") -> str:
    """Act on one failed recipient (a hard bounce marks its contacts) and say what was done."""
    if kind == HARD and target and unmatched and code and how != "contact":
        if original:
            return (f"{target}: not an address we sent to; our message to {original} "
                    f"(municipality {code}) was sent on to it and failed there: nothing marked; "
                    f"see whether {original} still takes mail")
        return (f"{target}: not an address we sent to (a forward at municipality {code} "
                "failed?): nothing marked")
    if kind == HARD and target:
        count = mark_contacts(session, target, reason or "hard bounce", when)
        result.marked_bounced += count
        if count > 1:
            return f"{target} marked bounced (the contact of {count} municipalities)"
        if count:
            return f"{target} marked bounced"
        if code is None:
            return f"{target}: no such contact, nothing marked"
        return f"{target} was already marked bounced"
    if kind == HARD and code:
        return (f"hard bounce for municipality {code}, but it does not say which of its "
                "addresses: nothing marked; read it in the mailbox")
    if kind == HARD:
        return "hard bounce, but no address or sent message to match"
    if kind == REFUSED and target:
        return (f"{target}: the receiving server refused our message ({reason}); the address "
                "may well work, so nothing is marked: ask the municipality to let our mail "
                "through, or reach it another way")
    if kind == SOFT and target:
        return f"{target}: soft bounce kept; the address stays in use"
    return ""


def _auto_reply_conclusion(found: Classification, who: str) -> str:
    if found.receipt:
        return f"{found.reason}: nothing changes"
    named = NAMES_TEXT.format(", ".join(found.named)) if found.named else ""
    if found.attention == LEFT:
        return (f"{who}: the auto-reply says the person has left; nothing is marked: find the "
                f"municipality's new contact{named}")
    if found.attention == MOVED:
        return (f"{who}: the auto-reply says the address has changed; nothing is marked: "
                f"update the contact{named}")
    if found.attention == ELSEWHERE:
        return (f"{who}: the reply asks us to write to another address; nothing is marked: "
                f"update the contact{named}")
    if found.attention == CHALLENGE:
        return (f"{who}: a challenge-response filter holds our message until someone confirms "
                "it; read it in the mailbox")
    return "auto-reply: nothing changes"


def _apply_message(session: Session, found: Any, *, round_name: str, when: Any,
                   result: BounceResult) -> tuple[Any | None, list[str], list[str], list[str], list[str]]:
    """Match one classified message to what was sent, mark hard-bounced contacts, and say what
    changed: (first matched outbox row, conclusions, addresses, municipalities, matched by)."""
    from sqlalchemy import func
    from sqlmodel import select

    from .db.models import Contact

    targets: list[tuple[Failure | None, str | None]] = (
        [(f, f.address) for f in found.failures] if found.failures else [(None, None)])
    if found.kind == AUTO_REPLY:
        targets = [(None, found.sender or None)]
    first_row: Any | None = None
    conclusions: list[str] = []
    addresses: list[str] = []
    municipalities: list[str] = []
    matched_by: list[str] = []
    for failure, address in targets:
        row, how = _match(session, found, address, round_name) if (
            found.kind != NOT_A_BOUNCE) else (None, "")
        if found.kind == AUTO_REPLY and row is None and (found.tokens or found.message_ids):
            row, how = _match(session, found, None, round_name)
        if found.attention == CHALLENGE and row is None:
            row, how = _match(session, found, None, round_name)
        if found.attention == CHALLENGE and row is not None and how != MUNICIPALITY_ONLY:
            address = row.address  # the filter writes for our contact, from its own address
        if found.attention == ELSEWHERE and row is not None and how != MUNICIPALITY_ONLY \
                and address and row.address.casefold() != address.casefold() and \
                session.exec(select(Contact).where(func.lower(Contact.email) == address.lower())
                             ).first() is None:
            address = row.address  # a colleague answered for our contact: the note is on it
        target = address or (row.address if row is not None and how != MUNICIPALITY_ONLY
                             else None)
        code = row.municipality_code if row is not None else None
        if code is None and target and found.kind in (HARD, SOFT):
            contact = session.exec(select(Contact).where(Contact.email == target)).first()
            code = contact.municipality_code if contact is not None else None
            how = how or ("contact" if contact is not None else "")
        if code is None and address and found.kind in (HARD, SOFT):
            # neither sent to nor a contact: the report may still carry the municipality's
            # message (a forward there failed); it names the municipality, never our contact
            other, other_how = _match(session, found, None, round_name)
            if other is not None:
                code, how = other.municipality_code, other_how.split(" ")[0]
        if first_row is None and row is not None:
            first_row = row
        if target:
            addresses.append(target)
        if code:
            municipalities.append(code)
        if how:
            matched_by.append(how)
        kind = failure.kind if failure else found.kind
        said = _conclude(session, kind, target, code, how, reason=(
            failure.reason if failure else found.reason), unmatched=row is None, when=when,
            result=result, original=failure.original if failure else "")
        if said:
            conclusions.append(said)
    if found.kind == AUTO_REPLY:
        conclusions = [_auto_reply_conclusion(found, addresses[0] if addresses else "the sender")]
    elif found.kind == NOT_A_BOUNCE:
        conclusions = ["not a bounce: nothing changes"]
    elif found.kind == SOFT and not conclusions:
        conclusions = ["soft bounce kept; nothing changes"]
    return first_row, conclusions, addresses, municipalities, matched_by


def process_bounces(paths: Iterable[Path], *, session: Session, round_name: str) -> BounceResult:
    """Read, classify and record every message under ``paths``; hard bounces mark contacts."""
    from sqlmodel import select

    from .db.models import Bounce, utcnow

    result = BounceResult()
    seen: set[str] = set()
    for raw in read_messages(paths):
        if raw.data is None:
            result.report.add(raw.source, "error", raw.error)
            continue
        key = message_key(raw.data)
        earlier = session.exec(select(Bounce).where(Bounce.message_key == key)).first()
        if earlier is not None or key in seen:
            status = _STATUS_OF.get(earlier.classification, earlier.classification) \
                if earlier else ""
            result.report.add(raw.source, "already-read",
                              f"read before{f' as {status}' if status else ''}; nothing changed",
                              address=earlier.address if earlier else None)
            continue
        seen.add(key)
        try:
            found = classify_message(raw.data)
        except Exception as exc:  # noqa: BLE001 - one unparsable message is an outcome
            result.report.add(raw.source, "error", f"cannot read the message: {exc}")
            continue

        when = _message_time(raw.data) or utcnow()
        first_row, conclusions, addresses, municipalities, matched_by = _apply_message(
            session, found, round_name=round_name, when=when, result=result)

        stored = CHECK_PREFIX + found.attention if found.attention else \
            _CLASSIFICATION[found.kind]
        refused = [f.address for f in found.failures if f.kind == REFUSED]
        session.add(Bounce(
            message_key=key, classification=stored,
            address=(refused[0] if found.attention == REFUSED and refused else
                     addresses[0] if addresses else None),
            outbound_id=first_row.id if first_row is not None else None,
            detail=f"{found.reason} -> {'; '.join(conclusions)}"[:2000],
            source=raw.source))
        session.commit()
        result.report.add(raw.source, found.kind, "; ".join(conclusions),
                          address=", ".join(dict.fromkeys(addresses)) or None,
                          municipality=", ".join(dict.fromkeys(municipalities)) or None,
                          matched_by=", ".join(dict.fromkeys(matched_by)) or None,
                          why=found.reason, check=found.attention or None)
    return result

