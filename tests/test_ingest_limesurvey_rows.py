"""A LimeSurvey export read through the survey's structure had none of the row checks every
other export has: a line break left unquoted in an answer (a CSV re-saved by hand) cut its
row in two, and the rest of the row became a response of its own; an answer whose separator
went unquoted pushed the row's answers a column to the right. Both were taken as they came,
without a flag. The structure's reader now checks the rows as the other readers do."""

from __future__ import annotations

from ingest_support import practices, run_ingest
from test_webform import HEAD_CODES, _answer


def _export(path, broken: str, shifted: str) -> None:
    """Four responses, quoted as LimeSurvey writes them; in one, the implementation text
    unquoted with a line break (``broken``), in another unquoted with a comma (``shifted``)."""
    rows = [_answer(number, f"tok-{number}", town, {"children": "Y"}, "", "Y")
            for number, town in enumerate(("Helsinki", "Turku", "Oulu", "Vaasa"), start=1)]
    rows[1][22], rows[2][22] = "BROKEN", "SHIFTED"
    lines = [",".join(f'"{value}"' for value in row) for row in [HEAD_CODES, *rows]]
    text = "\n".join(lines).replace('"BROKEN"', broken).replace('"SHIFTED"', shifted)
    path.write_text(text + "\n", encoding="utf-8")


def test_a_broken_and_a_shifted_row_of_a_limesurvey_export_are_flagged(
        engine, workspace, session, tmp_path) -> None:
    path = tmp_path / "in" / "results-survey123456.csv"
    path.parent.mkdir()
    _export(path, "Kokoonnumme\nkirjastossa", "Laulamme, soitamme")

    result = run_ingest([path], engine=engine, workspace=workspace)

    rows = {row["row"]: row for row in result.rows()}
    assert {row["format"] for row in rows.values()} == {"limesurvey"}
    flags = {p["title"]: " ".join(p["flags"]) for p in practices(engine)}
    assert set(flags) == {"Käytäntö Helsinki", "Käytäntö Turku", "Käytäntö Oulu",
                          "Käytäntö Vaasa"}
    assert 'row-line-broken{"cells":23,"usual":30,"rest":"4"}' in flags["Käytäntö Turku"]
    assert (rows[4]["outcome"], rows[4]["reason"]) == (
        "incomplete", "the row seems to be the rest of row 3 (an answer held a line break "
        "unquoted); kept raw, not made into a practice; check row 3 against the file")
    assert 'row-cells-shifted{"cells":31,"usual":30}' in flags["Käytäntö Oulu"]
    assert "row-" not in flags["Käytäntö Helsinki"] + flags["Käytäntö Vaasa"]


def test_a_limesurvey_workbook_flags_a_number_cell_and_a_formula_as_other_exports_do(
        engine, workspace, tmp_path) -> None:
    """The same export as an Excel workbook, edited by hand: a text answer Excel keeps as a
    number (the resources typed "2000") and an answer that is a formula taking its text from
    another cell. Other exports' readers flag both; the LimeSurvey reader took them as they
    came."""
    import pytest
    from openpyxl import Workbook
    from test_review_libreoffice import LIBREOFFICE, resave

    if LIBREOFFICE is None:
        pytest.skip("LibreOffice is not installed")
    rows = [_answer(number, f"tok-{number}", town, {"children": "Y"}, "", "Y")
            for number, town in enumerate(("Helsinki", "Turku"), start=1)]
    book = Workbook()
    sheet = book.active
    sheet.append(HEAD_CODES)
    for row in rows:
        sheet.append(row)
    resources = HEAD_CODES.index("resources") + 1
    experiences = HEAD_CODES.index("experiences") + 1
    sheet.cell(2, resources).value = 2000
    sheet.cell(3, experiences).value = f"={sheet.cell(2, experiences).coordinate}"
    path = tmp_path / "in" / "results-survey123456.xlsx"
    path.parent.mkdir()
    book.save(path)

    run_ingest([resave(path, tmp_path)], engine=engine, workspace=workspace)

    flags = {p["title"]: " ".join(p["flags"]) for p in practices(engine)}
    assert "unsure:resources:number-cell" in flags["Käytäntö Helsinki"], flags
    assert "unsure:experiences:formula-reference" in flags["Käytäntö Turku"], flags
    assert "formula-reference" not in flags["Käytäntö Helsinki"]
    assert "number-cell" not in flags["Käytäntö Turku"]
