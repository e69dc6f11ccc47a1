"""A name inside another person's longer name is another person, as an address inside
another address is: forgetting Anna Virtanen (anna@kunta.fi) took "Anna Virtanen" out of
Johanna Anna Virtanen's own contact cell in the kept copy of the form export, where a row
of Johanna's quoted Anna's address. Now the names of the database's other contacts that hold
hers are left whole; her name beside her address in that row still goes.

And in the database, Johanna's practice text "Anna Virtanen (anna@kunta.fi) auttoi alussa"
lost only the address: Anna's name stayed there (and on the site, were it published). The
name in a text that quotes her address is hers and goes too; a text without her address
keeps the name (a namesake's, maybe)."""

from __future__ import annotations

import csv

from ingest_support import only_version, practices_by_title, run_ingest
from publish_support import settings_for
from sqlmodel import select

from yhteistuumin_survey.db.models import PracticeVersion
from yhteistuumin_survey.person import person_report
from yhteistuumin_survey.privacy import AddressMatcher, Scrubber, forget_person

ANNA = "anna@kunta.fi"
HEADINGS = ["Timestamp", "Email Address", "Kunta tai kunnat, joissa käytäntö on käytössä",
            "Käytännön nimi", "Tavoite", "Toteuttaminen", "Yhteyshenkilön nimi",
            "Yhteyshenkilön sähköposti", "Yhteyshenkilön puhelinnumero",
            "Saako yhteyshenkilön nimen ja yhteystiedot julkaista hyvän käytännön yhteydessä "
            "yhteistuumin.fi-sivustolla?"]
ROWS = [
    ["2026/11/30 10:39:41 AM GMT+2", ANNA, "Rovaniemi", "Kirjastoauto kylille",
     "Tavoitteena on lukeminen kylissä.", "Auto kiertää viikoittain.", "Anna Virtanen", ANNA,
     "040 111 2222", "Kyllä"],
    ["2026/11/30 11:39:41 AM GMT+2", "johanna@kunta.fi", "Rovaniemi", "Lukupiiri ikäihmisille",
     "Tavoitteena on yhdessä lukeminen.",
     f"Kokoonnumme kirjastossa; Anna Virtanen ({ANNA}) auttoi alussa.",
     "Johanna Anna Virtanen", "johanna@kunta.fi", "040 333 4444", "Kyllä"],
    ["2026/11/30 12:39:41 PM GMT+2", "x@kunta.fi.example.org", "Rovaniemi", "Kuoro",
     "Tavoitteena on laulaa.", "Harjoitukset viikoittain; Anna Virtanen säestää.",
     "Anna Kuusela",
     "anna@kunta.fi.example.org", "040 555 6666", "Kyllä"]]


def export(folder, rows=ROWS):
    """Write a Google Forms export of ``rows`` into a new ``folder``; return its path."""
    folder.mkdir()
    path = folder / "vastaukset.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADINGS)
        writer.writerows(rows)
    return path


def test_a_namesake_inside_a_longer_name_keeps_her_name_when_anna_is_forgotten(
        engine, workspace, session, tmp_path) -> None:
    run_ingest([export(tmp_path / "in")], engine=engine, workspace=workspace)
    titles = practices_by_title(engine)

    # What ``person`` lists as Anna's: not Johanna's contact cell.
    report = person_report(workspace, ANNA, session=session, lang="en")
    assert "Johanna" not in repr(report.sections), report.sections

    forget_person(workspace, ANNA, session=session, settings=settings_for(workspace))

    [copy] = (workspace.outputs / "received").glob("*vastaukset.csv")
    rows = list(csv.reader(copy.read_text(encoding="utf-8").splitlines()))
    anna, johanna, kuusela = rows[1:]
    assert "Anna Virtanen" not in anna and ANNA not in anna and "040 111 2222" not in anna
    # Johanna's row: her own contact whole; Anna (her name beside her address) gone from it.
    assert johanna[6:9] == ["Johanna Anna Virtanen", "johanna@kunta.fi", "040 333 4444"]
    assert johanna[5].startswith("Kokoonnumme kirjastossa; [poistettu] (erased-")
    assert kuusela == ROWS[2]  # an address holding hers as its start is another person's
    session.expire_all()
    version = only_version(engine, titles["Lukupiiri ikäihmisille"]["id"])
    assert (version.contact_name, version.contact_email) == ("Johanna Anna Virtanen",
                                                             "johanna@kunta.fi")
    assert version.implementation.startswith("Kokoonnumme kirjastossa; [")
    assert "Anna Virtanen" not in version.implementation and ANNA not in version.implementation
    assert version.implementation.endswith(") auttoi alussa.")
    # A text that does not quote her address keeps the name: it may be a namesake's.
    choir = only_version(engine, titles["Kuoro"]["id"])
    assert choir.implementation == "Harjoitukset viikoittain; Anna Virtanen säestää."


def test_the_scrubber_leaves_a_kept_longer_name_and_takes_hers_elsewhere() -> None:
    scrubber = Scrubber(AddressMatcher(ANNA), "erased@invalid", "[poistettu]")
    scrubber.add_name("Anna Virtanen")
    scrubber.kept = {"Johanna Anna Virtanen"}
    assert scrubber.text("Anna Virtanen ja Johanna Anna Virtanen; kiitos Anna Virtaselle") == (
        "[poistettu] ja Johanna Anna Virtanen; kiitos [poistettu]")


def test_a_published_card_that_quoted_her_address_shows_no_placeholder(
        engine, workspace, session, tmp_path) -> None:
    """Johanna's card, published after Anna was forgotten, said "(erased-1a2b3c4d@invalid)"
    where Anna's address had stood: on the site, in its search index and in the open data.
    It says that a contact detail is not published."""
    from yhteistuumin_survey.db.models import Practice

    run_ingest([export(tmp_path / "in")], engine=engine, workspace=workspace)
    forget_person(workspace, ANNA, session=session, settings=settings_for(workspace))
    session.expire_all()
    johanna = session.get(Practice, practices_by_title(engine)["Lukupiiri ikäihmisille"]["id"])
    johanna.status, johanna.decided_version = "approved", 1
    session.add(johanna)
    session.commit()

    published = _published_without_placeholders(workspace, session)
    assert "Kokoonnumme kirjastossa" in published
    assert "[poistettu] ([yhteystietoa ei julkaista]) auttoi alussa" in published
    assert "Johanna Anna Virtanen" in published  # her own contact, published with consent


def test_no_placeholder_reaches_the_site_from_a_title_or_a_contact_text(
        engine, workspace, session) -> None:
    """The placeholder can stand wherever the address stood: a title, a contact text beside
    another person's address. None is published (nor linked as mailto:)."""
    from factories import make_practice

    make_practice(session, title="Lukupiiri (kysy erased-0a1b2c3d@invalid)", status="approved",
                  publish_consent=True, contact_name="Johanna Anna Virtanen",
                  contact_email="johanna@kunta.fi",
                  contact_text="Johanna Anna Virtanen, johanna@kunta.fi\nerased-0a1b2c3d@invalid")
    session.commit()

    published = _published_without_placeholders(workspace, session)
    assert "Lukupiiri (kysy [yhteystietoa ei julkaista])" in published
    assert 'href="mailto:johanna@kunta.fi"' in published


def test_a_swedish_card_says_borttaget_where_a_name_was_erased(engine, workspace, session
                                                               ) -> None:
    """forget leaves the Finnish "[poistettu]" in the database's texts; a Swedish card read
    on the site said it in the middle of Swedish. It says "[borttaget]" there; a Finnish
    card keeps "[poistettu]"."""
    from factories import make_practice

    for language, text in (("sv", "Idén kom från [poistettu] (erased-0a1b2c3d@invalid)."),
                           ("fi", "Idea tuli [poistettu]lta.")):
        make_practice(session, title=f"Läsecirkel {language}", status="approved",
                      language=language, publish_consent=True, implementation=text,
                      contact_name="Johanna Anna Virtanen", contact_email="johanna@kunta.fi")
    session.commit()

    published = _published_without_placeholders(workspace, session)
    assert "Idén kom från [borttaget] ([kontaktuppgiften publiceras inte])." in published
    assert "Idea tuli [poistettu]lta." in published
    assert "Idén kom från [poistettu]" not in published


def test_a_card_without_consent_hides_an_address_made_of_the_contacts_name(
        engine, workspace, session) -> None:
    """Anna Virtanen gave no consent: her name and anna@kunta.fi were hidden on the card,
    but "anna.virtanen@kunta.fi" in the text beside her (another address of hers) was
    published, and it spells her name. An address made of the contact's name is hidden as
    her name is; a colleague's and the library's stay."""
    from factories import make_practice

    make_practice(session, title="Lukupiiri", status="approved", publish_consent=False,
                  contact_name="Anna Virtanen", contact_email=ANNA,
                  implementation="Kysy Anna Virtaselta (anna.virtanen@kunta.fi, myös "
                                 "avirtanen@kunta.fi), Pekka Virtaselta (pekka.virtanen@kunta"
                                 ".fi) tai kirjastosta (kirjasto@kunta.fi).")
    session.commit()

    published = _published_without_placeholders(workspace, session)
    assert ("Kysy [yhteystietoa ei julkaista] ([yhteystietoa ei julkaista], myös [yhteystietoa "
            "ei julkaista]), Pekka Virtaselta (pekka.virtanen@kunta.fi) tai kirjastosta "
            "(kirjasto@kunta.fi).") in published
    assert "anna.virtanen@" not in published and "avirtanen@" not in published


def test_forget_names_another_address_made_of_her_name_and_leaves_it(
        engine, workspace, session) -> None:
    """An address is a person: forget takes anna@kunta.fi and leaves anna.virtanen@kunta.fi,
    which may be another address of hers. It says so, for the coordinator to decide, in the
    dry run too, and so does person; a colleague's address is not named."""
    from factories import make_practice

    for email in (ANNA, "anna.virtanen@kunta.fi", "pekka.virtanen@kunta.fi"):
        make_practice(session, title=f"Käytäntö {email}", contact_name="Anna Virtanen"
                      if "pekka" not in email else "Pekka Virtanen", contact_email=email)
    session.commit()
    said = ("anna.virtanen@kunta.fi: another address made of her name is in the database; it "
            "was left alone, as it may be someone else's: ask her, and if it is hers, run "
            "'yhteistuumin forget anna.virtanen@kunta.fi' too")
    settings = settings_for(workspace)
    # person tells the coordinator the same, apart from the report it hands over
    assert person_report(workspace, ANNA, session=session, lang="en").warnings() == [
        said.replace("forget", "person")]
    for dry_run in (True, False):
        remains = forget_person(workspace, ANNA, session=session, settings=settings,
                                dry_run=dry_run).remains
        assert said in remains, remains
    assert session.exec(select(PracticeVersion.contact_email).where(
        PracticeVersion.contact_email == "anna.virtanen@kunta.fi")).all()


def _published_without_placeholders(workspace, session) -> str:
    """Publish; return every byte of the site and the CMS folder, checked to hold no
    placeholder of an erased address."""
    from test_privacy_audit2 import _everything_published

    from yhteistuumin_survey.publish import publish_site

    publish_site(workspace, session=session, settings=settings_for(workspace))
    published = _everything_published(workspace)
    assert "@invalid" not in published and "erased-" not in published
    return published


def test_a_name_joined_by_a_hyphen_is_left_and_named_in_what_forget_says(
        engine, workspace, session) -> None:
    """"Anna Virtanen-Koski" in Anna's own practice is left as another person's name (the
    hyphen joins another name), but it may be Anna's own double name: forget names it for
    the coordinator instead of deciding in silence, in the dry run too."""
    from factories import make_practice

    practice = make_practice(session, title="Kuoro", contact_name="Anna Virtanen",
                             contact_email=ANNA, implementation="Kuoroa johtaa Anna "
                             "Virtanen-Koski; Anna Virtanen soittaa.")
    session.commit()
    said = ("Left as another person's name, being joined by a hyphen to another: 'Anna "
            "Virtanen-Koski'. If one is this person's own (a double name), correct it by hand "
            "where it stands (a reviewer's correction of the practice, or the file).")
    settings = settings_for(workspace)
    assert said in forget_person(workspace, ANNA, session=session, settings=settings,
                                 dry_run=True).remains
    assert said in forget_person(workspace, ANNA, session=session, settings=settings).remains
    session.expire_all()
    assert only_version(engine, practice.id).implementation == (
        "Kuoroa johtaa Anna Virtanen-Koski; [poistettu] soittaa.")
