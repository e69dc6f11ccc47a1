"""The ingest process never waits for its worker with nothing to do: it copies the files it
will store ahead, normalises a late export batch itself, and begins the closing checkpoint
while the worker has no more files. What is stored is the same."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest
from ingest_support import DATA
from test_ingest_pipeline import _inputs, _piped, _rows, slow_rows_worker


def test_a_late_batch_is_asked_for_as_read_and_normalised_here(workspace, monkeypatch):
    """While a long export's next batch is late, this process asks for the one after as the
    worker read it and normalises it itself: the rows are the same, in the same order."""
    import yhteistuumin_survey.ingest.pipeline as pipeline
    from yhteistuumin_survey.ingest.prepare import Reader

    monkeypatch.setattr(pipeline, "_WORKER_CODE", slow_rows_worker(0.5))
    path = DATA / "googleforms.csv"
    reader = Reader(workspace, "auto")
    normalised_here = []

    def normalise(record):
        normalised_here.append(record.locator)
        return reader.normalise(record)

    piped = pipeline.Pipeline(1, [(0, path, path.stat().st_size)], split_bytes=10**9,
                              workspace=workspace, source="auto", normalise=normalise)
    try:
        take = piped.take(0)
        assert take is not None
        got = _rows(take())
    finally:
        piped.close()
    expected = _rows(Reader(workspace, "auto").prepare(path, str(path)))
    assert got == expected and len(got) == 2
    # The first batch was late (half a second): the second came as read, normalised here.
    assert normalised_here == [expected[1][1].locator]
    assert piped.workers[0].process.returncode == 0


def test_a_wish_is_for_the_task_it_names_and_lapses_with_it():
    from yhteistuumin_survey.ingest.pipeline import _Wishes

    wishes = _Wishes()
    wishes.add(3)
    wishes.add(5)
    assert not wishes.taken(2)  # not this task's: kept for its own
    assert wishes.taken(3)
    assert not wishes.taken(3)  # used up
    wishes.add(4)
    assert not wishes.taken(6)  # 4 and 5 lapsed with their tasks
    assert not wishes.taken(5)


def test_a_worker_s_outbox_holds_bytes_up_to_its_limit_and_always_one_message():
    from yhteistuumin_survey.ingest.pipeline import _Outbox

    outbox = _Outbox(10)
    assert outbox.put(b"x" * 8, timeout=0.01)
    started = time.perf_counter()
    assert not outbox.put(b"y" * 8, timeout=0.05)  # 16 bytes would be over the limit
    assert time.perf_counter() - started >= 0.04
    taken: list[bytes | None] = []
    threading.Timer(0.05, lambda: taken.append(outbox.get())).start()
    assert outbox.put(b"y" * 8, timeout=5)  # room made by the sender taking one
    assert taken == [b"x" * 8]
    assert outbox.get() == b"y" * 8
    assert outbox.put(b"z" * 50, timeout=0.01)  # bigger than the limit: alone, it goes
    assert outbox.put(None, timeout=0.01)  # the end takes no room
    assert [outbox.get(), outbox.get()] == [b"z" * 50, None]


def _slow_worker(monkeypatch, seconds: float) -> None:
    import yhteistuumin_survey.ingest.pipeline as pipeline

    monkeypatch.setattr(pipeline, "_WORKER_CODE", (
        "import json, sys, time; sys.path[:0] = json.loads(sys.argv[1])\n"
        f"time.sleep({seconds})\n"  # this process waits for the first file's head
        "from yhteistuumin_survey.ingest.pipeline import serve; serve(int(sys.argv[2]))\n"))


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_while_waiting_for_the_worker_the_files_are_copied_ahead(engine, workspace, tmp_path,
                                                                  monkeypatch):
    """The copies under outputs/received are this process's own work: while it waits for the
    worker's first file, it makes them all, and each file's turn finds its copy made."""
    import yhteistuumin_survey.ingest as ingest
    from yhteistuumin_survey.ingest.store import Store

    monkeypatch.setattr(ingest, "PARALLEL_MIN_BYTES", 0)
    _slow_worker(monkeypatch, 1.0)
    events: list[tuple[str, str]] = []
    keep_ahead, receive = Store.keep_ahead, Store.receive

    def ahead(self, source, **kwargs):
        events.append(("ahead", source.name))
        return keep_ahead(self, source, **kwargs)

    def received(self, source, **kwargs):
        events.append(("receive", source.name))
        return receive(self, source, **kwargs)

    monkeypatch.setattr(Store, "keep_ahead", ahead)
    monkeypatch.setattr(Store, "receive", received)
    folder = _inputs(tmp_path / "in")
    result = _piped([folder], engine=engine, workspace=workspace)

    names = sorted(path.name for path in folder.iterdir())
    # The first file is received (copied) before its head is waited for; then every copy is
    # made ahead, before the second file's turn.
    assert events[0] == ("receive", names[0])
    assert events[1:len(names) + 1] == [("ahead", name) for name in names]
    assert sorted(name for kind, name in events if kind == "receive") == names
    assert not [o for o in result.report.outcomes if o.status == "error"]
    copies = sorted((workspace.root / "outputs" / "received").rglob("*"))
    kept = [path for path in copies if path.is_file()]
    assert len(kept) == len(names) and not [p for p in kept if p.name.endswith(".part")]
    for name in names:
        assert [p.read_bytes() for p in kept if p.name.endswith(name)] == \
            [(folder / name).read_bytes()]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_copy_that_fails_ahead_is_made_in_its_file_s_turn(engine, workspace, tmp_path,
                                                            monkeypatch):
    """A copy made ahead that fails (a full disk for a moment) costs nothing: the file's own
    turn copies it, or says why it cannot, as without copies ahead."""
    import yhteistuumin_survey.ingest as ingest
    import yhteistuumin_survey.ingest.store as store

    monkeypatch.setattr(ingest, "PARALLEL_MIN_BYTES", 0)
    _slow_worker(monkeypatch, 0.5)
    copyfile = store.shutil.copyfile
    calls: list[str] = []
    failed: list[str] = []

    def full_once(source, target, *args, **kwargs):
        calls.append(Path(source).name)
        if len(calls) == 2:  # the first file's own copy, then the first made ahead
            failed.append(Path(source).name)
            raise OSError(28, "No space left on device")
        return copyfile(source, target, *args, **kwargs)

    folder = _inputs(tmp_path / "in")
    monkeypatch.setattr(store.shutil, "copyfile", full_once)
    result = _piped([folder], engine=engine, workspace=workspace)

    assert len(failed) == 1 and calls.count(failed[0]) == 2  # failed ahead, made in its turn
    assert not [o for o in result.report.outcomes if o.status == "error"]
    kept = [p for p in (workspace.root / "outputs" / "received").rglob("*") if p.is_file()]
    assert len(kept) == len(list(folder.iterdir()))
    assert not [p for p in kept if p.name.endswith(".part")]


def test_the_closing_checkpoint_can_begin_early_beside_the_writer(tmp_path):
    """``_CheckpointAhead`` copies what the log holds into the database file from a thread of
    its own while the run's connection stays open (and goes on writing)."""
    from sqlalchemy import create_engine

    from yhteistuumin_survey.ingest.store import _CheckpointAhead

    path = tmp_path / "run.sqlite"
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("PRAGMA wal_autocheckpoint=0")
    writer.execute("CREATE TABLE practice (id INTEGER PRIMARY KEY, title TEXT)")
    writer.executemany("INSERT INTO practice (title) VALUES (?)",
                       [(f"Lukupiiri {n}",) for n in range(500)])

    def in_the_file() -> int:
        # immutable: the database file alone, without its log
        file = sqlite3.connect(f"file:{path}?immutable=1", uri=True)
        try:
            return file.execute("SELECT count(*) FROM practice").fetchone()[0]
        except sqlite3.OperationalError:  # not even the table yet
            return 0
        finally:
            file.close()

    assert in_the_file() == 0
    engine = create_engine(f"sqlite:///{path}")
    ahead = _CheckpointAhead(engine)
    ahead.start()
    writer.execute("INSERT INTO practice (title) VALUES ('Runotorstai')")  # the run goes on
    ahead.join()
    assert in_the_file() >= 500
    ahead.start()  # once per run: a second call does nothing
    ahead.join()
    writer.close()
    engine.dispose()
    _CheckpointAhead(None).start()  # another database: nothing to begin


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_checkpoint_begins_once_every_file_is_given_out(engine, workspace, tmp_path,
                                                            monkeypatch):
    import yhteistuumin_survey.ingest as ingest
    from yhteistuumin_survey.ingest.store import _CheckpointAhead

    monkeypatch.setattr(ingest, "PARALLEL_MIN_BYTES", 0)
    begun: list[float] = []
    start = _CheckpointAhead.start
    monkeypatch.setattr(_CheckpointAhead, "start",
                        lambda self: (begun.append(time.perf_counter()), start(self)))
    folder = _inputs(tmp_path / "in")
    result = _piped([folder], engine=engine, workspace=workspace)
    assert len(begun) == 1
    assert not [o for o in result.report.outcomes if o.status == "error"]
