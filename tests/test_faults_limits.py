"""Size limits a user can understand: rows, columns and cells bounded while reading, the
heading search bounded in work, and the zip-bomb check judged on the expanded size."""

from __future__ import annotations

import shutil
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest
from ingest_support import DATA

from yhteistuumin_survey.errors import InputError
from yhteistuumin_survey.tables import (
    MAX_COMPRESSION_RATIO,
    Limits,
    check_zip,
    read_csv,
    read_workbook,
)


def csv_of(path: Path, rows: int, cell: str = "vastaus") -> Path:
    lines = ["Käytännön nimi,Tavoite"] + [f"Käytäntö {n},{cell}" for n in range(rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_table_over_the_row_limit_is_refused_while_reading(tmp_path):
    path = csv_of(tmp_path / "iso.csv", 5_000)
    with pytest.raises(InputError) as refused:
        read_csv(path, limits=Limits(max_rows=1_000))
    assert str(refused.value) == (f"{path}: 1 001 rows is over the limit of 1 000 "
                                  "([limits] max_rows); split the file, or raise the limit if "
                                  "the rows are real answers")
    sheet, _ = read_csv(path)  # the default is far above a real round
    assert len(sheet.rows) == 5_001


def test_a_cell_over_the_character_limit_names_its_row(tmp_path):
    path = csv_of(tmp_path / "pitka.csv", 3, cell="x" * 2_000)
    with pytest.raises(InputError, match=r"row 2: a cell of 2 000 characters is over the limit "
                                         r"of 1 000 \(\[limits\] max_cell_chars\)"):
        read_csv(path, limits=Limits(max_cell_chars=1_000))


def test_an_xlsx_16384_columns_wide_is_refused_in_seconds(tmp_path):
    path = tmp_path / "leveä.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append([f"Sarake {n}" for n in range(16_384)])
    sheet.append(["Runopolku", "Runoja luontoon"] + ["x"] * 16_382)
    book.save(path)
    started = time.perf_counter()
    with pytest.raises(InputError, match=r"16 384 columns is over the limit of 1 000 "
                                         r"\(\[limits\] max_columns\)"):
        read_workbook(path)
    assert time.perf_counter() - started < 10


def test_the_ingest_refuses_a_wide_file_in_one_line_and_reads_the_rest(cli, workspace, tmp_path):
    wide = tmp_path / "leveä.csv"
    wide.write_text(",".join(f"Sarake {n}" for n in range(40)) + "\n" + ",".join("x" * 40) + "\n",
                    encoding="utf-8")
    fine = tmp_path / "vastaukset.csv"
    shutil.copyfile(DATA / "googleforms.csv", fine)
    started = time.perf_counter()
    result = cli("ingest", str(wide), str(fine), env={"YHTEISTUUMIN_LIMITS_MAX_COLUMNS": "20"})
    assert time.perf_counter() - started < 60
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert f"{wide}: 40 columns is over the limit of 20 ([limits] max_columns)" in result.output
    assert "2 new" in result.output


def test_a_real_sheet_of_long_repetitive_answers_is_read_not_taken_for_a_zip_bomb(tmp_path):
    path = tmp_path / "pitkät-vastaukset.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Käytännön nimi", "Toteuttaminen"])
    answer = "Kyllä, kirjasto. " * 1800  # ~31 000 characters, much the same in every row
    for n in range(300):
        sheet.append([f"Käytäntö {n}", f"{answer}{n}"])
    book.save(path)
    with zipfile.ZipFile(path) as archive:
        biggest = max(archive.infolist(), key=lambda info: info.file_size)
    ratio = biggest.file_size / biggest.compress_size
    # The old rule (ratio over 200 and more than 10 MB expanded) refused exactly this file.
    assert ratio > MAX_COMPRESSION_RATIO and biggest.file_size > 10 * 1024 * 1024
    check_zip(path).close()
    sheets = read_workbook(path)
    assert len(sheets[0].rows) == 301 and sheets[0].rows[300][1] == f"{answer}299"


def test_a_zip_that_expands_past_the_limit_is_refused_unopened(tmp_path):
    path = tmp_path / "pommi.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            block = b"0" * (1024 * 1024)
            for _ in range(320):
                member.write(block)
    assert path.stat().st_size < 2 * 1024 * 1024
    with pytest.raises(InputError, match=r"sheet1.xml expands \d+-fold, as only padding does "
                                         r"\(a zip bomb\?\); not opened"):
        check_zip(path)


def test_a_member_expanding_past_300_mb_is_refused_whatever_its_ratio(tmp_path):
    import os

    path = tmp_path / "suuri.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr("tiedosto.bin", b"")
    # A central directory that declares 320 MB stored (ratio 1): refused before reading.
    data = bytearray(path.read_bytes())
    size = (320 * 1024 * 1024).to_bytes(4, "little")
    central = data.rfind(b"PK\x01\x02")
    data[central + 20:central + 24] = size  # compressed size
    data[central + 24:central + 28] = size  # uncompressed size
    path.write_bytes(bytes(data))
    assert os.path.getsize(path) < 1024
    with pytest.raises(InputError, match=r"expands to 320 MB \(1-fold; a zip bomb\?\), over "
                                         r"the 300 MB limit \(\[limits\] max_member_mb\); not "
                                         r"opened"):
        check_zip(path)
