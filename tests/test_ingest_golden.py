"""Golden files: each real-shaped input of tests/data/ingest against its expected records.

Regenerate after a deliberate change with ``UPDATE_GOLDEN=1 pytest tests/test_ingest_golden.py``
and review the diff of tests/golden/ingest/.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from ingest_support import DATA, GOLDEN, practices, run_ingest, stable_items

CASES = [
    "msforms.xlsx", "msforms-sv.csv", "googleforms.csv", "googleforms-sheet.xlsx",
    "webropol.xlsx", "limesurvey-codes.csv", "limesurvey-texts.csv", "table.tsv",
    "questionnaire-like.xlsx", "questionnaire.xlsx", "questionnaire.ods",
    "mail-attachment-and-body.eml", "mail-attachment-and-body.msg", "mail-body-only.eml",
]


def _submissions(engine) -> list[dict]:
    from sqlmodel import Session, col, select

    from yhteistuumin_survey.db.models import Submission

    with Session(engine) as session:
        rows = session.exec(select(Submission).order_by(col(Submission.id))).all()
        return [{"locator": r.locator, "format": r.format, "status": r.status,
                 "raw_keys": sorted(r.raw)} for r in rows]


@pytest.mark.parametrize("name", CASES)
def test_ingest_matches_golden_records(name: str, sqlite_engine, workspace, tmp_path: Path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(DATA / name, inbox / name)
    result = run_ingest([inbox / name], engine=sqlite_engine, workspace=workspace)
    actual = {
        "items": stable_items(result, inbox),
        "mappings": [{"sheet": m.sheet, "format": m.format,
                      "columns": [c.to_dict() for c in m.columns]} for m in result.mappings],
        "submissions": _submissions(sqlite_engine),
        "practices": practices(sqlite_engine),
    }
    golden = GOLDEN / f"{name}.json"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(json.dumps(actual, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    expected = json.loads(golden.read_text(encoding="utf-8"))
    assert actual == expected
