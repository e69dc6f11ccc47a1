"""A phone number whose leading 0 Excel dropped (a cell that stores the number as a number, or
a CSV re-saved in Excel) is read as the Finnish number it most likely is, and flagged for a
reviewer: the 0 was not in the answer, so the number is never taken silently."""

from __future__ import annotations

import pytest
from ingest_support import only_version, practices_by_title, questionnaire_copy, run_ingest, set_answer

from yhteistuumin_survey.flags import describe, unsure
from yhteistuumin_survey.normalise import _separate_contact, _split_contact_text, split_contact

TITLE = "Kuntien välinen yhteistyö aluetyössä"  # the sample questionnaire's first practice


@pytest.mark.parametrize(("typed", "shown", "number"), [
    (401234567, "401234567", "+358 40 1234567"),  # a number cell, as calamine reads it
    (401234567.0, "401234567", "+358 40 1234567"),  # the same from a float cell
    ("401234567", "401234567", "+358 40 1234567"),  # a CSV re-saved in Excel
    ("9 1234567", "9 1234567", "+358 9 1234567"),  # a landline typed without its 0
    ("puh. 501234567", "501234567", "+358 50 1234567"),  # with a label before it
])
def test_a_phone_without_its_leading_zero_is_taken_and_flagged(typed, shown, number) -> None:
    parts = split_contact(name="Maija Meikäläinen", email="maija@kunta.fi", phone=typed)
    assert parts.phone == number
    assert parts.flags == (unsure("contact_phone", "phone-zero-added", typed=shown,
                                  number=number),)
    assert parts.text is not None and str(shown) in parts.text  # the answer as it came


@pytest.mark.parametrize("typed", ["040 123 4567", "0401234567", "+358 40 1234567",
                                   "358401234567", "00358 40 1234567", "(09) 123 4567"])
def test_a_phone_typed_as_it_is_dialled_is_not_flagged(typed) -> None:
    parts = split_contact(name="Maija Meikäläinen", email="maija@kunta.fi", phone=typed)
    assert parts.phone is not None and parts.flags == ()
    # The short reading gives it, and gives what the whole reading gives.
    short = _separate_contact("Maija Meikäläinen", "maija@kunta.fi", typed)
    assert short == _split_contact_text("Maija Meikäläinen", "maija@kunta.fi", typed, None)


def test_the_flag_says_what_was_typed_and_what_was_taken_in_each_language() -> None:
    flag = unsure("contact_phone", "phone-zero-added", typed="401234567",
                  number="+358 40 1234567")
    assert describe(flag, "fi") == (
        "Puhelin: vastauksen '401234567' alusta puuttuu nolla (Excel jättää sen pois, kun "
        "numero on tallennettu soluun lukuna). Puhelinnumeroksi otettiin +358 40 1234567; "
        "tarkista, että se on oikein.")
    assert describe(flag, "sv") == (
        "Telefon: svaret '401234567' saknar nollan i början (Excel tar bort den när numret "
        "sparas som ett tal i cellen). Som telefonnummer togs +358 40 1234567; kontrollera "
        "att det stämmer.")
    assert describe(flag, "en").startswith("contact_phone: '401234567' has no leading 0")


def test_a_questionnaire_whose_phone_cell_holds_a_number_gets_the_number_and_the_flag(
        sqlite_engine, workspace, tmp_path) -> None:
    path = questionnaire_copy(tmp_path / "in")
    set_answer(path, "Käytäntö 1", "contact_phone", 401234567)  # stored as a number, 0 gone
    run_ingest([path], engine=sqlite_engine, workspace=workspace)
    version = only_version(sqlite_engine, practices_by_title(sqlite_engine)[TITLE]["id"])
    assert version.contact_phone == "+358 40 1234567"
    assert unsure("contact_phone", "phone-zero-added", typed="401234567",
                  number="+358 40 1234567") in version.flags
