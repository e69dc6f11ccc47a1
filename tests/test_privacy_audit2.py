"""``forget``, ``person`` and publishing tried again as data subjects would (audit2-privacy).

Names that are not in -nen, a name written surname first in capitals, a first name alone in
a reviewer's note, a workspace holding what forget cannot read, and contacts without consent.
"""

from __future__ import annotations

import pytest
from factories import make_practice
from publish_support import settings_for
from sqlmodel import select

from yhteistuumin_survey.db.models import Contact, Practice, PracticeVersion, ReviewDecision
from yhteistuumin_survey.person import person_report
from yhteistuumin_survey.privacy import AddressMatcher, forget_person, name_pattern


@pytest.mark.parametrize(("name", "forms"), [
    ("Liisa Lindroos", ["Liisa Lindroosille", "Liisa Lindroosin", "Liisa Lindroosia",
                        "Liisa Lindroosista", "Liisa Lindroos:lle", "LIISA LINDROOS"]),
    ("Anna Ek", ["Anna Ekin", "Anna Ekille", "Anna Ekiä", "Anna Ekistä", "Anna Eks"]),
    ("Jukka Korhola", ["Jukka Korholan", "Jukka Korholalle", "Jukka Korholaa"]),
    ("Sanna Marin", ["Sanna Marinin", "Sanna Marinille", "Sanna Marinia", "Sanna Marinilta"]),
    ("Matti Mäki", ["Matti Mäen", "Matti Mäelle", "Matti Mäkeä", "Matti Mäkikin"]),
    ("Olli Lahti", ["Olli Lahden", "Olli Lahdelle", "Olli Lahtea"]),
    ("Kalle Lukka", ["Kalle Lukan", "Kalle Lukalle", "Kalle Lukkaa"]),
    ("John Smith", ["John Smithille", "John Smith:lle"]),
])
def test_a_surname_not_in_nen_is_found_in_its_cases(name, forms):
    pattern = name_pattern(name)
    for text in forms:
        assert pattern.fullmatch(text), text


@pytest.mark.parametrize(("name", "others"), [
    ("Anna Ek", ["Anna Ekholm", "Anna Ekonomi", "Hanna Ekille"]),
    ("Sanna Marin", ["Sanna Marinetti", "Sanna Marina"]),
    ("Matti Mäki", ["Matti Mäkinen", "Matti Mäkelä"]),
])
def test_a_surname_pattern_leaves_longer_names_alone(name, others):
    pattern = name_pattern(name)
    for text in others:
        assert not pattern.search(text), text


LIISA = "liisa.lindroos@vaasa.example.fi"


def test_forget_takes_an_inflected_surname_and_a_first_name_from_the_reviewers_notes(
        workspace, session):
    own = make_practice(session, title="Kirjastokino", status="approved", publish_consent=True,
                        contact_name="Liisa Lindroos", contact_email=LIISA,
                        contact_phone="040 555 1234",
                        reviewer_comment="Soitin Liisalle 3.5., lupa saatu. Pekka hoitaa loput.")
    other = make_practice(session, title="Tanssitalo", status="approved",
                          contact_name="Pekka Puupää", contact_email="pekka@vaasa.example.fi",
                          reviewer_comment="Liisa Lindroosin mukaan kuvat saa käyttää.")
    session.add(ReviewDecision(practice_id=own.id, version=1, decision="approved",
                               previous_status="new", reviewer="Arvioija",
                               comment="Liisa Lindroosille lähetetty kiitos"))
    session.commit()

    report = person_report(workspace, LIISA, session=session)
    noted = {(row["practice"], row["decision"]) for row in report.sections["decisions"]}
    assert noted == {(own.id, "approved"), (own.id, "reviewers' note"),
                     (other.id, "reviewers' note")}

    forget_person(workspace, LIISA, session=session, settings=settings_for(workspace))

    session.expire_all()
    assert session.get(Practice, own.id).reviewer_comment == (
        "Soitin [poistettu] 3.5., lupa saatu. Pekka hoitaa loput.")
    # Another practice's note naming her is shown to her, but stays (it may be a namesake).
    assert session.get(Practice, other.id).reviewer_comment == (
        "Liisa Lindroosin mukaan kuvat saa käyttää.")
    assert session.exec(select(ReviewDecision)).one().comment == "[poistettu] lähetetty kiitos"


def test_a_name_in_capitals_surname_first_is_found_as_written_in_running_text(
        workspace, session):
    address = "liisa.virtanen@oulu.example.fi"
    session.add(Contact(municipality_code="564", email=address, name="VIRTANEN LIISA",
                        phone="040 777 8899", source_file="recipients/yhteystiedot.xlsx",
                        source_row=4))
    named = make_practice(session, title="Kuorolaulu", status="approved",
                          contact_name="Pekka Puupää", contact_email="pekka@oulu.example.fi",
                          experiences="Kiitos Liisa Virtaselle ideasta!")
    session.commit()

    report = person_report(workspace, address, session=session)
    assert [row["name"] for row in report.sections["contacts"]] == ["VIRTANEN LIISA"]
    assert [(row["practice"], row["named_in"]) for row in report.sections["practices"]] == [
        (named.id, ["experiences"])]

    forget_person(workspace, address, session=session, settings=settings_for(workspace))

    session.expire_all()
    version = session.exec(select(PracticeVersion).where(
        PracticeVersion.practice_id == named.id)).one()
    assert version.contact_name == "Pekka Puupää"
    contact = session.exec(select(Contact).where(Contact.municipality_code == "564")).one()
    assert (contact.name, contact.phone, contact.status) == (None, None, "erased")
    assert not AddressMatcher(address).mentions(contact.email)
