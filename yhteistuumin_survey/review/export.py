"""Write the triage workbook(s): one row per practice to decide, one workbook per reviewer."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import InputError
from ..file_formats import format_name
from ..reports import first_ten, plural, render_table
from ..sheetxml import EXCEL_CELL_LIMIT, cell_value, cut_length, row_xml, splice_rows
from .common import (
    COLUMNS,
    DECISION_WORDS,
    DEFAULT_STATUSES,
    INSTRUCTIONS_SHEET,
    META_COLUMNS,
    META_FORMAT,
    META_SHEET,
    NOT_DUPLICATE_WORDS,
    REREAD_WORDS,
    SHEET_NAME,
    STAMP_FIELDS,
    ReviewRow,
    corrected_municipality_ids,
    database_identity,
    decision_label,
    duplicate_candidates,
    duplicate_cell,
    effective_municipalities,
    emptied_flags,
    field_labels,
    flag_words,
    gc_paused,
    parse_statuses,
    plain_rows,
    read_only_digest,
    reread_flags,
    reviewer_municipalities,
    status_label,
    text_hash,
    version_stamp,
)

if TYPE_CHECKING:
    from sqlmodel import Session

    from ..survey import Survey

#: Data rows are this tall (points): about five wrapped lines; the full text is in the cell.
ROW_HEIGHT = 75
#: Unlocked columns after the table, for the reviewer's own notes.
OWN_COLUMNS = 20
NO_REGION = "—"


@dataclass
class ExportedFile:
    """One workbook written: where, for whom, how many practices of which regions."""

    path: Path
    reviewer: str | None
    practices: int
    regions: list[str] = field(default_factory=list)
    #: The cells cut to a spreadsheet cell's limit: (practice id, column key, text length).
    cut: list[tuple[int, str, int]] = field(default_factory=list)


@dataclass
class ExportResult:
    """What ``export_review`` wrote."""

    export_id: str
    exported_at: dt.datetime
    statuses: list[str]
    files: list[ExportedFile] = field(default_factory=list)

    failed = False

    @property
    def practices(self) -> int:
        return sum(f.practices for f in self.files)

    def table(self) -> tuple[list[str], list[dict[str, Any]]]:
        return ["file", "reviewer", "practices", "regions"], [
            {"file": str(f.path), "reviewer": f.reviewer or "", "practices": f.practices,
             "regions": ", ".join(f.regions)} for f in self.files]

    def summary(self) -> list[str]:
        if not self.files:
            return [f"Nothing to review (status {', '.join(self.statuses)})."]
        return [f"{plural(self.practices, 'practice')} in {plural(len(self.files), 'workbook')} "
                f"(export {self.export_id})."] + self._cut_lines()

    def _cut_lines(self) -> list[str]:
        """One line per workbook with texts cut to a cell's limit: which, and where whole."""
        from .common import COLUMN_BY_KEY

        lines = []
        for exported in self.files:
            if not exported.cut:
                continue
            count = len(exported.cut)
            listed = first_ten(
                f"#{practice_id} '{COLUMN_BY_KEY[key].header}' ({_count(length)} characters)"
                for practice_id, key, length in exported.cut)
            lines.append(f"{exported.path.name}: {plural(count, 'text')} longer than a "
                         f"spreadsheet cell holds ({_count(EXCEL_CELL_LIMIT)} characters) "
                         f"{'is' if count == 1 else 'are'} shown cut, with '…' and a note in "
                         f"'Huomiot': {listed}; 'yhteistuumin practices show ID' shows "
                         f"{'it' if count == 1 else 'them'} whole; the import never takes "
                         "the cut text for the whole")
        return lines

    def text(self) -> str:
        columns, rows = self.table()
        return "\n".join(([render_table(rows, columns)] if rows else []) + self.summary())

    def to_dict(self) -> dict[str, Any]:
        return {"export_id": self.export_id, "exported_at": self.exported_at.isoformat(),
                "statuses": self.statuses, "practices": self.practices,
                "files": [{"path": str(f.path), "reviewer": f.reviewer,
                           "practices": f.practices, "regions": f.regions,
                           "cut": [{"practice_id": practice_id, "column": key,
                                    "length": length} for practice_id, key, length in f.cut]}
                          for f in self.files]}


# --- selecting and describing the practices -------------------------------------------------


def collect_rows(*, session: Session, statuses: Sequence[str] | None = None,
                 survey: Survey | None = None) -> list[ReviewRow]:
    """Return the practices to decide as review rows, ordered by region, municipality, id."""
    from sqlalchemy import and_, select

    from ..db.models import Municipality, Practice, PracticeVersion, Region

    chosen = parse_statuses(statuses)
    wanted = chosen or DEFAULT_STATUSES
    # Plain columns, not ORM objects: building 5,000 pairs of SQLModel objects took a third
    # of the export. Practice columns are ``p_<name>``, version columns keep their names
    # (what version_stamp and _contact read).
    p = Practice.__table__.c  # type: ignore[attr-defined]
    v = PracticeVersion.__table__.c  # type: ignore[attr-defined]
    condition = _queue(p, v, wanted, default=chosen is None)
    version_columns = [v.version, v.submission_id, v.flags, v.language,
                       *[v[name] for name in STAMP_FIELDS]]
    found = plain_rows(session.execute(
        select(*[p[name].label(f"p_{name}") for name in (
            "id", "status", "current_version", "decided_version", "language",
            "duplicate_of_id", "not_duplicate_of", "reviewer_comment", "corrected_title",
            "corrected_keywords")],
               *version_columns)
        .join(PracticeVersion.__table__,  # type: ignore[attr-defined]
              and_(v.practice_id == p.id, v.version == p.current_version))
        .where(condition).order_by(p.id)))
    if not found:
        return []
    ids = [row.p_id for row in found]
    municipalities = {m.code: m for m in session.execute(select(Municipality)).scalars()}
    regions = {r.code: r for r in session.execute(select(Region)).scalars()}
    codes_of = effective_municipalities(session=session, practice_ids=ids) if len(ids) < 30000 \
        else effective_municipalities(session=session)
    sources = _sources(session, [row.submission_id for row in found
                                 if row.submission_id is not None])
    corrected_ids = corrected_municipality_ids(session=session)
    labels = field_labels(survey)
    choice_labels = _choice_labels(survey)
    vocabulary = _vocabulary(survey)
    rows: list[ReviewRow] = []
    for version in found:
        practice_id = version.p_id
        codes = codes_of.get(practice_id, [])
        known = [municipalities[c] for c in codes if c in municipalities]
        region_code = known[0].region_code if known else ""
        region = regions[region_code].name_fi if region_code in regions else NO_REGION
        flags = _row_flags(version)
        source_name, source_format = sources.get(version.submission_id or -1, ("", ""))
        corrected_codes = reviewer_municipalities(session=session, practice_id=practice_id) \
            if practice_id in corrected_ids else None
        values: dict[str, Any] = {
            "id": practice_id,
            "stamp": "",
            "title": version.title or "",
            "municipalities": ", ".join(m.name_fi for m in known)
            or (version.municipality_text or ""),
            "region": region if len({m.region_code for m in known}) <= 1
            else ", ".join(dict.fromkeys(regions[m.region_code].name_fi for m in known
                                         if m.region_code in regions)),
            "source": f"{source_name} [{source_format}]" if source_format else source_name,
            "flags": "\n".join(flag_words(flags, labels=labels)),
            "status": status_label(version.p_status),
            "keywords": _keywords(version.keywords or [], vocabulary),
            "target_group": ", ".join(choice_labels.get(t, t.removeprefix("other:"))
                                      for t in version.target_group or []),
            "goal": version.goal or "",
            "summary": version.summary or "",
            "implementation": version.implementation or "",
            "resources": version.resources or "",
            "experiences": version.experiences or "",
            "benefits": version.benefits or "",
            "contact": _contact(version),
            "language": version.language or version.p_language or "",
            # Editable columns start from the current state: an empty cell means "none".
            "decision": decision_label(version.p_status)
            if version.p_status in DECISION_WORDS
            and version.p_decided_version == version.version else "",
            "duplicate_of": duplicate_cell(version.p_duplicate_of_id,
                                           version.p_not_duplicate_of),
            "comment": version.p_reviewer_comment or "",
            "reread": "",
            "corrected_title": version.p_corrected_title or "",
            "corrected_keywords": ", ".join(version.p_corrected_keywords or []),
            "corrected_municipalities": ", ".join(
                municipalities[c].name_fi for c in corrected_codes if c in municipalities)
            if corrected_codes is not None else "",
        }
        stamp = version_stamp(practice_id, version)
        values["stamp"] = stamp
        cut = _say_cut(practice_id, values, labels)
        rows.append(ReviewRow(practice_id, version.version, stamp, region_code or "", region,
                              codes, values, duplicate_candidates(version.flags or []),
                              bool(reread_flags(version.flags or [])), cut,
                              bool(emptied_flags(version.flags or []))))
    rows.sort(key=lambda r: (r.region_code or "99", r.municipality_codes[:1], r.practice_id))
    return rows


def _say_cut(practice_id: int, values: dict[str, Any], labels: dict[str, str]
             ) -> dict[str, int]:
    """Find the texts longer than a spreadsheet cell holds (the workbook shows their
    beginning and "…") and say each in the row's flags, with the command that shows it
    whole; return column key -> the text's length."""
    from ..flags import describe, unsure

    cut = {key: length for key, value in values.items() if key != "flags"
           and (length := cut_length(value)) is not None}
    if not cut:
        return cut
    said = [describe(unsure(key, "cut-in-workbook", length=_count(length),
                            limit=_count(EXCEL_CELL_LIMIT),
                            command=f"yhteistuumin practices show {practice_id}"),
                     "fi", labels) for key, length in cut.items()]
    values["flags"] = "\n".join(filter(None, [*said, values.get("flags") or ""]))
    return cut


def _count(number: int) -> str:
    """A count as Finnish writes it: 40 000."""
    return f"{number:,}".replace(",", " ")


def _queue(p: Any, v: Any, wanted: Sequence[str], *, default: bool) -> Any:
    """The practices an export selects: those of the statuses ``wanted``; by default also the
    decided ones that are back in the queue."""
    from sqlalchemy import String, and_, cast, or_

    condition: Any = p.status.in_(list(wanted))
    if not default:
        return condition
    # A decided practice that got a newer version is back in the queue, and so is one whose
    # file, read again, reads differently (ingest --reread), until a reviewer answers which
    # reading is right.
    return or_(condition, and_(p.decided_version.is_not(None),
                               p.current_version > p.decided_version, p.status != "duplicate"),
               cast(v.flags, String).like("%:reread-differs{%"))


def _sources(session: Session, submission_ids: list[int]) -> dict[int, tuple[str, str]]:
    """The file (and place in it) each submission came from, and the file's format."""
    from sqlmodel import col, select

    from ..db.models import ReceivedFile, Submission

    sources: dict[int, tuple[str, str]] = {}
    for start in range(0, len(submission_ids), 5000):
        chunk = submission_ids[start:start + 5000]
        for sub_id, name, file_format, locator in session.exec(
                select(col(Submission.id), col(ReceivedFile.original_name),
                       col(ReceivedFile.format), col(Submission.locator))
                .join(ReceivedFile, col(ReceivedFile.id) == col(Submission.received_file_id))
                .where(col(Submission.id).in_(chunk))):
            place = _place_fi(locator or "")
            sources[sub_id or 0] = (f"{name} ({place})" if place else name,
                                    format_name(file_format, "fi"))
    return sources


#: The 'Lähde' column says a source's place and format in the reviewer's Finnish, not the
#: program's English ("lomakevastaukset.xlsx (row 2) [msforms]"); the formats are named by
#: ``file_formats``. The places ingest writes in English: a form export's "row 2" (or "Sheet1 row 2", several
#: sheets) and a message's "body" (or "body #2"); a questionnaire's sheet name stays as named.
_ROW_PLACE = re.compile(r"(.+ )?row (\d+)")
_BODY_PLACE = re.compile(r"body( #\d+)?")


def _place_fi(locator: str) -> str:
    """Return a submission's place in its file in Finnish ("rivi 2", "viestin teksti")."""
    if found := _ROW_PLACE.fullmatch(locator):
        return f"{found.group(1) or ''}rivi {found.group(2)}"
    if found := _BODY_PLACE.fullmatch(locator):
        return f"viestin teksti{found.group(1) or ''}"
    return locator


def _choice_labels(survey: Survey | None) -> dict[str, str]:
    if survey is None:
        return {}
    try:
        question = survey.question("target_group")
    except KeyError:
        return {}
    return {choice.id: choice.label("fi") for choice in question.choices}


def _vocabulary(survey: Survey | None) -> Any:
    """The keyword vocabulary beside the survey's definition (a workspace's own), else the
    bundled one."""
    from ..normalise import bundled_vocabulary, load_vocabulary_file

    path = survey.path.parent / "keywords.yaml" if survey is not None and survey.path else None
    return load_vocabulary_file(path) if path is not None and path.exists() else bundled_vocabulary()


def _keywords(keywords: Sequence[str], vocabulary: Any) -> str:
    """The keywords as typed, each with the concept it is linked to when that says more
    ("kylät (→ kylät ⊂ maaseutu)", "byar (→ kylät ⊂ maaseutu)"); one with no concept as typed
    (the ingest report lists those for the vocabulary's keeper)."""
    shown = []
    for keyword in keywords:
        entry = vocabulary.concept_of(keyword)
        if entry is None:
            shown.append(keyword)
            continue
        broader = vocabulary.concept(entry.broader) if entry.broader else None
        label = entry.label("fi") + (f" ⊂ {broader.label('fi')}" if broader else "")
        shown.append(keyword if label.casefold() == keyword.casefold() else f"{keyword} (→ {label})")
    return ", ".join(shown)


def _row_flags(version: Any) -> list[str]:
    """The version's flags, with what the export itself sees: a new version since the
    decision, a title naming a contact who has not agreed to be published."""
    flags = list(version.flags or [])
    if version.p_decided_version is not None \
            and version.p_current_version > version.p_decided_version:
        flags.append("new-version-since-decision")
    if _contact_in_title(version):
        flags.append("contact-in-title")
    return flags


def _contact_in_title(version: Any) -> bool:
    """Whether the title the card would show names a contact who has not agreed to be
    published (the publish hides the name there: the reviewers can give a better title)."""
    from ..cards import hides_contact
    from ..privacy import contact_hider

    if not hides_contact(version):
        return False

    title = (version.p_corrected_title or "").strip() or (version.title or "").strip()
    hide = contact_hider(version.contact_name, version.contact_email, version.contact_phone,
                         version.contact_text, label="")
    return bool(title) and hide(title) != title


def _contact(version: Any) -> str:
    parts = [version.contact_name, version.contact_email, version.contact_phone]
    text = "\n".join(p for p in parts if p) or (version.contact_text or "")
    if text and version.publish_consent is None:
        text += "\n(julkaisulupa ei tiedossa)"
    elif text and not version.publish_consent:
        text += "\n(ei julkaisulupaa)"
    return text


# --- sharing out between reviewers ------------------------------------------------------------


def share_out(rows: Sequence[ReviewRow], reviewers: Sequence[str]) -> list[list[ReviewRow]]:
    """Share rows out evenly, keeping each region with one reviewer where possible.

    Every reviewer gets a quota (the counts differ by at most one). Regions, largest first, go
    whole to the reviewer whose remaining quota fits them most tightly; a region larger than
    every remaining quota fills the reviewer with the most room and the rest goes on, so a
    region is split only when no quota can take it whole (at most ``reviewers - 1`` splits).
    Within a split region the rows stay in municipality order.
    """
    count = len(reviewers)
    if count <= 1:
        return [list(rows)]
    total = len(rows)
    quotas = [total // count + (1 if i < total % count else 0) for i in range(count)]
    groups: dict[str, list[ReviewRow]] = {}
    for row in rows:
        groups.setdefault(row.region_code or "99", []).append(row)
    order = sorted(groups, key=lambda code: (-len(groups[code]), code))
    shares: list[list[ReviewRow]] = [[] for _ in reviewers]
    for code in order:
        pending = groups[code]
        while pending:
            fitting = [i for i in range(count) if quotas[i] >= len(pending)]
            if fitting:
                target = min(fitting, key=lambda i: (quotas[i], i))
                take = len(pending)
            else:
                target = max(range(count), key=lambda i: (quotas[i], -i))
                take = quotas[target]
            shares[target].extend(pending[:take])
            quotas[target] -= take
            pending = pending[take:]
    for share in shares:
        share.sort(key=lambda r: (r.region_code or "99", r.municipality_codes[:1],
                                  r.practice_id))
    return shares


# --- writing the workbook ---------------------------------------------------------------------

#: Characters XML 1.0 cannot carry (C0 controls but tab and line ends, non-characters, lone
#: surrogates).
def _slug(name: str) -> str:
    from slugify import slugify

    return slugify(name, lowercase=True) or "reviewer"


def output_paths(*, outputs: Path, out: Path | None, reviewers: Sequence[str],
                 stamp: str) -> list[Path]:
    """Return the workbook path for each reviewer (or the one path when there is none)."""
    if out is None:
        base = outputs / "review" / f"review-{stamp}.xlsx"
    else:
        base = out if out.suffix.lower() == ".xlsx" else out.with_suffix(".xlsx")
    if not reviewers:
        return [base]
    if len(reviewers) == 1 and out is not None:
        return [base]
    slugs = [_slug(name) for name in reviewers]
    if len(set(slugs)) != len(slugs):
        raise InputError("two reviewers have the same name; give each --reviewer a different "
                         "name")
    return [base.with_name(f"{base.stem}-{slug}{base.suffix}") for slug in slugs]


def export_review(outputs: Path, *, session: Session, out: Path | None = None,
                  statuses: Sequence[str] | None = None, reviewers: Sequence[str] = (),
                  survey: Survey | None = None, now: dt.datetime | None = None,
                  progress: Callable[[int], Any] | None = None,
                  round_name: str | None = None) -> ExportResult:
    """Write the review workbook(s) under ``outputs/review`` (or ``out``) and describe them.

    Each workbook carries this database's identity, the round and the export id: an import
    into another database or round is refused before anything is applied."""
    reviewers = [r.strip() for r in reviewers if r and r.strip()]
    if len({r.casefold() for r in reviewers}) != len(reviewers):
        raise InputError("the same --reviewer is named twice; name each reviewer once")
    with gc_paused():
        return _export_review(outputs, session=session, out=out, statuses=statuses,
                              reviewers=reviewers, survey=survey, now=now, progress=progress,
                              round_name=round_name)


def _export_review(outputs: Path, *, session: Session, out: Path | None,
                   statuses: Sequence[str] | None, reviewers: list[str], survey: Survey | None,
                   now: dt.datetime | None, progress: Callable[[int], Any] | None,
                   round_name: str | None) -> ExportResult:
    now = now or dt.datetime.now(dt.UTC)
    chosen = parse_statuses(statuses)
    export_id = uuid.uuid4().hex[:12]
    database_id = database_identity(session)
    rows = collect_rows(session=session, statuses=chosen, survey=survey)
    result = ExportResult(export_id, now, list(chosen or DEFAULT_STATUSES))
    if not rows:
        return result
    shares = share_out(rows, reviewers) if reviewers else [rows]
    paths = output_paths(outputs=outputs, out=out, reviewers=reviewers,
                         stamp=now.strftime("%Y%m%d-%H%M%S"))
    for index, (share, path) in enumerate(zip(shares, paths, strict=True)):
        reviewer = reviewers[index] if reviewers else None
        write_workbook(path, share, export_id=export_id, exported_at=now, reviewer=reviewer,
                       progress=progress, database_id=database_id, round_name=round_name)
        result.files.append(ExportedFile(
            path, reviewer, len(share), list(dict.fromkeys(r.region for r in share)),
            [(r.practice_id, key, length) for r in share for key, length in r.cut.items()]))
    return result


def write_workbook(path: Path, rows: Sequence[ReviewRow], *, export_id: str,
                   exported_at: dt.datetime, reviewer: str | None,
                   progress: Callable[[int], Any] | None = None, database_id: str = "",
                   round_name: str | None = None) -> None:
    """Write one review workbook: the review sheet, the instructions, the hidden metadata.

    openpyxl writes the workbook around the rows (header, styles, drop-downs, protection,
    instructions, the metadata's head); the rows of the review sheet and of the metadata
    sheet are then written straight into those sheets' XML as the file is zipped
    (:func:`_splice_rows`): per cell that is a formatted string where openpyxl builds and
    serialises an element, which made the export slower than pandas' ``to_excel``.
    """
    import io

    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(SHEET_NAME)
    style_ids = _review_styles(sheet)
    _review_header(sheet)
    _review_checks(sheet, last_row=max(len(rows) + 1, 2), candidates={
        number: row.duplicate_candidates for number, row in enumerate(rows, start=2)
        if row.duplicate_candidates}, answers={
        number: (("keep", "take") if row.reread else ()) + (("restore",) if row.restore else ())
        for number, row in enumerate(rows, start=2) if row.reread or row.restore})
    _instructions(workbook.create_sheet(INSTRUCTIONS_SHEET), reviewer=reviewer,
                  count=len(rows), exported_at=exported_at)
    meta = workbook.create_sheet(META_SHEET)
    meta.sheet_state = "hidden"
    meta.append(["format", META_FORMAT])
    meta.append(["export_id", export_id])
    meta.append(["exported_at", exported_at.isoformat(timespec="seconds")])
    meta.append(["reviewer", reviewer or ""])
    meta.append(["rows", len(rows)])
    meta.append(["database_id", database_id])
    meta.append(["round", round_name or ""])
    meta.append([])
    meta.append(list(META_COLUMNS))
    meta_first_row = 10
    meta.protection.sheet = True
    workbook.active = 0
    scaffold = io.BytesIO()
    workbook.save(scaffold)
    meta_rows: list[list[Any]] = []
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".part")
    try:
        splice_rows(scaffold, temporary, {
            SHEET_NAME: _review_rows_xml(rows, style_ids, meta_rows=meta_rows,
                                         progress=progress),
            META_SHEET: (row_xml(number, values)
                         for number, values in enumerate(meta_rows, start=meta_first_row)),
        })
    except OSError as exc:
        # A full disk half-way: no half-written workbook is left beside the folder's others,
        # and the error names the file it was writing.
        temporary.unlink(missing_ok=True)
        if exc.filename is None:
            exc.filename = str(path)
        raise
    if len(meta_rows) != len(rows):  # the metadata sheet was zipped before the review sheet
        temporary.unlink()
        raise AssertionError(f"{path}: the metadata of {len(rows)} rows was not written")
    temporary.replace(path)


def _review_rows_xml(rows: Sequence[ReviewRow], style_ids: Sequence[int], *,
                     meta_rows: list[list[Any]], progress: Callable[[int], Any] | None
                     ) -> Iterator[str]:
    """The review sheet's data rows as XML; each row's metadata goes to ``meta_rows``
    (practice, version, stamp, the hash of every cell shown, one digest of the read-only
    cells that the import compares first)."""
    keys = [c.key for c in COLUMNS]
    read_only = [index for index, column in enumerate(COLUMNS) if not column.editable]
    for row_number, row in enumerate(rows, start=2):
        values = [cell_value(row.values.get(key)) for key in keys]
        texts = ["" if value is None else str(value) for value in values]
        hashes = " ".join(f"{key}={text_hash(text)}" for key, text in zip(keys, texts,
                                                                           strict=True))
        digest = read_only_digest([texts[index] for index in read_only])
        meta_rows.append([row.practice_id, row.version, row.stamp, hashes, digest])
        yield row_xml(row_number, values, style_ids=style_ids, height=ROW_HEIGHT)
        if progress is not None and row_number % 500 == 0:
            progress(500)


def _review_styles(sheet: Any) -> list[int]:
    """The style (cell format number) of each column's cells, made once: grey and locked for
    the respondent's text, unlocked for the reviewer's columns."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, NamedStyle, PatternFill, Protection

    readonly = NamedStyle("review_readonly", fill=PatternFill("solid", fgColor="E7E6E6"),
                          alignment=Alignment(wrap_text=True, vertical="top"),
                          protection=Protection(locked=True))
    editable = NamedStyle("review_editable",
                          alignment=Alignment(wrap_text=True, vertical="top"),
                          protection=Protection(locked=False))
    # The reviewer's text cells are formatted as text, so that what she types stays as typed:
    # a municipality's code '091' lost its zero (91: "no municipality recognised") and a
    # comment '1.3.' became the date 2026-03-01. The duplicate column takes a number.
    text = NamedStyle("review_text", number_format="@",
                      alignment=Alignment(wrap_text=True, vertical="top"),
                      protection=Protection(locked=False))
    ids = {}
    for style in (readonly, editable, text):
        sheet.parent.add_named_style(style)
        prototype = WriteOnlyCell(sheet)
        prototype.style = style.name
        ids[style.name] = prototype.style_id
    return [ids["review_readonly" if not c.editable else "review_editable"
                if c.key == "duplicate_of" else "review_text"] for c in COLUMNS]


def _review_header(sheet: Any) -> None:
    """The header row, the column widths and the frozen panes (written before any row)."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill, Protection
    from openpyxl.utils import get_column_letter

    header_fill = PatternFill("solid", fgColor="1F4E79")
    editable_header_fill = PatternFill("solid", fgColor="2E7D32")
    header_font = Font(bold=True, color="FFFFFF")
    header: list[Any] = []
    for index, column in enumerate(COLUMNS, start=1):
        cell = WriteOnlyCell(sheet, value=column.header)
        cell.font = header_font
        cell.fill = editable_header_fill if column.editable else header_fill
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        cell.protection = Protection(locked=True)
        header.append(cell)
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    # Columns after the table are the reviewer's own (notes): unlocked, or the protected sheet
    # would refuse typing there. A bounded range: LibreOffice without jumbo sheets warns about
    # columns past 1024.
    own = sheet.column_dimensions[get_column_letter(len(COLUMNS) + 1)]
    own.min, own.max, own.width = len(COLUMNS) + 1, len(COLUMNS) + OWN_COLUMNS, 20
    own.protection = Protection(locked=False)
    own.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "C2"
    sheet.row_dimensions[1].height = 32
    sheet.append(header)


def _ranges_without(first: int, last: int, left_out: set[int]) -> Iterator[tuple[int, int]]:
    """The runs of row numbers from ``first`` to ``last`` without those ``left_out``."""
    start = None
    for number in range(first, last + 2):
        if number <= last and number not in left_out:
            if start is None:
                start = number
        elif start is not None:
            yield start, number - 1
            start = None


def _words_list(lang: str, last: str) -> str:
    """The decision words in ``lang``, listed: "hyväksytty, hylätty, … tai kaksoiskappale"."""
    words = [w[lang] for w in DECISION_WORDS.values()]
    if last == ",":
        return ", ".join(words)
    return f"{', '.join(words[:-1])} {last} {words[-1]}"


def _answer_checks(sheet: Any, column: str, answers: dict[int, tuple[str, ...]]) -> None:
    """Offer each row the answers its flags take in the "Uusi luenta" column (one check per
    list): keep/take for a new reading, "palauta vastaus" for an answer left empty."""
    from openpyxl.worksheet.datavalidation import DataValidation

    by_choices: dict[tuple[str, ...], list[int]] = {}
    for row_number, choices in answers.items():
        by_choices.setdefault(choices, []).append(row_number)
    for choices, row_numbers in by_choices.items():
        words = [REREAD_WORDS[choice]["fi"] for choice in choices]
        said = " tai ".join((", ".join(words[:-1]), words[-1])) if len(words) > 1 \
            else words[0]
        check = DataValidation(
            type="list", formula1='"' + ",".join(words) + '"', allow_blank=True,
            showDropDown=False, showErrorMessage=True, errorStyle="warning",
            errorTitle="Uusi luenta",
            error=f"Valitse {said} (Huomiot-sarake kertoo, mitä luettiin).",
            promptTitle="Uusi luenta / Ny läsning",
            prompt=" / ".join(words))
        for row_number in row_numbers:
            check.add(f"{column}{row_number}")
        sheet.data_validations.append(check)


def _review_checks(sheet: Any, *, last_row: int, candidates: dict[int, list[int]],
                   answers: dict[int, tuple[str, ...]] | None = None) -> None:
    """Print setup, the filter, the drop-down checks (one range each, not per cell; the
    duplicate column of a row flagged as a possible duplicate offers the flagged practice
    and "ei kaksoiskappale", one check per such list) and the sheet protection."""
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    keys = [c.key for c in COLUMNS]
    last_col = get_column_letter(len(COLUMNS))
    sheet.print_title_rows = "1:1"
    sheet.page_setup.orientation = "landscape"
    sheet.auto_filter.ref = f"A1:{last_col}{last_row}"
    decision_col = get_column_letter(keys.index("decision") + 1)
    words = ",".join(w["fi"] for w in DECISION_WORDS.values())
    validation = DataValidation(
        type="list", formula1=f'"{words}"', allow_blank=True, showDropDown=False,
        showErrorMessage=True, errorStyle="warning", errorTitle="Päätös / Beslut",
        # The Swedish words are read too: a warning naming only the English ones told a
        # Swedish reviewer that 'godkänd', typed as her instructions say, would not do.
        error=f"Valitse {_words_list('fi', 'tai')}. Myös {_words_list('sv', ',')}, "
              f"{_words_list('en', ',')} käyvät. / Du kan också skriva "
              f"{_words_list('sv', 'eller')}.",
        promptTitle="Päätös / Beslut",
        prompt="hyväksytty / hylätty / lisätietoja / kaksoiskappale")
    validation.add(f"{decision_col}2:{decision_col}{max(last_row, 1000)}")
    sheet.data_validations.append(validation)
    duplicate_col = get_column_letter(keys.index("duplicate_of") + 1)
    not_duplicate = NOT_DUPLICATE_WORDS["fi"]
    by_list: dict[tuple[int, ...], list[int]] = {}
    for row_number, flagged in candidates.items():
        by_list.setdefault(tuple(flagged), []).append(row_number)
    for ids, row_numbers in by_list.items():
        shown = list(ids)
        while len(shown) > 1 and len(",".join(f"#{i}" for i in shown)) > 200:
            shown.pop()  # a list check holds at most 255 characters
        offered = ",".join([*(f"#{i}" for i in shown), not_duplicate])
        answer = DataValidation(
            type="list", formula1=f'"{offered}"', allow_blank=True, showDropDown=False,
            showErrorMessage=True, errorStyle="warning", errorTitle="Kaksoiskappale",
            error=f"Valitse alkuperäisen ID tai {not_duplicate}, tai kirjoita alkuperäisen "
                  "käytännön ID-numero.",
            promptTitle="Mahdollinen kaksoiskappale / Möjlig dubblett",
            prompt=f"{', '.join(f'#{i}' for i in shown)} (kaksoiskappale) / {not_duplicate}")
        for row_number in row_numbers:
            answer.add(f"{duplicate_col}{row_number}")
        sheet.data_validations.append(answer)
    _answer_checks(sheet, get_column_letter(keys.index("reread") + 1), answers or {})
    id_check = DataValidation(type="whole", operator="greaterThan", formula1="0",
                              allow_blank=True, showErrorMessage=True, errorStyle="warning",
                              error="Kirjoita alkuperäisen käytännön ID-numero.")
    for first, last in _ranges_without(2, max(last_row, 1000), set(candidates)):
        id_check.add(f"{duplicate_col}{first}:{duplicate_col}{last}")
    sheet.data_validations.append(id_check)
    # Protected without a password: it stops accidental edits; filtering, sorting and
    # resizing stay allowed.
    protection = sheet.protection
    protection.sheet = True
    protection.autoFilter = False
    protection.sort = False
    protection.formatColumns = False
    protection.formatRows = False
    protection.selectLockedCells = False
    protection.selectUnlockedCells = False


INSTRUCTIONS_FI = (
    "Ohjeet arvioijalle",
    "Jokainen rivi on yksi hyvä käytäntö. Harmaat sarakkeet ovat vastaajan tekstiä, eikä niitä "
    "voi muuttaa; valkoiset sarakkeet täytät sinä.",
    "Päätös: valitse hyväksytty, hylätty, lisätietoja tai kaksoiskappale. Tyhjä päätös = "
    "ei vielä päätetty (rivi ohitetaan).",
    "Kaksoiskappale: kirjoita sarakkeeseen 'Kaksoiskappale (alkuperäisen ID)' sen käytännön "
    "ID, jonka kaksoiskappale rivi on.",
    "Mahdollinen kaksoiskappale (Huomiot-sarake): jos rivi ei ole saman käytännön "
    "kaksoiskappale, valitse samasta sarakkeesta 'ei kaksoiskappale' ja tee päätös "
    "tavalliseen tapaan; silloin molemmat julkaistaan omina kortteinaan. Jos se on, valitse "
    "alkuperäisen ID ja päätös kaksoiskappale.",
    "Korjattu nimi, korjatut avainsanat (pilkulla erotettuina) ja korjatut kunnat (pilkulla "
    "erotettuina, nimi kuten kuntaluettelossa tai kuntanumero): kirjoita vain, jos haluat "
    "korjata; vastaajan alkuperäinen teksti säilyy. Tyhjä = ei korjausta.",
    "Huomiot-sarake kertoo, mitä järjestelmä huomasi (esim. puuttuva kenttä, tunnistamaton "
    "kunta, mahdollinen kaksoiskappale).",
    "Uusi luenta: jos Huomiot-sarake kertoo, että tiedosto luettiin uudelleen ja siitä "
    "luettiin nyt muuta, valitse 'pidä nykyinen' (käytännön teksti pysyy) tai 'ota uusi "
    "luenta' (uusi teksti tulee käytäntöön), ja pidä tai muuta päätöstä tavalliseen tapaan. "
    "Jos Huomiot-sarake kertoo, että vastauksena oli vain esimerkiksi 'ei ole' ja kohta "
    "jätettiin tyhjäksi, mutta teksti kuuluu käytäntöön, valitse 'palauta vastaus': teksti "
    "palautetaan kohtaan sellaisena kuin se kirjoitettiin.",
    "Voit suodattaa rivejä ja piilottaa sarakkeita suojauksen ollessa päällä, ja kirjoittaa "
    "omia muistiinpanoja Versio-sarakkeen oikealla puolella oleviin sarakkeisiin. Rivien "
    "lajittelu ja sarakkeiden siirtäminen vaativat, että poistat ensin taulukon suojauksen "
    "(Excel: Tarkista > Poista taulukon suojaus; LibreOffice: Työkalut > Suojaa taulukko); "
    "salasanaa ei ole. Tuonti löytää sarakkeet otsikoista. Älä muuta ID- tai Versio-saraketta.",
    "Palauta tiedosto koordinaattorille (tallenna .xlsx-muodossa). Jos käytäntöön on tullut "
    "uusi versio tiedoston tekemisen jälkeen, rivin päätöstä ei tuoda, vaan saat uuden "
    "tiedoston.",
)
INSTRUCTIONS_SV = (
    "Anvisningar för granskaren",
    "Varje rad är ett exempel på god praxis. De grå kolumnerna är den svarandes text och kan "
    "inte ändras; de vita kolumnerna fyller du i.",
    "Päätös (beslut): välj hyväksytty (godkänd), hylätty (avslagen), lisätietoja (mer "
    "information) eller kaksoiskappale (dubblett). Du kan också skriva godkänd, avslagen, "
    "mer information eller dubblett. Tomt = inte beslutat ännu.",
    "Dubblett: skriv i kolumnen 'Kaksoiskappale (alkuperäisen ID)' ID-numret för det exempel "
    "som raden är en dubblett av.",
    "Möjlig dubblett (kolumnen Huomiot): om raden inte är en dubblett av det exemplet, välj "
    "'ei kaksoiskappale' i samma kolumn (du kan också skriva 'inte dubblett') och fatta "
    "beslut som vanligt; då publiceras båda som egna kort. Om den är det, välj originalets ID "
    "och beslutet kaksoiskappale (dubblett).",
    "Korrigerat namn (Korjattu nimi), korrigerade nyckelord (Korjatut avainsanat, åtskilda "
    "med kommatecken) och kommuner (Korjatut kunnat, åtskilda med kommatecken, namnet som i "
    "kommunförteckningen eller kommunnumret): fyll i bara om du vill korrigera; den svarandes "
    "text bevaras. Tomt = ingen korrigering.",
    "Uusi luenta (ny läsning): om kolumnen Huomiot säger att filen lästes på nytt och nu gav "
    "något annat, välj 'pidä nykyinen' (behåll nuvarande text) eller 'ota uusi luenta' (ta "
    "den nya läsningen), och behåll eller ändra beslutet som vanligt. Om kolumnen Huomiot "
    "säger att svaret bara var till exempel 'inget' och att fältet lämnades tomt, men texten "
    "hör till exemplet, välj 'palauta vastaus' (återställ svaret): texten sätts tillbaka i "
    "fältet så som den skrevs.",
    "Du kan filtrera rader och dölja kolumner medan bladet är skyddat, och skriva egna "
    "anteckningar i kolumnerna till höger om kolumnen Versio. För att sortera rader eller "
    "flytta kolumner tar du först bort bladskyddet (Excel: Granska > Ta bort skydd för blad; "
    "LibreOffice: Verktyg > Skydda blad); det finns inget lösenord. Importen hittar kolumnerna "
    "via rubrikerna. Ändra inte kolumnerna ID eller Versio.",
    "Skicka tillbaka filen till koordinatorn (spara som .xlsx). Om exemplet har fått en ny "
    "version efter att filen gjordes, tas radens beslut inte in, utan du får en ny fil.",
)


def _instructions(sheet: Any, *, reviewer: str | None, count: int,
                  exported_at: dt.datetime) -> None:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font

    sheet.column_dimensions["A"].width = 110
    lines: list[tuple[str, bool]] = []
    lines.append((INSTRUCTIONS_FI[0], True))
    lines += [(f"• {text}", False) for text in INSTRUCTIONS_FI[1:]]
    lines.append(("", False))
    lines.append((INSTRUCTIONS_SV[0], True))
    lines += [(f"• {text}", False) for text in INSTRUCTIONS_SV[1:]]
    lines.append(("", False))
    from ..person_texts import local_time

    who = f"Arvioija / Granskare: {reviewer}" if reviewer else ""
    # Finland's time, as every other time the reviewers are shown; "1 käytäntö", "2 käytäntöä"
    # (Swedish "exempel" is the same for one and many).
    made = f"{local_time(exported_at, 'fi')} / {local_time(exported_at, 'sv')}"
    lines.append((f"{count} {'käytäntö' if count == 1 else 'käytäntöä'} / exempel · {made}  "
                  f"{who}".strip(), False))
    for text, bold in lines:
        cell = WriteOnlyCell(sheet, value=text)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        if bold:
            cell.font = Font(bold=True, size=13)
        sheet.append([cell])
