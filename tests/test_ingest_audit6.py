"""A sixth pass at the answers: what a municipality sends, ingested into a real database and
read back (what came out, what the reviewer and the coordinator are told).

Nothing a municipality sent may be silently lost, guessed or changed; what is unsure is
flagged.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from ingest_support import (
    DATA,
    only_version,
    practices_by_title,
    questionnaire_copy,
    run_ingest,
    set_answer,
)
from openpyxl import load_workbook

from yhteistuumin_survey.flags import describe

REPO = Path(__file__).resolve().parents[1]
TITLE = "Kuntien välinen yhteistyö aluetyössä"


def _report_rows(result: Any) -> list[list[Any]]:
    """The ingest report workbook's rows under its headings, as the coordinator opens it."""
    assert result.report_path is not None
    sheet = load_workbook(result.report_path).active
    return [[cell.value for cell in row] for row in sheet.iter_rows(min_row=2)]


# --- 1. an optional answer that only says there is none ------------------------------------------


@pytest.mark.parametrize("typed", ["ei ole", "Ei.", "en osaa sanoa", "inget", "Vet ej"])
def test_an_optional_answer_that_says_none_is_left_empty_and_flagged_quoting_it(
        sqlite_engine, workspace, tmp_path, typed):
    path = questionnaire_copy(tmp_path / "in")
    set_answer(path, "Käytäntö 1", "experiences", typed)
    set_answer(path, "Käytäntö 1", "keywords", typed)
    run_ingest([path], engine=sqlite_engine, workspace=workspace)
    practice = practices_by_title(sqlite_engine)[TITLE]
    version = only_version(sqlite_engine, practice["id"])

    assert version.experiences is None  # never published as text on the card
    assert version.keywords == []
    said = {flag.split(":")[1]: describe(flag) for flag in practice["flags"]
            if ":answer-none-emptied" in flag}
    assert set(said) == {"experiences", "keywords"}
    assert said["experiences"].startswith(f"Kokemuksia: vastauksena oli vain '{typed}'")
    assert f"'{typed}'" in describe(next(f for f in practice["flags"] if "experiences" in f), "sv")
    # the other optional answers are as typed
    assert version.benefits == "Vertaistukea ja uusia ideoita."


def test_an_optional_swedish_answer_that_says_none_is_emptied_the_same_way():
    from yhteistuumin_survey.normalise import normalise_answers
    from yhteistuumin_survey.survey import load_survey

    survey = load_survey(REPO / "survey" / "questions.yaml")
    practice = normalise_answers(
        {"municipalities": "Korsholm", "title": "Kulturvänner för äldre",
         "target_group": "äldre", "goal": "Att ge äldre möjlighet att delta i kulturen.",
         "summary": "Frivilliga kulturvänner följer med äldre på konserter.",
         "resources": "Inget.", "benefits": "Minskad ensamhet.", "publish_consent": "Ja"},
        survey=survey, default_language="sv")
    assert practice.resources is None and practice.benefits == "Minskad ensamhet."
    flag = next(f for f in practice.flags if f.startswith("unsure:resources:"))
    assert describe(flag, "sv").startswith("Resurser: svaret var bara 'Inget.', så fältet "
                                           "lämnades tomt")


def test_the_emptied_answer_is_said_in_practices_show_and_the_review_workbook(
        cli, workspace, tmp_path):
    path = questionnaire_copy(tmp_path / "in")
    set_answer(path, "Käytäntö 1", "resources", "Ei ole.")
    assert cli("ingest", str(path)).exit_code in (0, 1)
    listed = json.loads(cli("practices", "list", "--format", "json").stdout)
    practice_id = next(p["id"] for p in listed if p["title"] == TITLE)

    shown = cli("practices", "show", str(practice_id))
    assert "resources: the answer was only 'Ei ole.', so the field was left empty" in shown.stdout
    out = tmp_path / "arviointi.xlsx"
    assert cli("review", "export", "--out", str(out)).exit_code == 0
    sheet = load_workbook(out).active
    headings = [cell.value for cell in sheet[1]]
    row = next(r for r in sheet.iter_rows(min_row=2, values_only=True) if r[0] == practice_id)
    flags = str(row[headings.index("Huomiot")])
    assert "Resurssit: vastauksena oli vain 'Ei ole.', joten kohta jätettiin tyhjäksi" in flags
    assert row[headings.index("Resurssit")] in (None, "")
