"""The ``yhteistuumin`` command line: a thin layer over the pipeline stages."""

from __future__ import annotations

from . import base  # noqa: F401 - registers init, db
from .app import app

__all__ = ["app", "main"]


def main() -> None:
    """Run the command line."""
    app()
