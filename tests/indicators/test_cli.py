"""``renkou indicators compute`` prints each indicator and area with value, numerator and denominator."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.core.management import CommandError, call_command

from .conftest import VILLAGE_A


@pytest.fixture
def births_world(world):
    mother = world.person(sex=2, born="1980-05-01", marital="21", area=VILLAGE_A)
    for _ in range(3):
        world.person(sex=1, born="1970-01-01", area=VILLAGE_A)
    world.birth(mother, "2005-03-01", sex=1)
    return world


def run(*args) -> str:
    out = io.StringIO()
    call_command("indicators", *args, stdout=out)
    return out.getvalue()


def test_compute_json_gives_value_numerator_and_denominator(births_world):
    rows = json.loads(run("compute", "--area", "520122", "--period", "2005", "--level", "township",
                          "--format", "json", "--indicator", "cbr"))
    by_area = {r["area"]: r for r in rows}
    county = by_area["520122000000"]
    # start 4 (mother + 3 men), end 5 (+ the child): mean 4.5; 1 birth → 222.2‰
    assert county["value"] == 222.2 and county["numerator"] == 1 and county["denominator"] == 4.5
    assert county["name"] == "出生率" and county["period"] == "2005"
    assert by_area["520122100000"]["value"] == 222.2
    assert by_area["520122101000"]["value"] is None  # no population in 温泉镇


def test_compute_csv_has_the_documented_columns(births_world):
    text = run("compute", "--area", "520122", "--period", "2005", "--format", "csv", "--indicator", "births_count",
               "--lang", "en", "--level", "3")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0])[:7] == ["code", "name", "area", "area_name", "period", "value", "unit"]
    assert rows == [{**rows[0], "code": "births_count", "name": "births", "value": "1.0", "area": "520122000000"}]


def test_unknown_area_and_bad_level_are_clear_errors(world):
    with pytest.raises(CommandError, match="no area"):
        run("compute", "--area", "999999", "--period", "2005")
    with pytest.raises(CommandError, match="expected 1–5"):
        run("compute", "--area", "520122", "--period", "2005", "--level", "hamlet")


def test_columnar_rebuild_status_sync_and_drop(births_world, settings, tmp_path):
    from renkou.registry.models import Person

    settings.RENKOU_COLUMNAR_PATH = str(tmp_path / "copy.duckdb")
    assert json.loads(run("columnar", "status"))["present"] is False
    built = json.loads(run("columnar", "rebuild"))
    assert built["rows"] == {"registry_person": 5, "registry_event": 1, "registry_servicerecord": 0}
    assert built["usable"] is True and built["pending_changes"] == 0
    Person.objects.filter(sex=1).update(marital_status="21")
    assert json.loads(run("columnar", "status"))["pending_changes"] == 4  # three men and the boy born
    assert json.loads(run("columnar", "sync"))["usable"] is True
    assert json.loads(run("columnar", "status"))["pending_changes"] == 0
    assert json.loads(run("columnar", "drop")) == {"dropped": True}
    assert json.loads(run("columnar", "status"))["enabled"] is False
