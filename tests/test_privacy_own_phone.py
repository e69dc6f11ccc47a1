"""A phone number of hers alone, in someone else's text that does not quote her address.

Forgetting Anna Virtanen (anna@kunta.fi, 040 111 2222) left "lisätietoja myös Annalta, p.
040 111 2222" in Pekka's practice text, in the database and in the kept copy of the form
export: only a text that quoted her address lost her name and number (a name without the
address may be a namesake's). A number is not a name: a namesake has another one. Her
number goes from every text now; one that another person's contact has too (the library's
desk both give) is not hers alone and stays where her address is not.
"""

from __future__ import annotations

import csv

import pytest
from ingest_support import only_version, practices_by_title, run_ingest
from publish_support import settings_for
from test_privacy_longer_name import ANNA, HEADINGS, export

from yhteistuumin_survey.person import person_report
from yhteistuumin_survey.privacy import AddressMatcher, Scrubber, forget_person

ROWS = [
    ["2026/11/30 10:39:41 AM GMT+2", ANNA, "Rovaniemi", "Kirjastoauto kylille",
     "Tavoitteena on lukeminen kylissä.", "Auto kiertää viikoittain; kirjasto 016 322 2463.",
     "Anna Virtanen", ANNA, "040 111 2222, 016 322 2463", "Kyllä"],
    ["2026/11/30 11:39:41 AM GMT+2", "pekka@kunta.fi", "Rovaniemi", "Lukupiiri ikäihmisille",
     "Tavoitteena on yhdessä lukeminen.",
     "Kokoonnumme kirjastossa (016 322 2463); lisätietoja myös Annalta, p. +358 40 111 2222.",
     "Pekka Korhonen", "pekka@kunta.fi", "016 322 2463", "Kyllä"]]


def test_her_own_number_goes_from_anothers_text_a_shared_one_stays(
        engine, workspace, session, tmp_path) -> None:
    run_ingest([export(tmp_path / "in", ROWS)], engine=engine, workspace=workspace)
    titles = practices_by_title(engine)

    # ``person`` shows what forget would take out: Pekka's text among hers, without Pekka's own.
    shown = repr(person_report(workspace, ANNA, session=session, lang="en").sections)
    assert "Lukupiiri" in shown, shown

    result = forget_person(workspace, ANNA, session=session, settings=settings_for(workspace))
    assert result.counts, result

    session.expire_all()
    pekka = only_version(engine, titles["Lukupiiri ikäihmisille"]["id"])
    assert pekka.implementation == ("Kokoonnumme kirjastossa (016 322 2463); lisätietoja myös "
                                    "Annalta, p. [poistettu].")
    assert (pekka.contact_name, pekka.contact_email, pekka.contact_phone) == (
        "Pekka Korhonen", "pekka@kunta.fi", "+358 16 3222463")

    [copy] = (workspace.outputs / "received").glob("*vastaukset.csv")
    rows = list(csv.reader(copy.read_text(encoding="utf-8").splitlines()))
    anna, pekka_row = rows[1:]
    assert "040 111 2222" not in repr(anna) and ANNA not in repr(anna)
    assert pekka_row[5] == ("Kokoonnumme kirjastossa (016 322 2463); lisätietoja myös Annalta, "
                            "p. [poistettu].")
    assert pekka_row[6:9] == ["Pekka Korhonen", "pekka@kunta.fi", "016 322 2463"]


def test_the_scrubber_takes_her_numbers_from_a_text_without_her_address() -> None:
    scrubber = Scrubber(AddressMatcher(ANNA), "erased@invalid", "[poistettu]")
    scrubber.add_name("Anna Virtanen")
    scrubber.add_phone("040 111 2222")
    scrubber.add_phone("016 322 2463")
    scrubber.shared = {"163222463"}
    text = "Anna Virtanen, p. 0401112222 tai 00358 40 111 2222; kirjasto (016) 322 2463"
    assert scrubber.quoted(text) == (
        "Anna Virtanen, p. [poistettu] tai [poistettu]; kirjasto (016) 322 2463")
    # Where her address stands, every number of hers goes, a shared one too, and her name.
    assert scrubber.quoted(f"{text}, {ANNA}") == (
        "[poistettu], p. [poistettu] tai [poistettu]; kirjasto ([poistettu], erased@invalid")


def test_in_a_kept_workbook_her_number_goes_from_anothers_row(
        engine, workspace, session, tmp_path) -> None:
    """The same answers saved as a workbook (shared strings): Pekka's row keeps his text and
    the library's number, and loses hers."""
    from openpyxl import load_workbook

    run_ingest([_workbook(tmp_path / "in", ROWS)], engine=engine, workspace=workspace)

    forget_person(workspace, ANNA, session=session, settings=settings_for(workspace))

    [copy] = (workspace.outputs / "received").glob("*vastaukset.xlsx")
    rows = [list(row) for row in load_workbook(copy).active.iter_rows(values_only=True)]
    assert "040 111 2222" not in repr(rows[1]) and ANNA not in repr(rows[1])
    assert rows[2][5] == ("Kokoonnumme kirjastossa (016 322 2463); lisätietoja myös Annalta, "
                          "p. [poistettu].")
    assert rows[2][6:9] == ["Pekka Korhonen", "pekka@kunta.fi", "016 322 2463"]


def test_a_kept_workbook_whose_phones_are_numbers_stays_readable(
        engine, workspace, session, tmp_path) -> None:
    """Excel keeps a phone typed without spaces as a number (its 0 dropped: 401112222).
    forget wrote "[poistettu]" into that number cell's value, and the kept copy, the
    evidence of what the others sent, no longer opened anywhere (Excel, LibreOffice,
    calamine: "invalid float literal"; openpyxl: "could not read worksheets"). The cell
    becomes a text cell; the others' numbers stay numbers. The same as LibreOffice's .ods."""
    from python_calamine import CalamineWorkbook
    from test_review_libreoffice import LIBREOFFICE, resave

    if LIBREOFFICE is None:
        pytest.skip("LibreOffice is not installed")
    book = _workbook(tmp_path / "in", [[*row[:8], int(row[8][:12].replace(" ", "")), row[9]]
                                       for row in ROWS])
    run_ingest([book, resave(book, tmp_path, "ods")], engine=engine, workspace=workspace)

    forget_person(workspace, ANNA, session=session, settings=settings_for(workspace))

    for suffix in ("xlsx", "ods"):
        [copy] = (workspace.outputs / "received").glob(f"*vastaukset.{suffix}")
        rows = CalamineWorkbook.from_path(str(copy)).get_sheet_by_index(0).to_python()
        assert rows[1][8] == "[poistettu]" and rows[1][6] == "[poistettu]", (suffix, rows[1])
        assert rows[2][8] == 163222463, (suffix, rows[2])  # Pekka's, a number as it was


def _workbook(folder, rows):
    """The export as an Excel workbook of ``rows`` in a new ``folder``; return its path."""
    from openpyxl import Workbook

    folder.mkdir()
    book = Workbook()
    sheet = book.active
    sheet.append(HEADINGS)
    for row in rows:
        sheet.append(row)
    book.save(folder / "vastaukset.xlsx")
    return folder / "vastaukset.xlsx"
