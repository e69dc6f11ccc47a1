"""A received file's format said in words wherever a person reads it (``person``, the review
workbook's 'Lähde'), from one table (``file_formats``)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from factories import make_practice

from yhteistuumin_survey.file_formats import FORMAT_NAMES, format_name

ANNA = "anna.virtanen@kerava.example.fi"
PROFILES = Path(__file__).resolve().parents[1] / "survey" / "profiles"


def _one_line(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize(("code", "finnish", "swedish"), [
    ("eml", "sähköposti", "e-post"),
    ("msforms", "Microsoft Forms", "Microsoft Forms"),
    ("questionnaire", "kyselylomake", "enkätblankett"),
])
def test_person_names_the_format_of_her_file_in_words(workspace, session, db_url, cli, code,
                                                      finnish, swedish):
    """The access report said 'muoto: eml' and 'muoto: msforms' (database codes) of the file
    her answer came in. Now the format is named in her language; the JSON keeps the code."""
    import json

    make_practice(session, title="Lukupiiri", status="approved", publish_consent=True,
                  contact_name="Anna Virtanen", contact_email=ANNA, file_format=code)

    fi = _one_line(cli("--db", db_url, "person", ANNA).stdout)
    sv = _one_line(cli("--db", db_url, "person", ANNA, "--lang", "sv").stdout)
    data = json.loads(cli("--db", db_url, "person", ANNA, "--format", "json").stdout)

    assert f"muoto: {finnish}" in fi, fi
    assert f"format: {swedish}" in sv, sv
    if code != "questionnaire":
        assert f"muoto: {code}" not in fi and f"format: {code}" not in sv
    assert data["sections"]["received"][0]["format"] == code


def test_every_survey_tools_profile_and_file_kind_has_a_name_in_each_language():
    """A profile added under survey/profiles (its name is the format ingest records) without
    a name here would be shown to a person as its code."""
    profiles = {yaml.safe_load(path.read_text(encoding="utf-8"))["name"]
                for path in PROFILES.glob("*.yaml")}
    for lang in ("fi", "sv", "en"):
        missing = sorted(code for code in profiles if code not in FORMAT_NAMES[lang])
        assert not missing, (lang, missing)
    assert set(FORMAT_NAMES["fi"]) == set(FORMAT_NAMES["sv"]) == set(FORMAT_NAMES["en"])
    assert format_name(None, "fi") == "" and format_name("unknown-x", "sv") == "unknown-x"
