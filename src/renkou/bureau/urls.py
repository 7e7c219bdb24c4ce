"""Pages of the bureau's own work, mounted at /bureau/ with namespace ``bureau``."""

from __future__ import annotations

from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("events/", views.events, name="events"),
    path("export.xlsx", views.export, name="export"),
    # the registers kept on pages (registers.REGISTERS)
    path("registers/<slug:key>/", views.register_list, name="register"),
    path("registers/<slug:key>/new/", views.register_edit, name="register-new"),
    path("registers/<slug:key>/<int:pk>/", views.register_edit, name="register-edit"),
    path("registers/<slug:key>/export.xlsx", views.register_export, name="register-export"),
    path("events/<int:pk>/photos/", views.event_photo_upload, name="event-photo-upload"),
    path("photos/<int:pk>/", views.event_photo, name="event-photo"),
]
