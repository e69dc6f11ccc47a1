"""The errors a user can act on: ``str(error)`` is the one-line reason shown by the CLI."""

from __future__ import annotations


class SurveyError(Exception):
    """An expected failure: the CLI prints ``Error: <message>`` and exits 1, no traceback."""

    #: The command line's exit status (2: a usage error).
    exit_code = 1

    def lines(self) -> list[str]:
        """What the command line prints to standard error."""
        return [f"Error: {self}"]


class ConfigError(SurveyError):
    """The configuration is invalid; ``problems`` holds one line per bad key."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("; ".join(self.problems) if self.problems else "invalid configuration")

    def lines(self) -> list[str]:
        if len(self.problems) < 2:
            return super().lines()
        return [f"Error: the configuration has {len(self.problems)} problems:",
                *(f"  {problem}" for problem in self.problems)]


class NoWorkspace(SurveyError):
    """A command that needs a workspace was run outside one (a usage error)."""

    exit_code = 2


class NotConfirmed(SurveyError):
    """The user did not confirm a send or a deletion (or there was no terminal to ask on)."""


class InputError(SurveyError):
    """An input file cannot be used (missing, unreadable, unknown layout)."""


def no_such_file(path: object) -> InputError:
    """The error for a file given by its path that is not there, with what to do."""
    return InputError(f"{path}: no such file; check the path (a typo, or moved or renamed?)")


class DatabaseError(SurveyError):
    """The database cannot be opened, is not migrated or is newer than this program."""


class WorkspaceGone(SurveyError):
    """The workspace folder was moved, renamed or deleted while a command ran in it."""

    def __init__(self, root: object):
        self.root = root
        super().__init__(f"{root}: the workspace folder was moved, renamed or deleted while the "
                         "command ran; nothing more is written there; run the command again in "
                         "the folder's new place")


class SendError(SurveyError):
    """Mail cannot be sent (SMTP connection, authentication, refused batch)."""


class MailboxError(SurveyError):
    """The mailbox cannot be read (IMAP connection, login, folder)."""


class Interrupted(KeyboardInterrupt):
    """Ctrl-C stopped a run that says what it kept: ``str(error)`` is that line (the CLI prints
    ``Interrupted: <message>`` and exits 130)."""


def stopped_by_interrupt(error: BaseException) -> bool:
    """Tell whether ``error`` is how an interrupt (Ctrl-C, SIGTERM) ended a run: the interrupt
    itself, or an error a library raised while it handled one (one with a KeyboardInterrupt in
    its context chain, not an expected error, whose line says more).

    An interrupt that lands in SQLAlchemy's own bookkeeping of a commit can come out as its
    error instead ("Transaction ... is not on the active transaction list", raised by the
    rollback of the flush the interrupt cut off): the user asked to stop, and the run says
    what it kept, as for the interrupt itself."""
    if isinstance(error, KeyboardInterrupt):
        return True
    if isinstance(error, SurveyError):
        return False
    seen: set[int] = set()
    cause = error.__context__
    while cause is not None and id(cause) not in seen:
        if isinstance(cause, KeyboardInterrupt):
            return True
        seen.add(id(cause))
        cause = cause.__context__
    return False


def stop_if_interrupted(error: BaseException) -> None:
    """Raise ``KeyboardInterrupt`` (from ``error``) when ``error`` is how an interrupt ended
    the work (``stopped_by_interrupt``): for a catch-all that would otherwise take it for a
    file's own fault, report it and go on with the next file."""
    if stopped_by_interrupt(error):
        raise KeyboardInterrupt from error
