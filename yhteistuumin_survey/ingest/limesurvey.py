"""LimeSurvey: the survey's codes, survey structure files (``.lss``) and response exports.

A LimeSurvey export names its columns by question code (``targetGroup[children]``), by the
question's text (``Kenelle käytäntö on suunnattu? [Lapset]``) or both, and with "Answer codes"
its cells hold codes (``Y``, ``A2``). What a code means is in the survey's structure, never in
the export. So an export is read through a :class:`Structure`:

- our own survey's structure, made from ``survey/questions.yaml`` by :func:`our_structure`: the
  ONE place where a question id becomes a LimeSurvey code (``webform.py`` writes the ``.lss``
  from it, this module reads the export with it), or
- another survey's ``.lss`` (given with ``ingest --structure`` or lying beside the export), read
  by :func:`read_lss`; its questions are tied to the survey's fields by their texts.

Without a structure that fits, the export goes to the generic reader, and choice columns whose
headings are codes (``kenelle[SQ004]``) are flagged, never mapped by position
(:func:`flag_choice_codes`).
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import InputError
from ..flags import unsure
from ..normalise import fold  # cached: the same labels and titles are folded again and again
from ..outcomes import en as said
from ..outcomes import join as join_reasons
from ..survey import Survey
from ..tables import Sheet, cell_text
from .profiles import UNKEPT_ROLES
from .records import Mapping, ParsedFile, RawRecord, jsonable

if TYPE_CHECKING:
    from .mapping import HeadingMapper
    from .profiles import Profile

# --- LimeSurvey's code rules ------------------------------------------------------------------
# From LimeSurvey's application/models/Question.php, Question::rules() (LimeSurvey 4-6):
#   'title' length min 1, max 20;
#   a question code: pattern /^[a-z,A-Z][[:alnum:]]*$/ and not one of LANG, SID, SAVEDID, TOKEN,
#   QID, GID, SGQ, self, that, this (Expression Manager's words); unique in the survey;
#   a subquestion code: pattern /^[[:alnum:]]*$/, not 'time', not 'other' when the question has
#   "other", unique (case-insensitively) under its question.
# The importer (application/helpers/admin/import_helper.php, XMLImportSurvey) silently renames a
# code that breaks these rules (strips other characters, prefixes 'q'/'sq', or makes
# 'r<rand>q<n>'), and an export then carries the new name: so ours must never break them.
# Answer option codes: at most 5 letters and digits (the answers.code column is varchar(5)).
CODE_MAX = 20
ANSWER_CODE_MAX = 5
QUESTION_CODE = re.compile(r"[A-Za-z][A-Za-z0-9]*")
SUBQUESTION_CODE = re.compile(r"[A-Za-z0-9]+")
ANSWER_CODE = re.compile(r"[A-Za-z0-9]{1,5}")
RESERVED_QUESTION_CODES = frozenset({"LANG", "SID", "SAVEDID", "TOKEN", "QID", "GID", "SGQ",
                                     "self", "that", "this"})
RESERVED_SUBQUESTION_CODES = frozenset({"time", "other"})

#: The LimeSurvey question type of each of our question types.
LIME_TYPES = {"text": "S", "email": "S", "phone": "S", "municipalities": "S", "longtext": "T",
              "multichoice": "M", "consent": "Y"}
#: LimeSurvey types that hold free text, multiple choices (subquestions), one choice (answers).
TEXT_TYPES = frozenset("STUQN")
MULTI_TYPES = frozenset("MP")
LIST_TYPES = frozenset("L!O")
#: The export column of a multiple choice's "other" text, whatever language labels it.
OTHER = "other"
#: How LimeSurvey labels the "other" column in a full-text heading ("[Other]"), in the languages
#: the survey is answered in; the question's own other label is added from the structure.
OTHER_LABELS = frozenset(fold(s) for s in ("Other", "Muu", "Muu, mikä?", "Annat", "Annan",
                                           "Övrigt", "Andra"))
#: Cell values of a multiple-choice subquestion or a yes/no question ("Answer codes", "Full
#: answers" in fi/sv/en, and the export's "convert Y/N to 1/2" option).
TICKED = frozenset({"y", "yes", "kylla", "ja", "1", "true", "x"})
NOT_TICKED = frozenset({"", "n", "no", "ei", "nej", "2", "0", "false", "not selected",
                        "ei valittu", "inte vald", "inte valt", "n a"})


def make_code(identifier: str, taken: set[str], *, subquestion: bool = False) -> str:
    """Return a LimeSurvey code for an id (``target_group`` -> ``targetGroup``) within the rules.

    Letters and digits only (accents folded away), a letter first, at most 20 characters, not a
    reserved word, and unique (case-insensitively) among ``taken``, which it joins.
    """
    text = unicodedata.normalize("NFKD", identifier)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    words = [w for w in re.split(r"[^A-Za-z0-9]+", text) if w]
    code = "".join(w if i == 0 else w[:1].upper() + w[1:] for i, w in enumerate(words)) or "q"
    if not code[0].isalpha():
        code = ("sq" if subquestion else "q") + code
    code = code[:CODE_MAX]
    reserved = RESERVED_SUBQUESTION_CODES if subquestion else RESERVED_QUESTION_CODES
    reserved_folded = {r.casefold() for r in reserved}
    base, number = code, 1
    while code.casefold() in taken or code.casefold() in reserved_folded:
        number += 1
        suffix = str(number)
        code = base[:CODE_MAX - len(suffix)] + suffix
    taken.add(code.casefold())
    return code


def code_problems(code: str, *, subquestion: bool = False, other: bool = False) -> list[str]:
    """Return why LimeSurvey would rename a code (empty when it keeps it)."""
    problems = []
    if not 1 <= len(code) <= CODE_MAX:
        problems.append(f"{code!r} is not 1-{CODE_MAX} characters")
    pattern = SUBQUESTION_CODE if subquestion else QUESTION_CODE
    if not pattern.fullmatch(code):
        problems.append(f"{code!r} is not " + ("letters and digits" if subquestion
                                               else "a letter followed by letters and digits"))
    if subquestion:
        if code == "time" or (other and code.casefold() == "other"):
            problems.append(f"{code!r} is reserved for a subquestion")
    elif code in RESERVED_QUESTION_CODES:
        problems.append(f"{code!r} is a reserved word")
    return problems


# --- the structure ---------------------------------------------------------------------------


@dataclass
class LimeSubquestion:
    """A subquestion (one option of a multiple choice): its code and texts."""

    code: str
    texts: dict[str, str]
    #: What the normaliser is given for a ticked option: our choice's Finnish label, or the
    #: option's own text (another survey's option that may match a choice or be "other").
    label: str = ""


@dataclass
class LimeQuestion:
    """A question of a LimeSurvey survey and the field of ours it fills (None: none)."""

    qid: int
    code: str
    type: str
    texts: dict[str, str]
    helps: dict[str, str] = field(default_factory=dict)
    mandatory: bool = False
    other: bool = False
    subquestions: list[LimeSubquestion] = field(default_factory=list)
    answers: dict[str, dict[str, str]] = field(default_factory=dict)  # code -> lang -> text
    attributes: dict[str, str] = field(default_factory=dict)  # maximum_chars, other_replace_text…
    target: str | None = None  # our question id
    how: str = ""  # how the target was decided: "our code", "text: exact", …
    other_label: str = ""  # what the normaliser is given with an "other" text
    other_texts: dict[str, str] = field(default_factory=dict)  # the "other" option's label
    order: int = 0


@dataclass
class Structure:
    """A LimeSurvey survey's questions, with the fields of ours they fill."""

    questions: list[LimeQuestion]
    languages: list[str]
    titles: dict[str, str] = field(default_factory=dict)
    source: str = "our survey"
    ours: bool = False
    survey_id: int | None = None

    def mapped(self) -> list[LimeQuestion]:
        return [q for q in self.questions if q.target]


_OURS: dict[int, tuple[Survey, Structure]] = {}


def _our_structure(survey: Survey) -> Structure:
    taken: set[str] = set()
    questions: list[LimeQuestion] = []
    for number, question in enumerate(survey.questions, start=1):
        item = LimeQuestion(
            qid=number, code=make_code(question.id, taken), type=LIME_TYPES[question.type],
            texts=dict(question.labels), helps=dict(question.help), mandatory=question.required,
            other=question.type == "multichoice" and question.other is not None,
            target=question.id, how="our code")
        if question.max_length and item.type in TEXT_TYPES:
            item.attributes["maximum_chars"] = str(question.max_length)
        if question.type == "multichoice":
            sub_taken: set[str] = set()
            item.subquestions = [LimeSubquestion(make_code(choice.id, sub_taken, subquestion=True),
                                                 dict(choice.labels), choice.label("fi"))
                                 for choice in question.choices]
            if question.other is not None:
                item.other_label = question.other.label("fi")
                item.other_texts = dict(question.other.labels)
        questions.append(item)
    return Structure(questions=questions, languages=["fi", "sv"], titles=dict(survey.titles),
                     ours=True)


def our_structure(survey: Survey) -> Structure:
    """Return our survey as LimeSurvey questions: the one mapping of ids to codes."""
    cached = _OURS.get(id(survey))
    if cached is None or cached[0] is not survey:
        cached = _OURS[id(survey)] = (survey, _our_structure(survey))
    return cached[1]


def _flatten(text: str) -> str:
    """A question text as an export writes it: tags dropped, entities decoded, one line."""
    text = re.sub(r"<[^>]*>", " ", text or "")
    return " ".join(html.unescape(text).replace("\u00a0", " ").split())


def read_lss(path: Path) -> Structure:
    """Read a LimeSurvey survey structure file (``.lss``, LimeSurvey 3-6)."""
    from defusedxml import ElementTree
    from defusedxml.common import DefusedXmlException

    try:
        root = ElementTree.parse(str(path)).getroot()
    except (ElementTree.ParseError, DefusedXmlException, OSError) as exc:
        raise InputError(said("lss-unreadable", file=path, error=type(exc).__name__)) from None
    if (root.findtext("LimeSurveyDocType") or "").strip() != "Survey":
        raise InputError(said("lss-not-structure", file=path))
    languages = [(e.text or "").strip() for e in root.findall("languages/language")]

    def rows(section: str) -> list[dict[str, str]]:
        return [{child.tag: (child.text or "") for child in row}
                for row in root.findall(f"{section}/rows/row")]

    texts: dict[int, dict[str, str]] = {}
    helps: dict[int, dict[str, str]] = {}
    for row in rows("question_l10ns"):
        qid = _int(row.get("qid"))
        texts.setdefault(qid, {})[row.get("language", "")] = _flatten(row.get("question", ""))
        helps.setdefault(qid, {})[row.get("language", "")] = _flatten(row.get("help", ""))
    by_qid: dict[int, LimeQuestion] = {}
    subs: list[dict[str, str]] = []
    for row in rows("questions") + rows("subquestions"):
        qid = _int(row.get("qid"))
        if "question" in row:  # before LimeSurvey 4 the texts are in the question rows
            texts.setdefault(qid, {})[row.get("language", "")] = _flatten(row["question"])
            helps.setdefault(qid, {})[row.get("language", "")] = _flatten(row.get("help", ""))
        if _int(row.get("parent_qid")):
            subs.append(row)
        elif qid not in by_qid:
            by_qid[qid] = LimeQuestion(
                qid=qid, code=row.get("title", ""), type=row.get("type", ""), texts={},
                mandatory=row.get("mandatory") == "Y", other=row.get("other") == "Y",
                attributes={}, order=_int(row.get("question_order")))
    seen_subs: set[int] = set()
    for row in sorted(subs, key=lambda r: _int(r.get("question_order"))):
        qid, parent = _int(row.get("qid")), by_qid.get(_int(row.get("parent_qid")))
        if parent is None or qid in seen_subs or _int(row.get("scale_id")):
            continue
        seen_subs.add(qid)
        parent.subquestions.append(LimeSubquestion(row.get("title", ""), texts.get(qid, {})))
    answer_texts: dict[int, dict[str, str]] = {}
    for row in rows("answer_l10ns"):
        answer_texts.setdefault(_int(row.get("aid")), {})[row.get("language", "")] = \
            _flatten(row.get("answer", ""))
    for row in rows("answers"):
        question = by_qid.get(_int(row.get("qid")))
        if question is None or _int(row.get("scale_id")):
            continue
        labels = answer_texts.get(_int(row.get("aid")), {})
        if "answer" in row:
            labels = {row.get("language", ""): _flatten(row["answer"])}
        question.answers.setdefault(row.get("code", ""), {}).update(labels)
    for row in rows("question_attributes"):
        question = by_qid.get(_int(row.get("qid")))
        if question is not None and row.get("value"):
            name = row.get("attribute", "")
            if row.get("language"):
                name = f"{name}:{row['language']}"
            question.attributes[name] = row["value"]
    for qid, question in by_qid.items():
        question.texts = texts.get(qid, {})
        question.other_texts = {k.split(":", 1)[1]: v for k, v in question.attributes.items()
                                if k.startswith("other_replace_text:")}
        question.helps = {k: v for k, v in helps.get(qid, {}).items() if v}
    titles = {row.get("surveyls_language", ""): _flatten(row.get("surveyls_title", ""))
              for row in rows("surveys_languagesettings")}
    sid = next((_int(row.get("sid")) for row in rows("surveys")), None)
    order = sorted(by_qid.values(), key=lambda q: (q.order, q.qid))
    if not order:
        raise InputError(said("lss-no-questions", file=path))
    return Structure(questions=order, languages=languages, titles=titles, source=str(path),
                     survey_id=sid)


def _int(value: Any) -> int:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return 0


def bind(structure: Structure, survey: Survey, mapper: HeadingMapper) -> Structure:
    """Tie another survey's questions to our fields by their texts (in any of its languages).

    A question fills a field when one of its texts (or, failing that, its code) names the field
    by the mapper's sure rules (exact, label, contained, truncated); a fuzzy likeness is not
    enough. Each field is filled by its first question; a multiple choice only fills a choice
    field, a yes/no or list question only a consent or text field. Options keep their own text,
    which the normaliser matches to our choices (or keeps as "other").
    """
    if structure.ours:
        return structure
    types = {q.id: q.type for q in survey.questions}
    taken: set[str] = set()
    for question in structure.questions:
        question.target, question.how = None, ""
        candidates = [*question.texts.values(), question.code]
        for text in candidates:
            hit = mapper.match(text) if text else None
            if hit is None or hit.option is not None or hit.method == "fuzzy":
                continue
            kind = types.get(hit.question_id)
            if question.type in MULTI_TYPES and kind != "multichoice":
                continue
            if question.type not in MULTI_TYPES and kind == "multichoice" \
                    and question.type not in LIST_TYPES:
                continue
            if hit.question_id in taken:
                question.how = f"{hit.question_id} already filled by another question"
                break
            question.target, question.how = hit.question_id, f"text: {hit.method}"
            taken.add(hit.question_id)
            break
        lang = next(iter(question.texts), "")
        for sub in question.subquestions:
            sub.label = sub.texts.get(lang) or next(iter(sub.texts.values()), sub.code)
        other_text = question.attributes.get(f"other_replace_text:{lang}")
        question.other_label = other_text or "Muu"
    return structure


# --- reading an export -----------------------------------------------------------------------

_BRACKET = re.compile(r"^(.*?)\s*\[([^\]]*)\]\s*$")
_CODE_PREFIX = re.compile(r"^([A-Za-z][A-Za-z0-9]*(?:\[[A-Za-z0-9]+\]|_[A-Za-z0-9]+)?)\s*[.:\-]\s*(.+)$")
_ELLIPSIS = re.compile(r"(\.\.\.?|…)\s*$")


@dataclass
class _Column:
    question: LimeQuestion
    sub: LimeSubquestion | None = None
    other: bool = False
    method: str = "code"


class _Index:
    """Every heading an export of one structure can carry, to the question (and option) it is."""

    def __init__(self, structure: Structure) -> None:
        self.structure = structure
        self.codes: dict[str, _Column] = {}
        self.texts: dict[str, LimeQuestion] = {}
        for question in structure.mapped():
            code = question.code.casefold()
            self.codes[code] = _Column(question)
            for sub in question.subquestions:
                for key in (f"{code}[{sub.code.casefold()}]", f"{code}_{sub.code.casefold()}"):
                    self.codes[key] = _Column(question, sub)
            if question.other:
                for key in (f"{code}[other]", f"{code}_other"):
                    self.codes[key] = _Column(question, other=True)
            for text in question.texts.values():
                if text:
                    self.texts.setdefault(fold(text), question)

    def resolve(self, header: str) -> _Column | None:
        header = " ".join(str(header).replace("\u00a0", " ").split())
        if not header:
            return None
        found = self.codes.get(header.casefold())
        if found:
            return found
        prefix = _CODE_PREFIX.match(header)  # "code. text" (the code-and-text headings)
        if prefix:
            found = self.codes.get(prefix.group(1).casefold())
            if found:
                return _Column(found.question, found.sub, found.other, "code")
        return self._text(header)

    def _question_by_text(self, text: str) -> LimeQuestion | None:
        key = fold(text.replace("_", " "))
        if key in self.texts:
            return self.texts[key]
        if _ELLIPSIS.search(text):  # "Abbreviated question text": a unique prefix
            stem = fold(_ELLIPSIS.sub("", text))
            if len(stem) >= 4:
                hits = {id(q): q for k, q in self.texts.items() if k.startswith(stem)}
                if len(hits) == 1:
                    return next(iter(hits.values()))
        return None

    def _text(self, header: str) -> _Column | None:
        question = self._question_by_text(header)
        if question is not None:
            return _Column(question, method="text")
        bracket = _BRACKET.match(header)
        if not bracket:
            return None
        question = self._question_by_text(bracket.group(1))
        if question is None:
            return None
        option = fold(bracket.group(2))
        for sub in question.subquestions:
            if option in {fold(t) for t in sub.texts.values()} or option == fold(sub.code):
                return _Column(question, sub, method="text")
        other_labels = OTHER_LABELS | {fold(question.other_label)} | {
            fold(v) for v in question.other_texts.values()}
        if question.other and option in other_labels:
            return _Column(question, other=True, method="text")
        return None


def _columns(headers: list[str], index: _Index, profile: Profile) -> list[_Column | str | None]:
    """Per column: a question column, a metadata role (``meta:token``), or None."""
    out: list[_Column | str | None] = []
    for header in headers:
        role = profile.meta_role(header) if header else None
        column = index.resolve(header) if header and role is None else None
        if column is not None:
            out.append(column)
        elif role:
            out.append(f"meta:{role}")
        elif index.structure.ours and header.strip().casefold() == "attribute_1":
            out.append("meta:municipality_code")  # our participants' attribute (webform.py)
        else:
            out.append(None)
    return out


def _fit(sheet: Sheet, index: _Index, profile: Profile) -> tuple[int, int, list[_Column | str | None]]:
    """The header row of a sheet for one structure: (row, questions it resolves, columns)."""
    best: tuple[int, int, list[_Column | str | None]] = (0, -1, [])
    for row_index, row in enumerate(sheet.rows[:max(profile.search_rows, 1)]):
        columns = _columns([cell_text(c) for c in row], index, profile)
        count = len({id(c.question) for c in columns if isinstance(c, _Column)})
        if count > best[1]:
            best = (row_index, count, columns)
    return best


def _tick(value: Any) -> bool | None:
    """Whether a subquestion cell (or a yes/no cell) says yes; None when it says neither."""
    if isinstance(value, bool):
        return value
    folded = fold(cell_text(value))
    if folded in TICKED:
        return True
    if folded in NOT_TICKED:
        return False
    return None


#: Participant fields an export may carry beside the answers (code and text headings).
PARTICIPANT_HEADINGS = frozenset(fold(s) for s in (
    "firstname", "lastname", "email", "emailstatus", "language", "tid", "First name", "Last name",
    "Email address", "Email status", "Etunimi", "Sukunimi", "Sähköpostiosoite", "Förnamn",
    "Efternamn", "E-postadress"))


def _unexplained(headers: list[str], columns: list[_Column | str | None],
                 mapper: HeadingMapper | None) -> list[str]:
    """Headings a structure leaves unexplained that name one of the survey's questions: the
    export is then not of that structure (another survey's codes, ``kenelle[SQ004]``)."""
    if mapper is None:
        return []
    out = []
    for header, column in zip(headers, columns, strict=False):
        if column is not None or not header.strip() or fold(header) in PARTICIPANT_HEADINGS \
                or re.fullmatch(r"attribute_\d+", header.strip()):
            continue
        if mapper.match(header) is not None:
            out.append(header)
    return out


def read_limesurvey(sheets: list[Sheet], *, survey: Survey, profile: Profile,
                    structures: list[Structure],
                    mapper: HeadingMapper | None = None) -> ParsedFile | None:
    """Read a LimeSurvey export through the structure that explains its columns.

    A structure fits when it explains at least two of the export's questions and leaves no
    column unexplained that names one of the survey's questions. Returns None when none fits
    (another survey given without its structure): the caller then reads it generically and
    flags its choice codes.
    """
    candidates = [s for s in sheets if not s.hidden and s.rows] or [s for s in sheets if s.rows]
    best: tuple[int, int, Sheet, Structure, list[_Column | str | None]] | None = None
    for structure in structures:
        index = _Index(structure)
        for sheet in candidates:
            row, count, columns = _fit(sheet, index, profile)
            headers = [cell_text(c) for c in sheet.rows[row]] if sheet.rows else []
            if _unexplained(headers, columns, mapper):
                continue
            if best is None or count > best[1]:
                best = (row, count, sheet, structure, columns)
    if best is None or best[1] < 2:
        return None
    header_index, _count, sheet, structure, columns = best
    headers = [cell_text(c) for c in sheet.rows[header_index]]
    parsed = ParsedFile(format=profile.name)
    maps = [_mapping(header, column, structure)
            for header, column in zip(headers, columns, strict=False)]
    parsed.mappings.append((sheet.name, maps))
    if not structure.ours:
        parsed.notes.append(said("lss-read-with", name=Path(structure.source).name))
    labels = [h or f"column {i + 1}" for i, h in enumerate(headers)]
    fingerprint = _fingerprint(structure)
    from .forms import RowChecks, settle_unread_times

    checks = RowChecks(sheet, header_index, header_index + 1, {
        col: column.question.target for col, column in enumerate(columns)
        if isinstance(column, _Column) and column.question.target}, [
        (col, column.question.target) for col, column in enumerate(columns)
        if isinstance(column, _Column) and column.question.target and column.sub is None
        and not column.other and column.question.type in TEXT_TYPES - {"N"}])
    for offset, line in enumerate(sheet.rows[header_index + 1:], start=header_index + 1):
        record = _record(line, columns, labels, profile, fingerprint)
        if record is None:
            continue
        record.sheet, record.row, record.locator = sheet.name, offset + 1, f"row {offset + 1}"
        checks.check(record, offset, line)
        parsed.records.append(record)
    settle_unread_times(parsed, 0, sheet.name)
    return parsed


def _mapping(header: str, column: _Column | str | None, structure: Structure) -> Mapping:
    if column is None:
        return Mapping(header, "", "ignored", 0.0)
    if isinstance(column, str):
        return Mapping(header, column, "meta")
    question = column.question
    target = question.target or ""
    how = "code" if column.method == "code" else "question text"
    note = f"{question.code}" + (f"[{column.sub.code}]" if column.sub else "[other]" if column.other
                                 else "")
    if not structure.ours:
        note += f" of {Path(structure.source).name} ({question.how})"
    if column.sub is not None:
        target = f"{target}:{column.sub.label}"
    elif column.other:
        target = f"{target}:{question.other_label}"
    return Mapping(header, target, how, note=note)


def _fingerprint(structure: Structure) -> str:
    import hashlib

    text = "\n".join(f"{q.code}:{q.target}" for q in structure.questions)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def _apply_meta(record: RawRecord, meta: dict[str, Any], profile: Profile,
                fingerprint: str) -> None:
    """Set what LimeSurvey's own columns say of a response (as every profile's reader does),
    and whether it was finished."""
    from .forms import apply_meta

    apply_meta(record, meta, profile, fingerprint)
    if profile.complete_when and not cell_text(meta.get(profile.complete_when)):
        record.status = "incomplete"
        record.reason = said("response-unfinished")


def _record(row: list[Any], columns: list[_Column | str | None], labels: list[str],
            profile: Profile, fingerprint: str) -> RawRecord | None:
    raw: dict[str, Any] = {}
    meta: dict[str, Any] = {}
    answers: dict[str, Any] = {}
    choices: dict[str, list[tuple[str, Any]]] = {}
    unclear: list[str] = []
    filled = False
    for col, value in enumerate(row):
        label = labels[col] if col < len(labels) else f"column {col + 1}"
        column = columns[col] if col < len(columns) else None
        if isinstance(column, str) and column[5:] in UNKEPT_ROLES:
            continue  # the respondent's IP address: never stored (profiles.UNKEPT_ROLES)
        raw[label] = jsonable(value)
        if value is None or cell_text(value) == "":
            continue
        filled = True
        if column is None:
            continue
        if isinstance(column, str):
            meta[column[5:]] = value
            continue
        question = column.question
        target = question.target
        if not target:
            continue
        if column.sub is not None:
            ticked = _tick(value)
            if ticked is None:
                unclear.append(f"{label}: {cell_text(value)!r}")
            elif ticked:
                choices.setdefault(target, []).append((column.sub.label, "Y"))
        elif column.other:
            choices.setdefault(target, []).append((question.other_label, cell_text(value)))
        elif question.type == "Y":
            ticked = _tick(value)
            answers[target] = value if ticked is None else ticked
        elif question.type in LIST_TYPES and cell_text(value) in question.answers:
            texts = question.answers[cell_text(value)]
            answers[target] = next(iter(texts.values()), value)
        elif target in answers:
            answers[target] = f"{cell_text(answers[target])}\n{cell_text(value)}"
        else:
            answers[target] = value
    if not filled:
        return None
    for target, pairs in choices.items():
        direct = answers.pop(target, None)
        answers[target] = ([("", direct)] if direct is not None else []) + pairs
    record = RawRecord(locator="", raw=raw, answers=answers)
    if unclear:
        record.flags.append("choice-value-unclear:" + "; ".join(unclear))
    _apply_meta(record, meta, profile, fingerprint)
    return record


# --- choice codes without their meaning --------------------------------------------------------

#: A choice written as a code: SQ004, A1, 3, Q3_2, opt12 (letters then digits, no space).
_CHOICE_CODE = re.compile(r"[A-Za-z_]{0,8}\d{1,4}[A-Za-z0-9_]{0,4}")
#: Codes are flagged like every other unsure reading: ``unsure:<field>:choice-codes{…}``.
CODES_REASON = "choice codes without their texts: give the survey structure"


def flag_choice_codes(parsed: ParsedFile, survey: Survey) -> None:
    """Drop choices that are codes with no known meaning, and flag the field instead.

    A choice column headed by a code (``kenelle[SQ004]``) or a cell holding codes (``A1;A3``)
    says nothing about which choice it is: whoever built that form chose the codes. Mapping them
    by position would be a guess; the practice is flagged for the reviewers instead
    (``unsure:<field>:choice codes without their texts …``), with the reason in the ingest
    report.
    """
    from ..normalise import parse_target_groups

    multichoice = [q.id for q in survey.questions if q.type == "multichoice"]

    def is_code(text: str) -> bool:
        text = text.strip()
        if not _CHOICE_CODE.fullmatch(text):
            return False
        return parse_target_groups([text], survey) == [f"other:{text}"]

    for _sheet, maps in parsed.mappings:
        for index, mapping in enumerate(maps):
            question, _, option = mapping.target.partition(":")
            if question in multichoice and option and is_code(option):
                maps[index] = Mapping(mapping.header, mapping.target, mapping.method, mapping.score,
                                      note=f"{CODES_REASON} (ingest --structure FILE.lss)")
    for record in parsed.records:
        found: dict[str, list[str]] = {}
        for question_id in multichoice:
            value = record.answers.get(question_id)
            if isinstance(value, list) and value and all(
                    isinstance(v, tuple | list) and len(v) == 2 for v in value):
                kept = []
                for option, cell in value:
                    if option and is_code(str(option)):
                        found.setdefault(question_id, [])
                        if _tick(cell) is not False:
                            found[question_id].append(str(option))
                    else:
                        kept.append((option, cell))
                if len(kept) != len(value):
                    if kept:
                        record.answers[question_id] = kept
                    else:
                        record.answers.pop(question_id)
            elif isinstance(value, str | list):
                parts = value if isinstance(value, list) else re.split(r"[;,]", value)
                parts = [str(p).strip() for p in parts if str(p).strip()]
                if parts and all(is_code(p) for p in parts):
                    record.answers.pop(question_id)
                    found[question_id] = parts
        for question_id, codes in found.items():
            # The same flag as normalise raises for codes it meets: one wording for reviewers.
            record.flags.append(unsure(question_id, "choice-codes",
                                       codes=codes[:5] + (["…"] if len(codes) > 5 else [])))
        if found:
            shown = ", ".join(c for codes in found.values() for c in codes[:5])
            note = said("choice-codes-shown", codes=shown) if shown else said("choice-codes")
            record.reason = join_reasons(record.reason, note)


# --- structures found with the files ----------------------------------------------------------


def load_structures(paths: list[Path] | tuple[Path, ...]) -> list[Structure]:
    """Read the ``.lss`` files given with ``--structure`` (a bad one is an error for the run)."""
    return [read_lss(Path(path)) for path in paths]


@cache
def _beside(folder: Path, stamp: tuple[tuple[str, float], ...]) -> tuple[Structure, ...]:
    found = []
    for name, _mtime in stamp:
        try:
            found.append(read_lss(folder / name))
        except InputError:
            continue  # reported as that file's own outcome
    return tuple(found)


def structures_beside(path: Path) -> list[Structure]:
    """The LimeSurvey structures (``*.lss``) in the folder of an export."""
    folder = Path(path).parent
    try:
        stamp = tuple(sorted((p.name, p.stat().st_mtime) for p in folder.glob("*.lss")))
    except OSError:
        return []
    return list(_beside(folder, stamp)) if stamp else []
