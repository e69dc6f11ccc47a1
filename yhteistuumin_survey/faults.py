"""One boundary for faults of the machine: a full disk, a read-only, damaged or locked
database, a name too long, a permission. Each becomes one line ``where: what happened; what to
do`` instead of a traceback (``describe_fault``, used by the CLI's error boundary and by the
batch loops that go on after a bad item).
"""

from __future__ import annotations

import errno
import sys

#: What an operating-system error number means, and what to do about it.
_OS = {
    errno.ENOSPC: "the disk is full; free some space and run the command again",
    errno.EDQUOT: "the disk quota is used up; free some space and run the command again",
    errno.EFBIG: "the file grew larger than this system allows; free space or raise the limit",
    errno.EROFS: "the disk is read-only; use a workspace on a writable disk",
    errno.EACCES: "permission denied; check who owns it and its permissions",
    errno.EPERM: "not permitted (an immutable file?); check its owner and flags (lsattr)",
    errno.ENAMETOOLONG: "the name is too long for this file system; shorten it",
    errno.ENOENT: "no such file or folder; check the path",
    errno.EISDIR: "is a folder, expected a file",
    errno.EIO: "the disk reported an input/output error; check the disk",
}

#: SQLite's and PostgreSQL's messages, and what they mean for a user.
_DATABASE = (
    ("database is locked", "the database is locked by another run; wait for it to finish and "
                           "run the command again"),
    ("readonly database", "the database is read-only; make the file and its folder writable "
                          "(chmod, chattr -i) or copy it somewhere writable"),
    ("read-only", "the database is read-only; make it writable or use a writable copy"),
    ("file is not a database", "the database file is damaged (not a database); restore it "
                               "from a backup"),
    ("malformed", "the database file is damaged; restore it from a backup"),
    ("database or disk is full", "the disk is full; free some space and run the command again"),
    ("disk i/o error", "the disk reported an error while writing the database; check free "
                       "space and the disk"),
    ("unable to open database file", "the database file cannot be opened; check that its "
                                     "folder exists and is writable"),
    ("no such table", "the database is not set up for this program; run yhteistuumin db "
                      "upgrade or check [database] url"),
    ("could not connect", "cannot connect to the database server; check that it runs and "
                          "[database] url"),
    ("connection refused", "cannot connect to the database server; check that it runs and "
                           "[database] url"),
    ("server closed the connection", "the database server closed the connection; run the "
                                     "command again"),
    ("terminating connection due to administrator command",
     "the database server ended the connection (stopped or restarted); run the command again "
     "when it is back"),
    ("the database system is shutting down", "the database server is shutting down; run the "
                                             "command again when it is back"),
    ("the database system is starting up", "the database server is starting up; run the "
                                           "command again in a moment"),
    ("is not currently accepting connections", "the database server takes no connections to "
                                               "this database now; run the command again "
                                               "when it does"),
    ("deadlock detected", "another run changed the same rows at the same moment; run the "
                          "command again"),
)


def os_fault(exc: OSError) -> str:
    """``path: what happened; what to do`` for an operating-system error."""
    what = _OS.get(exc.errno or 0) or (exc.strerror or type(exc).__name__).lower()
    where = exc.filename if exc.filename is not None else ""
    return f"{where}: {what}" if where else what


def database_fault(exc: BaseException, *, database: str = "") -> str | None:
    """``database: what happened; what to do`` for a SQLAlchemy error, or None if unknown."""
    text = str(getattr(exc, "orig", None) or exc).lower()
    for needle, meaning in _DATABASE:
        if needle in text:
            if needle == "database is locked":
                holder = getattr(exc, "lock_holder", "")  # db.lockwatch: who held it
                if holder:
                    meaning = meaning.replace("another run;", f"another run ({holder});")
                meaning += ", or let it wait longer with ?timeout=SECONDS in [database] url"
            return f"{database}: {meaning}" if database else meaning
    return None


def _database_error(exc: BaseException) -> bool:
    """A SQLAlchemy error, or one of ``sqlite3`` (the read-only commands use it directly)."""
    sqlalchemy_exc, sqlite3 = sys.modules.get("sqlalchemy.exc"), sys.modules.get("sqlite3")
    return ((sqlalchemy_exc is not None and isinstance(exc, sqlalchemy_exc.DBAPIError))
            or (sqlite3 is not None and isinstance(exc, sqlite3.Error)))


def describe_fault(exc: BaseException, *, database: str = "") -> str | None:
    """The one line for a fault of the machine or the database; None for anything else."""
    if isinstance(exc, OSError):
        return os_fault(exc)
    if _database_error(exc):
        return database_fault(exc, database=database) or (
            f"{database + ': ' if database else ''}the database refused the operation "
            f"({type(getattr(exc, 'orig', exc)).__name__}); run with --debug for details")
    return None


def error_lines(exc: BaseException, *, database: str = "") -> tuple[list[str], int] | None:
    """The lines and exit code of an expected error or a fault; None for anything else (a bug)."""
    from .errors import SurveyError

    if isinstance(exc, SurveyError):
        return exc.lines(), exc.exit_code
    line = describe_fault(exc, database=database)
    return None if line is None else ([f"Error: {line}"], 1)
