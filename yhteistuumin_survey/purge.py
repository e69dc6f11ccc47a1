"""Remove what the round no longer needs after a date: received originals, message copies, reports.

What each kind is, and what stays:

- ``received``: the stored copies of files that came in (``outputs/received/``), by the time
  they were received. The database keeps the record that a file came in (its name, size,
  content hash and time) and everything read from it (the answers and practices): those go
  with ``forget`` or not at all.
- ``messages``: the ``.eml`` copies of messages written under ``outputs/outbox/`` (dry runs, and
  the copy of every message sent, byte for byte). The outbox rows (who was sent what, when,
  the server's answer) stay: they are what keeps a municipality from being mailed twice.
- ``reports``: the files under ``outputs/reports/`` (ingest reports, charts), by their time.

A file counts as older than ``before`` when it was received (or last written) on an earlier
day in Finland's time. ``dry_run`` lists what would go and deletes nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .finnish_time import HELSINKI

if TYPE_CHECKING:
    from sqlmodel import Session

    from .workspace import Workspace

KINDS = ("received", "messages", "reports")
_LABEL = {"received": "received file", "messages": "copy of a message", "reports": "report"}


@dataclass
class PurgedFile:
    """One file that goes (or, in a dry run, would go)."""

    kind: str
    path: str
    date: str
    size: int
    #: Why the file could not be deleted ("" when it was, or in a dry run would be).
    error: str = ""


@dataclass
class PurgeResult:
    """What a purge removed (or would remove), file by file."""

    before: str
    kinds: list[str]
    dry_run: bool = False
    files: list[PurgedFile] = field(default_factory=list)
    #: Received files among ``files`` holding a practice no reviewer has decided yet.
    undecided: list[str] = field(default_factory=list)
    #: Received files among ``files`` whose reading failed: ``ingest --retry-failed`` reads
    #: them again from these copies, the only ones the workspace has.
    unread: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return any(f.error for f in self.files)

    @property
    def size(self) -> int:
        return sum(f.size for f in self.files if not f.error)

    def summary(self) -> list[str]:
        kept = [f for f in self.files if f.error]
        n = len(self.files) - len(kept)
        what = " and ".join(self.kinds)
        if not self.files:
            return [f"Nothing to purge: no {what} older than {self.before}."]
        files = f"{n} file{'' if n == 1 else 's'} ({_size(self.size)})"
        warning = []
        if self.undecided:
            # The round's rule is to keep the originals until the practices are decided: the
            # reviewers compare a practice with what came in. Said, not refused (it is a date
            # the coordinator chose).
            u = len(self.undecided)
            warning = [f"Warning: {u} of the received files {'holds' if u == 1 else 'hold'} "
                       "practices the reviewers have not decided yet (new or waiting for more "
                       f"information): {', '.join(self.undecided[:3])}"
                       f"{' …' if u > 3 else ''}; the reviewers may still need "
                       f"{'it' if u == 1 else 'them'}"]
        if self.unread:
            u = len(self.unread)
            warning.append(
                f"Warning: {u} of the received files {'was' if u == 1 else 'were'} never read "
                f"(reading failed): {', '.join(self.unread[:3])}{' …' if u > 3 else ''}; "
                "'yhteistuumin ingest --retry-failed' reads "
                f"{'it' if u == 1 else 'them'} again from these copies, the only ones kept: "
                "fix what the ingest report said and run it first, or ingest "
                f"{'it' if u == 1 else 'them'} again from where "
                f"{'it' if u == 1 else 'they'} came after the purge")
        if self.dry_run:
            return [f"Dry run: {files} older than {self.before} would be deleted; nothing was "
                    "changed.", *warning]
        if kept:
            k = len(kept)
            warning.append(f"{k} file{' was' if k == 1 else 's were'} not deleted (said "
                           "above); deal with what is said, then run the same command again")
        return [f"Deleted {files} older than {self.before}.", *warning]

    def text(self) -> str:
        """A line per file, then the summary."""
        from .reports import render_table

        columns, rows = self.table()
        return "\n".join(([render_table(rows, columns)] if rows else []) + self.summary())

    def table(self) -> tuple[list[str], list[dict[str, Any]]]:
        columns = ["what", "path", "date"] + (["not deleted"] if self.failed else [])
        return columns, [
            {"what": _LABEL[f.kind], "path": f.path, "date": f.date,
             **({"not deleted": f.error} if self.failed else {})} for f in self.files]

    def to_dict(self) -> dict[str, Any]:
        return {"before": self.before, "kinds": self.kinds, "dry_run": self.dry_run,
                "files": [vars(f) for f in self.files], "bytes": self.size,
                "undecided": list(self.undecided), "unread": list(self.unread)}


def _size(n: int) -> str:
    for unit in ("bytes", "kB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1000  # type: ignore[assignment]
    return str(n)  # pragma: no cover


def purge_outputs(workspace: Workspace, *, session: Session, before: dt.date,
                  kinds: list[str], dry_run: bool = False) -> PurgeResult:
    """Delete (``dry_run``: list) the files of ``kinds`` older than ``before``."""
    unknown = [k for k in kinds if k not in KINDS]
    if unknown or not kinds:
        raise ValueError(f"kinds must be among {KINDS}, got {kinds}")
    result = PurgeResult(before=before.isoformat(), kinds=list(kinds), dry_run=dry_run)
    found: list[tuple[str, Path, dt.date]] = []
    if "received" in kinds:
        found += _received(workspace, session, before)
        going = {path.resolve() for kind, path, _day in found if kind == "received"}
        result.undecided = [name for path, name in _undecided(workspace, session)
                            if path in going]
        result.unread = [name for path, name in _unread(workspace, session) if path in going]
    if "messages" in kinds:
        found += _older(workspace, workspace.outputs / "outbox", before, "messages",
                        suffixes=(".eml",))
    if "reports" in kinds:
        found += _older(workspace, workspace.outputs / "reports", before, "reports")
    found.sort(key=lambda item: (KINDS.index(item[0]), item[1]))
    try:
        for kind, path, day in found:
            _purge_one(workspace, result, kind, path, day, dry_run=dry_run)
    except KeyboardInterrupt:
        if dry_run:
            raise
        from .errors import Interrupted

        deleted = sum(1 for f in result.files if not f.error)
        raise Interrupted(_stopped(deleted, len(found))) from None
    return result


def _purge_one(workspace: Workspace, result: PurgeResult, kind: str, path: Path,
               day: dt.date, *, dry_run: bool) -> None:
    """Delete one file (list it in a dry run); one that cannot be deleted is listed with
    the reason, and the purge goes on."""
    where = path.relative_to(workspace.root).as_posix()
    try:
        size = path.stat().st_size
        if not dry_run:
            path.unlink()
    except FileNotFoundError:  # gone meanwhile (another purge): nothing to do
        return
    except OSError as exc:  # a file open on Windows, a read-only share: said, the rest go
        from .faults import os_fault

        exc.filename = None
        result.files.append(PurgedFile(kind, where, day.isoformat(), 0, os_fault(exc)))
        return
    result.files.append(PurgedFile(kind, where, day.isoformat(), size))


def _stopped(done: int, total: int) -> str:
    """What an interrupted purge says: how far it got, that the rest is kept, what to do."""
    return (f"{done} of the {total} files {'was' if done == 1 else 'were'} deleted before the "
            f"stop, the other {total - done} {'is' if total - done == 1 else 'are'} kept; run "
            "the same command again to delete them")


def _received(workspace: Workspace, session: Session,
              before: dt.date) -> list[tuple[str, Path, dt.date]]:
    """Stored received files older than ``before``: by the time recorded, else the file's."""
    from sqlmodel import select

    from .db.models import ReceivedFile

    folder = (workspace.outputs / "received").resolve()
    recorded: dict[Path, dt.date] = {}

    for received in session.exec(select(ReceivedFile)):
        stored = workspace.stored_file(received.stored_path)  # (a moved workspace too)
        if stored is None:
            continue
        path = stored.resolve()
        if received.received_at is not None:
            when = received.received_at
            if when.tzinfo is None:
                when = when.replace(tzinfo=dt.UTC)
            recorded[path] = when.astimezone(HELSINKI).date()
    found = []
    for path in sorted(folder.rglob("*")) if folder.is_dir() else []:
        if not path.is_file():
            continue
        day = recorded.get(path.resolve()) or _file_day(path)
        if day < before:
            found.append(("received", path, day))
    return found


def _undecided(workspace: Workspace, session: Session) -> list[tuple[Path, str]]:
    """(stored path, original name) of received files holding a practice still new or
    waiting for more information."""
    from sqlmodel import col, select

    from .db.models import Practice, PracticeVersion, ReceivedFile, Submission

    rows = session.exec(
        select(ReceivedFile.stored_path, ReceivedFile.original_name)
        .join(Submission, col(Submission.received_file_id) == col(ReceivedFile.id))
        .join(PracticeVersion, col(PracticeVersion.submission_id) == col(Submission.id))
        .join(Practice, col(Practice.id) == col(PracticeVersion.practice_id))
        .where(col(Practice.status).in_(("new", "needs-info")))).all()
    found: dict[Path, str] = {}
    for stored_path, name in rows:
        stored = workspace.stored_file(stored_path)
        if stored is not None:
            found.setdefault(stored.resolve(), name)
    return sorted(found.items(), key=lambda item: item[1])


def _unread(workspace: Workspace, session: Session) -> list[tuple[Path, str]]:
    """(stored path, original name) of received files whose reading failed."""
    from sqlmodel import col, select

    from .db.models import ReceivedFile

    found: dict[Path, str] = {}
    for stored_path, name in session.exec(
            select(ReceivedFile.stored_path, ReceivedFile.original_name)
            .where(col(ReceivedFile.status) == "error")).all():
        stored = workspace.stored_file(stored_path)
        if stored is not None:
            found.setdefault(stored.resolve(), name)
    return sorted(found.items(), key=lambda item: item[1])


def _older(workspace: Workspace, folder: Path, before: dt.date, kind: str,
           suffixes: tuple[str, ...] = ()) -> list[tuple[str, Path, dt.date]]:
    found = []
    for path in sorted(folder.rglob("*")) if folder.is_dir() else []:
        if path.is_file() and (not suffixes or path.suffix.lower() in suffixes):
            day = _file_day(path)
            if day < before:
                found.append((kind, path, day))
    return found


def _file_day(path: Path) -> dt.date:
    return dt.datetime.fromtimestamp(path.stat().st_mtime, HELSINKI).date()
