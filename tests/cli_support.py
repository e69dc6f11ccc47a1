"""What a command's expected error looks like on the command line, and an interrupt that
SQLAlchemy turned into its own error, for the fault tests."""

from __future__ import annotations

from typing import Any


def one_error_line(result: Any) -> str:
    """The one ``Error:`` line a refused command prints (exit 1, no traceback); return it."""
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and result.exception is None, result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, result.output
    return errors[0]


def interrupt_replaced(*_args: object) -> None:
    """Raise what a Ctrl-C landing in SQLAlchemy's own bookkeeping of a commit came out as in
    a real send (a KeyboardInterrupt raised line by line at 362 points of one: 4 of them, once
    the sync level's reset no longer hid it): the rollback of the flush the interrupt cut off
    raised "Transaction ... is not on the active transaction list", an InvalidRequestError
    with the interrupt as its context, in the interrupt's place."""
    from sqlalchemy.exc import InvalidRequestError

    try:
        raise KeyboardInterrupt
    except KeyboardInterrupt:
        raise InvalidRequestError(  # noqa: B904 - as SQLAlchemy raises it: the interrupt its context
            "Transaction <sqlalchemy.orm.session.SessionTransaction object> is not on the "
            "active transaction list")
