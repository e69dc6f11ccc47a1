"""The Typer application, its global options and the one error boundary.

Command modules add their commands to ``app`` or to a group made with ``group()``; each imports
the core it calls inside its body, so that ``yhteistuumin --help`` loads no pandas or sqlmodel.
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer
from typer.core import TyperArgument, TyperGroup, TyperOption

if TYPE_CHECKING:
    from ..project import Project, Question


#: The output formats of reporting commands, and their option.
Format = Literal["table", "csv", "json"]
FormatOption = Annotated[Format, typer.Option("--format", "-f", help="Output format.")]


def _default_as_declared(coerce: Any) -> Any:
    """Give an option left unset its declared default, without Typer's coercion.

    Typer (0.29) coerces every value through a pydantic adapter, a default too: importing
    pydantic would be most of the start-up of ``--help``, ``status`` and ``practices list``.
    A value given on the command line is still coerced and checked by Typer.
    """

    def process_value(param: Any, ctx: Any, value: Any) -> Any:
        source = ctx.get_parameter_source(param.name)
        if (value is param.default and not param.multiple and param.nargs == 1
                and not (param.required and value is None)
                and getattr(source, "name", "DEFAULT") == "DEFAULT"):
            return value if param.callback is None else param.callback(ctx, param, value)
        return coerce(param, ctx, value)

    return process_value


for _parameter in (TyperOption, TyperArgument):
    _parameter.process_value = _default_as_declared(_parameter.process_value)  # type: ignore[method-assign]


@contextmanager
def _terminate_as_interrupt(terminated: list[int]) -> Iterator[None]:
    """SIGTERM (``kill``, a closing terminal session, systemd) ends the command as Ctrl-C
    does: what the command does on an interrupt (an ingest's report of the files it stored, a
    publish putting the site back, a send's outbox) runs, then one line and exit 143. Before,
    the process died at once with no line at all. Only in the main thread (signals are
    delivered there); the previous handler is restored after."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, _frame: Any) -> None:
        terminated.append(signum)
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _interrupts_said_once() -> None:
    """Keep SQLAlchemy's pool from printing a traceback for an interrupt it only passes on.

    A Ctrl-C or SIGTERM that lands while the pool resets a connection given back (after
    every file an ingest commits) is logged by the pool, "Exception during reset or similar"
    with its traceback, through Python's last-resort output (standard error), then raised
    again: the command then says "Interrupted: ..." in its one line. The pool's records go
    to standard error as before, except those of an interrupt (``--debug`` shows them).
    (``logging`` is imported here, by a command, not by ``yhteistuumin --help``.)"""
    import logging

    from .pool_lines import PoolLines

    pool = logging.getLogger("sqlalchemy.pool")
    if any(isinstance(handler, PoolLines) for handler in pool.handlers):
        return
    pool.addHandler(PoolLines(lambda: bool((state := _state.get(None)) and state.debug)))
    pool.propagate = False


class _SurveyGroup(TyperGroup):
    """Root group: expected errors and faults of the machine become ``Error: reason`` lines
    and exit 1 (2 for a usage error), without a traceback unless ``--debug``."""

    def invoke(self, ctx: Any) -> Any:
        _state.set(state := ctx.obj if isinstance(ctx.obj, State) else State())
        _interrupts_said_once()
        terminated: list[int] = []
        with _terminate_as_interrupt(terminated):
            try:
                return super().invoke(ctx)
            except KeyboardInterrupt as exc:
                said = "Terminated" if terminated else "Interrupted"
                typer.echo(f"{said}: {exc}" if str(exc) else f"{said}.", err=True)
                raise typer.Exit(code=143 if terminated else 130) from None
            except Exception as exc:  # noqa: BLE001 - expected errors and faults: lines, an exit code
                from ..errors import stopped_by_interrupt

                if stopped_by_interrupt(exc):
                    # An error raised on the way out of an interrupt (a library's clean-up
                    # that the interrupt left half-done): the user asked to stop, and the
                    # command stopped; the error is for --debug.
                    if state.debug:
                        traceback.print_exception(exc, file=sys.stderr)
                    said = "Terminated" if terminated else "Interrupted"
                    typer.echo(f"{said}: stopped part-way; what was done before it is kept; "
                               "run the same command again", err=True)
                    raise typer.Exit(code=143 if terminated else 130) from None
                from ..faults import error_lines

                where = state.opened.database_label() if state.opened else "database"
                if (reported := error_lines(exc, database=where)) is None:
                    raise
                lines, code = reported
                if state.debug:
                    traceback.print_exception(exc, file=sys.stderr)
                typer.echo("\n".join(lines), err=True)
                raise typer.Exit(code=code) from None


def _typer(name: str, help: str, cls: type[TyperGroup]) -> typer.Typer:
    return typer.Typer(name=name, help=help, cls=cls, no_args_is_help=True, add_completion=False,
                       pretty_exceptions_show_locals=False, rich_markup_mode=None)


app = _typer("yhteistuumin", "Run the Kulttuuria yhteistuumin good-practice survey: send, "
                             "ingest, review, publish.", _SurveyGroup)


def group(name: str, help: str) -> typer.Typer:
    """Create a command group (``yhteistuumin NAME …``) and attach it to the app."""
    app.add_typer(sub := _typer(name, help, TyperGroup), name=name)
    return sub


@dataclass
class State:
    """The options of the invocation and the Project they open (on first use)."""

    workspace_option: Path | None = None
    db_option: str | None = None
    debug: bool = False
    env: dict[str, str] = field(default_factory=lambda: dict(os.environ))
    opened: Project | None = None


#: The state of the running invocation (set by the root group): commands need not take ``ctx``.
_state: ContextVar[State] = ContextVar("state")


def project(*, outside_workspace: bool = False) -> Project:
    """Return the invocation's Project (the workspace of ``--workspace``, the ``--db``).

    Outside a workspace, a command that needs one is refused, before it writes anything; those
    that work on the bundled defaults say ``outside_workspace=True``.
    """
    from ..project import Project

    state = _state.get()
    if state.opened is None:
        state.opened = Project.open(state.workspace_option, db_url=state.db_option, env=state.env,
                                    progress=progress, notify=warn,
                                    outside="bundled" if outside_workspace else "refuse")
    return state.opened


def workspace_option() -> Path | None:
    """The workspace folder the invocation names (``--workspace``, YHTEISTUUMIN_WORKSPACE)."""
    return _state.get().workspace_option


def emit(result: Any, fmt: str = "table") -> None:
    """Print a result as table, CSV or JSON unless it went to a file (``written_to``), its
    warnings to stderr; exit 1 when it failed."""
    from ..reports import render_result

    if getattr(result, "written_to", None) is None:
        typer.echo(render_result(result, fmt), nl=fmt != "csv")
    for line in getattr(result, "warnings", list)():
        warn(line)
    if result.failed:
        raise typer.Exit(code=1)


def confirm(question: Question) -> None:
    """Return when the user agrees to ``question`` (asked after its details); raise
    ``NotConfirmed`` with its refusal otherwise, or when there is no terminal to ask on."""
    from ..errors import NotConfirmed

    if not sys.stdin.isatty():
        raise NotConfirmed(question.no_terminal)
    for line in question.details:
        warn(line)
    if not typer.confirm(question.text, default=False):
        raise NotConfirmed(question.refused)


def _print_version(value: bool) -> None:
    # an option callback: the group's own callback never runs without a command
    if value:
        from .. import __version__

        typer.echo(f"yhteistuumin {__version__}")
        raise typer.Exit()


@app.callback()
def _main_options(
    workspace: Annotated[Path | None, typer.Option(
        "--workspace", "-w", envvar="YHTEISTUUMIN_WORKSPACE", file_okay=False,
        help="Workspace folder (default: the nearest folder up with yhteistuumin.toml; "
             "only init, demo and register list/resolve run without one).")] = None,
    db: Annotated[str | None, typer.Option(
        "--db", help="Database URL (overrides YHTEISTUUMIN_DB and [database] url).")] = None,
    debug: Annotated[bool, typer.Option(
        "--debug", help="Show the full traceback of errors.")] = False,
    version: Annotated[bool, typer.Option("--version", help="Print the version and exit.",
                                          is_eager=True, callback=_print_version)] = False,
) -> None:  # the root help is the one given to _typer above
    state = _state.get()
    state.workspace_option, state.db_option, state.debug = workspace, db, debug


def warn(text: str) -> None:
    """Print a warning to standard error."""
    typer.echo(text, err=True)


@contextmanager
def progress(label: str, total: int | None) -> Iterator[Any]:
    """Yield a callback ``advance(n=1)`` that drives a progress bar on a terminal (none otherwise)."""
    if not sys.stderr.isatty() or not total:
        yield lambda n=1: None
        return
    from rich.progress import Progress

    with Progress(transient=True) as bar:
        task = bar.add_task(label, total=total)
        yield lambda n=1: bar.advance(task, n)
