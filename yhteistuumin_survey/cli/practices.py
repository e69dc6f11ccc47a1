"""``yhteistuumin practices …``: the practices in the database."""

from __future__ import annotations

from typing import Annotated

import typer

from .app import Format, FormatOption, echo, get_state, group

practices_app = group("practices", "The practices in the database.")


@practices_app.command("list")
def list_cmd(
    ctx: typer.Context,
    status: Annotated[str | None, typer.Option(
        "--status", help="new, needs-info, approved, rejected or duplicate.")] = None,
    municipality: Annotated[str | None, typer.Option(
        "--municipality", "-m", help="Only practices of this municipality (name or code).")] = None,
    region: Annotated[str | None, typer.Option(
        "--region", help="Only practices of this region (name or code).")] = None,
    fmt: FormatOption = Format.table,
) -> None:
    """List the practices in the database (current versions).

    Example: yhteistuumin practices list --status new -m Esbo --format json
    """
    from ..practices import find_practices
    from ..reports import render, to_json

    state = get_state(ctx)
    with state.session() as session:
        found = find_practices(session=session, status=status, municipality=municipality,
                               region=region)
    practices = found.practices
    if fmt is Format.json:
        echo(to_json(practices))
        return
    rows = [{**p, "municipalities": " ".join(p["municipalities"]),
             "keywords": ", ".join(p["keywords"]), "flags": " ".join(p["flags"]),
             "source": f"{p['source']['file']} {p['source']['locator']}",
             "consent": p["contact"]["publish_consent"],
             "contact_email": p["contact"]["email"], "comment": p["review"]["comment"]}
            for p in practices]
    if fmt is Format.csv:
        columns = ["id", "version", "status", "municipalities", "title", "keywords", "language",
                   "consent", "flags", "source", "contact_email", "comment"]
        typer.echo(render(rows, columns, "csv"), nl=False)
        return
    columns, table_rows = found.table()
    echo(render(table_rows, columns, "table"))
    for line in found.summary():
        echo(line)


@practices_app.command("show")
def show_cmd(
    ctx: typer.Context,
    practice_id: Annotated[int, typer.Argument(metavar="ID", help="The practice's number.")],
    fmt: FormatOption = Format.table,
) -> None:
    """Show one practice whole: card, flags and why, source file and row, versions, reviews.

    Example: yhteistuumin practices show 12 --format json
    """
    from ..practices import show_practice
    from ..reports import render, to_json

    state = get_state(ctx)
    with state.session() as session:
        detail = show_practice(practice_id, session=session)
    if fmt is Format.json:
        echo(to_json(detail.to_dict()))
    elif fmt is Format.csv:
        columns, rows = detail.table()
        typer.echo(render(rows, columns, "csv"), nl=False)
    else:
        for line in detail.summary():
            echo(line)
