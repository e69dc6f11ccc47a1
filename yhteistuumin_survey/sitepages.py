"""The site's pages besides the cards, for ``publish``: the Swedish index, the accessibility
statement and the privacy notice in both languages, ``sitemap.xml``, the JSON Schema of
``practices.json`` and each card's schema.org description (JSON-LD).

A public-sector site must publish an accessibility statement with a feedback channel (Act on
the Provision of Digital Services 306/2019, section 15), and the site shows the contact details
of the people who consented to it, so it carries a privacy notice (GDPR articles 13 and 14).
Their texts are templates (``site/accessibility.html.j2``, ``site/privacy.html.j2``) that a
workspace can override; the addresses and names in them come from the settings.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape as xml_escape

if TYPE_CHECKING:
    from .cards import Card
    from .config import Settings

#: The fixed pages by kind and language: their path under the site.
PAGES: dict[str, dict[str, str]] = {
    "index": {"fi": "index.html", "sv": "sv/index.html"},
    "accessibility": {"fi": "saavutettavuusseloste/index.html",
                      "sv": "sv/tillganglighetsutlatande/index.html"},
    "privacy": {"fi": "tietosuojaseloste/index.html", "sv": "sv/dataskyddsbeskrivning/index.html"},
}
#: Open Graph locales of the interface languages.
LOCALES = {"fi": "fi_FI", "sv": "sv_FI"}
#: The id of the published JSON Schema (a relative reference resolves beside practices.json).
SCHEMA_FILE = "practices.schema.json"


@dataclass(frozen=True)
class Link:
    """A link from a page: where to, in which language."""

    lang: str
    href: str


def root_of(path: str) -> str:
    """Return the relative way from a page at ``path`` back to the site root (``../`` …)."""
    return "../" * path.count("/")


def folder_url(path: str) -> str:
    """Return the address of a page: ``x/index.html`` is served as ``x/``."""
    return path.removesuffix("index.html")


def absolute(base_url: str, path: str) -> str:
    """Return the page's public address when the site's address is known, else ''."""
    return base_url.rstrip("/") + "/" + folder_url(path) if base_url else ""


def page_context(path: str, lang: str, *, settings: Settings, description: str = "",
                 alternates: dict[str, str] | None = None) -> dict[str, Any]:
    """Return what ``site/base.html.j2`` needs besides the content of one page.

    ``alternates`` are the page's versions by language (path under the site), the page itself
    included; a card has one version, in the language it was written in.
    """
    base_url = str(settings.get("site.base_url") or "")
    root = root_of(path)
    versions = alternates or {lang: path}
    def href(target: str) -> str:  # a page's link to itself: its own file name
        if base_url:
            return absolute(base_url, target)
        return target.rsplit("/", 1)[-1] if target == path else root + target

    links = [Link(other, href(target)) for other, target in sorted(versions.items())]
    if "fi" in versions and len(versions) > 1:  # a choice of languages: Finnish by default
        links.append(Link("x-default", href(versions["fi"])))
    return {
        "lang": lang, "root": root, "canonical": absolute(base_url, path),
        "description": description, "alternates": links, "locale": LOCALES.get(lang, "fi_FI"),
        "footer_links": footer_links(lang, root),
        "switch": _language_switch(lang, versions, root),
    }


def footer_links(lang: str, root: str) -> list[dict[str, str]]:
    """Return the footer's links to the accessibility statement and the privacy notice."""
    from .publish import UI

    ui = UI[lang]
    return [{"href": root + PAGES["accessibility"][lang], "text": ui["accessibility"]},
            {"href": root + PAGES["privacy"][lang], "text": ui["privacy"]}]


def _language_switch(lang: str, versions: dict[str, str], root: str) -> dict[str, str] | None:
    other = "sv" if lang == "fi" else "fi"
    target = versions.get(other) or PAGES["index"][other]
    names = {"fi": "Suomeksi", "sv": "På svenska"}
    return {"lang": other, "href": root + target, "text": names[other]}


def site_title(settings: Settings, lang: str) -> str:
    """Return the site's title in ``lang``: the Swedish pages' own, not the Finnish one."""
    return str(settings.get("site.title_sv" if lang == "sv" else "site.title"))


def render_fixed_pages(env: Any, *, settings: Settings) -> dict[str, bytes]:
    """Render the accessibility statement and the privacy notice in Finnish and Swedish."""
    import datetime as dt

    from .publish import UI
    from .templating import render_template

    contact = str(settings.get("site.contact_email") or settings.get("round.reply_to"))
    files: dict[str, bytes] = {}
    for kind, template in (("accessibility", "site/accessibility.html.j2"),
                           ("privacy", "site/privacy.html.j2")):
        for lang, path in PAGES[kind].items():
            ui = UI[lang]
            context = {
                **page_context(path, lang, settings=settings, description=ui[f"{kind}_description"],
                               alternates=PAGES[kind]),
                "site_title": site_title(settings, lang), "ui": ui, "contact_email": contact,
                "controller": str(settings.get("site.controller")),
                "reviewed": _reviewed(settings, dt),
            }
            files[path] = render_template(env, template, context).encode()
    return files


def _reviewed(settings: Settings, dt: Any) -> str:
    value = settings.get("site.statement_date")
    return value.isoformat() if isinstance(value, dt.date) else str(value or "")


def sitemap(paths: list[str], *, base_url: str) -> bytes:
    """Return ``sitemap.xml`` listing ``paths`` (full addresses when the site's address is set).

    The sitemap protocol asks for absolute addresses; without ``[site] base_url`` the paths
    are written relative to the site root and ``publish`` says so.
    """
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
    for path in paths:
        loc = absolute(base_url, path) or folder_url(path) or "./"
        lines.append(f"<url><loc>{xml_escape(loc)}</loc></url>")
    lines.append("</urlset>")
    return ("\n".join(lines) + "\n").encode()


def json_ld(card: Card, *, url: str) -> str:
    """Return the card's schema.org description as JSON, safe inside a ``<script>`` element."""
    from .publish import TEASER, _shorten

    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "CreativeWork",
        "name": card.title,
        # The page's meta description, or the goal's start when there is no summary.
        "description": _shorten(card.sections.get("summary") or card.sections.get("goal") or "", TEASER),
        "inLanguage": card.language,
        "keywords": list(card.keywords),
        # One Audience with each target group as its audienceType (a property may repeat):
        # an Audience object a group was 36 bytes more each. None named: no Audience (one
        # with no type would claim an audience nobody gave), as before.
        "audience": {"@type": "Audience", "audienceType": [label for _, label in card.target_group]}
        if card.target_group else [],
        "spatialCoverage": [
            # Statistics Finland's municipality number ("kuntanumero", README says so) as
            # the identifier's text: schema.org's identifier takes Text, URL or
            # PropertyValue, and a PropertyValue naming the scheme was 65 bytes more a
            # place, 0.5 MB at 5,000 cards.
            {"@type": "AdministrativeArea", "name": place.name(card.lang), "identifier": place.code}
            for place in card.municipalities],
    }
    if card.modified:
        data["dateModified"] = card.modified
    if url.startswith(("http://", "https://")):
        data["url"] = url
    text = json.dumps(data, ensure_ascii=False, sort_keys=False, separators=(",", ":"))
    # "</script>" or "<!--" in an answer must not end the element: < is written as \u003c.
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def practices_schema() -> dict[str, Any]:
    """Return the JSON Schema (2020-12) of ``practices.json``."""
    place = {"type": "object", "required": ["code", "name_fi", "name_sv"],
             "properties": {"code": {"type": "string", "pattern": "^[0-9]{2,3}$"},
                            "name_fi": {"type": "string"}, "name_sv": {"type": "string"}},
             "additionalProperties": False}
    text = {"type": "string"}
    practice = {
        "type": "object",
        "required": ["id", "language", "title", "keywords", "target_group", "goal", "summary",
                     "implementation", "resources", "experiences", "benefits", "municipalities",
                     "regions", "contact", "url"],
        "properties": {
            "id": {"type": "integer", "minimum": 1},
            "language": {"type": "string", "description": "The language the practice was written in."},
            "title": {"type": "string", "minLength": 1},
            "keywords": {"type": "array", "items": text},
            "target_group": {"type": "array", "items": {
                "type": "object", "required": ["value", "label"],
                "properties": {"value": text, "label": text}, "additionalProperties": False}},
            **dict.fromkeys(("goal", "summary", "implementation", "resources", "experiences",
                             "benefits"), text),
            "municipalities": {"type": "array", "items": place},
            "regions": {"type": "array", "items": place},
            "contact": {"description": "Published only with the respondent's consent.",
                        "oneOf": [{"type": "null"}, {
                            "type": "object", "required": ["name", "email", "phone", "text"],
                            "properties": dict.fromkeys(("name", "email", "phone", "text"), text),
                            "additionalProperties": False}]},
            "modified": {"type": "string", "description": "Date of the last change (YYYY-MM-DD)."},
            "url": {"type": "string"},
        },
        "additionalProperties": False,
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_FILE,
        "title": "Kulttuuria yhteistuumin: published good practices",
        "type": "object",
        "required": ["site_title", "count", "practices"],
        "properties": {"site_title": text, "count": {"type": "integer", "minimum": 0},
                       "practices": {"type": "array", "items": practice}},
        "additionalProperties": False,
    }


def schema_file() -> bytes:
    """Return ``practices.schema.json``."""
    return (json.dumps(practices_schema(), ensure_ascii=False, indent=2) + "\n").encode()
