"""Erase a person on request: their name, email address and phone number, everywhere.

The address is matched case-insensitively. Found with it: the names and phone numbers stored
beside it (contacts, practice versions, the contact rows of the raw submission), which are
then erased wherever they occur. What changes:

- database: contacts (email replaced by ``erased-<hash8>@invalid``, name and phone cleared,
  status ``erased``), practice versions (contact fields cleared; the address, name and phone
  replaced in the card texts), raw submissions (values rewritten), the outbox, bounces,
  contact-list problems, reviewer comments, received-file senders;
- files under ``outputs/``: ``.eml`` copies that mention the address are deleted (they are
  copies of what was sent, not evidence); review workbooks (``.xlsx``) and text reports
  (``.csv``, ``.json``, ``.txt``, ``.md``, ``.html``) are rewritten;
- received files: the stored copy of every file the person's data came in is deleted. Its
  bytes cannot be edited without breaking the content hash it is recorded under; the
  ReceivedFile row (hash, name, size, time) stays as the record that a file came in;
- the published site is republished from the cleaned database;
- files the coordinator keeps outside ``outputs/`` (the contact list under ``recipients/``)
  are not edited: they are named in the result, to be fixed by hand before a re-import.

An :class:`~.db.models.Erasure` row records the request by a keyed hash of the address and the
counts per place, never the data. Running it again changes nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import InputError
from .reports import plural, render_table

if TYPE_CHECKING:
    from sqlmodel import Session

    from .config import Settings
    from .workspace import Workspace

#: What replaces an erased name or phone number inside a text.
ERASED = "[poistettu]"
KEY_FILE = ".erasure-key"
_TEXT_SUFFIXES = {".csv", ".json", ".txt", ".md", ".html", ".tsv"}
_CONTACT_FIELDS = ("contact_name", "contact_email", "contact_phone")


@dataclass
class ErasureResult:
    """What ``forget`` changed, by place (counts only)."""

    subject_hash: str
    counts: dict[str, int] = field(default_factory=dict)
    recorded: bool = False
    #: Files outside outputs/ that still hold the address (the coordinator's own inputs).
    left: list[str] = field(default_factory=list)

    @property
    def changed(self) -> int:
        return sum(self.counts.values())

    failed = False

    def rows(self) -> list[dict[str, Any]]:
        return [{"place": place, "changed": count} for place, count in sorted(self.counts.items())]

    def table(self) -> tuple[list[str], list[dict[str, Any]]]:
        return ["place", "changed"], self.rows()

    def summary(self) -> list[str]:
        lines = [f"Erased from {plural(len(self.counts), 'place')}." if self.changed else
                 "Nothing to erase: the address is nowhere in the database or under outputs/."]
        if self.recorded:
            lines.append(f"Recorded as erasure {self.subject_hash[:12]}… (a keyed hash, not the "
                         "address).")
        return lines

    def text(self) -> str:
        return "\n".join(([render_table(self.rows(), ["place", "changed"])] if self.changed
                          else []) + self.summary())

    def warnings(self) -> list[str]:
        return [f"{path}: still holds the address; remove that row by hand, or the next contact "
                "import brings the person back" for path in self.left]

    def to_dict(self) -> dict[str, Any]:
        return {"subject_hash": self.subject_hash, "counts": self.counts,
                "recorded": self.recorded, "left": self.left}


def _key(workspace: Workspace) -> bytes:
    """Return the workspace's secret key for hashing erased addresses (made on first use)."""
    path = workspace.outputs / KEY_FILE
    if path.exists():
        return path.read_bytes().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32).encode()
    path.write_bytes(key + b"\n")
    path.chmod(0o600)
    return key


def subject_hash(workspace: Workspace, email: str) -> str:
    """Return the keyed hash (HMAC-SHA256) of an address, as recorded in Erasure rows."""
    return hmac.new(_key(workspace), email.strip().casefold().encode(), hashlib.sha256).hexdigest()


def placeholder(digest: str) -> str:
    """Return the address that replaces an erased one."""
    return f"erased-{digest[:8]}@invalid"


class _Scrubber:
    """Replace the address, and the names and phones found with it, inside texts."""

    def __init__(self, email: str, replacement: str):
        self.email = email.strip().casefold()
        self.replacement = replacement
        self.names: set[str] = set()
        self.phones: set[str] = set()

    def add_name(self, name: str | None) -> None:
        # Only a full name (two words or more) is erased inside texts: a lone first name
        # would also erase ordinary words.
        if name and len(name.split()) >= 2 and len(name.strip()) >= 5:
            self.names.add(" ".join(name.split()))

    def add_phone(self, phone: str | None) -> None:
        digits = re.sub(r"\D", "", phone or "")
        if len(digits) >= 6:
            self.phones.add(digits)

    def has_email(self, text: str | None) -> bool:
        return bool(text) and self.email in text.casefold()  # type: ignore[union-attr]

    def text(self, text: str) -> str:
        """Return ``text`` with the address, the names and the phone numbers replaced."""
        result = re.sub(re.escape(self.email), self.replacement, text, flags=re.IGNORECASE)
        for name in sorted(self.names, key=len, reverse=True):
            pattern = r"\s+".join(re.escape(part) for part in name.split())
            result = re.sub(pattern, ERASED, result, flags=re.IGNORECASE)
        for digits in self.phones:
            # The national digits with the usual separators: "040 123 4567", "+358-40-1234567".
            core = digits[3:] if digits.startswith("358") else digits.lstrip("0")
            pattern = r"(?:\+\s*358|00\s*358|0)?[\s\-()]*" + r"[\s\-()]*".join(core)
            result = re.sub(pattern, ERASED, result)
        return result

    def value(self, value: Any) -> Any:
        """Return a JSON value with every string in it scrubbed."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            return [self.value(item) for item in value]
        if isinstance(value, dict):
            return {key: self.value(item) for key, item in value.items()}
        return value


def _mentions(value: Any, email: str) -> bool:
    if isinstance(value, str):
        return email in value.casefold()
    if isinstance(value, list):
        return any(_mentions(item, email) for item in value)
    if isinstance(value, dict):
        return any(_mentions(item, email) for item in value.values())
    return False


def _contact_fields_nearby(value: Any, headings: dict[str, str], scrubber: _Scrubber) -> None:
    """Collect the names and phones stored beside the address in a raw submission."""
    if isinstance(value, dict):
        for key, item in value.items():
            field_name = headings.get(_fold(str(key)))
            if field_name == "contact_name" and isinstance(item, str):
                scrubber.add_name(item)
            elif field_name == "contact_phone" and isinstance(item, str | int):
                scrubber.add_phone(str(item))
            else:
                _contact_fields_nearby(item, headings, scrubber)
    elif isinstance(value, list):
        # A questionnaire row: [label, answer, …].
        cells = [item for item in value if item not in (None, "")]
        if len(cells) >= 2 and isinstance(cells[0], str):
            field_name = headings.get(_fold(cells[0]))
            if field_name == "contact_name" and isinstance(cells[1], str):
                scrubber.add_name(cells[1])
            elif field_name == "contact_phone":
                scrubber.add_phone(str(cells[1]))
        for item in value:
            if isinstance(item, list | dict):
                _contact_fields_nearby(item, headings, scrubber)


def _fold(text: str) -> str:
    from .survey import fold

    return fold(text)


def _headings(workspace: Workspace) -> dict[str, str]:
    from .survey import workspace_survey

    survey = workspace_survey(workspace)
    index = {}
    for folded, question_id in survey.heading_index().items():
        field_name = survey.question(question_id).field
        if field_name in _CONTACT_FIELDS:
            index[folded] = field_name
    return index


def _scrub_fields(row: Any, names: tuple[str, ...], scrubber: _Scrubber) -> list[str]:
    """Scrub the person from the text fields ``names`` of ``row``; return the ones changed."""
    changed = []
    for name in names:
        value = getattr(row, name)
        if value and (cleaned := scrubber.text(value)) != value:
            setattr(row, name, cleaned)
            changed.append(name)
    return changed


def forget_person(workspace: Workspace, email: str, *, session: Session, settings: Settings,
                  republish: Callable[[], Any] | None = None) -> ErasureResult:
    """Erase a person's name, email and phone everywhere; record it; return what changed."""
    from sqlalchemy import func, update
    from sqlmodel import select

    from .db.models import (
        Bounce,
        Contact,
        ContactProblem,
        Erasure,
        OutboundMessage,
        Practice,
        PracticeVersion,
        ReceivedFile,
        ReviewDecision,
        Submission,
    )

    email = email.strip()
    if "@" not in email or len(email) < 3 or any(ch.isspace() for ch in email):
        raise InputError(f"{email!r}: not an email address; give the address to erase, "
                         "e.g. yhteistuumin forget etunimi.sukunimi@kunta.fi")
    needle = email.casefold()
    digest = subject_hash(workspace, email)
    replacement = placeholder(digest)
    scrubber = _Scrubber(needle, replacement)
    counts: Counter[str] = Counter()
    headings = _headings(workspace)

    # 1. Who: contacts and practice versions with the address give the names and phones.
    contacts = list(session.exec(select(Contact).where(func.lower(Contact.email) == needle)))
    for contact in contacts:
        scrubber.add_name(contact.name)
        scrubber.add_phone(contact.phone)
    versions = list(session.exec(select(PracticeVersion)))
    matched_versions = [v for v in versions if (v.contact_email or "").casefold() == needle
                        or scrubber.has_email(v.contact_text)]
    for version in matched_versions:
        scrubber.add_name(version.contact_name)
        scrubber.add_phone(version.contact_phone)
    submissions = list(session.exec(select(Submission)))
    matched_submissions = [s for s in submissions if _mentions(s.raw, needle)]
    matched_submission_ids = {s.id for s in matched_submissions}
    for version in versions:
        if version.submission_id in matched_submission_ids and version not in matched_versions:
            matched_versions.append(version)
            scrubber.add_name(version.contact_name)
            scrubber.add_phone(version.contact_phone)
    for submission in matched_submissions:
        _contact_fields_nearby(submission.raw, headings, scrubber)

    # 2. The database.
    for contact in contacts:
        contact.email, contact.name, contact.phone = replacement, None, None
        contact.status = "erased"
        session.add(contact)
        counts["contacts"] += 1
    text_fields = ("title", "goal", "summary", "implementation", "resources", "experiences",
                   "benefits", "municipality_text")
    retitled: set[int] = set()  # practices whose title named the person
    for version in versions:
        changed = False
        if version in matched_versions and any(
                getattr(version, name) for name in (*_CONTACT_FIELDS, "contact_text")):
            for name in (*_CONTACT_FIELDS, "contact_text"):
                setattr(version, name, None)
            changed = True
        scrubbed = _scrub_fields(version, text_fields, scrubber)
        changed = changed or bool(scrubbed)
        if "title" in scrubbed:
            retitled.add(version.practice_id)
        # Notes typed beside the answers ride in the flags as typed; they may name the person.
        flags = [scrubber.text(flag) if flag.startswith("note:") else flag
                 for flag in version.flags or []]
        if flags != list(version.flags or []):
            version.flags = flags
            changed = True
        if changed:
            session.add(version)
            counts["practice_versions"] += 1
    for submission in submissions:
        cleaned = scrubber.value(submission.raw)
        if submission.id in matched_submission_ids:
            cleaned = _erase_nearby(cleaned, headings)
        if cleaned != submission.raw:
            submission.raw = cleaned
            session.add(submission)
            counts["submissions"] += 1
    for message in session.exec(select(OutboundMessage)):
        changed = False
        if (message.address or "").casefold() == needle:
            message.address = replacement
            changed = True
        changed = bool(_scrub_fields(message, ("smtp_response", "error"), scrubber)) or changed
        if changed:
            session.add(message)
            counts["outbound_messages"] += 1
    for bounce in session.exec(select(Bounce)):
        changed = False
        if (bounce.address or "").casefold() == needle:
            bounce.address = replacement
            changed = True
        changed = bool(_scrub_fields(bounce, ("detail", "source"), scrubber)) or changed
        if changed:
            session.add(bounce)
            counts["bounces"] += 1
    for problem in session.exec(select(ContactProblem)):
        if _scrub_fields(problem, ("text", "reason"), scrubber):
            session.add(problem)
            counts["contact_problems"] += 1
    for practice in session.exec(select(Practice)):
        scrubbed = _scrub_fields(practice, ("reviewer_comment", "corrected_title"), scrubber)
        if "corrected_title" in scrubbed:
            retitled.add(practice.id or 0)
        if scrubbed:
            session.add(practice)
            counts["practices"] += 1
    if retitled:
        # The page's address was made from the title: erasure outranks a stable URL, so the
        # next publish names the page after the cleaned title. (A statement, not the loaded
        # objects: publish pins slugs with one, so those may not show the stored value.)
        table = Practice.__table__  # type: ignore[attr-defined]
        p = table.c
        session.execute(update(table).where(
            p.id.in_(sorted(retitled)), p.published_slug.is_not(None)).values(published_slug=None))
    for decision in session.exec(select(ReviewDecision)):
        if _scrub_fields(decision, ("comment",), scrubber):
            session.add(decision)
            counts["review_decisions"] += 1
    received_ids = {s.received_file_id for s in matched_submissions}
    for received in session.exec(select(ReceivedFile)):
        if (received.sender or "") and scrubber.has_email(received.sender):
            received.sender = replacement
            session.add(received)
            counts["received_file_senders"] += 1
            if received.id is not None:
                received_ids.add(received.id)
    session.flush()

    # 3. Files under outputs/.
    received_paths = _received_paths(workspace, session, received_ids)
    all_received = _received_paths(workspace, session, None)
    # Any other stored copy whose bytes show the address (CSV, saved mail) goes as well.
    received_paths |= {path for path in all_received - received_paths
                       if path.is_file() and needle.encode() in path.read_bytes().lower()}
    counts["received_copies_deleted"] += _delete_received(received_paths)
    site = workspace.outputs / "site"
    for path in sorted(workspace.outputs.rglob("*")) if workspace.outputs.is_dir() else []:
        if not path.is_file() or path.resolve() in all_received or _inside(path, site):
            continue
        if path.name == KEY_FILE:
            continue
        suffix = path.suffix.lower()
        if suffix == ".eml":
            if _eml_mentions(path, needle):
                path.unlink()
                counts["eml_copies_deleted"] += 1
        elif suffix == ".xlsx":
            if _rewrite_workbook(path, scrubber):
                counts["workbooks"] += 1
        elif suffix in _TEXT_SUFFIXES:
            if _rewrite_text(path, scrubber):
                counts["output_files"] += 1

    # 4. The published site, from the cleaned database.
    if republish is not None and site.is_dir():
        result = republish()
        changed_files = len(getattr(result, "written", [])) + len(getattr(result, "removed", []))
        counts["site_files"] += max(0, changed_files - 1)  # the site's manifest aside

    # The coordinator's own input files are not ours to edit: name them instead.
    left = []
    for folder in ("recipients",):
        base = workspace.root / folder
        for path in sorted(base.rglob("*")) if base.is_dir() else []:
            if path.is_file() and path.stat().st_size < 50_000_000 and (
                    needle.encode() in path.read_bytes().lower()
                    or (path.suffix.lower() == ".xlsx" and _workbook_mentions(path, needle))):
                left.append(path.relative_to(workspace.root).as_posix())

    counts = Counter({place: n for place, n in counts.items() if n})
    previous = session.exec(select(Erasure).where(Erasure.subject_hash == digest)).first()
    recorded = False
    if counts or previous is None:
        session.add(Erasure(subject_hash=digest, counts=dict(sorted(counts.items()))))
        recorded = True
    session.commit()
    return ErasureResult(subject_hash=digest, counts=dict(sorted(counts.items())), recorded=recorded,
                         left=left)


def _erase_nearby(value: Any, headings: dict[str, str]) -> Any:
    """Blank the contact fields (name, email, phone) of a raw submission that held the address."""
    if isinstance(value, dict):
        return {key: (None if headings.get(_fold(str(key))) in _CONTACT_FIELDS
                      and not isinstance(item, dict | list) else _erase_nearby(item, headings))
                for key, item in value.items()}
    if isinstance(value, list):
        cells = [item for item in value if item not in (None, "")]
        if (len(cells) >= 2 and isinstance(cells[0], str)
                and headings.get(_fold(cells[0])) in _CONTACT_FIELDS
                and not any(isinstance(item, list | dict) for item in value)):
            first = value.index(cells[0])
            return [item if i <= first else None for i, item in enumerate(value)]
        return [_erase_nearby(item, headings) for item in value]
    return value


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
    except ValueError:
        return False
    return True


def _received_paths(workspace: Workspace, session: Session, ids: set[Any] | None) -> set[Path]:
    from sqlmodel import select

    from .db.models import ReceivedFile

    paths: set[Path] = set()
    for received in session.exec(select(ReceivedFile)):
        if ids is not None and received.id not in ids:
            continue
        stored = Path(received.stored_path)
        paths.add((stored if stored.is_absolute() else workspace.root / stored).resolve())
    return paths


def _delete_received(paths: set[Path]) -> int:
    deleted = 0
    for path in sorted(paths):
        if path.is_file():
            path.unlink()
            deleted += 1
    return deleted


def _eml_mentions(path: Path, needle: str) -> bool:
    """Tell whether a saved message mentions the address in its headers, text or raw bytes."""
    from email import message_from_bytes, policy

    data = path.read_bytes()
    if needle.encode() in data.lower():
        return True
    message = message_from_bytes(data, policy=policy.default)
    for _name, value in message.items():
        if needle in str(value).casefold():
            return True
    for part in message.walk():
        if part.get_content_maintype() == "text":
            try:
                content = part.get_content()
            except (LookupError, ValueError):
                continue
            if isinstance(content, str) and needle in content.casefold():
                return True
    return False


def _rewrite_workbook(path: Path, scrubber: _Scrubber) -> bool:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path)
    except Exception:  # noqa: BLE001 - not a workbook we can edit: leave it
        return False
    changed = False
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    cleaned = scrubber.text(cell.value)
                    if cleaned != cell.value:
                        cell.value = cleaned
                        changed = True
    if changed:
        workbook.save(path)
    return changed


def _workbook_mentions(path: Path, needle: str) -> bool:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True)
    except Exception:  # noqa: BLE001 - unreadable: nothing to report
        return False
    try:
        return any(isinstance(value, str) and needle in value.casefold()
                   for sheet in workbook.worksheets for row in sheet.iter_rows(values_only=True)
                   for value in row)
    finally:
        workbook.close()


def _rewrite_text(path: Path, scrubber: _Scrubber) -> bool:
    try:
        text = path.read_text(encoding="utf-8")
    except (UnicodeDecodeError, OSError):
        return False
    cleaned = scrubber.text(text)
    if cleaned == text:
        return False
    path.write_text(cleaned, encoding="utf-8")
    return True
