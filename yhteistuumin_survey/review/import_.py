"""Read reviewers' workbooks back: validate each row, hold back stale and conflicting ones, apply.

Columns are found by their headers (Finnish, Swedish or English), never by position, so a
workbook re-saved by LibreOffice, with columns moved, hidden or added, rows sorted or the
drop-downs lost, reads the same. The hidden ``_review_meta`` sheet says which version each
row was made for; a practice that has a newer version is refused with "re-export".

Idempotent: a row already applied from the same file (same SHA-256, same row) is
``unchanged``, and so is a row that says what the database already holds.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import locks
from ..errors import InputError, no_such_file
from ..flags import parse as parse_flag
from ..reports import Report, neutralise_formula, outcome_rows
from ..sheetxml import cell_value, cut_length
from ..survey import fold
from ..tables import cell_text, office_lock_file, open_in_office, sha256_file
from .common import (
    ALLOWED_DECISIONS_TEXT,
    COLUMN_BY_KEY,
    EDITABLE,
    HEADER_INDEX,
    META_SHEET,
    NOT_DUPLICATE_WORDS,
    READ_ONLY,
    REREAD_WORDS,
    STAMP_FIELDS,
    corrected_municipality_ids,
    decision_label,
    duplicate_candidates,
    duplicate_cell,
    effective_municipalities,
    emptied_flags,
    gc_paused,
    is_not_duplicate,
    json_once,
    normal_text,
    parse_decision,
    parse_reread_answer,
    plain_rows,
    read_only_digest,
    reread_flags,
    reviewer_municipalities,
    set_reviewer_municipalities,
    stamp_matches,
    status_label,
    text_hash,
)

if TYPE_CHECKING:
    from sqlmodel import Session

    from ..normalise import Vocabulary
    from ..tables import Sheet

#: Outcome statuses of an import, in the order the summary lists them.
SUMMARY_KEYS = ("applied", "unchanged", "stale", "conflict", "error", "warning", "skipped")
#: The longest corrected title taken when the survey gives no limit (the bundled survey's
#: ``title`` question has ``max_length: 150``).
TITLE_MAX_LENGTH = 150
_STAMP = re.compile(r"^v(\d+)-([0-9a-f]{6}|[0-9a-f]{8})$")
_ID = re.compile(r"^#?\s*(\d+)(?:\.0+)?$")
_EMPTY_HASH = text_hash("")
#: Why a row imported before from the same file (the same SHA-256) is not applied again.
ALREADY_IMPORTED = "already imported from this file"
#: What the audit trail records for a comment typed without a decision (the practice keeps
#: its status; the comment becomes its review note).
COMMENT_ONLY = "comment"


@dataclass
class ImportResult:
    """What ``import_review`` did with every row of every file."""

    report: Report = field(default_factory=Report)
    files: list[str] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        """The rows by outcome (every key present)."""
        counts = self.report.counts
        return {"applied": counts.get("applied", 0), "unchanged": counts.get("unchanged", 0),
                "stale": counts.get("stale", 0), "conflicts": counts.get("conflict", 0),
                "errors": counts.get("error", 0), "warnings": counts.get("warning", 0),
                "skipped": counts.get("skipped", 0)}

    @property
    def failed(self) -> bool:
        """True when a row was not applied for a reason someone must act on."""
        counts = self.counts
        return bool(counts["errors"] or counts["stale"] or counts["conflicts"])

    def summary(self) -> list[str]:
        from ..reports import plural

        again: dict[str, int] = {}
        changed: set[str] = set()
        for outcome in self.report.outcomes:
            name = outcome.source.rpartition(":")[0]
            if outcome.reason == ALREADY_IMPORTED:
                again[name] = again.get(name, 0) + 1
            elif outcome.status not in ("unchanged", "skipped"):
                changed.add(name)
        return [*(f"{name} was imported before: {plural(count, 'decision')} in it "
                  f"{'is' if count == 1 else 'are'} already applied (unchanged)"
                  + ("" if name in changed else "; nothing changed")
                  for name, count in again.items()),
                ", ".join(f"{count} {name[:-1] if count == 1 and name.endswith('s') else name}"
                          for name, count in self.counts.items())]

    def table(self) -> tuple[list[str], list[dict[str, Any]]]:
        return ["source", "status", "reason"], outcome_rows(self.report)

    def text(self) -> str:
        return "\n".join([f"{o.source}: {o.status}: {o.reason}" for o in self.report.outcomes
                          if o.status in {"error", "stale", "conflict", "warning"}]
                         + self.summary())

    def to_dict(self) -> dict[str, Any]:
        return {"files": self.files, "summary": self.counts,
                "outcomes": self.report.to_dict()["outcomes"]}


@dataclass
class RowDecision:
    """One row of a workbook as read and checked."""

    file: str
    sha256: str
    row: int
    practice_id: int
    decision: str
    version: int
    stamp: str
    reviewer: str | None
    duplicate_of: int | None = None
    comment: str | None = None
    corrected_title: str | None = None
    corrected_keywords: list[str] | None = None
    municipality_text: str | None = None
    corrected_municipalities: list[str] | None = None
    warnings: list[str] = field(default_factory=list)
    #: The row's line of the hidden sheet (None without it).
    meta_row: MetaRow | None = None
    #: The reviewer answered the possible-duplicate flags "not a duplicate"; the practices
    #: answered are filled in from the version's flags when the row is checked.
    not_duplicate: bool = False
    not_duplicate_of: list[int] | None = None
    #: When the row's workbook was exported (its hidden sheet says; None when unknown).
    exported_at: dt.datetime | None = None
    #: Who last saved the row's workbook, as its properties say (None: not said).
    saved_by: str | None = None
    #: The reviewer wrote the duplicate column (not as exported) as text, "#12": a number
    #: alone is copied by Excel's fill handle, text ending in one is counted up.
    duplicate_typed: bool = False
    #: The original the row above names, when this row's is the next number: what Excel's
    #: fill handle makes of "#12" dragged down ("#13", "#14", ...).
    counted_from: int | None = None
    #: The answer to the practice's ``reread-differs`` flags ("keep" or "take"; None: none).
    reread_answer: str | None = None
    #: Whether the reviewer wrote an editable cell (True when the export is unknown); asked
    #: only of the few rows another reviewer decided before (hashing every cell of 5,000 rows
    #: up front was a fifth of an import).
    typed: Callable[[str], bool] | None = field(default=None, repr=False)
    #: The row's read-only contact cell as exported (what the reviewer was shown).
    contact_shown: str = field(default="", repr=False)
    #: The row showed the contact of a person ``forget`` erased since (``_without_erased``).
    erased_contact: bool = False
    #: The headers of the cells whose erased address was replaced by its placeholder.
    erased_in: list[str] = field(default_factory=list)

    def left_as_exported(self, key: str) -> bool:
        """Tell if the editable column ``key`` is as exported (known from the hidden sheet)."""
        return self.typed is not None and not self.typed(key)

    @property
    def shown(self) -> dict[str, str] | None:
        """Hashes of the cells as exported (from the hidden sheet): what the reviewer was shown."""
        return None if self.meta_row is None else self.meta_row.hashes

    @property
    def where(self) -> str:
        return f"{self.file}:{self.row}"

    def signature(self) -> tuple[Any, ...]:
        return (self.decision, self.duplicate_of, self.not_duplicate, self.corrected_title,
                tuple(self.corrected_keywords or ()),
                tuple(sorted(self.corrected_municipalities or ())))

    def describe(self) -> str:
        text = decision_label(self.decision)
        if self.duplicate_of:
            text += f" #{self.duplicate_of}"
        if self.not_duplicate:
            text += f", {NOT_DUPLICATE_WORDS['fi']}"
        return text

    def describe_whole(self) -> str:
        """The decision with its corrections and answer: what two rows may differ in."""
        return self.describe() + _corrections_words(
            self.corrected_title, self.corrected_keywords, self.corrected_municipalities) + (
            f", {COLUMN_BY_KEY['reread'].header} {REREAD_WORDS[self.reread_answer]['fi']!r}"
            if self.reread_answer else "")



@dataclass
class MetaRow:
    """One practice's line of the hidden sheet: the version and stamp it was exported at, the
    hash of every cell shown (parsed when first needed) and one digest of its read-only cells
    (empty in workbooks exported before it was added)."""

    version: int
    stamp: str
    hashes_text: str
    digest: str = ""
    _hashes: dict[str, str] | None = field(default=None, repr=False)

    @property
    def hashes(self) -> dict[str, str]:
        if self._hashes is None:
            self._hashes = dict(part.split("=", 1) for part in self.hashes_text.split()
                                if "=" in part)
        return self._hashes


@dataclass
class _Workbook:
    path: Path
    label: str
    sha256: str
    sheet: Sheet
    header_row: int
    columns: dict[str, int]
    meta: dict[str, str]
    meta_rows: dict[int, MetaRow]

    @cached_property
    def saved_by(self) -> str | None:
        """Who last saved the workbook, as its properties say (None: not said)."""
        return saved_by(self.path)

    @cached_property
    def exported_at(self) -> dt.datetime | None:
        """When the workbook was exported (None: no hidden sheet, or a time not readable)."""
        try:
            moment = dt.datetime.fromisoformat(self.meta.get("exported_at", ""))
        except ValueError:
            return None
        return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)

    @cached_property
    def read_only_positions(self) -> list[int] | None:
        """Where the read-only columns are, in :data:`COLUMNS` order (None: one is missing)."""
        positions = [self.columns.get(key) for key in READ_ONLY]
        return None if None in positions else positions  # type: ignore[return-value]

    @cached_property
    def editable_positions(self) -> list[tuple[str, int | None]]:
        """Each editable column's key and where it is (None: not in this workbook)."""
        return [(key, self.columns.get(key)) for key in EDITABLE]

    def editable_texts(self, raw: list[Any]) -> dict[str, str]:
        """A row's editable cells as text, our formula guard undone, outer space stripped."""
        width = len(raw)
        texts = {}
        for key, position in self.editable_positions:
            value = raw[position] if position is not None and position < width else None
            if value is None or value == "":
                texts[key] = ""
            else:
                texts[key] = normal_text(_unneutralise(
                    value if isinstance(value, str) else cell_text(value)))
        return texts


def _text(value: Any) -> str:
    return normal_text(cell_text(value)) if not isinstance(value, str) else normal_text(value)


def _unneutralise(text: str) -> str:
    """Undo our own formula guard on a pre-filled editable cell (``'=x`` -> ``=x``,
    ``''=x`` -> ``'=x``): exactly the inverse of ``neutralise_formula``."""
    if text.startswith("'") and neutralise_formula(text[1:]) == text:
        return text[1:]
    return text


def _find_header(sheet: Sheet) -> tuple[int, dict[str, list[int]]] | None:
    from ..survey import fold
    from ..tables import find_header_row

    return find_header_row(sheet.rows, lambda text: HEADER_INDEX.get(fold(normal_text(text))),
                           search_rows=10, accept=lambda keys: {"id", "decision"} <= keys)


def _whole(value: Any) -> int | None:
    """A cell's whole number (a number, or text like ``12``), None if it holds none."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    match = _ID.match(_text(value)) if value is not None else None
    return int(match.group(1)) if match else None


def _read_meta(sheet: Sheet) -> tuple[dict[str, str], dict[int, MetaRow]]:
    meta: dict[str, str] = {}
    rows: dict[int, MetaRow] = {}
    table_from = None
    for index, raw in enumerate(sheet.rows):
        cells = [_text(v) for v in raw[:2]] + ["", ""]
        if cells[0] == "practice_id":
            table_from = index + 1
            break
        if cells[0]:
            meta[cells[0]] = cells[1]
    for raw in sheet.rows[table_from or len(sheet.rows):]:
        raw = [*raw[:5], None, None, None, None, None]
        practice_id, version = _whole(raw[0]), _whole(raw[1])
        if practice_id is None or version is None:
            continue
        rows[practice_id] = MetaRow(version, _text(raw[2]), _text(raw[3]), _text(raw[4]))
    return meta, rows


#: Where a workbook says who last saved it: the member and the element (Excel and
#: LibreOffice write the user's name there on every save; ODF's dc:creator is the last one).
_SAVER_ELEMENTS = (
    ("docProps/core.xml",
     "{http://schemas.openxmlformats.org/package/2006/metadata/core-properties}lastModifiedBy"),
    ("meta.xml", "{http://purl.org/dc/elements/1.1/}creator"))
#: A properties part larger than this is no workbook's: not read.
_SAVER_PART_BYTES = 1 << 20


def saved_by(path: Path) -> str | None:
    """Return the name of whoever last saved a workbook (.xlsx ``lastModifiedBy``, .ods
    ``dc:creator``), None when the file does not say (a CSV, a program that writes none)."""
    import zipfile

    from defusedxml import ElementTree
    from defusedxml.common import DefusedXmlException

    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            for member, tag in _SAVER_ELEMENTS:
                if member not in names or archive.getinfo(member).file_size > _SAVER_PART_BYTES:
                    continue
                root = ElementTree.fromstring(archive.read(member))
                found = next(root.iter(tag), None)
                name = " ".join((found.text or "").split()) if found is not None else ""
                return name[:200] or None
    except (OSError, zipfile.BadZipFile, ElementTree.ParseError, DefusedXmlException,
            ValueError):
        return None
    return None


def open_review_workbook(path: Path) -> _Workbook:
    """Read a returned workbook and find its review sheet and metadata (InputError if none).

    A review sheet saved as CSV (Excel's "Save as CSV" keeps the active sheet only) is read
    too: without the hidden sheet, each row's 'Versio' cell says which version it decided."""
    from ..tables import read_table_file
    if not path.exists():
        raise no_such_file(path)
    sheets = read_table_file(path)
    meta: dict[str, str] = {}
    meta_rows: dict[int, MetaRow] = {}
    candidates: list[tuple[Sheet, int, dict[str, list[int]]]] = []
    for sheet in sheets:
        if sheet.name == META_SHEET:
            meta, meta_rows = _read_meta(sheet)
            continue
        header = _find_header(sheet)
        if header is not None:
            candidates.append((sheet, header[0], header[1]))
    if not candidates:
        raise InputError(f"{path}: no review sheet (a header row with 'ID' and 'Päätös' / "
                         "'Decision'); is this a workbook made by 'yhteistuumin review export'?")
    sheet, header_row, positions = _review_sheet(path, candidates)
    for key in ("id", *EDITABLE):
        if len(positions.get(key, ())) > 1:
            # A column copied beside itself (to keep a draft, or by a paste): which of the
            # two holds the decisions cannot be told, and reading the first lost the other's.
            from openpyxl.utils import get_column_letter

            letters = " and ".join(get_column_letter(p + 1) for p in positions[key])
            raise InputError(f"{path}: {len(positions[key])} columns are headed "
                             f"'{COLUMN_BY_KEY[key].header}' (columns {letters}); nothing "
                             "applied; delete or rename all but one and import again")
    columns = {key: found_at[0] for key, found_at in positions.items()}
    return _Workbook(path, str(path), sha256_file(path), sheet, header_row, columns, meta,
                     meta_rows)


def _review_sheet(path: Path, candidates: list[tuple[Sheet, int, dict[str, list[int]]]]
                  ) -> tuple[Sheet, int, dict[str, list[int]]]:
    """The one sheet with the review's columns that holds decisions. A copy of the sheet
    ("Arviointi (2)", made to keep the original) may be where the reviewer decided, and only
    the first sheet was read: two sheets with decisions are refused (InputError)."""
    if len(candidates) == 1:
        return candidates[0]
    decided = [found for found in candidates if any(
        position < len(raw) and _text(raw[position])
        for raw in found[0].rows[found[1] + 1:] for position in found[2].get("decision", ()))]
    if len(decided) > 1:
        names = " and ".join(f"'{found[0].name}'" for found in decided)
        raise InputError(f"{path}: the sheets {names} both have the review's columns with "
                         "decisions, and which of them holds the reviewer's word cannot be "
                         "told; nothing applied; keep the decisions on one sheet, delete the "
                         "other and import again")
    return (decided or candidates)[0]


def _read_rows(book: _Workbook, *, reviewer: str | None, report: Report,
               title_max_length: int = TITLE_MAX_LENGTH,
               vocabulary: Vocabulary | None = None) -> list[RowDecision]:
    """Check each row on its own (no database yet); return the rows that carry a decision."""
    decisions: list[RowDecision] = []
    stamps_to_ids = {meta_row.stamp: pid for pid, meta_row in book.meta_rows.items()}
    merged = _merged_over_rows(book)
    for index in range(book.header_row + 1, len(book.sheet.rows)):
        if index in merged:
            practice_id = _whole(_row_getter(book, book.sheet.rows[index])("id"))
            report.add(f"{book.label}:{index + 1}", "error", merged[index],
                       practice_id=practice_id)
            continue
        decision = _read_row(book, index, stamps_to_ids=stamps_to_ids, reviewer=reviewer,
                             report=report, title_max_length=title_max_length,
                             vocabulary=vocabulary)
        if decision is not None:
            decisions.append(decision)
    for above, row in pairwise(decisions):
        # (The practice on the row above is a likely original, whatever its number.)
        if row.row == above.row + 1 and row.duplicate_typed and above.duplicate_typed \
                and above.duplicate_of is not None and row.duplicate_of == above.duplicate_of + 1 \
                and row.duplicate_of != above.practice_id:
            row.counted_from = above.duplicate_of
    return _refuse_copied_titles(book, decisions, report=report)


def _refuse_copied_titles(book: _Workbook, decisions: list[RowDecision], *,
                          report: Report) -> list[RowDecision]:
    """Refuse a corrected title typed on rows next to each other of practices whose own titles
    differ: what Excel's fill handle (or a paste over a range) makes of one row's correction,
    and applied it renamed every practice under it alike. Return the rows kept."""
    runs: list[list[RowDecision]] = []
    for row in decisions:
        if row.corrected_title is None or (row.typed is not None
                                           and not row.typed("corrected_title")):
            continue
        last = runs[-1][-1] if runs else None
        if last is not None and last.row + 1 == row.row \
                and last.corrected_title == row.corrected_title:
            runs[-1].append(row)
        else:
            runs.append([row])
    refused: set[int] = set()
    for run in runs:
        own = {_row_getter(book, book.sheet.rows[row.row - 1])("title").casefold()
               for row in run}
        if len({row.practice_id for row in run}) < 2 or len(own) < 2:
            continue
        top, bottom = run[0].row, run[-1].row
        ids = ", ".join(f"#{row.practice_id}" for row in run)
        header = COLUMN_BY_KEY["corrected_title"].header
        for row in run:
            report.add(row.where, "error",
                       f"the '{header}' {row.corrected_title!r} is on rows {top}-{bottom} "
                       f"({ids}), practices with titles of their own: as Excel's fill handle "
                       "or a paste copies one row's correction down; nothing applied for these "
                       "rows; keep it on the row it belongs to, clear the others and import "
                       "again", practice_id=row.practice_id)
            refused.add(id(row))
    return [row for row in decisions if id(row) not in refused] if refused else decisions


def _merged_over_rows(book: _Workbook) -> dict[int, str]:
    """Row index -> why it is refused, for the rows under an editable cell merged over several
    rows: only the range's first cell holds the value, so the decision a reviewer sees over
    three rows would apply to the first alone (and the other two stay undecided, silently)."""
    keys = {position: key for key, position in book.editable_positions if position is not None}
    refused: dict[int, str] = {}
    for (first_row, first_col), (last_row, last_col) in book.sheet.merged:
        if last_row <= book.header_row or last_row == first_row:
            continue
        columns = [keys[c] for c in range(first_col, last_col + 1) if c in keys]
        if not columns:
            continue
        top = book.sheet.rows[first_row] if first_row < len(book.sheet.rows) else []
        value = _text(top[first_col]) if first_col < len(top) else ""
        if not value:  # merged empty cells decide nothing
            continue
        first = max(first_row, book.header_row + 1)
        header = COLUMN_BY_KEY[columns[0]].header
        reason = (f"the '{header}' cell {value!r} is merged over rows {first + 1}-"
                  f"{last_row + 1}, and a merged cell's value belongs to its first row "
                  "only; nothing applied for these rows; unmerge the cells and write the "
                  "value on each row")
        for index in range(first, last_row + 1):
            refused.setdefault(index, reason)
    return refused


def _date_serial(value: Any) -> int | None:
    """The whole number under a cell Excel shows as a date (its serial day, 1 = 1900-01-01,
    Excel's leap day 1900-02-29 counted), None for any other value or a date with a time."""
    if isinstance(value, dt.datetime):
        if value.time() != dt.time():
            return None
        value = value.date()
    if not isinstance(value, dt.date):
        return None
    days = (value - dt.date(1899, 12, 30)).days
    return days - 1 if days < 61 else days


def _row_getter(book: _Workbook, raw: list[Any]) -> Callable[[str], str]:
    """A row's cell by column key, as text."""
    cols = book.columns

    def get(key: str) -> str:
        position = cols.get(key)
        if position is None or position >= len(raw):
            return ""
        return _text(raw[position])

    return get


def _read_row(book: _Workbook, index: int, *, stamps_to_ids: dict[str, int],
              reviewer: str | None, report: Report, title_max_length: int,
              vocabulary: Vocabulary | None = None) -> RowDecision | None:
    """One row's decision, or None (with the reason in the report) when it carries none."""
    row_number = index + 1
    where = f"{book.label}:{row_number}"
    raw = book.sheet.rows[index]
    get = _row_getter(book, raw)
    id_text = get("id")
    id_column = book.columns["id"]
    serial = _date_serial(raw[id_column] if id_column < len(raw) else None)
    if serial is not None:
        # The ID column formatted as dates (a format painted over it, or Excel guessing):
        # the cell still holds the number; the row's version stamp confirms it below.
        report.add(where, "warning", f"the ID cell shows a date ({id_text}); read as "
                                     f"#{serial}, the number it holds; format the ID column "
                                     "as numbers", practice_id=serial)
        raw[id_column] = serial
        id_text = str(serial)
    editable = book.editable_texts(raw)
    if not id_text:
        if any(editable.values()):
            report.add(where, "error", "no ID on this row; decisions need the practice's "
                                       "ID as exported")
        return None
    id_match = _ID.match(id_text)
    if not id_match:
        report.add(where, "error", f"ID {id_text!r} is not a practice number; keep the ID "
                                   "column as exported")
        return None
    practice_id = int(id_match.group(1))
    version_of = _row_version(book, raw, get, where, practice_id,
                              stamps_to_ids=stamps_to_ids, report=report)
    if version_of is None:
        return None
    version, stamp, meta_row = version_of

    def edited() -> bool:
        """Whether an editable cell differs from what was exported."""
        if meta_row is None:
            return any(editable.values())
        hashes = meta_row.hashes
        return any(key in book.columns and key in hashes
                   and text_hash(get(key)) != hashes[key] for key in EDITABLE)

    def typed(key: str) -> bool:
        """Whether the reviewer wrote this editable cell (True when the export is unknown)."""
        if meta_row is None or key not in meta_row.hashes or key not in book.columns:
            return True
        return text_hash(get(key)) != meta_row.hashes[key]

    if not editable["decision"] and meta_row is not None and "decision" in book.columns \
            and meta_row.hashes.get("decision", _EMPTY_HASH) != _EMPTY_HASH \
            and not editable["duplicate_of"]:
        # A practice cannot be taken back to undecided; the cleared cell was read as "no
        # decision" and said "a comment or correction without a decision", or nothing.
        report.add(where, "error", "the decision exported on this row was cleared, and a "
                                   "decided practice cannot be made undecided; nothing "
                                   "applied; choose lisätietoja to keep it off the site for "
                                   "now, or hylätty", practice_id=practice_id)
        return None
    chosen = _row_decision(editable, where, practice_id, edited, typed, report=report)
    if chosen is None:
        return None
    decision, duplicate_of, not_duplicate = chosen
    answer = _reread_answer(editable["reread"] if decision != COMMENT_ONLY else "", where,
                            practice_id, report=report)
    if answer == "":
        return None
    if decision == COMMENT_ONLY:
        return RowDecision(
            book.label, book.sha256, row_number, practice_id, decision, version, stamp,
            reviewer or book.meta.get("reviewer") or None, comment=editable["comment"],
            meta_row=meta_row, exported_at=book.exported_at, typed=typed,
            saved_by=book.saved_by, contact_shown=get("contact"))
    keywords = _corrected_keywords(editable["corrected_keywords"], vocabulary, where,
                                   practice_id, report=report)
    # A title is one line: a line break or tab typed (Alt+Enter) or pasted into the cell would
    # end up inside the card's heading, the CMS front matter and practices.json.
    title = " ".join(editable["corrected_title"].split())
    if len(title) > title_max_length:
        # A text pasted into the wrong column (or Excel's whole 32 767 characters) would
        # become the card's heading.
        report.add(where, "error", f"the corrected title is {len(title):,} characters".replace(
            ",", " ") + f", over the {title_max_length} a title may have; nothing applied; "
            "shorten it (the text belongs in the card, not its name)", practice_id=practice_id)
        return None
    return RowDecision(
        book.label, book.sha256, row_number, practice_id, decision, version, stamp,
        reviewer or book.meta.get("reviewer") or None, duplicate_of,
        editable["comment"] or None, title or None,
        keywords or None, editable["corrected_municipalities"] or None, meta_row=meta_row,
        not_duplicate=not_duplicate, exported_at=book.exported_at,
        duplicate_typed=duplicate_of is not None and typed("duplicate_of")
        and not editable["duplicate_of"].isdigit(),
        reread_answer=answer, typed=typed, saved_by=book.saved_by,
        contact_shown=get("contact"))


def _reread_answer(text: str, where: str, practice_id: int, *, report: Report) -> str | None:
    """The answer typed in 'Uusi luenta' (``keep`` or ``take``; None when empty), or ""
    (reported) when it is no answer."""
    if not text:
        return None
    answer = parse_reread_answer(text)
    if answer is None:
        keep, take, restore = (REREAD_WORDS[key] for key in ("keep", "take", "restore"))
        report.add(where, "error", f"unknown answer {text!r} in "
                                   f"'{COLUMN_BY_KEY['reread'].header}'; nothing applied; "
                                   f"write {keep['fi']!r} ({keep['sv']}, {keep['en']}) "
                                   f"or {take['fi']!r} ({take['sv']}, {take['en']}) to a "
                                   f"new reading, {restore['fi']!r} ({restore['sv']}, "
                                   f"{restore['en']}) to an answer left empty",
                   practice_id=practice_id)
        return ""
    return answer


def _corrected_keywords(text: str, vocabulary: Vocabulary | None, where: str,
                        practice_id: int, *, report: Report) -> list[str]:
    """The corrected keywords, split as a respondent's typed keywords are ("musiikki; nuoret /
    kirjasto"), one rule for both, each kept as written (a known one spelt as the vocabulary
    spells it). Those the vocabulary does not know are taken as typed (a respondent's may be
    too) and warned of: the card has no concept to file them under, and a reviewer's typo
    would go on the site unseen."""
    if not text:
        return []
    from ..normalise import bundled_vocabulary, split_keywords

    keywords = split_keywords(text, vocabulary)
    known = vocabulary if vocabulary is not None else bundled_vocabulary()
    unknown = [keyword for keyword in keywords if known.concept_of(keyword) is None]
    if not unknown:
        return keywords
    one = len(unknown) == 1
    report.add(where, "warning",
               f"corrected {'keyword' if one else 'keywords'} "
               f"{', '.join(repr(k) for k in unknown)} {'is' if one else 'are'} not in the "
               f"keyword vocabulary: taken as typed, with no concept for the site's filters; "
               "if it is a typo, write the vocabulary's word and import again, else ask the "
               "vocabulary's keeper to add it", practice_id=practice_id)
    return keywords


def _read_only_intact(book: _Workbook, raw: list[Any], meta_row: MetaRow) -> bool:
    """Tell with one hash that every read-only cell of a row is as exported (False: compare
    them one by one; also for a workbook without the digest or with a read-only column gone)."""
    positions = book.read_only_positions
    if not meta_row.digest or positions is None or max(positions) >= len(raw):
        return False
    texts = [value if value.__class__ is str else "" if value is None else cell_text(value)
             for value in map(raw.__getitem__, positions)]
    return read_only_digest(texts) == meta_row.digest


def _row_version(book: _Workbook, raw: list[Any], get: Callable[[str], str], where: str,
                 practice_id: int, *, stamps_to_ids: dict[str, int], report: Report
                 ) -> tuple[int, str, MetaRow | None] | None:
    """The version a row was exported at, its stamp and its line of the hidden sheet; None
    (with an error reported) when the row cannot be trusted. Warnings for edited read-only
    cells are reported here."""
    cols = book.columns
    warnings: list[str] = []
    visible_stamp = get("stamp")
    meta_row = book.meta_rows.get(practice_id)
    if meta_row is not None:
        version, stamp = meta_row.version, meta_row.stamp
        if "stamp" in cols and visible_stamp != stamp:
            other = stamps_to_ids.get(visible_stamp)
            if other is not None and other != practice_id:
                report.add(where, "error", f"the ID was changed (the row is for #{other}, "
                                           f"not #{practice_id}); fix the ID or re-export",
                           practice_id=practice_id)
            else:
                report.add(where, "error", f"the 'Versio' cell {visible_stamp or '(empty)'!r}"
                                           f" is not the one exported for #{practice_id} "
                                           f"({stamp}); nothing applied; put it back or "
                                           "re-export", practice_id=practice_id)
            return None
        if not _read_only_intact(book, raw, meta_row):
            hashes = meta_row.hashes
            # (The ID is the number read from it: "0012" or 12.0 is still #12.)
            changed = [key for key in READ_ONLY if key in cols and key in hashes
                       and key != "id" and text_hash(get(key)) != hashes[key]]
            if changed and "stamp" not in cols:
                # Without the 'Versio' column only the read-only cells tell whose row this
                # is: any of them changed and the row cannot be trusted to be #practice_id's.
                other = _row_owner(book, get, practice_id)
                hint = f" (it looks like #{other}'s row)" if other is not None else ""
                report.add(where, "error", f"the 'Versio' column is gone and this row's "
                                           f"read-only cells are not those exported for "
                                           f"#{practice_id}{hint}; nothing applied; "
                                           "re-export", practice_id=practice_id)
                return None
            for key in changed:
                header = COLUMN_BY_KEY[key].header
                hint = " (put corrections in 'Korjattu nimi')" if key == "title" else \
                    " (put corrections in 'Korjatut avainsanat')" if key == "keywords" else \
                    " (put corrections in 'Korjatut kunnat')" if key == "municipalities" else \
                    " (write the decision in 'Päätös')" if key == "status" else \
                    f" (write notes and corrections in '{COLUMN_BY_KEY['comment'].header}')"
                warnings.append(f"read-only column '{header}' was edited; the edit is "
                                f"ignored{hint}")
    elif book.meta_rows:
        report.add(where, "error", f"practice #{practice_id} is not in this export (was the "
                                   "ID edited?); re-export to review it")
        return None
    else:
        stamp_match = _STAMP.match(visible_stamp)
        if not stamp_match:
            report.add(where, "error", "no version stamp for this row (the hidden "
                                       "_review_meta sheet and the 'Versio' column are "
                                       "gone); re-export")
            return None
        version, stamp = int(stamp_match.group(1)), visible_stamp
    for warning in warnings:
        report.add(where, "warning", warning, practice_id=practice_id)
    return version, stamp, meta_row


def _row_decision(editable: dict[str, str], where: str, practice_id: int,
                  edited_editable: Callable[[], bool], typed: Callable[[str], bool], *,
                  report: Report) -> tuple[str, int | None, bool] | None:
    """The row's decision, the original it duplicates and whether it answers "not a
    duplicate"; None (reported) when it has no decision or they do not fit together.

    A duplicate column left as exported is no decision by itself: a practice decided a
    duplicate that has since sent a new version is exported with its old link and an empty
    decision, and untouched it would otherwise be made a duplicate again, unseen."""
    decision_text = editable["decision"]
    decision = parse_decision(decision_text) if decision_text else None
    if decision_text and decision is None:
        report.add(where, "error", f"unknown decision {decision_text!r}; use one of: "
                                   f"{ALLOWED_DECISIONS_TEXT}", practice_id=practice_id)
        return None
    if decision is not None and ("?" in decision_text or "\uff1f" in decision_text):
        # "hyväksytty?" is a reviewer asking, not deciding: never applied as the decision.
        report.add(where, "error", f"decision {decision_text!r} is a question; write "
                                   f"{decision_label(decision)!r} without the question mark "
                                   "when sure, or choose lisätietoja",
                   practice_id=practice_id)
        return None
    if _decision_in_comment(editable, decision, typed, where, practice_id, report=report):
        return None
    duplicate_text = editable["duplicate_of"]
    duplicate_of: int | None = None
    not_duplicate = bool(duplicate_text) and is_not_duplicate(duplicate_text)
    if not_duplicate and decision == "duplicate":
        report.add(where, "error", f"{duplicate_text!r} in the duplicate column but the "
                                   "decision is 'kaksoiskappale'; write the original's ID "
                                   "there, or choose another decision",
                   practice_id=practice_id)
        return None
    if duplicate_text and not not_duplicate:
        dup_match = _ID.match(duplicate_text)
        if not dup_match:
            report.add(where, "error", f"duplicate of {duplicate_text!r} is not a practice "
                                       "ID; write the number of the original practice, or "
                                       f"'{NOT_DUPLICATE_WORDS['fi']}'",
                       practice_id=practice_id)
            return None
        duplicate_of = int(dup_match.group(1))
        if decision is None and not typed("duplicate_of"):
            duplicate_of = None
        elif decision is None:
            decision = "duplicate"
            report.add(where, "warning", f"duplicate of #{duplicate_of} given without a "
                                         "decision; taken as kaksoiskappale",
                       practice_id=practice_id)
        elif decision != "duplicate":
            kept = "" if typed("duplicate_of") else " (as exported, from the earlier decision)"
            report.add(where, "error", f"duplicate of #{duplicate_of} is set{kept} but the "
                                       f"decision is {decision_label(decision)!r}; choose "
                                       "kaksoiskappale or clear the duplicate column",
                       practice_id=practice_id)
            return None
    if decision is None:
        if editable["comment"] and typed("comment"):
            # A reviewer's note is never lost: it is stored, the practice stays undecided.
            left = [COLUMN_BY_KEY[key].header for key in (
                "corrected_title", "corrected_keywords", "corrected_municipalities",
                "duplicate_of", "reread") if editable[key] and typed(key)]
            if left:
                report.add(where, "warning", f"{', '.join(repr(h) for h in left)} without a "
                                             "decision: not applied (the comment is stored); "
                                             "choose a decision to apply "
                                             f"{'it' if len(left) == 1 else 'them'}",
                           practice_id=practice_id)
            return COMMENT_ONLY, None, False
        if edited_editable():
            report.add(where, "warning", "a comment or correction without a decision; "
                                         "nothing applied (choose a decision)",
                       practice_id=practice_id)
        else:
            report.add(where, "skipped", "no decision", practice_id=practice_id)
        return None
    if decision == "duplicate" and duplicate_of is None:
        report.add(where, "error", "kaksoiskappale needs the original's ID in "
                                   "'Kaksoiskappale (alkuperäisen ID)'",
                   practice_id=practice_id)
        return None
    if duplicate_of == practice_id:
        report.add(where, "error", f"#{practice_id} cannot be a duplicate of itself",
                   practice_id=practice_id)
        return None
    return decision, duplicate_of, not_duplicate


def _decision_in_comment(editable: dict[str, str], decision: str | None,
                         typed: Callable[[str], bool], where: str, practice_id: int, *,
                         report: Report) -> bool:
    """Tell (reported as an error) when the comment typed is only a decision word that the
    row's 'Päätös' does not say: "hylätty" typed one cell to the right, or over a decision
    exported as "hyväksytty". Taking either the comment or the decision would be a guess."""
    comment = editable["comment"]
    if not comment or not typed("comment") or "?" in comment or "\uff1f" in comment \
            or fold(comment) in _NOT_DECISIONS_IN_COMMENT:
        return False
    said = parse_decision(comment)
    if said is None or said == decision:
        return False
    decision_header, comment_header = (COLUMN_BY_KEY[key].header for key in ("decision",
                                                                             "comment"))
    if decision is None:
        reason = (f"the comment {comment!r} is a decision, typed in '{comment_header}' and not "
                  f"in '{decision_header}'; nothing applied; choose "
                  f"{decision_label(said)!r} in '{decision_header}'")
    else:
        reason = (f"'{decision_header}' says {decision_label(decision)!r} but the comment says "
                  f"{comment!r}; nothing applied; write the decision meant in "
                  f"'{decision_header}' and a note, if any, in '{comment_header}'")
    report.add(where, "error", reason, practice_id=practice_id)
    return True


#: Decision words that are also a whole note in the comment column ("ok": checked).
_NOT_DECISIONS_IN_COMMENT = {"ok"}


def _row_owner(book: _Workbook, get: Callable[[str], str], practice_id: int) -> int | None:
    """The practice of this export whose read-only cells a row holds, if not its own."""
    keys = [key for key in READ_ONLY if key in book.columns and key not in ("id", "stamp")]
    if not keys:
        return None
    seen = {key: text_hash(get(key)) for key in keys}
    for other, meta_row in book.meta_rows.items():
        hashes = meta_row.hashes
        if other != practice_id and all(hashes.get(key) == seen[key] for key in keys
                                        if key in hashes):
            return other
    return None


def _foreign(book: _Workbook, *, database_id: str, round_name: str | None) -> str | None:
    """Why a workbook belongs to another database or round (None: it is ours)."""
    theirs = book.meta.get("database_id", "")
    their_round = book.meta.get("round", "")
    if theirs and theirs != database_id:
        # Another round's workspace numbers its practices from 1 too: say the round, the
        # likelier mistake than a stray database.
        other_round = f"for round {their_round}, not {round_name}, and " \
            if round_name and their_round and their_round != round_name else ""
        return (f"exported {other_round}from another database (export "
                f"{book.meta.get('export_id') or '?'}, database {theirs[:8]}, not "
                f"{database_id[:8]}); nothing applied; export the workbook from this "
                f"{'round' if other_round else 'database'}")
    if round_name and their_round and their_round != round_name:
        return (f"exported for round {their_round}, not {round_name}; nothing applied; "
                "export the workbook for this round")
    return None


def import_review(paths: Sequence[Path], *, session: Session, reviewer: str | None = None,
                  progress: Callable[[int], Any] | None = None,
                  round_name: str | None = None,
                  title_max_length: int = TITLE_MAX_LENGTH,
                  vocabulary: Vocabulary | None = None,
                  erased: Callable[[str], str] | None = None) -> ImportResult:
    """Validate and apply the decisions of returned review workbooks; report every row.

    A workbook exported from another database (or for another round) is refused whole before
    anything is applied; a row whose ID, version or stamp does not match is refused, and so
    is a corrected title longer than ``title_max_length`` (the survey's limit for a title).
    ``erased`` (``privacy.erased_addresses``) puts the placeholder in place of an address
    ``forget`` erased, in what the reviewer typed: a workbook exported before the erasure
    does not bring her back."""
    with gc_paused():
        return _import_review(paths, session=session, reviewer=reviewer, progress=progress,
                              round_name=round_name, title_max_length=title_max_length,
                              vocabulary=vocabulary, erased=erased)


def _import_review(paths: Sequence[Path], *, session: Session, reviewer: str | None,
                   progress: Callable[[int], Any] | None, round_name: str | None,
                   title_max_length: int, vocabulary: Vocabulary | None,
                   erased: Callable[[str], str] | None = None) -> ImportResult:
    from .common import database_identity

    database_id = database_identity(session)
    result = ImportResult()
    report = result.report
    rows: list[RowDecision] = []
    seen: dict[str, str] = {}
    books: list[tuple[str, str]] = []  # each workbook read: its label and its SHA-256
    still_open: list[tuple[str, str]] = []  # (label, program) of workbooks open elsewhere
    for path in paths:
        label = str(path)
        result.files.append(label)
        locked = office_lock_file(path, again="import it again")
        if locked is not None:
            report.add(label, "warning", locked.removeprefix(f"{path}: "))
            continue
        try:
            book = open_review_workbook(path)
        except InputError as exc:
            report.add(label, "error", str(exc).removeprefix(f"{path}: "))
            continue
        if book.sha256 in seen:
            report.add(label, "unchanged", f"the same file as {seen[book.sha256]}")
            continue
        seen[book.sha256] = label
        books.append((label, book.sha256))
        foreign = _foreign(book, database_id=database_id, round_name=round_name)
        if foreign is not None:
            report.add(label, "error", foreign)
            continue
        if not book.meta_rows:
            report.add(label, "warning", "no _review_meta sheet; versions taken from the "
                                         "'Versio' column (edits to read-only columns cannot "
                                         "be told apart; they are never applied)")
        read = _read_rows(book, reviewer=reviewer, report=report,
                          title_max_length=title_max_length, vocabulary=vocabulary)
        _tell_hidden(book, read, report=report)
        _tell_missing(book, report=report)
        _tell_other_columns(book, report=report)
        open_in = open_in_office(path)
        if open_in is not None:
            still_open.append((label, open_in))
        rows.extend(read)
    before = _imported_before([sha for _label, sha in books], session=session)
    if erased is not None:
        _without_erased(rows, erased)
    if rows:
        _check_and_apply(rows, session=session, report=report, progress=progress)
    if before:
        _quiet_again(report, {label for label, sha in books if sha in before})
    # Said after the quieting: a workbook imported before and open again matters most (the
    # reviewer's new edits are in the program, not in the file: "nothing changed").
    for label, program in still_open:
        report.add(label, "warning", f"{program} has it open (its lock file is beside it): "
                                     "what is not saved yet is not in what was read; save and "
                                     "close it, then import it again if it changed")
    return result


def _without_erased(rows: list[RowDecision], erased: Callable[[str], str]) -> None:
    """Put the placeholder in place of an erased person's address in what each row's
    reviewer typed (a copy of the workbook exported before ``forget`` still holds her), and
    note which cells held it (said on the rows applied), and the rows showing her contact."""
    for row in rows:
        row.erased_contact = bool(row.contact_shown) and erased(
            row.contact_shown) != row.contact_shown
        columns = row.erased_in
        for key in ("comment", "corrected_title"):
            text = getattr(row, key)
            if text:
                cleaned = erased(text)
                if cleaned != text:
                    setattr(row, key, cleaned)
                    columns.append(COLUMN_BY_KEY[key].header)
        if row.corrected_keywords:
            keywords = [erased(keyword) for keyword in row.corrected_keywords]
            if keywords != row.corrected_keywords:
                row.corrected_keywords = keywords
                columns.append(COLUMN_BY_KEY["corrected_keywords"].header)


def _tell_erased(row: RowDecision, *, report: Report) -> None:
    """Say that an erased address the row's reviewer typed went in as its placeholder."""
    named = " and ".join(f"'{column}'" for column in row.erased_in)
    report.add(row.where, "warning",
               f"{named} named an address erased on request (yhteistuumin forget); stored "
               "with the erased-…@invalid placeholder in its place, not as written; this copy "
               "of the workbook still holds the erased address: ask the reviewer to delete it",
               practice_id=row.practice_id)


def _imported_before(shas: list[str], *, session: Session) -> set[str]:
    """The files (SHA-256) whose decisions an earlier import applied."""
    if not shas:
        return set()
    from sqlalchemy import select

    from ..db.models import ReviewDecision

    d = ReviewDecision.__table__.c  # type: ignore[attr-defined]
    return set(session.execute(select(d.source_sha256).where(
        d.source_sha256.in_(sorted(set(shas)))).distinct()).scalars())


def last_decision_id(session: Session) -> int:
    """The id of the newest decision stored (0 when none is): what an import finds before it
    writes, to tell afterwards what it stored (``decisions_stored_after``)."""
    from sqlalchemy import func, select

    from ..db.models import ReviewDecision

    d = ReviewDecision.__table__.c  # type: ignore[attr-defined]
    return int(session.execute(select(func.max(d.id))).scalar() or 0)


def decisions_stored_after(session: Session, last_id: int, paths: Sequence[Path]) -> int:
    """How many decisions of these workbooks (by their content, SHA-256) are stored after
    ``last_id``: what an interrupted import had committed before the interrupt came."""
    from sqlalchemy import func, select

    from ..db.models import ReviewDecision

    shas = set()
    for path in paths:
        try:
            shas.add(sha256_file(Path(path)))
        except OSError:
            continue
    if not shas:
        return 0
    d = ReviewDecision.__table__.c  # type: ignore[attr-defined]
    return int(session.execute(select(func.count()).where(
        d.id > last_id, d.source_sha256.in_(sorted(shas)))).scalar() or 0)


def _quiet_again(report: Report, labels: set[str]) -> None:
    """Drop the warnings a workbook imported before gave the first time: its own (hidden
    rows, columns not imported, no hidden sheet) and those of its rows that change nothing
    now (applied then, or already so). An unchanged workbook imported again repeated them
    all under "nothing changed"."""
    again = {outcome.source for outcome in report.outcomes
             if outcome.status in ("unchanged", "skipped")}
    report.outcomes[:] = [
        outcome for outcome in report.outcomes
        if outcome.status != "warning" or not (
            outcome.source in labels or (outcome.source in again
                                         and outcome.source.rpartition(":")[0] in labels))]


def _tell_hidden(book: _Workbook, rows: list[RowDecision], *, report: Report) -> None:
    """Say how many of a workbook's decisions come from rows hidden in it (a filter, or by
    hand). They are applied: Excel fills and pastes into visible rows only, so what a hidden
    row holds was typed there. But a reviewer who filtered the sheet to their own region may
    not know that the rows filtered out carry a colleague's decisions."""
    if not rows:
        return
    if not book.sheet.hidden_rows_known:
        report.add(book.label, "warning",
                   "the rows hidden in the workbook (by a filter, or by hand) could not be "
                   "checked: this .xls file's row records are not readable; every row is read "
                   "like the others; if rows were hidden, save the workbook as .xlsx and "
                   "import that")
        return
    hidden = book.sheet.hidden_rows
    numbers = [row.row for row in rows if row.row - 1 in hidden]
    if not numbers:
        return
    from ..reports import first_ten, plural

    count = len(numbers)
    listed = first_ten(map(str, numbers))
    one = count == 1
    report.add(book.label, "warning",
               f"{plural(count, 'decision')} came from {plural(count, 'row')} hidden in the "
               f"workbook (a filter, or hidden by hand: {listed}); "
               f"{'it is' if one else 'they are'} read like the others; show every row in "
               f"the workbook and check {'it' if one else 'them'} if "
               f"{'it was' if one else 'they were'} not meant to be decided")


def _tell_missing(book: _Workbook, *, report: Report) -> None:
    """Say which practices the workbook was exported with are no longer in it (their rows
    deleted): no decision is read for them, and a reviewer who deleted a row to turn the
    practice down would otherwise not know that it stays in the queue."""
    if not book.meta_rows:
        return
    position = book.columns["id"]
    present = set()
    for raw in book.sheet.rows[book.header_row + 1:]:
        value = raw[position] if position < len(raw) else None
        found = _whole(value) if _date_serial(value) is None else _date_serial(value)
        if found is not None:
            present.add(found)
    missing = [practice_id for practice_id in book.meta_rows if practice_id not in present]
    if not missing:
        return
    from ..reports import first_ten, plural

    count = len(missing)
    listed = first_ten(f"#{practice_id}" for practice_id in missing)
    one = count == 1
    report.add(book.label, "warning",
               f"{plural(count, 'practice')} exported in this workbook "
               f"{'is' if one else 'are'} not in it ({listed}): "
               f"{'its row was' if one else 'their rows were'} deleted; no decision is "
               f"read for {'it' if one else 'them'} and {'it keeps its' if one else 'they keep their'} "
               "status; to turn a practice down choose hylätty on its row rather than "
               "delete the row")


def _tell_other_columns(book: _Workbook, *, report: Report) -> None:
    """Say which columns the reviewer added and filled (their own notes, typed beside the
    row): nothing in them is imported, and a reviewer may have meant it for the others."""
    rows = book.sheet.rows
    width = max(map(len, rows), default=0)
    known = set(book.columns.values())
    others = [position for position in range(width) if position not in known]
    if not others:
        return
    from openpyxl.utils import get_column_letter

    from ..reports import plural

    header = rows[book.header_row]
    body = rows[book.header_row + 1:]
    for position in others:
        # (Most cells of such a column are empty: tell those apart before making text.)
        filled = sum(1 for raw in body if position < len(raw)
                     and raw[position] is not None and raw[position] != ""
                     and _text(raw[position]))
        if not filled:
            continue
        name = _text(header[position]) if position < len(header) else ""
        report.add(book.label, "warning",
                   f"column {get_column_letter(position + 1)} "
                   f"({repr(name) if name else 'no header'}) is not one of the review's "
                   f"columns: {'its' if filled > 1 else 'the'} {plural(filled, 'filled cell')} "
                   f"{'are' if filled > 1 else 'is'} not imported; write what the other "
                   f"reviewers should see in '{COLUMN_BY_KEY['comment'].header}'")


def _check_and_apply(rows: list[RowDecision], *, session: Session, report: Report,
                     progress: Callable[[int], Any] | None) -> None:
    practices, versions, already = _current_state(rows, session=session)
    resolver: list[Any] = []  # made (and imported) when corrected municipalities are first read

    def resolve(text: str) -> Any:
        if not resolver:
            from ..resolve import Resolver

            resolver.append(Resolver.from_session(session))
        return resolver[0].resolve(text)

    checked: list[RowDecision] = []
    for row in rows:
        if progress is not None:
            progress(1)
        if _check_row(row, practices=practices, versions=versions, already=already,
                      session=session, report=report, resolve=resolve):
            checked.append(row)
            if row.erased_in:
                _tell_erased(row, report=report)
    comments = [row for row in checked if row.decision == COMMENT_ONLY]
    checked = [row for row in checked if row.decision != COMMENT_ONLY]
    checked = _link_duplicates_in_import(checked, session=session, report=report)
    _apply_checked(checked, practices, session=session, report=report)
    if comments:
        _apply_comments(comments, session=session, report=report)


def _apply_comments(rows: list[RowDecision], *, session: Session, report: Report) -> None:
    """Store the comments typed without a decision as their practices' review notes (after
    this import's decisions), each recorded in the audit trail with who and when; the
    practice keeps its status. A comment the row's workbook showed is replaced by the
    reviewer's edit of it; one it did not show (another reviewer's) is kept before it."""
    from ..db.models import Practice, ReviewDecision, utcnow

    now = utcnow()
    for row in rows:
        practice = session.get(Practice, row.practice_id)
        assert practice is not None and row.comment  # (checked: a comment-only row has one)
        current = practice.reviewer_comment or ""
        if not current or (row.shown is not None
                           and row.shown.get("comment") == text_hash(current)):
            note = row.comment
        else:
            lines = current.splitlines()
            note = "\n".join([*lines, *(line for line in row.comment.splitlines()
                                       if line not in lines)])
        if note == current:
            report.add(row.where, "unchanged", "the comment is already the review note",
                       practice_id=row.practice_id)
            continue
        practice.reviewer_comment = note
        practice.updated_at = now
        session.add(practice)
        session.add(ReviewDecision(
            practice_id=row.practice_id, version=row.version, decision=COMMENT_ONLY,
            previous_status=practice.status, comment=row.comment, reviewer=row.reviewer,
            source_file=row.file, source_sha256=row.sha256, source_row=row.row,
            decided_at=now, exported_at=row.exported_at, saved_by=row.saved_by))
        report.add(row.where, "applied", "comment stored as the review note, without a "
                   f"decision: #{row.practice_id} stays {status_label(practice.status)!r}; "
                   "choose a decision when ready", practice_id=row.practice_id,
                   decision=COMMENT_ONLY, version=row.version)
    session.commit()


def _link_duplicates_in_import(checked: list[RowDecision], *, session: Session,
                               report: Report) -> list[RowDecision]:
    """Follow the duplicate links this import makes together with the database's: a row whose
    original is made a duplicate in the same import is linked to the end of the chain (warned);
    rows whose chain leads back to their own practice (A of B, B of A) are refused (reported),
    so that no practice is hidden without an original left to publish. Return the rows kept."""
    from ..db.models import Practice

    decided: dict[int, int | None] = {}  # practice -> its original after this import (or None)
    for row in checked:
        decided.setdefault(row.practice_id, row.duplicate_of if row.decision == "duplicate"
                           else None)
    if not any(decided.values()):
        return checked
    verdicts = {row.practice_id: row.decision for row in reversed(checked)}  # the first's

    def original_of(practice_id: int) -> int | None:
        if practice_id in decided:
            return decided[practice_id]
        practice = session.get(Practice, practice_id)
        if practice is None or practice.status != "duplicate":
            return None
        return practice.duplicate_of_id

    kept: list[RowDecision] = []
    for row in checked:
        if row.decision != "duplicate" or row.duplicate_of is None:
            kept.append(row)
            continue
        seen = [row.practice_id]
        target = row.duplicate_of
        while (nxt := original_of(target)) is not None and target not in seen:
            seen.append(target)
            target = nxt
        if target in seen:
            # The next link may be this import's or the database's (a loop through both).
            when = "in this import" if row.duplicate_of in decided else "already"
            report.add(row.where, "error",
                       f"duplicate of #{row.duplicate_of}, and #{row.duplicate_of} is marked a "
                       f"duplicate of #{original_of(row.duplicate_of)} {when}: the "
                       f"chain leads back to #{row.practice_id}; keep one of them as the "
                       "original (choose another decision)", practice_id=row.practice_id)
            continue
        if target != row.duplicate_of:
            report.add(row.where, "warning",
                       f"#{row.duplicate_of} is itself a duplicate of #{target} in this "
                       f"import; linked to #{target}", practice_id=row.practice_id)
            row.duplicate_of = target
        _warn_rejected_original(row, target, verdicts, session=session, report=report)
        kept.append(row)
    return kept


def _warn_rejected_original(row: RowDecision, original: int, verdicts: dict[int, str], *,
                            session: Session, report: Report) -> None:
    """Warn that a duplicate of a rejected practice will not be published, and that one of a
    practice not approved (yet) is not on the site until it is: a duplicate is only ever
    shown on its original's card."""
    from ..db.models import Practice

    status = verdicts.get(original)
    if status is None:
        practice = session.get(Practice, original)
        status = practice.status if practice is not None else None
    if status == "rejected":
        when = " in this import" if original in verdicts else ""
        report.add(row.where, "warning",
                   f"#{original}, the original, is rejected{when}: #{row.practice_id} will not "
                   "be on the site either (a duplicate is shown on its original's card); if "
                   "it should be, choose another decision for it", practice_id=row.practice_id)
    elif status in ("new", "needs-info"):
        when = " in this import" if original in verdicts else ""
        report.add(row.where, "warning",
                   f"#{original}, the original, is not approved (its status is "
                   f"{status_label(status)!r}{when}): #{row.practice_id} is on the site only "
                   f"once #{original} is approved (a duplicate is shown on its original's "
                   "card)", practice_id=row.practice_id)


def _id_conditions(column: Any, ids: set[int]) -> list[Any]:
    """WHERE conditions that together select (at least) the rows of ``ids``: one range when
    the ids are dense (it reads at most twice the rows; a list of 5,000 bound values costs
    more to build than reading them), else lists of 5,000. The caller keeps only ``ids``."""
    ordered = sorted(ids)
    if not ordered:
        return []
    if ordered[-1] - ordered[0] < 2 * len(ordered):
        return [column.between(ordered[0], ordered[-1])]
    return [column.in_(ordered[start:start + 5000]) for start in range(0, len(ordered), 5000)]


#: A version's JSON columns the import reads (lists).
_JSON_FIELDS = ("flags", "keywords", "target_group")


def _current_state(rows: list[RowDecision], *, session: Session
                   ) -> tuple[dict[int, Any], dict[int, Any], set[tuple[Any, Any, int]]]:
    """The database's side of the rows: the practices named (as plain column rows), their
    current versions, and the (file, row, practice) decisions already imported."""
    from sqlalchemy import and_, select

    from ..db.models import Practice, PracticeVersion, ReviewDecision

    # Plain column rows, not ORM objects: building 5,000 SQLModel objects costs more than
    # the rest of the import; changes are written back in bulk at the end.
    p = Practice.__table__.c  # type: ignore[attr-defined]
    v = PracticeVersion.__table__.c  # type: ignore[attr-defined]
    d = ReviewDecision.__table__.c  # type: ignore[attr-defined]
    ids = {r.practice_id for r in rows} | {r.duplicate_of for r in rows if r.duplicate_of}
    practices: dict[int, Any] = {}
    locks.for_this_transaction(session)  # before the rows: an ingest takes it first too
    for condition in _id_conditions(p.id, ids):
        # FOR UPDATE (PostgreSQL; SQLite has one writer): an ingest's new version of one of
        # them waits for this import, then sends it back to review; without it, a version
        # stored between this read and the update went out approved, never reviewed.
        for practice in plain_rows(session.execute(select(
                p.id, p.status, p.current_version, p.decided_version, p.duplicate_of_id,
                json_once(p.not_duplicate_of), p.corrected_title,
                json_once(p.corrected_keywords), p.reviewer_comment,
        ).where(condition).with_for_update()), decode=("not_duplicate_of", "corrected_keywords")):
            if practice.id in ids:
                practices[practice.id] = practice
    versions: dict[int, Any] = {}
    row_ids = {r.practice_id for r in rows if r.practice_id in practices}
    for condition in _id_conditions(v.practice_id, row_ids):
        for version in plain_rows(session.execute(
                select(v.practice_id, v.version, *[
                    json_once(v[name]) if name in _JSON_FIELDS else v[name]
                    for name in ("flags", *STAMP_FIELDS)])
                .join(Practice.__table__,  # type: ignore[attr-defined]
                      and_(p.id == v.practice_id, v.version == p.current_version))
                .where(condition)), decode=_JSON_FIELDS):
            if version.practice_id in row_ids:
                versions[version.practice_id] = version
    shas = sorted({r.sha256 for r in rows})
    already = {tuple(found) for found in session.execute(
        select(d.source_sha256, d.source_row, d.practice_id).where(d.source_sha256.in_(shas)))}
    return practices, versions, already


def _check_row(row: RowDecision, *, practices: dict[int, Any], versions: dict[int, Any],
               already: set[tuple[Any, Any, int]], session: Session, report: Report,
               resolve: Callable[[str], Any]) -> bool:
    """Check one row against the database; False (reported) when it cannot be applied."""
    current_practice = practices.get(row.practice_id)
    if current_practice is None:
        report.add(row.where, "error", f"practice #{row.practice_id} is not in the "
                                       "database", practice_id=row.practice_id)
        return False
    if (row.sha256, row.row, row.practice_id) in already:
        report.add(row.where, "unchanged", ALREADY_IMPORTED,
                   practice_id=row.practice_id)
        return False
    current = versions.get(row.practice_id)
    if row.version > current_practice.current_version:
        report.add(row.where, "error",
                   f"#{row.practice_id} has no version v{row.version} (the newest is "
                   f"v{current_practice.current_version}): the row is not from this "
                   "database's export; nothing applied; re-export",
                   practice_id=row.practice_id)
        return False
    if current_practice.current_version > row.version or (
            current is not None and current.version == row.version
            and not stamp_matches(row.practice_id, current, row.stamp)):
        if current_practice.current_version > row.version:
            reason = (f"#{row.practice_id} has a newer version "
                      f"(v{current_practice.current_version}) than this row (v{row.version})")
        elif row.erased_contact:
            # Her details went with forget after the export: the row (and its copies) still
            # show them; nothing of it is applied, so they do not come back.
            report.add(row.where, "stale", f"#{row.practice_id}'s contact details were erased "
                       "on request (yhteistuumin forget) after this workbook was exported, "
                       "and this row still shows them; nothing of it applied; re-export and "
                       "decide again, and ask the reviewer to delete this copy",
                       practice_id=row.practice_id)
            return False
        else:  # the same version, read again ("a newer version (v1) than this row (v1)")
            reason = (f"#{row.practice_id}'s answer (v{row.version}) has changed since this "
                      "workbook was exported (it was read again)")
        report.add(row.where, "stale", f"{reason}; re-export and decide again",
                   practice_id=row.practice_id)
        return False
    if row.counted_from is not None and row.duplicate_of not in duplicate_candidates(
            current.flags or [] if current is not None else []):
        report.add(row.where, "error",
                   f"duplicate of #{row.duplicate_of} follows #{row.counted_from} on the row "
                   "above, as Excel's fill handle counts '#12' up to '#13', and "
                   f"#{row.duplicate_of} is not one this practice was flagged as possibly "
                   "duplicating; nothing applied; write the original's ID on this row (hold "
                   "Ctrl while dragging to copy a cell unchanged)", practice_id=row.practice_id)
        return False
    if row.duplicate_of is not None and not _link_duplicate(row, practices, session=session,
                                                             report=report):
        return False
    if not _whole_comment(row, current_practice, report=report):
        return False
    if row.not_duplicate:
        row.not_duplicate_of = duplicate_candidates(current.flags or []) \
            if current is not None else []
    if not _check_reread_answer(row, list(current.flags or []) if current else [],
                                report=report):
        return False
    return not row.municipality_text or _resolve_corrected(row, resolve, report=report)


def _whole_comment(row: RowDecision, practice: Any, *, report: Report) -> bool:
    """Read a review note too long for a cell (the workbook showed its beginning and "…")
    as the whole note when the reviewer left the cell as exported: stored as read, the cut
    text replaced the note and its end was lost. False (reported) when the reviewer edited
    the cut text: taking it would lose the end too, and which part they meant cannot be told."""
    current = practice.reviewer_comment or ""
    if cut_length(current) is None or not row.comment:
        return True
    shown = normal_text(_unneutralise(cell_value(current)))
    if row.comment == shown:
        row.comment = current
        return True
    if row.shown is not None and row.shown.get("comment") == text_hash(cell_value(current)):
        header = COLUMN_BY_KEY["comment"].header
        shown_count, whole = (f"{n:,}".replace(",", " ") for n in (len(shown) - 1,
                                                                    len(current)))
        report.add(row.where, "error",
                   f"the '{header}' cell shows the first {shown_count} of the note's {whole} "
                   "characters (no more fit in a cell), and it was edited: stored, the edit "
                   "would lose the note's end; nothing applied; put the cell back as exported "
                   "to keep the note (or empty it to drop it) and import again; 'yhteistuumin "
                   f"practices show {row.practice_id}' shows the note whole",
                   practice_id=row.practice_id)
        return False
    return True


def _check_reread_answer(row: RowDecision, version_flags: list[str], *,
                         report: Report) -> bool:
    """Check the row's answer to the practice's ``reread-differs`` flags (or, "palauta
    vastaus", to its ``answer-none-emptied`` ones); False (reported) when there is nothing to
    answer, or the new reading cannot be taken whole. A row with reread flags and no answer
    to them is applied, and said to come back until answered."""
    if row.reread_answer is None and not version_flags:
        return True  # (nothing asked, nothing answered: most rows)
    parse = parse_flag
    header = COLUMN_BY_KEY["reread"].header
    if row.reread_answer == "restore":
        if not emptied_flags(version_flags):
            report.add(row.where, "error",
                       f"'{header}' says {REREAD_WORDS['restore']['fi']!r}, but "
                       f"#{row.practice_id} has no answer left empty for saying only 'ei "
                       "ole' (or it was restored already); nothing applied; clear the "
                       f"'{header}' cell", practice_id=row.practice_id)
            return False
    flags = reread_flags(version_flags)
    fields = ", ".join(dict.fromkeys(str(parse(flag).field) for flag in flags))
    if row.reread_answer in (None, "restore"):
        if flags:
            report.add(row.where, "warning",
                       f"#{row.practice_id}'s file, read again, reads differently in {fields} "
                       f"(see 'Huomiot'), and '{header}' is empty: the practice comes back in "
                       f"every review export until it is answered; choose "
                       f"{REREAD_WORDS['keep']['fi']!r} or {REREAD_WORDS['take']['fi']!r}",
                       practice_id=row.practice_id)
        return True
    if not flags:
        report.add(row.where, "error",
                   f"'{header}' is answered, but #{row.practice_id} has no new reading to "
                   "answer (its file was not read again differently, or it is answered "
                   f"already); nothing applied; clear the '{header}' cell",
                   practice_id=row.practice_id)
        return False
    if row.reread_answer == "take":
        whole = {str(parse(flag).field) for flag in flags if "value" in parse(flag).args}
        missing = [field for field in dict.fromkeys(str(parse(f).field) for f in flags)
                   if field not in whole]
        if missing:
            report.add(row.where, "error",
                       f"the new reading of {', '.join(missing)} was flagged by an older "
                       "version, which kept only its beginning; nothing applied; run "
                       "'yhteistuumin ingest --reread' on its file again, then export and "
                       "answer the new row", practice_id=row.practice_id)
            return False
    return True


def _link_duplicate(row: RowDecision, practices: dict[int, Any], *, session: Session,
                    report: Report) -> bool:
    """Point a duplicate at the original at the end of a chain of duplicates; False (reported)
    when there is no such practice or the chain leads back to the row's own practice."""
    from ..db.models import Practice

    assert row.duplicate_of is not None
    target_id = row.duplicate_of
    found = practices.get(target_id)
    if found is None:
        report.add(row.where, "error", f"duplicate of #{target_id}: there is no such "
                                       "practice", practice_id=row.practice_id)
        return False
    target: Any = found
    hops = 0
    while target.status == "duplicate" and target.duplicate_of_id and hops < 50:
        nxt = session.get(Practice, target.duplicate_of_id)
        if nxt is None:
            break
        target, hops = nxt, hops + 1
    assert target.id is not None
    if target.id == row.practice_id:
        report.add(row.where, "error", f"duplicate of #{row.duplicate_of}, which is "
                                       f"itself a duplicate of #{row.practice_id}",
                   practice_id=row.practice_id)
        return False
    if target.id != row.duplicate_of:
        report.add(row.where, "warning", f"#{row.duplicate_of} is itself a duplicate "
                                         f"of #{target.id}; linked to #{target.id}",
                   practice_id=row.practice_id)
        row.duplicate_of = target.id
    return True


def _resolve_corrected(row: RowDecision, resolve: Callable[[str], Any], *, report: Report) -> bool:
    """Resolve the row's corrected municipalities to codes; False (reported) when they do not
    all resolve."""
    assert row.municipality_text
    resolution = resolve(row.municipality_text)
    if resolution.status != "resolved" or resolution.unmatched:
        if resolution.status == "ambiguous":
            reason = (f"corrected municipalities {row.municipality_text!r} are "
                      f"ambiguous ({', '.join(resolution.candidates)}); write the "
                      "full name")
        elif resolution.status == "unresolved":
            reason = (f"corrected municipalities {row.municipality_text!r}: no "
                      "municipality recognised; write the names as in the register")
            padded = row.municipality_text.zfill(3)
            found = resolve(padded) if row.municipality_text.isdigit() \
                and len(row.municipality_text) < 3 else None
            if found is not None and found.status == "resolved":
                # The code '091' typed into a number cell: the spreadsheet dropped its zero.
                reason = (f"corrected municipalities {row.municipality_text!r} is a number, "
                          f"perhaps the code {padded} ({', '.join(found.names)}) without the "
                          "zero the spreadsheet dropped; not taken as it; write the name, or "
                          "the code in a cell formatted as text")
        else:
            reason = (f"corrected municipalities {row.municipality_text!r}: "
                      f"{', '.join(resolution.unmatched)!r} not recognised")
        report.add(row.where, "error", reason, practice_id=row.practice_id)
        return False
    if "fuzzy" in resolution.method.split("+"):
        guessed = _near_spellings(row.municipality_text, resolve)
        if guessed:
            # "Kuopo" read as Kuopio is a guess, and the card would name the guessed place.
            report.add(row.where, "error", f"corrected municipalities {row.municipality_text!r}: "
                       f"{'; '.join(guessed)}; write the name as the register writes it, or "
                       "its code; nothing applied", practice_id=row.practice_id)
            return False
    if "former" in resolution.method.split("+"):
        # "Jalasjärvi" is Kurikka since 2016: right, but the card will not say Jalasjärvi.
        for part in filter(None, (p.strip() for p in _NAME_LIST.split(row.municipality_text))):
            found = resolve(part)
            if "former" in found.method.split("+"):
                report.add(row.where, "warning", f"corrected municipalities: {part!r} is a "
                           f"former municipality, now part of {' and '.join(found.names)}; "
                           "the card names that", practice_id=row.practice_id)
    row.corrected_municipalities = sorted(resolution.codes)
    return True


#: Where a reviewer's list of municipalities divides into names.
_NAME_LIST = re.compile(r"\s*(?:[,;/&\n]|\s(?:ja|och|and)\s)\s*", re.IGNORECASE)


def _near_spellings(text: str, resolve: Callable[[str], Any]) -> list[str]:
    """Return the names in ``text`` that only a near spelling matched ("'Kuopo' (did you mean
    Kuopio?)"), unless another name in it names the same place as written."""
    near: list[tuple[str, Any]] = []
    written: set[str] = set()
    for part in filter(None, (p.strip() for p in _NAME_LIST.split(text))):
        found = resolve(part)
        if found.status == "resolved" and set(found.method.split("+")) == {"fuzzy"}:
            near.append((part, found))
        else:
            written.update(found.codes)
    return [f"{part!r} is not a name in the register (did you mean "
            f"{' or '.join(found.names)}?)" for part, found in near
            if not set(found.codes) <= written]


def _apply_checked(checked: list[RowDecision], practices: dict[int, Any], *, session: Session,
                   report: Report) -> None:
    """Apply the checked rows, one decision per practice; conflicts inside this run or with an
    earlier reviewer's decision are reported, not applied."""
    from ..db.models import utcnow

    # Conflicts inside this run: the same practice decided differently in two rows.
    by_practice: dict[int, list[RowDecision]] = {}
    for row in checked:
        by_practice.setdefault(row.practice_id, []).append(row)
    earlier, noted = _latest_decisions(session=session, practice_ids=list(by_practice))
    corrected_ids = corrected_municipality_ids(session=session)
    audit: list[dict[str, Any]] = []
    now = utcnow()
    for practice_id, group in by_practice.items():
        group = _without_untouched(group, report=report)
        if _in_conflict(practice_id, group, earlier.get(practice_id), report=report):
            continue
        first = group[0]
        comments = list(dict.fromkeys(r.comment for r in group if r.comment))
        if len(comments) > 1:  # the same decision with different comments: keep them all
            first.comment = "\n".join(comments)
        practice = practices[practice_id]
        kept_from = _keep_earlier_comment(first, practice, noted.get(practice_id))
        if first.reread_answer is None and _same_as_state(first, practice, session=session,
                                                          corrected_ids=corrected_ids):
            for row in group:
                report.add(row.where, "unchanged", "already so in the database",
                           practice_id=practice_id)
            continue
        answered = "" if not first.reread_answer else _restore_emptied(
            first, session=session) if first.reread_answer == "restore" else _answer_reread(
            first, session=session)
        _apply(first, practice, session=session, corrected_ids=corrected_ids, audit=audit,
               now=now)
        report.add(first.where, "applied", first.describe() + answered + kept_from,
                   practice_id=practice_id, decision=first.decision, version=first.version)
        for row in group[1:]:
            report.add(row.where, "unchanged", f"the same decision as {first.where}",
                       practice_id=practice_id)
    if audit:
        _write_decisions(audit, session=session)
    session.commit()
    session.expire_all()


def _without_untouched(group: list[RowDecision], *, report: Report) -> list[RowDecision]:
    """Leave out of one practice's rows those left exactly as exported when another row of
    the import was written (reported ``unchanged``): a copy nobody touched that shows the
    practice's earlier decision ('lisätietoja') decides nothing, and was read as a decision
    conflicting with the reviewer who did decide, holding theirs back."""
    if len(group) < 2:
        return group
    untouched = [row for row in group if row.typed is not None and row.meta_row is not None
                 and not any(row.typed(key) for key in EDITABLE)]
    if not untouched or len(untouched) == len(group):
        return group
    left = {id(row) for row in untouched}
    kept = [row for row in group if id(row) not in left]
    deciding = ", ".join(row.where for row in kept)
    for row in untouched:
        report.add(row.where, "unchanged", f"left as exported (nothing written on this row); "
                                           f"#{row.practice_id} is decided by {deciding}",
                   practice_id=row.practice_id)
    return kept


def _answer_reread(row: RowDecision, *, session: Session) -> str:
    """Answer the current version's ``reread-differs`` flags as the row says, before its
    decision is recorded; return the words the applied line adds.

    "keep": the version stays, each flag becomes ``reread-kept`` (its values kept). "take":
    the next version is the current one with each flagged field as the file now reads (the
    whole value the flag holds; the municipalities with how each was found), and it is
    the version the row's decision is recorded for; the flags on the version before become
    ``reread-taken``. Either way the practice leaves the review queue."""
    from sqlalchemy import delete, update
    from sqlmodel import select

    from ..db.models import Practice, PracticeMunicipality, PracticeVersion
    from ..flags import parse, unsure
    from .common import reviewer_municipalities

    current = session.exec(select(PracticeVersion).where(
        PracticeVersion.practice_id == row.practice_id,
        PracticeVersion.version == row.version)).one()
    flags = list(current.flags or [])
    answered = set(reread_flags(flags))
    code = "reread-kept" if row.reread_answer == "keep" else "reread-taken"
    values: dict[str, Any] = {}
    for flag in flags:
        if flag in answered:
            read = parse(flag)
            values[str(read.field)] = read.args.get("value")
    current.flags = [unsure(str(parse(flag).field), code, **parse(flag).args)
                     if flag in answered else flag for flag in flags]
    session.add(current)
    fields = ", ".join(values)
    if row.reread_answer == "keep":
        session.flush()
        return f"; kept version {row.version}'s {fields} (the new reading is not taken)"
    card = current.model_dump(exclude={"id", "practice_id", "version", "created_at", "flags"})
    card.update({name: value for name, value in values.items() if name != "municipalities"})
    version = row.version + 1
    session.add(PracticeVersion(practice_id=row.practice_id, version=version,
                                flags=[flag for flag in flags if flag not in answered], **card))
    session.execute(update(Practice).where(Practice.id == row.practice_id)  # type: ignore[arg-type]
                    .values(current_version=version))
    if "municipalities" in values:
        corrected = reviewer_municipalities(session=session, practice_id=row.practice_id)
        session.execute(delete(PracticeMunicipality).where(
            PracticeMunicipality.practice_id == row.practice_id))  # type: ignore[arg-type]
        for code_of, source in values["municipalities"]:
            session.add(PracticeMunicipality(practice_id=row.practice_id,
                                             municipality_code=code_of, source=source))
        session.flush()
        if corrected is not None:
            set_reviewer_municipalities(session=session, practice_id=row.practice_id,
                                        codes=corrected)
    session.flush()
    row.version = version
    return f"; took the new reading of {fields} (version {version})"


def _restore_emptied(row: RowDecision, *, session: Session) -> str:
    """Put back the optional answers the current version left empty for saying only "ei
    ole" (``answer-none-emptied``), as the row says ("palauta vastaus"), before its decision
    is recorded; return the words the applied line adds.

    As "ota uusi luenta" does, the next version is the current one with each such field as
    typed (the whole text the flag quotes), and it is the version the row's decision is
    recorded for; the flags on the version before become ``answer-none-restored``, so the
    history says who put what back, and the new version has none (nothing left to answer)."""
    from sqlalchemy import update
    from sqlmodel import select

    from ..db.models import Practice, PracticeVersion
    from ..flags import parse, unsure

    current = session.exec(select(PracticeVersion).where(
        PracticeVersion.practice_id == row.practice_id,
        PracticeVersion.version == row.version)).one()
    flags = list(current.flags or [])
    answered = set(emptied_flags(flags))
    values = {str(parse(flag).field): parse(flag).args.get("value") for flag in flags
              if flag in answered}
    current.flags = [unsure(str(parse(flag).field), "answer-none-restored", **parse(flag).args)
                     if flag in answered else flag for flag in flags]
    session.add(current)
    card = current.model_dump(exclude={"id", "practice_id", "version", "created_at", "flags"})
    card.update(values)
    version = row.version + 1
    session.add(PracticeVersion(practice_id=row.practice_id, version=version,
                                flags=[flag for flag in flags if flag not in answered], **card))
    session.execute(update(Practice).where(Practice.id == row.practice_id)  # type: ignore[arg-type]
                    .values(current_version=version))
    session.flush()
    row.version = version
    return f"; restored the answer of {', '.join(values)} as typed (version {version})"


def _keep_earlier_comment(row: RowDecision, practice: Any, previous: Any) -> str:
    """Keep the comment another reviewer left that this row's workbook never showed: put it
    before the row's own (the row's own comment alone replaced it, and an empty one erased
    it). Return the words the applied line adds ("" when the row's comment stands as is)."""
    current = practice.reviewer_comment
    if not current or previous is None or _same_reviewer(previous, row):
        return ""
    if row.shown is not None and row.shown.get("comment") == text_hash(current):
        return ""  # exported showing that comment: what the row says is the reviewer's edit
    lines = current.splitlines()
    if row.comment:
        lines += [line for line in row.comment.splitlines() if line not in lines]
    row.comment = "\n".join(lines)
    who = previous.reviewer or "an unnamed reviewer"
    return (f"; the comment by {who} ({Path(previous.source_file).name}:"
            f"{previous.source_row}), not in this workbook, is kept")


def _in_conflict(practice_id: int, group: list[RowDecision], previous: Any, *,
                 report: Report) -> bool:
    """Tell (and report) if the rows of one practice disagree with each other, or with an
    earlier decision on the same version by another reviewer who was not shown it."""
    if previous is None and len(group) == 1:
        return False  # (one row, no earlier decision: nothing to disagree with)
    if len({(r.signature(), r.reread_answer) for r in group}) > 1:
        listing = "; ".join(f"{r.describe_whole() or '?'} in {r.where}" for r in group)
        for row in group:
            report.add(row.where, "conflict",
                       f"#{practice_id} is decided differently in this import ({listing}); "
                       "agree on one decision and import again", practice_id=practice_id)
        return True
    first = group[0]
    if previous is not None and previous.version == first.version:
        _adopt_untouched(group, previous)
    if previous is None or previous.version != first.version \
            or previous.source_sha256 in {r.sha256 for r in group} \
            or _signature_of(previous) == first.signature():
        return False
    # (A workbook that showed the earlier decision was exported after it, whatever the two
    # machines' clocks say.)
    older = {id(r) for r in group
             if _exported_before(r, previous) and not _was_shown(previous, r)}
    if not older and all(_same_reviewer(previous, r) or _was_shown(previous, r) for r in group):
        return False
    who = previous.reviewer or "an unnamed reviewer"
    # (Two copies of one workbook keep its name: the folder tells them apart.)
    source = f"{_file_name(previous.source_file, [r.file for r in group])}:{previous.source_row}"
    for row in group:
        if id(row) in older:
            # Last week's workbook imported after this week's: the same reviewer's too, as
            # nobody decides on an older file after a newer one on purpose.
            assert row.exported_at is not None  # (older: both times are known)
            theirs, ours = _moments(previous.exported_at, row.exported_at)
            reason = (f"#{practice_id} was decided {_previous_words(previous)!r} by {who} on a "
                      f"newer export ({source}, exported {theirs}); this workbook was exported "
                      f"{ours}, before it, and says {row.describe_whole()!r}; nothing "
                      "applied; re-export and decide there")
        elif previous.reviewer and row.reviewer and _saved_by_another(previous, row):
            reason = (f"#{practice_id} was decided {_previous_words(previous)!r} by {who} "
                      f"({source}, last saved by {previous.saved_by}); this workbook is "
                      f"named for {row.reviewer} too but was last saved by {row.saved_by}, "
                      f"and says {row.describe_whole()!r}; nothing applied (a forwarded copy "
                      "keeps the reviewer's name); agree on one decision, then re-export and "
                      "decide there")
        else:
            reason = (f"#{practice_id} was decided {_previous_words(previous)!r} by {who} "
                      f"({source}), this row says {row.describe_whole()!r}; agree on one "
                      "decision and import it again (same reviewer), or re-export and change "
                      "it there")
        report.add(row.where, "conflict", reason, practice_id=practice_id)
    return True


def _previous_words(previous: Any) -> str:
    """An earlier decision as the workbook writes it (``kaksoiskappale #12``), with its
    corrections (``hyväksytty, Korjattu nimi 'Kirjastoauto'``)."""
    text = decision_label(previous.decision)
    if previous.duplicate_of_id:
        text += f" #{previous.duplicate_of_id}"
    if previous.not_duplicate_of is not None:
        text += f", {NOT_DUPLICATE_WORDS['fi']}"
    return text + _corrections_words(previous.corrected_title, previous.corrected_keywords,
                                     previous.corrected_municipalities)


def _corrections_words(title: str | None, keywords: Sequence[str] | None,
                       municipalities: Sequence[str] | None) -> str:
    """A decision's corrections by their columns' headers (empty when it has none): two
    decisions that differ only in them read alike without."""
    parts = [(key, value) for key, value in (
        ("corrected_title", title), ("corrected_keywords", ", ".join(keywords or ())),
        ("corrected_municipalities", ", ".join(sorted(municipalities or ())))) if value]
    return "".join(f", {COLUMN_BY_KEY[key].header} {value!r}" for key, value in parts)


def _adopt_untouched(group: list[RowDecision], previous: Any) -> None:
    """Give rows the earlier reviewer's corrections where they left the cell as exported.

    Pekka's copy, exported before Liisa corrected the title, approves with the title cell
    still empty: he said nothing of the title. Read as "no corrected title", his row
    differed from her decision and was refused as a conflict that both describe alike."""
    for row in group:
        if _same_reviewer(previous, row):
            continue  # (their own earlier word: an emptied cell is a change of mind)
        if row.left_as_exported("corrected_title"):
            row.corrected_title = previous.corrected_title
        if row.left_as_exported("corrected_keywords"):
            row.corrected_keywords = previous.corrected_keywords or None
        if row.left_as_exported("corrected_municipalities"):
            row.corrected_municipalities = previous.corrected_municipalities


def _utc(moment: dt.datetime) -> dt.datetime:
    """A stored time in UTC (SQLite gives it back without its zone)."""
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


def _moments(first: dt.datetime, second: dt.datetime) -> tuple[str, str]:
    """Two export times as the reviewer reads them: to the minute, to the second when the
    minutes are the same."""
    for pattern in ("%Y-%m-%d %H:%M UTC", "%Y-%m-%d %H:%M:%S UTC"):
        texts = _utc(first).strftime(pattern), _utc(second).strftime(pattern)
        if texts[0] != texts[1]:
            break
    return texts


def _exported_before(row: RowDecision, previous: Any) -> bool:
    """Tell if the row's workbook was exported before the earlier decision's (both known)."""
    theirs = previous.exported_at
    return row.exported_at is not None and theirs is not None \
        and _utc(row.exported_at) < _utc(theirs)


def _same_reviewer(previous: Any, row: RowDecision) -> bool:
    """Tell if the earlier decision came from the same person (who may change their mind).

    Named reviewers are compared by name. A workbook nobody is named for is the same
    reviewer's only when it is the same file again (the same path): otherwise an unnamed copy
    would silently overrule a named reviewer, or another unnamed copy, and two reviewers'
    copies of one workbook keep its name (saved from their replies to two folders).
    """
    if previous.reviewer and row.reviewer:
        return bool(previous.reviewer.strip().casefold() == row.reviewer.strip().casefold()) \
            and not _saved_by_another(previous, row)
    if not previous.reviewer and not row.reviewer:
        return _same_path(previous.source_file, row.file)
    return False


def _saved_by_another(previous: Any, row: RowDecision) -> bool:
    """Tell if the earlier decision's workbook and the row's, named for the same reviewer,
    were last saved by two different people (both files say who).

    A workbook named for Liisa and forwarded to a colleague keeps her name: taken as her
    change of mind, the colleague's decision silently replaced hers. Two different savers
    make it another person's word, a conflict unless the row's workbook showed the earlier
    decision (``_in_conflict``). When either file does not say (a CSV, an older decision),
    the names alone decide, as before: a reviewer's own change of mind is never held back on
    a guess. Liisa on two computers with two user names is held back, and told why: a
    conflict is said and undone by a re-export, an overruled decision is never noticed."""
    first, second = (" ".join((name or "").split()).casefold()
                     for name in (getattr(previous, "saved_by", None), row.saved_by))
    return bool(first and second and first != second)


def _same_path(first: str, second: str) -> bool:
    """Tell if two paths an import was given name the same file place."""
    try:
        return Path(first).resolve() == Path(second).resolve()
    except (OSError, RuntimeError):
        return first == second


def _file_name(path: str, others: Sequence[str]) -> str:
    """A file's name as a message gives it: the name, or the whole path when one of
    ``others`` has the same name in another folder."""
    name = Path(path).name
    return path if any(Path(other).name == name and not _same_path(other, path)
                       for other in others) else name


def _was_shown(previous: Any, row: RowDecision) -> bool:
    """Tell if the row's workbook was exported showing the earlier decision (a deliberate change)."""
    if not row.shown or "decision" not in row.shown:
        return False
    shown = duplicate_cell(previous.duplicate_of_id, previous.not_duplicate_of)
    return (row.shown["decision"] == text_hash(decision_label(previous.decision))
            and row.shown.get("duplicate_of", text_hash("")) == text_hash(
                "" if shown is None else str(shown)))


def _signature_of(decision: Any) -> tuple[Any, ...]:
    return (decision.decision, decision.duplicate_of_id, decision.not_duplicate_of is not None,
            decision.corrected_title,
            tuple(decision.corrected_keywords or ()),
            tuple(sorted(decision.corrected_municipalities or ())))


def _latest_decisions(*, session: Session, practice_ids: list[int]
                      ) -> tuple[dict[int, Any], dict[int, Any]]:
    """Each practice's latest decision, and its latest record of any kind (a comment typed
    without a decision too: whose note the practice holds)."""
    from sqlalchemy import select

    from ..db.models import ReviewDecision

    d = ReviewDecision.__table__.c  # type: ignore[attr-defined]
    latest: dict[int, Any] = {}
    noted: dict[int, Any] = {}
    wanted = set(practice_ids)
    for condition in _id_conditions(d.practice_id, wanted):
        for decision in plain_rows(session.execute(select(
                d.practice_id, d.version, d.decision, d.duplicate_of_id, d.not_duplicate_of,
                d.corrected_title, d.corrected_keywords, d.corrected_municipalities, d.reviewer,
                d.source_file, d.source_sha256, d.source_row, d.exported_at, d.saved_by
        ).where(condition).order_by(d.id))):
            if decision.practice_id in wanted:
                noted[decision.practice_id] = decision
                if decision.decision != COMMENT_ONLY:
                    latest[decision.practice_id] = decision
    return latest, noted


def _same_as_state(row: RowDecision, practice: Any, *, session: Session,
                   corrected_ids: set[int]) -> bool:
    if (practice.status, practice.decided_version) != (row.decision, row.version):
        return False
    duplicate_of = row.duplicate_of if row.decision == "duplicate" else None
    if practice.duplicate_of_id != duplicate_of:
        return False
    if (practice.not_duplicate_of is None) != (row.not_duplicate_of is None) or sorted(
            practice.not_duplicate_of or ()) != sorted(row.not_duplicate_of or ()):
        return False
    if (practice.corrected_title or None, practice.corrected_keywords or None,
            practice.reviewer_comment or None) != (row.corrected_title, row.corrected_keywords,
                                                   row.comment):
        return False
    if row.corrected_municipalities is None:
        return practice.id not in corrected_ids or reviewer_municipalities(
            session=session, practice_id=practice.id) is None
    effective = effective_municipalities(session=session, practice_ids=[practice.id])
    return sorted(effective.get(practice.id, [])) == sorted(row.corrected_municipalities)


def _apply(row: RowDecision, practice: Any, *, session: Session, corrected_ids: set[int],
           audit: list[dict[str, Any]], now: Any) -> None:
    """Queue the row's decision for the audit trail (the practice takes it from there) and
    set the reviewer's municipalities."""
    duplicate_of = row.duplicate_of if row.decision == "duplicate" else None
    if row.corrected_municipalities is not None or practice.id in corrected_ids:
        set_reviewer_municipalities(session=session, practice_id=practice.id,
                                    codes=row.corrected_municipalities)
    audit.append({
        "practice_id": practice.id, "version": row.version, "decision": row.decision,
        "previous_status": practice.status, "duplicate_of_id": duplicate_of,
        "not_duplicate_of": row.not_duplicate_of if row.not_duplicate else None,
        "comment": row.comment, "corrected_title": row.corrected_title,
        "corrected_keywords": row.corrected_keywords,
        "corrected_municipalities": row.corrected_municipalities, "reviewer": row.reviewer,
        "source_file": row.file, "source_sha256": row.sha256, "source_row": row.row,
        "decided_at": now, "exported_at": row.exported_at, "reread_answer": row.reread_answer,
        "saved_by": row.saved_by})


def _write_decisions(audit: list[dict[str, Any]], *, session: Session) -> None:
    """Insert the decisions into the audit trail, then set each practice from its decision in
    one UPDATE ... FROM (the state and its record cannot differ, and no parameters are
    prepared per practice twice)."""
    from sqlalchemy import func, insert, select, update

    from ..db.models import Practice, ReviewDecision

    decisions = ReviewDecision.__table__  # type: ignore[attr-defined]
    practices = Practice.__table__  # type: ignore[attr-defined]
    d = decisions.c
    connection = session.connection()
    dialect = connection.dialect
    keys = list(audit[0])
    columns = _bound_columns(decisions, audit, keys, dialect)
    # The statement SQLAlchemy would send (its casts on PostgreSQL too), sent as one
    # executemany of the values bound above: SQLAlchemy's own executemany prepared each
    # row's parameters again (a tenth of an import, with the values bound one by one).
    compiled = insert(decisions).compile(dialect=dialect, column_keys=keys)
    if compiled.positional:
        parameters: list[Any] = list(zip(*(columns[key] for key in compiled.positiontup or ()),
                                         strict=True))
    else:
        parameters = [dict(zip(keys, values, strict=True))
                      for values in zip(*columns.values(), strict=True)]
    # The rows inserted are those after the highest id before (this transaction holds the
    # practices' lock; the files' hashes keep out any other import's rows).
    last = session.execute(select(func.max(d.id))).scalar() or 0
    connection.exec_driver_sql(str(compiled), parameters)
    shas = sorted({row["source_sha256"] for row in audit})
    session.execute(update(practices).values(
        status=d.decision, decided_version=d.version, duplicate_of_id=d.duplicate_of_id,
        not_duplicate_of=d.not_duplicate_of,
        corrected_title=d.corrected_title, corrected_keywords=d.corrected_keywords,
        reviewer_comment=d.comment, updated_at=d.decided_at,
    ).where(practices.c.id == d.practice_id, d.id > last, d.source_sha256.in_(shas)))


def _bound_columns(table: Any, rows: list[dict[str, Any]], keys: list[str], dialect: Any
                   ) -> dict[str, list[Any]]:
    """Return each column's values in ``rows`` as its type binds them for ``dialect``: what
    the typed insert sent, so what is stored is the same to the byte. Each distinct object is
    bound once (the one time of every row, ``None`` in the empty JSON columns): SQLAlchemy
    JSON-encoded ``None`` 15,000 times for 5,000 decisions."""
    columns = {key: [row[key] for row in rows] for key in keys}
    for key, values in columns.items():
        process = table.c[key].type.dialect_impl(dialect).bind_processor(dialect)
        if process is None:
            continue
        # (Keyed by identity: every value stays alive in ``rows`` meanwhile, and two equal
        # times in different zones stay apart.)
        bound: dict[int, Any] = {}
        for index, value in enumerate(values):
            found = bound.get(id(value), bound)
            if found is bound:
                found = bound[id(value)] = process(value)
            values[index] = found
    return columns
