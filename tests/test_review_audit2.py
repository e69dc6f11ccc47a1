"""The second review audit: Excel habits that slipped through the round trip. Each test failed
before its fix; real workbooks written, edited as a reviewer would and read back."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import openpyxl
import pytest
from factories import add_version, make_practice
from test_review import SHEET, export_one, fill, headers, row_of
from test_review_libreoffice import pytestmark as needs_libreoffice
from test_review_libreoffice import resave

from yhteistuumin_survey import Project
from yhteistuumin_survey.config import load_settings
from yhteistuumin_survey.db.models import Practice
from yhteistuumin_survey.publish import publish_site
from yhteistuumin_survey.review import export_review, import_review

DECISION = "Päätös"
DUPLICATE = "Kaksoiskappale (alkuperäisen ID)"


def _by_status(result, status: str) -> dict[int | None, str]:
    return {o.detail.get("practice_id"): o.reason for o in result.report.outcomes
            if o.status == status}


def _merged_decision(session, tmp_path: Path) -> tuple[Path, list[Practice], Practice, list[int]]:
    """A workbook whose decision 'hylätty' is merged over three practices' rows (and another
    practice approved on its own row)."""
    merged = [make_practice(session, title=f"Lukupiiri {n}") for n in range(3)]
    other = make_practice(session, title="Kirjastoauto")
    path = export_one(session, tmp_path)
    book = openpyxl.load_workbook(path)
    sheet = book[SHEET]
    column = headers(sheet)[DECISION]
    rows = sorted(row_of(sheet, p.id) for p in merged)
    assert rows == [rows[0], rows[0] + 1, rows[0] + 2]
    sheet.cell(row=rows[0], column=column).value = "hylätty"
    sheet.merge_cells(start_row=rows[0], start_column=column, end_row=rows[-1],
                      end_column=column)
    sheet.cell(row=row_of(sheet, other.id), column=column).value = "hyväksytty"
    book.save(path)
    return path, merged, other, rows


def test_a_decision_merged_over_three_rows_is_refused_for_all_three_not_applied_to_the_first(
        session, tmp_path: Path) -> None:
    path, merged, other, rows = _merged_decision(session, tmp_path)
    result = import_review([path], session=session)
    errors = _by_status(result, "error")
    assert set(errors) == {p.id for p in merged}
    assert errors[merged[1].id] == (
        f"the 'Päätös' cell 'hylätty' is merged over rows {rows[0]}-{rows[-1]}, and a merged "
        "cell's value belongs to its first row only; nothing applied for these rows; unmerge "
        "the cells and write the value on each row")
    assert result.counts["applied"] == 1 and result.failed
    session.expire_all()
    assert [session.get(Practice, p.id).status for p in merged] == ["new"] * 3
    assert session.get(Practice, other.id).status == "approved"


@needs_libreoffice
@pytest.mark.parametrize("kind", ["ods", "xls"])
def test_a_merged_decision_is_refused_in_a_workbook_saved_as_ods_or_xls(
        session, tmp_path: Path, kind: str) -> None:
    path, merged, other, rows = _merged_decision(session, tmp_path)
    saved = resave(path, tmp_path, kind)
    result = import_review([saved], session=session)
    errors = _by_status(result, "error")
    assert set(errors) == {p.id for p in merged}
    assert f"is merged over rows {rows[0]}-{rows[-1]}," in errors[merged[2].id]
    assert result.counts["applied"] == 1
    session.expire_all()
    assert [session.get(Practice, p.id).status for p in merged] == ["new"] * 3


def test_last_weeks_workbook_imported_after_this_weeks_is_held_back_naming_both_decisions(
        session, tmp_path: Path) -> None:
    practice = make_practice(session, title="Lukupiiri")
    older, newer = (export_review(tmp_path / name, session=session, reviewers=["Aino"],
                                  out=tmp_path / f"{name}.xlsx",
                                  now=dt.datetime(2026, 11, day, 9, 30, tzinfo=dt.UTC)
                                  ).files[0].path
                    for name, day in (("viikko47", 23), ("viikko48", 30)))
    fill(newer, {practice.id: {DECISION: "hyväksytty"}})
    fill(older, {practice.id: {DECISION: "hylätty"}})
    assert import_review([newer], session=session).counts["applied"] == 1
    result = import_review([older], session=session)
    assert _by_status(result, "conflict") == {practice.id: (
        f"#{practice.id} was decided 'hyväksytty' by Aino on a newer export "
        "(viikko48.xlsx:2, exported 2026-11-30 09:30 UTC); this workbook was exported "
        "2026-11-23 09:30 UTC, before it, and says 'hylätty'; nothing applied; re-export and "
        "decide there")}
    assert result.failed and result.counts["applied"] == 0
    session.expire_all()
    assert session.get(Practice, practice.id).status == "approved"
    # The other way round this week's file is the later word, and Aino's own change of mind
    # in this week's file still goes through.
    fill(newer, {practice.id: {DECISION: "lisätietoja"}})
    assert import_review([newer], session=session).counts["applied"] == 1
    session.expire_all()
    assert session.get(Practice, practice.id).status == "needs-info"


def test_two_exports_of_the_same_minute_are_told_apart_by_their_seconds(
        session, tmp_path: Path) -> None:
    practice = make_practice(session, title="Lukupiiri")
    older, newer = (export_review(tmp_path / name, session=session,
                                  now=dt.datetime(2026, 11, 30, 9, 30, second, tzinfo=dt.UTC)
                                  ).files[0].path for name, second in (("a", 5), ("b", 40)))
    fill(newer, {practice.id: {DECISION: "hyväksytty"}})
    fill(older, {practice.id: {DECISION: "hylätty"}})
    assert import_review([newer], session=session, reviewer="Aino").counts["applied"] == 1
    result = import_review([older], session=session, reviewer="Aino")
    assert "(review-20261130-093040.xlsx:2, exported 2026-11-30 09:30:40 UTC); this workbook " \
           "was exported 2026-11-30 09:30:05 UTC, before it," in _by_status(
               result, "conflict")[practice.id]


def _renewed(session, practice: Practice, **fields) -> None:
    """A new version arrives for a decided practice, as ingest makes it: back to review, the
    earlier decision's duplicate link kept."""
    session.expire_all()
    practice = session.get(Practice, practice.id)
    add_version(session, practice, commit=False, flags=["new-version-since-decision"], **fields)
    practice.status = "new"
    session.add(practice)
    session.commit()


def test_a_renewed_duplicate_left_untouched_in_the_workbook_is_not_made_a_duplicate_again(
        session, tmp_path: Path) -> None:
    original = make_practice(session, title="Kirjastoauto")
    copy = make_practice(session, title="Kirjastoauto kylille")
    path = export_one(session, tmp_path)
    fill(path, {original.id: {DECISION: "hyväksytty"},
                copy.id: {DECISION: "kaksoiskappale", DUPLICATE: original.id}})
    assert import_review([path], session=session).counts["applied"] == 2
    _renewed(session, copy, title="Kirjastoauto kylille ja saaristoon")
    again = export_one(session, tmp_path / "again")
    sheet = openpyxl.load_workbook(again)[SHEET]
    row = row_of(sheet, copy.id)
    assert sheet.cell(row=row, column=headers(sheet)[DECISION]).value is None
    assert sheet.cell(row=row, column=headers(sheet)[DUPLICATE]).value == original.id
    result = import_review([again], session=session)
    assert _by_status(result, "skipped") == {copy.id: "no decision"}
    assert result.counts["applied"] == 0 and not result.failed
    session.expire_all()
    assert session.get(Practice, copy.id).status == "new"
    # Approving the new version with the old link still in place says what is in the way.
    fill(again, {copy.id: {DECISION: "hyväksytty"}})
    result = import_review([again], session=session)
    assert _by_status(result, "error") == {copy.id: (
        f"duplicate of #{original.id} is set (as exported, from the earlier decision) but the "
        "decision is 'hyväksytty'; choose kaksoiskappale or clear the duplicate column")}
    # Typed by the reviewer, the original's ID alone still means kaksoiskappale.
    fill(again, {copy.id: {DECISION: None, DUPLICATE: f"#{original.id}"}})
    result = import_review([again], session=session)
    assert result.counts["applied"] == 1 and result.counts["warnings"] == 1
    session.expire_all()
    assert session.get(Practice, copy.id).status == "duplicate"


def _publish(workspace, session):
    result = publish_site(workspace, session=session,
                          settings=load_settings(workspace.root, env={}))
    cards = json.loads((workspace.outputs / "site" / "practices.json").read_text())
    cards = cards["practices"] if isinstance(cards, dict) else cards
    return result, {card["id"]: sorted(m["code"] for m in card["municipalities"])
                    for card in cards}


def test_publish_leaves_a_renewed_duplicate_off_its_originals_card_and_names_a_hidden_one(
        workspace, session, tmp_path: Path) -> None:
    original = make_practice(session, title="Kirjastoauto", municipalities=["049"])
    copy = make_practice(session, title="Kirjastoauto kylille", municipalities=["091"])
    rejected = make_practice(session, title="Lukupiiri", municipalities=["092"])
    path = export_one(session, tmp_path)
    fill(path, {original.id: {DECISION: "hyväksytty"}, rejected.id: {DECISION: "hylätty"},
                copy.id: {DECISION: "kaksoiskappale", DUPLICATE: original.id}})
    assert import_review([path], session=session).counts["applied"] == 3
    result, cards = _publish(workspace, session)
    assert cards == {original.id: ["049", "091"]}
    assert result.merged == [(copy.id, original.id)]
    # The copy sends a new version: back in review, it is not merged (nor announced as merged).
    _renewed(session, copy, title="Kirjastoauto kylille ja saaristoon")
    result, cards = _publish(workspace, session)
    assert cards == {original.id: ["049"]}
    assert result.merged == [] and result.unpublished_originals == []
    # Decided a duplicate again; then the original sends a new version and is rejected:
    # neither is on the site, and publish says so.
    again = export_one(session, tmp_path / "again")
    fill(again, {copy.id: {DECISION: "kaksoiskappale", DUPLICATE: f"#{original.id}"}})
    assert import_review([again], session=session).counts["applied"] == 1
    _renewed(session, original, title="Kirjastoauto 2027")
    third = export_one(session, tmp_path / "third")
    fill(third, {original.id: {DECISION: "hylätty"}})
    assert import_review([third], session=session).counts["applied"] == 1
    result, cards = _publish(workspace, session)
    assert cards == {}
    assert result.unpublished_originals == [(copy.id, original.id)]
    assert (f"#{copy.id} is a duplicate of #{original.id}, which is not published (status "
            f"rejected): neither is on the site; approve #{original.id}, or decide #{copy.id} "
            "again if it should be published on its own") in result.notes
    assert result.to_dict()["duplicates_of_unpublished"] == [
        {"duplicate": copy.id, "original": original.id}]


@needs_libreoffice
def test_a_review_sheet_saved_as_csv_by_a_spreadsheet_program_is_imported_by_its_versions(
        session, tmp_path: Path) -> None:
    approved = make_practice(session, title="Lukupiiri")
    rejected = make_practice(session, title="Kirjastoauto")
    renewed = make_practice(session, title="Kulttuuripolku")
    path = export_one(session, tmp_path)
    fill(path, {approved.id: {DECISION: "hyväksytty", "Korjattu nimi": "Lukupiiri ikäihmisille"},
                rejected.id: {DECISION: "hylätty"}, renewed.id: {DECISION: "godkänd"}})
    saved = resave(path, tmp_path, "csv")  # LibreOffice writes it in Latin-1, as Excel does
    assert saved.read_bytes().startswith(b"ID,K\xe4yt\xe4nn\xf6n nimi,")
    session.expire_all()
    add_version(session, session.get(Practice, renewed.id), title="Kulttuuripolku 2027")
    result = import_review([saved], session=session)
    assert result.report.outcomes[0].reason.startswith("no _review_meta sheet; versions taken "
                                                       "from the 'Versio' column")
    assert set(_by_status(result, "stale")) == {renewed.id}
    assert result.counts["applied"] == 2
    session.expire_all()
    assert session.get(Practice, approved.id).status == "approved"
    assert session.get(Practice, approved.id).corrected_title == "Lukupiiri ikäihmisille"
    assert session.get(Practice, rejected.id).status == "rejected"
    assert session.get(Practice, renewed.id).status == "new"


def test_an_id_column_formatted_as_dates_reads_the_numbers_under_them(
        session, tmp_path: Path) -> None:
    practices = [make_practice(session, title=f"Lukupiiri {n}") for n in range(70)]
    early, late = practices[0], practices[-1]  # before and after Excel's 1900-02-29
    path = export_one(session, tmp_path)
    book = openpyxl.load_workbook(path)
    sheet = book[SHEET]
    cols = headers(sheet)
    for practice in (early, late):
        row = row_of(sheet, practice.id)
        sheet.cell(row=row, column=cols[DECISION]).value = "hyväksytty"
        sheet.cell(row=row, column=cols["ID"]).number_format = "d.m.yyyy"
    book.save(path)
    result = import_review([path], session=session)
    warnings = _by_status(result, "warning")
    assert set(warnings) == {early.id, late.id}
    assert warnings[late.id].startswith("the ID cell shows a date (")
    assert warnings[late.id].endswith(f"); read as #{late.id}, the number it holds; format the "
                                      "ID column as numbers")
    assert result.counts["applied"] == 2 and not result.failed
    session.expire_all()
    assert session.get(Practice, early.id).status == "approved"
    assert session.get(Practice, late.id).status == "approved"


def test_a_corrected_title_longer_than_a_title_may_be_is_refused(
        session, tmp_path: Path) -> None:
    pasted = make_practice(session, title="Lukupiiri")
    longest = make_practice(session, title="Kirjastoauto")
    path = export_one(session, tmp_path)
    fill(path, {pasted.id: {DECISION: "hyväksytty", "Korjattu nimi": "Lukupiiri " * 4_000},
                longest.id: {DECISION: "hyväksytty", "Korjattu nimi": "K" * 150}})
    result = import_review([path], session=session)
    errors = _by_status(result, "error")
    assert set(errors) == {pasted.id}
    assert errors[pasted.id].startswith("the corrected title is ")
    assert errors[pasted.id].endswith(" characters, over the 150 a title may have; nothing "
                                      "applied; shorten it (the text belongs in the card, not "
                                      "its name)")
    assert result.counts["applied"] == 1
    session.expire_all()
    assert session.get(Practice, pasted.id).status == "new"
    assert session.get(Practice, pasted.id).corrected_title is None
    assert session.get(Practice, longest.id).corrected_title == "K" * 150


def test_review_import_holds_corrected_titles_to_the_workspaces_own_survey_limit(
        workspace, session, db_url: str, tmp_path: Path) -> None:
    text = workspace.resolve("survey/questions.yaml").read_text(encoding="utf-8")
    assert text.count("max_length: 150") == 1  # the title's
    questions = workspace.root / "survey" / "questions.yaml"  # the workspace's own copy
    questions.write_text(text.replace("max_length: 150", "max_length: 20"), encoding="utf-8")
    practice = make_practice(session, title="Lukupiiri")
    path = export_one(session, tmp_path)
    fill(path, {practice.id: {DECISION: "hyväksytty",
                              "Korjattu nimi": "Lukupiiri ikäihmisille kotona"}})
    with Project.open(workspace.root, db_url=db_url, env={}) as project:
        result = project.import_review([path])
    assert _by_status(result, "error") == {practice.id: (
        "the corrected title is 29 characters, over the 20 a title may have; nothing applied; "
        "shorten it (the text belongs in the card, not its name)")}


def test_a_duplicate_id_counted_up_by_excels_fill_handle_is_refused_unless_flagged(
        session, tmp_path: Path) -> None:
    original = make_practice(session, title="Kirjastoauto", municipalities=["049"])
    # The next ids go to practices elsewhere in the sheet (another region).
    others = [make_practice(session, title=f"Kesäteatteri {n}", municipalities=["837"])
              for n in range(2)]
    assert [p.id for p in others] == [original.id + 1, original.id + 2]
    copies = [make_practice(session, title=f"Kirjastoauto {n}", municipalities=["049"],
                            flags=[f"possible-duplicate:{original.id}"]) for n in range(3)]
    # Two copies on adjacent rows of two adjacent originals, each flagged as such: real.
    first, second = (make_practice(session, title=f"Lukupiiri {n}", municipalities=["091"])
                     for n in range(2))
    first_copy = make_practice(session, title="Lukupiiri A", municipalities=["091"],
                               flags=[f"possible-duplicate:{first.id}"])
    second_copy = make_practice(session, title="Lukupiiri B", municipalities=["091"],
                                flags=[f"possible-duplicate:{second.id}"])
    path = export_one(session, tmp_path)
    sheet = openpyxl.load_workbook(path)[SHEET]
    rows = [row_of(sheet, p.id) for p in (original, *copies)]
    assert rows == list(range(rows[0], rows[0] + 4))
    assert row_of(sheet, second_copy.id) == row_of(sheet, first_copy.id) + 1
    # "#N" chosen on the first copy's row and dragged down over the other two.
    fill(path, {**{copy.id: {DECISION: "kaksoiskappale", DUPLICATE: f"#{original.id + n}"}
                   for n, copy in enumerate(copies)},
                original.id: {DECISION: "hyväksytty"},
                first_copy.id: {DECISION: "kaksoiskappale", DUPLICATE: f"#{first.id}"},
                second_copy.id: {DECISION: "kaksoiskappale", DUPLICATE: f"#{second.id}"}})
    result = import_review([path], session=session)
    errors = _by_status(result, "error")
    assert set(errors) == {copies[1].id, copies[2].id}
    assert errors[copies[2].id] == (
        f"duplicate of #{original.id + 2} follows #{original.id + 1} on the row above, as "
        "Excel's fill handle counts '#12' up to '#13', and "
        f"#{original.id + 2} is not one this practice was flagged as possibly duplicating; "
        "nothing applied; write the original's ID on this row (hold Ctrl while dragging to "
        "copy a cell unchanged)")
    assert result.counts["applied"] == 4
    session.expire_all()
    assert session.get(Practice, copies[0].id).duplicate_of_id == original.id
    assert [session.get(Practice, c.id).status for c in copies[1:]] == ["new", "new"]
    assert session.get(Practice, second_copy.id).duplicate_of_id == second.id


def test_a_decision_column_copied_beside_itself_refuses_the_workbook(
        session, tmp_path: Path) -> None:
    practice = make_practice(session, title="Lukupiiri")
    path = export_one(session, tmp_path)
    book = openpyxl.load_workbook(path)
    sheet = book[SHEET]
    column = headers(sheet)[DECISION]
    sheet.insert_cols(column)  # the copy of the column, pasted in front of it
    sheet.cell(row=1, column=column).value = DECISION
    sheet.cell(row=row_of(sheet, practice.id), column=column + 1).value = "hylätty"
    book.save(path)
    result = import_review([path], session=session)
    assert [(o.status, o.reason) for o in result.report.outcomes] == [
        ("error", "2 columns are headed 'Päätös' (columns C and D); nothing applied; delete "
                  "or rename all but one and import again")]
    session.expire_all()
    assert session.get(Practice, practice.id).status == "new"


def test_a_workbook_that_showed_the_decision_may_change_it_whatever_its_clock_said(
        session, tmp_path: Path) -> None:
    practice = make_practice(session, title="Lukupiiri")
    first = export_review(tmp_path / "a", session=session,
                          now=dt.datetime(2026, 12, 6, 12, tzinfo=dt.UTC)).files[0].path
    fill(first, {practice.id: {DECISION: "hyväksytty"}})
    assert import_review([first], session=session, reviewer="Aino").counts["applied"] == 1
    # Exported afterwards, showing 'hyväksytty', on a machine whose clock is days behind.
    shown = export_review(tmp_path / "b", session=session, statuses=["approved"],
                          now=dt.datetime(2026, 12, 1, 12, tzinfo=dt.UTC)).files[0].path
    sheet = openpyxl.load_workbook(shown)[SHEET]
    assert sheet.cell(row=row_of(sheet, practice.id),
                      column=headers(sheet)[DECISION]).value == "hyväksytty"
    fill(shown, {practice.id: {DECISION: "hylätty"}})
    result = import_review([shown], session=session, reviewer="Bertta")
    assert result.counts["applied"] == 1, result.text()
    session.expire_all()
    assert session.get(Practice, practice.id).status == "rejected"


def test_a_duplicate_of_a_rejected_practice_is_applied_with_a_warning_that_it_stays_hidden(
        session, tmp_path: Path) -> None:
    original = make_practice(session, title="Kirjastoauto")
    copy = make_practice(session, title="Kirjastoauto kylille")
    path = export_one(session, tmp_path)
    fill(path, {original.id: {DECISION: "hylätty"},
                copy.id: {DECISION: "kaksoiskappale", DUPLICATE: original.id}})
    result = import_review([path], session=session)
    assert _by_status(result, "warning") == {copy.id: (
        f"#{original.id}, the original, is rejected in this import: #{copy.id} will not be on "
        "the site either (a duplicate is shown on its original's card); if it should be, "
        "choose another decision for it")}
    assert result.counts["applied"] == 2 and not result.failed
