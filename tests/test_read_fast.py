"""The short ways of reading and normalising (issue 18) give what the whole ways give.

Each short way stands beside the general code it skips; these tests feed both the same typed
input, the usual shapes and odd ones, and compare the results.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from yhteistuumin_survey import normalise

NAMES = ["Maija Meikäläinen", "Anna-Liisa O'Brien", "Henkilö 3030", "Henkilö 200001",
         "Henkilö 0401234567", "Henkilö 040 123 4567", "kulttuurisihteeri Maija Meikäläinen",
         "Kierrätyskeskus Oy", "Pekka P", "Maija Puh", "Maija puhelin", "Email", "e-mail",
         "Maija (at) kunta", "Maija{at}kunta.fi", "Maija M.", "Maija  Meikäläinen", "Åsa Öberg",
         "Eija Koski, espoo", "Eija - Koski", "Eija – Koski", "1234567", "Koski 12345678",
         "Ville Virtanen 358401234567", "Ulla Ääri puh", "Nimi Sukunimi", "A B C D E",
         "Tuomas Yhteyshenkilö", "Sami sp", "Jussi", "Ann'a", "Olli-", "-Olli", "Olli ’Ö",
         "Maija\nMeikäläinen", "²", "Ⅻ ½", "Maija ²", "٣٣٣٣٣٣٣ Maija", "Maija_Meikäläinen"]
EMAILS = ["maija.meikalainen@kunta.fi", "Maija.Meikalainen@Kunta.FI", "postmaster@kunta.fi",
          "maija@kunta", "maija@@kunta.fi", "maija@kunta..fi", "Maija <maija@kunta.fi>",
          "maija@kunta.fi, pekka@kunta.fi", "maija(at)kunta.fi", "maija.kunta.fi",
          "maija@kunta.fi 040 123 4567", "ä@kunta.fi", "mailto:maija@kunta.fi", "<maija@kunta.fi>",
          "maija@kunta.fi.", "a@b.fi"]
PHONES = ["040 123 4567", "0401234567", "+358 40 123 4567", "09 816 21234", "040-1234567",
          "puh. 040 123 4567", "040 123 4567 / 09 816 21234 (vaihde)", "ei julkista numeroa",
          "040 12", "358 9 816 21234", "00358401234567", "040 123 4567 (työ)", "p. 0401234567",
          "12345", "040 030 3030", "+358 (0)40 123 4567"]


def _same(name, email, phone):
    short = normalise._separate_contact(name, email, phone)
    if short is not None:
        assert short == normalise._split_contact_text(name, email, phone, None), (
            name, email, phone)
    return short


def test_separate_fields_read_the_short_way_as_the_whole_way_reads_them():
    taken = 0
    for name in [None, *NAMES]:
        for email in [None, *EMAILS]:
            for phone in [None, *PHONES]:
                taken += _same(normalise.clean_text(name), normalise.clean_text(email),
                               normalise.clean_text(phone)) is not None
    assert taken > 500  # the usual shapes do take the short way


def test_the_usual_contact_takes_the_short_way():
    parts = normalise._separate_contact("Maija Meikäläinen", "Maija.Meikalainen@Kunta.FI",
                                        "040 123 4567")
    assert parts == normalise.ContactParts("Maija Meikäläinen", "Maija.Meikalainen@kunta.fi",
                                           "+358 40 1234567", None)
    assert normalise._separate_contact("kulttuurisihteeri Maija Meikäläinen", None, None) is None


_NAME_TEXT = st.text(alphabet="AaÄöBbKk -'’.,:;()@{}0123456789\n\tPpuhEmailSs²½Ⅻ٣_", max_size=24)


@settings(max_examples=500, deadline=None)
@given(name=st.one_of(st.none(), st.sampled_from(NAMES), _NAME_TEXT),
       email=st.one_of(st.none(), st.sampled_from(EMAILS),
                       st.text(alphabet="ab.@-_<>, (at)Kä", max_size=20)),
       phone=st.one_of(st.none(), st.sampled_from(PHONES),
                       st.text(alphabet="0123456789 +-()/puh.", max_size=20)))
def test_any_separate_fields_read_the_short_way_as_the_whole_way_reads_them(name, email, phone):
    _same(*(normalise.clean_text(v) for v in (name, email, phone)))


@cache
def _mappers():
    from yhteistuumin_survey.ingest.mapping import HeadingMapper
    from yhteistuumin_survey.ingest.profiles import load_profiles
    from yhteistuumin_survey.resources import bundled_path
    from yhteistuumin_survey.survey import load_survey

    survey = load_survey(bundled_path("survey/questions.yaml"))
    profiles = load_profiles()
    return survey, [HeadingMapper(survey, profiles[name]) for name in ("table", "limesurvey")]


def test_a_label_column_counts_what_the_whole_matching_reads_by_a_label():
    # label_column counts only the sure rules (exact, label, option), which the whole matching
    # tries first: the short matching must give exactly those and nothing else.
    from test_ingest_mapping import HEADINGS

    survey, mappers = _mappers()
    texts = [h for h, _, _ in HEADINGS]
    for question in survey.questions:
        for label in question.labels.values():
            texts += [label, f"{label} *", f"3. {label}", f"{label} / {label}", f"{label} - Lapset",
                      f"{label} [SQ001]", f"{label}?", label.upper(), label[:-3] + "...",
                      f"Kerro {label.lower()}"]
    texts += ["Kunta: Ylivieska (977)", "https://www.yhteistuumin.fi/kysely?token=x", "", " ",
              "Kiitos vastauksestanne!", "Tav.", "Yht.hlö", "Lapset", "Muu, mikä?"]
    for mapper in mappers:
        for text in texts:
            whole = mapper.match(text)
            sure = whole if whole is not None and whole.method in {"exact", "label", "option"} \
                else None
            assert mapper.label(text) == sure, text


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="KäytnöimeTavoLps -/*?:[]()123.", max_size=40))
def test_any_heading_reads_by_a_label_as_the_whole_matching_reads_it(text):
    _survey, mappers = _mappers()
    for mapper in mappers:
        whole = mapper.match(text)
        sure = whole if whole is not None and whole.method in {"exact", "label", "option"} \
            else None
        assert mapper.label(text) == sure



def _formats() -> list[str]:
    from yhteistuumin_survey.ingest.profiles import load_profiles

    formats = {fmt for profile in load_profiles().values() for fmt in profile.timestamps}
    return sorted(formats | {"%y-%m-%d %I %p", "%d.%m. %H:%M", "%Y%m%d%H%M%S", "%I:%M %p",
                             "%m/%d", "%Y-%m-%dT%H:%M:%S%z", "%H.%M.%S %z", "%A %d %B %Y"})


def _strptime_or_error(text: str, fmt: str):
    import datetime as dt

    try:
        return dt.datetime.strptime(text, fmt)
    except ValueError:
        return ValueError


def _fast_or_error(text: str, fmt: str):
    from yhteistuumin_survey.ingest.profiles import _strptime

    try:
        return _strptime(text, fmt)
    except ValueError:
        return ValueError


TIMES = ["2022/11/02 10:39:01 PM GMT+0100", "3/2/2024 9:01:00", "12/31/2024 23:59:59",
         "2024-02-29 12:00:00", "2023-02-29 12:00:00", "31.12.2024 23.59", "1.1.2024 klo 8.05.00",
         "2024/01/01 12:00:00 AM", "2024/01/01 12:00:00 pm", "2024/1/1 0:00:00 PM",
         "2024-01-01 24:00:00", "2024-01-01 23:60:00", "2024-01-01 23:59:60", "2024-01-01 23:59:61",
         "02/29", "2024-05-05T10:00:00+02:00", "2024-05-05T10:00:00Z", "2024-05-05T10:00:00-0530",
         "2024-05-05T10:00:00+01:30:15.5", "2024-05-05T10:00:00+01:3015", "24-05-05 12 AM",
         "69-01-01 1 pm", "2024-05-05  10:00:00", "2024-05-05\t10:00:00", " 1.01.2024",
         "2024-05-05 10:00:00 extra", "10.00.00 +2359", "10.00.00 +2400", "Monday 01 January 2024"]


def test_form_times_read_the_short_way_as_strptime_reads_them():
    for fmt in _formats():
        for text in TIMES:
            assert _fast_or_error(text, fmt) == _strptime_or_error(text, fmt), (text, fmt)


@settings(max_examples=1000, deadline=None)
@given(fmt=st.sampled_from(_formats()),
       text=st.text(alphabet="0123456789 ./:-+ZTAPMampGMklo\t", max_size=32))
def test_any_typed_time_reads_the_short_way_as_strptime_reads_it(fmt, text):
    fast, slow = _fast_or_error(text, fmt), _strptime_or_error(text, fmt)
    assert fast == slow
    if slow is not ValueError:
        assert (fast.tzinfo, fast.isoformat()) == (slow.tzinfo, slow.isoformat())


@settings(max_examples=1000, deadline=None)
@given(fmt=st.sampled_from(_formats()), data=st.data())
def test_times_in_a_formats_own_shape_read_as_strptime_reads_them(fmt, data):
    # Texts shaped like the format (its literal parts kept, each field one to four digits or a
    # marker), so that most of them parse.
    import re

    pieces = []
    for part in re.split(r"(%.)", fmt):
        if part == "%p":
            pieces.append(data.draw(st.sampled_from(["AM", "PM", "am", "pm", "XM"])))
        elif part == "%z":
            pieces.append(data.draw(st.sampled_from(["+0100", "-05:30", "Z", "+01:00:30",
                                                     "+0130.5", "+2500", "-0000"])))
        elif part.startswith("%"):
            pieces.append(data.draw(st.from_regex(r"\A ?[0-9]{1,4}\Z")))
        else:
            pieces.append(part)
    text = "".join(pieces)
    fast, slow = _fast_or_error(text, fmt), _strptime_or_error(text, fmt)
    assert fast == slow
    if slow is not ValueError:
        assert (fast.tzinfo, fast.isoformat()) == (slow.tzinfo, slow.isoformat())


def _words_as_before(text: str) -> list[str]:
    """``resolve._words`` as it was: every step on every text."""
    import unicodedata

    from yhteistuumin_survey import resolve

    text = resolve._COLON_CASE.sub("", text.translate(resolve._INVISIBLE))
    return resolve._WORD.findall(unicodedata.normalize("NFC", text).replace("_", " "))


@settings(max_examples=1000, deadline=None)
@given(st.text(alphabet="aAäÄöå:n_ -iIsl\u0308\u00ad\u200bKoski", max_size=30))
def test_names_split_into_the_words_they_split_into_before(text):
    import unicodedata

    from yhteistuumin_survey import resolve

    assert resolve._words(text) == _words_as_before(text)
    assert resolve._tokens(text) == [unicodedata.normalize("NFC", w.casefold())
                                     for w in _words_as_before(text)]


def test_no_character_that_cleaning_changes_is_printable():
    # clean_text takes a printable text as it is (NFC aside): that is right only while every
    # character _normalise_chars replaces or drops is unprintable, and line breaks too.
    changed = [code for code in range(0x110000)
               if normalise._ODD_CHARS.match(chr(code)) and chr(code).isprintable()]
    assert changed == []
    assert not any(ch.isprintable() for ch in normalise._LINE_BREAKS | {"\r", "\t"})


@settings(max_examples=1000, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40))
def test_a_printable_answer_cleans_as_every_answer_cleans(text):
    import unicodedata

    if text.isprintable():
        assert normalise._normalise_chars(text) == unicodedata.normalize("NFC", text)
    # A one-item list goes the general way (its items joined by line breaks: the text itself).
    assert normalise.clean_text(text) == normalise.clean_text([text])


def test_a_python_whose_strptime_reads_a_field_otherwise_keeps_strptime():
    # The short way is checked against strptime on times the format itself writes: a field it
    # would read differently (here: every offset) sends that format back to strptime.
    import datetime as dt
    from unittest import mock

    from yhteistuumin_survey.ingest import profiles

    fmt = "%Y-%m-%dT%H:%M:%S%z"
    profiles._TIME_PATTERNS.clear()
    try:
        with mock.patch.object(profiles, "_utc_offset", return_value=dt.UTC):
            assert profiles._time_pattern(fmt) is None
            assert profiles._strptime("2024-05-05T10:00:00+0200", fmt) == \
                dt.datetime.strptime("2024-05-05T10:00:00+0200", fmt)
        profiles._TIME_PATTERNS.clear()
        assert profiles._time_pattern(fmt) is not None
    finally:
        profiles._TIME_PATTERNS.clear()


def _test_text_as_before(text):
    """``normalise._is_test_text`` as it was before its short way: the whole text folded."""
    import re

    folded = re.sub(r"\d+$", "", normalise.fold(text or "").replace(" ", ""))
    return bool(folded) and (folded in normalise._TEST_WORDS
                             or bool(normalise._REPEATED.fullmatch(folded)))


TRIED_TEXTS = ["testi", "Testi 2", "TESTI", "test test", "asdf", "Xxx", "xxxxxxxxxxxxxxxxxxxxx",
               "aaaaaaaaaaaaaAAAAAAAAA 12", "ÄäÄäÄäÄäÄäÄäÄäÄä", "Testivastaus", "Testivastaus 123",
               "testivastaus!!!!!!!!!!!!!", "T-e-s-t-i-v-a-s-t-a-u-s", "testi٣", "testi ٣٣",
               "q w e r t y 1 2 3 4 5 6 7", "Kulttuurikaveri", "Kirjastoauto kylille",
               "ﬀﬀﬀﬀﬀﬀﬀﬀﬀﬀﬀﬀﬀ", "ǅǅǅǅǅǅǅǅǅǅǅǅǅ", "ßßßßßßßßßßßßß", "Toiminta järjestetään yhdessä.",
               "...............", "123456789012345", "x" * 300, "x" * 299 + "y", None, ""]


def test_tried_texts_read_the_short_way_as_the_whole_way_reads_them():
    for text in TRIED_TEXTS:
        assert normalise._is_test_text(text) == _test_text_as_before(text), text
    assert normalise._is_test_text("Testivastaus 123")
    assert not normalise._is_test_text("Toiminta järjestetään yhdessä.")


@settings(max_examples=2000, deadline=None)
@given(st.one_of(st.text(alphabet=st.sampled_from("aAxXtTeEsSiIqQ ÄäßǅﬀK\u0301\u00ad_-.!2٣²\u200b"),
                         max_size=40), st.text(max_size=40)))
def test_any_tried_text_reads_the_short_way_as_the_whole_way_reads_it(text):
    assert normalise._is_test_text(text) == _test_text_as_before(text)



@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(["och", "för", "ja", "että", "kunnassa", "på", "Åland",
                                 "lapsille", "kirjastossa", "barn", "x", "ÅÅ", "ja,", "och."]),
                max_size=30), st.booleans())
def test_a_texts_language_evidence_is_the_sum_of_its_words_scored_one_by_one(words, fresh):
    # Scored as each token is first met (the table's __missing__), or from the table.
    if fresh:
        normalise._TOKEN_SCORES.clear()
    total = sum(normalise._token_score(token) for token in " ".join(words).split())
    assert normalise._heuristic(" ".join(words)) == (total % normalise._SV_UNIT,
                                                      total // normalise._SV_UNIT)


class _Unseekable(io.RawIOBase):
    """A stream zipfile cannot seek back in: it writes each part's sizes and CRC after the
    part, in a data descriptor (flag bit 3), as a program streaming a workbook does."""

    def __init__(self) -> None:
        self.written = io.BytesIO()

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:  # type: ignore[override]
        return self.written.write(data)


def _archive(stream=None) -> bytes:
    buffer = stream if stream is not None else io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(zipfile.ZipInfo("xl/stored.xml"), b"<a/>" * 100)
        archive.writestr("xl/deflated.xml", "<a>ä</a>" * 1000, compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr("xl/Käytäntö 1.xml", b"<b/>", compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr("xl/empty.xml", b"", compress_type=zipfile.ZIP_DEFLATED)
    return (buffer.written if isinstance(buffer, _Unseekable) else buffer).getvalue()


def test_a_zip_part_unpacked_from_the_archive_bytes_is_what_zipfile_reads():
    from yhteistuumin_survey.tables import _inflated

    for streamed in (False, True):
        data = _archive(_Unseekable() if streamed else None)
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            assert any(info.flag_bits & 0x8 for info in archive.infolist()) == streamed
            for info in archive.infolist():
                if info.file_size:
                    assert _inflated(data, info) == archive.read(info), info.filename
                else:
                    assert _inflated(data, info) is None  # (zipfile reads an empty part)


def test_a_zip_part_that_is_not_what_the_directory_says_is_left_to_zipfile():
    # A changed byte in a part, or in its local name: zipfile then reads it and says what is
    # wrong (its CRC, its name), as it did before the short way.
    from yhteistuumin_survey.tables import _inflated

    data = _archive()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        infos = {info.filename: info for info in archive.infolist()}
    for name, at in (("xl/stored.xml", 30 + len("xl/stored.xml") + 7),
                     ("xl/deflated.xml", 30 + len("xl/deflated.xml") + 3),
                     ("xl/deflated.xml", 30 + 1)):
        changed = bytearray(data)
        changed[infos[name].header_offset + at] ^= 0x21
        assert _inflated(bytes(changed), infos[name]) is None, (name, at)
        with zipfile.ZipFile(io.BytesIO(bytes(changed))) as archive, \
                pytest.raises((zipfile.BadZipFile, zlib.error)):
            archive.read(name)
    short = data[:infos["xl/deflated.xml"].header_offset + 40]  # cut inside the part
    assert _inflated(short, infos["xl/deflated.xml"]) is None


def _fold_as_before(text):
    """``survey.fold`` as it was before its one translate pass: the whole text at once."""
    import re

    from yhteistuumin_survey.survey import strip_diacritics

    text = strip_diacritics(text.casefold())
    return " ".join(re.sub(r"[^\w]+", " ", text.replace("_", " ")).split())


def test_every_character_of_the_basic_plane_folds_as_the_whole_text_folds_it():
    from yhteistuumin_survey import survey

    try:
        for code in range(0x10000):
            # Between letters and after a combining mark: what folds around a character too.
            text = f"a{chr(code)}\u0301b {chr(code)}"
            assert survey.fold(text) == _fold_as_before(text), hex(code)
    finally:
        survey._FOLDING.clear()  # the table keeps what a round's texts hold, not every character


@settings(max_examples=2000, deadline=None)
@given(st.one_of(st.text(alphabet=st.sampled_from(
    "aAäÄöÖåÅ ßẞǅﬁİıΣσς²٣_-.,!'’\u0301\u0308\u0323\u00ad\u200b\u200d\u00a0\u1100\u1161가각"
    "\x1c\x85\u2028\t\n①㎏Ⅻ½"), max_size=30), st.text(max_size=30)))
def test_any_text_folds_as_the_whole_text_folded_before(text):
    from yhteistuumin_survey import survey

    assert survey.fold(text) == _fold_as_before(text)


def _cell_flags_as_before(raw):
    """``normalise._cell_flags`` as it was before its short looks: each text matched whole."""
    from yhteistuumin_survey.flags import unsure

    flags = []
    for qid, value in raw.items():
        if not isinstance(value, str):
            continue
        if normalise._FORMULA_START.match(value):
            flags.append(unsure(qid, "formula", formula=value.strip()[:60]))
        elif len(value) <= normalise._CELL_ERROR_CHARS \
                and value.strip().upper() in normalise._CELL_ERRORS:
            flags.append(unsure(qid, "cell-error", error=value.strip()))
    return flags


CELLS = ["=SUM(A1:A3)", " =A1", "\t=A1", "\u00a0=A1", "\u2003 =A1", "\n=A1", "=", " #REF! ",
         "#ref!", "#N/A", "x#REF!", "#VALUE!\u00a0", "#TYHJÄ!", "#tyhjä!", "Lapset = nuoret",
         "", " ", "040 123 4567", None, 3, ["=A1"]]


def test_cell_flags_read_the_short_way_as_the_whole_way_reads_them():
    raw = {f"q{index}": value for index, value in enumerate(CELLS)}
    assert normalise._cell_flags(raw) == _cell_flags_as_before(raw)
    assert len(normalise._cell_flags(raw)) == 12


@settings(max_examples=1000, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from("= #REFAULNMIVDTYHJÄ!/0?\u00a0\t\n\u2003\u3000x"),
                        max_size=24), max_size=6))
def test_any_cells_flag_the_short_way_as_the_whole_way_flags_them(values):
    raw = {f"q{index}": value for index, value in enumerate(values)}
    assert normalise._cell_flags(raw) == _cell_flags_as_before(raw)


@settings(max_examples=1000, deadline=None)
@given(st.one_of(st.text(alphabet=st.sampled_from("a  \t\n\r\u00a0\u2028\u0301-."), max_size=20),
                 st.text(max_size=20)))
def test_a_line_cleans_as_its_cleaned_text_joined_into_one_line(text):
    cleaned = normalise.clean_text(text)
    before = None if cleaned is None else \
        " ".join(cleaned.split("\n")).replace("  ", " ") or None
    assert normalise.clean_line(text) == before


def test_an_answer_s_memo_key_tells_each_heading_and_cell_by_its_type():
    pairs = [("Lapset", ""), ("Nuoret", "x"), ("Muu", 1)]
    assert normalise._answer_key(pairs) == (list, (((str, "Lapset"), (str, "")),
                                                   ((str, "Nuoret"), (str, "x")),
                                                   ((str, "Muu"), (int, 1))))
    assert normalise._answer_key([("Muu", True)]) != normalise._answer_key([("Muu", 1)])
    assert normalise._answer_key([("Muu", 1, 2)]) is None
    assert normalise._answer_key([("Muu", [1])]) is None


LONG_TRIED_TEXTS = ["testi" + " " * 60, "Testi " + "1" * 60, "x" * 48 + "y", "x" * 49,
                    "a" * 47 + " " + "b" * 20, "-" * 50 + "asdf", "é" * 60 + "testi",
                    "Toiminta järjestetään yhdessä paikallisten yhdistysten kanssa. " * 4]


def test_long_tried_texts_read_by_their_start_as_the_whole_way_reads_them():
    for text in LONG_TRIED_TEXTS:
        assert normalise._is_test_text(text) == _test_text_as_before(text), text
    assert normalise._is_test_text("testi" + " " * 60)
    assert not normalise._is_test_text("x" * 48 + "y")


@settings(max_examples=2000, deadline=None)
@given(st.text(alphabet=st.sampled_from("aAxXtTeEsSiI ÄäßǅﬀK\u0301\u00ad_-.!2٣²\u200b"),
               min_size=normalise._TEST_START - 8, max_size=3 * normalise._TEST_START))
def test_any_long_tried_text_reads_by_its_start_as_the_whole_way_reads_it(text):
    assert normalise._is_test_text(text) == _test_text_as_before(text)


def _too_long_as_before(values, raw, rules):
    """``normalise._too_long_flags`` as it was before its first pass: every limit measured."""
    flags = []
    for qid, max_length in rules.limits:
        text = values.get(qid)
        if not isinstance(text, str):
            typed = raw.get(qid)
            text = normalise.clean_text(typed) if isinstance(typed, str) else None
        if text and len(text) > max_length:
            flags.append(f"too-long:{qid}")
    return flags


_ANSWER = st.one_of(st.none(), st.text(alphabet=st.sampled_from("ab \n\u00a0\u0301"), max_size=14),
                    st.lists(st.text(max_size=3), max_size=2))


@settings(max_examples=1000, deadline=None)
@given(st.dictionaries(st.sampled_from(["title", "keywords", "goal", "contact_phone", "own"]),
                       _ANSWER),
       st.dictionaries(st.sampled_from(["title", "keywords", "goal", "contact_phone", "own"]),
                       _ANSWER))
def test_any_answers_too_long_are_flagged_as_every_limit_measured_flags_them(values, raw):
    limits = (("title", 3), ("keywords", 4), ("goal", 0), ("contact_phone", 10), ("own", 2))
    rules = normalise._SurveyRules(survey=None, ids=frozenset(qid for qid, _ in limits),  # type: ignore[arg-type]
                                   required=(), limits=limits)
    assert normalise._too_long_flags(values, raw, rules) == _too_long_as_before(values, raw, rules)


_JSON_VALUE = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True, allow_infinity=True),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=12),
    st.lists(st.one_of(st.none(), st.text(max_size=4), st.integers()), max_size=3),
    st.dictionaries(st.text(max_size=3), st.text(max_size=3), max_size=2))


@settings(max_examples=2000, deadline=None)
@given(st.dictionaries(st.one_of(st.text(alphabet=st.characters(codec="utf-8"), max_size=12),
                                 st.integers(), st.none(), st.booleans()),
                       _JSON_VALUE, max_size=6))
def test_any_raw_answer_is_stored_as_the_json_text_json_dumps_makes(raw):
    import json

    from yhteistuumin_survey.ingest.records import json_text, raw_json_text

    assert raw_json_text(raw) == json_text(raw) == json.dumps(raw)
    # (a second time from the headings already known)
    assert raw_json_text(raw) == json.dumps(raw)


def test_every_character_below_u0100_is_nfc_and_combines_with_none_before_it():
    import unicodedata

    for code in range(256):
        assert unicodedata.is_normalized("NFC", chr(code)), hex(code)
        assert unicodedata.combining(chr(code)) == 0, hex(code)
    assert normalise._LATIN1_SIZE is not None  # CPython: the short way is taken


@settings(max_examples=2000, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=0x2100), max_size=30), st.booleans())
def test_a_text_told_latin1_by_its_size_is_latin1_and_cleans_as_checked_whole(text, cached):
    import pickle
    import sys
    import unicodedata

    if cached:
        pickle.dumps(text)  # (pickling keeps a UTF-8 copy in the text: it only adds to the size)
    if sys.getsizeof(text) - len(text) == normalise._LATIN1_SIZE:
        assert max(map(ord, text)) < 256
        assert unicodedata.is_normalized("NFC", text)


def test_every_character_below_u0100_is_printable_unless_its_byte_is_named_unprintable():
    for code in range(256):
        assert chr(code).isprintable() == (code not in normalise._UNPRINTABLE_LATIN1), hex(code)


@settings(max_examples=2000, deadline=None)
@given(st.one_of(st.text(alphabet=st.characters(max_codepoint=0x7F), min_size=50, max_size=90),
                 st.text(alphabet=st.characters(max_codepoint=0xFF), min_size=50, max_size=90),
                 st.text(alphabet=st.sampled_from([chr(code) for code in range(0x100)
                                                   if chr(code).isprintable()]),
                         min_size=50, max_size=90),
                 st.text(alphabet=st.characters(max_codepoint=0x2100), min_size=50, max_size=90)),
       st.sampled_from(["", "\n", "\u00a0", "\u00ad", "\x7f", "\x85", "\u2013", "\t"]))
def test_a_long_text_is_printable_as_isprintable_says(text, extra):
    for typed in (text + "x" * normalise._LONG_TEXT, text + extra, extra + text):
        printable, one_byte = normalise._long_one_line(typed)
        assert printable == typed.isprintable()
        if one_byte:
            assert max(map(ord, typed), default=0) < 256
