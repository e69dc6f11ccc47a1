"""A sixth pass at the answers: what a municipality sends, ingested into a real database and
read back (what came out, what the reviewer and the coordinator are told).

Nothing a municipality sent may be silently lost, guessed or changed; what is unsure is
flagged.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from ingest_support import (
    DATA,
    only_version,
    practices_by_title,
    questionnaire_copy,
    report_said,
    run_ingest,
    set_answer,
)
from openpyxl import load_workbook

from yhteistuumin_survey.flags import describe

REPO = Path(__file__).resolve().parents[1]
TITLE = "Kuntien välinen yhteistyö aluetyössä"


# --- 1. an optional answer that only says there is none ------------------------------------------


@pytest.mark.parametrize("typed", ["ei ole", "Ei.", "en osaa sanoa", "inget", "Vet ej"])
def test_an_optional_answer_that_says_none_is_left_empty_and_flagged_quoting_it(
        sqlite_engine, workspace, tmp_path, typed):
    path = questionnaire_copy(tmp_path / "in")
    set_answer(path, "Käytäntö 1", "experiences", typed)
    set_answer(path, "Käytäntö 1", "keywords", typed)
    run_ingest([path], engine=sqlite_engine, workspace=workspace)
    practice = practices_by_title(sqlite_engine)[TITLE]
    version = only_version(sqlite_engine, practice["id"])

    assert version.experiences is None  # never published as text on the card
    assert version.keywords == []
    said = {flag.split(":")[1]: describe(flag) for flag in practice["flags"]
            if ":answer-none-emptied" in flag}
    assert set(said) == {"experiences", "keywords"}
    assert said["experiences"].startswith(f"Kokemuksia: vastauksena oli vain '{typed}'")
    assert f"'{typed}'" in describe(next(f for f in practice["flags"] if "experiences" in f), "sv")
    # the other optional answers are as typed
    assert version.benefits == "Vertaistukea ja uusia ideoita."


def test_an_optional_swedish_answer_that_says_none_is_emptied_the_same_way():
    from yhteistuumin_survey.normalise import normalise_answers
    from yhteistuumin_survey.survey import load_survey

    survey = load_survey(REPO / "survey" / "questions.yaml")
    practice = normalise_answers(
        {"municipalities": "Korsholm", "title": "Kulturvänner för äldre",
         "target_group": "äldre", "goal": "Att ge äldre möjlighet att delta i kulturen.",
         "summary": "Frivilliga kulturvänner följer med äldre på konserter.",
         "resources": "Inget.", "benefits": "Minskad ensamhet.", "publish_consent": "Ja"},
        survey=survey, default_language="sv")
    assert practice.resources is None and practice.benefits == "Minskad ensamhet."
    flag = next(f for f in practice.flags if f.startswith("unsure:resources:"))
    assert describe(flag, "sv").startswith("Resurser: svaret var bara 'Inget.', så fältet "
                                           "lämnades tomt")


def test_the_emptied_answer_is_said_in_practices_show_and_the_review_workbook(
        cli, workspace, tmp_path):
    path = questionnaire_copy(tmp_path / "in")
    set_answer(path, "Käytäntö 1", "resources", "Ei ole.")
    assert cli("ingest", str(path)).exit_code in (0, 1)
    listed = json.loads(cli("practices", "list", "--format", "json").stdout)
    practice_id = next(p["id"] for p in listed if p["title"] == TITLE)

    shown = cli("practices", "show", str(practice_id))
    assert "resources: the answer was only 'Ei ole.', so the field was left empty" in shown.stdout
    out = tmp_path / "arviointi.xlsx"
    assert cli("review", "export", "--out", str(out)).exit_code == 0
    sheet = load_workbook(out).active
    headings = [cell.value for cell in sheet[1]]
    row = next(r for r in sheet.iter_rows(min_row=2, values_only=True) if r[0] == practice_id)
    flags = str(row[headings.index("Huomiot")])
    assert "Resurssit: vastauksena oli vain 'Ei ole.', joten kohta jätettiin tyhjäksi" in flags
    assert row[headings.index("Resurssit")] in (None, "")


# --- 2. a close title from the same questionnaire sheet: another practice or a correction? -------


def test_a_second_practice_with_a_close_title_over_a_copied_file_never_replaces_the_first(
        sqlite_engine, workspace, tmp_path):
    from yhteistuumin_survey.flags import unsure

    first = questionnaire_copy(tmp_path / "in", "Hyvät käytännöt.xlsx")
    set_answer(first, "Käytäntö 1", "title", "Lasten lukupiiri")
    second = questionnaire_copy(tmp_path / "in", "Hyvät käytännöt (2).xlsx")
    # token_set_ratio 86: over the old threshold of 80, it became a new version of the first
    set_answer(second, "Käytäntö 1", "title", "Aikuisten lukupiiri")
    set_answer(second, "Käytäntö 1", "summary", "Aikuiset lukevat kirjan kuukaudessa.")

    run_ingest([first], engine=sqlite_engine, workspace=workspace)
    result = run_ingest([second], engine=sqlite_engine, workspace=workspace)

    by_title = practices_by_title(sqlite_engine)
    assert {"Lasten lukupiiri", "Aikuisten lukupiiri"} <= set(by_title)
    earlier = by_title["Lasten lukupiiri"]
    assert earlier["version"] == 1
    flags = by_title["Aikuisten lukupiiri"]["flags"]
    assert f"possible-duplicate:{earlier['id']}" in flags
    assert unsure("title", "another-practice-over-copy", sheet="Käytäntö 1",
                  id=earlier["id"]) in flags
    row = next(r for r in result.rows() if r["sheet"] == "Käytäntö 1")
    assert row["outcome"] == "new"


@pytest.mark.parametrize(("before", "after"), [
    ("Lasten lukupirii", "Lasten lukupiiri"),  # a typo mended
    ("Lasten lukupiiri", "Lasten lukupiiri"),  # the same title, another answer corrected
    ("Lukupiiri", "Lukupiiri lapsille"),  # words added
])
def test_a_questionnaire_sent_again_with_its_title_mended_is_still_a_new_version(
        sqlite_engine, workspace, tmp_path, before, after):
    first = questionnaire_copy(tmp_path / "in", "vastaus.xlsx")
    set_answer(first, "Käytäntö 1", "title", before)
    second = questionnaire_copy(tmp_path / "in", "vastaus korjattu.xlsx")
    set_answer(second, "Käytäntö 1", "title", after)
    set_answer(second, "Käytäntö 1", "experiences", "Lapset ovat innostuneet.")

    run_ingest([first], engine=sqlite_engine, workspace=workspace)
    result = run_ingest([second], engine=sqlite_engine, workspace=workspace)

    row = next(r for r in result.rows() if r["sheet"] == "Käytäntö 1")
    assert row["outcome"] == "new version"
    practice = practices_by_title(sqlite_engine)[after]
    assert practice["version"] == 2
    assert not any(flag.startswith("possible-duplicate") for flag in practice["flags"])


# --- 3. an answer cell that is a formula taking its text from another cell ---------------------


@pytest.mark.parametrize("kind", ["xlsx", "ods"])
def test_an_answer_cell_referring_to_another_cell_is_read_and_flagged_quoting_both(
        sqlite_engine, workspace, tmp_path, kind):
    from test_review_libreoffice import LIBREOFFICE, resave

    if LIBREOFFICE is None:
        pytest.skip("LibreOffice is not installed")
    path = questionnaire_copy(tmp_path / "in")
    title_row = next(row[0].row for row in load_workbook(path)["Käytäntö 1"].iter_rows()
                     if len(row) > 2 and row[2].value == "title")
    set_answer(path, "Käytäntö 1", "experiences", f"=B{title_row}")
    set_answer(path, "Käytäntö 1", "benefits", f"='Käytäntö 2'!B{title_row}")
    saved = resave(path, tmp_path, kind)  # LibreOffice stores the values

    run_ingest([saved], engine=sqlite_engine, workspace=workspace)

    practice = practices_by_title(sqlite_engine)[TITLE]
    version = only_version(sqlite_engine, practice["id"])
    other_title = load_workbook(path)["Käytäntö 2"][f"B{title_row}"].value
    assert version.experiences == TITLE  # the value the formula showed, kept
    assert version.benefits == other_title
    said = {flag.split(":")[1]: describe(flag) for flag in practice["flags"]
            if ":formula-reference" in flag}
    assert said["experiences"] == (
        f"Kokemuksia: vastaussolussa on kaava '=B{title_row}', joka hakee tekstinsä toisesta "
        f"solusta. Vastaukseksi luettiin sen arvo '{TITLE}' sellaisena kuin se oli tiedostoa "
        "viimeksi tallennettaessa; tarkista, että teksti kuuluu tähän kohtaan.")
    assert "Käytäntö 2" in said["benefits"]
    assert not any(":formula-reference" in flag for flag in practice["flags"]
                   if not flag.startswith(("unsure:experiences", "unsure:benefits")))


# --- 4. the report's error lines in the round's language -----------------------------------------


def test_files_that_cannot_be_read_are_said_in_finnish_in_a_finnish_rounds_report(
        sqlite_engine, workspace, tmp_path):
    inbox = tmp_path / "in"
    inbox.mkdir()
    (inbox / "Kuopion vastaus.docx").write_bytes(b"PK\x03\x04" + b"\0" * 60)
    (inbox / "tyhjä.xlsx").write_bytes(b"")
    (inbox / "salattu.xlsx").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 1024)
    (inbox / "tyhjät solut.csv").write_text(";;\n;;\n", encoding="utf-8")
    (inbox / "muistiinpanot.csv").write_text("Päivä;Sää\nma;pilvinen\n", encoding="utf-8")
    (inbox / "tulostettu.xlsx").write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")

    result = run_ingest([inbox], engine=sqlite_engine, workspace=workspace)

    said = report_said(result)
    assert said["Kuopion vastaus.docx"].endswith(
        "Kuopion vastaus.docx: tiedostoa ei lueta automaattisesti (tiedostopääte: .docx). Avaa "
        "tallennettu kopio " + said["Kuopion vastaus.docx"].partition("kopio ")[2])
    assert said["Kuopion vastaus.docx"].endswith("ja lue sitten lomake ohjelmaan.")
    assert said["tyhjä.xlsx"].endswith(
        "tyhjä.xlsx: tiedosto on tyhjä; pyydä lähettäjää lähettämään se uudelleen.")
    assert said["salattu.xlsx"].endswith(
        "salattu.xlsx: työkirja on salattu (suojattu salasanalla); pyydä lähettäjää "
        "tallentamaan se ilman salasanaa.")
    assert said["tyhjät solut.csv"].endswith(
        "tyhjät solut.csv: tiedostossa ei ole tietoja; pyydä lähettäjältä täytetty tiedosto.")
    assert said["muistiinpanot.csv"].endswith(
        "valitse lukutapa valitsimella (--source).")
    assert said["tulostettu.xlsx"].endswith(
        "tulostettu.xlsx: tiedosto ei ole taulukko vaan PDF-asiakirja; pyydä lähettäjältä "
        "itse taulukkotiedosto.")
    # the command line and --format json keep the English, with the codes
    reasons = {row["file"].rpartition("/")[2]: row["reason"] for row in result.rows()}
    assert reasons["tyhjä.xlsx"].endswith("the file is empty; ask the sender to send it again")


# --- 5. an .xls whose row records xlrd cannot read ------------------------------------------------


def test_an_xls_whose_hidden_rows_cannot_be_read_says_so_on_review_import(
        session, tmp_path, monkeypatch):
    import openpyxl
    import xlrd  # type: ignore[import-untyped]
    from factories import make_practice
    from test_review import SHEET, export_one, fill, row_of
    from test_review_libreoffice import LIBREOFFICE, resave

    from yhteistuumin_survey.review import import_review

    if LIBREOFFICE is None:
        pytest.skip("LibreOffice is not installed")
    practices = [make_practice(session, title=f"Lukupiiri {n}") for n in range(3)]
    path = export_one(session, tmp_path)
    fill(path, {p.id: {"Päätös": "hyväksytty"} for p in practices})
    book = openpyxl.load_workbook(path)
    book[SHEET].row_dimensions[row_of(book[SHEET], practices[1].id)].hidden = True
    book.save(path)
    saved = resave(path, tmp_path, "xls")

    def unreadable(*_args: Any, **_kwargs: Any) -> Any:
        # What xlrd does with an .xls from some other programs (calamine reads the cells):
        # it cannot be provoked with the files LibreOffice writes, so xlrd is made to fail.
        raise xlrd.biffh.XLRDError("Expected BOF record; found b'\\x00\\x00'")

    monkeypatch.setattr(xlrd, "open_workbook", unreadable)
    result = import_review([saved], session=session)

    assert result.counts["applied"] == 3  # the cells were read
    warnings = [o.reason for o in result.report.outcomes if o.status == "warning"]
    assert warnings == [
        "the rows hidden in the workbook (by a filter, or by hand) could not be checked: this "
        ".xls file's row records are not readable; every row is read like the others; if rows "
        "were hidden, save the workbook as .xlsx and import that"]


def test_a_form_export_cell_referring_to_another_cell_is_flagged_on_its_row(
        sqlite_engine, workspace, tmp_path):
    import shutil

    from test_review_libreoffice import LIBREOFFICE, resave

    if LIBREOFFICE is None:
        pytest.skip("LibreOffice is not installed")
    path = tmp_path / "in" / "vastaukset.xlsx"
    path.parent.mkdir()
    shutil.copy(DATA / "msforms.xlsx", path)
    book = load_workbook(path)
    sheet = book.active
    headings = [cell.value for cell in sheet[1]]
    column = headings.index("Kokemuksia") + 1
    # the coordinator's hand-made table: the second row's experiences copied as a link
    sheet.cell(3, column).value = f"={sheet.cell(2, column).coordinate}"
    book.save(path)
    saved = resave(path, tmp_path)

    run_ingest([saved], engine=sqlite_engine, workspace=workspace)

    by_title = practices_by_title(sqlite_engine)
    linked = by_title["Kirjastoauto kylille"]
    assert only_version(sqlite_engine, linked["id"]).experiences == \
        "Tapaaminen koettiin tärkeäksi."
    [flag] = [f for f in linked["flags"] if ":formula-reference" in f]
    assert flag.startswith("unsure:experiences:") and "=O2" in describe(flag)
    assert not any(":formula-reference" in f for f in by_title[TITLE]["flags"])


def test_a_reason_naming_a_value_twice_is_read_back_from_its_english_text():
    """The contact list given to ingest names its file twice ("…: a contact list …; import it
    with 'yhteistuumin register contacts FILE'"): the pattern reading a reason back from its
    English text (older records, plain strings) had two groups of one name, and compiling it
    failed every ingest."""
    from yhteistuumin_survey import outcomes

    text = str(outcomes.en("contact-list-given", file="yhteystiedot 2026.csv",
                           columns="Kunta, Nimi, Sähköposti"))
    [(code, values, _)] = outcomes.read_back(text)
    assert (code, values) == ("contact-list-given", {"file": "yhteystiedot 2026.csv",
                                                     "columns": "Kunta, Nimi, Sähköposti"})
    assert outcomes.describe(text, "fi") == (
        "yhteystiedot 2026.csv: tiedosto on yhteystietoluettelo eikä vastauksia (sarakkeet "
        "Kunta, Nimi, Sähköposti; käytäntöjä ei ole); lue se komennolla 'yhteistuumin register "
        "contacts yhteystiedot 2026.csv', tai anna valitsin --source table, jos siinä "
        "sittenkin on vastauksia.")
