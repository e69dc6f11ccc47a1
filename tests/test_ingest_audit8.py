"""An eighth pass at the answers, on material no test here wrote before: what a municipality's
own tools make of the questionnaire and the form exports (other programs, other encodings,
other ways of typing), ingested into a real database and read back.

Nothing a municipality sent may be silently lost, guessed or changed; what is unsure is
flagged.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

from ingest_support import (
    DATA,
    only_version,
    practices,
    practices_by_title,
    questionnaire_copy,
    run_ingest,
    set_answer,
)
from openpyxl import load_workbook

from yhteistuumin_survey.flags import describe
from yhteistuumin_survey.flags import parse as parse_flag

# --- 1. a form export saved by Excel for Mac as "CSV (Macintosh)": Mac Roman ------------------


def test_a_csv_saved_by_excel_for_mac_in_mac_roman_reads_its_letters(sqlite_engine, workspace,
                                                                   tmp_path: Path):
    rows = list(csv.reader(io.StringIO((DATA / "googleforms.csv").read_text(encoding="utf-8"))))
    rows[1][3] = "Kirjastoauto kylille – myös saariin"
    text = io.StringIO()
    csv.writer(text, delimiter=";", lineterminator="\r").writerows(rows)  # Mac's line end: CR
    path = tmp_path / "in" / "vastaukset-mac.csv"
    path.parent.mkdir()
    path.write_bytes(text.getvalue().encode("mac_roman"))

    result = run_ingest([path], engine=sqlite_engine, workspace=workspace)

    assert result.failed == 0
    by_title = practices_by_title(sqlite_engine)
    assert set(by_title) == {"Kirjastoauto kylille – myös saariin", "Taidetta terveysasemille"}
    bus = by_title["Kirjastoauto kylille – myös saariin"]
    version = only_version(sqlite_engine, bus["id"])
    assert version.keywords == ["kirjasto", "kylät", "lukeminen"]  # not "kylŠt"
    assert version.summary.startswith("Kirjastoauto kiertää kylissä")  # a known heading
    assert version.contact_name == "Matti Virtanen"
    art = by_title["Taidetta terveysasemille"]
    assert only_version(sqlite_engine, art["id"]).resources == "Kuraattorin työaika."
    assert not [flag for flag in bus["flags"] + art["flags"]
                if flag.startswith(("note:", "required-missing", "unsure:"))]
    assert only_version(sqlite_engine, art["id"]).publish_consent is True  # not "KyllŠ"


def test_a_windows_csv_with_no_letter_beyond_ascii_stays_cp1252():
    from yhteistuumin_survey.tables import decode_text

    assert decode_text("Kunta;Kulut\nOulu;5 € – 10 €\n".encode("cp1252")) == (
        "Kunta;Kulut\nOulu;5 € – 10 €\n", "cp1252")
    assert decode_text("Närpes;Kulturkväll”\n".encode("cp1252"))[1] == "cp1252"


# --- 2. the group named in "Muu, mikä?" that Excel made a date ----------------------------------


def test_a_group_named_in_other_that_excel_made_a_date_is_flagged(sqlite_engine, workspace,
                                                                 tmp_path: Path):
    # "7-9" (the grades of lower secondary school) typed in "Muu, mikä?": Excel stores
    # 7 September with a date format, and the file keeps the date, not what was typed.
    path = questionnaire_copy(tmp_path / "in")
    workbook = load_workbook(path)
    sheet = workbook["Käytäntö 1"]
    row = next(r for r in sheet.iter_rows() if r[2].value == "target_group:other")
    row[1].value, row[1].number_format = dt.datetime(2026, 9, 7), "d.m.yyyy"
    workbook.save(path)

    run_ingest([path], engine=sqlite_engine, workspace=workspace)

    practice = practices_by_title(sqlite_engine)["Kuntien välinen yhteistyö aluetyössä"]
    flagged = [f for f in practice["flags"] if parse_flag(f).code == "number-cell"]
    assert [parse_flag(f).field for f in flagged] == ["target_group"]
    assert describe(flagged[0]).startswith("Kenelle: vastaussolussa on luku tai päivämäärä")
    # the other sheets' "Muu, mikä?" typed as text ("potilaat") are not flagged
    assert all(parse_flag(f).code != "number-cell" for p in practices(sqlite_engine)
               if p["id"] != practice["id"] for f in p["flags"])


# --- 3. the answer names another municipality than the one whose questionnaire it is -----------


def test_a_questionnaire_naming_only_another_municipality_is_flagged(sqlite_engine, workspace,
                                                                    tmp_path: Path):
    # Espoo's questionnaire, forwarded to Kauniainen, which filled it in: the answer names
    # Kauniainen only. Espoo is still taken from the questionnaire, but never silently.
    path = questionnaire_copy(tmp_path / "in")
    set_answer(path, "Käytäntö 2", "municipalities", "Kauniaisten kaupunki")
    run_ingest([path], engine=sqlite_engine, workspace=workspace)

    by_title = practices_by_title(sqlite_engine)
    art = by_title["Taidetta kirjastoihin"]
    assert art["municipalities"] == ["049", "235"]
    flagged = [f for f in art["flags"] if parse_flag(f).code == "municipality-reporter-not-named"]
    assert len(flagged) == 1
    assert describe(flagged[0]) == (
        "Kunnat: vastaus 'Kauniaisten kaupunki' ei nimeä kuntaa Espoo, jonka "
        "kyselystä tai vastaustunnisteesta vastaus tuli; käytäntöön liitettiin silti myös se. "
        "Tarkista, onko käytäntö käytössä myös siellä vai täyttikö lomakkeen toinen kunta.")
    assert describe(flagged[0], "sv").startswith(
        "Kommuner: svaret 'Kauniaisten kaupunki' nämner inte kommunen Espoo,")
    # an answer naming Espoo beside others ("Espoo, Helsinki ja Vantaa") is not flagged
    joint = by_title["Kuntien välinen yhteistyö aluetyössä"]
    assert all(parse_flag(f).code != "municipality-reporter-not-named" for f in joint["flags"])


def test_one_answer_text_in_two_municipalities_questionnaires_is_judged_for_each(
        sqlite_engine, workspace, tmp_path: Path):
    # "Kauniaisten kaupunki" in Espoo's questionnaire names another municipality (flagged);
    # in Kauniainen's own, in the same run, it names the one it came from (not flagged).
    espoo = questionnaire_copy(tmp_path / "espoo")
    set_answer(espoo, "Käytäntö 2", "municipalities", "Kauniaisten kaupunki")
    kauniainen = questionnaire_copy(tmp_path / "kauniainen")
    book = load_workbook(kauniainen)
    meta = {"municipality_code": "235", "municipality_name": "Kauniainen",
            "token": "tok-kauniainen-test"}
    for row in book["_meta"].iter_rows():
        row[1].value = meta.get(row[0].value, row[1].value)
    book.save(kauniainen)
    set_answer(kauniainen, "Käytäntö 2", "municipalities", "Kauniaisten kaupunki")
    set_answer(kauniainen, "Käytäntö 2", "title", "Taidetta Kauniaisten kirjastoon")

    run_ingest([espoo, kauniainen], engine=sqlite_engine, workspace=workspace)

    by_title = practices_by_title(sqlite_engine)
    codes = {title: [parse_flag(f).code for f in by_title[title]["flags"]]
             for title in ("Taidetta kirjastoihin", "Taidetta Kauniaisten kirjastoon")}
    assert codes["Taidetta kirjastoihin"].count("municipality-reporter-not-named") == 1
    assert "municipality-reporter-not-named" not in codes["Taidetta Kauniaisten kirjastoon"]
    assert by_title["Taidetta Kauniaisten kirjastoon"]["municipalities"] == ["235"]


# --- 4. a municipality's own table in a workbook: numbers and dates where words were asked -----


def test_a_number_or_date_in_a_tables_text_column_is_flagged_as_in_the_questionnaire(
        sqlite_engine, workspace, tmp_path: Path):
    from openpyxl import Workbook

    # The municipality's own list of practices (the headings of tests/data/ingest/table.tsv),
    # typed in Excel: "38 000 €" kept as 38000 with a format, "1-3" (keywords: grades 1-3)
    # as 3 January.
    rows = list(csv.reader(io.StringIO((DATA / "table.tsv").read_text(encoding="utf-8")),
                           delimiter="\t"))
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    sheet["I2"], sheet["I2"].number_format = 38000, '#,##0 "€"'  # 8. Kustannukset
    sheet["D2"], sheet["D2"].number_format = dt.datetime(2026, 1, 3), "d.m."  # 3) Asiasanat
    path = tmp_path / "in" / "kaytannot.xlsx"
    path.parent.mkdir()
    workbook.save(path)

    run_ingest([path], engine=sqlite_engine, workspace=workspace)

    bus = practices_by_title(sqlite_engine)["Kirjastoauto kylille"]
    flagged = {parse_flag(f).field for f in bus["flags"] if parse_flag(f).code == "number-cell"}
    assert flagged == {"resources", "keywords"}
    # the rows typed as text in the same table are not flagged
    assert all(parse_flag(f).code != "number-cell" for p in practices(sqlite_engine)
               if p["id"] != bus["id"] for f in p["flags"])


# --- 5. a response whose only answer is in a column that is no question -----------------------


def test_a_response_answered_only_in_a_column_that_is_no_question_is_to_read_not_empty(
        sqlite_engine, workspace, tmp_path: Path):
    # The form got a question of its own ("Haluatteko kertoa jotain muuta?"); one respondent
    # answered only that. The row is no practice, but it is not "nothing filled in" either.
    rows = list(csv.reader(io.StringIO((DATA / "googleforms.csv").read_text(encoding="utf-8"))))
    rows[0].append("Haluatteko kertoa jotain muuta?")
    rows[1].append("")
    rows[2].append("")
    told = "Meillä on lukukoira, joka kuuntelee lasten lukemista."
    rows.append(["2022/12/01 9:00:00 AM GMT+1", "sari.sakki@oulu.fi", *[""] * 14, told])
    text = io.StringIO()
    csv.writer(text).writerows(rows)
    path = tmp_path / "in" / "vastaukset.csv"
    path.parent.mkdir()
    path.write_text(text.getvalue(), encoding="utf-8")

    result = run_ingest([path], engine=sqlite_engine, workspace=workspace)

    last = [row for row in result.rows() if row["row"] == 4]
    assert [row["outcome"] for row in last] == ["to-read"]
    assert told in last[0]["reason"] and "nothing filled" not in last[0]["reason"]
    assert len(practices_by_title(sqlite_engine)) == 2  # the two answered rows, as before


# --- 6. an address with a space by its @ -------------------------------------------------------


def test_an_address_with_a_space_by_its_at_sign_is_flagged_not_silently_dropped(
        sqlite_engine, workspace, tmp_path: Path):
    # Pasted from an email signature with a non-breaking space before the @: no address in
    # it. It was dropped into the contact text with no word to the reviewers.
    path = questionnaire_copy(tmp_path / "in")
    set_answer(path, "Käytäntö 1", "contact_email", "eija.koski\u00a0@espoo.example.fi")
    set_answer(path, "Käytäntö 2", "contact_email", "liisa.laine@ turku.example.fi")
    run_ingest([path], engine=sqlite_engine, workspace=workspace)

    by_title = practices_by_title(sqlite_engine)
    for title, typed in (("Kuntien välinen yhteistyö aluetyössä", "eija.koski @espoo.example.fi"),
                         ("Taidetta kirjastoihin", "liisa.laine@ turku.example.fi")):
        practice = by_title[title]
        version = only_version(sqlite_engine, practice["id"])
        assert version.contact_email is None
        assert typed in version.contact_text  # kept for the reviewer, as typed
        said = [describe(f) for f in practice["flags"] if parse_flag(f).code == "email-invalid"]
        assert said == [f"Sähköposti: vastaus '{typed}' ei ole kelvollinen "
                        "sähköpostiosoite, joten sitä ei otettu osoitteeksi; koko vastaus on "
                        "yhteystietotekstissä. Tarkista osoite kunnalta."]


def test_an_address_with_a_space_for_its_dot_is_not_taken_as_its_last_part():
    from yhteistuumin_survey.normalise import split_contact

    # "matti virtanen@…": the address read was "virtanen@…", someone else's, silently.
    typo = split_contact(name="Matti Virtanen", email="matti virtanen@pori.example.fi")
    assert typo.email is None
    assert [parse_flag(f).code for f in typo.flags] == ["email-invalid"]
    assert "matti virtanen@pori.example.fi" in (typo.text or "")
    # a name or a label before the address is no typo
    for typed in ("Matti Virtanen matti.virtanen@pori.example.fi",
                  "sähköposti matti.virtanen@pori.example.fi"):
        parts = split_contact(name="Matti Virtanen", email=typed)
        assert parts.email == "matti.virtanen@pori.example.fi" and not parts.flags
