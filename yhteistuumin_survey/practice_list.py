"""What ``practices list`` shows: the practices in the database as a result that renders itself."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from .reports import plural, render_table, to_frame

#: The columns of ``practices list --format csv`` (and of ``to_frame()``).
CSV_COLUMNS = ["id", "version", "status", "municipalities", "title", "keywords", "language",
               "consent", "flags", "source", "contact_email", "comment"]
TABLE_COLUMNS = ["id", "version", "status", "municipalities", "title", "flags"]
STATUSES = ("new", "needs-info", "approved", "rejected", "duplicate", "to-read")


@dataclass
class PracticeList:
    """The practices (current versions) as records of ``ingest.list_practices``."""

    practices: list[dict[str, Any]]

    JSON_ROOT: ClassVar[str] = "practices"
    failed = False

    def summary(self) -> list[str]:
        return [plural(len(self.practices), "practice")]

    def table(self) -> tuple[list[str], list[dict[str, Any]]]:
        rows = [{**p, "municipalities": " ".join(p["municipalities"]),
                 "keywords": ", ".join(p["keywords"]), "flags": "; ".join(p["flags"]),
                 "source": f"{p['source']['file']} {p['source']['locator']}",
                 "consent": p["contact"]["consent"],
                 "contact_email": p["contact"]["email"], "comment": p["review"]["comment"]}
                for p in self.practices]
        return CSV_COLUMNS, rows

    def text(self) -> str:
        return "\n".join([render_table(self.table()[1], TABLE_COLUMNS), *self.summary()])

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
