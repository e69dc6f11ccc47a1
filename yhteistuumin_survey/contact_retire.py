"""Retired contacts: an address no longer used (the person left, a newer list drops it).

``register retire ADDRESS`` retires one address, and ``register contacts FILE
--retire-missing`` the addresses of the municipalities of a newer list that the list no longer
has. A retired contact is kept for the record (``Contact.status`` ``retired``, with a
``CoordinatorRecord`` of kind ``retired``: why, who, when) and never mailed again; ``status
--by municipality``, ``register check`` and ``send check`` show it. A municipality left with
no working address is said, never left so silently. A newer list that names a retired address
again puts it back in use.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import InputError

if TYPE_CHECKING:
    from sqlmodel import Session

#: ``Contact.status`` of an address retired, and the ``CoordinatorRecord.kind`` saying why.
RETIRED = "retired"


def without_address(session: Session, codes: set[str]) -> list[tuple[str, str]]:
    """The municipalities of ``codes`` (in force) that have no contact in use: (code, name)."""
    from sqlmodel import col, select

    from .db.models import Contact, Municipality

    if not codes:
        return []
    valid = set(session.exec(select(Contact.municipality_code).where(
        col(Contact.status) == "valid", col(Contact.municipality_code).in_(codes))))
    return [(m.code, m.name_fi) for m in session.exec(
        select(Municipality).where(col(Municipality.code).in_(codes - valid),
                                   col(Municipality.active).is_(True))
        .order_by(col(Municipality.code)))]


def no_address_lines(left: list[tuple[str, str]]) -> list[str]:
    """Say of each municipality left with no working address what it means and what to do."""
    return [f"{name} ({code}) has no working address left: it gets no invitation nor "
            "reminder; add one (yhteistuumin register contacts FILE)" for code, name in left]


def retire(session: Session, contacts: list[Any], *, reason: str, round_name: str, who: str,
           now: dt.datetime) -> None:
    """Retire ``contacts`` (kept, never mailed again), recording why for each."""
    from .db.models import CoordinatorRecord

    for contact in contacts:
        contact.status = RETIRED
        contact.updated_at = now
        session.add(contact)
        session.add(CoordinatorRecord(round_name=round_name,
                                      municipality_code=contact.municipality_code,
                                      kind=RETIRED, address=contact.email, reason=reason,
                                      who=who, recorded_at=now))


@dataclass
class RetireResult:
    """What ``register retire`` did."""

    address: str
    reason: str
    #: (code, name) of each municipality whose contact it was (with ``undo``: whose contact it
    #: is again).
    retired: list[tuple[str, str]] = field(default_factory=list)
    #: (code, name) of the municipalities left with no working address.
    left_without: list[tuple[str, str]] = field(default_factory=list)
    #: The retirement taken back (``register retire --undo``): the address is in use again.
    undo: bool = False

    @property
    def failed(self) -> bool:
        return False

    def summary(self) -> list[str]:
        where = ", ".join(f"{name} ({code})" for code, name in self.retired)
        if self.undo:
            return [f"{self.address} is in use again as the contact of {where}: invitations and "
                    "reminders go to it from the next send (its retirement stays on record, "
                    f"taken back{f': {self.reason}' if self.reason else ''})."]
        why = f" ({self.reason})" if self.reason else ""
        lines = [f"{self.address} retired{why} as the contact of {where}: kept for the record, "
                 "never mailed again. A contact list that names it again puts it back in use; "
                 f"to take it back now: yhteistuumin register retire {self.address} --undo"]
        return lines + [f"Warning: {line}" for line in no_address_lines(self.left_without)]

    def table(self) -> tuple[list[str], list[dict[str, Any]]]:
        return [], []

    def to_dict(self) -> dict[str, Any]:
        return {"address": self.address, "reason": self.reason, "undo": self.undo,
                "retired": [{"municipality": c, "name": n} for c, n in self.retired],
                "no_address_left": [{"municipality": c, "name": n}
                                    for c, n in self.left_without]}


def retire_address(address: str, *, session: Session, round_name: str, reason: str = "",
                   municipality: str | None = None, who: str = "", undo: bool = False,
                   now: dt.datetime | None = None) -> RetireResult:
    """Retire the contact ``address`` (of ``municipality`` only, when given; else of every
    municipality whose contact it is); return what was retired and who is left without.
    With ``undo``, put a retired ``address`` back in use (``unretire``)."""
    from sqlalchemy import func
    from sqlmodel import select

    from .db.models import Contact
    from .practices import one_municipality

    wanted = address.strip()
    query = select(Contact).where(func.lower(Contact.email) == wanted.lower())
    code = one_municipality(municipality, session=session) if municipality else None
    if code:
        query = query.where(Contact.municipality_code == code)
    found = list(session.exec(query.order_by(Contact.municipality_code)))  # type: ignore[arg-type]
    now = now or dt.datetime.now(dt.UTC)
    reason = " ".join((reason or "").split())
    if undo:
        return unretire(session, found, wanted=wanted, of=f" of {code}" if code else "",
                        now=now, who=who, reason=reason)
    in_use = [c for c in found if c.status == "valid"]
    if not in_use:
        of = f" of {code}" if code else ""
        if any(c.status == RETIRED for c in found):
            raise InputError(f"{wanted}: already retired{of}; nothing changed")
        states = ", ".join(sorted({c.status for c in found}))
        raise InputError(f"{wanted}: no contact in use{of} has this address"
                         + (f" (it is {states})" if states else "")
                         + "; see yhteistuumin register check")
    retire(session, in_use, reason=reason, round_name=round_name, who=who, now=now)
    session.flush()
    codes = {c.municipality_code for c in in_use}
    result = RetireResult(address=in_use[0].email, reason=reason,
                          retired=_named(session, codes),
                          left_without=without_address(session, codes))
    session.commit()
    return result


def unretire(session: Session, found: list[Any], *, wanted: str, of: str,
             now: dt.datetime, who: str = "", reason: str = "") -> RetireResult:
    """Put the retired contacts of ``found`` back in use (``register retire --undo``): their
    retirement records stay, taken back (``undone_at``, by ``who``, for ``reason``), so what
    was done and undone, by whom and why, is known. InputError when none of them is
    retired."""
    from sqlmodel import col, select

    from .db.models import CoordinatorRecord

    retired = [c for c in found if c.status == RETIRED]
    if not retired:
        states = ", ".join(sorted({c.status for c in found}))
        raise InputError(f"{wanted}: not retired{of}"
                         + (f" (it is {states})" if states else " (no contact has it)")
                         + "; nothing changed")
    codes = {c.municipality_code for c in retired}
    addresses = {c.email.lower() for c in retired}
    for contact in retired:
        contact.status = "valid"
        contact.updated_at = now
        session.add(contact)
    for record in session.exec(select(CoordinatorRecord).where(
            col(CoordinatorRecord.kind) == RETIRED, col(CoordinatorRecord.undone_at).is_(None),
            col(CoordinatorRecord.municipality_code).in_(codes))):
        if (record.address or "").lower() in addresses:
            record.take_back(now=now, who=who, reason=reason)
            session.add(record)
    result = RetireResult(address=retired[0].email, reason=reason, undo=True,
                          retired=_named(session, codes))
    session.commit()
    return result


def _named(session: Session, codes: set[str]) -> list[tuple[str, str]]:
    """(code, name) of the municipalities of ``codes``, in code order."""
    from sqlmodel import col, select

    from .db.models import Municipality

    names = dict(session.exec(select(Municipality.code, Municipality.name_fi).where(
        col(Municipality.code).in_(codes))).all())
    return [(code, names.get(code, "")) for code in sorted(codes)]
