"""``yhteistuumin register answered``: the coordinator records an answer that came another way.

A municipality may answer without anything the pipeline reads: "meillä ei ole tällä kertaa
ilmoitettavaa" in a reply left to read, a phone call, a practice sent to a colleague who
typed it in. Until now it stayed "not answered", and ``send remind`` mailed it again and again
(``--only`` listing every other municipality was the only way round). This records the answer,
with the coordinator's reason, for the round: ``status.answered_codes`` counts it, so it is
never reminded, ``status`` counts it answered and the follow-up list says how it answered.
``--undo`` takes a record made by mistake back.

The record is a ``CoordinatorRecord`` of kind ``answered`` (the coordinator's own records,
apart from the mail the servers sent back), with the round, the municipality, the reason, who
recorded it and when; ``--undo`` sets its ``undone_at``. Erasure (``forget``) scrubs a person
out of its reason, and ``person`` lists it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .errors import InputError

if TYPE_CHECKING:
    from sqlmodel import Session

#: ``CoordinatorRecord.kind`` of an answer the coordinator recorded.
ANSWERED = "answered"


@dataclass
class OutsideAnswerResult:
    """What ``register answered`` recorded (or took back) for one municipality."""

    code: str
    name: str
    round_name: str
    reason: str
    undo: bool = False
    #: Records taken back (``undo``), or 1 when one was made.
    count: int = 0
    #: Messages of the round still queued for it (an invitation or reminder not yet sent).
    queued: int = 0

    @property
    def failed(self) -> bool:
        return False

    def summary(self) -> list[str]:
        who = f"{self.name} ({self.code})"
        if self.undo:
            if not self.count:
                return [f"{who}: no answer recorded by hand in round {self.round_name}; "
                        "nothing taken back."]
            why = f" ({self.reason})" if self.reason else ""
            return [f"{who}: the answer recorded by hand in round {self.round_name} is taken "
                    f"back{why}; it counts as answered again only by what it sends, and send remind "
                    "reminds it when due."]
        lines = [f"{who}: recorded as answered in round {self.round_name} ({self.reason}); "
                 "send remind no longer reminds it, and status counts it as answered. Undo "
                 f"with: yhteistuumin register answered {self.code} --undo"]
        if self.queued:
            lines.append(f"{self.queued} message{'s' if self.queued != 1 else ''} to it "
                         f"{'are' if self.queued != 1 else 'is'} still queued from an earlier "
                         "run: a reminder queued before is not sent (send remind skips it), "
                         "an invitation is.")
        return lines

    def table(self) -> tuple[list[str], list[dict[str, Any]]]:
        return [], []

    def to_dict(self) -> dict[str, Any]:
        return {"municipality": self.code, "name": self.name, "round": self.round_name,
                "reason": self.reason, "undo": self.undo, "count": self.count}


def record_outside_answer(municipality: str, *, session: Session, round_name: str, reason: str = "",
                          undo: bool = False, who: str = "", now: dt.datetime | None = None
                          ) -> OutsideAnswerResult:
    """Record that ``municipality`` answered ``round_name`` in a way the pipeline does not read
    (``reason`` says how; ``who`` is the login recording it), or with ``undo`` take such records
    back; return what was done."""
    from sqlmodel import col, select

    from .db.models import CoordinatorRecord, Municipality, OutboundMessage
    from .practices import one_municipality

    code = one_municipality(municipality, session=session)
    name = session.get(Municipality, code).name_fi  # type: ignore[union-attr]
    reason = " ".join((reason or "").split())
    mine = list(session.exec(select(CoordinatorRecord).where(
        col(CoordinatorRecord.kind) == ANSWERED, col(CoordinatorRecord.round_name) == round_name,
        col(CoordinatorRecord.municipality_code) == code,
        col(CoordinatorRecord.undone_at).is_(None)).order_by(col(CoordinatorRecord.id))))
    result = OutsideAnswerResult(code=code, name=name, round_name=round_name, reason=reason,
                                 undo=undo)
    now = now or dt.datetime.now(dt.UTC)
    if undo:
        for row in mine:
            row.take_back(now=now, who=who, reason=reason)
            session.add(row)
        result.count = len(mine)
        session.commit()
        return result
    if not reason:
        raise InputError("--reason: say how the municipality answered (it is recorded), e.g. "
                         "'ei ilmoitettavaa tällä kertaa (sähköposti 7.12.)'")
    if mine:
        raise InputError(f"{name} ({code}) is already recorded as answered in round "
                         f"{round_name} ({mine[-1].reason}); take that back first with: "
                         f"yhteistuumin register answered {code} --undo")
    session.add(CoordinatorRecord(round_name=round_name, municipality_code=code, kind=ANSWERED,
                                  reason=reason, who=who, recorded_at=now))
    result.count = 1
    result.queued = len(session.exec(select(OutboundMessage.id).where(
        OutboundMessage.municipality_code == code, OutboundMessage.round_name == round_name,
        OutboundMessage.state == "queued")).all())
    session.commit()
    return result
