"""The coordinator's round (audit4): never mail a municipality twice, never lose one.

The reminder rule is one (``reminders.reminder_due``): the follow-up list's next action and
what ``send remind`` plans agree on generated outbox histories.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from typing import Any

import mailbox_samples as samples
from factories import make_practice
from sqlmodel import Session, select
from test_fetch import add_contact, by_uid, engine_of, run_json

from yhteistuumin_survey.db.models import Bounce, Contact, Municipality, OutboundMessage
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



# --- soft bounces that do not stop ------------------------------------------------------------

PEDERSORE = samples.PEDERSORE[1]  # registrator@pedersoren-kunta.example.fi


def mailbox_full(n: int) -> bytes:
    """Postfix's "552 5.2.2 Mailbox full" for Pedersöre, the n-th time (its own Message-Id)."""
    return samples.postfix_full().replace(
        b"<20261201080211.AA11@", f"<20261201080211.AA{11 + n}@".encode())


def greylisted() -> bytes:
    """Postfix's delay notice: the receiving server greylists us ("450 4.7.1 try again")."""
    head = ("From: MAILER-DAEMON@mx.yhteistuumin.example.fi (Mail Delivery System)\r\n"
            f"To: {samples.SENDER}\r\nSubject: Delayed Mail (still being retried)\r\n"
            "Date: Tue, 15 Dec 2026 10:02:11 +0200 (EET)\r\n"
            "Message-Id: <20261215080211.GL1@mx.yhteistuumin.example.fi>\r\n"
            "Auto-Submitted: auto-replied\r\n")
    human = ("This is the mail system at host mx.yhteistuumin.example.fi.\r\n\r\n"
             "####################################################################\r\n"
             "# THIS IS A WARNING ONLY.  YOU DO NOT NEED TO RESEND YOUR MESSAGE. #\r\n"
             "####################################################################\r\n\r\n"
             f"<{PEDERSORE}>: host mx.pedersoren-kunta.example.fi[192.0.2.3] said: 450 4.7.1 "
             f"<{PEDERSORE}>: Recipient address rejected: Greylisted, try again later\r\n")
    return samples._report(head, human, samples._dsn(
        PEDERSORE, "4.7.1", "450 4.7.1 Greylisted, try again later", action="delayed",
        mta="mx.yhteistuumin.example.fi"), samples.invitation(samples.PEDERSORE),
        headers_only=True)


def follow_up_rows(cli: Any, *args: str) -> dict[str, dict[str, Any]]:
    listed = cli("status", "--by", "municipality", "--format", "json", *args)
    assert listed.exit_code == 0, listed.output
    return {row["code"]: row for row in json.loads(listed.stdout)["rows"]}


def test_a_mailbox_full_three_times_puts_the_municipality_on_the_follow_up_list(
        cli, workspace, dovecot):
    add_contact(workspace, "599", PEDERSORE)
    for n in range(2):
        dovecot.append(mailbox_full(n))
    code, report = run_json(cli, env=dovecot.env("starttls"))
    assert code == 0 and {i["status"] for i in report["items"]} == {"soft-bounce"}, report
    # two soft bounces read the same day: a full mailbox may well be emptied
    assert follow_up_rows(cli)["599"]["check"] == []
    uid = dovecot.append(mailbox_full(2))
    code, report = run_json(cli, env=dovecot.env("starttls"))
    assert by_uid(report)[uid]["status"] == "soft-bounce", report
    row = follow_up_rows(cli)["599"]
    assert row["next_action"] == "check-contact"
    assert [(c["address"], c["reason"], c["count"]) for c in row["check"]] == [
        (PEDERSORE, "soft", 3)]
    assert row["next_action_text"].startswith(
        f"tarkista yhteystieto: {PEDERSORE}: viestimme on palautunut tilapäisesti 3 kertaa ")
    assert row["next_action_text"].endswith(
        " alkaen (esim. postilaatikko täynnä), eivätkä viestit mene perille")
    table = cli("status", "--by", "municipality", "--only-open")
    assert "3 kertaa" in table.stdout, table.output
    sv = cli("status", "--by", "municipality", "--format", "json",
             env={"YHTEISTUUMIN_ROUND_LANGUAGE": "sv"})
    sv_row = {r["code"]: r for r in json.loads(sv.stdout)["rows"]}["599"]
    assert "har kommit tillbaka tillfälligt 3 gånger sedan " in sv_row["next_action_text"]
    # the contact stays in use: a full mailbox is not a dead address
    assert row["contacts"] == [PEDERSORE] and row["bounced"] == []


def test_greylisting_that_does_not_end_in_two_weeks_is_a_check(cli, workspace, dovecot):
    add_contact(workspace, "599", PEDERSORE)
    dovecot.append(mailbox_full(0))
    assert run_json(cli, env=dovecot.env("starttls"))[0] == 0
    assert follow_up_rows(cli)["599"]["check"] == []
    engine = engine_of(workspace)  # that one was read 15 days ago, the contact list before
    with Session(engine) as session:
        for bounce in session.exec(select(Bounce)):
            bounce.processed_at = bounce.processed_at - dt.timedelta(days=15)
            session.add(bounce)
        for contact in session.exec(select(Contact)):
            contact.created_at = contact.updated_at = contact.updated_at - dt.timedelta(days=30)
            session.add(contact)
        session.commit()
    engine.dispose()
    uid = dovecot.append(greylisted())
    code, report = run_json(cli, env=dovecot.env("starttls"))
    assert by_uid(report)[uid]["status"] == "soft-bounce", report
    row = follow_up_rows(cli)["599"]
    assert row["next_action"] == "check-contact"
    assert [(c["reason"], c["count"]) for c in row["check"]] == [("soft", 2)]


# --- ending a note: register checked -----------------------------------------------------------

ROVANIEMI = "kulttuuri@rovaniemi.example.fi"


def test_register_checked_ends_a_note_with_its_reason_and_a_new_bounce_makes_a_new_one(
        cli, workspace, dovecot):
    add_contact(workspace, "698", ROVANIEMI)
    add_contact(workspace, "599", PEDERSORE)
    dovecot.append(samples.left_fi())
    for n in range(3):
        dovecot.append(mailbox_full(n))
    assert run_json(cli, env=dovecot.env("starttls"))[0] == 0
    rows = follow_up_rows(cli)
    assert rows["698"]["next_action"] == rows["599"]["next_action"] == "check-contact"

    refused = cli("register", "checked", "Pedersöre", "--reason", "  ")
    assert refused.exit_code == 1 and "Traceback" not in refused.output
    assert "--reason: say why the contact stays as it is (it is recorded)" in refused.output
    wrong = cli("register", "checked", "Pedersöre", "--address", ROVANIEMI, "--reason", "x")
    assert wrong.exit_code == 1
    assert (f"--address {ROVANIEMI}: no open note on it for Pedersören kunta (599); its open notes: "
            f"{PEDERSORE}") in wrong.output
    done = cli("register", "checked", "Pedersöre", "--reason",
               "soitettu 7.12.: postilaatikko tyhjennetty")
    assert done.exit_code == 0, done.output
    assert done.stdout == (
        f"Pedersören kunta (599): 1 note ended ({PEDERSORE}: soft bounces), recorded with your "
        "reason; status --by municipality no longer lists it. A new bounce or auto-reply makes "
        "a new note.\n")
    rows = follow_up_rows(cli)
    assert rows["599"]["check"] == [] and rows["599"]["next_action"] == "invite"
    assert rows["698"]["next_action"] == "check-contact"  # only Pedersöre's note ended
    open_rows = follow_up_rows(cli, "--only-open")
    assert open_rows["599"]["next_action"] != "check-contact"
    again = cli("register", "checked", "599", "--reason", "x")
    assert again.stdout == "Pedersören kunta (599): no open note on its contacts; nothing recorded.\n"
    engine = engine_of(workspace)  # the reason is kept
    with Session(engine) as session:
        kept = session.exec(select(Bounce).where(Bounce.classification == "checked")).all()
    engine.dispose()
    assert [(b.address, b.detail) for b in kept] == [
        (PEDERSORE, "599: soitettu 7.12.: postilaatikko tyhjennetty")]

    # The mailbox fills up again: three new soft bounces make a new note; one does not.
    dovecot.append(mailbox_full(3))
    assert run_json(cli, env=dovecot.env("starttls"))[0] == 0
    assert follow_up_rows(cli)["599"]["check"] == []
    for n in (4, 5):
        dovecot.append(mailbox_full(n))
    assert run_json(cli, env=dovecot.env("starttls"))[0] == 0
    assert [(c["reason"], c["count"]) for c in follow_up_rows(cli)["599"]["check"]] == [
        ("soft", 3)]
