"""Fixtures: real division codes (the 2023 table shipped in the package), users of every role."""

from __future__ import annotations

from pathlib import Path

import pytest

from renkou.core.divisions import shipped_divisions, write_subset

DIVISIONS = shipped_divisions(2023)
SEED_COUNTIES = ("542526", "540102", "520122", "130982")


def write_nbs_subset(target: Path, counties=SEED_COUNTIES) -> Path:
    """Copy the rows of the shipped NBS files that the given counties need into ``target``."""
    return write_subset(target, tuple(counties))


@pytest.fixture
def seed_areas(db, tmp_path):
    """Provinces, prefectures, counties and townships of the seed's four counties (real 2023 codes),
    plus two villages under Xifeng's 永靖镇 and one under 温泉镇 for scope tests."""
    from renkou.core import services

    services.import_areas(write_nbs_subset(tmp_path / "nbs"))
    villages = tmp_path / "seed-villages.csv"
    villages.write_text("code,name,urban_rural\n520122100201,红岩村,220\n520122100202,新华村,220\n"
                        "520122101201,温泉村,220\n", encoding="utf-8")
    services.import_areas(villages)
    from renkou.core.models import Area

    return {a.code: a for a in Area.objects.all()}


@pytest.fixture
def make_user(db):
    from renkou.core.models import User

    def make(username, role="", capture=(), view=(), superuser=False, password="Correct-Horse-9"):
        if superuser:
            return User.objects.create_superuser(username, password=password)
        user = User.objects.create_user(username, password=password, role=role)
        user.capture_areas.set(list(capture))
        user.view_areas.set(list(view))
        return user

    return make


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the site's default language: a request in English (language cookie) leaves
    English active in the thread, which must not change what the next test computes."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    """Browser tests: skipped without Chromium on a developer's machine, failed under CI=true."""
    if item.get_closest_marker("browser") is not None:
        from tests.browser import check_chromium

        check_chromium()


def pytest_configure(config):
    from django.conf import settings

    # Transactional tests (live server, browser) flush every table, which the audit log's database
    # guard refuses; the guard is installed by the tests that check it.
    settings.RENKOU_AUDIT_DB_GUARD = False
    settings.PASSWORD_HASHERS = ["tests.hashers.FastArgon2PasswordHasher"]
