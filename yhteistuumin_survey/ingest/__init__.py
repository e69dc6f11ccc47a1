"""Ingest what municipalities send back: files, folders, saved emails -> stored practices.

``ingest_paths`` stores every file first (``store.Store.receive``), short-circuits content it
has seen before, picks a reader (``detect``), reads raw records (``questionnaire``, ``forms``,
``emails``), normalises each (``normalise.normalise_answers``), decides its municipalities
(token, questionnaire metadata, the answer's text through the name resolver, the sender's
domain; unresolved or ambiguous ones are flagged, never guessed) and stores it (``store``).
Every file and row ends up as one line of the returned report, which is also written to
``outputs/reports/ingest-<timestamp>.xlsx``. A bad file or row never stops the batch.
"""

from __future__ import annotations

import datetime as dt
import operator
import os
import tempfile
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import InputError, SurveyError, WorkspaceGone, stop_if_interrupted, stopped_by_interrupt
from ..flags import describe_all, unsure
from ..outcomes import OUTCOME_NAMES
from ..outcomes import en as said
from ..outcomes import join as join_reasons
from ..reports import Report, count_phrase, plural, to_frame
from ..tables import office_lock_file, sha256_file
from .detect import SOURCES
from .prepare import Prepared, Reader, Unfinished
from .records import COMMENT_NOTE, TEXT_BOX_NOTE, Mapping, RawRecord

# The store (and with it SQLModel) is imported where it is used: a worker process that only
# reads and normalises (``pipeline``) imports this package without it.

if TYPE_CHECKING:
    from sqlmodel import Session

    from ..config import Settings
    from ..db.models import ReceivedFile
    from ..normalise import NormalisedPractice
    from ..resolve import Resolver
    from ..workspace import Workspace
    from .store import Entry, RowResult

__all__ = ["SOURCES", "IngestReport", "ingest_paths", "list_practices"]


def __getattr__(name: str) -> Any:
    if name == "list_practices":  # re-exported from .store, imported on first use
        from .store import list_practices

        return list_practices
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

EMAIL_SUFFIXES = {".eml", ".msg"}
#: Below this many bytes of new tables, worker processes cost more than they save.
PARALLEL_MIN_BYTES = 2 * 1024 * 1024
#: A file this big is normalised by all workers together, each taking every n-th row.
SPLIT_MIN_BYTES = 512 * 1024
ARCHIVE_SUFFIXES = {".zip"}
#: A LimeSurvey survey structure: read with the exports beside it (ingest/limesurvey.py).
STRUCTURE_SUFFIXES = {".lss"}
#: How long an ingest waits for another one on the same database before it gives up (s).
INGEST_LOCK_WAIT = 15 * 60
TABLE_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".ods", ".csv", ".tsv", ".txt"}
#: Files inside files (a mail forwarded in a mail, a zip in a zip) are opened this deep at
#: most: a real forward chain is a few levels; 100 levels took 70 s (each level's mail is
#: made again from the one above), and the outermost file, stored whole, keeps the rest.
MAX_NESTING = 10
#: Mail domains that say nothing about a municipality.
GENERIC_DOMAINS = frozenset({
    "gmail", "googlemail", "outlook", "hotmail", "live", "msn", "yahoo", "icloud", "me", "luukku",
    "kolumbus", "suomi24", "elisanet", "saunalahti", "welho", "dnainternet", "netti", "pp",
    "anvianet", "kotiposti", "protonmail", "proton", "mail", "gmx", "aol",
})
#: Municipal mail domains that are not the municipality's name.
DOMAIN_NAMES = {"hel": "Helsinki", "ouka": "Oulu", "jkl": "Jyväskylä", "lpr": "Lappeenranta",
                "jns": "Joensuu"}
REPORT_COLUMNS = ("file", "sheet", "row", "format", "outcome", "practice_id", "version", "reason")
#: A file's answer already stored with the same content: counted apart from the files
#: received again in the summary (both are "already ingested" in the report and JSON).
_ANSWERS_AGAIN = "answer already ingested"
#: The rest of a row an unquoted line break cut in two: counted apart from the unfinished
#: responses in the summary (both are "incomplete" in the report and JSON).
_ROW_RESTS = "rest of a broken row"
#: Outcomes in the order the summary lists them.
SUMMARY_ORDER = ("new", "new version", "duplicate candidate", "decision kept",
                 "already ingested", _ANSWERS_AGAIN, "incomplete", _ROW_RESTS,
                 "empty", "to-read", "body-text", "note", "structure", "error")
#: What each outcome's count is, said on the terminal (one, many): "7 empty" told a coordinator
#: neither that they were sheets nor that nothing was lost.
SUMMARY_WORDS = {
    "new": ("new practice", "new practices"),
    "new version": ("new version of an earlier practice", "new versions of earlier practices"),
    "duplicate candidate": ("possible duplicate for the reviewers",
                            "possible duplicates for the reviewers"),
    "decision kept": ("decided practice kept as decided (the difference flagged)",
                      "decided practices kept as decided (the differences flagged)"),
    "already ingested": ("file already ingested", "files already ingested"),
    # An export downloaded again with new rows: "1 file: 12 new practices, 4,988 files
    # already ingested" counted its rows as files.
    _ANSWERS_AGAIN: ("answer already ingested (the same content)",
                     "answers already ingested (the same content)"),
    "incomplete": ("unfinished response (not a practice)",
                   "unfinished responses (not practices)"),
    # "1 unfinished response" said of the rest of a row that a line break cut off, as if a
    # respondent had stopped half way.
    _ROW_RESTS: ("rest of a row broken by a line break (the row is flagged)",
                 "rests of rows broken by line breaks (the rows are flagged)"),
    "empty": ("empty sheet or row skipped", "empty sheets or rows skipped"),
    # A message's text, or a sheet a municipality added to the questionnaire: not only mail.
    "to-read": ("text to read by hand", "texts to read by hand"),
    "body-text": ("message text to read by hand", "message texts to read by hand"),  # older
    "note": ("note", "notes"),
    "structure": ("LimeSurvey survey structure", "LimeSurvey survey structures"),
    "error": ("error", "errors"),
    "skipped": ("file skipped", "files skipped"),
}


@dataclass
class FileMapping:
    """The column (or label) mapping a reader chose for one sheet of a file."""

    file: str
    sheet: str
    format: str
    columns: list[Mapping]

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "sheet": self.sheet, "format": self.format,
                "columns": [m.to_dict() for m in self.columns]}


@dataclass
class IngestReport:
    """What an ingest run did: one outcome per file and row, the mappings, the report file."""

    report: Report = field(default_factory=Report)
    files: int = 0
    mappings: list[FileMapping] = field(default_factory=list)
    report_path: Path | None = None
    seconds: float = 0.0
    #: Show how each column of a table was read (``ingest --verbose``).
    verbose: bool = False

    @property
    def failed(self) -> bool:
        return self.report.failed

    @property
    def counts(self) -> dict[str, int]:
        return self.report.counts

    def rows(self) -> list[dict[str, Any]]:
        """Return the report lines as dictionaries with ``REPORT_COLUMNS``."""
        return [dict(zip(REPORT_COLUMNS, values, strict=True)) for values in self.row_values()]

    def row_values(self) -> Iterator[list[Any]]:
        """The report lines as their values, in the order of ``REPORT_COLUMNS``."""
        for outcome in self.report.outcomes:
            detail = outcome.detail
            get = detail.get
            yield [get("file", outcome.source), get("sheet"), get("row"), get("format"),
                   outcome.status, get("practice_id"), get("version"), outcome.reason]

    def table(self) -> tuple[list[str], list[dict[str, Any]]]:
        return list(REPORT_COLUMNS), self.rows()

    def summary(self) -> list[str]:
        """The run in one line that says what each count is ("2 files: 3 new practices, 7
        empty sheets or rows skipped"), then where the report is; JSON keeps the outcomes'
        own names (``counts``)."""
        counts = self.counts
        # A row or sheet whose content was stored before has its place (locator); a file
        # received before has none.
        answers = sum(1 for outcome in self.report.outcomes if outcome.status ==
                      "already ingested" and outcome.detail.get("locator") is not None)
        if answers:
            counts["already ingested"] -= answers
            counts[_ANSWERS_AGAIN] = answers
        from ..outcomes import parse as reason_parts

        rests = sum(1 for outcome in self.report.outcomes if outcome.status == "incomplete"
                    and any(code == "row-rest-of-previous"
                            for code, _values, _text in reason_parts(outcome.reason)))
        if rests:
            counts["incomplete"] -= rests
            counts[_ROW_RESTS] = rests
        said = [plural(counts[key], *SUMMARY_WORDS[key]) for key in (*SUMMARY_ORDER, "skipped")
                if counts.get(key)]
        lines = [f"{plural(self.files, 'file')}: {', '.join(said) or 'nothing to do'}"]
        if self.report_path:
            lines.append(f"Report: {self.report_path}")
        return lines

    def text(self) -> str:
        """Return the summary, after the columns each table was read by when ``verbose``."""
        lines: list[str] = []
        for mapping in self.mappings if self.verbose else []:
            if mapping.format == "questionnaire":
                continue
            lines.append(f"{mapping.file} [{mapping.sheet}] read as {mapping.format}; columns:")
            for column in mapping.columns:
                how = column.method if column.method != "fuzzy" else f"fuzzy {column.score:.0f}"
                if column.note:
                    how = f"{how}: {column.note}"
                lines.append(f"  {column.header[:60]!r} -> {column.target or '(ignored)'} ({how})")
        return "\n".join(lines + self.summary())

    def warnings(self) -> list[str]:
        # A file skipped (a lock file, a link out of the folder) is said too: nothing else
        # tells that it was not read.
        return [f"{o.status}: {o.reason}" for o in self.report.outcomes
                if o.status in ("error", "skipped")]

    def to_frame(self) -> Any:
        """Return the report lines as a pandas DataFrame."""
        return to_frame(self)

    def to_dict(self) -> dict[str, Any]:
        return {"files": self.files, "counts": self.counts, "failed": self.failed,
                "seconds": round(self.seconds, 3),
                "report": str(self.report_path) if self.report_path else None,
                "mappings": [m.to_dict() for m in self.mappings], "items": self.items()}

    def items(self) -> list[dict[str, Any]]:
        """The report lines for ``--format json``: each with its reason's parts by code
        (``reasons``: code, values, English) and the flags it asks to check (``flags``:
        code, values, English), beside the English ``reason``."""
        from ..flags import parse
        from ..outcomes import to_dicts

        items = self.rows()
        for item, outcome in zip(items, self.report.outcomes, strict=True):
            detail = outcome.detail
            item["reasons"] = to_dicts(detail["reason_before"] if "to_check" in detail
                                       else outcome.reason)
            item["flags"] = [parse(flag).to_dict() for flag in detail.get("to_check", ())]
        return items


def expand_paths(paths: Iterable[Path],
                 problems: list[tuple[Path, str]] | None = None) -> list[Path]:
    """Return the files named, folders walked recursively (sorted; hidden files skipped).

    A folder is what it contains: a link in it that points outside the folder, or nowhere, is
    not followed; it is added to ``problems`` as (path, reason) instead.
    """
    import os

    files: list[Path] = []
    for path in paths:
        path = Path(path)
        try:
            walk = path.is_dir()
        except OSError:  # a name too long to look up: reported when it is read
            walk = False
        if not walk:
            locked = office_lock_file(path, again="ingest it again")
            if locked is None:
                files.append(path)
            elif problems is not None:
                problems.append((path, locked))
            continue
        root = path.resolve()
        found: list[Path] = []
        for folder, dirs, names in os.walk(path, followlinks=False):
            base = Path(folder)
            dirs[:] = [d for d in dirs if not d.startswith(".")]
            linked_dirs = [d for d in dirs if (base / d).is_symlink()]
            for name in sorted([*names, *linked_dirs]):
                if name.startswith("."):
                    continue
                entry = base / name
                locked = office_lock_file(entry, again="ingest it again")
                if locked is not None:
                    if problems is not None:
                        problems.append((entry, locked))
                    continue
                if not entry.is_symlink():
                    found.append(entry)
                    continue
                target = Path(os.path.realpath(entry))
                if not target.exists():
                    if problems is not None:
                        problems.append((entry, said("link-missing", file=entry,
                                                     target=os.readlink(entry))))
                elif not target.is_relative_to(root):
                    if problems is not None:
                        problems.append((entry, said("link-outside", file=entry,
                                                     target=target, folder=path)))
                elif target.is_file():
                    found.append(entry)
        files.extend(sorted(found))
    return files


@dataclass
class _Stored:
    """What storing a file's batches gave: each record's result and the keywords with no
    concept (casefolded -> as typed), each with the index in the file of the record."""

    results: list[tuple[int, RowResult]] = field(default_factory=list)
    unlinked: dict[str, tuple[int, str]] = field(default_factory=dict)


class _Run:
    """One ingest run: the survey, the readers, the resolver and the store, built once."""

    def __init__(self, *, session: Session, workspace: Workspace, settings: Settings,
                 source: str, structures: tuple[Path, ...] = (), reread: bool = False) -> None:
        from sqlmodel import select

        from ..db.models import Municipality, SurveyToken

        if source not in SOURCES:
            raise InputError(f"unknown source {source!r}; use one of {', '.join(SOURCES)}")
        self.session = session
        self.workspace = workspace
        self.settings = settings
        self.source = source
        from ..tables import Limits

        self.limits = Limits.from_settings(settings)
        self.reader = Reader(workspace, source, structures, self.limits)
        self.detector = self.reader.detector
        self._resolver: Resolver | None = None  # built on first need (not for a re-ingest)
        self._resolved: dict[str, Any] = {}
        #: (municipality text, codes before it) -> what it adds (``municipalities``).
        self._by_text: dict[tuple[str, tuple[tuple[str, str], ...]],
                            tuple[tuple[tuple[str, str], ...], tuple[str, ...]]] = {}
        self.tokens: dict[str, str] = {}
        self.token_rounds: dict[str, str] = {}  # the round each token was sent in
        for token, code, round_name in session.exec(select(
                SurveyToken.token, SurveyToken.municipality_code, SurveyToken.round_name)):
            self.tokens[token] = code
            self.token_rounds[token] = round_name
        self.active = set(session.exec(
            select(Municipality.code).where(Municipality.active == True)).all())  # noqa: E712
        from .store import Store

        self.store = Store(session, received_dir=workspace.output_dir("received"),
                           workspace=workspace)
        self.result = IngestReport()
        self.tried: set[tuple[str, str]] = set()  # (content, name) read or tried in this run
        # The new files' copies still to make, made ahead while this process waits for a
        # worker (``keep_next``; each file's own turn makes what is not made by then).
        self.keeping: deque[tuple[Path, str, str]] = deque()
        #: ``ingest --reread``: content read before without an error is read again.
        self.reread = reread
        self.mapping_cache: dict[tuple[Any, ...], Mapping] = {}  # ``_shared``
        self.depth = 0  # containers (mails, zips, winmail.dat) open around the file read now
        #: Pictures a message carries beside a file that can hold its answer (a signature's
        #: logo as a file): said as a note, not as an error to type answers from.
        self.beside_answer: set[str] = set()

    def prepare_to_store(self) -> None:
        """Load what storing answers needs (the practices known, the name resolver) now
        rather than at the first answer."""
        if self._resolver is None:
            from ..resolve import Resolver

            self._resolver = Resolver.from_session(self.session)
        _ = self.store.index

    def keep_ahead(self, files: list[tuple[Path, str, int, str]]) -> None:
        """Queue the copies of the run's new files (path, content hash, size, name) to make
        ahead (``keep_next``)."""
        from ..tables import MAX_FILE_BYTES

        for path, sha, size, name in files:
            if size <= MAX_FILE_BYTES and self.store.known(sha) is None:
                self.keeping.append((path, sha, name))

    def keep_next(self) -> bool:
        """Copy the next new file under ``outputs/received`` now: work this process does
        anyway, done while it would otherwise wait for a worker (or prepare a file the worker
        would prepare later). False when there is none left, or copying fails (the file's turn
        copies it and says why)."""
        if not self.keeping:
            return False
        path, sha, name = self.keeping.popleft()
        if not self.store.keep_ahead(path, sha=sha, name=name):
            self.keeping.clear()
            return False
        return True

    # --- municipalities ----------------------------------------------------------------------

    def resolve(self, text: str) -> Any:
        if text not in self._resolved:
            if self._resolver is None:
                from ..resolve import Resolver

                self._resolver = Resolver.from_session(self.session)
            self._resolved[text] = self._resolver.resolve(text)
        return self._resolved[text]

    def domain_codes(self, address: str) -> list[str]:
        """The municipality an address's domain names (``@espoo.fi``, ``@kirjasto.espoo.fi``,
        ``@hel.fi``), or nothing; generic mail services name none."""
        if "@" not in address:
            return []
        labels = [label for label in address.rsplit("@", 1)[1].lower().split(".") if label]
        if len(labels) < 2:
            return []
        # The registered name first (kirjasto.espoo.fi -> espoo), then the first label.
        for label in dict.fromkeys((labels[-2], labels[0])):
            if label in GENERIC_DOMAINS:
                return []
            resolution = self.resolve(DOMAIN_NAMES.get(label, label))
            if resolution.status == "resolved":
                return list(resolution.codes)
        return []

    def municipalities(self, record: RawRecord, municipality_text: str | None,
                       sender: str | None) -> tuple[list[tuple[str, str]], list[str], list[str]]:
        """Return ((code, source) pairs, flags, notes) in the order token, metadata, text, sender."""
        codes: list[tuple[str, str]] = []
        flags: list[str] = []
        notes: list[str] = []
        if record.token:
            flags.extend(self._token_flags(record.token.strip()))
            code = self.tokens.get(record.token.strip())
            if code:
                codes.append((code, "token"))
            else:
                notes.append(said("token-unknown"))
        if record.meta_code and not codes:
            if record.meta_code in self.active:
                codes.append((record.meta_code, "metadata"))
            else:
                notes.append(said("metadata-code-gone", code=record.meta_code))
        elif record.meta_code and codes and record.meta_code != codes[0][0]:
            notes.append(said("token-over-metadata", token_code=codes[0][0],
                              meta_code=record.meta_code))
        if municipality_text:
            # The same text after the same codes says the same (thousands of a form's rows
            # name one municipality each): worked out once per run.
            key = (municipality_text, tuple(codes))
            said_by_text = self._by_text.get(key)
            if said_by_text is None:
                said_by_text = self._by_text[key] = self._text_municipalities(
                    municipality_text, codes)
            text_codes, text_flags = said_by_text
            codes.extend(text_codes)
            flags.extend(text_flags)
        if not codes:
            address = record.account_email or sender
            code_list = self.domain_codes(address) if address else []
            codes.extend((code, "sender-domain") for code in code_list)
        if not codes and not flags:
            flags.append("municipality-unresolved")
        seen: set[str] = set()
        unique = []
        for code, source in codes:
            if code not in seen:
                seen.add(code)
                unique.append((code, source))
        return unique, flags, notes

    def _text_municipalities(self, text: str, codes: list[tuple[str, str]]
                             ) -> tuple[tuple[tuple[str, str], ...], tuple[str, ...]]:
        """The (code, "text") pairs an answer's municipality text names and the flags it
        gives, after the ``codes`` the token or metadata named (``municipalities``)."""
        resolution = self.resolve(text)
        text_codes = tuple((code, "text") for code in resolution.codes)
        flags = list(self._reporter_not_named(codes, resolution, text))
        if resolution.status == "ambiguous":
            flags.append("municipality-ambiguous")
        elif resolution.status == "unresolved":
            # The flag alone does not say what was typed ("Koko Kainuu", "Åland"), and a
            # practice shows the municipalities found, not the text: say it.
            names = self._resolver.names if self._resolver is not None else {}
            taken = [names.get(code, code) for code, _ in (*codes, *text_codes)]
            flags.extend(self._zeros_lost(text, names))
            flags.extend(["municipality-unresolved", unsure(
                "municipalities", "municipality-not-named", text=text,
                names=taken) if taken else unsure(
                "municipalities", "municipality-not-named-none", text=text)])
        elif "fuzzy" in resolution.method.split("+"):
            # A close spelling, not the name: the reviewers confirm it.
            flags.append(unsure("municipalities", "municipality-close-spelling",
                                text=text, names=list(resolution.names)))
        elif any(part.startswith("former") for part in resolution.method.split("+")):
            # "Jalasjärvi" (in Kurikka since 2016): the successor, said, never silently.
            flags.append(unsure("municipalities", "municipality-former",
                                text=text, names=list(resolution.names)))
        if resolution.status == "resolved" and resolution.unmatched:
            # "Kuopio ja Pohjois-Savon kunnat", "Helsinki ja koko Uusimaa", "Tampere,
            # Hervanta": what names no municipality may stand for several of them.
            flags.append(unsure("municipalities", "municipality-unmatched",
                                text=text, rest=list(resolution.unmatched),
                                names=list(resolution.names)))
        return text_codes, tuple(flags)

    def _reporter_not_named(self, codes: list[tuple[str, str]], resolution: Any,
                            text: str) -> list[str]:
        """Say that the answer names municipalities, but not the one whose questionnaire or
        token it came with ("Ulvila" in Pori's): it is still taken, and may be wrong (a
        neighbour filled in a forwarded questionnaire)."""
        if not codes or resolution.status != "resolved" or codes[0][0] in resolution.codes:
            return []
        names = self._resolver.names if self._resolver is not None else {}
        return [unsure("municipalities", "municipality-reporter-not-named", text=text,
                       name=names.get(codes[0][0], codes[0][0]))]

    def _zeros_lost(self, text: str, names: dict[str, str]) -> list[str]:
        """Say that a number of one or two digits ("91") may be a municipality's code whose
        leading zeros a number cell dropped (091 Helsinki); it is not taken as that code."""
        from .questionnaire import pad_code

        typed = text.strip()
        code = pad_code(typed)
        if code == typed or code not in self.active:
            return []
        return [unsure("municipalities", "municipality-code-without-zeros", text=typed,
                       number=code, name=names.get(code, code))]

    def _token_flags(self, token: str) -> list[str]:
        """Flag a response token this workspace never sent, or sent in another round: an old
        round's questionnaire sent again, or one copied from another municipality."""
        current = str(self.settings.get("round.name") or "")
        sent_in = self.token_rounds.get(token)
        if sent_in is None:
            return [unsure("municipalities", "token-unknown", token=token)]
        if current and sent_in != current:
            return [unsure("municipalities", "token-other-round", sent_in=sent_in,
                           current=current)]
        return []

    # --- files -------------------------------------------------------------------------------

    def add(self, display: str, status: str, reason: str = "", **detail: Any) -> None:
        detail.setdefault("file", display)
        self.result.report.add(_line_source(display, detail.get("sheet"), detail.get("row")),
                               status, reason, **detail)

    def check(self, path: Path, display: str) -> tuple[str, int] | None:
        """Return (sha256, size) of a file not seen before; report it and return None if seen."""
        try:
            if path.is_dir():
                raise InputError(f"{display}: is a folder, expected a file")
            size = path.stat().st_size
            sha = sha256_file(path)
        except (FileNotFoundError, NotADirectoryError):
            self.add(display, "error", said("no-such-file", file=display))
            return None
        except PermissionError:
            if path.with_name("~$" + path.name).exists():
                # Windows: Excel holds a workbook it has open so that no one else reads it.
                self.add(display, "error", said("file-open-in-excel", file=display,
                                                lock=f"~${path.name}"))
                return None
            self.add(display, "error", said("file-permission-denied", file=display))
            return None
        except OSError as exc:  # a name too long, a disk error: this file, not the batch
            self.add(display, "error", f"{display}: {os_problem(exc)}")
            return None
        except InputError as exc:
            self.add(display, "error", str(exc))
            return None
        if self._seen(sha, display, path.name):
            return None
        return sha, size

    def _seen(self, sha: str, display: str, name: str = "") -> bool:
        """Report content received before (True). Content whose reading was interrupted
        (status still "received") or failed is read again (False): it may arrive named this
        time, or the fault (a full disk, a missing reader) may be gone. Only the same failed
        content twice in one run is not read twice."""
        known = self.store.known(sha)
        if known is None:
            return False
        file_id, status = known
        if status == "received" and not self.store.has_submissions(file_id):
            return False  # stored, then interrupted before anything was read: read it again
        if status == "error":
            if (sha, name.casefold()) not in self.tried:
                return False
            previous = self.store.error_of(file_id) or "could not be read"
            self.add(display, "error", said("same-content-failed", file=display, id=file_id,
                                            failure=_without_name(previous)))
            return True
        if self.reread and status == "ingested" and (sha, name.casefold()) not in self.tried:
            return False
        self.add(display, "already ingested",
                 join_reasons(said("file-already-ingested", id=file_id, status=status),
                              None if self.reread else said("reread-hint")))
        return True

    @staticmethod
    def parallel_candidate(path: Path, size: int) -> bool:
        """Whether a file is a table that a worker process may read and normalise."""
        from ..tables import MAX_FILE_BYTES

        return path.suffix.lower() in TABLE_SUFFIXES and 0 < size <= MAX_FILE_BYTES

    def ingest_file(self, path: Path, *, display: str, sender: str | None = None,
                    message_time: dt.datetime | None = None, parent_id: int | None = None,
                    name: str | None = None, checked: tuple[str, int] | None = None,
                    prepared: Callable[[], Prepared] | None = None) -> None:
        """Store one file, then read it; every problem becomes a report line. A file inside
        more than ``MAX_NESTING`` containers is not opened (one line says so)."""
        if parent_id is not None and self.depth >= MAX_NESTING:
            self.add(display, "error", said("nested-too-deep", file=display, depth=self.depth,
                                            limit=MAX_NESTING))
            return
        self.depth += 1
        try:
            self._ingest_file(path, display=display, sender=sender, message_time=message_time,
                              parent_id=parent_id, name=name, checked=checked,
                              prepared=prepared)
        finally:
            self.depth -= 1

    def _ingest_file(self, path: Path, *, display: str, sender: str | None,
                     message_time: dt.datetime | None, parent_id: int | None,
                     name: str | None, checked: tuple[str, int] | None,
                     prepared: Callable[[], Prepared] | None) -> None:
        name = name or path.name
        checked = checked or self.check(path, display)
        if checked is None:
            return
        sha, size = checked
        known = self.store.known(sha)
        tried = (sha, name.casefold()) in self.tried
        again = self.reread and known is not None and known[1] == "ingested" and not tried
        if known is not None and not again and (known[1] not in ("received", "error")
                                                or tried):
            self._seen(sha, display, name)  # the same content earlier in this batch
            return
        self.tried.add((sha, name.casefold()))
        from ..tables import MAX_FILE_BYTES

        huge = size > MAX_FILE_BYTES
        earlier: tuple[int, str] | None = None  # the failure this reading may replace
        earlier_practices: set[int] = set()  # read again: what the earlier reading made
        try:
            if known is not None:  # an interrupted or failed earlier run: its record again
                received = self.store.resume(known[0])
                if again:
                    earlier_practices = self.store.earlier_practices(known[0])
                    self.store.start_reread(known[0])
                if known[1] == "error":
                    earlier = (known[0], self.store.retry(
                        received, path, name=name, sender=sender, message_time=message_time,
                        parent_id=parent_id, copy=not huge))
            else:
                received = self.store.receive(path, sha=sha, name=name, size=size,
                                              sender=sender, message_time=message_time,
                                              parent_id=parent_id, copy=not huge,
                                              commit=False)
        except OSError as exc:
            self.session.rollback()
            self.add(display, "error", f"{display}: {os_problem(exc)}; nothing was stored, "
                                       "the next run reads it again")
            return
        first = len(self.result.report.outcomes)
        self._read(path, display=display, received=received, size=size, huge=huge,
                   sender=sender, message_time=message_time, prepared=prepared)
        if again:
            self._say_reread(display, received, first, earlier_practices)
        if earlier is not None:
            file_id, reason = earlier
            status = self.store.known(sha)
            if status is not None and status[1] == "ingested":
                self.add(display, "note", said("retry-succeeded", file=display, id=file_id,
                                               failure=_without_name(reason)),
                         retried=file_id)
            else:
                self.add(display, "note", said("retry-failed-again", file=display, id=file_id),
                         retried=file_id)

    def _say_reread(self, display: str, received: ReceivedFile, first: int,
                    earlier: set[int]) -> None:
        """Say what reading a file again changed: its rows' outcomes, and the practices of the
        earlier reading this one did not come to (they stay as they are)."""
        assert received.id is not None
        read = self.store.known(received.sha256) == (received.id, "ingested")
        superseded = self.store.end_reread(received.id) if read else 0
        self.store.rereading.pop(received.id, None)
        mine = [o for o in self.result.report.outcomes[first:]
                if o.detail.get("file") == display]
        counts: dict[str, int] = {}
        for outcome in mine:
            counts[outcome.status] = counts.get(outcome.status, 0) + 1
        found = {o.detail.get("practice_id") for o in mine}
        missing = sorted(earlier - found)
        parts = [said("file-reread", file=display, id=received.id,
                      counts=count_phrase(counts, SUMMARY_ORDER) or "-")]
        if missing:
            parts.append(said("reread-not-found", ids=", ".join(f"#{n}" for n in missing)))
        if superseded:
            parts.append(said("reread-superseded", count=superseded))
        self.add(display, "note", join_reasons(*parts), reread=received.id,
                 changed=[o.detail.get("practice_id") for o in mine
                          if o.status in ("new version", "decision kept")])

    def _read(self, path: Path, *, display: str, received: ReceivedFile, size: int,
              huge: bool, sender: str | None, message_time: dt.datetime | None,
              prepared: Callable[[], Prepared] | None) -> None:
        """Read a stored file; every problem becomes a report line and the file's status.

        A failing database (locked, read-only, full) is not the file's fault: it is raised
        for the batch to stop (``ingest_paths`` reports it and writes the report)."""
        from sqlalchemy.exc import OperationalError

        from ..tables import MAX_FILE_BYTES
        from .emails import is_contact_card

        try:
            if huge:
                raise InputError(said("file-too-big", file=display, size=size // (1024 * 1024),
                                      limit=MAX_FILE_BYTES // (1024 * 1024)))
            if size == 0:
                raise InputError(said("file-empty", file=display))
            suffix = path.suffix.lower()
            if suffix in EMAIL_SUFFIXES or _looks_like_email(path):
                self._ingest_email(path, display=display, received=received)
            elif suffix in STRUCTURE_SUFFIXES:
                self._ingest_structure(path, display=display, received=received)
            elif suffix in ARCHIVE_SUFFIXES:
                self._ingest_zip(path, display=display, received=received, sender=sender,
                                 message_time=message_time)
            elif _is_tnef(path):
                self._ingest_tnef(path, display=display, received=received, sender=sender,
                                  message_time=message_time)
            elif display in self.beside_answer:
                self.store.finish_file(received, fmt="picture", status="ingested")
                self.add(display, "note", said("picture-beside-answer", file=display,
                                               copy=received.stored_path))
            elif is_contact_card(path.name, _head(path)):
                # Thunderbird's "attach my vCard", Outlook's business card: a card has no
                # answer to type from; it is kept and said, never an error.
                self.store.finish_file(received, fmt="vcard", status="ingested")
                self.add(display, "note", said("contact-card", file=display,
                                               copy=received.stored_path))
            elif suffix not in TABLE_SUFFIXES:
                # A Word document or a PDF of the questionnaire: its answers are read by a
                # person, who is told where the copy is and what to do with it.
                raise InputError(said("file-not-read", file=display,
                                      suffix=suffix or "suffix-less",
                                      copy=received.stored_path))
            else:
                result = None
                if prepared is not None:
                    try:
                        result = prepared()
                    except Exception as exc:  # noqa: BLE001 - a lost worker: read it here instead
                        stop_if_interrupted(exc)
                        result = None
                if result is None:
                    result = self.reader.prepare(path, display)
                self._ingest_table(result, path=path, display=display, received=received,
                                   sender=sender)
        except SurveyError as exc:
            self.session.rollback()
            reason = str(exc).replace(str(path), display)
            self.store.finish_file(received, fmt=None, status="error", error=reason)
            self.add(display, "error", reason)
        except OperationalError:
            self.session.rollback()
            raise
        except Exception as exc:  # noqa: BLE001 - one broken file must never stop the batch
            # An error raised while a Ctrl-C or SIGTERM was being handled (SQLAlchemy's, as it
            # ended a commit the interrupt cut off): the run stops, as for the interrupt
            # itself, never goes on with the next file.
            stop_if_interrupted(exc)
            self.session.rollback()
            if isinstance(exc, OSError):  # a full disk, a permission: the fault, not the file
                reason = f"{display}: {os_problem(exc)}; the next run reads it again"
            else:
                reason = (f"{display}: unexpected {type(exc).__name__} while reading; the file "
                          "is kept under outputs/received; please report it")
            self._finish_failed(received, reason)
            self.add(display, "error", reason)

    def _finish_failed(self, received: ReceivedFile, reason: str) -> None:
        """Record a failed reading; when even that cannot be written, the next run sees the
        file as interrupted (status "received") and reads it again."""
        from sqlalchemy.exc import SQLAlchemyError

        try:
            self.store.finish_file(received, fmt=None, status="error", error=reason)
        except (OSError, SQLAlchemyError):
            self.session.rollback()

    def _ingest_table(self, prepared: Prepared, *, path: Path, display: str,
                      received: ReceivedFile, sender: str | None) -> None:
        if prepared.error is not None or prepared.parsed is None:
            raise InputError(prepared.error or f"{display}: could not be read")
        try:
            stored = self._store_batches(prepared, received=received, sender=sender)
        except Unfinished:
            # The worker stopped half-way: what it sent goes, and this process reads the file.
            self.session.rollback()
            self.store.restart_file(received)
            prepared = self.reader.prepare(path, display)
            if prepared.error is not None or prepared.parsed is None:
                raise InputError(prepared.error or f"{display}: could not be read") from None
            stored = self._store_batches(prepared, received=received, sender=sender)
        parsed = prepared.parsed
        assert parsed is not None
        fmt = parsed.format
        for sheet_name, columns in parsed.mappings:
            self.result.mappings.append(FileMapping(display, sheet_name, fmt,
                                                    [self._shared(m) for m in columns]))
        for note in parsed.notes:
            self.add(display, "note", note, format=fmt)
        unlinked = [keyword for _index, keyword in sorted(stored.unlinked.values())]
        if unlinked:
            self.add(display, "note", said("keywords-unlinked", keywords=", ".join(unlinked)),
                     format=fmt)
        for sheet, row, reason in parsed.problems:
            where = "".join(f"{part}:" for part in (sheet, row and f"row {row}") if part)
            self.add(display, "error", f"{display}:{where} {reason}", sheet=sheet, row=row,
                     format=fmt)
        status = "error" if parsed.problems and not stored.results else "ingested"
        self.store.finish_file(received, fmt=fmt, status=status,
                               error="; ".join(r for *_, r in parsed.problems) or None)
        self._report_rows(display, fmt, [result for _index, result in sorted(
            stored.results, key=lambda item: item[0])])

    def _shared(self, mapping: Mapping) -> Mapping:
        """One object for each distinct mapping the report keeps: 308 questionnaires map
        the same rows the same way (about 50,000 mappings, 10 MB, held to the end)."""
        return self.mapping_cache.setdefault(_mapping_key(mapping), mapping)

    def _store_batches(self, prepared: Prepared, *, received: ReceivedFile,
                       sender: str | None) -> _Stored:
        """Store a file's records batch by batch (``Prepared.batches``), in one transaction
        (``finish_file`` ends it); return each record's result with its index in the file."""
        assert prepared.parsed is not None
        fmt = prepared.parsed.format
        stored = _Stored()
        unlinked = stored.unlinked
        append = stored.results.append
        for batch in prepared.batches():
            entries = [self._entry(record, practice, sender) for _index, record, practice in batch]
            results = self.store.store_entries(received, fmt, entries)
            for (index, _record, _practice), entry, result in zip(batch, entries, results,
                                                                  strict=True):
                if result.practice_id is not None and not result.to_check:
                    to_check = _to_check(entry.flags)
                    if to_check:
                        result.to_check = to_check
                append((index, result))
                if entry.practice is not None:
                    # The first spelling of each keyword without a concept, the file's first.
                    for keyword in self._unlinked_keywords(entry.practice.keywords):
                        unlinked.setdefault(keyword.casefold(), (index, keyword))
        return stored

    def _unlinked_keywords(self, keywords: list[str]) -> list[str]:
        """The keywords of a practice that no concept of the vocabulary is linked to."""
        from ..normalise import unlinked_keywords

        return unlinked_keywords(keywords, self.reader.vocabulary)

    def _entry(self, record: RawRecord, practice: NormalisedPractice | str | None,
               sender: str | None) -> Entry:
        from .store import Entry

        if record.status != "practice":
            return Entry(record, None, status=record.status, reason=record.reason)
        if practice is None or isinstance(practice, str):
            return Entry(record, None, status="error", reason=practice or "not normalised")
        # A table's row (record.row) takes any note: text in a column no question takes.
        # A sheet's notes may be the questionnaire's own words of an older version.
        typed = [text for _question, text in record.notes if text.strip() and (
            record.row is not None or text.startswith((TEXT_BOX_NOTE, COMMENT_NOTE)))]
        if practice.is_empty and typed:
            # Answered outside the answer cells only (a text box drawn over the sheet, cell
            # comments, a form's column that is no question of the survey): not "nothing
            # filled in", and not a practice either; a person reads it.
            texts = " | ".join(typed)
            return Entry(record, None, status="to-read",
                         reason=said("text-only-outside", texts=texts))
        if practice.is_empty:
            return Entry(record, None, status="empty",
                         reason=said("nothing-filled"))
        codes, flags, notes = self.municipalities(record, practice.municipality_text, sender)
        if notes:
            record.reason = join_reasons(record.reason, *notes)
        return Entry(record, practice, codes,
                     [*practice.flags, *flags, *record.flags, *record.note_flags()])

    def _report_rows(self, display: str, fmt: str, results: list[RowResult]) -> None:
        """One line of the report per row, as ``add`` makes it (its place by
        ``_line_source``), straight into the report: a file's thousands of rows."""
        report_add = self.result.report.add
        for result in results:
            reason = result.reason
            checks: dict[str, Any] = {}
            if result.to_check:
                # English here (the CLI, --format json); the report workbook says the flags
                # again in its own language (write_report_csv).
                reason = join_reasons(reason, "to check: " + " ".join(
                    describe_all(result.to_check, "en")))
                checks = {"to_check": result.to_check, "reason_before": result.reason}
            sheet, row = result.sheet, result.row
            report_add(_line_source(display, sheet, row), result.outcome, reason, sheet=sheet,
                       row=row, format=fmt, practice_id=result.practice_id,
                       version=result.version, locator=result.locator, **checks, file=display)

    # --- emails ------------------------------------------------------------------------------

    def _ingest_email(self, path: Path, *, display: str, received: ReceivedFile) -> None:
        from .emails import body_answers, is_picture, no_answer_attachment, read_eml, read_msg
        from .store import Entry, storage_name

        message = read_msg(path) if _is_msg(path) else read_eml(path)
        fmt = "msg" if _is_msg(path) else "eml"
        wrapped = self._wrapped_text(message)  # the text only Outlook's winmail.dat holds
        # A forward (the coordinator's colleague, a registry office) answers for the one who
        # wrote the forwarded message: its sender's address tells the municipality, not the
        # forwarder's.
        forward, original, own = message.forwarded
        if forward and body_answers(own, self.detector.mapper()):
            # "VS: VL: …": the answers are typed above the forwarded message, by its sender.
            forward, original = False, None
        author = original if forward and original else message.sender
        # An automatic reply ("Olen lomalla …") may quote the invitation's labels: never an answer.
        blocks = [] if message.auto_reply else body_answers(message.text, self.detector.mapper())
        results: list[RowResult] = []
        raw = {"subject": message.subject, "body": message.body, "answers": {}}
        answerable = [a for a in message.attachments if not no_answer_attachment(a)]
        longest = max((len(text) for answers in blocks for text in answers.values()), default=0)
        if longest > self.limits.max_cell_chars:  # as a cell of a table would be refused
            size, limit = (f"{n:,}".replace(",", " ") for n in (longest,
                                                               self.limits.max_cell_chars))
            self.add(display, "error", f"{display}: an answer typed in the message is {size} "
                     f"characters, over the limit of {limit} ([limits] max_cell_chars); not "
                     "read. Ask for it shorter or as a file, or raise the limit", format=fmt)
        elif blocks:  # typed with the questionnaire's labels: a practice like any other
            entries = [self._body_entry({**raw, "answers": answers},
                       "body" if len(blocks) == 1 else f"body #{number}", message=message,
                       author=author, forward=forward, original=original)
                       for number, answers in enumerate(blocks, start=1)]
            results = self.store.store_entries(received, fmt, entries)
        elif (not message.attachments or wrapped or not answerable) and message.body.strip():
            # Attached only a signature's picture or a contact card, the text is all the
            # answer there may be: a person reads it.
            reason = (said("automatic-reply", kind=message.auto_reply) if message.auto_reply
                      else said("message-to-read") if not message.attachments or wrapped
                      else said("message-to-read-pictures"))
            record = RawRecord(locator="body", raw=raw, status="to-read", reason=reason)
            results = self.store.store_entries(received, fmt, [
                Entry(record, None, status="to-read", reason=record.reason)])
        self.store.finish_file(received, fmt=fmt, status="ingested", sender=message.sender,
                               message_time=message.time)
        self._report_rows(display, fmt, results)
        if not message.attachments and not message.body.strip():
            self.add(display, "error", said("message-empty", file=display), format=fmt)
        with tempfile.TemporaryDirectory(prefix="yhteistuumin-att-") as tmp:
            for number, attachment in enumerate(message.attachments, start=1):
                folder = Path(tmp) / str(number)
                folder.mkdir()
                target = folder / storage_name(attachment.name, f"attachment-{number}")
                target.write_bytes(attachment.data)
                shown = f"{display} » {attachment.name}{attachment.sent_as}"
                if answerable and is_picture(attachment.name):
                    self.beside_answer.add(shown)
                self.ingest_file(target, display=shown, sender=author,
                                 message_time=message.time, parent_id=received.id,
                                 name=attachment.name)


    @staticmethod
    def _wrapped_text(message: Any) -> bool:
        """Read a message with no text of its own from Outlook's winmail.dat beside it (its
        body in Rich Text format, :func:`emails.tnef_text`): the text becomes the message's.
        Return whether the wrapper held the text and no file (then the text is all there is:
        a person reads it if no answer is recognised in it)."""
        from .emails import TNEF_SIGNATURE, tnef_text

        if message.body.strip():
            return False
        for attachment in message.attachments:
            if attachment.data[:4] == TNEF_SIGNATURE:
                text, files = tnef_text(attachment.data)
                if text.strip():
                    message.body = text
                    return files == 0
        return False

    def _body_entry(self, raw: dict[str, Any], locator: str, *, message: Any, author: str | None,
                    forward: bool, original: str | None) -> Entry:
        """One practice typed into a message body, normalised and flagged ``from-email-text``."""
        from ..normalise import normalise_answers

        answers = raw["answers"]
        record = RawRecord(locator=locator, raw=raw, answers=dict(answers))
        try:
            practice: Any = normalise_answers(answers, survey=self.reader.survey,
                                              vocabulary=self.reader.vocabulary)
        except Exception as exc:  # noqa: BLE001 - keep the raw text, report it
            practice = f"cannot normalise ({type(exc).__name__}); kept raw"
        if author != message.sender:
            record.reason = said("forwarded", sender=message.sender, author=author)
        entry = self._entry(record, practice, author)
        entry.flags.append("from-email-text")
        if forward and original is None and any(source == "sender-domain"
                                                for _code, source in entry.codes):
            entry.flags.append(unsure("municipalities", "forward-without-sender",
                                      forwarder=message.sender))
        return entry

    def _ingest_structure(self, path: Path, *, display: str, received: ReceivedFile) -> None:
        """A LimeSurvey ``.lss`` is no answer: it explains the exports in its folder."""
        from .limesurvey import read_lss

        structure = read_lss(path)
        self.store.finish_file(received, fmt="limesurvey-structure", status="ingested")
        count = len(structure.questions)
        self.add(display, "structure", said("lss-structure-one") if count == 1
                 else said("lss-structure", count=count), format="limesurvey-structure")

    def _ingest_zip(self, path: Path, *, display: str, received: ReceivedFile,
                    sender: str | None, message_time: dt.datetime | None) -> None:
        """Ingest the files of a zip archive (Google Forms downloads its CSV zipped)."""
        from ..tables import MAX_FILE_BYTES, check_zip
        from .emails import safe_name, sent_as
        from .store import storage_name

        with check_zip(path, limits=self.limits) as archive:
            # A name is cut at a backslash as at "/" (a Windows zip tool may write either):
            # "..\..\x.xlsx" is a file x.xlsx (said with the name it had), not a hidden one.
            files = [info for info in archive.infolist() if not info.is_dir()
                     and not info.filename.replace("\\", "/").startswith("__MACOSX/")]
            members = [info for info in files if not _hidden(info.filename)]
            self.store.finish_file(received, fmt="zip", status="ingested")
            for info in files:
                # A hidden file (".~lock.x.xlsx#", ".vastaus.xlsx") is no answer, but nothing
                # in an archive is left out unsaid; macOS's own (__MACOSX/, ._x, .DS_Store)
                # are no one's.
                last = info.filename.replace("\\", "/").rsplit("/", 1)[-1]
                if _hidden(info.filename) and not last.startswith("._") \
                        and last != ".DS_Store":
                    name = safe_name(info.filename, "file")
                    self.add(f"{display} » {name}{sent_as(info.filename)}", "note",
                             said("zip-hidden-member", file=display,
                                  name=repr(info.filename)))
            if not members:
                raise InputError(said("zip-empty", file=display))
            with tempfile.TemporaryDirectory(prefix="yhteistuumin-zip-") as tmp:
                for number, info in enumerate(members, start=1):
                    name = safe_name(info.filename, f"file-{number}")
                    member_display = f"{display} » {name}{sent_as(info.filename)}"
                    if info.file_size > MAX_FILE_BYTES:
                        self.add(member_display, "error", said(
                            "zip-member-too-big", file=member_display,
                            limit=MAX_FILE_BYTES // (1024 * 1024)))
                        continue
                    folder = Path(tmp) / str(number)
                    folder.mkdir()
                    target = folder / storage_name(name, f"file-{number}")
                    target.write_bytes(archive.read(info))
                    self.ingest_file(target, display=member_display, sender=sender,
                                     message_time=message_time, parent_id=received.id,
                                     name=name)


    def _ingest_tnef(self, path: Path, *, display: str, received: ReceivedFile,
                     sender: str | None, message_time: dt.datetime | None) -> None:
        """Ingest the files inside Outlook's winmail.dat (TNEF, a message sent in Rich Text
        format wraps its attachments in it), each like an attachment of the message."""
        from tnefparse import TNEF

        from .emails import safe_name, sent_as
        from .store import storage_name

        try:
            tnef = TNEF(path.read_bytes(), do_checksum=False)
        except Exception as exc:  # noqa: BLE001 - the decoder raises many kinds on broken input
            raise InputError(said("tnef-damaged", file=display,
                                  error=type(exc).__name__)) from None
        self.store.finish_file(received, fmt="tnef", status="ingested")
        files = [item for item in tnef.attachments if item.data]
        if not files:
            # Outlook sends the text of a Rich Text message in winmail.dat as well as in the
            # message's plain-text part; without that part, the message's text is read from
            # here (_wrapped_text). Nothing is missing unless no questionnaire came at all.
            self.add(display, "note", said("tnef-no-file", file=display), format="tnef")
            return
        with tempfile.TemporaryDirectory(prefix="yhteistuumin-tnef-") as tmp:
            for number, item in enumerate(files, start=1):
                name = safe_name(_tnef_name(item), f"file-{number}")
                folder = Path(tmp) / str(number)
                folder.mkdir()
                target = folder / storage_name(name, f"file-{number}")
                target.write_bytes(bytes(item.data))
                shown = f"{display} » {name}{sent_as(_tnef_name(item))}"
                self.ingest_file(target, display=shown, sender=sender,
                                 message_time=message_time, parent_id=received.id, name=name)


def _hidden(name: str) -> bool:
    """Whether a zip member is a hidden file: its name's last part (cut at "/" or at a
    backslash, as Windows zip tools write) starts with a dot."""
    return name.replace("\\", "/").rsplit("/", 1)[-1].startswith(".")


def _tnef_name(item: Any) -> str:
    """A file's name in a TNEF stream: its long (Unicode) name, else its short title, which
    Outlook writes in the sender's Windows code page ("Hyvät käytännöt.xlsx" in cp1252),
    which tnefparse 1.4 decodes as UTF-8 and fails on."""
    try:
        name: Any = item.long_filename()
    except UnicodeDecodeError:
        name = getattr(item, "_name", b"")  # the title's bytes as written
    if isinstance(name, bytes):
        try:
            name = name.decode("utf-8")
        except UnicodeDecodeError:
            name = name.decode("cp1252", "replace")
    return str(name).strip("\x00").strip()


#: Flags that say a value was not sure (the report names them beside the row).
_UNSURE_FLAGS = ("unsure:", "municipality-unresolved", "municipality-ambiguous", "consent-unknown",
                 "hidden-sheet")


def _line_source(display: str, sheet: str | None, row: int | None) -> str:
    """Where a report line is: the file, with its sheet and row when it has them
    (``book.xlsx:Käytäntö 1``, ``export.csv::7``)."""
    if not sheet and not row:
        return display
    return f"{display}:{sheet or ''}{':' + str(row) if row else ''}"


#: What makes two mappings the same one for the report (``_Run._shared``).
_mapping_key = operator.attrgetter("header", "target", "method", "score", "note")


def _to_check(flags: Iterable[str]) -> list[str]:
    """The flags of a stored row that ask a reviewer to check a value (each once)."""
    return list(dict.fromkeys(flag for flag in flags if flag.startswith(_UNSURE_FLAGS)))


def _without_name(reason: str) -> str:
    """A recorded reason without the ``name:`` it starts with (the name was another's)."""
    head, sep, rest = reason.partition(": ")
    return rest if sep and ("/" in head or "." in head or "»" in head) else reason


def os_problem(exc: OSError) -> str:
    """Say in a few words what an operating-system error means and what to do."""
    import errno

    what = {errno.ENOSPC: "the disk is full; free some space",
            errno.EDQUOT: "the disk quota is used up; free some space",
            errno.EFBIG: "the file is larger than this system allows a file to be",
            errno.EROFS: "the folder is on a read-only disk; use a writable workspace",
            errno.EACCES: "permission denied; check who owns the file or folder",
            errno.EPERM: "not permitted; check the file's owner and flags",
            errno.ENAMETOOLONG: "the file name is too long for this file system"}
    return what.get(exc.errno or 0, exc.strerror or type(exc).__name__)


def _is_tnef(path: Path) -> bool:
    """Whether a file is Outlook's TNEF wrapper (winmail.dat, ATT00001.dat, a .tnef)."""
    try:
        with path.open("rb") as handle:
            from .emails import TNEF_SIGNATURE

            return handle.read(4) == TNEF_SIGNATURE
    except OSError:
        return False


def _head(path: Path) -> bytes:
    """A file's first bytes (what its kind is told by)."""
    with path.open("rb") as handle:
        return handle.read(64)


def _is_msg(path: Path) -> bool:
    with path.open("rb") as handle:
        head = handle.read(8)
    return head == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" and path.suffix.lower() == ".msg"


def _looks_like_email(path: Path) -> bool:
    if path.suffix.lower() not in {"", ".txt", ".mail", ".mbox"}:
        return False
    with path.open("rb") as handle:
        head = handle.read(2048).lower()
    return head.startswith((b"from:", b"return-path:", b"received:", b"message-id:",
                            b"mime-version:", b"date:", b"delivered-to:"))


#: The report's headings and outcomes in the coordinator's language ([round] language); the
#: outcome keys stay English in JSON (``ingest --format json``).
REPORT_HEADINGS = {
    "fi": {"file": "Tiedosto", "sheet": "Välilehti", "row": "Rivi", "format": "Muoto",
           "outcome": "Tulos", "practice_id": "Käytäntö", "version": "Versio",
           "reason": "Syy tai huomio"},
    "sv": {"file": "Fil", "sheet": "Flik", "row": "Rad", "format": "Format",
           "outcome": "Resultat", "practice_id": "Praxis", "version": "Version",
           "reason": "Orsak eller anmärkning"},
}
#: Said before the flags of a row that ask a reviewer to check a value.
TO_CHECK = {"fi": "Tarkistettavaa", "sv": "Att kontrollera"}
REPORT_OUTCOMES = OUTCOME_NAMES


def write_report_csv(result: IngestReport, folder: Path, *, lang: str = "fi") -> Path:
    """Write the run's report as ``ingest-<timestamp>.xlsx``: headings and outcomes in ``lang``.

    A workbook opens in a Finnish Excel as it is (a comma-separated file does not: Excel in
    Finland expects ``;``), with filters, frozen headings and a print setup. The name is kept
    for the callers; the file is no longer a CSV.
    """
    from ..outcomes import describe as describe_reason
    from ..outcomes import file_in
    from ..workbooks import write_values_xlsx

    lang = lang if lang in REPORT_HEADINGS else "fi"
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    outcomes = REPORT_OUTCOMES[lang]
    at = REPORT_COLUMNS.index("outcome")

    reason_at = REPORT_COLUMNS.index("reason")
    file_at = REPORT_COLUMNS.index("file")

    # One outcome a row (rows() is made from them): their details hold the flags to check.
    details = [o.detail for o in getattr(getattr(result, "report", None), "outcomes", ())]

    def translated() -> Iterator[list[Any]]:
        for index, row in enumerate(result.rows()):
            values = [row.get(column) for column in REPORT_COLUMNS]
            values[at] = outcomes.get(str(values[at]), values[at])
            values[file_at] = file_in(values[file_at], lang)
            detail = details[index] if index < len(details) else {}
            if detail.get("to_check"):  # the flags to check in the report's language
                checks = f"{TO_CHECK[lang]}: {' '.join(describe_all(detail['to_check'], lang))}"
                before = describe_reason(detail.get("reason_before"), lang)
                values[reason_at] = (before + (" " if before.endswith((".", "?", ")")) else
                                               "; ") + checks) if before else checks
            else:
                values[reason_at] = describe_reason(values[reason_at], lang)
            yield values

    headings = [REPORT_HEADINGS[lang][c] for c in REPORT_COLUMNS]
    return write_values_xlsx(folder / f"ingest-{stamp}.xlsx", translated(), headings,
                             title="Lukuraportti" if lang == "fi" else "Inläsningsrapport")


def ingest_paths(paths: Iterable[Path], *, session: Session, workspace: Workspace,
                 settings: Settings, source: str = "auto",
                 progress: Callable[[int], Any] | None = None,
                 workers: int | None = None, structures: Iterable[Path] = (),
                 retry_failed: bool = False, reread: bool = False,
                 reread_all: bool = False,
                 on_wait: Callable[[str], Any] | None = None) -> IngestReport:
    """Ingest files and folders; return (and write under outputs/reports) what became of each.

    ``retry_failed`` also reads again every received file whose reading failed (from its copy
    under ``outputs/received``). A file that failed before is read again whenever the same
    content arrives again; the report says which earlier failure a success replaces.

    ``reread`` reads the files named again even where their content was read before without
    an error (an older version may have read them wrongly); ``reread_all`` reads every
    received file again from its copy under ``outputs/received``. A practice the new reading
    differs from is updated (a new version) while no reviewer has decided it; a decided one,
    or one a later file changed, is kept as it is and the difference flagged on it
    (``decision kept``). A note per file says what reading it again changed.

    Files already received (same content) are reported and skipped before anything is read.
    ``structures`` are LimeSurvey ``.lss`` files that explain LimeSurvey exports' codes (a
    ``.lss`` in an export's own folder is used too). ``on_wait(line)`` is told when the run
    waits for another ingest of the same database to finish.
    With ``workers`` 2 or more (by default 2 on a machine with two cores or more) and new
    table files of 2 MB or more, ``workers`` - 1 worker processes read and normalise them
    ahead while this process stores them in file order (``pipeline_workers``).
    """
    started = time.perf_counter()
    # The files are listed once, and the worker processes start first: they import while
    # this process checks the files.
    skipped: list[tuple[Path, str]] = []
    files = expand_paths(paths, skipped)
    asked = _Asked(source=source, progress=progress, workers=workers,
                   retry_failed=retry_failed, structures=tuple(Path(p) for p in structures),
                   reread=reread or reread_all, reread_all=reread_all)
    early = _early_workers(files, workers)
    try:
        from ..locks import LockBusy, exclusive
        from .store import synced_at_end

        # One ingest at a time per database: each run decides what is new from the practices
        # it knows, so a second one waits until the first has stored its answers.
        try:
            with exclusive(session.get_bind().engine, "ingest", wait=INGEST_LOCK_WAIT,
                           on_wait=on_wait) as held, \
                    _fewer_collections():
                session.rollback()  # read what the run before us stored
                writing: _ReportWriting | None = None
                try:
                    with synced_at_end(session) as checkpoint:
                        result, writing, interrupted = _ingest_locked(
                            files, skipped, asked, session=session, workspace=workspace,
                            settings=settings, started=started, held=held, early=early,
                            drained=checkpoint.start)
                    # Leaving synced_at_end checkpointed the database (mostly waiting for the
                    # disk) while the report was being written.
                finally:
                    if writing is not None:
                        writing.join()
        except LockBusy as exc:
            raise InputError(f"{exc}; waited {INGEST_LOCK_WAIT // 60:.0f} minutes; try again "
                             "when it has finished") from None
    finally:
        if early:  # started for files that turned out not to need them (already received)
            from .pipeline import close_workers

            close_workers(early)
    if interrupted is not None:
        raise _interrupted(result.report_path, finished=interrupted)
    return result


def _early_workers(files: list[Path], workers: int | None) -> list[Any]:
    """Worker processes started before the files are checked, when the table files named
    would call for them (``pipeline_workers``) if they are all new; none otherwise."""
    sizes = []
    for path in files:
        try:
            size = path.stat().st_size
        except OSError:
            continue
        if _Run.parallel_candidate(path, size):
            sizes.append(size)
    count = pipeline_workers(workers, sizes)
    if not count:
        return []
    from .pipeline import spawn_workers

    return spawn_workers(count)


@contextmanager
def _fewer_collections() -> Iterator[None]:
    """Let the garbage collector run less often during a run, as it was after.

    A run keeps tens of thousands of records, practices and report lines alive: each of the
    collector's full passes walks them all, and with its default thresholds it made about ten
    of them, a seventh of a 10,000-row run's time. Cycles are still collected, in bigger
    steps; the peak memory does not change (bench/ingest.py).
    """
    import gc

    before = gc.get_threshold()
    gc.set_threshold(20_000, 20, 20)
    try:
        yield
    finally:
        gc.set_threshold(*before)


@dataclass(frozen=True)
class _Asked:
    """What the command asked of a run (``ingest_paths``' options), as its parts use them."""

    source: str
    progress: Callable[[int], Any] | None
    workers: int | None
    retry_failed: bool
    structures: tuple[Path, ...]
    reread: bool  # the files named read again (also when reread_all)
    reread_all: bool  # every received file read again


def _ingest_locked(files: list[Path], skipped: list[tuple[Path, str]], asked: _Asked, *,
                   session: Session, workspace: Workspace, settings: Settings, started: float,
                   held: Any, early: list[Any] | None = None,
                   drained: Callable[[], Any] | None = None
                   ) -> tuple[IngestReport, _ReportWriting | None, int | None]:
    """Read and store the files; return the report, its workbook's writing (None when the
    workspace has gone) and the files finished before an interrupt (None: none came)."""
    from sqlalchemy.exc import SQLAlchemyError

    try:
        run, todo, retries, pipeline = _start_run(
            files, skipped, asked, session=session, workspace=workspace, settings=settings,
            held=held, early=early)
    except (KeyboardInterrupt, SQLAlchemyError) as exc:
        if not stopped_by_interrupt(exc):
            raise
        # Before any file's turn (the files checked, copied ahead, the workers and the
        # register made ready: a second or two of a round's ingest): nothing is stored, and
        # the run says so instead of a bare "Interrupted.".
        from ..db.engine import rollback_quietly

        rollback_quietly(session)
        raise _interrupted(None, finished=0) from None

    done = 0
    interrupted: int | None = None  # the files finished before an interrupt
    gone = False
    try:
        for key, (path, checked) in enumerate(todo):
            display, name = retries.get(path, (str(path), path.name))
            run.ingest_file(path, display=display, checked=checked, name=name,
                            prepared=pipeline.take(key) if pipeline is not None else None)
            done += 1
            if drained is not None and pipeline is not None and pipeline.drained:
                drained()
                drained = None
            if asked.progress is not None:
                asked.progress(1)
    except (KeyboardInterrupt, SQLAlchemyError) as exc:
        if stopped_by_interrupt(exc):
            # Ctrl-C or SIGTERM (or SQLAlchemy's error raised in its place, as it ended a
            # commit the interrupt cut off): the file being read rolled back, those before
            # kept (exit 130).
            from ..db.engine import rollback_quietly

            rollback_quietly(session)
            interrupted = done
            run.add("", "error", said("interrupted"))
        else:
            # The database itself failed (read-only, locked, full, gone): no later file could
            # be stored either. Say so in one line and still write the report.
            from ..db.engine import database_label
            from ..faults import describe_fault

            session.rollback()
            database = database_label(session.get_bind().engine.url)
            left = len(todo) - done
            run.add(database, "error", f"{describe_fault(exc, database=database)}; "
                                       f"{left} file{'s' if left != 1 else ''} not read (the "
                                       f"next run reads {'them' if left != 1 else 'it'})")
    except WorkspaceGone as exc:
        # Moved away under the run: the database (open) has the files read before; their
        # copies are in the moved folder. Nothing more is written at the old place.
        session.rollback()
        gone = True
        left = len(todo) - done
        run.add(str(workspace.root), "error", f"{exc} ({done} file{'s' if done != 1 else ''} "
                f"read, {left} not; the report of this run is not written)")
    finally:
        if pipeline is not None:
            pipeline.close()
    if not files and not asked.retry_failed and not asked.reread_all:
        run.add("", "error", said("no-files"))
    run.result.seconds = time.perf_counter() - started
    writing = None if gone else _ReportWriting(run, workspace,
                                               lang=str(settings.get("round.language")))
    return run.result, writing, interrupted


def _start_run(files: list[Path], skipped: list[tuple[Path, str]], asked: _Asked, *,
               session: Session, workspace: Workspace, settings: Settings, held: Any,
               early: list[Any] | None
               ) -> tuple[_Run, list[tuple[Path, tuple[str, int]]],
                          dict[Path, tuple[str, str]], Any]:
    """Make the run ready for its files: check them (what is new), copy the new ones ahead,
    start the workers; return the run, the files to read (each with its hash and size), the
    stored copies read again (copy -> (display, original name)) and the pipeline of workers
    (None when this process reads alone), closed again when an interrupt comes first."""
    run = _Run(session=session, workspace=workspace, settings=settings, source=asked.source,
               structures=asked.structures, reread=asked.reread)
    if held.waited >= 1:
        run.add("", "note", said("lock-waited", seconds=f"{held.waited:.0f}",
                                 holder=held.holder or "holder unknown"))
    for link, reason in skipped:
        run.add(str(link), "skipped", reason)
    retries: dict[Path, tuple[str, str]] = {}  # stored copy -> (display, original name)
    if asked.retry_failed or asked.reread_all:
        for received in run.store.failed_files(read=asked.reread_all):
            stored = workspace.stored_file(received.stored_path)
            display = f"{received.original_name} (received file {received.id})"
            if stored is None or not stored.is_file():
                run.add(display, "error", f"{display}: no copy was kept under "
                                          "outputs/received; ingest it again from where it came")
                continue
            retries[stored] = (display, received.original_name)
    checks: list[tuple[Path, tuple[str, int] | None]] = []
    for path in [*files, *retries]:
        display = retries[path][0] if path in retries else str(path)
        checked = run.check(path, display)
        checks.append((path, checked))
        run.result.files += 1
        if checked is None and asked.progress is not None:
            asked.progress(1)
    todo = [(path, checked) for path, checked in checks if checked is not None]
    parallel = [(key, path, size) for key, (path, (_sha, size)) in enumerate(todo)
                if run.parallel_candidate(path, size)]
    count = pipeline_workers(asked.workers, [size for _key, _path, size in parallel])
    pipeline = None
    if count:
        run.keep_ahead([(path, sha, size, retries.get(path, ("", path.name))[1])
                        for path, (sha, size) in todo])
        pipeline = _pipeline(run, count, parallel, early)
        try:
            run.prepare_to_store()  # while the worker reads the first file
        except BaseException:
            pipeline.close()
            raise
    return run, todo, retries, pipeline


def _pipeline(run: _Run, count: int, files: list[tuple[int, Path, int]],
              early: list[Any] | None) -> Any:
    """Worker processes for the run's table files (key, path, size); while this process
    waits for them it copies the files ahead (``_Run.keep_next``), then prepares files and
    normalises a late export's rows itself (``pipeline.Pipeline``)."""
    from .pipeline import Pipeline

    return Pipeline(count, files, split_bytes=SPLIT_MIN_BYTES, workspace=run.workspace,
                    source=run.source, structures=run.reader.structure_paths, limits=run.limits,
                    here=run.reader.prepare, normalise=run.reader.normalise,
                    spare=run.keep_next, started=early)


def _interrupted(report: Path | None, *, finished: int) -> KeyboardInterrupt:
    """What an interrupted run says: what is stored, where the report is, what to do.

    Stopped in its first file (a large export takes seconds), the run has stored nothing new:
    "the files read before it are stored" said so of no file, and the rerun's "310 files: 9638
    new practices" then seemed to contradict it."""
    from ..errors import Interrupted

    listed = f" ({report} lists what was read)" if report else ""
    if not finished:
        return Interrupted(f"it came before the first file was finished: nothing new is stored"
                           f"{listed}; run the command again to read the files")
    return Interrupted("the files read before it are stored"
                       + (f" and listed in {report}" if report else "")
                       + "; run the command again to read the rest")


class _ReportWriting:
    """The run's report workbook written in a thread of its own (``_write_report``) while
    this one ends the run: the database's closing checkpoint (``store.synced_at_end``) waits
    for the disk, with Python's lock let go, for about as long as writing the report takes
    (0.1-0.2 s each after a national round's ingest, its last steps, one after the other
    before). Nothing else touches the run's report meanwhile; ``join`` waits for the
    workbook (a line of the report when it could not be written) and raises what writing
    raised."""

    def __init__(self, run: _Run, workspace: Workspace, *, lang: str) -> None:
        import threading

        self.error: BaseException | None = None

        def write() -> None:
            try:
                _write_report(run, workspace, lang=lang)
            except BaseException as exc:  # noqa: BLE001 - raised again by join, in the caller
                self.error = exc

        self.thread = threading.Thread(target=write, name="ingest-report")
        self.thread.start()

    def join(self) -> None:
        self.thread.join()
        if self.error is not None:
            raise self.error


def _write_report(run: _Run, workspace: Workspace, *, lang: str) -> None:
    """Write the run's report under ``outputs/reports``; a line of it when that fails."""
    try:
        run.result.report_path = write_report_csv(run.result, workspace.output_dir("reports"),
                                                  lang=lang)
    except WorkspaceGone as exc:
        run.add(str(workspace.root), "error", f"{exc} (the report of this run is not written)")
    except OSError as exc:
        run.add(str(workspace.outputs / "reports"), "error",
                f"{workspace.outputs / 'reports'}: the report could not be written: "
                f"{os_problem(exc)}")


def pipeline_workers(workers: int | None, sizes: list[int]) -> int:
    """How many worker processes read and normalise the new table files of ``sizes`` (bytes)
    ahead while this process stores them (``pipeline``): ``workers`` is how many processes
    read, this one included; by default two where the machine has two cores or more
    (``default_workers``), one otherwise. With two or more, ``workers`` - 1 worker processes
    read ahead, when there are at least two such files of together ``PARALLEL_MIN_BYTES`` or
    more (a worker costs about a third of a second of CPU to start, more than a small batch
    saves).

    Storing stays in this process and is the slower half: a second worker would only wait,
    so the default is one worker whatever the number of cores. Measured side by side
    (bench/ingest.py, 308 questionnaires and 2 x 5,000 export rows, 2 cores, load 1): one
    process 4.94-4.95 s and 141 MB; two 4.44-4.64 s and 194-199 MB for both (1.92-1.94x
    pandas reading the same files, within the 2x allowed). Both stream a long export batch
    by batch (``Prepared.batches``), so neither holds a whole one.
    """
    if workers is None:
        workers = default_workers()
    if workers < 2 or len(sizes) < 2 or sum(sizes) < PARALLEL_MIN_BYTES:
        return 0
    return workers - 1


def default_workers() -> int:
    """Processes that read by default: two (one worker beside this process) on a machine
    with two cores or more that this process may use, else one."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    return 2 if cores >= 2 else 1


def count_files(paths: Iterable[Path]) -> int:
    """Return how many files ``ingest_paths`` will read (for a progress bar)."""
    return len(expand_paths(paths))
