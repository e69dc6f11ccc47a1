"""``yhteistuumin survey build``: the questionnaire workbooks."""

from __future__ import annotations

from .app import group

survey_app = group("survey", "The questionnaire workbooks sent to the municipalities.")
