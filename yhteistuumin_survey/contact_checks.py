"""``yhteistuumin register checked``: the coordinator ends the follow-up list's note on a contact.

The mailbox leaves notes on contacts for a person to look at (the person has left, a server
refuses our mail, a challenge-response filter, soft bounces that do not stop: ``followup``).
A note ended only when the contact changed. When the coordinator has looked and the contact
stays as it is (phoned: the mailbox was emptied, the address works, the new person reads the
same registry address), this ends the municipality's open notes with the reason, recorded as
a ``CoordinatorRecord`` of kind ``checked`` per address (the coordinator's own records, apart
from the bounces; erasure scrubs them). What the mailbox says afterwards makes a new note.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import InputError

if TYPE_CHECKING:
    from sqlmodel import Session

#: ``CoordinatorRecord.kind`` of a contact the coordinator checked.
CHECKED = "checked"

#: The notes' reasons in words, for the summary (the follow-up list has them in Finnish and
#: Swedish; the command line speaks English, as the other commands' results do).
REASONS = {"left": "the person has left", "moved": "the address has changed",
           "refused": "the server refused our mail", "challenge": "a challenge-response filter",
           "soft": "soft bounces", "elsewhere": "a reply asks to write to another address"}


@dataclass
class CheckedResult:
    """The notes ``register checked`` ended, for one municipality."""

    code: str
    name: str
    reason: str
    #: (address, the note's reason key) of each note ended.
    ended: list[tuple[str, str]] = field(default_factory=list)
    #: Other municipalities whose contact an ended address is too (their note ends with it).
    shared_with: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return False

    def summary(self) -> list[str]:
        who = f"{self.name} ({self.code})"
        if not self.ended:
            return [f"{who}: no open note on its contacts; nothing recorded."]
        notes = "; ".join(f"{address}: {REASONS.get(key, key)}" for address, key in self.ended)
        n = len(self.ended)
        lines = [f"{who}: {n} note{'s' if n != 1 else ''} ended ({notes}), recorded with your "
                 f"reason; status --by municipality no longer lists {'it' if n == 1 else 'them'}."
                 " A new bounce or auto-reply makes a new note."]
        if self.shared_with:
            lines.append("The address is also the contact of " + ", ".join(self.shared_with)
                         + ": the note ends there too.")
        return lines

    def table(self) -> tuple[list[str], list[dict[str, Any]]]:
        return ["address", "note"], [{"address": a, "note": REASONS.get(k, k)}
                                     for a, k in self.ended]

    def to_dict(self) -> dict[str, Any]:
        return {"municipality": self.code, "name": self.name, "reason": self.reason,
                "ended": [{"address": a, "note": k} for a, k in self.ended],
                "shared_with": self.shared_with}


def mark_checked(municipality: str, *, session: Session, reason: str,
                 address: str | None = None, soft_limit: int = 3, soft_days: int = 14,
                 round_name: str = "", who: str = "", now: dt.datetime | None = None
                 ) -> CheckedResult:
    """End the open notes on ``municipality``'s contacts (only ``address``'s, if given),
    recording ``reason`` (in ``round_name``, by ``who``); return what was ended."""
    from sqlalchemy import func
    from sqlmodel import select

    from .db.models import Contact, CoordinatorRecord, Municipality
    from .followup import contact_notes
    from .practices import one_municipality

    reason = (reason or "").strip()
    if not reason:
        raise InputError("--reason: say why the contact stays as it is (it is recorded)")
    code = one_municipality(municipality, session=session)
    name = session.get(Municipality, code).name_fi  # type: ignore[union-attr]
    notes = contact_notes(session, soft_limit=soft_limit, soft_days=soft_days).get(code, [])
    if address is not None:
        wanted = address.strip().casefold()
        chosen = [note for note in notes if note["address"].casefold() == wanted]
        if not chosen:
            open_ = ", ".join(dict.fromkeys(note["address"] for note in notes)) or "none"
            raise InputError(f"--address {address}: no open note on it for {name} ({code}); "
                             f"its open notes: {open_}")
        notes = chosen
    result = CheckedResult(code=code, name=name, reason=reason)
    now = now or dt.datetime.now(dt.UTC)
    for email in dict.fromkeys(note["address"] for note in notes):
        session.add(CoordinatorRecord(round_name=round_name, municipality_code=code,
                                      kind=CHECKED, address=email, reason=reason, who=who,
                                      recorded_at=now))
        others = session.exec(select(Municipality.name_fi, Contact.municipality_code).where(
            Municipality.code == Contact.municipality_code,
            func.lower(Contact.email) == email.lower(), Contact.status == "valid",
            Contact.municipality_code != code)).all()
        result.shared_with += [f"{other} ({c})" for other, c in others
                               if f"{other} ({c})" not in result.shared_with]
    result.ended = [(note["address"], note["reason"]) for note in notes]
    session.commit()
    return result
