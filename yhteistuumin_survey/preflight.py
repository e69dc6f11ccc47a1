"""The pre-flight check every real send runs first (also ``yhteistuumin send check``).

Refused, every reason listed at once: the sender or reply address still the shipped example or
on a reserved example domain, a ``form_url`` without ``{token}`` (every municipality would get
the same link), a deadline already past, SMTP settings missing, a template that does not
render for one of the municipalities of the batch. Warned: contacts on reserved example
domains (the demo and tests use them on purpose; a real list should not).

It reads only: no token, questionnaire or row is made (templates are rendered with a sample
token and without the attachment).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .finnish_time import finnish_day

if TYPE_CHECKING:
    from sqlmodel import Session

    from .config import Settings
    from .mailer import ContactNote, SendPlan
    from .workspace import Workspace

#: Domains reserved for examples and tests (RFC 2606, RFC 6761) and the example.* family.
_EXAMPLE_TLDS = ("example", "invalid", "test", "localhost")
_EXAMPLE_SECOND = ("example.fi", "example.com", "example.org", "example.net", "example.se")
SAMPLE_TOKEN = "ESIMERKKI"


def is_example_domain(address: str) -> bool:
    """Tell whether an address is on a domain reserved for examples (never delivered)."""
    domain = address.rpartition("@")[2].strip().strip(">").lower().rstrip(".")
    if not domain:
        return False
    if domain.rsplit(".", 1)[-1] in _EXAMPLE_TLDS:
        return True
    return any(domain == d or domain.endswith("." + d) for d in _EXAMPLE_SECOND)


@dataclass
class PreflightResult:
    """What the check found, and what the batch would be (for the confirmation)."""

    problems: list[str] = field(default_factory=list)
    #: What the check warns of (contacts on example domains): shown, never refused for.
    cautions: list[str] = field(default_factory=list)
    #: The follow-up list's open notes on the addresses the batch writes to (the person has
    #: left, a server refused our mail …): shown so they are read before the send, not after.
    notes: list[ContactNote] = field(default_factory=list)
    sender: str = ""
    reply_to: str = ""
    deadline: str = ""
    sample_link: str = ""
    messages: int = 0
    seconds: float = 0.0
    where: str = ""

    @property
    def failed(self) -> bool:
        return bool(self.problems)

    @property
    def duration(self) -> str:
        """The batch's time at the configured rate, in words."""
        seconds = round(self.seconds)
        if seconds < 90:
            return f"{seconds} s"
        minutes = round(seconds / 60)
        if minutes < 90:
            return f"{minutes} min"
        return f"{minutes // 60} h {minutes % 60} min"

    def details(self) -> list[str]:
        """The lines the confirmation shows."""
        return [f"From:      {self.sender}", f"Reply-To:  {self.reply_to}",
                f"Deadline:  {self.deadline}", f"Link:      {self.sample_link}",
                f"Messages:  {self.messages} through {self.where}, about {self.duration} at "
                "the configured rate"]

    def summary(self) -> list[str]:
        lines = []
        if self.problems:
            n = len(self.problems)
            lines.append(f"Refused: {n} problem{'' if n == 1 else 's'} to fix before sending:")
            lines += [f"  {problem}" for problem in self.problems]
        for warning in self.cautions:
            lines.append(f"Warning: {warning}")
        for note in self.notes:
            lines.append(f"Note: {note.municipality_code} {note.municipality_name}: contact "
                         f"{note.address} has a note ({note.text()}); the message goes to it "
                         "all the same. Look at it on the follow-up list (yhteistuumin status "
                         "--by municipality); if the contact stays as it is: yhteistuumin "
                         f"register checked {note.municipality_code} --reason '...'")
        if not self.problems:
            lines.append("Ready to send.")
        return lines

    def text(self) -> str:
        """What the batch would be, then the verdict."""
        return "\n".join([*self.details(), *self.summary()])

    def table(self) -> tuple[list[str], list[dict[str, Any]]]:
        rows = [{"level": "refused", "reason": p} for p in self.problems]
        rows += [{"level": "warning", "reason": w} for w in self.cautions]
        rows += [{"level": "note", "reason": f"{n.municipality_code} {n.municipality_name}: "
                  f"contact {n.address} has a note ({n.text()})"} for n in self.notes]
        return ["level", "reason"], rows

    def to_dict(self) -> dict[str, Any]:
        return {"ok": not self.problems, "problems": self.problems, "warnings": self.cautions,
                "sender": self.sender, "reply_to": self.reply_to, "deadline": self.deadline,
                "sample_link": self.sample_link, "messages": self.messages,
                "seconds": round(self.seconds, 1), "smtp": self.where,
                "contact_notes": [{"municipality": n.municipality_code, "address": n.address,
                                   "note": n.reason, "named": n.named} for n in self.notes]}


def check_round(workspace: Workspace, *, session: Session, settings: Settings,
                plan: SendPlan | None = None, today: dt.date | None = None) -> PreflightResult:
    """Check the settings, the templates and the contacts before a real send."""
    from .config import KEYS, parse_rate

    defaults = {f"{key.section}.{key.name}": key.default for key in KEYS}
    result = PreflightResult(sender=str(settings.get("round.sender")),
                             reply_to=str(settings.get("round.reply_to")))
    for key, label in (("round.sender", "sender"), ("round.reply_to", "reply_to")):
        value = str(settings.get(key))
        if value == defaults[key]:
            result.problems.append(f"[round] {label} is still the shipped example ({value}); "
                                   "set the round's real address in yhteistuumin.toml")
        elif is_example_domain(value):
            result.problems.append(f"[round] {label} {value} is on a domain reserved for "
                                   "examples; mail from it is not delivered")
    _check_link_and_deadline(result, settings, today or finnish_day())
    _check_smtp(result, settings)
    codes = _batch_codes(session, settings, plan)
    _check_templates(result, workspace, session, settings, codes, plan)
    _check_contacts(result, session, plan)
    _check_questionnaires(result, workspace, settings, codes)
    _check_retired(result, session, plan)
    if plan is not None:
        result.notes = list(plan.notes)
    result.messages = len(plan.to_send) if plan is not None else 0
    result.seconds = result.messages / parse_rate(settings.get("smtp.rate"))
    result.where = f"{settings.get('smtp.host')}:{settings.get('smtp.port')}"
    return result


def _check_link_and_deadline(result: PreflightResult, settings: Settings, today: dt.date) -> None:
    form_url = str(settings.get("round.form_url"))
    if "{token}" not in form_url:
        result.problems.append(f"[round] form_url {form_url} has no {{token}}: every "
                               "municipality would get the same link; add ?token={token}")
    result.sample_link = form_url.replace("{token}", SAMPLE_TOKEN)
    result.deadline = str(settings.get("round.deadline"))
    past = deadline_passed(settings, today)
    if past:
        result.problems.append(past)


def deadline_passed(settings: Settings, today: dt.date) -> str:
    """Say so when the round's deadline is before ``today`` (every message would ask to answer
    by a day gone: "Vastausaika päättyy 31.1.2027"), with what to do; "" when it is not."""
    from .templating import format_date

    deadline = settings.get("round.deadline")
    if not isinstance(deadline, dt.date) or deadline >= today:
        return ""
    return (f"[round] deadline {deadline} is already past (today is {today}): the messages "
            f"would ask to answer by {format_date(deadline)}; set the new last day to answer "
            "([round] deadline in yhteistuumin.toml, or YHTEISTUUMIN_ROUND_DEADLINE)")


def _check_smtp(result: PreflightResult, settings: Settings) -> None:
    from .smtp_auth import keyring_password

    if not str(settings.get("smtp.host") or "").strip():
        result.problems.append("[smtp] host is not set; give the SMTP server's name")
    user = str(settings.get("smtp.user") or "")
    if user and not settings.smtp_password and not settings.get("smtp.oauth2_token_command") \
            and not keyring_password(user):
        result.problems.append(f"[smtp] user {user} has no password: set "
                               "YHTEISTUUMIN_SMTP_PASSWORD or store it in the system keyring "
                               "(keyring set yhteistuumin USER)")


def _batch_codes(session: Session, settings: Settings, plan: SendPlan | None) -> list[str]:
    if plan is not None:
        return list(dict.fromkeys(m.municipality_code for m in plan.to_send))
    from sqlmodel import select

    from .db.models import Contact

    return sorted({c.municipality_code for c in session.exec(
        select(Contact).where(Contact.status == "valid"))})


def _check_templates(result: PreflightResult, workspace: Workspace, session: Session,
                     settings: Settings, codes: list[str], plan: SendPlan | None) -> None:
    """Render every municipality's message (sample token, no attachment): no send may fail so."""
    from sqlmodel import select

    from .db.models import Municipality
    from .messages import MessageComposer
    from .survey import workspace_survey

    if not codes:
        return
    kinds = [plan.kind] if plan is not None else ["invite", "remind"]
    try:
        composer = MessageComposer(workspace, settings=settings, survey=workspace_survey(workspace))
    except Exception as exc:  # noqa: BLE001 - any template setup error is a reason to refuse
        result.problems.append(f"templates: cannot be loaded: {exc}")
        return
    municipalities = {m.code: m for m in session.exec(select(Municipality))}
    failed: dict[str, list[str]] = {}
    for code in codes:
        municipality = municipalities.get(code)
        if municipality is None:
            continue
        for kind in kinds:
            try:
                composer.compose(municipality=municipality, kind=kind, token=SAMPLE_TOKEN,
                                 address="vastaanottaja@kunta.invalid", contact_name=None,
                                 attachment=None, sequence=1 if kind == "remind" else 0)
            except Exception as exc:  # noqa: BLE001 - reported with the municipality, not raised
                failed.setdefault(f"{kind}: {str(exc).splitlines()[0][:200]}", []).append(code)
    for reason, failing in failed.items():
        shown = ", ".join(failing[:5]) + (f" and {len(failing) - 5} more" if len(failing) > 5
                                          else "")
        result.problems.append(f"template {reason} (municipalit{'y' if len(failing) == 1 else 'ies'}"
                               f" {shown})")


def _check_contacts(result: PreflightResult, session: Session, plan: SendPlan | None) -> None:
    if plan is not None:
        addresses = [m.address for m in plan.to_send]
    else:
        from sqlmodel import select

        from .db.models import Contact

        addresses = [c.email for c in session.exec(select(Contact).where(
            Contact.status == "valid"))]
    from .mailer import NO_CONTACT, NO_CONTACT_RETIRED

    no_contact = [skip.municipality_name for skip in plan.skipped
                  if skip.reason in (NO_CONTACT, NO_CONTACT_RETIRED)] if plan is not None else []
    if no_contact:
        # "Ready to send." with most of the register unmailed read as if every municipality
        # would get the survey: none may be skipped without a word.
        n = len(no_contact)
        result.cautions.append(
            f"{n} municipalit{'y' if n == 1 else 'ies'} ha{'s' if n == 1 else 've'} no valid "
            f"contact address and get{'s' if n == 1 else ''} nothing "
            f"({', '.join(no_contact[:3])}{' …' if n > 3 else ''}); import their addresses "
            "('yhteistuumin register check' lists them)")
    examples = [a for a in addresses if is_example_domain(a)]
    if examples:
        n = len(examples)
        result.cautions.append(
            f"{n} contact{'' if n == 1 else 's'} on domains reserved for examples "
            f"({', '.join(examples[:3])}{' …' if n > 3 else ''}): mail to them is not delivered; "
            "import the real contact list")


_SETTING_WORDS = {"deadline": "the deadline", "reply_to": "the reply address ([round] reply_to)",
                  "coordinator": "the coordinator's name ([round] coordinator)"}


def _check_questionnaires(result: PreflightResult, workspace: Workspace, settings: Settings,
                          codes: list[str]) -> None:
    """Say which built questionnaires of the batch give an old deadline, reply address or
    coordinator (built before the settings changed): the send builds them again."""
    from .mailer import _questionnaires_by_code
    from .questionnaire import outdated_settings, questionnaire_folder

    if not codes:
        return
    books = _questionnaires_by_code(questionnaire_folder(workspace,
                                                         round_name=settings.round_name))
    old: dict[tuple[str, str, str], list[str]] = {}
    for code in codes:
        if code in books:
            for found in outdated_settings(books[code], settings):
                old.setdefault(found, []).append(code)
    for (key, said, now), which in old.items():
        n = len(which)
        shown = ", ".join(which[:5]) + (f" and {n - 5} more" if n > 5 else "")
        result.cautions.append(
            f"{n} built questionnaire{'' if n == 1 else 's'} ({shown}) give{'s' if n == 1 else ''}"
            f" {_SETTING_WORDS[key]} as it was when built: {said} (the settings now say "
            f"{now}); the send builds {'it' if n == 1 else 'them'} again with the settings of "
            "now; to look at them first: yhteistuumin survey build")


def _check_retired(result: PreflightResult, session: Session, plan: SendPlan | None) -> None:
    """Say which retired addresses are left out (kept for the record, never mailed), and which
    municipality has no working address because of it (it gets nothing)."""
    from sqlmodel import col, select

    from .contact_retire import RETIRED, no_address_lines, without_address
    from .db.models import Contact, Municipality

    query = select(Contact).where(col(Contact.status) == RETIRED)
    if plan is not None:
        codes = {m.municipality_code for m in plan.to_send} | {s.municipality_code for s in plan.skipped}
        query = query.where(col(Contact.municipality_code).in_(codes))
    retired = list(session.exec(query.order_by(col(Contact.municipality_code))))
    if not retired:
        return
    names = {m.code: m.name_fi for m in session.exec(select(Municipality))}
    n = len(retired)
    shown = "; ".join(f"{c.municipality_code} {names.get(c.municipality_code, '')}: {c.email}"
                      for c in retired[:10]) + (f" and {n - 10} more" if n > 10 else "")
    result.cautions.append(f"{n} retired address{'' if n == 1 else 'es'} left out (kept for "
                           f"the record, never mailed): {shown}")
    result.cautions += no_address_lines(without_address(
        session, {c.municipality_code for c in retired}))
