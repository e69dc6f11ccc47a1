"""Publish the knowledge bank: a static site of the approved practices, JSON and Markdown.

The site (``outputs/site`` or ``--out``) is what a web server serves: the cards, the lists,
search, ``practices.json`` and its schema. The Markdown for the site's CMS, one file a
practice, goes to a folder of its own beside it (``outputs/cms`` or ``--cms``): a CMS or a
static site generator builds from it, no visitor reads it.

The output is a pure function of the database: pages are rendered in memory, compared with
what is on disk and written only when their bytes differ (files nobody asked for any more are
removed), so a republish after one change rewrites a handful of files. Full-text search is one
prebuilt Pagefind bundle of the card pages with an index per language (each card page carries
the language it was written in, so Swedish cards get Swedish word rules); both interfaces
search both languages. It is built again only when a card page changed. Pagefind's output is
deterministic for the same pages.

A practice's page lives at ``<id>-<slug>/``; the first publish stores the slug in the
database (``Practice.published_slug``), so a later title correction keeps the address.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
from collections import Counter
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .cards import SECTIONS, Card, CardContact, duplicates_by_original, load_cards, target_group_label
from .errors import InputError, SurveyError
from .normalise import Vocabulary, load_vocabulary
from .reports import count_phrase, plural
from .sitepages import (
    PAGES,
    SCHEMA_FILE,
    json_ld,
    page_context,
    render_fixed_pages,
    root_of,
    schema_file,
    site_title,
    sitemap,
)
from .survey import Survey, fold, workspace_survey

if TYPE_CHECKING:
    import jinja2
    from sqlmodel import Session

    from .config import Settings
    from .workspace import Workspace

#: Cards on one page of the list; the index loads this many, a search loads cards.json.
PAGE_SIZE = 48
#: cards.json as the site keeps it: gzipped (0.5 MB instead of 2.3 at 5,000 cards), as
#: Pagefind keeps its own files; site.js unpacks it (or takes it as it came, when a server
#: sent it with Content-Encoding: gzip and the browser unpacked it already).
CARD_LIST = "cards.json.gz"
#: Characters of a card's summary in the list, cards.json, the meta description and JSON-LD
#: (cut at a word). 120, not 160: the same teaser is said four times a practice (the card's
#: meta description and JSON-LD, its entry in the Finnish and the Swedish list), 0.8 MB of
#: the site at 5,000 practices; 120 characters is what a search result shows on a phone.
TEASER = 120
#: Bump when the code (not a template) changes what a page or a Markdown file holds, so that
#: the next publish renders every practice again. 2: numeric-looking YAML strings quoted;
#: 3: page metadata, JSON-LD and links from a card to the filtered list; 4: leaner pages;
#: 5: leaner card and list pages (the index told what to leave out; fewer attributes);
#: 7: a shorter teaser (120 characters); 8: the JSON-LD identifier of a place as text;
#: 9: a card's facts with their filter values for card.js, one JSON-LD Audience;
#: 10: no JSON-LD Audience on a card naming no target group.
RENDER_REVISION = 10
#: How long a publish waits for another one on the same database before it gives up (s).
PUBLISH_LOCK_WAIT = 10 * 60
#: The file that marks a folder as a site made by ``publish`` (so it may remove stale files).
SITE_MARKER = ".yhteistuumin-site.json"
#: Beside it, what a republish reuses: every practice's hashes and cards.json entry, the list
#: pages' hashes (gzipped JSON; not served).
SITE_CACHE = ".yhteistuumin-site.cache.json.gz"
#: Beside a search bundle ``pagefind/``, not in it: what it was built from (gzipped JSON:
#: page -> sha256, contacts' hashes, page ids), ``.pagefind.state.json.gz``. A dot file of
#: publish's like the manifest: nobody's browser reads it, so it is not served with the bundle.
INDEX_STATE = ".{}.state.json.gz"
#: Pagefind bundle files we do not use (we drive the JS API with our own controls).
_PAGEFIND_UNUSED = re.compile(r"^pagefind-(component-ui|modular-ui|ui|highlight)\.(js|css)$")
_MARKER_TEXT = ("This folder is written by `yhteistuumin publish`; files it does not know are "
                "removed on the next publish.\n")
#: The CMS folder's default name (under outputs/) and the file that marks it as publish's.
CMS_FOLDER = "cms"
CMS_MARKER = ".yhteistuumin-cms.json"

#: Interface texts of the site, in Finnish and Swedish.
UI: dict[str, dict[str, Any]] = {
    "fi": {
        "skip": "Siirry sisältöön", "footer": "Kulttuuria yhteistuumin – kuntien kulttuuripalvelujen "
        "hyvät käytännöt.", "intro": "Kuntien kulttuuripalvelujen hyviä käytäntöjä. Hae tai rajaa "
        "maakunnan, kunnan, avainsanan tai kohderyhmän mukaan.",
        "search_label": "Hae käytännöistä", "all": "Kaikki", "reset": "Tyhjennä",
        "region": "Maakunta", "municipality": "Kunta", "keyword": "Avainsana",
        "target": "Kenelle", "count_one": "{n} käytäntö", "count_many": "{n} käytäntöä",
        "searching": "Haetaan…", "search_error": "Haku ei ole käytettävissä.",
        "from_disk": "Sivu on avattu suoraan tiedostosta, joten haku ja rajaus koskevat vain "
        "tämän sivun kortteja ja niiden näkyviä tekstejä. Kaikkien käytäntöjen koko tekstin haku "
        "toimii, kun sivusto on verkkopalvelimella.",
        "back": "Kaikki käytännöt", "good_practice": "Hyvä käytäntö",
        "contact": "Yhteystiedot", "status_title": "Kyselykierroksen tilanne",
        "status_caption": "Kunnat, kutsut, vastaukset ja käytännöt maakunnittain",
        "total": "Yhteensä",
        "accessibility": "Saavutettavuusseloste", "privacy": "Tietosuojaseloste",
        "index_description": "Kuntien kulttuuripalvelujen hyviä käytäntöjä eri puolilta "
        "Suomea: hae ja rajaa maakunnan, kunnan, avainsanan tai kohderyhmän mukaan.",
        "accessibility_description": "Kulttuuria yhteistuumin -sivuston saavutettavuusseloste: "
        "vaatimustenmukaisuus, tunnetut puutteet ja palautekanava.",
        "privacy_description": "Tietosuojaseloste: miten sivustolla julkaistuja yhteystietoja "
        "käsitellään ja miten voit käyttää oikeuksiasi.",
        "print": "Tulosta", "languages": "Kieli",
        "empty": "Hakuehdoilla ei löytynyt käytäntöjä. Kokeile poistaa jokin rajaus tai hae "
        "yleisemmällä sanalla.",
        "common_keywords": "Yleisimmät avainsanat:",
        "more": "Näytä lisää", "pages": "Sivut", "page_of": "sivu {n}/{pages}",
        "previous": "Edellinen sivu", "next": "Seuraava sivu",
    },
    "sv": {
        "skip": "Hoppa till innehållet", "footer": "Kulttuuria yhteistuumin – goda exempel "
        "från kommunernas kulturtjänster.", "intro": "Goda exempel från kommunernas "
        "kulturtjänster. Sök eller avgränsa efter landskap, kommun, nyckelord eller målgrupp.",
        "search_label": "Sök bland exemplen", "all": "Alla", "reset": "Rensa",
        "region": "Landskap", "municipality": "Kommun", "keyword": "Nyckelord",
        "target": "För vem", "count_one": "{n} gott exempel", "count_many": "{n} goda exempel",
        "searching": "Söker…", "search_error": "Sökningen är inte tillgänglig.",
        "from_disk": "Sidan är öppnad direkt från en fil, så sökningen och avgränsningen gäller "
        "bara korten på den här sidan och deras synliga texter. Fulltextsökningen bland alla goda "
        "exempel fungerar när webbplatsen ligger på en webbserver.",
        "back": "Alla goda exempel", "good_practice": "God praxis",
        "contact": "Kontaktuppgifter", "status_title": "Läget i enkätomgången",
        "status_caption": "Kommuner, inbjudningar, svar och goda exempel per landskap",
        "total": "Totalt",
        "accessibility": "Tillgänglighetsutlåtande", "privacy": "Dataskyddsbeskrivning",
        "index_description": "Goda exempel från kommunernas kulturtjänster runt om i Finland: "
        "sök och avgränsa efter landskap, kommun, nyckelord eller målgrupp.",
        "accessibility_description": "Tillgänglighetsutlåtande för webbplatsen Kulttuuria "
        "yhteistuumin: överensstämmelse, kända brister och hur du ger respons.",
        "privacy_description": "Dataskyddsbeskrivning: hur kontaktuppgifterna på webbplatsen "
        "behandlas och hur du använder dina rättigheter.",
        "print": "Skriv ut", "languages": "Språk",
        "empty": "Inga goda exempel motsvarar sökningen. Ta bort en avgränsning eller sök med "
        "ett mer allmänt ord.",
        "common_keywords": "De vanligaste nyckelorden:",
        "more": "Visa fler", "pages": "Sidor", "page_of": "sida {n}/{pages}",
        "previous": "Föregående sida", "next": "Nästa sida",
    },
}


@dataclass
class PublishResult:
    """What a publish did: the site folder, the practices, the files written and removed."""

    out: Path
    practices: int
    written: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    #: The folder of the Markdown for the CMS (not served), and its files written and removed.
    cms: Path | None = None
    cms_written: list[str] = field(default_factory=list)
    cms_removed: list[str] = field(default_factory=list)
    cms_unchanged: int = 0
    #: "all" when every card was indexed, "changes" when only the cards changed since the full
    #: index were (into its changes bundle), "" when the search index was current.
    indexed: str = ""
    #: The languages of the search index (one index each, with its own word rules).
    languages: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: (duplicate, original): decided duplicates published on their original's card.
    merged: list[tuple[int, int]] = field(default_factory=list)
    #: Two published practices, one flagged as possibly the same as the other (lower id first).
    unanswered: list[tuple[int, int]] = field(default_factory=list)
    #: (duplicate, original): decided duplicates whose original is not published.
    unpublished_originals: list[tuple[int, int]] = field(default_factory=list)

    failed = False

    def summary(self) -> list[str]:
        return [f"Published {plural(self.practices, 'practice')} to {self.out}",
                f"  {len(self.written)} files written, {self.unchanged} unchanged, "
                f"{len(self.removed)} removed; search index: " + {
                    "all": f"every card indexed ({', '.join(self.languages) or 'empty'})",
                    "changes": "the cards changed since the full index indexed beside it"}.get(
                    self.indexed, "unchanged"),
                *([f"  Markdown for the CMS in {self.cms}: {plural(len(self.cms_written), 'file')} "
                   f"written, {self.cms_unchanged} unchanged, {len(self.cms_removed)} removed"]
                  if self.cms is not None else []),
                f"  open {self.out / 'index.html'} through a web server for search "
                f"(e.g. python -m http.server -d {self.out})"]

    def warnings(self) -> list[str]:
        return [f"Note: {note}" for note in self.notes]

    def table(self) -> tuple[list[str], list[dict[str, Any]]]:
        cms = self.cms if self.cms is not None else Path()
        return ["file", "change"], [*({"file": f, "change": "written"} for f in self.written),
                                    *({"file": f, "change": "removed"} for f in self.removed),
                                    *({"file": str(cms / f), "change": "written"}
                                      for f in self.cms_written),
                                    *({"file": str(cms / f), "change": "removed"}
                                      for f in self.cms_removed)]

    def to_dict(self) -> dict[str, Any]:
        return {"out": str(self.out), "practices": self.practices, "written": len(self.written),
                "removed": len(self.removed), "unchanged": self.unchanged,
                "cms": str(self.cms) if self.cms is not None else None,
                "cms_written": len(self.cms_written), "cms_removed": len(self.cms_removed),
                "cms_unchanged": self.cms_unchanged,
                "search_index": self.indexed or "unchanged",
                "search_languages": list(self.languages),
                "notes": list(self.notes),
                "merged_duplicates": [{"duplicate": d, "original": o} for d, o in self.merged],
                "unanswered_duplicate_flags": [list(pair) for pair in self.unanswered],
                "duplicates_of_unpublished": [{"duplicate": d, "original": o}
                                              for d, o in self.unpublished_originals]}


# --- rendering ---------------------------------------------------------------------------


@lru_cache(maxsize=65536)
def facet_value(text: str) -> str:
    """Return the filter value of a keyword or a target group: folded, hyphens for spaces."""
    return fold(text).replace(" ", "-") or "-"


def _shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0].rstrip(",.;:–- ")
    return cut + "…"


def _paragraphs(text: str) -> Any:
    from markupsafe import Markup, escape

    # Escape the whole text once (markupsafe's C speedups), then split: escaping leaves
    # whitespace and line breaks alone, and 30,000 sections built piece by piece as Markup
    # took a fifth of a full publish's rendering.
    html = str(escape(text.replace("\r\n", "\n")))
    parts = [part.strip() for part in re.split(r"\n\s*\n", html) if part.strip()]
    return Markup("\n".join("<p>" + "<br>\n".join(part.splitlines()) + "</p>" for part in parts))


#: An email address inside a contact written as free text (linked on the card).
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def _contact_lines(contact: CardContact) -> Any:
    """Return a card's contact as lines of HTML, its email addresses linked.

    A contact written as free text keeps the respondent's own wording: its name, email and
    phone were read from that text, so showing them as well would say everything twice.
    """
    from markupsafe import Markup, escape

    if contact.text:
        lines = [line.strip() for line in contact.text.splitlines() if line.strip()]
    else:
        lines = [part for part in (contact.name, contact.email, contact.phone) if part]

    def linked(line: str) -> Markup:
        html, at = Markup(""), 0
        for match in _EMAIL.finditer(line):
            html += escape(line[at:match.start()])
            html += Markup('<a href="mailto:{0}">{0}</a>').format(match.group())
            at = match.end()
        return html + escape(line[at:])

    return Markup("<br>\n").join(linked(line) for line in lines)


def _other_names(card: Card, vocabulary: Vocabulary) -> Any:
    """The attributes that put a card's places and keywords in the other language into the
    search index: once on its facts list, not on each link.

    A card names its places in its own language; a Swedish speaker searches "Esbo" and
    "Nyland", a Finnish one "Maarianhamina", and "bibliotek" finds a Finnish card's
    "kirjasto" (the keyword's concept in the other language). Pagefind indexes the
    attribute's text with the card's words (nothing shows on the page). One attribute a card,
    each name once: on every link, the attribute and Pagefind's marker took 240 bytes of a
    card page. No attribute when every name is the same in both languages.
    """
    from markupsafe import Markup

    other = "fi" if card.lang == "sv" else "sv"
    names: dict[str, None] = {}
    shown = ({place.name(card.lang).casefold() for place in card.municipalities}
             | {region.name(card.lang).casefold() for region in card.regions}
             | {keyword.casefold() for keyword in card.keywords})
    pairs = [*((place.name(other), place.name(card.lang)) for place in card.municipalities),
             *((region.name(other), region.name(card.lang)) for region in card.regions),
             *((keyword_facets(keyword, vocabulary, other)[0][1], keyword) for keyword in card.keywords)]
    for name, own in pairs:
        if name and name.casefold() != own.casefold() and name.casefold() not in shown:
            names.setdefault(name, None)
    if not names:
        return Markup("")
    return Markup(' data-alt="{}" data-pagefind-index-attrs="data-alt"').format(" ".join(names))


#: A card's facts: the letter of each one's filter values on its dd (data-m …), and the
#: list's parameter that card.js links it with.
FACT_PARAMETERS = {"m": "municipality", "r": "region", "k": "keyword", "t": "target"}


def _fact(card: Card, key: str, list_url: str, vocabulary: Vocabulary) -> Any:
    """Return one fact of a card as a ``<dd>``: its names, each linked to the list filtered on it.

    The links are made in the browser (``static/card.js``) from the filter values written
    once on the ``dd`` (``data-k="music theatre"`` beside "musiikki, teatteri"): ten links a
    card were 1.3 MB of the site at 5,000 cards, and the list filters only with JavaScript,
    so without it a link led to the whole list. A fact whose names cannot be told apart by
    their commas, or whose values hold a space, is written as links here.
    """
    from markupsafe import Markup

    lang = card.lang
    if key == "m":
        pairs = [(place.code, place.name(lang)) for place in card.municipalities]
    elif key == "r":
        pairs = [(region.code, region.name(lang)) for region in card.regions]
    elif key == "k":
        pairs = [(keyword_facets(keyword, vocabulary)[0][0], keyword) for keyword in card.keywords]
    else:
        pairs = [(facet_value(value), label) for value, label in card.target_group]
    if any(", " in label for _, label in pairs) or any(not value or " " in value for value, _ in pairs):
        links = Markup(", ").join(
            Markup('<a href="{}?{}={}">{}</a>').format(list_url, FACT_PARAMETERS[key], value, label)
            for value, label in pairs)
        return Markup("<dd>{}</dd>").format(links)
    return Markup('<dd data-{}="{}">{}</dd>').format(
        key, " ".join(value for value, _ in pairs), ", ".join(label for _, label in pairs))


def site_environment(workspace: Workspace) -> jinja2.Environment:
    """Return the template environment with the site's filters (autoescape for ``.html``)."""
    from jinja2 import FileSystemBytecodeCache

    from .templating import make_environment

    env = make_environment(workspace)
    # A publish renders one template 5,000 times: compile it once, not stat it on every render.
    env.auto_reload = False
    # Compiled templates are kept between runs (the user's own folder under the system's
    # temporary one, keyed by the template's text): compiling them was a tenth of a republish.
    env.bytecode_cache = FileSystemBytecodeCache()
    env.filters["place_name"] = lambda place, lang: place.name(lang)
    env.filters["shorten"] = _shorten
    env.filters["paragraphs"] = _paragraphs
    env.filters["contact_lines"] = _contact_lines
    env.filters["facet"] = facet_value
    vocabulary = load_vocabulary(workspace)
    # A card's keyword links to the list filtered on its concept (the filter's value).
    env.filters["keyword_facet"] = lambda keyword: keyword_facets(keyword, vocabulary)[0][0]
    # A card's fact: its names, with its filter values for card.js to link them.
    env.filters["fact"] = lambda card, key, list_url: _fact(card, key, list_url, vocabulary)
    # The card's places and keywords in the other language, for the search (once a card).
    env.filters["other_names"] = lambda card: _other_names(card, vocabulary)
    return env


def _render(env: jinja2.Environment, name: str, context: dict[str, Any]) -> str:
    from .templating import render_template

    return render_template(env, name, context)


def keyword_facets(keyword: str, vocabulary: Vocabulary, lang: str = "fi") -> list[tuple[str, str]]:
    """Return the (filter value, label in ``lang``) pairs a keyword as typed is found under: its
    concept and the concepts broader than it ("kylät" under villages and rural areas), or the
    keyword itself when the vocabulary links it to no concept."""
    entry = vocabulary.concept_of(keyword)
    if entry is None:
        return [(facet_value(keyword), keyword)]
    found: list[tuple[str, str]] = []
    while entry is not None and all(entry.id != value for value, _ in found):
        found.append((entry.id, entry.label(lang)))
        entry = vocabulary.concept(entry.broader) if entry.broader else None
    return found


def _facets(card: Card, vocabulary: Vocabulary,
            known: dict[str, list[tuple[str, str]]] | None = None) -> dict[str, list[str]]:
    """Return a card's keyword and target group filter values; ``known`` keeps each keyword's
    concepts for the next card (a few dozen keywords over thousands of cards)."""
    known = {} if known is None else known
    for keyword in card.keywords:
        if keyword not in known:
            known[keyword] = keyword_facets(keyword, vocabulary)
    return {"keyword": sorted({value for k in card.keywords for value, _ in known[k]}),
            "target": sorted({facet_value(v) for v, _ in card.target_group})}


_COLLATION = str.maketrans({"å": "{", "ä": "|", "ö": "}", "æ": "|", "ø": "}"})


def collation_key(text: str) -> str:
    """Return a sort key in Finnish and Swedish alphabetical order: å, ä and ö after z.

    Plain folding would sort Päijät-Häme before Pirkanmaa; other accents (é, ü) sort as their
    base letter.
    """
    import unicodedata

    marked = text.lower().translate(_COLLATION)
    return "".join(ch for ch in unicodedata.normalize("NFKD", marked) if not unicodedata.combining(ch))


def _filter_options(cards: list[Card], ui: dict[str, Any], survey: Survey,
                    vocabulary: Vocabulary, lang: str = "fi") -> list[dict[str, Any]]:
    """Return the filters of the index: every option with its label in ``lang`` and its count."""
    # Counted over the codes and values in C (Counter over generators); the labels are looked
    # up once per place, concept and target group, not once per card.
    regions = {region.code: region for card in cards for region in card.regions}
    places = {place.code: place for card in cards for place in card.municipalities}
    concepts = {keyword: keyword_facets(keyword, vocabulary, lang)
                for keyword in {keyword for card in cards for keyword in card.keywords}}
    targets = {value: (facet_value(value), target_group_label(value, survey, lang))
               for value in {value for card in cards for value, _ in card.target_group}}
    counts: dict[str, Counter[str]] = {
        "region": Counter(region.code for card in cards for region in card.regions),
        "municipality": Counter(place.code for card in cards for place in card.municipalities),
        "keyword": Counter(value for card in cards for value in dict.fromkeys(
            value for keyword in card.keywords for value, _ in concepts[keyword])),
        "target": Counter(facet for card in cards for facet in dict.fromkeys(
            targets[value][0] for value, _ in card.target_group))}
    labels: dict[str, dict[str, str]] = {
        "region": {code: region.name(lang) for code, region in regions.items()},
        "municipality": {code: place.name(lang) for code, place in places.items()},
        "keyword": {}, "target": {}}
    # An option's label from the first keyword (in card order) that names it.
    for keyword in dict.fromkeys(keyword for card in cards for keyword in card.keywords):
        for value, label in concepts[keyword]:
            labels["keyword"].setdefault(value, label)
    for value in dict.fromkeys(value for card in cards for value, _ in card.target_group):
        labels["target"].setdefault(*targets[value])

    def ordered(options: dict[str, str]) -> list[tuple[str, str]]:
        return sorted(options.items(), key=lambda item: (collation_key(item[1]), item[0]))

    return [{"name": name, "label": ui[name], "options": ordered(labels[name]),
             "counts": dict(counts[name])} for name in labels]


def common_keywords(filters: list[dict[str, Any]], limit: int = 8) -> list[tuple[str, str]]:
    """Return the most common keywords (value, label), for a search that finds nothing."""
    keyword = next(f for f in filters if f["name"] == "keyword")
    labels = dict(keyword["options"])
    top = sorted(keyword["counts"].items(), key=lambda item: (-item[1], collation_key(labels[item[0]])))
    return [(value, labels[value]) for value, _ in top[:limit]]


def _card_url(card: Card, base_url: str) -> str:
    return (base_url.rstrip("/") + "/" if base_url else "") + card.path + "/"


#: Text that a YAML 1.2 reader (js-yaml 4, Go, ruamel) takes for a number, though PyYAML's
#: YAML 1.1 leaves it unquoted: ``049`` (Espoo), ``0409876543``, ``1e3``.
_NUMBER_LIKE = re.compile(r"[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9_]+)(?:[eE][-+]?[0-9]+)?")


@lru_cache(maxsize=1)
def _front_matter_dumper() -> Any:
    """Return a YAML dumper that quotes every string a YAML reader could take for a number."""
    import yaml

    base = getattr(yaml, "CSafeDumper", yaml.SafeDumper)  # libyaml: 20x faster on 5,000 cards

    def represent_str(dumper: Any, value: str) -> Any:
        style = "'" if _NUMBER_LIKE.fullmatch(value) else None
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)

    dumper: Any = type("FrontMatterDumper", (base,), {})
    dumper.add_representer(str, represent_str)
    return dumper


def _markdown(card: Card, url: str) -> str:
    import yaml

    data = card.to_dict()
    front = {
        "id": card.id, "title": card.title, "url": url, "language": card.language,
        "municipalities": [{"code": m["code"], "name": m["name_sv" if card.lang == "sv" else "name_fi"]}
                           for m in data["municipalities"]],
        "regions": [{"code": r["code"], "name": r["name_sv" if card.lang == "sv" else "name_fi"]}
                    for r in data["regions"]],
        "keywords": list(card.keywords),
        "target_group": [label for _, label in card.target_group],
    }
    if data["contact"] is not None:
        front["contact"] = data["contact"]

    lines = ["---", yaml.dump(front, Dumper=_front_matter_dumper(), sort_keys=False,
                              allow_unicode=True, width=1000).rstrip(),
             "---", "", f"# {markdown_text(card.title)}", ""]
    for name in SECTIONS:
        if card.sections.get(name):
            lines += [f"## {card.labels[name]}", "", markdown_text(card.sections[name]), ""]
    return "\n".join(lines)


#: Characters that start inline markup anywhere (emphasis, code, links, images, attributes):
#: backslash-escaped, which CommonMark and python-markdown both honour for these.
_MD_INLINE = re.compile(r"([\\`*_\[\]{}])")
#: Characters a backslash does not escape in python-markdown: written as character references.
_MD_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "|": "&#124;", "~": "&#126;"}
_MD_ENTITY = re.compile("[" + re.escape("".join(_MD_ENTITIES)) + "]")
#: What makes a block at the start of a line: a heading, list item, quote (``>`` is already an
#: entity), thematic break or setext underline; and an ordered list's ``1.`` / ``1)``.
_MD_LINE_START = re.compile(r"^([#+\-=]|\d{1,9}(?=[.)]))")


def markdown_text(text: str) -> str:
    """Return answer text as Markdown that renders as exactly that text, no markup from it.

    Inline specials are escaped everywhere; ``& < > | ~`` become character references (raw
    HTML, entities, tables, strikethrough); each line loses its leading and trailing spaces (an
    indented code block, a hard line break) and a character that would open a block at the
    start of a line is escaped (``#``, ``-``, ``+``, ``=``, ``1.``, ``1)``).
    """
    out = []
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        # A regex pass, not str.translate: translate looks every character of a long line up
        # in the table in Python's slow path (multi-character replacements), a second at
        # 5,000 cards; most lines have none of these characters.
        line = _MD_ENTITY.sub(lambda found: _MD_ENTITIES[found.group()], line.strip())
        line = _MD_INLINE.sub(r"\\\1", line)
        match = _MD_LINE_START.match(line)
        if match:
            if match.group(1) == "=":
                line = "&#61;" + line[1:]
            elif match.group(1)[0].isdigit():
                end = match.end()
                line = line[:end] + "\\" + line[end:]
            else:
                line = "\\" + line
        out.append(line)
    return "\n".join(out)


def _card_view(card: Card, facets: dict[str, list[str]]) -> dict[str, Any]:
    """Precompute what the index shows of a card (keeps the 5,000-card index render fast)."""
    lang = card.lang
    return {
        "card": card, "lang": lang,
        "municipalities": ", ".join(place.name(lang) for place in card.municipalities),
        "keywords": ", ".join(card.keywords),
        # The teaser of the list: the same characters as the card's meta description.
        "summary": _shorten(card.sections.get("summary", ""), TEASER),
        # The filter values as one string, the facet's first letter and the value (site.js
        # reads one string a card faster than four lists; one attribute, not four).
        "facets": " " + "".join(f"{facet[0]}:{value} " for facet, values in (
            ("region", [region.code for region in card.regions]),
            ("municipality", [place.code for place in card.municipalities]),
            ("keyword", facets["keyword"]), ("target", facets["target"])) for value in values),
    }


def _generator_hash(workspace: Workspace, settings: Settings) -> str:
    """Hash everything besides the data that shapes the pages: templates, texts, settings."""
    from . import __version__
    from .resources import bundled_path

    digest = hashlib.sha256(f"{__version__} {RENDER_REVISION} {sorted(UI['fi'].items())} "
                            f"{sorted(UI['sv'].items())} {settings.get('site.title')} "
                            f"{settings.get('site.title_sv')} "
                            f"{settings.get('site.base_url')}".encode())
    for folder in (bundled_path("templates/site"), workspace.root / "templates/site"):
        if folder.is_dir():
            for path in sorted(folder.rglob("*")):
                if path.is_file():
                    digest.update(f"{path.relative_to(folder).as_posix()}\n".encode())
                    digest.update(hashlib.sha256(path.read_bytes()).digest())
    survey = workspace_survey(workspace)
    if survey.path is not None:
        digest.update(hashlib.sha256(survey.path.read_bytes()).digest())
    vocabulary = load_vocabulary(workspace)  # the keyword filters follow its concepts
    if vocabulary.path is not None:
        digest.update(hashlib.sha256(vocabulary.path.read_bytes()).digest())
    return digest.hexdigest()


def _input_hash(line: bytes, card: Card, facets: dict[str, list[str]]) -> str:
    """Hash what a practice's files are made of: its JSON line (the card and its URL) and the rest."""
    rest = json.dumps([card.lang, card.path, facets], sort_keys=True, ensure_ascii=False)
    digest = hashlib.sha256(line)  # the line as it goes into practices.json: encoded once
    digest.update(f"\n{_labels_json(card.labels)}\n{rest}".encode())
    return digest.hexdigest()


def _labels_json(labels: dict[str, str]) -> str:
    """Return a card's headings as JSON, made once for the many cards that share them."""
    key = id(labels)
    cached = _LABELS_JSON.get(key)
    if cached is None or cached[0] is not labels:
        cached = (labels, json.dumps(labels, sort_keys=True, ensure_ascii=False))
        _LABELS_JSON[key] = cached
    return cached[1]


_LABELS_JSON: dict[int, tuple[dict[str, str], str]] = {}


@dataclass
class RenderedSite:
    """The site's files rendered this time, and the pages known unchanged (not rendered again)."""

    files: dict[str, bytes]
    kept: dict[str, str]  # path -> sha256 of pages reused from the previous publish
    page_sha: dict[str, str]  # every practice page -> its sha256
    entries: dict[str, dict[str, Any]]  # the manifest entry of every practice, by id
    generator: str
    facets: dict[int, dict[str, list[str]]]
    cms: dict[str, bytes] = field(default_factory=dict)  # Markdown files rendered this time
    cms_kept: dict[str, str] = field(default_factory=dict)  # Markdown files known unchanged


def render_site(workspace: Workspace, cards: list[Card], *, settings: Settings,
                previous: dict[str, Any] | None = None, existing: set[str] | None = None,
                cms_existing: set[str] | None = None,
                progress: Callable[[int], None] | None = None) -> RenderedSite:
    """Render the practice pages, the Markdown, practices.json and the static files.

    Pages whose inputs did not change since the ``previous`` manifest (and that are still
    among the ``existing`` files, their Markdown among ``cms_existing``) are not rendered
    again. The list pages come later
    (``render_index``), and cards.json, whose entries carry the search index's page ids.
    """
    env = site_environment(workspace)
    base_url = str(settings.get("site.base_url") or "")
    generator = _generator_hash(workspace, settings)
    old: dict[str, Any] = {}
    if previous and previous.get("generator") == generator:
        old = previous.get("practices") or {}
    files: dict[str, bytes] = {}
    kept: dict[str, str] = {}
    cms: dict[str, bytes] = {}
    cms_kept: dict[str, str] = {}
    in_cms = cms_existing or set()
    page_sha: dict[str, str] = {}
    entries: dict[str, Any] = {}
    vocabulary = load_vocabulary(workspace)
    known: dict[str, list[tuple[str, str]]] = {}
    facets = {card.id: _facets(card, vocabulary, known) for card in cards}
    practices: list[bytes] = []
    on_disk = existing or set()
    for card in cards:
        url = _card_url(card, base_url)
        line = json.dumps({**card.to_dict(), "url": url}, ensure_ascii=False, sort_keys=True,
                          separators=(",", ":")).encode()
        practices.append(line)
        page, markdown = f"{card.path}/index.html", f"{card.path}.md"
        digest = _input_hash(line, card, facets[card.id])
        before = old.get(str(card.id))
        if (before and before.get("input") == digest and before.get("path") == card.path
                and page in on_disk and markdown in in_cms):
            kept[page], cms_kept[markdown] = before["page_sha"], before["md_sha"]
            entries[str(card.id)] = dict(before)
        else:
            lang = card.lang
            content_lang = (card.language or lang).split("-")[0].lower() or lang
            html = _render(env, "site/practice.html.j2", {
                **page_context(page, lang, settings=settings,
                               description=_shorten(card.sections.get("summary") or "", TEASER)),
                "content_lang": content_lang, "site_title": site_title(settings, lang), "ui": UI[lang],
                "card": card, "sections": SECTIONS,
                "list_url": "../" + PAGES["index"][lang],
                "json_ld": json_ld(card, url=url),
                }).encode()
            md = _markdown(card, url).encode()
            files[page], cms[markdown] = html, md
            entries[str(card.id)] = {"input": digest, "path": card.path,
                                     "page_sha": hashlib.sha256(html).hexdigest(),
                                     "md_sha": hashlib.sha256(md).hexdigest()}
        page_sha[page] = entries[str(card.id)]["page_sha"]
        if progress is not None:
            progress(1)
    files["practices.json"] = _practices_json(site_title(settings, "fi"), practices)
    files[SCHEMA_FILE] = schema_file()
    files.update(render_fixed_pages(env, settings=settings))
    files["sitemap.xml"] = sitemap(
        [PAGES["index"]["fi"], PAGES["index"]["sv"], *(f"{card.path}/index.html" for card in cards),
         *(path for kind in ("accessibility", "privacy") for path in PAGES[kind].values())],
        base_url=base_url)
    for name, content in _static_files(workspace).items():
        files[f"static/{name}"] = content
    return RenderedSite(files=files, kept=kept, page_sha=page_sha, entries=entries,
                        generator=generator, facets=facets, cms=cms, cms_kept=cms_kept)


def _list_page_path(lang: str, number: int) -> str:
    """Return the path of page ``number`` of the list in ``lang`` (page 1 is the index)."""
    if number == 1:
        return PAGES["index"][lang]
    return f"sivu/{number}/index.html" if lang == "fi" else f"sv/sida/{number}/index.html"


def _list_entry(card: Card, view: dict[str, Any]) -> dict[str, Any]:
    """Return a card's entry in cards.json: what the list shows of it, and its facets. Its page
    id is in the head's ``ids`` (in the order of the entries), not in the entry again."""
    return {"u": card.path + "/", "t": card.title, "l": card.lang,
            "m": view["municipalities"], "k": view["keywords"], "s": view["summary"],
            "f": view["facets"]}


def render_card_list(cards: list[Card], rendered: RenderedSite) -> bytes:
    """Return cards.json: every card's list entry, which the index loads on the first search.

    The head is the first line: the labels, the page ids in the changes bundle and every
    entry's page id in the order of the lines that follow, one entry a line. So the browser
    finds a search's cards by their page ids and decodes and parses only those lines
    (site.js, ``catalogueOf``), not 2 MB at 5,000 cards.
    """
    labels = {lang: {"municipalities": card_labels_of(lang, cards, "municipalities"),
                     "keywords": card_labels_of(lang, cards, "keywords")} for lang in ("fi", "sv")}
    # Each card's entry is kept in the manifest; a new page id changes the head alone.
    entries = []
    ids = []
    for card in cards:
        entry = rendered.entries[str(card.id)]
        if not isinstance(entry.get("cj"), str):
            entry["cj"] = json.dumps(_list_entry(card, _card_view(card, rendered.facets[card.id])),
                                     ensure_ascii=False, separators=(",", ":"))
        entries.append(entry["cj"])
        ids.append(entry.get("pf") or "")
    # The page ids in the changes bundle: the browser checks its matches apart (site.js).
    changed = sorted(str(rendered.entries[str(card.id)].get("pf")) for card in cards
                     if rendered.entries[str(card.id)].get("pfc"))
    head = json.dumps({"labels": labels, "changed": changed, "ids": ids}, ensure_ascii=False,
                      separators=(",", ":"))
    return (head[:-1] + ',"cards":[\n' + ",\n".join(entries) + "\n]}\n").encode()


def pack_card_list(data: bytes) -> bytes:
    """Return cards.json gzipped as the site keeps it (``CARD_LIST``): the same bytes for the
    same list (no time stamp), so that a republish leaves an unchanged list as it is."""
    import gzip

    return gzip.compress(data, compresslevel=6, mtime=0)


def card_labels_of(lang: str, cards: list[Card], name: str) -> str:
    """Return a card heading in ``lang`` (from any card in that language, else Finnish)."""
    for card in cards:
        if card.lang == lang:
            return card.labels[name]
    return cards[0].labels[name] if cards else name


def render_index(workspace: Workspace, cards: list[Card], rendered: RenderedSite, *,
                 settings: Settings, search: SearchIndex, lang: str = "fi",
                 before: dict[str, str] | None = None, keys: dict[str, str] | None = None
                 ) -> dict[str, bytes]:
    """Render the list of practices in ``lang``: the index page and its numbered pages.

    Each page carries ``PAGE_SIZE`` cards and a pager, so that the index loads light at any
    size and every card is reached without JavaScript; a search loads cards.json instead. The
    cards of a page are rendered only when the page is (their inputs' hashes make its hash,
    so no rendered item needs keeping); the list pages do not name the search index's page
    ids (cards.json does), so a new index leaves them as they are. Only the first page
    carries the filters' options; the others' script reads them from ``filters.json`` beside
    it. The Finnish list is at the root, the Swedish one under ``sv/``; both list every
    practice, each card in its own language.

    A page is rendered only when what it is made of changed since the ``before`` publish
    (path -> hash of its input, of pages still on disk): its cards, or what every page shows
    (filters, counts, the search index's languages, the number of pages, the templates).
    ``keys`` receives every page's hash; the pages not rendered are not in the result.
    """
    from markupsafe import Markup

    env = site_environment(workspace)
    survey = workspace_survey(workspace)
    title = site_title(settings, lang)
    filters = _filter_options(cards, UI[lang], survey, load_vocabulary(workspace), lang)
    common = common_keywords(filters)
    pages = max(1, -(-len(cards) // PAGE_SIZE))
    files: dict[str, bytes] = {}
    before = before or {}
    keys = {} if keys is None else keys
    shared = hashlib.sha256(json.dumps(
        [rendered.generator, lang, len(cards), pages, filters, common, search.languages],
        sort_keys=True, ensure_ascii=False).encode()).hexdigest()
    # The filters' options (about 40 KB at 5,000 practices) are on the first page only; the
    # other pages' script fills them from filters.json, one file the browser keeps.
    filters_path = _filters_path(lang)
    files[filters_path] = filters_json(filters)
    keys[filters_path] = hashlib.sha256(files[filters_path]).hexdigest()
    if before.get(filters_path) == keys[filters_path]:
        del files[filters_path]
    for number in range(1, pages + 1):
        path = _list_page_path(lang, number)
        root = root_of(path)
        on_page = cards[(number - 1) * PAGE_SIZE:number * PAGE_SIZE]
        # A card's list item is made of its input (its JSON line, headings, language, path
        # and filter values: the hash in the manifest), the list's language, the page's depth
        # and the templates (in ``shared``): the page's hash is theirs, and only a page whose
        # hash changed renders its cards.
        digest = hashlib.sha256(f"{shared} {number} {root}\n".encode())
        for card in on_page:
            digest.update(f"{rendered.entries[str(card.id)]['input']}\n".encode())
        keys[path] = digest.hexdigest()
        if before.get(path) == keys[path]:
            continue
        snippets = [Markup(_render(env, "site/_card.html.j2", {  # rendered with autoescape
            "lang": lang, "root": root, "view": _card_view(card, rendered.facets[card.id]),
            "with_facets": number == 1}))
            for card in on_page]
        pager = [{"number": n, "href": root + _list_page_path(lang, n), "current": n == number}
                 if n else {"number": 0} for n in pager_numbers(number, pages)]
        files[path] = _render(env, "site/index.html.j2", {
            # The list's description on its first page only: the same one on 104 later pages
            # says nothing of them (a search engine reports it as duplicated).
            **page_context(path, lang, settings=settings,
                           description=UI[lang]["index_description"] if number == 1 else "",
                           alternates={other: _list_page_path(other, number) for other in ("fi", "sv")}),
            "site_title": title, "ui": UI[lang], "cards": snippets,
            "count": len(cards), "filters": filters, "common_keywords": common,
            "search": search, "pager": pager, "page_number": number, "pages": pages,
            "previous": root + _list_page_path(lang, number - 1) if number > 1 else "",
            "next": root + _list_page_path(lang, number + 1) if number < pages else "",
            "page_size": PAGE_SIZE,
            "filters_url": "" if number == 1 else root + filters_path}).encode()
    return files


#: A list page's pager links the pages this far either side of it, and the first and the last.
PAGER_REACH = 2


def pager_numbers(number: int, pages: int) -> list[int]:
    """Return the page numbers a list page's pager shows, 0 where it leaves some out.

    Every page links its neighbours, so a reader without JavaScript reaches every card; 105
    links on each of 210 pages (5,000 practices, two languages) would be a megabyte of pager.
    """
    if pages < 2:
        return []
    shown = sorted({1, pages, *range(max(1, number - PAGER_REACH), min(pages, number + PAGER_REACH) + 1)})
    numbers: list[int] = []
    for n in shown:
        if numbers and n - numbers[-1] == 2:
            numbers.append(n - 1)  # one page left out: its number takes no more room than "…"
        elif numbers and n - numbers[-1] > 2:
            numbers.append(0)
        numbers.append(n)
    return numbers


def _filters_path(lang: str) -> str:
    """Return where the list in ``lang`` keeps its filters' options (beside its first page)."""
    return PAGES["index"][lang].removesuffix("index.html") + "filters.json"


def filters_json(filters: list[dict[str, Any]]) -> bytes:
    """Return filters.json: each filter's options as [value, label, count], in order."""
    data = {facet["name"]: [[value, label, facet["counts"][value]] for value, label in facet["options"]]
            for facet in filters}
    return (json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n").encode()


def _practices_json(site_title: str, lines: list[bytes]) -> bytes:
    """Return practices.json: one practice a line (each encoded already), no spaces (the C
    encoder; indenting 5,000 is slow and adds bytes nobody reads). Joined once: 23 MB at
    5,000 practices, and each concatenation was a copy."""
    head = json.dumps({"site_title": site_title, "count": len(lines)}, ensure_ascii=False,
                      separators=(",", ":")).encode()
    return b"".join([head[:-1], b',"practices":[\n', b",\n".join(lines),
                     b"\n" if lines else b"", b"]}\n"])


def _static_files(workspace: Workspace) -> dict[str, bytes]:
    from .resources import bundled_path

    found: dict[str, bytes] = {}
    for folder in (bundled_path("templates/site/static"), workspace.root / "templates/site/static"):
        if folder.is_dir():
            for path in sorted(folder.iterdir()):
                if path.is_file():
                    found[path.name] = path.read_bytes()  # the workspace's copy wins
    return found


# --- writing -----------------------------------------------------------------------------


def _check_site_folder(out: Path, marker: str = SITE_MARKER, option: str = "--out") -> None:
    if out.exists() and not out.is_dir():
        raise InputError(f"{out}: exists and is not a folder; choose another {option}")
    if out.is_dir() and any(out.iterdir()) and not (out / marker).exists():
        raise InputError(f"{out}: is not empty and was not made by `yhteistuumin publish`; "
                         f"choose an empty or new folder with {option} (publish removes stale "
                         "files)")


#: Where a publish wrote outside outputs/ (``--out``, ``--cms``): a line "site-folder<TAB>cms-folder".
ELSEWHERE_FILE = ".published-elsewhere"


def remember_elsewhere(workspace: Workspace, out: Path, cms: Path) -> None:
    """Note a site or CMS folder outside the defaults, for ``forget`` to publish again."""
    defaults = ((workspace.outputs / "site").resolve(), (workspace.outputs / CMS_FOLDER).resolve())
    if (out, cms) == defaults:
        return
    record = workspace.outputs / ELSEWHERE_FILE
    # A folder inside the workspace relative to it: forget still finds it when the workspace
    # has been moved or copied (an absolute path named where it had been).
    line = f"{workspace.recorded(out)}\t{workspace.recorded(cms)}"
    if line not in published_elsewhere_lines(workspace):
        record.parent.mkdir(parents=True, exist_ok=True)
        with record.open("a", encoding="utf-8") as stream:
            stream.write(line + "\n")


def published_elsewhere_lines(workspace: Workspace) -> list[str]:
    try:
        text = (workspace.outputs / ELSEWHERE_FILE).read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    return [line for line in text.splitlines() if line.count("\t") == 1]


def published_elsewhere(workspace: Workspace) -> list[tuple[Path, Path]]:
    """Return the (site, CMS) folders publish wrote to outside the defaults, still there."""
    pairs = dict.fromkeys(tuple(workspace.root / part for part in line.split("\t"))
                          for line in published_elsewhere_lines(workspace))  # absolute: as is
    return [(out, cms) for out, cms in pairs if (out / SITE_MARKER).is_file()]


def _check_folders(out: Path, cms: Path) -> None:
    """Refuse a site or CMS folder publish did not make, and one inside the other."""
    if cms == out or out in cms.parents or cms in out.parents:
        raise InputError(f"{cms}: the CMS folder and the site folder ({out}) must be apart, "
                         "neither inside the other; choose another --cms or --out")
    _check_site_folder(out)
    _check_site_folder(cms, CMS_MARKER, "--cms")


def _write_if_changed(path: Path, data: bytes, *, compare: bool = True,
                      folders: set[Path] | None = None,
                      staged: list[tuple[Path, Path]] | None = None) -> bool:
    """Write ``data`` atomically unless the file holds it already.

    ``compare=False`` skips reading a file known to be absent; ``folders`` remembers the
    folders made so far (a full publish makes 5,000, and asks for ``practices/`` 5,000 times).
    With ``staged`` the file is only written aside (``NAME.tmp``) and the pair (aside, in
    place) added to it, for the caller to put in place with the others (``put_in_place``). A write that
    fails (a full disk) leaves no ``.tmp`` and names the file.
    """
    if compare:
        try:
            if path.read_bytes() == data:
                return False
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            pass
    if folders is None or path.parent not in folders:
        path.parent.mkdir(parents=True, exist_ok=True)
        if folders is not None:
            folders.update(path.parents)  # mkdir made (or found) every parent
    temporary = path.with_name(path.name + ".tmp")
    try:
        temporary.write_bytes(data)
    except OSError as exc:  # named as the file it was for (a full disk's write names none)
        temporary.unlink(missing_ok=True)
        raise OSError(exc.errno, exc.strerror, str(path)) from exc
    if staged is None:
        os.replace(temporary, path)
    else:
        staged.append((temporary, path))
    return True


#: The errors of a disk (or quota, or file size limit) with no room left.
_NO_ROOM = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)


def put_in_place(staged: list[tuple[Path, Path]]) -> None:
    """Put the files written aside in place (renames: no disk space needed)."""
    for temporary, path in staged:
        os.replace(temporary, path)


#: Inside the site while a publish runs: the files it replaced or removed, kept until it ends
#: (a dot folder, numbered files: neither Pagefind's glob nor a page path matches them).
UNDO_FOLDER = ".publish-undo"


class SiteUndo:
    """What a publish changed in the site, kept to put back if it stops before its end.

    The card pages go in place before Pagefind runs (it indexes the site's files), the search
    bundles next, the list pages last. A full disk (or Ctrl-C) in between left new card pages
    with the old search and lists. Each file the publish replaces or removes is kept aside
    (a hard link, else a rename: no disk space needed), and ``undo`` puts every one back, so
    the site is the last publish's whole or this one's whole. ``done`` drops what was kept.
    """

    def __init__(self, out: Path):
        self.out, self.folder = out, out / UNDO_FOLDER
        self.changed: list[tuple[Path, Path | None]] = []  # (in the site, kept copy or None)

    def forget_left(self) -> None:
        """Drop what a killed publish kept (its site is finished by this publish)."""
        if self.folder.exists():
            shutil.rmtree(self.folder, ignore_errors=True)

    def _aside(self) -> Path:
        self.folder.mkdir(exist_ok=True)
        return self.folder / str(len(self.changed))

    def replace(self, temporary: Path, path: Path) -> None:
        """Put ``temporary`` in place of ``path``, keeping the file it replaces."""
        if not os.path.lexists(path):
            self.changed.append((path, None))
        else:
            keep = self._aside()
            try:
                os.link(path, keep)  # the page stays served until the atomic replace
            except OSError:
                os.replace(path, keep)
            self.changed.append((path, keep))
        os.replace(temporary, path)

    def remove(self, path: Path) -> None:
        """Take ``path`` (a file or a folder) out of the site, keeping it."""
        if os.path.lexists(path):
            keep = self._aside()
            os.replace(path, keep)
            self.changed.append((path, keep))

    def undo(self) -> int:
        """Put back everything changed, newest first; return how many could not be."""
        failed = 0
        for path, keep in reversed(self.changed):
            try:
                if path.is_dir() and not path.is_symlink():
                    shutil.rmtree(path)
                elif keep is None:
                    path.unlink(missing_ok=True)
                if keep is None:
                    if path.parent != self.out:
                        with contextlib.suppress(OSError):
                            path.parent.rmdir()  # a new card's folder, empty again
                else:
                    path.parent.mkdir(parents=True, exist_ok=True)
                    os.replace(keep, path)
            except OSError:
                failed += 1
        self.changed = []
        if not failed:
            shutil.rmtree(self.folder, ignore_errors=True)
        return failed

    def done(self) -> None:
        self.changed = []
        shutil.rmtree(self.folder, ignore_errors=True)


def _put_back(out: Path, exc: SurveyError | OSError, undo: SiteUndo,
              staged: list[tuple[Path, Path]], cms_undo: SiteUndo | None = None) -> SurveyError:
    """The error of a publish stopped after it began to change the site: everything is put
    back (``SiteUndo``, the site's and the CMS folder's) and the line says the site is as it
    was."""
    from .faults import os_fault

    for temporary, _path in staged:
        temporary.unlink(missing_ok=True)
    if isinstance(exc, SurveyError) and not undo.changed and not (cms_undo and cms_undo.changed):
        return exc  # nothing was changed yet (the pages' own error says so when it is theirs)
    failed = undo.undo() + (cms_undo.undo() if cms_undo is not None else 0)
    if isinstance(exc, SurveyError):
        what = str(exc)
    elif exc.errno in _NO_ROOM:
        what = f"{out}: {os_fault(OSError(exc.errno, exc.strerror))}"
    else:
        what = os_fault(exc)
    if failed:
        return SurveyError(f"{what} ({failed} files of the last publish could not be put back "
                           f"from {undo.folder} or {cms_undo.folder if cms_undo else out}: the "
                           "site is part old, part new until a publish completes)")
    return SurveyError(f"{what} (nothing of this publish was put in place: the site is as it "
                       "was)")


def _interrupted(out: Path, undo: SiteUndo, staged: list[tuple[Path, Path]],
                 cms_undo: SiteUndo | None = None) -> KeyboardInterrupt:
    """Put the site back after Ctrl-C or SIGTERM; the interrupt, saying what the site is."""
    said = str(_put_back(out, SurveyError("interrupted"), undo, staged, cms_undo))
    what = (said.removeprefix("interrupted (").removesuffix(")") if said != "interrupted"
            else "nothing of this publish was put in place: the site is as it was")
    return KeyboardInterrupt(f"{what}; run the same command again")


def _left_as_it_was(out: Path, exc: OSError, staged: list[tuple[Path, Path]]) -> SurveyError:
    """Remove the files written aside; the error, in words, for a site left as it was."""
    from .faults import os_fault

    for temporary, _path in staged:
        temporary.unlink(missing_ok=True)
    # A full disk is the site's (which file filled it is no news); another fault, its file's.
    what = f"{out}: {os_fault(OSError(exc.errno, exc.strerror))}" if exc.errno in _NO_ROOM \
        else os_fault(exc)
    return SurveyError(f"{what} (nothing of this publish was put in place: the site is as it "
                       "was)")


def existing_files(out: Path, keep_folders: tuple[str, ...] = ("pagefind", "pagefind-changes")
                   ) -> set[str]:
    """Return the files under ``out`` (but in ``keep_folders``) by relative path.

    One scandir a folder and the file type from the directory entry (no stat): os.walk's
    generator and path joins over a site's 5,000 card folders were a tenth of a republish.
    """
    found: set[str] = set()
    pending = [("", str(out))]
    while pending:
        prefix, folder = pending.pop()
        try:
            entries = os.scandir(folder)
        except (FileNotFoundError, NotADirectoryError):
            continue
        with entries:
            for entry in entries:
                if entry.is_dir():  # a link to a folder is neither listed nor followed
                    if not entry.is_symlink() and (prefix or entry.name not in keep_folders):
                        pending.append((f"{prefix}{entry.name}/", entry.path))
                else:
                    found.add(prefix + entry.name)
    return found


def _write_pages(out: Path, cms: Path, rendered: RenderedSite, *, on_disk: set[str],
                 in_cms: set[str], folders: set[Path], undo: SiteUndo | None = None,
                 cms_undo: SiteUndo | None = None
                 ) -> tuple[tuple[list[str], int], tuple[list[str], int]]:
    """Write the card pages and the CMS files: (written, unchanged) of each.

    Every file is written aside first and put in place only when all are whole: a full disk
    half-way left a site of some new pages and some old ones."""
    staged: list[tuple[Path, Path]] = []
    try:
        pages = write_files(out, rendered.files, existing=on_disk, folders=folders,
                            staged=staged)
        markdown = write_files(cms, rendered.cms, existing=in_cms, staged=staged)
    except OSError as exc:
        raise _left_as_it_was(out, exc, staged) from exc
    if undo is None:
        put_in_place(staged)
    else:  # what they replace is kept to put back: the site's in the site, the CMS's in its own
        for temporary, path in staged:
            if out in path.parents:
                undo.replace(temporary, path)
            elif cms_undo is not None:
                cms_undo.replace(temporary, path)
            else:
                os.replace(temporary, path)
    return pages, markdown


def write_files(out: Path, files: dict[str, bytes], *, existing: Collection[str],
                folders: set[Path] | None = None,
                staged: list[tuple[Path, Path]] | None = None) -> tuple[list[str], int]:
    """Write every file of ``files`` whose bytes differ from disk; return written, unchanged.

    ``existing`` holds the files under ``out`` (``existing_files``): the others are not read.
    With ``staged`` they are only written aside (``_write_if_changed``).
    """
    written: list[str] = []
    unchanged = 0
    folders = set() if folders is None else folders
    for relative in sorted(files):
        if _write_if_changed(out / relative, files[relative], compare=relative in existing,
                             folders=folders, staged=staged):
            written.append(relative)
        else:
            unchanged += 1
    return written, unchanged


def remove_stale(out: Path, wanted: Collection[str], *, existing: Collection[str],
                 undo: SiteUndo | None = None) -> list[str]:
    """Remove the ``existing`` files not ``wanted``, and the folders that leaves empty
    (kept in ``undo`` when given)."""
    removed = sorted(set(existing) - set(wanted))
    folders: set[Path] = set()
    for relative in removed:
        path = out / relative
        if undo is None:
            path.unlink(missing_ok=True)
        else:
            undo.remove(path)
        folders.update(parent for parent in path.parents if parent != out and out in parent.parents)
    for folder in sorted(folders, key=lambda p: len(p.parts), reverse=True):
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
    return removed


# --- search index ------------------------------------------------------------------------


def pagefind_executable() -> Path:
    """Return the Pagefind binary shipped with ``pagefind[bin]``."""
    try:
        from pagefind.service import get_executable
    except ImportError:  # pragma: no cover - a dependency
        get_executable = None  # type: ignore[assignment]
    path = get_executable() if get_executable is not None else None
    if path is None or not Path(path).exists():
        raise SurveyError("the Pagefind search indexer is not installed; install it with "
                          "`pip install 'pagefind[bin]'` (a dependency of yhteistuumin)")
    return Path(path)


def _pagefind_version() -> str:
    try:
        return metadata.version("pagefind")
    except metadata.PackageNotFoundError:  # pragma: no cover
        return "unknown"


#: The card pages, and only they, go to the search index (their folders are ``<id>-<slug>``).
INDEX_GLOB = "[0-9]*/index.html"
INDEX_PAGE = re.compile(r"[0-9][^/]*/index\.html")
#: What of a card page the search index leaves out: the facts' headings (a heading glued to
#: its value, "Avainsanatmusiikki", would hide the value from a search), the "good practice"
#: eyebrow over the title (the card's first p, named by place: no class on 5,000 pages), the
#: sections' headings (the same words on every card: a search for "toteuttaminen" found them
#: all) and the contact (a person's name, email and phone: nobody looks for a practice by
#: them, and personal data kept in the index's fragments is one more copy of it to erase).
#: Told to Pagefind once rather than written as data-pagefind-ignore on each of them, 5,000
#: times over. The headings and the contact were 0.5 MB of 10.2 at 5,000 cards.
INDEX_EXCLUDE = ("dt", ".practice > p:first-child", "h2", "address")
#: The bundle of the card pages changed since the full index was built (see build_search_index).
CHANGES_FOLDER = "pagefind-changes"
#: The full index is built again when more pages than this share changed since it was built
#: (or more than CHANGES_MIN, whichever is more).
CHANGES_SHARE = 0.05
CHANGES_MIN = 20


@dataclass
class SearchIndex:
    """What the search index is after a publish: which bundles, which languages, what was done."""

    #: "all" when every card was indexed, "changes" when only the cards changed since the full
    #: index were, "" when both bundles were current.
    indexed: str
    languages: list[str]  # of the full index
    change_languages: list[str]  # of the changes bundle ([] when there is none)
    changed: list[str]  # the pages in the changes bundle
    ids: dict[str, str] = field(default_factory=dict)  # page -> its page id in the index


def _state_path(bundle: Path) -> Path:
    """Return where publish keeps what the search bundle ``bundle`` was built from."""
    return bundle.with_name(INDEX_STATE.format(bundle.name))


def bundle_problem(bundle: Path, *, every_file: bool = True) -> str | None:
    """What is wrong with a Pagefind bundle on disk, or None when it is whole.

    Pagefind (1.5) exits 0 when the disk fills up under it, leaving files empty or cut
    short (``pagefind-entry.json`` of 0 bytes: the site's search then finds nothing). A whole
    bundle has an entry that parses, a non-empty metadata file for each of its languages and
    (``every_file``: each of its thousands of files looked at) no empty file.
    """
    entry = bundle / "pagefind-entry.json"
    try:
        languages = json.loads(entry.read_bytes())["languages"]
        metas = [bundle / f"pagefind.{lang['hash']}.pf_meta" for lang in languages.values()]
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return f"{entry.name} is missing or not whole"
    for folder, _subfolders, files in os.walk(bundle) if every_file else ():
        for name in files:
            path = Path(folder) / name
            try:
                if path.stat().st_size == 0:
                    return f"{path.relative_to(bundle)} is empty"
            except OSError:
                return f"{path.relative_to(bundle)} cannot be read"
    missing = next((meta.name for meta in metas if not meta.is_file()), None)
    return None if missing is None else f"{missing} is missing"


def _index_state(bundle: Path) -> dict[str, Any] | None:
    """Return what a bundle was built from (Pagefind's version and page -> sha256), or None
    (then it is built again: also when the bundle on disk is not whole, ``bundle_problem``)."""
    import gzip

    try:
        data = json.loads(gzip.decompress(_state_path(bundle).read_bytes()))
    except (OSError, ValueError, EOFError):
        return None
    # A bundle built leaving out other parts of the pages (an earlier INDEX_EXCLUDE: one that
    # still held the contacts) is built again, although its pages did not change.
    if (not isinstance(data, dict) or data.get("pagefind") != _pagefind_version()
            or data.get("exclude", ["dt", ".eyebrow"]) != list(INDEX_EXCLUDE)):
        return None
    # A bundle this version put in place was found whole before (``_run_pagefind``), and
    # nothing writes into it after: its entry and metadata are looked at, not every file,
    # which was a few per cent of a republish. One put there by an earlier version is
    # looked at whole.
    if bundle_problem(bundle, every_file=not data.get("whole")) is not None:
        return None
    return data


def _run_pagefind(out: Path, target: Path, glob: str, pages: dict[str, str],
                  contacts: dict[str, str], undo: SiteUndo | None = None, *,
                  merged_into: Collection[str] | None = None) -> None:
    """Index the pages under ``out`` matching ``glob`` into the bundle ``target`` (swapped in).

    The bundle keeps what it was built from: each page's sha256, the hash of its contact and
    its page id (``_state_path``: written after the bundle is in place, removed before).
    ``merged_into``: the languages of the full index, when this is the changes bundle (its
    runtime files go, ``_drop_unused_runtime``).
    """
    import gzip

    executable = pagefind_executable()
    with tempfile.TemporaryDirectory(prefix="pagefind-", dir=out.parent) as work:
        bundle = Path(work) / "bundle"
        command = [str(executable), "--site", str(out), "--glob", glob,
                   "--output-path", str(bundle), "--silent"]
        for selector in INDEX_EXCLUDE:
            command += ["--exclude-selectors", selector]
        process = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                 check=False)
        if process.returncode != 0 or not (bundle / "pagefind-entry.json").exists():
            reason = process.stdout.decode("utf-8", "replace").strip().splitlines()[-1:]
            raise SurveyError(f"pagefind: indexing the site failed ({(reason or ['no output'])[0]}); "
                              "rerun with --debug or check the pagefind installation")
        if (problem := bundle_problem(bundle)) is not None:  # the site keeps its old index
            raise SurveyError(f"{target}: the search index came out incomplete ({problem}; "
                              "is the disk full?); free some space and publish again")
        for path in bundle.iterdir():
            if _PAGEFIND_UNUSED.match(path.name):
                path.unlink()
        _drop_unused_runtime(bundle, merged_into)
        ids = index_page_ids(bundle)
        state = {"pagefind": _pagefind_version(), "whole": True, "exclude": list(INDEX_EXCLUDE),
                 "pages": dict(sorted(pages.items())),
                 "contacts": {page: contacts.get(page, "") for page in sorted(pages)},
                 "ids": {page: ids.get(page.removesuffix("index.html"), "") for page in sorted(pages)}}
        packed = gzip.compress(json.dumps(state).encode(), mtime=0)
        if undo is not None:  # the old bundle and its state kept until the publish ends
            written: list[tuple[Path, Path]] = []
            _write_if_changed(_state_path(target), packed, compare=False, staged=written)
            undo.remove(_state_path(target))
            undo.remove(target)
            os.replace(bundle, target)
            undo.changed.append((target, None))
            for temporary, path in written:
                undo.replace(temporary, path)
            return
        _state_path(target).unlink(missing_ok=True)  # a bundle without its state is rebuilt
        if target.exists():
            os.replace(target, Path(work) / "old")
        os.replace(bundle, target)
        _write_if_changed(_state_path(target), packed, compare=False)


def _drop_unused_runtime(bundle: Path, merged_into: Collection[str] | None) -> None:
    """Remove the runtime files of a bundle that site.js never loads (0.3 MB at 5,000 cards).

    Pagefind writes its script, its worker and a WebAssembly for each language and for
    "unknown" into every bundle. site.js starts each language of the full index from that
    index's own language (never "unknown"); the changes bundle is merged into the full index's
    instance of the same language, which loads no WebAssembly of its own, and a language only
    in the changes bundle (``merged_into`` does not have it) is started with the full bundle's
    script from the changes bundle's folder: there its WebAssembly alone is needed.
    """
    try:  # a language's WebAssembly is named in the entry ("unknown" where it has no stemmer)
        languages = json.loads((bundle / "pagefind-entry.json").read_bytes())["languages"]
        wasm = {lang: str(info.get("wasm") or "unknown") for lang, info in languages.items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return  # bundle_problem has said what is wrong
    keep = {name for lang, name in wasm.items() if merged_into is None or lang not in merged_into}
    for path in bundle.glob("wasm.*.pagefind"):
        if path.name.removeprefix("wasm.").removesuffix(".pagefind") not in keep:
            path.unlink()
    if merged_into is not None:
        for name in ("pagefind.js", "pagefind-worker.js"):
            (bundle / name).unlink(missing_ok=True)


def _changes_glob(pages: Collection[str]) -> str:
    """Return the glob of exactly these pages (slugs are ``[a-z0-9-]``: nothing to escape)."""
    folders = sorted(page.removesuffix("/index.html") for page in pages)
    if any(not re.fullmatch(r"[A-Za-z0-9_-]+", folder) for folder in folders):
        raise SurveyError(f"pagefind: page folder names outside [A-Za-z0-9_-]: {folders}")
    return "{" + ",".join(folders) + "}/index.html"


def build_search_index(out: Path, pages: dict[str, str], contacts: dict[str, str], *,
                       undo: SiteUndo | None = None) -> SearchIndex:
    """Index the card pages under ``out`` with Pagefind, as little as the changes allow.

    ``pages`` are the card pages (path under the site -> sha256). One Pagefind run makes one
    bundle (``pagefind/``) with one index per language, from each page's ``<html lang>``:
    Finnish cards get Finnish word rules, Swedish cards Swedish ones. Pagefind has no
    incremental mode and indexing every card is most of a republish, so the pages changed
    since that full index are indexed alone into ``pagefind-changes/``, which the browser
    merges (``mergeIndex``). The full index's text of those pages (their fragments) is
    deleted; its words still point at them until the next full index, and the browser leaves
    them out, as the page ids in cards.json no longer name them. The full index is built
    again when more than ``CHANGES_SHARE`` of the pages changed, and when a page went or a
    page's contact changed (``contacts``: page -> hash of its contact): what a withdrawn
    consent or an erased person leaves must not stay in the index. A new page has nothing in
    the full index: it goes to the changes (a practice approved since is the usual change).
    """
    root, changes = out / "pagefind", out / CHANGES_FOLDER

    def drop(path: Path) -> None:  # kept in ``undo`` (the whole publish may be put back)
        if undo is not None:
            undo.remove(path)
        elif path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)

    if not pages:
        for folder in (root, changes):
            drop(_state_path(folder))
            drop(folder)
        return SearchIndex("all", [], [], [], {})
    indexed = ""
    base = _index_state(root)
    changed = sorted(page for page, sha in pages.items()
                     if base is None or base["pages"].get(page) != sha)
    if (base is None or len(changed) > max(CHANGES_MIN, int(len(pages) * CHANGES_SHARE))
            or set(base["pages"]) - set(pages)
            or any(page in base["pages"] and base["contacts"].get(page, "") != contacts.get(page, "")
                   for page in changed)):
        _run_pagefind(out, root, INDEX_GLOB, pages, contacts, undo)
        indexed, changed = "all", []
        base = _index_state(root)
    if not changed:
        drop(_state_path(changes))
        drop(changes)
    else:
        wanted = {page: pages[page] for page in changed}
        before = _index_state(changes)
        if before is None or before["pages"] != wanted:
            _run_pagefind(out, changes, _changes_glob(changed), wanted, contacts, undo,
                          merged_into=index_languages(root))
            indexed = "changes"
        for page in changed:  # the old text of a changed page leaves the full index
            old = (base or {}).get("ids", {}).get(page)
            if old:
                drop(root / "fragment" / f"{old}.pf_fragment")
    ids = {**((base or {}).get("ids") or {}), **((_index_state(changes) or {}).get("ids") or {})}
    return SearchIndex(indexed, index_languages(root),
                       index_languages(changes) if changed else [], changed, ids)


def index_languages(bundle: Path) -> list[str]:
    """Return the languages of the search index (``pagefind-entry.json``), sorted."""
    text = _read(bundle / "pagefind-entry.json")
    if text is None:
        return []
    try:
        return sorted(json.loads(text).get("languages") or {})
    except (ValueError, AttributeError):
        return []


def index_page_ids(bundle: Path) -> dict[str, str]:
    """Return the Pagefind page id of every indexed page, by page folder (``12-slug/``)."""
    import gzip

    ids: dict[str, str] = {}
    for fragment in sorted((bundle / "fragment").glob("*.pf_fragment")):
        data = gzip.decompress(fragment.read_bytes())
        data = data[len(b"pagefind_dcd"):] if data.startswith(b"pagefind_dcd") else data
        url = json.loads(data.decode("utf-8"))["url"]
        folder = url.strip("/").removesuffix("index.html").strip("/").split("/")[-1]
        ids[folder + "/"] = fragment.name.removesuffix(".pf_fragment")
    return ids


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (FileNotFoundError, NotADirectoryError):
        return None


# --- the stage ---------------------------------------------------------------------------


def count_published(*, session: Session) -> int:
    """Return how many practices a publish would put on the site."""
    from sqlalchemy import func
    from sqlmodel import select

    from .db.models import Practice

    query = select(func.count()).select_from(Practice).where(
        Practice.status == "approved", Practice.duplicate_of_id.is_(None))  # type: ignore[union-attr]
    return int(session.exec(query).one())


def _read_manifest(out: Path) -> dict[str, Any] | None:
    """Return the last publish's manifest with its cache, or None (then every page is rendered)."""
    import gzip

    text = _read(out / SITE_MARKER)
    if text is None:
        return None
    try:
        data = json.loads(text)
        packed = (out / SITE_CACHE).read_bytes()
        if not isinstance(data, dict) or data.get("cache_sha256") != hashlib.sha256(packed).hexdigest():
            return None
        cache = json.loads(gzip.decompress(packed))
    except (OSError, ValueError, EOFError):
        return None
    return {**data, **cache} if isinstance(cache, dict) else None


def _pin_slugs(session: Session, cards: list[Card]) -> None:
    """Remember the slug of every practice published for the first time (its URL stays).

    A website editor expects a published card's address to last: outside links, the CMS's
    Markdown file and the search index all use it, so a reviewer's later title correction
    changes the page, not its folder.
    """
    from sqlalchemy import bindparam, select, update

    from . import locks
    from .db.models import Practice

    table = Practice.__table__  # type: ignore[attr-defined]
    p = table.c
    unpinned = set(session.execute(select(p.id).where(p.published_slug.is_(None),
                                                      p.status == "approved")).scalars())
    rows = [{"pid": card.id, "slug": card.path.split("-", 1)[1]}
            for card in sorted(cards, key=lambda card: card.id) if card.id in unpinned]
    if rows:
        # The practices lock first, as a review import and an ingest take it (PostgreSQL): an
        # import holding practice rows it decides, and this publish holding the ones pinned
        # so far in card order, would each wait for the other's rows (a deadlock).
        locks.for_this_transaction(session)
        session.execute(update(table).where(p.id == bindparam("pid"))
                        .values(published_slug=bindparam("slug")), rows)


def _claim_site(out: Path) -> SiteUndo:
    """Make ``out`` publish's (its marker) and drop what a killed publish kept aside there."""
    out.mkdir(parents=True, exist_ok=True)
    if not (out / SITE_MARKER).exists():
        # The folder is publish's from its first file on: a first publish killed half-way
        # leaves pages but no manifest, and the next one must finish it, not refuse the
        # folder as someone else's. A marker without the cache's digest is no manifest:
        # every page is rendered again (``_read_manifest``).
        _write_if_changed(out / SITE_MARKER,
                          (json.dumps({"about": _MARKER_TEXT.strip()}) + "\n").encode(),
                          compare=False)
    undo = SiteUndo(out)
    undo.forget_left()
    return undo


def publish_site(workspace: Workspace, *, session: Session, settings: Settings,
                 out: Path | None = None, cms: Path | None = None,
                 progress: Callable[[int], None] | None = None) -> PublishResult:
    """Publish the approved practices as a static site under ``out`` (default outputs/site)
    and their Markdown for the CMS under ``cms`` (default outputs/cms)."""
    out = (out or workspace.outputs / "site").resolve()
    cms = (cms or workspace.outputs / CMS_FOLDER).resolve()
    _check_folders(out, cms)
    remember_elsewhere(workspace, out, cms)
    survey = workspace_survey(workspace)
    cards = load_cards(session=session, survey=survey)
    undo = _claim_site(out)
    on_disk = existing_files(out)
    cms.mkdir(parents=True, exist_ok=True)
    # The CMS folder is put back too: a CMS (or its editor) reading it must not take in the
    # Markdown of a publish whose site was put back.
    cms_undo = SiteUndo(cms)
    cms_undo.forget_left()
    cms_marked = _write_if_changed(cms / CMS_MARKER,
                                   (json.dumps({"about": _MARKER_TEXT.strip()}) + "\n").encode())
    in_cms = existing_files(cms, keep_folders=())
    # The pages first, then one Pagefind run over the card pages (unless none changed), then
    # the list pages and cards.json, whose entries carry the index's page ids, and last the
    # stale files go.
    folders: set[Path] = set()
    previous = _read_manifest(out)
    rendered = render_site(workspace, cards, settings=settings, previous=previous,
                           existing=on_disk, cms_existing=in_cms, progress=progress)
    # From the first card page in place to the list pages in place, what the site held is kept
    # (``SiteUndo``): a publish stopped in between (a full disk, Pagefind failing, Ctrl-C)
    # puts it all back, so the site is never new pages with the old search and lists.
    lists_staged: list[tuple[Path, Path]] = []
    try:
        (written, unchanged), (cms_written, cms_unchanged) = _write_pages(
            out, cms, rendered, on_disk=on_disk, in_cms=in_cms, folders=folders, undo=undo,
            cms_undo=cms_undo)
        # Pagefind indexes every card folder it finds: the pages of practices no longer
        # published go before it runs.
        gone = remove_stale(out, rendered.page_sha, undo=undo,
                            existing={path for path in on_disk if INDEX_PAGE.fullmatch(path)})
        search = build_search_index(out, rendered.page_sha, {
            f"{card.path}/index.html": hashlib.sha256(repr(card.contact).encode()).hexdigest()[:16]
            for card in cards}, undo=undo)
        _set_page_ids(cards, rendered, search)
        # The list pages unchanged since the last publish (and still on disk) are not rendered.
        lists_before = {path: key for path, key in ((previous or {}).get("lists") or {}).items()
                        if path in on_disk}
        lists: dict[str, str] = {}
        indexes = {path: page for lang in ("fi", "sv")
                   for path, page in render_index(workspace, cards, rendered,
                                                  settings=settings, search=search, lang=lang,
                                                  before=lists_before, keys=lists).items()}
        kept_lists = set(lists) - set(indexes)
        unchanged += len(kept_lists)
        indexes[CARD_LIST] = pack_card_list(render_card_list(cards, rendered))
        # The list pages and cards.json together too: a list naming a card of another publish
        # leads to a page that is not there, or leaves one out.
        done, same = write_files(out, indexes, existing=on_disk, folders=folders,
                                 staged=lists_staged)
        for temporary, path in lists_staged:
            undo.replace(temporary, path)
        cms_removed = remove_stale(cms, {*rendered.cms, *rendered.cms_kept, CMS_MARKER},
                                   existing=in_cms, undo=cms_undo)
    except (SurveyError, OSError) as exc:
        raise _put_back(out, exc, undo, lists_staged, cms_undo) from exc
    except KeyboardInterrupt:  # Ctrl-C, SIGTERM: the site as it was too
        raise _interrupted(out, undo, lists_staged, cms_undo) from None
    undo.done()
    cms_undo.done()
    cms_written = [CMS_MARKER, *cms_written] if cms_marked else cms_written
    written = sorted([*written, *done])
    unchanged += same
    unchanged += len(rendered.kept)
    states = {_state_path(out / folder).name for folder in ("pagefind", CHANGES_FOLDER)}
    removed = sorted([*gone, *remove_stale(out, {*rendered.files, *indexes, *rendered.kept,
                                                  *kept_lists, SITE_MARKER, SITE_CACHE, *states},
                                           existing=on_disk - set(gone))])
    # The manifest goes last: a publish stopped half-way re-renders what it had not finished.
    manifest_written = _write_manifest(out, rendered, lists)
    written += manifest_written
    unchanged += 2 - len(manifest_written)
    _pin_slugs(session, cards)
    merged, unanswered, hidden = _duplicates(session, cards)
    notes = (_notes(merged, unanswered, hidden, settings=settings) + _named_in_title(cards)
             + _withdrawn(cards))
    return PublishResult(out=out, practices=len(cards), written=written, removed=removed,
                         unchanged=unchanged, cms=cms, cms_written=cms_written,
                         cms_removed=cms_removed,
                         cms_unchanged=cms_unchanged + len(rendered.cms_kept) + (not cms_marked),
                         indexed=search.indexed,
                         languages=sorted({*search.languages, *search.change_languages}),
                         notes=_undecided(session) + _read_again(session) + notes, merged=merged,
                         unanswered=unanswered,
                         unpublished_originals=[(copy, original) for copy, original, _ in hidden])


def _write_manifest(out: Path, rendered: RenderedSite, lists: dict[str, str]) -> list[str]:
    """Write what the next publish reuses; return the files written (of the two).

    The cache first, then the marker naming its digest: a cache without its marker is unused.
    """
    import gzip

    packed = gzip.compress(json.dumps({"practices": rendered.entries, "lists": lists},
                                      sort_keys=True, ensure_ascii=False).encode(),
                           compresslevel=1, mtime=0)
    manifest = {"about": _MARKER_TEXT.strip(), "generator": rendered.generator,
                "cache": SITE_CACHE, "cache_sha256": hashlib.sha256(packed).hexdigest()}
    written = []
    for name, data in ((SITE_CACHE, packed),
                       (SITE_MARKER, (json.dumps(manifest, sort_keys=True, ensure_ascii=False)
                                      + "\n").encode())):
        if _write_if_changed(out / name, data):
            written.append(name)
    return written


def _undecided(session: Session) -> list[str]:
    """Say how many practices are not on the site because nobody has decided them yet (new,
    or waiting for more information): a publish after part of the review looks complete."""
    from sqlalchemy import func, select

    from .db.models import Practice

    p = Practice.__table__.c  # type: ignore[attr-defined]
    counts = dict(session.execute(select(p.status, func.count()).where(
        p.status.in_(("new", "needs-info"))).group_by(p.status)).all())
    total = sum(counts.values())
    if not total:
        return []
    parts = count_phrase({"new": counts.get("new", 0),
                          "waiting for more information": counts.get("needs-info", 0)},
                         ["new", "waiting for more information"])
    return [f"{plural(total, 'practice is', 'practices are')} not decided yet ({parts}) and "
            "not on the site; export them with 'yhteistuumin review export' and import the "
            "decisions"]


def _read_again(session: Session) -> list[str]:
    """Say which published practices a later reading of their file differs from (``ingest
    --reread`` keeps a decision and flags each differing field ``reread-differs``): the card
    shows what the reviewers approved until a reviewer answers the flag (review import)."""
    from sqlalchemy import String, and_, cast, select

    from .db.models import Practice, PracticeVersion
    from .flags import parse

    p = Practice.__table__.c  # type: ignore[attr-defined]
    v = PracticeVersion.__table__.c  # type: ignore[attr-defined]
    rows = session.execute(select(p.id, v.flags).join(
        PracticeVersion.__table__,  # type: ignore[attr-defined]
        and_(v.practice_id == p.id, v.version == p.current_version)).where(
        p.status == "approved", cast(v.flags, String).like("%reread-differs%"))
        .order_by(p.id)).all()
    notes = []
    for practice_id, flags in rows:
        fields = list(dict.fromkeys(
            str(read.field) for read in map(parse, flags or [])
            if read.code == "reread-differs" and read.field))
        if fields:
            notes.append(
                f"#{practice_id}: a later reading of its file differs in {', '.join(fields)}; "
                "the card shows what the reviewers approved. See 'yhteistuumin practices show "
                f"{practice_id}'; 'yhteistuumin review export' brings it back to the reviewers, "
                "who answer which reading is right in the column 'Uusi luenta'")
    return notes


def _notes(merged: list[tuple[int, int]], unanswered: list[tuple[int, int]],
           hidden: list[tuple[int, int, str]], *, settings: Settings) -> list[str]:
    """Return what the publish says besides its counts: duplicates, and a missing base_url."""
    notes = []
    for copy, original in merged:
        notes.append(f"#{copy} is a duplicate of #{original}: published once, on #{original}'s "
                     "card with the municipalities of both")
    for copy, original, status in hidden:
        # The original went back to review (a new version) or was rejected: the copy is not
        # on the site either, and nothing else would say so.
        notes.append(f"#{copy} is a duplicate of #{original}, which is not published (status "
                     f"{status}): neither is on the site; approve #{original}, or decide "
                     f"#{copy} again if it should be published on its own")
    for one, other in unanswered:
        notes.append(f"#{one} and #{other} are both published, though flagged as possibly the "
                     f"same practice; if they are, decide #{other} 'kaksoiskappale' of #{one} in "
                     "the review workbook")
    if not settings.get("site.base_url"):
        notes.append("set [site] base_url to the site's public address: sitemap.xml, canonical "
                     "links and Open Graph tags need full addresses (now relative or left out)")
    return notes


def _named_in_title(cards: list[Card]) -> list[str]:
    """Say which published titles name a contact who has not agreed to be published."""
    return [f"#{card.id}'s title names its contact, who has not agreed to be published: the "
            "name is hidden in the published title" + (
                ", but the page's address, published before, still shows it (it is kept so "
                "that links to it work)" if card.contact_in_title == "address" else "")
            + "; correct the title in the review workbook ('Korjattu nimi') or ask for consent"
            for card in cards if card.contact_in_title]


def _withdrawn(cards: list[Card]) -> list[str]:
    """Say which cards hide a contact who withdrew their consent in a later message."""
    return [f"#{card.id}: its contact withdrew their consent to publishing in a later message "
            f"({card.consent_withdrawn}): their details are hidden on the card; read the "
            "message (practices list --status to-read) and record it as the answer"
            for card in cards if card.consent_withdrawn]


def _set_page_ids(cards: list[Card], rendered: RenderedSite, search: SearchIndex) -> None:
    """Give every card its page id in the search index (``pf``) and mark those in the changes
    bundle (``pfc``)."""
    changed = set(search.changed)
    for card in cards:
        page = f"{card.path}/index.html"
        entry = rendered.entries[str(card.id)]
        entry["pf"] = search.ids.get(page, "")
        entry.pop("pfc", None)
        if page in changed:
            entry["pfc"] = 1


def _duplicates(session: Session, cards: list[Card]
                ) -> tuple[list[tuple[int, int]], list[tuple[int, int]], list[tuple[int, int, str]]]:
    """Return the decided duplicates merged into published cards, the possible-duplicate
    flags between two published practices that nobody answered, and the duplicates whose
    original is not published (duplicate, original, the original's status)."""
    from sqlalchemy import and_, select

    from .db.models import Practice, PracticeVersion

    published = {card.id for card in cards}
    by_original = duplicates_by_original(session=session)
    merged = sorted((copy, original) for original, copies in by_original.items()
                    if original in published for copy in copies)
    p = Practice.__table__.c  # type: ignore[attr-defined]
    unpublished = sorted(set(by_original) - published)
    status_of = {int(row[0]): str(row[1]) for row in session.execute(
        select(p.id, p.status).where(p.id.in_(unpublished)))} if unpublished else {}
    hidden = sorted((copy, original, status_of.get(original, "missing"))
                    for original in unpublished for copy in by_original[original])
    v = PracticeVersion.__table__.c  # type: ignore[attr-defined]
    rows = session.execute(select(p.id, v.flags, p.not_duplicate_of).join(
        PracticeVersion.__table__,  # type: ignore[attr-defined]
        and_(v.practice_id == p.id, v.version == p.current_version)).where(
        p.id.in_(sorted(published)))).all()
    # A reviewer's "not a duplicate" answers the pair, whichever of the two it was given on.
    answered = {tuple(sorted((int(practice_id), int(other)))) for practice_id, _, others in rows
                for other in others or ()}
    unanswered: set[tuple[int, int]] = set()
    for practice_id, flags, _ in rows:
        for flag in flags or ():
            name, _, value = str(flag).partition(":")
            if name == "possible-duplicate" and value.isdigit() and int(value) in published:
                unanswered.add(tuple(sorted((int(practice_id), int(value)))))  # type: ignore[arg-type]
    return merged, sorted(unanswered - answered), hidden
