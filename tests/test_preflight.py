"""``send check`` and the pre-flight check every real send runs first."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil

import pytest
from send_support import mail_server, round_env
from test_cli_send import smtp_env

from yhteistuumin_survey.preflight import is_example_domain
from yhteistuumin_survey.resources import bundled_path


@pytest.fixture
def loaded(cli):
    """The workspace with the bundled example contacts (all on example domains)."""
    result = cli("register", "contacts", str(bundled_path("recipients/contacts.example.csv")))
    assert result.exit_code == 0, result.output
    return cli


@pytest.mark.parametrize(("address", "example"), [
    ("kysely@yhteistuumin.example.fi", True), ("a@example.com", True), ("a@example.org", True),
    ("a@kunta.invalid", True), ("a@kunta.test", True), ("a@x.example", True),
    ("kysely@yhteistuumin.fi", False), ("a@examples.fi", False), ("a@myexample.fi", False),
    ("a@espoo.fi", False),
])
def test_example_domains_are_recognised(address, example):
    assert is_example_domain(address) is example


def test_check_with_the_shipped_settings_lists_every_reason(loaded, workspace):
    (workspace.root / "yhteistuumin.toml").write_text(
        '[round]\nform_url = "https://lomake.example.fi/kysely"\ndeadline = 2020-01-31\n'
        '[smtp]\nhost = ""\nuser = "ei-salasanaa"\n', encoding="utf-8")

    result = loaded("send", "check", env={"YHTEISTUUMIN_SMTP_PASSWORD": ""})

    assert result.exit_code == 1, result.output
    out = result.stdout
    assert "Refused: 6 problems to fix before sending:" in out
    assert "[round] sender is still the shipped example (kysely@yhteistuumin.example.fi)" in out
    assert "[round] reply_to is still the shipped example" in out
    assert "[round] form_url https://lomake.example.fi/kysely has no {token}" in out
    assert "[round] deadline 2020-01-31 is already past" in out
    assert "[smtp] host is not set" in out
    assert "[smtp] user ei-salasanaa has no password" in out
    assert re.search(r"Warning: \d+ contacts on domains reserved for examples", out)


def test_a_sender_on_an_example_domain_is_refused_too(loaded):
    result = loaded("send", "check", "--format", "json",
                    env={**round_env(), "YHTEISTUUMIN_ROUND_SENDER": "kysely@kunta.test"})

    data = json.loads(result.stdout)
    assert result.exit_code == 1 and data["ok"] is False
    assert data["problems"] == ["[round] sender kysely@kunta.test is on a domain reserved for "
                                "examples; mail from it is not delivered"]


def test_a_template_that_fails_for_a_municipality_is_named(loaded, workspace):
    templates = workspace.root / "templates" / "email"
    templates.mkdir(parents=True, exist_ok=True)
    shutil.copy(bundled_path("templates/email/invitation.sv.txt.j2"), templates)
    (templates / "invitation.sv.txt.j2").write_text("Hej {{ kontakt_namn }}!\n", encoding="utf-8")

    result = loaded("send", "check", "--only", "478,091", env=round_env())

    assert result.exit_code == 1, result.output
    assert "template invite:" in result.stdout and "kontakt_namn" in result.stdout
    assert "(municipality 478)" in result.stdout


def test_a_clean_round_is_ready_and_shows_what_the_batch_is(loaded):
    env = {**round_env(), "YHTEISTUUMIN_SMTP_RATE": "30/min",
           "YHTEISTUUMIN_SMTP_HOST": "smtp.kunta.fi"}

    result = loaded("send", "check", env=env)

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert "From:      kysely@yhteistuumin.fi" in lines
    assert "Link:      https://www.yhteistuumin.fi/kysely?token=ESIMERKKI" in lines
    assert any(line.startswith("Messages:  ") and "smtp.kunta.fi:587" in line
               and "about" in line for line in lines)
    assert lines[-1] == "Ready to send."
    deadline = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    assert f"Deadline:  {deadline}" in lines


def test_a_real_send_with_the_shipped_sender_is_refused_before_connecting(loaded):
    with mail_server() as server:
        env = {k: v for k, v in smtp_env(server).items()
               if not k.startswith("YHTEISTUUMIN_ROUND")}
        result = loaded("send", "invite", "--yes", "--only", "599", env=env)

    assert result.exit_code == 1
    assert "[round] sender is still the shipped example" in result.stderr
    assert result.stderr.splitlines()[-1].startswith("Error: nothing sent: fix the problems above")
    assert server.messages == [] and server.connections == 0


def test_nothing_listening_is_reported_with_host_and_port_within_15_s(loaded):
    import time

    from conftest import free_port

    port = free_port()  # nothing listens there
    env = {**round_env(), "YHTEISTUUMIN_SMTP_HOST": "127.0.0.1",
           "YHTEISTUUMIN_SMTP_PORT": str(port), "YHTEISTUUMIN_SMTP_SECURITY": "none"}
    started = time.monotonic()

    result = loaded("send", "invite", "--yes", "--only", "599", env=env)

    elapsed = time.monotonic() - started
    assert result.exit_code == 1
    assert elapsed < 15
    lines = result.stderr.splitlines()
    assert f"127.0.0.1:{port}: connecting" in lines
    assert f"127.0.0.1:{port}: connection refused; retry 2/5 in 2 s" in lines
    assert f"127.0.0.1:{port}: connection refused; retry 3/5 in 4 s" in lines
    assert f"127.0.0.1:{port}: connection refused; giving up after 3 attempts" in lines
    assert f"Stopped early: 127.0.0.1:{port}: connection refused" in result.stdout


def test_municipalities_with_no_address_are_a_warning_not_ready_in_silence(cli, tmp_path):
    # A coordinator's first real list covers three municipalities: 'send check' said
    # "Ready to send." and nothing of the 305 others, which would get no survey at all.
    path = tmp_path / "yhteystiedot.csv"
    path.write_text("Kunta;Sähköposti\nEspoo;kirjaamo@espoo.fi\nBorgå;kultur@porvoo.fi\n"
                    "508;kulttuuri@mantta-vilppula.fi\n", encoding="utf-8")
    assert cli("register", "contacts", str(path)).exit_code == 0
    env = {**round_env(), "YHTEISTUUMIN_SMTP_HOST": "smtp.kunta.fi"}

    result = cli("send", "check", env=env)

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-2:] == [
        "Warning: 305 municipalities have no valid contact address and get nothing (Alajärvi, "
        "Alavieska, Alavus …); import their addresses ('yhteistuumin register check' lists "
        "them)",
        "Ready to send."]
    only = cli("send", "check", "--only", "049", "--format", "json", env=env)
    assert json.loads(only.stdout)["warnings"] == []  # --only: the others are not this batch
