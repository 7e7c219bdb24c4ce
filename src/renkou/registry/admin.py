from __future__ import annotations

from django.contrib import admin

from renkou.core.admin import ScopedAdmin

from .models import DuplicateCandidate, Event, Finding, Household, Person, ServiceRecord


@admin.register(Person)
class PersonAdmin(ScopedAdmin):
    list_display = ("name", "sex", "birth_date", "registered_area", "resident_area", "status", "record_state")
    search_fields = ("name", "name_pinyin", "source_key")
    raw_id_fields = ("registered_area", "resident_area", "household", "mother", "father", "spouse", "merged_into")


@admin.register(Household)
class HouseholdAdmin(ScopedAdmin):
    list_display = ("number", "area", "registration_type", "head")
    raw_id_fields = ("area", "head")


@admin.register(Event)
class EventAdmin(ScopedAdmin):
    list_display = ("kind", "event_date", "area", "state", "is_current", "flag_rejected")
    raw_id_fields = ("area", "subject", "mother", "father", "spouse", "supersedes")


@admin.register(ServiceRecord)
class ServiceRecordAdmin(ScopedAdmin):
    list_display = ("type", "date", "area", "consent_noted")
    raw_id_fields = ("person", "area")


admin.site.register(Finding, ScopedAdmin)
admin.site.register(DuplicateCandidate, ScopedAdmin)
