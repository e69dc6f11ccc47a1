"""``yhteistuumin ingest`` and ``practices list``: exit codes and exact output."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from ingest_support import DATA


def _inbox(tmp_path: Path, *names: str) -> Path:
    inbox = tmp_path / "inbox"
    inbox.mkdir(exist_ok=True)
    for name in names:
        shutil.copy(DATA / name, inbox / Path(name).name)
    return inbox


def test_ingest_prints_a_short_summary_and_the_mapping_only_when_verbose(cli, tmp_path):
    inbox = _inbox(tmp_path, "table.tsv", "limesurvey-codes.csv")
    short = cli("ingest", str(inbox / "limesurvey-codes.csv"))
    assert short.exit_code == 0, short.output
    assert short.stdout.splitlines()[0] == ("1 file: 1 new practice, 1 unfinished response "
                                             "(not a practice)")
    assert len(short.stdout.splitlines()) == 2 and "columns" not in short.stdout
    result = cli("ingest", str(inbox / "table.tsv"), "--verbose")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == f"{inbox / 'table.tsv'} [table] read as table; columns:"
    assert "  '4. Kohderyhmä' -> target_group (label)" in lines
    assert "  'Sisäinen huomio' -> (ignored) (ignored)" in lines
    assert lines[-2] == "1 file: 1 new practice"
    assert lines[-1].startswith("Report: ") and lines[-1].endswith(".xlsx")
    again = cli("ingest", str(inbox / "table.tsv"))
    assert again.exit_code == 0
    assert again.stdout.splitlines()[0] == "1 file: 1 file already ingested"


def test_an_export_downloaded_again_counts_its_old_rows_as_answers_not_files(cli, tmp_path):
    """A form export downloaded again holds the rows stored before and the new ones: the
    summary counts the old rows as answers already ingested, not as files."""
    inbox = _inbox(tmp_path, "googleforms.csv")
    assert cli("ingest", str(inbox / "googleforms.csv")).exit_code == 0
    header, *rows = (inbox / "googleforms.csv").read_text(encoding="utf-8").splitlines(
        keepends=True)
    later = [rows[-1].replace("terveysasemille", f"terveysasemille ja {place}", 1)
             for place in ("kouluille", "kirjastoihin")]
    second, third = inbox / "second.csv", inbox / "third.csv"
    second.write_text(header + "".join(rows) + later[0], encoding="utf-8")
    third.write_text(header + "".join(rows) + "".join(later), encoding="utf-8")

    again = cli("ingest", str(second), "--format", "json")
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout)["counts"]["already ingested"] == len(rows)  # JSON: as was
    assert cli("ingest", str(second)).stdout.splitlines()[0] == "1 file: 1 file already ingested"
    said = cli("ingest", str(third)).stdout.splitlines()[0]
    assert said.startswith("1 file: ") and "files already ingested" not in said, said
    assert f"{len(rows) + 1} answers already ingested (the same content)" in said, said


def test_ingest_exits_1_and_names_the_broken_file_but_keeps_the_rest(cli, tmp_path):
    inbox = _inbox(tmp_path, "broken/scan.xlsx", "limesurvey-codes.csv")
    result = cli("ingest", str(inbox), "--format", "json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["counts"] == {"new": 1, "incomplete": 1, "error": 1}
    assert data["failed"] is True
    error = next(item for item in data["items"] if item["outcome"] == "error")
    assert error["reason"] == (f"{inbox / 'scan.xlsx'}: not a spreadsheet but a PDF document; "
                               "ask for the Excel file itself")
    assert data["mappings"][0]["format"] == "limesurvey"


def test_ingest_table_output_lists_errors_on_stderr(cli, tmp_path):
    inbox = _inbox(tmp_path, "broken/empty.xlsx")
    result = cli("ingest", str(inbox / "empty.xlsx"))
    assert result.exit_code == 1
    assert result.stderr == (f"error: {inbox / 'empty.xlsx'}: the file is empty; ask the sender "
                             "to send it again\n")
    assert result.stdout.splitlines()[0] == "1 file: 1 error"


def test_practices_list_json_has_the_card_contact_flags_and_source(cli, tmp_path):
    inbox = _inbox(tmp_path, "msforms.xlsx")
    assert cli("ingest", str(inbox)).exit_code == 0
    result = cli("practices", "list", "--format", "json", "--municipality", "698")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert len(data) == 1
    practice = data[0]
    assert list(practice) == ["id", "version", "status", "title", "keywords", "target_group",
                              "goal", "summary", "implementation", "resources", "experiences",
                              "benefits", "municipalities", "municipality_text", "language",
                              "municipality_sources", "contact", "flags", "source", "review"]
    assert practice["municipality_sources"] == {"698": "text"}
    assert practice["contact"] == {"name": "Matti Virtanen",
                                   "email": "matti.virtanen@rovaniemi.example.fi",
                                   "phone": "+358 16 3222463", "publish_consent": False,
                                   "consent": "no"}
    assert practice["flags"] == ["no-consent"]
    assert practice["source"] == {"file": "msforms.xlsx", "sheet": "Sheet1", "row": 3,
                                  "locator": "row 3", "format": "msforms"}
    table = cli("practices", "list", "--status", "new")
    assert table.stdout.splitlines()[-1] == "3 practices"
    assert table.stdout.splitlines()[0].split() == ["id", "version", "status", "municipalities",
                                                    "title", "flags"]


def test_practices_list_rejects_an_unknown_status(cli):
    result = cli("practices", "list", "--status", "maybe")
    assert result.exit_code == 1
    assert result.stderr == ("Error: unknown status 'maybe'; use new, needs-info, approved, "
                             "rejected, duplicate or to-read\n")


def test_ingest_source_option_is_validated(cli, tmp_path):
    inbox = _inbox(tmp_path, "table.tsv")
    result = cli("ingest", str(inbox), "--source", "typeform")
    assert result.exit_code == 2


def test_a_contact_list_given_to_ingest_is_named_as_one_and_makes_no_practices(cli, tmp_path):
    # The coordinator's contact list ingested by mistake: each row became a practice titled
    # with the person's name ("Nimi" read as the practice's name), 9 of them, goal missing.
    path = tmp_path / "yhteystiedot.csv"
    path.write_text("Kunta;Kuntanumero;Nimi;Puhelin;Sähköposti\n"
                    + "".join(f"{name};{code};{person};040 123 456{n};{mail}\n"
                              for n, (name, code, person, mail) in enumerate([
                                  ("Espoo", "049", "Eeva Esimerkki", "eeva@espoo.example.fi"),
                                  ("Vantaa", "092", "Ville Vantaa", "ville@vantaa.example.fi"),
                                  ("Turku", "853", "Tuula Turku", "tuula@turku.example.fi"),
                                  ("Porvoo", "638", "Anna Lindqvist", "anna@porvoo.example.fi"),
                                  ("Helsinki", "091", "Kalle K", "kalle@hel.example.fi"),
                                  ("Oulu", "564", "Olli O", "olli@ouka.example.fi")])),
                    encoding="utf-8")

    result = cli("ingest", str(path))

    assert result.exit_code == 1
    assert result.stderr == (
        f"error: {path}: a contact list, not answers (columns Kunta, Kuntanumero, Nimi, "
        "Puhelin, Sähköposti: no practice in them); import it with 'yhteistuumin register "
        f"contacts {path}', or give --source table if it holds answers\n")
    assert cli("practices", "list").stdout.splitlines()[-1] == "0 practices"
    # A table of answers with a practice column is read as before.
    answers = tmp_path / "vastaukset.csv"
    answers.write_text("Kunta;Käytännön nimi;Tavoite;Sähköposti\n"
                       "Espoo;Kirjastokino;Elokuvia kirjastoon;eeva@espoo.example.fi\n",
                       encoding="utf-8")
    read = cli("ingest", str(answers))
    assert read.exit_code == 0, read.output
    assert read.stdout.splitlines()[0] == "1 file: 1 new practice"


def test_a_table_naming_only_practices_and_their_contacts_is_still_read_as_answers(cli,
                                                                                    tmp_path):
    # "Käytännön nimi" is a practice, not a person: such a short table is answers.
    answers = tmp_path / "kaytannot.csv"
    answers.write_text("Kunta;Käytännön nimi;Sähköposti\n"
                       + "".join(f"Espoo;Käytäntö {n};eeva@espoo.example.fi\n" for n in range(6)),
                       encoding="utf-8")
    read = cli("ingest", str(answers))
    assert (read.exit_code, read.stderr) == (0, "")
    assert read.stdout.splitlines()[0].startswith("1 file: 1 new practice, ")


def test_a_path_that_is_not_there_says_what_to_check(cli, tmp_path):
    """A mistyped file or folder is one error line that says what to check, not a bare "no
    such file"; the other files given are read all the same."""
    inbox = _inbox(tmp_path, "table.tsv")
    typo = tmp_path / "vastaukset.xslx"
    result = cli("ingest", str(inbox / "table.tsv"), str(typo), str(tmp_path / "saapuneet"))
    assert result.exit_code == 1
    for missing in (typo, tmp_path / "saapuneet"):
        assert (f"error: {missing}: no such file or folder; check the path (a typo, or moved "
                "or renamed?)") in result.output.splitlines()
    assert result.stdout.splitlines()[0].startswith("3 files: 1 new practice")
