"""``yhteistuumin status``: the round at a glance, by region or one follow-up row per municipality."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from .app import app, echo, get_state, warn


class By(StrEnum):
    """What one row of ``status`` is."""

    region = "region"
    municipality = "municipality"


class StatusFormat(StrEnum):
    """Output formats of ``status`` (xlsx for the follow-up list, with ``--out``)."""

    table = "table"
    csv = "csv"
    json = "json"
    xlsx = "xlsx"


@app.command("status")
def status_cmd(
    ctx: typer.Context,
    by: Annotated[By, typer.Option(
        "--by", help="region: totals by region; municipality: the follow-up list.")] = By.region,
    fmt: Annotated[StatusFormat, typer.Option(
        "--format", "-f", help="Output format (xlsx needs --out).")] = StatusFormat.table,
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", dir_okay=False, help="Write to this file instead of the screen.")] = None,
    only_open: Annotated[bool, typer.Option(
        "--only-open", help="Only the municipalities still to chase.")] = False,
    chart: Annotated[Path | None, typer.Option(
        "--chart", dir_okay=False, help="Also draw the response rate by region as SVG.")] = None,
) -> None:
    """Show the round: by region, or one follow-up row per municipality (whom to chase).

    Example: yhteistuumin status --by municipality --only-open --format xlsx --out seuranta.xlsx
    """
    from ..errors import InputError
    from ..followup import follow_up
    from ..status import draw_chart, render_status, round_status, write_status_page

    if fmt is StatusFormat.xlsx and out is None:
        raise InputError("--format xlsx writes a file; add --out FILE.xlsx")
    state = get_state(ctx)
    settings = state.settings()
    lang = str(settings.get("round.language"))
    with state.session(settings) as session:
        status = round_status(session=session, round_name=settings.round_name, lang=lang)
        rows = follow_up(session=session, round_name=settings.round_name, lang=lang,
                         max_reminders=int(settings.get("reminders.max")),
                         only_open=only_open)
    if chart is not None:
        draw_chart(status, chart, workspace=state.workspace)  # refuses a .png before writing
    page = write_status_page(state.workspace, status, follow_up=rows,
                             site_title=str(settings.get("site.title")))
    if by is By.municipality:
        if out is not None:
            warn(f"{' '.join(rows.summary())} {rows.write(out, fmt.value)}")
        else:
            typer.echo(rows.render(fmt.value), nl=fmt is not StatusFormat.csv)
    elif out is not None:
        warn(f"{' '.join(status.summary())} {status.write(out, fmt.value)}")
    else:
        typer.echo(render_status(status, fmt.value), nl=fmt is not StatusFormat.csv)
        if fmt is StatusFormat.table:
            for line in status.summary():
                echo(line)
    warn(f"Status page: {page}")
    if chart is not None:
        warn(f"Chart: {chart}")
