"""Outside a workspace only init, demo and register list/resolve run; the rest refuse, writing nothing."""

from __future__ import annotations

import os

import pytest
from typer.testing import CliRunner

MESSAGE = ("Error: no yhteistuumin.toml here or in any folder above: run 'yhteistuumin init DIR' "
           "or give --workspace")


def run(*args: str):
    from yhteistuumin_survey.cli import app
    from yhteistuumin_survey.cli.app import State

    env = {k: v for k, v in os.environ.items() if not k.startswith("YHTEISTUUMIN_")}
    return CliRunner().invoke(app, list(args), obj=State(env=env), env=env)


@pytest.fixture
def elsewhere(tmp_path, monkeypatch):
    folder = tmp_path / "väärä kansio"
    folder.mkdir()
    (folder / "vastaus.xlsx").write_bytes(b"not a workbook")
    monkeypatch.chdir(folder)
    return folder


@pytest.mark.parametrize("args", [
    ("status",), ("ingest", "vastaus.xlsx"), ("survey", "build"), ("publish",),
    ("send", "invite", "--dry-run"), ("forget", "--dry-run", "a@kunta.example.fi"),
    ("person", "a@kunta.example.fi"), ("register", "contacts", "vastaus.xlsx"), ("db", "upgrade"),
    ("review", "export"), ("practices", "list"),
])
def test_a_command_outside_a_workspace_refuses_and_writes_nothing(elsewhere, args):
    result = run(*args)

    assert result.exit_code == 2, result.output
    assert result.stderr.strip() == MESSAGE
    assert sorted(p.name for p in elsewhere.rglob("*")) == ["vastaus.xlsx"]


@pytest.mark.parametrize("args", [
    ("register", "list", "--format", "csv"), ("register", "resolve", "Espoo"),
    ("ingest", "--help"), ("status", "--help"), ("--help",),
])
def test_help_and_the_register_work_outside_a_workspace_and_write_nothing(elsewhere, args):
    result = run(*args)

    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in elsewhere.rglob("*")) == ["vastaus.xlsx"]


@pytest.mark.parametrize("group", ["register", "send", "survey"])
def test_a_group_without_its_command_shows_its_help_outside_a_workspace(elsewhere, group):
    result = run(group)

    assert "Usage: yhteistuumin " + group in result.output
    assert "no yhteistuumin.toml" not in result.output
    assert sorted(p.name for p in elsewhere.rglob("*")) == ["vastaus.xlsx"]


def test_a_workspace_above_the_current_folder_is_found(tmp_path, monkeypatch):
    from yhteistuumin_survey.workspace import init_workspace

    root = init_workspace(tmp_path / "kysely").root
    (root / "outputs" / "alikansio").mkdir()
    monkeypatch.chdir(root / "outputs" / "alikansio")

    result = run("practices", "list", "--format", "json")

    assert result.exit_code == 0, result.output
    assert (root / "outputs" / "yhteistuumin.sqlite").exists()


def test_init_makes_a_workspace_outside_one(elsewhere):
    result = run("init", "uusi")

    assert result.exit_code == 0, result.output
    assert (elsewhere / "uusi" / "yhteistuumin.toml").is_file()


def test_init_makes_the_workspace_that_workspace_names(elsewhere):
    result = run("--workspace", "kysely", "init")

    assert result.exit_code == 0, result.output
    assert (elsewhere / "kysely" / "yhteistuumin.toml").is_file()
    assert not (elsewhere / "yhteistuumin.toml").exists()  # not the current folder
    # the folder named after init wins over --workspace's
    named = run("--workspace", "kysely", "init", "toinen")
    assert named.exit_code == 0, named.output
    assert (elsewhere / "toinen" / "yhteistuumin.toml").is_file()
    # and the other commands then find the same workspace
    listed = run("--workspace", "kysely", "practices", "list", "--format", "json")
    assert listed.exit_code == 0, listed.output
    assert (elsewhere / "kysely" / "outputs" / "yhteistuumin.sqlite").exists()
