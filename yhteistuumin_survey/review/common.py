"""What export and import share: statuses, decision words, the columns, flags, version stamps."""

from __future__ import annotations

import hashlib
import json
import zlib
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from operator import attrgetter
from typing import TYPE_CHECKING, Any

from ..errors import InputError
from ..survey import fold

if TYPE_CHECKING:
    from sqlmodel import Session

    from ..survey import Survey

STATUSES = ("new", "needs-info", "approved", "rejected", "duplicate")
#: What an export selects when no status is given (plus practices with a newer version since
#: their decision, whatever their status).
DEFAULT_STATUSES = ("new", "needs-info")
DECISIONS = ("approved", "rejected", "needs-info", "duplicate")

#: Decision -> the words a reviewer may write (fi first: the drop-down shows those).
DECISION_WORDS: dict[str, dict[str, str]] = {
    "approved": {"fi": "hyväksytty", "sv": "godkänd", "en": "approved"},
    "rejected": {"fi": "hylätty", "sv": "avslagen", "en": "rejected"},
    "needs-info": {"fi": "lisätietoja", "sv": "mer information", "en": "needs-info"},
    "duplicate": {"fi": "kaksoiskappale", "sv": "dubblett", "en": "duplicate"},
}
_EXTRA_DECISION_WORDS = {
    "approved": ("hyväksy", "hyvaksytty", "ok", "approve", "godkand", "godkänt", "godkann",
                 "hyväksytään", "godkänns"),
    # A Swedish reviewer writes of "exemplet" (neuter): "godkänt", "avslaget", "underkänt".
    "rejected": ("hylkää", "hylatty", "reject", "avslå", "avslag", "avvisad", "hylätään",
                 "avslås", "avslaget", "avvisat", "underkänd", "underkänt"),
    "needs-info": ("needs info", "lisätietoa", "lisätietoja tarvitaan", "more info",
                   "more information", "mer info", "kompletteras", "täydennettävä",
                   "tarvitaan lisätietoja", "lisäselvitys", "behöver mer information",
                   "mer information behövs", "behöver kompletteras", "komplettering"),
    "duplicate": ("kaksoiskappaleet", "dublett", "dubbel", "dupe", "duplikaatti"),
}
_DECISION_INDEX: dict[str, str] = {}
for _decision, _words in DECISION_WORDS.items():
    for _word in (*_words.values(), *_EXTRA_DECISION_WORDS[_decision], _decision):
        _DECISION_INDEX[fold(_word)] = _decision

#: The answer "not a duplicate" to a possible-duplicate flag, written in the duplicate column
#: (fi first: the drop-down offers it).
NOT_DUPLICATE_WORDS = {"fi": "ei kaksoiskappale", "sv": "inte dubblett", "en": "not a duplicate"}
_NOT_DUPLICATE_INDEX = {fold(word) for word in (
    *NOT_DUPLICATE_WORDS.values(), "ei ole kaksoiskappale", "ei kaksoiskappaletta",
    "eri käytäntö", "ei sama", "ingen dubblett", "inte en dubblett", "inte samma",
    "not duplicate", "no duplicate", "distinct")}


def is_not_duplicate(text: str) -> bool:
    """Tell if a reviewer's text in the duplicate column answers "not a duplicate" (fi/sv/en)."""
    return fold(text) in _NOT_DUPLICATE_INDEX


def duplicate_candidates(flags: Iterable[str]) -> list[int]:
    """Return the practices a version's ``possible-duplicate:<id>`` flags name, in order."""
    found = []
    for flag in flags:
        name, _, value = str(flag).partition(":")
        value = value.lstrip("#")
        if name == "possible-duplicate" and value.isdigit():
            found.append(int(value))
    return list(dict.fromkeys(found))


def duplicate_cell(duplicate_of_id: int | None, not_duplicate_of: Sequence[int] | None) -> Any:
    """Return what the duplicate column shows for a practice's state: the original's id, the
    answer "ei kaksoiskappale", or nothing."""
    if duplicate_of_id is not None:
        return duplicate_of_id
    return NOT_DUPLICATE_WORDS["fi"] if not_duplicate_of is not None else None


#: The answers to a ``reread-differs`` flag (a decided practice's file read again reads
#: differently), written in the "Uusi luenta" column (fi first: the drop-down offers them).
REREAD_WORDS: dict[str, dict[str, str]] = {
    "keep": {"fi": "pidä nykyinen", "sv": "behåll nuvarande", "en": "keep"},
    "take": {"fi": "ota uusi luenta", "sv": "ta den nya läsningen", "en": "take the new reading"},
    # The answer to an ``answer-none-emptied`` flag: the optional answer that only said "ei
    # ole" was left empty; the reviewer decides it said something and puts it back.
    "restore": {"fi": "palauta vastaus", "sv": "återställ svaret", "en": "restore the answer"},
}
_REREAD_INDEX = {fold(word): answer for answer, words in REREAD_WORDS.items() for word in (
    *words.values(), *{"keep": ("pidä", "pidetään", "pidä vanha", "nykyinen", "vanha",
                                "behåll", "keep current", "keep the current"),
                       "take": ("ota uusi", "uusi", "uusi luenta", "otetaan uusi",
                                "ta nya", "ny läsning", "nya läsningen", "take new",
                                "take the new", "new reading", "new"),
                       "restore": ("palauta", "palautetaan", "palauta teksti", "återställ",
                                   "restore", "restore answer")}[answer])}


def parse_reread_answer(text: str) -> str | None:
    """Return ``keep`` or ``take`` for a reviewer's answer to a reread flag, ``restore`` for
    one to an emptied answer, None if unknown."""
    return _REREAD_INDEX.get(fold(text))


def reread_flags(flags: Iterable[str]) -> list[str]:
    """Return a version's unanswered ``reread-differs`` flags."""
    return [flag for flag in flags if str(flag).startswith("unsure:")
            and ":reread-differs{" in str(flag)]


def emptied_flags(flags: Iterable[str]) -> list[str]:
    """Return a version's ``answer-none-emptied`` flags of long answers (those a reviewer can
    restore with "palauta vastaus"; a keywords answer is corrected in its own column)."""
    return [flag for flag in flags if str(flag).startswith("unsure:")
            and ":answer-none-emptied{" in str(flag)
            and not str(flag).startswith("unsure:keywords:")]


ALLOWED_DECISIONS_TEXT = ", ".join(
    f"{w['fi']} / {w['sv']} / {w['en']}" for w in DECISION_WORDS.values())


@lru_cache(maxsize=1024)
def parse_decision(text: str) -> str | None:
    """Return the decision a reviewer's word means (any of fi/sv/en), ``None`` if unknown."""
    return _DECISION_INDEX.get(fold(text))


def decision_label(decision: str | None, lang: str = "fi") -> str:
    """Return the word for a decision in ``lang`` (empty for none)."""
    return DECISION_WORDS[decision][lang] if decision in DECISION_WORDS else ""


def status_label(status: str, lang: str = "fi") -> str:
    """Return a practice status in ``lang`` for the workbook: ``uusi``, or its decision's word."""
    if status == "new":
        return {"fi": "uusi", "sv": "ny", "en": "new"}[lang]
    return decision_label(status, lang) or status


def parse_statuses(values: Iterable[str] | None) -> tuple[str, ...] | None:
    """Return statuses from ``new,needs-info`` style options; unknown ones are an InputError."""
    if values is None:
        return None
    found: list[str] = []
    for value in values:
        for part in str(value).split(","):
            part = part.strip().lower()
            if not part:
                continue
            if part == "needs_info":
                part = "needs-info"
            if part not in STATUSES:
                raise InputError(f"unknown status {part!r}; use one or more of "
                                 f"{', '.join(STATUSES)}")
            found.append(part)
    return tuple(dict.fromkeys(found)) or None


# --- the columns of the review sheet ------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One column of the review sheet: its key, Finnish header, other accepted headers."""

    key: str
    header: str
    aliases: tuple[str, ...]
    width: float
    editable: bool = False
    long: bool = False


COLUMNS: tuple[Column, ...] = (
    Column("id", "ID", ("tunnus", "käytäntö id", "practice id", "id nro"), 7),
    Column("title", "Käytännön nimi", ("nimi", "title", "name", "praxisens namn", "namn"), 32),
    Column("decision", "Päätös", ("decision", "beslut", "ratkaisu"), 17, editable=True),
    Column("duplicate_of", "Kaksoiskappale (alkuperäisen ID)",
           ("kaksoiskappale", "duplicate of", "duplicate of id", "sama kuin", "dubblett av",
            "alkuperäisen id", "alkuperainen"), 14, editable=True),
    Column("comment", "Arvioijan kommentti",
           ("kommentti", "comment", "reviewer comment", "reviewer's comment",
            "granskarens kommentar", "kommentar"), 32, editable=True),
    Column("corrected_title", "Korjattu nimi",
           ("corrected title", "korjattu otsikko", "korrigerat namn"), 30, editable=True),
    Column("corrected_keywords", "Korjatut avainsanat",
           ("corrected keywords", "korrigerade nyckelord"), 26, editable=True),
    Column("corrected_municipalities", "Korjatut kunnat",
           ("corrected municipalities", "korrigerade kommuner"), 22, editable=True),
    Column("reread", "Uusi luenta", ("new reading", "ny läsning", "uudelleen luettu"), 18,
           editable=True),
    Column("flags", "Huomiot", ("flags", "huomautukset", "anmärkningar"), 30),
    Column("municipalities", "Kunnat", ("municipalities", "kommuner", "kunta"), 20),
    Column("region", "Maakunta", ("region", "landskap", "alue"), 16),
    Column("status", "Nykyinen tila", ("tila", "status", "current status", "nuvarande status"), 13),
    Column("keywords", "Avainsanat", ("keywords", "nyckelord"), 24),
    Column("target_group", "Kenelle", ("target group", "för vem", "kohderyhmä"), 20),
    Column("goal", "Tavoite", ("goal", "mål"), 48, long=True),
    Column("summary", "Hyvä käytäntö pähkinänkuoressa",
           ("summary", "den goda praxisen i ett nötskal", "tiivistelmä"), 60, long=True),
    Column("implementation", "Toteuttaminen", ("implementation", "genomförande"), 60, long=True),
    Column("resources", "Resurssit", ("resources", "resurser"), 40, long=True),
    Column("experiences", "Kokemuksia", ("experiences", "erfarenheter"), 48, long=True),
    Column("benefits", "Hyödyt", ("benefits", "nytta"), 48, long=True),
    Column("contact", "Yhteystiedot", ("contact", "kontaktuppgifter"), 30),
    Column("language", "Kieli", ("language", "språk"), 7),
    Column("source", "Lähde", ("source", "källa", "tiedosto"), 26),
    Column("stamp", "Versio", ("version", "version stamp", "versiotunniste"), 14),
)
COLUMN_BY_KEY = {column.key: column for column in COLUMNS}
EDITABLE = tuple(c.key for c in COLUMNS if c.editable)
READ_ONLY = tuple(c.key for c in COLUMNS if not c.editable)
HEADER_INDEX: dict[str, str] = {}
for _column in COLUMNS:
    for _name in (_column.header, _column.key, _column.key.replace("_", " "), *_column.aliases):
        HEADER_INDEX.setdefault(fold(_name), _column.key)

SHEET_NAME = "Arviointi"
INSTRUCTIONS_SHEET = "Ohjeet - Anvisningar"
META_SHEET = "_review_meta"
META_FORMAT = "yhteistuumin-review/1"
#: The head of the metadata sheet's table, one row per practice after it. ``read_only_digest``
#: (added later; older workbooks lack it) lets the import check every read-only cell of a row
#: with one hash, and compare them one by one only when it differs.
META_COLUMNS = ("practice_id", "version", "stamp", "read_only_hashes", "read_only_digest")

# --- flags in plain words ------------------------------------------------------------------

def flag_words(flags: Iterable[str], *, labels: dict[str, str]) -> list[str]:
    """Return flags in plain Finnish, each field by its label (``flags.describe``)."""
    from ..flags import describe_all

    return describe_all(flags, "fi", labels)


def field_labels(survey: Survey | None) -> dict[str, str]:
    """Return the Finnish card label of every field, from the survey or the built-in headers."""
    labels = {c.key: c.header for c in COLUMNS}
    if survey is not None:
        for question in survey.questions:
            labels[question.id] = question.card_label("fi")
    return labels


# --- stamps ---------------------------------------------------------------------------------

STAMP_FIELDS = ("title", "keywords", "target_group", "goal", "summary", "implementation",
                "resources", "experiences", "benefits", "contact_name", "contact_email",
                "contact_phone", "contact_text", "publish_consent", "municipality_text")


_STAMP_VALUES = attrgetter(*STAMP_FIELDS)


def _stamp_part(value: Any) -> str:
    if isinstance(value, str):
        return value
    if value is None:
        return "\x00"
    if isinstance(value, bool):
        return "\x02true" if value else "\x02false"
    if isinstance(value, list | tuple):
        return "\x1d" + "\x1e".join(str(item) for item in value)
    return f"\x03{value}"


def version_stamp(practice_id: int, version: Any) -> str:
    """Return ``v<N>-<8 hex digits>``: changes when a new version (or other content) arrives.

    A CRC-32 of the practice id, the version number and every card field (texts as they are,
    lists item by item, "none" apart from empty): it tells a changed version from the same
    one (the earlier stamps kept 24 bits of a SHA-256), at a fraction of a hash's cost."""
    parts = [str(practice_id), str(version.version)]
    parts += [value if value.__class__ is str else "\x00" if value is None
              else _stamp_part(value) for value in _STAMP_VALUES(version)]
    content = "\x1f".join(parts).encode("utf-8", "surrogatepass")
    return f"v{version.version}-{zlib.crc32(content):08x}"


#: ``json.dumps(..., ensure_ascii=False, default=str, sort_keys=True)``, made once.
_LEGACY_JSON = json.JSONEncoder(ensure_ascii=False, default=str, sort_keys=True).encode


def legacy_version_stamp(practice_id: int, version: Any) -> str:
    """Return the stamp workbooks exported before December 2026 carry, ``v<N>-<6 hex>`` (a
    SHA-256 of the fields as JSON: escaping the long texts for JSON was a sixth of an import)."""
    content = _LEGACY_JSON([practice_id, version.version,
                            *[getattr(version, name) for name in STAMP_FIELDS]])
    return f"v{version.version}-{hashlib.sha256(content.encode()).hexdigest()[:6]}"


def stamp_matches(practice_id: int, version: Any, stamp: str) -> bool:
    """Tell if a workbook's stamp (either form) was made from this version as it is now."""
    if len(stamp.partition("-")[2]) == 6:
        return legacy_version_stamp(practice_id, version) == stamp
    return version_stamp(practice_id, version) == stamp


def text_hash(text: str) -> str:
    """Return a short hash of a cell's text, to tell if a read-only cell was edited."""
    return hashlib.blake2s(normal_text(text).encode(), digest_size=3).hexdigest()


def read_only_digest(texts: Sequence[str]) -> str:
    """Return one checksum of a row's read-only cells as written (in :data:`COLUMNS` order).

    CRC-32, not a cryptographic hash: it tells an edit from none (the cells are then
    compared one by one), and it is several times quicker over the rows' long texts."""
    content = "\x1f".join(texts).encode("utf-8", "surrogatepass")
    return f"{zlib.crc32(content):08x}"


def normal_text(text: str) -> str:
    """Return cell text as compared on import: line ends unified, outer space stripped."""
    if "\r" in text:  # (rare: looked for once, not replaced twice in each of 35,000 cells)
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.strip()


def plain_rows(result: Any, *, decode: Sequence[str] = ()) -> list[Any]:
    """Return a query's rows as named tuples: reading a field of SQLAlchemy's ``Row`` by name
    costs ten times more, and the review reads some forty fields of each of 5,000 rows.

    The ``decode`` columns, selected with :func:`json_once`, are decoded here, each distinct
    text once: the same text gives the same object (read them; never change them)."""
    from collections import namedtuple

    keys = list(result.keys())
    row_type = namedtuple("PlainRow", keys, rename=True)  # type: ignore[misc]
    if not decode:
        return [row_type._make(row) for row in result.all()]
    positions = [keys.index(key) for key in decode]
    decoded: dict[str, Any] = {}
    loads = json.loads
    rows = []
    for row in result.all():
        values = list(row)
        for position in positions:
            text = values[position]
            # (Not text: NULL, or a value the driver decoded itself, as psycopg does.)
            if text.__class__ is str:
                found = decoded.get(text, decoded)
                if found is decoded:
                    found = decoded[text] = loads(text)
                values[position] = found
        rows.append(row_type._make(values))
    return rows


def json_once(column: Any) -> Any:
    """Select a JSON column of lists (or null) as it is stored, for :func:`plain_rows` to
    decode: SQLAlchemy decoded each row's value on its own, the same ``null`` and the same
    ``[]`` 5,000 times (25,000 texts read for a 5,000-row review import)."""
    from sqlalchemy import Text, type_coerce

    return type_coerce(column, Text).label(column.name)


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a batch makes many objects that live
    until it ends (a workbook's rows, the database's rows, the report): its repeated full
    passes over them were a tenth of an import. The collector's state is restored after."""
    import gc

    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


# --- the practices to review ------------------------------------------------------------------


@dataclass
class ReviewRow:
    """One practice as a row of the review sheet (text values, not yet neutralised)."""

    practice_id: int
    version: int
    stamp: str
    region_code: str
    region: str
    municipality_codes: list[str]
    values: dict[str, Any] = field(default_factory=dict)
    #: The practices its possible-duplicate flags name (the duplicate column offers them).
    duplicate_candidates: list[int] = field(default_factory=list)
    #: Its file read again reads differently (unanswered ``reread-differs`` flags): the
    #: "Uusi luenta" column offers the answers.
    reread: bool = False
    #: The cells longer than a spreadsheet cell holds (column key -> the text's length): the
    #: workbook shows their beginning, and says so in the row's flags.
    cut: dict[str, int] = field(default_factory=dict)
    #: It has optional answers left empty because they only said "ei ole"
    #: (``answer-none-emptied``): the "Uusi luenta" column offers "palauta vastaus".
    restore: bool = False


def effective_municipalities(*, session: Session, practice_ids: Sequence[int] | None = None
                             ) -> dict[int, list[str]]:
    """Return practice id -> its effective municipality codes (reviewer corrections applied)."""
    from sqlmodel import col, select

    from ..db.models import PracticeMunicipality

    query = select(PracticeMunicipality.practice_id, PracticeMunicipality.municipality_code
                   ).where(PracticeMunicipality.superseded == False)  # noqa: E712 - SQL
    if practice_ids is not None:
        query = query.where(col(PracticeMunicipality.practice_id).in_(list(practice_ids)))
    result: dict[int, list[str]] = {}
    for practice_id, code in session.exec(query.order_by(
            col(PracticeMunicipality.practice_id), col(PracticeMunicipality.municipality_code))):
        result.setdefault(practice_id, []).append(code)
    return result


def set_reviewer_municipalities(*, session: Session, practice_id: int,
                                codes: Sequence[str] | None) -> bool:
    """Make ``codes`` the effective list (``None``: back to the submitted one); True if changed.

    Every effective row of a corrected list has source ``reviewer`` (so "reviewer rows win"
    and "rows not superseded" give the same list); a submitted row the reviewer kept keeps
    its own source in ``submitted_source``, a dropped one is ``superseded``. Undoing the
    correction restores the submitted rows exactly.
    """
    from sqlmodel import select

    from ..db.models import PracticeMunicipality

    rows = session.exec(select(PracticeMunicipality).where(
        PracticeMunicipality.practice_id == practice_id)).all()
    wanted = None if codes is None else set(codes)
    before = {(r.municipality_code, r.source, r.superseded, r.submitted_source) for r in rows}
    present = {row.municipality_code for row in rows}
    for row in rows:
        submitted = row.submitted_source if row.source == "reviewer" else row.source
        if submitted is None:  # added by a reviewer
            if wanted is None or row.municipality_code not in wanted:
                session.delete(row)
            continue
        if wanted is None:
            row.source, row.submitted_source, row.superseded = submitted, None, False
        elif row.municipality_code in wanted:
            row.source, row.submitted_source, row.superseded = "reviewer", submitted, False
        else:
            row.source, row.submitted_source, row.superseded = submitted, None, True
        session.add(row)
    for code in sorted((wanted or set()) - present):
        session.add(PracticeMunicipality(practice_id=practice_id, municipality_code=code,
                                         source="reviewer"))
    session.flush()
    after = {(r.municipality_code, r.source, r.superseded, r.submitted_source)
             for r in session.exec(select(PracticeMunicipality).where(
                 PracticeMunicipality.practice_id == practice_id)).all()}
    return before != after


def reviewer_municipalities(*, session: Session, practice_id: int) -> list[str] | None:
    """Return the reviewer-corrected codes of a practice, ``None`` when there is no correction."""
    from sqlmodel import select

    from ..db.models import PracticeMunicipality

    rows = session.exec(select(PracticeMunicipality).where(
        PracticeMunicipality.practice_id == practice_id)).all()
    if not any(r.source == "reviewer" for r in rows):
        return None
    return sorted(r.municipality_code for r in rows if r.source == "reviewer" and not r.superseded)


def submitted_municipalities(*, session: Session, practice_id: int) -> list[tuple[str, str]]:
    """Return the municipalities as submitted, ``(code, source)``, whatever reviewers changed."""
    from sqlmodel import select

    from ..db.models import PracticeMunicipality

    rows = session.exec(select(PracticeMunicipality).where(
        PracticeMunicipality.practice_id == practice_id)).all()
    found = [(r.municipality_code, r.submitted_source if r.source == "reviewer"
              else r.source) for r in rows]
    return sorted((code, source) for code, source in found if source is not None)


def corrected_municipality_ids(*, session: Session) -> set[int]:
    """Return the ids of practices whose municipalities a reviewer corrected."""
    from sqlmodel import or_, select

    from ..db.models import PracticeMunicipality

    query = select(PracticeMunicipality.practice_id).where(
        or_(PracticeMunicipality.source == "reviewer",
            PracticeMunicipality.superseded == True))  # noqa: E712 - SQL expression
    return set(session.exec(query.distinct()).all())


def database_identity(session: Session) -> str:
    """Return this database's random identity, making it once (review workbooks carry it)."""
    import uuid

    from sqlalchemy.exc import IntegrityError

    from ..db.models import DatabaseIdentity

    found = session.get(DatabaseIdentity, 1)
    if found is not None:
        return found.database_id
    made = DatabaseIdentity(id=1, database_id=uuid.uuid4().hex)
    session.add(made)
    try:
        session.commit()
    except IntegrityError:  # another run made it at the same moment: theirs holds
        session.rollback()
        found = session.get(DatabaseIdentity, 1)
        assert found is not None
        return found.database_id
    return made.database_id

