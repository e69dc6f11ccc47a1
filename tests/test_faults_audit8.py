"""The eighth fault audit: what a real round meets on an office machine. A PostgreSQL server
that refuses the login or has no such database, a settings file with a key written twice, an
IMAP folder named with the wrong separator. Each gives one line ``where: what is wrong; what
to do``, names no login role and no password, and loses nothing."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from cli_support import interrupt_replaced, one_error_line

# --- PostgreSQL: the login refused, the database missing -------------------------------------

#: A person's own account as the login role, and a password with the characters a URL escapes.
ROLE = "liisa.virtanen"
PASSWORD = "Sala%sana$2026"


@contextmanager
def _password_checked(cluster, role: str, password: str, database: str) -> Iterator[None]:
    """Make ``role`` log in with ``password`` over TCP (the session's cluster trusts everyone):
    a pg_hba.conf line of its own in front of the others; afterwards the line, what the role
    made in ``database`` and the role are taken away."""
    import psycopg

    hba = Path(cluster.datadir) / "pg_hba.conf"
    before = hba.read_text(encoding="utf-8")
    cluster.psql(f"CREATE ROLE \"{role}\" SUPERUSER LOGIN PASSWORD '{password}'")
    hba.write_text(f"host all \"{role}\" 127.0.0.1/32 scram-sha-256\n" + before,
                   encoding="utf-8")
    cluster.psql("SELECT pg_reload_conf()")
    try:
        for _ in range(50):  # the postmaster reads the file again on its signal, soon after
            try:
                psycopg.connect(host="127.0.0.1", port=cluster.port, user=role,
                                password="not it", dbname="postgres").close()
            except psycopg.OperationalError as exc:
                if "password authentication failed" in str(exc):
                    break
            time.sleep(0.1)
        yield
    finally:
        hba.write_text(before, encoding="utf-8")
        cluster.psql("SELECT pg_reload_conf()")
        with psycopg.connect(host="127.0.0.1", port=cluster.port, user="postgres",
                             dbname=database, autocommit=True) as owner:
            owner.execute(f"DROP OWNED BY \"{role}\"")
        cluster.psql(f"DROP ROLE \"{role}\"")


@pytest.mark.postgres
def test_a_wrong_database_password_says_so_and_how_to_write_one_with_a_percent_sign(
        cli, postgres_cluster, postgres_url):
    """Before, the line was the driver's: '... FATAL: password authentication failed for user
    "liisa.virtanen"; check the database URL ... and that the server is running': it named the
    person's login role (which every other database line leaves out) and sent her to check a
    server that was running. Now it says the login was refused and how a password with a % is
    written in a URL; the right password, so written, opens the database."""
    from urllib.parse import quote

    from sqlalchemy.engine import make_url

    name = make_url(postgres_url).database
    where = f"postgresql://127.0.0.1:{postgres_cluster.port}/{name}"
    with _password_checked(postgres_cluster, ROLE, PASSWORD, name):
        base = f"postgresql+psycopg://{quote(ROLE)}:{{}}@127.0.0.1:{postgres_cluster.port}/{name}"
        wrong = cli("status", env={"YHTEISTUUMIN_DB": base.format("Sala%25sana")})
        # as typed without escaping: '%sa' is no escape, '%20' is
        raw = cli("status", env={"YHTEISTUUMIN_DB": base.format("Sala%20sana$2026")})
        right = cli("status", env={"YHTEISTUUMIN_DB": base.format(quote(PASSWORD, safe=""))})

    for result in (wrong, raw):
        line = one_error_line(result)
        assert line == (f"Error: {where}: the server refused the user name or password; check "
                        "them in the database URL (--db / YHTEISTUUMIN_DB / [database] url); "
                        "a % @ : / or # in the password is written there as %25 %40 %3A %2F "
                        "%23")
        assert ROLE not in result.output and "Sala" not in result.output
    assert right.exit_code == 0, right.output


@pytest.mark.postgres
def test_a_database_missing_on_the_server_says_how_to_create_it(cli, postgres_cluster):
    """Before: 'cannot connect: ... FATAL: database "kysely2027" does not exist; check the
    database URL ... and that the server is running'. Now the line says to create it, with the
    command for this server, and that the command then sets up its tables; done so, it runs."""
    port = postgres_cluster.port
    name = f"kysely_{int(time.time() * 1000) % 10**9}"
    url = f"postgresql+psycopg://postgres@127.0.0.1:{port}/{name}"

    line = one_error_line(cli("status", env={"YHTEISTUUMIN_DB": url}))

    assert line == (f"Error: postgresql://127.0.0.1:{port}/{name}: the server has no database "
                    f"named {name}; create it as a user allowed to (createdb -h 127.0.0.1 "
                    f"-p {port} {name}, or CREATE DATABASE {name}; in psql) and run the "
                    "command again (it sets up the tables), or correct the name in --db / "
                    "YHTEISTUUMIN_DB / [database] url")
    postgres_cluster.psql(f"CREATE DATABASE {name}")
    try:
        again = cli("status", env={"YHTEISTUUMIN_DB": url})
        assert again.exit_code == 0, again.output
    finally:
        postgres_cluster.psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.mark.postgres
def test_a_login_role_the_server_does_not_know_is_not_named(cli, postgres_cluster, postgres_url):
    """Before: '... FATAL: role "liisa.virtanen" does not exist; check ... that the server is
    running'. Now: the server has no such user; the role is not in the line."""
    from sqlalchemy.engine import make_url

    name = make_url(postgres_url).database
    url = f"postgresql+psycopg://{ROLE}@127.0.0.1:{postgres_cluster.port}/{name}"

    result = cli("status", env={"YHTEISTUUMIN_DB": url})

    line = one_error_line(result)
    assert line == (f"Error: postgresql://127.0.0.1:{postgres_cluster.port}/{name}: the server "
                    "has no such user; check the user name in the database URL (--db / "
                    "YHTEISTUUMIN_DB / [database] url)")
    assert ROLE not in result.output


# --- the settings file: a key written twice ---------------------------------------------------


def test_a_key_or_section_written_twice_names_both_lines_and_what_to_do(cli, workspace):
    """A coordinator pastes a line from the provider's instructions into the file Notepad saved
    (BOM, CRLF, tabs) without deleting the old one. Before: 'yhteistuumin.toml:16: Cannot
    overwrite a value (column 13); fix the TOML syntax': Python's words, and the syntax was not
    wrong. Now the line names the key, both lines and what to do; a section written twice
    likewise."""
    path = workspace.root / "yhteistuumin.toml"
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    section = lines.index("[smtp]") if "[smtp]" in lines else None
    if section is None:
        lines += ["[smtp]", 'host = "posti.espoo.fi"']
        section = len(lines) - 2
    lines[section + 1:section + 1] = ["port\t=\t587", "security = \"starttls\"",
                                      "port = 465\t# the provider's page says 465"]
    path.write_bytes(b"\xef\xbb\xbf" + "\r\n".join(lines).encode() + b"\r\n")

    line = one_error_line(cli("status"))

    assert line == (f"Error: {path}:{section + 4}: [smtp] port is set twice (first on line "
                    f"{section + 2}); keep the one you mean and delete the other")

    del lines[section + 3]
    lines.append("[smtp]")
    path.write_bytes(b"\xef\xbb\xbf" + "\r\n".join(lines).encode() + b"\r\n")

    line = one_error_line(cli("status"))

    assert line == (f"Error: {path}:{len(lines)}: [smtp] is written twice (first on line "
                    f"{section + 1}); put its keys under one")


# --- IMAP: a folder named as another mail client shows it ------------------------------------


def test_a_folder_written_with_another_clients_separator_names_the_servers_spelling(
        cli, workspace, dovecot):
    """Thunderbird and Outlook show nested folders as 'Saapuneet/Vastaukset äö'; this server
    separates the levels with '.'. Before, fetch said only 'cannot open folder ... (select
    failed: [CANNOT] Invalid mailbox name: Name must not have '/' characters ...); check [imap]
    folder', and a processed folder so written failed at every run with 'the next fetch tries
    again'. Now both lines give the name as the server writes it; so set, the message in the
    folder with Finnish letters (modified UTF-7 on the wire) is read once and moved."""
    import json

    from fixtures_fetch import plain_question

    client = dovecot.client()
    client.create_folder("Saapuneet.Vastaukset äö")
    client.logout()
    dovecot.append(plain_question(), "Saapuneet.Vastaukset äö")

    wrong = cli("fetch", env=dovecot.env("ssl", YHTEISTUUMIN_IMAP_FOLDER="saapuneet/vastaukset äö"))
    line = one_error_line(wrong)
    assert line.startswith("Error: 127.0.0.1:")
    assert "cannot open folder 'saapuneet/vastaukset äö' (" in line
    assert line.endswith("); this server separates folders with '.'; set [imap] folder = "
                         "'Saapuneet.Vastaukset äö'")

    env = dovecot.env("ssl", YHTEISTUUMIN_IMAP_FOLDER="Saapuneet.Vastaukset äö",
                      YHTEISTUUMIN_IMAP_PROCESSED_FOLDER="Saapuneet/Käsitellyt")
    first = cli("fetch", "--format", "json", env=env)
    report = json.loads(first.stdout)
    assert (report["fetched"], report["marked"]) == (1, 0)
    [problem] = report["problems"]
    assert problem.endswith("; this server separates folders with '.'; set [imap] "
                            "processed_folder = 'Saapuneet.Käsitellyt' (fetch makes it)"), problem
    assert list(dovecot.messages("Saapuneet.Vastaukset äö")) == [1]  # nothing lost

    env["YHTEISTUUMIN_IMAP_PROCESSED_FOLDER"] = "Saapuneet.Käsitellyt"
    again = json.loads(cli("fetch", "--format", "json", env=env).stdout)
    assert (again["fetched"], again["already_seen"], again["marked"]) == (0, 1, 1)
    assert dovecot.messages("Saapuneet.Vastaukset äö") == {}
    assert len(dovecot.messages("Saapuneet.Käsitellyt")) == 1


def test_a_folder_the_server_does_not_have_lists_the_folders_it_has(cli, workspace, dovecot):
    """Before: 'cannot open folder 'Vastaukset' (select failed: Mailbox doesn't exist:
    Vastaukset ...); check [imap] folder' and the coordinator had to open a mail client to see
    what the folders are called. Now the line lists them."""
    client = dovecot.client()
    client.create_folder("Kysely 2026")
    client.create_folder("Roskaposti")
    client.logout()

    line = one_error_line(cli("fetch", env=dovecot.env("ssl", YHTEISTUUMIN_IMAP_FOLDER="Vastaukset")))

    assert line.endswith("); check [imap] folder; the server's folders: 'INBOX', 'Kysely 2026', "
                         "'Roskaposti'"), line
    # A folder the server has as written: the fault is elsewhere, and no name is suggested.
    from yhteistuumin_survey.fetch import folder_hint

    client = dovecot.client()
    try:
        assert folder_hint(client, "Kysely 2026", "processed_folder",
                           otherwise="the next fetch tries again") == "the next fetch tries again"
    finally:
        client.logout()


# --- SMTP: a certificate out of date or for another name -------------------------------------


@pytest.fixture
def invited_two(workspace):
    """Two municipalities' contacts, ready for ``send invite``."""
    from send_support import workspace_with_contacts

    workspace_with_contacts(workspace, ["091", "698"])


def _plain_smtp_env(port: int) -> dict[str, str]:
    """A send's settings for the test's own mail server (plain SMTP), past the pre-flight
    check."""
    import datetime as dt

    return {"YHTEISTUUMIN_SMTP_HOST": "127.0.0.1", "YHTEISTUUMIN_SMTP_PORT": str(port),
            "YHTEISTUUMIN_SMTP_SECURITY": "none",
            "YHTEISTUUMIN_ROUND_SENDER": "kysely@yhteistuumin.fi",
            "YHTEISTUUMIN_ROUND_REPLY_TO": "koordinaattori@yhteistuumin.fi",
            "YHTEISTUUMIN_ROUND_DEADLINE": (dt.date.today() + dt.timedelta(days=30)).isoformat()}


def _send_stopped_at_second_mark(cli, monkeypatch, at_mark: Callable[[], Any],  # type: ignore[no-untyped-def]
                                 *again_before: str) -> tuple[Any, int, Any, list[str]]:
    """Send the invitations with ``at_mark()`` (a context manager) around the second
    message's hand-over mark, then send again as it is (``again_before``: options before the
    command, another workspace); return the first run, the messages it got out, the second run
    and every recipient the server saw."""
    from send_support import mail_server

    from yhteistuumin_survey import mailer

    real_mark = mailer._Batch.mark
    marks: list[int] = []

    def mark(self, item):  # type: ignore[no-untyped-def]
        marks.append(1)
        if len(marks) != 2:
            return real_mark(self, item)
        with at_mark():
            return real_mark(self, item)

    with mail_server() as server:
        env = _plain_smtp_env(server.port)
        monkeypatch.setattr(mailer._Batch, "mark", mark)
        first = cli("send", "invite", "--yes", env=env)
        monkeypatch.setattr(mailer._Batch, "mark", real_mark)
        went = len(server.messages)
        again = cli(*again_before, "send", "invite", "--yes", env=env)
        return first, went, again, list(server.recipients)


def _tls_send(cli, port: int, ca_file: Path):  # type: ignore[no-untyped-def]
    return cli("send", "invite", "--yes", env={
        **_plain_smtp_env(port), "YHTEISTUUMIN_SMTP_SECURITY": "starttls",
        "YHTEISTUUMIN_SMTP_CA_FILE": str(ca_file), "YHTEISTUUMIN_SMTP_TIMEOUT": "20"})


@pytest.mark.parametrize("fault", ["expired", "other name"])
def test_a_certificate_expired_or_for_another_name_says_so_not_to_give_a_ca_file(
        cli, workspace, invited_two, tmp_path, fault):
    """The provider's certificate ran out over the weekend; or the coordinator typed the
    server's address where its name belongs. Before, both said 'the server's certificate is
    not trusted (certificate has expired | Hostname mismatch ...); check [smtp] host, or give
    the CA in [smtp] ca_file', and the CA was already given: the advice could not help. Now
    the line says what is wrong with it and what can help; nothing is sent, nothing is
    uncertain, the rerun sends."""
    import re
    import sqlite3

    from send_support import mail_server, make_certificate

    cert = make_certificate(tmp_path / "tls", expired=fault == "expired",
                            name_only="" if fault == "expired" else "smtp.kunta.example.fi")
    with mail_server(certificate=cert) as server:
        result = _tls_send(cli, server.port, cert.cert)

    assert result.exit_code == 1 and "Traceback" not in result.output, result.output
    where = f"127.0.0.1:{server.port}"
    if fault == "expired":
        assert re.search(
            f"{re.escape(where)}: the server's certificate has expired; ask the server's "
            r"administrator to renew it, and check this machine's date and time \(it reads "
            r"\d{4}-\d\d-\d\d \d\d:\d\d UTC\)", result.stdout), result.output
    else:
        assert (f"{where}: the server's certificate is for another name (IP address "
                "mismatch, certificate is not valid for '127.0.0.1'.); set [smtp] host to the name your "
                "provider gives for the server") in result.stdout, result.output
    assert "ca_file" not in result.output
    assert server.messages == []
    database = sqlite3.connect(workspace.outputs / "yhteistuumin.sqlite")
    try:
        states = {row[0] for row in database.execute("SELECT state FROM outboundmessage")}
    finally:
        database.close()
    assert states <= {"queued"}


# --- the workspace renamed while a command runs ----------------------------------------------


def test_a_workspace_renamed_during_an_ingest_is_not_made_again_empty_in_the_old_place(
        cli, workspace, tmp_path, monkeypatch):
    """The coordinator renames 'kysely' to 'kysely-2026' while an ingest runs. Before, the run
    made the old folder again (mkdir -p) and put the kept copies of the files it read after
    that, and its report, into that new empty 'kysely', exit 0: the moved workspace's database
    recorded files its outputs/received did not have. Now the run stops at the first file it
    would keep there, says so and what to do, and writes nothing at the old place; the rerun
    in the new place reads the rest."""
    import shutil

    from ingest_support import DATA

    from yhteistuumin_survey.ingest.store import Store

    inbox = tmp_path / "saapuneet"
    inbox.mkdir()
    names = ["googleforms.csv", "msforms.xlsx", "webropol.xlsx", "limesurvey-texts.csv"]
    for name in names:
        shutil.copy(DATA / name, inbox / name)
    root = workspace.root
    moved = root.with_name(root.name + "-2026")
    real_receive = Store.receive
    calls = []

    def receive_then_rename(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        if len(calls) == 3:  # two files read: the folder is renamed under the run
            root.rename(moved)
        return real_receive(self, *args, **kwargs)

    monkeypatch.setattr(Store, "receive", receive_then_rename)
    result = cli("ingest", str(inbox))

    assert result.exit_code == 1 and "Traceback" not in result.output, result.output
    assert (f"{root}: the workspace folder was moved, renamed or deleted while the command ran; "
            "nothing more is written there; run the command again in the folder's new place "
            "(2 files read, 2 not; the report of this run is not written)") in result.output
    assert not root.exists()  # not made again, empty, in the old place
    monkeypatch.setattr(Store, "receive", real_receive)
    again = cli("--workspace", str(moved), "ingest", str(inbox))
    assert again.exit_code == 0, again.output
    kept = list((moved / "outputs" / "received").rglob("*"))
    assert len([path for path in kept if path.is_file()]) == len(names)  # nothing lost


def test_a_workspace_renamed_during_a_send_stops_it_and_the_rerun_mails_nobody_twice(
        cli, workspace, invited_two, tmp_path, monkeypatch):
    """Before, a send whose workspace was renamed half-way made the old folder again for the
    outbox copies and went on: the copies of what it sent, the round's proof of each message,
    were in a new empty folder beside the moved workspace. Now it stops before the next
    message goes out, says why, and the rerun in the new place sends the rest, each once."""
    import sqlite3

    root = workspace.root
    moved = root.with_name(root.name + "-2026")

    @contextmanager
    def renamed() -> Iterator[None]:  # one message out: the folder is renamed under the run
        root.rename(moved)
        yield

    first, sent_first, again, recipients = _send_stopped_at_second_mark(
        cli, monkeypatch, renamed, "--workspace", str(moved))
    assert first.exit_code == 1 and "Traceback" not in first.output, first.output
    assert (f"{root}: the workspace folder was moved, renamed or deleted while the command ran; "
            "nothing more is written there; run the command again in the folder's new place "
            "(the copy of each message is kept before it goes out; this one and the rest wait "
            "in the queue)") in first.output, first.output
    assert sent_first == 1
    assert not root.exists()
    assert again.exit_code == 0, again.output
    assert len(recipients) == len(set(recipients)) >= 3  # each address mailed once
    database = sqlite3.connect(moved / "outputs" / "yhteistuumin.sqlite")
    try:
        states = {row[0] for row in database.execute("SELECT state FROM outboundmessage")}
    finally:
        database.close()
    assert states == {"sent"}
    copies = list((moved / "outputs" / "outbox").rglob("*.eml"))
    assert len(copies) == len(recipients)


def test_a_workspace_renamed_as_a_command_starts_gets_no_new_database_in_the_old_place(
        cli, workspace, monkeypatch):
    """Renamed in the second between reading the settings and opening the database, the
    command made the old folder again with a new, empty database in it and worked on that,
    exit 0 (measured: an ingest stored 23 practices there, none in the moved workspace). Now
    it says the workspace was moved and writes nothing."""
    from yhteistuumin_survey.project import Project

    root = workspace.root
    moved = root.with_name(root.name + "-2026")
    real_settings = Project.load_settings

    def settings_then_rename(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        settings = real_settings(self, *args, **kwargs)
        if root.exists():
            root.rename(moved)
        return settings

    monkeypatch.setattr(Project, "load_settings", settings_then_rename)

    line = one_error_line(cli("status"))

    assert line == (f"Error: {root}: the workspace folder was moved, renamed or deleted while "
                    "the command ran; nothing more is written there; run the command again in "
                    "the folder's new place")
    assert not root.exists()


def test_a_workspace_renamed_during_a_fetch_says_so_and_the_rerun_reads_every_message(
        cli, workspace, dovecot, monkeypatch):
    """Before: 'Error: .../outputs/mailbox/127.0.0.1/INBOX/1796622243-2.eml.part: no such file
    or folder; check the path', a path the coordinator had not typed. Now the line says the
    workspace was moved; nothing is made at the old place and the rerun in the new place
    handles every message once."""
    import json

    from fixtures_fetch import plain_question

    from yhteistuumin_survey import fetch

    for n in (1, 2, 3):
        dovecot.append(plain_question().replace(b"question-0001", b"question-000%d" % n))
    root = workspace.root
    moved = root.with_name(root.name + "-2026")
    real_store = fetch._store
    stored = []

    def store_then_rename(*args):  # type: ignore[no-untyped-def]
        stored.append(1)
        if len(stored) == 2:
            root.rename(moved)
        return real_store(*args)

    monkeypatch.setattr(fetch, "_store", store_then_rename)
    line = one_error_line(cli("fetch", env=dovecot.env("ssl")))
    monkeypatch.setattr(fetch, "_store", real_store)

    assert line == (f"Error: {root}: the workspace folder was moved, renamed or deleted while "
                    "the command ran; nothing more is written there; run the command again in "
                    "the folder's new place")
    assert not root.exists()
    again = cli("--workspace", str(moved), "fetch", "--format", "json", env=dovecot.env("ssl"))
    report = json.loads(again.stdout)
    # the one handled before the rename is remembered, not handled twice; all three marked
    assert (again.exit_code, report["fetched"], report["already_seen"], report["marked"]) == (
        0, 2, 1, 3)


# --- Ctrl-C in the middle of a message: the session ends at once, no QUIT waited on ----------


def test_a_send_interrupted_while_the_server_reads_a_message_ends_at_once(tmp_path) -> None:
    """Ctrl-C (or SIGTERM) landing while the server was reading a message's DATA: the
    session said QUIT on its way out, which the server took as more of the message, and the
    command waited [smtp] timeout (a minute) for an answer before it could say it was
    interrupted (seen once in the suite as a send that did not stop within 60 s). Now the
    connection is dropped at once; the server never receives the unfinished message."""
    from send_support import mail_server

    from yhteistuumin_survey.smtp_auth import SmtpOptions, SmtpSession

    with mail_server() as server:
        started = time.monotonic()
        with pytest.raises(KeyboardInterrupt):
            with SmtpSession(SmtpOptions("127.0.0.1", server.port, "none", timeout=20)) as transport:
                transport.connect()
                smtp = transport._smtp
                assert smtp is not None
                assert smtp.mail("kysely@example.fi")[0] == 250
                assert smtp.rcpt("kirjaamo@kunta.example.fi")[0] == 250
                smtp.putcmd("data")
                assert smtp.getreply()[0] == 354
                smtp.send(b"Subject: Kutsu\r\n\r\nHyv\xc3\xa4 vastaanottaja, t\xc3\xa4m\xc3\xa4 viesti ")
                raise KeyboardInterrupt  # the signal, half-way through the message
        assert time.monotonic() - started < 10
        assert not transport.connected
        time.sleep(0.2)
        assert server.count() == 0  # the unfinished message was never taken as one


# --- an interrupt inside SQLAlchemy's end of a commit stays an interrupt -----------------------


def _four_answer_files(tmp_path: Path) -> Path:
    """A folder of four LimeSurvey exports of one answer each, each a practice of its own."""
    from ingest_support import DATA

    inbox = tmp_path / "saapuneet"
    inbox.mkdir()
    text = (DATA / "limesurvey-texts.csv").read_text(encoding="utf-8-sig")
    for n in range(4):
        (inbox / f"vastaus{n}.csv").write_text(
            text.replace('"5";"2024-03-07 12:00:00"', f'"{100 + n}";"2024-03-07 12:00:00"')
                .replace("Kulturv", f"Kulturv{n} ", 1), encoding="utf-8-sig")
    return inbox


def test_an_ingest_interrupted_as_a_file_is_committed_ends_in_one_line(
        cli, workspace, tmp_path, monkeypatch) -> None:
    """Ctrl-C or SIGTERM landing in SQLAlchemy's own end of a commit (the database has
    committed, the session is marking its transaction done): the session stayed 'committed',
    and the next use raised "This session is in 'committed' state; no further SQL can be
    emitted" (InvalidRequestError), which replaced the interrupt: exit 1 and a traceback
    (seen once in the suite under load as an ingest stopped by SIGTERM). Now one
    'Interrupted' line and exit 130; the rerun reads what the first run did not store."""
    from sqlalchemy import event
    from sqlmodel import Session

    inbox = _four_answer_files(tmp_path)
    from yhteistuumin_survey import ingest as ingest_module

    files, stopped_once = [], []
    real = ingest_module._Run.ingest_file

    def counted(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        files.append(1)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(ingest_module._Run, "ingest_file", counted)

    def interrupt(*_args: object) -> None:
        if len(files) >= 3 and not stopped_once:  # as the third file's commit ends
            stopped_once.append(1)
            raise KeyboardInterrupt

    event.listen(Session, "after_commit", interrupt)
    try:
        stopped = cli("ingest", str(inbox))
    finally:
        event.remove(Session, "after_commit", interrupt)
    assert stopped.exit_code == 130, stopped.output
    lines = [line for line in stopped.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Interrupted: "), stopped.stderr
    again = cli("ingest", str(inbox))
    assert again.exit_code == 0, again.output
    assert "4 new practices" in again.stdout or "already ingested" in again.stdout, again.stdout


# --- SQLAlchemy's error raised in place of an interrupt ----------------------------------------


@contextmanager
def _replaced_at(commit: int) -> Iterator[list[int]]:
    """Raise SQLAlchemy's error in place of an interrupt as the ``commit``-th commit of any
    session from now on begins (once)."""
    from sqlalchemy import event
    from sqlmodel import Session

    commits: list[int] = []

    def before_commit(_session: object) -> None:
        commits.append(1)
        if len(commits) == commit:
            interrupt_replaced()

    event.listen(Session, "before_commit", before_commit)
    try:
        yield commits
    finally:
        event.remove(Session, "before_commit", before_commit)


def test_a_send_whose_interrupt_sqlalchemy_replaced_says_how_many_went(
        cli, workspace, invited_two, monkeypatch) -> None:
    """Seen in CI once: a send stopped by Ctrl-C said only "stopped part-way; what was done
    before it is kept", not how many invitations went and that a rerun mails nobody twice,
    because SQLAlchemy's error had replaced the interrupt in the record of a hand-over. Now
    the send says it as for the interrupt itself, and the rerun sends the rest, each once."""
    # in the record that the second message is being handed over
    stopped, went, again, recipients = _send_stopped_at_second_mark(
        cli, monkeypatch, lambda: _replaced_at(1))
    assert stopped.exit_code == 130, stopped.output
    assert went == 1
    assert stopped.stderr.splitlines()[-1] == (
        "Interrupted: the invitations stopped part-way: 1 message sent before it, each "
        "recorded; run the same command again to send the rest (nobody is mailed twice); a "
        "message cut off while being handed over is listed as uncertain, not sent again")
    assert "Traceback" not in stopped.output
    assert again.exit_code == 0, again.output
    assert len(recipients) == len(set(recipients)) >= 3  # the rest sent, each address once


def test_an_ingest_whose_interrupt_sqlalchemy_replaced_ends_as_interrupted(
        cli, workspace, tmp_path) -> None:
    """Before, the ingest took SQLAlchemy's error for a fault of the file being read
    ("vastaus2.csv: unexpected InvalidRequestError while reading ...; please report it") and
    went on with the next file: the Ctrl-C was lost, exit 1. Now it is the interrupt: the
    files before it kept, one line, exit 130; the rerun reads the rest."""
    inbox = _four_answer_files(tmp_path)
    with _replaced_at(3) as commits:
        stopped = cli("ingest", str(inbox))
    assert len(commits) >= 3
    assert stopped.exit_code == 130, stopped.output
    lines = [line for line in stopped.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith(
        "Interrupted: the files read before it are stored"), stopped.stderr
    again = cli("ingest", str(inbox))
    assert again.exit_code == 0, again.output
    assert "already ingested" in again.stdout, again.stdout  # the files before it: kept



@contextmanager
def _interrupted_in_the_guard_of(method: str) -> Iterator[None]:
    """Raise KeyboardInterrupt where SQLAlchemy's guard of a change of a session's transaction
    has marked ``method`` as in progress and not yet entered the ``try`` whose ``finally``
    takes the mark away, as a signal can land between any two lines: found so in a real send
    (an interrupt raised line by line at 362 points of one: 1 of them). The session then refuses to roll
    back or close: "Method 'rollback()' can't be called here; method 'commit()' is already in
    progress" (IllegalStateChangeError)."""
    import sys

    from sqlalchemy.orm import state_changes

    source = Path(state_changes.__file__).read_text(encoding="utf-8").splitlines()
    marked = next(n for n, line in enumerate(source, 1)
                  if line.strip() == "self._next_state = _StateChangeStates.CHANGE_IN_PROGRESS")
    assert source[marked].strip() == "try:"  # the line after it
    where, fired = state_changes.__file__, []

    def in_the_guard(frame, event, _arg):  # type: ignore[no-untyped-def]
        if event == "line" and frame.f_lineno == marked + 1 and not fired and \
                getattr(frame.f_locals.get("fn"), "__name__", "") == method:
            fired.append(1)
            raise KeyboardInterrupt  # marked, not yet begun
        return in_the_guard

    def calls(frame, _event, _arg):  # type: ignore[no-untyped-def]
        return in_the_guard if frame.f_code.co_filename == where else None

    previous = sys.gettrace()  # a debugger's or a coverage tool's, given back after
    sys.settrace(calls)
    try:
        yield
    finally:
        sys.settrace(previous)
    assert fired, "the guard's line was not reached: SQLAlchemy's state_changes changed"


def test_an_interrupt_in_sqlalchemy_s_guard_of_a_commit_stays_the_run_s_own_interrupt(
        workspace) -> None:
    """Seen in the interrupt sweep of a send: the session left mid-commit refused the rollback
    and the close on the way out (session_scope), and that error replaced the send's own line
    ("the invitations stopped part-way: 4 messages sent before it ...") with the generic
    "stopped part-way". Now the run's interrupt goes on with its line; the next session on the
    database writes (the session left mid-way holds no lock once collected)."""
    from sqlalchemy import text

    from yhteistuumin_survey.db.engine import open_database, session_scope
    from yhteistuumin_survey.errors import Interrupted

    engine = open_database(f"sqlite:///{workspace.outputs / 'yhteistuumin.sqlite'}")
    with pytest.raises(Interrupted, match="^3 messages sent before it$"):
        with session_scope(engine) as session:
            session.execute(text("CREATE TABLE IF NOT EXISTS halfway (n INTEGER)"))
            session.execute(text("INSERT INTO halfway VALUES (1)"))
            try:
                with _interrupted_in_the_guard_of("commit"):
                    session.commit()
            except KeyboardInterrupt:
                raise Interrupted("3 messages sent before it") from None
    import gc

    del session  # its connection is given back to the pool by the collector
    gc.collect()
    with session_scope(engine) as session:
        session.execute(text("CREATE TABLE IF NOT EXISTS halfway (n INTEGER)"))
        session.execute(text("INSERT INTO halfway VALUES (2)"))
    with session_scope(engine) as session:  # the interrupted commit was never made
        assert session.execute(text("SELECT n FROM halfway")).scalars().all() == [2]
    engine.dispose()
