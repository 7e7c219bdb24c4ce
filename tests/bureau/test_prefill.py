"""The monthly aggregate form prefilled from the events, trips and examinations on record."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from renkou.bureau import prefill, services

TOWN = "520122100000"


@pytest.mark.django_db
def test_the_form_is_filled_from_the_records_not_typed_twice(seed_areas, make_user):
    from renkou.indicators import aggregate
    from renkou.indicators import services as indicators
    from renkou.indicators.models import DataSet

    indicators.load_catalog()
    officer = make_user("xiang", "township_officer", capture=[seed_areas[TOWN]], view=[seed_areas[TOWN]])
    for day, reached in ((dt.date(2005, 3, 4), 320), (dt.date(2005, 3, 18), 410), (dt.date(2005, 4, 2), 99)):
        services.record_event(area=TOWN, kind="publicity", held_on=day, place="镇会议室", reached=reached, user=officer)
    services.record_event(area=TOWN, kind="training", held_on=dt.date(2005, 3, 9), place="镇", reached=25)
    van = services.facility("520122000000", "mobile", "流动服务车")
    services.trip(van, area=TOWN, on=dt.date(2005, 3, 11), km=130)
    area = seed_areas[TOWN]
    prefill.prefill(user=officer, area=area, period="200503")
    values = aggregate.form_values(DataSet.objects.get(code="activity_monthly"), area, "200503")
    assert values[("publicity_sessions", "")] == Decimal(2) and values[("people_reached", "")] == Decimal(730)
    assert values[("trainings", "")] == 1 and values[("training_participants", "")] == 25
    assert values[("mobile_service_trips", "")] == 1 and values[("mobile_service_km", "")] == 130
    with pytest.raises(PermissionDenied):
        prefill.prefill(user=officer, area=seed_areas["520122101000"], period="200503")
