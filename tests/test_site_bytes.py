"""What a card page and a list page carry, and no more: the names in the other language once a
card (for the search), the list's filter values where something reads them, each card's page id
once in cards.json, and the municipality codes in the JSON-LD in their short standard form."""

from __future__ import annotations

import gzip
import json
import re

from factories import make_practice
from publish_support import card_list

from yhteistuumin_survey.config import load_settings
from yhteistuumin_survey.publish import publish_site


def publish(workspace, session):
    return publish_site(workspace, session=session, settings=load_settings(workspace.root, env={}))


def fragments_text(site) -> str:
    texts = []
    for fragment in (site / "pagefind" / "fragment").glob("*.pf_fragment"):
        data = gzip.decompress(fragment.read_bytes()).removeprefix(b"pagefind_dcd")
        texts.append(json.loads(data)["content"])
    return "\n".join(texts)


def test_a_card_indexes_its_places_and_keywords_in_the_other_language_once(workspace, session):
    # Espoo and Helsinki (Uusimaa), tagged "kirjasto": a Swedish speaker searches "Esbo",
    # "Helsingfors", "Nyland" or "bibliotek". One attribute on the facts, each name once.
    pid = make_practice(session, title="Kirjasto kaikille", status="approved",
                        municipalities=["049", "091"], keywords=["kirjasto", "musiikki"]).id

    site = publish(workspace, session).out

    html = next(site.glob(f"{pid}-*/index.html")).read_text(encoding="utf-8")
    assert html.count("data-pagefind-index-attrs") == 1
    alt = re.search(r'<dl class="facts" data-alt="([^"]*)" data-pagefind-index-attrs="data-alt">', html)
    assert alt is not None
    names = alt.group(1).split(" ")
    assert {"Esbo", "Helsingfors", "Nyland", "bibliotek"} <= set(names)
    assert len(names) == len(set(names))  # Uusimaa's Nyland once, for two places in it
    assert "Espoo" not in names and "kirjasto" not in names  # shown on the card already
    words = fragments_text(site).split()
    assert {"Esbo", "Helsingfors", "Nyland", "bibliotek"} <= {w.strip(".,") for w in words}


def test_a_card_whose_names_are_the_same_in_both_languages_has_no_attribute(workspace, session):
    # Eura, Satakunta: the same names in Swedish; "sirkus" is in no concept of the vocabulary.
    same = make_practice(session, title="Kylätapahtuma", status="approved", municipalities=["050"],
                         keywords=["sirkus"]).id
    # Askola is Askola in Swedish too, Uusimaa is Nyland: the region's name alone.
    region = make_practice(session, title="Kotiseutupäivä", status="approved",
                           municipalities=["018"], keywords=["sirkus"]).id

    site = publish(workspace, session).out

    html = next(site.glob(f"{same}-*/index.html")).read_text(encoding="utf-8")
    assert "data-alt" not in html and "data-pagefind-index-attrs" not in html
    html = next(site.glob(f"{region}-*/index.html")).read_text(encoding="utf-8")
    assert '<dl class="facts" data-alt="Nyland" data-pagefind-index-attrs="data-alt">' in html


def test_only_the_first_list_page_carries_the_cards_filter_values(workspace, session, monkeypatch):
    # From disk the filters work over the first page's cards (data-f); a later page shows no
    # filters from disk, and served it filters with cards.json.
    from yhteistuumin_survey import publish as publish_module

    monkeypatch.setattr(publish_module, "PAGE_SIZE", 2)
    for n in range(5):
        make_practice(session, title=f"Käytäntö {n}", status="approved", keywords=["sirkus"])

    site = publish(workspace, session).out

    for first in ("index.html", "sv/index.html"):
        assert (site / first).read_text(encoding="utf-8").count(" data-f=") == 2
        # and the most common keywords, which a later page's script takes from filters.json
        assert '<a href="?keyword=' in (site / first).read_text(encoding="utf-8")
    later = [*site.glob("sivu/*/index.html"), *site.glob("sv/sida/*/index.html")]
    assert len(later) == 4
    for page in later:
        text = page.read_text(encoding="utf-8")
        assert re.search(r'<li( lang="(fi|sv)")?>\n<h2><a ', text) and " data-f=" not in text, page
        assert "?keyword=" not in text and "<p data-common hidden>" in text, page
    entries = card_list(site)["cards"]
    assert all(entry["f"].startswith(" r:01 m:049 k:") for entry in entries)


def test_the_json_ld_names_each_place_by_its_municipality_number(workspace, session):
    pid = make_practice(session, title="Yhteinen käytäntö", status="approved",
                        municipalities=["049", "478"]).id

    site = publish(workspace, session).out

    html = next(site.glob(f"{pid}-*/index.html")).read_text(encoding="utf-8")
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert block is not None
    places = json.loads(block.group(1))["spatialCoverage"]
    # schema.org's identifier as Text: the number itself (a PropertyValue naming the scheme
    # was 65 bytes more a place, 0.5 MB at 5,000 cards), each place whole and nothing else.
    assert places == [
        {"@type": "AdministrativeArea", "name": "Espoo", "identifier": "049"},
        {"@type": "AdministrativeArea", "name": "Maarianhamina", "identifier": "478"}]


def test_the_card_list_is_kept_gzipped_beside_the_pages(workspace, session):
    # cards.json was a fifth of what the site adds to Hugo's (2.3 MB at 5,000 cards); gzipped
    # it is a fifth of that, as Pagefind keeps its own files, and site.js unpacks it.
    for n in range(30):
        make_practice(session, title=f"Käytäntö {n}", status="approved", keywords=["sirkus"],
                      summary="Kirjasto ja musiikki kylissä, joka viikko. " * 6)

    site = publish(workspace, session).out

    assert not (site / "cards.json").exists()
    packed = (site / "cards.json.gz").read_bytes()
    text = gzip.decompress(packed).decode("utf-8")
    assert len(card_list(site)["cards"]) == 30
    assert len(packed) * 4 < len(text.encode())


def test_the_plain_card_list_an_earlier_version_left_goes_at_the_next_publish(workspace, session):
    # A site published before the list was kept gzipped has cards.json: it goes, as any file
    # the site no longer has (it holds the cards' titles and summaries of that publish).
    make_practice(session, title="Käytäntö", status="approved")
    site = publish(workspace, session).out
    (site / "cards.json").write_text(gzip.decompress((site / "cards.json.gz").read_bytes()).decode(),
                                     encoding="utf-8")

    result = publish(workspace, session)

    assert "cards.json" in result.removed and not (site / "cards.json").exists()
    assert (site / "cards.json.gz").is_file()


def test_the_search_index_leaves_out_the_section_headings_and_the_contact(workspace, session):
    # The sections' headings are the same words on every card ("toteuttaminen" found all
    # 5,000), and the contact is a person's data nobody searches a practice by: neither is in
    # the index's text (nor, so, its words), the sections' own text is.
    make_practice(session, title="Kirjasto kaikille", status="approved",
                  goal="Lainaamme soittimia kirjastossa.", implementation="Kerran viikossa.",
                  contact_name="Eija Koski", contact_email="eija.koski@example.fi",
                  contact_phone="040 123 4567", publish_consent=True)

    site = publish(workspace, session).out

    page = next(site.glob("[0-9]*/index.html")).read_text(encoding="utf-8")
    assert "Eija Koski" in page and "<h2>Toteuttaminen</h2>" in page  # shown on the card
    text = fragments_text(site)
    assert "soittimia" in text and "viikossa" in text
    for left_out in ("Tavoite", "Toteuttaminen", "Yhteystiedot", "Eija", "Koski", "eija.koski",
                     "example.fi", "4567"):
        assert left_out not in text, left_out


def test_a_search_index_built_with_the_contacts_in_it_is_built_again(workspace, session):
    # A bundle an earlier version built (the contacts indexed) is not kept because its pages
    # did not change: it is built again, leaving them out.
    import gzip

    from yhteistuumin_survey.publish import _state_path

    make_practice(session, title="Kirjasto kaikille", status="approved",
                  contact_name="Eija Koski", publish_consent=True)
    site = publish(workspace, session).out
    state_path = _state_path(site / "pagefind")
    state = json.loads(gzip.decompress(state_path.read_bytes()))
    assert state["exclude"] == ["dt", ".practice > p:first-child", "h2", "address"]
    del state["exclude"]  # as the earlier version wrote it
    state_path.write_bytes(gzip.compress(json.dumps(state).encode()))

    assert publish(workspace, session).indexed == "all"
    assert publish(workspace, session).indexed == ""


def test_a_card_page_has_no_wrapper_or_class_its_style_does_not_need(workspace, session):
    # 5,000 card pages: a <section> around each heading and its text, a class on the page's
    # one header and footer and on their parts, a line for each, were 1.35 MB of 38 that no
    # reader or style needed.
    make_practice(session, title="Kirjasto kaikille", status="approved", goal="Soittimia.",
                  contact_name="Eija Koski", publish_consent=True)

    site = publish(workspace, session).out

    html = next(site.glob("[0-9]*/index.html")).read_text(encoding="utf-8")
    assert "<section" not in html
    assert "\n<header><p><a " in html and "\n<footer><p><a " in html and "</a></li><li><a " in html
    assert 'hreflang="sv">På svenska</a></p></header>' in html  # the language switch
    assert "<h2>Tavoite</h2>\n<p>Soittimia.</p>" in html
    assert '<article class="practice">\n<p>Hyvä käytäntö</p>\n<h1>' in html  # the eyebrow
    assert html[:html.index("</head>")].count("\n") <= 7  # the head's tags on a few lines
    assert "<h2>Yhteystiedot</h2>\n<address>" in html
    # The print button outside any form: no type to say, the footer's button in the style.
    assert '<button onclick="window.print()">Tulosta</button>' in html
    # A list entry's facts (10,000 of them in the two lists) styled as the card's: no class.
    assert "<dl>\n<dt>Kunnat</dt><dd>Espoo</dd>" in (site / "index.html").read_text(encoding="utf-8")
    css = (site / "static" / "site.css").read_text(encoding="utf-8")
    for gone in (".site-header", ".site-footer", ".footer-links", ".page-actions", "section h2",
                 ".site-title", ".language-switch", ".print"):
        assert gone not in css, gone  # the style follows the markup


def test_the_teaser_is_cut_at_a_word_to_120_characters_everywhere_it_is_said(workspace, session):
    # The card's meta description, its JSON-LD description and its entry in both lists and
    # in cards.json say the same teaser: 160 characters said four times a practice were
    # 0.8 MB more of the site at 5,000 practices than 120.
    summary = ("Kirjasto lainaa soittimia kaikille kuntalaisille, ja musiikkiopiston opettajat "
               "neuvovat lainaajia kerran viikossa pääkirjaston musiikkiosastolla. "
               "Lainaaminen on maksutonta.")
    pid = make_practice(session, title="Soitinlainaamo", status="approved", summary=summary).id

    site = publish(workspace, session).out

    teaser = ("Kirjasto lainaa soittimia kaikille kuntalaisille, ja musiikkiopiston opettajat "
              "neuvovat lainaajia kerran viikossa…")
    assert len(teaser) <= 121 and summary.startswith(teaser[:-1])
    html = next(site.glob(f"{pid}-*/index.html")).read_text(encoding="utf-8")
    assert f'<meta name="description" content="{teaser}">' in html
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert block is not None and json.loads(block.group(1))["description"] == teaser
    for index in ("index.html", "sv/index.html"):
        assert f"<p>{teaser}</p>" in (site / index).read_text(encoding="utf-8")
    assert [entry["s"] for entry in card_list(site)["cards"]] == [teaser]


def test_a_cards_facts_carry_their_filter_values_once_for_the_links(workspace, session):
    # Ten links a card ("../index.html?keyword=music" around each name) were 1.3 MB of the
    # site at 5,000 cards: the values are written once on each fact, and card.js links them
    # (tests/test_site_browser.py clicks them).
    pid = make_practice(session, title="Kirjasto kaikille", status="approved",
                        municipalities=["049", "091"], keywords=["kirjasto", "musiikki"],
                        target_group=["older_people", "children"]).id
    # A name with a comma in it cannot be told apart from the next by card.js: links here.
    comma = make_practice(session, title="Laulupiiri", status="approved",
                          keywords=["laulu, soitto", "musiikki"]).id

    site = publish(workspace, session).out

    html = next(site.glob(f"{pid}-*/index.html")).read_text(encoding="utf-8")
    facts = html[html.index("<dl class="):html.index("</dl>")]
    assert '<dt>Kunnat</dt><dd data-m="049 091">Espoo, Helsinki</dd>' in facts
    assert '<dt>Maakunta</dt><dd data-r="01">Uusimaa</dd>' in facts
    assert '<dt>Avainsanat</dt><dd data-k="library music">kirjasto, musiikki</dd>' in facts
    assert '<dt>Kenelle</dt><dd data-t="older-people children">Ikääntyneet, Lapset</dd>' in facts
    assert "<a " not in facts
    assert '<script defer src="../static/card.js"></script>' in html
    assert (site / "static" / "card.js").is_file()
    html = next(site.glob(f"{comma}-*/index.html")).read_text(encoding="utf-8")
    assert ('<dt>Avainsanat</dt><dd><a href="../index.html?keyword=laulu-soitto">laulu, soitto</a>, '
            '<a href="../index.html?keyword=music">musiikki</a></dd>') in html
