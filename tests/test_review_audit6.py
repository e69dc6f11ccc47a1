"""The sixth review audit: the reviewers' round trip with texts longer than a cell, answers
to a new reading in the history, and workbooks handled as reviewers really handle them. Each
test failed before its fix; real workbooks written, edited as a reviewer would and read back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
import pytest
from factories import make_practice
from test_review import SHEET, export_one, fill, headers, row_of
from test_review_libreoffice import pytestmark as needs_libreoffice
from test_review_libreoffice import resave

from yhteistuumin_survey.db.models import Practice
from yhteistuumin_survey.review import export_review, import_review

DECISION = "Päätös"
COMMENT = "Arvioijan kommentti"


def _said(result: Any, status: str) -> list[tuple[str, str]]:
    return [(o.source, o.reason) for o in result.report.outcomes if o.status == status]


# --- a text longer than a spreadsheet cell -----------------------------------------------------

#: 40 000 characters, its end told apart from its beginning.
LONG = ("Kunnat sopivat vuosittain yhteisestä teemasta. " * 900)[:39990] + "LOPPU TÄSSÄ"


@needs_libreoffice
def test_a_text_longer_than_a_cell_is_said_cut_on_export_and_never_stored_cut_on_import(
        session, tmp_path: Path) -> None:
    answer = make_practice(session, title="Pitkä vastaus", implementation=LONG)
    noted = make_practice(session, title="Pitkä muistiinpano", reviewer_comment=LONG)
    result = export_review(tmp_path / "outputs", session=session)
    [exported] = result.files
    path = exported.path
    sheet = openpyxl.load_workbook(path)[SHEET]
    cols = headers(sheet)
    row = row_of(sheet, answer.id)
    cell = sheet.cell(row=row, column=cols["Toteuttaminen"]).value
    assert len(cell) == 32765 and cell.endswith("…") and LONG.startswith(cell[:-1])
    # The row says it, in plain Finnish, with where to read the whole text.
    assert sheet.cell(row=row, column=cols["Huomiot"]).value.splitlines()[0] == (
        "Toteuttaminen: tekstissä on 40 001 merkkiä, ja taulukon soluun mahtuu 32 767, joten "
        "solussa näkyy vain tekstin alku (…). Koko tekstin näet komennolla yhteistuumin "
        f"practices show {answer.id}.")
    assert sheet.cell(row=row_of(sheet, noted.id), column=cols["Huomiot"]).value.startswith(
        "Arvioijan kommentti: tekstissä on 40 001 merkkiä")
    # And so does the export's result.
    assert exported.cut == [(answer.id, "implementation", 40001), (noted.id, "comment", 40001)]
    assert result.summary()[1] == (
        f"{path.name}: 2 texts longer than a spreadsheet cell holds (32 767 characters) are "
        f"shown cut, with '…' and a note in 'Huomiot': #{answer.id} 'Toteuttaminen' (40 001 "
        f"characters), #{noted.id} 'Arvioijan kommentti' (40 001 characters); 'yhteistuumin "
        "practices show ID' shows them whole; the import never takes the cut text for the "
        "whole")
    assert result.to_dict()["files"][0]["cut"][0] == {
        "practice_id": answer.id, "column": "implementation", "length": 40001}

    # Decided, the cut cells left as they are, re-saved by LibreOffice.
    fill(path, {answer.id: {DECISION: "hyväksytty"}, noted.id: {DECISION: "hyväksytty"}})
    saved = resave(path, tmp_path)
    imported = import_review([saved], session=session)
    assert not imported.failed and imported.counts["applied"] == 2
    assert _said(imported, "warning") == []  # the cut answer is no edit of a read-only cell
    session.expire_all()
    stored = session.get(Practice, noted.id)
    assert (stored.status, stored.reviewer_comment) == ("approved", LONG)
    assert len(stored.reviewer_comment) == 40001


def test_an_edit_of_a_note_shown_cut_is_refused_and_emptying_it_is_taken(
        session, tmp_path: Path) -> None:
    noted = make_practice(session, title="Pitkä muistiinpano", reviewer_comment=LONG)
    path = export_one(session, tmp_path)
    sheet = openpyxl.load_workbook(path)[SHEET]
    shown = sheet.cell(row=row_of(sheet, noted.id), column=headers(sheet)[COMMENT]).value
    edited = fill(path, {noted.id: {DECISION: "hyväksytty", COMMENT: shown + " lisäys"}},
                  out=tmp_path / "edited.xlsx")

    result = import_review([edited], session=session)

    assert _said(result, "error") == [(
        f"{edited}:{row_of(openpyxl.load_workbook(edited)[SHEET], noted.id)}",
        "the 'Arvioijan kommentti' cell shows the first 32 764 of the note's 40 001 characters "
        "(no more fit in a cell), and it was edited: stored, the edit would lose the note's "
        "end; nothing applied; put the cell back as exported to keep the note (or empty it to "
        f"drop it) and import again; 'yhteistuumin practices show {noted.id}' shows the note "
        "whole")]
    session.expire_all()
    assert session.get(Practice, noted.id).reviewer_comment == LONG
    emptied = fill(path, {noted.id: {DECISION: "hyväksytty", COMMENT: None}},
                   out=tmp_path / "emptied.xlsx")
    assert import_review([emptied], session=session).counts["applied"] == 1
    session.expire_all()
    assert (session.get(Practice, noted.id).reviewer_comment or "") == ""


# --- the answer to a new reading in the practice's history ---------------------------------


@pytest.mark.parametrize(("answer", "said"), [
    ("pidä nykyinen", "'pidä nykyinen' (kept version 1's text)"),
    ("ota uusi luenta", "'ota uusi luenta' (taken as version 2)")])
def test_the_history_line_of_practices_show_says_the_answer_to_a_new_reading(
        engine, workspace, tmp_path: Path, answer: str, said: str) -> None:
    from sqlmodel import Session
    from test_review_audit5 import _read_again_differently

    from yhteistuumin_survey.practices import show_practice

    practice_id, _goal = _read_again_differently(engine, workspace, tmp_path)
    with Session(engine) as session:
        path = export_one(session, tmp_path)
        fill(path, {practice_id: {"Uusi luenta": answer, COMMENT: "tarkistettu"}})
        assert import_review([path], session=session, reviewer="Liisa").counts["applied"] == 1
        shown = show_practice(practice_id, session=session)
    version = 1 if answer == "pidä nykyinen" else 2
    assert [line.partition(": ")[2] for line in shown.summary()
            if line.startswith("review ")] == [
        f"approved -> approved (version {version}) by Liisa, new reading answered {said}: "
        "tarkistettu"]
    assert shown.to_dict()["review"][-1]["reread"] == ("keep" if version == 1 else "take")


# --- two reviewers' copies of one workbook -------------------------------------------------


def test_two_reviewers_copies_of_one_workbook_saved_to_two_folders_do_not_overrule_each_other(
        session, tmp_path: Path) -> None:
    practice = make_practice(session, title="Lukupiiri")
    path = export_one(session, tmp_path)  # one workbook, nobody named, sent to both
    (tmp_path / "liisa").mkdir()
    (tmp_path / "pekka").mkdir()
    liisa = fill(path, {practice.id: {DECISION: "hyväksytty"}}, out=tmp_path / "liisa" / path.name)
    pekka = fill(path, {practice.id: {DECISION: "hylätty"}}, out=tmp_path / "pekka" / path.name)
    assert import_review([liisa], session=session).counts["applied"] == 1

    result = import_review([pekka], session=session)

    assert result.failed and result.counts["applied"] == 0
    assert _said(result, "conflict") == [(
        f"{pekka}:2", f"#{practice.id} was decided 'hyväksytty' by an unnamed reviewer "
                      f"({liisa}:2), this row says 'hylätty'; agree on one decision and import "
                      "it again (same reviewer), or re-export and change it there")]
    session.expire_all()
    assert session.get(Practice, practice.id).status == "approved"
    # Liisa's own copy, changed and imported again from where it was, is her change of mind.
    fill(liisa, {practice.id: {DECISION: "lisätietoja"}})
    assert import_review([liisa], session=session).counts["applied"] == 1
    session.expire_all()
    assert session.get(Practice, practice.id).status == "needs-info"


# --- rows deleted and inserted, the sheet renamed, a sheet added ----------------------------


@needs_libreoffice
def test_a_deleted_row_is_said_and_an_inserted_row_renamed_sheet_and_new_sheet_are_handled(
        session, tmp_path: Path) -> None:
    kept, deleted, other = (make_practice(session, title=t)
                            for t in ("Lukupiiri", "Kirjastoauto", "Kesäteatteri"))
    path = export_one(session, tmp_path)
    fill(path, {kept.id: {DECISION: "godkänd"}, other.id: {DECISION: " HYLÄTTY "}})
    book = openpyxl.load_workbook(path)
    sheet = book[SHEET]
    sheet.delete_rows(row_of(sheet, deleted.id))  # "not this one", thought the reviewer
    sheet.insert_rows(2)
    sheet.cell(row=2, column=headers(sheet)[DECISION]).value = "hyväksytty"
    sheet.title = "Liisan arviot"
    book.create_sheet("Muistiinpanot")["A1"] = "soita Espooseen"
    book.save(path)
    saved = resave(path, tmp_path)

    result = import_review([saved], session=session)

    assert _said(result, "applied") == [
        (f"{saved}:{row_of(openpyxl.load_workbook(saved)['Liisan arviot'], kept.id)}",
         "hyväksytty"),
        (f"{saved}:{row_of(openpyxl.load_workbook(saved)['Liisan arviot'], other.id)}",
         "hylätty")]
    assert _said(result, "error") == [
        (f"{saved}:2", "no ID on this row; decisions need the practice's ID as exported")]
    assert _said(result, "warning") == [(
        str(saved), f"1 practice exported in this workbook is not in it (#{deleted.id}): its "
                    "row was deleted; no decision is read for it and it keeps its status; to "
                    "turn a practice down choose hylätty on its row rather than delete the "
                    "row")]
    session.expire_all()
    assert session.get(Practice, deleted.id).status == "new"


# --- decisions typed in Swedish, in capitals, with spaces; saved as CSV from Excel -----------


def test_decisions_typed_in_swedish_any_case_and_spacing_in_an_excel_csv_are_read_exactly(
        session, tmp_path: Path) -> None:
    import csv

    typed = {"godkänd": "approved", " AVSLAGEN ": "rejected", "Mer\xa0 information": "needs-info",
             "ej godkänd": None}
    practices = {word: make_practice(session, title=f"Käytäntö {n} – 5 €")
                 for n, word in enumerate(typed)}
    path = export_one(session, tmp_path)
    fill(path, {p.id: {DECISION: word} for word, p in practices.items()})
    # Excel's "CSV (semicolon separated)" on a Finnish Windows: the shown sheet, cp1252, CRLF.
    saved = tmp_path / "arviointi.csv"
    with saved.open("w", encoding="cp1252", newline="") as handle:
        csv.writer(handle, delimiter=";", lineterminator="\r\n").writerows(
            ["" if value is None else value for value in row]
            for row in openpyxl.load_workbook(path)[SHEET].iter_rows(values_only=True))

    result = import_review([saved], session=session)

    session.expire_all()
    assert {word: session.get(Practice, p.id).status for word, p in practices.items()} == {
        word: status or "new" for word, status in typed.items()}
    [(where, reason)] = _said(result, "error")
    assert reason.startswith("unknown decision 'ej godkänd'; use one of: hyväksytty / godkänd")


# --- a corrected title copied down by the fill handle ---------------------------------------


@needs_libreoffice
def test_a_corrected_title_copied_down_into_other_practices_rows_is_refused_not_applied(
        session, tmp_path: Path) -> None:
    first, second, third, last = (make_practice(session, title=t) for t in (
        "Lukupiiri", "Kirjastoauto", "Kesäteatteri", "Tanssikoulu"))
    path = export_one(session, tmp_path)
    sheet = openpyxl.load_workbook(path)[SHEET]
    rows = sorted(row_of(sheet, p.id) for p in (first, second, third, last))
    ids = {row_of(sheet, p.id): p.id for p in (first, second, third, last)}
    # The reviewer approves all four and corrects the first title, then drags it down two rows.
    fill(path, {ids[rows[0]]: {DECISION: "hyväksytty", "Korjattu nimi": "Lukupiirit"},
                ids[rows[1]]: {DECISION: "hyväksytty", "Korjattu nimi": "Lukupiirit"},
                ids[rows[2]]: {DECISION: "hyväksytty", "Korjattu nimi": "Lukupiirit"},
                ids[rows[3]]: {DECISION: "hyväksytty"}})
    saved = resave(path, tmp_path)

    result = import_review([saved], session=session)

    listed = ", ".join(f"#{ids[r]}" for r in rows[:3])
    assert _said(result, "error") == [(
        f"{saved}:{row}", f"the 'Korjattu nimi' 'Lukupiirit' is on rows {rows[0]}-{rows[2]} "
                          f"({listed}), practices with titles of their own: as Excel's fill "
                          "handle or a paste copies one row's correction down; nothing "
                          "applied for these rows; keep it on the row it belongs to, clear "
                          "the others and import again") for row in rows[:3]]
    session.expire_all()
    assert [(session.get(Practice, ids[r]).status, session.get(Practice, ids[r]).corrected_title)
            for r in rows] == [("new", None)] * 3 + [("approved", None)]
    # Two practices of the same name given the same better one are two corrections.
    twin = make_practice(session, title="Kesäteatteri")
    again = export_one(session, tmp_path / "again", statuses=("new",))
    sheet = openpyxl.load_workbook(again)[SHEET]
    assert row_of(sheet, twin.id) == row_of(sheet, third.id) + 1
    fill(again, {p.id: {DECISION: "hyväksytty", "Korjattu nimi": "Kesäteatteri Pori"}
                 for p in (third, twin)})
    assert import_review([again], session=session).counts["applied"] == 2


# --- a copy nobody touched beside the one a reviewer decided on -------------------------------


def test_a_copy_left_as_exported_does_not_conflict_with_the_reviewer_who_decided(
        session, tmp_path: Path) -> None:
    asked = make_practice(session, title="Lukupiiri", status="needs-info", decided_version=1)
    path = export_one(session, tmp_path)  # 'lisätietoja' shown in both copies
    liisa = fill(path, {}, out=tmp_path / "liisa.xlsx")
    pekka = fill(path, {asked.id: {DECISION: "hyväksytty"}}, out=tmp_path / "pekka.xlsx")

    result = import_review([liisa, pekka], session=session)

    assert not result.failed
    assert [(o.source, o.status, o.reason) for o in result.report.outcomes] == [
        (f"{liisa}:2", "unchanged", f"left as exported (nothing written on this row); "
                                    f"#{asked.id} is decided by {pekka}:2"),
        (f"{pekka}:2", "applied", "hyväksytty")]
    session.expire_all()
    assert session.get(Practice, asked.id).status == "approved"
    # Two copies both written, differently, are still a conflict.
    fill(path, {asked.id: {DECISION: "hylätty"}}, out=liisa)
    fill(path, {asked.id: {DECISION: "lisätietoja", COMMENT: "kysy vielä"}}, out=pekka)
    assert import_review([liisa, pekka], session=session).counts["conflicts"] == 2
