"""``yhteistuumin publish``, ``status`` and ``forget``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .app import Format, FormatOption, app, echo, get_state, progress, warn


@app.command("publish")
def publish_cmd(
    ctx: typer.Context,
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", file_okay=False,
        help="Site folder (default: outputs/site). Stale files in it are removed.")] = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Publish the approved practices as a static website with search, JSON and Markdown.

    Example: yhteistuumin publish --out outputs/site
    """
    from ..publish import count_published, publish_site
    from ..reports import to_json

    state = get_state(ctx)
    settings = state.settings()
    with state.session(settings) as session:
        total = count_published(session=session)
        with progress("Publishing", total) as advance:
            result = publish_site(state.workspace, session=session, settings=settings, out=out,
                                  progress=advance)
    if fmt is Format.json:
        echo(to_json(result.to_dict()))
        return
    echo(f"Published {result.practices} practice{'' if result.practices == 1 else 's'} "
         f"to {result.out}")
    echo(f"  {len(result.written)} files written, {result.unchanged} unchanged, "
         f"{len(result.removed)} removed; search index: {len(result.indexed)} of "
         f"{len(result.shards)} shard{'' if len(result.shards) == 1 else 's'} rebuilt")
    echo(f"  open {result.out / 'index.html'} through a web server for search "
         f"(e.g. python -m http.server -d {result.out})")


@app.command("status")
def status_cmd(
    ctx: typer.Context,
    fmt: FormatOption = Format.table,
    chart: Annotated[Path | None, typer.Option(
        "--chart", dir_okay=False, help="Also draw the response rate by region as a PNG.")] = None,
) -> None:
    """Show the round at a glance by region: contacts, invited, bounced, answered, practices.

    Example: yhteistuumin status --chart outputs/reports/vastausprosentti.png
    """
    from ..status import draw_chart, render_status, round_status, write_status_page

    state = get_state(ctx)
    settings = state.settings()
    with state.session(settings) as session:
        status = round_status(session=session, round_name=settings.round_name)
    page = write_status_page(state.workspace, status, site_title=str(settings.get("site.title")))
    picture = draw_chart(status, chart) if chart is not None else None
    typer.echo(render_status(status, fmt.value), nl=fmt is not Format.csv)
    warn(f"Status page: {page}")
    if picture is not None:
        warn(f"Chart: {picture}")


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
