"""What a test does when a part of the machine it needs is missing: skip on a developer's
machine, fail on CI (``CI=true``), where ``make test`` installs every part and none may be
skipped silently."""

from __future__ import annotations

import os
from typing import NoReturn

import pytest

ON_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def unavailable(reason: str) -> NoReturn:
    """Skip the test for ``reason``, or fail it on CI."""
    if ON_CI:
        pytest.fail(f"{reason}; on CI the project's setup (make system-deps) must provide it")
    pytest.skip(reason)
