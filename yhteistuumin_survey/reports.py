"""Outcomes of batch stages and how every report is rendered: table, CSV or JSON, in one place."""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

FORMATS = ("table", "csv", "json")
#: Characters that make a spreadsheet treat a cell as a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class Outcome:
    """What became of one item of a batch: a file, a sheet, a row, a message."""

    source: str
    status: str
    reason: str = ""
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def failed(self) -> bool:
        return self.status in {"error", "failed"}


@dataclass
class Report:
    """The outcomes of a batch stage, with counts by status."""

    outcomes: list[Outcome] = field(default_factory=list)

    def add(self, source: str, status: str, reason: str = "", **detail: Any) -> Outcome:
        outcome = Outcome(source, status, reason, dict(detail))
        self.outcomes.append(outcome)
        return outcome

    @property
    def counts(self) -> dict[str, int]:
        return dict(Counter(outcome.status for outcome in self.outcomes))

    @property
    def failed(self) -> bool:
        return any(outcome.failed for outcome in self.outcomes)

    def to_dict(self) -> dict[str, Any]:
        return {"counts": self.counts, "outcomes": [asdict(o) for o in self.outcomes]}


def neutralise_formula(value: Any) -> Any:
    """Return text that a spreadsheet will show as text, never evaluate as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


#: A formula character right after a separator Excel may split a CSV line on (``,`` in an
#: English locale, ``;`` in the Finnish and Swedish ones), spaces allowed between.
_AFTER_SEPARATOR = re.compile(r"([,;][ ]*)(?=[=+\-@\t\r])")


def neutralise_csv_cell(value: Any) -> Any:
    """Return CSV text that stays text whichever separator Excel splits the line on.

    A cell is written quoted only when it holds the writer's own separator, so
    ``Lukupiiri;=1+1;loppu`` goes out bare in a comma-separated file, and Excel set to split
    on ``;`` makes ``=1+1`` a cell of its own: every piece that would then start a formula gets
    the same ``'`` as the start of the cell.
    """
    value = neutralise_formula(value)
    if isinstance(value, str) and ("," in value or ";" in value):
        value = _AFTER_SEPARATOR.sub(r"\1'", value)
    return value


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ", ".join(_cell(item) for item in value)
    return str(value)


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def render_table(rows: Sequence[Mapping[str, Any]], columns: Sequence[str],
                 headers: Sequence[str] | None = None) -> str:
    """Return rows as a plain aligned text table (stable, so tests can compare it exactly)."""
    headers = list(headers or columns)
    body = [[_cell(row.get(col)).replace("\n", " ") for col in columns] for row in rows]
    widths = [max([_width(h)] + [_width(line[i]) for line in body]) for i, h in enumerate(headers)]

    def line(cells: Iterable[str]) -> str:
        return "  ".join(c + " " * (w - _width(c)) for c, w in zip(cells, widths, strict=True))

    out = [line(headers).rstrip(), "  ".join("-" * w for w in widths)]
    out += [line(cells).rstrip() for cells in body]
    return "\n".join(out)


def render_csv(rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> str:
    """Return rows as CSV; text that could become a formula (after either split) is neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([neutralise_csv_cell(_cell(row.get(col))) for col in columns])
    return buffer.getvalue()


def to_json(data: Any) -> str:
    """Return data as indented JSON, keeping Finnish and Swedish letters readable."""
    return json.dumps(data, ensure_ascii=False, indent=2, default=str, sort_keys=False)


def render(rows: Sequence[Mapping[str, Any]], columns: Sequence[str], fmt: str,
           headers: Sequence[str] | None = None) -> str:
    """Render rows as ``table``, ``csv`` or ``json`` (a list of objects with ``columns``)."""
    if fmt == "json":
        return to_json([{col: row.get(col) for col in columns} for row in rows])
    if fmt == "csv":
        return render_csv(rows, columns)
    return render_table(rows, columns, headers)
