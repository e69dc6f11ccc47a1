"""Read the database without the ORM, for the commands that only look (``status``, ``practices list``).

A reader runs SQL text with ``:name`` parameters and returns tuples. On a SQLite file it is the
standard library's ``sqlite3``, so these commands import neither SQLAlchemy nor the models; on
any other database, or over a SQLAlchemy session or connection, it runs through SQLAlchemy Core.

:func:`open_reader` checks the schema with one query and never migrates: a database older than
this program is an error that says how to upgrade it (a command that only looks should not
change the database), one not made yet is for the caller to create.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Protocol

from ..errors import DatabaseError
from .engine import describe_url, known_revisions


class Reader(Protocol):
    """Runs a query: SQL text with ``:name`` parameters, rows as tuples."""

    def rows(self, sql: str, /, **params: Any) -> list[tuple[Any, ...]]: ...


class SqliteReader:
    """A reader on a SQLite file through the standard library."""

    def __init__(self, path: Path):
        import sqlite3

        self.connection = sqlite3.connect(path, timeout=30)

    def rows(self, sql: str, /, **params: Any) -> list[tuple[Any, ...]]:
        return self.connection.execute(sql, params).fetchall()

    def close(self) -> None:
        self.connection.close()


class SqlAlchemyReader:
    """A reader over a SQLAlchemy connection or session (PostgreSQL, the writing commands);
    closing it closes the connection and disposes of ``engine`` if given (one it made)."""

    def __init__(self, connection: Any, *, engine: Any = None):
        self.connection, self.engine = connection, engine

    def rows(self, sql: str, /, **params: Any) -> list[tuple[Any, ...]]:
        from sqlalchemy import text

        return [tuple(row) for row in self.connection.execute(text(sql), params)]

    def close(self) -> None:
        self.connection.close()
        if self.engine is not None:
            self.engine.dispose()


def as_reader(db: Any) -> Reader:
    """Return ``db`` as a reader: a reader as it is, a SQLAlchemy session or connection wrapped."""
    return db if hasattr(db, "rows") else SqlAlchemyReader(db)


def json_value(value: Any) -> Any:
    """A JSON column's value: SQLite gives the text, PostgreSQL's driver the decoded value."""
    if value == "[]":  # most lists of flags
        return []
    return json.loads(value) if isinstance(value, str | bytes) else value


def flag(value: Any) -> bool | None:
    """A boolean column's value: SQLite stores 0 and 1."""
    return None if value is None else bool(value)


#: A plain SQLite file URL, which ``sqlite3`` opens as SQLAlchemy would.
_SQLITE_FILE = re.compile(r"^sqlite(?:\+pysqlite)?:///(?P<path>[^?%]+)$")


def sqlite_file(url: str) -> Path | None:
    """The file a ``sqlite:///PATH`` URL names (None: another database, or in memory)."""
    match = _SQLITE_FILE.match(url)
    return Path(match["path"]) if match and match["path"] != ":memory:" else None


def open_reader(url: str) -> SqliteReader | SqlAlchemyReader | None:
    """Return a reader on the database at ``url`` if its schema is this program's; None when
    the database is not made yet (no schema, no register: the caller creates it).

    Raises ``DatabaseError`` for a database at an older revision (run ``db upgrade``) or one
    newer than this program.
    """
    path = sqlite_file(url)
    reader: SqliteReader | SqlAlchemyReader
    missing: type[Exception]
    if path is not None:
        import sqlite3

        if not path.is_file() or path.stat().st_size == 0:
            return None
        reader, missing = SqliteReader(path), sqlite3.OperationalError
    else:
        from sqlalchemy.exc import DBAPIError, OperationalError

        from .engine import cannot_connect, make_engine

        engine = make_engine(url)
        try:
            reader, missing = SqlAlchemyReader(engine.connect(), engine=engine), DBAPIError
        except OperationalError as exc:
            engine.dispose()
            raise cannot_connect(engine, exc) from None
    try:
        ready = _ready(reader, url, missing)
    except BaseException:
        reader.close()
        raise
    if not ready:
        reader.close()
        return None
    return reader


def _ready(reader: Reader, url: str, missing: type[Exception]) -> bool:
    """Whether the database has this program's schema and a register (False: not made yet)."""
    try:
        versions = [row[0] for row in reader.rows("SELECT version_num FROM alembic_version")]
    except missing as exc:
        if not re.search(r"no such table|does not exist", str(exc)):
            raise
        return False  # no version table: a new database (or a foreign one, refused on creation)
    head, known = known_revisions()
    if head is None or not versions:
        return False  # let the full open decide (unparsable migrations, an empty version table)
    if versions != [head]:
        where = describe_url(url)
        if versions[0] in known:
            raise DatabaseError(f"{where}: the database is at schema revision {versions[0]}, "
                                f"older than this program's {head}; upgrade it with "
                                "'yhteistuumin db upgrade' (any command that changes the "
                                "database also does)")
        raise DatabaseError(f"{where}: the database is at schema revision {versions[0]}, "
                            f"newer than this program knows (newest {head}); upgrade "
                            "yhteistuumin")
    return bool(reader.rows("SELECT 1 FROM municipality LIMIT 1"))
