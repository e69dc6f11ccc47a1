"""Read our questionnaire workbooks, and questionnaire-like workbooks without our metadata.

Our workbook (``yhteistuumin_survey/questionnaire.py`` writes it) has a hidden ``_meta`` sheet
(survey id and version, municipality code, token, language) and one sheet per practice: labels
in column A, answers in column B, and a hidden machine key per row in column C
(``practice:<n>`` in C1, ``<question id>``, ``target_group:<choice id>``). The reader trusts
the key where it is intact and otherwise reads the label, so that what people do to
spreadsheets survives: added rows (their text joins the answer above), merged cells, an
answer typed beside the answer cell, a note in a wrong cell (kept in the raw record), a
practice sheet copied to report one more, a workbook re-saved as ``.ods`` or ``.xls``.

A workbook without our metadata is read the same way when one of its first columns holds
question labels (Finnish, Swedish or English) with the answers beside them; a sheet holding
several practices one below the other starts a new practice where a question repeats.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from functools import cache, lru_cache
from itertools import chain, repeat
from operator import methodcaller
from typing import Any

from ..errors import InputError
from ..flags import reason
from ..normalise import (
    _FALSE_MARKS,
    _TRUE_MARKS,
    _UNCHOSEN,
    _YES_SYMBOLS,
    fold,  # cached: the same labels and titles are folded again and again
)
from ..outcomes import en as said
from ..outcomes import join as join_reasons
from ..survey import Survey
from ..tables import Sheet, cell_text, cells_text
from .mapping import HeadingMapper
from .records import (
    COMMENT_NOTE,
    TEXT_BOX_NOTE,
    Mapping,
    ParsedFile,
    RawRecord,
    jsonable,
    unsure_reason,
)

META_SHEET = "_meta"
#: A practice read from a sheet the municipality had hidden: a reviewer decides whether it
#: was meant to be sent.
HIDDEN_SHEET_FLAG = "hidden-sheet"
HIDDEN_SHEET_REASON = said("hidden-sheet")
#: Whether a cell is the builder's key of a practice sheet's heading row (``practice:1``).
_is_sheet_key = methodcaller("startswith", "practice:")
_TEXT_TYPES = {"text", "longtext"}
#: Why a number or date in a text answer is checked: Excel turns typed "15 %", "2 000 €" and
#: "1.3." into a number or a date, and a file keeps the value, not what was shown.
_NUMBER_CELL = reason("number-cell")
_MAX_LABEL = 300


#: The identification rows people copy into a questionnaire they lay out themselves (or
#: unhide from ``_meta``), in Finnish, Swedish and English, and the ``_meta`` keys: read as
#: metadata wherever they are typed in a visible sheet, never as answers or notes.
META_LABELS = {fold(label): key for key, labels in {
    "survey_id": ("survey_id", "kyselyn tunnus", "enkätens id", "survey id"),
    "survey_version": ("survey_version", "kyselyn versio", "kyselyversio", "enkätversion",
                       "enkätens version", "survey version"),
    "municipality_code": ("municipality_code", "kuntakoodi", "kunnan koodi", "kuntanumero",
                          "kommunkod", "kommunens kod", "kommunnummer", "municipality code"),
    "token": ("token", "vastaustunniste", "vastauskoodi", "svarskod", "svarsnyckel",
              "svarsidentifierare", "response token", "response code"),
    "layout_version": ("layout_version",),
}.items() for label in labels}


def pad_code(code: str) -> str:
    """A municipality code typed as a number keeps its leading zeros (75 -> 075)."""
    code = code.strip()
    if code.endswith(".0") and code[:-2].isdigit():
        code = code[:-2]
    return code.zfill(3) if code.isdigit() and len(code) < 3 else code


def visible_meta(sheet: Sheet) -> tuple[Sheet, dict[str, str]]:
    """Take the identification rows typed in a visible sheet out of it.

    A cell holding a metadata label ("Kuntakoodi", "Vastaustunniste", "Kyselyn versio",
    their Swedish and English names, or a ``_meta`` key) with its value in the next filled
    cell to its right is metadata: both cells are emptied in the returned copy, so the
    readers never take them for an answer or a note.
    """
    meta: dict[str, str] = {}
    rows: list[list[Any]] | None = None
    # Each different cell text looked up once (at C speed); most sheets have no label at all.
    try:
        different = set(chain.from_iterable(sheet.rows))
    except TypeError:  # an unhashable cell value: every cell is looked at below
        different = None
    if different is not None and not _any_meta_label(different):
        return sheet, meta
    for index, row in enumerate(sheet.rows):
        for col, cell in enumerate(row):
            if not isinstance(cell, str) or len(cell) > 40:
                continue
            key = META_LABELS.get(fold(cell))
            if key is None:
                continue
            value_col = next((c for c in range(col + 1, len(row)) if cell_text(row[c])), None)
            if value_col is None:
                continue
            if rows is None:
                rows = [list(r) for r in sheet.rows]
            meta.setdefault(key, cell_text(row[value_col]))
            rows[index][col] = None
            rows[index][value_col] = None
    if rows is None:
        return sheet, meta
    return replace(sheet, rows=rows), meta


#: Short cell texts known to be no metadata label (``_any_meta_label``): a round's
#: questionnaires carry the same labels, keys and ticks on every sheet, passed over at C
#: speed. At most ``_NOT_META_MAX`` (then no more are added).
_NOT_META: set[str] = set()
_NOT_META_MAX = 4096


def _any_meta_label(values: set[Any]) -> bool:
    """Whether any of a sheet's different cell values is a metadata label (a text of at most
    40 characters that ``META_LABELS`` knows folded)."""
    for value in values - _NOT_META:
        if isinstance(value, str) and len(value) <= 40:
            if fold(value) in META_LABELS:
                return True
            if len(_NOT_META) < _NOT_META_MAX:
                _NOT_META.add(value)
    return False


def meta_of(sheets: list[Sheet]) -> dict[str, str] | None:
    """Return the key/value pairs of the ``_meta`` sheet, or None when there is none."""
    for sheet in sheets:
        if sheet.name.strip().casefold() == META_SHEET:
            return {cell_text(row[0]): cell_text(row[1]) for row in sheet.rows
                    if len(row) >= 2 and cell_text(row[0])}
    return None


def _is_practice_sheet(sheet: Sheet) -> bool:
    return _key_column(sheet) is not None


def _key_column(sheet: Sheet) -> int | None:
    """The column of a practice sheet's hidden keys (``practice:1`` heads it): the third, or
    further right where the municipality inserted columns before it; None for another sheet."""
    for row in sheet.rows[:3]:
        for col in range(2, min(len(row), 8)):
            if cell_text(row[col]).startswith("practice:"):
                return col
    return None


def is_questionnaire(sheets: list[Sheet]) -> bool:
    """Whether the workbook is one of ours (a ``_meta`` sheet or keyed practice sheets)."""
    return meta_of(sheets) is not None or any(_is_practice_sheet(s) for s in sheets)


def label_column(sheet: Sheet, mapper: HeadingMapper, max_rows: int = 120) -> tuple[int, int]:
    """Return (column, number of different questions labelled) of the column that labels most.

    Different questions, not cells: a table column whose every cell reads "Tavoite." names
    one question however many rows it has, and is not a column of labels.
    """
    found: list[set[str]] = [set(), set(), set(), set()]
    for row in sheet.rows[:max_rows]:
        for col in range(min(4, len(row))):
            text = cell_text(row[col])
            if not text or len(text) > _MAX_LABEL:
                continue
            hit = mapper.label(text)  # what match gives by these methods, without the guesses
            if hit is not None and hit.method in {"exact", "label", "option"}:
                found[col].add(hit.question_id if hit.option is None
                               else f"{hit.question_id}:{hit.option}")
    best = max(range(4), key=lambda c: len(found[c]))
    return best, len(found[best])


class _SheetReader:
    """Reads one practice sheet (ours or questionnaire-like) into one or more records."""

    def __init__(self, survey: Survey, mapper: HeadingMapper, label_col: int,
                 key_col: int | None):
        self.survey = survey
        self.mapper = mapper
        self.label_col = label_col
        self.key_col = key_col
        self.dropped = 0
        self.ids = {q.id: q for q in survey.questions}
        self.multichoice = {q.id for q in survey.questions if q.type == "multichoice"}
        # Choice labels (any language, aliases) of each multiple-choice question: a tick row
        # whose hidden key was lost (a merged cell) is still recognised by its label.
        self.choice_labels: dict[str, dict[str, str]] = {}
        for question in survey.questions:
            labels: dict[str, str] = {}
            for choice in (*question.choices, *((question.other,) if question.other else ())):
                for text in (*choice.labels.values(), *choice.aliases):
                    labels.setdefault(fold(text), choice.label("fi"))
            if question.type == "multichoice":
                self.choice_labels[question.id] = labels
        # What ``_key_of`` gives for each key the builder writes, worked out once: every
        # keyed row of every sheet looks its key up (any other text is worked out each time).
        self.builder_keys: dict[str, tuple[str, str | None] | None] = {}
        for question in survey.questions:
            written = [question.id, *(f"{question.id}:{choice.id}" for choice in question.choices)]
            if question.other is not None:
                written.append(f"{question.id}:{question.other.id}")
            for key in written:
                self.builder_keys[key] = self._key_of(key)
        #: ``_label_known`` of a (label, question, option) seen before: the same labels come
        #: on every sheet (bounded: a label typed over a question cell is anybody's text).
        self._label_known = lru_cache(maxsize=4096)(self._label_known_of)

    def _key(self, cells: list[str]) -> tuple[str, str | None] | None:
        """Return (question id, option label) from the hidden key column (a row's cells as
        text), if intact."""
        if self.key_col is None or self.key_col >= len(cells):
            return None
        key = cells[self.key_col]
        if key in self.builder_keys:
            return self.builder_keys[key]
        return self._key_of(key)

    def _key_of(self, key: str) -> tuple[str, str | None] | None:
        """The (question id, option label) a key cell's text names, None for other text."""
        question_id, _, option = key.partition(":")
        question = self.ids.get(question_id)
        if question is None:
            return None
        if not option:
            return question_id, None
        if question.other is not None and option == question.other.id:
            return question_id, question.other.label("fi")
        for choice in question.choices:
            if choice.id == option:
                return question_id, choice.label("fi")
        return question_id, option

    def _label_known_of(self, label: str, question_id: str, option: str | None) -> bool:
        """Whether a keyed row's label cell holds a question's or a choice's label (any
        language or version the heading rules know), rather than text someone typed."""
        if option is not None:
            labels = self.choice_labels.get(question_id, {})
            # A bilingual questionnaire labels each choice "Lapset / Barn".
            if all(fold(half) in labels for half in label.split(" / ")):
                return True
        return len(label) <= _MAX_LABEL and self.mapper.label(label) is not None

    def _typed_as_number(self, row: list[Any], question_id: str,
                         option: str | None = None) -> bool:
        """Whether the answer cell of a text question, or of a choice question's "other"
        row (where the group is named: "7-9" became 7 September), holds a number or a date,
        not text."""
        answer_col = self.label_col + 1
        if answer_col >= len(row):
            return False
        cell = row[answer_col]
        if cell is None or type(cell) is str:  # most cells: the question need not be looked at
            return False
        question = self.ids[question_id]
        if option is None:
            asks_text = question.type in _TEXT_TYPES
        else:
            asks_text = question.other is not None and \
                option in (question.other.id, question.other.label("fi"))
        return asks_text and isinstance(cell, int | float | dt.date | dt.time | dt.timedelta) and \
            not isinstance(cell, bool)

    def _cell_doubts(self, sheet: Sheet, number: int, row: list[Any], question_id: str
                     ) -> list[str]:
        """The reasons to doubt a question row's answer cells: a number or a date where text
        was asked, a formula that took its text from other cells (``=A1``, ``=Taul1!B4``)."""
        doubts = [_NUMBER_CELL] if self._typed_as_number(row, question_id) else []
        for (at, column), formula in sheet.references.items() if sheet.references else ():
            if at == number and column > self.label_col and column != self.key_col:
                doubts.append(reason("formula-reference", formula=formula[:60],
                                     value=cell_text(row[column])[:80]))
        return doubts

    def _tick_doubts(self, row: list[Any], question_id: str, option: str, label: str,
                     value: str) -> list[str]:
        """The reasons to doubt a choice row's answer cell: "Muu, mikä?" ticked without the
        group named (no choice to take, and the tick must not vanish either), or named in a
        cell Excel made a number or a date of."""
        other = self.ids[question_id].other
        if other is None or option not in (other.id, other.label("fi")):
            # A group's own row: a tick or a no. Text ("joo", "vain kesällä") is read as it
            # is, a group of its own, and the tick it may mean is the reviewer's to tell.
            if value.strip() and not _only_a_tick(value) and not _a_no(value):
                return [reason("tick-text", option=label.strip(), value=value.strip()[:80])]
            return []
        if _only_a_tick(value):
            return [reason("other-unnamed", option=label.strip())]
        return [_NUMBER_CELL] if self._typed_as_number(row, question_id, option) else []

    def _is_key(self, index: int, text: str) -> bool:
        """Whether a cell is the builder's machine key (``title``, ``target_group:children``)."""
        return index == self.key_col and text.partition(":")[0] in self.ids

    def _answer_and_notes(self, cells: list[str]) -> tuple[str, list[str]]:
        """Split the cells right of the label into the answer and notes typed beside it.

        The answer is the answer cell (the one next to the label); when that is empty, the
        first text beside it (an answer typed one cell off, or a long one in a cell merged
        from the answer cell, which keeps its text in the first cell). Every other text on
        the row is a note: it never changes the answer. The hidden key column counts only
        when it holds no key (someone typed over it).
        """
        start, key_col = self.label_col + 1, self.key_col
        right = cells[start:]
        if key_col is not None and start <= key_col < len(cells) and \
                self._is_key(key_col, cells[key_col]):
            right = cells[start:key_col] + cells[key_col + 1:]
        # (the texts left to right: the answer cell's comes first when it has one)
        texts = [text for text in right if text and not text.startswith("practice:")]
        if not texts:
            return "", []
        return texts[0], texts[1:]

    def read(self, sheet: Sheet, mappings: list[Mapping]) -> list[dict[str, Any]]:
        """Return the answers of each practice in the sheet (usually one), with notes.

        Notes are (question id, text) pairs: text typed outside the answer cells, beside the
        question it sits next to (or below).
        """
        blocks: list[dict[str, Any]] = []
        answers: dict[str, Any] = {}
        notes: list[tuple[str, str]] = []
        current: str | None = None
        self.dropped = 0  # rows with answers above the first question: kept raw only
        unsure: list[tuple[str, str]] = []

        def flush() -> None:
            for question_id in self.multichoice:
                pairs = answers.get(question_id)
                if isinstance(pairs, list) and any(h for h, _ in pairs):
                    # There are tick rows: the text beside the heading is their hint.
                    answers[question_id] = [(h, v) for h, v in pairs if h]
            # The questionnaire's own instructions (copied with the labels into a workbook of
            # the municipality's own) are nobody's note.
            notes[:] = [(question, text) for question, text in notes if not _is_own_text(text)]
            if answers or notes:
                blocks.append({"answers": dict(answers), "notes": list(notes),
                               "unsure": list(dict.fromkeys(unsure))})

        commented = _comments_by_row(sheet)
        # Text boxes above the first question (or below the last row of cells) are the first
        # question's notes.
        early = [text for number in sorted(set(commented) - set(range(len(sheet.rows))))
                 for text in commented[number]]
        for number, row in enumerate(sheet.rows):
            cells = cells_text(row)
            if not any(cells) and number not in commented:
                continue
            if any(map(_is_sheet_key, cells)):
                early.extend(commented.get(number, ()))
                continue  # the sheet's heading row
            label = cells[self.label_col] if self.label_col < len(cells) else ""
            keyed, method, score = self._question_of(cells, label, current)
            value, beside = self._answer_and_notes(cells)
            # A comment typed on the row ("Lisää kommentti") or a text box drawn over it: a
            # note, never the answer.
            comments, early = _placed(commented.get(number), early, above=current is None,
                                      keyed=keyed is not None)
            if keyed is None:
                self._unkeyed_row(cells, label, value, beside, current, answers, notes)
                if current is not None:
                    notes.extend((current, text) for text in comments)
                continue
            beside = [*beside, *comments]
            question_id, option = keyed
            if method == "key" and label and not self._label_known(label, question_id, option):
                # The question cell holds other text than a question (an answer typed into
                # it, or over it): kept for the reviewers, never lost or taken as the answer.
                notes.append((question_id, label))
            mapping = Mapping(label or question_id, question_id if option is None
                              else f"{question_id}:{option}", method, score)
            mappings.append(mapping)
            why = unsure_reason(mapping)
            if option is None and answers.get(question_id) and question_id != current:
                # The same question again further down: the next practice of a stacked sheet.
                flush()
                answers, notes, unsure = {}, [], []
            if why and (value or beside):
                unsure.append((question_id, why))
            # (most rows have no doubt and no note: nothing to add then)
            if option is None and (doubts := self._cell_doubts(sheet, number, row, question_id)):
                unsure.extend((question_id, why) for why in doubts)
            notes.extend(zip(repeat(question_id), beside))  # (question_id, text) each
            if option is not None:
                existing = answers.get(question_id)
                if not isinstance(existing, list):
                    # Text beside the question's heading (typed choices, or the tick hint of a
                    # copied questionnaire) goes with the tick rows.
                    answers[question_id] = [("", existing)] if existing else []
                answers[question_id].append((option, value))
                current = question_id
                if doubts := self._tick_doubts(row, question_id, option, label, value):
                    unsure.extend((question_id, why) for why in doubts)
                continue
            current = question_id
            if question_id in self.multichoice and self.key_col is not None and keyed and \
                    method == "key":
                # The locked hint beside the heading of the tick rows; text typed over it (the
                # sheet unprotected: "yli 65-vuotiaat ja omaishoitajat") is kept as a note.
                if value and not _is_tick_hint(value):
                    notes.append((question_id, value))
                continue
            if value:
                _add_answer(answers, question_id, value)
        flush()
        return blocks

    def _question_of(self, cells: list[str], label: str, current: str | None
                     ) -> tuple[tuple[str, str | None] | None, str, float]:
        """The (question, option) a row (its cells as text) answers, how it was found and the
        match score: by its key cell, by a choice label under the current question, or by its
        label."""
        keyed = self._key(cells)
        if keyed is not None:
            return keyed, "key", 100.0
        if label and current in self.choice_labels:
            labels = self.choice_labels[current]
            option = labels.get(fold(label))
            if option is None:
                # A bilingual questionnaire labels each choice "Lapset / Barn": both halves
                # name the same choice (copied without its keys, the label is all there is).
                halves = {labels.get(fold(half)) for half in label.split(" / ")}
                option = halves.pop() if len(halves) == 1 else None
            if option is not None:
                return (current, option), "choice label", 100.0
        if label and len(label) <= _MAX_LABEL:
            hit = self.mapper.match(label)
            if hit is not None and (hit.method != "fuzzy" or len(label) <= 60):
                return (hit.question_id, hit.option), hit.method, hit.score
        return None, "key", 100.0

    def _unkeyed_row(self, cells: list[str], label: str, value: str, beside: list[str],
                     current: str | None, answers: dict[str, Any],
                     notes: list[tuple[str, str]]) -> None:
        """An added row: what is typed in its answer cell joins the answer above when that is
        prose; anything else (a label nothing knows, text in other cells) is a note."""
        if current and self.ids[current].type in _TEXT_TYPES and not label and \
                len(cells) > self.label_col + 1 and cells[self.label_col + 1]:
            previous = cell_text(answers.get(current))
            answers[current] = "\n".join(t for t in (previous, value) if t)
            notes.extend((current, text) for text in beside)
        elif current is not None:
            texts = [c for i, c in enumerate(cells) if c and not self._is_key(i, c)]
            if texts:
                notes.append((current, " | ".join(texts)))
        elif any(c for i, c in enumerate(cells) if i > self.label_col and not self._is_key(i, c)):
            self.dropped += 1  # an answer-like row above every question (a heading alone is not)


#: The reason of an "other" choice ticked without its text (one place, for the flag wording).


def _only_a_tick(value: str) -> bool:
    """Whether a cell holds only a tick ("x", "X", "✓", "kyllä"), no text."""
    text = value.strip()
    return bool(text) and (fold(text) in _TRUE_MARKS or all(ch in _YES_SYMBOLS for ch in text))


def _a_no(value: str) -> bool:
    """Whether a tick cell says it is not ticked ("ei", "0", "-", a drop-down's "Valitse")."""
    folded = fold(value.strip())
    return not folded or folded in _FALSE_MARKS or folded in _UNCHOSEN


def _placed(comments: list[str] | None, early: list[str], *, above: bool, keyed: bool
            ) -> tuple[list[str], list[str]]:
    """(The row's comments and text boxes, those still waiting for the first question): the
    ones above the first question wait, and go with it."""
    if not comments and not early:  # most rows
        return [], early
    comments = list(comments or ())
    if above and not keyed:
        return [], [*early, *comments]
    if early and keyed:
        return [*early, *comments], []
    return comments, early


def _is_tick_hint(text: str) -> bool:
    """Whether a cell holds only the questionnaire's hint above its tick rows (in any of its
    languages, one per line), not an answer typed over it."""
    lines = [fold(line) for line in text.splitlines() if line.strip()]
    return bool(lines) and all(line in _tick_hints() for line in lines)


def _is_own_text(text: str) -> bool:
    """Whether a cell holds only the questionnaire's own instructions above the questions
    (in any of its languages, one per line)."""
    lines = [fold(line) for line in text.splitlines() if line.strip()]
    return bool(lines) and all(line in _own_texts() for line in lines)


@cache
def _own_texts() -> frozenset[str]:
    from ..questionnaire import _TEXT

    return frozenset(fold(texts["lead"]) for texts in _TEXT.values()) | _tick_hints()


def _tick_hints() -> frozenset[str]:
    global _TICK_HINTS
    if _TICK_HINTS is None:
        from ..questionnaire import _TEXT, TICK

        _TICK_HINTS = frozenset(fold(texts["tick_hint"].format(tick=TICK))
                                for texts in _TEXT.values())
    return _TICK_HINTS


_TICK_HINTS: frozenset[str] | None = None


def _comments_by_row(sheet: Sheet) -> dict[int, list[str]]:
    """The sheet's cell comments and the text of its text boxes by row (0-based), left to
    right, each said for what it is: "(kommentti) …", "(tekstiruutu) …"."""
    rows: dict[int, list[str]] = {}
    for (row, _col), text in sorted(sheet.comments.items()):
        rows.setdefault(row, []).append(f"{COMMENT_NOTE}{text}")
    for (row, _col), text in sorted(sheet.shapes.items()):
        rows.setdefault(row, []).append(f"{TEXT_BOX_NOTE}{text}")
    return rows


def _add_answer(answers: dict[str, Any], question_id: str, value: str) -> None:
    """Add a question's answer; a second answer to the same question joins the first."""
    if question_id in answers and answers[question_id]:
        previous = answers[question_id]
        if isinstance(previous, list):
            previous.append(("", value))
        else:
            answers[question_id] = f"{cell_text(previous)}\n{value}"
    else:
        answers[question_id] = value


#: Sheet readers by (mapper, label column, keyed): their choice tables are built once.
_readers: dict[tuple[int, int, int | None], _SheetReader] = {}


def _raw_rows(sheet: Sheet) -> list[list[Any]]:
    rows = []
    for row in sheet.rows:
        # (text and empty cells, most of them, are JSON-ready as they are)
        values = [c if type(c) is str or c is None else jsonable(c) for c in row]
        while values and values[-1] in (None, ""):
            values.pop()
        rows.append(values)
    while rows and not rows[-1]:
        rows.pop()
    return rows


def check_meta(meta: dict[str, str], survey: Survey, where: str) -> list[str]:
    """Check survey id and version; raise for another survey or a newer version, note older."""
    notes: list[str] = []
    survey_id = meta.get("survey_id", "")
    if survey_id and survey_id != survey.survey_id:
        raise InputError(said("survey-other", file=where, survey=repr(survey_id),
                              ours=repr(survey.survey_id)))
    version_text = meta.get("survey_version", "")
    try:
        version = int(float(version_text)) if version_text else survey.version
    except ValueError:
        version = survey.version
        notes.append(said("survey-version-unclear", version=repr(version_text)))
    if version > survey.version:
        raise InputError(said("survey-newer", file=where, version=version,
                              current=survey.version))
    if version < survey.version:
        notes.append(said("survey-older", version=version, current=survey.version))
    return notes


def _metadata(sheets: list[Sheet], meta: dict[str, str] | None, *, survey: Survey, where: str,
              notes: list[str]) -> tuple[dict[str, str], list[Sheet]]:
    """The questionnaire's metadata and its visible sheets without identification rows.

    Identification rows typed in the visible sheets are metadata, never answers. The hidden
    _meta sheet (written by the software) wins over what was typed.
    """
    if meta is not None:
        notes.extend(check_meta(meta, survey, where))
    meta = meta or {}
    stripped: list[Sheet] = []
    typed: dict[str, str] = {}
    for sheet in sheets:
        if sheet.name.strip().casefold() == META_SHEET or not sheet.rows:
            continue
        if sheet.hidden:
            # A hidden practice sheet is read like the others and its practices flagged: the
            # municipality may have hidden it on purpose or by accident; a reviewer decides.
            # What is typed in it never identifies the questionnaire.
            stripped.append(sheet)
            continue
        sheet, found = visible_meta(sheet)
        stripped.append(sheet)
        for key, value in found.items():
            typed.setdefault(key, value)
    for key, value in typed.items():
        if key in meta and meta[key] and pad_code(meta[key]) != pad_code(value):
            notes.append(said("sheet-meta-differs", item=key, typed=repr(value),
                              hidden=repr(meta[key])))
    if typed:
        if not meta:
            notes.extend(check_meta(typed, survey, where))
        meta = {**typed, **meta}
    return meta, stripped


def read_questionnaire(sheets: list[Sheet], *, survey: Survey, mapper: HeadingMapper,
                       where: str, require_meta: bool = False) -> ParsedFile:
    """Read our questionnaire, or a questionnaire-like workbook: one record per practice."""
    meta = meta_of(sheets)
    parsed = ParsedFile(format="questionnaire" if meta is not None or any(
        _is_practice_sheet(s) for s in sheets) else "questionnaire-like")
    if require_meta and meta is None:
        raise InputError(f"{where}: no _meta sheet; not one of our questionnaires (try "
                         "--source auto)")
    meta, stripped = _metadata(sheets, meta, survey=survey, where=where, notes=parsed.notes)
    token = meta.get("token") or None
    code = pad_code(meta.get("municipality_code") or "") or None
    language = (meta.get("language") or "")[:2] or None
    for sheet in stripped:
        key_col = _key_column(sheet)
        if key_col == 2:
            label_col = 0  # as built: labels, answers, keys
        else:
            # Columns inserted before the keys (or no keys): the labels are where the
            # questions are named, left of the keys; the keys are never an answer.
            label_col, count = label_column(sheet, mapper)
            if key_col is not None and label_col >= key_col:
                label_col = max(key_col - 2, 0)
            elif count < 3 and key_col is None:
                # Instructions, or a sheet the municipality added to our questionnaire: its
                # text is no answer, but a person reads it ("Lisätiedot").
                added = _added_sheet(sheet) if meta else None
                if added is not None:
                    parsed.records.append(added)
                continue
        mappings: list[Mapping] = []
        reader = _readers.get((id(mapper), label_col, key_col))
        if reader is None or reader.survey is not survey:
            reader = _readers[(id(mapper), label_col, key_col)] = _SheetReader(
                survey, mapper, label_col, key_col)
        blocks = reader.read(sheet, mappings)
        parsed.mappings.append((sheet.name, _dedupe(mappings)))
        if reader.dropped:
            parsed.notes.append(
                said("row-above-first-question", sheet=repr(sheet.name)) if reader.dropped == 1
                else said("rows-above-first-question", sheet=repr(sheet.name),
                          count=reader.dropped))
        for number, block in enumerate(blocks, start=1):
            locator = sheet.name if len(blocks) == 1 else f"{sheet.name} #{number}"
            raw: dict[str, Any] = {"sheet": sheet.name, "rows": _raw_rows(sheet)}
            if meta:
                raw["meta"] = meta
            if block["notes"]:
                raw["notes"] = [text for _, text in block["notes"]]
            record = RawRecord(locator=locator, raw=raw, answers=block["answers"],
                               sheet=sheet.name, token=token, meta_code=code, language=language,
                               notes=list(block["notes"]), unsure=list(block["unsure"]))
            if token:
                record.identity_hint = f"token:{token}:{fold(locator)}"
            if block["notes"]:
                record.reason = said("text-outside-cells")
            if sheet.hidden:
                record.flags.append(HIDDEN_SHEET_FLAG)
                record.reason = join_reasons(record.reason, HIDDEN_SHEET_REASON)
            parsed.records.append(record)
    if not parsed.records and not parsed.problems:
        parsed.problems.append((None, None, "no practice sheet found; is this the survey "
                                "questionnaire?"))
    return parsed


def _added_sheet(sheet: Sheet) -> RawRecord | None:
    """A record to read of a sheet with text that is not our questionnaire's instructions
    (None for those and for a sheet without words)."""
    from ..questionnaire import _TEXT

    names = {fold(texts["instructions"]) for texts in _TEXT.values()}
    if all(word in names for word in fold(sheet.name).split()):
        return None
    texts = [text for row in sheet.rows for text in map(cell_text, row)
             if any(ch.isalpha() for ch in text)]
    texts.extend(text for _place, text in sorted(sheet.shapes.items()))
    if not texts:
        return None
    shown = " | ".join(texts).rstrip(".")  # the reason goes on after it
    return RawRecord(locator=sheet.name, raw={"sheet": sheet.name, "rows": _raw_rows(sheet)},
                     sheet=sheet.name, status="to-read",
                     reason=said("sheet-added", sheet=repr(sheet.name),
                                 texts=shown if len(shown) <= 300 else f"{shown[:299]}…"))


def _dedupe(mappings: list[Mapping]) -> list[Mapping]:
    seen: set[tuple[str, str]] = set()
    result = []
    for mapping in mappings:
        key = (mapping.header, mapping.target)
        if key not in seen:
            seen.add(key)
            result.append(mapping)
    return result
