"""The fifth review audit: the reviewers' round trip as reviewers who live in Excel make it.
Each test failed before its fix; real workbooks written, edited as a reviewer would and read
back."""

from __future__ import annotations

from pathlib import Path

import openpyxl
from factories import make_practice
from test_review import SHEET, export_one, fill, headers, row_of
from test_review_libreoffice import pytestmark as needs_libreoffice
from test_review_libreoffice import resave

from yhteistuumin_survey.db.models import Practice
from yhteistuumin_survey.practices import show_practice
from yhteistuumin_survey.review import import_review

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


def _row(path: Path, practice_id: int) -> int:
    return row_of(openpyxl.load_workbook(path)[SHEET], practice_id)
