"""A reviewer answers a "possible duplicate" flag in the workbook; publish stops naming the pair.

Written, answered (with openpyxl, and through LibreOffice as reviewers without Excel do),
imported and published for real.
"""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
from factories import make_practice
from openpyxl.utils import get_column_letter
from sqlmodel import select
from test_review import SHEET, export_one, fill, headers, row_of
from test_review_libreoffice import pytestmark as needs_libreoffice
from test_review_libreoffice import resave

from yhteistuumin_survey.config import load_settings
from yhteistuumin_survey.db.models import Practice, ReviewDecision
from yhteistuumin_survey.publish import publish_site
from yhteistuumin_survey.review import import_review

DUPLICATE = "Kaksoiskappale (alkuperäisen ID)"


def publish(workspace, session):
    return publish_site(workspace, session=session,
                        settings=load_settings(workspace.root, env={}))


def flagged_pairs(session):
    """Two pairs flagged as possibly the same practice: (first, second), (third, fourth)."""
    first = make_practice(session, title="Lukudiplomi")
    second = make_practice(session, title="Lukudiplomi aikuisille",
                           flags=[f"possible-duplicate:{first.id}"])
    third = make_practice(session, title="Kirjastoauto")
    fourth = make_practice(session, title="Kirjastoauto kylille",
                           flags=[f"possible-duplicate:{third.id}"])
    return first, second, third, fourth


def checks_of(sheet, cell: str) -> list:
    return [dv for dv in sheet.data_validations.dataValidation if cell in dv.sqref]


def test_the_duplicate_column_of_a_flagged_row_offers_the_original_and_not_a_duplicate(
        session, tmp_path: Path) -> None:
    first, second, _, _ = flagged_pairs(session)
    sheet = openpyxl.load_workbook(export_one(session, tmp_path))[SHEET]
    letter = get_column_letter(headers(sheet)[DUPLICATE])
    offered = checks_of(sheet, f"{letter}{row_of(sheet, second.id)}")
    assert [(dv.type, dv.formula1) for dv in offered] == [
        ("list", f'"#{first.id},ei kaksoiskappale"')]
    # A row without a flag keeps the whole-number check; no cell has two checks.
    assert [dv.type for dv in checks_of(sheet, f"{letter}{row_of(sheet, first.id)}")] == [
        "whole"]
    assert [dv.type for dv in checks_of(sheet, f"{letter}900")] == ["whole"]
    instructions = "\n".join(str(c.value) for c in
                             openpyxl.load_workbook(export_one(session, tmp_path / "b"))[
                                 "Ohjeet - Anvisningar"]["A"] if c.value)
    assert "'ei kaksoiskappale'" in instructions and "'inte dubblett'" in instructions


def test_not_a_duplicate_is_stored_shown_again_and_publish_names_only_the_unanswered_pair(
        workspace, session, tmp_path: Path) -> None:
    first, second, third, fourth = flagged_pairs(session)
    path = export_one(session, tmp_path)
    fill(path, {first.id: {"Päätös": "hyväksytty"},
                second.id: {"Päätös": "hyväksytty", DUPLICATE: "ei kaksoiskappale"},
                third.id: {"Päätös": "hyväksytty"}, fourth.id: {"Päätös": "hyväksytty"}})
    result = import_review([path], session=session, reviewer="Aino")
    assert result.counts["applied"] == 4 and not result.failed, result.to_dict()
    session.expire_all()
    assert session.get(Practice, second.id).not_duplicate_of == [first.id]
    assert session.get(Practice, fourth.id).not_duplicate_of is None
    audit = {d.practice_id: d for d in session.exec(select(ReviewDecision))}
    assert audit[second.id].not_duplicate_of == [first.id]

    published = publish(workspace, session)
    assert published.unanswered == [(third.id, fourth.id)]
    assert not any(f"#{first.id} and #{second.id}" in note for note in published.notes)
    data = json.loads((published.out / "practices.json").read_text())
    assert {first.id, second.id} <= {p["id"] for p in data["practices"]}  # two cards

    # A new export shows the answer where it was given, and reading it back changes nothing.
    again = export_one(session, tmp_path / "again", statuses=["approved"])
    sheet = openpyxl.load_workbook(again)[SHEET]
    cols = headers(sheet)
    assert sheet.cell(row=row_of(sheet, second.id), column=cols[DUPLICATE]).value == \
        "ei kaksoiskappale"
    assert sheet.cell(row=row_of(sheet, fourth.id), column=cols[DUPLICATE]).value is None
    unchanged = import_review([again], session=session, reviewer="Aino")
    assert unchanged.counts["applied"] == 0 and unchanged.counts["unchanged"] == 4

    # Clearing the answer (same reviewer) makes the pair unanswered again.
    fill(again, {second.id: {DUPLICATE: None}})
    assert import_review([again], session=session, reviewer="Aino").counts["applied"] == 1
    assert publish(workspace, session).unanswered == [(first.id, second.id),
                                                      (third.id, fourth.id)]


def test_not_a_duplicate_with_the_decision_duplicate_or_without_a_decision_is_not_applied(
        session, tmp_path: Path) -> None:
    first, second, third, fourth = flagged_pairs(session)
    path = export_one(session, tmp_path)
    fill(path, {second.id: {"Päätös": "kaksoiskappale", DUPLICATE: "ei kaksoiskappale"},
                fourth.id: {DUPLICATE: "inte dubblett"}})
    result = import_review([path], session=session)
    sheet = openpyxl.load_workbook(path)[SHEET]
    outcomes = {o.detail.get("practice_id"): o for o in result.report.outcomes}
    error = outcomes[second.id]
    assert error.status == "error" and error.source == f"{path}:{row_of(sheet, second.id)}"
    assert error.reason == ("'ei kaksoiskappale' in the duplicate column but the decision is "
                            "'kaksoiskappale'; write the original's ID there, or choose "
                            "another decision")
    assert outcomes[fourth.id].status == "warning"
    assert "nothing applied (choose a decision)" in outcomes[fourth.id].reason
    session.expire_all()
    assert session.get(Practice, second.id).status == "new"
    assert session.get(Practice, fourth.id).not_duplicate_of is None


@needs_libreoffice
def test_the_answer_given_in_libreoffice_imports_and_publish_no_longer_names_the_pair(
        workspace, session, tmp_path: Path) -> None:
    first, second, third, fourth = flagged_pairs(session)
    path = export_one(session, tmp_path)
    # The reviewer opens the workbook in LibreOffice, answers in Swedish and saves it again.
    (tmp_path / "opened").mkdir()
    opened = resave(path, tmp_path / "opened")
    sheet = openpyxl.load_workbook(opened)[SHEET]
    letter = get_column_letter(headers(sheet)[DUPLICATE])
    assert [dv.formula1 for dv in checks_of(sheet, f"{letter}{row_of(sheet, second.id)}")] == [
        f'"#{first.id},ei kaksoiskappale"']  # LibreOffice keeps the drop-down
    fill(opened, {first.id: {"Päätös": "hyväksytty"},
                  second.id: {"Päätös": "godkänd", DUPLICATE: "inte dubblett"},
                  third.id: {"Päätös": "hyväksytty"}, fourth.id: {"Päätös": "hyväksytty"}})
    (tmp_path / "saved").mkdir()
    saved = resave(opened, tmp_path / "saved")
    result = import_review([saved], session=session, reviewer="Bertil")
    assert result.counts["applied"] == 4 and not result.failed, result.to_dict()
    published = publish(workspace, session)
    assert published.unanswered == [(third.id, fourth.id)]
