"""Send invitations and reminders through a durable outbox, never twice, none skipped.

The outbox (``OutboundMessage``) has one row per (round, municipality, address, kind, sequence).
A batch is planned first (``plan_round``, read-only), then sent (``send_round``):

1. rows still ``sending`` from a run that died are settled by the recovery rule below (a row
   claimed by a run that is still going, another process on this machine or a recent one
   elsewhere, is left to it: see ``recover_interrupted``);
2. the planned rows are inserted as ``queued`` (idempotent: the unique key);
3. up to ``CLAIM_BATCH`` messages are composed, then CLAIMED together: each row set to
   ``sending`` by a compare-and-set, all in ONE synchronous commit (on disk before any of
   them goes out). The claim records the run, the state the row came from and the database's
   durability epoch (``durability_epoch``);
4. for each claimed message: the "handing over" mark (``handing_at``) is committed without
   waiting for the disk, the message goes to the server, and its record (``sent`` with the
   server's answer, or the failure) is committed without waiting either; a later claim's
   synchronous commit takes them to disk, and the batch ends with a synchronous commit.
   Messages claimed but not handed over when a batch stops are given back as they were.

Recovery rule (a row left ``sending`` by a run that is dead):

* marked (``handing_at`` set): it may have gone out: ``uncertain``, never resent unless asked
  (``--resend-uncertain``), as a row of the one-commit-per-message design always was;
* not marked, and the database's durability epoch is still the one the claim recorded: it
  never went out (the mark is committed before the hand-over, and a killed process loses no
  commit: SQLite's are in the operating system's cache, PostgreSQL's in the server): it gets
  back the state it was claimed from (``queued``: sent by this run);
* not marked, and the epoch changed or is unknown (the machine restarted after a power cut,
  the PostgreSQL server crashed or restarted or checkpointed since, a platform without a boot
  id, a row claimed by an older version): the marks and records committed after the claim
  may be lost, so a missing mark proves nothing: ``uncertain``.

Both logs are sequential (a commit that survives carries every earlier one), so a batch's
claim, on disk, also carries every record of the batches before it: only the rows of a dead
run's last batch can ever be in doubt, and only after a restart are they all counted
uncertain. The cost: one disk flush per ``CLAIM_BATCH`` messages instead of one per message.

When the server advertises PIPELINING (RFC 2920), a message costs one round trip: the
content of one message, then MAIL, RCPT and DATA of the next go out as one group
(``SmtpSession.send_group``), and each reply is judged as below; a message whose content
went out without an answer is uncertain, one only enveloped is still unsent. Without it, one
command at a time.

Answers are judged by ``smtp_auth.classify`` (RFC 3463 enhanced codes, providers' texts). A
refusal of one address (5.1.x user unknown) marks that row ``failed`` and the batch goes on.
A quota, rate or policy refusal (5.4.5 daily quota, 4.7.x, 421, 554 5.2.0 quota, 452 4.5.3)
stops the batch at once: the row and the rest stay ``queued``, and the result says when to
try again. A temporary failure (4xx, dropped connection) is retried with exponential backoff
on the same connection; when the retries run out, or the server has dropped the connection
``MAX_RECONNECTS`` times, the batch stops with the rest queued (never a reconnect per
message). ``--retry-failed`` requeues rows that failed for a reason that can pass.
A message sent whole whose answer never came (timeout or lost connection after the final
dot) may have been accepted: its row becomes ``uncertain`` at once, like a killed run's.
The whole batch uses one SMTP session.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import secrets
import socket
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from .db.models import OutboxState as S  # noqa: N814 - read as S.sent, S.queued, …
from .errors import SendError, SurveyError, WorkspaceGone, stopped_by_interrupt
from .reports import Report, outcome_rows, plural, render_table, to_frame
from .smtp_auth import (
    ConnectFailure,
    PermanentFailure,
    ProviderStop,
    TemporaryFailure,
    UncertainFailure,
    connect_with_retries,
)

if TYPE_CHECKING:
    from sqlmodel import Session

    from .config import Settings
    from .messages import ComposedMessage
    from .workspace import Workspace

KINDS = ("invite", "remind")
#: How the error a message keeps starts when a provider refused it and stopped the batch.
PROVIDER_ERROR = "provider: "
#: Sending to more than this many addresses asks for confirmation (``--yes`` skips it).
CONFIRM_ABOVE = 5
MAX_ATTEMPTS = 5
BACKOFF_SECONDS = 2.0
BACKOFF_MAX_SECONDS = 120.0
#: Connections a batch may open again after the server dropped one, before it stops.
MAX_RECONNECTS = 3
#: How long a row another machine's run claimed may stay ``sending`` before it counts as
#: interrupted: far longer than one hand-over with every retry (5 tries x 60 s + backoff).
CLAIM_LEASE = dt.timedelta(minutes=15)
#: The runs of this process that are sending now (their ``claimed_by``).
_LIVE_RUNS: set[str] = set()
#: Messages claimed in one synchronous commit: one disk flush for this many hand-overs.
CLAIM_BATCH = 20
#: The kernel's id of this boot: it changes when the machine restarts (a power cut too).
BOOT_ID = Path("/proc/sys/kernel/random/boot_id")

Sleep = Callable[[float], None]
Clock = Callable[[], float]


class Transport(Protocol):
    """What ``send_round`` needs from an SMTP session (see ``smtp_auth.SmtpSession``)."""

    logins: int
    connections: int

    def connect(self) -> None: ...

    def send(self, message: EmailMessage | bytes, *, sender: str, recipient: str) -> str: ...

    def close(self) -> None: ...


def _no_progress(n: int = 1) -> None:
    return None


# --- plan ----------------------------------------------------------------------------------


@dataclass
class PlannedMessage:
    """One message of a batch: to whom, which kind, and the outbox row if it has one."""

    municipality_code: str
    municipality_name: str
    address: str
    kind: str
    sequence: int
    contact_id: int | None = None
    contact_name: str | None = None
    outbox_id: int | None = None
    state: str | None = None
    error: str | None = None  # why an earlier run could not send it

    @property
    def key(self) -> tuple[str, str, str, int]:
        return (self.municipality_code, self.address, self.kind, self.sequence)

    @property
    def label(self) -> str:
        return f"{self.municipality_code} {self.address}"


#: Why a batch leaves out a municipality that has no address to write to.
NO_CONTACT = "no valid contact address"
#: The same, said where every address the municipality had is retired (``register retire``).
NO_CONTACT_RETIRED = ("no valid contact address: its addresses are retired (register retire); "
                      "add one (yhteistuumin register contacts FILE)")


@dataclass
class Skip:
    """A municipality the batch leaves out, and why (the reminder rule, no contact)."""

    municipality_code: str
    municipality_name: str
    reason: str


@dataclass
class ContactNote:
    """A note on the follow-up list about an address the batch writes to (the person has
    left, a server refused our mail, soft bounces …): the message goes all the same, since the
    address may work, and the result says so (``register checked`` ends the note)."""

    municipality_code: str
    municipality_name: str
    address: str
    reason: str  # the note's key: left, moved, refused, challenge, soft, elsewhere
    named: list[str] = field(default_factory=list)  # addresses an auto-reply gave instead

    def text(self) -> str:
        from .contact_checks import REASONS

        named = f", it names {', '.join(self.named)}" if self.named else ""
        return f"{REASONS.get(self.reason, self.reason)}{named}"


@dataclass
class SendPlan:
    """What a batch would do: send these, and what it leaves out and why."""

    round_name: str
    kind: str
    to_send: list[PlannedMessage] = field(default_factory=list)
    already_sent: list[PlannedMessage] = field(default_factory=list)
    uncertain: list[PlannedMessage] = field(default_factory=list)
    failed_before: list[PlannedMessage] = field(default_factory=list)
    skipped: list[Skip] = field(default_factory=list)
    held: list[PlannedMessage] = field(default_factory=list)  # left for a later run (--limit)
    #: Notes on the follow-up list about addresses in ``to_send``.
    notes: list[ContactNote] = field(default_factory=list)

    @property
    def held_back(self) -> int:
        return len(self.held)


def normalise_codes(values: Iterable[str] | None) -> list[str]:
    """Return municipality codes from ``--only`` values (repeated, or separated by commas)."""
    codes: list[str] = []
    for value in values or ():
        for part in re.split(r"[,\s]+", value.strip()):
            if not part:
                continue
            if not part.isdigit() or len(part) > 3:
                raise SendError(f"--only {part}: not a municipality code; give 3-digit codes "
                                "such as 091 (see yhteistuumin register list)")
            codes.append(part.zfill(3))
    return codes


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _contacts_in_use(session: Session, by_code: dict[str, Any], codes: Sequence[str]
                     ) -> tuple[dict[str, list[Any]], set[str]]:
    """The valid contacts of the municipalities ``by_code`` (in the list's order), and the
    municipalities with a retired address (``register retire``)."""
    from sqlmodel import col, select

    from .contact_retire import RETIRED
    from .db.models import Contact

    contacts: dict[str, list[Any]] = {}
    contact_query = select(Contact).where(col(Contact.status) == "valid")
    if codes:
        contact_query = contact_query.where(col(Contact.municipality_code).in_(codes))
    for contact in session.exec(contact_query.order_by(col(Contact.municipality_code),
                                                       col(Contact.id))):
        if contact.municipality_code in by_code and contact.email:
            contacts.setdefault(contact.municipality_code, []).append(contact)
    retired = set(session.exec(select(Contact.municipality_code).where(
        col(Contact.status) == RETIRED)))
    return contacts, retired


def plan_round(
    *,
    session: Session,
    settings: Settings,
    kind: str,
    only: Sequence[str] | None = None,
    limit: int | None = None,
    resend_uncertain: bool = False,
    retry_failed: bool = False,
    now: dt.datetime | None = None,
) -> SendPlan:
    """Work out what ``send invite`` / ``send remind`` would send; changes nothing.

    ``retry_failed`` plans again the messages an earlier run failed for a reason that can pass
    (a quota, a full mailbox, a message that could not be composed); never an unknown user.
    """
    from sqlmodel import col, select

    from .db.models import Municipality, OutboundMessage

    if kind not in KINDS:
        raise SendError(f"unknown kind of message {kind!r}; use invite or remind")
    round_name = settings.round_name
    now = _aware(now) or dt.datetime.now(dt.UTC)
    codes = normalise_codes(only)

    query = select(Municipality).where(col(Municipality.active).is_(True))
    if codes:
        query = query.where(col(Municipality.code).in_(codes))
    municipalities = list(session.exec(query.order_by(col(Municipality.code))))
    if codes:
        unknown = sorted(set(codes) - {m.code for m in municipalities})
        if unknown:
            raise SendError(f"--only {', '.join(unknown)}: no municipality in force has this "
                            "code; see yhteistuumin register list")
    by_code = {m.code: m for m in municipalities}

    contacts, retired = _contacts_in_use(session, by_code, codes)

    rows_query = select(OutboundMessage).where(col(OutboundMessage.round_name) == round_name)
    if codes:
        rows_query = rows_query.where(col(OutboundMessage.municipality_code).in_(codes))
    rows_by_code: dict[str, list[Any]] = {}
    for row in session.exec(rows_query):
        rows_by_code.setdefault(row.municipality_code, []).append(row)

    from .reminders import reminder_due

    answered, joint, replied = _held_back(session, round_name, codes, kind)
    max_reminders = int(settings.get("reminders.max"))
    min_days = int(settings.get("reminders.min_days"))

    plan = SendPlan(round_name=round_name, kind=kind)
    epoch: str | None = None  # read when a row left "sending" needs it
    for municipality in municipalities:
        name = municipality.name_fi
        people = contacts.get(municipality.code, [])
        rows = rows_by_code.get(municipality.code, [])
        if not people:
            plan.skipped.append(Skip(municipality.code, name, NO_CONTACT_RETIRED
                                     if municipality.code in retired else NO_CONTACT))
            continue
        if kind == "invite":
            wanted = [(person, 0) for person in people]
        else:
            due = reminder_due(rows, answered=municipality.code in answered,
                               addresses=[person.email for person in people], now=now,
                               max_reminders=max_reminders, min_days=min_days,
                               joint=joint.get(municipality.code, ""),
                               replied=replied.get(municipality.code))
            if not due.due:
                plan.skipped.append(Skip(municipality.code, name, due.reason.replace(
                    " CODE", f" {municipality.code}")))
                continue
            wanted = _reminded(plan, municipality.code, name, rows, people, due.sequence)
        existing = {(row.address.casefold(), row.kind, row.sequence): row for row in rows}
        for person, sequence in wanted:
            address = person.email.strip()
            message = PlannedMessage(municipality.code, name, address, kind, sequence,
                                     contact_id=person.id, contact_name=person.name)
            found = existing.get((address.casefold(), kind, sequence))
            if found is not None and found.state == S.sending:
                if epoch is None:
                    epoch = durability_epoch(session) or ""
                back = left_unsent(found.claimed_by, found.sending_at, found.handing_at,
                                   found.claim_epoch, found.claimed_from, epoch=epoch, now=now)
                if back is not None:  # the run that claimed it died before handing it over
                    found = _Found(found.id, back, found.error, found.smtp_response)
            _place(plan, message, found,
                   resend_uncertain=resend_uncertain, retry_failed=retry_failed)
    _order_and_limit(plan, limit)
    plan.notes = _notes_on(plan.to_send, session=session, settings=settings)
    return plan


def _held_back(session: Session, round_name: str, codes: list[str], kind: str
               ) -> tuple[set[str], dict[str, str], dict[str, dt.datetime]]:
    """What holds a reminder back (``reminders.reminder_due``): the municipalities that
    answered, those named with others in a joint answer, those that wrote a message to read."""
    if kind != "remind":
        return set(), {}, {}
    from .reminders import joint_texts, replies_to_read
    from .status import answered_codes

    return (answered_codes(session=session, round_name=round_name),
            joint_texts(session, round_name, only=codes),
            replies_to_read(session, round_name, only=codes))


def _notes_on(messages: Sequence[PlannedMessage], *, session: Session, settings: Settings
              ) -> list[ContactNote]:
    """The follow-up list's open notes on the addresses ``messages`` go to."""
    if not messages:
        return []
    from .followup import contact_notes

    notes = contact_notes(session, soft_limit=int(settings.get("bounces.soft_limit")),
                          soft_days=int(settings.get("bounces.soft_days")))
    found: list[ContactNote] = []
    for message in messages:
        for note in notes.get(message.municipality_code, []):
            made = ContactNote(message.municipality_code, message.municipality_name,
                               message.address, note["reason"], list(note.get("named", [])))
            if note["address"].casefold() == message.address.casefold() and made not in found:
                found.append(made)
    return found


def _order_and_limit(plan: SendPlan, limit: int | None) -> None:
    """Put the plan's messages in their order and hold back those past ``limit``.

    A message a provider refused last time (a policy or spam refusal stops the batch) goes
    after the others: were it refused for what it is, each run would stop at it and the
    round would never get past it; were it the account, the first other message tells."""
    plan.to_send.sort(key=lambda message: (message.error or "").startswith(PROVIDER_ERROR))
    if limit is not None and limit >= 0 and len(plan.to_send) > limit:
        plan.held = plan.to_send[limit:]
        plan.to_send = plan.to_send[:limit]


@dataclass
class _Found:
    """An outbox row as the plan sees it (a row left claimed but unsent: its state before)."""

    id: int | None
    state: str
    error: str | None
    smtp_response: str | None


def _place(plan: SendPlan, message: PlannedMessage, found: Any, *, resend_uncertain: bool,
           retry_failed: bool) -> None:
    """Put a planned message in its list by what the outbox says of it (``found``, or None
    when it was never queued)."""
    from .smtp_auth import can_pass

    if found is None:
        plan.to_send.append(message)
        return
    message.outbox_id, message.state = found.id, found.state
    message.error = found.error or found.smtp_response
    if found.state == S.queued:
        plan.to_send.append(message)
    elif found.state == S.sent:
        plan.already_sent.append(message)
    elif found.state in (S.sending, S.uncertain):
        (plan.to_send if resend_uncertain else plan.uncertain).append(message)
    elif retry_failed and can_pass(message.error):
        plan.to_send.append(message)
    else:
        plan.failed_before.append(message)


def _reminded(plan: SendPlan, code: str, name: str, rows: list[Any], people: list[Any],
              sequence: int) -> list[tuple[Any, int]]:
    """Return (person, sequence) of the reminder due to those an invitation reached; the others
    are skipped, to be sent the invitation first."""
    reached, not_yet = _invited(rows, people)
    plan.skipped.extend(Skip(code, name, f"{person.email.strip()}: not invited yet (send "
                             "invite first)") for person in not_yet)
    return [(person, sequence) for person in reached]


def _invited(rows: list[Any], people: list[Any]) -> tuple[list[Any], list[Any]]:
    """Split ``people`` into those an invitation reached and the rest.

    A reminder goes to the first only: an address added since the invitations, or whose
    invitation is still queued, is sent the invitation first, never a reminder of a message it
    never had."""
    from .reminders import invited_addresses

    invited = invited_addresses(rows)
    reached: list[Any] = []
    not_yet: list[Any] = []
    for person in people:
        (reached if person.email.strip().casefold() in invited else not_yet).append(person)
    return reached, not_yet


# --- rate and retries ----------------------------------------------------------------------


class RateLimiter:
    """Fixed spacing between hand-overs: at most ``per_second`` messages a second."""

    def __init__(self, per_second: float | None, *, clock: Clock = time.monotonic,
                 sleep: Sleep = time.sleep):
        self.interval = 1.0 / per_second if per_second else 0.0
        self._clock = clock
        self._sleep = sleep
        self._next: float | None = None

    def wait(self) -> None:
        """Sleep until the next message may go."""
        if not self.interval:
            return
        now = self._clock()
        if self._next is not None and now < self._next:
            self._sleep(self._next - now)
            now = self._next
        self._next = now + self.interval


# --- compose -------------------------------------------------------------------------------

#: Build the message for a planned one: returns it (with Message-ID) and the response token.
#: The message is a ``messages.ComposedMessage`` (its wire bytes, made once) or, from a
#: script, an ``EmailMessage`` (serialised once, here).
Composer = Callable[[PlannedMessage], tuple["ComposedMessage | EmailMessage", str | None]]


def wire_form(message: ComposedMessage | EmailMessage) -> tuple[bytes, str | None]:
    """Return (the bytes to send and to keep as the outbox copy, the Message-ID)."""
    if isinstance(message, EmailMessage):
        from .smtp_auth import message_bytes

        return message_bytes(message), str(message.get("Message-ID") or "") or None
    return message.data, message.message_id or None


def sent_folder(workspace: Workspace, *, round_name: str) -> Path:
    """Return the folder that keeps a copy of every message handed to the server: the exact
    bytes sent, one ``.eml`` per outbox row (``<code>-<kind>-<sequence>-<row>.eml``)."""
    return workspace.outputs / "outbox" / _safe(round_name) / "sent"


def make_composer(workspace: Workspace, *, session: Session, settings: Settings) -> Composer:
    """Return a composer that attaches each municipality's questionnaire (built when missing)."""
    from sqlmodel import select

    from . import messages, questionnaire, tokens
    from .db.models import Municipality
    from .survey import workspace_survey
    from .templating import make_environment

    survey = workspace_survey(workspace)
    # One template environment for the whole batch, the constant headers encoded once.
    composer = messages.MessageComposer(workspace, settings=settings, survey=survey,
                                        env=make_environment(workspace))
    # Read in one query each on the first message rather than two queries a message: the
    # register does not change during a batch, and a token never changes once made.
    municipalities: dict[str, Any] = {}
    known_tokens: dict[str, str] = {}
    # The questionnaires listed once (a glob of the folder per message was a directory scan
    # per message): the newest file of each code, as questionnaire_path picks it.
    books: dict[str, Path] | None = None
    current: set[str] = set()  # codes whose questionnaire gives the settings of now

    def compose(planned: PlannedMessage) -> tuple[ComposedMessage | EmailMessage, str | None]:
        nonlocal books
        code = planned.municipality_code
        if not municipalities:
            municipalities.update((m.code, m) for m in session.exec(select(Municipality)))
        municipality = municipalities[code]
        if not known_tokens:
            known_tokens.update(tokens.tokens_for_round(session=session,
                                                        round_name=settings.round_name))
        token = known_tokens.get(code)
        if token is None:
            token = known_tokens[code] = tokens.get_or_create_token(
                session=session, round_name=settings.round_name, municipality_code=code)
        if books is None:
            books = _questionnaires_by_code(questionnaire.questionnaire_folder(
                workspace, round_name=settings.round_name))
        attachment = books.get(code) or questionnaire.questionnaire_path(
            workspace, round_name=settings.round_name, code=code)
        # A questionnaire built before the deadline was moved names the old day, one built
        # before the reply address (or the coordinator) changed tells to return it where
        # nobody reads: built again (looked at once a batch: a municipality with two
        # addresses attaches it twice).
        if not attachment.is_file() or (code not in current and questionnaire.outdated_settings(
                attachment, settings)):
            attachment = books[code] = questionnaire.build_questionnaire(
                workspace, session=session, settings=settings, survey=survey,
                municipality=municipality)
        current.add(code)
        message = composer.compose(
            municipality=municipality, kind=planned.kind, token=token, address=planned.address,
            contact_name=planned.contact_name, attachment=attachment, sequence=planned.sequence)
        return message, token

    return compose


def _questionnaires_by_code(folder: Path) -> dict[str, Path]:
    """Return the newest ``<code>-*.xlsx`` of each code in ``folder`` (none if it is missing)."""
    newest: dict[str, tuple[float, Path]] = {}
    for path in folder.glob("*-*.xlsx"):
        code = path.name.partition("-")[0]
        stamp = path.stat().st_mtime
        if code not in newest or stamp > newest[code][0]:
            newest[code] = (stamp, path)
    return {code: path for code, (_stamp, path) in newest.items()}


# --- send ----------------------------------------------------------------------------------


KIND_LABEL = {"invite": "Invitations", "remind": "Reminders"}
#: Outcomes the send summary lists message by message.
PROBLEM_STATES = ("failed", "uncertain", "in-progress", "not-sent", "failed-earlier", "skipped",
                  "queued")


@dataclass
class SendResult:
    """What a batch did: one outcome per message, and the connection counts."""

    round_name: str
    kind: str
    dry_run: bool
    report: Report = field(default_factory=Report)
    logins: int = 0
    connections: int = 0
    stopped: str | None = None  # why the batch stopped early (connection, login, provider)
    resume_after: dt.datetime | None = None  # when the provider may take more
    folder: str | None = None  # the dry run's .eml folder
    held_back: int = 0  # messages left for the next run by --limit
    municipalities: int = 0  # municipalities the plan wrote to
    #: Notes on the follow-up list about addresses the batch wrote to (the plan's).
    notes: list[ContactNote] = field(default_factory=list)
    #: A dry run's messages ask to answer by a day gone: what a real send refuses, and why.
    deadline_passed: str = ""

    @property
    def failed(self) -> bool:
        # A message this run left of unknown fate needs the coordinator as a failed one does:
        # a script that reads the exit code must see it (the summary says "1 uncertain").
        # One an earlier run left is listed again, but fails no later run.
        return (self.report.failed or self.stopped is not None
                or any(outcome.status == "uncertain" and not outcome.detail.get("earlier")
                       for outcome in self.report.outcomes))

    def summary(self) -> list[str]:
        counts = self.report.counts
        label = KIND_LABEL.get(self.kind, self.kind)
        if self.dry_run:
            lines = [f"Dry run, {label.lower()} of round {self.round_name}: "
                     f"{counts.get('written', 0)} written to {self.folder}; nothing sent."]
            if self.deadline_passed:
                lines.append(f"Warning: {self.deadline_passed}. A real send refuses them "
                             "until then.")
        else:
            lines = [f"{label}, round {self.round_name}: {counts.get('sent', 0)} sent, "
                     f"{counts.get('failed', 0)} failed, {counts.get('uncertain', 0)} uncertain, "
                     f"{counts.get('already-sent', 0)} already sent "
                     f"({plural(self.logins, 'login')})."]
        # A dry run's first line counts only what it wrote: what went before (or may have)
        # is said here, or "0 written" after the real send left the sent ones unaccounted.
        before = ("already-sent", "uncertain") if self.dry_run else ()
        extra = [f"{counts[s]} {s.replace('-', ' ') if s in before else s}"
                 for s in (*before, "skipped", "failed-earlier", "not-sent", "in-progress")
                 if counts.get(s)]
        if counts.get("queued"):
            extra.insert(0, f"{counts['queued']} queued for the next run")
        if self.held_back:
            extra.append(f"{self.held_back} left for the next run (--limit)")
        if extra:
            lines.append("Also: " + ", ".join(extra) + ".")
        return lines + self._noted() + self._shared_addresses()

    def _noted(self) -> list[str]:
        """Say, per address the batch wrote to, the note the follow-up list has on it."""
        done = {outcome.source.casefold() for outcome in self.report.outcomes
                if outcome.status in ("sent", "written")}
        what = "reminder" if self.kind == "remind" else "invitation"
        went = "is written for it" if self.dry_run else "went to it"
        return [f"{n.municipality_code} {n.municipality_name}: contact {n.address} has a note "
                f"({n.text()}); the {what} {went} all the same, as the address may work. "
                "Look at it on the follow-up list (yhteistuumin status --by municipality); "
                "if the contact stays as it is: yhteistuumin register checked "
                f"{n.municipality_code} --reason '...'"
                for n in self.notes
                if f"{n.municipality_code} {n.address}".casefold() in done]

    def _shared_addresses(self) -> list[str]:
        """Say so when one address is the contact of several municipalities (a joint culture
        office): it gets one message for each, each with that municipality's own link."""
        codes: dict[str, list[str]] = {}
        shown: dict[str, str] = {}
        for outcome in self.report.outcomes:
            if outcome.status not in ("sent", "written"):
                continue
            code, _, address = outcome.source.partition(" ")
            shown.setdefault(address.casefold(), address)
            if code not in codes.setdefault(address.casefold(), []):
                codes[address.casefold()].append(code)
        what = "message" if self.kind != "invite" else "invitation and questionnaire"
        return [f"{shown[key]} is the contact of {len(found)} municipalities "
                f"({', '.join(sorted(found))}): it {'got' if not self.dry_run else 'gets'} "
                f"one {what} for each, with that municipality's own answer link."
                for key, found in codes.items() if len(found) > 1]

    def table(self) -> tuple[list[str], list[dict[str, Any]]]:
        return ["source", "status", "reason"], outcome_rows(self.report)

    def text(self) -> str:
        lines = self.summary()
        problems = [row for row in self.table()[1] if row["status"] in PROBLEM_STATES]
        if problems:
            lines += ["", render_table(problems, ["source", "status", "reason"])]
        if self.stopped:
            lines += ["", f"Stopped early: {self.stopped}"]
        return "\n".join(lines)

    def to_frame(self) -> Any:
        """Return one row per message (source, status, reason) as a pandas DataFrame."""
        return to_frame(self)

    def to_dict(self) -> dict[str, Any]:
        data = self.report.to_dict()
        return {"round": self.round_name, "kind": self.kind, "dry_run": self.dry_run,
                "counts": data["counts"], "logins": self.logins,
                "connections": self.connections, "stopped": self.stopped,
                "resume_after": self.resume_after.isoformat() if self.resume_after else None,
                "folder": self.folder, "messages": data["outcomes"],
                "held_back": self.held_back, "deadline_passed": self.deadline_passed,
                "contact_notes": [{"municipality": n.municipality_code, "address": n.address,
                                   "note": n.reason, "named": n.named} for n in self.notes]}


def _report_plan(plan: SendPlan, report: Report, in_progress: dict[int, str] | None = None
                 ) -> None:
    in_progress = in_progress or {}
    for message in plan.already_sent:
        report.add(message.label, "already-sent", "sent by an earlier run",
                   municipality=message.municipality_code, address=message.address,
                   kind=message.kind, sequence=message.sequence)
    for message in [*plan.uncertain, *plan.to_send]:
        if message.outbox_id in in_progress:
            host, _, rest = in_progress[message.outbox_id].partition("/")
            report.add(message.label, "in-progress",
                       f"being sent right now by another run (process {rest.partition('/')[0]} "
                       f"on {host}); left to it",
                       municipality=message.municipality_code, address=message.address,
                       kind=message.kind, sequence=message.sequence)
    for message in plan.uncertain:
        if message.outbox_id in in_progress:
            continue
        report.add(message.label, "uncertain",
                   f"{message.error or HANDING_STOPPED}; not resent unless "
                   "--resend-uncertain (look for it in the provider's sent mail first)",
                   municipality=message.municipality_code, address=message.address,
                   kind=message.kind, sequence=message.sequence, earlier=True)
    from .smtp_auth import can_pass

    for message in plan.failed_before:
        if can_pass(message.error):
            why = (f"failed in an earlier run ({message.error or 'no answer recorded'}); "
                   "--retry-failed tries it again")
        else:
            why = f"refused permanently by an earlier run: {message.error}"
        report.add(message.label, "failed-earlier", why,
                   municipality=message.municipality_code, address=message.address,
                   kind=message.kind, sequence=message.sequence)
    for skip in plan.skipped:
        report.add(f"{skip.municipality_code} {skip.municipality_name}", "skipped", skip.reason,
                   municipality=skip.municipality_code)


def new_run_id() -> str:
    """Return an id for one sending run: this machine, this process, and a random part."""
    return f"{socket.gethostname()}/{os.getpid()}/{secrets.token_hex(4)}"


def run_is_alive(claimed_by: str | None, sending_at: dt.datetime | None,
                 now: dt.datetime) -> bool:
    """Tell if the run that claimed a row may still be sending it.

    On this machine the process is asked (and within this process, the run); a run on
    another machine sharing the database is trusted for ``CLAIM_LEASE`` after its claim.
    """
    if not claimed_by:
        return False
    host, _, rest = claimed_by.partition("/")
    if host != socket.gethostname():
        if sending_at is None:
            return False
        if sending_at.tzinfo is None:
            sending_at = sending_at.replace(tzinfo=dt.UTC)
        return now - sending_at < CLAIM_LEASE
    pid_text = rest.partition("/")[0]
    if not pid_text.isdigit():
        return False
    if int(pid_text) == os.getpid():
        return claimed_by in _LIVE_RUNS
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process of that number: alive
        return True
    return True


@dataclass
class Recovery:
    """What ``recover_interrupted`` found: rows made uncertain, rows given back unsent, rows
    left to live runs."""

    interrupted: int = 0
    released: int = 0  # claimed by a run that died before handing them over: as before
    in_progress: dict[int, str] = field(default_factory=dict)  # row id -> claimed_by


def durability_epoch(session: Session) -> str | None:
    """Return what names the database's present run of durability, or None when unknown.

    It changes whenever commits made without waiting for the disk may have been lost since:
    for SQLite (a file on this machine) the kernel's boot id, which a restart or a power cut
    changes (a killed process loses nothing: its commits are in the operating system's
    cache); for PostgreSQL the server's start time and the redo point of its last
    checkpoint, which crash recovery always moves (it ends with a checkpoint; so does a
    regular one, which then only makes the rule more careful).
    """
    bind = session.get_bind()
    dialect = bind.dialect.name
    if dialect == "sqlite":
        try:
            return "boot:" + BOOT_ID.read_text(encoding="ascii").strip()
        except OSError:
            return None
    if dialect == "postgresql":
        from sqlalchemy import text
        from sqlalchemy.exc import DBAPIError

        engine: Any = getattr(bind, "engine", bind)
        try:  # its own connection: a refused function must not abort the session's work
            with engine.connect() as connection:
                started, redo = connection.execute(text(
                    "SELECT pg_postmaster_start_time(), redo_lsn FROM pg_control_checkpoint()"
                )).one()
        except DBAPIError:
            return None
        return f"pg:{started.isoformat()}:{redo}"
    return None


def left_unsent(claimed_by: str | None, sending_at: dt.datetime | None,
                handing_at: dt.datetime | None, claim_epoch: str | None,
                claimed_from: str | None, *, epoch: str | None,
                now: dt.datetime) -> str | None:
    """Return the state to give back to a row left ``sending`` whose run surely never handed
    it over (its run is dead, it has no "handing over" mark, and the database has not lost
    unsynced commits since the claim: ``claim_epoch == epoch``); None when it may have gone
    out (uncertain) or its run is still going."""
    if run_is_alive(claimed_by, sending_at, now):
        return None
    if handing_at is not None or not claim_epoch or claim_epoch != epoch:
        return None
    return claimed_from or S.queued


#: Why a row is uncertain after a run that died (the coordinator reads it in the summary).
HANDING_STOPPED = ("a run stopped (killed?) while handing it to the server: it may have gone "
                   "out")
CLAIM_IN_DOUBT = ("a run stopped after claiming it and the database restarted since (or an "
                  "older version claimed it): whether it went out is not known")


def recover_interrupted(*, session: Session, round_name: str,
                        now: dt.datetime | None = None) -> Recovery:
    """Settle the rows left ``sending`` by a run that died (the rule is in the module
    docstring): uncertain when the message may have gone out, back to the state before the
    claim when it surely did not.

    A row whose run is still going (``run_is_alive``) is left to it and listed as in progress.
    """
    from sqlalchemy import select, update
    from sqlmodel import col

    from .db.models import OutboundMessage, utcnow

    now = now or utcnow()
    found = Recovery()
    table = OutboundMessage
    columns: list[Any] = [table.id, table.claimed_by, table.sending_at, table.handing_at,
                          table.claim_epoch, table.claimed_from]
    rows = session.execute(select(*columns).where(
        col(table.round_name) == round_name, col(table.state) == S.sending)).all()
    dead: dict[str, list[Any]] = {}  # the reason -> rows made uncertain
    back: dict[str, list[Any]] = {}
    epoch: str | None = None
    for row_id, claimed_by, sending_at, handing_at, claim_epoch, claimed_from in rows:
        if run_is_alive(claimed_by, sending_at, now):
            found.in_progress[int(row_id or 0)] = str(claimed_by)
            continue
        if epoch is None and claim_epoch and handing_at is None:
            epoch = durability_epoch(session) or ""
        state = left_unsent(claimed_by, sending_at, handing_at, claim_epoch, claimed_from,
                            epoch=epoch, now=now)
        if state is None:
            dead.setdefault(HANDING_STOPPED if handing_at is not None else CLAIM_IN_DOUBT,
                            []).append(row_id)
        else:
            back.setdefault(state, []).append(row_id)
    for reason, ids in dead.items():
        result = session.execute(
            update(table)
            .where(col(table.id).in_(ids), col(table.state) == S.sending)
            .values(state=S.uncertain, updated_at=utcnow(), error=reason)
        )
        found.interrupted += int(getattr(result, "rowcount", 0) or 0)
    for state, ids in back.items():
        result = session.execute(
            update(table)
            .where(col(table.id).in_(ids), col(table.state) == S.sending)
            .values(state=state, updated_at=utcnow(), claimed_by=None, claimed_from=None,
                    claim_epoch=None, handing_at=None, sending_at=None)
        )
        found.released += int(getattr(result, "rowcount", 0) or 0)
    session.commit()
    return found


def _queue_rows(*, session: Session, plan: SendPlan) -> None:
    """Insert the planned rows as ``queued`` (rows that exist are kept as they are)."""
    from sqlmodel import col, select

    from .db.models import OutboundMessage

    # Held-back rows are queued too: an interrupted reminder round is then resumed as planned.
    missing = [m for m in (*plan.to_send, *plan.held) if m.outbox_id is None]
    if missing:
        codes = sorted({m.municipality_code for m in missing})
        existing = {
            (row.municipality_code, row.address.casefold(), row.kind, row.sequence): row
            for row in session.exec(select(OutboundMessage).where(
                col(OutboundMessage.round_name) == plan.round_name,
                col(OutboundMessage.municipality_code).in_(codes)))
        }
        for message in missing:
            key = (message.municipality_code, message.address.casefold(), message.kind,
                   message.sequence)
            if key not in existing:
                row = OutboundMessage(round_name=plan.round_name,
                                      municipality_code=message.municipality_code,
                                      contact_id=message.contact_id, address=message.address,
                                      kind=message.kind, sequence=message.sequence,
                                      state=S.queued)
                session.add(row)
                existing[key] = row
        session.commit()
        for message in missing:
            row = existing[(message.municipality_code, message.address.casefold(), message.kind,
                            message.sequence)]
            message.outbox_id, message.state = row.id, row.state


def send_round(
    plan: SendPlan,
    *,
    session: Session,
    settings: Settings,
    compose: Composer,
    transport: Transport,
    rate: float | None = None,
    max_attempts: int = MAX_ATTEMPTS,
    backoff: float = BACKOFF_SECONDS,
    sleep: Sleep = time.sleep,
    clock: Clock = time.monotonic,
    progress: Callable[[int], Any] | None = None,
    copies: Path | None = None,
) -> SendResult:
    """Send the planned messages through one SMTP session, recording each in the outbox.

    ``copies``: a folder (``sent_folder``) that receives each claimed message's bytes just
    before they are handed over, the very bytes the server gets.
    """
    result = SendResult(round_name=plan.round_name, kind=plan.kind, dry_run=False)
    run_id = new_run_id()
    _LIVE_RUNS.add(run_id)
    try:
        return _send_planned(plan, result, run_id, session=session, settings=settings,
                             compose=compose, transport=transport, rate=rate,
                             max_attempts=max_attempts, backoff=backoff, sleep=sleep,
                             clock=clock, progress=progress, copies=copies)
    except (KeyboardInterrupt, Exception) as exc:  # noqa: BLE001 - an interrupt's, told below
        if not stopped_by_interrupt(exc):
            raise
        # Ctrl-C or SIGTERM (or SQLAlchemy's error that replaced one): say what went, and
        # that a rerun goes on
        sent = result.report.counts.get("sent", 0)
        raise KeyboardInterrupt(
            f"{plural(sent, 'message')} sent before it, each recorded; run the same command "
            "again to send the rest (nobody is mailed twice)"
        ) from None
    finally:
        _LIVE_RUNS.discard(run_id)


def _deliver(row: Any, message: bytes, recipient: str, *, result: SendResult,
             transport: Transport, sender: str, limiter: RateLimiter, max_attempts: int,
             backoff: float, sleep: Sleep, first: str | Exception | None = None
             ) -> tuple[str, str, int, SendError | None, str | None]:
    """Hand one claimed message to the server (retrying what may pass) and set its outbox
    row's state; return the outcome (status, reason), the attempts, the error that stops the
    batch and the provider's refusal that halts it.

    ``first``: the outcome of a first attempt already made (in a pipelined group), judged
    here as if this function had made it: an answer, or the failure it raised.
    """
    from tenacity import RetryError

    from .db.models import utcnow

    attempts = 0

    def attempt() -> str:
        nonlocal attempts, first
        if first is not None:
            attempts += 1
            given, first = first, None
            if isinstance(given, Exception):
                raise given
            return given
        limiter.wait()
        attempts += 1
        return transport.send(message, sender=sender, recipient=recipient)

    retrying = _retrying(max_attempts, backoff, sleep, TemporaryFailure)
    outcome: tuple[str, str] | None = None
    fatal: SendError | None = None
    halt: str | None = None  # the provider's refusal that stops the batch
    try:
        answer = retrying(attempt)
        row.state, row.smtp_response, row.sent_at = S.sent, answer, utcnow()
        outcome = ("sent", answer)
    except PermanentFailure as exc:
        row.state, row.smtp_response, row.error = S.failed, str(exc), str(exc)
        outcome = ("failed", str(exc))
    except ProviderStop as exc:
        # Quota, rate or policy: the message was refused, not failed. It and the rest
        # stay queued; another message now would only be refused again (or get the
        # account blocked).
        row.state, row.smtp_response, row.error = S.queued, str(exc), f"{PROVIDER_ERROR}{exc}"
        when = utcnow() + exc.wait
        result.resume_after = when
        halt = (f"{exc} ({exc.advice or 'the provider refuses more now'}); the rest waits "
                f"in the queue: send again after {when:%Y-%m-%d %H:%M} UTC")
        outcome = ("queued", f"refused for now, stays queued: {exc}")
    except UncertainFailure as exc:
        # Handed over whole: a retry could be a second copy (RFC 1047). Never automatic.
        row.state, row.error = S.uncertain, str(exc)
        outcome = ("uncertain", f"{exc}; not resent unless --resend-uncertain")
    except ConnectFailure as exc:
        # Never handed over (no connection): back in the queue for the next run.
        row.state, row.error = S.queued, str(exc)
        outcome = ("failed", f"not sent, will be tried again on the next run: {exc}")
        fatal = SendError(str(exc))
    except TemporaryFailure as exc:
        # Backed off on the same connection and still refused: stop rather than carry
        # the same trouble to every remaining message (and reconnect for each).
        row.state, row.error = S.queued, f"temporary: {exc}"
        outcome = ("queued", f"temporary failure after {attempts} tries, stays queued "
                             f"for the next run: {exc}")
        halt = (f"{exc} (still refused after {attempts} tries); the rest waits in the "
                "queue: send again later")
    except SendError as exc:
        row.state, row.error = S.queued, str(exc)
        outcome = ("failed", f"not sent: {exc}")
        fatal = exc
    except RetryError as exc:  # pragma: no cover - reraise=True re-raises the cause
        row.state, row.error = S.queued, str(exc)
        outcome = ("failed", str(exc))
    assert outcome is not None
    return outcome[0], outcome[1], attempts, fatal, halt


def address_is_dead(answer: str | None) -> bool:
    """Whether a refusal says the address itself takes no mail from us, for good: the
    server's answer to RCPT TO (``550 5.1.1 user unknown``, ``5.1.2`` no such domain,
    ``5.7.1 recipient address rejected``), the same fact a hard bounce reports later.
    A full mailbox, a refused message or a quota is not one."""
    from .smtp_auth import ADDRESS, classify

    match = re.match(r"RCPT TO: ([45]\d\d)\b", answer or "")
    if not match:
        return False
    # A refusal of our own sender (5.1.7, 5.1.8, Postfix's "Sender address rejected" at RCPT
    # TO) is ``classify``'s STOP, never ADDRESS; any other refusal that speaks of the sender
    # is not blamed on the recipient's address either.
    if "sender" in (answer or "").lower():
        return False
    if refused_by_policy(answer):
        return False
    verdict = classify(int(match.group(1)), answer or "")
    return verdict.kind == ADDRESS and not verdict.passable


def refused_by_policy(answer: str | None) -> bool:
    """Whether the server's answer to RCPT TO refuses us by policy (5.7.1 "delivery not
    authorized", Microsoft's RESOLVER.RST: a list that takes only its own organisation's
    mail): the recipient refusing our mail, not a dead address. The message fails, the
    contact stays in use and a person sorts it out, as ``bounces`` reads the same words in a
    returned report; unless the server's words say there is no such user."""
    from .smtp_auth import NO_SUCH_USER, enhanced_code

    text = answer or ""
    return (text.startswith("RCPT TO: 5") and (enhanced_code(text) or "").startswith("5.7.")
            and not NO_SUCH_USER.search(text))


def _note_refusal(session: Session, row: Any, reason: str) -> str:
    """Keep a refusal by policy for the follow-up list (``status --by municipality``: "check
    the contact"), as ``bounces`` keeps one read from a returned report; return what to add
    to the outcome's reason."""
    from .bounces import CHECK_PREFIX, REFUSED
    from .db.models import Bounce, utcnow

    now = utcnow()
    session.add(Bounce(message_key=f"rcpt-refused:{row.id}:{now.isoformat()}",
                       classification=CHECK_PREFIX + REFUSED, address=row.address,
                       outbound_id=row.id, detail=reason[:2000], source="send"))
    return ("; the recipient's server refuses our mail (the address may well work): nothing "
            "is marked; ask the municipality to let it through, or reach it another way")


def _mark_dead(session: Session, row: Any, reason: str) -> str:
    """Mark the contacts of an address refused at RCPT TO bounced (as ``bounces`` marks a
    hard bounce): reminders leave it alone and ``status`` asks for a new one. Returns what to
    add to the outcome's reason."""
    from .bounces import mark_contacts
    from .db.models import utcnow

    marked = mark_contacts(session, row.address, reason, utcnow())
    if marked > 1:
        return (f"; the address is marked bounced for the {marked} municipalities whose "
                "contact it is (register new ones)")
    if marked:
        return "; the address is marked bounced (register a new one)"
    return ""


@dataclass
class _Claimed:
    """A message of the batch this run has claimed: its row, its wire bytes, and the row's
    values before the claim (put back when the run stops before handing it over)."""

    planned: PlannedMessage
    row: Any
    message: bytes
    message_id: str | None
    token: str | None
    before: dict[str, Any]

    @property
    def detail(self) -> dict[str, Any]:
        planned = self.planned
        return {"municipality": planned.municipality_code, "address": planned.address,
                "kind": planned.kind, "sequence": planned.sequence}


#: The columns a claim sets, saved before it and restored when the row is let go unsent.
_CLAIM_COLUMNS = ("state", "message_id", "token", "sending_at", "updated_at", "error",
                  "claimed_by", "claimed_from", "claim_epoch", "handing_at")


class _Batch:
    """Hand the claimed messages of one batch to the server, one round trip a message when
    the server pipelines (RFC 2920), one command at a time otherwise."""

    def __init__(self, result: SendResult, *, session: Session, transport: Transport,
                 sender: str, limiter: RateLimiter, max_attempts: int, backoff: float,
                 sleep: Sleep, advance: Callable[[int], Any], copies: Path | None,
                 first_connections: int):
        self.result, self.session, self.transport = result, session, transport
        self.sender, self.limiter = sender, limiter
        self.max_attempts, self.backoff, self.sleep = max_attempts, backoff, sleep
        self.advance, self.copies = advance, copies
        self.first_connections = first_connections
        self.fatal: SendError | None = None
        self.halt: str | None = None
        self.unsent: list[_Claimed] = []  # claimed, never handed over: the copy failed

    @property
    def stopped(self) -> bool:
        return self.fatal is not None or self.halt is not None

    def mark(self, item: _Claimed) -> bool:
        """Keep the copy of the bytes about to go out, then write the "handing over" mark (and
        every record before it) without waiting for the disk.

        The copy comes first: when it cannot be written (a full disk) the message does not
        go out, the batch stops and the row is given back unsent (``unsent``), never left
        marked as if it had gone (the next run would call it uncertain). Returns False then.
        """
        from .db.models import utcnow

        if self.copies is not None:
            planned = item.planned
            copy = self.copies / (f"{planned.municipality_code}-{planned.kind}-"
                                  f"{planned.sequence}-{item.row.id}.eml")
            try:
                try:
                    copy.write_bytes(item.message)
                except FileNotFoundError:
                    from .workspace import make_folder

                    # Never the outbox of a workspace moved away meanwhile, made again empty.
                    root = next((folder.parent for folder in self.copies.parents
                                 if folder.name == "outputs"), self.copies.parent)
                    make_folder(self.copies, root=root)
                    copy.write_bytes(item.message)
            except (OSError, WorkspaceGone) as exc:
                from .faults import os_fault

                copy.unlink(missing_ok=True)  # half a copy is no copy
                what = (f"{exc}" if isinstance(exc, WorkspaceGone) else
                        f"{copy}: {os_fault(OSError(exc.errno, exc.strerror))}")
                self.fatal = self.fatal or SendError(
                    f"{what} (the copy of each message is kept before it goes out; this one "
                    "and the rest wait in the queue)")
                self.unsent.append(item)
                return False
        item.row.handing_at = utcnow()
        _commit_unsynced(self.session)
        return True

    def deliver(self, item: _Claimed, first: str | Exception | None = None) -> None:
        """Settle one message: ``first`` is what a pipelined group already got for it (an
        answer or a failure); a failure that can pass is tried again one command at a time."""
        from .db.models import utcnow

        if (first is None or isinstance(first, TemporaryFailure)) and not self.mark(item):
            return  # it may go out now, but its copy could not be kept: it does not
        status, reason, attempts, fatal, halt = _deliver(
            item.row, item.message, item.planned.address, result=self.result,
            transport=self.transport, sender=self.sender, limiter=self.limiter,
            max_attempts=self.max_attempts, backoff=self.backoff, sleep=self.sleep, first=first)
        row = item.row
        row.attempts = (row.attempts or 0) + attempts
        row.updated_at = utcnow()
        if status == "failed" and row.state == S.failed and address_is_dead(reason):
            reason += _mark_dead(self.session, row, reason)
        elif status == "failed" and row.state == S.failed and refused_by_policy(reason):
            reason += _note_refusal(self.session, row, reason)
        self.result.report.add(item.planned.label, status, reason, attempts=attempts,
                               message_id=row.message_id, **item.detail)
        self.advance(1)
        connections = self.transport.connections
        if halt is None and connections > self.first_connections + MAX_RECONNECTS:
            halt = (f"the server dropped the connection {connections - 1} times; "
                    "the rest waits in the queue: send again later")
        self.fatal = self.fatal or fatal
        self.halt = self.halt or halt

    def run(self, supply: Callable[[], list[_Claimed]], prepare: Callable[[], object]
            ) -> list[_Claimed]:
        """Hand over the messages ``supply`` claims (a batch a call, none when all are
        done), in order; return the claimed messages a stop left unsent.

        Pipelined, while the server works on a group already sent, the sender composes one
        message of the next batch (``prepare``) or, when none is left claimed, claims the
        next batch: that work and the claim's disk flush then cost no time of their own.
        """
        from collections import deque

        transport = self.transport
        queue: deque[_Claimed] = deque()
        pending: _Claimed | None = None  # its DATA was answered 354: its content goes next
        retry: list[tuple[_Claimed, Exception]] = []  # refused for now while one was pending

        def meanwhile() -> None:
            if queue:
                prepare()
            else:
                queue.extend(supply())

        while not self.stopped:
            if pending is None and retry:
                self.deliver(*retry.pop(0))
                continue
            if not queue and pending is None:
                queue.extend(supply())
            following = queue.popleft() if queue and not retry else None
            if pending is None:
                if following is None:
                    break
                if not getattr(transport, "connected", False) or \
                        not getattr(transport, "pipelining", False):
                    self.deliver(following)  # connects (again) if need be
                    continue
            if pending is not None:
                self.limiter.wait()
                # with the records before it: at most one in doubt
                if not self.mark(pending):  # its content must not go: hang up the open DATA
                    transport.drop()  # type: ignore[attr-defined]
                    if following is not None:
                        queue.appendleft(following)
                    pending = None
                    break
            envelope = None if following is None else (
                self.sender, following.planned.address, len(following.message))
            group = transport.send_group(  # type: ignore[attr-defined]
                None if pending is None else pending.message, envelope, meanwhile=meanwhile)
            if pending is not None:
                outcome = group.answer if group.answer is not None else group.error
                assert outcome is not None
                if isinstance(outcome, TemporaryFailure) and group.ready:
                    retry.append((pending, outcome))  # after the open DATA is finished
                else:
                    self.deliver(pending, outcome)
                pending = None
            if following is None:
                continue
            if group.ready:
                if self.stopped:  # an open DATA must not be finished: hang up
                    transport.drop()  # type: ignore[attr-defined]
                    queue.appendleft(following)
                else:
                    pending = following
            else:
                assert group.envelope_error is not None
                self.deliver(following, group.envelope_error)
        if pending is not None:
            queue.appendleft(pending)
        return self.unsent + [item for item, _error in retry] + list(queue)


def _send_planned(plan: SendPlan, result: SendResult, run_id: str, *, session: Session,
                  settings: Settings, compose: Composer, transport: Transport,
                  rate: float | None, max_attempts: int, backoff: float, sleep: Sleep,
                  clock: Clock, progress: Callable[[int], Any] | None,
                  copies: Path | None) -> SendResult:
    from sqlmodel import col, select

    from .db.models import OutboundMessage
    from .tokens import ensure_tokens

    recovery = recover_interrupted(session=session, round_name=plan.round_name)
    _why_uncertain(plan, session=session)
    _report_plan(plan, result.report, recovery.in_progress)
    to_send = [m for m in plan.to_send if m.outbox_id not in recovery.in_progress]
    _queue_rows(session=session, plan=plan)
    # Every token the batch needs, made and committed now: composing a message then only
    # reads, so no write transaction stays open while the message goes out.
    ensure_tokens(session=session, round_name=plan.round_name,
                  codes=sorted({m.municipality_code for m in to_send}))
    session.commit()
    advance = progress or _no_progress
    batch = _Batch(result, session=session, transport=transport,
                   sender=str(settings.get("round.sender")),
                   limiter=RateLimiter(rate, clock=clock, sleep=sleep),
                   max_attempts=max_attempts, backoff=backoff, sleep=sleep, advance=advance,
                   copies=copies, first_connections=max(1, transport.connections))
    # The batch's rows in one query, held for the whole batch (the session's identity map
    # keeps only what is referenced: a get per message was a SELECT per message).
    rows = {row.id: row for row in session.exec(
        select(OutboundMessage)
        .where(col(OutboundMessage.id).in_([m.outbox_id for m in to_send]))
        .execution_options(populate_existing=True))}

    index = 0
    composed: list[_Claimed] = []  # made for the next claim

    def prepare() -> bool:
        """Compose one more message for the next claim; False when it is full or none is left."""
        nonlocal index
        if len(composed) >= CLAIM_BATCH or index >= len(to_send):
            return False
        if session.dirty:  # the records so far, before the composing
            _commit_unsynced(session)
        planned = to_send[index]
        index += 1
        item = _compose_one(planned, rows.get(planned.outbox_id), compose,
                            session=session, result=result, advance=advance)
        if item is not None:
            composed.append(item)
        return True

    def supply() -> list[_Claimed]:
        """Claim the next CLAIM_BATCH messages (composed now if not yet) in one synchronous
        commit; an empty list when none is left. The first claim waits for the connection
        (nothing is claimed when the server cannot be reached)."""
        claimed: list[_Claimed] = []
        while not claimed and (composed or index < len(to_send)):
            while prepare():
                pass
            if composed:
                if not transport.connections:
                    connect_with_retries(transport, max_attempts=max_attempts,
                                         backoff=backoff, sleep=sleep,
                                         max_wait=BACKOFF_MAX_SECONDS)
                claimed = _claim(composed, run_id, session=session, result=result,
                                 advance=advance)
                composed.clear()
        return claimed

    try:
        left = batch.run(supply, prepare)
    except (SendError, TemporaryFailure) as exc:  # the first connection failed
        # Nothing was handed over, nor tried: no message failed (a refused login or an
        # unreachable server is the batch's fault, said once, not the first address's).
        result.stopped = str(exc)
        _report_not_attempted(result, [c.planned for c in composed] + to_send[index:], str(exc))
        left = []
    if batch.stopped:
        _release(left, session=session)
        rest = [c.planned for c in (*left, *composed)] + to_send[index:]
        if batch.fatal is not None:
            result.stopped = str(batch.fatal)
            _report_not_attempted(result, rest, str(batch.fatal))
        else:
            assert batch.halt is not None
            result.stopped = batch.halt
            _report_waiting(result, rest, batch.halt)

    session.commit()  # synchronous: every record on disk before the result says sent
    result.logins, result.connections = transport.logins, transport.connections
    return result


def _why_uncertain(plan: SendPlan, *, session: Session) -> None:
    """Give the plan's uncertain messages the reason their rows hold now: the plan was made
    before the recovery settled the rows a dead run left (``recover_interrupted``)."""
    from sqlmodel import col, select

    from .db.models import OutboundMessage

    ids = [m.outbox_id for m in plan.uncertain if m.outbox_id is not None]
    if not ids:
        return
    errors = dict(session.exec(select(OutboundMessage.id, OutboundMessage.error)
                               .where(col(OutboundMessage.id).in_(ids))).all())
    for message in plan.uncertain:
        message.error = errors.get(message.outbox_id) or message.error


def _compose_one(planned: PlannedMessage, row: Any, compose: Composer, *, session: Session,
                 result: SendResult, advance: Callable[[int], Any]) -> _Claimed | None:
    """Compose one planned message for a claim; None when it is taken or cannot be made."""
    from .db.models import utcnow

    detail = {"municipality": planned.municipality_code, "address": planned.address,
              "kind": planned.kind, "sequence": planned.sequence}
    assert row is not None
    if row.state not in _claimable(planned):  # a cheap early look; the claim decides
        _report_taken(result, planned, row.state, detail)
        advance(1)
        return None
    try:
        made, token = compose(planned)
        message, message_id = wire_form(made)  # serialised once: sent and kept as is
    except (SurveyError, OSError, ValueError, LookupError) as exc:
        row.error = f"cannot compose: {exc}"
        row.updated_at = utcnow()
        session.commit()
        result.report.add(planned.label, "failed", f"cannot compose the message: {exc}",
                          **detail)
        advance(1)
        return None
    before = {key: getattr(row, key) for key in _CLAIM_COLUMNS}
    return _Claimed(planned, row, message, message_id, token, before)


def _claim(composed: list[_Claimed], run_id: str, *, session: Session, result: SendResult,
           advance: Callable[[int], Any]) -> list[_Claimed]:
    """Claim the composed messages' rows in ONE synchronous commit; return those this run got.

    Each is a compare-and-set (two runs at once can never both send a message). The claim
    records the run, the state the row came from and the database's durability epoch; the
    "handing over" mark comes later, per message (see the module docstring).
    """
    from sqlalchemy import update
    from sqlalchemy.orm.attributes import set_committed_value
    from sqlmodel import col

    from .db.models import OutboundMessage, utcnow

    moment = utcnow()
    epoch = durability_epoch(session)
    connection = session.connection()  # Core: no ORM bookkeeping for these UPDATEs
    got: list[_Claimed] = []
    lost: list[_Claimed] = []
    for item in composed:
        row = item.row
        values = {"state": S.sending, "message_id": item.message_id,
                  "token": item.token, "sending_at": moment, "updated_at": moment,
                  "error": None, "claimed_by": run_id, "claim_epoch": epoch,
                  "handing_at": None}
        done = connection.execute(
            update(OutboundMessage)
            .where(col(OutboundMessage.id) == row.id,
                   col(OutboundMessage.state).in_(_claimable(item.planned)))
            .values(claimed_from=OutboundMessage.state, **values))  # the state before
        if getattr(done, "rowcount", 0) == 1:
            for key, value in values.items():  # the row as the database now holds it
                set_committed_value(row, key, value)
            set_committed_value(row, "claimed_from", item.before["state"])
            got.append(item)
        else:
            lost.append(item)
    session.commit()  # synchronous: on disk (with the records before it) before any hand-over
    for item in lost:
        session.refresh(item.row)
        _report_taken(result, item.planned, item.row.state, item.detail)
        advance(1)
    return got


def _release(items: list[_Claimed], *, session: Session) -> None:
    """Give back rows this run claimed and did not hand over, as they were before the claim."""
    if not items:
        return
    for item in items:
        for key in _CLAIM_COLUMNS:
            setattr(item.row, key, item.before[key])
    session.commit()


def _commit_unsynced(session: Session) -> None:
    """Commit the outbox record of a hand-over without waiting for the disk.

    The claim before a hand-over is a synchronous commit (a power cut cannot undo it: the
    message can never go out twice). The record after the server's answer is committed at
    once, so a killed process keeps it, but it reaches the disk with the next synchronous
    commit, the next message's claim (the WAL is one sequential log; PostgreSQL flushes an
    asynchronous commit with any later synchronous one). A power cut in between turns the
    last "sent" back into "sending", which the next run reports as uncertain and never
    resends by itself. One disk flush per message instead of two.
    """
    connection = session.connection()
    dialect = connection.dialect.name
    if dialect == "sqlite":
        import sqlite3

        raw = connection.connection.dbapi_connection
        assert raw is not None
        if raw.in_transaction:  # the level can only change between transactions
            session.commit()
            return
        level = raw.execute("PRAGMA synchronous").fetchone()[0]
        raw.execute("PRAGMA synchronous=NORMAL")
        try:
            session.commit()
        except BaseException:
            # The level is put back on a failed commit too, and trying must never hide the
            # interrupt or the error behind a database error of its own. Ctrl-C or SIGTERM
            # mid-commit leaves the connection closed (SQLAlchemy invalidates it on an
            # interrupt in the database's commit: "Cannot operate on a closed database") or
            # still in its transaction (an interrupt in SQLAlchemy's own code before the
            # database's commit: "Safety level may not be changed inside a transaction"). A
            # connection whose level cannot be put back is not given back to the pool with
            # the lower one: it is invalidated (closed; the pool opens a new one if need be).
            try:
                raw.execute(f"PRAGMA synchronous={int(level)}")
            except sqlite3.Error:
                with suppress(Exception):
                    connection.invalidate()
            raise
        raw.execute(f"PRAGMA synchronous={int(level)}")  # every other commit as before
    elif dialect == "postgresql":
        from sqlalchemy import text

        connection.execute(text("SET LOCAL synchronous_commit TO OFF"))
        session.commit()
    else:
        session.commit()


@contextmanager
def one_sender(session: Session) -> Iterator[None]:
    """Hold the database's sending lock for a real send; refuse in one line when another
    send holds it (``another send is running (host, pid N, since ...)``).

    The claims already keep two runs from sending one message twice; the lock keeps two runs
    from queueing and tokening the same rows at once, and says who is sending.
    """
    from .locks import LockBusy, exclusive

    try:
        with exclusive(session.get_bind().engine, "send"):
            yield
    except LockBusy as exc:
        raise SendError(f"{exc}; wait for it to finish, then send again") from None


def _claimable(planned: PlannedMessage) -> tuple[str, ...]:
    """Return the states from which this run may take the row: queued, or uncertain when the
    plan chose to resend it (``--resend-uncertain``)."""
    if planned.state in (S.sending, S.uncertain):
        return (S.queued, S.uncertain)
    if planned.state == S.failed:  # --retry-failed chose it
        return (S.failed,)
    return (S.queued,)


def _report_taken(result: SendResult, planned: PlannedMessage, state: str,
                  detail: dict[str, Any]) -> None:
    status = "already-sent" if state == S.sent else str(state)
    if status == S.failed:
        status = "failed-earlier"
    result.report.add(planned.label, status, "recorded by another run meanwhile; not sent again",
                      **detail)


def _retrying(max_attempts: int, backoff: float, sleep: Sleep, kind: type[Exception]) -> Any:
    """Return a tenacity retrier: exponential backoff, ``max_attempts`` tries, then re-raise."""
    from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

    return Retrying(
        stop=stop_after_attempt(max(1, max_attempts)),
        wait=wait_exponential(multiplier=backoff, min=backoff, max=BACKOFF_MAX_SECONDS),
        retry=retry_if_exception_type(kind),
        sleep=sleep,
        reraise=True,
    )


def _report_waiting(result: SendResult, rest: Sequence[PlannedMessage], why: str) -> None:
    """The messages a stopped batch leaves in the queue (state ``queued``; not failed)."""
    for message in rest:
        result.report.add(message.label, "queued", f"waits for the next run: {why}",
                          municipality=message.municipality_code, address=message.address,
                          kind=message.kind, sequence=message.sequence)


def _report_not_attempted(result: SendResult, rest: Sequence[PlannedMessage], why: str) -> None:
    for message in rest:
        result.report.add(message.label, "not-sent", f"batch stopped: {why}",
                          municipality=message.municipality_code, address=message.address,
                          kind=message.kind, sequence=message.sequence)


# --- dry run -------------------------------------------------------------------------------


def dry_run_folder(workspace: Workspace, *, round_name: str, kind: str) -> Path:
    """Return the folder a dry run writes its ``.eml`` files to."""
    return workspace.outputs / "outbox" / _safe(round_name) / "dry-run" / kind


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-") or "round"


def write_dry_run(
    plan: SendPlan,
    *,
    workspace: Workspace,
    compose: Composer,
    progress: Callable[[int], Any] | None = None,
) -> SendResult:
    """Write every planned message as an ``.eml`` file; send nothing, change no outbox row."""
    result = SendResult(round_name=plan.round_name, kind=plan.kind, dry_run=True)
    _report_plan(plan, result.report)
    folder = dry_run_folder(workspace, round_name=plan.round_name, kind=plan.kind)
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.eml"):
        old.unlink()
    result.folder = str(folder)
    advance = progress or _no_progress
    counter: dict[str, int] = {}
    for planned in plan.to_send:
        detail = {"municipality": planned.municipality_code, "address": planned.address,
                  "kind": planned.kind, "sequence": planned.sequence}
        try:
            composed, _token = compose(planned)
            data, _message_id = wire_form(composed)
        except (SurveyError, OSError, ValueError, LookupError) as exc:
            result.report.add(planned.label, "failed", f"cannot compose the message: {exc}",
                              **detail)
            advance(1)
            continue
        number = counter[planned.municipality_code] = counter.get(planned.municipality_code, 0) + 1
        suffix = f"-{planned.sequence}" if planned.kind == "remind" else ""
        path = folder / f"{planned.municipality_code}{suffix}-{number}.eml"
        path.write_bytes(data)
        result.report.add(planned.label, "written", str(path), file=str(path), **detail)
        advance(1)
    return result
