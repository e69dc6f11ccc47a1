"""Read response tables (form exports and other tables) with a header profile.

One row is one response. The header row is searched in the first rows (title rows above it
are skipped); each column is metadata of the profile (response ID, times, account email,
token), a question, an option of a multiple-choice question (one column per option, or a
second header row of options under a question), or ignored. The respondent's account email is
kept in the raw record but never becomes the published contact.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from typing import Any

from ..flags import UNSURE, reason, unsure
from ..flags import parse as parse_flag
from ..normalise import fold  # cached: the same labels and titles are folded again and again
from ..outcomes import en as said
from ..survey import Survey
from ..tables import Sheet, cell_text
from .mapping import HeadingMapper
from .profiles import UNKEPT_ROLES, Profile
from .records import Mapping, ParsedFile, RawRecord, jsonable, unsure_reason

#: Headings scored per candidate row: a form has dozens of questions, so a few hundred cells
#: tell a header row; a sheet thousands of columns wide costs no more to search.
MAX_HEADER_CELLS = 400
#: The questions answered in words: a number or a date in their cell is doubted.
_TEXT_TYPES = frozenset({"text", "longtext"})
#: Why a number or a date in a text answer's cell is doubted (``_number_doubts``).
_NUMBER_CELL = reason("number-cell")


def _score_row(row: list[Any], profile: Profile, mapper: HeadingMapper) -> int:
    score = 0
    scored = 0
    for cell in row:
        text = cell_text(cell)
        if not text or len(text) > 400:
            continue
        scored += 1
        if scored > MAX_HEADER_CELLS:
            break
        if profile.meta_role(text):
            score += 1
            continue
        hit = mapper.match(text)
        if hit is not None and hit.method != "fuzzy":
            score += 1
    return score


def find_header_row(sheet: Sheet, profile: Profile, mapper: HeadingMapper) -> tuple[int, int]:
    """Return (row index, score) of the likeliest header row in the first rows of a sheet."""
    best, best_score = 0, -1
    for index, row in enumerate(sheet.rows[:max(profile.search_rows, 1)]):
        headers = [cell_text(c) for c in row]
        if profile.matches(headers):
            return index, 1000
        score = _score_row(row, profile, mapper)
        if score > best_score:
            best, best_score = index, score
    return best, best_score


def _column_maps(headers: list[str], profile: Profile, mapper: HeadingMapper) -> list[Mapping]:
    maps: list[Mapping] = []
    for header in headers:
        if not header:
            maps.append(Mapping(header, "", "ignored", 0.0))
            continue
        role = profile.meta_role(header)
        if role:
            maps.append(Mapping(header, f"meta:{role}", "meta"))
        else:
            maps.append(mapper.mapping(header))
    return maps


#: How much each mapping rule says about a heading, for headings with the same score.
_METHOD_RANK = {"exact": 5, "label": 5, "meta": 5, "option": 5, "truncated": 4, "contains": 3,
                "abbreviation": 2, "inflected": 2, "fuzzy": 1}


def set_aside_weaker(maps: list[Mapping]) -> None:
    """Keep one column per field: the strongest heading; set the weaker ones aside.

    Two columns mapped to one field ("Käytännön nimi" and a heading that only names the
    survey's subject, "Mihin käytäntö liittyy?") would otherwise have their texts joined into
    one answer. The strongest is the heading with the highest score (an exact heading 100, a
    contained one the share of the heading it covers), then the surer rule, then the first
    column. The weaker columns keep their text in the raw record only, and their mapping
    says so. Option columns of a multiple-choice question are each their own field, and the
    contact's columns are all kept: people spread a contact over several ("Yhteyshenkilö",
    "Yhteystiedot"), and the contact splitter finds the name, email and phone in the whole.
    """
    columns: dict[str, list[int]] = {}
    for col, mapping in enumerate(maps):
        if mapping.target and ":" not in mapping.target \
                and not mapping.target.startswith("contact_"):
            columns.setdefault(mapping.target, []).append(col)
    for target, cols in columns.items():
        if len(cols) < 2:
            continue
        best = max(cols, key=lambda c: (round(maps[c].score, 1),
                                        _METHOD_RANK.get(maps[c].method, 0), -c))
        for col in cols:
            if col != best:
                weaker = maps[col]
                maps[col] = Mapping(weaker.header, "", "set aside", weaker.score,
                                    note=f"{weaker.method} for {target}, weaker than "
                                         f"{maps[best].header!r}; its text kept raw")


def _option_row(sheet: Sheet, header_index: int, maps: list[Mapping], headers: list[str],
                mapper: HeadingMapper) -> bool:
    """Spread a multiple-choice question over the empty headers to its right; use the next
    row as option headings when it has them (Webropol's two-row header)."""
    if header_index + 1 >= len(sheet.rows):
        return False
    below = sheet.rows[header_index + 1]
    owner: str | None = None
    spread: list[int] = []
    for col, mapping in enumerate(maps):
        question = mapping.target.split(":", 1)[0] if mapping.target else ""
        if question in mapper.multichoice and ":" not in mapping.target:
            owner = question
            spread.append(col)
        elif not headers[col] and owner is not None:
            spread.append(col)
        else:
            owner = None
    if not spread:
        return False
    options = [cell_text(below[c]) if c < len(below) else "" for c in spread]
    others = [text for c, v in enumerate(below)
              if c not in spread and (text := cell_text(v)) and not _filler(text)]
    if sum(1 for o in options if o) < 2 or len(others) > len(spread):
        return False
    owner = None
    for col in spread:
        mapping = maps[col]
        if mapping.target in mapper.multichoice:
            owner = mapping.target
        option = cell_text(below[col]) if col < len(below) else ""
        if owner and option:
            header = headers[col] or f"{owner}"
            maps[col] = Mapping(f"{header} [{option}]", f"{owner}:{option}", "option")
    return True


#: What SurveyMonkey writes on its second header row under a question that has no options:
#: "Response" (one choice, one line) and "Open-Ended Response" (a text box), folded.
_SECOND_ROW_FILLERS = frozenset({"response", "open ended response"})


def _filler(text: str) -> bool:
    return len(text) <= 20 and fold(text) in _SECOND_ROW_FILLERS


def _second_header_row(sheet: Sheet, index: int) -> bool:
    """Whether the row below the headings holds only a second header row's fillers (a
    SurveyMonkey export whose questions have no options): a heading row, never a response."""
    if index >= len(sheet.rows):
        return False
    texts = [text for text in map(cell_text, sheet.rows[index]) if text]
    return bool(texts) and all(_filler(text) for text in texts)


def form_fingerprint(maps: list[Mapping]) -> str:
    """Identify a form by its question headings (response IDs are per form)."""
    joined = "\n".join(fold(m.header) for m in maps if not m.target.startswith("meta:"))
    return hashlib.sha256(joined.encode()).hexdigest()[:12]


def _split_choices(value: Any, profile: Profile) -> Any:
    if not isinstance(value, str):
        return value
    for sep in profile.separators:
        if sep in value:
            return [part.strip() for part in value.split(sep) if part.strip()]
    return value


def read_response_table(sheets: list[Sheet], *, survey: Survey, profile: Profile,
                        mapper: HeadingMapper | None = None, fmt: str | None = None) -> ParsedFile:
    """Read every sheet with recognisable headers: one record per non-empty row."""
    mapper = mapper or HeadingMapper(survey, profile)
    parsed = ParsedFile(format=fmt or profile.name)
    candidates = [s for s in sheets if not s.hidden and s.rows] or [s for s in sheets if s.rows]
    several = len(candidates) > 1
    text_ids = frozenset(q.id for q in survey.questions if q.type in _TEXT_TYPES)
    for sheet in candidates:
        header_index, score = find_header_row(sheet, profile, mapper)
        headers = [cell_text(c) for c in sheet.rows[header_index]] if sheet.rows else []
        maps = _column_maps(headers, profile, mapper)
        questions = [m for m in maps if m.target and not m.target.startswith("meta:")]
        if len(questions) < 2:
            if several:
                parsed.notes.append(said("sheet-no-questions", sheet=repr(sheet.name)))
                continue
            parsed.problems.append((sheet.name, None, said("no-question-headings")))
            continue
        start = header_index + 1
        if profile.option_columns and _option_row(sheet, header_index, maps, headers, mapper) \
                or _second_header_row(sheet, start):
            start += 1
        set_aside_weaker(maps)
        parsed.mappings.append((sheet.name, maps))
        fingerprint = form_fingerprint(maps)
        width = len(maps)
        complete_col = None
        if profile.complete_when:
            complete_col = next((i for i, m in enumerate(maps)
                                 if m.target == f"meta:{profile.complete_when}"), None)
        plan = _column_plan(maps, _unique_labels(headers), width)
        sheet_profile, note = _times_as_written(profile, sheet.rows[start:], plan, sheet.name)
        if note:
            parsed.notes.append(note)
        checks = RowChecks(sheet, header_index, start,
                           {col: plan[col][2] for col in range(len(plan))
                            if plan[col][1] == _QUESTION}, _text_columns(plan, text_ids))
        first = len(parsed.records)
        for offset, row in enumerate(sheet.rows[start:], start=start):
            try:
                record = _record(row, plan, sheet_profile, fingerprint)
            except Exception as exc:  # noqa: BLE001 - one unreadable row must not stop the file
                parsed.problems.append((sheet.name, offset + 1, f"the row cannot be read "
                                        f"({type(exc).__name__}); check it or send it again"))
                continue
            if record is None:
                continue
            record.sheet = sheet.name
            record.row = offset + 1
            record.locator = _locator(sheet, offset, several)
            if complete_col is not None:
                value = row[complete_col] if complete_col < len(row) else None
                if not cell_text(value):
                    record.status = "incomplete"
                    record.reason = said("response-unfinished")
            checks.check(record, offset, row)
            parsed.records.append(record)
        settle_unread_times(parsed, first, sheet.name)
    if not parsed.mappings and not parsed.problems:
        parsed.problems.append((None, None, "no sheet has column headings that match the survey's "
                                "questions; name the columns like the questions or use --source"))
    return parsed


#: A time written with slashes, its first two numbers (3/1/2024 9:00: 3 and 1).
_SLASHED_DATE = re.compile(r"\s*(\d{1,2})/(\d{1,2})/(\d{2,4})\b")
_TIME_ROLES = ("submitted", "modified", "started")


_TIME_UNREAD = f"{UNSURE}:row:time-unread" + "{"


def settle_unread_times(parsed: ParsedFile, first: int, sheet: str) -> None:
    """A sheet none of whose times could be read keeps its rows in the file's order: the
    flag on each row (``time-unread``: stored after those whose time was read) would not be
    true of any, so the sheet's report says it once instead, naming a time as written. The
    records of the sheet are ``parsed.records[first:]``."""
    records = parsed.records[first:]
    if not records or any(record.submitted is not None for record in records):
        return
    example = None
    for record in records:
        flags = [flag for flag in record.flags if not flag.startswith(_TIME_UNREAD)]
        if len(flags) != len(record.flags):
            example = example or parse_flag(next(
                flag for flag in record.flags if flag.startswith(_TIME_UNREAD))).args["time"]
            record.flags = flags
    if example is not None:
        parsed.notes.append(said("times-unread", sheet=repr(sheet), example=repr(example)))


def _times_as_written(profile: Profile, rows: list[list[Any]],
                      plan: list[tuple[str, int, str, str, str | None]], sheet: str
                      ) -> tuple[Profile, str | None]:
    """The profile to read a sheet's times with: day first where the sheet's own times show
    it; and the file report's note when the reading is a guess, else None.

    Microsoft Forms and SurveyMonkey write "3/1/2024" month first in English, but day first
    for an account in the United Kingdom (and so does Excel saving a CSV there): a time whose
    first number is over 12 ("13/01/2024") shows the sheet writes the day first, and then
    "03/01/2024" is 3 January, not 1 March. Read month first, those rows were out of order
    by time (a correction could be stored before the answer it corrects) and the others
    without a time. A sheet whose times show neither (every number 12 or under) or both is
    read as the profile says; when it shows neither and its dates would come in another
    order read the other way round, the reading is a guess, and the file's report says so.
    A sheet that shows both (times from two sources in one column) is noted too: its rows
    written the other way have no time, each flagged (``time-unread``)."""
    columns = [col for col, (_label, kind, role, _o, _w) in enumerate(plan)
               if kind == _META and role in _TIME_ROLES]
    if not columns or not any("%m/%d" in fmt for fmt in profile.timestamps):
        return profile, None
    day_first = month_first = ""  # a date that shows it, as written
    dates: dict[tuple[int, int, int], str] = {}  # (year, first, second) -> as written
    for row in rows:
        for col in columns:
            value = row[col] if col < len(row) else None
            found = _SLASHED_DATE.match(value) if type(value) is str else None
            if found is not None:
                first, second = int(found.group(1)), int(found.group(2))
                written = found.group(0).strip()
                # (both over 12: no date either way, flagged as unread, showing nothing)
                day_first = day_first or (written if first > 12 >= second else "")
                month_first = month_first or (written if second > 12 >= first else "")
                dates.setdefault((int(found.group(3)), first, second), written)
    if day_first and month_first:
        return profile, said("times-both-ways", sheet=repr(sheet), day_first=day_first,
                             month_first=month_first)
    if not day_first:
        if sorted(dates) == sorted(dates, key=lambda d: (d[0], d[2], d[1])):
            return profile, None
        return profile, said("times-day-or-month", sheet=repr(sheet), example=next(
            text for (_y, a, b), text in dates.items() if a != b))
    from dataclasses import replace

    return replace(profile, timestamps=tuple(fmt.replace("%m/%d", "%d/%m")
                                             for fmt in profile.timestamps)), None


class RowChecks:
    """What a response's row is doubted for, beyond its answers: a cell whose formula takes
    its text from other cells (``formula-reference``), a number or a date where text was
    asked (``number-cell``), and a row without the table's shape: more cells than the
    table's (``_usual_width``: an answer split at an unquoted separator) or broken across
    lines (``_broken_rows``: an unquoted line break). Every export's reader checks its rows
    with it (``check``), after reading each.

    ``questions``: the question id of each column answering one (its options' too);
    ``text_columns``: (column, question id) of each asking for words (``_text_columns``)."""

    def __init__(self, sheet: Sheet, header_index: int, start: int, questions: dict[int, str],
                 text_columns: list[tuple[int, str]]) -> None:
        self.usual = _usual_width(sheet, header_index, start)
        self.broken = _broken_rows(sheet.rows, start, self.usual)
        self.questions, self.text_columns = questions, text_columns
        self.linked: dict[int, list[tuple[int, str]]] = {}  # cells whose formula names a cell
        for (at, col), formula in sheet.references.items():
            self.linked.setdefault(at, []).append((col, formula))

    def check(self, record: RawRecord, offset: int, row: list[Any]) -> None:
        """Flag the record of the row at ``offset`` of the sheet; the rest of a broken row
        is no response (``incomplete``, and why)."""
        if offset in self.linked:
            record.unsure.extend(
                (self.questions[col], reason("formula-reference", formula=formula[:60],
                                             value=cell_text(row[col])[:80]))
                for col, formula in self.linked[offset]
                if col in self.questions and col < len(row))
        record.unsure.extend(_number_doubts(row, self.text_columns))
        usual = self.usual
        if len(row) > usual:
            cells = _filled_width(row)
            if cells > usual:
                record.flags.append(unsure("row", "row-cells-shifted", cells=cells,
                                           usual=usual))
        elif offset in self.broken:
            first, rest = self.broken[offset]
            if offset == first:
                record.flags.append(unsure("row", "row-line-broken", cells=len(row),
                                           usual=usual, rest=_row_numbers(rest)))
            else:  # the rest of a row: its cells are not the answers their headings ask
                # (nor is its "completed" cell: the reason is this one)
                record.status = "incomplete"
                record.reason = said("row-rest-of-previous", row=first + 1)


def _usual_width(sheet: Sheet, header_index: int, start: int) -> int:
    """The cells a row of the table has: its heading row's, or more when most rows have more
    (a column of notes with no heading, which ``_record`` keeps as notes).

    A row with more cells than that, filled beyond them, is a row of a text file in which an
    answer held the file's separator unquoted ("Tavoitteena on lukeminen; ja yhdessäolo" in
    a file separated by semicolons): the answer was split in two and each answer after it
    sits a column to the right, under another question. Which answer was split the row does
    not tell, so no value is moved back: the row is flagged (``row-cells-shifted``). A
    workbook's sheet is read with every row as wide as the sheet: none is ever wider."""
    from collections import Counter

    counts = Counter(len(row) for row in sheet.rows[start:] if row)  # blank lines left out
    # The commonest width; of widths as common, the narrowest (of two rows, one split).
    most = min(counts, key=lambda width: (-counts[width], width)) if counts else 0
    return max(len(sheet.rows[header_index]) if sheet.rows else 0, most)


def _broken_rows(rows: list[list[Any]], start: int, usual: int
                 ) -> dict[int, tuple[int, list[int]]]:
    """The rows of a text table that are one row broken across lines: each row's index ->
    (the first part's index, the indexes of the parts after it).

    An answer that held a line break unquoted ends its row in the middle of the answer; the
    rest of the answer begins the next line, and the row's other answers follow it there. The
    parts' cells add up to a whole row's, the broken answer counted twice (its halves), and a
    part after the first does not begin as the file's rows begin (its first cell is the rest
    of an answer, not a time like the other rows' first cells). Such parts are told only
    where every short row of the file is one of them: a file whose rows stop at their last
    filled cell (some programs leave the empty cells at a row's end out) has short rows of
    its own, and two of them may add up by chance. A workbook's sheet has no short rows."""
    short = [index for index in range(start, len(rows)) if 0 < len(rows[index]) < usual]
    if not short:
        return {}
    # How the whole rows' first cells are written ("9.9.9 9:9" for "2.3.2024 11:00").
    starts = {_shape(row[0]) for row in rows[start:] if len(row) == usual}
    if not starts:
        return {}
    broken: dict[int, tuple[int, list[int]]] = {}
    taken: set[int] = set()
    for first in short:
        if first in taken:
            continue
        parts, cells = [first], len(rows[first])
        while cells < usual and parts[-1] + 1 < len(rows) \
                and 0 < len(rows[parts[-1] + 1]) < usual \
                and _shape(rows[parts[-1] + 1][0]) not in starts:
            parts.append(parts[-1] + 1)
            cells += len(rows[parts[-1]]) - 1
        if cells != usual or len(parts) < 2:
            return {}  # a short row that is no part: the file's rows are short by themselves
        taken.update(parts)
        for index in parts:
            broken[index] = (first, parts[1:])
    return broken


def _shape(value: Any) -> str:
    """How a cell is written: its words as "a", its numbers as "9" ("2.3.2024 11:00" ->
    "9.9.9 9:9", "ja yhdessäolo" -> "a a")."""
    return _DIGITS.sub("9", _LETTERS.sub("a", cell_text(value)))


_LETTERS = re.compile(r"[^\W\d_]+")
_DIGITS = re.compile(r"\d+")


def _row_numbers(indexes: list[int]) -> str:
    """Rows as the report numbers them ("3", "3-4")."""
    return str(indexes[0] + 1) if len(indexes) == 1 else f"{indexes[0] + 1}-{indexes[-1] + 1}"


def _filled_width(row: list[Any]) -> int:
    """The cells of a row up to its last filled one."""
    for index in range(len(row) - 1, -1, -1):
        if row[index] is not None and row[index] != "":
            return index + 1
    return 0


def _locator(sheet: Sheet, offset: int, several: bool) -> str:
    return f"{sheet.name} row {offset + 1}" if several else f"row {offset + 1}"


def _unique_labels(headers: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    labels = []
    for index, header in enumerate(headers):
        label = header or f"column {index + 1}"
        if label in seen:
            seen[label] += 1
            label = f"{label} ({seen[label]})"
        else:
            seen[label] = 1
        labels.append(label)
    return labels


def apply_meta(record: RawRecord, meta: dict[str, Any], profile: Profile,
               fingerprint: str) -> None:
    """Set what the export's own columns say of a response: its id, token, municipality,
    account, time and language (every profile's reader, LimeSurvey's too)."""
    response_id = cell_text(meta.get("response_id"))
    if response_id:
        record.response_key = f"{profile.name}:{fingerprint}:{response_id}"
    token = cell_text(meta.get("token"))
    if token:
        record.token = token
    code = cell_text(meta.get("municipality_code"))
    if code:
        record.meta_code = code.zfill(3) if code.isdigit() else code
    email = cell_text(meta.get("account_email"))
    # (folded only for a profile that names anonymous accounts: a Google Forms export's
    # addresses, one per respondent, were each folded into fold's cache for nothing)
    if email and "@" in email and (not profile.anonymous or fold(email) not in profile.anonymous):
        record.account_email = email
    written = [meta[role] for role in _TIME_ROLES if meta.get(role) not in (None, "")]
    for value in written:
        record.submitted = profile.parse_time(value)
        if record.submitted is not None:
            break
    else:
        if written and cell_text(written[0]):  # stored after the rows with a time, flagged
            record.flags.append(unsure("row", "time-unread", time=cell_text(written[0])))
    language = cell_text(meta.get("start_language")).lower()[:2]
    if language in {"fi", "sv"}:
        record.language = language


#: A letter: text in a column that is no question is a note only when it has words.
_LETTER = re.compile(r"[^\W\d_]")

#: What a column holds: its label in the raw record, and a question's id, a metadata role or
#: nothing (see ``_column_plan``); a role whose cells are never kept (``UNKEPT_ROLES``).
_IGNORED, _META, _QUESTION, _UNKEPT = 0, 1, 2, 3


def _column_plan(maps: list[Mapping], labels: list[str], width: int
                 ) -> list[tuple[str, int, str, str, str | None]]:
    """Per mapped column, once per sheet: (label, kind, question id or metadata role, option,
    why an answer read through it is unsure)."""
    plan: list[tuple[str, int, str, str, str | None]] = []
    for col in range(width):
        mapping = maps[col]
        target = mapping.target
        if not target:
            plan.append((labels[col], _IGNORED, "", "", None))
        elif target.startswith("meta:"):
            role = target[5:]
            plan.append((labels[col], _UNKEPT if role in UNKEPT_ROLES else _META, role, "", None))
        else:
            question_id, _, option = target.partition(":")
            plan.append((labels[col], _QUESTION, question_id, option, unsure_reason(mapping)))
    return plan


def _text_columns(plan: list[tuple[str, int, str, str, str | None]], text_ids: frozenset[str]
                  ) -> list[tuple[int, str]]:
    """(Column, question id) of each column answering a question in words (not one of its
    options), once per sheet: ``_number_doubts`` looks at these cells of each row."""
    return [(col, question_id) for col, (_, kind, question_id, option, _) in enumerate(plan)
            if kind == _QUESTION and not option and question_id in text_ids]


def _number_doubts(row: list[Any], text_columns: list[tuple[int, str]]
                   ) -> list[tuple[str, str]]:
    """The text answers of a row that a spreadsheet holds as a number or a date (typed
    "2 000 €" kept as 2000, "1-3" as 3 January): (question id, reason) each, the columns
    ``_text_columns`` names. A CSV holds only text, so this speaks of workbooks."""
    width = len(row)
    return [(question_id, _NUMBER_CELL) for col, question_id in text_columns
            if col < width and (value := row[col]) is not None and type(value) is not str
            and isinstance(value, int | float | dt.date | dt.time | dt.timedelta)
            and not isinstance(value, bool)]


def _note_beside(notes: list[tuple[str, str]], label: str, value: Any) -> None:
    """Text in a column that is no question (one added to the form since, "Lisätietoja", a
    heading set aside): no field takes it, so the reviewers get it as a note, under its
    heading (a colon there would end the flag's field)."""
    if isinstance(value, str) and _LETTER.search(value):
        notes.append((label.replace(":", " –").strip(), value.strip()))


def _record(row: list[Any], plan: list[tuple[str, int, str, str, str | None]],
            profile: Profile, fingerprint: str) -> RawRecord | None:
    raw: dict[str, Any] = {}
    answers: dict[str, Any] = {}
    meta: dict[str, Any] = {}
    options: list[tuple[str, Any]] = []
    unsure: list[tuple[str, str]] = []
    notes: list[tuple[str, str]] = []
    filled = False
    # (a row may stop short of the headings, its empty cells left off, or go past them)
    for (label, kind, question_id, option, why), value in zip(plan, row, strict=False):
        if kind == _UNKEPT:
            continue  # the respondent's IP address: never stored (profiles.UNKEPT_ROLES)
        if value is None or value == "":
            raw[label] = value  # (JSON-ready as it is)
            continue
        filled = True
        raw[label] = value if type(value) is str else jsonable(value)
        if kind != _QUESTION:
            if kind == _META:
                meta[question_id] = value
            else:
                _note_beside(notes, label, value)
            continue
        if why:
            unsure.append((question_id, why))
        if option:
            options.append((option, value))
        elif question_id in answers:
            answers[question_id] = f"{cell_text(answers[question_id])}\n{cell_text(value)}"
        else:
            answers[question_id] = value
    for col in range(len(plan), len(row)):  # cells right of the headed columns
        value = row[col]
        if value is not None and value != "":
            filled = True
            raw[f"column {col + 1}"] = jsonable(value)
            _note_beside(notes, f"column {col + 1}", value)
    if not filled:
        return None
    if options:
        direct = answers.pop("target_group", None)
        pairs = list(options)
        if direct is not None:
            pairs.insert(0, ("", direct))
        answers["target_group"] = pairs
    elif "target_group" in answers:
        answers["target_group"] = _split_choices(answers["target_group"], profile)
    record = RawRecord(locator="", raw=raw, answers=answers, unsure=unsure, notes=notes)
    apply_meta(record, meta, profile, fingerprint)
    return record
