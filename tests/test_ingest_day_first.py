"""A form export whose times are written day first with slashes (Microsoft Forms or Excel in
the United Kingdom: "13/01/2024 09:00:00") was read month first: "03/01/2024" became 1 March
and "13/01/2024" no time at all, so the rows lost their order by time (a correction could be
stored before the answer it corrects). The sheet's own times now decide."""

from __future__ import annotations

import csv
import datetime as dt

import pytest
from ingest_support import DATA

from yhteistuumin_survey.ingest.forms import read_response_table
from yhteistuumin_survey.ingest.profiles import load_profiles
from yhteistuumin_survey.resources import bundled_path
from yhteistuumin_survey.survey import load_survey
from yhteistuumin_survey.tables import read_table_file


def _export(path, times: list[str]) -> None:
    """The sample Microsoft Forms export as a CSV, one response per time given."""
    from openpyxl import load_workbook

    header, first, *_ = load_workbook(DATA / "msforms.xlsx").active.iter_rows(values_only=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for number, time in enumerate(times, start=1):
            row = ["" if value is None else value for value in first]
            row[0], row[1], row[2] = number, time, time
            row[header.index("Käytännön nimi")] = f"Käytäntö {number}"
            writer.writerow(row)


def _read(tmp_path, times: list[str]):
    """The export with these times, read as a Microsoft Forms export."""
    path = tmp_path / "vastaukset.csv"
    _export(path, times)
    return read_response_table(read_table_file(path),
                               survey=load_survey(bundled_path("survey/questions.yaml")),
                               profile=load_profiles()["msforms"])


@pytest.mark.parametrize(("times", "expected"), [
    # day first, as the sheet shows by its 13th: 3 January, not 1 March
    (["13/01/2024 09:00:00", "03/01/2024 10:00:00"],
     [dt.datetime(2024, 1, 13, 9), dt.datetime(2024, 1, 3, 10)]),
    # month first, as the profile reads it and the sheet shows by its 13th
    (["01/13/2024 09:00:00", "03/01/2024 10:00:00"],
     [dt.datetime(2024, 1, 13, 9), dt.datetime(2024, 3, 1, 10)]),
    # nothing shows which: the profile's reading (Microsoft Forms in English, month first)
    (["03/01/2024 10:00:00", "04/02/2024 10:00:00"],
     [dt.datetime(2024, 3, 1, 10), dt.datetime(2024, 4, 2, 10)]),
    # re-saved by Excel, which shows no seconds: in the United States, then in Britain
    (["3/1/2024 9:00", "3/14/2024 9:30 PM"],
     [dt.datetime(2024, 3, 1, 9), dt.datetime(2024, 3, 14, 21, 30)]),
    (["13/01/2024 09:00", "03/01/2024 10:00"],
     [dt.datetime(2024, 1, 13, 9), dt.datetime(2024, 1, 3, 10)]),
    # typed the Finnish and Swedish way, with the word for the clock
    (["1.3.2024 klo 9.00", "2.3.2024 kl. 10.15"],
     [dt.datetime(2024, 3, 1, 9), dt.datetime(2024, 3, 2, 10, 15)]),
])
def test_the_sheets_own_times_tell_whether_the_day_or_the_month_comes_first(
        tmp_path, times, expected) -> None:
    parsed = _read(tmp_path, times)
    assert [record.submitted for record in parsed.records] == expected


@pytest.mark.parametrize(("times", "noted"), [
    # read the other way round these come in another order: the report says the reading is
    # a guess, naming a time that reads two ways
    (["03/01/2024 10:00:00", "02/05/2024 10:00:00"], "03/01/2024"),
    # the same order either way, or one date only: nothing to say
    (["03/01/2024 10:00:00", "04/02/2024 10:00:00"], None),
    (["03/01/2024 10:00:00", "03/01/2024 11:00:00"], None),
    # the sheet shows which (a 13th): nothing guessed
    (["13/01/2024 09:00:00", "03/01/2024 10:00:00"], None),
])
def test_times_that_read_two_ways_in_another_order_are_noted_not_guessed_silently(
        tmp_path, times, noted) -> None:
    parsed = _read(tmp_path, times)
    said = [note for note in parsed.notes if "read two ways" in note]
    if noted is None:
        assert said == []
    else:
        assert said == [f"sheet 'vastaukset': its times read two ways ({noted}: day or month "
                        "first); read month first: if written day first, the rows' order by "
                        "time may be wrong (a correction stored before what it corrects); "
                        "check the order in the file"]


def test_times_written_both_ways_are_noted_and_each_unread_time_flagged(tmp_path) -> None:
    """A column holding times written day first and month first (two exports pasted into
    one) was read month first in silence: the rows written day first had no time and were
    stored last, after any answer they correct. The file's report names both ways, and each
    row whose time could not be read is flagged with the time as written."""
    parsed = _read(tmp_path, ["13/01/2024 09:00:00", "01/14/2024 10:00:00",
                              "03/01/2024 10:00:00"])
    assert [note for note in parsed.notes if "written both" in note] == [
        "sheet 'vastaukset': its times are written both day first (13/01/2024) and month "
        "first (01/14/2024); read month first, so the rows written day first have no time "
        "and other times may be wrong; check the times in the file"]
    assert [(record.submitted, record.flags) for record in parsed.records] == [
        (None, ['unsure:row:time-unread{"time":"13/01/2024 09:00:00"}']),
        (dt.datetime(2024, 1, 14, 10), []), (dt.datetime(2024, 3, 1, 10), [])]


@pytest.mark.parametrize("time", ["eilen klo 9", "31/31/2024 09:00:00"])
def test_a_time_that_cannot_be_read_is_flagged_not_passed_over(tmp_path, time) -> None:
    parsed = _read(tmp_path, [time, "03/01/2024 10:00:00"])
    assert parsed.records[0].submitted is None
    assert parsed.records[0].flags == [f'unsure:row:time-unread{{"time":"{time}"}}']
    assert parsed.records[1].flags == []
    assert not [note for note in parsed.notes if "written both" in note]


def test_a_sheet_none_of_whose_times_reads_keeps_its_order_and_says_so_once(tmp_path) -> None:
    """No time of the sheet read: its rows keep the file's order (none is moved after
    another), so no row is flagged for it; the file's report says it once."""
    parsed = _read(tmp_path, ["maaliskuu 2024", "huhtikuu 2024"])
    assert [(record.submitted, record.flags) for record in parsed.records] == [
        (None, []), (None, [])]
    assert [note for note in parsed.notes if "none of its times" in note] == [
        "sheet 'vastaukset': none of its times could be read (such as 'maaliskuu 2024'); the "
        "rows were stored in the file's order; if one corrects an earlier one, check the "
        "order in the file"]
