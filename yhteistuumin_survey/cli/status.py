"""``yhteistuumin status``: the round at a glance."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .app import Format, FormatOption, app, emit, project


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
    emit(project(ctx).status(chart=chart), fmt)
