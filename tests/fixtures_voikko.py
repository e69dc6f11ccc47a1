"""Voikko, the authority on Finnish word forms (Debian's ``libvoikko1`` and ``voikko-fi``).

Tests that hold Finnish texts or name forms to it take the ``voikko`` fixture. Without
Voikko they are skipped on a developer's machine and fail in CI, which must have it.
"""

from __future__ import annotations

import os

import pytest


@pytest.fixture(scope="session")
def voikko():
    try:
        import libvoikko

        return libvoikko.Voikko("fi")
    except Exception as exc:  # noqa: BLE001 - no binding, no libvoikko.so or no dictionary
        reason = (f"Voikko is not available ({type(exc).__name__}: {exc}); install the "
                  "Debian packages libvoikko1 voikko-fi (make system-deps) and the test group")
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
