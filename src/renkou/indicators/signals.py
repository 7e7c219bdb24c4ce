"""Keeping computed indicators honest: register writes mark the cells they touch as dirty.

Saves and deletes of persons, events and service records (and of aggregate data values) mark the
village cells of every area involved — before and after the change — from the earliest date the
change can affect. :func:`renkou.indicators.services.recompute_dirty` then recomputes exactly those.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.db.models.signals import post_delete, post_save, pre_save

_TRACKED = ("registered_area_id", "resident_area_id", "birth_date", "death_date", "area_id", "subject_id",
            "event_date", "registration_date", "person_id", "date", "period")


def remember_before(sender, instance, **kwargs) -> None:
    """Keep the stored values of the fields that place a record in areas and time (before the save)."""
    if instance._state.adding or instance.pk is None:
        instance._indicators_before = {}
        return
    names = [n for n in _TRACKED if hasattr(instance, n)]
    loaded = getattr(instance, "_audit_loaded", None)
    if loaded is not None and all(n in loaded for n in names):
        instance._indicators_before = {n: loaded[n] for n in names}
        return
    row = type(instance)._base_manager.filter(pk=instance.pk).values(*names).first()
    instance._indicators_before = row or {}


def _loaded(instance, name: str):
    return (getattr(instance, "_indicators_before", None) or {}).get(name)


def _values(instance, *names: str) -> list:
    out = []
    for n in names:
        out.append(getattr(instance, n, None))
        out.append(_loaded(instance, n))
    return [v for v in out if v]


def _as_date(v) -> dt.date | None:
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    if isinstance(v, str):
        try:
            return dt.date.fromisoformat(v[:10])
        except ValueError:
            return None
    return None


def _person_areas(person_ids) -> list[str]:
    from renkou.registry.models import Event, Person

    ids = [i for i in person_ids if i]
    areas = list(Person.objects.filter(pk__in=ids).values_list("registered_area_id", "resident_area_id"))
    out = [a for pair in areas for a in pair if a]
    out += list(Event.objects.filter(subject_id__in=ids).values_list("area_id", flat=True).distinct())
    return out


def on_person(sender, instance, **kwargs) -> None:
    from .services import mark_dirty

    areas = _values(instance, "registered_area_id", "resident_area_id")
    if kwargs.get("signal") is not post_delete:
        from renkou.registry.models import Event

        areas += list(Event.objects.filter(Q(subject_id=instance.pk) | Q(mother_id=instance.pk))
                      .values_list("area_id", flat=True).distinct())
    mark_dirty(areas, [_as_date(v) for v in _values(instance, "birth_date", "death_date")])


def on_event(sender, instance, **kwargs) -> None:
    from .services import mark_dirty

    areas = _values(instance, "area_id") + _person_areas([instance.subject_id, _loaded(instance, "subject_id")])
    mark_dirty(areas, [_as_date(v) for v in _values(instance, "event_date", "registration_date")])


def on_service(sender, instance, **kwargs) -> None:
    from renkou.registry.models import Person

    from .services import mark_dirty

    ids = [instance.person_id, _loaded(instance, "person_id")]
    spouses = list(Person.objects.filter(pk__in=[i for i in ids if i]).values_list("spouse_id", flat=True))
    areas = _values(instance, "area_id") + _person_areas(ids + spouses)
    mark_dirty(areas, [_as_date(v) for v in _values(instance, "date")])


def on_data_value(sender, instance, **kwargs) -> None:
    from renkou.core.periods import Period

    from .services import mark_dirty

    try:
        start = Period.parse(instance.period).start
    except ValueError:
        return
    mark_dirty([instance.area_id], [start])


def _guarded(handler):
    def run(sender, instance, **kwargs):
        if kwargs.get("raw"):
            return
        from .models import ComputedScope

        if not ComputedScope.objects.exists():  # nothing computed yet: nothing to keep up to date
            return
        handler(sender, instance, **kwargs)

    return run


_HANDLERS = []


def connect() -> None:
    from renkou.registry.models import Event, Person, ServiceRecord

    from .models import DataValue

    for model, handler in ((Person, on_person), (Event, on_event), (ServiceRecord, on_service),
                           (DataValue, on_data_value)):
        pre_save.connect(remember_before, sender=model, dispatch_uid=f"indicators-before-{model.__name__}")
        h = _guarded(handler)
        _HANDLERS.append(h)  # keep a strong reference: signals hold weak ones
        post_save.connect(h, sender=model, dispatch_uid=f"indicators-dirty-save-{model.__name__}")
        post_delete.connect(h, sender=model, dispatch_uid=f"indicators-dirty-delete-{model.__name__}")
