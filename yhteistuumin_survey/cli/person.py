"""``yhteistuumin person``: what is held about a person (the right of access)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .app import Format, FormatOption, app, echo, get_state


@app.command("person")
def person_cmd(
    ctx: typer.Context,
    email: Annotated[str, typer.Argument(help="The person's email address (any letter case).")],
    fmt: FormatOption = Format.table,
    out: Annotated[Path | None, typer.Option(
        "--out", dir_okay=False, help="Also write the report as a workbook (.xlsx).")] = None,
) -> None:
    """Show everything held about a person, for an access request; nothing of anyone else.

    Example: yhteistuumin person maija.meikalainen@kunta.fi --out maija.xlsx
    """
    from ..errors import InputError
    from ..person import person_report, write_person_workbook
    from ..privacy import AddressMatcher
    from ..reports import render, to_json

    AddressMatcher(email)  # refuse a non-address before opening anything
    if out is not None and out.suffix.lower() != ".xlsx":
        raise InputError(f"{out}: --out writes a workbook; give a name ending in .xlsx")
    state = get_state(ctx)
    settings = state.settings()
    with state.session(settings) as session:
        report = person_report(state.workspace, email, session=session)
    if out is not None:
        write_person_workbook(report, out)
    if fmt is Format.json:
        echo(to_json(report.to_dict()))
        return
    columns, rows = report.table()
    if rows:
        echo(render(rows, columns, fmt.value).rstrip("\n"))
    if fmt is Format.table:
        for line in report.summary():
            echo(line)
        if out is not None:
            echo(f"Written to {out}.")
