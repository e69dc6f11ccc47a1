"""The register: listing with filters, reading classification files, updating to a newer one."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from sqlmodel import Session, col, select

from yhteistuumin_survey.db.models import (
    Contact,
    Municipality,
    MunicipalityAlias,
    RegisterChange,
)
from yhteistuumin_survey.errors import InputError
from yhteistuumin_survey.register import (
    list_register,
    load_mergers_csv,
    read_classification,
    update_register,
)
from yhteistuumin_survey.resources import bundled_path

DATA = Path(__file__).parent / "data" / "register"
NEW_2027 = DATA / "municipalities-2027.csv"
CORRESPONDENCE_2027 = DATA / "kunta_1_20270101#maakunta_1_20270101.csv"


def mergers_2027() -> list:
    return (load_mergers_csv(bundled_path("recipients/mergers.csv"))
            + load_mergers_csv(DATA / "mergers-2027.csv"))


# --- listing ---------------------------------------------------------------------------------


def test_list_register_has_all_308_in_code_order(session: Session) -> None:
    entries = list_register(session=session)
    assert len(entries) == 308
    assert [e.code for e in entries] == sorted(e.code for e in entries)
    assert sum(e.aland for e in entries) == 16


@pytest.mark.parametrize("region", ["15", "Pohjanmaa", "ÖSTERBOTTEN", "osterbotten", "ostrobothnia"])
def test_region_filter_takes_code_or_any_language_name(session: Session, region: str) -> None:
    entries = list_register(session=session, region=region)
    assert len(entries) == 14
    assert {e.region_code for e in entries} == {"15"}


def test_region_filter_does_not_confuse_pohjanmaa_with_etela_pohjanmaa(session: Session) -> None:
    codes = {e.code for e in list_register(session=session, region="Etelä-Pohjanmaa")}
    assert "005" in codes and "905" not in codes


@pytest.mark.parametrize(("language", "count"),
                         [("fi", 259), ("fi-sv", 18), ("sv-fi", 15), ("sv", 16), ("bilingual", 33)])
def test_language_filter_counts(session: Session, language: str, count: int) -> None:
    assert len(list_register(session=session, language=language)) == count


def test_unknown_region_and_language_name_the_allowed_values(session: Session) -> None:
    with pytest.raises(InputError, match=r"region 'Atlantis' is unknown; .*01 Uusimaa, .*21 Ahvenanmaa"):
        list_register(session=session, region="Atlantis")
    with pytest.raises(InputError, match=r"language 'sami' is not one of fi, fi-sv, sv-fi, sv, bilingual"):
        list_register(session=session, language="sami")


# --- reading classification files ------------------------------------------------------------


def test_correspondence_export_is_read_with_mariehamn_split() -> None:
    classification = read_classification(CORRESPONDENCE_2027)
    assert classification.columns == {"code": "sourceCode", "name_fi": "sourceName",
                                      "region_code": "targetCode", "region_fi": "targetName"}
    by_code = {row.code: row for row in classification.rows}
    assert len(by_code) == 307
    assert (by_code["478"].name_fi, by_code["478"].name_sv) == ("Maarianhamina", "Mariehamn")
    assert by_code["005"].region_code == "14"


def test_classification_item_export_with_title_rows_and_finnish_headers(tmp_path: Path) -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Kunnat 2027"])
    sheet.append(["Lähde: Tilastokeskus"])
    sheet.append([])
    sheet.append(["Kuntakoodi", "Kunnan nimi", "Kunnan nimi ruotsiksi", "Maakunta"])
    sheet.append([5, "Alajärvi", "Alajärvi", "Etelä-Pohjanmaa"])
    sheet.append(["091", "Helsinki", "Helsingfors", "Uusimaa"])
    path = tmp_path / "kunnat.xlsx"
    workbook.save(path)
    classification = read_classification(path)
    assert classification.header_line == 4
    assert [(r.code, r.name_fi, r.name_sv, r.region_fi) for r in classification.rows] == [
        ("005", "Alajärvi", "Alajärvi", "Etelä-Pohjanmaa"),
        ("091", "Helsinki", "Helsingfors", "Uusimaa")]


def test_classification_items_csv_layout(tmp_path: Path) -> None:
    path = tmp_path / "kunta_1_20270101.csv"
    path.write_text('"code";"classificationItemName";"level"\n"005";"Alajärvi";"1"\n',
                    encoding="utf-8")
    rows = read_classification(path).rows
    assert [(r.code, r.name_fi, r.region_code) for r in rows] == [("005", "Alajärvi", "")]


def test_unknown_layout_is_refused_with_a_reason(tmp_path: Path) -> None:
    path = tmp_path / "other.csv"
    path.write_text("postinumero;nimi\n00100;Helsinki\n", encoding="utf-8")
    with pytest.raises(InputError, match="unknown column layout"):
        read_classification(path)


# --- updating --------------------------------------------------------------------------------


def changes_of(result) -> list[tuple[str, str]]:
    return sorted((c.code, c.change) for c in result.changes)


def test_update_to_2027_reports_merger_rename_and_move(session: Session) -> None:
    result = update_register(NEW_2027, session=session, mergers=mergers_2027())
    session.commit()
    assert changes_of(result) == [("250", "merged"), ("284", "renamed"), ("291", "moved"),
                                  ("581", "merged"), ("991", "added")]
    details = {c.code: c.detail for c in result.changes}
    assert details["250"] == "merged into 991 Ylä-Pirkanmaa"
    assert details["284"] == "Koski Tl → Koski"
    assert details["291"] == "region 06 Pirkanmaa → 13 Keski-Suomi"
    assert details["991"] == "region 06, language fi (from 250 Kihniö, 581 Parkano)"
    assert (result.active_before, result.active_after) == (308, 307)
    kihnio = session.get(Municipality, "250")
    assert kihnio is not None and not kihnio.active and kihnio.successor_code == "991"
    recorded = session.exec(select(RegisterChange)).all()
    assert sorted((r.code, r.change) for r in recorded) == changes_of(result)
    assert {r.source_file for r in recorded} == {NEW_2027.name}


def test_update_with_the_same_file_twice_changes_nothing(session: Session) -> None:
    update_register(NEW_2027, session=session, mergers=mergers_2027())
    session.commit()
    aliases = len(session.exec(select(MunicipalityAlias)).all())
    again = update_register(NEW_2027, session=session, mergers=mergers_2027())
    session.commit()
    assert again.changes == [] and again.contacts == []
    assert len(session.exec(select(MunicipalityAlias)).all()) == aliases
    assert len(session.exec(select(RegisterChange)).all()) == 5


def test_merged_names_and_code_become_aliases_of_the_successor(session: Session) -> None:
    update_register(NEW_2027, session=session, mergers=mergers_2027())
    session.commit()
    aliases = session.exec(select(MunicipalityAlias)
                           .where(col(MunicipalityAlias.old_code).in_(["250", "581"]))).all()
    assert sorted((a.alias, a.code, a.kind) for a in aliases) == [
        ("250", "991", "former_code"), ("581", "991", "former_code"),
        ("Kihniö", "991", "former"), ("Parkano", "991", "former")]
    renamed = session.exec(select(MunicipalityAlias)
                           .where(MunicipalityAlias.alias == "Koski Tl")).one()
    assert (renamed.code, renamed.kind) == ("284", "former")


def test_resolver_finds_the_successor_by_a_merged_name(session: Session) -> None:
    from yhteistuumin_survey.resolve import Resolver

    update_register(NEW_2027, session=session, mergers=mergers_2027())
    session.commit()
    resolver = Resolver.from_session(session)
    for text in ("Kihniö", "Parkanon kaupunki", "Ylä-Pirkanmaa", "Koski Tl"):
        resolution = resolver.resolve(text)
        assert resolution.status == "resolved", text
    assert resolver.resolve("Kihniö").codes == ["991"]
    assert resolver.resolve("Parkanon kaupunki").codes == ["991"]
    assert resolver.resolve("Koski Tl").codes == ["284"]


def test_contacts_of_a_merged_municipality_move_to_the_successor(session: Session) -> None:
    session.add(Contact(municipality_code="250", email="kirjaamo@kihnio.example.fi"))
    session.add(Contact(municipality_code="581", email="kirjaamo@parkano.example.fi"))
    session.add(Contact(municipality_code="581", email="yhteinen@seutu.example.fi"))
    session.add(Contact(municipality_code="250", email="yhteinen@seutu.example.fi"))
    session.commit()
    result = update_register(NEW_2027, session=session, mergers=mergers_2027())
    session.commit()
    assert [(m.old_code, m.successor_code, m.moved, m.already_listed) for m in result.contacts] == [
        ("250", "991", 2, 0), ("581", "991", 1, 1)]
    moved = session.exec(select(Contact.email).where(Contact.municipality_code == "991")).all()
    assert sorted(moved) == ["kirjaamo@kihnio.example.fi", "kirjaamo@parkano.example.fi",
                             "yhteinen@seutu.example.fi"]
    details = {c.code: c.detail for c in result.changes}
    assert details["581"] == ("merged into 991 Ylä-Pirkanmaa; 1 contact(s) moved to 991, "
                              "1 already listed there")


def test_correspondence_export_gives_the_same_changes(session: Session) -> None:
    result = update_register(CORRESPONDENCE_2027, session=session, mergers=mergers_2027())
    assert changes_of(result) == [("250", "merged"), ("284", "renamed"), ("291", "moved"),
                                  ("581", "merged"), ("991", "added")]
    mariehamn = session.get(Municipality, "478")
    assert mariehamn is not None and (mariehamn.name_fi, mariehamn.name_sv) == \
        ("Maarianhamina", "Mariehamn")


def test_region_extract_is_refused_unless_partial(session: Session, tmp_path: Path) -> None:
    with NEW_2027.open(encoding="utf-8") as handle:
        rows = [row for row in csv.DictReader(handle) if row["region_code"] == "06"]
    extract = tmp_path / "pirkanmaa.csv"
    with extract.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    with pytest.raises(InputError, match=r"lists 21 municipalities but the register has 308; "
                                         r"applying it would remove 288\. .*--partial"):
        update_register(extract, session=session, mergers=mergers_2027())
    result = update_register(extract, session=session, mergers=mergers_2027(), partial=True)
    assert changes_of(result) == [("991", "added")]
    assert result.active_after == 309  # nothing removed from an extract


def test_removed_municipality_without_merger_is_kept_inactive(session: Session,
                                                               tmp_path: Path) -> None:
    lines = bundled_path("recipients/municipalities.csv").read_text(encoding="utf-8").splitlines()
    path = tmp_path / "without-utsjoki.csv"
    path.write_text("\n".join(line for line in lines if not line.startswith("890,")) + "\n",
                    encoding="utf-8")
    result = update_register(path, session=session, mergers=[])
    assert [(c.code, c.change, c.detail) for c in result.changes] == [
        ("890", "removed", "not in the file and not in the mergers list; kept as inactive")]
    utsjoki = session.get(Municipality, "890")
    assert utsjoki is not None and not utsjoki.active and utsjoki.successor_code is None


def test_new_municipality_without_region_or_predecessors_is_refused(session: Session,
                                                                    tmp_path: Path) -> None:
    path = tmp_path / "items.csv"
    body = "".join(f"{row['code']};{row['name_fi']}\n" for row in csv.DictReader(
        NEW_2027.open(encoding="utf-8")))
    path.write_text("code;classificationItemName\n" + body, encoding="utf-8")
    with pytest.raises(InputError, match=r"991 Ylä-Pirkanmaa is new and the file gives no region"):
        update_register(path, session=session, mergers=[])


def test_xlsx_with_finnish_headers_and_region_names_gives_the_same_changes(
        session: Session, tmp_path: Path) -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Kunnat 1.1.2027 (Tilastokeskus)"])
    sheet.append(["Kuntakoodi", "Kunnan nimi", "Kunnan nimi ruotsiksi", "Maakunta"])
    with NEW_2027.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            sheet.append([int(row["code"]), row["name_fi"], row["name_sv"], row["region_fi"]])
    path = tmp_path / "kunnat-2027.xlsx"
    workbook.save(path)
    result = update_register(path, session=session, mergers=mergers_2027())
    assert changes_of(result) == [("250", "merged"), ("284", "renamed"), ("291", "moved"),
                                  ("581", "merged"), ("991", "added")]


def test_aliases_follow_a_chain_of_mergers(session: Session, tmp_path: Path) -> None:
    # Pertunmaa merged into Mäntyharju in 2025; a made-up 2027 merges Mäntyharju on.
    lines = NEW_2027.read_text(encoding="utf-8").splitlines()
    path = tmp_path / "chain.csv"
    path.write_text("\n".join(line for line in lines if not line.startswith("507,")) + "\n",
                    encoding="utf-8")
    chain = load_mergers_csv(DATA / "mergers-2027.csv")
    extra = tmp_path / "mergers.csv"
    extra.write_text("old_code,old_name_fi,successor_code,merged_on\n507,Mäntyharju,991,2027-01-01\n",
                     encoding="utf-8")
    update_register(path, session=session, mergers=chain + load_mergers_csv(extra))
    session.commit()
    pertunmaa = session.exec(select(MunicipalityAlias)
                             .where(MunicipalityAlias.alias == "Pertunmaa")).one()
    assert pertunmaa.code == "991"
    mantyharju = session.get(Municipality, "507")
    assert mantyharju is not None and mantyharju.successor_code == "991"
