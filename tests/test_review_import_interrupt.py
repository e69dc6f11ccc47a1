"""An interrupt that lands after a review import committed its decisions (while the report
is made) said "no decision of these workbooks was stored": false, and the reviewer would
have worried over decisions the database holds. Now the database is asked what was stored."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("stopped", ["interrupt", "sqlalchemy's error in its place"])
def test_an_interrupt_after_the_commit_says_the_decisions_are_stored(
        cli, workspace, tmp_path, monkeypatch, stopped) -> None:
    from cli_support import interrupt_replaced
    from factories import make_practice
    from sqlmodel import Session, select
    from test_review import fill

    from yhteistuumin_survey.db.engine import open_database
    from yhteistuumin_survey.db.models import Practice, ReviewDecision
    from yhteistuumin_survey.review import import_ as review_import

    engine = open_database(f"sqlite:///{workspace.outputs / 'yhteistuumin.sqlite'}")
    with Session(engine, expire_on_commit=False) as session:
        ids = [make_practice(session, title=title).id for title in ("Lukupiiri", "Kirjastoauto")]
    out = tmp_path / "arviointi.xlsx"
    assert cli("review", "export", "--out", str(out)).exit_code == 0
    fill(out, {pid: {"Päätös": "hyväksytty"} for pid in ids})
    real = review_import._check_and_apply

    def interrupted_after_the_commit(*args, **kwargs):  # type: ignore[no-untyped-def]
        real(*args, **kwargs)  # applied and committed; then Ctrl-C
        if stopped == "interrupt":
            raise KeyboardInterrupt
        interrupt_replaced()

    monkeypatch.setattr(review_import, "_check_and_apply", interrupted_after_the_commit)
    result = cli("review", "import", str(out))
    assert result.exit_code == 130
    assert result.stderr.strip().splitlines()[-1] == (
        "Interrupted: it came after the decisions were stored (2 decisions of these "
        "workbooks); importing them again changes nothing more and shows the report")
    with Session(engine) as session:
        assert {p.status for p in session.exec(select(Practice))} == {"approved"}
        assert len(session.exec(select(ReviewDecision)).all()) == 2
    monkeypatch.undo()
    # As said: the same workbook again changes nothing.
    again = cli("review", "import", str(out))
    assert again.exit_code == 0, again.output
    with Session(engine) as session:
        assert len(session.exec(select(ReviewDecision)).all()) == 2
    engine.dispose()


def test_decisions_of_an_earlier_import_are_not_counted_as_this_ones(
        cli, workspace, tmp_path, monkeypatch) -> None:
    """Before the commit nothing of this import is stored, whatever earlier imports stored of
    other workbooks (or of this one)."""
    from factories import make_practice
    from sqlmodel import Session
    from test_review import fill

    from yhteistuumin_survey.db.engine import open_database
    from yhteistuumin_survey.review import import_ as review_import

    engine = open_database(f"sqlite:///{workspace.outputs / 'yhteistuumin.sqlite'}")
    with Session(engine, expire_on_commit=False) as session:
        first, second = (make_practice(session, title=t).id for t in ("Lukupiiri", "Kuoro"))
    earlier, later = tmp_path / "eka.xlsx", tmp_path / "toka.xlsx"
    assert cli("review", "export", "--out", str(earlier)).exit_code == 0
    fill(earlier, {first: {"Päätös": "hyväksytty"}})
    assert cli("review", "import", str(earlier)).exit_code == 0
    assert cli("review", "export", "--out", str(later)).exit_code == 0
    fill(later, {second: {"Päätös": "hylätty"}})

    def interrupted_before(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise KeyboardInterrupt

    monkeypatch.setattr(review_import, "_write_decisions", interrupted_before)
    result = cli("review", "import", str(later), str(earlier))
    assert result.exit_code == 130
    assert result.stderr.strip().splitlines()[-1] == (
        "Interrupted: no decision of these workbooks was stored; run the same command again")
    engine.dispose()
