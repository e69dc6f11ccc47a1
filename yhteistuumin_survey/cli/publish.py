"""``yhteistuumin publish``, ``status`` and ``forget``."""

from __future__ import annotations
