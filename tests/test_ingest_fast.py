"""The short ways ingest takes (issue 18) give exactly what the long ways gave.

Each fast path is checked against the library or the code it stands in for: addresses against
email-validator, Finnish mobile numbers against phonenumbers, the language word count against
a word-by-word count, the report's rows against openpyxl's own writer. The caches are checked
through a real ingest: an address in two files is validated once and reads the same in both,
an invalid one is flagged in every practice that has it.
"""

from __future__ import annotations

from pathlib import Path
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ingest_support import practices, run_ingest

from yhteistuumin_survey import normalise


def _email_validator(candidate: str) -> str | None:
    """What ``_validate_email`` returned before it had a short way: email-validator's word."""
    from email_validator import EmailNotValidError, validate_email

    candidate = candidate.strip(" .,;:<>()[]\"'").removeprefix("mailto:")
    try:
        return validate_email(candidate, check_deliverability=False,
                              allow_smtputf8=False).normalized
    except (EmailNotValidError, UnicodeError, ValueError):
        return None


ADDRESSES = [
    "maija.meikalainen@kunta.fi", "Maija.Meikalainen@Kunta.FI", "postmaster@kunta.fi",
    "Postmaster@kunta.fi", "ABUSE@Example.com", "a@b.fi", "a@b", "a@-b.fi", "a@b-.fi",
    "a@b..fi", "a..b@kunta.fi", ".a@kunta.fi", "a.@kunta.fi", "a@kunta.local", "a@kunta.test",
    "a@localhost", "a@kunta.invalid", "a@kunta.example", "a@123.456", "a@kunta.123",
    "a+tag@kunta.fi", "o'brien@kunta.fi", "{x}|y~@kunta.fi", "a@xn--hmeenlinna-r2a.fi",
    "a@XN--HMEENLINNA-R2A.FI", "a@xn--invalid-.fi", "a@ab--cd.fi", "a@xn--ab.fi",
    "x" * 64 + "@kunta.fi", "x" * 65 + "@kunta.fi", "x" * 200 + "@" + "d" * 50 + ".fi",
    "a@" + "d" * 63 + ".fi", "a@" + "d" * 64 + ".fi", "a@" + ".".join(["d" * 60] * 4) + ".fi",
    "a@" + ".".join(["d" * 61] * 4) + ".fi", "ä@kunta.fi", "a@hämeenlinna.fi", "mailto:a@kunta.fi",
    "<a@kunta.fi>", "a@kunta.fi.", "a@@kunta.fi", "@kunta.fi", "a@", "a@kunta_x.fi",
    "a@1kunta.fi", "a@kunta.f", "a@kunta.xn--p1ai", "a@kunta.fi-", "\"a b\"@kunta.fi",
]


@pytest.mark.parametrize("address", ADDRESSES)
def test_an_address_reads_as_email_validator_reads_it(address):
    normalise._email_domain.cache_clear()
    assert normalise._validate_email(address) == _email_validator(address)
    # And again, with the domain's verdict from the cache.
    assert normalise._validate_email(address) == _email_validator(address)


_ATEXT = "abcXYZ019_!#$%&'*+-/=?^`{|}~."


@settings(max_examples=300, deadline=None)
@given(local=st.text(alphabet=_ATEXT + "äé@\" ", min_size=0, max_size=70),
       domain=st.text(alphabet="abcXYZ019.-_äx", min_size=0, max_size=30))
def test_any_typed_address_reads_as_email_validator_reads_it(local, domain):
    address = f"{local}@{domain}"
    assert normalise._validate_email(address) == _email_validator(address)


def _phonenumbers(text: str) -> str | None:
    """``_parse_phone`` as it was: every number through phonenumbers."""
    import re

    import phonenumbers

    digits = re.sub(r"\D", "", text)
    if not digits or re.search(r"[^\W\d_]", text):
        return None
    candidate = text.strip()
    if digits.startswith("358") and len(digits) >= 9 and not candidate.startswith(("+", "0")):
        candidate = "+" + candidate
    elif candidate.startswith("00"):
        candidate = "+" + candidate[2:]
    try:
        number = phonenumbers.parse(candidate, "FI")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def _typed_mobiles() -> list[str]:
    numbers = []
    for prefix in [*(f"4{d}" for d in range(10)), "50", "51", "45", "39"]:
        for extra in range(2, 11):
            rest = "1234567890"[:extra]
            numbers += [f"0{prefix}{rest}", f"0{prefix} {rest[:3]} {rest[3:]}",
                        f"0{prefix}-{rest}", f"+358{prefix}{rest}", f"+358 {prefix} {rest}",
                        f"+358-{prefix}-{rest}", f"358{prefix}{rest}", f"00358{prefix}{rest}",
                        f"0 {prefix}{rest}", f"+358 0{prefix}{rest}"]
    return numbers


def test_every_typed_finnish_mobile_shape_formats_as_phonenumbers_formats_it():
    assert normalise._fi_mobile_trusted()
    for number in _typed_mobiles():
        assert normalise._parse_phone(number) == _phonenumbers(number), number


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="0123456789 -+()", min_size=1, max_size=18))
def test_any_typed_number_formats_as_phonenumbers_formats_it(text):
    assert normalise._parse_phone(text) == _phonenumbers(text)


def test_with_other_phone_metadata_every_number_goes_through_phonenumbers():
    normalise._fi_mobile_trusted.cache_clear()
    normalise._parse_phone.cache_clear()
    try:
        with mock.patch.object(normalise, "_phonenumbers_format", return_value="+358 1") as full:
            assert normalise._parse_phone("040 123 4567") == "+358 1"
        assert full.called
    finally:
        normalise._fi_mobile_trusted.cache_clear()
        normalise._parse_phone.cache_clear()


def _word_by_word(text: str) -> tuple[int, int]:
    """The language evidence counted one word at a time (as ``_heuristic`` did)."""
    lowered = text.casefold()
    sv = 3 * lowered.count("å")
    fi = 0
    for word in normalise._WORD.findall(lowered):
        if word in normalise._SV_WORDS:
            sv += 1
        elif word in normalise._FI_WORDS:
            fi += 1
        elif len(word) > 5 and word.endswith(normalise._FI_ENDINGS):
            fi += 1
    return fi, sv


_WORDS = ["och", "som", "för", "ja", "että", "kunnan", "kirjastossa", "Åbo", "barn", "lapset",
          "kulttuuri", "tapahtumissa", "är", "ÄR", "ß", "på", "x", "12", "_", "3ja", "och_ja"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(_WORDS), st.text(max_size=8)), max_size=60),
       st.lists(st.sampled_from([" ", "\n", ", ", ". ", "-", "\t", "\u00a0", "(", ")", "²"]),
                min_size=1, max_size=5))
def test_the_language_word_count_is_the_word_by_word_count(words, separators):
    text = "".join(word + separators[i % len(separators)] for i, word in enumerate(words))
    assert normalise._heuristic(text) == _word_by_word(text)
    assert normalise._heuristic(text) == _word_by_word(text)  # again, from the token cache


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_clean_text_leaves_clean_text_and_a_clean_line_as_they_are(text):
    # normalise_answers decides the language on its cleaned texts without cleaning them again.
    for cleaned in (normalise.clean_text(text), normalise.clean_line(text)):
        assert cleaned is None or normalise.clean_text(cleaned) == cleaned


def test_report_rows_read_back_as_written_by_openpyxl_and_calamine(tmp_path):
    from openpyxl import load_workbook

    from yhteistuumin_survey import workbooks
    from yhteistuumin_survey.tables import read_workbook

    texts = ["a & b < c > d", " lead", "trail ", "tab\there", "cr\r\nlf", "quote \" and '",
             "ääkköset ÅÖ €", "=SUM(1)", "x\n y", "\u2028sep", "]]>", "-1", "😀",
             "Koodi _x0041_ sellaisenaan", "ohjaus\x07merkki"]
    expected = ["a & b < c > d", " lead", "trail ", "tab\there", "cr\r\nlf", "quote \" and '",
                "ääkköset ÅÖ €", "'=SUM(1)", "x\n y", "\u2028sep", "]]>", "'-1", "😀",
                "Koodi _x0041_ sellaisenaan", "ohjausmerkki"]
    rows = [{"a": text, "b": n if n % 3 else None, "c": 10**12 + n, "d": n % 2 == 0,
             "e": n / 4} for n, text in enumerate(texts)]
    path = workbooks.write_table_xlsx(tmp_path / "t.xlsx", rows, list("abcde"), title="T")
    sheet = load_workbook(path)["T"]
    calamine = next(s for s in read_workbook(path) if s.name == "T").rows
    assert [c.value for c in sheet[1]] == list("abcde") == list(calamine[0])
    for n, want in enumerate(expected):
        values = [want, n if n % 3 else None, 10**12 + n, n % 2 == 0, n / 4]
        if "_x" not in want:  # openpyxl leaves escapes in inline text as they are
            assert [c.value for c in sheet[n + 2]] == values
        assert calamine[n + 1][0] == want
    assert sheet.auto_filter.ref == f"A1:E{len(texts) + 1}"


def test_text_that_looks_like_an_error_code_stays_text(tmp_path):
    from openpyxl import load_workbook

    from yhteistuumin_survey import workbooks

    rows = [{"a": "#N/A"}, {"a": 1.5}, {"a": True}]
    path = workbooks.write_table_xlsx(tmp_path / "t.xlsx", rows, ["a"], title="T")
    sheet = load_workbook(path).active
    assert [cell.value for cell in sheet["A"]] == ["a", "#N/A", 1.5, True]
    assert [cell.data_type for cell in sheet["A"][1:]] == ["s", "n", "b"]


def _form(path: Path, rows: list[tuple[str, str, str, str]]) -> Path:
    lines = ["Kunta;Käytännön nimi;Tavoite;Yhteyshenkilön nimi;Yhteyshenkilön sähköposti;"
             "Yhteyshenkilön puhelinnumero"]
    lines += [";".join(("Espoo", title, "Tavoitteena on lukea yhdessä.", name, email, "")) for
              title, name, email, _ in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_an_address_in_two_files_is_validated_once_and_reads_the_same(engine, workspace,
                                                                        tmp_path):
    import email_validator

    normalise._email_domain.cache_clear()
    normalise._split_contact.cache_clear()  # a contact seen before is not split again at all
    first = _form(tmp_path / "eka.csv", [
        ("Lukupiiri", "Maija Meikäläinen", "Maija.Meikalainen@Espoo.FI", ""),
        ("Runoilta", "Pekka Virtanen", "pekka.virtanen@espoo..fi", "")])
    second = _form(tmp_path / "toka.csv", [
        ("Kesäteatteri", "Maija Meikäläinen", "Maija.Meikalainen@Espoo.FI", ""),
        ("Kuorolaulu", "Pekka Virtanen", "pekka.virtanen@espoo..fi", "")])
    calls: list[str] = []
    real = email_validator.validate_email

    def counted(address, **options):  # type: ignore[no-untyped-def]
        calls.append(address)
        return real(address, **options)

    with mock.patch.object(email_validator, "validate_email", counted):
        run_ingest([first, second], engine=engine, workspace=workspace)
    by_title = {p["title"]: p for p in practices(engine)}
    assert {by_title[t]["contact"]["email"] for t in ("Lukupiiri", "Kesäteatteri")} == {
        "Maija.Meikalainen@espoo.fi"}
    for title in ("Runoilta", "Kuorolaulu"):  # flagged in every practice that has it
        assert by_title[title]["contact"]["email"] is None
        assert any(":email-invalid{" in flag for flag in by_title[title]["flags"])
    # Each domain once, whatever the number of practices and files.
    assert sorted(calls) == ["x@Espoo.FI", "x@espoo..fi"]


def test_the_run_leaves_the_database_synchronous_as_it_found_it(engine, workspace, tmp_path):
    from sqlalchemy import text
    from sqlmodel import Session

    query = text("PRAGMA synchronous" if engine.dialect.name == "sqlite"
                 else "SHOW synchronous_commit")
    with Session(engine) as session:
        before = session.execute(query).scalar()
    run_ingest([_form(tmp_path / "eka.csv", [("Lukupiiri", "Maija", "m@espoo.fi", "")])],
               engine=engine, workspace=workspace)
    with Session(engine) as session:
        assert session.execute(query).scalar() == before
    if engine.dialect.name == "sqlite":
        assert before == 2  # FULL
        with Session(engine) as session:  # the log is checkpointed as often as before the run
            assert session.execute(text("PRAGMA wal_autocheckpoint")).scalar() == 1000


def test_a_file_that_fails_is_recorded_as_failed_under_its_id(engine, workspace, tmp_path):
    from sqlmodel import Session, select

    from yhteistuumin_survey.db.models import ReceivedFile, Submission

    good = _form(tmp_path / "a.csv", [("Lukupiiri", "Maija", "m@espoo.fi", "")])
    bad = tmp_path / "b.xlsx"
    bad.write_bytes(b"<html><body>not a workbook</body></html>")
    run_ingest([good, bad], engine=engine, workspace=workspace)
    with Session(engine) as session:
        files = {f.original_name: f for f in session.exec(select(ReceivedFile))}
        rows = session.exec(select(Submission)).all()
    assert files["a.csv"].status == "ingested"
    assert files["b.xlsx"].status == "error" and files["b.xlsx"].error
    assert {r.received_file_id for r in rows} == {files["a.csv"].id}


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=40))
def test_diacritics_are_stripped_as_the_character_by_character_rule_strips_them(text):
    import unicodedata

    from yhteistuumin_survey.survey import strip_diacritics

    by_character = "".join(ch for ch in unicodedata.normalize("NFKD", text)
                           if not unicodedata.combining(ch))
    assert strip_diacritics(text) == by_character
    assert strip_diacritics("Närpiö Å ﬁ") == "Narpio A fi"
