"""The published site in a real headless Chromium (Debian's ``chromium``, driven by Playwright).

The site is served over HTTP from 127.0.0.1 (Pagefind loads its index with fetch, which file://
does not allow); one test opens it from disk, where the filters and a plain text match work.
On CI (``CI=true``) a missing Chromium fails the tests instead of skipping.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from factories import make_practice
from publish_support import settings_for

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
ON_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists() or shutil.which("chromium") is None:
        message = "Debian's chromium is not installed (/usr/bin/chromium)"
        if ON_CI:
            pytest.fail(message + "; the CI setup (make system-deps) must install it")
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


def _published(workspace, db_path: Path, template: Path) -> dict:
    """Publish five practices (one Swedish, one with attack payloads) and a rejected one."""
    import json

    from fixtures_house import open_sqlite_copy

    from yhteistuumin_survey.db.engine import session_scope
    from yhteistuumin_survey.publish import publish_site

    engine = open_sqlite_copy(template, db_path, workspace)  # migrated, with the register
    with session_scope(engine) as session:
        ids = {
            "4v": make_practice(
                session, title="Kuntien välinen yhteistyö aluetyössä", status="approved",
                municipalities=["049", "091", "092"], keywords=["yhteistyö", "vertaistuki"],
                target_group=["municipal_staff"],
                implementation="Tapaamiset kiertävät ja puheenjohtaja vaihtuu: kiertopalkinto.",
                contact_name="Eija Koski", contact_email="eija.koski@example.fi",
                publish_consent=True).id,
            "turku": make_practice(
                session, title="Lukudiplomi aikuisille", status="approved",
                municipalities=["853"], keywords=["kirjasto", "lukeminen"],
                implementation="Diplomin suorittajat tapaavat pääkirjastossa ja kuuntelevat "
                               "musiikkia.").id,
            "oulu": make_practice(
                session, title="Kulttuurikaveritoiminta", status="approved",
                municipalities=["564"], target_group=["older_people"],
                keywords=["ikäihmiset", "ystävätoiminta"],
                implementation="Musiikkiopiston oppilaat soittavat.").id,
            "aland": make_practice(
                session, title="Kulturvän för äldre", status="approved", language="sv",
                municipalities=["478"], target_group=["older_people"],
                goal="Att bryta ensamheten bland äldre.",
                implementation="Vännerna går på konserten tillsammans.").id,
            "evil": make_practice(
                session, title="Lukupiiri <script>window.__pwned = 1; alert(1)</script>",
                status="approved", municipalities=["837"],
                summary='Kuva <img src=x onerror="window.__pwned = 2; alert(2)"> tässä',
                keywords=['"><svg onload=alert(3)>'],
                goal="<iframe src=javascript:alert(4)></iframe>").id,
        }
        make_practice(session, title="Hylätty salaisuus", status="rejected")
        publish_site(workspace, session=session, settings=settings_for(workspace))
    engine.dispose()
    root = workspace.outputs / "site"
    entry = json.loads((root / "pagefind" / "pagefind-entry.json").read_text(encoding="utf-8"))
    assert {lang: index["page_count"] for lang, index in entry["languages"].items()} == {
        "fi": 4, "sv": 1}
    return {"ids": ids, "root": root}


@contextmanager
def _served(root: Path) -> Iterator[str]:
    """Serve ``root`` over HTTP on 127.0.0.1; yield its URL."""
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def _module_workspace(tmp_path_factory: pytest.TempPathFactory, name: str):
    from yhteistuumin_survey.workspace import Workspace, init_workspace

    return Workspace(init_workspace(tmp_path_factory.mktemp(name) / "ws").root)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path):
    """A published site of five practices (one Swedish, one with attack payloads), served.

    The search bundle holds a Finnish and a Swedish index, which every page searches. Built
    once for the module: the tests only read it in the browser (each in its own context).
    """
    workspace = _module_workspace(tmp_path_factory, "site")
    published = _published(workspace, workspace.root.parent / "site.sqlite", sqlite_template)
    with _served(published["root"]) as url:
        yield {"url": url, **published}


@pytest.fixture
def fresh_site(workspace, tmp_path, sqlite_template):
    """The same site in the test's own workspace (``tmp_path / "site.sqlite"``), to change."""
    published = _published(workspace, tmp_path / "site.sqlite", sqlite_template)
    with _served(published["root"]) as url:
        yield {"url": url, **published}


@pytest.fixture
def page(browser):
    context = browser.new_context()
    page = context.new_page()
    page.dialogs = []  # type: ignore[attr-defined]
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))  # type: ignore[attr-defined]
    outside: list[str] = []
    page.on("request", lambda request: outside.append(request.url)
            if not request.url.startswith(("http://127.0.0.1", "data:")) else None)
    page.outside = outside  # type: ignore[attr-defined]
    yield page
    context.close()


def wait_titles(page, expected: list[str]) -> None:
    """Wait until exactly ``expected`` cards show (in any order) and the count says so."""
    import json

    page.wait_for_function(
        """([expected, n]) => {
          const shown = Array.from(document.querySelectorAll('#cards > li:not([hidden]) h2'))
            .map(node => node.textContent.trim()).sort();
          return JSON.stringify(shown) === JSON.stringify(expected)
            && document.querySelector('#count').textContent.startsWith(n + ' ');
        }""", arg=[sorted(expected), len(expected)], timeout=10_000)
    assert json.dumps(sorted(visible_titles(page))) == json.dumps(sorted(expected))


def visible_titles(page) -> list[str]:
    return page.eval_on_selector_all(
        "#cards > li:not([hidden]) h2", "nodes => nodes.map(n => n.textContent.trim())")


def test_search_filter_and_open_a_card(site, page):
    page.goto(site["url"] + "index.html")
    page.wait_for_selector("#finder:not([hidden])")
    assert len(visible_titles(page)) == 5
    assert "Hylätty" not in page.content()

    # A word only in the implementation text (not on the index cards): the full-text index.
    page.fill("#q", "kiertopalkinto")
    wait_titles(page, ["Kuntien välinen yhteistyö aluetyössä"])
    page.fill("#q", "äldre")  # the Swedish card, and the Finnish one tagged "ikäihmiset" (äldre)
    wait_titles(page, ["Kulturvän för äldre", "Kulttuurikaveritoiminta"])

    page.fill("#q", "")
    page.select_option("#f-region", "17")  # Pohjois-Pohjanmaa: Oulu
    wait_titles(page, ["Kulttuurikaveritoiminta"])
    page.select_option("#f-region", "")
    page.select_option("#f-target", "older-people")
    wait_titles(page, ["Kulttuurikaveritoiminta", "Kulturvän för äldre"])
    page.select_option("#f-target", "")
    page.select_option("#f-municipality", "091")
    page.fill("#q", "yhteistyö")
    wait_titles(page, ["Kuntien välinen yhteistyö aluetyössä"])

    page.click("text=Kuntien välinen yhteistyö aluetyössä")
    page.wait_for_selector("article.practice")
    assert page.url.endswith(f"/{site['ids']['4v']}-kuntien-valinen-yhteistyo-aluetyossa/index.html")
    assert page.inner_text("h1") == "Kuntien välinen yhteistyö aluetyössä"
    headings = page.eval_on_selector_all("article h2", "nodes => nodes.map(n => n.textContent)")
    assert headings == ["Tavoite", "Hyvä käytäntö pähkinänkuoressa", "Toteuttaminen", "Resurssit",
                        "Kokemuksia", "Hyödyt", "Yhteystiedot"]
    assert "Espoo, Helsinki, Vantaa" in page.inner_text("dl.facts")
    assert "eija.koski@example.fi" in page.inner_text("address")
    assert page.outside == []  # nothing loaded from other hosts


def test_payloads_in_answers_show_as_text_and_run_nothing(site, page):
    console_errors: list[str] = []
    page.on("pageerror", lambda error: console_errors.append(str(error)))
    for path in ("index.html", next(site["root"].glob(f"{site['ids']['evil']}-*/index.html"))
                 .relative_to(site["root"]).as_posix()):
        page.goto(site["url"] + path)
        page.wait_for_load_state("load")
        page.wait_for_timeout(300)
        assert page.evaluate("window.__pwned") is None
        assert page.dialogs == []
        assert page.eval_on_selector_all("main img, main svg, main iframe, main script",
                                         "nodes => nodes.length") == 0
        text = page.inner_text("main")
        assert "<script>window.__pwned = 1; alert(1)</script>" in text
        assert '<img src=x onerror="window.__pwned = 2; alert(2)">' in text
    assert "<iframe src=javascript:alert(4)></iframe>" in page.inner_text("main")
    assert console_errors == []


def test_without_javascript_every_card_shows(site, browser):
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(site["url"] + "index.html")
        assert len(visible_titles(page)) == 5
        assert page.is_hidden("#finder")
    finally:
        context.close()


def test_keyboard_reaches_the_controls_with_a_visible_focus(site, page):
    page.goto(site["url"] + "index.html")
    page.wait_for_selector("#finder:not([hidden])")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    page.keyboard.press("Tab")  # the site title link
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "På svenska"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "q"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineWidth")
    assert outline == "3px"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "f-region"
    labels = page.eval_on_selector_all(
        "#finder input, #finder select",
        "nodes => nodes.map(n => document.querySelector(`label[for='${n.id}']`) !== null)")
    assert labels and all(labels)


def test_opened_from_disk_the_filters_work_and_the_page_says_search_is_limited(site, page):
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto((site["root"] / "index.html").as_uri())
    page.wait_for_selector("#finder:not([hidden])")
    assert page.is_visible("#from-disk")
    assert "verkkopalvelimella" in page.inner_text("#from-disk")
    page.select_option("#f-region", "17")  # Pohjois-Pohjanmaa: Oulu
    wait_titles(page, ["Kulttuurikaveritoiminta"])
    page.select_option("#f-region", "")
    page.fill("#q", "lukudiplomi")  # the plain text match over the cards stands in
    wait_titles(page, ["Lukudiplomi aikuisille"])
    assert errors == []


def test_served_over_http_the_page_has_no_from_disk_note(site, page):
    page.goto(site["url"] + "index.html")
    page.wait_for_selector("#finder:not([hidden])")
    assert page.locator("#from-disk").count() == 1
    assert page.is_hidden("#from-disk")


REGION_NAMES = ("Uusimaa", "Varsinais-Suomi", "Satakunta", "Kanta-Häme", "Pirkanmaa", "Päijät-Häme",
                "Kymenlaakso", "Etelä-Karjala", "Etelä-Savo", "Pohjois-Savo", "Pohjois-Karjala",
                "Keski-Suomi", "Etelä-Pohjanmaa", "Pohjanmaa", "Keski-Pohjanmaa",
                "Pohjois-Pohjanmaa", "Kainuu", "Lappi", "Ahvenanmaa")


def test_status_table_fits_at_1280_and_scrolls_in_a_keyboard_region_when_narrow(workspace, browser):
    from yhteistuumin_survey.status import STATUS_KEYS, RoundStatus, write_status_page

    def row(name: str, n: int) -> dict:
        counts = dict.fromkeys(STATUS_KEYS, n)
        return {"code": "01", "name": name, **counts, "response_rate": 0.286}

    status = RoundStatus(round_name="kierros-2026", totals=row("", 308) | {"invited": 1308},
                         regions=[row(name, 30) for name in REGION_NAMES])
    url = write_status_page(workspace, status, site_title="Testi").as_uri()
    measure = """() => {
      const wrap = document.querySelector('.table-wrap');
      const last = document.querySelector('table.status thead th:last-child').getBoundingClientRect();
      return {scroll: wrap.scrollWidth, client: wrap.clientWidth,
              lastRight: last.right, mainRight: document.querySelector('main').getBoundingClientRect().right,
              role: wrap.getAttribute('role'), tabindex: wrap.getAttribute('tabindex'),
              label: document.getElementById(wrap.getAttribute('aria-labelledby')).textContent};
    }"""
    wide = browser.new_context(viewport={"width": 1280, "height": 900})
    page = wide.new_page()
    page.goto(url)
    found = page.evaluate(measure)
    wide.close()
    assert found["scroll"] <= found["client"], found  # the response rate is in view
    assert found["lastRight"] <= found["mainRight"], found
    assert found["role"] == "region" and found["tabindex"] == "0"
    assert found["label"] == "Kunnat, kutsut, vastaukset ja käytännöt maakunnittain"

    narrow = browser.new_context(viewport={"width": 700, "height": 600})
    page = narrow.new_page()
    page.goto(url)
    found = page.evaluate(measure)
    assert found["scroll"] > found["client"]  # scrolls inside the region, not the page
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.classList.contains('table-wrap')"):
            break
    else:
        pytest.fail("the keyboard never reaches the table's scroll region")
    page.keyboard.press("ArrowRight")  # the arrow keys scroll the focused region
    page.wait_for_function("document.querySelector('.table-wrap').scrollLeft > 0", timeout=5_000)
    narrow.close()


def axe_violations(page) -> list[str]:
    """Run axe-core (bundled with axe-playwright-python) on the page; return its violations."""
    from axe_playwright_python.sync_playwright import Axe

    result = Axe().run(page)
    return [f"{v['id']}: {[n['target'] for n in v['nodes']]}"
            for v in result.response["violations"]]


def test_every_kind_of_page_passes_axe_core(site, page):
    card = next(site["root"].glob(f"{site['ids']['aland']}-*/index.html"))
    paths = ["index.html", "sv/index.html", card.relative_to(site["root"]).as_posix(),
             "saavutettavuusseloste/index.html", "sv/tillganglighetsutlatande/index.html",
             "tietosuojaseloste/index.html", "sv/dataskyddsbeskrivning/index.html"]
    for path in paths:
        page.goto(site["url"] + path)
        page.wait_for_load_state("load")
        assert axe_violations(page) == [], path


def test_the_first_keyword_of_a_card_finds_it(site, page):
    # The index once read "<dt>Avainsanat</dt><dd>yhteistyö" as one word "Avainsanatyhteistyö".
    page.goto(site["url"] + "index.html")
    page.wait_for_selector("#finder:not([hidden])")
    page.fill("#q", "ikäihmiset")  # the first keyword, in no other card's text
    wait_titles(page, ["Kulttuurikaveritoiminta"])
    page.fill("#q", "ikäihmiset ystävätoiminta")  # both keywords: both words of one card
    wait_titles(page, ["Kulttuurikaveritoiminta"])


def test_a_search_is_in_the_address_and_comes_back_on_reload(site, page):
    page.goto(site["url"] + "index.html")
    page.wait_for_selector("#finder:not([hidden])")
    page.select_option("#f-target", "older-people")
    page.fill("#q", "äldre")  # the Swedish card, and the Finnish one tagged "ikäihmiset" (äldre)
    both = ["Kulturvän för äldre", "Kulttuurikaveritoiminta"]
    page.wait_for_function("location.search.includes('q=')")  # the filter alone shows both
    wait_titles(page, both)
    assert "q=%C3%A4ldre" in page.url and "target=older-people" in page.url
    page.reload()
    page.wait_for_selector("#finder:not([hidden])")
    wait_titles(page, both)
    assert page.input_value("#q") == "äldre"
    assert page.input_value("#f-target") == "older-people"


def test_a_card_links_its_municipality_to_the_filtered_list(site, page):
    card = next(site["root"].glob(f"{site['ids']['oulu']}-*/index.html"))
    page.goto(site["url"] + card.relative_to(site["root"]).as_posix())
    page.click("dl.facts a:text('Oulu')")
    page.wait_for_selector("#finder:not([hidden])")
    wait_titles(page, ["Kulttuurikaveritoiminta"])
    assert page.input_value("#f-municipality") == "564"


def test_every_fact_on_a_card_links_to_the_list_filtered_on_it(site, page):
    # The page carries each fact's filter values once (data-m, data-r, data-k, data-t);
    # card.js makes the links, the list's own parameters, in the page's language.
    for card, list_page in ((site["ids"]["aland"], "sv/index.html"), (site["ids"]["4v"], "index.html")):
        path = next(site["root"].glob(f"{card}-*/index.html")).relative_to(site["root"]).as_posix()
        page.goto(site["url"] + path)
        links = page.eval_on_selector_all(
            "dl.facts a", "nodes => nodes.map(n => [n.textContent, n.href])")
        expected = {
            "index.html": [("Espoo", "municipality=049"), ("Helsinki", "municipality=091"),
                           ("Vantaa", "municipality=092"), ("Uusimaa", "region=01"),
                           ("yhteistyö", "keyword=cooperation"), ("vertaistuki", "keyword=peer_support"),
                           ("Kunnan työntekijät", "target=municipal-staff")],
            "sv/index.html": [("Mariehamn", "municipality=478"), ("Åland", "region=21"),
                              ("yhteistyö", "keyword=cooperation"), ("kirjasto", "keyword=library"),
                              ("Äldre", "target=older-people")]}[list_page]
        assert [(name, href) for name, href in links] == [
            (name, f"{site['url']}{list_page}?{query}") for name, query in expected], links
        assert page.eval_on_selector_all("dl.facts dd", "nodes => nodes.map(n => n.textContent)")[0] \
            == ", ".join(name for name, query in expected if query.startswith("municipality="))
    page.click("dl.facts a:text('vertaistuki')")  # on the 4V card, the last one opened
    page.wait_for_selector("#finder:not([hidden])")
    assert page.input_value("#f-keyword") == "peer_support"


def test_an_empty_result_suggests_what_to_do(site, page):
    page.goto(site["url"] + "index.html")
    page.wait_for_selector("#finder:not([hidden])")
    page.fill("#q", "olematonsanaxyz")
    page.wait_for_selector("#empty:not([hidden])")
    assert "Kokeile poistaa" in page.inner_text("#empty")
    assert page.locator("#empty a").count() >= 1  # the most common keywords


def test_an_empty_result_on_a_later_page_suggests_the_same_keywords(paged_site, page):
    # A later page names the most common keywords from filters.json (its HTML no longer
    # carries them): the same links, in the same order, as the first page's.
    def suggested() -> list[list[str]]:
        return page.eval_on_selector_all(
            "#empty a", "nodes => nodes.map(n => [n.textContent, n.getAttribute('href')])")

    for lang, later in (("fi", "sivu/2/index.html"), ("sv", "sv/sida/2/index.html")):
        page.goto(paged_site["url"] + later.replace("sivu/2/", "").replace("sida/2/", ""))
        page.wait_for_selector("#finder:not([hidden])")
        first = suggested()
        assert first and first[0] == ["kirjasto" if lang == "fi" else "bibliotek", "?keyword=library"]
        page.goto(paged_site["url"] + later)
        page.wait_for_selector("#finder:not([hidden])")
        page.fill("#q", "olematonsanaxyz")
        page.wait_for_selector("#empty:not([hidden])")
        assert suggested() == first
        assert page.inner_text("#empty").count(":") == 1  # the heading once, before the links


def test_the_swedish_site_lists_every_card_in_a_swedish_frame(site, page):
    page.goto(site["url"] + "sv/index.html")
    page.wait_for_selector("#finder:not([hidden])")
    assert page.evaluate("document.documentElement.lang") == "sv"
    assert len(visible_titles(page)) == 5
    assert page.inner_text("#count") == "5 goda exempel"
    page.fill("#q", "ensamheten")  # a Swedish word only in the Swedish card's goal
    wait_titles(page, ["Kulturvän för äldre"])
    page.click("text=Kulturvän för äldre")
    page.wait_for_selector("article.practice")
    assert page.evaluate("document.documentElement.lang") == "sv"


@pytest.fixture(scope="module")
def paged_site(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path):
    """Seven practices, three a page: the list has three pages, a search reaches them all.

    Built once for the module; its two tests only read it."""
    from fixtures_house import open_sqlite_copy

    from yhteistuumin_survey import publish
    from yhteistuumin_survey.db.engine import session_scope
    from yhteistuumin_survey.publish import publish_site

    workspace = _module_workspace(tmp_path_factory, "paged")
    db_path = workspace.root.parent / "paged.sqlite"
    engine = open_sqlite_copy(sqlite_template, db_path, workspace)
    with pytest.MonkeyPatch.context() as monkeypatch, session_scope(engine) as session:
        monkeypatch.setattr(publish, "PAGE_SIZE", 3)
        for n in range(6):
            make_practice(session, title=f"Tavallinen käytäntö {n}", status="approved",
                          keywords=["kirjasto"], municipalities=["091"])
        make_practice(session, title="Sirkuskoulu kylissä", status="approved",
                      keywords=["sirkus"], municipalities=["564"],
                      implementation="Trapetsi ja jonglöörauspallot kiertävät kouluilla.")
        publish_site(workspace, session=session, settings=settings_for(workspace))
    engine.dispose()
    root = workspace.outputs / "site"
    with _served(root) as url:
        yield {"url": url, "root": root}


def test_the_list_is_paged_and_a_search_reaches_a_card_on_the_last_page(paged_site, page):
    root = paged_site["root"]
    assert (root / "sivu/3/index.html").is_file() and (root / "sv/sida/3/index.html").is_file()
    page.goto(paged_site["url"] + "index.html")
    page.wait_for_selector("#finder:not([hidden])")
    assert len(visible_titles(page)) == 3
    assert page.inner_text("#count") == "7 käytäntöä"
    assert axe_violations(page) == []
    page.fill("#q", "jonglöörauspallot")  # only in the implementation of the card on page 3
    wait_titles(page, ["Sirkuskoulu kylissä"])
    assert page.is_hidden("#pager")
    page.fill("#q", "")
    page.select_option("#f-municipality", "091")
    page.wait_for_selector("#more:not([hidden])")  # six fit: three shown, then three more
    assert len(visible_titles(page)) == 3
    page.click("#more")
    wait_titles(page, [f"Tavallinen käytäntö {n}" for n in range(6)])
    page.select_option("#f-municipality", "")
    page.wait_for_selector("#pager:not([hidden])")
    assert len(visible_titles(page)) == 3


def test_a_later_list_page_fills_its_filters_from_the_shared_file_and_filters(paged_site, page):
    page.goto(paged_site["url"] + "sivu/2/index.html")
    page.wait_for_selector("#finder:not([hidden])")
    assert page.eval_on_selector_all("#f-municipality option", "o => o.length") > 1
    page.select_option("#f-municipality", "564")  # Oulu: the circus card on page 3
    wait_titles(page, ["Sirkuskoulu kylissä"])
    assert "municipality=564" in page.url
    page.reload()  # the shared link restores the filter once the options are in
    page.wait_for_selector("#finder:not([hidden])")
    wait_titles(page, ["Sirkuskoulu kylissä"])
    assert page.input_value("#f-municipality") == "564"


def test_a_card_list_that_fails_to_load_is_said_never_shown_as_no_cards(paged_site, page):
    # A later page carries no filter values of its own (only the first page, which a file
    # opened from disk can show, does): a failed cards.json made every filter say "0".
    page.route("**/cards.json.gz", lambda route: route.abort())
    try:
        page.goto(paged_site["url"] + "sivu/2/index.html")
        page.wait_for_selector("#finder:not([hidden])")
        page.select_option("#f-municipality", "564")
        page.wait_for_function(
            "document.getElementById('count').textContent === 'Haku ei ole käytettävissä.'")
        assert len(visible_titles(page)) == 3  # the page's own cards stay as they were
        assert page.is_hidden("#empty")
    finally:
        page.unroute("**/cards.json.gz")


def test_a_card_list_the_server_sent_unpacked_is_read_as_it_came(site, page):
    # The site keeps cards.json gzipped; a server that sends cards.json.gz with
    # Content-Encoding: gzip has the browser unpack it before site.js sees it. Unpacking it
    # again failed, and the filters said the search was not available.
    from publish_support import card_list_text

    body = card_list_text(site["root"]).encode()
    page.route("**/cards.json.gz", lambda route: route.fulfill(
        status=200, body=body, headers={"Content-Type": "application/json"}))
    try:
        page.goto(site["url"] + "index.html")
        page.wait_for_selector("#finder:not([hidden])")
        page.select_option("#f-target", "older-people")
        wait_titles(page, ["Kulttuurikaveritoiminta", "Kulturvän för äldre"])
    finally:
        page.unroute("**/cards.json.gz")


def test_a_shared_address_filtering_on_a_place_with_no_cards_shows_none(paged_site, page):
    # Espoo (049) has no card here: the filter was dropped and every card shown as Espoo's.
    page.goto(paged_site["url"] + "index.html?municipality=049")
    page.wait_for_selector("#finder:not([hidden])")
    page.wait_for_function("document.getElementById('count').textContent === '0 käytäntöä'")
    assert page.input_value("#f-municipality") == "049"
    assert visible_titles(page) == []
    page.select_option("#f-municipality", "")
    page.wait_for_function("document.getElementById('count').textContent === '7 käytäntöä'")


def test_without_javascript_the_pager_reaches_every_card(paged_site, browser):
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        seen: list[str] = []
        page.goto(paged_site["url"] + "index.html")
        hrefs = page.eval_on_selector_all(
            "#pager a:not([rel])", "nodes => nodes.map(n => n.href)")  # the numbers
        assert len(hrefs) == 3
        for href in hrefs:
            page.goto(href)
            seen += visible_titles(page)
        assert sorted(seen) == sorted([*(f"Tavallinen käytäntö {n}" for n in range(6)),
                                       "Sirkuskoulu kylissä"])
    finally:
        context.close()


def test_status_chart_labels_and_bars_stay_inside_the_picture(workspace, browser):
    """Rendered by Chromium with real fonts: no bar or label leaves the chart, 0 % to 100 %."""
    from yhteistuumin_survey.status import STATUS_KEYS, RoundStatus, write_status_page

    def row(name: str, answered: int, invited: int) -> dict:
        counts = dict.fromkeys(STATUS_KEYS, 0) | {"answered": answered, "invited": invited}
        return {"code": "01", "name": name, **counts,
                "response_rate": round(answered / invited, 4) if invited else 0.0}

    regions = [row(name, i % 5, 4 if i % 3 else 0) for i, name in enumerate(REGION_NAMES)]
    regions[0] = row("Uusimaa", 26, 26)  # 100 %: the widest bar and its label
    regions[1] = row("Varsinais-Suomi", 26, 27)  # 96,3 %
    status = RoundStatus(round_name="kierros-2026", totals=row("", 60, 80), regions=regions)
    url = write_status_page(workspace, status, site_title="Testi").as_uri()
    page = browser.new_page()
    page.goto(url)
    found = page.evaluate("""() => {
      const svg = document.querySelector('.status-chart svg');
      const box = svg.viewBox.baseVal;
      const out = [];
      for (const el of svg.querySelectorAll('text, rect')) {
        const b = el.getBBox();
        if (b.x < 0 || b.y < 0 || b.x + b.width > box.width || b.y + b.height > box.height)
          out.push(el.textContent || el.tagName);
      }
      const labels = [...svg.querySelectorAll('g text')].map(t => t.textContent);
      return {out, labels, role: svg.getAttribute('role'),
              name: svg.getAttribute('aria-labelledby')};
    }""")
    page.close()
    assert found["out"] == []
    assert "100,0\u00a0% (26/26)" in found["labels"] and "96,3\u00a0% (26/27)" in found["labels"]
    assert found["role"] == "img" and found["name"] == "chart-title chart-desc"


def test_each_language_is_searched_with_its_own_word_rules_on_either_site(site, page):
    # "konserter" meets the Swedish card's "konserten" only through Swedish stemming (konsert),
    # "pääkirjastoon" meets the Finnish card's "pääkirjastossa" only through Finnish stemming:
    # each index is looked up with its own language's rules, whatever the page's language.
    for index in ("index.html", "sv/index.html"):
        page.goto(site["url"] + index)
        page.wait_for_selector("#finder:not([hidden])")
        page.fill("#q", "konserter")
        wait_titles(page, ["Kulturvän för äldre"])
        page.fill("#q", "pääkirjastoon")
        wait_titles(page, ["Lukudiplomi aikuisille"])
        # Finnish rules make "musiikki" the stem of "musiikkia" too; Swedish rules would leave
        # "musiikki" whole, and then only "Musiikkiopiston" starts with it.
        page.fill("#q", "musiikki")
        wait_titles(page, ["Lukudiplomi aikuisille", "Kulttuurikaveritoiminta"])
        assert page.evaluate("document.documentElement.lang") == index[:2].replace("in", "fi")


def republish_with_title(workspace, db_path: Path, practice_id: int, title: str):
    """Correct one practice's title and publish again (a small republish); its result."""
    return republish_changed(workspace, db_path, practice_id, title=title)


def test_after_a_small_republish_a_search_finds_the_new_text_and_not_the_old(
        fresh_site, page, workspace, tmp_path):
    site = fresh_site
    from yhteistuumin_survey.publish import CHANGES_FOLDER

    result = republish_with_title(workspace, tmp_path / "site.sqlite", site["ids"]["turku"],
                                  "Lukudiplomi kaikenikäisille")
    assert result.indexed == "changes" and (site["root"] / CHANGES_FOLDER).is_dir()

    for index in ("index.html", "sv/index.html"):
        page.goto(site["url"] + index)
        page.wait_for_selector("#finder:not([hidden])")
        page.fill("#q", "kaikenikäisille")  # only in the changed card, in the changes bundle
        wait_titles(page, ["Lukudiplomi kaikenikäisille"])
        page.fill("#q", "aikuisille")  # only in its old title, still in the full index's words
        page.wait_for_selector("#empty:not([hidden])")
        page.fill("#q", "kiertopalkinto")  # a card of the full index
        wait_titles(page, ["Kuntien välinen yhteistyö aluetyössä"])


def republish_changed(workspace, db_path: Path, practice_id: int, *, status: str | None = None,
                      language: str | None = None, title: str | None = None):
    """Set one practice's status, language (its versions' too) or corrected title and publish
    again."""
    from sqlmodel import select

    from yhteistuumin_survey.db.engine import open_database, session_scope
    from yhteistuumin_survey.db.models import Practice, PracticeVersion
    from yhteistuumin_survey.publish import publish_site

    engine = open_database(f"sqlite:///{db_path}")
    with session_scope(engine) as session:
        practice = session.get(Practice, practice_id)
        if status is not None:
            practice.status = status
        if title is not None:
            practice.corrected_title = title
        if language is not None:
            practice.language = language
            for version in session.exec(select(PracticeVersion).where(
                    PracticeVersion.practice_id == practice_id)):
                version.language = language
                session.add(version)
        session.add(practice)
    with session_scope(engine) as session:
        result = publish_site(workspace, session=session, settings=settings_for(workspace))
    engine.dispose()
    return result


def test_a_language_only_in_the_changes_bundle_is_searched_with_the_full_bundles_script(
        fresh_site, page, workspace, tmp_path):
    # The changes bundle carries no script and no WebAssembly of a language the full index
    # has (0.3 MB at 5,000 cards, never loaded); a language only in it (a card read again in
    # Swedish after a full index of Finnish ones) is started with the full bundle's script
    # and its own WebAssembly.
    from yhteistuumin_survey.publish import CHANGES_FOLDER

    root, db = fresh_site["root"], tmp_path / "site.sqlite"
    assert republish_changed(workspace, db, fresh_site["ids"]["aland"], status="rejected").indexed == "all"
    result = republish_changed(workspace, db, fresh_site["ids"]["oulu"], language="sv")
    assert result.indexed == "changes" and result.languages == ["fi", "sv"]
    assert sorted(p.name for p in (root / "pagefind").glob("*.js")) == ["pagefind-worker.js", "pagefind.js"]
    assert sorted(p.name for p in (root / "pagefind").glob("wasm.*")) == ["wasm.fi.pagefind"]
    changes = root / CHANGES_FOLDER
    assert sorted(p.name for p in changes.iterdir() if p.is_file()) == [
        "pagefind-entry.json", next(changes.glob("pagefind.sv_*.pf_meta")).name, "wasm.sv.pagefind"]
    for index in ("index.html", "sv/index.html"):
        search_cold(page, fresh_site["url"] + index, "musiikkiopiston")  # only on the Oulu card
        wait_titles(page, ["Kulttuurikaveritoiminta"])
        page.fill("#q", "kiertopalkinto")  # a card of the full index
        wait_titles(page, ["Kuntien välinen yhteistyö aluetyössä"])


def search_cold(page, url: str, term: str) -> None:
    """Open ``url`` and send ``term`` as soon as the search form shows, before any of Pagefind
    (the preload of the page's language included) has come: its answers wait until then."""
    held: list = []
    holding = [True]

    def hold(route) -> None:
        if holding[0]:
            held.append(route)
        else:
            route.fallback()

    page.route("**/pagefind*/**", hold)
    page.goto(url)
    page.wait_for_selector("#finder:not([hidden])")
    page.evaluate("term => { const q = document.getElementById('q'); q.value = term; "
                  "q.form.requestSubmit(); }", term)
    holding[0] = False
    for route in held:
        route.fallback()
    page.unroute("**/pagefind*/**", hold)


def test_a_search_sent_before_the_index_has_loaded_finds_cards_of_either_language(site, page):
    # Nothing of Pagefind or the card list is loaded when the query is sent: each language's
    # index starts, the card list waits for them, and the results still meet the right cards.
    search_cold(page, site["url"] + "index.html", "konserter")  # Swedish rules, Swedish card
    wait_titles(page, ["Kulturvän för äldre"])
    search_cold(page, site["url"] + "sv/index.html", "pääkirjastoon")  # Finnish, on the sv site
    wait_titles(page, ["Lukudiplomi aikuisille"])
    search_cold(page, site["url"] + "index.html", "ikäihmiset")  # no Swedish card has it
    wait_titles(page, ["Kulttuurikaveritoiminta"])


def test_a_search_sent_before_the_index_has_loaded_finds_a_changed_card_by_its_new_text(
        fresh_site, page, workspace, tmp_path):
    result = republish_with_title(workspace, tmp_path / "site.sqlite",
                                  fresh_site["ids"]["aland"], "Seniorernas konsertklubb")
    assert result.indexed == "changes"
    search_cold(page, fresh_site["url"] + "index.html", "konsertklubb")  # the changes bundle
    wait_titles(page, ["Seniorernas konsertklubb"])
    search_cold(page, fresh_site["url"] + "index.html", "kulturvän")  # its old title: gone
    page.wait_for_selector("#empty:not([hidden])")
    assert visible_titles(page) == []


def test_without_pagefind_a_search_matches_the_list_text_and_a_stuck_one_holds_up_no_filter(
        site, page):
    # Pagefind's files refused: the search falls back to the words of the card list.
    page.route("**/pagefind/**", lambda route: route.abort())
    search_cold(page, site["url"] + "index.html", "kulttuurikaveritoiminta")
    wait_titles(page, ["Kulttuurikaveritoiminta"])
    # The changes bundle never answering: the search waits, but the card list it started
    # loading does not wait for it, and a filter chosen next still shows its cards.
    page.unroute("**/pagefind/**")
    page.route("**/pagefind-changes/**", lambda route: None)  # never fulfilled
    search_cold(page, site["url"] + "sv/index.html", "konserter")
    page.evaluate("() => { document.getElementById('q').value = ''; }")
    page.select_option("#f-region", "21")  # Ahvenanmaa: the Swedish card
    wait_titles(page, ["Kulturvän för äldre"])


def test_a_card_list_written_all_on_one_line_is_still_read(fresh_site, page):
    # A cards.json from before its head named the entries' lines (a browser's cached copy):
    # each entry carried its page id ("pf").
    import gzip
    import json

    from publish_support import card_list

    data = card_list(fresh_site["root"])
    data["cards"] = [{**entry, "pf": pf} for entry, pf in zip(data["cards"], data.pop("ids"), strict=True)]
    (fresh_site["root"] / "cards.json.gz").write_bytes(
        gzip.compress(json.dumps(data, ensure_ascii=False).encode()))
    search_cold(page, fresh_site["url"] + "index.html", "kiertopalkinto")
    wait_titles(page, ["Kuntien välinen yhteistyö aluetyössä"])
    page.evaluate("() => { document.getElementById('q').value = ''; }")
    page.select_option("#f-target", "older-people")
    wait_titles(page, ["Kulttuurikaveritoiminta", "Kulturvän för äldre"])


def test_a_place_named_in_the_other_language_finds_its_cards(site, page):
    # A Swedish speaker looks for "Esbo", a Finnish one for "Maarianhamina": each card names
    # its places in its own language, and the other language's names are in the index too.
    for index in ("index.html", "sv/index.html"):
        page.goto(site["url"] + index)
        page.wait_for_selector("#finder:not([hidden])")
        page.fill("#q", "Esbo")  # Espoo, on the Finnish card
        wait_titles(page, ["Kuntien välinen yhteistyö aluetyössä"])
        page.fill("#q", "Uleåborg")  # Oulu
        wait_titles(page, ["Kulttuurikaveritoiminta"])
        page.fill("#q", "Maarianhamina")  # Mariehamn, on the Swedish card
        wait_titles(page, ["Kulturvän för äldre"])
        page.fill("#q", "Nyland")  # the region Uusimaa
        wait_titles(page, ["Kuntien välinen yhteistyö aluetyössä"])


def test_a_word_in_quotes_finds_what_the_word_finds(site, page):
    page.goto(site["url"] + "index.html")
    page.wait_for_selector("#finder:not([hidden])")
    page.fill("#q", '"kiertopalkinto"')
    wait_titles(page, ["Kuntien välinen yhteistyö aluetyössä"])
    page.fill("#q", "'ikäihmiset'")
    wait_titles(page, ["Kulttuurikaveritoiminta"])


def option_counts(page, facet: str) -> dict[str, str]:
    """The count beside each option of a filter, by the option's value."""
    return page.eval_on_selector_all(
        f"#f-{facet} option", "nodes => Object.fromEntries(nodes.filter(o => o.value).map("
        "o => [o.value, (o.textContent.match(/\\((\\d+)\\)$/) || [])[1]]))")


def test_the_filter_counts_follow_the_search_and_the_other_filters(site, page):
    # "Uusimaa (1)" beside a list that has no card of Uusimaa left sends the user to nothing.
    page.goto(site["url"] + "index.html")
    page.wait_for_selector("#finder:not([hidden])")
    assert option_counts(page, "region")["01"] == "1"
    page.select_option("#f-target", "older-people")
    wait_titles(page, ["Kulttuurikaveritoiminta", "Kulturvän för äldre"])
    page.wait_for_function("document.querySelector('#f-region option[value=\"01\"]')"
                           ".textContent.endsWith('(0)')", timeout=10_000)
    regions = option_counts(page, "region")
    assert (regions["01"], regions["17"], regions["21"]) == ("0", "1", "1")
    assert option_counts(page, "target")["older-people"] == "2"  # its own choice left out
    page.select_option("#f-target", "")
    page.fill("#q", "kiertopalkinto")
    wait_titles(page, ["Kuntien välinen yhteistyö aluetyössä"])
    page.wait_for_function("document.querySelector('#f-municipality option[value=\"564\"]')"
                           ".textContent.endsWith('(0)')", timeout=10_000)
    assert option_counts(page, "municipality")["091"] == "1"
    page.fill("#q", "")
    page.wait_for_function("document.querySelector('#f-municipality option[value=\"564\"]')"
                           ".textContent.endsWith('(1)')", timeout=10_000)


def test_each_list_page_says_its_number_in_the_title(paged_site, browser):
    # Without JavaScript a reader goes through the list by its pages: the title (the tab, the
    # history, what a screen reader says first) tells them apart.
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        titles = {}
        for path in ("index.html", "sivu/2/index.html", "sivu/3/index.html", "sv/sida/3/index.html"):
            page.goto(paged_site["url"] + path)
            titles[path] = page.title()
        assert titles["index.html"] == "Kulttuuria yhteistuumin – hyvät käytännöt"
        assert titles["sivu/2/index.html"] == "Kulttuuria yhteistuumin – hyvät käytännöt – sivu 2/3"
        assert titles["sivu/3/index.html"].endswith(" – sivu 3/3")
        assert titles["sv/sida/3/index.html"].endswith(" – sida 3/3")
    finally:
        context.close()


def test_the_language_switch_of_a_list_keeps_its_search_and_filters(site, page):
    page.goto(site["url"] + "index.html")
    page.wait_for_selector("#finder:not([hidden])")
    page.select_option("#f-target", "older-people")
    page.fill("#q", "konserter")
    wait_titles(page, ["Kulturvän för äldre"])
    page.click("header a[hreflang]")
    page.wait_for_selector("#finder:not([hidden])")
    assert page.evaluate("document.documentElement.lang") == "sv"
    wait_titles(page, ["Kulturvän för äldre"])
    assert page.input_value("#q") == "konserter"
    assert page.input_value("#f-target") == "older-people"
    page.goto(site["url"] + "sv/index.html?region=17")  # a shared link, switched at once
    page.wait_for_selector("#finder:not([hidden])")
    page.click("header a[hreflang]")
    page.wait_for_selector("#finder:not([hidden])")
    wait_titles(page, ["Kulttuurikaveritoiminta"])
    assert page.input_value("#f-region") == "17"


def test_opened_from_disk_a_paged_list_says_its_search_covers_this_page_only(paged_site, page):
    # From disk the search and the filters only see the page's own cards: "sirkus" on the
    # first page finds nothing although a card on page 3 has it; the note must say so, and a
    # later page, whose filters cannot load their options, shows no empty filters.
    page.goto((paged_site["root"] / "index.html").as_uri())
    page.wait_for_selector("#finder:not([hidden])")
    assert "vain tämän sivun" in page.inner_text("#from-disk")
    assert page.is_visible("#f-municipality")
    page.goto((paged_site["root"] / "sv/sida/2/index.html").as_uri())
    page.wait_for_selector("#finder:not([hidden])")
    assert "bara korten på den här sidan" in page.inner_text("#from-disk")
    assert page.is_hidden("#f-municipality") and page.is_visible("#q")


def test_a_keyword_in_the_other_language_finds_the_cards_of_its_concept(site, page):
    # The Turku card is tagged "kirjasto" (the concept library): a Swedish speaker searches
    # "bibliotek", on either site.
    for index in ("sv/index.html", "index.html"):
        page.goto(site["url"] + index)
        page.wait_for_selector("#finder:not([hidden])")
        page.fill("#q", "bibliotek")
        wait_titles(page, ["Lukudiplomi aikuisille"])


def test_show_more_moves_the_keyboard_focus_to_the_first_card_it_added(paged_site, page):
    # The last "Näytä lisää" hides its own button: the focus fell back to the top of the page
    # and a keyboard user had to tab through the form again to reach the new cards.
    page.goto(paged_site["url"] + "index.html?municipality=091")
    page.wait_for_selector("#more:not([hidden])")
    page.focus("#more")
    page.keyboard.press("Enter")
    page.wait_for_selector("#more", state="hidden")
    focused = page.evaluate(
        "() => { const e = document.activeElement; const card = e.closest('#cards > li'); "
        "const cards = Array.from(document.querySelectorAll('#cards > li')); "
        "return [e.tagName, card ? cards.indexOf(card) : -1]; }")
    assert focused == ["A", 3]
