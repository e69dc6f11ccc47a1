"""How the suite runs in parallel (``make test`` runs ``pytest -n auto --dist loadgroup``).

pytest-xdist starts one worker per core; each worker has its own session, so the session
fixtures (the PostgreSQL cluster, Dovecot, the migrated templates) exist once per worker, and
every test still gets its own database, mailbox and temporary folder. Tests that share a
module- or class-scoped fixture (the demo run, the browser) go to one worker together, so that
fixture is built once, not once per worker. ``pytest -n0`` or ``pytest -p no:xdist`` runs the
suite in one process for debugging, as plain ``pytest`` does.

Hypothesis: no deadline per example. A test's examples take longer when another worker shares
the core, and a property test must fail for its property, never for the machine's load. The
number of examples stays what each test sets.
"""

from __future__ import annotations

import pytest
from hypothesis import settings

settings.register_profile("suite", deadline=None)
settings.load_profile("suite")

_SHARED_SCOPES = {"module", "class", "package"}


def _shared_fixture(item: pytest.Item) -> str | None:
    """The id of a module-, class- or package-scoped fixture the test uses, if any."""
    info = getattr(item, "_fixtureinfo", None)
    if info is None:
        return None
    for name in sorted(info.names_closure):
        definitions = info.name2fixturedefs.get(name)
        if definitions and definitions[-1].scope in _SHARED_SCOPES:
            return f"{definitions[-1].baseid or 'root'}::{name}"
    return None


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # xdist's workers run with dist "no" and ``loadgroup`` set; the groups matter there
    if not getattr(config.option, "loadgroup", False):
        return
    for item in items:
        group = _shared_fixture(item)
        if group is not None and not any(item.iter_markers("xdist_group")):
            item.add_marker(pytest.mark.xdist_group(group))
