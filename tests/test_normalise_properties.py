"""Properties of the normaliser that hold for any text a person (or a spreadsheet) can produce."""

from __future__ import annotations

import unicodedata
from pathlib import Path

from email_validator import validate_email
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from yhteistuumin_survey.normalise import (
    bundled_vocabulary,
    clean_text,
    normalise_answers,
    parse_consent,
    parse_target_groups,
    split_contact,
    split_keywords,
)
from yhteistuumin_survey.survey import fold, load_survey

REPO = Path(__file__).resolve().parents[1]
SURVEY = load_survey(REPO / "survey" / "questions.yaml")
VOCABULARY = bundled_vocabulary()
CHOICE_IDS = {c.id for c in SURVEY.by_field("target_group").choices}

PROFILE = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

#: Text as it arrives from cells: any Unicode plus the separators, artefacts and odd spaces
#: that spreadsheets and form exports produce.
ARTEFACTS = st.sampled_from([
    "_x000D_", "_x000A_", "_x0009_", "\r\n", "\r", "\n", "\n\n", "\t", "\u00a0", "\u202f", "\u200b",
    "\ufeff", "\u00ad", ", ", ";", "/", " ja ", " och ", "-", "–", "n/a", "a\u0308", "ä", "å", "Å",
    "@", "040 123 4567", "x", "✓", "Kyllä", "Lapset", "Nuoret;", "Barn", "Muu: ", "kunta.fi",
])
CELL_TEXT = st.lists(st.one_of(st.text(max_size=12), ARTEFACTS), max_size=12).map("".join)
WORDS = st.text(alphabet=st.characters(categories=["L", "N"]), min_size=1, max_size=10)


@PROFILE
@given(CELL_TEXT)
def test_clean_text_is_idempotent_and_trimmed_nfc(text):
    cleaned = clean_text(text)
    if cleaned is None:
        return
    assert clean_text(cleaned) == cleaned
    assert cleaned == cleaned.strip()
    assert cleaned[:1] not in ("\n", " ") and cleaned[-1:] not in ("\n", " ")
    assert unicodedata.is_normalized("NFC", cleaned)
    assert "\r" not in cleaned and "\n\n\n" not in cleaned


@PROFILE
@given(st.lists(st.lists(WORDS, min_size=1, max_size=6), min_size=1, max_size=6),
       st.sampled_from(["\n\n", "\r\n\r\n", "\n \n\n", "\r\n\r\n\r", "\n\t\n\n\n"]),
       st.sampled_from([" ", "  ", "\t", " \u00a0"]))
def test_clean_text_preserves_the_number_of_paragraphs(paragraphs, blank, space):
    text = blank.join(space.join(words) for words in paragraphs)
    cleaned = clean_text(text)
    assert cleaned is not None
    assert len(cleaned.split("\n\n")) == len(paragraphs)


@PROFILE
@given(st.one_of(CELL_TEXT, st.lists(CELL_TEXT, max_size=4)), st.sampled_from(["fi", "sv"]))
def test_split_keywords_is_idempotent_and_has_no_case_insensitive_duplicates(value, lang):
    keywords = split_keywords(value, VOCABULARY, lang)
    assert split_keywords(", ".join(keywords), VOCABULARY, lang) == keywords
    assert len({k.casefold() for k in keywords}) == len(keywords)
    assert all(k == k.strip() and k and unicodedata.is_normalized("NFC", k) for k in keywords)


@PROFILE
@given(st.one_of(CELL_TEXT, st.none(), st.booleans(), st.integers(), st.floats()))
def test_parse_consent_never_raises_and_empty_is_unknown(value):
    assert parse_consent(value) in (True, False, None)
    if clean_text(value) is None and not isinstance(value, bool):
        assert parse_consent(value) is None


TICKS = st.sampled_from(["Y", "x", "1", "Kyllä"])
PAIRS = st.lists(st.tuples(CELL_TEXT, st.one_of(CELL_TEXT, st.none(), TICKS)), max_size=6)


@PROFILE
@given(st.one_of(CELL_TEXT, st.lists(CELL_TEXT, max_size=4), PAIRS, st.none(), st.integers()),
       st.sampled_from(["fi", "sv"]))
def test_parse_target_groups_returns_only_choice_ids_and_other_texts(value, lang):
    groups = parse_target_groups(value, SURVEY, lang)
    assert all(g in CHOICE_IDS or (g.startswith("other:") and len(g) > len("other:")) for g in groups)
    assert len(set(groups)) == len(groups)
    ids = [g for g in groups if g in CHOICE_IDS]
    order = [c.id for c in SURVEY.by_field("target_group").choices]
    assert ids == sorted(ids, key=order.index)


@PROFILE
@given(st.one_of(CELL_TEXT, st.none()), st.one_of(CELL_TEXT, st.none(), st.emails()),
       st.one_of(CELL_TEXT, st.none(), st.integers(min_value=0, max_value=10**12)),
       st.one_of(CELL_TEXT, st.none()))
def test_split_contact_never_raises_and_every_email_it_returns_is_valid(name, email, phone, text):
    parts = split_contact(name=name, email=email, phone=phone, text=text)
    if parts.email is not None:
        assert validate_email(parts.email, check_deliverability=False).normalized == parts.email
    if parts.phone is not None:
        assert parts.phone.startswith("+")
    assert len(tuple(parts)) == 4


FIELDS = st.sampled_from([q.id for q in SURVEY.questions] + ["contact", "Kenelle", "random heading", ""])


@PROFILE
@given(st.dictionaries(FIELDS, st.one_of(CELL_TEXT, st.none(), st.integers(), st.floats(),
                                         st.lists(CELL_TEXT, max_size=3)), max_size=16))
def test_normalise_answers_never_raises_on_arbitrary_answers(answers):
    practice = normalise_answers(answers, survey=SURVEY, vocabulary=VOCABULARY)
    assert practice.language in ("fi", "sv")
    assert "\n" not in practice.title
    assert set(practice.missing_required) <= {q.id for q in SURVEY.questions if q.required}
    assert "publish_consent" not in practice.missing_required
    assert all(f"required-missing:{m}" in practice.flags for m in practice.missing_required)
    if practice.is_empty:
        assert not practice.title and not practice.keywords and not practice.summary
    card = practice.card_fields()
    if not practice.publish_consent:
        assert card["contact"] is None


# --- round trips: what a form or a person produces from known values comes back as them ------

CHOICES = SURVEY.by_field("target_group").choices
CHOICE_ORDER = [c.id for c in CHOICES]


@PROFILE
@given(st.lists(st.sampled_from(CHOICES), min_size=1, max_size=5, unique_by=lambda c: c.id),
       st.lists(st.sampled_from(["fi", "sv", "en"]), min_size=5, max_size=5),
       st.sampled_from([";", "; ", ", ", "\n", ";\n"]), st.booleans(), st.booleans())
def test_target_group_labels_in_any_language_and_separator_come_back_as_their_ids(
        choices, langs, separator, trailing, upper):
    labels = [c.label(lang) for c, lang in zip(choices, langs, strict=False)]
    text = separator.join(label.upper() if upper else label for label in labels) + (";" if trailing else "")
    expected = sorted((c.id for c in choices), key=CHOICE_ORDER.index)
    assert parse_target_groups(text, SURVEY, "fi") == expected
    assert parse_target_groups([(f"Kenelle? [{label}]", "Y") for label in labels], SURVEY, "fi") == expected


NAMES = st.tuples(st.sampled_from(["Maija", "Anna-Liisa", "Erik", "Åsa", "Pekka", "Sanna"]),
                  st.sampled_from(["Meikäläinen", "Andersson", "Öhman", "Koski", "Lähettilä",
                                   "P", "K"]))  # a surname's initial: "Pekka P"
PHONES = st.tuples(st.sampled_from(["040", "044", "050", "09", "06", "+358 40", "+358 9"]),
                   st.integers(min_value=1_000_000, max_value=9_999_999))


@PROFILE
@given(NAMES, PHONES, st.sampled_from(["kunta.fi", "espoo.fi", "pedersore.fi", "hel.fi"]),
       st.permutations(["name", "email", "phone"]), st.sampled_from([", ", "; ", "\n", " / "]),
       st.sampled_from(["", "kulttuurisihteeri", "kultursekreterare"]),
       st.sampled_from(["", "p. ", "P ", "puh: ", "tel. "]))
def test_contact_typed_in_one_field_in_any_order_comes_back_split(name, phone, domain, order, separator,
                                                                  role, phone_label):
    import phonenumbers

    assume(phonenumbers.is_valid_number(phonenumbers.parse(f"{phone[0]} {phone[1]}", "FI")))
    full_name = " ".join(name)
    email = f"{fold_ascii(name[0])}.{fold_ascii(name[1])}@{domain}"
    prefix, number = phone
    typed_phone = f"{prefix} {str(number)[:3]} {str(number)[3:]}"
    pieces = {"name": f"{role} {full_name}".strip(), "email": email,
              "phone": phone_label + typed_phone}
    typed = separator.join(pieces[key] for key in order)
    parts = split_contact(name=typed)
    assert parts.name == full_name
    assert parts.email == email
    assert parts.phone is not None and parts.phone.replace(" ", "").endswith(str(number))
    assert parts.text == typed
    assert parts.flags == ()


def fold_ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text.lower()).encode("ascii", "ignore").decode()


@PROFILE
@given(st.sampled_from(VOCABULARY.entries), st.sampled_from(["fi", "sv", "en"]),
       st.sampled_from(["fi", "sv"]),
       st.sampled_from([str.lower, str.upper, str.title, lambda s: f"  {s}. "]))
def test_any_vocabulary_spelling_keeps_its_word_and_links_its_concept(entry, typed_in, lang, case):
    keywords = split_keywords(case(entry.label(typed_in)), VOCABULARY, lang)
    assert len(keywords) == 1
    assert fold(keywords[0]) == fold(entry.label(typed_in))
    assert VOCABULARY.concept_of(keywords[0]) == entry


@PROFILE
@given(st.sampled_from(["kyllä", "Kyllä", "KYLLÄ", "kylla", "k", "ja", "Ja", "yes", "Y", "x", "X", "✓", "✔",
                        "true", "1", "saa julkaista", "Kyllä, saa", "Ja, får publiceras"]),
       st.sampled_from(["", " ", ".", "!", "\n", "\u00a0"]))
def test_consent_yes_spellings_with_trailing_noise_are_yes(word, noise):
    assert parse_consent(f"{noise}{word}{noise}") is True


@PROFILE
@given(st.sampled_from(["ei", "Ei", "EI", "nej", "Nej", "no", "n", "false", "0", "Ei saa julkaista",
                        "En anna lupaa"]),
       st.sampled_from(["", " ", ".", "!", "\n"]))
def test_consent_no_spellings_are_no(word, noise):
    assert parse_consent(f"{noise}{word}{noise}") is False
