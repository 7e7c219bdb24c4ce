"""What the browser tests share: Debian's Chromium, its launch flags, and the rule for when it is missing.

``requires_chromium`` (the ``browser`` marker) marks a test, or a module in ``pytestmark``, as driving
a real Chromium. On a
developer's machine without ``/usr/bin/chromium`` the test is skipped with the reason; under CI
(``CI=true``) a missing browser is a failure, so a CI run can never pass with its browser tests
silently left out. ``scripts/test`` installs Chromium when run as root on Debian.
"""

from __future__ import annotations

import os

import pytest

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
MISSING = f"needs Debian's chromium ({CHROMIUM})"


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def chromium_missing() -> bool:
    return not os.path.exists(CHROMIUM)


def check_chromium() -> None:
    """Skip (locally) or fail (under CI) when Chromium is not installed."""
    if not chromium_missing():
        return
    if in_ci():
        pytest.fail(f"{MISSING}: CI=true, so the browser tests must run (install it: scripts/test as root)",
                    pytrace=False)
    pytest.skip(MISSING)


# The ``browser`` marker is the rule: tests/conftest.py calls :func:`check_chromium` before every test
# that carries it (ahead of any skip condition of the test's own).
requires_chromium = pytest.mark.browser
