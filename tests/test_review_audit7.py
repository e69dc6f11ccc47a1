"""The seventh review audit: reviewers answer what the software was unsure of. Each test
failed before its fix; real workbooks written, edited as a reviewer would and read back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
from factories import make_practice
from sqlmodel import Session, select
from test_review import SHEET, export_one, fill, headers, row_of
from test_review_libreoffice import pytestmark as needs_libreoffice
from test_review_libreoffice import resave

from yhteistuumin_survey.db.models import Practice, PracticeVersion
from yhteistuumin_survey.flags import describe, unsure
from yhteistuumin_survey.practices import show_practice
from yhteistuumin_survey.review import import_review

DECISION = "Päätös"
ANSWER = "Uusi luenta"
TITLE = "Kuntien välinen yhteistyö aluetyössä"


def _said(result: Any, status: str) -> list[tuple[str, str]]:
    return [(o.source, o.reason) for o in result.report.outcomes if o.status == status]


def _offered(path: Path, practice_id: int) -> list[str]:
    """The answers the drop-down of a row's 'Uusi luenta' cell offers."""
    sheet = openpyxl.load_workbook(path)[SHEET]
    cell = f"{openpyxl.utils.get_column_letter(headers(sheet)[ANSWER])}" \
           f"{row_of(sheet, practice_id)}"
    return [words for check in sheet.data_validations.dataValidation
            if cell in check.sqref for words in check.formula1.strip('"').split(",")]


# --- 1. an answer left empty for saying only "ei ole" --------------------------------------------


@needs_libreoffice
def test_an_answer_left_empty_for_saying_none_is_put_back_by_the_reviewer_in_the_workbook(
        sqlite_engine, workspace, tmp_path: Path) -> None:
    from ingest_support import questionnaire_copy, run_ingest, set_answer
    from test_ingest_audit4 import _one_practice

    path = questionnaire_copy(tmp_path / "in")
    set_answer(path, "Käytäntö 1", "experiences", "Ei ole.")  # "no problems": an answer
    run_ingest([path], engine=sqlite_engine, workspace=workspace)
    practice_id = _one_practice(sqlite_engine, TITLE)
    with Session(sqlite_engine) as session:
        book = export_one(session, tmp_path)
        assert _offered(book, practice_id) == ["palauta vastaus"]
        fill(book, {practice_id: {DECISION: "hyväksytty", ANSWER: "palauta vastaus"}})
        saved = resave(book, tmp_path)

        result = import_review([saved], session=session, reviewer="Liisa")

        assert not result.failed
        [(_where, said)] = _said(result, "applied")
        assert said == ("hyväksytty; restored the answer of experiences as typed (version 2)")
        session.expire_all()
        practice = session.get(Practice, practice_id)
        assert (practice.status, practice.current_version, practice.decided_version) == (
            "approved", 2, 2)
        first, second = session.exec(select(PracticeVersion).where(
            PracticeVersion.practice_id == practice_id).order_by(PracticeVersion.version)).all()
        assert (first.experiences, second.experiences) == (None, "Ei ole.")
        assert second.title == first.title and second.summary == first.summary
        assert not any("answer-none" in flag for flag in second.flags)
        [restored] = [flag for flag in first.flags if ":answer-none-restored{" in flag]
        assert describe(restored, "fi") == (
            "Kokemuksia: vastauksena oli vain 'Ei ole.', joten kohta jätettiin tyhjäksi. "
            "Arvioija palautti tekstin kohtaan seuraavassa versiossa.")
        shown = show_practice(practice_id, session=session)
        assert [line.partition(": ")[2] for line in shown.summary()
                if line.startswith("review ")] == [
            "new -> approved (version 2) by Liisa, answer left empty put back 'palauta "
            "vastaus' (as version 2)"]
        # The same workbook again changes nothing, and the practice is decided.
        again = import_review([saved], session=session, reviewer="Liisa")
        assert again.counts["applied"] == 0
        session.expire_all()
        assert session.get(Practice, practice_id).current_version == 2


def test_palauta_vastaus_with_no_answer_left_empty_to_put_back_is_refused(
        session, tmp_path: Path) -> None:
    plain = make_practice(session, title="Lukupiiri")
    keywords = make_practice(session, title="Kirjastoauto", flags=[
        unsure("keywords", "answer-none-emptied", value="ei ole")])
    path = export_one(session, tmp_path)
    # Keywords are corrected in their own column: no "palauta vastaus" for them.
    assert _offered(path, plain.id) == _offered(path, keywords.id) == []
    fill(path, {plain.id: {DECISION: "hyväksytty", ANSWER: "palauta vastaus"},
                keywords.id: {DECISION: "hyväksytty", ANSWER: "Återställ svaret"}})

    result = import_review([path], session=session)

    assert result.failed and result.counts["applied"] == 0
    assert [reason for _where, reason in _said(result, "error")] == [
        f"'Uusi luenta' says 'palauta vastaus', but #{number} has no answer left empty for "
        "saying only 'ei ole' (or it was restored already); nothing applied; clear the "
        "'Uusi luenta' cell" for number in (plain.id, keywords.id)]
    session.expire_all()
    assert session.get(Practice, plain.id).status == "new"


def test_an_unknown_answer_says_palauta_vastaus_among_the_answers(session, tmp_path) -> None:
    practice = make_practice(session, title="Lukupiiri")
    path = export_one(session, tmp_path)
    fill(path, {practice.id: {DECISION: "hyväksytty", ANSWER: "kumpi vain"}})
    result = import_review([path], session=session)
    assert _said(result, "error")[0][1] == (
        "unknown answer 'kumpi vain' in 'Uusi luenta'; nothing applied; write 'pidä nykyinen' "
        "(behåll nuvarande, keep) or 'ota uusi luenta' (ta den nya läsningen, take the new "
        "reading) to a new reading, 'palauta vastaus' (återställ svaret, restore the answer) "
        "to an answer left empty")

