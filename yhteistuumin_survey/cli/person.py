"""``yhteistuumin person``: what is held about a person (the right of access)."""

from pathlib import Path
from typing import Annotated

import typer

from .app import FormatOption, app, emit, project


@app.command("person")
def person_cmd(
    email: Annotated[str, typer.Argument(help="The person's email address (any letter case).")],
    fmt: FormatOption = "table",
    out: Annotated[Path | None, typer.Option(
        "--out", dir_okay=False, help="Also write the report as a workbook (.xlsx).")] = None,
    lang: Annotated[str | None, typer.Option(
        "--lang", help="The report's language: fi, sv or en (default: Swedish for a person "
        "whose answers and municipalities are all Swedish, else the round's language, "
        "round.language). JSON keys stay English.")] = None,
) -> None:
    """Show everything held about a person, for an access request; nothing of anyone else.

    Example: yhteistuumin person maija.meikalainen@kunta.fi --lang sv --out maija.xlsx
    """
    emit(project().person(email, out=out, lang=lang), fmt)
