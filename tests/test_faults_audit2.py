"""The second fault audit: what a real round meets (a settings file that is broken or cannot be
read, a workspace folder made read-only, …) gives one line ``where: what is wrong; what to do``,
exit 1, no traceback, and loses nothing."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from cli_support import one_error_line
from fixtures_audit2_faults import KILLED_AT_STATEMENT
from ingest_support import DATA


def settings_file(workspace) -> Path:
    return workspace.root / "yhteistuumin.toml"


# --- settings ----------------------------------------------------------------------------------


def test_a_settings_file_with_a_syntax_error_names_its_file_and_line(cli, workspace):
    path = settings_file(workspace)
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[3:3] = ["[smtp]", 'host = "posti.espoo.fi'] if "[smtp]" not in lines[:3] else []
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    line = one_error_line(cli("status"))
    assert line.startswith(f"Error: {path}:5: ")
    assert line.endswith("; fix the TOML syntax")


def test_an_unknown_and_a_bad_setting_each_name_their_line(cli, workspace):
    path = settings_file(workspace)
    text = path.read_text(encoding="utf-8").replace(
        "[smtp]\n", '[smtp]\ntimout = 30\nport = "kaksi"\n', 1)
    path.write_text(text, encoding="utf-8")
    number = text.splitlines().index("timout = 30") + 1
    result = cli("status")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert (f"{path}:{number}: [smtp] timout: unknown key; did you mean [smtp] timeout? "
            "known: ") in result.stderr
    assert f"{path}:{number + 1}: [smtp] port: expected a whole number (got 'kaksi')" \
        in result.stderr


def test_a_settings_file_that_cannot_be_read_is_one_line(cli, workspace, monkeypatch):
    # As root (the test machine) a mode of 000 still reads: refuse the read as the system
    # refuses it to the coordinator's account.
    path = settings_file(workspace)
    real = Path.read_text

    def read_text(self, *args, **kwargs):
        if self == path:
            raise PermissionError(13, "Permission denied", str(self))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Path, "read_text", read_text)
    line = one_error_line(cli("status"))
    assert line == f"Error: {path}: permission denied; check who owns it and its permissions"


# --- the workspace on a read-only folder -------------------------------------------------------


@pytest.mark.parametrize("command", [["publish"], ["review", "export"], ["ingest", "ANSWERS"]])
def test_a_read_only_outputs_folder_says_the_database_cannot_be_opened(
        cli, workspace, tmp_path, make_immutable, command):
    answers = tmp_path / "vastaukset.csv"
    shutil.copyfile(DATA / "googleforms.csv", answers)
    database = workspace.outputs / "yhteistuumin.sqlite"
    with sqlite3.connect(database) as db:  # as a finished run leaves it: no journal beside it
        db.execute("PRAGMA journal_mode=DELETE")
    db.close()
    assert not database.with_name(database.name + "-wal").exists()
    before = database.read_bytes()
    make_immutable(database)
    make_immutable(workspace.outputs)  # nor can SQLite make its journal beside it
    line = one_error_line(cli(*[str(answers) if a == "ANSWERS" else a for a in command]))
    # a file on this machine: no "check ... that the server is running"
    assert line.startswith(f"Error: {database}: the database ")
    assert "server" not in line
    assert database.read_bytes() == before


# --- kill -9 in the middle of a command, then run it again ----------------------------------------


def killed_in(workspace, target: str, *args: str) -> int:
    """Run ``yhteistuumin ARGS`` in a process that SIGKILLs itself when ``target`` (a function
    ``module:name`` of the package) is called: no cleanup runs, as with ``kill -9``."""
    import os
    import subprocess
    import sys

    module, name = target.split(":")
    code = (
        "import os, signal, sys, importlib\n"
        f"m = importlib.import_module({module!r})\n"
        f"setattr(m, {name!r}, lambda *a, **k: os.kill(os.getpid(), signal.SIGKILL))\n"
        "from yhteistuumin_survey.cli import main\n"
        f"sys.argv = ['yhteistuumin', *{list(args)!r}]\n"
        "main()\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("YHTEISTUUMIN_")}
    done = subprocess.run([sys.executable, "-c", code], cwd=workspace.root, env=env,
                          capture_output=True, check=False, timeout=300)
    return done.returncode


@pytest.fixture
def approved(workspace):
    """The workspace's database with two approved practices and a rejected one."""
    from publish_support import two_approved_one_rejected

    two_approved_one_rejected(workspace)


def test_a_first_publish_killed_half_way_is_finished_by_the_next(cli, workspace, approved,
                                                                 tmp_path):
    from publish_support import tree_digest

    site = workspace.outputs / "site"
    # killed after the card pages, before the search index, the list pages and the manifest
    signal_kill = -9
    assert killed_in(workspace, "yhteistuumin_survey.publish:build_search_index",
                     "publish") == signal_kill
    assert any(site.rglob("index.html"))  # half a site on disk

    again = cli("publish")
    assert again.exit_code == 0, again.output
    clean = cli("publish", "--out", str(tmp_path / "clean"), "--cms", str(tmp_path / "cms"))
    assert clean.exit_code == 0, clean.output
    resumed, whole = tree_digest(site), tree_digest(tmp_path / "clean")
    assert resumed.keys() == whole.keys()  # nothing missing, no .tmp left over
    # byte for byte, but Pagefind's entry file, whose keys come in any order
    assert {k: v for k, v in resumed.items() if k != "pagefind/pagefind-entry.json"} == \
        {k: v for k, v in whole.items() if k != "pagefind/pagefind-entry.json"}


# --- the disk fills up while the copy of a sent message is written -------------------------------

CODES = ["091", "599", "698", "005", "009", "010", "016", "018"]  # 11 addresses


@pytest.mark.parametrize("pipelining", [True, False], ids=["pipelined", "one-at-a-time"])
def test_a_full_disk_for_the_outbox_copy_stops_the_batch_and_leaves_nothing_uncertain(
        sqlite_engine, settings, small_disk, monkeypatch, pipelining):
    from collections import Counter

    from fixtures_audit2_faults import fill
    from send_support import composer, load_example_contacts, mail_server
    from sqlmodel import Session, select

    from yhteistuumin_survey import mailer
    from yhteistuumin_survey.db.models import OutboundMessage
    from yhteistuumin_survey.mailer import plan_round, send_round
    from yhteistuumin_survey.smtp_auth import SmtpOptions, SmtpSession

    monkeypatch.setattr(mailer, "CLAIM_BATCH", 4)  # the disk fills in the second claim
    copies = small_disk / "sent"
    filled: list[Path] = []

    def send(session, server, compose):
        plan = plan_round(session=session, settings=settings, kind="invite", only=CODES)
        with SmtpSession(SmtpOptions("127.0.0.1", server.port, "none")) as transport:
            return send_round(plan, session=session, settings=settings, compose=compose,
                              transport=transport, sleep=lambda s: None, copies=copies)

    with Session(sqlite_engine, expire_on_commit=False) as session, \
            mail_server(pipelining=pipelining) as server:
        load_example_contacts(session, CODES)
        base = composer(session, settings)

        def filling(planned):  # the disk is full from the 6th message composed on
            if len(filled) == 0 and planned.address == order[5]:
                filled.append(fill(small_disk))
            return base(planned)

        order = [m.address for m in plan_round(session=session, settings=settings,
                                               kind="invite", only=CODES).to_send]
        first = send(session, server, filling)
        session.expire_all()
        states = Counter(row.state for row in session.exec(select(OutboundMessage)))
        sent = first.report.counts.get("sent", 0)
        assert 0 < sent < 11, first.report.counts
        assert states == {"sent": sent, "queued": 11 - sent}  # none uncertain, none left sending
        assert first.stopped and "the disk is full" in first.stopped
        assert str(copies) in first.stopped
        assert sorted(server.recipients) == sorted(
            row.address for row in session.exec(select(OutboundMessage))
            if row.state == "sent")
        kept = sorted(p.name for p in copies.iterdir())
        assert len(kept) == sent  # one whole copy per message sent, no half one

        filled[0].unlink()  # space again: the next run sends the rest, each once
        second = send(session, server, base)
    assert second.report.counts == {"sent": 11 - sent, "already-sent": sent}
    assert Counter(server.recipients) == Counter(dict.fromkeys(order, 1))
    assert len(list(copies.iterdir())) == 11


# --- the disk fills up while the site's search index is written ---------------------------------


def test_a_search_index_cut_short_by_a_full_disk_is_refused_and_built_again(
        cli, workspace, approved, small_disk, monkeypatch):
    from fixtures_audit2_faults import fill

    from yhteistuumin_survey import publish

    site, cms = small_disk / "site", small_disk / "cms"
    real = publish.build_search_index
    filled: list[Path] = []

    def full_then_index(*args, **kwargs):  # the pages are written; Pagefind finds no room
        filled.append(fill(small_disk))
        return real(*args, **kwargs)

    monkeypatch.setattr(publish, "build_search_index", full_then_index)
    line = one_error_line(cli("publish", "--out", str(site), "--cms", str(cms)))
    # Pagefind itself exits 0 with its files empty: the site would search nothing, and the
    # next publish would call that index unchanged
    assert line.startswith(f"Error: {site / 'pagefind'}: the search index came out incomplete")
    # audit5: the card pages are taken back too (test_faults_audit5)
    assert line.endswith("is the disk full?); free some space and publish again (nothing of "
                         "this publish was put in place: the site is as it was)")
    assert not (site / "pagefind").exists()  # nothing half made is put in place
    assert not list(site.glob("*/index.html"))

    monkeypatch.setattr(publish, "build_search_index", real)
    filled[0].unlink()
    again = cli("publish", "--out", str(site), "--cms", str(cms), "--format", "json")
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout)["search_index"] == "all"
    assert publish.bundle_problem(site / "pagefind") is None


def test_an_empty_search_index_left_on_disk_is_built_again(cli, workspace, approved):
    site = workspace.outputs / "site"
    assert cli("publish").exit_code == 0
    (site / "pagefind" / "pagefind-entry.json").write_bytes(b"")  # as Pagefind left it
    again = cli("publish", "--format", "json")
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout)["search_index"] == "all"
    entry = json.loads((site / "pagefind" / "pagefind-entry.json").read_text())
    assert sum(lang["page_count"] for lang in entry["languages"].values()) == 2


def test_an_empty_file_in_a_search_index_an_earlier_version_left_is_built_again(
        cli, workspace, approved):
    # A bundle this version puts in place was found whole first, and only its entry and
    # metadata are looked at again; one from an earlier version (its state without "whole")
    # is looked at file by file, as before.
    import gzip

    from yhteistuumin_survey.publish import _state_path

    site = workspace.outputs / "site"
    assert cli("publish").exit_code == 0
    state_file = _state_path(site / "pagefind")
    state = json.loads(gzip.decompress(state_file.read_bytes()))
    assert state.pop("whole") is True
    state_file.write_bytes(gzip.compress(json.dumps(state).encode()))
    fragment = next((site / "pagefind" / "fragment").iterdir())
    fragment.write_bytes(b"")  # as a full disk under an earlier version's Pagefind left it

    again = cli("publish", "--format", "json")

    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout)["search_index"] == "all"
    assert all(path.stat().st_size for path in (site / "pagefind" / "fragment").iterdir())


# --- what the coordinator reads about a message whose fate is unknown ----------------------------


def _send_codes(session, settings, server):
    from send_support import composer

    from yhteistuumin_survey.mailer import plan_round, send_round
    from yhteistuumin_survey.smtp_auth import SmtpOptions, SmtpSession

    plan = plan_round(session=session, settings=settings, kind="invite", only=CODES[:3])
    with SmtpSession(SmtpOptions("127.0.0.1", server.port, "none")) as transport:
        return send_round(plan, session=session, settings=settings,
                          compose=composer(session, settings), transport=transport,
                          sleep=lambda s: None, backoff=0.1)


def _reasons(result, status):
    return {o.detail["address"]: o.reason for o in result.report.outcomes
            if o.status == status and "address" in o.detail}


def test_the_next_run_says_why_a_message_is_uncertain_not_that_a_run_was_killed(
        sqlite_engine, settings):
    import datetime as dt
    import socket

    from send_support import Faults, load_example_contacts, mail_server
    from sqlmodel import Session, select

    from yhteistuumin_survey.db.models import Contact, OutboundMessage

    with Session(sqlite_engine, expire_on_commit=False) as session, \
            mail_server(pipelining=True) as server:
        load_example_contacts(session, CODES[:3])
        everyone = sorted(r.email for r in session.exec(select(Contact)))
        lost = everyone[1]
        server.faults = Faults(drop_in_data={lost: 1})  # taken whole, no answer
        _send_codes(session, settings, server)
        again = _send_codes(session, settings, server)
        assert set(_reasons(again, "uncertain")) == {lost}
        reason = _reasons(again, "uncertain")[lost]
        assert "no answer after the whole message was sent" in reason
        assert "killed" not in reason and "--resend-uncertain" in reason

        # A run that died after its claim, and the database restarted since: never handed
        # over as far as anyone can tell, so the words must not say it was.
        other = everyone[0]
        row = session.exec(select(OutboundMessage).where(OutboundMessage.address == other)).one()
        row.state, row.claimed_from, row.handing_at = "sending", "queued", None
        row.claimed_by = f"{socket.gethostname()}/999999999/ab12"
        row.claim_epoch, row.sending_at = "boot:another-boot", dt.datetime.now(dt.UTC)
        session.commit()
        third = _send_codes(session, settings, server)
    reason = _reasons(third, "uncertain")[other]
    assert reason.startswith("a run stopped after claiming it and the database restarted since")
    assert "handed to the server" not in reason


def test_questionnaires_on_a_full_disk_say_so_in_words_and_leave_no_broken_workbook(
        cli, workspace, small_disk):
    from fixtures_audit2_faults import fill

    folder = workspace.outputs / "questionnaires"
    shutil.rmtree(folder, ignore_errors=True)
    (small_disk / "q").mkdir()
    folder.symlink_to(small_disk / "q")  # the outputs' disk, as a mount point would be
    filler = fill(small_disk)
    result = cli("survey", "build", "--only", "091", "--only", "049")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "Errno" not in result.output
    assert "the disk is full; free some space and run the command again" in result.output
    assert not [p for p in (small_disk / "q").rglob("*") if p.is_file()]
    filler.unlink()
    again = cli("survey", "build", "--only", "091", "--only", "049")
    assert again.exit_code == 0, again.output
    assert len(list((small_disk / "q").rglob("*.xlsx"))) == 2


# --- kill -9 while an older SQLite database is migrated ------------------------------------------

_KILL_AT_STATEMENT = KILLED_AT_STATEMENT + """
from yhteistuumin_survey.cli import main
sys.argv = ["yhteistuumin", "--db", url, "db", "upgrade"]
main()
"""


@pytest.mark.parametrize("statement", [9, 30, 57, 69])
def test_a_migration_killed_half_way_leaves_the_database_as_it_was(workspace, tmp_path,
                                                                   statement):
    """SQLite's driver committed each CREATE/ALTER/DROP of a migration on its own: killed in
    between, the database held half a migration under the old version, and every later
    command was refused. Now the next run migrates it whole."""
    import subprocess
    import sys

    from alembic import command
    from sqlalchemy import inspect

    from yhteistuumin_survey.db.engine import (
        _alembic_config,
        current_revision,
        head_revision,
        make_engine,
        upgrade_database,
    )

    path = tmp_path / "vanha.sqlite"
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    command.upgrade(_alembic_config(engine), "0003")  # a database of an older version
    engine.dispose()
    killed = subprocess.run([sys.executable, "-c", _KILL_AT_STATEMENT, str(statement), url],
                            capture_output=True, check=False, timeout=300, cwd=workspace.root)
    assert killed.returncode == -9, killed.stderr.decode()[-500:]

    engine = make_engine(url)
    try:
        assert current_revision(engine) == "0003"
        assert upgrade_database(engine) == ("0003", head_revision())
        tables = set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert {"fetchedmessage", "databaseidentity", "outboundmessage"} <= tables


def test_a_review_export_on_a_full_disk_names_its_file_and_leaves_no_part_behind(
        cli, workspace, approved, small_disk):
    from fixtures_audit2_faults import fill

    out = small_disk / "arviointi.xlsx"
    filler = fill(small_disk)
    result = cli("review", "export", "--status", "approved", "--out", str(out))
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert f"{out}: the disk is full; free some space and run the command again" in result.output
    assert [p.name for p in small_disk.iterdir()] == ["filler"]  # no arviointi.xlsx.part
    filler.unlink()
    again = cli("review", "export", "--status", "approved", "--out", str(out))
    assert again.exit_code == 0 and out.exists()
