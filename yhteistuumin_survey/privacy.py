"""Erase a person on request: their name, email address and phone number, and nobody else's.

**Who.** The address is matched as a *whole* address (:class:`AddressMatcher`): letter case
aside, and also when spelled ``nimi(at)kunta.fi``, ``nimi [at] kunta.fi`` or ``nimi at kunta.fi``;
never as a part of a longer one (forgetting ``koulu@hel.fi`` leaves ``kalle.koulu@hel.fi``,
``x@sub.hel.fi``, ``koulu+kulttuuri@hel.fi`` and ``koulu@hel.fi.invalid`` alone). The person's
*records* are the rows that carry the address as theirs: contacts with it, practice versions
whose contact it is, raw answers whose contact field holds it, messages sent to it, bounces
about it. The names and phone numbers stored in those records are what is erased beside the
address, and only there (and in files that carry the address): another practice's text that
happens to hold the same name is not this person's record. A contact cell naming two people
("Pekka Puupää; Maija Meikäläinen") is not the person's record either: only their part of it
goes (:func:`drop_person`), and the other contact stays.

**What changes.**

- database: contacts (address replaced by ``erased-<hash8>@invalid``, name and phone cleared,
  status ``erased``); the person's practice versions (contact fields cleared; address, name and
  phone replaced in the card texts); their raw answers (contact fields blanked, texts scrubbed);
  the outbox rows and bounces of the address; contact-list problems; reviewer comments,
  corrected titles and decisions on their practices; received-file senders; the notes ``fetch``
  kept. Any other row loses the address where a text quotes it, and in that text the person's
  full name and phone too (beside the address they are the person's; in a text without it a
  name may be a namesake's, and stays). A phone number of the person's goes from any text,
  unless another person's contact has it too (a switchboard: not theirs alone). A name inside
  another contact's longer name ("Johanna Anna Virtanen" for Anna Virtanen) is that
  person's, and stays everywhere.
- received originals under ``outputs/received``: a file that holds the person's data and nobody
  else's is **deleted**. A file that also holds someone else's (another address, or answers
  that are not the person's) is **kept, with the person's data scrubbed**: deleting it would
  erase the other people's answers as well, and the original is the evidence of what they sent.
  Its bytes then no longer match the content hash it is recorded under; the ReceivedFile row
  (hash, name, size, time) stays as the record that a file came in, and re-ingesting the
  untouched original is still recognised as already received (so it cannot bring the person
  back by accident).
- every other file under ``outputs/`` (outbox copies, reports, review workbooks): a copy of a
  message sent only to the person is deleted; everything else is rewritten without them.
- inside a file, row by row: a line or sheet row that shows someone else's address and not
  this one keeps its text (a namesake, a shared switchboard number) but for a phone number
  of the person's alone; the person's own email
  (From/To/Cc) and a received file holding their answer lose their names and phones even where
  the address is not beside them (a signature).
- inside files it looks into containers: attachments of stored emails (base64 and
  quoted-printable decoded and re-encoded), zip archives, ``.xlsx``/``.ods`` workbooks (which are
  zip archives of XML: edited in place, every other part byte for byte as it was) and gzip.
  A file it cannot look into that still shows the address (an Outlook ``.msg``) is deleted when
  it is a copy, or named in the result to be dealt with by hand.
- the published site is republished from the cleaned database (its search index included).
- the database is made to forget the old values: SQLite with ``secure_delete`` during the
  erasure, then ``VACUUM`` and a truncating WAL checkpoint; PostgreSQL ``VACUUM FULL`` of the
  tables touched. What may still hold the data (backups, PostgreSQL's WAL) is said in the result.
- files the coordinator keeps in the workspace outside ``outputs/`` (the contact list under
  ``recipients/``, answers saved in an inbox folder before ingest) are not edited: they are
  named in the result, to be fixed by hand.

``dry_run=True`` works out all of this and changes nothing: no row, no file (not even the key).
An :class:`~.db.models.Erasure` row records the request by a keyed hash of the address, the
counts per place and the messages on the mail server that held the person (the coordinator's
account, folder and UIDs, which a later run names again), never the data. Running it again
changes nothing.
"""

from __future__ import annotations

import gzip
import hashlib
import hmac
import html
import io
import re
import secrets
import unicodedata
import zipfile
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import InputError
from .reports import plural, render_table

if TYPE_CHECKING:
    from email.message import Message

    from sqlmodel import Session

    from .config import Settings
    from .workspace import Workspace

#: What replaces an erased name or phone number inside a text (the texts are Finnish).
ERASED = "[poistettu]"
#: What a Swedish card shows in its place on the site (``cards.build_card``).
ERASED_SV = "[borttaget]"
#: What stands for it in what the command prints (English, as the CLI speaks).
ERASED_SHOWN = "[erased]"
#: What ``person`` shows in place of someone else's address or phone in a text.
OTHERS_SHOWN = "[someone else's detail]"
KEY_FILE = ".erasure-key"
#: The keyed hashes of erasures begun and not finished (a process killed half-way).
PENDING_FILE = ".erasure-pending"
#: Every table an erasure may change (rewritten on PostgreSQL when forget is run again).
_ERASED_TABLES = {"contact", "practiceversion", "submission", "outboundmessage", "bounce",
                  "coordinatorrecord",
                  "contactproblem", "practice", "reviewdecision", "receivedfile",
                  "fetchedmessage"}
_CONTACT_FIELDS = ("contact_name", "contact_email", "contact_phone")
_VERSION_TEXTS = ("title", "goal", "summary", "implementation", "resources", "experiences",
                  "benefits", "municipality_text")
#: Characters that may stand in the local part of an address: the one before a match must
#: not be one of them, or the match is the tail of a longer address.
_LOCAL_CHARS = r"[\w.!#$%&'*+/=?^`{|}~-]"
#: An at sign written as an HTML character reference ("anna&#64;kunta.fi", as a web page or
#: an HTML mail hides an address from harvesters), outside the XML that is read unescaped.
_AT_REFERENCE = r"&#0*64;?|&#[xX]0*40;?|&commat;"
#: An at sign: as typed, spelled out, percent-encoded, as a character reference, or
#: full-width ("＠", U+FF20, as an East Asian input method types it; "﹫", U+FE6B).
_AT = (r"(?:\s*(?:@|\uff20|\ufe6b|\(at\)|\[at\]|\{at\})\s*|\s+at\s+|%40|"
       + _AT_REFERENCE + ")")
#: The query keys an address is given by in a link ("?email=…", "&to=…").
_QUERY_KEYS = "|".join(rf"(?<=[?&]{key}=)" for key in ("email", "mail", "to", "sahkoposti",
                                                        "e-mail", "epost"))
#: Any address, to tell whether a file also holds someone else's data.
_ANY_ADDRESS = re.compile(r"(?<![\w.+-])[\w.+-]+(?:@|\(at\)|\[at\]|" + _AT_REFERENCE
                          + r")[\w-]+(?:\.[\w-]+)+", re.IGNORECASE)
#: What every address in any of its spellings holds (a quick test before the slow pattern).
_AT_SIGN = re.compile(r"@|\uff20|\ufe6b|\((?i:at)\)|\[(?i:at)\]|(?i:" + _AT_REFERENCE + ")")
#: Headers whose values look like addresses but name messages or hosts, not people.
_NOT_PEOPLE_HEADERS = {"message-id", "in-reply-to", "references", "received", "dkim-signature",
                       "x-yhteistuumin-token", "list-unsubscribe", "content-id"}
_MAX_SCAN = 200_000_000


# --- the one matcher ---------------------------------------------------------------------


def _domain_forms(domain: str) -> list[str]:
    """Return a domain as written and in its other form: an internationalised domain in
    Unicode ("äänekoski.fi") and as DNS spells it ("xn--nekoski-4waa.fi")."""
    domain = unicodedata.normalize("NFC", domain)
    forms = [domain]
    try:
        if not domain.isascii():
            forms.append(domain.encode("idna").decode("ascii"))
        elif "xn--" in domain.casefold():
            forms.append(domain.casefold().encode("ascii").decode("idna"))
    except UnicodeError:
        pass
    return forms


def _either_form(text: str) -> str:
    """Return a pattern for ``text`` written in either Unicode form: a letter with a
    diacritic composed ("ä", as typed) or decomposed ("a" and U+0308, as macOS file names and
    some mail programs write it)."""
    parts = []
    for char in unicodedata.normalize("NFC", text):
        decomposed = unicodedata.normalize("NFD", char)
        parts.append(f"(?:{re.escape(char)}|{re.escape(decomposed)})" if decomposed != char
                     else re.escape(char))
    return "".join(parts)


def canonical_address(email: str) -> str:
    """Return an address as one person's key: letter case folded, its domain in Unicode
    (what the keyed hash of an erasure is taken of)."""
    local, _, domain = unicodedata.normalize("NFKC", email.strip()).rpartition("@")
    return f"{local}@{_domain_forms(domain)[-1] if domain.isascii() else domain}".casefold()


#: An address with a display name ("Maija M" <maija@…>), a comment (maija@… (Maija)) or the end
#: of a sentence after it: the address inside is the value.
_DISPLAY_FORM = re.compile(r'(?:"[^"]*"|[^<>@,;"]*)\s*<\s*(?P<a>[^<>\s]+)\s*>'
                           r"|(?P<b>[^\s()]+)\s*\([^()@]*\)|(?P<c>\S+?)[.,;:]")


_LOCAL_TAIL = re.compile(r"[\w.+-]+\Z")
_DOMAIN_HEAD = re.compile(r"[\w-]+(?:\.[\w-]+)+")


def _addresses(text: str) -> Iterable[str]:
    """Yield what :data:`_ANY_ADDRESS` finds in ``text``, found from each "@" (or "(at)")
    outwards: the pattern itself, searched from every word, is slow on a long text."""
    for at in _AT_SIGN.finditer(text):
        local = _LOCAL_TAIL.search(text, max(0, at.start() - 200), at.start())
        domain = _DOMAIN_HEAD.match(text, at.end())
        if local and domain and (local.start() == 0 or local.start() > at.start() - 200):
            yield local.group(0) + at.group(0) + domain.group(0)


#: Characters of a text folded at a time when looking for a local part.
_FOLD_SLICE = 1 << 18
#: Bytes read at a time for the address, and the bytes around them read with them (more
#: than an address, in any of its forms, takes up as UTF-16).
_BYTES_SLICE = 1 << 20
_BYTES_AROUND = 4096


class AddressMatcher:
    """Find one email address as a whole address inside texts (shared by forget and person)."""

    def __init__(self, email: str):
        # One person however the address is written: "ä" composed or decomposed, a
        # full-width at sign (NFKC makes "＠" "@"; it is the same address).
        email = unicodedata.normalize("NFKC", email.strip())
        local, _, domain = email.rpartition("@")
        if not local or "." not in domain or any(ch.isspace() for ch in email) or not domain:
            raise InputError(f"{email!r}: not an email address; give the person's address, "
                             "e.g. etunimi.sukunimi@kunta.fi")
        self.address = email.casefold()
        #: Every form of the address holds its local part as written: a text without it
        #: need not be searched (the pattern, a look-behind first, is searched slowly).
        self.local: str | None = local.casefold()
        domains = "|".join(_either_form(form) for form in _domain_forms(domain))
        local_pattern = _either_form(local)
        end = r"(?![\w-]|\.[\w-])"
        # Also as a URL's query value, where "=" comes before it: percent-encoded after any
        # key ("?to=maija%40kunta.fi"), as typed after the usual ones ("&email=maija@…").
        self.pattern = re.compile(
            rf"(?<!{_LOCAL_CHARS}){local_pattern}{_AT}(?:{domains}){end}"
            rf"|(?<==){local_pattern}%40(?:{domains}){end}"
            rf"|(?:{_QUERY_KEYS}){local_pattern}@(?:{domains}){end}", re.IGNORECASE)

    @classmethod
    def nothing(cls) -> AddressMatcher:
        """A matcher that finds no address (for names and phones alone)."""
        matcher = cls.__new__(cls)
        matcher.address, matcher.pattern, matcher.local = "", re.compile(r"(?!)"), None
        return matcher

    def could_be_in(self, text: str) -> bool:
        """Tell whether ``text`` may hold the address (its local part is in it, in either
        Unicode form).

        A long text is folded a slice at a time: ``str.casefold`` holds about 13 bytes a
        character while it works (559 MB for a 43 MB message read as Latin-1 by forget, 301 MB
        more for the same read as UTF-16). Slices overlap by more than the local part can
        take up unfolded, so a match across a cut is found."""
        if self.local is None:
            return False
        if len(text) <= _FOLD_SLICE:
            return self._local_in(text)
        overlap = 4 * len(self.local) + 8
        return any(self._local_in(text[max(0, start - overlap):start + _FOLD_SLICE])
                   for start in range(0, len(text), _FOLD_SLICE))

    def _local_in(self, text: str) -> bool:
        assert self.local is not None
        folded = text.casefold()
        return self.local in folded or (not self.local.isascii() and not folded.isascii()
                                        and self.local in unicodedata.normalize("NFC", folded))

    def is_address(self, value: Any) -> bool:
        """Tell whether ``value`` is the address itself (maybe in angle brackets or mailto:)."""
        if not isinstance(value, str):
            return False
        text = value.strip()
        display = _DISPLAY_FORM.fullmatch(text)
        if display:
            text = display.group("a") or display.group("b") or display.group("c")
        text = text.strip("<>").strip()
        if text[:7].casefold() == "mailto:":
            text = text[7:].partition("?")[0]
        return bool(self.pattern.fullmatch(text))

    def mentions(self, value: Any) -> bool:
        """Tell whether a text, or any string inside a JSON value, holds the address."""
        if isinstance(value, str):
            return self.could_be_in(value) and self.pattern.search(value) is not None
        if isinstance(value, list | tuple):
            return any(self.mentions(item) for item in value)
        if isinstance(value, dict):
            return any(self.mentions(item) for item in value.values())
        return False

    def mentions_bytes(self, data: bytes) -> bool:
        """Tell whether raw bytes show the address (as UTF-8/Latin-1 text or UTF-16, as .msg).

        Long bytes are read a slice at a time (decoded whole, a 32 MB attachment took 126 MB
        more): each slice with the bytes around it, an address counted in the slice it
        begins in, so one across a cut is found once and a cut one is not taken for it."""
        if self.local is None:
            return False
        if len(data) <= _BYTES_SLICE + 2 * _BYTES_AROUND:
            return self._mentions_in(data, 0, len(data), len(data))
        return any(self._mentions_in(data[max(0, start - _BYTES_AROUND):
                                          start + _BYTES_SLICE + _BYTES_AROUND],
                                     min(start, _BYTES_AROUND),
                                     min(start, _BYTES_AROUND) + _BYTES_SLICE,
                                     len(data) - max(0, start - _BYTES_AROUND))
                   for start in range(0, len(data), _BYTES_SLICE))

    def _mentions_in(self, piece: bytes, begin: int, stop: int, whole: int) -> bool:
        """Whether an address begins in ``piece[begin:stop]`` and ends where what follows it
        is in ``piece`` too (``whole``: the bytes from the piece's start to the data's end)."""
        assert self.local is not None
        ascii_local = self.local.isascii()
        decoded = []
        if not ascii_local or self.local.encode("utf-8") in piece.lower():
            decoded.append((piece.decode("latin-1"), 1))
        decoded.append((piece.decode("utf-16-le", errors="ignore"), 2))
        for text, width in decoded:
            if not self.could_be_in(text):
                continue
            first, last = begin // width, -(-stop // width)
            # Near the piece's end a match may be cut short (unless the data ends there).
            end = len(text) if len(piece) >= whole else len(text) - 8
            if any(first <= found.start() < last and found.end() <= end
                   for found in self.pattern.finditer(text)):
                return True
        return False

    def others(self, text: str, ignore: Iterable[str] = ()) -> set[str]:
        """Return the addresses in ``text`` that are not this one (nor in ``ignore``)."""
        skip = {address.casefold() for address in ignore}
        found = set()
        for value in _addresses(text):
            folded = re.sub(r"\(at\)|\[at\]|\uff20|\ufe6b|" + _AT_REFERENCE, "@",
                            value.casefold())
            if self.is_address(value) or folded in skip or folded.endswith("@invalid"):
                continue
            found.add(folded)
        return found


def _tag_pattern(matcher: AddressMatcher) -> re.Pattern[str] | None:
    """Return a pattern for the person's address with any "+tag" in its local part, or
    without hers ("anna+kulttuuri@kunta.fi" and "anna@kunta.fi" are one mailbox on most mail
    servers, but may be two people's addresses: never taken for hers, only named)."""
    local, _, domain = matcher.address.rpartition("@")
    base = local.partition("+")[0]
    if not base or not domain:
        return None
    domains = "|".join(_either_form(form) for form in _domain_forms(domain))
    return re.compile(rf"(?<!{_LOCAL_CHARS}){_either_form(base)}(?:\+[\w.+-]*)?@(?:{domains})"
                      r"(?![\w-]|\.[\w-])", re.IGNORECASE)


def tagged_addresses(session: Session, matcher: AddressMatcher) -> dict[str, int]:
    """Return the addresses in the database that are the person's but for a "+tag" (hers
    with one, or without hers), with the number of rows that hold each.

    They are not hers for sure: ``forget`` and ``person`` leave them alone and name them for
    the coordinator to ask her (the design: a value not sure is flagged, never guessed)."""
    import json

    from sqlmodel import select

    from .db.models import Bounce, Contact, OutboundMessage, PracticeVersion, Submission

    pattern = _tag_pattern(matcher)
    if pattern is None:
        return {}
    base = matcher.address.rpartition("@")[0].partition("+")[0]
    texts: list[Any] = [
        *session.exec(select(Contact.email)),
        *(f"{email or ''} {text or ''}" for email, text in session.exec(
            select(PracticeVersion.contact_email, PracticeVersion.contact_text))),
        *(json.dumps(raw, ensure_ascii=False) for raw in session.exec(select(Submission.raw))),
        *session.exec(select(OutboundMessage.address)),
        *(f"{address or ''} {detail or ''}" for address, detail in session.exec(
            select(Bounce.address, Bounce.detail)))]
    found: Counter[str] = Counter()
    for text in texts:
        if not isinstance(text, str) or base not in text.casefold():
            continue
        for address in {m.group(0).casefold() for m in pattern.finditer(text)}:
            if not matcher.is_address(address):
                found[address] += 1
    return dict(sorted(found.items()))


def named_addresses(session: Session, matcher: AddressMatcher, names: Iterable[str]
                    ) -> list[str]:
    """Return the other addresses of the round (contacts, practices' contacts) made of one of
    the person's names ("anna.virtanen@" beside anna@ of Anna Virtanen, :func:`named_address`):
    another person's by the rule (an address is a person), and so left alone by ``forget``
    and ``person``, but perhaps another of hers, for the coordinator to ask her about."""
    from sqlmodel import select

    from .db.models import Contact, PracticeVersion

    names = list(names)
    if not names:
        return []
    addresses = {*session.exec(select(Contact.email)),
                 *session.exec(select(PracticeVersion.contact_email))}
    return sorted({address.casefold() for address in addresses if address
                   and named_address(address, names) and not matcher.is_address(address)})


def named_lines(found: list[str], command: str) -> list[str]:
    """What the coordinator is told of other addresses made of her name."""
    return [f"{address}: another address made of her name is in the database; it was left "
            "alone, as it may be someone else's: ask her, and if it is hers, run "
            f"'yhteistuumin {command} {address}' too" for address in found]


def unreadable_outputs(workspace: Workspace) -> dict[str, str]:
    """The files under outputs/ whose text cannot be read here (:func:`_unreadable`: a PDF
    kept as received), the published site aside, each with why: ``person`` names them for
    the coordinator to look at by hand, as ``forget`` does."""
    found: dict[str, str] = {}
    published = [folder.resolve() for folder in _published_folders(workspace)]
    for path in sorted(workspace.outputs.rglob("*")) if workspace.outputs.is_dir() else []:
        if path.is_symlink() or not path.is_file() or any(
                _inside(path, folder) for folder in published):
            continue
        try:
            with path.open("rb") as stream:
                why = _unreadable(stream.read(8))
        except OSError:
            continue
        if why:
            found[path.relative_to(workspace.root).as_posix()] = why
    return found


def tagged_lines(found: dict[str, int], command: str) -> list[str]:
    """What the coordinator is told of addresses that are hers but for a "+tag"."""
    return [f"{address}: the same address as hers but for a '+tag' is in "
            f"{plural(rows, 'row')} of the database; it was left alone, as it may be someone "
            f"else's: ask her, and if it is hers, run 'yhteistuumin {command} {address}' too"
            for address, rows in found.items()]


#: Finnish case endings a name takes in running text, the colon forms of foreign names
#: ("Smith:lle") and the Swedish genitive ("Anna Eks").
_NAME_ENDINGS = (r"(?::?(?:n|a|ä|ta|tä|lla|llä|lta|ltä|lle|ssa|ssä|sta|stä|na|nä|ksi|han|hen|"
                 r"hin|hun|hyn|hön|ni|nsa|nsä|kin|s))?")


#: The forms of a surname in -nen, whose stem is -se-/-s- in every case but the first
#: ("Meikäläisen", "Meikäläiselle", "Meikäläistä", "Meikäläisenä", "Meikäläiset"), and its
#: Swedish genitive ("Meikäläinens").
_NEN_ENDINGS = (r"(?:nen(?:s|'s|:?(?:kin|han|hän))?|s(?:e(?:n|ssa|ssä|sta|stä|en|lla|llä|lta|ltä|"
                r"lle|na|nä|ksi|t|nsa|nsä|kin)?|t[aä]|ten|i(?:a|ä|en|in|lla|llä|lle|lta|ltä|"
                r"ssa|ssä|sta|stä|na|nä|ksi)))")

_VOWELS = "aeiouyäöå"
#: Consonant gradation, strong to weak, of the consonants before a stem's last vowel
#: ("Mäke-" → "Mäe-", "Korve-" ← "Korpi", "Lahde-" ← "Lahti", "Lukka" → "Lukan").
_WEAK_GRADES = (("kk", "k"), ("pp", "p"), ("tt", "t"), ("nk", "ng"), ("mp", "mm"), ("nt", "nn"),
                ("lt", "ll"), ("rt", "rr"), ("ht", "hd"), ("lp", "lv"), ("rp", "rv"), ("k", ""),
                ("p", "v"), ("t", "d"))


def _weak_grade(stem: str) -> str | None:
    """Return the weak grade of a stem ending in a consonant (or two) and a vowel, or None."""
    body, vowel = stem[:-1], stem[-1]
    for strong, weak in _WEAK_GRADES:
        before = body[:-len(strong)]
        if body.casefold().endswith(strong) and before and before[-1].casefold() in _VOWELS:
            return before + weak + vowel
    return None


def _surname_forms(last: str) -> str:
    """Return a pattern for a surname (not one in -nen) in its Finnish cases.

    A name ending in a consonant takes a linking i ("Lindroosille", "Ekin", "Marinia"); one in
    -i mostly has an e-stem ("Niemelle", "Mäkeä", "Mäen", "Lahdelle"); a stem whose last
    consonants grade takes its weak form too ("Lukka" → "Lukan").
    """
    folded = last.casefold()
    if folded[-1] not in _VOWELS:
        cases = r"n|a|ä|ta|tä|lla|llä|lta|ltä|lle|ssa|ssä|sta|stä|na|nä|ksi|in|ni|nsa|nsä"
        return rf"{re.escape(last)}(?:[i:](?:{cases})(?:kin)?|:?(?:kin|han|hän)|s|')?"
    stems = [last]
    if folded.endswith("i") and len(folded) > 3:
        stems.append(last[:-1] + "e")
    stems += [weak for weak in (_weak_grade(stem) for stem in list(stems)) if weak]
    alternatives = "|".join(re.escape(stem) for stem in dict.fromkeys(stems))
    return rf"(?:{alternatives}){_NAME_ENDINGS}"


def name_pattern(name: str) -> re.Pattern[str]:
    """Return a pattern for a name as a whole, any spacing, its last word in its Finnish cases
    (a surname in -nen in all its forms; see :func:`_surname_forms` for the others).

    Not inside a longer name joined by a hyphen ("Maija-Anna Virtanen", "Anna Virtanen-Koski":
    another person, as an address inside another address is); a Finnish ending after a hyphen
    is still the name ("Anna Virtanen -niminen")."""
    return re.compile(rf"(?<!\w)(?<!{_JOINED}-){_name_body(name)}(?!\w)(?!-{_NAMED})",
                      re.IGNORECASE)


#: A word before a hyphen that joins it to a name; a capitalised word after one (the case is
#: told even in a pattern that ignores it: "-hanke" is a compound, "-Koski" a name).
_JOINED, _NAMED = r"[^\W\d_]", r"(?-i:[^\W\d_a-zåäöüø])"


def _name_body(name: str) -> str:
    """A name's words as a pattern, any spacing, its last word in its Finnish cases."""
    words = name.split()
    last = words[-1]
    if len(last) > 4 and last.casefold().endswith("nen"):
        forms = f"{re.escape(last[:-3])}{_NEN_ENDINGS}"
    else:
        forms = _surname_forms(last)
    return "".join(rf"{re.escape(part)}\s+" for part in words[:-1]) + forms


def joined_name_pattern(name: str) -> re.Pattern[str]:
    """A name joined by a hyphen to another name, as a whole ("Anna Virtanen-Koski",
    "Maija-Anna Virtanen"): what ``name_pattern`` leaves as another person's, to be named in
    what forget says (it may be the person's own double name)."""
    body = _name_body(name)
    return re.compile(rf"(?<!\w)(?:[^\W\d_]+-{body}|{body}-{_NAMED}\w*)(?!\w)", re.IGNORECASE)


class _Scrubber:
    """Replace the address, and the person's names and phones, inside texts."""

    def __init__(self, matcher: AddressMatcher, replacement: str, erased: str = ERASED):
        self.matcher = matcher
        self.replacement = replacement
        self.erased = erased
        self.names: set[str] = set()
        self._phones: set[str] = set()
        #: Other people's names that hold one of ``names`` ("Johanna Anna Virtanen" holds
        #: "Anna Virtanen"): left whole, as an address inside another address is another's.
        self.kept: set[str] = set()
        #: Her names joined by a hyphen to another name, as found and left in the texts
        #: ("Anna Virtanen-Koski"): another person's, or her own double name; forget says so.
        self.joined: set[str] = set()
        self._shared: set[str] = set()
        #: Made of the numbers when first asked for, dropped when they change.
        self._alone: _Scrubber | None = None
        self._tails: re.Pattern[str] | None = None

    @property
    def phones(self) -> set[str]:
        """The person's phone numbers, as digits."""
        return self._phones

    @phones.setter
    def phones(self, phones: set[str]) -> None:
        self._phones, self._alone, self._tails = phones, None, None

    @property
    def shared(self) -> set[str]:
        """Her phone numbers (``phone_core``) that another person's contact has too (a
        municipality's switchboard): not hers alone, so left where her address is not."""
        return self._shared

    @shared.setter
    def shared(self, shared: set[str]) -> None:
        self._shared, self._alone = shared, None

    def know(self, records: PersonRecords) -> None:
        """Take the person's names and phones, the longer names of others to leave and the
        numbers she shares with others."""
        self.names, self.phones = set(records.names), set(records.phones)
        self.kept = set(records.longer_names)
        self.shared = set(records.shared_phones)

    def add_name(self, name: Any) -> None:
        # Only a full name (two words or more) is erased inside texts: a lone first name
        # would also erase ordinary words.
        if isinstance(name, str) and len(name.split()) >= 2 and len(name.strip()) >= 5:
            name = unicodedata.normalize("NFC", name)
            self.names.add(" ".join(name.split()))
            words = name.split()
            if len(words) == 2:
                # Lists put the surname first ("VIRTANEN LIISA"); texts the other way round.
                self.names.add(f"{words[1]} {words[0]}")

    def name_words(self) -> set[str]:
        """Each word of the person's names (a first name alone: "soitin Maijalle")."""
        return {word for name in self.names for word in name.split()
                if len(word) >= 3 and not word.endswith(".")}

    def notes(self, text: str) -> str:
        """Return a note on the person's own practice without them: as :meth:`text`, and any
        word of their name alone too (a reviewer writes "soitin Maijalle")."""
        result = self._composed(self.text(text), words=True)
        for word in sorted(self.name_words(), key=len, reverse=True):
            result = name_pattern(word).sub(self.erased, result)
        return result

    def _composed(self, text: str, *, words: bool = False) -> str:
        """Return ``text`` composed (NFC) where only so it shows a name of the person ("ä"
        written as "a" and U+0308, as a Mac names files); any other text as it is."""
        if not self.names or text.isascii() or unicodedata.is_normalized("NFC", text):
            return text
        composed = unicodedata.normalize("NFC", text)
        names = self.name_words() if words else self.names
        return composed if any(name_pattern(name).search(composed) and not
                               name_pattern(name).search(text) for name in names) else text

    def _without_name(self, name: str, text: str) -> str:
        pattern = name_pattern(name)
        if not self.kept or pattern.search(text) is None:
            return pattern.sub(self.erased, text)
        spans = [found.span() for kept in self.kept for found in name_pattern(kept).finditer(text)]
        return pattern.sub(lambda m: m.group(0) if any(
            start <= m.start() and m.end() <= end for start, end in spans) else self.erased, text)

    def add_phone(self, phone: Any) -> None:
        digits = re.sub(r"\D", "", str(phone or ""))
        if len(digits) >= 6:
            self._phones.add(digits)
            self._alone = self._tails = None

    def address(self, text: str) -> str:
        """Return ``text`` with only the address replaced (for rows that are not the person's)."""
        if not self.matcher.could_be_in(text):
            return text
        return self.matcher.pattern.sub(self.replacement, text)

    def quoted(self, text: str) -> str:
        """Return someone else's ``text`` with the address replaced, and where it quotes the
        address, the person's names and phone numbers too ("Anna Virtanen (anna@kunta.fi)
        auttoi alussa"): the name beside her address is hers. A text without the address
        keeps any name (a namesake) but not a number of hers alone ("lisätietoja Annalta,
        p. 040 111 2222"): a namesake has another number. A number another person's contact
        has too (``shared``: a switchboard) stays there."""
        if self.matcher.mentions(text):
            return self.text(text)
        alone = self.alone()
        return self._without_phones(text, alone.phones) if alone.may_hold(text) else text

    def alone(self) -> _Scrubber:
        """A scrubber of her numbers that no one else's contact has, and nothing else: what
        goes from someone else's text (or row of a file) that does not quote her address.
        Made once for the numbers (each text of every other row asks)."""
        if self._alone is None:
            self._alone = _Scrubber(self.matcher, self.replacement, self.erased)
            self._alone.phones = {digits for digits in self.phones
                                  if phone_core(digits) not in self.shared}
        return self._alone

    def may_hold(self, text: str) -> bool:
        """Whether ``text`` may hold one of the numbers (their last four digits, with the
        separators a number may have between them): most texts are passed over at C speed."""
        if not self.phones:
            return False
        if self._tails is None:
            self._tails = re.compile("|".join(sorted({r"[\s\-()]*".join(digits[-4:])
                                                      for digits in self.phones})))
        return self._tails.search(text) is not None

    def text(self, text: str) -> str:
        """Return ``text`` with the address, the names and the phone numbers replaced (not
        a name that is part of another person's longer name, ``kept``)."""
        result = self._composed(self.address(text))
        for name in sorted(self.names, key=len, reverse=True):
            result = self._without_name(name, result)
            if "-" in result:
                self.joined.update(found.group(0) for found in
                                   joined_name_pattern(name).finditer(result))
        return self._without_phones(result, self.phones)

    def _without_phones(self, text: str, phones: Iterable[str]) -> str:
        """Return ``text`` with each of ``phones`` (digits) replaced, as typed in any of the
        usual ways: "040 123 4567", "+358-40-1234567", "(040) 1234 567"."""
        for digits in sorted(phones, key=len, reverse=True):
            pattern = (r"(?<![\d+])(?:\+\s*358|00\s*358|0)?[\s\-()]*"
                       + r"[\s\-()]*".join(phone_core(digits)) + r"(?!\d)")
            text = re.sub(pattern, self.erased, text)
        return text

    def value(self, value: Any, *, whole: bool = True) -> Any:
        """Return a JSON value with every string in it scrubbed (``whole``: names too)."""
        if isinstance(value, str):
            return self.text(value) if whole else self.quoted(value)
        if isinstance(value, list):
            return [self.value(item, whole=whole) for item in value]
        if isinstance(value, dict):
            return {key: self.value(item, whole=whole) for key, item in value.items()}
        return value


#: The scrubber, for ``person`` (what it shows is what ``forget`` would take out).
Scrubber = _Scrubber


_NON_DIGITS = re.compile(r"\D+")
#: A run of digits that can be a phone number inside a contact text.
_PHONE_LIKE = re.compile(r"(?<![\w+])\+?\d[\d\s\-()]{4,}\d(?!\w)")


def phone_core(digits: str) -> str:
    """A phone number's digits without its country code or trunk 0, as every way of typing
    it has them ("040 123 4567", "+358 40 1234567" and "00358401234567": "401234567")."""
    return digits[3:] if digits.startswith("358") else digits.lstrip("0")


def phone_cores(text: Any) -> set[str]:
    """The cores (:func:`phone_core`) of the phone numbers in a contact's phone cell or
    text: numbers of six digits or more, each however spaced."""
    if not isinstance(text, str) or not text:
        return set()
    return {phone_core(digits) for digits in (_NON_DIGITS.sub("", found.group(0))
                                              for found in _PHONE_LIKE.finditer(text))
            if len(digits) >= 6}


def hide_others(text: Any, matcher: AddressMatcher, phones: Iterable[str],
                label: str = OTHERS_SHOWN) -> Any:
    """Return ``text`` with every address but the person's, and every phone number but
    theirs, replaced by ``label`` (what ``person`` shows of a text others are in too)."""
    if not isinstance(text, str) or not text:
        return text
    own = {re.sub(r"\D", "", phone)[-7:] for phone in phones}
    text = _ANY_ADDRESS.sub(lambda m: m.group(0) if matcher.is_address(m.group(0)) else label,
                            text)
    # Fewer than six digits is no phone number (as _Scrubber.add_phone has it): a mail server's
    # status codes run together ("5.1.1 550 5.1.1 User unknown") stay as they are.
    return _PHONE_LIKE.sub(lambda m: m.group(0) if _NON_DIGITS.sub("", m.group(0))[-7:] in own
                           or len(_NON_DIGITS.sub("", m.group(0))) < 6 else label, text)


def contact_hider(name: str | None, email: str | None, phone: str | None,
                  text: str | None, label: str) -> Callable[[str], str]:
    """Return what hides one contact's details inside the texts of a card published without
    their consent: their addresses (the contact's own and those in its contact text), their
    phone numbers and their name (in its cases, either word order) become ``label``.

    Other addresses and numbers in the texts (a library's desk, a booking line) stay, but for
    an address made of the contact's name ("anna.virtanen@", "avirtanen@" beside "Anna
    Virtanen"): hers as surely as her name is (:func:`named_address`).
    """
    written = " ".join(filter(None, (email, text)))
    found = sorted({re.sub(r"\s*(?:\(at\)|\[at\])\s*", "@", m.group(0))
                    for m in _ANY_ADDRESS.finditer(written)}) if _AT_SIGN.search(written) else []
    people = _Scrubber(AddressMatcher.nothing(), label, label)
    people.add_name(name)
    for number in [phone, *_PHONE_LIKE.findall(text or "")]:
        people.add_phone(number)
    # What any of it shows for sure, to pass over the many texts that quote none of it: an
    # address's local part, a name's first word (only the last one is inflected), a phone
    # number's last four digits (with the separators the phone pattern allows between them:
    # a search for a pattern that starts with a digit is quick). The patterns are made for
    # the first text that does.
    words = {address.rpartition("@")[0].casefold() for address in found}
    words |= {full.split()[0].casefold() for full in people.names}
    scrubbers: list[_Scrubber] = []

    def hide(value: str) -> str:
        folded = value.casefold()
        if not any(word in folded for word in words) and not people.may_hold(value):
            return value
        if not scrubbers:
            for address in found:
                try:
                    scrubbers.append(_Scrubber(AddressMatcher(address), label, label))
                except InputError:
                    continue
            scrubbers.append(people)
        if "@" in value and people.names:
            value = _ANY_ADDRESS.sub(lambda m: label if named_address(m.group(0), people.names)
                                     else m.group(0), value)
        for scrubber in scrubbers:
            value = scrubber.text(value)
        return value

    return hide


def named_address(address: str, names: Iterable[str]) -> bool:
    """Whether an address's local part is made of one of ``names`` (full names, first name
    first): every word of it ("anna.virtanen", "virtanen_anna", "annavirtanen"), or the first
    name's initial and the surname ("avirtanen", "a.virtanen", "virtanen.a"), letters with
    their marks taken off as addresses have them ("meikalainen" for Meikäläinen)."""
    from .survey import strip_diacritics

    forms = _address_forms(tuple(sorted(names)))
    local = address.rpartition("@")[0].casefold()
    # Every form holds the surname: most addresses are passed over without more.
    if not any(surname in local for _w, _wh, _i, surnames in forms for surname in surnames):
        return False
    local = strip_diacritics(local)
    parts = [part for part in re.split(r"[._\-+]", local) if part]
    return any(words <= set(parts) or local in whole or parts in initialled
               for words, whole, initialled, _s in forms)


@lru_cache(maxsize=64)
def _address_forms(names: tuple[str, ...]) -> list[tuple[set[str], set[str], list[list[str]],
                                                        set[str]]]:
    """For each full name, what an address made of it holds (``named_address``): its words,
    the local parts that are it whole ("annavirtanen", "avirtanen", "virtanena"), the local
    parts of an initial and the surname (["a", "virtanen"]), and the surname as typed and
    without its marks (the last word, which every form holds); made once per person."""
    from .survey import strip_diacritics

    forms = []
    for name in names:
        typed = [word.casefold() for word in re.split(r"[\s\-]+", name) if word]
        words = [strip_diacritics(word) for word in typed]
        if len(words) >= 2:
            first, last = words[0], words[-1]
            forms.append((set(words), {"".join(words), first[0] + last, last + first[0]},
                          [[first[0], last], [last, first[0]]], {last, typed[-1]}))
    return forms


# --- result ------------------------------------------------------------------------------


@dataclass
class Place:
    """One place the person appears, in plain words, and what happens (happened) to it."""

    where: str
    action: str
    kind: str = ""


@dataclass
class ErasureResult:
    """What ``forget`` changed (or, in a dry run, would change), place by place."""

    subject_hash: str
    dry_run: bool = False
    places: list[Place] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    recorded: bool = False
    #: Files outside outputs/ that still hold the address (the coordinator's own inputs).
    left: list[str] = field(default_factory=list)
    #: Files outside outputs/ forget could not look into: path → why (unreadable, too large).
    unchecked: dict[str, str] = field(default_factory=dict)
    #: What may still hold the erased values, and how to clear it.
    remains: list[str] = field(default_factory=list)
    #: Messages on the mail server that hold the person (named in ``remains``).
    on_server: int = 0
    #: Addresses that are hers but for a "+tag", left alone (named in ``remains``).
    tagged: dict[str, int] = field(default_factory=dict)

    @property
    def changed(self) -> int:
        return sum(self.counts.values())

    @property
    def failed(self) -> bool:
        """A place still holds the person, or could not be looked into, and has to be seen
        to by hand."""
        return (any(place.kind == "files_to_check" for place in self.places)
                or bool(self.unchecked)) and not self.dry_run

    def rows(self) -> list[dict[str, Any]]:
        return [{"place": place, "changed": count} for place, count in sorted(self.counts.items())]

    def table(self) -> tuple[list[str], list[dict[str, Any]]]:
        return ["where", "action"], [{"where": p.where, "action": p.action} for p in self.places]

    def summary(self) -> list[str]:
        lines: list[str] = []
        n = len(self.places)
        if not n and self.on_server:
            # Run again after an erasure: nothing here, but her messages fetch read are
            # still on the server (named below); "nothing to erase" would say they are gone.
            lines.append("Nothing left to erase here: the address is nowhere in the database "
                         "or under outputs/ any more. The "
                         + ("message" if self.on_server == 1 else
                            f"{self.on_server} messages")
                         + " on the mail server named below "
                         + ("remains" if self.on_server == 1 else "remain")
                         + " for you to delete there.")
        elif not n:
            lines.append("Nothing to erase: the address is nowhere in the database or under "
                         "outputs/.")
        elif self.dry_run:
            lines.append(f"Dry run: the person appears in {n} place{'' if n == 1 else 's'}; "
                         "nothing was changed.")
        else:
            # A place left to be seen to by hand was not erased from: said apart.
            left = sum(place.kind == "files_to_check" for place in self.places)
            done = n - left
            lines.append((f"Erased from {done} place{'' if done == 1 else 's'}" if done
                          else "Nothing was erased") + (
                f"; {left} left to check by hand." if left else "."))
        if self.recorded:
            lines.append(f"Recorded as erasure {self.subject_hash[:12]}… (a keyed hash, "
                         "not the address).")
        lines += [f"{path}: still holds the address; remove that row by hand, or the next "
                  "contact import brings the person back" if path.startswith("recipients/")
                  else f"{path}: still holds the address; it is outside outputs/, so forget "
                  "does not change it: delete it or take the person out by hand"
                  for path in self.left]
        lines += self._unchecked_lines()
        lines += self.remains
        lines += tagged_lines(self.tagged, "forget")
        return lines

    def _unchecked_lines(self) -> list[str]:
        return [f"{path}: {why}, so forget could not tell whether it holds the person; "
                "check it by hand" for path, why in self.unchecked.items()]

    def text(self) -> str:
        """The places and what was (or would be) done there, then the summary; the places
        that still hold the person go to :meth:`warnings`."""
        columns, rows = self.table()
        lines = [render_table(rows, columns, ["where", "would happen" if self.dry_run
                                              else "what was done"])] if rows else []
        warnings = set(self.warnings())
        return "\n".join(lines + [line for line in self.summary() if line not in warnings])

    def warnings(self) -> list[str]:
        return [line for line in self.summary() if "still holds" in line] + \
            self._unchecked_lines()

    def to_dict(self) -> dict[str, Any]:
        return {"subject_hash": self.subject_hash, "dry_run": self.dry_run,
                "places": [{"where": p.where, "action": p.action} for p in self.places],
                "counts": self.counts, "recorded": self.recorded, "left": self.left,
                "unchecked": self.unchecked, "remains": self.remains,
                "on_server": self.on_server, "tagged": self.tagged}


# --- keys --------------------------------------------------------------------------------


def _key(workspace: Workspace) -> bytes:
    """Return the workspace's secret key for hashing erased addresses (made on first use)."""
    existing = _existing_key(workspace)
    if existing is not None:
        return existing
    path = workspace.outputs / KEY_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32).encode()
    path.write_bytes(key + b"\n")
    path.chmod(0o600)
    return key


def _existing_key(workspace: Workspace) -> bytes | None:
    """The workspace's erasure key if one was made (None: no erasure here made one yet)."""
    path = workspace.outputs / KEY_FILE
    return path.read_bytes().strip() if path.exists() else None


def _address_hash(key: bytes, email: str) -> str:
    """The keyed hash (HMAC-SHA256) of an address with ``key``."""
    return hmac.new(key, canonical_address(email).encode(), hashlib.sha256).hexdigest()


def key_check(key: bytes) -> str:
    """Return a short keyed check of an erasure key: which key made a record, not the key."""
    return hmac.new(key, b"yhteistuumin erasure key check", hashlib.sha256).hexdigest()[:16]


def erasures_of_other_keys(workspace: Workspace, session: Session) -> int:
    """Return how many erasure records this workspace's key cannot match to an address: made
    with another key (another workspace using this database), or any when it has none."""
    from sqlmodel import col, func, select

    from .db.models import Erasure

    key = _existing_key(workspace)
    if key is None:
        return int(session.exec(select(func.count(col(Erasure.id)))).one())
    mine = key_check(key)
    return int(session.exec(select(func.count(col(Erasure.id))).where(
        col(Erasure.key_check).is_not(None), col(Erasure.key_check) != mine)).one())


def subject_hash(workspace: Workspace, email: str) -> str:
    """Return the keyed hash (HMAC-SHA256) of an address, as recorded in Erasure rows."""
    return _address_hash(_key(workspace), email)


def placeholder(digest: str) -> str:
    """Return the address that replaces an erased one."""
    return f"erased-{digest[:8]}@invalid"


#: Any address ``placeholder`` makes (a card's text says instead that a detail is not
#: published: ``cards.build_card``).
ERASED_ADDRESS = re.compile(r"erased-[0-9a-f]{8}@invalid")


def erased_addresses(workspace: Workspace, session: Session) -> Callable[[str], str] | None:
    """Return a function that puts the placeholder in place of every address in a text that
    ``forget`` erased (by this workspace's key), or None when nothing was erased with it.

    For what comes back from outside after an erasure (a review workbook exported before
    it): the keyed hashes tell an erased address without keeping it. Names and phone
    numbers are not kept in any form, so they cannot be told."""
    from sqlmodel import col, select

    from .db.models import Erasure

    key = _existing_key(workspace)
    if key is None:
        return None
    mine = key_check(key)
    digests = set(session.exec(select(Erasure.subject_hash).where(
        col(Erasure.key_check).is_(None) | (col(Erasure.key_check) == mine))).all())
    if not digests:
        return None

    def replace(text: str) -> str:
        for written in set(_addresses(text)):
            address = _AT_SIGN.sub("@", written.replace("&commat;", "@"), count=1)
            digest = _address_hash(key, address)
            if digest in digests:
                text = re.sub(rf"(?<![\w.+-]){re.escape(written)}(?![\w-]*\.?[\w-])",
                              placeholder(digest), text)
        return text

    return replace


# --- the person's records ----------------------------------------------------------------


def _fold(text: str) -> str:
    from .survey import fold

    return fold(text)


def contact_headings(workspace: Workspace) -> dict[str, str]:
    """Return the survey's headings of contact questions, folded, to their card field."""
    from .survey import workspace_survey

    survey = workspace_survey(workspace)
    index = {}
    for folded, question_id in survey.heading_index().items():
        field_name = survey.question(question_id).field
        if field_name in _CONTACT_FIELDS:
            index[folded] = field_name
    return index


def raw_contact_values(value: Any, headings: dict[str, str]) -> list[tuple[str, Any]]:
    """Return the (field, value) pairs of the contact answers in a raw submission."""
    found: list[tuple[str, Any]] = []
    if isinstance(value, dict):
        for key, item in value.items():
            field_name = headings.get(_fold(str(key)))
            if field_name and not isinstance(item, dict | list):
                found.append((field_name, item))
            else:
                found += raw_contact_values(item, headings)
    elif isinstance(value, list):
        # A questionnaire row: [label, answer, …].
        cells = [item for item in value if item not in (None, "")]
        if len(cells) >= 2 and isinstance(cells[0], str) and not any(
                isinstance(item, list | dict) for item in value):
            field_name = headings.get(_fold(cells[0]))
            if field_name:
                found.append((field_name, cells[1]))
        for item in value:
            if isinstance(item, list | dict):
                found += raw_contact_values(item, headings)
    return found


def _whole_values(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _whole_values(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _whole_values(item)


def submission_is_persons(raw: Any, matcher: AddressMatcher, headings: dict[str, str]) -> bool:
    """Tell whether a raw answer is the person's: its contact address is theirs.

    Where no heading says which answer is the contact address, a cell holding the address and
    nothing else counts as it; an address quoted inside a longer answer does not. Where one
    does and it is someone else's, the answer is theirs: the person only filled in the form
    (a web form's Email column) or is named beside them.
    """
    pairs = raw_contact_values(raw, headings)
    emails = [value for name, value in pairs if name == "contact_email" and value]
    if emails:
        return any(matcher.is_address(value) for value in emails)
    return any(matcher.is_address(text) for text in _whole_values(raw))


@dataclass
class PersonRecords:
    """The rows that are the person's (found by the address), and their names and phones.

    ``versions`` are the practice versions whose contact is the person; ``named`` are those
    whose contact is someone else and whose contact text also names the person (a cell with two
    people): there only the person's part of that text is theirs, never the contact fields.
    """

    contacts: list[Any]
    versions: list[Any]
    submissions: list[Any]
    practice_ids: set[int]
    names: set[str] = field(default_factory=set)
    phones: set[str] = field(default_factory=set)
    named: list[Any] = field(default_factory=list)
    #: Other people's contacts imported from the same contact-list row as the person's.
    sibling_contacts: list[Any] = field(default_factory=list)
    #: Other people's names typed in the person's own contact cells ("Anna Virtanen, Pekka
    #: Korhonen"): never the person's, and hidden from what ``person`` shows.
    other_names: set[str] = field(default_factory=set)
    #: Other people's names (their contacts') that hold one of the person's ("Johanna Anna
    #: Virtanen" holds "Anna Virtanen"): another person, left whole (``_Scrubber.kept``).
    longer_names: set[str] = field(default_factory=set)
    #: The person's numbers (``phone_core``) that other people's contacts have too.
    shared_phones: set[str] = field(default_factory=set)


#: What separates people typed in one contact cell: a comma, a semicolon, a slash, "ja"/"och".
_PEOPLE_SEPARATOR = re.compile(r"(\s*[;,/]\s*|\s+(?:ja|och|and|&)\s+)", re.IGNORECASE)


def drop_person(cells: Sequence[str | None], matcher: AddressMatcher,
                scrubber: _Scrubber | None = None) -> list[str | None]:
    """Take the person's part out of contact cells that name several people, keep the others'.

    ``cells`` are the texts of one contact as typed (the name cell, the address cell, the phone
    cell, or the lines of a contact text). A cell is cut into parts at commas, semicolons,
    slashes and "ja"; the parts holding the address go, and in the cells without it, the part at
    the same place when the cell has as many parts ("Maija, Pekka" / "maija@…, pekka@…" /
    "040…, 050…"), and any part that shows the person's name or phone. What is left is the
    others' (None where nothing is).
    """
    split = [_PEOPLE_SEPARATOR.split(cell) if cell else [] for cell in cells]
    places: set[tuple[int, int]] = set()  # (number of parts, index) of the person's parts
    for pieces in split:
        parts = pieces[0::2]
        for index, part in enumerate(parts):
            if matcher.mentions(part):
                places.add((len(parts), index))
    result: list[str | None] = []
    for cell, pieces in zip(cells, split, strict=True):
        if not cell:
            result.append(cell)
            continue
        parts, seps = pieces[0::2], pieces[1::2]
        kept: list[str] = []
        for index, part in enumerate(parts):
            theirs = (matcher.mentions(part) or (len(parts), index) in places
                      or (scrubber is not None and scrubber.text(part) != part))
            if not theirs and part.strip():
                if kept:
                    kept.append(seps[index - 1] if index else ", ")
                kept.append(part)
        text = "".join(kept).strip()
        result.append(text or None)
    return result


def find_records(workspace: Workspace, matcher: AddressMatcher, *,
                 session: Session) -> PersonRecords:
    """Return the person's contacts, practice versions and raw answers (by whole address)."""
    from sqlmodel import select

    from .db.models import Contact, PracticeVersion, Submission

    headings = contact_headings(workspace)
    every_contact = list(session.exec(select(Contact)))
    contacts = [c for c in every_contact if matcher.is_address(c.email)]
    siblings = [other for c in contacts for other in contact_siblings(c, every_contact)
                if other is not c and not matcher.is_address(other.email)]
    every_submission = list(session.exec(select(Submission)))
    every_version = list(session.exec(select(PracticeVersion)))
    # An answer read into a practice whose contact address is someone else's is theirs, even
    # when it shows the person's address as an answer to an address question (a web form's
    # Email column: who filled it in): the contact normalise chose says whose it is.
    others_contact = {v.submission_id for v in every_version
                      if v.contact_email and not matcher.is_address(v.contact_email)}
    others_contact -= {v.submission_id for v in every_version
                       if matcher.is_address(v.contact_email)}
    submissions = [s for s in every_submission
                   if s.id not in others_contact and matcher.mentions(s.raw)
                   and submission_is_persons(s.raw, matcher, headings)]
    submission_ids = {s.id for s in submissions}
    versions, named = [], []
    for v in every_version:
        if matcher.is_address(v.contact_email) or (
                v.submission_id is not None and v.submission_id in submission_ids):
            versions.append(v)
        elif matcher.mentions(v.contact_text):
            if v.contact_email or matcher.others(v.contact_text or ""):
                named.append(v)  # someone else's contact, naming the person beside them
            else:
                versions.append(v)
    # The answer a version of theirs was read from is theirs too where it does not show the
    # address at all (a contact given by name, or corrected by a reviewer): its title and texts
    # may name them. One that shows the address and was not theirs names others beside them.
    from_versions = {v.submission_id for v in versions} - submission_ids
    submissions += [s for s in every_submission
                    if s.id in from_versions and not matcher.mentions(s.raw)]
    scrubber = _Scrubber(matcher, "")
    for contact in contacts:
        name, phone = own_part(contact, every_contact)
        scrubber.add_name(name)
        scrubber.add_phone(phone)
    others = _Scrubber(AddressMatcher.nothing(), "")
    for version in versions:
        # A name cell naming a colleague beside the person: only the person's part is hers.
        name, phone, their_names = version_own_part(version, matcher)
        scrubber.add_name(name)
        scrubber.add_phone(phone)
        for other in their_names:
            others.add_name(other)
    for submission in submissions:
        for name, value in raw_contact_values(submission.raw, headings):
            if name == "contact_name":
                scrubber.add_name(value)
            elif name == "contact_phone":
                scrubber.add_phone(value)
    theirs = {id(v) for v in versions}
    known = {" ".join(str(name).split()) for name in [
        *(v.contact_name for v in every_version if id(v) not in theirs),
        *(c.name for c in every_contact if not matcher.is_address(c.email))] if name}
    # Others' numbers: each contact's own part of a row shared with others, and the contact
    # numbers of others' versions (not those naming her beside them: her number is there).
    named_ids = {id(v) for v in named}
    others_phones = set().union(*(phone_cores(own_part(c, every_contact)[1]) for c in
                                  every_contact if not matcher.is_address(c.email)), *(
        phone_cores(v.contact_phone) for v in every_version
        if id(v) not in theirs and id(v) not in named_ids))
    return PersonRecords(contacts=contacts, versions=versions, submissions=submissions,
                         practice_ids={v.practice_id for v in versions},
                         names=scrubber.names, phones=scrubber.phones, named=named,
                         sibling_contacts=siblings, other_names=others.names - scrubber.names,
                         longer_names=longer_names(scrubber.names, known),
                         shared_phones={phone_core(digits) for digits in scrubber.phones}
                         & others_phones)


def longer_names(names: Iterable[str], known: Iterable[str]) -> set[str]:
    """The names of ``known`` (other people's) that hold one of ``names`` inside a longer
    name, not the name itself in another spelling."""
    own = {name.casefold() for name in names}
    patterns = [name_pattern(name) for name in names]
    return {other for other in known if other.casefold() not in own
            and any(pattern.search(other) for pattern in patterns)}


def version_own_part(version: Any, matcher: AddressMatcher) -> tuple[
        str | None, str | None, list[str]]:
    """Return the person's own name and phone from their practice version's contact, and the
    other people's names beside them: an answer may name two contacts in one cell ("Anna
    Virtanen, Pekka Korhonen", both addresses in the contact text). The addresses in the
    order typed place the names and phones (as :func:`drop_person` cuts a contact-list row)."""
    written = "\n".join(filter(None, (version.contact_text, version.contact_email)))
    addresses = list(dict.fromkeys(
        match.group(0) for match in _ANY_ADDRESS.finditer(written))) if _AT_SIGN.search(
        written) else []
    others = [address for address in addresses if not matcher.is_address(address)]
    if not others or not version.contact_name:
        return version.contact_name, version.contact_phone, []
    cells: list[str | None] = [version.contact_name, "; ".join(addresses), version.contact_phone]
    for other in others:
        try:
            cells = drop_person(cells, AddressMatcher(other))
        except InputError:  # not an address this matcher takes: it places nothing
            continue
    name = cells[0]
    their = drop_person([version.contact_name, "; ".join(addresses)], matcher)[0]
    parts = [part.strip() for part in _PEOPLE_SEPARATOR.split(version.contact_name)[0::2]
             if part.strip()]
    # Names typed in another order than the addresses ("Anna, Pekka" / "pekka@…; anna@…"):
    # a name whose every word is in her address's local part is hers, whatever its place.
    spelled = [part for part in parts if _spells_address(part, matcher.local or "")]
    if len(spelled) == 1 and spelled[0] != (name or "").strip():
        name, their = spelled[0], ", ".join(part for part in parts if part != spelled[0])
    return name, cells[2], [part.strip() for part in _PEOPLE_SEPARATOR.split(their or "")[0::2]
                            if part.strip() and part.strip() != (name or "").strip()]


def _spells_address(name: str, local: str) -> bool:
    """Tell whether every word of a name (two or more) is in an address's local part
    ("Anna Virtanen" in anna.virtanen, "Äijälä" in aijala)."""
    from .survey import strip_diacritics

    words = [strip_diacritics(word.casefold()) for word in re.findall(r"[^\W\d_]+", name)]
    folded = strip_diacritics(local.casefold())
    return len(words) >= 2 and all(len(word) >= 2 and word in folded for word in words)


def contact_siblings(contact: Any, every_contact: Iterable[Any]) -> list[Any]:
    """Return the contacts imported from the same row of a contact list with the same name and
    phone cells (one per address of a cell naming several people), in the row's order."""
    if not contact.source_file or contact.source_row is None:
        return [contact]
    return sorted((c for c in every_contact if c.source_file == contact.source_file
                   and c.source_row == contact.source_row and c.name == contact.name
                   and c.phone == contact.phone and c.municipality_code == contact.municipality_code),
                  key=lambda c: c.id or 0)


def own_part(contact: Any, every_contact: Iterable[Any]) -> tuple[str | None, str | None]:
    """Return the person's own name and phone from a contact row shared with others
    ("Maija Meikäläinen; Pekka Puupää" imported once per address)."""
    siblings = contact_siblings(contact, every_contact)
    if len(siblings) < 2:
        return contact.name, contact.phone
    cells: list[str | None] = [contact.name, "; ".join(s.email for s in siblings), contact.phone]
    for other in siblings:
        if other is not contact:
            cells = drop_person(cells, AddressMatcher(other.email))
    return cells[0], cells[2]


# --- the erasure, step by step -----------------------------------------------------------


@dataclass
class _Run:
    """The state one erasure carries through its steps."""

    workspace: Workspace
    session: Session
    matcher: AddressMatcher
    scrubber: _Scrubber
    records: PersonRecords
    apply: bool
    ignore: set[str]
    places: list[Place] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    tables: set[str] = field(default_factory=set)
    retitled: set[int] = field(default_factory=set)
    #: Other contacts' addresses whose contact-list row named her (her name and phone were
    #: taken out of them): the copies of messages sent to them greet her by name.
    named_her: list[AddressMatcher] = field(default_factory=list)
    finder: _Finder = field(init=False)
    #: The scrubber for what is printed: the same person, "[erased]" in English.
    shown: _Scrubber = field(init=False)

    def __post_init__(self) -> None:
        self.finder = _Finder(self.matcher)
        self.shown = _Scrubber(self.matcher, self.scrubber.replacement, ERASED_SHOWN)
        self.shown.names, self.shown.phones = self.scrubber.names, self.scrubber.phones
        self.shown.kept, self.shown.shared = self.scrubber.kept, self.scrubber.shared

    def note(self, kind: str, where: str, action: str, table: str = "") -> None:
        self.places.append(Place(where, action, kind))
        self.counts[kind] += 1
        if table:
            self.tables.add(table)

    def scrub(self, row: Any, names: Iterable[str], *, whole: bool,
              notes: bool = False) -> list[str]:
        """Scrub text fields of ``row``; return the ones that change (set only when applying).

        ``notes``: reviewers' notes on the person's own practice, where their first name alone
        is them too."""
        changed = []
        for name in names:
            value = getattr(row, name)
            if not value:
                continue
            cleaned = (self.scrubber.notes(value) if whole and notes
                       else self.scrubber.text(value) if whole else self.scrubber.quoted(value))
            if cleaned != value:
                changed.append(name)
                if self.apply:
                    setattr(row, name, cleaned)
        return changed

    def save(self, row: Any) -> None:
        if self.apply:
            self.session.add(row)


def forget_person(workspace: Workspace, email: str, *, session: Session, settings: Settings,
                  republish: Callable[[], Any] | None = None,
                  republish_to: Callable[[Path, Path], Any] | None = None,
                  dry_run: bool = False) -> ErasureResult:
    """Erase exactly one person everywhere (or, ``dry_run``, say where); return what changed.

    ``republish`` publishes the site again (outputs/site); ``republish_to(out, cms)`` the
    sites ``publish --out`` made elsewhere (without it, those are named to be published again).
    """
    from sqlmodel import select

    from .db.models import Erasure

    matcher = AddressMatcher(email)
    apply = not dry_run
    key_exists = (workspace.outputs / KEY_FILE).exists()
    # Earlier erasures recorded with a key now gone cannot be matched to an address any more
    # (person, a rerun): said, since a new key is made.
    orphaned = 0 if key_exists else len(session.exec(select(Erasure.id)).all())
    # A workspace that shares its database with another has the other's erasures made with
    # the other's key: this one cannot match them, nor the other this one's.
    other_keys = erasures_of_other_keys(workspace, session) if key_exists else 0
    digest = subject_hash(workspace, email) if apply or key_exists else ""
    records = find_records(workspace, matcher, session=session)
    scrubber = _Scrubber(matcher, placeholder(digest) if digest else "erased-…@invalid")
    scrubber.know(records)
    ignore = {str(settings.get("round.sender")), str(settings.get("round.reply_to"))}
    run = _Run(workspace, session, matcher, scrubber, records, apply, ignore)
    pending = workspace.outputs / PENDING_FILE
    interrupted = _pending_erasures(workspace)
    if apply:
        # Said before any file changes and cleared once the database has forgotten too: a
        # process killed in between leaves it, and publish refuses until forget is run again.
        _clear_parts(workspace)
        pending.write_text("".join(f"{line}\n" for line in dict.fromkeys(
            [*interrupted, digest])), encoding="utf-8")
        _secure_delete(session)
    _erase_contacts(run)
    _erase_versions(run)
    _erase_submissions(run)
    _erase_messages_and_bounces(run)
    _erase_review_texts(run)
    _erase_received_senders(run)
    _erase_fetched(run)
    if apply:
        session.flush()
    # Read before the files are erased: the copies under outputs/mailbox/ say which messages
    # on the mail server are hers (fetch never deletes there); an earlier erasure of her
    # recorded those it found, its copies gone since.
    earlier = session.exec(select(Erasure).where(Erasure.subject_hash == digest)).all()
    server = _on_mail_server(run)
    messages = _merged(server, [e.on_server for e in earlier])
    on_server = _server_lines(messages,
                              {(str(row[0]), str(row[1]), int(row[2])) for row in server})
    exported = review_exports(workspace)  # their times, before a rewrite changes them
    _erase_files(run)
    _republish(run, republish)
    _republish_elsewhere(run, republish_to)
    left, unchecked = _shown_outside(run, *_left_outside(workspace, matcher, finder=run.finder))
    counts = {place: n for place, n in sorted(run.counts.items()) if n}
    recorded = False
    previous = None
    if apply:
        previous = session.exec(select(Erasure).where(Erasure.subject_hash == digest)).first()
        if counts or previous is None:
            session.add(Erasure(subject_hash=digest, counts=counts,
                                key_check=key_check(_key(workspace)),
                                on_server=server or None))
            recorded = True
        session.commit()
    if apply and previous is not None and session.get_bind().dialect.name != "sqlite":
        # Run again (after a crash, or to be sure): the tables an erasure touches are
        # rewritten whatever this run changed, for the dead rows the first one left.
        run.tables |= _ERASED_TABLES
    remains = _make_unrecoverable(session, run.tables | {"erasure"}) if apply else []
    if apply:
        left_pending = [line for line in interrupted if line != digest]
        if left_pending:
            pending.write_text("".join(f"{line}\n" for line in left_pending), encoding="utf-8")
            remains.insert(0, _interrupted(len(left_pending), "other "))
        else:
            pending.unlink(missing_ok=True)
    elif interrupted:
        mine = digest in interrupted
        if len(interrupted) > mine:
            remains.insert(0, _interrupted(len(interrupted) - mine, "other " if mine else ""))
        if mine:
            remains.insert(0, "An earlier erasure of this person was interrupted before it "
                              "finished: run forget without --dry-run to finish it.")
    remains[:0] = _key_notes(workspace, orphaned=orphaned, other_keys=other_keys,
                             dry_run=dry_run)
    remains += [*on_server, *_handed_out(run, exported), *_left_as_others(run)]
    if any(kind.startswith("received_copies") for kind in counts):
        remains.append("The received files above are the copies ingest keeps; the originals "
                       "ingested from outside the workspace (a downloads folder, a mail "
                       "client) were not looked at: delete or clean them there.")
    return ErasureResult(subject_hash=digest, dry_run=dry_run, places=run.places, counts=counts,
                         recorded=recorded, left=left, unchecked=unchecked, remains=remains,
                         on_server=sum(len(uids) for uids in messages.values()),
                         tagged=tagged_addresses(session, matcher))


def _key_notes(workspace: Workspace, *, orphaned: int, other_keys: int,
               dry_run: bool) -> list[str]:
    """Say what an erasure key that is missing, or is not the one of the database's other
    erasures, means for matching them: first a missing key, then another workspace's."""
    notes: list[str] = []
    if other_keys:
        notes.insert(0, f"{plural(other_keys, 'earlier erasure')} in this database "
                       f"{'was' if other_keys == 1 else 'were'} recorded with another erasure "
                       f"key than {workspace.outputs / KEY_FILE} (another workspace that uses "
                       "this database, or a key replaced since): neither person nor forget "
                       "here can match them to an address. Every workspace on one database "
                       "needs the same key: copy the key of the workspace that made them over "
                       "this one" + (", then run forget again for this person (this erasure "
                                     "was recorded with this workspace's key)." if not dry_run
                                     else ", then erase."))
    if orphaned:
        notes.insert(0, f"{workspace.outputs / KEY_FILE} is missing: "
                       f"{plural(orphaned, 'earlier erasure')} recorded with it can no longer "
                       "be matched to an address (person does not show "
                       f"{'it' if orphaned == 1 else 'them'}). " + (
                           "Restore the key from a backup, or copy it from another "
                           "workspace that uses this database, before erasing anyone."
                           if dry_run else "A new key was made for this erasure; if you "
                           "restore the old one from a backup, run forget again for this "
                           "person.") + " Keep the key with the database.")
    return notes


def contacts_naming_her(records: PersonRecords, matcher: AddressMatcher,
                        scrubber: _Scrubber) -> list[tuple[Any, list[str | None]]]:
    """Return someone else's contacts from the person's contact-list row whose name or phone
    cells name her too, each with its cells (name, addresses, phone) without her part."""
    known = [*records.contacts, *records.sibling_contacts]
    found = []
    for contact in records.sibling_contacts:
        row = contact_siblings(contact, known)
        cells = drop_person([contact.name, "; ".join(s.email for s in row), contact.phone],
                            matcher, scrubber)
        if (cells[0], cells[2]) != (contact.name, contact.phone):
            found.append((contact, cells))
    return found


def _erase_contacts(run: _Run) -> None:
    # First someone else's contacts from the person's contact-list row (their name and phone
    # cells named both), while the person's address still says which part is theirs.
    for contact, cells in contacts_naming_her(run.records, run.matcher, run.scrubber):
        run.note("contacts", f"another contact of municipality {contact.municipality_code} from "
                 f"{contact.source_file} row {contact.source_row}",
                 "the person taken out of its name and phone; the contact kept", "contact")
        run.named_her.append(AddressMatcher(contact.email))
        if run.apply:
            contact.name, contact.phone = cells[0], cells[2]
            run.save(contact)
    for contact in run.records.contacts:
        source = f", imported from {contact.source_file}" if contact.source_file else ""
        row_text = f" row {contact.source_row}" if contact.source_file and contact.source_row else ""
        run.note("contacts", f"contact of municipality {contact.municipality_code}{source}"
                 f"{row_text}", "address replaced, name and phone removed", "contact")
        if run.apply:
            contact.email, contact.name, contact.phone = run.scrubber.replacement, None, None
            contact.status = "erased"
            run.save(contact)


#: What forget takes out of someone else's texts (``_Scrubber.quoted``), as it says so.
_FROM_OTHERS = "the person's address or phone number taken out"
_FROM_OTHERS_NAME = " (and their name, in a text that quotes the address)"


def _erase_versions(run: _Run) -> None:
    from sqlmodel import select

    from .db.models import PracticeVersion

    persons = {id(v) for v in run.records.versions}
    named = {id(v) for v in run.records.named}
    for version in run.session.exec(select(PracticeVersion)):
        whole = id(version) in persons
        # The result is printed: a title naming the person is shown without them.
        title = (run.shown.text if whole else run.shown.quoted)(version.title or "")
        label = f"practice {version.practice_id} ({title or 'untitled'}), version " \
                f"{version.version}"
        actions = []
        # A contact text that names others beside the person keeps the others' part.
        others_text = (_others_part(run, version.contact_text)
                       if (whole or id(version) in named) and version.contact_text else None)
        if whole and any(getattr(version, n) for n in (*_CONTACT_FIELDS, "contact_text")):
            actions.append("contact details removed" if not others_text else
                           "contact details removed; the other people in its contact text kept")
            if run.apply:
                for name in _CONTACT_FIELDS:
                    setattr(version, name, None)
                version.contact_text = others_text
        elif id(version) in named:
            actions.append("the person taken out of its contact text; its contact kept")
            if run.apply:
                version.contact_text = others_text
        scrubbed = run.scrub(version, _VERSION_TEXTS, whole=whole)
        if scrubbed:
            actions.append("the person taken out of its texts" if whole
                           else f"{_FROM_OTHERS} of its texts{_FROM_OTHERS_NAME}")
        if "title" in scrubbed:
            run.retitled.add(version.practice_id)
        # Notes typed beside the answers ride in the flags as typed, and the flags of values
        # ingest was unsure of quote them (an address, a name): they may name the person.
        from .flags import map_values

        clean = run.scrubber.text if whole else run.scrubber.quoted
        flags = [map_values(f, clean) for f in version.flags or []]
        if flags != list(version.flags or []):
            actions.append("notes beside the answers cleaned")
            if run.apply:
                version.flags = flags
        if actions:
            run.note("practice_versions", label, "; ".join(actions), "practiceversion")
            run.save(version)


def _others_part(run: _Run, text: str) -> str | None:
    """Return a contact text without the person: the other people's part, or None."""
    if not run.matcher.others(text, run.ignore):
        return None
    lines = drop_person(text.split("\n"), run.matcher, run.scrubber)
    left = "\n".join(line for line in lines if line)
    return run.scrubber.text(left) or None


def _erase_submissions(run: _Run) -> None:
    from sqlmodel import select

    from .db.models import ReceivedFile, Submission

    persons = {s.id for s in run.records.submissions}
    headings: dict[str, str] | None = None
    profiles: dict[str, Any] | None = None
    for submission in run.session.exec(select(Submission)):
        whole = submission.id in persons
        shared = False
        raw = submission.raw
        if whole or run.matcher.mentions(raw):
            headings = contact_headings(run.workspace) if headings is None else headings
            if profiles is None:
                from .ingest.profiles import load_profiles

                profiles = load_profiles(run.workspace)
            raw = _account_names_blanked(run, profiles.get(submission.format), raw)
        if not whole and headings and run.matcher.mentions(raw):
            # Someone else's answer whose contact cells name the person beside them: the
            # person's part of those cells goes (their name and phone too), the others' stays.
            raw = _drop_from_contact_fields(run, raw, headings)
            shared = raw != submission.raw
        cleaned = run.scrubber.value(raw, whole=whole)
        if whole:
            cleaned = _blank_contact_fields(cleaned, headings or {})
        elif run.matcher.mentions(submission.raw):
            # Someone else's answer the person filled in (a web form's Name and Email columns):
            # a cell that is their name or phone alone goes with their address.
            cleaned = _blank_own_cells(cleaned, run.scrubber)
        if cleaned == submission.raw:
            continue
        received = run.session.get(ReceivedFile, submission.received_file_id)
        name = run.shown.text(received.original_name) if received else "a received file"
        run.note("submissions", f"the answer as received: {submission.locator} of {name}",
                 "contact answers blanked, the person taken out of the texts" if whole
                 else "the person taken out of its contact answers, the others kept" if shared
                 else f"{_FROM_OTHERS} of the texts{_FROM_OTHERS_NAME}", "submission")
        if run.apply:
            submission.raw = cleaned
            run.save(submission)


def _account_names_blanked(run: _Run, profile: Any, raw: Any) -> Any:
    """Return a survey tool's row answered under her account (its account email column is her
    address) with its account name columns blanked: SurveyMonkey's First Name and Last Name
    are hers, though no contact of hers gives that name; another account's row is as it is."""
    if profile is None or not isinstance(raw, dict):
        return raw
    roles = {key: profile.meta_role(key) for key in raw}
    if not any(role == "account_email" and isinstance(raw[key], str)
               and run.matcher.is_address(raw[key]) for key, role in roles.items()):
        return raw
    return {key: None if roles[key] == "account_name" else value for key, value in raw.items()}


def _blank_own_cells(value: Any, scrubber: _Scrubber) -> Any:
    """Return a raw answer with every cell that is only the person's name or phone blanked."""
    if isinstance(value, dict):
        return {key: _blank_own_cells(item, scrubber) for key, item in value.items()}
    if isinstance(value, list):
        return [_blank_own_cells(item, scrubber) for item in value]
    if isinstance(value, str) and value.strip() and not scrubber.text(value).replace(
            scrubber.erased, "").strip(" ,;()"):
        return None
    return value


def _drop_from_contact_fields(run: _Run, raw: Any, headings: dict[str, str]) -> Any:
    """Return ``raw`` with the person's part taken out of its contact answers (see drop_person)."""
    values = [value for _, value in raw_contact_values(raw, headings) if isinstance(value, str)]
    if not any(run.matcher.mentions(value) for value in values):
        return raw
    # An answer that is the address alone is a field of the person's own (who filled in the
    # form), not a cell shared with the contact: it goes, and the contact's cells are not
    # matched against it part by part.
    mapping: dict[str, str | None] = {value: None for value in values
                                      if run.matcher.is_address(value)}
    shared = [value for value in values if value not in mapping]
    if any(run.matcher.mentions(value) for value in shared):
        mapping.update(zip(shared, drop_person(shared, run.matcher, run.scrubber), strict=True))
    return _map_contact_fields(raw, headings, mapping)


def _map_contact_fields(value: Any, headings: dict[str, str],
                        mapping: dict[str, str | None]) -> Any:
    """Replace the contact answers of a raw submission as ``mapping`` says."""
    return _on_contact_fields(value, headings,
                              lambda item: mapping.get(item, item) if isinstance(item, str)
                              else item)


def _blank_contact_fields(value: Any, headings: dict[str, str]) -> Any:
    """Blank the contact answers (name, email, phone) of the person's raw submission."""
    return _on_contact_fields(value, headings, lambda item: None)


def _on_contact_fields(value: Any, headings: dict[str, str],
                       change: Callable[[Any], Any]) -> Any:
    """Return a raw submission with ``change`` made to each of its contact answers: the value
    of a contact heading's key, or the cells after a row's contact heading."""
    if isinstance(value, dict):
        return {key: (change(item) if headings.get(_fold(str(key))) in _CONTACT_FIELDS
                      and not isinstance(item, dict | list) else
                      _on_contact_fields(item, headings, change))
                for key, item in value.items()}
    if isinstance(value, list):
        cells = [item for item in value if item not in (None, "")]
        if (len(cells) >= 2 and isinstance(cells[0], str)
                and headings.get(_fold(cells[0])) in _CONTACT_FIELDS
                and not any(isinstance(item, list | dict) for item in value)):
            first = value.index(cells[0])
            return [change(item) if i > first else item for i, item in enumerate(value)]
        return [_on_contact_fields(item, headings, change) for item in value]
    return value


def _erase_messages_and_bounces(run: _Run) -> None:
    from sqlmodel import select

    from .db.models import Bounce, CoordinatorRecord, OutboundMessage

    for message in run.session.exec(select(OutboundMessage)):
        whole = run.matcher.is_address(message.address)
        if whole and run.apply:
            message.address = run.scrubber.replacement
        if run.scrub(message, ("smtp_response", "error"), whole=whole) or whole:
            run.note("outbound_messages", f"the record of the {message.kind} sent to "
                     f"municipality {message.municipality_code} ({message.state})",
                     "address replaced", "outboundmessage")
            run.save(message)
    for bounce in run.session.exec(select(Bounce)):
        whole = run.matcher.is_address(bounce.address)
        if whole and run.apply:
            bounce.address = run.scrubber.replacement
        if run.scrub(bounce, ("detail", "source"), whole=whole) or whole:
            run.note("bounces", f"a message read from the mailbox ({bounce.classification})",
                     "address replaced, the person taken out of its text", "bounce")
            run.save(bounce)
    # The coordinator's own records (register answered / checked): her address, her in the reason.
    for record in run.session.exec(select(CoordinatorRecord)):
        whole = run.matcher.is_address(record.address)
        if whole and run.apply:
            record.address = run.scrubber.replacement
        if run.scrub(record, ("reason", "undo_reason"), whole=whole) or whole:
            run.note("records", f"the coordinator's record ({record.kind}) of municipality "
                     f"{record.municipality_code}", "the person taken out of it",
                     "coordinatorrecord")
            run.save(record)


def _erase_review_texts(run: _Run) -> None:
    from sqlalchemy import update
    from sqlmodel import select

    from .db.models import ContactProblem, Practice, ReviewDecision

    for problem in run.session.exec(select(ContactProblem)):
        whole = run.matcher.mentions(problem.text) or run.matcher.mentions(problem.reason)
        if run.scrub(problem, ("text", "reason"), whole=whole):
            run.note("contact_problems", f"a problem noted in the contact list "
                     f"{problem.source_file} row {problem.source_row}",
                     "the person taken out of the note", "contactproblem")
            run.save(problem)
    persons = run.records.practice_ids
    for practice in run.session.exec(select(Practice)):
        scrubbed = run.scrub(practice, ("reviewer_comment", "corrected_title"),
                             whole=practice.id in persons, notes=True)
        if "corrected_title" in scrubbed:
            run.retitled.add(practice.id or 0)
        if scrubbed:
            run.note("practices", f"reviewers' notes on practice {practice.id}",
                     "the person taken out of them", "practice")
            run.save(practice)
    for decision in run.session.exec(select(ReviewDecision)):
        scrubbed = run.scrub(decision, ("comment", "corrected_title"),
                             whole=decision.practice_id in persons, notes=True)
        if "corrected_title" in scrubbed:  # an earlier title, which the page may be named by
            run.retitled.add(decision.practice_id)
        if scrubbed:
            run.note("review_decisions", f"a review decision on practice {decision.practice_id} "
                     f"({decision.decision}, {decision.decided_at:%Y-%m-%d})",
                     "the person taken out of its comment and corrected title", "reviewdecision")
            run.save(decision)
    # A page named by a title that named the person and is no longer kept anywhere.
    from .survey import strip_diacritics

    names = [name_pattern(strip_diacritics(name)) for name in run.scrubber.names]
    run.retitled |= {practice.id for practice in run.session.exec(select(Practice))
                     if practice.id in persons and practice.published_slug and any(
                         name.search(practice.published_slug.replace("-", " "))
                         for name in names)}
    if run.retitled:
        run.tables.add("practice")
    if run.retitled and run.apply:
        # The page's address was made from the title: erasure outranks a stable URL, so the
        # next publish names the page after the cleaned title. (A statement, not the loaded
        # objects: publish pins slugs with one, so those may not show the stored value.)
        table = Practice.__table__  # type: ignore[attr-defined]
        p = table.c
        run.session.execute(update(table).where(
            p.id.in_(sorted(run.retitled)), p.published_slug.is_not(None)).values(
                published_slug=None))


#: The extensions of the files a round holds: after an address in a file name
#: ("anna@kunta.fi.xlsx") they end the name, not the address's domain ("kunta.fi.xlsx").
_FILE_EXTENSION = re.compile(r"(?:\.(?:xlsx|xlsm|xls|ods|csv|txt|pdf|docx|doc|odt|rtf|eml|msg|"
                             r"mbox|json|html|htm|md|zip|gz|xml|png|jpe?g))+\Z", re.IGNORECASE)


def scrub_file_name(name: str, scrub: Callable[[str], str]) -> str:
    """Return ``scrub(name)``, its extension kept apart where the address stands before it
    ("anna@kunta.fi.xlsx": the whole name reads as an address at "kunta.fi.xlsx")."""
    cleaned = scrub(name)
    extension = _FILE_EXTENSION.search(name)
    if cleaned != name or extension is None or not extension.start():
        return cleaned
    return scrub(name[:extension.start()]) + extension.group(0)


def _file_name(run: _Run, name: str, *, whole: bool, shown: bool = False,
               scrubber: _Scrubber | None = None) -> str:
    """Return a file name without the person (words joined by "_" read as spaced too);
    ``shown``: as printed, "[erased]" in its place; ``scrubber``: another one's marks."""
    scrubber = scrubber or (run.shown if shown else run.scrubber)
    scrub = scrubber.text if whole else scrubber.address
    cleaned = scrub_file_name(name, scrub)
    if cleaned != name or " " in name:
        return cleaned
    # Words joined by "_" or "-" ("anna_virtanen.xlsx", "anna-virtanen-vastaus.xlsx").
    for joiner in ("_", "-"):
        if joiner in name:
            cleaned = scrub_file_name(name.replace(joiner, " "), scrub).replace(" ", joiner)
            if cleaned != name:
                return cleaned
    return name


def _erase_received_senders(run: _Run) -> None:
    from sqlmodel import select

    from .db.models import ReceivedFile

    persons = {s.received_file_id for s in run.records.submissions}
    for received in run.session.exec(select(ReceivedFile)):
        # A file named after the person ("Maija Meikäläinen vastaus.xlsx"): the name recorded
        # and the stored copy's name lose them.
        mine = received.id in persons or bool(received.sender
                                              and run.matcher.mentions(received.sender))
        name = _file_name(run, received.original_name, whole=mine)
        shown = _file_name(run, received.original_name, whole=mine, shown=True)
        if name != received.original_name:
            run.note("received_file_names", f"the name of a received file ({shown})",
                     "the person taken out of it, the stored copy renamed", "receivedfile")
            if run.apply:
                _rename_stored(run, received, whole=mine)
                received.original_name = name
                run.save(received)
        if received.sender and run.matcher.mentions(received.sender):
            run.note("received_file_senders", f"the sender recorded for {shown}",
                     "replaced", "receivedfile")
            if run.apply:
                received.sender = run.scrubber.replacement
                run.save(received)


def _erase_fetched(run: _Run) -> None:
    """The note kept on a message ``fetch`` read (its subject, when it could not be read)."""
    from sqlmodel import select

    from .db.models import FetchedMessage

    for fetched in run.session.exec(select(FetchedMessage)):
        if run.scrub(fetched, ("detail",), whole=run.matcher.mentions(fetched.detail)):
            run.note("fetched_messages", f"the note on message UID {fetched.uid} read from "
                     f"{fetched.folder}", "the person taken out of it", "fetchedmessage")
            run.save(fetched)


def _on_mail_server(run: _Run) -> list[list[Any]]:
    """The messages fetch read whose copy shows the person, [account, folder, UID, marked]:
    they are still on the mail server (fetch never deletes)."""
    from sqlmodel import col, select

    from .db.models import FetchedMessage

    found: dict[tuple[str, str], list[tuple[int, bool]]] = {}
    for fetched in run.session.exec(select(FetchedMessage).where(
            col(FetchedMessage.stored_path).is_not(None)).order_by(col(FetchedMessage.uid))):
        path = run.workspace.stored_file(fetched.stored_path)
        if path is None or path.is_symlink() or not path.is_file():
            continue
        data, problem = _read_for_scan(path, run.matcher)
        if problem.endswith("shows the address") or (
                data is not None and run.finder.find(path.name, data)[0]):
            found.setdefault((fetched.mailbox, fetched.folder), []).append(
                (fetched.uid, fetched.marked_at is not None))
    return [[mailbox, folder, uid, marked] for (mailbox, folder), messages in found.items()
            for uid, marked in messages]


def _merged(found: list[list[Any]], recorded: Iterable[list[Any] | None]
            ) -> dict[tuple[str, str], list[tuple[int, bool]]]:
    """The messages found now and those earlier erasures of the person recorded, by account
    and folder, each UID once."""
    merged: dict[tuple[str, str], dict[int, bool]] = {}
    for rows in [found, *recorded]:
        for row in rows or []:
            try:
                mailbox, folder, uid, marked = row
            except (TypeError, ValueError):
                continue  # not a record this version wrote
            uids = merged.setdefault((str(mailbox), str(folder)), {})
            uids[int(uid)] = uids.get(int(uid), False) or bool(marked)
    return {key: sorted(uids.items()) for key, uids in merged.items()}


def _server_lines(found: dict[tuple[str, str], list[tuple[int, bool]]],
                  copied: set[tuple[str, str, int]]) -> list[str]:
    """Name the messages on the mail server that hold the person, by account, folder and UID;
    ``copied``: those whose copy fetch kept is still under outputs/ (the others' copies an
    earlier erasure took, which said them then)."""
    lines = []
    for (mailbox, folder), messages in found.items():
        n = len(messages)
        uids = ", ".join(str(uid) for uid, _ in messages)
        moved = (" (fetch marked them as handled, or moved them to the folder "
                 "[imap] processed_folder names)" if any(marked for _, marked in messages)
                 else "")
        it = "it" if n == 1 else "them"
        where = f"{plural(n, 'message')} on the mail server {mailbox}, folder {folder} (UID {uids})"
        if any((mailbox, folder, uid) in copied for uid, _ in messages):
            lines.append(f"{where}, {'holds' if n == 1 else 'hold'} this person: fetch read "
                         f"{it} and never deletes on the server. Delete {it} there, in the "
                         f"mail client or webmail{moved}; forget erases the copies fetch kept "
                         "under outputs/.")
        else:
            lines.append(f"{where} {'holds' if n == 1 else 'hold'} this person: an "
                         f"earlier forget erased {'its copy' if n == 1 else 'their copies'} "
                         f"here, but fetch never deletes on the server. Delete {it} there, in "
                         f"the mail client or webmail{moved}.")
    return lines


def review_exports(workspace: Workspace) -> dict[str, float]:
    """Return the review workbooks under outputs/review/ (as shown) and when each was made."""
    folder = workspace.outputs / "review"
    if not folder.is_dir():
        return {}
    return {path.relative_to(workspace.root).as_posix(): path.stat().st_mtime
            for path in folder.rglob("*") if path.is_file() and not path.is_symlink()}


def _left_as_others(run: _Run) -> list[str]:
    """Say what like the person's was left as another's: a name joined by a hyphen to
    another, an address made of her name."""
    return [*_joined_names(run.scrubber), *named_lines(
        named_addresses(run.session, run.matcher, run.scrubber.names), "forget")]


def _joined_names(scrubber: _Scrubber) -> list[str]:
    """Say the names like hers joined by a hyphen to another that were left as another
    person's: if one is her own double name, it is for the coordinator to take out."""
    if not scrubber.joined:
        return []
    named = ", ".join(f"'{name}'" for name in sorted(scrubber.joined))
    return [f"Left as another person's name, being joined by a hyphen to another: {named}. "
            "If one is this person's own (a double name), correct it by hand where it stands "
            "(a reviewer's correction of the practice, or the file)."]


def _handed_out(run: _Run, exported: dict[str, float]) -> list[str]:
    """Say what of the person left the workspace before the erasure and is not ours to clean:
    review workbooks handed to the reviewers, with when each was made, and the site and CMS
    Markdown where they were copied to a web server or imported into the CMS."""
    lines = []
    review = sorted({place.where for place in run.places if place.where in exported},
                    key=lambda where: exported[where])
    if review:
        from .person_texts import local_time

        # Said as person says a time: Finland's, the zone named.
        named = ", ".join(f"{where} (made {local_time(exported[where], 'en')})"
                          for where in review)
        lines.append(
            f"Review {'workbook' if len(review) == 1 else 'workbooks'} {named} "
            f"{'is' if len(review) == 1 else 'are'} "
            f"{'cleaned' if run.apply else 'to be cleaned'} here, but the copies handed to the "
            "reviewers (by mail, on a shared drive, on their computers) still hold this "
            "person: ask the reviewers to delete them, and give them a new 'yhteistuumin "
            "review export' if they need one.")
    webform = (run.workspace.outputs / "webform").relative_to(run.workspace.root).as_posix()
    forms = sorted({place.where for place in run.places
                    if place.where.startswith(f"{webform}/")})
    if forms:
        lines.append(
            f"The web form's {'file' if len(forms) == 1 else 'files'} {', '.join(forms)} "
            f"{'is' if run.apply else 'will be'} cleaned here, but a participant list imported "
            "into the form tool (LimeSurvey's survey participants) still holds this person "
            "there: take the person out there too.")
    if any(place.kind == "site_files" for place in run.places):
        lines.append(f"The site and its CMS Markdown {'are' if run.apply else 'will be'} "
                     "published again here: where they were "
                     "copied to a web server or imported into the website's CMS, put them "
                     "there again (the live site shows this person until then).")
    return lines


def _rename_stored(run: _Run, received: Any, *, whole: bool) -> None:
    """Rename the stored copy of a received file whose name shows the person."""
    if not received.stored_path:
        return
    stored = Path(received.stored_path)
    new_name = _file_name(run, stored.name, whole=whole)
    if new_name == stored.name:
        return
    path = run.workspace.stored_file(received.stored_path)
    if path is not None:
        target = path.with_name(new_name)
        if path.exists() and not target.exists():
            path.rename(target)
    received.stored_path = str(stored.with_name(new_name))


# --- files ---------------------------------------------------------------------------------


@dataclass
class _Blob:
    """What scrubbing one file (or one part inside it) found."""

    data: bytes
    mentions: bool = False
    others: set[str] = field(default_factory=set)
    #: A part shows the address but could not be opened and edited (e.g. Outlook .msg).
    opaque: bool = False
    #: Why a part could not be looked into at all (an archive expanding beyond what forget
    #: reads), or "".
    unchecked: str = ""


def scrub_blob(name: str, data: bytes, scrubber: _Scrubber, ignore: set[str],
               depth: int = 0, *, force: bool = False) -> _Blob:
    """Return ``data`` without the person, looking inside gzip, zip/xlsx/ods and emails.

    A text that does not show the address keeps the names and phones in it, unless ``force``
    says the whole is the person's (their own email or answer): then those go too.
    """
    lower = name.lower()
    if depth < 5 and data[:2] == b"\x1f\x8b":
        return _scrub_gzip(name, data, scrubber, ignore, depth, force=force)
    if depth < 5 and data[:4] == b"PK\x03\x04":
        return _scrub_zip(data, scrubber, ignore, depth, force=force)
    if depth < 5 and (lower.endswith((".eml", ".mbox")) or _looks_like_email(data)):
        return _scrub_email(data, scrubber, ignore, depth, force=force)
    return _scrub_text(data, scrubber, ignore, force=force)


#: What :func:`html.unescape` replaces (its own pattern): a numeric or named reference.
_CHARREF = re.compile(r"&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?)")


class _Finder:
    """Tell whether a file shows the address, stopping at the first part that does.

    The "find" mode of :func:`scrub_blob`: it opens the same containers the same way (gzip,
    zip/xlsx/ods, emails with their base64 and quoted-printable parts decoded, a workbook's
    shared strings item by item), reads the same texts, and only asks whether the address is
    in them: nothing is rewritten and no other address is collected. Where it finds nothing,
    ``scrub_blob`` finds nothing either (it looks at no less); where it finds the address the
    caller scrubs in full. A part seen before (the questionnaire attached to every invitation
    and reminder) is looked at once. ``find`` returns (shows the address, why a part could not
    be looked into or "").
    """

    def __init__(self, matcher: AddressMatcher):
        self.matcher = matcher
        self.local_chars = set(matcher.local or "")
        #: (content, how it is read) -> (the depth it was looked into at, what was found).
        self.seen: dict[tuple[bytes, str], tuple[int, tuple[bool, str]]] = {}

    def find(self, name: str, data: bytes, depth: int = 0) -> tuple[bool, str]:
        lower = name.lower()
        email_like = lower.endswith((".eml", ".mbox"))
        # A gzip'd file is read by the name without ".gz": that name is part of what it is.
        key = (hashlib.blake2b(data, digest_size=16).digest(),
               lower if lower.endswith(".gz") else str(email_like))
        # A part looked into at this depth or nearer the top was opened at least as deep as
        # it would be here (the questionnaire attached to a message copy is the file under
        # questionnaires/; a message in the coordinator's mailbox folder is the copy under
        # outbox/): its answer stands.
        seen = self.seen.get(key)
        if seen is None or seen[0] > depth:
            seen = self.seen[key] = (depth, self._find(name, data, depth, email_like))
        return seen[1]

    def _find(self, name: str, data: bytes, depth: int, email_like: bool) -> tuple[bool, str]:
        if depth < 5 and data[:2] == b"\x1f\x8b":
            try:
                with gzip.GzipFile(fileobj=io.BytesIO(data)) as stream:
                    inner = stream.read(_MAX_SCAN + 1)
            except (OSError, EOFError, gzip.BadGzipFile):
                return self.text(data), ""
            if len(inner) > _MAX_SCAN:
                return False, ("expands to more than the "
                               f"{_MAX_SCAN // 1_000_000} MB forget looks into")
            return self.find(name.removesuffix(".gz"), inner, depth + 1)
        if depth < 5 and data[:4] == b"PK\x03\x04":
            return self.zip(data, depth)
        if depth < 5 and (email_like or _looks_like_email(data)):
            return self.email(data, depth)
        return self.text(data), ""

    def text(self, data: bytes) -> bool:
        """As :func:`_scrub_text` decides whether a text shows the address."""
        matcher = self.matcher
        if b"\x00" in data[:4096]:
            return matcher.mentions_bytes(data)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = data.decode("cp1252", errors="surrogateescape")
        if "&#" not in text and not _AT_SIGN.search(text):
            return False
        if _has_runs(text) and text.lstrip().startswith("<"):
            text = _join_runs(text)  # a workbook string in formatted runs reads as one
        if text.lstrip().startswith("<") and ("&#" in text or matcher.could_be_in(text)):
            if not matcher.could_be_in(text) and not self._references_matter(text):
                return False
            return matcher.mentions(html.unescape(text))
        return matcher.mentions(text)

    def _references_matter(self, text: str) -> bool:
        """Tell whether decoding the text's character references could make its local part
        appear: only when one of them stands for a character of it (it is not there as
        written, and letter case is folded one character at a time)."""
        return any(self.local_chars & set(html.unescape(ref).casefold())
                   for ref in {match.group(0) for match in _CHARREF.finditer(text)})

    def zip(self, data: bytes, depth: int) -> tuple[bool, str]:
        try:
            archive = zipfile.ZipFile(io.BytesIO(data))
            infos = archive.infolist()
            expanded = sum(info.file_size for info in infos)
            if expanded > _MAX_SCAN:
                return False, _too_large(expanded, "expands to")
            # The strings of a workbook first: where a person's address would be.
            infos.sort(key=lambda info: info.filename != "xl/sharedStrings.xml")
            unchecked = ""
            for info in infos:
                if info.is_dir():
                    continue
                content = archive.read(info)
                if info.filename == "xl/sharedStrings.xml" and self._shared_strings(content):
                    return True, ""
                found, why = self.find(info.filename, content, depth + 1)
                if found:
                    return True, ""
                unchecked = unchecked or why
        except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError):
            return self.matcher.mentions_bytes(data), ""
        return False, unchecked

    def _shared_strings(self, content: bytes) -> bool:
        """A shared string's text nodes read as one (rich text runs), as scrubbing reads them."""
        text = content.decode("utf-8", "replace")
        # A run's text joined to the next one's is in the text with its tags taken out.
        bare = re.sub(r"<[^>]*>", "", text)
        if not self.matcher.could_be_in(bare) and not (
                "&" in bare and self._references_matter(bare)):
            return False
        return any(self.matcher.mentions("".join(html.unescape(value) for value in
                                                 re.findall(r">([^<]+)<", match.group(0))))
                   for match in _SHARED_ITEM.finditer(text))

    def email(self, data: bytes, depth: int) -> tuple[bool, str]:
        from .mailparse import decoded_payload, parse_bytes_message

        if self.matcher.mentions_bytes(data):
            return True, ""
        message = parse_bytes_message(data)
        unchecked = ""
        for part in message.walk():
            if any(self.matcher.mentions(_header_text(value)) for _, value in part.items()) \
                    or any(self.matcher.mentions(text) or self.matcher.mentions(
                        _FILE_EXTENSION.sub("", text)) for _, _, text in _file_names(part)):
                return True, ""
            if part.is_multipart():
                continue
            payload = decoded_payload(part)
            if not isinstance(payload, bytes):
                continue
            filename = part.get_filename() or ""
            if part.get_content_maintype() == "text" and not filename:
                try:
                    text = payload.decode(part.get_content_charset() or "utf-8")
                except (LookupError, UnicodeDecodeError):
                    text = payload.decode("latin-1")
                if self.text(text.encode("utf-8")):
                    return True, ""
                continue
            found, why = self.find(filename, payload, depth + 1)
            if found:
                return True, ""
            unchecked = unchecked or why
        return False, unchecked


def _unreadable(data: bytes) -> str:
    """Why forget cannot tell whether a file under outputs/ shows the person ("" when it
    can): a PDF keeps its text compressed and in its fonts' own codes, so the address not
    found in its bytes does not say it is not there; the coordinator looks. (Pictures are not
    named so: those received are mostly the logos of signatures, which would be named at
    every erasure; nor a PDF inside a message, which is settled with the message, nor the
    coordinator's own files outside outputs/, which forget does not change.)"""
    return "a PDF document, whose text cannot be read here" if data.startswith(b"%PDF-") else ""


def _looks_like_email(data: bytes) -> bool:
    head = data[:2000].lower()
    return (head.startswith((b"from:", b"received:", b"return-path:", b"message-id:",
                             b"mime-version:", b"delivered-to:", b"date:", b"to:", b"subject:"))
            # (the first 200 000 bytes as read with LF line ends, without copying it all)
            and b"\n\n" in data[:400_000].replace(b"\r\n", b"\n")[:200_000])


def _scrub_text(data: bytes, scrubber: _Scrubber, ignore: set[str], *,
                force: bool = False) -> _Blob:
    matcher = scrubber.matcher
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        # UTF-16 text with its byte order mark: Excel's "Unicode Text" (tab-separated), a
        # Windows tool's export. Scrubbed as text, written back as it was encoded.
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            pass
        else:
            as_utf8 = text.encode("utf-8")
            blob = _scrub_text(as_utf8, scrubber, ignore, force=force)
            if blob.data != as_utf8:
                order = "utf-16-le" if data[:2] == b"\xff\xfe" else "utf-16-be"
                blob.data = data[:2] + blob.data.decode("utf-8").encode(order)
            else:
                blob.data = data
            return blob
    if b"\x00" in data[:4096]:  # binary: UTF-16 text (Outlook) or a format we cannot edit
        mentions = matcher.mentions_bytes(data)
        others: set[str] = set()
        if mentions:
            for encoding in ("latin-1", "utf-16-le"):
                others |= matcher.others(data.decode(encoding, errors="ignore"), ignore)
        return _Blob(data, mentions=mentions, opaque=mentions, others=others)
    try:
        text, encoding = data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        text, encoding = data.decode("cp1252", errors="surrogateescape"), "cp1252"
    if not force and "&#" not in text and not _AT_SIGN.search(text):
        return _Blob(data)  # no address of anyone's in it (an entity might hide an "@")
    is_xml = text.lstrip().startswith("<")
    # A workbook's XML is full of entities: unescape it only where the address may be.
    # A workbook string in formatted runs (spans) reads as one text: an address may straddle
    # them.
    plain = (html.unescape(_join_runs(text)) if is_xml and (
        force or "&#" in text or _has_runs(text) or matcher.could_be_in(text)) else text)
    mentions = matcher.mentions(plain)
    if not mentions and not force:
        return _Blob(data, others=matcher.others(plain, ignore))
    cleaned = (_scrub_xml(text, scrubber, ignore) if is_xml
               else "".join(_scrub_line(line, scrubber, ignore)
                            for line in text.splitlines(keepends=True)))
    if not mentions and cleaned == text:
        return _Blob(data, others=matcher.others(plain, ignore))
    return _Blob(cleaned.encode(encoding, errors="surrogateescape"), mentions=True,
                 others=matcher.others(html.unescape(_join_runs(cleaned)) if is_xml else cleaned,
                                       ignore))


_XML_TEXT = re.compile(r'(>)([^<]+)(<)|(=")([^"]*)(")')
#: A row of a worksheet (.xlsx), of a LibreOffice table (.ods content.xml) or of an HTML table
#: (a web tool's "Excel" export, an HTML page saved under a spreadsheet's name).
_XML_ROW = re.compile(r"<(row|table:table-row|tr)\b[^>]*?(?:/>|>.*?</\1>)",
                      re.DOTALL | re.IGNORECASE)
_XML_CELL = re.compile(r"<c\b([^>]*?)(?:/>|>(.*?)</c>)", re.DOTALL)
_SHARED_INDEX = re.compile(r"<v>(\d+)</v>")
_SHARED_ITEM = re.compile(r"<si>.*?</si>|<si/>", re.DOTALL)
#: A workbook string in formatted runs (rich text: "anna.virtanen@" in bold, "kunta.fi" plain):
#: a shared string (<si>) or a cell's inline string (<is>) whose <r> runs each hold a <t>.
_RICH_ITEM = re.compile(r"<(si|is)>((?:(?!</\1>).)*?<r>.*?)</\1>", re.DOTALL)
_RUN_TEXT = re.compile(r"(<r>(?:(?!</r>).)*?<t\b[^>/]*)(?:/>|>([^<]*)</t>)", re.DOTALL)


#: A paragraph of an OpenDocument cell whose text is in formatted spans ("<text:p><text:span
#: …>anna.virtanen@</text:span>kunta.fi</text:p>", as LibreOffice saves a rich-text cell).
_ODF_PARAGRAPH = re.compile(r"(<text:p\b[^>]*>)((?:(?!</text:p>).)*?<text:span\b.*?)</text:p>",
                            re.DOTALL)
_ODF_SPACE = re.compile(r'<text:s(?:\s+text:c="(\d+)")?\s*/>')


def _has_runs(text: str) -> bool:
    """Whether workbook XML holds text in formatted runs (.xlsx), spans (.ods) or a Word
    document's runs (.docx)."""
    return "<r>" in text or "<text:span" in text or "<w:r>" in text or "<w:r " in text


#: A paragraph of a Word document (.docx): its text is in the ``<w:t>`` of its runs, which
#: Word splits at every change of format, spelling mark or edit ("Anna " and "Virtanen" in two
#: runs when the spelling checker marks the surname, "040 111 " and "2222" after an edit).
_WORD_PARAGRAPH = re.compile(r"(<w:p\b[^>]*>)(.*?)(</w:p>)", re.DOTALL)
_WORD_TEXT = re.compile(r"(<w:t\b[^>/]*)(?:/>|>([^<]*)</w:t>)")


def _paragraph_joined(body: str) -> str:
    """The text an OpenDocument paragraph shows: its spans' texts joined, spaces as spaces."""
    body = _ODF_SPACE.sub(lambda m: " " * int(m.group(1) or 1), body)
    body = re.sub(r"<text:(?:tab|line-break)\s*/>", " ", body)
    return html.unescape(re.sub(r"<[^>]*>", "", body))


def _runs_joined(body: str, runs: re.Pattern[str] = _RUN_TEXT) -> str:
    """The text a rich-text string (or with ``_WORD_TEXT``, a Word paragraph) shows: its runs'
    texts joined (phonetic runs aside)."""
    return "".join(html.unescape(match.group(2) or "") for match in runs.finditer(body))


def _join_runs(text: str) -> str:
    """Return workbook XML with each rich-text string's runs joined into one text node, as the
    cell reads: an address split across two runs is found whole (to look, not to write)."""
    if not _has_runs(text):
        return text
    from xml.sax.saxutils import escape

    text = _ODF_PARAGRAPH.sub(lambda m: m.group(1) + escape(_paragraph_joined(m.group(2)))
                              + "</text:p>", text)
    if "<w:t" in text:
        text = _WORD_PARAGRAPH.sub(
            lambda m: f"{m.group(1)}<w:t>{escape(_runs_joined(m.group(2), _WORD_TEXT))}</w:t>"
                      f"{m.group(3)}", text)
    return _RICH_ITEM.sub(lambda m: f"<{m.group(1)}><t>{escape(_runs_joined(m.group(2)))}</t>"
                                    f"</{m.group(1)}>", text)


def _scrub_runs(text: str, scrubber: _Scrubber) -> str:
    """Scrub each rich-text string of workbook XML as the whole text its runs show. Where the
    person's data lies within runs, each run is cleaned and keeps its format; where it
    straddles runs, the cleaned text goes into the first run (keeping that run's format) and
    the other runs are emptied. An OpenDocument paragraph in spans becomes its cleaned text,
    unformatted."""
    if not _has_runs(text):
        return text
    from xml.sax.saxutils import escape

    def paragraph(match: re.Match[str]) -> str:
        joined = _paragraph_joined(match.group(2))
        cleaned = scrubber.text(joined)
        if cleaned == joined:
            return match.group(0)
        return f"{match.group(1)}{escape(cleaned)}</text:p>"

    text = _ODF_PARAGRAPH.sub(paragraph, text)
    if "<w:t" in text:
        text = _WORD_PARAGRAPH.sub(lambda m: m.group(1) + (_scrub_run_texts(
            m.group(2), scrubber, _WORD_TEXT, "</w:t>") or m.group(2)) + m.group(3), text)

    def one(match: re.Match[str]) -> str:
        body = _scrub_run_texts(match.group(2), scrubber, _RUN_TEXT, "</t>")
        return match.group(0) if body is None else f"<{match.group(1)}>{body}</{match.group(1)}>"

    return _RICH_ITEM.sub(one, text)


def _scrub_run_texts(body: str, scrubber: _Scrubber, runs: re.Pattern[str],
                     close: str) -> str | None:
    """Scrub the texts of formatted runs (``runs``: a run's head up to its text element's
    start tag, then its text before ``close``) as the one text they show: a workbook's rich
    string, a Word paragraph. Where the person's data lies within runs, each run is cleaned
    alone and keeps its format (only when that reads as the whole text cleaned); where it
    straddles runs (Word splits a surname the spelling checker marks), the cleaned text goes
    into the first run and the others are emptied. None: nothing of the person's there."""
    from xml.sax.saxutils import escape

    texts = [html.unescape(found.group(2) or "") for found in runs.finditer(body)]
    joined = "".join(texts)
    cleaned = scrubber.text(joined)
    if cleaned == joined:
        return None
    each = [scrubber.text(part) for part in texts]
    parts = iter(zip(texts, each if "".join(each) == cleaned else
                     [cleaned] + [""] * (len(texts) - 1), strict=True))

    def run(found: re.Match[str]) -> str:
        before, after = next(parts)
        if after == before:
            return found.group(0)
        head = re.sub(r'\s+xml:space="[^"]*"', "", found.group(1))
        return f'{head} xml:space="preserve">{escape(after)}{close}' if after else f"{head}/>"

    return runs.sub(run, body)


def _someone_elses(text: str, scrubber: _Scrubber, ignore: set[str]) -> bool:
    """A line or row that shows another person's address and not this one is that person's:
    a name of this person's there may be a namesake's, a number one that someone else's
    contact shares (a switchboard), so those stay; a number of hers alone goes
    (``_Scrubber.alone``)."""
    return (bool(scrubber.names or scrubber.phones) and not scrubber.matcher.mentions(text)
            and bool(scrubber.matcher.others(text, ignore)))


#: A JSON (or JavaScript) escape of a letter beyond ASCII ("L\u00e4hettil\u00e4"), as
#: ``json.dumps`` and other tools write them by default.
_UNICODE_ESCAPE = re.compile(r"(?<!\\)\\u(00[89a-fA-F][0-9a-fA-F]|0[1-9a-fA-F][0-9a-fA-F]{2}|"
                             r"[1-9a-cA-CeEfF][0-9a-fA-F]{3})")


def _scrub_line(line: str, scrubber: _Scrubber, ignore: set[str]) -> str:
    if _someone_elses(line, scrubber, ignore):
        return scrubber.quoted(line)
    cleaned = scrubber.text(line)
    if "\\u" not in cleaned or not cleaned.isascii() or not scrubber.names:
        return cleaned
    # A name with a letter beyond ASCII shows only with its escapes read: scrubbed so, and
    # written back escaped, as the file had it.
    plain = _UNICODE_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), cleaned)
    unescaped = scrubber.text(plain)
    if unescaped == plain:
        return cleaned
    return re.sub(r"[^\x00-\x7f]", lambda m: f"\\u{ord(m.group(0)):04x}", unescaped)


def _row_text(row: str, shared: list[str] | None) -> str:
    """The text a worksheet row shows: its text nodes, and its shared strings resolved."""
    parts = [html.unescape(value) for value in re.findall(r">([^<]+)<", _join_runs(row))]
    if shared:
        for attrs, inner in _XML_CELL.findall(row):
            index = _SHARED_INDEX.search(inner or "")
            if 't="s"' in attrs and index and int(index.group(1)) < len(shared):
                parts.append(shared[int(index.group(1))])
    return "\n".join(parts)


def _scrub_xml(text: str, scrubber: _Scrubber, ignore: set[str] | None = None,
               shared: list[str] | None = None) -> str:
    """Scrub the text nodes and attribute values of XML (workbook parts), references decoded.

    With ``ignore`` given, rows of a sheet that are someone else's (``_someone_elses``; shared
    strings resolved from ``shared``) keep their text.
    """
    if ignore is not None and (scrubber.names or scrubber.phones) and _XML_ROW.search(text):
        def row(match: re.Match[str]) -> str:
            if _someone_elses(_row_text(match.group(0), shared), scrubber, ignore):
                return _scrub_xml(match.group(0), alone) if alone.may_hold(
                    match.group(0)) else match.group(0)
            return _scrub_xml(match.group(0), scrubber)

        alone = scrubber.alone()

        pieces, last = [], 0
        for match in _XML_ROW.finditer(text):
            pieces += [_scrub_xml(text[last:match.start()], scrubber), row(match)]
            last = match.end()
        return "".join(pieces) + _scrub_xml(text[last:], scrubber)
    from xml.sax.saxutils import escape

    def one(match: re.Match[str]) -> str:
        before, value, after = (match.group(1, 2, 3) if match.group(1)
                                else match.group(4, 5, 6))
        plain = html.unescape(value)
        cleaned = scrubber.text(plain)
        if cleaned == plain:
            return match.group(0)
        return before + escape(cleaned, {'"': "&quot;"}) + after

    return _XML_TEXT.sub(one, _scrub_runs(_numbers_as_text(text, scrubber), scrubber))


#: A worksheet cell (.xlsx) holding a number, no formula: ``<c r="I2" s="3"><v>401234567</v></c>``
#: (no type, or ``t="n"``).
_XLSX_NUMBER_CELL = re.compile(r'<c\b((?:(?!\bt=)[^>])*?)(?:\s+t="n")?((?:(?!\bt=)[^>])*)>'
                               r"<v>([^<]*)</v></c>")
#: The start of an OpenDocument cell holding a number: its value is in ``office:value``.
_ODS_NUMBER_CELL = re.compile(r'<table:table-cell\b[^>]*\boffice:value-type="(?:float|percentage|'
                              r'currency)"[^>]*>')
_ODS_VALUE = re.compile(r'\s+office:value="([^"]*)"')


def _numbers_as_text(text: str, scrubber: _Scrubber) -> str:
    """Return workbook XML whose number cells that hold the person's data (a phone number
    Excel stores as a number, its 0 dropped: 401234567) are text cells: "[poistettu]" in a
    number cell's value made the whole workbook unreadable (Excel, LibreOffice, calamine,
    openpyxl), the kept copy that is the evidence of what others sent."""
    if "<v>" in text:
        def xlsx(match: re.Match[str]) -> str:
            value = html.unescape(match.group(3))
            if not scrubber.may_hold(value):  # a number is no name nor address
                return match.group(0)
            cleaned = scrubber.text(value)
            if cleaned == value:
                return match.group(0)
            from xml.sax.saxutils import escape

            return (f'<c{match.group(1)}{match.group(2)} t="inlineStr"><is><t xml:space='
                    f'"preserve">{escape(cleaned)}</t></is></c>')

        text = _XLSX_NUMBER_CELL.sub(xlsx, text)
    if "office:value=" in text:
        def ods(match: re.Match[str]) -> str:
            tag = match.group(0)
            value = _ODS_VALUE.search(tag)
            number = html.unescape(value.group(1)) if value else ""
            if not scrubber.may_hold(number) or scrubber.text(number) == number:
                return tag
            tag = _ODS_VALUE.sub("", re.sub(r'\s+office:currency="[^"]*"', "", tag))
            return re.sub(r'(office|calcext):value-type="[^"]*"', r'\1:value-type="string"', tag)

        text = _ODS_NUMBER_CELL.sub(ods, text)
    return text


def _scrub_gzip(name: str, data: bytes, scrubber: _Scrubber, ignore: set[str],
                depth: int, *, force: bool = False) -> _Blob:
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as stream:
            inner = stream.read(_MAX_SCAN + 1)
    except (OSError, EOFError, gzip.BadGzipFile):
        return _scrub_text(data, scrubber, ignore, force=force)
    if len(inner) > _MAX_SCAN:
        return _Blob(data, unchecked="expands to more than the "
                     f"{_MAX_SCAN // 1_000_000} MB forget looks into")
    blob = scrub_blob(name.removesuffix(".gz"), inner, scrubber, ignore, depth + 1, force=force)
    if blob.data != inner:
        mtime = int.from_bytes(data[4:8], "little")
        blob.data = gzip.compress(blob.data, mtime=mtime)
    else:
        blob.data = data
    return blob


def _scrub_zip(data: bytes, scrubber: _Scrubber, ignore: set[str], depth: int, *,
               force: bool = False) -> _Blob:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        expanded = sum(info.file_size for info in archive.infolist())
        if expanded > _MAX_SCAN:  # read in memory, as it is rewritten: not a 5 GB zip bomb
            return _Blob(data, unchecked=_too_large(expanded, "expands to"))
        members = [(info, archive.read(info)) for info in archive.infolist()]
    except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError):
        mentions = scrubber.matcher.mentions_bytes(data)
        return _Blob(data, mentions=mentions, opaque=mentions)
    result = _Blob(data)
    changed: dict[str, bytes] = {}
    shared = _split_shared_strings({i.filename: c for i, c in members}, scrubber, ignore)
    for info, content in members:
        if info.is_dir():
            continue
        if info.filename in shared:
            # The workbook's strings and sheets, already scrubbed row by row.
            content_now = shared[info.filename]
            plain = html.unescape(_join_runs(content.decode("utf-8", "replace")))
            result.mentions |= scrubber.matcher.mentions(plain) or content_now != content
            result.others |= scrubber.matcher.others(plain, ignore)
            if content_now != content:
                changed[info.filename] = content_now
            continue
        blob = scrub_blob(info.filename, content, scrubber, ignore, depth + 1, force=force)
        result.mentions |= blob.mentions
        result.opaque |= blob.opaque
        result.others |= blob.others
        result.unchecked = result.unchecked or blob.unchecked
        if blob.data != content:
            changed[info.filename] = blob.data
    if result.mentions:
        # A document that shows the person names its author, last editor and commenters in
        # parts of their own, without an address: the names there are the person's too ("Anna
        # Virtanen" wrote the file that holds her address, and commented on it).
        for info, content in members:
            if _DOCUMENT_PEOPLE.fullmatch(info.filename) and info.filename not in changed:
                blob = scrub_blob(info.filename, content, scrubber, ignore, depth + 1, force=True)
                if blob.data != content:
                    changed[info.filename] = blob.data
    if changed:
        # A LibreOffice thumbnail is a picture of the first sheet: it may show the person.
        thumbnails = [info.filename for info, _ in members
                      if info.filename.startswith("Thumbnails/")]
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as out:
            for info, content in members:
                if info.filename in thumbnails:
                    continue
                content = changed.get(info.filename, content)
                if info.filename == "META-INF/manifest.xml" and thumbnails:
                    content = re.sub(rb"\s*<manifest:file-entry[^>]*Thumbnails/[^>]*/>", b"",
                                     content)
                out.writestr(info, content, compress_type=info.compress_type)
        result.data = buffer.getvalue()
    return result


#: The parts of an Office or OpenDocument file that name its people without their addresses:
#: its properties (author, last editor), comments and their authors, the authors of tracked
#: changes (Word's people.xml, Excel's persons).
_DOCUMENT_PEOPLE = re.compile(r"docProps/[^/]+\.xml|meta\.xml|xl/comments[^/]*\.xml|"
                              r"xl/comments/[^/]+\.xml|xl/persons/[^/]+\.xml|"
                              r"xl/threadedComments/[^/]+\.xml|word/(?:comments|people)[^/]*\.xml")


def _split_shared_strings(parts: dict[str, bytes], scrubber: _Scrubber,
                          ignore: set[str]) -> dict[str, bytes]:
    """Scrub an .xlsx's shared strings and sheets together, row by row; return the new parts.

    A sheet cell points into one list of strings shared by every row. Where a row that is
    someone else's (``_someone_elses``) points at a string that would change (the same name),
    it gets a copy of the string as it was, so the other rows lose it and that row keeps it.
    Nothing is returned when the workbook has no shared strings or nothing is at stake.
    """
    strings = parts.get("xl/sharedStrings.xml")
    if strings is None or not (scrubber.names or scrubber.phones):
        return {}
    text = strings.decode("utf-8")
    items = [match.group(0) for match in _SHARED_ITEM.finditer(text)]
    plain = ["".join(html.unescape(v) for v in re.findall(r">([^<]+)<", item)) for item in items]
    if not any(scrubber.matcher.mentions(value) for value in plain) and not any(
            scrubber.matcher.mentions(html.unescape(_join_runs(data.decode("utf-8", "replace"))))
            for name, data in parts.items() if name.startswith("xl/worksheets/")):
        return {}
    copies: dict[int, int] = {}
    result: dict[str, bytes] = {}
    alone = scrubber.alone()
    for name, data in parts.items():
        if not (name.startswith("xl/worksheets/") and name.endswith(".xml")):
            continue
        sheet = data.decode("utf-8")

        def keep_row(match: re.Match[str]) -> str:
            row = match.group(0)
            if not _someone_elses(_row_text(row, plain), scrubber, ignore):
                return _scrub_xml(row, scrubber)

            def keep_cell(cell: re.Match[str]) -> str:
                index = _SHARED_INDEX.search(cell.group(2) or "")
                if 't="s"' not in cell.group(1) or not index or int(index.group(1)) >= len(plain):
                    return cell.group(0)
                number = int(index.group(1))
                if scrubber.text(plain[number]) == plain[number]:
                    return cell.group(0)
                copy = copies.setdefault(number, len(items) + len(copies))
                return cell.group(0).replace(index.group(0), f"<v>{copy}</v>")

            kept = _XML_CELL.sub(keep_cell, row)
            return _scrub_xml(kept, alone) if alone.may_hold(kept) else kept

        pieces, last = [], 0
        for match in _XML_ROW.finditer(sheet):
            pieces += [_scrub_xml(sheet[last:match.start()], scrubber), keep_row(match)]
            last = match.end()
        result[name] = ("".join(pieces) + _scrub_xml(sheet[last:], scrubber)).encode("utf-8")
    scrubbed = [_scrub_xml(item, scrubber) for item in items]
    kept = [_scrub_xml(items[number], alone)
            for number, _ in sorted(copies.items(), key=lambda kv: kv[1])]
    body = iter(scrubbed)
    new_text = _SHARED_ITEM.sub(lambda _m: next(body), text)
    if kept:
        end = new_text.rindex("</sst>")
        new_text = new_text[:end] + "".join(kept) + new_text[end:]
        new_text = re.sub(r'uniqueCount="\d+"', f'uniqueCount="{len(items) + len(kept)}"',
                          new_text, count=1)
    result["xl/sharedStrings.xml"] = new_text.encode("utf-8")
    return result


def _header_text(value: Any) -> str:
    from email.header import decode_header, make_header

    try:
        return str(make_header(decode_header(str(value))))
    except (LookupError, ValueError, UnicodeDecodeError):
        return str(value)


#: Headers that make a message the person's own (sent by them or to them): its body and
#: attachments lose the person's name and phone (a signature) even where the address is not.
_PERSON_HEADERS = ("from", "sender", "reply-to", "to", "cc")


def _scrub_email(data: bytes, scrubber: _Scrubber, ignore: set[str], depth: int, *,
                 force: bool = False) -> _Blob:
    from .mailparse import message_bytes, parse_bytes_message

    message = parse_bytes_message(data)
    result = _Blob(data)
    changed = False
    force = force or any(scrubber.matcher.mentions(_header_text(value))
                         for name, value in message.items() if name.lower() in _PERSON_HEADERS)
    for part in message.walk():
        changed |= _scrub_headers(part, scrubber, ignore, result)
        if part.is_multipart():
            continue
        changed |= _scrub_part(part, scrubber, ignore, depth, result, force=force)
    if changed:
        result.data = message_bytes(message)
    if not result.mentions and scrubber.matcher.mentions_bytes(data):
        # Shown somewhere the parser does not reach (a broken part): cannot be edited safely.
        result.mentions = result.opaque = True
    return result


#: Headers that list people's addresses, each maybe with a display name.
_ADDRESS_HEADERS = {"from", "sender", "reply-to", "to", "cc", "bcc", "resent-from", "resent-to",
                    "resent-cc", "resent-sender", "mail-followup-to", "mail-reply-to",
                    "disposition-notification-to", "return-receipt-to"}


def _without_her_display_name(text: str, matcher: AddressMatcher) -> str:
    """Return an address header's text with the display name of the person's address left
    out ('"Lähettilä" <liisa@…>', 'liisa@… (L. L.)'): whatever her mail program called her
    is hers, though it is not the name stored for her. The other entries stay as they are;
    a header that does not read as a list of addresses is left whole to the scrubber."""
    from email.utils import formataddr, getaddresses

    pairs = getaddresses([text])
    if not any(name and matcher.is_address(address) for name, address in pairs) or any(
            not address for _, address in pairs):
        return text
    return ", ".join(address if matcher.is_address(address) else formataddr((name, address))
                     for name, address in pairs)


def _scrub_headers(part: Message, scrubber: _Scrubber, ignore: set[str], result: _Blob) -> bool:
    from email.header import Header

    items = part.items()
    new_items = []
    changed = False
    for name, value in items:
        text = _header_text(value)
        if name.lower() not in _NOT_PEOPLE_HEADERS:
            result.others |= scrubber.matcher.others(text, ignore)
        if scrubber.matcher.mentions(text):
            result.mentions = True
            if name.lower() in _ADDRESS_HEADERS:
                text = _without_her_display_name(text, scrubber.matcher)
            cleaned = scrubber.text(text)
            value = cleaned if cleaned.isascii() else Header(cleaned, "utf-8").encode()
            changed = True
        new_items.append((name, value))
    if changed:
        for name in {name for name, _ in items}:
            del part[name]
        for name, value in new_items:
            part[name] = value
    for header, param, text in _file_names(part):
        cleaned = scrub_file_name(text, scrubber.text)
        if cleaned != text and scrub_file_name(text, scrubber.address) != text:
            result.mentions = changed = True
            part.set_param(param, cleaned, header=header,
                           charset=None if cleaned.isascii() else "utf-8")
    return changed


#: The parameters that name an attached file, by header.
_FILE_NAME_PARAMS = (("Content-Disposition", "filename"), ("Content-Type", "name"))


def _file_names(part: Message) -> Iterable[tuple[str, str, str]]:
    """Yield (header, parameter, the name decoded) of each name a part gives its file.

    A name in RFC 2231's form ("filename*=utf-8''anna%40kunta.fi.xlsx", as a mail program
    writes a long or non-ASCII name) shows the address percent-encoded after a quote, which
    the header's text does not show as an address: the parameter is read decoded."""
    from email.utils import collapse_rfc2231_value

    for header, param in _FILE_NAME_PARAMS:
        value = part.get_param(param, header=header.lower())
        if value is not None and value != "":
            yield header, param, _header_text(collapse_rfc2231_value(value))


def _scrub_part(part: Message, scrubber: _Scrubber, ignore: set[str], depth: int,
                result: _Blob, *, force: bool = False) -> bool:
    from email import encoders

    from .mailparse import decoded_payload

    payload = decoded_payload(part)
    if not isinstance(payload, bytes):
        return False
    filename = part.get_filename() or ""
    charset = part.get_content_charset()
    if part.get_content_maintype() == "text" and not filename:
        try:
            text = payload.decode(charset or "utf-8")
        except (LookupError, UnicodeDecodeError):
            text = payload.decode("latin-1")
            charset = "latin-1"
        blob = _scrub_text(text.encode("utf-8"), scrubber, ignore, force=force)
        new = blob.data.decode("utf-8").encode(charset or "utf-8", errors="replace")
        if new == text.encode(charset or "utf-8", errors="replace"):
            new = payload
    else:
        blob = scrub_blob(filename, payload, scrubber, ignore, depth + 1, force=force)
        new = blob.data
    result.mentions |= blob.mentions
    result.others |= blob.others
    result.opaque |= blob.opaque
    result.unchecked = result.unchecked or blob.unchecked
    if new == payload:
        return False
    encoding = (part.get("Content-Transfer-Encoding") or "").lower()
    del part["Content-Transfer-Encoding"]
    part.set_payload(new)
    if encoding == "quoted-printable":
        encoders.encode_quopri(part)
    elif encoding in ("7bit", "8bit") and new.isascii():
        part.set_payload(new.decode("ascii"))
        part["Content-Transfer-Encoding"] = encoding
    else:
        encoders.encode_base64(part)
    return True


def _erase_files(run: _Run) -> None:
    """Delete or rewrite every file under outputs/ that holds the person (the site and its
    CMS Markdown aside: they are published again).

    A link is never written through: one to a file of the workspace is that file's business,
    one out of it is named when its target shows the address. A file forget cannot read, or
    too large to look into, is named to be checked by hand; the erasure goes on.
    """
    outputs = run.workspace.outputs
    if not outputs.is_dir():
        return
    received = _received_by_path(run)
    published = [folder.resolve() for folder in _published_folders(run.workspace)]
    for path in sorted(outputs.rglob("*")):
        if path.name == KEY_FILE or any(_inside(path, folder) for folder in published):
            continue
        shown = path.relative_to(run.workspace.root).as_posix()
        if path.is_symlink():
            _note_link(run, path, shown)
            continue
        if not path.is_file() or _is_database(path):
            continue
        data, problem = _read_for_scan(path, run.matcher)
        if data is None:
            if problem:
                run.note("files_to_check", f"{shown}: {problem}", "left as it is: forget "
                         "could not look into it; check it for the person by hand")
            continue
        if data.startswith(SQLITE_HEADER):
            if _database_copy_shows(path, run.matcher) is not False:
                run.note("files_to_check", f"{shown} (a copy of the database, such as a "
                         "migration takes first)", "left as it is: it still holds this "
                         "person's data from before the erasure; delete it once the database "
                         "in use works")
            continue
        linked = received.get(path.resolve())
        # A received file holding the person's answer is theirs: names and phones go from it
        # even where the address is not beside them. Any other file is scrubbed only where
        # the address is found in it.
        force = linked is not None and linked[0]
        found, why = (True, "") if force else run.finder.find(path.name, data)
        why = why or ("" if found else _unreadable(data))
        # A message to a contact whose row named her greets her ("Hyvä Maija Meikäläinen"):
        # her name and phone go from it as they went from the contact.
        greets = not found and not why and _to_named_her(run, path.name, data)
        blob = (scrub_blob(path.name, data, run.scrubber, run.ignore, force=force or greets)
                if found or greets else _Blob(data, unchecked=why))
        blob.mentions |= greets and blob.data != data
        if blob.unchecked:
            run.note("files_to_check", f"{shown}: {blob.unchecked}", "left as it is: forget "
                     "could not look into it; check it for the person by hand")
            continue
        if not (linked is not None and linked[0]) and not blob.mentions:
            continue
        try:
            kept = _settle_file(run, path, blob, linked)
            if kept and linked is None:  # (a received file's name goes with its record)
                _rename_named(run, path)
        except OSError as exc:
            run.note("files_to_check", f"{shown}: could not be changed ({_os_reason(exc)})",
                     "left as it is: take the person out by hand")


def _to_named_her(run: _Run, name: str, data: bytes) -> bool:
    """Whether a file is a message sent to a contact whose contact-list row named her."""
    return _sent_to(run.named_her, name, data)


def _sent_to(addresses: Sequence[AddressMatcher], name: str, data: bytes) -> bool:
    """Whether a file is a message sent (To, Cc) to one of ``addresses``."""
    if not addresses or not (name.lower().endswith(".eml") or _looks_like_email(data)):
        return False
    from .mailparse import parse_bytes_message

    head = parse_bytes_message(re.split(rb"\r?\n\r?\n", data[:200_000], maxsplit=1)[0]
                               + b"\n\n")
    return any(matcher.mentions(_header_text(value)) for matcher in addresses
               for value in head.get_all("To", []) + head.get_all("Cc", []))


def _shown_outside(run: _Run, left: list[str], unchecked: dict[str, str]
                   ) -> tuple[list[str], dict[str, str]]:
    """The files outside outputs/ as printed: a folder or file name that shows the person
    shows "[address]" (or "[erased]" for a name) in their place, as what forget prints
    of the files it renames under outputs/ does not name her either. These keep their names
    (they are the coordinator's): "mailbox/00014-[address].eml" is what to look for."""
    masked = _Scrubber(run.matcher, "[address]", ERASED_SHOWN)
    masked.names, masked.phones = run.scrubber.names, run.scrubber.phones

    def shown(path: str) -> str:
        return "/".join(_file_name(run, part, whole=True, scrubber=masked)
                        for part in path.split("/"))

    return [shown(path) for path in left], {shown(path): why for path, why in unchecked.items()}


def _rename_named(run: _Run, path: Path) -> None:
    """Rename a file kept under outputs/ whose name shows the person (a report written with
    ``person --out anna-virtanen.xlsx``): its contents lost them, its name must too."""
    new_name = _file_name(run, path.name, whole=True)
    if new_name == path.name:
        return
    target = path.with_name(new_name)
    number = 1
    while target.exists() or target.is_symlink():
        number += 1
        target = path.with_name(f"{Path(new_name).stem}-{number}{Path(new_name).suffix}")
    folder = path.parent.relative_to(run.workspace.root).as_posix()
    shown = _file_name(run, path.name, whole=True, shown=True)
    run.note("file_names", f"the name of {folder}/{shown}", f"renamed to {target.name}")
    if run.apply:
        path.rename(target)


def files_showing(workspace: Workspace, matcher: AddressMatcher, *,
                  finder: _Finder | None = None, greeted: Sequence[AddressMatcher] = (),
                  names: Iterable[str] = (), phones: Iterable[str] = (),
                  greeted_found: set[str] | None = None) -> list[str]:
    """Return the files under outputs/ that show the address (for ``person``): the site and
    its CMS Markdown, the database and links aside; a file too large to read whole is
    streamed. ``finder`` is one shared with the look outside outputs/ (same content, one
    look). A message sent to one of ``greeted`` (contacts whose row named her) that shows
    one of her ``names`` or ``phones`` is hers too, as forget scrubs it (and is added to
    ``greeted_found``)."""
    outputs = workspace.outputs
    if not outputs.is_dir():
        return []
    published = [folder.resolve() for folder in _published_folders(workspace)]
    finder = finder or _Finder(matcher)
    scrubber = _Scrubber(matcher, "")
    named = _Scrubber(matcher, "")
    named.names, named.phones = set(names), set(phones)
    found = []
    for path in sorted(outputs.rglob("*")):
        if (path.is_symlink() or not path.is_file() or path.name == KEY_FILE
                or _is_database(path) or any(_inside(path, folder) for folder in published)):
            continue
        data, problem = _read_for_scan(path, matcher)
        if data is not None and data.startswith(SQLITE_HEADER):
            if _database_copy_shows(path, matcher):
                found.append(path.relative_to(workspace.root).as_posix())
            continue
        # The quick look first; a file it finds the address in is read as forget reads it.
        if problem.endswith("shows the address") or (
                data is not None and finder.find(path.name, data)[0]
                and scrub_blob(path.name, data, scrubber, set()).mentions):
            found.append(path.relative_to(workspace.root).as_posix())
        elif data is not None and _sent_to(greeted, path.name, data) and scrub_blob(
                path.name, data, named, set(), force=True).data != data:
            found.append(path.relative_to(workspace.root).as_posix())
            if greeted_found is not None:
                greeted_found.add(found[-1])
    return found


def _os_reason(exc: OSError) -> str:
    return (exc.strerror or type(exc).__name__).lower()


def _too_large(size: int, what: str = "is") -> str:
    return f"{what} {size / 1_000_000:,.0f} MB, more than the {_MAX_SCAN // 1_000_000} MB " \
           "forget looks into"


def _read_for_scan(path: Path, matcher: AddressMatcher) -> tuple[bytes | None, str]:
    """Return a file's bytes to scrub, or None and why not ("" when there is nothing to do).

    A file over the limit is not read whole: it is streamed for the address, and named only
    when it shows it (or is an archive, whose inside cannot be streamed).
    """
    try:
        size = path.stat().st_size
        if size <= _MAX_SCAN:
            return path.read_bytes(), ""
        with path.open("rb") as stream:
            head = stream.read(4)
            if head[:2] == b"\x1f\x8b" or head == b"PK\x03\x04":
                return None, _too_large(size, "is an archive of")
            stream.seek(0)
            tail = b""
            while chunk := stream.read(16_000_000):
                if matcher.mentions_bytes(tail + chunk):
                    return None, _too_large(size) + "; it shows the address"
                tail = chunk[-2000:]
    except OSError as exc:
        return None, f"could not be read ({_os_reason(exc)})"
    return None, ""


def _note_link(run: _Run, path: Path, shown: str) -> None:
    """Name a link under outputs/ to a file outside the workspace that shows the address."""
    target = _outside_target(run.workspace, path)
    if target is None:
        return
    data, problem = _read_for_scan(target, run.matcher)
    if problem or (data is not None and run.finder.find(target.name, data)[0]):
        run.note("files_to_check", f"{shown} (a link to a file outside the workspace, "
                 f"{target})", "left as it is: forget does not change files outside the "
                 "workspace; take the person out of it by hand")


def _outside_target(workspace: Workspace, path: Path) -> Path | None:
    """Return where a link leads when that is a file outside the workspace, else None."""
    try:
        target = path.resolve(strict=True)
    except (OSError, RuntimeError):  # dangling, or a loop
        return None
    if _inside(target, workspace.root.resolve()) or _inside(target, workspace.outputs.resolve()):
        return None
    return target if target.is_file() else None


def _settle_file(run: _Run, path: Path, blob: _Blob, linked: tuple[bool, bool] | None) -> bool:
    """Delete a file that is only the person's; scrub one that holds others' data too.
    Return whether the file is kept, rewritten without the person."""
    # As printed: a file name that shows the person shows "[erased]" in their place.
    shown = (path.parent.relative_to(run.workspace.root) / _file_name(
        run, path.name, whole=True, shown=True)).as_posix()
    is_received = linked is not None or _inside(path, (run.workspace.outputs / "received").resolve())
    others = bool(blob.others) or (linked is not None and linked[1])
    is_copy = is_received or path.suffix.lower() in (".eml", ".msg", ".gz", ".zip")
    if is_copy and not others:
        kind = "received_copies_deleted" if is_received else "eml_copies_deleted"
        what = "received file" if is_received else "stored copy of a message"
        run.note(kind, f"{what} {shown}", "deleted: it holds this person's data and no one "
                 "else's")
        if run.apply:
            path.unlink()
        return False
    if blob.opaque:
        run.note("files_to_check", f"{shown} (a format that cannot be edited here)",
                 "left as it is: it also holds other people's data; remove the person by hand")
        return False
    if not blob.mentions:
        # Linked by an answer but holding no address text (the data sits in cells we cannot
        # tell apart): it holds others' answers too, so it stays.
        run.note("files_to_check", f"received file {shown}", "left as it is: it also holds "
                 "other people's answers; the person's answer is erased from the database")
        return False
    kind = "received_copies_scrubbed" if is_received else (
        "workbooks" if path.suffix.lower() in (".xlsx", ".ods", ".xlsm") else "output_files")
    run.note(kind, ("received file " if is_received else "") + shown,
             "kept with this person's data taken out: it also holds other people's data"
             if is_received else "rewritten without the person")
    if run.apply:
        _replace_file(path, blob.data)
    return True


#: The suffix of a file forget is writing: renamed over the file when whole.
_PART = ".forget-part"


def _replace_file(path: Path, data: bytes) -> None:
    """Write a file whole or not at all: killed half-way, the file is as it was (the others'
    data in it intact); the rerun clears the part it left."""
    import os

    part = path.with_name(path.name + _PART)
    part.write_bytes(data)
    part.chmod(path.stat().st_mode & 0o7777)
    os.replace(part, path)


def _received_by_path(run: _Run) -> dict[Path, tuple[bool, bool]]:
    """Return stored received files: path → (holds the person's answer, holds others' answers)."""
    from sqlmodel import select

    from .db.models import ReceivedFile, Submission

    persons = {s.id for s in run.records.submissions}
    by_file: dict[int, tuple[bool, bool]] = {}
    for submission in run.session.exec(select(Submission)):
        mine, theirs = by_file.get(submission.received_file_id, (False, False))
        if submission.id in persons:
            mine = True
        elif submission.status not in ("empty",):
            theirs = True
        by_file[submission.received_file_id] = (mine, theirs)
    paths: dict[Path, tuple[bool, bool]] = {}
    for received in run.session.exec(select(ReceivedFile)):
        path = run.workspace.stored_file(received.stored_path)
        if path is None:
            continue
        mine, theirs = by_file.get(received.id or -1, (False, False))
        paths[path.resolve()] = (mine or run.matcher.mentions(received.sender or ""), theirs)
    return paths


#: How every SQLite database file begins (a copy under another name too: ``FILE.bak-REV``).
SQLITE_HEADER = b"SQLite format 3\x00"


def _database_copy_shows(path: Path, matcher: AddressMatcher) -> bool | None:
    """Whether a copy of a SQLite database (one a migration took first) holds the address in
    any text value; None when it cannot be opened. Its raw bytes cannot tell: a value's
    record header byte may stand right before the address, as if part of a longer one."""
    import sqlite3
    from contextlib import closing

    try:
        with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as db:
            tables = [row[0] for row in db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")]
            for table in tables:
                quoted = table.replace('"', '""')
                for row in db.execute(f'SELECT * FROM "{quoted}"'):  # noqa: S608 - its own names
                    if any(isinstance(value, str) and matcher.could_be_in(value)
                           and matcher.mentions(value) for value in row):
                        return True
    except sqlite3.Error:
        return None
    return False


def _is_database(path: Path) -> bool:
    name = path.name.lower()
    return name.endswith((".sqlite", ".sqlite-wal", ".sqlite-shm", ".sqlite-journal", ".db"))


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder)
    except ValueError:
        return False
    return True


def _published_folders(workspace: Workspace) -> list[Path]:
    """Return the site and the folder of its CMS Markdown (``publish``'s defaults)."""
    from .publish import CMS_FOLDER

    return [workspace.outputs / "site", workspace.outputs / CMS_FOLDER]


def _republish(run: _Run, republish: Callable[[], Any] | None) -> None:
    site, cms = _published_folders(run.workspace)
    if republish is None or not site.is_dir():
        return
    if not run.apply:
        # Would the cleaned site differ? Any page, data file, (gzip'd) search fragment or CMS
        # Markdown file that shows the address, a name or a phone of the person.
        files = [path for folder in (site, cms) if folder.is_dir()
                 for path in sorted(folder.rglob("*")) if path.is_file()]
        if any(_shows_person(run, path) for path in files):
            run.note("site_files", "the published site (its pages, practices.json, the "
                     "search index and the CMS Markdown)", "published again from the cleaned "
                     "database")
        return
    result = republish()
    # The site's manifest and its cache (.yhteistuumin-site.*) aside.
    changed_files = len([name for name in (*getattr(result, "written", []),
                                           *getattr(result, "removed", []),
                                           *getattr(result, "cms_written", []),
                                           *getattr(result, "cms_removed", []))
                         if not name.startswith((".yhteistuumin-site", ".yhteistuumin-cms"))])
    if changed_files:
        run.places.append(Place("the published site (its pages, practices.json, the search "
                                "index and the CMS Markdown)",
                                f"published again: {changed_files} files changed",
                                "site_files"))
        run.counts["site_files"] += changed_files


def _republish_elsewhere(run: _Run, republish_to: Callable[[Path, Path], Any] | None) -> None:
    """Publish again the sites and CMS folders ``publish --out/--cms`` wrote outside outputs/
    that show the person (or, with no way to publish, name them to be published again)."""
    from .publish import published_elsewhere

    for out, cms in published_elsewhere(run.workspace):
        files = [path for folder in (out, cms) if folder.is_dir()
                 for path in sorted(folder.rglob("*")) if path.is_file()]
        if not any(_shows_person(run, path) for path in files):
            continue
        where = f"the site published to {out} (and its CMS Markdown in {cms})"
        if republish_to is None:
            run.note("files_to_check", where, "left as it is: publish it again with "
                     f"'yhteistuumin publish --out {out} --cms {cms}'")
        elif not run.apply:
            run.note("site_files", where, "published again from the cleaned database")
        else:
            result = republish_to(out, cms)
            changed = len([name for name in (*getattr(result, "written", []),
                                             *getattr(result, "removed", []),
                                             *getattr(result, "cms_written", []),
                                             *getattr(result, "cms_removed", []))
                           if not name.startswith((".yhteistuumin-site", ".yhteistuumin-cms"))])
            run.places.append(Place(where, f"published again: {changed} files changed",
                                    "site_files"))
            run.counts["site_files"] += changed


def _shows_person(run: _Run, path: Path) -> bool:
    data = path.read_bytes()
    blob = scrub_blob(path.name, data, run.scrubber, set())
    return blob.mentions or blob.data != data


def _left_outside(workspace: Workspace, matcher: AddressMatcher, *,
                  finder: _Finder | None = None) -> tuple[list[str], dict[str, str]]:
    """Name the coordinator's own files in the workspace, outside outputs/, that still hold the
    address (not ours to edit): the contact list under recipients/, and the folders the
    answers were saved in before ingest (an inbox/ of saved emails and questionnaires).

    Also return the files it could not look into (unreadable, too large), with why. A link
    is not followed into a folder; a link to a file outside the workspace is named (with
    where it leads) when that file shows the address.
    """
    left, unchecked = [], {}
    root = workspace.root.resolve()
    outputs = workspace.outputs.resolve()
    scrubber = _Scrubber(matcher, "")
    finder = finder or _Finder(matcher)
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        shown = relative.as_posix()
        if any(part.startswith(".") or part == "__pycache__" for part in relative.parts):
            continue
        target: Path | None = path
        if path.is_symlink():
            target = _outside_target(workspace, path)
            if target is not None:
                shown = f"{shown} (a link to a file outside the workspace, {target})"
        if (target is None or not target.is_file() or _inside(path.parent, outputs)
                or _is_database(path)):
            continue
        data, problem = _read_for_scan(target, matcher)
        blob = None
        if data is not None:
            # Scrubbed (to learn what it could not look into) only where the address is.
            found, why = finder.find(path.name, data)
            blob = scrub_blob(path.name, data, scrubber, set()) if found else _Blob(
                data, unchecked=why)
        if problem.endswith("shows the address") or (blob and blob.mentions
                                                      and not blob.unchecked):
            left.append(shown)
        elif problem or (blob and blob.unchecked):
            unchecked[shown] = problem or (blob.unchecked if blob else "")
    # The contact list first: it is the one that brings the person back.
    return sorted(left, key=lambda name: (not name.startswith("recipients/"), name)), unchecked


def own_files_showing(workspace: Workspace, matcher: AddressMatcher, *,
                      finder: _Finder | None = None) -> list[str]:
    """Return the coordinator's own files in the workspace, outside outputs/, that show the
    address (for ``person``; ``forget`` names them and leaves them as they are)."""
    return _left_outside(workspace, matcher, finder=finder)[0]


def shared_finder(matcher: AddressMatcher) -> _Finder:
    """Return one finder for several looks at the workspace's files (each content read once)."""
    return _Finder(matcher)


def _pending_erasures(workspace: Workspace) -> list[str]:
    """Return the keyed hashes of erasures begun and not finished."""
    try:
        text = (workspace.outputs / PENDING_FILE).read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    return [line.strip() for line in text.splitlines() if line.strip()]


def _interrupted(n: int, other: str) -> str:
    return (f"{plural(n, other + 'erasure')} {'was' if n == 1 else 'were'} interrupted before "
            f"{'it' if n == 1 else 'they'} finished: run forget again for "
            f"{'that address' if n == 1 else 'those addresses'} (publish refuses until then).")


def check_no_interrupted_erasure(workspace: Workspace) -> None:
    """Refuse to publish while an erasure is unfinished: the database still holds the person
    the coordinator was asked to erase, and publishing would show them again."""
    from .errors import SurveyError

    pending = _pending_erasures(workspace)
    if pending:
        raise SurveyError(
            f"{workspace.outputs / PENDING_FILE}: an erasure (forget) was interrupted before it "
            "finished; run the same 'yhteistuumin forget' again, then publish")


def _clear_parts(workspace: Workspace) -> None:
    """Remove what a killed forget left half-written (the files themselves are as they were)."""
    outputs = workspace.outputs
    if outputs.is_dir():
        for part in outputs.rglob(f"*{_PART}"):
            if part.is_file() and not part.is_symlink():
                part.unlink()


# --- the database forgets --------------------------------------------------------------------


def _secure_delete(session: Session) -> None:
    """Have SQLite overwrite freed space with zeros for this erasure (its default build does not)."""
    if session.get_bind().dialect.name == "sqlite":
        session.connection().exec_driver_sql("PRAGMA secure_delete=ON")


def _make_unrecoverable(session: Session, tables: set[str]) -> list[str]:
    """Rewrite the database so old values are gone; return what may still hold them."""
    engine: Any = session.get_bind()
    session.close()
    backups = ("Backups and copies of the database or of outputs/ made before now still hold "
               "the person: delete them, or run forget again on any copy you restore.")
    if engine.dialect.name == "sqlite":
        from sqlalchemy.exc import OperationalError

        try:
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.exec_driver_sql("PRAGMA busy_timeout=5000")
                connection.exec_driver_sql("PRAGMA secure_delete=ON")
                connection.exec_driver_sql("VACUUM")
                busy = connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").first()
        except OperationalError:
            return [f"{engine.url.database}: another program has the database open, so it could "
                    "not be rewritten now; erased values were overwritten (secure_delete) but the "
                    "write-ahead log may still hold them: close the other program and run forget "
                    "again.", backups]
        database = engine.url.database or ""
        if busy and busy[0]:
            return [f"{database}-wal: another program has the database open, so its write-ahead "
                    "log could not be emptied and may still hold the old values; close it and "
                    "run forget again.", backups]
        return ["The database was rewritten (VACUUM) and its write-ahead log emptied: the old "
                "values are gone from it.", backups]
    from sqlalchemy.exc import DBAPIError

    try:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            # Another program's open transaction would make VACUUM FULL wait for ever: after
            # a while it is said below instead (the erasure itself is committed).
            connection.exec_driver_sql("SET lock_timeout = '15s'")
            for table in sorted(tables):
                connection.exec_driver_sql(f'VACUUM FULL "{table}"')
    except DBAPIError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
        return [f"PostgreSQL: the tables touched could not be rewritten ({reason}); until the "
                f"database owner runs VACUUM FULL on {', '.join(sorted(tables))}, their dead "
                "rows may still hold the old values.", backups]
    return [f"PostgreSQL: the tables touched ({', '.join(sorted(tables))}) were rewritten "
            "(VACUUM FULL). The server's write-ahead log (pg_wal), a WAL archive and base backups "
            "still hold the old values until they are recycled: run CHECKPOINT as a superuser "
            "and remove archived WAL and backups older than this erasure.", backups]


# --- a consent withdrawn in a later message ---------------------------------------------------

#: What a person writes to withdraw their consent to publishing, or to ask their details off
#: the site (folded: lower case, "ä" as "a"): Finnish, Swedish, English. A phrase must stand in
#: one sentence of the message's own text (quoted lines and the quoted invitation aside).
_WITHDRAWAL = re.compile(
    r"\ben (?:halua|salli|anna (?:lupaa|lupaani)|suostu)\b[^.!?\n]{0,80}?\bjulkai"
    r"|\b(?:alkaa|ei saa|ette saa) (?:[^.!?\n]{0,40}?\b)?julkai"
    r"|\b(?:perun|peruutan|perua|peruuttaa|vedan takaisin)\b[^.!?\n]{0,50}?"
    r"\b(?:lupa|luva|suostumu)"
    r"|\bpoista(?:kaa|isitteko|isitko|tkaa)?\b[^.!?\n]{0,50}?"
    r"\b(?:nimeni|yhteystietoni|tietoni|puhelinnumeroni|sahkopostiosoitteeni)"
    r"|\bvill inte\b[^.!?\n]{0,80}?\bpublicer"
    r"|\b(?:aterkallar|aterkalla|drar tillbaka)\b[^.!?\n]{0,50}?\b(?:samtycke|tillstand)"
    r"|\b(?:far|ska|bor) (?:ni )?inte publicera"
    r"|\b(?:withdraw|revoke|cancel)\b[^.!?\n]{0,50}?\b(?:consent|permission)"
    r"|\b(?:do not|don't|dont) publish\b"
    r"|\bremove my (?:name|details|contact)")
#: Where the quoted earlier message begins in a reply.
_QUOTE_START = re.compile(
    r"^(?:-{3,}|_{5,}|(?:lahettaja|fran|from|lahetetty|skickat|sent|on .* wrote|.* kirjoitti)"
    r"\s*:?.*$)", re.IGNORECASE | re.MULTILINE)


def withdraws_consent(text: str) -> bool:
    """Tell whether a message's own text withdraws consent to publishing ("En halua nimeäni
    julkaistavan", "Jag återkallar mitt samtycke", "Please do not publish my details")."""
    from .survey import strip_diacritics

    folded = strip_diacritics(text.casefold()).replace("\u2019", "'")
    own = "\n".join(line for line in folded.splitlines() if not line.lstrip().startswith(">"))
    quoted = _QUOTE_START.search(own)
    if quoted:
        own = own[:quoted.start()]
    return bool(_WITHDRAWAL.search(own))


@dataclass
class Withdrawal:
    """A message in which a person withdrew their consent to publishing."""

    received_at: Any
    received_file_id: int
    name: str


def consent_withdrawals(session: Session) -> dict[str, Withdrawal]:
    """Return, by the sender's address (as :func:`canonical_address`), the latest message read
    into the database whose own text withdraws consent to publishing (``withdraws_consent``)."""
    from sqlalchemy import select as sa_select

    from .db.models import ReceivedFile, Submission

    s = Submission.__table__.c  # type: ignore[attr-defined]
    r = ReceivedFile.__table__.c  # type: ignore[attr-defined]
    # Only messages nobody read as answers: the text of a mail with no questionnaire in it.
    query = sa_select(s.raw, r.id, r.sender, r.received_at, r.original_name).join(
        ReceivedFile.__table__, r.id == s.received_file_id).where(  # type: ignore[attr-defined]
        s.status.in_(("to-read", "body-text")), r.sender.is_not(None))
    found: dict[str, Withdrawal] = {}
    for raw, file_id, sender, received_at, name in session.execute(query):
        body = raw.get("body") if isinstance(raw, dict) else None
        if not isinstance(body, str) or not withdraws_consent(body):
            continue
        addresses = [m.group(0) for m in _ANY_ADDRESS.finditer(sender)]
        for address in addresses[:1]:
            key = canonical_address(address)
            if key not in found or (received_at and found[key].received_at
                                    and received_at > found[key].received_at):
                found[key] = Withdrawal(received_at, int(file_id), str(name))
    return found
