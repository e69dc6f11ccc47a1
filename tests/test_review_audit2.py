"""The second review audit: Excel habits that slipped through the round trip. Each test failed
before its fix; real workbooks written, edited as a reviewer would and read back."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
from factories import make_practice
from test_review import SHEET, export_one, fill, headers, row_of

from yhteistuumin_survey.db.models import Practice
from yhteistuumin_survey.review import export_review, import_review

DECISION = "Päätös"


def _by_status(result, status: str) -> dict[int | None, str]:
    return {o.detail.get("practice_id"): o.reason for o in result.report.outcomes
            if o.status == status}


def test_a_decision_merged_over_three_rows_is_refused_for_all_three_not_applied_to_the_first(
        session, tmp_path: Path) -> None:
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
