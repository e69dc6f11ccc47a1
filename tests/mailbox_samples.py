"""Mail as real servers and real municipal staff write it, for the mailbox audit (audit3).

Each builder returns the bytes of one message, shaped after the real thing: Microsoft 365 /
Exchange NDRs (multipart/report with a human part, ``message/delivery-status`` and the
returned original), Gmail's "Delivery Status Notification", Postfix's "This is the mail
system at host", Exim's "Mail delivery failed: returning message to sender" (plain text with
``X-Failed-Recipients``), Lotus Domino's "DELIVERY FAILURE", a Finnish-language NDR, Outlook
automatic replies (with ``Auto-Submitted`` / ``X-Auto-Response-Suppress``, or only a subject),
read receipts (``message/disposition-notification``), an Outlook recall and a delivery
receipt. The invitations they return are ours: ``X-Yhteistuumin-Token`` header, the blank
questionnaire attached, as ``messages.compose_message`` writes them.
"""

from __future__ import annotations

import base64

SENDER = "kysely@yhteistuumin.example.fi"
COORDINATOR = "koordinaattori@yhteistuumin.example.fi"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# (municipality code, address, Message-ID, token): the invitations the samples refer to.
HELSINKI = ("091", "kulttuuri@helsinki.example.fi", "<invite-091-b.hki@yhteistuumin.example.fi>",
            "HelsinkiToken0001abcd")
HELSINKI_OFFICE = ("091", "kirjaamo@helsinki.example.fi",
                   "<invite-091-a.hki@yhteistuumin.example.fi>", "HelsinkiToken0001abcd")
ROVANIEMI = ("698", "kulttuuri@rovaniemi.example.fi",
             "<invite-698-b.rova@yhteistuumin.example.fi>", "RovaniemiToken0001abcd")
PEDERSORE = ("599", "registrator@pedersoren-kunta.example.fi",
             "<invite-599-a.ped@yhteistuumin.example.fi>", "PedersoreToken0001abcd")
SENT = [HELSINKI, HELSINKI_OFFICE, ROVANIEMI, PEDERSORE]


def _b64(data: bytes) -> str:
    text = base64.b64encode(data).decode("ascii")
    return "\r\n".join(text[i:i + 76] for i in range(0, len(text), 76))


def invitation(sent: tuple[str, str, str, str], workbook: bytes = b"",
               name: str = "Kulttuuria_yhteistuumin_kysely.xlsx") -> str:
    """Our invitation as sent: token header, text, the blank questionnaire attached."""
    _code, address, message_id, token = sent
    head = (f"From: Kulttuuria yhteistuumin <{SENDER}>\r\n"
            f"To: {address}\r\n"
            f"Reply-To: {COORDINATOR}\r\n"
            "Subject: Kutsu: Kulttuuria yhteistuumin -kysely\r\n"
            "Date: Tue, 01 Dec 2026 08:02:09 +0000\r\n"
            f"Message-ID: {message_id}\r\n"
            f"X-Yhteistuumin-Token: {token}\r\n"
            "MIME-Version: 1.0\r\n")
    text = ("Hyvä vastaanottaja,\r\n\r\nkutsumme kuntanne kertomaan kulttuuripalvelujen "
            "hyvistä käytännöistä.\r\nLiitteenä on kyselylomake.\r\n")
    if not workbook:
        return (head + "Content-Type: text/plain; charset=utf-8\r\n"
                "Content-Transfer-Encoding: 8bit\r\n\r\n" + text)
    return (head + 'Content-Type: multipart/mixed; boundary="INV"\r\n\r\n'
            "--INV\r\nContent-Type: text/plain; charset=utf-8\r\n"
            "Content-Transfer-Encoding: 8bit\r\n\r\n" + text +
            f'--INV\r\nContent-Type: {XLSX}; name="{name}"\r\n'
            f'Content-Disposition: attachment; filename="{name}"\r\n'
            "Content-Transfer-Encoding: base64\r\n\r\n" + _b64(workbook) + "\r\n--INV--\r\n")


def _report(head: str, human: str, status: str, original: str, *,
            report_type: str = "delivery-status", status_type: str = "message/delivery-status",
            headers_only: bool = False) -> bytes:
    """A multipart/report (RFC 6522) with a human part, the status part and the original."""
    boundary = "RPT_b0undary_7f3a"
    returned = ("Content-Type: text/rfc822-headers\r\n\r\n" + original.split("\r\n\r\n")[0]
                + "\r\n") if headers_only else ("Content-Type: message/rfc822\r\n\r\n" + original)
    text = (head + "MIME-Version: 1.0\r\n"
            f'Content-Type: multipart/report; report-type={report_type};\r\n'
            f'\tboundary="{boundary}"\r\n\r\n'
            f"--{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\n"
            "Content-Transfer-Encoding: 8bit\r\n\r\n" + human + "\r\n"
            f"--{boundary}\r\nContent-Type: {status_type}\r\n\r\n" + status + "\r\n"
            f"--{boundary}\r\n" + returned + f"\r\n--{boundary}--\r\n")
    return text.encode("utf-8")


def _dsn(recipient: str, status: str, diagnostic: str, *, action: str = "failed",
         mta: str = "AM0PR07MB4321.eurprd07.prod.outlook.com",
         original_recipient: str = "") -> str:
    orcpt = f"Original-Recipient: rfc822;{original_recipient}\r\n" if original_recipient else ""
    return (f"Reporting-MTA: dns;{mta}\r\n"
            "Received-From-MTA: dns;mx.yhteistuumin.example.fi\r\n"
            "Arrival-Date: Tue, 1 Dec 2026 08:02:10 +0000\r\n\r\n"
            f"{orcpt}Final-Recipient: rfc822;{recipient}\r\n"
            f"Action: {action}\r\n"
            f"Status: {status}\r\n"
            + (f"Diagnostic-Code: smtp;{diagnostic}\r\n" if diagnostic else ""))


def _m365_head(domain: str, subject: str, number: int) -> str:
    return ("From: Microsoft Outlook\r\n"
            f" <MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e@{domain}>\r\n"
            f"To: <{SENDER}>\r\n"
            "Date: Tue, 1 Dec 2026 08:02:12 +0000\r\n"
            f"Subject: {subject}\r\n"
            f"Message-ID: <m365-ndr-{number}@AM0PR07MB4321.eurprd07.prod.outlook.com>\r\n"
            "Content-Language: en-US\r\n"
            "X-MS-Exchange-Message-Is-Ndr:\r\n"
            "Auto-Submitted: auto-replied\r\n")


def m365_not_found(workbook: bytes = b"") -> bytes:
    """Exchange Online: 550 5.1.10 RESOLVER.ADR.RecipientNotFound, original with attachment."""
    _c, address, _m, _t = HELSINKI
    human = ("Your message to kulttuuri@helsinki.example.fi couldn't be delivered.\r\n"
             "kulttuuri wasn't found at helsinki.example.fi.\r\n\r\n"
             "Diagnostic information for administrators:\r\n"
             "Generating server: AM0PR07MB4321.eurprd07.prod.outlook.com\r\n"
             f"{address}\r\nRemote Server returned '550 5.1.10 RESOLVER.ADR.RecipientNotFound; "
             "Recipient not found by SMTP address lookup'\r\n")
    return _report(_m365_head("helsinki.example.fi",
                              "Undeliverable: Kutsu: Kulttuuria yhteistuumin -kysely", 1),
                   human, _dsn(address, "5.1.10", "550 5.1.10 RESOLVER.ADR.RecipientNotFound; "
                               "Recipient not found by SMTP address lookup"),
                   invitation(HELSINKI, workbook))


def m365_access_denied() -> bytes:
    """Exchange Online directory-based edge blocking: the recipient does not exist."""
    _c, address, _m, _t = PEDERSORE
    human = ("Your message to registrator@pedersoren-kunta.example.fi couldn't be delivered.\r\n"
             "Remote Server returned '550 5.4.1 Recipient address rejected: Access denied. "
             "AS(201806281)'\r\n")
    return _report(_m365_head("pedersoren-kunta.example.fi",
                              "Undeliverable: Kutsu: Kulttuuria yhteistuumin -kysely", 2),
                   human, _dsn(address, "5.4.1", "550 5.4.1 Recipient address rejected: Access "
                               "denied. AS(201806281) [DB5EUR03FT012.eop-EUR03.prod.protection."
                               "outlook.com]"), invitation(PEDERSORE), headers_only=True)


def m365_policy_block() -> bytes:
    """Exchange: 550 5.7.1 delivery not authorized: a policy refused US, the address works."""
    _c, address, _m, _t = HELSINKI_OFFICE
    human = ("Delivery has failed to these recipients or groups:\r\n\r\n"
             f"{address}\r\nYour message wasn't delivered because the recipient's email "
             "provider rejected it.\r\n\r\nDiagnostic information for administrators:\r\n"
             "Remote Server returned '550 5.7.1 Delivery not authorized, message refused'\r\n")
    return _report(_m365_head("helsinki.example.fi",
                              "Undeliverable: Kutsu: Kulttuuria yhteistuumin -kysely", 3),
                   human, _dsn(address, "5.7.1", "550 5.7.1 Delivery not authorized, message "
                               "refused"), invitation(HELSINKI_OFFICE), headers_only=True)


def m365_finnish() -> bytes:
    """Exchange in Finnish (Content-Language fi-FI): the same report, Finnish words."""
    _c, address, _m, _t = ROVANIEMI
    human = ("Viestiäsi ei voitu toimittaa seuraaville vastaanottajille:\r\n\r\n"
             f"{address}\r\nVastaanottajan sähköpostiosoitetta ei löytynyt.\r\n\r\n"
             "Järjestelmänvalvojan diagnostiikkatiedot:\r\n"
             "Remote Server returned '550 5.1.1 RESOLVER.ADR.RecipNotFound; not found'\r\n")
    head = _m365_head("rovaniemi.example.fi",
                      "Ei voitu toimittaa: Kutsu: Kulttuuria yhteistuumin -kysely", 4)
    return _report(head.replace("Content-Language: en-US", "Content-Language: fi-FI"), human,
                   _dsn(address, "5.1.1", "550 5.1.1 RESOLVER.ADR.RecipNotFound; not found"),
                   invitation(ROVANIEMI), headers_only=True)


def finnish_plain_ndr(sent: tuple[str, str, str, str] = PEDERSORE, *,
                      says_address: bool = True) -> bytes:
    """A small Finnish mail server's own text NDR: no delivery-status part, our original's
    headers quoted (so its token), the failed address in words (or not)."""
    _c, address, _m, _t = sent
    domain = address.split("@")[1]
    whom = (f"  {address}\r\n" if says_address else "  (vastaanottaja)\r\n")
    text = (f"From: Postijärjestelmä <postmaster@{domain}>\r\n"
            f"To: {SENDER}\r\n"
            "Subject: =?utf-8?q?Viesti=C3=A4_ei_voitu_toimittaa?=\r\n"
            "Date: Tue, 1 Dec 2026 10:05:00 +0200\r\n"
            f"Message-ID: <ndr-fi-{says_address:d}@posti.{domain}>\r\n"
            "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
            "Content-Transfer-Encoding: 8bit\r\n\r\n"
            "Viestiäsi ei voitu toimittaa seuraavalle vastaanottajalle:\r\n\r\n"
            + whom + "  Syy: vastaanottajaa ei ole (550 5.1.1 User unknown)\r\n\r\n"
            "--- Alkuperäisen viestin otsikkotiedot ---\r\n"
            + "\r\n".join(line for line in invitation(sent).split("\r\n\r\n")[0].split("\r\n")
                          if says_address or not line.startswith(("To:", "Message-ID:")))
            + "\r\n")
    return text.encode("utf-8")


def gmail_not_found(answer: str = "550-5.1.1 The email account that you tried to reach does "
                                  "not exist.", status: str = "5.1.1") -> bytes:
    """Gmail's "Delivery Status Notification (Failure)": the account does not exist (or
    ``answer``, with ``status``)."""
    _c, address, _m, _t = ROVANIEMI
    human = ("** Address not found **\r\n\r\nYour message wasn't delivered to "
             f"{address} because the address couldn't be found, or is unable to receive mail."
             "\r\n\r\nThe response from the remote server was:\r\n550 5.1.1 The email account "
             "that you tried to reach does not exist.\r\n")
    head = ("From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>\r\n"
            f"To: {SENDER}\r\n"
            f"X-Failed-Recipients: {address}\r\n"
            "Auto-Submitted: auto-replied\r\n"
            "Subject: Delivery Status Notification (Failure)\r\n"
            "Date: Tue, 01 Dec 2026 00:02:12 -0800\r\n"
            "Message-ID: <5f1e2d3c.gmail-dsn-1@mx.google.com>\r\n"
            f"References: {ROVANIEMI[2]}\r\nIn-Reply-To: {ROVANIEMI[2]}\r\n")
    return _report(head, human, _dsn(address, status, answer, mta="mx.google.com"),
                   invitation(ROVANIEMI), headers_only=True)


def gmail_delay() -> bytes:
    """Gmail's "Delivery Status Notification (Delay)": 4.4.7, still trying."""
    _c, address, _m, _t = HELSINKI
    human = ("** Message not delivered yet **\r\n\r\nThere was a temporary problem delivering "
             f"your message to {address}. Gmail will retry for 45 more hours.\r\n")
    head = ("From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>\r\n"
            f"To: {SENDER}\r\nAuto-Submitted: auto-replied\r\n"
            "Subject: Delivery Status Notification (Delay)\r\n"
            "Date: Wed, 02 Dec 2026 00:02:12 -0800\r\n"
            "Message-ID: <5f1e2d3c.gmail-dsn-2@mx.google.com>\r\n")
    return _report(head, human, _dsn(address, "4.4.7", "", action="delayed",
                                     mta="mx.google.com"), invitation(HELSINKI),
                   headers_only=True)


def postfix_full() -> bytes:
    """Postfix: 552 5.2.2 mailbox full (soft: the address stays in use)."""
    _c, address, _m, _t = PEDERSORE
    head = ("From: MAILER-DAEMON@mx.pedersoren-kunta.example.fi (Mail Delivery System)\r\n"
            f"To: {SENDER}\r\nSubject: Undelivered Mail Returned to Sender\r\n"
            "Date: Tue,  1 Dec 2026 10:02:11 +0200 (EET)\r\n"
            "Message-Id: <20261201080211.AA11@mx.pedersoren-kunta.example.fi>\r\n"
            "Auto-Submitted: auto-replied\r\n")
    human = ("This is the mail system at host mx.pedersoren-kunta.example.fi.\r\n\r\n"
             f"<{address}>: host mail[192.0.2.3] said: 552 5.2.2 <{address}>: Mailbox full\r\n")
    return _report(head, human, _dsn(address, "5.2.2", "552 5.2.2 Mailbox full",
                                     mta="mx.pedersoren-kunta.example.fi"),
                   invitation(PEDERSORE), headers_only=True)


def forward_failed() -> bytes:
    """The municipality forwards its office mail on: the forward target bounced, not our contact."""
    human = ("This is the mail system at host mx.helsinki.example.fi.\r\n\r\n"
             "<maija.meikalainen@gmail.example.com> (expanded from "
             "<kirjaamo@helsinki.example.fi>): host gmail-smtp-in said: 550 5.1.1 The email "
             "account that you tried to reach does not exist.\r\n")
    head = ("From: MAILER-DAEMON@mx.helsinki.example.fi (Mail Delivery System)\r\n"
            f"To: {SENDER}\r\nSubject: Undelivered Mail Returned to Sender\r\n"
            "Date: Tue,  1 Dec 2026 10:02:11 +0200 (EET)\r\n"
            "Message-Id: <20261201080211.FW01@mx.helsinki.example.fi>\r\n"
            "Auto-Submitted: auto-replied\r\n")
    return _report(head, human, _dsn("maija.meikalainen@gmail.example.com", "5.1.1",
                                     "550-5.1.1 The email account that you tried to reach does "
                                     "not exist.", mta="mx.helsinki.example.fi",
                                     original_recipient="kirjaamo@helsinki.example.fi"),
                   invitation(HELSINKI_OFFICE), headers_only=True)


def exim_failed(answer: str = "550 5.1.1 No such user here") -> bytes:
    """Exim: plain text, ``X-Failed-Recipients``, the original copied below a marker line."""
    _c, address, _m, _t = HELSINKI
    text = ("From: Mail Delivery System <Mailer-Daemon@mx.helsinki.example.fi>\r\n"
            f"To: {SENDER}\r\n"
            f"X-Failed-Recipients: {address}\r\n"
            "Auto-Submitted: auto-replied\r\n"
            "Subject: Mail delivery failed: returning message to sender\r\n"
            "Message-Id: <E1tExim-0001Ab-Cd@mx.helsinki.example.fi>\r\n"
            "Date: Tue, 01 Dec 2026 10:02:13 +0200\r\n\r\n"
            "This message was created automatically by mail delivery software.\r\n\r\n"
            "A message that you sent could not be delivered to one or more of its\r\n"
            "recipients. This is a permanent error. The following address(es) failed:\r\n\r\n"
            f"  {address}\r\n    host mail.helsinki.example.fi [192.0.2.20]\r\n"
            f"    SMTP error from remote mail server after RCPT TO:<{address}>:\r\n"
            f"    {answer}\r\n\r\n"
            "------ This is a copy of the message, including all the headers. ------\r\n\r\n"
            + invitation(HELSINKI))
    return text.encode("utf-8")


def domino_failure(sender: str = "Postmaster@rovaniemi.example.fi") -> bytes:
    """Lotus Notes / Domino: "DELIVERY FAILURE: User ... not listed in Domino Directory"."""
    _c, address, _m, _t = ROVANIEMI
    text = (f"From: {sender}\r\nTo: {SENDER}\r\n"
            f"Subject: DELIVERY FAILURE: User kulttuuri ({address}) not listed in Domino "
            "Directory\r\n"
            "Date: Tue, 1 Dec 2026 10:03:00 +0200\r\n"
            "Message-ID: <OF0000A1B2.C3D4E5F6-ONC1258A@rovaniemi.example.fi>\r\n"
            "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
            "Your message\r\n\r\n  Subject: Kutsu: Kulttuuria yhteistuumin -kysely\r\n\r\n"
            f"was not delivered to:\r\n\r\n  {address}\r\n\r\nbecause:\r\n\r\n"
            f"  User kulttuuri ({address}) not listed in Domino Directory\r\n")
    return text.encode("utf-8")


def qmail_failed() -> bytes:
    """qmail: "Hi. This is the qmail-send program"."""
    _c, address, _m, _t = PEDERSORE
    text = (f"From: MAILER-DAEMON@mail.pedersoren-kunta.example.fi\r\nTo: {SENDER}\r\n"
            "Subject: failure notice\r\nDate: 1 Dec 2026 08:30:12 -0000\r\n"
            "Message-ID: <20261201083012.qmail.99@mail.pedersoren-kunta.example.fi>\r\n\r\n"
            "Hi. This is the qmail-send program at mail.pedersoren-kunta.example.fi.\r\n"
            "I'm afraid I wasn't able to deliver your message to the following addresses.\r\n"
            "This is a permanent error; I've given up. Sorry it didn't work out.\r\n\r\n"
            f"<{address}>:\r\nSorry, no mailbox here by that name. (#5.1.1)\r\n\r\n"
            "--- Below this line is a copy of the message.\r\n\r\n" + invitation(PEDERSORE))
    return text.encode("utf-8")


def _reply_head(sender: str, subject: str, number: int, *, refs: str = "",
                extra: str = "") -> str:
    return (f"From: {sender}\r\nTo: {SENDER}\r\nSubject: {subject}\r\n"
            "Date: Tue, 1 Dec 2026 09:00:00 +0200\r\n"
            f"Message-ID: <reply-{number}@kunta.example.fi>\r\n"
            + (f"In-Reply-To: {refs}\r\nReferences: {refs}\r\n" if refs else "") + extra
            + "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
            "Content-Transfer-Encoding: 8bit\r\n\r\n")


def _plain(head: str, body: str) -> bytes:
    return (head + body).encode("utf-8")


def ooo_fi_headers() -> bytes:
    """Outlook's Finnish automatic reply with its headers."""
    return _plain(_reply_head(
        "Liisa Lahtinen <kulttuuri@helsinki.example.fi>",
        "Automaattinen vastaus: Kutsu: Kulttuuria yhteistuumin -kysely", 1, refs=HELSINKI[2],
        extra="Auto-Submitted: auto-generated\r\nX-Auto-Response-Suppress: All\r\n"),
        "Olen lomalla 14.12. asti. Kiireellisissä asioissa ota yhteyttä kirjaamoon.\r\n")


def ooo_sv_plain() -> bytes:
    """A Swedish out-of-office without any automatic-reply header (a hand-made rule)."""
    return _plain(_reply_head("registrator@pedersoren-kunta.example.fi",
                              "SV: Kutsu: Kulttuuria yhteistuumin -kysely", 2),
                  "Hej,\r\n\r\nJag är på semester till och med 14.12. och läser inte min e-post."
                  "\r\n\r\nMed vänlig hälsning\r\nAnna\r\n")


def left_fi() -> bytes:
    """A Finnish automatic reply: the person no longer works there."""
    return _plain(_reply_head(
        "Pekka Pekkarinen <kulttuuri@rovaniemi.example.fi>",
        "Automaattinen vastaus: Kutsu: Kulttuuria yhteistuumin -kysely", 3, refs=ROVANIEMI[2],
        extra="Auto-Submitted: auto-replied\r\n"),
        "Hei,\r\n\r\nen työskentele enää Rovaniemen kaupungilla. Tämä osoite poistuu "
        "käytöstä vuoden lopussa.\r\nKulttuuripalveluja koskevat viestit: "
        "kulttuuripalvelut@rovaniemi.example.fi\r\n")


def left_sv() -> bytes:
    """A Swedish automatic reply: the person has left."""
    return _plain(_reply_head(
        "Anna Andersson <registrator@pedersoren-kunta.example.fi>",
        "Automatiskt svar: Kutsu: Kulttuuria yhteistuumin -kysely", 4, refs=PEDERSORE[2],
        extra="Auto-Submitted: auto-replied\r\n"),
        "Hej,\r\n\r\njag har slutat min anställning vid Pedersöre kommun. Kontakta "
        "kommunens registratur.\r\n")


def left_en() -> bytes:
    """An English automatic reply without headers: no longer with the organisation."""
    return _plain(_reply_head(
        "Liisa Lahtinen <kulttuuri@helsinki.example.fi>",
        "Automatic reply: Kutsu: Kulttuuria yhteistuumin -kysely", 5),
        "Thank you for your message. Liisa Lahtinen is no longer with the City of Helsinki. "
        "Please contact kirjaamo@helsinki.example.fi.\r\n")


def challenge() -> bytes:
    """A challenge-response spam filter asking us to confirm we are human."""
    return _plain(_reply_head(
        "Roskapostisuoja <noreply@suojaus.example.com>",
        "Please confirm your message to kulttuuri@helsinki.example.fi", 6,
        extra="Auto-Submitted: auto-replied\r\n"),
        "The recipient uses a challenge-response filter. Please confirm you are human by "
        "clicking the link below, and your message will be delivered:\r\n"
        "https://suojaus.example.com/confirm?id=abc123\r\n")


def read_receipt() -> bytes:
    """Outlook's read receipt (RFC 8098 message/disposition-notification) with the original."""
    head = ("From: Liisa Lahtinen <kulttuuri@helsinki.example.fi>\r\n"
            f"To: {SENDER}\r\nSubject: Luettu: Kutsu: Kulttuuria yhteistuumin -kysely\r\n"
            "Date: Tue, 1 Dec 2026 09:30:00 +0200\r\n"
            "Message-ID: <mdn-1@helsinki.example.fi>\r\n")
    status = ("Reporting-UA: helsinki.example.fi; Microsoft Outlook 16.0\r\n"
              "Final-Recipient: rfc822;kulttuuri@helsinki.example.fi\r\n"
              f"Original-Message-ID: {HELSINKI[2]}\r\n"
              "Disposition: manual-action/MDN-sent-manually; displayed\r\n")
    return _report(head, "Viestisi on luettu.\r\n", status, invitation(HELSINKI, b"PK\x03\x04"),
                   report_type="disposition-notification",
                   status_type="message/disposition-notification")


def read_receipt_with(workbook: bytes) -> bytes:
    """The same read receipt, returning the original with our questionnaire attached."""
    head = ("From: Liisa Lahtinen <kulttuuri@helsinki.example.fi>\r\n"
            f"To: {SENDER}\r\nSubject: Luettu: Kutsu: Kulttuuria yhteistuumin -kysely\r\n"
            "Date: Tue, 1 Dec 2026 09:31:00 +0200\r\n"
            "Message-ID: <mdn-2@helsinki.example.fi>\r\n")
    status = ("Reporting-UA: helsinki.example.fi; Microsoft Outlook 16.0\r\n"
              "Final-Recipient: rfc822;kulttuuri@helsinki.example.fi\r\n"
              f"Original-Message-ID: {HELSINKI[2]}\r\n"
              "Disposition: manual-action/MDN-sent-manually; displayed\r\n")
    return _report(head, "Viestisi on luettu.\r\n", status, invitation(HELSINKI, workbook),
                   report_type="disposition-notification",
                   status_type="message/disposition-notification")


def delivered_receipt() -> bytes:
    """Exchange's delivery receipt: "Delivered:", a delivery-status with Action: delivered."""
    _c, address, _m, _t = HELSINKI
    head = ("From: postmaster@helsinki.example.fi\r\n"
            f"To: {SENDER}\r\nSubject: Delivered: Kutsu: Kulttuuria yhteistuumin -kysely\r\n"
            "Date: Tue, 1 Dec 2026 08:02:12 +0000\r\n"
            "Message-ID: <delivered-1@helsinki.example.fi>\r\n"
            "Auto-Submitted: auto-replied\r\n")
    human = (f"Your message has been delivered to the following recipients:\r\n\r\n{address}\r\n"
             "Subject: Kutsu: Kulttuuria yhteistuumin -kysely\r\n")
    return _report(head, human, _dsn(address, "2.0.0", "250 2.0.0 OK", action="delivered"),
                   invitation(HELSINKI), headers_only=True)


def recall() -> bytes:
    """Outlook's recall of a message a municipality sent us."""
    return _plain(_reply_head(
        "Liisa Lahtinen <kulttuuri@helsinki.example.fi>",
        "Palautus: VS: Kutsu: Kulttuuria yhteistuumin -kysely", 7,
        extra="Content-Class: urn:content-classes:recallmessage\r\n"),
        "Liisa Lahtinen haluaa palauttaa viestin \"VS: Kutsu: Kulttuuria yhteistuumin "
        "-kysely\".\r\n")


def quoting_reply(workbook: bytes) -> bytes:
    """A municipality's reply that quotes our invitation (its headers as text) with the answer."""
    boundary = "REPLY_b0undary"
    code, address, message_id, token = ROVANIEMI
    return ("From: Pekka Pekkarinen <kulttuuri@rovaniemi.example.fi>\r\n"
            f"To: {COORDINATOR}\r\nSubject: VS: Kutsu: Kulttuuria yhteistuumin -kysely\r\n"
            "Date: Thu, 3 Dec 2026 14:00:00 +0200\r\n"
            "Message-ID: <reply-rova-answer@rovaniemi.example.fi>\r\n"
            f"In-Reply-To: {message_id}\r\nReferences: {message_id}\r\n"
            f'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="{boundary}"\r\n\r\n'
            f"--{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\n"
            "Content-Transfer-Encoding: 8bit\r\n\r\n"
            "Hei,\r\n\r\nliitteenä Rovaniemen vastaus.\r\n\r\nPekka\r\n\r\n"
            "-----Alkuperäinen viesti-----\r\n"
            f"Lähettäjä: Kulttuuria yhteistuumin <{SENDER}>\r\n"
            "Lähetetty: tiistai 1. joulukuuta 2026 10.02\r\n"
            f"Vastaanottaja: {address}\r\n"
            "Aihe: Kutsu: Kulttuuria yhteistuumin -kysely\r\n"
            f"X-Yhteistuumin-Token: {token}\r\n\r\n"
            "Hyvä vastaanottaja,\r\nkutsumme kuntanne kertomaan ...\r\n"
            f'--{boundary}\r\nContent-Type: {XLSX}; name="Rovaniemi_vastaus.xlsx"\r\n'
            'Content-Disposition: attachment; filename="Rovaniemi_vastaus.xlsx"\r\n'
            "Content-Transfer-Encoding: base64\r\n\r\n" + _b64(workbook) +
            f"\r\n--{boundary}--\r\n").encode("utf-8")


def bounce_not_recognised(workbook: bytes, *, headers: str = "",
                          words: str = "") -> bytes:
    """An NDR whose words nothing here knows (a relay's own language, a plain From), the
    original with our blank questionnaire attached as message/rfc822."""
    boundary = "ODD_b0undary"
    return ("From: Sähköpostipalvelu <palvelu@posti.kunta.example.fi>\r\n"
            f"To: {SENDER}\r\nSubject: Palautettu viesti: Kutsu\r\n{headers}"
            "Date: Tue, 1 Dec 2026 10:05:00 +0200\r\n"
            "Message-ID: <odd-ndr-1@posti.kunta.example.fi>\r\n"
            f'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="{boundary}"\r\n\r\n'
            f"--{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\n"
            "Content-Transfer-Encoding: 8bit\r\n\r\n"
            "Viestiä ei voitu välittää vastaanottajalle kulttuuri@helsinki.example.fi."
            f"{words}\r\n\r\n"
            f"--{boundary}\r\nContent-Type: message/rfc822\r\n"
            'Content-Disposition: attachment; filename="Kutsu.eml"\r\n\r\n'
            + invitation(HELSINKI, workbook) + f"\r\n--{boundary}--\r\n").encode("utf-8")


def report_of_another_message() -> bytes:
    """A mailer daemon's report on a message that is not ours (no token, no Message-ID we
    know), its details attached as a text file, as some relays send them."""
    boundary = "DETAILS_b0undary"
    return ("From: Mail Delivery System <MAILER-DAEMON@relay.kunta.example.fi>\r\n"
            f"To: {SENDER}\r\nSubject: Undelivered Mail Returned to Sender\r\n"
            "Date: Tue, 1 Dec 2026 10:05:00 +0200\r\n"
            "Message-ID: <details-1@relay.kunta.example.fi>\r\n"
            f'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="{boundary}"\r\n\r\n'
            f"--{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
            "Delivery to the following recipient failed permanently. Details attached.\r\n"
            f"--{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\n"
            'Content-Disposition: attachment; filename="details.txt"\r\n\r\n'
            "Kunta: Helsinki\r\nKäytännön nimi: Ei vastaus vaan raportti\r\n"
            "Remote-MTA: dns; mx.elsewhere.example.com\r\n"
            f"\r\n--{boundary}--\r\n").encode()


def answer_mentioning_holiday(workbook: bytes) -> bytes:
    """A real answer whose covering words say the sender is going on holiday."""
    boundary = "HOLIDAY_b0undary"
    code, address, message_id, _token = PEDERSORE
    return (f"From: Anna Andersson <{address}>\r\n"
            f"To: {COORDINATOR}\r\nSubject: SV: Kutsu: Kulttuuria yhteistuumin -kysely\r\n"
            "Date: Fri, 4 Dec 2026 15:00:00 +0200\r\n"
            "Message-ID: <holiday-answer@pedersoren-kunta.example.fi>\r\n"
            f"In-Reply-To: {message_id}\r\n"
            f'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="{boundary}"\r\n\r\n'
            f"--{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\n"
            "Content-Transfer-Encoding: 8bit\r\n\r\n"
            "Hej,\r\n\r\nhär är vårt svar. Jag är på semester från måndag, frågor kan ni "
            "ställa till registraturen.\r\n\r\nAnna\r\n"
            f'--{boundary}\r\nContent-Type: {XLSX}; name="Pedersore_svar.xlsx"\r\n'
            'Content-Disposition: attachment; filename="Pedersore_svar.xlsx"\r\n'
            "Content-Transfer-Encoding: base64\r\n\r\n" + _b64(workbook) +
            f"\r\n--{boundary}--\r\n").encode()
