"""What every reader returns: raw records (one per practice sheet or response row) per file."""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Mapping:
    """How one column (or questionnaire row) was understood: the chosen field and why."""

    header: str
    target: str  # question id, "meta:<role>", "target_group:<option>" or "" (ignored)
    method: str  # key, exact, profile, contains, option, code, fuzzy, meta, ignored,
    #               set aside (a weaker heading of a field another column fills)
    score: float = 100.0
    note: str = ""  # why a column was set aside ("weaker than 'Käytännön nimi' for title")

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"header": self.header, "field": self.target,
                                "method": self.method, "score": round(self.score, 1)}
        if self.note:
            data["note"] = self.note
        return data


#: Heading rules whose reading is a guess (a close spelling, a word with an ending): an
#: answer read through one is flagged for the reviewers.
UNSURE_METHODS = {"fuzzy": "a close spelling", "inflected": "a word it begins with"}
#: The flag code of each (``flags.UNSURE_TEXTS``).
_UNSURE_CODES = {"fuzzy": "heading-close-spelling", "inflected": "heading-inflected"}


def unsure_reason(mapping: Mapping) -> str | None:
    """Why an answer read through this heading is not sure (the flag's coded reason, see
    ``flags.reason``), or None when the heading is."""
    code = _UNSURE_CODES.get(mapping.method)
    if code is None:  # most headings: answered before the import (a questionnaire row each)
        return None
    from ..flags import reason

    question_id = mapping.target.split(":", 1)[0]
    return reason(code, heading=mapping.header, question=question_id,
                  score=round(mapping.score))


#: How a note says where a person typed it outside the cells: in a cell comment, in a text box.
COMMENT_NOTE, TEXT_BOX_NOTE = "(kommentti) ", "(tekstiruutu) "


@dataclass
class RawRecord:
    """One answered practice (or a row that is not one) before normalisation."""

    locator: str  # "Käytäntö 1", "row 7", "body"
    raw: dict[str, Any]  # as received (JSON-ready)
    answers: dict[str, Any] = field(default_factory=dict)  # question id -> raw value
    sheet: str | None = None
    row: int | None = None
    response_key: str | None = None  # form response ID (with the form's fingerprint)
    token: str | None = None
    meta_code: str | None = None
    account_email: str | None = None
    language: str | None = None
    status: str = "practice"  # practice, incomplete, body-text, error
    reason: str = ""
    identity_hint: str | None = None  # questionnaire: token + sheet
    submitted: dt.datetime | None = None  # the response's time (form exports), UTC if known
    # Text typed outside the answer cells: (the question it sits by, the text as typed). It
    # never changes an answer; the practice carries it as a ``note:`` flag for reviewers.
    notes: list[tuple[str, str]] = field(default_factory=list)
    # Flags the reader raises for the reviewers (``unsure:target_group:…``).
    flags: list[str] = field(default_factory=list)
    # Answers read through a heading the reader was not sure of (a close spelling): the
    # practice carries each as an ``unsure:<field>:<reason>`` flag for reviewers.
    unsure: list[tuple[str, str]] = field(default_factory=list)
    # ``raw`` as JSON text (``json_text``), when a worker process made it: then ``raw`` itself
    # is left empty (it was not sent back; only storing uses it).
    raw_json: str | None = None

    def raw_text(self) -> str:
        """Return ``raw`` as the JSON text that is stored."""
        return self.raw_json if self.raw_json is not None else raw_json_text(self.raw)

    def note_flags(self) -> list[str]:
        """Return the notes as flags: ``note:<question id>:<text>``, then the unsure readings
        as ``unsure:<question id>:<reason>``."""
        from ..flags import unsure_with

        return [*(f"note:{question_id}:{text}" for question_id, text in self.notes),
                *(unsure_with(question_id, reason) for question_id, reason in self.unsure)]

    def order_key(self) -> tuple[int, dt.datetime]:
        """Sort key: responses by their time (naive times taken as UTC), untimed ones last."""
        if self.submitted is None:
            return (1, dt.datetime.min)
        when = self.submitted
        if when.tzinfo is not None:
            when = when.astimezone(dt.UTC).replace(tzinfo=None)
        return (0, when)


@dataclass
class ParsedFile:
    """A file read by one reader: its format, records, column mapping and row problems."""

    format: str
    records: list[RawRecord] = field(default_factory=list)
    mappings: list[tuple[str, list[Mapping]]] = field(default_factory=list)  # (sheet, columns)
    notes: list[str] = field(default_factory=list)
    # (sheet, row, reason) of what could not be read; sheet and row None when not known.
    problems: list[tuple[str | None, int | None, str]] = field(default_factory=list)


#: JSON text as ``json.dumps`` with its defaults makes it (and SQLAlchemy's JSON type with it).
json_text = json.JSONEncoder().encode
#: A text as JSON text with ``json.dumps``' defaults (ASCII, ``\u00e4`` for ä): the encoder's own.
_json_string = json.encoder.encode_basestring_ascii  # type: ignore[attr-defined]

#: Each heading of a raw answer as JSON text with what ``json.dumps`` writes before it (", ")
#: and after it (": "). A raw answer's keys are its file's column headings (or a
#: questionnaire's fields), the same on every row: each is escaped once, not on every row
#: (a form's headings are a third of a row's text beyond ASCII). Emptied when full.
_HEADING_TEXTS: dict[str, str] = {}
_HEADING_TEXTS_MAX = 10_000


def raw_json_text(raw: dict[str, Any]) -> str:
    """``json_text(raw)`` of a raw answer keyed by texts, byte for byte; its headings' JSON
    text from ``_HEADING_TEXTS``, its texts escaped by the encoder's own function, any other
    value by ``json_text`` (2 x 5,000 export rows: 9 -> 8 us a row, see the commit)."""
    headings = _HEADING_TEXTS
    if len(headings) > _HEADING_TEXTS_MAX:
        headings.clear()
    parts: list[str] = []
    for key, value in raw.items():
        heading = headings.get(key)
        if heading is None:
            if type(key) is not str:  # json.dumps writes other keys its own way
                return json_text(raw)
            heading = headings[key] = f", {_json_string(key)}: "
        parts.append(heading)
        parts.append(_json_string(value) if type(value) is str
                     else "null" if value is None else json_text(value))
    return "{" + "".join(parts)[2:] + "}"


def jsonable(value: Any) -> Any:
    """Return a cell value as JSON-ready data (dates as ISO text, NaN as null)."""
    kind = type(value)
    if kind is str or value is None or kind is int or kind is bool:
        return value
    if isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return str(value)
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    return str(value)
