"""``yhteistuumin publish``, ``status`` and ``forget`` on the command line."""

from __future__ import annotations

import json

import pytest
from publish_support import two_approved_one_rejected


@pytest.fixture
def practices(workspace):
    """The workspace's own database with two approved practices and a rejected one."""
    two_approved_one_rejected(workspace)


def test_publish_writes_the_site_and_says_where(cli, workspace, practices):
    result = cli("publish")

    assert result.exit_code == 0, result.output
    site = workspace.outputs / "site"
    assert result.stdout.splitlines()[0] == f"Published 2 practices to {site}"
    assert (site / "index.html").exists() and (site / "practices.json").exists()
    again = cli("publish", "--format", "json")
    assert again.exit_code == 0
    assert json.loads(again.stdout) == {"out": str(site), "practices": 2, "written": 0,
                                        "removed": 0, "unchanged": 20,  # static/card.js too
                                        "cms": str(workspace.outputs / "cms"),
                                        "cms_written": 0, "cms_removed": 0, "cms_unchanged": 3,
                                        "search_index": "unchanged",
                                        "search_languages": ["fi"], "notes": [
        "set [site] base_url to the site's public address: sitemap.xml, canonical links and "
        "Open Graph tags need full addresses (now relative or left out)"],
        "merged_duplicates": [], "unanswered_duplicate_flags": [],
        "duplicates_of_unpublished": []}


def test_publish_to_another_folder(cli, workspace, practices, tmp_path):
    result = cli("publish", "--out", str(tmp_path / "web"))

    assert result.exit_code == 0, result.output
    assert len(json.loads((tmp_path / "web" / "practices.json").read_text())["practices"]) == 2


def test_publish_into_a_foreign_folder_is_a_one_line_error(cli, practices, tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "notes.txt").write_text("mine")

    result = cli("publish", "--out", str(tmp_path / "docs"))

    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ") and "choose an empty or new folder" in result.stderr
    assert "Traceback" not in result.output


def test_status_json_has_totals_and_regions(cli, workspace, practices, tmp_path):
    chart = tmp_path / "rate.svg"

    result = cli("status", "--format", "json", "--chart", str(chart), "--html",
                 str(workspace.outputs / "status.html"))

    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) == {"totals", "regions"}
    assert data["totals"]["practices"] == 3 and data["totals"]["published"] == 2
    # Espoo (049, the default) and Turku answered, but nobody was invited: counted apart
    assert data["totals"]["answered"] == 0 and data["totals"]["answered_uninvited"] == 2
    assert [r["code"] for r in data["regions"]][:2] == ["01", "02"]
    assert '<svg xmlns="http://www.w3.org/2000/svg" role="img"' in chart.read_text()
    assert (workspace.outputs / "status.html").exists()


def test_status_table_shows_regions_and_total_and_writes_no_page(cli, workspace, practices):
    result = cli("status")

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split()[:4] == ["Koodi", "Maakunta", "Kunnat", "Yhteystieto"]
    assert lines[2].split()[:3] == ["01", "Uusimaa", "26"]
    assert lines[-3].split()[:2] == ["Yhteensä", "308"]
    assert lines[-2] == "Kutsuja ei ole vielä lähetetty."
    assert lines[-1] == "Lisäksi 2 kuntaa vastasi kutsumatta."
    assert result.stderr == "" and not (workspace.outputs / "status.html").exists()


def test_forget_prints_what_it_changed_and_republishes(cli, workspace, practices):
    assert cli("publish").exit_code == 0
    assert "anna.taide@example.fi" in (workspace.outputs / "site" / "practices.json").read_text()

    result = cli("forget", "--yes", "Anna.Taide@example.fi")

    assert result.exit_code == 0, result.output
    assert "practice" in result.stdout and "the published site" in result.stdout
    assert "anna.taide" not in result.stdout.casefold()
    assert "anna.taide" not in (workspace.outputs / "site" / "practices.json").read_text()
    again = cli("forget", "anna.taide@example.fi", "--format", "json")
    assert json.loads(again.stdout)["counts"] == {}


def test_forget_rejects_a_non_address(cli):
    result = cli("forget", "Anna Taide")

    assert result.exit_code == 1
    assert result.stderr.startswith("Error: 'Anna Taide': not an email address")
