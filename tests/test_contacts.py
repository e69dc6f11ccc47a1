"""The contact list: headers found in fi/sv/en, municipality by code or name, addresses checked."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import Session, col, select

from yhteistuumin_survey.contacts import (
    check_contacts,
    header_role,
    import_contacts,
    normalise_address,
    split_addresses,
)
from yhteistuumin_survey.db.models import Contact, ContactProblem
from yhteistuumin_survey.errors import InputError
from yhteistuumin_survey.resources import bundled_path

DATA = Path(__file__).parent / "data" / "contacts"
MESSY = DATA / "yhteystiedot.csv"


def contacts(session: Session) -> list[tuple[str, str]]:
    rows = session.exec(select(Contact.municipality_code, Contact.email)).all()
    return sorted((code, email) for code, email in rows)


# --- cells and headers -------------------------------------------------------------------


@pytest.mark.parametrize(("cell", "expected"), [
    ("a@x.example.fi", ["a@x.example.fi"]),
    ("a@x.example.fi; b@x.example.fi", ["a@x.example.fi", "b@x.example.fi"]),
    ("a@x.example.fi,b@x.example.fi", ["a@x.example.fi", "b@x.example.fi"]),
    ("a@x.example.fi\nb@x.example.fi", ["a@x.example.fi", "b@x.example.fi"]),
    ("Kirjaamo <a@x.example.fi>", ["a@x.example.fi"]),
    ("mailto:a@x.example.fi", ["a@x.example.fi"]),
    ("kirjaamo(at)x.example.fi", ["kirjaamo@x.example.fi"]),
    ("kirjaamo [at] x.example.fi", ["kirjaamo@x.example.fi"]),
    ("Kirjaamo: a@x.example.fi", ["a@x.example.fi"]),
    ("ei osoitetta", ["ei", "osoitetta"]),
])
def test_split_addresses(cell: str, expected: list[str]) -> None:
    assert split_addresses(cell) == expected


def test_example_domains_pass_and_broken_addresses_fail() -> None:
    assert normalise_address("Kirjaamo@Espoo.Example.FI") == "kirjaamo@espoo.example.fi"
    assert normalise_address("registrator@mariehamn.example.fi") == "registrator@mariehamn.example.fi"
    for bad in ("kirjaamo@espoo", "kirjaamo@@espoo.fi", "kirjaamo.espoo.fi", "a b@espoo.fi"):
        with pytest.raises(ValueError):
            normalise_address(bad)


@pytest.mark.parametrize(("header", "role"), [
    ("Kunta", "municipality"), ("Kommun", "municipality"), ("Municipality", "municipality"),
    ("Kunnan nimi", "municipality"), ("Kuntanumero", "code"), ("Kuntakoodi", "code"),
    ("Kommunnummer", "code"), ("Sähköposti", "email"), ("Sähköpostiosoite", "email"),
    ("E-post", "email"), ("E-mail", "email"), ("Yhteyshenkilön sähköposti", "email"),
    ("Nimi", "name"), ("Namn", "name"), ("Yhteyshenkilö", "name"), ("Rooli", "role"),
    ("Titteli", "role"), ("Befattning", "role"), ("Puhelin", "phone"), ("Telefon", "phone"),
    ("Phone", "phone"), ("Huomautukset", None), ("", None),
])
def test_header_roles_in_finnish_swedish_english(header: str, role: str | None) -> None:
    assert header_role(header) == role


# --- importing ---------------------------------------------------------------------------


def test_messy_list_every_row_gets_an_outcome(session: Session) -> None:
    result = import_contacts(MESSY, session=session, display="yhteystiedot.csv")
    session.commit()
    assert result.header_row == 4
    assert [(o.source, o.status) for o in result.report.outcomes] == [
        ("yhteystiedot.csv:5", "added"), ("yhteystiedot.csv:6", "added"),
        ("yhteystiedot.csv:7", "added"), ("yhteystiedot.csv:8", "added"),
        ("yhteystiedot.csv:9", "error"), ("yhteystiedot.csv:10", "error"),
        ("yhteystiedot.csv:11", "error"), ("yhteystiedot.csv:12", "error"),
        ("yhteystiedot.csv:13", "error"), ("yhteystiedot.csv:14", "added"),
        ("yhteystiedot.csv:15", "error"), ("yhteystiedot.csv:16", "duplicate"),
        ("yhteystiedot.csv:17", "error")]
    assert [p.line() for p in result.problems] == [
        "yhteystiedot.csv:9: 'Atlantis' names no municipality in the register; check the "
        "spelling or give the code",
        "yhteystiedot.csv:10: code 091 is 091 Helsinki but the name 'Espoo' is 049 Espoo; "
        "fix one of them",
        "yhteystiedot.csv:11: 'ei-osoite' is not an email address (it has no @-sign); give the "
        "address in the email column",
        "yhteystiedot.csv:12: no email address on this row",
        "yhteystiedot.csv:13: no municipality on this row; fill in the municipality's name or "
        "code",
        "yhteystiedot.csv:15: 'Pyhäanta' could be several municipalities (631 Pyhäranta, "
        "630 Pyhäntä); write the name in full or give the code",
        "yhteystiedot.csv:17: 'kulttuuri@kokkola' is not a valid email address (the cell reads "
        "'kirjaamo@kokkola.example.fi kulttuuri@kokkola;'): The part after the @-sign is "
        "not valid. It should have a period; correct it in the list and import it again",
    ]
    assert contacts(session) == [
        ("049", "kirjaamo@espoo.example.fi"), ("049", "kulttuuri@espoo.example.fi"),
        ("091", "kirjaamo@helsinki.example.fi"), ("092", "kirjaamo@vantaa.example.fi"),
        ("272", "kirjaamo@kokkola.example.fi"), ("507", "kirjaamo@pertunmaa.example.fi"),
        ("853", "kulttuuri@turku.example.fi")]
    espoo = session.exec(select(Contact).where(Contact.email == "kirjaamo@espoo.example.fi")).one()
    assert (espoo.name, espoo.role, espoo.phone, espoo.source_row) == \
        ("Maija Meikäläinen", "kulttuurijohtaja", "+358 9 000 0000", 5)
    assert result.report.outcomes[9].reason == "1 added (former code 588, now 507 Mäntyharju)"
    kinds = session.exec(select(ContactProblem.kind).order_by(col(ContactProblem.source_row))).all()
    assert kinds == ["unknown-municipality", "mismatch", "invalid-email", "no-email",
                     "unknown-municipality", "ambiguous-municipality", "invalid-email"]


def test_import_again_updates_instead_of_duplicating(session: Session, tmp_path: Path) -> None:
    first = tmp_path / "contacts.csv"
    first.write_text("kunta,sähköposti,nimi\nEspoo,kirjaamo@espoo.example.fi,\n"
                     "Vantaa,kirjaamo@vantaa.example.fi,\n", encoding="utf-8")
    import_contacts(first, session=session)
    session.commit()
    first.write_text("kunta,sähköposti,nimi\nEspoo,Kirjaamo@Espoo.example.fi,Maija Meikäläinen\n"
                     "Vantaa,kirjaamo@vantaa.example.fi,\n", encoding="utf-8")
    again = import_contacts(first, session=session)
    session.commit()
    assert (again.added, again.updated, again.unchanged) == (0, 1, 1)
    assert contacts(session) == [("049", "kirjaamo@espoo.example.fi"),
                                 ("092", "kirjaamo@vantaa.example.fi")]
    espoo = session.exec(select(Contact).where(Contact.municipality_code == "049")).one()
    assert espoo.name == "Maija Meikäläinen"


def test_problems_of_a_file_are_replaced_on_reimport(session: Session, tmp_path: Path) -> None:
    path = tmp_path / "contacts.csv"
    path.write_text("kunta;sähköposti\nAtlantis;a@x.example.fi\nEspoo;bad\n", encoding="utf-8")
    other = tmp_path / "other.csv"
    other.write_text("kunta;sähköposti\nLemuria;a@x.example.fi\n", encoding="utf-8")
    import_contacts(path, session=session)
    import_contacts(other, session=session)
    session.commit()
    path.write_text("kunta;sähköposti\nEspoo;kirjaamo@espoo.example.fi\nEspoo;bad\n",
                    encoding="utf-8")
    import_contacts(path, session=session)
    session.commit()
    problems = session.exec(select(ContactProblem.source_file, ContactProblem.source_row,
                                   ContactProblem.kind)).all()
    assert sorted(problems) == [("contacts.csv", 3, "invalid-email"),
                                ("other.csv", 2, "unknown-municipality")]


def test_cp1252_file_as_excel_writes_it_on_finnish_windows(session: Session,
                                                            tmp_path: Path) -> None:
    path = tmp_path / "kunnat.csv"
    path.write_bytes("Kunta;Sähköposti\r\nHämeenlinna;kirjaamo@hameenlinna.example.fi\r\n"
                     "Pöytyä;kirjaamo@poytya.example.fi\r\n".encode("cp1252"))
    result = import_contacts(path, session=session)
    assert not result.failed
    assert contacts(session) == [("109", "kirjaamo@hameenlinna.example.fi"),
                                 ("636", "kirjaamo@poytya.example.fi")]


def test_xlsx_with_title_rows_swedish_headers_and_numeric_codes(session: Session,
                                                                 tmp_path: Path) -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    notes = workbook.active
    notes.title = "Anvisningar"
    notes.append(["Fyll i kontaktuppgifterna på nästa blad."])
    sheet = workbook.create_sheet("Kontakter")
    sheet.append(["Kontaktuppgifter 2026"])
    sheet.append([])
    sheet.append(["Kommunnummer", "Kommun", "Namn", "E-post"])
    sheet.append([91, "Helsingfors", "Anna Exempel", "kultur@helsingfors.example.fi"])
    sheet.append([478.0, "Mariehamn", None, "registrator@mariehamn.example.fi"])
    path = tmp_path / "kontakter.xlsx"
    workbook.save(path)
    result = import_contacts(path, session=session)
    assert (result.sheet, result.header_row) == ("Kontakter", 3)
    assert contacts(session) == [("091", "kultur@helsingfors.example.fi"),
                                 ("478", "registrator@mariehamn.example.fi")]


def test_municipality_by_name_uses_the_resolver_never_a_guess(session: Session,
                                                              tmp_path: Path) -> None:
    path = tmp_path / "names.csv"
    path.write_text("municipality,email\nEspoon kaupunki,a@espoo.example.fi\n"
                    "Espoo ja Vantaa,b@seutu.example.fi\nPori Town,c@pori.example.fi\n"
                    "Saltvig,d@x.example.fi\n", encoding="utf-8")
    result = import_contacts(path, session=session)
    assert [o.status for o in result.report.outcomes] == ["added", "error", "added", "error"]
    assert "names several municipalities (049 Espoo, 092 Vantaa); give one per row" \
        in result.report.outcomes[1].reason
    assert contacts(session) == [("049", "a@espoo.example.fi"), ("609", "c@pori.example.fi")]


def test_file_without_municipality_and_email_columns_is_refused(session: Session,
                                                                tmp_path: Path) -> None:
    path = tmp_path / "other.csv"
    path.write_text("postinumero;toimipaikka\n00100;Helsinki\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"unknown column layout: .*first row: postinumero, "
                                         r"toimipaikka"):
        import_contacts(path, session=session)


def test_the_example_list_covers_every_municipality_on_reserved_domains(session: Session) -> None:
    result = import_contacts(bundled_path("recipients/contacts.example.csv"), session=session)
    assert not result.failed
    assert len(result.report.outcomes) == 308
    emails = session.exec(select(Contact.email)).all()
    assert all(email.split("@")[1].endswith(".example.fi") for email in emails)
    assert len(emails) > 308  # some rows hold two addresses
    coverage = check_contacts(session=session)
    assert (coverage.municipalities, coverage.covered, coverage.complete) == (308, 308, True)


# --- coverage ----------------------------------------------------------------------------


def test_check_reports_missing_bounced_shared_and_problems(session: Session,
                                                           tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text("kunta;sähköposti\nEspoo;kirjaamo@espoo.example.fi\n"
                    "Helsinki;yhteinen@seutu.example.fi\nVantaa;yhteinen@seutu.example.fi\n"
                    "Kauniainen;kirjaamo@kauniainen.example.fi\nAtlantis;x@x.example.fi\n",
                    encoding="utf-8")
    import_contacts(path, session=session)
    bounced = session.exec(select(Contact).where(Contact.municipality_code == "235")).one()
    bounced.status, bounced.bounce_reason = "bounced", "550 no such user"
    session.add(bounced)
    session.commit()
    coverage = check_contacts(session=session)
    assert coverage.covered == 3
    uusimaa = next(r for r in coverage.regions if r.region_code == "01")
    assert (uusimaa.municipalities, uusimaa.covered, uusimaa.missing) == (26, 3, 23)
    assert len(coverage.missing) == 305
    assert {"code": "235", "name": "Kauniainen", "region": "Uusimaa"} in coverage.missing
    assert coverage.bounced == [{"code": "235", "name": "Kauniainen",
                                 "email": "kirjaamo@kauniainen.example.fi",
                                 "reason": "550 no such user"}]
    assert coverage.shared == [{"email": "yhteinen@seutu.example.fi", "codes": ["091", "092"],
                                "names": ["Helsinki", "Vantaa"]}]
    assert [(p["row"], p["kind"]) for p in coverage.problems] == [(6, "unknown-municipality")]
    assert not coverage.complete


def test_code_and_name_in_one_cell_are_checked_against_each_other(session: Session,
                                                                  tmp_path: Path) -> None:
    path = tmp_path / "combined.csv"
    path.write_text("Kunta;Etunimi;Sukunimi;Sähköposti\n"
                    "091 Helsinki;Matti;Meikäläinen;kirjaamo@helsinki.example.fi\n"
                    "049 Helsinki;;;vaara@espoo.example.fi\n", encoding="utf-8")
    result = import_contacts(path, session=session, display="combined.csv")
    assert [o.status for o in result.report.outcomes] == ["added", "error"]
    assert result.problems[0].line() == ("combined.csv:3: code 049 is 049 Espoo but the name "
                                         "'Helsinki' is 091 Helsinki; fix one of them")
    helsinki = session.exec(select(Contact).where(Contact.municipality_code == "091")).one()
    assert helsinki.name == "Matti Meikäläinen"


def test_a_row_naming_two_people_gives_each_address_its_own_name_and_phone(
        session: Session, tmp_path: Path) -> None:
    path = tmp_path / "contacts.csv"
    path.write_text(
        "kunta;sähköposti;nimi;puhelin\n"
        "Kerava;maija@kerava.example.fi, pekka@kerava.example.fi;"
        "Maija Meikäläinen ja Pekka Puupää;040 123 4567, 050 765 4321\n"
        # a surname first, a comma: one person, given to both addresses as typed
        'Vantaa;"kirjaamo@vantaa.example.fi; liisa@vantaa.example.fi";Lahtinen, Liisa;09 123 456\n'
        # three names for two addresses: which is whose cannot be told
        'Espoo;"a@espoo.example.fi; b@espoo.example.fi";Anna / Bertta / Cecilia;\n',
        encoding="utf-8")
    result = import_contacts(path, session=session, display="contacts.csv")
    session.commit()
    assert result.added == 6
    people = {c.email: (c.name, c.phone) for c in session.exec(select(Contact))}
    assert people["maija@kerava.example.fi"] == ("Maija Meikäläinen", "040 123 4567")
    assert people["pekka@kerava.example.fi"] == ("Pekka Puupää", "050 765 4321")
    assert people["kirjaamo@vantaa.example.fi"] == ("Lahtinen, Liisa", "09 123 456")
    assert people["liisa@vantaa.example.fi"] == ("Lahtinen, Liisa", "09 123 456")
    assert people["a@espoo.example.fi"] == people["b@espoo.example.fi"] == (
        "Anna / Bertta / Cecilia", None)
    kerava = next(o for o in result.report.outcomes if o.detail.get("code") == "245")
    assert "given to its addresses in order" in kerava.reason
    vantaa = next(o for o in result.report.outcomes if o.detail.get("code") == "092")
    assert "in order" not in vantaa.reason


def test_what_is_read_other_than_as_typed_is_said_and_a_near_spelling_is_refused(
        session: Session, tmp_path: Path) -> None:
    path = tmp_path / "yhteystiedot.csv"
    path.write_text(
        "Kunta;Nimi;Sähköposti;Puhelin\n"
        "Jalasjärvi;Liisa Laine;liisa.laine@kurikka.example.fi;040 111 2222\n"
        "Turku;Kirjaamo;kirjaamo@turku.example.fi;kulttuuri@turku.example.fi\n"
        "Porvoo;Kaisa;kaisa(at)porvoo.example.fi;\n"
        "Kunta;Nimi;Sähköposti;Puhelin\n"
        "Kuopo;Matti;matti@kuopio.example.fi;\n"
        "Kuopio, Kuopo;Maija;maija@kuopio.example.fi;\n", encoding="utf-8")
    result = import_contacts(path, session=session, display="yhteystiedot.csv")
    assert result.text().splitlines()[:5] == [
        "yhteystiedot.csv:2: 1 added ('Jalasjärvi' is a former municipality, now part of 301 "
        "Kurikka)",
        "yhteystiedot.csv:3: the phone column holds an email address "
        "('kulttuuri@turku.example.fi'); move it to the email column, it was not imported",
        "yhteystiedot.csv:4: 1 added ('kaisa(at)porvoo.example.fi' read as "
        "kaisa@porvoo.example.fi)",
        "yhteystiedot.csv:5: the header row again; skipped",
        "yhteystiedot.csv:6: 'Kuopo' is not a municipality's name as the register writes it; "
        "did you mean 297 Kuopio? write the name in full or give the code",
    ]
    # The former municipality's contact is its successor's; the address in the phone column
    # is neither a phone nor a contact; the near spelling is not guessed.
    # A near spelling beside the name as written is no guess: the row is Kuopio's.
    assert contacts(session) == [("297", "maija@kuopio.example.fi"),
                                 ("301", "liisa.laine@kurikka.example.fi"),
                                 ("638", "kaisa@porvoo.example.fi"),
                                 ("853", "kirjaamo@turku.example.fi")]
    turku = session.exec(select(Contact).where(Contact.municipality_code == "853")).one()
    assert turku.phone is None
    assert [p.kind for p in result.problems] == ["misplaced", "unsure-municipality"]
    assert result.to_dict()["notes"][0] == {
        "row": 2, "note": "'Jalasjärvi' is a former municipality, now part of 301 Kurikka"}


def test_words_around_the_addresses_of_an_email_cell_are_said_left_out(
        session: Session, tmp_path: Path) -> None:
    # A label, a remark and a pasted mail header beside the addresses: each address is a
    # contact, and the words taken for none are said, never dropped without a word.
    path = tmp_path / "yhteystiedot.csv"
    path.write_text(
        "Kunta;Sähköposti\n"
        "Turku;Kirjaamo: kirjaamo@turku.example.fi\n"
        'Porvoo;"kaisa@porvoo.example.fi\r\nBcc: muu@porvoo.example.fi"\n'
        "Espoo;Kirjaamo <kirjaamo@espoo.example.fi>\n"
        "Vantaa;kirjaamo@vantaa.example.fi\n", encoding="utf-8")
    result = import_contacts(path, session=session, display="yhteystiedot.csv")
    assert result.text().splitlines()[:2] == [
        "yhteystiedot.csv:2: 1 added ('Kirjaamo: kirjaamo@turku.example.fi' read as "
        "kirjaamo@turku.example.fi (not an address, left out: 'Kirjaamo:'))",
        "yhteystiedot.csv:3: 2 added ('kaisa@porvoo.example.fi\\r\\nBcc: muu@porvoo.example.fi' "
        "read as kaisa@porvoo.example.fi, muu@porvoo.example.fi (not an address, left out: "
        "'Bcc:'))",
    ]
    assert [row for row, _ in result.notes] == [2, 3]  # a display name is no word left out
    assert contacts(session) == [
        ("049", "kirjaamo@espoo.example.fi"), ("092", "kirjaamo@vantaa.example.fi"),
        ("638", "kaisa@porvoo.example.fi"), ("638", "muu@porvoo.example.fi"),
        ("853", "kirjaamo@turku.example.fi")]


def test_a_phone_or_a_comma_in_the_email_column_is_one_problem_quoting_the_cell(
        session: Session, tmp_path: Path) -> None:
    # A list exported from Excel: a phone typed into the email column, a comma for a dot, and
    # an address repeated in another letter case. The phone was three problems ('040', '765',
    # '4321'), and the comma's address was quoted without the ',fi' the file shows.
    path = tmp_path / "yhteystiedot.csv"
    path.write_text(
        "Kunta;Sähköposti\n"
        "Espoo;040 765 4321\n"
        "Vantaa;ville.v@vantaa,fi\n"
        "Turku;kulttuuri@turku.example.fi\n"
        "Turku;KULTTUURI@turku.example.fi\n", encoding="utf-8")
    result = import_contacts(path, session=session, display="yhteystiedot.csv")
    assert [p.line() for p in result.problems] == [
        "yhteystiedot.csv:2: '040 765 4321' in the email column is a phone number, not an "
        "address; move it to the phone column and give the address",
        "yhteystiedot.csv:3: 'ville.v@vantaa' is not a valid email address (the cell reads "
        "'ville.v@vantaa,fi'): The part after the @-sign is not valid. It should have a "
        "period; correct it in the list and import it again",
    ]
    # Every row is in the summary: the repeated address is said, not left out of the sums.
    assert result.summary()[0] == (
        "yhteystiedot.csv: 4 rows: 1 contact added, 0 updated, 0 unchanged, 1 repeating an "
        "address read above; 2 rows with problems.")
    assert contacts(session) == [("853", "kulttuuri@turku.example.fi")]


def test_check_counts_rows_with_problems_as_the_import_does(session: Session,
                                                            tmp_path: Path) -> None:
    # One row with two problems (no municipality, no address): the import said "1 row with
    # problems" and 'register check' said "2 rows with problems" of the same file.
    path = tmp_path / "yhteystiedot.csv"
    path.write_text("Kunta;Sähköposti\nEspoo;kirjaamo@espoo.example.fi\nYhteensä 2;\n",
                    encoding="utf-8")
    imported = import_contacts(path, session=session, display="yhteystiedot.csv")
    session.commit()
    assert imported.summary()[0].endswith("; 1 row with problems.")
    coverage = check_contacts(session=session)
    assert len(coverage.problems) == 2
    assert coverage.summary() == ["1 of 308 municipalities have a valid contact; 307 missing, "
                                  "0 bounced, 1 row with problems."]
