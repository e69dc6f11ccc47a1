"""A worker process reads and normalises the next table files while the ingest stores: what is
stored is the same as when one process does everything, and a worker that fails or dies only
costs speed."""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from ingest_support import DATA, practices, stable_items

NAMES = ["msforms.xlsx", "webropol.xlsx", "limesurvey-codes.csv", "questionnaire.xlsx",
         "googleforms.csv"]


def _inputs(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name in NAMES:
        shutil.copy(DATA / name, folder / name)
    return folder


def _rows(prepared) -> list[tuple]:
    """A prepared file's rows as they are stored: (index, record without its answers, the
    raw answers' JSON text, practice), batch by batch."""
    rows = []
    for batch in prepared.batches():
        for index, record, practice in batch:
            rows.append((index, dataclasses.replace(record, raw={}, answers={}, raw_json=None),
                         record.raw_text(), practice))
    return rows


def _alone(tmp_path: Path, workspace, sqlite_template: Path, folder: Path):
    """The same files ingested by this process alone, into a database of its own."""
    from fixtures_house import copy_sqlite_template
    from sqlmodel import Session

    from yhteistuumin_survey.config import load_settings
    from yhteistuumin_survey.db.engine import open_database
    from yhteistuumin_survey.ingest import ingest_paths

    tmp_path.mkdir(parents=True, exist_ok=True)
    copy_sqlite_template(sqlite_template, tmp_path / "alone.sqlite")
    engine = open_database(f"sqlite:///{tmp_path / 'alone.sqlite'}")
    with Session(engine, expire_on_commit=False) as session:
        result = ingest_paths([folder], session=session, workspace=workspace,
                              settings=load_settings(workspace.root, env={}), workers=1)
    return result, engine


@pytest.fixture
def always_pipelined(monkeypatch):
    """The pipeline for any batch of two or more tables."""
    import yhteistuumin_survey.ingest as ingest

    monkeypatch.setattr(ingest, "PARALLEL_MIN_BYTES", 0)


def _piped(paths: list[Path], *, engine, workspace):
    """Ingest with two processes: a worker reads ahead, this one stores."""
    from sqlmodel import Session

    from yhteistuumin_survey.config import load_settings
    from yhteistuumin_survey.ingest import ingest_paths

    with Session(engine, expire_on_commit=False) as session:
        return ingest_paths(paths, session=session, workspace=workspace,
                            settings=load_settings(workspace.root, env={}), workers=2)


def test_files_a_worker_process_read_are_stored_as_if_read_here(
        engine, workspace, tmp_path, sqlite_template, always_pipelined):
    folder = _inputs(tmp_path / "in")
    piped = _piped([folder], engine=engine, workspace=workspace)
    alone, alone_engine = _alone(tmp_path, workspace, sqlite_template, folder)
    assert stable_items(piped, folder) == stable_items(alone, folder)
    assert practices(engine) == practices(alone_engine)
    assert piped.counts.get("error") is None and piped.counts["new"] >= 5
    alone_engine.dispose()


def test_the_worker_starts_before_the_files_are_checked_and_is_stopped_when_none_is_new(
        engine, workspace, tmp_path, always_pipelined, monkeypatch):
    from yhteistuumin_survey.ingest import pipeline

    spawned: list = []
    real = pipeline.spawn_workers

    def recording(count):
        spawned.extend(workers := real(count))
        return workers

    monkeypatch.setattr(pipeline, "spawn_workers", recording)
    folder = _inputs(tmp_path / "in")
    first = _piped([folder], engine=engine, workspace=workspace)
    assert len(spawned) == 1 and spawned[0].started  # the pipeline took the early worker
    assert first.counts["new"] >= 5 and first.counts.get("error") is None

    # The same files again: nothing is new, the worker started early is stopped, not waited
    # for, and no process is left behind.
    spawned.clear()
    again = _piped([folder], engine=engine, workspace=workspace)
    assert len(spawned) == 1 and not spawned[0].started
    assert spawned[0].process.returncode is not None
    assert again.counts.get("new") is None and again.counts.get("error") is None
    assert sum(again.counts.values()) == len(NAMES)


def test_a_worker_sends_back_the_records_and_practices_it_read(workspace):
    from yhteistuumin_survey.ingest.pipeline import Pipeline
    from yhteistuumin_survey.ingest.prepare import Reader

    paths = [DATA / name for name in NAMES]
    here = Reader(workspace, "auto")
    pipeline = Pipeline(1, [(key, path, path.stat().st_size) for key, path in enumerate(paths)],
                        split_bytes=10**9, workspace=workspace, source="auto")
    try:
        for key, path in enumerate(paths):
            take = pipeline.take(key)
            assert take is not None
            theirs, mine = take(), here.prepare(path, str(path))
            assert mine.parsed is not None and theirs.parsed is not None
            assert theirs.error == mine.error
            assert theirs.parsed.mappings == mine.parsed.mappings
            assert (theirs.parsed.notes, theirs.parsed.problems) == \
                (mine.parsed.notes, mine.parsed.problems)
            # Only normalising reads the answers; the raw answers come as their JSON text,
            # the rows in the order they are stored.
            got, read = _rows(theirs), _rows(mine)
            assert got == read and len(got) > 0
    finally:
        pipeline.close()
    assert pipeline.workers[0].process.returncode == 0


def test_two_workers_sharing_each_file_give_its_rows_whole(workspace):
    """With more than one worker, a long file is shared: each normalises every other row and
    the rows come back whole, in the order they are stored."""
    from yhteistuumin_survey.ingest.pipeline import Pipeline
    from yhteistuumin_survey.ingest.prepare import Reader

    paths = [DATA / name for name in NAMES]
    here = Reader(workspace, "auto")
    pipeline = Pipeline(2, [(key, path, path.stat().st_size) for key, path in enumerate(paths)],
                        split_bytes=0, workspace=workspace, source="auto")
    try:
        for key, path in enumerate(paths):
            take = pipeline.take(key)
            assert take is not None
            got = _rows(take())
            assert got == _rows(here.prepare(path, str(path))) and len(got) > 0
    finally:
        pipeline.close()
    assert [worker.process.returncode for worker in pipeline.workers] == [0, 0]


def test_while_the_worker_is_busy_this_process_prepares_the_next_files(workspace, tmp_path,
                                                                       monkeypatch):
    """Files come in their order whoever prepared them: the ones after a file the worker is
    still busy with are prepared here meanwhile, not given to the worker."""
    import yhteistuumin_survey.ingest.pipeline as pipeline
    from yhteistuumin_survey.ingest.prepare import Reader

    go = tmp_path / "go"  # the worker starts on its first file only when this exists
    monkeypatch.setattr(pipeline, "AHEAD_FILES", 1)  # and is given one file at a time
    monkeypatch.setattr(pipeline, "_WORKER_CODE", (
        "import json, os, sys, time; sys.path[:0] = json.loads(sys.argv[1])\n"
        f"while not os.path.exists({str(go)!r}): time.sleep(0.02)\n"
        "from yhteistuumin_survey.ingest.pipeline import serve; serve(int(sys.argv[2]))\n"))
    paths = [DATA / name for name in NAMES]
    reader = Reader(workspace, "auto")
    prepared_here: list[Path] = []

    def here(path: Path, display: str):
        prepared_here.append(path)
        if len(prepared_here) == len(paths) - 1:
            go.touch()
        return reader.prepare(path, display)

    piped = pipeline.Pipeline(1, [(key, path, path.stat().st_size)
                                  for key, path in enumerate(paths)],
                              split_bytes=10**9, workspace=workspace, source="auto", here=here)
    try:
        for key, path in enumerate(paths):
            take = piped.take(key)
            assert take is not None
            got, expected = take(), Reader(workspace, "auto").prepare(path, str(path))
            assert got.parsed is not None and expected.parsed is not None
            assert _rows(got) == _rows(expected)
            assert (got.parsed.mappings, got.parsed.notes, got.parsed.problems) == \
                (expected.parsed.mappings, expected.parsed.notes, expected.parsed.problems)
    finally:
        piped.close()
    assert prepared_here == paths[1:]  # the first file was the worker's
    assert piped.workers[0].process.returncode == 0


def slow_rows_worker(seconds: float) -> str:
    """A worker's program whose every batch of rows (one row each) takes ``seconds`` to
    normalise; a batch sent as read (the parent wished for it) goes at once."""
    return ("import json, sys, time; sys.path[:0] = json.loads(sys.argv[1])\n"
            "import yhteistuumin_survey.ingest.prepare as prepare\n"
            "prepare.BATCH_ROWS = 1\n"
            "import yhteistuumin_survey.ingest.pipeline as pipeline\n"
            "def slow(post):\n"
            "    def post_slowly(message):\n"
            "        if message[0] == 'rows':\n"
            f"            time.sleep({seconds})\n"
            "        post(message)\n"
            "    return post_slowly\n"
            "send = pipeline._send_file\n"
            "pipeline._send_file = lambda post, *args: send(slow(post), *args)\n"
            "pipeline.serve(int(sys.argv[2]))\n")


def test_while_a_file_s_rows_are_late_this_process_prepares_the_next_files(workspace,
                                                                          monkeypatch):
    """The worker sends a long export's head at once and its rows as it normalises them:
    while a batch is late, the files after it are prepared here, not waited for."""
    import yhteistuumin_survey.ingest.pipeline as pipeline
    from yhteistuumin_survey.ingest.prepare import Reader

    monkeypatch.setattr(pipeline, "AHEAD_FILES", 1)
    monkeypatch.setattr(pipeline, "_WORKER_CODE", slow_rows_worker(1.0))
    paths = [DATA / name for name in ("googleforms.csv", *[n for n in NAMES
                                                          if n != "googleforms.csv"])]
    reader = Reader(workspace, "auto")
    prepared_here: list[Path] = []

    def here(path: Path, display: str):
        prepared_here.append(path)
        return reader.prepare(path, display)

    piped = pipeline.Pipeline(1, [(key, path, path.stat().st_size)
                                  for key, path in enumerate(paths)],
                              split_bytes=10**9, workspace=workspace, source="auto", here=here)
    try:
        first = piped.take(0)
        assert first is not None
        while not piped.workers[0].has_message():  # the worker has started and read the file
            time.sleep(0.01)
        got = first()
        assert prepared_here == []  # its head had come: nothing prepared here for it
        rows = _rows(got)
        assert rows == _rows(Reader(workspace, "auto").prepare(paths[0], str(paths[0])))
        # While its rows were late: the files after it but the next, which went to the worker
        # when this one was taken.
        assert prepared_here == paths[2:]
        for key in range(1, len(paths)):
            take = piped.take(key)
            assert take is not None and _rows(take()) == \
                _rows(Reader(workspace, "auto").prepare(paths[key], str(paths[key])))
    finally:
        piped.close()


@pytest.mark.parametrize("code", [
    "import sys; sys.exit(3)",  # does not even start
    # dies after its first file, as a killed process does
    "import json, os, sys, time; sys.path[:0] = json.loads(sys.argv[1])\n"
    "import yhteistuumin_survey.ingest.pipeline as pipeline\n"
    "send = pipeline._send_file\n"
    "def once(*args):\n"
    "    send(*args)\n"
    "    time.sleep(0.5)\n"  # its messages gone out
    "    os._exit(9)\n"
    "pipeline._send_file = once\n"
    "pipeline.serve(int(sys.argv[2]))\n",
    # dies half-way through its first file: two batches sent, the rest never comes
    "import json, os, sys, time; sys.path[:0] = json.loads(sys.argv[1])\n"
    "import yhteistuumin_survey.ingest.prepare as prepare\n"
    "prepare.BATCH_ROWS = 1\n"
    "import yhteistuumin_survey.ingest.pipeline as pipeline\n"
    "sent = []\n"
    "def post_then_die(post):\n"
    "    def post_some(message):\n"
    "        post(message)\n"
    "        sent.append(message[0])\n"
    "        if sent.count('rows') == 2:\n"
    "            time.sleep(0.5)\n"
    "            os._exit(9)\n"
    "    return post_some\n"
    "send = pipeline._send_file\n"
    "pipeline._send_file = lambda post, *args: send(post_then_die(post), *args)\n"
    "pipeline.serve(int(sys.argv[2]))\n",
    # sends rows this process cannot read: the connection is given up, the files read here
    "import json, sys; sys.path[:0] = json.loads(sys.argv[1])\n"
    "import yhteistuumin_survey.ingest.pipeline as pipeline\n"
    "send = pipeline._Channel.send\n"
    "def garbled(self, message):\n"
    "    if message and message[0] == 'rows':\n"
    "        self.writer.write(b'not a pickle')\n"
    "        self.writer.flush()\n"
    "        return\n"
    "    send(self, message)\n"
    "pipeline._Channel.send = garbled\n"
    "pipeline.serve(int(sys.argv[2]))\n",
], ids=["never-starts", "dies-after-one-file", "dies-half-way-through-a-file",
        "sends-what-cannot-be-read"])
def test_a_worker_that_dies_only_costs_speed(engine, workspace, tmp_path, sqlite_template,
                                              always_pipelined, monkeypatch, code):
    """On SQLite and PostgreSQL: what a worker sent of a file before it died is rolled back
    and the file read here. (PostgreSQL does not give back the ids a rollback took from its
    sequences: the practices are compared in order, their ids aside.)"""
    import yhteistuumin_survey.ingest.pipeline as pipeline

    monkeypatch.setattr(pipeline, "_WORKER_CODE", code)
    folder = _inputs(tmp_path / "in")
    piped = _piped([folder], engine=engine, workspace=workspace)
    alone, alone_engine = _alone(tmp_path, workspace, sqlite_template, folder)
    assert _ids_aside(stable_items(piped, folder)) == _ids_aside(stable_items(alone, folder))
    assert _ids_aside(practices(engine)) == _ids_aside(practices(alone_engine))
    assert piped.counts == alone.counts
    alone_engine.dispose()


def _ids_aside(items: list[dict]) -> list[dict]:
    import re

    def aside(value):
        if isinstance(value, list):
            return [aside(part) for part in value]
        return re.sub(r"(practice |possible-duplicate:)\d+", r"\1#", value) \
            if isinstance(value, str) else value

    return [{key: aside(value) for key, value in item.items() if key not in ("id", "practice_id")}
            for item in items]


def test_a_script_without_a_main_guard_ingests_once(workspace, tmp_path):
    """The worker is not started by running the main script again (multiprocessing's spawn
    would: a script that ingests at its top level would ingest in the worker too)."""
    folder = _inputs(tmp_path / "in")
    script = tmp_path / "run.py"
    script.write_text(
        "import os\n"
        "from pathlib import Path\n"
        "from sqlmodel import Session\n"
        "import yhteistuumin_survey.ingest as ingest\n"
        "from yhteistuumin_survey.config import load_settings\n"
        "from yhteistuumin_survey.db.engine import open_database\n"
        "from yhteistuumin_survey.workspace import Workspace\n"
        "ingest.PARALLEL_MIN_BYTES = 0\n"
        f"workspace = Workspace(Path({str(workspace.root)!r}))\n"
        "engine = open_database(f\"sqlite:///{workspace.root / 'outputs' / 'yhteistuumin.sqlite'}\")\n"
        "with Session(engine) as session:\n"
        f"    result = ingest.ingest_paths([Path({str(folder)!r})], session=session,\n"
        "        workspace=workspace, settings=load_settings(workspace.root, env={}))\n"
        "print('counts', sorted(result.counts.items()))\n", encoding="utf-8")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("counts") == 1
    assert "('new', " in done.stdout and "error" not in done.stdout


def test_a_worker_by_default_on_two_cores_and_for_a_batch_big_enough(monkeypatch):
    import yhteistuumin_survey.ingest as ingest

    monkeypatch.setattr(ingest.os, "sched_getaffinity", lambda pid: {0, 1, 2, 3})
    assert ingest.default_workers() == 2  # one worker, however many cores: storing is the
    monkeypatch.setattr(ingest.os, "sched_getaffinity", lambda pid: {0})  # slower half
    assert ingest.default_workers() == 1
    assert ingest.pipeline_workers(None, [ingest.PARALLEL_MIN_BYTES, 1]) == 0


def test_a_worker_only_when_asked_and_for_a_batch_big_enough():
    from yhteistuumin_survey.ingest import PARALLEL_MIN_BYTES, default_workers, pipeline_workers

    big = [PARALLEL_MIN_BYTES, 1]
    assert pipeline_workers(None, big) == (1 if default_workers() == 2 else 0)
    assert pipeline_workers(1, big) == 0
    assert pipeline_workers(2, big) == 1  # two processes: one worker reads ahead
    assert pipeline_workers(3, big) == 2
    assert pipeline_workers(2, [PARALLEL_MIN_BYTES * 2]) == 0  # one file: nothing overlaps
    assert pipeline_workers(2, [PARALLEL_MIN_BYTES // 4] * 3) == 0


def _export_with_repeats(folder: Path) -> Path:
    """A form export whose rows repeat: the same answer sent twice, rows apart, and an answer
    corrected later by the same person (a newer time, the same title)."""
    import csv

    with (DATA / "googleforms.csv").open(encoding="utf-8", newline="") as source:
        header, *rows = list(csv.reader(source))
    first = rows[0]
    corrected = list(first)
    corrected[0] = first[0].replace("2022/11/30", "2022/12/02")
    corrected[header.index("Tavoite")] = "Korjattu tavoite: enemmän lukijoita kyliin."
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "export.csv"
    with path.open("w", encoding="utf-8", newline="") as out:
        csv.writer(out, quoting=csv.QUOTE_ALL).writerows(
            [header, first, *rows[1:], list(first), corrected])
    return path


def test_a_long_export_stored_batch_by_batch_is_stored_as_in_one_go(
        tmp_path, workspace, sqlite_template, monkeypatch):
    """Rows are normalised and stored a batch at a time (``BATCH_ROWS``); an answer sent
    again is the practice already stored and a correction its new version, whichever batch
    each falls in."""
    import yhteistuumin_survey.ingest.prepare as prepare

    folder = tmp_path / "in"
    _export_with_repeats(folder)
    in_one, one_engine = _alone(tmp_path / "one", workspace, sqlite_template, folder)
    monkeypatch.setattr(prepare, "BATCH_ROWS", 1)
    by_row, row_engine = _alone(tmp_path / "rows", workspace, sqlite_template, folder)
    assert stable_items(by_row, folder) == stable_items(in_one, folder)
    assert practices(row_engine) == practices(one_engine)
    outcomes = [row["outcome"] for row in stable_items(by_row, folder)]
    assert outcomes == ["new", "new", "already ingested", "new version"], outcomes
    one_engine.dispose()
    row_engine.dispose()


def test_after_a_long_export_a_worker_forgets_the_answers_it_cached(workspace):
    """Normalising caches its answers' values (folded texts, addresses, phone numbers, each
    word's language score): a worker empties those caches after a long export, so that the
    export's memory goes back to the system before its next file (``_give_back``), and what
    it reads after is the same."""
    from yhteistuumin_survey import normalise
    from yhteistuumin_survey.ingest.pipeline import _give_back
    from yhteistuumin_survey.ingest.prepare import Reader

    answers = (normalise.fold, normalise._parse_phone, normalise._split_contact)
    reader = Reader(workspace, "auto")
    path = DATA / "googleforms.csv"
    first = _rows(reader.prepare(path, str(path)))
    assert all(cached.cache_info().currsize for cached in answers)
    assert normalise._TOKEN_SCORES

    _give_back()
    assert [cached.cache_info().currsize for cached in answers] == [0] * len(answers)
    assert not normalise._TOKEN_SCORES
    assert _rows(reader.prepare(path, str(path))) == first


def test_a_worker_reads_and_normalises_without_the_database_layer_or_the_network_stack():
    """A worker process only reads and normalises: what it imports before its first file
    and to read a questionnaire (the questionnaire's own texts, from the module that builds
    questionnaires) leaves out the database layer, pandas and Rich, and the network stack
    (urllib.request, http.client, email, ssl: 2 MB and 20 ms that escaping XML values
    brought in through xml.sax.saxutils)."""
    code = ("import sys\n"
            "from yhteistuumin_survey.ingest.pipeline import _warm\n"
            "from yhteistuumin_survey.ingest.questionnaire import _own_texts\n"
            "_warm()\n"
            "assert _own_texts()\n"
            "print([m for m in ('sqlalchemy', 'sqlmodel', 'alembic', 'pandas', 'rich', "
            "'urllib.request', 'http.client', 'email.parser', 'ssl') if m in sys.modules])\n")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60, cwd=Path(__file__).resolve().parents[1])
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip().splitlines()[-1] == "[]", run.stdout


def test_a_row_a_worker_cannot_pickle_fails_its_file_not_the_worker(tmp_path):
    """A worker pickles each batch before its sending thread sends it (the bytes, in one go):
    a row that cannot be pickled fails that file (the parent reads it itself), after its
    head; the worker goes on with the next file."""
    import pickle
    from dataclasses import dataclass
    from types import SimpleNamespace
    from typing import Any

    from yhteistuumin_survey.ingest.pipeline import _pack, _send_file
    from yhteistuumin_survey.ingest.records import RawRecord

    @dataclass
    class Odd:
        title: str
        value: Any

    record = RawRecord("row 2", {"Nimi": "Lukupiiri"})
    parsed = SimpleNamespace(format="table", mappings=[], notes=[], problems=[], records=[record])
    rows = [[(0, record, Odd("Lukupiiri", lambda: None))]]  # a lambda: no pickle takes it
    reader = SimpleNamespace(prepare=lambda path, display: SimpleNamespace(
        parsed=parsed, error=None, batches=lambda: iter(rows)))
    sent: list[Any] = []

    _send_file(lambda message: sent.append(pickle.loads(_pack(message))), reader, 7,
               tmp_path / "x.csv", "x.csv", 0, 1)

    assert [message[0] for message in sent] == ["head", "failed"]
    assert sent[-1] == ("failed", 7)
    # A head that cannot be pickled (a reader's note holding anything but data): the file
    # fails before its head, which the parent takes as the worker's failure to read it.
    parsed.notes = [lambda: None]
    sent.clear()
    _send_file(lambda message: sent.append(pickle.loads(_pack(message))), reader, 8,
               tmp_path / "y.csv", "y.csv", 0, 1)
    assert sent == [("failed", 8)]
