"""Parse a message once, at a bounded cost, for every reader of it.

``email.message_from_bytes`` (and ``BytesParser.parsebytes``, ``BytesHeaderParser`` even for
the headers alone) decode the whole message into one string and read it through a
``StringIO``, which holds four bytes a character: a 44 MB message took about 390 MB while it
was parsed (520 MB for its headers), by ``bounces.classify_message``, by flufl.bounce's copy,
by ``ingest.emails.read_eml``, and for its headers twice by ``fetch``: fetch peaked at
709 MB; ``forget`` parsed a saved message twice the same way (is the person in it? then
scrubbing it). Fed in slices, the parser holds only its lines and the parts it has joined (about
120 MB for the same message), and the headers are read from the header block alone.
"""

from __future__ import annotations

import binascii
import codecs
import io
import re
from collections.abc import Iterator
from contextlib import contextmanager
from email import policy as policies
from email.feedparser import BytesFeedParser, FeedParser
from email.generator import BytesGenerator
from email.message import EmailMessage, Message
from email.parser import BytesHeaderParser
from email.policy import Policy
from typing import Any

#: Bytes handed to the parser at a time.
SLICE = 64 * 1024
#: The empty line that ends a message's header block.
_HEADERS_END = re.compile(rb"\r?\n\r?\n")


def parse_headers(data: bytes) -> Message:
    """Return the header block of the message in ``data`` (``compat32``), read from that
    block alone: ``BytesHeaderParser.parsebytes`` decodes the whole message first, into a
    StringIO of 4 bytes a character, to read its headers (520 MB for a 44 MB message; fetch
    read the headers of each message twice). What follows the first empty line is the body
    to the parser either way."""
    end = _HEADERS_END.search(data)
    return BytesHeaderParser(policy=policies.compat32).parsebytes(
        data[:end.end()] if end else data)


def parse_message(data: bytes) -> EmailMessage:
    """Return the message in ``data`` parsed with ``policy.default`` (what ``read_eml``
    reads); ``classify_message`` reads the same parts through ``compat32`` (``viewed_as``)."""
    message = _fed(BytesFeedParser(_factory=EmailMessage, policy=policies.default), data)
    assert isinstance(message, EmailMessage)
    return message


def parse_bytes_message(data: bytes) -> Message:
    """Return the message in ``data`` as ``message_from_bytes(data, policy=compat32)`` reads
    it (what ``forget`` scrubs and writes back: a byte that is not ASCII kept as it came, for
    ``as_bytes`` to write the same), fed in slices."""
    return _fed(BytesFeedParser(policy=policies.compat32), data)


def _fed(parser: BytesFeedParser, data: bytes) -> Message:
    view = memoryview(data)
    for start in range(0, len(data), SLICE):
        parser.feed(bytes(view[start:start + SLICE]))
    return parser.close()


def parse_text_message(data: bytes) -> Message:
    """Return the message in ``data`` decoded as UTF-8 (undecodable bytes replaced) and
    parsed with ``compat32``: every header a ``str`` (what flufl.bounce's detectors need)."""
    parser = FeedParser(policy=policies.compat32)
    decoder = codecs.getincrementaldecoder("utf-8")("replace")
    view = memoryview(data)
    for start in range(0, len(data), SLICE):
        parser.feed(decoder.decode(bytes(view[start:start + SLICE])))
    parser.feed(decoder.decode(b"", final=True))
    return parser.close()


#: A base64 body that ``get_payload(decode=True)`` decodes on its first try: the alphabet,
#: line ends, the padding at the end.
_PLAIN_BASE64 = re.compile(r"[A-Za-z0-9+/\r\n]*(?:=[\r\n]*){0,2}")


def decoded_payload(part: Message) -> Any:
    """Return ``part.get_payload(decode=True)``, a plain base64 body decoded as it is: the
    standard library copies it into bytes, splits it into lines and joins them first (a
    32 MB attachment held 140 MB more)."""
    payload = getattr(part, "_payload", None)  # what get_payload reads, not a copy
    if (isinstance(payload, str) and payload.isascii() and not part.is_multipart()
            and str(part.get("content-transfer-encoding", "")).lower() == "base64"
            and _PLAIN_BASE64.fullmatch(payload)
            and (len(payload) - payload.count("\n") - payload.count("\r")) % 4 == 0):
        return binascii.a2b_base64(payload)
    return part.get_payload(decode=True)


def message_bytes(message: Message) -> bytes:
    """Return ``message.as_bytes(policy=compat32)``, a part's body written a slice of lines
    at a time: the generator splits a body into a list of its lines first (a 43 MB
    attachment: 580 000 strings, three times its size)."""
    out = io.BytesIO()
    _SlicedGenerator(out, mangle_from_=False, policy=policies.compat32).flatten(message)
    return out.getvalue()


class _SlicedGenerator(BytesGenerator):
    """``BytesGenerator`` writing a long text in slices cut after a line end (each slice's
    lines written as the whole text's would be)."""

    def _write_lines(self, lines: str) -> None:
        start = 0
        while len(lines) - start > SLICE:
            cut = lines.find("\n", start + SLICE)
            if cut < 0:
                break
            super()._write_lines(lines[start:cut + 1])  # type: ignore[misc]
            start = cut + 1
        super()._write_lines(lines[start:] if start else lines)  # type: ignore[misc]


@contextmanager
def viewed_as(message: Message, policy: Policy) -> Iterator[Message]:
    """Read ``message`` and its parts through ``policy`` for a while, then as before.

    The parser stores headers and payloads the same under every policy (each policy's
    ``header_source_parse`` keeps the raw value); only how they are handed out differs."""
    parts = list(message.walk())
    before = [part.policy for part in parts]
    for part in parts:
        part.policy = policy
    try:
        yield message
    finally:
        for part, old in zip(parts, before, strict=True):
            part.policy = old
