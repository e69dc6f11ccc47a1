"""Cases found by trying the ingest on files crafted the way municipalities send them.

Each test writes a real file, ingests it into a real database and reads back what came out:
nothing a municipality sent may be silently lost, and what is unsure is flagged.
"""

from __future__ import annotations

from ingest_support import (
    office_copy,
    only_version,
    practices,
    practices_by_title,
    questionnaire_copy,
    run_ingest,
    set_answer,
)
from openpyxl import load_workbook
from sqlmodel import Session

from yhteistuumin_survey.flags import parse as parse_flag


def test_a_practice_on_a_hidden_sheet_is_read_and_flagged_not_dropped(sqlite_engine, workspace,
                                                                       tmp_path):
    path = questionnaire_copy(tmp_path / "in")
    workbook = load_workbook(path)
    sheet = workbook["Käytäntö 1"]
    sheet["B5"] = "Piilotettu lukupiiri"
    sheet.sheet_state = "hidden"
    workbook.active = 0
    workbook.save(path)

    result = run_ingest([path], engine=sqlite_engine, workspace=workspace)

    hidden = practices_by_title(sqlite_engine)["Piilotettu lukupiiri"]
    assert "hidden-sheet" in hidden["flags"]
    row = next(r for r in result.rows() if r["sheet"] == "Käytäntö 1")
    assert "hidden sheet" in row["reason"]
    # The visible sheets are read as before, without the flag.
    others = [p for p in practices(sqlite_engine) if p["title"] != "Piilotettu lukupiiri"]
    assert others and all("hidden-sheet" not in p["flags"] for p in others)


def test_two_people_in_one_contact_are_flagged_and_both_kept(sqlite_engine, workspace, tmp_path):
    path = questionnaire_copy(tmp_path / "in")
    set_answer(path, "Käytäntö 1", "contact_name", "Eija Koski ja Pekka Virtanen")
    set_answer(path, "Käytäntö 1", "contact_email",
            "eija.koski@espoo.example.fi, pekka.virtanen@espoo.example.fi")

    run_ingest([path], engine=sqlite_engine, workspace=workspace)

    practice = practices_by_title(sqlite_engine)["Kuntien välinen yhteistyö aluetyössä"]
    flags = practice["flags"]
    assert any(f.startswith("unsure:contact_name:name-several{") for f in flags)
    assert any(parse_flag(f).code == "email-several" and parse_flag(f).args["count"] == 2
               for f in flags)
    version = only_version(sqlite_engine, practice["id"])
    assert "pekka.virtanen@espoo.example.fi" in (version.contact_text or "")


def test_an_email_domain_one_slip_from_a_mail_provider_is_flagged_not_corrected(
        sqlite_engine, workspace, tmp_path):
    path = questionnaire_copy(tmp_path / "in")
    set_answer(path, "Käytäntö 1", "contact_email", "eija.koski@gmial.com")

    run_ingest([path], engine=sqlite_engine, workspace=workspace)

    practice = practices_by_title(sqlite_engine)["Kuntien välinen yhteistyö aluetyössä"]
    assert only_version(sqlite_engine, practice["id"]).contact_email == "eija.koski@gmial.com"
    assert any(f.startswith("unsure:contact_email:email-domain-typo{")
               and parse_flag(f).args["intended"] == "gmail.com" for f in practice["flags"])


def test_an_answer_typed_into_the_question_cell_is_kept_as_a_note(sqlite_engine, workspace,
                                                                  tmp_path):
    path = questionnaire_copy(tmp_path / "in")
    workbook = load_workbook(path)
    sheet = workbook["Käytäntö 1"]
    sheet["A5"] = "Käytännön nimi * Aluetyön verkosto"  # typed after the question
    sheet["B5"] = None
    workbook.save(path)

    run_ingest([path], engine=sqlite_engine, workspace=workspace)

    practice = next(p for p in practices(sqlite_engine) if "required-missing:title" in p["flags"])
    assert "note:title:Käytännön nimi * Aluetyön verkosto" in practice["flags"]


def test_an_english_answer_in_a_finnish_questionnaire_is_flagged_not_taken_as_finnish(
        sqlite_engine, workspace, tmp_path):
    path = questionnaire_copy(tmp_path / "in")
    for key, text in {
        "title": "Reading circle for young people",
        "goal": "To increase reading among children and young people in the whole town.",
        "summary": "The library runs a weekly reading circle where young people choose "
                   "the books themselves and meet the authors.",
        "implementation": "Librarians plan the season together with the schools.",
        "experiences": "The participants have been very happy with the meetings.",
        "benefits": "More young people borrow books.",
        "resources": "Two librarians, a few hours a week.",
    }.items():
        set_answer(path, "Käytäntö 1", key, text)
    workbook = load_workbook(path)
    workbook["Käytäntö 1"]["B19"] = None  # the Finnish line added below the summary
    workbook.save(path)

    run_ingest([path], engine=sqlite_engine, workspace=workspace)

    practice = practices_by_title(sqlite_engine)["Reading circle for young people"]
    assert any(f.startswith("unsure:language:language-english{") for f in practice["flags"])
    # The Finnish practices of the same workbook are not flagged.
    finnish = [p for p in practices(sqlite_engine) if p["id"] != practice["id"]]
    assert finnish and not any(f.startswith("unsure:language:") for p in finnish
                               for f in p["flags"])


def test_text_excel_took_for_a_formula_is_kept_and_flagged_not_emptied(sqlite_engine, workspace,
                                                                       tmp_path):
    # What Excel stores when a respondent types "- lapset ja nuoret" or "+358 40 123 4567":
    # a formula, whose computed value is an error.
    path = questionnaire_copy(tmp_path / "typed")
    set_answer(path, "Käytäntö 1", "summary", "=- lapset ja nuoret")
    set_answer(path, "Käytäntö 1", "contact_phone", "=+358 40 123 4567")
    saved = office_copy(path, tmp_path)

    run_ingest([saved], engine=sqlite_engine, workspace=workspace)

    practice = practices_by_title(sqlite_engine)["Kuntien välinen yhteistyö aluetyössä"]
    version = only_version(sqlite_engine, practice["id"])
    assert version.summary is not None and "lapset ja nuoret" in version.summary
    assert any(f.startswith("unsure:summary:formula{")
               for f in practice["flags"])
    assert any(f.startswith("unsure:contact_phone:") for f in practice["flags"])


def test_a_formula_written_without_its_value_is_kept_and_flagged(sqlite_engine, workspace,
                                                                 tmp_path):
    path = questionnaire_copy(tmp_path / "in")
    set_answer(path, "Käytäntö 1", "contact_email",
            '=HYPERLINK("mailto:eija.koski@espoo.example.fi","Eija Koski")')

    run_ingest([path], engine=sqlite_engine, workspace=workspace)

    practice = practices_by_title(sqlite_engine)["Kuntien välinen yhteistyö aluetyössä"]
    assert only_version(sqlite_engine, practice["id"]).contact_email == "eija.koski@espoo.example.fi"
    assert any(f.startswith("unsure:contact_email:formula{")
               for f in practice["flags"])


def test_a_number_excel_made_of_a_typed_percentage_or_sum_is_flagged(sqlite_engine, workspace,
                                                                     tmp_path):
    # Typed "15 %" and "2 000 €" in Excel: stored as the numbers 0.15 and 2000 with a format.
    path = questionnaire_copy(tmp_path / "in")
    workbook = load_workbook(path)
    sheet = workbook["Käytäntö 1"]
    sheet["B21"], sheet["B21"].number_format = 2000, '#,##0 "€"'  # resources
    sheet["B23"], sheet["B23"].number_format = 0.15, "0 %"  # benefits
    workbook.save(path)

    run_ingest([path], engine=sqlite_engine, workspace=workspace)

    practice = practices_by_title(sqlite_engine)["Kuntien välinen yhteistyö aluetyössä"]
    flagged = {f.split(":")[1] for f in practice["flags"]
               if parse_flag(f).code == "number-cell"}
    assert flagged == {"resources", "benefits"}
    # The answers typed as text in the same sheet are not flagged.
    assert all(parse_flag(f).code != "number-cell" for p in practices(sqlite_engine)
               if p["id"] != practice["id"] for f in p["flags"])


def test_a_bilingual_questionnaire_as_built_gives_no_notes(sqlite_engine, workspace, tmp_path):
    from yhteistuumin_survey.config import load_settings
    from yhteistuumin_survey.questionnaire import build_questionnaires
    from yhteistuumin_survey.survey import workspace_survey

    settings = load_settings(workspace.root, env={})
    with Session(sqlite_engine) as session:
        build_questionnaires(workspace, session=session, settings=settings,
                             survey=workspace_survey(workspace), only=["049"])  # Espoo: fi + sv
    path = next((workspace.outputs / "questionnaires").rglob("049-*.xlsx"))
    set_answer(path, "Käytäntö 1 – Exempel 1", "title", "Kaksikielinen lukupiiri")
    set_answer(path, "Käytäntö 1 – Exempel 1", "summary",
            "Kirjasto järjestää lukupiirin kahdella kielellä.")

    run_ingest([path], engine=sqlite_engine, workspace=workspace)

    practice = practices_by_title(sqlite_engine)["Kaksikielinen lukupiiri"]
    assert not [f for f in practice["flags"] if f.startswith("note:")]


def test_a_region_or_the_neighbours_named_beside_a_municipality_is_flagged(sqlite_engine,
                                                                           workspace, tmp_path):
    path = questionnaire_copy(tmp_path / "in")
    set_answer(path, "Käytäntö 1", "municipalities", "Kuopio ja Pohjois-Savon kunnat")

    run_ingest([path], engine=sqlite_engine, workspace=workspace)

    practice = practices_by_title(sqlite_engine)["Kuntien välinen yhteistyö aluetyössä"]
    assert any(f.startswith("unsure:municipalities:municipality-unmatched{")
               and parse_flag(f).args["rest"] == ["Pohjois-Savon kunnat"]
               for f in practice["flags"])
    # A list of municipalities alone ("Espoo, Helsinki ja Vantaa") is certain: no such flag.
    others = [p for p in practices(sqlite_engine) if p["id"] != practice["id"]]
    assert others and not any(f.startswith("unsure:municipalities:municipality-unmatched")
                              for p in others for f in p["flags"])


def test_municipalities_listed_after_a_colon_are_all_resolved(sqlite_engine):
    from yhteistuumin_survey.resolve import Resolver

    with Session(sqlite_engine) as session:
        resolver = Resolver.from_session(session)
    listed = resolver.resolve("Oulun seudun kunnat: Oulu, Kempele")
    assert listed.names == ["Oulu", "Kempele"]
    assert listed.unmatched == ["Oulun seudun kunnat"]
    assert resolver.resolve("Kunnat: Espoo ja Vantaa").names == ["Espoo", "Vantaa"]
