"""``yhteistuumin practices …``: the practices in the database."""

from typing import Annotated

import typer

from .app import FormatOption, emit, group, project

practices_app = group("practices", "The practices in the database.")


@practices_app.command("list")
def list_cmd(
    status: Annotated[str | None, typer.Option(
        "--status", help="new, needs-info, approved, rejected, duplicate or to-read.")] = None,
    municipality: Annotated[str | None, typer.Option(
        "--municipality", "-m", help="Only practices of this municipality (name or code).")] = None,
    region: Annotated[str | None, typer.Option(
        "--region", help="Only practices of this region (name or code).")] = None,
    fmt: FormatOption = "table",
) -> None:
    """List the practices in the database (current versions).

    Example: yhteistuumin practices list --status new -m Esbo --format json
    """
    emit(project().list_practices(status=status, municipality=municipality, region=region), fmt)


@practices_app.command("show")
def show_cmd(
    practice_id: Annotated[int, typer.Argument(metavar="ID", help="The practice's number.")],
    fmt: FormatOption = "table",
) -> None:
    """Show one practice whole: card, flags and why, source file and row, versions, reviews.

    Example: yhteistuumin practices show 12 --format json
    """
    emit(project().show_practice(practice_id), fmt)
