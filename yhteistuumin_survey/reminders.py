"""When a municipality is due a reminder: the one rule ``send remind`` and the follow-up list use.

``send remind`` (``mailer.plan_round``) sends what this rule says is due, and ``status --by
municipality`` (``followup``) says "remind", "remind from DATE" or "phone" by the same rule, so
the list never promises a reminder the send then skips, nor the other way round.

The rule, over a municipality's outbox rows of the round:

* a municipality that answered (by any channel: ``status.answered_codes``) is never reminded;
* one named with others in a practice that does not say who answered (``status.joint_answers``)
  is not reminded until the coordinator has checked (``send remind --only CODE``, naming it
  alone, reminds it);
* one that wrote us a message to read since our last message to it (``replies_to_read``: a
  reply without an answer to ingest, "emme osallistu tällä kertaa", "vi deltar inte", "we
  will answer next week") is not reminded until the coordinator has read it: ``register
  answered`` records a decline or an answer, ``register read`` that it was read and the
  reminder goes when due, ``send remind --only CODE`` reminds it now;
* a reminder a previous run queued and did not finish is resumed, whatever the clock says;
* no invitation handed over to the server (sent, or of unknown fate): no reminder (invite first);
* no invitation surely sent, only one of unknown fate: no reminder until the coordinator has
  settled it (the follow-up list says so);
* ``max_reminders`` reminders handed over: no more (the follow-up list says phone);
* the last message handed over less than ``min_days`` ago: wait (``due_from`` says until when);
* the last message dated after ``now``: the clock is wrong, nothing is sent;
* otherwise the next reminder (its number: one more than the last handed over) is due.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .finnish_time import HELSINKI, days_later, finnish_time, wall_clock

#: The outbox states of a message the server was given, or may have been (``mailer``).
HANDED_OVER = ("sent", "sending", "uncertain")

DUE, ANSWERED, JOINT, NOT_INVITED, UNCERTAIN, USED_UP, WAIT, CLOCK, REPLIED = (
    "due", "answered", "joint", "not-invited", "uncertain", "used-up", "wait", "clock",
    "replied")


@dataclass(frozen=True)
class ReminderDue:
    """Whether a municipality is due a reminder now, and if not, why (``reason``, in words)."""

    key: str  # DUE, ANSWERED, JOINT, REPLIED, NOT_INVITED, UNCERTAIN, USED_UP, WAIT or CLOCK
    reason: str = ""  # why not, as ``send remind`` says it; "" when due
    sequence: int = 0  # the number of the reminder due (0 when none is)
    due_from: dt.datetime | None = None  # when the next reminder becomes due (key WAIT)

    @property
    def due(self) -> bool:
        return self.key == DUE


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)  # SQLite gives naive UTC


def invited_addresses(rows: Iterable[Any]) -> set[str]:
    """The addresses (folded) an invitation was handed over to: only these get a reminder; an
    address added since, or whose invitation is still queued, is sent the invitation first."""
    return {row.address.strip().casefold() for row in rows
            if row.kind == "invite" and row.state in HANDED_OVER}


def joint_text(found: list[tuple[int, list[str]]], names: dict[str, str]) -> str:
    """The practices a municipality is named in with others (``status.joint_answers``), in
    words: "practice #12 (with Kuhmo, Sotkamo)"."""
    return "; ".join(f"practice #{practice_id} (with "
                     f"{', '.join(names.get(code, code) for code in others)})"
                     for practice_id, others in found)


def joint_texts(session: Any, round_name: str | None, *, only: list[str]) -> dict[str, str]:
    """The practices each municipality is named in with others without saying who answered
    (``status.joint_answers``), in words, by code; none for a municipality the coordinator
    named alone (``send remind --only CODE``: it was checked, and is reminded)."""
    from .db.models import Municipality
    from .status import joint_answers

    joint = joint_answers(session=session, round_name=round_name)
    if not joint:
        return {}
    from sqlmodel import select

    names = {m.code: m.name_fi for m in session.exec(select(Municipality))}
    return {code: joint_text(found, names) for code, found in joint.items() if only != [code]}


def replies_to_read(session: Any, round_name: str | None, *, only: list[str]
                    ) -> dict[str, dt.datetime]:
    """The municipalities that wrote us a message to read (``fetch`` listed it, and tied it
    to them) after our last message to them, with the latest one's time; none for a
    municipality the coordinator named alone (``send remind --only CODE``: it was read), nor
    for messages the coordinator recorded as read (``register read``)."""
    from sqlmodel import col, select

    from .db.models import CoordinatorRecord, FetchedMessage, OutboundMessage
    from .read_replies import READ

    read: dict[str, dt.datetime] = {}  # code -> when the coordinator last recorded it read
    for code, when in session.exec(select(
            CoordinatorRecord.municipality_code, CoordinatorRecord.recorded_at).where(
            col(CoordinatorRecord.kind) == READ, col(CoordinatorRecord.undone_at).is_(None))):
        when = _aware(when)
        if when is not None:
            read[code] = max(read.get(code, when), when)
    replies: dict[str, dt.datetime] = {}
    for code, when in session.exec(select(
            FetchedMessage.municipality_code, FetchedMessage.finished_at).where(
            col(FetchedMessage.outcome) == "to-read",
            col(FetchedMessage.municipality_code).is_not(None))):
        when = _aware(when)
        if when is not None and only != [code] and (code not in read or when > read[code]):
            replies[code] = max(replies.get(code, when), when)
    if not replies:
        return {}
    last: dict[str, dt.datetime] = {}
    sent = select(OutboundMessage).where(col(OutboundMessage.state).in_(HANDED_OVER),
                                         col(OutboundMessage.municipality_code).in_(replies))
    if round_name:
        sent = sent.where(col(OutboundMessage.round_name) == round_name)
    for row in session.exec(sent):
        when = _aware(row.sent_at or row.sending_at or row.updated_at)
        if when is not None:
            last[row.municipality_code] = max(last.get(row.municipality_code, when), when)
    return {code: when for code, when in replies.items()
            if code in last and when >= last[code]}


def reply_text(when: dt.datetime) -> str:
    """A reply's day the Finnish way (Finland's time): "7.12.2026"."""
    day = when.astimezone(HELSINKI)
    return f"{day.day}.{day.month}.{day.year}"


def reminder_due(rows: Iterable[Any], *, answered: bool, addresses: Iterable[str],
                 now: dt.datetime, max_reminders: int, min_days: int,
                 joint: str = "", replied: dt.datetime | None = None) -> ReminderDue:
    """Return the reminder a municipality is due now, or why none is.

    ``rows`` are its outbox rows of the round (anything with ``kind``, ``state``,
    ``sequence``, ``address``, ``sent_at``, ``sending_at`` and ``updated_at``); ``addresses``
    its contact addresses still in use (an unfinished reminder to an address no longer in use
    is not resumed). ``joint`` names the practices that name it with others without saying
    who answered ("" when none do, or when the coordinator asked for it alone by its code).
    ``replied``: when it wrote us a message to read since our last one (``replies_to_read``).
    """
    if answered:
        return ReminderDue(ANSWERED, "answered")
    if joint:
        return ReminderDue(JOINT, f"named with others in {joint}, which does not say who "
                                  "answered: check whether it did (yhteistuumin status --by "
                                  "municipality); if not, remind it on its own: send "
                                  "remind --only CODE")
    if replied is not None:
        return ReminderDue(REPLIED, f"wrote us on {reply_text(replied)} a message to read "
                                    "(yhteistuumin fetch listed it): read it; if it answers "
                                    "or declines: yhteistuumin register answered CODE "
                                    "--reason '...'; if not, record it read: yhteistuumin "
                                    "register read CODE (reminded when due), or remind it "
                                    "now on its own: send remind --only CODE")
    rows = list(rows)
    valid = {address.strip().casefold() for address in addresses}
    reminders = [row for row in rows if row.kind == "remind"]
    handed_over = [row for row in rows if row.state in HANDED_OVER]
    if not any(row.kind == "invite" for row in handed_over):
        return ReminderDue(NOT_INVITED, "not invited yet")
    if not any(row.kind == "invite" and row.state == "sent" for row in handed_over):
        # A reminder of an invitation that perhaps never left: the follow-up list asks the
        # coordinator to settle it first (check-invite), and the send waits for that.
        return ReminderDue(UNCERTAIN, "the invitation's fate is unknown; check whether it "
                                      "arrived first (yhteistuumin status --by municipality)")
    # A reminder a previous run planned and did not finish is resumed, whatever the clock says.
    unfinished = [row for row in reminders if row.state == "queued"
                  and row.address.strip().casefold() in valid]
    if unfinished:
        return ReminderDue(DUE, sequence=max(row.sequence for row in unfinished))
    done = max((row.sequence for row in handed_over if row.kind == "remind"), default=0)
    if done >= max_reminders:
        return ReminderDue(USED_UP, f"{done} reminder{'s' if done != 1 else ''} sent already "
                                    f"(max {max_reminders})")
    times = [_aware(row.sent_at or row.sending_at or row.updated_at) for row in handed_over]
    last = max(t for t in times if t is not None)
    now = _aware(now) or now
    # Seven days after 09:00 on the Monday before the clocks go forward (the last Sunday of
    # March) is 09:00 the next Monday, not 10:00 (seven times 24 hours): a reminder run at the
    # hour the invitations went a week before skipped everyone ("7.0 days ago (wait 7)").
    due_from = days_later(last, min_days)
    age = now - last
    if age < dt.timedelta(0):  # the clock set back, or a clock ahead sent the last message
        return ReminderDue(CLOCK, f"last message sent {last:%Y-%m-%d %H:%M} UTC, after this "
                                  f"machine's time ({now:%Y-%m-%d %H:%M} UTC); check the clock",
                           due_from=due_from)
    if now < due_from:
        # On Finland's clocks, as the wait is counted, in tenths rounded down: 6.97 days
        # said as "7.0 days ago (wait 7)" read as due.
        wall = wall_clock(now) - wall_clock(last)
        days = max(0.0, math.floor(wall.total_seconds() / 8640) / 10)
        # And when it becomes due, on Finland's clock: "wait 7" alone left the coordinator
        # counting days from a time the output does not show.
        local = finnish_time(due_from)
        return ReminderDue(WAIT, f"last message {days:.1f} days ago (wait {min_days}: due "
                                 f"{local:%Y-%m-%d %H:%M} Finnish time)", due_from=due_from)
    return ReminderDue(DUE, sequence=done + 1)
