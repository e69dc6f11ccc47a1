"""The fourth review audit: the round trip as reviewers who live in Excel make it. Each test
failed before its fix; real workbooks written, edited as a reviewer would and read back."""

from __future__ import annotations

import shutil
from pathlib import Path

import openpyxl
import pytest
from factories import make_practice
from openpyxl.utils import get_column_letter
from test_review import SHEET, export_one, fill, headers, row_of
from test_review_libreoffice import pytestmark as needs_libreoffice
from test_review_libreoffice import resave

from yhteistuumin_survey.config import load_settings
from yhteistuumin_survey.db.models import Practice
from yhteistuumin_survey.publish import publish_site
from yhteistuumin_survey.review import import_review

DECISION = "Päätös"
COMMENT = "Arvioijan kommentti"
DUPLICATE = "Kaksoiskappale (alkuperäisen ID)"


def _applied(result) -> dict[int | None, str]:
    return {o.detail.get("practice_id"): o.reason for o in result.report.outcomes
            if o.status == "applied"}


def _copies(path: Path, *names: str) -> list[Path]:
    """The one export handed to each reviewer as their own copy."""
    copies = [path.with_name(name) for name in names]
    for copy in copies:
        shutil.copy(path, copy)
    return copies


def test_a_second_reviewers_same_decision_keeps_the_first_reviewers_comment_it_never_showed(
        session, tmp_path: Path) -> None:
    commented, silent = (make_practice(session, title=title)
                         for title in ("Taidetestaajat", "Kirjastoauto"))
    liisa, pekka = _copies(export_one(session, tmp_path), "arviointi_Liisa.xlsx",
                           "arviointi_Pekka.xlsx")
    fill(liisa, {commented.id: {DECISION: "hyväksytty", COMMENT: "Liisa: hieno, kuvat mukaan"},
                 silent.id: {DECISION: "hyväksytty", COMMENT: "Liisa: tarkista puhelin"}})
    fill(pekka, {commented.id: {DECISION: "hyväksytty", COMMENT: "Pekka: kuvat puuttuvat"},
                 silent.id: {DECISION: "hyväksytty"}})
    assert import_review([liisa], session=session).counts["applied"] == 2
    result = import_review([pekka], session=session)
    assert not result.failed
    applied = _applied(result)
    assert applied[commented.id] == (
        "hyväksytty; the comment by an unnamed reviewer (arviointi_Liisa.xlsx:2), not in this "
        "workbook, is kept")
    session.expire_all()
    # Pekka's own comment comes after Liisa's; his empty cell does not erase hers.
    assert session.get(Practice, commented.id).reviewer_comment == (
        "Liisa: hieno, kuvat mukaan\nPekka: kuvat puuttuvat")
    assert session.get(Practice, silent.id).reviewer_comment == "Liisa: tarkista puhelin"


def test_a_reviewer_who_was_shown_the_comment_or_wrote_it_may_still_change_it(
        session, tmp_path: Path) -> None:
    practice = make_practice(session, title="Taidetestaajat")
    path = export_one(session, tmp_path)
    fill(path, {practice.id: {DECISION: "hyväksytty", COMMENT: "hieno"}})
    assert import_review([path], session=session, reviewer="Liisa").counts["applied"] == 1
    # The same reviewer's second thought, in the same file.
    fill(path, {practice.id: {COMMENT: "hieno, kuvat puuttuvat"}})
    assert import_review([path], session=session, reviewer="Liisa").counts["applied"] == 1
    session.expire_all()
    assert session.get(Practice, practice.id).reviewer_comment == "hieno, kuvat puuttuvat"
    # Another reviewer on a later export, which showed that comment, rewrites it.
    later = export_one(session, tmp_path / "later", statuses=("approved",))
    fill(later, {practice.id: {COMMENT: "kuvat tulleet"}})
    result = import_review([later], session=session, reviewer="Pekka")
    assert _applied(result) == {practice.id: "hyväksytty"}
    session.expire_all()
    assert session.get(Practice, practice.id).reviewer_comment == "kuvat tulleet"


def _decide_in_a_copy_of_the_sheet(path: Path, decisions: dict[int, str],
                                   in_original: dict[int, str] | None = None) -> None:
    """Copy the review sheet ("Arviointi (2)", as Excel's Move or Copy names it) and decide
    there, keeping the original as exported (or deciding ``in_original`` on it too)."""
    book = openpyxl.load_workbook(path)
    original = book[SHEET]
    copy = book.copy_worksheet(original)
    copy.title = f"{SHEET} (2)"
    for sheet, chosen in ((copy, decisions), (original, in_original or {})):
        for practice_id, decision in chosen.items():
            sheet.cell(row=row_of(sheet, practice_id),
                       column=headers(sheet)[DECISION]).value = decision
    book.save(path)


def test_decisions_made_in_a_copy_of_the_review_sheet_are_read_from_the_copy(
        session, tmp_path: Path) -> None:
    first, second = (make_practice(session, title=t) for t in ("Lukupiiri", "Kirjastoauto"))
    path = export_one(session, tmp_path)
    _decide_in_a_copy_of_the_sheet(path, {first.id: "hyväksytty", second.id: "hylätty"})
    result = import_review([path], session=session)
    assert result.counts["applied"] == 2 and not result.failed
    session.expire_all()
    assert [session.get(Practice, p.id).status for p in (first, second)] == [
        "approved", "rejected"]


def test_decisions_on_two_copies_of_the_review_sheet_are_refused_not_read_from_the_first(
        session, tmp_path: Path) -> None:
    first, second = (make_practice(session, title=t) for t in ("Lukupiiri", "Kirjastoauto"))
    path = export_one(session, tmp_path)
    _decide_in_a_copy_of_the_sheet(path, {first.id: "hyväksytty", second.id: "hylätty"},
                                   in_original={first.id: "hylätty"})
    result = import_review([path], session=session)
    assert result.failed and result.counts["applied"] == 0
    assert [o.reason for o in result.report.outcomes if o.status == "error"] == [
        "the sheets 'Arviointi' and 'Arviointi (2)' both have the review's columns with "
        "decisions, and which of them holds the reviewer's word cannot be told; nothing "
        "applied; keep the decisions on one sheet, delete the other and import again"]
    session.expire_all()
    assert [session.get(Practice, p.id).status for p in (first, second)] == ["new", "new"]


def _filter_out(path: Path, decided: dict[int, str], hidden: list[int]) -> list[int]:
    """Decide rows, then filter the sheet so that the ``hidden`` practices' rows are hidden
    (as Excel's filter leaves them: the rows' hidden attribute); return those rows."""
    book = openpyxl.load_workbook(path)
    sheet = book[SHEET]
    for practice_id, decision in decided.items():
        sheet.cell(row=row_of(sheet, practice_id), column=headers(sheet)[DECISION]).value = \
            decision
    rows = sorted(row_of(sheet, practice_id) for practice_id in hidden)
    for row in rows:
        sheet.row_dimensions[row].hidden = True
    sheet.auto_filter.ref = f"A1:{get_column_letter(sheet.max_column)}{sheet.max_row}"
    book.save(path)
    return rows


def test_decisions_on_rows_hidden_by_a_filter_are_applied_and_counted_in_the_result(
        session, tmp_path: Path) -> None:
    mine, theirs, undecided = (make_practice(session, title=t)
                               for t in ("Lukupiiri", "Kirjastoauto", "Kesäteatteri"))
    path = export_one(session, tmp_path)
    rows = _filter_out(path, {mine.id: "hyväksytty", theirs.id: "hylätty"},
                       hidden=[theirs.id, undecided.id])
    result = import_review([path], session=session)
    assert result.counts["applied"] == 2 and not result.failed
    hidden_row = row_of(openpyxl.load_workbook(path)[SHEET], theirs.id)
    assert hidden_row in rows
    assert [(o.source, o.reason) for o in result.report.outcomes if o.status == "warning"] == [
        (str(path), f"1 decision came from 1 row hidden in the workbook (a filter, or hidden "
                    f"by hand: {hidden_row}); it is read like the others; show every row in "
                    "the workbook and check it if it was not meant to be decided")]


@needs_libreoffice
@pytest.mark.parametrize("kind", ["xlsx", "ods"])
def test_rows_hidden_by_a_filter_are_counted_in_a_workbook_saved_by_libreoffice(
        session, tmp_path: Path, kind: str) -> None:
    practices = [make_practice(session, title=f"Lukupiiri {n}") for n in range(4)]
    path = export_one(session, tmp_path)
    _filter_out(path, {p.id: "hyväksytty" for p in practices},
                hidden=[p.id for p in practices[1:3]])
    result = import_review([resave(path, tmp_path, kind)], session=session)
    assert result.counts["applied"] == 4
    warnings = [o.reason for o in result.report.outcomes if o.status == "warning"]
    assert len(warnings) == 1 and warnings[0].startswith(
        "2 decisions came from 2 rows hidden in the workbook (a filter, or hidden by hand: ")
    assert "; they are read like the others; " in warnings[0]


def test_publish_after_part_of_the_review_says_how_many_practices_are_not_decided_yet(
        workspace, session, tmp_path: Path) -> None:
    approved, waiting, *new = (make_practice(session, title=f"Lukupiiri {n}")
                               for n in range(5))
    path = export_one(session, tmp_path)
    fill(path, {approved.id: {DECISION: "hyväksytty"}, waiting.id: {DECISION: "lisätietoja"}})
    assert import_review([path], session=session).counts["applied"] == 2
    result = publish_site(workspace, session=session,
                          settings=load_settings(workspace.root, env={}))
    assert result.practices == 1
    assert ("4 practices are not decided yet (3 new, 1 waiting for more information) and not "
            "on the site; export them with 'yhteistuumin review export' and import the "
            "decisions") in result.notes
    # Everything decided: nothing to say.
    fill(path, {p.id: {DECISION: "hylätty"} for p in new})
    fill(path, {waiting.id: {DECISION: "hyväksytty"}})
    assert import_review([path], session=session).counts["applied"] == 4
    result = publish_site(workspace, session=session,
                          settings=load_settings(workspace.root, env={}))
    assert result.practices == 2
    assert not any("not decided yet" in note for note in result.notes)


def test_a_cleared_decision_is_refused_saying_a_practice_cannot_be_made_undecided(
        session, tmp_path: Path) -> None:
    practice = make_practice(session, title="Lukupiiri", status="approved", decided_version=1)
    path = export_one(session, tmp_path, statuses=("approved",))
    fill(path, {practice.id: {DECISION: None}})
    result = import_review([path], session=session)
    assert result.failed
    assert [o.reason for o in result.report.outcomes if o.status == "error"] == [
        "the decision exported on this row was cleared, and a decided practice cannot be "
        "made undecided; nothing applied; choose lisätietoja to keep it off the site for now, "
        "or hylätty"]
    session.expire_all()
    assert session.get(Practice, practice.id).status == "approved"


def test_a_note_typed_in_the_huomiot_column_is_pointed_to_the_comment_column(
        session, tmp_path: Path) -> None:
    practice = make_practice(session, title="Lukupiiri")
    path = export_one(session, tmp_path)
    fill(path, {practice.id: {DECISION: "hyväksytty", "Huomiot": "kuvat puuttuvat"}})
    result = import_review([path], session=session)
    assert [o.reason for o in result.report.outcomes if o.status == "warning"] == [
        "read-only column 'Huomiot' was edited; the edit is ignored (write notes and "
        "corrections in 'Arvioijan kommentti')"]


def test_an_id_retyped_as_text_with_leading_zeros_or_as_a_decimal_reads_as_the_same_practice(
        session, tmp_path: Path) -> None:
    first, second = (make_practice(session, title=t) for t in ("Lukupiiri", "Kirjastoauto"))
    path = export_one(session, tmp_path)
    book = openpyxl.load_workbook(path)
    sheet = book[SHEET]
    for practice, typed in ((first, f"{first.id:04d}"), (second, float(second.id))):
        row = row_of(sheet, practice.id)
        sheet.cell(row=row, column=headers(sheet)["ID"]).value = typed
        sheet.cell(row=row, column=headers(sheet)[DECISION]).value = "hyväksytty"
    book.save(path)
    result = import_review([path], session=session)
    assert result.counts["applied"] == 2
    assert [o.reason for o in result.report.outcomes if o.status == "warning"] == []


def test_a_former_municipality_as_a_correction_is_taken_as_todays_saying_so(
        session, tmp_path: Path) -> None:
    from yhteistuumin_survey.review import effective_municipalities

    practice = make_practice(session, title="Kesäteatteri", municipalities=["049"])
    swedish = make_practice(session, title="Sommarteater", municipalities=["049"])
    path = export_one(session, tmp_path)
    fill(path, {practice.id: {DECISION: "hyväksytty", "Korjatut kunnat": "Jalasjärvi, Seinäjoki"},
                swedish.id: {DECISION: "hyväksytty", "Korjatut kunnat": "Esbo, Grankulla"}})
    result = import_review([path], session=session)
    assert result.counts["applied"] == 2
    assert [o.reason for o in result.report.outcomes if o.status == "warning"] == [
        "corrected municipalities: 'Jalasjärvi' is a former municipality, now part of "
        "Kurikka; the card names that"]
    assert effective_municipalities(session=session, practice_ids=[practice.id, swedish.id]) \
        == {practice.id: ["301", "743"], swedish.id: ["049", "235"]}


def test_a_column_the_reviewer_added_and_filled_is_named_as_not_imported(
        session, tmp_path: Path) -> None:
    first, second = (make_practice(session, title=t) for t in ("Lukupiiri", "Kirjastoauto"))
    path = export_one(session, tmp_path)
    book = openpyxl.load_workbook(path)
    sheet = book[SHEET]
    sheet.insert_cols(3)
    sheet.cell(row=1, column=3).value = "Omat muistiinpanot"
    beyond = sheet.max_column + 1  # typed beside the last column, with no header
    for practice in (first, second):
        sheet.cell(row=row_of(sheet, practice.id), column=3).value = "soita Liisalle"
        sheet.cell(row=row_of(sheet, practice.id), column=headers(sheet)[DECISION]).value = \
            "hyväksytty"
    sheet.cell(row=row_of(sheet, first.id), column=beyond).value = "kuvat?"
    book.save(path)
    result = import_review([path], session=session)
    assert result.counts["applied"] == 2 and not result.failed
    assert [o.reason for o in result.report.outcomes if o.status == "warning"] == [
        "column C ('Omat muistiinpanot') is not one of the review's columns: its 2 filled "
        "cells are not imported; write what the other reviewers should see in 'Arvioijan "
        "kommentti'",
        f"column {get_column_letter(beyond)} (no header) is not one of the review's columns: "
        "the 1 filled cell is not imported; write what the other reviewers should see in "
        "'Arvioijan kommentti'"]


def test_the_same_workbook_imported_again_says_it_was_imported_before(
        session, tmp_path: Path) -> None:
    first, second = (make_practice(session, title=t) for t in ("Lukupiiri", "Kirjastoauto"))
    path = export_one(session, tmp_path)
    fill(path, {first.id: {DECISION: "hyväksytty"}, second.id: {DECISION: "hylätty"}})
    assert import_review([path], session=session).summary() == [
        "2 applied, 0 unchanged, 0 stale, 0 conflicts, 0 errors, 0 warnings, 0 skipped"]
    again = import_review([path], session=session)
    assert again.summary() == [
        f"{path} was imported before: 2 decisions in it are already applied (unchanged); "
        "nothing changed",
        "0 applied, 2 unchanged, 0 stale, 0 conflicts, 0 errors, 0 warnings, 0 skipped"]
    assert not again.failed


def test_a_decision_typed_over_the_current_status_is_pointed_to_the_decision_column(
        session, tmp_path: Path) -> None:
    practice = make_practice(session, title="Lukupiiri")
    path = export_one(session, tmp_path)
    fill(path, {practice.id: {"Nykyinen tila": "hyväksytty"}})
    result = import_review([path], session=session)
    assert [o.reason for o in result.report.outcomes if o.status == "warning"] == [
        "read-only column 'Nykyinen tila' was edited; the edit is ignored (write the decision "
        "in 'Päätös')"]
    session.expire_all()
    assert session.get(Practice, practice.id).status == "new"


def test_decisions_written_as_minutes_write_them_are_read(session, tmp_path: Path) -> None:
    words = {"hyväksytään": "approved", "Hylätään.": "rejected", "godkänns": "approved",
             "avslås": "rejected"}
    practices = {word: make_practice(session, title=f"Lukupiiri {n}")
                 for n, word in enumerate(words)}
    path = export_one(session, tmp_path)
    fill(path, {p.id: {DECISION: word} for word, p in practices.items()})
    assert import_review([path], session=session).counts["applied"] == 4
    session.expire_all()
    assert {word: session.get(Practice, p.id).status for word, p in practices.items()} == words


def test_a_second_reviewer_who_left_the_corrections_untouched_keeps_the_first_reviewers(
        session, tmp_path: Path) -> None:
    titled, placed, tagged = (make_practice(session, title=t, municipalities=["091"])
                              for t in ("Kuntien välinen yhteistyö", "Lukupiiri", "Tanssi"))
    liisa, pekka = _copies(export_one(session, tmp_path), "arviointi_Liisa.xlsx",
                           "arviointi_Pekka.xlsx")
    fill(liisa, {titled.id: {DECISION: "hyväksytty", "Korjattu nimi": "Kuntien yhteistyö"},
                 placed.id: {DECISION: "hyväksytty", "Korjatut kunnat": "Helsinki, Espoo"},
                 tagged.id: {DECISION: "hyväksytty", "Korjatut avainsanat": "tanssi"}})
    fill(pekka, {titled.id: {DECISION: "hyväksytty"}, placed.id: {DECISION: "hyväksytty"},
                 tagged.id: {DECISION: "hyväksytty", "Korjatut avainsanat": "musiikki"}})
    assert import_review([liisa], session=session).counts["applied"] == 3
    result = import_review([pekka], session=session)
    # Pekka said nothing of the title or the places: Liisa's corrections stand, no conflict.
    assert {o.detail.get("practice_id"): o.status for o in result.report.outcomes
            if o.status != "skipped"} == {titled.id: "unchanged", placed.id: "unchanged",
                                          tagged.id: "conflict"}
    # Where they do differ, the conflict says in what: both are 'hyväksytty'.
    assert [o.reason for o in result.report.outcomes if o.status == "conflict"] == [
        f"#{tagged.id} was decided \"hyväksytty, Korjatut avainsanat 'tanssi'\" by an unnamed "
        f"reviewer (arviointi_Liisa.xlsx:4), this row says \"hyväksytty, Korjatut avainsanat "
        "'musiikki'\"; agree on one decision and import it again (same reviewer), or "
        "re-export and change it there"]
    session.expire_all()
    assert session.get(Practice, titled.id).corrected_title == "Kuntien yhteistyö"
    assert session.get(Practice, tagged.id).corrected_keywords == ["tanssi"]
    # Liisa herself emptying her correction in her own copy is a change of mind, applied.
    fill(liisa, {titled.id: {"Korjattu nimi": None}})
    assert _applied(import_review([liisa], session=session)) == {titled.id: "hyväksytty"}
    session.expire_all()
    assert session.get(Practice, titled.id).corrected_title is None


def test_a_duplicate_of_a_practice_not_approved_yet_says_it_is_not_on_the_site_until_then(
        session, tmp_path: Path) -> None:
    original = make_practice(session, title="Kirjastoauto")
    waiting = make_practice(session, title="Lukupiiri")
    copies = [make_practice(session, title=f"Kirjastoauto {n}") for n in range(2)]
    path = export_one(session, tmp_path)
    fill(path, {waiting.id: {DECISION: "lisätietoja"},
                copies[0].id: {DECISION: "kaksoiskappale", DUPLICATE: original.id},
                copies[1].id: {DECISION: "kaksoiskappale", DUPLICATE: waiting.id}})
    result = import_review([path], session=session)
    assert result.counts["applied"] == 3 and not result.failed
    assert {o.detail.get("practice_id"): o.reason for o in result.report.outcomes
            if o.status == "warning"} == {
        copies[0].id: f"#{original.id}, the original, is not approved (its status is 'uusi'): "
                      f"#{copies[0].id} is on the site only once #{original.id} is approved (a "
                      "duplicate is shown on its original's card)",
        copies[1].id: f"#{waiting.id}, the original, is not approved (its status is "
                      f"'lisätietoja' in this import): #{copies[1].id} is on the site only once "
                      f"#{waiting.id} is approved (a duplicate is shown on its original's card)"}


def test_a_row_for_an_answer_read_again_since_the_export_is_stale_saying_so(
        session, tmp_path: Path) -> None:
    from sqlmodel import select

    from yhteistuumin_survey.db.models import PracticeVersion

    practice = make_practice(session, title="Lukupiiri")
    path = export_one(session, tmp_path)
    fill(path, {practice.id: {DECISION: "hyväksytty"}})
    # The same version's answer read again (a better reading of the same file) after export.
    version = session.exec(select(PracticeVersion).where(
        PracticeVersion.practice_id == practice.id)).one()
    version.goal = "Tuoda kulttuuri lähemmäs asukkaita, myös kylille."
    session.add(version)
    session.commit()
    result = import_review([path], session=session)
    assert [o.reason for o in result.report.outcomes if o.status == "stale"] == [
        f"#{practice.id}'s answer (v1) has changed since this workbook was exported (it was "
        "read again); re-export and decide again"]
    session.expire_all()
    assert session.get(Practice, practice.id).status == "new"
