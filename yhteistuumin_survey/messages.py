"""The survey emails: invitation, reminder and thank-you, personalised per municipality.

Templates are ``templates/email/<name>.<lang>.<txt|html>.j2`` with ``name`` one of
``invitation``, ``reminder``, ``thanks`` and ``lang`` one of ``fi``, ``sv``, ``fi-sv`` (bilingual:
Finnish first, then Swedish); the subject is ``templates/email/subject.<fi|sv>.txt.j2`` (the
bilingual subject joins both with `` / ``). A workspace may override any of them.

Composing uses yagmail's own message builder (``Client.prepare_send``, which never touches the
network: only ``send()`` logs in). yagmail derives its plain-text part from the HTML contents
(the HTML source itself becomes the "text" alternative) and wraps HTML in ``<div>``; so we let
it build the envelope headers, the ``Message-ID`` and the attachment, and put our own rendered
text and HTML into its ``multipart/alternative`` part.
"""

from __future__ import annotations

import datetime as dt
from email import message_from_string, policy
from email.message import EmailMessage
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


def message_language(language_status: str, *, aland: bool = False) -> str:
    """Return the language of a municipality's mail: ``fi``, ``sv`` or ``fi-sv`` (both).

    Swedish-speaking and Swedish-majority municipalities and Åland get Swedish, bilingual
    Finnish-majority ones both languages, the rest Finnish.
    """
    if aland or language_status in {"sv", "sv-fi"}:
        return "sv"
    if language_status == "fi-sv":
        return "fi-sv"
    return "fi"


def municipality_context(municipality: Any) -> dict[str, Any]:
    """Return the template variables describing a municipality."""
    lang = message_language(municipality.language, aland=bool(getattr(municipality, "aland", False)))
    return {
        "code": municipality.code,
        "name_fi": municipality.name_fi,
        "name_sv": municipality.name_sv or municipality.name_fi,
        "name": (municipality.name_sv or municipality.name_fi) if lang == "sv"
        else municipality.name_fi,
        "language": lang,
    }


def message_context(*, settings: Settings, survey: Survey, municipality: Any, kind: str,
                    token: str, contact_name: str | None, attachment: Path | None,
                    sequence: int = 0) -> dict[str, Any]:
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

    ``env`` may be passed to reuse one template environment over a batch.
    """
    env = env or make_environment(workspace)
    context = message_context(settings=settings, survey=survey, municipality=municipality,
                              kind=kind, token=token, contact_name=contact_name,
                              attachment=attachment, sequence=sequence)
    lang = context["municipality"]["language"]
    subject = render_subject(env, lang, context)
    context["subject"] = subject
    text, html = render_bodies(env, kind, lang, context)
    if attachment is not None and not attachment.is_file():
        raise SurveyError(f"{attachment}: the questionnaire is missing; run "
                          "'yhteistuumin survey build' first")

    sender = str(settings.get("round.sender"))
    headers = {
        "Reply-To": str(settings.get("round.reply_to")),
        "Date": format_datetime(dt.datetime.now(dt.UTC)),
        TOKEN_HEADER: token,
        ROUND_HEADER: settings.round_name,
        MUNICIPALITY_HEADER: municipality.code,
        KIND_HEADER: kind,
        SEQUENCE_HEADER: str(sequence),
    }
    message_id = make_msgid(idstring=f"{municipality.code}.{kind}", domain=_domain(sender))
    raw = _yagmail_build(sender=sender, sender_name=str(settings.get("round.sender_name")),
                         address=address, subject=subject, headers=headers,
                         message_id=message_id, attachment=None)
    message = message_from_string(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    _fill_alternative(message, text=text, html=html)
    if attachment is not None:
        # Attached here rather than by yagmail: re-parsing yagmail's text with a base64
        # workbook inside took half of the time of composing a message.
        message.add_attachment(attachment.read_bytes(), maintype="application",
                               subtype=XLSX_SUBTYPE, filename=attachment.name)
    return message


def _yagmail_build(*, sender: str, sender_name: str, address: str, subject: str,
                   headers: dict[str, str], message_id: str, attachment: Path | None) -> str:
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
    try:
        client.is_closed = True  # nothing to close: keep its destructor from touching smtplib
        _, raw = client.prepare_send(to=address, subject=subject, contents=None,
                                     attachments=[str(attachment)] if attachment else None,
                                     headers=headers, prettify_html=False,
                                     message_id=message_id)
    except (YagInvalidEmailAddress, YagAddressError) as exc:
        raise SurveyError(f"{address!r}: not a valid email address ({exc}); fix the "
                          "contact list") from None
    return raw


def _fill_alternative(message: EmailMessage, *, text: str, html: str) -> None:
    """Replace yagmail's empty ``multipart/alternative`` with our text and HTML parts."""
    alternative = EmailMessage(policy=policy.default)
    alternative.set_content(text, subtype="plain", charset="utf-8")
    alternative.add_alternative(html, subtype="html", charset="utf-8")
    del alternative["MIME-Version"]
    parts = message.get_payload()
    assert isinstance(parts, list)
    for index, part in enumerate(parts):
        if part.get_content_type() == "multipart/alternative":
            parts[index] = alternative
            return
    parts.insert(0, alternative)


def message_text(message: EmailMessage) -> str:
    """Return the plain-text body of a composed message (for previews and tests)."""
    part = message.get_body(preferencelist=("plain",))
    return part.get_content() if part is not None else ""


def message_html(message: EmailMessage) -> str:
    """Return the HTML body of a composed message."""
    part = message.get_body(preferencelist=("html",))
    return part.get_content() if part is not None else ""
