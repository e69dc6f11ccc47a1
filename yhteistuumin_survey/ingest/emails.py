"""Saved emails: ``.eml`` (the standard library) and Outlook ``.msg`` (extract-msg).

A message gives its sender's address, its time, its attachments (ingested like any file, under
a sanitised name that cannot leave the archive folder) and its body, read as a person reads it:
an HTML body becomes text with the standard library's HTML parser (block elements end lines;
head, title, style and script are dropped; entities decoded), and the quoted history below a
reply is cut (:func:`reply_text`). An answer typed into the body with the questionnaire's
labels becomes a practice (:func:`body_answers`); any other text is kept for a reviewer.

``html.parser`` rather than a library: it is a real tokenizer (tags, attributes, comments,
character references, broken markup) in the standard library; all this module needs on top
is which elements end a line, a few lines of code, so no dependency is worth adding.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from email.message import EmailMessage, MIMEPart
from email.utils import parseaddr, parsedate_to_datetime
from pathlib import Path
from typing import Any

from ..errors import InputError
from .mapping import HeadingMapper

MAX_NAME = 120


@dataclass
class Attachment:
    """One attachment: its sanitised file name and its bytes (``sent_as``: see
    :func:`sent_as`)."""

    name: str
    data: bytes
    sent_as: str = ""


@dataclass
class ParsedEmail:
    """What a saved message holds."""

    sender: str | None
    time: dt.datetime | None
    subject: str
    body: str
    attachments: list[Attachment] = field(default_factory=list)
    auto_reply: str = ""  # why the message is an automatic reply (out of office), or ""

    @property
    def forwarded(self) -> tuple[bool, str | None, str]:
        """Whether the message forwards another, that one's sender, and the forwarder's own
        text above it (:func:`forwarded_sender`)."""
        return forwarded_sender(self.body, self.subject)

    @property
    def text(self) -> str:
        """What the sender wrote: the body without the quoted history (see :func:`reply_text`)."""
        return reply_text(self.body, self.subject)


def safe_name(name: str | None, fallback: str) -> str:
    """Return a file name that is only a name: no folders, no ``..``, no control characters."""
    text = unicodedata.normalize("NFC", str(name or ""))
    text = text.replace("\\", "/").split("/")[-1]
    text = "".join(ch for ch in text if ch.isprintable())
    text = re.sub(r"[^\w .,()+\-]", "_", text).strip(" .")
    text = re.sub(r"\s+", " ", text)
    if not text or set(text) <= {".", "_"}:
        text = fallback
    if len(text) > MAX_NAME:
        stem, dot, suffix = text.rpartition(".")
        text = (stem[:MAX_NAME - len(suffix) - 1] + "." + suffix) if dot and len(suffix) <= 10 \
            else text[:MAX_NAME]
    return text


def sent_as(name: str | None) -> str:
    """`` (sent as '../../etc/x.xlsx')``: the name a file came with, shown when it reached
    out of its folder (``..``, an absolute or a Windows path) or held control characters
    (the stored name is only its last part, cleaned), so the report still says what was
    sent; empty for any other name. Control characters are shown as escapes: one line."""
    text = str(name or "")
    if not (text.startswith("/") or "\\" in text or ".." in text.split("/")
            or re.match(r"[A-Za-z]:", text) or any(not ch.isprintable() for ch in text)):
        return ""
    shown = "".join(ch if ch.isprintable() else f"\\x{ord(ch):02x}" if ord(ch) < 256
                    else f"\\u{ord(ch):04x}" for ch in text)
    if len(shown) > 2 * MAX_NAME:
        shown = shown[:2 * MAX_NAME] + "…"
    return f" (sent as '{shown}')"


def _address(value: Any) -> str | None:
    if not value:
        return None
    address = parseaddr(str(value))[1].strip().lower()
    return address if "@" in address else None


#: Elements that start and end a line of text (what a mail client shows on its own line).
BLOCK_TAGS = frozenset({
    "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "fieldset",
    "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr",
    "li", "main", "nav", "ol", "p", "pre", "section", "table", "tbody", "thead", "tfoot", "tr",
    "ul",
})
#: Elements whose content is not part of the message text.
SKIPPED_TAGS = frozenset({"head", "title", "style", "script", "template", "noscript"})
_PARAGRAPH_TAGS = frozenset({"p", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol",
                             "blockquote", "pre", "hr"})
_VOID_TAGS = frozenset({"br", "hr", "img", "meta", "link", "input", "wbr", "col", "area", "base"})


class _TextParser:
    """Collect the text of an HTML document line by line (a ``html.parser`` subclass inside)."""

    def __init__(self) -> None:
        from html.parser import HTMLParser

        outer = self

        class Parser(HTMLParser):
            def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
                outer.start(tag, dict(attrs))

            def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
                outer.start(tag, dict(attrs))
                if tag not in _VOID_TAGS:
                    outer.end(tag)

            def handle_endtag(self, tag: str) -> None:
                outer.end(tag)

            def handle_data(self, data: str) -> None:
                outer.data(data)

        self.parser = Parser(convert_charrefs=True)
        self.lines: list[str] = []
        self.current: list[str] = []
        self.skipping: list[str] = []  # open elements whose content is dropped
        self.quote_depth = 0  # inside <blockquote>: the quoted history of a reply
        self.pre = 0

    def feed(self, markup: str) -> str:
        self.parser.feed(markup)
        self.parser.close()
        self.newline()
        text = "\n".join(self.lines)
        return re.sub(r"\n{3,}", "\n\n", text).strip("\n")

    def newline(self, *, blank: bool = False) -> None:
        """End the current line; ``blank`` adds an empty line after it (a paragraph's end)."""
        line = _row_line("".join(self.current))
        if not self.pre:
            line = re.sub(r"[ \t\r\f\v\u00a0]+", " ", line).strip()
        if line or (self.pre and self.current):
            self.lines.append("> " * self.quote_depth + line)
        if blank and self.lines and self.lines[-1]:
            self.lines.append("")
        self.current = []

    def start(self, tag: str, attrs: dict[str, str | None]) -> None:
        if tag in SKIPPED_TAGS:
            self.skipping.append(tag)
            return
        if tag in BLOCK_TAGS:
            self.newline()
        if tag == "blockquote":
            self.quote_depth += 1
        elif tag == "pre":
            self.pre += 1
        elif tag in ("td", "th"):
            self.current.append(_CELL)  # cells of a row stay on one line (see ``newline``)
        elif tag == "img" and attrs.get("alt"):
            self.current.append(str(attrs["alt"]))

    def end(self, tag: str) -> None:
        if tag in SKIPPED_TAGS:
            if tag in self.skipping:
                del self.skipping[len(self.skipping) - 1 - self.skipping[::-1].index(tag):]
            return
        if tag in BLOCK_TAGS:
            self.newline(blank=tag in _PARAGRAPH_TAGS)
        if tag == "blockquote" and self.quote_depth:
            self.quote_depth -= 1
        elif tag == "pre" and self.pre:
            self.pre -= 1

    def data(self, data: str) -> None:
        if self.skipping:
            return
        if self.pre:
            for number, part in enumerate(data.split("\n")):
                if number:
                    self.newline()
                self.current.append(part)
        else:
            self.current.append(data.replace("\n", " "))


#: Where a table cell starts on a line being collected (``_row_line`` replaces it).
_CELL = "\x1f"


def _row_line(line: str) -> str:
    """A table row's line: a row of two cells whose first is a label without its colon
    ("Käytännön nimi" | "Lukupiiri", as a reply answers in a table) reads "label: answer";
    other cells are joined by a space."""
    if _CELL not in line:
        return line
    cells = [cell.strip() for cell in line.split(_CELL)]
    before, cells = cells[0], [cell for cell in cells[1:] if cell]
    if len(cells) == 2 and not before and not cells[0].endswith((":", "=")):
        return f"{cells[0]}: {cells[1]}"
    return " ".join(part for part in (before, *cells) if part)


def html_to_text(markup: str) -> str:
    """Return the text of an HTML body as a mail client shows it.

    Block elements (p, div, br, li, tr, h1-h6, table …) end a line, the cells of a table row
    stay on one line, ``head``, ``title``, ``style`` and ``script`` are dropped, entities are
    decoded and runs of white space become one space. A ``blockquote`` (how mail clients quote
    the message replied to) becomes ``>`` lines.
    """
    return _TextParser().feed(markup)


# --- the quoted history below a reply --------------------------------------------------------

_ORIGINAL = re.compile(
    r"^\s*-*\s*(original message|alkuperäinen viesti|ursprungligt meddelande|"
    r"ursprungligt e-?postmeddelande)\s*-*\s*$", re.IGNORECASE)
_FORWARDED = re.compile(
    r"^\s*-*\s*(forwarded message|välitetty viesti|edelleenlähetetty viesti|"
    r"vidarebefordrat meddelande|begin forwarded message:?)\s*-*\s*$", re.IGNORECASE)
_HEADER_FROM = re.compile(r"^\s*\*?(from|lähettäjä|från|von|de)\s*:\*?\s*\S", re.IGNORECASE)
_HEADER_NEXT = re.compile(
    r"^\s*\*?(sent|date|lähetetty|päivämäärä|päiväys|skickat|datum|to|vastaanottaja|till|"
    r"subject|aihe|ämne|cc|kopio|kopia)\s*:", re.IGNORECASE)
_WROTE = re.compile(r"(\bwrote|\bkirjoitti|\bskrev)\s*:\s*$", re.IGNORECASE)
_WROTE_START = re.compile(r"^\s*(on|den|\S{2,3} \d{1,2}\.\d{1,2}\.\d{2,4}|\d{1,2}\.\d{1,2}\.\d{2,4})\b",
                          re.IGNORECASE)
_SKREV = re.compile(r"^\s*den\b.{0,200}\bskrev\b.{0,200}:\s*$", re.IGNORECASE)
_FORWARD_SUBJECT = re.compile(r"^\s*(fw|fwd|vl|vb|wg|tr|vs: ?vl)\s*:", re.IGNORECASE)


def _header_block(lines: list[str], index: int) -> int:
    """Return how many lines of an Outlook header block start at ``index`` (0 if none).

    ``Lähettäjä:/Från:/From:`` followed within three lines by ``Lähetetty:/Skickat:/Sent:`` (or
    another header): how Outlook introduces the message replied to or forwarded.
    """
    if not _HEADER_FROM.match(lines[index]):
        return 0
    end = index + 1
    while end < len(lines) and end <= index + 6 and (
            _HEADER_NEXT.match(lines[end]) or not lines[end].strip() and end == index + 1):
        end += 1
    return end - index if end - index >= 2 and any(
        _HEADER_NEXT.match(line) for line in lines[index + 1:end]) else 0


def reply_text(body: str, subject: str = "") -> str:
    """Return what the sender wrote: the body cut where the quoted history begins.

    The history begins at a ``>`` line, at "-----Original Message-----" (Alkuperäinen viesti,
    Ursprungligt meddelande), at "On … wrote:" (… kirjoitti:, Den … skrev:) and at an Outlook
    header block (Lähettäjä:/Från:/From: followed by Lähetetty:/Skickat:/Sent:). In a forward
    (a "Forwarded message" line, or a subject FW:/Fwd:/VL:/VB:) the forwarded message is what
    was sent: its header lines are dropped and its text kept, up to its own quoted history.
    """
    lines = body.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    forward = bool(_FORWARD_SUBJECT.match(subject or ""))
    kept: list[str] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        if line.lstrip().startswith(">"):
            if not _quoted_in_paragraph(lines, index):
                break
            kept.append(line)  # "> 100 joka vuosi" inside a paragraph: what the sender wrote
            index += 1
            continue
        if _FORWARDED.match(line):
            forward = True
            index += 1
            block = _header_block(lines, index) if index < len(lines) else 0
            index += block
            forward = False  # the forwarded message's own history is cut
            continue
        if _ORIGINAL.match(line):
            break
        block = _header_block(lines, index)
        if block:
            if not forward:
                break
            forward = False
            index += block
            continue
        if _WROTE.search(line) and _WROTE_START.match(line) or _SKREV.match(line):
            break
        if index + 1 < len(lines) and _WROTE_START.match(line) and _WROTE.search(lines[index + 1]) \
                and len(line) + len(lines[index + 1]) < 300:
            break  # "On Mon, 4 Mar 2024 at 10:00, Anna <anna@" / "example.fi> wrote:"
        kept.append(line)
        index += 1
    return "\n".join(kept).strip()


def _quoted_in_paragraph(lines: list[str], index: int) -> bool:
    """Whether the ``>`` line at ``index`` is the sender's own text, not the quoted history:
    the line above it is text of the paragraph (not blank, no "… wrote:") and the line right
    after its run of ``>`` lines is unquoted text. A quoted history starts after a blank line
    or an attribution and runs to its end or to a blank line ("Kokemuksia: osallistujia" /
    "> 100 joka vuosi" / "Hyödyt: …" is one answer and the next, never the history)."""
    above = lines[index - 1] if index else ""
    if not above.strip() or _WROTE.search(above) or _ORIGINAL.match(above):
        return False
    end = index
    while end < len(lines) and lines[end].lstrip().startswith(">"):
        end += 1
    return end < len(lines) and bool(lines[end].strip())


_ADDRESS_IN_TEXT = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")


def forwarded_sender(body: str, subject: str = "") -> tuple[bool, str | None, str]:
    """Return whether the message forwards another one, that message's sender's address, and
    the text the forwarder wrote above it.

    A forward is told as :func:`reply_text` tells it: a "Forwarded message" line (Välitetty
    viesti, Vidarebefordrat meddelande), or a subject FW:/Fwd:/VL:/VB: with an Outlook header
    block. The address is the one on the block's From:/Lähettäjä:/Från: line, None when that
    line gives only a name (Outlook within one organisation) or there is no block.
    """
    lines = body.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    forward = bool(_FORWARD_SUBJECT.match(subject or ""))
    for index, line in enumerate(lines):
        if line.lstrip().startswith(">") or _ORIGINAL.match(line):
            break
        own = "\n".join(lines[:index])
        if _FORWARDED.match(line):
            start = index + 1
            while start < len(lines) and not lines[start].strip():
                start += 1
            return True, _block_sender(lines, start), own
        if _header_block(lines, index):
            return (True, _block_sender(lines, index), own) if forward else (False, None, "")
    return forward, None, body


def _block_sender(lines: list[str], index: int) -> str | None:
    if index >= len(lines) or not _HEADER_FROM.match(lines[index]):
        return None
    found = _ADDRESS_IN_TEXT.search(lines[index].split(":", 1)[1])
    return found.group(0).lower() if found else None


def auto_reply(headers: Any, subject: str) -> str:
    """Why a message is an automatic reply ("Olen lomalla …"), or "" when it is not one.

    Told by its headers (``Auto-Submitted: auto-replied``, ``X-Autoreply``, ``X-Autorespond``,
    ``Precedence: auto_reply``) or an out-of-office subject (the rule ``bounces`` uses), never
    by words in its text: "olen tavoitettavissa …" in a signature is no auto-reply.
    """
    from ..bounces import _AUTO_SUBJECT

    if headers is not None:
        submitted = str(headers.get("Auto-Submitted", "") or "").strip().lower()
        if submitted.startswith("auto-replied"):
            return "Auto-Submitted: auto-replied"
        for name in ("X-Autoreply", "X-Autorespond"):
            if headers.get(name) is not None:
                return f"{name} header"
        precedence = str(headers.get("Precedence", "") or "").strip().lower()
        if precedence in {"auto_reply", "auto-reply"}:
            return f"Precedence: {precedence}"
    return "out-of-office subject" if _AUTO_SUBJECT.search(subject or "") else ""


def read_eml(path: Path, *, parsed: EmailMessage | None = None) -> ParsedEmail:
    """Read a saved ``.eml`` message (``parsed``: its bytes already parsed by
    ``mailparse.parse_message``, handed on by a reader before, so it is parsed once)."""
    from ..mailparse import parse_message

    try:
        message = parsed if parsed is not None else parse_message(path.read_bytes())
    except Exception as exc:  # noqa: BLE001 - the parser raises many kinds on broken input
        raise InputError(f"{path}: not a readable email message ({type(exc).__name__})") from None
    if not message.keys():
        raise InputError(f"{path}: not an email message (no headers); save the message as .eml")
    when = None
    try:
        when = parsedate_to_datetime(str(message["date"])) if message["date"] else None
    except (TypeError, ValueError):
        when = None
    if message.get_content_type() in _SMIME_OPAQUE:
        raise InputError(f"{path}: a message signed or encrypted with S/MIME (smime.p7m): its "
                         "text and attachments are inside and cannot be read here; kept under "
                         "outputs/received. Ask the sender to send the questionnaire again "
                         "without signing or encrypting the message")
    headers = message
    # A signed message (multipart/signed): the message is its first part, the second its
    # signature; the headers (sender, date, subject) are the outer message's.
    while message.get_content_type() == "multipart/signed" and message.is_multipart():
        content = message.get_payload(0)
        if not isinstance(content, EmailMessage):
            break
        message = content
    part = message.get_body(preferencelist=("plain", "html"))
    body = _part_text(part) if part is not None else ""
    attachments: list[Attachment] = []
    # A message that is one file and nothing else (its only part an attachment, no text):
    # the file is the message's attachment, not lost as "no attachment and no text".
    items = [message] if part is None and not message.is_multipart() \
        and message.get_content_maintype() not in ("text", "multipart") else \
        [*message.iter_attachments(), *_files_in_alternatives(message)]
    for number, item in enumerate(items, start=1):
        if item is not part and _text_continued(item):
            # Apple Mail's text, file, text: the text after a file put in the middle of the
            # message is the message's too (an answer, a signature), not a nameless file.
            body = f"{body.rstrip()}\n\n{_part_text(item).strip()}\n" if body.strip() \
                else _part_text(item)
            continue
        if item.get_content_type() == "message/rfc822":
            inner = item.get_content()
            data = inner.as_bytes() if hasattr(inner, "as_bytes") else bytes(inner)
            raw = item.get_filename()
            name = safe_name(raw, f"attachment-{number}.eml")
        elif item.get_content_type() in _SMIME_SIGNATURES:
            continue  # a signature of the message, not something the sender attached
        else:
            payload = _decoded(item)
            if not isinstance(payload, bytes | bytearray):
                continue
            data = bytes(payload)
            raw = _attachment_name(item)
            name = safe_name(raw, f"attachment-{number}")
        attachments.append(Attachment(name, data, sent_as(raw)))
    subject = str(headers["subject"] or "")
    return ParsedEmail(_address(headers["from"]), when, subject, body, attachments,
                       auto_reply=auto_reply(headers, subject))


#: A contact card's file names: Thunderbird's "attach my vCard", Outlook's business card.
_CARD_SUFFIXES = (".vcf", ".vcard")
#: Pictures a mail program attaches for the signature's logo (image001.png) or a photo.
_PICTURE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff", ".heic")


def is_contact_card(name: str, head: bytes) -> bool:
    """Whether a file is a contact card (vCard), by its name or its first bytes."""
    return name.lower().endswith(_CARD_SUFFIXES) or \
        head.lstrip(b"\xef\xbb\xbf \t\r\n")[:11].upper() == b"BEGIN:VCARD"


def is_picture(name: str) -> bool:
    """Whether a file is a picture, by its name."""
    return name.lower().endswith(_PICTURE_SUFFIXES)


def no_answer_attachment(attachment: Attachment) -> bool:
    """Whether an attachment cannot be the answer a message's text points to: a contact card,
    a picture (a signature's logo; a photo of a filled questionnaire is read by a person
    anyway, the text with it)."""
    return is_contact_card(attachment.name, attachment.data[:64]) or is_picture(attachment.name)


def _part_text(part: MIMEPart) -> str:
    """The text of a text part (an HTML one as its lines)."""
    try:
        content = part.get_content()
    except (LookupError, ValueError):
        content = part.get_payload(decode=True) or b""
        content = content.decode("utf-8", errors="replace") if isinstance(content, bytes) \
            else str(content)
    return html_to_text(content) if part.get_content_subtype() == "html" else str(content)


def _files_in_alternatives(part: EmailMessage) -> list[EmailMessage]:
    """The files inside the richer version of a message's text, which ``iter_attachments``
    never looks into: Apple Mail writes a message with a file in its text as
    alternative(plain, mixed(html, file, html)). The texts there are the plain version's."""
    if part.get_content_type() == "message/rfc822" or not part.is_multipart():
        return []
    found: list[EmailMessage] = []
    for sub in part.iter_parts():
        if not isinstance(sub, EmailMessage):
            continue
        if part.get_content_type() == "multipart/alternative" and \
                sub.get_content_type() == "multipart/mixed":
            found.extend(item for item in sub.iter_attachments() if not _text_continued(item))
        found.extend(_files_in_alternatives(sub))
    return found


def _text_continued(item: MIMEPart) -> bool:
    """Whether a part beside the message's text goes on with it: plain or HTML text with no
    file name, not sent as an attachment (Apple Mail's text after a file in the middle)."""
    return item.get_content_type() in ("text/plain", "text/html") and not item.get_filename() \
        and item.get_content_disposition() != "attachment"


def _decoded(item: EmailMessage) -> Any:
    """An attachment's bytes: base64 decoded in one pass (the email package splits its text
    into a list of lines first, some 100 MB more for a 30 MB file), the rest as it decodes."""
    import binascii

    payload = item.get_payload()
    if isinstance(payload, str) and item.get("content-transfer-encoding", "").strip().lower() \
            == "base64":
        try:
            return binascii.a2b_base64(payload.encode("ascii", "surrogateescape"))
        except (binascii.Error, ValueError):
            pass  # broken padding and the like: the email package's lenient decoding
    return item.get_payload(decode=True)


#: S/MIME: a message whose content is inside a signature or encryption (opaque), and the
#: detached signature part of a multipart/signed message.
_SMIME_OPAQUE = frozenset({"application/pkcs7-mime", "application/x-pkcs7-mime"})
_SMIME_SIGNATURES = frozenset({"application/pkcs7-signature", "application/x-pkcs7-signature"})


def _attachment_name(item: EmailMessage) -> str | None:
    """An attachment's name; one whose header holds raw 8-bit bytes (no RFC 2231 or 2047
    encoding: "Hyvät käytännöt.xlsx" as some mail programs write it) is read from the raw
    header, as UTF-8, else as Windows-1252 (the Finnish Windows default), not as "Hyv�t"."""
    name = item.get_filename()
    if not name or "\ufffd" not in name:
        return name
    raw = {field.lower(): str(value) for field, value in item.raw_items()}
    for header, parameter in (("content-disposition", "filename"), ("content-type", "name")):
        found = re.search(rf'(?i)(?:^|;)\s*{parameter}\s*=\s*"([^"]*)"', raw.get(header, ""))
        if found:
            data = found.group(1).encode("utf-8", "surrogateescape")
            try:
                return data.decode("utf-8")
            except UnicodeDecodeError:
                return data.decode("cp1252", "replace")
    return name


def read_msg(path: Path) -> ParsedEmail:
    """Read an Outlook ``.msg`` message with extract-msg."""
    import extract_msg

    try:
        message = extract_msg.openMsg(str(path))
    except Exception as exc:  # noqa: BLE001 - extract-msg raises many kinds on broken input
        raise InputError(f"{path}: not a readable Outlook message ({type(exc).__name__}); "
                         "save it again from Outlook or as .eml") from None
    try:
        sender = _address(getattr(message, "sender", None))
        if sender is None:
            header = getattr(message, "header", None)
            sender = _address(header.get("from")) if header is not None else None
        for stream in ("5D01001F", "0C1F001F", "0065001F"):  # SMTP / sender / sent-representing
            if sender is None:
                sender = _address(message.getStringStream(f"__substg1.0_{stream}"))
        when = getattr(message, "date", None)
        if isinstance(when, str):
            try:
                when = parsedate_to_datetime(when)
            except (TypeError, ValueError):
                when = None
        body = getattr(message, "body", None) or ""
        raw: Any = getattr(message, "htmlBody", None)
        if not body and raw:
            body = html_to_text(raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw)
        attachments: list[Attachment] = []
        shown = _html_text(raw).casefold()
        for number, item in enumerate(getattr(message, "attachments", []) or [], start=1):
            if _shown_in_text(item, shown):
                continue  # the signature's logo the text shows, as a .eml's related part
            data: Any = getattr(item, "data", None)
            name = getattr(item, "longFilename", None) or getattr(item, "shortFilename", None)
            if hasattr(data, "exportBytes"):  # an attached message
                data = data.exportBytes()
                name = name or f"attachment-{number}.msg"
            if not isinstance(data, bytes | bytearray):
                continue
            attachments.append(Attachment(safe_name(name, f"attachment-{number}"), bytes(data),
                                          sent_as(name)))
        subject = str(getattr(message, "subject", "") or "")
        headers = getattr(message, "header", None)
    finally:
        message.close()
    return ParsedEmail(sender, when if isinstance(when, dt.datetime) else None, subject,
                       str(body), attachments, auto_reply=auto_reply(headers, subject))


def _html_text(raw: Any) -> str:
    """An Outlook message's HTML body as text to look into ("" without one)."""
    if isinstance(raw, bytes):
        return raw.decode("utf-8", "replace")
    return raw if isinstance(raw, str) else ""


def _shown_in_text(item: Any, html: str) -> bool:
    """Whether an Outlook attachment is a picture inside the message's text (a signature's
    logo: its content ID named by the HTML body, ``html`` casefolded, as ``cid:…``), not a
    file sent with it."""
    cid = getattr(item, "cid", None) or getattr(item, "contentId", None)
    return isinstance(cid, str) and bool(cid.strip("<> ")) and \
        f"cid:{cid.strip('<> ')}".casefold() in html


_LABELLED = re.compile(r"^\s*([^:\n]{2,120}?)\s*[:=]\s*(.*)$")
#: "Kenelle käytäntö on suunnattu? Nuoret": a question typed with its "?", the answer after it.
_ASKED = re.compile(r"^\s*([^?\n]{2,300}\?)\s*(.*)$")
#: A row of the questionnaire pasted into a message: its cells, separated by tabs
#: ("Tavoite *<TAB>Tuoda taidetta arkeen.", "    Lapset<TAB>x").
_PASTED = re.compile(r"^\s*([^\t\n]{2,400}?)\s*\t\s*(.*?)\s*$")
#: A line that closes a message: the signature (name, title, phone) follows, not an answer.
_SIGN_OFF = re.compile(
    r"^\s*(?:--\s*|t\.\s+\S+(?:\s+\S+)?|(?:ystävällisin|parhain|lämpimin|aurinkoisin|kiittäen|"
    r"terveisin|yst\.?\s*terv|med\s+vänlig(?:a)?\s+hälsning(?:ar)?|vänliga\s+hälsningar|"
    r"hälsningar|mvh|best\s+regards|kind\s+regards|regards|br|sent\s+from\s+my|"
    r"lähetetty\s+(?:iphone\w*|ipad\w*|android\w*|\S+-laitteesta|puhelimesta|mobiili\w*|outlook\w*)|"
    r"skickat\s+från\s+min|hanki\s+outlook|get\s+outlook)\b[^:]{0,40})$", re.IGNORECASE)


#: A line that only heads the next practice of a message: "2. käytäntö", "Käytäntö 2:",
#: "Exempel 2", "Gott exempel 2" (the questionnaire's Swedish headings).
_PRACTICE_HEADING = re.compile(
    r"^\s*(?:\d+\s*[.)]?\s*)?(?:hyvä\s+|god\s+|gott\s+)?(?:käytäntö|praxis|exempel|practice)(?:\s*\d+)?"
    r"\s*[.:]?\s*$",
    re.IGNORECASE)
_PROSE = frozenset({"goal", "summary", "implementation", "resources", "experiences", "benefits"})


#: The first bytes of a TNEF stream (winmail.dat): its signature 0x223E9F78, little-endian.
TNEF_SIGNATURE = b"\x78\x9f\x3e\x22"


def tnef_text(data: bytes) -> tuple[str, int]:
    """The text of the message Outlook wrapped in winmail.dat (TNEF), and how many files the
    wrapper holds; ("", 0) for a damaged one.

    Outlook sends a message written in Rich Text format with a plain-text part beside the
    wrapper, usually; when it does not (a server that strips it, a forward as an attachment),
    the wrapper's body is the only copy of what was typed: its plain text, its HTML, or its
    compressed RTF. RTF that wraps HTML or text (``\\fromhtml1``, ``\\fromtext``) is
    unwrapped by RTFDE (which extract-msg already uses for .msg); Outlook's own Rich Text is
    turned into text by striprtf (a small, maintained converter), as RTFDE refuses it."""
    from tnefparse import TNEF

    try:
        tnef = TNEF(data, do_checksum=False)
        files = sum(1 for item in tnef.attachments if item.data)
        plain, markup = tnef.body, tnef.htmlbody
        rtf = tnef.rtfbody if getattr(tnef, "_rtfbody", None) else None
    except Exception:  # noqa: BLE001 - the decoder raises many kinds on broken input
        return "", 0
    if plain:
        return (plain.decode("cp1252", "replace") if isinstance(plain, bytes) else str(plain),
                files)
    if markup:
        return html_to_text(markup.decode("utf-8", "replace") if isinstance(markup, bytes)
                            else str(markup)), files
    return (rtf_to_plain(bytes(rtf)) if rtf else ""), files


def rtf_to_plain(rtf: bytes) -> str:
    """The text of an RTF document (see :func:`tnef_text`); "" when it is no RTF."""
    rtf = rtf.rstrip(b"\x00")
    if not rtf.lstrip().startswith(b"{\\rtf"):
        return ""
    try:
        from RTFDE.deencapsulate import DeEncapsulator

        wrapped = DeEncapsulator(rtf)
        wrapped.deencapsulate()
        found = wrapped.html if wrapped.content_type == "html" else wrapped.text
        text = found.decode("utf-8", "replace") if isinstance(found, bytes) else str(found)
        return html_to_text(text) if wrapped.content_type == "html" else text
    except Exception:  # noqa: BLE001 - not wrapped HTML or text (Outlook's own Rich Text)
        pass
    from striprtf.striprtf import rtf_to_text

    return str(rtf_to_text(rtf.decode("cp1252", "replace"), errors="replace"))


def _choice_labels(mapper: HeadingMapper) -> dict[str, dict[str, tuple[str, bool]]]:
    """Each multiple-choice question's choice labels (folded, any language) -> (the choice's
    Finnish label, whether it is the "other" choice)."""
    from ..normalise import fold

    found: dict[str, dict[str, tuple[str, bool]]] = {}
    for question in mapper.survey.questions:
        if question.type != "multichoice":
            continue
        labels: dict[str, tuple[str, bool]] = {}
        for choice, other in [*((c, False) for c in question.choices),
                              *(((question.other, True),) if question.other else ())]:
            for text in (*choice.labels.values(), *choice.aliases):
                labels.setdefault(fold(text), (choice.label("fi"), other))
        found[question.id] = labels
    return found


def _pasted_choice(match: re.Match[str], labels: dict[str, tuple[str, bool]],
                   answers: dict[str, str], question_id: str) -> bool:
    """Read a tick row of the questionnaire pasted into a message ("Lapset<TAB>x"): a ticked
    choice joins the question's answer ("Lapset; Muu: koulujen henkilökunta"), an unticked
    one is no answer. The hint above the tick rows, pasted as the question's answer, goes.
    Return whether the line was a tick row."""
    from ..normalise import fold
    from .questionnaire import _is_tick_hint

    label = match.group(1)
    choice = labels.get(fold(label))
    if choice is None:
        halves = {labels.get(fold(half)) for half in label.split(" / ")}
        choice = halves.pop() if len(halves) == 1 else None
    if choice is None:
        return False
    value = match.group(2).strip()
    if _is_tick_hint(answers.get(question_id, "")):
        answers[question_id] = ""
    if value:
        name, other = choice
        ticked = not other or value.casefold() in {"x", "✓", "✔", "kyllä", "ja", "yes"}
        said = name if ticked else f"{name}: {value}"
        answers[question_id] = "; ".join(t for t in (answers.get(question_id), said) if t)
    return True


def body_answers(body: str, mapper: HeadingMapper) -> list[dict[str, str]]:
    """Return the practices typed into a message body as "Label: answer" lines, each as
    ``question id -> text``.

    Only what the sender wrote counts: the quoted history is cut first (:func:`reply_text`),
    and the answers end at a closing line ("Ystävällisin terveisin", "Med vänliga hälsningar",
    "Best regards", "--"): the signature below it, the sender's name, title and phone, is not
    part of the last answer (the message is kept whole as received). Lines that follow a
    labelled line join its answer. A question answered again after others starts the next
    practice ("Käytännön nimi: …" twice: two practices, never one with both titles); a line
    such as "2. käytäntö" before it heads that practice and is no answer. Two or more
    different questions make an answer; otherwise nothing is returned.
    """
    blocks: list[dict[str, str]] = []
    answers: dict[str, str] = {}
    current: str | None = None
    choices = _choice_labels(mapper)
    for line in reply_text(body).splitlines():
        if answers and _SIGN_OFF.match(line):
            break  # "Ystävällisin terveisin / Liisa Virtanen / puh. …": the signature
        match = _LABELLED.match(line)
        if match is None or "\t" in match.group(1):  # cells pasted: the tab ends the label
            match = _PASTED.match(line) or match
        if match and current in choices and _pasted_choice(match, choices[current], answers,
                                                           current):
            continue
        hit = mapper.match(match.group(1)) if match else None
        if (hit is None or hit.option is not None or hit.method == "fuzzy") and "?" in line:
            # "Kenelle käytäntö on suunnattu? Nuoret": the question's own "?" ends the label
            # (read as the line before's answer, it became a keyword, the answer was lost).
            asked = _ASKED.match(line)
            asked_hit = mapper.match(asked.group(1)) if asked else None
            if asked_hit is not None and asked_hit.option is None and \
                    asked_hit.method != "fuzzy":
                match, hit = asked, asked_hit
        if match and hit is not None and hit.option is None and hit.method != "fuzzy":
            if answers.get(hit.question_id) and hit.question_id != current:
                blocks.append(answers)
                answers = {}
            current = hit.question_id
            answers[current] = "\n".join(t for t in (answers.get(current, ""), match.group(2)) if t)
        elif current and line.strip():
            answers[current] = f"{answers[current]}\n{line.strip()}".strip()
        elif not line.strip() and current and current not in _PROSE:
            current = None
    blocks.append(answers)
    for block in blocks:
        for question_id, text in block.items():
            lines = text.split("\n")
            while len(lines) > 1 and _PRACTICE_HEADING.match(lines[-1]):
                lines.pop()
            block[question_id] = "\n".join(lines)
    blocks = [block for block in blocks if any(block.values())]
    return blocks if any(len(block) >= 2 for block in blocks) else []
