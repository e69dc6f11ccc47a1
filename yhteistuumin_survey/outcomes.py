"""Why an ingest row or file came out as it did: coded reasons, said in the reader's language.

An ingest outcome's reason (the report's last column, ``Submission.reason``) is English text,
as the command line prints it and as older versions stored it. Each reason this module knows
is made here from its code (:func:`en`): a :class:`Reason`, the English text that carries the
code and values of each of its parts from where the outcome is made to the report, so that
rewording the English can never lose the Finnish or Swedish (:func:`describe`) or the code in
``ingest --format json`` (:func:`to_dicts`). Parts are joined with :func:`join` (``"; "``
between them), which keeps them. Only text that comes without its codes (a reason stored by an
older version, read from the database) is read back from the English (:func:`parse`); a part
no code makes (an error naming a file) is kept as it is.

The texts of a code are :class:`flags.Text`, as the flags' are: one place for the words.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from .flags import Text

#: Every reason ingest gives with a code: the English is the exact text the command line says.
REASON_TEXTS: dict[str, Text] = {
    "token-unknown": Text(
        "Vastaustunnistetta ei tunnisteta (sitä ei ole lähetetty tästä työtilasta).",
        "Svarskoden känns inte igen (den har inte skickats från den här arbetsytan).",
        "unknown response token"),
    "metadata-code-gone": Text(
        "Kyselyn piilotiedoissa on kuntanumero {code}, joka ei ole enää voimassa.",
        "Enkätens dolda uppgifter har kommunnumret {code}, som inte längre gäller.",
        "metadata names municipality code {code}, not in force",
        {"code": "049"}),
    "token-over-metadata": Text(
        "Vastaustunniste kertoo kunnan {token_code}, kyselyn piilotiedot kunnan {meta_code}; "
        "käytettiin vastaustunnistetta.",
        "Svarskoden anger kommunen {token_code}, enkätens dolda uppgifter kommunen "
        "{meta_code}; svarskoden användes.",
        "token says {token_code}, metadata {meta_code}: token used",
        {"token_code": "091", "meta_code": "049"}),
    "text-outside-cells": Text(
        "Vastaussolujen ulkopuolelle kirjoitettu teksti säilytettiin arvioijille huomautuksina; "
        "se ei ole vastauksissa.",
        "Text utanför svarscellerna sparades som anmärkningar för granskarna; den finns inte "
        "i svaren.",
        "text outside the answer cells kept as notes for the reviewers, not in the answers"),
    "hidden-sheet": Text(
        "Luettu piilotetulta välilehdeltä: tarkista, halusiko kunta lähettää sen.",
        "Läst från en dold flik: kontrollera att kommunen ville skicka den.",
        "read from a hidden sheet: check that the municipality meant to send it"),
    "response-unfinished": Text(
        "Vastausta ei lähetetty loppuun (lähetysaika puuttuu); se säilytettiin sellaisenaan "
        "eikä siitä tehty käytäntöä.",
        "Svaret skickades inte färdigt (inskickningstid saknas); det sparades som det är och "
        "blev ingen praxis.",
        "the response was not finished (no submit date); kept raw, not made into a practice"),
    "nothing-filled": Text(
        "Mitään ei ole täytetty; ei käytäntö.",
        "Inget är ifyllt; ingen praxis.",
        "nothing filled in; not a practice"),
    "text-only-outside": Text(
        "Vastaussoluissa ei ole vastausta; tekstiä on vain niiden ulkopuolella: {texts}. Lue "
        "se (practices list --status to-read), kirjoita vastaukset soluihin ja lue tiedosto "
        "uudelleen.",
        "Svarscellerna har inget svar; text finns bara utanför dem: {texts}. Läs den "
        "(practices list --status to-read), skriv in svaren i cellerna och läs in filen på "
        "nytt.",
        "no answer in the answer cells; text only outside them: {texts}; read it (practices "
        "list --status to-read), type the answers into the cells and ingest the file again",
        {"texts": "[tekstikenttä] Lukupiiri"}),
    "sheet-added": Text(
        "Kunta on lisännyt lomakkeeseen välilehden {sheet}, jonka teksti ei ole vastaus "
        "mihinkään lomakkeen kysymykseen: {texts}. Lue se (practices list --status to-read).",
        "Kommunen har lagt till fliken {sheet} i enkäten, och dess text hör inte till någon "
        "av enkätens frågor: {texts}. Läs den (practices list --status to-read).",
        "the municipality added the sheet {sheet}, whose text no question asks for: {texts}; "
        "read it (practices list --status to-read)",
        {"sheet": "'Lisätiedot'", "texts": "Näyttelyt vaihtuvat neljästi vuodessa."}),
    "same-content": Text(
        "Sama sisältö kuin käytännön {id} versiossa {version}.",
        "Samma innehåll som version {version} av praxis {id}.",
        "same content as practice {id} version {version}",
        {"id": "12", "version": "1"}),
    "same-content-older": Text(
        "Sama sisältö kuin käytännön {id} versiossa {version} (saapunut aiemmin; versio "
        "{newer} on uudempi).",
        "Samma innehåll som version {version} av praxis {id} (kommit tidigare; version "
        "{newer} är nyare).",
        "same content as practice {id} version {version} (received before; version {newer} "
        "is newer)",
        {"id": "12", "version": "1", "newer": "2"}),
    "replaces-version": Text(
        "Korvaa version {version}.",
        "Ersätter version {version}.",
        "replaces version {version}",
        {"version": "1"}),
    "back-to-review": Text(
        "Arvioijat olivat jo päättäneet ({status}): käytäntö palaa arvioitavaksi.",
        "Granskarna hade redan beslutat ({status}): praxisen granskas på nytt.",
        "reviewers had decided ({status}): back to review",
        {"status": "approved"}),
    "reread-differs": Text(
        "Luettiin uudelleen: eroaa aiemmasta luennasta kentissä {fields}.",
        "Lästes på nytt: skiljer sig från den tidigare läsningen i fälten {fields}.",
        "read again: differs from the earlier reading in {fields}",
        {"fields": "goal, contact_phone"}),
    "reread-kept": Text(
        "Luettiin uudelleen: eroaa versiosta {version} kentissä {fields}. Käytännöstä on jo "
        "päätetty tai myöhempi tiedosto on muuttanut sitä, joten sitä ei muutettu; ero "
        "merkittiin käytäntöön tarkistettavaksi.",
        "Lästes på nytt: skiljer sig från version {version} i fälten {fields}. Praxisen har "
        "redan ett beslut eller har ändrats av en senare fil, så den ändrades inte; "
        "skillnaden markerades på den för kontroll.",
        "read again: differs from version {version} in {fields}; the practice is decided or a "
        "later file changed it, so it is kept as it is and the difference is flagged on it",
        {"version": "1", "fields": "contact_phone"}),
    "reread-kept-flagged": Text(
        "Luettiin uudelleen: eroaa vain siinä, mikä on jo merkitty tarkistettavaksi; "
        "käytäntöä ei muutettu.",
        "Lästes på nytt: skiljer sig bara i det som redan är markerat för kontroll; praxisen "
        "ändrades inte.",
        "read again: differs only in what is already flagged; the practice is kept as it is"),
    "reread-new-flags": Text(
        "Luettiin uudelleen: sama sisältö kuin käytännön {id} versiossa {version}; siihen "
        "lisättiin uusia tarkistettavia kohtia: {count}.",
        "Lästes på nytt: samma innehåll som version {version} av praxis {id}; nya punkter "
        "att kontrollera lades till: {count}.",
        "read again: same content as practice {id} version {version}; new flags put on it: "
        "{count}",
        {"id": "12", "version": "1", "count": "1"}),
    "automatic-reply": Text(
        "Automaattinen vastaus ({kind}), ei vastaus kyselyyn; lue se, jos siinä on tietoa "
        "yhteyshenkilöstä (practices list --status to-read).",
        "Ett automatiskt svar ({kind}), inget svar på enkäten; läs det för nyheter om "
        "kontaktpersonen (practices list --status to-read).",
        "an automatic reply ({kind}), not an answer; read it for news of the contact "
        "(practices list --status to-read)",
        {"kind": "Auto-Submitted: auto-replied"}),
    "message-to-read": Text(
        "Viestissä ei ole liitettä eikä sen tekstistä tunnistettu vastausta; lue viesti "
        "(practices list --status to-read).",
        "Meddelandet har ingen bilaga och inget svar kändes igen i texten; läs meddelandet "
        "(practices list --status to-read).",
        "no attachment and no answer recognised in the text; read the message (practices "
        "list --status to-read)"),
    "message-to-read-pictures": Text(
        "Viestin liitteinä on vain kuvia tai käyntikortteja, eikä sen tekstistä tunnistettu "
        "vastausta; lue viesti (practices list --status to-read).",
        "Meddelandets bilagor är bara bilder eller visitkort, och inget svar kändes igen i "
        "texten; läs meddelandet (practices list --status to-read).",
        "the message's attachments are only pictures or contact cards and no answer was "
        "recognised in its text; read the message (practices list --status to-read)"),
    "forwarded": Text(
        "Viestin välitti {sender}; välitetty viesti on lähettäjältä {author}.",
        "Meddelandet vidarebefordrades av {sender}; det vidarebefordrade meddelandet är "
        "från {author}.",
        "forwarded by {sender}; the forwarded message is from {author}",
        {"sender": "kirjaamo@espoo.fi", "author": "kulttuuri@oulu.fi"}),
    "file-already-ingested": Text(
        "Sama sisältö kuin vastaanotetussa tiedostossa {id} ({status}); mikään ei muuttunut.",
        "Samma innehåll som den mottagna filen {id} ({status}); inget ändrades.",
        "same content as received file {id} ({status}); nothing changed",
        {"id": "3", "status": "ingested"}),
    "reread-hint": Text(
        "Tiedoston voi lukea uudelleen komennolla ingest --reread.",
        "Filen kan läsas in på nytt med kommandot ingest --reread.",
        "ingest --reread reads it again"),
    "file-reread": Text(
        "{file}: luettiin uudelleen (vastaanotettu tiedosto {id}): {counts}.",
        "{file}: lästes på nytt (mottagen fil {id}): {counts}.",
        "{file}: read again (received file {id}): {counts}",
        {"file": "vastaus.xlsx", "id": "3", "counts": "1 new version, 4 empty"}),
    "reread-not-found": Text(
        "Aiemman luennan käytäntöjä {ids} ei löytynyt tästä luennasta; ne pysyvät ennallaan.",
        "Praxis {ids} från den tidigare läsningen fanns inte i den här läsningen; de förblir "
        "som de är.",
        "practices {ids} of the earlier reading are not in this one and are kept as they are",
        {"ids": "#7"}),
    "reread-superseded": Text(
        "Aiemman luennan käsin luettaviksi jättämiä viestin tekstejä ei enää luetella ({count}), "
        "koska tämä luenta luki viestin mukana tulleen.",
        "Meddelandetexter som den tidigare läsningen lämnade att läsas för hand listas inte "
        "längre ({count}), eftersom den här läsningen läste det som kom med meddelandet.",
        "message texts the earlier reading left to read by hand no longer listed: {count} "
        "(this reading read what came with it)",
        {"count": "1"}),
    # A file that could not be read at all: the line names it first, as every error does.
    "no-such-file": Text(
        "{file}: tiedostoa tai kansiota ei löydy. Tarkista, onko polussa kirjoitusvirhe tai "
        "onko tiedosto siirretty tai nimetty uudelleen.",
        "{file}: filen eller mappen finns inte. Kontrollera om sökvägen är felstavad eller om "
        "filen har flyttats eller bytt namn.",
        "{file}: no such file or folder; check the path (a typo, or moved or renamed?)",
        {"file": "vastaus.xlsx"}),
    "file-open-in-excel": Text(
        "{file}: tiedostoa ei voi lukea, koska se on auki taulukko-ohjelmassa (sen vieressä "
        "on {lock}); sulje se ohjelmassa ja lue se uudelleen.",
        "{file}: filen kan inte läsas eftersom den är öppen i Excel ({lock} finns bredvid "
        "den); stäng den i Excel och läs in den på nytt.",
        "{file}: cannot be read: it is open in Excel ({lock} is beside it); close it in Excel "
        "and ingest it again",
        {"file": "vastaus.xlsx", "lock": "~$vastaus.xlsx"}),
    "file-permission-denied": Text(
        "{file}: tiedostoa ei voi lukea (ei lukuoikeutta); tarkista, kuka tiedoston omistaa, "
        "tai kopioi se paikkaan, josta sen voi lukea, ja lue kopio.",
        "{file}: filen kan inte läsas (behörighet saknas); kontrollera vem som äger filen, "
        "eller kopiera den till ett ställe där den kan läsas och läs in kopian.",
        "{file}: cannot be read (permission denied); check who owns the file, or copy it "
        "somewhere readable and ingest the copy",
        {"file": "vastaus.xlsx"}),
    "file-too-big": Text(
        "{file}: tiedoston koko on {size} megatavua, mikä ylittää {limit} megatavun rajan, "
        "joten sitä ei avattu; pyydä vastaukset pienempänä tiedostona.",
        "{file}: filen är {size} MB, över gränsen på {limit} MB, så den öppnades inte; be om "
        "svaren i en mindre fil.",
        "{file}: {size} MB is over the {limit} MB limit; not opened (ask for the answers in "
        "a smaller file)",
        {"file": "vastaus.xlsx", "size": "120", "limit": "100"}),
    "file-empty": Text(
        "{file}: tiedosto on tyhjä; pyydä lähettäjää lähettämään se uudelleen.",
        "{file}: filen är tom; be avsändaren skicka den på nytt.",
        "{file}: the file is empty; ask the sender to send it again",
        {"file": "vastaus.xlsx"}),
    "file-not-read": Text(
        "{file}: tiedostoa ei lueta automaattisesti (tiedostopääte: {suffix}). Avaa "
        "tallennettu kopio {copy}, kirjoita sen vastaukset kunnan kyselylomakkeeseen (tai "
        "pyydä lähettäjältä itse kyselylomake taulukkotiedostona) ja lue sitten lomake "
        "ohjelmaan.",
        "{file}: filen läses inte automatiskt (filändelse: {suffix}). Öppna den sparade "
        "kopian {copy}, skriv in svaren i kommunens enkät (eller be avsändaren om själva "
        "enkäten som kalkylbladsfil, .xlsx) och läs sedan in enkäten i programmet.",
        "{file}: a {suffix} file is not read automatically; open the copy kept as {copy} and "
        "type its answers into the municipality's questionnaire (or ask the sender for the "
        "questionnaire itself, as .xlsx), then ingest that",
        {"file": "vastaus.docx", "suffix": ".docx", "copy": "outputs/received/ab/vastaus.docx"}),
    "contact-card": Text(
        "{file}: käyntikortti, ei vastaus; sitä ei lueta. Kopio on tallennettu: "
        "{copy}.",
        "{file}: ett visitkort, inget svar; det läses inte. En kopia har sparats: "
        "{copy}.",
        "{file}: a contact card, not an answer; not read (kept as {copy})",
        {"file": "vastaus.eml » Matti Virtanen.vcf", "copy": "outputs/received/ab/kortti.vcf"}),
    "picture-beside-answer": Text(
        "{file}: kuva vastauksen rinnalla (allekirjoituksen logo?); sitä ei lueta. Kopio on "
        "tallennettu: {copy}. Katso kuva, jos viestin teksti viittaa siihen.",
        "{file}: en bild bredvid svaret (signaturens logotyp?); den läses inte. En kopia har "
        "sparats: {copy}. Titta på bilden om meddelandets text hänvisar till den.",
        "{file}: a picture beside the answer (the signature's logo?), not read (kept as "
        "{copy}); look at it if the message's text refers to it",
        {"file": "vastaus.eml » image001.png", "copy": "outputs/received/ab/image001.png"}),
    "row-rest-of-previous": Text(
        "Rivi näyttää olevan rivin {row} loppu: jokin vastaus on luultavasti sisältänyt "
        "rivinvaihdon ilman lainausmerkkejä. Rivi säilytettiin sellaisenaan eikä siitä tehty "
        "käytäntöä; tarkista rivin {row} vastaukset tiedostosta.",
        "Raden verkar vara slutet av rad {row}: något svar innehöll troligen en radbrytning "
        "utan citattecken. Raden sparades som den är och blev ingen praxis; kontrollera "
        "svaren på rad {row} i filen.",
        "the row seems to be the rest of row {row} (an answer held a line break unquoted); "
        "kept raw, not made into a practice; check row {row} against the file",
        {"row": 2}),
    "file-no-data": Text(
        "{file}: tiedostossa ei ole tietoja; pyydä lähettäjältä täytetty tiedosto.",
        "{file}: filen innehåller inga uppgifter; be avsändaren om den ifyllda filen.",
        "{file}: the file has no data; ask the sender for the filled file",
        {"file": "vastaus.xlsx"}),
    "no-questions-recognised": Text(
        "{file}: tiedostosta ei tunnistettu kyselyn kysymyksiä (se ei ole kyselylomakkeemme "
        "eikä tunnetun lomakepalvelun vienti, eikä siinä ole kysymyksiltä näyttäviä "
        "otsikoita); valitse lukutapa valitsimella (--source).",
        "{file}: inga av enkätens frågor kändes igen (filen är varken vår enkät eller en "
        "export från en känd formulärtjänst och har inga rubriker som liknar frågor); välj "
        "läsare med flaggan (--source).",
        "{file}: no survey questions recognised (neither our questionnaire nor a known form "
        "export nor question-like headers); use --source to force a reader",
        {"file": "taulukko.xlsx"}),
    "contact-list-given": Text(
        "{file}: tiedosto on yhteystietoluettelo eikä vastauksia (sarakkeet {columns}; "
        "käytäntöjä ei ole); lue se komennolla 'yhteistuumin register contacts {file}', tai "
        "anna valitsin --source table, jos siinä sittenkin on vastauksia.",
        "{file}: filen är en kontaktlista och innehåller inga svar (kolumnerna {columns}; "
        "inga exempel); läs in den med 'yhteistuumin register contacts {file}', eller ange "
        "--source table om den ändå innehåller svar.",
        "{file}: a contact list, not answers (columns {columns}: no practice in them); import "
        "it with 'yhteistuumin register contacts {file}', or give --source table if it holds "
        "answers",
        {"file": "yhteystiedot.xlsx", "columns": "Kunta, Nimi, Sähköposti"}),
    "workbook-encrypted": Text(
        "{file}: työkirja on salattu (suojattu salasanalla); pyydä lähettäjää tallentamaan se "
        "ilman salasanaa.",
        "{file}: arbetsboken är krypterad (lösenordsskyddad); be avsändaren spara den utan "
        "lösenord.",
        "{file}: the workbook is encrypted (password-protected); ask the sender to save it "
        "without a password",
        {"file": "vastaus.xlsx"}),
    "not-a-spreadsheet": Text(
        "{file}: tiedosto ei ole taulukko vaan {what}; pyydä lähettäjältä itse "
        "taulukkotiedosto.",
        "{file}: filen är inget kalkylblad utan {what}; be avsändaren om själva "
        "kalkylbladsfilen.",
        "{file}: not a spreadsheet but {what}; ask for the Excel file itself",
        {"file": "vastaus.xlsx", "what": "a PDF document"}),
    "html-as-spreadsheet": Text(
        "{file}: tiedosto on taulukon nimellä tallennettu HTML-sivu (verkkopalvelun "
        "Excel-vienti); avaa se Excelissä tai LibreOfficessa, tallenna se .xlsx-muodossa ja "
        "lue tallennettu tiedosto.",
        "{file}: filen är en HTML-sida sparad under ett kalkylblads namn (en webbtjänsts "
        "Excel-export); öppna den i Excel eller LibreOffice, spara den som .xlsx och läs in den "
        "sparade filen.",
        "{file}: an HTML page saved under a spreadsheet's name (a web system's Excel export); "
        "open it in Excel or LibreOffice, save it as .xlsx and use that file instead",
        {"file": "vienti.xls"}),
    "workbook-unreadable": Text(
        "{file}: työkirjaa ei voi lukea ({error}); avaa se taulukko-ohjelmassa ja tallenna "
        "se uudelleen.",
        "{file}: arbetsboken kan inte läsas ({error}); öppna den i ett kalkylprogram och "
        "spara den på nytt som .xlsx.",
        "{file}: cannot read the workbook ({error}); open it in Excel and save it again as "
        ".xlsx",
        {"file": "vastaus.xlsx", "error": "Invalid OLE header"}),
    "message-empty": Text(
        "{file}: viestissä ei ole liitettä eikä tekstiä; pyydä lähettäjää liittämään "
        "kyselylomake.",
        "{file}: meddelandet har ingen bilaga och ingen text; be avsändaren bifoga enkäten.",
        "{file}: the message has no attachment and no text; ask the sender to attach the "
        "questionnaire",
        {"file": "vastaus.eml"}),
    "keywords-unlinked": Text(
        "Asiasanastossa (survey/keywords.yaml) ei ole käsitettä näille avainsanoille: "
        "{keywords}. Ne säilytettiin kirjoitettuina; lisää ne asiasanastoon, jos ne kuuluvat "
        "sinne.",
        "Ordlistan (survey/keywords.yaml) har inget begrepp för dessa nyckelord: {keywords}. "
        "De sparades som de skrevs; lägg till dem i ordlistan om de hör dit.",
        "keywords with no concept in survey/keywords.yaml (kept as typed; add them there if "
        "they belong): {keywords}",
        {"keywords": "sirkus, taidekasvatus"}),
    # What a run could not start on: links in a folder, nothing named, Ctrl-C.
    "link-missing": Text(
        "{file}: linkki kohteeseen {target}, jota ei ole; ohitettiin.",
        "{file}: en länk till {target}, som inte finns; hoppades över.",
        "{file}: a link to {target}, which does not exist; skipped",
        {"file": "vastaukset/espoo.xlsx", "target": "/mnt/levy/espoo.xlsx"}),
    "link-outside": Text(
        "{file}: linkki kohteeseen {target}, joka on kansion {folder} ulkopuolella; ohitettiin "
        "(kopioi tiedosto kansioon, jos haluat lukea sen).",
        "{file}: en länk till {target}, utanför mappen {folder}; hoppades över (kopiera filen "
        "till mappen för att läsa in den).",
        "{file}: a link to {target}, outside {folder}; skipped (copy the file into the folder "
        "to ingest it)",
        {"file": "vastaukset/espoo.xlsx", "target": "/home/eeva/espoo.xlsx",
         "folder": "vastaukset"}),
    "no-files": Text(
        "Luettavia tiedostoja ei ole; anna tiedostot tai kansiot, joissa niitä on.",
        "Inga filer att läsa in; ange filer eller mappar som innehåller dem.",
        "no files to ingest; name files or folders that hold them"),
    "interrupted": Text(
        "Keskeytetty (Ctrl-C); tässä luettelemattomia tiedostoja ei luettu (seuraava "
        "lukukerta lukee ne).",
        "Avbruten (Ctrl-C); filerna som inte listas här lästes inte (nästa inläsning läser "
        "dem).",
        "interrupted (Ctrl-C); the files not listed here were not read (the next run reads "
        "them)"),
    "sheet-meta-differs": Text(
        "Välilehdelle kirjoitettu {item} on {typed}, kyselyn piilotiedoissa {hidden}; "
        "käytettiin piilotietoja.",
        "Fliken anger {item} {typed}, enkätens dolda uppgifter {hidden}; de dolda uppgifterna "
        "användes.",
        "the sheet says {item} {typed}, the hidden metadata {hidden}: the hidden metadata used",
        {"item": "municipality_code", "typed": "'091'", "hidden": "'049'"}),
    "no-question-headings": Text(
        "Yksikään sarakeotsikko ei vastaa kyselyn kysymystä; nimeä sarakkeet kysymysten "
        "mukaan (esimerkiksi 'Käytännön nimi', 'Tavoite') tai valitse lukutapa "
        "valitsimella (--source).",
        "Ingen kolumnrubrik motsvarar en fråga i enkäten; namnge kolumnerna som frågorna "
        "(till exempel 'Käytännön nimi', 'Tavoite') eller välj läsare med flaggan "
        "(--source).",
        "no column heading matches a survey question; name the columns like the questions "
        "(e.g. 'Käytännön nimi', 'Tavoite') or use --source"),
    "rows-above-first-question": Text(
        "Välilehdellä {sheet} on ensimmäisen kysymyksen yläpuolella {count} riviä, joilla on "
        "tekstiä otsikkosarakkeen vieressä; niitä ei luettu vastauksiksi (ne säilytettiin "
        "raakatietoina).",
        "Fliken {sheet} har {count} rader med text bredvid rubrikkolumnen ovanför den första "
        "frågan; de lästes inte som svar (de sparades i rådata).",
        "sheet {sheet}: {count} rows with text beside the label column above the first "
        "question not read as answers (kept in the raw record)",
        {"sheet": "'Käytäntö 1'", "count": "3"}),
    "row-above-first-question": Text(
        "Välilehdellä {sheet} on ensimmäisen kysymyksen yläpuolella rivi, jolla on tekstiä "
        "otsikkosarakkeen vieressä; sitä ei luettu vastaukseksi (se säilytettiin "
        "raakatietona).",
        "Fliken {sheet} har en rad med text bredvid rubrikkolumnen ovanför den första frågan; "
        "den lästes inte som svar (den sparades i rådata).",
        "sheet {sheet}: 1 row with text beside the label column above the first question not "
        "read as answers (kept in the raw record)",
        {"sheet": "'Käytäntö 1'"}),
    "times-day-or-month": Text(
        "Välilehden {sheet} aikaleimat voi lukea kahdella tavalla ({example}: päivä tai "
        "kuukausi ensin). Ne luettiin kuukausi ensin; jos ne on kirjoitettu päivä ensin, "
        "vastausten järjestys ajan mukaan voi olla väärä ja korjaus tallentua ennen "
        "korjattavaa vastausta. Tarkista järjestys tiedostosta.",
        "Tidsstämplarna på fliken {sheet} kan läsas på två sätt ({example}: dagen eller "
        "månaden först). De lästes med månaden först; står dagen först kan svarens ordning i "
        "tid vara fel och en rättelse sparas före svaret den rättar. Kontrollera ordningen i "
        "filen.",
        "sheet {sheet}: its times read two ways ({example}: day or month first); read month "
        "first: if written day first, the rows' order by time may be wrong (a correction "
        "stored before what it corrects); check the order in the file",
        {"sheet": "'Form1'", "example": "03/01/2024"}),
    "times-unread": Text(
        "Välilehden {sheet} aikaleimoista ei pystytty lukemaan yhtäkään (esimerkiksi "
        "{example}). Vastaukset tallennettiin siinä järjestyksessä kuin ne ovat tiedostossa; "
        "jos jokin niistä korjaa aiemman, tarkista järjestys tiedostosta.",
        "Ingen av tidsstämplarna på fliken {sheet} kunde läsas (till exempel {example}). "
        "Svaren sparades i den ordning de står i filen; om något av dem rättar ett tidigare "
        "svar, kontrollera ordningen i filen.",
        "sheet {sheet}: none of its times could be read (such as {example}); the rows were "
        "stored in the file's order; if one corrects an earlier one, check the order in the "
        "file",
        {"sheet": "'Form1'", "example": "'maaliskuu 2024'"}),
    "times-both-ways": Text(
        "Välilehden {sheet} aikaleimoista osa on kirjoitettu päivä ensin ({day_first}) ja osa "
        "kuukausi ensin ({month_first}). Ne luettiin kuukausi ensin, joten päivä ensin "
        "kirjoitettujen rivien aikaa ei voitu lukea ja muidenkin aika voi olla väärä. "
        "Tarkista ajat tiedostosta.",
        "På fliken {sheet} är en del tidsstämplar skrivna med dagen först ({day_first}) och "
        "en del med månaden först ({month_first}). De lästes med månaden först, så tiden "
        "kunde inte läsas på raderna med dagen först, och även andra tider kan vara fel. "
        "Kontrollera tiderna i filen.",
        "sheet {sheet}: its times are written both day first ({day_first}) and month first "
        "({month_first}); read month first, so the rows written day first have no time and "
        "other times may be wrong; check the times in the file",
        {"sheet": "'Form1'", "day_first": "13/01/2024", "month_first": "01/14/2024"}),
    "sheet-no-questions": Text(
        "Välilehdellä {sheet} ei ole kysymysten otsikoita; se ohitettiin.",
        "Fliken {sheet} har inga frågerubriker; den hoppades över.",
        "sheet {sheet}: no question headings, skipped",
        {"sheet": "'Muistiinpanot'"}),
    # A file the table readers cannot open (tables.py).
    "file-damaged": Text(
        "{file}: tiedosto on vioittunut tai katkennut; pyydä lähettäjältä uusi kopio.",
        "{file}: filen är skadad eller ofullständig; be avsändaren om en ny kopia.",
        "{file}: damaged or truncated file; ask the sender for a new copy",
        {"file": "vastaus.xlsx"}),
    "file-password": Text(
        "{file}: tiedosto on suojattu salasanalla; pyydä lähettäjää tallentamaan se ilman "
        "salasanaa.",
        "{file}: filen är lösenordsskyddad; be avsändaren spara den utan lösenord.",
        "{file}: the file is password-protected; ask the sender to save it without a password",
        {"file": "vastaus.xlsx"}),
    "limit-rows": Text(
        "{where}: rivejä on {rows}, enemmän kuin raja {limit} ([limits] max_rows); jaa "
        "tiedosto osiin tai nosta rajaa, jos rivit ovat oikeita vastauksia.",
        "{where}: filen har {rows} rader, fler än gränsen {limit} ([limits] max_rows); dela "
        "upp filen eller höj gränsen om raderna är riktiga svar.",
        "{where}: {rows} rows is over the limit of {limit} ([limits] max_rows); split the "
        "file, or raise the limit if the rows are real answers",
        {"where": "vastaus.csv", "rows": "200 001", "limit": "100 000"}),
    "limit-columns": Text(
        "{where}: sarakkeita on {columns}, enemmän kuin raja {limit} ([limits] max_columns); "
        "poista tyhjät sarakkeet tai nosta rajaa.",
        "{where}: filen har {columns} kolumner, fler än gränsen {limit} ([limits] "
        "max_columns); ta bort de tomma kolumnerna eller höj gränsen.",
        "{where}: {columns} columns is over the limit of {limit} ([limits] max_columns); "
        "remove the empty columns, or raise the limit",
        {"where": "vastaus.xlsx: Taul1", "columns": "16 384", "limit": "1 000"}),
    "limit-cell": Text(
        "{where}: rivi {row}: solussa on {chars} merkkiä, enemmän kuin raja {limit} ([limits] "
        "max_cell_chars); lyhennä tekstiä tai nosta rajaa.",
        "{where}: rad {row}: en cell har {chars} tecken, fler än gränsen {limit} ([limits] "
        "max_cell_chars); korta av texten eller höj gränsen.",
        "{where}: row {row}: a cell of {chars} characters is over the limit of {limit} "
        "([limits] max_cell_chars); shorten it, or raise the limit",
        {"where": "vastaus.xlsx: Käytäntö 1", "row": "7", "chars": "40 000",
         "limit": "32 767"}),
    "xml-doctype": Text(
        "{file}: sen osa {part} määrittelee XML-entiteettejä (DOCTYPE), joita mikään "
        "taulukko-ohjelma ei kirjoita, joten tiedostoa ei luettu. Pyydä lähettäjää "
        "tallentamaan tiedosto uudelleen Excelissä tai LibreOfficessa.",
        "{file}: delen {part} deklarerar XML-entiteter (en DOCTYPE), vilket inget "
        "kalkylprogram skriver, så filen lästes inte. Be avsändaren spara filen på nytt i "
        "Excel eller LibreOffice.",
        "{file}: {part} declares XML entities (a DOCTYPE), which no spreadsheet program "
        "writes; not read. Ask the sender to save the file again in Excel or LibreOffice",
        {"file": "vastaus.xlsx", "part": "xl/worksheets/sheet1.xml"}),
    "text-encoding-unknown": Text(
        "{file}: tekstin merkistöä ei tunnistettu; tallenna tiedosto muodossa CSV UTF-8 ja lue "
        "se uudelleen.",
        "{file}: teckenkodningen gick inte att avgöra; spara filen som CSV UTF-8 och läs in "
        "den på nytt.",
        "{file}: cannot tell the text encoding; save it as UTF-8 CSV",
        {"file": "vastaus.csv"}),
    "csv-quote-unclosed": Text(
        "{file}:{started}: rivillä {started} alkava lainausmerkki ei sulkeudu, joten koko loppu "
        "tiedostosta (riville {line} asti) olisi yksi arvo; sulje tai poista lainausmerkki, "
        "tallenna tiedosto ja lue se uudelleen.",
        "{file}:{started}: citattecknet som börjar på rad {started} avslutas aldrig, så resten "
        "av filen (till rad {line}) skulle bli ett enda värde; avsluta eller ta bort "
        "citattecknet, spara filen och läs in den på nytt.",
        "{file}:{started}: a quote opened on line {started} is never closed, so the rest of "
        "the file (to line {line}) would be one value; close or remove the quote, save the "
        "file and ingest it again",
        {"file": "vastaus.csv", "started": "4", "line": "120"}),
    "csv-quote-inside": Text(
        "{file}:{line}: lainausmerkki lainausmerkeissä olevan arvon sisällä ({error}); "
        "kahdenna se (\"\") tai tallenna tiedosto uudelleen taulukko-ohjelmasta ja lue se "
        "uudelleen.",
        "{file}:{line}: ett citattecken inuti ett värde inom citattecken ({error}); dubbla "
        "det (\"\") eller spara filen på nytt i kalkylprogrammet och läs in den på nytt.",
        "{file}:{line}: a quote inside a quoted value ({error}); double it (\"\") or save the "
        "file from the spreadsheet program again, then ingest it again",
        {"file": "vastaus.csv", "line": "12", "error": "',' expected after '\"'"}),
    "csv-broken": Text(
        "{file}:{line}: CSV-tiedosto on rikki ({error}); tarkista lainausmerkit ja lue "
        "tiedosto uudelleen.",
        "{file}:{line}: CSV-filen är trasig ({error}); kontrollera citattecknen och läs in "
        "filen på nytt.",
        "{file}:{line}: broken CSV ({error}); check the quotes and ingest it again",
        {"file": "vastaus.csv", "line": "12", "error": "line contains NUL"}),
    "zip-bomb-ratio": Text(
        "{file}: sen osa {member} kasvaisi purettaessa {ratio}-kertaiseksi, mikä on tyypillistä "
        "vain täytteelle (pakkauspommi?), joten tiedostoa ei avattu.",
        "{file}: delen {member} skulle växa {ratio} gånger vid uppackning, vilket bara "
        "utfyllnad gör (en zipbomb?), så filen öppnades inte.",
        "{file}: {member} expands {ratio}-fold, as only padding does (a zip bomb?); not opened",
        {"file": "vastaus.xlsx", "member": "xl/worksheets/sheet1.xml", "ratio": "1028"}),
    "zip-member-huge": Text(
        "{file}: sen osa {member} kasvaisi purettaessa {size} megatavuun ({ratio}-kertaiseksi; "
        "pakkauspommi?), mikä ylittää {limit} megatavun rajan ([limits] max_member_mb), joten "
        "tiedostoa ei avattu.",
        "{file}: delen {member} skulle växa till {size} MB vid uppackning ({ratio} gånger; en "
        "zipbomb?), över gränsen på {limit} MB ([limits] max_member_mb), så filen öppnades "
        "inte.",
        "{file}: {member} expands to {size} MB ({ratio}-fold; a zip bomb?), over the {limit} "
        "MB limit ([limits] max_member_mb); not opened",
        {"file": "vastaus.xlsx", "member": "xl/worksheets/sheet1.xml", "size": "900",
         "ratio": "90", "limit": "500"}),
    "zip-total-huge": Text(
        "{file}: tiedosto kasvaisi purettaessa {size} megatavuun, mikä ylittää {limit} "
        "megatavun rajan, joten sitä ei avattu.",
        "{file}: filen skulle växa till {size} MB vid uppackning, över gränsen på {limit} MB, "
        "så den öppnades inte.",
        "{file}: expands to {size} MB, over the {limit} MB limit; not opened",
        {"file": "vastaus.xlsx", "size": "900", "limit": "500"}),
    "not-a-text-table": Text(
        "{file}: tiedosto ei ole tekstitaulukko vaan {what}; tallenna se taulukko-ohjelmassa "
        "tekstitiedostona (.csv) tai työkirjana (.xlsx) ja lähetä se uudelleen.",
        "{file}: filen är ingen texttabell utan {what}; spara den som CSV eller Excel och "
        "skicka den på nytt.",
        "{file}: not a text table but {what}; save it as CSV or Excel and send again",
        {"file": "vastaus.csv", "what": "binary data"}),
    # LimeSurvey: a survey structure (.lss) read with the exports beside it.
    "lss-structure": Text(
        "LimeSurvey-kyselyn rakenne ({count} kysymystä); sen avulla luetaan viereiset "
        "LimeSurvey-viennit.",
        "LimeSurvey-enkätens struktur ({count} frågor); med den läses LimeSurvey-exporterna "
        "bredvid den.",
        "LimeSurvey survey structure ({count} questions); used to read the LimeSurvey exports "
        "beside it",
        {"count": "12"}),
    "lss-structure-one": Text(
        "LimeSurvey-kyselyn rakenne (1 kysymys); sen avulla luetaan viereiset "
        "LimeSurvey-viennit.",
        "LimeSurvey-enkätens struktur (1 fråga); med den läses LimeSurvey-exporterna bredvid "
        "den.",
        "LimeSurvey survey structure (1 question); used to read the LimeSurvey exports beside "
        "it"),
    "lss-unreadable": Text(
        "{file}: LimeSurvey-kyselyn rakennetta ei voi lukea ({error}); vie se LimeSurveysta "
        "uudelleen valinnalla Export > Survey structure (.lss).",
        "{file}: LimeSurvey-enkätens struktur kan inte läsas ({error}); exportera den på nytt "
        "ur LimeSurvey med Export > Survey structure (.lss).",
        "{file}: not a readable LimeSurvey structure file ({error}); export it again with "
        "Export > Survey structure (.lss)",
        {"file": "kysely.lss", "error": "ParseError"}),
    "lss-not-structure": Text(
        "{file}: tiedosto ei ole LimeSurvey-kyselyn rakenne (.lss); vie rakenne LimeSurveysta "
        "valinnalla Export > Survey structure (.lss).",
        "{file}: filen är ingen LimeSurvey-enkätstruktur (.lss); exportera strukturen ur "
        "LimeSurvey med Export > Survey structure (.lss).",
        "{file}: not a LimeSurvey survey structure (.lss) file; export it with Export > Survey "
        "structure (.lss)",
        {"file": "kysely.lss"}),
    "lss-no-questions": Text(
        "{file}: kyselyn rakenteessa ei ole yhtään kysymystä.",
        "{file}: enkätens struktur innehåller inga frågor.",
        "{file}: the survey structure holds no questions",
        {"file": "kysely.lss"}),
    "lss-read-with": Text(
        "Luettu kyselyn rakenteen {name} avulla.",
        "Läst med hjälp av enkätstrukturen {name}.",
        "read with the survey structure {name}",
        {"name": "kysely.lss"}),
    "choice-codes": Text(
        "Vastausvaihtoehdoista on vain koodit ilman tekstejä; anna kyselyn rakenne (ingest "
        "--structure FILE.lss).",
        "Svarsalternativen har bara koder utan texter; ange enkätens struktur (ingest "
        "--structure FILE.lss).",
        "choice codes without their texts: give the survey structure"),
    "choice-codes-shown": Text(
        "Vastausvaihtoehdoista on vain koodit ilman tekstejä ({codes}); anna kyselyn rakenne "
        "(ingest --structure FILE.lss).",
        "Svarsalternativen har bara koder utan texter ({codes}); ange enkätens struktur "
        "(ingest --structure FILE.lss).",
        "choice codes without their texts: give the survey structure ({codes})",
        {"codes": "SQ001, SQ002"}),
    # Archives and Outlook's winmail.dat: what is inside them, and what is not read.
    "zip-hidden-member": Text(
        "{file}: pakkaustiedoston tiedosto {name} on piilotiedosto (sen nimi alkaa pisteellä), joten "
        "sitä ei luettu. Jos siinä on vastaus, poista piste nimen alusta ja lue tiedosto "
        "uudelleen.",
        "{file}: filen {name} i arkivet är en dold fil (namnet börjar med en punkt), så den "
        "lästes inte. Om den innehåller ett svar, ta bort punkten i början av namnet och läs "
        "in filen på nytt.",
        "{file}: {name} is a hidden file in the archive (its name starts with a dot); not "
        "read. If it holds an answer, rename it without the dot and ingest it",
        {"file": "vastaukset.zip", "name": "'.vastaus.xlsx'"}),
    "zip-member-too-big": Text(
        "{file}: tiedosto ylittää {limit} megatavun rajan, joten sitä ei avattu; pyydä "
        "vastaukset pienempänä tiedostona.",
        "{file}: filen är över gränsen på {limit} MB, så den öppnades inte; be om svaren i en "
        "mindre fil.",
        "{file}: over the {limit} MB limit; not opened",
        {"file": "vastaukset.zip » vastaus.xlsx", "limit": "100"}),
    "zip-method": Text(
        "{file}: osa {member} on pakattu tavalla ({method}), jota ohjelma ei osaa purkaa; "
        "pyydä lähettäjää tallentamaan tiedosto uudelleen tai pakkaamaan se tavalliseen "
        "tapaan.",
        "{file}: delen {member} är komprimerad med en metod ({method}) som programmet inte kan "
        "packa upp; be avsändaren spara filen på nytt eller packa den på vanligt sätt.",
        "{file}: {member} is compressed with a method this program cannot unpack ({method}); "
        "ask the sender to save the file again or pack it the usual way",
        {"file": "vastaukset.zip", "member": "vastaus.xlsx", "method": "Deflate64"}),
    "zip-empty": Text(
        "{file}: pakkaustiedostossa (zip) ei ole yhtään tiedostoa; pyydä lähettäjältä "
        "vastaukset uudelleen.",
        "{file}: zip-arkivet innehåller inga filer; be avsändaren skicka svaren på nytt.",
        "{file}: the zip archive holds no files",
        {"file": "vastaukset.zip"}),
    "nested-too-deep": Text(
        "{file}: tiedosto on {depth} muun tiedoston sisällä (viesti välitettynä viestissä, "
        "pakkaustiedosto pakkaustiedostossa …) eli syvemmällä kuin avattavat {limit} tasoa, joten "
        "sitä ei luettu. Uloin tiedosto on tallessa kokonaisena kansiossa outputs/received; "
        "pyydä lähettäjältä itse vastaus.",
        "{file}: filen ligger inuti {depth} andra (ett meddelande vidarebefordrat i ett "
        "meddelande, ett zip-arkiv i ett zip-arkiv …), djupare än de {limit} nivåer som "
        "öppnas, så den lästes inte. Den yttersta filen finns sparad hel i mappen "
        "outputs/received; be avsändaren om själva svaret.",
        "{file}: a file inside {depth} others (a mail forwarded in a mail, a zip in a zip …), "
        "deeper than the {limit} levels opened; not read. The outermost file is kept whole "
        "under outputs/received: ask the sender for the answer itself",
        {"file": "viesti.eml » liite.zip » vastaus.xlsx", "depth": "6", "limit": "5"}),
    "tnef-damaged": Text(
        "{file}: Outlookin liitteiden kääre (winmail.dat) on vioittunut ({error}); se on "
        "tallessa kansiossa outputs/received. Pyydä lähettäjää lähettämään kyselylomake "
        "uudelleen HTML- tai tekstimuotoisessa viestissä.",
        "{file}: Outlooks omslag kring bilagorna (winmail.dat) är skadat ({error}); det finns "
        "sparat i mappen outputs/received. Be avsändaren skicka enkäten på nytt i ett "
        "meddelande i HTML- eller textformat.",
        "{file}: Outlook's wrapper of a message's attachments (winmail.dat) is damaged "
        "({error}); kept under outputs/received. Ask the sender to send the questionnaire "
        "again from a message in HTML or plain-text format",
        {"file": "viesti.eml » winmail.dat", "error": "ValueError"}),
    "tnef-no-file": Text(
        "{file}: Outlookin liitteiden kääreessä (winmail.dat) ei ole tiedostoa, vain viestin "
        "oma muotoiltu teksti (se luettiin viestin mukana). Jos viestin mukana piti tulla "
        "kyselylomake, pyydä lähettäjää lähettämään se uudelleen HTML- tai tekstimuotoisessa "
        "viestissä.",
        "{file}: Outlooks omslag kring bilagorna (winmail.dat) innehåller ingen fil, bara "
        "meddelandets egen text i RTF-format (den lästes med meddelandet). Om en enkät skulle "
        "komma med, be avsändaren skicka den på nytt i ett meddelande i HTML- eller "
        "textformat.",
        "{file}: Outlook's wrapper of a message's attachments (winmail.dat) holds no file, "
        "only the message's own text in Rich Text format (read with the message); if a "
        "questionnaire was meant to come, ask the sender to send it again from a message in "
        "HTML or plain-text format",
        {"file": "viesti.eml » winmail.dat"}),
    # A file received before whose reading failed.
    "same-content-failed": Text(
        "{file}: sama sisältö kuin vastaanotetussa tiedostossa {id}, jota ei voitu lukea tällä "
        "lukukerralla: {failure}.",
        "{file}: samma innehåll som den mottagna filen {id}, som inte kunde läsas den här "
        "gången: {failure}.",
        "{file}: same content as received file {id}, which could not be read in this run: "
        "{failure}",
        {"file": "kopio.xlsx", "id": "3",
         "failure": "the file is empty; ask the sender to send it again"}),
    "retry-succeeded": Text(
        "{file}: luettiin tällä kertaa; korvaa vastaanotetun tiedoston {id} aiemman "
        "epäonnistuneen luennan ({failure}).",
        "{file}: lästes den här gången; ersätter den tidigare misslyckade läsningen av den "
        "mottagna filen {id} ({failure}).",
        "{file}: read this time; replaces the earlier failure of received file {id} "
        "({failure})",
        {"file": "vastaus.xlsx", "id": "3",
         "failure": "the file is empty; ask the sender to send it again"}),
    "retry-failed-again": Text(
        "{file}: luenta epäonnistui aiemminkin (vastaanotettu tiedosto {id}).",
        "{file}: läsningen misslyckades redan tidigare (mottagen fil {id}).",
        "{file}: failed before too (received file {id})",
        {"file": "vastaus.xlsx", "id": "3"}),
    "lock-waited": Text(
        "Odotettiin {seconds} s, että toinen samaan aikaan käynnissä ollut luenta ({holder}) "
        "päättyi.",
        "Väntade {seconds} s på att en annan inläsning som pågick samtidigt ({holder}) skulle "
        "bli klar.",
        "waited {seconds} s for another ingest ({holder}) to finish",
        {"seconds": "12", "holder": "pid 4711 on kone"}),
    # The questionnaire's hidden metadata: another survey, another version.
    "survey-other": Text(
        "{file}: kyselylomake kuuluu kyselyyn {survey} eikä kyselyyn {ours}; tarkista, "
        "lähetettiinkö se oikealle kierrokselle.",
        "{file}: enkäten hör till enkäten {survey} och inte till {ours}; kontrollera att den "
        "skickades till rätt omgång.",
        "{file}: a questionnaire of survey {survey}, not {ours}; was it sent to the right "
        "round?",
        {"file": "vastaus.xlsx", "survey": "'hyvat-kaytannot-2025'",
         "ours": "'hyvat-kaytannot-2026'"}),
    "survey-newer": Text(
        "{file}: lomake on tehty kyselyn versiolla {version}, joka on uudempi kuin tämän "
        "asennuksen versio {current}; päivitä survey/questions.yaml.",
        "{file}: enkäten är gjord med enkätversion {version}, som är nyare än den här "
        "installationens version {current}; uppdatera survey/questions.yaml.",
        "{file}: made with survey version {version}, newer than this installation's "
        "{current}; update survey/questions.yaml",
        {"file": "vastaus.xlsx", "version": "3", "current": "2"}),
    "survey-older": Text(
        "Lomake on tehty kyselyn versiolla {version} (nykyinen versio {current}); luettiin "
        "kysymysten otsikoiden mukaan.",
        "Enkäten är gjord med enkätversion {version} (nuvarande version {current}); lästes "
        "efter frågornas rubriker.",
        "survey version {version} (current {current}); read by its labels",
        {"version": "1", "current": "2"}),
    "survey-version-unclear": Text(
        "Lomakkeen kyselyversio {version} ei ole luku; luettiin kysymysten otsikoiden mukaan.",
        "Enkätversionen {version} är inget tal; lästes efter frågornas rubriker.",
        "survey version {version} is not a number; read by its labels",
        {"version": "'kaksi'"}),
}

#: The outcomes of ingest (the report's "outcome" column) in Finnish and Swedish; JSON and
#: the command line keep the English.
OUTCOME_NAMES: dict[str, dict[str, str]] = {
    "fi": {"new": "uusi", "new version": "uusi versio", "already ingested": "luettu jo aiemmin",
           "duplicate candidate": "mahdollinen kaksoiskappale", "incomplete": "puutteellinen",
           "empty": "tyhjä", "to-read": "luettava", "body-text": "viestin teksti",
           "note": "huomio", "structure": "kyselyn rakenne", "skipped": "ohitettu",
           "decision kept": "päätös pysyy", "error": "virhe"},
    "sv": {"new": "ny", "new version": "ny version", "already ingested": "redan inläst",
           "duplicate candidate": "möjlig dubblett", "incomplete": "ofullständig",
           "empty": "tom", "to-read": "att läsa", "body-text": "meddelandets text",
           "note": "anmärkning", "structure": "enkätens struktur", "skipped": "överhoppad",
           "decision kept": "beslutet står kvar", "error": "fel"},
}

#: What a file is instead of a spreadsheet (``not-a-spreadsheet``), as tables.py says it.
_KIND_NAMES = {
    "fi": {"an HTML page": "HTML-sivu", "a PDF document": "PDF-asiakirja",
           "a zip archive": "zip-arkisto", "an Office binary file": "Officen binääritiedosto",
           "an XML file": "XML-tiedosto", "binary data": "binääridataa",
           "an OpenDocument spreadsheet": "OpenDocument-taulukko",
           "a text file": "tekstitiedosto"},
    "sv": {"an HTML page": "en HTML-sida", "a PDF document": "ett PDF-dokument",
           "a zip archive": "ett zip-arkiv", "an Office binary file": "en binär Office-fil",
           "an XML file": "en XML-fil", "binary data": "binära data",
           "an OpenDocument spreadsheet": "ett OpenDocument-kalkylblad",
           "a text file": "en textfil"},
}

#: How a file's name in the report says the name it was sent with, when that reached out of
#: its folder (ingest/emails.py ``sent_as``: "x.csv (sent as '../../x.csv')").
_SENT_AS = {"fi": " (lähetetty nimellä '", "sv": " (skickad med namnet '"}


def file_in(display: str | None, language: str) -> str:
    """A file's name as the report shows it, said in ``language``: the name it was sent with
    (``(sent as '…')``) in that language's words."""
    text = str(display or "")
    words = _SENT_AS.get(language)
    return text.replace(" (sent as '", words) if words else text


#: A received file's status (``file-already-ingested``).
_FILE_STATUS_NAMES = {
    "fi": {"ingested": "luettu", "error": "virhe", "received": "vastaanotettu"},
    "sv": {"ingested": "inläst", "error": "fel", "received": "mottagen"},
}

_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


#: One part of a reason: its code (None for text no code makes), values, and English text.
Part = tuple[str | None, tuple[tuple[str, str], ...], str]


class Reason(str):
    """A reason's English text (what the CLI prints and the database keeps) that carries the
    code and values of each part it was made of (``parts``), so that it is said in another
    language from its code, never from its English."""

    parts: tuple[Part, ...]

    def __new__(cls, parts: tuple[Part, ...]) -> Reason:
        reason = super().__new__(cls, "; ".join(text for _code, _values, text in parts))
        reason.parts = parts
        return reason

    def __reduce__(self) -> tuple[Any, ...]:  # to and from an ingest worker
        return Reason, (self.parts,)


def en(code: str, /, **args: Any) -> Reason:
    """The reason of ``code`` with ``args``: its English text, carrying the code and values.

    Raises ValueError for a code with no texts or values its text does not name (a mistake
    in the code, never in what was read)."""
    text = REASON_TEXTS.get(code)
    if text is None:
        raise ValueError(f"unknown reason code {code!r}; add its texts to "
                         "outcomes.REASON_TEXTS")
    missing = set(_PLACEHOLDER.findall(text.en)) - set(args)
    if missing:
        raise ValueError(f"reason code {code!r} needs {', '.join(sorted(missing))}")
    values = tuple((key, str(value)) for key, value in args.items())
    return Reason(((code, values, text.en.format_map(dict(values))),))


def join(*reasons: str | None) -> str:
    """The reasons given (empty ones left out) as one, ``"; "`` between them, each part
    keeping its code: a Reason when any part has one, the plain text otherwise."""
    parts: list[Part] = []
    for reason in reasons:
        if not reason:
            continue
        if isinstance(reason, Reason):
            parts.extend(reason.parts)
        else:
            parts.append((None, (), str(reason)))
    if any(code is not None for code, _values, _text in parts):
        return Reason(tuple(parts))
    return "; ".join(text for _code, _values, text in parts)


def _pattern(template: str) -> re.Pattern[str]:
    """The template as a pattern that reads its values back; a value named twice ("{file}:
    … register contacts {file}") is the same text both times."""
    parts = _PLACEHOLDER.split(template)
    named: set[str] = set()
    regex = []
    for index, part in enumerate(parts):
        if index % 2 == 0:
            regex.append(re.escape(part))
        elif part in named:
            regex.append(f"(?P={part})")
        else:
            named.add(part)
            regex.append(f"(?P<{part}>.+?)")
    return re.compile("".join(regex) + r"\Z", re.DOTALL)


#: The codes' patterns, those with more fixed text first: "same content as practice 1
#: version 1 (received before; …)" is the longer code's, not the shorter one's with a long
#: version.
_PATTERNS = [(code, _pattern(text.en)) for code, text in sorted(
    REASON_TEXTS.items(), key=lambda item: -len(_PLACEHOLDER.sub("", item[1].en)))]


#: Each pattern with the fixed text its code's English starts with: only the patterns whose
#: start a part has are tried (a report of 10,000 rows reads each of their reasons).
_STARTS = [(text.en.partition("{")[0], code, pattern) for code, pattern in _PATTERNS
           for text in (REASON_TEXTS[code],)]


@lru_cache(maxsize=4096)
def _known(part: str) -> tuple[str, tuple[tuple[str, str], ...]] | None:
    """The code and values of one part of a reason, or None when no code makes it."""
    for start, code, pattern in _STARTS:
        if not part.startswith(start):
            continue
        match = pattern.match(part)
        if match:
            return code, tuple(match.groupdict().items())
    return None


def parse(reason: str | None) -> list[tuple[str | None, dict[str, str], str]]:
    """The parts of a reason: (code, values, English) each; code None for a part no code
    makes. A :class:`Reason` gives the codes it carries; text without them is read back from
    the English (:func:`read_back`)."""
    if not isinstance(reason, Reason):
        return read_back(reason)
    found: list[tuple[str | None, dict[str, str], str]] = []
    for code, values, text in reason.parts:
        if code is None:
            found.extend(read_back(text))
        else:
            found.append((code, dict(values), text))
    return found


def read_back(reason: str | None) -> list[tuple[str | None, dict[str, str], str]]:
    """The parts of a reason's English text, read back to their codes (a reason an older
    version stored). Parts are joined with ``"; "`` (and a code's own text may hold one): the
    longest run of parts that reads as one code is taken first."""
    pieces = str(reason or "").split("; ")
    if pieces == [""]:
        return []
    found: list[tuple[str | None, dict[str, str], str]] = []
    start = 0
    while start < len(pieces):
        for end in range(len(pieces), start, -1):
            text = "; ".join(pieces[start:end])
            known = _known(text)
            if known is not None:
                found.append((known[0], dict(known[1]), text))
                start = end
                break
        else:
            found.append((None, {}, pieces[start]))
            start += 1
    return found


def describe(reason: str | None, language: str) -> str:
    """A reason in ``language`` (fi, sv, en): its known parts in that language, sentence by
    sentence; parts no code makes as they are."""
    if language not in ("fi", "sv"):
        return str(reason or "")
    said = []
    for code, values, text in parse(reason):
        said.append(text if code is None else REASON_TEXTS[code].template(language).format_map(
            {key: _value_in(key, value, language) for key, value in values.items()}))
    text = ""
    for part in said:  # a sentence ends with its stop; a part as it is, with "; "
        text += ("" if not text else " " if text.endswith((".", "?")) else "; ") + part
    return text


#: The questionnaire's identification items (``questionnaire.META_LABELS``' keys), by language.
_META_ITEM_NAMES = {
    "fi": {"municipality_code": "kuntanumero", "token": "vastaustunniste",
           "survey_id": "kyselyn tunnus", "survey_version": "kyselyn versio",
           "layout_version": "lomakkeen asettelun versio"},
    "sv": {"municipality_code": "kommunnummer", "token": "svarskod",
           "survey_id": "enkätens id", "survey_version": "enkätens version",
           "layout_version": "formulärets layoutversion"},
}


def _value_in(key: str, value: str, language: str) -> str:
    """A value said in ``language``: fields by their labels ("goal" -> "Tavoite"), counts of
    outcomes by the outcomes' names ("1 new, 4 empty" -> "uusi 1, tyhjä 4")."""
    if key == "fields":
        from .flags import DEFAULT_LABELS

        labels = DEFAULT_LABELS.get(language, {})
        return ", ".join(labels.get(name, name) for name in value.split(", "))
    if key == "what":
        return _KIND_NAMES.get(language, {}).get(value, value)
    if key == "suffix" and value == "suffix-less":
        return {"fi": "ei päätettä", "sv": "ingen ändelse"}.get(language, value)
    if key == "file":
        return file_in(value, language)
    if key == "status":  # a received file's (ingested), or a reviewer's decision (approved)
        from .review.common import DECISION_WORDS

        if value in DECISION_WORDS:
            return DECISION_WORDS[value].get(language, value)
        return _FILE_STATUS_NAMES.get(language, {}).get(value, value)
    if key == "item":  # an identification item of the questionnaire (its hidden metadata)
        return _META_ITEM_NAMES.get(language, {}).get(value, value)
    if key == "holder" and value == "holder unknown":
        return {"fi": "tuntematon", "sv": "okänd"}.get(language, value)
    if key == "failure":  # an earlier reading's error, its file's name left out
        failure = describe(value, language)
        if failure == value:  # a reason that starts with its file's name, said without it
            named = describe(f"-: {value}", language)
            failure = named.removeprefix("-: ") if named.startswith("-: ") else value
        return failure.removesuffix(".")  # said inside a sentence of its own
    if key == "counts":
        names = OUTCOME_NAMES.get(language, {})
        said = []
        for part in value.split(", "):
            number, _, outcome = part.partition(" ")
            said.append(f"{names.get(outcome, outcome)} {number}" if number.isdigit() else part)
        return ", ".join(said)
    return value


def to_dicts(reason: str | None) -> list[dict[str, Any]]:
    """The parts of a reason for ``--format json``: code (None when none), values, English."""
    return [{"code": code, "args": values, "text": text} for code, values, text in parse(reason)]
