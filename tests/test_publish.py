"""``publish``: only approved practices, corrections applied, contact with consent, escaped
answers, JSON and Markdown for the CMS, byte-identical output, stale pages removed."""

from __future__ import annotations

import gzip
import json
import os
import re

import pytest
from factories import make_practice
from publish_support import card_list, card_list_text, front_matter, settings_for, tree_digest, tree_text
from sqlmodel import select

from yhteistuumin_survey.db.models import PracticeMunicipality, PracticeVersion
from yhteistuumin_survey.errors import InputError
from yhteistuumin_survey.publish import SITE_CACHE, SITE_MARKER, publish_site


def publish(workspace, session, out=None):
    return publish_site(workspace, session=session, settings=settings_for(workspace), out=out)


def published_ids(site) -> list[int]:
    data = json.loads((site / "practices.json").read_text(encoding="utf-8"))
    return [item["id"] for item in data["practices"]]


def test_publish_shows_only_approved_practices(workspace, session):
    approved = make_practice(session, title="Hyväksytty käytäntö", status="approved")
    for status in ("new", "needs-info", "rejected", "duplicate"):
        make_practice(session, title=f"Ei julkaista {status}", status=status)
    copy = make_practice(session, title="Hyväksytty kaksoiskappale", status="approved")
    copy.duplicate_of_id = approved.id
    session.add(copy)
    session.commit()

    result = publish(workspace, session)

    assert result.practices == 1
    assert published_ids(result.out) == [approved.id]
    pages = sorted(p.parent.name for p in result.out.glob("[0-9]*/index.html"))
    assert pages == [f"{approved.id}-hyvaksytty-kaytanto"]
    text = tree_text(result.out)
    assert "Ei julkaista" not in text and "kaksoiskappale" not in text


def test_publish_applies_reviewer_corrections(workspace, session):
    practice = make_practice(session, title="Kirjsto kaikille", status="approved",
                             municipalities=["049", "091"], keywords=["kirjsto"],
                             corrected_title="Kirjasto kaikille",
                             corrected_keywords=["kirjasto", "lukeminen"])
    session.add(PracticeMunicipality(practice_id=practice.id, municipality_code="853",
                                     source="reviewer"))
    session.commit()

    result = publish(workspace, session)

    item = json.loads((result.out / "practices.json").read_text())["practices"][0]
    assert item["title"] == "Kirjasto kaikille"
    assert item["keywords"] == ["kirjasto", "lukeminen"]
    assert [m["code"] for m in item["municipalities"]] == ["853"]  # the reviewer's replace the others
    assert [r["name_fi"] for r in item["regions"]] == ["Varsinais-Suomi"]
    page = (result.out / f"{practice.id}-kirjasto-kaikille" / "index.html").read_text()
    assert "<h1>Kirjasto kaikille</h1>" in page
    assert "Turku" in page and "Espoo" not in page and "kirjsto" not in page


def test_contact_is_published_only_with_consent(workspace, session):
    make_practice(session, title="Luvan kanssa", status="approved", publish_consent=True,
                  contact_name="Liisa Lupa", contact_email="liisa.lupa@example.fi",
                  contact_phone="040 111 2222")
    make_practice(session, title="Ilman lupaa", status="approved", publish_consent=False,
                  contact_name="Kalle Kielto", contact_email="kalle.kielto@example.fi",
                  contact_phone="040 333 4444")

    result = publish(workspace, session)

    text = tree_text(result.out)
    assert "liisa.lupa@example.fi" in text and "Liisa Lupa" in text and "040 111 2222" in text
    assert "kalle.kielto" not in text and "Kalle Kielto" not in text and "333 4444" not in text
    items = {i["title"]: i for i in json.loads((result.out / "practices.json").read_text())["practices"]}
    assert items["Ilman lupaa"]["contact"] is None
    assert items["Luvan kanssa"]["contact"]["email"] == "liisa.lupa@example.fi"


def contact_block(result, practice) -> str:
    """Return what the practice's page shows inside its ``<address>`` element."""
    page = next(result.out.glob(f"{practice.id}-*/index.html")).read_text()
    return page[page.index("<address>") + len("<address>"):page.index("</address>")]


def test_contact_written_as_text_shows_once_with_its_lines_and_a_mail_link(workspace, session):
    # As the 4V card's contact came in: one free-text answer, split into name and email.
    practice = make_practice(
        session, title="Kuntien välinen yhteistyö", status="approved", publish_consent=True,
        contact_name="Eija Koski", contact_email="eija.koski@example.fi",
        contact_text="Pääkaupunkiseudun Kierrätyskeskus Oy, Eija Koski\neija.koski@example.fi")

    result = publish(workspace, session)

    address = contact_block(result, practice)
    assert address.count("Eija Koski") == 1
    assert address.count('<a href="mailto:eija.koski@example.fi">eija.koski@example.fi</a>') == 1
    assert address.count("eija.koski@example.fi") == 2  # the link and its text
    assert "Kierrätyskeskus Oy, Eija Koski<br>" in address


def test_contact_parts_show_one_a_line_with_a_mail_link(workspace, session):
    practice = make_practice(
        session, title="Osina", status="approved", publish_consent=True,
        contact_name="Liisa <b>Lupa</b>", contact_email="liisa.lupa@example.fi",
        contact_phone="040 111 2222")

    result = publish(workspace, session)

    assert contact_block(result, practice).strip() == (
        'Liisa &lt;b&gt;Lupa&lt;/b&gt;<br>\n<a href="mailto:liisa.lupa@example.fi">'
        'liisa.lupa@example.fi</a><br>\n040 111 2222')


def test_answers_are_escaped_in_html_and_markdown(workspace, session):
    practice = make_practice(session, title="Lukupiiri <script>alert('x')</script>",
                             status="approved",
                             summary='<img src=x onerror="alert(1)"> & <b>lihava</b>',
                             keywords=["<i>kursiivi</i>"])

    result = publish(workspace, session)

    pages = [(result.out / "index.html").read_text(),
             next(result.out.glob(f"{practice.id}-*/index.html")).read_text()]
    for page in pages:
        assert "<script>alert" not in page
        assert "<img src=x" not in page and "<b>lihava" not in page and "<i>kursiivi" not in page
        assert "&lt;script&gt;alert(" in page
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt; &amp; &lt;b&gt;lihava&lt;/b&gt;" in pages[1]
    markdown = next(result.cms.glob("*.md")).read_text()
    meta, body = front_matter(markdown)
    assert meta["title"] == "Lukupiiri <script>alert('x')</script>"  # data, not HTML
    assert "<img" not in body and "&lt;img src=x" in body


def test_front_matter_quotes_codes_and_numbers_a_yaml_1_2_reader_would_turn_into_numbers(
        workspace, session):
    # PyYAML (YAML 1.1) reads 049 as text unquoted, js-yaml 4 and other YAML 1.2 readers as 49.
    practice = make_practice(session, title="2025", status="approved", municipalities=["049"],
                             keywords=["1e3"], publish_consent=True,
                             contact_name="Numero", contact_phone="0409876543")

    result = publish(workspace, session)

    markdown = next(result.cms.glob(f"{practice.id}-*.md")).read_text()
    head = markdown.split("\n---\n", 1)[0]
    assert "code: '049'" in head
    assert "phone: '0409876543'" in head
    assert "title: '2025'" in head and "- '1e3'" in head
    meta, _ = front_matter(markdown)
    assert meta["municipalities"][0]["code"] == "049" and meta["contact"]["phone"] == "0409876543"


def test_a_new_render_revision_makes_the_next_publish_render_every_practice(
        workspace, session, monkeypatch):
    from yhteistuumin_survey import publish as publish_module

    make_practice(session, title="Sama", status="approved")
    first = publish(workspace, session)
    before = json.loads((first.out / SITE_MARKER).read_text())
    [markdown] = first.cms.glob("*-sama.md")
    # The renderer changes (as a new version of the program would change it) ...
    real_text = publish_module.markdown_text
    monkeypatch.setattr(publish_module, "markdown_text", lambda text: real_text(text) + " (uusi)")

    # ... but without a new render revision the unchanged practice is not rendered again,
    publish(workspace, session)
    assert "# Sama\n" in markdown.read_text(encoding="utf-8")

    # and with one, every practice is.
    monkeypatch.setattr(publish_module, "RENDER_REVISION", publish_module.RENDER_REVISION + 1)
    result = publish(workspace, session)

    after = json.loads((result.out / SITE_MARKER).read_text())
    assert after["generator"] != before["generator"]
    assert "# Sama (uusi)\n" in markdown.read_text(encoding="utf-8")
    assert markdown.name in result.cms_written


def test_practices_json_and_markdown_front_matter_parse(workspace, session):
    practice = make_practice(session, title="Kuntien välinen yhteistyö aluetyössä",
                             status="approved", municipalities=["049", "091", "092"],
                             target_group=["municipal_staff", "other:asukastyöntekijät"])

    result = publish(workspace, session)

    data = json.loads((result.out / "practices.json").read_text(encoding="utf-8"))
    assert data["count"] == 1
    item = data["practices"][0]
    assert item["url"] == f"{practice.id}-kuntien-valinen-yhteistyo-aluetyossa/"
    assert [(m["code"], m["name_fi"], m["name_sv"]) for m in item["municipalities"]] == [
        ("049", "Espoo", "Esbo"), ("091", "Helsinki", "Helsingfors"), ("092", "Vantaa", "Vanda")]
    assert [r["code"] for r in item["regions"]] == ["01"]
    assert item["target_group"] == [
        {"value": "municipal_staff", "label": "Kunnan työntekijät"},
        {"value": "other:asukastyöntekijät", "label": "asukastyöntekijät"}]
    for name in ("goal", "summary", "implementation", "resources", "experiences", "benefits"):
        assert item[name]
    markdown = result.cms / f"{practice.id}-kuntien-valinen-yhteistyo-aluetyossa.md"
    meta, body = front_matter(markdown.read_text(encoding="utf-8"))
    assert meta["id"] == practice.id and meta["url"] == item["url"]
    assert meta["municipalities"][0] == {"code": "049", "name": "Espoo"}
    assert meta["target_group"] == ["Kunnan työntekijät", "asukastyöntekijät"]
    assert "## Tavoite" in body and "## Hyvä käytäntö pähkinänkuoressa" in body


def test_practice_page_is_the_card_in_the_practice_language(workspace, session):
    finnish = make_practice(session, title="Kulttuurikaveri", status="approved")
    swedish = make_practice(session, title="Kulturvän", status="approved", language="sv",
                            municipalities=["478"], target_group=["older_people"])

    result = publish(workspace, session)

    page = next(result.out.glob(f"{finnish.id}-*/index.html")).read_text()
    assert page.startswith('<!DOCTYPE html>\n<html lang="fi">')
    headings = ["Tavoite", "Hyvä käytäntö pähkinänkuoressa", "Toteuttaminen", "Resurssit",
                "Kokemuksia", "Hyödyt", "Yhteystiedot"]
    positions = [page.index(f"<h2>{h}</h2>") for h in headings]
    assert positions == sorted(positions)
    assert "<main id=\"main\" data-pagefind-body>" in page
    sv = next(result.out.glob(f"{swedish.id}-*/index.html")).read_text()
    assert '<html lang="sv">' in sv
    # The Swedish site's own title ([site] title_sv), no longer the Finnish one marked lang="fi".
    assert '<header><p><a href="../sv/index.html">Kulttuuria yhteistuumin – goda exempel</a>' in sv
    assert '<header><p><a href="../index.html">Kulttuuria yhteistuumin – hyvät käytännöt</a>' in page
    for heading in ("Mål", "Den goda praxisen i ett nötskal", "Genomförande", "Kontaktuppgifter"):
        assert f"<h2>{heading}</h2>" in sv
    assert "Mariehamn" in sv and "Äldre" in sv
    # The programme's name is a proper noun: the same on Swedish pages (not misspelt).
    assert ("<p>Kulttuuria yhteistuumin – goda exempel från kommunernas kulturtjänster.</p>"
            in (result.out / "sv/index.html").read_text())
    index = (result.out / "index.html").read_text()
    assert re.search(r'<li lang="sv"[^>]*>\s*<h2><a href="'
                     f'{swedish.id}-kulturvan/index.html"', index)


def test_same_database_gives_byte_identical_site(workspace, session, tmp_path):
    for n in range(3):
        make_practice(session, title=f"Käytäntö numero {n}", status="approved",
                      municipalities=["049", "837"][: n % 2 + 1])

    first = publish(workspace, session, out=tmp_path / "a")
    second = publish(workspace, session, out=tmp_path / "b")
    again = publish(workspace, session, out=tmp_path / "a")

    assert tree_digest(first.out) == tree_digest(second.out)
    assert "pagefind/pagefind-entry.json" in tree_digest(first.out)
    assert again.written == [] and again.removed == [] and again.indexed == ""


def test_republish_rewrites_only_what_changed(workspace, session):
    one = make_practice(session, title="Ensimmäinen", status="approved")
    two = make_practice(session, title="Toinen", status="approved")
    first = publish(workspace, session)
    other_page = next(first.out.glob(f"{two.id}-*/index.html"))
    os.utime(other_page, (1_000_000_000, 1_000_000_000))

    one.corrected_title = "Ensimmäinen korjattu"
    session.add(one)
    session.commit()
    result = publish(workspace, session)

    assert sorted(result.written) == sorted([
        f"{one.id}-ensimmainen/index.html",
        "index.html", "sv/index.html", "cards.json.gz", "practices.json", SITE_MARKER, SITE_CACHE])
    assert result.cms_written == [f"{one.id}-ensimmainen.md"]  # the CMS's Markdown, not served
    assert result.removed == [] and result.cms_removed == []
    assert result.indexed == "changes"  # only the changed card, beside the full index
    assert other_page.stat().st_mtime == 1_000_000_000  # untouched


def test_a_title_corrected_after_publishing_keeps_the_page_address(workspace, session, tmp_path):
    practice = make_practice(session, title="Kirjsto kaikille", status="approved")
    site = publish(workspace, session).out
    address = f"{practice.id}-kirjsto-kaikille"

    practice.corrected_title = "Kirjasto kaikille"
    session.add(practice)
    session.commit()
    result = publish(workspace, session)

    assert result.removed == []
    page = (site / address / "index.html").read_text(encoding="utf-8")
    assert "<h1>Kirjasto kaikille</h1>" in page or ">Kirjasto kaikille<" in page
    item = json.loads((site / "practices.json").read_text(encoding="utf-8"))["practices"][0]
    assert item["title"] == "Kirjasto kaikille" and item["url"].endswith(f"{address}/")
    assert (workspace.outputs / "cms" / f"{address}.md").exists()
    assert f'href="{address}/index.html"' in (site / "index.html").read_text(encoding="utf-8")
    # The same database rebuilt into an empty folder gives the same pages and data; the search
    # index differs only in holding the changed card in a bundle of its own (and the page ids
    # that follow from that), until a full index.
    fresh = publish(workspace, session, out=tmp_path / "fresh").out
    by_index = ("pagefind", ".pagefind", "index.html", "sv/index.html", "cards.json.gz", SITE_MARKER,
                SITE_CACHE)
    assert ({path: digest for path, digest in tree_digest(fresh).items() if not path.startswith(by_index)}
            == {path: digest for path, digest in tree_digest(site).items()
                if not path.startswith(by_index)})


def test_a_title_corrected_before_the_first_publish_names_the_page(workspace, session):
    practice = make_practice(session, title="Kirjsto kaikille", status="approved",
                             corrected_title="Kirjasto kaikille")

    site = publish(workspace, session).out

    assert (site / f"{practice.id}-kirjasto-kaikille" / "index.html").exists()


def test_a_practice_rejected_after_a_title_correction_leaves_no_page(workspace, session):
    practice = make_practice(session, title="Vanha nimi", status="approved")
    site = publish(workspace, session).out
    practice.corrected_title = "Uusi nimi"
    session.add(practice)
    session.commit()
    publish(workspace, session)

    practice.status = "rejected"
    session.add(practice)
    session.commit()
    result = publish(workspace, session)

    assert result.practices == 0
    assert not list(site.glob(f"{practice.id}-*")) and not list(result.cms.glob(f"{practice.id}-*"))
    # Approved again, it comes back at the address it had.
    practice.status = "approved"
    session.add(practice)
    session.commit()
    publish(workspace, session)
    assert (site / f"{practice.id}-vanha-nimi" / "index.html").exists()


def test_practice_rejected_later_disappears_on_next_publish(workspace, session):
    keep = make_practice(session, title="Pysyy", status="approved")
    gone = make_practice(session, title="Hylätään myöhemmin", status="approved")
    site = publish(workspace, session).out
    assert (site / f"{gone.id}-hylataan-myohemmin" / "index.html").exists()

    gone.status = "rejected"
    session.add(gone)
    session.commit()
    result = publish(workspace, session)

    assert not (site / f"{gone.id}-hylataan-myohemmin").exists()
    assert result.cms_removed == [f"{gone.id}-hylataan-myohemmin.md"]
    assert not (result.cms / f"{gone.id}-hylataan-myohemmin.md").exists()
    assert published_ids(site) == [keep.id]
    assert "Hylätään" not in tree_text(site)


def test_publish_refuses_a_folder_it_did_not_make(workspace, session, tmp_path):
    make_practice(session, title="Jotain", status="approved")
    foreign = tmp_path / "documents"
    foreign.mkdir()
    (foreign / "thesis.docx").write_bytes(b"precious")

    with pytest.raises(InputError, match="not made by `yhteistuumin publish`"):
        publish(workspace, session, out=foreign)
    assert (foreign / "thesis.docx").read_bytes() == b"precious"


def test_the_markdown_for_the_cms_goes_to_a_folder_beside_the_site_not_into_it(
        workspace, session, tmp_path):
    practice = make_practice(session, title="Lukupiiri", status="approved")
    site, cms = tmp_path / "www", tmp_path / "sisalto"

    result = publish_site(workspace, session=session, settings=settings_for(workspace),
                          out=site, cms=cms)

    assert result.cms == cms.resolve()
    assert [p.name for p in cms.glob("*.md")] == [f"{practice.id}-lukupiiri.md"]
    assert not list(site.rglob("*.md"))  # the site serves HTML and JSON, not the CMS's input
    assert f"  Markdown for the CMS in {cms.resolve()}: 2 files written, 0 unchanged, 0 removed" \
        in result.summary()  # its Markdown file and the mark that the folder is publish's
    # The CMS folder is publish's own (stale files go), so it must not be inside the site or
    # hold files publish did not make.
    with pytest.raises(InputError, match="must be apart"):
        publish_site(workspace, session=session, settings=settings_for(workspace),
                     out=site, cms=site / "cms")
    foreign = tmp_path / "documents"
    foreign.mkdir()
    (foreign / "notes.md").write_text("mine")
    with pytest.raises(InputError, match="choose an empty or new folder with --cms"):
        publish_site(workspace, session=session, settings=settings_for(workspace),
                     out=site, cms=foreign)
    assert (foreign / "notes.md").read_text() == "mine"


def test_a_site_published_with_its_markdown_inside_loses_it_to_the_cms_folder(workspace, session):
    practice = make_practice(session, title="Lukupiiri", status="approved")
    site = publish(workspace, session).out
    old = site / "practices" / f"{practice.id}-lukupiiri.md"  # where earlier versions wrote it
    old.parent.mkdir()
    old.write_text("---\ntitle: Lukupiiri\n---\n", encoding="utf-8")

    result = publish(workspace, session)

    assert result.removed == [f"practices/{practice.id}-lukupiiri.md"]
    assert not (site / "practices").exists()
    assert (result.cms / f"{practice.id}-lukupiiri.md").is_file()


def test_site_has_no_assets_from_other_hosts(workspace, session):
    make_practice(session, title="Paikallinen", status="approved",
                  summary="Lisää: https://www.example.fi/ohje")

    site = publish(workspace, session).out

    # Links to other sites are fine (the accessibility statement names the supervisor's); what a
    # page loads from another host (a script, a stylesheet, a font, an icon) is not.
    loads = re.compile(r'src="http|<link(?![^>]*rel="(?:canonical|alternate)")[^>]*href="http'
                       r'|url\(http|@import')
    pages = [*site.glob("**/index.html"), *site.glob("static/*")]
    assert len(pages) > 6
    for path in pages:
        assert not loads.search(path.read_text()), path


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_site_colours_have_at_least_aa_contrast():
    import re

    from yhteistuumin_survey.resources import bundled_path

    css = bundled_path("templates/site/static/site.css").read_text()
    colours = dict(re.findall(r"--([a-z-]+):\s*(#[0-9a-fA-F]{6})", css))
    pairs = [("text", "bg"), ("text", "panel"), ("muted", "bg"), ("muted", "panel"),
             ("accent", "bg"), ("accent", "panel"), ("accent-text", "accent"), ("focus", "bg")]
    for foreground, background in pairs:
        ratio = _contrast(colours[foreground], colours[background])
        assert ratio >= 4.5, (foreground, background, round(ratio, 2))


def test_full_publish_writes_each_file_once_and_leaves_no_scratch_files(workspace, session):
    ids = [make_practice(session, title=f"Käytäntö {n}", status="approved").id for n in range(3)]
    beside_before = set(workspace.outputs.iterdir())
    result = publish(workspace, session)
    site = result.out

    # Every file is written once, into the site; Pagefind indexed the pages where they are.
    assert len(result.written) == len(set(result.written))
    on_disk = {p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file()}
    assert set(result.written) <= on_disk
    assert not [name for name in on_disk if name.endswith(".tmp")]
    # No scratch folder left: the site and, beside it, the Markdown for the CMS.
    assert set(workspace.outputs.iterdir()) - beside_before == {site, result.cms}
    assert sorted(p.name for p in result.cms.iterdir()) == sorted([
        ".yhteistuumin-cms.json", *(f"{page.name}.md" for page in site.glob("[0-9]*-*"))])
    assert not [name for name in on_disk if name.endswith(".md")]  # nothing of it is served
    folders = [p for p in site.iterdir() if p.is_dir() and p.name[:1].isdigit()]
    assert sorted(int(p.name.split("-")[0]) for p in folders) == sorted(ids)
    assert all((p / "index.html").is_file() for p in folders)
    assert result.indexed == "all" and result.languages == ["fi"] and (site / "pagefind").is_dir()


def test_one_search_index_with_an_index_per_language_and_no_page_of_a_withdrawn_practice(
        workspace, session):
    from yhteistuumin_survey.publish import index_page_ids

    finnish = make_practice(session, title="Kirjasto kaikille", status="approved")
    swedish = make_practice(session, title="Kulturvän för äldre", status="approved", language="sv")
    withdrawn = make_practice(session, title="Poistuva käytäntö", status="approved")
    publish(workspace, session)
    withdrawn.status = "rejected"
    session.add(withdrawn)
    session.commit()
    result = publish(workspace, session)

    bundle = result.out / "pagefind"
    entry = json.loads((bundle / "pagefind-entry.json").read_text(encoding="utf-8"))
    # One bundle (one copy of Pagefind's script and WebAssembly), one index per language.
    assert {lang: index["page_count"] for lang, index in entry["languages"].items()} == {
        "fi": 1, "sv": 1}
    assert result.indexed == "all" and result.languages == ["fi", "sv"]
    assert sorted(p.name for p in bundle.glob("pagefind*.js")) == ["pagefind-worker.js", "pagefind.js"]
    ids = index_page_ids(bundle)
    assert sorted(ids) == sorted([f"{finnish.id}-kirjasto-kaikille/", f"{swedish.id}-kulturvan-for-aldre/"])
    assert ids[f"{swedish.id}-kulturvan-for-aldre/"].startswith("sv_")
    index = (result.out / "index.html").read_text(encoding="utf-8")
    assert 'data-index="fi sv"' in index
    listed = card_list(result.out)["ids"]
    assert sorted(pf[:3] for pf in listed) == ["fi_", "sv_"]


def test_the_search_index_holds_the_facts_but_not_their_headings_and_the_site_no_index_state(
        workspace, session):
    make_practice(session, title="Kirjasto kaikille", status="approved", keywords=["musiikki"],
                  municipalities=["091"])

    site = publish(workspace, session).out

    texts = []
    for fragment in (site / "pagefind" / "fragment").glob("*.pf_fragment"):
        data = gzip.decompress(fragment.read_bytes()).removeprefix(b"pagefind_dcd")
        texts.append(json.loads(data)["content"])
        assert json.loads(data)["meta"]["title"] == "Kirjasto kaikille"  # from the h1
    assert len(texts) == 1
    words = [word.strip(".,") for word in texts[0].split()]
    assert "musiikki" in words and "Helsinki" in words  # each fact its own words
    assert "Avainsanat" not in texts[0] and "Kunnat" not in texts[0]  # the facts' headings
    assert not texts[0].startswith("Hyvä käytäntö")  # the eyebrow over the title
    # What publish keeps about the bundle is its own dot file, not a file served with it.
    assert not list((site / "pagefind").rglob("*.json.gz"))
    assert (site / ".pagefind.state.json.gz").is_file()


def test_a_republish_indexes_the_changed_cards_alone_and_drops_their_old_text(workspace, session):
    from yhteistuumin_survey.publish import CHANGES_FOLDER, index_page_ids

    practices = [make_practice(session, title=f"Käytäntö {n}", status="approved",
                               implementation=f"Alkuperäinen teksti {n}.") for n in range(3)]
    site = publish(workspace, session).out
    old_ids = index_page_ids(site / "pagefind")
    first = practices[0]
    first.corrected_title = "Käytäntö 0 korjattu"
    session.add(first)
    session.commit()

    result = publish(workspace, session)

    folder = f"{first.id}-kaytanto-0/"
    assert result.indexed == "changes"
    assert sorted(index_page_ids(site / CHANGES_FOLDER)) == [folder]
    # The full index keeps the other cards, not the changed card's old text.
    assert sorted(index_page_ids(site / "pagefind")) == sorted(set(old_ids) - {folder})
    fragments = "".join(gzip.decompress(path.read_bytes()).decode("utf-8", "replace")
                        for path in (site / "pagefind" / "fragment").iterdir())
    assert "Alkuperäinen teksti 1" in fragments and "Alkuperäinen teksti 0" not in fragments
    cards = card_list(site)
    new_id = index_page_ids(site / CHANGES_FOLDER)[folder]
    assert cards["changed"] == [new_id]
    assert dict(zip([entry["u"] for entry in cards["cards"]], cards["ids"], strict=True))[folder] == new_id
    entry = json.loads((site / CHANGES_FOLDER / "pagefind-entry.json").read_text(encoding="utf-8"))
    assert list(entry["languages"]) == ["fi"]
    assert publish(workspace, session).indexed == ""  # nothing changed since

    # A card that goes (or whose contact changes) makes the full index again, without it.
    practices[1].status = "rejected"
    session.add(practices[1])
    session.commit()
    result = publish(workspace, session)
    assert result.indexed == "all" and not (site / CHANGES_FOLDER).exists()
    assert len(index_page_ids(site / "pagefind")) == 2
    assert card_list(site)["changed"] == []


def test_a_card_approved_since_the_last_publish_is_indexed_alone_beside_the_full_index(
        workspace, session):
    """A newly approved practice, the usual change between two publishes, made the whole
    index again (its contact, new, counted as a changed one: 4-6 s of Pagefind at 5,000
    cards). Nothing of it is in the full index, so it goes to the changes bundle; a contact
    changed on a card already published still makes the full index again."""
    from yhteistuumin_survey.publish import CHANGES_FOLDER, index_page_ids

    old = [make_practice(session, title=f"Käytäntö {n}", status="approved",
                         publish_consent=True, contact_name=f"Yhteys {n}",
                         contact_email=f"yhteys{n}@kunta.example.fi") for n in range(3)]
    site = publish(workspace, session).out
    new = make_practice(session, title="Uusi käytäntö", status="approved", publish_consent=True,
                        contact_name="Uusi Yhteys", contact_email="uusi@kunta.example.fi")

    result = publish(workspace, session)

    assert result.indexed == "changes"
    assert sorted(index_page_ids(site / CHANGES_FOLDER)) == [f"{new.id}-uusi-kaytanto/"]
    assert len(index_page_ids(site / "pagefind")) == 3

    version = session.exec(select(PracticeVersion).where(
        PracticeVersion.practice_id == old[0].id)).one()
    version.contact_email = "toinen@kunta.example.fi"
    session.add(version)
    session.commit()
    assert publish(workspace, session).indexed == "all"


def test_paragraphs_escape_and_keep_breaks():
    from yhteistuumin_survey.publish import _paragraphs

    text = "Eka <b>rivi</b> & \"toka\"\r\nrivi\n \n\nToinen kappale 'x'\n\n\n"
    assert str(_paragraphs(text)) == (
        "<p>Eka &lt;b&gt;rivi&lt;/b&gt; &amp; &#34;toka&#34;<br>\nrivi</p>\n"
        "<p>Toinen kappale &#39;x&#39;</p>")


def test_cards_json_has_its_head_on_the_first_line_and_one_card_a_line(workspace, session):
    # site.js finds a card's line by its page id in the head, and parses only the lines of the
    # cards a search found.
    make_practice(session, title="Lainausmerkit", status="approved",
                  summary='Hän kirjoitti "pf":"fi_0" ja\nrivin vaihdon.')
    make_practice(session, title="Toinen", status="approved", language="sv")
    result = publish(workspace, session)
    text = card_list_text(result.out)
    lines = text.split("\n")
    assert lines[0].endswith('"cards":[') and lines[-2:] == ["]}", ""]
    entries = [json.loads(line.removesuffix(",")) for line in lines[1:-2]]
    assert sorted(entry["t"] for entry in entries) == ["Lainausmerkit", "Toinen"]
    assert json.loads(text)["cards"] == entries
    head = json.loads(lines[0] + "]}")
    # Each entry's page id is in the head, in the entries' order, and not in the entry again.
    assert head["changed"] == [] and len(head["ids"]) == len(entries)
    assert sorted(pf[:3] for pf in head["ids"]) == ["fi_", "sv_"]
    assert [pf[:3] for pf in head["ids"]] == [f"{entry['l']}_" for entry in entries]
    assert all("pf" not in entry for entry in entries)
