"""The fourth fault audit: locks on PostgreSQL, a moved workspace, files that are not what they
say, full disks, mail servers that misbehave. Each fault gives one line ``where: what is wrong;
what to do``, loses nothing and doubles nothing, and a rerun completes."""

from __future__ import annotations

from pathlib import Path

import pytest

# --- a review import and an ingest at once on PostgreSQL ------------------------------------


def _waiting_on_a_lock(engine, seconds: float = 20.0) -> bool:
    """Wait until another connection of this database waits for a lock (a row, an advisory)."""
    import time

    from sqlalchemy import text

    deadline = time.monotonic() + seconds
    with engine.connect() as connection:
        while time.monotonic() < deadline:
            waiting = connection.execute(text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()")).scalar()
            connection.commit()
            if waiting:
                return True
            time.sleep(0.05)
    return False


@pytest.mark.postgres
def test_on_postgresql_a_review_import_and_an_ingest_at_once_meet_in_no_deadlock(
        postgres_url, workspace, tmp_path, monkeypatch):
    """An ingest's file brought new versions of practices 3, 2 and 1 (its rows in that order);
    a review import decided 1, 2 and 3 at the same moment. The ingest held 3 and wanted 2,
    the import held 1 and 2 and wanted 3: PostgreSQL broke the deadlock by failing one of
    them ("run the command again"). Now both take one lock first: the second waits, and both
    end; the import finds the rows stale, and nothing is approved at a version nobody saw."""
    import datetime as dt
    import threading

    from ingest_support import DATA, run_ingest
    from openpyxl import load_workbook
    from sqlmodel import Session, select
    from test_review import fill

    from yhteistuumin_survey.db.engine import open_database
    from yhteistuumin_survey.db.models import Practice
    from yhteistuumin_survey.ingest import store
    from yhteistuumin_survey.register import ensure_register
    from yhteistuumin_survey.review import export_review, import_review

    engine = open_database(postgres_url)
    ensure_register(engine, workspace=workspace)
    run_ingest([DATA / "msforms.xlsx"], engine=engine, workspace=workspace)
    with Session(engine, expire_on_commit=False) as session:
        exported = export_review(tmp_path / "outputs", session=session).files[0].path
    fill(exported, {n: {"Päätös": "hyväksytty"} for n in (1, 2, 3)})
    changed = tmp_path / "c" / "msforms.xlsx"
    changed.parent.mkdir()
    workbook = load_workbook(DATA / "msforms.xlsx")
    sheet = workbook.active
    for row in (2, 3, 4):  # every summary corrected; the last response now the first in time
        sheet.cell(row=row, column=12).value = f"Tarkennettu kuvaus {row}."
        sheet.cell(row=row, column=3).value = dt.datetime(2024, 4, 10 - row, 9, 40)
    workbook.save(changed)

    holds, outcome = threading.Event(), {}
    real_replace = store.Store._replace_municipalities

    def hold_the_first(self, practice_id, entry):  # type: ignore[no-untyped-def]
        rows = real_replace(self, practice_id, entry)
        if not holds.is_set():  # the first practice's new version is written, not committed
            holds.set()
            outcome["import waited"] = _waiting_on_a_lock(engine)
        return rows

    monkeypatch.setattr(store.Store, "_replace_municipalities", hold_the_first)

    def ingest() -> None:
        try:
            outcome["ingest"] = run_ingest([changed], engine=engine, workspace=workspace)
        except Exception as exc:  # noqa: BLE001 - asserted below
            outcome["ingest"] = exc

    def review() -> None:
        try:
            with Session(engine, expire_on_commit=False) as session:
                outcome["import"] = import_review([exported], session=session)
        except Exception as exc:  # noqa: BLE001 - asserted below
            outcome["import"] = exc

    ingesting = threading.Thread(target=ingest)
    ingesting.start()
    assert holds.wait(60)
    importing = threading.Thread(target=review)
    importing.start()
    ingesting.join(90)
    importing.join(90)

    with Session(engine) as session:
        states = sorted((p.id, p.current_version, p.status)
                        for p in session.exec(select(Practice)))
    engine.dispose()
    assert outcome["import waited"]
    assert not isinstance(outcome["ingest"], Exception), outcome["ingest"]
    assert not isinstance(outcome["import"], Exception), outcome["import"]
    ingested = outcome["ingest"]
    assert not ingested.failed, ingested.summary()
    assert [row["outcome"] for row in ingested.rows()].count("new version") == 3, \
        ingested.rows()
    assert outcome["import"].report.counts == {"stale": 3}, outcome["import"].report.outcomes
    assert states == [(1, 2, "new"), (2, 2, "new"), (3, 2, "new")]


# --- who holds a lock, on PostgreSQL ---------------------------------------------------------


@pytest.mark.postgres
def test_on_postgresql_a_lock_holder_on_a_long_host_name_is_still_named_with_its_pid_and_time(
        postgres_url, monkeypatch):
    """The holder's label is PostgreSQL's application_name, which keeps 63 characters:
    'yhteistuumin send: forget: kulttuuripalvelut-tyoasema-17.kaupunki.exa' lost the pid and
    the time, so a refused run could not say which process to wait for. Now the label is
    short by design: the host last, shortened to its first name, and cut only if it must be."""
    import os
    import re
    import socket

    from yhteistuumin_survey.db.engine import open_database
    from yhteistuumin_survey.locks import LockBusy, exclusive

    host = "kulttuuripalvelut-tyoasema-17.kaupunki.example.fi"
    monkeypatch.setattr(socket, "gethostname", lambda: host)
    engine = open_database(postgres_url)
    try:
        with exclusive(engine, "send", by="forget"), \
                pytest.raises(LockBusy) as refused, exclusive(engine, "send"):
            pass
        with exclusive(engine, "ingest"), \
                pytest.raises(LockBusy) as ingest_refused, exclusive(engine, "ingest"):
            pass
    finally:
        engine.dispose()
    message = str(refused.value)
    assert re.fullmatch(r"yhteistuumin forget is running \(kulttuuripalvelut-\S+, "
                        rf"pid {os.getpid()}, since 20\d\d-\d\d-\d\d \d\d:\d\d:\d\d UTC\)",
                        message), message
    message = str(ingest_refused.value)
    assert re.fullmatch(r"another ingest is running \(kulttuuripalvelut-\S+, "
                        rf"pid {os.getpid()}, since 20\d\d-\d\d-\d\d \d\d:\d\d:\d\d UTC\)",
                        message), message


# --- a workspace moved or copied elsewhere ---------------------------------------------------


def _moved(workspace, tmp_path):
    """The workspace moved to another folder (``mv round2026 /elsewhere/``), and a Cli on it."""
    import shutil

    from conftest import Cli

    from yhteistuumin_survey.workspace import Workspace

    elsewhere = tmp_path / "muualla"
    elsewhere.mkdir()
    moved = Workspace(Path(shutil.move(str(workspace.root), str(elsewhere))))
    return moved, Cli(moved)


def test_a_moved_workspace_retries_its_failed_files_from_the_kept_copies(cli, workspace,
                                                                       tmp_path):
    """The copy of a received file was recorded by its absolute path: after the workspace was
    moved, ingest --retry-failed said 'no copy was kept under outputs/received; ingest it
    again from where it came', though the copy was there, moved with the rest."""
    import shutil

    from ingest_support import DATA

    path = tmp_path / "vastaukset.csv"
    shutil.copyfile(DATA / "limesurvey-texts.csv", path)
    assert cli("ingest", str(path), "--source", "questionnaire").exit_code == 1
    path.unlink()  # the original is gone; only the kept copy can be read again
    _, moved_cli = _moved(workspace, tmp_path)

    result = moved_cli("ingest", "--retry-failed")
    assert result.exit_code == 0, result.output
    assert "1 new" in result.stdout and "no copy was kept" not in result.output, result.output


def test_a_file_received_in_a_moved_workspace_is_recorded_where_the_workspace_is(
        cli, workspace, tmp_path):
    """New copies are recorded relative to the workspace, so a second move loses nothing."""
    import shutil

    from ingest_support import DATA
    from sqlmodel import Session, select

    from yhteistuumin_survey.db.engine import make_engine
    from yhteistuumin_survey.db.models import ReceivedFile

    path = tmp_path / "msforms.xlsx"
    shutil.copyfile(DATA / "msforms.xlsx", path)
    assert cli("ingest", str(path)).exit_code == 0
    moved, _ = _moved(workspace, tmp_path)
    engine = make_engine(f"sqlite:///{moved.outputs / 'yhteistuumin.sqlite'}")
    with Session(engine) as session:
        stored = [row.stored_path for row in session.exec(select(ReceivedFile))]
    engine.dispose()
    assert stored and all(not Path(name).is_absolute() for name in stored), stored
    assert all((moved.root / name).is_file() for name in stored), stored


def test_an_absolute_path_an_earlier_version_recorded_is_found_in_the_moved_or_copied_workspace(
        tmp_path):
    """Earlier versions recorded absolute paths. A moved workspace finds the file under its own
    outputs/; a copy beside the original reads its own copy, never the original's (forget or
    purge in the copy would otherwise change the original's files)."""
    import shutil

    from yhteistuumin_survey.workspace import Workspace

    original = Workspace(tmp_path / "round2026")
    kept = original.outputs / "received" / "ab" / "ab12-vastaus.xlsx"
    kept.parent.mkdir(parents=True)
    kept.write_bytes(b"questionnaire")
    recorded = str(kept)  # as an earlier version recorded it
    copy = Workspace(Path(shutil.copytree(original.root, tmp_path / "kopio" / "round2026")))

    assert original.stored_file(recorded) == kept
    assert copy.stored_file(recorded) == copy.outputs / "received" / "ab" / "ab12-vastaus.xlsx"
    assert copy.stored_file(copy.recorded(copy.outputs / "received" / "ab" / "x")) == \
        copy.root / "outputs" / "received" / "ab" / "x"
    elsewhere = tmp_path / "lataukset" / "vastaus.xlsx"
    assert copy.recorded(elsewhere) == str(elsewhere)
    # Of no workspace's outputs/: never this workspace's to read, rewrite or delete.
    assert copy.stored_file(str(elsewhere)) is None


# --- Excel's lock file beside a workbook -----------------------------------------------------

#: What Excel writes as ``~$NAME`` beside a workbook it has open: the user's name, twice.
_LOCK_FILE = (bytes([11]) + b"Liisa Laine" + b" " * 42 + (11).to_bytes(2, "little")
              + "Liisa Laine".encode("utf-16-le")).ljust(165, b"\x20")


def test_excel_s_lock_file_in_an_ingest_folder_or_named_is_skipped_and_says_the_workbook_is_open(
        cli, tmp_path):
    """A folder skipped '~$vastaus.xlsx' without a word; named on the command line (a glob
    takes it), it was read and refused as 'not a spreadsheet but binary data; ask for the Excel
    file itself', kept under outputs/received with the user's name, and the run exited 1."""
    import shutil

    from ingest_support import DATA

    inbox = tmp_path / "vastaukset"
    inbox.mkdir()
    shutil.copyfile(DATA / "questionnaire.xlsx", inbox / "vastaus.xlsx")
    (inbox / "~$vastaus.xlsx").write_bytes(_LOCK_FILE)
    said = (f"skipped: {inbox / '~$vastaus.xlsx'}: Excel's lock file, not a workbook, so not "
            "read; vastaus.xlsx may still be open in Excel: save and close it, then ingest it "
            "again if it changed")

    folder = cli("ingest", str(inbox))
    named = cli("ingest", str(inbox / "vastaus.xlsx"), str(inbox / "~$vastaus.xlsx"))
    for result in (folder, named):
        assert result.exit_code == 0, result.output
        assert said in result.stderr.splitlines(), result.output
        assert "binary data" not in result.output and "Traceback" not in result.output
    received = cli.workspace.outputs / "received"
    assert not any(path.name.endswith("~$vastaus.xlsx") for path in received.rglob("*"))


def test_libreoffice_s_lock_file_named_to_ingest_is_skipped_and_says_the_workbook_is_open(
        cli, tmp_path):
    """Named on the command line, LibreOffice's '.~lock.vastaus.xlsx#' was refused as 'a
    .xlsx# file is not read automatically; type its answers …', kept under outputs/received
    with the user's name; it is said as Excel's lock file is (one office_lock_file)."""
    import shutil

    from ingest_support import DATA

    inbox = tmp_path / "vastaukset"
    inbox.mkdir()
    shutil.copyfile(DATA / "questionnaire.xlsx", inbox / "vastaus.xlsx")
    lock = inbox / ".~lock.vastaus.xlsx#"
    lock.write_text(",Liisa Laine,kone,07.12.2026 10:15,file:///home/liisa/.config/libreoffice/4;",
                    encoding="utf-8")

    result = cli("ingest", str(inbox / "vastaus.xlsx"), str(lock))

    assert result.exit_code == 0, result.output
    assert (f"skipped: {lock}: LibreOffice's lock file, not a workbook, so not read; "
            "vastaus.xlsx may still be open in LibreOffice: save and close it, then ingest it "
            "again if it changed") in result.stderr.splitlines(), result.output
    received = cli.workspace.outputs / "received"
    assert not any("lock" in path.name for path in received.rglob("*"))


def test_excel_s_lock_file_among_returned_review_workbooks_is_a_warning_not_an_error(
        cli, workspace, tmp_path):
    """'review import outputs/review/*' took the lock file of a workbook still open: 'error:
    not a spreadsheet but binary data; ask for the Excel file itself', exit 1, while the
    workbook itself was imported."""
    import shutil

    from ingest_support import DATA

    shutil.copyfile(DATA / "msforms.xlsx", tmp_path / "msforms.xlsx")
    assert cli("ingest", str(tmp_path / "msforms.xlsx")).exit_code == 0
    assert cli("review", "export").exit_code == 0
    folder = workspace.outputs / "review"
    (workbook,) = folder.glob("*.xlsx")
    (folder / f"~${workbook.name}").write_bytes(_LOCK_FILE)

    result = cli("review", "import", *sorted(str(p) for p in folder.glob("*.xlsx")))
    assert result.exit_code == 0, result.output
    assert (f"{folder / ('~$' + workbook.name)}: warning: Excel's lock file, not a workbook, "
            f"so not read; {workbook.name} may still be open in Excel: save and close it, "
            "then import it again if it changed") in result.output, result.output
    assert "binary data" not in result.output


# --- a full disk while the site is written ---------------------------------------------------


def test_a_publish_on_a_full_disk_is_one_line_and_leaves_the_site_as_it_was(
        cli, workspace, small_disk):
    """Every page changed (a new site title) on a disk with no room: 'Error: the disk is full;
    free some space and run the command again' (no path), a 'practices.json.tmp' left behind,
    and a site of some pages with the new title and the rest with the old one. Now the new
    files are all written aside first and put in place only when every one is whole."""
    from fixtures_audit2_faults import fill
    from publish_support import tree_digest, two_approved_one_rejected

    two_approved_one_rejected(workspace)
    site = small_disk / "site"
    assert cli("publish", "--out", str(site)).exit_code == 0
    before = tree_digest(site)
    filler = fill(small_disk)
    renamed = {"YHTEISTUUMIN_SITE_TITLE": "Hyvät käytännöt kunnissa – uusi nimi"}

    result = cli("publish", "--out", str(site), env=renamed)
    assert result.exit_code == 1 and "Traceback" not in result.output, result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert errors == [f"Error: {site}: the disk is full; free some space and run the command "
                      "again (nothing of this publish was put in place: the site is as it was)"], \
        result.output
    assert tree_digest(site) == before  # no page new, none half-written, no .tmp left

    filler.unlink()
    again = cli("publish", "--out", str(site), env=renamed)
    assert again.exit_code == 0, again.output
    assert "uusi nimi" in (site / "index.html").read_text(encoding="utf-8")


# --- IMAP: a message deleted between SEARCH and FETCH ----------------------------------------


def test_a_message_deleted_by_another_mail_client_during_a_fetch_is_named_and_the_rest_read(
        cli, workspace, dovecot, monkeypatch):
    """Another mail client (a colleague's Outlook) moves or deletes a reply while fetch reads
    the folder, after fetch listed it and before it was fetched. Fetch went on and read the
    rest (right), but said nothing of it: an answer moved to another folder was never known.
    Now one line names it and what to do; the run still succeeds."""
    import json

    from imapclient import IMAPClient
    from test_fetch_faults import fill, rows, sqlite_url

    uids = fill(dovecot, workspace)
    gone = uids[1]  # the reply with a questionnaire
    real_search = IMAPClient.search

    def search_then_a_colleague_deletes(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        found = real_search(self, *args, **kwargs)
        other = dovecot.client()
        try:
            other.select_folder("INBOX")
            other.delete_messages([gone])
            other.expunge()
        finally:
            other.logout()
        return found

    monkeypatch.setattr(IMAPClient, "search", search_then_a_colleague_deletes)
    result = cli("fetch", env=dovecot.env("starttls"))
    monkeypatch.setattr(IMAPClient, "search", real_search)
    assert result.exit_code == 0 and "Traceback" not in result.output, result.output
    assert (f"1 message left INBOX while this run read it, unread (UID {gone}): moved or "
            "deleted by another mail client; if moved to another folder, fetch that one too "
            "([imap] folder)") in result.stdout.splitlines(), result.output
    assert [r.uid for r in rows(sqlite_url(workspace))] == [u for u in uids if u != gone]
    again = cli("fetch", "--format", "json", env=dovecot.env("starttls"))
    assert again.exit_code == 0, again.output
    assert (json.loads(again.stdout)["fetched"], json.loads(again.stdout)["gone"]) == (0, [])


# --- SMTP: STARTTLS required and not offered -------------------------------------------------


def test_a_server_that_does_not_offer_starttls_when_required_sends_nothing_and_says_the_setting(
        cli):
    """security = starttls (the default) against a server that offers no STARTTLS (a port for
    unencrypted relay, or a middlebox stripping it): the password must not go in the clear."""
    from send_support import round_env
    from test_faults_send import Provider, serve

    from yhteistuumin_survey.resources import bundled_path

    assert cli("register", "contacts",
               str(bundled_path("recipients/contacts.example.csv"))).exit_code == 0
    provider = Provider()
    with serve(provider) as port:
        env = {"YHTEISTUUMIN_SMTP_HOST": "127.0.0.1", "YHTEISTUUMIN_SMTP_PORT": str(port),
               "YHTEISTUUMIN_SMTP_SECURITY": "starttls", **round_env()}
        result = cli("send", "invite", "--only", "599", "--yes", env=env)
    assert result.exit_code == 1 and "Traceback" not in result.output, result.output
    assert (f"127.0.0.1:{port}: the server does not offer STARTTLS; set [smtp] security to ssl "
            "(port 465) or check the port") in result.output, result.output
    assert provider.mails == 0


def test_an_empty_review_workbook_says_what_to_do(cli, tmp_path):
    """'review import' of a zero-byte workbook (a save or a copy cut short) said only
    '…: error: the file is empty'."""
    empty = tmp_path / "arviointi.xlsx"
    empty.write_bytes(b"")
    result = cli("review", "import", str(empty))
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert (f"{empty}: error: the file is empty (a save, copy or download cut short?); save or "
            "copy it again") in result.output, result.output


def test_a_workbook_excel_holds_open_says_to_close_it_not_to_check_its_owner(
        cli, tmp_path, monkeypatch):
    """On Windows, Excel keeps a workbook it has open from being read (a sharing violation,
    which Python raises as PermissionError); ingest said 'permission denied; check who owns
    the file', which sends the user the wrong way. Its lock file beside it tells why."""
    import shutil

    from ingest_support import DATA

    from yhteistuumin_survey import ingest

    inbox = tmp_path / "vastaukset"
    inbox.mkdir()
    workbook = inbox / "vastaus.xlsx"
    shutil.copyfile(DATA / "questionnaire.xlsx", workbook)
    (inbox / "~$vastaus.xlsx").write_bytes(_LOCK_FILE)
    real_sha = ingest.sha256_file

    def excel_holds_it(path, *args, **kwargs):  # type: ignore[no-untyped-def]
        if Path(path).name == "vastaus.xlsx":
            raise PermissionError(13, "Permission denied", str(path))
        return real_sha(path, *args, **kwargs)

    monkeypatch.setattr(ingest, "sha256_file", excel_holds_it)
    result = cli("ingest", str(inbox))
    assert result.exit_code == 1 and "Traceback" not in result.output, result.output
    assert (f"error: {workbook}: cannot be read: it is open in Excel (~$vastaus.xlsx is beside "
            "it); close it in Excel and ingest it again") in result.stderr.splitlines(), \
        result.output

    monkeypatch.setattr(ingest, "sha256_file", real_sha)  # closed in Excel
    (inbox / "~$vastaus.xlsx").unlink()
    again = cli("ingest", str(inbox))
    assert again.exit_code == 0 and "3 new" in again.stdout, again.output


@pytest.mark.parametrize("filled_before", ["build_search_index", "_set_page_ids"])
def test_a_disk_filled_after_the_pages_says_the_search_and_lists_are_the_last_publish_s(
        cli, workspace, small_disk, monkeypatch, filled_before):
    """The disk fills after the new card pages are in place: while Pagefind runs (it said
    'free some space and publish again', not that the pages were already new), or while the
    list pages are written ('the disk is full' with no path, a .tmp left, and some lists
    new, some old). Now the lists go in place together or not at all, and the line says what
    the site is now; the next publish completes."""
    from fixtures_audit2_faults import disk_full_at
    from publish_support import tree_digest, two_approved_one_rejected

    from yhteistuumin_survey import publish

    two_approved_one_rejected(workspace)
    site = small_disk / "site"
    assert cli("publish", "--out", str(site)).exit_code == 0
    lists_before = {name: digest for name, digest in tree_digest(site).items()
                    if name in ("index.html", "sv/index.html", "cards.json.gz")}
    renamed = {"YHTEISTUUMIN_SITE_TITLE": "Hyvät käytännöt kunnissa – uusi nimi"}
    with disk_full_at(monkeypatch, small_disk, publish, filled_before):
        result = cli("publish", "--out", str(site), env=renamed)
    assert result.exit_code == 1 and "Traceback" not in result.output, result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and errors[0].startswith(f"Error: {site}"), result.output
    # audit5: the card pages are put back too (test_faults_audit5), not left new
    assert errors[0].endswith("(nothing of this publish was put in place: the site is as it "
                              "was)"), errors[0]
    assert "free some space" in errors[0]
    after = tree_digest(site)
    assert not [name for name in after if name.endswith(".tmp")]
    assert {name: after[name] for name in lists_before} == lists_before

    again = cli("publish", "--out", str(site), env=renamed)
    assert again.exit_code == 0, again.output
    assert "uusi nimi" in (site / "index.html").read_text(encoding="utf-8")


def test_forget_in_a_moved_workspace_publishes_again_a_site_published_inside_it(
        cli, workspace, tmp_path):
    """'publish --out www' inside the workspace was noted by its absolute path for forget to
    publish again; after the workspace was moved, forget looked for it where it had been, did
    not find it, and left her on that site."""
    from publish_support import tree_text, two_approved_one_rejected

    two_approved_one_rejected(workspace)
    her = "anna.taide@example.fi"
    www, cms = workspace.root / "www", workspace.root / "cms-vienti"
    assert cli("publish", "--out", str(www), "--cms", str(cms)).exit_code == 0
    assert her in tree_text(www)
    moved, moved_cli = _moved(workspace, tmp_path)

    done = moved_cli("forget", her, "--yes")
    assert done.exit_code == 0, done.output
    assert f"the site published to {moved.root / 'www'}" in done.stdout, done.stdout
    assert her not in tree_text(moved.root / "www")
    assert her not in tree_text(moved.root / "cms-vienti")


def test_a_page_folder_that_cannot_be_written_names_the_page_and_leaves_the_site_as_it_was(
        cli, workspace, make_immutable):
    """A fault that is a file's, not the disk's, names that file; the other pages are not put
    in place either."""
    from publish_support import tree_digest, two_approved_one_rejected

    two_approved_one_rejected(workspace)
    site = workspace.outputs / "site"
    assert cli("publish").exit_code == 0
    before = tree_digest(site)
    page = next(path for path in sorted(site.glob("*/index.html"))
                if path.parent.name[:1].isdigit())
    make_immutable(page.parent)

    result = cli("publish", env={"YHTEISTUUMIN_SITE_TITLE": "Uusi nimi"})
    assert result.exit_code == 1 and "Traceback" not in result.output, result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert errors == [f"Error: {page}: not permitted (an immutable file?); check its owner and "
                      "flags (lsattr) (nothing of this publish was put in place: the site is as "
                      "it was)"], result.output
    assert tree_digest(site) == before
