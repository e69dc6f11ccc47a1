"""``yhteistuumin publish``: the website."""

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
    for note in result.notes:
        warn(f"Note: {note}")
