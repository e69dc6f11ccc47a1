"""A fourth pass at the answers: files crafted the way municipalities send them, ingested into
a real database and read back (what came out, and what the reviewer is told).

Nothing a municipality sent may be silently lost or changed; what is unsure is flagged.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from ingest_support import questionnaire_copy, run_ingest, set_answer
from sqlmodel import Session, select

from yhteistuumin_survey.db.models import Practice, PracticeVersion
from yhteistuumin_survey.flags import describe


def _reread(paths: list[Path], *, engine: Any, workspace: Any, all_files: bool = False) -> Any:
    from yhteistuumin_survey.config import load_settings
    from yhteistuumin_survey.ingest import ingest_paths

    settings = load_settings(workspace.root, env={})
    with Session(engine, expire_on_commit=False) as session:
        return ingest_paths(paths, session=session, workspace=workspace, settings=settings,
                            reread=True, reread_all=all_files)


def _read_wrongly(engine: Any, practice_id: int, **values: Any) -> None:
    """Make the stored reading what an older version read: these fields otherwise."""
    with Session(engine) as session:
        version = session.exec(select(PracticeVersion).where(
            PracticeVersion.practice_id == practice_id)).one()
        for name, value in values.items():
            setattr(version, name, value)
        session.add(version)
        session.commit()


def _decide(engine: Any, practice_id: int, status: str = "approved") -> None:
    with Session(engine) as session:
        practice = session.get(Practice, practice_id)
        assert practice is not None
        practice.status, practice.decided_version = status, practice.current_version
        session.add(practice)
        session.commit()


def _versions(engine: Any, practice_id: int) -> list[PracticeVersion]:
    with Session(engine) as session:
        return list(session.exec(select(PracticeVersion).where(
            PracticeVersion.practice_id == practice_id).order_by(PracticeVersion.version)))


def _one_practice(engine: Any, title: str) -> int:
    from ingest_support import practices_by_title

    return int(practices_by_title(engine)[title]["id"])


TITLE = "Kuntien välinen yhteistyö aluetyössä"


# --- reading a file again (ingest --reread) -----------------------------------------------------


def test_a_file_read_before_is_read_again_and_an_undecided_practice_takes_the_new_reading(
        sqlite_engine, workspace, tmp_path):
    path = questionnaire_copy(tmp_path / "in")
    run_ingest([path], engine=sqlite_engine, workspace=workspace)
    practice_id = _one_practice(sqlite_engine, TITLE)
    _read_wrongly(sqlite_engine, practice_id, contact_phone=None, goal="Lisätä")

    again = run_ingest([path], engine=sqlite_engine, workspace=workspace)
    assert {r["outcome"] for r in again.rows()} == {"already ingested"}
    assert "ingest --reread" in again.rows()[0]["reason"]

    result = _reread([path], engine=sqlite_engine, workspace=workspace)

    rows = {r["practice_id"]: r for r in result.rows() if r["practice_id"]}
    assert rows[practice_id]["outcome"] == "new version"
    assert "differs from the earlier reading in goal, contact_phone" in \
        rows[practice_id]["reason"]
    versions = _versions(sqlite_engine, practice_id)
    assert [v.version for v in versions] == [1, 2]
    assert versions[-1].contact_phone and versions[-1].goal.startswith("Lisätä kuntien")
    with Session(sqlite_engine) as session:
        assert session.get(Practice, practice_id).status == "new"
    note = [r for r in result.rows() if r["outcome"] == "note" and "read again" in r["reason"]]
    assert len(note) == 1 and "1 new version" in note[0]["reason"]
    # The other sheets read as before: nothing new made of them.
    assert not [r for r in result.rows() if r["outcome"] in ("new", "duplicate candidate")]


def test_a_decided_practice_keeps_its_decision_and_the_difference_is_flagged(
        engine, workspace, tmp_path):
    """On SQLite and PostgreSQL (the flags are written into the stored JSON)."""
    path = questionnaire_copy(tmp_path / "in")
    run_ingest([path], engine=engine, workspace=workspace)
    practice_id = _one_practice(engine, TITLE)
    _read_wrongly(engine, practice_id, contact_phone=None)
    _decide(engine, practice_id)

    result = _reread([path], engine=engine, workspace=workspace)

    row = next(r for r in result.rows() if r["practice_id"] == practice_id
               and r["outcome"] != "note")
    assert row["outcome"] == "decision kept" and "contact_phone" in row["reason"]
    versions = _versions(engine, practice_id)
    assert len(versions) == 1 and versions[0].contact_phone is None  # not overwritten
    with Session(engine) as session:
        practice = session.get(Practice, practice_id)
        assert (practice.status, practice.decided_version) == ("approved", 1)
    flag = next(f for f in versions[0].flags if "reread-differs" in f)
    said = describe(flag, "fi")
    assert said.startswith("Puhelin: tiedosto luettiin uudelleen") and "'+358" in said
    assert "'–'" in said and "päätetty" in said
    # The report workbook says it in Finnish, with its flag.
    from openpyxl import load_workbook

    sheet = load_workbook(result.report_path).active
    cells = [[c.value for c in r] for r in sheet.iter_rows(min_row=2)]
    kept = next(r for r in cells if r[4] == "päätös pysyy")
    assert kept[7].startswith("Luettiin uudelleen: eroaa versiosta 1 kentissä Puhelin.")
    assert "Tarkistettavaa: Puhelin: tiedosto luettiin uudelleen" in kept[7]
    note = next(r for r in cells if r[4] == "huomio")
    assert note[7].endswith(": luettiin uudelleen (vastaanotettu tiedosto 1): päätös pysyy 1, "
                            "luettu jo aiemmin 2, tyhjä 1.")

    # Read again once more: nothing new to say, nothing flagged twice.
    _reread([path], engine=engine, workspace=workspace)
    versions = _versions(engine, practice_id)
    assert len(versions) == 1
    assert sum("reread-differs" in f for f in versions[0].flags) == 1


def test_reread_all_reads_every_received_file_from_its_kept_copy(sqlite_engine, workspace,
                                                                tmp_path):
    path = questionnaire_copy(tmp_path / "in")
    run_ingest([path], engine=sqlite_engine, workspace=workspace)
    practice_id = _one_practice(sqlite_engine, TITLE)
    _read_wrongly(sqlite_engine, practice_id, contact_name=None)
    path.unlink()  # the coordinator's copy is gone; outputs/received keeps one

    result = _reread([], engine=sqlite_engine, workspace=workspace, all_files=True)

    assert any(r["practice_id"] == practice_id and r["outcome"] == "new version"
               for r in result.rows())
    assert _versions(sqlite_engine, practice_id)[-1].contact_name == "Eija Koski"


def test_a_reading_unchanged_but_newly_flagged_puts_the_flag_on_the_practice(
        sqlite_engine, workspace, tmp_path):
    path = questionnaire_copy(tmp_path / "in")
    set_answer(path, "Käytäntö 1", "contact_phone", "09 123 4567 / 123")
    run_ingest([path], engine=sqlite_engine, workspace=workspace)
    practice_id = _one_practice(sqlite_engine, TITLE)
    stored = _versions(sqlite_engine, practice_id)[0]
    # An older version did not flag the extension.
    _read_wrongly(sqlite_engine, practice_id,
                  flags=[f for f in stored.flags if "phone-extra" not in f])
    _decide(sqlite_engine, practice_id)

    result = _reread([path], engine=sqlite_engine, workspace=workspace)

    row = next(r for r in result.rows() if r["practice_id"] == practice_id
               and r["outcome"] != "note")
    assert row["outcome"] == "already ingested" and "new flags put on it: 1" in row["reason"]
    flags = _versions(sqlite_engine, practice_id)[0].flags
    assert any("phone-extra" in f for f in flags)


def test_a_message_text_left_to_read_by_an_earlier_reading_is_replaced_by_what_this_one_read(
        sqlite_engine, workspace, tmp_path):
    from email.message import EmailMessage

    from ingest_support import practices_by_title

    from yhteistuumin_survey.db.models import ReceivedFile, Submission
    from yhteistuumin_survey.ingest.store import list_to_read

    questionnaire = questionnaire_copy(tmp_path / "src")
    message = EmailMessage()
    message["From"] = "kulttuuri@espoo.fi"
    message["Subject"] = "Vastaus"
    message.set_content("Liitteenä vastauksemme.")
    message.add_attachment(questionnaire.read_bytes(), maintype="application",
                           subtype="octet-stream", filename="vastaus.xlsx")
    path = tmp_path / "in" / "vastaus.eml"
    path.parent.mkdir()
    path.write_bytes(bytes(message))
    run_ingest([path], engine=sqlite_engine, workspace=workspace)
    # An older version never reached the attachment and left the message to read by hand.
    with Session(sqlite_engine) as session:
        mail = session.exec(select(ReceivedFile).where(
            ReceivedFile.original_name == "vastaus.eml")).one()
        session.add(Submission(received_file_id=mail.id, locator="body", format="eml",
                               raw={"body": "Liitteenä vastauksemme."}, status="to-read",
                               reason="no attachment and no answer recognised in the text"))
        session.commit()
        assert len(list_to_read(session=session)) == 1

    result = _reread([path], engine=sqlite_engine, workspace=workspace)

    with Session(sqlite_engine) as session:
        assert list_to_read(session=session) == []
    note = next(r for r in result.rows() if r["file"] == str(path) and r["outcome"] == "note")
    assert "message texts the earlier reading left to read by hand no longer listed: 1" in \
        note["reason"]
    assert TITLE in practices_by_title(sqlite_engine)
    # The attachment inside was read again too, and found unchanged.
    inner = [r for r in result.rows() if r["file"].endswith("» vastaus.xlsx")
             and r["outcome"] != "note"]
    assert inner and {r["outcome"] for r in inner} <= {"already ingested", "empty"}


def test_a_message_to_read_read_again_is_listed_once(sqlite_engine, workspace, tmp_path):
    from email.message import EmailMessage

    from yhteistuumin_survey.ingest.store import list_to_read

    message = EmailMessage()
    message["From"] = "kulttuuri@espoo.fi"
    message["Subject"] = "Kysymys"
    message.set_content("Kuka kyselyyn vastaa meillä? Soitan huomenna.")
    path = tmp_path / "kysymys.eml"
    path.write_bytes(bytes(message))
    run_ingest([path], engine=sqlite_engine, workspace=workspace)

    result = _reread([path], engine=sqlite_engine, workspace=workspace)

    assert [r["outcome"] for r in result.rows()] == ["to-read", "note"]
    with Session(sqlite_engine) as session:
        assert len(list_to_read(session=session)) == 1


def test_reread_on_the_command_line_says_what_changed(cli, tmp_path):
    path = questionnaire_copy(tmp_path / "in")
    assert cli("ingest", str(path)).exit_code == 0
    again = cli("ingest", str(path))
    assert "already ingested" in again.stdout

    result = cli("ingest", "--reread", str(path), "--format", "json")

    assert result.exit_code == 0, result.output
    import json

    items = json.loads(result.stdout)["items"]
    assert any(i["outcome"] == "note" and "read again (received file 1)" in i["reason"]
               for i in items)
    assert cli("ingest", "--reread-all").exit_code == 0


# --- the ingest report's reasons in the round's language, with codes in JSON -------------------


def _reasons_of(path: Path) -> list[dict[str, Any]]:
    from openpyxl import load_workbook

    sheet = load_workbook(path).worksheets[0]
    heads = [cell.value for cell in sheet[1]]
    return [dict(zip(heads, (c.value for c in row), strict=True))
            for row in sheet.iter_rows(min_row=2)]


def test_the_ingest_report_says_its_outcome_reasons_in_finnish_and_swedish(
        sqlite_engine, workspace, tmp_path):
    from yhteistuumin_survey.ingest import write_report_csv

    path = questionnaire_copy(tmp_path / "in")
    result = run_ingest([path], engine=sqlite_engine, workspace=workspace)

    finnish = " | ".join(str(r["Syy tai huomio"] or "") for r in _reasons_of(result.report_path))
    assert "Vastaustunnistetta ei tunnisteta" in finnish
    assert "Vastaussolujen ulkopuolelle kirjoitettu teksti säilytettiin" in finnish
    assert "Mitään ei ole täytetty; ei käytäntö." in finnish
    for english in ("unknown response token", "text outside the answer cells",
                    "nothing filled in"):
        assert english not in finnish
    (tmp_path / "sv").mkdir()
    swedish = " | ".join(str(r["Orsak eller anmärkning"] or "") for r in _reasons_of(
        write_report_csv(result, tmp_path / "sv", lang="sv")))
    assert "Svarskoden känns inte igen" in swedish and "Inget är ifyllt; ingen praxis." in swedish
    # The command line keeps the English; JSON has each part's code and the flags' codes.
    rows = result.rows()
    assert any("unknown response token" in str(r["reason"]) for r in rows)
    items = result.to_dict()["items"]
    first = next(i for i in items if i["sheet"] == "Käytäntö 1")
    assert [p["code"] for p in first["reasons"]] == ["text-outside-cells", "token-unknown"]
    assert {f["code"] for f in first["flags"]} >= {"token-unknown"}
    empty = next(i for i in items if i["outcome"] == "empty")
    assert empty["reasons"] == [{"code": "nothing-filled", "args": {},
                                 "text": "nothing filled in; not a practice"}]


def test_a_reason_no_code_makes_stays_as_it_is_in_the_finnish_report() -> None:
    from yhteistuumin_survey.outcomes import describe, en

    mixed = f"{en('token-unknown')}; vastaus.xlsx: something new; {en('same-content', id=3, version=2)}"
    assert describe(mixed, "fi") == ("Vastaustunnistetta ei tunnisteta (sitä ei ole lähetetty "
                                     "tästä työtilasta). vastaus.xlsx: something new; Sama "
                                     "sisältö kuin käytännön 3 versiossa 2.")
    older = en("same-content-older", id=3, version=1, newer=2)
    assert describe(older, "sv").startswith("Samma innehåll som version 1 av praxis 3 (kommit")


def test_every_reason_code_reads_back_from_its_english_and_says_finnish_words(voikko) -> None:
    import re

    from yhteistuumin_survey.outcomes import REASON_TEXTS, describe, en, parse

    unknown = set()
    for code, text in REASON_TEXTS.items():
        english = en(code, **text.example)
        assert parse(english) == [(code, {k: str(v) for k, v in text.example.items()}, english)]
        finnish, swedish = describe(english, "fi"), describe(english, "sv")
        assert len({finnish, swedish, english}) == 3, code
        assert (finnish[0].isupper() or text.fi.startswith("{")) and finnish.endswith("."), \
            finnish  # a sentence, or one that starts with the file it is about
        # (What is typed at the prompt is no Finnish: a command in quotes, an option's value.)
        words = re.sub(r"\{[a-z_]+\}|\([a-z -]*--[a-z -]*\)|survey/keywords\.yaml|ingest --reread"
                       r"|'yhteistuumin [^']*'|--source table"
                       # names of programs, their menus and files, as the user sees them
                       r"|\b(?:LimeSurvey|Outlook)\w*|Export > Survey structure|winmail\.dat"
                       r"|\(?ingest --structure FILE\.lss\)?|\.(?:lss|csv|xlsx)|outputs/received"
                       r"|survey/questions\.yaml|\(zip\)|\(Ctrl-C\)|\[limits\] max_\w+"
                       # file formats and programs by the names their menus give them
                       r"|\bXML-|\bHTML-|\bDOCTYPE\b|\bCSV(?: UTF-8)?\b|\bExcel\w*",
                       " ", text.fi)
        unknown |= {word for word in re.findall(r"[^\W\d_]+(?:-[^\W\d_]+)*", words)
                    if not voikko.spell(word)}
    assert unknown == set()


# --- the text of a Rich Text message, only inside winmail.dat ---------------------------------


def _tnef_attribute(level: int, ident: int, kind: int, data: bytes) -> bytes:
    import struct

    return (struct.pack("<BHHI", level, ident, kind, len(data)) + data
            + struct.pack("<H", sum(data) & 0xFFFF))


def _winmail_with_rtf(rtf: bytes, files: list[tuple[str, bytes]] = ()) -> bytes:
    """winmail.dat as Outlook writes it for a message in Rich Text format: the message's body
    as compressed RTF (MAPI property PR_RTF_COMPRESSED), then its files."""
    import struct

    import compressed_rtf

    body = compressed_rtf.compress(rtf, compressed=True)
    padding = b"\0" * ((4 - len(body) % 4) % 4)
    props = struct.pack("<IHHII", 1, 0x0102, 0x1009, 1, len(body)) + body + padding
    stream = b"\x78\x9f\x3e\x22" + struct.pack("<H", 0x1234)
    stream += _tnef_attribute(1, 0x9006, 0x0008, struct.pack("<I", 0x00010000))
    stream += _tnef_attribute(1, 0x9007, 0x0006, struct.pack("<II", 1252, 0))
    stream += _tnef_attribute(1, 0x9003, 0x0006, props)
    for name, data in files:
        stream += _tnef_attribute(2, 0x9002, 0x0006, bytes(14))
        stream += _tnef_attribute(2, 0x8010, 0x0001, name.encode("cp1252") + b"\0")
        stream += _tnef_attribute(2, 0x800F, 0x0006, data)
    return stream


def _only_winmail(path: Path, winmail: bytes, *, single_part: bool = False) -> Path:
    """A message whose only part is winmail.dat (no plain-text part beside it): in a
    multipart/mixed message, or as the message itself."""
    from email.message import EmailMessage

    message = EmailMessage()
    message["From"] = "kulttuuri@vantaa.fi"
    message["Subject"] = "Vastaus kyselyyn"
    if single_part:
        message.set_content(winmail, maintype="application", subtype="ms-tnef",
                            disposition="attachment", filename="winmail.dat")
    else:
        message.add_attachment(winmail, maintype="application", subtype="ms-tnef",
                               filename="winmail.dat")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(bytes(message))
    return path


RTF_ANSWERS = (rb"{\rtf1\ansi\ansicpg1252\deff0{\fonttbl{\f0\fswiss Calibri;}}"
               rb"\viewkind4\uc1\pard\f0\fs22 Hei,\par\par "
               rb"K\'e4yt\'e4nn\'f6n nimi: Lukupiiri ik\'e4ihmisille\par "
               rb"Tavoite: V\'e4hent\'e4\'e4 yksin\'e4isyytt\'e4.\par "
               rb"Hyv\'e4 k\'e4yt\'e4nt\'f6 p\'e4hkin\'e4nkuoressa: Kirjasto kokoaa "
               rb"lukupiirin kerran kuussa.\par }")


@pytest.mark.parametrize("single_part", [False, True], ids=["mixed", "single-part"])
def test_answers_typed_in_a_rich_text_message_only_inside_winmail_dat_are_read(
        sqlite_engine, workspace, tmp_path, single_part):
    from ingest_support import practices_by_title

    path = _only_winmail(tmp_path / "in" / "rtf.eml", _winmail_with_rtf(RTF_ANSWERS),
                         single_part=single_part)

    result = run_ingest([path], engine=sqlite_engine, workspace=workspace)

    practice = practices_by_title(sqlite_engine)["Lukupiiri ikäihmisille"]
    version = _versions(sqlite_engine, practice["id"])[-1]
    assert version.goal == "Vähentää yksinäisyyttä."
    assert "from-email-text" in version.flags
    assert [r["outcome"] for r in result.rows() if r["file"] == str(path)] == ["new"]


def test_a_rich_text_message_with_no_answer_in_it_is_left_for_a_person_to_read(
        sqlite_engine, workspace, tmp_path):
    from yhteistuumin_survey.ingest.store import list_to_read

    rtf = (rb"{\rtf1\ansi\ansicpg1252{\fonttbl{\f0 Calibri;}}\pard\f0 Hei, emme ehdi vastata "
           rb"t\'e4ll\'e4 viikolla. Kyselyyn vastaa Anna Virtanen.\par }")
    path = _only_winmail(tmp_path / "in" / "rtf.eml", _winmail_with_rtf(rtf))

    run_ingest([path], engine=sqlite_engine, workspace=workspace)

    with Session(sqlite_engine) as session:
        listed = list_to_read(session=session)
    assert len(listed) == 1 and "Kyselyyn vastaa Anna Virtanen" in listed[0]["text"]


def test_outlooks_rtf_wrapping_html_is_unwrapped_to_its_text() -> None:
    from yhteistuumin_survey.ingest.emails import rtf_to_plain

    wrapped = (rb"{\rtf1\ansi\ansicpg1252\fromhtml1 \deff0{\fonttbl{\f0\fswiss Arial;}}"
               rb"{\*\htmltag64 <html>}{\*\htmltag64 <body>}{\*\htmltag64 <p>}"
               rb"K\'e4yt\'e4nn\'f6n nimi: Runotorstai{\*\htmltag244 </p>}"
               rb"{\*\htmltag64 </body>}{\*\htmltag64 </html>}}")
    assert rtf_to_plain(wrapped).strip() == "Käytännön nimi: Runotorstai"
    assert rtf_to_plain(b"not rtf") == ""


def test_a_message_that_is_only_the_questionnaire_file_is_read(sqlite_engine, workspace,
                                                               tmp_path):
    """A message whose single part is the file (no text, no multipart): it was "no
    attachment and no text; ask the sender to attach the questionnaire"."""
    from email.message import EmailMessage

    from ingest_support import practices_by_title

    questionnaire = questionnaire_copy(tmp_path / "src")
    message = EmailMessage()
    message["From"] = "kulttuuri@espoo.fi"
    message["Subject"] = "Vastaus"
    message.set_content(questionnaire.read_bytes(), maintype="application",
                        subtype="vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        disposition="attachment", filename="vastaus.xlsx")
    path = tmp_path / "in" / "vain-liite.eml"
    path.parent.mkdir()
    path.write_bytes(bytes(message))

    result = run_ingest([path], engine=sqlite_engine, workspace=workspace)

    assert not [r for r in result.rows() if r["outcome"] == "error"]
    assert TITLE in practices_by_title(sqlite_engine)


# --- what a cell links to ----------------------------------------------------------------------


def _link(path: Path, key: str, shown: str, target: str) -> None:
    """Type ``shown`` into the answer of ``key`` and link it to ``target``, as Excel's
    Insert > Link does."""
    from openpyxl import load_workbook

    workbook = load_workbook(path)
    for row in workbook["Käytäntö 1"].iter_rows():
        if len(row) > 2 and row[2].value == key:
            row[1].value = shown
            row[1].hyperlink = target
    workbook.save(path)


def test_a_contact_name_linked_to_the_address_gives_the_address(sqlite_engine, workspace,
                                                               tmp_path):
    path = questionnaire_copy(tmp_path / "in")
    _link(path, "contact_email", "Eija Koski", "mailto:eija.koski%40espoo.example.fi?subject=Kysely")
    _link(path, "implementation", "Ohjeet ovat kotisivuilla.", "https://www.espoo.fi/lukupiiri")

    run_ingest([path], engine=sqlite_engine, workspace=workspace)

    version = _versions(sqlite_engine, _one_practice(sqlite_engine, TITLE))[-1]
    assert version.contact_email == "eija.koski@espoo.example.fi"
    assert version.implementation == ("Ohjeet ovat kotisivuilla. "
                                      "(https://www.espoo.fi/lukupiiri)")
    assert not any(flag == "contact-email-invalid" for flag in version.flags)


def test_a_shown_address_other_than_the_linked_one_is_flagged_with_both(sqlite_engine, workspace,
                                                                       tmp_path):
    path = questionnaire_copy(tmp_path / "in")
    _link(path, "contact_email", "eija.koski@espoo.example.fi", "mailto:kirjaamo@espoo.example.fi")

    run_ingest([path], engine=sqlite_engine, workspace=workspace)

    version = _versions(sqlite_engine, _one_practice(sqlite_engine, TITLE))[-1]
    several = [describe(f, "fi") for f in version.flags if "email-several" in f]
    assert several and "eija.koski@espoo.example.fi" in several[0] \
        and "kirjaamo@espoo.example.fi" in several[0]


# --- rows and columns the municipality inserted or deleted ------------------------------------


@pytest.mark.parametrize("where", [1, 2, 3], ids=["before-labels", "before-answers",
                                                  "before-keys"])
def test_an_inserted_column_never_makes_a_hidden_key_an_answer(sqlite_engine, workspace,
                                                               tmp_path, where):
    from openpyxl import load_workbook

    path = questionnaire_copy(tmp_path / "in")
    set_answer(path, "Käytäntö 1", "municipalities", None)  # left empty: the token tells
    set_answer(path, "Käytäntö 1", "implementation", None)
    workbook = load_workbook(path)
    workbook["Käytäntö 1"].insert_cols(where)
    workbook.save(path)

    run_ingest([path], engine=sqlite_engine, workspace=workspace)

    version = _versions(sqlite_engine, _one_practice(sqlite_engine, TITLE))[-1]
    assert version.municipality_text is None and version.implementation is None
    assert version.goal == "Lisätä kuntien välistä yhteistyötä ja kokemusten vaihtoa."
    assert version.contact_name == "Eija Koski" and version.publish_consent is True
    keys = {"municipalities", "title", "goal", "implementation", "contact_name"}
    assert not [f for f in version.flags if f.startswith("note:")
                and f.split(":", 2)[2] in keys], version.flags


# --- contacts as they are written --------------------------------------------------------------


@pytest.mark.parametrize("typed", ["eija.koski(at)espoo.example.fi",
                                   "eija.koski [at] espoo.example.fi"])
def test_an_address_written_out_against_harvesters_is_read_and_the_reviewers_told(
        sqlite_engine, workspace, tmp_path, typed):
    path = questionnaire_copy(tmp_path / "in")
    set_answer(path, "Käytäntö 1", "contact_email", typed)

    run_ingest([path], engine=sqlite_engine, workspace=workspace)

    version = _versions(sqlite_engine, _one_practice(sqlite_engine, TITLE))[-1]
    assert version.contact_email == "eija.koski@espoo.example.fi"
    said = [describe(f, "fi") for f in version.flags if "email-written-out" in f]
    assert said == [f"Sähköposti: osoite oli kirjoitettu muodossa '{typed}', ja se luettiin "
                    "osoitteeksi 'eija.koski@espoo.example.fi'. Sivustolla se näkyy tavallisena "
                    "osoitteena; tarkista, sopiiko se kunnalle."]


def _bilingual_questionnaire(engine: Any, workspace: Any) -> Path:
    """Helsinki's questionnaire as built (Finnish and Swedish labels: "Lapset / Barn")."""
    from yhteistuumin_survey.config import load_settings
    from yhteistuumin_survey.db.models import Municipality
    from yhteistuumin_survey.questionnaire import build_questionnaire
    from yhteistuumin_survey.survey import workspace_survey

    settings = load_settings(workspace.root, env={})
    with Session(engine, expire_on_commit=False) as session:
        return build_questionnaire(workspace, session=session, settings=settings,
                                   survey=workspace_survey(workspace),
                                   municipality=session.get(Municipality, "091"))


def _copied_as_values(source: Path, target: Path, answers: dict[str, Any], *,
                      sheet_name: str, down: int = 0, right: int = 0) -> Path:
    """The questionnaire's labels and answers copied as values into a workbook of the
    municipality's own (no hidden keys, no _meta sheet), as Paste Special > Values does."""
    from openpyxl import Workbook, load_workbook

    questions = load_workbook(source).worksheets[1]
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = sheet_name
    for number, row in enumerate(questions.iter_rows(values_only=True), start=1 + down):
        sheet.cell(number, 1 + right, row[0])
        if row[2] in answers:
            sheet.cell(number, 2 + right, answers[row[2]])
    workbook.save(target)
    return target


@pytest.mark.parametrize("sheet_name,down,right", [("Taul1", 0, 0), ("Blad1", 3, 1)])
def test_a_bilingual_questionnaire_copied_as_values_into_a_new_workbook_is_one_practice(
        sqlite_engine, workspace, tmp_path, sheet_name, down, right):
    bilingual = _bilingual_questionnaire(sqlite_engine, workspace)
    answers = {"municipalities": "Helsinki", "title": "Musiikkia kouluihin",
               "target_group:children": "x", "target_group:other": "koulujen henkilökunta",
               "goal": "Tuoda musiikkia kouluihin.", "summary": "Muusikot vierailevat.",
               "contact_name": "Pekka Puro", "contact_email": "pekka.puro@hel.fi",
               "publish_consent": "Kyllä"}
    path = _copied_as_values(bilingual, tmp_path / "kopio.xlsx", answers,
                             sheet_name=sheet_name, down=down, right=right)

    result = run_ingest([path], engine=sqlite_engine, workspace=workspace)

    made = [r for r in result.rows() if r["practice_id"]]
    assert len(made) == 1, result.rows()
    version = _versions(sqlite_engine, made[0]["practice_id"])[-1]
    assert version.title == "Musiikkia kouluihin" and version.goal == "Tuoda musiikkia kouluihin."
    assert version.contact_email == "pekka.puro@hel.fi" and version.publish_consent is True
    assert "children" in version.target_group
    assert not [f for f in version.flags if f.startswith("note:") and "Kirjoita" in f]


# --- the questionnaire pasted into a message --------------------------------------------------


PASTED = ("Hei,\n\nliitteen sijaan kopioin kyselyn tähän:\n\n"
          "Kunta tai kunnat, joissa käytäntö on käytössä *\tLahti\n"
          "Käytännön nimi *\tTaidetta kirjastoon\n"
          "Avainsanat\tkuvataide, kirjasto\n"
          "Kenelle käytäntö on suunnattu? *\tMerkitse x sopiviin kohderyhmiin alla.\n"
          "    Lapset\tx\n    Nuoret\t\n    Ikääntyneet\tx\n    Muu, mikä?\t\n"
          "Tavoite *\tTuoda taidetta arkeen.\n"
          "Hyvä käytäntö pähkinänkuoressa *\tTaiteilijat ripustavat teoksia: klo 10:00 alkaen.\n"
          "Yhteyshenkilön nimi\tLiisa Laine\n"
          "Yhteyshenkilön sähköposti\tliisa.laine@lahti.fi\n"
          "Saako yhteyshenkilön nimen ja yhteystiedot julkaista hyvän käytännön yhteydessä "
          "yhteistuumin.fi-sivustolla? *\tKyllä\n\nTerveisin\nLiisa\n")


def test_questionnaire_cells_pasted_into_a_message_are_read_ticks_and_all(sqlite_engine,
                                                                         workspace, tmp_path):
    from email.message import EmailMessage

    from ingest_support import practices_by_title

    message = EmailMessage()
    message["From"] = "kulttuuri@lahti.fi"
    message["Subject"] = "Vastaus kyselyyn"
    message.set_content(PASTED)
    path = tmp_path / "liitetty.eml"
    path.write_bytes(bytes(message))

    run_ingest([path], engine=sqlite_engine, workspace=workspace)

    practice = practices_by_title(sqlite_engine)["Taidetta kirjastoon"]
    assert practice["municipalities"] == ["398"]
    assert sorted(practice["target_group"]) == ["children", "older_people"]  # not Nuoret
    assert practice["summary"] == "Taiteilijat ripustavat teoksia: klo 10:00 alkaen."
    assert practice["contact"]["email"] == "liisa.laine@lahti.fi"
    assert practice["contact"]["publish_consent"] is True


# --- municipalities as they are written ------------------------------------------------------


def test_a_municipality_code_whose_zeros_a_number_cell_dropped_is_flagged_not_taken(
        sqlite_engine, workspace, tmp_path):
    path = questionnaire_copy(tmp_path / "in")
    set_answer(path, "Käytäntö 1", "municipalities", 91)  # a number cell: 091 lost its zero

    run_ingest([path], engine=sqlite_engine, workspace=workspace)

    practice_id = _one_practice(sqlite_engine, TITLE)
    version = _versions(sqlite_engine, practice_id)[-1]
    said = [describe(f, "fi") for f in version.flags if "without-zeros" in f]
    assert said == ["Kunnat: vastaus '91' on luku. Se voi olla kuntanumero 091 (Helsinki), josta "
                    "taulukko on pudottanut etunollat, mutta kuntaa ei päätelty siitä; "
                    "tarkista, mitä kuntaa vastaus tarkoittaa."]
    from ingest_support import practices_by_title

    assert "091" not in practices_by_title(sqlite_engine)[TITLE]["municipalities"]


def test_publish_names_a_published_practice_a_later_reading_differs_from(
        engine, workspace, tmp_path):
    """The decision stands and the card shows what was approved, but the coordinator is told
    at every publish, as the review queue does not bring a decided practice back. On SQLite
    and PostgreSQL (the flags are JSON, searched as text)."""
    from yhteistuumin_survey.config import load_settings
    from yhteistuumin_survey.publish import publish_site

    path = questionnaire_copy(tmp_path / "in")
    run_ingest([path], engine=engine, workspace=workspace)
    practice_id = _one_practice(engine, TITLE)
    _read_wrongly(engine, practice_id, contact_phone=None)
    _decide(engine, practice_id)
    settings = load_settings(workspace.root, env={})

    def notes() -> list[str]:
        with Session(engine) as session:
            return publish_site(workspace, session=session, settings=settings,
                                out=tmp_path / "site").notes

    assert not [n for n in notes() if "later reading" in n]
    _reread([path], engine=engine, workspace=workspace)
    said = [n for n in notes() if "later reading" in n]
    assert said == [f"#{practice_id}: a later reading of its file differs in contact_phone; the "
                    "card shows what the reviewers approved. See 'yhteistuumin practices show "
                    f"{practice_id}'; 'yhteistuumin review export' brings it back to the "
                    "reviewers, who answer which reading is right in the column 'Uusi luenta'"]
