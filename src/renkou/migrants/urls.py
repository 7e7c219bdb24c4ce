"""Pages of the migrant-service officer, mounted at /migrants/ with namespace ``migrants``."""

from __future__ import annotations

from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("lists/<slug:which>/", views.migrant_list, name="list"),
    path("lists/<slug:which>/export.xlsx", views.list_export, name="list-export"),
    path("records/<int:pk>/", views.record, name="record"),
    path("records/<int:pk>/transition/", views.transition, name="transition"),
    path("agreements/", views.agreements, name="agreements"),
    path("agreements/new/", views.agreement_new, name="agreement-new"),
    path("agreements/export.xlsx", views.agreements_export, name="agreements-export"),
    path("agreements/<int:pk>/", views.agreement, name="agreement"),
]
