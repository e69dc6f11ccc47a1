"""One writer where it matters: a lock per kind of run (``ingest``, ``send``) on one database.

Two ingests deciding at once what is new would each store the same answers (each run keeps
an index of the known practices in memory); two sends starting together race to queue the
same rows. A run of such a kind holds this lock from start to end:

* PostgreSQL: a session-level advisory lock (``pg_try_advisory_lock``) on a connection of its
  own, named after the run in ``application_name`` so that a refused run can say who holds
  it. The server releases it when the holder's connection ends, even after a kill.
* SQLite: an ``flock`` on a file beside the database, holding the same description. A
  transaction held for the whole run (``BEGIN IMMEDIATE``) would serialise it too, but would
  also lock out every other writer (review imports, status) for as long as an ingest runs.

The holder is described as ``host, pid N, since HH:MM:SS UTC``.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import socket
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

#: How often a waiting run asks again.
POLL_SECONDS = 0.2
_PREFIX = "yhteistuumin "


@dataclass
class Held:
    """A lock this run holds, and how long it waited for it."""

    name: str
    waited: float = 0.0
    holder: str = ""  # who held it while this run waited


class LockBusy(Exception):
    """Another run holds the lock; ``holder`` says who (host, pid, since)."""

    def __init__(self, name: str, holder: str):
        # A holder that is another command than the lock's ('forget: host, pid N, ...' holds
        # the send lock) is named as that command.
        other = re.fullmatch(r"([a-z]+): (.+)", holder)
        if other and other.group(1) != name:
            running = f"yhteistuumin {other.group(1)} is running ({other.group(2)})"
        else:
            running = f"another {name} is running ({holder or 'holder unknown'})"
        super().__init__(running)
        self.name = name
        self.holder = holder


def describe_me() -> str:
    """This run as ``host, pid N, since HH:MM:SS UTC``."""
    now = dt.datetime.now(dt.UTC)
    return f"{socket.gethostname()}, pid {os.getpid()}, since {now:%Y-%m-%d %H:%M:%S} UTC"


def _key(name: str) -> int:
    # A stable 32-bit key per lock name, in the advisory key space of this program.
    return zlib.crc32(f"yhteistuumin:{name}".encode())


@contextmanager
def exclusive(engine: Engine, name: str, *, wait: float = 0.0, by: str | None = None,
              on_wait: Callable[[str], object] | None = None) -> Iterator[Held]:
    """Hold the ``name`` lock of this database for the block.

    Waits up to ``wait`` seconds for another holder to finish, then raises ``LockBusy``;
    ``on_wait(line)`` is told once when it starts waiting (whom for, how long at most).
    ``by`` names the command holding it when it is not ``name`` (forget holds the send lock),
    for the message of a run refused meanwhile. An in-memory SQLite database needs no lock
    (no other process can see it).
    """
    waiting = _Waiting(name, wait, on_wait)
    if engine.dialect.name == "postgresql":
        with _postgres(engine, name, wait, _postgres_label(name, by), waiting) as held:
            yield held
        return
    me = f"{by}: {describe_me()}" if by else describe_me()
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        yield Held(name)
        return
    with _file(Path(f"{database}.{name}.lock"), name, wait, me, waiting) as held:
        yield held


class _Waiting:
    """A run's wait for another holder of its lock, around the loop that asks for it: told
    once when it begins (``on_wait``), and an interrupt (Ctrl-C, SIGTERM) during it says what
    it waited for and that nothing was done yet, instead of a bare "Interrupted." (an ingest
    waits up to 15 minutes, a publish or review import 10)."""

    def __init__(self, name: str, wait: float, on_wait: Callable[[str], object] | None):
        self.name, self.wait, self.on_wait = name, wait, on_wait
        self.holder: str | None = None  # who holds it, once the run waits

    def __enter__(self) -> _Waiting:
        return self

    def __exit__(self, kind: Any, error: BaseException | None, _trace: Any) -> None:
        from .errors import Interrupted, stopped_by_interrupt

        if error is not None and self.holder is not None and stopped_by_interrupt(error):
            raise Interrupted(f"it came while waiting: {LockBusy(self.name, self.holder)}; "
                              "nothing was done yet; run the command again when it has "
                              "finished") from None

    def begin(self, holder: str) -> None:
        """The lock found held (again), by ``holder``: say so the first time."""
        first = self.holder is None
        self.holder = holder
        if first and self.on_wait is not None and self.wait > 0:
            minutes = self.wait / 60
            most = f"{minutes:g} minute{'s' if minutes != 1 else ''}" if minutes >= 1 \
                else f"{self.wait:g} s"
            self.on_wait(f"Waiting: {LockBusy(self.name, holder)}. This command waits up to "
                         f"{most} for it to finish (Ctrl-C stops it; nothing is done yet)")


#: The lock a transaction takes before it locks practice rows it did not make (PostgreSQL).
PRACTICES = "practices"


def for_this_transaction(session: Any, name: str = PRACTICES) -> None:
    """Hold the ``name`` lock until the session's transaction ends (PostgreSQL; a no-op on
    SQLite, where a write transaction excludes every other writer anyway).

    An ingest's file writes new versions of practices in the order of its rows; a review
    import locks the practices it decides in the order of their ids. Each holding some rows
    and waiting for the other's, they deadlocked, and PostgreSQL failed one of them. Both take
    this lock first, so one waits for the other's transaction (one file; one import) instead.
    Take it before the first practice row the transaction locks."""
    from sqlalchemy import text

    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _key(name)})


@contextmanager
def _postgres(engine: Engine, name: str, wait: float, me: str, waiting: _Waiting
              ) -> Iterator[Held]:
    from sqlalchemy import text

    key = _key(name)
    started = time.monotonic()
    held = Held(name)
    with engine.connect() as connection:
        connection.execute(text("SELECT set_config('application_name', :n, false)"),
                           {"n": me})
        connection.commit()
        with waiting:
            while True:
                got = connection.execute(text("SELECT pg_try_advisory_lock(:k)"),
                                         {"k": key}).scalar()
                connection.commit()
                if got:
                    break
                held.holder = _postgres_holder(connection, key, name)
                if time.monotonic() - started >= wait:
                    raise LockBusy(name, held.holder)
                waiting.begin(held.holder)
                time.sleep(POLL_SECONDS)
        held.waited = time.monotonic() - started
        try:
            yield held
        finally:
            _postgres_unlock(connection, key)


#: What PostgreSQL keeps of an ``application_name`` (NAMEDATALEN - 1 bytes, printable ASCII).
_LABEL_MAX = 63
#: The label of a holder: ``yhteistuumin LOCK[/BY] PID SINCE HOST``, BY the command holding
#: another's lock (forget holds send's), SINCE the start in seconds since 1970 in base 36. The
#: host is last: only it is shortened (to its first name, then cut) when the label is long.
_LABEL = re.compile(r"yhteistuumin ([a-z]+)(?:/([a-z]+))? (\d+) ([0-9a-z]+) (.*)")


def _postgres_label(name: str, by: str | None) -> str:
    """This run as the holder's label, within what PostgreSQL keeps: the whole description
    (``describe_me``) did not fit, and the cut took the pid and the time."""
    since = int(time.time())
    digits = ""
    while since:
        since, digit = divmod(since, 36)
        digits = "0123456789abcdefghijklmnopqrstuvwxyz"[digit] + digits
    head = f"{_PREFIX}{name}{'/' + by if by else ''} {os.getpid()} {digits or '0'} "
    host = "".join(c if " " <= c <= "~" else "?" for c in socket.gethostname())
    room = _LABEL_MAX - len(head)
    if len(host) > room:
        host = host.split(".")[0]
    if len(host) > room:
        host = host[:max(room - 3, 0)] + "..."
    return head + host


def _holder_from_label(label: str, name: str) -> str | None:
    """The holder a label names, as ``describe_me`` says it (``BY: `` first when another
    command holds the lock); None for a label this version did not write."""
    found = _LABEL.fullmatch(label)
    if found is None or found.group(1) != name:
        return None
    _, by, pid, since, host = found.groups()
    when = dt.datetime.fromtimestamp(int(since, 36), dt.UTC)
    me = f"{host}, pid {pid}, since {when:%Y-%m-%d %H:%M:%S} UTC"
    return f"{by}: {me}" if by else me


def _postgres_unlock(connection: Any, key: int) -> None:
    """Let the lock go. On a connection the server has lost (stopped, restarted, the network
    gone) it is gone with it: the server releases a session's advisory locks when the session
    ends. Failing to say so must not turn a run's outcome (an ingest's report of the files it
    stored before the server went) into an error of its own; the connection is closed, which
    releases the lock if the session is somehow still there."""
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    try:
        connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
        connection.commit()
    except DBAPIError:
        connection.invalidate()


def _postgres_holder(connection: Any, key: int, name: str) -> str:
    from sqlalchemy import text

    row = connection.execute(text(
        "SELECT a.application_name, a.client_addr, a.backend_start FROM pg_locks l "
        "JOIN pg_stat_activity a ON a.pid = l.pid "
        "WHERE l.locktype = 'advisory' AND l.granted AND l.objid = :k"),
        {"k": key % (1 << 32)}).first()
    connection.commit()
    if row is None:
        return ""
    label = str(row[0] or "")
    holder = _holder_from_label(label, name)
    if holder is not None:
        return holder
    prefix = _PREFIX + name + ": "  # as earlier versions wrote it (cut at 63 characters)
    if label.startswith(prefix):
        return label[len(prefix):]
    return f"database client {row[1] or 'local'}, connected since {row[2]:%Y-%m-%d %H:%M:%S}"


@contextmanager
def _file(path: Path, name: str, wait: float, me: str, waiting: _Waiting) -> Iterator[Held]:
    import fcntl

    started = time.monotonic()
    held = Held(name)
    handle = open(path, "a+", encoding="utf-8")  # noqa: SIM115 - held for the whole block
    try:
        with waiting:
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    handle.seek(0)
                    held.holder = handle.read().strip()
                    if time.monotonic() - started >= wait:
                        raise LockBusy(name, held.holder) from None
                    waiting.begin(held.holder)
                    time.sleep(POLL_SECONDS)
        held.waited = time.monotonic() - started
        handle.seek(0)
        handle.truncate()
        handle.write(me + "\n")
        handle.flush()
        try:
            yield held
        finally:
            handle.seek(0)
            handle.truncate()
            handle.flush()
            fcntl.flock(handle, fcntl.LOCK_UN)
    finally:
        handle.close()
