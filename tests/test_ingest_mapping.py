"""Headings as people and tools write them, mapped to the survey's questions; safe file names."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from yhteistuumin_survey.ingest.emails import safe_name
from yhteistuumin_survey.ingest.mapping import HeadingMapper
from yhteistuumin_survey.ingest.profiles import load_profiles, parse_timestamp
from yhteistuumin_survey.resources import bundled_path
from yhteistuumin_survey.survey import load_survey

HEADINGS = [
    ("Käytännön nimi", "title", "exact"),
    ("2. Nimi *", "title", "label"),
    ("Q1. Name of the practice", "title", "label"),
    ("Tavoite / Mål *", "goal", "label"),
    ("Toteutustapa", "implementation", "inflected"),
    ("Resurssitarve", "resources", "inflected"),
    ("Mitä käytännöllä tavoitellaan?", "goal", "contains"),
    ("Hyvä käytäntö pähkinänkuo...", "summary", "truncated"),
    ("Tav.", "goal", "abbreviation"),
    ("Yht.hlö", "contact_name", "abbreviation"),
    ("Contact e-mail", "contact_email", "contains"),
    ("Saako yhteystiedot julkaista?", "publish_consent", "contains"),
    ("Miten käytäntö toteutetaan?", "implementation", "contains"),
    ("Kontaktperson (namn)", "contact_name", "contains"),
    ("Praxisens mål", "goal", "contains"),
    ("Vem är praxisen till för?", "target_group", "contains"),
    ("Kommun(er)", "municipalities", "contains"),
    ("Avainsanoja", "keywords", "fuzzy"),
    ("Kenelle käytäntö on suunnattu? - Lapset", "target_group:Lapset", "option"),
    # A subquestion code means nothing without its survey's structure: kept as the code (the
    # reader then flags it), never mapped to the choice at the same position in our list.
    ("kenelle[SQ002]", "target_group:SQ002", "option"),
    ("kenelle[other]", "target_group:Muu, mikä?", "option"),
    ("Saako yhteystiedot julkaista verkkosivuilla?", "publish_consent", "contains"),
    ("May we publish the contact details?", "publish_consent", "contains"),
    ("Kenelle käytäntö on tarkoitettu?", "target_group", "contains"),
    ("Kuvaile käytäntöä lyhyesti", "summary", "contains"),
    ("Mitä resursseja käytäntö vaatii?", "resources", "contains"),
    ("Missä kunnissa käytäntö on käytössä?", "municipalities", "contains"),
    ("Beskriv praxisen kort", "summary", "contains"),
    ("Vad heter praxisen?", "title", "inflected"),
    ("Keitä käytäntö koskee?", "target_group", "exact"),
    ("Ketä varten?", "target_group", "exact"),
    ("Vem riktar sig praxisen till?", "target_group", "contains"),
    ("Muut kommentit", "", "ignored"),
    ("Kuntalaisten osallisuus", "", "ignored"),
]


@pytest.fixture(scope="module")
def mapper() -> HeadingMapper:
    survey = load_survey(bundled_path("survey/questions.yaml"))
    return HeadingMapper(survey, load_profiles()["limesurvey"])


@pytest.mark.parametrize(("heading", "target", "method"), HEADINGS)
def test_heading_maps_to_its_question(mapper: HeadingMapper, heading: str, target: str,
                                      method: str) -> None:
    table = HeadingMapper(mapper.survey, load_profiles()["table"])
    chosen = (mapper if "[" in heading else table).mapping(heading)
    assert (chosen.target, chosen.method) == (target, method)


@pytest.mark.parametrize("heading", ["Saako yhteystiedot julkaista?",
                                     "Lupa yhteystietojen julkaisuun",
                                     "Får vi publicera kontaktuppgifterna?"])
def test_form_tool_profiles_know_the_everyday_wordings_too(heading: str) -> None:
    from yhteistuumin_survey.ingest.detect import Detector

    profiles = load_profiles()
    detector = Detector(load_survey(bundled_path("survey/questions.yaml")), profiles)
    for name in ("googleforms", "msforms", "webropol"):
        assert detector.mapper(profiles[name]).mapping(heading).target == "publish_consent"


@pytest.mark.parametrize(("text", "expected"), [
    ("2022/11/30 10:39:41 PM GMT+1", "2022-11-30T22:39:41+01:00"),
    ("30.11.2022 klo 22.39.41", "2022-11-30T22:39:41"),
    ("4.9.2023 10.02.11", "2023-09-04T10:02:11"),
    ("2024-03-05 10:00:01", "2024-03-05T10:00:01"),
])
def test_form_timestamps_are_parsed_with_the_profile_formats(text: str, expected: str) -> None:
    profiles = load_profiles()
    formats = tuple(f for p in profiles.values() for f in p.timestamps)
    parsed = parse_timestamp(text, formats)
    assert parsed is not None and parsed.isoformat() == expected


@pytest.mark.parametrize("name", ["googleforms", "limesurvey", "msforms", "surveymonkey",
                                  "table", "webropol"])
def test_a_time_as_finnish_excel_saves_it_without_seconds_is_read_by_every_profile(
        name: str) -> None:
    """A CSV opened and saved again in Excel set to Finnish writes "1.3.2024 9.00" (or
    "9:00"): read as nothing, the export's rows lost their order by time (a correction could
    be stored before the answer it corrects)."""
    formats = load_profiles()[name].timestamps
    for text in ("1.3.2024 9.00", "1.3.2024 9:00", "01.03.2024 09:00"):
        parsed = parse_timestamp(text, formats)
        assert parsed is not None and parsed.isoformat() == "2024-03-01T09:00:00", (name, text)


@given(st.text(max_size=300))
def test_safe_name_is_only_ever_a_plain_file_name(name: str) -> None:
    result = safe_name(name, "attachment-1")
    assert result and "/" not in result and "\\" not in result and "\x00" not in result
    assert result not in {".", ".."} and not result.startswith(".")
    assert len(result) <= 120


def _xlsx_with_inline_string(path: Path, text: str) -> None:
    """An .xlsx whose A1 holds ``text`` exactly as stored in the file (escapes and all)."""
    import zipfile

    from openpyxl import Workbook

    plain = path.with_suffix(".plain.xlsx")
    workbook = Workbook()
    workbook.active["A1"] = "PLACEHOLDER"
    workbook.save(plain)
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(path, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if b"PLACEHOLDER" in data:
                data = data.replace(b"PLACEHOLDER", text.encode())
            target.writestr(item, data)


@pytest.mark.parametrize(("stored", "typed"), [
    ("rivi_x000D_toinen", "rivi\rtoinen"),
    ("kirjoitettu _x005F_x000D_ teksti", "kirjoitettu _x000D_ teksti"),
])
def test_excel_escapes_are_decoded_once_as_the_format_defines(tmp_path, stored, typed):
    from yhteistuumin_survey.normalise import clean_text
    from yhteistuumin_survey.tables import read_table_file

    path = tmp_path / "escapes.xlsx"
    _xlsx_with_inline_string(path, stored)
    cell = read_table_file(path)[0].rows[0][0]
    assert cell == typed
    assert clean_text(cell) == typed.replace("\r", "\n")
    csv_path = tmp_path / "escapes.csv"
    csv_path.write_text(f"otsikko\n{stored}\n", encoding="utf-8")
    assert read_table_file(csv_path)[0].rows[1][0] == typed


@pytest.mark.parametrize("heading", ["Yhteyshlö", "Yht.henkilö", "Yht. hlö", "Yhteyshenkilo",
                                     "Kontaktperson", "Kontakt", "Contact", "Contact person"])
def test_contacts_are_found_under_abbreviated_and_mistyped_headings(heading: str) -> None:
    survey, detector = _reader()
    for profile in load_profiles().values():
        assert detector.mapper(profile).mapping(heading).target == "contact_name", profile.name


def test_an_instruction_in_brackets_after_the_question_is_not_a_choice(mapper: HeadingMapper) -> None:
    assert mapper.mapping("Kenelle käytäntö on suunnattu? (valitse kaikki sopivat)").target == \
        "target_group"


def _reader():
    from yhteistuumin_survey.ingest.detect import Detector

    survey = load_survey(bundled_path("survey/questions.yaml"))
    return survey, Detector(survey, load_profiles())


@pytest.mark.parametrize(("label", "value"), [("Kuntakoodi", 75), ("Kommunkod", "75"),
                                              ("municipality_code", 75.0)])
def test_identification_rows_typed_anywhere_are_metadata_not_answers(label, value) -> None:
    from yhteistuumin_survey.ingest.questionnaire import read_questionnaire
    from yhteistuumin_survey.tables import Sheet

    survey, detector = _reader()
    rows = [["Käytännön nimi", "Kesäteatteri", None, label, value],
            ["Kyselyn versio", 1], ["Kunta", "Haminan kaupunki"], ["Avainsanat", "teatteri"],
            ["Tavoite", "Teatteria linnoituksessa."], ["Vastaustunniste", "abc-123"]]
    sheet = Sheet("Vastaus", rows)
    assert detector.detect([sheet]).format == "questionnaire"
    parsed = read_questionnaire([sheet], survey=survey, mapper=detector.mapper(), where="x")
    [record] = parsed.records
    assert record.meta_code == "075" and record.token == "abc-123"
    assert record.answers == {"title": "Kesäteatteri", "municipalities": "Haminan kaupunki",
                              "keywords": "teatteri", "goal": "Teatteria linnoituksessa."}
    assert record.notes == []


def test_many_rows_under_one_heading_row_are_a_table_whatever_their_cells_say() -> None:
    from yhteistuumin_survey.ingest.forms import read_response_table
    from yhteistuumin_survey.tables import Sheet

    survey, detector = _reader()
    rows = [["Kunta", "Käytännön nimi", "Tavoite", "Kuvaus"]]
    rows += [["Espoo", f"Käytäntö {n}", "Tavoite.", f"Kuvaus {n}."] for n in range(1, 40)]
    sheet = Sheet("taulukko", rows)
    detection = detector.detect([sheet])
    assert detection.format == "table"
    parsed = read_response_table([sheet], survey=survey, profile=detection.profile,
                                 mapper=detector.mapper(detection.profile))
    assert len(parsed.records) == 39


def test_an_answer_under_a_fuzzily_matched_heading_is_flagged() -> None:
    from yhteistuumin_survey.ingest.forms import read_response_table
    from yhteistuumin_survey.tables import Sheet

    survey, detector = _reader()
    profile = load_profiles()["table"]
    rows = [["Käytännön nimi", "Avainsanoja", "Tavoite"], ["Kesäteatteri", "teatteri", "Ilo."]]
    parsed = read_response_table([Sheet("t", rows)], survey=survey, profile=profile,
                                 mapper=detector.mapper(profile))
    [record] = parsed.records
    assert record.answers["keywords"] == "teatteri"
    assert [flag.split(":")[:2] for flag in record.note_flags()] == [["unsure", "keywords"]]


@pytest.mark.parametrize("body", [
    "Nimi,Kunta\r\nAino,Espoo\r\nEino,Vantaa\r\n",
    "Nimi,Kunta\nAino,\"Espoo\nja Vantaa\"\nEino,Turku",
    "Nimi,Kunta\rAino,Espoo\rEino,\"Oulu\r\nja Kemi\"\r",
    "Nimi,Kunta\nAino\u2028Virtanen,Espoo\x0cKauniainen\nEino,Pori\n\n",
])
def test_a_csv_splits_into_rows_only_at_its_line_breaks(tmp_path, body: str) -> None:
    """LF, CRLF and CR end a row outside quotes; other Unicode line separators are text."""
    import csv
    import io

    from yhteistuumin_survey.tables import read_table_file

    path = tmp_path / "vastaukset.csv"
    path.write_bytes(body.encode("utf-8"))
    expected = list(csv.reader(io.StringIO(body, newline="")))
    assert read_table_file(path)[0].rows == expected
