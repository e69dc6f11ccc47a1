"""``yhteistuumin review export|import``: exit codes and exact output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from factories import make_practice
from sqlmodel import Session
from test_review import fill

from yhteistuumin_survey.db.engine import open_database
from yhteistuumin_survey.register import ensure_register


@pytest.fixture
def db(workspace, tmp_path: Path, sqlite_template):
    """A SQLite database with the register and three practices: (url, ids)."""
    from fixtures_house import copy_sqlite_template

    copy_sqlite_template(sqlite_template, tmp_path / "review.sqlite")  # migrated
    url = f"sqlite:///{tmp_path / 'review.sqlite'}"
    engine = open_database(url)
    ensure_register(engine, workspace=workspace)
    with Session(engine, expire_on_commit=False) as session:
        ids = [make_practice(session, title="Lukupiiri", municipalities=["091"]).id,
               make_practice(session, title="Kirjastoauto", municipalities=["698"]).id,
               make_practice(session, title="Valmis", status="approved", decided_version=1).id]
    engine.dispose()
    return url, ids


def test_export_prints_the_workbooks_written(cli, db, tmp_path: Path) -> None:
    url, _ = db
    out = tmp_path / "kierros.xlsx"
    result = cli("--db", url, "review", "export", "--out", str(out), "--reviewer", "Aino",
                 "--reviewer", "Bertil")
    assert result.exit_code == 0, result.output
    lines = result.stdout.replace(str(tmp_path), "TMP").splitlines()
    assert [line.split() for line in lines[:4]] == [
        ["file", "reviewer", "practices", "regions"],
        ["-" * len(f"{tmp_path}/kierros-bertil.xlsx"), "--------", "---------", "-------"],
        ["TMP/kierros-aino.xlsx", "Aino", "1", "Uusimaa"],
        ["TMP/kierros-bertil.xlsx", "Bertil", "1", "Lappi"],
    ]
    assert lines[4].startswith("2 practices in 2 workbooks (export ")
    assert (tmp_path / "kierros-aino.xlsx").exists() and (tmp_path / "kierros-bertil.xlsx").exists()


def test_export_json_and_default_location(cli, db, workspace) -> None:
    url, ids = db
    result = cli("--db", url, "review", "export", "--status", "new,approved", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["statuses"] == ["new", "approved"] and data["practices"] == 3
    path = Path(data["files"][0]["path"])
    assert path.parent == workspace.outputs / "review"
    assert path.name.startswith("review-") and path.suffix == ".xlsx"


def test_export_with_nothing_to_review_and_an_unknown_status(cli, db) -> None:
    url, _ = db
    result = cli("--db", url, "review", "export", "--status", "rejected")
    assert (result.exit_code, result.stdout) == (0, "Nothing to review (status rejected).\n")
    bad = cli("--db", url, "review", "export", "--status", "hyväksytty")
    assert bad.exit_code == 1
    assert bad.stderr == ("Error: unknown status 'hyväksytty'; use one or more of new, "
                          "needs-info, approved, rejected, duplicate\n")


def test_import_reports_bad_rows_by_file_and_row_and_exits_1(cli, db, tmp_path: Path) -> None:
    url, ids = db
    out = tmp_path / "r.xlsx"
    assert cli("--db", url, "review", "export", "--out", str(out)).exit_code == 0
    fill(out, {ids[0]: {"Päätös": "ok"}, ids[1]: {"Päätös": "hyväksyty"}})
    result = cli("--db", url, "review", "import", str(out), "--reviewer", "Aino")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        f"{out}:3: error: unknown decision 'hyväksyty'; use one of: hyväksytty / godkänd / "
        "approved, hylätty / avslagen / rejected, lisätietoja / mer information / needs-info, "
        "kaksoiskappale / dubblett / duplicate",
        "1 applied, 0 unchanged, 0 stale, 0 conflicts, 1 error, 0 warnings, 0 skipped",
    ]
    fill(out, {ids[1]: {"Päätös": "hylätty"}})
    again = cli("--db", url, "review", "import", str(out), "--format", "json")
    assert again.exit_code == 0, again.output
    data = json.loads(again.stdout)
    assert data["summary"] == {"applied": 1, "unchanged": 1, "stale": 0, "conflicts": 0,
                               "errors": 0, "warnings": 0, "skipped": 0}
    assert data["files"] == [str(out)]
    assert {o["status"] for o in data["outcomes"]} == {"applied", "unchanged"}
    listing = cli("--db", url, "review", "import", str(out), "--format", "csv")
    assert listing.stdout.splitlines()[0] == "source,status,reason"


def test_import_of_a_missing_file_is_an_error_line(cli, db, tmp_path: Path) -> None:
    url, _ = db
    result = cli("--db", url, "review", "import", str(tmp_path / "nope.xlsx"))
    assert result.exit_code == 1
    assert result.stdout.splitlines()[0] == (f"{tmp_path / 'nope.xlsx'}: error: no such file; "
                                             "check the path (a typo, or moved or renamed?)")


def test_help_has_an_example(cli) -> None:
    for command in ("export", "import"):
        result = cli("review", command, "--help")
        assert result.exit_code == 0 and "Example: yhteistuumin review " in result.stdout


def test_decisions_show_in_practices_list_by_status(cli, db, tmp_path: Path) -> None:
    url, ids = db
    out = tmp_path / "r.xlsx"
    assert cli("--db", url, "review", "export", "--out", str(out)).exit_code == 0
    fill(out, {ids[0]: {"Päätös": "hyväksytty"}, ids[1]: {"Päätös": "lisätietoja"}})
    assert cli("--db", url, "review", "import", str(out)).exit_code == 0
    for status, expected in (("approved", [ids[0], ids[2]]), ("needs-info", [ids[1]]),
                             ("new", [])):
        listed = cli("--db", url, "practices", "list", "--status", status, "--format", "json")
        assert listed.exit_code == 0, listed.output
        assert [(p["id"], p["status"]) for p in json.loads(listed.stdout)] == [
            (i, status) for i in expected]


def test_a_needs_info_practice_lists_with_its_contact_and_what_the_reviewer_asked(
        cli, db, tmp_path: Path) -> None:
    url, ids = db
    out = tmp_path / "r.xlsx"
    assert cli("--db", url, "review", "export", "--out", str(out)).exit_code == 0
    fill(out, {ids[0]: {"Päätös": "kaksoiskappale", "Kaksoiskappale (alkuperäisen ID)": ids[2]},
               ids[1]: {"Päätös": "lisätietoja", "Arvioijan kommentti": "Paljonko maksaa?",
                        "Korjattu nimi": "Kirjastoauto kylille"}})
    assert cli("--db", url, "review", "import", str(out)).exit_code == 0
    listed = cli("--db", url, "practices", "list", "--status", "needs-info", "--format", "json")
    [practice] = json.loads(listed.stdout)
    assert practice["contact"]["email"] == "testi.henkilo@example.fi"
    assert practice["review"] == {"decided_version": 1, "duplicate_of": None,
                                  "comment": "Paljonko maksaa?",
                                  "corrected_title": "Kirjastoauto kylille",
                                  "corrected_keywords": None}
    duplicate = json.loads(cli("--db", url, "practices", "list", "--status", "duplicate",
                               "--format", "json").stdout)
    assert [p["review"]["duplicate_of"] for p in duplicate] == [ids[2]]
    csv_lines = cli("--db", url, "practices", "list", "--status", "needs-info", "--format",
                    "csv").stdout.splitlines()
    assert csv_lines[0].endswith(",contact_email,comment")
    assert csv_lines[1].endswith(",testi.henkilo@example.fi,Paljonko maksaa?")
