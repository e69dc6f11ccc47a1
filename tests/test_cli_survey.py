"""``yhteistuumin survey build``: exact summary, --only, unknown codes, --format json."""

from __future__ import annotations

import json

import openpyxl

from yhteistuumin_survey.questionnaire import QUESTIONNAIRE_META_SHEET


def _token(path) -> str:
    return str(openpyxl.load_workbook(path)[QUESTIONNAIRE_META_SHEET]["B5"].value)


def test_build_only_prints_the_exact_summary(cli, workspace) -> None:
    result = cli("survey", "build", "--only", "091", "--only", "599", "--only", "698")
    assert result.exit_code == 0, result.output
    folder = workspace.root / "outputs" / "questionnaires" / "yhteistuumin-2026"
    assert result.stdout == (
        "Built 3 questionnaires: 1 in Finnish, 1 in Swedish, 1 in both.\n"
        f"Folder: {folder}\n")
    assert result.stderr == ""
    assert sorted(p.name for p in folder.glob("*.xlsx")) == [
        "091-helsinki.xlsx", "599-pedersore.xlsx", "698-rovaniemi.xlsx"]


def test_rebuild_keeps_the_tokens(cli, workspace) -> None:
    assert cli("survey", "build", "--only", "91").exit_code == 0  # short codes are padded
    path = workspace.root / "outputs" / "questionnaires" / "yhteistuumin-2026" / "091-helsinki.xlsx"
    token = _token(path)
    result = cli("survey", "build", "--only", "091")
    assert result.stdout.startswith("Built 1 questionnaire: 0 in Finnish, 0 in Swedish, 1 in both.\n")
    assert _token(path) == token


def test_unknown_code_is_an_error_naming_it(cli, workspace) -> None:
    result = cli("survey", "build", "--only", "091", "--only", "999")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == ("Error: unknown municipality code 999; see 'yhteistuumin register "
                             "list' for the codes in force\n")
    assert not (workspace.root / "outputs" / "questionnaires" / "yhteistuumin-2026"
                / "091-helsinki.xlsx").exists()


def test_build_all_as_json(cli, workspace) -> None:
    result = cli("survey", "build", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["built"] == 308
    assert data["languages"] == {"fi": 259, "sv": 31, "fi-sv": 18}
    assert data["failed"] == 0
    assert data["round"] == "yhteistuumin-2026"
    assert len(data["questionnaires"]) == 308
    assert data["questionnaires"][0] == {
        "code": "005", "name": "Alajärvi", "language": "fi",
        "path": str(workspace.root / "outputs" / "questionnaires" / "yhteistuumin-2026"
                    / "005-alajarvi.xlsx")}
    tokens = {_token(q["path"]) for q in data["questionnaires"][:20]}
    assert len(tokens) == 20


def test_build_has_help_with_an_example(cli) -> None:
    result = cli("survey", "build", "--help")
    assert result.exit_code == 0
    assert "Write the questionnaire workbook of every municipality" in result.stdout
    assert "Example: yhteistuumin survey build --only 091" in result.stdout
