"""Normalisation of one answered practice into a practice record: examples from real answers."""

from __future__ import annotations

from pathlib import Path

import pytest
from email_validator import validate_email

from yhteistuumin_survey.errors import InputError
from yhteistuumin_survey.flags import describe, unsure
from yhteistuumin_survey.normalise import (
    Vocabulary,
    bundled_vocabulary,
    clean_text,
    detect_language,
    load_vocabulary,
    normalise_answers,
    parse_consent,
    parse_target_groups,
    read_consent,
    split_contact,
    split_keywords,
)
from yhteistuumin_survey.survey import load_survey

REPO = Path(__file__).resolve().parents[1]
SEED_4V = next((REPO.parent / "shared" / "seeds").glob("004_*.txt"), None) \
    if (REPO.parent / "shared" / "seeds").is_dir() else None


@pytest.fixture(scope="module")
def survey():
    return load_survey(REPO / "survey" / "questions.yaml")


@pytest.fixture(scope="module")
def vocabulary() -> Vocabulary:
    return bundled_vocabulary()


# --- the 4V card ----------------------------------------------------------------------------

#: The "4V" card (shared/seeds/004_*.txt) as a respondent would type it into the questionnaire.
CARD_4V = {
    "municipalities": "Espoo, Helsinki, Vantaa",
    "title": "KUNTIEN VÄLINEN YHTEISTYÖ ALUETYÖSSÄ",
    "keywords": "kunnat, yhteistyö, vertaistuki, toimintavinkki",
    "target_group": "kuntien työntekijöille",
    "goal": "Lisätä kuntien välistä yhteistyötä ja tiedon sekä kokemusten vaihtoa, tarjota vertaistukea "
            "samaa työtä eri kunnissa ja eri alueilla tekeville ihmisille sekä tarjota mahdollisuus oppia "
            "uusia tapoja tehdä omaa työtä.",
    "summary": "Kuntien asukas- ja aluetyötä tekevät työntekijät tapaavat toisten kuntien työntekijöitä "
               "kerran tai muutaman kerran vuodessa yhteisesti sovittujen teemojen merkeissä.",
    "implementation": "Yhteistyötä haluavat työntekijät päättävät tapaamisen järjestävän tahon ja "
                      "teeman.\r\nTämän jälkeen järjestäjä miettii ohjelman, varaa tilan ja "
                      "lähettää kutsun.",
    "resources": "Kuntien välinen yhteistyö aluetyössä vaatii työntekijöiltä työaika tapaamisiin.",
    "experiences": "Pääkaupunkiseudulla toiminut 4V-hanke järjesti hankekuntiansa (Espoo, Helsinki, "
                   "Vantaa) aluetyötä tekeville yhteisen koulutustapaamisen.\r\n\r\n\r\n4V-hanke myös "
                   "kokosi kolme pääsuunnitteluryhmää.",
    "benefits": "Kuntien välinen yhteistyö aluetyössä lisää vertaistukea ja kokemusten vaihtoa.",
    "contact_name": "Pääkaupunkiseudun Kierrätyskeskus Oy, Eija Koski",
    "publish_consent": "Kyllä",
}


def test_4v_card_normalises_to_its_card_fields(survey, vocabulary):
    practice = normalise_answers(CARD_4V, survey=survey, vocabulary=vocabulary)

    assert practice.title == "KUNTIEN VÄLINEN YHTEISTYÖ ALUETYÖSSÄ"
    assert practice.keywords == ["kunnat", "yhteistyö", "vertaistuki", "toimintavinkki"]
    assert practice.target_group == ["municipal_staff"]
    assert practice.language == "fi"
    assert practice.implementation == (
        "Yhteistyötä haluavat työntekijät päättävät tapaamisen järjestävän tahon ja teeman.\n"
        "Tämän jälkeen järjestäjä miettii ohjelman, varaa tilan ja lähettää kutsun.")
    assert practice.experiences is not None and practice.experiences.count("\n\n") == 1
    assert practice.municipality_text == "Espoo, Helsinki, Vantaa"
    assert practice.publish_consent is True
    assert practice.flags == []
    assert practice.missing_required == []
    assert practice.is_empty is False


def test_4v_contact_of_organisation_and_name_without_email(survey, vocabulary):
    practice = normalise_answers(CARD_4V, survey=survey, vocabulary=vocabulary)

    assert practice.contact_name == "Eija Koski"
    assert practice.contact_email is None
    assert practice.contact_phone is None
    assert practice.contact_text == "Pääkaupunkiseudun Kierrätyskeskus Oy, Eija Koski"
    assert practice.card_fields()["contact"] == {"name": "Eija Koski", "email": None, "phone": None}


@pytest.mark.skipif(SEED_4V is None, reason="shared/seeds is not beside the repository")
def test_4v_seed_card_lines_parse_like_the_typed_answers(survey, vocabulary):
    assert SEED_4V is not None
    lines = SEED_4V.read_text(encoding="utf-8").splitlines()
    keywords = next(line for line in lines if line.startswith("Avainsanat:")).split(":", 1)[1]
    target = next(line for line in lines if line.startswith("Kenelle:")).split(":", 1)[1]
    contact = lines[lines.index("Yhteystiedot") + 2]

    assert split_keywords(keywords, vocabulary, "fi") == [
        "kunnat", "yhteistyö", "vertaistuki", "toimintavinkki"]
    assert parse_target_groups(target, survey, "fi") == ["municipal_staff"]
    assert tuple(split_contact(name=contact))[:3] == ("Eija Koski", None, None)


def test_card_fields_follow_the_card_and_hide_contact_without_consent(survey, vocabulary):
    practice = normalise_answers({**CARD_4V, "publish_consent": "Ei"}, survey=survey, vocabulary=vocabulary)

    card = practice.card_fields()
    assert list(card) == ["title", "keywords", "target_group", "goal", "summary", "implementation",
                          "resources", "experiences", "benefits", "contact", "municipalities"]
    assert card["contact"] is None
    assert "no-consent" in practice.flags


def test_all_bundled_sample_practices_normalise_without_flags_in_their_language(survey, vocabulary):
    import yaml

    samples = yaml.safe_load((REPO / "survey" / "samples" / "practices.yaml").read_text(encoding="utf-8"))
    for sample in samples["practices"]:
        practice = normalise_answers(sample["answers"], survey=survey, vocabulary=vocabulary)
        assert practice.language == sample["language"], practice.title
        assert practice.missing_required == [], practice.title
        assert not [f for f in practice.flags if f != "no-consent"], (practice.title, practice.flags)
        assert practice.target_group and all(not t.startswith("other:") for t in practice.target_group)


# --- clean_text -----------------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "expected"), [
    ("  Kulttuuri\u00a0pajat  ", "Kulttuuri pajat"),
    ("rivi yksi\r\nrivi kaksi", "rivi yksi\nrivi kaksi"),
    ("kirjoitettu _x000D_ jää tekstiksi", "kirjoitettu _x000D_ jää tekstiksi"),
    ("a\r\nb\rc", "a\nb\nc"),
    ("eka kappale\n\n\n\n  toka   kappale \t ", "eka kappale\n\ntoka kappale"),
    ("nolla\u200bleveys\ufeff", "nollaleveys"),
    ("Pa\u0308iva\u0308koti", "Päiväkoti"),
    (12.0, "12"),
    (0.5, "0.5"),
    (2025, "2025"),
    ("K?yt?nt? from cp1252", "K?yt?nt? from cp1252"),
    ("ei", "ei"),
    ("Ei ole", "Ei ole"),
])
def test_clean_text_examples(raw, expected):
    assert clean_text(raw) == expected


@pytest.mark.parametrize("placeholder", [None, "", "   ", "-", "–", "—", "n/a", "N/A", ".", "#N/A", "\n\n",
                                         float("nan")])
def test_clean_text_treats_placeholders_as_empty(placeholder):
    assert clean_text(placeholder) is None


# --- keywords -------------------------------------------------------------------------------


def test_keywords_split_on_every_separator_and_dedupe_keeping_first_spelling(vocabulary):
    assert split_keywords("Kunnat; YHTEISTYÖ/vertaistuki\nKuvataide, kunnat, Uusi Sana, uusi sana",
                          vocabulary, "fi") == [
        "kunnat", "yhteistyö", "vertaistuki", "kuvataide", "Uusi Sana"]


def test_keywords_are_kept_as_typed_and_linked_to_their_concept(vocabulary):
    typed = split_keywords("samarbete, kamratstöd, cooperation", vocabulary, "fi")
    assert typed == ["samarbete", "kamratstöd", "cooperation"]
    assert [vocabulary.concept_of(k).id for k in typed] == ["cooperation", "peer_support", "cooperation"]
    assert split_keywords("yhteistyö, vertaistuki", vocabulary, "sv") == ["yhteistyö", "vertaistuki"]


@pytest.mark.parametrize(("typed", "concept", "broader"), [
    ("taiteen perusopetus", "basic_arts_education", "arts_education"),
    ("kulttuurikasvatus", "cultural_education", None),
    ("kylät", "villages", "rural_areas"),
    ("byar", "villages", "rural_areas"),
    ("daghem", "daycare_centres", None),
    ("vapaaehtoiset", "volunteers", None),
])
def test_a_narrower_or_related_keyword_is_never_replaced_by_another_term(vocabulary, typed, concept,
                                                                          broader):
    assert split_keywords(typed, vocabulary, "fi") == [typed]
    entry = vocabulary.concept_of(typed)
    assert entry is not None and entry.id == concept and entry.broader == broader
    assert {"fi", "sv", "en"} <= set(entry.labels)


def test_keywords_case_and_spelling_are_tidied_to_the_same_word_only(vocabulary):
    assert split_keywords("KIRJASTO; Kylat, kirjasto", vocabulary, "fi") == ["kirjasto", "kylät"]


def test_a_keyword_without_concept_is_kept_and_listed(vocabulary):
    from yhteistuumin_survey.normalise import unlinked_keywords

    keywords = split_keywords("Sirkus, kirjasto", vocabulary, "fi")
    assert keywords == ["Sirkus", "kirjasto"]
    assert unlinked_keywords(keywords, vocabulary) == ["Sirkus"]


def test_vocabulary_broader_must_name_another_concept():
    from yhteistuumin_survey.normalise import parse_vocabulary

    with pytest.raises(InputError, match="broader 'nothing'"):
        parse_vocabulary({"keywords": [{"id": "a", "fi": "aa", "broader": "nothing"}]})


def test_keywords_finnish_list_ending_in_ja_is_split_but_a_lone_phrase_is_kept(vocabulary):
    assert split_keywords("lapset, nuoret ja perheet", vocabulary, "fi") == ["lapset", "nuoret", "perheet"]
    assert split_keywords("barn och unga", vocabulary, "sv") == ["barn", "unga"]
    assert split_keywords("kulttuuri ja vapaa-aika", vocabulary, "fi") == ["kulttuuri ja vapaa-aika"]


def test_keywords_unknown_ones_kept_as_typed_trimmed_and_nfc(vocabulary):
    assert split_keywords("  #Sirkus  , \"Ka\u0308sityo\u0308\".", vocabulary, "fi") == ["Sirkus", "Käsityö"]


def test_vocabulary_workspace_copy_wins_and_conflicts_are_reported(workspace):
    own = workspace.root / "survey" / "keywords.yaml"
    own.write_text("keywords:\n  - {id: circus, fi: sirkus, sv: cirkus, en: circus}\n", encoding="utf-8")
    vocabulary = load_vocabulary(workspace)
    assert split_keywords("Cirkus, yhteistyö", vocabulary, "fi") == ["cirkus", "yhteistyö"]
    assert vocabulary.concept_of("Cirkus").id == "circus"

    own.write_text("keywords:\n  - {id: a, fi: sirkus}\n  - {id: b, fi: Sirkus!}\n", encoding="utf-8")
    with pytest.raises(InputError, match="belongs to both"):
        load_vocabulary(workspace)


def test_bundled_vocabulary_has_about_forty_trilingual_entries(vocabulary):
    assert len(vocabulary.entries) >= 40
    assert all({"fi", "sv", "en"} <= set(entry.labels) for entry in vocabulary.entries)


# --- target groups --------------------------------------------------------------------------


def test_target_group_microsoft_forms_cell(survey):
    assert parse_target_groups("Lapset;Nuoret;", survey, "fi") == ["children", "young_people"]


def test_target_group_any_language_in_survey_order_with_other_text_kept(survey):
    assert parse_target_groups("Äldre, Barn och teatergrupper", survey, "sv") == [
        "children", "older_people", "other:teatergrupper"]
    assert parse_target_groups("Muu, mikä?: luottamushenkilöt", survey, "fi") == ["other:luottamushenkilöt"]
    assert parse_target_groups("lapsille ja nuorille", survey, "fi") == ["children", "young_people"]


def test_target_group_two_groups_in_one_phrase_are_both_read(survey):
    """The survey's own aliases read "Barn och unga" and "Lapset ja lapsiperheet" as children
    alone: the young people and the families were dropped without a word."""
    assert parse_target_groups("Barn och unga", survey, "sv") == ["children", "young_people"]
    assert parse_target_groups("Lapset ja lapsiperheet", survey, "fi") == ["children",
                                                                           "families"]
    assert parse_target_groups("skolbarn", survey, "sv") == ["children"]


def test_target_group_webropol_one_column_per_option(survey):
    pairs = [("3. Kenelle käytäntö on suunnattu? - Lapset", "1"),
             ("3. Kenelle käytäntö on suunnattu? - Nuoret", ""),
             ("3. Kenelle käytäntö on suunnattu? - Ikääntyneet", "x"),
             ("3. Kenelle käytäntö on suunnattu? - Muu, mikä?", "kirjastojen asiakkaat")]
    assert parse_target_groups(pairs, survey, "fi") == [
        "children", "older_people", "other:kirjastojen asiakkaat"]


def test_target_group_limesurvey_y_or_empty(survey):
    pairs = [("Kenelle käytäntö on suunnattu? [Lapset]", "Y"),
             ("Kenelle käytäntö on suunnattu? [Nuoret]", ""),
             ("Kenelle käytäntö on suunnattu? [Perheet]", "Y"),
             ("Kenelle käytäntö on suunnattu? [Muu]", ""),
             ("För vem är praxisen avsedd? [Barn]", "N")]
    assert parse_target_groups(pairs, survey, "fi") == ["children", "families"]


# --- consent --------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["Kyllä", "kylla", "K", "ja", "Ja", "yes", "Y", "x", "X", "✓", "✔", "TRUE",
                                   True, 1, 1.0, "1", "saa julkaista", "Kyllä, saa", "Ja, får publiceras",
                                   "Kyllä / Ja"])
def test_consent_yes(value):
    assert parse_consent(value) is True


@pytest.mark.parametrize("value", [
    "Annan luvan julkaista yhteystietoni verkkosivuilla;", "Kyllä, yhteystietoni saa julkaista",
    "Jag ger tillstånd att publicera mina kontaktuppgifter;",
    "I agree that my contact details may be published",
    "☑", "1.0"])
def test_consent_statements_and_ticks_of_a_one_option_checkbox_are_yes(value):
    assert parse_consent(value) is True


@pytest.mark.parametrize("value", ["Ei", "nej", "No", "n", "false", "FALSE", False, 0, "0",
                                   "Ei saa julkaista",
                                   "En anna lupaa julkaista yhteystietojani", "Jag ger inte tillstånd",
                                   "I do not consent", "Nej tack", "Yhteystietoja ei saa julkaista"])
def test_consent_no_words_and_negated_statements_are_no(value):
    assert parse_consent(value) is False


@pytest.mark.parametrize("value", ["", None, "-", float("nan")])
def test_consent_empty_is_unknown_without_a_reason(value):
    assert read_consent(value).state == "unknown"
    assert read_consent(value).reason == ""


@pytest.mark.parametrize("value", ["kyllä mutta vain nimi", "en tiedä", "?", "Kyllä/Ei", "Lapset", 7])
def test_consent_unclear_is_unknown_with_a_reason_never_a_no(value):
    reading = read_consent(value)
    assert reading.value is None and reading.state == "unknown"
    assert "neither" in reading.reason


def test_an_unclear_consent_is_flagged_and_an_empty_one_shows_unknown(survey, vocabulary):
    answers = {"title": "Kulttuurikaveri", "contact_name": "Sanna Saari"}
    unclear = normalise_answers({**answers, "publish_consent": "kyllä mutta vain nimi"}, survey=survey,
                                vocabulary=vocabulary)
    assert unclear.publish_consent is None
    assert any(f.startswith("unsure:publish_consent:") for f in unclear.flags)
    assert unclear.card_fields()["contact"] is None
    empty = normalise_answers(answers, survey=survey, vocabulary=vocabulary)
    assert empty.publish_consent is None and "consent-unknown" in empty.flags
    refused = normalise_answers({**answers, "publish_consent": "Ei"}, survey=survey, vocabulary=vocabulary)
    assert refused.publish_consent is False and "no-consent" in refused.flags


# --- contact --------------------------------------------------------------------------------


def test_contact_typed_in_one_field_is_split():
    typed = "Maija Meikäläinen, kulttuurisihteeri, maija.meikalainen@kunta.fi, 040 123 4567"
    parts = split_contact(name=typed, email=None, phone=None)
    name, email, phone, text = parts
    assert (name, email, phone) == ("Maija Meikäläinen", "maija.meikalainen@kunta.fi", "+358 40 1234567")
    assert text == "Maija Meikäläinen, kulttuurisihteeri, maija.meikalainen@kunta.fi, 040 123 4567"
    assert parts.flags == ()


def test_contact_in_separate_fields_is_kept_without_contact_text():
    parts = split_contact(name="Liisa Lähettilä", email="Liisa.Lahettila@Turku.FI", phone="040-1234567")
    assert tuple(parts) == ("Liisa Lähettilä", "Liisa.Lahettila@turku.fi", "+358 40 1234567", None)


def test_contact_phone_from_a_numeric_cell_lost_its_leading_zero():
    assert split_contact(name="A B", phone=401234567.0).phone == "+358 40 1234567"
    assert split_contact(name="A B", phone="358 9 816 21234").phone == "+358 9 81621234"


def test_contact_invalid_email_and_phone_are_flagged_and_kept_in_text():
    parts = split_contact(name="Eija Koski", email="eija.koski@espoo", phone="040 12")
    assert (parts.name, parts.email, parts.phone) == ("Eija Koski", None, None)
    # each flag quotes what was typed, so the reviewer judges it from the flag alone
    assert set(parts.flags) == {
        unsure("contact_email", "email-invalid", typed="eija.koski@espoo"),
        unsure("contact_phone", "phone-invalid", typed="040 12")}
    assert any("'eija.koski@espoo'" in describe(flag) for flag in parts.flags)
    assert parts.text == "Eija Koski\neija.koski@espoo\n040 12"


def test_contact_address_written_with_at_in_brackets_is_an_address():
    parts = split_contact(name="Eija Koski, eija.koski(at)espoo.fi", email=None, phone=None)
    assert (parts.name, parts.email) == ("Eija Koski", "eija.koski@espoo.fi")
    # Read as an address, and the reviewers are told how it was written (the site shows it
    # as a plain address).
    assert [flag.split("{")[0] for flag in parts.flags] == [
        "unsure:contact_email:email-written-out"]
    assert split_contact(email="eija.koski [at] espoo [dot] fi").email == "eija.koski@espoo.fi"


@pytest.mark.parametrize(("consent", "code"), [
    ("Kyllä", "email-written-out"), ("Ei", "email-written-out-unpublished"),
    (None, "email-written-out-unpublished")])
def test_a_written_out_address_never_said_shown_on_the_site_beside_left_off(
        survey, vocabulary, consent, code):
    # "pekka(at)kunta.fi" and no consent: the reviewer read "the site shows it as a plain
    # address" and, in the next line, "they are left off the site".
    answers = {**CARD_4V, "contact_name": "Pekka Virtanen",
               "contact_email": "pekka.virtanen(at)mantta-vilppula.fi", "publish_consent": consent}
    practice = normalise_answers(answers, survey=survey, vocabulary=vocabulary)

    assert practice.contact_email == "pekka.virtanen@mantta-vilppula.fi"
    written = [flag for flag in practice.flags if "email-written-out" in flag]
    assert written == [unsure("contact_email", code,
                              typed="pekka.virtanen(at)mantta-vilppula.fi",
                              address="pekka.virtanen@mantta-vilppula.fi")]
    said = describe(written[0], "fi")
    assert ("Sivustolla se näkyy tavallisena osoitteena" in said) is (consent == "Kyllä")
    if consent != "Kyllä":
        assert said.endswith("Sivustolla sitä ei näytetä ilman lupaa julkaista yhteystiedot.")


@pytest.mark.parametrize(("typed", "expected"), [
    ("kulttuurisihteeri Maija Meikäläinen, p. 040 123 4567", ("Maija Meikäläinen", None, "+358 40 1234567")),
    ("Maija Meikäläinen (maija.meikalainen@kunta.fi)",
     ("Maija Meikäläinen", "maija.meikalainen@kunta.fi", None)),
    ("Yhteyshenkilö: Maija Meikäläinen / Kulttuuripalvelut / 044 1234 567",
     ("Maija Meikäläinen", None, "+358 44 1234567")),
    ("Anna Andersson, kultursekreterare, tfn 06 785 0000, anna.andersson@pedersore.fi",
     ("Anna Andersson", "anna.andersson@pedersore.fi", "+358 6 7850000")),
    ("maija.meikalainen@kunta.fi", (None, "maija.meikalainen@kunta.fi", None)),
    ("Kulttuuritoimi, Kauppakatu 12, 00100 Helsinki", ("Kulttuuritoimi", None, None)),
    ("Maija P. Meikäläinen puh. 0401234567", ("Maija P. Meikäläinen", None, "+358 40 1234567")),
])
def test_contact_typed_in_one_field_real_shapes(typed, expected):
    parts = split_contact(name=typed)
    assert tuple(parts)[:3] == expected
    # A name taken from parts none of which reads as a person is flagged, never silently kept.
    assert all(flag.startswith("unsure:contact_name:") for flag in parts.flags)
    assert bool(parts.flags) == (typed.startswith("Kulttuuritoimi"))
    assert parts.text == typed


def test_contact_second_number_and_switchboard_note_kept_in_text():
    parts = split_contact(name="Maija Meikäläinen", phone="040 123 4567 / 09 816 21234 (vaihde)")
    assert parts.phone == "+358 40 1234567"
    assert parts.text is not None and "vaihde" in parts.text
    assert parts.flags == ()


def test_contact_words_in_the_phone_field_are_text_not_an_invalid_number():
    parts = split_contact(name="Maija Meikäläinen", phone="ei julkista numeroa")
    assert (parts.phone, parts.flags) == (None, ())
    assert parts.text is not None and "ei julkista numeroa" in parts.text


def test_contact_email_with_display_name_and_labels():
    parts = split_contact(name=None, email="Eija Koski <eija.koski@espoo.fi>", phone="puh. 09 816 21234")
    assert tuple(parts)[:3] == ("Eija Koski", "eija.koski@espoo.fi", "+358 9 81621234")
    validate_email(parts.email or "", check_deliverability=False)


# --- language -------------------------------------------------------------------------------


def test_swedish_answers_are_detected_as_swedish(survey, vocabulary):
    answers = {"title": "Kulturkompisar för äldre", "goal": "Att ge äldre som bor hemma möjlighet att "
               "delta i kulturlivet.", "summary": "Frivilliga kulturkompisar följer med äldre på konserter "
               "och utställningar.", "keywords": "samarbete, äldre", "target_group": "Äldre",
               "publish_consent": "Ja"}
    practice = normalise_answers(answers, survey=survey, vocabulary=vocabulary)
    assert practice.language == "sv"
    assert practice.keywords == ["samarbete", "äldre"]
    assert practice.target_group == ["older_people"]


@pytest.mark.parametrize(("texts", "expected"), [
    (["Lapset ja nuoret tutustuvat taiteeseen koulussa."], "fi"),
    (["Barn och unga möter konst i skolan."], "sv"),
    (["Kulturverkstad"], "sv"),
    (["Kulttuuripaja"], "fi"),
    ([None, ""], "fi"),
])
def test_detect_language_examples(texts, expected):
    assert detect_language(texts) == expected


def test_detect_language_falls_back_to_the_default_when_text_cannot_tell():
    assert detect_language([], default="sv") == "sv"


# --- the whole record -----------------------------------------------------------------------


def test_empty_practice_sheet_is_empty_even_with_default_consent_and_municipality(survey, vocabulary):
    practice = normalise_answers({"municipalities": "Espoo", "publish_consent": "Ei", "title": " - "},
                                 survey=survey, vocabulary=vocabulary)
    assert practice.is_empty is True
    assert practice.title == ""


def test_missing_required_fields_are_flagged_but_missing_consent_is_unknown(survey, vocabulary):
    practice = normalise_answers({"title": "Kirjastokaveri", "keywords": "kirjasto"}, survey=survey,
                                 vocabulary=vocabulary)
    assert practice.missing_required == ["municipalities", "target_group", "goal", "summary"]
    assert "required-missing:target_group" in practice.flags
    assert not any("publish_consent" in flag for flag in practice.flags)
    assert practice.publish_consent is None
    assert practice.is_empty is False


def test_title_is_one_line_and_too_long_text_is_flagged_not_truncated(survey, vocabulary):
    long_title = "Pitkä nimi\nkahdella rivillä " + "x" * 200
    practice = normalise_answers({"title": long_title}, survey=survey, vocabulary=vocabulary)
    assert "\n" not in practice.title
    assert practice.title.endswith("x" * 200)
    assert "too-long:title" in practice.flags


def test_answers_keyed_by_heading_are_understood(survey, vocabulary):
    answers = {"Käytännön nimi": "Satutuokio", "Kenelle": "Lapset", "Avainsanat": "kirjasto"}
    practice = normalise_answers(answers, survey=survey, vocabulary=vocabulary)
    assert practice.title == "Satutuokio"
    assert (practice.target_group, practice.keywords) == (["children"], ["kirjasto"])


# --- later additions: shapes seen in real answers -------------------------------------------


def test_target_group_neighbouring_unmatched_parts_stay_one_other_text(survey):
    assert parse_target_groups("Lapset, kuorot, bändit ja orkesterit", survey, "fi") == [
        "children", "other:kuorot, bändit ja orkesterit"]
    assert parse_target_groups(["Lapset", "kuorot", "bändit"], survey, "fi") == [
        "children", "other:kuorot, bändit"]
    assert parse_target_groups("teatteriryhmät;kuorot", survey, "fi") == [
        "other:teatteriryhmät", "other:kuorot"]


@pytest.mark.parametrize(("typed", "expected"), [
    ("Lapset (0–6 v.)", ["children"]),
    ("Kaikki kuntalaiset", ["all_residents"]),
    ("alueen nuoret", ["young_people"]),
    ("Alla åldrar", ["all_residents"]),
    ("ikäihmisille ja vammaisille", ["older_people", "people_with_disabilities"]),
    ("nuoret aikuiset", ["other:nuoret aikuiset"]),
    ("nuorisotyöntekijät", ["other:nuorisotyöntekijät"]),
])
def test_target_group_inflections_modifiers_and_details(survey, typed, expected):
    assert parse_target_groups(typed, survey, "fi") == expected


def test_practice_sheet_with_only_contact_and_consent_is_empty(survey, vocabulary):
    answers = {"municipalities": "Vaasa", "contact_name": "Sanna Saga",
               "contact_email": "sanna.saga@vaasa.fi",
               "publish_consent": "Kyllä, saa julkaista"}
    practice = normalise_answers(answers, survey=survey, vocabulary=vocabulary)
    assert practice.is_empty is True
    assert practice.contact_email == "sanna.saga@vaasa.fi"
    assert not any(flag.startswith("too-long") for flag in practice.flags)


def test_hyphenated_shared_suffix_is_one_keyword_and_one_group(survey, vocabulary):
    assert split_keywords("kirjasto, sosiaali- ja terveyspalvelut", vocabulary, "fi") == [
        "kirjasto", "sosiaali- ja terveyspalvelut"]
    assert vocabulary.concept_of("sosiaali- ja terveyspalvelut").id == "social_and_health_services"
    assert split_keywords("asukas- ja aluetyö, kirjasto", vocabulary, "fi") == [
        "asukas- ja aluetyö", "kirjasto"]
    assert parse_target_groups("Lapset, koulu- ja päiväkotiryhmät", survey, "fi") == [
        "children", "other:koulu- ja päiväkotiryhmät"]


def test_contact_parts_typed_into_the_wrong_field_are_found_there():
    parts = split_contact(name="Maija Meikäläinen", email="maija.meikalainen@kunta.fi, 040 123 4567")
    assert (parts.email, parts.phone) == ("maija.meikalainen@kunta.fi", "+358 40 1234567")
    assert parts.text is not None and "040 123 4567" in parts.text
    parts = split_contact(name="Maija Meikäläinen", phone="040 123 4567 maija.meikalainen@kunta.fi")
    assert (parts.email, parts.phone, parts.flags) == ("maija.meikalainen@kunta.fi", "+358 40 1234567", ())


def test_cell_dates_read_as_iso_text():
    import datetime as dt

    assert clean_text(dt.datetime(2025, 3, 4)) == "2025-03-04"
    assert clean_text(dt.datetime(2025, 3, 4, 10, 39, 41)) == "2025-03-04 10:39:41"
    assert clean_text(dt.date(2025, 3, 4)) == "2025-03-04"


def test_language_detector_is_built_only_when_the_word_count_cannot_tell():
    import subprocess
    import sys

    code = ("import sys\n"
            "from yhteistuumin_survey import normalise as n\n"
            "assert n.detect_language(['Lapset ja nuoret tutustuvat taiteeseen koulussa.']) == 'fi'\n"
            "assert n.detect_language(['Barn och unga möter konst i skolan som en del av']) == 'sv'\n"
            "print('lingua' in sys.modules, n._detector is None)\n"
            "assert n.detect_language(['Kulturverkstad']) == 'sv'\n"
            "print(n._detector is not None)\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True", "True"]


def test_vocabulary_without_a_workspace_copy_is_the_bundled_one_and_bad_files_say_where(workspace):
    assert load_vocabulary(workspace).path == bundled_vocabulary().path
    own = workspace.root / "survey" / "keywords.yaml"
    own.write_text("keywords: [unclosed\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"keywords\.yaml: not valid YAML"):
        load_vocabulary(workspace)
    own.write_text("keywords:\n  - {sv: samarbete}\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"keyword 1: needs at least 'id' and 'fi'"):
        load_vocabulary(workspace)


def test_keywords_typed_with_spaces_only_are_split_when_every_word_is_known(vocabulary):
    assert split_keywords("kirjasto musiikki lapset", vocabulary, "fi") == ["kirjasto", "musiikki", "lapset"]
    assert split_keywords("kestävä kehitys", vocabulary, "fi") == ["kestävä kehitys"]
    assert split_keywords("kirjasto uusi sana", vocabulary, "fi") == ["kirjasto uusi sana"]


@pytest.mark.parametrize("typed", [
    "Pekka P", "Pekka P.", "Pekka P, pekka.p@kunta.fi, 040 1234567",
    "040 1234567, Pekka P, pekka.p@kunta.fi", "pekka.p@kunta.fi Pekka P",
    "040 1234567 Pekka P", "Pekka P, P 040 1234567", "Pekka P\np. 040 1234567",
])
def test_a_surname_initial_is_part_of_the_name_not_a_phone_label(typed):
    parts = split_contact(name=typed)
    assert parts.name == "Pekka P"
    assert parts.phone in (None, "+358 40 1234567")


def test_a_letter_before_the_number_is_still_its_label():
    assert tuple(split_contact(name="Pekka Virtanen P 040 1234567"))[:3] == (
        "Pekka Virtanen", None, "+358 40 1234567")
    assert tuple(split_contact(name="Pekka P", email="pekka.p@kunta.fi",
                               phone="P 040 1234567"))[:3] == (
        "Pekka P", "pekka.p@kunta.fi", "+358 40 1234567")


@pytest.mark.parametrize("typed", ["SQ001;SQ004", ["A1", "A3"], "1;3"])
def test_choice_codes_without_their_texts_are_flagged_never_mapped(survey, vocabulary, typed):
    practice = normalise_answers({"title": "Koodattu", "target_group": typed}, survey=survey,
                                 vocabulary=vocabulary)
    assert practice.target_group == []
    assert any(f.startswith("unsure:target_group:choice-codes{") for f in practice.flags)


def test_a_language_the_text_does_not_tell_is_flagged_unless_known(survey, vocabulary):
    answers = {"title": "Culture buddies",
               "goal": "To help newcomers find the culture services of the city they live in."}
    guessed = normalise_answers(answers, survey=survey, vocabulary=vocabulary)
    assert any(f.startswith("unsure:language:") for f in guessed.flags)
    known = normalise_answers(answers, survey=survey, vocabulary=vocabulary, default_language="sv",
                              language_known=True)
    # The questionnaire's language is known, but this text is English, which the site does not
    # publish: the reviewers are told, not left with a card marked Swedish.
    assert known.language == "sv"
    assert [f for f in known.flags if f.startswith("unsure:language")] == [
        'unsure:language:language-english{"language":"sv"}']


@pytest.mark.parametrize(("name", "phone", "expected_phone", "flags"), [
    # digits in a name are not a number written to be dialled: never taken as the phone
    ("Henkilö 100123", "040 123 0123", "+358 40 1230123", ()),
    ("Henkilö 100123", None, None, ()),
    # seven digits or more that are no number a person dials: flagged for a reviewer
    ("Kalle Koski 1234567", None, None,
     ('unsure:contact_phone:phone-invalid{"typed":"1234567"}',)),
    # a number in the name, another in the phone field: the phone field's own number wins
    ("Maija Meikäläinen, 040 1234567", "050 7654321", "+358 50 7654321", ()),
    # the name holds the only number, typed as one is dialled: it is taken
    ("Maija Meikäläinen 040 123 4567", None, "+358 40 1234567", ()),
    ("Maija Meikäläinen, puh. 358 40 123 4567", None, "+358 40 1234567", ()),
])
def test_a_phone_is_taken_from_the_name_only_when_typed_to_be_dialled(
        name: str, phone: str | None, expected_phone: str | None, flags: tuple[str, ...]) -> None:
    parts = split_contact(name=name, phone=phone)
    assert parts.phone == expected_phone
    assert parts.flags == flags
    if phone or expected_phone:
        # whatever was typed stays readable for the reviewer
        assert parts.text is None or all(raw in parts.text for raw in (name, phone) if raw)


@pytest.mark.parametrize(("typed", "quoted"), [
    # Excel's scientific notation of a number typed without spaces (a CSV shows it so)
    ("Maija Meikäläinen, 4.01234567E+08", "4.01234567E+08"),
    ("Maija Meikäläinen; 4,01234567E+08", "4,01234567E+08"),
    # the + of a number too short to dial is part of what was typed
    ("Maija Meikäläinen, +358 40 123", "+358 40 123"),
])
def test_a_number_that_is_no_phone_is_quoted_to_the_reviewer_as_typed(
        typed: str, quoted: str) -> None:
    parts = split_contact(name=typed)
    assert parts.phone is None
    assert parts.flags == (unsure("contact_phone", "phone-invalid", typed=quoted),)
    assert parts.text == typed
