"""``yhteistuumin forget``: erase a person on request."""

from __future__ import annotations

from typing import Annotated

import typer

from .app import Format, FormatOption, app, echo, get_state, warn


@app.command("forget")
def forget_cmd(
    ctx: typer.Context,
    email: Annotated[str, typer.Argument(help="The person's email address (any letter case).")],
    fmt: FormatOption = Format.table,
) -> None:
    """Erase a person's name, email and phone everywhere and record that it was done.

    Example: yhteistuumin forget maija.meikalainen@kunta.fi
    """
    from ..privacy import forget_person
    from ..publish import publish_site
    from ..reports import render, to_json

    state = get_state(ctx)
    settings = state.settings()
    with state.session(settings) as session:
        result = forget_person(
            state.workspace, email, session=session, settings=settings,
            republish=lambda: publish_site(state.workspace, session=session, settings=settings))
    if fmt is Format.json:
        echo(to_json({"subject_hash": result.subject_hash, "counts": result.counts,
                      "recorded": result.recorded, "left": result.left}))
        return
    if not result.changed:
        echo("Nothing to erase: the address is nowhere in the database or under outputs/.")
    else:
        echo(render(result.rows(), ["place", "changed"], "table"))
        echo(f"Erased from {len(result.counts)} place{'' if len(result.counts) == 1 else 's'}.")
    if result.recorded:
        echo(f"Recorded as erasure {result.subject_hash[:12]}… (a keyed hash, not the address).")
    for path in result.left:
        warn(f"{path}: still holds the address; remove that row by hand, or the next "
             "contact import brings the person back")
