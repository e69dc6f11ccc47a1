"""Migration 0004_house: ``Municipality.aland`` is derived from the region, no longer stored."""

from __future__ import annotations

from sqlalchemy import inspect, text
from sqlmodel import Session, select

from yhteistuumin_survey.db.models import Municipality


def test_aland_is_region_21_and_survives_a_downgrade(engine) -> None:
    from alembic import command

    from yhteistuumin_survey.db.engine import _alembic_config

    with Session(engine) as session:
        aland = {m.code for m in session.exec(select(Municipality)) if m.aland}
        assert len(aland) == 16 and all(
            m.region_code == "21" for m in session.exec(select(Municipality)) if m.aland)
    assert "aland" not in {c["name"] for c in inspect(engine).get_columns("municipality")}

    command.downgrade(_alembic_config(engine), "0003")
    with engine.connect() as connection:
        stored = {code for code, flag in connection.execute(
            text("SELECT code, aland FROM municipality")) if flag}
    assert stored == aland
    command.upgrade(_alembic_config(engine), "head")
    assert "aland" not in {c["name"] for c in inspect(engine).get_columns("municipality")}
