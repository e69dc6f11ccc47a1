"""audit9: privacy and faults in the round's later steps (review, publish, purge)."""

from __future__ import annotations

import shutil

from factories import make_practice
from sqlmodel import select
from test_review import fill

from yhteistuumin_survey.db.models import Practice, ReviewDecision

ANNA = "anna.virtanen@kerava.example.fi"
PEKKA = "pekka.puupaa@kerava.example.fi"


def _one_line(text: str) -> str:
    return " ".join(text.split())


# --- review: a workbook exported before forget --------------------------------------------------


def test_a_review_workbook_exported_before_forget_brings_back_nothing_of_her(
        workspace, session, db_url, cli, tmp_path):
    """A reviewer returns her copy, exported before Anna asked to be forgotten: Anna's own
    row shows her details and the reviewer typed her address into Pekka's row too. Before,
    her row was refused as 'read again' (not why), and Pekka's comment was stored with her
    address in it, which forget had erased. Now her row says she was erased, and the address
    goes in as the placeholder forget put there."""
    hers = make_practice(session, title="Lukupiiri", status="new", publish_consent=True,
                         contact_name="Anna Virtanen", contact_email=ANNA,
                         contact_phone="040 111 2233")
    pekkas = make_practice(session, title="Runopolku", status="new", publish_consent=True,
                           contact_name="Pekka Puupää", contact_email=PEKKA)
    assert cli("--db", db_url, "review", "export").exit_code == 0
    (exported,) = (workspace.outputs / "review").glob("*.xlsx")
    handed = shutil.copy(exported, tmp_path / "arvioija.xlsx")  # the reviewer's own copy
    fill(handed, {hers.id: {"Päätös": "hyväksytty",
                            "Arvioijan kommentti": f"Soitettu, {ANNA}"},
                  pekkas.id: {"Päätös": "hyväksytty",
                              "Arvioijan kommentti": f"Lisätietoja myös {ANNA.upper()}."}})
    assert cli("--db", db_url, "forget", ANNA, "--yes").exit_code == 0

    done = cli("--db", db_url, "review", "import", str(handed))

    said = _one_line(done.stdout)
    assert done.exit_code == 1, done.output  # her row is not applied
    assert (f"#{hers.id}'s contact details were erased on request (yhteistuumin forget) after "
            "this workbook was exported, and this row still shows them; nothing of it "
            "applied; re-export and decide again, and ask the reviewer to delete this copy"
            ) in said
    assert ("'Arvioijan kommentti' named an address erased on request (yhteistuumin "
            "forget); stored with the erased-…@invalid placeholder in its place, not as "
            "written; this copy of the workbook still holds the erased address: ask the "
            "reviewer to delete it") in said
    assert "anna" not in said.casefold()
    assert said.count("named an address erased") == 1  # Pekka's row: hers is not applied
    session.expire_all()
    assert session.get(Practice, hers.id).status == "new"
    pekka = session.get(Practice, pekkas.id)
    assert pekka.status == "approved"
    assert pekka.reviewer_comment.startswith("Lisätietoja myös erased-")
    assert pekka.reviewer_comment.endswith("@invalid.")
    for decision in session.exec(select(ReviewDecision)):
        assert "anna" not in (decision.comment or "").casefold()


# --- review: a workbook still open in Excel or LibreOffice --------------------------------------


def test_a_review_workbook_still_open_says_so_and_a_lock_file_is_not_read(
        workspace, session, db_url, cli, tmp_path):
    """LibreOffice's lock file given to review import was read as a workbook ('no review
    sheet ... is this a workbook made by review export?'), and a workbook imported while
    Excel or LibreOffice had it open (their lock file beside it) said nothing: the edits not
    saved yet were silently not in it."""
    practice = make_practice(session, title="Runopolku", status="new")
    assert cli("--db", db_url, "review", "export").exit_code == 0
    (exported,) = (workspace.outputs / "review").glob("*.xlsx")
    aino = fill(exported, {practice.id: {"Päätös": "hyväksytty"}}, tmp_path / "aino.xlsx")
    bertil = fill(aino, {practice.id: {"Arvioijan kommentti": "Hyvä"}}, tmp_path / "bertil.xlsx")
    lock = tmp_path / ".~lock.aino.xlsx#"
    lock.write_text(",Aino Arvioija,kone,07.12.2026 09:12,file:///home/aino/.config;\n",
                    encoding="utf-8")
    (tmp_path / "~$bertil.xlsx").write_bytes(b"\x0dBertil Berg" + b"\x20" * 40)

    done = cli("--db", db_url, "review", "import", str(aino), str(lock), str(bertil))

    said = _one_line(done.stdout)
    assert done.exit_code == 0, done.output
    assert (f"{lock}: warning: LibreOffice's lock file, not a workbook, so not read; aino.xlsx "
            "may still be open in LibreOffice: save and close it, then import it again if it "
            "changed") in said
    for path, program in ((aino, "LibreOffice"), (bertil, "Excel")):
        assert (f"{path}: warning: {program} has it open (its lock file is beside it): what "
                "is not saved yet is not in what was read; save and close it, then import it "
                "again if it changed") in said
    assert "no review sheet" not in said
    session.expire_all()
    assert session.get(Practice, practice.id).status == "approved"
