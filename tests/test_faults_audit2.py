"""The second fault audit: what a real round meets (a settings file that is broken or cannot be
read, a workspace folder made read-only, …) gives one line ``where: what is wrong; what to do``,
exit 1, no traceback, and loses nothing."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from ingest_support import DATA


def one_error_line(result) -> str:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and result.exception is None, result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, result.output
    return errors[0]


def settings_file(workspace) -> Path:
    return workspace.root / "yhteistuumin.toml"


# --- settings ----------------------------------------------------------------------------------


def test_a_settings_file_with_a_syntax_error_names_its_file_and_line(cli, workspace):
    path = settings_file(workspace)
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[3:3] = ["[smtp]", 'host = "posti.espoo.fi'] if "[smtp]" not in lines[:3] else []
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    line = one_error_line(cli("status"))
    assert line.startswith(f"Error: {path}:5: ")
    assert line.endswith("; fix the TOML syntax")


def test_an_unknown_and_a_bad_setting_each_name_their_line(cli, workspace):
    path = settings_file(workspace)
    text = path.read_text(encoding="utf-8").replace(
        "[smtp]\n", '[smtp]\ntimout = 30\nport = "kaksi"\n', 1)
    path.write_text(text, encoding="utf-8")
    number = text.splitlines().index("timout = 30") + 1
    result = cli("status")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert f"{path}:{number}: [smtp] timout: unknown key; known: " in result.stderr
    assert f"{path}:{number + 1}: [smtp] port: expected a whole number (got 'kaksi')" \
        in result.stderr


def test_a_settings_file_that_cannot_be_read_is_one_line(cli, workspace, monkeypatch):
    # As root (the test machine) a mode of 000 still reads: refuse the read as the system
    # refuses it to the coordinator's account.
    path = settings_file(workspace)
    real = Path.read_text

    def read_text(self, *args, **kwargs):
        if self == path:
            raise PermissionError(13, "Permission denied", str(self))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Path, "read_text", read_text)
    line = one_error_line(cli("status"))
    assert line == f"Error: {path}: permission denied; check who owns it and its permissions"


# --- the workspace on a read-only folder -------------------------------------------------------


@pytest.mark.parametrize("command", [["publish"], ["review", "export"], ["ingest", "ANSWERS"]])
def test_a_read_only_outputs_folder_says_the_database_cannot_be_opened(
        cli, workspace, tmp_path, make_immutable, command):
    answers = tmp_path / "vastaukset.csv"
    shutil.copyfile(DATA / "googleforms.csv", answers)
    database = workspace.outputs / "yhteistuumin.sqlite"
    with sqlite3.connect(database) as db:  # as a finished run leaves it: no journal beside it
        db.execute("PRAGMA journal_mode=DELETE")
    db.close()
    assert not database.with_name(database.name + "-wal").exists()
    before = database.read_bytes()
    make_immutable(database)
    make_immutable(workspace.outputs)  # nor can SQLite make its journal beside it
    line = one_error_line(cli(*[str(answers) if a == "ANSWERS" else a for a in command]))
    # a file on this machine: no "check ... that the server is running"
    assert line.startswith(f"Error: {database}: the database ")
    assert "server" not in line
    assert database.read_bytes() == before
