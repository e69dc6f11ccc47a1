"""The survey definition (``survey/questions.yaml``): questions, card fields, choices, labels.

Everything that asks or reads answers uses this one definition: the questionnaire builder,
the email templates, the web-form header profiles, the normaliser and the site.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from .errors import InputError, no_such_file

LANGS = ("fi", "sv", "en")
#: The card fields of DESIGN.md, in card order.
CARD_FIELDS = ("title", "keywords", "target_group", "goal", "summary", "implementation",
               "resources", "experiences", "benefits", "contact", "municipalities")
QUESTION_TYPES = {"text", "longtext", "multichoice", "municipalities", "email", "phone", "consent"}


class _Combining(dict[int, int | None]):
    """A ``str.translate`` table that drops combining characters, each looked up once."""

    def __missing__(self, code: int) -> int | None:
        kept = None if unicodedata.combining(chr(code)) else code
        self[code] = kept
        return kept


_DROP_COMBINING = _Combining()


def strip_diacritics(text: str) -> str:
    """Return text without accents and diacritics: ``Närpiö`` -> ``Narpio``, ``Å`` -> ``A``."""
    if text.isascii():  # its own NFKD form, and nothing in it combines
        return text
    return unicodedata.normalize("NFKD", text).translate(_DROP_COMBINING)


_NOT_WORD = re.compile(r"[^\w]+")


def _fold_character(char: str) -> str:
    """One character folded: case folded, its diacritics dropped, each resulting character
    that is no word character (or is ``_``) a space."""
    text = strip_diacritics(char.casefold())
    return _NOT_WORD.sub(" ", text.replace("_", " "))


class _Folding(dict[int, str]):
    """A ``str.translate`` table folding each character (``_fold_character``), each looked
    up once.

    Folding a text character by character folds it as a whole: case folding and the
    compatibility decomposition map each character on its own, the only reordering NFKD
    does moves combining characters, which are dropped, and whether a character is a word
    character depends on it alone (tests/test_read_fast.py checks every code point)."""

    def __missing__(self, code: int) -> str:
        folded = self[code] = _fold_character(chr(code))
        return folded


_FOLDING = _Folding()


def fold(text: str) -> str:
    """Fold text for matching headings and choices: lower case, no accents, no punctuation.

    ``å ä ö`` keep their identity as ``a a o`` so that typed-without-diacritics text matches.
    """
    # One translate pass instead of casefold, NFKD, a regex and a replace: 2-3 times faster
    # (fold is called for every name, heading and short answer of an ingest).
    return " ".join(text.translate(_FOLDING).split())


@dataclass(frozen=True)
class Choice:
    """One choice of a choice question, in each language."""

    id: str
    labels: dict[str, str]
    aliases: tuple[str, ...] = ()

    def label(self, lang: str) -> str:
        return self.labels.get(lang) or self.labels["fi"]


@dataclass(frozen=True)
class Question:
    """One question: the card field it fills, its labels and its rules."""

    id: str
    field: str
    type: str
    required: bool
    max_length: int | None
    labels: dict[str, str]
    card_labels: dict[str, str]
    help: dict[str, str]
    aliases: tuple[str, ...] = ()
    choices: tuple[Choice, ...] = ()
    other: Choice | None = None

    def label(self, lang: str) -> str:
        return self.labels.get(lang) or self.labels["fi"]

    def card_label(self, lang: str) -> str:
        return self.card_labels.get(lang) or self.card_labels.get("fi") or self.label(lang)

    def help_text(self, lang: str) -> str:
        return self.help.get(lang) or self.help.get("fi", "")

    def headings(self) -> list[str]:
        """Every heading that names this question: labels in all languages and the aliases."""
        return [*self.labels.values(), *self.card_labels.values(), *self.aliases, self.id]


@dataclass(frozen=True)
class Survey:
    """The whole survey definition."""

    survey_id: str
    version: int
    titles: dict[str, str]
    questions: tuple[Question, ...]
    practices_per_questionnaire: int = 5
    path: Path | None = field(default=None, compare=False)

    def title(self, lang: str) -> str:
        return self.titles.get(lang) or self.titles["fi"]

    def question(self, question_id: str) -> Question:
        for question in self.questions:
            if question.id == question_id:
                return question
        raise KeyError(question_id)

    def by_field(self, field_name: str) -> Question:
        for question in self.questions:
            if question.field == field_name:
                return question
        raise KeyError(field_name)

    def heading_index(self) -> dict[str, str]:
        """Map every folded heading (label or alias, any language) to its question id."""
        index: dict[str, str] = {}
        for question in self.questions:
            for heading in question.headings():
                index.setdefault(fold(heading), question.id)
        return index


def _labels(value: Any, where: str, required: bool = True) -> dict[str, str]:
    if value is None and not required:
        return {}
    if not isinstance(value, dict) or "fi" not in value:
        raise InputError(f"{where}: expected labels with at least 'fi' (and 'sv', 'en')")
    return {str(k): str(v).strip() for k, v in value.items() if k in LANGS}


def _choice(item: Any, where: str) -> Choice:
    if not isinstance(item, dict) or "id" not in item:
        raise InputError(f"{where}: a choice needs an id and its labels")
    labels = {lang: str(item[lang]).strip() for lang in LANGS if lang in item}
    if "fi" not in labels:
        raise InputError(f"{where}: choice {item['id']!r} has no Finnish label")
    return Choice(str(item["id"]), labels, tuple(str(a) for a in item.get("aliases") or ()))


def parse_survey(data: Any, path: Path) -> Survey:
    """Check and build the survey definition read from ``path``."""
    if not isinstance(data, dict) or not isinstance(data.get("questions"), list):
        raise InputError(f"{path}: expected a mapping with 'survey_id', 'version' and 'questions'")
    questions: list[Question] = []
    seen: set[str] = set()
    for number, item in enumerate(data["questions"], start=1):
        where = f"{path}: question {number}"
        if not isinstance(item, dict) or "id" not in item or "field" not in item:
            raise InputError(f"{where}: needs at least 'id', 'field', 'type' and 'label'")
        if item["id"] in seen:
            raise InputError(f"{where}: id {item['id']!r} is used twice")
        seen.add(item["id"])
        qtype = item.get("type", "text")
        if qtype not in QUESTION_TYPES:
            raise InputError(f"{where}: type {qtype!r} is not one of {', '.join(sorted(QUESTION_TYPES))}")
        questions.append(Question(
            id=str(item["id"]), field=str(item["field"]), type=qtype,
            required=bool(item.get("required", False)),
            max_length=int(item["max_length"]) if item.get("max_length") else None,
            labels=_labels(item.get("label"), where + " label"),
            card_labels=_labels(item.get("card_label"), where + " card_label", required=False),
            help=_labels(item.get("help"), where + " help", required=False),
            aliases=tuple(str(a) for a in item.get("aliases") or ()),
            choices=tuple(_choice(c, where) for c in item.get("choices") or ()),
            other=_choice(item["other"], where) if item.get("other") else None,
        ))
    try:
        version = int(data.get("version", 1))
    except (TypeError, ValueError):
        raise InputError(f"{path}: version must be a whole number") from None
    return Survey(survey_id=str(data.get("survey_id", "")), version=version,
                  titles=_labels(data.get("title"), f"{path}: title"), questions=tuple(questions),
                  practices_per_questionnaire=int(data.get("practices_per_questionnaire", 5)),
                  path=path)


def safe_load_yaml(text: str) -> Any:
    """``yaml.safe_load`` through libyaml when PyYAML was built with it (about ten times
    faster: the survey, the vocabulary and the header profiles are read on every ingest).

    The same objects come out; a text libyaml refuses is parsed again by PyYAML's own reader,
    so that the error (and its message) is PyYAML's as before."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", None)
    if loader is not None:
        try:
            return yaml.load(text, Loader=loader)  # noqa: S506 - CSafeLoader is the safe one
        except yaml.YAMLError:
            pass
    return yaml.safe_load(text)


@cache
def _load(path: Path, mtime: float) -> Survey:
    import yaml

    try:
        data = safe_load_yaml(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise no_such_file(path) from None
    except yaml.YAMLError as exc:
        raise InputError(f"{path}: not valid YAML ({str(exc).splitlines()[0]})") from None
    return parse_survey(data, path)


def load_survey(path: Path) -> Survey:
    """Read and check a survey definition file (cached while the file is unchanged)."""
    try:
        mtime = path.stat().st_mtime
    except FileNotFoundError:
        raise InputError(f"{path}: no such file; the survey definition is missing") from None
    return _load(path, mtime)


def workspace_survey(workspace: Any) -> Survey:
    """Return the survey of a workspace: its own ``survey/questions.yaml`` or the bundled one."""
    return load_survey(workspace.resolve("survey/questions.yaml"))
