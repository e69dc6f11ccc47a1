"""Run the Kulttuuria yhteistuumin good-practice survey of Finnish municipalities.

``from yhteistuumin_survey import Project`` is the Python API (see ``project.py``); it is
imported on first use so that the command line starts without it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["Project", "__version__"]

if TYPE_CHECKING:
    from .project import Project


def __getattr__(name: str) -> Any:
    if name == "Project":
        from .project import Project

        return Project
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
