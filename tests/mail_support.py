"""Helpers for the tests of reading big messages."""

from __future__ import annotations

from typing import Any


def count_whole_parses(monkeypatch: Any) -> list[int]:
    """Count the messages the email parser parses whole from now on: one item in the list
    returned for each multipart message it closes (a read of the headers alone has no
    parts)."""
    import email.feedparser

    whole: list[int] = []
    close = email.feedparser.FeedParser.close

    def counted(self):  # type: ignore[no-untyped-def]
        parsed = close(self)
        if parsed.is_multipart():
            whole.append(1)
        return parsed

    monkeypatch.setattr(email.feedparser.FeedParser, "close", counted)
    return whole
