"""``yhteistuumin init`` and ``db upgrade``; the database URL from --db and YHTEISTUUMIN_DB;
databases the program cannot use are refused in one line."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from yhteistuumin_survey.db.engine import head_revision, open_database


def test_init_creates_the_workspace_and_a_second_run_keeps_it(cli, tmp_path: Path) -> None:
    target = tmp_path / "kysely-2026"
    first = cli("init", str(target))
    assert first.exit_code == 0, first.output
    assert first.stdout == (
        f"Workspace: {target}\n"
        "  created  yhteistuumin.toml\n"
        "  created  recipients/\n"
        "  created  templates/\n"
        "  created  survey/\n"
        "  created  outputs/\n"
        "  created  .gitignore\n"
        "Next: edit yhteistuumin.toml, then import contacts with "
        "'yhteistuumin register contacts FILE'.\n")
    (target / "yhteistuumin.toml").write_text('[round]\nname = "oma"\n', encoding="utf-8")
    second = cli("init", str(target))
    assert second.exit_code == 0
    assert second.stdout == (
        f"Workspace: {target}\n"
        "  kept     yhteistuumin.toml\n"
        "  kept     recipients/\n"
        "  kept     templates/\n"
        "  kept     survey/\n"
        "  kept     outputs/\n"
        "Next: edit yhteistuumin.toml, then import contacts with "
        "'yhteistuumin register contacts FILE'.\n")
    assert (target / "yhteistuumin.toml").read_text(encoding="utf-8") == '[round]\nname = "oma"\n'


def test_db_upgrade_on_empty_then_current_database(cli, workspace) -> None:
    path = workspace.root / "outputs" / "yhteistuumin.sqlite"
    path.unlink()  # the fixture's workspace comes migrated; start from an empty database
    where = str(path)  # the file, as an error line names it ("sqlite:/tmp/…" before)
    first = cli("db", "upgrade")
    assert first.exit_code == 0, first.output
    assert first.stdout == f"{where}: upgraded from empty to {head_revision()}.\n"
    second = cli("db", "upgrade")
    assert second.stdout == f"{where}: already at the newest schema ({head_revision()}).\n"


def test_db_option_and_environment_variable_choose_the_database(cli, tmp_path: Path) -> None:
    by_env = tmp_path / "env.sqlite"
    by_option = tmp_path / "option.sqlite"
    result = cli("register", "list", "--format", "csv", env={"YHTEISTUUMIN_DB": f"sqlite:///{by_env}"})
    assert result.exit_code == 0
    assert by_env.is_file()
    result = cli("--db", f"sqlite:///{by_option}", "register", "list", "--format", "csv",
                 env={"YHTEISTUUMIN_DB": f"sqlite:///{tmp_path / 'unused.sqlite'}"})
    assert result.exit_code == 0
    assert by_option.is_file() and not (tmp_path / "unused.sqlite").exists()
    with sqlite3.connect(by_option) as connection:
        assert connection.execute("SELECT count(*) FROM municipality").fetchone() == (308,)


def test_a_database_url_naming_no_database_is_never_taken_for_an_empty_round(
        cli, workspace, tmp_path: Path) -> None:
    # A mistyped folder: refused, nothing made (a round "with nothing sent" would invite a
    # second send to every municipality).
    typo = tmp_path / "kysley" / "yhteistuumin.sqlite"
    refused = cli("--db", f"sqlite:///{typo}", "status")
    assert refused.exit_code == 1
    assert refused.stdout == ""
    assert refused.stderr == (
        f"Error: {typo}: no database there and no folder {typo.parent}; check the database "
        "URL (--db), or make the folder first to start a new database there\n")
    assert not typo.parent.exists()
    # A file not there yet in a folder that is: made, and said once (on stderr, the table is
    # still the command's output), naming where the URL came from.
    new = tmp_path / "uusi.sqlite"
    made = cli("status", "--format", "csv", env={"YHTEISTUUMIN_DB": f"sqlite:///{new}"})
    assert made.exit_code == 0, made.output
    assert made.stderr == (
        f"Note: there was no database at {new} (the database URL from YHTEISTUUMIN_DB); a "
        "new, empty one was made there. If you meant the round's existing database, check "
        "the path\n")
    assert new.is_file() and made.stdout.startswith("code,")
    again = cli("status", "--format", "csv", env={"YHTEISTUUMIN_DB": f"sqlite:///{new}"})
    assert again.exit_code == 0 and again.stderr == ""
    # The workspace's own database is made on first use without a word, as before.
    own = workspace.root / "outputs" / "yhteistuumin.sqlite"
    own.unlink()
    first = cli("status", "--format", "csv")
    assert first.exit_code == 0 and first.stderr == "" and own.is_file()


def test_older_database_is_migrated_by_any_command(cli, tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    sqlite3.connect(path).close()  # an empty database: no schema revision yet
    result = cli("--db", f"sqlite:///{path}", "register", "check", "--format", "json")
    assert result.exit_code == 0, result.output
    with sqlite3.connect(path) as connection:
        assert connection.execute("SELECT version_num FROM alembic_version").fetchone() == \
            (head_revision(),)


def test_newer_database_is_refused_in_one_line(cli, tmp_path: Path) -> None:
    path = tmp_path / "newer.sqlite"
    open_database(f"sqlite:///{path}").dispose()
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE alembic_version SET version_num = 'f00dfeed'")
    result = cli("--db", f"sqlite:///{path}", "register", "list")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == (
        f"Error: {path}: the database is at schema revision f00dfeed, newer than this "
        f"program knows (newest {head_revision()}); upgrade yhteistuumin\n")


def test_unreachable_database_names_host_and_hides_the_password(cli) -> None:
    result = cli("--db", "postgresql://survey:s3cret@127.0.0.1:1/survey", "register", "list")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith("Error: postgresql://127.0.0.1:1/survey: cannot connect: ")
    assert result.stderr.endswith("check the database URL (--db / YHTEISTUUMIN_DB) and that the "
                                  "server is running\n")
    assert result.stderr.count("\n") == 1
    assert "s3cret" not in result.output and "Traceback" not in result.output


def test_not_a_database_url_is_one_line(cli) -> None:
    result = cli("--db", "no such thing", "register", "list")
    assert result.exit_code == 1
    assert result.stderr == ("Error: 'no such thing': not a database URL; use e.g. "
                             "sqlite:///outputs/db.sqlite or postgresql+psycopg://user@host/db\n")


def test_version_prints_the_version_and_exits_0(cli) -> None:
    from yhteistuumin_survey import __version__

    result = cli("--version")
    assert (result.exit_code, result.stdout) == (0, f"yhteistuumin {__version__}\n"), result.output


def test_a_workspace_folder_that_does_not_exist_is_refused_not_created(cli, tmp_path: Path) -> None:
    missing = tmp_path / "kysely-2062"
    result = cli("--workspace", str(missing), "register", "list")
    assert result.exit_code == 1
    assert result.stderr == (f"Error: {missing}: no such workspace folder; check --workspace / "
                             f"YHTEISTUUMIN_WORKSPACE, or create it with "
                             f"'yhteistuumin init {missing}'\n")
    assert not missing.exists()
