"""What goes on the wire: each message is serialised once, and the outbox copy is exactly it.

A real ``send invite`` (templates, questionnaires, tokens) to a real aiosmtpd server on
127.0.0.1 that keeps the raw bytes it received. The copy kept under
``outputs/outbox/<round>/sent/`` must be byte-for-byte what the server got (same SHA-256), and
every received message must parse cleanly with the standard library's email parser: the MIME
structure, the headers (non-ASCII subject and sender name encoded), the questionnaire attached
whole, the Finnish and Swedish texts.
"""

from __future__ import annotations

import hashlib
import re
from email import policy
from email.parser import BytesParser
from email.utils import parseaddr, parsedate_to_datetime

import pytest
from send_support import mail_server, round_env
from sqlmodel import Session, select

from yhteistuumin_survey.messages import XLSX_TYPE, message_html, message_text
from yhteistuumin_survey.resources import bundled_path

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

ONLY = ["--only", "091,599,698"]  # 5 addresses: Helsinki 2, Pedersöre 1, Rovaniemi 2


@pytest.fixture(scope="module", params=[False, True], ids=["one-command-at-a-time", "pipelined"])
def sent(request, tmp_path_factory: pytest.TempPathFactory, sqlite_template):
    """Send the invitations once a module and server kind, to a server that pipelines (RFC 2920)
    or one that does not, into a workspace of its own (as the ``workspace`` fixture makes
    one); return (server, outbox rows, copies by Message-ID, workspace). The tests only read
    what it left."""
    from conftest import Cli
    from fixtures_house import copy_sqlite_template

    from yhteistuumin_survey.db.engine import make_engine
    from yhteistuumin_survey.db.models import OutboundMessage
    from yhteistuumin_survey.workspace import Workspace, init_workspace

    workspace = Workspace(init_workspace(tmp_path_factory.mktemp("wire") / "ws").root)
    copy_sqlite_template(sqlite_template, workspace.outputs / "yhteistuumin.sqlite")
    cli = Cli(workspace)
    loaded = cli("register", "contacts", str(bundled_path("recipients/contacts.example.csv")))
    assert loaded.exit_code == 0, loaded.output
    with mail_server(pipelining=request.param) as server:
        # No spacing between the messages (the configured 30/min slept 8 s): the bytes on the
        # wire are what this module checks; tests/test_mailer.py checks the rate.
        env = {"YHTEISTUUMIN_SMTP_HOST": "127.0.0.1", "YHTEISTUUMIN_SMTP_PORT": str(server.port),
               "YHTEISTUUMIN_SMTP_SECURITY": "none", "YHTEISTUUMIN_SMTP_RATE": "1000/s",
               **round_env()}
        result = cli("send", "invite", *ONLY, "--yes", env=env)
    assert result.exit_code == 0, result.output
    # Pipelined: every MAIL came with its RCPT and DATA in one write; else one at a time.
    assert server.grouped_mail == (server.mail_commands if request.param else 0) == \
        (5 if request.param else 0)
    engine = make_engine(f"sqlite:///{workspace.outputs / 'yhteistuumin.sqlite'}")
    with Session(engine) as session:
        rows = list(session.exec(select(OutboundMessage).order_by(OutboundMessage.id)))
    engine.dispose()
    folder = workspace.outputs / "outbox" / "yhteistuumin-2026" / "sent"
    copies = {}
    for path in sorted(folder.glob("*.eml")):
        data = path.read_bytes()
        found = re.search(rb"^Message-ID: (<[^>]+>)\r$", data, re.MULTILINE)
        assert found, path
        copies[found.group(1).decode()] = (path, data)
    return server, rows, copies, workspace


def test_outbox_copy_is_byte_for_byte_what_the_server_received(sent) -> None:
    server, rows, copies, _workspace = sent
    assert len(server.raw) == len(rows) == len(copies) == 5
    received = {hashlib.sha256(raw).hexdigest() for raw in server.raw}
    kept = {hashlib.sha256(data).hexdigest() for _path, data in copies.values()}
    assert received == kept
    for row in rows:  # each row names its copy: <code>-<kind>-<sequence>-<row id>.eml
        path, data = copies[row.message_id]
        assert path.name == f"{row.municipality_code}-invite-0-{row.id}.eml"
        assert row.state == "sent"
        assert f"\r\nTo: {row.address}\r\n".encode() in data
        assert f"\r\nX-Yhteistuumin-Token: {row.token}\r\n".encode() in data


def test_received_messages_parse_cleanly_with_every_header_and_part(sent) -> None:
    server, rows, _copies, workspace = sent
    by_id = {row.message_id: row for row in rows}
    subjects = {}
    for raw in server.raw:
        message = BytesParser(policy=policy.default).parsebytes(raw)
        row = by_id[str(message["Message-ID"])]
        assert all(not part.defects for part in message.walk()), message["Message-ID"]
        assert [part.get_content_type() for part in message.walk()] == [
            "multipart/mixed", "multipart/alternative", "text/plain", "text/html", XLSX_TYPE]
        assert message["MIME-Version"] == "1.0"
        assert parseaddr(str(message["From"])) == ("Kulttuuria yhteistuumin",
                                                   "kysely@yhteistuumin.fi")
        assert str(message["To"]) == row.address
        assert str(message["Reply-To"]) == "koordinaattori@yhteistuumin.fi"
        assert parsedate_to_datetime(str(message["Date"])).tzinfo is not None
        assert message["X-Yhteistuumin-Token"] == row.token
        assert message["X-Yhteistuumin-Municipality"] == row.municipality_code
        subjects[row.municipality_code] = str(message["Subject"])
        for part in message.walk():
            if part.get_content_maintype() == "text":
                assert part.get_content_charset() == "utf-8"
                assert part["Content-Transfer-Encoding"] == "quoted-printable"
        # encoded lines within RFC 2045's 76; headers near RFC 5322's 78 (the xlsx
        # Content-Type is 79 as the stdlib writes it; a Message-ID is not folded: <= 998)
        lines = raw.split(b"\r\n")
        assert max(len(line) for line in lines if not line.startswith(b"Message-ID:")) <= 79
        assert max(len(line) for line in lines) <= 998
        head, _, body = raw.partition(b"\r\n\r\n")
        assert max(len(line) for line in body.split(b"\r\n")
                   if not line.startswith(b"Content-Type:")) <= 76
        attachment = next(message.iter_attachments())
        book = (workspace.outputs / "questionnaires" / "yhteistuumin-2026").glob(
            f"{row.municipality_code}-*.xlsx")
        assert attachment.get_content() == next(book).read_bytes()
        text, html = message_text(message), message_html(message)
        if row.municipality_code == "091":
            assert "Helsingin kulttuuripalveluille" in text
            assert "kulturtjänsterna i Helsingfors" in text
            assert "<strong>Helsingfors</strong>" in html
        if row.municipality_code == "599":
            # a registry office's mailbox: asked to forward, in Swedish first
            assert text.startswith("Suomeksi alla.\n\nTill registratorskontoret: ")
            assert text.index("kulturtjänsterna i Pedersöre") < text.index(
                "osoitettu Pedersören kulttuuripalveluille")
    assert subjects == {
        "091": "Kysely: kuntanne kulttuuripalvelujen hyvät käytännöt (Helsinki) / "
               "Enkät: god praxis i er kommuns kulturtjänster (Helsingfors)",
        "599": "Enkät: god praxis i er kommuns kulturtjänster (Pedersöre) / "
               "Kysely: kuntanne kulttuuripalvelujen hyvät käytännöt (Pedersören kunta)",
        "698": "Kysely: kuntanne kulttuuripalvelujen hyvät käytännöt (Rovaniemi)"}
