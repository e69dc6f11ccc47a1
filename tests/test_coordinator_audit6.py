"""The coordinator's round, sixth pass: never mail a municipality twice, never lose one.

Retired contacts (``register contacts`` of a newer list, ``register retire``), a message read
with nothing to record (``register read``), built questionnaires that carry an old reply
address, and the contact notes in ``send check``. Sending goes to a real SMTP server
(aiosmtpd on 127.0.0.1).
"""

from __future__ import annotations

import json
from typing import Any

import mailbox_samples as samples
from send_support import mail_server
from test_coordinator_audit4 import age_outbox, follow_up_rows, invited_round, smtp_env
from test_coordinator_audit5 import _reply

TWO = """kunta;kuntanumero;nimi;rooli;sähköposti
Rovaniemi;698;;;kulttuuri@rovaniemi.example.fi
Turku;853;;;kirjaamo@turku.example.fi
"""


def check(cli: Any, *args: str, env: dict[str, str]) -> tuple[int, str]:
    result = cli("send", "check", *args, env=env)
    return result.exit_code, result.stdout


# --- 4. send check lists the contact notes ------------------------------------------------------


def test_send_check_lists_the_notes_on_the_contacts_it_would_write_to(cli, workspace) -> None:
    """Rovaniemi's contact answered "en työskentele enää …": ``send check`` before the reminder
    says the note (it only appeared after the send before); Turku's says nothing."""
    with mail_server() as server:
        invited_round(cli, workspace, server, TWO, ["--only", "698,853"])
        path = workspace.root / "left.eml"
        path.write_bytes(samples.left_fi())
        assert cli("bounces", str(path)).exit_code == 0
        env = smtp_env(server)
        code, out = check(cli, "--kind", "remind", "--only", "698,853", env=env)
        assert code == 0, out
        assert ("Note: 698 Rovaniemi: contact kulttuuri@rovaniemi.example.fi has a note (the "
                "person has left, it names kulttuuripalvelut@rovaniemi.example.fi); the message "
                "goes to it all the same. Look at it on the follow-up list (yhteistuumin status "
                "--by municipality); if the contact stays as it is: yhteistuumin register "
                "checked 698 --reason '...'") in out.splitlines()
        assert "853 Turku" not in out and out.rstrip().endswith("Ready to send.")
        data = json.loads(cli("send", "check", "--kind", "remind", "--only", "698,853",
                              "--format", "json", env=env).stdout)
        assert data["contact_notes"] == [
            {"municipality": "698", "address": "kulttuuri@rovaniemi.example.fi",
             "note": "left", "named": ["kulttuuripalvelut@rovaniemi.example.fi"]}]
        assert cli("register", "checked", "698", "--reason", "soitettu: osoite luetaan"
                   ).exit_code == 0
        code, out = check(cli, "--kind", "remind", "--only", "698", env=env)
        assert "has a note" not in out


# --- 3. a questionnaire built before the reply address changed ----------------------------------


def _instructions(message: Any) -> str:
    import html
    import io
    import zipfile

    for part in message.iter_attachments():
        if str(part.get_filename() or "").endswith(".xlsx"):
            with zipfile.ZipFile(io.BytesIO(part.get_payload(decode=True))) as book:
                return html.unescape(book.read("xl/worksheets/sheet1.xml").decode("utf-8"))
    raise AssertionError("no questionnaire attached")


def test_a_questionnaire_built_with_an_old_reply_address_is_named_and_built_again(
        cli, workspace) -> None:
    """Built while the reply address was the old one: ``send check`` says which
    questionnaires give it and what happens; the invitation then carries one that gives the
    new address (before, it went out telling Rovaniemi to return it to the old one)."""
    old, new = "vanha.koordinaattori@yhteistuumin.fi", "koordinaattori@yhteistuumin.fi"
    path = workspace.root / "yhteystiedot.csv"
    path.write_text(TWO, encoding="utf-8")
    assert cli("register", "contacts", str(path)).exit_code == 0
    with mail_server() as server:
        built = cli("survey", "build", "--only", "698", "--only", "853",
                    env=smtp_env(server, YHTEISTUUMIN_ROUND_REPLY_TO=old))
        assert built.exit_code == 0, built.output
        env = smtp_env(server)
        assert env["YHTEISTUUMIN_ROUND_REPLY_TO"] == new
        code, out = check(cli, "--only", "698,853", env=env)
        assert code == 0, out
        assert (f"Warning: 2 built questionnaires (698, 853) give the reply address ([round] "
                f"reply_to) as it was when built: {old} (the settings now say {new}); the send "
                "builds them again with the settings of now; to look at them first: "
                "yhteistuumin survey build") in out.splitlines()
        sent = cli("send", "invite", "--only", "698,853", "--yes", env=env)
        assert sent.exit_code == 0, sent.output
        assert len(server.messages) == 2
        for message in server.messages:
            text = _instructions(message)
            assert new in text and old not in text
        code, out = check(cli, "--only", "698,853", env=env)
        assert "built questionnaire" not in out


# --- 2. a message read, nothing to record -------------------------------------------------------


def test_a_message_read_with_nothing_to_record_lets_the_reminder_go_again(
        cli, workspace, dovecot) -> None:
    """Rovaniemi writes "kuka meillä vastaa?": not an answer nor a decline. Before, its
    reminders stayed held until a decline was recorded (false) or it was reminded with
    --only; now ``register read`` records it read and the next ``send remind`` of everyone
    reminds it. A newer message holds the reminders again."""
    from test_fetch import run_json

    with mail_server() as server:
        invited_round(cli, workspace, server, TWO, ["--only", "698,853"])
        dovecot.append(_reply("Pekka Pekkarinen <kulttuuri@rovaniemi.example.fi>", "Kysely",
                              "Hei,\r\n\nkuka meillä tähän vastaa?\r\n\r\nPekka\r\n", 1))
        code, report = run_json(cli, env=dovecot.env("starttls"))
        assert code == 0 and [i["status"] for i in report["items"]] == ["to-read"], report
        assert follow_up_rows(cli)["698"]["next_action"] == "read-reply"
        refused = cli("register", "read", "853")
        assert refused.exit_code == 1
        assert "Turku (853): no message from it holds its reminders" in refused.stderr
        read = cli("register", "read", "Rovaniemi", "--reason", "kysyi, kuka vastaa")
        assert read.exit_code == 0, read.output
        assert read.stdout.startswith("Rovaniemi (698): its message of ")
        assert "recorded as read (kysyi, kuka vastaa)" in read.stdout
        assert follow_up_rows(cli)["698"]["next_action"] == "remind"
        server.recipients.clear()
        sent = cli("send", "remind", "--only", "698,853", "--yes", env=smtp_env(server))
        assert sent.exit_code == 0, sent.output
        assert sorted(server.recipients) == ["kirjaamo@turku.example.fi",
                                             "kulttuuri@rovaniemi.example.fi"]
        # It writes again after the reminder: held again until read.
        dovecot.append(_reply("Pekka Pekkarinen <kulttuuri@rovaniemi.example.fi>", "Kysely",
                              "Hei,\r\n\nvastaamme ensi viikolla.\r\n", 2))
        code, report = run_json(cli, env=dovecot.env("starttls"))
        assert code == 0, report
        assert follow_up_rows(cli)["698"]["next_action"] == "read-reply"
        age_outbox(workspace, 10)
        server.recipients.clear()
        again = cli("send", "remind", "--only", "698,853", "--yes", env=smtp_env(server))
        assert server.recipients == ["kirjaamo@turku.example.fi"], again.output


# --- 1. retired contacts --------------------------------------------------------------------------

OLD_LIST = """kunta;kuntanumero;nimi;rooli;sähköposti
Kuhmo;290;;;"kirjaamo@kuhmo.example.fi; maija.m@kuhmo.example.fi"
Turku;853;;;kirjaamo@turku.example.fi
Rovaniemi;698;;;kulttuuri@rovaniemi.example.fi
"""
#: The newer list: Maija has left Kuhmo; Rovaniemi is not in it (another sheet, say).
NEW_LIST = """kunta;kuntanumero;nimi;rooli;sähköposti
Kuhmo;290;;;kirjaamo@kuhmo.example.fi
Turku;853;;;kirjaamo@turku.example.fi
"""


def _import(cli: Any, workspace: Any, text: str, name: str, *args: str) -> Any:
    path = workspace.root / name
    path.write_text(text, encoding="utf-8")
    result = cli("register", "contacts", str(path), *args)
    assert result.exit_code == 0, result.output
    return result


def test_a_newer_contact_list_says_which_addresses_it_dropped_and_retires_them_on_request(
        cli, workspace) -> None:
    """Before, a newer list only added: Maija's address, gone from it, stayed in use and was
    mailed. Now the import names it (only for the list's municipalities: Rovaniemi, not in
    this list, is not touched), keeps it in use unless --retire-missing, and then never mails
    it; status, register check and send check show it retired."""
    _import(cli, workspace, OLD_LIST, "vanha.csv")
    listed = _import(cli, workspace, NEW_LIST, "uusi.csv")
    assert ("1 address of municipalities in this list no longer in it, still in use "
            "(invitations and reminders go to it): 290 Kuhmo: maija.m@kuhmo.example.fi. To "
            "stop mailing it: import the list again with --retire-missing, or yhteistuumin "
            "register retire ADDRESS.") in listed.stdout.splitlines()
    assert "rovaniemi" not in listed.stdout
    assert follow_up_rows(cli)["290"]["contacts"] == ["kirjaamo@kuhmo.example.fi",
                                                      "maija.m@kuhmo.example.fi"]
    retired = _import(cli, workspace, NEW_LIST, "uusi.csv", "--retire-missing")
    assert ("1 address of municipalities in this list no longer in it, retired (kept for the "
            "record, never mailed again): 290 Kuhmo: maija.m@kuhmo.example.fi."
            ) in retired.stdout.splitlines()
    assert "no working address" not in retired.stdout
    rows = follow_up_rows(cli)
    assert (rows["290"]["contacts"], rows["290"]["retired"]) == (
        ["kirjaamo@kuhmo.example.fi"], ["maija.m@kuhmo.example.fi"])
    assert rows["698"]["contacts"] == ["kulttuuri@rovaniemi.example.fi"]
    table = cli("status", "--by", "municipality")
    assert "maija.m@kuhmo.example.fi (poistettu käytöstä)" in table.stdout
    check_data = json.loads(cli("register", "check", "--format", "json").stdout)
    assert check_data["retired"] == [{"code": "290", "name": "Kuhmo",
                                      "email": "maija.m@kuhmo.example.fi"}]
    with mail_server() as server:
        env = smtp_env(server)
        code, out = check(cli, "--only", "290,853,698", env=env)
        assert code == 0, out
        assert ("Warning: 1 retired address left out (kept for the record, never mailed): "
                "290 Kuhmo: maija.m@kuhmo.example.fi") in out.splitlines()
        sent = cli("send", "invite", "--only", "290,853,698", "--yes", env=env)
        assert sent.exit_code == 0, sent.output
        assert sorted(server.recipients) == ["kirjaamo@kuhmo.example.fi",
                                             "kirjaamo@turku.example.fi",
                                             "kulttuuri@rovaniemi.example.fi"]


def test_retiring_the_last_address_of_a_municipality_says_so_and_a_newer_list_restores_it(
        cli, workspace) -> None:
    """Turku's only address retired by hand: kept, never mailed, and the command, send check
    and the follow-up list say Turku has no working address; a list naming it again puts it
    back in use."""
    _import(cli, workspace, NEW_LIST, "uusi.csv")
    retired = cli("register", "retire", "KIRJAAMO@turku.example.fi", "--reason",
                  "osoite poistuu käytöstä 1.1.")
    assert retired.exit_code == 0, retired.output
    assert retired.stdout.splitlines() == [
        "kirjaamo@turku.example.fi retired (osoite poistuu käytöstä 1.1.) as the contact of "
        "Turku (853): kept for the record, never mailed again. A contact list that names it "
        "again puts it back in use; to take it back now: yhteistuumin register retire "
        "kirjaamo@turku.example.fi --undo",
        "Warning: Turku (853) has no working address left: it gets no invitation nor "
        "reminder; add one (yhteistuumin register contacts FILE)"]
    again = cli("register", "retire", "kirjaamo@turku.example.fi")
    assert again.exit_code == 1
    assert again.stderr.strip() == ("Error: kirjaamo@turku.example.fi: already retired; "
                                    "nothing changed")
    unknown = cli("register", "retire", "ei.ole@turku.example.fi")
    assert unknown.exit_code == 1 and "no contact in use has this address" in unknown.stderr
    row = follow_up_rows(cli)["853"]
    assert (row["contacts"], row["retired"], row["next_action"]) == (
        [], ["kirjaamo@turku.example.fi"], "find-address")
    with mail_server() as server:
        env = smtp_env(server)
        code, out = check(cli, "--only", "853,290", env=env)
        assert ("Warning: Turku (853) has no working address left: it gets no invitation nor "
                "reminder; add one (yhteistuumin register contacts FILE)") in out.splitlines()
        sent = cli("send", "invite", "--only", "853,290", "--yes", env=env)
        assert sent.exit_code == 0, sent.output
        assert server.recipients == ["kirjaamo@kuhmo.example.fi"]
        # The send's own summary says why Turku got nothing: retired, not merely missing.
        shown = cli("send", "invite", "--only", "853", "--dry-run", "--format", "json", env=env)
        skipped = [m for m in json.loads(shown.stdout)["messages"] if m["status"] == "skipped"]
        assert [m["reason"] for m in skipped] == [
            "no valid contact address: its addresses are retired (register retire); add one "
            "(yhteistuumin register contacts FILE)"], shown.stdout
    back = _import(cli, workspace, NEW_LIST, "uusi.csv")
    assert "1 retired put back in use" in back.stdout
    assert follow_up_rows(cli)["853"]["contacts"] == ["kirjaamo@turku.example.fi"]


def test_an_address_retired_by_mistake_is_put_back_in_use_with_undo_and_mailed_again(
        cli, workspace) -> None:
    """Before, only a new contact list could put a retired address back. Now ``register
    retire ADDRESS --undo`` does: the address is in use again (mailed, shown as a contact),
    its retirement stays on record, taken back (``person`` shows it); undoing what is not
    retired says so and changes nothing. Another Turku address that contains this one is
    another person's and stays as it is."""
    _import(cli, workspace, NEW_LIST + "Turku;853;;;ala.kirjaamo@turku.example.fi\n",
            "uusi.csv")
    for address in ("kirjaamo@turku.example.fi", "ala.kirjaamo@turku.example.fi"):
        assert cli("register", "retire", address, "--reason", "vahinko").exit_code == 0
    back = cli("register", "retire", "Kirjaamo@Turku.example.fi", "--undo")
    assert back.exit_code == 0, back.output
    assert back.stdout.splitlines() == [
        "kirjaamo@turku.example.fi is in use again as the contact of Turku (853): invitations "
        "and reminders go to it from the next send (its retirement stays on record, taken "
        "back)."]
    row = follow_up_rows(cli)["853"]
    assert (row["contacts"], row["retired"]) == (["kirjaamo@turku.example.fi"],
                                                 ["ala.kirjaamo@turku.example.fi"])
    again = cli("register", "retire", "kirjaamo@turku.example.fi", "--undo")
    assert again.exit_code == 1 and again.stderr.strip() == (
        "Error: kirjaamo@turku.example.fi: not retired (it is valid); nothing changed")
    nobody = cli("register", "retire", "ei.ole@turku.example.fi", "--undo", "-m", "Turku")
    assert nobody.exit_code == 1 and nobody.stderr.strip() == (
        "Error: ei.ole@turku.example.fi: not retired of 853 (no contact has it); nothing "
        "changed")
    shown = cli("person", "kirjaamo@turku.example.fi", "--format", "json")
    assert shown.exit_code == 0, shown.output
    records = [r for r in json.loads(shown.stdout)["sections"]["records"]
               if r["kind"] == "retired"]
    assert [(r["reason"], r["taken_back"] is not None) for r in records] == [("vahinko", True)]
    with mail_server() as server:
        sent = cli("send", "invite", "--only", "853", "--yes", env=smtp_env(server))
        assert sent.exit_code == 0, sent.output
        assert server.recipients == ["kirjaamo@turku.example.fi"]


def test_an_address_on_a_row_with_problems_is_not_retired_by_a_guess(cli, workspace) -> None:
    """Kuhmo's newer list has Maija's address mistyped: the row is a problem, and what the list
    seems to drop of Kuhmo may be that row's, so --retire-missing keeps it in use and says
    why; Turku's dropped address, on no problem row, is retired."""
    _import(cli, workspace, OLD_LIST + "Turku;853;;;vanha@turku.example.fi\n", "vanha.csv")
    path = workspace.root / "uusi.csv"
    path.write_text(NEW_LIST + "Kuhmo;290;;;maija.m@kuhmo\n", encoding="utf-8")
    result = cli("register", "contacts", str(path), "--retire-missing")
    assert result.exit_code == 1  # a row with problems
    lines = result.stdout.splitlines()
    assert ("1 address no longer in the list kept in use all the same, as its municipality has "
            "a row with problems above: 290 Kuhmo: maija.m@kuhmo.example.fi. Fix the row and "
            "import the list again.") in lines
    assert ("1 address of municipalities in this list no longer in it, retired (kept for the "
            "record, never mailed again): 853 Turku: vanha@turku.example.fi.") in lines
    rows = follow_up_rows(cli)
    assert rows["290"]["contacts"] == ["kirjaamo@kuhmo.example.fi", "maija.m@kuhmo.example.fi"]
    assert rows["853"]["retired"] == ["vanha@turku.example.fi"]


def test_a_swedish_questionnaire_tells_its_old_deadline_and_coordinator(cli, workspace) -> None:
    """Mariehamn's questionnaire is Swedish only ("Svarstiden går ut", "Frågor?"): the
    deadline and the coordinator it was built with are read from it as well."""
    from send_support import round_env

    from yhteistuumin_survey.config import load_settings
    from yhteistuumin_survey.questionnaire import outdated_settings, questionnaire_path

    env = {**round_env(), "YHTEISTUUMIN_ROUND_DEADLINE": "2027-02-26"}
    built = cli("survey", "build", "--only", "478", env=env)
    assert built.exit_code == 0, built.output
    path = questionnaire_path(workspace, round_name=load_settings(workspace.root).round_name,
                              code="478")
    same = load_settings(workspace.root, env=env)
    assert outdated_settings(path, same) == []
    moved = load_settings(workspace.root, env={
        **env, "YHTEISTUUMIN_ROUND_DEADLINE": "2027-03-12",
        "YHTEISTUUMIN_ROUND_COORDINATOR": "Kulturkoordinator Anna Ek"})
    assert outdated_settings(path, moved) == [
        ("deadline", "26.2.2027", "12.3.2027"),
        ("coordinator", str(same.get("round.coordinator")), "Kulturkoordinator Anna Ek")]
