"""Review workbooks are bound to their database and round: one from elsewhere is refused
before anything is applied, and a row whose ID, version or stamp does not match is refused
with its row number, also when the 'Versio' column was deleted."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
import pytest
from factories import add_version, make_practice
from sqlmodel import Session, select

from yhteistuumin_survey.db.models import Practice, ReviewDecision
from yhteistuumin_survey.review import export_review, import_review
from yhteistuumin_survey.review.common import database_identity

SHEET = "Arviointi"


def headers(sheet: Any) -> dict[str, int]:
    return {str(c.value): c.column for c in sheet[1] if c.value is not None}


def decide_all(path: Path, decision: str = "hyväksytty") -> None:
    book = openpyxl.load_workbook(path)
    sheet = book[SHEET]
    column = headers(sheet)["Päätös"]
    for row in range(2, sheet.max_row + 1):
        sheet.cell(row=row, column=column).value = decision
    book.save(path)


@pytest.fixture
def other_session(tmp_path, workspace, sqlite_template):
    """A second, unrelated database (another workspace's)."""
    from fixtures_house import open_sqlite_copy

    engine = open_sqlite_copy(sqlite_template, tmp_path / "other.sqlite", workspace)
    with Session(engine, expire_on_commit=False) as session:
        yield session
    engine.dispose()


def statuses(session: Session) -> dict[int, str]:
    session.expire_all()
    return {p.id: p.status for p in session.exec(select(Practice))}  # type: ignore[misc]


def test_each_database_has_one_identity_made_once(session, other_session):
    first = database_identity(session)
    assert first == database_identity(session) and len(first) == 32
    assert database_identity(other_session) != first


def test_a_workbook_from_another_database_is_refused_and_nothing_is_applied(
        session, other_session, tmp_path):
    for title in ("Lukupiiri", "Kirjastoauto", "Runopolku"):
        make_practice(other_session, title=title)
        make_practice(session, title=title + " toinen")
    # The other database's export: its practice 2 has a version 3 (more than ours have).
    add_version(other_session, other_session.get(Practice, 2), title="Uusi")
    add_version(other_session, other_session.get(Practice, 2), title="Uudempi")
    path = export_review(tmp_path / "other", session=other_session,
                         round_name="kierros-2026").files[0].path
    decide_all(path)
    result = import_review([path], session=session, round_name="kierros-2026")
    assert result.failed
    outcomes = result.report.outcomes
    assert len(outcomes) == 1 and outcomes[0].source == str(path)
    assert "exported from another database" in outcomes[0].reason
    assert "nothing applied" in outcomes[0].reason
    assert set(statuses(session).values()) == {"new"}
    assert session.exec(select(ReviewDecision)).all() == []


def test_a_workbook_of_another_round_is_refused(session, tmp_path):
    make_practice(session, title="Lukupiiri")
    path = export_review(tmp_path / "out", session=session,
                         round_name="kierros-2025").files[0].path
    decide_all(path)
    result = import_review([path], session=session, round_name="kierros-2026")
    assert [o.status for o in result.report.outcomes] == ["error"]
    assert "exported for round kierros-2025, not kierros-2026" in \
        result.report.outcomes[0].reason
    assert statuses(session) == {1: "new"}
    same_round = import_review([path], session=session, round_name="kierros-2025")
    assert not same_round.failed and statuses(session) == {1: "approved"}


def test_swapped_ids_with_the_versio_column_deleted_are_refused_by_row(session, tmp_path):
    make_practice(session, title="Lukupiiri")
    make_practice(session, title="Kirjastoauto")
    make_practice(session, title="Runopolku")
    path = export_review(tmp_path / "out", session=session).files[0].path
    book = openpyxl.load_workbook(path)
    sheet = book[SHEET]
    cols = headers(sheet)
    sheet.delete_cols(cols["Versio"])
    cols = headers(sheet)
    ids = {sheet.cell(row=r, column=cols["ID"]).value: r for r in range(2, 5)}
    sheet.cell(row=ids[1], column=cols["ID"]).value = 2  # two IDs swapped
    sheet.cell(row=ids[2], column=cols["ID"]).value = 1
    for row in range(2, 5):
        sheet.cell(row=row, column=cols["Päätös"]).value = "hylätty"
    book.save(path)
    result = import_review([path], session=session)
    errors = {o.source: o.reason for o in result.report.outcomes if o.status == "error"}
    assert set(errors) == {f"{path}:{ids[1]}", f"{path}:{ids[2]}"}
    assert "it looks like #1's row" in errors[f"{path}:{ids[1]}"]
    assert "the 'Versio' column is gone" in errors[f"{path}:{ids[1]}"]
    assert not any(o.status == "warning" and "ID" in o.reason for o in result.report.outcomes)
    assert statuses(session) == {1: "new", 2: "new", 3: "rejected"}


def test_a_row_claiming_a_version_this_database_never_had_is_refused(session, tmp_path):
    make_practice(session, title="Lukupiiri")
    path = export_review(tmp_path / "out", session=session).files[0].path
    book = openpyxl.load_workbook(path)
    del book["_review_meta"]  # an old workbook without its hidden sheet
    sheet = book[SHEET]
    cols = headers(sheet)
    sheet.cell(row=2, column=cols["Versio"]).value = "v7-abcdef"
    sheet.cell(row=2, column=cols["Päätös"]).value = "hyväksytty"
    book.save(path)
    result = import_review([path], session=session)
    errors = [o for o in result.report.outcomes if o.status == "error"]
    assert len(errors) == 1 and errors[0].source == f"{path}:2"
    assert "has no version v7" in errors[0].reason
    assert statuses(session) == {1: "new"}
