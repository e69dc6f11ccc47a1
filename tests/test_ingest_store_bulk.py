"""Storing a file's rows in bulk through the driver: the ids follow the files' order, the
database's own id counters stay right for everything stored later, and the JSON written is
the JSON SQLAlchemy's JSON type wrote."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st
from ingest_support import DATA, run_ingest


def _folder(tmp_path: Path, *names: str) -> Path:
    folder = tmp_path / names[0]
    folder.mkdir()
    for name in names:
        shutil.copy(DATA / name, folder / name)
    return folder


def test_rows_stored_later_get_new_ids_after_a_bulk_ingest(engine, workspace, tmp_path):
    from sqlmodel import Session, col, select

    from yhteistuumin_survey.db.models import Practice, Submission

    first = run_ingest([_folder(tmp_path, "msforms.xlsx")], engine=engine, workspace=workspace)
    assert first.counts["new"] >= 2
    with Session(engine) as session:
        before = session.exec(select(col(Practice.id)).order_by(col(Practice.id))).all()
        # A practice added the ordinary way (the ORM, the database's counter) after the bulk
        # insert: PostgreSQL's sequence must have moved past the ids the ingest reserved.
        practice = Practice(identity_key="added-later")
        session.add(practice)
        session.commit()
        assert practice.id is not None and practice.id > max(before)
    second = run_ingest([_folder(tmp_path, "questionnaire.xlsx")], engine=engine,
                        workspace=workspace)
    assert second.counts.get("new", 0) >= 2, second.counts
    made = [r["practice_id"] for r in second.rows()
            if r["outcome"] in ("new", "duplicate candidate")]
    with Session(engine) as session:
        ids = session.exec(select(col(Practice.id)).order_by(col(Practice.id))).all()
        assert len(ids) == len(set(ids)) == len(before) + 1 + len(made)
        assert min(made) > practice.id  # the second file's practices come after
        assert made == sorted(made)  # in the order of the file's rows
        submissions = session.exec(select(Submission.received_file_id, Submission.id)
                                   .order_by(col(Submission.id))).all()
        files = [file_id for file_id, _ in submissions]
        assert files == sorted(files)  # a file's submissions after the earlier file's


@given(st.lists(st.text(), max_size=6) | st.tuples(st.text(), st.text()))
def test_a_list_of_texts_is_written_as_json_dumps_writes_it(items):
    from yhteistuumin_survey.ingest.store import _json_list

    assert _json_list(items) == json.dumps(items)


@given(st.lists(st.text() | st.integers() | st.none() | st.booleans()
                | st.lists(st.text(), max_size=2), min_size=1, max_size=6))
def test_a_list_holding_other_values_than_texts_is_written_as_json_dumps_writes_it(items):
    from yhteistuumin_survey.ingest.store import _json_list

    assert _json_list(items) == json.dumps(items)
