"""A CSV file reads the same whatever its encoding, byte order mark and line endings: the
text is decoded whole to know the encoding, then read again line by line from the file."""

from __future__ import annotations

from pathlib import Path

import pytest

ROWS = [["Kunta", "Käytännön nimi", "Kuvaus"],
        ["Pieksämäki", "Kesäteatteri", "Rivi yksi\nrivi kaksi;\r\nja \"lainaus\""],
        ["Närpes", "Kulturkväll", "Excelin rivinvaihto_x000D_ja tavallinen\rrivinvaihto"],
        ["Åbo", "", "€ 5 – ‰"]]


def _text(newline: str) -> str:
    def cell(value: str) -> str:
        return '"' + value.replace('"', '""') + '"'

    return "".join(";".join(cell(value) for value in row) + newline for row in ROWS)


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
@pytest.mark.parametrize("encoding,prefix", [
    ("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"), ("utf-16", b""), ("cp1252", b""),
])
def test_a_csv_reads_the_same_in_every_encoding_and_line_ending(tmp_path: Path, encoding,
                                                               prefix, newline):
    from yhteistuumin_survey.tables import decode_excel_escapes, read_csv

    path = tmp_path / "vastaukset.csv"
    path.write_bytes(prefix + _text(newline).encode(encoding))
    sheet, decoding = read_csv(path)
    assert sheet.rows == [[decode_excel_escapes(value) for value in row] for row in ROWS]
    assert decoding.delimiter == ";"
    assert sheet.rows[2][2] == "Excelin rivinvaihto\rja tavallinen\rrivinvaihto"


def test_byte_order_marks_at_the_start_are_not_part_of_the_first_heading(tmp_path: Path):
    from yhteistuumin_survey.tables import read_csv

    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbf" + "\ufeffKunta;Nimi\nHelsinki;Lukupiiri\n".encode())
    sheet, _ = read_csv(path)
    assert sheet.rows == [["Kunta", "Nimi"], ["Helsinki", "Lukupiiri"]]


def test_a_quote_left_open_is_refused_with_its_line_not_read_as_the_next_answers(tmp_path: Path):
    from yhteistuumin_survey.errors import InputError
    from yhteistuumin_survey.tables import read_csv

    path = tmp_path / "vastaukset.csv"
    path.write_text("Aikaleima,Kunta,Käytännön nimi\n"
                    '2026-01-01 10:00,Kuopio,"Lukupiiri\n'
                    "2026-01-02 10:00,Oulu,Tanssi\n"
                    "2026-01-03 10:00,Espoo,Runoilta\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_csv(path)
    assert str(caught.value).startswith(
        f"{path}:2: a quote opened on line 2 is never closed, so the rest of the file "
        "(to line 4) would be one value; close or remove the quote")


def test_a_stray_quote_after_a_closing_one_is_refused_with_its_line(tmp_path: Path):
    from yhteistuumin_survey.errors import InputError
    from yhteistuumin_survey.tables import read_csv

    path = tmp_path / "vastaukset.csv"
    path.write_text('Kunta;Nimi\r\nOulu;Tanssi\r\nKuopio;"Luku"piiri"\r\n', encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_csv(path)
    assert str(caught.value).startswith(f"{path}:3: a quote inside a quoted value")


def test_an_ingest_of_a_csv_with_a_quote_left_open_stores_nothing_and_names_the_line(
        tmp_path: Path, cli):
    import json

    path = tmp_path / "vastaukset.csv"
    path.write_text("Aikaleima,Kunta,Käytännön nimi,Tavoite\n"
                    '2026-01-01 10:00,Kuopio,"Lukupiiri,Tavoite yksi\n'
                    "2026-01-02 10:00,Oulu,Tanssi,Tavoite kaksi\n", encoding="utf-8")
    result = cli("ingest", str(path))
    assert result.exit_code == 1, result.output
    assert f"{path}:2: a quote opened on line 2 is never closed" in result.output
    listed = cli("practices", "list", "--format", "json")
    assert json.loads(listed.stdout) == []


@pytest.mark.parametrize("at", [0, 50, 61, 63, 64, 65, 70, 127, 128])
def test_a_lost_formula_is_found_wherever_the_pieces_of_the_sheet_are_cut(tmp_path: Path,
                                                                          monkeypatch, at):
    """The sheet's XML is scanned piece by piece: a cell cut between two pieces is seen."""
    import zipfile

    from yhteistuumin_survey import tables

    monkeypatch.setattr(tables, "_SCAN_BYTES", 64)
    monkeypatch.setattr(tables, "_SCAN_OVERLAP", 32)
    cell = b'<c r="B2"><f>-lapset+ja+nuoret</f><v></v></c>'
    values = b'<c r="A1" t="s"><v>0</v></c>' * 9
    path = tmp_path / "kysely.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("xl/worksheets/sheet1.xml", values[:at] + cell + values[at:])
        archive.writestr("xl/worksheets/sheet2.xml", values * 3)
    with zipfile.ZipFile(path) as archive:
        assert tables._lost_formula_in(archive, "xl/worksheets/sheet1.xml")
        assert not tables._lost_formula_in(archive, "xl/worksheets/sheet2.xml")


@pytest.mark.parametrize("cell,read", [
    ("isolla_X000D_kirjoitettu", "isolla_X000D_kirjoitettu"),  # (OOXML's escapes are "_x")
    ("tiedosto_x000D_", "tiedosto\r"), ("_x000D_alussa", "\ralussa"),
    ("alaviiva_ilman koodia", "alaviiva_ilman koodia"), ("ei alaviivaa", "ei alaviivaa")])
def test_an_excel_escape_is_decoded_wherever_the_underscores_are(
        tmp_path: Path, cell, read):
    from yhteistuumin_survey.tables import read_csv

    path = tmp_path / "vastaukset.csv"
    path.write_text(f"Kunta;Kuvaus\nPori;{cell}\n", encoding="utf-8")
    assert read_csv(path)[0].rows[1] == ["Pori", read]


_HEADINGS = "Aikaleima;Kunta;Käytännön nimi;Tavoite;Yhteyshenkilö;Sähköposti\n"


@pytest.mark.parametrize("rows", [
    # A program that ends every row but the header with a separator.
    ["1.3.2024 10:00;Espoo;Lukupiiri;Lukeminen, yhdessä;Eija Koski;eija.koski@espoo.fi;",
     "2.3.2024 11:00;Turku;Kuoro;Laulaminen;Liisa Laine;liisa.laine@turku.fi;"],
    # A column of notes with no heading.
    ["1.3.2024 10:00;Espoo;Lukupiiri;Lukeminen;Eija Koski;eija.koski@espoo.fi;Soitettu",
     "2.3.2024 11:00;Turku;Kuoro;Laulaminen;Liisa Laine;liisa.laine@turku.fi;Kysytty"],
    # The only answer held a semicolon unquoted (the row is flagged when read).
    ["1.3.2024 10:00;Espoo;Lukupiiri;Tavoitteena on lukeminen; ja yhdessäolo;Eija Koski;"
     "eija.koski@espoo.fi"],
], ids=["separator-at-row-end", "notes-without-heading", "one-split-row"])
def test_rows_wider_than_the_header_still_make_a_semicolon_file(tmp_path: Path, rows):
    # Read as a comma-separated file (csv.Sniffer's guess), each row was one cell: no
    # question recognised, or a comma in an answer taken for a column's end.
    from yhteistuumin_survey.tables import read_csv

    path = tmp_path / "vastaukset.csv"
    path.write_text(_HEADINGS + "".join(f"{row}\n" for row in rows), encoding="utf-8")
    sheet, decoding = read_csv(path)

    assert decoding.delimiter == ";"
    assert sheet.rows[0][:2] == ["Aikaleima", "Kunta"] and len(sheet.rows[0]) == 6
    assert all(len(row) >= 6 for row in sheet.rows[1:])
