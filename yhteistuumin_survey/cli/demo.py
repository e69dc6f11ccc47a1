"""``yhteistuumin demo``: a whole round on the embedded defaults."""

from __future__ import annotations
