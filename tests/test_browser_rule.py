"""The rule of the browser tests: no Chromium means skipped on a developer's machine, failed under CI."""

from __future__ import annotations

import pytest

from tests import browser


def test_missing_chromium_fails_under_ci(monkeypatch, tmp_path):
    monkeypatch.setattr(browser, "CHROMIUM", str(tmp_path / "no-chromium"))
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true, so the browser tests must run"):
        browser.check_chromium()


def test_missing_chromium_skips_outside_ci(monkeypatch, tmp_path):
    monkeypatch.setattr(browser, "CHROMIUM", str(tmp_path / "no-chromium"))
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="needs Debian's chromium"):
        browser.check_chromium()


def test_present_chromium_neither_skips_nor_fails(monkeypatch, tmp_path):
    fake = tmp_path / "chromium"
    fake.write_text("", encoding="utf-8")
    monkeypatch.setattr(browser, "CHROMIUM", str(fake))
    monkeypatch.setenv("CI", "true")
    assert browser.check_chromium() is None


class Item:
    def __init__(self, *marks):
        self.marks = {m.name: m for m in marks}

    def get_closest_marker(self, name):
        return self.marks.get(name)


def test_conftest_applies_the_rule_to_browser_tests_only(monkeypatch, tmp_path):
    from tests.conftest import pytest_runtest_setup

    monkeypatch.setattr(browser, "CHROMIUM", str(tmp_path / "no-chromium"))
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true"):
        pytest_runtest_setup(Item(browser.requires_chromium.mark))
    assert pytest_runtest_setup(Item(pytest.mark.slow.mark)) is None
