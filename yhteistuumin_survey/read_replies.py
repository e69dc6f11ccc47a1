"""``yhteistuumin register read``: the coordinator read a municipality's message; nothing to record.

A message ``fetch`` ties to a municipality ("we will answer next week", "who should fill this
in?") holds its reminders until the coordinator has read it (``reminders.replies_to_read``).
A decline or an answer is recorded with ``register answered``; ``send remind --only CODE``
reminds it at once. When the message was neither and the reminder should simply go out again
when due, this records that it was read: a ``CoordinatorRecord`` of kind ``read`` (the
coordinator's own records; erasure scrubs a person out of its reason, ``person`` lists it).
The messages it wrote up to then no longer hold its reminders; a newer one holds them again.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .errors import InputError

if TYPE_CHECKING:
    from sqlmodel import Session

#: ``CoordinatorRecord.kind`` of a municipality's messages the coordinator read.
READ = "read"


@dataclass
class ReadResult:
    """What ``register read`` recorded for one municipality."""

    code: str
    name: str
    round_name: str
    reason: str
    replied: str  # the day of the latest message read, "7.12.2026"

    @property
    def failed(self) -> bool:
        return False

    def summary(self) -> list[str]:
        why = f" ({self.reason})" if self.reason else ""
        return [f"{self.name} ({self.code}): its message of {self.replied} recorded as read{why};"
                " it no longer holds the reminders: send remind reminds it when due. A newer "
                "message from it holds them again."]

    def table(self) -> tuple[list[str], list[dict[str, Any]]]:
        return [], []

    def to_dict(self) -> dict[str, Any]:
        return {"municipality": self.code, "name": self.name, "round": self.round_name,
                "reason": self.reason, "replied": self.replied}


def record_read(municipality: str, *, session: Session, round_name: str, reason: str = "",
                who: str = "", now: dt.datetime | None = None) -> ReadResult:
    """Record that the coordinator read the messages ``municipality`` wrote us (``reason``:
    what they said, optional; ``who``: the login); its reminders are no longer held for them."""
    from .db.models import CoordinatorRecord, Municipality
    from .practices import one_municipality
    from .reminders import replies_to_read, reply_text

    code = one_municipality(municipality, session=session)
    name = session.get(Municipality, code).name_fi  # type: ignore[union-attr]
    replied = replies_to_read(session, round_name, only=[]).get(code)
    if replied is None:
        raise InputError(f"{name} ({code}): no message from it holds its reminders (none "
                         "since our last message to it); nothing recorded. See the follow-up "
                         "list: yhteistuumin status --by municipality")
    now = now or dt.datetime.now(dt.UTC)
    reason = " ".join((reason or "").split())
    session.add(CoordinatorRecord(round_name=round_name, municipality_code=code, kind=READ,
                                  reason=reason, who=who, recorded_at=now))
    session.commit()
    return ReadResult(code=code, name=name, round_name=round_name, reason=reason,
                      replied=reply_text(replied))
