"""Cases found by trying the ingest on files crafted the way municipalities send them.

Each test writes a real file, ingests it into a real database and reads back what came out:
nothing a municipality sent may be silently lost, and what is unsure is flagged.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from ingest_support import DATA, practices, run_ingest
from openpyxl import load_workbook


def _questionnaire(folder: Path, name: str = "vastaus.xlsx") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    shutil.copy(DATA / "questionnaire.xlsx", target)
    return target


def _by_title(engine) -> dict[str, dict]:
    return {p["title"]: p for p in practices(engine)}


def test_a_practice_on_a_hidden_sheet_is_read_and_flagged_not_dropped(sqlite_engine, workspace,
                                                                       tmp_path):
    path = _questionnaire(tmp_path / "in")
    workbook = load_workbook(path)
    sheet = workbook["Käytäntö 1"]
    sheet["B5"] = "Piilotettu lukupiiri"
    sheet.sheet_state = "hidden"
    workbook.active = 0
    workbook.save(path)

    result = run_ingest([path], engine=sqlite_engine, workspace=workspace)

    hidden = _by_title(sqlite_engine)["Piilotettu lukupiiri"]
    assert "hidden-sheet" in hidden["flags"]
    row = next(r for r in result.rows() if r["sheet"] == "Käytäntö 1")
    assert "hidden sheet" in row["reason"]
    # The visible sheets are read as before, without the flag.
    others = [p for p in practices(sqlite_engine) if p["title"] != "Piilotettu lukupiiri"]
    assert others and all("hidden-sheet" not in p["flags"] for p in others)
