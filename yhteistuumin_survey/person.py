"""What is held about one person, for a right-of-access request (GDPR art. 15).

The person is found by their address with the same whole-address matcher ``forget`` uses
(:class:`~.privacy.AddressMatcher`): ``koulu@hel.fi`` never brings in ``kalle.koulu@hel.fi``.
Their records (contacts, practice versions and raw answers that are theirs) give their names
and phone numbers, which then find the practices and review decisions that name them. Of
anyone else nothing is shown: a practice that only names the person is listed by its number,
title and the fields that name them, never with its own contact.

Reading only: no row and no file is written (the erasure key is not made when missing).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .privacy import (
    KEY_FILE,
    AddressMatcher,
    Scrubber,
    canonical_address,
    find_records,
    hide_others,
    own_part,
)

if TYPE_CHECKING:
    from sqlmodel import Session

    from .workspace import Workspace

SECTIONS: dict[str, str] = {
    "contacts": "Contact details and where they came from",
    "messages": "Messages sent to the address",
    "bounces": "Bounces and automatic replies",
    "received": "Files received from the person or holding their answer",
    "practices": "Practices where the person is the contact or is named",
    "decisions": "Review decisions and reviewers' notes that name the person",
    "contact_problems": "Rows of a contact list that could not be imported",
    "fetched": "Notes kept on messages read from the mailbox",
    "files": "Other files under outputs/ that hold the address",
    "erasures": "Erasures done",
}

_NOUNS = {"contacts": ("contact", "contacts"), "messages": ("message", "messages"),
          "bounces": ("bounce", "bounces"), "received": ("received file", "received files"),
          "practices": ("practice", "practices"),
          "decisions": ("review decision", "review decisions"),
          "contact_problems": ("contact-list row", "contact-list rows"),
          "fetched": ("mailbox note", "mailbox notes"), "files": ("file", "files"),
          "erasures": ("erasure", "erasures")}


@dataclass
class PersonReport:
    """Everything held about one person, by section (rows of plain values)."""

    email: str
    sections: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    #: The workbook the report was also written to (``person --out``), if any.
    written: Path | None = None

    @property
    def failed(self) -> bool:
        return False

    def text(self) -> str:
        """A line per thing held, then the summary."""
        from .reports import render_table

        columns, rows = self.table()
        lines = [render_table(rows, columns)] if rows else []
        lines += self.summary()
        if self.written is not None:
            lines.append(f"Written to {self.written}.")
        return "\n".join(lines)

    @property
    def found(self) -> int:
        return sum(len(rows) for rows in self.sections.values())

    def summary(self) -> list[str]:
        if not self.found:
            return [f"Nothing is held about {self.email}."]
        parts = [f"{len(rows)} {_NOUNS[name][len(rows) != 1]}"
                 for name, rows in self.sections.items() if rows]
        return [f"Held about {self.email}: " + ", ".join(parts) + "."]

    def table(self) -> tuple[list[str], list[dict[str, Any]]]:
        rows = []
        for name, items in self.sections.items():
            for item in items:
                rows.append({"section": SECTIONS[name],
                             "details": "; ".join(f"{k}: {v}" for k, v in item.items()
                                                  if v not in (None, "", []))})
        return ["section", "details"], rows

    def to_dict(self) -> dict[str, Any]:
        return {"email": self.email, "sections": self.sections}


def _time(value: Any) -> str | None:
    return value.isoformat(timespec="seconds") if value is not None else None


def person_report(workspace: Workspace, email: str, *, session: Session) -> PersonReport:
    """Return everything the database holds about the person with this address."""
    matcher = AddressMatcher(email)
    records = find_records(workspace, matcher, session=session)
    scrubber = Scrubber(matcher, "")
    scrubber.names, scrubber.phones = set(records.names), set(records.phones)

    def names_person(text: Any) -> bool:
        """The text shows the address, a name or a phone number of the person."""
        return isinstance(text, str) and bool(text) and scrubber.text(text) != text

    def names_person_in_notes(text: Any) -> bool:
        """A reviewers' note on the person's own practice names them (a first name alone too)."""
        return isinstance(text, str) and bool(text) and scrubber.notes(text) != text

    report = PersonReport(email=email.strip())
    # A contact-list row naming several people gave each their own contact with the whole
    # cells: only the person's part of the name and phone is theirs to see.
    every = [*records.contacts, *records.sibling_contacts]
    parts = {id(c): own_part(c, every) for c in records.contacts}
    report.sections["contacts"] = [{
        "municipality": c.municipality_code, "email": c.email, "name": parts[id(c)][0],
        "role": c.role, "phone": parts[id(c)][1], "status": c.status,
        "source_file": c.source_file, "source_row": c.source_row, "added": _time(c.created_at),
        "bounce_reason": c.bounce_reason} for c in records.contacts]
    report.sections["messages"] = _messages(session, matcher)
    report.sections["bounces"] = _bounces(session, matcher)
    report.sections["received"] = _received(session, matcher, records)
    report.sections["practices"] = _practices(session, records, names_person)
    report.sections["decisions"] = _decisions(session, names_person, names_person_in_notes,
                                              records.practice_ids)
    report.sections["contact_problems"] = _contact_problems(session, matcher)
    report.sections["fetched"] = _fetched(session, matcher)
    report.sections["files"] = _files(workspace, session, matcher)
    report.sections["erasures"] = _erasures(workspace, session, email)
    # Texts that others are in too (an auto-reply naming a colleague, an SMTP answer, a
    # contact-list row): the person sees their own part, not the others' addresses or numbers.
    for rows in report.sections.values():
        for row in rows:
            for key in _FREE_TEXTS.intersection(row):
                row[key] = hide_others(row[key], matcher, records.phones)
    return report


#: The fields of a report row that hold free text (others may be in it).
_FREE_TEXTS = {"detail", "text", "reason", "comment", "server_answer", "error", "bounce_reason"}


def _contact_problems(session: Session, matcher: AddressMatcher) -> list[dict[str, Any]]:
    from sqlmodel import col, select

    from .db.models import ContactProblem

    return [{"file": p.source_file, "row": p.source_row, "problem": p.kind, "text": p.text,
             "reason": p.reason, "noted": _time(p.created_at)}
            for p in session.exec(select(ContactProblem).order_by(col(ContactProblem.id)))
            if matcher.mentions(p.text) or matcher.mentions(p.reason)]


def _fetched(session: Session, matcher: AddressMatcher) -> list[dict[str, Any]]:
    from sqlmodel import col, select

    from .db.models import FetchedMessage

    return [{"folder": f.folder, "uid": f.uid, "outcome": f.outcome, "detail": f.detail,
             "read": _time(f.finished_at or f.claimed_at)}
            for f in session.exec(select(FetchedMessage).order_by(col(FetchedMessage.id)))
            if matcher.mentions(f.detail)]


def _files(workspace: Workspace, session: Session, matcher: AddressMatcher) -> list[dict[str, Any]]:
    """The files under outputs/ (message copies, reports, review workbooks) that show the
    address; received files are listed above, the site is what the practices section says."""
    from sqlmodel import select

    from .db.models import ReceivedFile
    from .privacy import files_showing, stored_file

    root = workspace.root.resolve()
    received = {path.resolve() for r in session.exec(select(ReceivedFile))
                if (path := stored_file(workspace, r.stored_path)) is not None}
    return [{"file": name} for name in files_showing(workspace, matcher)
            if (root / name).resolve() not in received]


def _messages(session: Session, matcher: AddressMatcher) -> list[dict[str, Any]]:
    from sqlmodel import col, select

    from .db.models import OutboundMessage

    return [{"round": m.round_name, "municipality": m.municipality_code, "kind": m.kind,
             "reminder": m.sequence or None, "state": m.state, "attempts": m.attempts,
             "sent": _time(m.sent_at), "server_answer": m.smtp_response, "error": m.error}
            for m in session.exec(select(OutboundMessage).order_by(col(OutboundMessage.id)))
            if matcher.is_address(m.address)]


def _bounces(session: Session, matcher: AddressMatcher) -> list[dict[str, Any]]:
    from sqlmodel import col, select

    from .db.models import Bounce

    return [{"kind": b.classification, "detail": b.detail, "read": _time(b.processed_at)}
            for b in session.exec(select(Bounce).order_by(col(Bounce.id)))
            if matcher.is_address(b.address)]


def _received(session: Session, matcher: AddressMatcher, records: Any) -> list[dict[str, Any]]:
    from sqlmodel import col, select

    from .db.models import ReceivedFile, Submission

    theirs = {s.received_file_id for s in records.submissions}
    # An answer of someone else's that shows the address: the person filled in the form for
    # the contact, or is named beside them.
    showing = {s.received_file_id for s in session.exec(select(Submission))
               if s.received_file_id not in theirs and matcher.mentions(s.raw)}
    return [{"file": r.original_name, "format": r.format, "received": _time(r.received_at),
             "from_the_person": bool(r.sender and matcher.mentions(r.sender)),
             "holds": "their answer" if r.id in theirs else "their address in an answer"
             if r.id in showing else None,
             "stored_as": Path(r.stored_path).name}
            for r in session.exec(select(ReceivedFile).order_by(col(ReceivedFile.id)))
            if r.id in theirs or r.id in showing or (r.sender and matcher.mentions(r.sender))]


_TEXTS = ("title", "goal", "summary", "implementation", "resources", "experiences", "benefits",
          "municipality_text")


def _practices(session: Session, records: Any, names_person: Any) -> list[dict[str, Any]]:
    from sqlmodel import col, select

    from .db.models import Practice, PracticeVersion

    own = {id(v) for v in records.versions}
    beside = {id(v) for v in records.named}  # someone else's contact, naming the person too
    rows = []
    for version in session.exec(select(PracticeVersion).order_by(
            col(PracticeVersion.practice_id), col(PracticeVersion.version))):
        named_in = [name for name in _TEXTS if names_person(getattr(version, name))]
        if id(version) in beside:
            named_in.append("contact_text")
        if id(version) not in own and not named_in:
            continue
        practice = session.get(Practice, version.practice_id)
        row: dict[str, Any] = {"practice": version.practice_id, "version": version.version,
                               "title": version.title,
                               "status": practice.status if practice else None}
        if id(version) in own:
            row.update(role="contact", contact_name=version.contact_name,
                       contact_email=version.contact_email, contact_phone=version.contact_phone,
                       consent_to_publish=version.publish_consent)
        elif id(version) in beside:
            row["role"] = "named in the contact details beside another contact"
        else:
            row["role"] = "named in the text"
        row["named_in"] = named_in
        rows.append(row)
    return rows


def _decisions(session: Session, names_person: Any, names_person_in_notes: Any,
               own: set[int]) -> list[dict[str, Any]]:
    from sqlmodel import col, select

    from .db.models import Practice, ReviewDecision

    def named(practice_id: int | None, text: Any) -> bool:
        # On the person's own practice a note naming them by first name alone is theirs too.
        return bool(names_person_in_notes(text) if practice_id in own else names_person(text))

    rows = [{"practice": d.practice_id, "decision": d.decision, "comment": d.comment,
             "corrected_title": d.corrected_title, "decided": _time(d.decided_at)}
            for d in session.exec(select(ReviewDecision).order_by(col(ReviewDecision.id)))
            if named(d.practice_id, d.comment) or named(d.practice_id, d.corrected_title)]
    # The reviewers' note and corrected title kept on the practice itself (forget cleans them).
    for practice in session.exec(select(Practice).order_by(col(Practice.id))):
        for label, text in (("reviewers' note", practice.reviewer_comment),
                            ("corrected title", practice.corrected_title)):
            if named(practice.id, text):
                rows.append({"practice": practice.id, "decision": label, "comment": text,
                             "decided": None})
    return rows


def _erasures(workspace: Workspace, session: Session, email: str) -> list[dict[str, Any]]:
    from sqlmodel import select

    from .db.models import Erasure

    key_path = workspace.outputs / KEY_FILE
    if not key_path.exists():  # no erasure was ever done here (and reading makes no key)
        return []
    key = key_path.read_bytes().strip()
    digest = hmac.new(key, canonical_address(email).encode(), hashlib.sha256).hexdigest()
    return [{"erased": _time(e.erased_at), "places": sum(e.counts.values())}
            for e in session.exec(select(Erasure).where(Erasure.subject_hash == digest))]


def write_person_workbook(report: PersonReport, path: Path) -> Path:
    """Write the report as a workbook, one sheet per section (text kept as text)."""
    from openpyxl import Workbook

    from .reports import neutralise_formula

    workbook = Workbook()
    workbook.remove(workbook.active)
    for name, rows in report.sections.items():
        sheet = workbook.create_sheet(name)
        sheet.append([SECTIONS[name]])
        columns = list(dict.fromkeys(key for row in rows for key in row))
        if columns:
            sheet.append(columns)
        for row in rows:
            sheet.append([neutralise_formula(", ".join(map(str, value))
                                             if isinstance(value, list) else value)
                          for value in (row.get(column) for column in columns)])
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)
    return path
