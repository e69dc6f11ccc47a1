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
        "--municipality", "-m", help="Only practices of this municipality code.")] = None,
    fmt: FormatOption = Format.table,
) -> None:
    """List the practices in the database (current versions).

    Example: yhteistuumin practices list --status new --municipality 049 --format json
    """
    from ..errors import InputError
    from ..ingest import list_practices
    from ..reports import render, to_json

    if status and status not in {"new", "needs-info", "approved", "rejected", "duplicate"}:
        raise InputError(f"unknown status {status!r}; use new, needs-info, approved, rejected "
                         "or duplicate")
    state = get_state(ctx)
    with state.session() as session:
        practices = list_practices(session=session, status=status, municipality=municipality)
    if fmt is Format.json:
        echo(to_json(practices))
        return
    rows = [{**p, "municipalities": " ".join(p["municipalities"]),
             "keywords": ", ".join(p["keywords"]), "flags": "; ".join(p["flags"]),
             "source": f"{p['source']['file']} {p['source']['locator']}",
             "consent": p["contact"]["consent"],
             "contact_email": p["contact"]["email"], "comment": p["review"]["comment"]}
            for p in practices]
    if fmt is Format.csv:
        columns = ["id", "version", "status", "municipalities", "title", "keywords", "language",
                   "consent", "flags", "source", "contact_email", "comment"]
        typer.echo(render(rows, columns, "csv"), nl=False)
        return
    echo(render(rows, ["id", "version", "status", "municipalities", "title", "flags"], "table"))
    echo(f"{len(practices)} practice{'s' if len(practices) != 1 else ''}")
