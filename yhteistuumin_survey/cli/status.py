"""``yhteistuumin status``: the round at a glance."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .app import Format, FormatOption, app, get_state, warn


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
