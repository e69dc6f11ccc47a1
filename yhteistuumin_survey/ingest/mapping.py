"""Map headings (column headers, questionnaire labels) to survey questions.

In order: the profile's own headings, the survey's labels and aliases in any language
(``Survey.heading_index``), the heading with its numbering, required-marks and bilingual
halves removed, a multiple-choice option heading (``Kenelle? - Lapset``, ``kenelle[SQ001]``),
the longest known heading contained in it, and last a fuzzy match (rapidfuzz) above the
profile's cutoff. The result says which rule decided, so the chosen mapping can be printed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from ..normalise import fold  # cached: the same labels and titles are folded again and again
from ..survey import Survey
from .records import Mapping

if TYPE_CHECKING:
    from .profiles import Profile

_NUMBERING = re.compile(r"^\s*(?:(?:q|k|kys|kysymys|fraga|question|fråga)\s*)?\(?\d{1,3}(?:\.\d{1,2})*"
                        r"\s*[\.\):]?\s+", re.IGNORECASE)
_REQUIRED = re.compile(r"\s*(?:\*+|\((?:pakollinen|obligatorisk|required|pakollinen tieto)\))\s*$",
                       re.IGNORECASE)
_BRACKET = re.compile(r"^(.*?)\s*\[([^\]]+)\]\s*$")
_OPTION_SEPARATORS = (" - ", " – ", ": ", " | ", "? ", " / ")
_MIN_CONTAINED = 3
#: How much ending the heading adds to a contained heading's weight (see ``_contains``).
_END_BONUS = 5


#: Finnish and Swedish abbreviations inside a heading word, written out (folded): "Yhteyshlö",
#: "Yht.henkilö", "Kontaktpers.". Matched at the end of a word, with or without the dot and a
#: case ending ("Yhteyshlön").
_ABBREVIATIONS = (("hlo", "henkilo"), ("hlot", "henkilot"), ("hlon", "henkilon"),
                  ("pers", "person"), ("yht", "yhteys"))
_ABBREVIATED_WORD = re.compile(r"(?:(?<=\w)|\b)(hlot|hlon|hlo|pers)(?=\b)|\b(yht)\b")


def expand_abbreviations(folded: str) -> str:
    """Write out the abbreviations of a folded heading ("yhteyshlo" -> "yhteyshenkilo",
    "yht henkilo" -> "yhteyshenkilo"); the text unchanged when it has none."""
    if not any(short in folded for short, _ in _ABBREVIATIONS):
        return folded
    words = dict(_ABBREVIATIONS)
    expanded = _ABBREVIATED_WORD.sub(lambda m: words[m.group(m.lastindex or 1)], folded)
    return expanded.replace("yhteys henkilo", "yhteyshenkilo")


def clean_heading(text: str) -> str:
    """Strip numbering ("3. ", "Q3 "), a required mark ("*") and surrounding space."""
    text = " ".join(str(text).replace("\u00a0", " ").split())
    text = _REQUIRED.sub("", text)
    text = _NUMBERING.sub("", text, count=1)
    return text.strip()


@dataclass
class HeadingMatch:
    question_id: str
    option: str | None
    method: str
    score: float


class HeadingMapper:
    """Map headings to question ids for one survey and (optionally) one profile."""

    def __init__(self, survey: Survey, profile: Profile | None = None,
                 common: Profile | None = None) -> None:
        """``common`` (the generic table profile) adds everyday wordings to every tool's
        profile: a form tool's question columns are whatever the coordinator typed."""
        self.survey = survey
        self.profile = profile
        self.index = survey.heading_index()
        weak: set[str] = set()
        for source in (profile, common):
            if source is not None:
                for key, question_id in source.questions.items():
                    self.index.setdefault(key, question_id)
                weak |= source.weak_headings
        self.multichoice = {q.id for q in survey.questions if q.type == "multichoice"}
        self.consent = {q.id for q in survey.questions if q.type == "consent"}
        # Contained headings: at least a few letters, matched as whole words. Weak ones (the
        # survey's subject, "käytäntö", named in most questions) decide only when nothing else
        # in the heading does.
        contained = sorted(((k, v) for k, v in self.index.items() if len(k) >= _MIN_CONTAINED),
                           key=lambda kv: -len(kv[0]))
        self.contained = [kv for kv in contained if kv[0] not in weak]
        self.contained_weak = [kv for kv in contained if kv[0] in weak]
        words = [(k, v) for k, v in self.index.items() if " " not in k and len(k) >= 3]
        self.single_words = [kv for kv in words if kv[0] not in weak]
        self.single_words_weak = [kv for kv in words if kv[0] in weak]
        self.keys = list(self.index)
        self.cutoff = profile.fuzzy_cutoff if profile is not None else 85.0
        self.match = lru_cache(maxsize=4096)(self._match)
        #: What ``match`` gives when it is sure by a heading's own text (exact, label, option),
        #: else None: without the slower guesses (contained words, endings, fuzzy).
        self.label = lru_cache(maxsize=4096)(self._label)

    def _exact(self, text: str) -> str | None:
        key = fold(text)
        return self.index.get(key) if key else None

    def _contains(self, text: str) -> tuple[str, str] | None:
        """Return the known heading contained in ``text`` (whole words) that says most.

        Longer headings say more; one that ends the text says more still, because the head
        noun comes last in Finnish, Swedish and English alike ("Contact e-mail",
        "Saako yhteystiedot julkaista", "Praxisens mål"). A consent heading says most: asking
        leave to publish the contact details names them ("May we publish the contact
        details?"), so the contact words in it are not the question. Weak headings count
        only when no other heading is contained.
        """
        folded = fold(text)
        padded = f" {folded} "
        for candidates in (self.contained, self.contained_weak):
            best: tuple[int, int, int, str, str] | None = None
            for key, question_id in candidates:
                at = padded.find(f" {key} ")
                if at < 0:
                    continue
                score = len(key) + (_END_BONUS if at + len(key) + 1 == len(padded) - 1 else 0)
                candidate = (int(question_id in self.consent), score, len(key), key, question_id)
                if best is None or candidate[:3] > best[:3]:
                    best = candidate
            if best is not None:
                return best[3], best[4]
        return None

    def _unique(self, candidates: set[str]) -> str | None:
        return next(iter(candidates)) if len(candidates) == 1 else None

    def _truncated(self, heading: str) -> str | None:
        """A heading cut short by the export ("Hyvä käytäntö pähkinänkuo…"): its prefix."""
        stripped = heading.rstrip()
        if not stripped.endswith(("...", "…")):
            return None
        prefix = fold(stripped.rstrip(".…"))
        if len(prefix) < 8:
            return None
        return self._unique({v for k, v in self.index.items() if k.startswith(prefix)})

    def _abbreviated(self, heading: str) -> str | None:
        """Abbreviations with a dot ("Tav.", "Kok.", "Yht.hlö"): the heading they start."""
        words = [fold(w) for w in re.findall(r"(\w{2,8})\.", heading)]
        candidates: set[str] = set()
        for word in words:
            found = {v for k, v in self.single_words if k.startswith(word)}
            if len(found) == 1:
                candidates |= found
        return self._unique(candidates)

    def _inflected(self, heading: str) -> str | None:
        """A word that is a known heading plus a short ending ("Toteutustapa", "Resurssitarve")."""
        for words in (self.single_words, self.single_words_weak):
            candidates: set[str] = set()
            for word in fold(heading).split():
                for key, question_id in words:
                    if len(key) >= 5 and word.startswith(key) and len(word) - len(key) <= 5:
                        candidates.add(question_id)
            if candidates:
                return self._unique(candidates)
        return None

    def _option(self, question_id: str, option: str) -> str:
        """Turn an option code (LimeSurvey SQ001, other) into the choice's label."""
        if self.profile is not None and self.profile.choice_codes:
            choice_id = self.profile.choice_codes.get(fold(option))
            if choice_id:
                question = self.survey.question(question_id)
                if choice_id == "other" and question.other is not None:
                    return question.other.label("fi")
                for choice in question.choices:
                    if choice.id == choice_id:
                        return choice.label("fi")
        return option

    def _option_column(self, cleaned: str) -> HeadingMatch | None:
        """A multiple-choice question's option column, if the heading names one."""
        # Option columns: "kenelle[SQ001]", "Kenelle? [Lapset]", "Kenelle? - Lapset".
        bracket = _BRACKET.match(cleaned)
        splits: list[tuple[str, str]] = []
        if bracket:
            splits.append((bracket.group(1), bracket.group(2)))
        for sep in _OPTION_SEPARATORS:
            if sep in cleaned:
                head, tail = cleaned.rsplit(sep, 1)
                splits.append((head + sep.strip(" -–|/:"), tail))
        for head, tail in splits:
            if tail.strip().startswith("(") and tail.strip().endswith(")"):
                continue  # an instruction in brackets ("(valitse kaikki sopivat)"), not a choice
            question_id = self._exact(clean_heading(head)) or self._exact(head)
            if question_id is None:
                hit = self._contains(head)
                question_id = hit[1] if hit else None
            if question_id in self.multichoice and tail.strip():
                return HeadingMatch(question_id, self._option(question_id, tail.strip()),
                                    "option", 100.0)
        return None

    def _label(self, heading: str) -> HeadingMatch | None:
        """The first rules of ``_match``: the heading, or its cleaned form or a half of it, is
        a known heading, or it names a multiple-choice option (method exact, label, option)."""
        if not heading or not heading.strip():
            return None
        found = self._exact(heading)
        if found:
            return HeadingMatch(found, None, "exact", 100.0)
        cleaned = clean_heading(heading)
        found = self._exact(cleaned)
        if found:
            return HeadingMatch(found, None, "label", 100.0)
        # Bilingual labels "Tavoite / Mål": either half.
        if " / " in cleaned:
            for half in cleaned.split(" / "):
                found = self._exact(clean_heading(half))
                if found:
                    return HeadingMatch(found, None, "label", 100.0)
        return self._option_column(cleaned)

    def _match(self, heading: str) -> HeadingMatch | None:
        labelled = self.label(heading)
        if labelled is not None or not heading or not heading.strip():
            return labelled
        cleaned = clean_heading(heading)
        expanded = expand_abbreviations(fold(cleaned))
        if expanded != fold(cleaned):
            found = self.index.get(expanded)
            if found is None:
                hit = self._contains(expanded)
                found = hit[1] if hit else None
            if found:
                return HeadingMatch(found, None, "abbreviation", 95.0)
        truncated = self._truncated(cleaned)
        if truncated:
            return HeadingMatch(truncated, None, "truncated", 90.0)
        hit = self._contains(cleaned)
        if hit:
            return HeadingMatch(hit[1], None, "contains", 100.0 * len(hit[0]) / max(len(fold(cleaned)), 1))
        for method, rule in (("abbreviation", self._abbreviated), ("inflected", self._inflected)):
            found = rule(cleaned)
            if found:
                return HeadingMatch(found, None, method, 80.0)
        from rapidfuzz import fuzz, process

        key = fold(cleaned)
        if len(key) < 4:
            return None
        best = process.extractOne(key, self.keys, scorer=fuzz.ratio, score_cutoff=self.cutoff)
        if best is None:
            best = process.extractOne(key, self.keys, scorer=fuzz.token_sort_ratio,
                                      score_cutoff=max(self.cutoff, 90.0))
        if best is None:
            return None
        return HeadingMatch(self.index[best[0]], None, "fuzzy", float(best[1]))

    def mapping(self, heading: str) -> Mapping:
        """Return the :class:`Mapping` of one heading ("" target when nothing fits)."""
        hit = self.match(heading)
        if hit is None:
            return Mapping(heading, "", "ignored", 0.0)
        target = hit.question_id if hit.option is None else f"{hit.question_id}:{hit.option}"
        return Mapping(heading, target, hit.method, hit.score)
