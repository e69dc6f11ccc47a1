"""How the suite runs in parallel (``make test`` runs ``pytest -n 4 --dist loadfile
--no-loadscope-reorder``).

pytest-xdist starts four workers (the Makefile says why four); each has its own session, so the
session fixtures (the PostgreSQL cluster, Dovecot, the migrated templates) exist once per worker, and
every test still gets its own database, mailbox and temporary folder. A test module goes to one
worker whole (``--dist loadfile``), so a module-scoped fixture (the demo run, the browser) is
built once. (``--dist loadgroup`` would spread the other tests finer, but with pytest 9.2 and
pytest-xdist 3.8 its groups are silently ignored: xdist renames ``item._nodeid``, which pytest
no longer reads, so the demo ran once per worker.) ``pytest -n0`` or ``pytest -p no:xdist``
runs the suite in one process for debugging, as plain ``pytest`` does.

The longest modules go first (:data:`LONGEST_FIRST`), the rest follow in their usual order:
xdist hands the modules out in the order collected (``--no-loadscope-reorder``; by default it
sorts them by their number of tests, which put a one-test module of 10 s, the demo and the
browser at the end, and the run waited for them on one worker while the others were idle).

Hypothesis: no deadline per example. A test's examples take longer when another worker shares
the core, and a property test must fail for its property, never for the machine's load. The
number of examples stays what each test sets.
"""

from __future__ import annotations

from hypothesis import settings

settings.register_profile("suite", deadline=None)
settings.load_profile("suite")


#: Modules by their time in a whole run (seconds on one worker, 2 cores shared by 4 workers),
#: longest first. A module not listed goes after these, in the order collected. The numbers
#: only order the modules: a stale one makes the run's end less even, never a test fail.
LONGEST_FIRST = {
    "test_ingest.py": 120, "test_mailer.py": 60, "test_publish.py": 55, "test_review.py": 50,
    "test_site_browser.py": 50, "test_resolve_voikko.py": 45, "test_demo.py": 40,
    "test_contacts.py": 40, "test_practices.py": 40, "test_questionnaire.py": 40,
    "test_normalise_properties.py": 40, "test_faults_ingest.py": 37, "test_ingest_golden.py": 37,
    "test_privacy_exact.py": 35, "test_faults_send.py": 28, "test_cli_send.py": 24,
    "test_review_duplicates.py": 24, "test_webform.py": 22, "test_ingest_fast.py": 22,
    "test_messages.py": 22, "test_review_libreoffice.py": 21, "test_resolve.py": 19,
    "test_preflight.py": 19, "test_fetch.py": 18, "test_register.py": 18,
    "test_faults_review.py": 15, "test_commands_readonly.py": 15, "test_send_kill.py": 14,
}


def pytest_collection_modifyitems(items: list) -> None:
    """Put the longest modules first (a stable sort: the tests of a module keep their order)."""
    def weight(item) -> int:
        return -LONGEST_FIRST.get(item.path.name, 0)

    items.sort(key=weight)
