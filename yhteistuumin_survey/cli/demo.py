"""``yhteistuumin demo``: a whole round on the embedded defaults."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .app import app, echo, project


@app.command("demo")
def demo_cmd(
    ctx: typer.Context,
    out: Annotated[Path | None, typer.Option(
        "--out", help="Folder of the demo workspace (default: outputs/demo); "
                      "a previous demo there is replaced.")] = None,
) -> None:
    """Run a whole survey round on the embedded defaults, offline, and show where everything is.

    Example: yhteistuumin demo --out /tmp/kysely-demo
    """
    from ..demo import run_demo

    root = out if out is not None else project(ctx).workspace.outputs / "demo"
    echo(f"Demo round in {root} (a local SMTP server in this process; nothing leaves the "
         "machine)")

    def announce(step) -> None:  # type: ignore[no-untyped-def]
        echo(f"  {step.name:<15} {step.summary}  ({step.seconds:.1f} s)")

    result = run_demo(root, announce=announce)
    if result.status is not None:
        echo()
        echo(result.status.text())
    echo()
    echo(f"Done in {result.seconds:.1f} s; {result.messages_received} messages reached the "
         "demo mailbox. Open:")
    for label, path in result.paths.items():
        echo(f"  {label:<16} {path}")
