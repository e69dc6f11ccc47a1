"""``practices list``: the practices in the database, read with plain SQL, as a result that
renders itself."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from .db.read import as_reader, flag, json_value
from .reports import plural, render_table, to_frame

#: The columns of ``practices list --format csv`` (and of ``to_frame()``).
CSV_COLUMNS = ["id", "version", "status", "municipalities", "title", "keywords", "language",
               "consent", "flags", "source", "contact_email", "comment"]
TABLE_COLUMNS = ["id", "version", "status", "municipalities", "title", "flags"]
STATUSES = ("new", "needs-info", "approved", "rejected", "duplicate", "to-read")


class PracticeList:
    """The practices (current versions) as records of :func:`read_practices`.

    A list made from ``brief`` records (what the table shows) reads the whole records with
    ``load`` when something needs them (JSON, CSV, a data frame): a table of 5,000 practices
    does not read 5,000 cards' texts.
    """

    JSON_ROOT: ClassVar[str] = "practices"
    failed = False

    def __init__(self, practices: list[dict[str, Any]] | None = None, *,
                 brief: list[dict[str, Any]] | None = None,
                 load: Callable[[], list[dict[str, Any]]] | None = None):
        self._practices, self._load = practices, load
        self.brief: list[dict[str, Any]] = brief if brief is not None else practices or []

    @property
    def practices(self) -> list[dict[str, Any]]:
        """The whole records (read on first use when the list was made brief)."""
        if self._practices is None:
            wanted = {p["id"] for p in self.brief}
            loaded = self._load() if self._load is not None else []
            self._practices = [p for p in loaded if p["id"] in wanted]
        return self._practices

    def summary(self) -> list[str]:
        return [plural(len(self.brief), "practice")]

    def table(self) -> tuple[list[str], list[dict[str, Any]]]:
        rows = [{**p, "municipalities": " ".join(p["municipalities"]),
                 "keywords": ", ".join(p["keywords"]), "flags": "; ".join(p["flags"]),
                 "source": f"{p['source']['file']} {p['source']['locator']}",
                 "consent": p["contact"]["consent"],
                 "contact_email": p["contact"]["email"], "comment": p["review"]["comment"]}
                for p in self.practices]
        return CSV_COLUMNS, rows

    def text(self) -> str:
        from .flags import parse

        # Each flag by its code alone (practices show says what it means).
        rows = [{**p, "municipalities": " ".join(p["municipalities"]),
                 "flags": "; ".join(dict.fromkeys(parse(f).short for f in p["flags"]))}
                for p in self.brief]
        return "\n".join([render_table(rows, TABLE_COLUMNS), *self.summary()])

    def to_frame(self) -> Any:
        """Return one row per practice (the CSV columns) as a pandas DataFrame."""
        return to_frame(self)

    def to_dict(self) -> dict[str, Any]:
        return {"practices": self.practices}


@dataclass
class MessagesToRead:
    """The messages no reader could turn into a practice (``practices list --status to-read``)."""

    messages: list[dict[str, Any]]

    COLUMNS: ClassVar[list[str]] = ["submission", "file", "sender", "time", "subject", "text"]
    JSON_ROOT: ClassVar[str] = "messages"
    failed = False

    def summary(self) -> list[str]:
        return [f"{plural(len(self.messages), 'message')} to read"]

    def table(self) -> tuple[list[str], list[dict[str, Any]]]:
        return self.COLUMNS, self.messages

    def text(self) -> str:
        return "\n".join([render_table(self.messages, self.COLUMNS), *self.summary()])

    def to_dict(self) -> dict[str, Any]:
        return {"messages": self.messages}


#: What ``read_practices`` reads: the practice, its current version, where it came from.
_PRACTICE_SQL = """
SELECT p.id, p.current_version, p.status, p.decided_version, p.duplicate_of_id,
       p.reviewer_comment, p.corrected_title, p.corrected_keywords,
       v.title, v.keywords, v.target_group, v.goal, v.summary, v.implementation, v.resources,
       v.experiences, v.benefits, v.municipality_text, v.language, v.contact_name,
       v.contact_email, v.contact_phone, v.publish_consent, v.flags,
       f.original_name, s.sheet, s."row", s.locator, s.format
FROM practice p
JOIN practiceversion v ON v.practice_id = p.id AND v.version = p.current_version
LEFT JOIN submission s ON s.id = v.submission_id
LEFT JOIN receivedfile f ON f.id = s.received_file_id
"""
#: What a brief record holds: what the table of ``practices list`` shows.
_BRIEF_SQL = """
SELECT p.id, p.current_version, p.status, v.title, v.flags
FROM practice p
JOIN practiceversion v ON v.practice_id = p.id AND v.version = p.current_version
"""


def consent_state(value: bool | None) -> str:
    """Return a stored consent as yes, no or unknown (an empty or unclear answer)."""
    return "unknown" if value is None else "yes" if value else "no"


def read_practices(db: Any, *, status: str | None = None, municipality: str | None = None,
                   brief: bool = False) -> list[dict[str, Any]]:
    """Return the practices (current version) as plain records for ``practices list``.

    ``db`` is a reader (``db.read``) or a SQLAlchemy session; ``municipality`` is a code;
    ``brief`` records hold only id, version, status, title, municipalities and flags.
    """
    db = as_reader(db)
    codes: dict[int, list[str]] = {}
    sources: dict[int, dict[str, str]] = {}
    for practice_id, code, source in db.rows(
            "SELECT practice_id, municipality_code, source FROM practicemunicipality "
            "WHERE NOT superseded ORDER BY practice_id, municipality_code"):  # in force only
        codes.setdefault(practice_id, []).append(code)
        sources.setdefault(practice_id, {})[code] = source
    sql = _BRIEF_SQL if brief else _PRACTICE_SQL
    rows = (db.rows(sql + "WHERE p.status = :status ORDER BY p.id", status=status) if status
            else db.rows(sql + "ORDER BY p.id"))
    wanted = municipality.zfill(3) if municipality and municipality.isdigit() else municipality
    return [{"id": row[0], "version": row[1], "status": row[2], "title": row[3],
             "municipalities": codes.get(row[0], []), "flags": json_value(row[4]) or []}
            if brief else _record(row, codes.get(row[0], []), sources.get(row[0], {}))
            for row in rows if not wanted or wanted in codes.get(row[0], [])]


def _record(row: tuple[Any, ...], codes: list[str], sources: dict[str, str]) -> dict[str, Any]:
    (practice_id, version, status, decided_version, duplicate_of, comment, corrected_title,
     corrected_keywords, title, keywords, target_group, goal, summary, implementation,
     resources, experiences, benefits, municipality_text, language, contact_name,
     contact_email, contact_phone, consent, flags, file, sheet, row_number, locator,
     source_format) = row
    consent = flag(consent)
    return {
        "id": practice_id, "version": version, "status": status, "title": title,
        "keywords": list(json_value(keywords) or []),
        "target_group": list(json_value(target_group) or []), "goal": goal,
        "summary": summary, "implementation": implementation, "resources": resources,
        "experiences": experiences, "benefits": benefits, "municipalities": codes,
        "municipality_text": municipality_text, "language": language,
        # How each municipality was decided: token, metadata, text, sender-domain, reviewer.
        "municipality_sources": sources,
        "contact": {"name": contact_name, "email": contact_email, "phone": contact_phone,
                    # True (yes), False (no) or None (unknown: left empty or unclear).
                    "publish_consent": consent, "consent": consent_state(consent)},
        "flags": list(json_value(flags) or []),
        # The outer joins give None where no submission or file is behind the version.
        "source": {"file": file, "sheet": sheet, "row": row_number, "locator": locator,
                   "format": source_format},
        # What reviewers decided: the question to ask a needs-info contact, the original of
        # a duplicate, corrections (the card shows them; the fields above are as sent).
        "review": {"decided_version": decided_version, "duplicate_of": duplicate_of,
                   "comment": comment, "corrected_title": corrected_title,
                   "corrected_keywords": json_value(corrected_keywords) or None},
    }
