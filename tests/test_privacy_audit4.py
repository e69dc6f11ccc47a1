"""``forget`` and ``person`` tried a fourth time as data subjects would (audit4-privacy).

An address in a cell's formatted runs, file names under outputs/, the confirmation asked
before the locks, a workspace moved elsewhere, the published site after an erasure, the same
address in other Unicode forms, a withdrawn consent, the access report and the audit record.
"""

from __future__ import annotations

import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from ci_support import unavailable

from yhteistuumin_survey.privacy import forget_person

ANNA = "anna.virtanen@kunta.example.fi"
PEKKA = "pekka.puupaa@kunta.example.fi"


def _cell_text(path: Path) -> str:
    """Every cell's text of a workbook as a reader shows it (runs joined)."""
    from openpyxl import load_workbook

    book = load_workbook(path)
    return "\n".join(str(cell.value) for sheet in book for row in sheet.iter_rows()
                     for cell in row if cell.value is not None)


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


def _libreoffice_copy(path: Path, tmp_path: Path) -> Path:
    """The workbook saved again by LibreOffice: its strings shared, the runs kept."""
    office = shutil.which("soffice") or shutil.which("libreoffice")
    if office is None:
        unavailable("LibreOffice is not installed")
    out = tmp_path / "libreoffice-out"
    subprocess.run([office, f"-env:UserInstallation={(tmp_path / 'lo').as_uri()}", "--headless",
                    "--convert-to", "xlsx", "--outdir", str(out), str(path)], check=True,
                   capture_output=True, timeout=120)
    return out / path.name


def _rich_practice(session):
    from factories import make_practice

    return make_practice(session, title="Lukupiiri", status="approved", publish_consent=True,
                         contact_name="Anna Virtanen", contact_email=ANNA,
                         contact_phone="040 111 2233")


@pytest.mark.parametrize("saved_by", ["openpyxl", "libreoffice"])
def test_an_address_in_two_formatted_runs_of_a_cell_is_found_and_erased(
        workspace, session, tmp_path, saved_by):
    """Inline rich text (openpyxl) and shared rich text (LibreOffice, as Excel saves it)."""
    from publish_support import settings_for

    from yhteistuumin_survey.project import Project

    _rich_practice(session)
    session.commit()
    made = _rich_workbook(tmp_path / "arviointi-kopio.xlsx")
    if saved_by == "libreoffice":
        made = _libreoffice_copy(made, tmp_path)
        strings = zipfile.ZipFile(made).read("xl/sharedStrings.xml").decode()
    else:
        strings = zipfile.ZipFile(made).read("xl/worksheets/sheet1.xml").decode()
    assert ANNA not in strings and ANNA[:14] in strings and "<r>" in strings  # really split
    copy = workspace.outputs / "review" / "arviointi-kopio.xlsx"
    copy.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(made, copy)
    url = session.get_bind().url.render_as_string(hide_password=False)

    report = Project.open(workspace.root, db_url=url).person(ANNA)
    assert {"file": "outputs/review/arviointi-kopio.xlsx"} in report.sections["files"]

    result = forget_person(workspace, ANNA, session=session, settings=settings_for(workspace))

    assert not result.failed, result.summary()
    assert any("arviointi-kopio.xlsx" in place.where for place in result.places)
    text = _cell_text(copy)  # still a workbook openpyxl reads
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
