"""``yhteistuumin_survey.Project``: the Python API the CLI and the demo share; results render."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from send_support import mail_server

from yhteistuumin_survey import Project
from yhteistuumin_survey.reports import Result, render_result
from yhteistuumin_survey.resources import bundled_path

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

SMTP = {"YHTEISTUUMIN_SMTP_SECURITY": "none", "YHTEISTUUMIN_SMTP_HOST": "127.0.0.1",
        "YHTEISTUUMIN_SMTP_RATE": "1000/s"}


def test_status_of_a_fresh_workspace_is_a_plain_dict_and_writes_the_page_only_when_asked(
        workspace):
    with Project.open(workspace.root, env={}) as project:
        data = project.status().to_dict()
        assert not (workspace.outputs / "status.html").exists()
        assert project.status(page=True).page == workspace.outputs / "status.html"
    assert data["totals"]["municipalities"] == 308 and data["totals"]["invited"] == 0
    assert json.loads(json.dumps(data)) == data
    assert (workspace.outputs / "status.html").exists()


def test_a_missing_workspace_folder_is_an_error_not_a_new_workspace(tmp_path):
    from yhteistuumin_survey.errors import InputError

    with pytest.raises(InputError, match="no such workspace folder"):
        Project.open(tmp_path / "kysely-2062")
    assert not (tmp_path / "kysely-2062").exists()


def test_send_result_renders_like_the_cli_and_becomes_a_data_frame(workspace):
    with mail_server() as server, Project.open(
            workspace.root, env={**SMTP, "YHTEISTUUMIN_SMTP_PORT": str(server.port)}) as project:
        project.import_contacts(bundled_path("recipients/contacts.example.csv"))
        sent = project.send("invite", only=["091", "599"], check=False)  # example settings
    assert isinstance(sent, Result) and not sent.failed
    assert sent.summary() == ["Invitations, round yhteistuumin-2026: 3 sent, 0 failed, "
                              "0 uncertain, 0 already sent (0 logins)."]
    frame = sent.to_frame()
    assert list(frame.columns) == ["source", "status", "reason"]
    assert frame["status"].value_counts().to_dict() == {"sent": 3}
    assert sent.municipalities == 2 and sent.held_back == 0
    assert render_result(sent, "csv").splitlines()[0] == "source,status,reason"


def test_practices_and_status_tables_become_data_frames(workspace):
    path = Path(__file__).parent / "data" / "ingest" / "table.tsv"
    with Project.open(workspace.root, env={}) as project:
        ingested = project.ingest([path])
        practices = project.list_practices()
        status = project.status(page=False)
    assert not ingested.failed and ingested.to_frame()["outcome"].tolist() == ["new"]
    frame = practices.to_frame()
    assert frame["status"].tolist() == ["new"] and frame["id"].tolist() == [1]
    assert practices.summary() == ["1 practice"]
    table = status.to_frame()
    assert table.iloc[-1]["name"] == "Yhteensä" and table.iloc[-1]["practices"] == 1
    assert table["municipalities"].iloc[:-1].sum() == 308


def test_every_result_fits_the_protocol(workspace):
    with Project.open(workspace.root, env={}) as project:
        results = [project.upgrade_db(), project.list_register(region="Ahvenanmaa"),
                   project.resolve(["Espoon kaupunki", "Helsinkki"]), project.check_contacts(),
                   project.list_practices(), project.export_review(), project.status(page=False),
                   project.publish()]
    for result in results:
        assert isinstance(result, Result), type(result)
        assert all(isinstance(line, str) for line in result.summary())
        columns, rows = result.table()
        assert all(set(row) >= set(columns) for row in rows), type(result)
        json.dumps(result.to_dict(), default=str)
    assert results[1].summary() == ["16 municipalities"]
    assert [r["codes"] for r in results[2].table()[1]] == ["049", "091"]


def test_importing_the_package_loads_no_database_or_data_library():
    code = ("import sys, yhteistuumin_survey; "
            "print(sorted(m for m in ('sqlmodel', 'pandas', 'pydantic', 'sqlalchemy') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_a_postgresql_url_without_the_driver_names_the_extra(tmp_path):
    code = ("import sys; sys.modules['psycopg'] = None\n"
            "from yhteistuumin_survey.db.engine import make_engine\n"
            "from yhteistuumin_survey.errors import DatabaseError\n"
            "try:\n    make_engine('postgresql://survey@dbhost/survey')\n"
            "except DatabaseError as exc:\n    print(exc)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ("postgresql://dbhost/survey: the PostgreSQL driver is not "
                                  "installed; install it with: pip install "
                                  "'yhteistuumin-survey[postgres]'")


def test_a_data_frame_without_pandas_names_the_frames_extra(workspace):
    # pandas is the optional [frames] extra: the lean install has none, and says which to add.
    code = ("import sys; sys.modules['pandas'] = None\n"
            "from yhteistuumin_survey import Project\n"
            "from yhteistuumin_survey.errors import SurveyError\n"
            f"with Project.open({str(workspace.root)!r}, env={{}}) as project:\n"
            "    result = project.list_practices()\n"
            "    print(result.summary()[0])\n"
            "    try:\n        result.to_frame()\n"
            "    except SurveyError as exc:\n        print(exc)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    lines = out.stdout.strip().splitlines()
    assert lines[-1] == ("to_frame() needs pandas, which is not installed; install it with: "
                         "pip install 'yhteistuumin-survey[frames]'")
    assert len(lines) == 2  # the listing itself works without pandas
