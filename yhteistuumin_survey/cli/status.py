"""``yhteistuumin status``: the round at a glance, by region or one follow-up row per municipality."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from .app import app, emit, project, warn


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
    html: Annotated[Path | None, typer.Option(
        "--html", dir_okay=False, help="Also write the status page (regions, chart, follow-up "
                                       "list) as HTML.")] = None,
) -> None:
    """Show the round: by region, or one follow-up row per municipality (whom to chase).

    Example: yhteistuumin status --by municipality --only-open --format xlsx --out seuranta.xlsx
    """
    from ..errors import InputError

    if fmt is StatusFormat.xlsx and out is None:
        raise InputError("--format xlsx writes a file; add --out FILE.xlsx")
    result = project(ctx).status(by=by.value, only_open=only_open, chart=chart, page=html or False)
    if out is None:
        emit(result, fmt.value)
        return
    warn(f"{' '.join(result.summary())} {result.write(out, fmt.value)}")
    for line in result.warnings():
        warn(line)
