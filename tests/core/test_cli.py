"""The `renkou` command line: areas import errors, createuser, and the console script itself."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.core.management import CommandError, call_command

from renkou.core.models import Area, AuditEvent, User


@pytest.mark.django_db
def test_areas_import_of_a_bad_file_fails_with_the_row_and_changes_nothing(tmp_path):
    f = tmp_path / "mine.csv"
    f.write_text("code,name\n520000000000,贵州省\n5201000000,贵阳市\n", encoding="utf-8")
    with pytest.raises(CommandError) as err:
        call_command("areas", "import", str(f))
    assert "mine.csv 第3行" in str(err.value) and "12位" in str(err.value)
    assert Area.objects.count() == 0


@pytest.mark.django_db
def test_areas_import_of_a_missing_path_says_so(tmp_path):
    with pytest.raises(CommandError) as err:
        call_command("areas", "import", str(tmp_path / "nowhere"))
    assert "不存在" in str(err.value)


@pytest.mark.django_db
def test_createuser_with_role_and_areas(seed_areas, monkeypatch, capsys):
    monkeypatch.setenv("RENKOU_PASSWORD", "A-long-password-7")
    call_command("createuser", "zhang", "--role", "township_officer", "--capture", "520122100",
                 "--full-name", "张三")
    user = User.objects.get(username="zhang")
    assert user.role == "township_officer" and user.full_name == "张三"
    assert list(user.capture_areas.values_list("code", flat=True)) == ["520122100000"]
    assert user.check_password("A-long-password-7")
    assert AuditEvent.objects.filter(action="create", object_type="core.user", object_id=str(user.pk)).exists()


@pytest.mark.django_db
def test_createuser_refuses_unknown_areas_and_weak_passwords(seed_areas, monkeypatch):
    monkeypatch.setenv("RENKOU_PASSWORD", "A-long-password-7")
    with pytest.raises(CommandError, match="区划不存在"):
        call_command("createuser", "li", "--role", "village_officer", "--capture", "999999")
    monkeypatch.setenv("RENKOU_PASSWORD", "12345")
    with pytest.raises(Exception, match="(?i)short|短"):
        call_command("createuser", "li", "--role", "village_officer", "--capture", "520122")
    assert not User.objects.filter(username="li").exists()


def test_console_script_lists_renkou_commands(tmp_path):
    env = dict(os.environ, RENKOU_HOME=str(tmp_path))
    env.pop("RENKOU_DATABASE_URL", None)
    out = subprocess.run([sys.executable, "-m", "renkou", "help"], capture_output=True, text=True, env=env,
                         timeout=120)
    assert out.returncode == 0
    for command in ("areas", "createuser", "demo", "serve", "synth", "demography"):
        assert command in out.stdout
