"""Ingest behaviour on real files and real databases (SQLite and PostgreSQL via ``engine``)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from ingest_support import DATA, practices, run_ingest, set_answer, table_counts
from openpyxl import load_workbook
from sqlmodel import Session, col, select

from yhteistuumin_survey.db.models import (
    Practice,
    PracticeMunicipality,
    PracticeVersion,
    ReceivedFile,
    Submission,
)


def _copy(name: str, folder: Path, as_name: str | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / (as_name or name)
    shutil.copy(DATA / name, target)
    return target


def _outcomes(result) -> list[tuple[str | None, str]]:
    return [(row["sheet"], row["outcome"]) for row in result.rows()]


def test_ingest_same_file_twice_changes_nothing(engine, workspace, tmp_path):
    path = _copy("msforms.xlsx", tmp_path / "in")
    first = run_ingest([path], engine=engine, workspace=workspace)
    assert [o for _, o in _outcomes(first)] == ["new", "new", "new"]
    before = table_counts(engine)
    again = _copy("msforms.xlsx", tmp_path / "elsewhere", "renamed.xlsx")
    second = run_ingest([path, again], engine=engine, workspace=workspace)
    assert [o for _, o in _outcomes(second)] == ["already ingested", "already ingested"]
    assert "nothing changed" in second.rows()[0]["reason"]
    assert table_counts(engine) == before
    assert not second.failed


def test_every_file_is_stored_with_hash_and_copy_before_reading(engine, workspace, tmp_path):
    path = _copy("googleforms.csv", tmp_path / "in")
    broken = _copy("broken/truncated.xlsx", tmp_path / "in", "truncated.xlsx")
    run_ingest([path, broken], engine=engine, workspace=workspace)
    with Session(engine) as session:
        files = session.exec(select(ReceivedFile).order_by(col(ReceivedFile.id))).all()
        raws = session.exec(select(Submission)).all()
    assert [(f.original_name, f.status, f.format) for f in files] == [
        ("googleforms.csv", "ingested", "googleforms"), ("truncated.xlsx", "error", None)]
    import hashlib

    for received, source in zip(files, [path, broken], strict=True):
        stored = workspace.stored_file(received.stored_path)
        assert stored.parent == workspace.outputs / "received"
        assert stored.name.startswith(received.sha256)
        assert stored.read_bytes() == source.read_bytes()
        assert received.sha256 == hashlib.sha256(source.read_bytes()).hexdigest()
    assert "damaged or truncated" in (files[1].error or "")
    # Each row kept raw under its original headers, before normalisation.
    assert raws[0].raw["Timestamp"] == "2022/11/30 10:39:41 PM GMT+1"
    assert raws[0].raw["Email Address"] == "matti.virtanen@rovaniemi.fi"


def test_resubmitted_questionnaire_becomes_version_2_and_keeps_history(engine, workspace, tmp_path):
    first = _copy("questionnaire.xlsx", tmp_path / "round1")
    run_ingest([first], engine=engine, workspace=workspace)
    corrected = _copy("questionnaire.xlsx", tmp_path / "round2", "questionnaire-korjattu.xlsx")
    set_answer(corrected, "Käytäntö 1", "goal", "Korjattu tavoite: lisätä yhteistyötä.")
    result = run_ingest([corrected], engine=engine, workspace=workspace)
    assert _outcomes(result) == [("Käytäntö 1", "new version"), ("Käytäntö 2", "already ingested"),
                                 ("Käytäntö 2 (2)", "already ingested"), ("Käytäntö 3", "empty")]
    with Session(engine) as session:
        practice = session.get(Practice, 1)
        versions = session.exec(select(PracticeVersion).where(PracticeVersion.practice_id == 1)
                                .order_by(col(PracticeVersion.version))).all()
    assert practice is not None and practice.current_version == 2
    assert [v.goal for v in versions] == [
        "Lisätä kuntien välistä yhteistyötä ja kokemusten vaihtoa.",
        "Korjattu tavoite: lisätä yhteistyötä."]
    listed = practices(engine)
    assert [(p["id"], p["version"]) for p in listed] == [(1, 2), (2, 1), (3, 1)]
    assert listed[0]["source"]["file"] == "questionnaire-korjattu.xlsx"


def test_new_version_after_a_decision_is_flagged_and_back_to_review(engine, workspace, tmp_path):
    run_ingest([_copy("msforms.xlsx", tmp_path / "a")], engine=engine, workspace=workspace)
    with Session(engine) as session:
        practice = session.get(Practice, 1)
        assert practice is not None
        practice.status, practice.decided_version = "approved", 1
        session.add(practice)
        session.commit()
    changed = tmp_path / "b" / "msforms.xlsx"
    changed.parent.mkdir()
    workbook = load_workbook(DATA / "msforms.xlsx")
    workbook.active.cell(row=2, column=12).value = "Uusi, tarkennettu kuvaus."  # the summary
    workbook.save(changed)
    result = run_ingest([changed], engine=engine, workspace=workspace)
    assert [o for _, o in _outcomes(result)] == ["new version", "already ingested",
                                                 "already ingested"]
    assert "back to review" in result.rows()[0]["reason"]
    listed = practices(engine)[0]
    assert listed["status"] == "new" and listed["version"] == 2
    assert "new-version-since-decision" in listed["flags"]
    assert listed["summary"] == "Uusi, tarkennettu kuvaus."


def test_limesurvey_incomplete_response_is_kept_raw_but_not_a_practice(engine, workspace, tmp_path):
    result = run_ingest([_copy("limesurvey-codes.csv", tmp_path)], engine=engine,
                        workspace=workspace)
    assert [(r["row"], r["outcome"]) for r in result.rows()] == [(2, "new"), (3, "incomplete")]
    with Session(engine) as session:
        incomplete = session.exec(select(Submission).where(Submission.status == "incomplete")).one()
    assert incomplete.raw["nimi"] == "Keskeneräinen käytäntö"
    assert incomplete.raw["submitdate"] == ""  # kept as received, every column
    assert [p["title"] for p in practices(engine)] == ["Taidetta terveysasemille"]
    assert not result.failed


def test_token_decides_the_municipality_and_partners_come_from_the_text(engine, workspace, tmp_path):
    from yhteistuumin_survey.tokens import get_or_create_token

    with Session(engine) as session:
        token = get_or_create_token(session=session, round_name="2024", municipality_code="091")
        session.commit()
    path = _copy("questionnaire.xlsx", tmp_path)
    workbook = load_workbook(path)
    for row in workbook["_meta"].iter_rows():
        if row[0].value == "token":
            row[1].value = token
    workbook.save(path)
    run_ingest([path], engine=engine, workspace=workspace)
    with Session(engine) as session:
        rows = session.exec(select(PracticeMunicipality.municipality_code,
                                   PracticeMunicipality.source)
                            .where(PracticeMunicipality.practice_id == 1)).all()
    # The token says Helsinki (over the metadata's 049); the answer names Espoo and Vantaa too.
    assert sorted(rows) == [("049", "text"), ("091", "token"), ("092", "text")]


def test_joint_practice_reported_by_each_partner_is_flagged_not_merged(engine, workspace, tmp_path):
    espoo = _copy("questionnaire.xlsx", tmp_path / "espoo")
    helsinki = tmp_path / "helsinki" / "questionnaire.xlsx"
    helsinki.parent.mkdir()
    workbook = load_workbook(espoo)
    for row in workbook["_meta"].iter_rows():
        if row[0].value == "municipality_code":
            row[1].value = "091"
        if row[0].value == "token":
            row[1].value = "tok-helsinki"
    for row in workbook["Käytäntö 1"].iter_rows():
        if row[2].value == "contact_name":
            row[1].value = "Helena Helsinkiläinen"
    workbook.save(helsinki)
    run_ingest([espoo], engine=engine, workspace=workspace)
    result = run_ingest([helsinki], engine=engine, workspace=workspace)
    first = result.rows()[0]
    assert (first["outcome"], first["practice_id"]) == ("duplicate candidate", 4)
    listed = {p["id"]: p for p in practices(engine)}
    assert "possible-duplicate:1" in listed[4]["flags"]
    assert listed[1]["version"] == 1  # Espoo's report is untouched


def test_unresolved_municipality_is_flagged_never_guessed(engine, workspace, tmp_path):
    path = tmp_path / "vastaukset.csv"
    path.write_text("Kunta;Käytännön nimi;Tavoite;Kenelle\n"
                    "Hogwarts;Taikakoulu;Oppia taikomaan;lapset\n"
                    ";Tyhjä kunta;Tavoite tässä;nuoret\n", encoding="utf-8")
    run_ingest([path], engine=engine, workspace=workspace)
    listed = practices(engine)
    assert [(p["municipalities"], p["municipality_text"]) for p in listed] == [
        ([], "Hogwarts"), ([], None)]
    assert all("municipality-unresolved" in p["flags"] for p in listed)


def test_ambiguous_municipality_is_flagged_with_no_guess(engine, workspace, tmp_path):
    path = tmp_path / "vastaukset.csv"
    path.write_text("Kunta;Käytännön nimi;Tavoite\nJoioinen;Kesäteatteri;Teatteria kaikille\n",
                    encoding="utf-8")
    run_ingest([path], engine=engine, workspace=workspace)
    listed = practices(engine)[0]
    assert listed["municipalities"] == []
    assert listed["municipality_text"] == "Joioinen"
    assert "municipality-ambiguous" in listed["flags"]
    assert "municipality-unresolved" not in listed["flags"]


def test_sender_domain_names_the_municipality_when_nothing_else_does(engine, workspace, tmp_path):
    result = run_ingest([_copy("mail-attachment-and-body.eml", tmp_path)], engine=engine,
                        workspace=workspace)
    assert [(r["file"].replace(f"{tmp_path}/", ""), r["outcome"]) for r in result.rows()] == [
        ("mail-attachment-and-body.eml", "new"),  # the practice typed into the message
        ("mail-attachment-and-body.eml » vastaus.csv (sent as '../../../etc/vastaus.csv')",
         "new")]
    with Session(engine) as session:
        sources = session.exec(select(PracticeMunicipality.source)).all()
        files = session.exec(select(ReceivedFile).order_by(col(ReceivedFile.id))).all()
        body = session.exec(select(Submission).where(Submission.locator == "body")).one()
    assert sources == ["sender-domain", "sender-domain"]
    assert [(f.original_name, f.sender, f.parent_id) for f in files] == [
        ("mail-attachment-and-body.eml", "liisa.laine@turku.fi", None),
        ("vastaus.csv", "liisa.laine@turku.fi", files[0].id)]
    assert files[0].message_time is not None and files[0].message_time.day == 8
    assert body.raw["answers"]["title"] == "Musiikkiluokka palvelutaloon"
    assert "Alkuperäinen viesti" not in "".join(body.raw["answers"].values())


def test_attachment_names_cannot_escape_the_archive_folder(engine, workspace, tmp_path):
    from email.message import EmailMessage

    message = EmailMessage()
    message["From"] = "kulttuuri@oulu.fi"
    message["Subject"] = "vastaus"
    message.set_content("liitteenä")
    for index, name in enumerate(["../../../../tmp/evil.csv", "..\\..\\win.csv", "/etc/passwd",
                                  "..", "con\x00trol.csv"]):
        message.add_attachment(f"Käytännön nimi,Tavoite\nTesti {index},Tavoite {index}\n".encode(),
                               maintype="text", subtype="csv", filename=name)
    path = tmp_path / "evil.eml"
    path.write_bytes(bytes(message))
    run_ingest([path], engine=engine, workspace=workspace)
    archive = (workspace.outputs / "received").resolve()
    with Session(engine) as session:
        stored = [workspace.stored_file(f.stored_path).resolve() for f in session.exec(select(ReceivedFile))]
        names = [f.original_name for f in session.exec(select(ReceivedFile))]
    assert len(stored) == 6
    assert all(archive in p.parents for p in stored)
    assert names[1:] == ["evil.csv", "win.csv", "passwd", "attachment-4", "control.csv"]
    assert not (tmp_path.parent / "evil.csv").exists()


def test_broken_files_each_get_a_reason_and_the_batch_goes_on(engine, workspace, tmp_path):
    folder = tmp_path / "inbox"
    shutil.copytree(DATA / "broken", folder)
    _copy("msforms.xlsx", folder)
    (folder / "vastaus.docx").write_bytes(b"PK\x03\x04 not really")
    # A letter saved under a workbook's name: read as a text table, it holds no questions.
    (folder / "muistio.xlsx").write_text("Hei,\nvastaamme kyselyyn ensi viikolla.\nTerveisin Matti\n",
                                         encoding="utf-8")
    result = run_ingest([folder], engine=engine, workspace=workspace)
    reasons = {Path(r["file"]).name: (r["outcome"], r["reason"]) for r in result.rows()
               if r["outcome"] == "error"}
    expected = {
        "empty.xlsx": "the file is empty",
        "encrypted.xlsx": "encrypted (password-protected)",
        "garbage.csv": "not a text table but binary data",
        "notes.csv": "no survey questions recognised",
        "muistio.xlsx": "not a spreadsheet but a text file; ask for the Excel file itself",
        "scan.xlsx": "not a spreadsheet but a PDF document",
        "truncated.xlsx": "damaged or truncated",
        "webpage.xlsx": "an HTML page saved under a spreadsheet's name",
        "zipbomb.xlsx": "zip bomb",
        "vastaus.docx": "is not read automatically",
    }
    assert set(reasons) == set(expected)
    for name, fragment in expected.items():
        assert fragment in reasons[name][1], name
        assert reasons[name][1].startswith(str(folder / name)), name
    assert [r["outcome"] for r in result.rows() if r["file"].endswith("msforms.xlsx")] == \
        ["new", "new", "new"]
    assert result.failed


def test_respondent_account_email_is_not_the_published_contact(engine, workspace, tmp_path):
    run_ingest([_copy("msforms.xlsx", tmp_path)], engine=engine, workspace=workspace)
    contacts = [p["contact"]["email"] for p in practices(engine)]
    assert contacts == ["eija.koski@espoo.example.fi", "matti.virtanen@rovaniemi.example.fi",
                        "liisa.laine@turku.example.fi"]
    with Session(engine) as session:
        keys = [s.response_key for s in session.exec(select(Submission)
                                                     .order_by(col(Submission.id)))]
    assert [k.rsplit(":", 1)[1] for k in keys if k] == ["1", "2", "3"]


def test_corrected_form_response_with_same_id_is_a_new_version(engine, workspace, tmp_path):
    run_ingest([_copy("msforms.xlsx", tmp_path / "a")], engine=engine, workspace=workspace)
    changed = tmp_path / "b" / "msforms.xlsx"
    changed.parent.mkdir()
    workbook = load_workbook(DATA / "msforms.xlsx")
    workbook.active.cell(row=3, column=8).value = "Kirjastoauto kylille ja saaristoon"  # title
    workbook.save(changed)
    result = run_ingest([changed], engine=engine, workspace=workspace)
    assert [o for _, o in _outcomes(result)] == ["already ingested", "new version",
                                                 "already ingested"]
    assert practices(engine)[1]["title"] == "Kirjastoauto kylille ja saaristoon"


def test_every_run_writes_a_finnish_workbook_report_of_every_file_and_row(engine, workspace,
                                                                          tmp_path):
    result = run_ingest([_copy("limesurvey-codes.csv", tmp_path), _copy("broken/scan.xlsx", tmp_path,
                                                                        "scan.xlsx")],
                        engine=engine, workspace=workspace)
    assert result.report_path is not None
    assert result.report_path.parent == workspace.outputs / "reports"
    assert result.report_path.suffix == ".xlsx"
    sheet = load_workbook(result.report_path).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0] == ["Tiedosto", "Välilehti", "Rivi", "Muoto", "Tulos", "Käytäntö", "Versio",
                       "Syy tai huomio"]
    assert [(Path(r[0]).name, r[2], r[4]) for r in rows[1:]] == [
        ("limesurvey-codes.csv", 2, "uusi"), ("limesurvey-codes.csv", 3, "puutteellinen"),
        ("scan.xlsx", None, "virhe")]
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:H4"
    # JSON keeps the English keys for machines
    assert [row["outcome"] for row in result.rows()] == ["new", "incomplete", "error"]


def test_forced_source_reads_a_file_that_auto_detection_would_misread(engine, workspace, tmp_path):
    path = tmp_path / "export.csv"
    path.write_text("Vastaajan tunnus,Käytännön nimi,Tavoite\n7,Runoilta,Runoja kaikille\n",
                    encoding="utf-8")
    result = run_ingest([path], engine=engine, workspace=workspace, source="table")
    assert result.rows()[0]["format"] == "table"
    with pytest.raises(Exception, match="unknown source"):
        run_ingest([path], engine=engine, workspace=workspace, source="typeform")


def test_outlook_msg_gives_sender_time_attachment_and_body(engine, workspace, tmp_path):
    result = run_ingest([_copy("mail-attachment-and-body.msg", tmp_path)], engine=engine,
                        workspace=workspace)
    assert [(r["format"], r["outcome"]) for r in result.rows()] == [("msg", "new"),
                                                                    ("table", "new")]
    with Session(engine) as session:
        files = session.exec(select(ReceivedFile).order_by(col(ReceivedFile.id))).all()
    assert [(f.original_name, f.sender, f.format) for f in files] == [
        ("mail-attachment-and-body.msg", "liisa.laine@turku.fi", "msg"),
        ("vastaus.csv", "liisa.laine@turku.fi", "table")]
    assert files[0].message_time is not None
    assert (files[0].message_time.month, files[0].message_time.day) == (3, 8)
    assert practices(engine)[0]["municipalities"] == ["853"]  # from the sender's domain


def test_worker_processes_give_the_same_records_in_file_order(engine, workspace, tmp_path,
                                                              monkeypatch, sqlite_template):
    import yhteistuumin_survey.ingest as ingest

    names = ["msforms.xlsx", "webropol.xlsx", "limesurvey-codes.csv", "questionnaire.xlsx"]
    folder = tmp_path / "in"
    for name in names:
        _copy(name, folder)
    monkeypatch.setattr(ingest, "PARALLEL_MIN_BYTES", 0)

    from fixtures_house import open_sqlite_copy

    from yhteistuumin_survey.config import load_settings

    settings = load_settings(workspace.root, env={})
    with Session(engine, expire_on_commit=False) as session:
        parallel = ingest.ingest_paths([folder], session=session, workspace=workspace,
                                       settings=settings, workers=2)
    alone = open_sqlite_copy(sqlite_template, tmp_path / "sequential.sqlite", workspace)
    with Session(alone, expire_on_commit=False) as session:
        sequential = ingest.ingest_paths([folder], session=session, workspace=workspace,
                                         settings=settings, workers=1)
    alone.dispose()
    keys = ("file", "sheet", "row", "outcome", "practice_id", "version")
    assert [[r[k] for k in keys] for r in parallel.rows()] == \
        [[r[k] for k in keys] for r in sequential.rows()]
    files = [Path(r["file"]).name for r in parallel.rows()]
    assert files == sorted(files)  # stored in the order of the files, whoever read them
    assert parallel.counts.get("error") is None and parallel.counts["new"] >= 4


def test_a_file_over_the_size_limit_is_recorded_but_not_opened(engine, workspace, tmp_path,
                                                               monkeypatch):
    import yhteistuumin_survey.tables as tables

    monkeypatch.setattr(tables, "MAX_FILE_BYTES", 1000)
    path = _copy("msforms.xlsx", tmp_path)
    result = run_ingest([path], engine=engine, workspace=workspace)
    assert result.rows()[0]["outcome"] == "error"
    assert "over the 0 MB limit; not opened" in result.rows()[0]["reason"]
    with Session(engine) as session:
        received = session.exec(select(ReceivedFile)).one()
    assert (received.status, received.stored_path, received.size) == ("error", "",
                                                                       path.stat().st_size)


def test_a_corrected_response_in_the_same_export_becomes_the_newer_version(engine, workspace,
                                                                           tmp_path):
    path = tmp_path / "Lomake (Responses).csv"
    path.write_text(
        '"Timestamp","Email Address","Käytännön nimi","Kunta","Tavoite"\n'
        '"2024/03/05 9:00:00 AM GMT+2","a@oulu.fi","Runoraati","Oulu","Korjattu tavoite"\n'
        '"2024/03/04 4:15:00 PM GMT+2","a@oulu.fi","Runoraati","Oulu","Ensimmäinen tavoite"\n'
        '"2024/03/04 5:00:00 PM GMT+2","b@oulu.fi","Lukudiplomi","Oulu","Lukemaan"\n',
        encoding="utf-8")
    result = run_ingest([path], engine=engine, workspace=workspace)
    assert [(r["row"], r["outcome"], r["practice_id"], r["version"]) for r in result.rows()] == [
        (2, "new version", 1, 2), (3, "new", 1, 1), (4, "new", 2, 1)]
    assert practices(engine)[0]["goal"] == "Korjattu tavoite"


def test_questionnaire_of_another_survey_or_a_newer_version_is_refused(engine, workspace,
                                                                       tmp_path):
    other = _copy("questionnaire.xlsx", tmp_path / "a")
    newer = _copy("questionnaire.xlsx", tmp_path / "b")
    for path, key, value in ((other, "survey_id", "toinen-kysely"), (newer, "survey_version", 9)):
        workbook = load_workbook(path)
        for row in workbook["_meta"].iter_rows():
            if row[0].value == key:
                row[1].value = value
        workbook.save(path)
    result = run_ingest([other, newer], engine=engine, workspace=workspace)
    reasons = [r["reason"] for r in result.rows()]
    assert "a questionnaire of survey 'toinen-kysely'" in reasons[0]
    assert "made with survey version 9, newer than" in reasons[1]
    assert practices(engine) == []


def test_zipped_google_download_is_unpacked_and_each_file_ingested(engine, workspace, tmp_path):
    import zipfile

    archive = tmp_path / "Hyvät käytännöt.csv.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.write(DATA / "googleforms.csv", "Hyvät käytännöt.csv")
        zipped.writestr("../../outside.csv", "Käytännön nimi,Tavoite\nRunoilta,Runoja\n")
        zipped.writestr("__MACOSX/._Hyvät käytännöt.csv", b"\x00\x05\x16\x07")
    result = run_ingest([archive], engine=engine, workspace=workspace)
    assert [(r["file"].replace(f"{tmp_path}/", ""), r["outcome"]) for r in result.rows()] == [
        ("Hyvät käytännöt.csv.zip » Hyvät käytännöt.csv", "new"),
        ("Hyvät käytännöt.csv.zip » Hyvät käytännöt.csv", "new"),
        ("Hyvät käytännöt.csv.zip » outside.csv (sent as '../../outside.csv')", "new")]
    with Session(engine) as session:
        files = session.exec(select(ReceivedFile).order_by(col(ReceivedFile.id))).all()
    assert [(f.original_name, f.parent_id, f.format) for f in files] == [
        ("Hyvät käytännöt.csv.zip", None, "zip"), ("Hyvät käytännöt.csv", files[0].id, "googleforms"),
        ("outside.csv", files[0].id, "table")]
    assert not (tmp_path.parent / "outside.csv").exists()


def test_questionnaire_copied_without_its_keys_and_metadata_reads_the_same(engine, workspace,
                                                                          tmp_path):
    path = _copy("questionnaire.xlsx", tmp_path)
    workbook = load_workbook(path)
    del workbook["_meta"]
    from openpyxl.cell.cell import MergedCell

    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            if len(row) > 2 and not isinstance(row[2], MergedCell):
                row[2].value = None  # the hidden keys, as a copy-paste into a new file loses
    workbook.save(path)
    result = run_ingest([path], engine=engine, workspace=workspace)
    assert [(r["sheet"], r["outcome"]) for r in result.rows()] == [
        ("Käytäntö 1", "new"), ("Käytäntö 2", "new"), ("Käytäntö 2 (2)", "new"),
        ("Käytäntö 3", "empty")]
    listed = practices(engine)
    assert listed[0]["source"]["format"] == "questionnaire-like"
    assert listed[0]["target_group"] == ["municipal_staff"]
    assert listed[1]["target_group"] == ["all_residents", "other:potilaat"]
    assert listed[0]["summary"].endswith("Lisäksi järjestetään verkkotapaamisia.")
    assert listed[0]["municipalities"] == ["049", "091", "092"]


def test_a_file_whose_reading_was_interrupted_is_read_on_the_next_run(engine, workspace,
                                                                       tmp_path):
    from yhteistuumin_survey.ingest.store import Store
    from yhteistuumin_survey.tables import sha256_file

    path = _copy("limesurvey-texts.csv", tmp_path)
    with Session(engine, expire_on_commit=False) as session:  # stored, then the process died
        Store(session, received_dir=workspace.output_dir("received")).receive(
            path, sha=sha256_file(path), name=path.name, size=path.stat().st_size, sender=None,
            message_time=None, parent_id=None)
    result = run_ingest([path], engine=engine, workspace=workspace)
    assert [r["outcome"] for r in result.rows()] == ["new"]
    assert table_counts(engine)["ReceivedFile"] == 1
    again = run_ingest([path], engine=engine, workspace=workspace)
    assert [r["outcome"] for r in again.rows()] == ["already ingested"]


def test_a_broken_file_sent_again_is_read_again_and_still_reported_as_an_error(engine, workspace,
                                                                              tmp_path):
    path = _copy("broken/webpage.xlsx", tmp_path, "webpage.xlsx")
    run_ingest([path], engine=engine, workspace=workspace)
    again = run_ingest([path], engine=engine, workspace=workspace)
    assert again.failed
    assert again.rows()[0]["reason"] == (
        f"{path}: an HTML page saved under a spreadsheet's name (a web system's Excel export); "
        "open it in Excel or LibreOffice, save it as .xlsx and use that file instead")
    assert again.rows()[1]["reason"] == f"{path}: failed before too (received file 1)"


def test_forcing_a_reader_on_a_file_it_cannot_read_names_file_and_sheet(engine, workspace,
                                                                       tmp_path):
    path = _copy("broken/notes.csv", tmp_path, "notes.csv")
    result = run_ingest([path], engine=engine, workspace=workspace, source="msforms")
    row = result.rows()[0]
    assert (row["outcome"], row["sheet"], row["format"]) == ("error", "notes", "msforms")
    assert row["reason"].startswith(f"{path}:notes: no column heading matches a survey question")
    assert result.failed


def test_finnish_microsoft_forms_headers_are_metadata_not_answers(engine, workspace, tmp_path):
    path = tmp_path / "Kysely.csv"
    path.write_text(
        "Tunnus;Aloitusaika;Valmistumisaika;Sähköposti;Nimi;Käytännön nimi;Tavoite;"
        "Kenelle käytäntö on suunnattu?;Yhteyshenkilön sähköposti\n"
        "1;4.9.2023 10.02.11;4.9.2023 10.31.40;vastaaja@kuopio.fi;Vastaaja Veera;Runopolku;"
        "Runoja luontoon;Lapset;Nuoret;;veera@kuopio.example.fi\n".replace("Lapset;Nuoret;;",
                                                                           '"Lapset;Nuoret;";'),
        encoding="utf-8")
    result = run_ingest([path], engine=engine, workspace=workspace)
    assert result.rows()[0]["format"] == "msforms"
    practice = practices(engine)[0]
    assert practice["title"] == "Runopolku"
    assert practice["target_group"] == ["children", "young_people"]
    assert practice["contact"]["email"] == "veera@kuopio.example.fi"
    assert practice["contact"]["name"] is None
    assert practice["municipalities"] == ["297"]  # from the respondent's domain: kuopio.fi


def test_a_sheet_with_practices_one_below_the_other_gives_each_practice(engine, workspace,
                                                                        tmp_path):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    for title, goal in (("Runopolku", "Runoja luontoon"), ("Taidelainaamo", "Taidetta kotiin")):
        sheet.append(["Kunta", "Kuopio"])
        sheet.append(["Käytännön nimi", title])
        sheet.append(["Tavoite", goal])
        sheet.append(["Kenelle", "kaikki"])
        sheet.append([])
    path = tmp_path / "käytännöt.xlsx"
    workbook.save(path)
    result = run_ingest([path], engine=engine, workspace=workspace)
    assert [(r["sheet"], r["outcome"]) for r in result.rows()] == [("Sheet", "new"),
                                                                   ("Sheet", "new")]
    assert [(p["title"], p["goal"], p["municipality_text"], p["source"]["locator"],
             p["source"]["sheet"], p["source"]["row"]) for p in practices(engine)] == [
        ("Runopolku", "Runoja luontoon", "Kuopio", "Sheet #1", "Sheet", None),
        ("Taidelainaamo", "Taidetta kotiin", "Kuopio", "Sheet #2", "Sheet", None)]


@pytest.mark.parametrize(("address", "codes"), [
    ("matti@espoo.fi", ["049"]), ("kirjasto@kirjasto.espoo.fi", ["049"]),
    ("kulttuuri@hel.fi", ["091"]), ("a@jyvaskyla.fi", ["179"]), ("a@gmail.com", []),
    ("a@kulttuuri.example.org", []), ("no-at-sign", []),
])
def test_sender_domain_names_a_municipality_only_when_it_is_one(engine, workspace, address,
                                                                codes):
    from yhteistuumin_survey.config import load_settings
    from yhteistuumin_survey.ingest import _Run

    with Session(engine) as session:
        run = _Run(session=session, workspace=workspace,
                   settings=load_settings(workspace.root, env={}), source="auto")
        assert run.domain_codes(address) == codes


def test_new_version_keeps_the_reviewers_corrected_municipalities(engine, workspace, tmp_path):
    run_ingest([_copy("msforms.xlsx", tmp_path / "a")], engine=engine, workspace=workspace)
    with Session(engine) as session:  # as review import leaves a corrected list
        row = session.get(PracticeMunicipality, (2, "698"))
        assert row is not None
        row.source, row.submitted_source = "reviewer", "text"
        session.add(row)
        session.add(PracticeMunicipality(practice_id=2, municipality_code="091",
                                         source="reviewer"))
        practice = session.get(Practice, 2)
        assert practice is not None
        practice.status, practice.decided_version = "approved", 1
        session.add(practice)
        session.commit()
    changed = tmp_path / "b" / "msforms.xlsx"
    changed.parent.mkdir()
    workbook = load_workbook(DATA / "msforms.xlsx")
    workbook.active.cell(row=3, column=7).value = "Rovaniemi ja Sodankylä"  # municipalities
    workbook.save(changed)
    result = run_ingest([changed], engine=engine, workspace=workspace)
    assert [o for _, o in _outcomes(result)] == ["already ingested", "new version",
                                                 "already ingested"]
    with Session(engine) as session:
        rows = session.exec(select(PracticeMunicipality.municipality_code,
                                   PracticeMunicipality.source, PracticeMunicipality.superseded)
                            .where(PracticeMunicipality.practice_id == 2)).all()
    assert sorted(rows) == [("091", "reviewer", False), ("698", "reviewer", False),
                            ("758", "text", True)]
    listed = practices(engine)[1]
    assert listed["status"] == "new" and "new-version-since-decision" in listed["flags"]
    assert listed["municipalities"] == ["091", "698"]  # the reviewers' list stays in force


def test_google_form_with_sentence_questions_fills_the_right_fields(engine, workspace, tmp_path):
    path = tmp_path / "Lomakevastaukset.csv"
    path.write_text(
        '"Aikaleima","Sähköpostiosoite","Missä kunnissa käytäntö on käytössä?",'
        '"Mikä on hyvän käytännön nimi?","Kenelle käytäntö on tarkoitettu?",'
        '"Kuvaile käytäntöä lyhyesti","Mitä resursseja käytäntö vaatii?",'
        '"Yhteyshenkilön nimi","Saako yhteystiedot julkaista verkkosivuilla?"\n'
        '"2026/03/05 2:15:01 PM GMT+2","vastaaja@gmail.com","Joensuu","Kuorolaulu",'
        '"Ikääntyneet","Kuoro laulaa palvelutaloissa.","Kuoronjohtaja","Liisa Laulaja","Kyllä"\n',
        encoding="utf-8")
    result = run_ingest([path], engine=engine, workspace=workspace)
    assert [row["format"] for row in result.rows()] == ["googleforms"]
    practice = practices(engine)[0]
    assert practice["title"] == "Kuorolaulu"
    assert practice["summary"] == "Kuoro laulaa palvelutaloissa."
    assert practice["resources"] == "Kuoronjohtaja"
    assert practice["target_group"] == ["older_people"]
    assert practice["municipalities"] == ["167"]
    assert practice["contact"] == {"name": "Liisa Laulaja", "email": None, "phone": None,
                                   "publish_consent": True, "consent": "yes"}


def test_microsoft_forms_with_an_unlisted_time_heading_keeps_account_columns_as_metadata(
        engine, workspace, tmp_path):
    # "Avslutad" is in no profile: four of the five fixed columns still say Microsoft Forms.
    path = tmp_path / "Formulär.csv"
    path.write_text(
        "ID;Starttid;Avslutad;E-post;Namn;Praxisens namn;Mål;Kontaktpersonens e-post\n"
        "1;4.9.2023 10.02.11;4.9.2023 10.31.40;anna@korsholm.fi;Anna Andersson;Kulturkompis;"
        "Mindre ensamhet;kontakt@korsholm.fi\n", encoding="utf-8")
    result = run_ingest([path], engine=engine, workspace=workspace)
    assert [row["format"] for row in result.rows()] == ["msforms"]
    practice = practices(engine)[0]
    assert practice["title"] == "Kulturkompis"
    assert practice["contact"]["email"] == "kontakt@korsholm.fi"
    assert practice["contact"]["name"] is None


def test_a_note_typed_beside_an_answer_is_kept_for_reviewers_never_joined(engine, workspace,
                                                                          tmp_path):
    from yhteistuumin_survey.review.common import flag_words

    path = _copy("questionnaire.xlsx", tmp_path)
    workbook = load_workbook(path)
    sheet = workbook["Käytäntö 1"]
    rows = {row[2].value: row[0].row for row in sheet.iter_rows() if len(row) > 2}
    sheet.cell(rows["title"], 2, "Kirjastojen satutunnit")
    sheet.cell(rows["title"], 4, "Huom: nimi voi muuttua")
    long = "Satutunteja pidetään joka viikko. " * 6
    sheet.cell(rows["summary"], 2, long)  # a long answer over merged cells B:D
    sheet.merge_cells(start_row=rows["summary"], start_column=2, end_row=rows["summary"],
                      end_column=4)
    sheet.cell(rows["goal"], 2).value = None
    sheet.cell(rows["goal"], 4, "Lukuinto lapsille.")  # the answer typed one cell off
    sheet.cell(rows["implementation"], 2).value = None
    sheet.cell(rows["implementation"], 3, "Kirjastonhoitaja lukee.")  # typed over the key
    workbook.save(path)
    run_ingest([path], engine=engine, workspace=workspace)
    first = practices(engine)[0]
    assert first["title"] == "Kirjastojen satutunnit"
    # The row added under it in the file still continues it.
    assert first["summary"] == long.strip() + "\nLisäksi järjestetään verkkotapaamisia."
    assert first["goal"] == "Lukuinto lapsille."
    assert first["implementation"] == "Kirjastonhoitaja lukee."
    assert first["benefits"] == "Vertaistukea ja uusia ideoita."  # its D note is not in it
    notes = [flag for flag in first["flags"] if flag.startswith("note:")]
    assert notes == ["note:title:Huom: nimi voi muuttua",
                     "note:benefits:HUOM: hyödyt arvioitu 2023"]
    assert flag_words(notes[:1], labels={"title": "Käytännön nimi"}) == [
        "Käytännön nimi: vastauksen ohessa oli lisäksi kirjoitettu: Huom: nimi voi muuttua"]


def test_two_columns_for_one_field_keep_the_stronger_and_set_the_weaker_aside(engine, workspace,
                                                                               tmp_path):
    from openpyxl import Workbook
    from sqlmodel import Session

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Kunta", "Mihin käytäntö liittyy?", "Käytännön nimi", "Keitä käytäntö koskee?",
                  "Tavoite"])
    sheet.append(["Kuopio", "Kirjastoon", "Satutunnit", "Lapset", "Lukuinto"])
    path = tmp_path / "taulukko.xlsx"
    workbook.save(path)
    result = run_ingest([path], engine=engine, workspace=workspace)
    listed = practices(engine)
    assert [(p["title"], p["target_group"], p["goal"]) for p in listed] == [
        ("Satutunnit", ["children"], "Lukuinto")]
    columns = {m.header: m for m in result.mappings[0].columns}
    aside = columns["Mihin käytäntö liittyy?"]
    assert (aside.target, aside.method) == ("", "set aside")
    assert aside.note == "contains for title, weaker than 'Käytännön nimi'; its text kept raw"
    assert columns["Käytännön nimi"].target == "title"
    assert columns["Keitä käytäntö koskee?"].target == "target_group"
    with Session(engine) as session:
        raw = session.exec(select(Submission.raw)).one()
    assert raw["Mihin käytäntö liittyy?"] == "Kirjastoon"


def test_a_contact_spread_over_two_columns_is_read_whole(engine, workspace, tmp_path):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Kunta", "Käytännön nimi", "Yhteyshenkilö", "Yhteystiedot"])
    sheet.append(["Kuopio", "Satutunnit", "Pekka Puupää", "pekka.puupaa@kuopio.fi, 040 123 4567"])
    path = tmp_path / "taulukko.xlsx"
    workbook.save(path)
    run_ingest([path], engine=engine, workspace=workspace)
    [listed] = practices(engine)
    assert {k: listed["contact"][k] for k in ("name", "email", "phone")} == {
        "name": "Pekka Puupää", "email": "pekka.puupaa@kuopio.fi", "phone": "+358 40 1234567"}


_SPLIT_HEADINGS = "Aikaleima;Kunta;Käytännön nimi;Tavoite;Yhteyshenkilö;Sähköposti\n"


def test_a_row_split_by_an_unquoted_separator_is_flagged_not_read_as_it_fell(
        engine, workspace, tmp_path):
    # The goal held a semicolon in a file separated by semicolons, unquoted: the rest of the
    # row slid a column to the right (the contact's name under the address, and so on).
    path = tmp_path / "vastaukset.csv"
    path.write_text(_SPLIT_HEADINGS
                    + "1.3.2024 10:00;Espoo;Lukupiiri;Tavoitteena on lukeminen; ja yhdessäolo;"
                      "Eija Koski;eija.koski@espoo.fi\n"
                    + "2.3.2024 11:00;Turku;Kuoro;Laulaminen yhdessä;Liisa Laine;"
                      "liisa.laine@turku.fi\n"
                    + "3.3.2024 12:00;Oulu;Runoilta;Runoja yhdessä;Matti Virtanen;"
                      "matti.virtanen@ouka.fi\n", encoding="utf-8")
    run_ingest([path], engine=engine, workspace=workspace)

    flags = {p["title"]: p["flags"] for p in practices(engine)}
    shifted = 'unsure:row:row-cells-shifted{"cells":7,"usual":6}'
    assert shifted in flags["Lukupiiri"]
    assert not any("row-cells-shifted" in f for f in flags["Kuoro"] + flags["Runoilta"])


def test_a_column_of_notes_without_a_heading_on_every_row_is_no_split_row(
        engine, workspace, tmp_path):
    # Every row has a seventh cell, which no heading names: a column of notes, not a split
    # answer; each is kept as a note (``note:column 7``), no row is flagged as shifted. (The
    # blank lines at the end count as no rows: not as three rows of no cells.)
    path = tmp_path / "vastaukset.csv"
    path.write_text(_SPLIT_HEADINGS
                    + "1.3.2024 10:00;Espoo;Lukupiiri;Lukeminen;Eija Koski;"
                      "eija.koski@espoo.fi;Soitettu maaliskuussa\n"
                    + "2.3.2024 11:00;Turku;Kuoro;Laulaminen;Liisa Laine;"
                      "liisa.laine@turku.fi;Kysytty lupa\n" + "\n" * 3, encoding="utf-8")
    run_ingest([path], engine=engine, workspace=workspace)

    found = practices(engine)
    assert sorted(p["title"] for p in found) == ["Kuoro", "Lukupiiri"]
    for practice in found:
        assert not any("row-cells-shifted" in f for f in practice["flags"])
        assert any(f.startswith("note:column 7:") for f in practice["flags"])


def test_a_row_broken_by_an_unquoted_line_break_is_flagged_and_its_rest_is_no_practice(
        engine, workspace, tmp_path):
    # The goal held a line break, unquoted: the row ends in the middle of it, and the next
    # line (the rest of the goal, the contact) would read as a practice titled by an address.
    path = tmp_path / "vastaukset.csv"
    path.write_text(_SPLIT_HEADINGS
                    + "1.3.2024 10:00;Espoo;Lukupiiri;Tavoitteena on lukeminen\n"
                    + "ja yhdessäolo;Eija Koski;eija.koski@espoo.fi\n"
                    + "2.3.2024 11:00;Turku;Kuoro;Laulaminen yhdessä;Liisa Laine;"
                      "liisa.laine@turku.fi\n", encoding="utf-8")
    result = run_ingest([path], engine=engine, workspace=workspace)

    flags = {p["title"]: p["flags"] for p in practices(engine)}
    assert set(flags) == {"Lukupiiri", "Kuoro"}  # no practice titled eija.koski@espoo.fi
    assert 'unsure:row:row-line-broken{"cells":4,"usual":6,"rest":"3"}' in flags["Lukupiiri"]
    assert not any("row-line-broken" in f for f in flags["Kuoro"])
    rest = [r for r in result.rows() if r["row"] == 3]
    assert [r["outcome"] for r in rest] == ["incomplete"]
    # counted as what it is, not as an unfinished response
    assert result.summary()[0] == ("1 file: 2 new practices, 1 rest of a row broken by a "
                                   "line break (the row is flagged)")
    assert rest[0]["reason"].startswith("the row seems to be the rest of row 2")


@pytest.mark.parametrize("rows, titles", [
    # Two short rows add up to a whole row's cells, but the third is short too and adds up
    # with nothing: the file's rows stop at their last answer (some programs leave a row's
    # empty cells at its end out), and none is taken for a part of a broken row.
    (["1.3.2024 10:00;Espoo;Lukupiiri;Lukeminen", "2.3.2024 11:00;Turku;Kuoro",
      "3.3.2024 12:00;Oulu;Runoilta;Runoja yhdessä;Matti Virtanen"],
     ["Kuoro", "Lukupiiri", "Runoilta", "Tanssit"]),
    # The two short rows add up to a whole row's cells, but the second begins with a time as
    # every row does: a row of its own (its empty cells left out), not a broken row's rest.
    (["1.3.2024 10:00;Espoo;Lukupiiri;Lukeminen", "2.3.2024 11:00;Turku;Kuoro"],
     ["Kuoro", "Lukupiiri", "Tanssit"]),
], ids=["a-third-short-row", "each-begins-as-a-row"])
def test_short_rows_of_the_files_own_are_not_taken_for_a_broken_row(
        rows, titles, engine, workspace, tmp_path):
    path = tmp_path / "vastaukset.csv"
    path.write_text(_SPLIT_HEADINGS + "".join(f"{row}\n" for row in rows)
                    + "4.3.2024 13:00;Vaasa;Tanssit;Tanssia;Anna Berg;anna.berg@vaasa.fi\n",
                    encoding="utf-8")
    run_ingest([path], engine=engine, workspace=workspace)

    found = practices(engine)
    assert sorted(p["title"] for p in found) == titles
    assert not any("row-line-broken" in f or "row-cells-shifted" in f
                   for p in found for f in p["flags"])
