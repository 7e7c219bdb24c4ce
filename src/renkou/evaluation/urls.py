"""Pages of assessment, mounted at /evaluation/ with namespace ``evaluation``."""

from __future__ import annotations

from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("schemes/<int:pk>/", views.scheme_detail, name="scheme"),
    path("schemes/<int:pk>/edit/", views.scheme_edit, name="scheme-edit"),
    path("schemes/<int:pk>/export.<str:fmt>", views.scheme_export, name="scheme-export"),
    path("schemes/<int:pk>/targets/", views.targets, name="targets"),
    path("schemes/<int:pk>/contract/<str:unit>/", views.contract, name="contract"),
    path("schemes/<int:pk>/inspections/", views.inspections, name="inspections"),
    path("schemes/<int:pk>/compute/", views.run_compute, name="compute"),
    path("schemes/<int:pk>/samples/new/", views.sample_new, name="sample-new"),
    path("runs/<int:pk>/", views.run_detail, name="run"),
    path("runs/<int:pk>/publish/", views.run_publish, name="publish"),
    path("runs/<int:pk>/delete/", views.run_delete, name="run-delete"),
    path("runs/<int:pk>/ranking.xlsx", views.run_xlsx, name="run-xlsx"),
    path("runs/<int:pk>/methods/", views.methods, name="methods"),
    path("runs/<int:pk>/appeal/", views.appeal_file, name="appeal"),
    path("runs/<int:pk>/units/<str:unit>/", views.scorecard, name="scorecard"),
    path("appeals/<int:pk>/decide/", views.appeal_decide, name="appeal-decide"),
    path("samples/<int:pk>/", views.sample_detail, name="sample"),
    path("departments/<str:county>/", views.departments, name="departments"),
    path("samples/<int:pk>/sheet/<str:unit>/", views.field_sheet, name="field-sheet"),
]
