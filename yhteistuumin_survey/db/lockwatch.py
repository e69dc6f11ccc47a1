"""Say it when a run waits for another run's write lock on a SQLite database.

SQLite lets one writer at a time; a second waits inside the driver (``timeout``, 30 s by
default) and printed nothing meanwhile, so it looked hung. A watcher thread, started with the
first statement, notices a statement that has run for ``NOTICE_AFTER`` seconds. If another
process holds the database's write lock then (``write_lock_holder``), it says once (through
``on_wait``) that this run is waiting, for how long at most, and who holds the lock when one
of the project's lock files (``DATABASE.NAME.lock``, see ``locks``) names that process. A
wait that ends in "database is locked" carries the holder on the error
(``HOLDER_ATTRIBUTE``), for the fault line.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

#: A statement running this long (seconds) is checked for a lock wait.
NOTICE_AFTER = 1.5
#: How often the watcher looks.
_TICK = 0.25
#: Ticks without a statement after which the watcher thread ends (a new one starts with the
#: next statement).
_IDLE_TICKS = 8
#: The attribute a "database is locked" error carries the holder in.
HOLDER_ATTRIBUTE = "lock_holder"


def lock_holders(database: str) -> list[str]:
    """Who holds one of the project's run locks on ``database`` (other processes than this):
    ``another send is running (host, pid N, since …)``, from the lock files beside it."""
    import fcntl

    from ..locks import LockBusy

    base = Path(database)
    found = []
    for path in sorted(base.parent.glob(base.name + ".*.lock")):
        name = path.name[len(base.name) + 1:-len(".lock")]
        try:
            with open(path, encoding="utf-8", errors="replace") as handle:
                try:
                    fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
                except BlockingIOError:
                    holder = handle.read().strip()
                else:
                    continue  # nobody holds it (a killed holder's text may be left)
        except OSError:
            continue
        if f"pid {os.getpid()}," in holder:
            continue  # this run's own lock (it holds the ingest lock while it writes)
        found.append(str(LockBusy(name, holder)))
    return found


#: Where SQLite's WAL write lock is: byte 120 of the ``-shm`` file (WAL_WRITE_LOCK, the
#: first of the shared-memory locks, sqlite3.c ``WALINDEX_LOCK_OFFSET``).
_WAL_WRITE_LOCK = 120


def write_lock_holder(database: str) -> int | None:
    """The pid of another process holding the write lock of ``database`` (WAL mode, which the
    engine sets), or None. A POSIX record lock, so ``F_GETLK`` names its holder and never
    this process: a long write statement of this very run is not taken for a wait."""
    import fcntl
    import struct

    layout = "@hhqqi4x"  # struct flock on Linux: type, whence, start, len, pid
    try:
        with open(f"{database}-shm", "rb") as shm:
            asked = struct.pack(layout, fcntl.F_WRLCK, os.SEEK_SET, _WAL_WRITE_LOCK, 1, 0)
            answer = fcntl.fcntl(shm.fileno(), fcntl.F_GETLK, asked)
    except OSError:
        return None
    kind, _whence, _start, _length, pid = struct.unpack(layout, answer)
    return None if kind == fcntl.F_UNLCK or pid == os.getpid() else pid


class LockWatch:
    """Watches the statements of one engine on the SQLite file ``database``."""

    def __init__(self, database: str, wait: float, on_wait: Callable[[str], object]):
        self.database, self.wait, self.on_wait = database, wait, on_wait
        self.running: dict[int, float] = {}  # cursor id -> when its statement started
        self.said: set[int] = set()  # the statements already checked for a lock wait
        self.told = False  # the wait was said (once a command)
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def attach(self, engine: Any) -> None:
        from sqlalchemy import event

        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)
        event.listen(engine, "handle_error", self._error)

    def _before(self, _conn: Any, cursor: Any, *_args: Any) -> None:
        with self._lock:  # the watcher may be ending (_watch): it looks under this lock
            self.running[id(cursor)] = time.monotonic()
            if self._thread is None:
                self._thread = threading.Thread(target=self._watch, daemon=True,
                                                name="sqlite-lock-watch")
                self._thread.start()

    def _after(self, _conn: Any, cursor: Any, *_args: Any) -> None:
        self.running.pop(id(cursor), None)
        self.said.discard(id(cursor))

    def _error(self, context: Any) -> None:
        cursor = getattr(context, "cursor", None)
        if cursor is not None:
            self.running.pop(id(cursor), None)
            self.said.discard(id(cursor))
        if "database is locked" in str(context.original_exception):
            holders = lock_holders(self.database)
            if holders and context.sqlalchemy_exception is not None:
                setattr(context.sqlalchemy_exception, HOLDER_ATTRIBUTE, "; ".join(holders))

    def _watch(self) -> None:
        idle = 0
        while True:
            time.sleep(_TICK)
            if not self.running:
                # No statement for a while: the watcher ends, and the next statement starts
                # another (an engine no longer used, a test's, leaves no thread behind).
                idle += 1
                if idle >= _IDLE_TICKS:
                    with self._lock:
                        if not self.running:
                            self._thread = None
                            return
                continue
            idle = 0
            now = time.monotonic()
            for cursor, started in list(self.running.items()):
                if cursor in self.said or now - started < NOTICE_AFTER:
                    continue
                self.said.add(cursor)
                if not self.told and (holder := write_lock_holder(self.database)):
                    self.told = True
                    self.on_wait(self.message(holder))

    def message(self, pid: int) -> str:
        holders = [holder for holder in lock_holders(self.database) if f"pid {pid}," in holder]
        who = ("; ".join(holders) if holders
               else f"another program (pid {pid}) is writing to it")
        return (f"Waiting for the database {self.database}: {who}. This command waits up to "
                f"{self.wait:g} s for it to finish (?timeout=SECONDS in [database] url sets "
                "how long)")
