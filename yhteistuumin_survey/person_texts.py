"""The words of the access report (``person``) in Finnish, Swedish and English, in one place.

The report answers a citizen's request for her data (GDPR art. 15) in her language: by default
the round's (``round.language``), or ``person --lang``. Each text is a :class:`flags.Text`, as
the flags' and the ingest reasons' are; the report's data (its JSON keys, the codes of a
state or a kind) stay English, and are said in the language only where the report is shown
(the printed table, the workbook).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from .file_formats import format_name
from .flags import DEFAULT_LABELS, Text

LANGUAGES = ("fi", "sv", "en")

#: Each section of the report, by its key.
SECTIONS: dict[str, Text] = {
    "contacts": Text("Yhteystietosi ja mistä ne on saatu",
                     "Dina kontaktuppgifter och varifrån de kommer",
                     "Contact details and where they came from"),
    "messages": Text("Osoitteeseesi lähetetyt viestit",
                     "Meddelanden som skickats till din adress",
                     "Messages sent to the address"),
    "bounces": Text("Palautuneet viestit ja automaattiset vastaukset",
                    "Returnerade meddelanden och automatiska svar",
                    "Bounces and automatic replies"),
    "records": Text("Koordinaattorin omat merkinnät (puhelimitse saatu vastaus, tarkistettu "
                    "yhteystieto)",
                    "Koordinatorns egna anteckningar (ett svar per telefon, en kontrollerad "
                    "kontaktuppgift)",
                    "The coordinator's own records (an answer by phone, a contact checked)"),
    "received": Text("Sinulta saadut tai vastaustasi sisältävät tiedostot",
                     "Filer som kommit från dig eller som innehåller ditt svar",
                     "Files received from the person or holding their answer"),
    "practices": Text("Käytännöt, joiden yhteyshenkilö olet tai joissa sinut mainitaan",
                      "Praxis där du är kontaktperson eller nämns",
                      "Practices where the person is the contact or is named"),
    "decisions": Text("Arviointipäätökset ja arvioijien huomautukset, joissa sinut mainitaan",
                      "Granskningsbeslut och granskarnas anteckningar där du nämns",
                      "Review decisions and reviewers' notes that name the person"),
    "contact_problems": Text("Yhteystietoluettelon rivit, joita ei voitu tuoda",
                             "Rader i kontaktlistan som inte kunde importeras",
                             "Rows of a contact list that could not be imported"),
    "fetched": Text("Merkinnät postilaatikosta luetuista viesteistä",
                    "Anteckningar om meddelanden som lästs från postlådan",
                    "Notes kept on messages read from the mailbox"),
    "files": Text("Muut työtilan tiedostot, joissa osoitteesi on",
                  "Andra filer i arbetsytan som innehåller din adress",
                  "Other files in the workspace that hold the address"),
    "erasures": Text("Tehdyt poistot", "Genomförda raderingar", "Erasures done"),
}

#: The workbook's sheet of each section (at most 31 characters), and of the notice.
SHEETS: dict[str, Text] = {
    "about": Text("tietoja", "om uppgifterna", "about"),
    "contacts": Text("yhteystiedot", "kontaktuppgifter", "contacts"),
    "messages": Text("viestit", "meddelanden", "messages"),
    "bounces": Text("palautuneet", "returer", "bounces"),
    "records": Text("merkinnät", "anteckningar", "records"),
    "received": Text("vastaanotetut tiedostot", "mottagna filer", "received"),
    "practices": Text("käytännöt", "praxis", "practices"),
    "decisions": Text("arviointi", "granskning", "decisions"),
    "contact_problems": Text("luettelon rivit", "rader i listan", "contact_problems"),
    "fetched": Text("postilaatikko", "postlådan", "fetched"),
    "files": Text("tiedostot", "filer", "files"),
    "erasures": Text("poistot", "raderingar", "erasures"),
}

#: How many of a section's things: one, and several (Finnish: the partitive after a number).
NOUNS: dict[str, dict[str, tuple[str, str]]] = {
    "fi": {"contacts": ("yhteystieto", "yhteystietoa"), "messages": ("viesti", "viestiä"),
           "bounces": ("palautunut viesti", "palautunutta viestiä"),
           "records": ("koordinaattorin merkintä", "koordinaattorin merkintää"),
           "received": ("vastaanotettu tiedosto", "vastaanotettua tiedostoa"),
           "practices": ("käytäntö", "käytäntöä"),
           "decisions": ("arviointimerkintä", "arviointimerkintää"),
           "contact_problems": ("yhteystietoluettelon rivi", "yhteystietoluettelon riviä"),
           "fetched": ("postilaatikon merkintä", "postilaatikon merkintää"),
           "files": ("tiedosto", "tiedostoa"), "erasures": ("poisto", "poistoa")},
    "sv": {"contacts": ("kontaktuppgift", "kontaktuppgifter"),
           "messages": ("meddelande", "meddelanden"),
           "bounces": ("returnerat meddelande", "returnerade meddelanden"),
           "records": ("anteckning av koordinatorn", "anteckningar av koordinatorn"),
           "received": ("mottagen fil", "mottagna filer"), "practices": ("praxis", "praxis"),
           "decisions": ("granskningsanteckning", "granskningsanteckningar"),
           "contact_problems": ("rad i kontaktlistan", "rader i kontaktlistan"),
           "fetched": ("anteckning från postlådan", "anteckningar från postlådan"),
           "files": ("fil", "filer"), "erasures": ("radering", "raderingar")},
    "en": {"contacts": ("contact", "contacts"), "messages": ("message", "messages"),
           "bounces": ("bounce", "bounces"), "records": ("record", "records"),
           "received": ("received file", "received files"),
           "practices": ("practice", "practices"),
           "decisions": ("review decision", "review decisions"),
           "contact_problems": ("contact-list row", "contact-list rows"),
           "fetched": ("mailbox note", "mailbox notes"), "files": ("file", "files"),
           "erasures": ("erasure", "erasures")},
}

#: The parts of the notice (GDPR art. 15), as the report words them.
NOTICE_LABELS: dict[str, Text] = {
    "controller": Text("Rekisterinpitäjä", "Personuppgiftsansvarig", "Who holds it"),
    "why": Text("Miksi tietoja säilytetään", "Varför uppgifterna sparas", "Why it is held"),
    "where_from": Text("Mistä tiedot on saatu", "Varifrån uppgifterna kommer",
                       "Where it came from"),
    "who_has_seen_it": Text("Kuka tiedot on nähnyt", "Vem som har sett uppgifterna",
                            "Who has seen it"),
    "how_long": Text("Kuinka kauan tietoja säilytetään", "Hur länge uppgifterna sparas",
                     "How long it is kept"),
    "your_rights": Text("Oikeutesi", "Dina rättigheter", "Your rights"),
}

#: Why each kind of data is held, in words a citizen understands.
WHY: dict[str, Text] = {
    "contacts": Text(
        "Osoitteesi on kyselyn yhteystietoluettelossa, jotta Kulttuuria yhteistuumin "
        "-ohjelman kysely ja sen muistutukset tavoittavat kuntasi.",
        "Din adress finns i enkätens kontaktlista så att enkäten från programmet Kulttuuria "
        "yhteistuumin och påminnelserna om den når din kommun.",
        "Your address is on the survey's contact list so that the survey of the "
        "Kulttuuria yhteistuumin programme and its reminders reach your municipality."),
    "messages": Text(
        "Jokaisesta sinulle lähetetystä viestistä pidetään kirjaa, jotta mitään ei lähetetä "
        "kahdesti ja epäonnistunut viesti voidaan lähettää uudelleen.",
        "Varje meddelande som skickats till dig bokförs så att inget skickas två gånger och "
        "ett misslyckat meddelande kan skickas på nytt.",
        "A record of each message sent to you is kept so that nothing is sent twice "
        "and a failed message can be sent again."),
    "bounces": Text(
        "Sähköpostipalvelimien vastaukset (toimimaton osoite, poissaoloviesti) säilytetään, "
        "jotta toimimattomaan osoitteeseen ei lähetetä uudelleen.",
        "Svar från e-postservrar (en adress som inte fungerar, ett frånvaromeddelande) sparas "
        "så att inget skickas igen till en adress som inte fungerar.",
        "Replies from mail servers (an address that does not work, an out-of-office "
        "reply) are kept so that a dead address is not mailed again."),
    "records": Text(
        "Koordinaattorin merkinnät siitä, miten kuntasi vastasi tai että osoitteesi "
        "tarkistettiin, säilytetään, jotta kenellekään ei lähetetä turhia muistutuksia.",
        "Koordinatorns anteckningar om hur din kommun svarade eller om att din adress har "
        "kontrollerats sparas så att ingen får onödiga påminnelser.",
        "The coordinator's records of how your municipality answered, or that your "
        "address was checked, are kept so that nobody is reminded needlessly."),
    "practices": Text(
        "Vastauksesi kyselyyn säilytetään, jotta arvioijat voivat arvioida käytännön ja "
        "kysyä siitä sinulta. Nimesi, osoitteesi ja puhelinnumerosi julkaistaan käytännön "
        "yhteydessä vain, jos olet antanut siihen luvan.",
        "Ditt svar på enkäten sparas så att granskarna kan bedöma praxisen och fråga dig om "
        "den. Ditt namn, din adress och ditt telefonnummer publiceras med den bara om du har "
        "gett ditt samtycke till det.",
        "Your answer to the survey is kept so that reviewers can assess the practice "
        "and ask you about it; your name, address and phone are published with it "
        "only if you agreed to that."),
    "decisions": Text(
        "Arvioijien huomautukset säilytetään, koska niistä näkyy, miten käytäntö arvioitiin.",
        "Granskarnas anteckningar sparas som en redogörelse för hur praxisen bedömdes.",
        "Reviewers' notes are kept as the record of how a practice was assessed."),
    "received": Text(
        "Saapuneet tiedostot säilytetään sellaisinaan todisteena siitä, mitä lähetettiin, "
        "kunnes käytännöt on julkaistu.",
        "Filerna som kommit in sparas som de är, som belägg för vad som skickades, tills "
        "svaren har publicerats.",
        "The files that came in are kept as the evidence of what was sent, until the "
        "practices are published."),
}

#: The sentences of the notice and the report, by code ({name} is filled in).
SAY: dict[str, Text] = {
    "held": Text("Sinusta (osoite {email}) on tallennettu: {parts}.",
                 "Om dig (adressen {email}) finns sparat: {parts}.",
                 "Held about {email}: {parts}."),
    "nothing-held": Text("Sinusta (osoite {email}) ei ole tallennettu mitään.",
                         "Om dig (adressen {email}) finns ingenting sparat.",
                         "Nothing is held about {email}."),
    "other-keys": Text(
        "Tietokannan poistoista {n} on kirjattu eri poistoavaimella kuin tämän työtilan "
        "(outputs/.erasure-key puuttuu tai on toisen työtilan): tässä ei voi nähdä, oliko "
        "tämä henkilö yksi niistä. Kopioi poistot tehneen työtilan avain tiedostoksi "
        "outputs/.erasure-key (kaikilla samaa tietokantaa käyttävillä työtiloilla on oltava "
        "sama avain).",
        "{n} av raderingarna i databasen har registrerats med en annan raderingsnyckel än den "
        "här arbetsytans (outputs/.erasure-key saknas eller hör till en annan arbetsyta): här "
        "går det inte att se om den här personen var en av dem. Kopiera nyckeln från "
        "arbetsytan som gjorde raderingarna till outputs/.erasure-key (alla arbetsytor som "
        "använder samma databas behöver samma nyckel).",
        "{n} of the erasures in this database were recorded with another erasure key than this "
        "workspace's (outputs/.erasure-key is missing, or another workspace's): whether this "
        "person was one of them cannot be told here. Copy the key of the workspace that made "
        "them to outputs/.erasure-key (every workspace that uses one database needs the same "
        "key)."),
    "written": Text("Raportti kirjoitettiin tiedostoon {path}.",
                    "Rapporten skrevs till filen {path}.", "Written to {path}."),
    "only-erasure": Text(
        "Sinusta ei ole tallennettu mitään: jäljellä on vain merkintä siitä, että tietosi "
        "poistettiin, ilman osoitettasi.",
        "Ingenting om dig finns sparat: kvar finns bara en anteckning om att dina uppgifter "
        "har raderats, utan din adress.",
        "Nothing about you is held: only the record that your data was erased is kept, "
        "without your address."),
    "questions": Text("Tietojasi koskevat kysymykset: {contact}.",
                      "Frågor om dina uppgifter: {contact}.",
                      "Questions about your data: {contact}."),
    "from-contact-list": Text(
        "Yhteystietosi saatiin kyselyn koordinaattorin yhteystietoluettelosta{files}.",
        "Dina kontaktuppgifter kommer från enkätkoordinatorns kontaktlista{files}.",
        "Your contact details came from the contact list of the survey's coordinator{files}."),
    "from-answer": Text(
        "Käytäntösi ja yhteystietosi saatiin vastauksestasi kyselyyn (katso kunkin käytännön "
        "kohta ’{label}’).",
        "Din praxis och dina kontaktuppgifter kommer från ditt svar på enkäten (se ’{label}’ "
        "vid varje praxis).",
        "Your practice and contact details came from your answer to the "
        "survey (see '{label}' beside each practice)."),
    "from-others": Text(
        "Kun sinut mainitaan jonkun toisen vastauksessa tai arvioijan huomautuksessa, tieto on "
        "peräisin heiltä.",
        "Där du nämns i någon annans svar eller i en granskares anteckning kommer uppgiften "
        "från dem.",
        "Where you are named in someone else's answer or in a reviewer's "
        "note, it came from them."),
    "from-mail-servers": Text(
        "Sähköpostipalvelimien vastaukset tulivat kyselyn postilaatikkoon.",
        "Svaren från e-postservrarna kom till enkätens postlåda.",
        "Replies from mail servers came to the survey's mailbox."),
    "seen-coordinator": Text("Kyselyn koordinaattori.", "Enkätens koordinator.",
                             "The survey's coordinator."),
    "seen-mail-servers": Text(
        "Sähköpostipalvelimet, jotka välittivät sinulle lähetetyt viestit.",
        "De e-postservrar som förmedlade meddelandena till dig.",
        "The mail servers that carried the messages sent to you."),
    "seen-reviewers": Text(
        "Kyselyn arvioijat, jotka arvioivat jokaisen käytännön.",
        "Enkätens granskare, som bedömer varje praxis.",
        "The survey's reviewers, who assess each practice."),
    "seen-public": Text("Kuka tahansa sivuston kävijä: {pages}.",
                        "Alla som besöker webbplatsen: {pages}.", "The public: {pages}."),
    "seen-public-page": Text("käytäntö {practice} on {published}",
                             "praxis {practice} finns {published}",
                             "practice {practice} is {published}"),
    "nothing-public": Text("Julkisella sivustolla ei ole mitään sinusta.",
                           "Ingenting om dig finns på den offentliga webbplatsen.",
                           "Nothing about you is on the public site."),
    "nothing-public-but-practice": Text(
        "Julkisella sivustolla ei ole mitään sinusta (käytäntösi on julkaistu ilman "
        "yhteystietojasi).",
        "Ingenting om dig finns på den offentliga webbplatsen (din praxis är publicerad utan "
        "dina kontaktuppgifter).",
        "Nothing about you is on the public site (your practice is published without your "
        "contact details)."),
    "how-long": Text(
        "Yhteystietosi, vastauksesi, käytäntösi ja arvioijien huomautukset säilytetään "
        "Kulttuuria yhteistuumin -ohjelman loppuun asti tai kunnes pyydät poistamaan ne. "
        "Saapuneet tiedostot sellaisinaan ja viestien kopiot poistetaan aiemmin, kun kysely "
        "ei enää tarvitse niitä. Julkaistut tiedot pysyvät sivustolla niin kauan kuin "
        "käytäntö on julkaistuna tai kunnes perut lupasi. Poiston jälkeen säilytetään vain "
        "merkintä siitä, että poisto tehtiin, ilman osoitettasi.",
        "Dina kontaktuppgifter, dina svar, din praxis och granskarnas anteckningar sparas "
        "till slutet av programmet Kulttuuria yhteistuumin eller tills du begär att de "
        "raderas. De inkomna filerna i originalform och kopiorna av meddelandena raderas "
        "tidigare, när "
        "enkäten inte längre behöver dem. Publicerade uppgifter finns kvar på webbplatsen "
        "så länge praxisen är publicerad eller tills du återkallar ditt samtycke. Efter en "
        "radering sparas bara en anteckning om att den gjorts, utan din adress.",
        "Your contact details, answers, practices and review notes are kept until "
        "the end of the Kulttuuria yhteistuumin programme, or until you ask for "
        "them to be erased; files as they came in and copies of messages are deleted "
        "earlier, once the round no longer needs them. Published details stay on "
        "the site while the practice is published, or until you withdraw your "
        "consent. After an erasure only a record that it was done is kept, "
        "without your address."),
    "rights": Text(
        "Voit pyytää tietojesi korjaamista tai poistamista, perua luvan julkaisuun milloin "
        "tahansa ja tehdä valituksen tietosuojavaltuutetulle (tietosuoja.fi).",
        "Du kan begära att dina uppgifter rättas eller raderas, när som helst återkalla ditt "
        "samtycke till publicering och lämna in klagomål till dataombudsmannen "
        "(tietosuoja.fi).",
        "You may have your data corrected or erased, withdraw your consent to "
        "publishing at any time, and complain to the Data Protection Ombudsman "
        "(tietosuoja.fi)."),
    # Whether a practice is published, and how (a row's 'published').
    "not-published": Text("ei julkaistu", "inte publicerad", "not published"),
    "on-site": Text("julkisella sivustolla (sivu {page})",
                    "på den offentliga webbplatsen (sidan {page})",
                    "on the public site (page {page})"),
    "on-site-named": Text("{where}, tekstissä, jossa sinut mainitaan",
                          "{where}, i texten som nämner dig",
                          "{where}, in the text that names you"),
    "on-site-withdrawn": Text(
        "{where}, ilman yhteystietojasi (peruit lupasi: {withdrawn})",
        "{where}, utan dina kontaktuppgifter (du återkallade ditt samtycke: {withdrawn})",
        "{where}, without your contact details (you withdrew your consent: {withdrawn})"),
    "on-site-with-details": Text(
        "{where}, nimesi, osoitteesi ja puhelinnumerosi kanssa",
        "{where}, med ditt namn, din adress och ditt telefonnummer",
        "{where}, with your name, address and phone"),
    "on-site-without-consent": Text(
        "{where}, ilman yhteystietojasi (et ole antanut siihen lupaa)",
        "{where}, utan dina kontaktuppgifter (du har inte gett ditt samtycke till det)",
        "{where}, without your contact details (you have not agreed to that)"),
    # A practice's role for the person (a row's 'role').
    "role-contact": Text("yhteyshenkilö", "kontaktperson", "contact"),
    "role-beside": Text("mainitaan yhteystiedoissa toisen yhteyshenkilön rinnalla",
                        "nämns i kontaktuppgifterna bredvid en annan kontaktperson",
                        "named in the contact details beside another contact"),
    "role-text": Text("mainitaan tekstissä", "nämns i texten", "named in the text"),
    "answer-source": Text("vastauksesi tiedostossa {file}{when}", "ditt svar i filen {file}{when}",
                          "your answer in {file}{when}"),
    "received-on": Text(", vastaanotettu {day}", ", mottaget {day}", ", received {day}"),
    # What a received file holds (a row's 'holds').
    "holds-answer": Text("vastauksesi", "ditt svar", "their answer"),
    "holds-address": Text("osoitteesi jonkun vastauksessa", "din adress i ett svar",
                          "their address in an answer"),
    # A received file that is no answer but shows her (a contact card mailed beside one).
    "holds-details": Text("yhteystietosi", "dina kontaktuppgifter", "their contact details"),
    # A received file's copy is gone (purge): the record of receipt and the answer stay.
    "copy-deleted": Text("kopio on jo poistettu", "kopian har redan raderats",
                         "the copy has been deleted"),
    "names-you": Text("viesti toiseen osoitteeseen, jonka yhteystiedoissa mainitaan nimesi",
                      "meddelande till en annan adress där ditt namn står i kontaktuppgifterna",
                      "a message to another address whose contact details give your name"),
    "own-file": Text("outputs/-kansion ulkopuolella: koordinaattorin oma tiedosto",
                     "utanför mappen outputs/: koordinatorns egen fil",
                     "outside outputs/: the coordinator's own file"),
    "handed-to-reviewers": Text(
        "tehty arvioijille {day}: heille annetuissa kopioissa voi yhä olla tietojasi",
        "gjord för granskarna {day}: kopiorna som de fått kan fortfarande innehålla dina "
        "uppgifter",
        "made for the reviewers {day}: the copies handed to them may still hold your data"),
    "reviewers-note": Text("arvioijien huomautus", "granskarnas anteckning", "reviewers' note"),
    # A moment, in Finland's time and with the zone said (``local_time``); JSON keeps ISO.
    "local-time": Text("{day} klo {clock} (Suomen aikaa, UTC{offset})",
                       "{day} kl. {clock} (finsk tid, UTC{offset})",
                       "{day} {clock} (Finnish time, UTC{offset})"),
    "corrected-title": Text("korjattu nimi", "korrigerat namn", "corrected title"),
}

#: A row's keys, as the printed report and the workbook name them (JSON keeps the keys).
KEYS: dict[str, dict[str, str]] = {
    "fi": {"section": "osio", "details": "tiedot", "municipality": "kunta",
           "email": "sähköposti", "name": "nimi", "role": "rooli", "phone": "puhelin",
           "status": "tila", "source_file": "lähdetiedosto", "source_row": "rivi",
           "added": "lisätty", "bounce_reason": "palautumisen syy", "round": "kierros",
           "kind": "laji", "reminder": "muistutus", "state": "tila", "attempts": "yrityksiä",
           "sent": "lähetetty", "server_answer": "palvelimen vastaus", "error": "virhe",
           "detail": "tiedot", "read": "luettu", "file": "tiedosto", "format": "muoto",
           "received": "vastaanotettu", "from_the_person": "sinulta saatu",
           "holds": "sisältää", "stored_as": "tallennettu nimellä", "practice": "käytäntö",
           "version": "versio", "title": "käytännön nimi", "contact_name": "yhteyshenkilö",
           "contact_email": "sähköposti", "contact_phone": "puhelin",
           "consent_to_publish": "julkaisulupa", "from": "lähde", "named_in": "mainitaan",
           "published": "julkaistu", "decision": "päätös", "comment": "huomautus",
           "corrected_title": "korjattu nimi", "decided": "päätetty", "row": "rivi",
           "problem": "ongelma", "text": "teksti", "reason": "syy", "noted": "kirjattu",
           "folder": "kansio", "uid": "viestin numero", "outcome": "tulos",
           "note": "huomautus", "erased": "poistettu", "places": "kohteita",
           "recorded": "kirjattu", "taken_back": "peruttu",
           "taken_back_because": "perumisen syy"},
    "sv": {"section": "avsnitt", "details": "uppgifter", "municipality": "kommun",
           "email": "e-post", "name": "namn", "role": "roll", "phone": "telefon",
           "status": "status", "source_file": "källfil", "source_row": "rad",
           "added": "tillagd", "bounce_reason": "orsak till returen", "round": "omgång",
           "kind": "typ", "reminder": "påminnelse", "state": "läge", "attempts": "försök",
           "sent": "skickat", "server_answer": "serverns svar", "error": "fel",
           "detail": "uppgifter", "read": "läst", "file": "fil", "format": "format",
           "received": "mottagen", "from_the_person": "från dig", "holds": "innehåller",
           "stored_as": "sparad som", "practice": "praxis", "version": "version",
           "title": "praxisens namn", "contact_name": "kontaktperson",
           "contact_email": "e-post", "contact_phone": "telefon",
           "consent_to_publish": "samtycke till publicering", "from": "källa",
           "named_in": "nämns i", "published": "publicerad", "decision": "beslut",
           "comment": "anteckning", "corrected_title": "korrigerat namn",
           "decided": "beslutat", "row": "rad", "problem": "problem", "text": "text",
           "reason": "orsak", "noted": "antecknat", "folder": "mapp",
           "uid": "meddelandenummer", "outcome": "resultat", "note": "anmärkning",
           "erased": "raderat", "places": "ställen",
           "recorded": "antecknat", "taken_back": "återtaget",
           "taken_back_because": "orsak till återtagandet"},
    "en": {},
}

#: The codes a row's value may be (a state, a kind, yes or no), as the report says them.
VALUES: dict[str, dict[Any, str]] = {
    "fi": {True: "kyllä", False: "ei", "valid": "voimassa", "bounced": "palautunut",
           "erased": "poistettu", "invite": "kutsu", "remind": "muistutus",
           "queued": "jonossa", "sending": "lähetetään", "sent": "lähetetty",
           "failed": "epäonnistui", "uncertain": "epävarma", "new": "uusi",
           "needs-info": "lisätietoja pyydetty",
           "approved": "hyväksytty", "rejected": "hylätty", "duplicate": "kaksoiskappale",
           "comment": "kommentti ilman päätöstä",
           "questionnaire": "kyselylomake", "email": "sähköposti",
           "answered": "vastaus kirjattu käsin", "checked": "yhteystieto tarkistettu",
           "retired": "poistettu käytöstä", "read": "viesti luettu",
           # A bounce's kind (Bounce.classification).
           "hard": "palautunut: osoite ei toimi", "soft": "palautunut: tilapäinen ongelma",
           "auto-reply": "automaattinen vastaus", "not-a-bounce": "ei palautunut viesti",
           "check-left": "automaattinen vastaus: henkilö on lähtenyt",
           "check-moved": "automaattinen vastaus: osoite on muuttunut",
           "check-elsewhere": "vastaus pyytää kirjoittamaan toiseen osoitteeseen",
           "check-challenge": "suodatin pidättää viestin vahvistukseen asti",
           "check-refused": "palvelin torjui viestin"},
    "sv": {True: "ja", False: "nej", "valid": "giltig", "bounced": "returnerad",
           "erased": "raderad", "invite": "inbjudan", "remind": "påminnelse",
           "queued": "i kö", "sending": "skickas", "sent": "skickat",
           "failed": "misslyckades", "uncertain": "osäkert", "new": "ny",
           "needs-info": "mer information begärd",
           "approved": "godkänd", "rejected": "avslagen", "duplicate": "dubblett",
           "comment": "kommentar utan beslut",
           "questionnaire": "enkätblankett", "email": "e-post",
           "answered": "svar antecknat för hand", "checked": "kontaktuppgiften kontrollerad",
           "retired": "tagen ur bruk", "read": "meddelandet läst",
           "hard": "returnerat: adressen fungerar inte",
           "soft": "returnerat: tillfälligt problem",
           "auto-reply": "automatiskt svar", "not-a-bounce": "inget returnerat meddelande",
           "check-left": "automatiskt svar: personen har slutat",
           "check-moved": "automatiskt svar: adressen har ändrats",
           "check-elsewhere": "svaret ber oss skriva till en annan adress",
           "check-challenge": "ett filter håller kvar meddelandet tills det bekräftas",
           "check-refused": "servern avvisade meddelandet"},
    "en": {},
}

#: Where a practice names the person, by field (a row's 'named_in'): the card's labels.
FIELD_LABELS: dict[str, dict[str, str]] = {
    "fi": {**DEFAULT_LABELS["fi"], "municipality_text": DEFAULT_LABELS["fi"]["municipalities"]},
    "sv": {**DEFAULT_LABELS["sv"], "municipality_text": DEFAULT_LABELS["sv"]["municipalities"]},
    "en": {},
}


def say(code: str, lang: str, **values: Any) -> str:
    """Return the report's sentence ``code`` in ``lang`` with its values filled in."""
    return SAY[code].template(lang).format(**values)


#: The keys whose values are moments (ISO 8601 with an offset, as JSON keeps them).
TIMES = frozenset({"added", "noted", "read", "sent", "recorded", "taken_back", "received",
                   "decided", "erased"})


def local_time(moment: dt.datetime | float, lang: str) -> str:
    """Return a moment as the report says it in ``lang``: Finland's time, the zone said
    ("7.12.2026 klo 3.57 (Suomen aikaa, UTC+2)"); a time without a zone is UTC (how the
    database keeps it), a number is a file's time (seconds since the epoch)."""
    from .finnish_time import finnish_time

    if isinstance(moment, int | float):
        moment = dt.datetime.fromtimestamp(moment, dt.UTC)
    local = finnish_time(moment)
    hours = int((local.utcoffset() or dt.timedelta()).total_seconds()) // 3600
    if lang == "en":
        day, clock = f"{local:%Y-%m-%d}", f"{local:%H:%M}"
    else:  # Finnish and Finland-Swedish: 7.12.2026, 3.57
        day, clock = f"{local.day}.{local.month}.{local.year}", f"{local.hour}.{local:%M}"
    return say("local-time", lang, day=day, clock=clock, offset=f"{hours:+d}")


def key_label(key: str, lang: str) -> str:
    """Return how the report names a row's key in ``lang``."""
    return KEYS[lang].get(key, key)


def value_text(key: str, value: Any, lang: str) -> Any:
    """Return a row's value as the report says it in ``lang`` (codes said in words)."""
    if key in TIMES and isinstance(value, str):
        try:
            return local_time(dt.datetime.fromisoformat(value), lang)
        except ValueError:
            return value
    if key == "format" and isinstance(value, str):
        return format_name(value, lang)
    if key == "named_in" and isinstance(value, list):
        return [FIELD_LABELS[lang].get(item, item) for item in value]
    if isinstance(value, bool) or (isinstance(value, str) and key in CODED):
        return VALUES[lang].get(value, value)
    return value


#: The keys whose values are codes (the others are names, dates and texts, shown as held).
CODED = frozenset({"status", "kind", "state", "decision"})
