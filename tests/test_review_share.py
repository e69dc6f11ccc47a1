"""Sharing practices out between reviewers: even loads, a region kept with one reviewer."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import openpyxl
from factories import make_practice
from hypothesis import given, settings
from hypothesis import strategies as st

from yhteistuumin_survey.review import export_review
from yhteistuumin_survey.review.common import ReviewRow
from yhteistuumin_survey.review.export import share_out


def rows_for(sizes: dict[str, int]) -> list[ReviewRow]:
    rows: list[ReviewRow] = []
    for region, size in sizes.items():
        for _ in range(size):
            n = len(rows) + 1
            rows.append(ReviewRow(n, 1, f"v1-{n:06x}", region, f"maakunta {region}",
                                  [f"{n % 7:03d}"]))
    return rows


def regions_split(shares: list[list[ReviewRow]]) -> int:
    owners: dict[str, set[int]] = {}
    for index, share in enumerate(shares):
        for row in share:
            owners.setdefault(row.region_code, set()).add(index)
    return sum(len(o) - 1 for o in owners.values())


def test_regions_that_fit_stay_whole_and_loads_are_equal() -> None:
    shares = share_out(rows_for({"01": 50, "02": 30, "04": 10, "05": 10}), ["A", "B"])
    assert [len(s) for s in shares] == [50, 50]
    assert regions_split(shares) == 0
    assert {r.region_code for r in shares[0]} == {"01"}


def test_a_region_bigger_than_a_share_is_split_only_as_much_as_needed() -> None:
    shares = share_out(rows_for({"01": 80, "02": 10, "03": 10}), ["A", "B", "C"])
    assert sorted(len(s) for s in shares) == [33, 33, 34]
    assert regions_split(shares) == 2  # 01 over three reviewers; 02 and 03 whole
    owners = {r.region_code: i for i, s in enumerate(shares) for r in s
              if r.region_code != "01"}
    assert len(owners) == 2


def test_more_reviewers_than_practices() -> None:
    shares = share_out(rows_for({"01": 2}), ["A", "B", "C"])
    assert sorted(len(s) for s in shares) == [0, 1, 1]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=60), min_size=1, max_size=19),
       st.integers(min_value=1, max_value=5))
def test_shares_are_even_complete_and_split_at_most_reviewers_minus_one_times(
        sizes: list[int], count: int) -> None:
    rows = rows_for({f"{i + 1:02d}": size for i, size in enumerate(sizes)})
    reviewers = [f"R{i}" for i in range(count)]
    shares = share_out(rows, reviewers)
    loads = [len(s) for s in shares]
    assert max(loads) - min(loads) <= 1
    assert Counter(r.practice_id for s in shares for r in s) == Counter(
        r.practice_id for r in rows)
    assert regions_split(shares) <= count - 1


def test_export_for_two_reviewers_writes_a_workbook_each(session, tmp_path: Path) -> None:
    for i in range(4):
        make_practice(session, title=f"Uusimaa {i}", municipalities=["091"])
    for i in range(3):
        make_practice(session, title=f"Lappi {i}", municipalities=["698"])
    make_practice(session, title="Turku", municipalities=["853"])
    result = export_review(tmp_path, session=session, reviewers=["Aino Ä", "Bertil"],
                           out=tmp_path / "kierros.xlsx")
    assert [(f.path.name, f.reviewer, f.practices) for f in result.files] == [
        ("kierros-aino-a.xlsx", "Aino Ä", 4), ("kierros-bertil.xlsx", "Bertil", 4)]
    assert result.files[0].regions == ["Uusimaa"]
    assert sorted(result.files[1].regions) == ["Lappi", "Varsinais-Suomi"]
    for exported in result.files:
        meta = openpyxl.load_workbook(exported.path)["_review_meta"]
        reviewer = {r[0]: r[1] for r in meta.iter_rows(max_row=5, values_only=True)}["reviewer"]
        assert reviewer == exported.reviewer
