"""Ingest what municipalities send back: files, folders, saved emails -> stored practices.

``ingest_paths`` stores every file first (``store.Store.receive``), short-circuits content it
has seen before, picks a reader (``detect``), reads raw records (``questionnaire``, ``forms``,
``emails``), normalises each (``normalise.normalise_answers``), decides its municipalities
(token, questionnaire metadata, the answer's text through the name resolver, the sender's
domain; unresolved or ambiguous ones are flagged, never guessed) and stores it (``store``).
Every file and row ends up as one line of the returned report, which is also written to
``outputs/reports/ingest-<timestamp>.csv``. A bad file or row never stops the batch.
"""

from __future__ import annotations

import csv
import datetime as dt
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import InputError, SurveyError
from ..reports import Report, neutralise_csv_cell
from .detect import SOURCES
from .prepare import Prepared, Reader, default_workers, init_worker, prepare_in_worker
from .records import Mapping, RawRecord
from .store import Entry, RowResult, Store, list_practices, sha256_file

if TYPE_CHECKING:
    from sqlmodel import Session

    from ..config import Settings
    from ..db.models import ReceivedFile
    from ..normalise import NormalisedPractice
    from ..resolve import Resolver
    from ..workspace import Workspace

__all__ = ["SOURCES", "IngestReport", "ingest_paths", "list_practices"]

EMAIL_SUFFIXES = {".eml", ".msg"}
#: Below this many bytes of new tables, worker processes cost more than they save.
PARALLEL_MIN_BYTES = 2 * 1024 * 1024
#: A file this big is normalised by all workers together, each taking every n-th row.
SPLIT_MIN_BYTES = 512 * 1024
ARCHIVE_SUFFIXES = {".zip"}
TABLE_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".ods", ".csv", ".tsv", ".txt"}
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

    @property
    def failed(self) -> bool:
        return self.report.failed

    @property
    def counts(self) -> dict[str, int]:
        return self.report.counts

    def rows(self) -> list[dict[str, Any]]:
        """Return the report lines as dictionaries with ``REPORT_COLUMNS``."""
        out = []
        for outcome in self.report.outcomes:
            detail = outcome.detail
            out.append({"file": detail.get("file", outcome.source), "sheet": detail.get("sheet"),
                        "row": detail.get("row"), "format": detail.get("format"),
                        "outcome": outcome.status, "practice_id": detail.get("practice_id"),
                        "version": detail.get("version"), "reason": outcome.reason})
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"files": self.files, "counts": self.counts, "failed": self.failed,
                "seconds": round(self.seconds, 3),
                "report": str(self.report_path) if self.report_path else None,
                "mappings": [m.to_dict() for m in self.mappings], "items": self.rows()}


def expand_paths(paths: Iterable[Path]) -> list[Path]:
    """Return the files named, folders walked recursively (sorted; hidden files skipped)."""
    files: list[Path] = []
    for path in paths:
        path = Path(path)
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*") if p.is_file()
                                and not any(part.startswith(".") for part in p.relative_to(path).parts)
                                and not p.name.startswith("~$")))
        else:
            files.append(path)
    return files


class _Run:
    """One ingest run: the survey, the readers, the resolver and the store, built once."""

    def __init__(self, *, session: Session, workspace: Workspace, settings: Settings,
                 source: str) -> None:
        from sqlmodel import select

        from ..db.models import Municipality, SurveyToken

        if source not in SOURCES:
            raise InputError(f"unknown source {source!r}; use one of {', '.join(SOURCES)}")
        self.session = session
        self.workspace = workspace
        self.settings = settings
        self.source = source
        self.reader = Reader(workspace, source)
        self.detector = self.reader.detector
        self._resolver: Resolver | None = None  # built on first need (not for a re-ingest)
        self._resolved: dict[str, Any] = {}
        self.tokens: dict[str, str] = dict(
            session.exec(select(SurveyToken.token, SurveyToken.municipality_code)).all())
        self.active = set(session.exec(
            select(Municipality.code).where(Municipality.active == True)).all())  # noqa: E712
        self.store = Store(session, received_dir=workspace.output_dir("received"))
        self.result = IngestReport()

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
            code = self.tokens.get(record.token.strip())
            if code:
                codes.append((code, "token"))
            else:
                notes.append("unknown response token")
        if record.meta_code and not codes:
            if record.meta_code in self.active:
                codes.append((record.meta_code, "metadata"))
            else:
                notes.append(f"metadata names municipality code {record.meta_code}, not in force")
        elif record.meta_code and codes and record.meta_code != codes[0][0]:
            notes.append(f"token says {codes[0][0]}, metadata {record.meta_code}: token used")
        if municipality_text:
            resolution = self.resolve(municipality_text)
            codes.extend((code, "text") for code in resolution.codes)
            if resolution.status == "ambiguous":
                flags.append("municipality-ambiguous")
            elif resolution.status == "unresolved":
                flags.append("municipality-unresolved")
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

    # --- files -------------------------------------------------------------------------------

    def add(self, display: str, status: str, reason: str = "", **detail: Any) -> None:
        detail.setdefault("file", display)
        self.result.report.add(display if not detail.get("sheet") and not detail.get("row")
                               else f"{display}:{detail.get('sheet') or ''}"
                                    f"{':' + str(detail['row']) if detail.get('row') else ''}",
                               status, reason, **detail)

    def check(self, path: Path, display: str) -> tuple[str, int] | None:
        """Return (sha256, size) of a file not seen before; report it and return None if seen."""
        try:
            if path.is_dir():
                raise InputError(f"{display}: is a folder, expected a file")
            size = path.stat().st_size
            sha = sha256_file(path)
        except (FileNotFoundError, NotADirectoryError):
            self.add(display, "error", f"{display}: no such file")
            return None
        except PermissionError:
            self.add(display, "error", f"{display}: cannot be read (permission denied)")
            return None
        except InputError as exc:
            self.add(display, "error", str(exc))
            return None
        if self._seen(sha, display):
            return None
        return sha, size

    def _seen(self, sha: str, display: str) -> bool:
        """Report content received before (True); content whose reading was interrupted
        (status still "received") is read again (False)."""
        known = self.store.known(sha)
        if known is None:
            return False
        file_id, status = known
        if status == "received" and not self.store.has_submissions(file_id):
            return False  # stored, then interrupted before anything was read: read it again
        if status == "error":
            previous = self.store.error_of(file_id) or "could not be read"
            self.add(display, "error", f"{display}: received before (file {file_id}) and could "
                                       f"not be read then: {previous.replace(display, '').lstrip(': ')}")
            return True
        self.add(display, "already ingested",
                 f"same content as received file {file_id} ({status}); nothing changed")
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
        """Store one file, then read it; every problem becomes a report line."""
        name = name or path.name
        checked = checked or self.check(path, display)
        if checked is None:
            return
        sha, size = checked
        known = self.store.known(sha)
        if known is not None and known[1] != "received":
            self._seen(sha, display)  # the same content earlier in this batch
            return
        from ..tables import MAX_FILE_BYTES

        huge = size > MAX_FILE_BYTES
        if known is not None:  # an interrupted earlier run: carry on with its record
            received = self.store.resume(known[0])
        else:
            received = self.store.receive(path, sha=sha, name=name, size=size, sender=sender,
                                          message_time=message_time, parent_id=parent_id,
                                          copy=not huge)
        try:
            if huge:
                raise InputError(f"{display}: {size // (1024 * 1024)} MB is over the "
                                 f"{MAX_FILE_BYTES // (1024 * 1024)} MB limit; not opened "
                                 "(ask for the answers in a smaller file)")
            if size == 0:
                raise InputError(f"{display}: the file is empty; ask the sender to send it again")
            suffix = path.suffix.lower()
            if suffix in EMAIL_SUFFIXES or _looks_like_email(path):
                self._ingest_email(path, display=display, received=received)
            elif suffix in ARCHIVE_SUFFIXES:
                self._ingest_zip(path, display=display, received=received, sender=sender,
                                 message_time=message_time)
            elif suffix not in TABLE_SUFFIXES:
                raise InputError(f"{display}: a {suffix or 'suffix-less'} file is not read "
                                 "automatically (send the questionnaire, a form export, a CSV or "
                                 "an email); it is kept under outputs/received for a reviewer")
            else:
                result = None
                if prepared is not None:
                    try:
                        result = prepared()
                    except Exception:  # noqa: BLE001 - a lost worker: read it here instead
                        result = None
                if result is None:
                    result = self.reader.prepare(path, display)
                self._ingest_table(result, display=display, received=received, sender=sender)
        except SurveyError as exc:
            self.session.rollback()
            reason = str(exc).replace(str(path), display)
            self.store.finish_file(received, fmt=None, status="error", error=reason)
            self.add(display, "error", reason)
        except Exception as exc:  # noqa: BLE001 - one broken file must never stop the batch
            self.session.rollback()
            reason = (f"{display}: unexpected {type(exc).__name__} while reading; the file is "
                      "kept under outputs/received; please report it")
            self.store.finish_file(received, fmt=None, status="error", error=reason)
            self.add(display, "error", reason)

    def _ingest_table(self, prepared: Prepared, *, display: str, received: ReceivedFile,
                      sender: str | None) -> None:
        if prepared.error is not None or prepared.parsed is None:
            raise InputError(prepared.error or f"{display}: could not be read")
        parsed = prepared.parsed
        fmt = parsed.format
        for sheet_name, columns in parsed.mappings:
            self.result.mappings.append(FileMapping(display, sheet_name, fmt, columns))
        entries = [self._entry(record, practice, sender)
                   for record, practice in zip(parsed.records, prepared.practices, strict=True)]
        results = self.store.store_entries(received, fmt, entries)
        for note in parsed.notes:
            self.add(display, "note", note, format=fmt)
        for sheet, row, reason in parsed.problems:
            where = "".join(f"{part}:" for part in (sheet, row and f"row {row}") if part)
            self.add(display, "error", f"{display}:{where} {reason}", sheet=sheet, row=row,
                     format=fmt)
        status = "error" if parsed.problems and not parsed.records else "ingested"
        self.store.finish_file(received, fmt=fmt, status=status,
                               error="; ".join(r for *_, r in parsed.problems) or None)
        self._report_rows(display, fmt, results)

    def _entry(self, record: RawRecord, practice: NormalisedPractice | str | None,
               sender: str | None) -> Entry:
        if record.status != "practice":
            return Entry(record, None, status=record.status, reason=record.reason)
        if practice is None or isinstance(practice, str):
            return Entry(record, None, status="error", reason=practice or "not normalised")
        if practice.is_empty:
            return Entry(record, None, status="empty",
                         reason="nothing filled in; not a practice")
        codes, flags, notes = self.municipalities(record, practice.municipality_text, sender)
        if notes:
            record.reason = "; ".join(n for n in (record.reason, *notes) if n)
        return Entry(record, practice, codes, [*practice.flags, *flags, *record.note_flags()])

    def _report_rows(self, display: str, fmt: str, results: list[RowResult]) -> None:
        for result in results:
            outcome = result.outcome
            status = {"empty": "empty", "incomplete": "incomplete", "body-text": "body-text",
                      "error": "error"}.get(outcome, outcome)
            self.add(display, status, result.reason, sheet=result.sheet, row=result.row,
                     format=fmt, practice_id=result.practice_id, version=result.version,
                     locator=result.locator)

    # --- emails ------------------------------------------------------------------------------

    def _ingest_email(self, path: Path, *, display: str, received: ReceivedFile) -> None:
        from .emails import body_answers, read_eml, read_msg

        message = read_msg(path) if _is_msg(path) else read_eml(path)
        fmt = "msg" if _is_msg(path) else "eml"
        answers = body_answers(message.body, self.detector.mapper())
        results: list[RowResult] = []
        if answers or (not message.attachments and message.body.strip()):
            record = RawRecord(locator="body", raw={"subject": message.subject,
                                                    "body": message.body,
                                                    "answers": answers},
                               status="body-text",
                               reason="an answer typed in the message; a reviewer should read it"
                               if answers else "no attachment; the message text is kept for a "
                                               "reviewer")
            results = self.store.store_entries(received, fmt, [
                Entry(record, None, status="body-text", reason=record.reason)])
        self.store.finish_file(received, fmt=fmt, status="ingested", sender=message.sender,
                               message_time=message.time)
        self._report_rows(display, fmt, results)
        if not message.attachments and not message.body.strip():
            self.add(display, "error", f"{display}: the message has no attachment and no text; "
                                       "ask the sender to attach the questionnaire", format=fmt)
        with tempfile.TemporaryDirectory(prefix="yhteistuumin-att-") as tmp:
            for number, attachment in enumerate(message.attachments, start=1):
                folder = Path(tmp) / str(number)
                folder.mkdir()
                target = folder / attachment.name
                target.write_bytes(attachment.data)
                self.ingest_file(target, display=f"{display} » {attachment.name}",
                                 sender=message.sender, message_time=message.time,
                                 parent_id=received.id, name=attachment.name)


    def _ingest_zip(self, path: Path, *, display: str, received: ReceivedFile,
                    sender: str | None, message_time: dt.datetime | None) -> None:
        """Ingest the files of a zip archive (Google Forms downloads its CSV zipped)."""
        from ..tables import MAX_FILE_BYTES, check_zip
        from .emails import safe_name

        with check_zip(path) as archive:
            members = [info for info in archive.infolist() if not info.is_dir()
                       and not info.filename.startswith("__MACOSX/")
                       and not Path(info.filename).name.startswith(".")]
            self.store.finish_file(received, fmt="zip", status="ingested")
            if not members:
                raise InputError(f"{display}: the zip archive holds no files")
            with tempfile.TemporaryDirectory(prefix="yhteistuumin-zip-") as tmp:
                for number, info in enumerate(members, start=1):
                    name = safe_name(info.filename, f"file-{number}")
                    member_display = f"{display} » {name}"
                    if info.file_size > MAX_FILE_BYTES:
                        self.add(member_display, "error", f"{member_display}: over the "
                                 f"{MAX_FILE_BYTES // (1024 * 1024)} MB limit; not opened")
                        continue
                    folder = Path(tmp) / str(number)
                    folder.mkdir()
                    target = folder / name
                    target.write_bytes(archive.read(info))
                    self.ingest_file(target, display=member_display, sender=sender,
                                     message_time=message_time, parent_id=received.id,
                                     name=name)


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


def write_report_csv(result: IngestReport, folder: Path) -> Path:
    """Write the run's report as ``ingest-<timestamp>.csv`` (formulas neutralised)."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    path = folder / f"ingest-{stamp}.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(REPORT_COLUMNS)
        for row in result.rows():
            writer.writerow([neutralise_csv_cell("" if row[c] is None else str(row[c]))
                             for c in REPORT_COLUMNS])
    return path


def ingest_paths(paths: Iterable[Path], *, session: Session, workspace: Workspace,
                 settings: Settings, source: str = "auto",
                 progress: Callable[[int], Any] | None = None,
                 workers: int | None = None) -> IngestReport:
    """Ingest files and folders; return (and write under outputs/reports) what became of each.

    Files already received (same content) are reported and skipped before anything is read.
    With several new table files and more than one core, worker processes read and normalise
    them while this process stores the results in file order (``workers=1`` turns that off).
    """
    started = time.perf_counter()
    files = expand_paths(paths)
    run = _Run(session=session, workspace=workspace, settings=settings, source=source)
    checks: list[tuple[Path, tuple[str, int] | None]] = []
    for path in files:
        checked = run.check(path, str(path))
        checks.append((path, checked))
        run.result.files += 1
        if checked is None and progress is not None:
            progress(1)
    todo = [(path, checked) for path, checked in checks if checked is not None]
    workers = default_workers() if workers is None else max(1, workers)
    parallel = [path for path, (_sha, size) in todo if run.parallel_candidate(path, size)]
    pool = None
    futures: dict[Path, list[Any]] = {}
    if workers > 1 and len(parallel) >= 2 and \
            sum(c[1] for p, c in todo if p in set(parallel)) >= PARALLEL_MIN_BYTES:
        pool = _process_pool(min(workers, len(parallel)), workspace, source)
    sizes = dict(todo)
    try:
        if pool is not None:
            for path in parallel:
                # A long export is shared: each worker normalises every n-th of its rows.
                parts = workers if sizes[path][1] >= SPLIT_MIN_BYTES else 1
                futures[path] = [pool.submit(prepare_in_worker, str(path), str(path), part,
                                             parts) for part in range(parts)]
        for path, checked in todo:
            shares = futures.get(path)
            run.ingest_file(path, display=str(path), checked=checked,
                            prepared=_gather(shares) if shares else None)
            if progress is not None:
                progress(1)
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    if not files:
        run.add("", "error", "no files to ingest; name files or folders that hold them")
    run.result.seconds = time.perf_counter() - started
    run.result.report_path = write_report_csv(run.result, workspace.output_dir("reports"))
    return run.result


def _gather(shares: list[Any]) -> Callable[[], Prepared]:
    def result() -> Prepared:
        first = shares[0].result()
        return first.merge([share.result() for share in shares[1:]])

    return result


def _process_pool(workers: int, workspace: Workspace, source: str) -> Any:
    """Return a pool of forked workers, or None where fork is not available."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    try:
        context = multiprocessing.get_context("fork")
    except ValueError:  # pragma: no cover - no fork on this platform: read in this process
        return None
    return ProcessPoolExecutor(workers, mp_context=context, initializer=init_worker,
                               initargs=(workspace, source))


def count_files(paths: Iterable[Path]) -> int:
    """Return how many files ``ingest_paths`` will read (for a progress bar)."""
    return len(expand_paths(paths))
