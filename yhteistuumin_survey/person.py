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

import datetime as dt
import hashlib
import hmac
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import person_texts as _texts
from .privacy import (
    KEY_FILE,
    OTHERS_SHOWN,
    AddressMatcher,
    Scrubber,
    canonical_address,
    erasures_of_other_keys,
    find_records,
    hide_others,
    name_pattern,
    named_addresses,
    named_lines,
    own_part,
    tagged_addresses,
    tagged_lines,
    unreadable_outputs,
    version_own_part,
)

if TYPE_CHECKING:
    from sqlmodel import Session

    from .config import Settings
    from .workspace import Workspace

#: The report's sections in English (the words in each language: ``person_texts``).
SECTIONS: dict[str, str] = {name: text.en for name, text in _texts.SECTIONS.items()}


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
    #: The language the report speaks (fi, sv or en): the person's, or the round's.
    lang: str = "en"
    #: Erasures recorded in the database that this workspace's key cannot match (made with
    #: another workspace's key): whether the person was erased cannot be told.
    unmatched_erasures: int = 0
    #: Addresses that are hers but for a "+tag" ("anna+kulttuuri@…"): maybe someone else's,
    #: so nothing of them is in the report; the coordinator is told (``warnings``).
    tagged: dict[str, int] = field(default_factory=dict)
    #: Other addresses made of her name ("anna.virtanen@…"), told likewise.
    named: list[str] = field(default_factory=list)
    #: Files under outputs/ whose text cannot be read here (a PDF), with why: told likewise.
    unreadable: dict[str, str] = field(default_factory=dict)

    @property
    def failed(self) -> bool:
        return False

    def warnings(self) -> list[str]:
        """What the coordinator is told apart from the report (on stderr, in English): the
        addresses to ask her about, and the files to look into, before handing it over."""
        return [*tagged_lines(self.tagged, "person"), *named_lines(self.named, "person"),
                *(f"{path}: {why}, so whether it holds her could not be told; look into it "
                  "by hand before handing the report over"
                  for path, why in self.unreadable.items())]

    def text(self) -> str:
        """A line per thing held, then the summary."""
        from .reports import render_table

        columns, rows = self.table()
        lines = [render_table(rows, columns)] if rows else []
        lines += self.summary()
        lines += self.notice_lines()
        if self.written is not None:
            lines.append(_texts.say("written", self.lang, path=self.written))
        return "\n".join(lines)

    @property
    def found(self) -> int:
        return sum(len(rows) for rows in self.sections.values())

    def summary(self) -> list[str]:
        remarks = ([_texts.say("other-keys", self.lang, n=self.unmatched_erasures)]
                   if self.unmatched_erasures else [])
        if not self.found:
            return [_texts.say("nothing-held", self.lang, email=self.email), *remarks]
        nouns = _texts.NOUNS[self.lang]
        parts = [f"{len(rows)} {nouns[name][len(rows) != 1]}"
                 for name, rows in self.sections.items() if rows]
        return [_texts.say("held", self.lang, email=self.email, parts=", ".join(parts)),
                *remarks]

    def table(self) -> tuple[list[str], list[dict[str, Any]]]:
        lang = self.lang
        section, details = _texts.key_label("section", lang), _texts.key_label("details", lang)
        rows = []
        for name, items in self.sections.items():
            for item in items:
                rows.append({section: _texts.SECTIONS[name].template(lang),
                             details: "; ".join(
                                 f"{_texts.key_label(k, lang)}: {_shown(k, v, lang)}"
                                 for k, v in item.items() if v not in (None, "", []))})
        return [section, details], rows

    def notice_lines(self) -> list[str]:
        """The notice as lines of text ("Why it is held: …")."""
        lines = []
        for key, label in _texts.NOTICE_LABELS.items():
            value = self.notice.get(key)
            if value:
                lines.append(f"{label.template(self.lang)}: " + (
                    " ".join(value) if isinstance(value, list) else str(value)))
        return lines

    def to_dict(self) -> dict[str, Any]:
        return {"email": self.email, "language": self.lang, "sections": self.sections,
                "notice": self.notice, "unmatched_erasures": self.unmatched_erasures}


def _shown(key: str, value: Any, lang: str) -> str:
    """A row's value as the printed report and the workbook say it."""
    value = _texts.value_text(key, value, lang)
    return ", ".join(map(str, value)) if isinstance(value, list) else str(value)


#: The parts of the notice, in English (the words in each language: ``person_texts``).
NOTICE_LABELS = {key: text.en for key, text in _texts.NOTICE_LABELS.items()}


def _time(value: Any) -> str | None:
    """A moment as JSON keeps it: ISO 8601 with its offset (the database's naive times are
    UTC); the printed report and the workbook say it in Finland's time (``local_time``)."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return str(value.isoformat(timespec="seconds"))


def person_report(workspace: Workspace, email: str, *, session: Session,
                  settings: Settings | None = None, lang: str | None = None) -> PersonReport:
    """Return everything the database holds about the person with this address, and the
    notice an access request is owed (``settings`` name the controller), in ``lang`` (fi, sv
    or en; by default Swedish for a person all of whose answers and mail were Swedish, else
    the round's language, English without settings)."""
    if lang is not None and lang not in _texts.LANGUAGES:
        raise ValueError(f"unknown language {lang!r}")
    matcher = AddressMatcher(email)
    records = find_records(workspace, matcher, session=session)
    messages = _messages(session, matcher)
    if lang is None:
        lang = _persons_language(session, records, messages) if settings is not None else None
        lang = lang or (str(settings.get("round.language")) if settings is not None else "en")
    scrubber = Scrubber(matcher, "")
    scrubber.know(records)

    def names_person(text: Any) -> bool:
        """The text shows the address, a name or a phone number of the person."""
        return isinstance(text, str) and bool(text) and scrubber.text(text) != text

    def names_person_in_notes(text: Any) -> bool:
        """A reviewers' note on the person's own practice names them (a first name alone too)."""
        return isinstance(text, str) and bool(text) and scrubber.notes(text) != text

    report = PersonReport(email=email.strip(), lang=lang)
    # A contact-list row naming several people gave each their own contact with the whole
    # cells: only the person's part of the name and phone is theirs to see.
    every = [*records.contacts, *records.sibling_contacts]
    parts = {id(c): own_part(c, every) for c in records.contacts}
    report.sections["contacts"] = [{
        "municipality": c.municipality_code, "email": c.email, "name": parts[id(c)][0],
        "role": c.role, "phone": parts[id(c)][1], "status": c.status,
        "source_file": c.source_file, "source_row": c.source_row, "added": _time(c.created_at),
        "bounce_reason": c.bounce_reason} for c in records.contacts]
    report.sections["messages"] = messages
    report.sections["bounces"] = _bounces(session, matcher)
    report.sections["records"] = _records(session, matcher)
    report.sections["received"] = []  # filled below: the files found to show her too
    public: list[tuple[int, str]] = []  # (practice, how) of what the public can see of her
    report.sections["practices"] = _practices(session, records, names_person, lang, public,
                                              matcher)
    report.sections["decisions"] = _decisions(session, names_person, names_person_in_notes,
                                              records.practice_ids, lang)
    report.sections["contact_problems"] = _contact_problems(session, matcher)
    report.sections["fetched"] = _fetched(session, matcher)
    showing: set[int] = set()
    report.sections["files"] = _files(workspace, session, matcher, lang,
                                      records=records, scrubber=scrubber, showing=showing)
    report.sections["received"] = _received(workspace, session, matcher, records, lang,
                                            showing)
    report.sections["erasures"] = _erasures(workspace, session, email)
    report.unmatched_erasures = erasures_of_other_keys(workspace, session)
    report.tagged = tagged_addresses(session, matcher)
    report.named = named_addresses(session, matcher, records.names)
    report.unreadable = unreadable_outputs(workspace)
    # Texts that others are in too (an auto-reply naming a colleague, an SMTP answer, a
    # contact-list row): the person sees their own part, not the others' addresses or numbers.
    # Colleagues typed in the person's own contact cells are hidden by name too.
    their_names = [name_pattern(name) for name in sorted(records.other_names, key=len,
                                                         reverse=True)]
    for rows in report.sections.values():
        for row in rows:
            for key in _FREE_TEXTS.intersection(row):
                row[key] = hide_others(row[key], matcher, records.phones)
                for pattern in their_names:
                    if isinstance(row[key], str):
                        row[key] = pattern.sub(OTHERS_SHOWN, row[key])
    report.notice = _notice(report, settings, public)
    return report


def _notice(report: PersonReport, settings: Settings | None,
            public: list[tuple[int, str]]) -> dict[str, Any]:
    """What else an access request is owed (GDPR art. 15), from what the report found
    (``public``: the person's pages the public sees, and how), in the report's language."""
    sections, lang = report.sections, report.lang

    def say(code: str, **values: Any) -> str:
        return _texts.say(code, lang, **values)

    if not any(rows for name, rows in sections.items() if name != "erasures"):
        # Nothing held, or only the record of an erasure (which holds no address).
        return {"how_long": say("only-erasure")} if report.found else {}
    controller = str(settings.get("site.controller")) if settings is not None else ""
    contact = (str(settings.get("site.contact_email") or settings.get("round.reply_to"))
               if settings is not None else "")
    where_from = []
    if sections["contacts"]:
        files = sorted({str(c["source_file"]) for c in sections["contacts"] if c["source_file"]})
        where_from.append(say("from-contact-list",
                              files=f" ({', '.join(files)})" if files else ""))
    if any(p["role"] == say("role-contact") for p in sections["practices"]):
        where_from.append(say("from-answer", label=_texts.key_label("from", lang)))
    if any(p["role"] != say("role-contact") for p in sections["practices"]) \
            or sections["decisions"]:
        where_from.append(say("from-others"))
    if sections["bounces"] or sections["fetched"]:
        where_from.append(say("from-mail-servers"))
    seen = [say("seen-coordinator")]
    if sections["messages"]:
        seen.append(say("seen-mail-servers"))
    if sections["practices"] or sections["decisions"]:
        seen.append(say("seen-reviewers"))
    shown = [(practice, how) for practice, how in public if how != "without-details"]
    if shown:
        seen.append(say("seen-public", pages="; ".join(
            say("seen-public-page", practice=practice, published=text)
            for practice, text in shown)))
    else:
        seen.append(say("nothing-public-but-practice" if public else "nothing-public"))
    return {
        "controller": (f"{controller}." + (
            " " + say("questions", contact=contact) if contact else "")) if controller else "",
        "why": [_texts.WHY[name].template(lang) for name in _texts.WHY if sections.get(name)],
        "where_from": where_from,
        "who_has_seen_it": seen,
        "how_long": say("how-long"),
        "your_rights": say("rights"),
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


def _files(workspace: Workspace, session: Session, matcher: AddressMatcher,
           lang: str, *, records: Any, scrubber: Any, showing: set[int]) -> list[dict[str, Any]]:
    """The files under outputs/ (message copies, reports, review workbooks) that show the
    address, or are messages to a contact whose row named her; received files are listed
    in their own section (``showing`` gets the ids of those found to show her: a contact
    card mailed beside someone else's answer), the site is what the practices section says."""
    from sqlmodel import select

    from .db.models import ReceivedFile
    from .privacy import (
        contacts_naming_her,
        files_showing,
        own_files_showing,
        review_exports,
        shared_finder,
    )

    root = workspace.root.resolve()
    received = {path.resolve(): r.id for r in session.exec(select(ReceivedFile))
                if (path := workspace.stored_file(r.stored_path)) is not None}
    # The coordinator's own files in the workspace (the contact list, answers saved in an
    # inbox folder before ingest) hold the person too: forget names them, and so does this.
    # One finder for both looks: a message in a mailbox folder outside outputs/ is often the
    # copy under outputs/outbox/ byte for byte, and each content is looked into once.
    finder = shared_finder(matcher)
    left = own_files_showing(workspace, matcher, finder=finder)
    exported = review_exports(workspace)
    greeted: set[str] = set()
    shown = files_showing(
        workspace, matcher, finder=finder, names=records.names, phones=records.phones,
        greeted=[AddressMatcher(contact.email) for contact, _ in
                 contacts_naming_her(records, matcher, scrubber)],
        greeted_found=greeted)
    for name in shown:
        received_id = received.get((root / name).resolve())
        if received_id is not None:
            showing.add(received_id)
    return [{"file": name, **({"note": _texts.say(
                "handed-to-reviewers", lang, day=_texts.local_time(exported[name], lang))}
             if name in exported else {"note": _texts.say("names-you", lang)}
             if name in greeted else {})}
            for name in shown if (root / name).resolve() not in received] + [
        {"file": name, "note": _texts.say("own-file", lang)} for name in left]


def _persons_language(session: Session, records: Any,
                      messages: list[dict[str, Any]]) -> str | None:
    """"sv" when everything tells the person is Swedish-speaking: the practices she is the
    contact of were answered in Swedish, and her municipalities (of her contacts and of the
    mail sent to her) get Swedish material only (Swedish-speaking, Swedish-majority, Åland);
    None when anything is Finnish or nothing tells (the round's language then). A
    registry clerk in Brändö, held only in the outbox, was answered in Finnish."""
    from sqlmodel import col, select

    from .db.models import Municipality, Practice
    from .register import material_languages

    said: set[str] = set()
    if records.practice_ids:
        said |= set(session.exec(select(Practice.language).where(
            col(Practice.id).in_(sorted(records.practice_ids)))).all())
    codes = {c.municipality_code for c in records.contacts if c.municipality_code}
    codes |= {m["municipality"] for m in messages if m.get("municipality")}
    if codes:
        for municipality in session.exec(select(Municipality).where(
                col(Municipality.code).in_(sorted(codes)))):
            said |= set(material_languages(municipality.language, aland=municipality.aland))
    return "sv" if said == {"sv"} else None


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
            if matcher.is_address(b.address) or matcher.mentions(b.detail)]


def _records(session: Session, matcher: AddressMatcher) -> list[dict[str, Any]]:
    """The coordinator's records (register answered / checked) of her address, or whose
    reason names her."""
    from sqlmodel import col, select

    from .db.models import CoordinatorRecord

    return [{"kind": r.kind, "municipality": r.municipality_code, "round": r.round_name,
             "reason": r.reason, "recorded": _time(r.recorded_at),
             "taken_back": _time(r.undone_at), "taken_back_because": r.undo_reason or ""}
            for r in session.exec(select(CoordinatorRecord).order_by(col(CoordinatorRecord.id)))
            if matcher.is_address(r.address) or matcher.mentions(r.reason)
            or matcher.mentions(r.undo_reason or "")]


def _kept(workspace: Workspace, stored_path: str) -> bool:
    """Whether a received file's copy is still kept (``purge --received`` deletes it)."""
    stored = workspace.stored_file(stored_path)
    return stored is not None and stored.is_file()


def _received(workspace: Workspace, session: Session, matcher: AddressMatcher, records: Any,
              lang: str, copies_showing: set[int]) -> list[dict[str, Any]]:
    """The received files that hold her answer, show her address in an answer or in the
    copy itself (a contact card mailed beside someone else's answer), or came from her."""
    from sqlmodel import col, select

    from .db.models import ReceivedFile, Submission

    theirs = {s.received_file_id for s in records.submissions}
    # An answer of someone else's that shows the address: the person filled in the form for
    # the contact, or is named beside them.
    showing = {s.received_file_id for s in session.exec(select(Submission))
               if s.received_file_id not in theirs and matcher.mentions(s.raw)}
    return [{"file": r.original_name, "format": r.format, "received": _time(r.received_at),
             "from_the_person": bool(r.sender and matcher.mentions(r.sender)),
             "holds": _texts.say("holds-answer", lang) if r.id in theirs
             else _texts.say("holds-address", lang) if r.id in showing
             else _texts.say("holds-details", lang) if r.id in copies_showing else None,
             "stored_as": Path(r.stored_path).name if _kept(workspace, r.stored_path)
             else _texts.say("copy-deleted", lang)}
            for r in session.exec(select(ReceivedFile).order_by(col(ReceivedFile.id)))
            if r.id in theirs or r.id in showing or r.id in copies_showing
            or (r.sender and matcher.mentions(r.sender))]


_TEXTS = ("title", "goal", "summary", "implementation", "resources", "experiences", "benefits",
          "municipality_text")


def _practices(session: Session, records: Any, names_person: Any, lang: str,
               public: list[tuple[int, str]], matcher: AddressMatcher) -> list[dict[str, Any]]:
    """The practices that are the person's or name them; ``public`` gets each that is on the
    public site, with how ("with-details", "named", "without-details")."""
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
            name, phone, _others = version_own_part(version, matcher)
            row.update(role=_texts.say("role-contact", lang), contact_name=name,
                       contact_email=version.contact_email, contact_phone=phone,
                       consent_to_publish=version.publish_consent,
                       **{"from": _answer_source(session, version, lang)})
        elif id(version) in beside:
            row["role"] = _texts.say("role-beside", lang)
        else:
            row["role"] = _texts.say("role-text", lang)
        row["named_in"] = named_in
        how, row["published"] = _published(practice, version, own=id(version) in own,
                                           withdrawn=withdrawn.get(version.practice_id, ""),
                                           lang=lang)
        if how:
            public.append((version.practice_id, how) if how == "without-details"
                          else (version.practice_id, row["published"]))
        rows.append(row)
    return rows


def _answer_source(session: Session, version: Any, lang: str) -> str | None:
    """Where a version of the person's own practice came from: their answer, by file."""
    from .db.models import ReceivedFile, Submission

    submission = session.get(Submission, version.submission_id) if version.submission_id \
        else None
    received = session.get(ReceivedFile, submission.received_file_id) if submission else None
    if received is None:
        return None
    when = _texts.say("received-on", lang, day=_texts.local_time(received.received_at, lang)) \
        if received.received_at else ""
    return _texts.say("answer-source", lang, file=received.original_name, when=when)


def _published(practice: Any, version: Any, *, own: bool, withdrawn: str = "",
               lang: str = "en") -> tuple[str, str]:
    """Whether this version is on the public site, and with the person's details or not:
    (how, or "" when not published; the words)."""
    def say(code: str, **values: Any) -> str:
        return _texts.say(code, lang, **values)

    if practice is None or practice.status != "approved" or not practice.published_slug or \
            version.version != (practice.decided_version or practice.current_version):
        return "", say("not-published")
    where = say("on-site", page=f"{practice.id}-{practice.published_slug}")
    if not own:
        return "named", say("on-site-named", where=where)
    if withdrawn:
        return "without-details", say("on-site-withdrawn", where=where, withdrawn=withdrawn)
    if version.publish_consent:
        return "with-details", say("on-site-with-details", where=where)
    return "without-details", say("on-site-without-consent", where=where)


def _decisions(session: Session, names_person: Any, names_person_in_notes: Any,
               own: set[int], lang: str) -> list[dict[str, Any]]:
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
        for label, text in ((_texts.say("reviewers-note", lang), practice.reviewer_comment),
                            (_texts.say("corrected-title", lang), practice.corrected_title)):
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
    lang = report.lang
    if report.notice:
        about = workbook.create_sheet(_texts.SHEETS["about"].template(lang))
        for key, label in _texts.NOTICE_LABELS.items():
            value = report.notice.get(key)
            if value:
                about.append([label.template(lang), neutralise_formula(
                    " ".join(value) if isinstance(value, list) else str(value))])
    for name, rows in report.sections.items():
        sheet = workbook.create_sheet(_texts.SHEETS[name].template(lang))
        sheet.append([_texts.SECTIONS[name].template(lang)])
        columns = list(dict.fromkeys(key for row in rows for key in row))
        if columns:
            sheet.append([_texts.key_label(column, lang) for column in columns])
        for row in rows:
            sheet.append([None if value is None else neutralise_formula(
                _shown(column, value, lang) if isinstance(value, (list, bool))
                or column in _texts.CODED or column in _texts.TIMES else value)
                for column, value in ((column, row.get(column)) for column in columns)])
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)
    return path
