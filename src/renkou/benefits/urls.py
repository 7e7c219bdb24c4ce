"""Pages of benefits, mounted at /benefits/ with namespace ``benefits``."""

from __future__ import annotations

from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("inbox/", views.inbox, name="inbox"),
    path("programs/<slug:code>/", views.program, name="program"),
    path("cycles/<int:pk>/", views.cycle, name="cycle"),
    path("cycles/<int:pk>/budget/", views.budget, name="budget"),
    path("cycles/<int:pk>/issue/", views.issue, name="issue"),
    path("cycles/<int:pk>/verification/", views.verification, name="verification"),
    path("lists/<int:pk>/notice/", views.notice, name="notice"),
    path("lists/<int:pk>/objection/", views.objection, name="objection"),
    path("lists/<int:pk>/<str:action>/", views.transition, name="transition"),
    path("objections/<int:pk>/resolve/", views.resolve, name="resolve"),
    path("batches/<int:pk>/", views.batch, name="batch"),
    path("batches/<int:pk>/send/", views.send, name="send"),
    path("batches/<int:pk>/file.<str:fmt>", views.batch_file, name="batch-file"),
    path("ledger/", views.ledger_statement, name="ledger"),
]
