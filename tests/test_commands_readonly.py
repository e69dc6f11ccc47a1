"""``status`` and ``practices list`` only read: plain SQL on SQLite and PostgreSQL alike, no
migration (an older database is refused with what to do), no file written unless asked, and
neither the ORM, pydantic nor Alembic imported."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from factories import make_practice
from sqlalchemy import text

from yhteistuumin_survey.db.engine import head_revision, known_revisions


@pytest.fixture
def practices(engine):
    """Three practices on the parametrised database (SQLite, PostgreSQL)."""
    from yhteistuumin_survey.db.engine import session_scope

    with session_scope(engine) as session:
        make_practice(session, title="Taidetestaajat", status="approved", publish_consent=True,
                      contact_email="anna.taide@example.fi", keywords=["musiikki", "nuoret"])
        make_practice(session, title="Kirjastokaveri", status="needs-info",
                      municipalities=["853", "091"], flags=["consent unclear"],
                      publish_consent=None, corrected_keywords=["lukeminen"])
        make_practice(session, title="Hylätty", status="rejected", publish_consent=False)


def test_practices_list_reads_the_same_records_on_sqlite_and_postgresql(cli, db_url, practices):
    table = cli("--db", db_url, "practices", "list")
    assert table.exit_code == 0, table.output
    lines = table.stdout.splitlines()
    assert lines[0].split() == ["id", "version", "status", "municipalities", "title", "flags"]
    assert [line.split()[2] for line in lines[2:5]] == ["approved", "needs-info", "rejected"]
    assert "091 853" in lines[3] and lines[3].rstrip().endswith("consent unclear")
    assert lines[-1] == "3 practices"

    listed = json.loads(cli("--db", db_url, "practices", "list", "-f", "json").stdout)
    first, second, third = listed
    assert first["keywords"] == ["musiikki", "nuoret"] and first["flags"] == []
    assert first["contact"]["email"] == "anna.taide@example.fi"
    assert [p["contact"]["publish_consent"] for p in listed] == [True, None, False]
    assert [p["contact"]["consent"] for p in listed] == ["yes", "unknown", "no"]
    assert second["municipalities"] == ["091", "853"]
    assert second["municipality_sources"] == {"091": "token", "853": "token"}
    assert second["review"]["corrected_keywords"] == ["lukeminen"]
    assert first["review"]["corrected_keywords"] is None
    assert first["source"]["file"].startswith("vastaus-") and third["status"] == "rejected"

    one = cli("--db", db_url, "practices", "list", "-m", "Helsinki", "-f", "csv")
    assert one.exit_code == 0, one.output
    assert [row.split(",")[4] for row in one.stdout.splitlines()[1:]] == ["Kirjastokaveri"]


def test_status_counts_the_same_on_sqlite_and_postgresql(cli, db_url, practices):
    result = cli("--db", db_url, "status", "--format", "json")
    assert result.exit_code == 0, result.output
    totals = json.loads(result.stdout)["totals"]
    assert (totals["municipalities"], totals["practices"], totals["approved"]) == (308, 3, 1)
    # the needs-info practice names two municipalities as their reporters: both answered
    assert totals["answered_uninvited"] == 3

    follow_up = cli("--db", db_url, "status", "--by", "municipality", "--format", "json")
    rows = {row["code"]: row for row in json.loads(follow_up.stdout)["rows"]}
    assert rows["853"]["practices"] == 1 and rows["049"]["approved"] == 1


def _make_older(engine) -> str:
    head, known = known_revisions()
    older = sorted(known - {head})[-1]
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = :older"),
                           {"older": older})
    return older


@pytest.mark.parametrize("command", [["status"], ["practices", "list"]])
def test_an_older_database_is_refused_with_what_to_do_and_left_as_it_is(cli, engine, db_url,
                                                                        command):
    from yhteistuumin_survey.db.engine import describe_url

    older = _make_older(engine)

    result = cli("--db", db_url, *command)

    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr == (
        f"Error: {describe_url(db_url)}: the database is at schema revision {older}, older "
        f"than this program's {head_revision()}; upgrade it with 'yhteistuumin db upgrade' "
        "(any command that changes the database also does)\n")
    with engine.connect() as connection:
        assert connection.execute(text("SELECT version_num FROM alembic_version")
                                  ).scalar_one() == older


def test_status_on_a_new_workspace_makes_its_database_first(cli, workspace):
    database = workspace.outputs / "yhteistuumin.sqlite"
    database.unlink()

    result = cli("status", "--format", "json")

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["totals"]["municipalities"] == 308
    import sqlite3

    with sqlite3.connect(database) as connection:
        assert connection.execute("SELECT version_num FROM alembic_version").fetchone() == (
            head_revision(),)


def test_status_writes_the_page_only_with_html(cli, workspace, tmp_path):
    page = tmp_path / "tilanne.html"
    assert cli("status").exit_code == 0
    assert not (workspace.outputs / "status.html").exists()

    result = cli("status", "--by", "municipality", "--html", str(page))

    assert result.exit_code == 0, result.output
    assert result.stderr == f"Status page: {page}\n"
    assert "<html" in page.read_text(encoding="utf-8")


def test_a_damaged_database_is_one_line_for_a_reading_command(cli, workspace):
    database = workspace.outputs / "yhteistuumin.sqlite"
    database.write_bytes(b"this is not a database at all" * 200)

    result = cli("practices", "list")

    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.stderr == (f"Error: {database}: the database file is damaged (not a "
                             "database); restore it from a backup\n")


@pytest.mark.parametrize("command", [["status"], ["practices", "list"]])
def test_reading_commands_load_neither_the_orm_nor_pydantic_nor_alembic(workspace, command):
    code = ("import sys\n"
            f"sys.argv = ['yhteistuumin', *{command!r}]\n"
            "from yhteistuumin_survey.cli import main\n"
            "try:\n"
            "    main()\n"
            "except SystemExit as exc:\n"
            "    assert not exc.code, exc.code\n"
            "print([m for m in ('sqlalchemy', 'sqlmodel', 'pydantic', 'alembic', "
            "'yhteistuumin_survey.db.models') if m in sys.modules])\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("YHTEISTUUMIN_")}
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60, cwd=workspace.root, env=env)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip().splitlines()[-1] == "[]"
