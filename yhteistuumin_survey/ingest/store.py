"""Keep what arrives, then turn it into practices: files, raw submissions, versions, duplicates.

Every file is stored before it is read (content hash, original name, sender, time, a copy
under ``outputs/received/<sha>-<name>``); the same content again is recognised by
its hash and changes nothing. Each row or sheet is kept raw in ``Submission``. A practice is
matched to an earlier one by its form response ID, by its questionnaire token and title or
sheet, or by its title within the same municipality: then it becomes a new version (the
history stays), or nothing at all when its content is unchanged. A practice that resembles
another one by title is flagged ``possible-duplicate:<id>``, never merged.

Writes are batched: one transaction per file, bulk inserts, and an in-memory index of the
practices already known, loaded once per run.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import operator
import pickle
import re
import shutil
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from json.encoder import encode_basestring_ascii as _quote
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import locks
from ..db.models import (
    Practice,
    PracticeMunicipality,
    PracticeVersion,
    ReceivedFile,
    Submission,
    utcnow,
)
from ..errors import SurveyError
from ..flags import parse as parse_flag
from ..flags import unsure
from ..normalise import fold  # cached: the same labels and titles are folded again and again
from ..outcomes import en as said
from ..outcomes import join as join_reasons
from .emails import safe_name
from .records import json_text

if TYPE_CHECKING:
    from sqlmodel import Session

    from ..normalise import NormalisedPractice
    from ..workspace import Workspace
    from .records import RawRecord

#: The normalised fields that make a version's content (compared to spot an unchanged resend).
CONTENT_FIELDS = ("title", "keywords", "target_group", "goal", "summary", "implementation",
                  "resources", "experiences", "benefits", "contact_name", "contact_email",
                  "contact_phone", "contact_text", "publish_consent", "municipality_text",
                  "language")
DUPLICATE_CUTOFF = 90.0
#: A word of a questionnaire's title received again that is at least this like a word of the
#: earlier title (rapidfuzz ratio) is that word with a typo mended ("lukupirii" / "lukupiiri":
#: 89), not another word ("lasten" / "aikuisten": 67); see ``title_corrected``.
TYPO_WORD_AT_LEAST = 80.0
#: Two export rows of one municipality whose titles hold each other's words at least this much
#: (rapidfuzz token_set_ratio) are flagged as possible duplicates (``PracticeIndex.retitled``).
RETITLED_CUTOFF = 90.0
#: During an ingest, SQLite's log is checkpointed after this many pages (about 100 MB at
#: 4 KiB pages; SQLite's default is 1,000), and at the end of the run (``synced_at_end``).
RUN_CHECKPOINT_PAGES = 25_000
#: Outcomes of rows that are practices (the report's "outcome" column).
NEW, NEW_VERSION, UNCHANGED, DUPLICATE = "new", "new version", "already ingested", \
    "duplicate candidate"
#: A file read again (``ingest --reread``) gave another reading of a practice that the
#: reviewers have decided, or that a later file has changed: the practice stays as it is, the
#: difference is flagged on it.
KEPT = "decision kept"
#: The longest value a ``reread-differs`` flag quotes (the whole reading is in its submission).
REREAD_QUOTE_CHARS = 300


#: File names are kept under this many bytes on disk (255 is the usual limit, with room for
#: the content hash in front).
MAX_STORED_NAME_BYTES = 150


def storage_name(name: str | None, fallback: str, limit: int = MAX_STORED_NAME_BYTES) -> str:
    """Return a safe file name that fits ``limit`` bytes of UTF-8, its suffix kept."""
    text = safe_name(name, fallback)
    if len(text.encode()) <= limit:
        return text
    stem, dot, suffix = text.rpartition(".")
    if not dot or len(suffix.encode()) > 12:
        stem, suffix = text, ""
    room = limit - len(suffix.encode()) - (1 if suffix else 0)
    short = stem.encode()[:room].decode("utf-8", "ignore").rstrip(" .") or fallback
    return f"{short}.{suffix}" if suffix else short


def content_fingerprint(values: Any, codes: Iterable[str]) -> str:
    """Return a hash of a version's content (an object with the content fields) and codes.

    Fingerprints are compared within a run only (the stored versions' are made again when a
    run starts). The content is hashed as it is pickled, lists as tuples: the same content
    gives the same bytes whether it came from a normalised answer or a stored version (str,
    None, bools and lists of str), and other content other bytes (a pickle is read back to
    what was pickled). A third faster than its repr (1.6 KB of text a practice, escaped
    character by character), which was a third of the cost of sorted JSON.

    The pickler runs in its "fast" mode, without its memo: a pickle otherwise refers back to
    an object met before in it, so two equal texts would pickle differently when they are
    one object (an answer copied into two fields) than when they are two (read back from
    the database)."""
    data = tuple([tuple(value) if isinstance(value, _SEQUENCES) else value
                  for value in _content_of(values)])
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=5)
    pickler.fast = True  # no memo: the bytes depend on the values alone (see above)
    pickler.dump((data, sorted(set(codes))))
    return hashlib.sha256(buffer.getbuffer()).hexdigest()


_content_of = operator.attrgetter(*CONTENT_FIELDS)
_SEQUENCES = (list, tuple)


def title_key(title: str | None) -> str:
    """Return a title folded for matching (case, accents, punctuation ignored)."""
    return fold(title or "")


def title_corrected(before: str, after: str) -> bool:
    """Whether a folded title ``after`` is surely ``before`` corrected: the same, words added
    or taken away ("kirjastokaveri" -> "kirjastokaveritoiminta ikaantyneille"), words with a
    typo mended ("lukupirii lapsille" -> "lukupiiri lapsille"), or these together.

    A similarity score alone is no proof: "lasten lukupiiri" and "aikuisten lukupiiri" score
    86 (token_set_ratio) and are two practices. A word replaced by another is not sure, so
    the caller keeps both practices and flags them for the reviewers."""
    if before == after or before in after or after in before or \
            before.replace(" ", "") == after.replace(" ", ""):
        return True
    words_before, words_after = before.split(), after.split()
    gone = [w for w in words_before if w not in words_after]
    came = [w for w in words_after if w not in words_before]
    from rapidfuzz import fuzz

    for new in list(came):  # each word mended pairs off with the one it mends
        best = max(gone, key=lambda old: fuzz.ratio(old, new), default=None)
        if best is not None and fuzz.ratio(best, new) >= TYPO_WORD_AT_LEAST:
            gone.remove(best)
            came.remove(new)
    # Only words added, or only taken away, are left: a word replaced by another is not.
    return not gone or not came


@dataclass(slots=True)
class Known:
    """A practice already in the database (or written earlier in this run)."""

    id: int
    identity_key: str | None
    codes: set[str]
    title_key: str
    fingerprint: str
    status: str
    decided_version: int | None
    current_version: int
    received_file_id: int | None
    reporter: str = ""  # who reported it: the token/metadata/sender codes (else the text's)


def reporter_key(codes: Iterable[tuple[str, str]]) -> str:
    """Return the reporting municipalities of (code, source) pairs as one key.

    A joint practice names its partners in the text; the reporter is the municipality of the
    token, the metadata or the sender. Only when none of these is known do the named
    municipalities stand for the reporter.
    """
    pairs = list(codes)
    strong = sorted({code for code, source in pairs if source != "text"})
    return ",".join(strong or sorted({code for code, _ in pairs}))


@dataclass
class Entry:
    """One record ready to store: its normalised practice and municipalities."""

    record: RawRecord
    practice: NormalisedPractice | None
    codes: list[tuple[str, str]] = field(default_factory=list)  # (code, source)
    flags: list[str] = field(default_factory=list)
    status: str = "practice"  # practice, incomplete, empty, body-text, error
    reason: str = ""
    #: The title folded for matching (``title_key``) and who reported it (``reporter_key`` of
    #: ``codes``), set once when a practice's entry is stored (``store_entries``): each is
    #: asked several times while it is stored, and neither changes meanwhile.
    key: str = ""
    reporter: str = ""
    #: Read again (``ingest --reread``): the fields in which this reading differs from the
    #: practice's current version, and the flags of this reading the version lacks.
    changed: list[str] = field(default_factory=list)
    new_flags: list[str] = field(default_factory=list)


@dataclass(slots=True)
class RowResult:
    """What became of one stored record."""

    locator: str
    sheet: str | None
    row: int | None
    outcome: str
    practice_id: int | None = None
    version: int | None = None
    reason: str = ""
    #: The practice's flags that ask a reviewer to check a value (said in the report's language).
    to_check: list[str] = field(default_factory=list)


#: ``PracticeIndex.similar`` scores a title against this many of the latest titles of its
#: block (those that start with its first word): enough to catch a resend.
SIMILAR_WINDOW = 500
#: A block's latest titles are copied for ``similar`` this many at a time (``_Block``).
_COPIED_TOGETHER = 32


class _Block:
    """The latest ``SIMILAR_WINDOW`` titles that start with one word, oldest first, as
    ``similar`` scores them: the older ones copied, the most recent as they came.

    Scoring a title against 500 (rapidfuzz, in C) went a third slower in an ingest than the
    same call repeated at once: each of the 500 titles is a string object of its own, made
    when its row was stored, among all else stored then, so each was a fresh trip to memory.
    The titles are therefore copied, ``_COPIED_TOGETHER`` at a time, one copy after the
    other: copies made in one go lie side by side in memory, and the 500 are read in one
    sweep. A copy is the same text (the same scores, the same order, so the same title
    found; it is looked up by its text) and takes the memory of its text once more: at
    most ``SIMILAR_WINDOW`` a block."""

    __slots__ = ("copied", "recent")

    def __init__(self) -> None:
        self.copied: list[str] = []  # copies of the latest titles before ``recent``
        self.recent: list[str] = []  # the titles added since, not copied yet

    def add(self, title: str) -> None:
        recent = self.recent
        recent.append(title)
        if len(recent) >= _COPIED_TOGETHER:
            copied = self.copied + [_copy(text) for text in recent]
            self.copied = copied[-SIMILAR_WINDOW:] if len(copied) > SIMILAR_WINDOW else copied
            self.recent = []

    def latest(self) -> list[str]:
        """The latest ``SIMILAR_WINDOW`` titles, oldest first."""
        titles = self.copied + self.recent if self.recent else self.copied
        return titles[-SIMILAR_WINDOW:] if len(titles) > SIMILAR_WINDOW else titles


def _copy(text: str) -> str:
    """A new string object of the same text (``str(text)`` and ``text[:]`` are the same
    object); any text, unpaired surrogates included, comes back as it was."""
    return text.encode("utf-8", "surrogatepass").decode("utf-8", "surrogatepass")


class PracticeIndex:
    """The practices known so far, indexed by identity, title per municipality and title."""

    def __init__(self) -> None:
        self.by_identity: dict[str, Known] = {}
        self.by_title_code: dict[tuple[str, str], Known] = {}  # (title, reporter)
        self.by_fingerprint: dict[str, Known] = {}
        self.by_title: dict[str, Known] = {}
        self.blocks: dict[str, _Block] = {}  # first word of the title -> its latest titles
        self.by_reporter: dict[str, dict[str, Known]] = {}  # reporter -> title -> practice
        self.by_id: dict[int, Known] = {}

    def add(self, known: Known, extra_keys: Iterable[str] = ()) -> None:
        self.by_id[known.id] = known
        if known.identity_key:
            self.by_identity[known.identity_key] = known
        for key in extra_keys:
            self.by_identity[key] = known
        if known.title_key and known.reporter:
            self.by_title_code[(known.title_key, known.reporter)] = known
            self.by_reporter.setdefault(known.reporter, {})[known.title_key] = known
        self.by_fingerprint[known.fingerprint] = known
        if known.title_key:
            if known.title_key not in self.by_title:
                self.by_title[known.title_key] = known
                first = known.title_key.split()[0]
                block = self.blocks.get(first)
                if block is None:
                    block = self.blocks[first] = _Block()
                block.add(known.title_key)

    def similar(self, key: str) -> int | None:
        """Return the id of a known practice whose title is the same or fuzzy-similar."""
        if not key or len(key) < 8:
            return None
        exact = self.by_title.get(key)
        if exact is not None:
            return exact.id
        block = self.blocks.get(key.split()[0])
        if block is None:
            return None
        fuzz, process = _rapidfuzz()
        # Titles that start alike; the most recent few hundred are enough to catch a resend.
        best = process.extractOne(key, block.latest(), scorer=fuzz.ratio,
                                  score_cutoff=DUPLICATE_CUTOFF)
        return self.by_title[best[0]].id if best else None

    def retitled(self, key: str, reporter: str) -> int | None:
        """Return the id of a practice of the same reporter whose title holds this one's
        words, or whose words this one holds ("Lukupiiri" and "Lukupiiri ikäihmisille"): a
        response corrected under a new title, or a practice of its own; a reviewer decides."""
        titles = self.by_reporter.get(reporter) if reporter and key else None
        if not titles:
            return None
        fuzz, process = _rapidfuzz()
        # One call into rapidfuzz scores them all (not one Python call per title); of those
        # at the cutoff or above, the latest (the lowest place in the list, latest first) is
        # the one. Not ``extract_iter``, which gave the same answer: each of its generators
        # left a reference cycle of nine objects behind, for the garbage collector to find
        # (88,000 objects in bench/ingest.py's run, a third of its collections' time).
        latest_first = list(reversed(titles))
        found = process.extract(key, latest_first, scorer=fuzz.token_set_ratio,
                                score_cutoff=RETITLED_CUTOFF, limit=None)
        place = min((place for title, _score, place in found if title != key), default=None)
        return None if place is None else titles[latest_first[place]].id

    @classmethod
    def load(cls, session: Session) -> PracticeIndex:
        """Read every practice's identity and current version once."""
        from sqlmodel import col, select

        index = cls()
        # The municipalities as submitted: a reviewer's correction (source "reviewer") is
        # not what the municipality sent, but a kept row remembers its submitted source.
        pairs: dict[int, list[tuple[str, str]]] = {}
        for practice_id, code, source, submitted_source in session.exec(select(
                PracticeMunicipality.practice_id, PracticeMunicipality.municipality_code,
                PracticeMunicipality.source, PracticeMunicipality.submitted_source)):
            if source == "reviewer":
                if not submitted_source:
                    continue
                source = submitted_source
            pairs.setdefault(practice_id, []).append((code, source))
        query = (select(Practice, PracticeVersion, Submission.received_file_id)
                 .join(PracticeVersion, _current())
                 .outerjoin(Submission, col(Submission.id) == col(PracticeVersion.submission_id))
                 .order_by(col(Practice.id)))
        for practice, version, file_id in session.exec(query):
            assert practice.id is not None
            mine = {code for code, _ in pairs.get(practice.id, [])}
            index.add(Known(practice.id, practice.identity_key, mine, title_key(version.title),
                            content_fingerprint(version, mine), practice.status,
                            practice.decided_version, practice.current_version, file_id,
                            reporter_key(pairs.get(practice.id, []))),
                      _title_keys(practice.identity_key, version.title))
        return index


@cache
def _rapidfuzz() -> tuple[Any, Any]:
    """rapidfuzz's ``fuzz`` and ``process``, imported on first use (storing needs them for
    each new practice; ``from rapidfuzz import ...`` each time cost more than the lookup)."""
    from rapidfuzz import fuzz, process

    return fuzz, process


def _table(model: Any) -> Any:
    # Core inserts of plain rows: no ORM bookkeeping for thousands of rows per file.
    return model.__table__


#: The columns ``Store`` writes through ``_Bulk``, in the order of its rows' values.
SUBMISSION_COLUMNS = ("id", "received_file_id", "locator", "sheet", "row", "format", "raw",
                      "status", "response_key", "reason", "created_at")
PRACTICE_COLUMNS = ("id", "status", "current_version", "identity_key", "language",
                    "created_at", "updated_at")
VERSION_COLUMNS = ("practice_id", "version", "submission_id", *CONTENT_FIELDS, "flags",
                   "created_at")
MUNICIPALITY_COLUMNS = ("practice_id", "municipality_code", "source", "superseded",
                        "submitted_source")
_JSON_COLUMNS = frozenset({"raw", "keywords", "target_group", "flags"})
_json_text = json_text  # json.dumps' defaults, as the JSON type writes them


def _json_list(items: Any) -> str:
    """``json_text`` of a list or tuple; of texts (a version's keywords, target groups and
    flags) without the encoder's setup for each small list."""
    if not items:
        return "[]" if isinstance(items, list | tuple) else _json_text(items)
    if isinstance(items, list | tuple):
        try:  # the quoting refuses anything but a text (a number, None, a list): TypeError
            return "[" + ", ".join(map(_quote, items)) + "]"
        except TypeError:
            pass
    return _json_text(items)


_KEYWORDS, _TARGET_GROUP = CONTENT_FIELDS.index("keywords"), CONTENT_FIELDS.index("target_group")
#: A submission's status from what became of its row (other outcomes are the status).
_SUBMISSION_STATUS = {NEW: "practice", NEW_VERSION: "practice", UNCHANGED: "unchanged",
                      DUPLICATE: "practice", KEPT: "kept"}


class _Bulk:
    """Many rows in one statement, through the driver, inside the session's transaction.

    SQLAlchemy's Core ``insert`` of a list of dictionaries compiles the statement and runs
    every value through its column's type for each file: two thirds of storing a file's rows.
    Here the values are made ready once, in plain Python (JSON text, the time as the dialect
    stores it), and the driver's ``executemany`` gets plain tuples. The statement still goes
    through the session's connection, so errors are SQLAlchemy's (a failing database stops
    the batch as before) and it is part of the file's one transaction.

    Ids are known before the rows go in (``reserve``): on SQLite the next ones after the
    table's largest, which is what SQLite itself would give them (the run's transaction
    holds the database's one write lock from its first write to its commit, and a write that
    another connection slipped in first makes this transaction fail, never take an id
    twice); on PostgreSQL the table's sequence hands out as many in one query. No RETURNING,
    no query afterwards to learn which row got which id.
    """

    def __init__(self, session: Session) -> None:
        self.session = session
        dialect = session.get_bind().dialect
        self.sqlite = dialect.name == "sqlite"
        self.mark = "?" if self.sqlite else "%s"  # the driver's placeholder
        from sqlalchemy import DateTime

        # The dialect's own conversion of a time (SQLite: text), applied once per value.
        self._time = DateTime(timezone=True).dialect_impl(dialect).bind_processor(dialect)
        self._sql: dict[tuple[str, tuple[str, ...]], str] = {}

    def time(self, value: dt.datetime | None) -> Any:
        return self._time(value) if self._time is not None and value is not None else value

    def insert(self, table: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
        """Insert ``rows`` (values in the order of ``columns``) into ``table``."""
        if rows:
            self.session.connection().exec_driver_sql(self.insert_sql(table, columns),
                                                      rows if len(rows) > 1 else rows[0])

    def insert_sql(self, table: str, columns: tuple[str, ...]) -> str:
        """The INSERT of one row of ``columns`` with the driver's placeholders."""
        sql = self._sql.get((table, columns))
        if sql is None:
            marks = ", ".join(self.mark if self.sqlite or name not in _JSON_COLUMNS
                              else f"CAST({self.mark} AS JSON)" for name in columns)
            names = ", ".join(f'"{name}"' for name in columns)
            sql = self._sql[(table, columns)] = f'INSERT INTO "{table}" ({names}) VALUES ({marks})'
        return sql

    def reserve(self, counts: dict[str, int]) -> dict[str, list[int]]:
        """Return ``counts[table]`` new ids of each table (its integer ``id``), ascending."""
        connection = self.session.connection()
        wanted = [(table, count) for table, count in counts.items() if count]
        if not wanted:
            return {table: [] for table in counts}
        ids: dict[str, list[int]] = {table: [] for table in counts}
        if self.sqlite:
            sql = "SELECT " + ", ".join(f'(SELECT max(id) FROM "{table}")' for table, _ in wanted)
            largest = connection.exec_driver_sql(sql).one()
            for (table, count), last in zip(wanted, largest, strict=True):
                first = (last or 0) + 1
                ids[table] = list(range(first, first + count))
            return ids
        for table, count in wanted:
            found = connection.exec_driver_sql(
                f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) "
                "FROM generate_series(1, %s)", (count,)).scalars().all()
            ids[table] = sorted(found)
        return ids


def _current() -> Any:
    from sqlalchemy import and_
    from sqlmodel import col

    return and_(col(PracticeVersion.practice_id) == col(Practice.id),
                col(PracticeVersion.version) == col(Practice.current_version))


def _title_keys(identity_key: str | None, title: str | None) -> list[str]:
    # A questionnaire practice is also known by its token and title: a resent workbook may
    # have its practices on other sheets.
    if identity_key and identity_key.startswith("token:") and title:
        token = identity_key.split(":", 2)[1]
        return [f"tokentitle:{token}:{title_key(title)}"]
    return []


#: What ``Store`` decided for one entry: (entry, outcome, the known practice it matches,
#: its content fingerprint, the entry it duplicates in the same file).
_Plan = tuple["Entry", str, "Known | None", str, "int | None"]


#: The end of a row's place in a file read again (``ingest --reread``): "Käytäntö 1 (read
#: again 2)" is the second reading of the sheet "Käytäntö 1" that made a version.
_REREAD_SUFFIX = re.compile(r" \(read again \d+\)\Z")


@dataclass
class _Reread:
    """A file being read again: the earlier reading's rows by their place in the file."""

    earlier: dict[str, list[int]] = field(default_factory=dict)  # locator -> submission ids
    taken: set[str] = field(default_factory=set)  # the locators stored (unique per file)
    seen: set[str] = field(default_factory=set)  # the places this reading came to
    no_submission: set[int] = field(default_factory=set)  # id(entry): stored no row

    def locator(self, locator: str) -> str:
        """The place of a row this reading stores: as read when it is free, else numbered."""
        number = 1
        free = locator
        while free in self.taken:
            number += 1
            free = f"{locator} (read again {number})"
        self.taken.add(free)
        return free


def _shown(value: Any) -> Any:
    """A field's value as compared between two readings (a list and a tuple alike)."""
    return tuple(value) if isinstance(value, _SEQUENCES) else value


def _quoted(value: Any) -> str:
    """A field's value as a ``reread-differs`` flag quotes it (long texts shortened)."""
    if value is None or value == "" or value == []:
        return "–"
    if isinstance(value, bool):
        return "✓" if value else "✗"
    text = ", ".join(str(v) for v in value) if isinstance(value, list | tuple) else str(value)
    return text if len(text) <= REREAD_QUOTE_CHARS else text[:REREAD_QUOTE_CHARS - 1] + "…"


def _other_results(plans: list[_Plan]) -> list[tuple[int, RowResult]]:
    """The results of the entries that made no practice or version: unchanged, or not stored."""
    results = []
    for entry, outcome, existing, _fp, _dup in plans:
        if outcome in (NEW, NEW_VERSION, DUPLICATE) and entry.practice is not None:
            continue
        if outcome == UNCHANGED and existing is not None:
            version = _dup or existing.current_version  # an earlier version, received again
            results.append((id(entry), RowResult(
                entry.record.locator, entry.record.sheet, entry.record.row, UNCHANGED,
                existing.id, version, said("same-content", id=existing.id, version=version)
                if version == existing.current_version else said(
                    "same-content-older", id=existing.id, version=version,
                    newer=existing.current_version))))
        else:
            results.append((id(entry), RowResult(
                entry.record.locator, entry.record.sheet, entry.record.row, outcome, None,
                None, entry.reason or entry.record.reason)))
    return results


class _CheckpointAhead:
    """The closing checkpoint's work begun early, in a thread of its own (``start``).

    The run calls ``start`` when its last files are with the worker process: from then on
    that process's core has little to do while this one stores the rest. The thread's own
    connection copies the log's pages written so far into the database (a passive
    checkpoint: the run goes on writing meanwhile; SQLite lets go of Python's lock while it
    copies), and the closing checkpoint has only the last files' pages left to copy.
    (bench/ingest.py: the closing checkpoint took 0.23-0.26 s of the run's last, serial
    steps, copying some 70 MB.) Nothing on another database, or one in memory."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine
        self.thread: Any = None

    def start(self) -> None:
        import threading

        if self.thread is not None or self.engine is None or \
                self.engine.url.database in (None, "", ":memory:"):
            return
        self.thread = threading.Thread(target=self._checkpoint, name="ingest-checkpoint",
                                       daemon=True)
        self.thread.start()

    def _checkpoint(self) -> None:
        try:
            connection = self.engine.raw_connection()
            try:
                connection.cursor().execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
            finally:
                connection.close()
        except Exception:  # noqa: BLE001 - the closing checkpoint does it all, or says why
            pass

    def join(self) -> None:
        """Wait for the early checkpoint: the closing one takes over where it stopped."""
        if self.thread is not None:
            self.thread.join()


@contextmanager
def synced_at_end(session: Session) -> Iterator[_CheckpointAhead]:
    """Commit the run's files without waiting for the disk each time; sync once at the end.

    On SQLite (WAL, ``synchronous=FULL``) every commit waits for the disk: 5-10 ms, more than
    storing a file's rows. During the run the session's connections commit with
    ``synchronous=NORMAL``: still atomic and consistent, and a process that dies keeps every
    committed file; only a power cut could undo the files committed since the last
    checkpoint, and then the next run reads those files again (whole, never twice). The log
    is copied into the database (a checkpoint, which syncs) only every
    ``RUN_CHECKPOINT_PAGES`` pages instead of SQLite's 1,000: at 1,000 the bench's ingest
    checkpointed a dozen times, copying the pages each file's transaction touches again and
    again (0.8 s of 7 s of CPU). At the end the log is checkpointed, and the connections the
    run used are FULL again with the default checkpoints. Other databases are left as they
    are.
    """
    from sqlalchemy import event

    engine = session.get_bind().engine
    if engine.dialect.name != "sqlite":
        yield _CheckpointAhead(None)
        return

    # The connections relaxed in this run (kept, so that none is taken for another): each is
    # relaxed once, not at every file's transaction, and made FULL again at the end.
    relaxed: dict[int, Any] = {}

    def relax(_session: Any, _transaction: Any, connection: Any) -> None:
        dbapi_connection = connection.connection.dbapi_connection
        if id(dbapi_connection) in relaxed:
            return
        connection.exec_driver_sql("PRAGMA synchronous=NORMAL")
        connection.exec_driver_sql(f"PRAGMA wal_autocheckpoint={RUN_CHECKPOINT_PAGES}")
        relaxed[id(dbapi_connection)] = dbapi_connection

    event.listen(session, "after_begin", relax)
    ahead = _CheckpointAhead(engine)
    try:
        yield ahead
    finally:
        from sqlalchemy.exc import SQLAlchemyError

        from ..db.engine import rollback_quietly

        event.remove(session, "after_begin", relax)
        ahead.join()
        rollback_quietly(session)  # give the connection back to the pool (after Ctrl-C too)
        for dbapi_connection in relaxed.values():
            try:
                dbapi_connection.execute("PRAGMA synchronous=FULL")
                dbapi_connection.execute("PRAGMA wal_autocheckpoint=1000")  # SQLite's default
            except Exception:  # noqa: BLE001 - a closed connection is discarded anyway
                pass
        try:
            # The checkpoint syncs the log (every transaction of the run) and the database.
            session.connection().exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")
            session.commit()
        except SQLAlchemyError:  # the database failed: the run has already said so
            rollback_quietly(session)


class Store:
    """Stores the files and records of one ingest run (one transaction per file)."""

    def __init__(self, session: Session, *, received_dir: Path,
                 workspace: Workspace | None = None) -> None:
        from sqlmodel import select

        from ..workspace import Workspace

        self.session = session
        self.received_dir = received_dir
        # The copies are recorded relative to it (received_dir is its outputs/received).
        self.workspace = workspace or Workspace(received_dir.parent.parent)
        self.hashes: dict[str, tuple[int, str]] = {
            sha: (int(file_id or 0), status) for file_id, sha, status in
            session.exec(select(ReceivedFile.id, ReceivedFile.sha256, ReceivedFile.status))}
        self._index: PracticeIndex | None = None
        # Files recorded by ``receive`` (a Core insert) whose transaction has not ended yet:
        # file id -> that transaction. A rollback takes the row away (``finish_file``).
        self._pending: dict[int, Any] = {}
        # Files received in this run: id -> (the mail or zip they came in, their name).
        self.origins: dict[int, tuple[int | None, str]] = {}
        self.bulk = _Bulk(session)
        # The content fingerprints of the file being stored -> the first practice made with
        # it (-1 when it made none: a new version): a row with the same content as an
        # earlier row of the same file is a possible duplicate of that one, in whichever
        # batch of the file it comes (``store_entries`` is called batch by batch).
        self._file_id: int | None = None
        self._file_prints: dict[str, int] = {}
        #: Files being read again (``ingest --reread``): their rows are matched to what the
        #: earlier reading made of the same place in the file (``_reread_plan``).
        self.rereading: dict[int, _Reread] = {}

    @property
    def index(self) -> PracticeIndex:
        if self._index is None:
            self._index = PracticeIndex.load(self.session)
        return self._index

    # --- files -----------------------------------------------------------------------------

    def known(self, sha: str) -> tuple[int, str] | None:
        """Return (file id, status) when this content was received before."""
        return self.hashes.get(sha)

    def has_submissions(self, file_id: int) -> bool:
        """Whether any row of a received file was stored."""
        from sqlmodel import select

        return self.session.exec(select(Submission.id).where(
            Submission.received_file_id == file_id).limit(1)).first() is not None

    def error_of(self, file_id: int) -> str | None:
        """The reason a received file could not be read."""
        received = self.session.get(ReceivedFile, file_id)
        return received.error if received is not None else None

    def resume(self, file_id: int) -> ReceivedFile:
        """The record of a file whose reading an earlier run did not finish."""
        received = self.session.get(ReceivedFile, file_id)
        assert received is not None
        return received

    def _keep(self, source: Path, *, sha: str, name: str) -> str:
        """Copy a file as ``outputs/received/<sha>-<name>``; return its path.

        The name is shortened to fit a file system's 255 bytes (the full name is recorded in
        the database). The copies lie in one folder: a round's few thousand files are nothing
        for a file system to list, and a folder for each first two letters of the hash
        (``received/ab/``, as earlier rounds kept them: their records still say where) cost
        a folder made for every other file of a round, at 0.3-0.8 ms of CPU each on the
        machines measured: the ingest process's CPU went from 2.42 to 2.08 s in
        bench/ingest.py (308 questionnaires, 2 x 5,000 export rows; medians of 8 runs)."""
        from ..workspace import make_folder

        folder = self.received_dir
        # Each time (a look, once the folder is there): a workspace moved or renamed under
        # the run is noticed at the next file, not made again empty in the old place.
        make_folder(folder, root=self.workspace.root)
        target = folder / f"{sha}-{storage_name(name, 'file')}"
        if not target.exists():
            tmp = target.with_name(target.name + ".part")
            try:
                shutil.copyfile(source, tmp)
                tmp.replace(target)
            finally:
                tmp.unlink(missing_ok=True)
        return self.workspace.recorded(target)

    def keep_ahead(self, source: Path, *, sha: str, name: str) -> bool:
        """Copy a file under ``outputs/received`` before its turn (``receive`` then finds the
        copy made); False when it could not be copied now (``receive`` tries again and says
        why). A copy whose file is never recorded (a run that stops before it) is what a run
        that dies leaves too: the next run reads the file as new."""
        try:
            self._keep(source, sha=sha, name=name)
        except (OSError, SurveyError):
            return False
        return True

    def receive(self, source: Path, *, sha: str, name: str, size: int, sender: str | None,
                message_time: dt.datetime | None, parent_id: int | None,
                copy: bool = True, commit: bool = True) -> ReceivedFile:
        """Copy the file under ``outputs/received`` and record it.

        With ``commit=False`` the record joins the file's one transaction, which
        ``finish_file`` commits: a run that dies before has stored nothing of the file (its
        copy under ``outputs/received`` is kept, and the next run reads it as new). A reading
        that fails rolls back and records the file as failed (``finish_file``)."""
        stored = self._keep(source, sha=sha, name=name) if copy else ""
        received = ReceivedFile(sha256=sha, original_name=name, stored_path=stored, size=size,
                                sender=sender, message_time=message_time, parent_id=parent_id)
        # A Core insert: the record is not tracked by the session (no flush, no unit of work
        # for one row per file); the object carries its id.
        received.id = self._insert_received(received)
        self.origins[received.id] = (parent_id, name)
        if commit:
            self.session.commit()
        else:
            self._pending[received.id] = self.session.get_transaction()
        self.hashes[sha] = (received.id, received.status)
        return received

    def _exists(self, file_id: int) -> bool:
        from sqlalchemy import select

        table = _table(ReceivedFile)
        return self.session.execute(select(table.c.id).where(table.c.id == file_id)).first() \
            is not None

    def _insert_received(self, received: ReceivedFile) -> int:
        """Insert a file's record (under its id when it has one); return the id."""
        bulk = self.bulk
        table = _table(ReceivedFile)
        values = {column.name: getattr(received, column.name) for column in table.columns}
        if values.get("id") is None:
            values.pop("id", None)
        for key in ("message_time", "received_at"):
            values[key] = bulk.time(values[key])
        sql = bulk.insert_sql(table.name, tuple(values))
        if bulk.sqlite:
            return int(self.session.connection().exec_driver_sql(
                sql, tuple(values.values())).lastrowid)
        return int(self.session.connection().exec_driver_sql(
            sql + " RETURNING id", tuple(values.values())).scalar_one())

    def retry(self, received: ReceivedFile, source: Path, *, name: str, sender: str | None,
              message_time: dt.datetime | None, parent_id: int | None,
              copy: bool = True) -> str:
        """Make a file whose reading failed ready to be read again; return why it failed.

        The same content has arrived again (under another name, perhaps) or the fault has
        gone: the record takes the new arrival's name and sender, its copy is kept, and raw
        rows the failed reading left behind (that no practice uses) are removed."""
        from sqlalchemy import delete, select, update
        from sqlmodel import col

        previous = received.error or "could not be read"
        assert received.id is not None
        used = select(col(PracticeVersion.submission_id)).where(
            col(PracticeVersion.submission_id).is_not(None))
        self.session.execute(delete(_table(Submission)).where(
            col(Submission.received_file_id) == received.id,
            col(Submission.id).not_in(used)))
        stored = received.stored_path
        if copy and (not (here := self.workspace.stored_file(stored)) or not here.is_file()
                     or name != received.original_name):
            stored = self._keep(source, sha=received.sha256, name=name)
        values: dict[str, Any] = {"status": "received", "error": None, "original_name": name,
                                  "stored_path": stored}
        if sender is not None:
            values["sender"] = sender
        if message_time is not None:
            values["message_time"] = message_time
        if parent_id is not None:
            values["parent_id"] = parent_id
        self.session.execute(update(ReceivedFile).where(
            col(ReceivedFile.id) == received.id).values(**values))
        self.session.commit()
        self.session.refresh(received)
        self.hashes[received.sha256] = (received.id, "received")
        return previous

    def restart_file(self, received: ReceivedFile) -> None:
        """Store a file again from its first row, after a rollback took what was stored of it:
        the practices known are read again (rows the rollback took are in no index), and the
        file's record is written again when it was part of the rolled-back transaction."""
        assert received.id is not None
        self._index = None
        self._file_id, self._file_prints = None, {}
        if received.id in self._pending and not self._exists(received.id):
            self._insert_received(received)
            self._pending[received.id] = self.session.get_transaction()

    def failed_files(self, *, read: bool = False) -> list[ReceivedFile]:
        """The received files whose reading failed, oldest first; with ``read`` those read
        without an error too (the files that came on their own, not inside another: a
        message's attachments are read again with it)."""
        from sqlmodel import col, select

        statuses = ["error", "ingested"] if read else ["error"]
        query = select(ReceivedFile).where(col(ReceivedFile.status).in_(statuses))
        if read:
            query = query.where(col(ReceivedFile.parent_id).is_(None))
        return list(self.session.exec(query.order_by(col(ReceivedFile.id))))

    def finish_file(self, received: ReceivedFile, *, fmt: str | None, status: str,
                    error: str | None = None, sender: str | None = None,
                    message_time: dt.datetime | None = None) -> None:
        """Record how reading the file ended, and commit the file's transaction.

        A record that a rollback took away (received in this transaction, then the reading
        failed) is written again, under the same id."""
        from sqlalchemy.orm.attributes import set_committed_value

        values: dict[str, Any] = {"format": fmt, "status": status, "error": error}
        if sender is not None:
            values["sender"] = sender
        if message_time is not None:
            values["message_time"] = message_time
        assert received.id is not None
        pending = self._pending.pop(received.id, None)
        if pending is not None and pending is not self.session.get_transaction() and \
                not self._exists(received.id):
            for key, value in values.items():
                setattr(received, key, value)
            self._insert_received(received)
            self.session.commit()
            self.hashes[received.sha256] = (received.id, status)
            return
        mark = self.bulk.mark
        assignments = ", ".join(f'"{key}" = {mark}' for key in values)
        self.session.connection().exec_driver_sql(
            f'UPDATE "{_table(ReceivedFile).name}" SET {assignments} WHERE id = {mark}',
            (*(self.bulk.time(v) if k == "message_time" else v for k, v in values.items()),
             received.id))
        self.session.commit()
        # The object says what the row says (set as loaded: nothing for the session to flush).
        for key, value in values.items():
            set_committed_value(received, key, value)
        self.hashes[received.sha256] = (received.id, status)

    # --- records ---------------------------------------------------------------------------

    def store_entries(self, received: ReceivedFile, fmt: str, entries: list[Entry]) -> list[RowResult]:
        """Store the raw submissions of a file, then its practices and versions.

        Nothing is committed here: the file's one transaction ends in ``finish_file``. When one
        response corrects an earlier one of the same export, the rows are stored in as many
        steps as it takes for the earlier one to be known when the later one is matched.
        """
        order = {id(entry): n for n, entry in enumerate(entries)}
        for entry in entries:
            if entry.status == "practice" and entry.practice is not None:
                entry.key = title_key(entry.practice.title)
                entry.reporter = reporter_key(entry.codes)
        chunks: list[list[Entry]] = [[]]
        seen: set[str] = set()
        for entry in sorted(entries, key=lambda e: e.record.order_key()):
            signature = self._signature(entry)
            if signature and signature in seen:
                chunks.append([])
                seen = set()
            if signature:
                seen.add(signature)
            chunks[-1].append(entry)
        results: list[tuple[int, RowResult]] = []
        for chunk in chunks:
            if chunk:
                results.extend(self._store_chunk(received, fmt, chunk))
        results.sort(key=lambda item: order[item[0]])
        return [result for _, result in results]

    @staticmethod
    def _signature(entry: Entry) -> str | None:
        """What makes two rows of one export the same practice (response ID, title+reporter)."""
        record, practice = entry.record, entry.practice
        if record.row is None or practice is None or entry.status != "practice":
            return None
        if record.response_key:
            return f"response:{record.response_key}"
        return f"title:{entry.key}|{entry.reporter}"

    def _store_chunk(self, received: ReceivedFile, fmt: str,
                     entries: list[Entry]) -> list[tuple[int, RowResult]]:
        """Store the entries of one step (committed with the file, ``finish_file``); return
        (entry id, result) pairs.

        Decide first (in memory), so the submissions know their final status and the new
        rows their ids; then the raw submissions, the new practices, their versions and
        municipalities go in with one statement each (``_Bulk``).
        """
        bulk = self.bulk
        now = utcnow()
        file_id = received.id
        assert file_id is not None
        plans = self._plan(entries, file_id)
        new = sum(1 for entry, outcome, existing, _fp, _dup in plans
                  if outcome in (NEW, DUPLICATE) and entry.practice is not None
                  and existing is None)
        ids = bulk.reserve({"submission": len(plans), "practice": new})
        submission_ids = ids["submission"]
        self._insert_submissions(plans, submission_ids, file_id=file_id, fmt=fmt,
                                 stamp=bulk.time(now))
        results: list[tuple[int, RowResult]] = []
        version_rows: list[tuple[Any, ...]] = []
        municipality_rows: list[tuple[Any, ...]] = []
        self._insert_new(plans, submission_ids, ids["practice"], file_id=file_id, now=now,
                         results=results, version_rows=version_rows,
                         municipality_rows=municipality_rows)
        self._add_versions(plans, submission_ids, file_id=file_id, now=now, results=results,
                           version_rows=version_rows, municipality_rows=municipality_rows)
        bulk.insert(_table(PracticeVersion).name, VERSION_COLUMNS, version_rows)
        bulk.insert(_table(PracticeMunicipality).name, MUNICIPALITY_COLUMNS, municipality_rows)
        results.extend(_other_results(plans))
        if file_id in self.rereading:
            self._flag_rereads(plans, results)
        return results

    def _plan(self, entries: list[Entry], file_id: int) -> list[_Plan]:
        """Decide what each entry becomes. Responses are taken in the order they were given, so
        a corrected one becomes the newer version."""
        plans: list[_Plan] = []
        if self._file_id != file_id:
            self._file_id, self._file_prints = file_id, {}
        seen_in_file = self._file_prints
        reread = self.rereading.get(file_id)
        for entry in entries:
            practice = entry.practice
            if reread is not None:
                reread.seen.add(entry.record.locator)
            if entry.status != "practice" or practice is None:
                if reread is not None and entry.record.locator in reread.earlier:
                    reread.no_submission.add(id(entry))  # the earlier reading's row stands
                plans.append((entry, entry.status, None, "", None))
                continue
            codes = [code for code, _ in entry.codes]
            fingerprint = content_fingerprint(practice, codes)
            if reread is not None:
                again = self._reread_plan(entry, fingerprint, file_id)
                if again is not None:
                    plans.append(again)
                    continue
            existing = self._match(entry, file_id)
            if existing is not None and existing.fingerprint == fingerprint:
                plans.append((entry, UNCHANGED, existing, fingerprint, None))
                continue
            earlier = self._received_before(entry, existing)
            if existing is not None and earlier is not None:
                # An export downloaded again holds the rows a later row corrected: the same
                # response again is no newer version (it would undo the correction).
                plans.append((entry, UNCHANGED, existing, fingerprint, earlier))
                continue
            if existing is None and fingerprint in seen_in_file:  # an earlier row of the file
                plans.append((entry, DUPLICATE, None, fingerprint, seen_in_file[fingerprint]))
                continue
            if existing is None and fingerprint in self.index.by_fingerprint:
                # The very same content again (a cumulative export without response IDs).
                plans.append((entry, UNCHANGED, self.index.by_fingerprint[fingerprint],
                              fingerprint, None))
                continue
            seen_in_file.setdefault(fingerprint, -1)
            plans.append((entry, NEW_VERSION if existing is not None else NEW, existing,
                          fingerprint, None))
        return plans

    def _insert_submissions(self, plans: list[_Plan], submission_ids: list[int], *,
                            file_id: int, fmt: str, stamp: Any) -> None:
        """Insert the raw submissions of the plans under their ids, in one statement."""
        rows = []
        reread = self.rereading.get(file_id)
        for (entry, outcome, _existing, _fp, _dup), sub_id in zip(plans, submission_ids,
                                                                  strict=True):
            record = entry.record
            locator = record.locator
            if reread is not None:
                if outcome in (UNCHANGED, KEPT) or id(entry) in reread.no_submission:
                    continue  # the same place of the same file: the earlier row stands
                locator = reread.locator(locator)
            rows.append((sub_id, file_id, locator, record.sheet, record.row, fmt,
                         record.raw_text(), _SUBMISSION_STATUS.get(outcome, outcome),
                         record.response_key or record.token,
                         entry.reason or record.reason or None, stamp))
        self.bulk.insert(_table(Submission).name, SUBMISSION_COLUMNS, rows)

    def _insert_new(self, plans: list[_Plan], submission_ids: list[int],
                    practice_ids: list[int], *, file_id: int, now: dt.datetime,
                    results: list[tuple[int, RowResult]],
                    version_rows: list[tuple[Any, ...]],
                    municipality_rows: list[tuple[Any, ...]]) -> None:
        """Insert the new practices under their ids; queue their first versions and
        municipalities."""
        stamp = self.bulk.time(now)
        new_rows = []
        fingerprint_ids = self._file_prints
        new_ids = iter(practice_ids)
        for (entry, outcome, existing, fingerprint, _dup), sub_id in zip(plans, submission_ids,
                                                                         strict=True):
            if outcome not in (NEW, DUPLICATE) or entry.practice is None or \
                    existing is not None:
                continue
            practice_id = next(new_ids)
            identity = self._identity(entry)
            new_rows.append((practice_id, "new", 1, identity, entry.practice.language, stamp,
                             stamp))
            flags = list(entry.flags)
            dup_id: int | None = fingerprint_ids.get(fingerprint, -1)
            if dup_id == -1:
                dup_id = self.index.similar(entry.key)
            if dup_id is None and entry.record.row is not None:
                # A form's rows from one municipality: the same practice under a corrected
                # title would otherwise be published twice (sheets of a workbook are not).
                dup_id = self.index.retitled(entry.key, entry.reporter)
            if dup_id is not None:
                flags.append(f"possible-duplicate:{dup_id}")
                outcome = DUPLICATE
            if fingerprint_ids.get(fingerprint, -1) == -1:
                fingerprint_ids[fingerprint] = practice_id
            version_rows.append(self._version_row(practice_id, 1, sub_id, entry, flags, stamp))
            municipality_rows.extend(self._municipality_rows(practice_id, entry))
            known = Known(practice_id, identity, {code for code, _ in entry.codes}, entry.key,
                          fingerprint, "new", None, 1, file_id, entry.reporter)
            self.index.add(known, self._extra_keys(entry))
            results.append((id(entry), RowResult(entry.record.locator, entry.record.sheet,
                                                 entry.record.row, outcome, practice_id, 1,
                                                 entry.record.reason)))
        self.bulk.insert(_table(Practice).name, PRACTICE_COLUMNS, new_rows)

    def _add_versions(self, plans: list[_Plan], submission_ids: list[int], *, file_id: int,
                      now: dt.datetime, results: list[tuple[int, RowResult]],
                      version_rows: list[tuple[Any, ...]],
                      municipality_rows: list[tuple[Any, ...]]) -> None:
        """Make the new versions of known practices (back to review when decided)."""
        from sqlalchemy import select, update

        # The reviewers' decisions as they are now: a review import may have decided since this
        # run loaded its index (its status said 'new', and the new version went out approved).
        ids = [plan[2].id for plan in plans if plan[1] == NEW_VERSION and plan[2] is not None]
        if ids:  # before the rows: a review import takes it first too (no deadlock)
            locks.for_this_transaction(self.session)
        decisions = {row[0]: (row[1], row[2]) for row in self.session.execute(
            select(Practice.id, Practice.status, Practice.decided_version)  # type: ignore[call-overload]
            .where(Practice.id.in_(ids)))} if ids else {}  # type: ignore[union-attr]
        for (entry, outcome, existing, fingerprint, _dup), sub_id in zip(plans, submission_ids,
                                                                         strict=True):
            if outcome != NEW_VERSION or existing is None or entry.practice is None:
                continue
            version = existing.current_version + 1
            flags = list(entry.flags)
            status, decided_version = decisions.get(existing.id, (existing.status,
                                                                  existing.decided_version))
            decided = status != "new" or decided_version is not None
            # Back to review whatever this run read: a decision committed after that read
            # (PostgreSQL: while this update waits for its row) is undone by it too.
            values: dict[str, Any] = {"current_version": version, "updated_at": now,
                                      "language": entry.practice.language, "status": "new"}
            reason: str = said("replaces-version", version=existing.current_version)
            if entry.changed:
                reason = join_reasons(said("reread-differs", fields=", ".join(entry.changed)),
                                      reason)
            if decided:
                flags.append("new-version-since-decision")
                reason = join_reasons(reason, said("back-to-review", status=status))
            flags.extend(self._sibling_version(existing.received_file_id, file_id))
            self.session.execute(update(Practice).where(Practice.id == existing.id)  # type: ignore[arg-type]
                                 .values(**values))
            version_rows.append(self._version_row(existing.id, version, sub_id, entry, flags,
                                                  self.bulk.time(now)))
            municipality_rows.extend(self._replace_municipalities(existing.id, entry))
            existing.current_version = version
            existing.fingerprint = fingerprint
            existing.status = "new"
            existing.codes = {code for code, _ in entry.codes}
            existing.title_key = entry.key
            existing.received_file_id = file_id
            existing.reporter = entry.reporter
            self.index.add(existing, self._extra_keys(entry))
            results.append((id(entry), RowResult(entry.record.locator, entry.record.sheet,
                                                 entry.record.row, NEW_VERSION, existing.id,
                                                 version, reason)))

    def _sibling_version(self, earlier_id: int | None, file_id: int) -> list[str]:
        """Flag a version that replaces one from the same mail or zip: two files sent at once
        tell no order, so which is the answer meant is the reviewer's to tell."""
        earlier = self.origins.get(earlier_id or -1)
        here = self.origins.get(file_id)
        if earlier_id == file_id or earlier is None or here is None or earlier[0] is None \
                or earlier[0] != here[0]:
            return []
        return [unsure("title", "versions-one-message", earlier=earlier[1], taken=here[1])]

    # --- reading a file again (``ingest --reread``) ---------------------------------------

    def earlier_practices(self, file_id: int) -> set[int]:
        """The practices an earlier reading of a file made versions of."""
        from sqlmodel import col, select

        return set(self.session.exec(
            select(PracticeVersion.practice_id)
            .join(Submission, col(Submission.id) == col(PracticeVersion.submission_id))
            .where(col(Submission.received_file_id) == file_id)).all())

    def start_reread(self, file_id: int) -> None:
        """Read a received file again: its rows are matched to the earlier reading's by their
        place in the file (``_reread_plan``)."""
        from sqlmodel import col, select

        reread = _Reread()
        for sub_id, locator in self.session.exec(select(Submission.id, Submission.locator).where(
                col(Submission.received_file_id) == file_id)):
            reread.earlier.setdefault(_REREAD_SUFFIX.sub("", locator), []).append(int(sub_id or 0))
            reread.taken.add(locator)
        self.rereading[file_id] = reread

    def end_reread(self, file_id: int) -> int:
        """Finish reading a file again: what the earlier reading left for a person to read
        (a message's text) at a place this reading did not come to is no longer listed
        (its status ``superseded``; the row is kept). Return how many."""
        from sqlalchemy import update
        from sqlmodel import col

        reread = self.rereading.pop(file_id, None)
        if reread is None:
            return 0
        gone = [sub_id for locator, ids in reread.earlier.items() if locator not in reread.seen
                for sub_id in ids]
        if not gone:
            return 0
        result: Any = self.session.execute(update(_table(Submission)).where(
            col(Submission.id).in_(gone),
            col(Submission.status).in_(("to-read", "body-text"))).values(status="superseded"))
        self.session.commit()
        return int(result.rowcount or 0)

    def _reread_plan(self, entry: Entry, fingerprint: str, file_id: int) -> _Plan | None:
        """What a row read again becomes, when the earlier reading of the file made a version
        of a practice from the same place (sheet, row, body); None otherwise (matched as a
        row of a new file).

        The same content: unchanged (flags this reading adds go onto the current version).
        Other content, and the practice undecided with this file's version current: a new
        version. Other content of a practice the reviewers decided, or that a later file
        changed: ``KEPT``, the practice is not changed and the difference is flagged."""
        from sqlmodel import col, select

        ids = self.rereading[file_id].earlier.get(entry.record.locator)
        found = self.session.exec(
            select(PracticeVersion).where(col(PracticeVersion.submission_id).in_(ids))
            .order_by(col(PracticeVersion.id).desc()).limit(1)).first() if ids else None
        known = self.index.by_id.get(found.practice_id) if found is not None else None
        if found is None or known is None:
            return None
        current = found if found.version == known.current_version else self.session.exec(
            select(PracticeVersion).where(PracticeVersion.practice_id == known.id,
                                          PracticeVersion.version == known.current_version)
        ).first()
        if current is None:
            return None
        from . import _to_check

        entry.new_flags = [flag for flag in _to_check(entry.flags)
                           if flag not in (current.flags or [])]
        codes = {code for code, _ in entry.codes}
        if fingerprint in (known.fingerprint, content_fingerprint(found, known.codes)):
            return (entry, UNCHANGED, known, fingerprint, None)
        practice = entry.practice
        entry.changed = [name for name in CONTENT_FIELDS
                         if _shown(getattr(practice, name)) != _shown(getattr(current, name))]
        if codes != known.codes:
            entry.changed.append("municipalities")
        status, decided_version = self.session.execute(
            select(Practice.status, Practice.decided_version)  # type: ignore[call-overload]
            .where(Practice.id == known.id)).one()
        if status == "new" and decided_version is None and found.version == known.current_version:
            # Two versions in one message (``_sibling_version``) is told by the files, not by
            # this file's reading: the version it replaces keeps the reviewer told.
            entry.flags = [*entry.flags, *(flag for flag in current.flags or []
                                           if parse_flag(flag).code == "versions-one-message"
                                           and flag not in entry.flags)]
            return (entry, NEW_VERSION, known, fingerprint, None)
        entry.new_flags = [*entry.new_flags, *(
            unsure(name, "reread-differs", now=_quoted(
                       sorted(codes) if name == "municipalities" else getattr(practice, name)),
                   was=_quoted(sorted(known.codes) if name == "municipalities"
                               else getattr(current, name)),
                   version=current.version, status=status,
                   # The whole new reading, for a reviewer who takes it (review import).
                   value=sorted([code, source] for code, source in entry.codes)
                   if name == "municipalities" else getattr(practice, name))
            for name in entry.changed)]
        return (entry, KEPT, known, fingerprint, current.version)

    def _flag_rereads(self, plans: list[_Plan], results: list[tuple[int, RowResult]]) -> None:
        """Put the flags of the rows read again onto the practices' current versions: the
        differences from a decided practice (``KEPT``), and the flags an unchanged reading
        adds. Replaces the results ``_other_results`` gave those rows."""
        from sqlalchemy import update
        from sqlmodel import col, select

        done: dict[int, RowResult] = {}
        for entry, outcome, existing, _fp, version in plans:
            if existing is None or outcome not in (KEPT, UNCHANGED) or not entry.new_flags:
                continue
            row = self.session.exec(select(PracticeVersion).where(
                PracticeVersion.practice_id == existing.id,
                PracticeVersion.version == existing.current_version)).one()
            flags = list(dict.fromkeys([*(row.flags or []), *entry.new_flags]))
            self.session.execute(update(_table(PracticeVersion)).where(
                col(PracticeVersion.id) == row.id).values(flags=flags))
            self.session.expire(row)
            record = entry.record
            if outcome == KEPT:
                reason = said("reread-kept", version=version, fields=", ".join(entry.changed))
            else:
                reason = said("reread-new-flags", id=existing.id,
                              version=existing.current_version, count=len(entry.new_flags))
            done[id(entry)] = RowResult(record.locator, record.sheet, record.row, outcome,
                                        existing.id, existing.current_version, reason,
                                        to_check=list(entry.new_flags))
        for entry, outcome, existing, _fp, _version in plans:
            if outcome == KEPT and id(entry) not in done and existing is not None:
                done[id(entry)] = RowResult(
                    entry.record.locator, entry.record.sheet, entry.record.row, KEPT,
                    existing.id, existing.current_version, said("reread-kept-flagged"))
        results[:] = [(key, done.pop(key, result)) for key, result in results]

    def _received_before(self, entry: Entry, existing: Known | None) -> int | None:
        """The version of ``existing`` an export row was stored as before, the very same row
        (its raw cells, with their time stamp), or None. Asked only of rows that would make
        a new version."""
        if existing is None or entry.record.row is None:
            return None
        from sqlalchemy import String, cast
        from sqlmodel import col, select

        return self.session.exec(
            select(PracticeVersion.version)
            .join(Submission, col(Submission.id) == col(PracticeVersion.submission_id))
            .where(col(PracticeVersion.practice_id) == existing.id,
                   cast(Submission.raw, String) == entry.record.raw_text())
            .order_by(col(PracticeVersion.version).desc()).limit(1)).first()

    def _match(self, entry: Entry, file_id: int) -> Known | None:
        record = entry.record
        index = self.index
        # Rows of one export may correct each other; sheets of one workbook are different
        # practices (a copied sheet with the same title is a duplicate, not a correction).
        rows = record.row is not None
        if record.response_key and record.response_key in index.by_identity:
            return index.by_identity[record.response_key]
        if record.token and entry.practice is not None:
            known = index.by_identity.get(f"tokentitle:{record.token}:{entry.key}")
            if known is not None and (known.received_file_id != file_id or rows):
                return known
        if record.identity_hint and record.identity_hint in index.by_identity:
            known = index.by_identity[record.identity_hint]
            if (known.received_file_id != file_id or rows) and \
                    not self._another_practice(entry, known):
                return known
        if entry.practice is not None and entry.practice.title:
            known = index.by_title_code.get((entry.key, entry.reporter))
            if entry.reporter and known is not None and (known.received_file_id != file_id or rows):
                return known
        return None

    @staticmethod
    def _another_practice(entry: Entry, known: Known) -> bool:
        """Whether a questionnaire's sheet received again (same token, same sheet) holds
        another practice, not a correction: its title is not surely the earlier one's
        corrected (a typo mended, words added or taken away: ``title_corrected``).

        A municipality with a second practice often copies the file it filled and types over
        the first sheet: as a new version, the first practice would have gone from review
        unseen. It becomes a practice of its own, flagged with the earlier one (if the file
        was a correction after all, the reviewers reject the older one)."""
        if not entry.key or not known.title_key or title_corrected(known.title_key, entry.key):
            return False
        sheet = entry.record.sheet or entry.record.locator
        entry.flags.append(unsure("title", "another-practice-over-copy", sheet=sheet,
                                  id=known.id))
        entry.flags.append(f"possible-duplicate:{known.id}")
        return True

    @staticmethod
    def _identity(entry: Entry) -> str | None:
        return entry.record.response_key or entry.record.identity_hint

    @staticmethod
    def _extra_keys(entry: Entry) -> list[str]:
        if entry.record.token and entry.key:
            return [f"tokentitle:{entry.record.token}:{entry.key}"]
        return []

    @staticmethod
    def _version_row(practice_id: int, version: int, submission_id: int, entry: Entry,
                     flags: list[str], stamp: Any) -> tuple[Any, ...]:
        """A version's values in the order of ``VERSION_COLUMNS`` (lists as JSON text)."""
        practice = entry.practice
        assert practice is not None
        content = list(_content_of(practice))
        content[_KEYWORDS] = _json_list(practice.keywords)
        content[_TARGET_GROUP] = _json_list(practice.target_group)
        return (practice_id, version, submission_id, *content,
                _json_list(list(dict.fromkeys(flags))), stamp)

    def _replace_municipalities(self, practice_id: int, entry: Entry) -> list[tuple[Any, ...]]:
        """Rows for a new version's municipalities. The submitted rows of the earlier version
        go; where reviewers corrected the list, their rows stay in force and the newly
        submitted codes are kept beside them as superseded (recoverable, nothing lost)."""
        from sqlalchemy import delete
        from sqlmodel import col, select

        rows = self.session.exec(select(PracticeMunicipality).where(
            PracticeMunicipality.practice_id == practice_id)).all()
        if not any(row.source == "reviewer" for row in rows):
            self.session.execute(delete(_table(PracticeMunicipality)).where(
                col(PracticeMunicipality.practice_id) == practice_id))
            return self._municipality_rows(practice_id, entry)
        present = {row.municipality_code for row in rows}
        return [(*row[:3], True, row[4]) for row in self._municipality_rows(practice_id, entry)
                if row[1] not in present]

    @staticmethod
    def _municipality_rows(practice_id: int, entry: Entry) -> list[tuple[Any, ...]]:
        """Rows in the order of ``MUNICIPALITY_COLUMNS``, each code once."""
        rows = []
        seen: set[str] = set()
        for code, source in entry.codes:
            if code not in seen:
                seen.add(code)
                rows.append((practice_id, code, source, False, None))
        return rows


# --- reading back ----------------------------------------------------------------------------


def list_practices(*, session: Session, status: str | None = None,
                   municipality: str | None = None) -> list[dict[str, Any]]:
    """Return the practices (current version) as plain records (``practice_list``)."""
    from ..practice_list import read_practices

    return read_practices(session, status=status, municipality=municipality)


def list_to_read(*, session: Session) -> list[dict[str, Any]]:
    """Return the messages whose text no reader could turn into a practice, for a person.

    A message without an attachment and without a recognisable answer is stored as a raw
    submission with status ``to-read`` (``body-text`` before that status existed): it is no
    practice, so ``practices list --status to-read`` lists these instead.
    """
    from sqlmodel import col, select

    query = (select(Submission, ReceivedFile)
             .join(ReceivedFile, col(ReceivedFile.id) == col(Submission.received_file_id))
             .where(col(Submission.status).in_(("to-read", "body-text")))
             .order_by(col(Submission.id)))
    rows = []
    for submission, received in session.exec(query):
        raw = submission.raw or {}
        # A questionnaire answered only in text boxes or comments has no body: its reason
        # holds that text.
        text = " ".join(str(raw.get("body") or submission.reason or "").split())
        rows.append({"submission": submission.id, "file": received.original_name,
                     "sender": received.sender,
                     "time": received.message_time.isoformat() if received.message_time else None,
                     "subject": raw.get("subject") or "",
                     "text": text if len(text) <= 200 else text[:199] + "…",
                     "reason": submission.reason})
    return rows
