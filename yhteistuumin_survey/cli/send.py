"""``yhteistuumin send invite|remind`` and ``yhteistuumin bounces``."""

from __future__ import annotations

from .app import group

send_app = group("send", "Send invitations and reminders over SMTP (never twice).")
