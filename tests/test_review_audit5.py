"""The fifth review audit: the reviewers' round trip as reviewers who live in Excel make it.
Each test failed before its fix; real workbooks written, edited as a reviewer would and read
back."""

from __future__ import annotations

from pathlib import Path

import openpyxl
from factories import make_practice
from test_review import SHEET, export_one, fill, row_of

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
