"""``yhteistuumin demo``: a whole round on the embedded defaults, checked at every stage's output."""

from __future__ import annotations

import json
from collections import Counter
from email import message_from_bytes, policy
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory):
    """Run the demo once through the CLI; every test reads what it left."""
    from conftest import Cli

    from yhteistuumin_survey.workspace import Workspace, init_workspace

    base = tmp_path_factory.mktemp("demo")
    workspace = Workspace(init_workspace(base / "ws").root)
    out = base / "round"
    result = Cli(workspace)("demo", "--out", str(out))
    assert result.exit_code == 0, result.output
    return out, result.stdout


@pytest.fixture(scope="module")
def mailbox(demo) -> list:
    """The demo's mailbox, parsed once (hundreds of messages; the tests only read them)."""
    out, _ = demo
    return [message_from_bytes(path.read_bytes(), policy=policy.default)
            for path in sorted((out / "mailbox").glob("*.eml"))]


def _kind(message) -> str:
    return str(message["X-Yhteistuumin-Kind"])


def test_demo_prints_every_stage_and_where_to_look(demo):
    out, stdout = demo
    for stage in ("contacts", "questionnaires", "invitations", "answers", "bounces", "ingest",
                  "reminders", "review", "publish", "status"):
        assert any(line.strip().startswith(stage) for line in stdout.splitlines()), stage
    assert f"site             {out / 'outputs' / 'site' / 'index.html'}" in stdout
    assert f"CMS Markdown     {out / 'outputs' / 'cms'}" in stdout
    where = stdout[stdout.index("Open:"):].splitlines()[1:]
    assert len(where) == 8 and all(Path(line.split(maxsplit=2)[-1]).exists() for line in where)
    assert "Yhteensä" in stdout  # the status table's total row
    assert "over 1 SMTP connection, no login" in stdout  # one session for the whole batch
    assert "27 practices, 4 of them flagged as possible duplicates" in stdout
    assert any(line.startswith("Koodi  Maakunta") and line.endswith("Vastaus-%")
               for line in stdout.splitlines())  # the status table, headed as `status` heads it


def test_demo_invites_every_municipality_once_per_address(mailbox):
    from yhteistuumin_survey.register import load_register_csv
    from yhteistuumin_survey.resources import bundled_path

    invitations = [m for m in mailbox if _kind(m) == "invite"]
    codes = {str(m["X-Yhteistuumin-Municipality"]) for m in invitations}
    assert codes == {m.code for m in load_register_csv(bundled_path("recipients/municipalities.csv"))}
    assert len(codes) == 308
    per_address = Counter((str(m["X-Yhteistuumin-Municipality"]), str(m["To"]))
                          for m in invitations)
    assert max(per_address.values()) == 1
    for message in invitations:
        assert message["To"].addresses[0].domain.endswith("example.fi")
        assert any(str(part.get_filename()).endswith(".xlsx")
                   for part in message.iter_attachments())


def test_demo_reminds_only_the_silent_and_reachable(demo, mailbox):
    out, _ = demo
    from yhteistuumin_survey.demo import BOUNCING_CODE, load_samples
    from yhteistuumin_survey.workspace import Workspace

    samples = load_samples(Workspace(out))
    answered = {str(p["reporter"]) for p in samples["practices"]}
    answered |= {str(p["reporter"]) for p in samples["web_form"]}
    reminded = {str(m["X-Yhteistuumin-Municipality"]) for m in mailbox if _kind(m) == "remind"}
    assert reminded and not reminded & answered
    assert BOUNCING_CODE not in reminded
    assert len(reminded) == 308 - len(answered) - 1


def test_demo_publishes_the_approved_practices_with_the_reviewers_decisions(demo):
    out, _ = demo
    site = out / "outputs" / "site"
    published = json.loads((site / "practices.json").read_text(encoding="utf-8"))["practices"]
    titles = {p["title"] for p in published}
    four_v = next(p for p in published if p["title"] == "Kuntien välinen yhteistyö aluetyössä")
    assert [m["code"] for m in four_v["municipalities"]] == ["049", "091", "092"]
    assert "Lainattavat soittimet pääkirjastossa" in titles  # the reviewer's corrected title
    assert "Pop-up-taidepaja taajamien tyhjissä liiketiloissa" not in titles  # rejected
    assert "Kulttuurikortti työttömille" not in titles  # needs more information
    assert len(titles) == len(published)  # web-form copies were marked duplicates
    card = (site / next(site.glob("*-kuntien-valinen-yhteistyo-aluetyossa")).name / "index.html")
    assert "Hyvä käytäntö pähkinänkuoressa" in card.read_text(encoding="utf-8")


def test_demo_status_counts_the_whole_round(demo):
    out, _ = demo
    from yhteistuumin_survey.db.engine import open_database, session_scope
    from yhteistuumin_survey.demo import ROUND
    from yhteistuumin_survey.status import round_status

    engine = open_database(f"sqlite:///{out / 'outputs' / 'yhteistuumin.sqlite'}")
    with session_scope(engine) as session:
        totals = round_status(session=session, round_name=ROUND).totals
    engine.dispose()
    assert totals["invited"] == 308 and totals["bounced"] == 1
    assert totals["answered"] == 27 and totals["practices"] == 27
    assert totals["approved"] == totals["published"] == 21
    assert "<svg" in (out / "outputs" / "reports" / "vastausprosentti.svg").read_text()
    assert (out / "outputs" / "status.html").exists()


def test_demo_refuses_a_folder_it_did_not_make(cli, tmp_path):
    precious = tmp_path / "kysely"
    precious.mkdir()
    (precious / "yhteistuumin.toml").write_text("[round]\n", encoding="utf-8")

    result = cli("demo", "--out", str(precious))

    assert result.exit_code == 1
    assert result.stderr.strip().splitlines()[-1] == (
        f"Error: {precious}: exists and is not a demo folder; give another --out (the demo "
        "starts from an empty folder)")
    assert (precious / "yhteistuumin.toml").exists()
