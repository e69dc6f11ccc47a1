"""Decide which reader a file needs: our questionnaire, a form tool's export, a
questionnaire-like workbook, or a plain table; or say why none fits."""

from __future__ import annotations

from dataclasses import dataclass

from ..survey import Survey
from ..tables import Sheet, cell_text
from .mapping import HeadingMapper
from .profiles import Profile
from .questionnaire import is_questionnaire, label_column

#: This many filled rows under a heading row naming three or more questions make a table.
TABLE_MIN_ROWS = 5

#: What ``detect`` calls a table whose columns are a contact list's, not a practice's.
CONTACT_LIST = "contact-list"
#: The columns a contact list has, as the answer mapping reads them ("Nimi" as the title).
_CONTACT_LIST_TARGETS = {"", "municipalities", "title", "contact_name", "contact_email",
                         "contact_phone"}

SOURCES = ("auto", "questionnaire", "msforms", "googleforms", "webropol", "surveymonkey",
           "limesurvey", "table")


@dataclass
class Detection:
    """The reader chosen for a file: ``questionnaire`` or a profile name, and why."""

    format: str
    profile: Profile | None
    reason: str


class Detector:
    """Chooses readers; builds one heading mapper per profile and keeps it for the batch."""

    def __init__(self, survey: Survey, profiles: dict[str, Profile]) -> None:
        self.survey = survey
        self.profiles = profiles
        self.ordered = sorted(profiles.values(), key=lambda p: p.priority)
        self._mappers: dict[str, HeadingMapper] = {}

    @staticmethod
    def _contact_list(headers: list[str], table: Profile, mapper: HeadingMapper) -> bool:
        """True when a heading row names an email column and nothing but a contact list's."""
        from ..contacts import header_role

        targets = {"" if table.meta_role(h) else mapper.mapping(h).target for h in headers if h}
        # "Nimi" is a person's name there; "Käytännön nimi" is a practice's, answers.
        titles = [h for h in headers if h and not table.meta_role(h)
                  and mapper.mapping(h).target == "title"]
        return ("contact_email" in targets and targets <= _CONTACT_LIST_TARGETS
                and all(header_role(h) == "name" and " " not in h.strip() for h in titles))

    def mapper(self, profile: Profile | None = None) -> HeadingMapper:
        """The mapper of a profile (with the generic table profile's everyday wordings);
        without one, the table profile's."""
        table = self.profiles["table"]
        profile = profile if profile is not None else table
        if profile.name not in self._mappers:
            self._mappers[profile.name] = HeadingMapper(
                self.survey, profile, common=table if profile is not table else None)
        return self._mappers[profile.name]

    def detect(self, sheets: list[Sheet], source: str = "auto") -> Detection | None:
        """Return the reader for these sheets, or None when nothing recognisable is in them."""
        if source == "questionnaire":
            return Detection("questionnaire", None, "forced")
        if source != "auto":
            return Detection(source, self.profiles[source], "forced")
        if is_questionnaire(sheets):
            return Detection("questionnaire", None, "metadata sheet")
        visible = [s for s in sheets if not s.hidden and s.rows] or [s for s in sheets if s.rows]
        for profile in self.ordered:
            if not profile.signature:
                continue
            for sheet in visible:
                for row in sheet.rows[:max(profile.search_rows, 1)]:
                    if profile.matches([cell_text(c) for c in row]):
                        return Detection(profile.name, profile, "header signature")
        table = self.profiles["table"]
        mapper = self.mapper(table)
        best_vertical = 0
        best_row = 0
        rows_below = 0
        from .forms import find_header_row

        best_headers: list[str] = []
        for sheet in visible:
            best_vertical = max(best_vertical, label_column(sheet, self.mapper())[1])
            index, score = find_header_row(sheet, table, mapper)
            if score > best_row:
                best_row = score
                best_headers = [cell_text(c) for c in sheet.rows[index]]
                rows_below = sum(1 for row in sheet.rows[index + 1:] if any(
                    cell_text(c) for c in row))
        if best_row >= 2 and self._contact_list(best_headers, table, mapper):
            # Municipality, name, phone and email and nothing of a practice: the coordinator's
            # contact list given to ingest. Read as answers, each person's "Nimi" became a
            # practice's title ("Maija Meikäläinen", goal and summary missing).
            return Detection(CONTACT_LIST, None, ", ".join(h for h in best_headers if h))
        # The shape decides before a coincidence of cell texts: many rows under one heading
        # row that names several questions are a table of responses, one per row.
        if best_row >= 3 and rows_below >= TABLE_MIN_ROWS:
            return Detection("table", table, f"question-like headers over {rows_below} rows")
        if best_vertical >= 4 and best_vertical > best_row:
            return Detection("questionnaire", None, "question labels in a column")
        if best_row >= 2:
            return Detection("table", table, "question-like headers")
        return None
