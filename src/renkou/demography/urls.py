"""URLs of the demography pages, mounted at ``/demography/`` with namespace ``demography``."""

from __future__ import annotations

from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("area/<str:code>/", views.area, name="area"),
]
