"""The effective card of a practice: what the site, the JSON and the Markdown show.

The current version's fields with the reviewers' corrections applied (corrected title and
keywords; reviewer-set municipalities replace the others when there are any), the contact only
when the respondent consented, and the card labels of the survey in the practice's language.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from .survey import Survey

if TYPE_CHECKING:
    from sqlmodel import Session

#: The long text sections of a card, in card order.
SECTIONS = ("goal", "summary", "implementation", "resources", "experiences", "benefits")
#: Interface languages of the site; a practice in another language gets the Finnish labels.
SITE_LANGS = ("fi", "sv")
#: What stands in a card's texts for a contact detail published without consent.
HIDDEN_CONTACT = {"fi": "[yhteystietoa ei julkaista]", "sv": "[kontaktuppgiften publiceras inte]"}
#: Card label keys: the survey's card fields plus the contact parts.
LABEL_FIELDS = ("title", "keywords", "target_group", *SECTIONS, "contact_name", "contact_email",
                "contact_phone", "municipalities")


def site_lang(language: str | None) -> str:
    """Return the interface language for a practice language (``sv``, ``sv-fi`` -> ``sv``)."""
    return "sv" if (language or "").lower().startswith("sv") else "fi"


@dataclass(frozen=True)
class Place:
    """A municipality or a region, with its code and both names."""

    code: str
    name_fi: str
    name_sv: str

    def name(self, lang: str) -> str:
        return self.name_sv if lang == "sv" and self.name_sv else self.name_fi


@dataclass(frozen=True)
class CardContact:
    """The contact shown on a card (only ever built when the respondent consented)."""

    name: str
    email: str
    phone: str
    text: str


@dataclass(frozen=True)
class Card:
    """One practice as published."""

    id: int
    status: str
    language: str  # the practice's language as stored (fi, sv, …)
    lang: str  # its interface language: fi or sv
    title: str
    keywords: tuple[str, ...]
    target_group: tuple[tuple[str, str], ...]  # (value as stored, label in ``lang``)
    sections: dict[str, str]
    municipalities: tuple[Place, ...]
    regions: tuple[Place, ...]
    contact: CardContact | None
    labels: dict[str, str] = field(default_factory=dict)
    #: The page folder: ``<id>-<slug>``, the slug of the title it was first published with
    #: (``Practice.published_slug``), else of its title; the same for the same database.
    path: str = ""
    #: The day the practice last changed (YYYY-MM-DD), or ''.
    modified: str = ""
    #: Its title names its contact, who has not agreed to be published (hidden in ``title``);
    #: "address" when its page's address, published before, shows the name too.
    contact_in_title: str = ""
    #: Its contact withdrew their consent in a later message (the day and the file it came
    #: in, "YYYY-MM-DD, name"): the card hides them as without consent. Or ''.
    consent_withdrawn: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Return the card as plain data (practices.json, Markdown front matter)."""
        return {
            "id": self.id,
            "language": self.language,
            "title": self.title,
            "keywords": list(self.keywords),
            "target_group": [{"value": value, "label": label} for value, label in self.target_group],
            **{name: self.sections.get(name, "") for name in SECTIONS},
            "municipalities": [{"code": m.code, "name_fi": m.name_fi, "name_sv": m.name_sv}
                               for m in self.municipalities],
            "regions": [{"code": r.code, "name_fi": r.name_fi, "name_sv": r.name_sv}
                        for r in self.regions],
            "contact": None if self.contact is None else {
                "name": self.contact.name, "email": self.contact.email,
                "phone": self.contact.phone, "text": self.contact.text},
            "modified": self.modified,
        }


def card_labels(survey: Survey, lang: str) -> dict[str, str]:
    """Return the card headings of every field in ``lang`` from the survey definition."""
    labels: dict[str, str] = {}
    for name in LABEL_FIELDS:
        try:
            labels[name] = survey.by_field(name).card_label(lang)
        except KeyError:
            labels[name] = name
    return labels


def target_group_label(value: str, survey: Survey, lang: str) -> str:
    """Return the label of a stored target group (a choice id or ``other:<text>``)."""
    if value.startswith("other:"):
        return value[len("other:"):].strip()
    try:
        question = survey.by_field("target_group")
    except KeyError:
        return value
    for choice in question.choices:
        if choice.id == value:
            return choice.label(lang)
    return value


def slug(title: str) -> str:
    """Return the URL slug of a title (ASCII, hyphens, at most 60 characters)."""
    from slugify import slugify

    from .survey import strip_diacritics

    # Fold ä, ö, å to ASCII first: slugify's transliteration of them is slow (5,000 titles).
    return slugify(strip_diacritics(title), max_length=60, word_boundary=True) or "kaytanto"


def effective_municipalities(rows: Iterable[tuple[str, str]]) -> list[str]:
    """Return the codes of a practice from (code, source) rows: reviewer-set ones win."""
    rows = list(rows)
    reviewer = sorted({code for code, source in rows if source == "reviewer"})
    return reviewer or sorted({code for code, _ in rows})


def load_places(*, session: Session) -> tuple[dict[str, Place], dict[str, str], dict[str, Place]]:
    """Return (municipalities by code, region code by municipality code, regions by code)."""
    from sqlmodel import select

    from .db.models import Municipality, Region

    regions = {r.code: Place(r.code, r.name_fi, r.name_sv) for r in session.exec(select(Region))}
    municipalities: dict[str, Place] = {}
    region_of: dict[str, str] = {}
    for m in session.exec(select(Municipality)):
        municipalities[m.code] = Place(m.code, m.name_fi, m.name_sv)
        region_of[m.code] = m.region_code
    return municipalities, region_of, regions


def practice_municipalities(*, session: Session, statuses: Iterable[str] | None = None,
                            ids: Iterable[int] | None = None) -> dict[int, list[str]]:
    """Return the effective municipality codes of every practice (optionally of some statuses
    or some ids)."""
    from sqlmodel import select

    from .db.models import Practice, PracticeMunicipality

    query = select(PracticeMunicipality.practice_id, PracticeMunicipality.municipality_code,
                   PracticeMunicipality.source)
    if ids is not None:
        query = query.where(PracticeMunicipality.practice_id.in_(list(ids)))  # type: ignore[attr-defined]
    if statuses is not None:
        query = query.join(Practice, Practice.id == PracticeMunicipality.practice_id  # type: ignore[arg-type]
                           ).where(
            Practice.status.in_(list(statuses)))  # type: ignore[attr-defined]
    rows: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for practice_id, code, source in session.exec(query):
        rows[practice_id].append((code, source))
    return {pid: effective_municipalities(found) for pid, found in rows.items()}


def duplicates_by_original(*, session: Session) -> dict[int, list[int]]:
    """Return the practices decided as duplicates, by the practice they copy at the end of the
    chain (#26 -> #25 -> #19 counts for #19).

    Only practices whose status is ``duplicate``: one that sent a new version since is back
    in review with its old link kept, and its new municipalities are nobody's decision."""
    from sqlalchemy import select

    from .db.models import Practice

    p = Practice.__table__.c  # type: ignore[attr-defined]
    parent: dict[int, int] = {int(row[0]): int(row[1]) for row in session.execute(
        select(p.id, p.duplicate_of_id).where(p.duplicate_of_id.is_not(None),
                                              p.status == "duplicate"))}
    found: dict[int, list[int]] = defaultdict(list)
    for copy in sorted(parent):
        original, seen = parent[copy], {copy}
        while original in parent and original not in seen:  # a cycle stops where it closes
            seen.add(original)
            original = parent[original]
        found[original].append(copy)
    return dict(found)


def load_cards(*, session: Session, survey: Survey, published_only: bool = True) -> list[Card]:
    """Return the cards of the published practices (approved, not a duplicate), sorted by id."""
    from sqlalchemy import and_, select

    from .db.models import Practice, PracticeVersion

    p = Practice.__table__.c  # type: ignore[attr-defined]
    v = PracticeVersion.__table__.c  # type: ignore[attr-defined]
    # Plain columns, not ORM objects: five times faster on 5,000 practices.
    query = select(p.id, p.status, p.language.label("practice_language"), p.corrected_title, p.updated_at,
                   p.corrected_keywords, p.published_slug, v.title, v.keywords, v.target_group,
                   v.goal, v.summary, v.implementation, v.resources, v.experiences, v.benefits,
                   v.contact_name, v.contact_email, v.contact_phone, v.contact_text, v.publish_consent,
                   v.language, v.created_at.label("version_created")).join(PracticeVersion.__table__,  # type: ignore[attr-defined]
                                     and_(v.practice_id == p.id, v.version == p.current_version))
    statuses = None
    if published_only:
        statuses = ["approved"]
        query = query.where(p.status == "approved", p.duplicate_of_id.is_(None))
    query = query.order_by(p.id)
    municipalities, region_of, regions = load_places(session=session)
    codes_of = practice_municipalities(session=session, statuses=statuses)
    if published_only:
        for original, copies in duplicates_by_original(session=session).items():
            if original in codes_of:  # a practice joins its original's card: one card, all places
                merged = set(codes_of[original])
                for copy in copies:
                    merged.update(codes_of.get(copy) or practice_municipalities(
                        session=session, ids=[copy]).get(copy, []))
                codes_of[original] = sorted(merged)
    labels = {lang: card_labels(survey, lang) for lang in SITE_LANGS}
    targets: dict[tuple[str, str], str] = {}  # a few target groups over thousands of cards
    withdrawn = withdrawn_consents(session)
    cards = []
    for row in session.execute(query):
        withdrawal = withdrawn.get(row.id)
        card = build_card(_WithoutConsent(row) if withdrawal else row, codes_of.get(row.id, []),
                          survey=survey, municipalities=municipalities, region_of=region_of,
                          regions=regions, labels=labels, targets=targets)
        cards.append(replace(card, consent_withdrawn=withdrawal) if withdrawal else card)
    return cards


class _WithoutConsent:
    """A card's row as if its contact had not agreed to be published (they withdrew)."""

    publish_consent = False

    def __init__(self, row: Any):
        self._row = row

    def __getattr__(self, name: str) -> Any:
        return getattr(self._row, name)


def withdrawn_consents(session: Session) -> dict[int, str]:
    """Return the practices whose contact consented and, in a message read after that answer,
    withdrew the consent ("En halua nimeäni julkaistavan"): practice id -> "day, file"."""
    from sqlalchemy import select

    from .db.models import Practice, PracticeVersion
    from .privacy import canonical_address, consent_withdrawals

    withdrawals = consent_withdrawals(session)
    if not withdrawals:
        return {}
    p = Practice.__table__.c  # type: ignore[attr-defined]
    v = PracticeVersion.__table__.c  # type: ignore[attr-defined]
    found = {}
    for practice_id, email, created in session.execute(select(
            p.id, v.contact_email, v.created_at).join(
            PracticeVersion.__table__,  # type: ignore[attr-defined]
            (v.practice_id == p.id) & (v.version == p.current_version)).where(
            v.publish_consent.is_(True), v.contact_email.is_not(None))):
        withdrawal = withdrawals.get(canonical_address(email))
        # A newer answer (a questionnaire sent again, consenting) stands over an older message.
        if withdrawal and _utc(withdrawal.received_at) >= _utc(created):
            found[int(practice_id)] = f"{_utc(withdrawal.received_at):%Y-%m-%d}, {withdrawal.name}"
    return found


def _utc(value: Any) -> dt.datetime:
    """A stored time as a naive UTC time (SQLite gives naive, PostgreSQL aware times)."""
    if value is None:
        return dt.datetime.min
    return value.astimezone(dt.UTC).replace(tzinfo=None) if value.tzinfo else value


def hides_contact(row: Any) -> bool:
    """Whether a card hides its contact: one is given (name, address, phone or contact text)
    and has not agreed to be published (no, or no answer)."""
    return not row.publish_consent and any((part or "").strip() for part in (
        row.contact_name, row.contact_email, row.contact_phone, row.contact_text))


def build_card(row: Any, codes: list[str], *, survey: Survey,
               municipalities: dict[str, Place], region_of: dict[str, str],
               regions: dict[str, Place], labels: dict[str, dict[str, str]],
               targets: dict[tuple[str, str], str] | None = None) -> Card:
    """Build one card from a row of practice and current-version columns and its codes
    (``targets`` keeps the target groups' labels from one card to the next)."""
    language = row.language or row.practice_language or "fi"
    lang = site_lang(language)
    title = (row.corrected_title or "").strip() or (row.title or "").strip()
    keywords = row.corrected_keywords if row.corrected_keywords else row.keywords
    places = tuple(municipalities[c] for c in codes if c in municipalities)
    region_codes = sorted({region_of[c] for c in codes if c in region_of})
    contact = None
    contact_in_title, new_slug = "", ""
    parts = [row.contact_name, row.contact_email, row.contact_phone, row.contact_text]
    sections = {name: (getattr(row, name) or "").strip() for name in SECTIONS}
    if row.publish_consent:
        if any((part or "").strip() for part in parts):
            contact = CardContact(*((part or "").strip() for part in parts))
    elif hides_contact(row):
        # No consent (or none known): the contact's details are not published, not even where
        # the answers quote them ("Lisätietoja antaa …, puh. …").
        from .privacy import contact_hider

        hide = contact_hider(row.contact_name, row.contact_email, row.contact_phone,
                             row.contact_text, label=HIDDEN_CONTACT[lang])
        sections = {name: hide(text) if text else text for name, text in sections.items()}
        # A title naming the contact ("Kalle Koulun taidetestaajat") hides them too; a new page's
        # address is made without the name. One published before keeps its address (links to
        # it would break): the publish says so, for the reviewers to correct the title.
        if hide(title) != title:
            pinned = getattr(row, "published_slug", None)
            contact_in_title = ("address" if pinned and (pinned == slug(title) or hide(
                pinned.replace("-", " ")) != pinned.replace("-", " ")) else "title")
            new_slug = slug(contact_hider(row.contact_name, row.contact_email, row.contact_phone,
                                          row.contact_text, label="")(title))
            title = hide(title)
    # (A Swedish text with a bracket may hold forget's Finnish placeholder.)
    if any("@invalid" in text or (lang == "sv" and "[" in text)
           for text in (title, *sections.values(), *((part or "") for part in parts))):
        sections = {name: _without_erased(text, lang) for name, text in sections.items()}
        title = _without_erased(title, lang)
        if contact is not None:
            contact = replace(contact, **{part: _without_erased(getattr(contact, part), lang)
                                          for part in ("name", "email", "phone", "text")})
    slug_now = getattr(row, "published_slug", None) or new_slug or slug(title)
    return Card(
        id=int(row.id), status=row.status, language=language, lang=lang,
        title=title, path=f"{row.id}-{slug_now}", contact_in_title=contact_in_title,
        keywords=tuple(k.strip() for k in keywords or () if k and k.strip()),
        target_group=tuple((value, _target_label(value, survey, lang, targets))
                           for value in row.target_group or () if value),
        sections=sections,
        municipalities=places,
        regions=tuple(regions[c] for c in region_codes if c in regions),
        contact=contact,
        labels=labels[lang],
        modified=_day(getattr(row, "updated_at", None)),
    )


def _without_erased(text: str, lang: str) -> str:
    """A card text without the placeholder of an erased address: someone else's text that
    quoted the person's address says, on the site and in the open data, that a contact
    detail is not published, not "erased-1a2b3c4d@invalid". A Swedish card says
    "[borttaget]" where an erased name stood, not the database's Finnish "[poistettu]"."""
    from .privacy import ERASED, ERASED_ADDRESS, ERASED_SV

    if not text:
        return text
    if lang == "sv":
        text = text.replace(ERASED, ERASED_SV)
    return ERASED_ADDRESS.sub(HIDDEN_CONTACT[lang], text)


def _target_label(value: str, survey: Survey, lang: str,
                  known: dict[tuple[str, str], str] | None) -> str:
    if known is None:
        return target_group_label(value, survey, lang)
    label = known.get((value, lang))
    if label is None:
        label = known[(value, lang)] = target_group_label(value, survey, lang)
    return label


def _day(value: Any) -> str:
    """Return a timestamp's day as YYYY-MM-DD (SQLite may hand back text)."""
    if value is None:
        return ""
    return value.date().isoformat() if hasattr(value, "date") else str(value)[:10]
