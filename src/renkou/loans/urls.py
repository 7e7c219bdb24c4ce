"""Pages of 幸福工程 loans, mounted at /loans/ with namespace ``loans``."""

from __future__ import annotations

from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("inbox/", views.inbox, name="inbox"),
    path("propose/", views.propose, name="propose"),
    path("loans/<int:pk>/", views.loan, name="loan"),
    path("loans/<int:pk>/agreement/", views.agreement, name="agreement"),
    path("loans/<int:pk>/<str:action>/", views.step, name="step"),
    path("sheet/", views.sheet, name="sheet"),
    path("sheet/import/", views.sheet_import, name="sheet-import"),
    path("export.xlsx", views.export, name="export"),
]
