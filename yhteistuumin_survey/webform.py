"""The web form built from the survey definition: LimeSurvey, Google Forms, Microsoft Forms.

``build_webform`` writes what the coordinator needs to stand the same survey up in a tool, from
``survey/questions.yaml`` (the definition the Excel questionnaire uses), so the tool's export
maps back by construction:

- ``limesurvey``: a survey structure (``.lss``) in Finnish and Swedish whose codes come from
  ``ingest.limesurvey.our_structure`` (the one place ids become codes, which the ingest reads
  with), and a participants ``.csv`` holding, per municipality with a contact, the same response
  token its invitation link carries;
- ``googleforms``: an Apps Script (``.gs``) that creates the form and logs the pre-filled link;
- ``msforms``: instructions with the question texts and choices exactly as the Microsoft Forms
  profile reads them.
"""

from __future__ import annotations

import csv
import json
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from xml.etree import ElementTree as ET

from .errors import InputError
from .survey import Question, Survey

if TYPE_CHECKING:
    from sqlmodel import Session

    from .config import Settings
    from .ingest.limesurvey import LimeQuestion, Structure
    from .workspace import Workspace

TOOLS = ("limesurvey", "googleforms", "msforms")
LANGUAGES = ("fi", "sv", "both")
#: The DBVersion of LimeSurvey 6.6 (application/config/version.php: 6.6.3 -> 623); every
#: LimeSurvey 6 imports it (XMLImportSurvey reads the l10n tables from DBVersion 400 on).
LSS_DB_VERSION = 623
#: The item that carries the response token in Google and Microsoft forms. The Google Forms and
#: Microsoft Forms profiles list these headings as the ``token`` metadata column.
TOKEN_LABELS = {"fi": "Vastaustunniste", "sv": "Svarskod", "en": "Response token"}
TOKEN_HELP = {"fi": "Täyttyy kutsulinkistä. Älä muuta tätä kenttää.",
              "sv": "Fylls i av länken i inbjudan. Ändra inte fältet.",
              "en": "Filled in by the invitation link. Do not change it."}
#: The one option of the consent checkbox in Microsoft Forms (its export writes it with ";"):
#: words the consent reader takes for a yes, alone and joined in a bilingual form.
CONSENT_OPTION = {"fi": "Kyllä, saa julkaista", "sv": "Ja, får publiceras"}
_GROUP = {"fi": "Hyvä käytäntö", "sv": "God praxis", "en": "Good practice"}
_WELCOME = {
    "fi": "Kerro kuntanne kulttuuripalvelujen hyvästä käytännöstä. Yksi vastaus on yksi käytäntö; "
          "voitte vastata samalla linkillä useamman kerran.",
    "sv": "Berätta om ett gott exempel från er kommuns kulturtjänster. Ett svar är ett "
          "exempel; ni kan svara flera gånger med samma länk.",
}
_END = {"fi": "Kiitos vastauksestanne!", "sv": "Tack för ert svar!"}
_EMAIL_PREG = r"/^[^@\s]+@[^@\s]+\.[^@\s]+$/"


@dataclass
class WebformResult:
    """What ``survey webform`` wrote, and what the coordinator does next."""

    tool: str
    folder: Path
    files: list[Path] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    steps: list[str] = field(default_factory=list)
    participants: int = 0
    tokens_created: int = 0
    without_contact: int = 0
    #: Contacts left out of, or changed in, the participants file, one line each (what and
    #: what to do): a cell that would run as a formula in the coordinator's spreadsheet.
    refused: list[str] = field(default_factory=list)
    renamed: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return bool(self.refused)

    def summary(self) -> list[str]:
        names = {"limesurvey": "LimeSurvey", "googleforms": "Google Forms",
                 "msforms": "Microsoft Forms"}
        lang = {"fi": "Finnish", "sv": "Swedish"}
        lines = [f"{names[self.tool]} form in {' and '.join(lang[x] for x in self.languages)}:"]
        lines += [f"  {path}" for path in self.files]
        if self.tool == "limesurvey":
            noun = "municipality" if self.participants == 1 else "municipalities"
            lines.append(f"Participants: {self.participants} {noun} with a contact, each with the "
                         "token of its invitation link"
                         + (f" ({self.tokens_created} new)" if self.tokens_created else "") + ".")
            if self.without_contact:
                noun = "municipality has" if self.without_contact == 1 else "municipalities have"
                lines.append(f"{self.without_contact} {noun} no valid contact and no participant "
                             "row (see 'yhteistuumin register check').")
            lines += [*self.renamed, *self.refused]
        lines.append("Next:")
        lines += [f"  {number}. {step}" for number, step in enumerate(self.steps, start=1)]
        return lines

    def table(self) -> tuple[list[str], list[dict[str, Any]]]:
        return ["file"], [{"file": str(path)} for path in self.files]

    def to_dict(self) -> dict[str, Any]:
        return {"tool": self.tool, "folder": str(self.folder),
                "files": [str(p) for p in self.files], "languages": self.languages,
                "participants": self.participants, "tokens_created": self.tokens_created,
                "without_contact": self.without_contact, "renamed": self.renamed,
                "refused": self.refused, "steps": self.steps,
                "failed": self.failed}


def _languages(language: str) -> list[str]:
    if language not in LANGUAGES:
        raise InputError(f"unknown language {language!r}; use fi, sv or both")
    return ["fi", "sv"] if language == "both" else [language]


def build_webform(workspace: Workspace, *, session: Session | None, settings: Settings,
                  survey: Survey, tool: str, out: Path | None = None,
                  language: str = "both") -> WebformResult:
    """Write the web form of ``tool`` built from the survey (and, for LimeSurvey, its participants)."""
    if tool not in TOOLS:
        raise InputError(f"unknown tool {tool!r}; use one of {', '.join(TOOLS)}")
    languages = _languages(language)
    folder = Path(out) if out is not None else workspace.output_dir("webform", tool)
    folder.mkdir(parents=True, exist_ok=True)
    result = WebformResult(tool=tool, folder=folder, languages=languages)
    if tool == "limesurvey":
        if session is None:
            raise InputError("the LimeSurvey participants need the database; run 'yhteistuumin "
                             "db upgrade' and 'yhteistuumin register contacts FILE' first")
        _limesurvey(result, session=session, settings=settings, survey=survey)
    elif tool == "googleforms":
        _googleforms(result, survey=survey, settings=settings)
    else:
        _msforms(result, survey=survey)
    return result


# --- LimeSurvey ------------------------------------------------------------------------------


def survey_sid(survey: Survey) -> int:
    """A stable six-digit survey id (LimeSurvey gives another one if it is taken)."""
    return 100000 + zlib.crc32(survey.survey_id.encode()) % 900000


def _table(root: ET.Element, name: str, fields: list[str], rows: list[dict[str, Any]]) -> None:
    section = ET.SubElement(root, name)
    names = ET.SubElement(section, "fields")
    for name_ in fields:
        ET.SubElement(names, "fieldname").text = name_
    body = ET.SubElement(section, "rows")
    for row in rows:
        element = ET.SubElement(body, "row")
        for name_ in fields:
            if name_ in row:
                value = row[name_]
                ET.SubElement(element, name_).text = "" if value is None else str(value)


#: Columns of each table as LimeSurvey 6 writes them in a .lss (its tests/data/surveys samples).
QUESTION_FIELDS = ["qid", "parent_qid", "sid", "gid", "type", "title", "preg", "other", "mandatory",
                   "encrypted", "question_order", "scale_id", "same_default", "relevance",
                   "question_theme_name", "modulename"]
QUESTION_L10N_FIELDS = ["id", "qid", "question", "help", "language"]
ATTRIBUTE_FIELDS = ["qid", "attribute", "value", "language"]
GROUP_FIELDS = ["gid", "sid", "group_order", "randomization_group", "grelevance"]
GROUP_L10N_FIELDS = ["id", "gid", "group_name", "description", "language"]
SURVEY_FIELDS = ["sid", "gsid", "admin", "adminemail", "anonymized", "format", "savetimings",
                 "template", "language", "additional_languages", "datestamp", "usecookie",
                 "allowregister", "allowsave", "autonumber_start", "autoredirect", "allowprev",
                 "printanswers", "ipaddr", "refurl", "showsurveypolicynotice", "publicstatistics",
                 "publicgraphs", "listpublic", "htmlemail", "sendconfirmation",
                 "tokenanswerspersistence", "assessments", "usecaptcha", "usetokens",
                 "bounce_email", "attributedescriptions", "emailresponseto",
                 "emailnotificationto", "tokenlength", "showxquestions", "showgroupinfo",
                 "shownoanswer", "showqnumcode", "bounceprocessing", "showwelcome",
                 "showprogress", "questionindex", "navigationdelay", "nokeyboard",
                 "alloweditaftercompletion", "ipanonymize"]
SURVEY_L10N_FIELDS = ["surveyls_survey_id", "surveyls_language", "surveyls_title",
                      "surveyls_description", "surveyls_welcometext", "surveyls_endtext",
                      "surveyls_dateformat", "surveyls_numberformat"]
_THEMES = {"S": "shortfreetext", "T": "longfreetext", "M": "multiplechoice", "Y": "yesno"}


def write_lss(structure: Structure, path: Path, *, survey: Survey, languages: list[str]) -> Path:
    """Write a LimeSurvey survey structure file (``.lss``) that LimeSurvey 4-6 imports."""
    sid, gid = survey_sid(survey), 1
    root = ET.Element("document")
    ET.SubElement(root, "LimeSurveyDocType").text = "Survey"
    ET.SubElement(root, "DBVersion").text = str(LSS_DB_VERSION)
    langs = ET.SubElement(root, "languages")
    for lang in languages:
        ET.SubElement(langs, "language").text = lang
    _table(root, "groups", GROUP_FIELDS, [{"gid": gid, "sid": sid, "group_order": 1,
                                           "randomization_group": "", "grelevance": "1"}])
    _table(root, "group_l10ns", GROUP_L10N_FIELDS, [
        {"id": n, "gid": gid, "group_name": _GROUP[lang], "description": "", "language": lang}
        for n, lang in enumerate(languages, start=1)])
    questions: list[dict[str, Any]] = []
    subquestions: list[dict[str, Any]] = []
    l10ns: list[dict[str, Any]] = []
    attributes: list[dict[str, Any]] = []
    next_qid = 1000

    def l10n(qid: int, texts: dict[str, str], helps: dict[str, str] | None = None) -> None:
        for lang in languages:
            l10ns.append({"id": len(l10ns) + 1, "qid": qid, "question": _text(texts, lang),
                          "help": _text(helps or {}, lang), "language": lang})

    for order, question in enumerate(structure.questions, start=1):
        qid = question.qid
        questions.append(_question_row(question, qid=qid, parent=0, sid=sid, gid=gid, order=order,
                                       survey=survey))
        l10n(qid, question.texts, question.helps)
        for name, value in question.attributes.items():
            attributes.append({"qid": qid, "attribute": name, "value": value, "language": ""})
        if question.other and question.other_label:
            target = survey.question(question.target) if question.target else None
            for lang in languages:
                label = target.other.label(lang) if target is not None and target.other else \
                    question.other_label
                attributes.append({"qid": qid, "attribute": "other_replace_text",
                                   "value": label, "language": lang})
        for sub_order, sub in enumerate(question.subquestions, start=1):
            next_qid += 1
            subquestions.append({"qid": next_qid, "parent_qid": qid, "sid": sid, "gid": gid,
                                 "type": "T", "title": sub.code, "preg": "", "other": "N",
                                 "mandatory": "N", "encrypted": "N", "question_order": sub_order,
                                 "scale_id": 0, "same_default": 0, "relevance": "1",
                                 "question_theme_name": "", "modulename": ""})
            l10n(next_qid, sub.texts)
    _table(root, "questions", QUESTION_FIELDS, questions)
    _table(root, "subquestions", QUESTION_FIELDS, subquestions)
    _table(root, "question_l10ns", QUESTION_L10N_FIELDS, l10ns)
    _table(root, "question_attributes", ATTRIBUTE_FIELDS, attributes)
    attribute_descriptions = json.dumps({"attribute_1": {
        "description": "Kuntakoodi / Kommunkod", "mandatory": "N", "show_register": "N",
        "cpdbmap": ""}}, ensure_ascii=False)
    _table(root, "surveys", SURVEY_FIELDS, [{
        "sid": sid, "gsid": 1, "admin": "inherit", "adminemail": "inherit",
        # Not anonymised: the token must stay with the response (it names the municipality).
        "anonymized": "N", "format": "G", "savetimings": "N", "template": "inherit",
        "language": languages[0], "additional_languages": " ".join(languages[1:]),
        "datestamp": "Y", "usecookie": "N", "allowregister": "N", "allowsave": "Y",
        "autonumber_start": 0, "autoredirect": "N", "allowprev": "Y", "printanswers": "Y",
        "ipaddr": "N", "refurl": "N", "showsurveypolicynotice": 0, "publicstatistics": "N",
        "publicgraphs": "N", "listpublic": "N", "htmlemail": "Y", "sendconfirmation": "N",
        # An unfinished answer is picked up again with the same token.
        "tokenanswerspersistence": "Y", "assessments": "N", "usecaptcha": "N", "usetokens": "N",
        "bounce_email": "inherit", "attributedescriptions": attribute_descriptions,
        "emailresponseto": "", "emailnotificationto": "", "tokenlength": 22,
        "showxquestions": "Y", "showgroupinfo": "B", "shownoanswer": "N", "showqnumcode": "X",
        "bounceprocessing": "N", "showwelcome": "Y", "showprogress": "Y", "questionindex": 0,
        "navigationdelay": 0, "nokeyboard": "N", "alloweditaftercompletion": "N",
        "ipanonymize": "N"}])
    _table(root, "surveys_languagesettings", SURVEY_L10N_FIELDS, [
        {"surveyls_survey_id": sid, "surveyls_language": lang,
         "surveyls_title": survey.title(lang), "surveyls_description": "",
         "surveyls_welcometext": _WELCOME[lang], "surveyls_endtext": _END[lang],
         "surveyls_dateformat": 1, "surveyls_numberformat": 1} for lang in languages])
    ET.indent(root, " ")
    path.write_bytes(b'<?xml version="1.0" encoding="UTF-8"?>\n'
                     + ET.tostring(root, encoding="utf-8") + b"\n")
    return path


def _text(texts: dict[str, str], lang: str) -> str:
    return texts.get(lang) or texts.get("fi") or ""


def _question_row(question: LimeQuestion, *, qid: int, parent: int, sid: int, gid: int, order: int,
                  survey: Survey) -> dict[str, Any]:
    ours = survey.question(question.target) if question.target else None
    preg = _EMAIL_PREG if ours is not None and ours.type == "email" else ""
    return {"qid": qid, "parent_qid": parent, "sid": sid, "gid": gid, "type": question.type,
            "title": question.code, "preg": preg, "other": "Y" if question.other else "N",
            "mandatory": "Y" if question.mandatory else "N", "encrypted": "N",
            "question_order": order, "scale_id": 0, "same_default": 0, "relevance": "1",
            "question_theme_name": _THEMES.get(question.type, ""), "modulename": ""}


def _runs_as_formula(text: str) -> bool:
    from .reports import FORMULA_PREFIXES

    return text.startswith(FORMULA_PREFIXES)


def _contact_at(contact: Any, municipality: Any) -> str:
    """``contacts.csv:12: Kuhmo`` (where the contact list gave the contact, when known)."""
    where = f"{contact.source_file}:{contact.source_row}: " if contact.source_file and \
        contact.source_row else (f"{contact.source_file}: " if contact.source_file else "")
    return f"{where}{municipality.name_fi} ({municipality.code})"


def participant_rows(*, session: Session, settings: Settings, languages: list[str],
                     result: WebformResult | None = None
                     ) -> tuple[list[dict[str, str]], int, int]:
    """Return the participants (one per municipality with a valid contact, with the token of
    its invitation link), how many tokens were made now, and how many municipalities have no
    contact.

    LimeSurvey's participant import keeps every cell as it is, so a ``'`` put before a name
    starting with ``=``, ``+``, ``-`` or ``@`` (what neutralises it in a spreadsheet) would
    become part of the name in LimeSurvey. Such a name is left out instead (the municipality's
    name stands for it, as for a contact without a name) and an address starting so is no
    participant; each is said on ``result``, with where the contact list gave it."""
    from sqlmodel import col, select

    from .db.models import Contact, Municipality
    from .messages import message_language
    from .tokens import ensure_tokens, tokens_for_round

    municipalities = list(session.exec(select(Municipality).where(
        Municipality.active == True).order_by(Municipality.code)).all())  # noqa: E712
    contacts: dict[str, Any] = {}
    for contact in session.exec(select(Contact).where(Contact.status == "valid")
                                .order_by(col(Contact.id))).all():
        contacts.setdefault(contact.municipality_code, contact)
    codes = [m.code for m in municipalities if m.code in contacts]
    before = set(tokens_for_round(session=session, round_name=settings.round_name))
    tokens = ensure_tokens(session=session, round_name=settings.round_name, codes=codes)
    session.commit()  # the tokens are stored before any file carries them
    rows = []
    for municipality in municipalities:
        person = contacts.get(municipality.code)
        if person is None:
            continue
        # the form opens in the municipality's first language ("sv-fi" mail: Swedish first)
        lang = message_language(municipality.language, aland=bool(municipality.aland))[:2]
        if lang not in languages:
            lang = languages[0]
        first, _, last = (person.name or "").strip().partition(" ")
        name = municipality.name_sv if lang == "sv" else municipality.name_fi
        at = _contact_at(person, municipality)
        if _runs_as_formula(person.email):
            if result is not None:
                result.refused.append(
                    f"{at}: the address {person.email!r} starts with {person.email[0]!r}, which "
                    "a spreadsheet opening the participants file runs as a formula; no "
                    "participant row written. Correct the address in the contact list, import "
                    "it with 'yhteistuumin register contacts', and build the web form again")
            continue
        if _runs_as_formula(first) or _runs_as_formula(last):
            if result is not None:
                result.renamed.append(
                    f"{at}: the contact's name {person.name!r} would run as a formula in a "
                    "spreadsheet opening the participants file; the municipality's name is "
                    "written in its place. Correct the name in the contact list and import it "
                    "with 'yhteistuumin register contacts' if the name is wanted in LimeSurvey")
            first, last = "", ""
        rows.append({"firstname": first or name, "lastname": last, "email": person.email,
                     "token": tokens[municipality.code], "language": lang,
                     "usesleft": "", "attribute_1": municipality.code})
    created = len(set(codes) - before)
    return rows, created, len(municipalities) - len(codes)


PARTICIPANT_FIELDS = ["firstname", "lastname", "email", "token", "language", "usesleft",
                      "attribute_1"]


def _limesurvey(result: WebformResult, *, session: Session, settings: Settings,
                survey: Survey) -> None:
    from .ingest.limesurvey import our_structure

    structure = our_structure(survey)
    stem = survey.survey_id or "survey"
    lss = write_lss(structure, result.folder / f"{stem}.lss", survey=survey,
                    languages=result.languages)
    rows, created, without = participant_rows(session=session, settings=settings,
                                              languages=result.languages, result=result)
    per = max(survey.practices_per_questionnaire, 1)
    for row in rows:
        row["usesleft"] = str(per)
    participants = result.folder / f"{stem}-participants.csv"
    with participants.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=PARTICIPANT_FIELDS)
        writer.writeheader()
        writer.writerows(rows)
    result.files = [lss, participants]
    result.participants, result.tokens_created, result.without_contact = len(rows), created, without
    result.steps = [
        f"In LimeSurvey: Create survey > Import, choose {lss.name} (keep 'Convert resource links' "
        "on). Its question codes must stay as they are: the ingest reads the export by them.",
        "Survey participants > Initialise participant table (closed access), then Import > CSV "
        f"file: {participants.name} (UTF-8, separator comma). Each municipality gets the token "
        "of its invitation link and may answer up to "
        f"{per} times (one practice per answer).",
        "Activate the survey (not anonymised), and set round.form_url in yhteistuumin.toml to "
        "https://<your LimeSurvey>/index.php/<survey id>?token={token}",
        "Export > Export responses > CSV (question codes or full texts, answer codes or full "
        "answers) and run 'yhteistuumin ingest' on the file.",
    ]


# --- Google Forms ----------------------------------------------------------------------------


def _js(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def form_title(question: Question, languages: list[str]) -> str:
    """A question's title in a one-language or bilingual form ("Tavoite / Mål")."""
    return " / ".join(dict.fromkeys(question.label(lang) for lang in languages))


def _help(question: Question, languages: list[str]) -> str:
    return "\n".join(dict.fromkeys(question.help_text(lang) for lang in languages if
                                   question.help_text(lang)))


def _choice(choice: Any, languages: list[str]) -> str:
    return " / ".join(dict.fromkeys(choice.label(lang) for lang in languages))


def apps_script(survey: Survey, languages: list[str]) -> str:
    """Return the Apps Script that creates the survey as a Google Form."""
    title = " / ".join(dict.fromkeys(survey.title(lang) for lang in languages))
    lines = [
        "// Creates the survey as a Google Form and logs the invitation link template.",
        "// Written by 'yhteistuumin survey webform googleforms' from survey/questions.yaml:",
        "// do not change the question titles or choices (the ingest reads the export by them).",
        "function createSurveyForm() {",
        f"  var form = FormApp.create({_js(title)});",
        f"  form.setDescription({_js(chr(10).join(_WELCOME[x] for x in languages))});",
        "  form.setCollectEmail(false);",
        "  form.setAllowResponseEdits(false);",
        "  form.setLimitOneResponsePerUser(false);",
        "  var item;",
    ]
    for question in survey.questions:
        title_js, help_js = _js(form_title(question, languages)), _js(_help(question, languages))
        required = "true" if question.required else "false"
        if question.type == "multichoice":
            choices = ", ".join(_js(_choice(c, languages)) for c in question.choices)
            lines += [f"  item = form.addCheckboxItem().setTitle({title_js}).setHelpText({help_js});",
                      f"  item.setChoiceValues([{choices}]);",
                      f"  item.showOtherOption({'true' if question.other else 'false'});",
                      f"  item.setRequired({required});"]
        elif question.type == "consent":
            choices = ", ".join(_js(_choice(c, languages)) for c in question.choices)
            lines += [f"  item = form.addMultipleChoiceItem().setTitle({title_js})"
                      f".setHelpText({help_js});",
                      f"  item.setChoiceValues([{choices}]);",
                      f"  item.setRequired({required});"]
        else:
            add = "addParagraphTextItem" if question.type == "longtext" else "addTextItem"
            lines.append(f"  item = form.{add}().setTitle({title_js}).setHelpText({help_js});")
            lines.append(f"  item.setRequired({required});")
            if question.type == "email":
                lines.append("  item.setValidation(FormApp.createTextValidation()"
                             ".requireTextIsEmail().build());")
            elif question.max_length:
                builder = ("createParagraphTextValidation" if question.type == "longtext"
                           else "createTextValidation")
                lines.append(f"  item.setValidation(FormApp.{builder}()"
                             f".requireTextLengthLessThanOrEqualTo({question.max_length}).build());")
    token_title = " / ".join(dict.fromkeys(TOKEN_LABELS[x] for x in languages))
    token_help = " / ".join(dict.fromkeys(TOKEN_HELP[x] for x in languages))
    lines += [
        f"  var tokenItem = form.addTextItem().setTitle({_js(token_title)})"
        f".setHelpText({_js(token_help)});",
        "  tokenItem.setRequired(false);",
        "  // The pre-filled link with a placeholder in the token item; the placeholder becomes",
        "  // {token}, which the invitation replaces with each municipality's own token.",
        "  var placeholder = 'TOKENPLACEHOLDER';",
        "  var prefilled = form.createResponse()",
        "      .withItemResponse(tokenItem.createResponse(placeholder)).toPrefilledUrl();",
        "  var entry = (prefilled.match(/entry\\.(\\d+)=TOKENPLACEHOLDER/) || [])[1];",
        "  Logger.log('Form (edit): ' + form.getEditUrl());",
        "  Logger.log('Token item entry id: entry.' + entry);",
        "  Logger.log('round.form_url = ' + prefilled.replace(placeholder, '{token}'));",
        "}",
        "",
    ]
    return "\n".join(lines)


def _googleforms(result: WebformResult, *, survey: Survey, settings: Settings) -> None:
    del settings
    stem = survey.survey_id or "survey"
    path = result.folder / f"{stem}.gs"
    path.write_text(apps_script(survey, result.languages), encoding="utf-8")
    result.files = [path]
    result.steps = [
        "Open https://script.google.com > New project, paste the file's content over the "
        "example, save, and run createSurveyForm (allow access to Google Forms when asked).",
        "View > Logs (Execution log): copy the line 'round.form_url = …' into yhteistuumin.toml; "
        "the link pre-fills the response token item with {token}.",
        "Do not edit the question titles or choices in the form: the ingest reads the export "
        "by them.",
        "Responses > Download responses (.csv), or the linked Sheet as .xlsx/.csv, and run "
        "'yhteistuumin ingest' on the file.",
    ]


# --- Microsoft Forms -------------------------------------------------------------------------


def ms_instructions(survey: Survey, languages: list[str]) -> str:
    """Return the step-by-step instructions for Microsoft Forms (Finnish and English)."""
    lines = [
        f"# {' / '.join(dict.fromkeys(survey.title(x) for x in languages))}",
        "",
        "Microsoft Forms: kysely samoista kysymyksistä kuin Excel-kyselylomake "
        "(Microsoft Forms: the survey with the questions of the Excel questionnaire).",
        "",
        "Luo lomake osoitteessa https://forms.office.com > Uusi lomake. Lisää kysymykset alla "
        "olevassa järjestyksessä ja kopioi tekstit täsmälleen sellaisinaan: tuonti lukee "
        "vastaukset otsikoiden ja vaihtoehtojen perusteella.",
        "(Create the form at https://forms.office.com > New form. Add the questions in the "
        "order below and copy the texts exactly: the ingest reads the export by them.)",
        "",
    ]
    for number, question in enumerate(survey.questions, start=1):
        title = form_title(question, languages)
        required = "Pakollinen (Required)" if question.required else "Ei pakollinen (Optional)"
        if question.type == "multichoice":
            kind = ("Valinta (Choice), Useita vastauksia päällä (Multiple answers on), "
                    "Lisää Muu-vaihtoehto (Add \"Other\" option)")
        elif question.type == "consent":
            kind = ("Valinta (Choice), Useita vastauksia päällä (Multiple answers on), "
                    "yksi vaihtoehto (one option); ei pakollinen: rastittu = lupa, tyhjä = ei "
                    "lupaa (ticked = consent, empty = no consent)")
            required = "Ei pakollinen (Optional)"
        elif question.type == "longtext":
            kind = "Teksti (Text), Pitkä vastaus päällä (Long answer on)"
        else:
            kind = "Teksti (Text)"
        lines += [f"## {number}. {title}", "", f"- Tyyppi (Type): {kind}",
                  f"- {required}"]
        help_text = _help(question, languages).replace("\n", " / ")
        if help_text:
            lines.append(f"- Alaotsikko (Subtitle): {help_text}")
        if question.type == "multichoice":
            lines.append("- Vaihtoehdot (Options):")
            lines += [f"  - {_choice(c, languages)}" for c in question.choices]
        elif question.type == "consent":
            option = " / ".join(dict.fromkeys(CONSENT_OPTION[x] for x in languages))
            lines += ["- Vaihtoehto (Option):", f"  - {option}"]
        lines.append("")
    token = " / ".join(dict.fromkeys(TOKEN_LABELS[x] for x in languages))
    token_help = " / ".join(dict.fromkeys(TOKEN_HELP[x] for x in languages))
    lines += [
        f"## {len(survey.questions) + 1}. {token}", "",
        "- Tyyppi (Type): Teksti (Text)", "- Ei pakollinen (Optional)",
        f"- Alaotsikko (Subtitle): {token_help}", "",
        "## Esitäytetty linkki (Pre-filled link)", "",
        "1. Valitse ... > Hanki esitäytetty URL-osoite (... > Get pre-filled URL).",
        f"2. Kirjoita kohtaan \"{token}\" TOKENPLACEHOLDER ja valitse Hanki linkki "
        f"(type TOKENPLACEHOLDER into \"{token}\" and choose Get link).",
        "3. Kopioi linkki, korvaa TOKENPLACEHOLDER merkeillä {token} ja aseta se "
        "yhteistuumin.toml-tiedoston kohtaan round.form_url (copy the link, replace "
        "TOKENPLACEHOLDER with {token} and set it as round.form_url).",
        "",
        "## Vastausten tuonti (Importing the answers)", "",
        "Vastaukset > Avaa Excelissä (Responses > Open in Excel); tallenna tiedosto ja aja "
        "`yhteistuumin ingest TIEDOSTO.xlsx`.",
        "",
    ]
    return "\n".join(lines)


def _msforms(result: WebformResult, *, survey: Survey) -> None:
    stem = survey.survey_id or "survey"
    path = result.folder / f"{stem}-msforms.md"
    path.write_text(ms_instructions(survey, result.languages), encoding="utf-8")
    result.files = [path]
    result.steps = [
        f"Create the form at https://forms.office.com following {path.name}: the questions in "
        "order, their texts and options exactly as written.",
        "Make the pre-filled link with the response token (as the file says) and set "
        "round.form_url in yhteistuumin.toml.",
        "Responses > Open in Excel, and run 'yhteistuumin ingest' on the file.",
    ]
