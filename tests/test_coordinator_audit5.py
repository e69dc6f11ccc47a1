"""The coordinator's round, fifth pass: never mail a municipality twice, never lose one.

The coordinator's own records (``register answered`` / ``register checked``) live in a table of
their own, moved there from the bounces by one migration; on SQLite and PostgreSQL
(``engine``).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import mailbox_samples as samples
import pytest
from send_support import mail_server
from sqlalchemy import text
from sqlmodel import Session, select
from test_coordinator_audit4 import age_outbox, follow_up_rows, invited_round, smtp_env

from yhteistuumin_survey.db.models import Bounce, Contact, CoordinatorRecord, OutboundMessage
from yhteistuumin_survey.errors import InputError
from yhteistuumin_survey.outside_answers import record_outside_answer
from yhteistuumin_survey.status import answered_codes

NOW = dt.datetime(2027, 1, 20, 10, 0, tzinfo=dt.UTC)
KUHMO, SOTKAMO, PEDERSORE = "290", "765", "599"


def test_the_migration_moves_the_records_out_of_the_bounces_and_back(engine, settings) -> None:
    """A database of the last version holding an answer and a check recorded by hand, beside a
    real bounce: after the upgrade the records are in their own table, read as before (Kuhmo
    answered, never reminded), the bounce stays; the downgrade puts them back."""
    from alembic import command

    from yhteistuumin_survey.db.engine import _alembic_config

    round_name = settings.round_name
    command.downgrade(_alembic_config(engine), "0008_audit2_review")
    when = dt.datetime(2027, 1, 7, 9, 30)
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO outboundmessage (round_name, municipality_code, address, kind, "
            "sequence, state, attempts, queued_at, updated_at) VALUES (:round, '599', "
            "'kultur@pedersore.example.fi', 'invite', 0, 'sent', 1, :when, :when)"),
            {"round": round_name, "when": when})
        for key, kind, address, detail, source in (
                (f"answered:{round_name}:{KUHMO}:2027-01-07T09:30:00+00:00", "answered-outside",
                 None, f"{KUHMO}: ei ilmoitettavaa: tällä kertaa (puhelu 7.1.)",
                 "register answered"),
                (f"answered:another round:{SOTKAMO}:2026-01-07T09:30:00+00:00",
                 "answered-outside", None, f"{SOTKAMO}: puhelu", "register answered"),
                (f"checked:{PEDERSORE}:kultur@pedersore.example.fi:2027-01-07T09:30:00+00:00",
                 "checked", "kultur@pedersore.example.fi", f"{PEDERSORE}: soitettu 7.1.",
                 "register checked"),
                ("<hard-1@example.fi>", "hard", "old@kuhmo.example.fi", "550 5.1.1 unknown",
                 "bounces")):
            connection.execute(text(
                "INSERT INTO bounce (message_key, classification, address, detail, source, "
                "processed_at) VALUES (:key, :kind, :address, :detail, :source, :when)"),
                {"key": key, "kind": kind, "address": address, "detail": detail,
                 "source": source, "when": when})
    command.upgrade(_alembic_config(engine), "head")

    with Session(engine) as session:
        records = sorted((r.kind, r.round_name, r.municipality_code, r.address, r.reason,
                          r.undone_at is None, r.recorded_at.replace(tzinfo=None))
                         for r in session.exec(select(CoordinatorRecord)))
        assert records == [
            ("answered", "another round", SOTKAMO, None, "puhelu", True, when),
            ("answered", round_name, KUHMO, None, "ei ilmoitettavaa: tällä kertaa (puhelu 7.1.)",
             True, when),
            ("checked", round_name, PEDERSORE, "kultur@pedersore.example.fi", "soitettu 7.1.",
             True, when)]
        assert [b.classification for b in session.exec(select(Bounce))] == ["hard"]
        assert answered_codes(session=session, round_name=round_name) == {KUHMO}
        # Read as before: a second record is refused, naming the first's reason.
        with pytest.raises(InputError, match=r"ei ilmoitettavaa: tällä kertaa \(puhelu 7\.1\.\)"):
            record_outside_answer(KUHMO, session=session, round_name=round_name, reason="x")

    with Session(engine) as session:  # kinds later versions record: none of them is a check
        for kind, address in (("read", None), ("retired", "old@kuhmo.example.fi")):
            session.add(CoordinatorRecord(round_name=round_name, municipality_code=KUHMO,
                                          kind=kind, address=address, reason=kind))
        session.commit()
    command.downgrade(_alembic_config(engine), "0008_audit2_review")
    with engine.connect() as connection:
        back = sorted(tuple(row) for row in connection.execute(text(
            "SELECT classification, address, detail FROM bounce")))
    assert back == [("answered-outside", None,
                     f"{KUHMO}: ei ilmoitettavaa: tällä kertaa (puhelu 7.1.)"),
                    ("answered-outside", None, f"{SOTKAMO}: puhelu"),
                    ("checked", "kultur@pedersore.example.fi", f"{PEDERSORE}: soitettu 7.1."),
                    ("hard", "old@kuhmo.example.fi", "550 5.1.1 unknown")]
    command.upgrade(_alembic_config(engine), "head")


def test_undo_keeps_the_record_as_taken_back_and_who_recorded_it(engine, settings) -> None:
    with Session(engine, expire_on_commit=False) as session:
        address = f"kulttuuri@{KUHMO}.example.fi"
        session.add(Contact(municipality_code=KUHMO, email=address))
        session.add(OutboundMessage(round_name=settings.round_name, municipality_code=KUHMO,
                                    address=address, kind="invite", state="sent", sent_at=NOW,
                                    sending_at=NOW, updated_at=NOW))
        session.commit()
        record_outside_answer(KUHMO, session=session, round_name=settings.round_name,
                              reason="puhelu 7.1.", who="koordinaattori", now=NOW)
        record_outside_answer(KUHMO, session=session, round_name=settings.round_name, undo=True,
                              now=NOW + dt.timedelta(hours=1))
        assert answered_codes(session=session, round_name=settings.round_name) == set()
        record_outside_answer(KUHMO, session=session, round_name=settings.round_name,
                              reason="sähköposti 8.1.: ei käytäntöjä", now=NOW)
        rows = [(r.reason, r.who, r.undone_at is not None)
                for r in session.exec(select(CoordinatorRecord).order_by(CoordinatorRecord.id))]
        assert rows == [("puhelu 7.1.", "koordinaattori", True),
                        ("sähköposti 8.1.: ei käytäntöjä", "", False)]
        assert answered_codes(session=session, round_name=settings.round_name) == {KUHMO}
        assert session.exec(select(Bounce)).all() == []


def test_forget_and_person_cover_the_coordinators_records(sqlite_engine, settings,
                                                          workspace) -> None:
    """A checked record holds her address, an answered one names her in its reason: person
    lists both, forget takes her out of both and leaves the records (Kuhmo still answered)."""
    from yhteistuumin_survey.person import person_report
    from yhteistuumin_survey.privacy import forget_person

    address = "anna.virtanen@kuhmo.example.fi"
    with Session(sqlite_engine, expire_on_commit=False) as session:
        session.add(CoordinatorRecord(round_name=settings.round_name, municipality_code=KUHMO,
                                      kind="checked", address=address,
                                      reason="soitettu 7.1., osoite toimii"))
        record_outside_answer(KUHMO, session=session, round_name=settings.round_name,
                              reason=f"{address} soitti: ei ilmoitettavaa", now=NOW)
        shown = person_report(workspace, address, session=session).to_dict()
        assert [(r["kind"], r["municipality"]) for r in shown["sections"]["records"]] == [
            ("checked", KUHMO), ("answered", KUHMO)]
        erased = forget_person(workspace, address, session=session, settings=settings)
        assert erased.to_dict()["counts"]["records"] == 2
    with Session(sqlite_engine) as session:
        kept = [(r.kind, r.address, r.reason) for r in session.exec(select(CoordinatorRecord))]
        assert all(address not in str(value) for row in kept for value in row)
        assert [kind for kind, _, _ in kept] == ["checked", "answered"]
        assert "soitti: ei ilmoitettavaa" in kept[1][2]
        assert answered_codes(session=session, round_name=settings.round_name) == {KUHMO}


# --- a reminder to a contact with a note on the follow-up list --------------------------------

TWO = """kunta;kuntanumero;nimi;rooli;sähköposti
Rovaniemi;698;;;kulttuuri@rovaniemi.example.fi
Turku;853;;;kirjaamo@turku.example.fi
"""


def test_a_reminder_to_a_contact_with_a_note_goes_and_says_the_note(cli, workspace) -> None:
    """Rovaniemi's contact answered the invitation with "en työskentele enää …": the address
    may still be read, so the reminder goes, but the dry run and the send both say the note,
    and the JSON carries it; Turku's line says nothing of the kind."""
    with mail_server() as server:
        invited_round(cli, workspace, server, TWO, ["--only", "698,853"])
        path = workspace.root / "left.eml"
        path.write_bytes(samples.left_fi())
        assert cli("bounces", str(path)).exit_code == 0
        assert follow_up_rows(cli)["698"]["next_action"] == "check-contact"
        note = ("698 Rovaniemi: contact kulttuuri@rovaniemi.example.fi has a note (the person "
                "has left, it names kulttuuripalvelut@rovaniemi.example.fi); the reminder {} "
                "all the same, as the address may work. Look at it on the follow-up list "
                "(yhteistuumin status --by municipality); if the contact stays as it is: "
                "yhteistuumin register checked 698 --reason '...'")
        dry = cli("send", "remind", "--only", "698,853", "--dry-run", env=smtp_env(server))
        assert dry.exit_code == 0, dry.output
        assert note.format("is written for it") in dry.stdout.splitlines()
        server.recipients.clear()
        sent = cli("send", "remind", "--only", "698,853", "--yes", env=smtp_env(server))
        assert sent.exit_code == 0, sent.output
        assert sorted(server.recipients) == ["kirjaamo@turku.example.fi",
                                             "kulttuuri@rovaniemi.example.fi"]
        assert note.format("went to it") in sent.stdout.splitlines()
        assert "853 Turku" not in sent.stdout
        age_outbox(workspace, 10)
        as_json = cli("send", "remind", "--only", "698", "--dry-run", "--format", "json",
                      env=smtp_env(server))
        assert json.loads(as_json.stdout)["contact_notes"] == [
            {"municipality": "698", "address": "kulttuuri@rovaniemi.example.fi",
             "note": "left", "named": ["kulttuuripalvelut@rovaniemi.example.fi"]}]
        # Looked at and kept: the next reminder says nothing of it.
        assert cli("register", "checked", "698", "--reason", "soitettu: osoite luetaan"
                   ).exit_code == 0
        again = cli("send", "remind", "--only", "698", "--dry-run", env=smtp_env(server))
        assert "has a note" not in again.stdout and "1 written" in again.stdout
    totals = assert_adds_up(cli)
    assert (totals["with_contact"], totals["bounced"], totals["reminded"]) == (2, 0, 2)


# --- the deadline: passed, then moved -----------------------------------------------------------


def _deadline_env(server: Any, day: dt.date) -> dict[str, str]:
    return smtp_env(server, YHTEISTUUMIN_ROUND_DEADLINE=day.isoformat())


def _said_deadlines(eml: Path) -> tuple[str, list[str]]:
    """The deadline sentence of a written message's text, and the questionnaire's deadline
    cells."""
    import io
    from email import message_from_bytes, policy

    from openpyxl import load_workbook

    message = message_from_bytes(eml.read_bytes(), policy=policy.default)
    body = message.get_body(preferencelist=("plain",)).get_content()
    import re

    said = re.search(r"Vastausaika päättyy (\d+\.\d+\.\d{4})\.", body)
    attachment = next(part for part in message.iter_attachments()
                      if part.get_filename().endswith(".xlsx"))
    book = load_workbook(io.BytesIO(attachment.get_content()), read_only=True)
    cells = [str(value) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)
             for value in row if isinstance(value, str) and ("päättyy" in value
                                                              or "går ut" in value)]
    return said[1] if said else "", cells


def test_a_reminder_after_the_deadline_is_said_in_the_dry_run_and_refused_by_the_send_and_a_moved_deadline_is_the_one_sent(  # noqa: E501
        cli, workspace) -> None:
    from yhteistuumin_survey.finnish_time import finnish_day

    today = finnish_day()  # the round's day: from 22:00 UTC (21:00 in summer) a day ahead
    with mail_server() as server:
        invited_round(cli, workspace, server, TWO, ["--only", "698,853"])
        past = today - dt.timedelta(days=1)
        dry = cli("send", "remind", "--only", "698,853", "--dry-run",
                  env=_deadline_env(server, past))
        assert dry.exit_code == 0, dry.output
        warning = (f"Warning: [round] deadline {past} is already past (today is {today}): the "
                   f"messages would ask to answer by {past.day}.{past.month}.{past.year}; set "
                   "the new last day to answer ([round] deadline in yhteistuumin.toml, or "
                   "YHTEISTUUMIN_ROUND_DEADLINE). A real send refuses them until then.")
        assert dry.stdout.splitlines()[1] == warning
        server.recipients.clear()
        refused = cli("send", "remind", "--only", "698,853", "--yes",
                      env=_deadline_env(server, past))
        assert refused.exit_code == 1 and server.recipients == []
        assert (f"  [round] deadline {past} is already past (today is {today}): the messages "
                f"would ask to answer by {past.day}.{past.month}.{past.year}") in refused.output
        # The coordinator moves the deadline: the reminder says the new day, in its text and
        # in the questionnaire it carries again.
        moved = today + dt.timedelta(days=14)
        dry = cli("send", "remind", "--only", "698", "--dry-run",
                  env=_deadline_env(server, moved))
        assert "Warning" not in dry.stdout
        written = sorted((workspace.root / "outputs").rglob("dry-run/remind/698-*.eml"))
        sentence, cells = _said_deadlines(written[0])
        new = f"{moved.day}.{moved.month}.{moved.year}"
        assert sentence == new
        assert cells and all(new in cell for cell in cells), cells
        sent = cli("send", "remind", "--only", "698,853", "--yes", env=_deadline_env(server, moved))
        assert sent.exit_code == 0, sent.output
        assert sorted(server.recipients) == ["kirjaamo@turku.example.fi",
                                             "kulttuuri@rovaniemi.example.fi"]
    assert assert_adds_up(cli)["reminded"] == 2


# --- an invitation batch stopped half-way by Ctrl-C, run again the next day --------------------


@pytest.mark.slow
def test_an_invitation_batch_stopped_by_ctrl_c_is_finished_the_next_day_nobody_twice(
        workspace) -> None:
    """Ctrl-C half-way through the invitations: the run says what to do; the next run sends
    the rest and says how many went before; nobody gets two, and a message cut off in the
    hand-over is listed as uncertain (not sent again), never lost without a word."""
    import signal
    import subprocess

    from send_support import load_example_contacts
    from test_send_kill import CODES, environment, sender, wait_until

    from yhteistuumin_survey.db.engine import open_database
    from yhteistuumin_survey.register import ensure_register

    engine = open_database(f"sqlite:///{workspace.outputs / 'yhteistuumin.sqlite'}")
    ensure_register(engine, workspace=workspace)
    with Session(engine) as session:
        load_example_contacts(session, CODES)
        addresses = sorted(c.email for c in session.exec(select(Contact)))
    with mail_server(data_delay=0.02) as server:
        env = environment(server.port)
        command = sender(workspace, server.port)
        process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE)
        wait_until(lambda: server.count() >= 15, process)
        process.send_signal(signal.SIGINT)
        _out, err = process.communicate(timeout=60)
        before = server.count()
        assert process.returncode == 130
        line = err.decode().splitlines()[-1]
        assert line.startswith("Interrupted: the invitations stopped part-way: ")
        assert line.endswith(
            " sent before it, each recorded; run the same command again to send the rest "
            "(nobody is mailed twice); a message cut off while being handed over is listed as "
            "uncertain, not sent again")
        done = subprocess.run(command, env=env, capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    report = json.loads(done.stdout)
    uncertain = {m["detail"]["address"] for m in report["messages"]
                 if m["status"] == "uncertain"}
    counts = report["counts"]
    assert len(uncertain) <= 1 and counts["already-sent"] + len(uncertain) >= before - 1
    assert counts["sent"] + counts["already-sent"] + len(uncertain) == len(addresses)
    received = server.received_by()
    assert all(received[a] == 1 for a in addresses if a not in uncertain), received
    assert all(received[a] <= 1 for a in uncertain) and set(received) <= set(addresses)
    with Session(engine) as session:
        rows = {r.address: r.state for r in session.exec(select(OutboundMessage))}
    engine.dispose()
    assert {a for a, state in rows.items() if state == "uncertain"} == uncertain


# --- a reply declining ("emme osallistu tällä kertaa", "vi deltar inte") -----------------------

DECLINE = """kunta;kuntanumero;nimi;rooli;sähköposti
Rovaniemi;698;;;kulttuuri@rovaniemi.example.fi
Pedersöre;599;;;registrator@pedersore.example.fi
Turku;853;;;kirjaamo@turku.example.fi
"""


def _reply(sender: str, subject: str, body: str, number: int, in_reply_to: str = "") -> bytes:
    head = (f"From: {sender}\r\nTo: koordinaattori@yhteistuumin.fi\r\n"
            f"Subject: {subject}\r\nDate: Mon, 07 Dec 2026 10:0{number}:00 +0200\r\n"
            f"Message-ID: <reply-{number}@kunta.example.fi>\r\n"
            + (f"In-Reply-To: {in_reply_to}\r\nReferences: {in_reply_to}\r\n" if in_reply_to
               else "")
            + "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
            "Content-Transfer-Encoding: 8bit\r\n\r\n")
    return (head + body).encode()


def test_a_declining_reply_holds_the_reminder_until_the_coordinator_has_read_it(
        cli, workspace, dovecot) -> None:
    """Rovaniemi answers the invitation "emme osallistu tällä kertaa", Pedersöre writes "vi
    deltar inte" from its contact's address without quoting ours: neither is an answer to
    ingest, and nothing guesses at their words. fetch lists them to read and ties each to its
    municipality; send remind skips both, saying what to do; the follow-up list says to read
    them. The coordinator records the declines; Turku, which wrote nothing, is reminded."""
    from test_fetch import engine_of, run_json

    with mail_server() as server:
        invited_round(cli, workspace, server, DECLINE, ["--only", "698,599,853"])
        engine = engine_of(workspace)
        with Session(engine) as session:
            invitation = session.exec(select(OutboundMessage.message_id).where(
                OutboundMessage.municipality_code == "698")).one()
        engine.dispose()
        dovecot.append(_reply(
            "Pekka Pekkarinen <kulttuuri@rovaniemi.example.fi>",
            "Re: Kutsu: Kulttuuria yhteistuumin -kysely",
            "Hei,\r\n\r\nkiitos kutsusta. Emme osallistu tällä kertaa kyselyyn.\r\n\r\n"
            "Ystävällisin terveisin\r\nPekka\r\n", 1, in_reply_to=str(invitation)))
        dovecot.append(_reply(
            "Anna Andersson <registrator@pedersore.example.fi>", "Enkäten",
            "Hej,\r\n\r\nvi deltar inte i enkäten i år.\r\n\r\nMed vänlig hälsning\r\nAnna\r\n",
            2))
        code, report = run_json(cli, env=dovecot.env("starttls"))
        assert code == 0 and [item["status"] for item in report["items"]] == [
            "to-read", "to-read"], report
        rows = follow_up_rows(cli)
        assert (rows["698"]["next_action"], rows["599"]["next_action"],
                rows["853"]["next_action"]) == ("read-reply", "read-reply", "remind")
        from yhteistuumin_survey.finnish_time import finnish_day

        day = finnish_day()  # the day it came, by Finland's clock (the day after, near midnight)
        assert rows["698"]["next_action_text"] == (
            f"lue kunnan viesti ({day.day}.{day.month}.{day.year}): jos se on vastaus tai "
            "kieltäytyminen, kirjaa se (register answered 698); muuten kirjaa viesti "
            "luetuksi (register read 698) tai muistuta kuntaa heti erikseen (send remind "
            "--only 698)")
        server.recipients.clear()
        sent = cli("send", "remind", "--only", "698,599,853", "--yes", env=smtp_env(server))
        assert sent.exit_code == 0, sent.output
        assert server.recipients == ["kirjaamo@turku.example.fi"]
        lines = {line.split("  ")[0]: " ".join(line.split()) for line in
                 sent.stdout.splitlines() if line[:3].isdigit()}
        assert lines["698 Rovaniemi"] == (
            f"698 Rovaniemi skipped wrote us on {day.day}.{day.month}.{day.year} a message to "
            "read (yhteistuumin fetch listed it): read it; if it answers or declines: "
            "yhteistuumin register answered 698 --reason '...'; if not, record it read: "
            "yhteistuumin register read 698 (reminded when due), or remind it now on its own: "
            "send remind --only 698")
        assert lines["599 Pedersören kunta"].startswith("599 Pedersören kunta skipped wrote us on")
        # Read: Rovaniemi declined (recorded, never reminded); Pedersöre's words the
        # coordinator takes as a decline too.
        for town, why in (("698", "kieltäytyi sähköpostilla 7.12."),
                          ("599", "vi deltar inte (e-post 7.12.)")):
            assert cli("register", "answered", town, "--reason", why).exit_code == 0
        rows = follow_up_rows(cli)
        assert rows["698"]["next_action"] == rows["599"]["next_action"] == "nothing"
        age_outbox(workspace, 10)
        server.recipients.clear()
        again = cli("send", "remind", "--only", "698,599,853", "--yes", env=smtp_env(server))
        assert server.recipients == ["kirjaamo@turku.example.fi"], again.output
    totals = assert_adds_up(cli)
    assert (totals["invited"], totals["answered"], totals["reminded"]) == (3, 2, 1)


# --- the status figures, after each case ---------------------------------------------------------


def assert_adds_up(cli: Any) -> dict[str, Any]:
    """status --format json: 308 municipalities; each column's regions add up to its total;
    with a contact + lost to bounces + no address = 308, as the follow-up list has them; the
    answered are a part of the invited; the uncertain are apart from the invited."""
    from send_support import round_env

    data = json.loads(cli("status", "--format", "json", env=round_env()).stdout)
    totals, regions = data["totals"], data["regions"]
    assert totals["municipalities"] == 308
    for key in ("municipalities", "with_contact", "invited", "bounced", "reminded", "answered",
                "answered_uninvited"):
        assert sum(region[key] for region in regions) == totals[key], key
    rows = follow_up_rows(cli)
    assert len(rows) == 308
    no_address = sum(1 for row in rows.values() if row["next_action"] == "find-address")
    assert totals["with_contact"] + totals["bounced"] + no_address == 308
    assert totals["answered"] <= totals["invited"] and totals["reminded"] <= totals["invited"]
    assert totals["answered"] + totals["answered_uninvited"] == sum(
        1 for row in rows.values() if row["answered"])
    return totals


# --- an out-of-office reply with a return date ----------------------------------------------------

AWAY = """kunta;kuntanumero;nimi;rooli;sähköposti
Helsinki;091;;;kulttuuri@helsinki.example.fi
Pedersöre;599;;;registrator@pedersoren-kunta.example.fi
"""


def test_an_out_of_office_reply_is_no_answer_nor_bounce_and_the_municipality_is_reminded(
        cli, workspace, dovecot) -> None:
    """"Olen lomalla 14.12. asti" (Outlook's, with its headers) and "Jag är på semester till
    och med 14.12." (a hand-made rule, no header): auto-replies, nothing marked, no note, not a
    message to read that would hold the reminder: both are reminded when due."""
    from test_fetch import run_json

    with mail_server() as server:
        invited_round(cli, workspace, server, AWAY, ["--only", "091,599"])
        dovecot.append(samples.ooo_fi_headers())
        dovecot.append(samples.ooo_sv_plain())
        code, report = run_json(cli, env=dovecot.env("starttls"))
        assert code == 0 and [item["status"] for item in report["items"]] == [
            "auto-reply", "auto-reply"], report
        rows = follow_up_rows(cli)
        assert (rows["091"]["next_action"], rows["599"]["next_action"]) == ("remind", "remind")
        assert rows["091"]["check"] == rows["599"]["check"] == []
        totals = assert_adds_up(cli)
        assert (totals["invited"], totals["bounced"], totals["answered"]) == (2, 0, 0)
        server.recipients.clear()
        sent = cli("send", "remind", "--only", "091,599", "--yes", env=smtp_env(server))
        assert sent.exit_code == 0, sent.output
        assert sorted(server.recipients) == ["kulttuuri@helsinki.example.fi",
                                             "registrator@pedersoren-kunta.example.fi"]
        assert "has a note" not in sent.stdout
    assert assert_adds_up(cli)["reminded"] == 2


# --- a contact changed between the invitation and the reminder -----------------------------------

FIRST = """kunta;kuntanumero;nimi;rooli;sähköposti
Rovaniemi;698;;;kulttuuri@rovaniemi.example.fi
Turku;853;;;kirjaamo@turku.example.fi
"""
NEW = """kunta;kuntanumero;nimi;rooli;sähköposti
Rovaniemi;698;Pekka Uusi;kulttuurisihteeri;pekka.uusi@rovaniemi.example.fi
Turku;853;;;kirjaamo@turku.example.fi
"""


def test_a_contact_added_after_the_invitation_is_invited_and_the_old_address_s_bounce_loses_nobody(
        cli, workspace) -> None:
    """Rovaniemi's new culture secretary is added to the contact list after the invitations
    (the list is read as additions: the invited address stays in use). The follow-up list and
    send remind both say the new address is to be invited first; the reminder goes to the
    invited address only, the invitation to the new one only: nobody gets a message twice.
    Then the old address bounces: Rovaniemi still has a contact, is not counted bounced, and
    its next reminder goes to the new address."""
    from test_fetch import engine_of

    new, old = "pekka.uusi@rovaniemi.example.fi", "kulttuuri@rovaniemi.example.fi"
    with mail_server() as server:
        invited_round(cli, workspace, server, FIRST, ["--only", "698,853"])
        path = workspace.root / "uusi.csv"
        path.write_text(NEW, encoding="utf-8")
        assert cli("register", "contacts", str(path)).exit_code == 0
        row = follow_up_rows(cli)["698"]
        assert row["next_action"] == "remind" and row["not_invited"] == [new]
        assert row["next_action_text"] == (
            f"muistuta; lähetä kutsu myös uuteen osoitteeseen {new} (send invite)")
        server.recipients.clear()
        reminded = cli("send", "remind", "--only", "698,853", "--yes", env=smtp_env(server))
        assert sorted(server.recipients) == ["kirjaamo@turku.example.fi", old]
        assert (f"698 Rovaniemi  skipped  {new}: not invited yet (send invite first)"
                in reminded.stdout)
        server.recipients.clear()
        invited = cli("send", "invite", "--only", "698,853", "--yes", env=smtp_env(server))
        assert invited.exit_code == 0, invited.output
        assert server.recipients == [new]
        assert "1 sent" in invited.stdout and "2 already sent" in invited.stdout
        assert follow_up_rows(cli)["698"]["not_invited"] == []
        # The old address is gone: its bounce marks it, not the municipality.
        bounce = workspace.root / "gone.eml"
        bounce.write_bytes(samples.gmail_not_found())
        assert cli("bounces", str(bounce)).exit_code == 0
        engine = engine_of(workspace)
        with Session(engine) as session:
            states = {c.email: c.status for c in session.exec(select(Contact).where(
                Contact.municipality_code == "698"))}
        engine.dispose()
        assert states == {old: "bounced", new: "valid"}
        totals = assert_adds_up(cli)
        assert (totals["with_contact"], totals["bounced"], totals["invited"]) == (2, 0, 2)
        age_outbox(workspace, 10)
        server.recipients.clear()
        again = cli("send", "remind", "--only", "698", "--yes", env=smtp_env(server))
        assert again.exit_code == 0, again.output
        assert server.recipients == [new]
