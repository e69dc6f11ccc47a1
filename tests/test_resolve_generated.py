"""The resolver on eleven thousand generated spellings: no wrong match, and almost all right.

The texts are made from the register (names, the checked genitives of ``data/genitives.csv``,
Swedish names, former municipalities) in the ways people type them (case, missing
diacritics, words around the name, every case of a Finnish sentence, Swedish prepositional
phrases, typos with one letter doubled, swapped, dropped or wrong, lists), beside texts that
name no municipality (people, streets, institutions, regions, countries). A wrong match is
worse than none: the test allows no wrong match at all, and at most a handful of texts left
unresolved or ambiguous (flagged for a reviewer, never guessed).
"""

from __future__ import annotations

import csv
import random
from collections import Counter
from pathlib import Path

import pytest
from test_resolve import MERGERS, REGISTER, register_rows

from yhteistuumin_survey.resolve import Resolver, finnish_cases
from yhteistuumin_survey.resources import bundled_path

GENITIVES = Path(__file__).parent / "data" / "genitives.csv"

#: Texts that name no municipality, as they turn up in answers and contact lists.
NEGATIVES = [
    "Kulttuuripalvelut", "Suomi", "Finland", "Kaupungintalo", "Kunnantalo", "Kaupunki", "Kunta",
    "Sivistystoimi", "Kirjasto", "Museo", "Opetus- ja kulttuuriministeriö",
    "Taiteen edistämiskeskus", "Kuntaliitto", "Yle", "Kansallisteatteri", "Ateneum",
    "Hyvinvointialue", "Helsingin yliopisto", "Turun Sanomat", "Porin Ässät",
    "Tampereen yliopisto", "Oulun seudun ammattikorkeakoulu", "Espoon seurakunnat",
    "Matti Meikäläinen", "Maija Virtanen", "Pekka Korhonen", "Anna Nieminen", "Juha Mäkinen",
    "Liisa Hämäläinen", "Kaarina Virtanen", "Salla Mäkinen", "Simo Korhonen", "Soini Nieminen",
    "Inari Heikkinen", "Matti Salo", "Anna Lahti", "Pekka Laitila", "Juha Marttila",
    "Liisa Tammela", "Jari Kangasniemi", "Mika Rautavaara", "Elina Kivijärvi", "Timo Soini",
    "Heikki Rautavaara", "Laura Salla", "Mannerheimintie 5", "Hämeenkatu 10", "Helsingintie 12",
    "Turuntie 3 B", "Espoonkatu 1", "Tampereentie 44", "Porintie 7", "Lahdenkatu 2",
    "Itäinen Pitkäkatu 4", "Aleksanterinkatu 15", "Kauppatori", "Rautatieasema", "Tapiola",
    "Kallio", "Tikkurila", "Leppävaara", "Hervanta", "Otaniemi", "Sörnäinen", "Oulunkylä",
    "Keskusta", "Torikatu 1", "PL 1", "00100", "puh. 040 123 4567", "etunimi.sukunimi@example.fi",
    "Lastenkulttuurikeskus", "Kesäteatteri", "Musiikkiopisto", "Kansalaisopisto",
    "Nuorisopalvelut", "ei tiedossa", "-", "x", "Kyllä", "Ei", "Hyvä käytäntö", "Taidetestaajat",
    "Kulttuurikaveri", "Lukudiplomi", "Kirjastoauto", "Koululaiskonsertti", "Seniorit",
    "Lapset ja nuoret", "Varhaiskasvatus", "Asukkaat", "Yhdistykset", "Maahanmuuttajat",
    "Ikäihmiset", "Vapaa-aikatoimi", "Kulttuuritoimi", "Kunnanvirasto", "Kaupunginkirjasto",
    "Pääkirjasto", "Nuorisotalo", "Kirkonkylä", "Taidemuseo", "Sibeliustalo", "Kulttuuritalo",
    "Kanslia", "Kaupungintalon aula", "Etelä-Suomi", "Länsi-Suomi", "Pohjoismaat", "Eurooppa",
    "Ruotsi", "Norja", "Viro", "Venäjä", "Tukholma", "Tallinna", "Pietari", "Lapin maakunta",
    "Uudenmaan liitto", "Pohjois-Pohjanmaan liitto", "Keski-Suomen hyvinvointialue",
    "Varsinais-Suomen hyvinvointialue", "Kainuun soten", "Lahden seudun", "Helsingin Sanomat",
    "Tampereen Teatterikesä ry", "Turun Filharmoninen orkesteri", "Oy Yritys Ab", "Nokia Oyj",
    "kesäkuussa", "järvellä", "kosken rannalla", "Valtakunnallinen", "Koko Suomi",
    "Kaikki kunnat", "Useita kuntia", "Muu", "Muut kunnat", "Monta kuntaa", "Kultur",
    "Kulturtjänster", "Bibliotek", "Stadshuset", "Kommunkansliet", "Svenskfinland", "Fastlandet",
    "Lapin liitto", "Uudenmaan liitto", "Kaarina Salo", "Salla Lahti", "Taike", "Åbo Akademi",
    "Uudellamaalla", "Lapissa", "Pirkanmaalle", "i Nyland", "från Österbotten", "Varaus",
    "tuloksen", "Vaihe III",
]


def _strip(text: str) -> str:
    return text.translate(str.maketrans("äöåÄÖÅ", "aoaAOA"))


def generated_cases() -> list[tuple[str, str, frozenset[str]]]:
    """Return (family, text, expected codes) for every generated text; none for a negative."""
    rng = random.Random(7)
    with GENITIVES.open(encoding="utf-8") as handle:
        genitive = {row["code"]: row["genitive"] for row in csv.DictReader(handle)}
    cases: list[tuple[str, str, frozenset[str]]] = []

    def add(family: str, text: str, codes: set[str]) -> None:
        cases.append((family, text, frozenset(codes)))

    for m in REGISTER:
        code, fi, sv, g = m.code, m.name_fi, m.name_sv, genitive[m.code]
        base = fi.removesuffix(" kunta")
        for family, text in (
                ("name", fi), ("swedish", sv), ("upper", fi.upper()), ("lower", fi.lower()),
                ("no diacritics", _strip(fi)), ("genitive", f"{g} kaupunki"),
                ("genitive", f"{g} kunta"), ("genitive, no diacritics", _strip(f"{g} kunta")),
                ("genitive", f"{g} kaupunki".lower()), ("swedish", f"{sv} stad"),
                ("swedish", f"{sv} kommun"),
                ("words around", f"Kulttuuripalvelut, {g} kaupunki"),
                ("words around", f"Sivistystoimi / {g} kunta"),
                ("words around", f"{g} kaupungin kulttuuripalvelut"),
                ("words around", f"{g} kunnan kirjasto"),
                ("words around", f"Kultur- och fritidsavdelningen, {sv} kommun"),
                ("words around", f"{fi} (kulttuuritoimi)")):
            add(family, text, {code})
        if len(base) >= 8 and " " not in base and "-" not in base:
            i = rng.randrange(2, len(base) - 2)
            add("typo", base[:i] + base[i + 1] + base[i] + base[i + 2:], {code})
            i = rng.randrange(2, len(base) - 1)
            add("typo", base[:i] + base[i + 1:], {code})
            i = rng.randrange(2, len(base) - 1)
            add("typo", base[:i] + base[i] + base[i:], {code})
        if not fi.endswith(" kunta"):  # every case a Finnish sentence puts the name in
            for case, forms in finnish_cases(fi).items():
                for form in forms:
                    add("fi case", f"Kulttuuritoiminta {form}" if case != "genitive"
                        else f"{form} kulttuuripalvelut", {code})
        sv_genitive = sv if sv[-1] in "sxz" else sv + "s"
        for text in (f"i {sv}", f"från {sv}", f"till {sv}", f"{sv_genitive} stads kulturtjänster",
                     f"Kulturchef i {sv}", f"{sv_genitive} kommuns bibliotek"):
            add("sv phrase", text, {code})
        word = base.replace(" ", "")
        if len(word) >= 4 and "-" not in word:  # one letter doubled, swapped, dropped, wrong
            i = rng.randrange(1, len(word))
            add("typo: doubled", word[:i] + word[i] + word[i:], {code})
            i = rng.randrange(1, len(word) - 1)
            if word[i] != word[i + 1]:
                add("typo: swapped", word[:i] + word[i + 1] + word[i] + word[i + 2:], {code})
            if len(word) >= 6:
                i = rng.randrange(1, len(word))
                add("typo: dropped", word[:i] + word[i + 1:], {code})
            if len(word) >= 8:
                i = rng.randrange(1, len(word))
                wrong = rng.choice([c for c in "aeiklmnorstuv" if c != word[i].lower()])
                add("typo: wrong letter", word[:i] + wrong + word[i + 1:], {code})
    for _ in range(150):
        a, b, c = rng.sample(REGISTER, 3)
        add("list", f"{a.name_fi}, {b.name_fi} ja {c.name_fi}", {a.code, b.code, c.code})
        add("list", f"{genitive[a.code]} ja {genitive[b.code]} kunnat", {a.code, b.code})
        add("list", f"{a.name_sv} och {b.name_sv}", {a.code, b.code})
    in_force = {m.code for m in REGISTER}
    for merger in MERGERS:
        if merger.successor_code in in_force:
            for name in {merger.old_name_fi, merger.old_name_sv} - {""}:
                add("former", name, {merger.successor_code})
    with bundled_path("recipients/regions.csv").open(encoding="utf-8") as handle:
        regions = list(csv.DictReader(handle))
    negatives = [*NEGATIVES, *(r["region_fi"] for r in regions),
                 *(r["region_sv"] for r in regions),
                 *(f"{r['region_fi']}n maakunta" for r in regions)]
    cases.extend(("names nothing", text, frozenset()) for text in negatives)
    return cases


@pytest.fixture(scope="module")
def outcomes() -> dict[str, Counter[str]]:
    resolver = Resolver.from_rows(*register_rows())
    found: dict[str, Counter[str]] = {}
    wrong = []
    for family, text, expected in generated_cases():
        result = resolver.resolve(text)
        got = frozenset(result.codes) if result.status != "unresolved" else frozenset()
        if result.status == "ambiguous" and got <= expected and expected:
            outcome = "ambiguous"
        elif got == expected and result.status != "ambiguous":
            outcome = "right"
        elif not got and expected:
            outcome = "unresolved"
        else:
            outcome = "wrong"
            wrong.append((text, sorted(expected), result.status, result.codes))
        found.setdefault(family, Counter())[outcome] += 1
    found["_wrong"] = Counter(repr(w) for w in wrong)
    return found


def test_no_generated_text_is_matched_wrongly(outcomes):
    assert not outcomes["_wrong"], sorted(outcomes["_wrong"])


def test_almost_every_generated_text_is_resolved_right(outcomes):
    total = Counter()
    for family, counts in outcomes.items():
        if family != "_wrong":
            total.update(counts)
    assert sum(total.values()) > 11_500
    assert total["right"] / sum(total.values()) >= 0.995, total
    # Every correctly typed form, list and text around a name is right, none only flagged.
    for family in ("name", "swedish", "upper", "lower", "genitive", "words around", "list",
                   "fi case", "sv phrase", "names nothing"):
        assert set(outcomes[family]) == {"right"}, (family, outcomes[family])
