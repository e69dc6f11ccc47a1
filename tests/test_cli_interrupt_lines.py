"""An interrupt that lands inside SQLAlchemy's pool is said in the command's one line, not
also as the pool's traceback ("Exception during reset or similar" and a traceback above
"Interrupted: ...": test_faults_audit5's SIGINT of an ingest, once, on a loaded machine)."""

from __future__ import annotations

import logging

import pytest


@pytest.fixture
def pool_lines():
    import importlib

    app = importlib.import_module("yhteistuumin_survey.cli.app")
    from yhteistuumin_survey.cli.pool_lines import PoolLines

    pool = logging.getLogger("sqlalchemy.pool")
    handlers, propagate = list(pool.handlers), pool.propagate
    app._interrupts_said_once()
    app._interrupts_said_once()  # once is enough: no second handler
    assert sum(isinstance(h, PoolLines) for h in pool.handlers) == 1
    yield
    pool.handlers[:] = handlers
    pool.propagate = propagate


def test_a_pool_reset_interrupted_prints_no_traceback(pool_lines, tmp_path, capsys):
    from sqlalchemy import create_engine, event

    engine = create_engine(f"sqlite:///{tmp_path / 'x.sqlite'}")

    @event.listens_for(engine, "reset")
    def interrupted(_dbapi_connection, _record, _state):
        raise KeyboardInterrupt  # Ctrl-C while the pool resets a connection given back

    connection = engine.connect()
    with pytest.raises(KeyboardInterrupt):  # passed on: the command says it in one line
        connection.close()
    engine.dispose()
    assert capsys.readouterr().err == ""


def test_the_pool_s_other_errors_still_show(pool_lines, capsys):
    logger = logging.getLogger("sqlalchemy.pool.impl.QueuePool")
    try:
        raise OSError(28, "No space left on device")
    except OSError:
        logger.error("Exception during reset or similar", exc_info=True)
    err = capsys.readouterr().err
    assert "Exception during reset or similar" in err and "No space left" in err
