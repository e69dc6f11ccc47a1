"""Parse a message once, at a bounded cost, for every reader of it.

``email.message_from_bytes`` (and ``BytesParser.parsebytes``, ``BytesHeaderParser`` even for
the headers alone) decode the whole message into one string and read it through a
``StringIO``, which holds four bytes a character: a 44 MB message took about 390 MB while it
was parsed (520 MB for its headers), by ``bounces.classify_message``, by flufl.bounce's copy,
by ``ingest.emails.read_eml``, and for its headers twice by ``fetch``: fetch peaked at
709 MB. Fed in slices, the parser holds only its lines and the parts it has joined (about
120 MB for the same message), and the headers are read from the header block alone.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from contextlib import contextmanager
from email import policy as policies
from email.feedparser import BytesFeedParser, FeedParser
from email.message import EmailMessage, Message
from email.parser import BytesHeaderParser
from email.policy import Policy

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
    parser = BytesFeedParser(_factory=EmailMessage, policy=policies.default)
    view = memoryview(data)
    for start in range(0, len(data), SLICE):
        parser.feed(bytes(view[start:start + SLICE]))
    message = parser.close()
    assert isinstance(message, EmailMessage)
    return message


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
