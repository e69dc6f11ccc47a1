"""``yhteistuumin ingest`` and ``yhteistuumin practices list``."""

from __future__ import annotations

from .app import group

practices_app = group("practices", "The practices in the database.")
