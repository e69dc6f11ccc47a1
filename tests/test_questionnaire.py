"""Questionnaire workbooks: languages, layout, protection, tokens; read back with openpyxl and calamine."""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from pathlib import Path
from types import SimpleNamespace

import openpyxl
import pytest
from defusedxml import ElementTree
from python_calamine import CalamineWorkbook
from sqlmodel import Session, select

from yhteistuumin_survey.config import load_settings
from yhteistuumin_survey.db.models import Municipality, SurveyToken
from yhteistuumin_survey.errors import InputError
from yhteistuumin_survey.questionnaire import (
    META_KEYS,
    QUESTIONNAIRE_META_SHEET,
    build_questionnaire,
    build_questionnaires,
    questionnaire_languages,
    questionnaire_path,
    read_questionnaire_meta,
)
from yhteistuumin_survey.survey import workspace_survey
from yhteistuumin_survey.tokens import municipality_for_token, tokens_for_round


@pytest.fixture
def settings(workspace):
    return load_settings(workspace.root)


@pytest.fixture
def survey(workspace):
    return workspace_survey(workspace)


def _build(workspace, session, settings, survey, *codes: str):
    return build_questionnaires(workspace, session=session, settings=settings, survey=survey,
                                only=list(codes) or None)


def _meta(path: Path) -> dict[str, str]:
    sheet = openpyxl.load_workbook(path)[QUESTIONNAIRE_META_SHEET]
    return {str(row[0].value): str(row[1].value) for row in sheet.iter_rows()}


@pytest.mark.parametrize(("status", "aland", "expected"), [
    ("fi", False, ["fi"]), ("fi-sv", False, ["fi", "sv"]), ("sv-fi", False, ["sv"]),
    ("sv", False, ["sv"]), ("sv", True, ["sv"]), ("fi", True, ["sv"]),
])
def test_questionnaire_language_follows_the_language_status(status, aland, expected) -> None:
    assert questionnaire_languages(status, aland=aland) == expected


def test_build_all_writes_308_with_unique_tokens_stable_on_rebuild(
        workspace, session: Session, settings, survey) -> None:
    ticks: list[int] = []
    first = build_questionnaires(workspace, session=session, settings=settings, survey=survey,
                                 progress=ticks.append)
    assert ticks == [1] * 308
    assert len(first.built) == 308
    assert first.by_language == {"fi": 259, "sv": 31, "fi-sv": 18}
    assert not first.failed
    tokens = tokens_for_round(session=session, round_name=settings.round_name)
    assert len(tokens) == 308
    assert len(set(tokens.values())) == 308
    assert all(len(token) >= 22 for token in tokens.values())
    files = sorted(first.folder.glob("*.xlsx"))
    assert len(files) == 308
    helsinki = questionnaire_path(workspace, round_name=settings.round_name, code="091")
    assert helsinki.name == "091-helsinki.xlsx"
    before = _meta(helsinki)

    again = _build(workspace, session, settings, survey, "091")
    assert [b.code for b in again.built] == ["091"]
    assert tokens_for_round(session=session, round_name=settings.round_name) == tokens
    assert _meta(helsinki)["token"] == before["token"] == tokens["091"]
    with Session(session.get_bind()) as other:  # committed before the files were written
        assert len(other.exec(select(SurveyToken)).all()) == 308
    assert municipality_for_token(session=session, token=tokens["599"]) == \
        (settings.round_name, "599")
    assert municipality_for_token(session=session, token="not-a-token") is None


def test_bilingual_workbook_layout_for_helsinki(workspace, session, settings, survey) -> None:
    _build(workspace, session, settings, survey, "091")
    path = questionnaire_path(workspace, round_name=settings.round_name, code="091")
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["Ohjeet – Anvisningar", "Käytäntö 1 – Exempel 1",
                               "Käytäntö 2 – Exempel 2", "Käytäntö 3 – Exempel 3",
                               "Käytäntö 4 – Exempel 4", "Käytäntö 5 – Exempel 5", "_meta"]
    assert book.security is not None and book.security.lockStructure

    meta_sheet = book[QUESTIONNAIRE_META_SHEET]
    assert meta_sheet.sheet_state == "hidden"
    assert meta_sheet.protection.sheet
    meta = _meta(path)
    assert list(meta) == list(META_KEYS)
    assert meta["municipality_code"] == "091"
    assert meta["municipality_name"] == "Helsinki / Helsingfors"
    assert meta["language"] == "fi-sv"
    assert meta["survey_id"] == survey.survey_id
    assert meta["survey_version"] == str(survey.version)
    assert meta["round_name"] == settings.round_name
    token = tokens_for_round(session=session, round_name=settings.round_name)["091"]
    assert meta["token"] == token

    instructions = book.worksheets[0]
    texts = [str(c.value) for c in instructions["A"] if c.value]
    assert "Kunta: Helsinki (091)" in texts
    assert "Kommun: Helsingfors (091)" in texts
    assert "Vastausaika päättyy: 31.1.2027" in texts
    links = [c.hyperlink.target for c in instructions["A"] if c.hyperlink]
    assert links == [f"https://www.yhteistuumin.fi/kysely?token={token}"] * 2
    assert instructions.protection.sheet

    sheet = book["Käytäntö 1 – Exempel 1"]
    assert sheet.protection.sheet
    assert sheet.column_dimensions["C"].hidden
    assert sheet["C1"].value == "practice:1"
    rows = {row[2].value: row for row in sheet.iter_rows(min_row=3) if row[2].value}
    assert rows["title"][0].value == "Käytännön nimi / Praxisens namn *"
    assert rows["title"][0].protection.locked and rows["title"][0].font.bold
    assert not rows["title"][1].protection.locked
    assert rows["title"][1].number_format == "@"
    assert "target_group:children" in rows and "target_group:other" in rows
    assert rows["target_group:children"][0].value == "Lapset / Barn"
    assert rows["target_group"][1].protection.locked  # the hint cell is not an answer
    assert set(rows) >= {q.id for q in survey.questions}

    validations = {str(v.sqref): v for v in sheet.data_validations.dataValidation}
    title_row = rows["title"][1].row
    title = validations[f"B{title_row}"]
    assert (title.type, title.operator, title.formula1) == ("textLength", "lessThanOrEqual", "150")
    assert title.prompt.startswith("Enintään 150 merkkiä. Högst 150 tecken.")
    assert all(len(v.prompt or "") <= 255 and len(v.promptTitle or "") <= 32
               for v in validations.values())
    consent = validations[f"B{rows['publish_consent'][1].row}"]
    assert (consent.type, consent.formula1) == ("list", '"Kyllä / Ja,Ei / Nej"')
    choice_cells = [f"B{rows[f'target_group:{c.id}'][1].row}"
                    for c in survey.question("target_group").choices]
    ticks = next(v for v in validations.values() if v.formula1 == '"x"')
    assert sorted(str(ticks.sqref).split()) == sorted(choice_cells)
    assert sheet.page_setup.fitToWidth == 1 and sheet.sheet_properties.pageSetUpPr.fitToPage


def test_swedish_and_finnish_workbooks(workspace, session, settings, survey) -> None:
    _build(workspace, session, settings, survey, "599", "698", "478")
    pedersore = questionnaire_path(workspace, round_name=settings.round_name, code="599")
    assert pedersore.name == "599-pedersore.xlsx"
    book = openpyxl.load_workbook(pedersore)
    assert book.sheetnames[:3] == ["Anvisningar", "Exempel 1", "Exempel 2"]
    assert _meta(pedersore)["language"] == "sv"
    assert _meta(pedersore)["municipality_name"] == "Pedersöre"
    rows = {r[2].value: r for r in book["Exempel 1"].iter_rows(min_row=3) if r[2].value}
    assert rows["title"][0].value == "Praxisens namn *"
    # Swedish as a Swedish speaker writes it: "god praxis" is uncountable, and what is counted
    # is an "exempel" (never "goda praxis", "5 praxis" or "Praxis 1"), as in the messages.
    texts = [str(cell.value) for sheet in book.worksheets if sheet.sheet_state == "visible"
             for row in sheet.iter_rows() for cell in row[:2] if isinstance(cell.value, str)]
    texts += [str(v.prompt) for sheet in book.worksheets
              for v in sheet.data_validations.dataValidation if v.prompt]
    assert len(texts) > 50
    for text in texts:
        assert not re.search(r"goda praxis\b|\d+ praxis|\bpraxis \d|\ben praxis\b", text, re.I), text
    consent = [v for v in book["Exempel 1"].data_validations.dataValidation if v.type == "list"
               and v.formula1 != '"x"']
    assert consent[0].formula1 == '"Ja,Nej"'

    rovaniemi = openpyxl.load_workbook(
        questionnaire_path(workspace, round_name=settings.round_name, code="698"))
    assert rovaniemi.sheetnames[:2] == ["Ohjeet", "Käytäntö 1"]
    mariehamn = questionnaire_path(workspace, round_name=settings.round_name, code="478")
    assert mariehamn.name == "478-mariehamn.xlsx"
    assert _meta(mariehamn)["language"] == "sv"


def test_workbook_reads_back_with_calamine_and_the_table_reader(
        workspace, session, settings, survey) -> None:
    _build(workspace, session, settings, survey, "091")
    path = questionnaire_path(workspace, round_name=settings.round_name, code="091")
    book = CalamineWorkbook.from_path(str(path))
    assert book.sheet_names[-1] == QUESTIONNAIRE_META_SHEET
    meta_rows = book.get_sheet_by_name(QUESTIONNAIRE_META_SHEET).to_python()
    assert meta_rows[2] == ["municipality_code", "091"]
    practice = book.get_sheet_by_name("Käytäntö 3 – Exempel 3").to_python()
    keys = [row[2] for row in practice if len(row) > 2 and row[2]]
    assert keys[0] == "practice:3"
    assert "publish_consent" in keys
    meta = read_questionnaire_meta(path)
    assert meta["token"] == tokens_for_round(session=session,
                                             round_name=settings.round_name)["091"]


def test_every_part_of_the_filled_in_workbook_is_well_formed_xml(
        workspace, session, settings, survey) -> None:
    _build(workspace, session, settings, survey, "599")
    path = questionnaire_path(workspace, round_name=settings.round_name, code="599")
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None
        names = archive.namelist()
        assert "Pedersöre".encode() in archive.read("xl/worksheets/sheet1.xml")
        for name in names:
            content = archive.read(name)
            assert b"@@" not in content, name  # no placeholder left behind
            if name.endswith((".xml", ".rels")):
                ElementTree.fromstring(content)


def test_unknown_code_is_an_error_naming_it(workspace, session, settings, survey) -> None:
    with pytest.raises(InputError, match=r"unknown municipality codes 999, 588; see"):
        build_questionnaires(workspace, session=session, settings=settings, survey=survey,
                             only=["091", "999", "588"])


def test_special_characters_survive_the_template_substitution(
        workspace, session, settings, survey) -> None:
    settings = load_settings(workspace.root, overrides={
        "round.form_url": "https://forms.example.fi/k?a=1&b=\"2\"&token={token}"})
    odd = SimpleNamespace(code="698", name_fi='Rova & <niemi> "x"', name_sv="Rova's",
                          language="fi-sv", aland=False)
    path = build_questionnaire(workspace, session=session, settings=settings, survey=survey,
                               municipality=odd)
    meta = _meta(path)
    assert meta["municipality_name"] == 'Rova & <niemi> "x" / Rova\'s'
    book = openpyxl.load_workbook(path)
    texts = [c.value for c in book.worksheets[0]["A"]]
    assert 'Kunta: Rova & <niemi> "x" (698)' in texts
    assert "Kommun: Rova's (698)" in texts
    link = next(c.hyperlink.target for c in book.worksheets[0]["A"] if c.hyperlink)
    assert link == f'https://forms.example.fi/k?a=1&b="2"&token={meta["token"]}'


def test_single_build_reuses_the_token_and_path_finds_it(workspace, session, settings,
                                                         survey) -> None:
    rovaniemi = session.get(Municipality, "698")
    expected = questionnaire_path(workspace, round_name=settings.round_name, code="698")
    assert not expected.exists()
    path = build_questionnaire(workspace, session=session, settings=settings, survey=survey,
                               municipality=rovaniemi)
    assert path == expected
    token = _meta(path)["token"]
    again = build_questionnaire(workspace, session=session, settings=settings, survey=survey,
                                municipality=rovaniemi)
    assert _meta(again)["token"] == token
    assert sorted(p.name for p in path.parent.iterdir()) == ["698-rovaniemi.xlsx"]


@pytest.mark.skipif(shutil.which("libreoffice") is None and shutil.which("soffice") is None,
                    reason="LibreOffice is not installed on this machine")
def test_libreoffice_converts_a_workbook_to_pdf(workspace, session, settings, survey,
                                                tmp_path: Path) -> None:
    _build(workspace, session, settings, survey, "091")
    path = questionnaire_path(workspace, round_name=settings.round_name, code="091")
    office = shutil.which("libreoffice") or shutil.which("soffice")
    assert office is not None
    subprocess.run([office, "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path),
                    str(path)], check=True, capture_output=True, timeout=120)
    pdf = tmp_path / (path.stem + ".pdf")
    assert pdf.read_bytes().startswith(b"%PDF")
