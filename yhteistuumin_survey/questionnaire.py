"""The questionnaire workbook: one ``.xlsx`` per municipality, in its language(s).

Layout (a contract with ingest; ``LAYOUT_VERSION`` in ``_meta`` names it):

* Sheet 1, the instructions (``Ohjeet`` / ``Anvisningar`` / ``Ohjeet – Anvisningar``): what to do,
  the deadline, how to return the file (email to the coordinator or the web form with the token).
* Sheets 2..N+1, one per practice (``Käytäntö 1`` / ``Exempel 1`` / ``Käytäntö 1 – Exempel 1``;
  N = ``survey.practices_per_questionnaire``). Column A holds the question labels (bilingual:
  ``Finnish / Swedish``; required ones end in `` *``), column B the answers (the only unlocked
  cells), column C (hidden) the machine key of the row:

  - ``C1`` = ``practice:<n>``: marks a practice sheet and its number;
  - ``<question id>`` on the row of a text, long text, email, phone, municipalities or consent
    question: the answer is column B of that row;
  - ``target_group`` on the heading row of a multichoice question (B is a locked hint), then one
    row per choice keyed ``target_group:<choice id>`` whose B cell has an ``x`` drop-down (any
    non-empty value other than a "no" word counts as ticked), and a row ``target_group:other``
    whose B cell takes free text.

  Consent answers come from a drop-down of the choice labels in the sheet's language(s)
  (``Kyllä``/``Ei``, ``Ja``/``Nej``, ``Kyllä / Ja``/``Ei / Nej``). Answer cells are text
  formatted (``@``) so phone numbers keep their leading zero and nothing becomes a formula.
* A hidden, protected sheet ``_meta``: column A the key, column B the value; keys
  ``survey_id, survey_version, municipality_code, municipality_name, token, language,
  round_name, generated_at, layout_version``.

Every sheet is protected without a password (labels cannot be edited by accident, answer
cells can) and the workbook structure is locked so sheets keep their names and order.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import tempfile
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import InputError, SurveyError
from .reports import Report, plural
from .templating import format_date

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet
    from sqlmodel import Session

    from .config import Settings
    from .survey import Question, Survey
    from .workspace import Workspace

QUESTIONNAIRE_META_SHEET = "_meta"
# Placeholders in the per-language template workbook, replaced per municipality.
_P_CODE = "@@CODE@@"
_P_NAME_FI = "@@NAME_FI@@"
_P_NAME_SV = "@@NAME_SV@@"
_P_DISPLAY = "@@DISPLAY_NAME@@"
_P_TOKEN = "@@TOKEN@@"
_P_FORM_URL = "@@FORM_URL@@"
_P_GENERATED = "@@GENERATED_AT@@"
LAYOUT_VERSION = "1"
META_KEYS = ("survey_id", "survey_version", "municipality_code", "municipality_name", "token",
             "language", "round_name", "generated_at", "layout_version")
#: The value offered in the drop-down of a choice row.
TICK = "x"

_TEXT: dict[str, dict[str, str]] = {
    "fi": {
        "instructions": "Ohjeet",
        "practice": "Käytäntö {n}",
        "heading": "Hyvä käytäntö {n}",
        "lead": "Kirjoita vastaukset valkoisiin soluihin sarakkeessa B. Tähdellä (*) merkityt "
                "kohdat ovat pakollisia.",
        "tick_hint": "Merkitse {tick} sopiviin kohderyhmiin alla.",
        "too_long": "Vastaus on liian pitkä",
        "max_chars": "Enintään {n} merkkiä.",
        "choose": "Valitse luettelosta.",
        "municipality": "Kunta",
        "deadline": "Vastausaika päättyy",
        "what_title": "Mitä pyydämme",
        "what": "Kertokaa kuntanne kulttuuripalvelujen käytössä olevista hyvistä käytännöistä. "
                "Jokaiselle käytännölle on oma välilehtensä ({count} kpl); täyttäkää niin "
                "monta kuin teillä on käytäntöjä. Myös usean kunnan yhteiset käytännöt ovat "
                "tervetulleita: luetelkaa silloin kaikki kunnat.",
        "how_title": "Näin täytätte lomakkeen",
        "how": "Kirjoittakaa vastaukset sarakkeeseen B. Kun valitsette solun, sen alle tulee "
               "ohje. Kohderyhmiin merkitään {tick} kaikkiin sopiviin riveihin. Otsikoita ei "
               "voi muuttaa; vastaussoluihin voi kirjoittaa vapaasti.",
        "return_title": "Näin palautatte vastauksen",
        "return_mail": "Tallentakaa tiedosto ja lähettäkää se sähköpostin liitteenä osoitteeseen "
                       "{reply_to} (tai vastatkaa kutsuviestiin). Älkää muuttako tiedoston "
                       "rakennetta: siitä tunnistetaan kuntanne.",
        "return_form": "Voitte myös vastata verkkolomakkeella; linkki on kuntanne oma:",
        "privacy": "Yhteyshenkilön nimi ja yhteystiedot julkaistaan verkkosivuilla "
                   "www.yhteistuumin.fi vain, jos annatte siihen luvan.",
        "thanks": "Kiitos vastauksestanne!",
        "contact": "Kysyttävää? {coordinator}, {reply_to}",
    },
    "sv": {
        "instructions": "Anvisningar",
        "practice": "Exempel {n}",
        "heading": "Gott exempel {n}",
        "lead": "Skriv svaren i de vita cellerna i kolumn B. Punkter som är markerade med "
                "asterisk (*) är obligatoriska.",
        "tick_hint": "Markera med {tick} de målgrupper som passar nedan.",
        "too_long": "Svaret är för långt",
        "max_chars": "Högst {n} tecken.",
        "choose": "Välj i listan.",
        "municipality": "Kommun",
        "deadline": "Svarstiden går ut",
        "what_title": "Vad vi ber om",
        "what": "Berätta om goda exempel från er kommuns kulturtjänster. Varje exempel "
                "har en egen flik ({count} st.); fyll i så många som ni har. Även exempel "
                "som flera kommuner genomför tillsammans är välkomna: räkna då upp alla "
                "kommuner.",
        "how_title": "Så här fyller ni i formuläret",
        "how": "Skriv svaren i kolumn B. När ni väljer en cell visas en anvisning. För "
               "målgrupperna markerar ni {tick} på alla rader som passar. Rubrikerna kan inte "
               "ändras; i svarscellerna kan ni skriva fritt.",
        "return_title": "Så här skickar ni svaret",
        "return_mail": "Spara filen och skicka den som bilaga till adressen {reply_to} (eller "
                       "svara på inbjudan). Ändra inte filens struktur: med hjälp av den "
                       "känner vi igen er kommun.",
        "return_form": "Ni kan också svara med webbformuläret; länken är er kommuns egen:",
        "privacy": "Kontaktpersonens namn och kontaktuppgifter publiceras på webbplatsen "
                   "www.yhteistuumin.fi endast om ni ger tillstånd till det.",
        "thanks": "Tack för ert svar!",
        "contact": "Frågor? {coordinator}, {reply_to}",
    },
}


def questionnaire_languages(language_status: str, *, aland: bool = False) -> list[str]:
    """Return the languages of a municipality's questionnaire (``register.material_languages``)."""
    from .register import material_languages

    return material_languages(language_status, aland=aland)


def display_name(municipality: Any, langs: list[str]) -> str:
    """Return the municipality's name in the questionnaire's language(s)."""
    names = [municipality.name_sv or municipality.name_fi if lang == "sv" else municipality.name_fi
             for lang in langs]
    return " / ".join(dict.fromkeys(names))


def _slug(text: str) -> str:
    from slugify import slugify

    return slugify(text, max_length=40) or "kunta"


def questionnaire_folder(workspace: Workspace, *, round_name: str) -> Path:
    """Return the folder of a round's questionnaires (not created)."""
    return workspace.outputs / "questionnaires" / _slug_round(round_name)


def _slug_round(round_name: str) -> str:
    from slugify import slugify

    return slugify(round_name, lowercase=False) or "round"


def questionnaire_file_name(municipality: Any) -> str:
    """Return ``<code>-<slug>.xlsx`` (the name in the municipality's main language)."""
    langs = questionnaire_languages(municipality.language,
                                    aland=bool(getattr(municipality, "aland", False)))
    name = (municipality.name_sv or municipality.name_fi) if langs == ["sv"] \
        else municipality.name_fi
    return f"{municipality.code}-{_slug(name)}.xlsx"


def questionnaire_path(workspace: Workspace, *, round_name: str, code: str) -> Path:
    """Return the questionnaire of municipality ``code`` in the round.

    The existing file if there is one (newest if the name changed), else where
    ``build_questionnaire`` will write it (named from the bundled or workspace register).
    """
    folder = questionnaire_folder(workspace, round_name=round_name)
    found = sorted(folder.glob(f"{code}-*.xlsx"), key=lambda p: p.stat().st_mtime, reverse=True)
    if found:
        return found[0]
    row = _register_rows(workspace).get(code)
    if row is None:
        return folder / f"{code}.xlsx"
    return folder / questionnaire_file_name(row)


def outdated_settings(path: Path, settings: Settings) -> list[tuple[str, str, str]]:
    """What the questionnaire at ``path`` says that the settings no longer do: (setting, what
    the file says, what the settings say) for the deadline, the reply address and the
    coordinator's name, e.g. ``("reply_to", "vanha@kunta.fi", "uusi@kunta.fi")``.

    One built before a setting changed tells the municipality to return it to an address
    nobody reads, or by a day gone. None when the file does not tell (not a questionnaire of
    this shape): it is attached as it is.
    """
    import html
    import re

    try:
        with zipfile.ZipFile(path) as archive:  # the instructions sheet, 4 KB
            text = html.unescape(archive.read("xl/worksheets/sheet1.xml").decode("utf-8"))
    except (OSError, KeyError, zipfile.BadZipFile, UnicodeDecodeError):
        return []
    deadline = settings.get("round.deadline")
    now = {"deadline": format_date(deadline) if isinstance(deadline, dt.date) else None,
           "reply_to": str(settings.get("round.reply_to")),
           "coordinator": str(settings.get("round.coordinator"))}
    found: list[tuple[str, str, str]] = []

    def differs(key: str, said: str) -> None:
        wanted = now[key]
        if wanted is not None and said != wanted and all(f[0] != key for f in found):
            found.append((key, said, wanted))

    for lang in ("fi", "sv"):
        label = re.escape(_TEXT[lang]["deadline"])
        for said in re.findall(rf">{label}: ([^<]*)<", text):
            differs("deadline", said)
        prefix = re.escape(_TEXT[lang]["contact"].partition("{")[0])
        for said in re.findall(rf">{prefix}([^<]*)<", text):
            coordinator, _, reply_to = said.rpartition(", ")
            differs("reply_to", reply_to)
            differs("coordinator", coordinator)
    return found


def _register_rows(workspace: Workspace) -> dict[str, Any]:
    from types import SimpleNamespace

    from .register import load_register_csv

    path = workspace.resolve("recipients/municipalities.csv")
    try:
        rows = load_register_csv(path)
    except SurveyError:
        return {}
    return {r.code: SimpleNamespace(code=r.code, name_fi=r.name_fi, name_sv=r.name_sv,
                                    language=r.language, aland=r.aland) for r in rows}


# --- building --------------------------------------------------------------------------------


@dataclass
class BuiltQuestionnaire:
    """One written workbook."""

    code: str
    name: str
    language: str
    path: Path


@dataclass
class BuildReport:
    """What ``build_questionnaires`` wrote."""

    folder: Path
    round_name: str
    built: list[BuiltQuestionnaire] = field(default_factory=list)
    report: Report = field(default_factory=Report)
    seconds: float = 0.0

    @property
    def by_language(self) -> dict[str, int]:
        counts = {"fi": 0, "sv": 0, "fi-sv": 0}
        for item in self.built:
            counts[item.language] = counts.get(item.language, 0) + 1
        return counts

    @property
    def failed(self) -> bool:
        return self.report.failed

    def summary(self) -> list[str]:
        counts = self.by_language
        failures = sum(1 for o in self.report.outcomes if o.failed)
        return [f"Built {plural(len(self.built), 'questionnaire')}: {counts['fi']} in Finnish, "
                f"{counts['sv']} in Swedish, {counts['fi-sv']} in both.",
                *([f"{failures} failed."] if failures else []), f"Folder: {self.folder}"]

    def table(self) -> tuple[list[str], list[dict[str, Any]]]:
        return ["code", "status", "path", "reason"], [
            {"code": o.source, "status": o.status, "path": o.detail.get("path", ""),
             "reason": o.reason} for o in self.report.outcomes]

    def warnings(self) -> list[str]:
        return [f"{o.source}: {o.reason}" for o in self.report.outcomes if o.failed]

    def to_dict(self) -> dict[str, Any]:
        return {
            "round": self.round_name,
            "folder": str(self.folder),
            "built": len(self.built),
            "languages": self.by_language,
            "failed": sum(1 for o in self.report.outcomes if o.failed),
            "seconds": round(self.seconds, 3),
            "questionnaires": [{"code": b.code, "name": b.name, "language": b.language,
                                "path": str(b.path)} for b in self.built],
            "outcomes": self.report.to_dict()["outcomes"],
        }


def _normalise_code(text: str) -> str:
    text = text.strip()
    return text.zfill(3) if text.isdigit() and len(text) < 3 else text


def select_municipalities(*, session: Session, only: list[str] | None = None) -> list[Any]:
    """Return the municipalities in force, or those of ``only`` (codes); unknown codes raise."""
    from sqlmodel import select

    from .db.models import Municipality

    query = select(Municipality).where(Municipality.active == True).order_by(  # noqa: E712
        Municipality.code)
    municipalities = list(session.exec(query).all())
    if only:
        wanted = [_normalise_code(code) for code in only]
        known = {m.code for m in municipalities}
        unknown = [code for code in wanted if code not in known]
        if unknown:
            raise InputError(f"unknown municipality code{'s' if len(unknown) > 1 else ''} "
                             f"{', '.join(unknown)}; see 'yhteistuumin register list' for the "
                             "codes in force")
        municipalities = [m for m in municipalities if m.code in set(wanted)]
    return municipalities


def build_questionnaires(workspace: Workspace, *, session: Session, settings: Settings,
                         survey: Survey, only: list[str] | None = None,
                         progress: Callable[[int], Any] | None = None) -> BuildReport:
    """Write one questionnaire per municipality in force (or only those in ``only``)."""
    from .tokens import ensure_tokens

    started = time.perf_counter()
    municipalities = select_municipalities(session=session, only=only)
    folder = questionnaire_folder(workspace, round_name=settings.round_name)
    folder.mkdir(parents=True, exist_ok=True)
    tokens = ensure_tokens(session=session, round_name=settings.round_name,
                           codes=[m.code for m in municipalities])
    # The tokens are committed before any file carries them: a build killed half-way never
    # leaves a workbook whose token the database does not know.
    session.commit()
    result = BuildReport(folder=folder, round_name=settings.round_name)
    builder = _Builder(survey=survey, settings=settings)
    for municipality in municipalities:
        try:
            path = builder.write(folder, municipality=municipality,
                                 token=tokens[municipality.code])
        except OSError as exc:  # a full disk: 'path: the disk is full; free some space ...'
            from .faults import os_fault

            where = exc.filename if exc.filename is not None else folder
            result.report.add(municipality.code, "error",
                              f"{where}: {os_fault(OSError(exc.errno, exc.strerror))}")
        except SurveyError as exc:
            result.report.add(municipality.code, "error", f"{exc}")
        else:
            langs = questionnaire_languages(municipality.language, aland=municipality.aland)
            result.built.append(BuiltQuestionnaire(
                code=municipality.code, name=display_name(municipality, langs),
                language="-".join(langs), path=path))
            result.report.add(municipality.code, "built", "", path=str(path))
        if progress is not None:
            progress(1)
    result.seconds = time.perf_counter() - started
    return result


def build_questionnaire(workspace: Workspace, *, session: Session, settings: Settings,
                        survey: Survey, municipality: Any) -> Path:
    """Write the questionnaire of one municipality and return its path.

    Commits the session once the token exists, before the file is written, so that no file
    ever carries a token the database does not know.
    """
    from .tokens import get_or_create_token

    token = get_or_create_token(session=session, round_name=settings.round_name,
                                municipality_code=municipality.code)
    session.commit()
    folder = questionnaire_folder(workspace, round_name=settings.round_name)
    folder.mkdir(parents=True, exist_ok=True)
    return _Builder(survey=survey, settings=settings).write(folder, municipality=municipality,
                                                            token=token)


class _Builder:
    """Writes workbooks; styles are made once and shared by every workbook of a batch."""

    def __init__(self, *, survey: Survey, settings: Settings):
        from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side

        self.survey = survey
        self.settings = settings
        thin = Side(style="thin", color="9E9E9E")
        self.border = Border(left=thin, right=thin, top=thin, bottom=thin)
        self.bold = Font(bold=True)
        self.title_font = Font(bold=True, size=14)
        self.hint_font = Font(italic=True, color="555555")
        self.label_fill = PatternFill("solid", fgColor="EEF2F7")
        self.answer_fill = PatternFill("solid", fgColor="FFFFFF")
        self.wrap_top = Alignment(wrap_text=True, vertical="top")
        self.indent = Alignment(wrap_text=True, vertical="top", indent=2)
        self.unlocked = Protection(locked=False)
        self.locked = Protection(locked=True)
        self._variants: dict[tuple[str, ...], list[tuple[str, bytes]]] = {}

    # -- the workbook --------------------------------------------------------------------

    def write(self, folder: Path, *, municipality: Any, token: str) -> Path:
        langs = questionnaire_languages(municipality.language,
                                        aland=bool(getattr(municipality, "aland", False)))
        names = {"fi": municipality.name_fi, "sv": municipality.name_sv or municipality.name_fi}
        form_url = str(self.settings.get("round.form_url")).replace("{token}", token)
        values = {
            _P_CODE: municipality.code,
            _P_NAME_FI: names["fi"],
            _P_NAME_SV: names["sv"],
            _P_DISPLAY: display_name(municipality, langs),
            _P_TOKEN: token,
            _P_FORM_URL: form_url,
            _P_GENERATED: dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        }
        data = _fill_template(self._variant(tuple(langs)), values)
        path = folder / questionnaire_file_name(municipality)
        # Write beside the target and rename: a killed build never leaves half a file that
        # the sender would attach.
        handle, temporary = tempfile.mkstemp(prefix=f".{municipality.code}-", suffix=".xlsx",
                                             dir=folder)
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            os.chmod(temporary, 0o644)
            os.replace(temporary, path)
        finally:
            if os.path.exists(temporary):
                os.unlink(temporary)
        for stale in folder.glob(f"{municipality.code}-*.xlsx"):
            if stale != path:  # the municipality was renamed: keep one file per code
                stale.unlink()
        return path

    def _variant(self, langs: tuple[str, ...]) -> list[tuple[str, bytes]]:
        """Return the workbook of a language variant with placeholders, as zip members.

        openpyxl spends ~30 ms per styled workbook; the 308 workbooks differ only in a few
        strings, so each variant is built once and each municipality's copy is the variant's
        members with the placeholders replaced (about 1 ms).
        """
        if langs not in self._variants:
            self._variants[langs] = _zip_members(self._workbook(list(langs)))
        return self._variants[langs]

    def _workbook(self, langs: list[str]) -> bytes:
        from openpyxl import Workbook
        from openpyxl.workbook.protection import WorkbookProtection

        workbook = Workbook()
        instructions = workbook.active
        assert instructions is not None
        count = self.survey.practices_per_questionnaire
        names = [self._sheet_name("practice", langs, n) for n in range(1, count + 1)]
        instructions.title = self._joined(langs, "instructions")
        self._instructions(instructions, langs=langs)
        for number, name in enumerate(names, start=1):
            self._practice(workbook.create_sheet(name), langs=langs, number=number)
        self._meta(workbook.create_sheet(QUESTIONNAIRE_META_SHEET), langs=langs)
        workbook.security = WorkbookProtection(lockStructure=True)
        workbook.active = 0
        buffer = io.BytesIO()
        workbook.save(buffer)
        return buffer.getvalue()

    def _joined(self, langs: list[str], key: str, sep: str = " – ", **values: Any) -> str:
        return sep.join(_TEXT[lang][key].format(**values) for lang in langs)

    def _sheet_name(self, key: str, langs: list[str], n: int) -> str:
        return self._joined(langs, key, n=n)[:31]

    @staticmethod
    def _protect(sheet: Worksheet) -> None:
        protection = sheet.protection
        protection.sheet = True
        # Let people widen columns and rows and format their answers; nothing else.
        protection.formatColumns = False
        protection.formatRows = False
        protection.formatCells = False

    @staticmethod
    def _print_setup(sheet: Worksheet, *, landscape: bool = False) -> None:
        sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
        sheet.page_setup.orientation = "landscape" if landscape else "portrait"
        sheet.page_setup.fitToWidth = 1
        sheet.page_setup.fitToHeight = 0
        sheet.sheet_properties.pageSetUpPr.fitToPage = True
        sheet.print_options.gridLines = False

    # -- instructions --------------------------------------------------------------------

    def _instructions(self, sheet: Worksheet, *, langs: list[str]) -> None:
        settings = self.settings
        form_url = _P_FORM_URL
        reply_to = str(settings.get("round.reply_to"))
        deadline = format_date(settings.get("round.deadline"))
        sheet.column_dimensions["A"].width = 100
        row = 1
        for index, lang in enumerate(langs):
            text = _TEXT[lang]
            if index:
                row += 1
            name = _P_NAME_SV if lang == "sv" else _P_NAME_FI
            lines: list[tuple[str, str]] = [
                ("title", self.survey.title(lang)),
                ("bold", f"{text['municipality']}: {name} ({_P_CODE})"),
                ("bold", f"{text['deadline']}: {deadline}"),
                ("blank", ""),
                ("bold", text["what_title"]),
                ("text", text["what"].format(count=self.survey.practices_per_questionnaire)),
                ("bold", text["how_title"]),
                ("text", text["how"].format(tick=TICK)),
                ("bold", text["return_title"]),
                ("text", text["return_mail"].format(reply_to=reply_to)),
                ("text", text["return_form"]),
                ("link", form_url),
                ("text", text["privacy"]),
                ("blank", ""),
                ("text", text["contact"].format(coordinator=settings.get("round.coordinator"),
                                                reply_to=reply_to)),
                ("bold", text["thanks"]),
            ]
            for kind, value in lines:
                cell = sheet.cell(row=row, column=1, value=value or None)
                cell.alignment = self.wrap_top
                if kind == "title":
                    cell.font = self.title_font
                    sheet.row_dimensions[row].height = 24
                elif kind == "bold":
                    cell.font = self.bold
                elif kind == "link":
                    cell.hyperlink = value
                    cell.style = "Hyperlink"
                    cell.alignment = self.wrap_top
                if kind == "text":
                    sheet.row_dimensions[row].height = 15 * max(1, -(-len(value) // 95))
                row += 1
        self._protect(sheet)
        self._print_setup(sheet)

    # -- one practice ----------------------------------------------------------------------

    def _practice(self, sheet: Worksheet, *, langs: list[str], number: int) -> None:
        from openpyxl.worksheet.datavalidation import DataValidation

        sheet.column_dimensions["A"].width = 45
        sheet.column_dimensions["B"].width = 70
        sheet.column_dimensions["C"].hidden = True
        heading = sheet.cell(row=1, column=1, value=self._joined(langs, "heading", n=number))
        heading.font = self.title_font
        sheet.cell(row=1, column=3, value=f"practice:{number}")
        lead = sheet.cell(row=2, column=1, value="\n".join(_TEXT[lang]["lead"] for lang in langs))
        lead.font = self.hint_font
        lead.alignment = self.wrap_top
        sheet.merge_cells(start_row=2, start_column=1, end_row=2, end_column=2)
        sheet.row_dimensions[2].height = 32 * len(langs)
        row = 4
        for question in self.survey.questions:
            if question.type == "multichoice":
                row = self._multichoice(sheet, question, langs=langs, row=row)
                continue
            self._label(sheet, row, self._question_label(question, langs), question.id)
            answer = self._answer(sheet, row, long=question.type == "longtext")
            if question.type == "consent":
                options = [" / ".join(dict.fromkeys(c.label(lang) for lang in langs))
                           for c in question.choices]
                validation = DataValidation(type="list", formula1='"' + ",".join(options) + '"',
                                            allow_blank=True)
                validation.error = self._joined(langs, "choose")
                validation.errorStyle = "stop"
            elif question.max_length:
                validation = DataValidation(type="textLength", operator="lessThanOrEqual",
                                            formula1=str(question.max_length), allow_blank=True)
                validation.error = self._joined(langs, "max_chars", " ", n=question.max_length)
                validation.errorTitle = _TEXT[langs[0]]["too_long"]
                validation.errorStyle = "stop"
            else:
                validation = DataValidation(allow_blank=True)
            self._prompt(validation, question, langs)
            sheet.add_data_validation(validation)
            validation.add(answer)
            row += 1
        self._protect(sheet)
        self._print_setup(sheet)
        sheet.print_title_rows = "1:1"

    def _question_label(self, question: Question, langs: list[str]) -> str:
        label = " / ".join(dict.fromkeys(question.label(lang) for lang in langs))
        return label + (" *" if question.required else "")

    def _label(self, sheet: Worksheet, row: int, text: str, key: str, *,
               indent: bool = False) -> None:
        cell = sheet.cell(row=row, column=1, value=text)
        if not indent:
            cell.font = self.bold
        cell.alignment = self.indent if indent else self.wrap_top
        cell.fill = self.label_fill
        cell.border = self.border
        sheet.cell(row=row, column=3, value=key)
        lines = max(1, -(-len(text) // 42))
        sheet.row_dimensions[row].height = max(18, 15 * lines)

    def _answer(self, sheet: Worksheet, row: int, *, long: bool = False) -> Any:
        cell = sheet.cell(row=row, column=2)
        cell.protection = self.unlocked
        cell.alignment = self.wrap_top
        cell.border = self.border
        cell.fill = self.answer_fill
        cell.number_format = "@"
        if long:
            sheet.row_dimensions[row].height = 90
        return cell

    def _prompt(self, validation: Any, question: Question, langs: list[str]) -> None:
        title = " / ".join(dict.fromkeys(question.label(lang) for lang in langs))
        parts = [question.help_text(lang) for lang in langs if question.help_text(lang)]
        if question.max_length and question.type not in {"consent", "multichoice"}:
            parts.insert(0, self._joined(langs, "max_chars", " ", n=question.max_length))
        prompt = "\n".join(parts)
        # Excel refuses input messages longer than 255 characters and titles beyond 32.
        if len(prompt) > 255:
            prompt = prompt[:254].rstrip() + "…"
        if len(title) > 32:
            title = title[:31].rstrip() + "…"
        validation.promptTitle = title
        validation.prompt = prompt or None
        validation.showInputMessage = True
        validation.showErrorMessage = validation.type is not None

    def _multichoice(self, sheet: Worksheet, question: Question, *, langs: list[str],
                     row: int) -> int:
        from openpyxl.worksheet.datavalidation import DataValidation

        self._label(sheet, row, self._question_label(question, langs), question.id)
        hint = sheet.cell(row=row, column=2, value=self._joined(langs, "tick_hint", "\n", tick=TICK))
        hint.font = self.hint_font
        hint.alignment = self.wrap_top
        hint.border = self.border
        hint.fill = self.label_fill
        row += 1
        ticks = DataValidation(type="list", formula1=f'"{TICK}"', allow_blank=True)
        ticks.errorStyle = "warning"  # "X" or "kyllä" typed by hand is still accepted
        ticks.error = self._joined(langs, "choose")
        self._prompt(ticks, question, langs)
        sheet.add_data_validation(ticks)
        for choice in question.choices:
            label = " / ".join(dict.fromkeys(choice.label(lang) for lang in langs))
            self._label(sheet, row, label, f"{question.id}:{choice.id}", indent=True)
            cell = self._answer(sheet, row)
            cell.alignment = self.wrap_top
            ticks.add(cell)
            row += 1
        if question.other is not None:
            other = question.other
            label = " / ".join(dict.fromkeys(other.label(lang) for lang in langs))
            self._label(sheet, row, label, f"{question.id}:{other.id}", indent=True)
            cell = self._answer(sheet, row)
            if question.max_length:
                free = DataValidation(type="textLength", operator="lessThanOrEqual",
                                      formula1=str(question.max_length), allow_blank=True)
                free.error = self._joined(langs, "max_chars", " ", n=question.max_length)
                free.errorStyle = "stop"
            else:
                free = DataValidation(allow_blank=True)
            self._prompt(free, question, langs)
            sheet.add_data_validation(free)
            free.add(cell)
            row += 1
        return row

    # -- metadata ----------------------------------------------------------------------------

    def _meta(self, sheet: Worksheet, *, langs: list[str]) -> None:
        values = {
            "survey_id": self.survey.survey_id,
            "survey_version": str(self.survey.version),
            "municipality_code": _P_CODE,
            "municipality_name": _P_DISPLAY,
            "token": _P_TOKEN,
            "language": "-".join(langs),
            "round_name": self.settings.round_name,
            "generated_at": _P_GENERATED,
            "layout_version": LAYOUT_VERSION,
        }
        for row, key in enumerate(META_KEYS, start=1):
            sheet.cell(row=row, column=1, value=key)
            cell = sheet.cell(row=row, column=2, value=values[key])
            cell.number_format = "@"
        sheet.column_dimensions["A"].width = 20
        sheet.column_dimensions["B"].width = 50
        sheet.protection.sheet = True
        sheet.sheet_state = "hidden"


def _zip_members(data: bytes) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return [(info.filename, archive.read(info)) for info in archive.infolist()]


def _fill_template(members: list[tuple[str, bytes]], values: dict[str, str]) -> bytes:
    """Return the xlsx bytes of ``members`` with every placeholder replaced by its value.

    Values are XML-escaped for both text and attribute positions (shared strings and the
    hyperlink target in the sheet's relationships).
    """
    # Imported here: xml.sax.saxutils brings urllib.request, http.client, email and ssl,
    # 2 MB that an ingest's processes, which read this module's texts, never use.
    from xml.sax.saxutils import escape

    encoded = {key.encode(): escape(value, {'"': "&quot;", "'": "&apos;"}).encode("utf-8")
               for key, value in values.items()}
    buffer = io.BytesIO()
    stamp = time.localtime()[:6]
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        for name, content in members:
            if b"@@" in content:
                for key, value in encoded.items():
                    content = content.replace(key, value)
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, content)
    return buffer.getvalue()


def read_questionnaire_meta(path: Path) -> dict[str, str]:
    """Return the ``_meta`` key/value pairs of a questionnaire workbook ({} if it has none)."""
    from .tables import cell_text, read_table_file

    for sheet in read_table_file(path):
        if sheet.name == QUESTIONNAIRE_META_SHEET:
            return {cell_text(row[0]): cell_text(row[1]) for row in sheet.rows
                    if len(row) >= 2 and cell_text(row[0])}
    return {}
