"""The ``yhteistuumin`` command line: a thin layer over the pipeline stages.

Each module below adds its commands; none imports a heavy library at import time.
"""

from __future__ import annotations

from . import base, demo, ingest, publish, register, review, send, survey  # noqa: F401
from .app import app

__all__ = ["app", "main"]


def main() -> None:
    """Run the command line."""
    app()
