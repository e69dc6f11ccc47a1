"""The index of known practices answers as its plain definition does: the fast paths of
``PracticeIndex`` (one call into rapidfuzz for many titles) pick the same practice, for any
titles, as the loop over the titles that defines them; a version's content fingerprint is
the same exactly when its content is, as the content's text (its repr) is."""

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


def _similar_by_definition(index, key: str, window: int) -> int | None:
    """The practice of the same title, else of the best-scoring title at the cutoff (the
    first of equals) among the latest ``window`` titles starting with the same word."""
    from rapidfuzz import fuzz

    from yhteistuumin_survey.ingest.store import DUPLICATE_CUTOFF

    if not key or len(key) < 8:
        return None
    if key in index.by_title:
        return index.by_title[key].id
    block = [title for title in index.by_title if title.split()[0] == key.split()[0]][-window:]
    best, best_score = None, 0.0
    for title in block:
        score = fuzz.ratio(key, title)
        if score >= DUPLICATE_CUTOFF and score > best_score:
            best, best_score = title, score
    return index.by_title[best].id if best is not None else None


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(_TITLES, _REPORTERS), max_size=40), _TITLES,
       st.integers(min_value=1, max_value=6), st.integers(min_value=1, max_value=4))
def test_similar_finds_the_best_of_the_latest_titles_of_the_block(practices, key, window,
                                                                  together):
    # A small window, copied a few titles at a time: the draws cross both boundaries.
    import pytest

    from yhteistuumin_survey.ingest import store

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(store, "SIMILAR_WINDOW", window)
        patch.setattr(store, "_COPIED_TOGETHER", together)
        index = _index(practices)

        assert index.similar(key) == _similar_by_definition(index, key, window)


def test_similar_keeps_the_oldest_title_of_the_window_when_the_latest_are_copied(
        monkeypatch):
    # A window of 3 copied 2 at a time: the 4th title copies the 3rd and 4th and drops the
    # 1st; the 2nd, the oldest of the window now, is still scored (and dropped by the 6th).
    from yhteistuumin_survey.ingest import store

    monkeypatch.setattr(store, "SIMILAR_WINDOW", 3)
    monkeypatch.setattr(store, "_COPIED_TOGETHER", 2)
    titles = [("lukupiiri oulu", "564"), ("lukupiiri lapsille", "564"),
              ("lukupiiri tanssit", "564"), ("lukupiiri kirjasto", "564")]

    assert _index(titles).similar("lukupiiri lapsilla") == 2
    assert _index([*titles, ("lukupiiri kylat", "564"), ("lukupiiri a", "564")]
                  ).similar("lukupiiri lapsilla") is None


def test_similar_scores_the_latest_500_titles_of_the_block():
    # The title that matches, then 499 or 500 others of its block: the 500th pushes it out.
    others = [(f"lukupiiri {number:05d} {number % 7}", "091") for number in range(500)]
    first = ("lukupiiri vanha kirjasto", "091")

    assert _index([first, *others[:499]]).similar("lukupiiri vanha kirjastossa") == 1
    assert _index([first, *others]).similar("lukupiiri vanha kirjastossa") is None
    assert _index([first, *others]).similar("lukupiiri 00499 9") == 501  # the latest one


def test_retitled_takes_the_latest_match_not_the_best_one():
    # Both earlier titles hold most of the new one's words: the latest of them (94.7) is the
    # answer, not the older one that scores higher (100).
    index = _index([("lukupiiri lapsille", "564"), ("lukupiiri lapsille kirjasto", "564")])

    assert index.retitled("lukupiiri lapsille kirjastossa", "564") == 2
    assert index.retitled("lukupiiri lapsille kirjastossa", "091") is None  # not its reporter's


def test_retitled_and_similar_leave_nothing_for_the_garbage_collector():
    # Each call is one per stored practice: a reference cycle left by each (rapidfuzz's
    # extract_iter left nine objects) would make the collector's passes of a long run.
    import gc

    index = _index([("lukupiiri lapsille", "564"), ("lukupiiri lapsille kirjasto", "564"),
                    ("kirjasto kylille", "564")])
    gc.collect()
    gc.disable()
    try:
        for key in ("lukupiiri lapsille kirjastossa", "kirjasto kylille", "tanssit oulu"):
            index.retitled(key, "564")
            index.similar(key)
        left = gc.collect()
    finally:
        gc.enable()

    assert left == 0


def test_retitled_skips_the_practice_of_the_same_title():
    index = _index([("lukupiiri", "564"), ("lukupiiri lapsille", "564")])

    assert index.retitled("lukupiiri lapsille", "564") == 1


#: Values a content field holds: texts (one long enough to be pickled as a long text), no
#: answer, a yes or a no, lists of keywords.
_VALUES = st.one_of(st.sampled_from(["", "lukupiiri", "Lukupiiri", "lukupiiri ", "Käytäntö",
                                     "Sama teksti. " * 30]),
                    st.none(), st.booleans(),
                    st.lists(st.sampled_from(["lapset", "kirjasto", ""]), max_size=3))


def _content(values: list) -> object:
    from types import SimpleNamespace

    from yhteistuumin_survey.ingest.store import CONTENT_FIELDS

    return SimpleNamespace(**dict(zip(CONTENT_FIELDS, values, strict=True)))


def _same_by_definition(one: list, other: list, codes: list[str], other_codes: list[str]) -> bool:
    """The same content: each field the same value of the same kind (a list as a tuple)."""
    def shown(values: list, of: list[str]) -> str:
        return repr(([tuple(v) if isinstance(v, list) else v for v in values], sorted(set(of))))

    return shown(one, codes) == shown(other, other_codes)


@settings(max_examples=300, deadline=None)
@given(st.lists(_VALUES, min_size=16, max_size=16), st.lists(_VALUES, min_size=16, max_size=16),
       st.lists(st.sampled_from(["091", "564"]), max_size=3),
       st.lists(st.sampled_from(["091", "564"]), max_size=3))
def test_content_fingerprint_is_the_same_exactly_for_the_same_content(one, other, codes,
                                                                      other_codes):
    from yhteistuumin_survey.ingest.store import content_fingerprint

    same = content_fingerprint(_content(one), codes) == \
        content_fingerprint(_content(other), other_codes)

    assert same == _same_by_definition(one, other, codes, other_codes)


def test_content_fingerprint_of_one_text_in_two_fields_is_that_of_two_equal_texts():
    # An answer copied into two fields is one object in the normalised answer, two when the
    # version is read back from the database: the stored practice must be recognised.
    from yhteistuumin_survey.ingest.store import content_fingerprint

    text = "Lukupiiri kokoontuu kirjastossa kerran kuussa. " * 10
    copy = (text + ".")[:-1]
    assert copy is not text
    shared = [text, ["lapset"], [], text, text, *[None] * 11]
    apart = [copy, ["lapset"], [], (copy + ".")[:-1], (copy + "!")[:-1], *[None] * 11]

    assert content_fingerprint(_content(shared), ["091"]) == \
        content_fingerprint(_content(apart), ["091"])
