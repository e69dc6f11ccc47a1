"""A fifth pass at the answers: files crafted the way municipalities send them, ingested into
a real database and read back (what came out, and what the reviewer is told).

Nothing a municipality sent may be silently lost or changed; what is unsure is flagged.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from ingest_support import (
    DATA,
    office_copy,
    practices_by_title,
    questionnaire_copy,
    report_rows,
    run_ingest,
    set_answer,
)
from openpyxl import load_workbook

from yhteistuumin_survey.flags import describe

TITLE = "Kuntien välinen yhteistyö aluetyössä"


# --- 1. Excel's "sep=;" first line is no row ---------------------------------------------------


def test_a_csv_with_excels_sep_line_is_reported_by_the_row_numbers_excel_shows(
        sqlite_engine, workspace, tmp_path):
    plain = tmp_path / "plain" / "vastaukset.csv"
    plain.parent.mkdir()
    shutil.copy(DATA / "googleforms.csv", plain)
    with_sep = tmp_path / "sep" / "vastaukset.csv"
    with_sep.parent.mkdir()
    # Excel writes the line, and hides it when it opens the file: the headings are its row 1.
    with_sep.write_bytes(b"sep=,\r\n" + plain.read_bytes())

    rows = {}
    for path in (plain, with_sep):
        result = run_ingest([path], engine=sqlite_engine, workspace=workspace)
        rows[path] = [(row["row"], row["outcome"]) for row in result.rows()]
    # the file without the line: its rows as Excel numbers them (one answer spans two lines
    # of the file, one row in Excel)
    assert rows[plain][0] == (2, "new")
    assert [row for row, _ in rows[with_sep]] == [row for row, _ in rows[plain]]


def test_a_quote_left_open_after_the_sep_line_names_the_line_of_the_file(tmp_path):
    from yhteistuumin_survey.errors import InputError
    from yhteistuumin_survey.tables import read_csv

    path = tmp_path / "vastaukset.csv"
    path.write_text('sep=;\nKunta;Nimi\nEspoo;"Lukupiiri\nOulu;Runoilta\n', encoding="utf-8")
    with pytest.raises(InputError) as error:
        read_csv(path)
    # a text editor's line 3, where the quote opens (Excel cannot show the broken row)
    assert f"{path}:3: a quote opened on line 3" in str(error.value)
    sheet, decoding = read_csv(_write(tmp_path / "ok.csv",
                                      "sep=;\nKunta;Nimi\nEspoo;Lukupiiri\n"))
    assert decoding.delimiter == ";"
    assert sheet.rows == [["Kunta", "Nimi"], ["Espoo", "Lukupiiri"]]


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# --- 2. an invalid address or number is quoted in its flag --------------------------------------


@pytest.mark.parametrize(("key", "typed", "field"), [
    ("contact_email", "eija.koski@espoo", "contact_email"),
    ("contact_email", "eija.koski espoo.fi", "contact_email"),
    ("contact_phone", "040 12", "contact_phone"),
])
def test_an_invalid_address_or_number_is_quoted_in_the_flag_the_reviewer_reads(
        sqlite_engine, workspace, tmp_path, key, typed, field):
    path = questionnaire_copy(tmp_path / "in")
    set_answer(path, "Käytäntö 1", key, typed)
    result = run_ingest([path], engine=sqlite_engine, workspace=workspace)
    practice = practices_by_title(sqlite_engine)[TITLE]
    said = [describe(flag) for flag in practice["flags"]
            if flag.startswith(f"unsure:{field}:")]
    assert said, practice["flags"]
    # the reviewer judges it from the flag alone: what was typed is quoted in it
    assert any(f"'{typed}'" in text for text in said), said
    report = " ".join(str(row[-1]) for row in report_rows(result))
    assert f"'{typed}'" in report


# --- 3. a link on a name in an .ods or .xls file ------------------------------------------------


@pytest.mark.parametrize("kind", ["ods", "xls"])
def test_a_contact_name_linked_to_the_address_gives_the_address_in_ods_and_xls(
        sqlite_engine, workspace, tmp_path, kind):
    path = questionnaire_copy(tmp_path / "in")
    workbook = load_workbook(path)
    for row in workbook["Käytäntö 1"].iter_rows():
        if len(row) > 2 and row[2].value == "contact_email":
            row[1].value = "Eija Koski"  # the name typed, the address only in its link
            row[1].hyperlink = "mailto:eija.koski%40espoo.example.fi?subject=Kysely"
        elif len(row) > 2 and row[2].value == "implementation":
            row[1].value = "Ohjeet ovat kotisivuilla."
            row[1].hyperlink = "https://www.espoo.fi/lukupiiri"
    workbook.save(path)
    sent = office_copy(path, tmp_path, kind)

    run_ingest([sent], engine=sqlite_engine, workspace=workspace)

    practice = practices_by_title(sqlite_engine)[TITLE]
    assert practice["contact"]["email"] == "eija.koski@espoo.example.fi"
    assert not any(":email-invalid" in flag for flag in practice["flags"])
    from ingest_support import only_version

    assert only_version(sqlite_engine, practice["id"]).implementation == (
        "Ohjeet ovat kotisivuilla. (https://www.espoo.fi/lukupiiri)")


# --- 4. a reason is said in Finnish from its code, never from its English --------------------


def test_a_reworded_english_reason_is_still_said_in_finnish_in_the_report(
        sqlite_engine, workspace, tmp_path, monkeypatch):
    from yhteistuumin_survey import outcomes
    from yhteistuumin_survey.flags import Text

    path = questionnaire_copy(tmp_path / "in")
    workbook = load_workbook(path)
    for sheet in workbook.worksheets[1:]:
        for row in sheet.iter_rows(min_row=3):
            if len(row) > 2 and row[2].value:
                row[1].value = None
    workbook.save(path)
    old = outcomes.REASON_TEXTS["nothing-filled"]
    # someone rewords the English (the read-back patterns were made from the old words)
    monkeypatch.setitem(outcomes.REASON_TEXTS, "nothing-filled",
                        Text(old.fi, old.sv, "no answer typed in; not a practice"))
    result = run_ingest([path], engine=sqlite_engine, workspace=workspace)
    empty = [row for row in result.rows() if row["outcome"] == "empty"]
    assert empty and all(row["reason"] == "no answer typed in; not a practice" for row in empty)
    assert all(item["reasons"][0]["code"] == "nothing-filled" for item in result.items()
               if item["outcome"] == "empty")
    said = [row[-1] for row in report_rows(result) if row[4] == "tyhjä"]
    assert said and set(said) == {"Mitään ei ole täytetty; ei käytäntö."}


def test_reasons_joined_keep_each_code_and_text_without_one_is_read_back():
    from yhteistuumin_survey.outcomes import en, join, parse

    joined = join(en("same-content", id=12, version=1), None, "sheet X: cannot be read",
                  en("reread-hint"))
    assert joined == ("same content as practice 12 version 1; sheet X: cannot be read; "
                      "ingest --reread reads it again")
    assert [code for code, _values, _text in parse(joined)] == [
        "same-content", None, "reread-hint"]
    assert parse(joined)[0][1] == {"id": "12", "version": "1"}
    # read back from the English alone, the version would take the rest of the text with it
    assert parse(str(joined))[0][1]["version"] != "1"
    # a text stored by an older version (no codes with it) is still read back
    assert [code for code, _values, _text in parse(str(join(en("hidden-sheet"), "x")))] == [
        "hidden-sheet", None]
    assert join("a", None, "b") == "a; b"


def test_a_reason_keeps_its_codes_through_a_worker_process():
    import pickle

    from yhteistuumin_survey.outcomes import Reason, en, join, parse

    reason = join(en("hidden-sheet"), "plain")
    again = pickle.loads(pickle.dumps(reason, protocol=pickle.HIGHEST_PROTOCOL))
    assert isinstance(again, Reason) and again == reason
    assert parse(again) == parse(reason)


# --- a mail whose answers are typed in its text ---------------------------------------------------


def _mail(path: Path, body: str) -> Path:
    from email.message import EmailMessage

    message = EmailMessage()
    message["From"] = "Maija Meikäläinen <maija.meikalainen@kuopio.fi>"
    message["To"] = "kysely@example.fi"
    message["Subject"] = "Vs: Kulttuuria yhteistuumin -kysely"
    message["Date"] = "Mon, 07 Dec 2026 09:00:00 +0200"
    message["Message-ID"] = f"<{path.stem}@kuopio.fi>"
    message.set_content(body)
    path.write_bytes(bytes(message))
    return path


def test_a_line_starting_with_gt_inside_an_answer_is_no_quoted_history(
        sqlite_engine, workspace, tmp_path):
    # "> 100" is "over 100": the answers under it were cut off as if the invitation were
    # quoted there, silently.
    path = _mail(tmp_path / "vastaus.eml", (
        "Kunta: Kuopio\nKäytännön nimi: Lukupiiri\nTavoite: Lukemisen ilo\n"
        "Hyvä käytäntö pähkinänkuoressa: Lukupiiri kokoontuu kirjastossa.\n"
        "Kokemuksia: osallistujia\n> 100 joka vuosi\nHyödyt: Yhteisöllisyys kasvaa.\n"
        "Yhteyshenkilön nimi: Maija Meikäläinen\n\n"
        "ma 30.11.2026 klo 9.00 Kulttuuria yhteistuumin <kysely@example.fi> kirjoitti:\n"
        "> Hyvä vastaanottaja,\n> Käytännön nimi: (kirjoita tähän)\n> Tavoite:\n"))

    run_ingest([path], engine=sqlite_engine, workspace=workspace)

    practice = practices_by_title(sqlite_engine)["Lukupiiri"]
    from ingest_support import only_version

    version = only_version(sqlite_engine, practice["id"])
    assert version.experiences == "osallistujia\n> 100 joka vuosi"
    assert version.benefits == "Yhteisöllisyys kasvaa."
    assert version.contact_name == "Maija Meikäläinen"
    # the quoted invitation under the attribution is still no answer
    assert "kirjoita tähän" not in " ".join(str(v) for v in version.model_dump().values())


def test_a_reply_quoting_the_invitation_after_a_blank_line_is_cut_there():
    from yhteistuumin_survey.ingest.emails import reply_text

    body = "Vastaukset liitteenä.\n\n> Hyvä vastaanottaja,\n> Käytännön nimi:\nMaija\n"
    assert reply_text(body) == "Vastaukset liitteenä."


# --- an answer that says there is none -------------------------------------------------------------


@pytest.mark.parametrize("typed", ["ei ole", "Ei.", "En osaa sanoa", "inget"])
def test_a_required_answer_that_only_says_none_is_flagged_quoting_it_and_kept(
        sqlite_engine, workspace, tmp_path, typed):
    path = questionnaire_copy(tmp_path / "in")
    set_answer(path, "Käytäntö 1", "goal", typed)
    set_answer(path, "Käytäntö 1", "experiences", "Hyviä.")  # an answer in words
    result = run_ingest([path], engine=sqlite_engine, workspace=workspace)
    practice = practices_by_title(sqlite_engine)[TITLE]
    from ingest_support import only_version

    version = only_version(sqlite_engine, practice["id"])
    assert version.goal == typed  # kept as typed, never emptied
    said = [describe(flag) for flag in practice["flags"] if flag.startswith("unsure:goal:")]
    assert len(said) == 1 and f"'{version.goal}'" in said[0] and "Tavoite" in said[0]
    assert not any(flag.startswith("unsure:experiences:") for flag in practice["flags"])
    report = " ".join(str(row[-1]) for row in report_rows(result))
    assert "Tavoite: vastauksena on vain" in report


def test_a_required_answer_in_words_is_not_taken_for_none(sqlite_engine, workspace, tmp_path):
    path = questionnaire_copy(tmp_path / "in")
    set_answer(path, "Käytäntö 1", "goal", "Ei enää yksinäisyyttä: ikääntyneet mukaan.")
    run_ingest([path], engine=sqlite_engine, workspace=workspace)
    practice = practices_by_title(sqlite_engine)[TITLE]
    assert not any(flag.startswith("unsure:goal:") for flag in practice["flags"])


# --- a Word document or a PDF instead of the questionnaire ---------------------------------------


def test_a_docx_or_pdf_sent_instead_of_the_questionnaire_says_where_it_is_and_what_to_do(
        sqlite_engine, workspace, tmp_path):
    import zipfile

    docx = tmp_path / "Kuopion vastaus.docx"
    with zipfile.ZipFile(docx, "w") as archive:
        archive.writestr("word/document.xml", "<w:document xmlns:w='http://schemas.openxmlformats"
                         ".org/wordprocessingml/2006/main'><w:body><w:p><w:r><w:t>Käytännön nimi: "
                         "Lukupiiri</w:t></w:r></w:p></w:body></w:document>")
    pdf = tmp_path / "kysely.pdf"
    pdf.write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    message = _mail(tmp_path / "liitteet.eml", "Hei,\n\nvastauksemme liitteenä.\n\nMaija")
    from email import message_from_bytes, policy

    mail = message_from_bytes(message.read_bytes(), policy=policy.default)
    for path, subtype in ((docx, "vnd.openxmlformats-officedocument.wordprocessingml.document"),
                          (pdf, "pdf")):
        mail.add_attachment(path.read_bytes(), maintype="application", subtype=subtype,
                            filename=path.name)
    message.write_bytes(bytes(mail))

    result = run_ingest([message], engine=sqlite_engine, workspace=workspace)

    errors = {row["file"].rpartition("» ")[2]: row["reason"] for row in result.rows()
              if row["outcome"] == "error"}
    assert set(errors) == {"Kuopion vastaus.docx", "kysely.pdf"}
    for reason in errors.values():
        # where the copy is, and what to do with it, per file
        kept = reason.partition("open the copy kept as ")[2].partition(" and type")[0]
        assert kept and ((workspace.root / kept).is_file() or Path(kept).is_file()), reason
        assert "type its answers into the municipality's questionnaire" in reason


# --- a second practice typed over a copy of the filled file ---------------------------------------


@pytest.mark.parametrize(("before", "after"), [
    ("Taidetta kouluihin", "Taidetta terveysasemille"),
    ("Lukupiiri kirjastossa", "Lieksan lukupiiri"),
])
def test_a_second_practice_whose_title_shares_a_word_with_the_first_is_kept_beside_it(
        sqlite_engine, workspace, tmp_path, before, after):
    first = questionnaire_copy(tmp_path / "in", "Hyvät käytännöt.xlsx")
    set_answer(first, "Käytäntö 1", "title", before)
    second = questionnaire_copy(tmp_path / "in", "Hyvät käytännöt (2).xlsx")
    set_answer(second, "Käytäntö 1", "title", after)
    set_answer(second, "Käytäntö 1", "summary", "Toinen käytäntö kokonaan.")

    run_ingest([first], engine=sqlite_engine, workspace=workspace)
    run_ingest([second], engine=sqlite_engine, workspace=workspace)

    by_title = practices_by_title(sqlite_engine)
    assert by_title[before]["version"] == 1  # not silently replaced by the other practice
    assert f"possible-duplicate:{by_title[before]['id']}" in by_title[after]["flags"]


@pytest.mark.parametrize(("before", "after"), [
    ("Kirjastauto kylille", "Kirjastoauto kylille"),
    ("Kulttuuriluotsi-toiminta", "Kulttuuriluotsit"),
    ("Lukupiiri", "Lukupiiri kirjastossa"),
])
def test_a_title_corrected_in_a_resent_file_is_still_a_new_version(
        sqlite_engine, workspace, tmp_path, before, after):
    first = questionnaire_copy(tmp_path / "in", "vastaus.xlsx")
    set_answer(first, "Käytäntö 1", "title", before)
    second = questionnaire_copy(tmp_path / "in", "vastaus korjattu versio.xlsx")
    set_answer(second, "Käytäntö 1", "title", after)

    run_ingest([first], engine=sqlite_engine, workspace=workspace)
    result = run_ingest([second], engine=sqlite_engine, workspace=workspace)

    assert next(r for r in result.rows() if r["sheet"] == "Käytäntö 1")["outcome"] == \
        "new version"
    assert before not in practices_by_title(sqlite_engine)


def test_answers_typed_after_the_questions_own_question_mark_are_read(
        sqlite_engine, workspace, tmp_path):
    # Numbered, the questions copied with their "?": the target group became a keyword
    # ("Kenelle käytäntö on suunnattu? Nuoret") and the consent was lost (not published).
    path = _mail(tmp_path / "vastaus.eml", (
        "Hei,\n\ntässä Joensuun vastaus:\n\n"
        "1. Kunta tai kunnat, joissa käytäntö on käytössä: Joensuu\n"
        "2. Käytännön nimi: Taidelähettiläät\n3. Avainsanat: taide, nuoret\n"
        "4. Kenelle käytäntö on suunnattu? Nuoret\n5. Tavoite: Nuoret tekevät taidetta. "
        "Miksi? Koska se toimii.\n"
        "6. Hyvä käytäntö pähkinänkuoressa: Lähettiläät vierailevat kouluissa.\n"
        "Entä kesällä? Silloin ei.\n"
        "7. Yhteyshenkilön nimi: Maija Meikäläinen\n"
        "8. Yhteyshenkilön sähköposti: maija.meikalainen@joensuu.fi\n"
        "9. Saako yhteyshenkilön nimen ja yhteystiedot julkaista hyvän käytännön yhteydessä "
        "yhteistuumin.fi-sivustolla? Kyllä\n\nYstävällisin terveisin\nMaija\n"))

    run_ingest([path], engine=sqlite_engine, workspace=workspace)

    practice = practices_by_title(sqlite_engine)["Taidelähettiläät"]
    assert practice["keywords"] == ["taide", "nuoret"]
    assert practice["target_group"] == ["young_people"]
    from ingest_support import only_version

    version = only_version(sqlite_engine, practice["id"])
    assert version.publish_consent is True
    assert version.goal == "Nuoret tekevät taidetta. Miksi? Koska se toimii."
    # a question inside an answer that names no question of the survey stays in the answer
    assert version.summary == "Lähettiläät vierailevat kouluissa.\nEntä kesällä? Silloin ei."


# --- formulas and error values ------------------------------------------------------------------


def test_an_answer_cell_holding_only_an_error_value_is_flagged_not_silently_empty(
        sqlite_engine, workspace, tmp_path):
    from openpyxl.cell.cell import TYPE_ERROR

    path = questionnaire_copy(tmp_path / "in")
    # Pasted "as values" from cells that showed errors: no formula, only the error value.
    workbook = load_workbook(path)
    for row in workbook["Käytäntö 1"].iter_rows():
        if len(row) > 2 and row[2].value in ("implementation", "resources", "experiences"):
            row[1].value = {"implementation": "#REF!", "resources": "#VALUE!",
                            "experiences": "#N/A"}[row[2].value]
            row[1].data_type = TYPE_ERROR
    workbook.save(path)

    result = run_ingest([path], engine=sqlite_engine, workspace=workspace)

    practice = practices_by_title(sqlite_engine)[TITLE]
    said = {flag.split(":")[1]: describe(flag) for flag in practice["flags"]
            if ":cell-error{" in flag}
    assert set(said) == {"implementation", "resources"}  # "#N/A" is also typed for "n/a"
    assert "'#REF!'" in said["implementation"] and "Toteuttaminen" in said["implementation"]
    report = " ".join(str(row[-1]) for row in report_rows(result))
    assert "taulukkolaskennan virhearvo '#VALUE!'" in report
