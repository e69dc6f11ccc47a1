"""Open the database: connect, check its schema revision, migrate an older one, refuse a newer one."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import DatabaseError

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlmodel import Session

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


#: The scheme as typed, well formed or not: ``postgresql://``, ``postgresql//``, ``postgresql:``.
_SCHEME = re.compile(r"^[A-Za-z][\w+.-]*:?/*")
_PASSWORD_PARAM = re.compile(r"(?i)(?P<key>[?&;](?:password|passwd|pwd|sslpassword)=)[^&;\s]*")


def mask_url(url: str) -> str:
    """Return a database URL as typed, its password (even in a malformed URL) replaced by ***.

    The password is whatever stands between the user's colon and the last ``@``: an unescaped
    ``@`` or ``:`` inside it is masked too.
    """
    scheme = _SCHEME.match(url)
    prefix = scheme.group(0) if scheme and "/" in scheme.group(0) else ""
    rest = url[len(prefix):]
    if "@" in rest:
        userinfo, host = rest.rsplit("@", 1)
        if ":" in userinfo:
            rest = f"{userinfo.split(':', 1)[0]}:***@{host}"
    return _PASSWORD_PARAM.sub(lambda m: m.group("key") + "***", prefix + rest)


def describe_url(url: str) -> str:
    """Return the URL without its user and password, for messages; a SQLite database as its
    file's path (the house's ``path: what is wrong`` lines; "sqlite:/tmp/x.sqlite" was neither
    a URL the user could give back nor a path)."""
    from sqlalchemy.engine import make_url

    try:
        parsed = make_url(url)
    except Exception:  # noqa: BLE001 - any unparsable URL is reported as such
        return mask_url(url)
    if parsed.drivername.startswith("sqlite"):
        return parsed.database or ":memory:"
    host = parsed.host or "localhost"
    port = f":{parsed.port}" if parsed.port else ""
    return f"{parsed.drivername.split('+')[0]}://{host}{port}/{parsed.database or ''}"


def database_label(url: Any) -> str:
    """The database for an error line: a SQLite file's path, or the server's URL without its
    user and password (as ``describe_url``: a login role may be a person's own account, and
    error lines are pasted into tickets and emails)."""
    from sqlalchemy.engine import make_url

    try:
        parsed = make_url(url)
    except Exception:  # noqa: BLE001 - the error line must not fail in turn
        return "database"
    return describe_url(parsed.render_as_string(hide_password=True))


#: How long a run waits for another run's lock on a SQLite database (seconds) by default.
LOCK_WAIT_SECONDS = 30


def _lock_wait(given: Any, url: str) -> float:
    """The URL's ``timeout`` (seconds) or the default; a value that is no number is an error."""
    if given is None:
        return LOCK_WAIT_SECONDS
    try:
        seconds = float(given if isinstance(given, str) else given[-1])
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds < 86400:
        raise DatabaseError(f"{mask_url(url)!r}: timeout={given} is not a number of seconds; "
                            "use e.g. ?timeout=5 (how long to wait for another run's lock)")
    return seconds


def make_engine(url: str, *, on_wait: Callable[[str], object] | None = None) -> Engine:
    """Create an engine for ``url``; SQLite gets its folder made and foreign keys switched on.

    ``on_wait(line)`` is told once when a statement waits for another run's write lock on a
    SQLite file (``lockwatch``)."""
    from sqlalchemy import create_engine, event
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        raise DatabaseError(f"{mask_url(url)!r}: not a database URL; use e.g. "
                            "sqlite:///outputs/db.sqlite or postgresql+psycopg://user@host/db"
                            ) from None
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.drivername == "postgresql+psycopg":
        try:
            import psycopg  # noqa: F401 - the optional driver (the [postgres] extra)
        except ImportError:
            raise DatabaseError(f"{describe_url(url)}: the PostgreSQL driver is not installed; "
                                "install it with: pip install 'yhteistuumin-survey[postgres]'"
                                ) from None
    if parsed.drivername.startswith("sqlite") and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    try:
        if parsed.drivername.startswith("sqlite"):
            # A run waits this long for another run's lock before it says so; the URL may
            # set it (sqlite:///db.sqlite?timeout=5, in seconds, as sqlite3 takes it).
            waits = {"timeout": _lock_wait(parsed.query.get("timeout"), url)}
            engine = create_engine(parsed, connect_args=waits)
            if on_wait is not None and parsed.database not in (None, "", ":memory:"):
                from .lockwatch import LockWatch

                LockWatch(str(parsed.database), waits["timeout"], on_wait).attach(engine)

            @event.listens_for(engine, "connect")
            def _sqlite_pragmas(dbapi_connection, _record):  # type: ignore[no-untyped-def]
                cursor = dbapi_connection.cursor()
                cursor.execute("PRAGMA foreign_keys=ON")
                cursor.execute("PRAGMA journal_mode=WAL")
                # FULL: a commit survives a power cut too, not only a killed process. The
                # outbox's record of a hand-over must (else a message is sent twice), and it
                # costs a fraction of a millisecond a commit.
                cursor.execute("PRAGMA synchronous=FULL")
                cursor.close()
        else:
            engine = create_engine(parsed, pool_pre_ping=True,
                                   connect_args={"connect_timeout": 10})
    except (NoSuchModuleError, ModuleNotFoundError) as exc:
        raise DatabaseError(f"{describe_url(url)}: no driver for this database ({exc}); "
                            "use sqlite or postgresql+psycopg") from None
    return engine


def _alembic_config(engine: Engine):  # type: ignore[no-untyped-def]
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def head_revision() -> str:
    """Return the newest migration this program knows."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory(str(MIGRATIONS))
    head = script.get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    """Return the database's migration revision, or None for an empty database."""
    from alembic.runtime.migration import MigrationContext
    from sqlalchemy.exc import OperationalError

    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    except OperationalError as exc:
        raise cannot_connect(engine, exc) from None


def cannot_connect(engine: Engine, exc: Any) -> DatabaseError:
    """The one line for a database that refused to open: what the fault boundary says of a
    read-only, locked, damaged or unopenable SQLite file (a server that cannot be reached is
    "cannot connect" with the driver's reason)."""
    from ..faults import database_fault

    known = database_fault(exc, database=database_label(engine.url))
    if known is not None and engine.dialect.name == "sqlite":
        return DatabaseError(known)
    reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
    where = describe_url(str(engine.url))
    refusal = server_refusal(reason, engine.url)
    if refusal is not None:
        return DatabaseError(f"{where}: {refusal}")
    return DatabaseError(f"{where}: cannot connect: {_NAMED_ROLE.sub('user', reason)}; "
                         "check the database URL (--db / YHTEISTUUMIN_DB) and that the "
                         "server is running")


#: Where the database URL is set, for the lines that ask to correct it.
_URL_SETTINGS = "--db / YHTEISTUUMIN_DB / [database] url"
#: A login role the driver names ('user "liisa.virtanen"'): a person's own account, maybe.
_NAMED_ROLE = re.compile(r'\b(?:user|role) "[^"]*"')


def server_refusal(reason: str, url: Any) -> str | None:
    """What a PostgreSQL server's refusal to connect means and what to do, without the login
    role it names (a person's own account, maybe); None for a reason not known here."""
    if "password authentication failed" in reason:
        return ("the server refused the user name or password; check them in the database URL "
                f"({_URL_SETTINGS}); a % @ : / or # in the password is written there as "
                "%25 %40 %3A %2F %23")
    if "no password supplied" in reason:
        return ("the server asks for a password and the database URL gives none; give the "
                "URL with it in YHTEISTUUMIN_DB (postgresql://USER:PASSWORD@HOST/DATABASE) or "
                "put it in ~/.pgpass")
    if re.search(r'role "[^"]*" does not exist', reason):
        return ("the server has no such user; check the user name in the database URL "
                f"({_URL_SETTINGS})")
    missing = re.search(r'database "([^"]*)" does not exist', reason)
    if missing:
        name, host = missing.group(1), getattr(url, "host", None) or "localhost"
        port = f" -p {url.port}" if getattr(url, "port", None) else ""
        return (f"the server has no database named {name}; create it as a user allowed to "
                f"(createdb -h {host}{port} {name}, or CREATE DATABASE {name}; in psql) and "
                "run the command again (it sets up the tables), or correct the name in "
                f"{_URL_SETTINGS}")
    if "no pg_hba.conf entry" in reason:
        return ("the server does not let this machine log in to this database (pg_hba.conf); "
                "ask its administrator to allow it, or add ?sslmode=require to the URL if it "
                "accepts only encrypted connections")
    return None


_REVISION_LINE = re.compile(r"^(revision|down_revision)\b[^=\n]*=\s*(.+?)\s*$", re.MULTILINE)


@cache
def known_revisions() -> tuple[str | None, frozenset[str]]:
    """The newest migration and every known one, read from the files' ``revision`` lines
    without importing Alembic.

    The head is None when the files do not name exactly one (the caller then asks Alembic).
    """
    import ast

    revisions: set[str] = set()
    downs: set[str] = set()
    try:
        for path in (MIGRATIONS / "versions").glob("*.py"):
            found = dict(_REVISION_LINE.findall(path.read_text(encoding="utf-8")))
            revision = ast.literal_eval(found["revision"])
            down = ast.literal_eval(found.get("down_revision", "None"))
            revisions.add(revision)
            downs.update(down if isinstance(down, tuple | list) else [down] if down else [])
    except (KeyError, ValueError, SyntaxError, OSError):
        return None, frozenset()
    heads = revisions - downs
    return (heads.pop() if len(heads) == 1 else None), frozenset(revisions)


def _at_head(engine: Engine) -> bool:
    """Whether the database is at the newest schema: one query, no Alembic (False if unsure)."""
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError, OperationalError

    head, _known = known_revisions()
    if head is None:
        return False
    try:
        connection = engine.connect()
    except OperationalError as exc:
        raise cannot_connect(engine, exc) from None
    with connection:
        try:
            versions = connection.execute(text("SELECT version_num FROM alembic_version")
                                          ).scalars().all()
        except DBAPIError:
            return False  # no version table yet: the full check creates or refuses it
    return versions == [head]


@dataclass(frozen=True)
class Upgrade:
    """What ``db upgrade`` did: the schema revision before and after."""

    where: str
    before: str | None
    after: str
    backup: Path | None = None
    repaired: str | None = None

    failed = False

    def summary(self) -> list[str]:
        if self.before == self.after:
            return [f"{self.where}: already at the newest schema ({self.after})."]
        lines = [f"{self.where}: upgraded from {self.before or 'empty'} to {self.after}."]
        if self.repaired:
            lines.append(f"The migration to {self.repaired}, left half-done by an earlier "
                         "version, was finished.")
        if self.backup:
            lines.append(f"The database as it was before is kept in {self.backup}; delete "
                         "it once the upgraded one works (it holds the same personal data).")
        return lines

    def table(self) -> tuple[list[str], list[dict[str, Any]]]:
        return ["where", "before", "after", "backup"], [self.to_dict()]

    def to_dict(self) -> dict[str, Any]:
        return {"where": self.where, "before": self.before, "after": self.after,
                "backup": str(self.backup) if self.backup else None,
                "repaired": self.repaired}


@dataclass(frozen=True)
class Migrated:
    """What a migration did: the revision before and after, the copy of the database taken
    before it (SQLite), and the revision whose migration an earlier run left half-done and
    this one finished (or None)."""

    before: str | None
    after: str
    backup: Path | None = None
    repaired: str | None = None


def upgrade_database(engine: Engine) -> tuple[str | None, str]:
    """Apply every pending migration; return (revision before, revision after)."""
    migrated = migrate(engine)
    return migrated.before, migrated.after


def migrate(engine: Engine) -> Migrated:
    """Apply every pending migration, a SQLite file copied to ``FILE.bak-REVISION`` first.

    A SQLite database an earlier version left half-migrated (its migrations were not all or
    nothing: a kill left some statements of the next migration done under the old revision)
    is finished here: that migration is run again skipping what is already done, the rest
    follows, and the schema must then match this program's exactly, or nothing is kept.
    """
    from alembic import command
    from alembic.script import ScriptDirectory
    from sqlalchemy.exc import DBAPIError, OperationalError

    before = current_revision(engine)
    script = ScriptDirectory(str(MIGRATIONS))
    known = {rev.revision for rev in script.walk_revisions()}
    if before is not None and before not in known:
        raise DatabaseError(
            f"{describe_url(str(engine.url))}: the database is at schema revision {before}, "
            f"newer than this program knows (newest {head_revision()}); upgrade yhteistuumin")
    if before == head_revision():
        return Migrated(before, before)
    if before is None:
        _refuse_unversioned(engine)
    backup = _back_up(engine, before)
    migrating = _all_or_nothing(engine)
    repaired = None
    try:
        try:
            command.upgrade(_alembic_config(migrating), "head")
        except DBAPIError as exc:
            if (before is None or migrating.dialect.name != "sqlite"
                    or not isinstance(exc, OperationalError)
                    or not _HALF_DONE.search(str(exc.orig))):
                raise _cannot_migrate(engine, before, exc, backup) from None
            repaired = _finish_half_done(migrating, before, backup,
                                         script.get_revision(before).nextrev)
    finally:
        if migrating is not engine:
            migrating.dispose()
    return Migrated(before, head_revision(), backup, repaired)


#: What SQLite says of a statement whose work an earlier, killed migration had already done.
_HALF_DONE = re.compile(r"already exists|duplicate column name|no such (column|index|table)")


def _back_up(engine: Engine, revision: str | None) -> Path | None:
    """Copy a SQLite file's database (by SQLite's backup, consistent with its WAL) to
    ``FILE.bak-REVISION`` before it is migrated; None for an empty or in-memory database."""
    import sqlite3

    database = engine.url.database or ""
    if (revision is None or engine.dialect.name != "sqlite" or database in ("", ":memory:")
            or engine.url.query.get("mode") == "memory"):
        return None
    path = Path(database)
    backup = path.with_name(f"{path.name}.bak-{revision}")
    partial = backup.with_name(backup.name + ".part")
    try:
        source = sqlite3.connect(path)
        try:
            target = sqlite3.connect(partial)
            try:
                source.backup(target)
            finally:
                target.close()
        finally:
            source.close()
        partial.replace(backup)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return backup


def _cannot_migrate(engine: Engine, before: str | None, exc: Any,
                    backup: Path | None) -> DatabaseError:
    reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
    kept = f"; a copy of it is in {backup}" if backup else ""
    return DatabaseError(
        f"{database_label(engine.url)}: cannot be migrated from schema revision "
        f"{before or 'empty'} to {head_revision()} ({reason}); nothing was changed{kept}; "
        "restore the database from a backup made before its last upgrade and run "
        "'yhteistuumin db upgrade'")


def _finish_half_done(migrating: Engine, before: str, backup: Path | None,
                      next_revisions: Any) -> str:
    """Run the migration after ``before`` again, skipping the statements an earlier run
    already did, then the others; all in one transaction, kept only if the schema then
    matches the models. Returns the revision finished."""
    from alembic import command
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext
    from sqlalchemy import event
    from sqlalchemy.exc import OperationalError
    from sqlmodel import SQLModel

    from . import models  # noqa: F401 - registers every table

    (half_done,) = next_revisions
    config = _alembic_config(migrating)
    try:
        with migrating.begin() as connection:
            config.attributes["connection"] = connection
            event.listen(connection, "before_cursor_execute", _skip_done, retval=True)
            try:
                command.upgrade(config, half_done)
            finally:
                event.remove(connection, "before_cursor_execute", _skip_done)
            command.upgrade(config, "head")
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            if compare_metadata(context, SQLModel.metadata):
                raise DatabaseError(
                    f"{database_label(migrating.url)}: was left half-migrated to schema "
                    f"revision {half_done} by an earlier version and cannot be finished "
                    f"safely; nothing was changed"
                    + (f"; a copy of it is in {backup}" if backup else "")
                    + "; restore the database from a backup made before its last upgrade "
                    "and run 'yhteistuumin db upgrade'")
    except OperationalError as exc:
        raise _cannot_migrate(migrating, before, exc, backup) from None
    return str(half_done)


_IF_NOT_EXISTS = re.compile(r"^(\s*CREATE\s+(?:UNIQUE\s+)?(?:TABLE|INDEX)\s+)(?!IF\s)", re.I)
_IF_EXISTS = re.compile(r"^(\s*DROP\s+(?:TABLE|INDEX)\s+)(?!IF\s)", re.I)
_ALTER = re.compile(r'^\s*ALTER\s+TABLE\s+"?(?P<table>\w+)"?\s+(?P<verb>ADD|DROP)\s+'
                    r'(?:COLUMN\s+)?"?(?P<column>\w+)"?', re.I)


def _skip_done(_conn, cursor, statement, parameters, _context, _many):  # type: ignore[no-untyped-def]
    """A statement of a half-done migration made harmless where its work is already there."""
    statement = _IF_NOT_EXISTS.sub(r"\1IF NOT EXISTS ", statement)
    statement = _IF_EXISTS.sub(r"\1IF EXISTS ", statement)
    alter = _ALTER.match(statement)
    if alter:
        columns = {row[1] for row in cursor.connection.execute(
            f'PRAGMA table_info("{alter["table"]}")')}
        if (alter["column"] in columns) == (alter["verb"].upper() == "ADD"):
            statement = "SELECT 1"
    return statement, parameters


def _all_or_nothing(engine: Engine) -> Engine:
    """The engine to migrate with: on SQLite one whose transaction holds the DDL too.

    Python's sqlite3 opens a transaction only before INSERT, UPDATE or DELETE: a migration's
    CREATE, ALTER and DROP before its first row change were committed one by one. A migration
    killed half-way (kill -9, a power cut) left tables made and the version not moved, and
    every later command was refused ('the database refused the operation') for good. Here
    the driver opens no transaction of its own and the engine begins each with BEGIN
    IMMEDIATE (SQLAlchemy's recipe for SQLite), so the whole upgrade commits at once or not
    at all, and a second run migrating at the same moment waits for the first. PostgreSQL's
    DDL is transactional already.
    """
    database = engine.url.database or ""
    if (engine.dialect.name != "sqlite" or database in ("", ":memory:")
            or engine.url.query.get("mode") == "memory"):
        return engine  # an in-memory database is its engine's own: nothing to lose to a kill
    from sqlalchemy import event

    migrating = make_engine(engine.url.render_as_string(hide_password=False))

    @event.listens_for(migrating, "connect")
    def _no_implicit_transactions(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        dbapi_connection.isolation_level = None

    @event.listens_for(migrating, "begin")
    def _begin(connection):  # type: ignore[no-untyped-def]
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return migrating


def _refuse_unversioned(engine: Engine) -> None:
    from sqlalchemy import inspect

    tables = set(inspect(engine).get_table_names())
    if tables & {"municipality", "practice", "contact"}:
        raise DatabaseError(
            f"{describe_url(str(engine.url))}: holds survey tables but no schema revision; "
            "it was not made by yhteistuumin migrations, use another database")


def open_database(url: str, *, on_migrated: Any = None,
                  on_wait: Callable[[str], object] | None = None) -> Engine:
    """Return an engine on an up-to-date database (an older one is migrated first, and
    ``on_migrated``, if given, is called with what that did; ``on_wait``: see make_engine)."""
    engine = make_engine(url, on_wait=on_wait)
    if not _at_head(engine):  # the everyday case answers with one query, Alembic not loaded
        migrated = migrate(engine)
        if on_migrated is not None:
            on_migrated(migrated)
    return engine


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """Yield a session that commits on success and rolls back on error."""
    from sqlmodel import Session

    session = Session(engine, expire_on_commit=False)
    try:
        yield session
        session.commit()
    except BaseException:
        from sqlalchemy.exc import SQLAlchemyError

        rollback_quietly(session)
        with suppress(SQLAlchemyError):  # never raised in place of the error (rollback_quietly)
            session.close()
        raise
    session.close()


def rollback_quietly(session: Session) -> None:
    """Roll back on the way out of an error or an interrupt, never raising instead of it.

    Ctrl-C or SIGTERM may land inside SQLAlchemy's own bookkeeping of a commit (after the
    database committed, while the session marks its transaction done): the session is left
    'committed' or its transaction closed, and the rollback raised (InvalidRequestError,
    ResourceClosedError) instead of the interrupt, printed as a traceback. What the rollback
    cannot do, closing the session does (the connection goes back to its pool, which rolls
    back what is open, and the session can be used again).

    Landing in the guard SQLAlchemy keeps around a change of the transaction's state (after
    it marked a commit in progress, before the commit began), the interrupt leaves the session
    refusing both ("Method 'rollback()' can't be called here; method 'commit()' is already in
    progress", IllegalStateChangeError): it is then left as it is, the interrupt goes on, and
    its connection is closed with the process (the database discards what was not committed)."""
    from sqlalchemy.exc import SQLAlchemyError

    try:
        session.rollback()
    except SQLAlchemyError:
        with suppress(SQLAlchemyError):
            session.close()
