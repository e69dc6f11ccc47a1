"""The municipality name resolver: every form of all 308, messy real-world text, and refusals."""

from __future__ import annotations

import csv
import json
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from yhteistuumin_survey.register import load_mergers_csv, load_register_csv
from yhteistuumin_survey.resolve import (
    Resolution,
    Resolver,
    finnish_genitive,
    finnish_local_cases,
    fold,
)
from yhteistuumin_survey.resources import bundled_path

GENITIVES = Path(__file__).parent / "data" / "genitives.csv"
REGISTER = load_register_csv(bundled_path("recipients/municipalities.csv"))
MERGERS = load_mergers_csv(bundled_path("recipients/mergers.csv"))


def register_rows() -> tuple[list[tuple[str, str, str]], list[tuple[str, str, str]]]:
    municipalities = [(r.code, r.name_fi, r.name_sv) for r in REGISTER]
    aliases: list[tuple[str, str, str]] = []
    for merger in MERGERS:
        for name in sorted({merger.old_name_fi, merger.old_name_sv} - {""}):
            aliases.append((name, merger.successor_code, "former"))
        aliases.append((merger.old_code, merger.successor_code, "former_code"))
    return municipalities, aliases


@pytest.fixture(scope="module")
def resolver() -> Resolver:
    return Resolver.from_rows(*register_rows())


def no_diacritics(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def assert_names(result: Resolution, code: str) -> None:
    assert (result.status, result.codes) == ("resolved", [code]), result


# --- genitives ----------------------------------------------------------------------------


def test_generated_genitives_reproduce_the_checked_list_for_all_308() -> None:
    with GENITIVES.open(encoding="utf-8") as handle:
        checked = list(csv.DictReader(handle))
    assert [(r["code"], r["name_fi"]) for r in checked] == [(r.code, r.name_fi) for r in REGISTER]
    wrong = [(r["name_fi"], r["genitive"], finnish_genitive(r["name_fi"])) for r in checked
             if finnish_genitive(r["name_fi"]) != r["genitive"]]
    assert wrong == []


@pytest.mark.parametrize(("name", "genitive"), [
    ("Lahti", "Lahden"), ("Turku", "Turun"), ("Helsinki", "Helsingin"),
    ("Uusikaupunki", "Uudenkaupungin"), ("Hämeenlinna", "Hämeenlinnan"),
    ("Kaskinen", "Kaskisten"), ("Pieksämäki", "Pieksämäen"), ("Isokyrö", "Isonkyrön"),
    ("Mänttä-Vilppula", "Mänttä-Vilppulan"), ("Koski Tl", "Kosken"),
    ("Pedersören kunta", "Pedersören"), ("Juuka", "Juuan"), ("Pihtipudas", "Pihtiputaan"),
    ("Punkalaidun", "Punkalaitumen"), ("Virrat", "Virtain"), ("Outokumpu", "Outokummun"),
    ("Yli-Ii", "Yli-Iin"), ("Vähäkyrö", "Vähänkyrön"), ("Pyhäselkä", "Pyhäselän"),
    ("Loppi", "Lopen"), ("Toholampi", "Toholammin"), ("Rautalampi", "Rautalammin"),
    ("Kangaslampi", "Kangaslammin"),
])
def test_genitive_rules_with_consonant_gradation(name: str, genitive: str) -> None:
    assert finnish_genitive(name) == genitive


def test_local_cases_follow_the_genitive_stem_and_vowel_harmony() -> None:
    assert finnish_local_cases("Espoo", "Espoon")[:3] == ["Espoossa", "Espoosta", "Espoolla"]
    assert finnish_local_cases("Helsinki", "Helsingin")[:2] == ["Helsingissä", "Helsingistä"]
    assert "Rovaniemellä" in finnish_local_cases("Rovaniemi", "Rovaniemen")
    assert "Kauniaisissa" in finnish_local_cases("Kauniainen", "Kauniaisten")
    assert "Uudessakaupungissa" in finnish_local_cases("Uusikaupunki", "Uudenkaupungin")
    assert "Isossakyrössä" in finnish_local_cases("Isokyrö", "Isonkyrön")


# --- every municipality in every form -------------------------------------------------------


def forms(name_fi: str, name_sv: str) -> list[str]:
    genitive = finnish_genitive(name_fi)
    sv_genitive = name_sv if name_sv[-1] in "sxz" else name_sv + "s"
    return [name_fi, name_sv, name_fi.upper(), no_diacritics(name_fi), name_fi.lower(),
            f"{genitive} kaupunki", f"{genitive} kunta", f"{no_diacritics(genitive)} KUNTA",
            f"{name_sv} stad", f"{name_sv} kommun", f"{sv_genitive} kommun",
            f"Kulttuuripalvelut, {genitive} kaupunki", f"{name_fi} / {name_sv}"]


@pytest.mark.parametrize("row", REGISTER, ids=lambda r: r.code)
def test_every_form_of_every_municipality_resolves_to_exactly_its_code(
        resolver: Resolver, row) -> None:
    failures = []
    for text in forms(row.name_fi, row.name_sv):
        result = resolver.resolve(text)
        if (result.status, result.codes) != ("resolved", [row.code]):
            failures.append((text, result.status, result.codes, result.candidates))
    assert failures == []


def test_register_has_no_folding_collisions_among_308_and_former_names(resolver: Resolver) -> None:
    # checked: with a/o folded, no two municipalities (or former names) share a form
    assert resolver.collisions() == {}


def test_a_folding_collision_is_ambiguous_unless_typed_with_its_diacritics() -> None:
    resolver = Resolver.from_rows([("001", "Pärnu", "Pärnu"), ("002", "Parnu", "Parnu")])
    typed_plain = resolver.resolve("Parnun kunta")
    assert (typed_plain.status, typed_plain.codes, typed_plain.candidates) == (
        "ambiguous", [], ["001", "002"])
    assert_names(resolver.resolve("PÄRNU"), "001")
    assert_names(resolver.resolve("Pärnun kaupunki"), "001")
    assert "parnu" in resolver.collisions()


# --- messy real-world text -------------------------------------------------------------------

MESSY: list[tuple[str, list[str], str]] = [
    ("Kulttuuripalvelut, Espoon kaupunki", ["049"], "genitive"),
    ("Vapaa-aikatoimi / Kirkkonummen kunta", ["257"], "genitive"),
    ("Espoo, Helsinki ja Vantaa", ["049", "091", "092"], "exact"),
    ("Närpes och Kristinestad", ["545", "287"], "swedish"),
    ("Espoo & Vantaa", ["049", "092"], "exact"),
    ("Espoo\nHelsinki\nVantaa", ["049", "091", "092"], "exact"),
    ("091", ["091"], "code"),
    ("KU091", ["091"], "code"),
    ("Pertunmaa", ["507"], "former"),
    ("Honkajoki", ["214"], "former"),
    ("Valtimo", ["541"], "former"),
    ("Jyväskylän mlk", ["179"], "former"),
    ("Jyväskylän maalaiskunta", ["179"], "former"),
    ("Rovaniemen mlk.", ["698"], "former"),
    ("588", ["507"], "former"),
    ("Helsinkki", ["091"], "fuzzy"),
    ("Jyvaskyla", ["179"], "exact"),
    ("Rovanimi", ["698"], "fuzzy"),
    ("Hämeenlina", ["109"], "fuzzy"),
    ("Kirkonummi", ["257"], "fuzzy"),
    ("Rovanimei", ["698"], "fuzzy"),
    ("Jyväskyäl", ["179"], "fuzzy"),
    ("Lappeenrsnta", ["405"], "fuzzy"),
    ("Kulttuuripalvelut Espoossa", ["049"], "locative"),
    ("Helsingistä", ["091"], "locative"),
    ("Rovaniemellä", ["698"], "locative"),
    ("Kulttuuritoimi Uudessakaupungissa", ["895"], "locative"),
    ("Esbo stad", ["049"], "swedish"),
    ("Korsholms kommun", ["499"], "swedish"),
    ("Närpes stad", ["545"], "swedish"),
    ("Pedersören kunta", ["599"], "exact"),
    ("Pedersöre kommun", ["599"], "swedish"),
    ("Uudenkaupungin kaupunki", ["895"], "genitive"),
    ("Kaskisten kaupunki", ["231"], "genitive"),
    ("Mänttä-Vilppulan kaupunki", ["508"], "genitive"),
    ("Mantta Vilppula", ["508"], "exact"),
    ("Kosken kunta", ["284"], "genitive"),
    ("Koski Tl.", ["284"], "exact"),
    ("Koski Tl:n kunta", ["284"], "exact"),
    ("Espoon kaupunkki", ["049"], "genitive"),
    ("Savonlinan kaupunki", ["740"], "fuzzy"),
    ("Gustav Adolf", ["081"], "fuzzy"),
    ("Kökars kommun", ["318"], "swedish"),
    ("Kuopion Musiikkikeskus", ["297"], "genitive"),
    ("Ingå", ["149"], "swedish"),
    ("Anár", ["148"], "sami"),
    ("Ohcejohka", ["890"], "sami"),
    ("Storå kommun", ["151"], "swedish"),
    ("Inga kommun", ["149"], "swedish"),
    ("Porin ja Rauman kaupungit", ["609", "684"], "genitive"),
    ("Ii:n kunta", ["139"], "genitive"),
    ("049 091", ["049", "091"], "code"),
    ("Vasa stadsbibliotek", ["905"], "swedish"),
    ("  TURKU  ", ["853"], "exact"),
    ("Åbo stad", ["853"], "swedish"),
    ("abo", ["853"], "swedish"),
    ("Helsinki/Helsingfors", ["091"], "exact+swedish"),
    ("Maarianhamina - Mariehamn", ["478"], "exact+swedish"),
    ("S:t Karins", ["202"], "swedish"),
    ("St. Michel", ["491"], "swedish"),
    ("Helsingin kaupungin kulttuuripalvelut", ["091"], "genitive"),
    ("Espoon, Helsingin ja Vantaan kaupungit", ["049", "091", "092"], "genitive"),
    ("Tampereen kaupunki, Kulttuuri- ja vapaa-aikapalvelut", ["837"], "genitive"),
    ("Oulun kaupunginkirjasto", ["564"], "genitive"),
    ("Lahden kaupunki; kulttuuritoimi", ["398"], "genitive"),
    ("Kunta: Ii", ["139"], "exact"),
    ("Espoo (Tapiola)", ["049"], "exact"),
    ("espoo", ["049"], "exact"),
    ("kulttuuripalvelut espoo", ["049"], "exact"),
    ("Kesäteatteri Lahdessa", ["398"], "locative"),
    ("Kemiön kunta", ["322"], "former"),
    ("Kimitoön", ["322"], "swedish"),
    ("Raseborgs stad", ["710"], "swedish"),
    ("Vaasa, Vasa", ["905"], "exact+swedish"),
    ("Sipoo + Kerava", ["753", "245"], "exact"),
    ("Turku och Åbo", ["853"], "exact+swedish"),
    ("Kaupunki: Kauniainen", ["235"], "exact"),
    ("Pieksämäen kaupunki", ["593"], "genitive"),
    ("Isonkyrön kunta", ["152"], "genitive"),
    ("Kirkko nummi", ["257"], "exact"),
    ("Espoonkaupunki", ["049"], "genitive"),
    ("Länsi-Turunmaa", ["445"], "former"),
    ("Koski Hl", ["098"], "former"),
    ("Hki", ["091"], "abbreviation"),
    ("City of Espoo", ["049"], "exact"),
    ("Korsholms kulturbyrå", ["499"], "swedish"),
    ("02070 ESPOON KAUPUNKI", ["049"], "genitive"),
    ("Manttavilppula", ["508"], "fuzzy"),
    ("Jyväskyän kaupunki", ["179"], "fuzzy"),
    ("Espoo\u00a0–\u00a0Vantaa", ["049", "092"], "exact"),
    ("Es\u00adpoo", ["049"], "exact"),
    ("Kristiinan kaupunki", ["287"], "exact"),
]


@pytest.mark.parametrize(("text", "codes", "method"), MESSY, ids=[m[0] for m in MESSY])
def test_messy_texts_resolve_to_what_they_name(resolver: Resolver, text: str, codes: list[str],
                                               method: str) -> None:
    result = resolver.resolve(text)
    assert (result.status, result.codes, result.method) == ("resolved", codes, method), result
    assert result.names == [resolver.names[c] for c in codes]
    assert result.score == (1.0 if "fuzzy" not in method else pytest.approx(result.score))
    assert 0.88 <= result.score <= 1.0


def test_words_around_a_strong_name_are_reported_as_unmatched(resolver: Resolver) -> None:
    result = resolver.resolve("Kulttuuripalvelut, Espoo, Tapiola, Uusimaa")
    assert (result.status, result.codes, result.unmatched) == (
        "resolved", ["049"], ["Tapiola", "Uusimaa"])
    assert resolver.resolve("Helsingin kaupunki, Helsingin yliopisto").unmatched == [
        "Helsingin yliopisto"]


NOT_MUNICIPALITIES = [
    "Tapiola", "Otaniemi", "Kulttuuripalvelut", "", "   ", "Suomi", "Finland", "Uusimaa",
    "Nyland", "Pohjois-Karjala", "Lappi", "Ahvenanmaa", "Åland", "Keski-Pohjanmaa",
    "Helsingin yliopisto", "Turun yliopisto", "Lapin yliopisto", "Turun Sanomat",
    "Helsingin Sanomat", "Porin Ässät", "Espoon seurakunnat", "Turun seutu",
    "Länsi-Uudenmaan hyvinvointialue", "Uudenmaan liitto", "Nokia Oyj",
    "Espoon Kulttuuriyhdistys ry", "Helsingin maalaiskunta", "Porin mlk", "Kaupunki",
    "Sörnäinen", "Hirvensalo", "Leppävaara", "Matinkylä", "Vaihe II", "123", "00100",
    "Kuntaliitto", "Opetus- ja kulttuuriministeriö", "Saaren kartano", "Kallion kirjasto",
    "N/A", "-", "?", "ei tiedossa", "10", "91", "150 osallistujaa", "Budjetti 500 euroa",
    "Espoon Sello", "Tre kommuner", "Ålands landskapsregering", "Simon", "Porin", "sällan",
    "vändas", "inga", "stora", "Varaus", "tuloksen", "Asiakkaan", "pohjalla", "hälsa", "luvan",
    "kustakin", "aikainen", "valtio", "Kesäteatteri lahdessa", "asun salossa",
    "Nylands förbund", "Pohjois-Karjalan maakuntaliitto", "Jyväskylän seutu",
]


@pytest.mark.parametrize(("value", "text", "codes"), [
    (None, "", []), (float("nan"), "", []), (91.0, "91", ["091"]), (5, "5", ["005"]),
])
def test_cells_that_are_not_text_are_read_as_a_spreadsheet_means_them(
        resolver: Resolver, value: object, text: str, codes: list[str]) -> None:
    result = resolver.resolve(value)
    assert (result.text, result.codes) == (text, codes)


@pytest.mark.parametrize("text", NOT_MUNICIPALITIES)
def test_text_naming_no_municipality_stays_unresolved(resolver: Resolver, text: str) -> None:
    result = resolver.resolve(text)
    assert (result.status, result.codes, result.method, result.score) == (
        "unresolved", [], "none", 0.0), result


# --- a person's name is not a municipality ---------------------------------------------------

PERSONS = ["Matti Salo", "Anna Lahti", "Salo Matti", "Heinola Liisa", "MATTI SALO",
           "Anna-Liisa Lahti", "Timo Soini", "Laura Salla", "Kaarina Virtanen",
           "Virtanen Kaarina", "Simo Korhonen", "Inari Heikkinen", "Juha Marttila",
           "Mika Rautavaara", "Kulttuurisihteeri Liisa Tammela", "Pekka Rautavara",
           "Kaarina Salo", "Salo Kaarina", "Salla Lahti", "Simo Kemi"]


@pytest.mark.parametrize("text", PERSONS)
def test_a_persons_name_names_no_municipality(resolver: Resolver, text: str) -> None:
    result = resolver.resolve(text)
    assert (result.status, result.codes) == ("unresolved", []), result


def test_every_one_word_name_beside_a_first_name_is_a_person(resolver: Resolver) -> None:
    wrong = []
    for row in REGISTER:
        for name in {row.name_fi, row.name_sv}:
            if " " in name or "-" in name:  # Mänttä-Vilppula, Koski Tl: no one's surname
                continue
            for text in (f"Matti {name}", f"{name} Anna", f"Ulla {name}"):
                if resolver.resolve(text).codes:
                    wrong.append(text)
    assert wrong == []


def test_a_separator_or_a_municipal_word_keeps_the_municipality_beside_a_person(
        resolver: Resolver) -> None:
    assert_names(resolver.resolve("Salo, Matti"), "734")
    assert_names(resolver.resolve("Matti Salo (Salon kaupunki)"), "734")
    assert_names(resolver.resolve("Yhteyshenkilö Matti Salo Espoon kaupunki"), "049")
    assert_names(resolver.resolve("Kaarina"), "202")
    assert_names(resolver.resolve("Kaarina Piikkiö"), "202")  # Piikkiö merged into Kaarina
    assert_names(resolver.resolve("Kulttuuripalvelut Kaarina"), "202")
    assert_names(resolver.resolve("Sello Espoo"), "049")


# --- fuzzy: a fallback, never a guess ---------------------------------------------------------


@pytest.mark.parametrize(("text", "code"), [
    ("Porri", "609"), ("Hankko", "078"), ("Eurra", "050"), ("Vaaala", "785"), ("Oluu", "564"),
    ("Turuk", "853"), ("Kuopo", "297"), ("Joensu", "167"), ("Helsingisä", "091"),
    ("Tampereela", "837"), ("Jyväskkylä", "179"), ("Epsoo", "049")])
def test_a_letter_doubled_swapped_or_dropped_resolves_when_one_municipality_is_that_close(
        resolver: Resolver, text: str, code: str) -> None:
    result = resolver.resolve(text)
    assert (result.status, result.codes, result.method) == ("resolved", [code], "fuzzy"), result


@pytest.mark.parametrize("text", ["Salp", "Oulo", "Iii", "Vaihe III", "Varaus", "varaus tehty",
                                  "Tuloksen", "stora"])
def test_a_wrong_letter_in_a_short_name_or_a_misspelling_that_is_a_word_names_nothing(
        resolver: Resolver, text: str) -> None:
    assert resolver.resolve(text).status == "unresolved"


def test_a_misspelling_one_edit_from_two_municipalities_is_ambiguous(resolver: Resolver) -> None:
    result = resolver.resolve("Kemii")  # Kemi with an i doubled, or Kemiö (now Kemiönsaari)?
    assert (result.status, result.codes, result.candidates) == ("ambiguous", [], ["240", "322"])


def test_two_close_fuzzy_candidates_are_ambiguous_never_a_guess(resolver: Resolver) -> None:
    result = resolver.resolve("Suoenniemi")  # Suomenniemi (now 491) or Suodenniemi (790)?
    assert (result.status, result.codes, result.candidates, result.method) == (
        "ambiguous", [], ["491", "790"], "fuzzy")
    assert 0.9 <= result.score < 1.0
    assert resolver.resolve("Karsttula").candidates == ["226", "297"]  # Karstula, Karttula
    assert resolver.resolve("Pyhäanta").candidates == ["631", "630"]  # best first: Pyhäranta


def test_an_ambiguous_part_keeps_the_certain_parts(resolver: Resolver) -> None:
    result = resolver.resolve("Espoo ja Suoenniemi")
    assert (result.status, result.codes, result.candidates) == ("ambiguous", ["049"],
                                                                ["491", "790"])


def test_fuzzy_needs_the_first_letter_right(resolver: Resolver) -> None:
    # Sörnäinen (a district of Helsinki) is one letter from Pornainen
    assert resolver.resolve("Sörnäinen").status == "unresolved"
    assert_names(resolver.resolve("Pornainenn"), "611")


# --- shape, building from the database, speed -----------------------------------------------


def test_to_dict_has_the_json_shape() -> None:
    result = Resolution(text="x", status="unresolved", codes=[], names=[], method="none",
                        score=0.0)
    assert result.to_dict() == {"text": "x", "status": "unresolved", "codes": [], "names": [],
                                "method": "none", "score": 0.0}


def test_to_dict_adds_candidates_and_unmatched_when_there_are_some(resolver: Resolver) -> None:
    assert resolver.resolve("Espoo, Tapiola ja Suoenniemi").to_dict() == {
        "text": "Espoo, Tapiola ja Suoenniemi", "status": "ambiguous", "codes": ["049"],
        "names": ["Espoo"], "method": "exact+fuzzy", "score": 0.952,
        "candidates": ["491", "790"], "unmatched": ["Tapiola"]}


def test_fold_matches_survey_fold() -> None:
    from yhteistuumin_survey.survey import fold as survey_fold

    for text in ("Mänttä-Vilppula", "S:t Karins", "ÅBO  stad", "Koski Tl."):
        assert fold(text) == survey_fold(text)


def test_resolver_from_the_database_knows_municipalities_and_former_ones(session) -> None:
    resolver = Resolver.from_session(session)
    assert len(resolver.names) == 308
    results = resolver.resolve_many(["Espoon kaupunki", "Pertunmaa", "588", "Uusimaa",
                                     "Närpes och Kristinestad"])
    assert [(r.status, r.codes, r.method) for r in results] == [
        ("resolved", ["049"], "genitive"),
        ("resolved", ["507"], "former"),
        ("resolved", ["507"], "former"),
        ("unresolved", [], "none"),
        ("resolved", ["545", "287"], "swedish"),
    ]


def test_resolver_follows_a_register_update_merger_and_rename(session) -> None:
    from yhteistuumin_survey.register import update_register

    data = Path(__file__).parent / "data" / "register"
    update_register(data / "municipalities-2027.csv", session=session,
                    mergers=MERGERS + load_mergers_csv(data / "mergers-2027.csv"))
    session.commit()
    resolver = Resolver.from_session(session)
    texts = ["Kihniö", "Parkanon kaupunki", "581", "Ylä-Pirkanmaan kaupunki", "Koski Tl",
             "Koski", "Pirkanmaa"]
    assert [(r.status, r.codes, r.method) for r in resolver.resolve_many(texts)] == [
        ("resolved", ["991"], "former"),
        ("resolved", ["991"], "former"),
        ("resolved", ["991"], "former"),
        ("resolved", ["991"], "genitive"),
        ("resolved", ["284"], "former"),
        ("resolved", ["284"], "exact"),
        ("unresolved", [], "none"),  # the region, not Ylä-Pirkanmaa
    ]


# --- CLI ---------------------------------------------------------------------------------------


def test_cli_resolve_json_output_is_exact(cli) -> None:
    result = cli("register", "resolve", "Kulttuuripalvelut, Espoon kaupunki", "Tapiola",
                 "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == [
        {"text": "Kulttuuripalvelut, Espoon kaupunki", "status": "resolved", "codes": ["049"],
         "names": ["Espoo"], "method": "genitive", "score": 1.0},
        {"text": "Tapiola", "status": "unresolved", "codes": [], "names": [], "method": "none",
         "score": 0.0},
    ]


def test_cli_resolve_json_lists_the_candidates_of_an_ambiguous_text(cli) -> None:
    result = cli("register", "resolve", "--format", "json", "Suoenniemi")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == [
        {"text": "Suoenniemi", "status": "ambiguous", "codes": [], "names": [],
         "method": "fuzzy", "score": 0.952, "candidates": ["491", "790"]}]


def test_cli_resolve_table_output_is_exact(cli) -> None:
    result = cli("register", "resolve", "Närpes och Kristinestad", "Helsinkki",
                 "Espoo ja Suoenniemi")
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "text                     status     codes          names                        "
        "method       score\n"
        "-----------------------  ---------  -------------  ---------------------------  "
        "-----------  -----\n"
        "Närpes och Kristinestad  resolved   545 287        Närpiö, Kristiinankaupunki   "
        "swedish      1.00\n"
        "Helsinkki                resolved   091            Helsinki                     "
        "fuzzy        0.94\n"
        "Espoo ja Suoenniemi      ambiguous  049 491? 790?  Espoo, Mikkeli?, Sastamala?  "
        "exact+fuzzy  0.95\n")


def test_cli_resolve_shows_the_parts_that_named_no_municipality(cli) -> None:
    result = cli("register", "resolve", "--format", "json", "Kuopio ja lähikunnat", "Oulu")
    assert result.exit_code == 0, result.output
    first, second = json.loads(result.stdout)
    assert (first["codes"], first["unmatched"]) == (["297"], ["lähikunnat"])
    assert "unmatched" not in second
    table = cli("register", "resolve", "Kuopio ja lähikunnat")
    assert table.stdout.splitlines()[0].split()[-1] == "unmatched"
    assert table.stdout.splitlines()[2].rstrip().endswith("lähikunnat")


def test_cli_resolve_without_text_is_a_usage_error(cli) -> None:
    result = cli("register", "resolve")
    assert result.exit_code == 2
    assert "Missing argument" in result.output


# --- any text at all ---------------------------------------------------------------------------

_SOME_NAMES = [r.name_fi for r in REGISTER[::7]] + [r.name_sv for r in REGISTER[::11]]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.text(max_size=30), st.sampled_from(_SOME_NAMES),
                          st.sampled_from([", ", " ja ", " och ", "\n", " / ", " kaupunki",
                                           " kunta", "091", "yliopisto"])), max_size=6))
def test_any_text_gives_a_consistent_resolution(resolver: Resolver, pieces: list[str]) -> None:
    text = "".join(pieces)
    result = resolver.resolve(text)
    assert result.text == text
    assert result.names == [resolver.names[c] for c in result.codes]
    assert len(set(result.codes)) == len(result.codes)
    assert not set(result.candidates) & set(result.codes)
    assert result.status == ("ambiguous" if result.candidates else
                             "resolved" if result.codes else "unresolved")
    assert (result.method == "none") == (result.status == "unresolved")
    assert 0.0 <= result.score <= 1.0
    assert (result.score == 0.0) == (result.status == "unresolved")


def test_the_index_of_all_308_and_their_former_names_is_held_in_little_memory() -> None:
    """An ingest's main process keeps its resolver the whole run (its memory and the worker's
    are what bench/ingest.py holds to twice pandas'): the index of about 24,000 forms held
    two sets per form, 15 MB; with tuples it is about 6 MB."""
    import gc
    import tracemalloc

    rows = register_rows()
    Resolver.from_rows(*rows)  # the modules' own caches filled first
    gc.collect()
    tracemalloc.start()
    try:
        built = Resolver.from_rows(*rows)
        gc.collect()
        held = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert_names(built.resolve("Porvoossa"), "638")
    assert held < 9_000_000, f"{held / 1e6:.1f} MB"
