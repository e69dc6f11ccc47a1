"""The site's pages besides the cards: the Swedish index, the accessibility statement and the
privacy notice (both languages, linked from every page), sitemap.xml, JSON-LD on every card, the
JSON Schema of practices.json, language alternates, and options in Finnish alphabetical order."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

from factories import make_practice

from yhteistuumin_survey.config import load_settings
from yhteistuumin_survey.publish import collation_key, publish_site


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.alternates: dict[str, str] = {}
        self.footer: list[str] = []
        self.json_ld: list[str] = []
        self.canonical = ""
        self.lang = ""
        self._in_footer = False
        self._in_ld = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "html":
            self.lang = a.get("lang", "")
        if tag == "link" and a.get("rel") == "alternate":
            self.alternates[a["hreflang"]] = a["href"]
        if tag == "link" and a.get("rel") == "canonical":
            self.canonical = a["href"]
        if tag == "footer":
            self._in_footer = True
        if tag == "a" and self._in_footer:
            self.footer.append(a["href"])
        if tag == "script" and a.get("type") == "application/ld+json":
            self._in_ld = True

    def handle_endtag(self, tag):
        if tag == "footer":
            self._in_footer = False
        if tag == "script":
            self._in_ld = False

    def handle_data(self, data):
        if self._in_ld:
            self.json_ld.append(data)


def parse(path: Path) -> _Links:
    links = _Links()
    links.feed(path.read_text(encoding="utf-8"))
    return links


def publish(workspace, session, env=None):
    settings = load_settings(workspace.root, env=env or {})
    return publish_site(workspace, session=session, settings=settings)


def test_every_page_has_language_alternates_and_footer_links_that_exist(workspace, session):
    make_practice(session, title="Kulttuurikaveri", status="approved")
    make_practice(session, title="Kulturvän", status="approved", language="sv", municipalities=["478"])

    site = publish(workspace, session).out

    assert 'lang="sv"' in (site / "sv/index.html").read_text()[:60]
    pages = sorted(site.glob("**/index.html"))
    assert len(pages) == 8  # two indexes, two cards, two statements and two notices
    for page in pages:
        links = parse(page)
        assert links.alternates, page
        for href in links.alternates.values():
            assert (page.parent / href).resolve().is_file(), (page, href)
        names = {"fi": ("saavutettavuusseloste", "tietosuojaseloste"),
                 "sv": ("tillganglighetsutlatande", "dataskyddsbeskrivning")}[links.lang]
        targets = [(page.parent / href).resolve() for href in links.footer]
        for name in names:
            assert any(t.parent.name == name and t.is_file() for t in targets), (page, name)
    index = parse(site / "index.html")
    assert set(index.alternates) == {"fi", "sv", "x-default"}
    # A card is published in one language: its own alternate, no default among versions.
    card = parse(next(site.glob("[0-9]*/index.html")))
    assert len(card.alternates) == 1 and "x-default" not in card.alternates


def test_sitemap_lists_every_page_with_full_addresses_when_the_site_address_is_set(workspace, session):
    ids = [make_practice(session, title=f"Käytäntö {n}", status="approved").id for n in range(3)]

    result = publish(workspace, session, env={"YHTEISTUUMIN_SITE_BASE_URL": "https://www.yhteistuumin.fi/kaytannot"})

    text = (result.out / "sitemap.xml").read_text()
    locations = re.findall(r"<loc>([^<]+)</loc>", text)
    for pid in ids:
        page = next(result.out.glob(f"{pid}-*/index.html"))
        assert f"https://www.yhteistuumin.fi/kaytannot/{page.parent.name}/" in locations
    assert "https://www.yhteistuumin.fi/kaytannot/sv/" in locations
    assert "https://www.yhteistuumin.fi/kaytannot/tietosuojaseloste/" in locations
    card = parse(next(result.out.glob(f"{ids[0]}-*/index.html")))
    assert card.canonical.startswith("https://www.yhteistuumin.fi/kaytannot/")
    assert result.notes == []


def test_a_card_and_the_list_have_their_open_graph_tags(workspace, session):
    pid = make_practice(session, title="Kulttuurikaveri", status="approved",
                        summary="Vapaaehtoiset kulttuurikaverit.").id

    result = publish(workspace, session, env={"YHTEISTUUMIN_SITE_BASE_URL": "https://www.yhteistuumin.fi"})

    def meta(path: Path) -> dict[str, str]:
        html = path.read_text(encoding="utf-8")
        return dict(re.findall(r'<meta (?:property|name)="([^"]+)" content="([^"]*)">', html))

    page = next(result.out.glob(f"{pid}-*/index.html"))
    assert meta(page) == {
        "viewport": "width=device-width, initial-scale=1",
        "description": "Vapaaehtoiset kulttuurikaverit.", "og:title": "Kulttuurikaveri",
        "og:type": "article", "og:locale": "fi_FI",
        "og:url": f"https://www.yhteistuumin.fi/{page.parent.name}/"}
    # No og:site_name on the 5,000 cards (the title names the site); the list's pages keep it.
    assert meta(result.out / "index.html")["og:site_name"] == "Kulttuuria yhteistuumin – hyvät käytännöt"
    assert meta(result.out / "sv/index.html")["og:site_name"] == "Kulttuuria yhteistuumin – goda exempel"


def test_without_the_site_address_publish_says_what_needs_it(workspace, session):
    make_practice(session, title="Käytäntö", status="approved")

    result = publish(workspace, session)

    assert any("base_url" in note for note in result.notes)
    assert "<loc>" in (result.out / "sitemap.xml").read_text()


def test_a_card_naming_no_target_group_claims_no_audience_in_its_json_ld(workspace, session):
    pid = make_practice(session, title="Lukupiiri", status="approved", municipalities=["049"],
                        target_group=[]).id

    site = publish(workspace, session).out

    data = json.loads(parse(next(site.glob(f"{pid}-*/index.html"))).json_ld[0])
    assert data["audience"] == []


def test_every_card_page_has_json_ld_with_its_facts(workspace, session):
    pid = make_practice(session, title="Kuntien välinen yhteistyö </script><!--", status="approved",
                        municipalities=["049", "091"], keywords=["yhteistyö", "musiikki"],
                        target_group=["municipal_staff"], summary="Lyhyesti & selvästi.").id

    site = publish(workspace, session).out

    page = next(site.glob(f"{pid}-*/index.html"))
    blocks = parse(page).json_ld
    assert len(blocks) == 1
    data = json.loads(blocks[0])
    assert data["@type"] == "CreativeWork" and data["@context"] == "https://schema.org"
    assert data["name"] == "Kuntien välinen yhteistyö </script><!--"
    assert data["description"] == "Lyhyesti & selvästi."
    assert data["inLanguage"] == "fi"
    assert data["keywords"] == ["yhteistyö", "musiikki"]
    assert data["audience"] == {"@type": "Audience", "audienceType": ["Kunnan työntekijät"]}
    assert [(a["name"], a["identifier"]) for a in data["spatialCoverage"]] == [
        ("Espoo", "049"), ("Helsinki", "091")]
    assert all(a["@type"] == "AdministrativeArea" for a in data["spatialCoverage"])
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", data["dateModified"])


def test_practices_json_follows_its_published_schema(workspace, session):
    import jsonschema

    make_practice(session, title="Yhteystiedoin", status="approved", contact_name="Eija Koski",
                  contact_email="eija.koski@example.fi", publish_consent=True)
    make_practice(session, title="Ilman", status="approved", language="sv", municipalities=["478"])

    site = publish(workspace, session).out

    schema = json.loads((site / "practices.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    data = json.loads((site / "practices.json").read_text())
    jsonschema.validate(data, schema, cls=jsonschema.Draft202012Validator)
    broken = {**data, "practices": [{**data["practices"][0], "id": "1"}]}
    assert list(jsonschema.Draft202012Validator(schema).iter_errors(broken))


def test_statements_name_the_feedback_address_from_the_settings(workspace, session):
    site = publish(workspace, session, env={"YHTEISTUUMIN_SITE_CONTACT_EMAIL": "palaute@espoo.fi"}).out

    for path in ("saavutettavuusseloste/index.html", "sv/tillganglighetsutlatande/index.html",
                 "tietosuojaseloste/index.html", "sv/dataskyddsbeskrivning/index.html"):
        assert 'href="mailto:palaute@espoo.fi"' in (site / path).read_text(), path
    assert "osittain" in (site / "saavutettavuusseloste/index.html").read_text()
    assert "delvis" in (site / "sv/tillganglighetsutlatande/index.html").read_text()


def test_filter_options_are_in_finnish_alphabetical_order_with_counts(workspace, session):
    make_practice(session, title="A", status="approved", municipalities=["837"])  # Pirkanmaa
    make_practice(session, title="B", status="approved", municipalities=["398"])  # Päijät-Häme
    make_practice(session, title="C", status="approved", municipalities=["398"])

    site = publish(workspace, session).out

    html = (site / "index.html").read_text()
    region = html[html.index('id="f-region"'):html.index("</select>", html.index('id="f-region"'))]
    options = re.findall(r'<option value="\d+">([^<]+)</option>', region)
    assert options == ["Pirkanmaa (1)", "Päijät-Häme (2)"]
    assert sorted(["Öja", "Åbo", "Ähtäri", "Oulu", "Zeta"], key=collation_key) == [
        "Oulu", "Zeta", "Åbo", "Ähtäri", "Öja"]


def test_only_the_first_list_page_carries_the_filter_options_the_others_share_a_file(
        workspace, session, monkeypatch):
    from yhteistuumin_survey import publish as publish_module

    monkeypatch.setattr(publish_module, "PAGE_SIZE", 1)
    make_practice(session, title="A", status="approved", municipalities=["837"])
    make_practice(session, title="B", status="approved", municipalities=["398"], language="sv")

    site = publish(workspace, session).out

    for lang, first, second in (("fi", "index.html", "sivu/2/index.html"),
                                ("sv", "sv/index.html", "sv/sida/2/index.html")):
        assert '<option value="837">' in (site / first).read_text()
        page = (site / second).read_text()
        assert '<option value="837">' not in page and 'data-filters="' in page
        shared = json.loads((site / first).with_name("filters.json").read_text())
        assert [label for _, label, _ in shared["region"]] == (
            ["Pirkanmaa", "Päijät-Häme"] if lang == "fi" else ["Birkaland", "Päijänne-Tavastland"])
        assert shared["municipality"][0][2] == 1  # the count


def test_every_list_page_links_its_previous_and_next_page_in_its_language(
        workspace, session, monkeypatch):
    from yhteistuumin_survey import publish as publish_module

    monkeypatch.setattr(publish_module, "PAGE_SIZE", 1)
    for title in ("A", "B", "C"):
        make_practice(session, title=title, status="approved")

    site = publish(workspace, session).out

    def links(path: str) -> dict[str, str]:
        html = (site / path).read_text()
        return {rel: href for href, rel in re.findall(r'<a href="([^"]+)" rel="(prev|next)">', html)}

    assert links("index.html") == {"next": "sivu/2/index.html"}
    assert links("sivu/2/index.html") == {"prev": "../../index.html",
                                          "next": "../../sivu/3/index.html"}
    assert links("sivu/3/index.html") == {"prev": "../../sivu/2/index.html"}
    assert links("sv/sida/2/index.html") == {"prev": "../../../sv/index.html",
                                             "next": "../../../sv/sida/3/index.html"}
    assert "Edellinen sivu" in (site / "sivu/2/index.html").read_text()
    assert "Föregående sida" in (site / "sv/sida/2/index.html").read_text()
    # The list's meta description on its first page, not copied to every later one.
    for first, later in (("index.html", "sivu/2/index.html"), ("sv/index.html", "sv/sida/3/index.html")):
        assert (site / first).read_text().count('<meta name="description" content="') == 1
        assert '<meta name="description"' not in (site / later).read_text()


def test_swedish_index_names_places_in_swedish(workspace, session):
    make_practice(session, title="Käytäntö", status="approved", municipalities=["049"])

    site = publish(workspace, session).out

    html = (site / "sv/index.html").read_text()
    assert ">Esbo (1)</option>" in html and ">Nyland (1)</option>" in html
    assert 'href="../static/site.css"' in html


def test_a_decided_duplicate_publishes_once_on_its_originals_card(workspace, session):
    original = make_practice(session, title="Kuntien välinen yhteistyö", status="approved",
                             municipalities=["049"])
    copy = make_practice(session, title="Kuntien välinen yhteistyö (Vantaa)", status="duplicate",
                         municipalities=["092"])
    copy.duplicate_of_id = original.id
    session.add(copy)
    session.commit()

    result = publish(workspace, session)

    data = json.loads((result.out / "practices.json").read_text())
    assert [p["id"] for p in data["practices"]] == [original.id]
    assert [m["code"] for m in data["practices"][0]["municipalities"]] == ["049", "092"]
    assert result.merged == [(copy.id, original.id)]
    assert any(f"#{copy.id} is a duplicate of #{original.id}" in note for note in result.notes)


def test_an_unanswered_duplicate_flag_between_two_published_practices_is_reported(workspace, session):
    first = make_practice(session, title="Lukudiplomi", status="approved")
    second = make_practice(session, title="Lukudiplomi aikuisille", status="approved",
                           flags=[f"possible-duplicate:{first.id}"])
    make_practice(session, title="Hylätty kopio", status="rejected",
                  flags=[f"possible-duplicate:{first.id}"])

    result = publish(workspace, session)

    assert result.unanswered == [(first.id, second.id)]
    assert any("flagged as possibly the same practice" in note for note in result.notes)


def test_the_pager_shows_a_few_pages_and_following_it_reaches_every_page():
    from yhteistuumin_survey.publish import pager_numbers

    for pages in (1, 2, 7, 105):
        reached, todo = {1}, [1]
        while todo:
            for number in pager_numbers(todo.pop(), pages):
                if number and number not in reached:
                    reached.add(number)
                    todo.append(number)
        assert reached == set(range(1, pages + 1)), pages
    assert pager_numbers(1, 1) == []
    assert pager_numbers(50, 105) == [1, 0, 48, 49, 50, 51, 52, 0, 105]  # 0: pages left out
    assert max(len(pager_numbers(n, 105)) for n in range(1, 106)) <= 9


def test_the_swedish_pages_carry_the_swedish_title_of_the_site(workspace, session):
    # The Swedish list's heading, its tab and every Swedish page's header said "hyvät
    # käytännöt" in Finnish; [site] title_sv names the Swedish site.
    make_practice(session, title="Kulturvän", status="approved", language="sv", municipalities=["478"])

    site = publish(workspace, session).out

    for path in ("sv/index.html", "sv/tillganglighetsutlatande/index.html",
                 next(site.glob("*-kulturvan/index.html")).relative_to(site).as_posix()):
        html = (site / path).read_text()
        assert "hyvät käytännöt" not in html, path
        assert "Kulttuuria yhteistuumin – goda exempel</a></p>" in html, path
    assert "<h1>Kulttuuria yhteistuumin – goda exempel</h1>" in (site / "sv/index.html").read_text()
    assert "<h1>Kulttuuria yhteistuumin – hyvät käytännöt</h1>" in (site / "index.html").read_text()
    renamed = publish(workspace, session, env={"YHTEISTUUMIN_SITE_TITLE_SV": "Goda exempel"}).out
    assert "<title>Goda exempel</title>" in (renamed / "sv/index.html").read_text()


def test_the_swedish_list_speaks_as_a_swedish_speaker_writes(workspace, session):
    # "Vanligaste nyckelord:" lacks its definite form and "Töm" (empty) is not what a
    # Swedish form calls clearing its filters.
    make_practice(session, title="Kulturvän", status="approved", language="sv", keywords=["musik"])

    html = (publish(workspace, session).out / "sv/index.html").read_text()

    assert "De vanligaste nyckelorden: " in html and '<button type="reset">Rensa</button>' in html
    assert "goda praxis" not in html and " praxis<" not in html
