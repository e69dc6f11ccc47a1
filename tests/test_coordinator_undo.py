"""A coordinator's record taken back (``register retire --undo``, ``register answered
--undo``) keeps who took it back and why, as the record itself keeps who made it."""

from __future__ import annotations

import json

from sqlmodel import Session, select
from test_coordinator_audit6 import NEW_LIST, _import

from yhteistuumin_survey.db.engine import open_database
from yhteistuumin_survey.db.models import CoordinatorRecord

TURKU = "kirjaamo@turku.example.fi"


def _records(workspace, kind: str) -> list[CoordinatorRecord]:
    engine = open_database(f"sqlite:///{workspace.root / 'outputs' / 'yhteistuumin.sqlite'}")
    try:
        with Session(engine) as session:
            return list(session.exec(select(CoordinatorRecord).where(
                CoordinatorRecord.kind == kind)))
    finally:
        engine.dispose()


def test_an_address_put_back_in_use_records_who_did_it_and_why(cli, workspace) -> None:
    """Before, 'register retire ADDRESS --undo' kept only the moment: who put a retired
    address back in use, and why, was nowhere (the --reason given was dropped). Now both are
    recorded on the retirement, said back, and shown to the person in her language."""
    _import(cli, workspace, NEW_LIST, "uusi.csv")
    assert cli("register", "retire", TURKU, "--reason", "jäi eläkkeelle",
               env={"USER": "maija"}).exit_code == 0
    back = cli("register", "retire", TURKU, "--undo", "--reason", "väärä henkilö poistettu",
               env={"USER": "pekka"})

    assert back.exit_code == 0, back.output
    assert "(its retirement stays on record, taken back: väärä henkilö poistettu)" in " ".join(
        back.stdout.split())
    (record,) = _records(workspace, "retired")
    assert (record.who, record.reason) == ("maija", "jäi eläkkeelle")
    assert (record.undone_by, record.undo_reason) == ("pekka", "väärä henkilö poistettu")
    assert record.undone_at is not None
    shown = json.loads(cli("person", TURKU, "--format", "json").stdout)
    (listed,) = [r for r in shown["sections"]["records"] if r["kind"] == "retired"]
    assert listed["taken_back_because"] == "väärä henkilö poistettu"
    finnish = " ".join(cli("person", TURKU).stdout.split())
    assert "perumisen syy: väärä henkilö poistettu" in finnish
    swedish = " ".join(cli("person", TURKU, "--lang", "sv").stdout.split())
    assert "orsak till återtagandet: väärä henkilö poistettu" in swedish


def test_an_answer_recorded_by_hand_and_taken_back_records_who_and_why(cli, workspace) -> None:
    """'register answered CODE --undo --reason …' dropped the reason and the login."""
    assert cli("register", "answered", "Kuhmo", "--reason", "ei ilmoitettavaa (puhelu 7.12.)",
               env={"USER": "maija"}).exit_code == 0
    back = cli("register", "answered", "Kuhmo", "--undo", "--reason",
               "vastaus tuli sittenkin lomakkeella", env={"USER": "pekka"})

    assert back.exit_code == 0, back.output
    assert "is taken back (vastaus tuli sittenkin lomakkeella)" in " ".join(back.stdout.split())
    (record,) = _records(workspace, "answered")
    assert (record.who, record.undone_by) == ("maija", "pekka")
    assert record.undo_reason == "vastaus tuli sittenkin lomakkeella"


def test_forget_takes_the_person_out_of_an_undo_reason_too(cli, workspace) -> None:
    """The reason an undo was given is the coordinator's words like the record's own:
    an address in it is erased with the person, and 'person' finds the record by it."""
    _import(cli, workspace, NEW_LIST, "uusi.csv")
    anna = "anna.virtanen@turku.example.fi"
    assert cli("register", "retire", TURKU).exit_code == 0
    assert cli("register", "retire", TURKU, "--undo", "--reason",
               f"pyysi {anna} puhelimessa").exit_code == 0
    shown = json.loads(cli("person", anna, "--format", "json").stdout)
    assert [r["kind"] for r in shown["sections"]["records"]] == ["retired"]

    forgot = cli("forget", anna, "--yes")

    assert forgot.exit_code == 0, forgot.output
    (record,) = _records(workspace, "retired")
    assert anna not in (record.undo_reason or "") and "pyysi" in (record.undo_reason or "")
