"""Flags on a practice: made in one place, put into words in the reader's language.

A flag is a ``str`` in a version's ``flags`` JSON list. Two shapes are stored:

* plain codes, some with one argument after a colon (``no-consent``,
  ``required-missing:goal``, ``possible-duplicate:12``, ``note:goal:<text as typed>``);
* a value ingest was not sure of: ``unsure:<field>:<code>{<arguments as JSON>}``, e.g.
  ``unsure:contact_phone:phone-extra{"raw":"09 123 4567 / 123","number":"09 1234567",
  "more":"/ 123"}``. The code names the text; a change of a code's arguments takes a new
  code, so that a stored flag always renders with the text it was made for.

Older versions stored the reason itself in English (``unsure:<field>:<free text>``): such a
flag is still read, and shown as it is beside the field's label. So is a code this version
does not know (a newer one's): its code and arguments, never an error.

:func:`unsure` makes a flag, :func:`parse` reads one, :func:`describe` says it in Finnish
(the review workbook, the ingest report workbook), Swedish (the ingest report of a Swedish
round) or English (the CLI, ``--format json``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from dataclasses import field as _field
from typing import Any

LANGUAGES = ("fi", "sv", "en")
UNSURE = "unsure"
_CODED = re.compile(r"([a-z][a-z0-9-]*)(\{.*\})\Z", re.DOTALL)


@dataclass(frozen=True)
class Text:
    """The words of one flag code in each language, with an example of its arguments.

    A template names the flag's field as ``{label}``, an argument as ``{name}`` (a list joined
    with commas) or ``{name_q}`` (quoted as typed, each item of a list on its own)."""

    fi: str
    sv: str
    en: str
    example: dict[str, Any] = _field(default_factory=dict)

    def template(self, language: str) -> str:
        return {"fi": self.fi, "sv": self.sv}.get(language, self.en)


#: Everything ingest may be unsure of, by code (``unsure:<field>:<code>{…}``).
UNSURE_TEXTS: dict[str, Text] = {
    "municipality-close-spelling": Text(
        "{label}: vastauksen {text_q} kunnaksi tulkittiin {names}, koska kirjoitusasu on "
        "lähes sama. Tarkista, että kunta on oikea.",
        "{label}: svaret {text_q} tolkades som {names}, eftersom stavningen är nästan "
        "densamma. Kontrollera att kommunen är rätt.",
        "{label}: {text_q} read as {names} by a close spelling; check it.",
        {"text": "Helsinkki", "names": ["Helsinki"]}),
    "municipality-unmatched": Text(
        "{label}: vastauksesta {text_q} ei tunnistettu kunnaksi tekstiä {rest_q} (maakunta, "
        "kaupunginosa, naapurikunnat?). Käytäntöön liitettiin vain {names}; tarkista, "
        "kuuluuko siihen muitakin kuntia.",
        "{label}: i svaret {text_q} känns {rest_q} inte igen som en kommun (ett landskap, en "
        "stadsdel, grannkommunerna?). Bara {names} togs med; kontrollera om fler kommuner "
        "hör till praxisen.",
        "{label}: {rest_q} in {text_q} names no municipality (a region, a district, the "
        "neighbours?); only {names} taken; check whether more belong.",
        {"text": "Kuopio ja Pohjois-Savon kunnat", "rest": ["Pohjois-Savon kunnat"],
         "names": ["Kuopio"]}),
    "municipality-former": Text(
        "{label}: {text_q} on entinen kunta, joka on sittemmin yhdistetty toiseen kuntaan; "
        "vastaus luettiin kunnaksi {names}. Tarkista, että kunta on oikea.",
        "{label}: {text_q} är en före detta kommun som sedan har gått samman med en annan; "
        "svaret lästes som {names}. Kontrollera att kommunen är rätt.",
        "{label}: {text_q} names a former municipality, merged into another since: read as "
        "{names}; check it.",
        {"text": "Jalasjärvi", "names": ["Kurikka"]}),
    "municipality-not-named": Text(
        "{label}: vastaus {text_q} ei nimeä kuntaa (maakunta, kaupunginosa, kirjoitusvirhe?). "
        "Käytäntöön liitettiin vain kyselystä tai lähettäjästä päätelty kunta {names}; "
        "tarkista, mitä kuntia vastaus tarkoittaa.",
        "{label}: svaret {text_q} nämner ingen kommun (ett landskap, en stadsdel, ett "
        "skrivfel?). Bara kommunen {names}, som framgick av enkäten eller avsändaren, togs "
        "med; kontrollera vilka kommuner svaret avser.",
        "{label}: {text_q} names no municipality (a region, a district, a typo?); only "
        "{names} taken (from the questionnaire or the sender); check which municipalities "
        "it means.",
        {"text": "Koko Kainuu", "names": ["Kajaani"]}),
    "municipality-reporter-not-named": Text(
        "{label}: vastaus {text_q} ei nimeä kuntaa {name}, jonka kyselystä tai "
        "vastaustunnisteesta vastaus tuli; käytäntöön liitettiin silti myös se. Tarkista, "
        "onko käytäntö käytössä myös siellä vai täyttikö lomakkeen toinen kunta.",
        "{label}: svaret {text_q} nämner inte kommunen {name}, vars enkät eller svarskod "
        "svaret kom med; den togs ändå med i praxisen. Kontrollera om praxisen används även "
        "där eller om en annan kommun fyllde i formuläret.",
        "{label}: {text_q} does not name {name}, whose questionnaire or response token the "
        "answer came with; {name} was taken all the same; check that the practice is in use "
        "there too, or whether another municipality filled in the form.",
        {"text": "Ulvila", "name": "Pori"}),
    "municipality-code-without-zeros": Text(
        "{label}: vastaus {text_q} on luku. Se voi olla kuntanumero {number} ({name}), josta "
        "taulukko on pudottanut etunollat, mutta kuntaa ei päätelty siitä; tarkista, mitä "
        "kuntaa vastaus tarkoittaa.",
        "{label}: svaret {text_q} är ett tal. Det kan vara kommunnumret {number} ({name}) utan "
        "de inledande nollorna, som kalkylbladet har tagit bort, men ingen kommun togs av det; "
        "kontrollera vilken kommun svaret avser.",
        "{label}: {text_q} is a number: perhaps the municipality code {number} ({name}) whose "
        "leading zeros a number cell dropped; not taken as it, check which municipality it "
        "means.",
        {"text": "91", "number": "091", "name": "Helsinki"}),
    "municipality-not-named-none": Text(
        "{label}: vastaus {text_q} ei nimeä kuntaa (maakunta, kaupunginosa, kirjoitusvirhe?), "
        "eikä kuntaa voitu päätellä muualtakaan. Tarkista, mitä kuntia vastaus tarkoittaa.",
        "{label}: svaret {text_q} nämner ingen kommun (ett landskap, en stadsdel, ett "
        "skrivfel?), och ingen kommun framgick av något annat. Kontrollera vilka kommuner "
        "svaret avser.",
        "{label}: {text_q} names no municipality (a region, a district, a typo?); no "
        "municipality taken; check which municipalities it means.",
        {"text": "Koko Kainuu"}),
    "token-unknown": Text(
        "{label}: vastaustunnistetta {token_q} ei ole lähetetty tästä työtilasta (toisen "
        "kierroksen kysely tai toisen kunnan kopio?). Tarkista, kuka vastasi ja milloin.",
        "{label}: svarskoden {token_q} har inte skickats från den här arbetsytan (en enkät "
        "från en annan omgång eller en kopia av en annan kommuns?). Kontrollera vem som "
        "svarade och när.",
        "{label}: the response token {token_q} was not sent from this workspace (another "
        "round's questionnaire, or a copy of another municipality's?); check who answered "
        "and when.",
        {"token": "EiLahetettyTunniste"}),
    "token-other-round": Text(
        "{label}: kysely lähetettiin kierroksella {sent_in_q}, ei tällä kierroksella "
        "{current_q}. Tarkista, onko vastaus vanha ja lähetetty uudelleen.",
        "{label}: enkäten skickades i omgången {sent_in_q}, inte i den här omgången "
        "{current_q}. Kontrollera om svaret är gammalt och har skickats på nytt.",
        "{label}: the questionnaire was sent in round {sent_in_q}, not in this round "
        "{current_q}; is it an old answer sent again?",
        {"sent_in": "yhteistuumin-2024", "current": "yhteistuumin-2026"}),
    "forward-without-sender": Text(
        "{label}: viesti välittää toisen viestin, jonka lähettäjän osoite ei näy siinä. Kunta "
        "pääteltiin välittäjän osoitteesta ({forwarder}); tarkista, kuka vastasi.",
        "{label}: meddelandet vidarebefordrar ett annat, vars avsändaradress inte syns. "
        "Kommunen togs från vidarebefordrarens adress ({forwarder}); kontrollera vem som "
        "svarade.",
        "{label}: the message forwards another whose sender's address is not in it; the "
        "municipality was taken from the forwarder's address ({forwarder}); check who "
        "answered.",
        {"forwarder": "kirjaamo@espoo.fi"}),
    "email-pattern": Text(
        "{label}: {address_q} on osoitteen malli (etunimi.sukunimi) eikä kenenkään oma "
        "osoite. Kysy oikea osoite kunnalta.",
        "{label}: {address_q} är ett mönster för en adress (förnamn.efternamn) och ingen "
        "persons egen adress. Be kommunen om den rätta adressen.",
        "{label}: {address_q} is the pattern of an address (first name, surname), not a "
        "person's; ask the municipality for the address.",
        {"address": "etunimi.sukunimi@espoo.fi"}),
    "email-written-out": Text(
        "{label}: osoite oli kirjoitettu muodossa {typed_q}, ja se luettiin osoitteeksi "
        "{address_q}. Sivustolla se näkyy tavallisena osoitteena; tarkista, sopiiko se "
        "kunnalle.",
        "{label}: adressen var skriven som {typed_q} och lästes som adressen {address_q}. På "
        "webbplatsen visas den som en vanlig adress; kontrollera att det passar kommunen.",
        "{label}: written {typed_q}, read as the address {address_q}; the site shows it as a "
        "plain address; check that this suits the municipality.",
        {"typed": "anna.virtanen(at)espoo.fi", "address": "anna.virtanen@espoo.fi"}),
    # The same reading when the contact is not published (no consent, or none known): the
    # text above, beside "they are left off the site", said the opposite of it.
    "email-written-out-unpublished": Text(
        "{label}: osoite oli kirjoitettu muodossa {typed_q}, ja se luettiin osoitteeksi "
        "{address_q}. Sivustolla sitä ei näytetä ilman lupaa julkaista yhteystiedot.",
        "{label}: adressen var skriven som {typed_q} och lästes som adressen {address_q}. På "
        "webbplatsen visas den inte utan tillstånd att publicera kontaktuppgifterna.",
        "{label}: written {typed_q}, read as the address {address_q}; the site does not show "
        "it without consent to publish the contact details.",
        {"typed": "anna.virtanen(at)espoo.fi", "address": "anna.virtanen@espoo.fi"}),
    "email-domain-typo": Text(
        "{label}: osoitteen {address_q} verkkotunnus voi olla kirjoitusvirhe, ehkä "
        "tarkoitettiin {intended_q}. Osoitetta ei korjattu; tarkista se kunnalta.",
        "{label}: domänen i adressen {address_q} kan vara ett skrivfel, kanske för "
        "{intended_q}. Adressen har inte rättats; kontrollera den med kommunen.",
        "{label}: {address_q}: is the domain a typo of {intended_q}? Not corrected; check it "
        "with the municipality.",
        {"address": "maija@gmial.com", "intended": "gmail.com"}),
    "name-picked": Text(
        "{label}: nimeksi valittiin {picked_q} näistä: {parts_q}. Tarkista, että nimi on "
        "oikea.",
        "{label}: som namn valdes {picked_q} av dessa: {parts_q}. Kontrollera att namnet är "
        "rätt.",
        "{label}: {picked_q} taken as the name from {parts_q}; check it.",
        {"picked": "Kulttuuritoimi", "parts": ["Kulttuuritoimi", "Kirjasto"]}),
    "name-several": Text(
        "{label}: {picked_q} nimeää useamman kuin yhden henkilön; yhteystietoteksti säilyttää "
        "kaikki nimet. Päätä, kenet kortti nimeää.",
        "{label}: {picked_q} nämner mer än en person; kontaktuppgifternas text behåller alla "
        "namn. Bestäm vem kortet ska nämna.",
        "{label}: {picked_q} names more than one person; the contact text keeps every name; "
        "decide whom the card names.",
        {"picked": "Maija Meikäläinen ja Matti Virtanen"}),
    "email-several": Text(
        "{label}: vastauksessa on {count} osoitetta ({addresses}). Sähköpostikenttään otettiin "
        "ensimmäinen ja yhteystietotekstiin kaikki; tarkista, mikä niistä on oikea.",
        "{label}: svaret har {count} adresser ({addresses}). E-postfältet fick den första och "
        "kontaktuppgifternas text alla; kontrollera vilken av dem som är rätt.",
        "{label}: {count} addresses given ({addresses}); the email field holds the first, the "
        "contact text all of them.",
        {"count": 2, "addresses": ["maija@espoo.fi", "matti@espoo.fi"]}),
    "email-invalid": Text(
        "{label}: vastaus {typed_q} ei ole kelvollinen sähköpostiosoite, joten sitä ei "
        "otettu osoitteeksi; koko vastaus on yhteystietotekstissä. Tarkista osoite kunnalta.",
        "{label}: svaret {typed_q} är ingen giltig e-postadress, så den togs inte som adress; "
        "hela svaret finns i kontaktuppgifternas text. Kontrollera adressen med kommunen.",
        "{label}: {typed_q} is not a valid email address, so no address was taken; the whole "
        "answer is in the contact text; check the address with the municipality.",
        {"typed": "anna.virtanen@espoo"}),
    "phone-invalid": Text(
        "{label}: vastaus {typed_q} ei ole kelvollinen puhelinnumero, joten sitä ei otettu "
        "numeroksi; koko vastaus on yhteystietotekstissä. Tarkista numero kunnalta.",
        "{label}: svaret {typed_q} är inget giltigt telefonnummer, så det togs inte som "
        "nummer; hela svaret finns i kontaktuppgifternas text. Kontrollera numret med "
        "kommunen.",
        "{label}: {typed_q} is not a valid phone number, so no number was taken; the whole "
        "answer is in the contact text; check the number with the municipality.",
        {"typed": "040 123"}),
    "phone-extra": Text(
        "{label}: vastauksessa {raw_q} on numeron {number} lisäksi {more_q} (alanumero, "
        "vaihde, aukioloaika?). Puhelinnumeroksi otettiin vain {number}, ja koko vastaus on "
        "yhteystietotekstissä; tarkista se.",
        "{label}: svaret {raw_q} har utöver numret {number} också {more_q} (anknytning, växel, "
        "telefontid?). Bara {number} togs som telefonnummer och hela svaret finns i "
        "kontaktuppgifternas text; kontrollera det.",
        "{label}: {raw_q}: only {number} is the phone; {more_q} beside it (an extension, a "
        "switchboard, hours?) is kept in the contact text; check it.",
        {"raw": "09 123 4567 / 123", "number": "+358 9 1234567", "more": "123"}),
    "phone-zero-added": Text(
        "{label}: vastauksen {typed_q} alusta puuttuu nolla (Excel jättää sen pois, kun "
        "numero on tallennettu soluun lukuna). Puhelinnumeroksi otettiin {number}; tarkista, "
        "että se on oikein.",
        "{label}: svaret {typed_q} saknar nollan i början (Excel tar bort den när numret "
        "sparas som ett tal i cellen). Som telefonnummer togs {number}; kontrollera att det "
        "stämmer.",
        "{label}: {typed_q} has no leading 0 (Excel drops it when a cell stores the number "
        "as a number); taken as {number}; check it.",
        {"typed": "401234567", "number": "+358 40 1234567"}),
    "text-elsewhere": Text(
        "{label}: vastaus {value_q} viittaa muualla olevaan tekstiin (liitteeseen tai toiseen "
        "vastaukseen), jota käytännössä ei ole. Etsi teksti tai kysy sitä kunnalta.",
        "{label}: svaret {value_q} hänvisar till text på annat ställe (en bilaga, ett annat "
        "svar) som inte finns i praxisen. Leta upp texten eller fråga kommunen efter den.",
        "{label}: the answer {value_q} refers to text elsewhere (an attachment, another "
        "answer) that is not in this practice; find it or ask the municipality.",
        {"value": "ks. liite"}),
    "cell-error": Text(
        "{label}: vastaussolussa on vain taulukkolaskennan virhearvo {error_q}, joten vastaus on "
        "kadonnut jo kunnan tiedostossa (esimerkiksi kopioitaessa). Kysy vastausta kunnalta.",
        "{label}: svarscellen har bara Excels felvärde {error_q}, så svaret har försvunnit "
        "redan i kommunens fil (till exempel vid kopiering). Be kommunen om svaret.",
        "{label}: the answer cell holds only Excel's error value {error_q}, so the answer was "
        "lost in the municipality's file already (when copied, say); ask the municipality "
        "for it.",
        {"error": "#REF!"}),
    "answer-none": Text(
        "{label}: vastauksena on vain {value_q}, eli pakolliseen kohtaan ei oikeastaan "
        "vastattu. Teksti julkaistaisiin sellaisenaan; kysy vastausta kunnalta tai päätä, "
        "kelpaako se.",
        "{label}: svaret är bara {value_q}, alltså har den obligatoriska frågan egentligen "
        "inte besvarats. Texten skulle publiceras som den är; be kommunen om ett svar eller "
        "avgör om det duger.",
        "{label}: the answer is only {value_q}, so the required question is in effect "
        "unanswered; the text would be published as it is; ask the municipality for an "
        "answer or decide whether it will do.",
        {"value": "ei ole"}),
    "answer-none-emptied": Text(
        "{label}: vastauksena oli vain {value_q}, joten kohta jätettiin tyhjäksi eikä tekstiä "
        "julkaista. Teksti on tallessa tässä huomiossa ja kunnan lähettämässä tiedostossa; jos "
        "sillä on haluttu sanoa jotain, kysy kunnalta tarkempi vastaus.",
        "{label}: svaret var bara {value_q}, så fältet lämnades tomt och texten publiceras "
        "inte. Texten finns kvar i den här anmärkningen och i filen som kommunen skickade; om "
        "den ändå säger något, be kommunen om ett utförligare svar.",
        "{label}: the answer was only {value_q}, so the field was left empty and the text is "
        "not published; it is kept in this flag and in the file the municipality sent; if it "
        "says something after all, ask the municipality for a fuller answer.",
        {"value": "ei ole"}),
    # The reviewer's answer to ``answer-none-emptied`` (review import), its arguments kept.
    "answer-none-restored": Text(
        "{label}: vastauksena oli vain {value_q}, joten kohta jätettiin tyhjäksi. Arvioija "
        "palautti tekstin kohtaan seuraavassa versiossa.",
        "{label}: svaret var bara {value_q}, så fältet lämnades tomt. Granskaren satte "
        "tillbaka texten i fältet i nästa version.",
        "{label}: the answer was only {value_q}, so the field was left empty; the reviewer "
        "put the text back in the next version.",
        {"value": "ei ole"}),
    "row-cells-shifted": Text(
        "{label}: rivillä on {cells} solua, vaikka tiedoston muilla riveillä on {usual}. Jokin "
        "vastaus on luultavasti sisältänyt tiedoston erotinmerkin ilman lainausmerkkejä ja "
        "jakautunut kahteen soluun, joten sen jälkeiset vastaukset voivat olla väärissä "
        "kentissä. Tarkista rivin vastaukset tiedostosta.",
        "{label}: raden har {cells} celler, medan filens övriga rader har {usual}. Något svar "
        "innehöll troligen filens avgränsare utan citattecken och delades upp i två celler, så "
        "svaren efter det kan stå i fel fält. Kontrollera radens svar i filen.",
        "{label}: the row has {cells} cells where the file's other rows have {usual}; an answer "
        "probably held the file's separator unquoted and was split in two, so the answers after "
        "it may be in the wrong fields; check the row against the file.",
        {"cells": 7, "usual": 6}),
    "row-line-broken": Text(
        "{label}: rivi päättyy {cells} solun jälkeen, vaikka tiedoston muilla riveillä on "
        "{usual} solua, ja sen loppu näyttää olevan rivillä {rest}. Jokin vastaus on "
        "luultavasti sisältänyt rivinvaihdon ilman lainausmerkkejä, joten rivin viimeinen "
        "vastaus on vajaa eikä loppua luettu tähän käytäntöön. Tarkista rivin vastaukset "
        "tiedostosta.",
        "{label}: raden slutar efter {cells} celler, medan filens övriga rader har {usual}, och "
        "resten av den verkar stå på rad {rest}. Något svar innehöll troligen en radbrytning "
        "utan citattecken, så radens sista svar är ofullständigt och resten lästes inte in i "
        "den här praxisen. Kontrollera radens svar i filen.",
        "{label}: the row ends after {cells} cells where the file's other rows have {usual}, "
        "and its rest seems to be on row {rest}; an answer probably held a line break "
        "unquoted, so the row's last answer is cut short and the rest was not read into this "
        "practice; check the row against the file.",
        {"cells": 4, "usual": 6, "rest": "3"}),
    "time-unread": Text(
        "{label}: vastauksen aikaa {time_q} ei pystytty lukemaan, joten vastaus tallennettiin "
        "tiedoston niiden vastausten jälkeen, joiden aika luettiin. Jos se korjaa toisen "
        "vastauksen tai toinen korjaa sen, järjestys voi olla väärä. Tarkista aika "
        "tiedostosta.",
        "{label}: svarets tid {time_q} kunde inte läsas, så svaret sparades efter de svar i "
        "filen vars tid lästes. Om det rättar ett annat svar eller rättas av ett annat kan "
        "ordningen vara fel. Kontrollera tiden i filen.",
        "{label}: the response's time {time_q} could not be read, so the response was stored "
        "after the file's answers whose time was read; if it corrects another or another "
        "corrects it, their order may be wrong; check the time in the file.",
        {"time": "13/01/2024 09:00:00"}),
    "test-response": Text(
        "{label}: vastaus näyttää lomakkeen kokeilulta ({tried_q}). Koevastaus ei ole "
        "käytäntö; hylkää se, jos se on sellainen.",
        "{label}: svaret ser ut som ett test av formuläret ({tried_q}). Ett testsvar är ingen "
        "praxis; avvisa det om det är ett sådant.",
        "{label}: typed to try the form ({tried_q})? A test response is no practice; reject "
        "it if it is one.",
        {"tried": ["testi", "asdf"]}),
    "versions-one-message": Text(
        "{label}: samassa viestissä tuli tästä käytännöstä kaksi eri versiota ({earlier_q} ja "
        "{taken_q}). Nykyiseksi versioksi jäi viestin myöhempi liite {taken_q}; tarkista, "
        "kumpaa kunta tarkoitti.",
        "{label}: samma meddelande hade två olika versioner av praxisen ({earlier_q} och "
        "{taken_q}). Den senare bilagan {taken_q} blev gällande version; kontrollera vilken "
        "kommunen menade.",
        "{label}: one message brought two different versions of this practice ({earlier_q} "
        "and {taken_q}); the later attachment, {taken_q}, is the current version; check which "
        "one the municipality meant.",
        {"earlier": "vastaus_v2.xlsx", "taken": "vastaus_v1.xlsx"}),
    "several-numbered": Text(
        "{label}: vastauksessa on numeroituna useampi nimi ({titles_q}). Ne tallennettiin "
        "yhtenä käytäntönä; jos ne ovat eri käytäntöjä, pyydä kunnalta kustakin oma vastaus.",
        "{label}: svaret har flera numrerade namn ({titles_q}). De sparades som en och samma "
        "praxis; om det är flera olika exempel, be kommunen om ett svar för vart och ett.",
        "{label}: the answer numbers several names ({titles_q}); they were stored as one "
        "practice; if they are different practices, ask the municipality for an answer for "
        "each.",
        {"titles": ["Runotorstai", "Lukupiiri maahanmuuttajille"]}),
    "language-english": Text(
        "{label}: vastaus on kirjoitettu englanniksi. Kieleksi oletettiin {language}, mutta "
        "sivustolla julkaistaan vain suomen- ja ruotsinkielisiä käytäntöjä.",
        "{label}: svaret är skrivet på engelska. Som språk antogs {language}, men webbplatsen "
        "publicerar bara praxis på finska och svenska.",
        "{label}: the answer is written in English; {language} assumed, the site publishes "
        "only Finnish and Swedish.",
        {"language": "fi"}),
    "language-undecided": Text(
        "{label}: tekstistä ei voi päätellä, onko se suomea vai ruotsia. Kieleksi oletettiin "
        "{language}; tarkista kieli.",
        "{label}: det går inte att avgöra om texten är finska eller svenska. Som språk antogs "
        "{language}; kontrollera språket.",
        "{label}: the answer's text does not tell Finnish from Swedish; {language} assumed.",
        {"language": "fi"}),
    "formula": Text(
        "{label}: vastaus on taulukkolaskennan kaava ({formula_q}), jonka arvo on kadonnut tai "
        "virheellinen. Kaavan teksti säilytettiin; tarkista oikea vastaus kunnalta.",
        "{label}: svaret är en formel i ett kalkylblad ({formula_q}) vars värde har gått "
        "förlorat eller är ett fel. Formelns text har sparats; kontrollera det rätta svaret "
        "med kommunen.",
        "{label}: the answer is a spreadsheet formula ({formula_q}), its value was lost or an "
        "error; the formula's text is kept, check it with the municipality.",
        {"formula": "=- lapset ja nuoret"}),
    "formula-reference": Text(
        "{label}: vastaussolussa on kaava {formula_q}, joka hakee tekstinsä toisesta solusta. "
        "Vastaukseksi luettiin sen arvo {value_q} sellaisena kuin se oli tiedostoa "
        "viimeksi tallennettaessa; tarkista, että teksti kuuluu tähän kohtaan.",
        "{label}: svarscellen har formeln {formula_q}, som hämtar sin text från en annan cell. "
        "Som svar lästes dess värde {value_q} så som det var när filen senast sparades; "
        "kontrollera att texten hör till den här frågan.",
        "{label}: the answer cell holds the formula {formula_q}, which takes its text from "
        "another cell; its value {value_q}, as it was when the file was last saved, was read "
        "as the answer; check that the text belongs to this question.",
        {"formula": "=Taul1!B4", "value": "Lukupiiri"}),
    "choice-codes": Text(
        "{label}: vastauksessa on valintojen koodit ({codes}) ilman niiden tekstejä, joten "
        "valintoja ei luettu. Koodit voi lukea vain kyselyn rakennetiedoston avulla; "
        "tarkista valinnat kunnalta.",
        "{label}: svaret har valens koder ({codes}) utan deras texter, så valen lästes inte. "
        "Koderna kan bara läsas med enkätens strukturfil; kontrollera valen med kommunen.",
        "{label}: choice codes without their texts ({codes}): give the survey structure.",
        {"codes": ["SQ001", "SQ004"]}),
    "consent-unclear": Text(
        "{label}: vastausta {answer_q} ei voi lukea kyllä- eikä ei-vastaukseksi. "
        "Yhteystietoja ei julkaista, ennen kuin arvioija vahvistaa luvan.",
        "{label}: svaret {answer_q} kan inte läsas som ja eller nej. Kontaktuppgifterna "
        "publiceras inte förrän en granskare har bekräftat tillståndet.",
        "{label}: consent answer {answer_q} is neither a yes nor a no; not published until a "
        "reviewer confirms it.",
        {"answer": "kysyn esimieheltä"}),
    "reread-differs": Text(
        "{label}: tiedosto luettiin uudelleen ohjelman uudemmalla versiolla, ja nyt siitä "
        "luettiin {now_q}; käytännön versiossa {version} on {was_q}. Käytäntöä ei muutettu, "
        "koska siitä on jo päätetty tai sitä on myöhemmin korjattu; tarkista, kumpi on oikein.",
        "{label}: filen lästes på nytt med en nyare version av programmet och nu lästes "
        "{now_q}; i version {version} av praxisen står {was_q}. Praxisen ändrades inte, "
        "eftersom det redan finns ett beslut om den eller den har rättats senare; kontrollera "
        "vilket som är rätt.",
        "{label}: the file, read again by a newer version of the program, now gives {now_q}; "
        "version {version} of the practice has {was_q}. Not changed, since it was decided or "
        "corrected later; check which is right.",
        {"now": "09 123 4567", "was": "–", "version": 1, "status": "approved"}),
    # The reviewers' answers to ``reread-differs`` (review import), its arguments kept.
    "reread-kept": Text(
        "{label}: tiedosto luettiin uudelleen, ja nyt siitä luettiin {now_q}. Arvioija "
        "päätti pitää version {version} tekstin {was_q}.",
        "{label}: filen lästes på nytt och nu lästes {now_q}. Granskaren beslöt att behålla "
        "texten {was_q} i version {version}.",
        "{label}: the file read again gives {now_q}; the reviewer kept {was_q} of version "
        "{version}.",
        {"now": "09 123 4567", "was": "–", "version": 1}),
    "reread-taken": Text(
        "{label}: tiedosto luettiin uudelleen, ja nyt siitä luettiin {now_q}; versiossa "
        "{version} oli {was_q}. Arvioija otti uuden tekstin käyttöön seuraavaan versioon.",
        "{label}: filen lästes på nytt och nu lästes {now_q}; i version {version} stod "
        "{was_q}. Granskaren tog den nya texten i bruk i nästa version.",
        "{label}: the file read again gives {now_q}; version {version} had {was_q}; the "
        "reviewer took the new reading into the next version.",
        {"now": "09 123 4567", "was": "–", "version": 1}),
    # Said by ``review export`` (never stored): an answer longer than a spreadsheet cell.
    "cut-in-workbook": Text(
        "{label}: tekstissä on {length} merkkiä, ja taulukon soluun mahtuu {limit}, joten "
        "solussa näkyy vain tekstin alku (…). Koko tekstin näet komennolla {command}.",
        "{label}: texten har {length} tecken och en cell i kalkylbladet rymmer {limit}, så "
        "cellen visar bara början av texten (…). Hela texten visas med kommandot {command}.",
        "{label}: the text has {length} characters and a spreadsheet cell holds {limit}, so "
        "the cell shows only its beginning (…); the whole text: {command}.",
        {"length": "40 000", "limit": "32 767", "command": "yhteistuumin practices show 12"}),
    "another-practice-over-copy": Text(
        "{label}: kunnan kyselyn välilehti {sheet_q} on saapunut aiemmin toisen käytännön "
        "kanssa (#{id}). Onko tämä toinen käytäntö, joka on kirjoitettu tiedoston kopion "
        "päälle, vai korjaus käytäntöön #{id}? Molemmat säilytettiin; jos kyse on korjauksesta, "
        "hylkää #{id}.",
        "{label}: fliken {sheet_q} i kommunens enkät har kommit tidigare med ett annat "
        "exempel (#{id}). Är det här ett nytt exempel som skrivits över en kopia av filen, "
        "eller en korrigering av #{id}? Båda sparades; om det är en korrigering, avslå #{id}.",
        "{label}: sheet {sheet_q} of this municipality's questionnaire came before with "
        "another practice (#{id}): a second practice typed over a copy of the file, or a "
        "correction of #{id}? Both are kept; if a correction, reject #{id}.",
        {"sheet": "Käytäntö 1", "id": 12}),
    "other-unnamed": Text(
        "{label}: kohta {option_q} on rastitettu, mutta ryhmää ei ole nimetty. Kysy kunnalta, "
        "mitä ryhmää tarkoitetaan.",
        "{label}: {option_q} är ikryssat, men ingen grupp anges. Fråga kommunen vilken grupp "
        "som avses.",
        "{label}: {option_q} is ticked but no group is named; ask the municipality which.",
        {"option": "Muu, mikä?"}),
    "tick-text": Text(
        "{label}: rivillä {option_q} on rastin sijasta teksti {value_q}. Teksti luettiin "
        "vastaukseksi sellaisenaan; tarkista, tarkoittiko vastaaja rastia.",
        "{label}: på raden {option_q} står texten {value_q} i stället för ett kryss. Texten "
        "lästes som svar som den står; kontrollera om den svarande menade ett kryss.",
        "{label}: the row {option_q} holds the text {value_q}, not a tick; the text was read "
        "as the answer as it is; check whether a tick was meant.",
        {"option": "Kaikki asukkaat", "value": "joo"}),
    "heading-close-spelling": Text(
        "{label}: vastaus luettiin otsikon {heading_q} alta, koska otsikko muistuttaa tämän "
        "kysymyksen otsikkoa. Tarkista, että vastaus on oikeassa kentässä.",
        "{label}: svaret lästes under rubriken {heading_q}, eftersom rubriken liknar den här "
        "frågans rubrik. Kontrollera att svaret står i rätt fält.",
        "{label}: heading {heading_q} read as {question} by a close spelling ({score}); "
        "check it.",
        {"heading": "Avainsanoja", "question": "keywords", "score": 87}),
    "heading-inflected": Text(
        "{label}: vastaus luettiin otsikon {heading_q} alta, koska otsikko alkaa tämän "
        "kysymyksen otsikon sanalla taivutettuna. Tarkista, että vastaus on oikeassa "
        "kentässä.",
        "{label}: svaret lästes under rubriken {heading_q}, eftersom rubriken börjar med ett "
        "ord i den här frågans rubrik i en annan form. Kontrollera att svaret står i rätt "
        "fält.",
        "{label}: heading {heading_q} read as {question} by a word it begins with ({score}); "
        "check it.",
        {"heading": "Tavoitteena", "question": "goal", "score": 8}),
    "number-cell": Text(
        "{label}: vastaussolussa on luku tai päivämäärä eikä tekstiä. Excel on voinut muuttaa "
        "kirjoitetun tekstin (15 %, 2 000 €, 1.3.) sellaiseksi; tarkista arvo ja sen yksikkö.",
        "{label}: svarscellen innehåller ett tal eller ett datum och ingen text. Excel kan ha "
        "gjort om det som skrevs (15 %, 2 000 €, 1.3.) till det; kontrollera värdet och dess "
        "enhet.",
        "{label}: the answer cell holds a number or a date, not text: Excel may have turned "
        "what was typed (15 %, 2 000 €, 1.3.) into it; check the value and its unit.",
        {}),
}

#: Plain flags, by name; ``{arg}`` is what follows the name's colon (a field's label for
#: the flags of a field, the id of a practice, a note as typed).
PLAIN_TEXTS: dict[str, Text] = {
    "municipality-unresolved": Text(
        "{label}: kuntaa ei tunnistettu vastauksesta. Tarkista kunta ja korjaa se.",
        "{label}: kommunen kändes inte igen i svaret. Kontrollera kommunen och rätta den.",
        "{label}: no municipality recognised in the answer; check it and correct it."),
    "municipality-ambiguous": Text(
        "{label}: vastaus sopii useampaan kuntaan. Tarkista, mikä kunta on oikea.",
        "{label}: svaret passar flera kommuner. Kontrollera vilken kommun som är rätt.",
        "{label}: the answer fits more than one municipality; check which is right."),
    "contact-in-title": Text(
        "{label}: nimessä mainitaan yhteyshenkilö, joka ei ole antanut lupaa julkaista "
        "tietojaan, joten nimi piilotetaan julkaistusta otsikosta. Kirjoita käytännölle uusi "
        "nimi sarakkeeseen Korjattu nimi.",
        "{label}: namnet nämner kontaktpersonen, som inte har gett tillstånd att publicera sina "
        "uppgifter, så namnet döljs i den publicerade rubriken. Skriv ett nytt namn i "
        "kolumnen Korjattu nimi.",
        "{label}: the title names the contact, who has not agreed to be published, so the name "
        "is hidden in the published title; write a new title in 'Korjattu nimi'."),
    "new-version-since-decision": Text(
        "Käytännöstä on tullut uusi versio päätöksen jälkeen. Arvioi se uudelleen.",
        "En ny version av praxisen har kommit efter beslutet. Granska den på nytt.",
        "A new version came in after the decision; review it again."),
    "no-consent": Text(
        "{label}: yhteystietoja ei saa julkaista, joten ne jäävät pois sivustolta.",
        "{label}: kontaktuppgifterna får inte publiceras, så de lämnas bort från webbplatsen.",
        "{label}: no consent to publish the contact details; they are left off the site."),
    "consent-unknown": Text(
        "{label}: vastaus on tyhjä, joten julkaisulupaa ei ole. Yhteystietoja ei julkaista, "
        "ellei kunta anna lupaa.",
        "{label}: svaret är tomt, så tillstånd att publicera saknas. Kontaktuppgifterna "
        "publiceras inte om kommunen inte ger tillstånd.",
        "{label}: the answer is empty, so there is no consent; the contact details are not "
        "published unless the municipality gives it."),
    "contact-email-invalid": Text(
        "{label}: sähköpostiosoite on virheellinen. Tarkista se kunnalta.",
        "{label}: e-postadressen är felaktig. Kontrollera den med kommunen.",
        "{label}: the email address is not valid; check it with the municipality."),
    "contact-phone-invalid": Text(
        "{label}: puhelinnumero on virheellinen. Tarkista se kunnalta.",
        "{label}: telefonnumret är felaktigt. Kontrollera det med kommunen.",
        "{label}: the phone number is not valid; check it with the municipality."),
    "from-email-text": Text(
        "Vastaus luettiin sähköpostiviestin tekstistä. Tarkista, että kentät on luettu oikein.",
        "Svaret lästes ur e-postmeddelandets text. Kontrollera att fälten lästes rätt.",
        "Read from the text of an email message; check that the fields were read right."),
    "hidden-sheet": Text(
        "Käytäntö luettiin piilotetulta välilehdeltä. Tarkista, halusiko kunta lähettää sen.",
        "Praxisen lästes från en dold flik. Kontrollera att kommunen ville skicka den.",
        "Read from a hidden sheet; check that the municipality meant to send it."),
    "required-missing": Text(
        "{label}: pakollinen vastaus puuttuu.",
        "{label}: ett obligatoriskt svar saknas.",
        "{label}: a required answer is missing.",
        {"arg": "goal"}),
    "too-long": Text(
        "{label}: vastaus on pidempi kuin kysymykselle sallitaan. Lyhennä sitä tai pyydä "
        "kunnalta lyhyempi.",
        "{label}: svaret är längre än frågan tillåter. Förkorta det eller be kommunen om ett "
        "kortare.",
        "{label}: the answer is longer than the question allows; shorten it or ask the "
        "municipality for a shorter one.",
        {"arg": "summary"}),
    # Text beside an answer cell, or in a form export's column that no question is (its
    # heading as the label: "Vastaajan nimi"): said so that it fits both.
    "note": Text(
        "{label}: vastauksen ohessa oli lisäksi kirjoitettu: {arg}",
        "{label}: tillsammans med svaret stod också: {arg}",
        "{label}: also written with the answer: {arg}",
        {"arg": "goal:Tämä on luonnos"}),
    "possible-duplicate": Text(
        "Käytäntö voi olla sama kuin käytäntö #{arg}. Tarkista, onko se kaksoiskappale.",
        "Praxisen kan vara densamma som praxis #{arg}. Kontrollera om den är en dubblett.",
        "Possibly the same as practice #{arg}; check whether it is a duplicate.",
        {"arg": "12"}),
    "choice-value-unclear": Text(
        "{label}: valintasarakkeiden arvoista ei voi päätellä, onko valinta tehty ({arg}). "
        "Tarkista valinnat.",
        "{label}: av värdena i valkolumnerna går det inte att avgöra om valet är gjort "
        "({arg}). Kontrollera valen.",
        "{label}: the values of choice columns tell no choice made or not made ({arg}); "
        "check the choices.",
        {"arg": "Lapset: 'ehkä'"}),
}

#: The field each plain flag is about, when the flag does not name one.
_PLAIN_FIELDS = {"municipality-unresolved": "municipalities", "contact-in-title": "title",
                 "municipality-ambiguous": "municipalities",
                 "choice-value-unclear": "target_group", "no-consent": "publish_consent",
                 "consent-unknown": "publish_consent",
                 "contact-email-invalid": "contact_email",
                 "contact-phone-invalid": "contact_phone"}
#: Plain flags whose argument is a field id (``required-missing:goal``).
_FIELD_ARG = frozenset({"required-missing", "too-long"})

#: Field labels when the caller gives none for a field: the bundled survey's card labels, and
#: the fields that are no question (the answer's language, its row of a table file).
DEFAULT_LABELS: dict[str, dict[str, str]] = {
    "fi": {"municipalities": "Kunnat", "title": "Käytännön nimi", "keywords": "Avainsanat",
           "target_group": "Kenelle", "goal": "Tavoite",
           "summary": "Hyvä käytäntö pähkinänkuoressa", "implementation": "Toteuttaminen",
           "resources": "Resurssit", "experiences": "Kokemuksia", "benefits": "Hyödyt",
           "contact_name": "Yhteystiedot", "contact_email": "Sähköposti",
           "contact_phone": "Puhelin", "contact_text": "Yhteystiedot",
           "publish_consent": "Lupa julkaista yhteystiedot", "language": "Kieli",
           "row": "Vastausrivi"},
    "sv": {"municipalities": "Kommuner", "title": "Praxisens namn", "keywords": "Nyckelord",
           "target_group": "För vem", "goal": "Mål", "summary": "Den goda praxisen i ett nötskal",
           "implementation": "Genomförande", "resources": "Resurser",
           "experiences": "Erfarenheter", "benefits": "Nytta", "contact_name": "Kontaktuppgifter",
           "contact_email": "E-post", "contact_phone": "Telefon",
           "contact_text": "Kontaktuppgifter",
           "publish_consent": "Tillstånd att publicera kontaktuppgifter", "language": "Språk",
           "row": "Svarsraden"},
    "en": {},  # English output names the field by its id (contact_phone), as the CLI does
}

#: A language's name in each language (for ``{language}`` of the language flags).
_LANGUAGE_NAMES = {"fi": {"fi": "suomi", "sv": "ruotsi", "en": "englanti"},
                   "sv": {"fi": "finska", "sv": "svenska", "en": "engelska"},
                   "en": {"fi": "Finnish", "sv": "Swedish", "en": "English"}}
#: Shown before a flag an older version stored as an English sentence.
_LEGACY = {"fi": "tarkista", "sv": "kontrollera", "en": "check"}


@dataclass(frozen=True)
class Flag:
    """A stored flag read: its name (``unsure``, ``no-consent`` …), the field it is about,
    the code and arguments of a coded flag, and the text of an older free-text one."""

    raw: str
    name: str
    field: str | None = None
    code: str | None = None
    args: dict[str, Any] = _field(default_factory=dict)
    legacy: str | None = None  # an older version's English reason, as stored
    arg: str = ""  # a plain flag's argument (after its colon)

    @property
    def short(self) -> str:
        """The flag without its arguments and texts (``unsure:contact_phone:phone-extra``)."""
        if self.name == UNSURE:
            return f"{UNSURE}:{self.field}" + (f":{self.code}" if self.code else "")
        if self.name == "note":
            return f"note:{self.field}"
        return self.raw

    def to_dict(self, labels: Mapping[str, str] | None = None) -> dict[str, Any]:
        """The flag for ``--format json``: as stored, its parts, and the English reason."""
        return {"flag": self.raw, "short": self.short, "name": self.name, "field": self.field,
                "code": self.code, "args": self.args, "reason": render(self, "en", labels)}


def _encode(code: str, args: Mapping[str, Any]) -> str:
    return code + json.dumps(args, ensure_ascii=False, separators=(",", ":"), default=str)


def reason(code: str, **args: Any) -> str:
    """The part of an ``unsure`` flag after its field: ``<code>{<arguments as JSON>}``.

    Raises ValueError for a code with no text or arguments its texts do not name (a mistake
    in the code, never in what was typed)."""
    text = UNSURE_TEXTS.get(code)
    if text is None:
        raise ValueError(f"unknown flag code {code!r}; add its texts to flags.UNSURE_TEXTS")
    missing = set(text.example) - set(args)
    if missing:
        raise ValueError(f"flag code {code!r} needs {', '.join(sorted(missing))}")
    return _encode(code, args)


def unsure(field_id: str, code: str, **args: Any) -> str:
    """Make the flag for a value of ``field_id`` ingest was not sure of:
    ``unsure:<field>:<code>{…}`` (see :data:`UNSURE_TEXTS` for the codes)."""
    return f"{UNSURE}:{field_id}:{reason(code, **args)}"


def unsure_with(field_id: str, coded_reason: str) -> str:
    """The flag of a reason :func:`reason` made earlier (a reader keeps the reason, the
    practice's field comes later)."""
    return f"{UNSURE}:{field_id}:{coded_reason}"


def parse(flag: str) -> Flag:
    """Read a stored flag, of this version or an older one; never raises."""
    raw = str(flag)
    name, _, arg = raw.partition(":")
    if name != UNSURE:
        field_id = (arg if name in _FIELD_ARG else arg.partition(":")[0] if name == "note"
                    else _PLAIN_FIELDS.get(name))
        return Flag(raw, name, field=field_id or None, arg=arg)
    field_id, _, rest = arg.partition(":")
    match = _CODED.match(rest)
    if match:
        try:
            args = json.loads(match.group(2))
        except ValueError:
            args = None
        if isinstance(args, dict):
            return Flag(raw, name, field=field_id, code=match.group(1), args=args)
    return Flag(raw, name, field=field_id, legacy=rest)


def map_values(flag: str, change: Callable[[str], str]) -> str:
    """The flag with ``change`` made to what was typed in it: a coded flag's values (each
    text; the code, the field and the JSON stay whole), a note, an older flag's reason, the
    cells of ``choice-value-unclear``. A flag of codes alone is returned as it is."""
    read = parse(flag)
    if read.name == UNSURE and read.code is not None:
        def changed(value: Any) -> Any:
            if isinstance(value, str):
                return change(value)
            return [changed(item) for item in value] if isinstance(value, list) else value

        args = {key: changed(value) for key, value in read.args.items()}
        return flag if args == read.args else unsure_with(read.field or "",
                                                          _encode(read.code, args))
    if read.name in (UNSURE, "note", "choice-value-unclear"):
        return change(read.raw)
    return read.raw


def describe(flag: str | Flag, language: str = "fi",
             labels: Mapping[str, str] | None = None) -> str:
    """Say a flag in ``language`` (fi, sv or en): one sentence or two, the field named by its
    label in that language (``labels`` first, then the bundled survey's), values quoted as
    they were typed."""
    return render(flag if isinstance(flag, Flag) else parse(flag), language, labels)


def describe_all(flags: Iterable[str], language: str = "fi",
                 labels: Mapping[str, str] | None = None) -> list[str]:
    """Say each flag once (two flags saying the same are said once), in their order."""
    return list(dict.fromkeys(describe(flag, language, labels) for flag in flags))


def render(flag: Flag, language: str, labels: Mapping[str, str] | None = None) -> str:
    language = language if language in LANGUAGES else "fi"

    def label(field_id: str | None) -> str:
        if not field_id:
            return ""
        if labels and labels.get(field_id):
            return labels[field_id]
        return DEFAULT_LABELS[language].get(field_id, field_id)

    if flag.name == UNSURE:
        if flag.code is None:
            return f"{_LEGACY[language]} ({label(flag.field)}): {flag.legacy}"
        text = UNSURE_TEXTS.get(flag.code)
        if text is None:  # a code of a newer version: shown as it is
            shown = json.dumps(flag.args, ensure_ascii=False)
            return f"{_LEGACY[language]} ({label(flag.field)}): {flag.code} {shown}"
        return _fill(text.template(language), flag.args, label(flag.field), language)
    plain = PLAIN_TEXTS.get(flag.name)
    if plain is None or (flag.arg and "{arg}" not in plain.template(language)
                         and flag.name not in _FIELD_ARG):
        return flag.raw
    arg = flag.arg
    if flag.name == "note":
        arg = arg.partition(":")[2]
    elif flag.name == "possible-duplicate":
        arg = arg.lstrip("#")
    return _fill(plain.template(language), {"arg": arg}, label(flag.field), language)


def _quote(value: Any) -> str:
    return f"'{value}'"


def _fill(template: str, args: Mapping[str, Any], label: str, language: str) -> str:
    values: dict[str, Any] = {"label": label}
    for key, value in args.items():
        items = value if isinstance(value, list | tuple) else [value]
        values[key] = ", ".join(str(item) for item in items)
        values[f"{key}_q"] = ", ".join(_quote(item) for item in items)
    if "language" in args:
        values["language"] = _LANGUAGE_NAMES[language].get(str(args["language"]),
                                                           str(args["language"]))
    try:
        text = template.format_map(values)
    except (KeyError, IndexError, ValueError):  # arguments of another version of the code
        return f"{label}: {json.dumps(dict(args), ensure_ascii=False)}"
    return text.replace(" ()", "")  # an empty list in brackets: said without them
