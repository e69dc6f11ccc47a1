"""Survey emails: language per municipality, headers, parts, attachment, escaping, template errors."""

from __future__ import annotations

import io
import os
import re
import smtplib
from email.message import EmailMessage
from email.utils import parseaddr
from pathlib import Path
from types import SimpleNamespace

import openpyxl
import pytest
from sqlmodel import Session

from yhteistuumin_survey.config import load_settings
from yhteistuumin_survey.db.models import Municipality
from yhteistuumin_survey.errors import SurveyError
from yhteistuumin_survey.messages import (
    XLSX_TYPE,
    MessageComposer,
    compose_message,
    message_html,
    message_language,
    message_text,
)
from yhteistuumin_survey.questionnaire import QUESTIONNAIRE_META_SHEET, build_questionnaire
from yhteistuumin_survey.survey import workspace_survey
from yhteistuumin_survey.templating import make_environment
from yhteistuumin_survey.tokens import get_or_create_token


@pytest.fixture
def settings(workspace):
    return load_settings(workspace.root, overrides={"round.deadline": "2027-02-05"})


@pytest.fixture
def survey(workspace):
    return workspace_survey(workspace)


def _compose(workspace, session: Session, settings, survey, code: str, *, kind: str = "invite",
             contact_name: str | None = "Maija Meikäläinen", municipality=None,
             attach: bool = True, sequence: int = 0) -> tuple[EmailMessage, str]:
    municipality = municipality or session.get(Municipality, code)
    token = get_or_create_token(session=session, round_name=settings.round_name,
                                municipality_code=code)
    attachment = build_questionnaire(workspace, session=session, settings=settings,
                                     survey=survey, municipality=municipality) if attach else None
    message = compose_message(workspace, settings=settings, survey=survey,
                              municipality=municipality, kind=kind, token=token,
                              address=f"kulttuuri.{code}@kunta.example.fi",
                              contact_name=contact_name, attachment=attachment,
                              sequence=sequence)
    return message, token


def _attachment(message: EmailMessage) -> tuple[str, bytes]:
    parts = list(message.iter_attachments())
    assert len(parts) == 1
    part = parts[0]
    assert part.get_content_type() == XLSX_TYPE
    payload = part.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return str(part.get_filename()), payload


@pytest.mark.parametrize(("status", "expected"), [
    ("fi", "fi"), ("fi-sv", "fi-sv"), ("sv-fi", "sv-fi"), ("sv", "sv")])
def test_message_language_follows_the_language_status(status, expected) -> None:
    assert message_language(status) == expected


def test_pedersore_gets_swedish_first_then_finnish(workspace, session, settings, survey) -> None:
    message, token = _compose(workspace, session, settings, survey, "599")
    assert message["Subject"] == (
        "Enkät: god praxis i er kommuns kulturtjänster (Pedersöre) / "
        "Kysely: kuntanne kulttuuripalvelujen hyvät käytännöt (Pedersören kunta)")
    text, html = message_text(message), message_html(message)
    assert text.startswith("Suomeksi alla.\n\nBästa Maija Meikäläinen,\n\n")
    assert text.index("Bästa Maija") < text.index("Hyvä Maija")
    assert "Den här enkäten riktar sig till kulturtjänsterna i Pedersöre." in text
    # the register's Finnish name says "kunta": its genitive is the name's own first word
    assert "Tämä kysely on osoitettu Pedersören kulttuuripalveluille." in text
    assert "599-pedersore.xlsx), joka on ruotsinkielinen." in text  # the workbook is Swedish
    assert "Svarstiden går ut 5.2.2027." in text
    assert f"https://www.yhteistuumin.fi/kysely?token={token}" in text
    assert "Pedersören kunta" not in text
    assert '<html lang="sv">' in html and '<p lang="fi" style="margin-top: 0;"><em>Suomeksi alla.' in html
    # the form link is a button: a padded link in a one-cell table with a background colour
    assert f'<a href="https://www.yhteistuumin.fi/kysely?token={token}" target="_blank"' in html
    assert '<td align="center" bgcolor="#0a4f86"' in html and ">Svara i webbformuläret</a>" in html
    assert "bilaga" in text  # the attached questionnaire can be returned by email


def test_helsinki_gets_both_languages_finnish_first(workspace, session, settings,
                                                    survey) -> None:
    message, token = _compose(workspace, session, settings, survey, "091")
    assert message["Subject"] == (
        "Kysely: kuntanne kulttuuripalvelujen hyvät käytännöt (Helsinki) / "
        "Enkät: god praxis i er kommuns kulturtjänster (Helsingfors)")
    text, html = message_text(message), message_html(message)
    assert text.startswith("På svenska nedan.\n\nHyvä Maija Meikäläinen,")
    assert text.index("Hyvä Maija Meikäläinen,") < text.index("Bästa Maija Meikäläinen,")
    assert "Tämä kysely on osoitettu Helsingin kulttuuripalveluille." in text
    assert "riktar sig till kulturtjänsterna i Helsingfors." in text
    assert text.count(f"kysely?token={token}") == 2
    assert html.index('<div lang="fi">') < html.index('<div lang="sv">')
    assert "<strong>Helsingin</strong>" in html and "<strong>Helsingfors</strong>" in html
    assert html.index("På svenska nedan") < html.index('<div lang="fi">')
    assert html.count(f"kysely?token={token}") == 2


def test_rovaniemi_gets_finnish_with_every_header(workspace, session, settings,
                                                  survey) -> None:
    message, token = _compose(workspace, session, settings, survey, "698", contact_name=None)
    assert message["Subject"] == "Kysely: kuntanne kulttuuripalvelujen hyvät käytännöt (Rovaniemi)"
    assert parseaddr(message["From"]) == ("Kulttuuria yhteistuumin",
                                          "kysely@yhteistuumin.example.fi")
    assert message["To"] == "kulttuuri.698@kunta.example.fi"
    assert message["Reply-To"] == "koordinaattori@yhteistuumin.example.fi"
    assert message["Date"]
    assert message["Message-ID"].endswith("@yhteistuumin.example.fi>")
    assert message["X-Yhteistuumin-Token"] == token
    assert message["X-Yhteistuumin-Round"] == settings.round_name
    assert message["X-Yhteistuumin-Municipality"] == "698"
    assert message["X-Yhteistuumin-Kind"] == "invite"
    assert message.get_content_type() == "multipart/mixed"
    alternative = message.get_payload()[0]
    assert [p.get_content_type() for p in alternative.iter_parts()] == ["text/plain", "text/html"]
    text = message_text(message)
    assert text.startswith("Hyvä vastaanottaja,\n\n")  # no contact name: a neutral greeting
    assert "Bästa" not in text
    assert "Vastausaika päättyy 5.2.2027." in text
    assert "Kulttuuria yhteistuumin -koordinaattori" in text  # the coordinator's signature


def test_attachment_is_the_municipalitys_questionnaire(workspace, session, settings,
                                                       survey) -> None:
    message, token = _compose(workspace, session, settings, survey, "599")
    name, payload = _attachment(message)
    assert name == "599-pedersore.xlsx"
    meta_sheet = openpyxl.load_workbook(io.BytesIO(payload))[QUESTIONNAIRE_META_SHEET]
    meta = {row[0].value: row[1].value for row in meta_sheet.iter_rows()}
    assert (meta["municipality_code"], meta["token"], meta["language"]) == ("599", token, "sv")
    assert "599-pedersore.xlsx" in message_text(message)


def test_reminder_and_thanks_subjects_and_sequence(workspace, session, settings,
                                                   survey) -> None:
    remind, _ = _compose(workspace, session, settings, survey, "698", kind="remind", sequence=2)
    assert remind["Subject"].startswith("Muistutus: kuntanne kulttuuripalvelujen")
    assert remind["X-Yhteistuumin-Kind"] == "remind"
    assert remind["X-Yhteistuumin-Sequence"] == "2"
    assert "Emme ole vielä saaneet Rovaniemen vastausta." in message_text(remind)
    thanks, _ = _compose(workspace, session, settings, survey, "599", kind="thanks",
                         attach=False)
    assert thanks["Subject"].startswith("Tack för ert svar:")
    assert list(thanks.iter_attachments()) == []
    assert "Vi har tagit emot svaret från Pedersöre." in message_text(thanks)


def test_html_escapes_names_and_text_keeps_them(workspace, session, settings, survey) -> None:
    hostile = SimpleNamespace(code="091", name_fi="<script>alert(1)</script>",
                              name_sv="Hels & <b>", language="fi-sv", aland=False)
    message, _ = _compose(workspace, session, settings, survey, "091", municipality=hostile,
                          contact_name='<script>x()</script> "Eve"', attach=False)
    html = message_html(message)
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Hels &amp; &lt;b&gt;" in html
    assert "&lt;script&gt;x()&lt;/script&gt; &#34;Eve&#34;" in html
    assert "Hyvä <script>x()</script> \"Eve\"," in message_text(message)


@pytest.mark.parametrize(("as_listed", "greeting_fi", "greeting_sv"), [
    ("Ojala, Pekka", "Hyvä Pekka Ojala,", "Bästa Pekka Ojala,"),
    ("VIRTANEN Liisa", "Hyvä Liisa Virtanen,", "Bästa Liisa Virtanen,"),
    ("liisa mäkinen", "Hyvä Liisa Mäkinen,", "Bästa Liisa Mäkinen,"),
    ("ANNA-LIISA BJÖRK", "Hyvä Anna-Liisa Björk,", "Bästa Anna-Liisa Björk,"),
    ("Anna Björk (kulttuurijohtaja)", "Hyvä Anna Björk,", "Bästa Anna Björk,"),
    ("Pekka Ojala, kulttuurituottaja", "Hyvä Pekka Ojala,", "Bästa Pekka Ojala,"),
    ("Carl af Forselles", "Hyvä Carl af Forselles,", "Bästa Carl af Forselles,"),
    ("Kulttuuripalvelut", "Hyvä vastaanottaja,", "Bästa mottagare,"),
    ("Kirjaamo", "Hyvä vastaanottaja,", "Bästa mottagare,"),
    ("Kulttuuri- ja vapaa-aikapalvelut", "Hyvä vastaanottaja,", "Bästa mottagare,"),
    ("Kultur och fritid", "Hyvä vastaanottaja,", "Bästa mottagare,"),
])
def test_greeting_names_a_person_as_a_native_writes_it_whatever_the_list_held(
        as_listed, greeting_fi, greeting_sv, workspace, session, settings, survey) -> None:
    """Contact lists hold "Surname, Firstname", capitals, roles and offices in the name
    column: the greeting says the person's name, or no name (never "Hyvä Kirjaamo,")."""
    for kind in ("invite", "remind"):
        message, _ = _compose(workspace, session, settings, survey, "091", kind=kind,
                              contact_name=as_listed, attach=False, sequence=int(kind != "invite"))
        lines = message_text(message).splitlines()
        assert greeting_fi in lines and greeting_sv in lines
        assert greeting_fi in message_html(message)


def test_message_ids_are_unique(workspace, session, settings, survey) -> None:
    first, _ = _compose(workspace, session, settings, survey, "698", attach=False)
    second, _ = _compose(workspace, session, settings, survey, "698", attach=False)
    assert first["Message-ID"] != second["Message-ID"]


def test_workspace_template_with_a_typo_is_a_clear_error(workspace, session, settings,
                                                         survey) -> None:
    override = workspace.root / "templates" / "email" / "_invitation.fi.txt.j2"
    override.parent.mkdir(parents=True, exist_ok=True)
    override.write_text("Hei {{ municipalty.name_fi }}\n", encoding="utf-8")
    with pytest.raises(SurveyError) as caught:
        _compose(workspace, session, settings, survey, "698", attach=False)
    reason = str(caught.value)
    assert reason.startswith(f"{override}:1: 'municipalty' is undefined;")
    assert "\n" not in reason


def test_workspace_template_with_bad_syntax_names_file_and_line(workspace, session, settings,
                                                                survey) -> None:
    override = workspace.root / "templates" / "email" / "subject.sv.txt.j2"
    override.parent.mkdir(parents=True, exist_ok=True)
    override.write_text("Enkät\n{% if kind %}oops\n", encoding="utf-8")
    with pytest.raises(SurveyError, match=r"subject\.sv\.txt\.j2:\d+: template syntax error"):
        _compose(workspace, session, settings, survey, "599", attach=False)


def test_workspace_template_overrides_the_bundled_one(workspace, session, settings,
                                                      survey) -> None:
    override = workspace.root / "templates" / "email" / "subject.fi.txt.j2"
    override.parent.mkdir(parents=True, exist_ok=True)
    override.write_text("Oma otsikko {{ municipality.name_fi }}\n", encoding="utf-8")
    message, _ = _compose(workspace, session, settings, survey, "698", attach=False)
    assert message["Subject"] == "Oma otsikko Rovaniemi"
    env = make_environment(workspace)
    assert env.autoescape("email/x.html.j2") and not env.autoescape("email/x.txt.j2")


def test_invalid_address_is_a_survey_error(workspace, session, settings, survey) -> None:
    municipality = session.get(Municipality, "698")
    with pytest.raises(SurveyError, match="'not an address': not a valid email address"):
        compose_message(workspace, settings=settings, survey=survey, municipality=municipality,
                        kind="invite", token="t", address="not an address", contact_name=None,
                        attachment=None)


def test_composed_message_travels_through_a_real_smtp_server(workspace, session, settings,
                                                             survey, smtp_server) -> None:
    message, token = _compose(workspace, session, settings, survey, "091")
    with smtplib.SMTP(smtp_server.host, smtp_server.port, timeout=10) as client:
        client.send_message(message)
    received = smtp_server.messages[0]
    assert received["X-Yhteistuumin-Token"] == token
    assert "Helsingfors" in message_text(received)
    _, payload = _attachment(received)
    book = openpyxl.load_workbook(io.BytesIO(payload))
    assert book[QUESTIONNAIRE_META_SHEET]["B5"].value == token


def test_missing_attachment_file_is_a_clear_error(workspace, session, settings, survey,
                                                  tmp_path: Path) -> None:
    municipality = session.get(Municipality, "698")
    with pytest.raises(SurveyError, match="the questionnaire is missing; run 'yhteistuumin survey build'"):
        compose_message(workspace, settings=settings, survey=survey, municipality=municipality,
                        kind="invite", token="t", address="a.b@kunta.example.fi",
                        contact_name=None, attachment=tmp_path / "gone.xlsx")


GOLDEN = Path(__file__).parent / "golden" / "messages"
#: Bytes standing in for a workbook: compose reads the file, it never opens it as a workbook.
FAKE_WORKBOOK = bytes(range(256)) * 37 + b"PK\x05\x06 end"


def _wire(data: bytes) -> str:
    """Return the message as sent, with what changes from run to run (MIME boundaries, Date,
    Message-ID) replaced by placeholders."""
    boundaries: dict[str, str] = {}
    text = data.decode("ascii")
    text = re.sub(r"={15}\d+==",
                  lambda m: boundaries.setdefault(m.group(), f"BOUNDARY-{len(boundaries) + 1}"),
                  text)
    text = re.sub(r"(?m)^Date: [^\r\n]*", "Date: DATE", text)
    return re.sub(r"Message-ID:\s+<[^>]+>", "Message-ID: <MESSAGE-ID>", text)


@pytest.mark.parametrize(("code", "kind", "sequence", "attach"), [
    ("091", "invite", 0, True), ("599", "remind", 2, True), ("698", "thanks", 0, False)])
def test_message_bytes_match_golden(code, kind, sequence, attach, workspace, session, settings,
                                    survey, tmp_path: Path) -> None:
    """The wire bytes stay those of the reviewed golden files (regenerate with
    ``UPDATE_GOLDEN=1`` after a deliberate change and review the diff)."""
    attachment = None
    if attach:
        attachment = tmp_path / f"{code}-kysely.xlsx"
        attachment.write_bytes(FAKE_WORKBOOK)
    composer = MessageComposer(workspace, settings=settings, survey=survey)
    composed = composer.compose(municipality=session.get(Municipality, code), kind=kind,
                                token="Tk-golden-0123456789", sequence=sequence,
                                address=f"kirjaamo.{code}@kunta.example.fi",
                                contact_name="Maija Meikäläinen", attachment=attachment)
    actual = _wire(composed.data)
    golden = GOLDEN / f"{code}-{kind}.eml"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_bytes(actual.encode("ascii"))
    assert actual == golden.read_bytes().decode("ascii")


def test_messages_of_one_batch_are_each_whole_and_their_own(workspace, session, settings,
                                                            survey) -> None:
    """One composer, two municipalities: each message carries its own questionnaire, its own
    Message-ID and MIME boundaries, and parses back into the same structure."""
    composer = MessageComposer(workspace, settings=settings, survey=survey)
    books = {}
    composed = []
    for code in ("091", "599"):
        token = get_or_create_token(session=session, round_name=settings.round_name,
                                    municipality_code=code)
        books[code] = build_questionnaire(workspace, session=session, settings=settings,
                                          survey=survey, municipality=session.get(Municipality,
                                                                                  code))
        composed.append(composer.compose(
            municipality=session.get(Municipality, code), kind="invite", token=token,
            address=f"kirjaamo.{code}@kunta.example.fi", contact_name=None,
            attachment=books[code]))
    first, second = composed
    assert first.message_id != second.message_id
    assert first.message["Message-ID"] == first.message_id
    boundaries = [{part.get_boundary() for part in c.message.walk() if part.is_multipart()}
                  for c in composed]
    assert not boundaries[0] & boundaries[1] and all(len(b) == 2 for b in boundaries)
    for code, message in zip(("091", "599"), (first.message, second.message), strict=True):
        assert [part.get_content_type() for part in message.walk()] == [
            "multipart/mixed", "multipart/alternative", "text/plain", "text/html", XLSX_TYPE]
        assert message.defects == [] and all(not p.defects for p in message.walk())
        name, payload = _attachment(message)
        assert (name, payload) == (books[code].name, books[code].read_bytes())


