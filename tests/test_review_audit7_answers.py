"""The seventh review audit, second part: reviewers answer what the software was unsure of. Each test
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


# --- 2. a named workbook forwarded to a colleague ------------------------------------------------


def _saved_as(path: Path, saver: str | None, edits: dict[int, dict[str, Any]],
              out: Path | None = None) -> Path:
    """Edit a workbook as ``saver`` would and save it, its core.xml ``lastModifiedBy`` set to
    their name as Excel and LibreOffice set it."""
    book = openpyxl.load_workbook(path)
    sheet = book[SHEET]
    cols = headers(sheet)
    for practice_id, values in edits.items():
        for header, value in values.items():
            sheet.cell(row=row_of(sheet, practice_id), column=cols[header]).value = value
    book.properties.lastModifiedBy = saver
    target = out or path
    target.parent.mkdir(parents=True, exist_ok=True)
    book.save(target)
    return target


def test_a_named_workbook_forwarded_to_a_colleague_does_not_overrule_the_named_reviewer(
        session, tmp_path: Path) -> None:
    from yhteistuumin_survey.db.models import ReviewDecision

    practice = make_practice(session, title="Lukupiiri")
    path = export_one(session, tmp_path, reviewers=["Liisa"])
    liisa = _saved_as(path, "Liisa Virtanen", {practice.id: {DECISION: "hyväksytty"}},
                      out=tmp_path / "liisa" / path.name)
    forwarded = _saved_as(path, "Pekka Lahtinen", {practice.id: {DECISION: "hylätty"}},
                          out=tmp_path / "pekka" / path.name)
    assert import_review([liisa], session=session).counts["applied"] == 1
    saved = session.exec(select(ReviewDecision.saved_by).where(
        ReviewDecision.practice_id == practice.id)).all()
    assert saved == ["Liisa Virtanen"]

    result = import_review([forwarded], session=session)

    assert result.failed and result.counts["applied"] == 0
    [(where, said)] = _said(result, "conflict")
    assert said == (
        f"#{practice.id} was decided 'hyväksytty' by Liisa ({liisa}:2, last saved by Liisa "
        "Virtanen); this workbook is named for Liisa too but was last saved by Pekka "
        "Lahtinen, and says 'hylätty'; nothing applied (a forwarded copy keeps the "
        "reviewer's name); agree on one decision, then re-export and decide there")
    session.expire_all()
    assert session.get(Practice, practice.id).status == "approved"


def test_the_named_reviewers_own_change_of_mind_and_a_change_made_seeing_it_are_applied(
        session, tmp_path: Path) -> None:
    practice = make_practice(session, title="Lukupiiri")
    path = export_one(session, tmp_path / "first", reviewers=["Liisa"])
    _saved_as(path, "Liisa Virtanen", {practice.id: {DECISION: "hyväksytty"}})
    assert import_review([path], session=session).counts["applied"] == 1
    # Her own copy, changed and saved by her again: her change of mind.
    _saved_as(path, "Liisa Virtanen", {practice.id: {DECISION: "lisätietoja"}})
    assert import_review([path], session=session).counts["applied"] == 1
    # A file that does not say who saved it (a CSV, a program's save): the name decides,
    # as before.
    _saved_as(path, None, {practice.id: {DECISION: "hylätty"}})
    assert import_review([path], session=session).counts["applied"] == 1
    session.expire_all()
    assert session.get(Practice, practice.id).status == "rejected"
    # A new export showing her decision, forwarded and changed by a colleague: a change made
    # seeing it, not a conflict.
    _saved_as(path, "Liisa Virtanen", {practice.id: {DECISION: "hyväksytty",
                                                    "Arvioijan kommentti": "sittenkin"}})
    assert import_review([path], session=session).counts["applied"] == 1
    again = export_one(session, tmp_path / "second", reviewers=["Liisa"],
                       statuses=["approved"])
    _saved_as(again, "Pekka Lahtinen", {practice.id: {DECISION: "lisätietoja"}})
    result = import_review([again], session=session)
    assert result.counts["applied"] == 1 and not result.failed
    session.expire_all()
    assert session.get(Practice, practice.id).status == "needs-info"


@needs_libreoffice
def test_who_last_saved_a_workbook_is_read_from_a_libreoffice_save_and_an_ods(
        session, tmp_path: Path) -> None:
    from yhteistuumin_survey.review.import_ import saved_by

    make_practice(session, title="Lukupiiri")
    path = export_one(session, tmp_path)
    named = _saved_as(path, "Liisa Virtanen", {}, out=tmp_path / "named" / path.name)
    assert saved_by(named) == "Liisa Virtanen"
    # LibreOffice with no user name in its profile keeps the name it found; as .ods, the
    # name is in meta.xml.
    assert saved_by(resave(named, tmp_path, "ods")) == "Liisa Virtanen"
    (tmp_path / "xlsx").mkdir()
    assert saved_by(resave(named, tmp_path / "xlsx")) == "Liisa Virtanen"
    csv = tmp_path / "review.csv"
    csv.write_text("ID;Päätös\n", encoding="utf-8")
    assert saved_by(csv) is None
