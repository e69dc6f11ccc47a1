"""``yhteistuumin review export|import``: the reviewers' round trip."""

from __future__ import annotations

from .app import group

review_app = group("review", "The reviewers' round trip: triage workbooks out, decisions back in.")
