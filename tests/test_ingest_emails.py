"""Emails read as a person reads them: HTML bodies, quoted history, typed answers, to-read.

Every message here is a real ``.eml`` file written by the standard library's ``email``
package (as a mail client saves it), ingested through the CLI into the workspace's database;
the practices list, the to-read list and the review workbook are read back.
"""

from __future__ import annotations

import json
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

import openpyxl
import pytest

from yhteistuumin_survey.ingest.emails import html_to_text, reply_text

HTML_ONLY = """<html><head><title>Vastaus: Kulttuuria yhteistuumin</title>
<style>p { margin: 0 } .x { color: red }</style><script>var a = "Tavoite: ei";</script>
</head><body><div>Vastaus kyselyyn</div><h2>Hyvä käytäntö</h2>
<p>Käytännön nimi: Runoilta&nbsp;kirjastossa</p>
<p>Kunta: Lohja</p>
<p>Tavoite: Tuoda runot &amp; musiikki<br>kaikkien ulottuville.</p>
<table><tr><td>Kenelle:</td><td>nuoret</td></tr>
<tr><td>Yhteyshenkilö:</td><td>Anna Aalto</td></tr></table>
<div>Terveisin<br>Anna</div>
<blockquote type="cite">Käytännön nimi: kyselyn malli</blockquote></body></html>"""

OUTLOOK_FI = """Hei,

tässä meidän käytäntömme:

Käytännön nimi: Taidetta terveysasemille
Tavoite: Tuoda taidetta arkeen.
Kenelle: potilaat

Ystävällisin terveisin
Liisa Laine
kulttuurisihteeri

Lähettäjä: Kulttuuria yhteistuumin <kysely@yhteistuumin.example.fi>
Lähetetty: maanantai 4. maaliskuuta 2024 10.00
Vastaanottaja: Liisa Laine <liisa.laine@vantaa.fi>
Aihe: Kulttuuria yhteistuumin -kysely

Hyvä vastaanottaja,
Käytännön nimi: (kirjoita tähän)
Tavoite: (kirjoita tähän)
"""

OUTLOOK_SV = """Hej,

vi har tyvärr ingen praxis att rapportera i år, men vi återkommer.

Med vänliga hälsningar
Karin

Från: Kulttuuria yhteistuumin <kysely@yhteistuumin.example.fi>
Skickat: den 4 mars 2024 10:00
Till: Karin <karin@korsholm.fi>
Ämne: Kulttuuria yhteistuumin -enkät

Praktikens namn: (skriv här)
Mål: (skriv här)
"""

FORWARD = """Välitän alla olevan vastauksen kirjaamosta.

---------- Forwarded message ---------
From: Matti Mäkelä <matti.makela@kuopio.fi>
Date: ti 5.3.2024 klo 9.12
Subject: Vastaus kyselyyn
To: <kirjaamo@kuopio.fi>

Käytännön nimi: Kirjastokaveri
Tavoite: Lukemisen ilo ikäihmisille.
Kenelle: ikäihmiset

ma 4.3.2024 klo 10.00 Kulttuuria yhteistuumin (kysely@yhteistuumin.example.fi) kirjoitti:
> Käytännön nimi: (kirjoita tähän)
"""


def write_eml(folder: Path, name: str, *, sender: str, subject: str, text: str | None = None,
              html: str | None = None) -> Path:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "kysely@yhteistuumin.example.fi"
    message["Subject"] = subject
    message["Date"] = format_datetime(__import__("datetime").datetime(
        2024, 3, 8, 13, 5, tzinfo=__import__("datetime").UTC))
    if text is not None:
        message.set_content(text)
    if html is not None:
        if text is None:
            message.set_content(html, subtype="html")
        else:
            message.add_alternative(html, subtype="html")
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_bytes(bytes(message))
    return path


# --- reading ------------------------------------------------------------------------------------


def test_an_html_only_body_keeps_its_lines_and_drops_head_style_and_script() -> None:
    text = html_to_text(HTML_ONLY)
    lines = text.splitlines()
    assert "Käytännön nimi: Runoilta kirjastossa" in lines
    assert "Kenelle: nuoret" in lines and "Yhteyshenkilö: Anna Aalto" in lines
    assert lines[:2] == ["Vastaus kyselyyn", "Hyvä käytäntö"]
    assert "Tavoite: Tuoda runot & musiikki" in lines  # entity decoded, <br> ends the line
    assert "Vastaus: Kulttuuria" not in text and "color" not in text and "var a" not in text
    assert lines[-1] == "> Käytännön nimi: kyselyn malli"  # a blockquote is quoted history


@pytest.mark.parametrize(("body", "subject", "kept", "cut"), [
    (OUTLOOK_FI, "VS: Kulttuuria yhteistuumin -kysely", "kulttuurisihteeri", "Lähettäjä:"),
    (OUTLOOK_SV, "SV: Kulttuuria yhteistuumin -enkät", "Karin", "Praktikens namn"),
    ("Tässä.\n\n-----Original Message-----\nFrom: x\nKäytännön nimi: malli", "RE: x", "Tässä.",
     "malli"),
    ("Tässä.\n\n----- Alkuperäinen viesti -----\nKäytännön nimi: malli", "VS: x", "Tässä.",
     "malli"),
    ("Här.\n\n-----Ursprungligt meddelande-----\nMål: malli", "SV: x", "Här.", "malli"),
    ("Here.\n\nOn Mon, 4 Mar 2024 at 10:00, Kysely <kysely@\nexample.fi> wrote:\n> malli", "Re: x",
     "Here.", "malli"),
    ("Tässä.\n\nma 4.3.2024 klo 10.00 Kysely (kysely@example.fi) kirjoitti:\nmalli", "Re: x",
     "Tässä.", "malli"),
    ("Här.\n\nDen 4 mars 2024 kl. 10:00 skrev Kysely <kysely@example.fi>:\nmalli", "Sv: x",
     "Här.", "malli"),
    ("Vastaus.\n> Käytännön nimi: malli", "Re: x", "Vastaus.", "malli"),
])
def test_the_quoted_history_below_a_reply_is_cut(body: str, subject: str, kept: str,
                                                  cut: str) -> None:
    text = reply_text(body, subject)
    assert kept in text
    assert cut not in text


def test_a_forward_keeps_the_forwarded_text_and_cuts_its_own_history() -> None:
    text = reply_text(FORWARD, "Fwd: Vastaus kyselyyn")
    assert "Käytännön nimi: Kirjastokaveri" in text.splitlines()
    assert "From:" not in text and "(kirjoita tähän)" not in text
    outlook = ("Välitän.\n\nLähettäjä: Matti <matti@kuopio.fi>\nLähetetty: 5.3.2024\n"
               "Aihe: Vastaus\n\nKäytännön nimi: Kirjastokaveri\n\n-----Alkuperäinen viesti-----\n"
               "Käytännön nimi: (kirjoita tähän)")
    forwarded = reply_text(outlook, "VL: Vastaus")
    assert "Käytännön nimi: Kirjastokaveri" in forwarded and "kirjoita" not in forwarded


# --- ingesting ----------------------------------------------------------------------------------


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    folder = tmp_path / "inbox"
    write_eml(folder, "html-only.eml", sender="Anna Aalto <anna.aalto@lohja.fi>",
              subject="Vastaus", html=HTML_ONLY)
    write_eml(folder, "outlook-fi.eml", sender="Liisa Laine <liisa.laine@vantaa.fi>",
              subject="VS: Kulttuuria yhteistuumin -kysely", text=OUTLOOK_FI)
    write_eml(folder, "outlook-sv.eml", sender="Karin <karin@korsholm.fi>",
              subject="SV: Kulttuuria yhteistuumin -enkät", text=OUTLOOK_SV)
    write_eml(folder, "forward.eml", sender="Kirjaamo <kirjaamo@kuopio.fi>",
              subject="Fwd: Vastaus kyselyyn", text=FORWARD)
    write_eml(folder, "plain.eml", sender="Pekka <pekka@oulu.fi>", subject="Vastaus",
              text="Hei!\n\nKäytännön nimi: Tanssii nuorten kanssa\nKunta: Oulu\n"
                   "Tavoite: Liikettä ja iloa nuorille.\n\nTerveisin Pekka\n")
    return folder


def test_typed_answers_become_flagged_practices_and_the_rest_is_to_read(cli, inbox) -> None:
    result = cli("ingest", str(inbox), "--format", "json")
    assert result.exit_code == 0, result.output
    outcomes = {Path(item["file"]).name: item["outcome"]
                for item in json.loads(result.stdout)["items"]}
    assert outcomes == {"forward.eml": "new", "html-only.eml": "new", "outlook-fi.eml": "new",
                        "outlook-sv.eml": "to-read", "plain.eml": "new"}
    listed = json.loads(cli("practices", "list", "--format", "json").stdout)
    by_title = {p["title"]: p for p in listed}
    assert set(by_title) == {"Runoilta kirjastossa", "Taidetta terveysasemille", "Kirjastokaveri",
                             "Tanssii nuorten kanssa"}
    assert all("from-email-text" in p["flags"] for p in listed)
    assert all(p["source"]["locator"] == "body" for p in listed)
    html = by_title["Runoilta kirjastossa"]
    assert html["municipalities"] == ["444"]  # "Kunta: Lohja" on its own line
    assert html["goal"] == "Tuoda runot & musiikki\nkaikkien ulottuville."
    assert html["target_group"] and "kyselyn malli" not in json.dumps(html, ensure_ascii=False)
    outlook = by_title["Taidetta terveysasemille"]
    assert outlook["municipalities"] == ["092"]  # the sender's domain
    assert "(kirjoita tähän)" not in json.dumps(outlook, ensure_ascii=False)
    assert by_title["Kirjastokaveri"]["municipalities"] == ["297"]
    assert by_title["Tanssii nuorten kanssa"]["municipalities"] == ["564"]
    table = cli("practices", "list")
    assert table.exit_code == 0 and "from-email-text" in table.stdout


def test_a_message_without_an_answer_is_listed_to_read_never_parked(cli, inbox) -> None:
    cli("ingest", str(inbox))
    result = cli("practices", "list", "--status", "to-read", "--format", "json")
    assert result.exit_code == 0, result.output
    messages = json.loads(result.stdout)
    assert [(m["file"], m["sender"], m["subject"]) for m in messages] == [
        ("outlook-sv.eml", "karin@korsholm.fi", "SV: Kulttuuria yhteistuumin -enkät")]
    assert messages[0]["text"].startswith("Hej, vi har tyvärr ingen praxis")
    table = cli("practices", "list", "--status", "to-read")
    assert table.stdout.splitlines()[-1] == "1 message to read"
    summary = cli("ingest", str(inbox))
    assert summary.stdout.splitlines()[0] == "5 files: 5 files already ingested"


def test_the_review_workbook_shows_the_email_text_flag(cli, inbox, tmp_path) -> None:
    cli("ingest", str(inbox))
    out = tmp_path / "review.xlsx"
    result = cli("review", "export", "--out", str(out))
    assert result.exit_code == 0, result.output
    sheet = openpyxl.load_workbook(out).worksheets[0]
    headers = {cell.value: cell.column for cell in sheet[1]}
    flags = [sheet.cell(row=r, column=headers["Huomiot"]).value or ""
             for r in range(2, sheet.max_row + 1)
             if sheet.cell(row=r, column=headers["ID"]).value is not None]
    assert len(flags) == 4
    assert all("Vastaus luettiin sähköpostiviestin tekstistä. Tarkista" in f for f in flags)
