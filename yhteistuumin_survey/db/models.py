"""Every table of the survey database, in one place.

Tables are singular nouns. Times are timezone-aware UTC. JSON columns hold lists and the raw
rows exactly as received. Change a table here, then add an Alembic migration
(``python -m yhteistuumin_survey.db.revision "what changed"``); never ``create_all`` a live
database.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, DateTime, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


def utcnow() -> dt.datetime:
    """Return the current time in UTC, timezone-aware."""
    return dt.datetime.now(dt.UTC)


def _time(nullable: bool = True, index: bool = False) -> Any:
    return Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=nullable,
                                                index=index))


def _json(default: Any = None) -> Any:
    if default is None:
        return Field(default=None, sa_column=Column(JSON, nullable=True))
    factory: Any = list if isinstance(default, list) else dict
    return Field(default_factory=factory, sa_column=Column(JSON, nullable=False))


def _text(nullable: bool = True) -> Any:
    return Field(default=None if nullable else "", sa_column=Column(Text, nullable=nullable))


# --- register ----------------------------------------------------------------------------


class Region(SQLModel, table=True):
    """A region (maakunta), Statistics Finland code ``01``…``21``."""

    code: str = Field(primary_key=True, max_length=2)
    name_fi: str
    name_sv: str
    name_en: str = ""


#: The region code of Åland (Ahvenanmaa), whose municipalities are all Swedish-speaking.
ALAND_REGION = "21"


class Municipality(SQLModel, table=True):
    """A municipality in force, or one merged away (``active`` false, ``successor_code`` set)."""

    code: str = Field(primary_key=True, max_length=3)
    name_fi: str = Field(index=True)
    name_sv: str
    region_code: str = Field(foreign_key="region.code", index=True)
    language: str = Field(max_length=5)  # fi, fi-sv, sv-fi, sv
    active: bool = Field(default=True, index=True)
    successor_code: str | None = Field(default=None, max_length=3)
    valid_from: dt.date | None = None
    valid_until: dt.date | None = None

    @property
    def aland(self) -> bool:
        """True for the 16 municipalities of Åland (region 21): they get Swedish material."""
        return self.region_code == ALAND_REGION


class MunicipalityAlias(SQLModel, table=True):
    """Another name or code that means a municipality in force (a former one merged into it)."""

    __table_args__ = (UniqueConstraint("alias", "code", name="uq_alias_code"),)

    id: int | None = Field(default=None, primary_key=True)
    alias: str = Field(index=True)
    code: str = Field(foreign_key="municipality.code", index=True, max_length=3)
    kind: str = "former"  # former (merged away), former_code, other
    old_code: str | None = Field(default=None, max_length=3)
    merged_on: dt.date | None = None


class RegisterChange(SQLModel, table=True):
    """One change applied by ``register update``: added, removed, renamed, merged, moved."""

    id: int | None = Field(default=None, primary_key=True)
    applied_at: dt.datetime = Field(default_factory=utcnow)
    source_file: str
    code: str = Field(max_length=3)
    change: str
    detail: str = ""


# --- contacts ----------------------------------------------------------------------------


class Contact(SQLModel, table=True):
    """An address to send the survey to, for one municipality."""

    __table_args__ = (UniqueConstraint("municipality_code", "email", name="uq_contact_email"),)

    id: int | None = Field(default=None, primary_key=True)
    municipality_code: str = Field(foreign_key="municipality.code", index=True, max_length=3)
    email: str = Field(index=True)
    name: str | None = None
    role: str | None = None
    phone: str | None = None
    status: str = Field(default="valid", index=True)  # valid, bounced, erased
    bounced_at: dt.datetime | None = _time()
    bounce_reason: str | None = None
    source_file: str | None = None
    source_row: int | None = None
    created_at: dt.datetime = Field(default_factory=utcnow)
    updated_at: dt.datetime = Field(default_factory=utcnow)


class ContactProblem(SQLModel, table=True):
    """A contact-list row that could not be imported, kept for ``register check``."""

    id: int | None = Field(default=None, primary_key=True)
    source_file: str = Field(index=True)
    source_row: int
    kind: str  # unknown-municipality, ambiguous-municipality, invalid-email, no-email, duplicate
    text: str = ""
    reason: str = ""
    created_at: dt.datetime = Field(default_factory=utcnow)


# --- sending -----------------------------------------------------------------------------


class SurveyToken(SQLModel, table=True):
    """The response token of one municipality in one round."""

    __table_args__ = (UniqueConstraint("round_name", "municipality_code", name="uq_token_round"),)

    id: int | None = Field(default=None, primary_key=True)
    round_name: str = Field(index=True)
    municipality_code: str = Field(foreign_key="municipality.code", max_length=3)
    token: str = Field(unique=True, index=True)
    created_at: dt.datetime = Field(default_factory=utcnow)


class OutboxState(StrEnum):
    """Where an outbox message is: its ``state`` column (the values are stored as text).

    ``sending`` is recorded before the server sees the message; a run killed then leaves it, and
    the next run marks it ``uncertain`` (sent or not, nobody knows) instead of sending twice.
    """

    # Names equal to the values: psycopg writes an Enum parameter by its name, SQLite by value.
    queued = "queued"
    sending = "sending"
    sent = "sent"
    failed = "failed"
    uncertain = "uncertain"


class OutboundMessage(SQLModel, table=True):
    """The durable outbox: one row per (round, municipality, address, kind, sequence)."""

    __table_args__ = (
        UniqueConstraint("round_name", "municipality_code", "address", "kind", "sequence",
                         name="uq_outbound_once"),
    )

    id: int | None = Field(default=None, primary_key=True)
    round_name: str = Field(index=True)
    municipality_code: str = Field(foreign_key="municipality.code", index=True, max_length=3)
    contact_id: int | None = Field(default=None, foreign_key="contact.id")
    address: str = Field(index=True)
    kind: str  # invite, remind, thanks
    sequence: int = 0  # reminder number: 1, 2, …; 0 for invitations
    state: str = Field(default=OutboxState.queued, index=True)  # an OutboxState
    attempts: int = 0
    smtp_response: str | None = None
    error: str | None = None
    message_id: str | None = Field(default=None, index=True)
    token: str | None = Field(default=None, index=True)
    queued_at: dt.datetime = Field(default_factory=utcnow)
    sending_at: dt.datetime | None = _time()
    claimed_by: str | None = None  # the run sending it: "host/pid/random" (see mailer)
    # A batch claim (mailer): the state the row was claimed from, the database's durability
    # epoch at the claim, and the mark written just before the message is handed over.
    claimed_from: str | None = None
    claim_epoch: str | None = None
    handing_at: dt.datetime | None = _time()
    sent_at: dt.datetime | None = _time()
    updated_at: dt.datetime = Field(default_factory=utcnow)


class Bounce(SQLModel, table=True):
    """A bounce or auto-reply read by ``yhteistuumin bounces``, once per message."""

    id: int | None = Field(default=None, primary_key=True)
    message_key: str = Field(unique=True, index=True)  # Message-ID or content hash
    classification: str  # hard, soft, auto-reply, not-a-bounce
    address: str | None = Field(default=None, index=True)
    outbound_id: int | None = Field(default=None, foreign_key="outboundmessage.id")
    detail: str = ""
    source: str = ""
    processed_at: dt.datetime = Field(default_factory=utcnow)


class CoordinatorRecord(SQLModel, table=True):
    """What the coordinator recorded about a municipality by hand, apart from the mail the
    servers sent back (``Bounce``): ``answered`` (``register answered``: an answer nothing here
    reads) and ``checked`` (``register checked``: a note on a contact looked at, the contact
    kept). ``undo`` sets ``undone_at``, who took it back and why; the record stays, so what was
    said and taken back is known."""

    id: int | None = Field(default=None, primary_key=True)
    round_name: str = Field(index=True)  # the round it was recorded in
    municipality_code: str = Field(foreign_key="municipality.code", index=True, max_length=3)
    kind: str = Field(index=True)  # answered, checked
    address: str | None = Field(default=None, index=True)  # checked: the contact's address
    reason: str = ""  # the coordinator's words (erasure scrubs a person out of them)
    who: str = ""  # the login that recorded it ("" when not known)
    recorded_at: dt.datetime = Field(default_factory=utcnow, sa_column=Column(
        DateTime(timezone=True), nullable=False))
    undone_at: dt.datetime | None = _time()
    undone_by: str | None = Field(default=None, max_length=200)  # the login that took it back
    undo_reason: str | None = None  # why, in the coordinator's words (erasure scrubs them too)

    def take_back(self, *, now: dt.datetime, who: str = "", reason: str = "") -> None:
        """Mark the record taken back (``--undo``): when, by whom, why."""
        self.undone_at = now
        self.undone_by = who or None
        self.undo_reason = reason or None


class FetchedMessage(SQLModel, table=True):
    """A message ``fetch`` took from an IMAP folder: claimed first, once per UID, then finished.

    IMAP names a message by its folder's UIDVALIDITY and its UID (both 32-bit unsigned, hence
    BIGINT); the unique constraint lets one run only, on one machine or several sharing the
    database, claim a message. ``outcome`` stays ``claimed`` until the message was handled.
    Nothing personal is kept here: the sender and the subject stay in the mailbox.
    """

    __table_args__ = (UniqueConstraint("mailbox", "folder", "uidvalidity", "uid",
                                       name="uq_fetched_uid"),)

    id: int | None = Field(default=None, primary_key=True)
    mailbox: str  # host (user@host when logging in) of the IMAP account
    folder: str
    uidvalidity: int = Field(sa_column=Column(BigInteger, nullable=False))
    uid: int = Field(sa_column=Column(BigInteger, nullable=False))
    message_key: str | None = Field(default=None, index=True)  # Message-ID or content hash
    outcome: str = Field(default="claimed", index=True)  # claimed, ingested, hard-bounce, …
    detail: str = ""
    stored_path: str | None = None  # the message as fetched, under outputs/mailbox/
    # A message to read that came from a municipality (it answers our message, or comes from
    # its contact's address): send remind waits until the coordinator has read it.
    municipality_code: str | None = Field(default=None, index=True, max_length=3)
    claimed_by: str | None = None  # the run handling it: "host/pid/random" (see mailer)
    claimed_at: dt.datetime = Field(default_factory=utcnow,
                                    sa_column=Column(DateTime(timezone=True), nullable=False))
    finished_at: dt.datetime | None = _time()
    marked_at: dt.datetime | None = _time()  # moved or flagged on the server


# --- ingest ------------------------------------------------------------------------------


class ReceivedFile(SQLModel, table=True):
    """A file as it came, stored before anything else is done with it."""

    id: int | None = Field(default=None, primary_key=True)
    sha256: str = Field(unique=True, index=True, max_length=64)
    original_name: str
    stored_path: str
    size: int
    format: str | None = None  # questionnaire, msforms, googleforms, webropol, surveymonkey, …
    sender: str | None = None
    message_time: dt.datetime | None = _time()
    parent_id: int | None = Field(default=None, foreign_key="receivedfile.id")
    status: str = "received"  # received, ingested, error
    error: str | None = None
    received_at: dt.datetime = Field(default_factory=utcnow)


class Submission(SQLModel, table=True):
    """One row or sheet of a received file, kept raw (as JSON) before normalisation."""

    __table_args__ = (UniqueConstraint("received_file_id", "locator", name="uq_submission_loc"),)

    id: int | None = Field(default=None, primary_key=True)
    # uq_submission_loc's index starts with it: no index of its own (one more to keep up to
    # date on every row an ingest writes, for no query it serves).
    received_file_id: int = Field(foreign_key="receivedfile.id")
    locator: str  # sheet name, "row 7", "body"
    sheet: str | None = None  # the sheet it came from (a CSV file's name)
    row: int | None = None  # its row in a response table (1-based, as a spreadsheet shows it)
    format: str
    raw: dict[str, Any] = _json({})
    response_key: str | None = Field(default=None, index=True)  # token or form response ID
    status: str = "new"  # practice, incomplete, empty, body-text, error
    reason: str | None = None
    created_at: dt.datetime = Field(default_factory=utcnow)


class Practice(SQLModel, table=True):
    """A good practice: its identity and review status; the content lives in versions."""

    id: int | None = Field(default=None, primary_key=True)
    status: str = Field(default="new", index=True)  # new, needs-info, approved, rejected, duplicate
    current_version: int = 1
    duplicate_of_id: int | None = Field(default=None, foreign_key="practice.id")
    # A reviewer's answer "not a duplicate" to the possible-duplicate flags of the version
    # decided: the ids it is not a copy of (empty: answered with nothing flagged; None: not
    # answered). ``publish`` no longer names those pairs.
    not_duplicate_of: list[int] | None = _json()
    identity_key: str | None = Field(default=None, index=True)
    language: str = "fi"
    decided_version: int | None = None
    # Reviewer edits on top of the submitted text (never overwriting it); the card uses them.
    corrected_title: str | None = None
    corrected_keywords: list[str] | None = _json()
    reviewer_comment: str | None = _text()
    # The slug of the title the practice was first published with: its page stays at
    # ``<id>-<published_slug>/`` when a reviewer corrects the title later (stable URLs).
    published_slug: str | None = None
    created_at: dt.datetime = Field(default_factory=utcnow)
    updated_at: dt.datetime = Field(default_factory=utcnow)


class PracticeVersion(SQLModel, table=True):
    """The card fields of one version of a practice, as normalised from a submission."""

    __table_args__ = (UniqueConstraint("practice_id", "version", name="uq_practice_version"),)

    id: int | None = Field(default=None, primary_key=True)
    practice_id: int = Field(foreign_key="practice.id")  # uq_practice_version's index serves it
    version: int
    submission_id: int | None = Field(default=None, foreign_key="submission.id")
    title: str = ""
    keywords: list[str] = _json([])
    target_group: list[str] = _json([])
    goal: str | None = _text()
    summary: str | None = _text()
    implementation: str | None = _text()
    resources: str | None = _text()
    experiences: str | None = _text()
    benefits: str | None = _text()
    contact_name: str | None = None
    contact_email: str | None = Field(default=None, index=True)
    contact_phone: str | None = None
    contact_text: str | None = _text()
    publish_consent: bool | None = None  # None: unknown (an empty cell); only True publishes
    municipality_text: str | None = _text()
    language: str = "fi"
    flags: list[str] = _json([])
    created_at: dt.datetime = Field(default_factory=utcnow)


class PracticeMunicipality(SQLModel, table=True):
    """A municipality a practice belongs to, and how that was decided."""

    practice_id: int = Field(foreign_key="practice.id", primary_key=True)
    municipality_code: str = Field(foreign_key="municipality.code", primary_key=True,
                                   max_length=3)
    source: str = "text"  # token, metadata, text, sender-domain, reviewer
    # A reviewer's corrected list replaced this row (kept so the original stays recoverable);
    # the effective municipalities are the rows with superseded false. Once corrected, every
    # effective row has source "reviewer"; a submitted row the reviewer kept remembers its
    # own source in submitted_source.
    superseded: bool = False
    submitted_source: str | None = None


# --- review ------------------------------------------------------------------------------


class ReviewDecision(SQLModel, table=True):
    """The audit trail: every decision applied by ``review import``."""

    id: int | None = Field(default=None, primary_key=True)
    practice_id: int = Field(foreign_key="practice.id", index=True)
    version: int
    decision: str  # approved, rejected, needs-info, duplicate
    previous_status: str
    duplicate_of_id: int | None = None
    not_duplicate_of: list[int] | None = _json()  # the answer "not a duplicate" (see Practice)
    comment: str | None = _text()
    corrected_title: str | None = None
    corrected_keywords: list[str] | None = _json()
    corrected_municipalities: list[str] | None = _json()
    reviewer: str | None = None
    source_file: str = ""
    source_sha256: str | None = Field(default=None, max_length=64)
    source_row: int | None = None
    decided_at: dt.datetime = Field(default_factory=utcnow)
    #: When the decision's workbook was exported (its hidden sheet says): an older export
    #: imported after a newer one must not overrule what was decided on the newer one.
    exported_at: dt.datetime | None = _time()
    #: The row's answer to a new reading of the practice's file ("Uusi luenta"): ``keep``
    #: or ``take``, or ``restore`` to put back an answer left empty (None: the row answered
    #: none).
    reread_answer: str | None = Field(default=None, max_length=8)
    #: Who last saved the decision's workbook, as its properties say (Excel's and
    #: LibreOffice's user name; None: not said). A copy named for one reviewer and
    #: forwarded to another is told apart by it.
    saved_by: str | None = Field(default=None, max_length=200)


# --- privacy -----------------------------------------------------------------------------


class Erasure(SQLModel, table=True):
    """A record that a person's data was erased on request, without the data itself."""

    id: int | None = Field(default=None, primary_key=True)
    subject_hash: str = Field(max_length=64)  # salted hash, so a repeat request can be matched
    counts: dict[str, Any] = _json({})
    erased_at: dt.datetime = Field(default_factory=utcnow)
    #: Which erasure key made ``subject_hash`` (a keyed check of it, not the key): workspaces
    #: sharing one database need the same key, and a record made with another is told apart.
    key_check: str | None = Field(default=None, max_length=16)
    #: The messages on the mail server that held the person when she was erased (fetch never
    #: deletes there), as [account, folder, UID, marked by fetch]: the coordinator's mailbox
    #: and its numbers, none of her data; a later run names them again, her copies gone.
    on_server: list[Any] | None = _json()


# --- identity ----------------------------------------------------------------------------


class DatabaseIdentity(SQLModel, table=True):
    """This database's random identity, made once: a review workbook carries it, so one
    exported from another database is refused before anything is applied."""

    id: int = Field(default=1, primary_key=True)
    database_id: str = Field(max_length=32)
    created_at: dt.datetime = Field(default_factory=utcnow)
