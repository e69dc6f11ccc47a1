"""The held-out corpus (tests/data/ingest/corpus): every record of every source read right.

The corpus and its expected records are written by ``make_corpus.py`` from public descriptions
of each export's shape (tests/data/README.md); ``check_corpus.py`` ingests all of it into a
fresh workspace and SQLite database and compares each record field by field.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

CORPUS = Path(__file__).resolve().parent / "data" / "ingest" / "corpus"


def _checker():
    spec = importlib.util.spec_from_file_location("check_corpus", CORPUS / "check_corpus.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_record_of_the_held_out_corpus_is_read_right(tmp_path):
    result = _checker().check(tmp_path)
    wrong = {source: row["problems"] for source, row in result.items() if row["wrong"]}
    assert wrong == {}
    assert sum(row["total"] for row in result.values()) == 1522
    # The long table is one response per row, not one questionnaire-like sheet.
    assert result["table-1500.csv"]["right"] == 1500
