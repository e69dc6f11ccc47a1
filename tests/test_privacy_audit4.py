"""``forget`` and ``person`` tried a fourth time as data subjects would (audit4-privacy).

An address in a cell's formatted runs, file names under outputs/, the confirmation asked
before the locks, a workspace moved elsewhere, the published site after an erasure, the same
address in other Unicode forms, a withdrawn consent, the access report and the audit record.
"""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest
from ingest_support import office_copy

from yhteistuumin_survey.privacy import forget_person

ANNA = "anna.virtanen@kunta.example.fi"
PEKKA = "pekka.puupaa@kunta.example.fi"


def _cell_text(path: Path) -> str:
    """Every cell's text of a workbook (.xlsx or .ods) as a reader shows it (runs joined)."""
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(str(path))
    return "\n".join(str(value) for name in book.sheet_names
                     for row in book.get_sheet_by_name(name).to_python() for value in row
                     if value not in (None, ""))


# --- 1. an address split across two formatted runs of one cell ------------------------------


def _rich_workbook(path: Path) -> Path:
    """A review copy: Anna's address in two runs ("anna.virtanen@" bold, the rest plain),
    her name in two runs too, and Pekka's row as typed."""
    from openpyxl import Workbook
    from openpyxl.cell.rich_text import CellRichText, TextBlock
    from openpyxl.cell.text import InlineFont

    book = Workbook()
    sheet = book.active
    sheet.append(["#", "Yhteyshenkilö", "Sähköposti"])
    sheet.append([1, "Anna Virtanen", ANNA])
    sheet["B2"] = CellRichText([TextBlock(InlineFont(b=True), "Anna "), "Virtanen"])
    sheet["C2"] = CellRichText([TextBlock(InlineFont(b=True), ANNA[:14]), ANNA[14:]])
    sheet.append([2, "Pekka Puupää", PEKKA])
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


def _rich_practice(session):
    from factories import make_practice

    return make_practice(session, title="Lukupiiri", status="approved", publish_consent=True,
                         contact_name="Anna Virtanen", contact_email=ANNA,
                         contact_phone="040 111 2233")


@pytest.mark.parametrize("saved_by", ["openpyxl", "libreoffice", "libreoffice-ods"])
def test_an_address_in_two_formatted_runs_of_a_cell_is_found_and_erased(
        workspace, session, tmp_path, saved_by):
    """Inline rich text (openpyxl), shared rich text (LibreOffice, as Excel saves it) and an
    .ods copy (spans in a paragraph)."""
    from publish_support import settings_for

    from yhteistuumin_survey.project import Project

    _rich_practice(session)
    session.commit()
    made = _rich_workbook(tmp_path / "arviointi-kopio.xlsx")
    if saved_by == "libreoffice-ods":
        made = office_copy(made, tmp_path, "ods")
        strings = zipfile.ZipFile(made).read("content.xml").decode()
    elif saved_by == "libreoffice":
        made = office_copy(made, tmp_path)
        strings = zipfile.ZipFile(made).read("xl/sharedStrings.xml").decode()
    else:
        strings = zipfile.ZipFile(made).read("xl/worksheets/sheet1.xml").decode()
    assert ANNA not in strings and ANNA[:14] in strings  # really split
    assert "<r>" in strings or "<text:span" in strings
    copy = workspace.outputs / "review" / made.name
    copy.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(made, copy)
    url = session.get_bind().url.render_as_string(hide_password=False)

    report = Project.open(workspace.root, db_url=url).person(ANNA)
    assert f"outputs/review/{made.name}" in [row["file"] for row in report.sections["files"]]

    result = forget_person(workspace, ANNA, session=session, settings=settings_for(workspace))

    assert not result.failed, result.summary()
    assert any(made.name in place.where for place in result.places)
    text = _cell_text(copy)  # still a workbook a reader opens
    assert ANNA not in text and "Anna Virtanen" not in text
    assert "Pekka Puupää" in text and PEKKA in text
    report = Project.open(workspace.root, db_url=url).person(ANNA)
    assert report.sections["files"] == []


# --- 3. the confirmation is asked before the send and publish locks are taken ---------------


def _annas_practice(session):
    from factories import make_practice

    practice = make_practice(session, title="Lukupiiri", status="approved", publish_consent=True,
                             contact_name="Anna Virtanen", contact_email=ANNA,
                             contact_phone="040 111 2233",
                             summary="Lisätietoja antaa Anna Virtanen.")
    session.commit()
    return practice


def test_a_coordinator_left_at_the_question_blocks_no_send_or_publish(workspace, session):
    """While forget waits for its answer, a send and a publish can start (and finish)."""
    from sqlmodel import select

    from yhteistuumin_survey.db.models import PracticeVersion
    from yhteistuumin_survey.locks import exclusive
    from yhteistuumin_survey.project import Project

    practice = _annas_practice(session)
    session.close()
    url = session.get_bind().url.render_as_string(hide_password=False)
    engine = session.get_bind().engine
    asked = []

    def meanwhile(question):
        asked.append(question.text)
        # Another terminal: a send and a publish take their locks while the question is open.
        with exclusive(engine, "send"), exclusive(engine, "publish"):
            pass

    result = Project.open(workspace.root, db_url=url).forget(ANNA, confirm=meanwhile)

    assert asked and asked[0].startswith("Erase this person from ")
    assert not result.failed and result.recorded
    version = session.exec(select(PracticeVersion).where(
        PracticeVersion.practice_id == practice.id)).one()
    assert version.contact_email is None


def test_forget_erases_nothing_when_the_person_turned_up_elsewhere_after_the_question(
        workspace, session):
    """An ingest or a bounce between the question and the erasure: the coordinator agreed to
    what they were shown, so nothing is erased and they are told to look again."""
    from sqlmodel import select

    from yhteistuumin_survey.db.models import Bounce, PracticeVersion
    from yhteistuumin_survey.errors import InputError
    from yhteistuumin_survey.project import Project

    practice = _annas_practice(session)
    session.close()
    url = session.get_bind().url.render_as_string(hide_password=False)

    def meanwhile(question):
        session.add(Bounce(message_key="<later@x>", classification="auto-reply", address=ANNA,
                           detail="Olen lomalla."))
        session.commit()

    with pytest.raises(InputError, match=r"changed while the question was open .*nothing was "
                                         r"erased: look again with --dry-run"):
        Project.open(workspace.root, db_url=url).forget(ANNA, confirm=meanwhile)

    session.expire_all()
    version = session.exec(select(PracticeVersion).where(
        PracticeVersion.practice_id == practice.id)).one()
    assert version.contact_email == ANNA
    assert session.exec(select(Bounce)).one().address == ANNA


# --- 4. a workspace moved or copied: received files recorded by their old absolute path ------


def _shared_export(workspace, session) -> Path:
    """A web-form export ingest stored (by its absolute path, as ingest records it) holding
    Anna's answer and Matti's, whose row gives no address; and a file named after Anna."""
    from factories import make_practice
    from sqlmodel import select

    from yhteistuumin_survey.db.models import PracticeVersion, ReceivedFile, Submission

    folder = workspace.outputs / "received" / "ab"
    folder.mkdir(parents=True, exist_ok=True)
    export = folder / "ab12-lomake.csv"
    export.write_text("nimi;sähköposti;puhelin;kuvaus\n"
                      f"Anna Virtanen;{ANNA};040 111 2233;Lukupiiri\n"
                      "Matti Meikäläinen;;050 222 3344;Kirjastokino\n", encoding="utf-8")
    named = folder / "cd34-Anna Virtanen vastaus.csv"
    named.write_text(f"Anna Virtanen;{ANNA}\n", encoding="utf-8")
    anna = make_practice(session, title="Lukupiiri", status="approved", publish_consent=True,
                         contact_name="Anna Virtanen", contact_email=ANNA,
                         contact_phone="040 111 2233")
    matti = make_practice(session, title="Kirjastokino", status="approved",
                          contact_name="Matti Meikäläinen", contact_phone="050 222 3344")
    shared = ReceivedFile(sha256="ab12", original_name="lomake.csv", stored_path=str(export),
                          size=1, format="webform", status="ingested")
    own = ReceivedFile(sha256="cd34", original_name="Anna Virtanen vastaus.csv",
                       stored_path=str(named), size=1, format="webform", status="ingested",
                       sender=ANNA)
    session.add_all([shared, own])
    session.flush()
    for line, practice, row in ((2, anna, ["Anna Virtanen", ANNA, "040 111 2233"]),
                                (3, matti, ["Matti Meikäläinen", None, "050 222 3344"])):
        version = session.exec(select(PracticeVersion).where(
            PracticeVersion.practice_id == practice.id)).one()
        submission = session.get(Submission, version.submission_id)
        submission.received_file_id, submission.locator = shared.id, f"rivi {line}"
        submission.raw = {"Yhteyshenkilön nimi": row[0], "Yhteyshenkilön sähköposti": row[1],
                          "Yhteyshenkilön puhelinnumero": row[2]}
        session.add(submission)
    session.commit()
    return export


@pytest.mark.parametrize("how", ["moved", "copied"])
def test_forget_in_a_moved_or_copied_workspace_keeps_others_answers_and_the_other_copy(
        workspace, session, tmp_path, how):
    """The stored paths lead to the old place: the shared export is still known as holding
    Matti's answer too (kept, Anna's row out, not deleted), the file named after Anna is
    renamed in this workspace, and a copy's original workspace is not touched."""
    from publish_support import settings_for

    from yhteistuumin_survey.workspace import Workspace

    _shared_export(workspace, session)
    session.close()
    elsewhere = tmp_path / "siirretty"
    if how == "moved":
        shutil.move(workspace.root, elsewhere)
    else:
        shutil.copytree(workspace.root, elsewhere)
        before = {p: p.read_bytes() for p in workspace.outputs.rglob("*") if p.is_file()}
    moved = Workspace(elsewhere)

    result = forget_person(moved, ANNA, session=session, settings=settings_for(moved))

    assert not result.failed, result.summary()
    received = moved.outputs / "received" / "ab"
    export = (received / "ab12-lomake.csv").read_text(encoding="utf-8")
    assert "Matti Meikäläinen;;050 222 3344;Kirjastokino" in export
    assert ANNA not in export and "Anna Virtanen" not in export
    assert sorted(p.name for p in received.iterdir()) == ["ab12-lomake.csv"]  # hers deleted
    if how == "copied":
        assert {p: p.read_bytes() for p in workspace.outputs.rglob("*") if p.is_file()} == before


# --- the published site after forget --------------------------------------------------------


def _published_text(*folders: Path) -> str:
    """Every byte of the folders, gzip'd search fragments opened, file and folder names too."""
    import gzip

    parts = []
    for folder in folders:
        for path in sorted(folder.rglob("*")):
            parts.append(path.relative_to(folder).as_posix())
            if not path.is_file():
                continue
            data = path.read_bytes()
            if data[:2] == b"\x1f\x8b":
                data = gzip.decompress(data)
            parts.append(data.removeprefix(b"pagefind_dcd").decode("utf-8", "replace"))
    return "\n".join(parts)


def _assert_no_anna(text: str) -> None:
    from yhteistuumin_survey.privacy import AddressMatcher

    assert not AddressMatcher(ANNA).mentions(text), "address"
    folded = text.casefold()
    for trace in ("anna virtanen", "virtasen", "virtanen", "anna-virtasen", "1112233"):
        assert trace not in folded.replace(" ", "") if trace.isdigit() else trace not in folded, \
            trace


def test_after_forget_the_site_shows_her_nowhere_pages_index_json_swedish_or_old_folders(
        workspace, session, tmp_path):
    """Her page named after her ("Anna Virtasen lukupiiri"), in Finnish and Swedish, in the
    search index, practices.json, the sitemap and the JSON-LD, in the CMS Markdown, and in
    a site published elsewhere: after forget, no byte and no file name shows her."""
    from factories import make_practice
    from publish_support import settings_for

    from yhteistuumin_survey.publish import publish_site

    settings = settings_for(workspace)
    practice = make_practice(
        session, title="Anna Virtasen lukupiiri", status="approved", publish_consent=True,
        contact_name="Anna Virtanen", contact_email=ANNA, contact_phone="040 111 2233",
        summary="Anna Virtanen kokoaa lukupiirin. Lisätietoja: anna.virtanen@kunta.example.fi.")
    make_practice(session, title="Kirjastokino", status="approved", publish_consent=True,
                  contact_name="Pekka Puupää", contact_email=PEKKA, contact_phone="050 987 6543")
    session.commit()
    elsewhere = tmp_path / "www"
    publish_site(workspace, session=session, settings=settings)
    publish_site(workspace, session=session, settings=settings, out=elsewhere,
                 cms=tmp_path / "cms")
    site = workspace.outputs / "site"
    before = _published_text(site, workspace.outputs / "cms", elsewhere)
    assert f"{practice.id}-anna-virtasen-lukupiiri" in before and ANNA in before
    assert (site / "sv").is_dir() and "Anna Virtanen" in _published_text(site / "sv")

    result = forget_person(
        workspace, ANNA, session=session, settings=settings,
        republish=lambda: publish_site(workspace, session=session, settings=settings),
        republish_to=lambda out, cms: publish_site(workspace, session=session,
                                                   settings=settings, out=out, cms=cms))

    assert not result.failed, result.summary()
    _assert_no_anna(_published_text(site, workspace.outputs / "cms", elsewhere,
                                    tmp_path / "cms"))
    after = _published_text(site)
    assert "Kirjastokino" in after and "Pekka Puupää" in after and PEKKA in after


# --- 2. a file under outputs/ named after the person ----------------------------------------


def test_a_kept_file_named_after_her_is_renamed_and_what_is_printed_does_not_name_her(
        workspace, session):
    """The access report written under outputs/ ("anna-virtanen.xlsx") and a note named
    "Anna_Virtanen_muistio.txt" holding Pekka's address too: rewritten without her, and
    renamed; a file named after Pekka is left as it is."""
    from publish_support import settings_for

    from yhteistuumin_survey.project import Project

    _annas_practice(session)
    url = session.get_bind().url.render_as_string(hide_password=False)
    requests = workspace.outputs / "pyynnot"
    Project.open(workspace.root, db_url=url).person(ANNA, out=requests / "anna-virtanen.xlsx")
    (requests / "Anna_Virtanen_muistio.txt").write_text(
        f"Pyyntö: {ANNA}, puh. 040 111 2233. Välitetty: {PEKKA}\n", encoding="utf-8")
    (requests / "pekka-puupaa.txt").write_text(f"{PEKKA} ja {ANNA}\n", encoding="utf-8")
    session.commit()

    dry = forget_person(workspace, ANNA, session=session, settings=settings_for(workspace),
                        dry_run=True)
    result = forget_person(workspace, ANNA, session=session, settings=settings_for(workspace))

    for run in (dry, result):
        assert not run.failed, run.summary()
        printed = "\n".join(f"{p.where} {p.action}" for p in run.places)
        assert "virtanen" not in printed.casefold(), printed
        assert "the name of outputs/pyynnot/[erased].xlsx" in printed
    names = sorted(p.name for p in requests.iterdir())
    assert names == ["[poistettu].xlsx", "[poistettu]_muistio.txt", "pekka-puupaa.txt"]
    note = (requests / "[poistettu]_muistio.txt").read_text(encoding="utf-8")
    assert ANNA not in note and PEKKA in note
    assert ANNA not in _cell_text(requests / "[poistettu].xlsx")
    assert ANNA not in (requests / "pekka-puupaa.txt").read_text(encoding="utf-8")


# --- the same address in other Unicode forms; other people's near it ------------------------

IDN = "anna@hämeenlinna.example.fi"
PUNY = "anna@" + "hämeenlinna.example.fi".encode("idna").decode("ascii")


def test_one_person_however_her_address_is_written_and_others_near_it_never_touched(
        workspace, session):
    """Decomposed "ä" (as a Mac writes it), a full-width at sign, the domain in punycode: the
    same person, whichever form forget is given. "anna+kysely@…" and "…fi.invalid" are other
    people: their file is not changed. The erasure is recorded under one key for all forms."""
    import unicodedata

    from factories import make_practice
    from publish_support import settings_for

    from yhteistuumin_survey.person import person_report

    nfd = unicodedata.normalize("NFD", IDN)
    make_practice(session, title="Lukupiiri", status="approved", publish_consent=True,
                  contact_name="Anna Mäkinen", contact_email=IDN, contact_phone="040 111 2233")
    session.commit()
    notes = workspace.outputs / "muistiot"
    notes.mkdir(parents=True)
    texts = {
        "nfd.txt": unicodedata.normalize("NFD", f"Yhteyshenkilö Anna Mäkinen, {IDN}\n"),
        "leveä.txt": f"Lähettäjä: {IDN.replace('@', '＠')}; kopio {PEKKA}\n",
        "puny.txt": f"To: {PUNY.upper()}\nCc: {PEKKA}\n",
        "muut.txt": f"anna+kysely@hämeenlinna.example.fi, {IDN}.invalid, x{PUNY}\n",
    }
    for name, text in texts.items():
        (notes / name).write_text(text, encoding="utf-8")
    assert {row["file"] for row in person_report(workspace, PUNY, session=session)
            .sections["files"]} == {f"outputs/muistiot/{n}" for n in texts if n != "muut.txt"}

    result = forget_person(workspace, nfd, session=session, settings=settings_for(workspace))

    assert not result.failed, result.summary()
    for name, before in texts.items():
        after = (notes / name).read_text(encoding="utf-8")
        if name == "muut.txt":
            assert after == before
            continue
        composed = unicodedata.normalize("NFC", after)
        assert "anna@" not in composed.casefold().replace("＠", "@"), name
        assert "Mäkinen" not in composed, name
    assert PEKKA in (notes / "leveä.txt").read_text(encoding="utf-8")
    # Asked for in any form, the erasure is found.
    for form in (IDN, PUNY, IDN.replace("@", "＠")):
        erasures = person_report(workspace, form, session=session).sections["erasures"]
        assert len(erasures) == 1, form


# --- person as the answer to an access request (GDPR art. 15) -------------------------------


def test_person_json_says_who_holds_it_why_where_from_who_has_seen_it_and_how_long(
        workspace, session, db_url, cli):
    import json

    from publish_support import settings_for

    from yhteistuumin_survey.db.models import Contact, OutboundMessage, ReviewDecision
    from yhteistuumin_survey.publish import publish_site

    practice = _annas_practice(session)
    session.add(Contact(municipality_code="049", email=ANNA, name="Anna Virtanen",
                        source_file="recipients/yhteystiedot.xlsx", source_row=4))
    session.add(OutboundMessage(round_name="r", municipality_code="049", address=ANNA,
                                kind="invite", state="sent"))
    session.add(ReviewDecision(practice_id=practice.id, version=1, decision="approved",
                               previous_status="new"))
    session.commit()
    publish_site(workspace, session=session, settings=settings_for(workspace))
    session.commit()

    result = cli("--db", db_url, "person", ANNA, "--lang", "en", "--format", "json")

    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    notice = data["notice"]
    assert notice["controller"].startswith("Espoon kaupunki, Kulttuuria yhteistuumin -ohjelma.")
    assert "koordinaattori@yhteistuumin.example.fi" in notice["controller"]
    assert any("contact list" in why for why in notice["why"])
    assert any("published with it only if you agreed" in why for why in notice["why"])
    assert any("recipients/yhteystiedot.xlsx" in line for line in notice["where_from"])
    assert any("your answer to the survey" in line for line in notice["where_from"])
    assert "The survey's reviewers, who assess each practice." in notice["who_has_seen_it"]
    assert any(f"practice {practice.id} is on the public site (page {practice.id}-lukupiiri), "
               "with your name, address and phone" in line for line in notice["who_has_seen_it"])
    assert "until the end of the Kulttuuria yhteistuumin programme" in notice["how_long"]
    assert "Data Protection Ombudsman" in notice["your_rights"]
    row = data["sections"]["practices"][0]
    assert row["from"].startswith("your answer in vastaus-")
    assert row["published"].endswith("with your name, address and phone")
    table = cli("--db", db_url, "person", ANNA, "--lang", "en")
    assert "Who has seen it: The survey's coordinator." in table.stdout
    assert "How long it is kept: " in table.stdout


def test_person_of_an_unpublished_practice_without_consent_says_nothing_is_public(
        workspace, session):
    from factories import make_practice

    from yhteistuumin_survey.person import person_report

    make_practice(session, title="Lukupiiri", status="new", publish_consent=False,
                  contact_name="Anna Virtanen", contact_email=ANNA)
    session.commit()

    report = person_report(workspace, ANNA, session=session)

    assert report.sections["practices"][0]["published"] == "not published"
    assert "Nothing about you is on the public site." in report.notice["who_has_seen_it"]


def test_person_of_a_practice_published_without_consent_says_her_details_are_not_public(
        workspace, session):
    from factories import make_practice
    from publish_support import settings_for

    from yhteistuumin_survey.person import person_report
    from yhteistuumin_survey.publish import publish_site

    practice = make_practice(session, title="Lukupiiri", status="approved",
                             publish_consent=False, contact_name="Anna Virtanen",
                             contact_email=ANNA)
    session.commit()
    publish_site(workspace, session=session, settings=settings_for(workspace))
    session.expire_all()  # (publish pins the page's address with a statement)

    report = person_report(workspace, ANNA, session=session)

    assert report.sections["practices"][0]["published"] == (
        f"on the public site (page {practice.id}-lukupiiri), without your contact details "
        "(you have not agreed to that)")
    assert ("Nothing about you is on the public site (your practice is published without "
            "your contact details).") in report.notice["who_has_seen_it"]


# --- a consent withdrawn in a later reply ---------------------------------------------------


def _reply(tmp_path: Path, body: str, name: str) -> Path:
    from email.message import EmailMessage

    message = EmailMessage()
    message["From"] = f"Anna Virtanen <{ANNA}>"
    message["To"] = "koordinaattori@yhteistuumin.example.fi"
    message["Subject"] = "VS: Kulttuuria yhteistuumin: hyvät käytännöt"
    message.set_content(body)
    path = tmp_path / name
    path.write_bytes(message.as_bytes())
    return path


@pytest.mark.parametrize("words", ["Hei,\n\nen halua nimeäni julkaistavan sivustolla.\n\n"
                                   "Terveisin Anna\n",
                                   "Hej! Jag återkallar mitt samtycke till publicering.\n"])
def test_a_reply_withdrawing_consent_hides_her_at_the_next_publish_and_says_so(
        workspace, session, tmp_path, words):
    from ingest_support import run_ingest
    from publish_support import settings_for

    from yhteistuumin_survey.publish import publish_site

    practice = _annas_practice(session)
    settings = settings_for(workspace)
    publish_site(workspace, session=session, settings=settings)
    session.commit()
    assert ANNA in _published_text(workspace.outputs / "site")
    # An unrelated reply from her changes nothing; the quoted invitation is not her words.
    run_ingest([_reply(tmp_path, "Kiitos, vastaus tulossa.\n\n> Yhteystietoja ei saa "
                                 "julkaista ilman lupaa.\n", "kiitos.eml")],
               engine=session.get_bind(), workspace=workspace)
    result = publish_site(workspace, session=session, settings=settings)
    session.commit()
    assert ANNA in _published_text(workspace.outputs / "site")
    assert not any("withdrew" in line for line in result.warnings())

    run_ingest([_reply(tmp_path, words, "peruutus.eml")], engine=session.get_bind(),
               workspace=workspace)
    result = publish_site(workspace, session=session, settings=settings)

    text = _published_text(workspace.outputs / "site")
    assert "Lukupiiri" in text
    assert ANNA not in text and "Anna Virtanen" not in text and "111 2233" not in text
    from yhteistuumin_survey.person import person_report

    session.expire_all()
    row = person_report(workspace, ANNA, session=session).sections["practices"][0]
    assert "without your contact details (you withdrew your consent: " in row["published"]
    assert any(f"#{practice.id}: its contact withdrew their consent to "
                               "publishing in a later message (" in line and "peruutus.eml" in line
               for line in result.warnings()), result.warnings()


@pytest.mark.parametrize(("text", "withdraws"), [
    ("Hei, en halua nimeäni julkaistavan.", True),
    ("En halua, että yhteystietoni julkaistaan sivulla.", True),
    ("Perun luvan julkaista yhteystietoni.", True),
    ("Älkää julkaisko nimeäni.", True),
    ("Poistakaa nimeni sivustolta, kiitos.", True),
    ("Jag vill inte att mitt namn publiceras.", True),
    ("Jag återkallar mitt samtycke.", True),
    ("Please don’t publish my details.", True),
    ("I withdraw my consent.", True),
    ("Voitte julkaista.", False),
    ("Kiitos, vastaukset liitteenä.", False),
    ("En tiedä vielä, kysyn esihenkilöltä.", False),
    ("Saako yhteystiedot julkaista? Kyllä", False),
    ("Julkaiskaa ihmeessä, en halua olla salassa.", False),
    ("> En halua nimeäni julkaistavan", False),
    ("Kiitos!\n\nLähettäjä: kysely@yhteistuumin.example.fi\nYhteystietoja ei saa julkaista "
     "ilman lupaa.", False),
])
def test_the_words_that_withdraw_consent_and_near_misses(text, withdraws):
    from yhteistuumin_survey.privacy import withdraws_consent

    assert withdraws_consent(text) is withdraws


def test_person_names_the_coordinators_own_files_that_still_hold_her_after_forget(
        workspace, session):
    """An answer saved in inbox/ before ingest is outside outputs/: forget names it and does
    not edit it; the access report lists it too, before and after, and never says that
    nothing is held while it is there."""
    from publish_support import settings_for

    from yhteistuumin_survey.person import person_report

    _annas_practice(session)
    inbox = workspace.root / "inbox"
    inbox.mkdir()
    (inbox / "vastaus.txt").write_text(f"Yhteyshenkilö: {ANNA}\n", encoding="utf-8")

    before = person_report(workspace, ANNA, session=session)
    result = forget_person(workspace, ANNA, session=session, settings=settings_for(workspace))
    after = person_report(workspace, ANNA, session=session)

    assert result.left == ["inbox/vastaus.txt"]
    for report in (before, after):
        assert {"file": "inbox/vastaus.txt",
                "note": "outside outputs/: the coordinator's own file"} in report.sections["files"]
    assert "Nothing about you is held" not in str(after.notice)
    assert len(after.sections["erasures"]) == 1


# --- the audit record -------------------------------------------------------------------------


def test_the_record_proves_the_erasure_without_the_address_and_a_lost_key_is_said(
        workspace, session):
    """What forget leaves: a keyed hash, the counts and the time, no address, no name; the
    person's address and the key find it again. A key deleted since is said, not silently
    replaced."""
    from publish_support import settings_for
    from test_privacy_exact import database_dump

    from yhteistuumin_survey.db.models import Erasure
    from yhteistuumin_survey.person import person_report
    from yhteistuumin_survey.privacy import KEY_FILE, subject_hash

    _annas_practice(session)
    forget_person(workspace, ANNA, session=session, settings=settings_for(workspace))
    session.expire_all()
    (record,) = session.exec(__import__("sqlmodel").select(Erasure)).all()
    assert record.subject_hash == subject_hash(workspace, ANNA.upper())
    dump = database_dump(session)
    assert "anna.virtanen" not in dump.casefold() and "virtanen" not in dump.casefold()
    assert person_report(workspace, ANNA, session=session).sections["erasures"][0]["places"] \
        == sum(record.counts.values())

    (workspace.outputs / KEY_FILE).unlink()  # lost: cleaned away with outputs/, say
    dry = forget_person(workspace, PEKKA, session=session, settings=settings_for(workspace),
                        dry_run=True)
    done = forget_person(workspace, PEKKA, session=session, settings=settings_for(workspace))

    assert dry.remains[0].endswith("1 earlier erasure recorded with it can no longer be matched "
                                   "to an address (person does not show it). Restore the key "
                                   "from a backup, or copy it from another workspace that uses "
                                   "this database, before erasing anyone. Keep the key with the "
                                   "database.")
    assert "A new key was made for this erasure" in done.remains[0]


def test_her_page_named_by_an_earlier_title_that_named_her_is_renamed_by_forget(
        workspace, session):
    """The page's address was pinned by a title a reviewer corrected since ("Anna Virtasen
    lukupiiri" → "Lukupiiri"): no text names her any more, the address still did."""
    from publish_support import settings_for

    from yhteistuumin_survey.db.models import Practice, ReviewDecision
    from yhteistuumin_survey.publish import publish_site

    settings = settings_for(workspace)
    practice = _annas_practice(session)
    row = session.get(Practice, practice.id)
    row.published_slug, row.corrected_title = "anna-virtasen-lukupiiri", "Lukupiiri"
    session.add(row)
    session.add(ReviewDecision(practice_id=practice.id, version=1, decision="approved",
                               previous_status="new", corrected_title="Lukupiiri"))
    session.commit()
    publish_site(workspace, session=session, settings=settings)
    site = workspace.outputs / "site"
    assert (site / f"{practice.id}-anna-virtasen-lukupiiri").is_dir()

    forget_person(workspace, ANNA, session=session, settings=settings,
                  republish=lambda: publish_site(workspace, session=session, settings=settings))

    _assert_no_anna(_published_text(site))
    assert (site / f"{practice.id}-lukupiiri").is_dir()
