"""Ingest loses nothing: a file that failed is read again, folders are what they contain, long
names and a full disk give one line each and the batch goes on."""

from __future__ import annotations

import os
import shutil
import subprocess
from email.message import EmailMessage
from pathlib import Path

import pytest
from ingest_support import DATA, run_ingest, table_counts
from sqlmodel import Session, select

from yhteistuumin_survey.db.models import ReceivedFile


def mail_with(workbook: bytes, *, filename: str | None, subject: str = "vastaus") -> bytes:
    message = EmailMessage()
    message["From"] = "kulttuuri@oulu.fi"
    message["Subject"] = subject
    message.set_content("Kyselyn vastaus liitteenä.")
    kwargs = {"filename": filename} if filename else {}
    message.add_attachment(workbook, maintype="application",
                           subtype="vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                           **kwargs)
    return bytes(message)


def outcomes(result) -> list[tuple[str, str]]:
    return [(Path(str(row["file"])).name, row["outcome"]) for row in result.rows()]


# --- retry by design -------------------------------------------------------------------------


def test_a_workbook_refused_without_a_name_is_read_when_the_same_bytes_arrive_named(
        sqlite_engine, workspace, tmp_path):
    workbook = (DATA / "questionnaire.xlsx").read_bytes()
    unnamed = tmp_path / "eka.eml"
    unnamed.write_bytes(mail_with(workbook, filename=None))
    first = run_ingest([unnamed], engine=sqlite_engine, workspace=workspace)
    refused = [row for row in first.rows() if row["outcome"] == "error"]
    assert len(refused) == 1 and "suffix-less" in refused[0]["reason"]
    before = table_counts(sqlite_engine)

    named = tmp_path / "toka.eml"
    named.write_bytes(mail_with(workbook, filename="vastaus.xlsx", subject="uudestaan"))
    second = run_ingest([named], engine=sqlite_engine, workspace=workspace)
    assert not second.failed
    statuses = [row["outcome"] for row in second.rows()]
    assert "new" in statuses and "error" not in statuses
    note = next(row["reason"] for row in second.rows() if row["outcome"] == "note")
    assert "replaces the earlier failure of received file 2" in note
    assert "suffix-less" in note
    after = table_counts(sqlite_engine)
    assert after["ReceivedFile"] == before["ReceivedFile"] + 1  # the same record, read again
    assert after["Practice"] > before["Practice"]
    with Session(sqlite_engine) as session:
        attachment = session.get(ReceivedFile, 2)
        assert attachment is not None
        assert (attachment.status, attachment.original_name, attachment.error) == \
            ("ingested", "vastaus.xlsx", None)
        assert Path(attachment.stored_path).name.endswith("-vastaus.xlsx")
    # A third arrival changes nothing.
    third = run_ingest([named], engine=sqlite_engine, workspace=workspace)
    assert outcomes(third) == [("toka.eml", "already ingested")]


def test_named_and_unnamed_copies_in_one_batch_are_read_once(sqlite_engine, workspace, tmp_path):
    workbook = (DATA / "questionnaire.xlsx").read_bytes()
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.eml").write_bytes(mail_with(workbook, filename=None))
    (tmp_path / "in" / "b.eml").write_bytes(mail_with(workbook, filename="vastaus.xlsx",
                                                      subject="uudestaan"))
    result = run_ingest([tmp_path / "in"], engine=sqlite_engine, workspace=workspace)
    statuses = [row["outcome"] for row in result.rows()]
    assert statuses.count("error") == 1 and "new" in statuses
    again = run_ingest([tmp_path / "in"], engine=sqlite_engine, workspace=workspace)
    assert [row["outcome"] for row in again.rows()] == ["already ingested"] * 2


def test_the_same_broken_file_again_is_read_again_and_still_refused(sqlite_engine, workspace,
                                                                    tmp_path):
    path = tmp_path / "webpage.xlsx"
    shutil.copyfile(DATA / "broken" / "webpage.xlsx", path)
    run_ingest([path], engine=sqlite_engine, workspace=workspace)
    again = run_ingest([path], engine=sqlite_engine, workspace=workspace)
    assert again.failed
    rows = again.rows()
    assert rows[0]["reason"] == (f"{path}: an HTML page saved under a spreadsheet's name (a "
                                 "web system's Excel export); open it in Excel or LibreOffice, "
                                 "save it as .xlsx and use that file instead")
    assert rows[1]["outcome"] == "note" and "failed before too (received file 1)" in \
        rows[1]["reason"]
    assert table_counts(sqlite_engine)["ReceivedFile"] == 1


def test_retry_failed_reads_every_failed_file_again_from_its_kept_copy(sqlite_engine, workspace,
                                                                      tmp_path):
    path = tmp_path / "vastaukset.csv"
    shutil.copyfile(DATA / "limesurvey-texts.csv", path)
    wrong = run_ingest([path], engine=sqlite_engine, workspace=workspace,
                       source="questionnaire")
    assert wrong.failed
    path.unlink()  # the original is gone; the copy under outputs/received is what is read
    from sqlmodel import Session as S

    from yhteistuumin_survey.config import load_settings
    from yhteistuumin_survey.ingest import ingest_paths

    with S(sqlite_engine, expire_on_commit=False) as session:
        retried = ingest_paths([], session=session, workspace=workspace,
                               settings=load_settings(workspace.root, env={}),
                               retry_failed=True)
    assert not retried.failed
    rows = retried.rows()
    assert rows[0]["file"] == "vastaukset.csv (received file 1)"
    assert [r["outcome"] for r in rows] == ["new", "note"]
    assert "replaces the earlier failure of received file 1" in rows[1]["reason"]
    assert retried.report_path is not None and retried.report_path.is_file()


def test_ingest_retry_failed_on_the_command_line(cli, tmp_path):
    path = tmp_path / "vastaukset.csv"
    shutil.copyfile(DATA / "limesurvey-texts.csv", path)
    assert cli("ingest", str(path), "--source", "questionnaire").exit_code == 1
    result = cli("ingest", "--retry-failed")
    assert result.exit_code == 0, result.output
    assert "1 new" in result.stdout and "1 note" in result.stdout


# --- folders are what they contain ------------------------------------------------------------


def test_links_out_of_the_folder_and_dangling_links_are_skipped_and_reported(
        sqlite_engine, workspace, tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    secret = tmp_path / "elsewhere" / "salainen.csv"
    secret.parent.mkdir()
    shutil.copyfile(DATA / "googleforms.csv", secret)
    secret.chmod(0o600)
    shutil.copyfile(DATA / "limesurvey-texts.csv", inbox / "oikea.csv")
    (inbox / "ulos.csv").symlink_to(secret)
    (inbox / "passwd").symlink_to("/etc/passwd")
    (inbox / "rikki.csv").symlink_to(tmp_path / "ei-ole.csv")
    (inbox / "kansio").symlink_to(secret.parent, target_is_directory=True)
    (inbox / "sama.csv").symlink_to(inbox / "oikea.csv")  # inside: fine (already ingested)
    result = run_ingest([inbox], engine=sqlite_engine, workspace=workspace)
    by_name = {Path(str(r["file"])).name: r for r in result.rows() if not r["sheet"]}
    assert by_name["ulos.csv"]["outcome"] == "skipped"
    assert f"a link to {secret}, outside {inbox}; skipped" in by_name["ulos.csv"]["reason"]
    assert by_name["passwd"]["outcome"] == "skipped"
    assert by_name["kansio"]["outcome"] == "skipped"
    assert by_name["rikki.csv"]["outcome"] == "skipped"
    assert "does not exist" in by_name["rikki.csv"]["reason"]
    with Session(sqlite_engine) as session:
        names = [f.original_name for f in session.exec(select(ReceivedFile))]
    assert names == ["oikea.csv"]
    stored = list((workspace.outputs / "received").rglob("*"))
    assert not any("passwd" in p.name or "salainen" in p.name for p in stored)


# --- long names, a full disk ------------------------------------------------------------------


def test_a_file_name_over_255_bytes_is_shortened_for_storage_and_kept_in_full(
        sqlite_engine, workspace, tmp_path):
    long_name = "Käytäntö " + "ä" * 115 + ".csv"  # 244 bytes: a legal name, too long with a hash
    assert len(long_name.encode()) > 200
    path = tmp_path / long_name
    shutil.copyfile(DATA / "limesurvey-texts.csv", path)
    message = EmailMessage()
    message["From"] = "kulttuuri@oulu.fi"
    message["Subject"] = "pitkä"
    message.set_content("liitteenä")
    message.add_attachment((DATA / "googleforms.csv").read_bytes(), maintype="text",
                           subtype="csv", filename="ö" * 200 + ".csv")
    mail = tmp_path / "pitka.eml"
    mail.write_bytes(bytes(message))
    result = run_ingest([path, mail], engine=sqlite_engine, workspace=workspace)
    assert not result.failed, result.rows()
    with Session(sqlite_engine) as session:
        files = list(session.exec(select(ReceivedFile)))
    assert files[0].original_name == long_name
    for received in files:
        stored = workspace.stored_file(received.stored_path)
        assert stored.is_file() and len(stored.name.encode()) <= 255
    assert Path(files[0].stored_path).suffix == ".csv"


@pytest.fixture
def small_disk(tmp_path):
    """A 256 KiB tmpfs (``fixtures_audit2_faults.tmpfs``)."""
    from fixtures_audit2_faults import tmpfs

    with tmpfs(tmp_path / "small", "256k") as mount:
        yield mount


def test_a_full_disk_gives_one_line_the_batch_goes_on_and_the_next_run_reads_it(
        sqlite_engine, workspace, tmp_path, small_disk):
    received = workspace.outputs / "received"
    shutil.rmtree(received, ignore_errors=True)
    received.symlink_to(small_disk, target_is_directory=True)
    big = tmp_path / "iso.csv"
    rows = (DATA / "limesurvey-texts.csv").read_text(encoding="utf-8").splitlines()
    big.write_text("\n".join([rows[0], *(rows[1:] * 2000)]) + "\n", encoding="utf-8")
    assert big.stat().st_size > 300 * 1024
    small = tmp_path / "pieni.csv"
    shutil.copyfile(DATA / "googleforms.csv", small)
    result = run_ingest([big, small], engine=sqlite_engine, workspace=workspace)
    first = result.rows()[0]
    assert first["outcome"] == "error"
    assert first["reason"] == (f"{big}: the disk is full; free some space; nothing was stored, "
                               "the next run reads it again")
    assert "new" in [r["outcome"] for r in result.rows()[1:]]
    assert result.report_path is not None and result.report_path.is_file()
    assert not list(small_disk.rglob("*.part"))
    # The fault is gone: the next run reads the big file.
    received.unlink()
    again = run_ingest([big, small], engine=sqlite_engine, workspace=workspace)
    assert not again.failed
    assert [r["outcome"] for r in again.rows()][-1] == "already ingested"
    assert os.path.isdir(received)


# --- one writer -------------------------------------------------------------------------------

_INGEST_ONE = """
import sys
from pathlib import Path
from sqlmodel import Session
from yhteistuumin_survey.config import load_settings
from yhteistuumin_survey.db.engine import open_database
from yhteistuumin_survey.ingest import ingest_paths
from yhteistuumin_survey.workspace import Workspace

url, root, path = sys.argv[1:4]
workspace = Workspace(Path(root))
engine = open_database(url)
with Session(engine, expire_on_commit=False) as session:
    result = ingest_paths([Path(path)], session=session, workspace=workspace,
                          settings=load_settings(workspace.root, env={}), workers=1)
print(sorted(result.counts.items()))
"""


def export_of(count: int, path: Path) -> Path:
    """A Google Forms export of ``count`` responses, each a different practice."""
    import csv
    import hashlib

    with (DATA / "googleforms.csv").open(encoding="utf-8") as handle:
        header, first, *_ = list(csv.reader(handle))
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for n in range(count):
            row = list(first)
            row[0] = f"2022/11/30 10:{n // 60 % 60:02d}:{n % 60:02d} PM GMT+1"
            row[3] = f"{hashlib.sha1(str(n).encode()).hexdigest()[:12]} kirjastoauto kylille"
            row[6] = f"Tavoite {n}"
            writer.writerow(row)
    return path


@pytest.mark.postgres
def test_two_ingests_of_one_export_at_once_on_postgresql_store_each_response_once(
        postgres_url, workspace, tmp_path):
    import sys

    from yhteistuumin_survey.db.engine import open_database
    from yhteistuumin_survey.register import ensure_register

    engine = open_database(postgres_url)
    ensure_register(engine, workspace=workspace)
    export = export_of(300, tmp_path / "vastaukset.csv")
    copy = tmp_path / "lataus-2.csv"  # the same export downloaded again: other line ends
    copy.write_bytes(export.read_bytes().replace(b"\r\n", b"\n"))
    assert copy.read_bytes() != export.read_bytes()
    script = tmp_path / "ingest_one.py"
    script.write_text(_INGEST_ONE, encoding="utf-8")
    runs = [subprocess.Popen([sys.executable, str(script), postgres_url, str(workspace.root),
                              str(path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True) for path in (export, copy)]
    outputs = [run.communicate(timeout=600) for run in runs]
    assert all(run.returncode == 0 for run in runs), outputs
    counts = table_counts(engine)
    engine.dispose()
    assert counts["Practice"] == 300, outputs
    assert counts["ReceivedFile"] == 2
    assert sorted("('already ingested', 300)" in out for out, _ in outputs) == [False, True]
    assert sorted("('new', 300)" in out for out, _ in outputs) == [False, True]


def test_a_path_too_long_for_the_system_is_one_line_and_the_batch_goes_on(sqlite_engine,
                                                                         workspace, tmp_path):
    too_long = tmp_path / ("ä" * 200 + ".csv")  # 404 bytes: no file system takes this name
    fine = tmp_path / "vastaukset.csv"
    shutil.copyfile(DATA / "limesurvey-texts.csv", fine)
    result = run_ingest([too_long, fine], engine=sqlite_engine, workspace=workspace)
    rows = result.rows()
    assert rows[0]["outcome"] == "error"
    assert rows[0]["reason"] == f"{too_long}: the file name is too long for this file system"
    assert [r["outcome"] for r in rows[1:]] == ["new"]
    assert result.report_path is not None and result.report_path.is_file()
