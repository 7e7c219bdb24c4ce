"""The monthly aggregate form (``activity_monthly``, 乡镇人口家庭服务工作月报) prefilled from the records.

The cells that the bureau's records count are filled from them, so the township does not type the
same numbers twice: publicity sessions and people reached (publicity and campaign events), training
courses and participants (training events), screenings (examinations), mobile-vehicle trips and km.
The officer then completes the other cells and submits the form for approval as before; a form
already approved is not changed (the aggregate service refuses it).
"""

from __future__ import annotations

from django.db.models import Count, Q, Sum

from renkou.core.models import Area
from renkou.core.periods import Period

DATASET = "activity_monthly"


def counted(area: Area, period_code: str) -> dict[tuple[str, str], int]:
    """The cells of the form the records count, for the area's subtree and the period."""
    from .models import Event, ScreeningRecord, VehicleTrip

    p = Period.parse(period_code)
    inside = Q(area__pk__startswith=area.prefix)
    ev = Event.objects.filter(inside, held_on__range=(p.start, p.end))
    pub = ev.filter(kind__in=(Event.Kind.PUBLICITY, Event.Kind.CAMPAIGN)).aggregate(n=Count("pk"), r=Sum("reached"))
    tr = ev.filter(kind=Event.Kind.TRAINING).aggregate(n=Count("pk"), r=Sum("reached"))
    trips = VehicleTrip.objects.filter(inside, on__range=(p.start, p.end)).aggregate(n=Count("pk"), km=Sum("km"))
    return {("publicity_sessions", ""): pub["n"], ("people_reached", ""): int(pub["r"] or 0),
            ("trainings", ""): tr["n"], ("training_participants", ""): int(tr["r"] or 0),
            ("screenings", ""): ScreeningRecord.objects.filter(inside, examined_on__range=(p.start, p.end)).count(),
            ("mobile_service_trips", ""): trips["n"], ("mobile_service_km", ""): int(trips["km"] or 0)}


def prefill(*, user, area: Area, period: str, comment: str = "由业务记录预填 / prefilled from the records"):
    """Store the counted cells on the form through the aggregate service (its checks and scope)."""
    from renkou.indicators import aggregate
    from renkou.indicators.models import DataSet

    dataset = DataSet.objects.get(code=DATASET)
    cells = {(e.code, d) for e, d in aggregate.keys_of(dataset)}
    values = {k: v for k, v in counted(area, period).items() if k in cells}
    return aggregate.save_values(user=user, dataset=dataset, area=area, period=period, values=values, comment=comment)
