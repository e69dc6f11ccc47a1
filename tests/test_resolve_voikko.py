"""Every inflected municipality name the resolver generates, checked against Voikko.

Voikko (Debian's ``libvoikko1`` + ``voikko-fi``, the ``libvoikko`` binding of the test group)
is the test oracle only: the resolver generates the forms by rule and never loads it. A form
passes when one of Voikko's analyses of it has the intended case and the municipality's name
as its base form. The few names and forms Voikko does not know are listed below with the
reason; an entry Voikko has come to know fails the test, so the list cannot go stale.
On CI (``CI=true``) a missing Voikko fails the tests instead of skipping them.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_resolve import MERGERS, REGISTER, register_rows

from yhteistuumin_survey.resolve import Resolver, finnish_cases

#: Voikko's name for each case (its SIJAMUOTO).
VOIKKO_CASE = {"nominative": "nimento", "genitive": "omanto", "inessive": "sisaolento",
               "elative": "sisaeronto", "illative": "sisatulento", "adessive": "ulkoolento",
               "ablative": "ulkoeronto", "allative": "ulkotulento"}

#: Small names the Finnish dictionary of Voikko does not have (none of their forms is known).
UNKNOWN_TO_VOIKKO = {
    "Lemland": "Åland municipality, not in voikko-fi",
    "Lumparland": "Åland municipality, not in voikko-fi",
    "Saltvik": "Åland municipality, not in voikko-fi",
    "Sund": "Åland municipality, not in voikko-fi",
    "Kullaa": "former municipality (Ulvila since 2005), not in voikko-fi",
    "Pieksänmaa": "former municipality (Pieksämäki since 2007), not in voikko-fi",
    "Vampula": "former municipality (Huittinen since 2009), not in voikko-fi",
}

#: Single forms Voikko does not give, with why the resolver keeps them.
UNKNOWN_FORMS = {
    **dict.fromkeys(
        ("Uudenkaarlepyyn", "Uudessakaarlepyyssä", "Uudestakaarlepyystä", "Uudellakaarlepyyllä",
         "Uudeltakaarlepyyltä", "Uudellekaarlepyylle", "Uuteenkaarlepyyhyn"),
        "Voikko does not inflect the adjective Uusi- of Uusikaarlepyy; the official Finnish "
        "forms do (Uudenkaarlepyyn kaupunki)"),
    **dict.fromkeys(
        ("Vähänkyrön", "Vähässäkyrössä", "Vähästäkyröstä", "Vähälläkyröllä", "Vähältäkyröltä",
         "Vähällekyrölle", "Vähäänkyröön"),
        "Voikko does not inflect the adjective Vähä- of Vähäkyrö; the official forms do "
        "(Vähänkyrön kunta), as Voikko does for Isokyrö (Isonkyrön)"),
    "Toholampiin": "Voikko gives Toholampi only its external cases (Toholammille); the "
                   "illative is the regular strong grade, as Voikko's rautalampi -> Rautalampiin",
}

#: Names Voikko analyses under another base form of the same place.
BASE_FORMS = {
    "Virrat": ("virta",),  # a plural: Voikko reads it as the plural of virta (Virroissa)
    "Yläne": ("ylänne",),  # Ylänteen, Ylänteellä: the second stem of the name
}

NAMES = [r.name_fi for r in REGISTER] + sorted(
    {m.old_name_fi for m in MERGERS if m.old_name_fi} - {r.name_fi for r in REGISTER})


def _inflected_part(name: str, form: str) -> tuple[str, str]:
    """The part of a form that inflects and its base: the last of Mänttä-Vilppula, Koski Tl."""
    def last(text: str) -> str:
        return text.removesuffix(" Tl").replace("-", " ").split(" ")[-1]

    return last(name), last(form)


def _accepts(voikko, name: str, form: str, case: str) -> bool:
    base, part = _inflected_part(name, form)
    bases = {base.lower(), *BASE_FORMS.get(name, ())}
    return any(a.get("SIJAMUOTO") == VOIKKO_CASE[case] and a.get("BASEFORM", "").lower() in bases
               for a in voikko.analyze(part))


def generated_forms() -> list[tuple[str, str, str]]:
    """(name, case, form) for every case form of every municipality and former one."""
    out = []
    for name in NAMES:
        if name.endswith((" kunta", " maalaiskunta")):
            continue  # Pedersören kunta is already a genitive phrase
        for case, forms in finnish_cases(name).items():
            out.extend((name, case, form) for form in forms)
    return out


def test_every_generated_finnish_form_is_a_form_of_its_name_for_voikko(voikko) -> None:
    forms = generated_forms()
    assert len(forms) > 3_000
    cases = {case for _, case, _ in forms}
    assert cases == set(VOIKKO_CASE)
    rejected = [(name, case, form) for name, case, form in forms
                if name not in UNKNOWN_TO_VOIKKO and form not in UNKNOWN_FORMS
                and not _accepts(voikko, name, form, case)]
    assert rejected == []


def test_the_listed_exceptions_are_still_unknown_to_voikko(voikko) -> None:
    known_now = [name for name in UNKNOWN_TO_VOIKKO if _accepts(voikko, name, name, "nominative")]
    assert known_now == [], "Voikko knows these now: remove them from UNKNOWN_TO_VOIKKO"
    cases = {form: (name, case) for name, case, form in generated_forms()}
    assert set(UNKNOWN_FORMS) <= set(cases)
    known_forms = [form for form in UNKNOWN_FORMS if _accepts(voikko, *cases[form][:1], form,
                                                             cases[form][1])]
    assert known_forms == [], "Voikko knows these now: remove them from UNKNOWN_FORMS"


@pytest.mark.parametrize(("name", "case", "expected"), [
    ("Helsinki", "inessive", "Helsingissä"), ("Helsinki", "elative", "Helsingistä"),
    ("Helsinki", "illative", "Helsinkiin"), ("Tampere", "adessive", "Tampereella"),
    ("Loppi", "adessive", "Lopella"), ("Loppi", "genitive", "Lopen"),
    ("Espoo", "illative", "Espooseen"), ("Turku", "illative", "Turkuun"),
    ("Joensuu", "illative", "Joensuuhun"), ("Toholampi", "genitive", "Toholammin"),
    ("Toholampi", "adessive", "Toholammilla"), ("Rautalampi", "genitive", "Rautalammin"),
    ("Rautalampi", "adessive", "Rautalammilla"), ("Lahti", "illative", "Lahteen"),
    ("Haapavesi", "illative", "Haapaveteen"), ("Varkaus", "illative", "Varkauteen"),
    ("Kaskinen", "illative", "Kaskisiin"), ("Virrat", "illative", "Virtoihin"),
    ("Uusikaupunki", "illative", "Uuteenkaupunkiin"), ("Isokyrö", "illative", "Isoonkyröön"),
    ("Pihtipudas", "illative", "Pihtiputaaseen"), ("Pertunmaa", "illative", "Pertunmaahan"),
    ("Brändö", "illative", "Brändöhön"), ("Enontekiö", "inessive", "Enontekiössä"),
    ("Kruunupyy", "inessive", "Kruunupyyssä"), ("Rovaniemi", "allative", "Rovaniemelle"),
    ("Mänttä-Vilppula", "illative", "Mänttä-Vilppulaan"), ("Koski Tl", "ablative", "Koskelta"),
])
def test_case_forms_by_rule(name: str, case: str, expected: str) -> None:
    assert expected in finnish_cases(name)[case]


@pytest.fixture(scope="module")
def resolver() -> Resolver:
    return Resolver.from_rows(*register_rows())


def test_every_generated_form_in_a_sentence_resolves_to_its_municipality(resolver) -> None:
    wrong = []
    for row in REGISTER:
        if row.name_fi.endswith(" kunta"):
            continue
        for case, forms in finnish_cases(row.name_fi).items():
            for form in forms:
                text = f"Kulttuuritoimi {form}" if case != "genitive" else f"{form} kunta"
                result = resolver.resolve(text)
                if (result.status, result.codes) != ("resolved", [row.code]):
                    wrong.append((text, result.status, result.codes, result.candidates))
    assert wrong == []


# --- misspellings that are words --------------------------------------------------------------

TYPO_WORDS = Path(__file__).parent.parent / "yhteistuumin_survey" / "typo_words.txt"
TYPO_WORDS_HEADER = (
    "# Misspellings of municipality names (one letter doubled, swapped, dropped or wrong) that\n"
    "# are Finnish words for Voikko (not compounds, not a form of a municipality): the resolver\n"
    "# never reads them as a misspelt name. Written by: python tests/test_resolve_voikko.py\n")


def voikko_typo_words(voikko, resolver: Resolver) -> list[str]:
    """The misspellings the resolver would read as a name that Voikko knows as other words."""
    from yhteistuumin_survey.resolve import _strip, typo_variants

    names = {n.lower() for row in REGISTER for n in (row.name_fi, row.name_sv)}
    names |= {n.lower() for m in MERGERS for n in (m.old_name_fi, m.old_name_sv) if n}
    # Each distinct misspelling once: several names (and a name and its folded form) share
    # misspellings, and Voikko's spelling check of 1.3 million words is the test's whole cost.
    variants: set[str] = set()
    for key in resolver.typo_targets():
        variants |= typo_variants(key) | typo_variants(_strip(key))
    words: set[str] = set()
    for variant in variants:
        word = variant[:1].upper() + variant[1:]
        if not voikko.spell(word):
            continue
        analyses = voikko.analyze(word)
        if any(a.get("BASEFORM", "").lower() in names for a in analyses):
            continue  # a form of a name after all (Auraa is Aura's partitive)
        if any(a.get("STRUCTURE", "").count("=") == 1 for a in analyses):
            words.add(_strip(variant))  # a word of its own, not a compound Voikko builds
    return sorted(words)


@pytest.mark.slow
def test_the_shipped_list_of_misspellings_that_are_words_is_what_voikko_says(
        voikko, resolver) -> None:
    shipped = [line for line in TYPO_WORDS.read_text(encoding="utf-8").splitlines()
               if line and not line.startswith("#")]
    assert shipped == voikko_typo_words(voikko, resolver), (
        "the typo targets changed: write the list again with python tests/test_resolve_voikko.py")
    assert {"varaus", "tuloksen", "aikainen"} <= set(shipped)


if __name__ == "__main__":  # write yhteistuumin_survey/typo_words.txt
    import libvoikko

    words = voikko_typo_words(libvoikko.Voikko("fi"), Resolver.from_rows(*register_rows()))
    TYPO_WORDS.write_text(TYPO_WORDS_HEADER + "\n".join(words) + "\n", encoding="utf-8")
