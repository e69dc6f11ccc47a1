"""``yhteistuumin forget``: erase a person on request."""

from typing import Annotated

import typer

from .app import FormatOption, app, confirm, emit, project


@app.command("forget")
def forget_cmd(
    email: Annotated[str, typer.Argument(help="The person's email address (any letter case).")],
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="List every place the person appears and what would happen; "
                          "change nothing.")] = False,
    yes: Annotated[bool, typer.Option(
        "--yes", "-y", help="Erase without asking (needed when there is no terminal).")] = False,
    fmt: FormatOption = "table",
) -> None:
    """Erase exactly one person's name, email and phone everywhere and record that it was done.

    Example: yhteistuumin forget maija.meikalainen@kunta.fi --dry-run
    """
    emit(project().forget(email, dry_run=dry_run, confirm=None if yes else confirm), fmt)
