"""``yhteistuumin practices …``: the practices in the database."""

from __future__ import annotations

from typing import Annotated

import typer

from .app import Format, FormatOption, emit, group, project

practices_app = group("practices", "The practices in the database.")


@practices_app.command("list")
def list_cmd(
    ctx: typer.Context,
    status: Annotated[str | None, typer.Option(
        "--status", help="new, needs-info, approved, rejected or duplicate.")] = None,
    municipality: Annotated[str | None, typer.Option(
        "--municipality", "-m", help="Only practices of this municipality code.")] = None,
    fmt: FormatOption = Format.table,
) -> None:
    """List the practices in the database (current versions).

    Example: yhteistuumin practices list --status new --municipality 049 --format json
    """
    emit(project(ctx).list_practices(status=status, municipality=municipality), fmt)
