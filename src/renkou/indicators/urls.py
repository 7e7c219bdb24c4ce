from __future__ import annotations

from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("value/<int:pk>/", views.value_detail, name="value"),
    path("value/<int:pk>/records/<int:index>/", views.value_records, name="records"),
    path("report/", views.report, name="report"),
    path("export/", views.export, name="export"),
    path("entry/", views.entry, name="entry"),
]
