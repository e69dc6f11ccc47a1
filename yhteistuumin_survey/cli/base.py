"""Commands of the workspace itself: ``init``, ``db upgrade``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .app import app, echo, get_state, group

db_app = group("db", "The database: migrations.")


@app.command("init")
def init_cmd(
    directory: Annotated[Path, typer.Argument(help="Folder of the new workspace.")] = Path("."),
) -> None:
    """Create a workspace: yhteistuumin.toml with every key commented, and its folders.

    Example: yhteistuumin init kysely-2026
    """
    from ..workspace import init_workspace

    result = init_workspace(directory)
    echo(f"Workspace: {result.root}")
    for name in result.created:
        echo(f"  created  {name}")
    for name in result.existing:
        echo(f"  kept     {name}")
    echo("Next: edit yhteistuumin.toml, then import contacts with "
         "'yhteistuumin register contacts FILE'.")


@db_app.command("upgrade")
def db_upgrade_cmd(ctx: typer.Context) -> None:
    """Apply database migrations (commands also do it by themselves on an older database).

    Example: yhteistuumin --db postgresql://survey@dbhost/survey db upgrade
    """
    from ..db.engine import describe_url, make_engine, upgrade_database

    settings = get_state(ctx).settings()
    engine = make_engine(settings.database_url)
    before, after = upgrade_database(engine)
    where = describe_url(settings.database_url)
    if before == after:
        echo(f"{where}: already at the newest schema ({after}).")
    else:
        echo(f"{where}: upgraded from {before or 'empty'} to {after}.")
