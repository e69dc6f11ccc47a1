"""``yhteistuumin register …``: the municipality register, the name resolver, the contacts."""

from __future__ import annotations

from .app import group

register_app = group("register", "The municipality register, the name resolver and the contact list.")
