"""The coordinator's round (audit4): never mail a municipality twice, never lose one.

The reminder rule is one (``reminders.reminder_due``): the follow-up list's next action and
what ``send remind`` plans agree on generated outbox histories.
"""

from __future__ import annotations

import datetime as dt
import random

from factories import make_practice
from sqlmodel import Session, select

from yhteistuumin_survey.db.models import Contact, Municipality, OutboundMessage
from yhteistuumin_survey.followup import follow_up
from yhteistuumin_survey.mailer import plan_round

NOW = dt.datetime(2027, 1, 20, 10, 0, tzinfo=dt.UTC)


def _history(session: Session, code: str, rng: random.Random, round_name: str) -> None:
    """One municipality's round, drawn at random: its contact (perhaps a new one after a
    bounce), an invitation in some state, some reminders, perhaps an answer."""
    address = f"kirjaamo@{code}.example.fi"
    invited_at = address
    if rng.random() < 0.15:  # invited at an address that bounced; a new one is in use now
        invited_at = f"vanha@{code}.example.fi"
        session.add(Contact(municipality_code=code, email=invited_at, status="bounced"))
    session.add(Contact(municipality_code=code, email=address))
    state = rng.choice(["sent", "sent", "sent", "queued", "uncertain", "failed", None])
    if state is None:
        return
    age = rng.choice([1, 3, 6.9, 7.1, 10, 30])
    when = NOW - dt.timedelta(days=age)
    session.add(OutboundMessage(round_name=round_name, municipality_code=code,
                                address=invited_at, kind="invite", state=state,
                                sent_at=when if state == "sent" else None,
                                sending_at=when, updated_at=when))
    for sequence in range(1, rng.choice([0, 0, 1, 2, 3]) + 1):
        when = when + dt.timedelta(days=rng.choice([2, 7, 8]))
        if when > NOW:
            break
        state = rng.choice(["sent", "sent", "sent", "queued", "failed", "uncertain"])
        session.add(OutboundMessage(round_name=round_name, municipality_code=code,
                                    address=invited_at, kind="remind", sequence=sequence,
                                    state=state, sent_at=when if state == "sent" else None,
                                    sending_at=when, updated_at=when))
    if rng.random() < 0.2:
        make_practice(session, title=f"Käytäntö {code}", municipalities=[code], commit=False)


def test_the_follow_up_list_and_send_remind_agree_on_who_is_due_a_reminder(
        sqlite_engine, settings):
    rng = random.Random(20270120)
    with Session(sqlite_engine, expire_on_commit=False) as session:
        codes = [m.code for m in session.exec(select(Municipality).where(
            Municipality.active == True).order_by(Municipality.code))][:120]  # noqa: E712
        for code in codes:
            _history(session, code, rng, settings.round_name)
        session.commit()
        plan = plan_round(session=session, settings=settings, kind="remind", only=codes, now=NOW)
        invite = plan_round(session=session, settings=settings, kind="invite", only=codes,
                            now=NOW)
        # to send, or failed before (send invite says so and how to retry)
        inviting = {m.municipality_code for m in [*invite.to_send, *invite.failed_before]}
        rows = {row["code"]: row for row in follow_up(
            session=session, round_name=settings.round_name, now=NOW,
            max_reminders=int(settings.get("reminders.max")),
            min_days=int(settings.get("reminders.min_days"))).rows}
    # to send, or listed with how to send it (a reminder that failed before: --retry-failed)
    planned = {m.municipality_code for m in [*plan.to_send, *plan.failed_before,
                                             *plan.uncertain]}
    skipped: dict[str, list[str]] = {}
    for skip in plan.skipped:
        skipped.setdefault(skip.municipality_code, []).append(skip.reason)
    seen: set[str] = set()
    for code in codes:
        action = rows[code]["next_action"]
        seen.add(action)
        reasons = skipped.get(code, [])
        if action == "remind":
            assert code in planned, (code, reasons)
            continue
        assert code not in planned, (code, action)
        if action == "wait":
            assert reasons and reasons[0].startswith("last message"), (code, reasons)
            due = dt.date.fromisoformat(rows[code]["remind_from"])
            assert due > NOW.date() or (due == NOW.date() and reasons), code
        elif action == "phone":
            assert reasons and reasons[0].endswith("sent already (max 2)"), (code, reasons)
        elif action == "nothing":
            assert reasons == ["answered"], (code, reasons)
        elif action == "invite":  # never invited, or only at an address no longer in use
            assert code in inviting, (code, reasons)
        elif action == "check-invite":  # only an invitation of unknown fate
            assert rows[code]["invited"] is None, code
    # the draw covers every action the rule gives
    assert {"remind", "wait", "phone", "nothing", "invite"} <= seen, seen

