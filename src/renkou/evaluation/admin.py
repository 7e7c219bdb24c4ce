"""Admin of assessment: read-only views of runs and results (changes go through the services)."""

from __future__ import annotations

from django.contrib import admin

from .models import AssessmentScheme, InspectionScore, Run, Target, UnitResult


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AssessmentScheme)
class SchemeAdmin(ReadOnly):
    list_display = ("code", "name_zh", "year", "period_code", "level", "parent")


@admin.register(Run)
class RunAdmin(ReadOnly):
    list_display = ("scheme", "version", "period_code", "status", "published_at", "content_hash")
    list_filter = ("status",)


@admin.register(UnitResult)
class UnitResultAdmin(ReadOnly):
    list_display = ("run", "unit_name", "total", "rank", "group_rank", "grade_code", "vetoed")


@admin.register(Target)
class TargetAdmin(ReadOnly):
    list_display = ("scheme", "unit", "item_code", "value")


@admin.register(InspectionScore)
class InspectionAdmin(ReadOnly):
    list_display = ("scheme", "unit", "sheet", "value", "previous")
