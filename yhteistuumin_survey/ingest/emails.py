"""Saved emails: ``.eml`` (the standard library) and Outlook ``.msg`` (extract-msg).

A message gives its sender's address, its time, its attachments (ingested like any file, under
a sanitised name that cannot leave the archive folder) and its body, which is kept as a raw
submission for a reviewer when someone typed an answer into it.
"""

from __future__ import annotations

import datetime as dt
import html
import re
import unicodedata
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parseaddr, parsedate_to_datetime
from pathlib import Path
from typing import Any

from ..errors import InputError
from .mapping import HeadingMapper

MAX_NAME = 120


@dataclass
class Attachment:
    """One attachment: its sanitised file name and its bytes."""

    name: str
    data: bytes


@dataclass
class ParsedEmail:
    """What a saved message holds."""

    sender: str | None
    time: dt.datetime | None
    subject: str
    body: str
    attachments: list[Attachment] = field(default_factory=list)


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


def _address(value: Any) -> str | None:
    if not value:
        return None
    address = parseaddr(str(value))[1].strip().lower()
    return address if "@" in address else None


def html_to_text(markup: str) -> str:
    """Return the text of an HTML body (tags dropped, line breaks kept)."""
    markup = re.sub(r"(?is)<(script|style).*?</\1>", "", markup)
    markup = re.sub(r"(?i)<br\s*/?>|</p>|</div>|</tr>|</li>", "\n", markup)
    return html.unescape(re.sub(r"<[^>]+>", "", markup))


def read_eml(path: Path) -> ParsedEmail:
    """Read a saved ``.eml`` message."""
    try:
        message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
    except Exception as exc:  # noqa: BLE001 - the parser raises many kinds on broken input
        raise InputError(f"{path}: not a readable email message ({type(exc).__name__})") from None
    assert isinstance(message, EmailMessage)
    if not message.keys():
        raise InputError(f"{path}: not an email message (no headers); save the message as .eml")
    when = None
    try:
        when = parsedate_to_datetime(str(message["date"])) if message["date"] else None
    except (TypeError, ValueError):
        when = None
    body = ""
    part = message.get_body(preferencelist=("plain", "html"))
    if part is not None:
        try:
            content = part.get_content()
        except (LookupError, ValueError):
            content = part.get_payload(decode=True) or b""
            content = content.decode("utf-8", errors="replace") if isinstance(content, bytes) \
                else str(content)
        body = html_to_text(content) if part.get_content_subtype() == "html" else str(content)
    attachments: list[Attachment] = []
    for number, item in enumerate(message.iter_attachments(), start=1):
        if item.get_content_type() == "message/rfc822":
            inner = item.get_content()
            data = inner.as_bytes() if hasattr(inner, "as_bytes") else bytes(inner)
            name = safe_name(item.get_filename(), f"attachment-{number}.eml")
        else:
            payload = item.get_payload(decode=True)
            if not isinstance(payload, bytes | bytearray):
                continue
            data = bytes(payload)
            name = safe_name(item.get_filename(), f"attachment-{number}")
        attachments.append(Attachment(name, data))
    return ParsedEmail(_address(message["from"]), when, str(message["subject"] or ""), body,
                       attachments)


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
        for number, item in enumerate(getattr(message, "attachments", []) or [], start=1):
            data: Any = getattr(item, "data", None)
            name = getattr(item, "longFilename", None) or getattr(item, "shortFilename", None)
            if hasattr(data, "exportBytes"):  # an attached message
                data = data.exportBytes()
                name = name or f"attachment-{number}.msg"
            if not isinstance(data, bytes | bytearray):
                continue
            attachments.append(Attachment(safe_name(name, f"attachment-{number}"), bytes(data)))
        subject = str(getattr(message, "subject", "") or "")
    finally:
        message.close()
    return ParsedEmail(sender, when if isinstance(when, dt.datetime) else None, subject,
                       str(body), attachments)


_LABELLED = re.compile(r"^\s*([^:\n]{2,120}?)\s*[:=]\s*(.*)$")


def body_answers(body: str, mapper: HeadingMapper) -> dict[str, str]:
    """Return ``question id -> text`` of "Label: answer" lines typed into a message body.

    Lines that follow a labelled line join its answer. Two or more different questions make
    an answer; otherwise nothing is returned.
    """
    answers: dict[str, str] = {}
    current: str | None = None
    for line in body.splitlines():
        if line.startswith(">"):
            break  # the quoted invitation below the reply
        match = _LABELLED.match(line)
        hit = mapper.match(match.group(1)) if match else None
        if match and hit is not None and hit.option is None and hit.method != "fuzzy":
            current = hit.question_id
            answers[current] = "\n".join(t for t in (answers.get(current, ""), match.group(2)) if t)
        elif current and line.strip():
            answers[current] = f"{answers[current]}\n{line.strip()}".strip()
        elif not line.strip() and current and current not in {"goal", "summary", "implementation",
                                                              "resources", "experiences",
                                                              "benefits"}:
            current = None
    return answers if len(answers) >= 2 else {}
