"""The survey emails: invitation, reminder and thank-you, personalised per municipality.

Templates are ``templates/email/<name>.<lang>.<txt|html>.j2`` with ``name`` one of
``invitation``, ``reminder``, ``thanks`` and ``lang`` one of ``fi``, ``sv``, ``fi-sv`` (bilingual:
Finnish first, then Swedish), ``sv-fi`` (bilingual, Swedish first); the subject is
``templates/email/subject.<fi|sv>.txt.j2`` (a bilingual subject joins both with `` / ``). A
workspace may override any of them.

Names: Finnish needs the municipality's name in a case ("Alajärven kulttuuripalveluille"); the
templates get the genitive from :func:`finnish_name_forms`, the one place that inflects, using
the generated genitive that ``tests/data/genitives.csv`` checks for all 308 municipalities. The
local cases ("Alajärveltä", "Helsingistä") are left out on purpose: which of them a place takes
(inner -ssa/-sta or outer -lla/-lta) is a fact about each name that the register does not hold
yet, so the texts are written with the genitive ("Emme ole saaneet Alajärven vastausta").
"kunta" or "kaupunki" is said only where the register's name says it ("Pedersören kunta").

Composing uses yagmail's own message builder (``Client.prepare_send``, which never touches the
network: only ``send()`` logs in). yagmail derives its plain-text part from the HTML contents
(the HTML source itself becomes the "text" alternative) and wraps HTML in ``<div>``; so we let
it build the envelope (its headers, the ``Message-ID``, the ``multipart/mixed`` container) and
give the container our own ``multipart/alternative`` part (rendered text and HTML) and the
attachment. A batch uses one :class:`MessageComposer`: one yagmail client, one template
environment.
"""

from __future__ import annotations

import datetime as dt
from email import policy
from email.message import EmailMessage
from email.parser import Parser
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import SurveyError
from .templating import format_date, make_environment, render_template

if TYPE_CHECKING:
    import jinja2

    from .config import Settings
    from .survey import Survey

KINDS = {"invite": "invitation", "remind": "reminder", "thanks": "thanks"}
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: Headers that carry the response token and the round, so replies and bounces can be matched.
TOKEN_HEADER = "X-Yhteistuumin-Token"
ROUND_HEADER = "X-Yhteistuumin-Round"
MUNICIPALITY_HEADER = "X-Yhteistuumin-Municipality"
KIND_HEADER = "X-Yhteistuumin-Kind"
SEQUENCE_HEADER = "X-Yhteistuumin-Sequence"


#: Local parts of the shared addresses of a registry office: the message must be forwarded.
REGISTRY_MAILBOXES = ("kirjaamo", "registrator", "registratur", "registraturen", "kirjaamot")
#: The site's privacy notice, when ``[round] privacy_url`` is not set.
PRIVACY_PAGE = "tietosuojaseloste"
DEFAULT_SITE = "https://www.yhteistuumin.fi"


def message_language(language_status: str, *, aland: bool = False) -> str:
    """Return the language of a municipality's mail: ``fi``, ``sv``, ``fi-sv`` or ``sv-fi``.

    Åland and Swedish-speaking municipalities get Swedish, Finnish-speaking ones Finnish;
    bilingual ones get both, the majority language first (``fi-sv`` or ``sv-fi``). The
    questionnaire keeps its own rule (Swedish for a Swedish-majority municipality).
    """
    if aland or language_status == "sv":
        return "sv"
    if language_status in {"fi-sv", "sv-fi"}:
        return language_status
    return "fi"


def finnish_name_forms(name_fi: str) -> dict[str, str]:
    """Return the Finnish forms of a municipality's name the emails use: ``genitive``.

    The one place the emails inflect a name. ``Alajärvi`` -> ``Alajärven``; a name with
    ``kunta``/``kaupunki`` in it keeps its genitive (``Pedersören kunta`` -> ``Pedersören``).
    """
    from .resolve import finnish_genitive

    return {"genitive": finnish_genitive(name_fi)}


def is_registry_address(address: str | None) -> bool:
    """Return whether ``address`` is a registry office's shared mailbox (kirjaamo@, registrator@)."""
    local = (address or "").rpartition("@")[0].strip().strip("<").lower()
    return any(local == box or local.startswith((f"{box}.", f"{box}-", f"{box}_"))
               for box in REGISTRY_MAILBOXES)


def municipality_context(municipality: Any) -> dict[str, Any]:
    """Return the template variables describing a municipality."""
    aland = bool(getattr(municipality, "aland", False)) or \
        getattr(municipality, "region_code", "") == "21"
    lang = message_language(municipality.language, aland=aland)
    return {
        "code": municipality.code,
        "name_fi": municipality.name_fi,
        "genitive_fi": finnish_name_forms(municipality.name_fi)["genitive"],
        "name_sv": municipality.name_sv or municipality.name_fi,
        "name": (municipality.name_sv or municipality.name_fi) if lang.startswith("sv")
        else municipality.name_fi,
        "language": lang,
        # the questionnaire is Swedish for a Swedish-majority municipality (questionnaire.py)
        "questionnaire_language": "sv" if lang.startswith("sv") else lang,
    }


def privacy_url(settings: Settings) -> str:
    """Return the privacy notice's address: ``[round] privacy_url`` or the site's page."""
    url = str(settings.get("round.privacy_url") or "").strip()
    if url:
        return url
    base = str(settings.get("site.base_url") or "").strip().rstrip("/") or DEFAULT_SITE
    return f"{base}/{PRIVACY_PAGE}"


def message_context(*, settings: Settings, survey: Survey, municipality: Any, kind: str,
                    token: str, contact_name: str | None, attachment: Path | None,
                    sequence: int = 0, address: str | None = None) -> dict[str, Any]:
    """Return every variable the email templates may use."""
    deadline = settings.get("round.deadline")
    form_url = str(settings.get("round.form_url"))
    return {
        "kind": kind,
        "sequence": sequence,
        "municipality": municipality_context(municipality),
        "contact_name": (contact_name or "").strip() or None,
        "token": token,
        "form_url": form_url.replace("{token}", token),
        "deadline": deadline,
        "deadline_text": format_date(deadline),
        "round_name": settings.round_name,
        "round_title": settings.get("round.title"),
        "survey_title": {lang: survey.title(lang) for lang in ("fi", "sv", "en")},
        "practices": survey.practices_per_questionnaire,
        "coordinator": settings.get("round.coordinator"),
        "sender_name": settings.get("round.sender_name"),
        "reply_to": settings.get("round.reply_to"),
        "attachment_name": attachment.name if attachment is not None else None,
        "registry_office": is_registry_address(address),
        "answer_minutes": int(settings.get("round.answer_minutes")),
        "privacy_url": privacy_url(settings),
    }


def render_subject(env: jinja2.Environment, lang: str, context: dict[str, Any]) -> str:
    """Render the subject line in ``lang`` (``fi-sv``: Finnish / Swedish)."""
    parts = [render_template(env, f"email/subject.{part}.txt.j2", context)
             for part in lang.split("-")]
    subject = " / ".join(" ".join(part.split()) for part in parts)
    if not subject:
        raise SurveyError("templates/email/subject.*.txt.j2: the subject is empty; "
                          "write the subject line in the template")
    return subject


def render_bodies(env: jinja2.Environment, kind: str, lang: str,
                  context: dict[str, Any]) -> tuple[str, str]:
    """Render the text and HTML bodies of a message."""
    if kind not in KINDS:
        raise SurveyError(f"unknown message kind {kind!r}; use one of {', '.join(KINDS)}")
    name = KINDS[kind]
    text = render_template(env, f"email/{name}.{lang}.txt.j2", context)
    html = render_template(env, f"email/{name}.{lang}.html.j2", context)
    return text, html


XLSX_SUBTYPE = "vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _domain(address: str) -> str:
    return address.rpartition("@")[2].strip().strip(">") or "localhost"


def compose_message(workspace: Any, *, settings: Settings, survey: Survey, municipality: Any,
                    kind: str, token: str, address: str, contact_name: str | None,
                    attachment: Path | None, sequence: int = 0,
                    env: jinja2.Environment | None = None) -> EmailMessage:
    """Compose one message to one address: headers, text + HTML, the questionnaire attached.

    A batch should use one :class:`MessageComposer` instead; this makes one for the message.
    """
    composer = MessageComposer(workspace, settings=settings, survey=survey, env=env)
    return composer.compose(municipality=municipality, kind=kind, token=token, address=address,
                            contact_name=contact_name, attachment=attachment, sequence=sequence)


class MessageComposer:
    """Compose the messages of one batch with one template environment and one yagmail client.

    yagmail builds each message's envelope (``prepare_send``: From with the display name, To,
    Subject, our headers, the ``Message-ID``, the ``multipart/mixed`` container). Only its
    headers are parsed back: the body it makes is an empty ``multipart/alternative`` skeleton
    that we replace with our text and HTML anyway, and parsing that skeleton with the default
    policy cost more than composing the rest of the message.
    """

    def __init__(self, workspace: Any, *, settings: Settings, survey: Survey,
                 env: jinja2.Environment | None = None):
        self.workspace = workspace
        self.settings = settings
        self.survey = survey
        self.env = env or make_environment(workspace)
        self.sender = str(settings.get("round.sender"))
        self.sender_name = str(settings.get("round.sender_name"))
        self.reply_to = str(settings.get("round.reply_to"))
        self._client: Any = None

    def compose(self, *, municipality: Any, kind: str, token: str, address: str,
                contact_name: str | None, attachment: Path | None,
                sequence: int = 0) -> EmailMessage:
        """Compose one message to one address (see :func:`compose_message`)."""
        context = message_context(settings=self.settings, survey=self.survey,
                                  municipality=municipality, kind=kind, token=token,
                                  contact_name=contact_name, attachment=attachment,
                                  sequence=sequence, address=address)
        lang = context["municipality"]["language"]
        subject = render_subject(self.env, lang, context)
        context["subject"] = subject
        text, html = render_bodies(self.env, kind, lang, context)
        if attachment is not None and not attachment.is_file():
            raise SurveyError(f"{attachment}: the questionnaire is missing; run "
                              "'yhteistuumin survey build' first")

        headers = {
            "Reply-To": self.reply_to,
            "Date": format_datetime(dt.datetime.now(dt.UTC)),
            TOKEN_HEADER: token,
            ROUND_HEADER: self.settings.round_name,
            MUNICIPALITY_HEADER: municipality.code,
            KIND_HEADER: kind,
            SEQUENCE_HEADER: str(sequence),
        }
        message_id = make_msgid(idstring=f"{municipality.code}.{kind}",
                                domain=_domain(self.sender))
        raw = _yagmail_build(self._yagmail_client(), address=address, subject=subject,
                             headers=headers, message_id=message_id)
        message = _ENVELOPE_PARSER.parsestr(raw, headersonly=True)
        assert isinstance(message, EmailMessage)
        assert message.get_content_type() == "multipart/mixed", message.get_content_type()
        message.set_payload([_alternative(text=text, html=html)])
        if attachment is not None:
            # Attached here rather than by yagmail: re-parsing yagmail's text with a base64
            # workbook inside took half of the time of composing a message.
            message.add_attachment(attachment.read_bytes(), maintype="application",
                                   subtype=XLSX_SUBTYPE, filename=attachment.name)
        return message

    def _yagmail_client(self) -> Any:
        if self._client is None:
            self._client = _yagmail_client(sender=self.sender, sender_name=self.sender_name)
        return self._client


#: Reads yagmail's envelope: the headers only (the body is replaced), into an EmailMessage.
_ENVELOPE_PARSER = Parser(policy=policy.default)


def _yagmail_client(*, sender: str, sender_name: str) -> Any:
    import yagmail
    from yagmail.error import YagAddressError, YagInvalidEmailAddress

    try:
        # No connection is made here: yagmail connects and logs in only in send().
        client = yagmail.SMTP(user={sender: sender_name}, password="", host="localhost",
                              port=25, smtp_ssl=False, smtp_starttls=False,
                              smtp_skip_login=True)
    except (YagInvalidEmailAddress, YagAddressError) as exc:
        raise SurveyError(f"[round] sender {sender!r}: not a valid address ({exc}); "
                          "fix it in yhteistuumin.toml") from None
    client.is_closed = True  # nothing to close: keep its destructor from touching smtplib
    return client


def _yagmail_build(client: Any, *, address: str, subject: str, headers: dict[str, str],
                   message_id: str) -> str:
    from yagmail.error import YagAddressError, YagInvalidEmailAddress

    try:
        _, raw = client.prepare_send(to=address, subject=subject, contents=None,
                                     attachments=None, headers=headers, prettify_html=False,
                                     message_id=message_id)
    except (YagInvalidEmailAddress, YagAddressError) as exc:
        raise SurveyError(f"{address!r}: not a valid email address ({exc}); fix the "
                          "contact list") from None
    return str(raw)


def _alternative(*, text: str, html: str) -> EmailMessage:
    """Return the ``multipart/alternative`` part: our text, then our HTML, in UTF-8."""
    alternative = EmailMessage(policy=policy.default)
    alternative.set_content(text, subtype="plain", charset="utf-8")
    alternative.add_alternative(html, subtype="html", charset="utf-8")
    del alternative["MIME-Version"]
    return alternative


def message_text(message: EmailMessage) -> str:
    """Return the plain-text body of a composed message (for previews and tests)."""
    part = message.get_body(preferencelist=("plain",))
    return part.get_content() if part is not None else ""


def message_html(message: EmailMessage) -> str:
    """Return the HTML body of a composed message."""
    part = message.get_body(preferencelist=("html",))
    return part.get_content() if part is not None else ""
