"""Read and normalise the next table files in worker processes while this process stores.

Storing must happen in one process, in the order of the files (a later file may correct an
earlier one; ids follow the order). Reading and normalising a file needs no database: a
worker process does it for the files ahead, so that on two cores the one reads while the
other stores.

The workers are started fresh (``python -c``), not forked: a forked worker's resident
memory counts every page it shares with this process again, and this process has the
database layer loaded, which a worker never needs. A fresh worker imports only the readers
and normalisation (about 20 MB before its first file).

While the head of the file to store next, or its next batch of rows, has not come, this
process does not wait: it prepares the next small files itself (``Pipeline._steal``, at most
``LOCAL_FILES`` held), and they are stored in their turn. Long exports stay the worker's: one
prepared here would be held whole beside the one being stored. (bench/ingest.py, 308
questionnaires and 2 x 5,000 export rows, load 1: this process waited 1.0-1.1 s in all for
the exports' rows while the worker normalised them, when it stole only while waiting for a
file's head; stealing while it waits for rows too, 0.7-0.8 s, and the ingest took 4.3-4.6 s
instead of 4.9-5.4 s.)

A file comes back as it is normalised: its head (format, mappings, notes, problems) as soon as
it is read, then its rows in batches (``prepare.BATCH_ROWS``) in the order they are stored.
This process stores each batch as it comes, so neither process ever holds a whole export's
practices, and storing a long export starts before the worker has finished it. What comes
is plain data: each record's and practice's fields as a tuple, the raw answers already as the
JSON text that is stored (``RawRecord.raw_json``), no answers (only normalising reads them).
Unpickling dataclass graphs cost this process more than storing them.

Only a few files are given to a worker ahead (``AHEAD_FILES``, ``AHEAD_BYTES``; the next ones
go out when a file has been taken), and a worker has at most ``OUTBOX_BYTES`` of messages
waiting to be read by this process: a worker faster than storing waits instead of filling
either process's memory.

This process is the one that must never wait: storing is its alone. When it would, it does
first its own work of later files (``spare``: the copies of the files it will store, made
ahead), then prepares later files itself; while a long export's next batch is late it also
asks the worker for the batch after as read (a wish, ``_Worker.wish``), and normalises that
one itself (``_stream``), so that the export's pace is not the worker's alone.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import fields
from operator import attrgetter
from pathlib import Path
from typing import Any

from .prepare import Outcome, Prepared, Reader, Row, Unfinished
from .records import ParsedFile, RawRecord

#: Files read ahead of the one being stored: at least ``AHEAD_MIN``, more small ones up to
#: ``AHEAD_FILES`` files and ``AHEAD_BYTES`` bytes. One long export is enough: while this
#: process waits for it, it prepares the next files itself (``Pipeline._steal``). Up to 64
#: small files, not 8: while this process stores files it prepared itself, the worker's
#: files ahead are its only work (with 8 it sat idle 0.5-0.6 s of a national round's ingest,
#: bench/ingest.py, waiting for its next file; with 64, 0.02-0.1 s).
AHEAD_MIN, AHEAD_FILES, AHEAD_BYTES = 1, 64, 2 * 1024 * 1024

#: Files prepared here ahead of the one being stored, at most (``Pipeline._steal``): a round's
#: questionnaires (about 25 KB each prepared), not a cap they reach.
LOCAL_FILES = 400

#: A worker's messages ready to send, at most (pickled bytes), while this process stores the
#: ones before: some eight batches of a long export (250 rows, ~1 MB each). Counted in bytes,
#: not messages: a questionnaire's head, rows and end are three small messages, and with at
#: most 8 messages a worker that had prepared three questionnaires waited, with more given.
OUTBOX_BYTES = 8 * 1024 * 1024


class _Outbox:
    """A worker's messages waiting to be sent (pickled), at most ``OUTBOX_BYTES`` of them
    (and always at least one, however big)."""

    def __init__(self, limit: int) -> None:
        import threading

        self.limit = limit
        self.items: deque[bytes | None] = deque()
        self.size = 0
        self.changed = threading.Condition()

    def put(self, packed: bytes | None, timeout: float) -> bool:
        """Add a message, waiting up to ``timeout`` seconds for room; False when there was
        none."""
        size = 0 if packed is None else len(packed)
        with self.changed:
            if size and self.items and self.size + size > self.limit:
                self.changed.wait(timeout)
                if self.items and self.size + size > self.limit:
                    return False
            self.items.append(packed)
            self.size += size
            self.changed.notify_all()
            return True

    def get(self) -> bytes | None:
        """The next message, waiting for one."""
        with self.changed:
            while not self.items:
                self.changed.wait()
            packed = self.items.popleft()
            self.size -= 0 if packed is None else len(packed)
            self.changed.notify_all()
            return packed

#: The worker's program: take the parent's import path, then serve on the given descriptor.
#: When it has served, it ends at once (``os._exit``): everything it sent has gone out (the
#: sending thread is joined, the connection closed) and it writes nothing else, so freeing its
#: objects one by one, as an interpreter's normal exit does, was only time the parent waited
#: for (``_Worker.close``: 50-150 ms after a national round's ingest, its last serial step).
_WORKER_CODE = ("import json, os, sys; sys.path[:0] = json.loads(sys.argv[1]); "
                "from yhteistuumin_survey.ingest.pipeline import serve; serve(int(sys.argv[2])); "
                "os._exit(0)")


def _pack(message: Any) -> bytes:
    """A message pickled as ``_Channel.send`` writes it."""
    import pickle

    return pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)


class _Channel:
    """Pickled messages over a socket: the parent's streamed (no message is held whole as
    bytes), a worker's batches pickled whole first (``serve``: a batch is some 250 rows)."""

    def __init__(self, sock: Any) -> None:
        self.sock = sock
        self.reader = sock.makefile("rb")
        self.writer = sock.makefile("wb")

    def send(self, message: Any) -> None:
        import pickle

        pickle.dump(message, self.writer, protocol=pickle.HIGHEST_PROTOCOL)
        self.writer.flush()

    def send_bytes(self, packed: bytes) -> None:
        """Send a message already pickled (``_pack``)."""
        self.sock.sendall(packed)

    def recv(self) -> Any:
        """The next message; EOFError when the other side has closed."""
        import pickle

        return pickle.load(self.reader)  # our own worker, over a socket pair

    def close(self) -> None:
        for part in (self.writer, self.reader, self.sock):
            try:
                part.close()
            except OSError:
                pass


def serve(fd: int) -> None:
    """A worker's loop: build the reader from the first message, then answer each task
    (key, path, display, part, parts) with the file's head and its rows in batches
    (``_send_file``), until the parent closes the connection or sends None.

    A thread sends the messages: the next batch is normalised while the last one goes out,
    at most ``OUTBOX_BYTES`` waiting, each pickled already (``post``). A message that
    cannot be pickled fails its file here (``_send_file``): the parent reads it itself.
    Another thread reads the parent's messages as they come: the tasks wait in order, and a
    wish for the next batch of rows as read is noted at once (``_Wishes``)."""
    import gc
    import queue
    import signal
    import socket
    import threading

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops the run and this worker
    channel = _Channel(socket.socket(fileno=fd))
    outbox = _Outbox(OUTBOX_BYTES)
    gone = threading.Event()

    def sender() -> None:
        try:
            while (message := outbox.get()) is not None:
                channel.send_bytes(message)
                del message
        except (EOFError, OSError):  # the parent has gone
            gone.set()
        except Exception:  # noqa: BLE001 - the connection is unusable: the parent must not
            gone.set()     # wait for it (it reads the file itself when the connection closes)
            channel.close()

    def post(message: tuple[Any, ...] | None) -> None:
        # Pickled here, in one go, and sent by the thread as bytes. Pickled by the thread,
        # a batch went out in pieces, each waiting for the interpreter's lock while this
        # thread normalised the next batch (up to 5 ms a piece), and the parent sat waiting
        # for the rest of a message it had begun to read.
        packed = None if message is None else _pack(message)
        while not gone.is_set():
            if outbox.put(packed, timeout=0.5):
                return
        raise EOFError  # the parent has gone: nothing more to do

    # The parent's messages: its tasks in order, and now and then a wish for the rows of the
    # task at hand as they are read, to normalise them itself (``("raw", key)``, ``_Wishes``).
    inbox: queue.Queue[Any] = queue.Queue()
    wishes = _Wishes()

    def receiver() -> None:
        try:
            while True:
                message = channel.recv()
                if isinstance(message, tuple) and message[:1] == ("raw",):
                    wishes.add(message[1])
                    continue
                inbox.put(message)
                if message is None:
                    return
        except Exception:  # noqa: BLE001 - gone, or closed: the loop below ends
            inbox.put(_GONE)

    def task() -> Any:
        message = inbox.get()
        if message is _GONE:
            raise EOFError
        return message

    thread = threading.Thread(target=sender, name="pipeline-sender", daemon=True)
    thread.start()
    threading.Thread(target=receiver, name="pipeline-receiver", daemon=True).start()
    try:
        _warm()  # while the parent looks at the files; their reader comes when it knows them
        reader_args = task()
        if reader_args is None:  # started early for files that needed no worker after all
            return
        reader = Reader(*reader_args)
        # The garbage collector took 0.16-0.18 s of a worker's 3 s of CPU in bench/ingest.py
        # (timed with gc.callbacks), 0.04-0.06 s now. What is loaded by now (the modules, the
        # survey, the vocabulary) lives as long as the worker: it is left out of the
        # collector's passes from here on, instead of being walked again by each full one
        # (after every long export, ``_give_back``, and the collector's own). And it passes
        # less often, with the thresholds the ingest process runs with
        # (``ingest._fewer_collections``): cycles are still collected, in bigger steps; the
        # worker's peak memory stayed at 76-78 MB.
        gc.freeze()
        gc.set_threshold(20_000, 20, 20)
        while not gone.is_set() and (given := task()) is not None:
            key, path, display, part, parts = given
            _send_file(post, reader, key, Path(path), display, part, parts, wishes.taken)
            if Path(path).stat().st_size >= TRIM_BYTES:
                _give_back()
    except (EOFError, OSError):  # the parent has gone or closed the connection
        pass
    finally:
        try:
            post(None)  # let the thread send what is left, then stop
            thread.join()
        except EOFError:
            pass
        channel.close()


#: What a worker's reading and normalising import on their first file, imported before it.
_WARM_MODULES = ("yhteistuumin_survey.normalise", "yhteistuumin_survey.tables",
                 "yhteistuumin_survey.ingest.forms", "yhteistuumin_survey.ingest.questionnaire",
                 "yhteistuumin_survey.ingest.limesurvey", "yhteistuumin_survey.ingest.profiles",
                 "python_calamine", "phonenumbers", "email_validator")


def _warm() -> None:
    """Import what reading and normalising use, while the parent is still checking the files
    (``spawn_workers`` starts a worker before that): a worker's imports take about a third
    of a second, which the first file would otherwise wait for."""
    import importlib

    for name in _WARM_MODULES:
        try:
            importlib.import_module(name)
        except ImportError:  # pragma: no cover - reading says what is missing, in its place
            pass


#: After a file this big a worker gives the memory it freed back to the system (``_give_back``).
TRIM_BYTES = 256 * 1024


def _give_back() -> None:
    """Return freed memory to the system (glibc's ``malloc_trim``; elsewhere nothing).

    A long export's cells are read whole and freed when its last batch has gone, but the
    C allocator keeps the freed pages; the next export's reading (another library's
    allocations) would then take new ones, and the worker's memory would grow with every
    long file instead of staying at one file's worth. The values normalising cached from
    the export's answers go first (``normalise.forget_answers``): scattered among its
    objects, they kept Python's allocator from freeing most of the export's memory."""
    import ctypes
    import gc

    from ..normalise import forget_answers

    forget_answers()
    gc.collect()
    try:
        # The running program's own symbols: no library search (ctypes.util.find_library
        # starts ldconfig or a compiler to find one).
        ctypes.CDLL(None).malloc_trim(0)
    except (OSError, AttributeError, TypeError):  # not glibc: its allocator does what it does
        pass


def _send_file(post: Callable[[tuple[Any, ...]], None], reader: Reader, key: int, path: Path,
               display: str, part: int, parts: int,
               wished: Callable[[int], bool] = lambda key: False) -> None:
    """Send a file as ("head", key, format and the rest, error), its rows as ("rows", [(index,
    record, practice), ...]) batch by batch and ("end", key); ("failed", key), before or
    after the head, when it cannot go on (the parent then reads the file itself).

    With ``parts`` > 1 (several workers share a long export) only every ``parts``-th record
    from ``part`` on is normalised and sent, in the file's order; otherwise every record, in
    the order they are stored (``Prepared.batches``), and a batch the parent wished for
    (``wished``) goes as it was read, ("raw", [(index, record), ...]): the parent normalises
    it (``_stream``)."""
    from .prepare import BATCH_ROWS

    try:
        prepared = reader.prepare(path, display)
    except Exception:  # noqa: BLE001 - the parent reads this file itself
        post(("failed", key))
        return
    parsed = prepared.parsed
    head = None if parsed is None else (parsed.format, parsed.mappings, parsed.notes,
                                        parsed.problems)
    try:
        post(("head", key, head, prepared.error))  # (a head that cannot be pickled: failed)
        if parts == 1 and isinstance(prepared, Prepared) and prepared.practices is None \
                and prepared.stream is None:
            _send_rows(post, reader, key, prepared, wished)
            post(("end", key))
            return
        batches = prepared.batches()
        if parts > 1 and parsed is not None:
            records: list[Any] = parsed.records
            mine = range(part, len(records), parts)
            batches = ([(index, records[index], reader.normalise(records[index]))
                        for index in mine[start:start + BATCH_ROWS]]
                       for start in range(0, len(mine), BATCH_ROWS))
        packed = _Packed()
        for batch in batches:
            rows = packed.rows(batch)
            del batch
            post(("rows", rows))
    except EOFError:
        raise
    except Exception:  # noqa: BLE001 - the parent reads this file itself
        post(("failed", key))
        return
    post(("end", key))


def _send_rows(post: Callable[[tuple[Any, ...]], None], reader: Reader, key: int,
               prepared: Prepared, wished: Callable[[int], bool]) -> None:
    """Send a file's records batch by batch: normalised here, or as read when the parent
    has wished for the next batch of this task (it had run out of work while waiting)."""
    packed = _Packed()
    for records in prepared.record_batches():
        if wished(key):
            post(("raw", [(index, packed.record_raw(record)) for index, record in records]))
        else:
            rows = packed.rows([(index, record, reader.normalise(record))
                                for index, record in records])
            post(("rows", rows))
        del records


class _Packed:
    """Rows as a worker sends them: each record's and practice's fields as tuples."""

    def __init__(self) -> None:
        self.record_row = _RecordRow()
        self.practice_fields: Callable[[Any], tuple[Any, ...]] | None = None

    def rows(self, batch: list[Row]) -> list[tuple[int, tuple[Any, ...], Any]]:
        rows = []
        for index, record, practice in batch:
            sent: Any = practice
            if practice is not None and not isinstance(practice, str):
                self.practice_fields = self.practice_fields or _fields_of(type(practice))
                sent = self.practice_fields(practice)
            rows.append((index, self.record_row(record), sent))
        return rows

    def record_raw(self, record: RawRecord) -> tuple[Any, ...]:
        """A record not normalised yet: with its answers (normalising reads them)."""
        return self.record_row(record, answers=True)


#: What the receiving thread gives the worker's loop when the parent has gone.
_GONE = object()


class _Wishes:
    """The parent's wishes for a batch of rows as read (``("raw", task key)``): each is for
    the next batch of the task it names, and lapses when that task has ended."""

    def __init__(self) -> None:
        self.keys: deque[int] = deque()  # appended by the receiving thread only

    def add(self, key: int) -> None:
        self.keys.append(key)

    def taken(self, key: int) -> bool:
        """Whether the parent wishes for the next batch of task ``key`` as read (the wish is
        used up). Wishes for earlier tasks lapse here."""
        while self.keys:
            wished = self.keys.popleft()
            if wished == key:
                return True
            if wished > key:  # not yet this task's: kept for it
                self.keys.appendleft(wished)
                return False
        return False


def _names(cls: Any) -> list[str]:
    return [f.name for f in fields(cls)]


def _fields_of(cls: Any) -> Callable[[Any], tuple[Any, ...]]:
    """What gives a dataclass object's fields as a tuple, in their order: one
    ``operator.attrgetter`` of them all, which makes the tuple in C (a worker sends every row
    so; 10,000 export rows' practices and records took 0.07 s with a getattr for each field,
    0.035 s so)."""
    names = _names(cls)
    get = attrgetter(*names)
    return get if len(names) > 1 else lambda value: (get(value),)


class _RecordRow:
    """A record's fields as a tuple: the raw answers as their JSON text, no answers (only
    normalising reads them)."""

    def __init__(self) -> None:
        names = _names(RawRecord)
        self.fields = _fields_of(RawRecord)
        self.raw_json = names.index("raw_json")
        self.raw, self.answers = names.index("raw"), names.index("answers")

    def __call__(self, record: RawRecord, answers: bool = False) -> tuple[Any, ...]:
        values = list(self.fields(record))
        values[self.raw_json] = record.raw_text()
        values[self.raw] = None
        if not answers:
            values[self.answers] = None
        return tuple(values)


class _Rows:
    """Rows as a worker sends them, made into records and practices again."""

    def __init__(self) -> None:
        self.names = _names(RawRecord)
        self.raw, self.answers = self.names.index("raw"), self.names.index("answers")

    def records(self, sent: list[tuple[int, tuple[Any, ...]]]) -> list[tuple[int, RawRecord]]:
        """Records sent as read (with their answers, ``_Packed.record_raw``)."""
        made = []
        for index, row in sent:
            values = list(row)
            values[self.raw] = {}
            made.append((index, RawRecord(*values)))
        return made

    def rows(self, sent: list[tuple[int, tuple[Any, ...], Any]]) -> list[Row]:
        from ..normalise import NormalisedPractice

        made: list[Row] = []
        for index, row, practice in sent:
            values = list(row)
            values[self.raw], values[self.answers] = {}, {}
            made.append((index, RawRecord(*values),
                         practice if practice is None or isinstance(practice, str)
                         else NormalisedPractice(*practice)))
        return made


def _parsed(head: Any) -> ParsedFile | None:
    return None if head is None else ParsedFile(head[0], [], *head[1:])


class _Worker:
    """One worker process and its connection; its answers come in the order of its tasks."""

    def __init__(self, reader_args: tuple[Any, ...] | None = None) -> None:
        import json
        import socket
        import subprocess
        import sys

        mine, theirs = socket.socketpair()
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-c", _WORKER_CODE, json.dumps(sys.path), str(theirs.fileno())],
                pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL)
        finally:
            theirs.close()
        self.channel = _Channel(mine)
        self.sent: deque[int] = deque()  # keys of the tasks sent, not yet answered to the end
        self.current: int | None = None  # the task whose rows are coming (its head was read)
        self.dead = False  # its connection failed: nothing more is read from it or sent to it
        self.started = False  # it has its reader (``start``)
        self.wished: int | None = None  # the task a batch as read was wished for (``wish``)
        if reader_args is not None:
            self.start(reader_args)

    def start(self, reader_args: tuple[Any, ...]) -> None:
        """Give the worker its reader's arguments (its first message): it reads after that."""
        self.channel.send(reader_args)
        self.started = True

    def send(self, key: int, task: tuple[Any, ...]) -> None:
        if self.dead:
            raise OSError("the worker has gone")
        self.channel.send(task)
        self.sent.append(key)

    def ready(self, key: int) -> bool:
        """Whether the head of task ``key``'s file has come, or something of the next message
        has (the worker sends a file's head as soon as it has read the file)."""

        return self.current == key or self.has_message()

    def has_message(self) -> bool:
        """Whether something of the next message has come (reading it would not wait; from a
        worker that has gone, reading fails at once)."""
        import select

        if self.dead:
            return True
        sock = self.channel.sock
        if select.select([sock], [], [], 0)[0]:
            return True
        sock.setblocking(False)  # the reader's buffer may hold the start of the next message
        try:
            return bool(self.channel.reader.peek(1))
        except (BlockingIOError, OSError):
            return False
        finally:
            sock.setblocking(True)

    def open(self, key: int) -> tuple[Any, str | None]:
        """Wait for the head of task ``key``'s file: (format and the rest, error). What is
        left of a file before it (not taken, or not read to its end) is skipped. Raises
        Unfinished when the worker could not read the file or has gone."""
        if self.current is not None:
            for _batch in self.rows(self.current):
                pass
        while key in self.sent:
            message = self._recv()
            tag = message[0]
            if tag == "head" and message[1] == key:
                self.current = key
                return message[2], message[3]
            if tag == "head":  # a file not taken: skipped
                self.current = message[1]
                for _batch in self.rows(message[1]):
                    pass
            elif tag in ("end", "failed"):  # a file that failed before its head
                self._done(message[1])
        raise Unfinished(f"task {key} is not the worker's")

    def wish(self, key: int) -> None:
        """Ask for task ``key``'s next batch as read, not normalised: this process has
        nothing to do until it comes, and normalises it itself (one wish at a time)."""
        if self.wished == key or self.dead:
            return
        try:
            self.channel.send(("raw", key))
        except OSError:
            return  # the next read says the worker has gone
        self.wished = key

    def rows(self, key: int, idle: Callable[[], bool] | None = None, wish: bool = False
             ) -> Iterator[tuple[str, list[Any]]]:
        """The batches of task ``key``'s rows, after its head (``open``), to the end, each as
        ("rows", rows normalised) or, when wished for (``wish``: whenever the next batch has
        not come), ("raw", records as read). While the next batch has not come, ``idle`` is
        called until it returns False (work this process does meanwhile). Raises Unfinished
        when the worker failed on the way or has gone."""
        while self.current == key:
            if idle is not None:
                if wish and not self.has_message():
                    self.wish(key)
                while not self.has_message() and idle():
                    pass
            message = self._recv()
            if message[0] in ("rows", "raw"):
                if message[0] == "raw":
                    self.wished = None
                yield message[0], message[1]
            elif message[0] == "end":
                self._done(key)
                return
            else:
                self._done(key)
                raise Unfinished(f"the worker failed on task {key}")

    def _recv(self) -> Any:
        if self.dead:
            raise Unfinished("the worker has gone")
        try:
            return self.channel.recv()
        except Exception as exc:  # noqa: BLE001 - gone, or a message that cannot be read
            self.sent.clear()
            self.current = None
            self.dead = True  # what follows on the connection cannot be read either
            raise Unfinished("the worker has gone") from exc

    def _done(self, key: int) -> None:
        if key in self.sent:
            self.sent.remove(key)
        if self.current == key:
            self.current = None
        if self.wished == key:  # lapsed with its task (the worker drops it too)
            self.wished = None

    def close(self) -> None:
        import subprocess

        if not self.started:
            # Started early for files that needed no worker: it has read nothing, and waiting
            # for its imports to finish would only make the run wait.
            self.process.kill()
        try:
            self.channel.send(None)
        except OSError:
            pass
        self.channel.close()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:  # pragma: no cover - a worker that hangs
            self.process.kill()
            self.process.wait()


class Pipeline:
    """Worker processes reading and normalising table files ahead, in the order given.

    Each worker is a fresh interpreter (``python -c``, not ``multiprocessing``'s spawn, which
    runs the main script's module again in the worker: a script without a ``__main__`` guard
    would ingest twice) talking over a socket pair: tasks go out a few files ahead, answers
    come back in order. A worker that fails or dies only costs speed: the file is read here.
    """

    def __init__(self, workers: int, files: list[tuple[int, Path, int]], *, split_bytes: int,
                 workspace: Any, source: str, structures: tuple[Path, ...] = (),
                 limits: Any = None, here: Callable[[Path, str], Prepared] | None = None,
                 normalise: Callable[[RawRecord], Outcome] | None = None,
                 spare: Callable[[], bool] | None = None,
                 started: list[_Worker] | None = None) -> None:
        """``started``: workers started early (``spawn_workers``); those used are taken from
        the list, the rest stay for the caller to close. ``here`` prepares a file in this
        process, ``normalise`` a record (as the workers do); ``spare`` does a step of this
        process's own work ahead, when there is one (True), before it prepares a file."""
        self.split_bytes = split_bytes
        self.here = here
        self.normalise = normalise
        self.spare = spare
        self.local: dict[int, Prepared] = {}  # key -> prepared here while waiting (``_steal``)
        self.workers: list[_Worker] = []
        self.broken = False
        reader_args = (workspace, source, structures, limits)
        try:
            while started and len(self.workers) < workers:
                self.workers.append(worker := started.pop(0))
                worker.start(reader_args)
            while len(self.workers) < workers:
                self.workers.append(_Worker(reader_args))
        except OSError:  # a process could not be started, or has gone: everything is read here
            self.broken = True
        self.queue: deque[tuple[int, Path, int]] = deque(files)  # (key, path, size)
        self.ahead: dict[int, tuple[int, list[tuple[_Worker, int]]]] = {}  # key -> size, shares
        self._next = 0  # the worker the next task goes to
        self._fill()

    def _fill(self) -> None:
        while self.queue and not self.broken:
            count = len(self.ahead)
            size = sum(size for size, _ in self.ahead.values())
            if count >= AHEAD_MIN and (count >= AHEAD_FILES or size >= AHEAD_BYTES):
                return
            key, path, size = self.queue.popleft()
            # A long export is shared: each worker normalises every n-th of its rows.
            parts = len(self.workers) if size >= self.split_bytes else 1
            shares = []
            try:
                for part in range(parts):
                    worker = self.workers[self._next % len(self.workers)]
                    self._next += 1
                    task_key = key * len(self.workers) + part
                    worker.send(task_key, (task_key, str(path), str(path), part, parts))
                    shares.append((worker, task_key))
            except OSError:  # a worker has gone: the rest is read here
                self.broken = True
                return
            self.ahead[key] = (size, shares)

    def take(self, key: int) -> Callable[[], Prepared] | None:
        """Return what gives the file's prepared result (waiting for its head; its rows come
        as they are taken, ``Prepared.batches``), or None when the file is not one the
        workers read (this process reads it).

        While the file's head has not come, this process prepares the next files itself
        (``_steal``); the next files go to the worker when this one is taken."""
        for earlier in [k for k in (*self.ahead, *self.local) if k < key]:  # not read
            self.ahead.pop(earlier, None)  # the worker's messages for it are skipped
            self.local.pop(earlier, None)
        if key in self.local:
            prepared = self.local.pop(key)
            self._fill()
            return lambda: prepared
        if key not in self.ahead:
            if self.queue and self.queue[0][0] == key:  # not given out (the queue is in
                self.queue.popleft()                    # order; earlier keys are taken)
            self._fill()
            return None
        shares = self.ahead[key][1]

        def result() -> Prepared:
            # Raises when a worker failed or died: the caller reads the file itself.
            try:
                for worker, task_key in shares:
                    while not worker.ready(task_key) and self._steal():
                        pass
                heads = [worker.open(task_key) for worker, task_key in shares]
            finally:
                self.ahead.pop(key, None)
                self._fill()
            head, error = heads[0]
            if len(shares) == 1:
                worker, task_key = shares[0]
                return Prepared(parsed=_parsed(head), error=error,
                                stream=_stream(worker, task_key, self._steal, self.normalise))
            return _gathered(head, error, shares)

        return result

    def _steal(self) -> bool:
        """Prepare a file no worker has been given here, while the worker is still busy with
        the one to store now: the first small one (files are still stored in their order;
        only where they are prepared moves). Long exports stay the worker's: one prepared
        here would be held whole beside the one being stored. False when there is none."""
        self._fill()  # the worker first: it must not run out of files while this one waits
        if self.spare is not None and self.spare():
            return True
        if self.here is None or len(self.local) >= LOCAL_FILES:
            return False
        for index, (key, path, size) in enumerate(self.queue):
            if size < self.split_bytes:
                del self.queue[index]
                self.local[key] = self.here(path, str(path)).normalised()
                return True
        return False

    @property
    def drained(self) -> bool:
        """Whether every file has been given out (to a worker, or prepared here)."""
        return not self.queue

    def close(self) -> None:
        for worker in self.workers:
            worker.close()


def spawn_workers(count: int) -> list[_Worker]:
    """Start ``count`` workers before their files are known (``Pipeline(started=...)`` gives
    them their reader): they import while this process checks the files. Fewer (none) when
    a process cannot be started: the files are then read here."""
    workers: list[_Worker] = []
    try:
        for _ in range(count):
            workers.append(_Worker())
    except OSError:
        pass
    return workers


def close_workers(workers: list[_Worker]) -> None:
    """Stop workers started early that no pipeline took."""
    while workers:
        workers.pop().close()


def _stream(worker: _Worker, task_key: int, idle: Callable[[], bool],
            normalise: Callable[[RawRecord], Outcome] | None = None) -> Iterator[list[Row]]:
    """A file's rows as the worker sends them, batch by batch (``idle`` while one is late).

    With ``normalise``, whenever a batch is late the worker is asked for the next one as read
    (``_Worker.wish``), and this process normalises that one: where storing a long export's
    rows is faster than normalising them, the worker alone would otherwise set the export's
    pace, and this process fill its waits with later files that the worker, once the exports
    are done, would have had time for."""
    rows = _Rows()
    for tag, sent in worker.rows(task_key, idle, wish=normalise is not None):
        if tag == "raw":
            assert normalise is not None
            yield [(index, record, normalise(record)) for index, record in rows.records(sent)]
        else:
            yield rows.rows(sent)


def _gathered(head: Any, error: str | None, shares: list[tuple[_Worker, int]]) -> Prepared:
    """A file that several workers shared, each its every n-th record: all of it, in order."""
    rows = _Rows()
    found: dict[int, tuple[RawRecord, Any]] = {}
    for worker, task_key in shares:
        for _tag, sent in worker.rows(task_key):  # never wished for: always normalised
            for index, record, practice in rows.rows(sent):
                found[index] = (record, practice)
    parsed = _parsed(head)
    if parsed is None:
        return Prepared(error=error)
    order = sorted(found)
    if order != list(range(len(order))):
        raise Unfinished("the workers' parts of the file do not add up")
    parsed.records = [found[index][0] for index in order]
    return Prepared(parsed=parsed, practices=[found[index][1] for index in order], error=error)
