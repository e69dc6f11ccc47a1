"""The fifth review audit: the reviewers' round trip as reviewers who live in Excel make it.
Each test failed before its fix; real workbooks written, edited as a reviewer would and read
back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
from factories import make_practice
from sqlmodel import Session, select
from test_faults_review import other_session  # noqa: F401 - a fixture
from test_review import SHEET, export_one, fill, headers, row_of
from test_review_libreoffice import pytestmark as needs_libreoffice
from test_review_libreoffice import resave

from yhteistuumin_survey.config import load_settings
from yhteistuumin_survey.db.models import Practice, PracticeVersion
from yhteistuumin_survey.flags import describe
from yhteistuumin_survey.practices import show_practice
from yhteistuumin_survey.publish import publish_site
from yhteistuumin_survey.review import effective_municipalities, export_review, import_review

DECISION = "Päätös"
COMMENT = "Arvioijan kommentti"
DUPLICATE = "Kaksoiskappale (alkuperäisen ID)"


def _said(result, status: str) -> list[tuple[str, str]]:
    return [(o.source, o.reason) for o in result.report.outcomes if o.status == status]


# --- an unchanged workbook imported again --------------------------------------------------


def test_an_unchanged_workbook_imported_again_says_nothing_changed_once_without_its_warnings(
        session, tmp_path: Path) -> None:
    decided, edited, hidden = (make_practice(session, title=t)
                               for t in ("Lukupiiri", "Kirjastoauto", "Kesäteatteri"))
    path = export_one(session, tmp_path)
    fill(path, {decided.id: {DECISION: "hyväksytty"}, hidden.id: {DECISION: "hylätty"},
                edited.id: {DECISION: "hyväksytty", "Käytännön nimi": "Kirjastobussi"}})
    book = openpyxl.load_workbook(path)
    sheet = book[SHEET]
    sheet.row_dimensions[row_of(sheet, hidden.id)].hidden = True
    sheet.cell(row=row_of(sheet, decided.id), column=sheet.max_column + 1).value = "oma huomio"
    book.save(path)

    first = import_review([path], session=session)
    assert first.counts["applied"] == 3
    assert len(_said(first, "warning")) == 3  # the read-only edit, the hidden row, the column

    again = import_review([path], session=session)
    assert again.counts["applied"] == 0 and again.counts["unchanged"] == 3
    assert _said(again, "warning") == []
    assert again.summary() == [
        f"{path} was imported before: 3 decisions in it are already applied (unchanged); "
        "nothing changed",
        "0 applied, 3 unchanged, 0 stale, 0 conflicts, 0 errors, 0 warnings, 0 skipped"]


# --- a comment typed without a decision ----------------------------------------------------


@needs_libreoffice
def test_a_comment_without_a_decision_is_stored_with_who_and_when_and_the_practice_stays_new(
        session, tmp_path: Path) -> None:
    practice, other = (make_practice(session, title=t) for t in ("Lukupiiri", "Kirjastoauto"))
    path = export_one(session, tmp_path, reviewers=["Liisa"])
    fill(path, {practice.id: {COMMENT: "Kysy kunnalta kuvat", "Korjattu nimi": "Lukupiirit"}})
    saved = resave(path, tmp_path)

    result = import_review([saved], session=session)

    assert not result.failed
    assert _said(result, "applied") == [
        (f"{saved}:{_row(saved, practice.id)}",
         f"comment stored as the review note, without a decision: #{practice.id} stays 'uusi'; "
         "choose a decision when ready")]
    assert _said(result, "warning") == [
        (f"{saved}:{_row(saved, practice.id)}",
         "'Korjattu nimi' without a decision: not applied (the comment is stored); choose a "
         "decision to apply it")]
    session.expire_all()
    stored = session.get(Practice, practice.id)
    assert (stored.status, stored.decided_version, stored.reviewer_comment,
            stored.corrected_title) == ("new", None, "Kysy kunnalta kuvat", None)
    history = show_practice(practice.id, session=session).review
    assert [(h["decision"], h["reviewer"], h["comment"]) for h in history] == [
        ("comment", "Liisa", "Kysy kunnalta kuvat")]
    assert history[0]["decided_at"]
    # Still in the queue, the comment shown; the same file again changes nothing.
    again = import_review([saved], session=session)
    assert again.counts["applied"] == 0 and _said(again, "warning") == []
    later = export_one(session, tmp_path / "later")
    sheet = openpyxl.load_workbook(later)[SHEET]
    assert sheet.cell(row=row_of(sheet, practice.id),
                      column=headers(sheet)[COMMENT]).value == "Kysy kunnalta kuvat"
    assert row_of(sheet, other.id)


def test_a_decision_on_a_copy_that_never_showed_the_comment_keeps_it(
        session, tmp_path: Path) -> None:
    practice = make_practice(session, title="Lukupiiri")
    path = export_one(session, tmp_path)
    liisa, pekka = path.with_name("Liisa.xlsx"), path.with_name("Pekka.xlsx")
    fill(path, {practice.id: {COMMENT: "Liisa: kysy kuvat"}}, out=liisa)
    fill(path, {practice.id: {DECISION: "hyväksytty", COMMENT: "Pekka: hyvä"}}, out=pekka)
    assert import_review([liisa], session=session).counts["applied"] == 1
    result = import_review([pekka], session=session)
    assert result.counts["applied"] == 1 and not result.failed
    session.expire_all()
    stored = session.get(Practice, practice.id)
    assert (stored.status, stored.reviewer_comment) == ("approved",
                                                        "Liisa: kysy kuvat\nPekka: hyvä")
    # And a comment typed after the decision, on the approved row, is a comment too.
    approved = export_one(session, tmp_path / "approved", statuses=("approved",))
    fill(approved, {practice.id: {COMMENT: "Liisa: kysy kuvat\nPekka: hyvä\nkuvat tulleet"}})
    assert import_review([approved], session=session).counts["applied"] == 1
    session.expire_all()
    assert session.get(Practice, practice.id).status == "approved"


def _exported(session: Any, folder: Path) -> set[int]:
    """The practices the default review export brings."""
    found = set()
    for exported in export_review(folder, session=session).files:
        sheet = openpyxl.load_workbook(exported.path)[SHEET]
        found |= {sheet.cell(row=r, column=1).value for r in range(2, sheet.max_row + 1)}
    return found


def _row(path: Path, practice_id: int) -> int:
    return row_of(openpyxl.load_workbook(path)[SHEET], practice_id)


# --- a decided practice whose file, read again, reads differently --------------------------


READ_AGAIN_TITLE = "Kuntien välinen yhteistyö aluetyössä"
LONG_IMPLEMENTATION = " ".join(
    ["Kunnat sopivat vuosittain yhteisestä teemasta, jakavat työt ja raportoivat."] * 6)


def _read_again_differently(engine: Any, workspace: Any, tmp_path: Path) -> tuple[int, str]:
    """Ingest the seed questionnaire, make its stored reading lack the phone and hold another
    implementation (as an older version read it), approve it, and read the file again."""
    from ingest_support import questionnaire_copy, run_ingest, set_answer
    from test_ingest_audit4 import _decide, _one_practice, _read_wrongly, _reread

    path = questionnaire_copy(tmp_path / "in")
    book = openpyxl.load_workbook(path)
    sheet = next(sheet.title for sheet in book.worksheets for row in sheet.iter_rows()
                 if len(row) > 2 and row[2].value == "title" and row[1].value == READ_AGAIN_TITLE)
    set_answer(path, sheet, "implementation", LONG_IMPLEMENTATION)
    run_ingest([path], engine=engine, workspace=workspace)
    practice_id = _one_practice(engine, READ_AGAIN_TITLE)
    with Session(engine) as session:
        goal = session.exec(select(PracticeVersion.implementation).where(
            PracticeVersion.practice_id == practice_id)).one()
    _read_wrongly(engine, practice_id, contact_phone=None, implementation="Lisätä")
    _decide(engine, practice_id)
    _reread([path], engine=engine, workspace=workspace)
    return practice_id, str(goal)


@needs_libreoffice
def test_a_decided_practice_read_again_differently_comes_back_and_the_new_reading_is_taken(
        engine, workspace, tmp_path: Path) -> None:
    practice_id, goal = _read_again_differently(engine, workspace, tmp_path)
    assert goal == LONG_IMPLEMENTATION and len(goal) > 300  # longer than the flag quotes
    with Session(engine) as session:
        assert practice_id in _exported(session, tmp_path / "before")  # the default queue
        path = export_one(session, tmp_path)
        sheet = openpyxl.load_workbook(path)[SHEET]
        cols = headers(sheet)
        row = row_of(sheet, practice_id)
        said = sheet.cell(row=row, column=cols["Huomiot"]).value
        assert "Puhelin: tiedosto luettiin uudelleen" in said and "'–'" in said
        assert "Toteuttaminen: tiedosto luettiin uudelleen" in said and "'Lisätä'" in said
        assert sheet.cell(row=row, column=cols[DECISION]).value == "hyväksytty"
        fill(path, {practice_id: {"Uusi luenta": "ota uusi luenta"}})
        saved = resave(path, tmp_path)

        result = import_review([saved], session=session)

        assert not result.failed
        assert _said(result, "applied") == [(
            f"{saved}:{row}", "hyväksytty; took the new reading of implementation, "
                              "contact_phone "
                              "(version 2)")]
        session.expire_all()
        practice = session.get(Practice, practice_id)
        assert (practice.status, practice.current_version, practice.decided_version) == (
            "approved", 2, 2)
        versions = session.exec(select(PracticeVersion).where(
            PracticeVersion.practice_id == practice_id).order_by(PracticeVersion.version)).all()
        assert versions[0].implementation == "Lisätä" and versions[0].contact_phone is None
        assert versions[1].implementation == goal and versions[1].contact_phone
        assert versions[1].title == versions[0].title
        assert not any("reread" in flag for flag in versions[1].flags)
        assert sum(":reread-taken{" in flag for flag in versions[0].flags) == 2
        # Answered: out of the queue, and the publish names it no more.
        assert practice_id not in _exported(session, tmp_path / "after")
        assert not any("later reading" in note for note in publish_site(
            workspace, session=session, settings=load_settings(workspace.root, env={})).notes)
        # The same workbook again changes nothing.
        again = import_review([saved], session=session)
        assert again.counts["applied"] == 0 and not again.failed
        session.expire_all()
        assert session.get(Practice, practice_id).current_version == 2


def test_a_decided_practice_read_again_differently_keeps_its_text_when_the_reviewer_says_so(
        engine, workspace, tmp_path: Path) -> None:
    practice_id, _goal = _read_again_differently(engine, workspace, tmp_path)
    with Session(engine) as session:
        path = export_one(session, tmp_path)
        fill(path, {practice_id: {"Uusi luenta": "pidä nykyinen", COMMENT: "vanha oikein"}})
        result = import_review([path], session=session, reviewer="Liisa")
        assert _said(result, "applied") == [(
            f"{path}:{row_of(openpyxl.load_workbook(path)[SHEET], practice_id)}",
            "hyväksytty; kept version 1's implementation, contact_phone (the new reading is "
            "not taken)")]
        session.expire_all()
        practice = session.get(Practice, practice_id)
        assert (practice.status, practice.current_version, practice.decided_version) == (
            "approved", 1, 1)
        version = session.exec(select(PracticeVersion).where(
            PracticeVersion.practice_id == practice_id)).one()
        assert version.implementation == "Lisätä"
        kept = [describe(f, "fi") for f in version.flags if ":reread-kept{" in f]
        assert len(kept) == 2 and kept[0].startswith("Toteuttaminen: tiedosto luettiin uudelleen")
        assert "Arvioija päätti pitää version 1 tekstin 'Lisätä'." in kept[0]
        assert practice_id not in _exported(session, tmp_path / "after")
        history = show_practice(practice_id, session=session).review
        assert [(h["decision"], h["reviewer"], h["comment"]) for h in history] == [
            ("approved", "Liisa", "vanha oikein")]


def test_an_answer_to_a_new_reading_the_practice_does_not_have_is_refused(
        session, tmp_path: Path) -> None:
    practice = make_practice(session, title="Lukupiiri")
    path = export_one(session, tmp_path)
    fill(path, {practice.id: {DECISION: "hyväksytty", "Uusi luenta": "ota uusi luenta"}})
    result = import_review([path], session=session)
    assert result.failed and result.counts["applied"] == 0
    assert "has no new reading to answer" in _said(result, "error")[0][1]
    fill(path, {practice.id: {DECISION: "hyväksytty", "Uusi luenta": "kumpi vain"}})
    result = import_review([path], session=session)
    assert _said(result, "error")[0][1].startswith(
        "unknown answer 'kumpi vain' in 'Uusi luenta'; nothing applied; write 'pidä nykyinen'")


# --- hidden rows of an .xls workbook -------------------------------------------------------


@needs_libreoffice
def test_rows_hidden_in_a_workbook_saved_as_xls_are_counted_like_in_xlsx_and_ods(
        session, tmp_path: Path) -> None:
    practices = [make_practice(session, title=f"Lukupiiri {n}") for n in range(4)]
    path = export_one(session, tmp_path)
    fill(path, {p.id: {DECISION: "hyväksytty"} for p in practices})
    book = openpyxl.load_workbook(path)
    sheet = book[SHEET]
    hidden = sorted(row_of(sheet, p.id) for p in practices[1:3])
    for row in hidden:
        sheet.row_dimensions[row].hidden = True
    book.save(path)
    saved = resave(path, tmp_path, "xls")

    result = import_review([saved], session=session)

    assert result.counts["applied"] == 4
    assert _said(result, "warning") == [(
        str(saved), f"2 decisions came from 2 rows hidden in the workbook (a filter, or hidden "
                    f"by hand: {hidden[0]}, {hidden[1]}); they are read like the others; show "
                    "every row in the workbook and check them if they were not meant to be "
                    "decided")]


# --- corrections a reviewer types ------------------------------------------------------------


def test_a_corrected_keyword_not_in_the_vocabulary_is_taken_as_typed_and_said(
        session, tmp_path: Path) -> None:
    practice, swedish = (make_practice(session, title=t) for t in ("Lukupiiri", "Bokcirkel"))
    path = export_one(session, tmp_path)
    fill(path, {practice.id: {DECISION: "hyväksytty",
                              "Korjatut avainsanat": "musiikki, lukupiirrit"},
                swedish.id: {DECISION: "hyväksytty", "Korjatut avainsanat": "musik, bibliotek",
                             "Korjatut kunnat": "Borgå"}})
    result = import_review([path], session=session)
    assert result.counts["applied"] == 2
    assert _said(result, "warning") == [(
        f"{path}:{_row(path, practice.id)}",
        "corrected keyword 'lukupiirrit' is not in the keyword vocabulary: taken as typed, "
        "with no concept for the site's filters; if it is a typo, write the vocabulary's word "
        "and import again, else ask the vocabulary's keeper to add it")]
    session.expire_all()
    assert session.get(Practice, practice.id).corrected_keywords == ["musiikki", "lukupiirrit"]
    # Swedish words the vocabulary knows, and the Swedish name of a municipality: no warning.
    assert session.get(Practice, swedish.id).corrected_keywords == ["musik", "bibliotek"]
    assert effective_municipalities(session=session, practice_ids=[swedish.id]) == {
        swedish.id: ["638"]}


# --- a workbook of an earlier round ------------------------------------------------------------


def test_last_rounds_workbook_imported_into_this_rounds_workspace_is_refused_naming_the_round(
        session, other_session, tmp_path: Path) -> None:  # noqa: F811 - the fixture
    """This round's workspace numbers its practices from 1 as last round's did: the same ids
    are other practices."""
    for title in ("Lukupiiri", "Kirjastoauto"):
        make_practice(other_session, title=title)
        make_practice(session, title=title + " 2027")
    path = export_review(tmp_path / "2026", session=other_session,
                         round_name="kysely-2026").files[0].path
    fill(path, {1: {DECISION: "hyväksytty"}, 2: {DECISION: "hylätty"}})
    result = import_review([path], session=session, round_name="kysely-2027")
    assert result.failed and result.counts["applied"] == 0
    [(source, reason)] = _said(result, "error")
    assert source == str(path) and reason.startswith(
        "exported for round kysely-2026, not kysely-2027, and from another database (export ")
    assert reason.endswith("; nothing applied; export the workbook from this round")
    session.expire_all()
    assert {session.get(Practice, n).status for n in (1, 2)} == {"new"}


# --- decisions typed past the drop-down ------------------------------------------------------


@needs_libreoffice
def test_decisions_typed_past_a_removed_drop_down_are_read_exactly_or_refused_with_the_words(
        session, tmp_path: Path) -> None:
    """Autocorrect's full stop and an Alt+Enter line end are the same word; a decision with a
    condition, or two decisions on two lines, are refused (never read as their first word)."""
    stop, line_end, conditional, two = (make_practice(session, title=f"Lukupiiri {n}")
                                        for n in range(4))
    path = export_one(session, tmp_path)
    book = openpyxl.load_workbook(path)
    book[SHEET].data_validations.dataValidation = []  # the reviewer cleared the drop-downs
    book.save(path)
    fill(path, {stop.id: {DECISION: "Hylätty."}, line_end.id: {DECISION: "hyväksytty\n"},
                conditional.id: {DECISION: "hyväksytään korjattuna"},
                two.id: {DECISION: "hyväksytty\nhylätty"}})
    saved = resave(path, tmp_path)
    result = import_review([saved], session=session)
    session.expire_all()
    assert [session.get(Practice, p.id).status for p in (stop, line_end, conditional, two)] == [
        "rejected", "approved", "new", "new"]
    errors = [reason for _source, reason in _said(result, "error")]
    assert [e.partition(";")[0] for e in errors] == [
        "unknown decision 'hyväksytään korjattuna'", "unknown decision 'hyväksytty\\nhylätty'"]


def test_a_new_reading_flagged_by_an_older_version_can_be_kept_but_not_taken_in_part(
        session, tmp_path: Path) -> None:
    """A flag of the version before this one quotes the new reading's first 300 characters
    only: taking it would publish a cut text, so the reviewer is told how to get it whole."""
    from yhteistuumin_survey.flags import unsure

    older = unsure("goal", "reread-differs", now="Lisätä kuntien välistä yhteistyötä ja …",
                   was="Lisätä", version=1, status="approved")
    taken, kept, silent = (make_practice(session, title=t, status="approved",
                                         decided_version=1, flags=[older], goal="Lisätä")
                           for t in ("Lukupiiri", "Kirjastoauto", "Kesäteatteri"))
    path = export_one(session, tmp_path)
    fill(path, {taken.id: {"Uusi luenta": "ota uusi luenta"},
                kept.id: {"Uusi luenta": "pidä nykyinen"}, silent.id: {COMMENT: "katson"}})
    result = import_review([path], session=session)
    assert result.failed
    said = {source.rpartition(":")[2]: reason for source, reason in _said(result, "error")}
    assert said == {str(_row(path, taken.id)): (
        "the new reading of goal was flagged by an older version, which kept only its "
        "beginning; nothing applied; run 'yhteistuumin ingest --reread' on its file again, "
        "then export and answer the new row")}
    assert _said(result, "warning") == [(
        f"{path}:{_row(path, silent.id)}",
        f"#{silent.id}'s file, read again, reads differently in goal (see 'Huomiot'), and "
        "'Uusi luenta' is empty: the practice comes back in every review export until it is "
        "answered; choose 'pidä nykyinen' or 'ota uusi luenta'")]
    session.expire_all()
    assert [session.get(Practice, p.id).current_version for p in (taken, kept, silent)] == [
        1, 1, 1]
    assert _exported(session, tmp_path / "after") == {taken.id, silent.id}


def test_taking_a_new_reading_of_the_municipalities_keeps_the_reviewers_correction(
        session, tmp_path: Path) -> None:
    """The reviewers had added Espoo to Helsinki; the file, read again, names Vantaa: the new
    reading becomes the submitted list, and the reviewers' correction (Espoo added) still
    stands over it, never lost."""
    from yhteistuumin_survey.flags import unsure
    from yhteistuumin_survey.review.common import (
        set_reviewer_municipalities,
        submitted_municipalities,
    )

    flag = unsure("municipalities", "reread-differs", now="['092']", was="['091']",
                  value=[["092", "text"]], version=1, status="approved")
    practice = make_practice(session, title="Kulttuurikaveri", status="approved",
                             decided_version=1, flags=[flag], municipalities=["091"])
    set_reviewer_municipalities(session=session, practice_id=practice.id, codes=["091", "049"])
    session.commit()
    path = export_one(session, tmp_path)
    fill(path, {practice.id: {"Uusi luenta": "ota uusi luenta"}})
    result = import_review([path], session=session)
    assert not result.failed, result.report.outcomes
    session.expire_all()
    assert effective_municipalities(session=session, practice_ids=[practice.id]) == {
        practice.id: ["049", "091"]}
    assert [code for code, _ in submitted_municipalities(
        session=session, practice_id=practice.id)] == ["092"]
