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
from fixtures_fetch import DATA
from send_support import mail_server, round_env
from sqlmodel import Session, select
from test_fetch import add_contact, by_uid, engine_of, run_json

from yhteistuumin_survey.db.models import (
    Bounce,
    Contact,
    CoordinatorRecord,
    Municipality,
    OutboundMessage,
)
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
        kept = session.exec(select(CoordinatorRecord)).all()
        assert session.exec(select(Bounce).where(Bounce.classification == "checked")).all() == []
    engine.dispose()
    assert [(r.kind, r.municipality_code, r.address, r.reason) for r in kept] == [
        ("checked", "599", PEDERSORE, "soitettu 7.12.: postilaatikko tyhjennetty")]

    # The mailbox fills up again: three new soft bounces make a new note; one does not.
    dovecot.append(mailbox_full(3))
    assert run_json(cli, env=dovecot.env("starttls"))[0] == 0
    assert follow_up_rows(cli)["599"]["check"] == []
    for n in (4, 5):
        dovecot.append(mailbox_full(n))
    assert run_json(cli, env=dovecot.env("starttls"))[0] == 0
    assert [(c["reason"], c["count"]) for c in follow_up_rows(cli)["599"]["check"]] == [
        ("soft", 3)]


# --- answers that came another way: a web form, a joint answer ---------------------------------

CONTACTS = """kunta;kuntanumero;nimi;rooli;sähköposti
Rovaniemi;698;;;kirjaamo@rovaniemi.example.fi
Turku;853;;;kirjaamo@turku.example.fi
Kajaani;205;;;kirjaamo@kajaani.example.fi
Sotkamo;765;;;kirjaamo@sotkamo.example.fi
Kuhmo;290;;;kirjaamo@kuhmo.example.fi
"""
ALL = ["--only", "698,853,205,765,290"]
FORM_HEAD = ('"Timestamp","Email Address","Kunta tai kunnat, joissa käytäntö on käytössä",'
             '"Käytännön nimi","Avainsanat","Kenelle käytäntö on suunnattu?","Tavoite",'
             '"Hyvä käytäntö pähkinänkuoressa","Toteuttaminen","Resurssit","Kokemuksia",'
             '"Hyödyt","Yhteyshenkilön nimi","Yhteyshenkilön sähköposti",'
             '"Yhteyshenkilön puhelinnumero","Saako yhteyshenkilön nimen ja yhteystiedot '
             'julkaista hyvän käytännön yhteydessä yhteistuumin.fi-sivustolla?"\n')
#: A Google Forms export: Rovaniemi answered from a private address (not its contact's);
#: three Kainuu municipalities answered together, from an address of none of them.
FORM = FORM_HEAD + (
    '"2026/12/03 10:39:41 AM GMT+2","matti.virtanen@gmail.com","Rovaniemi",'
    '"Kirjastoauto kylille","kirjasto; kylät","Lapset","Tuoda kirjastopalvelut syrjäkylille.",'
    '"Kirjastoauto kiertää kylissä joka toinen viikko.","Reitit suunnitellaan yhdessä.",'
    '"38 000 €","Lainaukset kasvoivat.","Lukeminen lisääntyi.","Matti Virtanen",'
    '"matti.virtanen@rovaniemi.example.fi","+358 16 322 2463","Ei"\n'
    '"2026/12/03 11:39:42 AM GMT+2","tuija@kainuu.example.fi",'
    '"Kajaani, Sotkamo ja Kuhmo yhdessä","Kainuun kulttuurikimppa","musiikki",'
    '"Kaikki asukkaat","Yhteiset konsertit.","Kolme kuntaa järjestää konsertit yhdessä.",'
    '"Vuorotellen.","10 000 €","Hyviä.","Yleisö kasvoi.","Tuija Kainulainen",'
    '"tuija@kainuu.example.fi","","Ei"\n')


def smtp_env(server: Any, **extra: str) -> dict[str, str]:
    return {"YHTEISTUUMIN_SMTP_HOST": "127.0.0.1", "YHTEISTUUMIN_SMTP_PORT": str(server.port),
            "YHTEISTUUMIN_SMTP_SECURITY": "none", "YHTEISTUUMIN_SMTP_RATE": "1000/s",
            **round_env(), **extra}


def age_outbox(workspace: Any, days: float) -> None:
    """Make every message sent so far ``days`` older (the round goes on)."""
    engine = engine_of(workspace)
    with Session(engine) as session:
        for row in session.exec(select(OutboundMessage)):
            row.sent_at = (row.sent_at or row.updated_at) - dt.timedelta(days=days)
            row.sending_at = row.sent_at
            session.add(row)
        session.commit()
    engine.dispose()


def invited_round(cli: Any, workspace: Any, server: Any, contacts: str = CONTACTS,
                  only: list[str] = ALL) -> None:
    path = workspace.root / "yhteystiedot.csv"
    path.write_text(contacts, encoding="utf-8")
    assert cli("register", "contacts", str(path)).exit_code == 0
    sent = cli("send", "invite", *only, "--yes", env=smtp_env(server))
    assert sent.exit_code == 0, sent.output
    age_outbox(workspace, 10)


def test_a_web_form_or_joint_answer_is_never_reminded_and_the_joint_one_is_flagged(
        cli, workspace):
    with mail_server() as server:
        invited_round(cli, workspace, server)
        form = workspace.root / "lomake.csv"
        form.write_text(FORM, encoding="utf-8")
        assert cli("ingest", str(form)).exit_code == 0
        server.messages.clear()
        server.recipients.clear()
        result = cli("send", "remind", *ALL, "--yes", env=smtp_env(server))
        assert result.exit_code == 0, result.output
        assert sorted(server.recipients) == ["kirjaamo@turku.example.fi"]
        assert result.stdout.startswith(
            "Reminders, round yhteistuumin-2026: 1 sent, 0 failed, 0 uncertain, 0 already "
            "sent (0 logins).\nAlso: 4 skipped.\n")
        lines = {line.split("  ")[0]: " ".join(line.split()) for line in
                 result.stdout.splitlines() if line[:3].isdigit()}
        assert lines["698 Rovaniemi"] == "698 Rovaniemi skipped answered"
        practice = json.loads(cli("practices", "list", "--format", "json").stdout)
        joint = next(p["id"] for p in practice if p["title"] == "Kainuun kulttuurikimppa")
        assert lines["205 Kajaani"] == (
            f"205 Kajaani skipped named with others in practice #{joint} (with Kuhmo, "
            "Sotkamo), which does not say who answered: check whether it did (yhteistuumin "
            "status --by municipality); if not, remind it on its own: send remind --only 205")
        rows = follow_up_rows(cli)
        assert {code: rows[code]["next_action"] for code in ("205", "290", "765", "698", "853")
                } == {"205": "check-answer", "290": "check-answer", "765": "check-answer",
                      "698": "nothing", "853": "wait"}
        assert rows["765"]["next_action_text"] == (
            "tarkista, onko kunta vastannut: se mainitaan muiden kanssa käytännössä, josta ei "
            f"näy, kuka vastasi (#{joint}: Kajaani, Kuhmo)")
        # The coordinator phoned: Kajaani did not take part after all; reminded by its code.
        asked = cli("send", "remind", "--only", "205", "--yes", env=smtp_env(server))
        assert asked.exit_code == 0, asked.output
        assert sorted(server.recipients) == ["kirjaamo@kajaani.example.fi",
                                             "kirjaamo@turku.example.fi"]


# --- one address, two municipalities; a former municipality in the contact list -----------------

SHARED = """kunta;kuntanumero;nimi;rooli;sähköposti
Espoo;049;;;kulttuuri@yhteinen.example.fi
Kauniainen;235;;;Kulttuuri@Yhteinen.example.fi
Pertunmaa;588;;;kirjaamo@pertunmaa.example.fi
"""


def test_a_shared_address_gets_one_message_per_municipality_and_the_send_says_so(
        cli, workspace):
    with mail_server() as server:
        path = workspace.root / "yhteystiedot.csv"
        path.write_text(SHARED, encoding="utf-8")
        imported = cli("register", "contacts", str(path))
        # the former municipality's row goes to its successor, and the import says so
        assert f"{path}:4: 1 added (former code 588, now 507 Mäntyharju)" in imported.output
        sent = cli("send", "invite", "--only", "049,235,507", "--yes", env=smtp_env(server))
        assert sent.exit_code == 0, sent.output
        assert sent.stdout == (
            "Invitations, round yhteistuumin-2026: 3 sent, 0 failed, 0 uncertain, 0 already "
            "sent (0 logins).\n"
            "kulttuuri@yhteinen.example.fi is the contact of 2 municipalities (049, 235): it "
            "got one invitation and questionnaire for each, with that municipality's own "
            "answer link.\n")
        tokens = sorted(str(m["X-Yhteistuumin-Municipality"]) for m in server.messages)
        assert tokens == ["049", "235", "507"]
        again = cli("send", "invite", "--only", "049,235,507", "--yes", env=smtp_env(server))
        assert "0 sent" in again.stdout and "is the contact of" not in again.stdout
    rows = follow_up_rows(cli)
    assert rows["507"]["contacts"] == ["kirjaamo@pertunmaa.example.fi"]
    assert "588" not in rows and rows["507"]["invited"]  # 308 rows: the former one has none
    assert len(rows) == 308


# --- an auto-reply naming a new contact ------------------------------------------------------


def test_an_auto_reply_naming_a_new_address_shows_it_on_the_follow_up_list_and_mails_nothing(
        cli, workspace, dovecot):
    add_contact(workspace, "698", ROVANIEMI)
    head = samples.left_fi().split(b"\r\n\r\n", 1)[0]
    dovecot.append(head + "\r\n\r\nHei,\r\n\r\nsähköpostiosoitteeni on muuttunut. Lähettäkää "
                   "kysely jatkossa osoitteeseen Pekka.Uusi@rovaniemi.example.fi.\r\n\r\n"
                   f"> Lähettäjä: {samples.SENDER}\r\n".encode())
    code, report = run_json(cli, env=dovecot.env("starttls"))
    assert code == 0 and [i["status"] for i in report["items"]] == ["auto-reply"], report
    row = follow_up_rows(cli)["698"]
    assert row["check"] == [{"address": ROVANIEMI, "reason": "moved",
                             "named": ["pekka.uusi@rovaniemi.example.fi"]}]
    assert row["next_action_text"] == (
        f"tarkista yhteystieto: {ROVANIEMI}: automaattisen vastauksen mukaan osoite on "
        "vaihtunut (viestissä mainitaan osoite pekka.uusi@rovaniemi.example.fi)")
    # never a contact without the coordinator: the address stays the only one in use
    assert row["contacts"] == [ROVANIEMI]


# --- the status figures add up ----------------------------------------------------------------

TWO_AND_ONE = """kunta;kuntanumero;nimi;rooli;sähköposti
Helsinki;091;;;"kirjaamo@helsinki.example.fi; kulttuuri@helsinki.example.fi"
Rovaniemi;698;;;kulttuuri@rovaniemi.example.fi
"""
CORRECTED = """kunta;kuntanumero;nimi;rooli;sähköposti
Rovaniemi;698;;;uusi@rovaniemi.example.fi
"""


def status_totals(cli: Any) -> dict[str, Any]:
    """The status's totals as JSON, checked against the table's total row."""
    as_json = cli("status", "--format", "json", env=round_env())
    totals = json.loads(as_json.stdout)["totals"]
    table = cli("status", env=round_env())
    row = next(line for line in table.stdout.splitlines() if "Yhteensä" in line).split()
    keys = ["municipalities", "with_contact", "invited", "bounced", "reminded", "answered",
            "answered_uninvited", "practices", "approved", "published"]
    assert dict(zip(keys, map(int, row[1:11]), strict=True)) == {k: totals[k] for k in keys}
    return totals


def test_status_counts_a_bounced_then_corrected_municipality_once_and_the_figures_add_up(
        cli, workspace):
    with mail_server() as server:
        invited_round(cli, workspace, server, TWO_AND_ONE, ["--only", "091,698"])
        for name in ("m365_not_found", "gmail_not_found"):  # Helsinki's kulttuuri@, Rovaniemi's
            path = workspace.root / f"{name}.eml"
            path.write_bytes(getattr(samples, name)())
            assert cli("bounces", str(path)).exit_code == 0
        totals = status_totals(cli)
        # Helsinki is still reached at kirjaamo@: it is not lost; Rovaniemi is
        assert (totals["with_contact"], totals["bounced"], totals["invited"]) == (1, 1, 2)
        server.recipients.clear()
        reminded = cli("send", "remind", "--only", "091,698", "--yes", env=smtp_env(server))
        assert server.recipients == ["kirjaamo@helsinki.example.fi"], reminded.output
        assert "698 Rovaniemi  skipped  no valid contact address" in reminded.stdout
        rows = follow_up_rows(cli)
        assert (rows["091"]["next_action"], rows["698"]["next_action"]) == (
            "wait", "find-new-address")
        # The coordinator finds Rovaniemi's new address: it is invited, not reminded.
        path = workspace.root / "korjattu.csv"
        path.write_text(CORRECTED, encoding="utf-8")
        assert cli("register", "contacts", str(path)).exit_code == 0
        assert follow_up_rows(cli)["698"]["next_action"] == "invite"
        server.recipients.clear()
        sent = cli("send", "invite", "--only", "091,698", "--yes", env=smtp_env(server))
        assert server.recipients == ["uusi@rovaniemi.example.fi"], sent.output
    totals = status_totals(cli)
    assert (totals["with_contact"], totals["bounced"], totals["invited"],
            totals["reminded"]) == (2, 0, 2, 1)
    no_contact = 308 - totals["with_contact"] - totals["bounced"]
    rows = follow_up_rows(cli)
    assert no_contact == sum(1 for row in rows.values() if row["next_action"] == "find-address")
    assert len(rows) == totals["municipalities"] == 308


def test_a_person_asking_us_to_write_elsewhere_puts_the_new_address_on_the_follow_up_list(
        cli, workspace, dovecot):
    add_contact(workspace, "698", ROVANIEMI)
    engine = engine_of(workspace)  # our invitation to Rovaniemi, which the colleague answers
    with Session(engine) as session:
        session.add(OutboundMessage(round_name="yhteistuumin-2026", municipality_code="698",
                                    address=ROVANIEMI, kind="invite", state="sent",
                                    message_id=samples.ROVANIEMI[2], sent_at=NOW))
        session.commit()
    engine.dispose()
    reply = ("From: Pekka Esimerkki <pekka.esimerkki@rovaniemi.example.fi>\r\n"
             f"To: {samples.COORDINATOR}\r\nDate: Thu, 3 Dec 2026 12:00:00 +0200\r\n"
             "Subject: Re: Kutsu: Kulttuuria yhteistuumin -kysely\r\n"
             "Message-ID: <reply-77@rovaniemi.example.fi>\r\n"
             f"In-Reply-To: {samples.ROVANIEMI[2]}\r\nMIME-Version: 1.0\r\n"
             "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
             "Hei,\r\n\r\nkulttuuritoimen kyselyt hoidetaan nykyään keskitetysti. Lähettäkää "
             "kysely jatkossa osoitteeseen kulttuuripalvelut@rovaniemi.example.fi.\r\n\r\n"
             "Ystävällisin terveisin\r\nPekka\r\n\r\n"
             f"Lähettäjä: {samples.SENDER}\r\nAihe: Kutsu\r\n")
    plain = dovecot.append(reply.encode())
    thanks = dovecot.append((DATA / "bounces" / "ordinary-reply.eml").read_bytes())
    code, report = run_json(cli, env=dovecot.env("starttls"))
    assert code == 0, report
    items = by_uid(report)
    assert items[plain]["status"] == "auto-reply" and items[plain]["reason"] == (
        f"{ROVANIEMI}: the reply asks us to write to another address; nothing is marked: "
        "update the contact (it names kulttuuripalvelut@rovaniemi.example.fi)")
    assert items[thanks]["status"] == "to-read"  # "we will fill it in next week": read it
    row = follow_up_rows(cli)["698"]
    assert row["next_action_text"] == (
        f"tarkista yhteystieto: {ROVANIEMI}: vastauksessa pyydetään kirjoittamaan jatkossa "
        "toiseen osoitteeseen (viestissä mainitaan osoite "
        "kulttuuripalvelut@rovaniemi.example.fi)")
    assert row["contacts"] == [ROVANIEMI]  # shown, never mailed without the coordinator


def test_register_checked_on_a_shared_address_says_the_other_municipality_s_note_ends_too(
        cli, workspace, dovecot):
    add_contact(workspace, "698", ROVANIEMI)
    add_contact(workspace, "047", ROVANIEMI)  # a joint office answering for Enontekiö too
    dovecot.append(samples.left_fi())
    assert run_json(cli, env=dovecot.env("starttls"))[0] == 0
    rows = follow_up_rows(cli)
    assert rows["698"]["next_action"] == rows["047"]["next_action"] == "check-contact"
    done = cli("register", "checked", "Rovaniemi", "--reason", "uusi henkilö lukee samaa osoitetta")
    assert done.exit_code == 0, done.output
    assert done.stdout.endswith(
        "The address is also the contact of Enontekiö (047): the note ends there too.\n")
    rows = follow_up_rows(cli)
    assert rows["698"]["check"] == rows["047"]["check"] == []
