"""The ``[imap]`` settings of ``fetch``: defaults, environment, no password in a file, ``init``."""

from __future__ import annotations

from pathlib import Path

import pytest

from yhteistuumin_survey.config import KEYS, config_template, load_settings
from yhteistuumin_survey.errors import ConfigError, MailboxError
from yhteistuumin_survey.fetch import ImapOptions, connect, imap_options

IMAP_KEYS = [key for key in KEYS if key.section == "imap"]


def test_imap_defaults_are_a_secure_unconfigured_mailbox(tmp_path: Path) -> None:
    options = imap_options(load_settings(tmp_path, env={}))
    assert (options.host, options.port, options.security, options.folder,
            options.processed_folder) == ("", 993, "ssl", "INBOX", "")
    assert options.password is None


def test_every_imap_key_is_overridden_by_its_environment_variable(tmp_path: Path) -> None:
    assert {key.name for key in IMAP_KEYS} == {
        "host", "port", "security", "user", "folder", "processed_folder", "ca_file",
        "oauth2_token_command", "timeout"}
    (tmp_path / "yhteistuumin.toml").write_text(
        '[imap]\nhost = "outlook.office365.com"\nport = 993\nfolder = "Saapuneet"\n',
        encoding="utf-8")
    env = {"YHTEISTUUMIN_IMAP_HOST": "imap.gmail.com", "YHTEISTUUMIN_IMAP_PORT": "143",
           "YHTEISTUUMIN_IMAP_SECURITY": "starttls", "YHTEISTUUMIN_IMAP_PASSWORD": "s3cret",
           "YHTEISTUUMIN_IMAP_PROCESSED_FOLDER": "Käsitellyt"}
    settings = load_settings(tmp_path, env=env)
    options = imap_options(settings)
    assert (options.host, options.port, options.security, options.folder,
            options.processed_folder) == ("imap.gmail.com", 143, "starttls", "Saapuneet",
                                          "Käsitellyt")
    assert options.password == "s3cret"
    assert "s3cret" not in repr(options) and "s3cret" not in repr(settings)
    assert settings.sources["imap.port"] == "YHTEISTUUMIN_IMAP_PORT"


def test_an_imap_password_in_the_file_is_refused_and_a_typo_in_the_environment_named(
        tmp_path: Path) -> None:
    path = tmp_path / "yhteistuumin.toml"
    path.write_text('[imap]\npassword = "salainen"\nsecurity = "tls"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_settings(tmp_path, env={"YHTEISTUUMIN_IMAP_HOTS": "x"})
    problems = caught.value.problems
    assert f"{path}:2: [imap] password: passwords are never read from a file; set " \
           "YHTEISTUUMIN_IMAP_PASSWORD or use the system keyring" in problems
    assert any(p.startswith("YHTEISTUUMIN_IMAP_HOTS: unknown setting") for p in problems)
    assert any("expected ssl, starttls or none" in p for p in problems)
    assert "salainen" not in str(caught.value)


def test_init_writes_the_imap_section_commented_with_microsoft_365_and_gmail(
        tmp_path: Path) -> None:
    from yhteistuumin_survey.workspace import init_workspace

    init_workspace(tmp_path / "ws")
    text = (tmp_path / "ws" / "yhteistuumin.toml").read_text(encoding="utf-8")
    assert text == config_template()
    section = text.split("[imap]\n", 1)[1].split("\n[", 1)[0]
    assert "outlook.office365.com, port 993, security ssl" in section
    assert "imap.gmail.com, port 993, security ssl" in section
    assert all(line.startswith("#") for line in section.splitlines() if line.strip())
    assert "# processed_folder = \"\"" in section


def test_fetch_without_host_or_password_says_what_to_set() -> None:
    with pytest.raises(MailboxError, match=r"^\[imap\] host is not set"):
        connect(ImapOptions(host=""))
    with pytest.raises(MailboxError, match=r"^imap\.example\.fi:993: \[imap\] user is not set"):
        connect(ImapOptions(host="imap.example.fi"))
    with pytest.raises(MailboxError, match=r"no password for kysely@example\.fi: set "
                                           r"YHTEISTUUMIN_IMAP_PASSWORD or store it"):
        connect(ImapOptions(host="imap.example.fi", user="kysely@example.fi"),
                password_lookup=lambda user: None)


def test_a_failing_token_command_is_named_as_the_imap_setting() -> None:
    with pytest.raises(MailboxError, match=r"^\[imap\] oauth2_token_command: no-such-program-x"):
        connect(ImapOptions(host="127.0.0.1", port=1, security="none", user="u",
                            oauth2_token_command="no-such-program-x"))
