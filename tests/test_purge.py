"""``purge``: received originals, message copies and reports older than a day go; records stay."""

from __future__ import annotations

import datetime as dt
import json
import os

from sqlmodel import select

from yhteistuumin_survey.db.models import ReceivedFile

OLD = dt.datetime(2026, 1, 15, 12, 0, tzinfo=dt.UTC)
NEW = dt.datetime(2026, 9, 1, 12, 0, tzinfo=dt.UTC)


def _file(path, when: dt.datetime, text: str = "x"):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    os.utime(path, (when.timestamp(), when.timestamp()))
    return path


def _setup(workspace, session):
    out = workspace.outputs
    # Recorded as received long ago though the file was touched lately (a restore): the record
    # of receipt decides.
    old = _file(out / "received" / "vanha.xlsx", NEW)
    new = _file(out / "received" / "uusi.xlsx", NEW)
    session.add(ReceivedFile(sha256="a" * 64, original_name="vanha.xlsx",
                             stored_path="outputs/received/vanha.xlsx", size=1, received_at=OLD))
    session.add(ReceivedFile(sha256="b" * 64, original_name="uusi.xlsx",
                             stored_path="outputs/received/uusi.xlsx", size=1, received_at=NEW))
    session.commit()
    eml_old = _file(out / "outbox" / "r" / "dry-run" / "invite" / "049.eml", OLD)
    eml_new = _file(out / "outbox" / "r" / "dry-run" / "invite" / "091.eml", NEW)
    report_old = _file(out / "reports" / "ingest-1.csv", OLD)
    review = _file(out / "review" / "review.xlsx", OLD)  # never a purge kind
    return old, new, eml_old, eml_new, report_old, review


def test_dry_run_lists_what_would_go_and_deletes_nothing(workspace, session, db_url, cli):
    files = _setup(workspace, session)

    result = cli("--db", db_url, "purge", "--received", "--messages", "--reports",
                 "--before", "2026-06-30", "--dry-run")

    assert result.exit_code == 0, result.output
    assert "outputs/received/vanha.xlsx" in result.stdout
    assert "outputs/outbox/r/dry-run/invite/049.eml" in result.stdout
    assert "outputs/reports/ingest-1.csv" in result.stdout
    assert "uusi.xlsx" not in result.stdout and "091.eml" not in result.stdout
    assert "Dry run: 3 files (3 bytes) older than 2026-06-30 would be deleted" in result.stdout
    assert all(path.exists() for path in files)


def test_purge_without_a_terminal_refuses_unless_yes(workspace, session, db_url, cli):
    old, new, eml_old, eml_new, report_old, review = _setup(workspace, session)

    refused = cli("--db", db_url, "purge", "--received", "--before", "2026-06-30")

    assert refused.exit_code == 1 and "--yes" in refused.stderr and old.exists()

    done = cli("--db", db_url, "purge", "--received", "--messages", "--before", "2026-06-30",
               "--yes", "--format", "json")

    assert done.exit_code == 0, done.output
    data = json.loads(done.stdout)
    assert [f["path"] for f in data["files"]] == ["outputs/received/vanha.xlsx",
                                                  "outputs/outbox/r/dry-run/invite/049.eml"]
    assert not old.exists() and not eml_old.exists()
    assert new.exists() and eml_new.exists() and report_old.exists() and review.exists()
    session.expire_all()
    assert len(session.exec(select(ReceivedFile)).all()) == 2  # the record of receipt stays


def test_purge_needs_a_kind_and_a_day(cli):
    assert "say what to remove" in cli("purge", "--before", "2026-06-30").stderr
    assert "not a day" in cli("purge", "--received", "--before", "30.6.2026").stderr


def test_received_files_of_practices_not_yet_decided_are_said_before_they_go(
        workspace, session, db_url, cli):
    # The round's rule: keep the originals until the practices are decided. A purge with a
    # date that takes the file of a practice still waiting for more information said nothing.
    from yhteistuumin_survey.db.models import Practice, PracticeVersion, Submission

    _file(workspace.outputs / "received" / "508-vastaus.xlsx", OLD)
    _file(workspace.outputs / "received" / "091-vastaus.xlsx", OLD)
    for name, status in (("508-vastaus.xlsx", "needs-info"), ("091-vastaus.xlsx", "approved")):
        received = ReceivedFile(sha256=name[:3] * 21 + "a", original_name=name,
                                stored_path=f"outputs/received/{name}", size=1, received_at=OLD)
        session.add(received)
        session.flush()
        submission = Submission(received_file_id=received.id, locator="Käytäntö 1",
                                format="questionnaire")
        practice = Practice(status=status)
        session.add_all([submission, practice])
        session.flush()
        session.add(PracticeVersion(practice_id=practice.id, version=1,
                                    submission_id=submission.id, title="Kirjastokino"))
    session.commit()

    result = cli("--db", db_url, "purge", "--received", "--before", "2026-06-30", "--dry-run")

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-2:] == [
        "Dry run: 2 files (2 bytes) older than 2026-06-30 would be deleted; nothing was changed.",
        "Warning: 1 of the received files holds practices the reviewers have not decided yet "
        "(new or waiting for more information): 508-vastaus.xlsx; the reviewers may still "
        "need it"]
    assert json.loads(cli("--db", db_url, "purge", "--received", "--before", "2026-06-30",
                          "--dry-run", "--format", "json").stdout)["undecided"] == [
        "508-vastaus.xlsx"]
    assert (workspace.outputs / "received" / "508-vastaus.xlsx").exists()
