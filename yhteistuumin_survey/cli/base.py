"""Commands of the workspace itself: ``init``, ``db upgrade``."""

from pathlib import Path
from typing import Annotated

import typer

from .app import app, emit, group, project

db_app = group("db", "The database: migrations.")


@app.command("init")
def init_cmd(
    directory: Annotated[Path, typer.Argument(help="Folder of the new workspace.")] = Path("."),
) -> None:
    """Create a workspace: yhteistuumin.toml with every key commented, and its folders.

    Example: yhteistuumin init kysely-2026
    """
    from ..workspace import init_workspace

    emit(init_workspace(directory))


@db_app.command("upgrade")
def db_upgrade_cmd() -> None:
    """Apply database migrations (commands that change the database also do it themselves).

    Example: yhteistuumin --db postgresql://survey@dbhost/survey db upgrade
    """
    emit(project().upgrade_db())
