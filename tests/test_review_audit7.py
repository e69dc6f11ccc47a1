"""The seventh review audit: a new reviewer's first workbook, filled in a hurry. Each test
failed before its fix; real workbooks written, edited as a reviewer would and read back."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import openpyxl
from factories import make_practice
from test_review import SHEET, export_one, fill, headers, row_of
from test_review_libreoffice import pytestmark as needs_libreoffice
from test_review_libreoffice import resave

from yhteistuumin_survey.db.models import Practice
from yhteistuumin_survey.review import import_review

DECISION = "Päätös"
COMMENT = "Arvioijan kommentti"


def _said(result: Any, status: str) -> list[tuple[str, str]]:
    return [(o.source, o.reason) for o in result.report.outcomes if o.status == status]


# --- a decision typed in the comment column ------------------------------------------------


def test_a_decision_word_typed_in_the_comment_column_is_refused_not_left_or_overruled(
        session, tmp_path: Path) -> None:
    beside = make_practice(session, title="Lukupiiri")
    against = make_practice(session, title="Kirjastoauto", status="approved",
                            decided_version=1)
    agreeing = make_practice(session, title="Kesäteatteri")
    noted = make_practice(session, title="Tanssikoulu")
    path = export_one(session, tmp_path, statuses=["new", "approved"])
    fill(path, {
        # One cell too far right: the practice stayed 'uusi', said as an applied comment.
        beside.id: {COMMENT: "hylätty"},
        # Exported as approved; the reviewer wrote her rejection beside it: approved again.
        against.id: {COMMENT: "Hylätään"},
        agreeing.id: {DECISION: "hyväksytty", COMMENT: "hyväksytty"},
        noted.id: {DECISION: "lisätietoja", COMMENT: "hylätty?"},
    })

    result = import_review([path], session=session)

    session.expire_all()
    assert {p.id: session.get(Practice, p.id).status for p in (beside, against, agreeing,
                                                               noted)} == {
        beside.id: "new", against.id: "approved", agreeing.id: "approved",
        noted.id: "needs-info"}
    assert session.get(Practice, beside.id).reviewer_comment is None
    assert [reason for _, reason in _said(result, "error")] == [
        "the comment 'hylätty' is a decision, typed in 'Arvioijan kommentti' and not in "
        "'Päätös'; nothing applied; choose 'hylätty' in 'Päätös'",
        "'Päätös' says 'hyväksytty' but the comment says 'Hylätään'; nothing applied; write "
        "the decision meant in 'Päätös' and a note, if any, in 'Arvioijan kommentti'"]
    # A decision kept as exported with its comment as exported decides again, unhindered.
    assert session.get(Practice, noted.id).reviewer_comment == "hylätty?"
    again = export_one(session, tmp_path / "again", statuses=["approved", "needs-info"])
    assert not _said(import_review([again], session=session), "error")


# --- decisions a Swedish reviewer types ----------------------------------------------------


def test_decisions_a_swedish_reviewer_types_of_an_exempel_are_read(session, tmp_path: Path
                                                                   ) -> None:
    typed = {"avslaget": "rejected", "Underkänt": "rejected", "avvisat": "rejected",
             "behöver mer information": "needs-info", "Mer information behövs": "needs-info",
             "komplettering": "needs-info", "tarvitaan lisätietoja": "needs-info",
             "godkänt": "approved", "ej godkänd": None}
    practices = {word: make_practice(session, title=f"Exempel {n}", language="sv")
                 for n, word in enumerate(typed)}
    path = export_one(session, tmp_path)
    fill(path, {p.id: {DECISION: word} for word, p in practices.items()})

    result = import_review([path], session=session)

    session.expire_all()
    assert {word: session.get(Practice, p.id).status for word, p in practices.items()} == {
        word: status or "new" for word, status in typed.items()}
    [(_, reason)] = _said(result, "error")
    assert reason.startswith("unknown decision 'ej godkänd'")


# --- a municipality's code typed into a number cell ---------------------------------------


@needs_libreoffice
def test_the_reviewers_text_cells_keep_a_typed_code_as_text_and_a_number_is_said_a_code(
        session, tmp_path: Path) -> None:
    zero = make_practice(session, title="Lukupiiri", municipalities=["049"])
    path = export_one(session, tmp_path)
    # Formatted as text, in the workbook as exported and as LibreOffice saves it again: a
    # code typed '091' stays '091' (Excel and Calc drop the zero of a number cell) and a
    # comment '1.3.' stays text, not the date 2026-03-01.
    for book in (path, resave(path, tmp_path)):
        sheet = openpyxl.load_workbook(book)[SHEET]
        cols = headers(sheet)
        row = row_of(sheet, zero.id) if book == path else 2
        formats = {header: sheet.cell(row=row, column=cols[header]).number_format
                   for header in (DECISION, COMMENT, "Korjattu nimi", "Korjatut avainsanat",
                                  "Korjatut kunnat", "Uusi luenta",
                                  "Kaksoiskappale (alkuperäisen ID)")}
        assert formats == {**dict.fromkeys(formats, "@"),
                           "Kaksoiskappale (alkuperäisen ID)": "General"}
    # A number there all the same (an older workbook, a pasted value) is said to be a code.
    fill(path, {zero.id: {DECISION: "hyväksytty", "Korjatut kunnat": 91}})

    result = import_review([path], session=session)

    session.expire_all()
    assert session.get(Practice, zero.id).status == "new"
    [(_, reason)] = _said(result, "error")
    assert reason == ("corrected municipalities '91' is a number, perhaps the code 091 "
                      "(Helsinki) without the zero the spreadsheet dropped; not taken as it; "
                      "write the name, or the code in a cell formatted as text")


# --- the instructions sheet -----------------------------------------------------------------


def test_the_instructions_never_say_a_row_is_rejected_when_its_decision_is_only_not_taken(
        voikko) -> None:
    """A row whose practice has a newer version is held back, not decided: 'rivi hylätään' /
    'avvisas raden' read as the decision hylätty (avslagen, avvisad) made for the reviewer.
    The Swedish says 'den svarandes text': a 'svarare' is the defendant in a lawsuit."""
    from yhteistuumin_survey.review.export import INSTRUCTIONS_FI, INSTRUCTIONS_SV

    finnish, swedish = " ".join(INSTRUCTIONS_FI), " ".join(INSTRUCTIONS_SV)
    assert not re.search(r"hylätään|hylkää", finnish, re.I)
    assert not re.search(r"avvisa|avslå|svarare", swedish, re.I)
    assert INSTRUCTIONS_FI[-1].endswith("rivin päätöstä ei tuoda, vaan saat uuden tiedoston.")
    assert INSTRUCTIONS_SV[-1].endswith("tas radens beslut inte in, utan du får en ny fil.")
    assert [word for word in re.findall(r"\w+", INSTRUCTIONS_FI[-1])
            if not voikko.spell(word)] == ["xlsx"]


def test_the_instructions_give_the_export_time_in_finlands_time_and_one_practice_as_one(
        session, tmp_path: Path) -> None:
    """The instructions' last line said "1 käytäntöä" (partitive after one) and the export time
    in UTC ("2026-07-01 09:30 UTC"), where every other time the reviewers see is Finland's."""
    import datetime as dt

    make_practice(session, title="Lukupiiri")
    path = export_one(session, tmp_path, reviewers=["Anna Virtanen"],
                      now=dt.datetime(2026, 7, 1, 9, 30, tzinfo=dt.UTC))
    from yhteistuumin_survey.review.common import INSTRUCTIONS_SHEET

    book = openpyxl.load_workbook(path, read_only=True)
    last = [row[0] for row in book[INSTRUCTIONS_SHEET].iter_rows(values_only=True) if row[0]][-1]
    assert last == ("1 käytäntö / exempel · 1.7.2026 klo 12.30 (Suomen aikaa, UTC+3) / "
                    "1.7.2026 kl. 12.30 (finsk tid, UTC+3)  Arvioija / Granskare: Anna Virtanen")


# --- the 'Lähde' column -----------------------------------------------------------------------


def test_the_source_column_names_the_format_and_the_place_in_finnish(session, tmp_path: Path
                                                                      ) -> None:
    from sqlmodel import select

    from yhteistuumin_survey.db.models import PracticeVersion, Submission

    places = {("msforms", "row 2"): "(rivi 2) [Microsoft Forms]",
              ("table", "Vastaukset row 12"): "(Vastaukset rivi 12) [vastaustaulukko]",
              ("email", "body #2"): "(viestin teksti #2) [sähköposti]",
              ("questionnaire", "Käytäntö 1 – Exempel 1"):
                  "(Käytäntö 1 – Exempel 1) [kyselylomake]",
              ("questionnaire", "Shadow row"): "(Shadow row) [kyselylomake]"}
    made = {}
    for (file_format, locator), shown in places.items():
        practice = make_practice(session, title=locator, file_format=file_format)
        version = session.exec(select(PracticeVersion).where(
            PracticeVersion.practice_id == practice.id)).one()
        submission = session.get(Submission, version.submission_id)
        submission.locator = locator
        session.add(submission)
        made[practice.id] = shown
    session.commit()

    sheet = openpyxl.load_workbook(export_one(session, tmp_path))[SHEET]

    cols = headers(sheet)
    assert {practice_id: sheet.cell(row=row_of(sheet, practice_id),
                                    column=cols["Lähde"]).value.split(" ", 1)[1]
            for practice_id in made} == made


# --- the decision drop-down's warning ---------------------------------------------------------


def test_the_decision_warning_names_the_swedish_words_the_instructions_offer(
        session, tmp_path: Path) -> None:
    make_practice(session, title="Exempel", language="sv")
    sheet = openpyxl.load_workbook(export_one(session, tmp_path))[SHEET]

    [check] = [v for v in sheet.data_validations.dataValidation
               if v.type == "list" and "hyväksytty" in (v.formula1 or "")]
    # It named only the English words: 'godkänd', typed as the Swedish instructions say,
    # drew a warning telling its writer it was not one of them.
    assert check.errorTitle == "Päätös / Beslut"
    assert check.error == (
        "Valitse hyväksytty, hylätty, lisätietoja tai kaksoiskappale. Myös godkänd, avslagen, "
        "mer information, dubblett, approved, rejected, needs-info, duplicate käyvät. / Du kan "
        "också skriva godkänd, avslagen, mer information eller dubblett.")
    assert len(check.error) <= 255  # what Excel's data validation holds
