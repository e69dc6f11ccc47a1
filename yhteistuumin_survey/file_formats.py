"""What a received file was read as, named for the people who read about it.

Ingest records each received file's format as a code (``ReceivedFile.format``: a survey tool's
profile name, "questionnaire", "eml", ...). The reviewer's workbook ('Lähde') and the report a
person asks for (``person``) say it in words, from this one table.
"""

from __future__ import annotations

#: The survey tools' exports, named as the tools name themselves in every language.
_TOOLS = {"msforms": "Microsoft Forms", "googleforms": "Google Forms", "webropol": "Webropol",
          "limesurvey": "LimeSurvey", "surveymonkey": "SurveyMonkey"}
#: A message, read from a saved file (.eml, Outlook's .msg) or from its text.
_MAIL = ("eml", "msg", "email", "body", "body-text")

#: A format code's name per language; a code not listed is shown as it is.
FORMAT_NAMES: dict[str, dict[str, str]] = {
    "fi": {**_TOOLS, **dict.fromkeys(_MAIL, "sähköposti"), "questionnaire": "kyselylomake",
           "table": "vastaustaulukko", "picture": "kuva", "vcard": "käyntikortti (vCard)",
           "zip": "zip-paketti", "tnef": "Outlookin liitepaketti (winmail.dat)",
           "limesurvey-structure": "LimeSurvey-kyselyn rakenne (.lss)"},
    "sv": {**_TOOLS, **dict.fromkeys(_MAIL, "e-post"), "questionnaire": "enkätblankett",
           "table": "svarstabell", "picture": "bild", "vcard": "visitkort (vCard)",
           "zip": "zip-arkiv", "tnef": "Outlooks bilagepaket (winmail.dat)",
           "limesurvey-structure": "LimeSurvey-enkätens struktur (.lss)"},
    "en": {**_TOOLS, **dict.fromkeys(_MAIL, "email"), "msg": "email (Outlook)",
           "questionnaire": "questionnaire", "table": "answer table", "picture": "picture",
           "vcard": "business card (vCard)", "zip": "zip archive",
           "tnef": "Outlook attachment bundle (winmail.dat)",
           "limesurvey-structure": "LimeSurvey survey structure (.lss)"},
}


def format_name(code: str | None, lang: str) -> str:
    """Return a received file's format ``code`` as ``lang`` names it ("" for none)."""
    if not code:
        return ""
    return FORMAT_NAMES.get(lang, FORMAT_NAMES["en"]).get(code, code)
