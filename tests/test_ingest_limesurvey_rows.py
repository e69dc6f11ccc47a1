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
