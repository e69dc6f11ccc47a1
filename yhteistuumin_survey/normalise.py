"""Normalise one answered practice into a practice record: the card fields, clean and checked.

The ingest readers turn each source (our questionnaire, form exports, tables, emails) into a
mapping ``question id -> raw answer``; :func:`normalise_answers` turns that mapping into a
:class:`NormalisedPractice`. Each step is a public function tested on its own:
:func:`clean_text`, :func:`split_keywords`, :func:`parse_target_groups`, :func:`parse_consent`,
:func:`split_contact` and :func:`detect_language`.

Nothing here raises on odd input: whatever a person typed becomes a value, ``None`` or a flag
for the reviewers. Municipalities are only cleaned here (``municipality_text``); resolving them
to codes is the name resolver's job.

Phone numbers are formatted in the phonenumbers INTERNATIONAL format (``+358 40 1234567``):
the country code and the area/operator code stand apart, which is how Finnish numbers are
usually printed, and it is still unambiguous to dial.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import sys
import threading
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from .errors import InputError
from .flags import unsure
from .survey import Survey, safe_load_yaml
from .survey import fold as _survey_fold

#: The survey's folding (case, diacritics, punctuation), cached: the same keywords, choices and
#: labels come back thousands of times in a round.
fold = lru_cache(maxsize=65536)(_survey_fold)

__all__ = [
    "ContactParts", "NormalisedPractice", "Vocabulary", "bundled_vocabulary", "clean_line", "clean_text",
    "decide_language", "detect_language", "load_vocabulary", "normalise_answers", "parse_consent",
    "parse_target_groups", "read_consent", "split_contact", "split_keywords", "unlinked_keywords",
]

LANGUAGES = ("fi", "sv")
#: Fields holding prose: line breaks kept, used for language detection.
LONG_FIELDS = ("goal", "summary", "implementation", "resources", "experiences", "benefits")
#: The answers that make a practice; the others (municipality, contact, consent) may be
#: pre-filled or defaulted in a questionnaire and do not make one on their own.
_PRACTICE_CONTENT = ("title", "keywords", "target_group", *LONG_FIELDS)

# --------------------------------------------------------------------------------------------
# Text cleaning

_HSPACE = re.compile(r"[ \t]+")
#: Characters that are removed: zero-width, soft hyphen, byte-order mark, word joiner.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u200e\u200f\u2060\u00ad\ufeff\u180e"), None)
#: Cell contents that mean "nothing here" (typed placeholders and Excel error values).
_PLACEHOLDERS = frozenset({
    "-", "--", "---", "–", "—", ".", "..", "...", "…", "n/a", "n.a.", "#n/a", "#value!",
    "#ref!", "#div/0!", "#name?", "#null!", "#num!", "#getting_data",
})
#: Excel's error values that no one types as an answer (a cell showing one lost its answer);
#: "#N/A" is also typed for "not applicable" and stays a plain placeholder.
_CELL_ERRORS = frozenset({"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!",
                          "#SPILL!", "#CALC!", "#FIELD!", "#BLOCKED!", "#CONNECT!", "#UNKNOWN!",
                          "#TYHJÄ!", "#JAKO/0!", "#ARVO!", "#VIITTAUS!", "#NIMI?", "#LUKU!",
                          "#NOLL!", "#DIVISION/0!", "#VÄRDEFEL!", "#REFERENS!", "#NAMN?",
                          "#OGILTIGT!"})
#: An error value with the spaces a cell may hold around it, at most (a longer text is none).
_CELL_ERROR_CHARS = max(map(len, _CELL_ERRORS)) + 8
#: casefold never shortens a text: anything longer than this is no placeholder.
_PLACEHOLDER_MAX = max(map(len, _PLACEHOLDERS))


def _scalar_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return None
        return str(int(value)) if value.is_integer() and abs(value) < 1e16 else repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, list | tuple):
        # Several cells (or a form's several values) for one answer: one line each.
        parts = [_scalar_text(item) for item in value]
        return "\n".join(part for part in parts if part)
    if isinstance(value, dt.datetime):  # as tables.cell_text writes it: no time at midnight
        return value.isoformat(sep=" ", timespec="seconds") if value.time() != dt.time() \
            else value.date().isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


#: Everything that _normalise_chars changes: escapes aside, the text is left alone when none match.
_ODD_CHARS = re.compile(
    "[\r\t\x00-\x08\x0b-\x1f\x7f-\x9f\u00a0\u00ad\u1680\u180e\u2000-\u200f\u2028-\u202f"
    "\u205f-\u2060\u3000\ufeff\ud800-\udfff]")
_LINE_BREAKS = frozenset("\n\u2028\u2029\x0b\x0c\x85\x1c\x1d\x1e")


def _replace_odd(match: re.Match[str]) -> str:
    ch = match.group()
    if ch in _LINE_BREAKS:
        return "\n"
    if ord(ch) in _INVISIBLE:
        return ""
    category = unicodedata.category(ch)
    if ch == "\t" or category == "Zs":
        return " "  # tabs, no-break, narrow, figure and other spaces
    return ""  # other control characters and lone surrogates


def _normalise_chars(text: str) -> str:
    # Excel's _xHHHH_ escapes are decoded once, by the table reader (tables.py), as the file
    # format defines them: decoding here again would turn a typed "_x000D_" into a line break.
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _ODD_CHARS.sub(_replace_odd, text)
    if not text.isascii() and not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    return text


def _latin1_size() -> int | None:
    """``sys.getsizeof`` of a text of one byte a character beyond ASCII (Latin-1: Finnish and
    Swedish without a '–', '€' or curly quote) less its length, as CPython stores it; None
    when this interpreter's sizes do not tell such a text (then every text is checked whole).

    A text two or four bytes a character is never taken for one: its size grows by two or
    four a character (and a cached UTF-8 copy only adds to any text's size)."""
    one_byte = {sys.getsizeof("\u00e4" * n) - n for n in (1, 2, 3, 100)}
    wider = {sys.getsizeof(char * n) - n for char in ("\u2013", "\U0001f600") for n in (1, 2, 100)}
    size = next(iter(one_byte))
    return size if len(one_byte) == 1 and size not in wider else None


#: Every character below U+0100 is NFC as it stands and combines with none before it
#: (tests/test_read_fast.py checks each): a Latin-1 text needs no NFC check.
_LATIN1_SIZE = _latin1_size()


#: The bytes of the characters below U+0100 that are not printable (``str.isprintable``):
#: the controls, no-break space and soft hyphen (tests/test_read_fast.py checks all 256).
_UNPRINTABLE_LATIN1 = bytes([*range(0x20), *range(0x7F, 0xA1), 0xAD])
#: From this length a text of one byte a character is told printable by its Latin-1 bytes,
#: and NFC by its size (``_long_one_line``); a shorter one is checked whole, as cheaply.
_LONG_TEXT = 64


def _long_one_line(text: str) -> tuple[bool, bool]:
    """(``text.isprintable()``, whether ``text`` is one byte a character: ASCII or Latin-1) of
    a long text (``_LONG_TEXT``).

    A text of one byte a character is told printable by deleting the unprintable bytes from
    its Latin-1 bytes (a copy at memcpy's speed): isprintable looks each character up in the
    Unicode tables (1.1 us for a 500-character answer, 0.5 so)."""
    if text.isascii() or sys.getsizeof(text) - len(text) == _LATIN1_SIZE:
        return len(text.encode("latin-1").translate(None, _UNPRINTABLE_LATIN1)) == len(text), True
    return text.isprintable(), False


def clean_text(value: Any) -> str | None:
    """Return an answer as clean NFC text, or ``None`` when nothing (or a placeholder) is there.

    Line breaks inside long answers are kept (``\\r\\n`` and ``\\r`` become ``\\n``, at most one
    blank line in a row); spaces and tabs collapse to one space; each line is trimmed (Excel's
    ``_x000D_`` escapes were decoded by the table reader, once); no-break and other odd spaces
    become spaces; zero-width characters go. Whole numbers read from cells come out without ``.0``. Only pure
    placeholders (``-``, ``–``, ``n/a``, ``.``, Excel error values) count as empty; words such
    as "ei" are answers and kept.
    """
    if value is None:
        return None
    printable = one_byte = False
    if type(value) is str:
        if len(value) < _LONG_TEXT:
            printable, one_byte = value.isprintable(), value.isascii()
        else:
            printable, one_byte = _long_one_line(value)
    if printable:
        # One line of ordinary characters (the usual short answer; checked at C speed): none
        # that _normalise_chars changes (tests/test_read_fast.py checks every code point).
        # Printable, it holds no line break and no tab, and NFC makes none; a text of one
        # byte a character is NFC already (the NFC check reads every character).
        text = value
        if not one_byte and not unicodedata.is_normalized("NFC", text):
            text = unicodedata.normalize("NFC", text)
        result = _HSPACE.sub(" ", text).strip(" ") if "  " in text else text.strip(" ")
    else:
        raw = _scalar_text(value)
        if raw is None:
            return None
        result = _clean_lines(_normalise_chars(raw))
    if not result or (len(result) <= _PLACEHOLDER_MAX and result.casefold() in _PLACEHOLDERS):
        return None
    return result


def _clean_lines(text: str) -> str:
    """Collapse spaces and tabs, trim each line, keep at most one blank line in a row."""
    if "\n" not in text:
        return _HSPACE.sub(" ", text).strip(" ") if ("  " in text or "\t" in text) else text.strip(" ")
    lines: list[str] = []
    for line in _HSPACE.sub(" ", text).split("\n"):
        line = line.strip(" ")
        if line or (lines and lines[-1]):
            lines.append(line)
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines)


def clean_line(value: Any) -> str | None:
    """Return an answer as one clean line (line breaks become spaces), or ``None``."""
    text = clean_text(value)
    if text is None or "\n" not in text:
        return text  # clean text of one line has no two spaces in a row
    return " ".join(text.split("\n")).replace("  ", " ") or None


# --------------------------------------------------------------------------------------------
# Keywords and their vocabulary


@dataclass(frozen=True)
class KeywordEntry:
    """One concept of the vocabulary: a stable id, its labels in fi/sv/en, other spellings of
    the same concept, and the id of the broader concept it is a narrower term of."""

    id: str
    labels: dict[str, str]
    aliases: tuple[str, ...] = ()
    broader: str | None = None

    def label(self, lang: str) -> str:
        return self.labels.get(lang) or self.labels["fi"]


@dataclass(frozen=True)
class Vocabulary:
    """The keyword vocabulary: every folded spelling (any language, aliases) -> its entry."""

    entries: tuple[KeywordEntry, ...]
    index: dict[str, KeywordEntry] = field(default_factory=dict, compare=False, repr=False)
    path: Path | None = field(default=None, compare=False)
    #: Folded spelling -> the spelling as the vocabulary writes it (case, diacritics).
    spellings: dict[str, str] = field(default_factory=dict, compare=False, repr=False)
    #: Typed keyword answers already split (split_keywords): a round repeats many of them.
    splits: dict[str, tuple[str, ...]] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def build(cls, entries: Iterable[KeywordEntry], path: Path | None = None) -> Vocabulary:
        """Index the entries; a spelling claimed by two entries is an error."""
        entries = tuple(entries)
        where = f"{path}: " if path else ""
        index: dict[str, KeywordEntry] = {}
        spellings: dict[str, str] = {}
        for entry in entries:
            for spelling in (*entry.labels.values(), *entry.aliases, entry.id):
                key = fold(spelling)
                if not key:
                    continue
                other = index.setdefault(key, entry)
                if other.id != entry.id:
                    raise InputError(f"{where}keyword {spelling!r} belongs to both {other.id!r} and "
                                     f"{entry.id!r}; keep it in one entry")
                if spelling != entry.id:
                    spellings.setdefault(key, spelling)
        ids = {entry.id for entry in entries}
        for entry in entries:
            if entry.broader is not None and (entry.broader not in ids or entry.broader == entry.id):
                raise InputError(f"{where}keyword {entry.id!r}: broader {entry.broader!r} is not "
                                 "the id of another concept in the file")
        return cls(entries=entries, index=index, path=path, spellings=spellings)

    def lookup(self, keyword: str) -> KeywordEntry | None:
        """Return the concept a typed keyword means, or ``None`` (same as :meth:`concept_of`)."""
        return self.index.get(fold(keyword))

    def concept_of(self, keyword: str) -> KeywordEntry | None:
        """Return the concept a keyword as typed is linked to, or ``None`` when it has none.

        The keyword is one of the concept's labels or aliases (case, diacritics and
        punctuation aside); a keyword is never linked to a broader or related concept.
        """
        return self.index.get(fold(keyword))

    def concept(self, concept_id: str) -> KeywordEntry | None:
        """Return the concept with this id, or ``None``."""
        entry = self.index.get(fold(concept_id))
        return entry if entry is not None and entry.id == concept_id else None

    def tidy(self, keyword: str) -> str:
        """Return a keyword as typed, spelt as the vocabulary spells that same word when it is
        one of its labels or aliases ("KIRJASTO", "Kylat" -> "kirjasto", "kylät")."""
        return self.spellings.get(fold(keyword), keyword)

    def canonical(self, keyword: str, lang: str) -> str:
        """Return the label of the keyword's concept in ``lang``, or the keyword as typed.

        For showing a concept (filters, the site's facets); a practice's keywords are kept as
        typed (:func:`split_keywords`).
        """
        entry = self.lookup(keyword)
        return entry.label(lang) if entry else keyword


def parse_vocabulary(data: Any, path: Path | None = None) -> Vocabulary:
    """Check and build a vocabulary from the parsed YAML of ``survey/keywords.yaml``."""
    where = f"{path}: " if path else ""
    items = data.get("keywords") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise InputError(f"{where}expected a mapping with a 'keywords' list")
    entries: list[KeywordEntry] = []
    for number, item in enumerate(items, start=1):
        if not isinstance(item, dict) or not item.get("id") or not item.get("fi"):
            raise InputError(f"{where}keyword {number}: needs at least 'id' and 'fi' (and 'sv', 'en')")
        labels = {lang: str(item[lang]).strip() for lang in ("fi", "sv", "en") if item.get(lang)}
        aliases = tuple(str(a).strip() for a in item.get("aliases") or ())
        broader = str(item["broader"]).strip() if item.get("broader") else None
        entries.append(KeywordEntry(id=str(item["id"]), labels=labels, aliases=aliases,
                                    broader=broader))
    return Vocabulary.build(entries, path=path)


@cache
def _load_vocabulary_file(path: Path, mtime_ns: int, size: int) -> Vocabulary:
    import yaml

    try:
        data = safe_load_yaml(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{path}: no such file; the keyword vocabulary is missing") from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not valid YAML ({str(exc).splitlines()[0]})") from None
    return parse_vocabulary(data, path)


def load_vocabulary_file(path: Path) -> Vocabulary:
    """Read and check a keyword vocabulary file (cached while the file is unchanged)."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise InputError(f"{path}: no such file; the keyword vocabulary is missing") from None
    return _load_vocabulary_file(path, stat.st_mtime_ns, stat.st_size)


def load_vocabulary(workspace: Any) -> Vocabulary:
    """Return the workspace's keyword vocabulary: its own ``survey/keywords.yaml`` or the bundled one."""
    return load_vocabulary_file(workspace.resolve("survey/keywords.yaml"))


def bundled_vocabulary() -> Vocabulary:
    """Return the vocabulary shipped with the project."""
    from .resources import bundled_path

    return load_vocabulary_file(bundled_path("survey/keywords.yaml"))


_KEYWORD_SEPARATORS = re.compile(r"[,;/\n|•·]+")
#: "ja"/"och" between list items, but not after a hyphen: "sosiaali- ja terveyspalvelut" and
#: "social- och hälsovård" share their last half and are one thing.
_CONJUNCTION = re.compile(r"(?<![-‐–])\s+(?:ja|och|and|sekä|samt|&|\+)\s+", re.IGNORECASE)
#: Trimmed from both ends of a keyword: list bullets, hashtags, quotes, end punctuation.
_KEYWORD_TRIM = " .:!?\"'“”„«»‘’`#*-–—•·()[]{}"


_LIST_NUMBER = re.compile(r"^\s*(?:\d{1,2}[.)]|[a-z][)])\s+")
_HASHTAGS = re.compile(r"\s+(?=#\w)")
#: A heading typed into the answer cell ("Avainsanat: kunnat, yhteistyö").
_KEYWORD_LABEL = re.compile(r"^\s*(?:avainsanat|asiasanat|hakusanat|nyckelord|sökord|keywords|tags)\s*:\s*",
                            re.IGNORECASE)


@lru_cache(maxsize=65536)
def _clean_keyword(text: str) -> str:
    # Cached: the same keywords and list items come back again and again in a round.
    text = _LIST_NUMBER.sub("", text)
    text = _HSPACE.sub(" ", text).strip(_KEYWORD_TRIM)
    return text if any(ch.isalnum() for ch in text) else ""


def split_keywords(value: Any, vocabulary: Vocabulary | None = None, lang: str = "fi") -> list[str]:
    """Split typed keywords into a list, each kept as the respondent wrote it.

    Never replaced by another term: a keyword the vocabulary knows keeps its word, spelt as
    the vocabulary spells that word (case, diacritics); its concept is linked beside it by
    :meth:`Vocabulary.concept_of`. ``lang`` is kept for callers; the words do not change with it.

    Separators are ``, ; /``, ``|``, bullets and line breaks; spaces only when every word is a
    known keyword ("kirjasto musiikki lapset"). A list of two or more items also
    splits each item on " ja " / " och " / " and " (the Finnish way of ending a list: "lapset,
    nuoret ja perheet"); a single item is split there only when every part is a known keyword,
    so "kulttuuri ja vapaa-aika" typed alone stays one keyword. Duplicates (case, diacritics and
    punctuation aside) are dropped keeping the first. A list or tuple value is split item by
    item.
    """
    vocabulary = vocabulary if vocabulary is not None else bundled_vocabulary()
    if isinstance(value, str):
        # The same typed answer splits the same way (the result depends on the text and the
        # vocabulary only): split once per run and vocabulary.
        return _remembered(vocabulary.splits, value, lambda: _split_keywords(value, vocabulary))
    return _split_keywords(value, vocabulary)


#: Answers remembered per vocabulary or survey (typed keywords, target groups, consents).
_MEMO_MAX = 20_000


def _remembered(memo: dict[Any, tuple[str, ...]], key: Any,
                make: Callable[[], list[str]]) -> list[str]:
    """Return ``make()`` for ``key``, worked out once while ``memo`` holds it (emptied when
    full): the answer depends on the key and the memo's owner only."""
    known = memo.get(key)
    if known is None:
        if len(memo) >= _MEMO_MAX:
            memo.clear()
        known = memo[key] = tuple(make())
    return list(known)


def _split_keywords(value: Any, vocabulary: Vocabulary) -> list[str]:
    if isinstance(value, list | tuple):
        text = "\n".join(t for t in (clean_text(v) for v in value) if t)
    else:
        text = clean_text(value) or ""
    text = _HASHTAGS.sub("\n", _KEYWORD_LABEL.sub("", text))
    items = [k for k in (_clean_keyword(part) for part in _KEYWORD_SEPARATORS.split(text)) if k]
    parts: list[str] = []
    for item in items:
        pieces = [k for k in (_clean_keyword(p) for p in _CONJUNCTION.split(item)) if k]
        if not (len(pieces) > 1 and (len(items) > 1 or all(vocabulary.lookup(p) for p in pieces))):
            pieces = [item]
        for piece in pieces:
            # "kirjasto musiikki lapset": keywords typed with spaces only, each one known.
            words = [k for k in (_clean_keyword(w) for w in piece.split(" ")) if k]
            if len(words) > 1 and vocabulary.lookup(piece) is None and all(map(vocabulary.lookup, words)):
                parts.extend(words)
            else:
                parts.append(piece)
    result: list[str] = []
    seen: set[str] = set()
    for part in parts:
        keyword = vocabulary.tidy(part)
        key = fold(keyword) or keyword.casefold()
        if key not in seen:
            seen.add(key)
            result.append(keyword)
    return result


def unlinked_keywords(keywords: Iterable[str], vocabulary: Vocabulary) -> list[str]:
    """Return the keywords no concept of the vocabulary is linked to (for its keeper)."""
    return [k for k in keywords if vocabulary.concept_of(k) is None]


# --------------------------------------------------------------------------------------------
# Consent

_YES_WORDS = frozenset({
    "kylla", "k", "joo", "juu", "ja", "j", "jo", "yes", "y", "x", "true", "1", "ok", "okay",
    "tosi", "sant", "checked", "selected", "valittu", "on", "saa",
})
#: Words that may follow a yes without making it unclear ("Kyllä, saa julkaista").
_YES_FILLER = frozenset({
    "saa", "saatte", "voi", "voidaan", "julkaista", "julkaisemaan", "julkaistaan", "julkaisuun",
    "julkaisu", "lupa", "annan", "annetaan", "luvan", "yhteystiedot", "yhteystietoni", "tiedot",
    "nimen", "nimeni", "ja", "kiitos", "tietysti", "tietenkin", "toki", "mielellaan",
    "far", "publiceras", "publicera", "publiceringen", "tillstand", "ges", "ger", "jag", "samtycker",
    "garna", "tack", "sjalvklart", "javisst", "visst", "mina", "kontaktuppgifter", "uppgifter",
    "yes", "may", "can", "be", "published", "publish", "i", "agree", "consent", "of", "course",
    "sure", "ok", "kylla", "x", "1", "0",
})
_YES_SYMBOLS = frozenset("✓✔☑☒✅🗸✗✘")  # a tick or a crossed box in a cell means "ticked"
_NO_WORDS = frozenset({"ei", "nej", "no", "n", "not", "inte", "ala", "ej", "kielletty", "false", "0",
                       "epatosi", "falskt", "unchecked"})
#: Words that may follow a no without making it unclear ("Ei, kiitos", "Nej, inte publiceras").
_NO_FILLER = frozenset({"saa", "julkaista", "julkaisua", "kiitos", "far", "publiceras", "publicera",
                        "tack", "thanks", "thank", "you", "no", "0", "inte", "ei"})
#: Finnish negation verbs; "en" only before a verb of consent ("en anna", but "en tiedä" is
#: unclear, and in Swedish "en" is an article).
_FI_NEGATION = frozenset({"ei", "en", "emme", "eivat", "ala", "alkaa"})
_FI_CONSENT_VERBS = ("anna", "salli", "suostu", "halua", "hyvaksy", "saa", "julkais", "luvan", "lupaa")
_OTHER_NEGATION = frozenset({"inte", "ej", "icke", "not", "dont", "don", "never", "aldrig", "nej", "no"})
#: Stems that make a statement one of consent ("Annan luvan julkaista yhteystietoni",
#: "Jag ger tillstånd", "I consent to the publication of my contact details").
_CONSENT_STEMS = ("lupa", "luvan", "lupaa", "suostu", "hyvaksyn", "julkais", "tillstand", "samtyck",
                  "godkann", "publicer", "consent", "agree", "permission", "permit", "allow", "publish")
#: Words that make a consent partial or conditional: a reviewer must read it.
_HEDGES = frozenset({"mutta", "vain", "paitsi", "ehka", "kenties", "men", "bara", "endast", "utom",
                     "kanske", "but", "only", "except", "maybe", "perhaps", "tieda", "vet", "know",
                     "sure"})


@dataclass(frozen=True)
class ConsentReading:
    """How a consent answer was read: ``state`` yes, no or unknown, and why when unclear.

    ``value`` is what is stored: True (yes), False (no) or None (unknown). Only yes publishes.
    ``reason`` is empty for a clear answer and for an empty cell; it says why a typed answer
    could not be read as yes or no (then the state is unknown and the practice is flagged).
    """

    value: bool | None
    reason: str = ""
    answer: str = ""  # an unclear answer as it was read (one line), for the reviewers' flag

    @property
    def state(self) -> str:
        return "unknown" if self.value is None else "yes" if self.value else "no"


def _negated(words: list[str]) -> bool:
    for index, word in enumerate(words):
        if word in _OTHER_NEGATION:
            return True
        if word in _FI_NEGATION:
            if word != "en" or index + 1 < len(words) and words[index + 1].startswith(_FI_CONSENT_VERBS):
                return True
    return False


def read_consent(value: Any) -> ConsentReading:
    """Read a consent answer in any shape people and form tools give it; never guess.

    Yes: yes words in fi/sv/en (kyllä, k, ja, j, yes, y), ticks (x, ✓, ✔, ☑, 1, TRUE, a
    checked box), and a statement of consent without a negation: the text of a one-option
    checkbox as Microsoft Forms ("Annan luvan julkaista yhteystietoni verkkosivuilla;") and
    Google Forms write it, "Jag ger tillstånd", "I agree". No: no words (ei, nej, no, n),
    0/FALSE, and a negated statement ("En anna lupaa", "Jag ger inte tillstånd", "I do not
    consent"). Unknown: an empty cell (no reason), and anything else, which is not read as
    a no: its reason says what was typed, for the reviewers.
    """
    if isinstance(value, str):
        return _typed_consent(value)
    return _read_consent(value)


def _read_consent(value: Any) -> ConsentReading:
    if isinstance(value, bool):
        return ConsentReading(value)
    if isinstance(value, int | float):
        if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
            return ConsentReading(None)
        if value in (0, 1):
            return ConsentReading(value == 1)
        return ConsentReading(None, f"the number {value!r} is neither 1 nor 0", str(value))
    text = clean_text(value)
    if not text:
        return ConsentReading(None)
    marks = [ch for ch in text if not ch.isspace() and not unicodedata.category(ch).startswith("P")]
    if marks and all(ch in _YES_SYMBOLS for ch in marks):
        return ConsentReading(True)
    words = fold(text).split()
    unclear = ConsentReading(None, f"consent answer {clean_line(text)!r} is neither a yes nor a no",
                             clean_line(text) or "")
    if not words:
        return unclear
    if words in (["1", "0"], ["1", "00"]):  # "1.0" from a numeric cell
        return ConsentReading(True)
    if words in (["0", "0"], ["0", "00"]):
        return ConsentReading(False)
    yes_first = words[0] in _YES_WORDS
    if any(word in _HEDGES for word in words):
        return unclear
    has_no = any(word in _NO_WORDS for word in words)
    if yes_first and not has_no and all(w in _YES_FILLER or w in _YES_WORDS for w in words[1:]):
        return ConsentReading(True)
    if words[0] in _NO_WORDS and not any(w in _YES_WORDS and w not in _NO_FILLER for w in words[1:]) \
            and all(w in _NO_FILLER or w in _NO_WORDS or w.startswith(_CONSENT_STEMS) for w in words[1:]):
        return ConsentReading(False)
    statement = any(word.startswith(_CONSENT_STEMS) for word in words) or \
        words[:2] in (["saa", "julkaista"], ["far", "publiceras"])
    if statement:
        if _negated(words):
            return ConsentReading(False)
        if not has_no and not (yes_first and any(w in _NO_WORDS for w in words)):
            return ConsentReading(True)
    return unclear


#: A typed consent read once per distinct text: a round has a handful of them.
_typed_consent = lru_cache(maxsize=4096)(_read_consent)


def parse_consent(value: Any) -> bool | None:
    """Return True (consent given), False (refused) or None (empty or unclear: unknown).

    See :func:`read_consent` for the shapes understood and for the reason of an unclear one.
    """
    return read_consent(value).value


# --------------------------------------------------------------------------------------------
# Target groups


@dataclass(frozen=True)
class _ChoiceIndex:
    survey: Survey
    order: dict[str, int]
    exact: dict[str, str]                    # folded label/alias/id -> choice id
    stems: tuple[tuple[tuple[str, ...], str], ...]   # folded words of each label/alias -> id
    other_prefixes: tuple[str, ...]
    #: Answers already read (parse_target_groups): a round repeats the same ticks and texts.
    memo: dict[Any, tuple[str, ...]] = field(default_factory=dict, compare=False)


_CHOICE_CACHE: dict[int, _ChoiceIndex] = {}
#: Spellings the survey's choice aliases lack, seen in answers (used when the survey has the id).
#: Exact spellings win over stem matching, which would read "alla åldrar" as "äldre".
_EXTRA_GROUP_ALIASES = {
    "alla aldrar": "all_residents", "alla aldersgrupper": "all_residents",
    "kaikki ikaryhmat": "all_residents",
    "kaiken ikaiset": "all_residents", "kaikenikaisille": "all_residents", "kaikille": "all_residents",
    "kuntalaisille": "all_residents", "asukkaille": "all_residents", "invanare": "all_residents",
    "koko perhe": "families", "hela familjen": "families", "seniorer": "older_people",
    "kunnan henkilosto": "municipal_staff",
}
_OTHER_WORDS = ("muu", "muut", "muu mika", "muita", "annan", "annat", "andra", "ovrig", "ovriga",
                "other", "others", "annan vilken", "other what")


def _choice_index(survey: Survey) -> _ChoiceIndex:
    cached = _CHOICE_CACHE.get(id(survey))
    if cached is not None and cached.survey is survey:
        return cached
    try:
        question = survey.by_field("target_group")
    except KeyError:
        question = None
    exact: dict[str, str] = {}
    stems: list[tuple[tuple[str, ...], str]] = []
    order: dict[str, int] = {}
    for position, choice in enumerate(question.choices if question else ()):
        order[choice.id] = position
        for spelling in (choice.id, *choice.labels.values(), *choice.aliases):
            key = fold(spelling)
            if key:
                exact.setdefault(key, choice.id)
                stems.append((tuple(key.split()), choice.id))
    for spelling, choice_id in _EXTRA_GROUP_ALIASES.items():
        if choice_id in order:
            exact.setdefault(spelling, choice_id)
    prefixes = set(_OTHER_WORDS)
    if question and question.other:
        prefixes.update(fold(label) for label in question.other.labels.values())
        prefixes.add(fold(question.other.id))
    index = _ChoiceIndex(survey=survey, order=order, exact=exact, stems=tuple(stems),
                         other_prefixes=tuple(sorted((p for p in prefixes if p), key=len, reverse=True)))
    if len(_CHOICE_CACHE) > 32:
        _CHOICE_CACHE.clear()
    _CHOICE_CACHE[id(survey)] = index
    return index


def _word_match(typed: str, known: str) -> bool:
    # Finnish and Swedish inflect: "lapsille" is "lapset", "nuorille" "nuoret", "barnen" "barn".
    # Two words match when they share a stem of at least four letters covering half the longer.
    if typed == known:
        return True
    common = 0
    for a, b in zip(typed, known, strict=False):
        if a != b:
            break
        common += 1
    # A whole word plus an ending ("nuorisolle", "barnen"), not a compound ("nuorisotyöntekijät").
    if common == min(len(typed), len(known)) and common >= 4 and abs(len(typed) - len(known)) <= 4:
        return True
    return common >= 4 and common * 2 >= max(len(typed), len(known))


#: Leading words that narrow a group without changing it ("kaikki lapset", "alueen nuoret").
_GROUP_MODIFIERS = frozenset({
    "kaikki", "kaikille", "alueen", "kunnan", "kaupungin", "paikalliset", "paikallisille", "kuntamme",
    "kaupunkimme", "meidan", "alla", "hela", "samtliga", "lokala", "kommunens", "stadens", "all", "local",
})
_PARENTHESISED = re.compile(r"\([^()]*\)|\[[^\[\]]*\]")


def _match_words(words: list[str], index: _ChoiceIndex) -> str | None:
    found = index.exact.get(" ".join(words))
    if found:
        return found
    for known, choice_id in index.stems:
        if len(known) == len(words) and all(_word_match(w, k) for w, k in zip(words, known, strict=True)):
            return choice_id
    return None


def _match_choice(text: str, index: _ChoiceIndex) -> str | None:
    """Return the choice a typed group means: exact, inflected, with a detail in brackets or a
    modifier ("Lapset (0–6 v.)", "kaikki lapset", "lapsille"); ``None`` when none fits."""
    words = fold(text).split()
    if not words:
        return None
    found = _match_words(words, index)
    if found:
        return found
    if "(" in text or "[" in text:
        words = fold(_PARENTHESISED.sub(" ", text)).split()
        found = _match_words(words, index) if words else None
        if found:
            return found
    while len(words) > 1 and words[0] in _GROUP_MODIFIERS:
        words = words[1:]
        found = _match_words(words, index)
        if found:
            return found
    return None


def _strip_other(text: str, index: _ChoiceIndex) -> str | None:
    """Return the free text of an "other" answer ("Muu: teatteriryhmät" -> "teatteriryhmät")."""
    folded = fold(text)
    for prefix in index.other_prefixes:
        if folded == prefix:
            return ""
        if folded.startswith(prefix + " "):
            # Drop as many leading words of the original text as the prefix has.
            words = len(prefix.split())
            match = re.match(r"\s*(?:[\w-]+[^\w]*){" + str(words) + "}", text)
            if match:
                rest = text[match.end():].strip(" :,.-–—?()[]")
                if fold(rest) == folded[len(prefix):].strip():
                    return rest
    return None


_MAJOR_SEPARATORS = re.compile(r"[;\n|•]+")
_MINOR_SEPARATORS = re.compile(r"[,/]+")
_TRUE_MARKS = frozenset({"y", "yes", "x", "kylla", "k", "ja", "j", "1", "true", "valittu", "selected",
                         "checked", "on", "sant", "tosi"})
_FALSE_MARKS = frozenset({"n", "no", "ei", "nej", "0", "false", "epatosi", "falskt", "off", "not selected",
                          "ei valittu"})
#: A drop-down list's prompt left in a tick cell ("Valitse", "(valitse)", "Välj…"): nothing chosen.
_UNCHOSEN = frozenset({"valitse", "valitse vaihtoehto", "valitse kohde", "valj",
                       "valj ett alternativ", "select", "choose", "select an option"})
_BRACKETED = re.compile(r"\[([^\]]*)\]\s*$")


_PART_TRIM = " .:-–—"


def _segments(text: str, index: _ChoiceIndex) -> list[str]:
    """Split a typed answer into choice ids and ``other:`` texts, finest split that matches.

    Within a comma- or "ja"-separated answer, neighbouring parts that match nothing stay
    together as one "other" text ("Lapset, kuorot, bändit ja orkesterit" keeps "kuorot, bändit
    ja orkesterit" whole); parts on their own lines or after ``;`` stay apart.
    """
    choice = _match_choice(text, index)
    if choice:
        return [choice]
    other = _strip_other(text, index)
    if other is not None:
        return [f"other:{other}"] if other else []
    for splitter in (_MAJOR_SEPARATORS, _MINOR_SEPARATORS, _CONJUNCTION):
        spans: list[tuple[int, int]] = []
        position = 0
        for separator in splitter.finditer(text):
            spans.append((position, separator.start()))
            position = separator.end()
        spans.append((position, len(text)))
        spans = [(a, b) for a, b in spans if any(ch.isalnum() for ch in text[a:b])]
        if len(spans) < 2:
            continue
        results = []
        for a, b in spans:
            part = text[a:b].strip(_PART_TRIM)
            found = _segments(part, index)
            results.append((a, b, found == [f"other:{part}"], found))
        if splitter is not _MAJOR_SEPARATORS and all(plain for _, _, plain, _ in results):
            continue  # nothing in it is a choice: try a finer split, else keep it whole
        out: list[str] = []
        run: tuple[int, int] | None = None
        for a, b, plain, found in results:
            if plain and splitter is not _MAJOR_SEPARATORS:
                run = (run[0], b) if run else (a, b)
                continue
            if run:
                out.append(f"other:{text[run[0]:run[1]].strip(_PART_TRIM)}")
                run = None
            out.extend(found)
        if run:
            out.append(f"other:{text[run[0]:run[1]].strip(_PART_TRIM)}")
        return out
    return [f"other:{text}"]


def _pair_groups(heading: Any, value: Any, index: _ChoiceIndex) -> list[str]:
    """Read one (heading, value) cell of a one-column-per-option export."""
    head = clean_line(heading) or ""
    cell = clean_line(value)
    if not cell:
        return []
    candidates = [head]
    bracket = _BRACKETED.search(head)
    if bracket:
        candidates.insert(0, bracket.group(1))
    for sep in (" - ", " – ", ": ", " | ", "?"):
        if sep in head:
            candidates.append(head.rsplit(sep, 1)[1])
    candidates = [c.strip(" :-–?") for c in candidates if c.strip(" :-–?")]
    is_other_column = any(_strip_other(c, index) is not None for c in candidates)
    folded = fold(cell)
    if not is_other_column and (folded in _TRUE_MARKS or all(ch in _YES_SYMBOLS for ch in cell.strip())):
        for candidate in candidates:
            choice = _match_choice(candidate, index)
            if choice:
                return [choice]
        return [f"other:{candidates[0]}"] if candidates else []
    if folded in _FALSE_MARKS or folded in _UNCHOSEN:
        return []
    if is_other_column:
        if folded in _TRUE_MARKS:
            return []  # "other" ticked, its text comes in its own column
        return _segments(cell, index)
    # Webropol and others put the option's own text in the cell.
    return _segments(cell, index)


def parse_target_groups(value: Any, survey: Survey, lang: str = "fi") -> list[str]:
    """Return the chosen target groups: choice ids in survey order, then ``other:<text>`` entries.

    ``value`` may be typed text ("Lapset ja nuoret", Microsoft Forms' "Lapset;Nuoret;", Google's
    "Lapset, Nuoret"), a list of texts, or a list of ``(heading, value)`` pairs from exports with
    one column per option (a value such as Y, Yes, x, ✓, Kyllä, Ja, 1 or True ticks the option in
    the heading; a text value is the option or the "other" text). Choices match in any language
    and through their aliases, also inflected ("lapsille"). Text that matches no choice is kept
    as ``other:<text>``; "Muu: teatteriryhmät" becomes ``other:teatteriryhmät``.
    """
    index = _choice_index(survey)
    key = _answer_key(value)
    if key is None:
        return _parse_target_groups(value, index)
    return _remembered(index.memo, key, lambda: _parse_target_groups(value, index))


def _answer_key(value: Any) -> Any:
    """A key that tells one answer from any other (a text, texts, (heading, cell) pairs), each
    value with its type (1, 1.0 and True are equal keys in a dict, not equal answers); None
    for an answer of another shape."""
    if isinstance(value, str):
        return value
    if isinstance(value, list | tuple):
        parts: list[Any] = []
        for item in value:
            if isinstance(item, list | tuple):
                if len(item) != 2:
                    return None
                heading, cell = item
                if not (_plain(heading) and _plain(cell)):
                    return None
                parts.append(((type(heading), heading), (type(cell), cell)))
            elif _plain(item):
                parts.append((type(item), item))
            else:
                return None
        return (type(value), tuple(parts))
    return None


def _plain(value: Any) -> bool:
    return value is None or type(value) in (str, int, float, bool)


def _parse_target_groups(value: Any, index: _ChoiceIndex) -> list[str]:
    found: list[str] = []
    try:
        if isinstance(value, Mapping):
            value = list(value.items())
        if isinstance(value, list | tuple) and value and all(
                isinstance(item, list | tuple) and len(item) == 2 for item in value):
            for heading, cell in value:
                found.extend(_pair_groups(heading, cell, index))
        elif isinstance(value, list | tuple | set | frozenset):
            # Items split by the form's separator: neighbours matching nothing were one "other"
            # text with that separator inside ("Lapset, kuorot, bändit" from a Google Sheet).
            unmatched: list[str] = []
            for item in value:
                text = clean_text(item)
                if not text:
                    continue
                parts = _segments(text, index)
                if parts == [f"other:{text}"]:
                    unmatched.append(text)
                    continue
                if unmatched:
                    found.append("other:" + ", ".join(unmatched))
                    unmatched = []
                found.extend(parts)
            if unmatched:
                found.append("other:" + ", ".join(unmatched))
        else:
            text = clean_text(value)
            if text:
                found.extend(_segments(text, index))
    except RecursionError:  # pragma: no cover - absurdly nested input
        found.append(f"other:{clean_line(str(value))}")
    chosen = sorted({f for f in found if not f.startswith("other:")}, key=lambda c: index.order.get(c, 99))
    others: list[str] = []
    seen: set[str] = set()
    for item in found:
        if item.startswith("other:"):
            text = clean_line(item[len("other:"):])
            if text and text.casefold() not in seen:
                seen.add(text.casefold())
                others.append(f"other:{text}")
    return chosen + others


# --------------------------------------------------------------------------------------------
# Contact


#: An email answer of one lowercase word, a space and an address ("matti virtanen@kunta.fi"):
#: the space stands for a dot of the address, not between a name and it ("Matti Virtanen
#: matti.virtanen@kunta.fi" has the name's capitals).
_SPACE_FOR_DOT = re.compile(r"[a-zåäö0-9][a-zåäö0-9_-]*\s+[^\s@]+@[^\s@]+")
_EMAIL_CANDIDATE = re.compile(r"[^\s,;:<>()\[\]\"'/]+@[^\s,;:<>()\[\]\"'/]+")
#: Folded words that label a contact's parts ("puh.", "e-post:", "Yhteyshenkilö:"): never a name.
_CONTACT_LABELS = frozenset({
    "puh", "puhelin", "puhelinnumero", "p", "gsm", "tel", "telefon", "telefonnummer", "tfn", "mob",
    "mobile", "matkapuhelin", "phone", "s posti", "sposti", "sahkoposti", "sahkopostiosoite", "e post",
    "epost", "e postadress", "email", "e mail", "sp", "nimi", "namn", "name", "yhteyshenkilo",
    "yhteyshenkilot", "yhteystiedot", "kontaktperson", "kontaktuppgifter", "contact", "contact person",
    "contact details", "mailto",
})
_DIGIT_RUN = re.compile(r"\d(?:[\s-]?\d){6,}")
#: "maija.meikalainen(at)kunta.fi", as addresses are often written on Finnish web pages.
_OBFUSCATED_AT = re.compile(r"\s*[(\[{]\s*(?:at|ät|@|miukumauku|kissanhäntä)\s*[)\]}]\s*", re.IGNORECASE)
_OBFUSCATED_DOT = re.compile(r"\s*[(\[{]\s*(?:dot|piste|punkt)\s*[)\]}]\s*", re.IGNORECASE)


def _deobfuscate(text: str) -> str:
    return _OBFUSCATED_DOT.sub(".", _OBFUSCATED_AT.sub("@", text))


_LEADING_LABEL = re.compile(r"^\s*([^\W\d_][\w .-]{0,24}?)\s*[:=]\s*")
_TRAILING_LABEL = re.compile(r"\s+([^\W\d_][\w-]{0,15})\.?\s*:?\s*$")
#: A contact label ending the text before a phone number on its line: "p. ", "P ", "puh: ".
_LABEL_BEFORE = re.compile(r"(?<![\w@.])([^\W\d_][\w-]{0,15})\.?[ \t]*:?[ \t]*\Z")
_CONTACT_PARTS = re.compile(r"[,;/|\n]+|\s[-–—]\s|[()<>\[\]]")
_ORGANISATION_WORDS = frozenset({
    "oy", "oyj", "ab", "ry", "rf", "ky", "tmi", "sr", "kunta", "kaupunki", "kaupungin", "kunnan",
    "stad", "kommun", "keskus", "kirjasto", "museo", "palvelut", "yhdistys", "saatio", "stiftelse",
    "forening", "hanke", "projekt", "kulttuuripalvelut", "kulturtjanster", "bibliotek",
})


@dataclass(frozen=True)
class ContactParts:
    """A contact split into its parts; ``text`` holds the raw answer when it had to be split."""

    name: str | None
    email: str | None
    phone: str | None
    text: str | None
    flags: tuple[str, ...] = ()

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter((self.name, self.email, self.phone, self.text))


#: An address in its plainest form: an ASCII dot-atom before the @, ASCII letters, digits, dots
#: and hyphens after it (the same characters email-validator's DOT_ATOM_TEXT allows).
_PLAIN_LOCAL = re.compile(r"[A-Za-z0-9_!#$%&'*+\-/=?^`{|}~]+(?:\.[A-Za-z0-9_!#$%&'*+\-/=?^`{|}~]+)*\Z")
_PLAIN_DOMAIN = re.compile(r"[A-Za-z0-9.-]+\Z")


@cache
def _mailbox_names() -> frozenset[str]:
    """The local parts email-validator lower-cases (postmaster, abuse, …; RFC 2142)."""
    from email_validator.rfc_constants import CASE_INSENSITIVE_MAILBOX_NAMES

    return frozenset(CASE_INSENSITIVE_MAILBOX_NAMES)


@lru_cache(maxsize=8192)
def _email_domain(domain: str) -> str | None:
    """The normalised domain of an address, or None when no address at it can be valid.

    A round's addresses share a few hundred domains: each is checked once, by email-validator
    itself, with the shortest valid local part in front (a domain that fails here fails with any
    local part; the whole address's length is checked by the caller)."""
    from email_validator import EmailNotValidError, validate_email

    try:
        return validate_email("x@" + domain, check_deliverability=False,
                              allow_smtputf8=False).domain
    except (EmailNotValidError, UnicodeError, ValueError):
        return None


#: Mail providers people in Finland use, whose names are mistyped ("gmial.com"): an address
#: one or two letters away from one of them is flagged, never corrected.
_MAIL_PROVIDERS = (
    "gmail.com", "googlemail.com", "hotmail.com", "hotmail.fi", "outlook.com", "outlook.fi",
    "live.com", "live.fi", "msn.com", "yahoo.com", "icloud.com", "me.com", "luukku.com",
    "kolumbus.fi", "suomi24.fi", "elisanet.fi", "saunalahti.fi", "welho.com", "dnainternet.net",
    "netti.fi", "kotiposti.net", "anvianet.fi", "protonmail.com", "proton.me", "gmx.com",
    "aol.com",
)
#: Top-level domains that are only ever a slip of the finger for .com.
_TLD_TYPOS = {"con": "com", "cmo": "com", "ocm": "com", "comm": "com", "vom": "com",
              "xom": "com", "cpm": "com", "coom": "com", "fii": "fi"}


@lru_cache(maxsize=1024)
def email_domain_typo(domain: str) -> str | None:
    """The domain an address's domain is probably a typo of ("gmial.com" -> "gmail.com"), or
    None when it is not close to a provider's domain or a top-level domain."""
    from rapidfuzz.distance import DamerauLevenshtein

    domain = domain.lower().rstrip(".")
    if domain in _MAIL_PROVIDERS:
        return None
    head, _, tld = domain.rpartition(".")
    if tld in _TLD_TYPOS:
        return f"{head}.{_TLD_TYPOS[tld]}"
    for provider in _MAIL_PROVIDERS:
        limit = 1 if len(provider) <= 9 else 2
        if DamerauLevenshtein.distance(domain, provider, score_cutoff=limit) <= limit:
            return provider
    return None


#: Folded local parts that are the pattern of an address, copied from an instruction or an
#: intranet page ("etunimi.sukunimi@kunta.fi"), not a person's address.
_PATTERN_LOCALS = frozenset({"etunimi sukunimi", "etunimi", "sukunimi", "fornamn efternamn",
                             "fornamn", "firstname lastname", "firstname", "first last",
                             "name surname"})


def _typo_flag(address: str) -> str | None:
    """A flag for an address that is valid but likely not what was meant: a domain one slip
    from a mail provider's, or the pattern of an address ("etunimi.sukunimi@kunta.fi")."""
    local, _, domain = address.rpartition("@")
    # Folded uncached: each address is seen once per contact (the contact is cached whole);
    # in fold's cache it would push out the words a round repeats.
    if _survey_fold(local) in _PATTERN_LOCALS:
        return unsure("contact_email", "email-pattern", address=address)
    intended = email_domain_typo(domain)
    if intended is None:
        return None
    return unsure("contact_email", "email-domain-typo", address=address, intended=intended)


def _validate_email(candidate: str) -> str | None:
    """Return the address normalised by email-validator (no DNS, ASCII local part), or None.

    A plain address (an ASCII dot-atom, an ASCII domain) is validated as email-validator does
    it, with the domain checked once per run; anything else goes to email-validator whole."""
    candidate = candidate.strip(" .,;:<>()[]\"'").removeprefix("mailto:")
    local, at, domain = candidate.rpartition("@")
    if at and _PLAIN_LOCAL.match(local) and _PLAIN_DOMAIN.match(domain) and \
            local.lower() not in _mailbox_names():
        normalised = _email_domain(domain)
        if normalised is None:
            return None
        if normalised.isascii() and len(local) + 1 + max(len(domain), len(normalised)) <= 254:
            return f"{local}@{normalised}"
    return _validate_email_whole(candidate)


@lru_cache(maxsize=8192)
def _validate_email_whole(candidate: str) -> str | None:
    from email_validator import EmailNotValidError, validate_email

    try:
        return validate_email(candidate, check_deliverability=False, allow_smtputf8=False).normalized
    except (EmailNotValidError, UnicodeError, ValueError):
        return None


#: A Finnish mobile number as people type it: 0 or +358, then 4x or 50 and 4-8 more digits,
#: spaces and hyphens anywhere between the digits.
_FI_MOBILE_TYPED = re.compile(r"(?:0|\+358[ -]?)(?=[45])[\d -]*\d\Z")
_FI_MOBILE = re.compile(r"(?:4[0-8]|50)\d{4,8}\Z")
#: Mobile numbers checked against phonenumbers before the short way is trusted (its metadata
#: may change between versions: then every number goes through phonenumbers).
_FI_MOBILE_SAMPLES = ("040 123 4567", "0401234", "050 123 45", "+358 45 1234 5678", "048-1234567",
                      "0491234567", "0501234567890", "041 12345678", "0461234", "0441234567")


def _fi_mobile(candidate: str) -> str | None:
    """Format a typed Finnish mobile number the way phonenumbers does (INTERNATIONAL), or None
    when it is not one in this simple shape (then phonenumbers decides)."""
    if not _FI_MOBILE_TYPED.match(candidate):
        return None
    digits = candidate.replace(" ", "").replace("-", "")
    national = digits[1:] if digits[0] == "0" else digits[4:]
    if not _FI_MOBILE.match(national):
        return None
    return f"+358 {national[:2]} {national[2:]}"


@cache
def _fi_mobile_trusted() -> bool:
    """Whether the short way gives what phonenumbers gives for every sample (and refuses the
    samples phonenumbers refuses)."""
    return all(_fi_mobile(sample) == _phonenumbers_format(sample) for sample in _FI_MOBILE_SAMPLES)


def _phonenumbers_format(candidate: str) -> str | None:
    import phonenumbers

    try:
        number = phonenumbers.parse(candidate, "FI")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


_NOT_DIGITS = re.compile(r"\D")
_LETTER = re.compile(r"[^\W\d_]")


@lru_cache(maxsize=8192)
def _parse_phone(text: str) -> str | None:
    digits = _NOT_DIGITS.sub("", text)
    if not digits or _LETTER.search(text):
        return None  # letters would be read as a keypad's digits: leave such text to the matcher
    candidate = text.strip()
    if digits.startswith("358") and len(digits) >= 9 and not candidate.startswith(("+", "0")):
        candidate = "+" + candidate
    elif candidate.startswith("00"):
        candidate = "+" + candidate[2:]
    mobile = _fi_mobile(candidate)
    if mobile is not None and _fi_mobile_trusted():
        return mobile
    return _phonenumbers_format(candidate)


#: A run that may be a phone number: digits with the spaces, dashes, dots and brackets people put in.
_PHONE_RUN = re.compile(r"(?<![\w@.])\+?\(?\d[\d \-.()\u2010-\u2015]{4,}\d(?![\w@])")


def _matcher_phones(text: str, offset: int) -> list[tuple[int, int, str]]:
    import phonenumbers

    found: list[tuple[int, int, str]] = []
    try:
        for match in phonenumbers.PhoneNumberMatcher(text, "FI"):
            if not _dialled_as_typed(match.raw_string):
                continue
            formatted = phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
            found.append((offset + match.start, offset + match.end, formatted))
    except Exception:  # noqa: BLE001 - the matcher must never break a batch on odd text
        return found
    return found


def _dialled_as_typed(candidate: str) -> bool:
    """Whether digits in free text are written as a phone number is: a Finnish number starts
    with its trunk 0, an international one with + or 00, or 358 typed without the +. Other
    digits (an id, a postcode, a year range) are not taken as a number: a reviewer sees them
    in the contact text, and a long run of them is flagged ``contact-phone-invalid``."""
    return candidate.lstrip("( ").startswith(("+", "0", "358"))


def _find_phones(text: str) -> list[tuple[int, int, str]]:
    """Return (start, end, formatted) of every valid phone number in free text.

    Each digit run is parsed on its own first (fast); a run that is not one valid number (two
    numbers typed without a separator) goes to phonenumbers' matcher.
    """
    found: list[tuple[int, int, str]] = []
    for run in _PHONE_RUN.finditer(text):
        candidate = run.group().strip(" -.()")
        if sum(map(str.isdigit, candidate)) < 6:
            continue
        if not _dialled_as_typed(candidate):
            continue  # "Henkilö 100123": a number, but not one written to be dialled
        formatted = _parse_phone(candidate)
        if formatted:
            found.append((run.start(), run.end(), formatted))
        else:
            found.extend(_matcher_phones(run.group(), run.start()))
    return found


def _looks_like_person(part: str) -> bool:
    words = part.split()
    if not 2 <= len(words) <= 4 or any(map(str.isdigit, part)):
        return False
    if any(fold(w) in _ORGANISATION_WORDS for w in words):
        return False
    return all(w[:1].isupper() for w in words)


def _person_in(part: str) -> str | None:
    """Return the person's name in a part such as "kulttuurisihteeri Maija Meikäläinen"."""
    words = part.split()
    while words and not words[0][:1].isupper():
        words.pop(0)  # a role typed before the name
    while words and not words[-1][:1].isupper():
        words.pop()
    candidate = " ".join(words)
    return candidate if _looks_like_person(candidate) else None


def _is_initial(part: str, label: re.Match[str]) -> bool:
    """Whether a one-letter "label" ending a part is a surname's initial ("Pekka P").

    A phone's label was taken away with the number it came before, so a lone capital letter
    after a capitalised name, with no colon, is part of the name.
    """
    letter = label.group(1)
    before = part[:label.start()].split()
    return len(letter) == 1 and letter.isupper() and ":" not in label.group() \
        and bool(before) and before[-1][:1].isupper()


def _contact_parts(text: str) -> list[str]:
    """Split what is left of a contact answer into parts, labels dropped."""
    parts: list[str] = []
    for part in _CONTACT_PARTS.split(text):
        part = _HSPACE.sub(" ", part).strip(" .,:;-–—")
        label = _LEADING_LABEL.match(part)
        if label and fold(label.group(1)) in _CONTACT_LABELS:
            part = part[label.end():]
        label = _TRAILING_LABEL.search(part)
        if label and fold(label.group(1)) in _CONTACT_LABELS and not _is_initial(part, label):
            part = part[:label.start()]
        part = part.strip(" .,:;-–—")
        if part and fold(part) not in _CONTACT_LABELS and any(map(str.isalpha, part)):
            parts.append(part)
    return parts


def _pick_name(parts: list[str]) -> str | None:
    for part in parts:
        person = _person_in(part)
        if person:
            return person
    return parts[0] if parts else None


def split_contact(*, name: Any = None, email: Any = None, phone: Any = None,
                  text: Any = None) -> ContactParts:
    """Split contact answers into name, email and phone, even when all are typed in one field.

    ``"Maija Meikäläinen, kulttuurisihteeri, maija.meikalainen@kunta.fi, 040 123 4567"`` gives
    the name, ``maija.meikalainen@kunta.fi`` and ``+358 40 1234567``; in "Kierrätyskeskus Oy,
    Eija Koski" the person is the name. The email is checked for syntax (email-validator, no
    DNS, ASCII local part); the phone is parsed for Finland and formatted INTERNATIONAL.
    Whenever an answer had to be taken apart or something in it could not be used (a role, an
    organisation, a second number, an invalid address), the raw answers are kept, one per
    line, as ``text``; ``contact-email-invalid`` and ``contact-phone-invalid`` flag what could
    not be used. Returns a ContactParts, which unpacks as ``(name, email, phone, text)``.
    """
    return _split_contact(clean_text(name), clean_text(email), clean_text(phone),
                          clean_text(text))


class _Taken:
    """The addresses and numbers taken out of a contact's fields, and what could not be used."""

    def __init__(self, flags: list[str]):
        self.flags = flags
        self.emails: list[str] = []
        self.phones: list[str] = []

    def take_emails(self, source: str) -> str:
        """Take the addresses out of ``source``; return what is left."""
        for candidate in _EMAIL_CANDIDATE.findall(source):
            valid = _validate_email(candidate)
            if valid:
                self.emails.append(valid)
                typo = _typo_flag(valid)
                if typo:
                    self.flags.append(typo)
            else:
                self.flags.append(unsure("contact_email", "email-invalid",
                                         typed=candidate.strip()))
        return _EMAIL_CANDIDATE.sub(" , ", source)

    def take_phones(self, source: str) -> str:
        """Take the phone numbers (with their labels) out of ``source``; return what is left."""
        if sum(map(str.isdigit, source)) < 5:
            return source
        found = _find_phones(source)
        self.phones.extend(formatted for _, _, formatted in found)
        for start, end, _ in reversed(found):
            # A label right before the number ("p. 040…", "P 040…", "puh:") goes with it, so
            # that a label left at the end of a part is one with no number after it.
            label = _LABEL_BEFORE.search(source, 0, start)
            if label and fold(label.group(1)) in _CONTACT_LABELS:
                start = label.start()
            source = source[:start] + " , " + source[end:]
        for run in _DIGIT_RUN.finditer(source):  # digits enough for a number, not a valid one
            self.flags.append(unsure("contact_phone", "phone-invalid",
                                     typed=_typed_around(source, run)))
        return source


def _typed_around(source: str, run: re.Match[str]) -> str:
    """The whole word a digit run stands in, as typed: "4,01234567E+08" (Excel's scientific
    notation of a number), not its "01234567"; "+358 40 123", not "358 40 123". A comma
    between digits is a decimal comma; any other comma, a semicolon or a space ends the word."""
    def ends(at: int) -> bool:
        char = source[at]
        if char == ",":
            return not (0 < at < len(source) - 1 and source[at - 1].isdigit()
                        and source[at + 1].isdigit())
        return char.isspace() or char == ";"

    start, end = run.span()
    while start > 0 and not ends(start - 1):
        start -= 1
    while end < len(source) and not ends(end):
        end += 1
    return source[start:end]


@lru_cache(maxsize=4096)
def _split_contact(raw_name: str | None, raw_email: str | None, raw_phone: str | None,
                   raw_text: str | None) -> ContactParts:
    # Cached: every practice of one questionnaire or respondent repeats the same contact.
    if raw_text is None:
        separate = _separate_contact(raw_name, raw_email, raw_phone)
        if separate is not None:
            return separate
    return _split_contact_text(raw_name, raw_email, raw_phone, raw_text)


#: A name as typed in a field of its own: words of letters and digits, joined by hyphens or
#: apostrophes inside them, one space between them ("Anna-Liisa O'Brien").
_PLAIN_NAME = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*(?: [^\W_]+(?:['’-][^\W_]+)*)*\Z")


#: Two names joined into one contact ("Maija Meikäläinen ja Pekka Virtanen", "Anna & Bo").
_TWO_PEOPLE = re.compile(r"[^\W\d_]\s+(?:ja|sekä|och|samt|and|&|\+)\s+[^\W\d_a-zåäö]")


def _separate_contact(raw_name: str | None, raw_email: str | None,
                      raw_phone: str | None) -> ContactParts | None:
    """The usual shape, read the short way: a name, one address and one number, each alone
    in its own field (the web forms' and our questionnaire's separate questions). None when
    anything needs the whole reading (``_split_contact_text``), which then gives the result;
    where this gives one, it is the one that reading gives (tests/test_read_fast.py)."""
    if raw_name is not None:
        # Words alone (no address, separator, label or bracket: one part as typed), no phone
        # number and no run of digits that could be one (what take_phones would take or flag).
        # (folded uncached, as an address is in _typo_flag: a name comes once per contact)
        if not _PLAIN_NAME.match(raw_name) \
                or _survey_fold(raw_name.rpartition(" ")[2]) in _CONTACT_LABELS \
                or _survey_fold(raw_name) in _CONTACT_LABELS or not any(map(str.isalpha, raw_name)):
            return None
        if sum(map(str.isdigit, raw_name)) >= 5 and (
                _find_phones(raw_name) or _DIGIT_RUN.search(raw_name)):
            return None
        # _pick_name gives another name only when it drops a word before or after the
        # name (one not capitalised): with both ends capitalised it gives the name as typed.
        words = raw_name.split(" ")
        if not (words[0][:1].isupper() and words[-1][:1].isupper()) \
                and _pick_name([raw_name]) != raw_name:
            return None  # a role or an organisation: the whole reading
        if _TWO_PEOPLE.search(raw_name):
            return None  # a second person: the whole reading
    email = None
    if raw_email is not None:
        if not _EMAIL_CANDIDATE.fullmatch(raw_email):
            return None
        email = _validate_email(raw_email)
        if email is None or _typo_flag(email):
            return None  # flagged by the whole reading
    phone = None
    if raw_phone is not None:
        typed = " ".join(_contact_parts_or_digits(raw_phone))
        phone = _parse_phone(typed)
        if phone is None or not _dialled_as_typed(typed):
            return None  # no number, or one without its 0: flagged by the whole reading
    return ContactParts(name=raw_name, email=email, phone=phone, text=None)


def _deobfuscated(raw_name: str | None, raw_email: str | None, raw_text: str | None
                  ) -> tuple[str | None, str | None, str | None]:
    """The contact's fields with "(at)" and "[dot]" read as "@" and "." (see ``_deobfuscate``)."""
    if raw_name and _OBFUSCATED_AT.search(raw_name):
        raw_name = _deobfuscate(raw_name)
    if raw_text and _OBFUSCATED_AT.search(raw_text):
        raw_text = _deobfuscate(raw_text)
    if raw_email and "@" not in raw_email:
        raw_email = _deobfuscate(raw_email)
    return raw_name, raw_email, raw_text


def _written_out_flag(written_out: list[str], emails: list[str]) -> list[str]:
    """An address written so that programs harvesting addresses miss it ("anna(at)kunta.fi")
    is read as an address, and the site shows it as one: the reviewers see how it was
    written."""
    if not written_out or not emails:
        return []
    return [unsure("contact_email", "email-written-out", typed=written_out[0].strip(),
                   address=emails[0])]


def _unpublished_written_out(flag: str) -> str:
    """The written-out address's flag for a contact the site does not show: its usual text
    ("the site shows it as a plain address") would contradict "left off the site"."""
    from .flags import parse

    if "email-written-out" not in flag:  # the code is in the flag's text: no other changes
        return flag
    parsed = parse(flag)
    if parsed.name == "unsure" and parsed.code == "email-written-out":
        return unsure("contact_email", "email-written-out-unpublished", **parsed.args)
    return flag


def _split_contact_text(raw_name: str | None, raw_email: str | None, raw_phone: str | None,
                        raw_text: str | None) -> ContactParts:
    """Split contact answers of any shape (see ``split_contact``)."""
    flags: list[str] = []
    split_needed = raw_text is not None
    written_out = [raw for raw in (raw_name, raw_email, raw_text)
                   if raw and _OBFUSCATED_AT.search(raw)]  # "anna(at)kunta.fi" as typed
    raw_name, raw_email, raw_text = _deobfuscated(raw_name, raw_email, raw_text)
    taken = _Taken(flags)
    emails, phones = taken.emails, taken.phones
    take_emails, take_phones = taken.take_emails, taken.take_phones

    # Every field may hold more than its own part: names, addresses and numbers are taken from
    # wherever they were typed; what is left of the name and free text may be the name.
    name_parts: list[str] = []
    for source in (raw_name, raw_text):
        if not source:
            continue
        rest = take_phones(take_emails(source) if "@" in source else source)
        parts = _contact_parts(rest)
        if rest != source or len(parts) != 1 or parts[0] != source:
            split_needed = True
        name_parts.extend(parts)
    # The email field: an address, maybe "Name <address>", two of them, or an invalid one.
    email_parts: list[str] = []
    if raw_email:
        if "@" not in raw_email:
            flags.append(unsure("contact_email", "email-invalid", typed=raw_email))
            split_needed = True
        else:
            before, found, flagged = len(phones), len(emails), len(flags)
            rest = take_phones(take_emails(raw_email))
            email_parts = _contact_parts(rest)
            if len(phones) != before or _contact_digits(rest):
                split_needed = True
            if len(emails) == found + 1 and _SPACE_FOR_DOT.fullmatch(raw_email.strip()) and \
                    fold(raw_email.split()[0]) not in _CONTACT_LABELS:
                # "matti virtanen@kunta.fi": a space typed for the dot; "virtanen@kunta.fi"
                # would be someone else's address, so none is taken.
                emails.pop()
            if len(emails) == found and not any(":contact_email:" in flag
                                                for flag in flags[flagged:]):
                # "anna.berg @kunta.fi" (a space by the @, often a non-breaking one pasted
                # from a signature): no address in it, and never silently none.
                flags.append(unsure("contact_email", "email-invalid", typed=raw_email))
    # The phone field: a number, maybe with a label, a second number, a note ("vaihde").
    typed_elsewhere = len(phones)
    if raw_phone:
        typed = " ".join(_contact_parts_or_digits(raw_phone))
        whole = _parse_phone(typed)
        if whole:
            phones.append(whole)
            flags.extend(_zero_added_flag(typed, whole))
        else:
            before, flagged = len(phones), len(flags)
            rest = take_phones(take_emails(raw_phone) if "@" in raw_phone else raw_phone)
            if len(phones) == before and any(map(str.isdigit, raw_phone)) and not any(
                    ":phone-invalid{" in flag for flag in flags[flagged:]):
                flags.append(unsure("contact_phone", "phone-invalid", typed=raw_phone))
            flags.extend(_phone_leftover_flag(raw_phone, rest, phones[before:]))
            split_needed = True  # a note, a second number or words: kept as text
    picked = _pick_name(name_parts) or _pick_name(email_parts)
    if len(name_parts) > 1 and not any(_person_in(part) for part in name_parts):
        # No part reads as a person: the first one is taken, but a reviewer must check it.
        flags.append(unsure("contact_name", "name-picked", picked=picked, parts=name_parts))
    if name_parts and picked != name_parts[0]:
        split_needed = True
    if any(fold(part) != fold(picked or "") for part in email_parts):
        split_needed = True
    # Two people or two addresses in a contact: the fields hold the first, the contact text
    # all of them; a reviewer decides whom the card names. (A second number is usually the
    # same person's switchboard or mobile: kept in the contact text, not flagged.)
    if picked and _TWO_PEOPLE.search(picked):
        flags.append(unsure("contact_name", "name-several", picked=picked))
    first_spelling: dict[str, str] = {}
    for email in emails:
        first_spelling.setdefault(email.lower(), email)
    different = list(first_spelling.values())
    if len(different) > 1:
        flags.append(unsure("contact_email", "email-several", count=len(different),
                            addresses=different))
    if len(emails) > 1 or len(phones) > 1 or flags:
        split_needed = True
    raws = [r for r in (raw_name, raw_email, raw_phone, raw_text) if r]
    contact_text = "\n".join(dict.fromkeys(raws)) if split_needed and raws else None
    # The phone field's own number is the phone; one found in the name or free text is the
    # phone only when the field gave none (the other numbers stay in the contact text).
    phone = (phones[typed_elsewhere:] or phones)[0] if phones else None
    flags.extend(_written_out_flag(written_out, emails))
    return ContactParts(name=picked, email=emails[0] if emails else None,
                        phone=phone, text=contact_text,
                        flags=tuple(dict.fromkeys(flags)))


def _zero_added_flag(typed: str, number: str) -> list[str]:
    """Flag a phone field's number that came without its trunk 0 ("401234567", "9 1234567"):
    Excel drops a leading zero from a cell that stores the number as a number (a CSV re-saved
    in Excel too). phonenumbers reads it as the Finnish number with the 0 (+358 40 1234567),
    which it most likely is, but the 0 was not in the answer: the number is taken and a
    reviewer checks it. A number typed with +, 00 or 358 in front is as dialled: no flag."""
    if _dialled_as_typed(typed):
        return []
    return [unsure("contact_phone", "phone-zero-added", typed=typed, number=number)]


#: Words that only join two numbers in a phone answer ("040 … tai 09 …").
_PHONE_JOINERS = frozenset({"tai", "ja", "seka", "or", "and", "eller", "och", "samt"})
_PHONE_SEPARATORS = re.compile(r"[\s,;/|()\[\]\-–—.:]+")


def _phone_leftover_flag(raw_phone: str, rest: str, numbers: list[str]) -> list[str]:
    """Flag a phone answer with one number and more beside it ("09 123 4567 / 123", "vaihde
    09 816 11", "040 123 4567 klo 9-12"): the card would show the bare number without what
    the answer says of it. With two numbers, a note is the second one's ("040 … / 09 …
    (vaihde)"): the first is the phone and the rest stays in the contact text, unflagged."""
    if len(numbers) != 1:
        return []
    more = " ".join(word for word in _PHONE_SEPARATORS.split(rest) if word
                    and fold(word) not in _CONTACT_LABELS and fold(word) not in _PHONE_JOINERS)
    if not more:
        return []
    return [unsure("contact_phone", "phone-extra", raw=raw_phone, number=numbers[0], more=more)]


def _contact_digits(text: str) -> bool:
    return any(map(str.isdigit, text))


def _contact_parts_or_digits(text: str) -> list[str]:
    """Return a phone answer without its labels ("puh. 040 123 4567" -> "040 123 4567")."""
    label = _LEADING_LABEL.match(text)
    if label and fold(label.group(1)) in _CONTACT_LABELS:
        text = text[label.end():]
    words = text.split()
    while words and fold(words[0]) in _CONTACT_LABELS:
        words.pop(0)
    return words


# --------------------------------------------------------------------------------------------
# Language

_SV_WORDS = frozenset({
    "och", "som", "för", "med", "att", "är", "av", "en", "ett", "det", "den", "till", "på", "i",
    "om", "har", "vi", "kan", "inte", "eller", "också", "även", "samt", "där", "hur", "vid",
    "från", "under", "barn", "unga", "kommunen", "kommuner", "kultur", "de", "var", "sig", "alla",
    "så", "men", "när", "efter", "genom", "mellan", "vår", "våra", "ska", "får", "mer", "finns",
})
_FI_WORDS = frozenset({
    "ja", "on", "että", "sekä", "tai", "ei", "se", "ovat", "kanssa", "myös", "joka", "jotka",
    "kunnan", "kuntien", "mukaan", "kautta", "lisäksi", "voi", "jonka", "oli", "sen", "tämä",
    "niin", "kun", "kuin", "mutta", "eri", "hyvä", "käytäntö", "lapset", "nuoret", "kaikki",
    "olla", "ole", "sitä", "jossa", "voidaan", "vuodessa", "kerran", "aikana", "osana", "yhteistyö",
})
_FI_ENDINGS = ("ssa", "ssä", "sta", "stä", "lla", "llä", "lle", "ksi", "nen", "iden", "ista",
               "istä", "ien", "tään", "taan", "mme", "tte", "vat", "vät", "ille")
_WORD = re.compile(r"[^\W\d_]+")

_detector_lock = threading.Lock()
_detector: Any = None


def _lingua() -> Any:
    """Build the lingua detector once, on first need (Finnish, Swedish, English only)."""
    global _detector
    if _detector is None:
        with _detector_lock:
            if _detector is None:
                from lingua import Language, LanguageDetectorBuilder

                _detector = LanguageDetectorBuilder.from_languages(
                    Language.FINNISH, Language.SWEDISH, Language.ENGLISH).build()
    return _detector


#: Each whitespace-separated token's (Finnish, Swedish) score, kept across answers: a round's
#: texts share most of their words, and a token is scored once instead of at each occurrence.
#: A score is one int, the Swedish evidence counted in units of ``_SV_UNIT`` above the
#: Finnish, so that a text's score is one sum at C speed (a text of 3,000 characters has far
#: less than ``_SV_UNIT`` of either).
_TOKEN_SCORES_MAX = 200_000
_SV_UNIT = 1 << 24


def _token_score(token: str) -> int:
    lowered = token.casefold()
    fi = 0
    sv = 3 * lowered.count("å")
    for word in _WORD.findall(lowered):
        if word in _SV_WORDS:
            sv += 1
        elif word in _FI_WORDS:
            fi += 1
        elif len(word) > 5 and word.endswith(_FI_ENDINGS):
            fi += 1
    return fi + sv * _SV_UNIT


class _TokenScores(dict[str, int]):
    """The tokens' scores, a token not seen before scored when it is first looked up: a
    text's tokens are looked up and summed in one pass at C speed."""

    def __missing__(self, token: str) -> int:
        score = self[token] = _token_score(token)
        return score


_TOKEN_SCORES = _TokenScores()


def _heuristic(text: str) -> tuple[int, int]:
    """(Finnish, Swedish) evidence in a text: function words, Finnish case endings, å.

    Words never span whitespace and case folding neither makes nor takes whitespace (nor looks
    at a character's neighbours), so the text's score is the sum of its tokens' scores, each
    token folded and scored once per run; the sum is taken without a Python loop."""
    tokens = text.split()
    scores = _TOKEN_SCORES
    if len(scores) > _TOKEN_SCORES_MAX:
        scores.clear()
    total = sum(map(scores.__getitem__, tokens))
    return total % _SV_UNIT, total // _SV_UNIT


def forget_answers() -> None:
    """Empty the caches that fill with the answers' own values: folded texts, keywords,
    consents, addresses, phone numbers, contacts and each word's language score.

    A worker process calls it after a long export (``ingest/pipeline.py``): the next file's
    answers are other ones, and the cached values, made among the export's own objects,
    would keep the memory those freed from going back to the system (bench/ingest.py, 308
    questionnaires and 2 x 5,000 export rows: the worker's peak 88-91 MB, 79-82 MB
    without them). The caches of mail domains, a few hundred at most, are kept."""
    for cached in (fold, _clean_keyword, _typed_consent, _validate_email_whole, _parse_phone,
                   _split_contact, _confidences, _points_elsewhere):
        cached.cache_clear()
    _TOKEN_SCORES.clear()


def detect_language(texts: Iterable[Any] | str, default: str = "fi") -> str:
    """Return ``"fi"`` or ``"sv"``: the language the answer is written in (see
    :func:`decide_language`); ``default`` when the text cannot tell."""
    decided = decide_language(texts)
    if decided is not None:
        return decided
    return default if default in LANGUAGES else "fi"


def decide_language(texts: Iterable[Any] | str) -> str | None:
    """Return ``"fi"`` or ``"sv"``: the language the answer is written in.

    A cheap word count (Swedish function words and å against Finnish function words and case
    endings) decides clear cases; lingua (Finnish, Swedish and English models, built once on
    first need) decides the rest. English, empty or undecidable text gives ``None``.
    """
    if isinstance(texts, str):
        texts = [texts]
    return _decide_cleaned("\n".join(t for t in (clean_text(v) for v in texts) if t))


def _decide_cleaned(joined: str) -> str | None:
    """``decide_language`` of texts already cleaned (``clean_text`` changes them no more)."""
    if not joined:
        return None
    fi, sv = _heuristic(joined[:3000])  # the first paragraphs tell as well as the whole
    if fi + sv >= 3:
        if fi >= 3 * sv + 2:
            return "fi"
        if sv >= 3 * fi + 2:
            return "sv"
    from lingua import Language

    confidences = _confidences(joined[:2000])
    best = confidences[0] if confidences else None
    # A lone short title ("Konstbuss") gets a shaky guess: below this the default decides.
    if best is not None and best.value >= 0.6:
        if best.language == Language.FINNISH:
            return "fi"
        if best.language == Language.SWEDISH:
            return "sv"
    if fi != sv:
        return "fi" if fi > sv else "sv"
    return None


@lru_cache(maxsize=16)
def _confidences(text: str) -> Any:
    """lingua's confidences for a text (its first 2,000 characters): an answer neither the
    word count nor lingua decides is asked again whether it is English (``_written_in_english``),
    and lingua is the slow part of both."""
    return _lingua().compute_language_confidence_values(text)


def _written_in_english(joined: str) -> bool:
    """Whether text that tells neither Finnish nor Swedish is clearly English (lingua)."""
    from lingua import Language

    confidences = _confidences(joined[:2000])
    return bool(confidences) and confidences[0].language == Language.ENGLISH and \
        confidences[0].value >= 0.6


# --------------------------------------------------------------------------------------------
# The practice record


@dataclass
class NormalisedPractice:
    """One answered practice, normalised into the card fields plus what reviewers must know."""

    title: str
    keywords: list[str]
    target_group: list[str]
    goal: str | None
    summary: str | None
    implementation: str | None
    resources: str | None
    experiences: str | None
    benefits: str | None
    contact_name: str | None
    contact_email: str | None
    contact_phone: str | None
    contact_text: str | None
    publish_consent: bool | None  # None: unknown (empty or unclear); only True publishes
    municipality_text: str | None
    language: str
    flags: list[str] = field(default_factory=list)
    is_empty: bool = False
    missing_required: list[str] = field(default_factory=list)

    def card_fields(self) -> dict[str, Any]:
        """Return the card's fields (DESIGN.md order); ``contact`` only with consent, else ``None``."""
        contact = None
        if self.publish_consent and (self.contact_name or self.contact_email or self.contact_phone):
            contact = {"name": self.contact_name, "email": self.contact_email, "phone": self.contact_phone}
        return {
            "title": self.title, "keywords": list(self.keywords), "target_group": list(self.target_group),
            "goal": self.goal, "summary": self.summary, "implementation": self.implementation,
            "resources": self.resources, "experiences": self.experiences, "benefits": self.benefits,
            "contact": contact, "municipalities": self.municipality_text,
        }

    def to_dict(self) -> dict[str, Any]:
        """Return every field as plain JSON-ready data."""
        return asdict(self)


#: A choice answered by a code, not a text: LimeSurvey's SQ001/A1, a number.
_CHOICE_CODE = re.compile(r"^(?:[A-Za-z]{1,3}\d{1,4}|\d{1,3})$")
#: Below this many words an undecided language is no surprise (a title alone): not flagged.
_LANGUAGE_MIN_WORDS = 8


@dataclass(frozen=True)
class _SurveyRules:
    """What normalise_answers checks of every answer, taken from the survey once: its
    question ids, the required questions and the length limits (consent aside), in order."""

    survey: Survey
    ids: frozenset[str]
    required: tuple[str, ...]
    limits: tuple[tuple[str, int], ...]


_RULES_CACHE: dict[int, _SurveyRules] = {}


def _rules(survey: Survey) -> _SurveyRules:
    cached = _RULES_CACHE.get(id(survey))
    if cached is not None and cached.survey is survey:
        return cached
    questions = survey.questions
    rules = _SurveyRules(
        survey=survey, ids=frozenset(q.id for q in questions),
        required=tuple(q.id for q in questions if q.required and q.type != "consent"),
        limits=tuple((q.id, q.max_length) for q in questions
                     if q.max_length and q.type != "consent"))
    if len(_RULES_CACHE) > 32:
        _RULES_CACHE.clear()
    _RULES_CACHE[id(survey)] = rules
    return rules


def _answer_for(answers: Mapping[str, Any], survey: Survey) -> dict[str, Any]:
    """Key the answers by question id; keys that are headings are matched through the survey."""
    ids = _rules(survey).ids
    if type(answers) is dict and ids.issuperset(answers):
        # The readers' usual answers: keyed by question id already (only a text equals a
        # question id, so every key is one as it is).
        return dict(answers)
    keyed: dict[str, Any] = {}
    headings: dict[str, str] | None = None
    for key, value in answers.items():
        name = str(key)
        if name in ids or name in ("contact", "contact_text"):
            keyed.setdefault(name, value)
            continue
        if headings is None:
            headings = survey.heading_index()
        question_id = headings.get(fold(name))
        if question_id:
            keyed.setdefault(question_id, value)
    return keyed


def _is_answered(value: Any) -> bool:
    if isinstance(value, list | tuple):
        return bool(value)
    return value is not None and value != ""


#: Folded answers that stand for text elsewhere: "ks. liite", "katso liite 2", "liitteenä",
#: "sama kuin yllä", "se bilaga", "samma som ovan", "see attachment", "as above".
_ELSEWHERE = re.compile(
    r"(?:(?:ks|kts|katso|katso myos|lisaa|tarkemmin|se|see)\s+)?(?:liite|liitteet|liitteessa|"
    r"liitteena|liitetiedosto|liitetiedostossa|bilaga|bilagan|bilagor|i bilagan|attachment|"
    r"the attachment|attached)(?:\s+\d+)?|(?:sama kuin|kuten)\s+(?:ylla|edella|edellisessa)|"
    r"samma som ovan|se ovan|as above|see above")
#: In a short folded answer, a word that points at a file beside it or at another answer:
#: "Ks. liitteenä oleva kuvaus (kuvaus.docx).", "Se bifogat dokument", "Kts. edellinen
#: vastaus". Nouns and participles only: "liitetään" (is joined) is no pointer.
_POINTER = re.compile(
    r"\b(?:liite|liitteet|liitteen|liitteena|liitteessa|liitteesta|liitteeseen|liitteita|"
    r"liitteissa|liitteista|liitetiedosto\w*|liitedokument\w*|bilaga|bilagan|"
    r"bilagor|bilagorna|bilagd|bilagda|bilagt|bifogad|bifogade|bifogat|bifogas|attachment\w*|"
    r"attached|enclosed)\b|^(?:ks|kts|katso|se|see)\s+(?:ylla|edella|edellinen|edellista|"
    r"ovan|foregaende|above|previous)\b")
#: The words of an answer that may be only a pointer (longer ones say something themselves).
_POINTER_WORDS = 8
#: Folded answers that say there is no answer: "ei ole", "ei", "en osaa sanoa", "inget", "vet
#: ej", "none". A required answer saying only this is kept as typed and flagged; an optional
#: one is emptied, the flag quoting it (``_empty_none_answers``).
_NONE_ANSWER = re.compile(
    r"(?:ei|ei ole|ei mitaan|ei ole mitaan|ei tiedossa|ei tietoa|ei ole tietoa|en tieda|"
    r"en osaa sanoa|eos|ei vastausta|nej|inget|ingenting|ingen|vet ej|vet inte|kan inte saga|"
    r"inget svar|ingen aning|no|none|nothing|no answer|unknown|dont know)")
#: Folded answers a person types to try a form: "testi", "asdf", "xxx".
_TEST_WORDS = frozenset({"testi", "test", "testing", "testaus", "testivastaus", "koe",
                         "kokeilu", "asdf", "asd", "qwerty", "qwe", "sdf", "foo", "bar", "xyz"})
_REPEATED = re.compile(r"(\w)\1{2,}")
_TEST_WORD_MAX = max(map(len, _TEST_WORDS))
#: The start of a long answer ``_is_test_text`` looks at first (prose tells in its first words).
_TEST_START = 48
#: Every byte but the ASCII letters: deleted, what is left of a text's ASCII are its letters.
_NOT_ASCII_LETTERS = bytes(b for b in range(128) if not chr(b).isalpha())


def _is_test_text(text: str | None) -> bool:
    if not text:
        return False
    if len(text) > _TEST_WORD_MAX:
        # Each ASCII letter folds to itself in lower case and stays: more of them than the
        # longest test word, not all one letter, and the folded text is neither a test word
        # nor one letter repeated. An answer is told so without folding it (most are prose),
        # by its start first: the start's letters are some of the whole text's, so a start
        # that tells is the whole text told (a long answer is not copied whole three times).
        for part in (text[:_TEST_START], text) if len(text) > _TEST_START else (text,):
            letters = part.encode("ascii", "ignore").translate(None, _NOT_ASCII_LETTERS).lower()
            if len(letters) > _TEST_WORD_MAX and letters.strip(letters[:1]):
                return False
    folded = fold(text).replace(" ", "")
    end = len(folded)
    while end and folded[end - 1].isdecimal():  # "Testi 2": what \d+$ took, \d being Nd
        end -= 1
    folded = folded[:end]
    return bool(folded) and (folded in _TEST_WORDS or bool(_REPEATED.fullmatch(folded)))


#: A formula's text: what is left of a cell whose value was lost (``_cell_flags``).
_FORMULA_START = re.compile(r"\s*=")


def _cell_flags(raw: Mapping[str, Any]) -> list[str]:
    """Flag answers that are what is left of a cell's lost value: a formula's text, an error
    value."""
    # Neither a formula nor an error value without its mark ("=", "#"): the usual answers,
    # which have neither, are let through on two looks at C speed.
    joined = "".join([value for value in raw.values() if isinstance(value, str)])
    if "=" not in joined and "#" not in joined:
        return []
    flags = []
    for qid, value in raw.items():
        if not isinstance(value, str):
            continue
        first = value[:1]
        # A formula starts with "=" after any spaces; an error value has a "#" (the usual
        # answer has neither and is let through on these two looks).
        if (first == "=" or first.isspace()) and _FORMULA_START.match(value):
            # Excel took typed text ("- lapset", "+358 40 …") for a formula and showed an
            # error, or a program wrote a formula without its value: the formula's text is
            # what is left of the answer.
            flags.append(unsure(qid, "formula", formula=value.strip()[:60]))
        elif len(value) <= _CELL_ERROR_CHARS and "#" in value \
                and value.strip().upper() in _CELL_ERRORS:
            # The cell held only an error value: the answer was lost in the municipality's
            # file (pasted as values from cells showing #REF!); empty, it went unnoticed.
            flags.append(unsure(qid, "cell-error", error=value.strip()))
    return flags


#: The longest answer that may only say there is none (``_says_none``).
_NONE_MAX = 30


def _says_none(value: Any) -> bool:
    """Whether an answer only says there is none ("ei ole", "En osaa sanoa.", "inget")."""
    return isinstance(value, str) and len(value) <= _NONE_MAX and bool(
        _NONE_ANSWER.fullmatch(fold(value)))


def _empty_none_answers(long_values: dict[str, str | None], keywords: Any,
                        required: tuple[str, ...]) -> tuple[list[str], bool]:
    """Empty the optional long answers that only say there is none ("ei ole", "inget"),
    in place, and say whether the keywords answer does too: return the flags quoting each.

    As text, "Kokemuksia: ei ole" would be published on the card; the reviewer sees what was
    typed in the flag (and the received file keeps it). A required answer is never emptied:
    it stays as typed with ``answer-none`` (its absence would read as a missing answer)."""
    flags = []
    for name, value in long_values.items():
        # (a long answer is told by its length, before a call)
        if value is not None and len(value) <= _NONE_MAX and name not in required \
                and _says_none(value):
            flags.append(unsure(name, "answer-none-emptied", value=value))
            long_values[name] = None
    typed = keywords.strip() if isinstance(keywords, str) else None
    none_keywords = "keywords" not in required and _says_none(typed)
    if none_keywords:
        flags.append(unsure("keywords", "answer-none-emptied", value=typed))
    return flags, none_keywords


#: A numbered item in a title: "1) Runotorstai" after a space, "2. Lukupiiri" at a line's
#: start ("1. ja 2. luokkalaisten kulttuuripolku" numbers no items).
_NUMBERED = re.compile(r"(?:(?:^|(?<=\n))[ \t]*([1-9])\.|(?:^|(?<=\s))([1-9])\))\s+")
#: "2. Lukupiiri" inside a line: an item only when every item's name starts with a capital
#: ("1. Runotorstai 2. Lukupiiri"), as a practice's name does and "1. ja 2. luokka" does not.
_NUMBERED_INLINE = re.compile(r"(?:^|(?<=\s))([1-9])\.\s+")
_LETTER_RE = re.compile(r"[^\W\d_]")


def _numbered_titles(title: str | None) -> list[str]:
    """The names of a title that numbers several ("1) Runotorstai 2) Lukupiiri"): a
    municipality's practices typed into one form; [] for any other title."""
    title = title.strip() if title else ""
    if not title[:1].isdigit() or len(title) > 1000:  # a list starts with its first item
        return []
    names = _numbered_names(title, list(_NUMBERED.finditer(title)))
    if names:
        return names
    names = _numbered_names(title, list(_NUMBERED_INLINE.finditer(title)))
    return names if all(name[:1].isupper() for name in names) else []


def _numbered_names(title: str, marks: list[re.Match[str]]) -> list[str]:
    """The names after ``marks`` numbering ``title`` from its start 1, 2, 3 ...; [] when
    they do not, or when a name has no letter."""
    if len(marks) < 2 or marks[0].start() != 0 \
            or [int(next(number for number in mark.groups() if number)) for mark in marks] \
            != list(range(1, len(marks) + 1)):
        return []
    ends = [mark.start() for mark in marks[1:]] + [len(title)]
    names = [_LIST_AND.sub("", title[mark.end():end].strip(" \n,;"))
             for mark, end in zip(marks, ends, strict=True)]
    return names if all(_LETTER_RE.search(name) for name in names) else []


#: The "and" before a list's last item, left at the end of the item before ("2. Lukupiiri ja
#: 3. Satutunti").
_LIST_AND = re.compile(r"[\s,]+(?:ja|sekä|och|samt|and)$", re.IGNORECASE)


@lru_cache(maxsize=4096)
def _points_elsewhere(folded: str) -> bool:
    """Whether a folded answer only points at text elsewhere: "ks liite", or a few words
    naming an attachment or another answer ("ks liitteena oleva kuvaus kuvaus docx").
    Cached: asked of answers of 100 characters at most, which a round repeats."""
    if len(folded) <= 40 and _ELSEWHERE.fullmatch(folded):
        return True
    return folded.count(" ") < _POINTER_WORDS and bool(_POINTER.search(folded))


def _stand_in_flags(title: str | None, long_values: dict[str, str | None],
                    typed_title: Any = None) -> list[str]:
    """Flag answers that are no answer: a pointer to an attachment ("ks. liite"), whose text
    is not in the practice, a test response ("testi", "asdf") made into a practice, and a
    title that numbers several practices (``typed_title``: its lines, which the cleaned
    ``title`` joined)."""
    flags = [unsure(name, "text-elsewhere", value=value) for name, value in long_values.items()
             if value and len(value) <= 100 and _points_elsewhere(fold(value))]
    numbered = _numbered_titles(typed_title) if isinstance(typed_title, str) else []
    if numbered:
        flags.append(unsure("title", "several-numbered", titles=numbered))
    title_tried = _is_test_text(title)
    tried = [text for text in (long_values.get("goal"), long_values.get("summary"))
             if _is_test_text(text)]
    if title_tried:
        tried.insert(0, title)
    if title_tried or len(tried) >= 2:
        flags.append(unsure("title", "test-response", tried=tried))
    return flags


def _too_long_flags(values: Mapping[str, Any], raw: Mapping[str, Any],
                    rules: _SurveyRules) -> list[str]:
    """Flag the answers longer than their question allows (``too-long:<id>``)."""
    flags = []
    # The answers that may be too long: a cleaned text longer than its limit, and what is not
    # a text here, measured as typed below (most answers are let through by this one pass).
    doubtful = [(qid, max_length) for qid, max_length in rules.limits
                if not isinstance(text := values.get(qid), str) or len(text) > max_length]
    for qid, max_length in doubtful:
        # Measure what was typed (the keywords and choices as typed, the rest as cleaned).
        text = values.get(qid)
        if not isinstance(text, str):
            typed = raw.get(qid)
            text = clean_text(typed) if isinstance(typed, str) else None
        if text and len(text) > max_length:
            flags.append(f"too-long:{qid}")
    return flags


def normalise_answers(answers: Mapping[str, Any], *, survey: Survey, vocabulary: Vocabulary | None = None,
                      default_language: str = "fi", language_known: bool = False) -> NormalisedPractice:
    """Normalise one practice's raw answers (keyed by question id) into a practice record.

    Never raises on what a person typed: problems become ``flags`` (``required-missing:<id>``,
    ``too-long:<id>``, ``no-consent``, ``contact-email-invalid``, ``contact-phone-invalid``).
    ``default_language`` is the answer's language when its text cannot tell (e.g. the language
    of the questionnaire it came in); ``language_known`` says it is known for sure (the
    questionnaire's metadata), so that an undecidable text is not flagged.
    """
    vocabulary = vocabulary if vocabulary is not None else bundled_vocabulary()
    raw = _answer_for(answers, survey)
    flags: list[str] = []

    title = clean_line(raw.get("title"))
    long_values = {name: clean_text(raw.get(name)) for name in LONG_FIELDS}
    texts = [title, *long_values.values()]
    # Cleaned above: clean_text leaves clean text (and clean_line's one line) as it is.
    joined = "\n".join(filter(None, texts))
    decided = _decide_cleaned(joined)
    language = decided or (default_language if default_language in LANGUAGES else "fi")
    if decided is None and sum(len(_WORD.findall(t)) for t in texts if t) >= _LANGUAGE_MIN_WORDS:
        if _written_in_english(joined):
            # Even in a questionnaire whose language is known: the card would be published
            # and searched as Finnish or Swedish text that is neither.
            flags.append(unsure("language", "language-english", language=language))
        elif not language_known:
            flags.append(unsure("language", "language-undecided", language=language))

    flags.extend(_cell_flags(raw))
    rules = _rules(survey)
    keywords_value = raw.get("keywords")
    unsure_none, none_keywords = _empty_none_answers(long_values, keywords_value, rules.required)
    flags.extend(unsure_none)
    if none_keywords:
        keywords_value = None
    keywords = split_keywords(keywords_value, vocabulary, language) if keywords_value is not None else []
    target_group = parse_target_groups(raw.get("target_group"), survey, language)
    codes = [code.strip() for t in target_group if t.startswith("other:")
             for code in re.split(r"[,;\s]+", t.removeprefix("other:")) if code.strip()]
    if codes and all(t.startswith("other:") for t in target_group) and \
            all(_CHOICE_CODE.match(c) for c in codes):
        # "SQ004", "A2", "3": the form's codes for its choices, whose meaning the export does
        # not carry. Never mapped by their position in our list of choices.
        target_group = []
        flags.append(unsure("target_group", "choice-codes", codes=codes))

    free_contact = raw.get("contact") if raw.get("contact") is not None else raw.get("contact_text")
    contact = split_contact(name=raw.get("contact_name"), email=raw.get("contact_email"),
                            phone=raw.get("contact_phone"), text=free_contact)
    flags.extend([*_stand_in_flags(title, long_values, raw.get("title")), *contact.flags])
    consent_reading = read_consent(raw.get("publish_consent"))
    consent = consent_reading.value
    municipality_text = clean_text(raw.get("municipalities"))

    values: dict[str, Any] = {
        "municipalities": municipality_text, "title": title, "keywords": keywords,
        "target_group": target_group, **long_values, "contact_name": contact.name,
        "contact_email": contact.email, "contact_phone": contact.phone,
    }
    has_contact = bool(contact.name or contact.email or contact.phone or contact.text)
    # A sheet with no practice in it is empty even when the municipality, the contact or the
    # consent were filled in (the questionnaire may pre-fill them, people copy them over).
    # (each of these is a text or None, or a list: answered when true, as _is_answered says)
    is_empty = not any(map(values.__getitem__, _PRACTICE_CONTENT))

    # A missing consent is no consent, not a missing answer. A question this module does not
    # read (a workspace's own addition) counts as answered when its cell has text.
    missing = [qid for qid in rules.required if not _is_answered(
        values[qid] if qid in values else clean_text(raw.get(qid)))]
    flags.extend(f"required-missing:{qid}" for qid in missing)
    # "Tavoite: ei ole" is typed, so the answer is not missing, but it answers nothing: the
    # reviewer is told, quoting it, instead of the practice passing as complete.
    for qid in rules.required:
        value = values.get(qid)
        if isinstance(value, str) and len(value) <= _NONE_MAX and _says_none(value):
            flags.append(unsure(qid, "answer-none", value=value))
    flags.extend(_too_long_flags(values, raw, rules))
    if consent_reading.reason:
        flags.append(unsure("publish_consent", "consent-unclear",
                            answer=consent_reading.answer))
    elif has_contact and consent is False:
        flags.append("no-consent")
    elif has_contact and consent is None:
        flags.append("consent-unknown")
    if consent is not True and any("email-written-out" in flag for flag in flags):
        flags = [_unpublished_written_out(flag) for flag in flags]

    return NormalisedPractice(
        title=title or "", keywords=keywords, target_group=target_group,
        goal=long_values["goal"], summary=long_values["summary"],
        implementation=long_values["implementation"], resources=long_values["resources"],
        experiences=long_values["experiences"], benefits=long_values["benefits"],
        contact_name=contact.name, contact_email=contact.email, contact_phone=contact.phone,
        contact_text=contact.text, publish_consent=consent, municipality_text=municipality_text,
        language=language, flags=list(dict.fromkeys(flags)), is_empty=is_empty,
        missing_required=missing,
    )
