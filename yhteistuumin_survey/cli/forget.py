"""``yhteistuumin forget``: erase a person on request."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from ..errors import InputError
from .app import Format, FormatOption, app, echo, get_state, warn

if TYPE_CHECKING:
    from ..privacy import ErasureResult


@app.command("forget")
def forget_cmd(
    ctx: typer.Context,
    email: Annotated[str, typer.Argument(help="The person's email address (any letter case).")],
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="List every place the person appears and what would happen; "
                          "change nothing.")] = False,
    yes: Annotated[bool, typer.Option(
        "--yes", "-y", help="Erase without asking (needed when there is no terminal).")] = False,
    fmt: FormatOption = Format.table,
) -> None:
    """Erase exactly one person's name, email and phone everywhere and record that it was done.

    Example: yhteistuumin forget maija.meikalainen@kunta.fi --dry-run
    """
    from ..privacy import AddressMatcher, forget_person
    from ..publish import publish_site
    from ..reports import to_json

    AddressMatcher(email)  # refuse a non-address before opening anything
    state = get_state(ctx)
    settings = state.settings()
    with state.session(settings) as session:
        if not dry_run and not yes:
            preview = forget_person(state.workspace, email, session=session, settings=settings,
                                    dry_run=True)
            if preview.places:  # nothing held: the request is recorded without asking
                _confirm(len(preview.places))
        result = forget_person(
            state.workspace, email, session=session, settings=settings, dry_run=dry_run,
            republish=lambda: publish_site(state.workspace, session=session, settings=settings))
    if fmt is Format.json:
        echo(to_json(result.to_dict()))
    else:
        _print(result, fmt, dry_run)
    if result.failed:
        raise typer.Exit(code=1)


def _print(result: ErasureResult, fmt: Format, dry_run: bool) -> None:
    from ..reports import render

    columns, rows = result.table()
    if rows:
        echo(render(rows, columns, "csv" if fmt is Format.csv else "table",
                    headers=["where", "would happen" if dry_run else "what was done"]
                    if fmt is Format.table else None).rstrip("\n"))
    lines = result.summary()
    for line in lines[:1]:
        echo(line)
    for line in lines[1:]:
        (warn if "still holds" in line else echo)(line)


def _confirm(places: int) -> None:
    if not sys.stdin.isatty():
        raise InputError("forget: there is no terminal to confirm on; look first with "
                         "--dry-run, then add --yes to erase")
    if not typer.confirm(f"Erase this person from {places} place{'' if places == 1 else 's'}? "
                         "This cannot be undone", default=False):
        raise InputError("nothing erased: not confirmed")
