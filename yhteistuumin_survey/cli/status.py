"""``yhteistuumin status``: the round at a glance, by region or one follow-up row per municipality."""

from pathlib import Path
from typing import Annotated, Literal

import typer

from .app import app, emit, project


@app.command("status")
def status_cmd(
    by: Annotated[Literal["region", "municipality"], typer.Option(
        "--by", help="region: totals by region; municipality: the follow-up list.")] = "region",
    fmt: Annotated[Literal["table", "csv", "json", "xlsx"], typer.Option(
        "--format", "-f", help="Output format (xlsx needs --out).")] = "table",
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", dir_okay=False, help="Write to this file instead of the screen.")] = None,
    only_open: Annotated[bool, typer.Option(
        "--only-open", help="Only the municipalities still to chase.")] = False,
    chart: Annotated[Path | None, typer.Option(
        "--chart", dir_okay=False, help="Also draw the response rate by region as SVG.")] = None,
    html: Annotated[Path | None, typer.Option(
        "--html", dir_okay=False, help="Also write the status page (regions, chart, follow-up "
                                       "list) as HTML.")] = None,
) -> None:
    """Show the round: by region, or one follow-up row per municipality (whom to chase).

    Example: yhteistuumin status --by municipality --only-open --format xlsx --out seuranta.xlsx
    """
    emit(project().status(by=by, only_open=only_open, chart=chart, page=html or False, out=out,
                          fmt=fmt), fmt)
