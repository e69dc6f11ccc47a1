"""SQLAlchemy's pool's warnings and errors on standard error, without an interrupt's
traceback (``app._interrupts_said_once``): in a module of its own, so that the command line's
start (``yhteistuumin --help``) imports no ``logging``."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import Any


class PoolLines(logging.StreamHandler):  # type: ignore[type-arg]
    """The pool's warnings and errors on standard error (as Python's last resort writes
    them), but not an interrupt's, unless ``debug()`` says to show it."""

    def __init__(self, debug: Callable[[], bool]) -> None:
        logging.Handler.__init__(self, logging.WARNING)
        self.debug = debug

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return sys.stderr  # the one of the moment (a test's, a redirected one)

    def filter(self, record: logging.LogRecord) -> bool:  # type: ignore[override]
        interrupt = record.exc_info is not None and isinstance(record.exc_info[1],
                                                                KeyboardInterrupt)
        return not interrupt or self.debug()
