"""The index of known practices answers as its plain definition does: the fast paths of
``PracticeIndex`` (one call into rapidfuzz for many titles) pick the same practice, for any
titles, as the loop over the titles that defines them."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

#: Few words, so that titles often share them: most draws hold titles that match.
_WORDS = ["lukupiiri", "lukupiirii", "lasten", "lapsille", "ikaihmisille", "kirjasto",
          "kirjastossa", "tanssit", "oulu", "a", "kylat"]
_TITLES = st.lists(st.sampled_from(_WORDS), min_size=1, max_size=4).map(" ".join)
_REPORTERS = st.sampled_from(["564", "091", "564,091"])


def _index(practices: list[tuple[str, str]]):
    from yhteistuumin_survey.ingest.store import Known, PracticeIndex

    index = PracticeIndex()
    for number, (title, reporter) in enumerate(practices, start=1):
        index.add(Known(number, None, set(reporter.split(",")), title, f"print{number}", "new",
                        None, 1, 1, reporter))
    return index


def _retitled_by_definition(index, key: str, reporter: str) -> int | None:
    """The practice of the reporter, latest title first, whose title is another than ``key``
    and scores at least the cutoff with it."""
    from rapidfuzz import fuzz

    from yhteistuumin_survey.ingest.store import RETITLED_CUTOFF

    titles = index.by_reporter.get(reporter) if reporter and key else None
    for title, known in reversed((titles or {}).items()):
        if title != key and fuzz.token_set_ratio(key, title) >= RETITLED_CUTOFF:
            return known.id
    return None


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(_TITLES, _REPORTERS), max_size=12), _TITLES, _REPORTERS)
def test_retitled_finds_the_latest_title_of_the_reporter_at_the_cutoff(practices, key,
                                                                        reporter):
    index = _index(practices)

    assert index.retitled(key, reporter) == _retitled_by_definition(index, key, reporter)


def test_retitled_takes_the_latest_match_not_the_best_one():
    # Both earlier titles hold most of the new one's words: the latest of them (94.7) is the
    # answer, not the older one that scores higher (100).
    index = _index([("lukupiiri lapsille", "564"), ("lukupiiri lapsille kirjasto", "564")])

    assert index.retitled("lukupiiri lapsille kirjastossa", "564") == 2
    assert index.retitled("lukupiiri lapsille kirjastossa", "091") is None  # not its reporter's


def test_retitled_skips_the_practice_of_the_same_title():
    index = _index([("lukupiiri", "564"), ("lukupiiri lapsille", "564")])

    assert index.retitled("lukupiiri lapsille", "564") == 1
