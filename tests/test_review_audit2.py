"""The second review audit: Excel habits that slipped through the round trip. Each test failed
before its fix; real workbooks written, edited as a reviewer would and read back."""

from __future__ import annotations

from pathlib import Path

import openpyxl
from factories import make_practice
from test_review import SHEET, export_one, headers, row_of

from yhteistuumin_survey.db.models import Practice
from yhteistuumin_survey.review import import_review

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
