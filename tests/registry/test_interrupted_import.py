"""An import killed with SIGKILL in the middle of writing leaves the database as it was (SQLite and PostgreSQL)."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest

from tests.scratch_db import scratch_database

CHILD = r'''
import os, sys, time, django
os.environ["DJANGO_SETTINGS_MODULE"] = "renkou.settings"
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from renkou.core.models import Area
for code, level, parent in (("520000000000", 1, None), ("520100000000", 2, "520000000000"),
                            ("520122000000", 3, "520100000000"), ("520122100000", 4, "520122000000"),
                            ("520122100201", 5, "520122100000")):
    Area.objects.get_or_create(code=code, defaults={"name": code, "level": level, "parent_id": parent})
from renkou.registry.importer import import_file
marker = sys.argv[2]

def progress(done, total):
    if done >= 2000 and not os.path.exists(marker):
        with open(marker + ".tmp", "w") as fh:  # rows sent to the database inside the open transaction
            fh.write(str(done))
        os.replace(marker + ".tmp", marker)
        time.sleep(60)  # killed here, rows of the first batch written but not committed

import_file("households", sys.argv[1], progress=progress)
'''


@pytest.mark.slow
def test_kill_9_during_import_leaves_the_database_unchanged(tmp_path):
    data = tmp_path / "hh.csv"
    data.write_text("household_key,area_code,kind\n" + "".join(f"H{i},520122100201,family\n" for i in range(6000)),
                    encoding="utf-8")
    marker = tmp_path / "writing"
    # the child works on a database of its own (a SQLite file, or a fresh PostgreSQL database), inspected below
    with scratch_database(tmp_path / "home") as scratch:
        child = subprocess.Popen([sys.executable, "-c", CHILD, str(data), str(marker)], env=scratch.env,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            for _ in range(1200):
                if marker.exists() or child.poll() is not None:
                    break
                time.sleep(0.1)
            assert marker.exists(), child.communicate()[1].decode()[-2000:]
            child.send_signal(signal.SIGKILL)
            child.wait(timeout=30)
        finally:
            if child.poll() is None:
                child.kill()
            child.stdout.close()
            child.stderr.close()
        assert child.returncode == -signal.SIGKILL
        assert int(marker.read_text()) >= 2000  # killed with rows written inside its open transaction
        # the areas were committed before the import; of the import nothing is left
        assert scratch.scalar("select count(*) from core_area") == 5
        assert scratch.scalar("select count(*) from registry_household") == 0
        assert scratch.scalar("select count(*) from core_auditevent where object_type like 'registry.%'") == 0
