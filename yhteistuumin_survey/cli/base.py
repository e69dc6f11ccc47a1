"""Commands of the workspace itself: ``init``, ``db upgrade``."""

from pathlib import Path
from typing import Annotated

import typer

from .app import app, emit, group, project, workspace_option

db_app = group("db", "The database: migrations.")


@app.command("init")
def init_cmd(
    directory: Annotated[Path | None, typer.Argument(
        help="Folder of the new workspace (default: --workspace's, else this folder).",
        show_default=False)] = None,
) -> None:
    """Create a workspace: yhteistuumin.toml with every key commented, and its folders.

    Example: yhteistuumin init kysely-2026
    """
    from ..workspace import init_workspace

    # The folder named here wins; without one, the workspace the other commands will use.
    emit(init_workspace(directory or workspace_option() or Path(".")))


@db_app.command("upgrade")
def db_upgrade_cmd() -> None:
    """Apply database migrations (commands that change the database also do it themselves).

    Example: yhteistuumin --db postgresql://survey@dbhost/survey db upgrade
    """
    emit(project().upgrade_db())
