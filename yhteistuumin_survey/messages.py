"""The survey emails: invitation, reminder and thank-you, personalised per municipality.

Templates are ``templates/email/<name>.<lang>.<txt|html>.j2`` with ``name`` one of
``invitation``, ``reminder``, ``thanks`` and ``lang`` one of ``fi``, ``sv``, ``fi-sv`` (bilingual:
Finnish first, then Swedish), ``sv-fi`` (bilingual, Swedish first); the subject is
``templates/email/subject.<fi|sv>.txt.j2`` (a bilingual subject joins both with `` / ``). A
workspace may override any of them.

Names: Finnish needs the municipality's name in a case ("Alajärven kulttuuripalveluille"); the
templates get the genitive from :func:`finnish_name_forms`, the one place that inflects, using
the generated genitive that ``tests/data/genitives.csv`` checks for all 308 municipalities. The
local cases ("Alajärveltä", "Helsingistä") are left out on purpose: which of them a place takes
(inner -ssa/-sta or outer -lla/-lta) is a fact about each name that the register does not hold
yet, so the texts are written with the genitive ("Emme ole saaneet Alajärven vastausta").
"kunta" or "kaupunki" is said only where the register's name says it ("Pedersören kunta").

Each message is built once, straight into the bytes that go on the wire (CRLF line ends):
``multipart/mixed`` holding a ``multipart/alternative`` (the rendered text, then the HTML, both
UTF-8 quoted-printable) and the questionnaire (base64). Those bytes are what the server
receives and what the outbox copy holds (:class:`ComposedMessage`); nothing is parsed back or
serialised a second time. Headers are written as RFC 5322/2047 ask: a non-ASCII subject as
UTF-8 encoded words, the constant ones (From with its display name, Reply-To) folded once per
batch by the standard library's policy. A batch uses one :class:`MessageComposer`: one
template environment.
"""

from __future__ import annotations

import binascii
import datetime as dt
import random
import re
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import SurveyError
from .templating import format_date, make_environment, render_template

if TYPE_CHECKING:
    import jinja2

    from .config import Settings
    from .survey import Survey

KINDS = {"invite": "invitation", "remind": "reminder", "thanks": "thanks"}
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: Headers that carry the response token and the round, so replies and bounces can be matched.
TOKEN_HEADER = "X-Yhteistuumin-Token"
ROUND_HEADER = "X-Yhteistuumin-Round"
MUNICIPALITY_HEADER = "X-Yhteistuumin-Municipality"
KIND_HEADER = "X-Yhteistuumin-Kind"
SEQUENCE_HEADER = "X-Yhteistuumin-Sequence"


#: Local parts of the shared addresses of a registry office: the message must be forwarded.
REGISTRY_MAILBOXES = ("kirjaamo", "registrator", "registratur", "registraturen", "kirjaamot")
#: The site's privacy notice, when ``[round] privacy_url`` is not set.
PRIVACY_PAGE = "tietosuojaseloste"
DEFAULT_SITE = "https://www.yhteistuumin.fi"


def message_language(language_status: str, *, aland: bool = False) -> str:
    """Return the language of a municipality's mail: ``fi``, ``sv``, ``fi-sv`` or ``sv-fi``.

    Åland and Swedish-speaking municipalities get Swedish, Finnish-speaking ones Finnish;
    bilingual ones get both, the majority language first (``fi-sv`` or ``sv-fi``). The
    questionnaire keeps its own rule (Swedish for a Swedish-majority municipality).
    """
    if aland or language_status == "sv":
        return "sv"
    if language_status in {"fi-sv", "sv-fi"}:
        return language_status
    return "fi"


def finnish_name_forms(name_fi: str) -> dict[str, str]:
    """Return the Finnish forms of a municipality's name the emails use: ``genitive``.

    The one place the emails inflect a name. ``Alajärvi`` -> ``Alajärven``; a name with
    ``kunta``/``kaupunki`` in it keeps its genitive (``Pedersören kunta`` -> ``Pedersören``).
    """
    from .resolve import finnish_genitive

    return {"genitive": finnish_genitive(name_fi)}


#: Words that name an office or a unit, not a person ("Kulttuuripalvelut", "Kirjaamo"): such a
#: "name" in a contact list gets the greeting without a name.
_UNIT_ENDINGS = ("kirjaamo", "registrator", "registratur", "palvelut", "toimi", "toimisto",
                 "keskus", "kunta", "kaupunki", "virasto", "osasto", "yksikkö", "kommun",
                 "stad", "tjänster", "kansliet", "byrån", "avdelning", "enheten")
#: Lower-case particles of real surnames (af Forselles, von Wright).
_PARTICLES = {"af", "von", "van", "de", "der", "den", "la", "le", "du", "di"}


def salutation_name(name: str | None) -> str | None:
    """Return a contact's name as the greeting says it, or None for the greeting without one.

    Contact lists hold names as their makers typed them: ``Ojala, Pekka`` -> ``Pekka Ojala``,
    ``VIRTANEN Liisa`` -> ``Liisa Virtanen``, ``liisa mäkinen`` -> ``Liisa Mäkinen``,
    ``Anna Björk (kulttuurijohtaja)`` -> ``Anna Björk``, ``Aino`` stays; an office
    (``Kulttuuripalvelut``, ``Kirjaamo``, ``Kulttuuri- ja vapaa-aikapalvelut``) -> None:
    "Hyvä Kulttuuripalvelut," is not what a person writes.
    """
    text = " ".join((name or "").split())
    text = re.sub(r"\s+\([^()]+\)$", "", text)  # a role in brackets after the name
    if text.count(",") == 1:
        before, after = (part.strip() for part in text.split(","))
        if len(before.split()) == 1 and 1 <= len(after.split()) <= 2:
            text = f"{after} {before}"  # "Surname, Firstname"
        else:
            text = before  # "Firstname Surname, role"
    words = text.split()
    if not words:
        return None
    if any(w.casefold().endswith(_UNIT_ENDINGS) or w.endswith("-") for w in words):
        return None
    if text.isupper() or text.islower():
        words = [_capitalised(w) for w in words]
    elif any(w[:1].islower() and w not in _PARTICLES for w in words):
        return None  # "Nuoriso ja kulttuuri": words of a unit's name, not a person's
    elif len(words[0]) > 1 and words[0].isupper() and not any(w.isupper() for w in words[1:]):
        words = [*words[1:], _capitalised(words[0])]  # "VIRTANEN Liisa": surname first in caps
    return " ".join(words)


def _capitalised(word: str) -> str:
    return "-".join(part[:1].upper() + part[1:].lower() for part in word.split("-"))


def is_registry_address(address: str | None) -> bool:
    """Return whether ``address`` is a registry office's shared mailbox (kirjaamo@, registrator@)."""
    local = (address or "").rpartition("@")[0].strip().strip("<").lower()
    return any(local == box or local.startswith((f"{box}.", f"{box}-", f"{box}_"))
               for box in REGISTRY_MAILBOXES)


def municipality_context(municipality: Any) -> dict[str, Any]:
    """Return the template variables describing a municipality."""
    aland = bool(getattr(municipality, "aland", False)) or \
        getattr(municipality, "region_code", "") == "21"
    lang = message_language(municipality.language, aland=aland)
    return {
        "code": municipality.code,
        "name_fi": municipality.name_fi,
        "genitive_fi": finnish_name_forms(municipality.name_fi)["genitive"],
        "name_sv": municipality.name_sv or municipality.name_fi,
        "name": (municipality.name_sv or municipality.name_fi) if lang.startswith("sv")
        else municipality.name_fi,
        "language": lang,
        # the questionnaire is Swedish for a Swedish-majority municipality (questionnaire.py)
        "questionnaire_language": "sv" if lang.startswith("sv") else lang,
    }


def privacy_url(settings: Settings) -> str:
    """Return the privacy notice's address: ``[round] privacy_url`` or the site's page."""
    url = str(settings.get("round.privacy_url") or "").strip()
    if url:
        return url
    base = str(settings.get("site.base_url") or "").strip().rstrip("/") or DEFAULT_SITE
    return f"{base}/{PRIVACY_PAGE}"


def message_context(*, settings: Settings, survey: Survey, municipality: Any, kind: str,
                    token: str, contact_name: str | None, attachment: Path | None,
                    sequence: int = 0, address: str | None = None) -> dict[str, Any]:
    """Return every variable the email templates may use."""
    deadline = settings.get("round.deadline")
    form_url = str(settings.get("round.form_url"))
    return {
        "kind": kind,
        "sequence": sequence,
        "municipality": municipality_context(municipality),
        "contact_name": salutation_name(contact_name),
        "token": token,
        "form_url": form_url.replace("{token}", token),
        "deadline": deadline,
        "deadline_text": format_date(deadline),
        "round_name": settings.round_name,
        "round_title": settings.get("round.title"),
        "survey_title": {lang: survey.title(lang) for lang in ("fi", "sv", "en")},
        "practices": survey.practices_per_questionnaire,
        "coordinator": settings.get("round.coordinator"),
        "sender_name": settings.get("round.sender_name"),
        "reply_to": settings.get("round.reply_to"),
        "attachment_name": attachment.name if attachment is not None else None,
        "registry_office": is_registry_address(address),
        "answer_minutes": int(settings.get("round.answer_minutes")),
        "privacy_url": privacy_url(settings),
    }


def render_subject(env: jinja2.Environment, lang: str, context: dict[str, Any]) -> str:
    """Render the subject line in ``lang`` (``fi-sv``: Finnish / Swedish)."""
    parts = [render_template(env, f"email/subject.{part}.txt.j2", context)
             for part in lang.split("-")]
    subject = " / ".join(" ".join(part.split()) for part in parts)
    if not subject:
        raise SurveyError("templates/email/subject.*.txt.j2: the subject is empty; "
                          "write the subject line in the template")
    return subject


def render_bodies(env: jinja2.Environment, kind: str, lang: str,
                  context: dict[str, Any]) -> tuple[str, str]:
    """Render the text and HTML bodies of a message."""
    if kind not in KINDS:
        raise SurveyError(f"unknown message kind {kind!r}; use one of {', '.join(KINDS)}")
    name = KINDS[kind]
    text = render_template(env, f"email/{name}.{lang}.txt.j2", context)
    html = render_template(env, f"email/{name}.{lang}.html.j2", context)
    return text, html


def _domain(address: str) -> str:
    return address.rpartition("@")[2].strip().strip(">") or "localhost"


def compose_message(workspace: Any, *, settings: Settings, survey: Survey, municipality: Any,
                    kind: str, token: str, address: str, contact_name: str | None,
                    attachment: Path | None, sequence: int = 0,
                    env: jinja2.Environment | None = None) -> EmailMessage:
    """Compose one message to one address and return it as the recipient's server reads it
    (the wire bytes parsed back): headers, text + HTML, the questionnaire attached.

    A batch uses one :class:`MessageComposer` instead, whose messages stay bytes.
    """
    composer = MessageComposer(workspace, settings=settings, survey=survey, env=env)
    return composer.compose(municipality=municipality, kind=kind, token=token, address=address,
                            contact_name=contact_name, attachment=attachment,
                            sequence=sequence).message


@dataclass(frozen=True)
class ComposedMessage:
    """One message ready to go: the exact bytes the server is handed (CRLF line ends, before
    SMTP dot-stuffing) and the outbox copy holds, with its Message-ID and recipient."""

    data: bytes
    message_id: str
    recipient: str

    @property
    def message(self) -> EmailMessage:
        """The message parsed from its bytes, with the line ends a saved copy has on this
        system (for previews and tests; sending never needs it)."""
        from .mailparse import parse_message

        return parse_message(self.data.replace(CRLF, b"\n"))


#: The policy the wire form follows: RFC 5322 folding at 78 characters, CRLF line ends.
WIRE_POLICY = policy.SMTP
CRLF = b"\r\n"
#: An address as a composed message may carry it: a dot-atom local part (letters of any
#: script allowed, as SMTPUTF8 allows) and a domain of dotted labels; no spaces, brackets,
#: commas or quotes. Contacts were checked more strictly on import; this catches what would
#: break the header or the SMTP envelope.
_ATEXT = r"[\w!#$%&'*+\-/=?^`{|}~]"
_ADDRESS = re.compile(rf"{_ATEXT}+(?:\.{_ATEXT}+)*@[\w-]+(?:\.[\w-]+)*")
_random = random.SystemRandom()


class MessageComposer:
    """Compose the messages of one batch with one template environment.

    What is the same for every message of the batch (From, Reply-To, the round header) is
    encoded once here; :meth:`compose` renders the templates and writes the bytes.
    """

    def __init__(self, workspace: Any, *, settings: Settings, survey: Survey,
                 env: jinja2.Environment | None = None):
        self.workspace = workspace
        self.settings = settings
        self.survey = survey
        self.env = env or make_environment(workspace)
        self.sender = str(settings.get("round.sender"))
        self.sender_name = str(settings.get("round.sender_name"))
        self.reply_to = str(settings.get("round.reply_to"))
        self._constant: tuple[bytes, bytes, bytes] | None = None

    def compose(self, *, municipality: Any, kind: str, token: str, address: str,
                contact_name: str | None, attachment: Path | None,
                sequence: int = 0) -> ComposedMessage:
        """Compose one message to one address: its wire bytes (see :class:`ComposedMessage`)."""
        context = message_context(settings=self.settings, survey=self.survey,
                                  municipality=municipality, kind=kind, token=token,
                                  contact_name=contact_name, attachment=attachment,
                                  sequence=sequence, address=address)
        lang = context["municipality"]["language"]
        subject = render_subject(self.env, lang, context)
        context["subject"] = subject
        text, html = render_bodies(self.env, kind, lang, context)
        if attachment is not None and not attachment.is_file():
            raise SurveyError(f"{attachment}: the questionnaire is missing; run "
                              "'yhteistuumin survey build' first")
        address = address.strip()
        if not _ADDRESS.fullmatch(address):
            raise SurveyError(f"{address!r}: not a valid email address; fix the contact list")
        reply_to, round_header, sender = self._constant_headers()
        message_id = make_msgid(idstring=f"{municipality.code}.{kind}",
                                domain=_domain(self.sender))
        outer = _boundary()
        headers = [
            b'Content-Type: multipart/mixed; boundary="' + outer + b'"\r\nMIME-Version: 1.0\r\n',
            reply_to,
            _header("Date", format_datetime(dt.datetime.now(dt.UTC))),
            _header(TOKEN_HEADER, token),
            round_header,
            _header(MUNICIPALITY_HEADER, municipality.code),
            _header(KIND_HEADER, kind),
            _header(SEQUENCE_HEADER, str(sequence)),
            _subject(subject),
            sender,
            _header("To", address) if address.isascii() else _folded("To", address),
            _header("Message-ID", message_id),
            CRLF,
        ]
        inner = _boundary()
        # Each part ends with its own line end; the CRLF before a delimiter belongs to the
        # delimiter (RFC 2046 5.1.1), so a text keeps its last line end.
        parts = [
            b"--" + outer + CRLF,
            b'Content-Type: multipart/alternative;\r\n boundary="' + inner + b'"\r\n\r\n',
            b"--" + inner + CRLF, _text_part("plain", text),
            b"\r\n--" + inner + CRLF, _text_part("html", html),
            b"\r\n--" + inner + b"--\r\n",
        ]
        if attachment is not None:
            parts += [b"\r\n--" + outer + CRLF, _attachment_part(attachment.name,
                                                                   attachment.read_bytes())]
        parts.append(b"\r\n--" + outer + b"--\r\n")
        body = b"".join(parts)
        if body.count(outer) != (3 if attachment is not None else 2) or body.count(inner) != 4:
            raise SurveyError("a MIME boundary turned up inside the message; compose it again")
        return ComposedMessage(b"".join(headers) + body, message_id, address)

    def _constant_headers(self) -> tuple[bytes, bytes, bytes]:
        """(Reply-To, the round header, From): the same for every message of the batch."""
        if self._constant is None:
            if not _ADDRESS.fullmatch(self.sender):
                raise SurveyError(f"[round] sender {self.sender!r}: not a valid address; fix "
                                  "it in yhteistuumin.toml")
            from email.headerregistry import Address

            sender = Address(display_name=self.sender_name, addr_spec=self.sender)
            self._constant = (_folded("Reply-To", self.reply_to),
                              _header(ROUND_HEADER, self.settings.round_name),
                              _folded("From", str(sender)))
        return self._constant


def _check_value(name: str, value: str) -> str:
    if "\r" in value or "\n" in value:
        raise SurveyError(f"{name}: {value!r} has a line break; a header must be one line")
    return value


def _header(name: str, value: str) -> bytes:
    """One header whose value is ASCII (a token, a code, a date, a Message-ID): written as it
    is on one line (RFC 5322's limit is 998 characters; a Message-ID is better not folded)."""
    _check_value(name, value)
    if len(name) + len(value) + 2 > 998 or not value.isascii():
        return _folded(name, value)
    return f"{name}: {value}\r\n".encode("ascii")


def _folded(name: str, value: str) -> bytes:
    """One header encoded and folded by the standard library's policy (addresses, names)."""
    _check_value(name, value)
    return WIRE_POLICY.header_factory(name, value).fold(policy=WIRE_POLICY).encode("ascii")


#: Bytes of UTF-8 per encoded word: 45 bytes are 60 base64 characters, which with
#: ``=?utf-8?b?`` and ``?=`` stay within RFC 2047's 75 and, after the folding space, a line
#: of 78; the first word, after ``Subject: ``, holds 42 (56 characters, a line of 77).
_WORD_BYTES = 45
_FIRST_WORD_BYTES = 42


def _subject(subject: str) -> bytes:
    """The Subject: plain when ASCII and short, else UTF-8 base64 encoded words (RFC 2047),
    each holding whole characters, one to a line."""
    _check_value("Subject", subject)
    if subject.isascii() and len(subject) + 9 <= 78:
        return f"Subject: {subject}\r\n".encode("ascii")
    words: list[bytes] = []
    chunk = b""
    for char in subject:
        encoded = char.encode("utf-8")
        if len(chunk) + len(encoded) > (_WORD_BYTES if words else _FIRST_WORD_BYTES):
            words.append(chunk)
            chunk = b""
        chunk += encoded
    words.append(chunk)
    return b"Subject: " + b"\r\n ".join(
        b"=?utf-8?b?" + binascii.b2a_base64(word, newline=False) + b"?=" for word in words
    ) + CRLF


def _text_part(subtype: str, text: str) -> bytes:
    """A UTF-8 text part, quoted-printable (lines of at most 76 characters, CRLF kept)."""
    data = text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\r\n")
    if not data.endswith("\r\n"):
        data += "\r\n"
    encoded = binascii.b2a_qp(data.encode("utf-8"), istext=True)
    return (f'Content-Type: text/{subtype}; charset="utf-8"\r\n'
            "Content-Transfer-Encoding: quoted-printable\r\n\r\n").encode("ascii") + encoded


def _attachment_part(filename: str, payload: bytes) -> bytes:
    """The questionnaire: base64 in lines of 76 characters."""
    if filename.isascii() and not any(c in filename for c in '"\\\r\n'):
        disposition = f'Content-Disposition: attachment; filename="{filename}"\r\n'.encode()
    else:  # RFC 2231 for a name the simple form cannot carry
        from email.utils import encode_rfc2231

        _check_value("filename", filename)
        disposition = (f"Content-Disposition: attachment;\r\n filename*="
                       f"{encode_rfc2231(filename, 'utf-8')}\r\n").encode("ascii")
    encoded = binascii.b2a_base64(payload, newline=False)
    lines = [encoded[i:i + 76] for i in range(0, len(encoded), 76)]
    return (f"Content-Type: {XLSX_TYPE}\r\nContent-Transfer-Encoding: base64\r\n".encode("ascii")
            + disposition + CRLF + CRLF.join(lines) + CRLF)


def _boundary() -> bytes:
    """A MIME boundary as the standard library makes them (``===============<digits>==``)."""
    return f"{'=' * 15}{_random.randrange(10 ** 18, 10 ** 19)}==".encode("ascii")


def message_text(message: EmailMessage) -> str:
    """Return the plain-text body of a composed message (for previews and tests)."""
    part = message.get_body(preferencelist=("plain",))
    return part.get_content().replace("\r\n", "\n") if part is not None else ""


def message_html(message: EmailMessage) -> str:
    """Return the HTML body of a composed message."""
    part = message.get_body(preferencelist=("html",))
    return part.get_content().replace("\r\n", "\n") if part is not None else ""
