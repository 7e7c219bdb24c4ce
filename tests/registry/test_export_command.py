"""``renkou export``: a clear error, never a traceback, for a user who may not export or does not exist."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from renkou.core.models import AuditEvent


def test_village_officer_gets_a_clear_error_and_nothing_is_written(tmp_path, officers):
    out = tmp_path / "persons.csv"
    with pytest.raises(CommandError) as err:
        call_command("export", "persons", str(out), "--user", "cun_a")
    assert "user cun_a (village_officer) may not export register data" in str(err.value)
    assert not out.exists() and not AuditEvent.objects.filter(action="export").exists()


def test_unknown_user_and_unknown_area_are_named(tmp_path, officers):
    with pytest.raises(CommandError, match="no such user, or the account is disabled: village"):
        call_command("export", "persons", str(tmp_path / "p.csv"), "--user", "village")
    with pytest.raises(CommandError, match="unknown area code 520122999999"):
        call_command("export", "persons", str(tmp_path / "p.csv"), "--user", "xian", "--area", "520122999999")


def test_county_officer_exports(tmp_path, officers):
    out = tmp_path / "households.csv"
    call_command("export", "households", str(out), "--user", "xian")
    assert len(out.read_text(encoding="utf-8-sig").splitlines()) == 1  # the header: no household yet
    assert AuditEvent.objects.filter(action="export", actor=officers["county"]).count() == 1
