"""The Typer application, its global options and the one error boundary.

Command modules (``cli/register.py``, ``cli/send.py``, …) add their commands to ``app`` or to
a sub-app made with ``group()``. Commands import the core stage they call inside their body,
so that ``yhteistuumin --help`` loads neither pandas, openpyxl nor sqlmodel.
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperGroup

from ..errors import ConfigError, SurveyError

if TYPE_CHECKING:
    from ..project import Project


class Format(StrEnum):
    """Output formats of reporting commands."""

    table = "table"
    csv = "csv"
    json = "json"


FormatOption = Annotated[Format, typer.Option("--format", "-f", help="Output format.")]


def _print_error(exc: SurveyError) -> None:
    if isinstance(exc, ConfigError) and len(exc.problems) > 1:
        typer.echo(f"Error: the configuration has {len(exc.problems)} problems:", err=True)
        for problem in exc.problems:
            typer.echo(f"  {problem}", err=True)
        return
    typer.echo(f"Error: {exc}", err=True)


def _none_when_unset(param: Any) -> None:
    """Let an unset option be None without building Typer's value coercion.

    Typer (0.29) builds a pydantic adapter for every option it processes, even one left unset:
    importing pydantic made ``yhteistuumin register --help`` take twice as long as ``--help``
    (the root's options, its own ``--help`` included, are processed before the group's help).
    Typer turns an unset single value into None and then runs the callback; so does this. A
    given value is still coerced and checked by Typer.
    """
    if getattr(param, "_none_when_unset", False):
        return
    process = param.process_value

    def process_value(ctx: Any, value: Any) -> Any:
        if value is None and not param.required and not param.multiple and param.nargs == 1:
            return None if param.callback is None else param.callback(ctx, param, None)
        return process(ctx, value)

    param.process_value = process_value
    param._none_when_unset = True


class _Group(TyperGroup):
    """A group whose unset options (its ``--help`` too) cost no pydantic import."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for param in self.params:
            _none_when_unset(param)

    def get_help_option(self, ctx: Any) -> Any:
        option = super().get_help_option(ctx)
        if option is not None:
            _none_when_unset(option)
        return option


class NoWorkspace(SurveyError):
    """A command that needs a workspace was run outside one (a usage error: exit 2)."""


#: Commands that work outside a workspace (on the bundled defaults); every other refuses.
OUTSIDE_WORKSPACE = {("init",), ("demo",), ("register", "list"), ("register", "resolve")}


def _check_workspace(ctx: Any, workspace: Path | None) -> None:
    """Refuse, before anything is written, a command that needs a workspace outside one."""
    from ..workspace import workspace_root

    rest = ctx.meta.get("yhteistuumin.args", [])
    if workspace is not None or any(arg in ("--help", "-h") for arg in rest):
        return
    words = tuple(arg for arg in rest if not arg.startswith("-"))
    if words[:1] in OUTSIDE_WORKSPACE or words[:2] in OUTSIDE_WORKSPACE:
        return
    group = getattr(ctx.command, "commands", {}).get(words[0]) if words else None
    if len(words) == 1 and hasattr(group, "commands"):
        return  # a group without its command shows its help
    if workspace_root(Path.cwd()) is None:
        raise NoWorkspace("no yhteistuumin.toml here or in any folder above: run "
                          "'yhteistuumin init DIR' or give --workspace")


class _SurveyGroup(_Group):
    """Root group: expected errors become ``Error: reason`` and exit 1, without a traceback."""

    def invoke(self, ctx: Any) -> Any:
        # The words after the global options, for the workspace check (the command's own
        # parsing consumes them before the group's callback runs).
        protected = getattr(ctx, "_protected_args", None) or getattr(ctx, "protected_args", [])
        ctx.meta["yhteistuumin.args"] = [*protected, *ctx.args]
        try:
            return super().invoke(ctx)
        except SurveyError as exc:
            state = ctx.obj if isinstance(ctx.obj, State) else None
            if state is not None and state.debug:
                traceback.print_exception(exc, file=sys.stderr)
            _print_error(exc)
            raise typer.Exit(code=2 if isinstance(exc, NoWorkspace) else 1) from None
        except KeyboardInterrupt:
            typer.echo("Interrupted.", err=True)
            raise typer.Exit(code=130) from None
        except Exception as exc:  # noqa: BLE001 - faults of the machine: one line, exit 1
            from ..faults import describe_fault, is_fault

            if not is_fault(exc):
                raise
            state = ctx.obj if isinstance(ctx.obj, State) else None
            line = describe_fault(exc, database=_database_label(state))
            if line is None:
                raise
            if state is not None and state.debug:
                traceback.print_exception(exc, file=sys.stderr)
            typer.echo(f"Error: {line}", err=True)
            raise typer.Exit(code=1) from None


def _database_label(state: State | None) -> str:
    """The database of this invocation for an error line (a file path, or a URL without
    its password)."""
    if state is None or state._project is None:
        return "database"
    engine = state._project._engine
    if engine is None:  # the fault came while opening it: name the one the settings give
        from sqlalchemy.engine import make_url

        try:
            url = make_url(state._project.settings.database_url)
        except Exception:  # noqa: BLE001 - the error line must not fail in turn
            return "database"
    else:
        url = engine.url
    if url.get_backend_name() == "sqlite" and url.database:
        return str(url.database)
    return str(url.render_as_string(hide_password=True))


app = typer.Typer(
    name="yhteistuumin",
    cls=_SurveyGroup,
    help="Run the Kulttuuria yhteistuumin good-practice survey: send, ingest, review, publish.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    add_completion=False,
    rich_markup_mode=None,
)


def group(name: str, help: str) -> typer.Typer:
    """Create a command group (``yhteistuumin NAME …``) and attach it to the app."""
    sub = typer.Typer(name=name, help=help, no_args_is_help=True, cls=_Group,
                      pretty_exceptions_show_locals=False, rich_markup_mode=None)
    app.add_typer(sub, name=name)
    return sub


@dataclass
class State:
    """What every command needs: the options of the invocation and the Project they open."""

    workspace_option: Path | None = None
    db_option: str | None = None
    debug: bool = False
    env: dict[str, str] = field(default_factory=lambda: dict(os.environ))
    _project: Project | None = None

    @property
    def project(self) -> Project:
        """The workspace's Project, opened on first use."""
        if self._project is None:
            from ..project import Project
            from ..workspace import workspace_root

            db_url = self.db_option
            outside = self.workspace_option is None and workspace_root(Path.cwd()) is None
            if outside and db_url is None and not self.env.get("YHTEISTUUMIN_DB"):
                # register list/resolve outside a workspace (the guard refuses every other
                # command): the bundled register in memory, no outputs/ folder made where the
                # user happens to stand.
                db_url = "sqlite://"
            self._project = Project.open(self.workspace_option, db_url=db_url,
                                         env=self.env, progress=progress, notify=warn)
        return self._project


def get_state(ctx: typer.Context) -> State:
    """Return the shared state of the invocation."""
    root = ctx.find_root()
    if not isinstance(root.obj, State):
        root.obj = State()
    return root.obj


def project(ctx: typer.Context) -> Project:
    """Return the invocation's Project (the workspace of ``--workspace``, the ``--db``)."""
    return get_state(ctx).project


def emit(result: Any, fmt: Format | str = Format.table) -> None:
    """Print a result as table, CSV or JSON (warnings to stderr); exit 1 when it failed."""
    from ..reports import render_result

    fmt = Format(fmt)
    typer.echo(render_result(result, fmt.value), nl=fmt is not Format.csv)
    for line in getattr(result, "warnings", list)():
        warn(line)
    if result.failed:
        raise typer.Exit(code=1)


def _print_version(value: bool) -> None:
    # an option callback: the group's own callback never runs without a command
    if value:
        from .. import __version__

        typer.echo(f"yhteistuumin {__version__}")
        raise typer.Exit()


@app.callback()
def _main_options(
    ctx: typer.Context,
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
) -> None:
    """Run the Kulttuuria yhteistuumin good-practice survey: send, ingest, review, publish."""
    state = get_state(ctx)
    state.workspace_option = workspace
    state.db_option = db
    state.debug = debug
    _check_workspace(ctx, workspace)


def echo(text: str = "") -> None:
    """Print to standard output."""
    typer.echo(text)


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
