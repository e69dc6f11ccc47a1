"""The round at a glance: municipalities, contacts, invitations, answers and practices by region.

Municipality counts (``municipalities`` … ``answered``) count municipalities in force; practice
counts count practices, a joint practice once in every region it belongs to (and once in the
totals). ``response_rate`` is answered / invited (0 when nobody was invited yet).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .cards import practice_municipalities

if TYPE_CHECKING:
    from sqlmodel import Session

    from .workspace import Workspace

#: The keys of every row, in column order.
STATUS_KEYS = ("municipalities", "with_contact", "invited", "bounced", "reminded", "answered",
               "practices", "approved", "published", "response_rate")
#: The columns of the status table: the region, then the counts.
STATUS_COLUMNS = ["code", "name", *STATUS_KEYS]
_MUNICIPALITY_KEYS = ("municipalities", "with_contact", "invited", "bounced", "reminded", "answered")

#: Column headings of the status table and page (Finnish: the coordinator's language).
HEADINGS = {
    "municipalities": "Kunnat", "with_contact": "Yhteystieto", "invited": "Kutsuttu",
    "bounced": "Palautui", "reminded": "Muistutettu", "answered": "Vastannut",
    "practices": "Käytännöt", "approved": "Hyväksytty", "published": "Julkaistu",
    "response_rate": "Vastaus-%",
}


@dataclass
class RoundStatus:
    """Counts per region and in total."""

    round_name: str
    totals: dict[str, Any]
    regions: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"totals": self.totals, "regions": self.regions}


#: How a practice's municipality was found when that municipality is the one that answered:
#: its token, its questionnaire's metadata sheet, its address. Found in the text, it may be a
#: partner the answer names.
REPORTER_SOURCES = frozenset({"token", "metadata", "sender-domain"})


def answered_codes(*, session: Session, round_name: str | None = None) -> set[str]:
    """Return the municipalities that answered (``round_name`` limits the tokens to one round).

    A municipality answered when its response token came back, or when a practice that the
    reviewers have not rejected names it as its reporter: found by token, metadata sheet or
    sender's address, or, for a practice whose text alone names a municipality (a web-form
    answer), that one municipality. A partner named in the text of another's practice, and
    every name in a text naming several with no reporter (an anonymous row naming twelve), has
    not answered: it is still reminded, and ``mentioned_codes`` lists it for the coordinator.
    """
    from sqlmodel import col, select

    from .db.models import Submission, SurveyToken

    tokens = select(SurveyToken.municipality_code).join(
        Submission, col(Submission.response_key) == col(SurveyToken.token))
    if round_name:
        tokens = tokens.where(col(SurveyToken.round_name) == round_name)
    codes = set(session.exec(tokens).all())
    for submitted in _submitted(session).values():
        reporters = {code for code, source in submitted if source in REPORTER_SOURCES}
        named = {code for code, _ in submitted}
        codes |= reporters or (named if len(named) == 1 else set())
    return codes


def _submitted(session: Session) -> dict[int, list[tuple[str, str]]]:
    """(code, source as submitted) of every practice the reviewers have not rejected."""
    from sqlmodel import col, select

    from .db.models import Practice, PracticeMunicipality

    found: dict[int, list[tuple[str, str]]] = defaultdict(list)
    rows = (select(PracticeMunicipality.practice_id, PracticeMunicipality.municipality_code,
                   PracticeMunicipality.source, PracticeMunicipality.submitted_source)
            .join(Practice, col(Practice.id) == col(PracticeMunicipality.practice_id))
            .where(col(Practice.status) != "rejected"))
    for practice_id, code, source, submitted_source in session.exec(rows):
        if source != "reviewer" or submitted_source:  # as submitted, not as a reviewer added it
            found[practice_id].append((code, submitted_source or source))
    return found


def mentioned_codes(*, session: Session, round_name: str | None = None) -> set[str]:
    """The municipalities only named in the text of practices not rejected: partners and
    names in anonymous rows, for the coordinator to look at (they do not stop reminders)."""
    named = {code for submitted in _submitted(session).values() for code, source in submitted
             if source == "text"}
    return named - answered_codes(session=session, round_name=round_name)


def _rate(answered: int, invited: int) -> float:
    return round(answered / invited, 4) if invited else 0.0


def round_status(*, session: Session, round_name: str | None = None) -> RoundStatus:
    """Count the round by region; ``round_name`` limits messages and tokens to one round."""
    from sqlmodel import select

    from .db.models import (
        Contact,
        Municipality,
        OutboundMessage,
        Practice,
        Region,
    )

    regions = list(session.exec(select(Region).order_by(Region.code)))  # type: ignore[arg-type]
    region_of = {m.code: m.region_code
                 for m in session.exec(select(Municipality).where(Municipality.active == True))}  # noqa: E712
    sets: dict[str, set[str]] = {key: set() for key in _MUNICIPALITY_KEYS}
    sets["municipalities"] = set(region_of)
    for code, status in session.exec(select(Contact.municipality_code, Contact.status)):
        if status == "valid":
            sets["with_contact"].add(code)
        elif status == "bounced":
            sets["bounced"].add(code)
    messages = select(OutboundMessage.municipality_code, OutboundMessage.kind).where(
        OutboundMessage.state == "sent")
    if round_name:
        messages = messages.where(OutboundMessage.round_name == round_name)
    for code, kind in session.exec(messages):
        if kind == "invite":
            sets["invited"].add(code)
        elif kind == "remind":
            sets["reminded"].add(code)
    sets["answered"] = answered_codes(session=session, round_name=round_name)
    codes_of = practice_municipalities(session=session)
    practice_rows = session.exec(select(Practice.id, Practice.status, Practice.duplicate_of_id))
    practice_counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    totals_practices = {"practices": 0, "approved": 0, "published": 0}
    for practice_id, status, duplicate_of in practice_rows:
        codes = codes_of.get(practice_id or 0, [])
        kinds = ["practices"]
        if status == "approved":
            kinds.append("approved")
            if duplicate_of is None:
                kinds.append("published")
        for kind in kinds:
            totals_practices[kind] += 1
            for region_code in sorted({region_of[c] for c in codes if c in region_of}):
                practice_counts[region_code][kind] += 1
    active = set(region_of)
    for key in _MUNICIPALITY_KEYS:
        sets[key] &= active
    rows: list[dict[str, Any]] = []
    for region in regions:
        row: dict[str, Any] = {"code": region.code, "name": region.name_fi}
        for key in _MUNICIPALITY_KEYS:
            row[key] = sum(1 for code in sets[key] if region_of[code] == region.code)
        for kind in ("practices", "approved", "published"):
            row[kind] = practice_counts[region.code][kind]
        row["response_rate"] = _rate(row["answered"], row["invited"])
        rows.append(row)
    totals: dict[str, Any] = {key: len(sets[key]) for key in _MUNICIPALITY_KEYS}
    totals.update(totals_practices)
    totals["response_rate"] = _rate(totals["answered"], totals["invited"])
    return RoundStatus(round_name=round_name or "", totals=totals, regions=rows)


def status_rows(status: RoundStatus) -> list[dict[str, Any]]:
    """Return the regions and a total row for ``reports.render`` (rates as percentages)."""
    rows = []
    for row in [*status.regions, {"code": "", "name": "Yhteensä", **status.totals}]:
        shown = dict(row)
        shown["response_rate"] = f"{row['response_rate'] * 100:.1f} %"
        rows.append(shown)
    return rows


def render_status(status: RoundStatus, fmt: str) -> str:
    """Return the status as ``table`` (Finnish headings, rates as percentages), ``csv`` or ``json``."""
    from .reports import render, to_json

    if fmt == "json":
        return to_json(status.to_dict())
    if fmt == "table":
        headers = ["code", "region", *(HEADINGS[key] for key in STATUS_KEYS)]
        return render(status_rows(status), STATUS_COLUMNS, "table", headers)
    rows = [*status.regions, {"code": "", "name": "total", **status.totals}]
    return render(rows, STATUS_COLUMNS, fmt)


def draw_chart(status: RoundStatus, path: Path) -> Path:
    """Draw the response rate by region as a PNG bar chart (matplotlib, Agg)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import PercentFormatter

    regions = list(reversed(status.regions))  # first region on top
    names = [row["name"] for row in regions]
    rates = [row["response_rate"] * 100 for row in regions]
    figure, axes = plt.subplots(figsize=(9, 0.38 * len(regions) + 1.8), dpi=150)
    bars = axes.barh(names, rates, color="#0a4f86")
    axes.set_xlim(0, 110)
    axes.xaxis.set_major_formatter(PercentFormatter(decimals=0))
    axes.set_xticks([0, 20, 40, 60, 80, 100])
    axes.set_xlabel("Vastausprosentti (vastanneet / kutsutut kunnat)")
    axes.set_ylabel("Maakunta")
    total = status.totals
    title = f"Vastausprosentti maakunnittain – yhteensä {total['response_rate'] * 100:.0f} %"
    if status.round_name:
        title += f"\n{status.round_name}"
    axes.set_title(title)
    for bar, row in zip(bars, regions, strict=True):
        axes.text(bar.get_width() + 1, bar.get_y() + bar.get_height() / 2,
                  f"{row['response_rate'] * 100:.0f} % ({row['answered']}/{row['invited']})",
                  va="center", fontsize=8)
    axes.grid(axis="x", color="#dddddd")
    axes.set_axisbelow(True)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    # No timestamp in the file: the same numbers give the same picture.
    figure.savefig(path, format="png", metadata={"Software": None})
    plt.close(figure)
    return path


def write_status_page(workspace: Workspace, status: RoundStatus, *, path: Path | None = None,
                      site_title: str = "") -> Path:
    """Write the status as an HTML page in the site's style (``outputs/status.html``)."""
    from .publish import UI, site_environment
    from .resources import bundled_path
    from .templating import render_template

    path = path or workspace.outputs / "status.html"
    css_path = workspace.root / "templates/site/static/site.css"
    if not css_path.exists():
        css_path = bundled_path("templates/site/static/site.css")
    ui = {**UI["fi"], "status_keys": HEADINGS}
    env = site_environment(workspace)
    env.filters["status_cell"] = lambda value, key: (
        f"{value * 100:.1f} %" if key == "response_rate" else value)
    html = render_template(env, "site/status.html.j2", {
        "lang": "fi", "root": "site/", "site_title": site_title, "ui": ui,
        "css": css_path.read_text(encoding="utf-8"), "keys": STATUS_KEYS,
        "regions": status.regions, "totals": status.totals, "round_name": status.round_name})
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html, encoding="utf-8")
    return path
