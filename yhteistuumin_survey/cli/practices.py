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
        "--status", help="new, needs-info, approved, rejected or duplicate; to-read lists the "
                         "messages with no recognisable answer.")] = None,
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

    if status and status not in {"new", "needs-info", "approved", "rejected", "duplicate",
                                 "to-read"}:
        raise InputError(f"unknown status {status!r}; use new, needs-info, approved, rejected, "
                         "duplicate or to-read")
    state = get_state(ctx)
    if status == "to-read":  # messages no reader could turn into a practice: read them
        from ..ingest.store import list_to_read

        with state.session() as session:
            messages = list_to_read(session=session)
        if fmt is Format.json:
            echo(to_json(messages))
            return
        columns = ["submission", "file", "sender", "time", "subject", "text"]
        if fmt is Format.csv:
            typer.echo(render(messages, columns, "csv"), nl=False)
            return
        echo(render(messages, columns, "table"))
        echo(f"{len(messages)} message{'s' if len(messages) != 1 else ''} to read")
        return
    with state.session() as session:
        practices = list_practices(session=session, status=status, municipality=municipality)
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
    echo(render(rows, ["id", "version", "status", "municipalities", "title", "flags"], "table"))
    echo(f"{len(practices)} practice{'s' if len(practices) != 1 else ''}")
