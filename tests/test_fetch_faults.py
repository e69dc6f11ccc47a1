"""``fetch`` when things go wrong: bad login, no server, untrusted TLS, a cut, a kill, two runs.

Every fault is provoked for real: a wrong password against Dovecot, a closed port, Dovecot's
self-signed certificate without its CA, a proxy that cuts the connection or holds a FETCH
while the process is killed, and two processes sharing one PostgreSQL database.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from typing import Any

import pytest
from fixtures_fetch import CuttingProxy, data_file, filled_workbook, outlook_reply, plain_question
from sqlmodel import Session, select

KEYWORD = "$Yhteistuumin"


def fill(dovecot: Any, workspace: Any) -> list[int]:
    """Six messages: bounce, reply with a workbook, auto-reply, question, bounce, auto-reply."""
    workbook = filled_workbook(workspace, "049")
    return [
        dovecot.append(data_file("bounces", "postfix-hard-dsn.eml")),
        dovecot.append(outlook_reply(workbook, name="vastaus.xlsx",
                                     sender="eija.koski@espoo.example.fi",
                                     sender_name="Eija Koski",
                                     message_id="<kill-1@eurprd.outlook.com>")),
        dovecot.append(data_file("bounces", "autoreply-fi.eml")),
        dovecot.append(plain_question()),
        dovecot.append(data_file("bounces", "exchange-mailbox-full.eml")),
        dovecot.append(data_file("bounces", "autoreply-sv.eml")),
    ]


def rows(url: str) -> list[Any]:
    from yhteistuumin_survey.db.engine import make_engine
    from yhteistuumin_survey.db.models import FetchedMessage

    engine = make_engine(url)
    with Session(engine) as session:
        found = list(session.exec(select(FetchedMessage).order_by(FetchedMessage.uid)))
    engine.dispose()
    return found


def count(url: str, table: Any) -> int:
    from yhteistuumin_survey.db.engine import make_engine

    engine = make_engine(url)
    with Session(engine) as session:
        found = len(session.exec(select(table)).all())
    engine.dispose()
    return found


def sqlite_url(workspace: Any) -> str:
    return f"sqlite:///{workspace.outputs / 'yhteistuumin.sqlite'}"


def one_error_line(result: Any, dovecot: Any) -> str:
    assert result.exit_code == 1
    assert result.exception is None
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert dovecot.password not in result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.mark.parametrize("wrong", ["wrong-password-1", "väärä salasana"])  # LOGIN, AUTH PLAIN
def test_wrong_password_is_one_line_naming_the_host_without_the_password(cli, dovecot, wrong):
    env = dovecot.env("starttls", YHTEISTUUMIN_IMAP_PASSWORD=wrong)
    result = cli("fetch", env=env)
    line = one_error_line(result, dovecot)
    assert line.startswith(f"Error: 127.0.0.1:{dovecot.port}: login as {dovecot.user} refused (")
    assert line.endswith("check the user and the password")
    assert wrong not in result.output


def test_unreachable_server_is_one_line_naming_the_host(cli, dovecot):
    from conftest import free_port

    port = free_port()
    env = dovecot.env("ssl", YHTEISTUUMIN_IMAP_PORT=str(port))
    line = one_error_line(cli("fetch", env=env), dovecot)
    assert line.startswith(f"Error: 127.0.0.1:{port}: cannot connect (")


def test_a_certificate_not_trusted_is_refused(cli, dovecot):
    env = dovecot.env("ssl")
    env.pop("YHTEISTUUMIN_IMAP_CA_FILE")
    line = one_error_line(cli("fetch", env=env), dovecot)
    assert line.startswith(f"Error: 127.0.0.1:{dovecot.ssl_port}: the server's certificate is "
                           "not trusted (")
    assert line.endswith("give the CA in [imap] ca_file")


def test_a_password_never_goes_unencrypted_to_another_host(cli, dovecot):
    env = dovecot.env("none", YHTEISTUUMIN_IMAP_HOST="imap.example.fi")
    line = one_error_line(cli("fetch", env=env), dovecot)
    assert line == (f"Error: imap.example.fi:{dovecot.port}: refusing to log in as "
                    f"{dovecot.user} over an unencrypted connection; set [imap] security to "
                    "starttls or ssl")


def test_missing_password_says_where_to_put_it(cli, dovecot):
    env = dovecot.env("ssl")
    env.pop("YHTEISTUUMIN_IMAP_PASSWORD")
    result = cli("fetch", env=env)
    line = one_error_line(result, dovecot)
    assert "YHTEISTUUMIN_IMAP_PASSWORD" in line and "keyring" in line


def test_a_dropped_connection_loses_nothing_and_the_next_run_reads_the_rest(
        cli, workspace, dovecot):
    from yhteistuumin_survey.db.models import Bounce

    uids = fill(dovecot, workspace)
    with CuttingProxy(dovecot.port, cut_at=4) as proxy:
        result = cli("fetch", "--format", "json",
                     env=dovecot.env("none", YHTEISTUUMIN_IMAP_PORT=str(proxy.port)))
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    first = json.loads(result.stdout)
    assert first["fetched"] == 3
    assert first["problems"][0].startswith(f"127.0.0.1:{proxy.port}: the connection was lost (")
    assert "3 messages still to read" in first["problems"][0]
    assert first["practices_new"] == 1  # what was read before the cut is not lost
    # Only finished messages are remembered; the one being fetched was given back.
    assert [(r.uid, r.outcome) for r in rows(sqlite_url(workspace))] == [
        (uids[0], "hard-bounce"), (uids[1], "ingested"), (uids[2], "auto-reply")]

    result = cli("fetch", "--format", "json", env=dovecot.env("starttls"))
    assert result.exit_code == 0, result.output
    second = json.loads(result.stdout)
    assert (second["fetched"], second["already_seen"], second["practices_new"]) == (3, 3, 0)
    assert sorted(item["uid"] for item in second["items"]) == uids[3:]
    assert [r.outcome for r in rows(sqlite_url(workspace))] == [
        "hard-bounce", "ingested", "auto-reply", "to-read", "soft-bounce", "auto-reply"]
    assert count(sqlite_url(workspace), Bounce) == 4
    # The messages of the cut run were marked too, by the next run.
    assert all(m["flags"] == {KEYWORD} for m in dovecot.messages().values())
    assert second["marked"] == 6


def fetch_process(workspace: Any, env: dict[str, str], *args: str) -> subprocess.Popen[bytes]:
    full = {k: v for k, v in os.environ.items() if not k.startswith("YHTEISTUUMIN_")}
    full.update(env)
    return subprocess.Popen(
        [sys.executable, "-c", "from yhteistuumin_survey.cli import main; main()",
         "--workspace", str(workspace.root), *args, "fetch", "--format", "json"],
        env=full, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


@pytest.mark.slow
def test_fetch_killed_in_the_middle_then_rerun_handles_the_rest_exactly_once(
        cli, workspace, dovecot):
    from yhteistuumin_survey.db.models import Bounce, Practice

    uids = fill(dovecot, workspace)
    with CuttingProxy(dovecot.port, hold_at=4) as proxy:
        process = fetch_process(workspace, dovecot.env(
            "none", YHTEISTUUMIN_IMAP_PORT=str(proxy.port)))
        if not proxy.held.wait(timeout=120):
            process.kill()
            raise AssertionError(process.communicate()[1].decode()[-2000:])
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    url = sqlite_url(workspace)
    # Killed while fetching the 4th: two finished, the reply waits for its ingest, the rest
    # is claimed (claims are taken a few at a time) by a process that is gone.
    before = {r.uid: r.outcome for r in rows(url)}
    assert before == {uids[0]: "hard-bounce", uids[1]: "claimed", uids[2]: "auto-reply",
                      uids[3]: "claimed", uids[4]: "claimed", uids[5]: "claimed"}
    assert all(m["flags"] == set() for m in dovecot.messages().values())

    result = cli("fetch", "--format", "json", env=dovecot.env("starttls"))
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["fetched"], report["already_seen"]) == (4, 2)
    assert sorted(item["uid"] for item in report["items"]) == [uids[1], *uids[3:]]
    assert report["practices_new"] == 1
    assert [r.outcome for r in rows(url)] == [
        "hard-bounce", "ingested", "auto-reply", "to-read", "soft-bounce", "auto-reply"]
    assert count(url, Bounce) == 4 and count(url, Practice) == 1
    assert all(m["flags"] == {KEYWORD} for m in dovecot.messages().values())


@pytest.mark.slow
@pytest.mark.postgres
def test_two_coordinators_on_one_postgres_database_handle_each_message_once(
        cli, workspace, dovecot, postgres_url):
    from yhteistuumin_survey.db.models import Bounce

    for _round in range(4):  # 24 messages
        for name in ("postfix-hard-dsn.eml", "autoreply-fi.eml", "autoreply-sv.eml",
                     "exchange-mailbox-full.eml", "ordinary-reply.eml", "delayed-dsn.eml"):
            dovecot.append(data_file("bounces", name).replace(
                b"Message-I", f"X-Round: {_round}\r\nMessage-I".encode(), 1))
    # The register is loaded first: two commands starting on an empty database race there.
    prepared = cli("--db", postgres_url, "practices", "list")
    assert prepared.exit_code == 0, prepared.output
    env = dovecot.env("starttls")
    processes = [fetch_process(workspace, env, "--db", postgres_url) for _ in range(2)]
    reports = []
    for process in processes:
        out, err = process.communicate(timeout=300)
        assert process.returncode == 0, err.decode()[-2000:]
        reports.append(json.loads(out))
    assert sum(r["fetched"] for r in reports) == 24
    uids = [item["uid"] for r in reports for item in r["items"]]
    assert sorted(uids) == sorted(set(uids))
    assert len(rows(postgres_url)) == 24
    assert all(r.outcome != "claimed" for r in rows(postgres_url))
    # The five bounces and auto-replies (the ordinary reply is to read), each recorded once.
    assert count(postgres_url, Bounce) == 5
    assert sum(r["to_read"] for r in reports) == 4
    assert all(m["flags"] == {KEYWORD} for m in dovecot.messages().values())
