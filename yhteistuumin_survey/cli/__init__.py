"""The ``yhteistuumin`` command line: a thin layer over the pipeline stages.

Each module below adds its commands; none imports a heavy library at import time.
"""

from . import (  # noqa: F401
    answered,
    base,
    bounces,
    checked,
    demo,
    fetch,
    forget,
    ingest,
    person,
    practices,
    publish,
    purge,
    read,
    register,
    review,
    send,
    status,
    survey,
)
from .app import app

__all__ = ["app", "main"]

#: The ``yhteistuumin`` console script (``[project.scripts]`` in pyproject.toml).
main = app
