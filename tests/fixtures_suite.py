"""How the suite runs in parallel (``make test`` runs ``pytest -n 4 --dist loadfile``).

pytest-xdist starts four workers (the Makefile says why four); each has its own session, so the
session fixtures (the PostgreSQL cluster, Dovecot, the migrated templates) exist once per worker, and
every test still gets its own database, mailbox and temporary folder. A test module goes to one
worker whole (``--dist loadfile``), so a module-scoped fixture (the demo run, the browser) is
built once. (``--dist loadgroup`` would spread the other tests finer, but with pytest 9.2 and
pytest-xdist 3.8 its groups are silently ignored: xdist renames ``item._nodeid``, which pytest
no longer reads, so the demo ran once per worker.) ``pytest -n0`` or ``pytest -p no:xdist``
runs the suite in one process for debugging, as plain ``pytest`` does.

Hypothesis: no deadline per example. A test's examples take longer when another worker shares
the core, and a property test must fail for its property, never for the machine's load. The
number of examples stays what each test sets.
"""

from __future__ import annotations

from hypothesis import settings

settings.register_profile("suite", deadline=None)
settings.load_profile("suite")
