"""A command that waits for another run's lock (an ingest waits up to 15 minutes for the one
before it) said nothing meanwhile, its progress bar at 0, and Ctrl-C (or SIGTERM) then said a
bare "Interrupted.". Now it says whom it waits for, for how long at most, and, interrupted,
that it did nothing yet."""

from __future__ import annotations

import os
import signal
import socket
import sys

import pytest


def _interrupt_when_waiting(monkeypatch: pytest.MonkeyPatch, how: str) -> list[str]:
    """Send the interrupt at the lock's first wait (its sleep before it asks again)."""
    import time

    from yhteistuumin_survey import locks

    real_sleep = time.sleep
    waited: list[str] = []

    def sleep(seconds: float) -> None:
        if sys._getframe(1).f_globals.get("__name__") == locks.__name__:
            waited.append("lock")
            if how == "ctrl-c":
                os.kill(os.getpid(), signal.SIGINT)
            else:
                raise KeyboardInterrupt
        real_sleep(seconds)

    monkeypatch.setattr(time, "sleep", sleep)
    return waited


def test_ctrl_c_while_an_ingest_waits_for_another_says_whom_it_waited_for(
        cli, workspace, tmp_path, monkeypatch) -> None:
    import shutil

    from ingest_support import DATA

    from yhteistuumin_survey.db.engine import make_engine
    from yhteistuumin_survey.locks import exclusive

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(DATA / "googleforms.csv", inbox / "vastaukset.csv")
    engine = make_engine(f"sqlite:///{workspace.outputs / 'yhteistuumin.sqlite'}")
    with exclusive(engine, "ingest"):  # another ingest runs (here: this process's own lock)
        waited = _interrupt_when_waiting(monkeypatch, "ctrl-c")
        result = cli("ingest", str(inbox))
        monkeypatch.undo()
    engine.dispose()

    assert waited == ["lock"]
    assert result.exit_code == 130, result.output
    waiting, said = result.stderr.strip().splitlines()
    assert waiting.startswith("Waiting: another ingest is running "
                              f"({socket.gethostname()}, pid {os.getpid()}, since "), waiting
    assert waiting.endswith("). This command waits up to 15 minutes for it to finish (Ctrl-C "
                            "stops it; nothing is done yet)"), waiting
    assert said.startswith("Interrupted: it came while waiting: another ingest is running "
                           f"({socket.gethostname()}, pid {os.getpid()}, since "), said
    assert said.endswith("); nothing was done yet; run the command again when it has "
                         "finished"), said
    # Nothing was read: the rerun (the lock free) reads the file as new.
    again = cli("ingest", str(inbox))
    assert again.exit_code == 0, again.output
    assert again.stdout.splitlines()[0].startswith("1 file: "), again.stdout
    assert "already ingested" not in again.stdout


@pytest.mark.parametrize("how", ["ctrl-c", "sigterm"])
def test_an_interrupt_while_waiting_for_a_lock_says_so_on_both_databases(
        engine, monkeypatch, how) -> None:
    from yhteistuumin_survey.errors import Interrupted
    from yhteistuumin_survey.locks import exclusive

    told: list[str] = []
    with exclusive(engine, "publish", by="forget"):
        _interrupt_when_waiting(monkeypatch, how)
        with pytest.raises(Interrupted) as stopped, \
                exclusive(engine, "publish", wait=60, on_wait=told.append):
            pytest.fail("the lock was taken while another held it")
        monkeypatch.undo()
    assert len(told) == 1 and told[0].startswith(
        f"Waiting: yhteistuumin forget is running ({socket.gethostname()}, "), told
    assert told[0].endswith("This command waits up to 1 minute for it to finish (Ctrl-C stops "
                            "it; nothing is done yet)"), told
    assert str(stopped.value).startswith(
        f"it came while waiting: yhteistuumin forget is running ({socket.gethostname()}, ")
    # The waiting run let go of everything it had: the lock, once free, is taken at once.
    with exclusive(engine, "publish", wait=60) as held:
        assert held.waited < 1
