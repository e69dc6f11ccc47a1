"""``yhteistuumin status``: the round at a glance by region, and the follow-up list by municipality.

Municipality counts (``municipalities`` … ``answered_uninvited``) count municipalities in force
(``bounced``: those whose every address bounced, none in use left);
practice counts count practices, a joint practice once in every region it belongs to (and once
in the totals). ``answered`` counts only municipalities that were invited, so that
``response_rate`` = answered / invited never passes 100 % (0 when nobody was invited yet); an
answer from a municipality that was never invited is counted apart, in ``answered_uninvited``.

The chart is an SVG drawn by a Jinja template (``templates/site/_chart.svg.j2``): the status
page holds it inline, ``status --chart FILE.svg`` writes it alone.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .cards import effective_municipalities
from .db.read import Reader, as_reader
from .errors import SurveyError

if TYPE_CHECKING:
    import jinja2
    from sqlmodel import Session

    from .followup import FollowUp
    from .workspace import Workspace

#: The keys of every row, in column order.
STATUS_KEYS = ("municipalities", "with_contact", "invited", "bounced", "reminded", "answered",
               "answered_uninvited", "practices", "approved", "published", "response_rate")
#: The columns of the status table: the region, then the counts.
STATUS_COLUMNS = ["code", "name", *STATUS_KEYS]
_MUNICIPALITY_KEYS = ("municipalities", "with_contact", "invited", "bounced", "reminded", "answered",
                      "answered_uninvited")

#: Column headings of the status table and page (Finnish: the coordinator's language).
HEADINGS = {
    "municipalities": "Kunnat", "with_contact": "Yhteystieto", "invited": "Kutsuttu",
    "bounced": "Palautui", "reminded": "Muistutettu", "answered": "Vastannut",
    "answered_uninvited": "Vastannut kutsumatta",
    "practices": "Käytännöt", "approved": "Hyväksytty", "published": "Julkaistu",
    "response_rate": "Vastaus-%",
}


#: Column headings in Swedish (a Swedish round's page and lists).
HEADINGS_SV = {
    "municipalities": "Kommuner", "with_contact": "Kontakt", "invited": "Inbjudna",
    "bounced": "Studsade", "reminded": "Påminda", "answered": "Svarat",
    "answered_uninvited": "Svarat utan inbjudan",
    "practices": "Exempel", "approved": "Godkända", "published": "Publicerade",
    "response_rate": "Svar-%",
}


def _headings(lang: str) -> dict[str, str]:
    return HEADINGS_SV if lang == "sv" else HEADINGS


def format_percent(rate: float, lang: str = "fi") -> str:
    """Return a rate the Finnish and Swedish way: ``15,4 %`` (a non-breaking space before %)."""
    text = f"{rate * 100:.1f}"
    if lang in {"fi", "sv"}:
        text = text.replace(".", ",")
    return f"{text}\u00a0%"


@dataclass
class RoundStatus:
    """Counts per region and in total."""

    round_name: str
    totals: dict[str, Any]
    regions: list[dict[str, Any]] = field(default_factory=list)
    #: The status page and the chart written with it, if any.
    page: Path | None = None
    chart: Path | None = None
    lang: str = "fi"
    #: The file the status was written to instead of the screen (``status --out``), if any.
    written_to: Path | None = None
    #: Municipalities whose invitation may or may not have gone out (a fault during the
    #: hand-over) and none surely did: not counted as invited, not to be invited again blindly.
    uncertain: int = 0

    @property
    def failed(self) -> bool:
        return False

    def summary(self) -> list[str]:
        """Return the round in one sentence or two (the coordinator's language)."""
        t = self.totals
        if self.lang == "sv":
            lines = [f"{t['answered']} av {t['invited']} inbjudna kommuner har svarat "
                     f"({format_percent(t['response_rate'], 'sv')})." if t["invited"] else
                     "Inga inbjudningar har skickats ännu."]
            if t["answered_uninvited"]:
                lines.append(f"Dessutom har {t['answered_uninvited']} kommuner svarat utan "
                             "inbjudan." if t["answered_uninvited"] != 1 else
                             "Dessutom har 1 kommun svarat utan inbjudan.")
            if self.uncertain == 1:
                lines.append("För 1 kommun är det oklart om inbjudan kom fram: kontrollera det "
                             "innan den skickas igen (yhteistuumin status --by municipality).")
            elif self.uncertain:
                lines.append(f"För {self.uncertain} kommuner är det oklart om inbjudningarna kom "
                             "fram: kontrollera det innan de skickas igen (yhteistuumin status "
                             "--by municipality).")
            return lines
        lines = [f"{t['answered']}/{t['invited']} kutsutusta kunnasta on vastannut "
                 f"({format_percent(t['response_rate'])})." if t["invited"] else
                 "Kutsuja ei ole vielä lähetetty."]
        if t["answered_uninvited"]:
            lines.append(f"Lisäksi {t['answered_uninvited']} kuntaa vastasi kutsumatta."
                         if t["answered_uninvited"] != 1 else "Lisäksi 1 kunta vastasi kutsumatta.")
        if self.uncertain == 1:
            lines.append("1 kunnan kutsusta ei tiedetä, menikö se perille: tarkista se ennen "
                         "kuin lähetät sen uudelleen (yhteistuumin status --by municipality).")
        elif self.uncertain:
            lines.append(f"{self.uncertain} kunnan kutsuista ei tiedetä, menivätkö ne perille: "
                         "tarkista ne ennen kuin lähetät ne uudelleen (yhteistuumin status "
                         "--by municipality).")
        return lines

    def table(self) -> tuple[list[str], list[dict[str, Any]]]:
        """Return the regions and a total row, rates as ``15,4 %``."""
        return STATUS_COLUMNS, status_rows(self)

    def render(self, fmt: str) -> str:
        """Return the status as ``table`` (the regions, then the round in words), ``csv`` or
        ``json``."""
        text = render_status(self, fmt)
        return "\n".join([text, *self.summary()]) if fmt == "table" else text

    def text(self) -> str:
        return self.render("table")

    def warnings(self) -> list[str]:
        return written_lines(self)

    def to_frame(self) -> Any:
        """Return the regions and the total row as a pandas DataFrame."""
        from .reports import to_frame

        return to_frame(self)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"totals": self.totals, "regions": self.regions}
        if self.uncertain:
            data["uncertain_invitations"] = self.uncertain
        return data

    def headings(self) -> list[str]:
        """Return the column headings in the round's language."""
        region = "Landskap" if self.lang == "sv" else "Maakunta"
        code = "Kod" if self.lang == "sv" else "Koodi"
        return [code, region, *(_headings(self.lang)[key] for key in STATUS_KEYS)]

    def write(self, path: Path, fmt: str) -> Path:
        """Write the regions and the total to ``path``: ``xlsx``, ``csv`` (``;`` and a BOM, as a
        Finnish Excel opens it), ``json`` or ``table``."""
        path.parent.mkdir(parents=True, exist_ok=True)
        if fmt == "xlsx":
            from .workbooks import write_table_xlsx

            return write_table_xlsx(path, status_rows(self), STATUS_COLUMNS, self.headings(),
                                    title="Tilanne" if self.lang != "sv" else "Läget")
        if fmt == "csv":
            import csv
            import io

            out = io.StringIO()
            writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
            writer.writerow(self.headings())
            writer.writerows([row.get(c) for c in STATUS_COLUMNS] for row in status_rows(self))
            path.write_text(out.getvalue(), encoding="utf-8-sig", newline="")
            return path
        path.write_text(render_status(self, fmt), encoding="utf-8")
        return path


def written_lines(result: RoundStatus | FollowUp) -> list[str]:
    """Return the lines that say which files a status wrote: itself (the summary, then the
    file), the status page, the chart."""
    out = [f"{' '.join(result.summary())} {result.written_to}"] if result.written_to else []
    return out + [f"{label}: {path}" for label, path in (("Status page", result.page),
                                                         ("Chart", result.chart)) if path]


#: How a practice's municipality was found when that municipality is the one that answered:
#: its token, its questionnaire's metadata sheet, its address. Found in the text, it may be a
#: partner the answer names.
REPORTER_SOURCES = frozenset({"token", "metadata", "sender-domain"})


def answered_codes(*, session: Session | Reader, round_name: str | None = None) -> set[str]:
    """Return the municipalities that answered (``round_name`` limits the tokens to one round).

    A municipality answered when its response token came back with something filled in (a
    questionnaire returned as it was sent, every sheet empty, is no answer: the municipality
    is still reminded), or when a practice that the
    reviewers have not rejected names it as its reporter: found by token, metadata sheet or
    sender's address, or, for a practice whose text alone names a municipality (a web-form
    answer), that one municipality; or when the coordinator recorded its answer (``register
    answered``: a reply saying there is nothing to report, a phone call). A partner named in
    the text of another's practice, and every name in a text naming several with no reporter
    (an anonymous row naming twelve), has not answered: it is still reminded, and
    ``mentioned_codes`` lists it for the coordinator.
    ``session`` is a SQLAlchemy session or a reader (``db.read``).
    """
    db = as_reader(session)
    sql = ("SELECT t.municipality_code FROM surveytoken t "
           "JOIN submission s ON s.response_key = t.token WHERE s.status != 'empty'")
    rows = (db.rows(sql + " AND t.round_name = :round", round=round_name) if round_name
            else db.rows(sql))
    codes = {code for (code,) in rows}
    # Recorded by the coordinator (``register answered``): an answer nothing here reads.
    sql = ("SELECT municipality_code FROM coordinatorrecord WHERE kind = 'answered' "
           "AND undone_at IS NULL")
    codes |= {code for (code,) in (db.rows(sql + " AND round_name = :round", round=round_name)
                                   if round_name else db.rows(sql))}
    for submitted in _submitted(db).values():
        reporters = {code for code, source in submitted if source in REPORTER_SOURCES}
        named = {code for code, _ in submitted}
        codes |= reporters or (named if len(named) == 1 else set())
    return codes


def _submitted(db: Reader) -> dict[int, list[tuple[str, str]]]:
    """(code, source as submitted) of every practice the reviewers have not rejected."""
    found: dict[int, list[tuple[str, str]]] = defaultdict(list)
    rows = db.rows("SELECT pm.practice_id, pm.municipality_code, pm.source, pm.submitted_source "
                   "FROM practicemunicipality pm JOIN practice p ON p.id = pm.practice_id "
                   "WHERE p.status != 'rejected'")
    for practice_id, code, source, submitted_source in rows:
        if source != "reviewer" or submitted_source:  # as submitted, not as a reviewer added it
            found[practice_id].append((code, submitted_source or source))
    return found


def joint_answers(*, session: Session | Reader, round_name: str | None = None
                  ) -> dict[str, list[tuple[int, list[str]]]]:
    """The municipalities that have not answered but are named, with others, in a practice
    that does not say which of them answered (a joint answer, "Kajaani, Sotkamo ja Kuhmo
    yhdessä", or an anonymous row naming several): code -> [(practice id, the others named)].

    Never guessed either way: ``send remind`` does not remind them unless one is named alone
    with ``--only``, and the follow-up list asks the coordinator to check (``check-answer``)."""
    db = as_reader(session)
    answered = answered_codes(session=db, round_name=round_name)
    found: dict[str, list[tuple[int, list[str]]]] = defaultdict(list)
    for practice_id, submitted in sorted(_submitted(db).items()):
        named = sorted({code for code, _ in submitted})
        if len(named) < 2 or any(source in REPORTER_SOURCES for _, source in submitted):
            continue
        for code in named:
            if code not in answered:
                found[code].append((practice_id, [c for c in named if c != code]))
    return dict(found)


def mentioned_codes(*, session: Session | Reader, round_name: str | None = None) -> set[str]:
    """The municipalities only named in the text of practices not rejected: partners and
    names in anonymous rows, for the coordinator to look at (they do not stop reminders)."""
    db = as_reader(session)
    named = {code for submitted in _submitted(db).values() for code, source in submitted
             if source == "text"}
    return named - answered_codes(session=db, round_name=round_name)


def _rate(answered: int, invited: int) -> float:
    return round(answered / invited, 4) if invited else 0.0


@dataclass
class RoundSets:
    """What the status and the follow-up list are counted from, read once."""

    region_of: dict[str, str]
    sets: dict[str, set[str]]


def read_round(session: Session | Reader, round_name: str | None) -> RoundSets:
    """Return the municipalities in force by region, and the sets each status count counts."""
    db = as_reader(session)
    region_of = dict(db.rows("SELECT code, region_code FROM municipality WHERE active"))
    sets: dict[str, set[str]] = {key: set() for key in _MUNICIPALITY_KEYS}
    sets["municipalities"] = set(region_of)
    for code, status in db.rows("SELECT municipality_code, status FROM contact"):
        if status == "valid":
            sets["with_contact"].add(code)
        elif status == "bounced":
            sets["bounced"].add(code)
    # "bounced": lost to bounces, no address in use left. One of two addresses bounced, or a
    # bounced one since replaced, still reaches the municipality: it is counted once, with a
    # contact, so that with a contact + bounced + neither = the municipalities.
    sets["bounced"] -= sets["with_contact"]
    sql = "SELECT municipality_code, kind FROM outboundmessage WHERE state = 'sent'"
    messages = (db.rows(sql + " AND round_name = :round", round=round_name) if round_name
                else db.rows(sql))
    for code, kind in messages:
        if kind == "invite":
            sets["invited"].add(code)
        elif kind == "remind":
            sets["reminded"].add(code)
    sql = ("SELECT municipality_code FROM outboundmessage WHERE state = 'uncertain' "
           "AND kind = 'invite'")
    unsure = db.rows(sql + " AND round_name = :round", round=round_name) if round_name \
        else db.rows(sql)
    sets["uncertain"] = {code for (code,) in unsure} - sets["invited"]
    answered = answered_codes(session=db, round_name=round_name)
    # The rate's numerator is a subset of its denominator: an answer from a municipality that
    # was never invited is real and shown, but apart.
    sets["answered_uninvited"] = answered - sets["invited"]
    sets["answered"] = answered & sets["invited"]
    active = set(region_of)
    for key in _MUNICIPALITY_KEYS:
        sets[key] &= active
    return RoundSets(region_of, sets)


def _practice_counts(db: Reader, region_of: dict[str, str]
                     ) -> tuple[dict[str, dict[str, int]], dict[str, int]]:
    """Practices, approved and published by region (a joint practice in each of its regions)
    and in total (once)."""
    found: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for practice_id, code, source in db.rows(
            "SELECT practice_id, municipality_code, source FROM practicemunicipality"):
        found[practice_id].append((code, source))
    by_region: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    totals = {"practices": 0, "approved": 0, "published": 0}
    for practice_id, status, duplicate_of in db.rows(
            "SELECT id, status, duplicate_of_id FROM practice"):
        codes = effective_municipalities(found.get(practice_id, []))
        kinds = ["practices"]
        if status == "approved":
            kinds.append("approved")
            if duplicate_of is None:
                kinds.append("published")
        regions = sorted({region_of[c] for c in codes if c in region_of})
        for kind in kinds:
            totals[kind] += 1
            for region_code in regions:
                by_region[region_code][kind] += 1
    return by_region, totals


def round_status(*, session: Session | Reader, round_name: str | None = None,
                 lang: str = "fi") -> RoundStatus:
    """Count the round by region; ``round_name`` limits messages and tokens to one round.

    ``session`` is a SQLAlchemy session or a reader (``db.read``): plain SQL either way.
    """
    db = as_reader(session)
    regions = db.rows("SELECT code, name_fi, name_sv FROM region ORDER BY code")
    facts = read_round(db, round_name)
    region_of, sets = facts.region_of, facts.sets
    practice_counts, totals_practices = _practice_counts(db, region_of)
    by_region: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for key in _MUNICIPALITY_KEYS:
        for code in sets[key]:
            by_region[region_of[code]][key] += 1
    rows: list[dict[str, Any]] = []
    for code, name_fi, name_sv in regions:
        row: dict[str, Any] = {"code": code, "name": name_sv if lang == "sv" and name_sv
                               else name_fi}
        for key in _MUNICIPALITY_KEYS:
            row[key] = by_region[code][key]
        for kind in ("practices", "approved", "published"):
            row[kind] = practice_counts[code][kind]
        row["response_rate"] = _rate(row["answered"], row["invited"])
        rows.append(row)
    totals: dict[str, Any] = {key: len(sets[key]) for key in _MUNICIPALITY_KEYS}
    totals.update(totals_practices)
    totals["response_rate"] = _rate(totals["answered"], totals["invited"])
    return RoundStatus(round_name=round_name or "", totals=totals, regions=rows, lang=lang,
                       uncertain=len(sets["uncertain"] & set(region_of)))


def status_rows(status: RoundStatus) -> list[dict[str, Any]]:
    """Return the regions and a total row for ``reports.render`` (rates as ``15,4 %``)."""
    total = "Totalt" if status.lang == "sv" else "Yhteensä"
    rows = []
    for row in [*status.regions, {"code": "", "name": total, **status.totals}]:
        shown = dict(row)
        shown["response_rate"] = format_percent(row["response_rate"], status.lang)
        rows.append(shown)
    return rows


def render_status(status: RoundStatus, fmt: str) -> str:
    """Return the status as ``table`` (headings in the round's language), ``csv`` or ``json``."""
    from .reports import render, to_json

    if fmt == "json":
        return to_json(status.to_dict())
    if fmt == "table":
        first = ["Kod", "Landskap"] if status.lang == "sv" else ["Koodi", "Maakunta"]
        headings = _headings(status.lang)
        headers = [*first, *(headings[key] for key in STATUS_KEYS)]
        return render(status_rows(status), STATUS_COLUMNS, "table", headers)
    return render(status.table()[1], STATUS_COLUMNS, fmt)


#: Chart geometry (SVG user units): the label column, the plot, one bar row.
_LABELS_WIDTH, _PLOT_WIDTH, _ROW, _TOP, _BOTTOM = 190, 460, 24, 56, 52

CHART_TEXT = {
    "fi": {"title": "Vastausprosentti maakunnittain", "total": "yhteensä",
           "axis": "Vastanneet / kutsutut kunnat", "none": "ei kutsuttuja",
           "desc": "{answered}/{invited} kutsutusta kunnasta on vastannut ({rate}). "
                   "Vaakapylväs kullekin maakunnalle; samat luvut ovat taulukossa."},
    "sv": {"title": "Svarsprocent per landskap", "total": "totalt",
           "axis": "Kommuner som svarat / inbjudna kommuner", "none": "inga inbjudna",
           "desc": "{answered} av {invited} inbjudna kommuner har svarat ({rate}). "
                   "En stapel per landskap; samma siffror finns i tabellen."},
}


class ChartFormatError(SurveyError):
    """The chart was asked for in a format it is not drawn in."""


def chart_context(status: RoundStatus, *, chart_id: str = "chart") -> dict[str, Any]:
    """Return what ``site/_chart.svg.j2`` draws: bars, labels, ticks, all inside the axis.

    A bar is never wider than the plot (rates are at most 100 %); its label sits after the bar,
    or inside its end (in white) when the bar leaves no room for it, so no label leaves the axis.
    """
    lang = "sv" if status.lang == "sv" else "fi"
    text = CHART_TEXT[lang]
    x0 = _LABELS_WIDTH
    bars = []
    for i, row in enumerate(status.regions):
        rate = min(1.0, max(0.0, float(row["response_rate"])))
        width = round(rate * _PLOT_WIDTH, 1)
        if row["invited"]:
            label = f"{format_percent(rate, lang)} ({row['answered']}/{row['invited']})"
        else:
            label = text["none"]
        inside = width > _PLOT_WIDTH - 7 * len(label)  # ~7 units a character at 12 px
        bars.append({"name": row["name"], "y": _TOP + i * _ROW, "width": width,
                     "label": label, "inside": inside,
                     "label_x": round(x0 + width - 4 if inside else x0 + width + 4, 1)})
    ticks = [{"x": round(x0 + _PLOT_WIDTH * p / 100, 1), "label": f"{p}\u00a0%"}
             for p in range(0, 101, 20)]
    total = status.totals
    title = (f"{text['title']} – {text['total']} "
             f"{format_percent(total['response_rate'], lang)}")
    desc = text["desc"].format(answered=total["answered"], invited=total["invited"],
                               rate=format_percent(total["response_rate"], lang))
    axis_y = _TOP + len(bars) * _ROW
    return {"id": chart_id, "lang": lang, "title": title, "desc": desc,
            "round_name": status.round_name, "bars": bars, "ticks": ticks,
            "width": _LABELS_WIDTH + _PLOT_WIDTH + 30, "height": axis_y + _BOTTOM, "x0": x0,
            "plot_width": _PLOT_WIDTH, "row": _ROW, "top": _TOP, "axis_y": axis_y,
            "axis_label": text["axis"]}


def render_chart(status: RoundStatus, *, env: jinja2.Environment | None = None,
                 chart_id: str = "chart") -> str:
    """Return the response-rate chart as accessible SVG markup."""
    from .templating import make_environment, render_template

    env = env or make_environment(None)
    return render_template(env, "site/_chart.svg.j2",
                           {"chart": chart_context(status, chart_id=chart_id)})


def draw_chart(status: RoundStatus, path: Path, *, workspace: Workspace | None = None) -> Path:
    """Write the response rate by region as an SVG file (``.svg`` only; PNG is not drawn)."""
    from .templating import make_environment

    if path.suffix.lower() != ".svg":
        raise ChartFormatError(f"{path}: the chart is drawn as SVG only; name the file "
                               f"{path.with_suffix('.svg').name} (a browser opens it and "
                               "can print or save it as an image)")
    svg = render_chart(status, env=make_environment(workspace))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('<?xml version="1.0" encoding="UTF-8"?>\n' + svg, encoding="utf-8")
    return path


def _made_at_text(made_at: dt.datetime, lang: str) -> str:
    from .finnish_time import HELSINKI

    local = made_at.astimezone(HELSINKI)
    day = f"{local.day}.{local.month}.{local.year}"
    if lang == "sv":
        return f"Uppdaterad {day} kl. {local.hour}.{local.minute:02d}"
    return f"Päivitetty {day} klo {local.hour}.{local.minute:02d}"


def write_status_page(workspace: Workspace, status: RoundStatus, *, path: Path | None = None,
                      site_title: str = "", follow_up: FollowUp | None = None,
                      made_at: dt.datetime | None = None) -> Path:
    """Write the status as an HTML page in the site's style (``outputs/status.html``).

    The page holds the chart inline (SVG), the time it was made, the regions with rates
    written the Finnish (or Swedish) way, and below them the follow-up list when given.
    """
    from .publish import UI, site_environment
    from .resources import bundled_path
    from .templating import render_template

    lang = "sv" if status.lang == "sv" else "fi"
    path = path or workspace.outputs / "status.html"
    made_at = made_at or dt.datetime.now(dt.UTC)
    css_path = workspace.root / "templates/site/static/site.css"
    if not css_path.exists():
        css_path = bundled_path("templates/site/static/site.css")
    ui = {**UI[lang], "status_keys": _headings(lang)}
    env = site_environment(workspace)
    env.filters["status_cell"] = lambda value, key: (
        format_percent(value, lang) if key == "response_rate" else value)
    follow_up_columns, follow_up_rows = follow_up.table() if follow_up is not None else ([], [])
    html = render_template(env, "site/status.html.j2", {
        "lang": lang, "root": "site/", "site_title": site_title, "ui": ui,
        "css": css_path.read_text(encoding="utf-8"), "keys": STATUS_KEYS,
        "regions": status.regions, "totals": status.totals, "round_name": status.round_name,
        "chart": chart_context(status), "made_at": made_at.isoformat(timespec="seconds"),
        "made_at_text": _made_at_text(made_at, lang),
        "follow_up_columns": follow_up_columns, "follow_up_rows": follow_up_rows,
        "follow_up_headings": follow_up.headings() if follow_up is not None else [],
        "total_label": "Totalt" if lang == "sv" else "Yhteensä"})
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html, encoding="utf-8")
    return path
