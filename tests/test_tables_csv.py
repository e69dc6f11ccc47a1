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
