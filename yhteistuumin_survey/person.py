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

    from .config import Settings
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
    "files": "Other files in the workspace that hold the address",
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
    #: What an access request is also owed (GDPR art. 15), in plain words: who holds the
    #: data, why, where it came from, who has seen it, how long it is kept, the rights.
    notice: dict[str, Any] = field(default_factory=dict)

    @property
    def failed(self) -> bool:
        return False

    def text(self) -> str:
        """A line per thing held, then the summary."""
        from .reports import render_table

        columns, rows = self.table()
        lines = [render_table(rows, columns)] if rows else []
        lines += self.summary()
        lines += self.notice_lines()
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

    def notice_lines(self) -> list[str]:
        """The notice as lines of text ("Why it is held: …")."""
        lines = []
        for key, label in NOTICE_LABELS.items():
            value = self.notice.get(key)
            if value:
                lines.append(f"{label}: " + (" ".join(value) if isinstance(value, list)
                                             else str(value)))
        return lines

    def to_dict(self) -> dict[str, Any]:
        return {"email": self.email, "sections": self.sections, "notice": self.notice}


#: The parts of the notice, as the report words them.
NOTICE_LABELS = {"controller": "Who holds it", "why": "Why it is held",
                 "where_from": "Where it came from", "who_has_seen_it": "Who has seen it",
                 "how_long": "How long it is kept", "your_rights": "Your rights"}

#: Why each kind of data is held, in words a citizen understands.
_WHY = {
    "contacts": "Your address is on the survey's contact list so that the survey of the "
                "Kulttuuria yhteistuumin programme and its reminders reach your municipality.",
    "messages": "A record of each message sent to you is kept so that nothing is sent twice "
                "and a failed message can be sent again.",
    "bounces": "Replies from mail servers (an address that does not work, an out-of-office "
               "reply) are kept so that a dead address is not mailed again.",
    "practices": "Your answer to the survey is kept so that reviewers can assess the practice "
                 "and ask you about it; your name, address and phone are published with it "
                 "only if you agreed to that.",
    "decisions": "Reviewers' notes are kept as the record of how a practice was assessed.",
    "received": "The files that came in are kept as the evidence of what was sent, until the "
                "practices are published.",
}


def _time(value: Any) -> str | None:
    return value.isoformat(timespec="seconds") if value is not None else None


def person_report(workspace: Workspace, email: str, *, session: Session,
                  settings: Settings | None = None) -> PersonReport:
    """Return everything the database holds about the person with this address, and the
    notice an access request is owed (``settings`` name the controller)."""
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
    report.notice = _notice(report, settings)
    return report


def _notice(report: PersonReport, settings: Settings | None) -> dict[str, Any]:
    """What else an access request is owed (GDPR art. 15), from what the report found."""
    sections = report.sections
    if not any(rows for name, rows in sections.items() if name != "erasures"):
        # Nothing held, or only the record of an erasure (which holds no address).
        return {"how_long": "Nothing about you is held: only the record that your data was "
                            "erased is kept, without your address."} if report.found else {}
    controller = str(settings.get("site.controller")) if settings is not None else ""
    contact = (str(settings.get("site.contact_email") or settings.get("round.reply_to"))
               if settings is not None else "")
    where_from = []
    if sections["contacts"]:
        files = sorted({str(c["source_file"]) for c in sections["contacts"] if c["source_file"]})
        where_from.append("Your contact details came from the contact list of the survey's "
                          "coordinator" + (f" ({', '.join(files)})." if files else "."))
    if any(p["role"] == "contact" for p in sections["practices"]):
        where_from.append("Your practice and contact details came from your answer to the "
                          "survey (see 'from' beside each practice).")
    if any(p["role"] != "contact" for p in sections["practices"]) or sections["decisions"]:
        where_from.append("Where you are named in someone else's answer or in a reviewer's "
                          "note, it came from them.")
    if sections["bounces"] or sections["fetched"]:
        where_from.append("Replies from mail servers came to the survey's mailbox.")
    seen = ["The survey's coordinator."]
    if sections["messages"]:
        seen.append("The mail servers that carried the messages sent to you.")
    if sections["practices"] or sections["decisions"]:
        seen.append("The survey's reviewers, who assess each practice.")
    published = [p for p in sections["practices"] if str(p.get("published", "")).startswith(
        "on the public site")]
    public = [p for p in published if "without your contact details" not in p["published"]]
    if public:
        seen.append("The public: " + "; ".join(
            f"practice {p['practice']} is {p['published']}" for p in public) + ".")
    else:
        seen.append("Nothing about you is on the public site" + (
            " (your practice is published without your contact details)." if published
            else "."))
    return {
        "controller": f"{controller}." + (f" Questions about your data: {contact}."
                                          if contact else "") if controller else "",
        "why": [_WHY[name] for name in _WHY if sections.get(name)],
        "where_from": where_from,
        "who_has_seen_it": seen,
        "how_long": "Your contact details, answers, practices and review notes are kept until "
                    "the end of the Kulttuuria yhteistuumin programme, or until you ask for "
                    "them to be erased; files as they came in and copies of messages are deleted "
                    "earlier, once the round no longer needs them. Published details stay on "
                    "the site while the practice is published, or until you withdraw your "
                    "consent. After an erasure only a record that it was done is kept, "
                    "without your address.",
        "your_rights": "You may have your data corrected or erased, withdraw your consent to "
                       "publishing at any time, and complain to the Data Protection Ombudsman "
                       "(tietosuoja.fi).",
    }


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
    from .privacy import files_showing, own_files_showing, shared_finder

    root = workspace.root.resolve()
    received = {path.resolve() for r in session.exec(select(ReceivedFile))
                if (path := workspace.stored_file(r.stored_path)) is not None}
    # The coordinator's own files in the workspace (the contact list, answers saved in an
    # inbox folder before ingest) hold the person too: forget names them, and so does this.
    # One finder for both looks: a message in a mailbox folder outside outputs/ is often the
    # copy under outputs/outbox/ byte for byte, and each content is looked into once.
    finder = shared_finder(matcher)
    left = own_files_showing(workspace, matcher, finder=finder)
    return [{"file": name} for name in files_showing(workspace, matcher, finder=finder)
            if (root / name).resolve() not in received] + [
        {"file": name, "note": "outside outputs/: the coordinator's own file"} for name in left]


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
            # A coordinator's record (register checked / answered) may name her in its reason.
            if matcher.is_address(b.address) or matcher.mentions(b.detail)]


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

    from .cards import withdrawn_consents
    from .db.models import Practice, PracticeVersion

    withdrawn = withdrawn_consents(session) if records.versions else {}

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
                       consent_to_publish=version.publish_consent,
                       **{"from": _answer_source(session, version)})
        elif id(version) in beside:
            row["role"] = "named in the contact details beside another contact"
        else:
            row["role"] = "named in the text"
        row["named_in"] = named_in
        row["published"] = _published(practice, version, own=id(version) in own,
                                      withdrawn=withdrawn.get(version.practice_id, ""))
        rows.append(row)
    return rows


def _answer_source(session: Session, version: Any) -> str | None:
    """Where a version of the person's own practice came from: their answer, by file."""
    from .db.models import ReceivedFile, Submission

    submission = session.get(Submission, version.submission_id) if version.submission_id \
        else None
    received = session.get(ReceivedFile, submission.received_file_id) if submission else None
    if received is None:
        return None
    when = f", received {received.received_at:%Y-%m-%d}" if received.received_at else ""
    return f"your answer in {received.original_name}{when}"


def _published(practice: Any, version: Any, *, own: bool, withdrawn: str = "") -> str:
    """Whether this version is on the public site, and with the person's details or not."""
    if practice is None or practice.status != "approved" or not practice.published_slug or \
            version.version != (practice.decided_version or practice.current_version):
        return "not published"
    where = f"on the public site (page {practice.id}-{practice.published_slug})"
    if not own:
        return f"{where}, in the text that names you"
    if withdrawn:
        return (f"{where}, without your contact details (you withdrew your consent: "
                f"{withdrawn})")
    return (f"{where}, with your name, address and phone" if version.publish_consent
            else f"{where}, without your contact details (you have not agreed to that)")


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
    if report.notice:
        about = workbook.create_sheet("about")
        for key, label in NOTICE_LABELS.items():
            value = report.notice.get(key)
            if value:
                about.append([label, neutralise_formula(" ".join(value) if isinstance(
                    value, list) else str(value))])
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
