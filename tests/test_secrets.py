"""Secrets are never echoed: database URLs masked in every message; CSV safe on either separator."""

from __future__ import annotations

import csv
import io

import pytest

from yhteistuumin_survey.db.engine import describe_url, make_engine, mask_url
from yhteistuumin_survey.errors import DatabaseError
from yhteistuumin_survey.reports import neutralise_formula, render_csv

SECRET = "Sup3rS3cret"


@pytest.mark.parametrize("url", [
    f"postgresql//survey:{SECRET}@db.kunta.fi/kysely", f"postgresql://survey:{SECRET}@db/k",
    f"postgresql://survey:p@ss:{SECRET}@db:5432/k", f"postgresql://db/k?password={SECRET}&x=1",
    f"postgresql://u:{SECRET}@host:abc/db", f"survey:{SECRET}@db", f"postgresql:u:{SECRET}@db",
    f"postgresql+psycopg://survey:{SECRET}@db.kunta.fi:5433/kysely",
])
def test_no_message_about_a_database_url_shows_its_password(url):
    assert SECRET not in mask_url(url) and SECRET not in describe_url(url)
    try:
        make_engine(url)
    except DatabaseError as exc:
        assert SECRET not in str(exc)


def test_a_malformed_url_is_named_masked_in_the_cli(cli):
    result = cli("--db", f"postgresql//survey:{SECRET}@db.kunta.fi/kysely", "status")

    assert result.exit_code == 1
    assert SECRET not in result.output
    assert "'postgresql//survey:***@db.kunta.fi/kysely': not a database URL" in result.stderr


def test_describe_url_keeps_host_port_and_database():
    assert describe_url(f"postgresql://survey:{SECRET}@db:5433/kysely") == \
        "postgresql://db:5433/kysely"
    assert describe_url("sqlite:///outputs/x.sqlite") == "outputs/x.sqlite"


# --- CSV --------------------------------------------------------------------------------------

DANGEROUS = ["Lukupiiri;=1+1;loppu", "a,=HYPERLINK(\"http://x\")", "ok; +358 40 123", "x;@SUM(A1)",
             "=1+1", "teksti;-2+3", "eka\t=1", "sana,\r=1"]


@pytest.mark.parametrize("text", DANGEROUS)
def test_no_cell_starts_a_formula_whichever_separator_excel_splits_on(text):
    rendered = render_csv([{"text": text, "n": 1}], ["text", "n"])
    for separator in (",", ";"):
        for record in list(csv.reader(io.StringIO(rendered), delimiter=separator))[1:]:
            for cell in record:
                assert not cell.lstrip(" ").startswith(("=", "+", "-", "@", "\t", "\r")), \
                    (separator, cell)


def test_the_ingest_report_never_holds_a_formula(tmp_path):
    # The report is a workbook: a cell stays one cell whatever separator Excel would use, and
    # text that starts like a formula is written as text.
    from openpyxl import load_workbook

    from yhteistuumin_survey.ingest import REPORT_COLUMNS, write_report_csv

    class Result:
        def rows(self):
            return [dict.fromkeys(REPORT_COLUMNS, "=1+1;Lukupiiri;=2+2")]

    path = write_report_csv(Result(), tmp_path)  # type: ignore[arg-type]
    cells = [cell for row in load_workbook(path).active.iter_rows(min_row=2) for cell in row]
    assert cells and all(cell.data_type == "s" for cell in cells)
    assert {cell.value for cell in cells} == {"'=1+1;Lukupiiri;=2+2"}


def test_harmless_text_is_left_as_it_is():
    assert neutralise_formula("Lukupiiri ja kirjasto, 2 kertaa") == "Lukupiiri ja kirjasto, 2 kertaa"
    assert neutralise_formula(42) == 42
