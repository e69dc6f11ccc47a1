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
from typing import Any, Protocol, runtime_checkable

FORMATS = ("table", "csv", "json")
#: Characters that make a spreadsheet treat a cell as a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


@runtime_checkable
class Result(Protocol):
    """What every stage returns, so that the CLI, the demo and scripts render it alike.

    ``summary()`` holds the sentences a person reads (singular and plural right), ``table()``
    the columns and rows for CSV and data frames (``([], [])`` when there are none),
    ``to_dict()`` what ``--format json`` prints. A result may also define ``text()`` when its
    table-format output is more than its summary (a table between sentences), and
    ``warnings()`` for lines meant for standard error.
    """

    @property
    def failed(self) -> bool: ...

    def summary(self) -> list[str]: ...

    def table(self) -> tuple[list[str], list[dict[str, Any]]]: ...

    def to_dict(self) -> dict[str, Any]: ...


def plural(n: int, one: str, many: str | None = None) -> str:
    """Return ``n`` and the noun agreeing with it: ``plural(1, "file")`` is ``1 file``."""
    return f"{n} {one if n == 1 else (many if many is not None else one + 's')}"


def first_ten(texts: Iterable[str]) -> str:
    """Return the first ten of ``texts`` joined by commas, ``", ..."`` after them when more
    follow: what a line names of a long list."""
    texts = list(texts)
    return ", ".join(texts[:10]) + (", ..." if len(texts) > 10 else "")


def count_phrase(counts: Mapping[str, int], order: Sequence[str] | None = None) -> str:
    """Return ``"2 new, 1 error"``: the non-zero counts in ``order`` (default: sorted by name)."""
    keys = order if order is not None else sorted(counts)
    return ", ".join(f"{counts[key]} {key}" for key in keys if counts.get(key))


def outcome_rows(report: Report, *detail: str) -> list[dict[str, Any]]:
    """Return a report's outcomes as rows: source, status, reason and the ``detail`` keys."""
    return [{"source": o.source, "status": o.status, "reason": o.reason,
             **{key: o.detail.get(key) for key in detail}} for o in report.outcomes]


def render_result(result: Any, fmt: str) -> str:
    """Return a result as ``table`` (its text), ``csv`` (its table) or ``json`` (its dict);
    a result that renders itself in its own way (``render(fmt)``) does."""
    own = getattr(result, "render", None)
    if own is not None:
        return str(own(fmt))
    if fmt == "json":
        data = result.to_dict()
        root = getattr(result, "JSON_ROOT", None)
        return to_json(data[root] if root else data)
    if fmt == "csv":
        columns, rows = result.table()
        return render_csv(rows, columns) if columns else ""
    text = getattr(result, "text", None)
    return text() if text is not None else "\n".join(result.summary())


def to_frame(result: Any) -> Any:
    """Return a result's ``table()`` as a pandas DataFrame (pandas imported only here).

    pandas is the optional ``frames`` extra: without it this raises a one-line SurveyError
    that names the command installing it.
    """
    try:
        import pandas as pd
    except ImportError:
        from .errors import SurveyError

        raise SurveyError("to_frame() needs pandas, which is not installed; install it with: "
                          "pip install 'yhteistuumin-survey[frames]'") from None

    columns, rows = result.table()
    return pd.DataFrame.from_records([{col: row.get(col) for col in columns} for row in rows],
                                     columns=columns)


@dataclass(slots=True)
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
    """Return text that a spreadsheet will show as text, never evaluate as a formula.

    A leading formula character gets a ``'``; so does text that already starts with ``'``
    and one (someone typed ``'=1+1``), so that taking one ``'`` off (the review import does)
    gives back exactly the text, never ``=1+1``."""
    if isinstance(value, str) and (value.startswith(FORMULA_PREFIXES) or (
            value.startswith("'") and value[1:2].startswith(FORMULA_PREFIXES) and value[1:2])):
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
    if text.isascii() or max(text) < "\u1100":  # most cells: no wide character possible
        return len(text)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def render_table(rows: Sequence[Mapping[str, Any]], columns: Sequence[str],
                 headers: Sequence[str] | None = None) -> str:
    """Return rows as a plain aligned text table (stable, so tests can compare it exactly)."""
    lines = [[(h, _width(h)) for h in (headers or columns)]]
    for row in rows:
        cells = [_cell(row.get(col)).replace("\n", " ") for col in columns]
        lines.append([(cell, _width(cell)) for cell in cells])
    widths = [max(line[i][1] for line in lines) for i in range(len(columns))]

    def line(cells: Iterable[tuple[str, int]]) -> str:
        return "  ".join(c + " " * (w - cw) for (c, cw), w in zip(cells, widths, strict=True))

    out = [line(lines[0]).rstrip(), "  ".join("-" * w for w in widths)]
    out += [line(cells).rstrip() for cells in lines[1:]]
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
