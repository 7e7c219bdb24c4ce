"""Fixtures of the indicators engine: a small hand-built register in Xifeng (息烽县) villages.

Rows are written with the models directly (not through the registry's services) so that each test
states exactly the dates, states and areas it counts.
"""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

VILLAGE_A = "520122100201"  # 红岩村, 永靖镇
VILLAGE_B = "520122100202"  # 新华村, 永靖镇
VILLAGE_C = "520122101201"  # 温泉村, 温泉镇
TOWNSHIP = "520122100000"
COUNTY = "520122000000"

_seq = itertools.count(1)


def D(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


class World:
    """Builds persons and events; dates as ISO strings."""

    def person(self, sex=1, born="1980-01-01", area=VILLAGE_A, *, registered=True, resident=None,
               migrant="", marital="10", died=None, status=None, mother=None, spouse=None, record="active"):
        from renkou.registry.models import Person

        return Person.objects.create(
            name=f"P{next(_seq)}", sex=sex, birth_date=D(born), registered_area_id=area if registered else None,
            resident_area_id=resident or area, migrant_status=migrant, marital_status=marital,
            death_date=D(died) if died else None, status=status or ("dead" if died else "living"),
            mother=mother, spouse=spouse, record_state=record)

    def event(self, kind, subject, date, *, area=None, registered=None, state="registered", mother=None,
              order=None, place="", rejected=False, current=True):
        from renkou.registry.models import Event

        return Event.objects.create(
            kind=kind, subject=subject, event_date=D(date), registration_date=D(registered or date),
            area_id=area or subject.resident_area_id, state=state, mother=mother, birth_order=order,
            delivery_place=place, flag_rejected=rejected, is_current=current)

    def birth(self, mother, date, *, sex=1, order=1, place="hospital", registered=None, area=None, state="registered",
              child_registered=True):
        child = self.person(sex=sex, born=date, area=area or mother.resident_area_id, registered=child_registered,
                            mother=mother, migrant="" if child_registered else "inflow")
        ev = self.event("birth", child, date, area=area or mother.resident_area_id, registered=registered,
                        mother=mother, order=order, place=place, state=state)
        return child, ev

    def death(self, person, date, *, registered=None):
        from renkou.registry.models import Person

        Person.objects.filter(pk=person.pk).update(status="dead", death_date=D(date))
        person.refresh_from_db()
        return self.event("death", person, date, registered=registered)


@pytest.fixture
def world(seed_areas):
    return World()
