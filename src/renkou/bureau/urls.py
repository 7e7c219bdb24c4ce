"""Pages of the bureau's own work, mounted at /bureau/ with namespace ``bureau``."""

from __future__ import annotations

from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("events/", views.events, name="events"),
    path("export.xlsx", views.export, name="export"),
]
