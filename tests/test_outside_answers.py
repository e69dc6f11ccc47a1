"""``register answered``: an answer that came another way ("ei ilmoitettavaa", a phone call)
is recorded, counted as an answer, never reminded; taken back with ``--undo``; erased with
the person its reason names. On SQLite and PostgreSQL (``engine``)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import Session

from yhteistuumin_survey.db.models import Contact, OutboundMessage
from yhteistuumin_survey.errors import InputError
from yhteistuumin_survey.followup import follow_up
from yhteistuumin_survey.mailer import plan_round
from yhteistuumin_survey.outside_answers import record_outside_answer
from yhteistuumin_survey.status import answered_codes

NOW = dt.datetime(2027, 1, 20, 10, 0, tzinfo=dt.UTC)
KUHMO, SOTKAMO = "290", "765"


def _invited(session: Session, round_name: str) -> None:
    """Kuhmo and Sotkamo invited ten days ago, neither has answered: both are due a reminder."""
    for code in (KUHMO, SOTKAMO):
        address = f"kulttuuri@{code}.example.fi"
        session.add(Contact(municipality_code=code, email=address))
        when = NOW - dt.timedelta(days=10)
        session.add(OutboundMessage(round_name=round_name, municipality_code=code,
                                    address=address, kind="invite", state="sent", sent_at=when,
                                    sending_at=when, updated_at=when))
    session.commit()


def _reminded(session: Session, settings) -> set[str]:
    plan = plan_round(session=session, settings=settings, kind="remind", only=[KUHMO, SOTKAMO],
                      now=NOW)
    return {m.municipality_code for m in plan.to_send}


def test_a_municipality_recorded_as_answered_is_counted_and_never_reminded(engine, settings):
    with Session(engine, expire_on_commit=False) as session:
        _invited(session, settings.round_name)
        assert _reminded(session, settings) == {KUHMO, SOTKAMO}

        done = record_outside_answer("Kuhmo", session=session, round_name=settings.round_name,
                                     reason="ei ilmoitettavaa tällä kertaa (sähköposti 7.1.)",
                                     now=NOW)
        assert done.summary()[0].startswith(
            "Kuhmo (290): recorded as answered in round " + settings.round_name)

        assert _reminded(session, settings) == {SOTKAMO}
        plan = plan_round(session=session, settings=settings, kind="remind", only=[KUHMO],
                          now=NOW)
        assert [s.reason for s in plan.skipped if s.municipality_code == KUHMO] == ["answered"]
        assert answered_codes(session=session, round_name=settings.round_name) == {KUHMO}
        assert answered_codes(session=session, round_name="another round") == set()
        rows = {row["code"]: row for row in follow_up(
            session=session, round_name=settings.round_name, now=NOW,
            max_reminders=int(settings.get("reminders.max")),
            min_days=int(settings.get("reminders.min_days"))).rows}
        assert rows[KUHMO]["answered_how"] == ["recorded"]
        assert (rows[KUHMO]["next_action"], rows[SOTKAMO]["next_action"]) == ("nothing", "remind")


def test_an_answer_recorded_twice_is_refused_and_undo_takes_it_back(engine, settings):
    with Session(engine, expire_on_commit=False) as session:
        _invited(session, settings.round_name)
        record_outside_answer(KUHMO, session=session, round_name=settings.round_name,
                              reason="puhelu 7.1.: ei käytäntöjä", now=NOW)
        with pytest.raises(InputError, match=r"already recorded as answered .*puhelu 7\.1\."):
            record_outside_answer(KUHMO, session=session, round_name=settings.round_name,
                                  reason="again", now=NOW)
        with pytest.raises(InputError, match="--reason"):
            record_outside_answer(SOTKAMO, session=session, round_name=settings.round_name,
                                  reason="  ", now=NOW)

        undone = record_outside_answer(KUHMO, session=session, round_name=settings.round_name,
                                       undo=True)
        assert undone.count == 1 and "taken back" in undone.summary()[0]
        assert _reminded(session, settings) == {KUHMO, SOTKAMO}
        assert "nothing taken back" in record_outside_answer(
            KUHMO, session=session, round_name=settings.round_name, undo=True).summary()[0]


def test_forget_takes_the_person_out_of_a_recorded_answer_and_person_lists_it(
        sqlite_engine, settings, workspace):
    from yhteistuumin_survey.person import person_report
    from yhteistuumin_survey.privacy import forget_person

    address = "anna.virtanen@kuhmo.example.fi"
    with Session(sqlite_engine, expire_on_commit=False) as session:
        record_outside_answer(KUHMO, session=session, round_name=settings.round_name,
                              reason=f"{address} soitti: ei ilmoitettavaa", now=NOW)
        record_outside_answer(SOTKAMO, session=session, round_name=settings.round_name,
                              reason="hanna.virtanen@kuhmo.example.fi: ei ilmoitettavaa",
                              now=NOW)
        shown = person_report(workspace, address, session=session).to_dict()
        assert json_has(shown, "soitti: ei ilmoitettavaa")
        forget_person(workspace, address, session=session, settings=settings)
    with Session(sqlite_engine) as session:
        from sqlmodel import select

        from yhteistuumin_survey.db.models import CoordinatorRecord

        details = {r.municipality_code: r.reason
                   for r in session.exec(select(CoordinatorRecord))}
        assert "anna.virtanen" not in details[KUHMO] and "soitti" in details[KUHMO]
        # An address holding hers is another person's: left as it was.
        assert details[SOTKAMO] == "hanna.virtanen@kuhmo.example.fi: ei ilmoitettavaa"
        # Still an answer: the record stays, without her.
        assert answered_codes(session=session, round_name=settings.round_name) == \
            {KUHMO, SOTKAMO}


def json_has(value, text: str) -> bool:
    import json

    return text in json.dumps(value, ensure_ascii=False)


def test_a_near_spelling_of_the_municipality_is_refused_never_taken_for_it(engine, settings):
    """'Kuopo' is not Kuopio: an answer recorded for the wrong municipality would stop its
    reminders. The same rule serves register checked and practices list -m."""
    with Session(engine, expire_on_commit=False) as session:
        with pytest.raises(InputError, match=r"'Kuopo' is not a name in the register \(did you "
                                             r"mean Kuopio \(297\)\?\); write the name"):
            record_outside_answer("Kuopo", session=session, round_name=settings.round_name,
                                  reason="puhelu", now=NOW)
        assert answered_codes(session=session, round_name=settings.round_name) == set()
        done = record_outside_answer("Kuopio", session=session, round_name=settings.round_name,
                                     reason="puhelu", now=NOW)
        assert done.code == "297"
