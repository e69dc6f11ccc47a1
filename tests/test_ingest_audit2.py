"""A second pass at the answers: files crafted the way municipalities send them, ingested into
a real database and read back (what came out, and what the reviewer is told).

Nothing a municipality sent may be silently lost or changed; what is unsure is flagged.
"""

from __future__ import annotations

import datetime as dt
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

from ingest_support import (
    only_version,
    practices,
    practices_by_title,
    questionnaire_copy,
    run_ingest,
    set_answer,
)
from sqlmodel import Session

from yhteistuumin_survey.flags import parse as parse_flag


def _eml(folder: Path, name: str, *, sender: str, subject: str, text: str,
         headers: dict[str, str] | None = None) -> Path:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "kysely@yhteistuumin.example.fi"
    message["Subject"] = subject
    for header, value in (headers or {}).items():
        message[header] = value
    message["Date"] = format_datetime(dt.datetime(2026, 12, 7, 10, 0, tzinfo=dt.UTC))
    message.set_content(text)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(bytes(message))
    return path








# --- emails ------------------------------------------------------------------------------------

SIGNED_REPLY = """Hei,

tässä vastauksemme:

Käytännön nimi: Kirjastokaveri
Tavoite: Tuoda kirjasto lähemmäs ikääntyneitä.
Hyvä käytäntö pähkinänkuoressa: Vapaaehtoiset kirjastokaverit vierailevat kotona asuvien
ikääntyneiden luona.

Ystävällisin terveisin
Liisa Virtanen
kulttuurisihteeri
puh. 040 123 4567

Lähettäjä: Koordinaattori <koordinaattori@yhteistuumin.example.fi>
Lähetetty: maanantai 30. marraskuuta 2026 9.00
Aihe: Kysely hyvistä käytännöistä

Käytännön nimi: (kirjoita tähän)
"""


def test_the_signature_below_typed_answers_is_not_part_of_the_last_answer(
        sqlite_engine, workspace, tmp_path):
    path = _eml(tmp_path / "in", "vastaus.eml", sender="Liisa Virtanen <liisa.virtanen@tampere.fi>",
                subject="VS: Kysely hyvistä käytännöistä", text=SIGNED_REPLY)

    run_ingest([path], engine=sqlite_engine, workspace=workspace)

    practice = practices_by_title(sqlite_engine)["Kirjastokaveri"]
    version = only_version(sqlite_engine, practice["id"])
    assert version.summary == ("Vapaaehtoiset kirjastokaverit vierailevat kotona asuvien\n"
                               "ikääntyneiden luona.")
    stored = " ".join(str(getattr(version, f) or "") for f in (
        "goal", "summary", "implementation", "resources", "experiences", "benefits"))
    assert "040 123 4567" not in stored and "terveisin" not in stored


def test_a_mobile_mail_footer_is_not_part_of_the_last_answer(sqlite_engine, workspace, tmp_path):
    path = _eml(tmp_path / "in", "puhelin.eml", sender="kulttuuri@lahti.fi", subject="Vastaus",
                text="Käytännön nimi: Runotorstai\nTavoite: Runoja kaikille.\n"
                     "Hyvä käytäntö pähkinänkuoressa: Runoilta kirjastossa.\n"
                     "Lähetetty kaikille kouluille kutsu.\n\nLähetetty iPhonesta\n")

    run_ingest([path], engine=sqlite_engine, workspace=workspace)

    practice = practices_by_title(sqlite_engine)["Runotorstai"]
    # A sentence of the answer that starts alike stays; the phone's footer goes.
    assert only_version(sqlite_engine, practice["id"]).summary == (
        "Runoilta kirjastossa.\nLähetetty kaikille kouluille kutsu.")


INLINE_FORWARD = """Tämä tuli minulle, välitän eteenpäin.

---------- Forwarded message ---------
From: Pekka Koski <pekka.koski@oulu.fi>
Date: ma 30.11.2026 klo 12.00
Subject: Hyvä käytäntö
To: Maija Meikäläinen <maija.meikalainen@espoo.fi>

Käytännön nimi: Pohjoisen tanssiaiset
Tavoite: Saada ikääntyneet liikkeelle.
Hyvä käytäntö pähkinänkuoressa: Kuukausittaiset tanssit kirjastolla.
"""

OUTLOOK_FORWARD_NAME_ONLY = """Välitän.

Lähettäjä: Koski Pekka
Lähetetty: maanantai 30. marraskuuta 2026 12.00
Vastaanottaja: Meikäläinen Maija
Aihe: Hyvä käytäntö

Käytännön nimi: Tanssit ilman osoitetta
Tavoite: Saada ikääntyneet liikkeelle.
"""


REPLY_TO_A_FORWARD = """Käytännön nimi: Satujen ilta
Tavoite: Lukuinnon herättäminen.
Hyvä käytäntö pähkinänkuoressa: Satuilta perheille kerran kuussa.

Lähettäjä: Maija Meikäläinen <maija.meikalainen@espoo.fi>
Lähetetty: maanantai 30. marraskuuta 2026 12.00
Vastaanottaja: Liisa Virtanen
Aihe: VL: Kysely hyvistä käytännöistä

Välitän tämän sinulle vastattavaksi.
"""


def test_an_inline_forward_is_the_forwarded_senders_answer_not_the_forwarders(
        sqlite_engine, workspace, tmp_path):
    # The programme is coordinated from Espoo: a colleague there forwards Oulu's answer.
    folder = tmp_path / "in"
    _eml(folder, "fwd.eml", sender="Maija Meikäläinen <maija.meikalainen@espoo.fi>",
         subject="Fwd: Hyvä käytäntö", text=INLINE_FORWARD)
    _eml(folder, "vl.eml", sender="Maija Meikäläinen <maija.meikalainen@espoo.fi>",
         subject="VL: Hyvä käytäntö", text=OUTLOOK_FORWARD_NAME_ONLY)
    _eml(folder, "vs-vl.eml", sender="Liisa Virtanen <liisa.virtanen@tampere.fi>",
         subject="VS: VL: Kysely hyvistä käytännöistä", text=REPLY_TO_A_FORWARD)

    result = run_ingest(sorted(folder.iterdir()), engine=sqlite_engine, workspace=workspace)

    by_title = practices_by_title(sqlite_engine)
    assert by_title["Pohjoisen tanssiaiset"]["municipalities"] == ["564"]  # Oulu, not Espoo
    row = next(r for r in result.rows() if r["practice_id"] == by_title["Pohjoisen tanssiaiset"]["id"])
    assert "forwarded by maija.meikalainen@espoo.fi" in row["reason"]
    # Answers typed above a forwarded invitation ("VS: VL:") are the sender's own.
    assert by_title["Satujen ilta"]["municipalities"] == ["837"]
    assert not any(f.startswith("unsure:municipalities:")
                   for f in by_title["Satujen ilta"]["flags"])
    # Outlook names the original sender without an address: the forwarder's municipality is
    # a guess, so it is flagged.
    unknown = by_title["Tanssit ilman osoitetta"]
    assert any(f.startswith("unsure:municipalities:forward-without-sender{")
               for f in unknown["flags"])


TWO_IN_ONE = """Hei, meillä on kaksi käytäntöä.

1. käytäntö
Käytännön nimi: Runotorstai
Tavoite: Runoja kaikille.
Hyvä käytäntö pähkinänkuoressa: Runoilta kirjastossa joka torstai.

2. käytäntö
Käytännön nimi: Tanssiva kirjasto
Tavoite: Liikettä kirjastoon.
Hyvä käytäntö pähkinänkuoressa: Tanssitunteja kirjaston aulassa.

Terveisin
Liisa
"""


def test_two_practices_typed_in_one_message_are_two_practices_not_one(sqlite_engine, workspace,
                                                                      tmp_path):
    path = _eml(tmp_path / "in", "kaksi.eml", sender="kulttuuri@lahti.fi", subject="Vastaus",
                text=TWO_IN_ONE)

    result = run_ingest([path], engine=sqlite_engine, workspace=workspace)

    by_title = practices_by_title(sqlite_engine)
    assert set(by_title) == {"Runotorstai", "Tanssiva kirjasto"}
    first = only_version(sqlite_engine, by_title["Runotorstai"]["id"])
    assert (first.goal, first.summary) == ("Runoja kaikille.", "Runoilta kirjastossa joka torstai.")
    second = only_version(sqlite_engine, by_title["Tanssiva kirjasto"]["id"])
    assert (second.goal, second.summary) == ("Liikettä kirjastoon.",
                                             "Tanssitunteja kirjaston aulassa.")
    assert sorted(r["outcome"] for r in result.rows()) == ["new", "new"]


TWO_IN_SWEDISH = """Hej, här är två exempel.

Exempel 1
Praxisens namn: Poesitorsdag
Mål: Dikter för alla.

Gott exempel 2:
Praxisens namn: Dansande bibliotek
Mål: Rörelse i biblioteket.

Med vänliga hälsningar
Anna
"""


def test_two_practices_headed_as_the_swedish_questionnaire_heads_them_are_two(
        sqlite_engine, workspace, tmp_path):
    path = _eml(tmp_path / "in", "tva.eml", sender="kultur@pedersore.fi", subject="Svar",
                text=TWO_IN_SWEDISH)

    run_ingest([path], engine=sqlite_engine, workspace=workspace)

    by_title = practices_by_title(sqlite_engine)
    assert set(by_title) == {"Poesitorsdag", "Dansande bibliotek"}
    assert only_version(sqlite_engine, by_title["Poesitorsdag"]["id"]).goal == "Dikter för alla."


def test_an_automatic_reply_quoting_the_invitation_is_no_practice(sqlite_engine, workspace,
                                                                  tmp_path):
    folder = tmp_path / "in"
    _eml(folder, "loma.eml", sender="kulttuuri@lahti.fi",
         subject="Automaattinen vastaus: Kulttuuria yhteistuumin -kysely",
         headers={"Auto-Submitted": "auto-replied"},
         text="Olen lomalla 14.12. asti.\n\nKäytännön nimi: (kirjoita tähän)\n"
              "Tavoite: (kirjoita tähän)\n")
    # A real answer whose signature says when the sender can be reached is read as before.
    _eml(folder, "vastaus.eml", sender="kulttuuri@lahti.fi", subject="Vastaus",
         text="Käytännön nimi: Runotorstai\nTavoite: Runoja kaikille.\n\n"
              "Olen tavoitettavissa ma-pe.\n")

    result = run_ingest(sorted(folder.iterdir()), engine=sqlite_engine, workspace=workspace)

    assert set(practices_by_title(sqlite_engine)) == {"Runotorstai"}
    row = next(r for r in result.rows() if r["file"].endswith("loma.eml"))
    assert row["outcome"] == "to-read" and "automatic reply" in row["reason"]


# --- questionnaires ------------------------------------------------------------------------------


def _built(workspace, engine, code: str) -> Path:
    """The questionnaire `survey build` makes for one municipality, as it was sent."""
    from yhteistuumin_survey.config import load_settings
    from yhteistuumin_survey.questionnaire import build_questionnaires
    from yhteistuumin_survey.survey import workspace_survey

    settings = load_settings(workspace.root, env={})
    with Session(engine) as session:
        build_questionnaires(workspace, session=session, settings=settings,
                             survey=workspace_survey(workspace), only=[code])
    return next((workspace.outputs / "questionnaires").rglob(f"{code}-*.xlsx"))


def test_a_questionnaire_returned_empty_is_no_answer_and_the_municipality_is_still_reminded(
        sqlite_engine, workspace, tmp_path):
    from yhteistuumin_survey.followup import follow_up
    from yhteistuumin_survey.status import answered_codes

    empty = _built(workspace, sqlite_engine, "091")  # Helsinki sends the file back untouched
    filled = _built(workspace, sqlite_engine, "837")
    set_answer(filled, "Käytäntö 1", "title", "Satujen ilta")
    set_answer(filled, "Käytäntö 1", "summary", "Kirjasto järjestää satuillan perheille.")

    result = run_ingest([empty, filled], engine=sqlite_engine, workspace=workspace)

    assert {r["outcome"] for r in result.rows() if "091" in r["file"]} == {"empty"}
    with Session(sqlite_engine) as session:
        assert answered_codes(session=session) == {"837"}
        rows = {row["code"]: row for row in follow_up(session=session).rows}
    assert not rows["091"]["answered"] and rows["837"]["answered"]


# --- values ---------------------------------------------------------------------------------------


def test_a_phone_with_an_extension_keeps_it_in_the_contact_and_is_flagged(sqlite_engine, workspace,
                                                                           tmp_path):
    path = questionnaire_copy(tmp_path / "in")
    set_answer(path, "Käytäntö 1", "contact_phone", "09 123 4567 / 123")
    set_answer(path, "Käytäntö 2", "contact_phone", "040 123 4567 tai 02 262 7000")

    run_ingest([path], engine=sqlite_engine, workspace=workspace)

    by_title = practices_by_title(sqlite_engine)
    practice = by_title["Kuntien välinen yhteistyö aluetyössä"]
    version = only_version(sqlite_engine, practice["id"])
    assert version.contact_phone == "+358 9 1234567"
    assert "09 123 4567 / 123" in (version.contact_text or "")
    assert any(f.startswith("unsure:contact_phone:phone-extra{") and parse_flag(f).args["more"]
               == "123" for f in practice["flags"])
    # Two numbers joined by "tai": the second is kept in the contact text, as before, unflagged.
    assert not any(f.startswith("unsure:contact_phone:") for f in by_title["Taidetta kirjastoihin"]["flags"])


# --- exports -----------------------------------------------------------------------------------

MSFORMS_HEAD = ["ID", "Start time", "Completion time", "Email", "Name",
                "Kunta tai kunnat, joissa käytäntö on käytössä", "Käytännön nimi", "Tavoite",
                "Hyvä käytäntö pähkinänkuoressa", "Yhteyshenkilön nimi",
                "Yhteyshenkilön sähköposti"]


def _msforms(folder: Path, rows: list[list], extra: list[str] = ()) -> Path:
    """A Microsoft Forms 'Open results in Excel' export."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Sheet1"
    sheet.append([*MSFORMS_HEAD, *extra])
    for row in rows:
        sheet.append(row)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "msforms.xlsx"
    workbook.save(path)
    return path


def test_text_in_an_export_column_that_is_no_question_reaches_the_reviewers(
        sqlite_engine, workspace, tmp_path):
    # The form got two questions since last time; no field takes their answers.
    path = _msforms(tmp_path / "in", [
        [1, "12/1/26 10:00:00", "12/1/26 10:10:00", "liisa.laine@lahti.fi", "Liisa Laine", "Lahti",
         "Runotorstai", "Runoja kaikille.", "Runoilta kirjastossa joka torstai.", "Liisa Laine",
         "liisa.laine@lahti.fi", "Katso myös www.lahti.fi/runot", "Sähköpostista", 3],
    ], extra=["Lisätietoja", "Uusi kysymys: Mistä kuulitte kyselystä?", "Arvosana"])

    run_ingest([path], engine=sqlite_engine, workspace=workspace)

    flags = practices_by_title(sqlite_engine)["Runotorstai"]["flags"]
    assert "note:Lisätietoja:Katso myös www.lahti.fi/runot" in flags
    assert "note:Uusi kysymys – Mistä kuulitte kyselystä?:Sähköpostista" in flags
    # A number in such a column (a score) and the form's own columns are no note.
    assert [f for f in flags if f.startswith("note:")] == [
        "note:Lisätietoja:Katso myös www.lahti.fi/runot",
        "note:Uusi kysymys – Mistä kuulitte kyselystä?:Sähköpostista"]


def test_a_test_response_in_an_export_is_flagged_not_taken_as_a_practice_silently(
        sqlite_engine, workspace, tmp_path):
    path = _msforms(tmp_path / "in", [
        [1, "12/1/26 10:00:00", "12/1/26 10:01:00", "anonymous", None, "Lahti", "testi", "asdf",
         "asdf", None, None],
        [2, "12/1/26 11:00:00", "12/1/26 11:30:00", "anonymous", None, "Lahti", "Testiviikko",
         "Nuoret kokeilevat taiteen lajeja viikon ajan.", "Koulujen testiviikko taidekoulussa.",
         None, None],
    ])

    run_ingest([path], engine=sqlite_engine, workspace=workspace)

    by_title = practices_by_title(sqlite_engine)
    assert any(f.startswith("unsure:title:test-response{") and parse_flag(f).args["tried"]
               == ["testi", "asdf", "asdf"] for f in by_title["testi"]["flags"])
    assert not any(f.startswith("unsure:title:") for f in by_title["Testiviikko"]["flags"])


def test_an_answer_that_only_points_to_an_attachment_is_flagged(sqlite_engine, workspace,
                                                                tmp_path):
    path = questionnaire_copy(tmp_path / "in")
    set_answer(path, "Käytäntö 1", "implementation", "ks. liite")
    set_answer(path, "Käytäntö 1", "experiences", "Kuten edellä.")
    set_answer(path, "Käytäntö 1", "resources", "ei ole")  # an answer: no resources

    run_ingest([path], engine=sqlite_engine, workspace=workspace)

    flags = practices_by_title(sqlite_engine)["Kuntien välinen yhteistyö aluetyössä"]["flags"]
    assert {f.split(":")[1] for f in flags if parse_flag(f).code == "text-elsewhere"} == {
        "implementation", "experiences"}


def test_the_pattern_of_an_address_is_flagged_not_taken_as_the_contacts(sqlite_engine, workspace,
                                                                         tmp_path):
    path = questionnaire_copy(tmp_path / "in")
    set_answer(path, "Käytäntö 1", "contact_email", "etunimi.sukunimi(at)espoo.fi")

    run_ingest([path], engine=sqlite_engine, workspace=workspace)

    practice = practices_by_title(sqlite_engine)["Kuntien välinen yhteistyö aluetyössä"]
    assert any(f.startswith("unsure:contact_email:email-pattern{") and parse_flag(f).args
               == {"address": "etunimi.sukunimi@espoo.fi"} for f in practice["flags"])
    others = [p for p in practices(sqlite_engine) if p["id"] != practice["id"]]
    assert others and not any(f.startswith("unsure:contact_email:") for p in others
                              for f in p["flags"])


def test_text_typed_only_in_a_cell_comment_is_kept_as_a_note(sqlite_engine, workspace, tmp_path):
    from openpyxl import load_workbook
    from openpyxl.comments import Comment

    path = questionnaire_copy(tmp_path / "in")
    set_answer(path, "Käytäntö 1", "goal", None)
    workbook = load_workbook(path)
    sheet = workbook["Käytäntö 1"]
    row = next(r for r in sheet.iter_rows() if r[2].value == "goal")
    row[1].comment = Comment("Tavoitteena on lisätä osallisuutta.", "Eija Koski")
    workbook.save(path)

    run_ingest([path], engine=sqlite_engine, workspace=workspace)

    practice = practices_by_title(sqlite_engine)["Kuntien välinen yhteistyö aluetyössä"]
    assert "required-missing:goal" in practice["flags"]  # the comment is not taken as the answer
    assert "note:goal:(kommentti) Tavoitteena on lisätä osallisuutta." in practice["flags"]


def test_a_questionnaire_of_another_round_or_with_a_token_never_sent_is_flagged(
        sqlite_engine, workspace, tmp_path):
    from openpyxl import load_workbook
    from sqlmodel import select as sql_select

    from yhteistuumin_survey.db.models import SurveyToken

    current = _built(workspace, sqlite_engine, "837")
    set_answer(current, "Käytäntö 1", "title", "Tämän kierroksen käytäntö")
    set_answer(current, "Käytäntö 1", "summary", "Satuilta perheille.")
    with Session(sqlite_engine) as session:  # the same token as sent in last year's round
        token = session.exec(sql_select(SurveyToken)).one()
        old_token = SurveyToken(round_name="yhteistuumin-2024", municipality_code="837",
                                token="VanhaTunniste2024")
        session.add(old_token)
        session.commit()
        current_token = token.token
    old = tmp_path / "in" / "vanha.xlsx"
    old.parent.mkdir(parents=True, exist_ok=True)
    old.write_bytes(current.read_bytes())
    copied = tmp_path / "in" / "kopio.xlsx"
    copied.write_bytes(current.read_bytes())
    for path, new_token, title in ((old, "VanhaTunniste2024", "Viime kierroksen käytäntö"),
                                   (copied, "EiLahetettyTunniste", "Kopioitu käytäntö")):
        workbook = load_workbook(path)
        for row in workbook["_meta"].iter_rows():
            if row[0].value == "token":
                row[1].value = new_token
        workbook.save(path)
        set_answer(path, "Käytäntö 1", "title", title)

    run_ingest([current, old, copied], engine=sqlite_engine, workspace=workspace)

    by_title = practices_by_title(sqlite_engine)
    assert current_token and not any(f.startswith("unsure:municipalities:")
                                     for f in by_title["Tämän kierroksen käytäntö"]["flags"])
    assert any(parse_flag(f).code == "token-other-round"
               and parse_flag(f).args["sent_in"] == "yhteistuumin-2024"
               for f in by_title["Viime kierroksen käytäntö"]["flags"])
    assert any(parse_flag(f).code == "token-unknown"
               and parse_flag(f).args["token"] == "EiLahetettyTunniste"
               for f in by_title["Kopioitu käytäntö"]["flags"])
