"""Settings: defaults < yhteistuumin.toml < environment < options; every bad key reported at once."""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from pathlib import Path

import pytest

from yhteistuumin_survey.config import KEYS, config_template, load_settings, parse_rate
from yhteistuumin_survey.errors import ConfigError


def write(root: Path, text: str) -> Path:
    path = root / "yhteistuumin.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_without_a_file(tmp_path: Path) -> None:
    settings = load_settings(tmp_path)
    assert settings.get("smtp.port") == 587
    assert settings.get("round.deadline") == dt.date(2027, 1, 31)
    assert settings.database_url == f"sqlite:///{tmp_path / 'outputs' / 'yhteistuumin.sqlite'}"
    assert settings.sources["smtp.port"] == "default"
    assert settings.smtp_password is None


def test_file_then_environment_then_options(tmp_path: Path) -> None:
    path = write(tmp_path, '[smtp]\nhost = "mail.example.fi"\nport = 465\n'
                           '[round]\ndeadline = "31.12.2026"\n')
    settings = load_settings(tmp_path)
    assert (settings.get("smtp.host"), settings.get("smtp.port")) == ("mail.example.fi", 465)
    assert settings.get("round.deadline") == dt.date(2026, 12, 31)
    assert settings.sources["smtp.host"] == f"{path}:2: [smtp] host"
    env = {"YHTEISTUUMIN_SMTP_HOST": "relay.example.fi", "YHTEISTUUMIN_SMTP_PORT": "2525"}
    settings = load_settings(tmp_path, env=env)
    assert (settings.get("smtp.host"), settings.get("smtp.port")) == ("relay.example.fi", 2525)
    assert settings.sources["smtp.port"] == "YHTEISTUUMIN_SMTP_PORT"
    settings = load_settings(tmp_path, env=env, overrides={"smtp.port": 25, "smtp.host": None})
    assert (settings.get("smtp.host"), settings.get("smtp.port")) == ("relay.example.fi", 25)
    assert settings.sources["smtp.port"] == "option --port"


def test_database_url_from_yhteistuumin_db_beats_the_file_and_loses_to_the_option(
        tmp_path: Path) -> None:
    write(tmp_path, '[database]\nurl = "sqlite:///from-file.sqlite"\n')
    assert load_settings(tmp_path).database_url == "sqlite:///from-file.sqlite"
    env = {"YHTEISTUUMIN_DB": "postgresql+psycopg://survey@db/survey"}
    assert load_settings(tmp_path, env=env).database_url == "postgresql+psycopg://survey@db/survey"
    settings = load_settings(tmp_path, env=env, overrides={"database.url": "sqlite:///opt.sqlite"})
    assert settings.database_url == "sqlite:///opt.sqlite"


def test_every_invalid_key_is_reported_at_once_with_its_location(tmp_path: Path) -> None:
    path = write(tmp_path, '[smtp]\nport = 70000\ncolour = "blue"\n[round]\ndeadline = "someday"\n'
                           '[reminders]\nmax = -1\n[nonsense]\na = 1\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(tmp_path, env={"YHTEISTUUMIN_SMTP_RATE": "fast"})
    problems = caught.value.problems
    assert len(problems) == 6
    assert problems[0].startswith(f"{path}:3: [smtp] colour: unknown key; known: ")
    assert problems[1].startswith(f"{path}:8: [nonsense]: unknown section; known: ")
    assert problems[2:] == [
        f"{path}:5: [round] deadline: expected a date such as 2026-12-31 or 31.12.2026 "
        "(got 'someday')",
        f"{path}:2: [smtp] port: expected a port number 1-65535 (got 70000)",
        "YHTEISTUUMIN_SMTP_RATE: expected a rate such as 30/min, 2/s or 600/hour (got 'fast')",
        f"{path}:7: [reminders] max: expected zero or more (got -1)",
    ]


def test_a_misspelt_environment_variable_is_reported_not_ignored(tmp_path: Path) -> None:
    env = {"YHTEISTUUMIN_SMTP_HOTS": "mail.example.fi", "YHTEISTUUMIN_ROUND_DEADLNE": "2026-05-01",
           "YHTEISTUUMIN_SMTP_PASSWORD": "x", "YHTEISTUUMIN_DB": "sqlite:///x.sqlite",
           "YHTEISTUUMIN_WORKSPACE": "/tmp", "YHTEISTUUMIN_DATABASE_URL": "sqlite:///y.sqlite"}
    with pytest.raises(ConfigError) as caught:
        load_settings(tmp_path, env=env)
    problems = caught.value.problems
    assert [p.split(";")[0] for p in problems] == [
        "YHTEISTUUMIN_ROUND_DEADLNE: unknown setting", "YHTEISTUUMIN_SMTP_HOTS: unknown setting"]
    assert "YHTEISTUUMIN_SMTP_HOST," in problems[1]
    del env["YHTEISTUUMIN_SMTP_HOTS"], env["YHTEISTUUMIN_ROUND_DEADLNE"]
    assert load_settings(tmp_path, env=env).database_url == "sqlite:///x.sqlite"


def test_a_password_in_the_file_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, '[smtp]\npassword = "hunter2"\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(tmp_path)
    assert caught.value.problems == [
        f"{path}:2: [smtp] password: passwords are never read from a file; set "
        "YHTEISTUUMIN_SMTP_PASSWORD or use the system keyring"]
    assert "hunter2" not in str(caught.value)


def test_password_comes_from_the_environment_only(tmp_path: Path) -> None:
    settings = load_settings(tmp_path, env={"YHTEISTUUMIN_SMTP_PASSWORD": "s3cret"})
    assert settings.smtp_password == "s3cret"
    assert "s3cret" not in repr(settings)


def test_broken_toml_is_one_problem_naming_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, '[smtp]\nhost = "mail.example.fi\nport = 25\n')
    with pytest.raises(ConfigError, match=rf"^{path}:2: .*; fix the TOML syntax$"):
        load_settings(tmp_path)


def test_template_lists_every_key_commented_and_loads_as_the_defaults(tmp_path: Path) -> None:
    template = config_template()
    for key in KEYS:
        assert f"# {key.name} = " in template
        assert key.env in template
    assert tomllib.loads(template).keys() == {key.section for key in KEYS}
    write(tmp_path, template)
    settings = load_settings(tmp_path)
    assert all(source == "default" for source in settings.sources.values())


def test_uncommenting_a_template_line_gives_a_valid_setting(tmp_path: Path) -> None:
    lines = config_template().splitlines()
    uncommented = [line[2:] if line.startswith("# ") and " = " in line and not line.startswith("# #")
                   and "(" not in line.split(" = ")[0] else line for line in lines]
    path = write(tmp_path, "\n".join(uncommented) + "\n")
    settings = load_settings(tmp_path)
    defaults = load_settings(tmp_path / "elsewhere")
    assert settings.values == defaults.values
    assert all(re.match(rf"{re.escape(str(path))}:\d+: \[", source)
               for source in settings.sources.values())


@pytest.mark.parametrize(("text", "per_second"), [("30/min", 0.5), ("2/s", 2.0), ("600/hour", 1 / 6),
                                                  (60, 1.0)])
def test_parse_rate(text: object, per_second: float) -> None:
    assert parse_rate(text) == pytest.approx(per_second)


def test_config_errors_on_the_command_line_are_listed_one_per_line(cli, workspace) -> None:
    path = workspace.config_path
    path.write_text('[smtp]\nport = "x"\nhost = 5\n', encoding="utf-8")
    result = cli("register", "list")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == (
        "Error: the configuration has 2 problems:\n"
        f"  {path}:3: [smtp] host: expected text (got 5)\n"
        f"  {path}:2: [smtp] port: expected a whole number (got 'x')\n")


def test_environment_override_reaches_the_command(cli, workspace) -> None:
    workspace.config_path.write_text('[smtp]\nport = 70000\n', encoding="utf-8")
    assert cli("register", "list", "--format", "json").exit_code == 1
    result = cli("register", "list", "--format", "csv", env={"YHTEISTUUMIN_SMTP_PORT": "587"})
    assert result.exit_code == 0, result.output


def test_a_misspelt_key_or_section_says_the_nearest_known_one(tmp_path: Path) -> None:
    path = write(tmp_path, 'smtp_hots = "mail.kunta.fi"\n[smpt]\nport = 25\n[smtp]\nhots = "x"\n'
                           '[round]\nhost = "y"\ncolour = "blue"\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(tmp_path, env={"YHTEISTUUMIN_SMTP_HOTS": "mail.kunta.fi"})
    problems = caught.value.problems
    assert problems[0].startswith(f"{path}: [smtp_hots]: unknown section; "
                                  "did you mean host under [smtp]? known: ")
    assert problems[1].startswith(f"{path}:2: [smpt]: unknown section; did you mean [smtp]? "
                                  "known: ")
    assert problems[2].startswith(f"{path}:5: [smtp] hots: unknown key; "
                                  "did you mean [smtp] host? known: ")
    assert problems[3].startswith(f"{path}:7: [round] host: unknown key; "
                                  "did you mean [imap] host or [smtp] host? known: ")
    # Nothing near: no guess offered, only the list.
    assert problems[4].startswith(f"{path}:8: [round] colour: unknown key; known: ")
    assert any(p.startswith("YHTEISTUUMIN_SMTP_HOTS: unknown setting; did you mean "
                            "YHTEISTUUMIN_SMTP_HOST? known: ") for p in problems)
