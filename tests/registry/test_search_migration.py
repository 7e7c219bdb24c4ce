"""Migration 0005 fills the search keys of the persons already in the register."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from renkou.registry.search import pinyin_keys

BEFORE = [("registry", "0004_finding_language")]
AFTER = [("registry", "0005_search_keys")]


@pytest.mark.slow
def test_existing_persons_get_their_keys(transactional_db, seed_areas):
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    try:
        old = executor.loader.project_state(BEFORE).apps
        Person = old.get_model("registry", "Person")
        for name in ("单雄", "张三", "曾国藩"):
            Person.objects.create(name=name, sex=1, birth_date="1980-01-01", resident_area_id="520122100201",
                                  registered_area_id="520122100201")
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(AFTER)
        new = executor.loader.project_state(AFTER).apps.get_model("registry", "Person")
        got = {p.name: (p.pinyin_key, p.pinyin_alt, p.pinyin_initials) for p in new.objects.all()}
        assert got == {n: pinyin_keys(n) for n in ("单雄", "张三", "曾国藩")}
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
