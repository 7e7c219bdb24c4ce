"""Admin for system administrators. Person-level models use :class:`ScopedAdmin` (the one scoping
function); the audit log is read-only here as everywhere."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import ApiToken, Area, AreaChange, AuditEvent, IdNumberConfirmation, User
from .scoping import CAPTURE, scoped


class ScopedAdmin(admin.ModelAdmin):
    """Admin of person-level data: lists and changes only what the user's scopes allow."""

    def get_queryset(self, request):
        return scoped(request.user, super().get_queryset(request))

    def has_change_permission(self, request, obj=None):
        if obj is not None and not scoped(request.user, type(obj), CAPTURE).filter(pk=obj.pk).exists():
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self.has_change_permission(request, obj) and super().has_delete_permission(request, obj)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        if request.method == "GET" and getattr(response, "status_code", 0) == 200:
            # The admin's form shows the full record: a read of person-level data, audited like the pages.
            obj = self.get_queryset(request).filter(pk=object_id).first()
            if obj is not None:
                from . import audit

                audit.record("view", obj, user=request.user, detail={"via": "admin"})
        return response


@admin.register(Area)
class AreaAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "level", "urban_rural", "valid_from", "valid_to")
    list_filter = ("level",)
    search_fields = ("code", "name")
    raw_id_fields = ("parent",)


@admin.register(AreaChange)
class AreaChangeAdmin(admin.ModelAdmin):
    list_display = ("old_code", "new_code", "kind", "effective")


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "full_name", "role", "is_active", "last_login")
    fieldsets = BaseUserAdmin.fieldsets + (("Renkou", {"fields": ("role", "full_name", "capture_areas",
                                                                  "view_areas")}),)
    filter_horizontal = ("capture_areas", "view_areas", "groups", "user_permissions")


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("at", "actor_username", "action", "object_type", "object_repr", "area_code")
    list_filter = ("action", "object_type")
    search_fields = ("actor_username", "object_id", "object_repr", "area_code")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "key_prefix", "created", "last_used", "revoked")
    readonly_fields = ("key_prefix", "digest", "last_used")


@admin.register(IdNumberConfirmation)
class IdNumberConfirmationAdmin(admin.ModelAdmin):
    list_display = ("number", "confirmed_by", "confirmed_at")

    def has_change_permission(self, request, obj=None):
        return False
