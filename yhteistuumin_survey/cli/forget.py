"""``yhteistuumin forget``: erase a person on request."""

from __future__ import annotations

from typing import Annotated

import typer

from .app import Format, FormatOption, app, emit, project


@app.command("forget")
def forget_cmd(
    ctx: typer.Context,
    email: Annotated[str, typer.Argument(help="The person's email address (any letter case).")],
    fmt: FormatOption = Format.table,
) -> None:
    """Erase a person's name, email and phone everywhere and record that it was done.

    Example: yhteistuumin forget maija.meikalainen@kunta.fi
    """
    emit(project(ctx).forget(email), fmt)
