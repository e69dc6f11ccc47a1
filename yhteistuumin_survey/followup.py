"""``yhteistuumin status --by municipality``: one follow-up row per municipality, whom to chase.

Each row says who the municipality is (code, name, region, the language of its mail), where
to reach it (valid addresses and their phone numbers, bounced addresses), what was sent
(invitation date, reminders and the last one), whether and how it answered (response token,
workbook, web form, email) and when, its practices, and the next action in words in the
round's language (fi or sv): remind, find a new address, phone, invite, nothing. "Answered"
agrees with :func:`status.round_status`: an answer from a municipality that was never
invited is marked as such on its row.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .cards import practice_municipalities
from .reminders import (
    NOT_INVITED,
    USED_UP,
    ReminderDue,
    invited_addresses,
    reminder_due,
    replies_to_read,
)
from .status import joint_answers, read_round, written_lines

if TYPE_CHECKING:
    from sqlmodel import Session

#: The keys of a row, in column order.
FOLLOW_UP_COLUMNS = ["code", "name", "region", "language", "contacts", "invited", "bounced",
                     "reminders", "last_reminder", "answered", "answered_at", "practices",
                     "approved", "next_action"]

HEADINGS = {
    "fi": {"code": "Koodi", "name": "Kunta", "region": "Maakunta", "language": "Kieli",
           "contacts": "Yhteystiedot", "invited": "Kutsuttu", "bounced": "Palautunut",
           "reminders": "Muistutuksia", "last_reminder": "Viimeksi muistutettu",
           "answered": "Vastannut", "answered_at": "Vastattu", "practices": "Käytännöt",
           "approved": "Hyväksytty", "next_action": "Seuraava toimi"},
    "sv": {"code": "Kod", "name": "Kommun", "region": "Landskap", "language": "Språk",
           "contacts": "Kontaktuppgifter", "invited": "Inbjuden", "bounced": "Studsat",
           "reminders": "Påminnelser", "last_reminder": "Senast påmind",
           "answered": "Svarat", "answered_at": "Svarat den", "practices": "Exempel",
           "approved": "Godkända", "next_action": "Nästa åtgärd"},
}

#: The next action, by key (kept in English in JSON), in words.
ACTIONS = {
    "fi": {"nothing": "ei toimenpiteitä", "remind": "muistuta", "phone": "soita",
           "find-new-address": "etsi uusi osoite", "find-address": "etsi osoite",
           "invite": "lähetä kutsu", "check-invite": "tarkista, menikö kutsu perille",
           "check-contact": "tarkista yhteystieto: {notes}",
           "wait": "muistuta {date} alkaen",
           "check-answer": "tarkista, onko kunta vastannut: se mainitaan muiden kanssa "
                           "käytännössä, josta ei näy, kuka vastasi ({joint})",
           "read-reply": "lue kunnan viesti ({replied}): jos se on vastaus tai kieltäytyminen, "
                         "kirjaa se (register answered {code}); muuten kirjaa viesti "
                         "luetuksi (register read {code}) tai muistuta kuntaa heti "
                         "erikseen (send remind --only {code})"},
    "sv": {"nothing": "ingen åtgärd", "remind": "påminn", "phone": "ring",
           "find-new-address": "sök en ny adress", "find-address": "sök en adress",
           "invite": "skicka inbjudan",
           "check-invite": "kontrollera om inbjudan kom fram",
           "check-contact": "kontrollera kontaktuppgiften: {notes}",
           "wait": "påminn från och med {date}",
           "check-answer": "kontrollera om kommunen har svarat: den nämns med andra i ett "
                           "exempel som inte visar vem som svarade ({joint})",
           "read-reply": "läs kommunens meddelande ({replied}): om det är ett svar eller "
                         "ett nej, anteckna det (register answered {code}); annars anteckna "
                         "meddelandet som läst (register read {code}) eller påminn kommunen "
                         "separat genast (send remind --only {code})"},
}

#: A retired address (``register retire``) beside those in use: kept, never mailed.
RETIRED_TEXT = {"fi": "poistettu käytöstä", "sv": "tagen ur bruk"}

#: What the mailbox said about a contact that a person has to look at (``bounces``' check-*
#: records), by key, in words.
CHECKS = {
    "fi": {"left": "{address}: automaattisen vastauksen mukaan henkilö on lopettanut",
           "moved": "{address}: automaattisen vastauksen mukaan osoite on vaihtunut",
           "refused": "{address}: vastaanottava palvelin torjui viestimme (osoite voi toimia)",
           "challenge": "{address}: roskapostisuodatin odottaa lähettäjän vahvistusta",
           "elsewhere": "{address}: vastauksessa pyydetään kirjoittamaan jatkossa toiseen "
                        "osoitteeseen",
           "soft": "{address}: viestimme on palautunut tilapäisesti {count} kertaa {since} "
                   "alkaen (esim. postilaatikko täynnä), eivätkä viestit mene perille"},
    "sv": {"left": "{address}: enligt ett automatiskt svar har personen slutat",
           "moved": "{address}: enligt ett automatiskt svar har adressen ändrats",
           "refused": "{address}: den mottagande servern avvisade vårt meddelande (adressen "
                      "kan fungera)",
           "challenge": "{address}: ett skräppostfilter väntar på att avsändaren bekräftas",
           "elsewhere": "{address}: i svaret ber man oss skriva till en annan adress i "
                        "fortsättningen",
           "soft": "{address}: vårt meddelande har kommit tillbaka tillfälligt {count} gånger "
                   "sedan {since} (t.ex. full brevlåda) och meddelandena kommer inte fram"},
}

#: A contact added after the invitations (a new person, a new address) beside one invited:
#: the reminder goes to the invited address, the new one is sent the invitation first.
NOT_INVITED_TEXT = {"fi": "; lähetä kutsu myös uuteen osoitteeseen {} (send invite)",
                    "sv": "; skicka inbjudan också till den nya adressen {} (send invite)"}

#: The addresses an auto-reply gives (a new contact?): shown, never mailed without the
#: coordinator.
NAMED = {"fi": " (viestissä mainitaan osoite {})", "sv": " (meddelandet nämner adressen {})"}

#: How an answer came, by key, in words.
CHANNELS = {
    "fi": {"token": "vastaustunniste", "workbook": "Excel-lomake", "web form": "verkkolomake",
           "email": "sähköposti", "table": "taulukko",
           "recorded": "kirjattu käsin (register answered)"},
    "sv": {"token": "svarskod", "workbook": "Excel-formulär", "web form": "webbformulär",
           "email": "e-post", "table": "tabell",
           "recorded": "antecknat för hand (register answered)"},
}
UNINVITED = {"fi": "vastasi kutsumatta", "sv": "svarade utan inbjudan"}
YES = {"fi": "kyllä", "sv": "ja"}

#: Submission formats by the channel they came through.
_CHANNEL_OF_FORMAT = {"questionnaire": "workbook", "msforms": "web form",
                      "googleforms": "web form", "webropol": "web form",
                      "surveymonkey": "web form",
                      "limesurvey": "web form", "table": "table", "eml": "email",
                      "msg": "email", "email": "email", "body": "email", "body-text": "email"}


def _day(value: dt.datetime | None) -> str | None:
    """The day of a moment in Finland's time (the round's, as the status page's): a message
    sent at 01:30 Helsinki time is of that day, not of the day before as in UTC, and a
    reminder due then is due that day."""
    if value is None:
        return None
    from .finnish_time import HELSINKI

    return _aware(value).astimezone(HELSINKI).date().isoformat()


def _date_text(iso: str | None) -> str:
    if not iso:
        return ""
    day = dt.date.fromisoformat(iso)
    return f"{day.day}.{day.month}.{day.year}"


@dataclass
class FollowUp:
    """The follow-up list: one row per municipality in force (or only those still to chase)."""

    round_name: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    lang: str = "fi"
    only_open: bool = False
    #: The status page and the chart written with the list, if any.
    page: Path | None = None
    chart: Path | None = None
    #: The file the list was written to instead of the screen (``status --out``), if any.
    written_to: Path | None = None

    def warnings(self) -> list[str]:
        return written_lines(self)

    @property
    def failed(self) -> bool:
        return False

    @property
    def open_rows(self) -> int:
        """The rows with something to do now (not those waiting for their next reminder)."""
        return sum(1 for row in self.rows if row["next_action"] not in ("nothing", "wait"))

    def summary(self) -> list[str]:
        """Return how many rows and how many still to chase, in the round's language."""
        n, todo = len(self.rows), self.open_rows
        waiting = sum(1 for row in self.rows if row["next_action"] == "wait")
        if self.lang == "sv":
            wait = f", {waiting} väntar på nästa påminnelse" if waiting else ""
            return [f"{n} {'kommun' if n == 1 else 'kommuner'}, "
                    f"{todo} med en åtgärd att vidta{wait}."]
        # A number as the subject takes the verb in the singular, whatever the number:
        # "306 vaatii toimia, 2 odottaa", as "306 kuntaa vaatii" (never "306 vaativat").
        wait = f", {waiting} odottaa seuraavaa muistutusta" if waiting else ""
        return [f"{n} {'kunta' if n == 1 else 'kuntaa'}, {todo} vaatii toimia{wait}."]

    def action_text(self, row: dict[str, Any]) -> str:
        """Return a row's next action in words (a reminder's wait with its first day)."""
        checks = CHECKS[self.lang]
        notes = "; ".join(checks[c["reason"]].format(**{**c, "since": _date_text(c.get("since"))})
                          + (NAMED[self.lang].format(", ".join(c["named"]))
                             if c.get("named") else "")
                          for c in row.get("check", []) if c["reason"] in checks)
        joint = "; ".join(f"#{j['practice']}: {', '.join(j['with_names'])}"
                          for j in row.get("joint", []))
        text = ACTIONS[self.lang][row["next_action"]].format(
            date=_date_text(row.get("remind_from")), notes=notes, joint=joint,
            replied=_date_text(row.get("replied")), code=row["code"])
        if row.get("not_invited") and row["next_action"] in ("remind", "wait", "phone"):
            text += NOT_INVITED_TEXT[self.lang].format(", ".join(row["not_invited"]))
        return text

    def headings(self) -> list[str]:
        return [HEADINGS[self.lang][key] for key in FOLLOW_UP_COLUMNS]

    def shown_rows(self) -> list[dict[str, Any]]:
        """Return the rows in words and Finnish dates, as a table, CSV or workbook shows them."""
        lang = self.lang
        shown = []
        for row in self.rows:
            answered = ", ".join(CHANNELS[lang][c] for c in row["answered_how"])
            if row["answered"] and not answered:
                answered = YES[lang]
            if row["answered_uninvited"]:
                answered = f"{answered} ({UNINVITED[lang]})"
            action = self.action_text(row)
            if row["answered_uninvited"]:
                action = f"{action} ({UNINVITED[lang]})"
            kept = [f"{a} ({RETIRED_TEXT[lang]})" for a in row.get("retired", [])]
            shown.append({**row, "contacts": ", ".join([*row["contacts"], *row["phones"], *kept]),
                          "invited": _date_text(row["invited"]),
                          "bounced": ", ".join(row["bounced"]),
                          "last_reminder": _date_text(row["last_reminder"]),
                          "answered": answered, "answered_at": _date_text(row["answered_at"]),
                          "next_action": action})
        return shown

    def table(self) -> tuple[list[str], list[dict[str, Any]]]:
        return list(FOLLOW_UP_COLUMNS), self.shown_rows()

    def to_dict(self) -> dict[str, Any]:
        rows = [{**row, "next_action_text": self.action_text(row)} for row in self.rows]
        return {"round": self.round_name, "language": self.lang, "rows": rows}

    def render(self, fmt: str) -> str:
        """Return the list as ``table``, ``csv`` (``;``, for a Finnish Excel) or ``json``."""
        from .reports import render, render_table, to_json

        if fmt == "json":
            return to_json(self.to_dict())
        if fmt == "csv":
            text = render(self.shown_rows(), FOLLOW_UP_COLUMNS, "csv")
            return _semicolons(text, self.headings())
        return render_table(self.shown_rows(), FOLLOW_UP_COLUMNS, self.headings())

    def write(self, path: Path, fmt: str) -> Path:
        """Write the list to ``path``: ``xlsx`` for Excel, or as :meth:`render` gives it."""
        if fmt == "xlsx":
            from .workbooks import write_table_xlsx

            title = "Seuranta" if self.lang != "sv" else "Uppföljning"
            return write_table_xlsx(path, self.shown_rows(), FOLLOW_UP_COLUMNS, self.headings(),
                                    title=title)
        path.parent.mkdir(parents=True, exist_ok=True)
        encoding = "utf-8-sig" if fmt == "csv" else "utf-8"  # the BOM tells Excel it is UTF-8
        path.write_text(self.render(fmt), encoding=encoding, newline="")
        return path


def _semicolons(text: str, headings: list[str]) -> str:
    """Re-write comma-separated text with ``;`` and the headings in words."""
    import csv
    import io

    rows = list(csv.reader(io.StringIO(text)))
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(headings)
    writer.writerows(rows[1:])
    return out.getvalue()


def _next_action(*, answered: bool, invited: bool, valid: bool, bounced: bool,
                 due: ReminderDue, reached: bool, uncertain: bool = False,
                 check: bool = False) -> str:
    """The next action of a municipality; whether a reminder is due is ``send remind``'s rule
    (``reminders.reminder_due``), so the list and the send never disagree."""
    if answered:
        return "nothing"
    if not valid:
        return "find-new-address" if bounced else "find-address"
    if check:  # the mailbox said something of a contact that a person has to look at
        return "check-contact"
    if not invited:
        # An invitation whose fate is unknown (the server may have taken it): "invite" would
        # lead to --resend-uncertain and perhaps a second copy; the coordinator asks first.
        return "check-invite" if uncertain else "invite"
    if due.key == NOT_INVITED or (due.key != USED_UP and not reached):
        # invited at an address no longer in use; the one in use now never had the
        # invitation: send remind skips it until send invite has sent it
        return "invite"
    if due.key == USED_UP:
        return "phone"
    return "remind" if due.due else "wait"


def follow_up(*, session: Session, round_name: str | None = None, lang: str = "fi",
              max_reminders: int = 2, min_days: int = 7, only_open: bool = False,
              now: dt.datetime | None = None, soft_limit: int = 3,
              soft_days: int = 14) -> FollowUp:
    """Return one follow-up row per municipality in force (``only_open``: those to chase).

    ``max_reminders`` reminders without an answer make the next action a phone call. A
    reminder is due ``min_days`` after the last message (``send remind``'s rule): before,
    the action is to wait, with the first day (``remind_from``). Soft bounces that do not
    stop (``soft_limit`` of them, or read ``soft_days`` days apart) make the next action a
    check of the contact, as the mailbox's other notes do.
    """
    from sqlmodel import select

    from .db.models import Contact, Municipality, OutboundMessage, Practice, Region
    from .messages import message_language

    now = _aware(now or dt.datetime.now(dt.UTC))
    facts = read_round(session, round_name)
    sets = facts.sets
    regions = {r.code: (r.name_sv if lang == "sv" and r.name_sv else r.name_fi)
               for r in session.exec(select(Region))}
    valid: dict[str, list[str]] = defaultdict(list)
    phones: dict[str, list[str]] = defaultdict(list)  # whom to phone when reminders are used up
    bounced: dict[str, list[str]] = defaultdict(list)
    retired: dict[str, list[str]] = defaultdict(list)  # kept for the record, never mailed
    for code, email, phone, status in session.exec(
            select(Contact.municipality_code, Contact.email, Contact.phone, Contact.status)
            .order_by(Contact.municipality_code, Contact.email)):  # type: ignore[arg-type]
        if status == "valid":
            valid[code].append(email)
            if phone and phone not in phones[code]:
                phones[code].append(phone)
        elif status == "bounced":
            bounced[code].append(email)
        elif status == "retired":
            retired[code].append(email)
    checks = contact_notes(session, soft_limit=soft_limit, soft_days=soft_days)
    joint = joint_answers(session=session, round_name=round_name)
    replied = replies_to_read(session, round_name, only=[])
    names = {m.code: (m.name_sv or m.name_fi) if lang == "sv" else m.name_fi
             for m in session.exec(select(Municipality))} if joint else {}
    outbox, invited_at, reminders, last_reminder = _sent(session, round_name)
    unsure = select(OutboundMessage.municipality_code).where(  # type: ignore[call-overload]
        OutboundMessage.kind == "invite", OutboundMessage.state == "uncertain")
    if round_name:
        unsure = unsure.where(OutboundMessage.round_name == round_name)
    uncertain = set(session.exec(unsure))
    answered = sets["answered"] | sets["answered_uninvited"]
    channels, answered_at = _answers(session, round_name, answered)
    practices: dict[str, int] = defaultdict(int)
    approved: dict[str, int] = defaultdict(int)
    statuses = dict(session.exec(select(Practice.id, Practice.status)).all())
    for practice_id, codes in practice_municipalities(session=session).items():
        for code in codes:
            practices[code] += 1
            if statuses.get(practice_id) == "approved":
                approved[code] += 1
    rows = []
    for m in session.exec(select(Municipality).where(Municipality.active == True)  # noqa: E712
                          .order_by(Municipality.code)):  # type: ignore[arg-type]
        code = m.code
        due = reminder_due(outbox[code], answered=code in answered, addresses=valid[code],
                           now=now, max_reminders=max_reminders, min_days=min_days)
        reached = invited_addresses(outbox[code])
        action = _next_action(answered=code in answered, invited=code in sets["invited"],
                              valid=bool(valid[code]), bounced=bool(bounced[code]), due=due,
                              reached=any(a.strip().casefold() in reached for a in valid[code]),
                              uncertain=code in uncertain, check=bool(checks[code]))
        if code in joint and action in ("remind", "wait", "phone"):
            action = "check-answer"  # send remind waits for the coordinator too
        elif code in replied and action in ("remind", "wait", "phone"):
            action = "read-reply"  # so does it for a message to read
        remind_from = _day(due.due_from) if action == "wait" else None
        row = {
            "code": code,
            "name": (m.name_sv or m.name_fi) if lang == "sv" else m.name_fi,
            "region": regions.get(m.region_code, m.region_code),
            "language": message_language(m.language, aland=m.region_code == "21"),
            "contacts": valid[code], "phones": phones[code], "retired": retired[code],
            "invited": _day(invited_at.get(code)),
            "bounced": bounced[code], "reminders": len(reminders[code]),
            "last_reminder": _day(last_reminder.get(code)),
            "answered": code in answered, "answered_uninvited": code in sets["answered_uninvited"],
            "answered_how": sorted(channels[code]), "answered_at": _day(answered_at.get(code)),
            "practices": practices[code], "approved": approved[code], "next_action": action,
            "remind_from": remind_from, "check": checks[code],
            "replied": _day(replied[code]) if action == "read-reply" else None,
            # valid addresses never handed an invitation, beside one that was
            "not_invited": [a for a in valid[code] if a.strip().casefold() not in reached]
            if reached else [],
            "joint": [{"practice": practice_id, "with": others,
                       "with_names": [names.get(c, c) for c in others]}
                      for practice_id, others in joint.get(code, [])],
        }
        if not only_open or action != "nothing":
            rows.append(row)
    return FollowUp(round_name=round_name or "", rows=rows, lang=lang, only_open=only_open)


def _sent(session: Session, round_name: str | None) -> tuple[
        dict[str, list[Any]], dict[str, dt.datetime], dict[str, set[int]], dict[str, dt.datetime]]:
    """The outbox by municipality (every state, for the reminder rule), and of what was sent:
    the first invitation, the reminders' numbers and the last reminder."""
    from sqlmodel import select

    from .db.models import OutboundMessage

    invited_at: dict[str, dt.datetime] = {}
    reminders: dict[str, set[int]] = defaultdict(set)
    last_reminder: dict[str, dt.datetime] = {}
    outbox: dict[str, list[Any]] = defaultdict(list)
    messages = select(OutboundMessage)
    if round_name:
        messages = messages.where(OutboundMessage.round_name == round_name)
    for message in session.exec(messages):
        outbox[message.municipality_code].append(message)
        if message.state != "sent":
            continue
        code, kind, sequence = message.municipality_code, message.kind, message.sequence
        when = _aware(message.sent_at or message.updated_at)
        if kind == "invite":
            invited_at[code] = min(invited_at.get(code, when), when)
        elif kind == "remind":
            reminders[code].add(sequence)
            last_reminder[code] = max(last_reminder.get(code, when), when)
    return outbox, invited_at, reminders, last_reminder


def contact_notes(session: Session, *, soft_limit: int = 3, soft_days: int = 14
            ) -> dict[str, list[dict[str, Any]]]:
    """What the mailbox said of each municipality's contacts for a person to look at
    (``bounces``: the person has left, a server refuses our mail, a challenge-response
    filter; soft bounces that do not stop: ``soft_limit`` of them, or two or more read
    ``soft_days`` days apart): only of contacts still in use and not changed since, nor
    marked checked since (``register checked``)."""
    from sqlalchemy import func
    from sqlmodel import col, select

    from .bounces import CHECK_PREFIX, NAMES_IN_DETAIL, SOFT_STORED
    from .contact_checks import CHECKED
    from .db.models import Bounce, Contact, CoordinatorRecord

    found: dict[str, list[dict[str, Any]]] = defaultdict(list)
    said = session.exec(select(Bounce.address, Bounce.classification, Bounce.processed_at,
                               Bounce.detail)
                        .where(col(Bounce.classification).startswith(CHECK_PREFIX)
                               | (col(Bounce.classification) == SOFT_STORED),
                               col(Bounce.address).is_not(None))
                        .order_by(col(Bounce.processed_at))).all()
    checked: dict[str, dt.datetime] = {}  # address (folded) -> last marked checked
    for address, when in session.exec(select(
            CoordinatorRecord.address, CoordinatorRecord.recorded_at).where(
            col(CoordinatorRecord.kind) == CHECKED, col(CoordinatorRecord.undone_at).is_(None),
            col(CoordinatorRecord.address).is_not(None))):
        folded = str(address).casefold()
        checked[folded] = max(checked.get(folded, _aware(when)), _aware(when))
    soft: dict[str, list[dt.datetime]] = defaultdict(list)
    contacts: dict[str, list[Any]] = {}

    def of(address: str) -> list[Any]:
        folded = address.casefold()
        if folded not in contacts:
            contacts[folded] = list(session.exec(select(Contact).where(
                func.lower(Contact.email) == address.lower(), Contact.status == "valid")))
        return contacts[folded]

    def add(contact: Any, note: dict[str, Any]) -> None:
        if note not in found[contact.municipality_code]:
            found[contact.municipality_code].append(note)

    for address, classification, when, detail in said:
        when = _aware(when)
        if when <= checked.get(str(address).casefold(), when - dt.timedelta(seconds=1)):
            continue  # the coordinator marked it checked since
        if classification == SOFT_STORED:
            soft[str(address)].append(when)
            continue
        reason = classification[len(CHECK_PREFIX):]
        named = NAMES_IN_DETAIL.search(detail or "")
        for contact in of(str(address)):
            if _aware(contact.updated_at) <= when:
                note: dict[str, Any] = {"address": contact.email, "reason": reason}
                if named:  # the new contact the auto-reply gives, for the coordinator
                    note["named"] = named.group(1).split(", ")
                add(contact, note)
    for address, times in soft.items():
        for contact in of(address):
            since = [t for t in times if _aware(contact.updated_at) <= t]
            if len(since) >= soft_limit or (
                    len(since) >= 2 and since[-1] - since[0] >= dt.timedelta(days=soft_days)):
                add(contact, {"address": contact.email, "reason": "soft",
                              "count": len(since), "since": _day(since[0])})
    return found


def _aware(value: dt.datetime) -> dt.datetime:
    # SQLite gives naive datetimes back; they were written in UTC
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def _answers(session: Session, round_name: str | None, answered: set[str]
             ) -> tuple[dict[str, set[str]], dict[str, dt.datetime]]:
    """Return how (channels) and when (first time) each answering municipality answered."""
    from sqlmodel import col, select

    from .db.models import (
        PracticeMunicipality,
        PracticeVersion,
        ReceivedFile,
        Submission,
        SurveyToken,
    )

    channels: dict[str, set[str]] = defaultdict(set)
    first: dict[str, dt.datetime] = {}

    def note(code: str, channel: str, when: dt.datetime | None) -> None:
        if code not in answered:
            return
        channels[code].add(channel)
        if when is not None:
            when = _aware(when)
            first[code] = min(first.get(code, when), when)

    tokens = (select(SurveyToken.municipality_code, Submission.format, ReceivedFile.message_time,
                     ReceivedFile.received_at)
              .join(Submission, col(Submission.response_key) == col(SurveyToken.token))
              .join(ReceivedFile, col(ReceivedFile.id) == col(Submission.received_file_id))
              .where(col(Submission.status) != "empty"))
    if round_name:
        tokens = tokens.where(col(SurveyToken.round_name) == round_name)
    for code, fmt, message_time, received_at in session.exec(tokens):
        note(code, _CHANNEL_OF_FORMAT.get(fmt or "", "token"), message_time or received_at)
    practices = (select(PracticeMunicipality.municipality_code, Submission.format,
                        ReceivedFile.message_time, ReceivedFile.received_at)
                 .join(PracticeVersion,
                       col(PracticeVersion.practice_id) == col(PracticeMunicipality.practice_id))
                 .join(Submission, col(Submission.id) == col(PracticeVersion.submission_id))
                 .join(ReceivedFile, col(ReceivedFile.id) == col(Submission.received_file_id))
                 .where(col(PracticeMunicipality.superseded) == False))  # noqa: E712
    for code, fmt, message_time, received_at in session.exec(practices):
        note(code, _CHANNEL_OF_FORMAT.get(fmt or "", "table"), message_time or received_at)
    from .db.models import CoordinatorRecord
    from .outside_answers import ANSWERED

    records = select(CoordinatorRecord.municipality_code, CoordinatorRecord.recorded_at).where(
        col(CoordinatorRecord.kind) == ANSWERED, col(CoordinatorRecord.undone_at).is_(None))
    if round_name:
        records = records.where(col(CoordinatorRecord.round_name) == round_name)
    for code, when in session.exec(records):
        note(code, "recorded", when)
    return channels, first
