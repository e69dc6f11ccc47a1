"""audit9: privacy and faults in the round's later steps (review, publish, purge)."""

from __future__ import annotations

import shutil

import pytest
from factories import make_practice
from sqlmodel import select
from test_review import fill

from yhteistuumin_survey.db.models import Practice, ReviewDecision

ANNA = "anna.virtanen@kerava.example.fi"
PEKKA = "pekka.puupaa@kerava.example.fi"


def _one_line(text: str) -> str:
    return " ".join(text.split())


# --- review: a workbook exported before forget --------------------------------------------------


def test_a_review_workbook_exported_before_forget_brings_back_nothing_of_her(
        workspace, session, db_url, cli, tmp_path):
    """A reviewer returns her copy, exported before Anna asked to be forgotten: Anna's own
    row shows her details and the reviewer typed her address into Pekka's row too. Before,
    her row was refused as 'read again' (not why), and Pekka's comment was stored with her
    address in it, which forget had erased. Now her row says she was erased, and the address
    goes in as the placeholder forget put there."""
    hers = make_practice(session, title="Lukupiiri", status="new", publish_consent=True,
                         contact_name="Anna Virtanen", contact_email=ANNA,
                         contact_phone="040 111 2233")
    pekkas = make_practice(session, title="Runopolku", status="new", publish_consent=True,
                           contact_name="Pekka Puupää", contact_email=PEKKA)
    assert cli("--db", db_url, "review", "export").exit_code == 0
    (exported,) = (workspace.outputs / "review").glob("*.xlsx")
    handed = shutil.copy(exported, tmp_path / "arvioija.xlsx")  # the reviewer's own copy
    fill(handed, {hers.id: {"Päätös": "hyväksytty",
                            "Arvioijan kommentti": f"Soitettu, {ANNA}"},
                  pekkas.id: {"Päätös": "hyväksytty",
                              "Arvioijan kommentti": f"Lisätietoja myös {ANNA.upper()}."}})
    assert cli("--db", db_url, "forget", ANNA, "--yes").exit_code == 0

    done = cli("--db", db_url, "review", "import", str(handed))

    said = _one_line(done.stdout)
    assert done.exit_code == 1, done.output  # her row is not applied
    assert (f"#{hers.id}'s contact details were erased on request (yhteistuumin forget) after "
            "this workbook was exported, and this row still shows them; nothing of it "
            "applied; re-export and decide again, and ask the reviewer to delete this copy"
            ) in said
    assert ("'Arvioijan kommentti' named an address erased on request (yhteistuumin "
            "forget); stored with the erased-…@invalid placeholder in its place, not as "
            "written; this copy of the workbook still holds the erased address: ask the "
            "reviewer to delete it") in said
    assert "anna" not in said.casefold()
    assert said.count("named an address erased") == 1  # Pekka's row: hers is not applied
    session.expire_all()
    assert session.get(Practice, hers.id).status == "new"
    pekka = session.get(Practice, pekkas.id)
    assert pekka.status == "approved"
    assert pekka.reviewer_comment.startswith("Lisätietoja myös erased-")
    assert pekka.reviewer_comment.endswith("@invalid.")
    for decision in session.exec(select(ReviewDecision)):
        assert "anna" not in (decision.comment or "").casefold()


# --- review: a workbook still open in Excel or LibreOffice --------------------------------------


def test_a_review_workbook_still_open_says_so_and_a_lock_file_is_not_read(
        workspace, session, db_url, cli, tmp_path):
    """LibreOffice's lock file given to review import was read as a workbook ('no review
    sheet ... is this a workbook made by review export?'), and a workbook imported while
    Excel or LibreOffice had it open (their lock file beside it) said nothing: the edits not
    saved yet were silently not in it."""
    practice = make_practice(session, title="Runopolku", status="new")
    assert cli("--db", db_url, "review", "export").exit_code == 0
    (exported,) = (workspace.outputs / "review").glob("*.xlsx")
    aino = fill(exported, {practice.id: {"Päätös": "hyväksytty"}}, tmp_path / "aino.xlsx")
    bertil = fill(aino, {practice.id: {"Arvioijan kommentti": "Hyvä"}}, tmp_path / "bertil.xlsx")
    lock = tmp_path / ".~lock.aino.xlsx#"
    lock.write_text(",Aino Arvioija,kone,07.12.2026 09:12,file:///home/aino/.config;\n",
                    encoding="utf-8")
    (tmp_path / "~$bertil.xlsx").write_bytes(b"\x0dBertil Berg" + b"\x20" * 40)

    done = cli("--db", db_url, "review", "import", str(aino), str(lock), str(bertil))

    said = _one_line(done.stdout)
    assert done.exit_code == 0, done.output
    assert (f"{lock}: warning: LibreOffice's lock file, not a workbook, so not read; aino.xlsx "
            "may still be open in LibreOffice: save and close it, then import it again if it "
            "changed") in said
    for path, program in ((aino, "LibreOffice"), (bertil, "Excel")):
        assert (f"{path}: warning: {program} has it open (its lock file is beside it): what "
                "is not saved yet is not in what was read; save and close it, then import it "
                "again if it changed") in said
    assert "no review sheet" not in said
    session.expire_all()
    assert session.get(Practice, practice.id).status == "approved"
    # Imported before and open again: the warnings of a workbook imported before are left
    # out ("nothing changed"), but the reviewer's new edits may be in LibreOffice, unsaved.
    again = _one_line(cli("--db", db_url, "review", "import", str(aino)).stdout)
    assert (f"{aino}: warning: LibreOffice has it open (its lock file is beside it)") in again
    assert "nothing changed" in again


# --- purge: interrupted, a file that will not go, Finland's days --------------------------------


def _old_reports(workspace, count: int) -> list:
    import datetime as dt
    import os

    old = dt.datetime(2026, 1, 15, 12, 0, tzinfo=dt.UTC).timestamp()
    paths = []
    for number in range(count):
        path = workspace.outputs / "reports" / f"ingest-{number}.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("tiedosto;tila\n", encoding="utf-8")
        os.utime(path, (old, old))
        paths.append(path)
    return paths


def test_a_purge_stopped_half_way_says_how_many_went_and_the_rerun_deletes_the_rest(
        workspace, engine, db_url, cli, monkeypatch):
    """Ctrl-C (or SIGTERM) during a purge said only 'Interrupted.': which files had gone was
    not said anywhere. Now it says how many went, that the rest is kept, and to run it again."""
    from pathlib import Path

    paths = _old_reports(workspace, 5)
    unlink = Path.unlink
    deleted: list[Path] = []

    def stopped_at_the_third(self, *args, **kwargs):
        if len(deleted) == 2:
            raise KeyboardInterrupt  # as Ctrl-C lands, or SIGTERM (the CLI raises it)
        deleted.append(self)
        return unlink(self, *args, **kwargs)

    monkeypatch.setattr(Path, "unlink", stopped_at_the_third)
    stopped = cli("--db", db_url, "purge", "--reports", "--before", "2026-06-30", "--yes")
    monkeypatch.setattr(Path, "unlink", unlink)

    assert stopped.exit_code == 130
    assert stopped.stderr.strip() == ("Interrupted: 2 of the 5 files were deleted before the "
                                      "stop, the other 3 are kept; run the same command again "
                                      "to delete them")
    assert [path.exists() for path in paths] == [False, False, True, True, True]
    again = cli("--db", db_url, "purge", "--reports", "--before", "2026-06-30", "--yes")
    assert again.exit_code == 0, again.output
    assert again.stdout.splitlines()[-1] == ("Deleted 3 files (42 bytes) older than "
                                             "2026-06-30.")
    assert not any(path.exists() for path in paths)


def test_a_file_purge_cannot_delete_is_named_and_the_others_still_go(
        workspace, engine, db_url, cli, monkeypatch):
    """A file that will not go (open in Excel on a shared drive, a read-only share) ended the
    purge with one error line: the files deleted before it were not listed, those after it
    were not deleted. Now it is listed with the reason, the others go, and the exit is 1."""
    import errno
    import json
    from pathlib import Path

    paths = _old_reports(workspace, 3)
    unlink = Path.unlink

    def denied_for_the_middle_one(self, *args, **kwargs):
        if self.name == "ingest-1.csv":
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        return unlink(self, *args, **kwargs)

    monkeypatch.setattr(Path, "unlink", denied_for_the_middle_one)
    done = cli("--db", db_url, "purge", "--reports", "--before", "2026-06-30", "--yes")
    shown = json.loads(cli("--db", db_url, "purge", "--reports", "--before", "2026-06-30",
                           "--yes", "--format", "json").stdout)

    assert done.exit_code == 1, done.output
    assert [path.exists() for path in paths] == [False, True, False]
    lines = [" ".join(line.split()) for line in done.stdout.splitlines()]
    assert ("report outputs/reports/ingest-1.csv 2026-01-15 permission denied; check who owns "
            "it and its permissions") in lines
    assert lines[-2:] == [
        "Deleted 2 files (28 bytes) older than 2026-06-30.",
        "1 file was not deleted (said above); deal with what is said, then run the same "
        "command again"]
    assert [(f["path"], f["error"]) for f in shown["files"]] == [
        ("outputs/reports/ingest-1.csv",
         "permission denied; check who owns it and its permissions")]


def test_purge_counts_days_in_finland_on_a_machine_kept_in_utc(workspace, session, db_url,
                                                               cli, monkeypatch):
    """A file received at 00:30 on 1 November in Helsinki (22:30 UTC on 31 October) went
    with 'purge --before 2026-11-01' on a server kept in UTC, and was listed as of 31
    October; a report written then too. Both are of 1 November in the round's time."""
    import datetime as dt
    import os
    import time

    from yhteistuumin_survey.db.models import ReceivedFile

    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    try:
        moment = dt.datetime(2026, 10, 31, 22, 30, tzinfo=dt.UTC)
        received = workspace.outputs / "received" / "ab" / "vastaus.xlsx"
        received.parent.mkdir(parents=True)
        received.write_bytes(b"PK")
        report = _old_reports(workspace, 1)[0]
        os.utime(report, (moment.timestamp(), moment.timestamp()))
        session.add(ReceivedFile(sha256="c" * 64, original_name="vastaus.xlsx", size=2,
                                 stored_path="outputs/received/ab/vastaus.xlsx",
                                 received_at=moment))
        session.commit()

        none = cli("--db", db_url, "purge", "--received", "--reports", "--before",
                   "2026-11-01", "--yes")
        listed = cli("--db", db_url, "purge", "--received", "--reports", "--before",
                     "2026-11-02", "--dry-run")
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()

    assert none.exit_code == 0, none.output
    assert none.stdout.strip() == ("Nothing to purge: no received and reports older than "
                                   "2026-11-01.")
    assert received.exists() and report.exists()
    assert [line.split()[-1] for line in listed.stdout.splitlines()[2:4]] == [
        "2026-11-01", "2026-11-01"]


# --- send check: the deadline is a Finnish day --------------------------------------------------


@pytest.mark.parametrize(("zone", "deadline_from_today", "refused"), [
    ("Etc/GMT+12", -1, True),   # a machine behind Finland: still on the day before
    ("Etc/GMT-14", 0, False),   # a machine ahead of Finland: already on the next day
])
def test_send_check_counts_the_deadline_in_finlands_days_whatever_the_machines_zone(
        cli, monkeypatch, zone, deadline_from_today, refused):
    """send check took 'today' from the machine's zone while the send itself takes Finland's:
    on a server in UTC from midnight to 02:00 Finnish time, a deadline that had just passed
    was 'Ready to send.' by the check and refused by the send (and a machine ahead refused a
    deadline that is today in Finland). Machines 12 and 14 hours off make it show whatever
    the hour the test runs at: one of the two differs from Finland's day at any hour."""
    import datetime as dt
    import time
    from zoneinfo import ZoneInfo

    from send_support import round_env

    from yhteistuumin_survey.resources import bundled_path

    assert cli("register", "contacts", str(bundled_path("recipients/contacts.example.csv"))
               ).exit_code == 0
    finland = dt.datetime.now(ZoneInfo("Europe/Helsinki")).date()
    deadline = finland + dt.timedelta(days=deadline_from_today)
    env = {**round_env(), "YHTEISTUUMIN_SMTP_HOST": "smtp.kunta.fi",
           "YHTEISTUUMIN_ROUND_DEADLINE": deadline.isoformat()}
    monkeypatch.setenv("TZ", zone)
    time.tzset()
    try:
        result = cli("send", "check", env=env)
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()

    said = _one_line(result.stdout)
    if refused:
        assert result.exit_code == 1, result.output
        assert f"[round] deadline {deadline} is already past (today is {finland})" in said
    else:
        assert result.exit_code == 0, result.output
        assert said.endswith("Ready to send.")


# --- person: in her language ---------------------------------------------------------------------


def test_person_held_only_in_the_outbox_and_a_bounce_is_answered_in_her_language(
        workspace, session, db_url, cli):
    """The registry of Brändö (Åland: Swedish material only) was mailed and the mail bounced;
    the contact was replaced since, so the address is only in the outbox and in the bounce.
    Her access report was Finnish (the round's language) unless the coordinator thought of
    --lang sv. Now a person whose answers and municipalities are all Swedish is answered in
    Swedish; Finnish or mixed ones in the round's language, and --lang still decides."""
    import datetime as dt

    from yhteistuumin_survey.db.models import Bounce, OutboundMessage

    brando = "registrator@brando.example.fi"
    enontekio = "kirjaamo@enontekio.example.fi"
    sent = dt.datetime(2026, 11, 2, 8, 0, tzinfo=dt.UTC)
    for code, address in (("035", brando), ("047", enontekio)):
        message = OutboundMessage(round_name="syksy-2026", municipality_code=code,
                                  address=address, kind="invite", sequence=0, state="sent",
                                  sent_at=sent, smtp_response="250 OK")
        session.add(message)
        session.flush()
        session.add(Bounce(message_key=f"<{code}@mx>", classification="hard", address=address,
                           outbound_id=message.id, detail="550 5.1.1 User unknown"))
    session.commit()

    swedish = cli("--db", db_url, "person", brando)
    finnish = cli("--db", db_url, "person", enontekio)
    asked = cli("--db", db_url, "person", brando, "--lang", "fi")

    assert swedish.exit_code == 0, swedish.output
    said = _one_line(swedish.stdout)
    assert f"Om dig (adressen {brando}) finns sparat: 1 meddelande, 1 returnerat meddelande." in said
    assert "Meddelanden som skickats till din adress omgång: syksy-2026; kommun: 035" in said
    assert "550 5.1.1 User unknown" in said
    assert "typ: returnerat: adressen fungerar inte" in said  # not the code 'hard'
    assert _one_line(finnish.stdout).startswith("osio tiedot")
    assert "laji: palautunut: osoite ei toimi" in _one_line(finnish.stdout)
    assert _one_line(asked.stdout).startswith("osio tiedot")
    assert "Sinusta (osoite registrator@brando.example.fi) on tallennettu" in _one_line(
        asked.stdout)


def test_purge_warns_before_deleting_the_only_copy_of_a_file_whose_reading_failed(
        workspace, session, db_url, cli):
    """A returned questionnaire whose reading failed waits for 'ingest --retry-failed', which
    reads it from its copy under outputs/received. A purge took that copy without a word, and
    the answer was gone: the retry said only 'no copy was kept'. Now the dry run (and the
    question before deleting) says which files were never read and what to do first."""
    import datetime as dt
    import json
    import os

    from yhteistuumin_survey.db.models import ReceivedFile

    old = dt.datetime(2026, 1, 15, 12, 0, tzinfo=dt.UTC)
    for name, status in (("092-vastaus.xlsx", "error"), ("049-vastaus.xlsx", "ingested")):
        stored = workspace.outputs / "received" / "ab" / name
        stored.parent.mkdir(parents=True, exist_ok=True)
        stored.write_bytes(b"PK")
        os.utime(stored, (old.timestamp(), old.timestamp()))
        session.add(ReceivedFile(sha256=name[:3] * 21 + "a", original_name=name, size=2,
                                 stored_path=f"outputs/received/ab/{name}", received_at=old,
                                 status=status, error="a sheet is protected with a password"
                                 if status == "error" else None))
    session.commit()

    listed = cli("--db", db_url, "purge", "--received", "--before", "2026-06-30", "--dry-run")
    shown = json.loads(cli("--db", db_url, "purge", "--received", "--before", "2026-06-30",
                           "--dry-run", "--format", "json").stdout)

    assert listed.exit_code == 0, listed.output
    assert listed.stdout.splitlines()[-1] == (
        "Warning: 1 of the received files was never read (reading failed): 092-vastaus.xlsx; "
        "'yhteistuumin ingest --retry-failed' reads it again from these copies, the only ones "
        "kept: fix what the ingest report said and run it first, or ingest it again from "
        "where it came after the purge")
    assert shown["unread"] == ["092-vastaus.xlsx"]


# --- reminders: a week on Finland's clocks, across the change to summer time --------------------


def test_a_reminder_a_week_after_is_due_at_the_same_hour_across_the_change_of_clocks(session):
    """Invitations went at 09:00 on Monday 22.3.2027; the clocks went forward on Sunday 28.3.
    At 09:00 on Monday 29.3 the coordinator ran send remind and every municipality was
    skipped with 'last message 7.0 days ago (wait 7)': seven days were counted as 168 hours,
    due at 10:00. The follow-up list and send remind now count a week on Finland's clocks."""
    import datetime as dt

    from yhteistuumin_survey.db.models import Contact, OutboundMessage
    from yhteistuumin_survey.followup import follow_up

    invited = dt.datetime(2027, 3, 22, 7, 0, tzinfo=dt.UTC)  # 09:00 EET
    address = "kirjaamo@alajarvi.example.fi"
    session.add(Contact(municipality_code="005", email=address))
    session.add(OutboundMessage(round_name="kevat-2027", municipality_code="005",
                                address=address, kind="invite", sequence=0, state="sent",
                                sent_at=invited))
    session.commit()

    def row(now: dt.datetime) -> dict:
        listed = follow_up(session=session, round_name="kevat-2027", min_days=7, now=now)
        return {r["code"]: r for r in listed.to_dict()["rows"]}["005"]

    before = row(dt.datetime(2027, 3, 29, 5, 59, tzinfo=dt.UTC))  # 08:59 EEST
    at_nine = row(dt.datetime(2027, 3, 29, 6, 0, tzinfo=dt.UTC))  # 09:00 EEST
    assert (before["next_action"], before["remind_from"]) == ("wait", "2027-03-29")
    assert at_nine["next_action"] == "remind"

    # And the autumn: invitations at 09:00 on Monday 19.10.2026, clocks back on 25.10.
    from types import SimpleNamespace

    from yhteistuumin_survey.reminders import reminder_due

    autumn = dt.datetime(2026, 10, 19, 6, 0, tzinfo=dt.UTC)  # 09:00 EEST
    rows = [SimpleNamespace(kind="invite", state="sent", sequence=0, address=address,
                            sent_at=autumn, sending_at=None, updated_at=autumn)]
    due = reminder_due(rows, answered=False, addresses=[address], max_reminders=2,
                       min_days=7, now=dt.datetime(2026, 10, 26, 7, 0, tzinfo=dt.UTC))
    assert due.due and due.sequence == 1  # 09:00 EET on Monday 26.10
    # A minute before, it waits, and says so without rounding up to the days it waits for.
    early = reminder_due(rows, answered=False, addresses=[address], max_reminders=2,
                         min_days=7, now=dt.datetime(2026, 10, 26, 6, 59, tzinfo=dt.UTC))
    # 08:59 after 09:00; it says when it is due, on Finland's clock
    assert early.reason == ("last message 6.9 days ago (wait 7: due 2026-10-26 09:00 Finnish "
                            "time)")
    spring = [SimpleNamespace(kind="invite", state="sent", sequence=0, address=address,
                              sent_at=invited, sending_at=None, updated_at=invited)]
    early = reminder_due(spring, answered=False, addresses=[address], max_reminders=2,
                         min_days=7, now=dt.datetime(2027, 3, 29, 5, 59, tzinfo=dt.UTC))
    assert early.reason == ("last message 6.9 days ago (wait 7: due 2027-03-29 09:00 Finnish "
                            "time)")  # not '7.0 ... (wait 7)', not due 10:00


def test_person_says_a_received_files_copy_was_deleted_by_purge(workspace, session, db_url,
                                                                cli):
    """After 'purge --received' the access report still said of her answer 'tallennettu
    nimellä: vastaus-1-1.xlsx' (stored as), a copy no longer kept. Now it says the copy has
    been deleted; the record of receipt and the answer read from it are still shown."""
    import datetime as dt
    import json
    from zoneinfo import ZoneInfo

    from yhteistuumin_survey.db.models import ReceivedFile

    make_practice(session, title="Lukupiiri", status="approved", publish_consent=True,
                  contact_name="Anna Virtanen", contact_email=ANNA)
    (received,) = session.exec(select(ReceivedFile)).all()
    stored = workspace.root / received.stored_path
    stored.parent.mkdir(parents=True, exist_ok=True)
    stored.write_bytes(b"PK")
    tomorrow = dt.datetime.now(ZoneInfo("Europe/Helsinki")).date() + dt.timedelta(days=1)

    kept = json.loads(cli("--db", db_url, "person", ANNA, "--format", "json").stdout)
    purged = cli("--db", db_url, "purge", "--received", "--before", tomorrow.isoformat(),
                 "--yes")
    finnish = _one_line(cli("--db", db_url, "person", ANNA).stdout)
    swedish = _one_line(cli("--db", db_url, "person", ANNA, "--lang", "sv").stdout)

    assert purged.exit_code == 0, purged.output
    assert not stored.exists()
    assert kept["sections"]["received"][0]["stored_as"] == stored.name
    assert "sisältää: vastauksesi; tallennettu nimellä: kopio on jo poistettu" in finnish
    assert "sparad som: kopian har redan raderats" in swedish


def test_person_named_only_in_a_review_decision_sees_the_decision_in_her_language(
        workspace, session, db_url, cli):
    """Liisa is held only in a reviewer's comment of another's practice's review decision.
    Her access report said 'päätös: approved' (the database's code) in Finnish and Swedish
    alike; now 'päätös: hyväksytty' and 'beslut: godkänd', and a comment typed without a
    decision is said so."""
    from yhteistuumin_survey.db.models import ReviewDecision

    liisa = "liisa.lahti@kerava.example.fi"
    practice = make_practice(session, title="Lukupiiri", status="approved",
                             contact_name="Pekka Puupää", contact_email=PEKKA)
    session.add(ReviewDecision(practice_id=practice.id, version=1, decision="approved",
                               previous_status="new", reviewer="Arvioija",
                               comment=f"Kysy Liisalta {liisa}"))
    session.add(ReviewDecision(practice_id=practice.id, version=1, decision="comment",
                               previous_status="approved", reviewer="Arvioija",
                               comment=f"Liisa ({liisa}) vahvisti"))
    session.commit()

    finnish = _one_line(cli("--db", db_url, "person", liisa).stdout)
    swedish = _one_line(cli("--db", db_url, "person", liisa, "--lang", "sv").stdout)

    assert f"päätös: hyväksytty; huomautus: Kysy Liisalta {liisa}" in finnish
    assert f"päätös: kommentti ilman päätöstä; huomautus: Liisa ({liisa}) vahvisti" in finnish
    assert "approved" not in finnish and "approved" not in swedish
    assert "godkänd" in swedish and "kommentar utan beslut" in swedish


def test_a_review_import_running_while_forget_erases_her_does_not_bring_her_address_back(
        workspace, tmp_path, monkeypatch):
    """A review import had read the erasures (none yet) when forget erased Anna; it wrote
    the reviewer's comment naming her after forget had cleaned the notes: her address was
    back. Now forget and review import wait for each other: whichever comes second sees
    what the first did."""
    import threading

    from yhteistuumin_survey.project import Project
    from yhteistuumin_survey.review import export_review
    from yhteistuumin_survey.review import import_ as import_module

    with Project.open(workspace.root, env={}) as project, project.session() as session:
        make_practice(session, title="Lukupiiri", status="approved", publish_consent=True,
                      contact_name="Anna Virtanen", contact_email=ANNA)
        pekkas = make_practice(session, title="Runopolku", status="new",
                               publish_consent=True, contact_name="Pekka Puupää",
                               contact_email=PEKKA)
        exported = export_review(workspace.outputs, session=session).files[0].path
    handed = fill(exported, {pekkas.id: {"Päätös": "hyväksytty",
                                         "Arvioijan kommentti": f"Kysy myös {ANNA}"}},
                  tmp_path / "arvioija.xlsx")
    checking, forgotten = threading.Event(), threading.Event()
    real_check = import_module._check_and_apply

    def slow_check(*args, **kwargs):  # the workbook read, its decisions not written yet
        checking.set()
        forgotten.wait(5)  # forget goes on meanwhile, or waits for this import
        return real_check(*args, **kwargs)

    monkeypatch.setattr(import_module, "_check_and_apply", slow_check)
    done: dict[str, object] = {}

    def review_import() -> None:
        with Project.open(workspace.root, env={}) as project:
            done["import"] = project.import_review([handed])

    importing = threading.Thread(target=review_import)
    importing.start()
    assert checking.wait(120)
    with Project.open(workspace.root, env={}) as project:
        done["forget"] = project.forget(ANNA)
    forgotten.set()
    importing.join(120)

    assert set(done) == {"import", "forget"}
    with Project.open(workspace.root, env={}) as project, project.session() as session:
        pekka = session.get(Practice, pekkas.id)
        assert pekka.status == "approved"
        assert "anna" not in pekka.reviewer_comment.casefold()
        for decision in session.exec(select(ReviewDecision)):
            assert "anna" not in (decision.comment or "").casefold()


# --- consent: the reviewer types a contact into the workbook ------------------------------------


def test_a_contact_the_reviewer_types_into_the_workbook_never_reaches_the_site(
        workspace, session, db_url, cli, tmp_path):
    """Already so (a guard): Kalle did not consent; the reviewer approves his practice and
    types a contact into its read-only 'Yhteystiedot' cell (his, with a phone, and another
    person's). The edit is said to be ignored and the site, its JSON, the search index and
    the CMS Markdown hold neither."""
    from publish_support import tree_text

    practice = make_practice(session, title="Ilman lupaa", status="new", publish_consent=False,
                             contact_name="Kalle Kielto", contact_email="kalle.kielto@example.fi",
                             contact_phone="040 333 4444")
    assert cli("--db", db_url, "review", "export").exit_code == 0
    (exported,) = (workspace.outputs / "review").glob("*.xlsx")
    handed = fill(exported, {practice.id: {
        "Päätös": "hyväksytty",
        "Yhteystiedot": "Kalle Kielto, kalle.kielto@example.fi, 040 333 4444; "
                        "Liisa Lisätty liisa.lisatty@example.fi"}}, tmp_path / "arvioija.xlsx")

    imported = cli("--db", db_url, "review", "import", str(handed))
    published = cli("--db", db_url, "publish")

    assert imported.exit_code == 0, imported.output
    assert ("warning: read-only column 'Yhteystiedot' was edited; the edit is ignored"
            in _one_line(imported.stdout))
    assert published.exit_code == 0, published.output
    # Every page, practices.json, cards.json(.gz), the Pagefind files (unpacked) and the CMS.
    site = tree_text(workspace.outputs / "site") + tree_text(workspace.outputs / "cms")
    for trace in ("kielto", "333 4444", "3334444", "lisatty", "Lisätty"):
        assert trace.casefold() not in site.casefold(), trace
    assert "Ilman lupaa" in site
