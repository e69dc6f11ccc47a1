"""The third fault audit: a database an earlier version left half-migrated, PostgreSQL gone in
the middle of an ingest, two runs at once, Ctrl-C, the clock and the settings file. Each gives
one line ``where: what is wrong; what to do``, loses nothing and doubles nothing."""

from __future__ import annotations

import sqlite3
import subprocess
import sys

import pytest
from cli_support import one_error_line
from fixtures_audit2_faults import KILLED_AT_STATEMENT

# --- a SQLite database an earlier version left half-migrated ----------------------------------

#: How versions before dfacfe5 migrated: the driver's own transactions, so each CREATE, ALTER
#: and DROP before the migration's first row change was committed by itself. Killed at the
#: statement given, the database keeps those under its old revision.
_OLD_UPGRADE_KILLED_AT = KILLED_AT_STATEMENT + """
from alembic import command
from yhteistuumin_survey.db.engine import _alembic_config, make_engine
command.upgrade(_alembic_config(make_engine(url)), "head")
"""


def _old_database(tmp_path, revision: str) -> str:
    from alembic import command

    from yhteistuumin_survey.db.engine import _alembic_config, make_engine

    url = f"sqlite:///{tmp_path / 'vanha.sqlite'}"
    engine = make_engine(url)
    command.upgrade(_alembic_config(engine), revision)
    engine.dispose()
    return url


def _killed_old_style(url: str, statement: int, cwd) -> None:
    killed = subprocess.run([sys.executable, "-c", _OLD_UPGRADE_KILLED_AT, str(statement), url],
                            capture_output=True, check=False, timeout=300, cwd=cwd)
    assert killed.returncode == -9, killed.stderr.decode()[-500:]


def _schema_differences(url: str) -> list:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext
    from sqlmodel import SQLModel

    from yhteistuumin_survey.db import models  # noqa: F401
    from yhteistuumin_survey.db.engine import make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return list(compare_metadata(context, SQLModel.metadata))
    finally:
        engine.dispose()


@pytest.mark.parametrize(("revision", "statement"), [("0003", 9), ("0003", 45),
                                                     ("0004_house", 9), ("0004_fetch", 53)])
def test_a_database_an_earlier_version_left_half_migrated_is_finished_with_its_rows(
        cli, workspace, tmp_path, revision, statement):
    """Before dfacfe5 a kill mid-migration left, say, municipality.aland dropped under
    revision 0003: every later command said 'the database refused the operation' for good.
    Now the half-done migration is finished, the rows kept, and a copy taken first."""
    url = _old_database(tmp_path, revision)
    path = tmp_path / "vanha.sqlite"
    with sqlite3.connect(path) as connection:
        connection.execute("INSERT INTO erasure (subject_hash, counts, erased_at) "
                           "VALUES ('ab12', '{}', '2026-11-30 10:00:00')")
    _killed_old_style(url, statement, workspace.root)
    with sqlite3.connect(path) as connection:
        assert connection.execute("SELECT version_num FROM alembic_version").fetchone() == (
            revision,)

    result = cli("--db", url, "db", "upgrade")

    assert result.exit_code == 0, result.output
    assert "left half-done by an earlier version, was finished" in result.stdout
    backup = tmp_path / f"vanha.sqlite.bak-{revision}"
    assert f"kept in {backup}" in result.stdout
    with sqlite3.connect(backup) as connection:
        assert connection.execute("SELECT version_num FROM alembic_version").fetchone() == (
            revision,)
    assert _schema_differences(url) == []
    with sqlite3.connect(path) as connection:
        assert connection.execute("SELECT subject_hash FROM erasure").fetchall() == [("ab12",)]
    assert cli("--db", url, "status").exit_code == 0


def test_a_command_that_migrates_on_its_way_says_so_and_where_the_copy_is(cli, workspace,
                                                                         tmp_path):
    """'ingest' on a database an earlier version left half-migrated: it is finished on the
    way, and the command says so in a note with the copy's place."""
    url = _old_database(tmp_path, "0004_house")
    _killed_old_style(url, 9, workspace.root)
    export = _exports(tmp_path / "vastaukset", 1)[0]

    result = cli("--db", url, "ingest", str(export))

    assert result.exit_code == 0, result.output
    backup = tmp_path / "vanha.sqlite.bak-0004_house"
    notes = [line for line in result.stderr.splitlines() if line.startswith("Note:")]
    assert notes == [
        "Note: the database was upgraded from schema 0004_house to "
        f"{_head()} (the migration to 0004_fetch, left half-done by an earlier version, was "
        f"finished); the database as it was before is kept in {backup}; delete it once the "
        "upgraded one works"]
    assert backup.is_file()


def _head() -> str:
    from yhteistuumin_survey.db.engine import head_revision

    return head_revision()


def test_a_half_migrated_database_that_cannot_be_finished_is_one_line_and_left_as_it_was(
        cli, workspace, tmp_path):
    """A table of the next migration there under another shape (made by hand, or by something
    else): no guess, no traceback; the line names the file, the copy and what to do."""
    url = _old_database(tmp_path, "0004_house")
    path = tmp_path / "vanha.sqlite"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE fetchedmessage (id INTEGER PRIMARY KEY)")

    line = one_error_line(cli("--db", url, "db", "upgrade"))

    assert line.startswith(f"Error: {path}: cannot be migrated from schema revision 0004_house")
    assert "nothing was changed" in line
    assert f"a copy of it is in {path}.bak-0004_house" in line
    assert "restore the database from a backup" in line
    with sqlite3.connect(path) as connection:
        assert connection.execute("SELECT version_num FROM alembic_version").fetchone() == (
            "0004_house",)
        columns = [row[1] for row in connection.execute("PRAGMA table_info(fetchedmessage)")]
    assert columns == ["id"]


def test_a_database_at_the_newest_schema_is_not_copied(cli, workspace, tmp_path):
    url = f"sqlite:///{tmp_path / 'uusi.sqlite'}"
    assert cli("--db", url, "db", "upgrade").exit_code == 0  # an empty one: nothing to copy
    again = cli("--db", url, "db", "upgrade")
    assert again.exit_code == 0 and "already at the newest schema" in again.stdout
    assert not [p.name for p in tmp_path.iterdir() if ".bak-" in p.name]


# --- PostgreSQL gone in the middle of an ingest -----------------------------------------------


def _exports(folder, count: int) -> list:
    """``count`` Google Forms exports of two responses each, every response its own practice."""
    import csv
    import hashlib

    from ingest_support import DATA

    with (DATA / "googleforms.csv").open(encoding="utf-8") as handle:
        header, first, *_ = list(csv.reader(handle))
    folder.mkdir()
    for number in range(count):
        with (folder / f"vastaus-{number:02d}.csv").open("w", encoding="utf-8",
                                                         newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            for response in range(2):
                row = list(first)
                row[0] = f"2022/11/30 10:{number:02d}:{response:02d} PM GMT+1"
                tag = hashlib.sha1(f"{number}-{response}".encode()).hexdigest()[:12]
                row[3] = f"{tag} kirjastoauto kylille"
                row[6] = f"Tavoite {number}-{response}"
                writer.writerow(row)
    return sorted(folder.iterdir())


@pytest.mark.postgres
def test_an_ingest_whose_postgresql_goes_away_reports_what_it_stored_and_the_rerun_the_rest(
        postgres_url, postgres_cluster, workspace, tmp_path):
    """The server ending every session of the database in the middle of a run and taking no
    new ones (stopped, or a failover): the run's advisory lock could not be let go on the
    lost connection, and that error replaced the report ('the database refused the operation
    (AdminShutdown)'). Now the report says what was stored and how many files the next run
    reads; the next run, the server back, reads exactly those."""
    from sqlalchemy.engine import make_url
    from sqlmodel import Session

    from yhteistuumin_survey.config import load_settings
    from yhteistuumin_survey.db.engine import open_database
    from yhteistuumin_survey.ingest import ingest_paths
    from yhteistuumin_survey.register import ensure_register

    engine = open_database(postgres_url)
    ensure_register(engine, workspace=workspace)
    files = _exports(tmp_path / "vastaukset", 12)
    name = make_url(postgres_url).database
    seen = [0]

    def server_goes_away_after_five(step: int) -> None:
        seen[0] += step
        if seen[0] == 5:
            postgres_cluster.psql(f"ALTER DATABASE {name} ALLOW_CONNECTIONS false")
            postgres_cluster.psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                  f"WHERE datname = '{name}' AND pid <> pg_backend_pid()")

    settings = load_settings(workspace.root, env={})
    with Session(engine, expire_on_commit=False) as session:
        first = ingest_paths(files, session=session, workspace=workspace, settings=settings,
                             progress=server_goes_away_after_five, workers=1)

    assert first.report_path is not None and first.report_path.is_file()
    stored = first.counts.get("new", 0) // 2
    assert 0 < stored < 12, first.counts
    errors = first.warnings()
    assert len(errors) == 1, errors
    assert "takes no connections to this database now; run the command again" in errors[0]
    assert f"error: postgresql://127.0.0.1:{postgres_cluster.port}/{name}: " in errors[0]
    assert f"{12 - stored} files not read (the next run reads them)" in errors[0]

    postgres_cluster.psql(f"ALTER DATABASE {name} ALLOW_CONNECTIONS true")
    with Session(engine, expire_on_commit=False) as session:
        second = ingest_paths(files, session=session, workspace=workspace, settings=settings,
                              workers=1)
    engine.dispose()
    assert second.counts.get("new") == 2 * (12 - stored), second.counts
    assert second.counts.get("already ingested") == stored, second.counts
    assert not second.failed


def test_an_error_line_about_a_server_database_names_no_login_role():
    """The role in the URL may be a person's own account ('liisa.virtanen'); the line names
    the server and the database, as every other database message does."""
    from yhteistuumin_survey.db.engine import database_label

    url = "postgresql+psycopg://liisa.virtanen:Salainen1@db.kunta.fi:5433/kysely"

    label = database_label(url)

    assert label == "postgresql://db.kunta.fi:5433/kysely"
    assert database_label("sqlite:////srv/kysely/yhteistuumin.sqlite") == (
        "/srv/kysely/yhteistuumin.sqlite")


# --- two publishes at once --------------------------------------------------------------------


def test_a_publish_started_while_another_runs_waits_and_the_site_ends_whole(workspace,
                                                                         monkeypatch):
    """The first publish read 2 approved practices and was still building its search index
    when a reviewer approved a third and a second publish ran. Both wrote: the second the
    third card's page, the first, ending later, its older lists and manifest over it; the
    site listed 2 cards beside a page of the third until some later publish. Now the second
    waits for the first, then publishes what the database holds."""
    import json
    import threading

    from factories import make_practice
    from publish_support import card_list, two_approved_one_rejected

    from yhteistuumin_survey import publish as publish_module
    from yhteistuumin_survey.db.engine import open_database, session_scope
    from yhteistuumin_survey.project import Project

    two_approved_one_rejected(workspace)
    paused, go_on = threading.Event(), threading.Event()
    real_index = publish_module.build_search_index

    def slow_first_index(*args, **kwargs):  # type: ignore[no-untyped-def]
        if not paused.is_set():
            paused.set()
            assert go_on.wait(60)
        return real_index(*args, **kwargs)

    monkeypatch.setattr(publish_module, "build_search_index", slow_first_index)
    results: dict[str, object] = {}

    def publish(name: str) -> None:
        with Project.open(workspace.root, env={}) as project:
            results[name] = project.publish()

    first = threading.Thread(target=publish, args=("first",))
    first.start()
    assert paused.wait(120)
    engine = open_database(f"sqlite:///{workspace.outputs / 'yhteistuumin.sqlite'}")
    with session_scope(engine) as session:
        make_practice(session, title="Lukudiplomi", status="approved", municipalities=["091"])
    engine.dispose()
    second = threading.Thread(target=publish, args=("second",))
    second.start()
    second.join(3)  # it runs meanwhile, or waits for the first
    go_on.set()
    first.join(120)
    second.join(120)
    assert set(results) == {"first", "second"}

    second_notes = results["second"].warnings()  # type: ignore[attr-defined]
    assert second_notes[0].startswith("Note: waited "), second_notes
    assert " s for another publish (" in second_notes[0]
    with Project.open(workspace.root, env={}) as project:
        again = project.publish()
    assert again.written == [], again.written  # the site was whole: nothing left to mend
    cards = card_list(workspace.outputs / "site")
    assert "Lukudiplomi" in json.dumps(cards, ensure_ascii=False)


# --- an IMAP server that does not answer --------------------------------------------------------


@pytest.mark.parametrize(("greets", "security"), [(False, "ssl"), (True, "none"),
                                                 (True, "starttls")])
def test_an_imap_server_that_does_not_answer_is_named_with_the_timeout_to_raise(
        cli, greets, security):
    """A server that takes the connection and then says nothing (overloaded, or a firewall
    holding it): 'cannot connect (TimeoutError: timed out); check host and port' sent the
    coordinator to settings that were right. Now the line says it did not answer in time."""
    import socket
    import threading

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]
    held: list[socket.socket] = []

    def accept() -> None:
        connection, _ = listener.accept()
        held.append(connection)
        if greets:
            connection.sendall(b"* OK IMAP4rev1 ready\r\n")

    threading.Thread(target=accept, daemon=True).start()
    try:
        result = cli("fetch", env={"YHTEISTUUMIN_IMAP_HOST": "127.0.0.1",
                                   "YHTEISTUUMIN_IMAP_PORT": str(port),
                                   "YHTEISTUUMIN_IMAP_SECURITY": security,
                                   "YHTEISTUUMIN_IMAP_USER": "kirjaamo",
                                   "YHTEISTUUMIN_IMAP_PASSWORD": "Salainen1",
                                   "YHTEISTUUMIN_IMAP_TIMEOUT": "1"})
    finally:
        for connection in held:
            connection.close()
        listener.close()

    line = one_error_line(result)
    assert line == (f"Error: 127.0.0.1:{port}: the server did not answer within 1 s; run fetch "
                    "again later, or give it longer with [imap] timeout "
                    "(YHTEISTUUMIN_IMAP_TIMEOUT)")


# --- the settings file ------------------------------------------------------------------------


def test_a_settings_file_saved_by_notepad_with_a_bom_and_crlf_is_read(cli, workspace):
    """Windows Notepad saves UTF-8 with a byte-order mark (and CRLF line ends): the file
    looked right in every editor and was refused as 'yhteistuumin.toml:1: Invalid statement
    (column 1)'. Now it is read as typed, and a line of it is still named by its number."""
    settings = workspace.root / "yhteistuumin.toml"
    text = settings.read_text(encoding="utf-8").replace("[smtp]\n", "[smtp]\nport = 2525\n"
                                                        "host = \"smtp.kunta.fi\"\n", 1)
    settings.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8"))

    from yhteistuumin_survey.config import load_settings

    loaded = load_settings(workspace.root, env={})
    assert (loaded.get("smtp.port"), loaded.get("smtp.host")) == (2525, "smtp.kunta.fi")
    assert cli("status").exit_code == 0

    port_line = text.splitlines().index("port = 2525") + 1
    settings.write_bytes(b"\xef\xbb\xbf" + text.replace("port = 2525", "port = 70000")
                         .replace("\n", "\r\n").encode("utf-8"))
    line = one_error_line(cli("status"))
    assert line.startswith(f"Error: {settings}:{port_line}: [smtp] port"), line


# --- Ctrl-C ---------------------------------------------------------------------------------


def test_ctrl_c_in_an_ingest_says_what_was_stored_writes_the_report_and_the_rerun_reads_the_rest(
        cli, workspace, tmp_path, monkeypatch):
    """A real SIGINT after the fifth of twelve files: the run ended 'Interrupted.' with exit
    130 and no report, though five files were stored. Now the report lists those five and the
    line says where it is; the rerun reads exactly the seven others."""
    import os
    import signal

    from yhteistuumin_survey import ingest

    files = _exports(tmp_path / "vastaukset", 12)
    real_ingest_file = ingest._Run.ingest_file
    calls = [0]

    def ctrl_c_after_five(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        real_ingest_file(self, *args, **kwargs)
        calls[0] += 1
        if calls[0] == 5:
            os.kill(os.getpid(), signal.SIGINT)

    monkeypatch.setattr(ingest._Run, "ingest_file", ctrl_c_after_five)
    result = cli("ingest", str(tmp_path / "vastaukset"))

    assert result.exit_code == 130, result.output
    reports = sorted((workspace.outputs / "reports").glob("ingest-*.xlsx"))
    assert len(reports) == 1
    assert result.stderr.strip() == (
        f"Interrupted: the files read before it are stored and listed in {reports[0]}; run the "
        "command again to read the rest")
    from openpyxl import load_workbook

    sheet = load_workbook(reports[0], read_only=True).active
    text = " ".join(str(cell) for row in sheet.iter_rows(values_only=True) for cell in row)
    assert sum(f"vastaus-{n:02d}.csv" in text for n in range(12)) == 5
    assert "Keskeytetty (Ctrl-C)" in text  # the report workbook speaks the round's language
    monkeypatch.setattr(ingest._Run, "ingest_file", real_ingest_file)
    again = cli("ingest", "--format", "json", str(tmp_path / "vastaukset"))
    assert again.exit_code == 0, again.output
    import json

    counts = json.loads(again.stdout)["counts"]
    assert counts.get("new") == 14 and counts.get("already ingested") == 5, counts
    assert len(files) == 12


def test_ctrl_c_in_an_ingest_s_first_file_says_nothing_new_is_stored(
        cli, workspace, tmp_path, monkeypatch):
    """Tried as a user would: Ctrl-C four seconds into an ingest of 310 files, still in the
    first (an export of 5,000 rows), said "the files read before it are stored and listed in
    ...", and the rerun's "310 files: 9638 new practices" seemed to contradict it: no file
    had been stored. Now the line says that nothing new is stored."""
    import os
    import signal

    from yhteistuumin_survey import ingest

    files = _exports(tmp_path / "vastaukset", 3)

    def ctrl_c_in_the_first(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        os.kill(os.getpid(), signal.SIGINT)

    monkeypatch.setattr(ingest._Run, "ingest_file", ctrl_c_in_the_first)
    result = cli("ingest", str(tmp_path / "vastaukset"))

    assert result.exit_code == 130, result.output
    reports = sorted((workspace.outputs / "reports").glob("ingest-*.xlsx"))
    assert result.stderr.strip() == (
        f"Interrupted: it came before the first file was finished: nothing new is stored "
        f"({reports[0]} lists what was read); run the command again to read the files")
    monkeypatch.undo()
    again = cli("ingest", "--format", "json", str(tmp_path / "vastaukset"))
    import json

    counts = json.loads(again.stdout)["counts"]
    assert "already ingested" not in counts and counts.get("new"), counts
    assert len(files) == 3



@pytest.mark.parametrize("how", ["ctrl-c", "sqlalchemy's error in its place"])
def test_ctrl_c_before_any_file_s_turn_says_nothing_is_stored(cli, workspace, tmp_path,
                                                             monkeypatch, how):
    """Ctrl-C in the first second or two of an ingest, while it checked the files (their
    hashes), copied them ahead and made the workers and the register ready, said only
    "Interrupted.": true, but it did not say what was kept. Now it says nothing new is stored,
    as an interrupt in the first file does; the rerun reads every file."""
    import os
    import signal

    from cli_support import interrupt_replaced

    from yhteistuumin_survey import ingest

    files = _exports(tmp_path / "vastaukset", 3)
    real_check = ingest._Run.check
    checked: list[object] = []

    def interrupted_at_the_second(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        checked.append(args[0])
        if len(checked) == 2:
            if how == "ctrl-c":
                os.kill(os.getpid(), signal.SIGINT)
            else:
                interrupt_replaced()
        return real_check(self, *args, **kwargs)

    monkeypatch.setattr(ingest._Run, "check", interrupted_at_the_second)
    result = cli("ingest", str(tmp_path / "vastaukset"))

    assert result.exit_code == 130, result.output
    assert result.stderr.strip() == (
        "Interrupted: it came before the first file was finished: nothing new is stored; run "
        "the command again to read the files")
    assert len(checked) == 2  # stopped there, not after the other files
    monkeypatch.undo()
    again = cli("ingest", "--format", "json", str(tmp_path / "vastaukset"))
    import json

    counts = json.loads(again.stdout)["counts"]
    assert "already ingested" not in counts and counts.get("new") == 6, counts
    assert len(files) == 3


# --- the clock ------------------------------------------------------------------------------


def test_the_follow_up_list_gives_the_days_of_finland_not_of_utc(session):
    """Invitations sent at 01:30 Helsinki time on 7.1. (23:30 UTC on 6.1.) were listed as
    sent on 6.1. and the reminder 'muistuta 13.1.2027 alkaen', but send remind, counting the
    hours, skipped everyone on the morning of 13.1. ('6.4 days ago (wait 7)')."""
    import datetime as dt

    from yhteistuumin_survey.db.models import Contact, OutboundMessage
    from yhteistuumin_survey.followup import follow_up

    sent = dt.datetime(2027, 1, 6, 23, 30, tzinfo=dt.UTC)
    session.add(Contact(municipality_code="005", email="kirjaamo@alajarvi.example.fi"))
    session.add(OutboundMessage(round_name="kevat-2027", municipality_code="005",
                                address="kirjaamo@alajarvi.example.fi", kind="invite",
                                sequence=0, state="sent", sent_at=sent))
    session.commit()

    listed = follow_up(session=session, round_name="kevat-2027", min_days=7,
                       now=dt.datetime(2027, 1, 8, 8, 0, tzinfo=dt.UTC))

    row = {row["code"]: row for row in listed.to_dict()["rows"]}["005"]
    assert (row["invited"], row["remind_from"]) == ("2027-01-07", "2027-01-14")
    shown = {row["code"]: row for row in listed.shown_rows()}["005"]
    assert shown["next_action"] == "muistuta 14.1.2027 alkaen"


def test_a_clock_set_back_before_the_last_message_is_named_not_counted_as_negative_days(
        session, settings):
    """The machine's clock set back (or another machine's, ahead, sent the invitations):
    send remind skipped with 'last message -2.0 days ago (wait 7)'."""
    import datetime as dt

    from yhteistuumin_survey.db.models import Contact, OutboundMessage
    from yhteistuumin_survey.mailer import plan_round

    session.add(Contact(municipality_code="005", email="kirjaamo@alajarvi.example.fi"))
    session.add(OutboundMessage(round_name=settings.round_name, municipality_code="005",
                                address="kirjaamo@alajarvi.example.fi", kind="invite",
                                sequence=0, state="sent",
                                sent_at=dt.datetime(2027, 1, 9, 10, 0, tzinfo=dt.UTC)))
    session.commit()

    plan = plan_round(session=session, settings=settings, kind="remind", only=["005"],
                      now=dt.datetime(2027, 1, 7, 10, 0, tzinfo=dt.UTC))

    assert plan.to_send == []
    assert [s.reason for s in plan.skipped] == [
        "last message sent 2027-01-09 10:00 UTC, after this machine's time "
        "(2027-01-07 10:00 UTC); check the clock"]


# --- forget while a send runs -----------------------------------------------------------------


def test_forget_while_a_send_runs_is_refused_so_she_is_not_mailed_after_her_erasure(
        cli, workspace):
    """The send had planned Helsinki's invitation when Espoo's culture director asked to be
    forgotten: forget erased her, then the send mailed her and wrote the outbox copy with
    her address. Now forget says a send is running; after it, forget erases her."""
    import threading

    from send_support import load_example_contacts, mail_server, round_env
    from sqlmodel import Session

    from yhteistuumin_survey.db.engine import open_database
    from yhteistuumin_survey.project import Project

    engine = open_database(f"sqlite:///{workspace.outputs / 'yhteistuumin.sqlite'}")
    with Session(engine) as session:
        load_example_contacts(session, ["005", "049"])
    engine.dispose()
    her = "kulttuuri@espoo.example.fi"
    first_in, go_on = threading.Event(), threading.Event()

    def hold_the_first(_message) -> None:  # type: ignore[no-untyped-def]
        if not first_in.is_set():
            first_in.set()
            assert go_on.wait(60)

    with mail_server() as server:
        server.on_message = hold_the_first
        env = {"YHTEISTUUMIN_SMTP_HOST": "127.0.0.1", "YHTEISTUUMIN_SMTP_PORT": str(server.port),
               "YHTEISTUUMIN_SMTP_SECURITY": "none", **round_env()}
        sent: dict[str, object] = {}

        def send() -> None:
            with Project.open(workspace.root, env=env) as project:
                sent["result"] = project.send("invite")

        sending = threading.Thread(target=send)
        sending.start()
        try:
            assert first_in.wait(60)
            during = cli("forget", her, "--yes")
        finally:
            go_on.set()
            sending.join(120)
        mailed = [str(m["To"]) for m in server.messages]

    assert during.exit_code == 1, during.output
    lines = during.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: another send is running ("), lines
    assert lines[0].endswith("; forget when it has finished, so that nothing is sent to this "
                             "person after the erasure (nothing was erased)")
    assert "result" in sent and any(her in to for to in mailed)  # before her erasure
    after = cli("forget", her, "--yes")
    assert after.exit_code == 0, after.output
    held = [path for path in workspace.outputs.rglob("*")
            if path.is_file() and her.encode() in path.read_bytes()]
    assert held == []


# --- a review import while an ingest runs -------------------------------------------------------


def test_a_practice_approved_while_an_ingest_runs_goes_back_to_review_with_its_new_version(
        engine, workspace, tmp_path, monkeypatch):
    """An ingest of two files loaded what it knew of the practices at its start; a reviewer's
    import approved practice 1 after the first file; the second file held a corrected version
    of practice 1. The ingest went by the status it had read ('new', no decision) and left
    it approved at version 2: a text no reviewer saw was published. Now it is back to
    review, flagged as changed since the decision."""
    import shutil

    from ingest_support import DATA, practices, run_ingest
    from openpyxl import load_workbook
    from sqlmodel import Session

    from yhteistuumin_survey import ingest
    from yhteistuumin_survey.db.models import Practice

    first_dir = tmp_path / "a"
    first_dir.mkdir()
    shutil.copy(DATA / "msforms.xlsx", first_dir / "msforms.xlsx")
    run_ingest([first_dir / "msforms.xlsx"], engine=engine, workspace=workspace)
    other = _exports(tmp_path / "b", 1)[0]
    changed = tmp_path / "c" / "msforms.xlsx"
    changed.parent.mkdir()
    workbook = load_workbook(DATA / "msforms.xlsx")
    workbook.active.cell(row=2, column=12).value = "Uusi, tarkennettu kuvaus."  # the summary
    workbook.save(changed)

    real_ingest_file = ingest._Run.ingest_file

    def a_reviewer_decides_after_the_first(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        real_ingest_file(self, *args, **kwargs)
        if kwargs.get("display", "").endswith(other.name):
            with Session(engine) as session:  # what review import leaves: approved, v1
                practice = session.get(Practice, 1)
                assert practice is not None and practice.status == "new"
                practice.status, practice.decided_version = "approved", 1
                session.add(practice)
                session.commit()

    monkeypatch.setattr(ingest._Run, "ingest_file", a_reviewer_decides_after_the_first)
    result = run_ingest([other, changed], engine=engine, workspace=workspace)

    first = practices(engine)[0]
    assert (first["id"], first["version"], first["status"]) == (1, 2, "new")
    assert "new-version-since-decision" in first["flags"]
    assert any("reviewers had decided (approved): back to review" in (row["reason"] or "")
               for row in result.rows())


@pytest.mark.postgres
def test_on_postgresql_a_version_stored_while_an_import_decides_goes_back_to_review(
        postgres_url, workspace, tmp_path, monkeypatch):
    """A review import read practice 1 at version 1; an ingest stored version 2 before the
    import's update; the update approved the practice, now at a version nobody reviewed.
    Now the import holds the practices it decides: the ingest waits, then sends it back."""
    import threading

    from ingest_support import DATA, run_ingest
    from openpyxl import load_workbook
    from sqlmodel import Session
    from test_review import fill

    from yhteistuumin_survey.db.engine import open_database
    from yhteistuumin_survey.db.models import Practice
    from yhteistuumin_survey.register import ensure_register
    from yhteistuumin_survey.review import export_review, import_review
    from yhteistuumin_survey.review import import_ as review_import

    engine = open_database(postgres_url)
    ensure_register(engine, workspace=workspace)
    run_ingest([DATA / "msforms.xlsx"], engine=engine, workspace=workspace)
    with Session(engine, expire_on_commit=False) as session:
        exported = export_review(tmp_path / "outputs", session=session).files[0].path
    fill(exported, {1: {"Päätös": "hyväksytty"}})
    changed = tmp_path / "c" / "msforms.xlsx"
    changed.parent.mkdir()
    workbook = load_workbook(DATA / "msforms.xlsx")
    workbook.active.cell(row=2, column=12).value = "Uusi, tarkennettu kuvaus."
    workbook.save(changed)

    read, go_on = threading.Event(), threading.Event()
    real_apply = review_import._apply_checked

    def apply_later(*args, **kwargs):  # type: ignore[no-untyped-def]
        read.set()
        assert go_on.wait(60)
        return real_apply(*args, **kwargs)

    monkeypatch.setattr(review_import, "_apply_checked", apply_later)

    def review() -> None:
        with Session(engine, expire_on_commit=False) as session:
            import_review([exported], session=session)

    importing = threading.Thread(target=review)
    importing.start()
    try:
        assert read.wait(60)
        ingesting = threading.Thread(target=run_ingest, args=([changed],),
                                     kwargs={"engine": engine, "workspace": workspace})
        ingesting.start()
        ingesting.join(3)  # stores version 2 now, or waits for the import
    finally:
        go_on.set()
        importing.join(60)
    ingesting.join(60)

    with Session(engine) as session:
        practice = session.get(Practice, 1)
        assert practice is not None
        state = (practice.current_version, practice.status)
    engine.dispose()
    assert state == (2, "new")


def test_forget_during_a_publish_waits_so_the_site_does_not_show_her_again(workspace,
                                                                          monkeypatch):
    """A publish had read Anna Taide's card (her contact published with consent) when she
    asked to be forgotten: forget erased her and republished, then the publish, ending
    later, wrote her card back with her address. Now forget waits for the publish."""
    import threading

    from publish_support import tree_text, two_approved_one_rejected

    from yhteistuumin_survey import publish as publish_module
    from yhteistuumin_survey.project import Project

    two_approved_one_rejected(workspace)
    her = "anna.taide@example.fi"
    paused, go_on = threading.Event(), threading.Event()
    real_write = publish_module.write_files

    def slow_publisher(*args, **kwargs):  # type: ignore[no-untyped-def]
        # The publish has rendered its pages from what it read, and not written them yet.
        if threading.current_thread().name == "publisher" and not paused.is_set():
            paused.set()
            assert go_on.wait(60)
        return real_write(*args, **kwargs)

    monkeypatch.setattr(publish_module, "write_files", slow_publisher)
    done: dict[str, object] = {}

    def publish() -> None:
        with Project.open(workspace.root, env={}) as project:
            done["publish"] = project.publish()

    def forget() -> None:
        with Project.open(workspace.root, env={}) as project:
            done["forget"] = project.forget(her)

    publishing = threading.Thread(target=publish, name="publisher")
    publishing.start()
    assert paused.wait(120)
    forgetting = threading.Thread(target=forget)
    forgetting.start()
    forgetting.join(3)  # erases now, or waits for the publish
    go_on.set()
    publishing.join(120)
    forgetting.join(120)

    assert set(done) == {"publish", "forget"}
    assert her not in tree_text(workspace.outputs / "site")
    assert "Anna Taide" not in tree_text(workspace.outputs / "site")


def test_a_send_started_during_a_forget_names_the_forget(cli, workspace):
    """forget holds the send lock: a send started meanwhile said 'another send is running'."""
    import os
    import socket

    from send_support import round_env

    from yhteistuumin_survey.db.engine import make_engine
    from yhteistuumin_survey.locks import exclusive
    from yhteistuumin_survey.resources import bundled_path

    assert cli("register", "contacts",
               str(bundled_path("recipients/contacts.example.csv"))).exit_code == 0
    engine = make_engine(f"sqlite:///{workspace.outputs / 'yhteistuumin.sqlite'}")
    env = {"YHTEISTUUMIN_SMTP_HOST": "127.0.0.1", "YHTEISTUUMIN_SMTP_PORT": "9",
           "YHTEISTUUMIN_SMTP_SECURITY": "none", **round_env()}
    with exclusive(engine, "send", by="forget"):  # as Project.forget holds it
        result = cli("send", "invite", "--only", "599", "--yes", env=env)
    engine.dispose()

    line = one_error_line(result)
    assert line.startswith(f"Error: yhteistuumin forget is running ({socket.gethostname()}, "
                           f"pid {os.getpid()}, since "), line
    assert line.endswith("; wait for it to finish, then send again"), line
