"""Locate the files shipped with the project: the register, the survey definition, the templates.

In a source checkout they are the top-level ``recipients/``, ``survey/`` and ``templates/``
folders; an installed wheel carries the same folders under ``yhteistuumin_survey/_bundled/``.
A workspace may hold its own copy of any of them, which then wins (see ``Workspace.resolve``).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


@cache
def bundled_root() -> Path:
    """Return the folder holding the bundled ``recipients/``, ``survey/`` and ``templates/``."""
    packaged = _PACKAGE / "_bundled"
    if (packaged / "survey").is_dir():
        return packaged
    return _PACKAGE.parent


def bundled_path(relative: str) -> Path:
    """Return the path of a bundled file, e.g. ``bundled_path("recipients/municipalities.csv")``."""
    return bundled_root() / relative
