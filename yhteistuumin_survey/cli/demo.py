"""``yhteistuumin demo``: a whole round on the embedded defaults."""

from pathlib import Path
from typing import Annotated

import typer

from .app import app, emit, project


@app.command("demo")
def demo_cmd(
    out: Annotated[Path | None, typer.Option(
        "--out", help="Folder of the demo workspace (default: outputs/demo); "
                      "a previous demo there is replaced.")] = None,
) -> None:
    """Run a whole survey round on the embedded defaults, offline, and show where everything is.

    Example: yhteistuumin demo --out /tmp/kysely-demo
    """
    from ..demo import run_demo

    emit(run_demo(out or project(outside_workspace=True).workspace.outputs / "demo",
                  announce=typer.echo))
