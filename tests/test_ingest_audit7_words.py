"""audit7-words: the ingest report's lines a Finnish coordinator reads are Finnish (and Swedish
in a Swedish round): LimeSurvey structures, archives and winmail.dat, a content that failed
before, the wait for another ingest, a questionnaire of another round or version."""

from __future__ import annotations

import contextlib
import zipfile
from pathlib import Path
from typing import Any

from ingest_support import questionnaire_copy, run_ingest
from test_ingest_audit4 import _only_winmail, _reasons_of, _winmail_with_rtf
from test_webform import FOREIGN_HEAD, FOREIGN_ROW, _foreign_lss, _write_csv

FI, SV = "Syy tai huomio", "Orsak eller anmärkning"


def _said(result: Any, lang: str = "fi", folder: Path | None = None) -> list[str]:
    """The report's reasons in ``lang``: the run's own report (the round's language, Finnish)
    or the same run written in Swedish into ``folder``."""
    from yhteistuumin_survey.ingest import write_report_csv

    if lang == "fi":
        return [str(r[FI] or "") for r in _reasons_of(result.report_path)]
    assert folder is not None
    folder.mkdir(parents=True, exist_ok=True)
    return [str(r[SV] or "") for r in _reasons_of(write_report_csv(result, folder, lang=lang))]


def test_limesurvey_structure_lines_are_finnish_in_a_finnish_round(sqlite_engine, workspace,
                                                                   tmp_path):
    folder = tmp_path / "in"
    _write_csv(folder / "results-survey999.csv", [FOREIGN_HEAD, FOREIGN_ROW])
    _foreign_lss(folder / "limesurvey_survey_999.lss", workspace)
    (folder / "rikki.lss").write_text("<document><LimeSurveyDocType>Survey", encoding="utf-8")
    result = run_ingest([folder], engine=sqlite_engine, workspace=workspace)
    english = " | ".join(str(r["reason"]) for r in result.rows())
    assert "LimeSurvey survey structure (12 questions); used to read" in english
    assert "read with the survey structure limesurvey_survey_999.lss" in english
    assert "not a readable LimeSurvey structure file (ParseError)" in english

    finnish = " | ".join(_said(result))
    assert ("LimeSurvey-kyselyn rakenne (12 kysymystä); sen avulla luetaan viereiset "
            "LimeSurvey-viennit.") in finnish
    assert "Luettu kyselyn rakenteen limesurvey_survey_999.lss avulla." in finnish
    assert "rikki.lss: LimeSurvey-kyselyn rakennetta ei voi lukea (ParseError)" in finnish
    for words in ("survey structure", "used to read", "export it again"):
        assert words not in finnish
    swedish = " | ".join(_said(result, "sv", tmp_path / "sv"))
    assert "LimeSurvey-enkätens struktur (12 frågor)" in swedish
    assert "Läst med hjälp av enkätstrukturen limesurvey_survey_999.lss." in swedish


def test_choice_codes_without_a_structure_are_said_in_finnish(sqlite_engine, workspace, tmp_path):
    import shutil

    source = Path(__file__).parent / "data" / "ingest" / "limesurvey-codes.csv"
    shutil.copy(source, tmp_path / "limesurvey-codes.csv")
    result = run_ingest([tmp_path / "limesurvey-codes.csv"], engine=sqlite_engine,
                        workspace=workspace)
    assert "choice codes without their texts: give the survey structure (SQ001)" in \
        result.rows()[0]["reason"]
    finnish = _said(result)[0]
    assert finnish.startswith("Vastausvaihtoehdoista on vain koodit ilman tekstejä (SQ001); "
                              "anna kyselyn rakenne (ingest --structure FILE.lss)."), finnish


def test_zip_and_winmail_notes_are_finnish_in_a_finnish_round(sqlite_engine, workspace,
                                                              tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    archive = folder / "vastaukset.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        handle.writestr(".vastaus.xlsx", b"piilossa")
        handle.writestr("lue.txt", b"")
    with zipfile.ZipFile(folder / "tyhja.zip", "w") as handle:
        handle.writestr(".piilo", b"x")
    mail = _only_winmail(folder / "rtf.eml", _winmail_with_rtf(
        b"{\\rtf1\\ansi Hei, vastaus tulee my\\'f6hemmin.\\par}"))
    result = run_ingest([archive, folder / "tyhja.zip", mail], engine=sqlite_engine,
                        workspace=workspace)
    english = " | ".join(str(r["reason"]) for r in result.rows())
    assert "'.vastaus.xlsx' is a hidden file in the archive" in english
    assert "the zip archive holds no files" in english
    assert "Outlook's wrapper of a message's attachments (winmail.dat) holds no file" in english

    finnish = " | ".join(_said(result))
    assert (f"{archive}: pakkaustiedoston tiedosto '.vastaus.xlsx' on piilotiedosto (sen nimi "
            "alkaa pisteellä), joten sitä ei luettu.") in finnish
    assert "tyhja.zip: pakkaustiedostossa (zip) ei ole yhtään tiedostoa" in finnish
    assert ("Outlookin liitteiden kääreessä (winmail.dat) ei ole tiedostoa, vain viestin oma "
            "muotoiltu teksti") in finnish
    for words in ("hidden file", "zip archive holds", "wrapper"):
        assert words not in finnish
    swedish = " | ".join(_said(result, "sv", tmp_path / "sv"))
    assert "är en dold fil (namnet börjar med en punkt)" in swedish
    assert "Outlooks omslag kring bilagorna (winmail.dat) innehåller ingen fil" in swedish


def test_a_file_nested_too_deep_is_said_in_finnish(sqlite_engine, workspace, tmp_path):
    from test_hostile_audit5 import _nested_mail

    from yhteistuumin_survey.ingest import MAX_NESTING

    mail = tmp_path / "sisakkain.eml"
    mail.write_bytes(_nested_mail(MAX_NESTING + 2))
    result = run_ingest([mail], engine=sqlite_engine, workspace=workspace)
    assert "deeper than the" in result.rows()[0]["reason"]
    [finnish] = [text for text in _said(result) if "tasoa" in text]
    assert (f"tiedosto on {MAX_NESTING} muun tiedoston sisällä (viesti välitettynä viestissä, "
            f"pakkaustiedosto pakkaustiedostossa …) eli syvemmällä kuin avattavat {MAX_NESTING} "
            "tasoa, joten sitä ei luettu.") in finnish
    assert "deeper" not in finnish


def test_the_same_failed_content_twice_in_a_run_is_said_in_finnish(sqlite_engine, workspace,
                                                                   tmp_path):
    first, second = tmp_path / "a" / "vastaus.xlsx", tmp_path / "b" / "vastaus.xlsx"
    for path in (first, second):
        path.parent.mkdir()
        path.write_bytes(b"PK\x03\x04 rikki")
    result = run_ingest([first, second], engine=sqlite_engine, workspace=workspace)
    assert "which could not be read in this run" in result.rows()[1]["reason"]
    finnish = _said(result)[1]
    assert finnish.startswith(f"{second}: sama sisältö kuin vastaanotetussa tiedostossa 1, jota "
                              "ei voitu lukea tällä lukukerralla: "), finnish
    assert "same content" not in finnish and "could not be read" not in finnish


def test_the_wait_for_another_ingest_is_said_in_finnish(sqlite_engine, workspace, tmp_path,
                                                        monkeypatch):
    from yhteistuumin_survey import locks
    from yhteistuumin_survey.locks import Held

    @contextlib.contextmanager
    def waited(*_args: Any, **_kwargs: Any) -> Any:
        yield Held("ingest", waited=12.4, holder="kone, pid 4711, since 03:00:00 UTC")

    monkeypatch.setattr(locks, "exclusive", waited)  # imported by ingest when it runs
    result = run_ingest([questionnaire_copy(tmp_path / "in")], engine=sqlite_engine,
                        workspace=workspace)
    assert result.rows()[0]["reason"] == (
        "waited 12 s for another ingest (kone, pid 4711, since 03:00:00 UTC) to finish")
    assert _said(result)[0] == ("Odotettiin 12 s, että toinen samaan aikaan käynnissä ollut "
                                "luenta (kone, pid 4711, since 03:00:00 UTC) päättyi.")


def _with_meta(folder: Path, name: str, **meta: Any) -> Path:
    from openpyxl import load_workbook

    path = questionnaire_copy(folder, name)
    book = load_workbook(path)
    for row in book["_meta"].iter_rows():
        if row[0].value in meta:
            row[1].value = meta[row[0].value]
    book.save(path)
    return path


def test_a_questionnaire_of_another_round_or_version_is_said_in_finnish(
        sqlite_engine, workspace, tmp_path):
    from yhteistuumin_survey.survey import workspace_survey

    current = workspace_survey(workspace).version
    other = _with_meta(tmp_path / "a", "toinen.xlsx", survey_id="toinen-kysely")
    newer = _with_meta(tmp_path / "b", "uudempi.xlsx", survey_version=current + 1)
    older = _with_meta(tmp_path / "c", "vanha.xlsx", survey_version=current - 1)
    unclear = _with_meta(tmp_path / "d", "epaselva.xlsx", survey_version="kaksi")
    result = run_ingest([other, newer, older, unclear], engine=sqlite_engine,
                        workspace=workspace)
    english = " | ".join(str(r["reason"]) for r in result.rows())
    assert "a questionnaire of survey 'toinen-kysely'" in english
    assert f"made with survey version {current + 1}, newer than" in english
    assert f"survey version {current - 1} (current {current}); read by its labels" in english
    assert "survey version 'kaksi' is not a number; read by its labels" in english

    finnish = " | ".join(_said(result))
    assert (f"{other}: kyselylomake kuuluu kyselyyn 'toinen-kysely' eikä kyselyyn") in finnish
    assert "tarkista, lähetettiinkö se oikealle kierrokselle." in finnish
    assert (f"{newer}: lomake on tehty kyselyn versiolla {current + 1}, joka on uudempi kuin "
            f"tämän asennuksen versio {current}; päivitä survey/questions.yaml.") in finnish
    assert (f"Lomake on tehty kyselyn versiolla {current - 1} (nykyinen versio {current}); "
            "luettiin kysymysten otsikoiden mukaan.") in finnish
    assert "Lomakkeen kyselyversio 'kaksi' ei ole luku" in finnish
    for words in ("survey version", "read by its labels", "right round"):
        assert words not in finnish
    swedish = " | ".join(_said(result, "sv", tmp_path / "sv"))
    assert "kontrollera att den skickades till rätt omgång." in swedish
    assert f"Enkäten är gjord med enkätversion {current - 1}" in swedish


# --- the terminal's summary says what each count is -------------------------------------------


def test_the_terminal_summary_names_what_it_counts_and_json_keeps_its_keys(cli, tmp_path):
    import json
    import shutil

    inbox = tmp_path / "inbox"
    questionnaire_copy(inbox)
    shutil.copy(Path(__file__).parent / "data" / "ingest" / "broken" / "empty.xlsx",
                inbox / "tyhja.xlsx")
    result = cli("ingest", str(inbox))
    assert result.exit_code == 1, result.output
    # Before: "2 files: 3 new, 1 empty, 1 error" (new what? empty what?).
    assert result.stdout.splitlines()[0] == (
        "2 files: 3 new practices, 1 empty sheet or row skipped, 1 error"), result.stdout
    again = cli("ingest", str(inbox / "vastaus.xlsx"), "--format", "json")
    assert json.loads(again.stdout)["counts"] == {"already ingested": 1}
    assert cli("ingest", str(inbox / "vastaus.xlsx")).stdout.splitlines()[0] == \
        "1 file: 1 file already ingested"


def test_broken_files_and_a_file_read_before_are_said_in_finnish(sqlite_engine, workspace,
                                                                 tmp_path):
    import shutil

    broken = Path(__file__).parent / "data" / "ingest" / "broken"
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("truncated.xlsx", "garbage.csv", "zipbomb.xlsx"):
        shutil.copy(broken / name, folder / name)
    answer = questionnaire_copy(tmp_path / "vastaus")
    run_ingest([answer], engine=sqlite_engine, workspace=workspace)
    result = run_ingest([folder, answer], engine=sqlite_engine, workspace=workspace)
    english = " | ".join(str(r["reason"]) for r in result.rows())
    assert "damaged or truncated file" in english and "not a text table" in english
    assert "-fold, as only padding does (a zip bomb?)" in english
    assert "(ingested); nothing changed" in english

    finnish = " | ".join(_said(result))
    assert "truncated.xlsx: tiedosto on vioittunut tai katkennut; pyydä lähettäjältä uusi " \
        "kopio." in finnish
    assert ("garbage.csv: tiedosto ei ole tekstitaulukko vaan binääridataa; tallenna se "
            "taulukko-ohjelmassa tekstitiedostona (.csv) tai työkirjana (.xlsx)") in finnish
    assert "zipbomb.xlsx: sen osa xl/worksheets/sheet1.xml kasvaisi purettaessa" in finnish
    assert "Sama sisältö kuin vastaanotetussa tiedostossa 1 (luettu); mikään ei muuttunut." \
        in finnish
    for words in ("damaged", "text table", "zip bomb", "(ingested)"):
        assert words not in finnish
    swedish = " | ".join(_said(result, "sv", tmp_path / "sv"))
    assert "filen är skadad eller ofullständig" in swedish
    assert "(inläst); inget ändrades." in swedish


def test_the_name_a_file_was_sent_with_is_said_in_finnish_in_the_report(sqlite_engine,
                                                                        workspace, tmp_path):
    from ingest_support import DATA
    from openpyxl import load_workbook

    archive = tmp_path / "vastaukset.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.write(DATA / "googleforms.csv", "../../x.csv")
        zipped.writestr("../.piilo.csv", b"x")
    result = run_ingest([archive], engine=sqlite_engine, workspace=workspace)
    assert f"{archive} » x.csv (sent as '../../x.csv')" in [r["file"] for r in result.rows()]

    rows = list(load_workbook(result.report_path).worksheets[0].iter_rows(values_only=True))
    files = [str(row[0]) for row in rows[1:]]
    assert f"{archive} » x.csv (lähetetty nimellä '../../x.csv')" in files
    assert f"{archive} » piilo.csv (lähetetty nimellä '../.piilo.csv')" in files
    assert not [name for name in files if "sent as" in name]
    (tmp_path / "sv").mkdir()
    from yhteistuumin_survey.ingest import write_report_csv

    swedish = load_workbook(write_report_csv(result, tmp_path / "sv", lang="sv")).worksheets[0]
    assert f"{archive} » x.csv (skickad med namnet '../../x.csv')" in [
        str(row[0]) for row in swedish.iter_rows(min_row=2, values_only=True)]


def test_links_skipped_and_a_run_with_no_files_are_said_in_finnish(sqlite_engine, workspace,
                                                                   tmp_path):
    folder = tmp_path / "vastaukset"
    folder.mkdir()
    (folder / "poissa.xlsx").symlink_to(tmp_path / "ei-ole.xlsx")
    outside = tmp_path / "muualla.xlsx"
    outside.write_bytes(b"x")
    (folder / "ulkona.xlsx").symlink_to(outside)
    result = run_ingest([folder], engine=sqlite_engine, workspace=workspace)
    english = " | ".join(str(r["reason"]) for r in result.rows())
    assert "which does not exist; skipped" in english and f"outside {folder}; skipped" in english

    finnish = " | ".join(_said(result))
    assert (f"{folder / 'poissa.xlsx'}: linkki kohteeseen {tmp_path / 'ei-ole.xlsx'}, jota ei "
            "ole; ohitettiin.") in finnish
    assert (f"{folder / 'ulkona.xlsx'}: linkki kohteeseen {outside}, joka on kansion {folder} "
            "ulkopuolella; ohitettiin") in finnish
    assert "Luettavia tiedostoja ei ole; anna tiedostot tai kansiot, joissa niitä on." in finnish
    assert "; skipped" not in finnish and "no files" not in finnish


def test_a_form_export_sheet_without_questions_is_said_in_finnish(sqlite_engine, workspace,
                                                                  tmp_path):
    from ingest_support import DATA
    from openpyxl import load_workbook

    path = tmp_path / "lomake.xlsx"
    book = load_workbook(DATA / "msforms.xlsx")
    book.create_sheet("Muistiinpanot")["A1"] = "Kysely suljettiin 1.3."
    book.save(path)
    result = run_ingest([path], engine=sqlite_engine, workspace=workspace)
    assert "sheet 'Muistiinpanot': no question headings, skipped" in [
        str(r["reason"]) for r in result.rows()]
    assert "Välilehdellä 'Muistiinpanot' ei ole kysymysten otsikoita; se ohitettiin." in \
        _said(result)
    assert "Fliken 'Muistiinpanot' har inga frågerubriker; den hoppades över." in \
        _said(result, "sv", tmp_path / "sv")


def test_a_retry_that_reads_a_file_that_failed_before_is_said_in_finnish(sqlite_engine,
                                                                         workspace, tmp_path):
    from ingest_support import DATA
    from test_faults_ingest import mail_with

    workbook = (DATA / "questionnaire.xlsx").read_bytes()
    unnamed = tmp_path / "eka.eml"
    unnamed.write_bytes(mail_with(workbook, filename=None))
    run_ingest([unnamed], engine=sqlite_engine, workspace=workspace)
    named = tmp_path / "toka.eml"
    named.write_bytes(mail_with(workbook, filename="vastaus.xlsx", subject="uudestaan"))
    second = run_ingest([named], engine=sqlite_engine, workspace=workspace)
    assert any("replaces the earlier failure of received file 2" in str(row["reason"])
               for row in second.rows())
    [finnish] = [text for text in _said(second) if "luettiin tällä kertaa" in text]
    assert ": luettiin tällä kertaa; korvaa vastaanotetun tiedoston 2 aiemman epäonnistuneen " \
        "luennan (" in finnish, finnish
    assert "replaces" not in finnish and "suffix-less" not in finnish, finnish
