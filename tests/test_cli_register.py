"""``yhteistuumin register list/update/contacts/check``: exact output and exit codes."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest

from yhteistuumin_survey.resources import bundled_path

DATA = Path(__file__).parent / "data"
NEW_2027 = DATA / "register" / "municipalities-2027.csv"
MERGERS_2027 = DATA / "register" / "mergers-2027.csv"
EXAMPLE = bundled_path("recipients/contacts.example.csv")


# --- list ----------------------------------------------------------------------------------


def test_list_filters_by_region_name_and_language(cli) -> None:
    result = cli("register", "list", "--region", "keski-pohjanmaa", "--language", "bilingual")
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "code  name_fi  name_sv  region           language\n"
        "----  -------  -------  ---------------  --------\n"
        "272   Kokkola  Karleby  Keski-Pohjanmaa  fi-sv\n"
        "1 municipality\n")


def test_list_csv_is_the_register_layout_with_308_rows(cli) -> None:
    result = cli("register", "list", "--format", "csv")
    assert result.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == 308
    assert rows[0] == {"code": "005", "name_fi": "Alajärvi", "name_sv": "Alajärvi",
                       "region_code": "14", "region_fi": "Etelä-Pohjanmaa",
                       "region_sv": "Södra Österbotten", "language": "fi", "aland": "false"}
    assert result.stdout == bundled_path("recipients/municipalities.csv").read_text(encoding="utf-8")


def test_list_json_of_aland_in_swedish(cli) -> None:
    result = cli("register", "list", "--region", "Åland", "--format", "json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert len(data) == 16
    assert data[0] == {"code": "035", "name_fi": "Brändö", "name_sv": "Brändö",
                       "region_code": "21", "region_fi": "Ahvenanmaa", "region_sv": "Åland",
                       "language": "sv", "aland": True}


def test_unknown_language_is_one_line_naming_the_allowed_values(cli) -> None:
    result = cli("register", "list", "--language", "sami")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == ("Error: language 'sami' is not one of fi, fi-sv, sv-fi, sv, "
                             "bilingual\n")


def test_unknown_region_lists_the_regions(cli) -> None:
    result = cli("register", "list", "--region", "Atlantis")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: region 'Atlantis' is unknown; use a code or a "
                                    "Finnish, Swedish or English name: 01 Uusimaa, ")
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.output


# --- update --------------------------------------------------------------------------------


def test_update_to_2027_reports_every_change_and_moved_contacts(cli, tmp_path: Path) -> None:
    contacts = tmp_path / "c.csv"
    contacts.write_text("kunta;sähköposti\nKihniö;kirjaamo@kihnio.example.fi\n", encoding="utf-8")
    assert cli("register", "contacts", str(contacts)).exit_code == 0
    result = cli("register", "update", str(NEW_2027), "--mergers", str(MERGERS_2027))
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        f"{NEW_2027}: 307 municipalities in the file; 308 in force before, 307 after.\n"
        "code  change   name           detail\n"
        "----  -------  -------------  --------------------------------------------------------\n"
        "284   renamed  Koski          Koski Tl → Koski\n"
        "291   moved    Kuhmoinen      region 06 Pirkanmaa → 13 Keski-Suomi\n"
        "991   added    Ylä-Pirkanmaa  region 06, language fi (from 250 Kihniö, 581 Parkano)\n"
        "250   merged   Kihniö         merged into 991 Ylä-Pirkanmaa; 1 contact(s) moved to 991\n"
        "581   merged   Parkano        merged into 991 Ylä-Pirkanmaa\n"
        "Contacts of 250 Kihniö: 1 moved to the list of 991.\n"
        "Applied: 1 added, 2 merged, 1 moved, 1 renamed.\n")
    again = cli("register", "update", str(NEW_2027), "--mergers", str(MERGERS_2027))
    assert again.exit_code == 0
    assert again.stdout == (
        f"{NEW_2027}: 307 municipalities in the file; 307 in force before, 307 after.\n"
        "No changes: the register already matches the file.\n")
    listed = json.loads(cli("register", "list", "--region", "06", "--format", "json").stdout)
    assert "991" in {m["code"] for m in listed} and "250" not in {m["code"] for m in listed}


def test_update_dry_run_changes_nothing(cli) -> None:
    result = cli("register", "update", str(NEW_2027), "--mergers", str(MERGERS_2027),
                 "--dry-run", "--format", "json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["counts"] == {"renamed": 1, "moved": 1, "added": 1, "merged": 2}
    assert data["dry_run"] is True
    assert len(json.loads(cli("register", "list", "--format", "json").stdout)) == 308


def test_update_refuses_an_extract(cli, tmp_path: Path) -> None:
    extract = tmp_path / "uusimaa.csv"
    lines = NEW_2027.read_text(encoding="utf-8").splitlines()
    extract.write_text("\n".join([lines[0], *(line for line in lines if ",01," in line)]) + "\n",
                       encoding="utf-8")
    result = cli("register", "update", str(extract))
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {extract}: lists 26 municipalities but the register has 308; applying it would "
        "remove 282. Use the complete classification, or --partial to apply only its additions "
        "and changes\n")
    partial = cli("register", "update", str(extract), "--partial")
    assert partial.exit_code == 0
    assert partial.stdout.endswith("No changes: the register already matches the file.\n")


# --- contacts ------------------------------------------------------------------------------


def test_contacts_messy_list_imports_the_valid_rows_and_exits_1(cli, tmp_path: Path) -> None:
    path = tmp_path / "yhteystiedot.csv"
    shutil.copy(DATA / "contacts" / "yhteystiedot.csv", path)
    result = cli("register", "contacts", str(path))
    assert result.exit_code == 1
    assert result.stdout == (
        f"{path}:8: 1 added ('kulttuuri(at)turku.example.fi' read as kulttuuri@turku.example.fi)\n"
        f"{path}:9: 'Atlantis' names no municipality in the register; check the spelling or "
        "give the code\n"
        f"{path}:10: code 091 is 091 Helsinki but the name 'Espoo' is 049 Espoo; fix one of them\n"
        f"{path}:11: 'ei-osoite' is not an email address (it has no @-sign); give the address "
        "in the email column\n"
        f"{path}:12: no email address on this row\n"
        f"{path}:13: no municipality on this row; fill in the municipality's name or code\n"
        f"{path}:14: 1 added (former code 588, now 507 Mäntyharju)\n"
        f"{path}:15: 'Pyhäanta' could be several municipalities (631 Pyhäranta, 630 Pyhäntä); "
        "write the name in full or give the code\n"
        f"{path}:17: 'kulttuuri@kokkola' is not a valid email address (the cell reads "
        "'kirjaamo@kokkola.example.fi kulttuuri@kokkola;'): The part after the @-sign is "
        "not valid. It should have a period; correct it in the list and import it again\n"
        f"{path}: 13 rows: 7 contacts added, 0 updated, 0 unchanged, 1 repeating an address "
        "read above; 7 rows with problems.\n"
        "Next: 'yhteistuumin register check' shows which municipalities have no contact.\n")
    assert result.stderr == ""


def test_contacts_example_list_then_reimport_updates(cli) -> None:
    first = cli("register", "contacts", str(EXAMPLE))
    assert first.exit_code == 0
    assert first.stdout.splitlines()[0] == (
        f"{EXAMPLE}: 308 rows: 330 contacts added, 0 updated, 0 unchanged; 0 rows with problems.")
    again = cli("register", "contacts", str(EXAMPLE), "--format", "json")
    assert again.exit_code == 0
    data = json.loads(again.stdout)
    assert (data["added"], data["updated"], data["unchanged"]) == (0, 0, 330)
    assert data["counts"] == {"unchanged": 308}
    assert data["columns"] == {"municipality": ["kunta"], "code": ["kuntanumero"],
                               "name": ["nimi"], "role": ["rooli"], "email": ["sähköposti"]}


def test_contacts_utf8_bom_semicolon_file(cli, tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes("\ufeffKunta;Sähköposti\r\nÄänekoski;kirjaamo@aanekoski.example.fi\r\n"
                     .encode("utf-8"))
    result = cli("register", "contacts", str(path))
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"{path}: 1 row: 1 contact added,")


def test_contacts_cp1252_file(cli, tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    path.write_bytes("Kunta;Sähköposti;Nimi\r\nPöytyä;kirjaamo@poytya.example.fi;Märta Ö\r\n"
                     .encode("cp1252"))
    result = cli("register", "contacts", str(path), "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["outcomes"][0]["detail"] == {"code": "636"}


def test_contacts_xlsx(cli, tmp_path: Path) -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Kuntien yhteystiedot"])
    sheet.append(["Municipality", "Email", "Role"])
    sheet.append(["Oulu", "kulttuuri@oulu.example.fi; kirjaamo@oulu.example.fi", "kulttuuri"])
    path = tmp_path / "contacts.xlsx"
    workbook.save(path)
    result = cli("register", "contacts", str(path))
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"{path}: 1 row: 2 contacts added,")


@pytest.mark.parametrize(("name", "content", "reason"), [
    ("missing.csv", None, "{path}: no such file; check the path (a typo, or moved or renamed?)"),
    ("fake.xlsx", b"%PDF-1.7\n%binary\n", "{path}: not a spreadsheet but a PDF document; ask "
                                         "for the Excel file itself"),
    ("layout.csv", b"postinumero;toimipaikka\n00100;Helsinki\n",
     "{path}: unknown column layout: no row names both a municipality column (kunta, kommun, "
     "municipality, kuntanumero) and an email column (sähköposti, e-post, email); first row: "
     "postinumero, toimipaikka"),
    ("empty.csv", b"", "{path}: the file is empty (a save, copy or download cut short?); "
                       "save or copy it again"),
])
def test_contacts_bad_file_is_one_line_without_traceback(cli, tmp_path: Path, name: str,
                                                        content: bytes | None,
                                                        reason: str) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    result = cli("register", "contacts", str(path))
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == "Error: " + reason.format(path=path) + "\n"


def test_contacts_unreadable_encoding(cli, tmp_path: Path) -> None:
    path = tmp_path / "utf16.csv"
    path.write_bytes("kunta;sähköposti\nEspoo;a@espoo.example.fi\n".encode("utf-16-le"))
    result = cli("register", "contacts", str(path))
    assert result.exit_code == 1
    assert result.stderr == (f"Error: {path}: not a text table but binary data; save it as CSV "
                             "or Excel and send again\n")


# --- check ---------------------------------------------------------------------------------


def test_check_strict_fails_while_contacts_are_missing(cli, tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text("kunta,email\nEspoo,kirjaamo@espoo.example.fi\n"
                    "Helsinki,yhteinen@seutu.example.fi\nVantaa,yhteinen@seutu.example.fi\n",
                    encoding="utf-8")
    cli("register", "contacts", str(path))
    assert cli("register", "check").exit_code == 0
    strict = cli("register", "check", "--strict")
    assert strict.exit_code == 1
    lines = strict.stdout.splitlines()
    assert lines[:3] == ["region                municipalities  with contact  missing",
                         "--------------------  --------------  ------------  -------",
                         "01 Uusimaa            26              3             23"]
    assert "total                 308             3             305" in lines
    assert "No valid contact (305):" in lines
    assert "Addresses shared by several municipalities (allowed, a note) (1):" in lines
    assert "yhteinen@seutu.example.fi  091 Helsinki, 092 Vantaa" in lines
    assert lines[-1] == ("3 of 308 municipalities have a valid contact; 305 missing, 0 bounced, "
                         "0 rows with problems.")


def test_check_strict_passes_with_the_example_list(cli) -> None:
    cli("register", "contacts", str(EXAMPLE))
    result = cli("register", "check", "--strict", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["municipalities"], data["covered"], data["missing"]) == (308, 308, [])
    assert len(data["regions"]) == 19


def test_check_strict_fails_on_a_row_that_named_no_municipality(cli, tmp_path: Path) -> None:
    cli("register", "contacts", str(EXAMPLE))
    extra = tmp_path / "extra.csv"
    extra.write_text("kunta;sähköposti\nAtlantis;x@atlantis.example.fi\n", encoding="utf-8")
    assert cli("register", "contacts", str(extra)).exit_code == 1
    result = cli("register", "check", "--strict")
    assert result.exit_code == 1
    assert "extra.csv:2  unknown-municipality  'Atlantis' names no municipality in the " \
           "register; check the spelling or give the code" in result.stdout
