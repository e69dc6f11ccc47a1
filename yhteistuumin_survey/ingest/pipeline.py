"""Read and normalise the next table files in worker processes while this process stores.

Storing must happen in one process, in the order of the files (a later file may correct an
earlier one; ids follow the order). Reading and normalising a file needs no database: a
worker process does it for the files ahead, so that on two cores the one reads while the
other stores.

The workers are started fresh (``python -c``), not forked: a forked worker's resident
memory counts every page it shares with this process again, and this process has the
database layer loaded, which a worker never needs. A fresh worker imports only the readers
and normalisation (about 20 MB before its first file).

While the answer for the file to store next has not come, this process does not wait: it
prepares the next small files itself (``Pipeline._steal``, at most ``LOCAL_FILES`` held), and
they are stored in their turn. Without it this process waited 2.3 s of a 5.9 s run (1.3 s for
the first export alone); with it, about 0.2-0.7 s. Long exports stay the worker's: one
prepared here would be held whole beside the one being stored.

What comes back is plain data: each record's and practice's fields as a tuple, the raw answers
already as the JSON text that is stored (``RawRecord.raw_json``), no answers (only normalising
reads them). Unpickling dataclass graphs cost this process more than storing them.

Only a few files are read ahead (``AHEAD_FILES``, ``AHEAD_BYTES``; the next ones go out
when an answer has come): a worker faster than storing must not fill this process's memory
with whole prepared exports.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import fields
from pathlib import Path
from typing import Any

from .prepare import Prepared, Reader
from .records import ParsedFile, RawRecord

#: Files read ahead of the one being stored: at least ``AHEAD_MIN``, more small ones up to
#: ``AHEAD_FILES`` files and ``AHEAD_BYTES`` bytes. One long export is enough: while this
#: process waits for it, it prepares the next files itself (``Pipeline._steal``).
AHEAD_MIN, AHEAD_FILES, AHEAD_BYTES = 1, 8, 2 * 1024 * 1024

#: Files prepared here ahead of the one being stored, at most (``Pipeline._steal``).
LOCAL_FILES = 160

#: Rows per message: a long export goes over in parts, so that neither process holds all of
#: it twice (as objects and as one pickled message).
CHUNK_ROWS = 250

#: The worker's program: take the parent's import path, then serve on the given descriptor.
_WORKER_CODE = ("import json, sys; sys.path[:0] = json.loads(sys.argv[1]); "
                "from yhteistuumin_survey.ingest.pipeline import serve; serve(int(sys.argv[2]))")


class _Channel:
    """Pickled messages over a socket, streamed (no message is held whole as bytes)."""

    def __init__(self, sock: Any) -> None:
        self.sock = sock
        self.reader = sock.makefile("rb")
        self.writer = sock.makefile("wb")

    def send(self, message: Any) -> None:
        import pickle

        pickle.dump(message, self.writer, protocol=pickle.HIGHEST_PROTOCOL)
        self.writer.flush()

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
    (key, path, display, part, parts) with the prepared file in parts (``_send_prepared``),
    until the parent closes the connection or sends None.

    A thread sends the answers: the next file is read while the last one goes out (the
    parent takes it when it has stored the file before), at most one file waiting."""
    import queue
    import signal
    import socket
    import threading

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops the run and this worker
    channel = _Channel(socket.socket(fileno=fd))
    outbox: queue.Queue[tuple[int, Prepared | None] | None] = queue.Queue(maxsize=1)
    gone = threading.Event()

    def sender() -> None:
        try:
            while (item := outbox.get()) is not None:
                key, prepared = item
                if prepared is None:
                    channel.send(("failed", key))
                else:
                    _send_prepared(channel, key, prepared)
                del item, prepared
        except (EOFError, OSError):  # the parent has gone
            gone.set()

    thread = threading.Thread(target=sender, name="pipeline-sender", daemon=True)
    thread.start()
    try:
        reader = Reader(*channel.recv())
        while not gone.is_set() and (task := channel.recv()) is not None:
            key, path, display, part, parts = task
            try:
                prepared: Prepared | None = reader.prepare(Path(path), display, part, parts)
            except Exception:  # noqa: BLE001 - the parent reads this file itself
                prepared = None
            while not gone.is_set():
                try:
                    outbox.put((key, prepared), timeout=0.5)
                    break
                except queue.Full:
                    continue
            del prepared
    except (EOFError, OSError):  # the parent has gone or closed the connection
        pass
    finally:
        while not gone.is_set():  # let the thread send what is left, then stop
            try:
                outbox.put(None, timeout=0.5)
            except queue.Full:
                continue
            thread.join()
            break
        channel.close()


def _send_prepared(channel: _Channel, key: int, prepared: Prepared) -> None:
    """Send a prepared file as ("head", key, format and the rest, error), ("rows", records,
    practices) in parts of ``CHUNK_ROWS`` and ("end", key); ("failed", key) when it cannot
    be sent whole (the parent then reads the file itself). What is sent is let go."""
    parsed = prepared.parsed
    head = None if parsed is None else (parsed.format, parsed.mappings, parsed.notes,
                                        parsed.problems)
    channel.send(("head", key, head, prepared.error))
    records: list[Any] = parsed.records if parsed is not None else []
    practices: list[Any] = prepared.practices
    del prepared, parsed
    try:
        record_names = _names(RawRecord)
        practice_names: list[str] | None = None
        for start in range(0, max(len(records), len(practices)), CHUNK_ROWS):
            end = start + CHUNK_ROWS
            rows = [_record_row(record, record_names) for record in records[start:end]]
            shares = []
            for practice in practices[start:end]:
                if practice is not None and not isinstance(practice, str):
                    practice_names = practice_names or _names(type(practice))
                    practice = tuple(getattr(practice, name) for name in practice_names)
                shares.append(practice)
            records[start:end] = [None] * len(records[start:end])
            practices[start:end] = [None] * len(practices[start:end])
            channel.send(("rows", rows, shares))
    except (EOFError, OSError):
        raise
    except Exception:  # noqa: BLE001 - the parent reads this file itself
        channel.send(("failed", key))
        return
    channel.send(("end", key))


def _names(cls: Any) -> list[str]:
    return [f.name for f in fields(cls)]


def _record_row(record: RawRecord, names: list[str]) -> tuple[Any, ...]:
    """A record's fields as a tuple: the raw answers as their JSON text, no answers (only
    normalising reads them)."""
    values = [getattr(record, name) for name in names]
    values[names.index("raw_json")] = record.raw_text()
    values[names.index("raw")] = values[names.index("answers")] = None
    return tuple(values)


class _Building:
    """A prepared file coming in parts (``_send_prepared``)."""

    def __init__(self, head: Any, error: str | None) -> None:
        self.parsed = None if head is None else ParsedFile(head[0], [], *head[1:])
        self.practices: list[Any] = []
        self.error = error
        self.names = _names(RawRecord)
        self.raw, self.answers = self.names.index("raw"), self.names.index("answers")

    def add(self, rows: list[tuple[Any, ...]], practices: list[Any]) -> None:
        from ..normalise import NormalisedPractice

        if self.parsed is not None:
            for row in rows:
                values = list(row)
                values[self.raw], values[self.answers] = {}, {}
                self.parsed.records.append(RawRecord(*values))
        self.practices.extend(value if value is None or isinstance(value, str)
                              else NormalisedPractice(*value) for value in practices)

    def done(self) -> Prepared:
        return Prepared(parsed=self.parsed, practices=self.practices, error=self.error)


class _Worker:
    """One worker process and its connection; its answers come in the order of its tasks."""

    def __init__(self, reader_args: tuple[Any, ...]) -> None:
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
        self.channel.send(reader_args)
        self.sent: deque[int] = deque()  # keys of the tasks sent, answers not yet received
        self.answers: dict[int, Prepared | None] = {}
        self.unwanted: set[int] = set()  # tasks whose answers are dropped as they come

    def send(self, key: int, task: tuple[Any, ...]) -> None:
        self.channel.send(task)
        self.sent.append(key)

    def ready(self, key: int) -> bool:
        """Whether the answer to task ``key`` has come, or something of the next answer has
        (it is then sent whole soon: the worker sends a file only when it has prepared it)."""
        import select

        if key in self.answers:
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

    def answer(self, key: int) -> Prepared | None:
        """Wait for the answer to task ``key`` (answers that come before it are kept for
        their turn); None when the worker could not prepare the file."""
        building: _Building | None = None
        while key not in self.answers:
            if not self.sent:
                raise KeyError(key)
            message = self.channel.recv()
            tag = message[0]
            if tag == "head":
                building = _Building(message[2], message[3])
            elif tag == "rows" and building is not None:
                building.add(message[1], message[2])
            elif tag in ("end", "failed"):
                if message[1] in self.unwanted:
                    self.unwanted.discard(message[1])
                else:
                    self.answers[message[1]] = building.done() if tag == "end" and \
                        building is not None else None
                self.sent.remove(message[1])
                building = None
        return self.answers.pop(key)

    def close(self) -> None:
        import subprocess

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
                 limits: Any = None, here: Callable[[Path, str], Prepared] | None = None) -> None:
        self.split_bytes = split_bytes
        self.here = here
        self.local: dict[int, Prepared] = {}  # key -> prepared here while waiting (``_steal``)
        self.workers: list[_Worker] = []
        self.broken = False
        try:
            for _ in range(workers):
                self.workers.append(_Worker((workspace, source, structures, limits)))
        except OSError:  # no process could be started: everything is read here
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
        """Return what gives the file's prepared result (waiting for it), or None when the
        file is not one the workers read (this process reads it).

        While the answer has not come, this process prepares the next files itself
        (``_steal``); the next files go to the worker when its answer has come."""
        for earlier in [k for k in (*self.ahead, *self.local) if k < key]:  # not read
            for worker, task_key in self.ahead.pop(earlier, (0, []))[1]:
                worker.unwanted.add(task_key)
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
                answers = [worker.answer(task_key) for worker, task_key in shares]
            finally:
                self.ahead.pop(key, None)
                self._fill()
            first, *rest = answers
            if first is None or any(answer is None for answer in rest):
                raise RuntimeError("a worker could not prepare the file")
            return first.merge([answer for answer in rest if answer is not None])

        return result

    def _steal(self) -> bool:
        """Prepare a file no worker has been given here, while the worker is still busy with
        the one to store now: the first small one (files are still stored in their order;
        only where they are prepared moves). Long exports stay the worker's: one prepared
        here would be held whole beside the one being stored. False when there is none."""
        self._fill()  # the worker first: it must not run out of files while this one waits
        if self.here is None or len(self.local) >= LOCAL_FILES:
            return False
        for index, (key, path, size) in enumerate(self.queue):
            if size < self.split_bytes:
                del self.queue[index]
                self.local[key] = self.here(path, str(path))
                return True
        return False

    def close(self) -> None:
        for worker in self.workers:
            worker.close()
