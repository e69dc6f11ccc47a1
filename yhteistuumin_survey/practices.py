"""``yhteistuumin practices list`` and ``practices show``: the practices in the database.

``list`` filters by status, municipality and region; a municipality or region may be given by
name (Finnish or Swedish, inflected forms too) or code, resolved through the register's
resolver. ``show`` gives one practice whole: the card as it stands, its flags in words, where
it came from (file, sheet, row), every version and the reviewers' decisions.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import InputError
from .practice_list import PracticeList

if TYPE_CHECKING:
    from sqlmodel import Session

    from .survey import Survey

STATUSES = ("new", "needs-info", "approved", "rejected", "duplicate")

#: The card's fields and their Finnish labels, in card order.
CARD_LABELS = {
    "title": "Käytännön nimi", "keywords": "Avainsanat", "target_group": "Kenelle",
    "goal": "Tavoite", "summary": "Hyvä käytäntö pähkinänkuoressa",
    "implementation": "Toteuttaminen", "resources": "Resurssit", "experiences": "Kokemuksia",
    "benefits": "Hyödyt", "contact": "Yhteystiedot", "municipalities": "Kunnat",
}


class PracticeNotFound(InputError):
    """No practice has the ID asked for."""


# --- filters by name ---------------------------------------------------------------------


def municipality_codes(text: str, *, session: Session) -> list[str]:
    """Return the codes ``text`` names (a code, or a name in any form); raise if unsure (a
    near spelling is: "Kuopo" is not taken for Kuopio)."""
    from .resolve import Resolver

    resolver = Resolver.from_session(session)
    text = text.strip()
    found = resolver.resolve(text.zfill(3) if text.isdigit() and len(text) <= 3 else text)
    if found.status == "resolved" and not found.unmatched:
        if "fuzzy" not in found.method.split("+"):
            return found.codes
        # "Kuopo" read as Kuopio is a guess: a command acting on a municipality asks instead.
        names = " or ".join(f"{resolver.names.get(c, c)} ({c})" for c in found.codes)
        raise InputError(f"-m {text!r} is not a name in the register (did you mean {names}?); "
                         "write the name as the register writes it, or its code")
    if found.status == "ambiguous":
        names = ", ".join(f"{resolver.names.get(c, c)} ({c})"
                          for c in [*found.codes, *found.candidates])
        raise InputError(f"-m {text!r}: names more than one municipality ({names}); "
                         "give the name in full or the code")
    close = _close_names(text, resolver.names)
    hint = f"; did you mean {close}?" if close else "; see 'yhteistuumin register list'"
    raise InputError(f"-m {text!r}: no municipality by that name or code{hint}")


def one_municipality(text: str, *, session: Session) -> str:
    """Return the code of the one municipality ``text`` names (a command's argument); raise
    an ``InputError`` when it names none, several, or is unsure."""
    try:
        codes = municipality_codes(text, session=session)
    except InputError as exc:  # its words name the option of practices list
        raise InputError(str(exc).replace("-m ", "", 1)) from None
    if len(codes) != 1:
        raise InputError(f"{text!r} names {len(codes)} municipalities; give one name or code")
    return codes[0]


def region_code(text: str, *, session: Session) -> str:
    """Return the region code ``text`` names (code, Finnish or Swedish name); raise if unknown."""
    from sqlmodel import select

    from .db.models import Region
    from .resolve import fold

    names: dict[str, str] = {}
    shown: dict[str, str] = {}
    for region in session.exec(select(Region)):
        for name in (region.code, region.name_fi, region.name_sv):
            if name:
                names[fold(name)] = region.code
                shown[name] = name
    wanted = fold(text.strip())
    if wanted.isdigit():
        wanted = wanted.zfill(2)
    if wanted in names:
        return names[wanted]
    close = _close_names(text, {k: v for k, v in shown.items() if not k.isdigit()})
    hint = f"; did you mean {close}?" if close else "; use a region's name or code (01-21)"
    raise InputError(f"--region {text!r}: no region by that name{hint}")


def _close_names(text: str, names: dict[str, str]) -> str:
    import difflib

    from .resolve import fold

    folded = {fold(name): name for name in names.values()}
    matches = difflib.get_close_matches(fold(text), list(folded), n=3, cutoff=0.6)
    return ", ".join(folded[m] for m in matches)


def find_practices(*, session: Session, status: str | None = None,
                   municipality: str | None = None, region: str | None = None) -> PracticeList:
    """Return the practices of a status, municipality and region (names or codes)."""
    from .practice_list import read_practices

    if status and status not in STATUSES:
        raise InputError(f"unknown status {status!r}; use new, needs-info, approved, rejected "
                         "or duplicate")
    practices = read_practices(session, status=status)
    return PracticeList(filter_practices(practices, session=session, municipality=municipality,
                                         region=region))


def filter_practices(practices: list[dict[str, Any]], *, session: Session,
                     municipality: str | None = None,
                     region: str | None = None) -> list[dict[str, Any]]:
    """Keep the practices of a municipality and a region (names or codes, through the
    register's resolver)."""
    from sqlmodel import select

    from .db.models import Municipality

    if municipality:
        codes = set(municipality_codes(municipality, session=session))
        practices = [p for p in practices if codes & set(p["municipalities"])]
    if region:
        wanted = region_code(region, session=session)
        in_region = set(session.exec(select(Municipality.code)
                                     .where(Municipality.region_code == wanted)))
        practices = [p for p in practices if in_region & set(p["municipalities"])]
    return practices


# --- one practice whole --------------------------------------------------------------------


def _time(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.isoformat(timespec="seconds")


@dataclass
class PracticeDetail:
    """One practice whole: card, flags with reasons, source, versions, review history."""

    id: int
    status: str
    version: int
    card: dict[str, Any]
    municipalities: list[dict[str, Any]]
    flags: list[dict[str, str]]
    source: dict[str, Any]
    versions: list[dict[str, Any]]
    review: list[dict[str, Any]]
    corrections: dict[str, Any]
    #: The target groups as a coordinator reads them (labels), in the card's order.
    target_labels: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return False

    def summary(self) -> list[str]:
        """Return the practice as a coordinator reads it, field by field."""
        card = self.card
        lines = [f"#{self.id} {card['title']}",
                 f"status: {self.status}, version {self.version} of {len(self.versions)}"]
        if self.corrections.get("title"):
            lines.append(f"reviewer's title: {self.corrections['title']}")
        lines.append(f"{CARD_LABELS['municipalities']}: " + ", ".join(
            f"{m['name']} ({m['code']}, {m['source']})" for m in self.municipalities))
        if card["keywords"]:
            lines.append(f"{CARD_LABELS['keywords']}: {', '.join(card['keywords'])}")
        if self.corrections.get("keywords"):  # what the card shows instead
            lines.append(f"reviewer's keywords: {', '.join(self.corrections['keywords'])}")
        if card["target_group"]:
            shown = self.target_labels or card["target_group"]
            lines.append(f"{CARD_LABELS['target_group']}: {', '.join(shown)}")
        for key in ("goal", "summary", "implementation", "resources", "experiences",
                    "benefits"):
            if card[key]:
                lines.append(f"{CARD_LABELS[key]}: {card[key]}")
        contact = card["contact"]
        shown = [v for v in (contact["name"], contact["email"], contact["phone"]) if v]
        consent = {True: "may be published", False: "not to be published"}.get(
            contact["publish_consent"], "consent unknown: not to be published until it is asked")
        lines.append(f"{CARD_LABELS['contact']}: {', '.join(shown) or '-'} ({consent})")
        lines.append("flags: " + ("; ".join(f"{f['short']} ({f['reason']})"
                                             for f in self.flags) or "none"))
        src = self.source
        where = ", ".join(part for part in (
            src["file"], src["sheet"] and f"sheet {src['sheet']}",
            src["row"] and f"row {src['row']}") if part)
        lines.append(f"source: {where or '-'} ({src['format'] or 'unknown format'})")
        for version in self.versions:
            lines.append(f"version {version['version']} ({version['created_at']}): "
                         f"{version['title']} [{version['source']['file'] or '-'}]")
        for decision in self.review:
            by = f" by {decision['reviewer']}" if decision["reviewer"] else ""
            comment = f": {decision['comment']}" if decision["comment"] else ""
            lines.append(f"review {decision['decided_at']}: {decision['previous_status']} -> "
                         f"{decision['decision']} (version {decision['version']}){by}"
                         f"{_reread_words(decision)}{comment}")
        if not self.review:
            lines.append("review: no decisions yet")
        return lines

    def table(self) -> tuple[list[str], list[dict[str, Any]]]:
        return ["version", "created_at", "title"], [
            {k: v[k] for k in ("version", "created_at", "title")} for v in self.versions]

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "status": self.status, "version": self.version,
                "card": self.card, "municipalities": self.municipalities, "flags": self.flags,
                "source": self.source, "versions": self.versions, "review": self.review,
                "corrections": self.corrections}


def _reread_words(decision: dict[str, Any]) -> str:
    """A decision's answer to a new reading of its file, as its history line says it."""
    from .review.common import REREAD_WORDS

    answer = decision.get("reread")
    if answer not in REREAD_WORDS:
        return ""
    if answer == "restore":
        return (f", answer left empty put back {REREAD_WORDS[answer]['fi']!r} (as version "
                f"{decision['version']})")
    done = f"kept version {decision['version']}'s text" if answer == "keep" \
        else f"taken as version {decision['version']}"
    return f", new reading answered {REREAD_WORDS[answer]['fi']!r} ({done})"


def _target_labels(values: list[str], survey: Survey | None) -> list[str]:
    if survey is None:
        return list(values)
    from .cards import target_group_label

    return [target_group_label(value, survey, "fi") for value in values]


def _card(version: Any) -> dict[str, Any]:
    return {"title": version.title, "keywords": list(version.keywords or []),
            "target_group": list(version.target_group or []), "goal": version.goal,
            "summary": version.summary, "implementation": version.implementation,
            "resources": version.resources, "experiences": version.experiences,
            "benefits": version.benefits, "municipality_text": version.municipality_text,
            "language": version.language,
            "contact": {"name": version.contact_name, "email": version.contact_email,
                        "phone": version.contact_phone, "text": version.contact_text,
                        # three states: True, False, None (no answer: unknown, never a no)
                        "publish_consent": version.publish_consent}}


def _sources(session: Session, submission_ids: list[int]) -> dict[int, dict[str, Any]]:
    from sqlmodel import col, select

    from .db.models import ReceivedFile, Submission

    if not submission_ids:
        return {}
    rows = session.exec(select(Submission, ReceivedFile)
                        .join(ReceivedFile, col(ReceivedFile.id) == col(Submission.received_file_id))
                        .where(col(Submission.id).in_(submission_ids)))
    return {sub.id: {"file": received.original_name, "sheet": sub.sheet, "row": sub.row,
                     "locator": sub.locator, "format": sub.format,
                     "received_at": _time(received.received_at)}
            for sub, received in rows if sub.id is not None}


def show_practice(practice_id: int, *, session: Session,
                  survey: Survey | None = None) -> PracticeDetail:
    """Return one practice whole; raise :class:`PracticeNotFound` when there is none. With the
    ``survey``, target groups are shown by their Finnish labels, not their stored ids."""
    from sqlmodel import col, select

    from .db.models import (
        Municipality,
        Practice,
        PracticeMunicipality,
        PracticeVersion,
        ReviewDecision,
    )
    from .flags import parse as parse_flag

    practice = session.get(Practice, practice_id)
    if practice is None:
        raise PracticeNotFound(f"practice {practice_id}: no such practice; see "
                               "'yhteistuumin practices list'")
    versions = list(session.exec(select(PracticeVersion)
                                 .where(PracticeVersion.practice_id == practice_id)
                                 .order_by(col(PracticeVersion.version))))
    current = next((v for v in versions if v.version == practice.current_version), versions[-1])
    sources = _sources(session, [v.submission_id for v in versions if v.submission_id])
    empty_source = {"file": None, "sheet": None, "row": None, "locator": None, "format": None,
                    "received_at": None}
    names = {m.code: m.name_fi for m in session.exec(select(Municipality))}
    municipalities = [
        {"code": code, "name": names.get(code, code), "source": source}
        for code, source in session.exec(
            select(PracticeMunicipality.municipality_code, PracticeMunicipality.source)
            .where(PracticeMunicipality.practice_id == practice_id)
            .where(col(PracticeMunicipality.superseded) == False)  # noqa: E712
            .order_by(col(PracticeMunicipality.municipality_code)))]
    flags = [parse_flag(flag).to_dict() for flag in current.flags or []]
    review = [{"decided_at": _time(d.decided_at), "decision": d.decision,
               "previous_status": d.previous_status, "version": d.version,
               "reviewer": d.reviewer, "comment": d.comment,
               "duplicate_of": d.duplicate_of_id, "corrected_title": d.corrected_title,
               "corrected_keywords": d.corrected_keywords,
               "corrected_municipalities": d.corrected_municipalities,
               "source_file": d.source_file, "source_row": d.source_row,
               "reread": d.reread_answer}
              for d in session.exec(select(ReviewDecision)
                                    .where(ReviewDecision.practice_id == practice_id)
                                    .order_by(col(ReviewDecision.decided_at),
                                              col(ReviewDecision.id)))]
    return PracticeDetail(
        id=practice_id, status=practice.status, version=practice.current_version,
        card={**_card(current), "municipalities": [m["code"] for m in municipalities]},
        municipalities=municipalities, flags=flags,
        source=sources.get(current.submission_id or 0, empty_source),
        versions=[{"version": v.version, "created_at": _time(v.created_at), "title": v.title,
                   "flags": list(v.flags or []),
                   "source": sources.get(v.submission_id or 0, empty_source)}
                  for v in versions],
        review=review,
        target_labels=_target_labels(current.target_group or [], survey),
        corrections={"title": practice.corrected_title,
                     "keywords": practice.corrected_keywords or None,
                     "comment": practice.reviewer_comment,
                     "duplicate_of": practice.duplicate_of_id})
