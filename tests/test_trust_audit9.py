"""audit9: privacy and faults in the round's later steps (review, publish, purge)."""

from __future__ import annotations

from factories import make_practice
from test_review import fill

from yhteistuumin_survey.db.models import Practice


def _one_line(text: str) -> str:
    return " ".join(text.split())


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
