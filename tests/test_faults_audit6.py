"""Audit 6: faults, privacy and hostile input (memory of a big message, a failed publish, the
times ``person`` shows, what ``forget`` can still say, zip names, limits as settings, the
LimeSurvey participants file)."""

from __future__ import annotations

import zipfile

import pytest

from ingest_support import DATA, run_ingest


def test_a_zip_member_named_with_windows_backslashes_is_ingested_and_its_name_said(
        engine, workspace, tmp_path):
    archive = tmp_path / "vastaukset.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.write(DATA / "googleforms.csv", "..\\..\\x.csv")
    result = run_ingest([archive], engine=engine, workspace=workspace)
    rows = [(r["file"].replace(f"{tmp_path}/", ""), r["outcome"]) for r in result.rows()]
    assert rows == [("vastaukset.zip » x.csv (sent as '..\\..\\x.csv')", "new"),
                    ("vastaukset.zip » x.csv (sent as '..\\..\\x.csv')", "new")]
    assert not (tmp_path.parent / "x.csv").exists()


# --- 2. A publish that fails or is interrupted leaves the CMS folder as it was too ----------


@pytest.mark.parametrize("fault", ["error", "interrupt"])
def test_a_failed_or_interrupted_publish_leaves_the_cms_markdown_as_it_was(
        cli, workspace, monkeypatch, fault):
    """Pagefind fails (or Ctrl-C) after the card pages went in place: the CMS Markdown is the
    last publish's (a card changed, one withdrawn, one new: none of it shows), and the next
    publish writes it all."""
    from factories import make_practice
    from publish_support import tree_digest, two_approved_one_rejected
    from sqlmodel import Session

    from yhteistuumin_survey import publish
    from yhteistuumin_survey.db.engine import open_database
    from yhteistuumin_survey.db.models import Practice
    from yhteistuumin_survey.errors import SurveyError

    two_approved_one_rejected(workspace)
    cms = workspace.outputs / "cms"
    assert cli("publish").exit_code == 0
    before = tree_digest(cms)
    assert any("kirjastokaveri" in name for name in before)
    engine = open_database(f"sqlite:///{workspace.outputs / 'yhteistuumin.sqlite'}")
    with Session(engine) as session:  # one card withdrawn, one new
        withdrawn = session.get(Practice, 2)  # Kirjastokaveri
        assert withdrawn is not None
        withdrawn.status = "rejected"
        session.add(withdrawn)
        session.commit()
        make_practice(session, title="Uusi kulttuurikerho", status="approved")
    engine.dispose()

    def fails(*args, **kwargs):  # type: ignore[no-untyped-def]
        if fault == "interrupt":
            raise KeyboardInterrupt
        raise SurveyError("the Pagefind search indexer failed")

    monkeypatch.setattr(publish, "build_search_index", fails)
    stopped = cli("publish")
    assert stopped.exit_code == (130 if fault == "interrupt" else 1), stopped.output
    assert "the site is as it was" in stopped.stderr
    assert tree_digest(cms) == before  # nothing new, nothing gone, nothing aside
    monkeypatch.undo()
    assert cli("publish").exit_code == 0
    after = tree_digest(cms)
    assert any("uusi-kulttuurikerho" in name for name in after)
    assert not any("kirjastokaveri" in name for name in after)
    assert not any(publish.UNDO_FOLDER in name for name in after)
