"""What the review audit (reviewers editing workbooks as they do in Excel) found slipping
through: each test failed before its fix. Real workbooks written, edited and read back."""

from __future__ import annotations

from pathlib import Path

from factories import make_practice
from test_review import export_one, fill

from yhteistuumin_survey.db.models import Practice
from yhteistuumin_survey.review import import_review

DUPLICATE = "Kaksoiskappale (alkuperäisen ID)"
DECISION = "Päätös"


def _errors(result) -> dict[int, str]:
    """The import's refusals by practice id."""
    return {o.detail.get("practice_id"): o.reason for o in result.report.outcomes
            if o.status == "error"}


def test_two_rows_naming_each_other_as_the_original_are_refused_not_both_hidden(
        session, tmp_path: Path) -> None:
    a = make_practice(session, title="Lukudiplomi")
    b = make_practice(session, title="Lukudiplomi aikuisille")
    path = export_one(session, tmp_path)
    fill(path, {a.id: {DECISION: "kaksoiskappale", DUPLICATE: b.id},
                b.id: {DECISION: "kaksoiskappale", DUPLICATE: a.id}})
    result = import_review([path], session=session)
    errors = _errors(result)
    assert errors[a.id] == (f"duplicate of #{b.id}, and #{b.id} is marked a duplicate of "
                            f"#{a.id} in this import: the chain leads back to #{a.id}; "
                            "keep one of them as the original (choose another decision)")
    assert set(errors) == {a.id, b.id}
    assert result.counts["applied"] == 0 and result.failed
    session.expire_all()
    assert session.get(Practice, a.id).status == "new"
    assert session.get(Practice, b.id).status == "new"


def test_a_duplicate_of_a_row_made_a_duplicate_in_the_same_import_links_to_the_end(
        session, tmp_path: Path) -> None:
    original = make_practice(session, title="Kirjastoauto")
    middle = make_practice(session, title="Kirjastoauto kylille")
    last = make_practice(session, title="Kirjastoauto kylille 2")
    path = export_one(session, tmp_path)
    fill(path, {last.id: {DECISION: "kaksoiskappale", DUPLICATE: middle.id},
                middle.id: {DECISION: "kaksoiskappale", DUPLICATE: original.id},
                original.id: {DECISION: "hyväksytty"}})
    result = import_review([path], session=session)
    warnings = [o.reason for o in result.report.outcomes if o.status == "warning"]
    assert warnings == [f"#{middle.id} is itself a duplicate of #{original.id} in this "
                        f"import; linked to #{original.id}"]
    assert result.counts["applied"] == 3 and not result.failed
    session.expire_all()
    assert session.get(Practice, last.id).duplicate_of_id == original.id
    assert session.get(Practice, middle.id).duplicate_of_id == original.id


def test_a_corrected_title_with_line_breaks_and_tabs_is_stored_as_one_line(
        session, tmp_path: Path) -> None:
    a = make_practice(session, title="Lukupiiri")
    path = export_one(session, tmp_path)
    fill(path, {a.id: {DECISION: "hyväksytty",
                       "Korjattu nimi": "  Lukupiiri\n\nikäihmisille 📚\t "}})
    result = import_review([path], session=session)
    assert result.counts["applied"] == 1
    session.expire_all()
    assert session.get(Practice, a.id).corrected_title == "Lukupiiri ikäihmisille 📚"


def test_a_decision_with_a_question_mark_is_refused_not_applied(session, tmp_path: Path) -> None:
    asked = make_practice(session, title="Lukupiiri")
    asked_en = make_practice(session, title="Kirjastoauto")
    sure = make_practice(session, title="Kulttuuripolku")
    path = export_one(session, tmp_path)
    fill(path, {asked.id: {DECISION: "hyväksytty?"}, asked_en.id: {DECISION: "OK ?"},
                sure.id: {DECISION: "Hyväksytty."}})
    result = import_review([path], session=session)
    errors = _errors(result)
    assert errors[asked.id] == ("decision 'hyväksytty?' is a question; write 'hyväksytty' "
                                "without the question mark when sure, or choose lisätietoja")
    assert set(errors) == {asked.id, asked_en.id}
    assert result.counts["applied"] == 1 and result.failed
    session.expire_all()
    assert session.get(Practice, asked.id).status == "new"
    assert session.get(Practice, asked_en.id).status == "new"
    assert session.get(Practice, sure.id).status == "approved"
